//! Corrections: declared fixes, applied in stages, every change in
//! `changes.csv`, rules re-run on the corrected values.

use std::collections::BTreeMap;

use proptest::prelude::*;

use crate::util::{ChangeRow, Dir, Outputs};

const PACK: &str = r#"pack: fixes
version: 1.0.0
code_lists:
  gender: ["a) Male", "b) Female", "c) Not stated/recorded"]
tables:
  children:
    key: [child_id]
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: born, header: Date of Birth, type: date }
  visits:
    key: [child_id, visit_date]
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: visit_date, header: Visit Date, type: date, required: true }
      - { name: born, header: Date of Birth, type: date }
      - { name: gender, header: Gender, type: code, codes: gender }
      - { name: age, header: Age, type: integer }
      - { name: worker, header: Worker }
rules:
  - id: VIS-WORKER
    table: visits
    kind: clean_text
    columns: [worker]
    severity: warning
    message: Worker name has stray spaces.
    fix: { kind: normalise, case: title, apply: safe }
  - id: VIS-AGE
    table: visits
    kind: check
    when: age IS NOT NULL AND born IS NOT NULL
    check: age = age_years(born, visit_date)
    columns: [age]
    severity: warning
    message: Age does not match the date of birth.
    fix:
      kind: set
      value: age_years(born, visit_date)
      apply: review
  - id: VIS-CHILD
    table: visits
    kind: reference
    columns: [child_id]
    references: children
    message: The visit's child is not in the children list.
corrections:
  - id: FIX-GENDER
    table: visits
    kind: map
    columns: [gender]
    synonyms: { Male: a) Male, M: a) Male, Female: b) Female, F: b) Female }
    apply: safe
  - id: FIX-OLD-IDS
    table: visits
    kind: map
    columns: [child_id]
    synonyms: { OLD-1: C1 }
    apply: safe
  - id: FIX-DATES
    table: visits
    kind: date
    columns: [visit_date, born]
    apply: safe
  - id: FIX-BORN
    table: visits
    kind: fill
    columns: [born]
    from: children.born
    key: [child_id]
    apply: safe
"#;

const CHILDREN: &str = "Child ID,Date of Birth\nC1,01/02/2015\nC2,2016-03-04\nC3,05/06/2017\nC3,06/06/2017\n";

fn setup(visits: &str) -> Dir {
    let dir = Dir::new();
    dir.write("pack.yaml", PACK);
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\nas_of: 2026-03-31\ninputs:\n  - { table: children, file: children.csv }\n  - { table: visits, file: visits.csv }\n",
    );
    dir.write("children.csv", CHILDREN);
    dir.write("visits.csv", visits);
    dir
}

const VISITS: &str = "\
Child ID,Visit Date,Date of Birth,Gender,Age,Worker
C1,2024-05-01,01/02/2015,M,9,  jane   smith
C1,02/05/24,01/02/2015,a) male,5,Jo Bloggs
C2,03/05/2024,,Female,,Sam Jones
OLD-1,04/05/2024,01/02/2015,F,9,Al Ahmed
C3,05/05/2024,not a date,X,,Kim Lee
C9,06/05/2024,,M,,Pat Kaur
";

fn changes_csv(dir: &Dir) -> String {
    dir.read("out/latest/changes.csv")
}

#[test]
fn every_kind_of_correction_is_applied_and_recorded() {
    let dir = setup(VISITS);
    let run = dir.run(&[]).expect_code(0);
    assert!(
        run.stdout
            .contains("Corrected 10 values; 1 proposed for review, 0 withheld as conflicts"),
        "{}",
        run.stdout
    );
    insta::assert_snapshot!("changes", changes_csv(&dir));
    insta::assert_snapshot!("exceptions", dir.read("out/latest/exceptions.csv"));
    insta::assert_snapshot!("corrected", dir.read("out/latest/corrected/visits.csv"));
}

#[test]
fn each_change_names_its_cell_correction_and_rule() {
    let dir = setup(VISITS);
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    let change = |line: u64, column: &str| -> &ChangeRow {
        let found: Vec<&ChangeRow> = out
            .changes
            .iter()
            .filter(|c| c.line == line && c.column == column)
            .collect();
        assert_eq!(found.len(), 1, "one change at line {line} {column}: {:#?}", out.changes);
        found[0]
    };
    // normalise, attached to a rule: the rule is named.
    let c = change(2, "Worker");
    assert_eq!(
        (c.old_value.as_str(), c.new_value.as_str()),
        ("  jane   smith", "Jane Smith")
    );
    assert_eq!(
        (c.correction_id.as_str(), c.rule_id.as_str()),
        ("VIS-WORKER.fix", "VIS-WORKER")
    );
    assert_eq!(c.applied, "applied");
    assert_eq!(c.source_file, "visits.csv");
    // map, standalone: named by the rule whose finding it resolved.
    let c = change(3, "Gender");
    assert_eq!((c.old_value.as_str(), c.new_value.as_str()), ("a) male", "a) Male"));
    assert_eq!(c.rule_id, "visits.gender.code_form");
    // A date rewrite resolves nothing (the old form was accepted): no rule.
    let c = change(2, "Visit Date");
    assert_eq!((c.new_value.as_str(), c.rule_id.as_str()), ("01/05/2024", ""));
    // fill: from the child's record, where it holds one value.
    let c = change(4, "Date of Birth");
    assert_eq!((c.old_value.as_str(), c.new_value.as_str()), ("", "04/03/2016"));
    assert_eq!(c.correction_id, "FIX-BORN");
    // The key is the corrected record's.
    assert_eq!(c.record_key, "C2 | 03/05/2024");
    // set (review): proposed, not applied.
    let c = change(3, "Age");
    assert_eq!(
        (c.old_value.as_str(), c.new_value.as_str(), c.applied.as_str()),
        ("5", "9", "proposed")
    );
    // C3 has two dates of birth on the children list: nothing to fill from.
    assert!(
        out.changes
            .iter()
            .all(|c| !(c.line == 6 && c.column == "Date of Birth"))
    );
}

#[test]
fn corrected_values_are_published_and_the_rules_run_on_them() {
    let dir = setup(VISITS);
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    let corrected = out.corrected("visits");
    let rows: Vec<Vec<&str>> = corrected
        .rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    // The old id was mapped before the reference rule ran: line 5 is kept.
    assert!(rows.contains(&vec!["C1", "04/05/2024", "01/02/2015", "b) Female", "9", "Al Ahmed"]));
    // C9 is in no list: still rejected, with the corrected values.
    let rejected = out.rejected("visits");
    let c9 = rejected.rows.iter().find(|r| r[1] == "7").expect("line 7 rejected");
    assert_eq!(c9[2], "VIS-CHILD");
    assert_eq!(c9[6], "a) Male");
    // Resolved findings are listed as corrected; the rest stay open.
    let status = |line: u64, rule: &str| out.finding("visits", line, rule).status.clone();
    assert_eq!(status(3, "visits.gender.code_form"), "corrected");
    assert_eq!(status(2, "VIS-WORKER"), "corrected");
    assert_eq!(status(3, "VIS-AGE"), "new");
    assert_eq!(status(6, "visits.born.type"), "new");
    assert_eq!(status(6, "visits.gender.type"), "new");
    // Counts: resolved findings are not counted as warnings.
    let t = out.table_report("tables", "visits");
    assert_eq!(t["cells_changed"], 10);
    assert_eq!(t["changes_proposed"], 1);
    let fixes = out.run_json["corrections"].as_array().expect("corrections");
    let by_id: BTreeMap<&str, &serde_json::Value> = fixes.iter().map(|c| (c["id"].as_str().unwrap(), c)).collect();
    assert_eq!(by_id["FIX-BORN"]["applied"], 1);
    assert_eq!(by_id["VIS-AGE.fix"]["proposed"], 1);
    assert_eq!(by_id["VIS-AGE.fix"]["rule"], "VIS-AGE");
    assert_eq!(by_id["VIS-AGE.fix"]["apply"], "review");
    // The export itself is never modified.
    assert_eq!(dir.read("visits.csv"), VISITS);
}

#[test]
fn review_corrections_are_applied_only_when_asked() {
    let dir = setup(VISITS);
    dir.run(&["--apply", "review"]).expect_code(0);
    let out = dir.latest();
    let age: Vec<&ChangeRow> = out.changes.iter().filter(|c| c.column == "Age").collect();
    assert_eq!(age.len(), 1);
    assert_eq!(age[0].applied, "applied");
    assert_eq!(out.finding("visits", 3, "VIS-AGE").status, "corrected");
    assert!(
        out.finding("visits", 3, "VIS-AGE")
            .message
            .contains("Corrected by VIS-AGE.fix")
    );
}

#[test]
fn stages_run_in_order_and_each_step_is_recorded() {
    // normalise (stage 1) tidies the id, then map (stage 2) sees the tidy text.
    let pack = PACK.replace(
        "corrections:\n",
        "corrections:\n  - { id: FIX-TIDY-ID, table: visits, kind: normalise, columns: [child_id], case: upper, apply: safe }\n",
    );
    let dir = setup("Child ID,Visit Date,Date of Birth,Gender,Age,Worker\n old-1 ,01/05/2024,,,,\n");
    dir.write("pack.yaml", pack);
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    let steps: Vec<(&str, &str, &str)> = out
        .changes
        .iter()
        .filter(|c| c.column == "Child ID")
        .map(|c| (c.correction_id.as_str(), c.old_value.as_str(), c.new_value.as_str()))
        .collect();
    assert_eq!(
        steps,
        [("FIX-TIDY-ID", " old-1 ", "OLD-1"), ("FIX-OLD-IDS", "OLD-1", "C1")]
    );
    assert_eq!(out.corrected("visits").rows[0][0], "C1");
}

#[test]
fn corrections_that_disagree_are_both_withheld() {
    let pack = PACK.replace(
        "corrections:\n",
        "corrections:\n  - { id: FIX-GENDER-2, table: visits, kind: map, columns: [gender], synonyms: { M: b) Female }, apply: safe }\n",
    );
    let dir = setup("Child ID,Visit Date,Date of Birth,Gender,Age,Worker\nC1,01/05/2024,,M,,\nC1,02/05/2024,,Male,,\n");
    dir.write("pack.yaml", pack);
    let run = dir.run(&[]).expect_code(0);
    assert!(run.stdout.contains("1 withheld as conflicts"), "{}", run.stdout);
    let out = dir.latest();
    let on_line_2: Vec<(&str, &str, &str)> = out
        .changes
        .iter()
        .filter(|c| c.line == 2 && c.column == "Gender")
        .map(|c| (c.correction_id.as_str(), c.new_value.as_str(), c.applied.as_str()))
        .collect();
    assert_eq!(
        on_line_2,
        [
            ("FIX-GENDER-2", "b) Female", "conflict"),
            ("FIX-GENDER", "a) Male", "conflict")
        ]
    );
    // The value is left as it was, and the type rule still reports it.
    let corrected = out.corrected("visits");
    let rejected = out.rejected("visits");
    assert!(corrected.rows.is_empty() || corrected.rows.iter().all(|r| r[3] != "M"));
    assert_eq!(rejected.rows[0][6], "M");
    assert_eq!(out.finding("visits", 2, "visits.gender.type").status, "new");
    // Line 3 has one candidate only.
    assert_eq!(corrected.rows[0][3], "a) Male");
    assert_eq!(out.run_json["tables"][1]["conflicts"], 1);
}

#[test]
fn a_fill_whose_table_has_no_export_is_reported_not_run() {
    let dir = setup(VISITS);
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\nas_of: 2026-03-31\ninputs:\n  - { table: visits, file: visits.csv }\n",
    );
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    let fixes = out.run_json["corrections"].as_array().unwrap();
    let fill = fixes.iter().find(|c| c["id"] == "FIX-BORN").unwrap();
    assert_eq!(fill["not_run"], "no export was given for `children`");
    assert!(
        out.summary().contains("1 correction could not run: `FIX-BORN`"),
        "{}",
        out.summary()
    );
}

// ---- idempotence ------------------------------------------------------------

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" M ".to_string()),
        Just("female".to_string()),
        Just("OLD-1".to_string()),
        Just("C1".to_string()),
        Just("C2".to_string()),
        Just("2024-05-01".to_string()),
        Just("1/2/15".to_string()),
        Just("05-Mar-2016".to_string()),
        Just("45000".to_string()),
        Just("  jane   o'brien ".to_string()),
        Just("a) MALE".to_string()),
        Just("7".to_string()),
        "[ a-zA-Z0-9/-]{0,10}",
    ]
}

/// Cells that always need correcting, whatever the rest of the row holds: (column, value, what the
/// first run writes). One is planted in every generated export, so the idempotence test always
/// has a first run that changed something.
const DIRTY: [(usize, &str, &str); 4] = [
    (0, "OLD-1", "C1"),
    (1, "2024-05-01", "01/05/2024"),
    (3, "M", "a) Male"),
    (5, "  jane   smith", "Jane Smith"),
];
const HEADERS: [&str; 6] = ["Child ID", "Visit Date", "Date of Birth", "Gender", "Age", "Worker"];

fn run_library(dir: &std::path::Path, config: &str, review: bool) -> Outputs {
    let mut opts = cleanse::RunOptions::new(dir.join(config), dir.join(format!("out-{config}")));
    opts.apply_review = review;
    match cleanse::run(&opts) {
        Ok(o) => Outputs::read(&o.run_dir),
        Err(e) => panic!("{}", cleanse::cli::render_error(&e, false)),
    }
}

fn csv_line(fields: &[String]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields).unwrap();
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Running Cleanse on its own corrected output changes nothing further.
    #[test]
    fn corrections_are_idempotent(
        rows in proptest::collection::vec(proptest::collection::vec(value(), 6), 1..12),
        dirty_row in any::<proptest::sample::Index>(),
        dirty in 0..DIRTY.len(),
        review in any::<bool>(),
    ) {
        let mut rows = rows;
        let at = dirty_row.index(rows.len());
        let (column, value, corrected) = DIRTY[dirty];
        rows[at][column] = value.to_string();
        let mut visits = format!("{}\n", HEADERS.join(","));
        for r in &rows {
            visits.push_str(&csv_line(r));
        }
        let dir = setup(&visits);
        let first = run_library(dir.path(), "cleanse.yaml", review);
        // The first run corrected the planted cell (the header is line 1, no value spans lines), so
        // a second run that changes nothing shows the corrections settle, not that none ran.
        let line = at as u64 + 2;
        prop_assert!(
            first.changes.iter().any(|c| c.line == line
                && c.column == HEADERS[column]
                && c.new_value == corrected
                && c.applied == "applied"),
            "the first run did not write `{}` in {} on line {}: {:#?}",
            corrected,
            HEADERS[column],
            line,
            first.changes
        );
        // The second run reads the first run's corrected outputs, children included.
        dir.write(
            "again.yaml",
            format!(
                "rules: [pack.yaml]\nas_of: 2026-03-31\ninputs:\n  - {{ table: children, file: {0}/corrected/children.csv }}\n  - {{ table: visits, file: {0}/corrected/visits.csv }}\n",
                first.dir.display()
            ),
        );
        let second = run_library(dir.path(), "again.yaml", review);
        let applied: Vec<&ChangeRow> = second.changes.iter().filter(|c| c.applied == "applied").collect();
        prop_assert!(applied.is_empty(), "second run changed {:#?}", applied);
        // Nothing is lost: every row is in one output.
        let t = &first.run_json["tables"][1];
        prop_assert_eq!(t["rows_in"].as_u64().unwrap(), rows.len() as u64);
        prop_assert_eq!(
            first.corrected("visits").rows.len() + first.rejected("visits").rows.len(),
            rows.len()
        );
    }
}

/// A table that fills from itself: its lookup is complete only once the table has been read, so
/// the pass stops at `fill`, and the held batches are corrected the rest of the way before the
/// rule over whole tables reads them (never a second read of the export).
#[test]
fn a_fill_from_its_own_table_is_applied_before_the_rules_over_whole_tables_read_it() {
    let dir = Dir::new();
    dir.write(
        "pack.yaml",
        r#"pack: self-fill
version: 1.0.0
tables:
  workers:
    key: [worker_id]
    columns:
      - { name: worker_id, header: Worker ID, required: true }
  visits:
    key: [visit_id]
    columns:
      - { name: visit_id, header: Visit ID, required: true }
      - { name: child_id, header: Child ID, required: true }
      - { name: worker_id, header: Worker ID }
rules:
  - id: VIS-WORKER
    table: visits
    kind: reference
    columns: [worker_id]
    references: workers
    message: The visit's worker is not on the workers list.
corrections:
  - id: FIX-WORKER
    table: visits
    kind: fill
    columns: [worker_id]
    from: visits.worker_id
    key: [child_id]
    apply: safe
"#,
    );
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\nas_of: 2026-03-31\ninputs:\n  - { table: visits, file: visits.csv }\n  - { table: workers, file: workers.csv }\n",
    );
    dir.write("workers.csv", "Worker ID\nW1\n");
    dir.write(
        "visits.csv",
        "Visit ID,Child ID,Worker ID\nV1,C1,W9\nV2,C1,\nV3,C2,\nV4,C3,W1\nV5,C3,\n",
    );
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    let filled: Vec<(u64, &str)> = out.changes.iter().map(|c| (c.line, c.new_value.as_str())).collect();
    assert_eq!(filled, [(3, "W9"), (6, "W1")]);
    // The filled W9 is not on the list: the reference rule saw the corrected value.
    let rejected: Vec<String> = out.rejected("visits").rows.iter().map(|r| r[1].clone()).collect();
    assert_eq!(rejected, ["2", "3"]);
    assert_eq!(out.corrected("visits").rows.len(), 3);
    assert!(
        !dir.path().join("out/latest/.held").exists(),
        "held batches are not published"
    );
}

/// Lookups are read before the table that fills from them, whatever order the configuration
/// lists the inputs in: the same corrections, findings and outputs either way.
#[test]
fn the_order_of_inputs_does_not_change_what_is_corrected() {
    let first = setup(VISITS);
    first.run(&[]).expect_code(0);
    let later = setup(VISITS);
    later.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\nas_of: 2026-03-31\ninputs:\n  - { table: visits, file: visits.csv }\n  - { table: children, file: children.csv }\n",
    );
    later.run(&[]).expect_code(0);
    let (a, b) = (first.latest(), later.latest());
    let of = |o: &Outputs| -> Vec<String> {
        o.changes
            .iter()
            .filter(|c| c.table == "visits")
            .map(|c| {
                format!(
                    "{} {} {} {} {}",
                    c.line, c.column, c.new_value, c.correction_id, c.applied
                )
            })
            .collect()
    };
    assert_eq!(of(&a), of(&b));
    assert!(of(&a).iter().any(|c| c.contains("FIX-BORN")), "{:?}", of(&a));
    let found = |o: &Outputs| -> Vec<String> {
        o.findings
            .iter()
            .filter(|f| f.table == "visits")
            .map(|f| format!("{} {} {}", f.line, f.rule_id, f.status))
            .collect()
    };
    assert_eq!(found(&a), found(&b));
    assert_eq!(a.corrected("visits").rows, b.corrected("visits").rows);
    assert_eq!(a.rejected("visits").rows, b.rejected("visits").rows);
}
