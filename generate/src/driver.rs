//! The driver: for each child in turn, make its events and write its rows to every table
//! asked for, then settle the corrections that depend on another table and write the ground
//! truth.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use crate::council::Ctx;
use crate::nights::Night;
use crate::plants::{Expectation, TableOut, Truth, write_truth};
use crate::render::Day;
use crate::rng::SALT_CHILD;
use crate::tables::assessments::{Assessment, gen_assessments, write_assessments};
use crate::tables::children::write_child;
use crate::tables::contacts::{Contact, gen_contacts, write_contacts};
use crate::tables::cp_plans::{CpPlan, gen_plans, write_plans};
use crate::tables::referrals::{Referral, gen_referrals, write_referrals};
use crate::tables::{ASSESSMENTS, CONTACTS, REFERRALS, TABLE_NAMES};
use crate::{GenOptions, GenSummary};

/// One child's events, in reused buffers.
#[derive(Default)]
struct Events {
    contacts: Vec<Contact>,
    referrals: Vec<Referral>,
    assessments: Vec<Assessment>,
    plans: Vec<CpPlan>,
}

pub(crate) fn run(opts: &GenOptions, dir: &Path) -> io::Result<(GenSummary, Vec<Truth>)> {
    run_night(opts, Night { index: 0, count: 1 }, dir)
}

pub(crate) fn run_night(opts: &GenOptions, night: Night, dir: &Path) -> io::Result<(GenSummary, Vec<Truth>)> {
    let mut want = [opts.tables.is_empty(); 5];
    for name in &opts.tables {
        let index = TABLE_NAMES.iter().position(|t| t == name).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown table {name:?} (expected one of {})", TABLE_NAMES.join(", ")),
            )
        })?;
        want[index] = true;
    }
    let ctx = Ctx::on(opts, night)?;
    fs::create_dir_all(dir)?;
    let mut outs: Vec<Option<TableOut>> = Vec::with_capacity(5);
    for (index, &wanted) in want.iter().enumerate() {
        outs.push(if wanted {
            Some(TableOut::new(dir, opts, index)?)
        } else {
            None
        });
    }
    let [children, contacts, referrals, assessments, plans] = &mut outs[..] else {
        unreachable!("five tables")
    };

    let mut ev = Events::default();
    for i in 0..opts.children {
        let c = ctx.child(i, SALT_CHILD);
        if let Some(o) = children {
            write_child(&ctx, o, i, &c)?;
        }
        if !want[CONTACTS..].contains(&true) {
            continue;
        }
        gen_contacts(&ctx, i, &c, &mut ev.contacts);
        if let Some(o) = contacts {
            write_contacts(&ctx, o, i, &c, &ev.contacts)?;
        }
        if !want[REFERRALS..].contains(&true) {
            continue;
        }
        gen_referrals(&ctx, i, &c, &ev.contacts, &mut ev.referrals);
        if let Some(o) = referrals {
            write_referrals(&ctx, o, i, &c, &ev.referrals)?;
        }
        if !want[ASSESSMENTS..].contains(&true) {
            continue;
        }
        gen_assessments(&ctx, i, &c, &ev.referrals, &mut ev.assessments);
        if let Some(o) = assessments {
            write_assessments(&ctx, o, i, &c, &ev.assessments)?;
        }
        if let Some(o) = plans {
            gen_plans(&ctx, i, &c, &ev.assessments, &mut ev.plans);
            write_plans(&ctx, o, i, &c, &ev.assessments, &ev.plans)?;
        }
    }
    // FIX-CON-DOB fills a contact's date of birth only from a children table that holds exactly
    // one date for the child.
    if let Some(o) = contacts {
        let mut single = vec![children.is_some(); opts.children];
        if let Some(ch) = children {
            let mut odd = std::mem::take(&mut ch.odd_dobs);
            odd.sort_by_key(|&(k, ..)| k);
            for rows in odd.chunk_by(|a, b| a.0 == b.0) {
                let k = rows[0].0;
                let own = rows
                    .iter()
                    .find(|r| r.1)
                    .map_or(Some(ctx.child(k, SALT_CHILD).dob), |r| r.2);
                let mut dobs: Vec<Day> = own
                    .into_iter()
                    .chain(rows.iter().filter(|r| !r.1).filter_map(|r| r.2))
                    .collect();
                dobs.sort_unstable();
                dobs.dedup();
                single[k] = dobs.len() == 1;
            }
        }
        let fills = std::mem::take(&mut o.fills);
        o.truth
            .extend(fills.into_iter().filter(|(i, _)| single[*i]).map(|(_, t)| t));
    }

    let mut rows = Vec::new();
    let mut truth = Vec::new();
    for o in outs.into_iter().flatten() {
        let TableOut {
            mut export, truth: tt, ..
        } = o;
        export.out.flush()?;
        rows.push((TABLE_NAMES[export.index].to_string(), export.rows));
        truth.extend(tt);
    }
    truth.sort_by_key(|t| (TABLE_NAMES[t.table], t.line));
    write_truth(&dir.join("ground_truth.csv"), &truth)?;
    let planted = truth
        .iter()
        .filter(|t| t.kind.info().expect == Expectation::Finding)
        .count();
    let changes = truth
        .iter()
        .filter(|t| t.kind.info().expect == Expectation::Change)
        .count();
    Ok((GenSummary { rows, planted, changes }, truth))
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::io;

    use chrono::NaiveDate;

    use super::*;
    use crate::council::Ctx;
    use crate::plants::PlantKind;
    use crate::tables::CHILDREN;
    use crate::testing::checker::{age_at, assert_truth_matches, check, parse_date, postcode_ok};
    use crate::testing::{Sheet, as_of, file, gen_in, opts};

    #[test]
    fn clean_rows_are_clean_and_every_planted_problem_is_found() {
        let (dir, summary, truth) = gen_in(&opts(42, 1000), "demo");
        assert_eq!(
            summary.planted,
            PlantKind::ALL
                .iter()
                .filter(|k| k.info().expect == Expectation::Finding)
                .map(|k| k.info().base * k.lines())
                .sum::<usize>()
        );
        assert_truth_matches(&dir, &truth, as_of());
    }

    #[test]
    fn holds_across_seeds_sizes_and_extract_dates() {
        let leap = NaiveDate::from_ymd_opt(2028, 2, 29).unwrap();
        let days = [
            as_of(),
            leap,
            NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2039, 12, 31).unwrap(),
        ];
        for seed in 0..16u64 {
            let today = days[seed as usize % 4];
            let children = [40, 150, 1000, 1700][(seed / 4) as usize];
            let o = GenOptions {
                as_of: today,
                ..opts(seed, children)
            };
            let (dir, summary, truth) = gen_in(&o, &format!("many-{seed}"));
            assert_truth_matches(&dir, &truth, today);
            if children >= 1000 {
                let want: usize = PlantKind::ALL
                    .iter()
                    .filter(|k| k.info().expect == Expectation::Finding)
                    .map(|k| (k.info().base.max((k.info().base * children + 500) / 1000)) * k.lines())
                    .sum();
                assert_eq!(summary.planted, want, "seed {seed}");
            }
        }
    }

    #[test]
    fn without_planting_nothing_is_flagged() {
        let o = GenOptions {
            plant: false,
            ..opts(3, 1000)
        };
        let (dir, summary, truth) = gen_in(&o, "clean");
        assert_eq!(summary.planted, 0);
        // Still exported as the council's system does: a few dates in accepted alternative
        // forms, which the pack rewrites, and which the ground truth lists as changes.
        assert!(truth.iter().all(|t| t.kind == PlantKind::FixConDates), "{truth:?}");
        assert!(truth.len() > 50, "{}", truth.len());
        assert!(check(&dir, as_of()).iter().all(|f| f.2 == "FIX-CON-DATES"));
        assert_truth_matches(&dir, &truth, as_of());
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let names = [
            "children.csv",
            "contacts.csv",
            "referrals.csv",
            "assessments.csv",
            "cp_plans.csv",
            "ground_truth.csv",
        ];
        let (a, ..) = gen_in(&opts(11, 400), "det-a");
        let (b, ..) = gen_in(&opts(11, 400), "det-b");
        let (c, ..) = gen_in(&opts(12, 400), "det-c");
        for name in names {
            assert_eq!(file(&a, name), file(&b, name), "{name}");
            assert_ne!(file(&a, name), file(&c, name), "{name}");
        }
    }

    #[test]
    fn a_table_does_not_depend_on_which_others_are_written() {
        let (all, ..) = gen_in(&opts(5, 500), "all");
        let o = GenOptions {
            tables: vec!["contacts".into()],
            ..opts(5, 500)
        };
        let (one, summary, truth) = gen_in(&o, "one");
        assert_eq!(file(&all, "contacts.csv"), file(&one, "contacts.csv"));
        assert_eq!(summary.rows.len(), 1);
        assert!(truth.iter().all(|t| t.table == CONTACTS));
        assert!(!one.0.join("children.csv").exists());
        let bad = GenOptions {
            tables: vec!["contact".into()],
            ..opts(5, 10)
        };
        assert_eq!(run(&bad, &one.0).unwrap_err().kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn counts_scale_with_children() {
        let (_a, small, _) = gen_in(&opts(21, 1000), "scale-a");
        let (_b, big, truth) = gen_in(&opts(21, 3000), "scale-b");
        assert_eq!(big.planted, 3 * small.planted);
        assert_eq!(truth.iter().filter(|t| t.kind == PlantKind::ConAltDate).count(), 60);
        for ((name, s), (_, b)) in small.rows.iter().zip(&big.rows) {
            let ratio = *b as f64 / *s as f64;
            assert!((2.6..3.4).contains(&ratio), "{name}: {s} → {b}");
        }
        let rows: HashMap<_, _> = small.rows.iter().cloned().collect();
        let per_child = |t: &str| rows[t] as f64 / 1000.0;
        assert!((2.7..3.3).contains(&per_child("contacts")));
        assert!((0.4..0.6).contains(&(per_child("referrals") / per_child("contacts"))));
        assert!((0.6..0.8).contains(&(per_child("assessments") / per_child("referrals"))));
        assert!((0.08..0.2).contains(&(per_child("cp_plans") / per_child("assessments"))));
    }

    #[test]
    fn values_are_fictional_and_well_formed() {
        let (dir, _, truth) = gen_in(&opts(42, 1000), "values");
        let sheet = Sheet::read(&dir, "children");
        let planted: HashSet<usize> = truth.iter().filter(|t| t.table == CHILDREN).map(|t| t.line).collect();
        for (line, row) in sheet.rows.iter().filter(|(l, _)| !planted.contains(l)) {
            assert!(row[0].len() == 8 && row[0].starts_with("NF"), "{line}: {row:?}");
            let nhs: Vec<u32> = row[7].chars().filter_map(|c| c.to_digit(10)).collect();
            assert_eq!(&nhs[..3], &[9, 9, 9]);
            let sum: u32 = nhs[..9].iter().enumerate().map(|(i, d)| d * (10 - i as u32)).sum();
            assert_eq!((11 - sum % 11) % 11, nhs[9], "{line}: {row:?}");
            assert!(row[6].starts_with("NF") && postcode_ok(&row[6]));
            let dob = parse_date(&row[3]).unwrap().unwrap();
            assert!((0..=17).contains(&age_at(dob, as_of())), "{line}: {row:?}");
        }
        let ids: HashSet<&String> = sheet.rows.iter().map(|(_, r)| &r[0]).collect();
        assert_eq!(ids.len(), 1000);
        // A few percent of dates and integers in the accepted alternative forms.
        let contacts = Sheet::read(&dir, "contacts");
        let alt = contacts
            .rows
            .iter()
            .filter(|(_, r)| !(r[5].len() == 10 && r[5].as_bytes()[2] == b'/'))
            .count();
        let share = alt as f64 / contacts.rows.len() as f64;
        assert!((0.01..0.05).contains(&share), "{share}");
        assert!(contacts.rows.iter().any(|(_, r)| r[4].ends_with(".0")));
    }

    #[test]
    fn cross_table_plants_are_near_misses_of_real_children() {
        let ctx = Ctx::new(&opts(42, 1000)).unwrap();
        assert!((0..1000).all(|i| ctx.id_index(u64::from(ctx.id_num(i))) == Some(i)));
        assert_eq!(ctx.id_index(u64::from(ctx.id_num(1000))), None);
        let (dir, _, truth) = gen_in(&opts(42, 1000), "cross");
        let sheets: HashMap<&str, Sheet> = TABLE_NAMES.iter().map(|&t| (t, Sheet::read(&dir, t))).collect();
        let uses = |id: &str| -> usize {
            sheets
                .values()
                .map(|s| s.rows.iter().filter(|(_, r)| r[0] == id).count())
                .sum()
        };
        let dob = |row: &[String]| parse_date(&row[3]).unwrap();
        for t in &truth {
            let row = sheets[TABLE_NAMES[t.table]].at(t.line);
            match t.kind {
                // One digit off a real child's id, with that child's details; used nowhere else.
                PlantKind::Ref006 => {
                    let id = &row[0];
                    let off_by_one =
                        |c: &str| c.len() == id.len() && c.bytes().zip(id.bytes()).filter(|(a, b)| a != b).count() == 1;
                    let near = sheets["children"]
                        .rows
                        .iter()
                        .any(|(_, c)| off_by_one(&c[0]) && dob(c) == dob(row));
                    assert!(near, "{t:?}: {id}");
                    assert_eq!(uses(id), 1, "{t:?}: {id}");
                }
                // A real child with no assessment.
                PlantKind::Cpp007 => {
                    let id = &row[0];
                    assert!(sheets["children"].rows.iter().any(|(_, c)| &c[0] == id), "{t:?}");
                    assert!(sheets["assessments"].rows.iter().all(|(_, a)| &a[0] != id), "{t:?}");
                }
                _ => {}
            }
        }
        let count = |k: PlantKind| truth.iter().filter(|t| t.kind == k).count();
        assert_eq!((count(PlantKind::Ref006), count(PlantKind::Cpp007)), (2, 2));
    }
}
