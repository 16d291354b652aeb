//! `range`: numbers and dates must lie between `min` and `max`.

use chrono::{Days, Months, NaiveDate};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::lit;

use super::{COLUMNS, Check, Kind, KindDoc, Param, RuleCx, WHEN};
use crate::model::diag::Diagnostic;
use crate::model::table::ColumnType;
use crate::model::values::{self, DateForms};
use crate::spec::keys::{Columns, Sql};
use crate::spec::raw::Bound;
use crate::spec::yaml::{Spanned, span};

pub struct RangeKind;

static DOC: KindDoc = KindDoc {
    name: "range",
    summary: "A date or number must be at least `min` and at most `max` (both inclusive). Date bounds are dates (`2020-04-01`, `01/04/2020`) or relative to the run's as-of date: `today`, `today - 6 years`, `today + 1 month`, `today - 45 days`. Blank values are left to `required`.",
    why: "Future dates, dates before a child could have been known to the service, and impossible counts are the clearest signs of mistyped records.",
    example: "- id: CON-001\n  table: contacts\n  kind: range\n  columns: [contact_date]\n  max: today\n  severity: error\n  message: Date of Contact is in the future.",
    params: &[
        COLUMNS,
        Param {
            name: "min",
            required: false,
            doc: "Smallest allowed value.",
        },
        Param {
            name: "max",
            required: false,
            doc: "Largest allowed value.",
        },
        WHEN,
    ],
};

/// The keys a `range` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub columns: Columns,
    #[serde(default)]
    pub min: Option<Spanned<Bound>>,
    #[serde(default)]
    pub max: Option<Spanned<Bound>>,
    #[serde(default)]
    pub when: Option<Sql>,
}

impl Kind for RangeKind {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let columns = cx.columns(&p.columns)?;
        if p.min.is_none() && p.max.is_none() {
            return Err(vec![
                cx.error(
                    "missing-key",
                    span(&cx.raw.kind),
                    "rule kind `range` needs `min`, `max` or both",
                )
                .label("no bounds"),
            ]);
        }
        let as_of = cx.sql_as_of();
        let mut diags = Vec::new();
        let mut bounds = Vec::new();
        for &c in &columns {
            let ty = &cx.column(c).ty;
            if matches!(ty, ColumnType::Text | ColumnType::Code(_)) {
                let at = span(&p.columns);
                diags.push(
                    cx.error(
                        "range-on-text",
                        at,
                        format!(
                            "column `{}` is {}; ranges apply to dates and numbers",
                            cx.column(c).name,
                            ty.name()
                        ),
                    )
                    .label("not a date or number")
                    .help("give the column `type: date`, `integer` or `decimal`"),
                );
                continue;
            }
            let mut get = |b: &Option<Spanned<Bound>>| {
                b.as_ref().and_then(|b| {
                    bound(b, ty, as_of)
                        .map_err(|m| {
                            diags.push(
                                cx.error("bad-bound", span(b), m)
                                    .label("not a valid bound for this column"),
                            )
                        })
                        .ok()
                })
            };
            bounds.push((get(&p.min), get(&p.max)));
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        let mut i = 0;
        cx.per_column(&columns, &p.when, |value, _| {
            let (min, max) = bounds[i].clone();
            i += 1;
            match (min, max) {
                (Some(a), Some(b)) => value.between(lit(a), lit(b)),
                (Some(a), None) => value.gt_eq(lit(a)),
                (None, Some(b)) => value.lt_eq(lit(b)),
                (None, None) => lit(true),
            }
        })
    }
}

fn bound(b: &Spanned<Bound>, ty: &ColumnType, as_of: NaiveDate) -> Result<ScalarValue, String> {
    match (ty, &b.value) {
        (ColumnType::Date(_), Bound::Text(t)) => relative_date(t, as_of)
            .or_else(|| values::parse_date(t, DateForms::ALL, values::DEFAULT_PIVOT))
            .map(|d| ScalarValue::Date32(Some(d)))
            .ok_or_else(|| format!("`{t}` is not a date or `today ± N days/weeks/months/years`")),
        (ColumnType::Date(_), _) => Err("a date column needs a date bound, e.g. `today` or `2020-04-01`".into()),
        (ColumnType::Integer, Bound::Int(n)) => Ok(ScalarValue::Int64(Some(*n))),
        (ColumnType::Integer, Bound::Text(t)) => values::parse_integer(t)
            .map(|n| ScalarValue::Int64(Some(n)))
            .ok_or_else(|| format!("`{t}` is not a whole number")),
        (ColumnType::Integer, Bound::Float(_)) => Err("a whole-number column needs a whole-number bound".into()),
        (ColumnType::Decimal, Bound::Int(n)) => Ok(ScalarValue::Float64(Some(*n as f64))),
        (ColumnType::Decimal, Bound::Float(f)) => Ok(ScalarValue::Float64(Some(*f))),
        (ColumnType::Decimal, Bound::Text(t)) => values::parse_decimal(t)
            .map(|f| ScalarValue::Float64(Some(f)))
            .ok_or_else(|| format!("`{t}` is not a number")),
        (ColumnType::Text | ColumnType::Code(_), _) => Err("text columns have no range".into()),
    }
}

/// `today`, `today - 6 years`, `today + 1 month`, `today - 45 days`, `today - 2 weeks`.
pub fn relative_date(text: &str, as_of: NaiveDate) -> Option<values::Days> {
    let t = text.trim().to_lowercase();
    let rest = t.strip_prefix("today")?.trim();
    let date = if rest.is_empty() {
        as_of
    } else {
        let (sign, rest) = match rest.chars().next()? {
            '+' => (1, &rest[1..]),
            '-' => (-1, &rest[1..]),
            _ => return None,
        };
        let mut parts = rest.split_whitespace();
        let n: u32 = parts.next()?.parse().ok()?;
        let unit = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        let unit = unit.trim_end_matches('s');
        match (unit, sign) {
            ("day", 1) => as_of.checked_add_days(Days::new(n.into()))?,
            ("day", _) => as_of.checked_sub_days(Days::new(n.into()))?,
            ("week", 1) => as_of.checked_add_days(Days::new(u64::from(n) * 7))?,
            ("week", _) => as_of.checked_sub_days(Days::new(u64::from(n) * 7))?,
            ("month", 1) => as_of.checked_add_months(Months::new(n))?,
            ("month", _) => as_of.checked_sub_months(Months::new(n))?,
            ("year", 1) => as_of.checked_add_months(Months::new(n.checked_mul(12)?))?,
            ("year", _) => as_of.checked_sub_months(Months::new(n.checked_mul(12)?))?,
            _ => return None,
        }
    };
    values::ymd(
        chrono::Datelike::year(&date),
        chrono::Datelike::month(&date),
        chrono::Datelike::day(&date),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::testing::Pack;

    fn dates(rule: &str) -> Pack {
        Pack::table("t", "a, d: date, n: integer, x: decimal, g: [M, F]").rule(rule)
    }

    #[test]
    fn reports_dates_outside_the_bounds_inclusive() {
        let pack = dates("kind: range\ncolumns: [d]\nmin: 2020-04-01\nmax: today");
        let rows = [
            "d: 01/04/2020",
            "d: 31/03/2020",
            "d: 31/03/2026",
            "d: 01/04/2026",
            "d: 2024-06-15",
        ];
        assert_eq!(pack.fails(&rows), [2, 4]);
    }

    #[test]
    fn relative_bounds_count_from_the_as_of_date() {
        let pack = dates("kind: range\ncolumns: [d]\nmin: today - 6 years\nmax: today + 1 month");
        let rows = ["d: 31/03/2020", "d: 30/03/2020", "d: 30/04/2026", "d: 01/05/2026"];
        assert_eq!(pack.fails(&rows), [2, 4]);
    }

    #[test]
    fn numbers_are_compared_as_numbers() {
        let pack = dates("kind: range\ncolumns: [n, x]\nmin: 0\nmax: 25");
        let rows = ["n: 25, x: 25.0", "n: 26", "x: -0.5", "n: 9, x: '100'"];
        assert_eq!(pack.fails(&rows), [2, 3, 4]);
    }

    #[test]
    fn blanks_pass_and_values_that_did_not_parse_are_not_checked() {
        let pack = dates("kind: range\ncolumns: [d]\nmax: today");
        assert_eq!(pack.fails(&["d: ''", "a: x"]), Vec::<usize>::new());
        assert_eq!(
            pack.report(&["d: 31/02/2026", "d: 01/01/2099"]),
            [
                "1: Not checked: d is not a valid date (dd/mm/yyyy), so this rule could not be applied. (Reported.)",
                "2: Reported."
            ]
        );
    }

    #[test]
    fn when_limits_the_rows_checked() {
        let pack = dates("kind: range\ncolumns: [d]\nmax: today\nwhen: a = 'future'");
        assert_eq!(pack.fails(&["d: 01/01/2099, a: future", "d: 01/01/2099, a: past"]), [1]);
    }

    #[test]
    fn text_columns_and_wrong_bounds_do_not_load() {
        assert_eq!(
            dates("kind: range\ncolumns: [a, g]\nmax: 5").diags(),
            [
                "range-on-text: column `a` is text; ranges apply to dates and numbers",
                "range-on-text: column `g` is code; ranges apply to dates and numbers",
            ]
        );
        assert_eq!(
            dates("kind: range\ncolumns: [d, n]\nmin: yesterday\nmax: 2.5").diags(),
            [
                "bad-bound: `yesterday` is not a date or `today ± N days/weeks/months/years`",
                "bad-bound: a date column needs a date bound, e.g. `today` or `2020-04-01`",
                "bad-bound: `yesterday` is not a whole number",
                "bad-bound: a whole-number column needs a whole-number bound",
            ]
        );
        assert_eq!(
            dates("kind: range\ncolumns: [d]").diags(),
            ["missing-key: rule kind `range` needs `min`, `max` or both"]
        );
    }

    #[test]
    fn relative_dates() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        assert_eq!(relative_date("today", d), values::ymd(2026, 3, 31));
        assert_eq!(relative_date("today - 6 years", d), values::ymd(2020, 3, 31));
        assert_eq!(relative_date("Today + 1 month", d), values::ymd(2026, 4, 30));
        assert_eq!(relative_date("today - 45 days", d), values::ymd(2026, 2, 14));
        assert_eq!(relative_date("today - 2 fortnights", d), None);
        assert_eq!(relative_date("yesterday", d), None);
    }
}
