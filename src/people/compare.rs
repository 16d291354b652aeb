//! Comparisons: each looks at one aspect of two records and says how far they agree, as a
//! *level* (exact, a short form, one letter out, different...), or gives no evidence when a value
//! is missing. Scoring turns each level into a weight; explanations turn it into words a
//! caseworker reads ("surname differs by one letter (Smyth/Smith)").
//!
//! Each kind is small and documented where it is defined, and registered in [`COMPARISONS`].

use std::collections::{HashMap, HashSet};

use chrono::Datelike;

use super::person::{Person, uk_date};

/// A level: an index into the kind's `levels`. `None` is no evidence (weight 0).
pub type Level = Option<u8>;

/// How many counted random pairs a comparison's [`Comparison::u_prior`] weighs as.
pub const U_PRIOR_PAIRS: f64 = 10_000.0;

/// What the comparisons share: the nickname list.
pub struct Cx {
    pub nicknames: Nicknames,
}

pub trait Comparison: Sync {
    /// The name a rules file uses.
    fn name(&self) -> &'static str;
    /// Why it matters, for `cleanse explain` and the docs.
    fn doc(&self) -> &'static str;
    /// Level names, strongest agreement first.
    fn levels(&self) -> &'static [&'static str];
    /// How often true duplicates fall at each level, before the data says otherwise: where
    /// estimation starts, and what is used when a table is too small to estimate from.
    fn m_prior(&self) -> &'static [f64];
    /// How often two unrelated records fall at each level, before counting: it keeps a small
    /// table's weights sensible, and weighs as much as [`U_PRIOR_PAIRS`] counted pairs.
    fn u_prior(&self) -> &'static [f64];
    fn compare(&self, a: &Person, b: &Person, cx: &Cx) -> Level;
    /// The level in a caseworker's words, with the values where they help; empty when there is
    /// nothing worth saying (neither record has the value).
    fn explain(&self, level: Level, a: &Person, b: &Person) -> String;
    /// The value whose frequency adjusts an exact agreement (a common surname is weaker
    /// evidence than a rare one).
    fn frequency_key<'a>(&self, _p: &'a Person) -> Option<&'a str> {
        None
    }
    fn frequency_adjusted(&self) -> bool {
        false
    }
    /// Fixed weights by level, for comparisons whose evidence is not independent of the others
    /// (so cannot be estimated): `None` to estimate.
    fn fixed_weights(&self) -> Option<&'static [f64]> {
        None
    }
}

/// Every comparison kind, in the order scores and explanations list them.
pub static COMPARISONS: &[&dyn Comparison] = &[
    &FirstName,
    &Surname,
    &DateOfBirth,
    &PreBirth,
    &Sex,
    &Postcode,
    &NhsNumber,
    &Upn,
    &Household,
];

/// Index of a kind in [`COMPARISONS`].
pub fn index(name: &str) -> Option<usize> {
    COMPARISONS.iter().position(|c| c.name() == name)
}

// ---------------------------------------------------------------------------------------------
// Names

/// Known short forms, nicknames and spelling variants of first names (`rules/nicknames.csv`):
/// pairs, both ways, looked up without allocating (the pair loop runs millions of times).
pub struct Nicknames(HashMap<String, HashSet<String>>);

impl Nicknames {
    /// The shipped list.
    pub fn shipped() -> Nicknames {
        Nicknames::parse(include_str!("../../rules/nicknames.csv"))
    }

    /// `name,variant` lines after a header.
    pub fn parse(csv: &str) -> Nicknames {
        let mut map: HashMap<String, HashSet<String>> = HashMap::new();
        for line in csv.lines().skip(1) {
            if let Some((a, b)) = line.split_once(',') {
                let (a, b) = (super::person::fold(a), super::person::fold(b));
                if !a.is_empty() && !b.is_empty() && a != b {
                    map.entry(a.clone()).or_default().insert(b.clone());
                    map.entry(b).or_default().insert(a);
                }
            }
        }
        Nicknames(map)
    }

    pub fn related(&self, a: &str, b: &str) -> bool {
        self.0.get(a).is_some_and(|v| v.contains(b))
    }
}

/// Two spellings one slip apart: one edit (Damerau–Levenshtein distance 1: a letter changed,
/// added, dropped, or two neighbours swapped), or close by Jaro–Winkler for names long enough
/// for it to mean something and starting with the same letter (below 0.94 otherwise).
fn alike(a: &str, b: &str) -> bool {
    if a.len().min(b.len()) < 3 {
        return false;
    }
    one_edit(a.as_bytes(), b.as_bytes())
        || (a.len().min(b.len()) >= 5 && a.as_bytes()[0] == b.as_bytes()[0] && strsim::jaro_winkler(a, b) >= 0.94)
}

/// Damerau–Levenshtein distance of at most one, without allocating (the pair loop runs this
/// millions of times; `strsim::damerau_levenshtein` builds a table per call). The tests check
/// it against strsim.
fn one_edit(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if b.len() - a.len() > 1 {
        return false;
    }
    let start = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if start == a.len() {
        return true;
    }
    if a.len() == b.len() {
        // One letter changed, or two neighbours swapped.
        a[start + 1..] == b[start + 1..]
            || (start + 1 < a.len()
                && a[start] == b[start + 1]
                && a[start + 1] == b[start]
                && a[start + 2..] == b[start + 2..])
    } else {
        // One letter added to the shorter.
        a[start..] == b[start + 1..]
    }
}

/// How two names differ, in words: "differs by one letter" when it does.
fn slip(a: &str, b: &str) -> &'static str {
    if strsim::damerau_levenshtein(a, b) <= 1 {
        "differs by one letter"
    } else {
        "is spelt differently"
    }
}

/// First name and surname swapped between the records, allowing a slip in either.
fn swapped(a: &Person, b: &Person) -> bool {
    let same = |x: &str, y: &str| x == y || x.len() >= 3 && one_edit(x.as_bytes(), y.as_bytes());
    !a.first.is_empty()
        && !a.surname.is_empty()
        && a.first != a.surname
        && same(&a.first, &b.surname)
        && same(&a.surname, &b.first)
}

/// First names: the same, a known short form (Jon/Jonathan), one slip apart (Jaden/Jayden), a
/// middle name used as the first, or different. A pre-birth record has no first name to
/// compare, and names swapped with the surname are the surname comparison's to weigh.
pub struct FirstName;

impl Comparison for FirstName {
    fn u_prior(&self) -> &'static [f64] {
        &[0.02, 0.001, 0.004, 0.001, 0.974]
    }
    fn m_prior(&self) -> &'static [f64] {
        &[0.80, 0.06, 0.06, 0.02, 0.06]
    }
    fn name(&self) -> &'static str {
        "first_name"
    }
    fn doc(&self) -> &'static str {
        "A second record is often typed from a conversation: a short form, a misspelling, or the middle name the child goes by."
    }
    fn levels(&self) -> &'static [&'static str] {
        &["exact", "short form", "one slip", "middle name", "different"]
    }
    fn compare(&self, a: &Person, b: &Person, cx: &Cx) -> Level {
        if a.first.is_empty() || b.first.is_empty() {
            return None;
        }
        Some(if a.first == b.first {
            0
        } else if cx.nicknames.related(&a.first, &b.first) {
            1
        } else if alike(&a.first, &b.first) {
            2
        } else if a.others.contains(&b.first) || b.others.contains(&a.first) {
            3
        } else if swapped(a, b) {
            // The surname comparison weighs a swap, once.
            return None;
        } else {
            4
        })
    }
    fn explain(&self, level: Level, a: &Person, b: &Person) -> String {
        let (x, y) = (&a.shown_first, &b.shown_first);
        match level {
            Some(0) => format!("same first name ({x})"),
            Some(1) => format!("first name is a short form or variant ({x}/{y})"),
            Some(2) => format!("first name {} ({x}/{y})", slip(&a.first, &b.first)),
            Some(3) => format!("a middle name used as first name ({x}/{y})"),
            Some(_) => format!("different first names ({x}/{y})"),
            None if swapped(a, b) => String::new(),
            None if a.pre_birth || b.pre_birth => "no first name on the pre-birth record".to_string(),
            None => "first name missing on one".to_string(),
        }
    }
    fn frequency_key<'a>(&self, p: &'a Person) -> Option<&'a str> {
        Some(p.first.as_str()).filter(|s| !s.is_empty())
    }
    fn frequency_adjusted(&self) -> bool {
        true
    }
}

/// Surnames: the same, one slip apart (Smyth/Smith), one part of the other's double surname
/// (a surname changed or joined, Smith/Smith-Jones), swapped with the first name, or different.
pub struct Surname;

impl Comparison for Surname {
    fn u_prior(&self) -> &'static [f64] {
        &[0.01, 0.003, 0.0005, 0.0001, 0.9864]
    }
    fn m_prior(&self) -> &'static [f64] {
        &[0.85, 0.06, 0.03, 0.01, 0.05]
    }
    fn name(&self) -> &'static str {
        "surname"
    }
    fn doc(&self) -> &'static str {
        "Children's surnames change with their parents' (marriage, separation, double-barrelling), and are misheard on the phone."
    }
    fn levels(&self) -> &'static [&'static str] {
        &[
            "exact",
            "one slip",
            "part of a double surname",
            "swapped with first name",
            "different",
        ]
    }
    fn compare(&self, a: &Person, b: &Person, _cx: &Cx) -> Level {
        if a.surname.is_empty() || b.surname.is_empty() {
            return None;
        }
        Some(if a.surname == b.surname {
            0
        } else if alike(&a.surname, &b.surname) {
            1
        } else if a.surname_parts.contains(&b.surname) || b.surname_parts.contains(&a.surname) {
            2
        } else if swapped(a, b) {
            3
        } else {
            4
        })
    }
    fn explain(&self, level: Level, a: &Person, b: &Person) -> String {
        let (x, y) = (&a.shown_surname, &b.shown_surname);
        match level {
            Some(0) => format!("same surname ({x})"),
            Some(1) => format!("surname {} ({x}/{y})", slip(&a.surname, &b.surname)),
            Some(2) => format!("surname is part of the other's double surname ({x}/{y})"),
            Some(3) => format!(
                "first name and surname swapped ({} {}/{} {})",
                a.shown_first, x, b.shown_first, y
            ),
            Some(_) => format!("different surnames ({x}/{y})"),
            None => "surname missing on one".to_string(),
        }
    }
    fn frequency_key<'a>(&self, p: &'a Person) -> Option<&'a str> {
        Some(p.surname.as_str()).filter(|s| !s.is_empty())
    }
    fn frequency_adjusted(&self) -> bool {
        true
    }
}

// ---------------------------------------------------------------------------------------------
// Dates

/// Dates of birth: the same, day and month swapped (03/07/2013 for 07/03/2013, the commonest
/// slip between US- and UK-format systems), one digit wrong, the year one out, or different.
pub struct DateOfBirth;

/// dd, mm, yyyy as the eight digits a person types.
fn digits(d: chrono::NaiveDate) -> [u8; 8] {
    let (day, month, year) = (d.day(), d.month(), d.year().rem_euclid(10_000) as u32);
    [
        (day / 10) as u8,
        (day % 10) as u8,
        (month / 10) as u8,
        (month % 10) as u8,
        (year / 1000) as u8,
        (year / 100 % 10) as u8,
        (year / 10 % 10) as u8,
        (year % 10) as u8,
    ]
}

impl Comparison for DateOfBirth {
    fn u_prior(&self) -> &'static [f64] {
        &[0.00015, 0.00005, 0.003, 0.00015, 0.99665]
    }
    fn m_prior(&self) -> &'static [f64] {
        &[0.88, 0.03, 0.04, 0.02, 0.03]
    }
    fn name(&self) -> &'static str {
        "date_of_birth"
    }
    fn doc(&self) -> &'static str {
        "A date of birth is the strongest everyday identifier, and its typing slips are few and recognisable."
    }
    fn levels(&self) -> &'static [&'static str] {
        &[
            "exact",
            "day and month swapped",
            "one digit wrong",
            "year one out",
            "different",
        ]
    }
    fn compare(&self, a: &Person, b: &Person, _cx: &Cx) -> Level {
        let (x, y) = (a.dob?, b.dob?);
        Some(if x == y {
            0
        } else if x.day() == y.month() && x.month() == y.day() && x.year() == y.year() {
            1
        } else if digits(x).iter().zip(digits(y)).filter(|(p, q)| **p != *q).count() == 1 {
            2
        } else if x.day() == y.day() && x.month() == y.month() && (x.year() - y.year()).abs() == 1 {
            3
        } else {
            4
        })
    }
    fn explain(&self, level: Level, a: &Person, b: &Person) -> String {
        let both = || {
            format!(
                "{} and {}",
                a.dob.map_or(String::new(), uk_date),
                b.dob.map_or(String::new(), uk_date)
            )
        };
        match level {
            Some(0) => "same date of birth".to_string(),
            Some(1) => format!("date of birth with day and month swapped ({})", both()),
            Some(2) => format!("date of birth differs by one digit ({})", both()),
            Some(3) => format!("year of birth one out ({})", both()),
            Some(_) => format!("different dates of birth ({})", both()),
            None if a.pre_birth || b.pre_birth => "a pre-birth record (no date of birth)".to_string(),
            None => "date of birth missing on one".to_string(),
        }
    }
}

/// A record made before birth ("Unborn Smith", expected 01/03/2014) against a registered child
/// born near that date, or against another pre-birth record: how near the dates are.
pub struct PreBirth;

impl PreBirth {
    fn days_apart(a: &Person, b: &Person) -> Option<i64> {
        if !(a.pre_birth || b.pre_birth) {
            return None;
        }
        Some((a.birth()? - b.birth()?).num_days().abs())
    }
}

impl Comparison for PreBirth {
    fn u_prior(&self) -> &'static [f64] {
        &[0.02, 0.04, 0.94]
    }
    fn m_prior(&self) -> &'static [f64] {
        &[0.88, 0.1195, 0.0005]
    }
    fn name(&self) -> &'static str {
        "pre_birth"
    }
    fn doc(&self) -> &'static str {
        "Work often starts before a baby is born; the pre-birth record is rarely linked to the registered child, which splits the child's history from its first day."
    }
    fn levels(&self) -> &'static [&'static str] {
        &[
            "born within 3 weeks of the expected date",
            "born within 2 months",
            "further apart",
        ]
    }
    fn compare(&self, a: &Person, b: &Person, _cx: &Cx) -> Level {
        let days = Self::days_apart(a, b)?;
        Some(match days {
            0..=21 => 0,
            22..=62 => 1,
            _ => 2,
        })
    }
    fn explain(&self, level: Level, a: &Person, b: &Person) -> String {
        let (pre, other) = if a.pre_birth { (a, b) } else { (b, a) };
        let (Some(expected), Some(born)) = (pre.expected, other.birth()) else {
            return "a pre-birth record with no expected date".to_string();
        };
        let days = (born - expected).num_days();
        let when = match days {
            0 => "on the expected date".to_string(),
            d if d > 0 => format!("{d} days after it"),
            d => format!("{} days before it", -d),
        };
        match level {
            Some(2) => format!(
                "pre-birth record expected {}, far from {} ({when})",
                uk_date(expected),
                uk_date(born)
            ),
            _ if other.pre_birth => format!(
                "two pre-birth records, expected {} and {}",
                uk_date(expected),
                uk_date(born)
            ),
            _ => format!(
                "pre-birth record expected {}; born {} ({when})",
                uk_date(expected),
                uk_date(born)
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Other fields

/// Recorded sex: the same or different (missing, not stated and unknown give no evidence).
pub struct Sex;

impl Comparison for Sex {
    fn u_prior(&self) -> &'static [f64] {
        &[0.5, 0.5]
    }
    fn m_prior(&self) -> &'static [f64] {
        &[0.97, 0.03]
    }
    fn name(&self) -> &'static str {
        "sex"
    }
    fn doc(&self) -> &'static str {
        "Different recorded sex is some evidence of different children, but it is mistyped and can change, so it never decides alone."
    }
    fn levels(&self) -> &'static [&'static str] {
        &["same", "different"]
    }
    fn compare(&self, a: &Person, b: &Person, _cx: &Cx) -> Level {
        Some(u8::from(a.sex? != b.sex?))
    }
    fn explain(&self, level: Level, a: &Person, b: &Person) -> String {
        match level {
            Some(0) => "same sex recorded",
            Some(_) => "different sex recorded",
            None if a.sex.is_some() || b.sex.is_some() => "sex not recorded on one",
            None => "",
        }
        .to_string()
    }
}

/// Postcodes: the same, the same sector (a move round the corner), the same district, or
/// different (families move; a different postcode is weak evidence).
pub struct Postcode;

impl Comparison for Postcode {
    fn u_prior(&self) -> &'static [f64] {
        &[0.0005, 0.003, 0.03, 0.9665]
    }
    fn m_prior(&self) -> &'static [f64] {
        &[0.70, 0.05, 0.08, 0.17]
    }
    fn name(&self) -> &'static str {
        "postcode"
    }
    fn doc(&self) -> &'static str {
        "Children move, often nearby; the same postcode is strong evidence, a different one weak evidence against."
    }
    fn levels(&self) -> &'static [&'static str] {
        &["exact", "same sector", "same district", "different"]
    }
    fn compare(&self, a: &Person, b: &Person, _cx: &Cx) -> Level {
        let (x, y) = (a.postcode.as_ref()?, b.postcode.as_ref()?);
        Some(if x.full == y.full {
            0
        } else if x.sector() == y.sector() {
            1
        } else if x.district() == y.district() {
            2
        } else {
            3
        })
    }
    fn explain(&self, level: Level, a: &Person, b: &Person) -> String {
        let both = || {
            format!(
                "{} and {}",
                a.postcode.as_ref().map_or(String::new(), |p| p.display()),
                b.postcode.as_ref().map_or(String::new(), |p| p.display())
            )
        };
        match level {
            Some(0) => "same postcode".to_string(),
            Some(1) => format!("postcodes in the same sector ({})", both()),
            Some(2) => format!("postcodes in the same district ({})", both()),
            Some(_) => format!("different postcodes ({})", both()),
            None if a.postcode.is_some() || b.postcode.is_some() => "postcode missing on one".to_string(),
            None => String::new(),
        }
    }
}

/// NHS numbers, only when both are valid by their check digit: the same is near-certain
/// evidence of one child; two different valid numbers, strong evidence of two.
pub struct NhsNumber;

impl Comparison for NhsNumber {
    fn u_prior(&self) -> &'static [f64] {
        &[0.00001, 0.99999]
    }
    fn m_prior(&self) -> &'static [f64] {
        &[0.99, 0.01]
    }
    fn name(&self) -> &'static str {
        "nhs_number"
    }
    fn doc(&self) -> &'static str {
        "An NHS number is unique to a child; a number that fails its check digit is a typing slip and carries no weight."
    }
    fn levels(&self) -> &'static [&'static str] {
        &["same", "different"]
    }
    fn compare(&self, a: &Person, b: &Person, _cx: &Cx) -> Level {
        Some(u8::from(a.nhs? != b.nhs?))
    }
    fn explain(&self, level: Level, a: &Person, b: &Person) -> String {
        match level {
            Some(0) => "same NHS number".to_string(),
            Some(_) => "different NHS numbers (both valid)".to_string(),
            None if (a.nhs_given && a.nhs.is_none()) || (b.nhs_given && b.nhs.is_none()) => {
                "an NHS number that fails its check digit (no weight)".to_string()
            }
            None if a.nhs.is_some() || b.nhs.is_some() => "NHS number missing on one".to_string(),
            None => String::new(),
        }
    }
}

/// Unique pupil numbers, only when both have a valid check letter.
pub struct Upn;

impl Comparison for Upn {
    fn u_prior(&self) -> &'static [f64] {
        &[0.00001, 0.99999]
    }
    fn m_prior(&self) -> &'static [f64] {
        &[0.99, 0.01]
    }
    fn name(&self) -> &'static str {
        "upn"
    }
    fn doc(&self) -> &'static str {
        "A UPN identifies a pupil across schools; a wrong check letter marks a typing slip, which carries no weight."
    }
    fn levels(&self) -> &'static [&'static str] {
        &["same", "different"]
    }
    fn compare(&self, a: &Person, b: &Person, _cx: &Cx) -> Level {
        Some(u8::from(a.upn? != b.upn?))
    }
    fn explain(&self, level: Level, a: &Person, b: &Person) -> String {
        match level {
            Some(0) => "same UPN".to_string(),
            Some(_) => "different UPNs (both valid)".to_string(),
            None if (a.upn_given && a.upn.is_none()) || (b.upn_given && b.upn.is_none()) => {
                "a UPN that fails its check letter (no weight)".to_string()
            }
            None if a.upn.is_some() || b.upn.is_some() => "UPN missing on one".to_string(),
            None => String::new(),
        }
    }
}

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

/// Records a value's frequency is shrunk towards the comparison's prior as if they were counted
/// too: in a small table every name looks common.
pub const FREQUENCY_PRIOR_RECORDS: f64 = 1_000.0;

/// How often each value of a frequency-adjusted comparison occurs, as a share of records.
pub fn frequencies(people: &[Person], c: &dyn Comparison) -> HashMap<String, f64> {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    let mut n = 0u64;
    for p in people {
        if let Some(k) = c.frequency_key(p) {
            *counts.entry(k).or_default() += 1;
            n += 1;
        }
    }
    let prior = c.u_prior()[0];
    counts
        .into_iter()
        .map(|(k, v)| {
            let share = (v as f64 + prior * FREQUENCY_PRIOR_RECORDS) / (n as f64 + FREQUENCY_PRIOR_RECORDS);
            (k.to_string(), share)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::person::{Dates, Fields};
    use super::*;

    fn person(first: &str, surname: &str, dob: &str, postcode: &str, nhs: &str) -> Person {
        Person::new(
            &Fields {
                first_name: first,
                surname,
                date_of_birth: dob,
                postcode,
                nhs_number: nhs,
                ..Fields::default()
            },
            Dates::uk(40),
        )
    }

    fn cx() -> Cx {
        Cx {
            nicknames: Nicknames::parse("name,variant\nJonathan,Jon\nWilliam,Bill\n"),
        }
    }

    #[test]
    fn names_dates_and_postcodes_fall_into_their_levels() {
        let cx = cx();
        let a = person("Jayden", "Smith", "07/03/2013", "B18 2JP", "");
        let b = person("Jaden", "Smyth", "03/07/2013", "B18 2QT", "");
        assert_eq!(FirstName.compare(&a, &b, &cx), Some(2));
        assert_eq!(Surname.compare(&a, &b, &cx), Some(1));
        assert_eq!(DateOfBirth.compare(&a, &b, &cx), Some(1));
        assert_eq!(Postcode.compare(&a, &b, &cx), Some(1));
        assert_eq!(
            Surname.explain(Some(1), &b, &a),
            "surname differs by one letter (Smyth/Smith)"
        );
        assert_eq!(
            DateOfBirth.explain(Some(1), &a, &b),
            "date of birth with day and month swapped (07/03/2013 and 03/07/2013)"
        );
        let c = person("Jon", "Smith", "07/03/2014", "B1 1AA", "");
        let d = person("Jonathan", "Smith", "07/03/2013", "B2 1AA", "");
        assert_eq!(FirstName.compare(&c, &d, &cx), Some(1));
        assert_eq!(
            FirstName.explain(Some(1), &c, &d),
            "first name is a short form or variant (Jon/Jonathan)"
        );
        assert_eq!(DateOfBirth.compare(&c, &d, &cx), Some(2), "2014/2013: one digit");
        assert_eq!(Postcode.compare(&c, &d, &cx), Some(3));
        let e = person("Smith", "Jon", "17/03/2013", "", "");
        assert_eq!(
            FirstName.compare(&c, &e, &cx),
            None,
            "a swap is the surname comparison's to weigh"
        );
        assert_eq!(Surname.compare(&c, &e, &cx), Some(3));
        assert_eq!(Postcode.compare(&c, &e, &cx), None);
        assert_eq!(Postcode.explain(None, &c, &e), "postcode missing on one");
    }

    #[test]
    fn one_edit_agrees_with_strsim() {
        let names = [
            "SMITH", "SMYTH", "SMITHE", "SMIHT", "MSITH", "SMIT", "JAYDEN", "JADEN", "AB", "BA", "A", "", "ABC", "ACB",
            "XYZ",
        ];
        for a in names {
            for b in names {
                assert_eq!(
                    one_edit(a.as_bytes(), b.as_bytes()),
                    strsim::damerau_levenshtein(a, b) <= 1,
                    "{a} {b}"
                );
            }
        }
    }

    #[test]
    fn invalid_nhs_numbers_carry_no_weight_and_different_valid_ones_count_against() {
        let cx = cx();
        let a = person("A", "B", "", "", "943 476 5919");
        let b = person("A", "B", "", "", "943 476 5918");
        let c = person("A", "B", "", "", "");
        let d = person("A", "B", "", "", "401 023 2137");
        assert_eq!(NhsNumber.compare(&a, &b, &cx), None);
        assert_eq!(
            NhsNumber.explain(None, &a, &b),
            "an NHS number that fails its check digit (no weight)"
        );
        assert_eq!(NhsNumber.explain(None, &a, &c), "NHS number missing on one");
        assert_eq!(NhsNumber.compare(&a, &a, &cx), Some(0));
        assert_eq!(NhsNumber.compare(&a, &d, &cx), Some(1));
    }

    #[test]
    fn twins_are_flagged_and_short_forms_are_not_twins() {
        let cx = cx();
        let a = person("Olivia", "Patel", "01/02/2015", "NF1 4DX", "");
        let b = person("Amelia", "Patel", "01/02/2015", "NF1 4DX", "");
        let c = person("Bill", "Patel", "01/02/2015", "NF1 4DX", "");
        let d = person("William", "Patel", "01/02/2015", "NF9 9ZZ", "");
        assert_eq!(Household.compare(&a, &b, &cx), Some(0));
        assert_eq!(Household.compare(&c, &d, &cx), None);
    }

    #[test]
    fn a_pre_birth_record_is_compared_with_the_childs_birth() {
        let cx = cx();
        let unborn = Person::new(
            &Fields {
                first_name: "Unborn",
                surname: "Smith",
                expected_date_of_birth: "01/03/2014",
                ..Fields::default()
            },
            Dates::uk(40),
        );
        let child = person("Ava", "Smith", "09/03/2014", "", "");
        assert_eq!(PreBirth.compare(&unborn, &child, &cx), Some(0));
        assert_eq!(FirstName.compare(&unborn, &child, &cx), None);
        assert_eq!(DateOfBirth.compare(&unborn, &child, &cx), None);
        assert_eq!(
            PreBirth.explain(Some(0), &unborn, &child),
            "pre-birth record expected 01/03/2014; born 09/03/2014 (8 days after it)"
        );
        assert_eq!(PreBirth.compare(&child, &child, &cx), None, "two born children");
    }
}
