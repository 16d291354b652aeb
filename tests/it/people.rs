//! Duplicate people: `same_person` rules find records of one person under different ids,
//! explain each pair, keep twins apart, and (with `merge:`) merge the "same person" band with
//! every change recorded.

use crate::util::{Csv, Dir};

const PACK: &str = r#"pack: local
version: 1.0.0
tables:
  children:
    key: [child_id]
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: first_name, header: First Name }
      - { name: surname, header: Surname }
      - { name: date_of_birth, header: Date of Birth, type: date }
      - { name: postcode, header: Postcode }
      - { name: nhs_number, header: NHS Number }
      - { name: updated, header: Last Updated, type: date }
  contacts:
    key: [child_id, contact_date]
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: contact_date, header: Contact Date, type: date }
rules:
  - id: CHI-SAME
    table: children
    kind: same_person
    severity: warning
    message: This record may be the same child as another record.
    person: { first_name: first_name, surname: surname, date_of_birth: date_of_birth, postcode: postcode, nhs_number: nhs_number }
"#;

const MERGE: &str = r#"    merge:
      survivor: [most_recent, most_complete]
      recent: updated
      references: [contacts.child_id]
"#;

/// Jayden Smith and Jaden Smyth are one child typed twice (the later record more recent and with
/// an NHS number); Amelia and Ola Okafor are twins; Olivia Patel is on her own.
const CHILDREN: &str = "Child ID,First Name,Surname,Date of Birth,Postcode,NHS Number,Last Updated\n\
    C1,Jayden,Smith,07/03/2013,B18 2JP,,01/01/2024\n\
    C2,Olivia,Patel,14/06/2015,NF1 4DX,,01/01/2024\n\
    C3,Jaden,Smyth,03/07/2013,,943 476 5919,01/06/2025\n\
    C4,Amelia,Okafor,14/06/2015,NF1 4DX,,\n\
    C5,Ola,Okafor,14/06/2015,NF1 4DX,,\n";

fn setup(merge: bool) -> Dir {
    let dir = Dir::new();
    dir.write(
        "pack.yaml",
        if merge {
            format!("{PACK}{MERGE}")
        } else {
            PACK.to_string()
        },
    );
    dir.write("children.csv", CHILDREN);
    dir.write(
        "contacts.csv",
        "Child ID,Contact Date\nC1,01/02/2024\nC3,01/03/2025\nC2,05/05/2024\n",
    );
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: children, file: children.csv }\n  - { table: contacts, file: contacts.csv }\n",
    );
    dir.run(&[]).expect_code(0);
    dir
}

#[test]
fn a_child_typed_twice_is_found_explained_and_twins_are_kept_apart() {
    let dir = setup(false);
    let pairs = Csv::read(&dir.join("out/latest/duplicates.csv"));
    assert_eq!(pairs.rows.len(), 1, "{:?}", pairs.rows);
    let p = &pairs.rows[0];
    assert_eq!(
        (
            pairs.get(p, "line_a"),
            pairs.get(p, "record_key_a"),
            pairs.get(p, "line_b"),
            pairs.get(p, "record_key_b")
        ),
        ("2", "C1", "4", "C3")
    );
    assert_eq!(pairs.get(p, "band"), "same person");
    assert_eq!(
        pairs.get(p, "explanation"),
        "first name is a short form or variant (Jayden/Jaden); surname differs by one letter (Smith/Smyth); \
         date of birth with day and month swapped (07/03/2013 and 03/07/2013); postcode missing on one; \
         NHS number missing on one"
    );
    // The later record carries the finding, a warning: both rows stay in the corrected output.
    let out = dir.latest();
    let f = out.finding("children", 4, "CHI-SAME");
    assert_eq!(f.severity, "warning");
    assert!(
        f.message.contains("Likely the same person as line 2 (C1)"),
        "{}",
        f.message
    );
    assert_eq!(out.corrected("children").rows.len(), 5);
    // One person number per record; the twins are two people.
    let clusters = Csv::read(&dir.join("out/latest/person_clusters.csv"));
    let person: Vec<&str> = clusters.rows.iter().map(|r| clusters.get(r, "person")).collect();
    assert_eq!(person, ["1", "2", "1", "3", "4"]);
    // The weights the run estimated are kept beside the outputs.
    let weights: serde_json::Value = serde_json::from_str(&dir.read("out/latest/match_weights.json")).unwrap();
    assert_eq!(weights[0]["rule_id"], "CHI-SAME");
    assert!(weights[0]["model"]["comparisons"].as_array().unwrap().len() >= 5);
}

#[test]
fn merging_rejects_the_merged_record_fills_the_survivor_and_repoints_references() {
    let dir = setup(true);
    let out = dir.latest();
    // C3 is the more recent record, so it survives; C1 is rejected, pointing at it.
    let rejected = out.rejected("children");
    assert_eq!(rejected.rows.len(), 1);
    assert_eq!(rejected.get(&rejected.rows[0], "Child ID"), "C1");
    let f = out.finding("children", 2, "CHI-SAME");
    assert_eq!(f.severity, "error");
    assert!(f.message.contains("Merged into line 4 (C3)"), "{}", f.message);
    // Its blank postcode is filled from the merged record, and the contact re-pointed: both in
    // changes.csv.
    let corrected = out.corrected("children");
    let c3 = corrected
        .rows
        .iter()
        .find(|r| corrected.get(r, "Child ID") == "C3")
        .unwrap();
    assert_eq!(corrected.get(c3, "Postcode"), "B18 2JP");
    let contacts = out.corrected("contacts");
    let ids: Vec<&str> = contacts.rows.iter().map(|r| contacts.get(r, "Child ID")).collect();
    assert_eq!(ids, ["C3", "C3", "C2"]);
    let changes: Vec<(String, u64, String, String, String, String)> = out
        .changes
        .iter()
        .map(|c| {
            (
                c.table.clone(),
                c.line,
                c.column.clone(),
                c.old_value.clone(),
                c.new_value.clone(),
                c.correction_id.clone(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (
                "children".into(),
                4,
                "Postcode".into(),
                "".into(),
                "B18 2JP".into(),
                "CHI-SAME.merge".into()
            ),
            (
                "contacts".into(),
                2,
                "Child ID".into(),
                "C1".into(),
                "C3".into(),
                "CHI-SAME.merge".into()
            ),
        ]
    );
    // Nothing lost: every row is in exactly one output.
    assert_eq!(out.corrected("children").rows.len() + rejected.rows.len(), 5);
    let summary = dir.read("out/latest/summary.md");
    assert!(
        summary.contains("| Duplicate records merged (references re-pointed, blanks filled) | 2 | 0 | 0 |"),
        "{summary}"
    );
}

/// The manager's summary counts duplicate people (records, people, pairs for review, merged,
/// and the trend over the nights), and names nobody.
#[test]
fn the_summary_counts_duplicate_people_and_names_nobody() {
    let dir = setup(true);
    dir.cleanse()
        .args(["--quiet", "run", "--out", "out", "--as-of", "2026-04-01"])
        .output()
        .expect_code(0);
    let summary = dir.read("out/latest/summary.md");
    for line in [
        "- The children list (`CHI-SAME`): **5 records** are **4 people**; 1 record is another record of the same person.",
        "- **0 pairs** may be the same person and need a reviewer's decision",
        "- **1 record was** merged into their person's main record (listed in `changes.csv`).",
        "| 31 March 2026 | 1 | 0 | 1 |",
        "| 1 April 2026 | 1 | 0 | 1 |",
    ] {
        assert!(summary.contains(line), "{line}\n{summary}");
    }
    let html = dir.read("out/latest/summary.html");
    for figure in [
        "data-figure=\"people:CHI-SAME:duplicate-records\" data-value=\"1\"",
        "data-figure=\"people:CHI-SAME:merged\" data-value=\"1\"",
        "data-figure=\"people-trend:2026-04-01:pairs-for-review\" data-value=\"0\"",
    ] {
        assert!(html.contains(figure), "{figure}");
    }
    let json: serde_json::Value = serde_json::from_str(&dir.read("out/latest/summary.json")).unwrap();
    assert_eq!(json["people"][0]["people"], 4);
    assert_eq!(json["people_trend"].as_array().unwrap().len(), 2);
    // Nobody's name, id, date of birth or postcode.
    for text in [&summary, &html, &json.to_string()] {
        for value in [
            "Jayden",
            "Jaden",
            "Smith",
            "Okafor",
            "C1",
            "C3",
            "07/03/2013",
            "2013",
            "B18",
        ] {
            assert!(!text.contains(value), "{value}");
        }
    }
}

/// The shipped person list (`fixtures/people/`, 2,000 people made by `cleanse generate
/// --people`) against its truth: pairwise F1 of at least 0.95, no false "same person" pair, and
/// never twins or siblings in that band.
#[test]
fn the_shipped_person_list_is_matched_against_its_truth() {
    use std::collections::{HashMap, HashSet};
    let dir = Dir::new();
    dir.copy_from_repo("rules");
    dir.copy_from_repo("fixtures/people");
    dir.cleanse()
        .args([
            "--quiet",
            "run",
            "--config",
            "fixtures/people/cleanse.yaml",
            "--out",
            "out",
        ])
        .output()
        .expect_code(0);
    let truth = Csv::read(&dir.join("fixtures/people/people_truth.csv"));
    let mut person: HashMap<u64, (&str, &str)> = HashMap::new();
    for r in &truth.rows {
        let line = truth.get(r, "line").parse().unwrap();
        person.insert(line, (truth.get(r, "true_person"), truth.get(r, "household")));
    }
    let mut lines: Vec<u64> = person.keys().copied().collect();
    lines.sort_unstable();
    let mut true_pairs = HashSet::new();
    let mut by_person: HashMap<&str, Vec<u64>> = HashMap::new();
    for &l in &lines {
        by_person.entry(person[&l].0).or_default().push(l);
    }
    for ls in by_person.values() {
        for (i, &a) in ls.iter().enumerate() {
            true_pairs.extend(ls[i + 1..].iter().map(|&b| (a, b)));
        }
    }
    let found = Csv::read(&dir.join("out/latest/duplicates.csv"));
    let (mut all, mut same) = (HashSet::new(), HashSet::new());
    for r in &found.rows {
        let (a, b): (u64, u64) = (
            found.get(r, "line_a").parse().unwrap(),
            found.get(r, "line_b").parse().unwrap(),
        );
        all.insert((a.min(b), a.max(b)));
        if found.get(r, "band") == "same person" {
            same.insert((a.min(b), a.max(b)));
            // Never two people of one household (twins, siblings).
            assert!(
                person[&a].0 == person[&b].0 || person[&a].1 != person[&b].1,
                "lines {a} and {b}: two children of one household merged: {}",
                found.get(r, "explanation")
            );
        }
    }
    let hits = all.intersection(&true_pairs).count() as f64;
    let (precision, recall) = (hits / all.len() as f64, hits / true_pairs.len() as f64);
    let f1 = 2.0 * precision * recall / (precision + recall);
    let auto = same.intersection(&true_pairs).count() as f64 / same.len() as f64;
    assert!(true_pairs.len() > 200, "{}", true_pairs.len());
    assert!(f1 >= 0.95, "F1 {f1:.4} (precision {precision:.4}, recall {recall:.4})");
    assert!(auto >= 0.999, "same-person precision {auto:.5}");
}

/// Weights the rules file fixes are used as written (and reported as fixed), not estimated.
#[test]
fn weights_fixed_in_the_rules_file_are_used_as_written() {
    let dir = Dir::new();
    dir.write(
        "pack.yaml",
        format!("{PACK}    weights:\n      nhs_number: [20, -30]\n      postcode: [9, 2, 1, -1]\n"),
    );
    dir.write("children.csv", CHILDREN);
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: children, file: children.csv }\n",
    );
    dir.run(&[]).expect_code(0);
    let weights: serde_json::Value = serde_json::from_str(&dir.read("out/latest/match_weights.json")).unwrap();
    let comparison = |name: &str| {
        weights[0]["model"]["comparisons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["comparison"] == name)
            .unwrap()
            .clone()
    };
    let nhs = comparison("nhs_number");
    assert_eq!(
        (nhs["levels"][0]["weight"].as_f64(), nhs["levels"][1]["weight"].as_f64()),
        (Some(20.0), Some(-30.0))
    );
    assert!(
        nhs["levels"][0]["m"].is_null() && nhs["levels"][0]["u"].is_null(),
        "{nhs}"
    );
    assert_eq!(comparison("postcode")["levels"][3]["weight"].as_f64(), Some(-1.0));
    // Not fixed: estimated, with its m and u.
    assert!(comparison("surname")["levels"][0]["m"].is_number());
}

/// `also`: rows of another table carrying a person's fields (a contact's child's name and date of
/// birth) are compared with the person records; a row that looks like a record under another
/// id is reported on that row, and rows agreeing with their own record are not.
#[test]
fn rows_of_another_table_that_look_like_a_record_under_another_id_are_reported() {
    let dir = Dir::new();
    let pack = PACK
        .replace(
            "      - { name: contact_date, header: Contact Date, type: date }\n",
            "      - { name: contact_date, header: Contact Date, type: date }\n      - { name: first_name, header: First Name }\n      - { name: surname, header: Surname }\n      - { name: date_of_birth, header: Date of Birth, type: date }\n",
        )
        + "    also:\n      - { table: contacts, id: child_id, person: { first_name: first_name, surname: surname, date_of_birth: date_of_birth } }\n";
    dir.write("pack.yaml", pack);
    dir.write("children.csv", CHILDREN);
    dir.write(
        "contacts.csv",
        "Child ID,Contact Date,First Name,Surname,Date of Birth\n\
         C2,01/02/2024,Olivia,Patel,14/06/2015\n\
         C2,01/03/2025,Jayden,Smith,07/03/2013\n\
         C4,05/05/2024,Amelia,Okafor,14/06/2015\n",
    );
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: children, file: children.csv }\n  - { table: contacts, file: contacts.csv }\n",
    );
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    // The contact on line 3 is Jayden Smith's (C1, and C3 typed twice), recorded against C2.
    let on_contacts: Vec<(u64, &str)> = out
        .findings
        .iter()
        .filter(|f| f.table == "contacts" && f.rule_id == "CHI-SAME")
        .map(|f| (f.line, f.message.as_str()))
        .collect();
    assert!(
        !on_contacts.is_empty() && on_contacts.iter().all(|(l, _)| *l == 3),
        "{on_contacts:?}"
    );
    assert!(on_contacts[0].1.contains("children line 2 (C1)"), "{on_contacts:?}");
    let pairs = Csv::read(&dir.join("out/latest/duplicates.csv"));
    let cross: Vec<(&str, &str, &str, &str)> = pairs
        .rows
        .iter()
        .filter(|r| pairs.get(r, "table_b") == "contacts")
        .map(|r| {
            (
                pairs.get(r, "table_a"),
                pairs.get(r, "record_key_a"),
                pairs.get(r, "line_b"),
                pairs.get(r, "record_key_b"),
            )
        })
        .collect();
    assert!(cross.contains(&("children", "C1", "3", "C2 | 01/03/2025")), "{cross:?}");
    // Both contacts' own rows agree with their records: not reported; the rows are kept.
    assert_eq!(out.corrected("contacts").rows.len(), 3);
}

/// `person: local_id` names the id merges go by when the table's key is not one column.
#[test]
fn merging_goes_by_local_id_when_the_key_is_not_one_column() {
    let dir = Dir::new();
    let pack = format!("{PACK}{MERGE}")
        .replacen("    key: [child_id]\n", "    key: [child_id, first_name]\n", 1)
        .replace(
            "person: { first_name: first_name,",
            "person: { local_id: child_id, first_name: first_name,",
        );
    dir.write("pack.yaml", &pack);
    dir.write("children.csv", CHILDREN);
    dir.write("contacts.csv", "Child ID,Contact Date\nC1,01/02/2024\n");
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: children, file: children.csv }\n  - { table: contacts, file: contacts.csv }\n",
    );
    dir.run(&[]).expect_code(0);
    let contacts = dir.latest().corrected("contacts");
    assert_eq!(contacts.get(&contacts.rows[0], "Child ID"), "C3");
    // Without it, the two-column key cannot be merged by.
    dir.write("pack.yaml", pack.replace("local_id: child_id, ", ""));
    let out = dir.run(&[]).expect_code(2);
    assert!(out.stderr.contains("error[merge-needs-key]"), "{}", out.stderr);
}

/// The finder reads dates as every other stage does: in the forms the column declares. Dates
/// the column refuses (here every date, as the column accepts only `yyyy-mm-dd`) are not read as
/// a date of birth, so no pair is explained by one.
#[test]
fn dates_of_birth_are_read_in_the_forms_their_column_declares() {
    let dir = setup(false);
    dir.write(
        "pack.yaml",
        PACK.replace(
            "{ name: date_of_birth, header: Date of Birth, type: date }",
            "{ name: date_of_birth, header: Date of Birth, type: date, date_formats: [yyyy-mm-dd] }",
        ),
    );
    dir.run(&[]).expect_code(0);
    let pairs = Csv::read(&dir.join("out/latest/duplicates.csv"));
    assert!(!pairs.rows.is_empty(), "names and the NHS number still pair C1 and C3");
    for p in &pairs.rows {
        let why = pairs.get(p, "explanation");
        assert!(
            !why.contains("07/03/2013") && !why.contains("day and month swapped"),
            "{why}"
        );
    }
}
