//! The `date_of_birth` comparison.

use chrono::Datelike;

use super::{Comparison, Cx, Level};
use crate::people::person::{Person, uk_date};

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

    fn needs(&self) -> &'static [&'static [&'static str]] {
        &[&["date_of_birth"]]
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
