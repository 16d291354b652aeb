//! Nights: the same council, extracted night after night (`generate_nights`).
//!
//! A night is a small layer over the rest of the generator, which always builds the whole world
//! up to the last night's date (`Ctx::as_of`): the same children, events and planted problems,
//! drawn from the same streams, every night. A night then shows only what that night's extract
//! can hold:
//!
//! * a record is in the export if its event (birth, contact, referral, assessment or plan start)
//!   is on or before the night's extract date, so each night has a few more rows than the one
//!   before; a date after it that a record already carries (an authorisation, a plan's end, review
//!   or visit) has not happened yet, and is blank (a visit steps back to the fortnightly visit
//!   before it);
//! * each planted problem has a life: the night it first appears (mostly before the first night,
//!   some on a later night) and the night the data team fixes it (each night after it appears,
//!   a 15% chance). On the nights in between it is planted as without nights; on the others the
//!   row is written as the clean row it stands in for. Rows that are the problem themselves (a
//!   copy, a second record on a key, a different child on an id, a second overlapping plan, a
//!   plan with a wrong count after the child's last one) are there only while it is open: fixing
//!   a duplicate removes it. Tolerated oddities (`expect=none`) are how the system exports: they
//!   have no life.
//!
//! Nights hold the five tables the generator first wrote (children and Annex A lists 1, 3, 4
//! and 7): the later lists are written only when there is one night, which is what
//! [`crate::generate`] writes.
//!
//! Two rules read `today` in a way the plants' dates, drawn against the last night, do not always
//! satisfy on an earlier one: a date of birth 26 years before the last night may be 25 years
//! before an earlier one (CHI-003), and an assessment started 60 days before the last night may be
//! 45 or fewer days before an earlier one (ASS-004). The row is the same; the ground truth says
//! `expect=none` for it that night. A leap-day contact, a different child on an earlier child's
//! id, or a second overlapping plan dated after the night are not planted that night.
//! Everything else holds on every night by construction (a future date is after the last night
//! too, an authorisation is at most 44 days after its assessment's start, and so on); the tests'
//! independent checker confirms each night's ground truth.

use std::io;
use std::path::Path;

use chrono::NaiveDate;

use crate::GenOptions;
use crate::council::Ctx;
use crate::driver::tables_wanted;
use crate::plants::{Expectation, PlantKind};
use crate::render::Day;
use crate::rng::SALT_LIFE;
use crate::tables::assessments::Assessment;
use crate::tables::cp_plans::CpPlan;
use crate::tables::{TABLE_NAMES, table_rng};

/// Night `index` (from 0) of `count` consecutive nightly extracts, the last on `as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Night {
    pub(crate) index: usize,
    pub(crate) count: usize,
}

/// Chance in a thousand that a planted problem first appears after the first night.
const NEW_PER_MILLE: u64 = 200;
/// Chance in a thousand that an open problem is fixed by the next night.
const FIX_PER_MILLE: u64 = 150;

impl Ctx {
    /// Is a record whose event is on `date` in this night's export?
    pub(crate) fn recorded(&self, date: Day) -> bool {
        date <= self.night
    }

    /// Is child `i`'s planted problem of kind `kind` in `table` open on this night? One problem
    /// per child per table, so (child, table) names its life.
    pub(crate) fn live(&self, i: usize, table: usize, kind: PlantKind) -> bool {
        if self.nights == 1 || kind.info().expect != Expectation::Finding {
            return true;
        }
        let (first, fixed) = self.life(i, table);
        (first..fixed).contains(&self.night_index)
    }

    /// The nights on which child `i`'s problem in `table` appears and is fixed (`nights` if it is
    /// still open on the last).
    fn life(&self, i: usize, table: usize) -> (usize, usize) {
        let mut rng = table_rng(self.seed, i as u64, table, SALT_LIFE);
        let first = if rng.chance(NEW_PER_MILLE) {
            1 + rng.below(self.nights as u64 - 1) as usize
        } else {
            0
        };
        let mut fixed = first + 1;
        while fixed < self.nights && !rng.chance(FIX_PER_MILLE) {
            fixed += 1;
        }
        (first, fixed)
    }

    /// An assessment as this night's export shows it, if it has started.
    pub(crate) fn assessment_tonight(&self, a: &Assessment) -> Option<Assessment> {
        self.recorded(a.start).then(|| Assessment {
            auth: a.auth.filter(|&d| self.recorded(d)),
            ..*a
        })
    }

    /// A plan as this night's export shows it, if it has started: an end or review after the
    /// night has not happened yet; a visit after it was preceded by one a fortnight earlier.
    pub(crate) fn plan_tonight(&self, p: &CpPlan) -> Option<CpPlan> {
        if !self.recorded(p.start) {
            return None;
        }
        let visit = p.visit.and_then(|v| {
            let back = (v - self.night).max(0);
            Some(v - (back + 13) / 14 * 14).filter(|&v| v >= p.start)
        });
        Some(CpPlan {
            end: p.end.filter(|&d| self.recorded(d)),
            review: p.review.filter(|&d| self.recorded(d)),
            visit,
            ..*p
        })
    }
}

/// A night's `cleanse.yaml`: the repository's demo configuration, for this night's files.
pub(crate) fn night_config(
    opts: &GenOptions,
    date: NaiveDate,
    index: usize,
    nights: usize,
    rules: &Path,
    night_dir: &Path,
) -> io::Result<String> {
    let mut y = format!(
        "# Night {} of {nights} of the Northfield demo: the exports as extracted on {date}.\n\
         # Written by `cleanse generate --nights`; paths are relative to this file.\n\
         name: Northfield (fictional demo council)\n\
         as_of: {date}\n\
         rules:\n  - {}\n\
         inputs:\n",
        index + 1,
        yaml_text(&path_from(night_dir, rules)?),
    );
    let want = tables_wanted(opts, nights)?;
    for (t, table) in TABLE_NAMES.into_iter().enumerate() {
        if !want[t] {
            continue;
        }
        y.push_str(&format!("  - table: {table}\n    file: {table}.csv\n"));
        match table {
            "referrals" => y.push_str("    encoding: auto          # Windows-1252 where a value is not UTF-8\n"),
            "cp_plans" => y.push_str("    delimiter: \",\"\n"),
            _ => {}
        }
    }
    y.push_str(
        "summary:\n  breakdown:\n\
         \x20   - { table: referrals, column: allocated_team, label: allocated team, personal: false }\n\
         \x20   - { table: contacts, column: contact_source, label: contact source, personal: false }\n\
         \x20   - { table: referrals, column: allocated_worker, label: allocated worker, personal: true }\n\
         history:\n  keep_days: 400\n",
    );
    Ok(y)
}

/// `target` as a path from the directory `from`: relative (with `/`) when the two share more
/// than the root, else absolute. Relative paths are taken from the current directory, and
/// `.` and `..` are resolved without reading the file system.
pub(crate) fn path_from(from: &Path, target: &Path) -> io::Result<String> {
    use std::path::Component;
    let cwd = std::env::current_dir()?;
    let absolute = |p: &Path| {
        let mut out = std::path::PathBuf::new();
        for c in cwd.join(p).components() {
            match c {
                Component::CurDir => {}
                Component::ParentDir => {
                    out.pop();
                }
                c => out.push(c),
            }
        }
        out
    };
    let (from, to) = (absolute(from), absolute(target));
    let (from, to): (Vec<Component>, Vec<Component>) = (from.components().collect(), to.components().collect());
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    if !to[..common].iter().any(|c| matches!(c, Component::Normal(_))) {
        return Ok(to.iter().collect::<std::path::PathBuf>().display().to_string());
    }
    let ups = std::iter::repeat_n("..".to_string(), from.len() - common);
    let downs = to[common..]
        .iter()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    Ok(ups.chain(downs).collect::<Vec<_>>().join("/"))
}

/// A YAML scalar for `s`: as is when plainly safe, else double-quoted.
pub(crate) fn yaml_text(s: &str) -> String {
    let plain =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b)) && !s.starts_with('-');
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::fs;
    use std::path::Path;

    use chrono::NaiveDate;

    use super::*;
    use crate::tables::FIRST_FIVE;
    use crate::testing::checker::assert_truth_matches;
    use crate::testing::{Scratch, Sheet, as_of, file, gen_in, gen_night, opts};
    use crate::{MAX_NIGHTS, generate_nights};

    #[test]
    fn every_night_matches_its_ground_truth() {
        // The shipped nights' shape, and a month of nights. (A plant drawn against the last night
        // that breaks no rule yet on an earlier one is listed as `expect=none`: rare at this size.)
        for (seed, children, count, as_of) in [
            (42, 1000, 7, as_of()),
            (9, 1000, 30, as_of()),
            (3, 300, 7, NaiveDate::from_ymd_opt(2028, 3, 2).unwrap()),
        ] {
            let o = GenOptions {
                as_of,
                ..opts(seed, children)
            };
            for index in 0..count {
                let (dir, date, _, truth) = gen_night(&o, index, count, &format!("night-{seed}-{index}"));
                assert_truth_matches(&dir, &truth, date);
            }
        }
    }

    #[test]
    fn problems_stay_open_some_are_fixed_and_a_few_appear() {
        const COUNT: usize = 7;
        let o = opts(42, 1000);
        // Each night's open problems, named by table, rule and the child id on their row.
        let mut open: Vec<HashSet<(usize, &str, String)>> = Vec::new();
        let mut rows: Vec<HashMap<String, usize>> = Vec::new();
        for index in 0..COUNT {
            let (dir, _, summary, truth) = gen_night(&o, index, COUNT, &format!("life-{index}"));
            // A night of several holds the first five tables only.
            assert!(!dir.0.join("early_help.csv").exists());
            let sheets: HashMap<&str, Sheet> = FIRST_FIVE
                .iter()
                .map(|&t| (TABLE_NAMES[t], Sheet::read(&dir, TABLE_NAMES[t])))
                .collect();
            open.push(
                truth
                    .iter()
                    .filter(|t| t.kind.info().expect == Expectation::Finding)
                    .map(|t| {
                        (
                            t.table,
                            t.kind.info().rule,
                            sheets[TABLE_NAMES[t.table]].at(t.line)[0].clone(),
                        )
                    })
                    .collect(),
            );
            rows.push(summary.rows.into_iter().collect());
        }
        let mut appeared = 0;
        for w in open.windows(2) {
            let (before, after) = (&w[0], &w[1]);
            let fixed = before.difference(after).count() as f64 / before.len() as f64;
            assert!((0.05..=0.3).contains(&fixed), "{fixed}");
            appeared += after.difference(before).count();
        }
        assert!(appeared >= 5, "{appeared}");
        assert!(
            open[COUNT - 1].len() * 10 < open[0].len() * 7,
            "{} → {}",
            open[0].len(),
            open[COUNT - 1].len()
        );
        // More recorded each night; the same children every night.
        for table in ["contacts", "referrals"] {
            assert!(rows[COUNT - 1][table] > rows[0][table], "{table}");
        }
        assert!(rows.iter().all(|r| r["children"] >= 1000));
    }

    #[test]
    fn one_night_is_the_plain_generator_and_configs_name_the_pack_from_their_folder() {
        let o = opts(8, 200);
        let (plain, ..) = gen_in(&o, "plain");
        let nights = Scratch::new("nights");
        let written = generate_nights(&o, 1, Path::new("rules/annex-a.yaml"), &nights.0).unwrap();
        assert_eq!(written.len(), 1);
        let night = nights.0.join("2026-03-31");
        for name in TABLE_NAMES
            .iter()
            .map(|t| format!("{t}.csv"))
            .chain(["ground_truth.csv".into()])
        {
            assert_eq!(file(&plain, &name), fs::read(night.join(&name)).unwrap(), "{name}");
        }
        let config = fs::read_to_string(night.join("cleanse.yaml")).unwrap();
        assert!(config.contains("as_of: 2026-03-31\n"), "{config}");
        assert!(
            config.contains("    file: referrals.csv\n    encoding: auto"),
            "{config}"
        );
        assert!(generate_nights(&o, 0, Path::new("r.yaml"), &nights.0).is_err());
        assert!(generate_nights(&o, MAX_NIGHTS + 1, Path::new("r.yaml"), &nights.0).is_err());

        let from = |a: &str, b: &str| path_from(Path::new(a), Path::new(b)).unwrap();
        assert_eq!(
            from("/w/repo/fixtures/nights/2026-03-31", "/w/repo/rules/a.yaml"),
            "../../../rules/a.yaml"
        );
        assert_eq!(from("/w/repo/x/./y/../z", "/w/repo/rules/a.yaml"), "../../rules/a.yaml");
        assert_eq!(
            from("/tmp/out/2026-03-31", "/w/repo/rules/a.yaml"),
            "/w/repo/rules/a.yaml"
        );
        assert_eq!(yaml_text("../rules/annex-a.yaml"), "../rules/annex-a.yaml");
        assert_eq!(yaml_text("/my rules/a \"b\".yaml"), "\"/my rules/a \\\"b\\\".yaml\"");
    }
}
