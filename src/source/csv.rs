//! The CSV reader: an export as text, batch by batch, keeping every row.
//!
//! Bytes are read first and decoded on purpose, field by field, so one
//! Windows-1252 byte neither refuses the file (as the DfE validators do) nor
//! turns into mojibake. Values stay text here; the rules decide types.
//! Rows that cannot be a record (wrong number of fields, entirely blank)
//! are set aside as [`BadRow`]s with their line, never dropped.
//!
//! Reading is split in two so that a large export keeps both cores busy. One thread reads the
//! bytes and cuts them into [`Chunk`]s of whole records ([`CsvSource::next_chunk`]): it looks
//! only at quotes and line breaks (a SIMD search), enough to know where a record starts
//! exactly as the csv parser would. Each chunk is then parsed into columns on any thread
//! ([`Chunk::parse`]): a record without a quote is split at its delimiters where it lies, and
//! only a record with a quote goes through the csv parser (`csv-core`, the csv crate's own).

use std::fs::File;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use encoding_rs::WINDOWS_1252;
use sha2::{Digest, Sha256};

use crate::model::error::{Error, InputError, InputErrorKind, Result};
use crate::model::table::Table;
use crate::model::values::FORMULA_STARTS;
use crate::source::{BadRow, BadRowKind, CellIssue, Header, RawBatch, Verbatim, match_header};
use crate::spec::config::{Dialect, Encoding};
/// The largest record read: a thousand times a long note, and far more than any real case
/// record. A quote that never closes in a large export would otherwise make one record of
/// the rest of the file, all in memory.
pub const MAX_RECORD_BYTES: u64 = 64 << 20;

/// Where records start, found as the csv parser finds them (a `"` opens a quoted value only
/// at the start of a value, `""` inside one is a quote, CR, LF or CRLF ends a record outside
/// one, blank lines are no record) but without parsing values: only quotes and line breaks
/// are looked at. Counts physical lines as it goes, so a record's line is known wherever the
/// export is cut.
#[derive(Debug, Default)]
struct Framer {
    delimiter: u8,
    in_quotes: bool,
    /// The last byte scanned was a quote inside a quoted value: the next byte says whether it
    /// closed the value or was the first of a `""`.
    quote_pending: bool,
    /// A record has started and not yet ended.
    record_open: bool,
    /// Records started since the last cut.
    records: usize,
    /// Line breaks in the export before the scan position (CRLF counts once).
    breaks: u64,
    /// Where the open record starts in the buffer, and the line it starts on.
    record_at: usize,
    record_line: u64,
    /// How far the buffer has been scanned.
    scanned: usize,
}

impl Framer {
    /// Scan `buf` on from where the last scan stopped; `prev_cr`: the byte before `buf` was a
    /// CR. Returns where the record after the first `limit` starts, if it does in `buf`: the
    /// chunk ends there.
    fn scan(&mut self, buf: &[u8], limit: usize, prev_cr: bool) -> Option<usize> {
        let end = buf.len();
        let mut i = self.scanned;
        if self.quote_pending && i < end {
            self.quote_pending = false;
            if buf[i] == b'"' {
                i += 1;
            } else {
                self.in_quotes = false;
            }
        }
        while i < end {
            let hit = memchr::memchr3(b'"', b'\r', b'\n', &buf[i..]).map(|k| i + k);
            // Any other byte starts a record, if none is open (inside quotes one always is).
            if hit.is_none_or(|j| j > i) && !self.record_open && self.open(i, limit) {
                self.scanned = i;
                return Some(i);
            }
            let Some(j) = hit else {
                i = end;
                break;
            };
            i = j + 1;
            match buf[j] {
                b'"' if self.in_quotes => match buf.get(j + 1) {
                    None => self.quote_pending = true,
                    Some(b'"') => i = j + 2,
                    Some(_) => self.in_quotes = false,
                },
                b'"' => {
                    let starts_value = !self.record_open || buf[j - 1] == self.delimiter;
                    if !self.record_open && self.open(j, limit) {
                        self.scanned = j;
                        return Some(j);
                    }
                    self.in_quotes = starts_value;
                }
                b'\r' => {
                    self.breaks += 1;
                    self.record_open &= self.in_quotes;
                }
                _ => {
                    let after_cr = if j == 0 { prev_cr } else { buf[j - 1] == b'\r' };
                    self.breaks += u64::from(!after_cr);
                    self.record_open &= self.in_quotes;
                }
            }
        }
        self.scanned = i;
        None
    }

    /// A record starts at `at`. True if it is the one after `limit`, which is left for the
    /// next chunk.
    fn open(&mut self, at: usize, limit: usize) -> bool {
        if self.records == limit {
            return true;
        }
        self.records += 1;
        self.record_open = true;
        self.record_at = at;
        self.record_line = self.breaks + 1;
        false
    }
}

/// How a chunk's records become columns.
#[derive(Debug, Clone, Copy)]
struct Parser {
    delimiter: u8,
    encoding: Encoding,
    max_value_lines: u32,
    /// Fields in the header: a record with any other number is set aside.
    width: usize,
}

/// Whole records of an export, cut from it by the reading thread, to be parsed anywhere.
#[derive(Debug)]
pub struct Chunk {
    bytes: Vec<u8>,
    /// Line breaks in the export before the chunk, and whether the byte before it was a CR
    /// (an LF first in the chunk then ends no line of its own).
    breaks: u64,
    prev_cr: bool,
    records: usize,
    /// The chunk runs to the end of the export: its last record may end there, inside a quote.
    last: bool,
    parser: Parser,
}

/// A record's values: `bounds` are byte ranges in `data`.
struct Record<'a> {
    data: &'a [u8],
    bounds: &'a [(usize, usize)],
    /// Where `data` starts in the chunk, when the values are its bytes as they stand (no quotes).
    at: Option<usize>,
}

impl<'a> Record<'a> {
    fn len(&self) -> usize {
        self.bounds.len()
    }

    fn fields(&self) -> impl DoubleEndedIterator<Item = &'a [u8]> + '_ {
        self.bounds.iter().map(|&(s, e)| &self.data[s..e])
    }
}

/// Physical lines ended in `bytes` (CRLF once), which must not start with the LF of a CRLF.
fn breaks_in(bytes: &[u8]) -> u64 {
    let lf = memchr::memchr_iter(b'\n', bytes).count();
    let cr = memchr::memchr_iter(b'\r', bytes).count();
    let crlf = memchr::memmem::find_iter(bytes, b"\r\n").count();
    (lf + cr - crlf) as u64
}

impl Chunk {
    /// Call `each` with every record, the line it starts on, and whether it runs to the end of
    /// the export with an odd number of quotes (a quote left open there), until it says stop.
    fn each_record(&self, mut each: impl FnMut(u64, &Record<'_>, bool) -> ControlFlow<()>) {
        let bytes = &self.bytes[..];
        let delimiter = self.parser.delimiter;
        let mut breaks = self.breaks;
        let mut bounds: Vec<(usize, usize)> = Vec::with_capacity(self.parser.width + 1);
        let mut parser: Option<csv_core::Reader> = None;
        let (mut out, mut ends) = (Vec::new(), Vec::new());
        let mut pos = 0;
        loop {
            while let Some(&b) = bytes.get(pos)
                && (b == b'\r' || b == b'\n')
            {
                let after_cr = if pos == 0 {
                    self.prev_cr
                } else {
                    bytes[pos - 1] == b'\r'
                };
                breaks += u64::from(b == b'\r' || !after_cr);
                pos += 1;
            }
            if pos == bytes.len() {
                return;
            }
            let line = breaks + 1;
            let end = memchr::memchr2(b'\r', b'\n', &bytes[pos..]).map_or(bytes.len(), |k| pos + k);
            let data = &bytes[pos..end];
            if memchr::memchr(b'"', data).is_none() {
                // No quote: the values are what lies between the delimiters.
                bounds.clear();
                let mut from = 0;
                for d in memchr::memchr_iter(delimiter, data) {
                    bounds.push((from, d));
                    from = d + 1;
                }
                bounds.push((from, data.len()));
                let record = Record {
                    data,
                    bounds: &bounds,
                    at: Some(pos),
                };
                if each(line, &record, false).is_break() {
                    return;
                }
                pos = end;
                continue;
            }
            // A quote: the csv parser reads the record, over any line breaks inside values. It
            // starts afresh at each such record, as if after a blank line (so that a byte order
            // mark in a record is kept, as it is when the whole export is parsed at once).
            let csv = parser.get_or_insert_with(|| csv_core::ReaderBuilder::new().delimiter(delimiter).build());
            csv.reset();
            csv.read_record(b"\n", &mut [], &mut []);
            let (mut nin, mut nout, mut nend) = (0, 0, 0);
            loop {
                let (res, i, o, e) = csv.read_record(&bytes[pos + nin..], &mut out[nout..], &mut ends[nend..]);
                (nin, nout, nend) = (nin + i, nout + o, nend + e);
                match res {
                    // Read to the end of the chunk: the next call, with nothing, ends the record.
                    csv_core::ReadRecordResult::InputEmpty => {}
                    csv_core::ReadRecordResult::OutputFull => out.resize((out.len() * 2).max(4096), 0),
                    csv_core::ReadRecordResult::OutputEndsFull => ends.resize((ends.len() * 2).max(64), 0),
                    csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => break,
                }
            }
            assert!(nin > 0, "the csv parser reads a record that starts with a value");
            bounds.clear();
            let mut from = 0;
            for &e in &ends[..nend] {
                bounds.push((from, e));
                from = e;
            }
            let to_end =
                self.last && pos + nin == bytes.len() && memchr::memchr_iter(b'"', &bytes[pos..]).count() % 2 == 1;
            let flow = each(
                line,
                &Record {
                    data: &out[..from],
                    bounds: &bounds,
                    at: None,
                },
                to_end,
            );
            if flow.is_break() {
                return;
            }
            breaks += breaks_in(&bytes[pos..pos + nin]);
            pos += nin;
        }
    }

    /// The first record's line and values, decoded for matching as a header.
    fn first_record(&self) -> Option<(u64, Vec<String>)> {
        let mut first = None;
        self.each_record(|line, record, _| {
            first = Some((
                line,
                record.fields().map(|f| decode_lossy(f, self.parser.encoding)).collect(),
            ));
            ControlFlow::Break(())
        });
        first
    }

    /// Room to make for each column's values: measured on the first records, so that a column
    /// is neither copied as it grows nor left mostly empty (a batch's text is held until its
    /// rows are written).
    fn value_bytes(&self) -> Vec<usize> {
        const SAMPLE: usize = 64;
        let width = self.parser.width;
        let mut bytes = vec![0; width];
        let mut sampled = 0;
        self.each_record(|_, record, _| {
            if record.len() == width {
                bytes.iter_mut().zip(record.bounds).for_each(|(b, (s, e))| *b += e - s);
                sampled += 1;
            }
            if sampled == SAMPLE {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        let records = self.records.max(1);
        bytes
            .into_iter()
            .map(|b| (b * records).div_ceil(sampled.max(1)) * 17 / 16 + 64)
            .collect()
    }

    /// The chunk's records as text columns, with the rows that cannot be records set aside.
    pub fn parse(self) -> RawBatch {
        let Parser {
            encoding,
            max_value_lines,
            width,
            ..
        } = self.parser;
        let mut builders: Vec<StringBuilder> = self
            .value_bytes()
            .into_iter()
            .map(|bytes| StringBuilder::with_capacity(self.records, bytes))
            .collect();
        let mut batch = RawBatch {
            lines: Vec::with_capacity(self.records),
            columns: Vec::new(),
            bad: Vec::new(),
            cell_issues: Vec::new(),
            fields_1252: 0,
            verbatim: None,
            positions: None,
        };
        // Rows that can be written as read (see `Verbatim`): only comma-separated ones.
        let verbatim = self.parser.delimiter == b',' && u32::try_from(self.bytes.len()).is_ok();
        let mut spans: Vec<Option<(u32, u32)>> = Vec::with_capacity(if verbatim { self.records } else { 0 });
        let mut scratch = String::new();
        let lossy = |record: &Record<'_>| record.fields().map(|f| decode_lossy(f, encoding)).collect();
        self.each_record(|line, record, to_end| {
            if memchr::memchr2(b'\n', b'\r', record.data).is_some()
                && let Some(kind) = unclosed_quote(record, line, to_end, max_value_lines)
            {
                batch.bad.push(BadRow {
                    line,
                    kind,
                    fields: lossy(record),
                });
                return ControlFlow::Continue(());
            }
            if record.len() != width {
                let fields: Vec<String> = lossy(record);
                let lines = 1 + fields.iter().map(|f| f.matches('\n').count() as u64).sum::<u64>();
                batch.bad.push(BadRow {
                    line,
                    kind: BadRowKind::Ragged {
                        found: record.len(),
                        expected: width,
                        lines,
                    },
                    fields,
                });
                return ControlFlow::Continue(());
            }
            if record.fields().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                batch.bad.push(BadRow {
                    line,
                    kind: BadRowKind::Blank,
                    fields: lossy(record),
                });
                return ControlFlow::Continue(());
            }
            let row = batch.lines.len() as u32;
            batch.lines.push(line);
            // Almost every record is text as it stands: checked once as a whole, its values
            // need no check of their own unless one ends inside a character.
            let text = (encoding != Encoding::Windows1252 || record.data.is_ascii())
                .then(|| std::str::from_utf8(record.data).ok())
                .flatten();
            if verbatim {
                let plain = |&(s, e): &(usize, usize)| {
                    s == e || !(FORMULA_STARTS.contains(&record.data[s]) || record.data[s] == b'\'')
                };
                let as_read = record.at.filter(|_| text.is_some() && record.bounds.iter().all(plain));
                // The chunk is shorter than `u32::MAX`.
                spans.push(as_read.map(|at| (at as u32, (at + record.data.len()) as u32)));
            }
            for (i, (field, &(s, e))) in record.fields().zip(record.bounds).enumerate() {
                if let Some(value) = text.and_then(|t| t.get(s..e)) {
                    builders[i].append_value(value);
                    continue;
                }
                match decode(field, encoding, &mut scratch) {
                    Decoded::Borrowed(s) => builders[i].append_value(s),
                    Decoded::Scratch { as_1252 } => {
                        builders[i].append_value(&scratch);
                        if as_1252 {
                            batch.fields_1252 += 1;
                        } else if encoding == Encoding::Utf8 {
                            // Under `windows-1252` the value was decoded as declared: no issue.
                            batch.cell_issues.push(CellIssue {
                                row,
                                file_column: i as u32,
                                kind: crate::source::IssueKind::Encoding,
                            });
                        }
                    }
                }
            }
            ControlFlow::Continue(())
        });
        batch.columns = builders
            .into_iter()
            .map(|mut b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        batch.verbatim = verbatim.then(|| Verbatim::new(self.bytes, spans));
        batch
    }

    /// Records in the chunk, those that will be set aside included.
    pub fn records(&self) -> usize {
        self.records
    }
}

/// Whether `record`, which starts on `line` and runs over line breaks, is a quote that was
/// never closed: it ran to the end of the file still inside the quote (`to_end`), or over more
/// lines than `max_value_lines`. Legitimate notes with line breaks (Alt+Enter in Excel, a
/// pasted email) are shorter and closed.
fn unclosed_quote(record: &Record<'_>, line: u64, to_end: bool, max_value_lines: u32) -> Option<BadRowKind> {
    let mut lines: u64 = record.fields().map(breaks_in).sum();
    if to_end && matches!(record.fields().rev().find_map(<[u8]>::last), Some(b'\n' | b'\r')) {
        // The file's last line break ends the last hidden line; it hides no line of its own.
        lines -= 1;
    }
    if !to_end && lines <= u64::from(max_value_lines) {
        return None;
    }
    // The quote opened on the line where the first value with a line break starts.
    let before: u64 = record
        .fields()
        .take_while(|f| memchr::memchr2(b'\n', b'\r', f).is_none())
        .map(breaks_in)
        .sum();
    Some(BadRowKind::UnclosedQuote {
        opened: line + before,
        lines,
        to_end,
    })
}

/// An export being read: the header, then [`Chunk`]s of records.
pub struct CsvSource<R> {
    path: PathBuf,
    inner: R,
    /// SHA-256 of the bytes read: the reading thread has time to spare now that parsing is
    /// done on the pool.
    sha: Sha256,
    /// Bytes read from the export so far.
    read: u64,
    eof: bool,
    /// Bytes read and not yet cut into a chunk. They start where a record starts, or at line
    /// breaks before one.
    buf: Vec<u8>,
    /// Line breaks in the export before `buf`, and whether the byte before it was a CR.
    breaks: u64,
    prev_cr: bool,
    framer: Framer,
    /// How much to read for the next chunk: about as much as the last one held.
    expect: usize,
    /// The least read at once (small in tests, to cut records at every byte).
    least_read: usize,
    parser: Parser,
    pub header: Header,
    /// The line the header is on (1, unless lines were skipped).
    pub header_line: u64,
    pub rows_read: u64,
}

impl CsvSource<File> {
    pub fn open(path: &Path, table: &Table, dialect: Dialect) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        CsvSource::open_reader(path, file, table, dialect)
    }
}

impl<R: Read> CsvSource<R> {
    /// Read the header from `reader` (the contents of `path`) and match it to `table`.
    pub fn open_reader(path: &Path, reader: R, table: &Table, dialect: Dialect) -> Result<Self> {
        let Dialect {
            encoding,
            delimiter,
            skip_lines: skip,
            max_value_lines,
        } = dialect;
        let err = |line, column, kind| {
            Error::Input(vec![InputError {
                file: path.to_path_buf(),
                line,
                column,
                sheet: None,
                kind,
            }])
        };
        let mut source = CsvSource {
            path: path.to_path_buf(),
            inner: reader,
            sha: Sha256::new(),
            read: 0,
            eof: false,
            buf: Vec::new(),
            breaks: 0,
            prev_cr: false,
            framer: Framer {
                delimiter,
                ..Framer::default()
            },
            expect: 256 << 10,
            least_read: 64 << 10,
            parser: Parser {
                delimiter,
                encoding,
                max_value_lines,
                width: 0,
            },
            header: Header {
                names: Vec::new(),
                columns: Vec::new(),
                extra: Vec::new(),
                sheet: None,
            },
            header_line: 0,
            rows_read: 0,
        };
        source.fill()?;
        let head = &source.buf;
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(err(1, None, InputErrorKind::Utf16));
        }
        if let Some(looks_like) = not_text(head) {
            return Err(err(1, None, InputErrorKind::NotText { looks_like }));
        }
        if !source.skip_lines(skip)? {
            return Err(err(1, None, InputErrorKind::Empty));
        }
        // The csv parser passes over a UTF-8 byte order mark where it starts.
        while source.buf.len() < 3 && !source.eof {
            source.fill()?;
        }
        if source.buf.starts_with(b"\xEF\xBB\xBF") {
            source.buf.drain(..3);
        }
        let Some((header_line, mut names)) = source.frame(1)?.and_then(|c| c.first_record()) else {
            return Err(err(1, None, InputErrorKind::Empty));
        };
        if let Some(first) = names.first_mut()
            && let Some(rest) = first.strip_prefix('\u{feff}')
        {
            *first = rest.to_string();
        }
        let header = match match_header(&names, table) {
            Ok(header) => header,
            Err(problems) => {
                // A report's title above the header: say where the header is, once, rather
                // than calling every column missing.
                if problems.len() > 1
                    && let Some(line) = source.header_further_down(table)
                {
                    return Err(err(
                        header_line,
                        None,
                        InputErrorKind::HeaderFurtherDown { line, skip: line - 1 },
                    ));
                }
                return Err(Error::Input(
                    problems
                        .into_iter()
                        .map(|(column, kind)| InputError {
                            file: path.to_path_buf(),
                            line: header_line,
                            column,
                            sheet: None,
                            kind,
                        })
                        .collect(),
                ));
            }
        };
        source.parser.width = header.names.len();
        source.header = header;
        source.header_line = header_line;
        Ok(source)
    }

    /// The line of a record among the next few that matches `table`'s header, when the first
    /// line did not: the real header below a title or notes.
    fn header_further_down(&mut self, table: &Table) -> Option<u64> {
        for _ in 0..30 {
            let (line, names) = self.frame(1).ok()??.first_record()?;
            if match_header(&names, table).is_ok() {
                return Some(line);
            }
        }
        None
    }

    /// Read on from the export: about as much as the next chunk will need.
    fn fill(&mut self) -> Result<()> {
        let want = self.expect.saturating_sub(self.buf.len()).max(self.least_read);
        self.buf.reserve(want);
        let from = self.buf.len();
        let n = (&mut self.inner)
            .take(want as u64)
            .read_to_end(&mut self.buf)
            .map_err(|e| Error::io(&self.path, e))?;
        self.sha.update(&self.buf[from..]);
        self.read += n as u64;
        self.eof = n < want;
        Ok(())
    }

    /// Pass over `n` physical lines (CRLF, LF or CR each end one); false if the file ends
    /// first.
    fn skip_lines(&mut self, n: u32) -> Result<bool> {
        for _ in 0..n {
            loop {
                if let Some(k) = memchr::memchr2(b'\n', b'\r', &self.buf) {
                    let cr = self.buf[k] == b'\r';
                    self.buf.drain(..=k);
                    if cr && self.buf.is_empty() && !self.eof {
                        self.fill()?;
                    }
                    if cr && self.buf.first() == Some(&b'\n') {
                        self.buf.drain(..1);
                    }
                    break;
                }
                if self.eof {
                    return Ok(false);
                }
                self.buf.clear();
                self.fill()?;
            }
            self.breaks += 1;
        }
        self.framer.breaks = self.breaks;
        Ok(true)
    }

    /// The next chunk of up to `batch_rows` records; `None` at the end of the file.
    pub fn next_chunk(&mut self, batch_rows: usize) -> Result<Option<Chunk>> {
        let chunk = self.frame(batch_rows)?;
        self.rows_read += chunk.as_ref().map_or(0, |c| c.records) as u64;
        Ok(chunk)
    }

    /// Read the next batch; `None` at the end of the file.
    pub fn next_batch(&mut self, batch_rows: usize) -> Result<Option<RawBatch>> {
        Ok(self.next_chunk(batch_rows)?.map(|c| c.parse()))
    }

    fn frame(&mut self, records: usize) -> Result<Option<Chunk>> {
        loop {
            if let Some(at) = self.framer.scan(&self.buf, records, self.prev_cr) {
                return Ok(Some(self.cut(at, false)));
            }
            if self.eof {
                if self.framer.records == 0 {
                    // Nothing but blank lines since the last record.
                    self.buf.clear();
                    return Ok(None);
                }
                return Ok(Some(self.cut(self.buf.len(), true)));
            }
            let max = MAX_RECORD_BYTES as usize;
            if self.framer.record_open && self.buf.len() - self.framer.record_at > max {
                return Err(Error::Input(vec![InputError {
                    file: self.path.clone(),
                    line: self.framer.record_line,
                    column: None,
                    sheet: None,
                    kind: InputErrorKind::RecordTooLarge {
                        mib: MAX_RECORD_BYTES >> 20,
                    },
                }]));
            }
            if !self.framer.record_open && self.buf.len() > max {
                // Blank lines by the megabyte: end the chunk before them, or pass over them.
                if self.framer.records > 0 {
                    return Ok(Some(self.cut(self.buf.len(), false)));
                }
                self.cut(self.buf.len(), false);
            }
            self.fill()?;
        }
    }

    /// Cut the chunk read so far at `at`, where the scan stopped.
    fn cut(&mut self, at: usize, last: bool) -> Chunk {
        debug_assert_eq!(at, self.framer.scanned);
        self.expect = at + at / 64;
        let mut rest = Vec::with_capacity(self.expect.max(64 << 10));
        rest.extend_from_slice(&self.buf[at..]);
        let mut bytes = std::mem::replace(&mut self.buf, rest);
        bytes.truncate(at);
        let chunk = Chunk {
            breaks: self.breaks,
            prev_cr: self.prev_cr,
            records: self.framer.records,
            last,
            parser: self.parser,
            bytes,
        };
        if at > 0 {
            self.prev_cr = chunk.bytes[at - 1] == b'\r';
        }
        self.breaks = self.framer.breaks;
        self.framer.records = 0;
        self.framer.scanned = 0;
        chunk
    }

    /// SHA-256 of every byte read, once the last batch is read.
    pub fn sha256(self) -> String {
        crate::model::digest::hex(&self.sha.finalize())
    }

    /// Bytes read from the export so far (all of them, once the last batch is read).
    pub fn bytes_read(&self) -> u64 {
        self.read
    }
}

/// What the first bytes of a file say it is, when it is not text: a workbook, an image, an
/// archive. Checked before any header matching, so a renamed file gets one clear refusal.
pub(crate) fn not_text(head: &[u8]) -> Option<Option<&'static str>> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip archive"),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "an old Excel workbook (.xls) or another Office file",
        ),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"%PDF", "a PDF document"),
        (b"PAR1", "a Parquet file"),
        (b"\x1F\x8B", "a gzip archive"),
        (b"SQLite format 3\0", "an SQLite database"),
    ];
    if let Some((_, what)) = SIGNATURES.iter().find(|(sig, _)| head.starts_with(sig)) {
        return Some(Some(what));
    }
    // Text in UTF-8 or Windows-1252 has no NUL bytes and few other control characters.
    let sample = &head[..head.len().min(8192)];
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    (sample.contains(&0) || controls * 100 > sample.len()).then_some(None)
}

enum Decoded<'a> {
    Borrowed(&'a str),
    /// Decoded into the scratch buffer: as Windows-1252, or lossily.
    Scratch {
        as_1252: bool,
    },
}

fn decode<'a>(bytes: &'a [u8], encoding: Encoding, scratch: &mut String) -> Decoded<'a> {
    if let Ok(s) = std::str::from_utf8(bytes)
        && (encoding != Encoding::Windows1252 || bytes.is_ascii())
    {
        return Decoded::Borrowed(s);
    }
    scratch.clear();
    match encoding {
        Encoding::Auto | Encoding::Windows1252 => {
            scratch.push_str(&WINDOWS_1252.decode_without_bom_handling(bytes).0);
            Decoded::Scratch {
                as_1252: encoding == Encoding::Auto,
            }
        }
        Encoding::Utf8 => {
            scratch.push_str(&String::from_utf8_lossy(bytes));
            Decoded::Scratch { as_1252: false }
        }
    }
}

fn decode_lossy(bytes: &[u8], encoding: Encoding) -> String {
    let mut s = String::new();
    match decode(bytes, encoding, &mut s) {
        Decoded::Borrowed(b) => b.to_string(),
        Decoded::Scratch { .. } => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::normalise_header;
    use proptest::prelude::*;

    /// Every record after the first, with its line, as the csv crate reads `bytes` in one pass.
    fn by_the_csv_crate(bytes: &[u8]) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut out = Vec::new();
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record).expect("bytes in memory") {
            // The record's position is before any blank lines the reader passed over.
            let mut at = record.position().expect("a position").byte() as usize;
            while matches!(bytes.get(at), Some(b'\r' | b'\n')) {
                at += 1;
            }
            let before = &bytes[..at];
            let line = 1 + breaks_in(before);
            out.push((line, record.iter().map(<[u8]>::to_vec).collect()));
        }
        out.remove(0);
        out
    }

    /// The same, cut into chunks of `batch_rows` records read `least_read` bytes at a time.
    fn by_chunks(bytes: &[u8], batch_rows: usize, least_read: usize) -> Vec<(u64, Vec<Vec<u8>>)> {
        let table = Table::of_text("t", &["a"]);
        let mut source =
            CsvSource::open_reader(Path::new("t.csv"), bytes, &table, Dialect::default()).expect("the header is `a`");
        source.least_read = least_read;
        source.expect = 0;
        let mut out = Vec::new();
        while let Some(chunk) = source.next_chunk(batch_rows).expect("bytes in memory") {
            let mut records = 0;
            chunk.each_record(|line, record, _| {
                records += 1;
                out.push((line, record.fields().map(<[u8]>::to_vec).collect()));
                ControlFlow::Continue(())
            });
            assert_eq!(records, chunk.records, "the framer counts the records the parser finds");
            let last = chunk.last;
            let raw = chunk.parse();
            assert_eq!(
                raw.lines.len() + raw.bad.len(),
                records,
                "every record is a row or set aside"
            );
            assert!(last || records == batch_rows, "only the last chunk is short");
        }
        assert_eq!(source.rows_read, out.len() as u64);
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Cut anywhere, read in any sizes, the records and their lines are the csv crate's.
        #[test]
        fn chunks_read_as_the_csv_crate_reads(
            body in proptest::collection::vec(
                prop_oneof![Just(b'a'), Just(b','), Just(b'"'), Just(b'\r'), Just(b'\n'), Just(b' '), Just(0xEF), Just(0xBB), Just(0xBF)],
                0..60,
            ),
            batch_rows in 1usize..4,
            least_read in 1usize..9,
        ) {
            let mut bytes = b"a\r\n".to_vec();
            bytes.extend_from_slice(&body);
            prop_assert_eq!(by_chunks(&bytes, batch_rows, least_read), by_the_csv_crate(&bytes));
        }
    }

    #[test]
    fn header_normalisation_ignores_case_spacing_and_punctuation() {
        assert_eq!(
            normalise_header("  Child Protection Plan  START date "),
            "childprotectionplanstartdate"
        );
        assert_eq!(normalise_header("Referral NFA?"), "referralnfa");
    }

    #[test]
    fn windows_1252_fields_decode_under_auto() {
        let mut s = String::new();
        assert!(matches!(
            decode(b"Zo\xeb", Encoding::Auto, &mut s),
            Decoded::Scratch { as_1252: true }
        ));
        assert_eq!(s, "Zoë");
        assert!(matches!(
            decode("Zoë".as_bytes(), Encoding::Auto, &mut s),
            Decoded::Borrowed("Zoë")
        ));
        assert!(matches!(
            decode(b"Zo\xeb", Encoding::Utf8, &mut s),
            Decoded::Scratch { as_1252: false }
        ));
    }
}
