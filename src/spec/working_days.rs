//! `add_working_days(date, n)`: the date `n` working days after `date` (before it, for a
//! negative `n`), a working day being a weekday that is not a bank holiday in England and
//! Wales. The CIN census's timeliness queries count so ("45 working days before the end of the
//! census year").
//!
//! A `date` that is not a working day first moves to one, as the DfE's validator moves it
//! (numpy's `busday_offset`): forward when counting back (`n <= 0`), back when counting
//! forward. So `add_working_days(d, 0)` is `d` on a working day, else the next working day;
//! the DfE's "45 working days before the reference date", which counts the reference date as
//! the first, is `add_working_days(reference_date, -44)`.
//!
//! The bank holidays are the list Cleanse is built with, `data/bank-holidays-england-and-wales.csv`
//! (GOV.UK's); counting through a year it does not cover is an error naming the file, never a
//! count that ignores that year's holidays.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, Date32Array, Int64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

use crate::model::values::{self, Days};

/// The bank holidays Cleanse is built with.
const LIST: &str = include_str!("../../data/bank-holidays-england-and-wales.csv");

/// Where the list is, for the message when it runs out.
const LIST_PATH: &str = "data/bank-holidays-england-and-wales.csv";

/// The bank holidays (sorted), and the first and last day of the years they cover.
struct Calendar {
    holidays: Vec<Days>,
    covers: (Days, Days),
}

static CALENDAR: LazyLock<Calendar> = LazyLock::new(|| calendar(LIST).expect("the shipped list reads (tested)"));

/// Read a list (`date,title` lines after a header, `#` comments).
fn calendar(text: &str) -> Result<Calendar, String> {
    let mut holidays = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("date,") {
            continue;
        }
        let date = line.split(',').next().unwrap_or_default();
        let day = values::parse_date(date, values::DateForms::ISO, 0)
            .ok_or_else(|| format!("line {}: `{date}` is not a date (yyyy-mm-dd)", i + 1))?;
        holidays.push(day);
    }
    holidays.sort_unstable();
    let (first, last) = match (holidays.first(), holidays.last()) {
        (Some(&f), Some(&l)) => (f, l),
        _ => return Err("no dates".into()),
    };
    let year = |d: Days| values::year_of(d);
    let covers = (
        values::ymd(year(first), 1, 1).ok_or("a first year out of range")?,
        values::ymd(year(last), 12, 31).ok_or("a last year out of range")?,
    );
    Ok(Calendar { holidays, covers })
}

impl Calendar {
    fn working(&self, day: Days) -> Result<bool, DataFusionError> {
        if day < self.covers.0 || day > self.covers.1 {
            return Err(DataFusionError::Execution(format!(
                "add_working_days counts through {}, a year the bank-holiday list Cleanse is built with ({LIST_PATH}, {} to {}) does not cover: add that year's bank holidays from GOV.UK to it and build again",
                values::year_of(day),
                values::year_of(self.covers.0),
                values::year_of(self.covers.1),
            )));
        }
        // 1 January 1970 (day 0) was a Thursday: Monday is 0.
        let weekday = (day + 3).rem_euclid(7);
        Ok(weekday < 5 && self.holidays.binary_search(&day).is_err())
    }

    fn add(&self, mut day: Days, n: i64) -> Result<Days, DataFusionError> {
        let step = if n > 0 { -1 } else { 1 };
        while !self.working(day)? {
            day += step;
        }
        let step = -step;
        for _ in 0..n.unsigned_abs() {
            day += step;
            while !self.working(day)? {
                day += step;
            }
        }
        Ok(day)
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct AddWorkingDays {
    signature: Signature,
}

impl AddWorkingDays {
    pub(super) fn new() -> Self {
        AddWorkingDays {
            signature: Signature::exact(vec![DataType::Date32, DataType::Int64], Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for AddWorkingDays {
    fn name(&self) -> &str {
        "add_working_days"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> datafusion::common::Result<DataType> {
        Ok(DataType::Date32)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> datafusion::common::Result<ColumnarValue> {
        // All-scalar arguments are worked out once; `number_rows` may then be 0 (an empty table).
        let all_scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if all_scalar { 1 } else { args.number_rows };
        let dates = args.args[0].to_array(rows)?;
        let dates = dates
            .as_any()
            .downcast_ref::<Date32Array>()
            .ok_or_else(|| DataFusionError::Execution("add_working_days takes a date first".into()))?;
        let counts = args.args[1].to_array(rows)?;
        let counts = counts
            .as_any()
            .downcast_ref::<Int64Array>()
            .ok_or_else(|| DataFusionError::Execution("add_working_days takes a whole number second".into()))?;
        let calendar = &*CALENDAR;
        let mut out = Vec::with_capacity(rows);
        // A child's rows repeat a date (the reference date, mostly): the last answer is kept.
        let mut last: Option<(Days, i64, Days)> = None;
        for i in 0..rows {
            if dates.is_null(i) || counts.is_null(i) {
                out.push(None);
                continue;
            }
            let (d, n) = (dates.value(i), counts.value(i));
            let day = match last {
                Some((ld, ln, day)) if ld == d && ln == n => day,
                _ => calendar.add(d, n)?,
            };
            last = Some((d, n, day));
            out.push(Some(day));
        }
        let out = Arc::new(Date32Array::from(out));
        if all_scalar {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&*out, 0)?));
        }
        Ok(ColumnarValue::Array(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Days {
        values::parse_date(s, values::DateForms::ISO, 0).unwrap()
    }

    fn add(d: &str, n: i64) -> String {
        values::format_iso(CALENDAR.add(day(d), n).unwrap())
    }

    #[test]
    fn the_shipped_list_reads() {
        let c = calendar(LIST).unwrap();
        assert!(c.holidays.contains(&day("2025-12-25")));
        assert_eq!(c.covers, (day("2022-01-01"), day("2027-12-31")));
    }

    #[test]
    fn weekends_and_bank_holidays_are_not_counted() {
        // Tuesday 31 March 2026, back 44 working days (45 counting itself): Good Friday and
        // Easter Monday 2026 fall after it, so only weekends are skipped.
        assert_eq!(add("2026-03-31", -44), "2026-01-28");
        // Across Christmas 2025 (25, 26 December and 1 January are bank holidays).
        assert_eq!(add("2026-01-02", -1), "2025-12-31");
        assert_eq!(add("2025-12-24", 1), "2025-12-29");
        assert_eq!(add("2025-06-02", 0), "2025-06-02");
    }

    #[test]
    fn a_day_off_first_moves_to_a_working_day_as_the_dfe_does() {
        // Sunday 31 March 2024: counting back it first moves forward, past Easter Monday
        // (1 April), to Tuesday 2 April.
        assert_eq!(add("2024-03-31", 0), "2024-04-02");
        assert_eq!(add("2024-03-31", -1), "2024-03-28");
        // Counting forward it first moves back, to Thursday 28 March (Good Friday is off).
        assert_eq!(add("2024-03-31", 1), "2024-04-02");
    }

    #[test]
    fn a_year_the_list_does_not_cover_is_an_error_not_a_guess() {
        let e = CALENDAR.add(day("2028-03-31"), -44).unwrap_err().to_string();
        assert!(e.contains("2028") && e.contains(LIST_PATH), "{e}");
    }
}
