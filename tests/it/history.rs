//! The history of runs: each exception's life (`new`, `open`, `first_seen`),
//! what changed since the last run, the trend, retention, `cleanse report`,
//! and that no names or identifiers reach the summaries, the history or the logs.

use crate::util::Dir;

const PACK: &str = r#"pack: council
version: 1.0.0
tables:
  children:
    key: [child_id]
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: name, header: Name }
      - { name: born, header: Date of Birth, type: date }
      - { name: team, header: Team }
      - { name: worker, header: Worker }
rules:
  - id: FUTURE
    table: children
    kind: range
    columns: [born]
    max: today
    message: Date of birth is in the future.
"#;

const CONFIG: &str = "rules: [pack.yaml]\ninputs:\n  - { table: children, file: children.csv }\n";

fn setup(children: &str) -> Dir {
    let dir = Dir::new();
    dir.write("pack.yaml", PACK);
    dir.write("cleanse.yaml", CONFIG);
    dir.write("children.csv", children);
    dir
}

/// A run with records as of `day`.
fn run_on(dir: &Dir, day: &str) {
    dir.cleanse()
        .args(["--quiet", "run", "--out", "out", "--as-of", day])
        .output()
        .expect_code(0);
}

fn summary_json(dir: &Dir) -> serde_json::Value {
    serde_json::from_str(&dir.read("out/latest/summary.json")).expect("summary.json")
}

#[test]
fn a_finding_is_new_then_open_since_its_first_day_and_a_fixed_one_is_resolved() {
    let dir = setup(
        "Child ID,Name,Date of Birth,Team,Worker\nC1,A,01/01/2030,North,W\nC2,B,01/01/2031,North,W\nC3,C,01/01/2015,South,W\n",
    );
    run_on(&dir, "2026-03-01");
    let first = dir.latest();
    for line in [2, 3] {
        let f = first.finding("children", line, "FUTURE");
        assert_eq!((f.status.as_str(), f.first_seen.as_str()), ("new", "2026-03-01"));
    }
    let json = summary_json(&dir);
    assert!(json["since_previous"]["previous"].is_null());
    assert_eq!(json["trend"].as_array().unwrap().len(), 1);

    // Next night: C2 fixed, C3 newly wrong, C1 still wrong (and now on another line).
    dir.write(
        "children.csv",
        "Child ID,Name,Date of Birth,Team,Worker\nC3,C,01/01/2032,South,W\nC1,A,01/01/2030,North,W\nC2,B,01/01/2011,North,W\n",
    );
    run_on(&dir, "2026-03-02");
    let second = dir.latest();
    let f = second.finding("children", 3, "FUTURE");
    assert_eq!(
        (f.record_key.as_str(), f.status.as_str(), f.first_seen.as_str()),
        ("C1", "open", "2026-03-01")
    );
    let f = second.finding("children", 2, "FUTURE");
    assert_eq!(
        (f.record_key.as_str(), f.status.as_str(), f.first_seen.as_str()),
        ("C3", "new", "2026-03-02")
    );
    let since = &summary_json(&dir)["since_previous"];
    assert_eq!(
        (
            since["new"].as_u64(),
            since["resolved"].as_u64(),
            since["still_open"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(since["previous"]["as_of"], "2026-03-01");
    let trend: Vec<u64> = summary_json(&dir)["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["open"].as_u64().unwrap())
        .collect();
    assert_eq!(trend, [2, 2]);
    let md = dir.read("out/latest/summary.md");
    assert!(md.contains("## Since the last run (1 March 2026)\n\n- **1 problem** new.\n- **1 problem** resolved.\n- **1 problem** still open."), "{md}");
}

#[test]
fn a_rule_new_in_this_pack_version_does_not_count_as_new_problems() {
    let dir = setup("Child ID,Name,Date of Birth,Team,Worker\nC1,A,01/01/2030,North,W\nC2,  B,01/01/2015,North,W\n");
    run_on(&dir, "2026-03-01");
    dir.write(
        "pack.yaml",
        PACK.replace("version: 1.0.0", "version: 1.1.0")
            + "  - id: SPACES\n    table: children\n    kind: clean_text\n    columns: [name]\n    severity: warning\n    message: Stray spaces.\n",
    );
    run_on(&dir, "2026-03-02");
    let since = &summary_json(&dir)["since_previous"];
    assert_eq!(since["new"], 0);
    assert_eq!(since["from_new_rules"], 1);
    assert_eq!(since["still_open"], 1);
    // In the exceptions it is still the first time it was found.
    assert_eq!(dir.latest().finding("children", 3, "SPACES").status, "new");
}

#[test]
fn the_history_keeps_runs_for_keep_days() {
    let dir = setup("Child ID,Name,Date of Birth,Team,Worker\nC1,A,01/01/2030,North,W\n");
    dir.write("cleanse.yaml", format!("{CONFIG}history:\n  keep_days: 30\n"));
    for day in ["2026-01-01", "2026-01-20", "2026-02-15"] {
        run_on(&dir, day);
    }
    // 1 January is more than 30 days before 15 February; 20 January is not.
    let json = summary_json(&dir);
    let days: Vec<&str> = json["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["as_of"].as_str().unwrap())
        .collect();
    assert_eq!(days, ["2026-01-20", "2026-02-15"]);
    assert_eq!(dir.list("out/history/runs").len(), 2);
    assert_eq!(dir.list("out/history/findings").len(), 2);
    // The finding has been open since the first run, even though that run is forgotten now.
    assert_eq!(dir.latest().finding("children", 2, "FUTURE").first_seen, "2026-01-01");
}

#[test]
fn report_rebuilds_the_summaries_from_the_history_alone() {
    let dir = setup("Child ID,Name,Date of Birth,Team,Worker\nC1,A,01/01/2030,North,W\n");
    run_on(&dir, "2026-03-01");
    run_on(&dir, "2026-03-02");
    let read = |f: &str| dir.read(format!("out/latest/{f}"));
    let (md, json, html) = (read("summary.md"), read("summary.json"), read("summary.html"));
    // Even with the exports gone.
    std::fs::remove_file(dir.join("children.csv")).unwrap();
    std::fs::remove_file(dir.join("out/latest/summary.md")).unwrap();
    let out = dir.cleanse().args(["report", "--out", "out"]).output().expect_code(0);
    assert!(
        out.stdout.starts_with("Rebuilt the summaries in out/runs/"),
        "{}",
        out.stdout
    );
    assert_eq!(dir.read("out/latest/summary.md"), md);
    assert_eq!(dir.read("out/latest/summary.json"), json);
    assert_eq!(dir.read("out/latest/summary.html"), html);
    let out = dir
        .cleanse()
        .args(["report", "--out", "out", "--run", "nope"])
        .output()
        .expect_code(2);
    assert!(out.stderr.contains("the history keeps no run `nope`"), "{}", out.stderr);
}

/// Distinctive names and identifiers planted in every field that could leak,
/// including the breakdown's personal column: none may reach a summary file,
/// the history, or the log (even at debug level).
#[test]
fn no_name_or_identifier_reaches_the_summaries_the_history_or_the_logs() {
    let dir = setup(
        "Child ID,Name,Date of Birth,Team,Worker\n\
         ZQX918273,Zebedee Quasimodo,01/01/2030,Fernhollow Team,Xanthippe Wolstenholme\n\
         ZQX918274,Ottoline Vandersteen,31/02/2015,Fernhollow Team,Xanthippe Wolstenholme\n\
         ZQX918275,Peregrine Umbleby,14/06/2015,Fernhollow Team,Bartholomew Quennell\n",
    );
    dir.write(
        "cleanse.yaml",
        format!(
            "{CONFIG}summary:\n  breakdown:\n    - {{ table: children, column: worker, personal: true }}\n    - {{ table: children, column: team, personal: false }}\n"
        ),
    );
    let first = dir
        .cleanse()
        .args(["--verbose", "run", "--out", "out", "--as-of", "2026-03-01"])
        .output()
        .expect_code(0);
    let second = dir
        .cleanse()
        .args(["--verbose", "run", "--out", "out", "--as-of", "2026-03-02"])
        .output()
        .expect_code(0);
    let mut texts = vec![first.stdout, first.stderr, second.stdout, second.stderr];
    for f in ["summary.md", "summary.json", "summary.html", "run.json"] {
        if dir.exists(format!("out/latest/{f}")) {
            texts.push(dir.read(format!("out/latest/{f}")));
        }
    }
    for kind in ["runs", "findings"] {
        for f in dir.list(format!("out/history/{kind}")) {
            texts.push(String::from_utf8_lossy(&dir.read_bytes(format!("out/history/{kind}/{f}"))).into_owned());
        }
    }
    let secrets = [
        "ZQX918273",
        "ZQX918274",
        "ZQX918275",
        "ZQX",
        "Zebedee",
        "Quasimodo",
        "Ottoline",
        "Vandersteen",
        "Peregrine",
        "Umbleby",
        "Xanthippe",
        "Wolstenholme",
        "Bartholomew",
        "Quennell",
        "01/01/2030",
        "31/02/2015",
        "14/06/2015",
    ];
    for text in &texts {
        for s in secrets {
            assert!(!text.contains(s), "`{s}` leaked into:\n{text}");
        }
    }
    // The team is not personal data: it is shown, and the workers are groups.
    let json = summary_json(&dir);
    let groups = |i: usize| -> Vec<String> {
        json["breakdown"][i]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["value"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(groups(0), ["Group 1", "Group 2"]);
    assert_eq!(groups(1), ["Fernhollow Team"]);
    // The record-level outputs are where the detail belongs.
    assert!(dir.read("out/latest/exceptions.csv").contains("ZQX918273"));
}

#[test]
fn a_breakdown_must_name_a_declared_table_and_column() {
    let dir = setup("Child ID,Name,Date of Birth,Team,Worker\nC1,A,01/01/2015,North,W\n");
    dir.write(
        "cleanse.yaml",
        format!("{CONFIG}summary:\n  breakdown:\n    - {{ table: children, column: teem, personal: false }}\n"),
    );
    let out = dir.run(&[]).expect_code(2);
    assert!(
        out.stderr
            .contains("error[unknown-column]: table `children` has no column `teem`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("help: did you mean `team`?"), "{}", out.stderr);
    // `personal` must be said: nobody puts names in a summary by leaving it out.
    dir.write(
        "cleanse.yaml",
        format!("{CONFIG}summary:\n  breakdown:\n    - {{ table: children, column: team }}\n"),
    );
    let out = dir.run(&[]).expect_code(2);
    assert!(out.stderr.contains("personal"), "{}", out.stderr);
}

/// A history that cannot be read does not stop the nightly run: it is said in
/// the log, and the run counts as a first run.
#[test]
fn a_broken_history_is_reported_but_does_not_stop_the_run() {
    let dir = setup("Child ID,Name,Date of Birth,Team,Worker\nC1,A,01/01/2030,North,W\n");
    run_on(&dir, "2026-03-01");
    let kept = dir.list("out/history/runs");
    dir.write(format!("out/history/runs/{}", kept[0]), "not parquet");
    let out = dir
        .cleanse()
        .args(["run", "--out", "out", "--as-of", "2026-03-02"])
        .output()
        .expect_code(0);
    assert!(out.stderr.contains("the history could not be read"), "{}", out.stderr);
    // Naming the file that does not read, not only its folder.
    assert!(
        out.stderr.contains(&format!("out/history/runs/{}: ", kept[0])),
        "{}",
        out.stderr
    );
    assert_eq!(dir.latest().finding("children", 2, "FUTURE").status, "new");
}
