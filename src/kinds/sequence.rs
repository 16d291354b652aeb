//! `sequence`: within a group, each row in order must satisfy a condition
//! over it and the row before it.

use std::sync::Arc;

use datafusion::arrow::datatypes::Field;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, TableReference};
use datafusion::functions_window::expr_fn::lag;
use datafusion::logical_expr::{Expr, ExprFunctionExt, col, ident};
use datafusion::prelude::SessionContext;

use super::whole::{can_fail, line_numbers, none_failed, not_checked};
use super::{Check, GROUP, Kind, KindDoc, Param, RuleCx, WHEN};
use crate::model::diag::Diagnostic;
use crate::model::finding::Detail;
use crate::model::table::{ColumnType, Table};
use crate::spec::keys::{Columns, Sql};
use crate::spec::whole::{Found, LINE, Tables, WholeTable};
use crate::spec::yaml::Spanned;
use crate::spec::yaml::span;

pub struct SequenceKind;

/// How the condition names the previous row's columns.
pub const PREVIOUS: &str = "previous";

static DOC: KindDoc = KindDoc {
    name: "sequence",
    summary: "Within each group (e.g. per child), rows are put in order of `order_by` (rows with equal values in file order), and each row after the first must satisfy `check`, SQL over this row's columns by name and the row before it as `previous.<column>`. A row that fails is reported, naming the previous row's line. With `when`, only rows where it is true take part. Rows with a blank group or `order_by` are left to `required`; a row where a value the rule reads did not parse is reported as not checked and left out of the sequence.",
    why: "Records of one child tell a story in order: each child protection plan counts the plans before it, a review follows the last one, a placement starts after the previous one ends. A step out of order means a date or a count was typed wrong, and every figure built on the sequence (repeat plans, timeliness) inherits it.",
    example: "- id: CPP-010\n  table: cp_plans\n  kind: sequence\n  group: [child_id]\n  order_by: plan_start_date\n  check: plan_start_date = previous.plan_start_date OR previous_plans > previous.previous_plans\n  severity: warning\n  message: The plan counts no more previous plans than the child's earlier plan.",
    params: &[
        GROUP,
        Param {
            name: "order_by",
            required: true,
            doc: "The date or integer column that orders rows within a group; ties keep file order.",
        },
        Param {
            name: "check",
            required: true,
            doc: "SQL condition over this row and the row before it (`previous.<column>`).",
        },
        WHEN,
    ],
};

/// The keys a `sequence` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub group: Columns,
    pub order_by: Spanned<String>,
    pub check: Sql,
    #[serde(default)]
    pub when: Option<Sql>,
}

impl Kind for SequenceKind {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let group = cx.group(&p.group).map_err(|d| diags.extend(d)).ok();
        let order = &p.order_by;
        let order_by = match cx.resolve(std::slice::from_ref(order)) {
            Ok(c) => match &cx.column(c[0]).ty {
                ColumnType::Date(_) | ColumnType::Integer => Some(c[0]),
                other => {
                    diags.push(
                        cx.error(
                            "bad-order-by",
                            span(order),
                            format!(
                                "column `{}` is a {} column, so it cannot order rows",
                                order.value,
                                other.name()
                            ),
                        )
                        .label("needs a date or integer column")
                        .help("order by a column with `type: date` or `type: integer`"),
                    );
                    None
                }
            },
            Err(d) => {
                diags.extend(d);
                None
            }
        };
        // This row's columns by name (as every other check sees them), the
        // previous row's as `previous.<column>`.
        let mut schema = cx.table.schema.as_ref().clone();
        let previous = DFSchema::new_with_metadata(
            cx.table
                .columns
                .iter()
                .map(|c| {
                    (
                        Some(TableReference::bare(PREVIOUS)),
                        Arc::new(Field::new(&c.name, c.ty.arrow(), true)),
                    )
                })
                .collect(),
            Default::default(),
        )
        .map_err(|e| {
            vec![cx.error(
                "internal",
                span(&cx.raw.kind),
                format!("building the previous-row schema: {e}"),
            )]
        })?;
        // `merge`, not a new schema: DataFusion refuses a schema holding both
        // `x` and `previous.x`, though it resolves a bare `x` to the unqualified
        // field unambiguously once they are there.
        schema.merge(&previous);
        let check = &p.check;
        let condition = cx
            .condition_over(check, &Arc::new(schema))
            .map(|(condition, _)| condition)
            .map_err(|d| diags.push(wrong_row(cx, d)))
            .ok();
        let (when, when_reads) = cx
            .when(&p.when)
            .map_err(|d| diags.extend(d))
            .unwrap_or((None, Vec::new()));
        let (Some(group), Some(order_by), Some(condition)) = (group, order_by, condition) else {
            return Err(diags);
        };
        if !diags.is_empty() {
            return Err(diags);
        }
        let (mut reads, mut previous_reads) = (Vec::new(), Vec::new());
        for c in condition.column_refs() {
            match &c.relation {
                Some(r) if r.table() == PREVIOUS => previous_reads.extend(cx.table.column(&c.name)),
                _ => reads.extend(cx.table.column(&c.name)),
            }
        }
        for v in [&mut reads, &mut previous_reads] {
            v.sort_unstable();
            v.dedup();
        }
        Ok(Check::WholeTable(Arc::new(Sequence {
            group,
            order_by,
            condition,
            reads,
            previous_reads,
            when,
            when_reads,
        })))
    }
}

/// Consecutive rows of a group, e.g. a child's plans by start date: each row
/// after the first must satisfy a condition over it and the row before it.
#[derive(Debug, Clone)]
pub struct Sequence {
    pub group: Vec<usize>,
    /// A date or integer column; rows with equal values are ordered by line.
    pub order_by: usize,
    /// Over this row's columns (unqualified) and the previous row's (`previous.x`).
    pub condition: Expr,
    /// Columns the condition reads from this row, and from the previous row.
    pub reads: Vec<usize>,
    pub previous_reads: Vec<usize>,
    /// Rows that take part in the sequence, over this table's typed columns.
    pub when: Option<Expr>,
    pub when_reads: Vec<usize>,
}

/// Name of the previous row's value of `column` in the sequence window.
fn previous_name(column: &str) -> String {
    format!("__previous_{column}")
}

impl Sequence {
    /// Every column the rule reads: a row where one did not parse cannot
    /// take its place in the order, nor be compared.
    fn all_reads(&self) -> Vec<usize> {
        let mut reads: Vec<usize> = self
            .group
            .iter()
            .chain([&self.order_by])
            .chain(&self.reads)
            .chain(&self.previous_reads)
            .chain(&self.when_reads)
            .copied()
            .collect();
        reads.sort_unstable();
        reads.dedup();
        reads
    }

    /// Pairs of lines (row, the row before it in its group) where the row breaks
    /// the sequence's condition. One window over the table: the previous row's
    /// values come from LAG over each group ordered by `order_by`, then line.
    async fn out_of_sequence(
        &self,
        ctx: &SessionContext,
        t: &Table,
        exclude: Option<Expr>,
    ) -> datafusion::common::Result<Vec<(u64, u64)>> {
        let name = |c: usize| t.columns[c].name.as_str();
        let mut rows = ctx.table(TableReference::bare(t.name.as_str())).await?;
        if let Some(keep) = exclude {
            rows = rows.filter(keep)?;
        }
        if let Some(when) = &self.when {
            rows = rows.filter(when.clone())?;
        }
        for &c in self.group.iter().chain([&self.order_by]) {
            rows = rows.filter(ident(name(c)).is_not_null())?;
        }
        let over = |e: Expr| {
            e.partition_by(self.group.iter().map(|&c| ident(name(c))).collect())
                .order_by(vec![
                    ident(name(self.order_by)).sort(true, false),
                    col(LINE).sort(true, false),
                ])
                .build()
        };
        let previous_line = previous_name(LINE);
        let mut windows = vec![over(lag(col(LINE), Some(1), None))?.alias(&previous_line)];
        for &c in &self.previous_reads {
            windows.push(over(lag(ident(name(c)), Some(1), None))?.alias(previous_name(name(c))));
        }
        // `previous.x` in the condition is the window's LAG of x.
        let condition = self
            .condition
            .clone()
            .transform_up(|e| match e {
                Expr::Column(c) if c.relation.as_ref().is_some_and(|r| r.table() == PREVIOUS) => {
                    Ok(Transformed::yes(ident(previous_name(&c.name))))
                }
                e => Ok(Transformed::no(e)),
            })?
            .data;
        let rows = rows
            .window(windows)?
            // The first row of a group has no previous row; NULL (a blank value) is not a failure.
            .filter(ident(&previous_line).is_not_null().and(condition.is_false()))?
            .select(vec![col(LINE), ident(&previous_line)])?
            .collect()
            .await?;
        let mut out = Vec::new();
        for b in rows {
            let (line, previous) = (line_numbers(&b, 0), line_numbers(&b, 1));
            out.extend((0..b.num_rows()).map(|i| (line.value(i), previous.value(i))));
        }
        Ok(out)
    }
}

impl WholeTable for Sequence {
    fn reads(&self, table: usize) -> Vec<(usize, Vec<usize>)> {
        vec![(table, self.all_reads())]
    }

    /// What a broken sequence's report shows: the values the check read on this row.
    fn columns(&self) -> Vec<usize> {
        if self.reads.is_empty() {
            vec![self.order_by]
        } else {
            self.reads.clone()
        }
    }

    fn evaluate(&self, cx: &Tables, table: usize) -> datafusion::common::Result<Vec<Found>> {
        let this = &cx.tables[table];
        let mut reads = self.all_reads();
        reads.retain(|&c| can_fail(this, c));
        let mut found = cx.block_on(not_checked(cx.windows, this, &reads, None))?;
        let steps = cx.block_on(self.out_of_sequence(cx.windows, this, none_failed(this, &reads)))?;
        found.extend(
            steps
                .into_iter()
                .map(|(line, previous)| Found::new(line, None, Detail::ContradictedBy { table, line: previous })),
        );
        Ok(found)
    }
}

/// `prev.x` or `cp_plans.x` where `x` is a real column: say how to name the
/// two rows, rather than that the table has no `x`.
fn wrong_row(cx: &RuleCx, d: Diagnostic) -> Diagnostic {
    if let Some(rest) = d.message.strip_prefix(&format!("`{PREVIOUS}` has no column ")) {
        let message = format!("table `{}` has no column {rest}", cx.table.name);
        return Diagnostic { message, ..d };
    }
    // The whole dotted name, from where the problem starts.
    let from = &cx.file.text[d.span.start.min(cx.file.text.len())..];
    let len = from
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '"')))
        .unwrap_or(from.len());
    let text = &from[..len];
    match text.rsplit_once('.') {
        Some((row, name))
            if matches!(d.code, "unknown-column" | "unknown-table")
                && cx.table.column(name.trim_matches('"')).is_some() =>
        {
            let name = name.trim_matches('"');
            cx.error(
                "unknown-column",
                d.span.start..d.span.start + len,
                format!("`{row}` is not a row this check can read"),
            )
            .label("unknown row")
            .help(format!(
                "write `{name}` for this row's value or `{PREVIOUS}.{name}` for the previous row's"
            ))
        }
        _ => d,
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(rule: &str) -> Pack {
        Pack::table("t", "id, s: date, n: integer, a").rule(rule)
    }

    const RULE: &str = "kind: sequence\ngroup: [id]\norder_by: s\ncheck: n > previous.n";

    #[test]
    fn each_row_in_order_is_checked_against_the_one_before() {
        // In date order, C1's rows are lines 3, 2, 5, 4 of the file.
        let rows = [
            "id: C1, s: 01/02/2020, n: 1",
            "id: C1, s: 01/01/2020, n: 0",
            "id: C2, s: 01/01/2020, n: 5",
            "id: C1, s: 01/04/2020, n: 2",
            "id: C1, s: 01/03/2020, n: 2",
        ];
        // C1 in order: rows 2, 1, 5, 4; row 4 does not count more than row 5 (line 6).
        assert_eq!(pack(RULE).report(&rows), ["4: Reported. (see t line 6.)"]);
    }

    #[test]
    fn equal_order_values_keep_file_order() {
        let rows = ["id: C1, s: 01/01/2020, n: 1", "id: C1, s: 01/01/2020, n: 0"];
        assert_eq!(pack(RULE).fails(&rows), [2]);
    }

    #[test]
    fn rows_that_cannot_take_part_are_left_out() {
        // A blank group or order is left to `required`; a value that did not parse is not checked.
        let rows = [
            "id: C1, s: 01/01/2020, n: 5",
            "s: 01/02/2020, n: 1",
            "id: C1, n: 1",
            "id: C1, s: 01/03/2020, n: x",
            "id: C1, s: 01/04/2020, n: 6",
        ];
        // Row 5 follows row 1.
        assert_eq!(
            pack(RULE).report(&rows),
            ["4: Not checked: n is not a whole number, so this rule could not be applied. (Reported.)"]
        );
    }

    #[test]
    fn when_chooses_the_rows_that_take_part() {
        let pack = pack(&format!("{RULE}\nwhen: a = 'plan'"));
        let rows = [
            "id: C1, s: 01/01/2020, n: 1, a: plan",
            "id: C1, s: 01/02/2020, n: 0, a: note",
            "id: C1, s: 01/03/2020, n: 2, a: plan",
            "id: C1, s: 01/04/2020, n: 2, a: plan",
        ];
        assert_eq!(pack.fails(&rows), [4]);
    }

    #[test]
    fn order_by_a_date_or_number_and_name_the_previous_row() {
        assert_eq!(
            pack("kind: sequence\ngroup: [id]\norder_by: a\ncheck: n > previous.n").diags(),
            ["bad-order-by: column `a` is a text column, so it cannot order rows"]
        );
        assert_eq!(
            pack("kind: sequence\ngroup: [id]\norder_by: s\ncheck: n > prev.n").diags(),
            ["unknown-column: `prev` is not a row this check can read"]
        );
        assert_eq!(
            pack("kind: sequence\ngroup: [id]\norder_by: s\ncheck: n > previous.m").diags(),
            ["unknown-column: table `t` has no column `m`"]
        );
    }
}
