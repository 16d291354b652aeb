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

/// Runs one after another, as fast as they go (often several in one second): each compares with
/// the one before it, as the history keeps it.
#[test]
fn row_count_compares_with_the_previous_run_in_the_history() {
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

/// A run of records as of `day`, and the outcome of its `COUNT` rule in run.json.
fn count_on(dir: &Dir, day: &str) -> serde_json::Value {
    dir.cleanse()
        .args(["--quiet", "run", "--out", "out", "--as-of", day])
        .output()
        .expect_code(0);
    let j = dir.latest().run_json;
    j["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "COUNT")
        .unwrap()
        .clone()
}

const FIVE: &str = "Child ID,Sex,Date of Birth\nC1,M,\nC2,M,\nC3,M,\nC4,F,\nC5,F,\n";
const TWO: &str = "Child ID,Sex,Date of Birth\nC1,M,\nC2,M,\n";

/// "The last run" is the one new and open findings compare with too: the last run kept with this
/// as-of date or an earlier one, not the last one published.
#[test]
fn row_count_compares_with_the_last_run_of_the_same_night_or_earlier() {
    let dir = setup(FIVE);
    assert_eq!(
        count_on(&dir, "2026-03-01")["not_run"],
        "there is no earlier run to compare with"
    );
    dir.write("children.csv", TWO);
    let c = count_on(&dir, "2026-03-10");
    assert_eq!(c["measured"], "2 rows, 5 at the last run (-60%)");
    let f = dir.latest().finding("children", 0, "COUNT").clone();
    assert_eq!((f.status.as_str(), f.first_seen.as_str()), ("new", "2026-03-10"));

    // Re-running 1 March after 10 March compares with 1 March, not with the run published last.
    dir.write("children.csv", FIVE);
    let c = count_on(&dir, "2026-03-01");
    assert_eq!(c["measured"], "5 rows, 5 at the last run (+0%)");
    assert_eq!((c["findings"].as_u64(), c["not_run"].is_null()), (Some(0), true));
    // A night before any kept run has nothing to compare with, whatever `latest` holds.
    assert_eq!(
        count_on(&dir, "2026-02-01")["not_run"],
        "there is no earlier run to compare with"
    );

    // Re-running 10 March compares with the first run of 10 March (2 rows), though the run
    // published last (1 February) had 5; and its finding is still open since then, as the
    // exceptions compare with the same run.
    let c = count_on(&dir, "2026-03-10");
    assert_eq!(c["measured"], "5 rows, 2 at the last run (+150%)");
    let f = dir.latest().finding("children", 0, "COUNT").clone();
    assert_eq!((f.status.as_str(), f.first_seen.as_str()), ("open", "2026-03-10"));
}

/// `OUT/latest` is where people look, not what Cleanse reads: a damaged `run.json` there, or a
/// `latest` planted to lead elsewhere, changes nothing.
#[test]
fn row_count_does_not_read_latest() {
    let dir = setup("Child ID,Sex,Date of Birth\nC1,M,\nC2,M,\nC3,F,\n");
    dir.run(&[]).expect_code(0);
    dir.write("out/latest/run.json", "not json");
    dir.run(&[]).expect_code(0);
    let count = |dir: &Dir| {
        let j = dir.latest().run_json;
        j["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == "COUNT")
            .unwrap()
            .clone()
    };
    assert_eq!(count(&dir)["measured"], "3 rows, 3 at the last run (+0%)");
    assert!(count(&dir)["not_run"].is_null());
}

#[cfg(unix)]
#[test]
fn a_planted_latest_link_is_not_read_as_the_last_run() {
    const ELSEWHERE: &str = r#"{"tables": [{"table": "children", "rows_in": 1000}]}"#;
    let dir = setup("Child ID,Sex,Date of Birth\nC1,M,\nC2,M,\nC3,F,\n");
    let plant = |dir: &Dir| {
        dir.write("elsewhere/run.json", ELSEWHERE);
        std::fs::create_dir_all(dir.join("out")).unwrap();
        let _ = std::fs::remove_file(dir.join("out/latest"));
        std::os::unix::fs::symlink("../elsewhere", dir.join("out/latest")).unwrap();
    };
    // `latest` planted to lead out of the output folder, to a run.json of someone else's, before
    // any run: there is no earlier run.
    plant(&dir);
    dir.run(&[]).expect_code(0);
    let f = dir.latest().finding("children", 0, "COUNT").clone();
    assert_eq!(f.status, "not checked", "{f:?}");
    assert!(
        f.message
            .starts_with("Not checked: there is no earlier run to compare with."),
        "{}",
        f.message
    );
    // Planted again after a run: the run compares with the history's.
    plant(&dir);
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    assert!(out.on_line("children", 0).iter().all(|f| f.rule_id != "COUNT"));
    assert!(!dir.read("out/latest/exceptions.csv").contains("1000"));
    let rules = out.run_json["rules"].as_array().unwrap();
    let count = rules.iter().find(|r| r["id"] == "COUNT").unwrap();
    assert_eq!(count["measured"], "3 rows, 3 at the last run (+0%)");
    assert_eq!(dir.read("elsewhere/run.json"), ELSEWHERE);
}

/// A history that does not read stops no run: `max_change` is not checked, and says why, naming
/// the file; `min` and `max` are still checked.
#[test]
fn a_damaged_history_leaves_row_count_changes_not_checked_and_says_why() {
    let dir = setup("Child ID,Sex,Date of Birth\nC1,M,\nC2,M,\nC3,F,\n");
    dir.run(&[]).expect_code(0);
    let kept = dir.list("out/history/runs");
    let damaged = format!("out/history/runs/{}", kept[0]);
    dir.write(&damaged, "not parquet");
    let out = dir
        .cleanse()
        .args(["run", "--out", "out", "--as-of", crate::util::AS_OF])
        .output()
        .expect_code(0);
    assert!(
        out.stderr.contains(
            "the history could not be read, so every finding counts as new and no row count change is checked"
        ),
        "{}",
        out.stderr
    );
    let f = dir.latest().finding("children", 0, "COUNT").clone();
    assert_eq!(f.status, "not checked", "{f:?}");
    assert!(
        f.message
            .starts_with("Not checked: the history of earlier runs could not be read (out/history"),
        "{}",
        f.message
    );
    assert!(f.message.contains(&kept[0]), "names the file: {}", f.message);
    assert!(f.message.contains("the file may be damaged"), "{}", f.message);
    assert!(!f.message.contains("bug"), "{}", f.message);
    let j = dir.latest().run_json;
    let count = j["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "COUNT")
        .unwrap()
        .clone();
    assert!(
        count["not_run"]
            .as_str()
            .unwrap()
            .starts_with("the history of earlier runs could not be read ("),
        "{count}"
    );
    assert!(count["measured"].is_null(), "{count}");

    // Under `min` too: that is still reported, as a breach.
    dir.write("children.csv", "Child ID,Sex,Date of Birth\nC1,M,\n");
    dir.write(&damaged, "not parquet");
    dir.run(&[]).expect_code(0);
    let f = dir.latest().finding("children", 0, "COUNT").clone();
    assert_eq!(f.status, "new");
    assert!(
        f.message.ends_with("(1 rows; the limit is at least 2.)"),
        "{}",
        f.message
    );
}

/// A history removed (or never made, by an older Cleanse): no earlier run to compare with, even
/// with earlier runs' folders still there.
#[test]
fn without_a_history_row_count_has_no_earlier_run() {
    let dir = setup("Child ID,Sex,Date of Birth\nC1,M,\nC2,M,\nC3,F,\n");
    dir.run(&[]).expect_code(0);
    std::fs::remove_dir_all(dir.join("out/history")).unwrap();
    dir.run(&[]).expect_code(0);
    let f = dir.latest().finding("children", 0, "COUNT").clone();
    assert_eq!(f.status, "not checked", "{f:?}");
    assert!(
        f.message
            .starts_with("Not checked: there is no earlier run to compare with."),
        "{}",
        f.message
    );
}
