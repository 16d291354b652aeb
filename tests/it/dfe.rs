//! A statutory pack against the DfE's list of rules (`rules/<return>/dfe-rules.tsv`, the codes
//! and messages of the DfE's validator for each collection year): every code of a shipped year
//! is a rule under that code with the DfE's message word for word, or is listed in
//! `rules/<return>/not-yet-written.tsv` with the reason. The list can only shrink: a code
//! written and still listed fails too.

use std::collections::{BTreeMap, BTreeSet};

use crate::util::{Dir, repo};

/// The DfE's codes for `year` (`2025_26`), with their messages.
fn dfe_codes(folder: &str, year: &str) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo().join("rules").join(folder).join("dfe-rules.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (code, message, years) = (col("code"), col("message"), col("in_rulesets"));
    lines
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f[years].split(' ').any(|y| y == year))
        .map(|f| (f[code].to_string(), f[message].to_string()))
        .collect()
}

/// Codes not yet written for `year`, each with why.
fn not_yet_written(folder: &str, year: &str) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo().join("rules").join(folder).join("not-yet-written.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f[1].split(' ').any(|y| y == year))
        .map(|f| {
            assert!(
                f.len() == 3 && !f[2].trim().is_empty(),
                "a code not yet written says why: {f:?}"
            );
            (f[0].to_string(), f[2].to_string())
        })
        .collect()
}

/// What `cleanse rules` lists for the pack of `year`: each rule id with its messages.
pub fn listed(folder: &str, pack: &str) -> BTreeMap<String, BTreeSet<String>> {
    let dir = Dir::new();
    let path = repo().join("rules").join(folder).join(pack);
    dir.write(
        "cleanse.yaml",
        format!("name: t\nrules:\n  - {}\ninputs: []\n", path.display()),
    );
    let out = dir.cleanse().arg("rules").output();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut rules: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // Two tables (declared rules, then those implied by column declarations), each a header
    // line starting `ID` and rows up to a blank line.
    let mut in_table = false;
    for line in out.stdout.lines() {
        if line.starts_with("ID ") || line.trim().is_empty() {
            in_table = line.starts_with("ID ");
            continue;
        }
        if !in_table {
            continue;
        }
        let mut rest = line;
        let mut fields = Vec::new();
        for _ in 0..4 {
            let (field, after) = rest.split_once(' ').unwrap_or((rest, ""));
            fields.push(field);
            rest = after.trim_start();
        }
        if !fields[0].is_empty() {
            rules.entry(fields[0].to_string()).or_default().insert(rest.to_string());
        }
    }
    rules
}

pub fn agrees(folder: &str, pack: &str, year: &str) {
    let dfe = dfe_codes(folder, year);
    let pending = not_yet_written(folder, year);
    let rules = listed(folder, pack);
    let mut problems = Vec::new();
    for (code, message) in &dfe {
        match (rules.get(code), pending.contains_key(code)) {
            (None, false) => problems.push(format!("{code}: no rule, and not listed as not yet written")),
            (Some(_), true) => problems.push(format!("{code}: written, so take it off not-yet-written.tsv")),
            (Some(messages), false) if messages.iter().any(|m| m != message) => {
                problems.push(format!("{code}: message {messages:?}, the DfE's is {message:?}"))
            }
            _ => {}
        }
    }
    for code in pending.keys().filter(|c| !dfe.contains_key(*c)) {
        problems.push(format!("{code}: listed as not yet written, but not a {year} code"));
    }
    // Besides the DfE's codes, only the date columns' own type checks (`<table>.<column>.type`).
    for id in rules
        .keys()
        .filter(|id| !dfe.contains_key(*id) && !id.ends_with(".type"))
    {
        problems.push(format!("{id}: not a DfE code for {year}"));
    }
    assert!(problems.is_empty(), "{pack}:\n{}", problems.join("\n"));
}
