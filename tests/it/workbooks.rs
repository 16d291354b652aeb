//! Excel workbooks as inputs: shaped as councils' workbooks are (a title above the header, a
//! merged title cell, dates as dates and as text, formulas, error values, stray cells, hidden
//! sheets), each read through the real binary with the messy-inputs pack.

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook, Worksheet};

use crate::messy_inputs::PACK;
use crate::util::Dir;

const HEADER: [&str; 6] = [
    "Person ID",
    "Full Name",
    "Date of Birth",
    "Date Seen",
    "Number of Visits",
    "Sex",
];

/// A directory with the pack and a configuration reading `people.xlsx` (with `settings` on the
/// input), and the workbook `build` writes.
fn setup(settings: &str, build: impl FnOnce(&mut Workbook)) -> Dir {
    let dir = Dir::new();
    dir.write("pack.yaml", PACK);
    let mut config = "rules: [pack.yaml]\ninputs:\n  - table: people\n    file: people.xlsx\n".to_string();
    for line in settings.lines() {
        config.push_str(&format!("    {line}\n"));
    }
    dir.write("cleanse.yaml", config);
    let mut book = Workbook::new();
    build(&mut book);
    book.save(dir.join("people.xlsx")).expect("write the workbook");
    dir
}

fn header(sheet: &mut Worksheet, row: u32) {
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string(row, c as u16, *h).unwrap();
    }
}

fn date(y: u16, m: u8, d: u8) -> ExcelDateTime {
    ExcelDateTime::from_ymd(y, m, d).unwrap()
}

/// The way a council's list arrives: a notes sheet first, then the list under a merged title
/// and a blank row, dates in two display formats and as text, numbers as numbers and as a
/// formula, an error value, a stray value beyond the header, and formatted empty rows below.
fn council_list(book: &mut Workbook) {
    let notes = book.add_worksheet().set_name("Notes").unwrap();
    notes
        .write_string(0, 0, "Exported from the case-management system")
        .unwrap();
    let sheet = book.add_worksheet().set_name("List 1 - People").unwrap();
    let title = Format::new().set_bold();
    sheet
        .merge_range(0, 0, 0, 5, "People seen (fictional)", &title)
        .unwrap();
    header(sheet, 2);
    let uk = Format::new().set_num_format("dd/mm/yyyy");
    let long = Format::new().set_num_format("d mmmm yyyy");
    // Row 4: dates as date cells in two display formats, a whole number.
    sheet.write_string(3, 0, "P1").unwrap();
    sheet.write_string(3, 1, "Ada Example").unwrap();
    sheet.write_datetime_with_format(3, 2, date(2014, 6, 5), &uk).unwrap();
    sheet.write_datetime_with_format(3, 3, date(2025, 4, 3), &long).unwrap();
    sheet.write_number(3, 4, 3.0).unwrap();
    sheet.write_string(3, 5, "b) Female").unwrap();
    // Row 5: a date typed as text, visits from a formula (its saved value read), seen before born;
    // a name that would run as a formula if a spreadsheet were careless.
    sheet.write_string(4, 0, "P2").unwrap();
    sheet
        .write_string(4, 1, "=HYPERLINK(\"http://example.invalid\",\"Ada\")")
        .unwrap();
    sheet.write_string(4, 2, "05/06/2014").unwrap();
    sheet.write_datetime_with_format(4, 3, date(2013, 1, 1), &uk).unwrap();
    sheet.write_formula(4, 4, Formula::new("=1+2").set_result("3")).unwrap();
    sheet.write_string(4, 5, "a) Male").unwrap();
    // Row 6: visits is an error value.
    sheet.write_string(5, 0, "P3").unwrap();
    sheet
        .write_formula(5, 4, Formula::new("=NA()").set_result("#N/A"))
        .unwrap();
    // Row 7: entirely empty (no record). Row 8: a value beyond the header's last column.
    sheet.write_string(7, 0, "P4").unwrap();
    sheet.write_string(7, 7, "stray note").unwrap();
    // Row 9: out of range visits, a fractional number; a date that lost its format, shown as
    // Excel's serial number (41795 is 5 June 2014), which the date column still reads.
    sheet.write_string(8, 0, "P5").unwrap();
    sheet.write_number(8, 2, 41_795.0).unwrap();
    sheet.write_number(8, 4, 60.5).unwrap();
    // Formatted but empty rows below the list.
    let fill = Format::new().set_background_color("#FFFF00");
    for r in 9..20 {
        sheet.write_blank(r, 0, &fill).unwrap();
    }
}

#[test]
fn a_councils_list_reads_as_a_data_officer_sees_it() {
    let dir = setup("", council_list);
    dir.run(&[]).expect_code(0);
    let out = dir.latest();

    let corrected = out.corrected("people");
    assert_eq!(corrected.header, HEADER);
    let rows: Vec<String> = corrected.rows.iter().map(|r| r.join("|")).collect();
    assert_eq!(rows, ["P1|Ada Example|05/06/2014|03/04/2025|3|b) Female"]);

    let rejected = out.rejected("people");
    let lines: Vec<String> = rejected.rows.iter().map(|r| r[..4].join("|")).collect();
    assert_eq!(
        lines,
        [
            "people.xlsx|5|SEEN-AFTER-BIRTH|P2",
            "people.xlsx|6|VISITS-RANGE;people.visits.type;ingest.cell_error|P3",
            "people.xlsx|8|ingest.ragged_row|P4",
            "people.xlsx|9|VISITS-RANGE;people.visits.type|P5",
        ]
    );

    // Every finding names the sheet and the cell a data officer goes to.
    let on = |line: u64, rule: &str| {
        let f = out.finding("people", line, rule);
        (f.cell.clone(), f.value.clone())
    };
    assert_eq!(
        on(5, "SEEN-AFTER-BIRTH"),
        (
            "'List 1 - People'!C5".into(),
            "Date of Birth=05/06/2014; Date Seen=01/01/2013".into()
        )
    );
    assert_eq!(
        on(6, "ingest.cell_error"),
        ("'List 1 - People'!E6".into(), "#N/A".into())
    );
    assert_eq!(on(8, "ingest.ragged_row").0, "'List 1 - People'!8:8");
    assert_eq!(on(9, "VISITS-RANGE"), ("'List 1 - People'!E9".into(), "60.5".into()));
    let error = out.finding("people", 6, "ingest.cell_error");
    assert!(error.message.contains("#N/A"), "{}", error.message);

    // exceptions.xlsx: the findings and the rejected rows, every value as text.
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(out.dir.join("exceptions.xlsx")).unwrap();
    use calamine::Reader;
    assert_eq!(book.sheet_names(), ["Findings", "Rejected people"]);
    let findings = book.worksheet_range("Findings").unwrap();
    let header: Vec<String> = findings.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(header.join(","), crate::util::EXCEPTIONS_HEADER);
    assert_eq!(findings.height(), out.findings.len() + 1);
    let rejected = book.worksheet_range("Rejected people").unwrap();
    let names: Vec<String> = rejected.rows().skip(1).map(|r| r[4].to_string()).collect();
    assert!(
        names.contains(&"=HYPERLINK(\"http://example.invalid\",\"Ada\")".to_string()),
        "{names:?}"
    );
    let formulas = book.worksheet_formula("Rejected people").unwrap();
    assert!(
        formulas.used_cells().next().is_none(),
        "no cell of the outputs is a formula"
    );
    // The CSV guards it too (a leading quote).
    assert!(
        out.rejected("people")
            .rows
            .iter()
            .any(|r| r[4].starts_with("'=HYPERLINK"))
    );

    // A table read from a workbook goes back as one: its sheet's name, dates as date cells and
    // whole numbers as numbers; read again, it gives the same values.
    let mut corrected: calamine::Xlsx<_> = calamine::open_workbook(out.dir.join("corrected/people.xlsx")).unwrap();
    assert_eq!(corrected.sheet_names(), ["List 1 - People"]);
    let range = corrected.worksheet_range("List 1 - People").unwrap();
    let first: Vec<&calamine::Data> = range.rows().nth(1).unwrap().iter().collect();
    assert!(matches!(first[2], calamine::Data::DateTime(_)), "{first:?}");
    assert!(matches!(first[4], calamine::Data::Float(f) if *f == 3.0), "{first:?}");
    let again = Dir::new();
    again.write("pack.yaml", PACK);
    again.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: people, file: people.xlsx }\n",
    );
    std::fs::copy(out.dir.join("corrected/people.xlsx"), again.join("people.xlsx")).unwrap();
    again.run(&[]).expect_code(0);
    assert_eq!(again.latest().corrected("people").rows, out.corrected("people").rows);
    let rejected_book: calamine::Xlsx<_> = calamine::open_workbook(out.dir.join("rejected/people.xlsx")).unwrap();
    assert_eq!(rejected_book.sheet_names(), ["List 1 - People"]);

    // Nothing lost: every row with a value is corrected or rejected; the empty rows are none.
    assert_eq!(out.run_json["tables"][0]["rows_in"], 5, "{}", out.run_json["tables"]);
    assert_eq!(out.run_json["inputs"][0]["sheet"], "List 1 - People");
    assert_eq!(out.run_json["inputs"][0]["rows"], 5);
}

#[test]
fn the_sheet_is_found_by_its_header_or_named() {
    // Two sheets hold the list: one visible, one hidden (an old copy). The visible one is read.
    let two = |book: &mut Workbook| {
        let list = book.add_worksheet().set_name("People").unwrap();
        header(list, 0);
        list.write_string(1, 0, "NEW").unwrap();
        let old = book.add_worksheet().set_name("Old copy").unwrap();
        header(old, 0);
        old.write_string(1, 0, "OLD").unwrap();
        old.set_hidden(true);
    };
    let dir = setup("", two);
    dir.run(&[]).expect_code(0);
    assert_eq!(dir.latest().corrected("people").rows[0][0], "NEW");

    // Named, the hidden sheet is read.
    let dir = setup("sheet: Old copy", two);
    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    assert_eq!(out.corrected("people").rows[0][0], "OLD");

    // Two visible sheets that both match: the user is asked to name one.
    let dir = setup("", |book| {
        for name in ["April", "May"] {
            let s = book.add_worksheet().set_name(name).unwrap();
            header(s, 0);
        }
    });
    let run = dir.run(&[]).expect_code(2);
    assert!(run.stderr.contains("more than one sheet"), "{}", run.stderr);
    assert!(run.stderr.contains("`April` and `May`"), "{}", run.stderr);

    // A sheet name that is not there: the sheets are listed, the close one suggested.
    let dir = setup("sheet: Peple", two);
    let run = dir.run(&[]).expect_code(2);
    assert!(run.stderr.contains("no sheet `Peple`"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `People`?"), "{}", run.stderr);
    assert!(!dir.exists("out/latest"), "nothing is published on an error");
}

#[test]
fn a_header_that_lacks_a_column_is_named_by_cell() {
    let dir = setup("", |book| {
        let s = book.add_worksheet().set_name("List 1").unwrap();
        s.write_string(0, 0, "People (fictional)").unwrap();
        for (c, h) in [
            "Person ID",
            "Full Name",
            "Date of Birth",
            "Date Sen",
            "Number of Visits",
            "Sex",
        ]
        .iter()
        .enumerate()
        {
            s.write_string(1, c as u16 + 1, *h).unwrap();
        }
    });
    let run = dir.run(&[]).expect_code(2);
    // The header starts in column B on row 2; the near miss is in E2.
    assert!(
        run.stderr
            .contains("people.xlsx: 'List 1'!E2: missing column `Date Seen`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("the header has `Date Sen`"), "{}", run.stderr);
}

#[test]
fn files_that_are_not_workbooks_are_refused_by_name() {
    let dir = setup("", |book| {
        let s = book.add_worksheet();
        header(s, 0);
    });
    // A CSV export saved with a workbook's name.
    dir.write("people.xlsx", "Person ID,Full Name\nP1,Ada\n");
    let run = dir.run(&[]).expect_code(2);
    assert!(
        run.stderr.contains("people.xlsx: this is not a workbook"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("text (CSV)"), "{}", run.stderr);

    // A workbook cut short in copying.
    let whole = {
        let d = setup("", |book| {
            let s = book.add_worksheet();
            header(s, 0);
            s.write_string(1, 0, "P1").unwrap();
        });
        d.read_bytes("people.xlsx")
    };
    dir.write("people.xlsx", &whole[..whole.len() / 2]);
    let run = dir.run(&[]).expect_code(2);
    assert!(
        run.stderr.contains("people.xlsx: the workbook cannot be read"),
        "{}",
        run.stderr
    );

    // An empty file, and an empty sheet.
    dir.write("people.xlsx", "");
    let run = dir.run(&[]).expect_code(2);
    assert!(run.stderr.contains("people.xlsx: the file is empty"), "{}", run.stderr);
    let dir = setup("sheet: Blank", |book| {
        book.add_worksheet().set_name("Blank").unwrap();
    });
    let run = dir.run(&[]).expect_code(2);
    assert!(
        run.stderr.contains("people.xlsx: sheet `Blank`: the sheet is empty"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);

    // A workbook encrypted with a password (made by Excel's "Encrypt with Password", here by
    // msoffcrypto-tool: `tests/workbooks/README.md`): refused by name, saying what to do.
    dir.write(
        "people.xlsx",
        std::fs::read(crate::util::repo().join("tests/workbooks/password-protected.xlsx")).unwrap(),
    );
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: people, file: people.xlsx }\n",
    );
    let run = dir.run(&[]).expect_code(2);
    assert!(
        run.stderr.contains("people.xlsx: the workbook is password-protected"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Nothing was published."), "{}", run.stderr);
    assert!(!dir.exists("out/latest"));
}

#[test]
fn csv_settings_on_a_workbook_are_refused() {
    let dir = setup("delimiter: \";\"\nskip_lines: 2", |book| {
        header(book.add_worksheet(), 0);
    });
    let run = dir.run(&[]).expect_code(2);
    assert!(run.stderr.contains("`delimiter` is for CSV exports"), "{}", run.stderr);
    assert!(run.stderr.contains("`skip_lines` is for CSV exports"), "{}", run.stderr);
    let dir = Dir::new();
    dir.write("pack.yaml", PACK);
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: people, file: people.csv, sheet: List 1 }\n",
    );
    dir.write("people.csv", format!("{}\n", HEADER.join(",")));
    let run = dir.run(&[]).expect_code(2);
    assert!(run.stderr.contains("`sheet` is for workbooks"), "{}", run.stderr);
}
