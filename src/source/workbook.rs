//! The workbook reader: one sheet of an Excel (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`) or
//! OpenDocument (`.ods`) workbook as text, batch by batch, keeping every row.
//!
//! The cells are read with calamine, streamed where the format allows (`.xlsx`, `.xlsm`,
//! `.xlsb`: one sheet's cells in order, so memory does not grow with the sheet), on a thread of
//! the source's own that hands on [`RawBatch`]es as the CSV reader does. What a row holds is
//! turned into text the way a data officer reads the cell, so the rules see what they see for a
//! CSV export:
//!
//! - a date cell is a date whatever its display format: written in a form its column accepts
//!   (`dd/mm/yyyy` unless the column takes only ISO dates), with the time when it has one;
//! - a number that is whole reads as a whole number (`12`, not `12.0`); other numbers in the
//!   shortest form that reads back as the same number;
//! - text is the text, so a date typed as text goes through the same UK date rules as CSV;
//! - a formula cell reads as the value Excel saved for it;
//! - an error value (`#N/A`, `#REF!`) is a finding of ingest's own on the cell, and holds the
//!   row back, rather than passing as text.
//!
//! A sheet is named in the configuration, or found: the one visible sheet with a row, among its
//! first [`HEADER_SEARCH_ROWS`], that matches the table's header. Rows above the header (a
//! title, notes) are passed over; an empty row is no record; a cell holding a value beyond the
//! header's last column holds its row back as a ragged row, so no value is dropped. The row a
//! record is on is the row Excel shows, so every finding names the sheet and the cell.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender};

use calamine::{
    CellErrorType, DataType, ExcelDateTime, Ods, Reader, SheetType, SheetVisible, Xls, Xlsb, Xlsx,
    open_workbook_from_rs,
};
use datafusion::arrow::array::{ArrayRef, StringBuilder};
use sha2::{Digest, Sha256};

use crate::model::error::{Error, InputError, InputErrorKind, Result};
use crate::model::table::Table;
use crate::source::{BadRow, BadRowKind, CellIssue, Header, IssueKind, RawBatch, match_header};

/// How far down a sheet its header is looked for: far enough for a title, a date, notes and a
/// blank row or two, not so far that a data row is taken for it.
pub const HEADER_SEARCH_ROWS: usize = 30;

/// The bytes of the file, shared by the format readers that try it.
type Bytes = Cursor<Arc<[u8]>>;

enum Book {
    Xlsx(Xlsx<Bytes>),
    Xlsb(Xlsb<Bytes>),
    Xls(Xls<Bytes>),
    Ods(Ods<Bytes>),
}

/// A cell's value as the reader turns it into text.
enum Value<'a> {
    Empty,
    Text(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
    Date(ExcelDateTime),
    Error(CellErrorType),
}

fn value<T: DataType>(v: &T) -> Value<'_> {
    if let Some(s) = v
        .get_string()
        .or_else(|| v.get_datetime_iso())
        .or_else(|| v.get_duration_iso())
    {
        Value::Text(s)
    } else if let Some(i) = v.get_int() {
        Value::Int(i)
    } else if let Some(f) = v.get_float() {
        Value::Float(f)
    } else if let Some(b) = v.get_bool() {
        Value::Bool(b)
    } else if let Some(d) = v.get_datetime() {
        Value::Date(d)
    } else if let Some(e) = v.get_error() {
        Value::Error(e.clone())
    } else {
        Value::Empty
    }
}

impl Book {
    fn open(path: &Path, bytes: Arc<[u8]>) -> std::result::Result<Book, InputErrorKind> {
        const ZIP: &[u8] = b"PK\x03\x04";
        const CFB: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let rs = || Cursor::new(Arc::clone(&bytes));
        let corrupt = |e: &dyn std::fmt::Display| InputErrorKind::CorruptWorkbook { problem: e.to_string() };
        if bytes.is_empty() {
            return Err(InputErrorKind::Empty);
        }
        if bytes.starts_with(ZIP) {
            return match ext.as_str() {
                "xlsb" => open_workbook_from_rs(rs()).map(Book::Xlsb).map_err(|e| corrupt(&e)),
                "ods" => open_workbook_from_rs(rs()).map(Book::Ods).map_err(|e| corrupt(&e)),
                _ => open_workbook_from_rs(rs()).map(Book::Xlsx).map_err(|e| corrupt(&e)),
            };
        }
        if bytes.starts_with(CFB) {
            // An encrypted .xlsx is a compound file holding the encrypted package; calamine's
            // Excel 2007 reader tells it from an .xls.
            if let Err(calamine::XlsxError::Password) = open_workbook_from_rs::<Xlsx<_>, _>(rs()) {
                return Err(InputErrorKind::PasswordProtected);
            }
            return match open_workbook_from_rs::<Xls<_>, _>(rs()) {
                Ok(book) => Ok(Book::Xls(book)),
                Err(calamine::XlsError::Password) => Err(InputErrorKind::PasswordProtected),
                Err(e) => Err(corrupt(&e)),
            };
        }
        Err(InputErrorKind::NotWorkbook {
            looks_like: match crate::source::csv::not_text(&bytes) {
                Some(what) => what,
                None => Some("a text (CSV) file: give it a .csv name, or name the workbook it came from"),
            },
        })
    }

    /// The worksheets, in workbook order, with whether each is visible.
    fn sheets(&self) -> Vec<(String, bool)> {
        let meta = match self {
            Book::Xlsx(b) => b.sheets_metadata(),
            Book::Xlsb(b) => b.sheets_metadata(),
            Book::Xls(b) => b.sheets_metadata(),
            Book::Ods(b) => b.sheets_metadata(),
        };
        meta.iter()
            .filter(|s| s.typ == SheetType::WorkSheet)
            .map(|s| (s.name.clone(), s.visible == SheetVisible::Visible))
            .collect()
    }

    /// Merged areas of `sheet` (0-based (row, column) corners), where the format keeps them.
    fn merged(&mut self, sheet: &str) -> Vec<calamine::Dimensions> {
        match self {
            Book::Xlsx(b) => b.merge_cells_by_sheet_name(sheet).unwrap_or_default(),
            Book::Xls(b) => b.merge_cells_by_sheet_name(sheet).unwrap_or_default(),
            Book::Xlsb(_) | Book::Ods(_) => Vec::new(),
        }
    }

    /// Every cell of `sheet` in row order, with its 0-based row and column, until `each` breaks.
    fn cells(
        &mut self,
        sheet: &str,
        mut each: impl FnMut(u32, u32, Value) -> ControlFlow<()>,
    ) -> std::result::Result<(), String> {
        macro_rules! stream {
            ($book:expr) => {{
                let mut reader = $book.worksheet_cells_reader(sheet).map_err(|e| e.to_string())?;
                while let Some(cell) = reader.next_cell().map_err(|e| e.to_string())? {
                    let (r, c) = cell.get_position();
                    if each(r, c, value(cell.get_value())).is_break() {
                        break;
                    }
                }
                Ok(())
            }};
        }
        macro_rules! whole {
            ($book:expr) => {{
                let range = $book.worksheet_range(sheet).map_err(|e| e.to_string())?;
                let (r0, c0) = range.start().unwrap_or((0, 0));
                for (r, c, v) in range.used_cells() {
                    if each(r0 + r as u32, c0 + c as u32, value(v)).is_break() {
                        break;
                    }
                }
                Ok(())
            }};
        }
        match self {
            Book::Xlsx(b) => stream!(b),
            Book::Xlsb(b) => stream!(b),
            Book::Xls(b) => whole!(b),
            Book::Ods(b) => whole!(b),
        }
    }
}

/// How the cells of a file column are written as text.
#[derive(Clone, Copy)]
enum DateStyle {
    /// `dd/mm/yyyy`: how a UK Excel shows a date, and what the DfE's forms take.
    DayFirst,
    /// `yyyy-mm-dd`, for a column that takes only ISO dates.
    Iso,
}

/// Write `v` into `out` as a data officer reads the cell; the error, if the cell holds one.
fn write_text(v: &Value, style: DateStyle, out: &mut String) -> Option<CellErrorType> {
    use std::fmt::Write;
    match v {
        Value::Empty => {}
        Value::Text(s) => out.push_str(s),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
            let _ = write!(out, "{}", *f as i64);
        }
        Value::Float(f) => {
            let _ = write!(out, "{f}");
        }
        Value::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        Value::Date(d) => write_date(d, style, out),
        Value::Error(e) => {
            let _ = write!(out, "{e}");
            return Some(e.clone());
        }
    }
    None
}

fn write_date(d: &ExcelDateTime, style: DateStyle, out: &mut String) {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    let serial = d.as_f64();
    // A duration, or a time of day with no date (Excel keeps it as a fraction of day 0).
    if d.is_duration() || (0.0..1.0).contains(&serial) {
        let secs = (serial * 86_400.0).round() as i64;
        let _ = write!(out, "{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
        return;
    }
    let Some(at) = d.as_datetime() else {
        let _ = write!(out, "{serial}");
        return;
    };
    // Written field by field: chrono's `format` parses its pattern again for every cell.
    let (date, time) = (at.date(), at.time());
    let _ = match style {
        DateStyle::DayFirst => write!(out, "{:02}/{:02}/{:04}", date.day(), date.month(), date.year()),
        DateStyle::Iso => write!(out, "{:04}-{:02}-{:02}", date.year(), date.month(), date.day()),
    };
    if time != chrono::NaiveTime::MIN {
        let _ = write!(out, " {:02}:{:02}:{:02}", time.hour(), time.minute(), time.second());
    }
}

/// A sheet read whole, for reference lists (thousands of rows, not an export's millions).
#[derive(Debug)]
pub struct WholeSheet {
    pub name: String,
    /// The header's cells, trimmed, from its first column.
    pub names: Vec<String>,
    /// Each row below the header that holds a value: its row as Excel numbers it, and its
    /// values under the header's columns.
    pub rows: Vec<(u64, Vec<String>)>,
}

/// A workbook read whole: its SHA-256 and size, and every visible sheet with a row among its
/// first [`HEADER_SEARCH_ROWS`] that `is_header` accepts (the first such row is the header).
#[derive(Debug)]
pub struct WholeBook {
    pub sheets: Vec<WholeSheet>,
    pub sha256: String,
    pub bytes: u64,
}

/// Read the visible sheets of the workbook at `path` that have a header `is_header` accepts.
pub fn read_whole(path: &Path, is_header: impl Fn(&[String]) -> bool) -> Result<WholeBook> {
    let bytes: Arc<[u8]> = std::fs::read(path).map_err(|e| Error::io(path, e))?.into();
    let error = |sheet: Option<&str>, kind| {
        Error::Input(vec![InputError {
            file: path.to_path_buf(),
            line: 0,
            column: None,
            sheet: sheet.map(str::to_string),
            kind,
        }])
    };
    let mut book = Book::open(path, Arc::clone(&bytes)).map_err(|kind| error(None, kind))?;
    let mut sheets = Vec::new();
    for (name, _) in book.sheets().into_iter().filter(|(_, visible)| *visible) {
        let mut rows: Vec<(u32, BTreeMap<u32, String>)> = Vec::new();
        let mut text = String::new();
        book.cells(&name, |r, c, v| {
            text.clear();
            write_text(&v, DateStyle::DayFirst, &mut text);
            if !text.trim().is_empty() {
                if rows.last().is_none_or(|(row, _)| *row != r) {
                    rows.push((r, BTreeMap::new()));
                }
                rows.last_mut()
                    .expect("a row was pushed")
                    .1
                    .insert(c, text.trim().to_string());
            }
            ControlFlow::Continue(())
        })
        .map_err(|problem| error(Some(&name), InputErrorKind::CorruptWorkbook { problem }))?;
        let header = rows.iter().take(HEADER_SEARCH_ROWS).position(|(_, cells)| {
            let first = *cells.keys().next().expect("rows kept have a cell");
            let last = *cells.keys().next_back().expect("rows kept have a cell");
            let names: Vec<String> = (first..=last)
                .map(|c| cells.get(&c).cloned().unwrap_or_default())
                .collect();
            is_header(&names)
        });
        let Some(at) = header else { continue };
        let first = *rows[at].1.keys().next().expect("rows kept have a cell");
        let last = *rows[at].1.keys().next_back().expect("rows kept have a cell");
        let values = |cells: &BTreeMap<u32, String>| -> Vec<String> {
            (first..=last)
                .map(|c| cells.get(&c).cloned().unwrap_or_default())
                .collect()
        };
        let names = values(&rows[at].1);
        let below = rows[at + 1..]
            .iter()
            .map(|(r, cells)| (u64::from(*r) + 1, values(cells)))
            .collect();
        sheets.push(WholeSheet {
            name,
            names,
            rows: below,
        });
    }
    Ok(WholeBook {
        sheets,
        sha256: format!("{:x}", Sha256::digest(&bytes)),
        bytes: bytes.len() as u64,
    })
}

/// A sheet being read: the header, then batches of records as the reading thread sends them.
pub struct SheetSource {
    pub path: PathBuf,
    pub header: Header,
    /// The sheet the table was read from.
    pub sheet: String,
    /// The sheet column (0-based) of the header's first column: file column `i` is sheet column
    /// `first_column + i`.
    pub first_column: u32,
    /// The row the header is on, as Excel numbers rows.
    pub header_row: u64,
    pub rows_read: u64,
    bytes: u64,
    sha256: String,
    batches: Receiver<Result<RawBatch>>,
    /// The reading thread, joined once it stops sending: a sheet cut short by a failure of the
    /// reader itself is an error, never the end of the sheet.
    reader: Option<std::thread::JoinHandle<()>>,
}

/// The header the reading thread found, or why it found none.
type Opened = std::result::Result<Found, Vec<InputError>>;

struct Found {
    header: Header,
    sheet: String,
    first_column: u32,
    header_row: u64,
    bytes: u64,
}

/// The workbook files a run has read: several tables read from one workbook (Annex A's eleven
/// lists) share one copy of its bytes and one fingerprint, not one each.
#[derive(Default)]
pub struct Workbooks {
    files: std::collections::HashMap<PathBuf, (Arc<[u8]>, String)>,
}

impl Workbooks {
    /// The file's bytes and SHA-256, read the first time it is asked for.
    fn file(&mut self, path: &Path) -> Result<(Arc<[u8]>, String)> {
        if let Some(file) = self.files.get(path) {
            return Ok(file.clone());
        }
        let bytes: Arc<[u8]> = std::fs::read(path).map_err(|e| Error::io(path, e))?.into();
        let file = (Arc::clone(&bytes), format!("{:x}", Sha256::digest(&bytes)));
        self.files.insert(path.to_path_buf(), file.clone());
        Ok(file)
    }
}

impl SheetSource {
    /// Open `path` (through `books`, which keeps a workbook several tables read), find the sheet
    /// (`sheet`, or the one whose header matches `table`) and its header, and start reading its
    /// rows in batches of `batch_rows`.
    pub fn open(
        path: &Path,
        table: &Table,
        sheet: Option<&str>,
        batch_rows: usize,
        books: &mut Workbooks,
    ) -> Result<SheetSource> {
        let (bytes, sha256) = books.file(path)?;
        let (opened_tx, opened_rx) = std::sync::mpsc::sync_channel::<Opened>(1);
        let (batch_tx, batch_rx) = std::sync::mpsc::sync_channel(2);
        let (path_owned, table, sheet) = (path.to_path_buf(), table.clone(), sheet.map(str::to_string));
        let reader = std::thread::Builder::new()
            .name("cleanse-workbook".into())
            .spawn(move || {
                let reading = Reading {
                    path: path_owned,
                    table,
                    batch_rows: batch_rows.max(1),
                };
                reading.run(bytes, sheet.as_deref(), &opened_tx, &batch_tx);
            })
            .map_err(|e| Error::io(path, e))?;
        let found = match opened_rx.recv() {
            Ok(found) => found.map_err(Error::Input)?,
            Err(_) => {
                return Err(match reader.join() {
                    Err(panic) => reader_failed(path, None, panic),
                    Ok(()) => corrupt(path, None, "the reader stopped without a result".to_string()),
                });
            }
        };
        Ok(SheetSource {
            path: path.to_path_buf(),
            header: found.header,
            sheet: found.sheet,
            first_column: found.first_column,
            header_row: found.header_row,
            rows_read: 0,
            bytes: found.bytes,
            sha256,
            batches: batch_rx,
            reader: Some(reader),
        })
    }

    /// The next batch of records; `None` after the last.
    pub fn next_batch(&mut self) -> Result<Option<RawBatch>> {
        match self.batches.recv() {
            Ok(batch) => {
                let batch = batch?;
                self.rows_read += (batch.num_rows() + batch.bad.len()) as u64;
                Ok(Some(batch))
            }
            // The thread ends when the sheet does, or when the reader fails.
            Err(_) => match self.reader.take().map(std::thread::JoinHandle::join) {
                Some(Err(panic)) => Err(reader_failed(&self.path, Some(&self.sheet), panic)),
                _ => Ok(None),
            },
        }
    }

    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    pub fn sha256(&self) -> String {
        self.sha256.clone()
    }
}

/// The error for a reading thread that stopped without saying why (it panicked: calamine on a
/// workbook it cannot take apart): the workbook cannot be read, naming it.
fn reader_failed(path: &Path, sheet: Option<&str>, panic: Box<dyn std::any::Any + Send>) -> Error {
    let why = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "the reader failed".to_string());
    corrupt(path, sheet, why)
}

fn corrupt(path: &Path, sheet: Option<&str>, problem: String) -> Error {
    Error::Input(vec![InputError {
        file: path.to_path_buf(),
        line: 0,
        column: None,
        sheet: sheet.map(str::to_string),
        kind: InputErrorKind::CorruptWorkbook { problem },
    }])
}

/// The reading thread's task.
struct Reading {
    path: PathBuf,
    table: Table,
    batch_rows: usize,
}

impl Reading {
    fn error(&self, sheet: Option<&str>, row: u64, column: Option<u32>, kind: InputErrorKind) -> InputError {
        InputError {
            file: self.path.clone(),
            line: row,
            column: column.map(|c| u64::from(c) + 1),
            sheet: sheet.map(str::to_string),
            kind,
        }
    }

    fn run(
        self,
        bytes: Arc<[u8]>,
        sheet: Option<&str>,
        opened: &SyncSender<Opened>,
        out: &SyncSender<Result<RawBatch>>,
    ) {
        let mut book = match Book::open(&self.path, Arc::clone(&bytes)) {
            Ok(book) => book,
            Err(kind) => {
                let _ = opened.send(Err(vec![self.error(None, 0, None, kind)]));
                return;
            }
        };
        let (sheet, head) = match self.choose(&mut book, sheet) {
            Ok(found) => found,
            Err(problems) => {
                let _ = opened.send(Err(problems));
                return;
            }
        };
        let found = Found {
            header: head.header.clone(),
            sheet: sheet.clone(),
            first_column: head.first_column,
            header_row: u64::from(head.row) + 1,
            bytes: bytes.len() as u64,
        };
        if opened.send(Ok(found)).is_err() {
            return;
        }
        let mut rows = Rows::new(&self.table, &head, self.batch_rows);
        let mut stopped = false;
        let read = book.cells(&sheet, |r, c, v| {
            if r <= head.row {
                return ControlFlow::Continue(());
            }
            if let Some(batch) = rows.cell(r, c, &v)
                && out.send(Ok(batch)).is_err()
            {
                // Nothing receives: the run stopped on an error.
                stopped = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        });
        if stopped {
            return;
        }
        match read {
            Ok(()) => {
                if let Some(batch) = rows.finish() {
                    let _ = out.send(Ok(batch));
                }
            }
            Err(problem) => {
                let kind = InputErrorKind::CorruptWorkbook { problem };
                let row = rows.last_row.map_or(0, |r| u64::from(r) + 1);
                let _ = out.send(Err(Error::Input(vec![self.error(Some(&sheet), row, None, kind)])));
            }
        }
    }

    /// The sheet to read and its header: the one named, or the one visible sheet whose header
    /// matches the table.
    fn choose(&self, book: &mut Book, named: Option<&str>) -> std::result::Result<(String, Head), Vec<InputError>> {
        let sheets = book.sheets();
        if let Some(name) = named {
            let Some((name, _)) = sheets
                .iter()
                .find(|(s, _)| s == name || s.trim().eq_ignore_ascii_case(name.trim()))
            else {
                let names: Vec<&str> = sheets.iter().map(|(s, _)| s.as_str()).collect();
                let kind = InputErrorKind::NoSuchSheet {
                    sheet: name.to_string(),
                    sheets: names.iter().map(|s| s.to_string()).collect(),
                    suggestion: crate::model::diag::suggest(name, names.iter().copied()).map(str::to_string),
                };
                return Err(vec![self.error(None, 0, None, kind)]);
            };
            return match self.header(book, name) {
                Ok(head) => Ok((name.clone(), head)),
                Err(problems) => Err(problems),
            };
        }
        let mut matched = Vec::new();
        let mut tried = Vec::new();
        for (name, _) in sheets.iter().filter(|(_, visible)| *visible) {
            match self.header(book, name) {
                Ok(head) => matched.push((name.clone(), head)),
                Err(problems) => tried.push((name.clone(), problems)),
            }
        }
        match matched.len() {
            1 => Ok(matched.pop().expect("one sheet matched")),
            0 if tried.len() == 1 => Err(tried.pop().expect("one sheet tried").1),
            0 => Err(vec![self.error(
                None,
                0,
                None,
                InputErrorKind::NoMatchingSheet {
                    table: self.table.name.clone(),
                    sheets: tried.into_iter().map(|(s, _)| s).collect(),
                },
            )]),
            _ => Err(vec![self.error(
                None,
                0,
                None,
                InputErrorKind::SeveralSheetsMatch {
                    table: self.table.name.clone(),
                    sheets: matched.into_iter().map(|(s, _)| s).collect(),
                },
            )]),
        }
    }

    /// The first of the sheet's first rows that matches the table's header; else the problems
    /// with the row that came closest.
    fn header(&self, book: &mut Book, sheet: &str) -> std::result::Result<Head, Vec<InputError>> {
        let mut top: Vec<(u32, BTreeMap<u32, String>)> = Vec::new();
        let mut text = String::new();
        let read = book.cells(sheet, |r, c, v| {
            text.clear();
            write_text(&v, DateStyle::DayFirst, &mut text);
            if text.trim().is_empty() {
                return ControlFlow::Continue(());
            }
            if top.last().is_none_or(|(row, _)| *row != r) {
                if top.len() == HEADER_SEARCH_ROWS {
                    return ControlFlow::Break(());
                }
                top.push((r, BTreeMap::new()));
            }
            top.last_mut()
                .expect("a row was pushed")
                .1
                .insert(c, text.trim().to_string());
            ControlFlow::Continue(())
        });
        if let Err(problem) = read {
            return Err(vec![self.error(
                Some(sheet),
                0,
                None,
                InputErrorKind::CorruptWorkbook { problem },
            )]);
        }
        if top.is_empty() {
            return Err(vec![self.error(Some(sheet), 0, None, InputErrorKind::EmptySheet)]);
        }
        // Each row's values, a header cell merged down from the one above it (a two-row
        // header) read as that one.
        let names = |row: u32, cells: &BTreeMap<u32, String>, merged: &[calamine::Dimensions]| -> (u32, Vec<String>) {
            let first = *cells.keys().next().expect("rows kept have a cell");
            let last = *cells.keys().next_back().expect("rows kept have a cell");
            let names = (first..=last)
                .map(|c| match cells.get(&c) {
                    Some(name) => name.clone(),
                    None => merged
                        .iter()
                        .find(|m| m.contains(row, c) && m.start.1 == c && m.start.0 < row)
                        .and_then(|m| top.iter().find(|(r, _)| *r == m.start.0))
                        .and_then(|(_, above)| above.get(&c).cloned())
                        .unwrap_or_default(),
                })
                .collect();
            (first, names)
        };
        // Rows are ranked by the columns they lack, cheaply; only the first that lacks none is
        // matched, and only the closest is explained (with suggestions) when none fits. Merged
        // areas (which calamine finds by reading the whole sheet) are read only when a row has
        // as many blank cells as columns it lacks, so they could be the header's.
        let mut closest: Option<(usize, u32, u32, Vec<String>)> = None;
        let mut merged: Option<Vec<calamine::Dimensions>> = None;
        let wanted = self.table.columns.iter().filter(|c| !c.optional).count();
        // A row that names some of the columns, with a blank cell for each it lacks.
        let could_be_merged = |missing: usize, blanks: usize| missing < wanted && blanks > 0 && blanks >= missing;
        for pass in 0..2 {
            for (row, cells) in &top {
                let (first, names) = names(*row, cells, merged.as_deref().unwrap_or_default());
                let missing = crate::source::columns_missing(&names, &self.table);
                let blanks = names.iter().filter(|n| n.is_empty()).count();
                if pass == 1 && !could_be_merged(missing, blanks) {
                    continue;
                }
                if missing == 0
                    && let Ok(mut header) = match_header(&names, &self.table)
                {
                    header.sheet = Some((sheet.to_string(), first));
                    return Ok(Head {
                        header,
                        row: *row,
                        first_column: first,
                    });
                }
                if pass == 0 && could_be_merged(missing, blanks) && merged.is_none() {
                    merged = Some(Vec::new());
                }
                if closest.as_ref().is_none_or(|(n, ..)| missing < *n) {
                    closest = Some((missing, *row, first, names));
                }
            }
            match merged {
                Some(_) if pass == 0 => merged = Some(book.merged(sheet)),
                _ => break,
            }
        }
        let (_, row, first, names) = closest.expect("at least one row was tried");
        let problems = match_header(&names, &self.table).err().unwrap_or_default();
        Err(problems
            .into_iter()
            .map(|(column, kind)| {
                let column = column.map(|c| first + c as u32 - 1);
                self.error(Some(sheet), u64::from(row) + 1, column, kind)
            })
            .collect())
    }
}

/// Where a sheet's header is and how it matched the table.
#[derive(Clone)]
struct Head {
    header: Header,
    /// 0-based.
    row: u32,
    first_column: u32,
}

/// Rows being put together from cells, and the batch they go into.
struct Rows {
    first_column: u32,
    width: usize,
    styles: Vec<DateStyle>,
    batch_rows: usize,
    /// The row being read (0-based), and its values so far.
    row: Option<u32>,
    last_row: Option<u32>,
    values: Vec<String>,
    /// Values outside the header's columns on this row: (sheet column, text).
    outside: Vec<(u32, String)>,
    /// File columns holding an error value on this row.
    errors: Vec<u32>,
    scratch: String,
    builders: Vec<StringBuilder>,
    lines: Vec<u64>,
    bad: Vec<BadRow>,
    issues: Vec<CellIssue>,
}

impl Rows {
    fn new(table: &Table, head: &Head, batch_rows: usize) -> Rows {
        let width = head.header.names.len();
        let styles = crate::source::iso_dates(table, &head.header)
            .into_iter()
            .map(|iso| if iso { DateStyle::Iso } else { DateStyle::DayFirst })
            .collect();
        Rows {
            first_column: head.first_column,
            width,
            styles,
            batch_rows,
            row: None,
            last_row: None,
            values: vec![String::new(); width],
            outside: Vec::new(),
            errors: Vec::new(),
            scratch: String::new(),
            builders: (0..width).map(|_| StringBuilder::new()).collect(),
            lines: Vec::new(),
            bad: Vec::new(),
            issues: Vec::new(),
        }
    }

    /// Take in a cell; a full batch, when the row it ends completes one.
    fn cell(&mut self, r: u32, c: u32, v: &Value) -> Option<RawBatch> {
        let mut full = None;
        if self.row != Some(r) {
            full = self.end_row();
            self.row = Some(r);
            self.last_row = Some(r);
        }
        let inside = c
            .checked_sub(self.first_column)
            .map(|i| i as usize)
            .filter(|&i| i < self.width);
        match inside {
            Some(i) => {
                let target = &mut self.values[i];
                target.clear();
                if write_text(v, self.styles[i], target).is_some() {
                    self.errors.push(i as u32);
                }
            }
            None => {
                self.scratch.clear();
                write_text(v, DateStyle::DayFirst, &mut self.scratch);
                if !self.scratch.trim().is_empty() {
                    self.outside.push((c, std::mem::take(&mut self.scratch)));
                }
            }
        }
        full
    }

    /// The row read is complete: into the batch (or set aside); the batch, if now full.
    fn end_row(&mut self) -> Option<RawBatch> {
        let r = self.row.take()?;
        let line = u64::from(r) + 1;
        let any = self.values.iter().any(|v| !v.is_empty());
        if !self.outside.is_empty() {
            // Values beyond the header: the row is kept whole among the rejected rows.
            let mut fields: Vec<String> = self.values.to_vec();
            self.outside.sort_by_key(|(c, _)| *c);
            fields.extend(self.outside.drain(..).map(|(_, v)| v));
            self.bad.push(BadRow {
                line,
                kind: BadRowKind::Ragged {
                    found: fields.len(),
                    expected: self.width,
                    lines: 1,
                },
                fields,
            });
        } else if any && self.values.iter().all(|v| v.trim().is_empty()) {
            self.bad.push(BadRow {
                line,
                kind: BadRowKind::Blank,
                fields: self.values.to_vec(),
            });
        } else if any {
            let row = self.lines.len() as u32;
            for file_column in self.errors.drain(..) {
                self.issues.push(CellIssue {
                    row,
                    file_column,
                    kind: IssueKind::CellError,
                });
            }
            for (b, v) in self.builders.iter_mut().zip(&self.values) {
                b.append_value(v);
            }
            self.lines.push(line);
        }
        self.errors.clear();
        for v in &mut self.values {
            v.clear();
        }
        (self.lines.len() + self.bad.len() >= self.batch_rows).then(|| self.take())
    }

    /// What is left after the last cell.
    fn finish(&mut self) -> Option<RawBatch> {
        if let Some(full) = self.end_row() {
            return Some(full);
        }
        (!self.lines.is_empty() || !self.bad.is_empty()).then(|| self.take())
    }

    fn take(&mut self) -> RawBatch {
        RawBatch {
            lines: std::mem::take(&mut self.lines),
            columns: self
                .builders
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef)
                .collect(),
            bad: std::mem::take(&mut self.bad),
            cell_issues: std::mem::take(&mut self.issues),
            fields_1252: 0,
            verbatim: None,
            positions: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: Value, style: DateStyle) -> String {
        let mut out = String::new();
        write_text(&v, style, &mut out);
        out
    }

    #[test]
    fn cells_read_as_a_data_officer_reads_them() {
        use calamine::ExcelDateTimeType::{DateTime, TimeDelta};
        assert_eq!(text(Value::Float(12.0), DateStyle::DayFirst), "12");
        assert_eq!(text(Value::Float(-3.0), DateStyle::DayFirst), "-3");
        assert_eq!(text(Value::Float(0.1), DateStyle::DayFirst), "0.1");
        assert_eq!(text(Value::Float(2.5), DateStyle::DayFirst), "2.5");
        assert_eq!(text(Value::Int(7), DateStyle::DayFirst), "7");
        assert_eq!(text(Value::Bool(true), DateStyle::DayFirst), "TRUE");
        // 45750 is 3 April 2025.
        let day = ExcelDateTime::new(45_750.0, DateTime, false);
        assert_eq!(text(Value::Date(day), DateStyle::DayFirst), "03/04/2025");
        assert_eq!(text(Value::Date(day), DateStyle::Iso), "2025-04-03");
        let at = ExcelDateTime::new(45_750.5, DateTime, false);
        assert_eq!(text(Value::Date(at), DateStyle::DayFirst), "03/04/2025 12:00:00");
        let time = ExcelDateTime::new(0.4375, DateTime, false);
        assert_eq!(text(Value::Date(time), DateStyle::DayFirst), "10:30:00");
        let long = ExcelDateTime::new(1.5, TimeDelta, false);
        assert_eq!(text(Value::Date(long), DateStyle::DayFirst), "36:00:00");
        let mut out = String::new();
        assert_eq!(
            write_text(&Value::Error(CellErrorType::NA), DateStyle::DayFirst, &mut out),
            Some(CellErrorType::NA)
        );
        assert_eq!(out, "#N/A");
    }
}
