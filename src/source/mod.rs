//! Sources: each export read once, as text, batch by batch, keeping every row.
//!
//! A reader (today [`csv`]) turns an export's bytes into [`RawBatch`]es of text, one column
//! per column of the file, each row with its line; rows that cannot be a record are set aside
//! as [`BadRow`]s, never dropped. Values stay text here; the rules decide types. The run opens
//! each export once, through [`csv::CsvSource::open`], and [`held`] keeps its batches between
//! the stages that need the whole table, so no stage reads an export again.

pub mod csv;
pub mod held;
pub mod parquet;
pub mod postcodes;
pub mod providers;
pub mod workbook;
pub mod xml;

use datafusion::arrow::array::ArrayRef;

use crate::model::error::InputErrorKind;
use crate::model::table::Table;

pub use csv::CsvSource;
pub use workbook::SheetSource;

/// An export opened for reading: a CSV file, a sheet of a workbook, or a Parquet file.
pub enum Source {
    Csv(CsvSource<std::fs::File>),
    Sheet(SheetSource),
    Parquet(parquet::ParquetSource),
    Xml(xml::XmlSource),
}

/// Per file column: whether a date read from a typed cell is written ISO (`yyyy-mm-dd`), for a
/// column declared to take only ISO dates, rather than day first (`dd/mm/yyyy`, as a UK
/// spreadsheet shows it and the DfE's forms take).
pub fn iso_dates(table: &Table, header: &Header) -> Vec<bool> {
    use crate::model::table::ColumnType;
    use crate::model::values::DateForms;
    let mut iso = vec![false; header.names.len()];
    for (col, at) in table.columns.iter().zip(&header.columns) {
        if let (ColumnType::Date(forms), Some(i)) = (&col.ty, at)
            && !forms.contains(DateForms::DMY)
            && !forms.contains(DateForms::DFE)
            && forms.contains(DateForms::ISO)
        {
            iso[*i] = true;
        }
    }
    iso
}

impl Source {
    /// Open the input's export and match its header to `table`: an XML return or a workbook
    /// (by its extension) through [`xml`] or [`workbook`], anything else as CSV.
    /// `books` keeps the workbooks opened so far, for the tables that share one; `documents`
    /// the XML returns read so far.
    pub fn open(
        input: &crate::spec::config::Input,
        table: &Table,
        batch_rows: usize,
        books: &mut workbook::Workbooks,
        documents: &mut xml::Documents,
    ) -> crate::model::error::Result<Source> {
        if crate::model::cells::is_xml(&input.path) {
            xml::XmlSource::open(&input.path, table, batch_rows, documents).map(Source::Xml)
        } else if crate::model::cells::is_workbook(&input.path) {
            SheetSource::open(&input.path, table, input.sheet.as_deref(), batch_rows, books).map(Source::Sheet)
        } else if crate::model::cells::is_parquet(&input.path) {
            parquet::ParquetSource::open(&input.path, table, batch_rows).map(Source::Parquet)
        } else {
            CsvSource::open(&input.path, table, input.dialect()).map(Source::Csv)
        }
    }

    pub fn header(&self) -> &Header {
        match self {
            Source::Csv(s) => &s.header,
            Source::Sheet(s) => &s.header,
            Source::Parquet(s) => &s.header,
            Source::Xml(s) => &s.header,
        }
    }

    /// The sheet read and the sheet column of the export's first column, for a workbook.
    pub fn sheet(&self) -> Option<(&str, u32)> {
        match self {
            Source::Csv(_) | Source::Parquet(_) | Source::Xml(_) => None,
            Source::Sheet(s) => Some((&s.sheet, s.first_column)),
        }
    }
}

/// Rules built into ingest: rows that could not be read as records.
pub mod ingest_rules {
    pub const RAGGED: &str = "ingest.ragged_row";
    pub const BLANK: &str = "ingest.blank_row";
    pub const UNCLOSED_QUOTE: &str = "ingest.unclosed_quote";
    pub const ENCODING: &str = "ingest.encoding";
    pub const CELL_ERROR: &str = "ingest.cell_error";
    pub const UNKNOWN_ELEMENT: &str = "ingest.unknown_element";

    /// Each with its message and what it means in practice, for run.json, the summary and
    /// `cleanse explain`.
    pub const ALL: &[(&str, &str, &str)] = &[
        (
            RAGGED,
            "Rows with a different number of fields from the header.",
            "Values on such a row may sit under the wrong headings, so the whole row is held back rather than read into the wrong columns; it usually means a stray delimiter or line break in the export.",
        ),
        (
            BLANK,
            "Entirely blank rows.",
            "A blank row carries no record; it is kept among the rejected rows so the row count still adds up.",
        ),
        (
            UNCLOSED_QUOTE,
            "Quotes that are opened and never closed.",
            "An unclosed quote makes the export's later lines read as one long value: the records on them are not checked at all until the quote is closed in the export. The finding names the line the quote opened on and how many lines it hid.",
        ),
        (
            ENCODING,
            "Values that are not valid in the declared encoding.",
            "Characters that cannot be read may be a name or a code mangled by the export; they were read with replacement characters, so the record is held back until the export's encoding is put right (or `encoding: auto` is set).",
        ),
        (
            CELL_ERROR,
            "Workbook cells holding an error value (#N/A, #REF!, #VALUE!) instead of a value.",
            "An error value is what a formula gave when what it reads was missing or broken: the cell holds no value of the record, so the record is held back until the cell is put right in the workbook.",
        ),
        (
            UNKNOWN_ELEMENT,
            "XML elements no table of the pack reads (a misspelt or misplaced element).",
            "An element the return's structure does not have is usually a value under the wrong name or in the wrong place: the value it holds would be lost, so the record it is in is held back, naming the element, its line and column.",
        ),
    ];
}

/// Why a row was set aside before any rule ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadRowKind {
    /// The row has a different number of fields from the header.
    Ragged { found: usize, expected: usize, lines: u64 },
    /// Every field is blank.
    Blank,
    /// A quoted value opened on line `opened` ran over `lines` more lines: past the end of the
    /// file (`to_end`), or further than [`Dialect::max_value_lines`]. The records on those lines
    /// were read as part of the value, so they were never checked.
    UnclosedQuote { opened: u64, lines: u64, to_end: bool },
    /// An XML element outside every table's rows, at `line` and `column` (`more` is 0): reported
    /// as a row of its own, as it is in none.
    UnknownElement {
        element: String,
        line: u64,
        column: u64,
        more: usize,
    },
}

#[derive(Debug, Clone)]
pub struct BadRow {
    pub line: u64,
    pub kind: BadRowKind,
    pub fields: Vec<String>,
}

/// A field ingest could not read as it should: a finding of ingest's own on that cell, which
/// holds its row back (the row is still read, so rules over whole tables see it).
#[derive(Debug, Clone)]
pub struct CellIssue {
    pub row: u32,
    pub file_column: u32,
    pub kind: IssueKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueKind {
    /// Not valid in the declared encoding.
    Encoding,
    /// A workbook cell holding an error value (`#N/A`, `#REF!`) rather than a value.
    CellError,
    /// In an XML return, an element in the row that no table reads, at `line` and `column`
    /// (with `more` others); `file_column` is unused.
    UnknownElement {
        element: String,
        line: u64,
        column: u64,
        more: usize,
    },
}

/// Up to `batch_rows` records, as one text column per file column.
#[derive(Debug)]
pub struct RawBatch {
    /// Line each row starts on (the header is line 1).
    pub lines: Vec<u64>,
    /// One `StringArray` per column of the file, in file order.
    pub columns: Vec<ArrayRef>,
    pub bad: Vec<BadRow>,
    pub cell_issues: Vec<CellIssue>,
    /// Fields read as Windows-1252 under `Encoding::Auto`.
    pub fields_1252: u64,
    /// The rows that can be written as they were read, when read from the export itself.
    pub verbatim: Option<Verbatim>,
    /// For an XML return: where each row's element and each value's are in the document.
    pub positions: Option<Box<Positions>>,
}

/// Where a batch's rows and values are in an XML return, so a finding names the element's line
/// and column: per row, its element's; per file column and row, the value's element's (none
/// for a value with no element: missing, or an id the reader counted).
#[derive(Debug, Clone, Default)]
pub struct Positions {
    rows: Vec<u64>,
    values: Vec<Vec<u64>>,
}

impl Positions {
    pub fn new(columns: usize) -> Self {
        Positions {
            rows: Vec::new(),
            values: vec![Vec::new(); columns],
        }
    }

    /// Add a row: its element's line and column, and each value's (`None`: no element).
    pub fn push(&mut self, row: (u64, u64), values: impl IntoIterator<Item = Option<(u64, u64)>>) {
        self.rows.push(pack(Some(row)));
        for (column, at) in self.values.iter_mut().zip(values) {
            column.push(pack(at));
        }
    }

    /// The line and column of the element of `row`'s value in file column `column`, if the
    /// document has one.
    pub fn value(&self, row: usize, column: usize) -> Option<(u64, u64)> {
        let p = *self.values.get(column)?.get(row)?;
        (p != 0).then_some((p >> 32, p & 0xFFFF_FFFF))
    }

    /// Where a finding on `row` is, about file column `column` if one: `line:column` of the
    /// value's element, else of the row's.
    pub fn cell(&self, row: usize, column: Option<usize>) -> String {
        let at = column
            .and_then(|c| self.values.get(c)?.get(row).copied())
            .filter(|&p| p != 0)
            .or_else(|| self.rows.get(row).copied())
            .unwrap_or(0);
        match at {
            0 => String::new(),
            p => format!("{}:{}", p >> 32, p & 0xFFFF_FFFF),
        }
    }
}

/// A line and column in one number (0: none); lines and columns past `u32::MAX` are clamped.
fn pack(at: Option<(u64, u64)>) -> u64 {
    at.map_or(0, |(line, column)| {
        (line.min(u32::MAX as u64) << 32) | column.min(u32::MAX as u64)
    })
}

/// A batch's records as the export held them, for the rows whose bytes are already what the
/// corrected output writes for them, unless a correction changes them: comma separated, no
/// quotes, text in the export's own encoding, and no value starting with a formula character
/// (see [`crate::model::values::FORMULA_STARTS`]). Writing those bytes whole is a third of the
/// cost of writing the values one by one.
pub struct Verbatim {
    /// The chunk the batch was parsed from.
    bytes: Vec<u8>,
    /// Per row: its record's bytes in `bytes`, if it can be written as read.
    spans: Vec<Option<(u32, u32)>>,
}

impl Verbatim {
    /// `spans`: ranges in `bytes`, which must be shorter than `u32::MAX`.
    pub(crate) fn new(bytes: Vec<u8>, spans: Vec<Option<(u32, u32)>>) -> Self {
        Verbatim { bytes, spans }
    }

    /// The bytes of `row`'s record, if it can be written as read.
    pub fn row(&self, row: usize) -> Option<&[u8]> {
        let (start, end) = self.spans.get(row).copied().flatten()?;
        Some(&self.bytes[start as usize..end as usize])
    }
}

/// The bytes are a child's record: never printed.
impl std::fmt::Debug for Verbatim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rows = self.spans.iter().filter(|s| s.is_some()).count();
        write!(f, "Verbatim {{ {rows} of {} rows }}", self.spans.len())
    }
}

impl RawBatch {
    pub fn num_rows(&self) -> usize {
        self.lines.len()
    }

    /// The batch's text in declared column order (`header`: declared column → file column),
    /// blank where the export has no such column.
    pub fn declared(&self, header: &[Option<usize>]) -> Vec<ArrayRef> {
        let n = self.num_rows();
        header
            .iter()
            .map(|c| match c {
                Some(i) => std::sync::Arc::clone(&self.columns[*i]),
                None => std::sync::Arc::new(datafusion::arrow::array::StringArray::from(vec![""; n])) as ArrayRef,
            })
            .collect()
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
    /// For a sheet of a workbook: its name, and the sheet column (0-based) of the export's first
    /// column, so a finding can name its cell.
    pub sheet: Option<(String, u32)>,
}

impl Header {
    /// Where a data officer finds the record on `line` (and, if known, its value in file
    /// column `column`) in a workbook: `'List 3'!F17`, or the row, `'List 3'!17:17`. Blank for a
    /// CSV export, whose line says it.
    pub fn cell(&self, line: u64, column: Option<usize>) -> String {
        match &self.sheet {
            Some((sheet, first)) => crate::model::cells::cell_reference(sheet, line, column.map(|c| first + c as u32)),
            None => String::new(),
        }
    }
}

/// Header text reduced to what matters for matching: letters and digits, lower case.
pub fn normalise_header(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Match the export's header to the table's declared columns, tolerating
/// case, spacing and punctuation, and accepting declared aliases. Returns
/// every problem, each with the 1-based column it concerns where there is one.
/// How many of the table's columns (those it cannot do without) a header row lacks: what a
/// search for the header row ranks rows by, cheaply, before [`match_header`] explains the
/// closest with suggestions.
pub fn columns_missing(names: &[String], table: &Table) -> usize {
    let normal: std::collections::HashSet<String> = names.iter().map(|n| normalise_header(n)).collect();
    table
        .columns
        .iter()
        .filter(|col| !col.optional)
        .filter(|col| {
            !std::iter::once(&col.header)
                .chain(&col.aliases)
                .chain(std::iter::once(&col.name))
                .any(|h| normal.contains(&normalise_header(h)))
        })
        .count()
}

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
                let kind = if normal[a] == normal[b] {
                    InputErrorKind::RepeatedHeader {
                        header: names[b].trim().to_string(),
                        first: a + 1,
                        second: b + 1,
                    }
                } else {
                    InputErrorKind::AmbiguousColumn {
                        header: col.header.clone(),
                        first: a + 1,
                        second: b + 1,
                    }
                };
                problems.push((Some(b as u64 + 1), kind));
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
        sheet: None,
    })
}

/// An export's batches as routing reads them: straight from the file, or held since the run's
/// one pass over it (see [`held`]).
#[allow(
    clippy::large_enum_variant,
    reason = "one per export per stage: boxing would save nothing that matters"
)]
pub enum Batches {
    File(Source),
    Held {
        reader: held::HeldReader,
        /// What the pass found: records read, SHA-256 of the bytes, time spent reading them.
        read: Ingested,
    },
}

/// What reading an export found, besides its rows.
#[derive(Debug, Clone, Default)]
pub struct Ingested {
    pub rows: u64,
    /// Bytes read from the export.
    pub bytes: u64,
    pub sha256: String,
    pub time: std::time::Duration,
}

/// The next batch of an export, as the reading thread hands it on: ready, or being parsed on
/// the pool (with the time parsing took).
enum Next {
    Parsing(std::sync::mpsc::Receiver<std::thread::Result<(held::Batch, std::time::Duration)>>),
    Ready(held::Batch),
}

impl Next {
    /// Parse `chunk` on the pool, as soon as a thread is free.
    fn parse(chunk: csv::Chunk) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        rayon::spawn(move || {
            // A panic is sent on rather than left to rayon, which would abort the process: the
            // run carries it on where it waits for this batch.
            let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let started = std::time::Instant::now();
                let raw = chunk.parse();
                let batch = held::Batch {
                    raw,
                    changes: Vec::new(),
                };
                (batch, started.elapsed())
            }));
            // Nothing receives it only when the run has stopped on an error.
            let _ = tx.send(parsed);
        });
        Next::Parsing(rx)
    }

    /// The batch, once parsed, and the time parsing it took.
    fn wait(self) -> (held::Batch, std::time::Duration) {
        let rx = match self {
            Next::Parsing(rx) => rx,
            Next::Ready(batch) => return (batch, std::time::Duration::ZERO),
        };
        rx.recv()
            .expect("the parsing job always sends, even when it panics")
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

impl Batches {
    /// The next batch; an export's chunks are parsed on the pool (`parse_on_pool`) or on this thread.
    fn next(&mut self, batch_rows: usize, parse_on_pool: bool) -> crate::model::error::Result<Option<Next>> {
        match self {
            Batches::File(Source::Csv(source)) => Ok(source.next_chunk(batch_rows)?.map(|chunk| match parse_on_pool {
                true => Next::parse(chunk),
                false => Next::Ready(held::Batch {
                    raw: chunk.parse(),
                    changes: Vec::new(),
                }),
            })),
            Batches::File(Source::Sheet(source)) => Ok(source.next_batch()?.map(|raw| {
                Next::Ready(held::Batch {
                    raw,
                    changes: Vec::new(),
                })
            })),
            Batches::File(Source::Parquet(source)) => Ok(source.next_batch()?.map(|raw| {
                Next::Ready(held::Batch {
                    raw,
                    changes: Vec::new(),
                })
            })),
            Batches::File(Source::Xml(source)) => Ok(source.next_batch()?.map(|raw| {
                Next::Ready(held::Batch {
                    raw,
                    changes: Vec::new(),
                })
            })),
            Batches::Held { reader, .. } => Ok(reader.next_batch()?.map(Next::Ready)),
        }
    }

    /// Once every batch is read: what reading found (`time`: the reading this call does not
    /// see, added to what it does).
    pub fn finish(self, time: std::time::Duration) -> Ingested {
        match self {
            Batches::File(Source::Csv(source)) => Ingested {
                rows: source.rows_read,
                bytes: source.bytes_read(),
                sha256: source.sha256(),
                time,
            },
            Batches::File(Source::Sheet(source)) => Ingested {
                rows: source.rows_read,
                bytes: source.bytes_read(),
                sha256: source.sha256(),
                time,
            },
            Batches::File(Source::Parquet(source)) => Ingested {
                rows: source.rows_read,
                bytes: source.bytes_read(),
                sha256: source.sha256(),
                time,
            },
            Batches::File(Source::Xml(source)) => Ingested {
                rows: source.rows_read,
                bytes: source.bytes_read(),
                sha256: source.sha256(),
                time,
            },
            Batches::Held { read, .. } => Ingested {
                time: read.time + time,
                ..read
            },
        }
    }
}

impl Batches {
    /// Read every batch on a thread of its own and hand them to `each` in order, a few per core
    /// at a time (so `each` can work on them in parallel while the next are read). The reading
    /// thread cuts an export into chunks of records and has the pool parse them while `each`
    /// works, so no core waits on the reading. Returns what reading found (its time: the
    /// reading thread's and the parsing's). An error stops the reading and is returned as it
    /// was raised. Called on a thread of the pool (runs started in parallel, as `cleanse test`
    /// does), the reading thread parses too: waiting here for the pool could hold the very
    /// threads the parsing needs.
    pub fn stream(
        mut self,
        batch_rows: usize,
        mut each: impl FnMut(Vec<held::Batch>) -> crate::model::error::Result<()>,
    ) -> crate::model::error::Result<Ingested> {
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        let parse_on_pool = rayon::current_thread_index().is_none();
        let reader = std::thread::spawn(move || {
            let mut time = std::time::Duration::ZERO;
            loop {
                let t = std::time::Instant::now();
                let next = self.next(batch_rows, parse_on_pool);
                time += t.elapsed();
                let more = matches!(next, Ok(Some(_)));
                if next.transpose().is_some_and(|b| tx.send(b).is_err()) || !more {
                    break;
                }
            }
            self.finish(time)
        });
        let group = rayon::current_num_threads().max(1) * 2;
        let mut parsing = std::time::Duration::ZERO;
        let result = (|| {
            loop {
                let mut got = Vec::with_capacity(group);
                for next in rx.iter().take(group) {
                    let (batch, took) = next?.wait();
                    parsing += took;
                    got.push(batch);
                }
                if got.is_empty() {
                    return Ok(());
                }
                each(got)?;
            }
        })();
        // On an error the reader stops at its next batch, as nothing receives it.
        drop(rx);
        // A panic on the reader thread is a bug already reported on stderr: carry it on, as is.
        let ingested = reader.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        result.map(|()| Ingested {
            time: ingested.time + parsing,
            ..ingested
        })
    }
}
