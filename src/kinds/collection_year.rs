//! `collection_year`: a date must fall within a statutory collection year (1 April to
//! 31 March), as SSDA903 and CIN census dates must.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::lit;

use crate::model::diag::Diagnostic;
use crate::model::table::ColumnType;
use crate::model::values::{CollectionYear as Year, Days};
use crate::spec::compiled::Check;
use crate::spec::doc::{COLUMNS, KindDoc, Param, WHEN};
use crate::spec::keys::{Columns, Sql};
use crate::spec::kind::{Kind, RuleCx};
use crate::spec::yaml::{Spanned, span};

pub struct CollectionYear;

static DOC: KindDoc = KindDoc {
    name: "collection_year",
    summary: "A date must fall within a collection year, 1 April to 31 March (both inclusive): the one named by `year` (`2025-26`), or else the run's (`collection_year` in the configuration or the pack), or else the one the run's as-of date is in. Blank values are left to `required`.",
    why: "The DfE's returns count what happened in the collection year: a referral, an episode start or a review dated outside it is either mistyped or belongs to another year's return, and the DfE's validation rejects it.",
    example: "- id: REF-YEAR\n  table: referrals\n  kind: collection_year\n  columns: [referral_date]\n  year: 2025-26\n  severity: error\n  message: The referral date is not in the 2025-26 collection year.",
    params: &[
        COLUMNS,
        Param {
            name: "year",
            required: false,
            doc: "The collection year, e.g. `2025-26` (1 April 2025 to 31 March 2026); default: the run's collection year, else the one the run's as-of date is in.",
        },
        WHEN,
    ],
};

/// The keys a `collection_year` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub columns: Columns,
    #[serde(default)]
    pub year: Option<Spanned<Year>>,
    #[serde(default)]
    pub when: Option<Sql>,
}

impl Kind for CollectionYear {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let columns = cx.columns(&p.columns)?;
        let not_dates: Vec<Diagnostic> = columns
            .iter()
            .zip(&p.columns.value)
            .filter(|&(&c, _)| !matches!(cx.column(c).ty, ColumnType::Date(_)))
            .map(|(&c, name)| {
                cx.error(
                    "not-a-date-column",
                    span(name),
                    format!(
                        "column `{}` is {}, not a date",
                        cx.column(c).name,
                        cx.column(c).ty.name()
                    ),
                )
                .label("a collection year holds dates")
                .help("give the column `type: date`")
            })
            .collect();
        if !not_dates.is_empty() {
            return Err(not_dates);
        }
        let year = p
            .year
            .as_ref()
            .map(|y| y.value)
            .or(cx.collection_year())
            .unwrap_or_else(|| Year::of(cx.sql_as_of()));
        let Some((start, end)) = year.bounds() else {
            let at = p.year.as_ref().map_or_else(|| cx.at(), span);
            return Err(vec![cx.error(
                "bad-date",
                at,
                "this collection year has no dates Cleanse can write",
            )]);
        };
        let day = |d: Days| lit(ScalarValue::Date32(Some(d)));
        cx.per_column(&columns, &p.when, |value, _| value.between(day(start), day(end)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year(text: &str) -> Option<Year> {
        let yaml = format!("{text:?}");
        serde_saphyr::from_str::<Year>(&yaml).ok()
    }

    #[test]
    fn years_are_read_as_the_dfe_writes_them() {
        assert_eq!(year("2025-26"), Some(Year(2025)));
        assert_eq!(year("2025/26"), Some(Year(2025)));
        assert_eq!(year("1999-00"), Some(Year(1999)));
        assert_eq!(year("2025-27"), None, "not consecutive");
        assert_eq!(year("2025"), None);
        assert_eq!(year("25-26"), None);
    }

    #[test]
    fn without_a_year_of_its_own_the_rule_checks_the_packs() {
        // The examples' as-of date, 31 March 2026, is in 2025-26: the pack says 2024-25.
        let pack = crate::kinds::testing::Pack::table("t", "d: date")
            .collection_year("2024-25")
            .rule("kind: collection_year\ncolumns: [d]");
        assert_eq!(pack.fails(&["d: 31/03/2025", "d: 01/04/2025"]), [2]);
    }

    #[test]
    fn a_date_falls_in_the_year_that_starts_on_the_last_1_april() {
        let d = |y, m, dd| chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(Year::of(d(2026, 3, 31)), Year(2025));
        assert_eq!(Year::of(d(2026, 4, 1)), Year(2026));
        assert_eq!(
            Year(2025).bounds(),
            Some((
                crate::model::values::ymd(2025, 4, 1).unwrap(),
                crate::model::values::ymd(2026, 3, 31).unwrap()
            ))
        );
    }
}
