//! The `nhs_number` comparison.

use super::{Comparison, Cx, Level};
use crate::people::person::Person;

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

    fn needs(&self) -> &'static [&'static [&'static str]] {
        &[&["nhs_number"]]
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
