//! What a rule compiles to: the checks the engine evaluates, and the rule around them.

use datafusion::logical_expr::Expr;

use super::names::Declared;
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

/// What a compiled rule does.
#[derive(Debug, Clone)]
pub enum Check {
    /// Vectorised predicates over the typed batch.
    Row(Vec<RowCheck>),
    /// Values of this column that did not parse as its type.
    Type { column: usize },
    /// Code values that matched only ignoring case and spacing.
    CodeForm { column: usize },
    /// No two rows share these columns' values (first kept).
    Unique { columns: Vec<usize> },
    /// No row repeats an earlier row exactly (first kept).
    DuplicateRows,
    /// The key must exist in another table (evaluated by the `relate` stage).
    Reference(Reference),
    /// Any or all rows of another table with the same key must satisfy a
    /// condition (evaluated by the `relate` stage).
    Related(Related),
    /// Periods within a group must not overlap (nor leave gaps, if continuous).
    Periods(Periods),
    /// The share of rows meeting a condition (a return-level rule).
    Share(Share),
    /// The number of rows, and its change from the last run (a return-level rule).
    RowCount(RowCount),
    /// Each row of a group, in order, against the row before it (evaluated
    /// by the `relate` stage).
    Sequence(Sequence),
    /// Columns must hold one value within each group (evaluated by the
    /// `relate` stage).
    Consistent(Consistent),
    /// Records that are the same person under different ids (evaluated by
    /// the `dedupe` stage).
    SamePerson(Box<crate::people::request::SamePerson>),
}

impl Check {
    /// Return-level rules report once for the whole table, never on a row.
    pub fn is_return_level(&self) -> bool {
        matches!(self, Check::Share(_) | Check::RowCount(_))
    }
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

/// Consecutive rows of a group, e.g. a child's plans by start date: each row
/// after the first must satisfy a condition over it and the row before it.
#[derive(Debug, Clone)]
pub struct Sequence {
    pub group: Vec<usize>,
    /// A date or integer column; rows with equal values are ordered by line.
    pub order_by: usize,
    /// Over this row's columns (unqualified) and the previous row's
    /// (`previous.x`, see `kinds/sequence.rs`).
    pub condition: Expr,
    /// Columns the condition reads from this row, and from the previous row.
    pub reads: Vec<usize>,
    pub previous_reads: Vec<usize>,
    /// Rows that take part in the sequence, over this table's typed columns.
    pub when: Option<Expr>,
    pub when_reads: Vec<usize>,
}

/// Columns that must hold the same value in every row of a group (e.g. a
/// child's date of birth on each of their contacts). Blank values are ignored.
#[derive(Debug, Clone)]
pub struct Consistent {
    pub group: Vec<usize>,
    pub columns: Vec<usize>,
}

/// Date periods per group, e.g. a child's plans or care episodes.
#[derive(Debug, Clone)]
pub struct Periods {
    pub group: Vec<usize>,
    pub start: usize,
    /// A blank end means the period is still open.
    pub end: usize,
    pub continuous: bool,
}

/// A condition over a row and the rows of another table that share its key.
#[derive(Debug, Clone)]
pub struct Related {
    pub key: Reference,
    /// Over this table's columns (unqualified) and the other's (`other.x`).
    pub condition: Expr,
    /// This table's and the other table's typed columns the condition reads.
    pub reads: Vec<usize>,
    pub other_reads: Vec<usize>,
    /// True: every related row must satisfy it; false: at least one must.
    pub all: bool,
}

/// A key in one table that must be found in another.
#[derive(Debug, Clone)]
pub struct Reference {
    pub columns: Vec<usize>,
    pub other: usize,
    pub other_columns: Vec<usize>,
    /// Rows the rule applies to, over this table's typed columns.
    pub when: Option<Expr>,
    pub when_reads: Vec<usize>,
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
