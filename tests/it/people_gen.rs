//! `cleanse generate --people`: synthetic person records with known duplicates, for testing
//! duplicate-person matching. The generator's own tests check the records against the truth;
//! here the shipped fixture must be what the command writes.

use std::collections::HashMap;

use crate::util::{Csv, Dir};

#[test]
fn the_people_fixtures_are_what_the_generator_writes() {
    let dir = Dir::new();
    let out = dir
        .cleanse()
        .args(["generate", "--people", "2000", "--out", "gen"])
        .output()
        .expect_code(0);
    let repo = crate::util::repo();
    for file in ["people.csv", "people_truth.csv"] {
        assert!(
            dir.read_bytes(format!("gen/{file}")) == std::fs::read(repo.join("fixtures/people").join(file)).unwrap(),
            "fixtures/people/{file} differs from `cleanse generate --people 2000` output: regenerate the fixtures"
        );
    }

    let truth = Csv::read(&dir.join("gen/people_truth.csv"));
    assert_eq!(
        truth.header,
        ["line", "person_id", "true_person", "household", "variations"]
    );
    let mut records = HashMap::new();
    for row in &truth.rows {
        *records.entry(row[2].as_str()).or_insert(0u64) += 1;
    }
    assert_eq!(records.len(), 2000);
    let pairs: u64 = records.values().map(|n| n * (n - 1) / 2).sum();
    let line = format!(
        "Wrote {},{:03} records of 2,000 people ({pairs} true duplicate pairs) to gen/people.csv; \
         truth in gen/people_truth.csv\n",
        truth.rows.len() / 1000,
        truth.rows.len() % 1000
    );
    assert_eq!(out.stdout, line);
}

#[test]
fn people_are_generated_instead_of_the_demo_tables_not_with_them() {
    let dir = Dir::new();
    let out = dir
        .cleanse()
        .args(["generate", "--people", "10", "--children", "10", "--out", "gen"])
        .output()
        .expect_code(2);
    assert!(out.stderr.contains("--children"), "{}", out.stderr);
    assert!(!dir.exists("gen"));
}
