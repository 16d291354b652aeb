//! The shipped nights (`fixtures/nights/`): a week of nightly exports of the demo council, each
//! with its own ground truth, run in order into one output root as a nightly job would, so the
//! summary has a real history: problems that stay open, are fixed, and appear.

use crate::demo::{check_against_ground_truth, ground_truth};
use crate::util::Dir;

const NIGHTS: [&str; 7] = [
    "2026-03-25",
    "2026-03-26",
    "2026-03-27",
    "2026-03-28",
    "2026-03-29",
    "2026-03-30",
    "2026-03-31",
];

#[test]
fn the_shipped_nights_are_what_the_generator_writes() {
    let dir = Dir::new();
    dir.copy_from_repo("rules");
    dir.cleanse()
        .args([
            "--quiet",
            "generate",
            "--out",
            "fixtures/nights",
            "--children",
            "500",
            "--nights",
            "7",
        ])
        .output()
        .expect_code(0);
    let repo = crate::util::repo();
    assert_eq!(dir.list("fixtures/nights"), NIGHTS);
    for night in NIGHTS {
        let rel = format!("fixtures/nights/{night}");
        assert_eq!(dir.list(&rel), dir.list(repo.join(&rel)), "{rel}");
        for file in dir.list(&rel) {
            assert!(
                dir.read_bytes(format!("{rel}/{file}")) == std::fs::read(repo.join(&rel).join(&file)).unwrap(),
                "{rel}/{file} differs from `cleanse generate --children 500 --nights 7`: regenerate the fixtures"
            );
        }
    }
}

#[test]
fn a_week_of_nights_finds_each_nights_problems_and_the_summary_shows_the_trend() {
    let dir = Dir::new();
    dir.copy_from_repo("rules");
    dir.copy_from_repo("fixtures/nights");
    for night in NIGHTS {
        // The README's loop: each night's configuration, one output root.
        dir.cleanse()
            .args([
                "--quiet",
                "run",
                "--config",
                &format!("fixtures/nights/{night}/cleanse.yaml"),
                "--out",
                "out",
            ])
            .output()
            .expect_code(0);
        let truth = ground_truth(&dir.join(format!("fixtures/nights/{night}/ground_truth.csv")));
        check_against_ground_truth(&truth, &dir.latest());
    }
    let summary: serde_json::Value = serde_json::from_str(&dir.read("out/latest/summary.json")).unwrap();
    let trend: Vec<(String, u64)> = summary["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["as_of"].as_str().unwrap().to_string(), p["open"].as_u64().unwrap()))
        .collect();
    assert_eq!(trend.iter().map(|(d, _)| d.as_str()).collect::<Vec<_>>(), NIGHTS);
    // The data team is getting through them: fewer open on the last night than the first.
    assert!(trend[6].1 * 10 < trend[0].1 * 8, "{trend:?}");
    let since = &summary["since_previous"];
    assert_eq!(since["previous"]["as_of"], "2026-03-30");
    for key in ["new", "resolved", "still_open"] {
        assert!(since[key].as_u64().unwrap() > 0, "{key}: {since}");
    }
    // Problems open all week were first seen on the first night.
    let out = dir.latest();
    assert!(
        out.findings
            .iter()
            .any(|f| f.status == "open" && f.first_seen == NIGHTS[0])
    );
    assert!(
        out.findings
            .iter()
            .any(|f| f.status == "new" && f.first_seen == NIGHTS[6])
    );
    let md = dir.read("out/latest/summary.md");
    assert!(md.contains("Open problems over the last 7 runs"), "{md}");
    assert!(
        dir.read("out/latest/summary.html")
            .contains("Open problems over the last 7 runs")
    );
}
