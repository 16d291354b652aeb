//! The census year and its working days: the DfE counts conference targets and its timeliness
//! queries (8670Q, 8675Q) in working days, weekdays that are not bank holidays in England and
//! Wales, so the journeys do too.
//!
//! The bank holidays are worked out (fixed dates with their substitute days, Easter, the May
//! and August Mondays) rather than read from Cleanse's list, which the generator cannot reach,
//! with the one-off days of 2020 to 2023 added; a test compares them with the list.

use chrono::{Datelike, NaiveDate, Weekday};

use crate::render::{Day, day, nd};

/// One census year: 1 April `year` to 31 March `year + 1` (the header's `ReferenceDate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// The year it starts: 2025 for 2025/26.
    pub(crate) year: i32,
    pub(crate) start: Day,
    pub(crate) end: Day,
}

impl Window {
    pub(crate) fn of(year: i32) -> Option<Window> {
        Some(Window {
            year,
            start: day(NaiveDate::from_ymd_opt(year, 4, 1)?),
            end: day(NaiveDate::from_ymd_opt(year + 1, 3, 31)?),
        })
    }

    /// `2025-26`.
    pub(crate) fn label(self) -> String {
        format!("{}-{:02}", self.year, (self.year + 1).rem_euclid(100))
    }
}

/// Working days around one census year.
pub(crate) struct Calendar {
    /// Bank holidays from six years before the census year to two after, sorted.
    holidays: Vec<Day>,
}

impl Calendar {
    pub(crate) fn new(year: i32) -> Calendar {
        let mut holidays: Vec<Day> = (year - 6..=year + 2).flat_map(bank_holidays).collect();
        holidays.sort_unstable();
        Calendar { holidays }
    }

    pub(crate) fn working(&self, d: Day) -> bool {
        !matches!(nd(d).weekday(), Weekday::Sat | Weekday::Sun) && self.holidays.binary_search(&d).is_err()
    }

    /// The first working day on or after `d`.
    pub(crate) fn on_or_after(&self, mut d: Day) -> Day {
        while !self.working(d) {
            d += 1;
        }
        d
    }

    /// The last working day on or before `d`.
    pub(crate) fn on_or_before(&self, mut d: Day) -> Day {
        while !self.working(d) {
            d -= 1;
        }
        d
    }

    /// The date `n` working days after `d` (before, for a negative `n`), as the pack's
    /// `add_working_days` counts: a `d` that is not a working day first moves to one, forward
    /// when counting back and back when counting forward.
    pub(crate) fn add(&self, d: Day, n: i32) -> Day {
        let (mut d, step) = if n <= 0 {
            (self.on_or_after(d), -1)
        } else {
            (self.on_or_before(d), 1)
        };
        for _ in 0..n.unsigned_abs() {
            d += step;
            while !self.working(d) {
                d += step;
            }
        }
        d
    }
}

/// England and Wales's bank holidays in `year`.
fn bank_holidays(year: i32) -> Vec<Day> {
    let ymd = |m: u32, d: u32| day(NaiveDate::from_ymd_opt(year, m, d).expect("a real date"));
    let weekday = |d: Day| nd(d).weekday();
    let mut out = Vec::with_capacity(10);
    // New Year's Day, or the Monday after a weekend.
    let new_year = ymd(1, 1);
    out.push(match weekday(new_year) {
        Weekday::Sat => new_year + 2,
        Weekday::Sun => new_year + 1,
        _ => new_year,
    });
    let easter = easter_sunday(year);
    out.extend([easter - 2, easter + 1]);
    let first_monday = |m: u32| {
        let first = ymd(m, 1);
        first + (7 - nd(first).weekday().num_days_from_monday() as i32) % 7
    };
    let last_monday = |m: u32, last: u32| {
        let l = ymd(m, last);
        l - nd(l).weekday().num_days_from_monday() as i32
    };
    // Early May (moved to VE Day's 75th anniversary in 2020).
    out.push(if year == 2020 { ymd(5, 8) } else { first_monday(5) });
    // Spring (moved for the Platinum Jubilee in 2022, with a day more).
    if year == 2022 {
        out.extend([ymd(6, 2), ymd(6, 3)]);
    } else {
        out.push(last_monday(5, 31));
    }
    out.push(last_monday(8, 31));
    // Christmas and Boxing Day, each falling on a weekend moved to the next free weekday.
    let christmas = ymd(12, 25);
    out.extend(match weekday(christmas) {
        Weekday::Fri => [christmas, christmas + 3],
        Weekday::Sat => [christmas + 2, christmas + 3],
        Weekday::Sun => [christmas + 1, christmas + 2],
        _ => [christmas, christmas + 1],
    });
    match year {
        2022 => out.push(ymd(9, 19)),
        2023 => out.push(ymd(5, 8)),
        _ => {}
    }
    out
}

/// Easter Sunday (the Gregorian computus, Meeus/Jones/Butcher).
fn easter_sunday(year: i32) -> Day {
    let (a, b, c) = (year % 19, year / 100, year % 100);
    let (d, e) = (b / 4, b % 4);
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let dom = (h + l - 7 * m + 114) % 31 + 1;
    day(NaiveDate::from_ymd_opt(year, month as u32, dom as u32).expect("Easter is a date"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Day {
        day(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
    }

    /// The same days as GOV.UK's list that Cleanse is built with, where the repository has it.
    #[test]
    fn bank_holidays_are_govuks() {
        let list = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../data/bank-holidays-england-and-wales.csv"
        );
        let Ok(text) = std::fs::read_to_string(list) else {
            return;
        };
        let listed: Vec<Day> = text
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            .map(|l| d(&l[..10]))
            .collect();
        let years: std::collections::BTreeSet<i32> = listed.iter().map(|&x| nd(x).year()).collect();
        let mut ours: Vec<Day> = years.iter().flat_map(|&y| bank_holidays(y)).collect();
        ours.sort_unstable();
        assert_eq!(ours, listed);
    }

    #[test]
    fn working_days_count_as_the_pack_counts() {
        let cal = Calendar::new(2025);
        // 45 working days back from Tuesday 31 March 2026 (counting it) is 28 January; 15 is
        // 11 March (the pack's examples for 8670Q and 8675Q).
        assert_eq!(cal.add(d("2026-03-31"), -44), d("2026-01-28"));
        assert_eq!(cal.add(d("2026-03-31"), -14), d("2026-03-11"));
        // Over Easter 2026 (Good Friday 3 April, Easter Monday 6 April).
        assert_eq!(cal.add(d("2026-04-02"), 1), d("2026-04-07"));
        // A Saturday counted forward starts from the Friday before.
        assert_eq!(cal.add(d("2025-06-07"), 1), d("2025-06-09"));
        assert!(!cal.working(d("2025-12-26")) && cal.working(d("2025-12-29")));
        assert_eq!(Window::of(2025).unwrap().label(), "2025-26");
    }
}
