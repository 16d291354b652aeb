//! `length`: text must have between `min` and `max` characters.

use datafusion::functions::expr_fn::character_length;
use datafusion::logical_expr::lit;

use super::{COLUMNS, Check, Kind, KindDoc, Param, RuleCx, WHEN};
use crate::model::diag::Diagnostic;
use crate::spec::keys::{Columns, Sql};
use crate::spec::raw::Bound;
use crate::spec::yaml::{Spanned, span};

pub struct Length;

static DOC: KindDoc = KindDoc {
    name: "length",
    summary: "Text (with surrounding spaces ignored) must be at least `min` and at most `max` characters; blank values are left to `required`.",
    why: "Over-long values are usually notes pasted into the wrong field, and receiving systems truncate them; too-short ones are usually initials or placeholders.",
    example: "- id: REF-005\n  table: referrals\n  kind: length\n  columns: [allocated_worker]\n  max: 80\n  severity: warning\n  message: Value is too long to be a worker's name.",
    params: &[
        COLUMNS,
        Param {
            name: "min",
            required: false,
            doc: "Fewest characters allowed.",
        },
        Param {
            name: "max",
            required: false,
            doc: "Most characters allowed.",
        },
        WHEN,
    ],
};

/// The keys a `length` rule takes (see its docs).
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

impl Kind for Length {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let columns = cx.columns(&p.columns)?;
        let bound = |b: &Option<Spanned<Bound>>| -> Result<Option<i64>, Vec<Diagnostic>> {
            match b {
                None => Ok(None),
                Some(s) => match s.value {
                    Bound::Int(n) if n >= 0 => Ok(Some(n)),
                    _ => Err(vec![
                        cx.error("bad-length", span(s), "a length must be a whole number of characters")
                            .label("not a whole number"),
                    ]),
                },
            }
        };
        let (min, max) = (bound(&p.min)?, bound(&p.max)?);
        if min.is_none() && max.is_none() {
            return Err(vec![
                cx.error(
                    "missing-key",
                    span(&cx.raw.kind),
                    "rule kind `length` needs `min`, `max` or both",
                )
                .label("no bounds"),
            ]);
        }
        cx.per_column(&columns, &p.when, |value, _| {
            let len = character_length(value);
            match (min, max) {
                (Some(a), Some(b)) => len.between(lit(a), lit(b)),
                (Some(a), None) => len.gt_eq(lit(a)),
                (None, Some(b)) => len.lt_eq(lit(b)),
                (None, None) => lit(true),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(rule: &str) -> Pack {
        Pack::table("t", "a, b").rule(rule)
    }

    #[test]
    fn reports_text_shorter_than_min_or_longer_than_max() {
        let pack = pack("kind: length\ncolumns: [a]\nmin: 2\nmax: 4");
        let rows = ["a: ab", "a: a", "a: abcd", "a: abcde", "a: ' abcd '", "a: ''"];
        assert_eq!(pack.fails(&rows), [2, 4]);
    }

    #[test]
    fn counts_characters_not_bytes() {
        let pack = pack("kind: length\ncolumns: [a]\nmax: 4");
        assert_eq!(pack.fails(&["a: Zoë", "a: Siân-Ró"]), [2]);
    }

    #[test]
    fn when_limits_the_rows_checked() {
        let pack = pack("kind: length\ncolumns: [a]\nmin: 3\nwhen: b IS NOT NULL");
        assert_eq!(pack.fails(&["a: ab, b: y", "a: ab"]), [1]);
    }

    #[test]
    fn bounds_are_whole_numbers_of_characters() {
        assert_eq!(
            pack("kind: length\ncolumns: [a]\nmax: 2.5").diags(),
            ["bad-length: a length must be a whole number of characters"]
        );
        assert_eq!(
            pack("kind: length\ncolumns: [a]\nmin: -1").diags(),
            ["bad-length: a length must be a whole number of characters"]
        );
        assert_eq!(
            pack("kind: length\ncolumns: [a]").diags(),
            ["missing-key: rule kind `length` needs `min`, `max` or both"]
        );
    }
}
