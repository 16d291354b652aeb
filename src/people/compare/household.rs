//! The `household` comparison.

use super::first_name::FirstName;
use super::{Comparison, Cx, Level};
use crate::people::person::Person;

/// Twins and siblings: the same household (surname or postcode) with first names that are not
/// variants of each other, born on the same day (twins) or on different days (siblings). Each
/// shared fact alone says "same person"; together with unrelated first names they say "brother
/// or sister". The weights are fixed, not estimated: they correct the other comparisons'
/// independence, which the data cannot measure.
pub struct Household;

/// Enough to pull the strongest agreement of birth, surname and postcode out of the "same
/// person" band, but not to outweigh the same NHS number or UPN.
const TWINS: f64 = -24.0;
/// Siblings' dates of birth differ, which counts against them already; a year or a digit apart
/// (a slip, as far as the date comparison can tell) it may not count enough.
const SIBLINGS: f64 = -14.0;

impl Comparison for Household {
    fn u_prior(&self) -> &'static [f64] {
        &[0.0001, 0.001]
    }
    fn m_prior(&self) -> &'static [f64] {
        &[0.001, 0.01]
    }
    fn name(&self) -> &'static str {
        "household"
    }

    fn needs(&self) -> &'static [&'static [&'static str]] {
        &[&["date_of_birth"], &["first_name"], &["surname", "postcode"]]
    }
    fn doc(&self) -> &'static str {
        "Twins share a date of birth, a surname and an address, and siblings all but the date; merging them would be a dangerous mistake, so unrelated first names in one household count against a match."
    }
    fn levels(&self) -> &'static [&'static str] {
        &[
            "twins: same birth and household, unrelated first names",
            "siblings: same household, unrelated first names",
        ]
    }
    fn compare(&self, a: &Person, b: &Person, cx: &Cx) -> Level {
        let same_home = (!a.surname.is_empty() && a.surname == b.surname)
            || a.postcode.as_ref().is_some_and(|p| Some(p) == b.postcode.as_ref());
        if !same_home || FirstName.compare(a, b, cx) != Some(4) {
            return None;
        }
        match (a.dob, b.dob) {
            (Some(x), Some(y)) if x == y => Some(0),
            (Some(_), Some(_)) => Some(1),
            _ => None,
        }
    }
    fn explain(&self, level: Level, _a: &Person, _b: &Person) -> String {
        match level {
            Some(0) => "same date of birth and household but unrelated first names: likely twins",
            Some(_) => "same household but unrelated first names and dates of birth: likely brother or sister",
            None => "",
        }
        .to_string()
    }
    fn fixed_weights(&self) -> Option<&'static [f64]> {
        Some(&[TWINS, SIBLINGS])
    }
}
