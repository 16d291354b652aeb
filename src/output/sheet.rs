//! CSV outputs that are safe to open in a spreadsheet.
//!
//! Data officers open `exceptions.csv`, `corrected/` and `rejected/` in Excel. A cell that
//! begins with `=`, `+`, `-` or `@` (or a tab or carriage return) is run there as a formula, so
//! an export value such as `=HYPERLINK("http://…")` would become a live link, or worse
//! (CSV injection). Following OWASP's advice, such a value is written with a single quote in
//! front, which spreadsheets show as text and do not display.
//!
//! The exported value stays recoverable exactly: [`unguard`] removes the one quote again. To
//! keep that true for values that themselves began with quotes, a value whose first character
//! after any leading quotes is one of those is guarded too (`'=x` is written `''=x`). Plain
//! numbers (`-5`, `+44`, `-0.5`) are left alone: a spreadsheet reads them as numbers, never as
//! formulas.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::model::error::{Error, Result};
use crate::model::values::FORMULA_STARTS as TRIGGERS;

/// Whether `value` is written with a leading `'`.
pub fn needs_guard(value: &[u8]) -> bool {
    let rest = trim_quotes(value);
    match rest.first() {
        Some(c) if TRIGGERS.contains(c) => !is_plain_number(rest),
        _ => false,
    }
}

/// The value as written: with a leading `'` when [`needs_guard`] says so.
pub fn guard(value: &str) -> std::borrow::Cow<'_, str> {
    if needs_guard(value.as_bytes()) {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// The exported value back from a written one: the inverse of [`guard`].
pub fn unguard(written: &str) -> &str {
    match written.strip_prefix('\'') {
        Some(rest) if needs_guard(rest.as_bytes()) => rest,
        _ => written,
    }
}

fn trim_quotes(value: &[u8]) -> &[u8] {
    let n = value.iter().take_while(|&&b| b == b'\'').count();
    &value[n..]
}

/// `-5`, `+44`, `-0.5`, `-.5`: a sign and digits with at most one decimal point.
fn is_plain_number(v: &[u8]) -> bool {
    let digits = &v[1..];
    let mut point = false;
    let mut any = false;
    for &b in digits {
        match b {
            b'0'..=b'9' => any = true,
            b'.' if !point => point = true,
            _ => return false,
        }
    }
    matches!(v[0], b'+' | b'-') && any
}

/// A CSV writer that guards every field it writes.
///
/// It writes what `csv::Writer` writes by default (comma-separated, `\n` after each record, a
/// field quoted only when it holds a comma, a quote or a line break, quotes doubled, and a
/// record of one empty field written `""`; a test compares the two on any fields), but finds
/// the few fields that need quotes with a SIMD search rather than a byte-by-byte state
/// machine: writing the corrected tables was a tenth of a run's CPU time.
pub struct SheetWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
    /// Fields per record, when every record must have the first one's (not flexible).
    width: Option<Option<usize>>,
    /// Fields written with a leading `'`.
    pub guarded: u64,
    /// Everything stays in `buf` (see [`SheetWriter::in_memory`]).
    in_memory: bool,
}

/// Whether every value of a text column can be written as it is: none holds a comma, a quote
/// or a line break (one SIMD search over the column's bytes), and none needs a guard (none
/// starts with a formula character or a `'`). Then [`SheetWriter::write_plain`] may write them.
pub fn plain_column(values: &[u8], offsets: &[i32]) -> bool {
    if memchr::memchr3(b',', b'"', b'\n', values).is_some() || memchr::memchr(b'\r', values).is_some() {
        return false;
    }
    offsets.windows(2).all(|w| {
        let (start, end) = (w[0] as usize, w[1] as usize);
        start == end || !(TRIGGERS.contains(&values[start]) || values[start] == b'\'')
    })
}

/// Whether a field holds a comma, a quote or a line break. Most fields are a few bytes long,
/// shorter than a SIMD search takes to set up: those are looked at byte by byte, with no branch
/// per byte.
fn needs_quotes(field: &[u8]) -> bool {
    if field.len() >= 64 {
        return memchr::memchr3(b',', b'"', b'\n', field).is_some() || memchr::memchr(b'\r', field).is_some();
    }
    field.iter().fold(false, |q, &b| {
        q | (b == b',') | (b == b'"') | (b == b'\n') | (b == b'\r')
    })
}

/// Bytes gathered before they are handed to the writer underneath.
const CHUNK: usize = 1 << 16;

impl<W: Write> SheetWriter<W> {
    pub fn from_writer(w: W) -> Self {
        SheetWriter {
            inner: w,
            buf: Vec::new(),
            width: Some(None),
            guarded: 0,
            in_memory: false,
        }
    }

    /// A writer for rows of any length (a ragged row keeps all its fields).
    pub fn flexible(w: W) -> Self {
        SheetWriter {
            width: None,
            ..SheetWriter::from_writer(w)
        }
    }

    pub fn write_record<I, T>(&mut self, record: I) -> std::io::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        let start = self.buf.len();
        let mut fields = 0;
        for field in record {
            let field = field.as_ref();
            if fields > 0 {
                self.buf.push(b',');
            }
            fields += 1;
            let guard = needs_guard(field);
            self.guarded += u64::from(guard);
            if needs_quotes(field) {
                self.buf.push(b'"');
                if guard {
                    self.buf.push(b'\'');
                }
                for (i, part) in field.split(|&b| b == b'"').enumerate() {
                    if i > 0 {
                        self.buf.extend_from_slice(b"\"\"");
                    }
                    self.buf.extend_from_slice(part);
                }
                self.buf.push(b'"');
            } else {
                if guard {
                    self.buf.push(b'\'');
                }
                self.buf.extend_from_slice(field);
            }
        }
        self.end_record(start, fields)
    }

    /// Check the record's width, and end it.
    fn end_record(&mut self, start: usize, fields: usize) -> std::io::Result<()> {
        if let Some(width) = &mut self.width {
            match *width {
                None => *width = Some(fields),
                Some(w) if w != fields => {
                    self.buf.truncate(start);
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("a record of {fields} fields, after records of {w}"),
                    ));
                }
                Some(_) => {}
            }
        }
        // A record of nothing would read back as no record at all.
        if self.buf.len() == start {
            self.buf.extend_from_slice(b"\"\"");
        }
        self.buf.push(b'\n');
        if self.buf.len() >= CHUNK && !self.in_memory {
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// A record whose every field is plain (see [`plain_column`]): written as it is, with no
    /// field looked at. What [`SheetWriter::write_record`] would write for it.
    pub fn write_plain<'v>(&mut self, record: impl IntoIterator<Item = &'v str>) -> std::io::Result<()> {
        let start = self.buf.len();
        let mut fields = 0;
        for field in record {
            if fields > 0 {
                self.buf.push(b',');
            }
            fields += 1;
            self.buf.extend_from_slice(field.as_bytes());
        }
        self.end_record(start, fields)
    }

    /// A record of `fields` values as the export held it (see `source::Verbatim`): comma
    /// separated, with nothing to quote or guard, so written byte for byte.
    pub fn write_verbatim(&mut self, record: &[u8], fields: usize) -> std::io::Result<()> {
        let start = self.buf.len();
        self.buf.extend_from_slice(record);
        self.end_record(start, fields)
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        if self.in_memory {
            return Ok(());
        }
        self.inner.write_all(&self.buf)?;
        self.buf.clear();
        self.inner.flush()
    }

    /// The writer underneath, with everything written handed to it.
    pub fn into_inner(mut self) -> std::io::Result<W> {
        self.inner.write_all(&self.buf)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl SheetWriter<Vec<u8>> {
    /// Records formatted into memory, to be written elsewhere as a whole (a batch's rows,
    /// formatted in parallel with other batches'); see [`SheetFile::append`].
    pub fn in_memory(flexible: bool) -> Self {
        let w = if flexible {
            SheetWriter::flexible(Vec::new())
        } else {
            SheetWriter::from_writer(Vec::new())
        };
        SheetWriter { in_memory: true, ..w }
    }

    /// Room for `bytes` at once: a batch's rows are megabytes, and growing to that by doubling
    /// copies them over and over into fresh pages.
    pub fn with_capacity(mut self, bytes: usize) -> Self {
        self.buf.reserve(bytes);
        self
    }

    /// The records written, when [`SheetWriter::in_memory`].
    pub fn into_bytes(self) -> Vec<u8> {
        if self.in_memory {
            self.buf
        } else {
            [self.inner, self.buf].concat()
        }
    }
}

/// A sheet written to a file: every error names the file (never the export its rows came from),
/// and keeps the kind of the operating system's error.
pub struct SheetFile {
    path: PathBuf,
    writer: SheetWriter<BufWriter<File>>,
}

impl SheetFile {
    /// A sheet whose rows all have the header's length, written to `file`, which is at `path`.
    pub fn new(path: impl Into<PathBuf>, file: BufWriter<File>) -> Self {
        SheetFile {
            path: path.into(),
            writer: SheetWriter::from_writer(file),
        }
    }

    /// A sheet whose rows may have any length (a ragged row keeps all its fields).
    pub fn flexible(path: impl Into<PathBuf>, file: BufWriter<File>) -> Self {
        SheetFile {
            path: path.into(),
            writer: SheetWriter::flexible(file),
        }
    }

    /// Create (or truncate) the file at `path`.
    pub fn create(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        Ok(SheetFile::new(path, BufWriter::new(file)))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write_record<I, T>(&mut self, record: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.writer.write_record(record).map_err(|e| Error::io(&self.path, e))
    }

    /// Rows a [`SheetWriter`] formatted apart (in memory, in parallel with others), after the
    /// rows written so far.
    pub fn append(&mut self, rows: &[u8]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.writer.flush().map_err(|e| Error::io(&self.path, e))?;
        self.writer.inner.write_all(rows).map_err(|e| Error::io(&self.path, e))
    }

    /// Write out what is buffered; the file is complete when this returns `Ok`.
    pub fn finish(mut self) -> Result<()> {
        self.writer.flush().map_err(|e| Error::io(&self.path, e))
    }
}

/// A sheet file written on a thread of its own. Routing puts the batches in order on one
/// thread; writing there a gigabyte of corrected rows (a copy into the kernel for each batch)
/// left the other core idle. A few batches at most wait for it, so memory stays bounded.
pub struct Background {
    path: PathBuf,
    rows: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
}

impl Background {
    /// Write `file`'s further rows on a new thread.
    pub fn spawn(mut file: SheetFile) -> Self {
        let path = file.path.clone();
        let (rows, queue) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let thread = std::thread::spawn(move || {
            for batch in queue {
                file.append(&batch)?;
            }
            file.finish()
        });
        Background {
            path,
            rows: Some(rows),
            thread: Some(thread),
        }
    }

    /// Rows formatted apart, after those handed over so far. A write that failed is reported
    /// here, at the latest, or by [`Background::finish`].
    pub fn append(&mut self, batch: Vec<u8>) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let rows = self
            .rows
            .as_ref()
            .expect("rows are handed over until the sheet is finished");
        match rows.send(batch) {
            Ok(()) => Ok(()),
            // The thread stopped on a write that failed: that failure.
            Err(_) => self.join().and(Err(Error::io(
                &self.path,
                std::io::Error::other("the thread writing it stopped"),
            ))),
        }
    }

    /// Wait until every row is written: the file is complete when this returns `Ok`.
    pub fn finish(mut self) -> Result<()> {
        self.join()
    }

    fn join(&mut self) -> Result<()> {
        self.rows = None;
        match self.thread.take() {
            // A panic there is a bug, already reported on stderr: carried on as it is.
            Some(thread) => thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            None => Ok(()),
        }
    }
}

/// A run that stops on an error elsewhere still waits for the rows handed over, so nothing is
/// written after it has cleaned up.
impl Drop for Background {
    fn drop(&mut self) {
        self.rows = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formulas_are_guarded_and_numbers_are_not() {
        for v in [
            "=1+1",
            "+cmd",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"x\")",
            "-",
            "+44 7700 900123",
        ] {
            assert_eq!(guard(v), format!("'{v}"), "{v:?}");
        }
        for v in ["-5", "+44", "-0.5", "-.5", "a=b", "", "C123", "'quoted", "05/03/2024"] {
            assert_eq!(guard(v), v, "{v:?}");
        }
        assert_eq!(guard("'=x"), "''=x");
    }

    #[test]
    fn a_row_of_fields_is_written_guarded() {
        let mut w = SheetWriter::from_writer(Vec::new());
        w.write_record(["C1", "=2*3", "-1", "=\"a,b\""]).unwrap();
        assert_eq!(w.guarded, 2);
        let bytes = w.into_inner().unwrap();
        assert_eq!(String::from_utf8(bytes).unwrap(), "C1,'=2*3,-1,\"'=\"\"a,b\"\"\"\n");
    }

    #[test]
    fn records_of_another_width_are_refused_unless_flexible() {
        let mut w = SheetWriter::from_writer(Vec::new());
        w.write_record(["a", "b"]).unwrap();
        assert!(w.write_record(["a"]).is_err());
        w.write_record(["c", "d"]).unwrap();
        assert_eq!(w.into_inner().unwrap(), b"a,b\nc,d\n");
        let mut w = SheetWriter::flexible(Vec::new());
        w.write_record(["a", "b"]).unwrap();
        w.write_record(["a"]).unwrap();
        assert_eq!(w.into_inner().unwrap(), b"a,b\na\n");
    }

    /// A write that fails on the thread is the run's error, naming the file, by the time the
    /// sheet is finished (a full disk: Linux's /dev/full refuses every write).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_failed_write_on_the_thread_is_reported() {
        let full = Path::new("/dev/full");
        let file = File::options().write(true).open(full).expect("/dev/full");
        let mut background = Background::spawn(SheetFile::new(full, BufWriter::new(file)));
        let mut failed = None;
        for _ in 0..16 {
            if let Err(e) = background.append(vec![b'x'; 1 << 20]) {
                failed = Some(e);
                break;
            }
        }
        let err = match failed {
            Some(e) => e,
            None => background.finish().expect_err("the disk is full"),
        };
        assert!(err.to_string().contains("/dev/full"), "{err}");
    }

    proptest! {
        /// Byte for byte what the csv crate writes (given the guarded values), on any records.
        #[test]
        fn writes_what_the_csv_crate_writes(
            records in proptest::collection::vec(
                proptest::collection::vec(
                    prop_oneof!["[a ,\"\r\n#'=\t-é]{0,4}", "[ab ]{60,70}[,\"\r\n]?[ab]{0,3}"],
                    1..4,
                ),
                1..6,
            )
        ) {
            let mut ours = SheetWriter::flexible(Vec::new());
            let mut in_memory = SheetWriter::in_memory(true);
            let mut theirs = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
            for r in &records {
                ours.write_record(r).unwrap();
                in_memory.write_record(r).unwrap();
                theirs.write_record(r.iter().map(|v| guard(v).into_owned())).unwrap();
            }
            let ours = String::from_utf8(ours.into_inner().unwrap()).unwrap();
            let in_memory = String::from_utf8(in_memory.into_bytes()).unwrap();
            let theirs = String::from_utf8(theirs.into_inner().unwrap()).unwrap();
            prop_assert_eq!(&ours, &theirs);
            prop_assert_eq!(in_memory, theirs);
        }

        /// A column found plain is written the same by `write_plain` as by `write_record`, and
        /// a column whose values would be written differently is never found plain.
        #[test]
        fn plain_columns_need_nothing_done(values in proptest::collection::vec("[a5 ,\"\r\n'=+@-]{0,5}", 1..8)) {
            let column = datafusion::arrow::array::StringArray::from(values.clone());
            let plain = plain_column(column.value_data(), column.value_offsets());
            let as_is = values.iter().all(|v| !needs_quotes(v.as_bytes()) && guard(v) == v.as_str());
            // Plain is a promise: never made for a column that needs anything done.
            prop_assert!(!plain || as_is);
            if plain {
                let (mut a, mut b) = (SheetWriter::in_memory(false), SheetWriter::in_memory(false));
                a.write_record(&values).unwrap();
                b.write_plain(values.iter().map(String::as_str)).unwrap();
                prop_assert_eq!(a.into_bytes(), b.into_bytes());
            }
        }

        /// A row ingest hands on as written as read is written byte for byte as its values are,
        /// and every row of values needing nothing done is handed on so (when not quoted).
        #[test]
        fn rows_handed_to_a_thread_are_written_in_order(batches in proptest::collection::vec("[a,\n]{0,20}", 0..12)) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("s.csv");
            let mut sheet = SheetFile::create(&path).unwrap();
            sheet.write_record(["h"]).unwrap();
            let mut background = Background::spawn(sheet);
            for b in &batches {
                background.append(b.as_bytes().to_vec()).unwrap();
            }
            background.finish().unwrap();
            prop_assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("h\n{}", batches.concat()));
        }

        #[test]
        fn rows_as_read_are_written_as_their_values(
            rows in proptest::collection::vec(
                proptest::collection::vec("[a5 ,\"'=+@\t-]{0,3}", 3),
                1..8,
            ),
            quote_all in any::<bool>(),
            crlf in any::<bool>(),
        ) {
            use datafusion::arrow::array::{Array, StringArray};
            let style = if quote_all { csv::QuoteStyle::Always } else { csv::QuoteStyle::Necessary };
            let terminator = if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') };
            let mut export = csv::WriterBuilder::new().quote_style(style).terminator(terminator).from_writer(Vec::new());
            export.write_record(["a", "b", "c"]).unwrap();
            for r in &rows {
                export.write_record(r).unwrap();
            }
            let export = export.into_inner().unwrap();
            let table = crate::model::table::Table::of_text("t", &["a", "b", "c"]);
            let dialect = crate::spec::config::Dialect::default();
            let mut source = crate::source::csv::CsvSource::open_reader(Path::new("t.csv"), &export[..], &table, dialect).unwrap();
            let mut at = 0;
            while let Some(raw) = source.next_batch(3).unwrap() {
                let text = |c: usize| raw.columns[c].as_any().downcast_ref::<StringArray>().unwrap();
                for row in 0..raw.num_rows() {
                    let values: Vec<&str> = (0..3).map(|c| text(c).value(row)).collect();
                    let read = rows.iter().skip(at).find(|r| r.iter().any(|v| !v.trim().is_empty())).unwrap();
                    at += 1 + rows[at..].iter().position(|r| r == read).unwrap();
                    prop_assert_eq!(&values, read);
                    let as_read = raw.verbatim.as_ref().and_then(|v| v.row(row));
                    let (mut a, mut b) = (SheetWriter::in_memory(false), SheetWriter::in_memory(false));
                    a.write_record(&values).unwrap();
                    match as_read {
                        Some(record) => {
                            b.write_verbatim(record, 3).unwrap();
                            prop_assert_eq!(a.into_bytes(), b.into_bytes());
                        }
                        None => {
                            let plain = values.iter().all(|v| {
                                !needs_quotes(v.as_bytes()) && !v.starts_with(|c| "'=+@\t-".contains(c))
                            });
                            prop_assert!(quote_all || !plain, "{values:?} is written as read");
                        }
                    }
                }
            }
        }

        #[test]
        fn unguard_recovers_every_value(v in "['=+@\\-\\t0-9a. ]{0,6}") {
            let written = guard(&v);
            prop_assert_eq!(unguard(&written), v.as_str());
            // What a spreadsheet sees never starts a formula.
            if let Some(c) = written.as_bytes().first() {
                prop_assert!(!TRIGGERS.contains(c) || is_plain_number(written.as_bytes()));
            }
        }
    }
}
