//! Windows over many small groups, planned as one ordered pass.
//!
//! Rules number and compare a child's rows with `row_number()`, `lag`, `lead`, running sums
//! and the like `OVER (PARTITION BY child ORDER BY …)`. DataFusion evaluates a partitioned
//! window one partition at a time, row by row, and a return has tens of thousands of children
//! with a few rows each, so the per-partition and per-row work (a key, a slice, a state, a
//! value) dwarfs the function: 50,000 children made these windows two thirds of a run's CPU
//! time. Over the same rows sorted by (partition, order) with no partition, each function
//! becomes one of [`In`]'s, which finds the runs of rows with equal keys
//! (`IS NOT DISTINCT FROM`, as partitions group blanks) once and computes over every run in
//! one vectorised pass: `row_number()`, `lag`/`lead` with a literal offset, a running `sum`
//! over whole numbers (`ROWS` from the partition's start to the current row or `n` before),
//! and, over the whole partition, `count`, `sum`, `min`, `max`, `first_value`, `last_value`.
//! The tests run each against DataFusion's own plan.
//!
//! Aggregates over a whole partition (no order) whose input reads the same rows each time it
//! runs are planned instead as a grouped aggregate joined back to the rows on the partition
//! keys. Other window functions keep DataFusion's own plan.

use std::ops::Range;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, Int64Builder, UInt64Array, make_comparator};
use datafusion::arrow::compute::kernels::partition::partition;
use datafusion::arrow::compute::{SortOptions, cast, take};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema, DFSchemaRef, JoinType, Result, ScalarValue, plan_datafusion_err, plan_err};
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{
    Distinct, Expr, ExprFunctionExt, ExprSchemable, LogicalPlan, LogicalPlanBuilder, Operator, PartitionEvaluator,
    Projection, Signature, SortExpr, Volatility, Window, WindowFrameBound, WindowFrameUnits, WindowFunctionDefinition,
    WindowUDF, WindowUDFImpl, binary_expr, lit,
};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};

/// The optimizer rule (added to the sessions that plan rules over whole tables: where a `query`
/// rule is read, which keeps its optimized plan, and where the other kinds run).
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
        if !window
            .window_expr
            .iter()
            .any(|e| shape(e, window.input.schema()).is_some())
        {
            return Ok(Transformed::no(LogicalPlan::Window(window)));
        }
        unpartition(window).map(Transformed::yes)
    }
}

/// The functions this rule plans as one pass over the rows ordered by (partition, order),
/// each evaluated over the runs of rows with the same partition keys ([`In`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Op {
    /// `row_number()`.
    RowNumber,
    /// `lag(x, k)` / `lead(x, k)`, as `x` from `k` rows back (`-k` for `lead`).
    Shift,
    /// `sum(x) OVER (… ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW | n PRECEDING)` over
    /// whole numbers, with `n` (0 for the current row).
    RunningSum,
    /// `count(x)`, `sum(x)` (whole numbers), `min(x)`, `max(x)` over the whole partition.
    Count,
    Sum,
    Min,
    Max,
    /// `first_value(x)` / `last_value(x)` over the whole partition in its order.
    First,
    Last,
}

impl Op {
    /// How many arguments come before the partition keys.
    fn leading(self) -> usize {
        match self {
            Op::RowNumber => 0,
            Op::Shift | Op::RunningSum => 2,
            Op::Count | Op::Sum | Op::Min | Op::Max | Op::First | Op::Last => 1,
        }
    }
}

/// How this rule plans window function `e` (its leading arguments, [`Op::leading`]), if it
/// is one it rewrites: partitioned, with no filter, `IGNORE NULLS` or `DISTINCT`, and one of
/// [`Op`]'s shapes (`input`: the schema the window reads, for the type of a sum).
fn shape<'a>(e: &'a Expr, input: &DFSchema) -> Option<(Op, Vec<Expr>, &'a WindowFunction)> {
    let w = match e {
        Expr::WindowFunction(w) => w,
        // A window the DataFrame API named (`sequence`'s previous row).
        Expr::Alias(a) => return shape(&a.expr, input),
        _ => return None,
    };
    let p = &w.params;
    if p.partition_by.is_empty() || p.filter.is_some() || p.null_treatment.is_some() || p.distinct {
        return None;
    }
    let frame = &p.window_frame;
    let unbounded = |b: &WindowFrameBound| match b {
        WindowFrameBound::Preceding(v) | WindowFrameBound::Following(v) => v.is_null(),
        WindowFrameBound::CurrentRow => false,
    };
    let whole = unbounded(&frame.start_bound) && unbounded(&frame.end_bound);
    let rows = frame.units == WindowFrameUnits::Rows;
    let whole_numbers = |x: &Expr| {
        x.get_type(input)
            .is_ok_and(|t| matches!(t, DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64))
    };
    let (name, args) = match &w.fun {
        WindowFunctionDefinition::WindowUDF(f) => (f.name(), p.args.as_slice()),
        WindowFunctionDefinition::AggregateUDF(f) => (f.name(), p.args.as_slice()),
    };
    let op = match (name, args) {
        ("lag" | "lead", [x, rest @ ..]) => {
            let k = match rest {
                [] => 1,
                [Expr::Literal(k, _)] => literal_i64(k).ok()?,
                // As built by `expr_fn::lag`: a blank default is no default.
                [Expr::Literal(k, _), Expr::Literal(default, _)] if default.is_null() => literal_i64(k).ok()?,
                _ => return None,
            };
            let k = if name == "lag" { k } else { -k };
            return Some((Op::Shift, vec![x.clone(), lit(k)], w));
        }
        ("row_number", []) => return Some((Op::RowNumber, Vec::new(), w)),
        ("sum", [x]) if rows && unbounded(&frame.start_bound) && !p.order_by.is_empty() && whole_numbers(x) => {
            let end = match &frame.end_bound {
                WindowFrameBound::CurrentRow => 0,
                WindowFrameBound::Preceding(n) if !n.is_null() => literal_i64(n).ok()?,
                _ => return None,
            };
            return Some((Op::RunningSum, vec![x.clone(), lit(end)], w));
        }
        ("count", [_]) if whole => Op::Count,
        ("sum", [x]) if whole && whole_numbers(x) => Op::Sum,
        // Not over floating point, whose order min and max take otherwise than a sort does.
        ("min" | "max", [x]) if whole && x.get_type(input).is_ok_and(|t| !t.is_floating()) => {
            if name == "min" {
                Op::Min
            } else {
                Op::Max
            }
        }
        ("first_value", [_]) if whole && rows => Op::First,
        ("last_value", [_]) if whole && rows => Op::Last,
        _ => return None,
    };
    Some((op, args.to_vec(), w))
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
        let value = match shape(&e, input.schema()) {
            Some((op, mut args, w)) => {
                args.extend(w.params.partition_by.iter().cloned());
                need(within(In::udwf(op), args, w)?)
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

/// `f(args)` over the whole order of `w` (its partition keys, then its own order), with no
/// partition: the keys are among `args`, and `f` finds where each partition's rows begin.
fn within(f: Arc<WindowUDF>, args: Vec<Expr>, w: &WindowFunction) -> Result<Expr> {
    let mut order = keys(w);
    order.extend(w.params.order_by.iter().cloned());
    f.call(args).order_by(order).build()
}

fn literal_i64(k: &ScalarValue) -> Result<i64> {
    match k.cast_to(&DataType::Int64)? {
        ScalarValue::Int64(Some(k)) => Ok(k),
        other => plan_err!("a window offset must be a whole number, not {other}"),
    }
}

/// An [`Op`] over runs of equal partition keys (its last arguments), on rows ordered by those
/// keys first: one vectorised pass over all the rows, where DataFusion's partitioned windows
/// keep a state per partition and make a value per row.
#[derive(Debug, PartialEq, Eq, Hash)]
struct In {
    op: Op,
    signature: Signature,
}

impl In {
    fn udwf(op: Op) -> Arc<WindowUDF> {
        Arc::new(WindowUDF::new_from_impl(In {
            op,
            signature: Signature::variadic_any(Volatility::Immutable),
        }))
    }
}

impl WindowUDFImpl for In {
    fn name(&self) -> &str {
        match self.op {
            Op::RowNumber => "cleanse_row_number_in",
            Op::Shift => "cleanse_shift_in",
            Op::RunningSum => "cleanse_running_sum_in",
            Op::Count => "cleanse_count_in",
            Op::Sum => "cleanse_sum_in",
            Op::Min => "cleanse_min_in",
            Op::Max => "cleanse_max_in",
            Op::First => "cleanse_first_value_in",
            Op::Last => "cleanse_last_value_in",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn partition_evaluator(&self, _args: PartitionEvaluatorArgs) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(Whole(self.op)))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        let (ty, nullable) = match self.op {
            Op::RowNumber => (DataType::UInt64, false),
            Op::Count => (DataType::Int64, false),
            Op::RunningSum | Op::Sum => (DataType::Int64, true),
            Op::Shift | Op::Min | Op::Max | Op::First | Op::Last => {
                let x = field_args
                    .get_input_field(0)
                    .ok_or_else(|| plan_datafusion_err!("{} takes a value", self.name()))?;
                (x.data_type().clone(), true)
            }
        };
        Ok(Arc::new(Field::new(field_args.name(), ty, nullable)))
    }
}

/// [`In`]'s evaluator, which sees all of a window's rows at once. Not bounded: the window is
/// then planned as one that collects its input and evaluates every function over it in one
/// call (the functions beside these too), rather than row by row.
#[derive(Debug)]
struct Whole(Op);

impl PartitionEvaluator for Whole {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        let op = self.0;
        let runs = partition(&values[op.leading()..])?.ranges();
        // A literal argument (an offset), as each row has it; none without rows, which need none.
        let literal = |i: usize| match num_rows {
            0 => Ok(0),
            _ => literal_i64(&ScalarValue::try_from_array(&values[i], 0)?),
        };
        // The row each row's value is taken from (`None`: blank), for the ops that pick a row.
        let mut from: Vec<Option<u64>> = Vec::with_capacity(num_rows);
        let mut each = |run: &Range<usize>, at: Option<usize>| from.extend(run.clone().map(|_| at.map(|j| j as u64)));
        match op {
            Op::RowNumber => {
                let mut numbers = Vec::with_capacity(num_rows);
                for run in runs {
                    numbers.extend(1..=run.len() as u64);
                }
                return Ok(Arc::new(UInt64Array::from(numbers)));
            }
            Op::Shift => {
                let k = literal(1)?;
                for run in &runs {
                    from.extend(run.clone().map(|i| {
                        let j = i as i64 - k;
                        (j >= run.start as i64 && j < run.end as i64).then_some(j as u64)
                    }));
                }
            }
            Op::RunningSum | Op::Sum => {
                let x = cast(&values[0], &DataType::Int64)?;
                let x = x.as_primitive::<Int64Type>();
                let end = match op {
                    Op::RunningSum => literal(1)?,
                    _ => 0,
                };
                let mut sums = Int64Builder::with_capacity(num_rows);
                for run in runs {
                    // The frame of row i is the run's rows up to i - end (all of them for `Sum`).
                    let (mut sum, mut n) = (0i64, 0usize);
                    let add = |j: usize, sum: &mut i64, n: &mut usize| {
                        if x.is_valid(j) {
                            *sum = sum.wrapping_add(x.value(j));
                            *n += 1;
                        }
                    };
                    if op == Op::Sum {
                        run.clone().for_each(|j| add(j, &mut sum, &mut n));
                    }
                    for i in run.clone() {
                        let j = i as i64 - end;
                        if op == Op::RunningSum && j >= run.start as i64 {
                            add(j as usize, &mut sum, &mut n);
                        }
                        sums.append_option((n > 0).then_some(sum));
                    }
                }
                return Ok(Arc::new(sums.finish()));
            }
            Op::Count => {
                let x = &values[0];
                let mut counts = Vec::with_capacity(num_rows);
                for run in runs {
                    let n = run.clone().filter(|&j| x.is_valid(j)).count() as i64;
                    counts.extend(std::iter::repeat_n(n, run.len()));
                }
                return Ok(Arc::new(Int64Array::from(counts)));
            }
            Op::Min | Op::Max => {
                let x = &values[0];
                let compare = make_comparator(x.as_ref(), x.as_ref(), SortOptions::default())?;
                let better = |j: usize, best: usize| match op {
                    Op::Min => compare(j, best).is_lt(),
                    _ => compare(j, best).is_gt(),
                };
                for run in &runs {
                    let best = run
                        .clone()
                        .filter(|&j| x.is_valid(j))
                        .reduce(|best, j| if better(j, best) { j } else { best });
                    each(run, best);
                }
            }
            Op::First => runs.iter().for_each(|run| each(run, Some(run.start))),
            Op::Last => runs.iter().for_each(|run| each(run, Some(run.end - 1))),
        }
        Ok(take(&values[0], &UInt64Array::from(from), None)?)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::prelude::SessionContext;

    use super::UnpartitionWindows;

    /// Children of one, two and three rows, a blank child, ties in `day`, blanks in `day` and
    /// `place`, rows out of order (`line` is each row's number): what the window tests (and
    /// `engine::sorted`'s) run their queries over, as table `t`.
    pub(crate) fn children() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("child", DataType::Utf8, true),
            Field::new("day", DataType::Int64, true),
            Field::new("place", DataType::Utf8, true),
            Field::new("line", DataType::Int64, false),
        ]));
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
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(rows.iter().map(|r| r.0).collect::<Vec<_>>())),
                Arc::new(Int64Array::from(rows.iter().map(|r| r.1).collect::<Vec<_>>())),
                Arc::new(StringArray::from(rows.iter().map(|r| r.2).collect::<Vec<_>>())),
                Arc::new(Int64Array::from((1..=9).collect::<Vec<i64>>())),
            ],
        )
        .expect("nine rows of the four columns")
    }

    /// A query's result, without and with the rule, and the plan with it.
    fn both(sql: &str) -> (String, String, String) {
        let batch = children();
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
        // Rewritten: no window keeps its partition (the count, beside the others, is one too).
        assert!(windows(&plan).all(|w| !w.contains("PARTITION BY")), "{plan}");
        assert!(windows(&plan).any(|w| w.contains("cleanse_count_in")), "{plan}");
        assert!(plain.contains("| 8    |"), "{plain}");
    }

    #[test]
    fn running_sums_first_last_and_aggregates_over_windows_agree() {
        let w = "OVER (PARTITION BY child ORDER BY day NULLS LAST, line";
        // Above another window, so the aggregates stay windows (not a join).
        let sql = format!(
            "SELECT line, sum(CASE WHEN place IS NULL THEN 0 ELSE 1 END) {w} ROWS UNBOUNDED PRECEDING) AS a, \
             sum(day) {w} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS b, \
             last_value(place) {w} ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS c, \
             first_value(place) {w} ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS d, \
             min(place) OVER (PARTITION BY child, r > 1) AS e, max(day) OVER (PARTITION BY child) AS f, \
             count(place) OVER (PARTITION BY child) AS g, count(*) OVER (PARTITION BY child) AS h, \
             sum(day) OVER (PARTITION BY child) AS i \
             FROM (SELECT *, row_number() OVER (ORDER BY line) AS r FROM t) ORDER BY line"
        );
        let (plain, rewritten, plan) = both(&sql);
        assert_eq!(plain, rewritten);
        assert!(windows(&plan).all(|w| !w.contains("PARTITION BY")), "{plan}");
        // C's two rows tie on day: the line orders them; B's blank place counts in h, not g.
        assert!(
            plain.contains("| 9    | 2 | 5 | d  | c  | c  | 5 | 2 | 2 | 10 |"),
            "{plain}"
        );
    }

    #[test]
    fn no_rows_give_no_values() {
        let w = "OVER (PARTITION BY child ORDER BY day, line";
        let sql = format!(
            "SELECT line, row_number() {w}) AS a, lag(place, 2) {w}) AS b, \
             sum(day) {w} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS c, \
             max(place) OVER (PARTITION BY child) AS d \
             FROM (SELECT *, row_number() OVER (ORDER BY line) AS r FROM t WHERE line > 100) ORDER BY line"
        );
        let (plain, rewritten, plan) = both(&sql);
        assert_eq!(plain, rewritten);
        assert!(windows(&plan).any(|w| w.contains("cleanse_shift_in")), "{plan}");
        assert_eq!(plain, "++\n++", "no rows, no columns shown");
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
        // Above another window (whose ties could fall otherwise if it ran twice), it stays a
        // window, over the whole order.
        let (plain, rewritten, plan) = both(
            "SELECT line, max(r) OVER (PARTITION BY child) AS m FROM (SELECT line, child, row_number() OVER (ORDER BY day) AS r FROM t) ORDER BY line",
        );
        assert_eq!(plain, rewritten);
        assert!(windows(&plan).any(|w| w.contains("cleanse_max_in(")), "{plan}");
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
