//! The `pre_birth` comparison.

use super::{Comparison, Cx, Level};
use crate::people::person::{Person, uk_date};

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

    fn needs(&self) -> &'static [&'static [&'static str]] {
        &[
            &["date_of_birth", "expected_date_of_birth"],
            &["first_name", "expected_date_of_birth"],
        ]
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
