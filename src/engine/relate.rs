//! Relate: rules between tables, evaluated over whole tables before any row
//! is routed.
//!
//! A row rule sees one batch; a `reference` rule needs every key of another
//! table. So this stage takes just the columns cross-table rules need (typed,
//! with each row's line) from the one pass over every table involved
//! ([`crate::engine::load`]), registers them with
//! DataFusion, and runs each rule as a plan (an anti-join: rows whose key has
//! no match), never as per-row lookups. Its findings, keyed by line, are
//! merged into the routing pass, so a row rejected here is rejected there.
//! Rules over groups of rows of one table (`periods`, `sequence`,
//! `consistent`) need the whole table too, and run here the same way, as
//! window functions and aggregates over each group.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DataFusionError, JoinType, TableReference};
use datafusion::datasource::MemTable;
use datafusion::functions_aggregate::expr_fn::{bool_and, bool_or, count, min};
use datafusion::functions_window::expr_fn::{lag, row_number};
use datafusion::logical_expr::{Expr, ExprFunctionExt, col, ident, lit, when};
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::engine::check::{Detail, Finding};
use crate::kinds::related::OTHER;
use crate::kinds::sequence::PREVIOUS;
use crate::model::error::{Error, Result, RulePhase};
use crate::model::typed::typed_column;
use crate::source::RawBatch;
use crate::spec::compiled::{Check, Consistent, Periods, Reference, Related as RelatedRows, Sequence};
use crate::spec::config::Config;
use crate::spec::rules::RuleSet;

/// Name of the line-number column in the projections.
const LINE: &str = "__line";

#[derive(Default)]
pub struct Related {
    /// Per table: findings with the line of their row, sorted by line.
    pub findings: HashMap<usize, Vec<(u64, Finding)>>,
    /// Rules that could not run at all, with the reason.
    pub not_run: Vec<(usize, String)>,
}

impl Related {
    /// This table's findings, in line order.
    pub fn take(&mut self, table: usize) -> Vec<(u64, Finding)> {
        self.findings.remove(&table).unwrap_or_default()
    }
}

/// A rule between tables, as this stage runs it.
#[derive(Clone, Copy)]
enum Cross<'a> {
    Reference(&'a Reference),
    Related(&'a RelatedRows),
}

impl Cross<'_> {
    fn key(&self) -> &Reference {
        match self {
            Cross::Reference(r) => r,
            Cross::Related(r) => &r.key,
        }
    }
}

/// What the rules over whole tables read: per table, the columns to project (keys, compared
/// values, what `when` reads); and the rules that cannot run, with the reason.
pub struct Reads {
    pub columns: HashMap<usize, BTreeSet<usize>>,
    pub not_run: Vec<(usize, String)>,
}

/// The rules over whole tables this run can evaluate, and what each table must provide.
pub fn reads(set: &RuleSet, config: &Config) -> Reads {
    let input_of = |t: usize| config.inputs.iter().any(|i| i.table == set.tables[t].name);
    let mut needed: HashMap<usize, BTreeSet<usize>> = HashMap::new();
    let mut not_run = Vec::new();
    for (ri, rule) in set.rules.iter().enumerate() {
        // None of a table's rules run without its export; the summary says so.
        if !input_of(rule.table) {
            continue;
        }
        let table = rule.table;
        match &rule.check {
            // Period rules read one table: group, start and end of every row.
            Check::Periods(p) => needed
                .entry(table)
                .or_default()
                .extend(p.group.iter().chain([&p.start, &p.end]).copied()),
            // Sequence and consistency rules read one table too.
            Check::Sequence(s) => needed.entry(table).or_default().extend(sequence_reads(s)),
            Check::Consistent(c) => needed
                .entry(table)
                .or_default()
                .extend(c.group.iter().chain(&c.columns).copied()),
            Check::Reference(_) | Check::Related(_) => {
                let cross = cross(&rule.check).expect("a reference or related rule is a rule between tables");
                let r = cross.key();
                if !input_of(r.other) {
                    not_run.push((ri, format!("no export was given for `{}`", set.tables[r.other].name)));
                    continue;
                }
                needed
                    .entry(table)
                    .or_default()
                    .extend(r.columns.iter().chain(&r.when_reads).copied());
                needed
                    .entry(r.other)
                    .or_default()
                    .extend(r.other_columns.iter().copied());
                if let Cross::Related(x) = cross {
                    needed.entry(table).or_default().extend(x.reads.iter().copied());
                    needed.entry(r.other).or_default().extend(x.other_reads.iter().copied());
                }
            }
            _ => {}
        }
    }
    Reads {
        columns: needed,
        not_run,
    }
}

fn cross(check: &Check) -> Option<Cross<'_>> {
    match check {
        Check::Reference(x) => Some(Cross::Reference(x)),
        Check::Related(x) => Some(Cross::Related(x)),
        _ => None,
    }
}

/// The projections [`reads`] asked for, per table: its schema and batches.
pub type Projections = HashMap<usize, (SchemaRef, Vec<RecordBatch>)>;

/// Evaluate the rules over whole tables on the projections [`reads`] asked for, each table's
/// taken from the one pass over its export, corrected as the row rules see it.
pub fn relate(set: &RuleSet, reads: Reads, projections: Projections, batch_rows: usize) -> Result<Related> {
    let mut related = Related {
        findings: HashMap::new(),
        not_run: reads.not_run,
    };
    let has = |t: usize| projections.contains_key(&t);
    let blocked: Vec<usize> = related.not_run.iter().map(|(ri, _)| *ri).collect();
    let rules: Vec<(usize, Cross)> = set
        .rules
        .iter()
        .enumerate()
        .filter(|(i, r)| has(r.table) && !blocked.contains(i))
        .filter_map(|(i, r)| cross(&r.check).map(|c| (i, c)))
        .collect();
    let periods: Vec<(usize, &Periods)> = set
        .rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match &r.check {
            Check::Periods(p) if has(r.table) => Some((i, p)),
            _ => None,
        })
        .collect();
    let sequences: Vec<(usize, &Sequence)> = set
        .rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match &r.check {
            Check::Sequence(s) if has(r.table) => Some((i, s)),
            _ => None,
        })
        .collect();
    let consistents: Vec<(usize, &Consistent)> = set
        .rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match &r.check {
            Check::Consistent(c) if has(r.table) => Some((i, c)),
            _ => None,
        })
        .collect();
    let runnable = rules;
    if runnable.is_empty() && periods.is_empty() && sequences.is_empty() && consistents.is_empty() {
        return Ok(related);
    }
    let ctx = SessionContext::new_with_config(
        SessionConfig::new()
            // Joins run in one partition: the build side is collected once and
            // this table streams through it. Hash-repartitioning both sides over
            // two cores was ~25% faster but copied the larger table (+150 MB at 10M rows).
            .with_target_partitions(1)
            .with_batch_size(batch_rows.max(1024)),
    );
    for (t, (schema, batches)) in projections {
        let mem = MemTable::try_new(schema, vec![batches])
            .expect("a projection's batches are built to the schema it holds with them");
        ctx.register_table(TableReference::bare(set.tables[t].name.as_str()), Arc::new(mem))
            .expect("each table is registered once, under its own name (table names are unique in a rule set)");
    }
    // Window queries (periods, sequences, consistency) sort whole tables by
    // group: partitioned by group over every core they take ~40% less time.
    // Same tables (the catalog is shared), other settings.
    let windows = {
        let mut state = ctx.state();
        state.config_mut().options_mut().execution.target_partitions = rayon::current_num_threads().max(1);
        SessionContext::new_with_state(state)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(rayon::current_num_threads().max(1))
        .build()
        .expect(RUNTIME);
    for (ri, cross) in runnable {
        let _timer = RuleTimer::start(&set.rules[ri].id);
        let rule = &set.rules[ri];
        let r = cross.key();
        // This table's columns the rule reads that can fail to parse.
        let mut reads: Vec<usize> = r.columns.iter().chain(&r.when_reads).copied().collect();
        if let Cross::Related(x) = cross {
            reads.extend(x.reads.iter().copied());
        }
        reads.retain(|&c| can_fail(set, rule.table, c));
        reads.sort_unstable();
        reads.dedup();
        let exclude = any_failed(&set.tables[rule.table], &reads).map(|e| !e);
        let not_checked = runtime
            .block_on(unparsed(&ctx, set, rule.table, &reads))
            .map_err(|e| evaluated(set, ri, e))?;
        // Each failing line, with the related row that contradicts it where there is one.
        let lines: Vec<(u64, Option<u64>)> = match cross {
            Cross::Reference(r) => runtime
                .block_on(unmatched(&ctx, set, rule.table, r, exclude))
                .map(|l| l.into_iter().map(|line| (line, None)).collect()),
            Cross::Related(x) => runtime.block_on(unsatisfied(&ctx, set, rule.table, x, exclude)),
        }
        .map_err(|e| evaluated(set, ri, e))?;
        let found = related.findings.entry(rule.table).or_default();
        found.extend(not_checked.into_iter().map(|(line, column)| {
            let detail = Detail::Unparsed { column };
            finding(line, ri, rule.severity, r.columns.first().copied(), detail)
        }));
        found.extend(lines.into_iter().map(|(line, other_line)| {
            let detail = match other_line {
                Some(l) => Detail::ContradictedBy {
                    table: r.other,
                    line: l,
                },
                None => Detail::Fail,
            };
            finding(line, ri, rule.severity, r.columns.first().copied(), detail)
        }));
    }
    for (ri, p) in periods {
        let _timer = RuleTimer::start(&set.rules[ri].id);
        let rule = &set.rules[ri];
        let table = rule.table;
        let mut reads: Vec<usize> = p.group.iter().chain([&p.start, &p.end]).copied().collect();
        reads.retain(|&c| can_fail(set, table, c));
        let exclude = any_failed(&set.tables[table], &reads).map(|e| !e);
        let not_checked = runtime
            .block_on(unparsed(&ctx, set, table, &reads))
            .map_err(|e| evaluated(set, ri, e))?;
        let pairs = runtime
            .block_on(clashes(&windows, set, table, p, exclude))
            .map_err(|e| evaluated(set, ri, e))?;
        let found = related.findings.entry(table).or_default();
        found.extend(not_checked.into_iter().map(|(line, column)| {
            let detail = Detail::Unparsed { column };
            finding(line, ri, rule.severity, Some(p.start), detail)
        }));
        for (line, other) in pairs {
            // Both periods of an overlap or gap are reported, each naming the other.
            for (at, names) in [(line, other), (other, line)] {
                let detail = Detail::ContradictedBy { table, line: names };
                found.push(finding(at, ri, rule.severity, Some(p.start), detail));
            }
        }
    }
    for (ri, s) in sequences {
        let _timer = RuleTimer::start(&set.rules[ri].id);
        let found = sequence_findings(&windows, &runtime, set, ri, s)?;
        related.findings.entry(set.rules[ri].table).or_default().extend(found);
    }
    for (ri, c) in consistents {
        let _timer = RuleTimer::start(&set.rules[ri].id);
        let found = consistent_findings(&windows, &runtime, set, ri, c)?;
        related.findings.entry(set.rules[ri].table).or_default().extend(found);
    }
    for f in related.findings.values_mut() {
        f.sort_by_key(|(line, f)| (*line, f.rule));
    }
    Ok(related)
}

/// Logs how long a whole-table rule took (at debug level, `-v`) when dropped.
struct RuleTimer<'a> {
    id: &'a str,
    started: std::time::Instant,
}

impl<'a> RuleTimer<'a> {
    fn start(id: &'a str) -> Self {
        RuleTimer {
            id,
            started: std::time::Instant::now(),
        }
    }
}

impl Drop for RuleTimer<'_> {
    fn drop(&mut self) {
        tracing::debug!(
            rule = self.id,
            ms = self.started.elapsed().as_millis() as u64,
            "rule over whole tables"
        );
    }
}

/// A query of rule `ri` failed: a rule over whole tables that cannot be evaluated on these
/// exports (its condition fails on some value, say) is the rule's error, named with where it is
/// written.
fn evaluated(set: &RuleSet, ri: usize, e: DataFusionError) -> Error {
    crate::engine::rule_error(set, ri, RulePhase::Evaluated, e)
}

/// Why building a runtime cannot fail: tokio is built without its I/O driver (no `net` feature),
/// the one part whose start can fail; workers that cannot be spawned panic inside tokio.
const RUNTIME: &str =
    "a tokio runtime without its I/O driver builds: the driver is the only part whose start returns an error";

/// Lines of the rows whose key has no match in the other table.
async fn unmatched(
    ctx: &SessionContext,
    set: &RuleSet,
    table: usize,
    r: &Reference,
    exclude: Option<Expr>,
) -> datafusion::common::Result<Vec<u64>> {
    let (this, other) = (&set.tables[table], &set.tables[r.other]);
    let left = rows_in_scope(ctx, this, r, exclude).await?;
    // The other side's keys, renamed so a table may reference itself.
    let keys: Vec<String> = (0..r.other_columns.len()).map(|i| format!("__key{i}")).collect();
    let right = ctx.table(TableReference::bare(other.name.as_str())).await?.select(
        r.other_columns
            .iter()
            .zip(&keys)
            .map(|(&c, k)| ident(&other.columns[c].name).alias(k))
            .collect::<Vec<Expr>>(),
    )?;
    let left_keys: Vec<&str> = r.columns.iter().map(|&c| this.columns[c].name.as_str()).collect();
    let right_keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    // The other table's distinct keys are the hash join's build side (usually
    // far smaller than this table, e.g. children against contacts); this table
    // streams through as the probe side.
    let rows = right
        .distinct()?
        .join(left, JoinType::RightAnti, &right_keys, &left_keys, None)?
        .select(vec![col(LINE)])?
        .collect()
        .await?;
    let mut lines = Vec::new();
    for b in rows {
        let a = line_numbers(&b, 0);
        lines.extend(a.values().iter().copied());
    }
    Ok(lines)
}

/// This table's rows a rule between tables applies to: `when` holds, the key
/// is not blank, and (`exclude`) no value the rule reads failed to parse.
async fn rows_in_scope(
    ctx: &SessionContext,
    this: &crate::model::table::Table,
    r: &Reference,
    exclude: Option<Expr>,
) -> datafusion::common::Result<datafusion::dataframe::DataFrame> {
    let mut rows = ctx.table(TableReference::bare(this.name.as_str())).await?;
    if let Some(keep) = exclude {
        rows = rows.filter(keep)?;
    }
    if let Some(when) = &r.when {
        rows = rows.filter(when.clone())?;
    }
    for &c in &r.columns {
        rows = rows.filter(ident(&this.columns[c].name).is_not_null())?;
    }
    Ok(rows)
}

/// Lines of the rows whose related rows do not satisfy the condition: with
/// `any`, no related row does (or there is none); with `all`, one does not.
async fn unsatisfied(
    ctx: &SessionContext,
    set: &RuleSet,
    table: usize,
    r: &RelatedRows,
    exclude: Option<Expr>,
) -> datafusion::common::Result<Vec<(u64, Option<u64>)>> {
    let k = &r.key;
    let (this, other) = (&set.tables[table], &set.tables[k.other]);
    let this_ref = TableReference::bare(this.name.as_str());
    let mine = |name: &str| Expr::Column(Column::new(Some(this_ref.clone()), name));
    let theirs = |name: &str| Expr::Column(Column::new(Some(TableReference::bare(OTHER)), name));
    let left = rows_in_scope(ctx, this, k, exclude).await?;
    // The other table's rows, named `other` as the condition names them.
    let right = ctx
        .table(TableReference::bare(other.name.as_str()))
        .await?
        .alias(OTHER)?;
    let on: Vec<Expr> = k
        .columns
        .iter()
        .zip(&k.other_columns)
        .map(|(&a, &b)| mine(&this.columns[a].name).eq(theirs(&other.columns[b].name)))
        .collect();
    // The condition names this table's columns bare; qualify them, so a column
    // both tables have is not ambiguous.
    let condition = r
        .condition
        .clone()
        .transform_up(|e| match e {
            Expr::Column(c) if c.relation.is_none() => Ok(Transformed::yes(mine(&c.name))),
            e => Ok(Transformed::no(e)),
        })?
        .data;
    let ok = if r.all {
        bool_and(condition.clone())
    } else {
        bool_or(condition.clone())
    };
    let matched = count(theirs(&other.columns[k.other_columns[0]].name));
    // For `all`: the first related row that contradicts the condition, to name it.
    let contradicting = min(when(condition.is_false(), theirs(LINE)).end()?);
    let grouped = left.join_on(right, JoinType::Left, on)?.aggregate(
        vec![mine(LINE)],
        vec![
            ok.alias("__ok"),
            matched.alias("__matched"),
            contradicting.alias("__other_line"),
        ],
    )?;
    let failing = if r.all {
        col("__matched").gt(lit(0i64)).and(col("__ok").is_false())
    } else {
        col("__matched").eq(lit(0i64)).or(col("__ok").is_not_true())
    };
    let rows = grouped
        .filter(failing)?
        .select(vec![mine(LINE), col("__other_line")])?
        .collect()
        .await?;
    let mut lines = Vec::new();
    for b in rows {
        let line = line_numbers(&b, 0);
        let other_line = line_numbers(&b, 1);
        lines.extend((0..b.num_rows()).map(|i| (line.value(i), other_line.is_valid(i).then(|| other_line.value(i)))));
    }
    Ok(lines)
}

/// Pairs of lines (later, earlier) of periods in the same group that overlap,
/// or (if `continuous`) leave a gap. Periods are ordered by start; each is
/// compared with the furthest end before it, an open end counting as never.
async fn clashes(
    ctx: &SessionContext,
    set: &RuleSet,
    table: usize,
    p: &Periods,
    exclude: Option<Expr>,
) -> datafusion::common::Result<Vec<(u64, u64)>> {
    let t = &set.tables[table];
    let q = |c: usize| format!("\"{}\"", t.columns[c].name);
    let group = p.group.iter().map(|&c| q(c)).collect::<Vec<_>>().join(", ");
    let mut not_null = p
        .group
        .iter()
        .chain([&p.start])
        .map(|&c| format!("{} IS NOT NULL", q(c)))
        .collect::<Vec<_>>()
        .join(" AND ");
    // Rows where a value the rule reads did not parse are reported apart.
    if let Some(keep) = exclude {
        not_null = format!("{not_null} AND {}", datafusion::sql::unparser::expr_to_sql(&keep)?);
    }
    let cols = p
        .group
        .iter()
        .chain([&p.start, &p.end])
        .map(|&c| q(c))
        .collect::<Vec<_>>()
        .join(", ");
    // The furthest end so far and its line, packed into one number (days since
    // 1970 * 2^32 + line), so one running MAX gives both.
    let packed = format!(
        "CAST(CAST(COALESCE({end}, DATE '9999-12-31') AS INT) AS BIGINT) * 4294967296 + CAST(\"{LINE}\" AS BIGINT)",
        end = q(p.end)
    );
    let gap = if p.continuous { "OR s > prev_end" } else { "" };
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
        start = q(p.start),
        name = t.name,
    );
    let rows = ctx.sql(&sql).await?.collect().await?;
    let mut out = Vec::new();
    for b in rows {
        let line = line_numbers(&b, 0);
        let prev = b
            .column(1)
            .as_any()
            .downcast_ref::<datafusion::arrow::array::Int64Array>()
            .expect("the query casts `prev_line` to BIGINT (Int64)");
        out.extend((0..b.num_rows()).map(|i| (line.value(i), prev.value(i) as u64)));
    }
    Ok(out)
}

/// A sequence rule's findings: rows it could not check, and rows that break it.
fn sequence_findings(
    ctx: &SessionContext,
    runtime: &tokio::runtime::Runtime,
    set: &RuleSet,
    ri: usize,
    s: &Sequence,
) -> Result<Vec<(u64, Finding)>> {
    let rule = &set.rules[ri];
    let table = rule.table;
    let mut reads = sequence_reads(s);
    reads.retain(|&c| can_fail(set, table, c));
    let exclude = any_failed(&set.tables[table], &reads).map(|e| !e);
    let not_checked = runtime
        .block_on(unparsed(ctx, set, table, &reads))
        .map_err(|e| evaluated(set, ri, e))?;
    let steps = runtime
        .block_on(out_of_sequence(ctx, set, table, s, exclude))
        .map_err(|e| evaluated(set, ri, e))?;
    let mut found: Vec<(u64, Finding)> = not_checked
        .into_iter()
        .map(|(line, column)| finding(line, ri, rule.severity, Some(column), Detail::Unparsed { column }))
        .collect();
    found.extend(steps.into_iter().map(|(line, previous)| {
        let detail = Detail::ContradictedBy { table, line: previous };
        finding(line, ri, rule.severity, None, detail)
    }));
    Ok(found)
}

/// A consistency rule's findings, column by column: values it could not
/// check, and values that differ from their group's usual one.
fn consistent_findings(
    ctx: &SessionContext,
    runtime: &tokio::runtime::Runtime,
    set: &RuleSet,
    ri: usize,
    c: &Consistent,
) -> Result<Vec<(u64, Finding)>> {
    let rule = &set.rules[ri];
    let table = rule.table;
    let this = &set.tables[table];
    let group_reads: Vec<usize> = c.group.iter().copied().filter(|&g| can_fail(set, table, g)).collect();
    // A row whose group did not parse is reported once, not once per column.
    let not_checked = runtime
        .block_on(unparsed(ctx, set, table, &group_reads))
        .map_err(|e| evaluated(set, ri, e))?;
    let mut found: Vec<(u64, Finding)> = not_checked
        .into_iter()
        .map(|(line, column)| finding(line, ri, rule.severity, Some(column), Detail::Unparsed { column }))
        .collect();
    for &column in &c.columns {
        let mut reads = group_reads.clone();
        if can_fail(set, table, column) {
            reads.push(column);
            let failed = ident(failed_name(&this.columns[column].name));
            let only_column = match any_failed(this, &group_reads) {
                Some(group_failed) => failed.and(!group_failed),
                None => failed,
            };
            let lines = runtime
                .block_on(lines_where(ctx, this, only_column))
                .map_err(|e| evaluated(set, ri, e))?;
            found.extend(
                lines
                    .into_iter()
                    .map(|line| finding(line, ri, rule.severity, Some(column), Detail::Unparsed { column })),
            );
        }
        let exclude = any_failed(this, &reads).map(|e| !e);
        let differing = runtime
            .block_on(inconsistent(ctx, this, &c.group, column, exclude))
            .map_err(|e| evaluated(set, ri, e))?;
        found.extend(differing.into_iter().map(|(line, usual)| {
            let detail = Detail::ContradictedBy { table, line: usual };
            finding(line, ri, rule.severity, Some(column), detail)
        }));
    }
    Ok(found)
}

/// Every column a sequence rule reads: a row where one did not parse cannot
/// take its place in the order, nor be compared.
fn sequence_reads(s: &Sequence) -> Vec<usize> {
    let mut reads: Vec<usize> = s
        .group
        .iter()
        .chain([&s.order_by])
        .chain(&s.reads)
        .chain(&s.previous_reads)
        .chain(&s.when_reads)
        .copied()
        .collect();
    reads.sort_unstable();
    reads.dedup();
    reads
}

/// Name of the previous row's value of `column` in the sequence window.
fn previous_name(column: &str) -> String {
    format!("__previous_{column}")
}

/// Pairs of lines (row, the row before it in its group) where the row breaks
/// the sequence's condition. One window over the table: the previous row's
/// values come from LAG over each group ordered by `order_by`, then line.
async fn out_of_sequence(
    ctx: &SessionContext,
    set: &RuleSet,
    table: usize,
    s: &Sequence,
    exclude: Option<Expr>,
) -> datafusion::common::Result<Vec<(u64, u64)>> {
    let t = &set.tables[table];
    let name = |c: usize| t.columns[c].name.as_str();
    let mut rows = ctx.table(TableReference::bare(t.name.as_str())).await?;
    if let Some(keep) = exclude {
        rows = rows.filter(keep)?;
    }
    if let Some(when) = &s.when {
        rows = rows.filter(when.clone())?;
    }
    for &c in s.group.iter().chain([&s.order_by]) {
        rows = rows.filter(ident(name(c)).is_not_null())?;
    }
    let over = |e: Expr| {
        e.partition_by(s.group.iter().map(|&c| ident(name(c))).collect())
            .order_by(vec![
                ident(name(s.order_by)).sort(true, false),
                col(LINE).sort(true, false),
            ])
            .build()
    };
    let previous_line = previous_name(LINE);
    let mut windows = vec![over(lag(col(LINE), Some(1), None))?.alias(&previous_line)];
    for &c in &s.previous_reads {
        windows.push(over(lag(ident(name(c)), Some(1), None))?.alias(previous_name(name(c))));
    }
    // `previous.x` in the condition is the window's LAG of x.
    let condition = s
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

/// Pairs of lines (row, the earliest line holding the usual value) of rows
/// whose `column` differs from the most common value in their group (on a
/// tie, the value seen first). Aggregates per (group, value), ranks the values
/// of groups that hold more than one with a window, and joins the winner back
/// to the rows.
async fn inconsistent(
    ctx: &SessionContext,
    this: &crate::model::table::Table,
    group: &[usize],
    column: usize,
    exclude: Option<Expr>,
) -> datafusion::common::Result<Vec<(u64, u64)>> {
    let name = |c: usize| this.columns[c].name.as_str();
    let mut rows = ctx.table(TableReference::bare(this.name.as_str())).await?;
    if let Some(keep) = exclude {
        rows = rows.filter(keep)?;
    }
    // Blank values, and rows with a blank group, are left to `required`.
    for &c in group.iter().chain([&column]) {
        rows = rows.filter(ident(name(c)).is_not_null())?;
    }
    let keys: Vec<Expr> = group.iter().map(|&c| ident(name(c))).collect();
    let key_names: Vec<&str> = group.iter().map(|&c| name(c)).collect();
    let renamed = |prefix: &str| -> Vec<String> { (0..group.len()).map(|i| format!("{prefix}{i}")).collect() };
    let as_names = |v: &[String]| -> Vec<Expr> { keys.iter().zip(v).map(|(k, r)| k.clone().alias(r)).collect() };
    // How often each group holds each value, and from which line.
    let counts = rows.clone().aggregate(
        keys.iter().cloned().chain([ident(name(column))]).collect(),
        vec![count(lit(1)).alias("__rows"), min(col(LINE)).alias("__first")],
    )?;
    // Only groups holding more than one value can have a row that differs, and
    // they are usually few: the plans below build on them (the smaller side
    // first, as the hash join's build side) and stream the rows through.
    let (mixed, usual) = (renamed("__mixed"), renamed("__group"));
    let mixed_groups = counts
        .clone()
        .aggregate(keys.clone(), vec![count(lit(1)).alias("__values")])?
        .filter(col("__values").gt(lit(1i64)))?
        .select(as_names(&mixed))?;
    let mixed_names: Vec<&str> = mixed.iter().map(String::as_str).collect();
    let usual_values = mixed_groups
        .join(counts, JoinType::RightSemi, &mixed_names, &key_names, None)?
        .window(vec![
            row_number()
                .partition_by(keys.clone())
                .order_by(vec![col("__rows").sort(false, false), col("__first").sort(true, false)])
                .build()?
                .alias("__rank"),
        ])?
        .filter(col("__rank").eq(lit(1u64)))?
        .select(
            as_names(&usual)
                .into_iter()
                .chain([ident(name(column)).alias("__usual"), col("__first")])
                .collect::<Vec<Expr>>(),
        )?;
    let usual_names: Vec<&str> = usual.iter().map(String::as_str).collect();
    let rows = usual_values
        .join(rows, JoinType::Inner, &usual_names, &key_names, None)?
        .filter(ident(name(column)).not_eq(col("__usual")))?
        .select(vec![col(LINE), col("__first")])?
        .collect()
        .await?;
    let mut out = Vec::new();
    for b in rows {
        let (line, first) = (line_numbers(&b, 0), line_numbers(&b, 1));
        out.extend((0..b.num_rows()).map(|i| (line.value(i), first.value(i))));
    }
    Ok(out)
}

/// Lines of this table's rows where `filter` (over its projected columns) holds.
async fn lines_where(
    ctx: &SessionContext,
    this: &crate::model::table::Table,
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

/// A whole-table finding, keyed by the line of its row.
fn finding(
    line: u64,
    rule: usize,
    severity: crate::model::table::Severity,
    column: Option<usize>,
    detail: Detail,
) -> (u64, Finding) {
    (
        line,
        Finding {
            rule,
            row: 0,
            column,
            severity,
            detail,
        },
    )
}

/// Column `i` of a result batch: line numbers.
fn line_numbers(b: &RecordBatch, i: usize) -> &UInt64Array {
    b.column(i)
        .as_any()
        .downcast_ref::<UInt64Array>()
        .expect("every query selects the line column as `project` registers it: UInt64")
}

/// Whether a column's values can fail to parse (every type but text can).
fn can_fail(set: &RuleSet, t: usize, c: usize) -> bool {
    !matches!(set.tables[t].columns[c].ty, crate::model::table::ColumnType::Text)
}

fn failed_name(column: &str) -> String {
    format!("__failed_{column}")
}

/// Lines of this table's rows where a column the rule reads did not parse,
/// with the first such column.
async fn unparsed(
    ctx: &SessionContext,
    set: &RuleSet,
    table: usize,
    cols: &[usize],
) -> datafusion::common::Result<Vec<(u64, usize)>> {
    let this = &set.tables[table];
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
                    .expect("`project` registers each failed-to-parse flag as a Boolean column")
                    .value(row)
            });
            out.push((lines.value(row), cols[first.unwrap_or(0)]));
        }
    }
    Ok(out)
}

/// `__failed_a OR __failed_b ...` over the columns of `cols` that can fail.
fn any_failed(table: &crate::model::table::Table, cols: &[usize]) -> Option<Expr> {
    cols.iter()
        .map(|&c| ident(failed_name(&table.columns[c].name)))
        .reduce(Expr::or)
}

/// A table's columns the rules over whole tables read, typed, with each row's line: what their
/// plans join and group over, gathered batch by batch as the export is read.
pub struct Projection {
    table: usize,
    cols: Vec<usize>,
    /// The columns of `cols` whose values can fail to parse, each flagged where one did.
    can_fail: Vec<usize>,
    schema: SchemaRef,
    pivot: u8,
    batches: Vec<RecordBatch>,
}

impl Projection {
    pub fn new(set: &RuleSet, t: usize, cols: &BTreeSet<usize>, pivot: u8) -> Self {
        let table = &set.tables[t];
        let mut fields = vec![Field::new(LINE, DataType::UInt64, false)];
        fields.extend(
            cols.iter()
                .map(|&c| Field::new(&table.columns[c].name, table.columns[c].ty.arrow(), true)),
        );
        let can_fail: Vec<usize> = cols.iter().copied().filter(|&c| can_fail(set, t, c)).collect();
        fields.extend(
            can_fail
                .iter()
                .map(|&c| Field::new(failed_name(&table.columns[c].name), DataType::Boolean, false)),
        );
        Projection {
            table: t,
            cols: cols.iter().copied().collect(),
            can_fail,
            schema: Arc::new(Schema::new(fields)),
            pivot,
            batches: Vec::new(),
        }
    }

    /// This projection of a batch (`header`: declared column → file column), corrected as the
    /// row rules see it. Pure, so batches can be projected in parallel.
    pub fn project(&self, set: &RuleSet, header: &[Option<usize>], raw: &RawBatch) -> RecordBatch {
        let table = &set.tables[self.table];
        let n = raw.num_rows();
        let text = |c: usize| -> ArrayRef {
            match header[c] {
                Some(i) => Arc::clone(&raw.columns[i]),
                None => Arc::new(StringArray::from(vec![""; n])),
            }
        };
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(UInt64Array::from(raw.lines.clone()))];
        for &c in &self.cols {
            let text = text(c);
            let text = text.as_any().downcast_ref::<StringArray>().expect(crate::engine::TEXT);
            arrays.push(typed_column(text, &table.columns[c].ty, self.pivot));
        }
        // Which values were present but did not parse: rules reading them report
        // the row as not checked, as row rules do.
        for &c in &self.can_fail {
            let at = self
                .cols
                .iter()
                .position(|&x| x == c)
                .expect("`can_fail` is a subset of `cols`");
            let typed = &arrays[1 + at];
            let text = text(c);
            let text = text.as_any().downcast_ref::<StringArray>().expect(crate::engine::TEXT);
            let failed: BooleanArray = (0..n)
                .map(|row| Some(typed.is_null(row) && !crate::model::values::is_blank(text.value(row))))
                .collect();
            arrays.push(Arc::new(failed));
        }
        RecordBatch::try_new(Arc::clone(&self.schema), arrays)
            .expect("the line, each column typed as declared, then its flags: the schema built in `new`, n rows each")
    }

    pub fn push(&mut self, batch: RecordBatch) {
        self.batches.push(batch);
    }

    pub fn table(&self) -> usize {
        self.table
    }

    pub fn finish(self) -> (SchemaRef, Vec<RecordBatch>) {
        (self.schema, self.batches)
    }
}
