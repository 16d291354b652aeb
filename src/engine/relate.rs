//! Relate: the rules over whole tables, evaluated before any row is routed.
//!
//! A row rule sees one batch; a `reference` rule needs every key of another
//! table, and `periods`, `sequence` and `consistent` every row of a group. So
//! this stage takes just the columns those rules read (typed, with each row's
//! line) from the one pass over every table involved (`engine::load`),
//! registers them with DataFusion, and runs each rule's own plan (its kind's
//! [`WholeTable`]: an anti-join, a window, an aggregate), never per-row
//! lookups; with as many rules as cores, the rules side by side, each sorting a
//! table once per order ([`crate::engine::sorted`]). Its findings, keyed by line, are merged into the routing pass, so
//! a row rejected here is rejected there.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray, UInt64Array};
use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::{DataFusionError, TableReference};
use datafusion::datasource::MemTable;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
use datafusion::prelude::{SessionConfig, SessionContext};
use rayon::prelude::*;

use crate::engine::sorted::SortedScans;
use crate::kinds::whole::can_fail;
use crate::model::error::{Error, Result, RulePhase};
use crate::model::finding::{Detail, Finding};
use crate::model::typed::kept_column;
use crate::source::RawBatch;
use crate::spec::compiled::Check;
use crate::spec::config::Config;
use crate::spec::reference::{Reference, ReferenceData};
use crate::spec::rules::RuleSet;
use crate::spec::whole::{FAILED_PREFIX, Found, LINE, Tables, WholeTable, failed_name};

#[derive(Default)]
pub struct Related {
    /// Per table: findings with the line of their row, sorted by line.
    pub findings: HashMap<usize, Vec<(u64, Finding)>>,
    /// Rules that could not run at all, with the reason.
    pub not_run: Vec<(usize, String)>,
    /// Findings about a whole return (line 0: an `aggregate` rule's), in the rules' order.
    pub returns: Vec<(usize, Detail)>,
}

impl Related {
    /// Add another stage's findings about rows (the duplicate finder's), keeping each table's in
    /// line order.
    pub fn absorb(&mut self, findings: HashMap<usize, Vec<(u64, Finding)>>) {
        for (table, mut found) in findings {
            let all = self.findings.entry(table).or_default();
            all.append(&mut found);
            all.sort_by_key(|(line, f)| (*line, f.rule));
        }
    }

    /// This table's findings, in line order.
    pub fn take(&mut self, table: usize) -> Vec<(u64, Finding)> {
        self.findings.remove(&table).unwrap_or_default()
    }
}

/// What the rules over whole tables read: per table, the columns to project (keys, compared
/// values, what `when` reads); and the rules that cannot run, with the reason.
pub struct Reads {
    pub columns: HashMap<usize, BTreeSet<usize>>,
    pub not_run: Vec<(usize, String)>,
    /// Reference data the rules that can run read.
    pub references: BTreeSet<Reference>,
    /// Values those rules write themselves (that they may look up in it).
    pub literals: BTreeSet<String>,
}

/// The rules over whole tables this run can evaluate, and what each table must provide.
pub fn reads(set: &RuleSet, config: &Config) -> Reads {
    let has = |t: usize| config.inputs.iter().any(|i| i.table == set.tables[t].name);
    let mut columns: HashMap<usize, BTreeSet<usize>> = HashMap::new();
    let mut not_run = Vec::new();
    let mut references = BTreeSet::new();
    let mut literals = BTreeSet::new();
    for (ri, rule) in set.rules.iter().enumerate() {
        let Check::WholeTable(w) = &rule.check else {
            continue;
        };
        // None of a table's rules run without its export; the summary says so.
        if !has(rule.table) {
            continue;
        }
        let tables = w.reads(rule.table);
        if let Some((t, _)) = tables.iter().find(|(t, _)| !has(*t)) {
            not_run.push((ri, format!("no export was given for `{}`", set.tables[*t].name)));
            continue;
        }
        let needs = w.needs();
        let given = |r: &Reference| match r {
            Reference::Postcodes => config.postcodes.is_some(),
            Reference::LocalAuthority => config.local_authority.is_some(),
            Reference::OfstedProviders => !config.ofsted_providers.is_empty(),
        };
        if let Some(r) = needs.iter().find(|r| !given(r)) {
            not_run.push((ri, r.missing().to_string()));
            continue;
        }
        if !needs.is_empty() {
            literals.extend(w.literals());
        }
        references.extend(needs);
        for (t, cols) in tables {
            columns.entry(t).or_default().extend(cols);
        }
    }
    Reads {
        columns,
        not_run,
        references,
        literals,
    }
}

/// The projections [`reads`] asked for, per table: its schema and batches.
pub type Projections = HashMap<usize, (SchemaRef, Vec<RecordBatch>)>;

/// Evaluate the rules over whole tables, each with its kind's own plan, on the projections
/// [`reads`] asked for, each table's taken from the one pass over its export, corrected as the
/// row rules see it.
/// What the stage may hold in memory: the columns its rules read, and its operators' working
/// memory, which gets what those columns leave of `limit` (at least [`MIN_WORKING_MEMORY`]).
/// Sorts and aggregations (the windows of `periods`, `sequence` and `consistent`) spill to
/// `spill` past it; a join whose build side does not fit runs again as a sort-merge join,
/// which spills too.
pub struct Memory {
    pub limit: usize,
    /// Where spilled data goes (a folder of the run's staging); `None` refuses to spill, so a
    /// query over the limit fails (tests use it to show that spilling is what saved a run).
    pub spill: Option<std::path::PathBuf>,
}

/// The limit a run sets when not told otherwise: with what the rest of the run holds at the
/// time, about 1 GB at ten million rows.
pub const DEFAULT_MEMORY_LIMIT: usize = 768 << 20;

/// The least working memory the operators are given, however much the columns take.
pub const MIN_WORKING_MEMORY: usize = 64 << 20;

/// Sorts of up to this much are one sort of the concatenated rows rather than a sort of each
/// batch and a merge of them (DataFusion's default is 1 MB).
const SORT_IN_PLACE: usize = 64 << 20;

pub fn relate(
    set: &RuleSet,
    reads: Reads,
    references: &Arc<ReferenceData>,
    projections: Projections,
    batch_rows: usize,
    memory: &Memory,
) -> Result<Related> {
    let mut related = Related {
        findings: HashMap::new(),
        not_run: reads.not_run,
        returns: Vec::new(),
    };
    let blocked: Vec<usize> = related.not_run.iter().map(|(ri, _)| *ri).collect();
    let rules: Vec<(usize, &Arc<dyn WholeTable>)> = set
        .rules
        .iter()
        .enumerate()
        .filter(|(i, r)| projections.contains_key(&r.table) && !blocked.contains(i))
        .filter_map(|(i, r)| match &r.check {
            Check::WholeTable(w) => Some((i, w)),
            _ => None,
        })
        .collect();
    if rules.is_empty() {
        return Ok(related);
    }
    // With as many rules as cores the rules run side by side, each query in one partition:
    // repartitioning and merging sorted runs cost ~16% more CPU for the same wall time (the
    // SSDA903 pack's 216 rules).
    let threads = rayon::current_num_threads().max(1);
    let side_by_side = rules.len() >= threads;
    let held: usize = projections
        .values()
        .flat_map(|(_, batches)| batches)
        .map(RecordBatch::get_array_memory_size)
        .sum();
    let working = memory
        .limit
        .saturating_sub(held)
        .max(MIN_WORKING_MEMORY.min(memory.limit));
    // Their sorts of a table are then done once per order (`engine::sorted`), over each table
    // as one batch, when the tables are small beside the working memory: a sorted copy of a
    // query's columns is made outside the memory pool (so cannot spill, as a sort does).
    let sorted_once = side_by_side && held.saturating_mul(4) <= working;
    tracing::debug!(
        columns_mb = held >> 20,
        working_mb = working >> 20,
        side_by_side,
        sorted_once,
        "memory of the rules over whole tables"
    );
    let disk = match &memory.spill {
        Some(dir) => DiskManagerMode::Directories(vec![dir.clone()]),
        None => DiskManagerMode::Disabled,
    };
    let runtime_env = RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(FairSpillPool::new(working)))
        .with_disk_manager_builder(DiskManagerBuilder::default().with_mode(disk))
        .build_arc()
        .map_err(|e| Error::io(memory.spill.clone().unwrap_or_default(), std::io::Error::other(e)))?;
    let ctx = SessionContext::new_with_config_rt(
        SessionConfig::new()
            // Joins run in one partition: the build side is collected once and
            // this table streams through it. Hash-repartitioning both sides over
            // two cores was ~25% faster but copied the larger table (+150 MB at 10M rows).
            .with_target_partitions(1)
            // Smaller batches under a small limit: an operator needs room for one at least.
            .with_batch_size((working >> 10).clamp(1024, batch_rows.max(1024)))
            // A sort holds this much back to merge what it spilled: DataFusion's 10 MB, or an
            // eighth of less working memory, which would otherwise go to that alone.
            .with_sort_spill_reservation_bytes((working / 8).min(10 << 20))
            .with_sort_in_place_threshold_bytes(SORT_IN_PLACE),
        runtime_env,
    );
    let ctx = match sorted_once {
        true => SessionContext::new_with_state(
            SessionStateBuilder::new_from_existing(ctx.state())
                .with_physical_optimizer_rule(Arc::new(SortedScans::default()))
                .build(),
        ),
        false => ctx,
    };
    // Windows over a child's rows as one ordered pass (see `spec::windows`); the sessions
    // below start from this one's state, so they plan them so too.
    ctx.add_optimizer_rule(Arc::new(crate::spec::windows::UnpartitionWindows));
    crate::spec::reference::register(&ctx, references);
    // Which columns have a value that did not parse (their flag is true somewhere), once.
    let mut unparsed: HashMap<usize, HashSet<String>> = HashMap::new();
    for (&t, (schema, batches)) in &projections {
        for (i, field) in schema.fields().iter().enumerate() {
            let flagged = field.name().starts_with(FAILED_PREFIX)
                && batches.iter().any(|b| {
                    b.column(i)
                        .as_any()
                        .downcast_ref::<BooleanArray>()
                        .is_some_and(|a| a.true_count() > 0)
                });
            if flagged {
                unparsed.entry(t).or_default().insert(field.name().clone());
            }
        }
    }
    for (t, (schema, batches)) in projections {
        let batches = match sorted_once {
            true => vec![
                concat_batches(&schema, &batches)
                    .expect("a projection's batches are built to the schema it holds with them"),
            ],
            false => batches,
        };
        let mem = MemTable::try_new(schema, vec![batches])
            .expect("a projection's batches are built to the schema it holds with them");
        ctx.register_table(TableReference::bare(set.tables[t].name.as_str()), Arc::new(mem))
            .expect("each table is registered once, under its own name (table names are unique in a rule set)");
    }
    // Window queries (periods, sequences, consistency) sort whole tables by group: partitioned
    // over every core, one such query takes ~40% less time (so with fewer rules than cores).
    // Same tables (the catalog is shared), other settings.
    let windows = {
        let mut state = ctx.state();
        state.config_mut().options_mut().execution.target_partitions = if side_by_side { 1 } else { threads };
        SessionContext::new_with_state(state)
    };
    // Queries spread over every core need a runtime whose workers run their partitions.
    let runtime = (!side_by_side).then(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .build()
            .expect(crate::spec::whole::RUNTIME)
    });
    let cx = Tables {
        joins: &ctx,
        windows: &windows,
        runtime: runtime.as_ref(),
        tables: &set.tables,
        unparsed: &unparsed,
    };
    // The same, with joins that sort both sides rather than hold one in a hash table
    // (DataFusion plans a sort-merge join only over two partitions or more), and sorts that
    // spill rather than tables sorted in memory.
    let merging = {
        let mut state = SessionStateBuilder::new_from_existing(windows.state())
            .with_physical_optimizer_rules(PhysicalOptimizer::new().rules)
            .build();
        let options = state.config_mut().options_mut();
        options.optimizer.prefer_hash_join = false;
        options.execution.target_partitions = options.execution.target_partitions.max(2);
        SessionContext::new_with_state(state)
    };
    let spilling = Tables {
        joins: &merging,
        windows: &merging,
        ..cx
    };
    let evaluate = |&(ri, whole): &(usize, &Arc<dyn WholeTable>)| -> Result<(usize, Vec<Found>)> {
        let rule = &set.rules[ri];
        let _timer = RuleTimer::start(&rule.id);
        let found = match whole.evaluate(&cx, rule.table) {
            Err(e) if out_of_memory(&e) => {
                tracing::info!(
                    rule = rule.id.as_str(),
                    "a join did not fit in the memory limit; running it again as a sort-merge join"
                );
                whole.evaluate(&spilling, rule.table)
            }
            other => other,
        }
        .map_err(|e| evaluated(set, ri, e))?;
        Ok((ri, found))
    };
    let evaluated: Vec<(usize, Vec<Found>)> = if side_by_side {
        // Every rule's result, in the rules' order, so that of two rules that fail the first
        // written is the one reported, whichever finished first.
        let all: Vec<Result<(usize, Vec<Found>)>> = rules.par_iter().map(evaluate).collect();
        all.into_iter().collect::<Result<_>>()?
    } else {
        rules.iter().map(evaluate).collect::<Result<_>>()?
    };
    for (ri, found) in evaluated {
        let rule = &set.rules[ri];
        let (returns, found): (Vec<Found>, Vec<Found>) = found.into_iter().partition(|f| f.line == 0);
        related.returns.extend(returns.into_iter().map(|f| (ri, f.detail)));
        related
            .findings
            .entry(rule.table)
            .or_default()
            .extend(found.into_iter().map(|f| {
                (
                    f.line,
                    Finding {
                        rule: ri,
                        row: 0,
                        column: f.column,
                        severity: rule.severity,
                        detail: f.detail,
                    },
                )
            }));
    }
    for f in related.findings.values_mut() {
        f.sort_by_key(|(line, f)| (*line, f.rule));
    }
    Ok(related)
}

/// Whether a query failed for want of memory under the limit (and could run another way).
fn out_of_memory(e: &DataFusionError) -> bool {
    matches!(e.find_root(), DataFusionError::ResourcesExhausted(_))
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
        let can_fail: Vec<usize> = cols.iter().copied().filter(|&c| can_fail(table, c)).collect();
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
            arrays.push(kept_column(text, &table.columns[c].ty, self.pivot));
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
