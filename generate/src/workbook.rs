//! The demo as an Annex A workbook (`annex-a.xlsx`), as a council sends it to Ofsted: one sheet
//! per list written, named as Ofsted's template names it (`List 1 - Contacts` … `List 11 -
//! Adopters`), each with a title row and a blank row above a bold header, then the same records
//! and values as the list's CSV file (read back from it, so the two cannot drift apart).
//!
//! A value is written as an Excel date (formatted dd/mm/yyyy) when the CSV holds a valid date in
//! exactly that form, as a number when it holds a whole number (digits, no leading zero), and
//! as text otherwise (blank cells are left empty). Dates in other forms, `3.0`, ` 3 `, codes in
//! the wrong case and every other planted value stay text, so each planted problem is still
//! there. The children table is not an Annex A list and stays a CSV file only.
//!
//! The ground truth is the CSV files': a record that starts on line `n` of a list's CSV file
//! (header = 1) is on Excel row `n + WORKBOOK_TITLE_ROWS`, except after a record that holds a
//! line break inside a quoted value (one team name in `assessments.csv`), where each later
//! record is on a row one less per such break (a record is one row in the workbook).

use std::fs;
use std::io;
use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use crate::tables::{REFERRALS, SHEETS, TABLE_COUNT, TABLE_NAMES};

/// The workbook's file name.
pub const WORKBOOK: &str = "annex-a.xlsx";
/// Rows above each sheet's header: a title and a blank row.
pub const WORKBOOK_TITLE_ROWS: usize = 2;

fn xlsx(e: XlsxError) -> io::Error {
    io::Error::other(e)
}

/// Write [`WORKBOOK`] into `dir` from the CSV files of the Annex A lists `written` there.
pub(crate) fn write(dir: &Path, written: &[bool; TABLE_COUNT]) -> io::Result<()> {
    let mut book = Workbook::new();
    // A fixed creation date, so the file is a pure function of the options like the CSVs (the
    // writer would otherwise stamp the time it ran).
    let created = ExcelDateTime::from_ymd(2026, 1, 1).map_err(xlsx)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let bold = Format::new().set_bold();
    let title_format = Format::new().set_bold().set_font_size(14);
    let date_format = Format::new().set_num_format("dd/mm/yyyy");
    for (t, sheet) in SHEETS.iter().enumerate() {
        let Some((name, title)) = sheet else {
            continue;
        };
        if !written[t] {
            continue;
        }
        let bytes = fs::read(dir.join(format!("{}.csv", TABLE_NAMES[t])))?;
        let text = if t == REFERRALS {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(&bytes)
                .0
                .into_owned()
        } else {
            String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?
        };
        let records = parse_csv(text.strip_prefix('\u{feff}').unwrap_or(&text))?;
        let ws = book.add_worksheet();
        ws.set_name(*name).map_err(xlsx)?;
        ws.write_string_with_format(0, 0, *title, &title_format).map_err(xlsx)?;
        for (r, record) in records.iter().enumerate() {
            let row = (r + WORKBOOK_TITLE_ROWS) as u32;
            for (c, value) in record.iter().enumerate() {
                let col = c as u16;
                if r == 0 {
                    ws.write_string_with_format(row, col, value, &bold).map_err(xlsx)?;
                } else if value.is_empty() {
                    continue;
                } else if let Some(date) = dmy_date(value) {
                    ws.write_datetime_with_format(row, col, &date, &date_format)
                        .map_err(xlsx)?;
                } else if let Some(n) = whole_number(value) {
                    ws.write_number(row, col, n).map_err(xlsx)?;
                } else {
                    ws.write_string(row, col, value).map_err(xlsx)?;
                }
            }
        }
        if let Some(header) = records.first() {
            for c in 0..header.len() {
                ws.set_column_width(c as u16, 18).map_err(xlsx)?;
            }
        }
    }
    book.save(dir.join(WORKBOOK)).map_err(xlsx)
}

/// A valid date written exactly dd/mm/yyyy.
fn dmy_date(s: &str) -> Option<ExcelDateTime> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b[r.clone()]
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| s[r].parse::<u16>().ok())?
    };
    if b.len() != 10 || b[2] != b'/' || b[5] != b'/' {
        return None;
    }
    let (d, m, y) = (digits(0..2)?, digits(3..5)?, digits(6..10)?);
    chrono::NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))?;
    // Excel's dates start in 1900.
    (y >= 1900).then(|| ExcelDateTime::from_ymd(y, m as u8, d as u8).ok())?
}

/// A whole number written plainly: optional minus, digits, no leading zero, at most 15 digits
/// (so it is exact as a float).
fn whole_number(s: &str) -> Option<f64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let plain = !digits.is_empty()
        && digits.len() <= 15
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    plain.then(|| s.parse::<i64>().ok()).flatten().map(|n| n as f64)
}

/// The records of a CSV file the generator wrote (quoted values may hold commas, quotes and
/// line breaks; records end with LF or CRLF).
fn parse_csv(text: &str) -> io::Result<Vec<Vec<String>>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| {
            r.map(|r| r.iter().map(str::to_string).collect())
                .map_err(io::Error::other)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use calamine::{Data, DataType, Reader, Xlsx, open_workbook};
    use chrono::NaiveDate;

    use super::*;
    use crate::GenOptions;
    use crate::tables::{ASSESSMENTS, CHILDREN};
    use crate::testing::checker::parse_date;
    use crate::testing::{Sheet, gen_in, opts};

    #[test]
    fn the_workbook_holds_each_list_as_its_csv_file_does() {
        let (dir, summary, truth) = gen_in(&opts(42, 1000), "workbook");
        assert_eq!(crate::write_workbook(&dir.0, &summary).unwrap(), dir.0.join(WORKBOOK));
        let mut book: Xlsx<_> = open_workbook(dir.0.join(WORKBOOK)).unwrap();
        let names: Vec<&str> = SHEETS.iter().flatten().map(|(name, _)| *name).collect();
        assert_eq!(book.sheet_names(), names);
        assert_eq!(names[0], "List 1 - Contacts");
        assert_eq!(names[10], "List 11 - Adopters");
        let mut dates = 0;
        for (t, sheet) in SHEETS.iter().enumerate() {
            let Some((name, title)) = sheet else {
                assert_eq!(t, CHILDREN);
                continue;
            };
            let range = book.worksheet_range(name).unwrap();
            let csv = Sheet::read(&dir, TABLE_NAMES[t]);
            let cell = |row: usize, col: usize| {
                range
                    .get_value((row as u32, col as u32))
                    .cloned()
                    .unwrap_or(Data::Empty)
            };
            assert_eq!(cell(0, 0), Data::String(title.to_string()));
            assert!((0..csv.header.len()).all(|c| cell(1, c) == Data::Empty), "{name}");
            for (c, h) in csv.header.iter().enumerate() {
                assert_eq!(cell(WORKBOOK_TITLE_ROWS, c), Data::String(h.clone()), "{name}");
            }
            assert_eq!(range.height(), WORKBOOK_TITLE_ROWS + 1 + csv.rows.len(), "{name}");
            // Every record on its row, every value as the CSV file has it: dd/mm/yyyy dates as
            // dates, whole numbers as numbers, the rest as text.
            let mut breaks = 0;
            for (k, (line, record)) in csv.rows.iter().enumerate() {
                let row = WORKBOOK_TITLE_ROWS + 1 + k;
                // As documented: the record on CSV line n is on Excel row n + title rows
                // (both counted from 1), less the line breaks inside earlier records.
                assert_eq!(row + 1, line + WORKBOOK_TITLE_ROWS - breaks, "{name} line {line}");
                breaks += record.iter().map(|v| v.matches('\n').count()).sum::<usize>();
                for (c, value) in record.iter().enumerate() {
                    let got = cell(row, c);
                    let dmy = value.len() == 10 && value.as_bytes()[2] == b'/';
                    match parse_date(value) {
                        _ if value.is_empty() => assert_eq!(got, Data::Empty, "{name} {line}:{c}"),
                        Ok(Some(d)) if dmy => {
                            assert!(got.is_datetime(), "{name} {line}:{c}: {got:?}");
                            assert_eq!(got.as_date(), Some(d), "{name} {line}:{c}");
                            dates += 1;
                        }
                        _ => match whole_number(value) {
                            Some(n) => assert_eq!(got, Data::Float(n), "{name} {line}:{c}"),
                            None => assert_eq!(got, Data::String(value.clone()), "{name} {line}:{c}"),
                        },
                    }
                }
            }
            assert_eq!(breaks, usize::from(t == ASSESSMENTS), "{name}");
        }
        assert!(dates > 10_000, "{dates}");
        // A known cell: the first contact's date, a date cell formatted dd/mm/yyyy.
        let contacts = book.worksheet_range("List 1 - Contacts").unwrap();
        let csv = Sheet::read(&dir, "contacts");
        let first = (1..).map(|k| &csv.rows[k - 1].1[5]).find(|v| v.len() == 10).unwrap();
        let k = csv.rows.iter().position(|(_, r)| &r[5] == first).unwrap();
        let got = contacts.get_value(((WORKBOOK_TITLE_ROWS + 1 + k) as u32, 5)).unwrap();
        let want = NaiveDate::parse_from_str(first, "%d/%m/%Y").unwrap();
        assert!(matches!(got, Data::DateTime(d) if d.is_datetime()), "{got:?}");
        assert_eq!(got.as_date(), Some(want));
        // Planted values that are not dates stay text, where the ground truth says they are.
        let planted = truth
            .iter()
            .filter(|t| t.kind == crate::plants::PlantKind::EhStartType)
            .count();
        assert_eq!(planted, 2);
        let early = book.worksheet_range("List 2 - Early help").unwrap();
        let texts = early
            .rows()
            .skip(WORKBOOK_TITLE_ROWS + 1)
            .filter(|r| matches!(&r[5], Data::String(s) if !s.is_empty()))
            .count();
        assert_eq!(texts, planted);
        // Not written unless asked for; only the lists written get a sheet.
        let o = GenOptions {
            tables: vec!["children".into(), "adopters".into(), "contacts".into()],
            ..opts(42, 50)
        };
        let (some, summary, _) = gen_in(&o, "some-workbook");
        assert!(!some.0.join(WORKBOOK).exists());
        crate::write_workbook(&some.0, &summary).unwrap();
        let book: Xlsx<_> = open_workbook(some.0.join(WORKBOOK)).unwrap();
        assert_eq!(book.sheet_names(), ["List 1 - Contacts", "List 11 - Adopters"]);
    }

    #[test]
    fn only_exact_dd_mm_yyyy_dates_and_plain_whole_numbers_change_type() {
        assert!(dmy_date("29/02/2024").is_some());
        for s in [
            "29/02/2025",
            "31/09/2024",
            "1/2/2024",
            "2024-02-01",
            "01-Feb-2024",
            "yesterday",
            "01/02/1899",
        ] {
            assert!(dmy_date(s).is_none(), "{s}");
        }
        assert_eq!(whole_number("12"), Some(12.0));
        assert_eq!(whole_number("0"), Some(0.0));
        assert_eq!(whole_number("-3"), Some(-3.0));
        for s in ["3.0", " 3 ", "007", "", "-", "NF123456", "1234567890123456"] {
            assert_eq!(whole_number(s), None, "{s}");
        }
        let records = parse_csv("a,\"b,\"\"c\"\"\nd\"\r\n1,2\n").unwrap();
        assert_eq!(
            records,
            [vec!["a".to_string(), "b,\"c\"\nd".into()], vec!["1".into(), "2".into()]]
        );
    }
}
