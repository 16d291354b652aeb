//! Ingest: read a CSV export as text, batch by batch, keeping every row.
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

use crate::error::{Error, InputError, InputErrorKind, Result};
use crate::rules::Table;

/// How an export's bytes are turned into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, except that a field that is not valid UTF-8 is read as
    /// Windows-1252 (what Excel and most case-management systems write).
    Auto,
    /// UTF-8 only: an invalid field is read with replacement characters and
    /// its row is rejected with an `ingest.encoding` finding.
    Utf8,
    Windows1252,
}

impl Encoding {
    pub const NAMES: &[&str] = &["auto", "utf-8", "windows-1252"];

    pub fn parse(s: &str) -> Option<Encoding> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Some(Encoding::Auto),
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "windows-1252" | "cp1252" | "latin1" | "iso-8859-1" => Some(Encoding::Windows1252),
            _ => None,
        }
    }
}

/// Why a row was set aside before any rule ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadRowKind {
    /// The row has a different number of fields from the header.
    Ragged { found: usize, expected: usize, lines: u64 },
    /// Every field is blank.
    Blank,
}

#[derive(Debug, Clone)]
pub struct BadRow {
    pub line: u64,
    pub kind: BadRowKind,
    pub fields: Vec<String>,
}

/// A field that was not valid in the declared encoding.
#[derive(Debug, Clone, Copy)]
pub struct EncodingIssue {
    pub row: u32,
    pub file_column: u32,
}

/// Up to `batch_rows` records, as one text column per file column.
#[derive(Debug)]
pub struct RawBatch {
    /// Line each row starts on (the header is line 1).
    pub lines: Vec<u64>,
    /// One `StringArray` per column of the file, in file order.
    pub columns: Vec<ArrayRef>,
    pub bad: Vec<BadRow>,
    pub encoding_issues: Vec<EncodingIssue>,
    /// Fields read as Windows-1252 under `Encoding::Auto`.
    pub fields_1252: u64,
}

impl RawBatch {
    pub fn num_rows(&self) -> usize {
        self.lines.len()
    }
}

/// How the export's header lines up with the table's declared columns.
#[derive(Debug, Clone)]
pub struct Header {
    /// The header as exported (BOM removed), used for the output files.
    pub names: Vec<String>,
    /// For each declared column, the file column it was found in.
    pub columns: Vec<Option<usize>>,
    /// File columns no declaration claimed; kept in the outputs.
    pub extra: Vec<usize>,
}

/// Wraps the file: counts physical lines (the csv crate's own count drifts on
/// CRLF and blank lines) and fingerprints the bytes, in the same pass.
pub struct Tracked<R> {
    inner: R,
    sha: Sha256,
    /// Offset and length (1, or 2 for CRLF) of line breaks read but not yet passed by a record.
    breaks: VecDeque<(u64, u64)>,
    breaks_passed: u64,
    pos: u64,
    prev_cr: bool,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        self.sha.update(chunk);
        for (i, &b) in chunk.iter().enumerate() {
            // CRLF counts once, at the CR; a lone CR (old Mac exports) or LF counts too.
            let at = self.pos + i as u64;
            if b == b'\r' || (b == b'\n' && !self.prev_cr) {
                self.breaks.push_back((at, 1));
            } else if b == b'\n'
                && let Some(cr) = self.breaks.back_mut()
                && cr.0 + 1 == at
            {
                cr.1 = 2;
            }
            self.prev_cr = b == b'\r';
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
        let mut start = byte;
        while let Some(&(at, len)) = self.breaks.front()
            && at <= start
        {
            self.breaks.pop_front();
            self.breaks_passed += 1;
            start = start.max(at + len);
        }
        self.breaks_passed + 1
    }
}

pub struct CsvSource<R> {
    path: PathBuf,
    reader: csv::Reader<BufReader<Tracked<R>>>,
    encoding: Encoding,
    record: csv::ByteRecord,
    pub header: Header,
    pub rows_read: u64,
}

/// Header text reduced to what matters for matching: letters and digits, lower case.
pub fn normalise_header(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

impl CsvSource<File> {
    pub fn open(path: &Path, table: &Table, encoding: Encoding, delimiter: u8) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        CsvSource::open_reader(path, file, table, encoding, delimiter)
    }
}

impl<R: Read> CsvSource<R> {
    /// Read the header from `reader` (the contents of `path`) and match it to `table`.
    pub fn open_reader(path: &Path, reader: R, table: &Table, encoding: Encoding, delimiter: u8) -> Result<Self> {
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
            sha: Sha256::new(),
            breaks: VecDeque::new(),
            breaks_passed: 0,
            pos: 0,
            prev_cr: false,
        };
        let mut buffered = BufReader::with_capacity(1 << 20, tracked);
        let head = buffered.fill_buf().map_err(|e| Error::io(path, e))?;
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(err(1, None, InputErrorKind::Utf16));
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(1 << 20)
            .from_reader(buffered);
        let mut record = csv::ByteRecord::new();
        let got = reader
            .read_byte_record(&mut record)
            .map_err(|e| err(1, None, InputErrorKind::Csv(e.to_string())))?;
        if !got {
            return Err(err(1, None, InputErrorKind::Empty));
        }
        let mut names: Vec<String> = record.iter().map(|f| decode_lossy(f, encoding)).collect();
        if let Some(first) = names.first_mut()
            && let Some(rest) = first.strip_prefix('\u{feff}')
        {
            *first = rest.to_string();
        }
        let header = match_header(&names, table).map_err(|problems| {
            Error::Input(
                problems
                    .into_iter()
                    .map(|(column, kind)| InputError {
                        file: path.to_path_buf(),
                        line: 1,
                        column,
                        kind,
                    })
                    .collect(),
            )
        })?;
        Ok(CsvSource {
            path: path.to_path_buf(),
            reader,
            encoding,
            record,
            header,
            rows_read: 0,
        })
    }

    /// SHA-256 of every byte read so far (all of them, once the last batch is read).
    pub fn sha256(&self) -> String {
        crate::run::hex(&self.reader.get_ref().get_ref().sha.clone().finalize())
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
            let more = self.reader.read_byte_record(&mut self.record).map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                Error::Input(vec![InputError {
                    file: self.path.clone(),
                    line,
                    column: None,
                    kind: InputErrorKind::Csv(e.to_string()),
                }])
            })?;
            if !more {
                break;
            }
            records += 1;
            self.rows_read += 1;
            let byte = self.record.position().map_or(0, |p| p.byte());
            let line = self.reader.get_mut().get_mut().line_at(byte);
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

/// Match the export's header to the table's declared columns, tolerating
/// case, spacing and punctuation, and accepting declared aliases. Returns
/// every problem, each with the 1-based column it concerns where there is one.
pub fn match_header(
    names: &[String],
    table: &Table,
) -> std::result::Result<Header, Vec<(Option<u64>, InputErrorKind)>> {
    let mut problems = Vec::new();
    let normal: Vec<String> = names.iter().map(|n| normalise_header(n)).collect();
    let mut columns = Vec::with_capacity(table.columns.len());
    let mut claimed = vec![false; names.len()];
    for col in &table.columns {
        let wanted: Vec<String> = std::iter::once(&col.header)
            .chain(&col.aliases)
            .chain(std::iter::once(&col.name))
            .map(|h| normalise_header(h))
            .collect();
        let found: Vec<usize> = (0..names.len()).filter(|&i| wanted.contains(&normal[i])).collect();
        match found[..] {
            [i] => {
                claimed[i] = true;
                columns.push(Some(i));
            }
            [] if col.optional => columns.push(None),
            [] => {
                let want = normalise_header(&col.header);
                let close = (0..names.len())
                    .filter(|&i| !claimed[i])
                    .map(|i| (strsim::normalized_damerau_levenshtein(&want, &normal[i]), i))
                    .filter(|(score, _)| *score >= 0.75)
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, i)| i);
                columns.push(None);
                problems.push((
                    close.map(|i| i as u64 + 1),
                    InputErrorKind::MissingColumn {
                        table: table.name.clone(),
                        header: col.header.clone(),
                        suggestion: close.map(|i| names[i].trim().to_string()),
                    },
                ));
            }
            [a, b, ..] => {
                columns.push(None);
                problems.push((
                    Some(b as u64 + 1),
                    InputErrorKind::AmbiguousColumn {
                        header: col.header.clone(),
                        first: a + 1,
                        second: b + 1,
                    },
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let extra = (0..names.len()).filter(|&i| !claimed[i]).collect();
    Ok(Header {
        names: names.to_vec(),
        columns,
        extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
