//! Windows over many small groups, planned as one ordered pass.
//!
//! Rules number and compare a child's rows with `row_number()`, `lag` and `lead`
//! `OVER (PARTITION BY child ORDER BY …)`. DataFusion evaluates a partitioned window one
//! partition at a time, and a return has tens of thousands of children with a few rows
//! each, so the per-partition work (a key, a slice, a state per child) dwarfs the
//! function: 50,000 children made these windows two thirds of a run's CPU time. Over the
//! same rows sorted by (partition, order) with no partition, the function is one pass, and
//! the partition is recovered by comparing keys:
//!
//! - `lag(x, k)` / `lead(x, k)`: the value from `k` rows back (ahead) in the whole order,
//!   kept only where that row exists and has the same partition keys;
//! - `row_number()`: the row's number in the whole order, less the number of rows before
//!   its partition (`rank()` over the partition keys alone), plus one.
//!
//! Rows of a partition are adjacent in that order, so `k` rows back within the partition
//! is `k` rows back overall, and the two agree row for row (the tests run both plans).
//! - `count`, `sum`, `min`, `max` … over a whole partition (no order): a grouped aggregate joined
//!   back to the rows on the partition keys, when the rows below read the same each time.
//!
//! Other window functions (`first_value`, running totals …) keep DataFusion's own plan.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchemaRef, JoinType, Result, ScalarValue};
use datafusion::functions_window::expr_fn::rank;
use datafusion::logical_expr::expr::{Case, WindowFunction};
use datafusion::logical_expr::{
    Distinct, Expr, ExprFunctionExt, LogicalPlan, LogicalPlanBuilder, Operator, Projection, SortExpr, Window,
    WindowFunctionDefinition, binary_expr, lit,
};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};

/// The optimizer rule (added to the sessions that evaluate rules over whole tables).
#[derive(Debug, Default)]
pub struct UnpartitionWindows;

impl OptimizerRule for UnpartitionWindows {
    fn name(&self) -> &str {
        "cleanse_unpartition_windows"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(&self, plan: LogicalPlan, _config: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Window(window) = plan else {
            return Ok(Transformed::no(plan));
        };
        if let Some((keys, aggregates)) = whole_partition_aggregates(&window) {
            return aggregate_and_join(window, keys, aggregates).map(Transformed::yes);
        }
        if !window.window_expr.iter().any(|e| shape(e).is_some()) {
            return Ok(Transformed::no(LogicalPlan::Window(window)));
        }
        unpartition(window).map(Transformed::yes)
    }
}

/// Which of the functions this rule plans, and how.
#[derive(Clone, Copy)]
enum Shape {
    Shift,
    RowNumber,
}

/// The window function of `e` if it is one this rule rewrites: `lag`/`lead` with an offset
/// that is a literal and no default, or `row_number()`, partitioned, with no filter, `IGNORE NULLS`
/// or `DISTINCT`.
fn shape(e: &Expr) -> Option<(Shape, &WindowFunction)> {
    let w = match e {
        Expr::WindowFunction(w) => w,
        // A window the DataFrame API named (`sequence`'s previous row).
        Expr::Alias(a) => return shape(&a.expr),
        _ => return None,
    };
    let p = &w.params;
    if p.partition_by.is_empty() || p.filter.is_some() || p.null_treatment.is_some() || p.distinct {
        return None;
    }
    let WindowFunctionDefinition::WindowUDF(f) = &w.fun else {
        return None;
    };
    match (f.name(), p.args.as_slice()) {
        ("lag" | "lead", [_]) | ("lag" | "lead", [_, Expr::Literal(..)]) => Some((Shape::Shift, w)),
        // As built by `expr_fn::lag`: a blank default is no default.
        ("lag" | "lead", [_, Expr::Literal(..), Expr::Literal(default, _)]) if default.is_null() => {
            Some((Shape::Shift, w))
        }
        ("row_number", []) => Some((Shape::RowNumber, w)),
        _ => None,
    }
}

/// `window` as windows over the whole order and a projection giving each of its columns,
/// under the same names, so the plan above it reads what it read before.
fn unpartition(window: Window) -> Result<LogicalPlan> {
    let Window {
        input,
        window_expr,
        schema,
    } = window;
    let inputs = input.schema().fields().len();
    let mut computed: Vec<Expr> = Vec::new();
    let mut need = |e: Expr| -> Expr {
        let column = Expr::Column(Column::from_name(e.schema_name().to_string()));
        if !computed.contains(&e) {
            computed.push(e);
        }
        column
    };
    let mut outputs = Vec::with_capacity(window_expr.len());
    for (i, e) in window_expr.into_iter().enumerate() {
        let (qualifier, field) = schema.qualified_field(inputs + i);
        let value = match shape(&e) {
            Some((Shape::Shift, w)) => {
                let whole = over_the_whole_order(w);
                // The row `k` away exists and is in the same partition.
                let mut there = whole.clone();
                there.params.args[0] = lit(true);
                let mut same = need(Expr::WindowFunction(Box::new(there))).is_not_null();
                for key in &w.params.partition_by {
                    let mut theirs = whole.clone();
                    theirs.params.args[0] = key.clone();
                    let their_key = need(Expr::WindowFunction(Box::new(theirs)));
                    same = same.and(binary_expr(their_key, Operator::IsNotDistinctFrom, key.clone()));
                }
                Expr::Case(Case::new(
                    None,
                    vec![(Box::new(same), Box::new(need(Expr::WindowFunction(Box::new(whole)))))],
                    None,
                ))
            }
            Some((Shape::RowNumber, w)) => {
                let number = need(Expr::WindowFunction(Box::new(over_the_whole_order(w))));
                let before = need(rank().order_by(keys(w)).build()?);
                number - before + lit(ScalarValue::UInt64(Some(1)))
            }
            None => need(e),
        };
        outputs.push(value.alias_qualified(qualifier.cloned(), field.name()));
    }
    let windows = LogicalPlanBuilder::window_plan(Arc::unwrap_or_clone(input), computed)?;
    as_the_window(schema, outputs, windows)
}

/// `plan` projected to the window's `schema`: its input's columns as they are, then each window
/// column from `outputs` (already named as the window named it).
fn as_the_window(schema: DFSchemaRef, outputs: Vec<Expr>, plan: LogicalPlan) -> Result<LogicalPlan> {
    let inputs = schema.fields().len() - outputs.len();
    let mut exprs: Vec<Expr> = (0..inputs)
        .map(|i| Expr::Column(Column::from(schema.qualified_field(i))))
        .collect();
    exprs.extend(outputs);
    Projection::try_new_with_schema(exprs, Arc::new(plan), schema).map(LogicalPlan::Projection)
}

/// Aggregates the rule plans as a grouped aggregate joined back to the rows.
const AGGREGATES: &[&str] = &["count", "sum", "min", "max", "avg", "bool_and", "bool_or"];

/// The partition keys of `window` if every function it computes is one of [`AGGREGATES`] over a
/// whole partition (no order, no frame, filter or `DISTINCT`), and its input reads the same rows
/// each time it runs (no window, limit, top-k sort or `DISTINCT ON` below it, whose ties could
/// fall another way the second time): the aggregate then runs as a grouped aggregate over the input, joined back to
/// each row on the keys (`IS NOT DISTINCT FROM`, as a partition groups blanks), a hash join
/// rather than a window's work per partition.
///
/// Returns the keys and each function as an aggregate call.
fn whole_partition_aggregates(window: &Window) -> Option<(Vec<Expr>, Vec<Expr>)> {
    let mut keys: Option<&Vec<Expr>> = None;
    let mut aggregates = Vec::with_capacity(window.window_expr.len());
    for e in &window.window_expr {
        let e = match e {
            Expr::Alias(a) => a.expr.as_ref(),
            e => e,
        };
        let Expr::WindowFunction(w) = e else {
            return None;
        };
        let p = &w.params;
        let WindowFunctionDefinition::AggregateUDF(f) = &w.fun else {
            return None;
        };
        let whole = p.window_frame.start_bound.is_unbounded() && p.window_frame.end_bound.is_unbounded();
        if !AGGREGATES.contains(&f.name())
            || p.partition_by.is_empty()
            || !p.order_by.is_empty()
            || !whole
            || p.filter.is_some()
            || p.null_treatment.is_some()
            || p.distinct
            || keys.is_some_and(|k| k != &p.partition_by)
        {
            return None;
        }
        keys = Some(&p.partition_by);
        aggregates.push(f.call(p.args.clone()));
    }
    let again = window
        .input
        .exists(|p| {
            Ok(matches!(
                p,
                LogicalPlan::Window(_) | LogicalPlan::Limit(_) | LogicalPlan::Distinct(Distinct::On(_))
            ) || matches!(p, LogicalPlan::Sort(s) if s.fetch.is_some()))
        })
        .unwrap_or(true);
    if again {
        return None;
    }
    keys.map(|k| (k.clone(), aggregates))
}

/// `window` (see [`whole_partition_aggregates`]) as its input joined to its aggregates grouped by
/// `keys`, under the window's own column names.
fn aggregate_and_join(window: Window, keys: Vec<Expr>, aggregates: Vec<Expr>) -> Result<LogicalPlan> {
    let Window {
        input,
        window_expr,
        schema,
    } = window;
    let inputs = input.schema().fields().len();
    let key = |i: usize| format!("__cleanse_key_{i}");
    let value = |j: usize| format!("__cleanse_value_{j}");
    let aggregates = aggregates.into_iter().enumerate().map(|(j, a)| a.alias(value(j)));
    let grouped = LogicalPlanBuilder::from(Arc::unwrap_or_clone(Arc::clone(&input)))
        .aggregate(
            keys.iter().enumerate().map(|(i, k)| k.clone().alias(key(i))),
            aggregates,
        )?
        .build()?;
    let on = keys.iter().enumerate().map(|(i, k)| {
        binary_expr(
            k.clone(),
            Operator::IsNotDistinctFrom,
            Expr::Column(Column::from_name(key(i))),
        )
    });
    let joined = LogicalPlanBuilder::from(Arc::unwrap_or_clone(input))
        .join_on(grouped, JoinType::Inner, on)?
        .build()?;
    let outputs = (0..window_expr.len())
        .map(|j| {
            let (qualifier, field) = schema.qualified_field(inputs + j);
            Expr::Column(Column::from_name(value(j))).alias_qualified(qualifier.cloned(), field.name())
        })
        .collect();
    as_the_window(schema, outputs, joined)
}

/// The partition keys as the leading sort keys: any order groups a partition's rows.
fn keys(w: &WindowFunction) -> Vec<SortExpr> {
    w.params
        .partition_by
        .iter()
        .map(|k| k.clone().sort(true, true))
        .collect()
}

/// `w` with no partition, ordered by its partition keys, then its own order.
fn over_the_whole_order(w: &WindowFunction) -> WindowFunction {
    let mut whole = w.clone();
    let mut order = keys(w);
    order.extend(w.params.order_by.iter().cloned());
    whole.params.order_by = order;
    whole.params.partition_by = Vec::new();
    whole.params.args.truncate(2);
    whole
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::prelude::SessionContext;

    use super::UnpartitionWindows;

    /// A query's result, without and with the rule, and the plan with it.
    fn both(sql: &str) -> (String, String, String) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("child", DataType::Utf8, true),
            Field::new("day", DataType::Int64, true),
            Field::new("place", DataType::Utf8, true),
            Field::new("line", DataType::Int64, false),
        ]));
        // Children of one, two and three rows, a blank child, ties in `day`, rows out of order.
        let rows: [(Option<&str>, Option<i64>, Option<&str>); 9] = [
            (Some("B"), Some(3), Some("x")),
            (Some("A"), Some(1), Some("p")),
            (None, Some(1), Some("n1")),
            (Some("B"), Some(1), None),
            (Some("C"), Some(5), Some("c")),
            (Some("B"), Some(2), Some("y")),
            (None, Some(2), Some("n2")),
            (Some("B"), None, Some("z")),
            (Some("C"), Some(5), Some("d")),
        ];
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(StringArray::from(rows.iter().map(|r| r.0).collect::<Vec<_>>())),
                Arc::new(Int64Array::from(rows.iter().map(|r| r.1).collect::<Vec<_>>())),
                Arc::new(StringArray::from(rows.iter().map(|r| r.2).collect::<Vec<_>>())),
                Arc::new(Int64Array::from((1..=9).collect::<Vec<i64>>())),
            ],
        )
        .expect("batch");
        let run = |rule: bool| {
            let ctx = SessionContext::new();
            if rule {
                ctx.add_optimizer_rule(Arc::new(UnpartitionWindows));
            }
            ctx.register_batch("t", batch.clone()).expect("register");
            let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
            let batches = rt
                .block_on(async { ctx.sql(sql).await?.collect().await })
                .expect("query runs");
            let plan = rt
                .block_on(async { ctx.sql(sql).await?.into_optimized_plan() })
                .expect("plans");
            (
                pretty_format_batches(&batches).expect("format").to_string(),
                plan.display_indent().to_string(),
            )
        };
        let (plain, rewritten) = (run(false).0, run(true));
        (plain, rewritten.0, rewritten.1)
    }

    /// The window nodes of a plan as DataFusion displays it.
    fn windows(plan: &str) -> impl Iterator<Item = &str> {
        plan.lines().filter(|l| l.trim_start().starts_with("WindowAggr:"))
    }

    #[test]
    fn lag_lead_and_row_number_agree_with_partitioned_windows() {
        let w = "OVER (PARTITION BY child ORDER BY day NULLS LAST, line)";
        let sql = format!(
            "SELECT line, lag(place) {w} AS a, lag(place, 2) {w} AS b, lead(day) {w} AS c, \
             row_number() {w} AS d, lag(line) OVER (PARTITION BY child, day > 1 ORDER BY line) AS e, \
             count(*) OVER (PARTITION BY child) AS f FROM t ORDER BY line"
        );
        let (plain, rewritten, plan) = both(&sql);
        assert_eq!(plain, rewritten);
        // Rewritten: of the windows computed, only the aggregate keeps its partition.
        let partitioned: Vec<&str> = windows(&plan).filter(|w| w.contains("PARTITION BY")).collect();
        assert_eq!(partitioned.len(), 1, "{plan}");
        assert!(partitioned[0].contains("count(Int64(1)) PARTITION BY"), "{plan}");
        assert!(plain.contains("| 8    |"), "{plain}");
    }

    #[test]
    fn aggregates_over_whole_partitions_agree_as_a_join() {
        let sql = "SELECT line, count(*) OVER (PARTITION BY child) AS n, max(day) OVER (PARTITION BY child) AS last, \
                   min(place) OVER (PARTITION BY child) AS first FROM t ORDER BY line";
        let (plain, rewritten, plan) = both(sql);
        assert_eq!(plain, rewritten);
        assert_eq!(windows(&plan).count(), 0, "{plan}");
        assert!(plan.contains("Inner Join"), "{plan}");
        // The blank child's two rows are one partition, as a window has them.
        assert!(plain.contains("| 3    | 2 | 2    | n1    |"), "{plain}");
        // Above another window (whose ties could fall otherwise if it ran twice), the window stays.
        let (plain, rewritten, plan) = both(
            "SELECT line, max(r) OVER (PARTITION BY child) AS m FROM (SELECT line, child, row_number() OVER (ORDER BY day) AS r FROM t) ORDER BY line",
        );
        assert_eq!(plain, rewritten);
        assert!(
            windows(&plan).any(|w| w.contains("max(") && w.contains("PARTITION BY")),
            "{plan}"
        );
    }

    #[test]
    fn windows_in_conditions_and_subqueries_agree() {
        let sql = "SELECT line FROM (SELECT line, child, row_number() OVER (PARTITION BY child ORDER BY day DESC, line) AS rn \
                   FROM t) x WHERE rn = 1 AND EXISTS (SELECT 1 FROM (SELECT child, lead(place) OVER (PARTITION BY child ORDER BY line) AS nx FROM t) y \
                   WHERE y.child = x.child AND y.nx IS NOT NULL) ORDER BY line";
        let (plain, rewritten, plan) = both(sql);
        assert!(windows(&plan).all(|w| !w.contains("PARTITION BY")), "{plan}");
        assert_eq!(plain, rewritten);
        // Each child's latest row (by day, blank first), where the child has a next place.
        assert!(plain.contains("| 5    |\n| 8    |\n+"), "{plain}");
    }
}
