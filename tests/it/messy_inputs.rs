//! Exports as councils' systems really write them: one small table per
//! test, read with a small pack written here.

use crate::util::{Dir, Outputs};

pub(crate) const PACK: &str = r#"pack: messy
version: 1.0.0
tables:
  people:
    key: [person_id]
    columns:
      - { name: person_id, header: Person ID, aliases: [PID], required: true }
      - { name: full_name, header: Full Name, aliases: [Name] }
      - { name: born, header: Date of Birth, aliases: [DOB], type: date }
      - { name: seen, header: Date Seen, type: date }
      - { name: visits, header: Number of Visits, type: integer }
      - { name: sex, header: Sex, type: code, codes: ["a) Male", "b) Female"] }
rules:
  - id: SEEN-AFTER-BIRTH
    table: people
    kind: check
    when: born IS NOT NULL
    check: seen >= born
    message: The person was seen before they were born.
  - id: VISITS-RANGE
    table: people
    kind: range
    columns: [visits]
    min: 0
    max: 50
    severity: warning
    message: Number of Visits is outside 0 to 50.
"#;

pub(crate) const HEADER: &str = "Person ID,Full Name,Date of Birth,Date Seen,Number of Visits,Sex";

/// A directory with the pack, a configuration reading `people.csv` (with
/// extra input settings such as `encoding: utf-8`), and the export.
pub(crate) fn setup(export: impl AsRef<[u8]>, input_settings: &str) -> Dir {
    let dir = Dir::new();
    dir.write("pack.yaml", PACK);
    let mut config = "rules: [pack.yaml]\ninputs:\n  - table: people\n    file: people.csv\n".to_string();
    for line in input_settings.lines() {
        config.push_str(&format!("    {line}\n"));
    }
    dir.write("cleanse.yaml", config);
    dir.write("people.csv", export);
    dir
}

/// Run and read the outputs; the run must succeed.
pub(crate) fn run(dir: &Dir) -> Outputs {
    dir.run(&[]).expect_code(0);
    dir.latest()
}

/// Rows as lines of text, for compact comparisons.
fn rows(csv: &crate::util::Csv) -> Vec<String> {
    csv.rows.iter().map(|r| r.join("|")).collect()
}

#[test]
fn utf8_bom_is_not_part_of_the_first_header() {
    let dir = setup(
        format!("\u{feff}{HEADER}\nP1,Ann Lee,01/02/2010,01/03/2020,3,a) Male\n,Bo,01/02/2010,01/03/2020,3,a) Male\n"),
        "",
    );
    let out = run(&dir);
    let corrected = out.corrected("people");
    assert_eq!(corrected.header[0], "Person ID", "BOM stripped from the header text");
    assert!(!dir.read("out/latest/corrected/people.csv").starts_with('\u{feff}'));
    assert_eq!(rows(&corrected), ["P1|Ann Lee|01/02/2010|01/03/2020|3|a) Male"]);
    // The first column was matched, so its rules ran.
    out.finding("people", 3, "people.person_id.required");
}

#[test]
fn windows_1252_values_are_decoded_under_auto() {
    let export = [
        HEADER.as_bytes(),
        b"\nP1,Zo\xeb Smith,01/02/2010,01/03/2020,3,a) Male\nP2,Ren\xe9e,01/02/2010,01/03/2020,3,b) Female\n",
    ]
    .concat();
    let dir = setup(export, "encoding: auto");
    let out = run(&dir);
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    let corrected = dir.read("out/latest/corrected/people.csv");
    assert!(corrected.contains("P1,Zoë Smith,"), "{corrected}");
    assert!(corrected.contains("P2,Renée,"), "{corrected}");
    assert_eq!(out.table_report("inputs", "people")["fields_read_as_windows_1252"], 2);
    assert!(
        out.summary()
            .contains("The people export is not UTF-8: 2 values were read as Windows-1252."),
        "{}",
        out.summary()
    );
}

#[test]
fn a_declared_windows_1252_export_is_decoded_without_complaint() {
    let export = [
        HEADER.as_bytes(),
        b"\nP1,Zo\xeb,01/02/2010,01/03/2020,3,a) Male\nP2,\x93Bo\x94 \x80,01/02/2010,01/03/2020,3,a) Male\n",
    ]
    .concat();
    let dir = setup(export, "encoding: windows-1252");
    let out = run(&dir);
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    assert_eq!(
        rows(&out.corrected("people"))[..],
        [
            "P1|Zoë|01/02/2010|01/03/2020|3|a) Male",
            "P2|\u{201c}Bo\u{201d} \u{20ac}|01/02/2010|01/03/2020|3|a) Male"
        ]
    );
    // Declared, so nothing was guessed and there is nothing to note.
    assert_eq!(out.table_report("inputs", "people")["fields_read_as_windows_1252"], 0);
    assert!(!out.summary().contains("not UTF-8"), "{}", out.summary());
}

#[test]
fn invalid_utf8_under_utf8_rejects_the_row() {
    let export = [
        HEADER.as_bytes(),
        b"\nP1,Zo\xeb,01/02/2010,01/03/2020,3,a) Male\nP2,Zo\xc3\xab,01/02/2010,01/03/2020,3,a) Male\n",
    ]
    .concat();
    let dir = setup(export, "encoding: utf-8");
    let out = run(&dir);
    let f = out.finding("people", 2, "ingest.encoding");
    assert_eq!((f.severity.as_str(), f.columns.as_str()), ("error", "Full Name"));
    assert_eq!(f.value, "Zo\u{fffd}");
    assert!(f.message.contains("not valid UTF-8"), "{}", f.message);
    assert_eq!(out.findings.len(), 1);
    let rejected = out.rejected("people");
    assert_eq!(
        rows(&rejected),
        ["people.csv|2|ingest.encoding|P1|Zo\u{fffd}|01/02/2010|01/03/2020|3|a) Male"]
    );
    assert_eq!(
        rows(&out.corrected("people")),
        ["P2|Zoë|01/02/2010|01/03/2020|3|a) Male"]
    );
}

#[test]
fn crlf_with_a_quoted_line_break_counts_physical_lines() {
    let export = format!(
        "{HEADER}\r\nP1,\"Ann\r\nLee\",01/02/2010,01/03/2020,3,a) Male\r\nP2,\"Bo\r\n\r\nBell\",01/02/2010,01/03/2020,3,a) Male\r\nP3,Cy,01/02/2010,01/03/2000,3,a) Male\r\n"
    );
    let dir = setup(export, "");
    let out = run(&dir);
    // Header 1, P1 2-3, P2 4-6, P3 7.
    out.finding("people", 7, "SEEN-AFTER-BIRTH");
    assert_eq!(out.findings.len(), 1, "{:#?}", out.findings);
    let corrected = out.corrected("people");
    assert_eq!(corrected.rows[0][1], "Ann\r\nLee", "the line break is kept as exported");
    assert_eq!(corrected.rows[1][1], "Bo\r\n\r\nBell");
}

#[test]
fn cr_only_line_endings_are_lines() {
    let export = format!(
        "{HEADER}\rP1,Ann,01/02/2010,01/03/2020,3,a) Male\rP2,Bo,01/02/2010,01/03/2000,3,a) Male\rP3,Cy,01/02/2010,01/03/2020,99,a) Male"
    );
    let dir = setup(export, "");
    let out = run(&dir);
    out.finding("people", 3, "SEEN-AFTER-BIRTH");
    out.finding("people", 4, "VISITS-RANGE");
    assert_eq!(out.findings.len(), 2, "{:#?}", out.findings);
    assert_eq!(out.corrected("people").rows.len(), 2);
}

#[test]
fn blank_lines_are_counted_but_are_not_records() {
    for eol in ["\n", "\r\n", "\r"] {
        let export = [
            HEADER,
            "",
            "P1,Ann,01/02/2010,01/03/2000,3,a) Male",
            "P2,Bo,01/02/2010,01/03/2020,3,a) Male",
            "",
            "",
            "P3,Cy,01/02/2010,01/03/2000,3,a) Male",
            "",
        ]
        .join(eol);
        let dir = setup(export, "");
        let out = run(&dir);
        let lines: Vec<u64> = out.findings.iter().map(|f| f.line).collect();
        assert_eq!(lines, [3, 7], "line endings {eol:?}: {:#?}", out.findings);
        assert_eq!(out.table_report("tables", "people")["rows_in"], 3, "{eol:?}");
    }
}

#[test]
fn ragged_rows_are_rejected_whole_and_the_run_goes_on() {
    let export = format!(
        "{HEADER}\nP1,Lee, Ann,01/02/2010,01/03/2020,3,a) Male\nP2,Bo,01/02/2010\nP3,Cy,01/02/2010,01/03/2000,3,a) Male\nP4,Di,01/02/2010,01/03/2020,3,b) Female\n"
    );
    let dir = setup(export, "");
    let out = run(&dir);
    let many = out.finding("people", 2, "ingest.ragged_row");
    assert_eq!(many.severity, "error");
    assert_eq!(many.value, "P1,Lee, Ann,01/02/2010,01/03/2020,3,a) Male");
    assert!(
        many.message.contains("7 fields but the header has 6"),
        "{}",
        many.message
    );
    let few = out.finding("people", 3, "ingest.ragged_row");
    assert!(few.message.contains("3 fields but the header has 6"), "{}", few.message);
    // The run continued past them: rules ran on the next rows.
    out.finding("people", 4, "SEEN-AFTER-BIRTH");
    let rejected = out.rejected("people");
    assert_eq!(
        rejected.rows,
        [
            vec![
                "people.csv",
                "2",
                "ingest.ragged_row",
                "P1",
                "Lee",
                " Ann",
                "01/02/2010",
                "01/03/2020",
                "3",
                "a) Male"
            ],
            vec![
                "people.csv",
                "3",
                "ingest.ragged_row",
                "P2",
                "Bo",
                "01/02/2010",
                "",
                "",
                ""
            ],
            vec![
                "people.csv",
                "4",
                "SEEN-AFTER-BIRTH",
                "P3",
                "Cy",
                "01/02/2010",
                "01/03/2000",
                "3",
                "a) Male"
            ],
        ]
    );
    assert_eq!(
        rows(&out.corrected("people")),
        ["P4|Di|01/02/2010|01/03/2020|3|b) Female"]
    );
}

#[test]
fn a_quote_closed_a_line_later_is_one_ragged_row_that_says_so() {
    // The quote opened on line 3 closes at the quote on line 4: one record of the wrong width.
    let export = format!(
        "{HEADER}\nP1,Ann,01/02/2010,01/03/2020,3,a) Male\nP2,\"Bo,01/02/2010\nP3,Cy,\"x\",y,z,w\nP4,Di,01/02/2010,01/03/2020,3,a) Male\n"
    );
    let dir = setup(export, "");
    let out = run(&dir);
    let f = out.finding("people", 3, "ingest.ragged_row");
    assert!(
        f.message.contains("quote that is opened and never closed"),
        "{}",
        f.message
    );
    assert_eq!(out.table_report("tables", "people")["rows_in"], 3);
}

#[test]
fn entirely_blank_rows_are_rejected() {
    let export = format!(
        "{HEADER}\nP1,Ann,01/02/2010,01/03/2020,3,a) Male\n,,,,,\n , ,\t,,, \nP2,Bo,01/02/2010,01/03/2020,3,a) Male\n"
    );
    let dir = setup(export, "");
    let out = run(&dir);
    for line in [3, 4] {
        let f = out.finding("people", line, "ingest.blank_row");
        assert_eq!(
            (f.severity.as_str(), f.message.as_str()),
            ("error", "The row is entirely blank.")
        );
        assert_eq!(
            out.on_line("people", line).len(),
            1,
            "no other rule runs on a blank row"
        );
    }
    assert_eq!(out.findings.len(), 2);
    assert_eq!(out.rejected("people").rows.len(), 2);
    assert_eq!(out.corrected("people").rows.len(), 2);
}

#[test]
fn headers_match_ignoring_case_spacing_and_punctuation_and_through_aliases() {
    let export = "  PID ,full  name,DOB,date-seen,NUMBER OF VISITS?,sex\nP1,Ann,01/02/2010,01/03/2000,3,a) Male\n";
    let dir = setup(export, "");
    let out = run(&dir);
    let f = out.finding("people", 2, "SEEN-AFTER-BIRTH");
    // Findings name the declared header; outputs keep the export's own.
    assert_eq!(f.columns, "Date of Birth; Date Seen");
    assert_eq!(f.record_key, "P1");
    assert_eq!(
        out.rejected("people").header,
        [
            "source_file",
            "line",
            "rule_ids",
            "  PID ",
            "full  name",
            "DOB",
            "date-seen",
            "NUMBER OF VISITS?",
            "sex"
        ]
    );
}

#[test]
fn a_missing_column_stops_the_run_and_names_the_close_header() {
    let export =
        "Person ID,Full Name,Date of Brith,Date Seen,Number of Visits,Sex\nP1,Ann,01/02/2010,01/03/2020,3,a) Male\n";
    let dir = setup(export, "");
    let run = dir.run(&[]).expect_code(2);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("people.csv"), "names the file");
    assert!(run.stderr.contains("`Date of Birth`"), "names the column");
    assert!(run.stderr.contains("`Date of Brith`"), "suggests the close header");
    insta::assert_snapshot!(run.stderr);
    assert!(!dir.exists("out/latest"), "nothing is published");
    assert!(dir.staging_dirs("out").is_empty());
    assert!(!dir.exists("out/runs") || dir.list("out/runs").is_empty());
}

#[test]
fn every_missing_column_is_reported_in_one_run() {
    // Two columns gone at once: the data officer fixes the export once, not twice.
    let export = "Person ID,Full Name,Number of Visits,Sex\nP1,Ann,3,a) Male\n";
    let run = setup(export, "").run(&[]).expect_code(2);
    assert!(run.stderr.contains("missing column `Date of Birth`"), "{}", run.stderr);
    assert!(run.stderr.contains("missing column `Date Seen`"), "{}", run.stderr);
}

#[test]
fn a_missing_column_with_no_close_header_suggests_nothing() {
    let export =
        "Person ID,Full Name,Birthday,Date Seen,Number of Visits,Sex\nP1,Ann,01/02/2010,01/03/2020,3,a) Male\n";
    let run = setup(export, "").run(&[]).expect_code(2);
    assert!(run.stderr.contains("missing column `Date of Birth`"), "{}", run.stderr);
    assert!(!run.stderr.contains("is that it?"), "{}", run.stderr);
}

#[test]
fn utf16_is_refused_with_a_clear_message() {
    let mut export = vec![0xFF, 0xFE];
    for unit in format!("{HEADER}\r\nP1,Ann,01/02/2010,01/03/2020,3,a) Male\r\n").encode_utf16() {
        export.extend(unit.to_le_bytes());
    }
    let dir = setup(export, "");
    let run = dir.run(&[]).expect_code(2);
    assert_eq!(
        run.stderr,
        "error: people.csv:1: the file is UTF-16 encoded; export it as UTF-8 or Windows-1252 (CSV UTF-8 in Excel's Save As)\nNothing was published.\n"
    );
    assert!(!dir.exists("out/latest"));
}

#[test]
fn an_empty_export_is_refused() {
    for export in ["", "\n\n"] {
        let dir = setup(export, "");
        let run = dir.run(&[]).expect_code(2);
        assert!(
            run.stderr
                .starts_with("error: people.csv:1: the file is empty: there is no header row"),
            "{export:?}: {}",
            run.stderr
        );
        assert!(!dir.exists("out/latest"));
    }
}

#[test]
fn a_header_only_export_is_an_empty_table() {
    let dir = setup(format!("{HEADER}\n"), "");
    let out = run(&dir);
    assert!(out.findings.is_empty());
    assert_eq!(out.table_report("tables", "people")["rows_in"], 0);
    assert_eq!(out.corrected("people").header.len(), 6);
}

#[test]
fn every_uk_date_form_is_read_and_month_first_is_not() {
    // Date Seen is 15/03/2023 in every form; born is the day before, so the
    // check passes exactly when both dates are read as the same day.
    let forms = [
        "15/03/2023",
        "15/3/23",
        "2023-03-15",
        "15-Mar-2023",
        "15 March 2023",
        "45000",
        "15.03.2023",
        "15/03/2023 00:00",
    ];
    let mut export = format!("{HEADER}\n");
    for (i, form) in forms.iter().enumerate() {
        export.push_str(&format!("P{i},Ann,14/03/2023,{form},3,a) Male\n"));
    }
    export.push_str("US,Ann,14/03/2023,03/15/2023,3,a) Male\n");
    export.push_str("LATE,Ann,16/03/2023,45000,3,a) Male\n");
    let dir = setup(export, "");
    let out = run(&dir);
    let us = forms.len() as u64 + 2;
    let f = out.finding("people", us, "people.seen.type");
    assert_eq!((f.severity.as_str(), f.value.as_str()), ("error", "03/15/2023"));
    assert_eq!(f.message, "Date Seen is not a valid date (dd/mm/yyyy).");
    // Excel serial 45000 is 15/03/2023: the day before a 16/03/2023 birth.
    out.finding("people", us + 1, "SEEN-AFTER-BIRTH");
    let lines: Vec<u64> = out.findings.iter().map(|f| f.line).collect();
    assert_eq!(lines, [us, us, us + 1], "{:#?}", out.findings);
    assert_eq!(out.corrected("people").rows.len(), forms.len());
}

#[test]
fn whole_numbers_allow_a_zero_fraction_and_spaces() {
    let export =
        format!("{HEADER}\nP1,A,,,3.0,\nP2,B,,, 4 ,\nP3,C,,,\"1,234\",\nP4,D,,,2.5,\nP5,E,,,three,\nP6,F,,,-1,\n");
    let dir = setup(export, "");
    let out = run(&dir);
    for line in [2, 3] {
        assert!(
            out.on_line("people", line).is_empty(),
            "line {line}: {:#?}",
            out.findings
        );
    }
    // 1,234 is a whole number, but out of range: a warning only.
    assert_eq!(out.rules_on_line("people", 4), ["VISITS-RANGE"].into());
    assert_eq!(out.finding("people", 5, "people.visits.type").value, "2.5");
    assert_eq!(
        out.finding("people", 6, "people.visits.type").message,
        "Number of Visits is not a whole number."
    );
    // The range rule cannot judge what is not a number, and says so.
    assert!(
        out.finding("people", 5, "VISITS-RANGE")
            .message
            .starts_with("Not checked:")
    );
    out.finding("people", 7, "VISITS-RANGE");
    let corrected = out.corrected("people");
    let ids: Vec<&str> = corrected.rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["P1", "P2", "P3", "P6"]);
    assert_eq!(corrected.rows[1][4], " 4 ", "values are kept as exported");
}

#[test]
fn a_code_in_the_wrong_case_is_a_warning_and_the_row_is_kept() {
    let export = format!("{HEADER}\nP1,A,,,3,  A) MALE \nP2,B,,,3,b)  female\nP3,C,,,3,Monkey\nP4,D,,,3,a) Male\n");
    let dir = setup(export, "");
    let out = run(&dir);
    for (line, value) in [(2, "  A) MALE "), (3, "b)  female")] {
        let f = out.finding("people", line, "people.sex.code_form");
        assert_eq!((f.severity.as_str(), f.value.as_str()), ("warning", value));
        assert_eq!(out.on_line("people", line).len(), 1);
    }
    let monkey = out.finding("people", 4, "people.sex.type");
    assert_eq!(monkey.severity, "error");
    assert!(!out.rules_on_line("people", 4).contains("people.sex.code_form"));
    assert!(out.on_line("people", 5).is_empty());
    let ids: Vec<String> = out.corrected("people").rows.iter().map(|r| r[0].clone()).collect();
    assert_eq!(ids, ["P1", "P2", "P4"]);
}

#[test]
fn a_date_that_does_not_parse_is_reported_by_every_rule_that_reads_it() {
    // SEEN-AFTER-BIRTH has `when: born IS NOT NULL` and `check: seen >= born`.
    let export = format!(
        "{HEADER}\nP1,A,31/02/2010,01/03/2020,3,\nP2,B,01/02/2010,yesterday,3,\nP3,C,,01/03/2020,3,\nP4,D,01/02/2010,,3,\n"
    );
    let dir = setup(export, "");
    let out = run(&dir);
    // An unparseable value in `when`: not checked, not silently skipped.
    let p1 = out.finding("people", 2, "SEEN-AFTER-BIRTH");
    assert_eq!(
        p1.message,
        "Not checked: Date of Birth is not a valid date (dd/mm/yyyy), so this rule could not be applied. (The person was seen before they were born.)"
    );
    assert_eq!(p1.severity, "error");
    out.finding("people", 2, "people.born.type");
    // An unparseable value in `check`.
    let p2 = out.finding("people", 3, "SEEN-AFTER-BIRTH");
    assert!(
        p2.message.starts_with("Not checked: Date Seen is not a valid date"),
        "{}",
        p2.message
    );
    assert_eq!(p2.value, "Date of Birth=01/02/2010; Date Seen=yesterday");
    // Blank values are not applicable: `required` is what demands a value.
    assert!(out.on_line("people", 4).is_empty(), "{:#?}", out.findings);
    assert!(out.on_line("people", 5).is_empty(), "{:#?}", out.findings);
}

#[test]
fn a_semicolon_delimited_export() {
    let export = format!(
        "{}\nP1;\"Lee; Ann\";01/02/2010;01/03/2000;3;a) Male\nP2;Bo, Jr;01/02/2010;01/03/2020;3;a) Male\nP3;Cy;1;2\n",
        HEADER.replace(',', ";")
    );
    let dir = setup(export, "delimiter: \";\"");
    let out = run(&dir);
    let f = out.finding("people", 2, "SEEN-AFTER-BIRTH");
    assert_eq!(f.record_key, "P1");
    let ragged = out.finding("people", 4, "ingest.ragged_row");
    assert_eq!(ragged.value, "P3;Cy;1;2");
    let corrected = out.corrected("people");
    assert_eq!(corrected.header[5], "Sex");
    assert_eq!(rows(&corrected), ["P2|Bo, Jr|01/02/2010|01/03/2020|3|a) Male"]);
    assert_eq!(out.rejected("people").rows[0][4], "Lee; Ann");
}

#[test]
fn undeclared_columns_are_kept_and_listed() {
    let export = "Local Ref,Person ID,Full Name,Date of Birth,Date Seen,Number of Visits,Sex,Notes\n\
                  L1,P1,Ann,01/02/2010,01/03/2020,3,a) Male,keep me\n\
                  L2,P2,Bo,01/02/2010,01/03/2000,3,a) Male,and me\n";
    let dir = setup(export, "");
    let out = run(&dir);
    let corrected = out.corrected("people");
    assert_eq!(corrected.header[0], "Local Ref");
    assert_eq!(corrected.header[7], "Notes");
    assert_eq!(rows(&corrected), ["L1|P1|Ann|01/02/2010|01/03/2020|3|a) Male|keep me"]);
    assert_eq!(
        out.rejected("people").rows[0][3..],
        ["L2", "P2", "Bo", "01/02/2010", "01/03/2000", "3", "a) Male", "and me"]
    );
    assert_eq!(out.finding("people", 3, "SEEN-AFTER-BIRTH").record_key, "P2");
    assert_eq!(
        out.table_report("inputs", "people")["extra_columns"],
        serde_json::json!(["Local Ref", "Notes"])
    );
    assert!(
        out.summary()
            .contains("The people export has 2 columns no rule pack declares")
    );
}

#[test]
fn an_optional_column_may_be_absent() {
    let dir = setup(format!("{HEADER}\nP1,Ann,01/02/2010,01/03/2020,3,a) Male\n"), "");
    dir.write(
        "pack.yaml",
        PACK.replace("header: Sex,", "header: Sex, optional: true,"),
    );
    dir.write(
        "people.csv",
        "Person ID,Full Name,Date of Birth,Date Seen,Number of Visits\nP1,Ann,01/02/2010,01/03/2020,3\n",
    );
    let out = run(&dir);
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    assert_eq!(out.corrected("people").header.len(), 5);
}
