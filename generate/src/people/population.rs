//! The population: households of children and young people (siblings, twins), each person's
//! identifiers, and their first (canonical) record. Every household is rebuilt from its own
//! random streams, so nothing is held per person.

use std::io;

use chrono::{Datelike, Months, NaiveDate};

use super::PeopleOptions;
use super::names::{Names, SURNAMES, TAIL_FIRST, TAIL_PER_MILLE, TAIL_SECOND, Text, names};
use super::record::{NfPostcode, Rec};
use crate::ids::{ID_STEP, UPN_LETTERS, nhs_check_digit, nhs_number_valid, upn_check_letter, upn_valid};
use crate::render::{Day, age_years, day, nd};
use crate::rng::{Rng, SALT_COPIES, SALT_HOUSEHOLD, SALT_PEOPLE_PERSON, mix};

/// Where records come from: (source, weight, youngest and oldest age at the extract date).
pub(crate) const SOURCES: [(&str, u16, i32, i32); 13] = [
    ("MASH", 30, 0, 25),
    ("Front Door", 22, 0, 25),
    ("EDT", 6, 0, 25),
    ("Police PPN", 8, 0, 25),
    ("Online portal", 4, 0, 25),
    ("Health visitor referral", 12, 0, 5),
    ("Early Help", 12, 0, 17),
    ("Family Hub", 6, 0, 10),
    ("Education Welfare", 6, 5, 17),
    ("School nurse", 3, 5, 17),
    ("Children with Disabilities Team", 4, 0, 19),
    ("Youth Justice Service", 5, 10, 21),
    ("Leaving Care Team", 8, 16, 25),
];
/// Records migrated from the last system (`Migration <year>`), for people born by then.
pub(crate) const MIGRATION: u8 = SOURCES.len() as u8;
const MIGRATION_W: u16 = 12;

/// Household sizes 1–4: 36% of households have more than one child.
const HOUSEHOLD_W: [u16; 4] = [640, 220, 100, 40];
/// Chance in a thousand that a household of two or more has twins (≈2% of children).
const TWINS_PER_MILLE: u64 = 43;
/// Extra records per person: none, one, two (≈12% have at least one).
const DUPS_W: [u16; 3] = [880, 102, 18];
/// Chance in a thousand of a pre-birth record, for children under 16 (≈2% of everyone).
const PREBIRTH_PER_MILLE: u64 = 26;

/// The NHS test range: `999` and six digits, then the check digit.
const NHS_BASES: u64 = 1_000_000;
/// UPN establishment number (1000–9999) and serial (000–999), one combination per person.
const UPN_SLOTS: u64 = 9_000_000;

/// One real person, as their first record has them.
pub(crate) struct TruePerson {
    pub(crate) index: u32,
    pub(crate) sex: usize,
    pub(crate) first: usize,
    pub(crate) first_name: Text,
    pub(crate) middle: Text,
    /// The first middle name's length in `middle` (what a record uses as a first name).
    pub(crate) middle_first: u8,
    pub(crate) surname: Text,
    pub(crate) dob: Day,
    pub(crate) postcode: NfPostcode,
    pub(crate) nhs: Option<[u8; 10]>,
    upn: Option<[u8; 13]>,
}

/// What pass 1 needs of a household: its size and how many records each child has.
pub(crate) struct HouseholdPlan {
    pub(crate) size: usize,
    twin: Option<usize>,
    dobs: [Day; 4],
    pub(crate) copies: [Copies; 4],
}

#[derive(Clone, Copy, Default)]
pub(crate) struct Copies {
    dups: u8,
    prebirth: bool,
}

impl Copies {
    pub(crate) fn records(self) -> u32 {
        1 + u32::from(self.dups) + u32::from(self.prebirth)
    }
}

pub(crate) struct World {
    pub(crate) seed: u64,
    people: usize,
    pub(crate) as_of: Day,
    /// Oldest date of birth (25 at the extract date) and the first day of 18-year-olds.
    dob_min: Day,
    adult: Day,
    sixteen: Day,
    /// When the last system's records were migrated (1 April, seven years before).
    migration: Day,
    pub(crate) migration_label: String,
    nhs_offset: u64,
    upn_offset: u64,
    pub(crate) names: &'static Names,
}

impl World {
    pub(crate) fn new(opts: &PeopleOptions) -> io::Result<Self> {
        if !(1950..=9000).contains(&opts.as_of.year()) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "as_of must be 1950–9000"));
        }
        if opts.people > u32::MAX as usize / 4 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "too many people"));
        }
        let years_ago = |n: u32| day(opts.as_of - Months::new(12 * n));
        let migration_year = opts.as_of.year() - 7;
        Ok(World {
            seed: opts.seed,
            people: opts.people,
            as_of: day(opts.as_of),
            dob_min: years_ago(26) + 1,
            adult: years_ago(18),
            sixteen: years_ago(16),
            migration: day(NaiveDate::from_ymd_opt(migration_year, 4, 1).expect("a date")),
            migration_label: format!("Migration {migration_year}"),
            nhs_offset: mix(opts.seed ^ 0x004E_4853) % NHS_BASES,
            upn_offset: mix(opts.seed ^ 0x0055_504E) % UPN_SLOTS,
            names: names(),
        })
    }

    pub(crate) fn household_rng(&self, h: u32) -> Rng {
        Rng::stream(self.seed, u64::from(h), SALT_HOUSEHOLD)
    }

    /// Draw a household's size (no more than the people left), twins and dates of birth,
    /// and each child's extra records: the first draws of its streams, so pass 1 is cheap.
    pub(crate) fn plan(&self, first_person: usize, rng: &mut Rng) -> HouseholdPlan {
        let size = (1 + rng.weighted(&HOUSEHOLD_W)).min(self.people - first_person);
        let twin = (size > 1 && rng.chance(TWINS_PER_MILLE)).then(|| rng.below(size as u64 - 1) as usize);
        let births = size - usize::from(twin.is_some());
        // The first-born's age: 85% under 18. Each later birth 10 months to 4 years after the
        // one before, or before the eldest where that runs past the extract date.
        let mut dobs = [0; 4];
        dobs[0] = if rng.chance(850) {
            self.adult + 1 + rng.days(self.as_of - 1 - self.adult)
        } else {
            self.dob_min + rng.days(self.adult - self.dob_min + 1)
        };
        let (mut eldest, mut youngest) = (dobs[0], dobs[0]);
        for dob in &mut dobs[1..births] {
            // Three gaps span at most 4,500 days, so one side always has room in 26 years.
            let gap = 300 + rng.days(1200);
            *dob = if youngest + gap < self.as_of {
                youngest += gap;
                youngest
            } else {
                eldest -= gap;
                eldest
            };
        }
        dobs[..births].sort_unstable();
        if let Some(t) = twin {
            dobs.copy_within(t + 1..births, t + 2);
            dobs[t + 1] = dobs[t];
        }
        let mut copies = [Copies::default(); 4];
        for (c, copy) in copies.iter_mut().enumerate().take(size) {
            *copy = self.copies(first_person + c, dobs[c]).0;
        }
        HouseholdPlan {
            size,
            twin,
            dobs,
            copies,
        }
    }

    /// Person `index`'s extra records: the first draws of its stream, which goes on to shape them.
    fn copies(&self, index: usize, dob: Day) -> (Copies, Rng) {
        let mut r = Rng::stream(self.seed, index as u64, SALT_COPIES);
        let dups = r.weighted(&DUPS_W) as u8;
        let prebirth = dob > self.sixteen && r.chance(PREBIRTH_PER_MILLE);
        (Copies { dups, prebirth }, r)
    }

    fn surname(&self, rng: &mut Rng) -> Text {
        if rng.chance(TAIL_PER_MILLE) {
            let mut t = Text::of(rng.pick(TAIL_FIRST));
            t.push(rng.pick(TAIL_SECOND));
            t
        } else {
            Text::of(SURNAMES[self.names.surnames.draw(rng)])
        }
    }

    /// A surname other than `not`.
    pub(crate) fn other_surname(&self, rng: &mut Rng, not: &Text) -> Text {
        loop {
            let s = self.surname(rng);
            if s.as_str() != not.as_str() {
                return s;
            }
        }
    }

    /// Household `h`'s records, in generation order: for each child, the first record, its
    /// duplicates and any pre-birth record.
    pub(crate) fn household(&self, h: u32, first_person: usize, out: &mut Vec<Rec>) {
        out.clear();
        let mut rng = self.household_rng(h);
        let plan = self.plan(first_person, &mut rng);
        let mut surname = self.surname(&mut rng);
        if rng.chance(30) {
            let second = self.other_surname(&mut rng, &surname);
            surname.push("-");
            surname.push(second.as_str());
        }
        let postcode = NfPostcode::random(&mut rng);
        let mut taken = [(usize::MAX, usize::MAX); 4];
        for c in 0..plan.size {
            let index = first_person + c;
            let mut r = Rng::stream(self.seed, index as u64, SALT_PEOPLE_PERSON);
            let sex = usize::from(!r.chance(512));
            let first = loop {
                let f = self.names.first[sex].draw(&mut r);
                if !taken.contains(&(sex, f)) {
                    break f;
                }
            };
            taken[c] = (sex, first);
            let twin = plan.twin.is_some_and(|t| c == t || c == t + 1);
            let own_surname = if !twin && r.chance(120) {
                self.other_surname(&mut r, &surname)
            } else {
                surname
            };
            let first_name = Text::of(self.names.first[sex].names[first]);
            let (middle, middle_first) = self.middle(&mut r, sex, &first_name);
            let person = TruePerson {
                index: index as u32,
                sex,
                first,
                first_name,
                middle,
                middle_first,
                surname: own_surname,
                dob: plan.dobs[c],
                postcode,
                nhs: self.nhs(index),
                upn: self.upn(index, plan.dobs[c], &mut r),
            };
            let canonical = self.canonical(&person, &mut r);
            out.push(canonical);
            let (copies, mut r) = self.copies(index, person.dob);
            for _ in 0..copies.dups {
                let dup = self.duplicate(&person, &canonical, &mut r);
                out.push(dup);
            }
            if copies.prebirth {
                let pre = self.prebirth(&person, &canonical, &mut r);
                out.push(pre);
            }
        }
    }

    /// ≈30% have a middle name (an eighth of them two), never their first name.
    fn middle(&self, r: &mut Rng, sex: usize, first: &Text) -> (Text, u8) {
        let mut middle = Text::EMPTY;
        if !r.chance(300) {
            return (middle, 0);
        }
        let draw = |r: &mut Rng| loop {
            let name = if r.chance(500) {
                self.names.middle[sex].names[self.names.middle[sex].draw(r)]
            } else {
                self.names.first[sex].names[self.names.first[sex].draw(r)]
            };
            if name != first.as_str() {
                return name;
            }
        };
        let one = draw(r);
        middle.push(one);
        if r.chance(120) {
            let two = draw(r);
            if two != one {
                middle.push(" ");
                middle.push(two);
            }
        }
        (middle, one.len() as u8)
    }

    /// Person `index`'s NHS number: `999`, six digits no one else has, the check digit. A
    /// twelfth of six-digit runs have no valid check digit: those people have no number.
    fn nhs(&self, index: usize) -> Option<[u8; 10]> {
        if index as u64 >= NHS_BASES {
            return None;
        }
        let base = (index as u64 * ID_STEP + self.nhs_offset) % NHS_BASES;
        let mut digits = [9u32; 10];
        for (i, d) in digits[3..9].iter_mut().enumerate() {
            *d = (base / 10u64.pow(5 - i as u32) % 10) as u32;
        }
        digits[9] = nhs_check_digit(&digits[..9])?;
        let nhs = digits.map(|d| b'0' + d as u8);
        debug_assert!(nhs_number_valid(std::str::from_utf8(&nhs).expect("digits")));
        Some(nhs)
    }

    /// A UPN for a child who has started school (reception, the September after turning four;
    /// a few joined later from abroad); 1 in 20 have none (independent school, home education).
    /// The LA number is mostly the council's own; a few started school elsewhere. 1% are
    /// temporary UPNs, ending in a letter.
    fn upn(&self, index: usize, dob: Day, r: &mut Rng) -> Option<[u8; 13]> {
        let born = nd(dob);
        let mut year = born.year() + 4 + i32::from(born.month() >= 9);
        if r.chance(80) {
            year += 1 + r.below(6) as i32;
        }
        let started = day(NaiveDate::from_ymd_opt(year, 9, 1).expect("a date"));
        if started > self.as_of || r.chance(50) {
            return None;
        }
        let la = if r.chance(800) { 999 } else { 990 + r.below(9) };
        let slot = (index as u64 * ID_STEP + self.upn_offset) % UPN_SLOTS;
        let body = ((la * 10_000 + 1000 + slot / 1000) * 100 + year as u64 % 100) * 1000 + slot % 1000;
        let mut upn = [b'0'; 13];
        for (i, b) in upn[1..].iter_mut().enumerate() {
            *b = b'0' + (body / 10u64.pow(11 - i as u32) % 10) as u8;
        }
        if r.chance(10) {
            upn[12] = UPN_LETTERS[usize::from(upn[12] - b'0')];
        }
        upn[0] = upn_check_letter(&upn[1..]).expect("digits and an allowed letter");
        debug_assert!(upn_valid(std::str::from_utf8(&upn).expect("ASCII")));
        Some(upn)
    }

    /// A source other than `not` that could hold a record of someone born on `dob`.
    pub(crate) fn source(&self, dob: Day, not: Option<u8>, r: &mut Rng) -> u8 {
        let age = age_years(dob, self.as_of) as i32;
        let mut weights = [0u16; SOURCES.len() + 1];
        for (w, &(_, weight, lo, hi)) in weights.iter_mut().zip(&SOURCES) {
            *w = if (lo..=hi).contains(&age) { weight } else { 0 };
        }
        weights[usize::from(MIGRATION)] = if dob <= self.migration { MIGRATION_W } else { 0 };
        if let Some(not) = not {
            weights[usize::from(not)] = 0;
        }
        r.weighted(&weights) as u8
    }

    /// When a record from `source` was last updated: on or after the birth (and after the
    /// migration, for migrated records, half of them never touched since), within seven years.
    pub(crate) fn updated(&self, dob: Day, source: u8, r: &mut Rng) -> Day {
        if source == MIGRATION {
            if r.chance(500) {
                return self.migration;
            }
            return self.migration + r.days(self.as_of - self.migration + 1);
        }
        let from = dob.max(self.as_of - 2557);
        from + r.days(self.as_of - from + 1)
    }

    fn canonical(&self, p: &TruePerson, r: &mut Rng) -> Rec {
        let source = self.source(p.dob, None, r);
        let gender = match r.below(1000) {
            0..15 => None,
            15..19 => Some(2),
            _ => Some(p.sex as u8),
        };
        Rec {
            person: p.index,
            first: p.first_name,
            middle: p.middle,
            surname: p.surname,
            dob: Some(p.dob),
            edd: None,
            gender,
            postcode: (!r.chance(25)).then_some(p.postcode),
            nhs: p.nhs.filter(|_| !r.chance(100)),
            nhs_spaced: r.chance(700),
            upn: p.upn.filter(|_| r.chance(650)),
            source,
            prebirth: false,
            updated: self.updated(p.dob, source, r),
            variations: 0,
        }
    }
}
