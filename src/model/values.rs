//! Typed values from the messy text that case-management systems export.
//!
//! Every cell of every file passes through here, so parsing works on bytes, uses no regex and
//! never allocates (only the `format_*` functions build `String`s).
//!
//! Dates come from UK systems, so day-first is the only numeric order: `02/13/2024` is rejected,
//! never read month-first, because guessing the order silently swaps day and month.
//! Two-digit years are resolved by a pivot: `yy < pivot` → 20yy, otherwise 19yy. The default of
//! 40 fits these records: children are born 2000 or later, while the adults in carer and adopter
//! lists were mostly born 1940–1999. It is configurable per column for data that breaks this.
//! Excel serials are accepted only as exactly five digits (10000..=99999, 1927–2173), so a bare
//! year such as `2023` in a date column is reported rather than read as a serial in 1905.
//! Whatever cannot be parsed gives `None`: the caller reports a finding instead of writing a
//! silent blank.

use chrono::{Datelike, NaiveDate};

/// Characters that start a formula in Excel, LibreOffice or Google Sheets (OWASP's list): the
/// outputs guard a value that begins with one (see `output::sheet`), and ingest notes the rows
/// with none, which can be written as they were read.
pub const FORMULA_STARTS: &[u8] = b"=+-@\t\r";

/// A statutory collection year, 1 April to 31 March, as the DfE writes it: `2025-26` (or
/// `2025/26`), the year it starts in and the last two digits of the next. SSDA903 and the CIN
/// census count what happened in one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CollectionYear(pub i32);

impl CollectionYear {
    /// The collection year a date falls in.
    pub fn of(date: NaiveDate) -> CollectionYear {
        CollectionYear(if date.month() >= 4 {
            date.year()
        } else {
            date.year() - 1
        })
    }

    pub fn parse(text: &str) -> Option<CollectionYear> {
        let (start, end) = text.trim().split_once(['-', '/'])?;
        let start: i32 = start.parse().ok().filter(|y| (1900..=2999).contains(y))?;
        let end: i32 = end.parse().ok()?;
        (end == (start + 1) % 100 && (end != 0 || start % 100 == 99)).then_some(CollectionYear(start))
    }

    /// 1 April and 31 March, as the days dates are typed to.
    pub fn bounds(self) -> Option<(Days, Days)> {
        Some((ymd(self.0, 4, 1)?, ymd(self.0 + 1, 3, 31)?))
    }
}

impl std::fmt::Display for CollectionYear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{:02}", self.0, (self.0 + 1) % 100)
    }
}

impl<'de> serde::Deserialize<'de> for CollectionYear {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        CollectionYear::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a collection year: write the year it starts in and the next year's last two digits, e.g. `2025-26`"
            ))
        })
    }
}

/// Days since 1970-01-01, the representation of Arrow's Date32.
pub type Days = i32;

/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const UNIX_EPOCH_CE: i32 = 719_163;
/// Days from 1970-01-01 back to 1899-12-30, day 0 of Excel's 1900 system (as it counts today).
const EXCEL_EPOCH: i32 = -25_569;

/// The date forms a column accepts: a small bitset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateForms(u8);

impl DateForms {
    /// `dd/mm/yyyy` or `d/m/yyyy`; separator `/`, `-`, `.` or space, the same both times.
    pub const DMY: DateForms = DateForms(1);
    /// As [`DateForms::DMY`] with a two-digit year, resolved by the pivot.
    pub const DMY_SHORT_YEAR: DateForms = DateForms(2);
    /// `yyyy-mm-dd` or `yyyy/mm/dd` (month and day may have one digit).
    pub const ISO: DateForms = DateForms(4);
    /// Day, month name, year: `05-Mar-2024`, `5 March 2024`, `05-MAR-24`, `5 Sept 2024`.
    pub const MONTH_NAME: DateForms = DateForms(8);
    /// Excel 1900-system serials: five digits, optionally with a fraction (`45000.5`).
    pub const EXCEL: DateForms = DateForms(16);
    /// `%d/%m/%Y` exactly as Python's strptime reads it, as the DfE's validators read dates:
    /// one or two digits of day and of month, four of year, `/` between them, and nothing else
    /// (no spaces, no time). A statutory pack declares it so that a date the DfE would not
    /// read is not read here either.
    pub const DFE: DateForms = DateForms(32);
    /// Every form above but [`DateForms::DFE`], which only narrows [`DateForms::DMY`].
    pub const ALL: DateForms = DateForms(31);

    /// The names [`DateForms::from_name`] accepts, for "did you mean" in config errors.
    pub const NAMES: &[&str] = &[
        "dd/mm/yyyy",
        "d/m/yy",
        "yyyy-mm-dd",
        "dd-mon-yyyy",
        "excel",
        "dfe",
        "any",
    ];

    /// True when every form in `other` is in `self`.
    pub const fn contains(self, other: DateForms) -> bool {
        self.0 & other.0 == other.0
    }

    /// The forms in either set.
    pub const fn union(self, other: DateForms) -> DateForms {
        DateForms(self.0 | other.0)
    }

    /// The form called `name` in config (one of [`DateForms::NAMES`]; ASCII case and surrounding
    /// whitespace are ignored).
    pub fn from_name(name: &str) -> Option<DateForms> {
        let name = name.trim();
        let i = Self::NAMES.iter().position(|n| n.eq_ignore_ascii_case(name))?;
        // NAMES lists the single forms in bit order, then ALL.
        Some(if i < Self::NAMES.len() - 1 {
            DateForms(1 << i)
        } else {
            Self::ALL
        })
    }
}

/// Default two-digit-year pivot: yy < pivot → 20yy, else 19yy. 40 means 00–39 → 2000–2039,
/// 40–99 → 1940–1999.
pub const DEFAULT_PIVOT: u8 = 40;

/// Parse a date in one of `forms`, ignoring surrounding whitespace and, after any form but
/// Excel, a trailing time (` 00:00`, `T10:15:00Z`, ` 00:00:00.000`). `None` unless the text is
/// a real calendar date; day-first only. Four-digit years must be 1000..=9999.
pub fn parse_date(s: &str, forms: DateForms, pivot: u8) -> Option<Days> {
    if forms.contains(DateForms::DFE)
        && let Some(days) = dfe_date(s.as_bytes())
    {
        return Some(days);
    }
    if let Some(days) = plain_date(s.as_bytes(), forms) {
        return days;
    }
    let b = s.trim().as_bytes();
    let mut i = 0;
    let (first, len) = digits(b, &mut i);
    if len == 5 && forms.contains(DateForms::EXCEL) {
        let frac_ok = match &b[i..] {
            [] => true,
            [b'.', frac @ ..] => !frac.is_empty() && frac.iter().all(u8::is_ascii_digit),
            _ => false,
        };
        return (first >= 10_000 && frac_ok).then(|| EXCEL_EPOCH + first as i32);
    }
    let (y, m, d) = match len {
        4 if forms.contains(DateForms::ISO) && first >= 1000 => {
            let sep = *b.get(i).filter(|c| matches!(c, b'-' | b'/'))?;
            i += 1;
            let m = small(b, &mut i)?;
            expect(b, &mut i, sep)?;
            (first as i32, m, small(b, &mut i)?)
        }
        1 | 2 => {
            let sep = *b.get(i).filter(|c| matches!(c, b'/' | b'-' | b'.' | b' '))?;
            i += 1;
            // Which year lengths the month's form allows: (two digits, four digits).
            let (m, short_ok, long_ok) = if b.get(i).is_some_and(u8::is_ascii_digit) {
                let m = small(b, &mut i)?;
                let short_ok = forms.contains(DateForms::DMY_SHORT_YEAR);
                (m, short_ok, forms.contains(DateForms::DMY))
            } else if forms.contains(DateForms::MONTH_NAME) && sep != b'.' {
                let start = i;
                while b.get(i).is_some_and(u8::is_ascii_alphabetic) {
                    i += 1;
                }
                (month_number(&b[start..i])?, true, true)
            } else {
                return None;
            };
            expect(b, &mut i, sep)?;
            let (year, len) = digits(b, &mut i);
            let year = match len {
                2 if short_ok => 1900 + 100 * i32::from(year < u32::from(pivot)) + year as i32,
                4 if long_ok && year >= 1000 => year as i32,
                _ => return None,
            };
            (year, m, first)
        }
        _ => return None,
    };
    time_suffix(&b[i..])?;
    ymd(y, m, d)
}

/// A date in [`DateForms::DFE`]'s form, untrimmed.
fn dfe_date(b: &[u8]) -> Option<Days> {
    let mut i = 0;
    let d = small(b, &mut i)?;
    expect(b, &mut i, b'/')?;
    let m = small(b, &mut i)?;
    expect(b, &mut i, b'/')?;
    let (y, len) = digits(b, &mut i);
    (len == 4 && i == b.len()).then_some(())?;
    ymd(y as i32, m, d)
}

/// `dd/mm/yyyy` or `yyyy-mm-dd` and nothing else, the forms nearly every date in an export
/// takes, read without the general parser's steps: `Some` with what [`parse_date`] gives for
/// it, `None` when the text is in another form.
fn plain_date(b: &[u8], forms: DateForms) -> Option<Option<Days>> {
    let &[a, b2, c, d, e, f, g, h, i, j] = b else {
        return None;
    };
    let n = |x: &[u8]| {
        x.iter()
            .try_fold(0u32, |v, &c| c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0')))
    };
    let (y, m, d) = if (c, f) == (b'/', b'/') && forms.contains(DateForms::DMY) {
        (n(&[g, h, i, j])?, n(&[d, e])?, n(&[a, b2])?)
    } else if (e, h) == (b'-', b'-') && forms.contains(DateForms::ISO) {
        (n(&[a, b2, c, d])?, n(&[f, g])?, n(&[i, j])?)
    } else {
        return None;
    };
    Some((y >= 1000).then(|| ymd(y as i32, m, d)).flatten())
}

/// Reads a run of ASCII digits at `*i`, returning its value (saturating) and length.
fn digits(b: &[u8], i: &mut usize) -> (u32, usize) {
    let start = *i;
    let mut v: u32 = 0;
    while let Some(&c) = b.get(*i)
        && c.is_ascii_digit()
    {
        v = v.saturating_mul(10).saturating_add(u32::from(c - b'0'));
        *i += 1;
    }
    (v, *i - start)
}

/// Consumes byte `c` at `*i`, or gives None.
fn expect(b: &[u8], i: &mut usize, c: u8) -> Option<()> {
    (b.get(*i) == Some(&c)).then(|| *i += 1)
}

/// A one- or two-digit number (day, month, hour).
fn small(b: &[u8], i: &mut usize) -> Option<u32> {
    let (v, len) = digits(b, i);
    matches!(len, 1 | 2).then_some(v)
}

/// Exactly two digits below `limit` (minutes, seconds).
fn two_below(b: &[u8], i: &mut usize, limit: u32) -> Option<()> {
    let (v, len) = digits(b, i);
    (len == 2 && v < limit).then_some(())
}

/// Nothing, or `[ T]hh:mm[:ss[.fff]][Z]` (one or more spaces allowed before it).
fn time_suffix(b: &[u8]) -> Option<()> {
    let mut i = match b.first() {
        None => return Some(()),
        Some(b'T') => 1,
        Some(b' ') => b.iter().take_while(|&&c| c == b' ').count(),
        Some(_) => return None,
    };
    small(b, &mut i).filter(|&h| h < 24)?;
    expect(b, &mut i, b':')?;
    two_below(b, &mut i, 60)?;
    if expect(b, &mut i, b':').is_some() {
        two_below(b, &mut i, 60)?;
        if expect(b, &mut i, b'.').is_some() && digits(b, &mut i).1 == 0 {
            return None;
        }
    }
    matches!(&b[i..], [] | [b'Z']).then_some(())
}

const MONTHS: &str = "january february march april may june july august september october \
                      november december";

/// 1..=12 for a full or three-letter month name, or "Sept", in any ASCII case.
fn month_number(word: &[u8]) -> Option<u32> {
    if word.eq_ignore_ascii_case(b"sept") {
        return Some(9);
    }
    let i = MONTHS
        .split(' ')
        .map(str::as_bytes)
        .position(|m| m.eq_ignore_ascii_case(word) || (word.len() == 3 && m[..3].eq_ignore_ascii_case(word)))?;
    Some(i as u32 + 1)
}

/// Build from a calendar date; None if not a real date.
pub fn ymd(year: i32, month: u32, day: u32) -> Option<Days> {
    if !(1..=9999).contains(&year) {
        return NaiveDate::from_ymd_opt(year, month, day).map(|d| d.num_days_from_ce() - UNIX_EPOCH_CE);
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let last = match month {
        2 => 28 + u32::from(leap),
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if !(1..=last).contains(&day) {
        return None;
    }
    // Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`),
    // in a year that starts on 1 March so that the leap day comes last.
    let (month, day) = (month as i32, day as i32);
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let year_of_era = y - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

fn to_date(days: Days) -> Option<NaiveDate> {
    days.checked_add(UNIX_EPOCH_CE)
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

/// Format as dd/mm/yyyy (the UK form used in messages and outputs). Days beyond chrono's range
/// (about ±262,000 years, so never a real record) format as `(day N)` rather than panicking.
pub fn format_date(days: Days) -> String {
    match to_date(days) {
        Some(d) => format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year()),
        None => format!("(day {days})"),
    }
}

/// Append dd/mm/yyyy (or, with `iso`, yyyy-mm-dd) to `out`: as [`format_date`] without
/// allocating, for loops over every row.
pub fn write_date(days: Days, iso: bool, out: &mut String) {
    use std::fmt::Write;
    let _ = match to_date(days) {
        Some(d) if iso => write!(out, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        Some(d) => write!(out, "{:02}/{:02}/{:04}", d.day(), d.month(), d.year()),
        None => write!(out, "(day {days})"),
    };
}

/// The calendar year a day is in (0 for a day beyond chrono's range, never a real record's).
pub fn year_of(days: Days) -> i32 {
    to_date(days).map_or(0, |d| d.year())
}

/// Format as yyyy-mm-dd (out-of-range days as in [`format_date`]).
pub fn format_iso(days: Days) -> String {
    match to_date(days) {
        Some(d) => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        None => format!("(day {days})"),
    }
}

/// Whole years of age at `at` for someone born on `born`, negative when `at` < `born`. As in UK
/// law, someone born on 29 February reaches a new age on 1 March in non-leap years. Beyond
/// chrono's range the age is approximated with the mean Gregorian year.
pub fn age_years(born: Days, at: Days) -> i32 {
    match (to_date(born), to_date(at)) {
        (Some(b), Some(a)) => {
            let before_birthday = (a.month(), a.day()) < (b.month(), b.day());
            a.year() - b.year() - i32::from(before_birthday)
        }
        _ => ((i64::from(at) - i64::from(born)) * 400).div_euclid(146_097) as i32,
    }
}

/// Length of the integer part at the start of `b`: ASCII digits, optionally grouped by commas
/// in threes ("1,234,567"). None for misplaced commas, or a leading zero group ("0,500" could be
/// a continental decimal).
fn integer_part(b: &[u8]) -> Option<usize> {
    let (mut i, mut group, mut commas) = (0, 0, false);
    while let Some(&c) = b.get(i) {
        if c.is_ascii_digit() {
            group += 1;
        } else if c == b',' {
            let bad_first = !commas && (group > 3 || b[0] == b'0');
            if group == 0 || bad_first || (commas && group != 3) {
                return None;
            }
            commas = true;
            group = 0;
        } else {
            break;
        }
        i += 1;
    }
    (!commas || group == 3).then_some(i)
}

/// Splits `[+-]int[.frac]` into its integer digits (commas included) and fraction digits. None
/// when the text has another shape, no digit at all, or misplaced commas.
fn number_parts(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let b = b.strip_prefix(b"-").or_else(|| b.strip_prefix(b"+")).unwrap_or(b);
    let end = integer_part(b)?;
    let frac = match &b[end..] {
        [] => &[][..],
        [b'.', d @ ..] if d.iter().all(u8::is_ascii_digit) => d,
        _ => return None,
    };
    (end + frac.len() > 0).then_some((&b[..end], frac))
}

/// Integers as exported: "3", " +3 ", "-3", "3.0", "3." (a zero fraction, possibly empty, is
/// allowed), "1,234,567" (commas only as thousands separators). None for anything else,
/// including a fraction ("3.5"), an exponent, no digit before the point (".0") and overflow.
pub fn parse_integer(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    let (int, frac) = number_parts(b)?;
    if int.is_empty() || frac.iter().any(|&c| c != b'0') {
        return None;
    }
    // Accumulate negatively so that i64::MIN fits.
    let mut v: i64 = 0;
    for &c in int.iter().filter(|&&c| c != b',') {
        v = v.checked_mul(10)?.checked_sub(i64::from(c - b'0'))?;
    }
    if b[0] == b'-' { Some(v) } else { v.checked_neg() }
}

/// Decimals: "3", "3.5", "-0.25", ".5", "3.", "1,234.50", surrounding whitespace. No exponent,
/// NaN or infinity, and None for values beyond f64's range. Numbers with thousands separators
/// longer than 256 bytes are rejected (no real export has them).
pub fn parse_decimal(s: &str) -> Option<f64> {
    let t = s.trim();
    let b = t.as_bytes();
    let (int, _) = number_parts(b)?;
    // Validated above, so the standard (correctly rounded, non-allocating) parser sees only
    // digits, one optional sign and one optional point.
    let v: f64 = if int.contains(&b',') {
        let mut buf = [0u8; 256];
        let mut n = 0;
        for &c in b.iter().filter(|&&c| c != b',') {
            *buf.get_mut(n)? = c;
            n += 1;
        }
        std::str::from_utf8(&buf[..n]).ok()?.parse().ok()?
    } else {
        t.parse().ok()?
    };
    v.is_finite().then_some(v)
}

/// Normalise a code for loose matching: trim, lowercase (Unicode-aware, char by char), collapse
/// each run of whitespace to one space. Writes into `out` (cleared first) so callers reuse one
/// buffer.
pub fn normalise_code(s: &str, out: &mut String) {
    out.clear();
    for word in s.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
}

/// True when the text is blank (empty or only whitespace).
pub fn is_blank(s: &str) -> bool {
    s.trim_start().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::fmt::Debug;

    const ALL: DateForms = DateForms::ALL;
    const DMY: DateForms = DateForms::DMY;
    const ISO: DateForms = DateForms::ISO;
    const NAME: DateForms = DateForms::MONTH_NAME;
    const SHORT: DateForms = DateForms::DMY_SHORT_YEAR;
    const EXCEL: DateForms = DateForms::EXCEL;
    const DFE: DateForms = DateForms::DFE;

    /// Checks a table: each line is `want: item|item|…`; items are untrimmed.
    fn table<T: PartialEq + Debug>(cases: &str, want: impl Fn(&str) -> T, got: impl Fn(&str) -> T) {
        for line in cases.lines().map(str::trim_start).filter(|l| !l.is_empty()) {
            let (w, items) = line.split_once(": ").unwrap();
            for item in items.split('|') {
                assert_eq!(got(item), want(w), "{item:?}");
            }
        }
    }
    /// Date tables: `want` is `yyyy-mm-dd` or `none`.
    fn dates(cases: &str, forms: DateForms, pivot: u8) {
        let want = |w: &str| {
            (w != "none").then(|| {
                let p: Vec<u32> = w.split('-').map(|n| n.parse().unwrap()).collect();
                ymd(p[0] as i32, p[1], p[2]).unwrap()
            })
        };
        table(cases, want, |s| parse_date(s, forms, pivot));
    }
    fn d(s: &str) -> Option<Days> {
        parse_date(s, ALL, DEFAULT_PIVOT)
    }

    #[test]
    fn dmy_and_iso() {
        let cases = "
            2024-03-05: 05/03/2024|5/3/2024|05-03-2024|05.03.2024|05 03 2024|5-03-2024
            2024-03-05:  \t\u{a0}05/03/2024\u{3000}\u{2028}|2024-03-05|2024/03/05|2024-3-5
            none: 05/03-2024|05/03.2024|05//03/2024|005/03/2024|05/003/2024|05_03_2024|5/3/2024/1
            none: 2024-03/05|2024.03.05|2024-03-05-|2024-003-05|202403-05|2024 03 05|2024-3
            none: |\t|abc|05/03/2024abc|05/03/2024.|/|5/|5/3/|٣/٣/٢٠٢٤|05/03/２０２４";
        dates(cases, ALL, DEFAULT_PIVOT);
        dates("none: 2024-03-05|05-Mar-2024|05/03/24|44927", DMY, 40);
        dates("none: 05/03/2024", ISO.union(EXCEL), 40);
    }

    #[test]
    fn never_month_first() {
        let cases = "2024-02-13: 13/02/2024\nnone: 02/13/2024|Mar 5 2024|March 5, 2024";
        dates(cases, ALL, 40);
    }

    #[test]
    fn calendar_validation_and_leap_years() {
        let cases = "
            none: 31/02/2024|29/02/2023|29/02/1900|31/04/2024|00/01/2024|01/00/2024|32/01/2024
            none: 2023-02-29|29 Feb 2023|2024-02-30|2024-00-10|29-Feb-1900|2024-04-31
            2024-02-29: 29/02/2024|2024-02-29|29-Feb-2024
            2000-02-29: 29/02/2000|29 FEBRUARY 2000";
        dates(cases, ALL, DEFAULT_PIVOT);
    }

    #[test]
    fn year_lengths() {
        let cases = "
            1000-01-01: 01/01/1000|1000-01-01|1 Jan 1000
            9999-12-31: 31/12/9999|9999-12-31
            none: 01/01/0999|1/1/999|1/1/2|1/1/12024|0999-01-01|10000-01-01|999-01-01|1 Jan 999";
        dates(cases, ALL, DEFAULT_PIVOT);
        dates("none: 1/1/24", DMY, 40);
        dates("none: 1/1/2024", SHORT, 40);
    }

    #[test]
    fn pivot_both_sides() {
        let cases = "
            2024-03-05: 05/03/24|5-3-24
            2039-03-05: 5.3.39
            2000-03-05: 05/03/00
            1940-03-05: 05/03/40
            1999-03-05: 5 3 99";
        dates(cases, SHORT, 40);
        dates("1924-03-05: 05/03/24\nnone: 29/02/00", SHORT, 0); // 1900: no 29 Feb
        dates("2099-03-05: 05/03/99\n2000-02-29: 29/02/00", SHORT, 100);
        dates("1975-03-05: 05-MAR-75\n2024-03-05: 5 Mar 24", NAME, 40);
    }

    #[test]
    fn month_names() {
        let cases = "
            2024-03-05: 05-Mar-2024|5 March 2024|05-MAR-24|5/mar/2024|5 mArCh 24|05 Mar 2024
            2024-09-05: 5 Sept 2024|5 SEP 2024|5-september-2024|05/SEPT/24
            none: 5 Marc 2024|5.Mar.2024|5-Mar 2024|5 Ma 2024|5 Septem 2024|5 Mar 224|5 Mär 2024
            none: 5 Mar|5th Mar 2024|5 Mar. 2024|Mar-2024|5-Mar-|5 Juni 2024|5 Sep 2024 x";
        dates(cases, ALL, DEFAULT_PIVOT);
        for (i, full) in MONTHS.split(' ').enumerate() {
            let (m, abbr) = (i + 1, full[..3].to_uppercase());
            dates(&format!("2023-{m}-01: 1 {full} 2023|01-{abbr}-23"), ALL, 40);
        }
        dates("none: 05-Mar-2024", DMY.union(ISO), 40);
    }

    #[test]
    fn time_suffixes() {
        let ok = " 00:00| 00:00:00|T00:00:00| 00:00:00.000|T10:15:00Z|  9:05| 23:59:59.9999";
        for t in ok.split('|') {
            for date in ["05/03/2024", "2024-03-05", "05-Mar-2024", "05/03/24"] {
                assert_eq!(d(&format!("{date}{t}")), ymd(2024, 3, 5), "{date}{t}");
            }
        }
        let bad = " 24:00| 10:60| 10:00:60| 10|T| 10:0| 10:00:00.| 10:00:00+01:00|Z| 10:00ZZ|\
                   \t10:00|t10:00| 10:00 am| 100:00| 10:00:5| 10:00:00 +0000";
        for t in bad.split('|') {
            assert_eq!(d(&format!("05/03/2024{t}")), None, "{t:?}");
        }
        dates("none: 45000 00:00|45000T00:00", ALL, 40);
    }

    #[test]
    fn dfe_dates_are_what_strptime_reads_as_d_m_y() {
        let cases = "
            2024-03-05: 05/03/2024|5/3/2024|05/3/2024|5/03/2024
            2024-02-29: 29/02/2024
            none: 30/02/2024|29/02/2023|05-03-2024|05.03.2024|05 03 2024|05/03/24|005/03/2024|05/03/02024
            none: 05/03/2024 00:00|05/03/2024T00:00|2024-03-05|45000|5 Mar 2024|05/03/2024 | 05/03/2024";
        dates(cases, DFE, 40);
        // Beside other forms, those read what they read.
        dates(
            "2024-03-05: 05-03-2024| 05/03/2024|2024-03-05",
            DFE.union(DMY).union(ISO),
            40,
        );
    }

    #[test]
    fn excel_serials() {
        let cases = "
            2023-01-01: 44927
            2023-03-15: 45000.5|45000.0|45000| 45000 |45000.999
            1927-05-18: 10000
            2173-10-13: 99999
            none: 2023|9999|100000|09999|45000.|45000.5.5|45000,5|-45000|4500 0|+45000|45,000";
        dates(cases, ALL, DEFAULT_PIVOT);
        dates("none: 44927", DMY.union(ISO), 40);
    }

    #[test]
    fn date_forms_names() {
        let want = [DMY, SHORT, ISO, NAME, EXCEL, DFE, ALL];
        assert_eq!(DateForms::NAMES.len(), want.len());
        for (name, forms) in DateForms::NAMES.iter().zip(want) {
            assert_eq!(DateForms::from_name(name), Some(forms));
        }
        assert_eq!(DateForms::from_name(" DD/MM/YYYY "), Some(DMY));
        assert_eq!(DateForms::from_name("mm/dd/yyyy"), None);
        let f = DMY.union(EXCEL);
        assert!(f.contains(EXCEL) && !f.contains(ISO));
        assert!(ALL.contains(f) && !f.contains(ALL));
        assert!(
            !ALL.contains(DFE),
            "`any` is every UK form; `dfe` only narrows dd/mm/yyyy"
        );
    }

    #[test]
    fn conversion_and_formatting() {
        assert_eq!((ymd(1970, 1, 1), ymd(1969, 12, 31)), (Some(0), Some(-1)));
        assert_eq!((ymd(2023, 2, 29), ymd(2024, 13, 1)), (None, None));
        let x = ymd(2024, 3, 5).unwrap();
        assert_eq!(format_date(0), "01/01/1970");
        assert_eq!(format_iso(0), "1970-01-01");
        assert_eq!(format_date(x), "05/03/2024");
        assert_eq!(format_iso(x), "2024-03-05");
        assert_eq!(format_date(i32::MAX), format!("(day {})", i32::MAX));
        assert_eq!(format_iso(i32::MIN), format!("(day {})", i32::MIN));
    }

    #[test]
    fn ages() {
        let age = |born: &str, at: &str| Some(age_years(d(born)?, d(at)?));
        let cases = "
            13: 15/06/2010 14/06/2024
            12: 29/02/2008 28/02/2021
            14: 15/06/2010 15/06/2024|15/06/2010 31/12/2024
            17: 29/02/2008 28/02/2026
            18: 29/02/2008 01/03/2026
            19: 29/02/2008 28/02/2028
            20: 29/02/2008 29/02/2028
            0: 05/05/2020 05/05/2020|29/02/2020 28/02/2021
            -1: 15/06/2024 14/06/2024|01/01/2024 31/12/2023
            -4: 15/06/2024 15/06/2020";
        let got = |s: &str| s.split_once(' ').and_then(|(b, a)| age(b, a));
        table(cases, |w| w.parse().ok(), got);
        assert!(age_years(i32::MIN, i32::MAX) > 11_000_000);
        assert!(age_years(i32::MAX, i32::MIN) < -11_000_000);
    }

    #[test]
    fn integers() {
        let cases = "
            3: 3| 3 |+3|3.0|3.00|3.|003|\u{a0}3\t
            -3: -3|-3.0|-3.
            0: 0|-0|+0|0.0|00
            1234: 1,234|+1,234.00|1234
            1234567: 1,234,567|1234567
            9223372036854775807: 9223372036854775807|9,223,372,036,854,775,807
            -9223372036854775808: -9223372036854775808|-9,223,372,036,854,775,808.0
            none: | |3.5|3.01|three|3e2|1,23|12,34,567|,123|1234,567|1,234,|0,500|1 234|.0|-|+
            none: --3|+-3|3-|9223372036854775808|-9223372036854775809|0x10|3..0|١٢|3 .0|1,,234";
        table(cases, |w| w.parse().ok(), parse_integer);
    }

    #[test]
    fn decimals() {
        let cases = "
            3:  3.000 |3|3.|3.0|+3
            3.5: 3.5|03.50
            -0.25: -0.25|-.25
            0.5: .5|+.5|0.5
            1234.5:  1,234.50 |1234.5|1,234.5
            -1234567.125: -1,234,567.125
            none: |.|-|+.|nan|NaN|inf|-infinity|1e5|1E5|1,23.5|3.5.5|1,234.5,0|3,5|0,500.0|- 3";
        table(cases, |w| w.parse().ok(), parse_decimal);
        let long = |s: &str| parse_decimal(&s.replace('z', &"0".repeat(400)));
        assert_eq!((long("1z"), long("1,000.z")), (None, None)); // beyond f64; beyond buffer
    }

    #[test]
    fn codes_and_blanks() {
        let mut out = String::from("stale");
        normalise_code("  Foo \t BAR\n\u{a0} baz ", &mut out);
        assert_eq!(out, "foo bar baz");
        normalise_code("ÉCOLE  Ünïon İ", &mut out);
        assert_eq!(out, "école ünïon i\u{307}");
        normalise_code("   ", &mut out);
        assert_eq!(out, "");
        assert!(is_blank("") && is_blank(" \t\n\u{a0}\u{3000}"));
        assert!(!is_blank(" x ") && !is_blank("\u{200b}"));
    }

    proptest! {
        /// The calendar arithmetic is chrono's, on every date it builds and every one it refuses.
        #[test]
        fn ymd_counts_days_as_chrono_does(year in 1i32..=9999, month in 0u32..=13, day in 0u32..=32) {
            let chrono = NaiveDate::from_ymd_opt(year, month, day).map(|d| d.num_days_from_ce() - UNIX_EPOCH_CE);
            prop_assert_eq!(ymd(year, month, day), chrono);
        }

        /// The short way through the common forms reads them as the general parser does (a
        /// leading space sends a date the general way; the DfE form, which reads no space, aside).
        #[test]
        fn plain_dates_read_as_the_general_parser_reads(
            s in "[0-9]{2}[/-][0-9]{2}[/-][0-9]{4}|[0-9]{4}[/-][0-9]{2}[/-][0-9]{2}|[0-9/-]{10}",
            forms in 0u8..32,
        ) {
            let forms = DateForms(forms);
            prop_assert_eq!(parse_date(&s, forms, 40), parse_date(&format!(" {s}"), forms, 40));
        }

        #[test]
        fn dates_round_trip(days in ymd(1000, 1, 1).unwrap()..=ymd(9999, 12, 31).unwrap()) {
            let n = to_date(days).unwrap();
            let (y, m, dd) = (n.year(), n.month(), n.day());
            let mon = &MONTHS.split(' ').nth(m as usize - 1).unwrap()[..3];
            let (uk, iso) = (format_date(days), format_iso(days));
            let forms = [format!("{dd}/{m}/{y}"), format!("{dd:02}-{mon}-{y}"), iso];
            for s in forms.into_iter().chain([format!("{uk} 00:00:00"), uk]) {
                prop_assert_eq!(d(&s), Some(days), "{}", s);
            }
        }

        #[test]
        fn parse_date_never_panics(
            s in any::<String>(), t in "[0-9 /.:TZa-zA-Z-]{0,24}", pivot: u8, forms in 0u8..64,
        ) {
            let forms = DateForms(forms);
            let _ = (parse_date(&s, forms, pivot), parse_date(&t, forms, pivot));
        }

        #[test]
        fn integers_round_trip(n: i64) {
            prop_assert_eq!(parse_integer(&n.to_string()), Some(n));
            prop_assert_eq!(parse_integer(&format!("{n}.0")), Some(n));
        }

        #[test]
        fn number_parsers_never_panic(s in any::<String>(), t in "[0-9 +,.-]{0,24}") {
            let _ = (parse_integer(&s), parse_integer(&t), parse_decimal(&s), parse_decimal(&t));
        }

        #[test]
        fn decimals_round_trip(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
            prop_assert_eq!(parse_decimal(&x.to_string()), Some(x));
        }

        #[test]
        fn normalise_code_is_idempotent(s in any::<String>()) {
            let (mut once, mut twice) = (String::new(), String::new());
            normalise_code(&s, &mut once);
            normalise_code(&once, &mut twice);
            prop_assert_eq!(once, twice);
        }
    }
}
