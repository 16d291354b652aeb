//! Findings: what a rule found on a row, in any stage of a run.

use crate::model::table::Severity;

/// What a finding says beyond its rule's message.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    /// The row breaks the rule.
    Fail,
    /// Ingest's own finding (rule `usize::MAX`): the workbook cell holds an error value. (Ingest's
    /// other finding on a cell, a value not in the declared encoding, is a `Fail`.)
    CellError,
    /// The rule could not be evaluated because this column's value did not parse.
    Unparsed { column: usize },
    /// The rule could not be evaluated because a value it reads in another row of the record
    /// (this table's column, on this line) did not parse.
    UnparsedElsewhere { table: usize, column: usize, line: u64 },
    /// Evaluating the rule on this row raised an error.
    EvalError(String),
    /// Ingest's own finding (rule `usize::MAX`): an XML element in the row that no table reads,
    /// at `line` and `column`, with `more` others.
    UnknownElement {
        element: String,
        line: u64,
        column: u64,
        more: usize,
    },
    /// The row repeats the row on this line, which was kept.
    DuplicateOf { line: u64 },
    /// A related row in another table contradicts the rule: the table and its line.
    ContradictedBy { table: usize, line: u64 },
    /// The record is merged into the record on `line`, the same person's surviving record.
    MergedInto {
        line: u64,
        key: String,
        explanation: String,
    },
    /// The record may be (or is) the same person as the record on `line`, for the reasons given.
    SamePerson {
        table: usize,
        line: u64,
        key: String,
        same: bool,
        probability: f64,
        explanation: String,
    },
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: usize,
    /// Row within the batch.
    pub row: u32,
    pub column: Option<usize>,
    pub severity: Severity,
    pub detail: Detail,
}
