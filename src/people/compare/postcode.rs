//! The `postcode` comparison.

use super::{Comparison, Cx, Level};
use crate::people::person::Person;

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

    fn needs(&self) -> &'static [&'static [&'static str]] {
        &[&["postcode"]]
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
