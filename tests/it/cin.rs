//! The Children in Need census: read from its XML into the census's tables, findings pointing
//! at the element (line and column), structure problems reported rather than lost, and the
//! shipped packs against the DfE's list of rules (see `dfe`).

use crate::util::{Dir, repo};

#[test]
fn the_2025_26_pack_has_every_dfe_code_with_its_message() {
    crate::dfe::agrees("cin", "2025-26.yaml", "2025_26");
}

/// The demo census and its pack, laid out as in the repository.
fn demo() -> Dir {
    let dir = Dir::new();
    dir.copy_from_repo("rules/cin");
    dir.copy_from_repo("fixtures/cin");
    dir
}

/// The demo census's planted problems, each on its element: a child with no id (on the
/// child's identifiers, as it has no id element), a date the schema does not allow, and a
/// misspelt element, which holds its episode back and is named with its own line and column.
#[test]
fn the_demo_census_is_read_into_its_tables_with_findings_on_their_elements() {
    let dir = demo();
    let run = dir.run(&["--config", "fixtures/cin/cleanse.yaml"]).expect_code(0);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let out = dir.latest();
    let census = std::fs::read_to_string(repo().join("fixtures/cin/census.xml")).unwrap();
    let line_of = |needle: &str| census.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1;
    let find = |rule: &str| {
        out.findings.iter().find(|f| f.rule_id == rule).unwrap_or_else(|| {
            panic!(
                "no {rule} in {:?}",
                out.findings.iter().map(|f| &f.rule_id).collect::<Vec<_>>()
            )
        })
    };
    let no_id = find("8500");
    let identifiers = line_of("<UPN>W370123456790</UPN>") - 2;
    // A row's line is its place in its table (the third child); its cell, where it is.
    assert_eq!((no_id.table.as_str(), no_id.line), ("child_identifiers", 3));
    assert_eq!(no_id.cell, format!("{identifiers}:7"));
    let date = find("cin_details.cin_referral_date.type");
    assert_eq!(date.cell, format!("{}:9", line_of("<CINreferralDate>03/11/2025")));
    assert_eq!(date.value, "03/11/2025");
    assert!(date.message.contains("(yyyy-mm-dd)"), "{}", date.message);
    let unknown = find("ingest.unknown_element");
    let at = line_of("<CINreferalDate>");
    assert_eq!(unknown.cell, format!("{at}:9"));
    assert!(
        unknown
            .message
            .contains(&format!("<CINreferalDate> at line {at}, column 9")),
        "{}",
        unknown.message
    );
    // Every element is a row of its table, each row in one place.
    for (table, rows) in [
        ("child_identifiers", 5),
        ("cin_details", 5),
        ("reviews", 2),
        ("assessment_factors", 4),
    ] {
        let (corrected, rejected) = (out.corrected(table).rows.len(), out.rejected(table).rows.len());
        assert_eq!(corrected + rejected, rows, "{table}");
    }
    // The generated ids tie a row to its parent, as the DfE's are.
    let reviews = out.corrected("reviews");
    assert_eq!(reviews.header, ["LAchildID", "CINdetailsID", "CPPID", "CPPreviewDate"]);
    assert_eq!(reviews.rows[1], ["NF0000101", "1", "1", "2026-03-03"]);
}

#[test]
fn a_census_that_is_not_well_formed_stops_the_run_naming_line_and_column() {
    let dir = demo();
    let census = dir.read("fixtures/cin/census.xml");
    // As in a DfE sample file: a closing tag written `</<LBPSentDate>`.
    let broken = census.replacen("</ReferralSource>", "</<ReferralSource>", 1);
    dir.write("fixtures/cin/census.xml", &broken);
    let line = broken.lines().position(|l| l.contains("</<ReferralSource>")).unwrap() + 1;
    let run = dir.run(&["--config", "fixtures/cin/cleanse.yaml"]).expect_code(2);
    assert!(
        run.stderr.contains(&format!("census.xml:{line}:")) && run.stderr.contains("not well-formed"),
        "{}",
        run.stderr
    );
    assert!(!dir.exists("out/latest"), "nothing is published on an error");
}

#[test]
fn a_table_with_no_element_cannot_be_read_from_an_xml_file() {
    let dir = Dir::new();
    dir.write(
        "pack.yaml",
        "pack: t\nversion: 1\ntables:\n  people:\n    columns:\n      - { name: id }\nrules: []\n",
    );
    dir.write("people.xml", "<People><Person><id>1</id></Person></People>");
    dir.write(
        "cleanse.yaml",
        "name: t\nrules: [pack.yaml]\ninputs:\n  - { table: people, file: people.xml }\n",
    );
    let run = dir.run(&[]).expect_code(2);
    assert!(
        run.stderr.contains("table `people` declares no `element`"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_2026_27_pack_has_every_dfe_code_with_its_message() {
    crate::dfe::agrees("cin", "2026-27.yaml", "2026_27");
}

/// 2026/27's pre-proceedings block is a table of the 2026/27 pack, tied to its episode; in a
/// 2025/26 census the structure has no such element, and the episode holding it is held back.
#[test]
fn the_2026_27_census_reads_its_pre_proceedings_block() {
    let dir = demo();
    let census = dir.read("fixtures/cin/census.xml").replacen(
        "<ReferralNFA>false</ReferralNFA>\n      </CINdetails>",
        "<ReferralNFA>false</ReferralNFA>\n        <PreProceedingsandFGDM>\n          <PPStartDate>2026-09-09</PPStartDate>\n          <ReviewMeetingsCount>3</ReviewMeetingsCount>\n        </PreProceedingsandFGDM>\n      </CINdetails>",
        1,
    );
    dir.write("fixtures/cin/census.xml", &census);
    let config = dir.read("fixtures/cin/cleanse.yaml");
    dir.write("fixtures/cin/2025-26.yaml", &config);
    let later = config
        .replace("2025-26.yaml", "2026-27.yaml")
        .replace("collection_year: 2025-26", "collection_year: 2026-27")
        .replace("as_of: 2026-03-31", "as_of: 2027-03-31")
        + "  - { table: pre_proceedings, file: census.xml }\n";
    dir.write("fixtures/cin/2026-27.yaml", &later);
    dir.run(&["--config", "fixtures/cin/2026-27.yaml"]).expect_code(0);
    let out = dir.latest();
    assert_eq!(out.corrected("pre_proceedings").rows.len(), 1);
    assert_eq!(
        out.corrected("pre_proceedings").rows[0][..3],
        ["NF0000102", "1", "2026-09-09"]
    );
    std::fs::remove_dir_all(dir.join("out")).unwrap();
    dir.run(&["--config", "fixtures/cin/2025-26.yaml"]).expect_code(0);
    let out = dir.latest();
    assert!(
        out.findings
            .iter()
            .any(|f| f.rule_id == "ingest.unknown_element" && f.message.contains("<PreProceedingsandFGDM>")),
        "{:?}",
        out.findings.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
}

/// A census with no assessments and no section 47 enquiries leaves those tables empty; the
/// rules over them (the working-day ones among them) run over no rows rather than failing.
#[test]
fn a_census_with_no_assessments_or_enquiries_runs_its_rules_over_empty_tables() {
    let dir = demo();
    let mut kept = String::new();
    let mut skipping = None;
    for line in dir.read("fixtures/cin/census.xml").lines() {
        let tag = line.trim();
        match skipping {
            Some(end) if tag == end => skipping = None,
            Some(_) => {}
            None if tag == "<Assessments>" => skipping = Some("</Assessments>"),
            None if tag == "<Section47>" => skipping = Some("</Section47>"),
            None => {
                kept.push_str(line);
                kept.push('\n');
            }
        }
    }
    assert!(!kept.contains("<Assessments>") && !kept.contains("<Section47>"));
    dir.write("fixtures/cin/census.xml", &kept);
    let run = dir.run(&["--config", "fixtures/cin/cleanse.yaml"]).expect_code(0);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let out = dir.latest();
    assert!(out.corrected("assessments").rows.is_empty());
    assert!(out.corrected("section47").rows.is_empty());
}

/// The census goes back as the council's own file: `corrected/census.xml` is the document as
/// read, byte for byte, but for the values corrections set, each written into its element.
#[test]
fn the_corrected_census_is_the_file_as_read_but_for_the_corrected_values() {
    let dir = demo();
    let census = dir.read("fixtures/cin/census.xml");
    dir.run(&["--config", "fixtures/cin/cleanse.yaml"]).expect_code(0);
    assert_eq!(
        dir.read("out/latest/corrected/census.xml"),
        census,
        "with nothing corrected, the return goes back as it came"
    );
    std::fs::remove_dir_all(dir.join("out")).unwrap();
    dir.write(
        "rules/cin/council.yaml",
        "pack: northfield-cin\nversion: 1\nextends: 2025-26.yaml\ncorrections:\n  - id: FIX-REFERRAL\n    table: cin_details\n    kind: map\n    columns: [cin_referral_date]\n    synonyms: { \"03/11/2025\": \"2025-11-03\" }\n    apply: safe\n",
    );
    let config = dir
        .read("fixtures/cin/cleanse.yaml")
        .replace("../../rules/cin/2025-26.yaml", "../../rules/cin/council.yaml");
    dir.write("fixtures/cin/cleanse.yaml", &config);
    dir.run(&["--config", "fixtures/cin/cleanse.yaml"]).expect_code(0);
    let corrected = dir.read("out/latest/corrected/census.xml");
    assert_eq!(
        corrected,
        census.replacen(
            "<CINreferralDate>03/11/2025</CINreferralDate>",
            "<CINreferralDate>2025-11-03</CINreferralDate>",
            1
        )
    );
    // The change points at the element; the corrected census reads clean of the date's finding.
    let out = dir.latest();
    let at = census
        .lines()
        .position(|l| l.contains("<CINreferralDate>03/11/2025"))
        .unwrap()
        + 1;
    assert_eq!(out.changes.len(), 1);
    assert_eq!(out.changes[0].cell, format!("{at}:9"));
    let date = out
        .findings
        .iter()
        .find(|f| f.rule_id == "cin_details.cin_referral_date.type");
    assert_eq!(date.map(|f| f.status.as_str()), Some("corrected"));
    dir.write("fixtures/cin/census.xml", &corrected);
    std::fs::remove_dir_all(dir.join("out")).unwrap();
    dir.run(&["--config", "fixtures/cin/cleanse.yaml"]).expect_code(0);
    assert!(
        dir.read("out/latest/changes.csv").lines().count() == 1,
        "nothing left to correct"
    );
}
