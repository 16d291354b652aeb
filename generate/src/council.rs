//! The fictional council: the dates every table is drawn against, its children's ids (`NF` +
//! digits, distinct, in no order) and the children themselves.

use std::io;

use chrono::{Datelike, Months, NaiveDate};

use crate::GenOptions;
use crate::ids::IdScheme;
use crate::nights::Night;
use crate::render::{Day, day, nd};
use crate::rng::{Rng, SALT_MISTYPED_ID};
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
    /// The children's id numbers.
    ids: IdScheme,
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
            ids: IdScheme::new(opts.children, opts.seed ^ 0x4E46),
        })
    }

    /// Child `i`'s id number (`i` may be past the last child, for a child made up for a plant).
    pub(crate) fn id_num(&self, i: usize) -> u32 {
        self.ids.num(i as u64)
    }

    /// The `k`-th id number for a further record of a child (a duplicate person or a twin):
    /// no child has it, nor any child made up for a plant elsewhere (those are numbered from
    /// `children`, these from `2 × children`); `None` when the scheme has too few.
    pub(crate) fn spare_id(&self, k: usize) -> Option<u32> {
        let k = 2 * self.children as u64 + k as u64;
        (k < self.ids.len()).then(|| self.ids.num(k))
    }

    /// The child whose id number this is (the inverse of [`Ctx::id_num`]), if any.
    pub(crate) fn id_index(&self, num: u64) -> Option<usize> {
        let i = self.ids.index(num)?;
        usize::try_from(i).ok().filter(|&i| i < self.children)
    }

    /// Child `i`'s id with one digit (not the first) changed, giving an id number no child has
    /// and not in `taken` (REF-006); `None` only if every such slip is taken.
    pub(crate) fn mistyped_id(&self, i: usize, taken: &[u32]) -> Option<u32> {
        let num = u64::from(self.id_num(i));
        let mut rng = Rng::stream(self.seed, i as u64, SALT_MISTYPED_ID);
        // Digit place × replacement digit, tried from a random start.
        let n = u64::from(self.ids.base.ilog10()) * 9;
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
        self.child_from(i, &mut Rng::stream(self.seed, i as u64, salt))
    }

    /// A child made up for a plant in one of the later lists (`i` past the last child: a
    /// child with an id number no real child has), drawn from [`Rng::later`]'s space.
    pub(crate) fn later_child(&self, i: usize, salt: u64) -> Child {
        self.child_from(i, &mut Rng::later(self.seed, i as u64, salt))
    }

    fn child_from(&self, i: usize, rng: &mut Rng) -> Child {
        Child {
            num: self.id_num(i),
            dob: self.random_dob(rng),
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
