//! A synthetic SSDA903 (children looked after) return for the fictional council "Northfield",
//! one CSV file per DfE table with the DfE's headers, to run `rules/ssda903/` against: clean,
//! or with planted problems listed in `ground_truth.csv`.
//!
//! Each child has one care history (`children.rs`): a date of birth, sex, ethnicity and UPN, and
//! a period of care made of episodes in date order, starting with RNE `S` and changing legal
//! status (`L`), placement (`P`, or `T` with the same carer) or both (`U`, `B`) as a council's
//! children do: police protection becomes an interim care order and then a care order; babies
//! are placed for adoption (the decision, the placement order, the match, the placement and the
//! adoption, with the AD1 and PlacedAdoption rows that go with them); teenagers move between
//! foster carers, children's homes and supported accommodation, go missing, are remanded, and
//! leave care at 18; unaccompanied asylum seekers arrive at 14 to 17; disabled children have
//! short breaks (V3). Alongside the episodes run the statutory reviews (within 20 working days,
//! three months, then every six months), the social worker episodes (from the day care starts,
//! the last one open) and the missing episodes (inside an episode each).
//!
//! A year's return is a view of those histories (`tables.rs`): the episodes open during the
//! year as known on 31 March, and the modules that apply: UASC for asylum seekers (DUC the 18th
//! birthday), OC2 for children looked after all year (as the DfE's validator works that out),
//! OC3 for care leavers with a 17th to 19th birthday in the year, previous permanence for
//! children who started to be looked after. With `last_year`, `last/` holds last year's return,
//! the same view a year earlier, so the two agree: an episode open on 31 March last year is
//! this year's first, with the same start, legal status and placement.
//!
//! Three groups of children make the returns: those looked after at the start of the year
//! (about 70% of `children`), those who start during it, and those who left care last year
//! (about 27% more, in last year's return only, and in this year's if they are care leavers) or
//! the year before (12% more, care leavers in last year's return).
//!
//! What the DfE's validator cannot see is left out of a clean return rather than reported:
//! care leavers whose 20th or 21st birthday falls in the year (their care ended before last
//! year, so rule 1002 would flag them), a child returning to care within two years of leaving
//! (rule SW12STG2 flags every social worker episode before the new start), and care leavers who
//! are mothers (rules 612, 624 and 628 cannot all hold once the child has no episodes).
//!
//! Beside the return, `postcodes.csv` is the postcode directory the DfE derives a placement's
//! local authority and distance from, laid out as the ONS publishes it (`geography.rs`):
//! Northfield (`E06000990`) and its neighbours, every postcode either year's return uses and a
//! few hundred more. About one placement in five is outside Northfield.
//!
//! With `plant`, problems are planted (`plants.rs`), each in one child's rows with everything
//! else clean, `max(base, base × children / 1000)` of each kind, and listed in
//! `ground_truth.csv`: code, table, file, line (header = 1), child and what was planted.
//! Children of sex `U` (about 0.3%) are listed there in either mode: their sex is valid, but
//! the DfE asks for it to be confirmed (query 232); so are placements over 350 miles from home
//! (in the far north of Scotland), which the DfE queries too (454).
//!
//! Output is a pure function of the options, written child by child through reused buffers.

mod children;
mod codes;
pub(crate) mod geography;
mod plants;
mod providers;
mod tables;
#[cfg(test)]
mod tests;

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::nights::{path_from, yaml_text};
use crate::render::nd;
use children::{Ctx, History, build};
use geography::{Directory, LOCAL_AUTHORITY};
use plants::Planter;
use tables::{EPISODES, Rows, TABLES, Val, view};

// Random stream salts (`rng.rs` has the other generators' below 48).
pub(crate) const SALT_CHILD: u64 = 48;
pub(crate) const SALT_MOTHER: u64 = 49;
pub(crate) const SALT_OC2: u64 = 50;
pub(crate) const SALT_OC3: u64 = 51;
pub(crate) const SALT_POOL: u64 = 52;
pub(crate) const SALT_PLANT: u64 = 53;
pub(crate) const SALT_SCHEDULE: u64 = 54;
pub(crate) const SALT_DIRECTORY: u64 = 55;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ssda903Options {
    /// Seed for the generator: the same options always give byte-identical files.
    pub seed: u64,
    /// Children looked after during the year (the care leavers in OC3 come on top).
    pub children: usize,
    /// The collection year, by the year it starts: 2025 for 2025/26 (1 April 2025 to 31 March
    /// 2026).
    pub year: i32,
    /// Plant problems, listed in `ground_truth.csv`.
    pub plant: bool,
    /// Also write last year's return into `last/`.
    pub last_year: bool,
}

/// What [`generate_ssda903`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ssda903Summary {
    /// Data rows per file of this year's return, in the DfE's table order.
    pub rows: Vec<(String, usize)>,
    /// The same for last year's (empty without `last_year`).
    pub last_rows: Vec<(String, usize)>,
    /// Lines of `ground_truth.csv`.
    pub planted: usize,
    /// Postcodes in `postcodes.csv`.
    pub postcodes: usize,
    /// Providers in Ofsted's list beside the return.
    pub providers: usize,
}

/// Ofsted's provider list, beside the return (see [`providers`]).
const PROVIDERS_FILE: &str = "ofsted-providers.xlsx";

const TRUTH_HEADER: &str = "code,table,file,line,child,planted\n";

/// Write the return into `dir` (created if missing): one CSV per table, `last/` with last
/// year's when asked, `ground_truth.csv`, `postcodes.csv`, and a `cleanse.yaml` naming the rule
/// pack at `rules` (relative to `dir` when the two share more than the file-system root, else
/// absolute; a relative `rules` is taken from the current directory) and every file, with the
/// collection year, `as_of` its 31 March, the council's code and the postcode directory.
pub fn generate_ssda903(opts: &Ssda903Options, rules: &Path, dir: &Path) -> io::Result<Ssda903Summary> {
    let invalid = |why: &str| io::Error::new(io::ErrorKind::InvalidInput, why.to_string());
    if !(1995..=2200).contains(&opts.year) {
        return Err(invalid("the collection year must be 1995 to 2200"));
    }
    if opts.children > 10_000_000 {
        return Err(invalid("at most 10,000,000 children"));
    }
    let extra = if opts.plant {
        plants::extra_children(opts.children)
    } else {
        0
    };
    let ctx = Ctx::new(opts.seed, opts.children, opts.year, extra).ok_or_else(|| invalid("no such year"))?;
    fs::create_dir_all(dir)?;
    let mut this = Files::create(dir)?;
    let mut last = if opts.last_year {
        fs::create_dir_all(dir.join("last"))?;
        Some(Files::create(&dir.join("last"))?)
    } else {
        None
    };
    let mut truth = BufWriter::with_capacity(1 << 16, File::create(dir.join("ground_truth.csv"))?);
    truth.write_all(TRUTH_HEADER.as_bytes())?;
    let mut planter = Planter::new(&ctx, opts.plant);
    let mut planted = 0;
    let mut directory = Directory::new();

    let mut h = History::default();
    let (mut now, mut before) = (Rows::default(), Rows::default());
    let mut buf = Vec::with_capacity(4096);
    for i in 0..ctx.children() {
        build(&ctx, i, &mut h);
        view(&ctx, &h, ctx.this, &mut now);
        view(&ctx, &h, ctx.last, &mut before);
        let marks = planter.plant(&ctx, &h, &mut now, &mut before);
        for m in &marks {
            let line = this.rows[m.table] + m.row + 2;
            buf.clear();
            m.write(&mut buf, line);
            truth.write_all(&buf)?;
            planted += 1;
        }
        // The directory lists the postcodes of both years' episodes, asked for or not.
        for rows in [&now, &before] {
            for e in &rows.t[EPISODES] {
                // HOME_POST and PL_POST.
                for v in &e.v[10..=11] {
                    if let Val::Post(p) = *v {
                        directory.note(p);
                    }
                }
            }
        }
        let header_line = this.rows[tables::HEADER] + 2;
        this.write(&now, &mut buf)?;
        planter.written(&now, header_line);
        if let Some(last) = &mut last {
            last.write(&before, &mut buf)?;
        }
    }
    truth.flush()?;
    let rows = this.finish()?;
    let last_rows = match last {
        Some(l) => l.finish()?,
        None => Vec::new(),
    };
    // The directory lists the providers' postcodes too (the DfE places a provider by its own).
    let providers = providers::write(&ctx, opts.plant, &dir.join(PROVIDERS_FILE), &mut directory)?;
    let postcodes = directory.write(opts.seed, &dir.join("postcodes.csv"))?;
    fs::write(dir.join("cleanse.yaml"), config(opts, &ctx, rules, dir)?)?;
    Ok(Ssda903Summary {
        rows,
        last_rows,
        planted,
        postcodes,
        providers,
    })
}

/// One return's files being written.
struct Files {
    out: Vec<BufWriter<File>>,
    rows: [usize; 11],
}

impl Files {
    fn create(dir: &Path) -> io::Result<Files> {
        let mut out = Vec::with_capacity(TABLES.len());
        for t in &TABLES {
            let mut f = BufWriter::with_capacity(1 << 18, File::create(dir.join(t.file))?);
            f.write_all(t.header.as_bytes())?;
            f.write_all(b"\n")?;
            out.push(f);
        }
        Ok(Files { out, rows: [0; 11] })
    }

    fn write(&mut self, rows: &Rows, buf: &mut Vec<u8>) -> io::Result<()> {
        for (table, rs) in rows.t.iter().enumerate() {
            if rs.is_empty() {
                continue;
            }
            buf.clear();
            for r in rs {
                r.push(table, buf);
            }
            self.out[table].write_all(buf)?;
            self.rows[table] += rs.len();
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<Vec<(String, usize)>> {
        for f in &mut self.out {
            f.flush()?;
        }
        Ok(TABLES
            .iter()
            .zip(self.rows)
            .map(|(t, n)| (t.file.to_string(), n))
            .collect())
    }
}

/// `cleanse.yaml` for the return.
fn config(opts: &Ssda903Options, ctx: &Ctx, rules: &Path, dir: &Path) -> io::Result<String> {
    let w = ctx.this;
    let mut y = format!(
        "# Northfield's SSDA903 return for {label} (fictional), written by `cleanse generate --ssda903`.\n\
         # Paths are relative to this file.\n\
         name: Northfield SSDA903 {label}\n\
         collection_year: {label}\n\
         as_of: {end}\n\
         local_authority: {LOCAL_AUTHORITY}\n\
         postcodes: {{ file: postcodes.csv }}\n\
         ofsted_providers: {{ files: [{PROVIDERS_FILE}] }}\n\
         rules:\n  - {pack}\n\
         inputs:\n",
        label = w.label(),
        end = nd(w.end),
        pack = yaml_text(&path_from(dir, rules)?),
    );
    for t in &TABLES {
        y.push_str(&format!("  - {{ table: {}, file: {} }}\n", t.name, t.file));
    }
    if opts.last_year {
        for t in &TABLES {
            if let Some(name) = t.last {
                y.push_str(&format!("  - {{ table: {name}, file: last/{} }}\n", t.file));
            }
        }
    }
    Ok(y)
}
