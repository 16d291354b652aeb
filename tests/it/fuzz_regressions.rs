//! Inputs that fuzzing found to crash or hang Cleanse (see `fuzz/README.md`),
//! each run through the real binary: it must now refuse them cleanly.

use crate::util::{Dir, Output, repo};

/// `cleanse check base.yaml fuzzed.yaml`, with the pack the fuzzed rules files were loaded beside
/// (`tests/broken_rules/base.yaml`: a `plans` table).
fn check_beside_base(fuzzed: &str) -> Output {
    let dir = Dir::new();
    dir.write(
        "base.yaml",
        std::fs::read(repo().join("tests/broken_rules/base.yaml")).expect("base pack"),
    );
    dir.write("fuzzed.yaml", fuzzed);
    dir.cleanse().args(["check", "base.yaml", "fuzzed.yaml"]).output()
}

/// A rule with `check: <sql>` on the base pack's `plans` table.
fn pack_with_check(sql: &str) -> String {
    format!(
        "pack: fuzzed\nversion: 1.0.0\nrules:\n  - id: FUZZ-1\n    table: plans\n    kind: check\n    check: {sql}\n    message: fuzzed\n"
    )
}

#[test]
fn a_very_long_sql_expression_is_refused_not_a_stack_overflow() {
    // A thousand terms overflowed the stack in DataFusion's planner: the process aborted
    // (SIGABRT, no diagnostic) during `cleanse check` and `cleanse run`.
    let sql = format!("{} > 0", vec!["previous_plans"; 1000].join(" + "));
    let out = check_beside_base(&pack_with_check(&sql)).expect_code(1);
    assert!(out.stdout.contains("error[bad-sql]"), "{}", out.stdout);
    assert!(
        out.stdout.contains("too long to check: it has more than 200 operators"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("fuzzed.yaml:7:"), "{}", out.stdout);
    // A long but reasonable condition still loads.
    let sql = format!("{} > 0", vec!["previous_plans"; 100].join(" + "));
    check_beside_base(&pack_with_check(&sql)).expect_code(0);
}
