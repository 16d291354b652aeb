//! Dates and values as the exports write them: days as numbers, the accepted alternative date
//! and integer forms a council's system uses now and then, and rendering into reused buffers.

use chrono::{Datelike, NaiveDate};

use crate::rng::Rng;

/// Days since 0001-01-01 (chrono's `num_days_from_ce`): cheap to add and compare.
pub(crate) type Day = i32;

pub(crate) fn nd(d: Day) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(d).expect("generated dates stay within chrono's range")
}

pub(crate) fn day(d: NaiveDate) -> Day {
    d.num_days_from_ce()
}

/// Whole years from `dob` to `at`. Comparing (month, day) gives the UK rule for 29 February
/// births: the new age starts on 1 March in non-leap years.
pub(crate) fn age_years(dob: Day, at: Day) -> i64 {
    let (b, a) = (nd(dob), nd(at));
    let mut years = i64::from(a.year() - b.year());
    if (a.month(), a.day()) < (b.month(), b.day()) {
        years -= 1;
    }
    years
}

/// 1899-12-30, day 0 of Excel's serial dates (as days from CE).
const EXCEL_EPOCH: Day = 693_594;
pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// How a date is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateForm {
    /// dd/mm/yyyy, the normal form.
    Dmy,
    /// d/m/yy (only used for 1940–2039, where the parser's pivot gets the century right).
    DmyShort,
    Iso,
    /// dd-Mon-yyyy
    DayMonYear,
    /// Excel serial (5 digits).
    Serial,
}
pub(crate) const ALT_FORMS: [DateForm; 4] = [
    DateForm::DmyShort,
    DateForm::Iso,
    DateForm::DayMonYear,
    DateForm::Serial,
];

/// How a whole number is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntForm {
    Plain,
    /// "3.0"
    PointZero,
    /// " 3 "
    Padded,
}

/// Per-row choice of how each value is written: 9 random bits per slot (5 date slots, then
/// integer slots), so one draw covers a row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Forms(u64);

impl Forms {
    pub(crate) fn draw(rng: &mut Rng) -> Self {
        Forms(rng.next())
    }

    pub(crate) fn bits(self, slot: u32) -> u64 {
        (self.0 >> (slot * 9)) & 511
    }

    /// ≈2% an accepted alternative date form.
    pub(crate) fn date(self, slot: u32) -> DateForm {
        let x = self.bits(slot);
        if x < 10 {
            ALT_FORMS[x as usize % 4]
        } else {
            DateForm::Dmy
        }
    }

    /// ≈2% "3.0" or " 3 ".
    pub(crate) fn int(self, slot: u32) -> IntForm {
        match self.bits(5 + slot) {
            0..5 => IntForm::PointZero,
            5..10 => IntForm::Padded,
            _ => IntForm::Plain,
        }
    }

    /// Age column (integer slot 0): ≈1% left blank (the column is optional).
    pub(crate) fn age(self, age: i64) -> V<'static> {
        if (10..15).contains(&self.bits(5)) {
            V::Empty
        } else {
            V::Int(age, self.int(0))
        }
    }
}

/// One field value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum V<'a> {
    Empty,
    /// A code from a code list or another value known to need no quoting.
    Code(&'a str),
    /// Free text, quoted if it holds a comma, quote or line break.
    Text(&'a str),
    /// Written as-is even if it breaks the row (the ragged row).
    Verbatim(&'a str),
    Date(Day, DateForm),
    Int(i64, IntForm),
    /// Child id number, written `NF` + digits.
    Id(u32),
}

pub(crate) fn push_uint(buf: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    while tmp.len() - i < width {
        i -= 1;
        tmp[i] = b'0';
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn push_int(buf: &mut Vec<u8>, n: i64) {
    if n < 0 {
        buf.push(b'-');
    }
    push_uint(buf, n.unsigned_abs(), 1);
}

pub(crate) fn push_date(buf: &mut Vec<u8>, d: Day, form: DateForm) {
    let date = nd(d);
    let (y, m, dd) = (date.year(), date.month(), date.day());
    let (yu, mu, du) = (y.unsigned_abs() as u64, u64::from(m), u64::from(dd));
    let serial = i64::from(d - EXCEL_EPOCH);
    match form {
        DateForm::DmyShort if (1940..=2039).contains(&y) => push_parts(buf, [(du, 1), (mu, 1), (yu % 100, 2)], b'/'),
        DateForm::Iso | DateForm::DmyShort => push_parts(buf, [(yu, 4), (mu, 2), (du, 2)], b'-'),
        DateForm::DayMonYear => {
            push_uint(buf, du, 2);
            buf.push(b'-');
            buf.extend_from_slice(MONTHS[m as usize - 1].as_bytes());
            buf.push(b'-');
            push_uint(buf, yu, 4);
        }
        DateForm::Serial if (10_000..=99_999).contains(&serial) => push_int(buf, serial),
        DateForm::Dmy | DateForm::Serial => push_parts(buf, [(du, 2), (mu, 2), (yu, 4)], b'/'),
    }
}

/// Three numbers, each `(n, at least this many digits)`, with `sep` between them.
fn push_parts(buf: &mut Vec<u8>, parts: [(u64, usize); 3], sep: u8) {
    for (k, (n, width)) in parts.into_iter().enumerate() {
        if k > 0 {
            buf.push(sep);
        }
        push_uint(buf, n, width);
    }
}

/// Write a value unquoted (everything but `Text`, which the writer may quote).
pub(crate) fn render(buf: &mut Vec<u8>, v: &V) {
    match *v {
        V::Empty => {}
        V::Code(s) | V::Text(s) | V::Verbatim(s) => buf.extend_from_slice(s.as_bytes()),
        V::Date(d, form) => push_date(buf, d, form),
        V::Int(n, form) => match form {
            IntForm::Plain => push_int(buf, n),
            IntForm::PointZero => {
                push_int(buf, n);
                buf.extend_from_slice(b".0");
            }
            IntForm::Padded => {
                buf.push(b' ');
                push_int(buf, n);
                buf.push(b' ');
            }
        },
        V::Id(num) => {
            buf.extend_from_slice(b"NF");
            push_uint(buf, u64::from(num), 6);
        }
    }
}

pub(crate) fn rendered(v: &V) -> String {
    let mut buf = Vec::new();
    render(&mut buf, v);
    String::from_utf8(buf).expect("values are UTF-8")
}
