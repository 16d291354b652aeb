//! What the rule kinds over whole tables share: the queries every such plan makes for the
//! rows it cannot evaluate, and reading line numbers back (see [`crate::spec::whole`]).

use datafusion::arrow::array::{Array, BooleanArray, RecordBatch, UInt64Array};
use datafusion::common::TableReference;
use datafusion::logical_expr::{Expr, col, ident};
use datafusion::prelude::SessionContext;

use crate::model::finding::Detail;
use crate::model::table::{ColumnType, Table};
use crate::spec::whole::{Found, LINE, Tables, failed_name};

/// Column `i` of a result batch: line numbers.
pub(crate) fn line_numbers(b: &RecordBatch, i: usize) -> &UInt64Array {
    b.column(i)
        .as_any()
        .downcast_ref::<UInt64Array>()
        .expect("every query selects the line column as the run registers it: UInt64")
}

/// Whether a column's values can fail to parse (every type but text can).
pub(crate) fn can_fail(table: &Table, c: usize) -> bool {
    !matches!(table.columns[c].ty, ColumnType::Text)
}

/// `__failed_a OR __failed_b ...` over the columns of `cols` that can fail.
pub(crate) fn any_failed(table: &Table, cols: &[usize]) -> Option<Expr> {
    cols.iter()
        .map(|&c| ident(failed_name(&table.columns[c].name)))
        .reduce(Expr::or)
}

/// The filter keeping the rows where none of `cols` failed to parse.
pub(crate) fn none_failed(table: &Table, cols: &[usize]) -> Option<Expr> {
    any_failed(table, cols).map(|e| !e)
}

/// Lines of this table's rows where a column the rule reads did not parse,
/// with the first such column.
pub(crate) async fn unparsed(
    ctx: &SessionContext,
    this: &Table,
    cols: &[usize],
) -> datafusion::common::Result<Vec<(u64, usize)>> {
    let Some(any) = any_failed(this, cols) else {
        return Ok(Vec::new());
    };
    let mut select = vec![col(LINE)];
    select.extend(cols.iter().map(|&c| ident(failed_name(&this.columns[c].name))));
    let rows = ctx
        .table(TableReference::bare(this.name.as_str()))
        .await?
        .filter(any)?
        .select(select)?
        .collect()
        .await?;
    let mut out = Vec::new();
    for b in rows {
        let lines = line_numbers(&b, 0);
        for row in 0..b.num_rows() {
            let first = (0..cols.len()).find(|&k| {
                b.column(k + 1)
                    .as_any()
                    .downcast_ref::<BooleanArray>()
                    .expect("the run registers each failed-to-parse flag as a Boolean column")
                    .value(row)
            });
            out.push((lines.value(row), cols[first.unwrap_or(0)]));
        }
    }
    Ok(out)
}

/// The rows where a column of `cols` did not parse, as "not checked" findings naming
/// `column` (or, when `None`, the column that did not parse).
pub(crate) async fn not_checked(
    ctx: &SessionContext,
    this: &Table,
    cols: &[usize],
    column: Option<usize>,
) -> datafusion::common::Result<Vec<Found>> {
    Ok(unparsed(ctx, this, cols)
        .await?
        .into_iter()
        .map(|(line, failed)| Found::new(line, column.or(Some(failed)), Detail::Unparsed { column: failed }))
        .collect())
}

/// [`not_checked`] for table `table` of a run, where nothing is looked for unless one of
/// `cols` has a value that did not parse (the run knows which, so a rule need not scan).
pub(crate) fn not_checked_in(
    cx: &Tables,
    ctx: &SessionContext,
    table: usize,
    cols: &[usize],
    column: Option<usize>,
) -> datafusion::common::Result<Vec<Found>> {
    if !cx.any_unparsed(table, cols) {
        return Ok(Vec::new());
    }
    cx.block_on(not_checked(ctx, &cx.tables[table], cols, column))
}

/// Lines of this table's rows where `filter` (over its projected columns) holds.
pub(crate) async fn lines_where(
    ctx: &SessionContext,
    this: &Table,
    filter: Expr,
) -> datafusion::common::Result<Vec<u64>> {
    let rows = ctx
        .table(TableReference::bare(this.name.as_str()))
        .await?
        .filter(filter)?
        .select(vec![col(LINE)])?
        .collect()
        .await?;
    Ok(rows
        .iter()
        .flat_map(|b| line_numbers(b, 0).values().iter().copied().collect::<Vec<_>>())
        .collect())
}
