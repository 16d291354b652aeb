//! Ordered checks: `unique` and `duplicate_rows`, resolved in file order as batches come out of
//! the parallel stage, each row against every row before it (the first copy is kept).
//!
//! Only a 64-bit hash and the line of each distinct key are remembered, so memory grows with the
//! distinct keys, not with the values.

use std::collections::HashMap;

use hashbrown::HashTable;

use crate::engine::check::Checked;
use crate::engine::plan::TablePlan;
use crate::model::finding::{Detail, Finding};
use crate::spec::rules::RuleSet;

/// A key's hash → the line of its first row, in 12 bytes a key (a `HashMap<u64, u64>` took 16,
/// and twice that while it grew: 430 MB at ten million keys). Lines past `u32::MAX`, which no
/// real export reaches, are kept aside at full width.
#[derive(Default)]
struct FirstLines {
    slots: HashTable<Slot>,
    far: HashMap<u64, u64>,
}

#[derive(Clone, Copy)]
struct Slot {
    hash: [u32; 2],
    /// `u32::MAX`: the line is in `far`.
    line: u32,
}

impl Slot {
    fn hash(&self) -> u64 {
        u64::from(self.hash[0]) | (u64::from(self.hash[1]) << 32)
    }
}

impl FirstLines {
    /// Room for `n` more keys at once, rather than doubling (and copying) as they come.
    fn reserve(&mut self, n: usize) {
        self.slots.reserve(n, Slot::hash);
    }

    /// The line of `hash`'s first row, or `None` after recording `line` as that.
    fn first_or_insert(&mut self, hash: u64, line: u64) -> Option<u64> {
        // The key is a hash already: it places itself.
        match self.slots.entry(hash, |s| s.hash() == hash, Slot::hash) {
            hashbrown::hash_table::Entry::Occupied(e) => {
                let s = *e.get();
                Some(if s.line == u32::MAX {
                    self.far[&hash]
                } else {
                    u64::from(s.line)
                })
            }
            hashbrown::hash_table::Entry::Vacant(v) => {
                let short = u32::try_from(line).ok().filter(|&l| l != u32::MAX);
                v.insert(Slot {
                    hash: [hash as u32, (hash >> 32) as u32],
                    line: short.unwrap_or(u32::MAX),
                });
                if short.is_none() {
                    self.far.insert(hash, line);
                }
                None
            }
        }
    }
}

/// What a table's ordered checks have seen so far.
pub(crate) struct Seen {
    rows: FirstLines,
    /// Per `unique` rule of the plan.
    keys: Vec<FirstLines>,
    /// Whether room for the whole table has been made.
    sized: bool,
}

impl Seen {
    pub(crate) fn new(plan: &TablePlan) -> Self {
        Seen {
            rows: FirstLines::default(),
            keys: plan.uniques.iter().map(|_| FirstLines::default()).collect(),
            sized: false,
        }
    }

    /// Make room at once for the keys of a table of about `rows` rows (an estimate from the
    /// first batches: too few only means growing later).
    pub(crate) fn expect_rows(&mut self, rows: usize, duplicate_rows: bool) {
        if std::mem::replace(&mut self.sized, true) {
            return;
        }
        if duplicate_rows {
            self.rows.reserve(rows);
        }
        for k in &mut self.keys {
            k.reserve(rows);
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
                if let Some(first) = self.rows.first_or_insert(hashes[row], lines[row]) {
                    is_dup[row] = true;
                    out.push(repeat(rule, row, first));
                }
            }
        }
        for (k, (rule, _)) in plan.uniques.iter().enumerate() {
            for row in 0..n {
                if is_dup[row] {
                    continue;
                }
                if let Some(h) = c.unique_hashes[k][row]
                    && let Some(first) = self.keys[k].first_or_insert(h, lines[row])
                {
                    out.push(repeat(*rule, row, first));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::FirstLines;

    #[test]
    fn the_first_line_of_a_key_is_kept_at_any_width() {
        let mut seen = FirstLines::default();
        seen.reserve(4);
        assert_eq!(seen.first_or_insert(7, 2), None);
        assert_eq!(seen.first_or_insert(7, 9), Some(2));
        // A line past u32::MAX (and u32::MAX itself, the marker) comes back whole.
        let far = u64::from(u32::MAX) + 5;
        assert_eq!(seen.first_or_insert(u64::MAX, far), None);
        assert_eq!(seen.first_or_insert(u64::MAX, far + 1), Some(far));
        assert_eq!(seen.first_or_insert(1 << 40, u64::from(u32::MAX)), None);
        assert_eq!(seen.first_or_insert(1 << 40, 3), Some(u64::from(u32::MAX)));
        // Hashes that differ only in their high half are different keys.
        assert_eq!(seen.first_or_insert(7 | (1 << 33), 4), None);
    }
}
