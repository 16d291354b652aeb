//! `aggregate`: a condition over a whole return rather than a row ("fewer than 8 disability
//! codes are used in the return"), written with SQL aggregates over the rule's table and
//! reported once, with no line, when it is false.
//!
//! Planned by DataFusion as `SELECT (check) FROM <table>` (or, when it reads the table only
//! through subqueries, `SELECT (check)`); a check that would give a value per row is refused
//! when the pack is read, pointing at `query`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, BooleanArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::LogicalPlan;

use super::query::{one_expression, positioned, stand_ins, what_it_reads};
use super::whole::can_fail;
use super::{Check, Kind, KindDoc, Param, RuleCx};
use crate::model::diag::Diagnostic;
use crate::model::finding::Detail;
use crate::spec::keys::{Columns, Sql};
use crate::spec::sql::SqlContext;
use crate::spec::whole::{Found, Tables, WholeTable};
use crate::spec::yaml::span;

pub struct AggregateKind;

static DOC: KindDoc = KindDoc {
    name: "aggregate",
    summary: "A SQL condition over the whole table, true for a good return, written with aggregates (`count(*)`, `count(DISTINCT disability) FILTER (WHERE disability <> 'NONE')`, `max(...)`) and, through scalar subqueries, other tables (`(SELECT max(n) FROM (SELECT count(*) AS n FROM disabilities GROUP BY la_child_id))`). Reported once, with no line: it is about the return, not a record. A blank (NULL) result passes; if a value of the table the condition reads outside subqueries did not parse, the rule is reported as not checked, since the aggregate would have counted it as blank. A condition that gives a value per row is refused: use `query` for that.",
    why: "Some of the DfE's queries are about a whole return: too few disability codes used, no child with more than one disability. They are worked through as one exception for the return, not one per child.",
    example: "- id: CON-R02\n  table: contacts\n  kind: aggregate\n  check: count(DISTINCT contact_source) >= 3\n  severity: warning\n  message: Fewer than 3 sources of contact are recorded, so the source is probably not being recorded.",
    params: &[
        Param {
            name: "check",
            required: true,
            doc: "SQL condition over aggregates of the table, true for a good return.",
        },
        Param {
            name: "columns",
            required: false,
            doc: "The columns the finding is about (default: the columns of the table `check` reads).",
        },
    ],
};

/// The keys an `aggregate` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub check: Sql,
    #[serde(default)]
    pub columns: Option<Columns>,
}

/// The name the query gives its result.
const PASS_COL: &str = "__pass";

impl Kind for AggregateKind {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        if let Err(e) = one_expression(&p.check.value) {
            return Err(vec![positioned(cx, &p.check, *e)]);
        }
        let columns = match &p.columns {
            Some(c) => cx.resolve(&c.value)?,
            None => Vec::new(),
        };
        let (head, tail) = parts(&cx.table.name);
        let select = format!("{head}{}{tail}", p.check.value);
        let ctx = stand_ins(cx);
        let plan = cx.sql.plan_query(&ctx, &select).map_err(|mut e| {
            // Put the error back on the check, as written.
            e.span = e
                .span
                .take()
                .filter(|r| r.start >= head.len() && r.end <= head.len() + p.check.value.len())
                .map(|r| r.start - head.len()..r.end - head.len());
            vec![positioned(cx, &p.check, *e)]
        })?;
        let field = plan
            .schema()
            .field_with_unqualified_name(PASS_COL)
            .expect("the query names its result");
        if !matches!(field.data_type(), DataType::Boolean | DataType::Null) {
            return Err(vec![
                cx.error(
                    "not-a-condition",
                    span(&p.check),
                    format!(
                        "this expression gives {}, not true or false",
                        crate::spec::sql::value_kind(field.data_type())
                    ),
                )
                .label("must be a condition")
                .help("compare it with something, e.g. `count(*) >= 1`"),
            ]);
        }
        let (tables, reads) = what_it_reads(&plan, cx.tables, cx.table);
        // A check made of subqueries alone reads no row: it is asked once, of no table.
        let select = match (one_row(&plan), reads.is_empty()) {
            (true, _) => Some(select),
            (false, true) => {
                let once = format!("SELECT ({}) AS \"{PASS_COL}\"", p.check.value);
                cx.sql.plan_query(&ctx, &once).ok().map(|_| once)
            }
            (false, false) => None,
        };
        let Some(select) = select else {
            return Err(vec![
                cx.error(
                    "not-an-aggregate",
                    span(&p.check),
                    "this condition gives a value for each row, not one for the table",
                )
                .label("reads the rows one by one")
                .help("compare aggregates, e.g. `count(DISTINCT code) >= 8`; for a condition on each row, use `kind: query`"),
            ]);
        };
        // What DataFusion cannot run (types it cannot reconcile, say) is refused here, when the
        // pack is read, not when a run reaches the rule.
        let optimized = cx
            .sql
            .plan_query(&ctx, &select)
            .map_err(|e| datafusion::common::DataFusionError::Plan(e.message))
            .and_then(|plan| ctx.state().optimize(&plan));
        if let Err(e) = optimized {
            let message = e.find_root().strip_backtrace();
            let message = message.lines().next().unwrap_or_default();
            return Err(vec![
                cx.error(
                    "unsupported-sql",
                    span(&p.check),
                    format!("this query cannot be run: {message}"),
                )
                .label("DataFusion cannot plan this"),
            ]);
        }
        let mut columns = columns;
        if columns.is_empty() {
            columns.clone_from(&reads);
        }
        cx.name_columns(&columns);
        Ok(Check::WholeTable(Arc::new(AggregatePlan {
            select,
            sql: cx.sql.clone(),
            tables: tables
                .into_iter()
                .map(|t| (t, (0..cx.tables[t].columns.len()).collect()))
                .collect(),
            reads,
            columns,
        })))
    }
}

/// The text before and after the check in its query, so errors map back.
fn parts(table: &str) -> (String, String) {
    ("SELECT (".to_string(), format!(") AS \"{PASS_COL}\" FROM \"{table}\""))
}

/// Whether a plan gives one row whatever its table holds: an aggregate with no grouping under
/// the projection of its result.
fn one_row(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::Projection(p) => one_row(&p.input),
        LogicalPlan::Aggregate(a) => a.group_expr.is_empty(),
        _ => false,
    }
}

/// A compiled `aggregate` rule.
pub struct AggregatePlan {
    select: String,
    sql: SqlContext,
    /// Every table the query scans, its own first, with all its columns.
    tables: Vec<(usize, Vec<usize>)>,
    /// The columns of its own table it reads outside subqueries.
    reads: Vec<usize>,
    columns: Vec<usize>,
}

impl std::fmt::Debug for AggregatePlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AggregatePlan")
            .field("select", &self.select)
            .field("tables", &self.tables)
            .finish_non_exhaustive()
    }
}

impl WholeTable for AggregatePlan {
    /// Every column of each table it reads: a subquery may read any of them.
    fn reads(&self, _table: usize) -> Vec<(usize, Vec<usize>)> {
        self.tables.clone()
    }

    fn columns(&self) -> Vec<usize> {
        self.columns.clone()
    }

    /// One finding at line 0 (the return) when the condition is false, or when a value it
    /// reads did not parse (not checked).
    fn evaluate(&self, cx: &Tables, table: usize) -> datafusion::common::Result<Vec<Found>> {
        let this = &cx.tables[table];
        let column = self.columns.first().copied();
        if let Some(&c) = self
            .reads
            .iter()
            .find(|&&c| can_fail(this, c) && cx.any_unparsed(table, &[c]))
        {
            return Ok(vec![Found::new(0, column.or(Some(c)), Detail::Unparsed { column: c })]);
        }
        let ctx = self.sql.query_session(Some(cx.windows));
        let batches = cx.block_on(async { ctx.sql(&self.select).await?.collect().await })?;
        let failed = batches.iter().any(|b| {
            let pass = b
                .column(0)
                .as_any()
                .downcast_ref::<BooleanArray>()
                .expect("the check was planned as a condition when the rule was read");
            (0..pass.len()).any(|i| pass.is_valid(i) && !pass.value(i))
        });
        Ok(if failed {
            vec![Found::new(0, column, Detail::Fail)]
        } else {
            Vec::new()
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(check: &str) -> Pack {
        Pack::table("disabilities", "child, code, since: date")
            .and("children", "child")
            .rule(&format!("kind: aggregate\ncheck: \"{check}\""))
    }

    const ROWS: [&str; 4] = [
        "child: C1, code: AUT",
        "child: C1, code: HEAR",
        "child: C2, code: NONE",
        "child: C3, code: AUT",
    ];

    #[test]
    fn reports_the_return_once_when_the_aggregate_fails() {
        let distinct = pack("count(DISTINCT code) FILTER (WHERE code <> 'NONE') >= 3");
        assert_eq!(distinct.report(&ROWS), ["table: Reported."]);
        let two = pack("count(DISTINCT code) FILTER (WHERE code <> 'NONE') >= 2");
        assert_eq!(two.report(&ROWS), Vec::<String>::new());
    }

    #[test]
    fn subqueries_group_and_read_other_tables() {
        let most = pack(
            "(SELECT max(n) FROM (SELECT count(*) AS n FROM disabilities d WHERE d.code <> 'NONE' GROUP BY d.child)) > 1",
        );
        assert_eq!(most.report(&ROWS), Vec::<String>::new());
        assert_eq!(most.report(&ROWS[1..]), ["table: Reported."]);
        let children = pack("count(DISTINCT child) >= (SELECT count(*) FROM children)")
            .given("children", &["child: C1", "child: C2", "child: C3", "child: C4"]);
        assert_eq!(children.report(&ROWS), ["table: Reported."]);
    }

    #[test]
    fn a_blank_result_passes_and_an_unparsed_value_is_not_checked() {
        assert_eq!(pack("max(since) < '2020-01-01'").report(&ROWS), Vec::<String>::new());
        let report = pack("max(since) < '2020-01-01'").report(&["child: C1, code: AUT, since: 31/02/2025"]);
        assert_eq!(report.len(), 1, "{report:?}");
        assert!(report[0].starts_with("table: Not checked"), "{report:?}");
    }

    #[test]
    fn a_condition_per_row_is_refused_for_query() {
        assert_eq!(
            pack("code <> 'NONE'").diags(),
            ["not-an-aggregate: this condition gives a value for each row, not one for the table"]
        );
        assert_eq!(
            pack("count(*)").diags(),
            ["not-a-condition: this expression gives a whole number, not true or false"]
        );
        let misread = pack("count(*) FILTER (WHERE code IS DISTINCT FROM 'NONE' AND child IS NOT NULL) > 1").diags();
        assert_eq!(misread.len(), 1, "{misread:?}");
        assert!(
            misread[0].starts_with("unsupported-sql: this query cannot be run"),
            "{misread:?}"
        );
        assert_eq!(
            pack("count(DISTINCT codes) > 1").diags(),
            ["unknown-column: no table this rule reads has a column `codes`"]
        );
    }
}
