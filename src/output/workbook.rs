//! `exceptions.xlsx`: what a data team works through, as a workbook.
//!
//! The findings (the rows of `exceptions.csv`) on one sheet with a frozen header, filters, set
//! column widths and each finding's severity coloured, so the errors stand out; then a sheet
//! per table with rejected rows (the rows of `rejected/<table>.csv`), with the rule ids that
//! held each back. Every value is written as text (a line as a number), so nothing in a record
//! can run as a formula in Excel, whatever it begins with. The workbook is made from the CSV
//! outputs once they are complete (their guard quotes removed, see [`super::sheet::unguard`]),
//! streamed row by row (rust_xlsxwriter's constant-memory mode, its temporary files in the
//! run's own folder), so nothing is held whole.
//!
//! Excel's limits are kept without losing a row: a sheet holds at most [`ROWS_PER_SHEET`]
//! rows, so more continue on a sheet of the same name with a number (`Findings (2)`); a value
//! longer than a cell holds (32,767 characters) is cut there with a note that the CSV has it
//! whole.

use std::path::Path;

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::model::error::{Error, Result};
use crate::model::table::{ColumnType, Table};
use crate::output::publish::Staging;
use crate::output::sheet::unguard;

/// Rows of data a sheet holds besides its header (Excel's 1,048,576 rows, less one).
pub const ROWS_PER_SHEET: u32 = 1_048_575;

/// The most characters a cell holds.
const CELL_CHARS: usize = 32_767;
const CUT_NOTE: &str = " [cut: the CSV output has the whole value]";

/// Widths (in characters) of the findings sheet's columns, by header.
const WIDTHS: &[(&str, f64)] = &[
    ("table", 14.0),
    ("source_file", 20.0),
    ("line", 8.0),
    ("cell", 16.0),
    ("record_key", 24.0),
    ("rule_id", 16.0),
    ("severity", 10.0),
    ("status", 12.0),
    ("first_seen", 12.0),
    ("columns", 24.0),
    ("value", 28.0),
    ("message", 90.0),
];

/// Write `exceptions.xlsx` into the staging folder from its `exceptions.csv` and the rejected
/// rows of `tables` (`rejected/<table>.csv`, where written).
pub fn write_exceptions(staging: &Staging, tables: &[String]) -> Result<()> {
    let path = staging.path("exceptions.xlsx");
    let failed = |e: XlsxError| Error::io(&path, std::io::Error::other(e));
    let mut book = new_book(staging).map_err(failed)?;
    let styles = Styles::new();
    let findings = staging.path("exceptions.csv");
    write_csv(&mut book, &styles, &findings, "Findings", Kind::Findings).map_err(|e| e.at(&findings, &path))?;
    for table in tables {
        let rejected = staging.path(&format!("rejected/{table}.csv"));
        if has_rows(&rejected) {
            let name = format!("Rejected {table}");
            write_csv(&mut book, &styles, &rejected, &name, Kind::Rejected).map_err(|e| e.at(&rejected, &path))?;
        }
    }
    // Written through the staging folder's checks (no link, no name leaving it).
    let mut file = staging.file("exceptions.xlsx")?;
    book.save_to_writer(&mut file).map_err(failed)?;
    std::io::Write::flush(&mut file).map_err(|e| Error::io(&path, e))
}

/// A workbook that spills its sheets into the staging folder and is compressed at zip level 2.
/// Writing a million-row, 15-column table back took 14.8 s at the default level 6 (85 MB),
/// 9.4 s at level 2 (104 MB) and 8.5 s at level 1, whose files were half as big again as level
/// 6's (135 MB, more than the CSV): level 2 keeps most of the time for a fifth more bytes.
fn new_book(staging: &Staging) -> std::result::Result<Workbook, XlsxError> {
    let mut book = Workbook::new();
    book.set_tempdir(staging.dir())?;
    book.set_zip_compression_level(2);
    Ok(book)
}

/// Whether a CSV output has a record below its header (a table with no rejected row gets no
/// sheet).
fn has_rows(path: &Path) -> bool {
    csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .is_ok_and(|mut r| r.records().next().is_some())
}

/// For a table read from a workbook: its corrected and rejected rows as workbooks too
/// (`corrected/<table>.xlsx`, `rejected/<table>.xlsx`, each one sheet named as the sheet read),
/// so the data team gets back what they gave. A value of a column declared as a date, whole
/// number or decimal is written as a date or number cell when that cell reads back as the same
/// text (`05/06/2014`, `12`), so a round trip Excel → Cleanse → Excel keeps every value; any
/// other value is text.
pub fn write_tables(staging: &Staging, table: &Table, sheet: &str, pivot: u8) -> Result<()> {
    for (folder, skip) in [("corrected", 0), ("rejected", 3)] {
        let rel = format!("{folder}/{}.xlsx", table.name);
        let csv_path = staging.path(&format!("{folder}/{}.csv", table.name));
        let path = staging.path(&rel);
        let failed = |e: XlsxError| Error::io(&path, std::io::Error::other(e));
        let mut book = new_book(staging).map_err(failed)?;
        let styles = Styles::new();
        let types = Typed {
            table,
            skip,
            pivot,
            date: Format::new().set_num_format("dd/mm/yyyy"),
        };
        write_csv(&mut book, &styles, &csv_path, sheet, Kind::Table(&types)).map_err(|e| e.at(&csv_path, &path))?;
        let mut file = staging.file(&rel)?;
        book.save_to_writer(&mut file).map_err(failed)?;
        std::io::Write::flush(&mut file).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

/// How a table's values are written as typed cells.
struct Typed<'a> {
    table: &'a Table,
    /// Columns before the table's own (`rejected/` has `source_file, line, rule_ids`).
    skip: usize,
    pivot: u8,
    date: Format,
}

impl Typed<'_> {
    /// Per column of the CSV: the declared type of the table's column it holds, if any.
    fn types(&self, header: &[String]) -> Vec<Option<ColumnType>> {
        let names = &header[self.skip.min(header.len())..];
        let mut out = vec![None; header.len()];
        if let Ok(matched) = crate::source::match_header(names, self.table) {
            for (col, at) in self.table.columns.iter().zip(&matched.columns) {
                if let Some(i) = at {
                    out[self.skip + i] = Some(col.ty.clone());
                }
            }
        }
        out
    }

    /// Write `value` as a typed cell if it reads back as the same text; false if not.
    fn write(
        &self,
        sheet: &mut Worksheet,
        row: u32,
        col: u16,
        ty: &ColumnType,
        value: &str,
    ) -> Result<bool, XlsxError> {
        use crate::model::values;
        match ty {
            ColumnType::Date(forms) => {
                let Some(days) = values::parse_date(value, *forms, self.pivot) else {
                    return Ok(false);
                };
                let iso = !forms.contains(values::DateForms::DMY) && !forms.contains(values::DateForms::DFE);
                let mut back = String::new();
                values::write_date(days, iso, &mut back);
                if back != value {
                    return Ok(false);
                }
                let d = chrono::NaiveDate::from_num_days_from_ce_opt(days + 719_163).expect("a parsed date is a date");
                use chrono::Datelike;
                let at = rust_xlsxwriter::ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
                let format = if iso {
                    Format::new().set_num_format("yyyy-mm-dd")
                } else {
                    self.date.clone()
                };
                sheet.write_datetime_with_format(row, col, &at, &format)?;
                Ok(true)
            }
            ColumnType::Integer => match values::parse_integer(value) {
                Some(n) if n.to_string() == value && n.unsigned_abs() < (1 << 53) => {
                    sheet.write_number(row, col, n as f64)?;
                    Ok(true)
                }
                _ => Ok(false),
            },
            ColumnType::Decimal => match values::parse_decimal(value) {
                Some(f) if f.to_string() == value => {
                    sheet.write_number(row, col, f)?;
                    Ok(true)
                }
                _ => Ok(false),
            },
            ColumnType::Text | ColumnType::Code(_) => Ok(false),
        }
    }
}

#[derive(Clone, Copy)]
enum Kind<'a> {
    Findings,
    Rejected,
    /// A table's rows, typed where its columns are declared so.
    Table(&'a Typed<'a>),
}

struct Styles {
    header: Format,
    error: Format,
    warning: Format,
    info: Format,
}

impl Styles {
    fn new() -> Styles {
        let fill = |background: u32, font: u32| {
            Format::new()
                .set_background_color(Color::RGB(background))
                .set_font_color(Color::RGB(font))
        };
        Styles {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0x00D9_E1F2))
                .set_border_bottom(FormatBorder::Thin),
            error: fill(0x00FF_C7CE, 0x009C_0006),
            warning: fill(0x00FF_EB9C, 0x009C_5700),
            info: fill(0x00DD_EBF7, 0x001F_4E78),
        }
    }
}

/// Why a CSV output could not be turned into a sheet.
enum Failed {
    Csv(csv::Error),
    Xlsx(XlsxError),
}

impl From<csv::Error> for Failed {
    fn from(e: csv::Error) -> Self {
        Failed::Csv(e)
    }
}

impl From<XlsxError> for Failed {
    fn from(e: XlsxError) -> Self {
        Failed::Xlsx(e)
    }
}

impl Failed {
    /// The error, naming the file that failed: the CSV read, or the workbook written.
    fn at(self, csv: &Path, xlsx: &Path) -> Error {
        match self {
            Failed::Csv(e) => Error::io(csv, std::io::Error::other(e)),
            Failed::Xlsx(e) => Error::io(xlsx, std::io::Error::other(e)),
        }
    }
}

/// Sheets named `name` (then `name (2)`, ...) holding the CSV at `path`.
fn write_csv(book: &mut Workbook, styles: &Styles, path: &Path, name: &str, kind: Kind) -> Result<(), Failed> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path)?;
    let header: Vec<String> = reader.headers()?.iter().map(|h| unguard(h).to_string()).collect();
    let types = match kind {
        Kind::Table(t) => t.types(&header),
        _ => Vec::new(),
    };
    let line = header.iter().position(|h| h == "line");
    let severity = header.iter().position(|h| h == "severity");
    let mut part = 1;
    let mut sheet = new_sheet(book, styles, name, part, &header)?;
    let mut row: u32 = 0;
    let mut record = csv::StringRecord::new();
    let mut widest = vec![0usize; header.len()];
    while reader.read_record(&mut record)? {
        if row == ROWS_PER_SHEET {
            finish_sheet(sheet, row, &header, &widest, kind)?;
            part += 1;
            sheet = new_sheet(book, styles, name, part, &header)?;
            row = 0;
        }
        row += 1;
        for (c, field) in record.iter().enumerate() {
            let value = unguard(field);
            let col = c as u16;
            if let Some(w) = widest.get_mut(c) {
                *w = (*w).max(value.chars().count().min(60));
            }
            if Some(c) == line
                && let Ok(n) = value.parse::<u32>()
            {
                sheet.write_number(row, col, f64::from(n))?;
                continue;
            }
            if let (Kind::Table(t), Some(Some(ty))) = (kind, types.get(c))
                && !value.is_empty()
                && t.write(sheet, row, col, ty, value)?
            {
                continue;
            }
            let text = cut(value);
            match (Some(c) == severity, value) {
                (true, "error") => sheet.write_string_with_format(row, col, text.as_ref(), &styles.error)?,
                (true, "warning") => sheet.write_string_with_format(row, col, text.as_ref(), &styles.warning)?,
                (true, "info") => sheet.write_string_with_format(row, col, text.as_ref(), &styles.info)?,
                _ => sheet.write_string(row, col, text.as_ref())?,
            };
        }
    }
    finish_sheet(sheet, row, &header, &widest, kind)?;
    Ok(())
}

fn new_sheet<'b>(
    book: &'b mut Workbook,
    styles: &Styles,
    name: &str,
    part: u32,
    header: &[String],
) -> Result<&'b mut Worksheet, XlsxError> {
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name(sheet_name(name, part))?;
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &styles.header)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(sheet)
}

/// Filters over the rows written, and the columns' widths.
fn finish_sheet(
    sheet: &mut Worksheet,
    rows: u32,
    header: &[String],
    widest: &[usize],
    kind: Kind,
) -> Result<(), XlsxError> {
    if !header.is_empty() {
        sheet.autofilter(0, 0, rows, (header.len() - 1) as u16)?;
    }
    for (c, h) in header.iter().enumerate() {
        let width = match kind {
            Kind::Findings => WIDTHS.iter().find(|(name, _)| name == h).map_or(16.0, |(_, w)| *w),
            // A table's own columns: as wide as their values, within reason.
            Kind::Rejected | Kind::Table(_) => {
                (widest.get(c).copied().unwrap_or(0).max(h.chars().count()) + 2).clamp(8, 40) as f64
            }
        };
        sheet.set_column_width(c as u16, width)?;
    }
    Ok(())
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, numbered after the
/// first part.
fn sheet_name(name: &str, part: u32) -> String {
    let suffix = if part > 1 { format!(" ({part})") } else { String::new() };
    let clean: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    let room = 31 - suffix.chars().count();
    let mut out: String = clean.chars().take(room).collect();
    out.push_str(&suffix);
    out
}

/// The value as a cell holds it: cut at Excel's limit, saying so.
fn cut(value: &str) -> std::borrow::Cow<'_, str> {
    if value.chars().count() <= CELL_CHARS {
        return std::borrow::Cow::Borrowed(value);
    }
    let keep = CELL_CHARS - CUT_NOTE.chars().count();
    let mut out: String = value.chars().take(keep).collect();
    out.push_str(CUT_NOTE);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_ones_excel_accepts() {
        assert_eq!(sheet_name("Rejected contacts", 1), "Rejected contacts");
        assert_eq!(sheet_name("Findings", 2), "Findings (2)");
        assert_eq!(
            sheet_name("Rejected placed_adoption_last", 1),
            "Rejected placed_adoption_last"
        );
        let long = sheet_name("Rejected a_very_long_table_name_indeed", 12);
        assert_eq!(long.chars().count(), 31);
        assert!(long.ends_with(" (12)"));
        assert_eq!(sheet_name("a/b:c", 1), "a_b_c");
    }

    #[test]
    fn values_longer_than_a_cell_are_cut_and_say_so() {
        let long = "x".repeat(CELL_CHARS + 10);
        let written = cut(&long);
        assert_eq!(written.chars().count(), CELL_CHARS);
        assert!(written.ends_with(CUT_NOTE));
        assert_eq!(cut("short"), "short");
    }
}
