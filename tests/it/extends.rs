//! What statutory returns' packs need: a year's pack declared as the previous year's plus its
//! amendments (`extends`, `remove`, a rule declared again under its id), read in its own
//! collection year; last year's tables (`like`); one DfE code as a rule on each of several
//! tables; and the mistakes such packs can hold, each refused with the file, line and column.

use std::collections::HashSet;

use crate::util::{Dir, Output};

const BASE: &str = r#"pack: return-2025-26
version: 2025.1
collection_year: 2025-26
tables:
  episodes:
    columns:
      - { name: child, header: CHILD }
      - { name: decom, header: DECOM, type: date }
      - { name: place, header: PLACE }
rules:
  - id: "101"
    table: episodes
    kind: check
    check: decom BETWEEN collection_start() AND collection_end()
    message: The episode does not start in the collection year.
  - id: "102"
    table: episodes
    kind: check
    check: place <> 'X1'
    message: Placement X1 is no longer used.
  - id: "103"
    table: episodes
    kind: check
    check: place <> 'Z9'
    message: Placement Z9 is not a placement.
"#;

const NEXT: &str = r#"pack: return-2026-27
version: 2026.1
collection_year: 2026-27
extends: 2025-26.yaml
remove: ["102"]
tables:
  dolo:
    columns:
      - { name: child, header: CHILD }
      - { name: start, header: DOLO_START, type: date }
rules:
  - id: "103"
    table: episodes
    kind: check
    check: place <> 'Z8'
    message: Placement Z8 is not a placement.
  - id: "700"
    table: dolo
    kind: check
    check: start <= collection_end()
    message: The order starts after the collection year.
"#;

const EPISODES: &str = "CHILD,DECOM,PLACE\nA,01/04/2026,X1\nB,31/03/2026,Z9\nC,01/05/2026,Z8\n";

/// A folder with both years' packs, the episodes, and a configuration naming `rules` for `year`.
fn return_dir(year: &str, rules: &str, dolo: bool) -> Dir {
    let dir = Dir::new();
    dir.write("2025-26.yaml", BASE);
    dir.write("2026-27.yaml", NEXT);
    dir.write("episodes.csv", EPISODES);
    dir.write("dolo.csv", "CHILD,DOLO_START\nA,01/04/2027\nA,31/03/2027\n");
    let dolo = if dolo {
        "  - { table: dolo, file: dolo.csv }\n"
    } else {
        ""
    };
    dir.write(
        "cleanse.yaml",
        format!(
            "collection_year: {year}\nrules: [{rules}]\ninputs:\n  - {{ table: episodes, file: episodes.csv }}\n{dolo}"
        ),
    );
    dir
}

fn rules(dir: &Dir, table: &str, lines: std::ops::RangeInclusive<u64>) -> Vec<HashSet<String>> {
    let latest = dir.latest();
    lines
        .map(|l| latest.rules_on_line(table, l).into_iter().map(str::to_owned).collect())
        .collect()
}

fn set(ids: &[&str]) -> HashSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_year_is_the_year_before_with_its_amendments_and_in_its_own_dates() {
    let dir = return_dir("2025-26", "2025-26.yaml", false);
    dir.run(&[]).expect_code(0);
    assert_eq!(
        rules(&dir, "episodes", 2..=4),
        [set(&["101", "102"]), set(&["103"]), set(&["101"])],
        "2025-26 on its own"
    );

    let dir = return_dir("2026-27", "2026-27.yaml", true);
    dir.run(&[]).expect_code(0);
    // 101 is inherited and reads 2026-27's dates; 102 is removed; 103 is amended; 700 is new,
    // on a table the later year adds.
    assert_eq!(
        rules(&dir, "episodes", 2..=4),
        [set(&[]), set(&["101"]), set(&["103"])],
        "2026-27, extending 2025-26"
    );
    assert_eq!(rules(&dir, "dolo", 2..=3), [set(&["700"]), set(&[])]);
    let run = dir.read("out/latest/run.json");
    assert!(
        run.contains("return-2025-26") && run.contains("return-2026-27"),
        "run.json records both packs: {run}"
    );
    // The later year's messages are its own.
    let exceptions = dir.read("out/latest/exceptions.csv");
    assert!(exceptions.contains("Placement Z8 is not a placement."), "{exceptions}");
    assert!(!exceptions.contains("Placement Z9"), "{exceptions}");
}

/// A broken variant of the later year's pack (`edit` applied to it), run with `rules`.
fn broken(edit: impl Fn(&str) -> String, rules: &str) -> Output {
    let dir = return_dir("2026-27", rules, true);
    dir.write("2026-27.yaml", edit(NEXT));
    let out = dir.run(&[]).expect_code(2);
    assert!(!dir.exists("out/latest"), "a failed run publishes nothing");
    out
}

#[track_caller]
fn refused(out: &Output, code: &str, at: &str) {
    assert!(out.stderr.starts_with(&format!("error[{code}]: ")), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("--> {at}\n")),
        "want {at}:\n{}",
        out.stderr
    );
}

#[test]
fn removing_a_rule_the_earlier_year_does_not_have_is_refused_with_a_suggestion() {
    let out = broken(
        |p| p.replace(r#"remove: ["102"]"#, r#"remove: ["1O2"]"#),
        "2026-27.yaml",
    );
    refused(&out, "unknown-rule-id", "2026-27.yaml:5:10");
    insta::assert_snapshot!(out.stderr);
}

#[test]
fn a_pack_read_on_its_own_and_as_the_one_extended_is_refused() {
    let out = broken(|p| p.to_string(), "2025-26.yaml, 2026-27.yaml");
    refused(&out, "pack-read-twice", "2026-27.yaml:4:10");
}

#[test]
fn packs_that_extend_each_other_or_leave_their_folder_are_refused() {
    let dir = return_dir("2026-27", "2026-27.yaml", true);
    dir.write(
        "2025-26.yaml",
        BASE.replace(
            "collection_year: 2025-26\n",
            "collection_year: 2025-26\nextends: 2026-27.yaml\n",
        ),
    );
    let out = dir.run(&[]).expect_code(2);
    refused(&out, "extends-loop", "2025-26.yaml:4:10");

    let out = broken(
        |p| p.replace("extends: 2025-26.yaml", "extends: ../2025-26.yaml"),
        "2026-27.yaml",
    );
    refused(&out, "bad-extends", "2026-27.yaml:4:10");

    let out = broken(
        |p| p.replace("extends: 2025-26.yaml", "extends: 2025-25.yaml"),
        "2026-27.yaml",
    );
    refused(&out, "bad-extends", "2026-27.yaml:4:10");
    assert!(
        out.stderr.contains("there is no such file beside this pack"),
        "{}",
        out.stderr
    );

    let out = broken(|p| p.replace("extends: 2025-26.yaml\n", ""), "2026-27.yaml");
    refused(&out, "remove-without-extends", "2026-27.yaml:4:10");
}

/// A configuration checks one collection year: a pack written for another is refused, pointing
/// at the pack's year and saying which to change.
#[test]
fn a_pack_for_another_collection_year_is_refused() {
    let dir = return_dir("2026-27", "2025-26.yaml", false);
    let out = dir.run(&[]).expect_code(2);
    refused(&out, "collection-year-mismatch", "2025-26.yaml:3:18");
    assert!(
        out.stderr.contains(
            "help: name the pack for 2026-27 in `rules:`, or set `collection_year: 2025-26` in the configuration\n"
        ),
        "{}",
        out.stderr
    );
}

/// `cleanse test` and `cleanse check` over a folder that holds both years: each year's pack is
/// loaded on its own, and each example runs in its own pack's year (2025-26's first-day
/// example would fail if it ran in 2026-27's dates).
#[test]
fn a_folder_of_years_is_checked_and_tested_year_by_year() {
    let dir = Dir::new();
    let examples =
        "    examples:\n      - pass: { child: A, decom: 01/04/2025 }\n      - fail: { child: A, decom: 01/04/2026 }\n";
    let base = BASE.replace(
        "    message: The episode does not start in the collection year.\n",
        &format!("    message: The episode does not start in the collection year.\n{examples}"),
    );
    let next = NEXT.replace(
        "    message: The order starts after the collection year.\n",
        "    message: The order starts after the collection year.\n    examples:\n      - pass: { child: A, start: 31/03/2027 }\n      - fail: { child: A, start: 01/04/2027 }\n",
    );
    dir.write("packs/2025-26.yaml", base);
    dir.write("packs/2026-27.yaml", next);
    let out = dir.cleanse().args(["test", "packs"]).output().expect_code(0);
    assert!(
        out.stdout.ends_with("test result: ok. 4 passed; 0 failed\n"),
        "{}",
        out.stdout
    );
    let out = dir.cleanse().args(["check", "packs"]).output().expect_code(0);
    assert!(out.stdout.contains("no problems"), "{}", out.stdout);
}

/// Last year's return beside this year's: a table `like` another has its columns, and a rule
/// comparing the two is not checked, said once, when last year's export is not given.
#[test]
fn last_years_table_is_declared_like_this_years() {
    let dir = Dir::new();
    dir.write(
        "pack.yaml",
        r#"pack: return
version: 1.0.0
tables:
  episodes:
    columns:
      - { name: child, header: CHILD }
      - { name: decom, header: DECOM, type: date }
  episodes_last:
    like: episodes
rules:
  - id: "1000"
    table: episodes
    kind: reference
    when: decom < '2025-04-01'
    columns: [child]
    references: episodes_last
    message: A child looked after before the year is not in last year's return.
"#,
    );
    dir.write(
        "episodes.csv",
        "CHILD,DECOM\nA,01/01/2025\nB,01/02/2025\nC,01/05/2025\n",
    );
    dir.write("last.csv", "CHILD,DECOM\nA,01/01/2025\n");
    let config = |last: bool| {
        let last = if last {
            "  - { table: episodes_last, file: last.csv }\n"
        } else {
            ""
        };
        format!("rules: [pack.yaml]\ninputs:\n  - {{ table: episodes, file: episodes.csv }}\n{last}")
    };
    dir.write("cleanse.yaml", config(true));
    dir.run(&[]).expect_code(0);
    assert_eq!(rules(&dir, "episodes", 2..=4), [set(&[]), set(&["1000"]), set(&[])]);
    assert_eq!(
        dir.latest().corrected("episodes_last").rows.len(),
        1,
        "last year's rows are routed too"
    );

    dir.write("cleanse.yaml", config(false));
    dir.run(&[]).expect_code(0);
    let exceptions = dir.read("out/latest/exceptions.csv");
    let not_checked: Vec<&str> = exceptions.lines().filter(|l| l.contains("1000")).collect();
    assert_eq!(not_checked.len(), 1, "{exceptions}");
    assert!(
        not_checked[0].contains(",not checked,,CHILD,,\"Not checked: no export was given for `episodes_last`"),
        "{exceptions}"
    );

    dir.write(
        "pack.yaml",
        dir.read("pack.yaml")
            .replace("    like: episodes\n", "    like: episode\n"),
    );
    let out = dir.run(&[]).expect_code(2);
    assert!(out.stderr.starts_with("error[unknown-table]: "), "{}", out.stderr);
    assert!(out.stderr.contains("--> pack.yaml:9:11\n"), "{}", out.stderr);
    assert!(out.stderr.contains("help: did you mean `episodes`?"), "{}", out.stderr);
}

/// A DfE code that flags rows in two tables is a rule on each, under the code as its id: both
/// report under it, each part's examples run with that part alone, and an id used twice on one
/// table (or in two packs) is still refused.
#[test]
fn one_code_is_a_rule_on_each_table_it_flags() {
    let dir = Dir::new();
    let pack = r#"pack: return
version: 1.0.0
tables:
  header:
    columns:
      - { name: child, header: CHILD }
      - { name: sex, header: SEX }
  episodes:
    columns:
      - { name: child, header: CHILD }
      - { name: place, header: PLACE }
rules:
  - id: "302"
    table: episodes
    kind: check
    check: place IS NOT NULL
    message: The child has no header record, or an episode with no placement.
    examples:
      # The header part would report this header row: the example runs this part alone.
      - pass: { child: A, place: U1 }
        other: { header: [ { child: A, sex: "9" } ] }
      - fail: { child: A }
  - id: "302"
    table: header
    kind: check
    check: sex IN ('1', '2')
    message: The child has no header record, or an episode with no placement.
    examples:
      - pass: { child: A, sex: "1" }
      - fail: { child: A, sex: "9" }
"#;
    dir.write("pack.yaml", pack);
    let out = dir.cleanse().args(["test", "pack.yaml"]).output().expect_code(0);
    assert!(
        out.stdout.ends_with("test result: ok. 4 passed; 0 failed\n"),
        "{}",
        out.stdout
    );

    dir.write("header.csv", "CHILD,SEX\nA,1\nB,9\n");
    dir.write("episodes.csv", "CHILD,PLACE\nA,U1\nB,\n");
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: header, file: header.csv }\n  - { table: episodes, file: episodes.csv }\n",
    );
    dir.run(&[]).expect_code(0);
    assert_eq!(rules(&dir, "header", 2..=3), [set(&[]), set(&["302"])]);
    assert_eq!(rules(&dir, "episodes", 2..=3), [set(&[]), set(&["302"])]);

    // Twice on one table is still a mistake.
    dir.write(
        "pack.yaml",
        pack.replace(
            "    table: header\n    kind: check",
            "    table: episodes\n    kind: check",
        ),
    );
    let out = dir.run(&[]).expect_code(2);
    assert!(out.stderr.starts_with("error[duplicate-rule-id]: "), "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "help: first used at pack.yaml:13, also on table `episodes`; a rule id may be used once per table"
        ),
        "{}",
        out.stderr
    );
}
