//! The driver: for each child in turn, make its events and write its rows to every table
//! asked for, then settle the corrections that depend on another table and write the ground
//! truth.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use crate::council::Ctx;
use crate::nights::Night;
use crate::plants::{Expectation, Planter, TableOut, Truth, write_truth};
use crate::render::Day;
use crate::rng::SALT_CHILD;
use crate::tables::adopters::{Matched, families_in_process, write_adopters};
use crate::tables::adoptions::write_adoption;
use crate::tables::assessments::{Assessment, gen_assessments, write_assessments};
use crate::tables::care::{Care, gen_care};
use crate::tables::care_leavers::write_leaver;
use crate::tables::children::{write_child, write_pending};
use crate::tables::children_in_care::write_cla;
use crate::tables::children_in_need::{gen_cin, write_cin};
use crate::tables::contacts::{Contact, gen_contacts, write_contacts};
use crate::tables::cp_plans::{CpPlan, gen_plans, write_plans};
use crate::tables::early_help::{EarlyHelp, gen_early_help, write_early_help};
use crate::tables::referrals::{Referral, gen_referrals, write_referrals};
use crate::tables::s47_enquiries::{PlansWritten, S47, gen_s47, write_s47};
use crate::tables::{
    ADOPTERS, ADOPTIONS, ASSESSMENTS, CARE_LEAVERS, CHILDREN, CHILDREN_IN_CARE, CHILDREN_IN_NEED, CONTACTS, CP_PLANS,
    EARLY_HELP, FIRST_FIVE, REFERRALS, S47_ENQUIRIES, TABLE_COUNT, TABLE_NAMES,
};
use crate::{GenOptions, GenSummary};

/// One child's events, in reused buffers.
#[derive(Default)]
struct Events {
    early_help: Vec<EarlyHelp>,
    contacts: Vec<Contact>,
    referrals: Vec<Referral>,
    assessments: Vec<Assessment>,
    plans: Vec<CpPlan>,
    s47: Vec<S47>,
    care: Care,
}

/// Which tables to write: those `opts.tables` names (all if none). A night of several holds
/// only the five tables the generator first wrote.
pub(crate) fn tables_wanted(opts: &GenOptions, nights: usize) -> io::Result<[bool; TABLE_COUNT]> {
    let allowed = |t: usize| nights == 1 || FIRST_FIVE.contains(&t);
    let mut want: [bool; TABLE_COUNT] = std::array::from_fn(|t| opts.tables.is_empty() && allowed(t));
    for name in &opts.tables {
        let index = TABLE_NAMES.iter().position(|t| t == name).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown table {name:?} (expected one of {})", TABLE_NAMES.join(", ")),
            )
        })?;
        if !allowed(index) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "nightly extracts hold only children, contacts, referrals, assessments and cp_plans, not {name}"
                ),
            ));
        }
        want[index] = true;
    }
    Ok(want)
}

pub(crate) fn run(opts: &GenOptions, dir: &Path) -> io::Result<(GenSummary, Vec<Truth>)> {
    run_night(opts, Night { index: 0, count: 1 }, dir)
}

pub(crate) fn run_night(opts: &GenOptions, night: Night, dir: &Path) -> io::Result<(GenSummary, Vec<Truth>)> {
    let want = tables_wanted(opts, night.count)?;
    let ctx = Ctx::on(opts, night)?;
    fs::create_dir_all(dir)?;
    let mut outs: Vec<Option<TableOut>> = Vec::with_capacity(TABLE_COUNT);
    for (index, &wanted) in want.iter().enumerate() {
        outs.push(if wanted {
            Some(TableOut::new(dir, opts, index)?)
        } else {
            None
        });
    }
    // The enquiries need to know which plans the plans table planted on, whether or not it is
    // written: made for that alone, its rows are thrown away.
    if want[S47_ENQUIRIES] && !want[CP_PLANS] {
        outs[CP_PLANS] = Some(TableOut::sink(opts, CP_PLANS)?);
    }
    let any = |ts: &[usize]| ts.iter().any(|&t| want[t]);
    let need_plans = any(&[CP_PLANS, S47_ENQUIRIES, CHILDREN_IN_NEED]);
    let need_assessments = need_plans || want[ASSESSMENTS];
    let need_referrals = need_assessments || want[REFERRALS];
    let need_contacts = need_referrals || want[CONTACTS];
    let need_care = any(&[CHILDREN_IN_NEED, CHILDREN_IN_CARE, CARE_LEAVERS, ADOPTIONS, ADOPTERS]);

    let mut ev = Events::default();
    // Families matched with a child so far, and (for the adopters) each one's dates.
    let mut families = 0u32;
    let mut matched: Vec<Matched> = Vec::new();
    for i in 0..opts.children {
        let c = ctx.child(i, SALT_CHILD);
        if let Some(o) = &mut outs[CHILDREN] {
            write_child(&ctx, o, i, &c)?;
        }
        if let Some(o) = &mut outs[EARLY_HELP] {
            gen_early_help(&ctx, i, &c, &mut ev.early_help);
            write_early_help(&ctx, o, i, &c, &ev.early_help)?;
        }
        if need_care {
            gen_care(&ctx, i, &c, &mut families, &mut ev.care);
            if let Some(a) = ev.care.adoption
                && let (Some(family), Some(day)) = (a.family, a.matching)
                && want[ADOPTERS]
            {
                matched.push(Matched {
                    family,
                    matched: day,
                    placed: a.placed,
                    adopted: a.adopted,
                });
            }
            if let Some(o) = &mut outs[CHILDREN_IN_CARE] {
                write_cla(&ctx, o, i, &c, &ev.care)?;
            }
            if let Some(o) = &mut outs[CARE_LEAVERS] {
                write_leaver(&ctx, o, i, &c, &ev.care)?;
            }
            if let Some(o) = &mut outs[ADOPTIONS] {
                write_adoption(&ctx, o, i, &c, &ev.care)?;
            }
        }
        if !need_contacts {
            continue;
        }
        gen_contacts(&ctx, i, &c, &mut ev.contacts);
        if let Some(o) = &mut outs[CONTACTS] {
            write_contacts(&ctx, o, i, &c, &ev.contacts)?;
        }
        if !need_referrals {
            continue;
        }
        gen_referrals(&ctx, i, &c, &ev.contacts, &mut ev.referrals);
        if let Some(o) = &mut outs[REFERRALS] {
            write_referrals(&ctx, o, i, &c, &ev.referrals)?;
        }
        if !need_assessments {
            continue;
        }
        gen_assessments(&ctx, i, &c, &ev.referrals, &mut ev.assessments);
        if let Some(o) = &mut outs[ASSESSMENTS] {
            write_assessments(&ctx, o, i, &c, &ev.assessments)?;
        }
        if !need_plans {
            continue;
        }
        gen_plans(&ctx, i, &c, &ev.assessments, &mut ev.plans);
        let mut written = PlansWritten {
            listed: want[CP_PLANS],
            ..PlansWritten::default()
        };
        if let Some(o) = &mut outs[CP_PLANS] {
            let (line, rows, truth) = (o.export.next_line(), o.export.rows, o.truth.len());
            written.broken = write_plans(&ctx, o, i, &c, &ev.assessments, &ev.plans)?;
            let clean = o.truth.len() == truth && o.export.rows - rows == ev.plans.len();
            written.clean_from = (clean && !ev.plans.is_empty()).then_some(line);
        }
        if any(&[S47_ENQUIRIES, CHILDREN_IN_NEED]) {
            gen_s47(&ctx, i, &c, &ev.assessments, &ev.plans, &mut ev.s47);
        }
        if let Some(o) = &mut outs[S47_ENQUIRIES] {
            write_s47(&ctx, o, i, &c, &ev.plans, &ev.s47, written)?;
        }
        if let Some(o) = &mut outs[CHILDREN_IN_NEED] {
            let cin = gen_cin(&ctx, i, &c, &ev.assessments, &ev.plans, &ev.s47, &ev.care);
            write_cin(&ctx, o, i, &c, cin.as_ref())?;
        }
    }
    if let Some(o) = &mut outs[CHILDREN] {
        write_pending(&ctx, o)?;
    }
    if let Some(o) = &mut outs[ADOPTERS] {
        let span = matched.len() + families_in_process(opts.children);
        o.planter = Planter::spanning(opts.seed, ADOPTERS, opts.children, opts.plant, span);
        write_adopters(&ctx, o, &matched)?;
    }
    if !want[CP_PLANS] {
        outs[CP_PLANS] = None;
    }
    let [children, contacts, ..] = &mut outs[..] else {
        unreachable!("every table")
    };
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
        let other: Vec<_> = check(&dir, as_of())
            .into_iter()
            .filter(|f| f.2 != "FIX-CON-DATES")
            .collect();
        assert!(other.is_empty(), "{other:?}");
        assert_truth_matches(&dir, &truth, as_of());
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let names = TABLE_NAMES
            .iter()
            .map(|t| format!("{t}.csv"))
            .chain(["ground_truth.csv".to_string()]);
        let (a, ..) = gen_in(&opts(11, 400), "det-a");
        let (b, ..) = gen_in(&opts(11, 400), "det-b");
        let (c, ..) = gen_in(&opts(12, 400), "det-c");
        for name in names {
            assert_eq!(file(&a, &name), file(&b, &name), "{name}");
            assert_ne!(file(&a, &name), file(&c, &name), "{name}");
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
        // The later lists too, each alone or beside another it draws on, whatever the order
        // they are asked for in.
        for tables in [
            &["s47_enquiries"][..],
            &["children_in_need"],
            &["children_in_care"],
            &["adopters"],
            &["early_help", "care_leavers", "adoptions"],
            &["cp_plans", "s47_enquiries"],
        ] {
            let o = GenOptions {
                tables: tables.iter().map(|t| t.to_string()).collect(),
                ..opts(5, 500)
            };
            let name = format!("some-{}", tables.join("-"));
            let (some, summary, truth) = gen_in(&o, &name);
            assert_eq!(summary.rows.len(), tables.len());
            for t in tables {
                let name = format!("{t}.csv");
                assert_eq!(file(&all, &name), file(&some, &name), "{name} of {tables:?}");
            }
            // CPP-011 is listed only where the plans are written beside the enquiries.
            assert!(
                truth.iter().all(|t| tables.contains(&TABLE_NAMES[t.table])),
                "{tables:?}"
            );
        }
        // A night of several holds only the first five tables.
        let later = GenOptions {
            tables: vec!["adoptions".into()],
            ..opts(5, 10)
        };
        let night = run_night(&later, Night { index: 0, count: 2 }, &one.0);
        assert_eq!(night.unwrap_err().kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn counts_scale_with_children() {
        let (_a, small, _) = gen_in(&opts(21, 1000), "scale-a");
        let (_b, big, truth) = gen_in(&opts(21, 3000), "scale-b");
        assert_eq!(big.planted, 3 * small.planted);
        assert_eq!(truth.iter().filter(|t| t.kind == PlantKind::ConAltDate).count(), 60);
        for ((name, s), (_, b)) in small.rows.iter().zip(&big.rows) {
            // Adoptions (about 20 per 1,000 children) and adopters are too few for a tight ratio.
            let ratio = *b as f64 / *s as f64;
            let range = if *s >= 100 { 2.6..3.4 } else { 2.0..4.0 };
            assert!(range.contains(&ratio), "{name}: {s} → {b}");
        }
        let rows: HashMap<_, _> = small.rows.iter().cloned().collect();
        let per_child = |t: &str| rows[t] as f64 / 1000.0;
        assert!((2.7..3.3).contains(&per_child("contacts")));
        assert!((0.4..0.6).contains(&(per_child("referrals") / per_child("contacts"))));
        assert!((0.6..0.8).contains(&(per_child("assessments") / per_child("referrals"))));
        assert!((0.08..0.2).contains(&(per_child("cp_plans") / per_child("assessments"))));
        // The later lists at about the scale of a real council's (per 1,000 children known).
        for (table, lo, hi) in [
            ("early_help", 250, 350),
            ("s47_enquiries", 180, 260),
            ("children_in_need", 250, 360),
            ("children_in_care", 80, 130),
            ("care_leavers", 28, 65),
            ("adoptions", 10, 30),
            ("adopters", 15, 45),
        ] {
            assert!((lo..=hi).contains(&rows[table]), "{table}: {}", rows[table]);
        }
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
        // Every child once, and each duplicate person and twin under an id of its own.
        let others = truth.iter().filter(|t| t.kind.is_person()).count();
        assert_eq!(others, 15);
        assert_eq!(ids.len(), 1000 + others);
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
    fn later_lists_are_coherent() {
        // Clean data as the contract describes it, list by list, for a few seeds and dates.
        for (seed, today) in [(42, as_of()), (7, NaiveDate::from_ymd_opt(2028, 2, 29).unwrap())] {
            let o = GenOptions {
                plant: false,
                as_of: today,
                ..opts(seed, 1000)
            };
            let (dir, ..) = gen_in(&o, &format!("coherent-{seed}"));
            let sheet = |t: &str| Sheet::read(&dir, t);
            let d = |v: &str| parse_date(v).unwrap();
            let day = |v: &str| d(v).unwrap_or_else(|| panic!("not a date: {v:?}"));
            let dobs: HashMap<String, NaiveDate> = sheet("children")
                .rows
                .into_iter()
                .map(|(_, r)| (r[0].clone(), day(&r[3])))
                .collect();
            // Every date a date, on or before the extract date and not before the child's birth.
            for (t, name) in TABLE_NAMES.iter().enumerate().skip(1) {
                let s = sheet(name);
                let dated =
                    |c: usize| crate::tables::COLUMNS[t][c].ends_with("date") || s.header[c].starts_with("Date");
                for (line, row) in &s.rows {
                    for (c, v) in row.iter().enumerate() {
                        if let Some(x) = dated(c).then(|| d(v)).flatten() {
                            assert!(x <= today, "{name} {line}: {v}");
                            if let Some(dob) = dobs.get(&row[0]) {
                                assert!(x >= *dob, "{name} {line}: {v} before birth");
                            }
                        }
                    }
                }
            }
            let ordered = |t: &str, line: usize, ds: &[Option<NaiveDate>]| {
                let ds: Vec<NaiveDate> = ds.iter().flatten().copied().collect();
                assert!(ds.windows(2).all(|w| w[0] <= w[1]), "{t} {line}: {ds:?}");
            };
            let together = |t: &str, line: usize, a: &str, b: &str| {
                assert_eq!(a.is_empty(), b.is_empty(), "{t} {line}: {a:?} {b:?}");
            };
            // Each plan has an enquiry 0 to 20 days before it whose conference made it.
            let s47 = sheet("s47_enquiries");
            for (line, p) in &sheet("cp_plans").rows {
                let start = day(&p[6]);
                let behind = s47.rows.iter().any(|(_, s)| {
                    s[0] == p[0]
                        && (0..=20).contains(&(start - day(&s[6])).num_days())
                        && d(&s[8]).is_some_and(|icpc| icpc >= day(&s[6]) && icpc <= start)
                        && s[7] == "b) No"
                        && s[9] == "a) Yes"
                });
                assert!(behind, "cp_plans {line}");
            }
            for (line, s) in &s47.rows {
                if s[7] == "a) Yes" {
                    assert!(s[8].is_empty() && s[9].is_empty(), "s47 {line}");
                }
                let n = |c: usize| s[c].parse::<i64>().unwrap();
                assert!(n(10) >= 1 && (0..=n(10)).contains(&n(11)), "s47 {line}");
            }
            let cin = sheet("children_in_need");
            for (line, r) in &cin.rows {
                together("cin", *line, &r[9], &r[10]);
                ordered("cin", *line, &[d(&r[6]), d(&r[8]), d(&r[9])]);
                assert!(["Child in need", "Child protection", "Looked after child"].contains(&r[11].as_str()));
            }
            let cla = sheet("children_in_care");
            for (line, r) in &cla.rows {
                let (start, end) = (day(&r[7]), d(&r[19]));
                assert!((0..=17).contains(&r[4].parse::<i64>().unwrap()), "cla {line}");
                together("cla", *line, &r[19], &r[20]);
                ordered("cla", *line, &[Some(start), d(&r[21]), end.or(Some(today))]);
                ordered("cla", *line, &[Some(start), d(&r[10]), end.or(Some(today))]);
                for c in [12, 13, 15, 16, 17] {
                    ordered("cla", *line, &[Some(start), d(&r[c]), end.or(Some(today))]);
                }
                let local = r[24].starts_with("NF") && postcode_ok(&r[24]);
                assert!(postcode_ok(&r[24]), "cla {line}");
                match r[26].as_str() {
                    "a) In" => assert!(local && r[27] == "E06000990", "cla {line}: {r:?}"),
                    "b) Out" => assert!(
                        !local
                            && r[27].len() == 9
                            && r[27].starts_with('E')
                            && r[27][1..].bytes().all(|b| b.is_ascii_digit())
                            && r[27] != "E06000990",
                        "cla {line}: {r:?}"
                    ),
                    other => panic!("cla {line}: {other}"),
                }
                let missing = r[28].parse::<i64>().unwrap();
                assert_eq!(missing > 0, !r[30].is_empty(), "cla {line}");
                assert!(r[31].is_empty() || r[30] == "a) Yes", "cla {line}");
            }
            let uasc = cla.rows.iter().filter(|(_, r)| r[5] == "a) Yes").count();
            assert!(uasc * 10 < cla.rows.len(), "{uasc}");
            let open: HashSet<&String> = cla
                .rows
                .iter()
                .filter(|(_, r)| r[19].is_empty())
                .map(|(_, r)| &r[0])
                .collect();
            for (line, r) in &sheet("care_leavers").rows {
                assert!((17..=21).contains(&age_at(day(&r[3]), today)), "care_leavers {line}");
                assert!(!open.contains(&r[0]), "care_leavers {line}");
                assert!(["Relevant", "Former relevant", "Qualifying", "Eligible"].contains(&r[8].as_str()));
            }
            let in_care: HashSet<&String> = cla.rows.iter().map(|(_, r)| &r[0]).collect();
            for (line, r) in &sheet("adoptions").rows {
                assert!(in_care.contains(&r[0]), "adoptions {line}");
                assert!(age_at(day(&r[4]), today) < 10, "adoptions {line}");
                ordered(
                    "adoptions",
                    *line,
                    &[d(&r[7]), d(&r[8]), d(&r[9]), d(&r[10]), d(&r[11]), d(&r[12])],
                );
                ordered("adoptions", *line, &[d(&r[7]), d(&r[15]), d(&r[8])]);
                together("adoptions", *line, &r[13], &r[14]);
                assert_eq!(r[1].is_empty(), r[10].is_empty(), "adoptions {line}");
            }
            let adopters = sheet("adopters");
            let mut families: HashMap<&String, usize> = HashMap::new();
            for (line, r) in &adopters.rows {
                let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
                assert!(r[0].starts_with("NFA") && digits(&r[0][3..], 6), "adopters {line}");
                assert!(r[1].starts_with("NFF") && digits(&r[1][3..], 5), "adopters {line}");
                *families.entry(&r[1]).or_default() += 1;
                let chain: Vec<Option<NaiveDate>> = (6..=14).chain([16]).map(|c| d(&r[c])).collect();
                // Stages in order, each only once the one before it has been reached.
                ordered("adopters", *line, &chain);
                assert!(
                    chain.windows(2).all(|w| w[0].is_some() || w[1].is_none()),
                    "adopters {line}"
                );
                together("adopters", *line, &r[17], &r[18]);
            }
            assert!(families.values().all(|&n| (1..=2).contains(&n)));
            assert!(families.values().filter(|&&n| n == 2).count() * 3 > families.len());
            let ids: HashSet<&String> = adopters.rows.iter().map(|(_, r)| &r[0]).collect();
            assert_eq!(ids.len(), adopters.rows.len());
        }
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
                // Another record of a child, or a twin: an id of its own, used nowhere else.
                PlantKind::ChiSamePerson | PlantKind::ChiTwin => {
                    assert_eq!(uses(&row[0]), 1, "{t:?}");
                }
                // A child in care made up: in no other table.
                PlantKind::ClaR01 => {
                    let id = &row[0];
                    assert!(sheets["children"].rows.iter().all(|(_, c)| &c[0] != id), "{t:?}");
                    assert_eq!(uses(id), 1, "{t:?}: {id}");
                }
                // A real child never in care.
                PlantKind::AdoR01 => {
                    let id = &row[0];
                    assert!(sheets["children"].rows.iter().any(|(_, c)| &c[0] == id), "{t:?}");
                    assert!(
                        sheets["children_in_care"].rows.iter().all(|(_, c)| &c[0] != id),
                        "{t:?}"
                    );
                }
                // A child still looked after: an open row in children in care.
                PlantKind::ClvR01 => {
                    let id = &row[0];
                    let open = |(_, c): &&(usize, Vec<String>)| &c[0] == id && c[19].is_empty();
                    assert_eq!(sheets["children_in_care"].rows.iter().filter(open).count(), 1, "{t:?}");
                }
                // A real child's only plan, with no enquiry at all.
                PlantKind::Cpp011 => {
                    let id = &row[0];
                    assert!(sheets["children"].rows.iter().any(|(_, c)| &c[0] == id), "{t:?}");
                    assert_eq!(sheets["cp_plans"].rows.iter().filter(|(_, p)| &p[0] == id).count(), 1);
                    assert!(sheets["s47_enquiries"].rows.iter().all(|(_, s)| &s[0] != id), "{t:?}");
                }
                _ => {}
            }
        }
        let count = |k: PlantKind| truth.iter().filter(|t| t.kind == k).count();
        assert_eq!((count(PlantKind::Ref006), count(PlantKind::Cpp007)), (2, 2));
        assert_eq!((count(PlantKind::ClaR01), count(PlantKind::AdoR01)), (2, 2));
        assert_eq!((count(PlantKind::ClvR01), count(PlantKind::Cpp011)), (1, 2));
    }
}
