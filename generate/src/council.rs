//! The fictional council: the dates every table is drawn against, its children's ids (`NF` +
//! digits, distinct, in no order) and the children themselves.

use std::io;

use chrono::{Datelike, Months, NaiveDate};

use crate::GenOptions;
use crate::nights::Night;
use crate::render::{Day, day, nd};
use crate::rng::{Rng, SALT_MISTYPED_ID, mix};
use crate::vocab::{ETHNICITY_W, GENDER_W, NO, WORKERS, YES};

/// What every table is drawn against in one run (one night): the seed, the council's dates and
/// its id scheme.
pub(crate) struct Ctx {
    pub(crate) seed: u64,
    pub(crate) children: usize,
    /// The world's last day: every clean event happens on or before it. With nights, the last
    /// night's extract date; everything below except `night` is the same on every night.
    pub(crate) as_of: Day,
    /// This night's extract date (`as_of` without nights): what the export can hold.
    pub(crate) night: Day,
    /// Which night this is, of how many.
    pub(crate) night_index: usize,
    pub(crate) nights: usize,
    /// Earliest clean contact date: a few days inside "today - 6 years", however that is counted.
    pub(crate) earliest: Day,
    pub(crate) seven_years_ago: Day,
    pub(crate) ten_years_ago: Day,
    /// Clean dates of birth: 0–17 years old, at least two weeks old.
    pub(crate) dob_min: Day,
    dob_max: Day,
    id_base: u64,
    id_range: u64,
    id_offset: u64,
    /// `ID_STEP`⁻¹ mod `id_range`, to map an id number back to its child.
    id_inverse: u64,
}

/// The step between consecutive children's id numbers (coprime to every id range).
pub(crate) const ID_STEP: u64 = 618_037;

/// `a`⁻¹ mod `m`, for `a` coprime to `m` (extended Euclid).
fn inverse_mod(a: u64, m: u64) -> u64 {
    let (mut r0, mut r1) = (i128::from(a % m), i128::from(m));
    let (mut s0, mut s1) = (1i128, 0i128);
    while r1 != 0 {
        let q = r0 / r1;
        (r0, r1) = (r1, r0 - q * r1);
        (s0, s1) = (s1, s0 - q * s1);
    }
    debug_assert_eq!(r0, 1, "{a} is not coprime to {m}");
    s0.rem_euclid(i128::from(m)) as u64
}

impl Ctx {
    #[cfg(test)]
    pub(crate) fn new(opts: &GenOptions) -> io::Result<Self> {
        Self::on(opts, Night { index: 0, count: 1 })
    }

    pub(crate) fn on(opts: &GenOptions, night: Night) -> io::Result<Self> {
        let years_ago = |n: u32| {
            opts.as_of
                .checked_sub_months(Months::new(12 * n))
                .map(day)
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "as_of is too early"))
        };
        let as_of = day(opts.as_of);
        if !(1950..=9000).contains(&opts.as_of.year()) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "as_of must be 1950–9000"));
        }
        // Six digits after NF, more when there are too many children for that.
        let mut id_base = 100_000u64;
        while id_base * 9 < opts.children as u64 * 2 {
            id_base *= 10;
        }
        Ok(Ctx {
            seed: opts.seed,
            children: opts.children,
            as_of,
            night: as_of - (night.count - 1 - night.index) as Day,
            night_index: night.index,
            nights: night.count,
            earliest: years_ago(6)? + 3,
            seven_years_ago: years_ago(7)?,
            ten_years_ago: years_ago(10)?,
            dob_min: years_ago(18)? + 1,
            dob_max: as_of - 14,
            id_base,
            id_range: id_base * 9,
            id_offset: mix(opts.seed ^ 0x4E46) % (id_base * 9),
            id_inverse: inverse_mod(ID_STEP, id_base * 9),
        })
    }

    /// Distinct id numbers: i ↦ base + (i·ID_STEP + offset) mod range, with the step coprime to
    /// the range (whose only prime factors are 2, 3 and 5).
    pub(crate) fn id_num(&self, i: usize) -> u32 {
        (self.id_base + (i as u64 * ID_STEP + self.id_offset) % self.id_range) as u32
    }

    /// The child whose id number this is (the inverse of [`Ctx::id_num`]), if any.
    pub(crate) fn id_index(&self, num: u64) -> Option<usize> {
        let x = num.checked_sub(self.id_base).filter(|&x| x < self.id_range)?;
        let step = (x + self.id_range - self.id_offset) % self.id_range;
        let i = u128::from(step) * u128::from(self.id_inverse) % u128::from(self.id_range);
        usize::try_from(i).ok().filter(|&i| i < self.children)
    }

    /// Child `i`'s id with one digit (not the first) changed, giving an id number no child has
    /// and not in `taken` (REF-006); `None` only if every such slip is taken.
    pub(crate) fn mistyped_id(&self, i: usize, taken: &[u32]) -> Option<u32> {
        let num = u64::from(self.id_num(i));
        let mut rng = Rng::stream(self.seed, i as u64, SALT_MISTYPED_ID);
        // Digit place × replacement digit, tried from a random start.
        let n = u64::from(self.id_base.ilog10()) * 9;
        let start = rng.below(n);
        (0..n).map(|k| (start + k) % n).find_map(|k| {
            let place = 10u64.pow((k / 9) as u32);
            let digit = num / place % 10;
            let typo = num - digit * place + (digit + 1 + k % 9) % 10 * place;
            let typo = u32::try_from(typo).ok()?;
            (self.id_index(u64::from(typo)).is_none() && !taken.contains(&typo)).then_some(typo)
        })
    }

    fn random_dob(&self, rng: &mut Rng) -> Day {
        // About 1% are leap-day births, to exercise the 29 February age rule.
        if rng.chance(10) {
            let (lo, hi) = (nd(self.dob_min).year(), nd(self.dob_max).year());
            let leap_days = || {
                (lo..=hi)
                    .filter_map(|y| NaiveDate::from_ymd_opt(y, 2, 29).map(day))
                    .filter(|d| (self.dob_min..=self.dob_max).contains(d))
            };
            let count = leap_days().count();
            if count > 0 {
                let k = rng.below(count as u64) as usize;
                return leap_days().nth(k).expect("k < count");
            }
        }
        self.dob_min + rng.days(self.dob_max - self.dob_min + 1)
    }

    pub(crate) fn child(&self, i: usize, salt: u64) -> Child {
        let mut rng = Rng::stream(self.seed, i as u64, salt);
        Child {
            num: self.id_num(i),
            dob: self.random_dob(&mut rng),
            sex: rng.weighted(&GENDER_W) as u8,
            eth: rng.weighted(&ETHNICITY_W) as u8,
            disability: [NO, NO, NO, NO, NO, NO, NO, NO, YES, 2][rng.below(10) as usize],
            worker: rng.below(WORKERS.len() as u64) as u8,
        }
    }
}

/// One child: what every table's rows about them share.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Child {
    pub(crate) num: u32,
    pub(crate) dob: Day,
    pub(crate) sex: u8,
    pub(crate) eth: u8,
    pub(crate) disability: u8,
    pub(crate) worker: u8,
}
