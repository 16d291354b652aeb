//! Ordered checks: `unique` and `duplicate_rows`, resolved in file order as batches come out of
//! the parallel stage, each row against every row before it (the first copy is kept).
//!
//! Only a 64-bit hash and the line of each distinct key are remembered, so memory grows with the
//! distinct keys, not with the values.

use std::collections::HashMap;

use crate::engine::check::Checked;
use crate::engine::plan::TablePlan;
use crate::model::finding::{Detail, Finding};
use crate::spec::rules::RuleSet;

/// A key's hash → the line of its first row, in 12 bytes a key (a `HashMap<u64, u64>` took 16,
/// and twice that while it grew: 430 MB at ten million keys). Lines past `u32::MAX`, which no
/// real export reaches, are kept aside at full width.
///
/// Open addressing with linear probing, at most three quarters full. At ten million keys the
/// table is 200 MB and nearly every key's slot is a cache miss; a batch's slots are first read
/// all at once ([`FirstLines::touch`]), so that the misses overlap rather than wait one after
/// another, which `hashbrown` gives no way to do. This stage runs on one thread.
#[derive(Default)]
struct FirstLines {
    /// A power of two long, or empty.
    slots: Vec<Slot>,
    len: usize,
    far: HashMap<u64, u64>,
}

#[derive(Clone, Copy, Default)]
struct Slot {
    hash: [u32; 2],
    /// 0: the slot is empty (no record is on line 0). `u32::MAX`: the line is in `far`.
    line: u32,
}

impl Slot {
    fn hash(&self) -> u64 {
        u64::from(self.hash[0]) | (u64::from(self.hash[1]) << 32)
    }
}

impl FirstLines {
    /// Where `hash` is placed first: its top bits, mixed (Fibonacci hashing).
    fn home(&self, hash: u64) -> usize {
        let bits = self.slots.len().trailing_zeros();
        (hash.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 1 >> (63 - bits)) as usize
    }

    /// Room for `n` more keys at once, rather than doubling (and copying) as they come.
    fn reserve(&mut self, n: usize) {
        let want = ((self.len + n) * 4 / 3 + 1).next_power_of_two().max(16);
        if want <= self.slots.len() {
            return;
        }
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); want]);
        for slot in old.into_iter().filter(|s| s.line != 0) {
            let at = self.free_slot(slot.hash());
            self.slots[at] = slot;
        }
    }

    /// The first empty slot from `hash`'s home on (there always is one).
    fn free_slot(&self, hash: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut at = self.home(hash);
        while self.slots[at].line != 0 {
            at = (at + 1) & mask;
        }
        at
    }

    /// Read the home slot of each of `hashes`, about to be looked up: each is likely a cache
    /// miss, and reads that do not depend on each other are waited for together.
    fn touch(&self, hashes: impl Iterator<Item = u64>) {
        if self.slots.is_empty() {
            return;
        }
        let seen = hashes.fold(0u32, |acc, h| acc ^ self.slots[self.home(h)].line);
        std::hint::black_box(seen);
    }

    /// The line of `hash`'s first row, or `None` after recording `line` as that.
    fn first_or_insert(&mut self, hash: u64, line: u64) -> Option<u64> {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.reserve(self.len.max(8));
        }
        let mask = self.slots.len() - 1;
        let mut at = self.home(hash);
        loop {
            let slot = self.slots[at];
            if slot.line == 0 {
                break;
            }
            if slot.hash() == hash {
                return Some(if slot.line == u32::MAX {
                    self.far[&hash]
                } else {
                    u64::from(slot.line)
                });
            }
            at = (at + 1) & mask;
        }
        let short = u32::try_from(line).ok().filter(|&l| l != 0 && l != u32::MAX);
        self.slots[at] = Slot {
            hash: [hash as u32, (hash >> 32) as u32],
            line: short.unwrap_or(u32::MAX),
        };
        if short.is_none() {
            self.far.insert(hash, line);
        }
        self.len += 1;
        None
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
            self.rows.touch(hashes.iter().copied());
            for row in 0..n {
                if let Some(first) = self.rows.first_or_insert(hashes[row], lines[row]) {
                    is_dup[row] = true;
                    out.push(repeat(rule, row, first));
                }
            }
        }
        for (k, (rule, _)) in plan.uniques.iter().enumerate() {
            self.keys[k].touch(c.unique_hashes[k].iter().flatten().copied());
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
        // Line 0 (no record's) is kept aside too, as the empty mark is 0.
        assert_eq!(seen.first_or_insert(99, 0), None);
        assert_eq!(seen.first_or_insert(99, 5), Some(0));
    }

    proptest::proptest! {
        /// What a map from each hash to its first line says, growing from empty or from a
        /// reservation, with hashes that share their home slot.
        #[test]
        fn first_lines_are_a_map_of_first_lines(
            keys in proptest::collection::vec(0u64..64, 0..300),
            spread in proptest::prop_oneof![proptest::strategy::Just(1u64), proptest::strategy::Just(1 << 58)],
            reserve in 0usize..100,
        ) {
            let mut seen = FirstLines::default();
            seen.reserve(reserve);
            let mut want = std::collections::HashMap::new();
            for (i, k) in keys.iter().enumerate() {
                let (hash, line) = (k * spread, i as u64 + 2);
                seen.touch(std::iter::once(hash));
                let first = want.get(&hash).copied();
                want.entry(hash).or_insert(line);
                proptest::prop_assert_eq!(seen.first_or_insert(hash, line), first);
            }
            proptest::prop_assert_eq!(seen.len, want.len());
        }
    }
}
