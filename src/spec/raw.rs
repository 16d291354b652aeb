//! The rules file as written: every key the format knows, with positions.
//!
//! Nothing here is validated beyond YAML syntax and unknown keys; the
//! validator in [`super`] turns this into the checked model and reports
//! every problem it finds, each pointing at the text to change.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::spec::yaml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPack {
    pub pack: Spanned<String>,
    pub version: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub code_lists: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub tables: BTreeMap<String, RawTable>,
    #[serde(default)]
    pub rules: Vec<RawRule>,
    /// Corrections not attached to a rule.
    #[serde(default)]
    pub corrections: Vec<RawCorrection>,
    /// The date `today` means when `cleanse test` runs this pack's examples, so examples about
    /// "the future" stay true as time passes (default: the day of the test).
    #[serde(default)]
    pub examples_as_of: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTable {
    #[serde(default)]
    pub description: Option<String>,
    /// Columns that identify a record in the exceptions report.
    #[serde(default)]
    pub key: Vec<Spanned<String>>,
    pub columns: Vec<RawColumn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawColumn {
    pub name: Spanned<String>,
    #[serde(default)]
    pub header: Option<Spanned<String>>,
    #[serde(default)]
    pub aliases: Vec<Spanned<String>>,
    #[serde(default, rename = "type")]
    pub ty: Option<Spanned<String>>,
    /// A code list: the name of one in `code_lists`, or the codes inline.
    #[serde(default)]
    pub codes: Option<Spanned<CodesRef>>,
    /// Date forms accepted (default: every UK form).
    #[serde(default)]
    pub date_formats: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub required: bool,
    /// The export may leave this column out entirely.
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum CodesRef {
    Named(String),
    Inline(Vec<String>),
}

/// Every key any rule kind takes; each kind says which of these it uses.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: Spanned<String>,
    pub table: Spanned<String>,
    pub kind: Spanned<String>,
    #[serde(default)]
    pub severity: Option<Spanned<String>>,
    pub message: Spanned<String>,
    #[serde(default)]
    pub docs: Option<Spanned<String>>,
    #[serde(default)]
    pub columns: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub when: Option<Spanned<String>>,
    #[serde(default)]
    pub check: Option<Spanned<String>>,
    #[serde(default)]
    pub min: Option<Spanned<Bound>>,
    #[serde(default)]
    pub max: Option<Spanned<Bound>>,
    #[serde(default)]
    pub pattern: Option<Spanned<String>>,
    #[serde(default)]
    pub date_of_birth: Option<Spanned<String>>,
    #[serde(default)]
    pub at: Option<Spanned<String>>,
    /// Another table, for cross-table kinds.
    #[serde(default)]
    pub references: Option<Spanned<String>>,
    /// The other table's key columns (default: the same names as `columns`).
    #[serde(default)]
    pub to: Option<Spanned<Vec<Spanned<String>>>>,
    /// `any` or `all` related rows must satisfy `check`.
    #[serde(default)]
    pub quantifier: Option<Spanned<String>>,
    /// For `periods`, `sequence` and `consistent`: the columns that group rows (e.g. the child).
    #[serde(default)]
    pub group: Option<Spanned<Vec<Spanned<String>>>>,
    /// For `sequence`: the column that orders rows within a group.
    #[serde(default)]
    pub order_by: Option<Spanned<String>>,
    /// For `periods`: the start and end date columns.
    #[serde(default)]
    pub start: Option<Spanned<String>>,
    #[serde(default)]
    pub end: Option<Spanned<String>>,
    /// For `periods`: also report gaps between consecutive periods.
    #[serde(default)]
    pub continuous: Option<Spanned<bool>>,
    /// For `row_count`: the largest change from the last run, as a percentage.
    #[serde(default)]
    pub max_change: Option<Spanned<Bound>>,
    /// For `same_person`: which columns hold the person's fields.
    #[serde(default)]
    pub person: Option<Spanned<RawPerson>>,
    /// For `same_person`: other tables whose rows carry a person's fields (and their id).
    #[serde(default)]
    pub also: Option<Spanned<Vec<Spanned<RawAlso>>>>,
    /// For `same_person`: the blocking rules (which records are compared).
    #[serde(default)]
    pub blocking: Option<Spanned<Vec<Spanned<String>>>>,
    /// For `same_person`: the comparisons scored.
    #[serde(default)]
    pub comparisons: Option<Spanned<Vec<Spanned<String>>>>,
    /// For `same_person`: the match probabilities that split pairs into bands.
    #[serde(default)]
    pub thresholds: Option<Spanned<RawThresholds>>,
    /// For `same_person`: weights fixed by the rules file instead of estimated, per comparison,
    /// one per level.
    #[serde(default)]
    pub weights: Option<Spanned<BTreeMap<String, Spanned<Vec<f64>>>>>,
    /// For `same_person`: merge the records of one person (the "same person" band).
    #[serde(default)]
    pub merge: Option<Spanned<RawMerge>>,
    /// A correction for what this rule finds.
    #[serde(default)]
    pub fix: Option<RawCorrection>,
    /// Rows the rule must pass and must report, run by `cleanse test`.
    #[serde(default)]
    pub examples: Vec<Spanned<RawExample>>,
}

/// The person fields of a `same_person` rule: each names a column of the rule's table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPerson {
    #[serde(default)]
    pub first_name: Option<Spanned<String>>,
    #[serde(default)]
    pub other_names: Option<Spanned<String>>,
    #[serde(default)]
    pub surname: Option<Spanned<String>>,
    #[serde(default)]
    pub date_of_birth: Option<Spanned<String>>,
    #[serde(default)]
    pub expected_date_of_birth: Option<Spanned<String>>,
    #[serde(default)]
    pub sex: Option<Spanned<String>>,
    #[serde(default)]
    pub postcode: Option<Spanned<String>>,
    #[serde(default)]
    pub nhs_number: Option<Spanned<String>>,
    #[serde(default)]
    pub upn: Option<Spanned<String>>,
    /// The record's id in the case-management system (default: the table's key).
    #[serde(default)]
    pub local_id: Option<Spanned<String>>,
}

impl RawPerson {
    /// Each field in [`crate::people::person::ROLES`] order.
    pub fn fields(&self) -> [Option<&Spanned<String>>; 9] {
        [
            self.first_name.as_ref(),
            self.other_names.as_ref(),
            self.surname.as_ref(),
            self.date_of_birth.as_ref(),
            self.expected_date_of_birth.as_ref(),
            self.sex.as_ref(),
            self.postcode.as_ref(),
            self.nhs_number.as_ref(),
            self.upn.as_ref(),
        ]
    }
}

/// Another table a `same_person` rule compares with its own: rows that carry a person's fields
/// under the id in `id` (e.g. contacts, with the child's name and date of birth).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlso {
    pub table: Spanned<String>,
    /// The column holding the person's id, as the rule's table's key.
    pub id: Spanned<String>,
    pub person: Spanned<RawPerson>,
}

/// How a `same_person` rule merges the records of one person.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMerge {
    /// How the surviving record is chosen, in order, each breaking the ties of the one before:
    /// `most_complete`, `most_recent: <date column>`, `preferred_source: <column>` with
    /// `sources: [...]`. The earliest line breaks any tie left.
    #[serde(default)]
    pub survivor: Vec<Spanned<String>>,
    /// For `most_recent`: the date column.
    #[serde(default)]
    pub recent: Option<Spanned<String>>,
    /// For `preferred_source`: the column naming the record's source, and the sources, most
    /// trusted first.
    #[serde(default)]
    pub source: Option<Spanned<String>>,
    #[serde(default)]
    pub sources: Vec<Spanned<String>>,
    /// Columns of other tables that hold this table's key: re-pointed to the survivor's.
    #[serde(default)]
    pub references: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThresholds {
    /// At or above: the same person.
    #[serde(default)]
    pub same: Option<Spanned<f64>>,
    /// At or above: a possible match, for review.
    #[serde(default)]
    pub possible: Option<Spanned<f64>>,
}

/// A correction as written: standalone under `corrections:`, or a rule's
/// `fix:` (which takes its id, table and columns from the rule).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCorrection {
    #[serde(default)]
    pub id: Option<Spanned<String>>,
    #[serde(default)]
    pub table: Option<Spanned<String>>,
    pub kind: Spanned<String>,
    /// `safe` (applied every run) or `review` (proposed until the run is told to apply it).
    pub apply: Spanned<String>,
    #[serde(default)]
    pub columns: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub when: Option<Spanned<String>>,
    #[serde(default)]
    pub docs: Option<Spanned<String>>,
    /// For `normalise`: `upper`, `lower` or `title`.
    #[serde(default)]
    pub case: Option<Spanned<String>>,
    /// For `map`: council wording to the value to write.
    #[serde(default)]
    pub synonyms: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    /// For `map`: a CSV file of synonyms (`from,to`), relative to the rules file.
    #[serde(default)]
    pub synonyms_file: Option<Spanned<String>>,
    /// For `date`: the form to write.
    #[serde(default)]
    pub format: Option<Spanned<String>>,
    /// For `set`: SQL giving the new value.
    #[serde(default)]
    pub value: Option<Spanned<String>>,
    /// For `fill`: `<table>.<column>` to copy from.
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    /// For `fill`: this table's columns matching the other table's key.
    #[serde(default)]
    pub key: Option<Spanned<Vec<Spanned<String>>>>,
    /// For `fill`: the other table's key columns (default: the same names as `key`).
    #[serde(default)]
    pub to: Option<Spanned<Vec<Spanned<String>>>>,
    /// Values before and after the correction, run by `cleanse test`.
    #[serde(default)]
    pub examples: Vec<Spanned<RawExample>>,
}

impl RawCorrection {
    /// The kind-specific keys that are present.
    pub fn present_params(&self) -> Vec<(&'static str, std::ops::Range<usize>)> {
        use crate::spec::yaml::span;
        let mut out = Vec::new();
        let mut add = |name, s: Option<std::ops::Range<usize>>| {
            if let Some(s) = s {
                out.push((name, s));
            }
        };
        add("case", self.case.as_ref().map(span));
        add("synonyms", self.synonyms.as_ref().map(span));
        add("synonyms_file", self.synonyms_file.as_ref().map(span));
        add("format", self.format.as_ref().map(span));
        add("value", self.value.as_ref().map(span));
        add("from", self.from.as_ref().map(span));
        add("key", self.key.as_ref().map(span));
        add("to", self.to.as_ref().map(span));
        out
    }
}

/// One example, as written. A rule's example is one of: `pass: {row}` (a row the rule must not
/// report), `fail: {row}` (a row it must report), or `rows: [...]` with `fail: [n, ...]` (which of
/// several rows it reports; `fail: true` or `false` for a rule about the whole table). A
/// correction's is `in: value` with `out: value` (a one-column correction), or `row: {row}` with
/// `out: {column: value}`. Any may add `other: {table: [rows]}`, rows of the other tables read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExample {
    #[serde(default)]
    pub pass: Option<RawRow>,
    #[serde(default)]
    pub fail: Option<RawFail>,
    #[serde(default)]
    pub rows: Option<Vec<RawRow>>,
    #[serde(default)]
    pub other: BTreeMap<String, Vec<RawRow>>,
    #[serde(default, rename = "in")]
    pub input: Option<Cell>,
    #[serde(default)]
    pub row: Option<RawRow>,
    #[serde(default)]
    pub out: Option<RawOut>,
}

/// An example row: column name to the text the export would hold.
pub type RawRow = BTreeMap<String, Cell>;

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawFail {
    Row(RawRow),
    Rows(Vec<u32>),
    Whole(bool),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawOut {
    Row(RawRow),
    Value(Cell),
}

/// A value in an example, as the export would hold it: YAML numbers and booleans are written
/// as text, and `~` (or nothing) is a blank cell.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Blank(()),
}

impl Cell {
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Float(x) => x.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Blank(()) => String::new(),
        }
    }
}

/// A range bound: a number, or text such as a date or `today - 6 years`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Bound {
    Int(i64),
    Float(f64),
    Text(String),
}

impl RawRule {
    /// The optional keys that are present, for checking them against the kind.
    pub fn present_params(&self) -> Vec<(&'static str, std::ops::Range<usize>)> {
        use crate::spec::yaml::span;
        let mut out = Vec::new();
        let mut add = |name, s: Option<std::ops::Range<usize>>| {
            if let Some(s) = s {
                out.push((name, s));
            }
        };
        add("columns", self.columns.as_ref().map(span));
        add("when", self.when.as_ref().map(span));
        add("check", self.check.as_ref().map(span));
        add("min", self.min.as_ref().map(span));
        add("max", self.max.as_ref().map(span));
        add("pattern", self.pattern.as_ref().map(span));
        add("date_of_birth", self.date_of_birth.as_ref().map(span));
        add("at", self.at.as_ref().map(span));
        add("references", self.references.as_ref().map(span));
        add("to", self.to.as_ref().map(span));
        add("quantifier", self.quantifier.as_ref().map(span));
        add("group", self.group.as_ref().map(span));
        add("order_by", self.order_by.as_ref().map(span));
        add("start", self.start.as_ref().map(span));
        add("end", self.end.as_ref().map(span));
        add("continuous", self.continuous.as_ref().map(span));
        add("max_change", self.max_change.as_ref().map(span));
        add("person", self.person.as_ref().map(span));
        add("blocking", self.blocking.as_ref().map(span));
        add("comparisons", self.comparisons.as_ref().map(span));
        add("thresholds", self.thresholds.as_ref().map(span));
        add("merge", self.merge.as_ref().map(span));
        add("weights", self.weights.as_ref().map(span));
        add("also", self.also.as_ref().map(span));
        out
    }
}
