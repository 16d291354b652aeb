//! Naming things in a pack: where a rule is written, and the help for a table or column
//! that is not there.

use std::path::PathBuf;
use std::sync::Arc;

use crate::model::diag::{Diagnostic, SourceFile, did_you_mean};
use crate::model::table::{Column, Table};
use crate::spec::yaml::{Spanned, span};

/// Where a rule or correction is written in its pack, so `cleanse explain` can send a reader there.
#[derive(Debug, Clone)]
pub struct Declared {
    pub path: PathBuf,
    /// 1-based.
    pub line: usize,
}

impl Declared {
    pub fn at(file: &SourceFile, offset: usize) -> Declared {
        Declared {
            path: file.path.clone(),
            line: file.line_col(offset).0,
        }
    }
}

pub(crate) fn tables_help(name: &str, tables: &[Table]) -> String {
    let names = || tables.iter().map(|t| t.name.as_str());
    did_you_mean(name, names()).unwrap_or_else(|| {
        if tables.is_empty() {
            "no rule pack here declares any tables: declare them under `tables:`".to_string()
        } else {
            format!("tables: {}", names().collect::<Vec<_>>().join(", "))
        }
    })
}

pub(crate) fn unknown_column(
    file: &Arc<SourceFile>,
    name: &Spanned<String>,
    table: &str,
    columns: &[Column],
) -> Diagnostic {
    Diagnostic::new(
        "unknown-column",
        file,
        span(name),
        format!("table `{table}` has no column `{}`", name.value),
    )
    .label("unknown column")
    .help(
        did_you_mean(&name.value, columns.iter().map(|c| c.name.as_str())).unwrap_or_else(|| {
            format!(
                "columns of `{table}`: {}",
                columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
            )
        }),
    )
}

/// Where `word` appears as a whole identifier in `sql` (case-insensitive).
pub fn find_word(sql: &str, word: &str) -> Option<std::ops::Range<usize>> {
    let lower = sql.to_lowercase();
    let w = word.to_lowercase();
    let bytes = lower.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut from = 0;
    while let Some(i) = lower[from..].find(&w) {
        let s = from + i;
        let e = s + w.len();
        if (s == 0 || !is_ident(bytes[s - 1])) && (e >= bytes.len() || !is_ident(bytes[e])) {
            return Some(s..e);
        }
        from = e;
    }
    None
}
