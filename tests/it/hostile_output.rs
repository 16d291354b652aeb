//! The output folder under stress: runs killed mid-way, runs at the same time on one output
//! folder, symbolic links and hostile names where Cleanse writes. Nothing is written outside the
//! output folder, debris of dead runs is cleared (and a live run's never is), and `latest` always
//! points at a complete run.

use std::fs::File;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::publish::project;
use crate::util::{AS_OF, Cmd, Dir, Outputs};

/// A run id far from any the tests' runs get.
const OLD_ID: &str = "20200101T000000Z";

/// `cleanse run --out out --as-of AS_OF <args>` with the log at its default level (info).
fn run_logged(dir: &Dir, args: &[&str]) -> crate::util::Output {
    dir.cleanse()
        .args(["run", "--out", "out", "--as-of", AS_OF])
        .args(args)
        .output()
}

fn spawn_run(dir: &Dir, config: &str) -> Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_cleanse"))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env_remove("CLEANSE_LOG")
        .env_remove("RUST_LOG")
        .args(["-q", "run", "--config", config, "--out", "out", "--as-of", AS_OF])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cleanse")
}

/// Entries of `out` other than the three a finished run leaves.
fn debris(dir: &Dir) -> Vec<String> {
    dir.list("out")
        .into_iter()
        .filter(|n| !["history", "latest", "runs"].contains(&n.as_str()))
        .collect()
}

/// Files in `out/history/<kind>` (the root lock lives one level up, in `out/history/`).
fn kept(dir: &Dir, kind: &str) -> Vec<String> {
    dir.list(format!("out/history/{kind}"))
}

/// The run `out/latest` points at, which must be a complete run.
#[track_caller]
fn latest_run(dir: &Dir) -> String {
    let target = std::fs::read_link(dir.join("out/latest")).expect("latest is a link");
    let id = target
        .strip_prefix("runs")
        .expect("latest points into runs/")
        .to_string_lossy()
        .into_owned();
    let outputs = Outputs::read(&dir.join("out/latest"));
    assert_eq!(outputs.run_json["run_id"], id.as_str(), "latest is a complete run");
    for f in ["summary.md", "summary.html", "summary.json", "corrected/visits.csv"] {
        assert!(dir.exists(format!("out/latest/{f}")), "{f}");
    }
    id
}

#[test]
fn a_killed_run_leaves_debris_that_the_next_run_clears_and_logs() {
    let dir = project();
    let mut big = String::from("Child ID,Visit Date\n");
    for i in 0..300_000 {
        big.push_str(&format!("C{i},30/03/2026\n"));
    }
    dir.write("big.csv", big);
    dir.write(
        "big.yaml",
        "rules: [pack.yaml]\ninputs:\n  - table: visits\n    file: big.csv\n",
    );
    // A good run first: the killed one must leave it as it was.
    dir.run(&[]).expect_code(0);
    let good = latest_run(&dir);

    let mut child = spawn_run(&dir, "big.yaml");
    // Kill it once it has claimed its id and locked its staging: from there it checks every row.
    let started = Instant::now();
    let staging = loop {
        let found = dir
            .staging_dirs("out")
            .into_iter()
            .find(|s| dir.exists(format!("out/{s}/.lock")));
        if let Some(s) = found {
            break s;
        }
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("the big run ended ({status}) before it could be killed");
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the big run never staged");
        std::thread::sleep(Duration::from_millis(2));
    };
    child.kill().expect("kill -9");
    child.wait().expect("reap");
    let dead = staging.strip_prefix(".staging-").expect("a staging folder").to_string();
    assert!(dir.join(format!("out/runs/{dead}")).is_dir(), "its claim is left");
    assert_eq!(latest_run(&dir), good, "latest did not move");
    // And a stray link, as a run killed while switching `latest` leaves.
    std::os::unix::fs::symlink(format!("runs/{dead}"), dir.join(format!("out/.latest-{dead}"))).unwrap();

    let next = run_logged(&dir, &[]).expect_code(0);
    assert!(
        next.stderr
            .contains("cleared what runs that did not finish left behind"),
        "{}",
        next.stderr
    );
    assert!(next.stderr.contains(&dead), "the log names the run: {}", next.stderr);
    assert!(next.stderr.contains("staging=1"), "{}", next.stderr);
    assert!(next.stderr.contains("links=1"), "{}", next.stderr);
    assert!(!next.stderr.contains("C2"), "the log never holds record values");
    assert_eq!(debris(&dir), Vec::<String>::new());
    assert_eq!(dir.list("out/runs").len(), 2, "the good runs, and no empty claim");
    // (The next run may reuse the cleared id, if it started in the same second.)
    for run in dir.list("out/runs") {
        assert!(
            dir.exists(format!("out/runs/{run}/run.json")),
            "{run} is a complete run"
        );
    }
    assert_ne!(latest_run(&dir), good);
    assert_eq!(kept(&dir, "runs").len(), 2);
    assert_eq!(kept(&dir, "findings").len(), 2);
}

#[test]
fn a_running_runs_staging_is_left_alone() {
    let dir = project();
    // A run in progress: its staging folder and claim, its lock held (by this test process).
    dir.write(format!("out/.staging-{OLD_ID}/.lock"), "1\n");
    dir.write(format!("out/.staging-{OLD_ID}/exceptions.csv"), "half");
    std::fs::create_dir_all(dir.join(format!("out/runs/{OLD_ID}"))).unwrap();
    let lock = File::options()
        .write(true)
        .open(dir.join(format!("out/.staging-{OLD_ID}/.lock")))
        .unwrap();
    lock.lock().unwrap();

    let out = run_logged(&dir, &[]).expect_code(0);
    assert!(out.stderr.contains("another run is in progress"), "{}", out.stderr);
    assert!(!out.stderr.contains("cleared"), "{}", out.stderr);
    assert_eq!(dir.read(format!("out/.staging-{OLD_ID}/exceptions.csv")), "half");
    assert!(dir.join(format!("out/runs/{OLD_ID}")).is_dir());
    latest_run(&dir);

    // Once its process is gone (here: the lock released), it is debris.
    drop(lock);
    let out = run_logged(&dir, &[]).expect_code(0);
    assert!(out.stderr.contains("cleared what runs"), "{}", out.stderr);
    assert!(out.stderr.contains(OLD_ID), "{}", out.stderr);
    assert_eq!(debris(&dir), Vec::<String>::new());
    assert!(!dir.exists(format!("out/runs/{OLD_ID}")));
}

#[test]
fn symbolic_links_where_cleanse_writes_are_refused() {
    for rel in ["runs", "history", "history/findings", &format!(".staging-{OLD_ID}")] {
        let dir = project();
        std::fs::create_dir_all(dir.join("elsewhere")).unwrap();
        let link = dir.join("out").join(rel);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(dir.join("elsewhere"), &link).unwrap();
        let out = dir.run(&[]).expect_code(2);
        assert!(
            out.stderr.starts_with(&format!(
                "error: out/{rel}: is a symbolic link; Cleanse writes only into real folders"
            )),
            "{rel}: {}",
            out.stderr
        );
        assert!(out.stderr.ends_with("Nothing was published.\n"), "{}", out.stderr);
        assert!(!out.stderr.contains("bug"), "{}", out.stderr);
        assert!(
            dir.list("elsewhere").is_empty(),
            "{rel}: nothing written through the link"
        );
        assert!(!dir.exists("out/latest"), "{rel}: nothing published");
    }
}

#[test]
fn latest_as_a_link_elsewhere_is_replaced_not_written_through() {
    let dir = project();
    dir.write("elsewhere/keep.txt", "mine");
    std::fs::create_dir_all(dir.join("out")).unwrap();
    std::os::unix::fs::symlink(dir.join("elsewhere"), dir.join("out/latest")).unwrap();
    dir.run(&[]).expect_code(0);
    latest_run(&dir);
    assert_eq!(dir.list("elsewhere"), ["keep.txt"]);
    assert_eq!(dir.read("elsewhere/keep.txt"), "mine");
}

#[test]
fn a_run_name_that_is_not_a_run_id_is_never_made_into_a_path() {
    let dir = project();
    dir.run(&[]).expect_code(0);
    dir.write("out/x/summary.md", "mine");
    let out = dir
        .cleanse()
        .args(["report", "--out", "out", "--run", "../x"])
        .output()
        .expect_code(2);
    assert!(
        out.stderr
            .starts_with("error: out/history: the history keeps no run `../x`: that is not a run id"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("bug"), "{}", out.stderr);
    assert_eq!(dir.read("out/x/summary.md"), "mine");
}

/// A history file holding a run whose id is a path (damaged, or planted): `report` refuses it
/// clearly, and a run goes on without the history rather than read or delete files elsewhere.
#[test]
fn a_hostile_run_id_in_the_history_is_refused() {
    use datafusion::arrow::array::{ArrayRef, Date32Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    let dir = project();
    dir.run(&[]).expect_code(0);
    // Pruning would delete `history/runs/<id>.parquet`: with this id, `out/evil.parquet`.
    let hostile = "../../evil";
    dir.write("out/evil.parquet", "keep me");
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
            text(hostile),
            Arc::new(Date32Array::from(vec![0])) as ArrayRef, // 1970: long past keep_days
            text("1970-01-01T00:00:00Z"),
            text("{}"),
        ],
    )
    .unwrap();
    let file = File::create(dir.join("out/history/runs/19700101T000000Z.parquet")).unwrap();
    let mut w = datafusion::parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();

    let out = dir.cleanse().args(["report", "--out", "out"]).output().expect_code(2);
    assert!(out.stderr.contains("`../../evil` is not a run id"), "{}", out.stderr);
    assert!(!out.stderr.contains("bug"), "{}", out.stderr);

    let out = run_logged(&dir, &[]).expect_code(0);
    assert!(out.stderr.contains("the history could not be read"), "{}", out.stderr);
    assert!(out.stderr.contains("`../../evil` is not a run id"), "{}", out.stderr);
    assert_eq!(dir.read("out/evil.parquet"), "keep me");
    latest_run(&dir);
}

/// Two runs on one output folder at the same time, five times over: both publish, `latest` is
/// always a complete run, and the history keeps every run.
#[test]
fn two_runs_at_once_both_publish_and_the_history_keeps_both() {
    let dir = project();
    let mut published = Vec::new();
    for _ in 0..5 {
        let pair = [spawn_run(&dir, "cleanse.yaml"), spawn_run(&dir, "cleanse.yaml")];
        let mut ids = Vec::new();
        for child in pair {
            let out = child.wait_with_output().expect("wait");
            let (stdout, stderr) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
            let id = stdout
                .lines()
                .find_map(|l| l.strip_prefix("Published out/runs/"))
                .unwrap_or_else(|| panic!("{stdout}"))
                .to_string();
            ids.push(id);
        }
        assert_ne!(ids[0], ids[1]);
        assert!(ids.contains(&latest_run(&dir)), "latest is one of the pair");
        published.extend(ids);
    }
    published.sort();
    let parquet = |kind: &str| -> Vec<String> {
        let mut ids: Vec<String> = kept(&dir, kind)
            .into_iter()
            .map(|f| f.strip_suffix(".parquet").unwrap_or(&f).to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(dir.list("out/runs"), published);
    assert_eq!(parquet("runs"), published, "the history keeps every run");
    assert_eq!(parquet("findings"), published);
    assert_eq!(debris(&dir), Vec::<String>::new());
    // The history reads back whole.
    Cmd::new(dir.path())
        .args(["report", "--out", "out"])
        .output()
        .expect_code(0);
}
