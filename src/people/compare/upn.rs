//! The `upn` comparison.

use super::{Comparison, Cx, Level};
use crate::people::person::Person;

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

    fn needs(&self) -> &'static [&'static [&'static str]] {
        &[&["upn"]]
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
