//! Each table sorted once per order, for every rule that sorts it so.
//!
//! Most rules over a return's episodes number or compare a child's rows in the same few
//! orders (child, start date, line; child, line …), and each rule is its own query, so each
//! sorted the table again: at 50,000 children a third of the whole-table rules' CPU time
//! went on sorting the same rows the same way. This physical optimizer rule replaces a sort
//! of a table's scan (directly, or through filters and projections, which keep the order;
//! its keys may be expressions over the table's columns) with a scan of the table's rows already in that order: the order is
//! computed once per run (a permutation of the rows, kept), and each query takes its own
//! columns through it.
//!
//! Ties are broken by the rows' order in the export, so a query sees the same order of tied
//! rows however its filters run; a rule that must not depend on ties names `"__line"` last.
//! The tables are registered as one batch each (`engine::relate`), which is what the
//! permutation indexes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, UInt32Array, make_comparator};
use datafusion::arrow::compute::{SortColumn, SortOptions, lexsort_to_indices, sort_to_indices, take};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::source::{DataSource, DataSourceExec};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{LexOrdering, PhysicalExpr, PhysicalSortExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::execution_plan::{ChildrenPropertiesMode, ReplaceChildrenOptions};
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties};

/// A table (the address of its batch's first column) and an order of it (each key, an
/// expression over that batch, as displayed, with its direction).
type Key = (usize, Vec<String>);

/// The rule, with the orders computed so far (shared by the queries of one run).
#[derive(Debug, Default)]
pub struct SortedScans {
    orders: Mutex<HashMap<Key, Arc<OnceLock<Arc<UInt32Array>>>>>,
    /// Text keys as ranks (see [`SortedScans::ranks`]), by table and key.
    ranks: Mutex<HashMap<Key, Arc<OnceLock<ArrayRef>>>>,
}

impl PhysicalOptimizerRule for SortedScans {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, _config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| self.rewrite(node)).map(|t| t.data)
    }

    fn name(&self) -> &str {
        "cleanse_sorted_scans"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

impl SortedScans {
    fn rewrite(&self, node: Arc<dyn ExecutionPlan>) -> Result<Transformed<Arc<dyn ExecutionPlan>>> {
        let Some(sort) = node.downcast_ref::<SortExec>() else {
            return Ok(Transformed::no(node));
        };
        if sort.fetch().is_some() || sort.input().output_partitioning().partition_count() != 1 {
            return Ok(Transformed::no(node));
        }
        // The sort's keys as expressions over its input, followed down to the scan.
        let mut keys: Vec<Arc<dyn PhysicalExpr>> = sort.expr().iter().map(|e| Arc::clone(&e.expr)).collect();
        let mut above: Vec<Arc<dyn ExecutionPlan>> = Vec::new();
        let mut below = Arc::clone(sort.input());
        let scan = loop {
            let next = if let Some(filter) = below.downcast_ref::<FilterExec>() {
                if filter.fetch().is_some() {
                    return Ok(Transformed::no(node));
                }
                if let Some(projection) = filter.projection() {
                    let input = filter.input().schema();
                    keys = substituted(keys, |c| {
                        let i = projection[c];
                        Arc::new(Column::new(input.field(i).name(), i))
                    })?;
                }
                Arc::clone(filter.input())
            } else if let Some(projection) = below.downcast_ref::<ProjectionExec>() {
                let exprs = projection.expr();
                keys = substituted(keys, |c| Arc::clone(&exprs[c].expr))?;
                Arc::clone(projection.input())
            } else if let Some(scan) = below.downcast_ref::<DataSourceExec>() {
                let Some(memory) = scan.data_source().downcast_ref::<MemorySourceConfig>() else {
                    return Ok(Transformed::no(node));
                };
                break memory.clone();
            } else {
                return Ok(Transformed::no(node));
            };
            above.push(std::mem::replace(&mut below, next));
        };
        let ([batches], None) = (scan.partitions(), scan.fetch()) else {
            return Ok(Transformed::no(node));
        };
        let [batch] = batches.as_slice() else {
            return Ok(Transformed::no(node));
        };
        // The keys over the table's batch; the scan's own columns.
        let projection: Vec<usize> = match scan.projection() {
            Some(p) => p.clone(),
            None => (0..batch.num_columns()).collect(),
        };
        let table = batch.schema();
        let over_table = substituted(keys.clone(), |c| {
            let i = projection[c];
            Arc::new(Column::new(table.field(i).name(), i))
        })?;
        let options: Vec<SortOptions> = sort.expr().iter().map(|e| e.options).collect();
        // A key computed over every row may fail on one a filter would have removed (a cast of
        // text the filter checks is a number, say): that sort stays where it was.
        let Ok(permutation) = self.order(batch, &over_table, &options) else {
            return Ok(Transformed::no(node));
        };
        let columns = projection
            .iter()
            .map(|&c| take(batch.column(c), permutation.as_ref(), None))
            .collect::<std::result::Result<Vec<ArrayRef>, _>>()?;
        let schema = below.schema();
        let sorted = RecordBatch::try_new(Arc::clone(&schema), columns)?;
        let ordering = LexOrdering::new(keys.into_iter().zip(options).map(|(k, o)| PhysicalSortExpr::new(k, o)))
            .expect("a sort has at least one key");
        let source =
            MemorySourceConfig::try_new(&[vec![sorted]], schema, None)?.try_with_sort_information(vec![ordering])?;
        let mut plan: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(source);
        for node in above.into_iter().rev() {
            plan = node.replace_children(
                vec![plan],
                ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
            )?;
        }
        Ok(Transformed::yes(plan))
    }

    /// The rows of `batch` in the order of `keys` (expressions over it) with `options`, ties in
    /// the batch's order: computed once per table and order.
    fn order(
        &self,
        batch: &RecordBatch,
        keys: &[Arc<dyn PhysicalExpr>],
        options: &[SortOptions],
    ) -> Result<Arc<UInt32Array>> {
        let cell = cell(
            &self.orders,
            batch,
            keys.iter().zip(options).map(|(k, o)| format!("{k} {o:?}")).collect(),
        );
        if let Some(done) = cell.get() {
            return Ok(Arc::clone(done));
        }
        let mut columns = keys
            .iter()
            .zip(options)
            .map(|(k, &options)| {
                let values = k.evaluate(batch)?.into_array(batch.num_rows())?;
                let values = match values.data_type() {
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => self.ranks(batch, k, &values)?,
                    _ => values,
                };
                Ok(SortColumn {
                    values,
                    options: Some(options),
                })
            })
            .collect::<Result<Vec<SortColumn>>>()?;
        columns.push(SortColumn {
            values: Arc::new(UInt32Array::from_iter_values(0..batch.num_rows() as u32)),
            options: None,
        });
        let permutation = Arc::new(lexsort_to_indices(&columns, None)?);
        Ok(Arc::clone(cell.get_or_init(|| permutation)))
    }
}

impl SortedScans {
    /// Text keys (a child's id, above all) as their ranks among the table's values, computed
    /// once per table and key: most orders start with the child, and comparing its text in
    /// every sort was a third of the sorts' time. Equal texts get equal ranks, in byte order
    /// (the order a sort of the text gives), and a blank stays blank.
    fn ranks(&self, batch: &RecordBatch, key: &Arc<dyn PhysicalExpr>, values: &ArrayRef) -> Result<ArrayRef> {
        let cell = cell(&self.ranks, batch, vec![key.to_string()]);
        if let Some(done) = cell.get() {
            return Ok(Arc::clone(done));
        }
        let sorted = sort_to_indices(values, None, None)?;
        let same = make_comparator(values, values, SortOptions::default())?;
        let mut ranks = vec![0u32; values.len()];
        let mut rank = 0u32;
        let mut previous: Option<usize> = None;
        for i in sorted.values().iter().map(|&i| i as usize) {
            if previous.is_some_and(|p| same(p, i).is_ne()) {
                rank += 1;
            }
            ranks[i] = rank;
            previous = Some(i);
        }
        let ranks: ArrayRef = Arc::new(UInt32Array::new(ranks.into(), values.logical_nulls()));
        Ok(Arc::clone(cell.get_or_init(|| ranks)))
    }
}

/// The place in `cache` of what is computed once for `batch` (a table) and `keys`.
fn cell<T>(cache: &Mutex<HashMap<Key, Arc<OnceLock<T>>>>, batch: &RecordBatch, keys: Vec<String>) -> Arc<OnceLock<T>> {
    let key: Key = (Arc::as_ptr(batch.column(0)) as *const u8 as usize, keys);
    Arc::clone(
        cache
            .lock()
            .expect("no query panics holding the lock")
            .entry(key)
            .or_default(),
    )
}

/// `keys` with each column `c` replaced by `by(c)` (the expression it stands for below).
fn substituted(
    keys: Vec<Arc<dyn PhysicalExpr>>,
    by: impl Fn(usize) -> Arc<dyn PhysicalExpr>,
) -> Result<Vec<Arc<dyn PhysicalExpr>>> {
    keys.into_iter()
        .map(|k| {
            k.transform(|e| match e.downcast_ref::<Column>() {
                Some(c) => Ok(Transformed::yes(by(c.index()))),
                None => Ok(Transformed::no(e)),
            })
            .map(|t| t.data)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::execution::SessionStateBuilder;
    use datafusion::physical_plan::displayable;
    use datafusion::prelude::{SessionConfig, SessionContext};

    use super::SortedScans;
    use crate::spec::windows::tests::children;

    /// Each query's result and physical plan, in one partition, with `rule` if given.
    fn run(rule: Option<Arc<SortedScans>>, queries: &[&str]) -> Vec<(String, String)> {
        let config = SessionConfig::new().with_target_partitions(1);
        let mut state = SessionStateBuilder::new().with_config(config).with_default_features();
        if let Some(rule) = rule {
            state = state.with_physical_optimizer_rule(rule);
        }
        let ctx = SessionContext::new_with_state(state.build());
        ctx.register_batch("t", children()).expect("register");
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        queries
            .iter()
            .map(|sql| {
                rt.block_on(async {
                    let df = ctx.sql(sql).await?;
                    let plan = df.clone().create_physical_plan().await?;
                    let batches = df.collect().await?;
                    Ok::<_, datafusion::error::DataFusionError>((
                        pretty_format_batches(&batches).expect("format").to_string(),
                        displayable(plan.as_ref()).indent(true).to_string(),
                    ))
                })
                .expect("query runs")
            })
            .collect()
    }

    #[test]
    fn sorts_of_a_scan_become_one_sorted_table_and_agree() {
        let queries = [
            // A window's sort, straight over the scan.
            "SELECT line, row_number() OVER (ORDER BY child, day DESC NULLS FIRST, line) AS n FROM t ORDER BY line",
            // Through a filter.
            "SELECT line, lag(place) OVER (ORDER BY child NULLS FIRST, day, line) AS p FROM t WHERE day > 1 ORDER BY line",
            // Through renamed columns; the same order as the first, so taken from the cache.
            "SELECT x.l, row_number() OVER (ORDER BY x.c, x.d DESC NULLS FIRST, x.l) AS n \
             FROM (SELECT child AS c, day AS d, line AS l FROM t) x ORDER BY x.l",
            // A query's own order, ties (C's two rows) in the table's order.
            "SELECT line, place FROM t ORDER BY child, day",
            // A key that is an expression, through a projection that computes it.
            "SELECT line, lag(line) OVER (ORDER BY child, coalesce(place, '') <> 'y', day DESC, line) AS p \
             FROM t ORDER BY line",
            // A key that fails on rows the filter removes: sorted where it was, after the filter.
            "SELECT line, row_number() OVER (ORDER BY CAST(place AS BIGINT), line) AS n \
             FROM (SELECT line, CASE WHEN line > 5 THEN 'x' ELSE '1' END AS place FROM t WHERE line <= 5) ORDER BY line",
        ];
        let rule = Arc::new(SortedScans::default());
        let plain = run(None, &queries);
        let sorted = run(Some(Arc::clone(&rule)), &queries);
        for (i, ((plain, _), (sorted, plan))) in plain.iter().zip(&sorted).enumerate() {
            assert_eq!(plain, sorted);
            if i == 5 {
                assert!(plan.contains("SortExec: expr=[CAST("), "{plan}");
                continue;
            }
            // The order is the table's; only a query's final sort by line is left.
            let sorts: Vec<&str> = plan.lines().filter(|l| l.contains("SortExec")).collect();
            assert!(
                sorts
                    .iter()
                    .all(|s| s.contains("expr=[line@") || s.contains("expr=[l@")),
                "{plan}"
            );
            assert!(plan.contains("output_ordering="), "{plan}");
        }
        // Four orders for the five that could: the third reused the first's.
        let orders = rule.orders.lock().expect("lock");
        assert_eq!(orders.values().filter(|o| o.get().is_some()).count(), 4);
        assert!(
            sorted[3].0.contains("| 5    | c     |\n| 9    | d     |"),
            "{}",
            sorted[3].0
        );
    }

    proptest::proptest! {
        /// A table sorted through its text keys' ranks is sorted as by the text itself, in
        /// every direction and place of blanks, ties in the table's order.
        #[test]
        fn ranks_sort_as_the_text_does(
            texts in proptest::collection::vec(proptest::option::of("[a-c]{0,3}"), 1..60),
            days in proptest::collection::vec(0i64..3, 60),
            descending: bool,
            nulls_first: bool,
        ) {
            use datafusion::arrow::array::{Int64Array, StringArray};
            use datafusion::arrow::compute::{SortColumn, SortOptions, lexsort_to_indices};
            use datafusion::arrow::datatypes::{DataType, Field, Schema};
            use datafusion::physical_expr::expressions::Column;
            let n = texts.len();
            let text: datafusion::arrow::array::ArrayRef = Arc::new(StringArray::from(texts));
            let day: datafusion::arrow::array::ArrayRef = Arc::new(Int64Array::from(days[..n].to_vec()));
            let schema = Arc::new(Schema::new(vec![
                Field::new("child", DataType::Utf8, true),
                Field::new("day", DataType::Int64, false),
            ]));
            let batch = datafusion::arrow::array::RecordBatch::try_new(schema, vec![Arc::clone(&text), Arc::clone(&day)])
                .expect("batch");
            let options = [SortOptions { descending, nulls_first }, SortOptions::default()];
            let keys: Vec<Arc<dyn datafusion::physical_expr::PhysicalExpr>> =
                vec![Arc::new(Column::new("child", 0)), Arc::new(Column::new("day", 1))];
            let ranked = SortedScans::default().order(&batch, &keys, &options).expect("order");
            let by_text = lexsort_to_indices(
                &[
                    SortColumn { values: text, options: Some(options[0]) },
                    SortColumn { values: day, options: Some(options[1]) },
                    SortColumn {
                        values: Arc::new(datafusion::arrow::array::UInt32Array::from_iter_values(0..n as u32)),
                        options: None,
                    },
                ],
                None,
            )
            .expect("sort");
            proptest::prop_assert_eq!(ranked.values(), by_text.values());
        }
    }
}
