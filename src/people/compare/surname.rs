//! The `surname` comparison.

use super::{Comparison, Cx, Level, alike, slip, swapped};
use crate::people::person::Person;

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

    fn needs(&self) -> &'static [&'static [&'static str]] {
        &[&["surname"]]
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
