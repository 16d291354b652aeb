//! Synthetic exports for the fictional council "Northfield" (never real data), with planted
//! problems and the ground truth that lists them: Cleanse's demo data, test data and benchmark
//! data.
//!
//! Cleanse is about finding data-quality problems in real councils' exports, but real children's
//! records can never be used as test data or shipped as a demo. This crate makes data that looks
//! and misbehaves like a real export instead, and records exactly what it broke, so tests can
//! prove Cleanse finds every planted problem and nothing else, and changes every listed cell and
//! nothing else. It makes five things:
//!
//! * [`generate`]: the demo tables, twelve CSV files shaped like the `rules/annex-a.yaml` tables
//!   (children, and Ofsted's Annex A lists 1 to 11), each exported with a quirk seen in real
//!   council systems: a UTF-8 BOM, Windows-1252 with CRLF and an undeclared extra column, CRLF
//!   with a newline inside a quoted field, and headers with odd spacing and case; with
//!   `ground_truth.csv` (below); and [`write_workbook`] writes the lists again as Ofsted's
//!   Annex A workbook (`annex-a.xlsx`, one sheet per list);
//! * [`generate_nights`]: the same council extracted night after night, each night's files and
//!   ground truth in a folder of its own with a `cleanse.yaml`: most problems stay open from one
//!   night to the next, some are fixed and a few appear, so a run's history has something to show;
//! * [`people::generate_people`]: person records with known duplicates, and which records are
//!   the same person, to measure duplicate-person matching against.
//! * [`ssda903::generate_ssda903`]: a council's SSDA903 (children looked after) return, one CSV
//!   per DfE table (and last year's), from coherent care histories, clean or with problems
//!   planted against the DfE's rules, with its ground truth and a `cleanse.yaml` for
//!   `rules/ssda903/`.
//! * [`cin::generate_cin`]: a Children in Need census as the DfE's XML (`census.xml`), from
//!   coherent journeys (referral, assessment, section 47, conference, plan), clean or with
//!   problems planted against the DfE's CIN rules, with its ground truth (the element's line
//!   among them) and a `cleanse.yaml` for `rules/cin/`.
//!
//! In the demo tables, planted problems are each on their own row, one per rule in the rule pack
//! (plus type, required and code-form checks, and one ragged row), with every other value on that
//! row clean. `ground_truth.csv` has one line per planted problem (`expect=finding`; both rows of
//! a CPP-009 overlap of plans), per deliberately odd-but-valid value (`expect=none`: alternative
//! date forms, `3.0`-style integers, a leap-day birthday, a multi-line team name, a blank optional
//! date of birth), and per cell the rule pack's corrections change (`expect=change`, with the
//! correction's id: names and ids with stray spaces, gender codes in the wrong form or the
//! council's own wording, contact dates in another form, a wrong age, a contact's blank or
//! malformed date of birth filled from the child's record).
//!
//! Ground-truth `line`s are physical lines (header = 1, a quoted newline counts). Note that the
//! csv crate's `Position::line` runs one behind after a CRLF terminator, so a reader that reports
//! it must correct for that in `referrals.csv` and `assessments.csv`. A child's clean plans never
//! overlap (each ends on or before the day the next starts), and each counts the child's plans
//! before it (CPP-010); a child's contacts agree on date of birth and gender (CON-009, CON-010).
//! CPP-010 is planted as a new plan after the child's last, ended one. A planted row may trip
//! other rules as a consequence (an exact copy also repeats its key, so CHI-001, CON-005 and
//! CPP-005 fire next to CHI-007, CON-006 and CPP-006; a start date that is not a date leaves the
//! plan rules that read it not checked); the ground truth lists only the plant.
//!
//! The children table also holds duplicate people for the pack's `same_person` rule (CHI-P01),
//! scheduled apart from its other plants so those stay on the rows they were: with `plant`,
//! about 12 per 1,000 children are a further record of an earlier child whose own row is
//! clean, written a few rows after it under an `NF` id no other table uses, changed with the
//! person generator's helpers (a nickname from `rules/nicknames.csv` or a one-letter slip in a
//! name, day and month of birth swapped, the NHS number or postcode left out, or, once, a
//! record made before birth: `Baby`, the expected date of birth up to three weeks before the
//! birth, no NHS number), listed (`expect=finding`) on that later record; and about 3 per 1,000
//! are a twin of an earlier child (same surname, date of birth, postcode and ethnicity; another
//! first name, not a form of the child's, and another NHS number), listed `expect=none` on the
//! later twin. Every other rule holds on these rows. An exact copy (CHI-007) is the same person
//! too, so CHI-P01 may fire beside it.
//!
//! Two problems span tables: a referral whose child id is one digit off a real one (REF-006) and a
//! plan for a child with no assessment (CPP-007). Every other row's child is in `children.csv`,
//! and every other plan's child has an assessment, so these are findings only where the other
//! table is checked too.
//!
//! The seven lists added later (early help, section 47 enquiries, children in need, children in
//! care, care leavers, adoptions, adopters) are drawn from streams of their own (`Rng::later`),
//! so the first five tables' bytes are what they always were. Their clean data is coherent
//! across lists as `/work/plan/annexa-spec.md` (the contract with the rule pack) says: an
//! enquiry behind every plan (CPP-011, S47-R01), a children-in-need case for every child on an
//! open plan or looked after (CIN-R01, CLA-R02), adoptions only for children in care (ADO-R01),
//! care leavers never still looked after (CLV-R01), every child in `children.csv`. Their planted
//! problems are one each of type, required and code form per list, and four that span lists:
//! a plan whose enquiry is left out (CPP-011, scheduled with the enquiries and listed on the
//! plan's row, only where both tables are written), a child in care in no other table (CLA-R01),
//! an adoption decision for a child never in care (ADO-R01) and a care leaver still looked after
//! (CLV-R01). Nightly extracts ([`generate_nights`] with more than one night) hold the first five
//! tables only.
//!
//! Everything is fictional: ids are `NF` + digits, NHS numbers come from the `999` range the NHS
//! reserves for test data, postcodes use the non-existent `NF` area.
//!
//! Output is a pure function of the options (a hand-written SplitMix64 seeded per child and per
//! table, so a table's bytes do not depend on which other tables were asked for). Rows are written
//! as they are made, through reused buffers, so the benchmark can ask for millions of rows.
//!
//! # Layout
//!
//! One module per concern: `rng` (the random streams), `vocab` (code lists and fictional names),
//! `ids` (`NF` id numbers, NHS numbers and UPNs), `render` (dates and values as the exports write
//! them), `export` (a table's CSV file with its system's quirks), `plants` (the kinds of planted
//! problem, their schedule, the writer that records them and the ground truth), `council` (the
//! council's dates, children and their ids), `tables` (one module per table, making its events
//! and writing its rows and plants, and `care`, the care histories four lists share), `workbook`
//! (the Annex A workbook), `nights` (what each night's extract holds), `driver` (the
//! loop over children that ties them together), [`people`] (the person records, a generator
//! of its own that shares the randomness, identifiers and rendering) and [`ssda903`] (the
//! SSDA903 return, likewise: children's care histories, the tables as a year's view of them,
//! and its own plants). The tests check the output against an independent mini-checker
//! (`testing`) written from the rule pack's wording.

pub mod cin;
mod council;
mod driver;
mod export;
mod ids;
mod nights;
pub mod people;
mod plants;
mod render;
mod rng;
pub mod ssda903;
mod tables;
#[cfg(test)]
mod testing;
mod vocab;
mod workbook;

pub use workbook::{WORKBOOK, WORKBOOK_TITLE_ROWS};

use std::fs;
use std::io;
use std::path::Path;

use chrono::NaiveDate;

use nights::{Night, night_config};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenOptions {
    /// Seed for the generator: the same options always give byte-identical files.
    pub seed: u64,
    /// Number of children; other tables scale from it (≈3 contacts per child, ≈half of contacts
    /// lead to a referral, ≈70% of referrals to an assessment, ≈15% of assessments to a CP plan).
    pub children: usize,
    /// The extract date: every clean date is on or before it.
    pub as_of: NaiveDate,
    /// Which tables to write (empty = all twelve): `children`, `contacts`, `early_help`,
    /// `referrals`, `assessments`, `s47_enquiries`, `children_in_need`, `cp_plans`,
    /// `children_in_care`, `care_leavers`, `adoptions`, `adopters`. Nightly extracts hold only
    /// the first five the generator wrote (children, contacts, referrals, assessments,
    /// cp_plans), so with more than one night the others cannot be asked for.
    pub tables: Vec<String>,
    /// Plant problems (and the tolerated oddities listed as `expect=none`). With `false` every row
    /// is clean: the ground truth lists only the dates in accepted alternative forms that the
    /// pack rewrites (`expect=change`).
    pub plant: bool,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenSummary {
    /// Data rows (header excluded) per table written, in rule-pack order.
    pub rows: Vec<(String, usize)>,
    /// Number of planted problems (`expect=finding` lines in `ground_truth.csv`).
    pub planted: usize,
    /// Number of cells the rule pack's corrections should change (`expect=change` lines).
    pub changes: usize,
}

/// Write `<table>.csv` for each table and `ground_truth.csv` into `dir` (created if missing).
///
/// With `plant`, each problem is planted `max(base, base × children / 1000)` times (see the
/// table in `plants.rs`); with very few children (under about 200) some cannot find a suitable
/// row and are left out. The ground truth always lists exactly what was planted.
pub fn generate(opts: &GenOptions, dir: &Path) -> io::Result<GenSummary> {
    driver::run(opts, dir).map(|(summary, _)| summary)
}

/// Write [`WORKBOOK`] (`annex-a.xlsx`) into `dir` beside the CSV files [`generate`] wrote
/// there (`summary` is what it returned): the Annex A lists among them, one sheet each as
/// Ofsted's template names them (`List 1 - Contacts` … `List 11 - Adopters`), each with
/// [`WORKBOOK_TITLE_ROWS`] title rows above a bold header and then the same records and values
/// as the CSV file: valid dd/mm/yyyy dates as Excel dates (formatted dd/mm/yyyy), whole numbers
/// as numbers, everything else as text. The children table is not an Annex A list and has no
/// sheet. `ground_truth.csv` holds for the workbook too: the record on line `n` of a list's CSV
/// file is on Excel row `n + WORKBOOK_TITLE_ROWS` (both counted from 1), less one for each line
/// break inside a quoted value of an earlier record (one team name in `assessments.csv`).
/// Returns the workbook's path.
pub fn write_workbook(dir: &Path, summary: &GenSummary) -> io::Result<std::path::PathBuf> {
    let mut written = [false; tables::TABLE_COUNT];
    for (name, _) in &summary.rows {
        if let Some(t) = tables::TABLE_NAMES.iter().position(|t| t == name) {
            written[t] = true;
        }
    }
    workbook::write(dir, &written)?;
    Ok(dir.join(WORKBOOK))
}

/// The most nights [`generate_nights`] writes: the plants' dates are drawn against the last
/// night, and hold (or are listed as `expect=none`) on nights up to this far before it.
pub const MAX_NIGHTS: usize = 90;

/// Write `nights` consecutive nightly extracts of the same council, the last on `opts.as_of`,
/// each into `dir/<yyyy-mm-dd>/`: the CSV files and `ground_truth.csv` as [`generate`] writes
/// them for that night, and a `cleanse.yaml` with that night's `as_of` and the rule pack at
/// `rules` (named relative to the night's folder when the two share more than the file-system
/// root, else absolute; a relative `rules` is taken from the current directory).
///
/// Each night holds the records dated on or before it, and the planted problems open that
/// night: most are still open the next night, some are fixed and a few appear (see
/// `nights.rs`). With `nights = 1` the one night is what [`generate`] writes, plus the
/// configuration.
pub fn generate_nights(
    opts: &GenOptions,
    nights: usize,
    rules: &Path,
    dir: &Path,
) -> io::Result<Vec<(NaiveDate, GenSummary)>> {
    if !(1..=MAX_NIGHTS).contains(&nights) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("nights must be 1 to {MAX_NIGHTS}"),
        ));
    }
    let first = opts
        .as_of
        .checked_sub_days(chrono::Days::new(nights as u64 - 1))
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "as_of is too early"))?;
    let mut written = Vec::with_capacity(nights);
    for (index, date) in first.iter_days().take(nights).enumerate() {
        let night_dir = dir.join(date.format("%Y-%m-%d").to_string());
        let (summary, _) = driver::run_night(opts, Night { index, count: nights }, &night_dir)?;
        fs::write(
            night_dir.join("cleanse.yaml"),
            night_config(opts, date, index, nights, rules, &night_dir)?,
        )?;
        written.push((date, summary));
    }
    Ok(written)
}
