//! Randomness: a hand-written SplitMix64, seeded per (child or household, purpose), so a
//! table's bytes do not depend on which other tables were asked for, and adding a purpose never
//! shifts another's numbers.

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64: tiny, fast, and good enough for synthetic data.
pub(crate) struct Rng(u64);

impl Rng {
    /// An independent stream for one (child, purpose) pair.
    pub(crate) fn stream(seed: u64, index: u64, salt: u64) -> Self {
        Rng(mix(
            seed ^ mix(index.wrapping_mul(64).wrapping_add(salt).wrapping_add(GOLDEN))
        ))
    }

    /// An independent stream for one (child or row, purpose) pair of the seven Annex A lists
    /// added after the first five tables: drawn from a second salt space (the seed mixed with a
    /// constant), so their purposes can never collide with the original ones, whose numbers
    /// stay exactly as they were.
    pub(crate) fn later(seed: u64, index: u64, salt: u64) -> Self {
        Rng::stream(seed ^ mix(LATER_LISTS), index, salt)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    pub(crate) fn days(&mut self, n: i32) -> i32 {
        self.below(n.max(1) as u64) as i32
    }

    pub(crate) fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    pub(crate) fn weighted(&mut self, weights: &[u16]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }

    pub(crate) fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

// Stream salts: one per purpose, so adding a purpose never shifts another's numbers.
pub(crate) const SALT_CHILD: u64 = 0;
pub(crate) const SALT_CHILD_DETAILS: u64 = 1;
pub(crate) const SALT_CONTACTS: u64 = 2;
pub(crate) const SALT_REFERRALS: u64 = 3;
pub(crate) const SALT_ASSESSMENTS: u64 = 4;
pub(crate) const SALT_PLANS: u64 = 5;
pub(crate) const SALT_EXTRA_CHILD: u64 = 6;
pub(crate) const SALT_MISTYPED_ID: u64 = 7;
/// The children table's duplicate people: their schedule (as a table's `SALT_SCHEDULE`), the
/// duplicate records (+ 0) and the twins (+ 1), per child.
pub(crate) const SALT_SAME_PERSON: u64 = 8;
pub(crate) const SALT_PLANT_ROWS: u64 = 10; // + table index
pub(crate) const SALT_SCHEDULE: u64 = 20; // + table index
pub(crate) const SALT_LIFE: u64 = 30; // + table index

// The seven lists added later (`Rng::later`), per child: the per-table `SALT_PLANT_ROWS`,
// `SALT_SCHEDULE` and `SALT_LIFE` + table index also draw from that space for these tables.
const LATER_LISTS: u64 = 0x414E_4E45_5841_3131; // "ANNEXA11"
pub(crate) const SALT_EARLY_HELP: u64 = 50;
pub(crate) const SALT_S47: u64 = 51;
pub(crate) const SALT_CIN: u64 = 52;
pub(crate) const SALT_CARE: u64 = 53;
pub(crate) const SALT_ADOPTERS: u64 = 55;
pub(crate) const SALT_CARE_PLANT: u64 = 54;

// The people generator's streams (per household or person).
pub(crate) const SALT_HOUSEHOLD: u64 = 40;
pub(crate) const SALT_PEOPLE_PERSON: u64 = 41;
pub(crate) const SALT_COPIES: u64 = 42;
