//! Typed errors, grouped by the phase that found them.
//!
//! The library never prints: it returns these, and the binary decides how to
//! render them (see [`crate::model::diag`]). Every user-facing variant carries a
//! position, so the message can name the file, line and column.

use std::path::PathBuf;

use crate::model::diag::Diagnostic;

/// Everything that stops a run. A run that stops publishes nothing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Problems in the configuration or a rules file, all of them, not only the first.
    #[error("{} problem(s) in the configuration or rules files", .0.len())]
    Rules(Vec<Diagnostic>),

    /// Input exports that cannot be read as tables at all: every problem
    /// with every export's header, found before any row is checked.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Input(Vec<InputError>),

    /// The operating system refused a read or write.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A broken invariant that no user input should be able to cause.
    #[error("internal error: {0}")]
    Internal(String),

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
}

/// A whole-file problem with an input export, positioned at the offending line.
#[derive(Debug, thiserror::Error)]
#[error("{}:{}{}: {kind}", file.display(), line, column.map(|c| format!(":{c}")).unwrap_or_default())]
pub struct InputError {
    pub file: PathBuf,
    pub line: u64,
    pub column: Option<u64>,
    pub kind: InputErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum InputErrorKind {
    #[error("the file is empty: there is no header row")]
    Empty,
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
    #[error("could not read CSV: {0}")]
    Csv(String),
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
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
