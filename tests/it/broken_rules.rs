//! Rules files with mistakes in them, one mistake per file in
//! `tests/broken_rules/` (plus `several_problems.yaml` and `no_close_name.yaml`).
//! Each must stop the run (exit 2, nothing published) with a diagnostic that
//! names the file, line and column, underlines the text and, where a name is
//! close to a real one, suggests it. The full text is snapshotted per file.

use crate::util::{Dir, Output, repo};

/// Run the shared configuration with `base.yaml` and the broken pack `name.yaml`.
fn run_broken(name: &str) -> (Dir, Output) {
    let src = repo().join("tests/broken_rules");
    let dir = Dir::new();
    for f in ["base.yaml", "plans.csv", &format!("{name}.yaml")] {
        dir.write(f, std::fs::read(src.join(f)).unwrap_or_else(|e| panic!("{f}: {e}")));
    }
    let config = std::fs::read_to_string(src.join("cleanse.yaml")).unwrap();
    assert!(config.contains("BROKEN"));
    dir.write("cleanse.yaml", config.replace("BROKEN", &format!("{name}.yaml")));
    let out = dir.run(&[]).expect_code(2);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.ends_with("\nNothing was published.\n"), "{}", out.stderr);
    assert!(!dir.exists("out/latest"), "a failed run publishes nothing");
    assert!(!dir.exists("out/runs"), "rules are checked before any output is made");
    (dir, out)
}

macro_rules! cases {
    ($($name:ident: $code:literal at $at:literal $(, help $help:literal)?;)*) => {
        /// Every broken pack that has a test (checked against the folder).
        const CASES: &[&str] = &[$(stringify!($name)),*];
        $(
            #[test]
            fn $name() {
                let (_dir, out) = run_broken(stringify!($name));
                let err = &out.stderr;
                assert!(err.starts_with(&format!("error[{}]: ", $code)), "{err}");
                assert!(
                    err.contains(&format!("--> {}.yaml:{}\n", stringify!($name), $at)),
                    "want the problem at {}:\n{err}",
                    $at
                );
                $(assert!(err.contains(&format!("help: {}\n", $help)), "{err}");)?
                insta::assert_snapshot!(out.stderr);
            }
        )*
    };
}

cases! {
    // An unclosed list: the parser notices a line later; point at the `[`.
    yaml_syntax: "yaml-syntax" at "7:14", help "close it with `]` on the same line";
    tab_indent: "yaml-syntax" at "6:1", help "YAML indents with spaces, never tabs";
    unknown_top_level_key: "unknown-key" at "3:1",
        help "the keys allowed here are: pack, version, description, code_lists, tables, rules, corrections, examples_as_of, examples_reference, collection_year, extends, remove, report_by";
    misspelt_rule_key: "unknown-key" at "5:5", help "did you mean `table`?";
    unknown_table: "unknown-table" at "5:12", help "did you mean `plans`?";
    unknown_kind: "unknown-kind" at "6:11", help "did you mean `required`?";
    unknown_severity: "unknown-severity" at "8:15", help "did you mean `error`?";
    unknown_column: "unknown-column" at "7:21", help "did you mean `plan_end_date`?";
    // The span is the identifier inside the expression, not the start of the string.
    unknown_column_in_sql: "unknown-column" at "8:29", help "did you mean `plan_start_date`?";
    unknown_sql_function: "bad-sql" at "7:29", help "did you mean `date_trunc`?";
    sql_syntax_error: "bad-sql" at "7:29";
    check_not_a_condition: "not-a-condition" at "7:12";
    invalid_regex: "bad-regex" at "8:14";
    duplicate_rule_id: "duplicate-rule-id" at "10:9";
    unknown_code_list: "unknown-code-list" at "9:68", help "did you mean `yes_no_unknown`?";
    unknown_column_type: "unknown-type" at "7:55", help "did you mean `date`?";
    key_not_for_kind: "key-not-for-kind" at "9:14", help "`range` takes: columns, min, max, when";
    missing_required_key: "missing-key" at "6:11";
    bad_range_bound: "bad-bound" at "8:10";
    // A quoted date that is not one: said plainly, pointing at the quoted text.
    date_compared_with_text: "bad-date" at "7:29";
    // Comparing values of different types, and names SQL cannot read.
    type_mismatch_date_text: "type-mismatch" at "7:12", help "compare `plan_end_date` with a date: a date column, a date in quotes written yyyy-mm-dd (e.g. '2024-04-01'), or today(); if `team` holds dates, declare it with `type: date`";
    date_literal_uk_form: "bad-date" at "7:31", help "in SQL, write a date as yyyy-mm-dd: '2024-04-01'";
    number_compared_with_text: "type-mismatch" at "7:29", help "`previous_plans` is a whole number: compare it with a number, written without quotes (e.g. `previous_plans > 0`)";
    today_without_brackets: "unknown-column" at "7:31", help "write `today()`, with brackets, for the run's date";
    // The collection year's dates need a year, written as the DfE writes it.
    collection_start_without_year: "no-collection-year" at "7:31",
        help "add `collection_year: 2025-26` to the configuration, or to the pack if its rules are for one year";
    bad_collection_year: "yaml-syntax" at "3:18";
    qualified_column_in_check: "unknown-table" at "7:12";
    unknown_function_in_when: "bad-sql" at "8:11", help "did you mean `length`?";
    // Tables between rules.
    reference_unknown_table: "unknown-table" at "14:17", help "did you mean `children`?";
    related_unknown_table: "unknown-table" at "14:17", help "did you mean `children`?";
    related_other_misspelt: "unknown-table" at "15:12", help "did you mean `other`?";
    related_table_called_other: "reserved-name" at "11:12", help "rename the table (in its declaration and every rule that names it)";
    // Wrong types, bad indentation and other YAML mistakes.
    periods_empty_group: "empty-columns" at "7:12";
    columns_not_a_list: "wrong-type" at "7:14", help "write a list in brackets: `columns: [team]`";
    severity_as_list: "wrong-type" at "8:15", help "write `severity: warning`";
    range_bound_not_a_number: "bad-bound" at "8:10";
    continuous_not_true_or_false: "wrong-type" at "10:17", help "write `continuous: true` or `continuous: false`";
    key_indented_too_far: "bad-indentation" at "6:7", help "indent `kind` by 4 spaces, like `table`; keys of one entry line up";
    key_indented_too_little: "bad-indentation" at "6:3", help "indent `kind` by 4 spaces, like `table` above it";
    fix_keys_not_indented: "bad-indentation" at "10:5", help "indent the lines that belong to `fix` by two more spaces than `fix`";
    duplicate_key: "duplicate-key" at "8:5", help "the first is on line 6; keep one";
    missing_message: "missing-key" at "4:5", help "add `message: ...`, lined up with the entry's other keys";
    duplicate_id_across_packs: "duplicate-rule-id" at "4:9", help "first used at base.yaml:17; rule ids must be unique across all packs";
    several_problems: "unknown-kind" at "7:11", help "did you mean `required`?";
    no_close_name: "unknown-table" at "6:12", help "tables: plans";
    // Corrections.
    unknown_correction_kind: "unknown-correction-kind" at "6:11", help "did you mean `normalise`?";
    merge_declared: "merge-declared" at "6:11", help "give the `same_person` rule a `merge:` (survivor and references); it makes these corrections";
    correction_apply_typo: "unknown-apply" at "8:12", help "did you mean `safe`?";
    synonym_not_a_code: "not-a-code" at "8:31", help "did you mean `b) No`?";
    date_fix_on_text_column: "not-a-date-column" at "7:32";
    fix_key_not_for_kind: "key-not-for-kind" at "9:29", help "`map` takes: synonyms, synonyms_file";
    synonym_chain: "synonym-chain" at "8:26", help "map `CP Team` straight to `Safeguarding`";
    set_wrong_type: "wrong-type" at "8:12";
    // A sequence is put in order by a date or a number, never by text.
    order_by_text: "bad-order-by" at "8:15", help "order by a column with `type: date` or `type: integer`";
    order_by_unknown_column: "unknown-column" at "8:15", help "did you mean `plan_start_date`?";
    // More corrections.
    apply_yes: "unknown-apply" at "8:12";
    fill_unknown_table: "unknown-table" at "14:11", help "did you mean `children`?";
    fix_id_reused: "duplicate-correction-id" at "11:9", help "first used at fix_id_reused.yaml:9; correction ids must be unique";
    correction_when_unknown_column: "unknown-column" at "9:11", help "did you mean `plan_end_date`?";
    correction_value_unknown_column: "unknown-column" at "8:21", help "did you mean `previous_plans`?";
    unknown_comparison: "unknown-comparison" at "18:31", help "did you mean `surname`?";
    person_unknown_field: "unknown-key" at "17:57", help "did you mean `date_of_birth`?";
    possible_above_same: "bad-threshold" at "18:40";
    unknown_survivor_rule: "unknown-survivor-rule" at "19:18", help "did you mean `most_recent`?";
    wrong_weight_count: "wrong-weight-count" at "19:19", help "one weight per level, in order: same, different";
    comparison_needs_field: "comparison-needs-field" at "18:31",
        help "declare `postcode` under `person`, or leave this comparison out";
}

#[test]
fn every_broken_pack_has_a_test() {
    let mut files: Vec<String> = std::fs::read_dir(repo().join("tests/broken_rules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".yaml").map(str::to_owned))
        .filter(|n| n != "base" && n != "cleanse")
        .collect();
    files.sort();
    let mut cases: Vec<&str> = CASES.to_vec();
    cases.sort();
    assert_eq!(files, cases);
}

#[test]
fn the_shared_base_pack_and_config_are_correct() {
    let src = repo().join("tests/broken_rules");
    let dir = Dir::new();
    for f in ["base.yaml", "plans.csv"] {
        dir.write(f, std::fs::read(src.join(f)).unwrap());
    }
    let config = std::fs::read_to_string(src.join("cleanse.yaml")).unwrap();
    dir.write("cleanse.yaml", config.replace("  - BROKEN\n", ""));
    dir.run(&[]).expect_code(0);
    assert!(dir.latest().findings.is_empty());
}

#[test]
fn every_problem_in_a_file_is_reported_in_one_run() {
    let (_dir, out) = run_broken("several_problems");
    let err = &out.stderr;
    for (code, n) in [
        ("unknown-kind", 1),
        ("unknown-severity", 1),
        ("unknown-column", 2),
        ("bad-regex", 1),
    ] {
        assert_eq!(err.matches(&format!("error[{code}]")).count(), n, "{code}:\n{err}");
    }
    // A bad severity does not hide the same rule's unknown column.
    for at in ["7:11", "15:15", "14:15", "21:29", "28:14"] {
        assert!(
            err.contains(&format!("--> several_problems.yaml:{at}\n")),
            "{at}:\n{err}"
        );
    }
    assert!(err.contains("error: 5 problems found\n"), "{err}");
}

#[test]
fn no_far_fetched_suggestions() {
    let (_dir, out) = run_broken("no_close_name");
    let err = &out.stderr;
    assert!(!err.contains("did you mean"), "{err}");
    // Instead, the names that do exist.
    assert!(err.contains("help: tables: plans\n"), "{err}");
    assert!(err.contains("help: rule kinds: required, type, code_form,"), "{err}");
    assert!(
        err.contains(
            "help: columns of `plans`: child_id, plan_start_date, plan_end_date, seen_alone, previous_plans, team\n"
        ),
        "{err}"
    );
    assert!(err.contains("unknown function `frobnicate`"), "{err}");
    assert!(err.contains("error: 4 problems found\n"), "{err}");
}

#[test]
fn a_broken_table_does_not_make_its_rules_report_an_unknown_table() {
    let (_dir, out) = run_broken("unknown_code_list");
    assert_eq!(out.stderr.matches("error[").count(), 1, "{}", out.stderr);
    assert!(!out.stderr.contains("unknown-table"), "{}", out.stderr);
}

#[test]
fn config_problems_are_positioned_too() {
    let dir = Dir::new();
    dir.write(
        "base.yaml",
        std::fs::read(repo().join("tests/broken_rules/base.yaml")).unwrap(),
    );
    dir.write(
        "plans.csv",
        std::fs::read(repo().join("tests/broken_rules/plans.csv")).unwrap(),
    );
    dir.write(
        "cleanse.yaml",
        "rules: [base.yaml, council.yaml]\ninputs:\n  - table: plans\n    file: plans.csv\n    encoding: utf8x\n  - table: plan\n    file: missing.csv\n",
    );
    let out = dir.run(&[]).expect_code(2);
    insta::assert_snapshot!(out.stderr);
    assert!(!dir.exists("out"));
}
