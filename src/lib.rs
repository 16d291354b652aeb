//! Cleanse: a data-quality cleansing pipeline for children's social care
//! records.
//!
//! Councils' case-management exports (contacts, referrals, assessments,
//! child protection plans...) go in; corrected datasets, rejected rows, an
//! exceptions report and a manager's summary come out. Every input row ends
//! in exactly one place, and every finding says which rule, which file and
//! which line.
//!
//! # The pipeline
//!
//! ```text
//!  cleanse.yaml ──► config ──► rules ──────► plan
//!                              (parse,        (physical
//!                               validate,      expressions,
//!                               compile)       once per run)
//!                                                 │
//!  exports ──► relate (rules between tables: DataFusion joins over
//!     │         the corrected columns they need; findings keyed by line)
//!     │       dedupe (same_person rules: blocking, comparisons, weights;
//!     │         pairs keyed by line, merges handed to fix as lookups)
//!     │            │
//!     └──► ingest ──► fix ──────► check ─────────────┘
//!              (bytes →  (declared    (type columns, evaluate every
//!               text      corrections, rule over the batch; batches
//!               batches)  in stages)   in parallel)
//!                            │
//!                            ▼
//!                         route (order-dependent checks, route each row)
//!                            │
//!                            ▼
//!                         returns (rules about whole tables, judged once)
//!                            │
//!                            ▼
//!                         history (new, open, resolved since the last run; the trend)
//!                            │
//!                            ▼
//!      report + summary_html ──► publish (staging dir, atomic rename)
//! ```
//!
//! Each stage has one contract:
//! - [`config`]: read `cleanse.yaml`; paths are relative to it.
//! - [`rules`]: read rule packs with positions, validate every value
//!   (reporting all problems at once as [`diag::Diagnostic`]s), and compile
//!   rules to DataFusion logical expressions. Rule kinds live in
//!   [`rules::kinds`], one file each, registered in one list.
//! - [`plan`]: turn a table's rules into physical expressions.
//! - [`relate`]: evaluate rules between tables over whole tables, before any
//!   row is routed.
//! - [`dedupe`]: find records of one person under different ids
//!   (Fellegi–Sunter, weights estimated from the data), explain each pair,
//!   and plan merges.
//! - [`ingest`]: read an export as text batches; set aside rows that are not
//!   records, never drop them.
//! - [`fix`]: apply declared corrections to a batch's text, recording every
//!   change; correction kinds live in [`fix`], one file each.
//! - [`check`]: type the batch's columns and evaluate the plan over it.
//! - [`route`]: resolve `unique` and `duplicate_rows` in file order, route
//!   each row to corrected or rejected, and write the exceptions and changes.
//! - [`run`]: the orchestration the binary and the tests call.
//! - [`returns`]: judge rules about whole tables (shares, row counts, the
//!   change since the last run) once every table is done.
//! - [`history`]: each run's counts and finding fingerprints under the
//!   output root (Parquet, read with DataFusion): what is new, still open or
//!   resolved since the last run, and the trend.
//! - [`report`]: `run.json`, and the manager's `summary.md` and
//!   `summary.json`; [`summary_html`] draws the same figures as one
//!   self-contained page.
//! - [`publish`]: write outputs so that nobody sees half a run.
//!
//! Two small modules guard the edges: [`paths`] checks the names and paths a shared rule pack
//! gives before they reach the file system, and [`sheet`] writes CSV outputs so that no value
//! runs as a spreadsheet formula.
//!
//! Beside the pipeline, [`validate`] is what `cleanse check` runs: the validation a run starts
//! with, over configurations and rule packs, without any data (for CI).
//!
//! [`docs`] renders the documentation kept beside each rule kind, correction kind and
//! diagnostic code, for `cleanse explain`, `cleanse rules` and the pages in `docs/`.

pub mod check;
pub mod cli;
pub mod config;
pub mod dedupe;
pub mod diag;
pub mod docs;
pub mod error;
pub mod examples;
pub mod fix;
pub mod formats;
pub mod history;
pub mod ingest;
pub mod paths;
pub mod plan;
pub mod publish;
pub mod relate;
pub mod report;
pub mod returns;
pub mod route;
pub mod rules;
pub mod run;
pub mod sheet;
pub mod summary_html;
pub mod validate;
pub mod values;
pub(crate) mod yaml;

pub use error::{Error, Result};
pub use run::{RunOptions, RunOutcome, run, sha256_hex};
