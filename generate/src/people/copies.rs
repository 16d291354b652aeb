//! Further records of a person: another team's copy with 0-3 changes (the variations), and the
//! record made before birth.

use chrono::{Datelike, NaiveDate};

use super::names::Text;
use super::population::{TruePerson, World};
use super::record::Rec;
use super::*;
use crate::render::{Day, day, nd};
use crate::rng::Rng;

/// How often each change is drawn for a duplicate (index = variation), where it applies.
const VARIATION_W: [u16; 17] = [0, 14, 12, 14, 3, 5, 7, 8, 5, 5, 4, 14, 10, 6, 8, 3, 4];
/// Changes that rewrite the same field exclude each other (bit sets of variations).
const CONFLICTS: [u32; 4] = [
    1 << FIRST_TYPO | 1 << NICKNAME | 1 << MIDDLE_AS_FIRST,
    1 << SURNAME_TYPO | 1 << SURNAME_CHANGED,
    1 << DOB_DAY_MONTH | 1 << DOB_DIGIT | 1 << DOB_YEAR,
    1 << MOVED | 1 << NO_POSTCODE,
];

/// Sources of records made before birth.
pub(crate) const PREBIRTH_SOURCES: [(&str, u16); 4] = [
    ("Midwifery referral", 45),
    ("MASH", 25),
    ("Pre-birth assessment", 15),
    ("Front Door", 15),
];
const PREBIRTH_NAMES: [&str; 3] = ["Unborn", "Baby", "Unborn Baby"];
const PREBIRTH_NAMES_W: [u16; 3] = [50, 35, 15];

/// How many changes a duplicate has: 0 (exact), 1, 2, 3.
const CHANGES_W: [u16; 4] = [150, 480, 290, 80];

impl World {
    /// Another team's record of the same person, with 0–3 changes.
    pub(crate) fn duplicate(&self, p: &TruePerson, canonical: &Rec, r: &mut Rng) -> Rec {
        let source = self.source(p.dob, Some(canonical.source), r);
        let mut rec = Rec {
            nhs_spaced: r.chance(700),
            source,
            updated: self.updated(p.dob, source, r),
            variations: 0,
            ..*canonical
        };
        let alternatives = &self.names.alternatives[p.sex][p.first];
        let applies = |v: u32| match v {
            FIRST_TYPO => p.first_name.len >= 3,
            SURNAME_TYPO => p.surname.len >= 3,
            NICKNAME => !alternatives.is_empty(),
            MIDDLE_AS_FIRST => p.middle_first > 0,
            ACCENTS_DROPPED => !p.first_name.is_ascii() || !p.surname.is_ascii() || !p.middle.is_ascii(),
            DOB_DAY_MONTH => {
                let d = nd(p.dob);
                d.day() <= 12 && d.day() != d.month() && swap_day_month(p.dob).is_some_and(|s| s <= self.as_of)
            }
            MOVED | NO_POSTCODE => canonical.postcode.is_some(),
            NO_NHS => canonical.nhs.is_some(),
            NHS_ADDED => canonical.nhs.is_none() && p.nhs.is_some(),
            NO_UPN => canonical.upn.is_some(),
            NO_GENDER => canonical.gender.is_some(),
            _ => true,
        };
        let changes = r.weighted(&CHANGES_W);
        let mut chosen = 0u32;
        let mut blocked = 0u32;
        for _ in 0..changes {
            let mut weights = VARIATION_W;
            for (v, w) in weights.iter_mut().enumerate() {
                if blocked & 1 << v != 0 || !applies(v as u32) {
                    *w = 0;
                }
            }
            if weights.iter().all(|&w| w == 0) {
                break;
            }
            let v = r.weighted(&weights) as u32;
            chosen |= 1 << v;
            blocked |= 1 << v;
            for group in CONFLICTS {
                if group & 1 << v != 0 {
                    blocked |= group;
                }
            }
        }
        // Whole-name changes first, then accents and slips within names, then moves of names.
        let mut done = 0u32;
        for v in [
            NICKNAME,
            MIDDLE_AS_FIRST,
            SURNAME_CHANGED,
            ACCENTS_DROPPED,
            FIRST_TYPO,
            SURNAME_TYPO,
            NAMES_SWAPPED,
            DOB_DAY_MONTH,
            DOB_DIGIT,
            DOB_YEAR,
            MOVED,
            NO_NHS,
            NHS_ADDED,
            NO_UPN,
            NO_POSTCODE,
            NO_GENDER,
        ] {
            if chosen & 1 << v != 0 && self.apply(v, p, &mut rec, r) {
                done |= 1 << v;
            }
        }
        rec.variations = if done == 0 { 1 << EXACT } else { done };
        rec
    }

    /// Make change `v` on a duplicate; `false` if it could not be made here.
    fn apply(&self, v: u32, p: &TruePerson, rec: &mut Rec, r: &mut Rng) -> bool {
        match v {
            NICKNAME => {
                rec.first = Text::of(r.pick(&self.names.alternatives[p.sex][p.first]));
                true
            }
            MIDDLE_AS_FIRST => {
                let first = &p.middle.as_str()[..usize::from(p.middle_first)];
                rec.first = Text::of(first);
                rec.middle = if r.chance(500) { p.first_name } else { Text::EMPTY };
                true
            }
            SURNAME_CHANGED => {
                let s = p.surname.as_str();
                rec.surname = match s.split_once('-') {
                    // A double-barrelled name shortened to one half.
                    Some((a, b)) => Text::of(if r.chance(500) { a } else { b }),
                    // A parent's other surname, alone or added.
                    None => {
                        let other = self.other_surname(r, &p.surname);
                        match r.below(3) {
                            0 => other,
                            1 => {
                                let mut t = p.surname;
                                t.push("-");
                                t.push(other.as_str());
                                t
                            }
                            _ => {
                                let mut t = other;
                                t.push("-");
                                t.push(s);
                                t
                            }
                        }
                    }
                };
                true
            }
            ACCENTS_DROPPED => {
                rec.first = rec.first.folded();
                rec.middle = rec.middle.folded();
                rec.surname = rec.surname.folded();
                true
            }
            FIRST_TYPO => rec.first.typo(r),
            SURNAME_TYPO => rec.surname.typo(r),
            NAMES_SWAPPED => {
                std::mem::swap(&mut rec.first, &mut rec.surname);
                true
            }
            DOB_DAY_MONTH => {
                rec.dob = swap_day_month(p.dob);
                true
            }
            DOB_DIGIT => {
                rec.dob = self.mistyped_digit(p.dob, r);
                rec.dob != Some(p.dob)
            }
            DOB_YEAR => {
                let d = nd(p.dob);
                let sign = if r.chance(500) { 1 } else { -1 };
                let year = [d.year() + sign, d.year() - sign]
                    .into_iter()
                    .filter_map(|y| d.with_year(y).map(day))
                    .find(|&y| y <= self.as_of);
                rec.dob = year.or(rec.dob);
                year.is_some()
            }
            MOVED => {
                rec.postcode = Some(p.postcode.moved(r));
                true
            }
            NO_NHS => {
                rec.nhs = None;
                true
            }
            NHS_ADDED => {
                rec.nhs = p.nhs;
                true
            }
            NO_UPN => {
                rec.upn = None;
                true
            }
            NO_POSTCODE => {
                rec.postcode = None;
                true
            }
            NO_GENDER => {
                rec.gender = None;
                true
            }
            _ => unreachable!("variation {v} is not drawn for duplicates"),
        }
    }

    /// The date of birth with one digit of dd/mm/yy mistyped, still a date and not in the future.
    fn mistyped_digit(&self, dob: Day, r: &mut Rng) -> Option<Day> {
        let d = nd(dob);
        for _ in 0..16 {
            let (mut dd, mut mm, mut yy) = (d.day() as i32, d.month() as i32, d.year());
            let digit = 1 + r.below(9) as i32;
            match r.below(6) {
                0 => dd = dd % 10 + (dd / 10 + digit) % 4 * 10,
                1 => dd = dd / 10 * 10 + (dd % 10 + digit) % 10,
                2 => mm = mm % 10 + (mm / 10 + digit) % 2 * 10,
                3 => mm = mm / 10 * 10 + (mm % 10 + digit) % 10,
                4 => yy = yy / 100 * 100 + (yy % 100 / 10 + digit) % 10 * 10 + yy % 10,
                _ => yy = yy / 10 * 10 + (yy % 10 + digit) % 10,
            }
            let typo = NaiveDate::from_ymd_opt(yy, mm as u32, dd as u32).map(day);
            if let Some(t) = typo.filter(|&t| t != dob && t <= self.as_of) {
                return Some(t);
            }
        }
        Some(dob)
    }

    /// The record made before birth: `Unborn` or `Baby`, the expected date within three weeks
    /// of the birth, no identifiers or gender yet; now and then under the mother's surname.
    pub(crate) fn prebirth(&self, p: &TruePerson, canonical: &Rec, r: &mut Rng) -> Rec {
        let mother = r.chance(200);
        let source = r.weighted(&PREBIRTH_SOURCES.map(|(_, w)| w)) as u8;
        Rec {
            person: p.index,
            first: Text::of(PREBIRTH_NAMES[r.weighted(&PREBIRTH_NAMES_W)]),
            middle: Text::EMPTY,
            surname: if mother {
                self.other_surname(r, &p.surname)
            } else {
                p.surname
            },
            dob: None,
            edd: Some(p.dob - 21 + r.days(43)),
            gender: None,
            postcode: Some(p.postcode),
            nhs: None,
            nhs_spaced: canonical.nhs_spaced,
            upn: None,
            source,
            prebirth: true,
            updated: p.dob - 7 - r.days(170),
            variations: 1 << PREBIRTH | u32::from(mother) << MOTHER_SURNAME,
        }
    }
}

/// The date with day and month swapped, if that is a date.
pub(crate) fn swap_day_month(dob: Day) -> Option<Day> {
    let d = nd(dob);
    NaiveDate::from_ymd_opt(d.year(), d.day(), d.month()).map(day)
}
