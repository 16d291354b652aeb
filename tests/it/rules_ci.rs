//! Rules as code: `cleanse check` validates packs and configurations with no
//! data; `cleanse test` runs the examples rules and corrections carry.

use crate::util::Dir;

const PACK: &str = r#"pack: council
version: 1.0.0
examples_as_of: 2026-03-31
tables:
  plans:
    key: [child_id, start]
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: start, header: Start, type: date, required: true }
      - { name: end, header: End, type: date }
      - { name: team, header: Team }
rules:
  - id: LOCAL-001
    table: plans
    kind: check
    check: end >= start
    message: The plan ends before it starts.
    examples:
      - pass: { child_id: NF000001, start: 01/03/2024, end: 01/09/2024 }
      - fail: { child_id: NF000001, start: 01/03/2024, end: 01/02/2024 }
  - id: LOCAL-002
    table: plans
    kind: clean_text
    columns: [team]
    severity: warning
    message: The team has stray spaces.
    examples:
      - pass: { child_id: NF000001, start: 01/03/2024, team: North Team }
      - fail: { child_id: NF000001, start: 01/03/2024, team: " North Team" }
    fix:
      kind: normalise
      apply: safe
      examples:
        - { in: " North  Team ", out: North Team }
"#;

fn council() -> Dir {
    let dir = Dir::new();
    dir.write("council/pack.yaml", PACK);
    dir
}

#[test]
fn the_shipped_packs_and_demo_configuration_check_clean() {
    let dir = Dir::new().with_demo();
    let out = dir
        .cleanse()
        .args(["check", "rules", "cleanse.yaml"])
        .output()
        .expect_code(0);
    assert_eq!(out.stdout, "Checked 7 files: no problems.\n");
    // No path: ./cleanse.yaml and the packs it names. The exports are not needed.
    std::fs::remove_dir_all(dir.join("fixtures")).unwrap();
    let out = dir.cleanse().arg("check").output().expect_code(0);
    assert_eq!(out.stdout, "Checked 2 files: no problems.\n");
}

#[test]
fn check_reports_every_problem_in_every_file_with_exit_1() {
    let dir = council();
    dir.write(
        "council/broken.yaml",
        "pack: broken\nversion: 1.0.0\nrules:\n  - id: LOCAL-001\n    table: plan\n    kind: requried\n    message: x\n",
    );
    let out = dir
        .cleanse()
        .args(["check", "council", "--format", "json"])
        .output()
        .expect_code(1);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let codes: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    // The unknown table and kind, and the id already used in pack.yaml (checked together).
    assert_eq!(json["problems"], 3, "{}", out.stdout);
    for code in ["unknown-table", "unknown-kind", "duplicate-rule-id"] {
        assert!(codes.contains(&code), "{code}: {codes:?}");
    }
    assert!(json["files"].as_array().unwrap().len() == 2);
    let human = dir
        .cleanse()
        .args(["check", "council/broken.yaml"])
        .output()
        .expect_code(1);
    insta::assert_snapshot!(human.stdout);
}

#[test]
fn check_cannot_run_on_a_path_that_is_not_there() {
    let dir = Dir::new();
    let out = dir.cleanse().args(["check", "council"]).output().expect_code(2);
    assert!(out.stderr.contains("council"), "{}", out.stderr);
    // No path and no ./cleanse.yaml.
    let out = dir.cleanse().arg("check").output().expect_code(2);
    assert!(out.stderr.contains("cleanse.yaml"), "{}", out.stderr);
}

#[test]
fn a_configuration_is_checked_with_its_own_packs_and_its_inputs_need_not_exist() {
    let dir = council();
    dir.write(
        "cleanse.yaml",
        "rules: [council/pack.yaml]\ninputs:\n  - { table: plan, file: exports/plans.csv }\n",
    );
    let out = dir.cleanse().args(["check", "cleanse.yaml"]).output().expect_code(1);
    assert!(
        out.stdout
            .contains("error[unknown-table]: no rule pack declares a table `plan`"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("help: did you mean `plans`?"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("does not exist"),
        "a missing export is not a rules problem: {}",
        out.stdout
    );
}

#[test]
fn test_runs_every_example_and_says_which_failed() {
    let dir = council();
    let out = dir.cleanse().args(["test", "council"]).output().expect_code(0);
    assert!(
        out.stdout.ends_with("test result: ok. 5 passed; 0 failed\n"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    // An example that does not hold: the rule passes a row the example says fails.
    dir.write(
        "council/pack.yaml",
        PACK.replace(
            "start: 01/03/2024, end: 01/02/2024",
            "start: 01/03/2024, end: 01/04/2024",
        ),
    );
    let out = dir.cleanse().args(["test", "council"]).output().expect_code(1);
    insta::assert_snapshot!(out.stdout);
    let junit = dir
        .cleanse()
        .args(["test", "council", "--format", "junit"])
        .output()
        .expect_code(1);
    assert!(
        junit
            .stdout
            .contains(r#"<testsuites name="cleanse" tests="5" failures="1""#),
        "{}",
        junit.stdout
    );
}

#[test]
fn test_lists_rules_without_examples() {
    let dir = council();
    dir.write(
        "council/pack.yaml",
        PACK.replace("    examples:\n      - pass", "    xamples:\n      - pass"),
    );
    // A misspelt key is an error, never a silently untested rule.
    let out = dir.cleanse().args(["test", "council"]).output().expect_code(2);
    assert!(out.stderr.contains("did you mean `examples`?"), "{}", out.stderr);
    let without = PACK.replace(
        "    examples:\n      - pass: { child_id: NF000001, start: 01/03/2024, end: 01/09/2024 }\n      - fail: { child_id: NF000001, start: 01/03/2024, end: 01/02/2024 }\n",
        "",
    );
    dir.write("council/pack.yaml", without);
    let out = dir.cleanse().args(["test", "council"]).output().expect_code(0);
    assert_eq!(out.stderr, "note: 1 rule or correction with no examples: LOCAL-001\n");
}

#[test]
fn an_example_naming_an_unknown_column_stops_check_and_run() {
    let dir = council();
    dir.write("council/pack.yaml", PACK.replace("pass: { child_id", "pass: { chld_id"));
    let out = dir.cleanse().args(["check", "council"]).output().expect_code(1);
    assert!(
        out.stdout
            .contains("error[unknown-column]: table `plans` has no column `chld_id`"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("help: did you mean `child_id`?"), "{}", out.stdout);
    // The line and column of the key itself.
    assert!(out.stdout.contains("--> council/pack.yaml:19:17"), "{}", out.stdout);
    dir.write("plans.csv", "Child ID,Start,End,Team\nNF000001,01/03/2024,,North\n");
    dir.write(
        "cleanse.yaml",
        "rules: [council/pack.yaml]\ninputs:\n  - { table: plans, file: plans.csv }\n",
    );
    let out = dir.run(&[]).expect_code(2);
    assert!(out.stderr.contains("error[unknown-column]"), "{}", out.stderr);
}

/// Each rule kind may keep a small pack in `tests/kinds/` whose examples show what it reports
/// (the recipe in CONTRIBUTING.md): every one loads, and every example holds.
#[test]
fn the_kind_fixtures_load_and_their_examples_hold() {
    let kinds = crate::util::repo().join("tests/kinds");
    let dir = Dir::new();
    let path = kinds.to_str().expect("a UTF-8 path");
    dir.cleanse().args(["check", path]).output().expect_code(0);
    let out = dir.cleanse().args(["test", path]).output().expect_code(0);
    assert!(out.stdout.contains("test result: ok."), "{}", out.stdout);
    assert!(!out.stdout.contains(" 0 passed"), "{}", out.stdout);
}

#[test]
fn the_shipped_packs_pass_their_own_examples_with_the_binary() {
    // The binary on the shipped packs, as a council's CI runs it: the examples run in parallel on
    // the pool, each a small run (what once overflowed the stack when a run waited for the
    // pool from inside it).
    let dir = council();
    let out = dir
        .cleanse()
        .args(["test", concat!(env!("CARGO_MANIFEST_DIR"), "/rules")])
        .output()
        .expect_code(0);
    assert!(out.stdout.contains("0 failed"), "{}", out.stdout);
}
