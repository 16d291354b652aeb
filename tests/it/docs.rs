//! `cleanse explain` and `cleanse rules`: documentation from the source and the configured packs.

use crate::util::Dir;

#[test]
fn explain_a_shipped_rule() {
    let dir = Dir::new().with_demo();
    let out = dir.cleanse().args(["explain", "CON-001"]).output().expect_code(0);
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn explain_a_rule_kind_without_a_configuration() {
    let out = Dir::new().cleanse().args(["explain", "range"]).output().expect_code(0);
    assert!(out.stdout.starts_with("range: a rule kind"), "{}", out.stdout);
    // Its keys and its example.
    assert!(
        out.stdout.contains("  min      optional  Smallest allowed value."),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("    kind: range"), "{}", out.stdout);
}

#[test]
fn explain_a_correction_kind() {
    let out = Dir::new().cleanse().args(["explain", "fill"]).output().expect_code(0);
    assert!(out.stdout.starts_with("fill: a correction kind"), "{}", out.stdout);
    assert!(out.stdout.contains("Stage 4 of 5"), "{}", out.stdout);
    assert!(out.stdout.contains("  from "), "{}", out.stdout);
}

#[test]
fn explain_a_diagnostic_code() {
    let out = Dir::new()
        .cleanse()
        .args(["explain", "unknown-column"])
        .output()
        .expect_code(0);
    assert!(
        out.stdout.starts_with("error[unknown-column]: a diagnostic code"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("declare the column"), "{}", out.stdout);
}

#[test]
fn explain_a_correction_attached_to_a_rule() {
    let dir = Dir::new().with_demo();
    let out = dir.cleanse().args(["explain", "CON-003.fix"]).output().expect_code(0);
    assert!(out.stdout.contains("fixes:    rule CON-003"), "{}", out.stdout);
    assert!(out.stdout.contains("apply:    review"), "{}", out.stdout);
}

#[test]
fn explain_an_unknown_name_suggests_a_close_one() {
    let dir = Dir::new().with_demo();
    let out = dir.cleanse().args(["explain", "CON-01"]).output().expect_code(1);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("nothing is called `CON-01`"), "{}", out.stderr);
    assert!(out.stderr.contains("help: did you mean `CON-001`?"), "{}", out.stderr);
}

#[test]
fn explain_with_a_configuration_that_does_not_load() {
    let out = Dir::new()
        .cleanse()
        .args(["explain", "range", "--config", "missing.yaml"])
        .output()
        .expect_code(2);
    assert!(out.stderr.contains("error[unreadable-file]"), "{}", out.stderr);
    // A kind or code is still explained: it may be what the broken pack needs.
    assert!(out.stdout.starts_with("range: a rule kind"), "{}", out.stdout);
}

#[test]
fn rules_lists_the_demo_packs() {
    let dir = Dir::new().with_demo();
    let out = dir.cleanse().arg("rules").output().expect_code(0);
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn rules_needs_a_configuration() {
    let out = Dir::new().cleanse().arg("rules").output().expect_code(2);
    assert!(out.stderr.contains("no cleanse.yaml here"), "{}", out.stderr);
}
