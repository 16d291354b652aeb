//! `row_count`: the number of rows in a table must be within bounds, and
//! must not change from the last run by more than a share. A return-level
//! rule: reported once, with no row.

use super::{Check, Kind, KindDoc, Param, Return, RuleCx, share::percent};
use crate::model::diag::Diagnostic;
use crate::spec::compiled::RowCount;
use crate::spec::raw::Bound;
use crate::spec::yaml::{Spanned, span};

pub struct RowCountKind;

static DOC: KindDoc = KindDoc {
    name: "row_count",
    summary: "The table's number of records must be at least `min` and at most `max`, and must not differ from the number in the last run (the last one the history keeps with this as-of date or an earlier one) by more than `max_change` (a percentage of the last run's count). Reported once, with no line. On the first run there is nothing to compare with, and the rule says so.",
    why: "An export that silently lost half its rows (a filter left on, a failed join in the report that produced it) passes every row-level check. A sudden change in the number of contacts is the first sign, and it is cheap to catch every night.",
    example: "- id: CON-R01\n  table: contacts\n  kind: row_count\n  min: 1\n  max_change: 20%\n  severity: warning\n  message: The number of contacts differs from the last run by more than 20%.",
    params: &[
        Param {
            name: "min",
            required: false,
            doc: "Fewest records allowed.",
        },
        Param {
            name: "max",
            required: false,
            doc: "Most records allowed.",
        },
        Param {
            name: "max_change",
            required: false,
            doc: "Largest change from the last run, as a percentage of its count (`20%`).",
        },
    ],
};

/// The keys a `row_count` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(default)]
    pub min: Option<Spanned<Bound>>,
    #[serde(default)]
    pub max: Option<Spanned<Bound>>,
    #[serde(default)]
    pub max_change: Option<Spanned<Bound>>,
}

impl Kind for RowCountKind {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        if p.min.is_none() && p.max.is_none() && p.max_change.is_none() {
            diags.push(
                cx.error(
                    "missing-key",
                    span(&cx.raw.kind),
                    "rule kind `row_count` needs `min`, `max` or `max_change`",
                )
                .label("nothing to check")
                .help("e.g. `max_change: 20%`"),
            );
        }
        let mut count = |b: &Spanned<Bound>| match b.value {
            Bound::Int(n) if n >= 0 => Some(n as u64),
            _ => {
                diags.push(
                    cx.error("bad-bound", span(b), "not a number of records")
                        .label("expected a whole number")
                        .help("e.g. `min: 1`"),
                );
                None
            }
        };
        let min = p.min.as_ref().and_then(&mut count);
        let max = p.max.as_ref().and_then(&mut count);
        let max_change = p
            .max_change
            .as_ref()
            .and_then(|b| percent(cx, b).map_err(|d| diags.push(d)).ok());
        if diags.is_empty() {
            Ok(Check::Return(Return::RowCount(RowCount { min, max, max_change })))
        } else {
            Err(diags)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::{Pack, report};

    fn pack(rule: &str) -> Pack {
        Pack::table("t", "id").rule(rule)
    }

    #[test]
    fn reports_the_table_when_its_count_is_out_of_bounds() {
        let pack = pack("kind: row_count\nmin: 2\nmax: 3");
        assert_eq!(
            pack.report(&["id: C1"]),
            ["table: Reported. (1 rows; the limit is at least 2.)"]
        );
        assert_eq!(pack.report(&["id: C1", "id: C2"]), Vec::<String>::new());
        assert_eq!(pack.report(&["id: C1", "id: C2", "id: C3"]), Vec::<String>::new());
        assert_eq!(
            pack.report(&["id: C1", "id: C2", "id: C3", "id: C4"]),
            ["table: Reported. (4 rows; the limit is at most 3.)"]
        );
    }

    #[test]
    fn max_change_compares_with_the_previous_run() {
        let pack = pack("kind: row_count\nmax_change: 20%");
        let five: &[&str] = &["id: C1", "id: C2", "id: C3", "id: C4", "id: C5"];
        let nights = pack.nights(&[five, &five[..4], &five[..3], five]);
        let said: Vec<Vec<String>> = nights.iter().map(report).collect();
        assert_eq!(
            said,
            [
                vec!["table: Not checked: there is no earlier run to compare with. (Reported.)"],
                vec![],
                vec!["table: Reported. (3 rows, 4 at the last run (-25%); the limit is a change of at most 20%.)"],
                vec!["table: Reported. (5 rows, 3 at the last run (+66.7%); the limit is a change of at most 20%.)"],
            ]
        );
    }

    #[test]
    fn counts_are_whole_numbers_and_a_change_a_percentage() {
        assert_eq!(
            pack("kind: row_count\nmin: -1").diags(),
            ["bad-bound: not a number of records"]
        );
        assert_eq!(
            pack("kind: row_count\nmax_change: 20").diags(),
            ["bad-bound: not a percentage"]
        );
        assert_eq!(
            pack("kind: row_count").diags(),
            ["missing-key: rule kind `row_count` needs `min`, `max` or `max_change`"]
        );
    }
}
