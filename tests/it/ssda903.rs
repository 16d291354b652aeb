//! The shipped SSDA903 packs: against the DfE's list of rules (csc-validator-be-903 0.1.17's
//! codes and messages, see `dfe`), the DfE tool's two views, and agreement with its findings.

use std::collections::BTreeMap;

use crate::util::{Dir, repo};

#[test]
fn the_2025_26_pack_has_every_dfe_code_with_its_message() {
    crate::dfe::agrees("ssda903", "2025-26.yaml", "2025_26");
}

#[test]
fn the_2026_27_pack_has_every_dfe_code_with_its_message() {
    crate::dfe::agrees("ssda903", "2026-27.yaml", "2026_27");
}

/// A small return checked with the 2025/26 pack: the error summary has one line per DfE
/// code, and the child-level list has every finding on a record, by child.
#[test]
fn a_return_gets_the_dfe_tools_two_views() {
    let dir = Dir::new();
    let pack = repo().join("rules/ssda903/2025-26.yaml");
    dir.write(
        "cleanse.yaml",
        format!(
            "name: t\nrules:\n  - {}\ninputs:\n  - {{ table: header, file: header.csv }}\n  - {{ table: episodes, file: episodes.csv }}\n",
            pack.display()
        ),
    );
    dir.write(
        "header.csv",
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nC2,X,01/02/2012,WBRI,A123456789012,,\nC1,M,01/02/2012,WBRI,A123456789013,,\n",
    );
    dir.write(
        "episodes.csv",
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n\
         C1,01/05/2025,S,C2,N1,U1,PR1,,,,NF1 1AA,NF2 2BB,\n\
         C2,01/05/2025,S,C2,N9,U1,PR1,,,,NF1 1AA,NF2 2BB,\n",
    );
    let out = dir.run(&[]);
    assert!(out.code <= 1, "{}", out.stderr);
    let rules = dir.read("out/latest/rules.csv");
    assert!(rules.starts_with("rule_id,tables,severity,findings,not_checked,not_run,message,columns\n"));
    assert!(
        rules.contains("\n101,header,error,1,0,,The child or young person’s reported sex is not valid.,SEX\n"),
        "{rules}"
    );
    assert!(rules.contains("\n145,episodes,error,1,0,,"), "{rules}");
    let by_child = dir.read("out/latest/by_child.csv");
    let lines: Vec<&str> = by_child.lines().collect();
    assert_eq!(
        lines[0],
        "child,table,line,rule_id,severity,status,columns,value,message"
    );
    let children: Vec<&str> = lines[1..].iter().map(|l| l.split(',').next().unwrap()).collect();
    let mut sorted = children.clone();
    sorted.sort_unstable();
    assert_eq!(children, sorted, "{by_child}");
    assert!(lines.iter().any(|l| l.starts_with("C2,header,2,101,")), "{by_child}");
    assert!(lines.iter().any(|l| l.starts_with("C2,episodes,3,145,")), "{by_child}");
}

/// Cleanse's findings on the demo return against the DfE validator's own, recorded by
/// `scripts/ssda903-oracle.py` in `fixtures/ssda903/dfe-findings.csv` (each DfE rule run on
/// its own).
#[test]
fn the_demo_return_agrees_with_the_dfe_validator() {
    let fixture = repo().join("fixtures/ssda903");
    let dir = Dir::new();
    agrees_with_the_dfe(&dir, &fixture, &fixture.join("cleanse.yaml"), 150);
}

/// The same at 10,000 children: the return is generated again (the generator is
/// deterministic), the DfE's findings on it are in `fixtures/ssda903/10000/`.
#[test]
fn a_10000_child_return_agrees_with_the_dfe_validator() {
    let dir = Dir::new();
    let data = dir.join("return");
    let out = dir
        .cleanse()
        .args(["--quiet", "generate", "--ssda903", "10000", "--last-year", "--rules"])
        .arg(repo().join("rules/ssda903/2025-26.yaml"))
        .arg("--out")
        .arg(&data)
        .output();
    assert_eq!(out.code, 0, "{}", out.stderr);
    agrees_with_the_dfe(
        &dir,
        &repo().join("fixtures/ssda903/10000"),
        &data.join("cleanse.yaml"),
        1500,
    );
}

/// The URN rules read Ofsted's provider list beside a generated return: on a clean return they
/// run and find nothing (the list agrees with every placement); without the list each is
/// reported once as not checked, saying what to give.
#[test]
fn the_urn_rules_read_the_ofsted_list_or_say_it_is_missing() {
    const URN_RULES: [&str; 7] = ["1008", "219", "221", "224", "227", "228", "229"];
    let dir = Dir::new();
    let data = dir.join("return");
    let out = dir
        .cleanse()
        .args(["--quiet", "generate", "--ssda903", "300", "--clean", "--rules"])
        .arg(repo().join("rules/ssda903/2025-26.yaml"))
        .arg("--out")
        .arg(&data)
        .output();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let summary = |out_dir: &str| -> BTreeMap<String, (String, String)> {
        let mut reader = csv::Reader::from_path(dir.join(out_dir).join("latest/rules.csv")).unwrap();
        reader
            .records()
            .map(Result::unwrap)
            .filter(|r| URN_RULES.contains(&&r[0]))
            .map(|r| (r[0].to_string(), (r[3].to_string(), r[5].to_string())))
            .collect()
    };
    let run = |config: &std::path::Path, out_dir: &str| {
        let out = dir
            .cleanse()
            .args(["--quiet", "run", "--out"])
            .arg(dir.join(out_dir))
            .arg("--config")
            .arg(config)
            .output();
        assert!(out.code <= 1, "{}", out.stderr);
    };
    run(&data.join("cleanse.yaml"), "with");
    let with = summary("with");
    assert_eq!(with.len(), 7, "{with:?}");
    for (code, (findings, not_run)) in &with {
        assert_eq!((findings.as_str(), not_run.as_str()), ("0", ""), "{code}");
    }
    let config = std::fs::read_to_string(data.join("cleanse.yaml")).unwrap();
    let without: String = config
        .lines()
        .filter(|l| !l.starts_with("ofsted_providers"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(config, without, "the generated configuration names the list");
    std::fs::write(data.join("without.yaml"), without).unwrap();
    run(&data.join("without.yaml"), "without");
    for (code, (findings, not_run)) in summary("without") {
        assert_eq!(findings, "0", "{code}");
        assert!(
            not_run.contains("add `ofsted_providers: { files: [...] }`"),
            "{code}: {not_run}"
        );
    }
}

/// Run `config` and compare with the DfE's findings in `fixture`: every code both have must
/// flag the same rows, apart from rows Cleanse reports as not checked, rules the DfE's code
/// crashes on, and the codes in `rules/ssda903/known-differences.tsv`; at least 99.5% of the
/// rows flagged outside those must agree, and there must be more than `least` of them.
fn agrees_with_the_dfe(dir: &Dir, fixture: &std::path::Path, config: &std::path::Path, least: usize) {
    use std::collections::{BTreeSet, HashMap};
    let read = |p: std::path::PathBuf| std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let mut dfe: HashMap<String, BTreeSet<(String, u64)>> = HashMap::new();
    for line in read(fixture.join("dfe-findings.csv")).lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        dfe.entry(f[0].into())
            .or_default()
            .insert((f[1].into(), f[2].parse::<u64>().unwrap() + 2));
    }
    let outcome: HashMap<String, String> = read(fixture.join("dfe-rules.csv"))
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.splitn(3, ',').collect();
            (f[0].to_string(), f[1].to_string())
        })
        .collect();
    let known: BTreeSet<String> = read(repo().join("rules/ssda903/known-differences.tsv"))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    // The codes the pack has (the others are on not-yet-written.tsv).
    let ours: BTreeSet<String> = read(repo().join("rules/ssda903/2025-26.yaml"))
        .lines()
        .filter_map(|l| l.strip_prefix("  - id: "))
        .map(|id| id.trim().trim_matches('"').to_string())
        .collect();
    let out = dir
        .cleanse()
        .args(["--quiet", "run", "--out"])
        .arg(dir.join("out"))
        .arg("--config")
        .arg(config)
        .output();
    assert!(out.code <= 1, "{}", out.stderr);
    let mut reader = csv::Reader::from_path(dir.join("out/latest/exceptions.csv")).unwrap();
    // Per code, the rows it flags (table, line); and (code, table, line) it could not check.
    let mut found: HashMap<String, BTreeSet<(String, u64)>> = HashMap::new();
    let mut unchecked: BTreeSet<(String, String, u64)> = BTreeSet::new();
    for r in reader.records() {
        let r = r.unwrap();
        let Ok(line) = r[2].parse::<u64>() else { continue };
        if &r[7] == "not checked" {
            unchecked.insert((r[5].to_string(), r[0].to_string(), line));
        } else {
            found
                .entry(r[5].to_string())
                .or_default()
                .insert((r[0].to_string(), line));
        }
    }
    let empty = BTreeSet::new();
    let (mut agree, mut total, mut problems) = (0usize, 0usize, Vec::new());
    for (code, result) in &outcome {
        if result != "ran" || !ours.contains(code) {
            continue;
        }
        let theirs = dfe.get(code).unwrap_or(&empty);
        let ours = found.get(code).unwrap_or(&empty);
        let only_theirs: Vec<_> = theirs
            .difference(ours)
            .filter(|(t, l)| !unchecked.contains(&(code.clone(), t.clone(), *l)))
            .collect();
        let only_ours: Vec<_> = ours.difference(theirs).collect();
        if known.contains(code) {
            continue;
        }
        agree += theirs.intersection(ours).count();
        total += theirs.intersection(ours).count() + only_theirs.len() + only_ours.len();
        if !only_theirs.is_empty() || !only_ours.is_empty() {
            let first = |v: &[&(String, u64)]| {
                v.iter()
                    .take(5)
                    .map(|(t, l)| format!("{t} line {l}"))
                    .collect::<Vec<_>>()
            };
            problems.push(format!(
                "{code}: only the DfE {} (first {:?}), only Cleanse {} (first {:?})",
                only_theirs.len(),
                first(&only_theirs),
                only_ours.len(),
                first(&only_ours)
            ));
        }
    }
    assert!(total > least, "too few findings to compare: {total}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(agree * 1000 >= total * 995, "{agree} of {total}");
}
