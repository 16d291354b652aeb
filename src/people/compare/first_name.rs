//! The `first_name` comparison.

use super::{Comparison, Cx, Level, alike, slip, swapped};
use crate::people::person::Person;

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

    fn needs(&self) -> &'static [&'static [&'static str]] {
        &[&["first_name"]]
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
