//! Comparisons: each looks at one aspect of two records and says how far they agree, as a
//! *level* (exact, a short form, one letter out, different...), or gives no evidence when a value
//! is missing. Scoring turns each level into a weight; explanations turn it into words a
//! caseworker reads ("surname differs by one letter (Smyth/Smith)").
//!
//! Each kind is one file in this folder, documented where it is defined, and registered in
//! [`COMPARISONS`]; the helpers several share (names alike, one slip apart) are here.

pub mod date_of_birth;
pub mod first_name;
pub mod household;
pub mod nhs_number;
pub mod postcode;
pub mod pre_birth;
pub mod sex;
pub mod surname;
pub mod upn;

use std::collections::{HashMap, HashSet};

use super::person::Person;

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
    /// The person fields ([`super::person::ROLES`]) it reads: one of each inner list. A rule
    /// whose `person:` lacks them cannot use it.
    fn needs(&self) -> &'static [&'static [&'static str]];
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
    &first_name::FirstName,
    &surname::Surname,
    &date_of_birth::DateOfBirth,
    &pre_birth::PreBirth,
    &sex::Sex,
    &postcode::Postcode,
    &nhs_number::NhsNumber,
    &upn::Upn,
    &household::Household,
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
        Nicknames::parse(include_str!("../../../rules/nicknames.csv"))
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
    use super::super::person::{Dates, Fields, ROLES};

    #[test]
    fn every_comparison_and_block_needs_fields_that_exist() {
        let needs = COMPARISONS
            .iter()
            .map(|k| (k.name(), k.needs()))
            .chain(super::super::Block::ALL.iter().map(|b| (b.name(), b.needs())));
        for (name, needs) in needs {
            assert!(!needs.is_empty(), "{name} reads some field");
            for any in needs {
                assert!(!any.is_empty(), "{name}");
                for role in *any {
                    assert!(
                        ROLES.contains(role),
                        "{name} needs `{role}`, which is not a person field"
                    );
                }
            }
        }
    }
    use super::date_of_birth::DateOfBirth;
    use super::first_name::FirstName;
    use super::household::Household;
    use super::nhs_number::NhsNumber;
    use super::postcode::Postcode;
    use super::pre_birth::PreBirth;
    use super::surname::Surname;
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
