//! `age`: a child's age on a date must lie between bounds.

use super::{Check, Kind, KindDoc, Param, Row, RuleCx, WHEN};
use crate::model::diag::Diagnostic;
use crate::model::table::ColumnType;
use crate::spec::compiled::RowCheck;
use crate::spec::keys::Sql;
use crate::spec::raw::Bound;
use crate::spec::yaml::{Spanned, span};

pub struct Age;

static DOC: KindDoc = KindDoc {
    name: "age",
    summary: "The age in whole years (UK birthday rule) from `date_of_birth` to `at` (a date column, or `today`, the default) must be at least `min` and at most `max`. Rows with either date blank are not checked.",
    why: "Children's services work with children and young people up to 25; an age outside that, or a negative age at an event, means a date of birth or event date is wrong.",
    example: "- id: CHI-003\n  table: children\n  kind: age\n  date_of_birth: date_of_birth\n  at: today\n  max: 25\n  severity: warning\n  message: The child would be over 25 today.",
    params: &[
        Param {
            name: "date_of_birth",
            required: true,
            doc: "The date-of-birth column.",
        },
        Param {
            name: "at",
            required: false,
            doc: "The date to measure age at: a date column or `today` (default).",
        },
        Param {
            name: "min",
            required: false,
            doc: "Youngest allowed age in years.",
        },
        Param {
            name: "max",
            required: false,
            doc: "Oldest allowed age in years.",
        },
        WHEN,
    ],
};

/// The keys a `age` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub date_of_birth: Spanned<String>,
    #[serde(default)]
    pub at: Option<Spanned<String>>,
    #[serde(default)]
    pub min: Option<Spanned<Bound>>,
    #[serde(default)]
    pub max: Option<Spanned<Bound>>,
    #[serde(default)]
    pub when: Option<Sql>,
}

impl Kind for Age {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let dob_name = &p.date_of_birth;
        let date_column = |n: &Spanned<String>, diags: &mut Vec<Diagnostic>| -> Option<usize> {
            let c = cx.resolve(std::slice::from_ref(n)).map_err(|d| diags.extend(d)).ok()?[0];
            if !matches!(cx.column(c).ty, ColumnType::Date(_)) {
                diags.push(
                    cx.error(
                        "not-a-date-column",
                        span(n),
                        format!("column `{}` is not a date column", n.value),
                    )
                    .label("ages are measured between dates")
                    .help("give the column `type: date`"),
                );
                return None;
            }
            Some(c)
        };
        let dob = date_column(dob_name, &mut diags);
        let at = match &p.at {
            Some(a) if !a.value.trim().eq_ignore_ascii_case("today") => date_column(a, &mut diags).map(Some),
            _ => Some(None),
        };
        let years = |b: &Option<Spanned<Bound>>, diags: &mut Vec<Diagnostic>| -> Option<i64> {
            match b.as_ref().map(|s| (s, &s.value)) {
                None => None,
                Some((_, Bound::Int(n))) => Some(*n),
                Some((s, _)) => {
                    diags.push(
                        cx.error("bad-bound", span(s), "an age bound is a whole number of years")
                            .label("not a whole number"),
                    );
                    None
                }
            }
        };
        let (min, max) = (years(&p.min, &mut diags), years(&p.max, &mut diags));
        if p.min.is_none() && p.max.is_none() {
            diags.push(
                cx.error(
                    "missing-key",
                    span(&cx.raw.kind),
                    "rule kind `age` needs `min`, `max` or both",
                )
                .label("no bounds"),
            );
        }
        let (when, when_reads) = cx.when(&p.when)?;
        let (Some(dob), Some(at)) = (dob, at) else {
            return Err(diags);
        };
        if !diags.is_empty() {
            return Err(diags);
        }
        let at_sql = at.map_or_else(|| "today()".to_string(), |c| cx.column(c).name.clone());
        let age = format!("age_years({}, {at_sql})", cx.column(dob).name);
        let sql = match (min, max) {
            (Some(a), Some(b)) => format!("{age} BETWEEN {a} AND {b}"),
            (Some(a), None) => format!("{age} >= {a}"),
            (None, Some(b)) => format!("{age} <= {b}"),
            (None, None) => "true".to_string(),
        };
        let pass = cx.sql.parse(&sql, &cx.table.schema).map_err(|e| {
            vec![cx.error(
                "internal",
                span(&cx.raw.kind),
                format!("could not build the age check: {}", e.message),
            )]
        })?;
        let reads = cx.reads(&pass);
        Ok(Check::Row(Row::Predicates(vec![RowCheck {
            column: Some(dob),
            when,
            pass,
            reads,
            when_reads,
        }])))
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(rule: &str) -> Pack {
        Pack::table("t", "a, born: date, seen: date, n: integer").rule(rule)
    }

    #[test]
    fn measures_whole_years_to_today() {
        // Today is 31/03/2026: born 01/04/2000 is 25 until tomorrow.
        let pack = pack("kind: age\ndate_of_birth: born\nmax: 25");
        assert_eq!(
            pack.fails(&["born: 01/04/2000", "born: 31/03/2000", "born: 01/01/2020"]),
            [2]
        );
    }

    #[test]
    fn measures_to_a_date_column_by_the_uk_birthday_rule() {
        // Born on 29 February: 18 on 1 March in a year without one.
        let pack = pack("kind: age\ndate_of_birth: born\nat: seen\nmin: 0\nmax: 17");
        let rows = [
            "born: 29/02/2008, seen: 28/02/2026",
            "born: 29/02/2008, seen: 01/03/2026",
            "born: 01/06/2020, seen: 31/05/2020",
            "born: 01/06/2020, seen: 01/06/2020",
        ];
        assert_eq!(pack.fails(&rows), [2, 3]);
    }

    #[test]
    fn rows_with_either_date_blank_are_not_checked() {
        let pack = pack("kind: age\ndate_of_birth: born\nat: seen\nmin: 0");
        assert_eq!(
            pack.fails(&["born: 01/06/2020", "seen: 01/06/2020", ""]),
            Vec::<usize>::new()
        );
    }

    #[test]
    fn when_limits_the_rows_checked() {
        let pack = pack("kind: age\ndate_of_birth: born\nmax: 17\nwhen: a = 'child'");
        assert_eq!(
            pack.fails(&["born: 01/01/2000, a: child", "born: 01/01/2000, a: adult"]),
            [1]
        );
    }

    #[test]
    fn ages_run_between_date_columns_and_whole_years() {
        assert_eq!(
            pack("kind: age\ndate_of_birth: a\nat: n\nmax: 25").diags(),
            [
                "not-a-date-column: column `a` is not a date column",
                "not-a-date-column: column `n` is not a date column",
            ]
        );
        assert_eq!(
            pack("kind: age\ndate_of_birth: born\nmin: 0.5\nmax: ten").diags(),
            [
                "bad-bound: an age bound is a whole number of years",
                "bad-bound: an age bound is a whole number of years",
            ]
        );
        assert_eq!(
            pack("kind: age\ndate_of_birth: born").diags(),
            ["missing-key: rule kind `age` needs `min`, `max` or both"]
        );
    }
}
