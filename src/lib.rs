//! Cleanse: a data-quality cleansing pipeline for children's social care
//! records.
//!
//! Councils' case-management exports (contacts, referrals, assessments,
//! child protection plans...) go in; corrected datasets, rejected rows, an
//! exceptions report and a manager's summary come out. Every input row ends
//! in exactly one place, and every finding says which rule, which file and
//! which line.
//!
//! # The folders are the architecture
//!
//! Each folder is a layer, listed from the top. A module imports only from
//! the layers below its own (a test, `tests/it/architecture.rs`, fails when
//! one points up or a cycle appears):
//!
//! ```text
//!  cli/      arguments, commands (run, check, test, explain, report), output formats
//!    │
//!  run.rs    the sequence of a run, and nothing else
//!    │
//!  engine/   read each export once; plan the rules; check rows; whole-table checks;
//!    │       duplicate people; route each row to corrected or rejected; judge whole-return rules
//!  output/   sinks that never write a formula, run.json and the manager's summaries,
//!    │       history (the previous runs), publishing (staging, atomic rename)
//!  kinds/    rule kinds, one file each,       source/  reading an export: bytes → text
//!    │       and the registry the loader               batches, positioned by line; the
//!    │       is handed                                 batches held between stages
//!  fixes/    correction kinds, one file each, and the corrector that applies them
//!    │
//!  spec/     configuration, rule packs (YAML with positions), SQL, the contracts of rule
//!    │       and correction kinds, and the loader that gives a pack its meaning
//!  people/   the duplicate finder: comparisons, blocking, weights; knows nothing of rules
//!    │
//!  model/    leaf types: tables and their types, typing and value parsing, diagnostics,
//!            errors, digests, the compact lookup `fill` and `merge` read
//! ```
//!
//! One contract each:
//! - [`model`]: the types and value parsing every layer shares; imports nothing of Cleanse.
//! - [`people`]: find records of one person under different ids (Fellegi–Sunter, weights
//!   estimated from the data) and explain each pair; a `same_person` rule compiles to a
//!   [`people::request::SamePerson`].
//! - [`spec`]: read `cleanse.yaml` and rule packs with positions, validate every value
//!   (reporting all problems at once as [`model::diag::Diagnostic`]s), and compile rules to
//!   DataFusion logical expressions. [`spec::kind`] and [`spec::fix`] are the contracts a
//!   rule kind and a correction kind implement (each kind's keys are its own serde struct,
//!   read from [`spec::node`]s); [`spec::rules`] is the loader, handed the registry of kinds
//!   by its caller; [`spec::extends`] reads a pack that is another plus its amendments;
//!   [`spec::paths`] checks the names and paths a shared pack gives before
//!   they reach the file system; [`spec::validate`] is what `cleanse check` runs;
//!   [`spec::sql`] and [`spec::windows`] are the functions and the window planning rules'
//!   SQL is planned with, both when a rule is read and when it runs ([`spec::working_days`]:
//!   counting working days over the bank holidays Cleanse is built with).
//! - [`fixes`]: correction kinds, one file each, registered in one list, and the corrector
//!   that applies them to a batch's text, recording every change.
//! - [`kinds`]: rule kinds, one file each, registered in one list; [`kinds::REGISTRY`] is
//!   what the loader is handed (rule kinds and correction kinds).
//! - [`source`]: read an export as text batches; set aside rows that are not records, never
//!   drop them; hold an export's batches between the stages of a run ([`source::held`]). One
//!   thread reads an export and cuts it into chunks of whole records; the pool parses them
//!   ([`source::csv`]), keeping each chunk's bytes for the rows that can be written as read
//!   ([`source::Verbatim`]). [`source::Source`] is the one seam for formats: CSV, a sheet of a
//!   workbook ([`source::workbook`], every finding naming its cell), Parquet
//!   ([`source::parquet`]) and an XML return such as the CIN census ([`source::xml`]: read
//!   once for every table, each the rows of one element, every finding naming its element's
//!   line and column); reference data is read as published ([`source::postcodes`],
//!   [`source::providers`]).
//! - [`output`]: [`output::sheet`] writes CSV so that no value runs as a spreadsheet formula
//!   (the corrected and rejected rows on a thread of their own, [`output::sheet::Background`]);
//!   [`output::sinks`] writes `exceptions.csv` and `changes.csv` with their counts;
//!   [`output::report`] writes `run.json` and the manager's summaries ([`output::summary_html`]
//!   draws them as one page); [`output::history`] keeps each run's counts and finding
//!   fingerprints (what is new, open or resolved, and the trend); [`output::publish`] writes
//!   a run so that nobody sees half of it; [`output::workbook`] writes `exceptions.xlsx` (and a
//!   workbook input's corrected and rejected rows) and [`output::parquet`] the typed Parquet
//!   tables, both from the CSV outputs.
//! - [`engine`]: read each export once, correcting it as far as the run can before routing and
//!   handing the stages over whole tables what they need from that one pass ([`engine::load`]);
//!   turn a table's rules into physical expressions ([`engine::plan`]), evaluate the rules over
//!   whole tables ([`engine::relate`], each kind's own plan, side by side, within a memory limit
//!   past which they spill to disk; windows over a child's rows as one vectorised pass,
//!   [`spec::windows`]; each table sorted once per order for all its rules,
//!   [`engine::sorted`]) and about people
//!   ([`engine::people`]) before any row is routed; correct and check each batch in parallel
//!   ([`engine::correct`], [`engine::check`]), resolve the ordered checks
//!   ([`engine::ordered`]), route each row to one output ([`engine::route`], batches formatted
//!   in parallel and written in file order, with
//!   [`engine::describe`] saying what each finding means), and judge rules about whole tables
//!   ([`engine::returns`]).
//! - [`run`]: the orchestration the binary and the tests call.
//! - [`cli`]: the command line; [`cli::docs`] renders the documentation kept beside each rule
//!   kind, correction kind and diagnostic code.

pub mod cli;
pub mod engine;
pub mod fixes;
pub mod kinds;
pub mod model;
pub mod output;
pub mod people;
pub mod run;
pub mod source;
pub mod spec;

pub use model::error::{Error, Result};
pub use run::{RunOptions, RunOutcome, run};
