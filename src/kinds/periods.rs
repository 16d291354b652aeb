//! `periods`: date periods within a group must not overlap (or leave gaps).

use super::{Check, GROUP, Kind, KindDoc, Param, RuleCx};
use crate::model::diag::Diagnostic;
use crate::model::table::ColumnType;
use crate::spec::compiled::Periods;
use crate::spec::keys::Columns;
use crate::spec::yaml::{Spanned, span};

pub struct PeriodsKind;

static DOC: KindDoc = KindDoc {
    name: "periods",
    summary: "Within each group (e.g. per child), the periods from `start` to `end` must not overlap; with `continuous: true` each period must also start on or before the day the previous one ends (no gaps). A blank end means the period is still open, so it overlaps anything that starts after it. A period may start on the day the previous one ends. Both rows of an overlap or gap are reported, each naming the other's line. Rows with a blank group or start are left to `required`.",
    why: "A child cannot be on two child protection plans, or in two care episodes, at once; overlaps and gaps mean an end date was not recorded or a period was entered twice, and they distort every duration and count built on the list.",
    example: "- id: CPP-009\n  table: cp_plans\n  kind: periods\n  group: [child_id]\n  start: plan_start_date\n  end: plan_end_date\n  severity: error\n  message: The child's protection plans overlap.",
    params: &[
        GROUP,
        Param {
            name: "start",
            required: true,
            doc: "The date column a period starts on.",
        },
        Param {
            name: "end",
            required: true,
            doc: "The date column a period ends on (blank: still open).",
        },
        Param {
            name: "continuous",
            required: false,
            doc: "`true` to report gaps between consecutive periods too.",
        },
    ],
};

/// The keys a `periods` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub group: Columns,
    pub start: Spanned<String>,
    pub end: Spanned<String>,
    #[serde(default)]
    pub continuous: Option<Spanned<bool>>,
}

impl Kind for PeriodsKind {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let group = cx.group(&p.group).map_err(|d| diags.extend(d)).ok();
        let mut date = |name: &crate::spec::yaml::Spanned<String>| -> Option<usize> {
            let c = cx
                .resolve(std::slice::from_ref(name))
                .map_err(|d| diags.extend(d))
                .ok()?[0];
            if !matches!(cx.column(c).ty, ColumnType::Date(_)) {
                diags.push(
                    cx.error(
                        "not-a-date-column",
                        span(name),
                        format!("column `{}` is not a date column", name.value),
                    )
                    .label("periods run between dates")
                    .help("give the column `type: date`"),
                );
                return None;
            }
            Some(c)
        };
        let start = date(&p.start);
        let end = date(&p.end);
        let (Some(group), Some(start), Some(end)) = (group, start, end) else {
            return Err(diags);
        };
        let continuous = p.continuous.as_ref().is_some_and(|c| c.value);
        Ok(Check::Periods(Periods {
            group,
            start,
            end,
            continuous,
        }))
    }
}
