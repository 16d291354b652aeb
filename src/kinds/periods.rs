//! `periods`: date periods within a group must not overlap (or leave gaps).

use std::sync::Arc;

use datafusion::arrow::array::{Array, Int64Array};
use datafusion::logical_expr::Expr;
use datafusion::prelude::SessionContext;

use super::whole::{can_fail, line_numbers, none_failed, not_checked_in};
use super::{Check, GROUP, Kind, KindDoc, Param, RuleCx};
use crate::model::diag::Diagnostic;
use crate::model::finding::Detail;
use crate::model::table::{ColumnType, Table};
use crate::spec::keys::Columns;
use crate::spec::whole::{Found, LINE, Tables, WholeTable};
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
        Ok(Check::WholeTable(Arc::new(Periods {
            group,
            start,
            end,
            continuous,
        })))
    }
}

/// Date periods per group, e.g. a child's plans or care episodes.
#[derive(Debug, Clone)]
pub struct Periods {
    pub group: Vec<usize>,
    pub start: usize,
    /// A blank end means the period is still open.
    pub end: usize,
    pub continuous: bool,
}

impl Periods {
    fn all_reads(&self) -> Vec<usize> {
        self.group.iter().chain([&self.start, &self.end]).copied().collect()
    }

    /// Pairs of lines (later, earlier) of periods in the same group that overlap,
    /// or (if `continuous`) leave a gap. Periods are ordered by start; each is
    /// compared with the furthest end before it, an open end counting as never.
    async fn clashes(
        &self,
        ctx: &SessionContext,
        t: &Table,
        exclude: Option<Expr>,
    ) -> datafusion::common::Result<Vec<(u64, u64)>> {
        let q = |c: usize| format!("\"{}\"", t.columns[c].name);
        let group = self.group.iter().map(|&c| q(c)).collect::<Vec<_>>().join(", ");
        let mut not_null = self
            .group
            .iter()
            .chain([&self.start])
            .map(|&c| format!("{} IS NOT NULL", q(c)))
            .collect::<Vec<_>>()
            .join(" AND ");
        // Rows where a value the rule reads did not parse are reported apart.
        if let Some(keep) = exclude {
            not_null = format!("{not_null} AND {}", datafusion::sql::unparser::expr_to_sql(&keep)?);
        }
        let cols = self.all_reads().iter().map(|&c| q(c)).collect::<Vec<_>>().join(", ");
        // The furthest end so far and its line, packed into one number (days since
        // 1970 * 2^32 + line), so one running MAX gives both.
        let packed = format!(
            "CAST(CAST(COALESCE({end}, DATE '9999-12-31') AS INT) AS BIGINT) * 4294967296 + CAST(\"{LINE}\" AS BIGINT)",
            end = q(self.end)
        );
        let gap = if self.continuous { "OR s > prev_end" } else { "" };
        let sql = format!(
            "WITH d AS (
            -- Identical periods are compared once: exact copies are the duplicate rules' business.
            SELECT MIN(\"{LINE}\") AS \"{LINE}\", {cols} FROM \"{name}\" WHERE {not_null} GROUP BY {cols}),
         w AS (
            SELECT \"{LINE}\" AS line, CAST(CAST({start} AS INT) AS BIGINT) AS s,
                   MAX({packed}) OVER (PARTITION BY {group} ORDER BY {start}, \"{LINE}\"
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
            FROM d)
         SELECT line, CAST(prev % 4294967296 AS BIGINT) AS prev_line
         FROM (SELECT line, s, prev, prev / 4294967296 AS prev_end FROM w WHERE prev IS NOT NULL)
         WHERE s < prev_end {gap}",
            start = q(self.start),
            name = t.name,
        );
        let rows = ctx.sql(&sql).await?.collect().await?;
        let mut out = Vec::new();
        for b in rows {
            let line = line_numbers(&b, 0);
            let prev = b
                .column(1)
                .as_any()
                .downcast_ref::<Int64Array>()
                .expect("the query casts `prev_line` to BIGINT (Int64)");
            out.extend((0..b.num_rows()).map(|i| (line.value(i), prev.value(i) as u64)));
        }
        Ok(out)
    }
}

impl WholeTable for Periods {
    fn reads(&self, table: usize) -> Vec<(usize, Vec<usize>)> {
        vec![(table, self.all_reads())]
    }

    fn columns(&self) -> Vec<usize> {
        vec![self.start, self.end]
    }

    fn evaluate(&self, cx: &Tables, table: usize) -> datafusion::common::Result<Vec<Found>> {
        let this = &cx.tables[table];
        let mut reads = self.all_reads();
        reads.retain(|&c| can_fail(this, c));
        let column = Some(self.start);
        let mut found = not_checked_in(cx, cx.windows, table, &reads, column)?;
        let pairs = cx.block_on(self.clashes(cx.windows, this, none_failed(this, &reads)))?;
        for (line, other) in pairs {
            // Both periods of an overlap or gap are reported, each naming the other.
            for (at, names) in [(line, other), (other, line)] {
                let detail = Detail::ContradictedBy { table, line: names };
                found.push(Found::new(at, column, detail));
            }
        }
        Ok(found)
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
