//! Publishing and the command line: a run that fails leaves the previous
//! results exactly as they were; the CLI explains itself.

use crate::util::{AS_OF, Dir};

const PACK: &str = r#"pack: tiny
version: 2.0.0
tables:
  visits:
    key: [child_id]
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: visit_date, header: Visit Date, type: date }
rules:
  - id: VISIT-FUTURE
    table: visits
    kind: range
    columns: [visit_date]
    max: today
    severity: warning
    message: The visit is dated in the future.
"#;

const CONFIG: &str = "rules: [pack.yaml]\ninputs:\n  - table: visits\n    file: visits.csv\n";

/// A tiny project whose run (as of 31/03/2026) gives one warning: a visit dated 01/04/2026.
pub(crate) fn project() -> Dir {
    let dir = Dir::new();
    dir.write("pack.yaml", PACK);
    dir.write("cleanse.yaml", CONFIG);
    dir.write("visits.csv", "Child ID,Visit Date\nC1,30/03/2026\nC2,01/04/2026\n");
    dir
}

/// After a good run, break the project, run again, and check nothing moved.
fn assert_failed_run_changes_nothing(break_it: impl FnOnce(&Dir), expect_in_stderr: &str) {
    let dir = project();
    let first = dir.run(&[]).expect_code(0);
    assert!(first.stderr.is_empty(), "{}", first.stderr);
    let latest = std::fs::read_link(dir.join("out/latest")).expect("latest is a link");
    let files = [
        "exceptions.csv",
        "summary.md",
        "run.json",
        "corrected/visits.csv",
        "rejected/visits.csv",
    ];
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|f| dir.read_bytes(format!("out/latest/{f}")))
        .collect();
    break_it(&dir);

    let failed = dir.run(&[]).expect_code(2);
    assert!(failed.stdout.is_empty(), "{}", failed.stdout);
    assert!(failed.stderr.contains(expect_in_stderr), "{}", failed.stderr);
    assert!(failed.stderr.ends_with("Nothing was published.\n"), "{}", failed.stderr);
    assert_eq!(
        std::fs::read_link(dir.join("out/latest")).unwrap(),
        latest,
        "latest did not move"
    );
    for (f, bytes) in files.iter().zip(&before) {
        assert_eq!(&dir.read_bytes(format!("out/latest/{f}")), bytes, "{f} is intact");
    }
    assert_eq!(dir.list("out/runs").len(), 1, "no second run directory");
    assert_eq!(
        dir.list("out"),
        ["history", "latest", "runs"],
        "no staging directory left behind"
    );
    // Nor anything in the history: one run kept, no partial files.
    for kind in ["runs", "findings"] {
        assert_eq!(
            dir.list(format!("out/history/{kind}")).len(),
            1,
            "{kind}: {:?}",
            dir.list(format!("out/history/{kind}"))
        );
    }
}

#[test]
fn broken_rules_leave_the_previous_run_in_place() {
    assert_failed_run_changes_nothing(
        |dir| dir.write("pack.yaml", PACK.replace("kind: range", "kind: rnage")),
        "error[unknown-kind]: unknown rule kind `rnage`",
    );
}

#[test]
fn a_missing_input_file_leaves_the_previous_run_in_place() {
    assert_failed_run_changes_nothing(
        |dir| std::fs::remove_file(dir.join("visits.csv")).unwrap(),
        "error[missing-file]: input file `visits.csv` does not exist",
    );
}

#[test]
fn an_unreadable_export_found_mid_run_leaves_the_previous_run_in_place() {
    // The header is read after the staging directory exists: it must be cleaned up.
    assert_failed_run_changes_nothing(
        |dir| dir.write("visits.csv", "Child,Visit Date\nC1,30/03/2026\n"),
        "error: visits.csv:1: missing column `Child ID` (table `visits`)",
    );
}

#[test]
fn without_config_and_without_cleanse_yaml_here() {
    let dir = Dir::new();
    let out = dir
        .cleanse()
        .args(["run", "--out", "out", "--as-of", AS_OF])
        .output()
        .expect_code(2);
    assert_eq!(
        out.stderr,
        "error: there is no cleanse.yaml here; pass --config PATH (the repository's own cleanse.yaml runs the demo)\n"
    );
    assert!(out.stdout.is_empty());
    assert!(!dir.exists("out"));
}

#[test]
fn the_config_defaults_to_cleanse_yaml_here_and_paths_are_relative_to_it() {
    let dir = project();
    dir.run(&[]).expect_code(0);
    assert_eq!(dir.latest().findings[0].source_file, "visits.csv");

    // Run from elsewhere with --config: paths stay relative to the config file.
    let other = Dir::new();
    other
        .cleanse()
        .arg("-q")
        .arg("run")
        .arg("--config")
        .arg(dir.join("cleanse.yaml"))
        .args(["--out", "out", "--as-of", AS_OF])
        .output()
        .expect_code(0);
    let f = &other.latest().findings[0];
    assert_eq!(f.source_file, dir.join("visits.csv").display().to_string());
    assert_eq!((f.line, f.rule_id.as_str()), (3, "VISIT-FUTURE"));
}

#[test]
fn a_config_that_does_not_exist() {
    let dir = Dir::new();
    let out = dir
        .cleanse()
        .args(["-q", "run", "--config", "nope.yaml", "--out", "out", "--as-of", AS_OF])
        .output()
        .expect_code(2);
    assert!(
        out.stderr
            .starts_with("error[unreadable-file]: cannot read nope.yaml: "),
        "{}",
        out.stderr
    );
}

#[test]
fn as_of_decides_what_today_means() {
    let dir = project();
    // The configuration says nothing; --as-of decides.
    dir.run(&[]).expect_code(0);
    assert_eq!(dir.latest().findings.len(), 1);
    assert_eq!(dir.latest().run_json["as_of"], AS_OF);
    dir.cleanse()
        .args(["-q", "run", "--out", "out", "--as-of", "2026-04-01"])
        .output()
        .expect_code(0);
    assert!(dir.latest().findings.is_empty());
    // The configuration's as_of is used when there is no --as-of, and --as-of wins over it.
    dir.write("cleanse.yaml", format!("as_of: 2026-04-01\n{CONFIG}"));
    dir.cleanse()
        .args(["-q", "run", "--out", "out"])
        .output()
        .expect_code(0);
    assert!(dir.latest().findings.is_empty());
    assert_eq!(dir.latest().run_json["as_of"], "2026-04-01");
    dir.run(&[]).expect_code(0);
    assert_eq!(dir.latest().findings.len(), 1);
}

#[test]
fn a_bad_as_of_is_a_usage_error() {
    let dir = project();
    let out = dir
        .cleanse()
        .args(["run", "--out", "out", "--as-of", "31/03/2026"])
        .output()
        .expect_code(2);
    assert!(
        out.stderr.contains("`31/03/2026` is not a date in yyyy-mm-dd form"),
        "{}",
        out.stderr
    );
    assert!(!dir.exists("out"));
}

#[test]
fn fail_on_counts_findings_at_or_above_the_threshold() {
    let dir = project(); // one warning, no errors
    for (fail_on, code) in [("never", 0), ("error", 0), ("warning", 1), ("info", 1)] {
        dir.run(&["--fail-on", fail_on]).expect_code(code);
    }
    dir.write("visits.csv", "Child ID,Visit Date\nC1,30/03/2026\n");
    dir.run(&["--fail-on", "info"]).expect_code(0);
}

#[test]
fn the_log_goes_to_stderr_and_the_results_to_stdout() {
    let dir = project();
    let out = dir
        .cleanse()
        .args(["run", "--out", "out", "--as-of", AS_OF])
        .output()
        .expect_code(0);
    assert!(out.stderr.contains("rules loaded"), "{}", out.stderr);
    assert!(out.stderr.contains("table checked"), "{}", out.stderr);
    assert!(!out.stderr.contains("C2"), "the log never holds record values");
    let first = out.stdout.lines().next().unwrap_or_default();
    assert!(first.starts_with("Checked 2 rows in 1 table"), "{first}");
    assert!(first.contains(": 2 clean, 0 rejected; 0 errors, 1 warning"), "{first}");
    assert!(
        out.stdout.contains("Start with out/latest/summary.html"),
        "{}",
        out.stdout
    );
    let quiet = dir.run(&[]).expect_code(0);
    assert!(quiet.stderr.is_empty(), "{}", quiet.stderr);
}

#[test]
fn help_and_version() {
    let dir = Dir::new();
    let help = dir.cleanse().arg("--help").output().expect_code(0);
    for word in ["Usage: cleanse", "run", "generate", "--quiet", "--version"] {
        assert!(help.stdout.contains(word), "{word}: {}", help.stdout);
    }
    let run_help = dir.cleanse().args(["run", "--help"]).output().expect_code(0);
    for word in [
        "--config",
        "--out",
        "--as-of",
        "--fail-on",
        "never, error, warning, info",
    ] {
        assert!(run_help.stdout.contains(word), "{word}: {}", run_help.stdout);
    }
    let version = dir.cleanse().arg("--version").output().expect_code(0);
    assert_eq!(version.stdout, format!("cleanse {}\n", env!("CARGO_PKG_VERSION")));
    let none = dir.cleanse().output().expect_code(2);
    assert!(none.stderr.contains("Usage: cleanse"), "{}", none.stderr);
}
