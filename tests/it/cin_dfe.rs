//! Cleanse's findings on a Children in Need census against the DfE validator's own
//! (csc-validator-be-cin 0.1.13, each rule run on its own on a deep copy of the census by
//! `scripts/cin-oracle.py`, recorded as `dfe-findings.csv` and `dfe-rules.csv` beside it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::util::{Dir, repo};

/// The demo census (`fixtures/cin/census.xml`) with its configuration, as in the repository.
#[test]
fn the_demo_census_agrees_with_the_dfe_validator() {
    let fixture = repo().join("fixtures/cin");
    let dir = Dir::new();
    agrees_with_the_dfe(&dir, &fixture, &fixture.join("cleanse.yaml"), 2);
}

/// The same on 1,000 children: the census is generated again (the generator is deterministic,
/// see `fixtures/cin/1000/README.md`), the DfE's findings on it are in `fixtures/cin/1000/`.
#[test]
fn a_1000_child_census_agrees_with_the_dfe_validator() {
    generated_agrees_with_the_dfe(1000, 20);
}

/// The same on 10,000 children (`fixtures/cin/10000/`).
#[test]
fn a_10000_child_census_agrees_with_the_dfe_validator() {
    generated_agrees_with_the_dfe(10000, 200);
}

/// A census of `children` generated again as `fixtures/cin/<children>/README.md` says, against the
/// DfE's findings recorded there.
fn generated_agrees_with_the_dfe(children: usize, least: usize) {
    let dir = Dir::new();
    let data = dir.join("census");
    let out = dir
        .cleanse()
        .args(["--quiet", "generate", "--cin"])
        .arg(children.to_string())
        .args(["--seed", "42", "--as-of", "2026-03-31", "--rules"])
        .arg(repo().join("rules/cin/2025-26.yaml"))
        .arg("--out")
        .arg(&data)
        .output();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let fixture = repo().join(format!("fixtures/cin/{children}"));
    agrees_with_the_dfe(&dir, &fixture, &data.join("cleanse.yaml"), least);
}

/// The line of a DfE row that is none of Cleanse's (see `scripts/cin-oracle.py`): never matched.
const NO_ROW: u64 = u64::MAX;

/// Per DfE code, the rows both flag, the rows only the DfE flags, the rows only Cleanse flags.
#[derive(Default)]
struct Tally {
    both: usize,
    dfe_only: Vec<(String, u64)>,
    cleanse_only: Vec<(String, u64)>,
}

/// The codes (first field) of a tab-separated list of `rules/cin/`, comments and blanks left out.
fn codes(file: &str) -> BTreeSet<String> {
    let path = repo().join("rules/cin").join(file);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap().trim().to_string())
        .collect()
}

/// Run `config` and compare, code by code, the rows (table, line: the row's place in its table)
/// Cleanse flags with those the DfE's validator flags in `fixture`. Left out of the comparison: codes
/// Cleanse does not have yet (`rules/cin/not-yet-written.tsv`), codes that differ on purpose
/// (`rules/cin/known-differences.tsv`), rules the DfE's code crashes on, and rows Cleanse
/// reports as not checked (a value the rule reads did not parse, which the DfE blanks silently),
/// and rows of Cleanse's that the DfE's reader skips (`census_rows`).
/// A return-level finding (the DfE's has no row, Cleanse's no line) is compared by code alone.
/// Any other difference fails, naming the agreement; so do fewer than `least` rows compared.
fn agrees_with_the_dfe(dir: &Dir, fixture: &Path, config: &Path, least: usize) {
    let reader = |p: &Path| csv::Reader::from_path(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let census = config.with_file_name("census.xml");
    let children = children_by_line(&census);
    let (unread, element_lines) = census_rows(&census);
    // The DfE's findings, per code: (table, Cleanse's line for the row); line 0 for the return,
    // NO_ROW for a row Cleanse does not have (a child with no ChildIdentifiers block).
    let mut dfe: BTreeMap<String, BTreeSet<(String, u64)>> = BTreeMap::new();
    for r in reader(&fixture.join("dfe-findings.csv")).records() {
        let r = r.unwrap();
        let line: u64 = if r[2].is_empty() { NO_ROW } else { r[2].parse().unwrap() };
        let element_line: u64 = r[4].parse().unwrap();
        // Recorded on this census: the row's element is on the line recorded, in the child named.
        if line != 0 && line != NO_ROW {
            assert_eq!(
                element_lines.get(&(r[1].to_string(), line)),
                Some(&element_line),
                "{}: {} line {line} is not the element on line {element_line} of the census: the fixture was \
                 recorded on another census; record it again (see its README or scripts/cin-oracle.py)",
                fixture.display(),
                &r[1],
            );
        }
        if element_line > 0 && !r[3].is_empty() {
            let here = children.get(element_line as usize - 1).map(String::as_str);
            assert_eq!(
                here,
                Some(&r[3]),
                "{}: the {} element on line {element_line} is not in child {}'s record: the fixture \
                 was recorded on another census; record it again (see its README or scripts/cin-oracle.py)",
                fixture.display(),
                &r[1],
                &r[3]
            );
        }
        let table = if line == 0 { "" } else { &r[1] };
        dfe.entry(r[0].to_string())
            .or_default()
            .insert((table.to_string(), line));
    }
    let ran: BTreeSet<String> = reader(&fixture.join("dfe-rules.csv"))
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[1] == "ran")
        .map(|r| r[0].to_string())
        .collect();
    assert!(!ran.is_empty(), "no rule ran in {}", fixture.display());
    let not_yet = codes("not-yet-written.tsv");
    let known = codes("known-differences.tsv");
    let compared: BTreeSet<&String> = ran
        .iter()
        .filter(|c| !not_yet.contains(*c) && !known.contains(*c))
        .collect();

    let out = dir
        .cleanse()
        .args(["--quiet", "run", "--out"])
        .arg(dir.join("out"))
        .arg("--config")
        .arg(config)
        .output();
    assert!(out.code <= 1, "{}", out.stderr);
    // Cleanse's findings of the DfE's codes, per code (its own, `ingest.*` and `*.type`, have
    // no DfE code); and (code, table, line) it could not check.
    let mut found: BTreeMap<String, BTreeSet<(String, u64)>> = BTreeMap::new();
    let mut unchecked: BTreeSet<(String, String, u64)> = BTreeSet::new();
    for r in reader(&dir.join("out/latest/exceptions.csv")).records() {
        let r = r.unwrap();
        let (table, code, status) = (&r[0], &r[5], &r[7]);
        if !ran.contains(code) {
            continue;
        }
        let line: u64 = if r[2].is_empty() { 0 } else { r[2].parse().unwrap() };
        let table = if line == 0 { "" } else { table };
        if status == "not checked" {
            unchecked.insert((code.to_string(), table.to_string(), line));
        } else {
            found
                .entry(code.to_string())
                .or_default()
                .insert((table.to_string(), line));
        }
    }

    let empty = BTreeSet::new();
    let mut tallies: BTreeMap<&String, Tally> = BTreeMap::new();
    for &code in &compared {
        let theirs = dfe.get(code).unwrap_or(&empty);
        let ours = found.get(code).unwrap_or(&empty);
        let tally = Tally {
            both: theirs.intersection(ours).count(),
            dfe_only: theirs
                .difference(ours)
                .filter(|(t, l)| !unchecked.contains(&(code.clone(), t.clone(), *l)))
                .cloned()
                .collect(),
            cleanse_only: ours
                .difference(theirs)
                .filter(|r| !unread.contains(*r))
                .cloned()
                .collect(),
        };
        tallies.insert(code, tally);
    }
    let both: usize = tallies.values().map(|t| t.both).sum();
    let dfe_only: usize = tallies.values().map(|t| t.dfe_only.len()).sum();
    let cleanse_only: usize = tallies.values().map(|t| t.cleanse_only.len()).sum();
    let total = both + dfe_only + cleanse_only;
    let rate = if total == 0 {
        100.0
    } else {
        100.0 * both as f64 / total as f64
    };
    let at = |v: &[(String, u64)]| {
        v.iter()
            .take(5)
            .map(|(t, l)| match *l {
                0 => "the return".to_string(),
                NO_ROW => format!("{t}, a row Cleanse does not have"),
                l => format!("{t} line {l}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let side = |who: &str, v: &[(String, u64)]| match v.len() {
        0 => format!("only {who} 0"),
        n => format!("only {who} {n} (first: {})", at(v)),
    };
    let problems: Vec<String> = tallies
        .iter()
        .filter(|(_, t)| !t.dfe_only.is_empty() || !t.cleanse_only.is_empty())
        .map(|(code, t)| {
            format!(
                "{code}: both {}, {}, {}",
                t.both,
                side("the DfE", &t.dfe_only),
                side("Cleanse", &t.cleanse_only)
            )
        })
        .collect();
    let summary = format!(
        "{}: {} codes compared; {both} of {total} rows flagged agree ({rate:.1}%): \
         {dfe_only} only the DfE's, {cleanse_only} only Cleanse's",
        fixture.display(),
        compared.len()
    );
    eprintln!("{summary}");
    assert!(problems.is_empty(), "{summary}\n{}", problems.join("\n"));
    assert!(total >= least, "{summary}: too few rows to compare (at least {least})");
}

/// For each line of the census (from 0), the LAchildID of the child whose record it is in (the
/// first `<LAchildID>` after the `<Child>` it is in; blank outside a child or with none).
fn children_by_line(census: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(census).unwrap_or_else(|e| panic!("{}: {e}", census.display()));
    let lines: Vec<&str> = text.lines().collect();
    let mut out = vec![String::new(); lines.len()];
    let mut start = None;
    for (i, line) in lines.iter().enumerate() {
        if line.contains("<Child>") {
            start = Some(i);
        }
        if line.contains("</Child>")
            && let Some(s) = start.take()
        {
            let id = lines[s..=i]
                .iter()
                .find_map(|l| {
                    let from = l.find("<LAchildID>")? + "<LAchildID>".len();
                    let to = l[from..].find("</LAchildID>")? + from;
                    Some(l[from..to].to_string())
                })
                .unwrap_or_default();
            out[s..=i].iter_mut().for_each(|c| c.clone_from(&id));
        }
    }
    out
}

/// Cleanse's rows (table, line: the row's place among its table's elements, from 1) that the DfE's
/// validator does not read, and each row's element's line in the file. The DfE's reader takes
/// only the first of some elements among their namesakes (ElementTree's `find`): the Header,
/// Children, ChildIdentifiers, ChildCharacteristics, Disabilities and FactorsIdentifiedAtAssessment
/// blocks, and a Reviews element's CPPreviewDate; Cleanse reads every one, a row each. A finding
/// on such a row is not one the DfE could have made.
#[allow(clippy::type_complexity)]
fn census_rows(census: &Path) -> (BTreeSet<(String, u64)>, BTreeMap<(String, u64), u64>) {
    use quick_xml::events::Event;
    use std::collections::HashMap;
    const FIRST_ONLY: [&str; 7] = [
        "Header",
        "Children",
        "ChildIdentifiers",
        "ChildCharacteristics",
        "Disabilities",
        "FactorsIdentifiedAtAssessment",
        "CPPreviewDate",
    ];
    // The tables' elements, as the pack declares them.
    let child = "Message/Children/Child";
    let tables: HashMap<String, &str> = [
        ("Message/Header".to_string(), "header"),
        (format!("{child}/ChildIdentifiers"), "child_identifiers"),
        (format!("{child}/ChildCharacteristics"), "child_characteristics"),
        (
            format!("{child}/ChildCharacteristics/Disabilities/Disability"),
            "disabilities",
        ),
        (format!("{child}/CINdetails"), "cin_details"),
        (format!("{child}/CINdetails/Assessments"), "assessments"),
        (
            format!("{child}/CINdetails/Assessments/FactorsIdentifiedAtAssessment/AssessmentFactors"),
            "assessment_factors",
        ),
        (format!("{child}/CINdetails/CINPlanDates"), "cin_plan_dates"),
        (format!("{child}/CINdetails/Section47"), "section47"),
        (
            format!("{child}/CINdetails/ChildProtectionPlans"),
            "child_protection_plans",
        ),
        (
            format!("{child}/CINdetails/ChildProtectionPlans/Reviews/CPPreviewDate"),
            "reviews",
        ),
    ]
    .into_iter()
    .collect();
    let text = std::fs::read_to_string(census).unwrap_or_else(|e| panic!("{}: {e}", census.display()));
    let mut reader = quick_xml::Reader::from_str(&text);
    // The open elements: name, whether the DfE reads it, how many children of each name so far.
    let mut open: Vec<(String, bool, HashMap<String, usize>)> = Vec::new();
    let mut rows: HashMap<&str, u64> = HashMap::new();
    let mut unread = BTreeSet::new();
    let mut lines = BTreeMap::new();
    // The line the reader is at: newlines counted up to `counted` bytes.
    let (mut line_no, mut counted) = (1u64, 0usize);
    loop {
        let at = reader.buffer_position() as usize;
        line_no += text.as_bytes()[counted..at].iter().filter(|&&b| b == b'\n').count() as u64;
        counted = at;
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("{}: {e}", census.display()));
        let (start, empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                open.pop();
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = start.local_name().into_inner().to_string();
        let path = open
            .iter()
            .map(|(n, _, _)| n.as_str())
            .chain([name.as_str()])
            .collect::<Vec<_>>()
            .join("/");
        let read = match open.last_mut() {
            Some((_, read, seen)) => {
                let nth = seen.entry(name.clone()).or_default();
                *nth += 1;
                *read && !(FIRST_ONLY.contains(&name.as_str()) && *nth > 1)
            }
            None => true,
        };
        if let Some(&table) = tables.get(&path) {
            let line = rows.entry(table).or_default();
            *line += 1;
            lines.insert((table.to_string(), *line), line_no);
            if !read {
                unread.insert((table.to_string(), *line));
            }
        }
        if !empty {
            open.push((name, read, HashMap::new()));
        }
    }
    (unread, lines)
}
