//! A synthetic Children in Need census for the fictional council "Northfield" (LA number 990),
//! one XML file as the DfE collects it, to run `rules/cin/` against: clean, or with planted
//! problems listed in `ground_truth.csv`.
//!
//! `census.xml` is the census for the year 1 April to 31 March (`Header/CollectionDetails`:
//! `CIN`, the year it ends, `ReferenceDate` its 31 March; `Source`: level `L`, LEA `990`), then
//! one `Child` per child in need during the year, every element in the schema's order: the
//! child's identifiers (LAchildID `NF` and digits; a UPN, or the reason there is none; the date
//! of birth, or the expected date for an unborn child; sex `M`, `F` or `U`; rarely a former UPN
//! or a date of death), characteristics (ethnicity, disabilities) and one `CINdetails` per
//! episode of need, with its assessments and their factors, child in need plans, section 47
//! enquiries and child protection plans with their reviews. Each child's record is a coherent
//! journey (`journeys.rs`); only the year's activity is in it, as the DfE asks, so a clean
//! census breaks none of the DfE's rules (see `journeys.rs` for how each holds).
//!
//! The file is written as it is made, child by child, one element to a line (`xml.rs`), so
//! 50,000 children take a second or two and little memory. Beside it, `cleanse.yaml` reads each
//! of the pack's tables from it, and `ground_truth.csv` lists the planted problems
//! (`plants.rs`): code, table, the row's place in its table (1, 2, ...: the DfE validator's row
//! number plus one, as Cleanse reports a row of an XML table), its element's line, the planted
//! element and its line (the row's when the element is left out; a finding's cell), the
//! child's `LAchildID` as written and what was planted. Lines are the file's (the declaration is
//! line 1).
//!
//! Output is a pure function of the options.

mod calendar;
mod codes;
mod journeys;
mod plants;
#[cfg(test)]
mod tests;
mod xml;

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::nights::{path_from, yaml_text};
use crate::render::nd;
use crate::rng::Rng;
use journeys::{Child, Ctx, build};
use plants::{Plant, Planter, TRUTH_HEADER};
use xml::Doc;

// Random stream salts (`rng.rs` and `ssda903` have the others below 56).
pub(crate) const SALT_CHILD: u64 = 56;
pub(crate) const SALT_PLANT: u64 = 57;
pub(crate) const SALT_SCHEDULE: u64 = 58;
pub(crate) const SALT_HEADER: u64 = 59;
/// Mixed into the seed for the child id numbers.
pub(crate) const SALT_IDS: u64 = 0x4349_4E5F_4944; // "CIN_ID"

/// The census file's name.
pub const CENSUS_FILE: &str = "census.xml";

/// The pack's tables, each read from the census file.
const TABLES: [&str; 11] = [
    "header",
    "child_identifiers",
    "child_characteristics",
    "disabilities",
    "cin_details",
    "assessments",
    "assessment_factors",
    "cin_plan_dates",
    "section47",
    "child_protection_plans",
    "reviews",
];

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CinOptions {
    /// Seed for the generator: the same options always give byte-identical files.
    pub seed: u64,
    /// Children in need during the year (each a `Child` element).
    pub children: usize,
    /// The census year, by the year it starts: 2025 for 2025/26 (1 April 2025 to 31 March
    /// 2026).
    pub year: i32,
    /// Plant problems, listed in `ground_truth.csv`.
    pub plant: bool,
}

/// What [`generate_cin`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CinSummary {
    /// Rows per table of the pack (the header's one included), in the pack's order.
    pub rows: Vec<(String, usize)>,
    /// Lines of `ground_truth.csv`.
    pub planted: usize,
    /// Children carrying a planted problem.
    pub planted_children: usize,
}

/// Write `census.xml`, `ground_truth.csv` and a `cleanse.yaml` naming the rule pack at `rules`
/// (relative to `dir` when the two share more than the file-system root, else absolute; a
/// relative `rules` is taken from the current directory) into `dir` (created if missing).
pub fn generate_cin(opts: &CinOptions, rules: &Path, dir: &Path) -> io::Result<CinSummary> {
    let invalid = |why: &str| io::Error::new(io::ErrorKind::InvalidInput, why.to_string());
    if !(1995..=2200).contains(&opts.year) {
        return Err(invalid("the census year must be 1995 to 2200"));
    }
    if opts.children > 10_000_000 {
        return Err(invalid("at most 10,000,000 children"));
    }
    let ctx = Ctx::new(opts.seed, opts.children, opts.year).ok_or_else(|| invalid("no such year"))?;
    fs::create_dir_all(dir)?;
    let mut header = Rng::stream(opts.seed, u64::MAX, SALT_HEADER);
    let made = (
        ctx.w.end + 2 + header.days(8),
        8 + header.below(10) as u32,
        header.below(60) as u32,
    );
    let out = BufWriter::with_capacity(1 << 18, File::create(dir.join(CENSUS_FILE))?);
    let mut doc = Doc::start(out, ctx.w, made)?;
    let mut truth = BufWriter::with_capacity(1 << 16, File::create(dir.join("ground_truth.csv"))?);
    truth.write_all(TRUTH_HEADER.as_bytes())?;

    let mut planter = Planter::new(&ctx, opts.plant);
    let mut child = Child::default();
    let mut plant = Plant::default();
    let mut rows = [0usize; 11];
    rows[0] = 1;
    let (mut planted, mut planted_children) = (0, 0);
    let mut buf = Vec::with_capacity(256);
    for i in 0..ctx.children {
        build(&ctx, i, &mut child);
        planter.plant(&ctx, &mut child, &mut plant);
        let lines = doc.child(&child, plant.id_form, &plant.glitches, &mut plant.marks)?;
        for m in &plant.marks {
            buf.clear();
            m.write(&mut buf);
            truth.write_all(&buf)?;
        }
        planted += plant.marks.len();
        planted_children += usize::from(!plant.marks.is_empty());
        planter.written(&child, !plant.marks.is_empty(), lines);
        count(&child, &mut rows);
    }
    doc.finish()?;
    truth.flush()?;
    fs::write(dir.join("cleanse.yaml"), config(&ctx, rules, dir)?)?;
    Ok(CinSummary {
        rows: TABLES.iter().zip(rows).map(|(t, n)| (t.to_string(), n)).collect(),
        planted,
        planted_children,
    })
}

/// Add the child's rows to each table's count.
fn count(c: &Child, rows: &mut [usize; 11]) {
    rows[1] += 1;
    rows[2] += 1;
    if c.has_disabilities {
        rows[3] += c.disabilities.len();
    }
    for e in c.episodes() {
        rows[4] += 1;
        rows[5] += e.assessments.len();
        rows[6] += e.assessments.iter().map(|a| a.factors.len()).sum::<usize>();
        rows[7] += e.plans.len();
        rows[8] += e.s47s.len();
        rows[9] += e.cpps.len();
        rows[10] += e.cpps.iter().map(|p| p.reviews.len()).sum::<usize>();
    }
}

/// `cleanse.yaml` for the census.
fn config(ctx: &Ctx, rules: &Path, dir: &Path) -> io::Result<String> {
    let label = ctx.w.label();
    let mut y = format!(
        "# Northfield's Children in Need census for {label} (fictional), written by `cleanse generate --cin`.\n\
         # Paths are relative to this file. Every table is read from the one census file, by the\n\
         # element the pack names.\n\
         name: Northfield CIN census {label}\n\
         collection_year: {label}\n\
         as_of: {end}\n\
         rules:\n  - {pack}\n\
         inputs:\n",
        end = nd(ctx.w.end),
        pack = yaml_text(&path_from(dir, rules)?),
    );
    for t in TABLES {
        y.push_str(&format!("  - {{ table: {t}, file: {CENSUS_FILE} }}\n"));
    }
    Ok(y)
}
