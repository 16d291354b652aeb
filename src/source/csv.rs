//! The CSV reader: an export as text, batch by batch, keeping every row.
//!
//! Bytes are read first and decoded on purpose, field by field, so one
//! Windows-1252 byte neither refuses the file (as the DfE validators do) nor
//! turns into mojibake. Values stay text here; the rules decide types.
//! Rows that cannot be a record (wrong number of fields, entirely blank)
//! are set aside as [`BadRow`]s with their line, never dropped.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use encoding_rs::WINDOWS_1252;
use sha2::{Digest, Sha256};
use std::collections::VecDeque;

use crate::model::error::{Error, InputError, InputErrorKind, Result};
use crate::model::table::Table;
use crate::source::{BadRow, BadRowKind, EncodingIssue, Header, RawBatch, match_header};
use crate::spec::config::{Dialect, Encoding};

/// Wraps the file: counts physical lines (the csv crate's own count drifts on
/// CRLF and blank lines) and fingerprints the bytes, in the same pass.
pub struct Tracked<R> {
    inner: R,
    sha: Fingerprint,
    /// Offset, length (1, or 2 for CRLF) and `"` bytes before it, of each line break read but
    /// not yet passed by a record.
    breaks: VecDeque<(u64, u64, u64)>,
    breaks_passed: u64,
    pos: u64,
    prev_cr: bool,
    /// `"` bytes read so far, and before the start of the record last asked for: an odd count
    /// between a record's start and the end of the file means its quote never closed.
    quotes: u64,
    quotes_at_record: u64,
    /// The reader has returned end of file.
    eof: bool,
    /// Start of the record last asked for: a record may not run [`MAX_RECORD_BYTES`] past it.
    record_start: u64,
}

/// SHA-256 of a stream, hashed on a thread of its own: hashing was a tenth of the reading
/// thread's time, and that thread bounds a large run's wall time. Bytes go over in 1 MiB
/// chunks.
pub struct Fingerprint {
    pending: Vec<u8>,
    hasher: Hasher,
}

enum Hasher {
    Thread(std::sync::mpsc::SyncSender<Vec<u8>>, std::thread::JoinHandle<String>),
    /// The system refused a thread: hashed as read.
    Here(Sha256),
}

const FINGERPRINT_CHUNK: usize = 1 << 20;

impl Fingerprint {
    fn new() -> Self {
        let (send, receive) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let thread = std::thread::Builder::new()
            .name("cleanse-sha256".to_string())
            .spawn(move || {
                let mut sha = Sha256::new();
                for chunk in receive {
                    sha.update(&chunk);
                }
                crate::model::digest::hex(&sha.finalize())
            });
        Fingerprint {
            pending: Vec::new(),
            hasher: match thread {
                Ok(t) => Hasher::Thread(send, t),
                Err(_) => Hasher::Here(Sha256::new()),
            },
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match &mut self.hasher {
            Hasher::Here(sha) => sha.update(bytes),
            Hasher::Thread(send, _) => {
                self.pending.extend_from_slice(bytes);
                if self.pending.len() >= FINGERPRINT_CHUNK {
                    let full = std::mem::replace(&mut self.pending, Vec::with_capacity(FINGERPRINT_CHUNK));
                    // The thread stops only when this side hangs up, so the send cannot fail.
                    let _ = send.send(full);
                }
            }
        }
    }

    /// The hex digest of every byte given.
    fn finish(self) -> String {
        match self.hasher {
            Hasher::Thread(send, thread) => {
                let _ = send.send(self.pending);
                drop(send);
                thread.join().expect("hashing bytes cannot panic")
            }
            Hasher::Here(sha) => crate::model::digest::hex(&sha.finalize()),
        }
    }
}

/// The largest record read: a thousand times a long note, and far more than any real case
/// record. A quote that never closes in a large export would otherwise make one record of
/// the rest of the file, all in memory.
pub const MAX_RECORD_BYTES: u64 = 64 << 20;

/// The reader ran further than [`MAX_RECORD_BYTES`] past a record's start.
#[derive(Debug)]
struct RecordTooLarge;

impl std::fmt::Display for RecordTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("record too large")
    }
}

impl std::error::Error for RecordTooLarge {}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Two buffers of read-ahead (the BufReader's and the csv reader's) are allowed for.
        if self.pos.saturating_sub(self.record_start) > MAX_RECORD_BYTES + (4 << 20) {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, RecordTooLarge));
        }
        let n = self.inner.read(buf)?;
        self.eof |= n == 0 && !buf.is_empty();
        let chunk = &buf[..n];
        self.sha.update(chunk);
        // Only breaks and quotes matter here: jump from one to the next (SIMD search).
        for i in memchr::memchr3_iter(b'\r', b'\n', b'"', chunk) {
            // CRLF counts once, at the CR; a lone CR (old Mac exports) or LF counts too.
            let at = self.pos + i as u64;
            let prev_cr = if i == 0 { self.prev_cr } else { chunk[i - 1] == b'\r' };
            match chunk[i] {
                b'"' => self.quotes += 1,
                b'\n' if prev_cr => {
                    if let Some(cr) = self.breaks.back_mut()
                        && cr.0 + 1 == at
                    {
                        cr.1 = 2;
                    }
                }
                _ => self.breaks.push_back((at, 1, self.quotes)),
            }
        }
        if let Some(&last) = chunk.last() {
            self.prev_cr = last == b'\r';
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R> Tracked<R> {
    /// 1-based line of the record the csv reader says starts at `byte`;
    /// offsets must be asked for in order. The csv reader's position is just
    /// after the previous record's terminator (on the LF of a CRLF) and before
    /// any blank lines it skipped, so those breaks are passed too.
    fn line_at(&mut self, byte: u64) -> u64 {
        self.record_start = byte;
        let mut start = byte;
        while let Some(&(at, len, quotes)) = self.breaks.front()
            && at <= start
        {
            self.breaks.pop_front();
            self.breaks_passed += 1;
            self.quotes_at_record = quotes;
            start = start.max(at + len);
        }
        self.breaks_passed + 1
    }

    /// Whether the record last asked for by [`Tracked::line_at`], ending at `end`, ran to the
    /// end of the file inside a quote.
    fn open_to_end(&self, end: u64) -> bool {
        self.eof && end == self.pos && (self.quotes - self.quotes_at_record) % 2 == 1
    }
}

pub struct CsvSource<R> {
    path: PathBuf,
    reader: csv::Reader<BufReader<Tracked<R>>>,
    encoding: Encoding,
    max_value_lines: u32,
    /// Bytes passed over before the csv reader started (`skip_lines`): its offsets start there.
    skipped: u64,
    /// Where the next record starts (just after the last one read), to name its line if it
    /// cannot be read.
    next_start: u64,
    record: csv::ByteRecord,
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

/// What the first bytes of a file say it is, when it is not text: a workbook, an image, an
/// archive. Checked before any header matching, so a renamed file gets one clear refusal.
fn not_text(head: &[u8]) -> Option<Option<&'static str>> {
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

/// Pass over `n` physical lines (CRLF, LF or CR each end one); returns the bytes passed over,
/// or `None` if the file ends first.
fn skip_lines<R: Read>(reader: &mut BufReader<R>, n: u32) -> std::io::Result<Option<u64>> {
    let mut skipped = 0u64;
    for _ in 0..n {
        loop {
            let buf = reader.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            match buf.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(i) => {
                    let cr = buf[i] == b'\r';
                    reader.consume(i + 1);
                    skipped += i as u64 + 1;
                    if cr && reader.fill_buf()?.first() == Some(&b'\n') {
                        reader.consume(1);
                        skipped += 1;
                    }
                    break;
                }
                None => {
                    let len = buf.len();
                    reader.consume(len);
                    skipped += len as u64;
                }
            }
        }
    }
    Ok(Some(skipped))
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
                kind,
            }])
        };
        let tracked = Tracked {
            inner: reader,
            sha: Fingerprint::new(),
            breaks: VecDeque::new(),
            breaks_passed: 0,
            pos: 0,
            prev_cr: false,
            quotes: 0,
            quotes_at_record: 0,
            eof: false,
            record_start: 0,
        };
        let mut buffered = BufReader::with_capacity(1 << 20, tracked);
        let head = buffered.fill_buf().map_err(|e| Error::io(path, e))?;
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(err(1, None, InputErrorKind::Utf16));
        }
        if let Some(looks_like) = not_text(head) {
            return Err(err(1, None, InputErrorKind::NotText { looks_like }));
        }
        let skipped = match skip_lines(&mut buffered, skip).map_err(|e| Error::io(path, e))? {
            Some(bytes) => bytes,
            None => return Err(err(1, None, InputErrorKind::Empty)),
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(1 << 20)
            .from_reader(buffered);
        let mut record = csv::ByteRecord::new();
        let got = reader
            .read_byte_record(&mut record)
            .map_err(|e| err(1, None, InputErrorKind::Csv(e)))?;
        if !got {
            return Err(err(1, None, InputErrorKind::Empty));
        }
        let byte = record.position().map_or(0, |p| p.byte()) + skipped;
        let header_line = reader.get_mut().get_mut().line_at(byte);
        let mut names: Vec<String> = record.iter().map(|f| decode_lossy(f, encoding)).collect();
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
                    && let Some(line) = header_further_down(&mut reader, &mut record, table, encoding, skipped)
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
                            kind,
                        })
                        .collect(),
                ));
            }
        };
        let next_start = reader.position().byte() + skipped;
        Ok(CsvSource {
            path: path.to_path_buf(),
            reader,
            encoding,
            max_value_lines,
            skipped,
            next_start,
            record,
            header,
            header_line,
            rows_read: 0,
        })
    }

    /// SHA-256 of every byte read, once the last batch is read.
    pub fn sha256(self) -> String {
        self.reader.into_inner().into_inner().sha.finish()
    }

    /// Bytes read from the export so far (all of them, once the last batch is read).
    pub fn bytes_read(&self) -> u64 {
        self.reader.get_ref().get_ref().pos
    }

    /// Read the next batch; `None` at the end of the file.
    pub fn next_batch(&mut self, batch_rows: usize) -> Result<Option<RawBatch>> {
        let width = self.header.names.len();
        let mut builders: Vec<StringBuilder> = (0..width)
            .map(|_| StringBuilder::with_capacity(batch_rows, batch_rows * 16))
            .collect();
        let mut batch = RawBatch {
            lines: Vec::with_capacity(batch_rows),
            columns: Vec::new(),
            bad: Vec::new(),
            encoding_issues: Vec::new(),
            fields_1252: 0,
        };
        let mut scratch = String::new();
        let mut records = 0;
        while records < batch_rows {
            let more = match self.reader.read_byte_record(&mut self.record) {
                Ok(more) => more,
                Err(e) => {
                    let start = self.next_start;
                    let tracked = self.reader.get_mut().get_mut();
                    let (line, kind) = match e.kind() {
                        csv::ErrorKind::Io(io) if io.get_ref().is_some_and(|e| e.is::<RecordTooLarge>()) => (
                            tracked.line_at(start),
                            InputErrorKind::RecordTooLarge {
                                mib: MAX_RECORD_BYTES >> 20,
                            },
                        ),
                        _ => (
                            e.position().map_or_else(|| tracked.line_at(start), |p| p.line()),
                            InputErrorKind::Csv(e),
                        ),
                    };
                    return Err(Error::Input(vec![InputError {
                        file: self.path.clone(),
                        line,
                        column: None,
                        kind,
                    }]));
                }
            };
            if !more {
                break;
            }
            let start = self.next_start;
            self.next_start = self.reader.position().byte() + self.skipped;
            records += 1;
            self.rows_read += 1;
            let byte = self.record.position().map_or(start, |p| p.byte() + self.skipped);
            let line = self.reader.get_mut().get_mut().line_at(byte);
            if memchr::memchr2(b'\n', b'\r', self.record.as_slice()).is_some()
                && let Some(kind) = self.unclosed_quote(line)
            {
                let fields = self.record.iter().map(|f| decode_lossy(f, self.encoding)).collect();
                batch.bad.push(BadRow { line, kind, fields });
                continue;
            }
            if self.record.len() != width {
                let fields: Vec<String> = self.record.iter().map(|f| decode_lossy(f, self.encoding)).collect();
                let lines = 1 + fields.iter().map(|f| f.matches('\n').count() as u64).sum::<u64>();
                batch.bad.push(BadRow {
                    line,
                    kind: BadRowKind::Ragged {
                        found: self.record.len(),
                        expected: width,
                        lines,
                    },
                    fields,
                });
                continue;
            }
            if self.record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                let fields = self.record.iter().map(|f| decode_lossy(f, self.encoding)).collect();
                batch.bad.push(BadRow {
                    line,
                    kind: BadRowKind::Blank,
                    fields,
                });
                continue;
            }
            let row = batch.lines.len() as u32;
            batch.lines.push(line);
            // Almost every record is text as it stands: checked once as a whole, its fields
            // need no check of their own.
            let record = std::mem::take(&mut self.record);
            let record = match csv::StringRecord::from_byte_record(record) {
                Ok(text) if self.encoding != Encoding::Windows1252 || text.as_slice().is_ascii() => {
                    for (builder, field) in builders.iter_mut().zip(text.iter()) {
                        builder.append_value(field);
                    }
                    self.record = text.into_byte_record();
                    continue;
                }
                Ok(text) => text.into_byte_record(),
                Err(e) => e.into_byte_record(),
            };
            self.record = record;
            for (i, field) in self.record.iter().enumerate() {
                match decode(field, self.encoding, &mut scratch) {
                    Decoded::Borrowed(s) => builders[i].append_value(s),
                    Decoded::Scratch { as_1252 } => {
                        builders[i].append_value(&scratch);
                        if as_1252 {
                            batch.fields_1252 += 1;
                        } else if self.encoding == Encoding::Utf8 {
                            // Under `windows-1252` the value was decoded as declared: no issue.
                            batch.encoding_issues.push(EncodingIssue {
                                row,
                                file_column: i as u32,
                            });
                        }
                    }
                }
            }
        }
        if records == 0 {
            return Ok(None);
        }
        batch.columns = builders
            .into_iter()
            .map(|mut b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        Ok(Some(batch))
    }
}

impl<R: Read> CsvSource<R> {
    /// Whether the record just read, which starts on `line` and runs over line breaks, is a
    /// quote that was never closed: it ran to the end of the file still inside the quote, or
    /// over more lines than `max_value_lines`. Legitimate notes with line breaks (Alt+Enter in
    /// Excel, a pasted email) are shorter and closed.
    fn unclosed_quote(&self, line: u64) -> Option<BadRowKind> {
        let breaks = |f: &[u8]| {
            let lf = memchr::memchr_iter(b'\n', f).count();
            let cr = memchr::memchr_iter(b'\r', f).count();
            let crlf = memchr::memmem::find_iter(f, b"\r\n").count();
            (lf + cr - crlf) as u64
        };
        let mut lines: u64 = self.record.iter().map(breaks).sum();
        let end = self.reader.position().byte() + self.skipped;
        let to_end = self.reader.get_ref().get_ref().open_to_end(end);
        if to_end && matches!(self.record.as_slice().last(), Some(b'\n' | b'\r')) {
            // The file's last line break ends the last hidden line; it hides no line of its own.
            lines -= 1;
        }
        if !to_end && lines <= u64::from(self.max_value_lines) {
            return None;
        }
        // The quote opened on the line where the first value with a line break starts.
        let before: u64 = self
            .record
            .iter()
            .take_while(|f| memchr::memchr2(b'\n', b'\r', f).is_none())
            .map(breaks)
            .sum();
        Some(BadRowKind::UnclosedQuote {
            opened: line + before,
            lines,
            to_end,
        })
    }
}

/// The line of a record among the next few that matches `table`'s header, when the first
/// line did not: the real header below a title or notes.
fn header_further_down<R: Read>(
    reader: &mut csv::Reader<BufReader<Tracked<R>>>,
    record: &mut csv::ByteRecord,
    table: &Table,
    encoding: Encoding,
    skipped: u64,
) -> Option<u64> {
    for _ in 0..30 {
        if !reader.read_byte_record(record).ok()? {
            return None;
        }
        let names: Vec<String> = record.iter().map(|f| decode_lossy(f, encoding)).collect();
        if match_header(&names, table).is_ok() {
            let byte = record.position().map_or(0, |p| p.byte()) + skipped;
            return Some(reader.get_mut().get_mut().line_at(byte));
        }
    }
    None
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
