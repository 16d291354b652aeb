//! Errors typed by phase (issue 14): whatever a user's files cause is named by the file it is
//! about (an output by its own path, never the export its rows came from; a damaged history by
//! the file or folder that does not read; a rule by where it is written) and is never an
//! "internal error" that "is a bug in Cleanse". A broken invariant of Cleanse itself is an
//! `expect` stating it, not an error a user can be given: `Error::Internal` only shrinks.

use std::path::Path;

use crate::util::{AS_OF, Dir};

/// Nothing in `stderr` says the failure is Cleanse's own.
#[track_caller]
fn assert_not_a_bug(stderr: &str) {
    assert!(!stderr.contains("internal error"), "{stderr}");
    assert!(!stderr.contains("bug"), "{stderr}");
}

/// A failed run's stderr: what went wrong, then that nothing was published; and nothing was.
#[track_caller]
fn assert_failed_run(dir: &Dir, out: &crate::util::Output, starts: &str) {
    assert!(out.stderr.starts_with(starts), "{}", out.stderr);
    assert!(out.stderr.ends_with("Nothing was published.\n"), "{}", out.stderr);
    assert_not_a_bug(&out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    if dir.join("out").is_dir() {
        assert!(dir.staging_dirs("out").is_empty(), "no staging folder left behind");
    }
}

const PACK: &str = r#"pack: council
version: 1.0.0
tables:
  children:
    key: [child_id]
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: born, header: Date of Birth, type: date }
rules:
  - id: FUTURE
    table: children
    kind: range
    severity: warning
    columns: [born]
    max: today
    message: >-
      Date of birth is in the future. A long message, so that exceptions.csv grows far faster
      than the corrected rows: every row gets one line of it, and one line is this long. Check
      the date against the case record, and correct it in the case management system so that
      the next export carries the right date; this report cannot correct it for you.
"#;

const CONFIG: &str = "rules: [pack.yaml]\ninputs:\n  - { table: children, file: children.csv }\n";

/// A project whose every one of `rows` children is born in the future (a warning each).
fn project(rows: usize) -> Dir {
    let dir = Dir::new();
    dir.write("pack.yaml", PACK);
    dir.write("cleanse.yaml", CONFIG);
    let mut csv = String::from("Child ID,Date of Birth\n");
    for i in 0..rows {
        csv.push_str(&format!("C{i},01/01/2030\n"));
    }
    dir.write("children.csv", csv);
    dir
}

/// An output that cannot be written part way through (a full disk, a quota): the error names the
/// output being written and keeps the system's own words, and nothing is published.
#[test]
fn an_output_that_cannot_be_written_is_named_not_the_export() {
    // exceptions.csv grows to about 2.5 MB, the other outputs stay far under the limit.
    let dir = project(6000);
    let out = dir
        .cleanse()
        .args(["--quiet", "run", "--out", "out", "--as-of", AS_OF])
        .file_size_limit(512 << 10)
        .output()
        .expect_code(2);
    assert_failed_run(&dir, &out, "error: out/.staging-");
    assert!(
        out.stderr.contains("/exceptions.csv: File too large (os error 27)\n"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("children.csv"), "{}", out.stderr);
    assert!(!dir.exists("out/latest"));
    assert!(dir.list("out/runs").is_empty(), "no run kept");
}

/// An output folder that is a file: the folder Cleanse could not make is named.
#[test]
fn an_output_folder_that_is_a_file_is_named() {
    let dir = project(1);
    dir.write("out", "not a folder");
    let out = dir.run(&[]).expect_code(2);
    assert_failed_run(&dir, &out, "error: out/history: Not a directory (os error 20)\n");
    assert_eq!(dir.read("out"), "not a folder");
}

/// `cleanse report` over a history file that is not what the history writes: the file is named,
/// and it is not called a bug.
#[test]
fn a_damaged_history_file_is_named_by_report() {
    let dir = project(1);
    dir.run(&[]).expect_code(0);
    let kept = dir.list("out/history/runs");
    dir.write(format!("out/history/runs/{}", kept[0]), "not parquet");
    let out = dir.cleanse().args(["report", "--out", "out"]).output().expect_code(2);
    assert!(
        out.stderr.starts_with(&format!(
            "error: out/history/runs/{}: the history does not read: the query failed (",
            kept[0]
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.ends_with("; the file may be damaged\n"), "{}", out.stderr);
    assert_not_a_bug(&out.stderr);
}

/// A kept run whose run.json has an as-of date that is not one: the file holding it is named (it
/// used to be "history:").
#[test]
fn a_kept_run_with_a_date_that_is_not_one_is_named_by_its_file() {
    use datafusion::arrow::array::{ArrayRef, Date32Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    let dir = project(1);
    dir.run(&[]).expect_code(0);
    let mut report: serde_json::Value = serde_json::from_str(&dir.read("out/latest/run.json")).unwrap();
    report["as_of"] = "31/03/2026".into();
    let id = "20200101T000000Z";
    std::fs::create_dir_all(dir.join(format!("out/runs/{id}"))).unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("run_id", DataType::Utf8, false),
        Field::new("as_of", DataType::Date32, false),
        Field::new("started", DataType::Utf8, false),
        Field::new("report", DataType::Utf8, false),
    ]));
    let text = |s: &str| Arc::new(StringArray::from(vec![s])) as ArrayRef;
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            text(id),
            Arc::new(Date32Array::from(vec![18262])) as ArrayRef,
            text("2020-01-01T00:00:00Z"),
            text(&report.to_string()),
        ],
    )
    .unwrap();
    let path = dir.join(format!("out/history/runs/{id}.parquet"));
    let file = std::fs::File::create(&path).unwrap();
    let mut w = datafusion::parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();

    let out = dir
        .cleanse()
        .args(["report", "--out", "out", "--run", id])
        .output()
        .expect_code(2);
    assert!(
        out.stderr.starts_with(&format!(
            "error: out/history/runs/{id}.parquet: the history does not read: its run's as-of date `31/03/2026` does not read ("
        )),
        "{}",
        out.stderr
    );
    assert_not_a_bug(&out.stderr);
}

/// Where the history keeps its runs, a file: the run cannot be kept, says where, and publishes
/// nothing (the previous run stays `latest`).
#[test]
fn a_history_folder_that_is_a_file_stops_the_run_and_is_named() {
    let dir = project(1);
    dir.run(&[]).expect_code(0);
    let latest = std::fs::read_link(dir.join("out/latest")).unwrap();
    std::fs::remove_dir_all(dir.join("out/history/runs")).unwrap();
    dir.write("out/history/runs", "not a folder");
    let out = dir.run(&[]).expect_code(2);
    assert_failed_run(
        &dir,
        &out,
        "error: out/history/runs: the history cannot be kept: this should be a folder, and is not",
    );
    assert_eq!(std::fs::read_link(dir.join("out/latest")).unwrap(), latest);
    assert_eq!(dir.list("out/runs").len(), 1, "no second run");
}

/// A rule over whole tables that validation accepts but that fails on the exports' values is
/// named with where it is written (it used to be "internal error: cross-table check").
#[test]
fn a_rule_that_fails_on_the_values_is_named_where_it_is_written() {
    let dir = Dir::new();
    dir.write(
        "pack.yaml",
        r#"pack: council
version: 1.0.0
tables:
  children:
    key: [child_id]
    columns:
      - { name: child_id, header: Child ID, required: true }
  visits:
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: n, header: N, type: integer }
rules:
  - id: DIV
    table: children
    kind: related
    columns: [child_id]
    references: visits
    check: 10 / other.n > 1
    message: Ten visits each.
"#,
    );
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: children, file: children.csv }\n  - { table: visits, file: visits.csv }\n",
    );
    dir.write("children.csv", "Child ID\nC1\n");
    dir.write("visits.csv", "Child ID,N\nC1,0\n");
    dir.cleanse().args(["check", "cleanse.yaml"]).output().expect_code(0);
    let out = dir.run(&[]).expect_code(2);
    assert_failed_run(
        &dir,
        &out,
        "error: pack.yaml:13: rule `DIV` on table `children` could not be evaluated over the whole table: \
         Arrow error: Divide by zero error\n",
    );
}

/// `Error::Internal` is gone: a user's problem has a typed variant naming its file, and a broken
/// invariant is an `expect` stating it. DataFusion's own `Internal` (which prints "this is a
/// bug") is not raised by Cleanse's code either.
#[test]
fn no_internal_error_anywhere() {
    let src = crate::util::repo().join("src");
    let mut files = Vec::new();
    crate::architecture::rust_files(&src, &mut files);
    let mut found: Vec<String> = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let code = crate::architecture::without_tests(&crate::architecture::code_only(&text));
        if code.contains("Error::Internal") {
            let rel = file.strip_prefix(&src).unwrap_or(Path::new(""));
            found.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    assert!(
        found.is_empty(),
        "Error::Internal in {found:?}: give the problem a typed variant, or an `expect` stating the invariant"
    );
}
