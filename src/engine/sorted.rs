//! Each table sorted once per order, for every rule that sorts it so.
//!
//! Most rules over a return's episodes number or compare a child's rows in the same few
//! orders (child, start date, line; child, line …), and each rule is its own query, so each
//! sorted the table again: at 50,000 children a third of the whole-table rules' CPU time
//! went on sorting the same rows the same way. This physical optimizer rule replaces a sort
//! of a table's scan (directly, or through filters and projections of plain columns, which
//! keep the order) with a scan of the table's rows already in that order: the order is
//! computed once per run (a permutation of the rows, kept), and each query takes its own
//! columns through it.
//!
//! Ties are broken by the rows' order in the export, so a query sees the same order of tied
//! rows however its filters run; a rule that must not depend on ties names `"__line"` last.
//! The tables are registered as one batch each (`engine::relate`), which is what the
//! permutation indexes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use datafusion::arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use datafusion::arrow::compute::{SortColumn, SortOptions, lexsort_to_indices, take};
use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::source::{DataSource, DataSourceExec};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{LexOrdering, PhysicalSortExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::execution_plan::{ChildrenPropertiesMode, ReplaceChildrenOptions};
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties};

/// A table (the address of its batch's first column) and an order of it (columns of that
/// batch, each with its direction).
type Key = (usize, Vec<(usize, bool, bool)>);

/// The rule, with the orders computed so far (shared by the queries of one run).
#[derive(Debug, Default)]
pub struct SortedScans {
    orders: Mutex<HashMap<Key, Arc<OnceLock<Arc<UInt32Array>>>>>,
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
        // The sort's keys as columns of its input, followed down to the scan.
        let Some(mut keys) = sort
            .expr()
            .iter()
            .map(|e| e.expr.downcast_ref::<Column>().map(|c| c.index()))
            .collect::<Option<Vec<usize>>>()
        else {
            return Ok(Transformed::no(node));
        };
        let mut above: Vec<Arc<dyn ExecutionPlan>> = Vec::new();
        let mut below = Arc::clone(sort.input());
        let scan = loop {
            let next = if let Some(filter) = below.downcast_ref::<FilterExec>() {
                if filter.fetch().is_some() {
                    return Ok(Transformed::no(node));
                }
                if let Some(projection) = filter.projection() {
                    keys = keys.iter().map(|&k| projection[k]).collect();
                }
                Arc::clone(filter.input())
            } else if let Some(projection) = below.downcast_ref::<ProjectionExec>() {
                let exprs = projection.expr();
                let Some(mapped) = keys
                    .iter()
                    .map(|&k| exprs[k].expr.downcast_ref::<Column>().map(|c| c.index()))
                    .collect::<Option<Vec<usize>>>()
                else {
                    return Ok(Transformed::no(node));
                };
                keys = mapped;
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
        // The keys as columns of the table's batch; the scan's own columns.
        let projection: Vec<usize> = match scan.projection() {
            Some(p) => p.clone(),
            None => (0..batch.num_columns()).collect(),
        };
        let options: Vec<SortOptions> = sort.expr().iter().map(|e| e.options).collect();
        let order: Vec<(usize, SortOptions)> = keys.iter().map(|&k| projection[k]).zip(options).collect();
        let permutation = self.order(batch, &order)?;
        let columns = projection
            .iter()
            .map(|&c| take(batch.column(c), permutation.as_ref(), None))
            .collect::<std::result::Result<Vec<ArrayRef>, _>>()?;
        let schema = below.schema();
        let sorted = RecordBatch::try_new(Arc::clone(&schema), columns)?;
        let ordering = LexOrdering::new(order.iter().map(|&(c, options)| {
            let at = projection
                .iter()
                .position(|&p| p == c)
                .expect("a key is one of the scan's columns");
            PhysicalSortExpr::new(Arc::new(Column::new(schema.field(at).name(), at)), options)
        }))
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

    /// The rows of `batch` in `order` (ties in the batch's order), computed once.
    fn order(&self, batch: &RecordBatch, order: &[(usize, SortOptions)]) -> Result<Arc<UInt32Array>> {
        let key: Key = (
            Arc::as_ptr(batch.column(0)) as *const u8 as usize,
            order.iter().map(|&(c, o)| (c, o.descending, o.nulls_first)).collect(),
        );
        let cell = Arc::clone(
            self.orders
                .lock()
                .expect("no query panics holding the lock")
                .entry(key)
                .or_default(),
        );
        if let Some(done) = cell.get() {
            return Ok(Arc::clone(done));
        }
        let rows = UInt32Array::from_iter_values(0..batch.num_rows() as u32);
        let mut columns: Vec<SortColumn> = order
            .iter()
            .map(|&(c, options)| SortColumn {
                values: Arc::clone(batch.column(c)),
                options: Some(options),
            })
            .collect();
        columns.push(SortColumn {
            values: Arc::new(rows),
            options: None,
        });
        let permutation = Arc::new(lexsort_to_indices(&columns, None)?);
        Ok(Arc::clone(cell.get_or_init(|| permutation)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::execution::SessionStateBuilder;
    use datafusion::physical_plan::displayable;
    use datafusion::prelude::{SessionConfig, SessionContext};

    use super::SortedScans;

    fn table() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("child", DataType::Utf8, true),
            Field::new("day", DataType::Int64, true),
            Field::new("place", DataType::Utf8, true),
            Field::new("line", DataType::Int64, false),
        ]));
        // Ties in (child, day), blanks in each column, rows out of order.
        let rows: [(Option<&str>, Option<i64>, Option<&str>); 9] = [
            (Some("B"), Some(3), Some("x")),
            (Some("A"), Some(1), Some("p")),
            (None, Some(1), Some("n1")),
            (Some("B"), Some(1), None),
            (Some("C"), Some(5), Some("c")),
            (Some("B"), Some(2), Some("y")),
            (None, None, Some("n2")),
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
        .expect("batch")
    }

    /// Each query's result and physical plan, in one partition, with `rule` if given.
    fn run(rule: Option<Arc<SortedScans>>, queries: &[&str]) -> Vec<(String, String)> {
        let config = SessionConfig::new().with_target_partitions(1);
        let mut state = SessionStateBuilder::new().with_config(config).with_default_features();
        if let Some(rule) = rule {
            state = state.with_physical_optimizer_rule(rule);
        }
        let ctx = SessionContext::new_with_state(state.build());
        ctx.register_batch("t", table()).expect("register");
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
        ];
        let rule = Arc::new(SortedScans::default());
        let plain = run(None, &queries);
        let sorted = run(Some(Arc::clone(&rule)), &queries);
        for ((plain, _), (sorted, plan)) in plain.iter().zip(&sorted) {
            assert_eq!(plain, sorted);
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
        // Three orders for four queries: the third reused the first's.
        assert_eq!(rule.orders.lock().expect("lock").len(), 3);
        assert!(
            sorted[3].0.contains("| 5    | c     |\n| 9    | d     |"),
            "{}",
            sorted[3].0
        );
    }
}
