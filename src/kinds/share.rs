//! `share`: the share of a table's rows meeting a condition must stay
//! within bounds. A return-level rule: reported once, with no row.

use super::{Check, Kind, KindDoc, Param, Return, RuleCx, WHEN};
use crate::model::diag::Diagnostic;
use crate::spec::compiled::Share;
use crate::spec::keys::Sql;
use crate::spec::raw::Bound;
use crate::spec::yaml::{Spanned, span};

pub struct ShareKind;

static DOC: KindDoc = KindDoc {
    name: "share",
    summary: "Counts the rows where `check` is true among the rows the rule applies to (`when`; default every row), and reports once, for the whole table, when that share is below `min` or above `max` (percentages, e.g. `2%`). The finding has no line: it is about the return, not a record. Rows where `check` cannot be evaluated (a value it reads did not parse) count as not meeting it, and the message says how many there were.",
    why: "Some problems only show in aggregate: one child with gender not stated is normal, but 5% of a council's children means a recording practice, and a return the DfE will query.",
    example: "- id: CHI-R01\n  table: children\n  kind: share\n  check: sex = 'c) Not stated/recorded'\n  max: 2%\n  severity: warning\n  message: More than 2% of children have their gender recorded as not stated.",
    params: &[
        Param {
            name: "check",
            required: true,
            doc: "SQL condition: the rows counted.",
        },
        Param {
            name: "min",
            required: false,
            doc: "Smallest allowed share, as a percentage (`0.5%`).",
        },
        Param {
            name: "max",
            required: false,
            doc: "Largest allowed share, as a percentage (`2%`).",
        },
        WHEN,
    ],
};

/// The keys a `share` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub check: Sql,
    #[serde(default)]
    pub min: Option<Spanned<Bound>>,
    #[serde(default)]
    pub max: Option<Spanned<Bound>>,
    #[serde(default)]
    pub when: Option<Sql>,
}

impl Kind for ShareKind {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        if p.min.is_none() && p.max.is_none() {
            diags.push(
                cx.error(
                    "missing-key",
                    span(&cx.raw.kind),
                    "rule kind `share` needs `min`, `max` or both",
                )
                .label("no bounds")
                .help("e.g. `max: 2%`"),
            );
        }
        let min = p
            .min
            .as_ref()
            .and_then(|b| percent(cx, b).map_err(|d| diags.push(d)).ok());
        let max = p
            .max
            .as_ref()
            .and_then(|b| percent(cx, b).map_err(|d| diags.push(d)).ok());
        let check = &p.check;
        let check = cx.condition(check).map_err(|d| diags.push(d)).ok();
        let when = cx.when(&p.when).map_err(|d| diags.extend(d)).ok();
        match (check, when) {
            (Some((check, reads)), Some((when, when_reads))) if diags.is_empty() => {
                Ok(Check::Return(Return::Share(Box::new(Share {
                    check,
                    reads,
                    when,
                    when_reads,
                    min,
                    max,
                }))))
            }
            _ => Err(diags),
        }
    }
}

/// A percentage bound (`2%`, `0.5 %`) as a fraction.
pub fn percent(cx: &RuleCx, b: &Spanned<Bound>) -> Result<f64, Diagnostic> {
    let bad = || {
        cx.error("bad-bound", span(b), "not a percentage")
            .label("expected a percentage")
            .help("write it with a percent sign, e.g. `2%` or `0.5%`")
    };
    match &b.value {
        Bound::Text(t) => {
            let n: f64 = t
                .trim()
                .strip_suffix('%')
                .ok_or_else(bad)?
                .trim()
                .parse()
                .map_err(|_| bad())?;
            if !(0.0..=100.0).contains(&n) {
                return Err(bad().label("a percentage from 0% to 100%"));
            }
            Ok(n / 100.0)
        }
        Bound::Int(_) | Bound::Float(_) => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(rule: &str) -> Pack {
        Pack::table("t", "id, g: [M, F, U], n: integer").rule(rule)
    }

    #[test]
    fn reports_the_table_once_when_the_share_is_above_max() {
        let pack = pack("kind: share\ncheck: g = 'U'\nmax: 25%");
        assert_eq!(pack.report(&["g: U", "g: M", "g: F", "g: F"]), Vec::<String>::new());
        assert_eq!(
            pack.report(&["g: U", "g: U", "g: F", "g: F"]),
            ["table: Reported. (2 of 4 rows (50%); the limit is at most 25%.)"]
        );
    }

    #[test]
    fn reports_the_table_when_the_share_is_below_min() {
        let pack = pack("kind: share\ncheck: g = 'F'\nmin: 50%");
        assert_eq!(pack.report(&["g: F", "g: M"]), Vec::<String>::new());
        assert_eq!(
            pack.report(&["g: F", "g: M", "g: M"]),
            ["table: Reported. (1 of 3 rows (33.3%); the limit is at least 50%.)"]
        );
    }

    #[test]
    fn when_chooses_the_rows_counted_and_unreadable_rows_do_not_meet_the_check() {
        let pack = pack("kind: share\ncheck: n > 0\nwhen: g = 'M'\nmax: 50%");
        assert_eq!(
            pack.report(&["g: M, n: 1", "g: M, n: 0", "g: F, n: 1", "g: F, n: 1"]),
            Vec::<String>::new()
        );
        assert_eq!(
            pack.report(&["g: M, n: 1", "g: M, n: 2", "g: M, n: x", "g: F"]),
            ["table: Reported. (2 of 3 rows (66.7%); 1 could not be evaluated; the limit is at most 50%.)"]
        );
    }

    #[test]
    fn a_blank_row_counts_as_not_meeting_the_check_and_an_empty_table_is_not_measured() {
        let pack = pack("kind: share\ncheck: g = 'U'\nmax: 25%");
        assert_eq!(
            pack.report(&["g: U", "id: C1"]),
            ["table: Reported. (1 of 2 rows (50%); the limit is at most 25%.)"]
        );
        assert_eq!(
            pack.report(&[]),
            ["table: Not checked: no rows to measure. (Reported.)"]
        );
    }

    #[test]
    fn bounds_are_percentages() {
        assert_eq!(
            pack("kind: share\ncheck: g = 'U'\nmax: 2").diags(),
            ["bad-bound: not a percentage"]
        );
        assert_eq!(
            pack("kind: share\ncheck: g = 'U'\nmin: 150%").diags(),
            ["bad-bound: not a percentage"]
        );
        assert_eq!(
            pack("kind: share\ncheck: g = 'U'").diags(),
            ["missing-key: rule kind `share` needs `min`, `max` or both"]
        );
        assert_eq!(
            pack("kind: share\ncheck: n\nmax: 2%").diags(),
            ["not-a-condition: this expression gives a whole number, not true or false"]
        );
    }
}
