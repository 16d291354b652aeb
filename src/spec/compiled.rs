//! What a rule compiles to: the checks the engine evaluates, and the rule around them.

use std::sync::Arc;

use datafusion::logical_expr::Expr;

use super::names::Declared;
use super::whole::WholeTable;
use crate::model::table::Severity;

/// One check a rule makes, evaluated over a whole batch at once.
#[derive(Debug, Clone)]
pub struct RowCheck {
    /// The column the finding is about (its value goes in the report).
    pub column: Option<usize>,
    /// Rows the check applies to; `None` means every row.
    pub when: Option<Expr>,
    /// True for rows that pass. NULL means "not applicable" when the inputs
    /// are blank, and "cannot evaluate" when an input failed to parse.
    pub pass: Expr,
    /// Typed columns `pass` reads, to tell those two NULLs apart.
    pub reads: Vec<usize>,
    pub when_reads: Vec<usize>,
}

/// What a compiled rule does, by the shape of its evaluation (not by kind): the engine runs
/// each shape its own way, and a kind picks the shape that fits.
#[derive(Debug, Clone)]
pub enum Check {
    /// Batch by batch, each row on its own, in parallel.
    Row(Row),
    /// In file order, each row against the rows before it.
    Ordered(Ordered),
    /// Over whole tables, as the kind's own DataFusion plan.
    WholeTable(Arc<dyn WholeTable>),
    /// Once for a whole table (a return-level rule), never on a row.
    Return(Return),
    /// Records that are the same person under different ids (the duplicate finder).
    People(Box<crate::people::request::SamePerson>),
}

/// Row checks.
#[derive(Debug, Clone)]
pub enum Row {
    /// Vectorised predicates over the typed batch.
    Predicates(Vec<RowCheck>),
    /// Values of this column that did not parse as its type (and, with `required`, blanks).
    Type { column: usize, required: bool },
    /// Code values that matched only ignoring case and spacing.
    CodeForm { column: usize },
}

/// Checks in file order (the first row is kept).
#[derive(Debug, Clone)]
pub enum Ordered {
    /// No two rows share these columns' values.
    Unique { columns: Vec<usize> },
    /// No row repeats an earlier row exactly.
    DuplicateRows,
}

/// Return-level checks: figures about a whole table.
#[derive(Debug, Clone)]
pub enum Return {
    /// The share of rows meeting a condition.
    Share(Box<Share>),
    /// The number of rows, and its change from the last run.
    RowCount(RowCount),
}

/// A share of rows, as a fraction, must be within bounds.
#[derive(Debug, Clone)]
pub struct Share {
    /// The rows counted.
    pub check: Expr,
    pub reads: Vec<usize>,
    /// The rows counted among (default: all).
    pub when: Option<Expr>,
    pub when_reads: Vec<usize>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// Bounds on a table's number of records.
#[derive(Debug, Clone)]
pub struct RowCount {
    pub min: Option<u64>,
    pub max: Option<u64>,
    /// Largest change from the last run, as a fraction of its count.
    pub max_change: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub table: usize,
    pub kind: &'static str,
    pub severity: Severity,
    pub message: String,
    pub docs: String,
    pub columns: Vec<usize>,
    pub check: Check,
    pub pack: String,
    /// Where the rule is written; `None` for the rules a column declaration implies.
    pub declared: Option<Declared>,
}
