//! The `sex` comparison.

use super::{Comparison, Cx, Level};
use crate::people::person::Person;

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

    fn needs(&self) -> &'static [&'static [&'static str]] {
        &[&["sex"]]
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
