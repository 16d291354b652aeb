//! Rules over whole tables: `reference` (a key must exist in another table),
//! `related`, `periods`, `sequence` and `consistent`.

use crate::util::Dir;

const PACK: &str = r#"pack: cross
version: 1.0.0
tables:
  children:
    key: [child_id]
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: born, header: Date of Birth, type: date }
  plans:
    key: [plan_child, start]
    columns:
      - { name: plan_child, header: Child ID, required: true }
      - { name: start, header: Start, type: date }
      - { name: status, header: Status }
  visits:
    key: [child_id, visit_date]
    columns:
      - { name: child_id, header: Child ID }
      - { name: visit_date, header: Visit Date, type: date }
rules:
  - id: PLAN-CHILD
    table: plans
    kind: reference
    columns: [plan_child]
    references: children
    to: [child_id]
    when: status <> 'draft'
    message: The plan's child is not in the children list.
  - id: VISIT-PLAN
    table: visits
    kind: reference
    columns: [child_id, visit_date]
    references: plans
    to: [plan_child, start]
    severity: warning
    message: The visit does not match a plan's child and start date.
"#;

fn setup(children: &str, plans: &str, visits: Option<&str>) -> Dir {
    let dir = Dir::new();
    dir.write("pack.yaml", PACK);
    let mut config =
        "rules: [pack.yaml]\ninputs:\n  - { table: children, file: children.csv }\n  - { table: plans, file: plans.csv }\n"
            .to_string();
    dir.write("children.csv", children);
    dir.write("plans.csv", plans);
    if let Some(v) = visits {
        config.push_str("  - { table: visits, file: visits.csv }\n");
        dir.write("visits.csv", v);
    }
    dir.write("cleanse.yaml", config);
    dir
}

#[test]
fn a_key_missing_from_the_other_table_is_found_and_rejected() {
    let dir = setup(
        "Child ID,Date of Birth\nC1,01/01/2015\nC2,02/02/2016\n",
        // Line 3's child is mistyped; line 4 has stray spaces (keys compare trimmed);
        // line 5 is a draft (excluded by `when`); line 6's key is blank (left to `required`).
        "Child ID,Start,Status\nC1,01/03/2024,open\nC9,01/03/2024,open\n C2 ,05/03/2024,open\nC7,01/03/2024,draft\n,01/03/2024,open\n",
        None,
    );
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    let f = out.finding("plans", 3, "PLAN-CHILD");
    assert_eq!((f.severity.as_str(), f.value.as_str()), ("error", "C9"));
    for line in [2, 4, 5, 6] {
        assert!(!out.rules_on_line("plans", line).contains("PLAN-CHILD"), "line {line}");
    }
    let rejected = out.rejected("plans");
    assert!(
        rejected.rows.iter().any(|r| r[1] == "3" && r[2].contains("PLAN-CHILD")),
        "{:?}",
        rejected.rows
    );
    let j = &out.run_json;
    let plans = j["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "plans")
        .unwrap();
    assert_eq!(plans["rows_in"], 5);
    assert_eq!(plans["rejected"], 2, "line 3 (no such child) and line 6 (blank id)");
}

#[test]
fn compound_keys_compare_typed_values() {
    let dir = setup(
        "Child ID,Date of Birth\nC1,01/01/2015\n",
        "Child ID,Start,Status\nC1,01/03/2024,open\n",
        // The same date written another way still matches; a different date does not.
        Some("Child ID,Visit Date\nC1,2024-03-01\nC1,02/03/2024\n"),
    );
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    assert!(out.rules_on_line("visits", 2).is_empty());
    assert_eq!(out.finding("visits", 3, "VISIT-PLAN").severity, "warning");
    assert_eq!(out.corrected("visits").rows.len(), 2, "warnings keep the row");
}

#[test]
fn without_the_other_tables_export_the_rule_is_reported_once_as_not_checked() {
    let dir = Dir::new();
    dir.write("pack.yaml", PACK);
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: plans, file: plans.csv }\n",
    );
    dir.write(
        "plans.csv",
        "Child ID,Start,Status\nC1,01/03/2024,open\nC2,01/03/2024,open\n",
    );
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    let f: Vec<_> = out.findings.iter().filter(|f| f.rule_id == "PLAN-CHILD").collect();
    assert_eq!(f.len(), 1, "one run-level finding, not one per row");
    assert_eq!(f[0].line, 0, "no line: it is about the whole run");
    assert!(
        f[0].message
            .starts_with("Not checked: no export was given for `children`"),
        "{}",
        f[0].message
    );
    assert_eq!(
        out.corrected("plans").rows.len(),
        2,
        "rows are not rejected for a rule that could not run"
    );
    let rule = out.run_json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "PLAN-CHILD")
        .unwrap()
        .clone();
    assert_eq!(
        (rule["findings"].as_u64(), rule["not_checked"].as_u64()),
        (Some(0), Some(1))
    );
}

#[test]
fn cross_table_mistakes_in_rules_files_are_positioned() {
    let dir = setup("Child ID,Date of Birth\n", "Child ID,Start,Status\n", None);
    dir.write(
        "pack.yaml",
        PACK.replace(
            "references: children\n    to: [child_id]",
            "references: chidlren\n    to: [child_id]",
        )
        .replace("to: [plan_child, start]", "to: [plan_child, stat]"),
    );
    let run = dir.run(&[]).expect_code(2);
    let err = &run.stderr;
    assert!(err.contains("error[unknown-table]: unknown table `chidlren`"), "{err}");
    assert!(err.contains("help: did you mean `children`?"), "{err}");
    assert!(
        err.contains("error[unknown-column]: table `plans` has no column `stat`"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `start`?"), "{err}");
}

#[test]
fn keys_of_different_types_cannot_reference_each_other() {
    let dir = setup("Child ID,Date of Birth\n", "Child ID,Start,Status\n", None);
    dir.write("pack.yaml", PACK.replace("to: [child_id]", "to: [born]"));
    let run = dir.run(&[]).expect_code(2);
    assert!(run.stderr.contains("error[key-types-differ]"), "{}", run.stderr);
    assert!(
        run.stderr.contains("`plan_child` is text but `children.born` is date"),
        "{}",
        run.stderr
    );
}

const RELATED_PACK: &str = r#"pack: related
version: 1.0.0
tables:
  children:
    key: [child_id]
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: born, header: Date of Birth, type: date }
  enquiries:
    key: [child_id, start]
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: start, header: Start, type: date }
  plans:
    key: [child_id, start]
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: start, header: Start, type: date }
rules:
  - id: PLAN-AFTER-ENQUIRY
    table: plans
    kind: related
    columns: [child_id]
    references: enquiries
    quantifier: any
    check: other.start <= plans.start
    message: The plan has no enquiry that started on or before it.
  - id: PLAN-AFTER-BIRTH
    table: plans
    kind: related
    columns: [child_id]
    references: children
    quantifier: all
    check: start >= other.born
    severity: warning
    message: The plan starts before the child's date of birth on the children list.
"#;

fn related_setup(children: &str, enquiries: &str, plans: &str) -> Dir {
    let dir = Dir::new();
    dir.write("pack.yaml", RELATED_PACK);
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: children, file: children.csv }\n  - { table: enquiries, file: enquiries.csv }\n  - { table: plans, file: plans.csv }\n",
    );
    dir.write("children.csv", children);
    dir.write("enquiries.csv", enquiries);
    dir.write("plans.csv", plans);
    dir
}

#[test]
fn related_rows_any_and_all() {
    let dir = related_setup(
        "Child ID,Date of Birth\nC1,01/01/2015\nC2,01/01/2020\n",
        // C1 has an enquiry before its first plan only; C2 has none; C3 is on no list.
        "Child ID,Start\nC1,01/02/2024\nC1,01/09/2024\n",
        "Child ID,Start\nC1,01/03/2024\nC1,01/01/2024\nC2,01/03/2019\nC3,01/03/2024\n",
    );
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    // Line 2: enquiry on 01/02 precedes the plan: fine. Line 3: both enquiries are later.
    assert!(
        out.rules_on_line("plans", 2).is_empty(),
        "{:?}",
        out.rules_on_line("plans", 2)
    );
    out.finding("plans", 3, "PLAN-AFTER-ENQUIRY");
    // Line 4: no enquiry at all (any fails), and the plan predates the child's birth (all fails).
    assert_eq!(
        out.rules_on_line("plans", 4),
        ["PLAN-AFTER-ENQUIRY", "PLAN-AFTER-BIRTH"].into_iter().collect()
    );
    // Line 5: C3 has no related rows: `any` fails, `all` passes (nothing to contradict it).
    assert_eq!(
        out.rules_on_line("plans", 5),
        ["PLAN-AFTER-ENQUIRY"].into_iter().collect()
    );
    let f = out.finding("plans", 4, "PLAN-AFTER-BIRTH");
    assert_eq!(f.severity, "warning");
    // The finding names the related row that contradicts it.
    assert!(f.message.ends_with("(see children line 3.)"), "{}", f.message);
}

#[test]
fn an_unknown_quantifier_or_other_column_is_positioned() {
    let dir = related_setup("Child ID,Date of Birth\n", "Child ID,Start\n", "Child ID,Start\n");
    dir.write(
        "pack.yaml",
        RELATED_PACK
            .replace("quantifier: any", "quantifier: some")
            .replace("start >= other.born", "start >= other.bron"),
    );
    let run = dir.run(&[]).expect_code(2);
    assert!(
        run.stderr
            .contains("error[unknown-quantifier]: unknown quantifier `some`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("bron"), "{}", run.stderr);
}

#[test]
fn a_key_or_condition_value_that_did_not_parse_is_reported_as_not_checked() {
    // Reference: the visit date in a compound key is not a date.
    let dir = setup(
        "Child ID,Date of Birth\nC1,01/01/2015\n",
        "Child ID,Start,Status\nC1,01/03/2024,open\n",
        Some("Child ID,Visit Date\nC1,31/02/2024\n"),
    );
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    let f = out.finding("visits", 2, "VISIT-PLAN");
    assert!(
        f.message.starts_with("Not checked: Visit Date is not a valid date"),
        "{}",
        f.message
    );
    let rule = out.run_json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "VISIT-PLAN")
        .unwrap()
        .clone();
    assert_eq!(
        (rule["findings"].as_u64(), rule["not_checked"].as_u64()),
        (Some(0), Some(1))
    );

    // Related: the plan's own start date is not a date, so neither quantifier can be judged.
    let dir = related_setup(
        "Child ID,Date of Birth\nC1,01/01/2015\n",
        "Child ID,Start\nC1,01/02/2024\n",
        "Child ID,Start\nC1,next week\n",
    );
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    for rule in ["PLAN-AFTER-ENQUIRY", "PLAN-AFTER-BIRTH"] {
        let f = out.finding("plans", 2, rule);
        assert!(
            f.message.starts_with("Not checked: Start is not a valid date"),
            "{rule}: {}",
            f.message
        );
    }
}

const PERIODS_PACK: &str = r#"pack: periods
version: 1.0.0
tables:
  plans:
    key: [child_id, start]
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: start, header: Start, type: date, required: true }
      - { name: end, header: End, type: date }
rules:
  - id: PLANS-OVERLAP
    table: plans
    kind: periods
    group: [child_id]
    start: start
    end: end
    continuous: CONTINUOUS
    message: The child's plans overlap or leave a gap.
"#;

fn periods_run(plans: &str, continuous: bool) -> crate::util::Outputs {
    let dir = Dir::new();
    dir.write(
        "pack.yaml",
        PERIODS_PACK.replace("CONTINUOUS", if continuous { "true" } else { "false" }),
    );
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: plans, file: plans.csv }\n",
    );
    dir.write("plans.csv", plans);
    dir.run(&[]).expect_code(0);
    dir.latest()
}

const PLANS: &str = "Child ID,Start,End\n\
C1,01/01/2024,01/06/2024\n\
C1,01/02/2024,01/03/2024\n\
C1,01/07/2024,\n\
C1,01/09/2024,01/10/2024\n\
C2,01/01/2024,01/02/2024\n\
C2,01/02/2024,01/03/2024\n\
C2,01/05/2024,01/06/2024\n";

#[test]
fn overlapping_periods_are_reported_on_both_rows() {
    let out = periods_run(PLANS, false);
    let lines = |table: &str| {
        let mut v: Vec<(u64, String)> = out
            .findings
            .iter()
            .filter(|f| f.table == table && f.rule_id == "PLANS-OVERLAP")
            .map(|f| {
                (
                    f.line,
                    f.message
                        .rsplit("line ")
                        .next()
                        .unwrap_or("")
                        .trim_end_matches(".)")
                        .to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    // Line 3 lies inside line 2's period; line 5 starts while line 4 is still open.
    // C2's plans meet end to start (not an overlap), and its gap is allowed here.
    let want: Vec<(u64, String)> = [(2, "3"), (3, "2"), (4, "5"), (5, "4")]
        .iter()
        .map(|(l, o)| (*l, o.to_string()))
        .collect();
    assert_eq!(lines("plans"), want);
}

#[test]
fn continuous_periods_also_report_gaps() {
    let out = periods_run(PLANS, true);
    let rules: Vec<u64> = out
        .findings
        .iter()
        .filter(|f| f.rule_id == "PLANS-OVERLAP")
        .map(|f| f.line)
        .collect();
    // The overlaps as before, plus two gaps: C1's line 4 starts on 01/07 after every earlier period
    // ended (line 2's, on 01/06), and C2's line 8 starts on 01/05 after line 7 ended on 01/03.
    for line in [2, 3, 4, 5, 7, 8] {
        assert!(rules.contains(&line), "line {line}: {rules:?}");
    }
    assert!(!rules.contains(&6), "C2's first two plans meet: {rules:?}");
}

#[test]
fn identical_periods_are_compared_once_and_unparsed_dates_are_not_checked() {
    let out = periods_run(
        "Child ID,Start,End\n\
         C1,01/01/2024,01/03/2024\n\
         C1,01/01/2024,01/03/2024\n\
         C1,31/02/2024,01/03/2024\n",
        false,
    );
    // Line 3 copies line 2 exactly: that is for `duplicate_rows`, not an overlap.
    assert!(
        !out.rules_on_line("plans", 2).contains("PLANS-OVERLAP"),
        "{:?}",
        out.findings
    );
    assert!(
        !out.rules_on_line("plans", 3).contains("PLANS-OVERLAP"),
        "{:?}",
        out.findings
    );
    let f = out.finding("plans", 4, "PLANS-OVERLAP");
    assert!(
        f.message.starts_with("Not checked: Start is not a valid date"),
        "{}",
        f.message
    );
}

const SEQUENCE_PACK: &str = r#"pack: sequence
version: 1.0.0
tables:
  plans:
    key: [child_id, start]
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: start, header: Start, type: date, required: true }
      - { name: previous_plans, header: Previous Plans, type: integer }
      - { name: status, header: Status }
rules:
  - id: PLAN-COUNT
    table: plans
    kind: sequence
    group: [child_id]
    order_by: start
    check: start = previous.start OR previous_plans > previous.previous_plans
    when: coalesce(status, '') <> 'draft'
    message: The plan counts no more previous plans than the child's plan before it.
"#;

/// A run of the sequence pack; its outputs live as long as the `Dir`.
fn sequence_run(plans: &str) -> (Dir, crate::util::Outputs) {
    let dir = Dir::new();
    dir.write("pack.yaml", SEQUENCE_PACK);
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: plans, file: plans.csv }\n",
    );
    dir.write("plans.csv", plans);
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    (dir, out)
}

/// Lines with a finding of `rule`, each with the line its message points to (0: none).
fn pointed(out: &crate::util::Outputs, rule: &str) -> Vec<(u64, u64)> {
    let mut v: Vec<(u64, u64)> = out
        .findings
        .iter()
        .filter(|f| f.rule_id == rule)
        .map(|f| {
            let to = f
                .message
                .strip_suffix(".)")
                .and_then(|m| m.rsplit_once(" line "))
                .map_or(0, |(_, l)| l.parse().expect("a line number"));
            (f.line, to)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_row_out_of_sequence_is_rejected_naming_the_row_before_it() {
    let (_dir, out) = sequence_run(
        "Child ID,Start,Previous Plans,Status\n\
         C1,01/06/2024,2,open\n\
         C1,01/01/2024,0,open\n\
         C1,2024-03-01,0,open\n\
         C2,01/01/2024,1,open\n\
         C2,01/02/2024,1,draft\n\
         C2,01/03/2024,2,open\n",
    );
    // C1 in date order is lines 3, 4, 2: line 4 (written another way) counts no more
    // plans than line 3. Line 2 follows line 4 and counts more. C2's draft on line 6 is
    // outside the rule (`when`), so line 7 follows line 5.
    assert_eq!(pointed(&out, "PLAN-COUNT"), [(4, 3)]);
    let f = out.finding("plans", 4, "PLAN-COUNT");
    assert_eq!(f.severity, "error");
    assert_eq!(f.columns, "Start; Previous Plans");
    assert_eq!(f.value, "Start=2024-03-01; Previous Plans=0");
    assert_eq!(
        f.message,
        "The plan counts no more previous plans than the child's plan before it. (see plans line 3.)"
    );
    let rejected = out.rejected("plans");
    let lines: Vec<&str> = rejected.rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(lines, ["4"], "only the later row of the pair is rejected");
    assert_eq!(out.corrected("plans").rows.len(), 5);
}

#[test]
fn rows_of_a_sequence_on_the_same_date_keep_file_order() {
    let (_dir, out) = sequence_run(
        "Child ID,Start,Previous Plans,Status\n\
         C3,01/01/2024,1,\n\
         C3,01/01/2024,0,\n\
         C3,01/02/2024,1,\n\
         C4,01/01/2024,0,\n\
         C4,01/01/2024,1,\n\
         C4,01/02/2024,1,\n",
    );
    // The tied rows are compared in file order (and pass: the same start). The row
    // after them follows the later of the two: C3's line 4 counts more than line 3,
    // C4's line 7 no more than line 6.
    assert_eq!(pointed(&out, "PLAN-COUNT"), [(7, 6)]);
}

#[test]
fn a_sequence_skips_blank_groups_and_dates_and_reports_unparsed_values_as_not_checked() {
    let (_dir, out) = sequence_run(
        "Child ID,Start,Previous Plans,Status\n\
         C1,01/01/2024,0,\n\
         C1,,0,\n\
         ,01/01/2024,5,\n\
         ,01/02/2024,0,\n\
         C5,01/01/2024,,\n\
         C5,01/02/2024,0,\n\
         C6,01/01/2024,0,\n\
         C6,01/02/2024,two,\n\
         C6,01/03/2024,0,\n\
         C6,31/02/2024,5,\n",
    );
    // Blank start (line 3) and blank child (lines 4, 5) are left to `required`; a blank
    // count (line 6) cannot be compared. C6's line 9 and 11 did not parse: they are not
    // checked, and are left out, so line 10 follows line 8 and counts no more than it.
    assert_eq!(
        pointed(&out, "PLAN-COUNT"),
        [(9, 0), (10, 8), (11, 0)],
        "{:#?}",
        out.findings
    );
    let f = out.finding("plans", 9, "PLAN-COUNT");
    assert!(
        f.message
            .starts_with("Not checked: Previous Plans is not a whole number"),
        "{}",
        f.message
    );
    assert_eq!(f.value, "two");
    let f = out.finding("plans", 11, "PLAN-COUNT");
    assert!(
        f.message.starts_with("Not checked: Start is not a valid date"),
        "{}",
        f.message
    );
    let rule = out.run_json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "PLAN-COUNT")
        .unwrap()
        .clone();
    assert_eq!(
        (rule["findings"].as_u64(), rule["not_checked"].as_u64()),
        (Some(1), Some(2))
    );
}

#[test]
fn sequence_mistakes_in_rules_files_are_positioned() {
    let dir = Dir::new();
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: plans, file: plans.csv }\n",
    );
    dir.write("plans.csv", "Child ID,Start,Previous Plans,Status\n");
    let broken = |from: &str, to: &str| {
        assert!(SEQUENCE_PACK.contains(from));
        dir.write("pack.yaml", SEQUENCE_PACK.replace(from, to));
        dir.run(&[]).expect_code(2).stderr
    };
    // A typo after `previous.` points at it and suggests the column.
    let err = broken("previous.previous_plans", "previous.previous_plan");
    assert!(
        err.contains("error[unknown-column]: table `plans` has no column `previous_plan`\n  --> pack.yaml:17:55\n"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `previous_plans`?"), "{err}");
    // A misspelt `previous` names a real column: say how to name the rows instead.
    let err = broken("previous.previous_plans", "prev.previous_plans");
    assert!(
        err.contains("error[unknown-column]: `prev` is not a row this check can read\n  --> pack.yaml:17:55\n"),
        "{err}"
    );
    assert!(
        err.contains(
            "help: write `previous_plans` for this row's value or `previous.previous_plans` for the previous row's"
        ),
        "{err}"
    );
    let err = broken("group: [child_id]", "group: []");
    assert!(err.contains("error[empty-columns]: `group` is empty"), "{err}");
}

const CONSISTENT_PACK: &str = r#"pack: consistent
version: 1.0.0
code_lists:
  gender: ["a) Male", "b) Female"]
tables:
  contacts:
    key: [child_id, contact_date]
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: contact_date, header: Date of Contact, type: date }
      - { name: born, header: Date of Birth, type: date }
      - { name: gender, header: Gender, type: code, codes: gender }
rules:
  - id: SAME-CHILD
    table: contacts
    kind: consistent
    group: [child_id]
    columns: [born, gender]
    message: The child's details differ between their contacts.
"#;

/// A run of the consistency pack; its outputs live as long as the `Dir`.
fn consistent_run(contacts: &str) -> (Dir, crate::util::Outputs) {
    let dir = Dir::new();
    dir.write("pack.yaml", CONSISTENT_PACK);
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: contacts, file: contacts.csv }\n",
    );
    dir.write("contacts.csv", contacts);
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    (dir, out)
}

#[test]
fn a_value_that_differs_within_a_group_is_rejected_naming_the_usual_one() {
    let (_dir, out) = consistent_run(
        "Child ID,Date of Contact,Date of Birth,Gender\n\
         C1,01/01/2024,01/02/2020,a) Male\n\
         C1,02/01/2024,2020-02-01, A) MALE\n\
         C1,03/01/2024,02/01/2020,b) Female\n\
         C1,04/01/2024,,\n\
         C2,01/01/2024,01/01/2019,b) Female\n\
         C2,02/01/2024,01/01/2019,b) Female\n",
    );
    // Line 3 holds line 2's values written another way; line 5's blanks are left to
    // `required`. Line 4 differs in both columns: one finding each, naming line 2.
    assert_eq!(pointed(&out, "SAME-CHILD"), [(4, 2), (4, 2)]);
    let mut found: Vec<(String, String)> = out
        .on_line("contacts", 4)
        .iter()
        .map(|f| (f.columns.clone(), f.value.clone()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("Date of Birth".to_string(), "02/01/2020".to_string()),
            ("Gender".to_string(), "b) Female".to_string())
        ]
    );
    assert!(
        out.on_line("contacts", 4)
            .iter()
            .all(|f| f.message == "The child's details differ between their contacts. (see contacts line 2.)"),
        "{:#?}",
        out.findings
    );
    let rejected = out.rejected("contacts");
    assert_eq!(rejected.rows.len(), 1);
    assert_eq!(rejected.rows[0][1], "4");
}

#[test]
fn the_usual_value_is_the_most_common_and_on_a_tie_the_first() {
    let (_dir, out) = consistent_run(
        "Child ID,Date of Contact,Date of Birth,Gender\n\
         C2,01/01/2024,01/01/2019,\n\
         C2,02/01/2024,01/01/2018,\n\
         C3,01/01/2024,05/05/2015,\n\
         C3,02/01/2024,06/06/2016,\n\
         C3,03/01/2024,06/06/2016,\n",
    );
    // C2: one of each, so the first line's value is usual. C3: line 4 differs from the
    // value most lines hold, first held on line 5.
    assert_eq!(pointed(&out, "SAME-CHILD"), [(3, 2), (4, 5)]);
}

#[test]
fn a_group_may_be_several_columns() {
    let dir = Dir::new();
    dir.write(
        "pack.yaml",
        CONSISTENT_PACK
            .replace("columns: [born, gender]", "columns: [born]")
            .replace(
                "group: [child_id]\n    columns",
                "group: [child_id, gender]\n    columns",
            ),
    );
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: contacts, file: contacts.csv }\n",
    );
    dir.write(
        "contacts.csv",
        "Child ID,Date of Contact,Date of Birth,Gender\n\
         C1,01/01/2024,01/01/2020,a) Male\n\
         C1,02/01/2024,02/02/2020,b) Female\n\
         C1,03/01/2024,03/03/2020,a) Male\n",
    );
    dir.run(&[]).expect_code(0);
    // Line 3 is a group of its own; line 4 shares line 2's.
    assert_eq!(pointed(&dir.latest(), "SAME-CHILD"), [(4, 2)]);
}

#[test]
fn consistency_skips_blank_groups_and_reports_unparsed_values_as_not_checked() {
    let (_dir, out) = consistent_run(
        "Child ID,Date of Contact,Date of Birth,Gender\n\
         ,01/01/2024,01/01/2010,a) Male\n\
         ,02/01/2024,01/01/2011,b) Female\n\
         C4,01/01/2024,31/02/2020,a) Male\n\
         C4,02/01/2024,01/01/2020,a) Male\n\
         C4,03/01/2024,01/01/2020,Monkey\n",
    );
    // Rows with no child are not one child. Line 4's date of birth and line 6's gender
    // did not parse: each is not checked in that column, and checked in the other.
    assert_eq!(pointed(&out, "SAME-CHILD"), [(4, 0), (6, 0)], "{:#?}", out.findings);
    let f = out.finding("contacts", 4, "SAME-CHILD");
    assert!(
        f.message.starts_with("Not checked: Date of Birth is not a valid date"),
        "{}",
        f.message
    );
    let f = out.finding("contacts", 6, "SAME-CHILD");
    assert!(
        f.message.starts_with("Not checked: Gender is not one of"),
        "{}",
        f.message
    );
}

#[test]
fn consistency_mistakes_in_rules_files_are_positioned() {
    let dir = Dir::new();
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: contacts, file: contacts.csv }\n",
    );
    dir.write("contacts.csv", "Child ID,Date of Contact,Date of Birth,Gender\n");
    dir.write(
        "pack.yaml",
        CONSISTENT_PACK
            .replace("group: [child_id]", "group: [chld_id]")
            .replace("columns: [born, gender]", "columns: [born, gendr]"),
    );
    let err = dir.run(&[]).expect_code(2).stderr;
    assert!(
        err.contains("error[unknown-column]: table `contacts` has no column `chld_id`\n  --> pack.yaml:17:13\n"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `child_id`?"), "{err}");
    assert!(
        err.contains("error[unknown-column]: table `contacts` has no column `gendr`\n  --> pack.yaml:18:21\n"),
        "{err}"
    );
}

/// With a small memory limit, the rules over whole tables spill to disk instead of failing:
/// the same findings as with room to spare, while the same run with spilling refused fails.
#[test]
fn a_small_memory_limit_spills_instead_of_failing() {
    const PACK: &str = r#"pack: spill
version: 1.0.0
tables:
  episodes:
    key: [id]
    columns:
      - { name: id, header: ID }
      - { name: family, header: Family }
      - { name: start, header: Start, type: date }
      - { name: end, header: End, type: date }
      - { name: linked, header: Linked ID }
rules:
  - id: OVERLAP
    table: episodes
    kind: periods
    group: [family]
    start: start
    end: end
    message: The family's periods overlap.
  - id: LINKED
    table: episodes
    kind: reference
    columns: [linked]
    references: episodes
    to: [id]
    severity: warning
    message: The linked record is not in the table.
"#;
    let dir = Dir::new();
    dir.write("pack.yaml", PACK);
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: episodes, file: episodes.csv }\n",
    );
    // 100,000 rows: several times the limit to sort, and to hold in a join.
    let mut csv = String::from("ID,Family,Start,End,Linked ID\n");
    for i in 0..100_000u32 {
        let (family, k) = (i / 3, i % 3);
        // Each family's three periods follow one another; one family in fifty overlaps.
        let start = 1 + k * 40 + u32::from(family % 50 == 0 && k == 1) * 30;
        let day = |d: u32| format!("{:02}/{:02}/{}", d % 28 + 1, d / 28 % 12 + 1, 2000 + family % 20);
        let linked = if i % 7 == 0 {
            format!("X{i}")
        } else {
            format!("E{}", (i * 13) % 100_000)
        };
        csv.push_str(&format!("E{i},F{family},{},{},{linked}\n", day(start), day(start + 35)));
    }
    dir.write("episodes.csv", csv);
    let run = |tag: &str, limit: Option<usize>, spill: bool| {
        let mut opts = cleanse::RunOptions::new(dir.path().join("cleanse.yaml"), dir.path().join(tag));
        opts.as_of = Some(chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
        if let Some(limit) = limit {
            opts.memory_limit = limit;
        }
        opts.spill = spill;
        let outcome = cleanse::run(&opts).map_err(|e| cleanse::cli::render_error(&e, false));
        outcome.map(|o| {
            let exceptions = std::fs::read_to_string(o.run_dir.join("exceptions.csv")).unwrap();
            let mut lines: Vec<String> = exceptions.lines().map(String::from).collect();
            lines.sort();
            lines
        })
    };
    // Room for an operator's working batch, far from room for the tables: the sorts spill, and
    // the reference rule's hash join, which cannot, runs again as a sort-merge join.
    const LIMIT: usize = 4 << 20;
    let roomy = run("roomy", None, true).expect("a run with the default limit");
    assert!(roomy.iter().any(|l| l.contains("OVERLAP")), "the data has overlaps");
    assert!(roomy.iter().any(|l| l.contains("LINKED")), "and unknown links");
    let small = run("small", Some(LIMIT), true).expect("a small limit spills rather than fails");
    assert_eq!(small, roomy, "spilling changes nothing that is found");
    let refused = run("refused", Some(LIMIT), false).expect_err("without spilling, the limit is not enough");
    assert!(refused.contains("Resources exhausted"), "{refused}");
}
