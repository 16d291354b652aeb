//! The run's counts, each figure by name.

use std::ops::AddAssign;
use std::time::Duration;

/// A rule's findings in a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FindingCounts {
    /// Rows that break the rule.
    pub open: u64,
    /// Rows the rule could not be evaluated on.
    pub not_checked: u64,
    /// Rows whose export value broke the rule and whose corrected value does not.
    pub corrected: u64,
}

impl AddAssign for FindingCounts {
    fn add_assign(&mut self, other: Self) {
        self.open += other.open;
        self.not_checked += other.not_checked;
        self.corrected += other.corrected;
    }
}

/// A correction's cells in a run (or a kind's: they add up).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeCounts {
    pub applied: u64,
    /// Proposed for review, not applied.
    pub proposed: u64,
    /// Withheld: another correction of the same stage wanted a different value.
    pub conflicts: u64,
}

impl AddAssign for ChangeCounts {
    fn add_assign(&mut self, other: Self) {
        self.applied += other.applied;
        self.proposed += other.proposed;
        self.conflicts += other.conflicts;
    }
}

/// A `share` rule's rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShareCounts {
    /// Rows it applies to.
    pub rows: u64,
    /// Rows meeting it.
    pub meeting: u64,
    /// Rows it could not be evaluated on (counted among `rows`).
    pub unknown: u64,
}

impl AddAssign for ShareCounts {
    fn add_assign(&mut self, other: Self) {
        self.rows += other.rows;
        self.meeting += other.meeting;
        self.unknown += other.unknown;
    }
}

/// One group of a breakdown (the records with one value of a column).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupCounts {
    pub records: u64,
    /// Records held back (rejected).
    pub rejected: u64,
    /// Open findings on its records.
    pub findings: u64,
}

/// Time spent in the stages that run on batches in parallel, summed over batches (so over
/// every thread: CPU time, not wall time).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageTimes {
    /// Applying corrections.
    pub correct: Duration,
    /// Reading text as each column's type (for the row checks and for the projections the
    /// rules over whole tables read).
    pub typing: Duration,
    /// Evaluating the row checks and hashing rows for the ordered ones.
    pub rules: Duration,
}

impl AddAssign for StageTimes {
    fn add_assign(&mut self, other: Self) {
        self.correct += other.correct;
        self.typing += other.typing;
        self.rules += other.rules;
    }
}
