//! `share`: the share of a table's rows meeting a condition must stay
//! within bounds. A return-level rule: reported once, with no row.

use super::{Check, Kind, KindDoc, Param, RuleCx, WHEN};
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
            (Some((check, reads)), Some((when, when_reads))) if diags.is_empty() => Ok(Check::Share(Share {
                check,
                reads,
                when,
                when_reads,
                min,
                max,
            })),
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
