//! Rules about a whole table: `share` and `row_count`, reported once with
//! no line, never rejecting a row.

use crate::util::Dir;

const PACK: &str = r#"pack: returns
version: 1.0.0
tables:
  children:
    key: [child_id]
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: sex, header: Sex, type: code, codes: [M, F, U] }
      - { name: born, header: Date of Birth, type: date }
rules:
  - id: SEX-UNKNOWN
    table: children
    kind: share
    check: sex = 'U'
    max: 20%
    severity: warning
    message: More than 20% of children have sex unknown.
  - id: BORN-RECENT
    table: children
    kind: share
    when: born IS NOT NULL
    check: born >= DATE '2020-01-01'
    min: 30%
    message: Fewer than 30% of children with a date of birth were born since 2020.
  - id: COUNT
    table: children
    kind: row_count
    min: 2
    max_change: 50%
    severity: warning
    message: The number of children changed by more than half since the last run.
"#;

fn setup(children: &str) -> Dir {
    let dir = Dir::new();
    dir.write("pack.yaml", PACK);
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: children, file: children.csv }\n",
    );
    dir.write("children.csv", children);
    dir
}

#[test]
fn a_share_over_its_limit_is_reported_once_without_a_line() {
    let dir = setup(
        "Child ID,Sex,Date of Birth\nC1,U,01/01/2015\nC2,U,01/01/2016\nC3,M,01/01/2021\nC4,F,\nC5,?,01/01/2017\n",
    );
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    let f = out.finding("children", 0, "SEX-UNKNOWN");
    assert_eq!((f.severity.as_str(), f.status.as_str()), ("warning", "new"));
    // Two of five are U; `?` is not a code, so it could not be evaluated.
    assert_eq!(f.value, "2 of 5 rows (40%); 1 could not be evaluated");
    assert_eq!(
        f.message,
        "More than 20% of children have sex unknown. (2 of 5 rows (40%); 1 could not be evaluated; the limit is at most 20%.)"
    );
    assert_eq!(f.columns, "Sex");
    // `when` sets the rows counted among: 1 of the 4 with a date of birth.
    let f = out.finding("children", 0, "BORN-RECENT");
    assert_eq!(f.value, "1 of 4 rows (25%)");
    assert!(f.message.ends_with("the limit is at least 30%.)"), "{}", f.message);
    assert_eq!(f.severity, "error");
    // A rule about the whole table rejects no row: only `?` is rejected (its own type error).
    assert_eq!(out.rejected("children").rows.len(), 1);
    let rules = out.run_json["rules"].as_array().unwrap();
    let sex = rules.iter().find(|r| r["id"] == "SEX-UNKNOWN").unwrap();
    assert_eq!(sex["findings"], 1);
    assert_eq!(sex["measured"], "2 of 5 rows (40%); 1 could not be evaluated");
    let summary = out.summary();
    assert!(
        summary.contains("| More than 20% of children have sex unknown. | children | 2 of 5 rows (40%); 1 could not be evaluated | **outside the limit** (warning, `SEX-UNKNOWN`) |"),
        "{summary}"
    );
}

#[test]
fn a_share_within_its_limit_is_not_an_exception() {
    let dir = setup(
        "Child ID,Sex,Date of Birth\nC1,U,01/01/2021\nC2,M,01/01/2016\nC3,M,01/01/2021\nC4,F,01/01/2022\nC5,F,01/01/2017\n",
    );
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    assert!(out.on_line("children", 0).iter().all(|f| f.rule_id == "COUNT"));
    assert!(
        out.summary().contains("| 1 of 5 rows (20%) | within the limit |"),
        "{}",
        out.summary()
    );
}

#[test]
fn row_count_compares_with_the_last_published_run() {
    let five = "Child ID,Sex,Date of Birth\nC1,M,\nC2,M,\nC3,M,\nC4,F,\nC5,F,\n";
    let dir = setup(five);
    dir.run(&[]).expect_code(0);
    let first = dir.latest();
    let f = first.finding("children", 0, "COUNT");
    assert_eq!(f.status, "not checked");
    assert!(
        f.message
            .starts_with("Not checked: there is no earlier run to compare with."),
        "{}",
        f.message
    );

    // Same count: within the limit, nothing reported.
    dir.run(&[]).expect_code(0);
    assert!(dir.latest().on_line("children", 0).iter().all(|f| f.rule_id != "COUNT"));
    let j = dir.latest().run_json;
    let count = j["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "COUNT")
        .unwrap()
        .clone();
    assert_eq!(count["measured"], "5 rows, 5 at the last run (+0%)");

    // Two rows: down 60% on the last run (and still at the minimum of 2).
    dir.write("children.csv", "Child ID,Sex,Date of Birth\nC1,M,\nC2,M,\n");
    dir.run(&[]).expect_code(0);
    let f = dir.latest().finding("children", 0, "COUNT").clone();
    assert_eq!(f.status, "new");
    assert_eq!(f.value, "2 rows, 5 at the last run (-60%)");
    assert!(
        f.message.ends_with("the limit is a change of at most 50%.)"),
        "{}",
        f.message
    );

    // One row: under the minimum, whatever the change.
    dir.write("children.csv", "Child ID,Sex,Date of Birth\nC1,M,\n");
    dir.run(&[]).expect_code(0);
    let f = dir.latest().finding("children", 0, "COUNT").clone();
    assert!(f.message.ends_with("the limit is at least 2.)"), "{}", f.message);
}

#[test]
fn share_bounds_must_be_percentages() {
    let dir = setup("Child ID,Sex,Date of Birth\n");
    dir.write("pack.yaml", PACK.replace("max: 20%", "max: 20"));
    let out = dir.run(&[]).expect_code(2);
    assert!(
        out.stderr.starts_with("error[bad-bound]: not a percentage"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("help: write it with a percent sign, e.g. `2%` or `0.5%`"),
        "{}",
        out.stderr
    );
}

#[cfg(unix)]
#[test]
fn a_planted_latest_link_is_not_read_as_the_last_run() {
    let dir = setup("Child ID,Sex,Date of Birth\nC1,M,\nC2,M,\nC3,F,\n");
    // `latest` planted to lead out of the output folder, to a run.json of someone else's.
    dir.write(
        "elsewhere/run.json",
        r#"{"tables": [{"table": "children", "rows_in": 1000}]}"#,
    );
    std::fs::create_dir_all(dir.join("out")).unwrap();
    std::os::unix::fs::symlink("../elsewhere", dir.join("out/latest")).unwrap();
    dir.run(&[]).expect_code(0);
    let f = dir.latest().finding("children", 0, "COUNT").clone();
    assert_eq!(f.status, "not checked", "{f:?}");
    assert!(!f.message.contains("1000"), "{}", f.message);
    assert!(
        f.message.contains("does not point at a run in this output folder"),
        "{}",
        f.message
    );
    assert_eq!(
        dir.read("elsewhere/run.json"),
        r#"{"tables": [{"table": "children", "rows_in": 1000}]}"#
    );
}
