//! Typed errors, grouped by the phase that found them.
//!
//! The library never prints: it returns these, and the binary decides how to
//! render them (see [`crate::model::diag`] and `cli::render_error`). Every variant a user can
//! meet names the file it is about (and, where known, the line), so the message can say where
//! to look. A broken invariant of Cleanse itself is not an error a user can be given: it is an
//! `expect` or `unreachable!` whose message states the invariant.

use std::path::{Path, PathBuf};

use datafusion::error::DataFusionError;

use crate::model::diag::Diagnostic;

/// Everything that stops a run. A run that stops publishes nothing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Configuration and rules: problems in the configuration or a rules file, all of them, not
    /// only the first.
    #[error("{} problem(s) in the configuration or rules files", .0.len())]
    Rules(Vec<Diagnostic>),

    /// A rule that validation accepted but that could not be planned, or evaluated on the
    /// exports' values (a condition that fails on some value, say), named with where it is written.
    #[error(
        "{}rule `{rule}` on table `{table}` could not be {phase}: {}",
        declared.as_ref().map(|(path, line)| format!("{}:{line}: ", path.display())).unwrap_or_default(),
        source.strip_backtrace()
    )]
    Rule {
        rule: String,
        table: String,
        /// The rules file and line the rule is written on; `None` for a rule a column's
        /// declaration implies.
        declared: Option<(PathBuf, usize)>,
        phase: RulePhase,
        #[source]
        source: DataFusionError,
    },

    /// Input exports that cannot be read as tables at all: every problem
    /// with every export's header, found before any row is checked.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Input(Vec<InputError>),

    /// The operating system refused a read or write of `path`: for an output, the output's own
    /// path, never the export it came from.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file or folder of the history (`OUT/history/`) that does not read, or cannot be kept,
    /// as Cleanse writes it: damaged, truncated, or put there by hand.
    #[error("{}: {problem}", path.display())]
    History { path: PathBuf, problem: HistoryProblem },

    /// A path Cleanse will not read or write through: a symbolic link where it writes, a name
    /// that would leave the output folder, a run id that is not one. Refused before any harm.
    #[error("{}: {reason}", path.display())]
    Refused { path: PathBuf, reason: String },
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A JSON writer's error on `path`: the operating system's own error when it is one (its
    /// kind kept); the JSON error as the source otherwise.
    pub fn json(path: impl Into<PathBuf>, source: serde_json::Error) -> Self {
        Error::io(path, std::io::Error::from(source))
    }

    /// A file of the history at `path` that does not read.
    pub fn history(path: &Path, problem: HistoryProblem) -> Self {
        Error::History {
            path: path.to_path_buf(),
            problem,
        }
    }
}

/// What a rule was being put through when it failed: see [`Error::Rule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RulePhase {
    /// Turned into an expression over a batch of rows.
    Planned,
    /// Evaluated over the whole table (and the tables it relates to).
    Evaluated,
}

impl std::fmt::Display for RulePhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RulePhase::Planned => "planned",
            RulePhase::Evaluated => "evaluated over the whole table",
        })
    }
}

/// How a history file does not read: see [`Error::History`].
#[derive(Debug, thiserror::Error)]
pub enum HistoryProblem {
    /// A query over it failed: not Parquet, truncated, or not the columns the history writes.
    #[error("the history does not read: the query failed ({}); the file may be damaged", .0.strip_backtrace())]
    Query(#[source] DataFusionError),
    #[error("the history does not read: it holds no run; the file may be damaged")]
    NoRun,
    #[error("the history does not read: its run.json does not read ({0}); the file may be damaged")]
    RunJson(#[source] serde_json::Error),
    #[error(
        "the history does not read: its run's as-of date `{}` does not read ({source}); the file may be damaged",
        value.escape_debug()
    )]
    AsOf {
        value: String,
        #[source]
        source: chrono::ParseError,
    },
    /// Where the history keeps a kind of file, something that is not a folder.
    #[error("the history cannot be kept: this should be a folder, and is not; move it away and run again")]
    NotAFolder,
}

/// A whole-file problem with an input export, positioned at the offending line (for a CSV
/// export: `file:line:column`), or the sheet and cell (for a workbook: `file: 'List 3'!F2`).
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {kind}", file.display(), self.place())]
pub struct InputError {
    pub file: PathBuf,
    /// The line (for a workbook: the row, as Excel numbers it); 0 for the whole file or sheet.
    pub line: u64,
    /// 1-based; for a workbook, the sheet's column.
    pub column: Option<u64>,
    /// The sheet, when the file is a workbook and the problem is in one sheet.
    pub sheet: Option<String>,
    pub kind: InputErrorKind,
}

impl InputError {
    /// A problem at `line` (and `column`) of a CSV export.
    pub fn at(file: &Path, line: u64, column: Option<u64>, kind: InputErrorKind) -> Self {
        InputError {
            file: file.to_path_buf(),
            line,
            column,
            sheet: None,
            kind,
        }
    }

    fn place(&self) -> String {
        match (&self.sheet, self.line) {
            (Some(sheet), 0) => format!(": sheet `{sheet}`"),
            (Some(sheet), row) => {
                let column = self.column.map(|c| (c - 1) as u32);
                format!(": {}", crate::model::cells::cell_reference(sheet, row, column))
            }
            (None, 0) => String::new(),
            (None, line) => format!(":{line}{}", self.column.map(|c| format!(":{c}")).unwrap_or_default()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InputErrorKind {
    #[error("the file is empty: there is no header row")]
    Empty,
    #[error("the sheet is empty: there is no header row")]
    EmptySheet,
    #[error("missing column `{header}` (table `{table}`){}", suggestion.as_ref().map(|s| format!("; the header has `{s}`, is that it? If so, add it to the column's `aliases`")).unwrap_or_default())]
    MissingColumn {
        table: String,
        header: String,
        suggestion: Option<String>,
    },
    #[error("columns {first} and {second} both match `{header}`; rename one or remove the alias")]
    AmbiguousColumn {
        header: String,
        first: usize,
        second: usize,
    },
    #[error("the file is UTF-16 encoded; export it as UTF-8 or Windows-1252 (CSV UTF-8 in Excel's Save As)")]
    Utf16,
    #[error("this is not a text file{}; export the table as CSV (in Excel: File, Save As, CSV UTF-8)", looks_like.map(|w| format!(": it looks like {w}")).unwrap_or_default())]
    NotText { looks_like: Option<&'static str> },
    #[error(
        "the header seems to start on line {line}: the lines above it look like a title or notes. Add `skip_lines: {skip}` to this input in the configuration to pass over them"
    )]
    HeaderFurtherDown { line: u64, skip: u64 },
    #[error(
        "the header `{header}` appears twice, in columns {first} and {second}; remove or rename one of them in the export"
    )]
    RepeatedHeader {
        header: String,
        first: usize,
        second: usize,
    },
    #[error(
        "the record starting on this line runs over more than {mib} MiB: a quote opened on it (or soon after) is probably never closed. Close it in the export and run again"
    )]
    RecordTooLarge { mib: u64 },
    #[error(
        "the workbook is password-protected, and Cleanse cannot read an encrypted workbook: in Excel, File, Info, Protect Workbook, Encrypt with Password, clear the password and save it (keep the file where only the data team can reach it)"
    )]
    PasswordProtected,
    #[error(
        "the workbook cannot be read ({problem}): it may be damaged or only partly copied; open it in Excel and save it again"
    )]
    CorruptWorkbook { problem: String },
    #[error(
        "this is not a workbook{}; name an Excel workbook (.xlsx, .xlsm, .xlsb, .xls) or an OpenDocument spreadsheet (.ods)",
        looks_like.map(|w| format!(": it looks like {w}")).unwrap_or_default()
    )]
    NotWorkbook { looks_like: Option<&'static str> },
    #[error(
        "the workbook has no sheet `{sheet}`{}; its sheets are {}",
        suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default(),
        quoted(sheets)
    )]
    NoSuchSheet {
        sheet: String,
        sheets: Vec<String>,
        suggestion: Option<String>,
    },
    #[error(
        "no visible sheet has a header that matches table `{table}` (sheets tried: {}); name the sheet with `sheet:` on this input to see what its header lacks",
        quoted(sheets)
    )]
    NoMatchingSheet { table: String, sheets: Vec<String> },
    #[error(
        "more than one sheet has a header that matches table `{table}` ({}); name the one to read with `sheet:` on this input",
        quoted(sheets)
    )]
    SeveralSheetsMatch { table: String, sheets: Vec<String> },
    #[error("this is not a Parquet file Cleanse can read ({problem}); export the table again as Parquet, or as CSV")]
    NotParquet { problem: String },
    #[error("column `{column}` cannot be read as text: {problem}")]
    UnreadableColumn { column: String, problem: String },
    #[error(
        "not one of Ofsted's provider lists: no visible sheet has a header with `URN` beside placement or provider codes; name the Children's Homes and Social Care Providers workbooks (or the combined one) as Ofsted publishes them"
    )]
    NotProviderList,
    #[error(
        "table `{table}` declares no `element`, so it cannot be read from an XML return; add `element:` to it in the pack (the path of the element each row is, from the root)"
    )]
    NoElement { table: String },
    #[error("the XML document is not well-formed: {problem}")]
    MalformedXml { problem: String },
    #[error("the XML document is not UTF-8 here; save it as UTF-8 (as the DfE's schema requires) and run again")]
    XmlNotUtf8,
    #[error(
        "the document's root element is <{found}>, where the pack's tables expect <{expected}>: is this the right return?"
    )]
    XmlWrongRoot { found: String, expected: String },
    #[error(
        "a correction changes the value of <{element}>, which holds other elements or markup rather than a value, so it cannot be written back into the document"
    )]
    XmlNotAValue { element: String },
    #[error("a column of table `{table}` has an `xml` path that goes above the document's root")]
    XmlPathAboveRoot { table: String },
    /// Reference data (the ONS postcode directory) that does not read as what it should be.
    #[error("not a postcode directory: {problem}")]
    NotPostcodeDirectory { problem: String },
}

/// `a`, `b` and `c`, each in backquotes.
fn quoted(names: &[String]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match q.split_last() {
        None => "none".to_string(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
