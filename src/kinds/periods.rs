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

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(rule: &str) -> Pack {
        Pack::table("t", "id, s: date, e: date, a").rule(rule)
    }

    #[test]
    fn reports_both_rows_of_an_overlap() {
        let pack = pack("kind: periods\ngroup: [id]\nstart: s\nend: e");
        let rows = [
            "id: C1, s: 01/01/2020, e: 01/01/2021",
            "id: C1, s: 01/01/2021, e: 01/06/2021",
            "id: C2, s: 01/03/2021, e: 01/04/2021",
            "id: C1, s: 01/03/2021",
        ];
        // Rows 1 and 2 meet on a day, which is allowed; the open row 4 overlaps row 2. Each names
        // the other's line (the header is line 1).
        assert_eq!(
            pack.report(&rows),
            ["2: Reported. (see t line 5.)", "4: Reported. (see t line 3.)"]
        );
    }

    #[test]
    fn an_open_period_overlaps_anything_after_it() {
        let pack = pack("kind: periods\ngroup: [id]\nstart: s\nend: e");
        let rows = [
            "id: C1, s: 01/01/2020",
            "id: C1, s: 01/01/2024, e: 01/02/2024",
            "id: C2, s: 01/01/2020",
        ];
        assert_eq!(pack.fails(&rows), [1, 2]);
    }

    #[test]
    fn continuous_reports_gaps_too() {
        let rows = [
            "id: C1, s: 01/01/2020, e: 01/01/2021",
            "id: C1, s: 01/01/2021, e: 01/06/2021",
            "id: C1, s: 02/06/2021, e: 01/01/2022",
        ];
        let continuous = pack("kind: periods\ngroup: [id]\nstart: s\nend: e\ncontinuous: true");
        assert_eq!(continuous.fails(&rows), [2, 3]);
        let gaps_allowed = pack("kind: periods\ngroup: [id]\nstart: s\nend: e");
        assert_eq!(gaps_allowed.fails(&rows), Vec::<usize>::new());
    }

    #[test]
    fn rows_with_a_blank_group_or_start_are_left_to_required() {
        let pack = pack("kind: periods\ngroup: [id]\nstart: s\nend: e");
        let rows = [
            "id: C1, s: 01/01/2020, e: 01/01/2021",
            "s: 01/03/2020",
            "id: C1, e: 01/03/2020",
        ];
        assert_eq!(pack.fails(&rows), Vec::<usize>::new());
    }

    #[test]
    fn periods_run_between_date_columns() {
        assert_eq!(
            pack("kind: periods\ngroup: [id]\nstart: a\nend: e").diags(),
            ["not-a-date-column: column `a` is not a date column"]
        );
        assert_eq!(
            pack("kind: periods\ngroup: []\nstart: s\nend: e").diags(),
            ["empty-columns: `group` is empty"]
        );
    }
}
