//! Tables as a rule pack declares them: columns, their types and code lists, and how much a
//! finding matters. What every layer means by a table.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::DFSchema;
use serde::Serialize;

use super::values::{self, DateForms};

/// How much a finding matters. An `error` rejects the row; the others keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub const NAMES: &[&str] = &["error", "warning", "info"];

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A code list's index.
pub type CodeMap = HashMap<String, u32, foldhash::fast::RandomState>;

/// A named list of allowed codes, with the lookups typing needs.
#[derive(Debug)]
pub struct CodeList {
    pub name: String,
    pub codes: Vec<String>,
    /// Each code as written, to its index in `codes`. Looked up for every value of a code
    /// column, so hashed with foldhash rather than SipHash (no untrusted keys: the codes are
    /// the pack's).
    pub exact: CodeMap,
    /// Normalised form (see [`values::normalise_code`]) to index in `codes`.
    pub loose: CodeMap,
}

impl CodeList {
    pub fn new(name: String, codes: Vec<String>) -> Self {
        let mut loose = CodeMap::default();
        let mut exact = CodeMap::default();
        let mut buf = String::new();
        for (i, c) in codes.iter().enumerate() {
            exact.entry(c.clone()).or_insert(i as u32);
            values::normalise_code(c, &mut buf);
            loose.entry(buf.clone()).or_insert(i as u32);
        }
        CodeList {
            name,
            codes,
            exact,
            loose,
        }
    }
}

/// The type a column's text is read as.
#[derive(Debug, Clone)]
pub enum ColumnType {
    Text,
    Date(DateForms),
    Integer,
    Decimal,
    Code(Arc<CodeList>),
}

impl ColumnType {
    pub const NAMES: &[&str] = &["text", "date", "integer", "decimal", "code"];

    pub fn name(&self) -> &'static str {
        match self {
            ColumnType::Text => "text",
            ColumnType::Date(_) => "date",
            ColumnType::Integer => "integer",
            ColumnType::Decimal => "decimal",
            ColumnType::Code(_) => "code",
        }
    }

    /// The Arrow type rules see for this column.
    pub fn arrow(&self) -> DataType {
        match self {
            ColumnType::Text | ColumnType::Code(_) => DataType::Utf8,
            ColumnType::Date(_) => DataType::Date32,
            ColumnType::Integer => DataType::Int64,
            ColumnType::Decimal => DataType::Float64,
        }
    }

    /// What a value should look like, for messages.
    pub fn describe(&self) -> String {
        match self {
            ColumnType::Text => "text".into(),
            // A column taking only the ISO form (an XML return's dates) says so.
            ColumnType::Date(f)
                if f.contains(DateForms::ISO) && !f.contains(DateForms::DMY) && !f.contains(DateForms::DFE) =>
            {
                "a valid date (yyyy-mm-dd)".into()
            }
            ColumnType::Date(_) => "a valid date (dd/mm/yyyy)".into(),
            ColumnType::Integer => "a whole number".into(),
            ColumnType::Decimal => "a number".into(),
            ColumnType::Code(l) if l.codes.len() <= 6 => format!("one of {}", l.codes.join(", ")),
            ColumnType::Code(l) => format!("one of the {} `{}` codes", l.codes.len(), l.name),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    /// The name rules use (snake_case).
    pub name: String,
    /// The header the export is expected to have.
    pub header: String,
    pub aliases: Vec<String>,
    pub ty: ColumnType,
    /// The export may leave the column out.
    pub optional: bool,
    /// Values must not be blank (adds the `<table>.<column>.required` rule).
    pub required: bool,
    /// In an XML return, the path from the row element to the value (default: the child
    /// element named as the header); see [`super::xml`].
    pub xml: Option<super::xml::XmlPath>,
}

/// Name under which a column's untouched text is visible to checks.
pub fn raw_name(column: &str) -> String {
    format!("raw:{column}")
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub description: String,
    pub columns: Vec<Column>,
    /// Indices of the columns that identify a record.
    pub key: Vec<usize>,
    /// What checks see: typed columns by name, then each column's raw text.
    pub schema: Arc<DFSchema>,
    pub pack: String,
    /// The column naming whom a record is about (the pack's `report_by`, e.g. the child),
    /// when this table has it: the exceptions are listed by its values too.
    pub report_by: Option<usize>,
    /// In an XML return, the path of the element each row is, from the root (see
    /// [`super::xml`]); `None` for a table that cannot be read from one.
    pub element: Option<Vec<String>>,
}

impl Table {
    /// A table of text columns, each named as its header, for tests of reading and writing.
    #[cfg(test)]
    pub(crate) fn of_text(name: &str, columns: &[&str]) -> Table {
        let column = |&c: &&str| Column {
            name: c.into(),
            header: c.into(),
            aliases: Vec::new(),
            ty: ColumnType::Text,
            optional: false,
            required: false,
            xml: None,
        };
        Table {
            name: name.into(),
            description: String::new(),
            columns: columns.iter().map(column).collect(),
            key: Vec::new(),
            schema: Arc::new(datafusion::common::DFSchema::empty()),
            pack: String::new(),
            report_by: None,
            element: None,
        }
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// A record's key as every report names it: its key columns' values (`value` of a declared
    /// column), trimmed, joined by " | ".
    pub fn record_key<'a>(&self, mut value: impl FnMut(usize) -> &'a str) -> String {
        let mut out = String::new();
        for (i, &k) in self.key.iter().enumerate() {
            if i > 0 {
                out.push_str(" | ");
            }
            out.push_str(value(k).trim());
        }
        out
    }
}
