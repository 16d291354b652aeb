//! Ordered checks: `unique` and `duplicate_rows`, resolved in file order as batches come out of
//! the parallel stage, each row against every row before it (the first copy is kept).
//!
//! Only a 64-bit hash and the line of each distinct key are remembered, so memory grows with the
//! distinct keys, not with the values.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hasher};

use crate::engine::check::Checked;
use crate::engine::plan::TablePlan;
use crate::model::finding::{Detail, Finding};
use crate::spec::rules::RuleSet;

/// Hashes keyed by hashes: no need to hash them again.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A key's hash → the line of its first row.
type SeenMap = HashMap<u64, u64, BuildHasherDefault<Identity>>;

/// What a table's ordered checks have seen so far.
pub(crate) struct Seen {
    rows: SeenMap,
    /// Per `unique` rule of the plan.
    keys: Vec<SeenMap>,
}

impl Seen {
    pub(crate) fn new(plan: &TablePlan) -> Self {
        Seen {
            rows: SeenMap::default(),
            keys: plan.uniques.iter().map(|_| SeenMap::default()).collect(),
        }
    }

    /// The ordered checks' findings on the next batch, in file order. A row that repeats an
    /// earlier row exactly is reported as that, not again under every `unique` rule.
    pub(crate) fn check(&mut self, set: &RuleSet, plan: &TablePlan, c: &Checked) -> Vec<Finding> {
        let n = c.raw.num_rows();
        let lines = &c.raw.lines;
        let mut out = Vec::new();
        let mut is_dup = vec![false; n];
        let repeat = |rule: usize, row: usize, first: u64| Finding {
            rule,
            row: row as u32,
            column: None,
            severity: set.rules[rule].severity,
            detail: Detail::DuplicateOf { line: first },
        };
        if let (Some(rule), Some(hashes)) = (plan.duplicate_rows, &c.row_hashes) {
            for row in 0..n {
                match self.rows.entry(hashes[row]) {
                    Entry::Occupied(e) => {
                        is_dup[row] = true;
                        out.push(repeat(rule, row, *e.get()));
                    }
                    Entry::Vacant(v) => {
                        v.insert(lines[row]);
                    }
                }
            }
        }
        for (k, (rule, _)) in plan.uniques.iter().enumerate() {
            for row in 0..n {
                if is_dup[row] {
                    continue;
                }
                if let Some(h) = c.unique_hashes[k][row] {
                    match self.keys[k].entry(h) {
                        Entry::Occupied(e) => out.push(repeat(*rule, row, *e.get())),
                        Entry::Vacant(v) => {
                            v.insert(lines[row]);
                        }
                    }
                }
            }
        }
        out
    }
}
