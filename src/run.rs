//! The nightly run: configuration → rules → (ingest → check → route) per
//! table → reports → publish. The one function the binary and the tests call.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use datafusion::arrow::array::{Array, StringArray};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::check::{Checked, Detail, Finding, check_batch};
use crate::config::{Config, Input};
use crate::diag::{Diagnostic, did_you_mean};
use crate::error::{Error, Result};
use crate::fix::{self, Change, Corrector};
use crate::ingest::{BadRowKind, CsvSource};
use crate::plan::plan_table;
use crate::publish::Staging;
use crate::relate::relate;
use crate::report::{self, InputReport, RuleCount, RunReport, TableReport};
use crate::returns;
use crate::rules::{self, RuleSet, Semantics, Severity};

pub struct RunOptions {
    pub config: PathBuf,
    pub out: PathBuf,
    /// Overrides the configuration's `as_of`.
    pub as_of: Option<chrono::NaiveDate>,
    /// Rows per batch (tests use small batches to exercise batch edges).
    pub batch_rows: usize,
    /// Apply `review` corrections too, not only `safe` ones.
    pub apply_review: bool,
}

impl RunOptions {
    pub fn new(config: impl Into<PathBuf>, out: impl Into<PathBuf>) -> Self {
        RunOptions {
            config: config.into(),
            out: out.into(),
            as_of: None,
            batch_rows: 16 * 1024,
            apply_review: false,
        }
    }
}

pub struct RunOutcome {
    pub run_dir: PathBuf,
    pub report: RunReport,
}

/// Rules built into ingest: rows that could not be read as records.
pub mod ingest_rules {
    pub const RAGGED: &str = "ingest.ragged_row";
    pub const BLANK: &str = "ingest.blank_row";
    pub const ENCODING: &str = "ingest.encoding";
}

pub fn run(opts: &RunOptions) -> Result<RunOutcome> {
    let started = chrono::Utc::now();
    let t0 = Instant::now();
    let mut timings = BTreeMap::new();
    let config = Config::load(&opts.config).map_err(Error::Rules)?;
    let as_of = opts
        .as_of
        .or(config.as_of)
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let set = rules::load(&config.rules, Semantics { as_of }).map_err(Error::Rules)?;
    check_inputs(&config, &set)?;
    timings.insert("rules_ms".to_string(), t0.elapsed().as_millis() as u64);
    tracing::info!(
        packs = set.packs.len(),
        tables = set.tables.len(),
        rules = set.rules.len(),
        "rules loaded"
    );

    let sources = open_inputs(&config, &set)?;
    let t = Instant::now();
    let fixes = fix::prepare(&set, &config, opts.apply_review, opts.batch_rows)?;
    timings.insert("fix_prepare_ms".to_string(), t.elapsed().as_millis() as u64);
    let t = Instant::now();
    let mut related = relate(&set, &config, &fixes, opts.batch_rows)?;
    timings.insert("relate_ms".to_string(), t.elapsed().as_millis() as u64);
    // Before this run replaces `latest`: what `row_count` compares with.
    let previous = returns::Previous::read(&opts.out);
    let staging = Staging::create(&opts.out, started)?;
    let run_id = staging.run_id().to_string();
    let mut exceptions = Exceptions::create(&staging)?;
    let mut changes = Changes::create(&staging)?;
    let mut tables = Vec::new();
    let mut inputs = Vec::new();
    let mut measures = HashMap::new();
    for (input, source) in config.inputs.iter().zip(sources) {
        let t = Instant::now();
        let job = TableJob {
            input,
            source,
            related: related.take(set.table(&input.table).expect("inputs checked")),
        };
        let sinks = Sinks {
            exceptions: &mut exceptions,
            changes: &mut changes,
        };
        let (table, input_report, measured) =
            process_table(&set, &config, &fixes, job, &staging, sinks, opts.batch_rows)?;
        measures.extend(measured);
        timings.insert(format!("table_{}_ms", input.table), t.elapsed().as_millis() as u64);
        tracing::info!(table = %input.table, rows = table.rows_in, corrected = table.corrected, rejected = table.rejected, ms = t.elapsed().as_millis() as u64, "table checked");
        if table.rows_in != table.corrected + table.rejected {
            return Err(Error::Internal(format!(
                "row conservation broken for `{}`: {} rows in, {} corrected + {} rejected",
                table.table, table.rows_in, table.corrected, table.rejected
            )));
        }
        tables.push(table);
        inputs.push(input_report);
    }
    for (ri, reason) in &related.not_run {
        let message = format!(
            "Not checked: {reason}, so this rule could not run on any row. ({})",
            set.rules[*ri].message
        );
        write_table_level(
            &set,
            &config,
            &mut exceptions,
            &mut tables,
            *ri,
            State::NotChecked,
            "",
            &message,
        )?;
    }
    let judged = returns::judge(&set, &tables, &measures, &previous);
    for (ri, outcome) in &judged {
        let rule = &set.rules[*ri];
        match outcome {
            returns::Outcome::Pass(_) => {}
            returns::Outcome::Breach { figure, limit } => {
                let message = format!("{} ({figure}; the limit is {limit}.)", rule.message);
                write_table_level(
                    &set,
                    &config,
                    &mut exceptions,
                    &mut tables,
                    *ri,
                    State::Open,
                    figure,
                    &message,
                )?;
            }
            returns::Outcome::NotChecked(why) => {
                let message = format!("Not checked: {why}. ({})", rule.message);
                write_table_level(
                    &set,
                    &config,
                    &mut exceptions,
                    &mut tables,
                    *ri,
                    State::NotChecked,
                    "",
                    &message,
                )?;
            }
        }
    }
    let counts = exceptions.finish(&staging)?;
    let change_counts = changes.finish(&staging)?;

    let rules_report = rule_counts(&set, &counts, &related.not_run, &judged);
    let corrections_report = correction_counts(&set, &change_counts, &fixes.not_run);
    let with_input: Vec<&str> = config.inputs.iter().map(|i| i.table.as_str()).collect();
    let t = Instant::now();
    let mut report = RunReport {
        run_id: run_id.clone(),
        name: config.name.clone(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        started: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        finished: String::new(),
        as_of: as_of.format("%Y-%m-%d").to_string(),
        config: config.path.display().to_string(),
        inputs,
        rule_packs: set.packs.clone(),
        tables,
        rules: rules_report,
        corrections: corrections_report,
        tables_without_input: set
            .tables
            .iter()
            .map(|t| t.name.clone())
            .filter(|t| !with_input.contains(&t.as_str()))
            .collect(),
        timings_ms: timings,
    };
    let mut summary = staging.file("summary.md")?;
    summary
        .write_all(report::summary_markdown(&report).as_bytes())
        .map_err(|e| Error::io(staging.dir(), e))?;
    summary.flush().map_err(|e| Error::io(staging.dir(), e))?;
    report
        .timings_ms
        .insert("report_ms".to_string(), t.elapsed().as_millis() as u64);
    report
        .timings_ms
        .insert("total_ms".to_string(), t0.elapsed().as_millis() as u64);
    report.finished = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut json = staging.file("run.json")?;
    serde_json::to_writer_pretty(&mut json, &report).map_err(|e| Error::Internal(format!("writing run.json: {e}")))?;
    json.flush().map_err(|e| Error::io(staging.dir(), e))?;
    drop(json);
    let run_dir = staging.commit()?;
    Ok(RunOutcome { run_dir, report })
}

/// Write a finding about a whole table (no line) to the exceptions.
#[allow(clippy::too_many_arguments)]
fn write_table_level(
    set: &RuleSet,
    config: &Config,
    exceptions: &mut Exceptions,
    tables: &mut [TableReport],
    rule: usize,
    state: State,
    value: &str,
    message: &str,
) -> Result<()> {
    let rule = &set.rules[rule];
    let table = &set.tables[rule.table];
    let Some(report) = tables.iter_mut().find(|t| t.table == table.name) else {
        return Ok(());
    };
    let columns = rule
        .columns
        .iter()
        .map(|&c| table.columns[c].header.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let file = config
        .inputs
        .iter()
        .find(|i| i.table == table.name)
        .map(|i| i.path.display().to_string())
        .unwrap_or_default();
    let row = Exception {
        line: None,
        key: "",
        rule_id: &rule.id,
        severity: rule.severity,
        columns: &columns,
        value,
        message,
        state,
    };
    exceptions.write(report, &file, row)
}

/// Open every export and match its header before any row is checked, so one
/// run reports every missing or ambiguous column in every file.
fn open_inputs(config: &Config, set: &RuleSet) -> Result<Vec<CsvSource<std::fs::File>>> {
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    for input in &config.inputs {
        let table = &set.tables[set.table(&input.table).expect("inputs checked")];
        match CsvSource::open(&input.path, table, input.encoding, input.delimiter) {
            Ok(s) => sources.push(s),
            Err(Error::Input(p)) => problems.extend(p),
            Err(e) => return Err(e),
        }
    }
    if problems.is_empty() {
        Ok(sources)
    } else {
        Err(Error::Input(problems))
    }
}

/// Every input must name a declared table: checked before any output is made.
fn check_inputs(config: &Config, set: &RuleSet) -> Result<()> {
    let diags: Vec<Diagnostic> = config
        .inputs
        .iter()
        .filter(|i| set.table(&i.table).is_none())
        .map(|i| {
            let (file, span) = &i.table_at;
            Diagnostic::new(
                "unknown-table",
                file,
                span.clone(),
                format!("no rule pack declares a table `{}`", i.table),
            )
            .label("unknown table")
            .maybe_help(did_you_mean(&i.table, set.tables.iter().map(|t| t.name.as_str())))
        })
        .collect();
    if diags.is_empty() {
        Ok(())
    } else {
        Err(Error::Rules(diags))
    }
}

fn csv_io(path: &Path, e: csv::Error) -> Error {
    Error::io(path, std::io::Error::other(e.to_string()))
}

/// Per rule id: findings where the rule failed, where it could not be
/// checked, and where it failed on the export's value but not the corrected one.
type Counts = HashMap<String, [u64; 3]>;

/// Where a finding stands after corrections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The row breaks the rule.
    Open,
    /// The rule could not be evaluated on the row.
    NotChecked,
    /// The export's value broke the rule; the corrected value does not.
    Corrected,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::NotChecked => "not checked",
            State::Corrected => "corrected",
        }
    }
}

/// `exceptions.csv`, and the per-rule counts that go into run.json.
struct Exceptions {
    writer: csv::Writer<std::io::BufWriter<std::fs::File>>,
    counts: Counts,
}

/// One line of `exceptions.csv`, less the table and file.
struct Exception<'a> {
    /// The row's line; `None` for a finding about the whole run.
    line: Option<u64>,
    key: &'a str,
    rule_id: &'a str,
    severity: Severity,
    columns: &'a str,
    value: &'a str,
    message: &'a str,
    state: State,
}

impl Exceptions {
    const HEADER: [&str; 10] = [
        "table",
        "source_file",
        "line",
        "record_key",
        "rule_id",
        "severity",
        "status",
        "columns",
        "value",
        "message",
    ];

    fn create(staging: &Staging) -> Result<Self> {
        let mut writer = csv::Writer::from_writer(staging.file("exceptions.csv")?);
        writer
            .write_record(Self::HEADER)
            .map_err(|e| csv_io(staging.dir(), e))?;
        Ok(Exceptions {
            writer,
            counts: Counts::new(),
        })
    }

    fn write(&mut self, report: &mut TableReport, source_file: &str, e: Exception) -> Result<()> {
        let slot = match e.state {
            State::Open => 0,
            State::NotChecked => 1,
            State::Corrected => 2,
        };
        self.counts.entry(e.rule_id.to_string()).or_default()[slot] += 1;
        if e.state != State::Corrected {
            match e.severity {
                Severity::Error => report.errors += 1,
                Severity::Warning => report.warnings += 1,
                Severity::Info => report.infos += 1,
            }
        }
        let line = e.line.map_or_else(String::new, |l| l.to_string());
        self.writer
            .write_record([
                &report.table,
                source_file,
                &line,
                e.key,
                e.rule_id,
                e.severity.as_str(),
                e.state.as_str(),
                e.columns,
                e.value,
                e.message,
            ])
            .map_err(|err| Error::io(source_file, std::io::Error::other(err.to_string())))
    }

    fn finish(mut self, staging: &Staging) -> Result<Counts> {
        self.writer.flush().map_err(|e| Error::io(staging.dir(), e))?;
        Ok(self.counts)
    }
}

/// Per correction: cells changed, proposed for review, and withheld as conflicts.
type ChangeCounts = HashMap<usize, [u64; 3]>;

/// `changes.csv`: one row per cell a correction changed or proposes to.
struct Changes {
    writer: csv::Writer<std::io::BufWriter<std::fs::File>>,
    counts: ChangeCounts,
    /// (line, column) of the last conflict written.
    last_conflict: Option<(u64, usize)>,
}

impl Changes {
    const HEADER: [&str; 10] = [
        "table",
        "source_file",
        "line",
        "record_key",
        "column",
        "old_value",
        "new_value",
        "correction_id",
        "rule_id",
        "applied",
    ];

    fn create(staging: &Staging) -> Result<Self> {
        let mut writer = csv::Writer::from_writer(staging.file("changes.csv")?);
        writer
            .write_record(Self::HEADER)
            .map_err(|e| csv_io(staging.dir(), e))?;
        Ok(Changes {
            writer,
            counts: ChangeCounts::new(),
            last_conflict: None,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn write(
        &mut self,
        report: &mut TableReport,
        source_file: &str,
        line: u64,
        key: &str,
        column: &str,
        change: &Change,
        correction_id: &str,
        rule_ids: &str,
    ) -> Result<()> {
        let slot = match change.status {
            fix::Status::Applied => {
                report.cells_changed += 1;
                0
            }
            fix::Status::Proposed => {
                report.changes_proposed += 1;
                1
            }
            fix::Status::Conflict => {
                // Counted once per cell, however many corrections disagreed on it.
                let cell = (line, change.column);
                if self.last_conflict != Some(cell) {
                    report.conflicts += 1;
                    self.last_conflict = Some(cell);
                }
                2
            }
        };
        self.counts.entry(change.correction).or_default()[slot] += 1;
        self.writer
            .write_record([
                report.table.as_str(),
                source_file,
                &line.to_string(),
                key,
                column,
                &change.old,
                &change.new,
                correction_id,
                rule_ids,
                change.status.as_str(),
            ])
            .map_err(|err| Error::io(source_file, std::io::Error::other(err.to_string())))
    }

    fn finish(mut self, staging: &Staging) -> Result<ChangeCounts> {
        self.writer.flush().map_err(|e| Error::io(staging.dir(), e))?;
        Ok(self.counts)
    }
}

/// Where a table's routing writes what it found and changed.
struct Sinks<'a> {
    exceptions: &'a mut Exceptions,
    changes: &'a mut Changes,
}

/// A batch corrected and checked, with what the corrections resolved.
struct Fixed {
    checked: Checked,
    /// Every change, applied or not, in row order.
    changes: Vec<Change>,
    /// The export's values of the rows corrections changed, checked as they
    /// were: `rows[i]` is the batch row of sub-batch row `i`.
    before: Option<(Vec<u32>, Checked)>,
    /// Findings on the export's values that the corrected values do not
    /// have, with `row` indexing `before`'s rows; in row order.
    resolved: Vec<Finding>,
}

/// Correct a batch, check the corrected values, and check the changed rows'
/// original values too, to tell which findings the corrections resolved.
fn correct_and_check(
    set: &RuleSet,
    plan: &crate::plan::TablePlan,
    header: &[Option<usize>],
    corrector: &Corrector,
    mut raw: crate::ingest::RawBatch,
) -> datafusion::common::Result<Fixed> {
    let original = (!corrector.is_empty()).then(|| raw.columns.clone());
    let changes = corrector
        .apply(&mut raw)
        .map_err(|e| datafusion::common::DataFusionError::External(Box::new(e)))?;
    let mut rows: Vec<u32> = changes
        .iter()
        .filter(|c| c.status == fix::Status::Applied)
        .map(|c| c.row)
        .collect();
    rows.dedup();
    let before = match original {
        Some(columns) if !rows.is_empty() => {
            let idx = datafusion::arrow::array::UInt32Array::from(rows.clone());
            let sub = crate::ingest::RawBatch {
                lines: rows.iter().map(|&r| raw.lines[r as usize]).collect(),
                columns: columns
                    .iter()
                    .map(|a| datafusion::arrow::compute::take(a.as_ref(), &idx, None))
                    .collect::<std::result::Result<_, _>>()?,
                bad: Vec::new(),
                encoding_issues: Vec::new(),
                fields_1252: 0,
            };
            Some((rows, check_batch(set, plan, header, sub)?))
        }
        _ => None,
    };
    let checked = check_batch(set, plan, header, raw)?;
    let mut resolved = Vec::new();
    if let Some((rows, b)) = &before {
        // Both lists are sorted by row.
        for f in &b.findings {
            let row = rows[f.row as usize];
            let from = checked.findings.partition_point(|a| a.row < row);
            let still = checked.findings[from..]
                .iter()
                .take_while(|a| a.row == row)
                .any(|a| a.rule == f.rule && a.column == f.column);
            if !still {
                resolved.push(f.clone());
            }
        }
    }
    Ok(Fixed {
        checked,
        changes,
        before,
        resolved,
    })
}

/// Hashes keyed by hashes: no need to hash them again.
#[derive(Default)]
struct Identity(u64);
impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}
type SeenMap = HashMap<u64, u64, BuildHasherDefault<Identity>>;

/// Per `share` rule of a table: (rule, [rows it applies to, rows meeting it, rows not evaluable]).
type Measured = Vec<(usize, [u64; 3])>;

/// One export to check, with what the relate stage found in it.
struct TableJob<'a> {
    input: &'a Input,
    source: CsvSource<std::fs::File>,
    /// Cross-table findings, by line.
    related: Vec<(u64, Finding)>,
}

fn process_table(
    set: &RuleSet,
    config: &Config,
    fixes: &fix::Fixes,
    job: TableJob,
    staging: &Staging,
    sinks: Sinks,
    batch_rows: usize,
) -> Result<(TableReport, InputReport, Measured)> {
    let Sinks { exceptions, changes } = sinks;
    let TableJob {
        input,
        mut source,
        related,
    } = job;
    let mut related = related.into_iter().peekable();
    let ti = set.table(&input.table).expect("inputs checked");
    let table = &set.tables[ti];
    let plan = plan_table(set, ti, config.pivot)?;
    let header = source.header.clone();
    let corrector = fixes.corrector(set, ti, &header.columns, config.pivot);
    let source_file = input.path.display().to_string();
    let out_err = |e: csv::Error| csv_io(staging.dir(), e);

    let mut corrected = csv::Writer::from_writer(staging.file(&format!("corrected/{}.csv", table.name))?);
    corrected.write_record(&header.names).map_err(out_err)?;
    // Flexible: a ragged row keeps all its fields, however many.
    let mut rejected = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(staging.file(&format!("rejected/{}.csv", table.name))?);
    rejected
        .write_record(
            ["source_file", "line", "rule_ids"]
                .into_iter()
                .chain(header.names.iter().map(String::as_str)),
        )
        .map_err(out_err)?;

    let mut report = TableReport {
        table: table.name.clone(),
        rows_in: 0,
        corrected: 0,
        rejected: 0,
        errors: 0,
        warnings: 0,
        infos: 0,
        cells_changed: 0,
        changes_proposed: 0,
        conflicts: 0,
    };
    let mut fields_1252 = 0;
    let mut measured: Vec<(usize, [u64; 3])> = plan.measures.iter().map(|m| (m.rule, [0; 3])).collect();
    let mut dup_seen = SeenMap::default();
    let mut unique_seen: Vec<SeenMap> = plan.uniques.iter().map(|_| SeenMap::default()).collect();

    let (tx, rx) = mpsc::sync_channel::<Result<crate::ingest::RawBatch>>(4);
    let reader_thread = std::thread::spawn(move || {
        let mut ingest = std::time::Duration::ZERO;
        loop {
            let t = Instant::now();
            let next = source.next_batch(batch_rows);
            ingest += t.elapsed();
            match next {
                Ok(Some(b)) => {
                    if tx.send(Ok(b)).is_err() {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    break;
                }
            }
        }
        (source.rows_read, source.sha256(), ingest)
    });
    let (mut check_time, mut route_time) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    let group = rayon::current_num_threads().max(1) * 2;
    let mut row_ids: Vec<&str> = Vec::new();
    loop {
        let mut raw = Vec::with_capacity(group);
        for b in rx.iter().take(group) {
            raw.push(b?);
        }
        if raw.is_empty() {
            break;
        }
        let t = Instant::now();
        let checked: Vec<Fixed> = raw
            .into_par_iter()
            .map(|b| correct_and_check(set, &plan, &header.columns, &corrector, b))
            .collect::<datafusion::common::Result<_>>()
            .map_err(|e| Error::Internal(format!("checking `{}`: {e}", table.name)))?;
        check_time += t.elapsed();
        let t = Instant::now();
        for fixed in checked {
            let Fixed {
                checked: mut c,
                changes: batch_changes,
                before,
                resolved,
            } = fixed;
            let (mut next_change, mut next_resolved) = (0, 0);
            fields_1252 += c.raw.fields_1252;
            for ((_, total), m) in measured.iter_mut().zip(&c.measures) {
                for k in 0..3 {
                    total[k] += m[k];
                }
            }
            let n = c.raw.num_rows();
            let lines = &c.raw.lines;
            // Order-dependent checks, in file order.
            let mut extra = Vec::new();
            let mut is_dup = vec![false; n];
            if let (Some(rule), Some(hashes)) = (plan.duplicate_rows, &c.row_hashes) {
                for row in 0..n {
                    match dup_seen.entry(hashes[row]) {
                        std::collections::hash_map::Entry::Occupied(e) => {
                            is_dup[row] = true;
                            extra.push(Finding {
                                rule,
                                row: row as u32,
                                column: None,
                                severity: set.rules[rule].severity,
                                detail: Detail::DuplicateOf { line: *e.get() },
                            });
                        }
                        std::collections::hash_map::Entry::Vacant(v) => {
                            v.insert(lines[row]);
                        }
                    }
                }
            }
            for (k, (rule, _)) in plan.uniques.iter().enumerate() {
                for row in 0..n {
                    if is_dup[row] {
                        continue;
                    }
                    if let Some(h) = c.unique_hashes[k][row] {
                        match unique_seen[k].entry(h) {
                            std::collections::hash_map::Entry::Occupied(e) => extra.push(Finding {
                                rule: *rule,
                                row: row as u32,
                                column: None,
                                severity: set.rules[*rule].severity,
                                detail: Detail::DuplicateOf { line: *e.get() },
                            }),
                            std::collections::hash_map::Entry::Vacant(v) => {
                                v.insert(lines[row]);
                            }
                        }
                    }
                }
            }
            for issue in &c.raw.encoding_issues {
                extra.push(Finding {
                    rule: usize::MAX,
                    row: issue.row,
                    column: Some(issue.file_column as usize),
                    severity: Severity::Error,
                    detail: Detail::Fail,
                });
            }
            if !extra.is_empty() {
                c.findings.extend(extra);
                c.findings.sort_by_key(|f| (f.row, f.rule));
            }
            // Route every row, merging set-aside rows back in by line.
            let mut bad = c.raw.bad.iter().peekable();
            let mut fi = 0;
            let raws: Vec<&StringArray> = c
                .raw
                .columns
                .iter()
                .map(|a| a.as_any().downcast_ref::<StringArray>().expect("text"))
                .collect();
            let declared: Vec<&StringArray> = c
                .declared_raw
                .iter()
                .map(|a| a.as_any().downcast_ref::<StringArray>().expect("text"))
                .collect();
            for row in 0..=n {
                let line = if row < n { lines[row] } else { u64::MAX };
                while let Some(b) = bad.next_if(|b| b.line < line) {
                    let (rule_id, message) = match &b.kind {
                        BadRowKind::Ragged { found, expected, lines } => (
                            crate::run::ingest_rules::RAGGED,
                            if *lines > 1 {
                                format!(
                                    "The row has {found} fields but the header has {expected}, and runs over {lines} lines: look for a quote that is opened and never closed."
                                )
                            } else {
                                format!(
                                    "The row has {found} fields but the header has {expected}: look for an unquoted {} or a missing value.",
                                    delimiter_name(input.delimiter)
                                )
                            },
                        ),
                        BadRowKind::Blank => (
                            crate::run::ingest_rules::BLANK,
                            "The row is entirely blank.".to_string(),
                        ),
                    };
                    let value = b.fields.join(&(input.delimiter as char).to_string());
                    exceptions.write(
                        &mut report,
                        &source_file,
                        Exception {
                            line: Some(b.line),
                            key: "",
                            rule_id,
                            severity: Severity::Error,
                            columns: "",
                            value: &value,
                            message: &message,
                            state: State::Open,
                        },
                    )?;
                    let mut fields: Vec<String> = vec![source_file.clone(), b.line.to_string(), rule_id.to_string()];
                    fields.extend(b.fields.iter().cloned());
                    fields.resize(3 + header.names.len().max(b.fields.len()), String::new());
                    rejected.write_record(&fields).map_err(out_err)?;
                    report.rows_in += 1;
                    report.rejected += 1;
                }
                if row == n {
                    break;
                }
                report.rows_in += 1;
                let start = fi;
                while fi < c.findings.len() && c.findings[fi].row as usize == row {
                    fi += 1;
                }
                let merged: Vec<Finding>;
                let findings = if related.peek().is_some_and(|(l, _)| *l == line) {
                    let mut all = c.findings[start..fi].to_vec();
                    while let Some((_, f)) = related.next_if(|(l, _)| *l == line) {
                        all.push(f);
                    }
                    merged = all;
                    &merged[..]
                } else {
                    &c.findings[start..fi]
                };
                // This row's changes, and the findings its corrections resolved.
                let row32 = row as u32;
                let from = next_change;
                while next_change < batch_changes.len() && batch_changes[next_change].row == row32 {
                    next_change += 1;
                }
                let row_changes = &batch_changes[from..next_change];
                let from = next_resolved;
                if let Some((rows, _)) = &before {
                    while next_resolved < resolved.len() && rows[resolved[next_resolved].row as usize] == row32 {
                        next_resolved += 1;
                    }
                }
                let row_resolved = &resolved[from..next_resolved];
                let key = if findings.is_empty() && row_changes.is_empty() {
                    String::new()
                } else {
                    record_key(table, &declared, row)
                };
                let mut has_error = false;
                row_ids.clear();
                for f in findings {
                    has_error |= f.severity == Severity::Error;
                    let (rule_id, columns, value, message) =
                        describe(set, table, &header.names, &raws, &declared, f, row);
                    let state = if matches!(f.detail, Detail::Unparsed { .. } | Detail::EvalError(_)) {
                        State::NotChecked
                    } else {
                        State::Open
                    };
                    exceptions.write(
                        &mut report,
                        &source_file,
                        Exception {
                            line: Some(line),
                            key: &key,
                            rule_id,
                            severity: f.severity,
                            columns: &columns,
                            value: &value,
                            message: &message,
                            state,
                        },
                    )?;
                    if !row_ids.contains(&rule_id) {
                        row_ids.push(rule_id);
                    }
                }
                if let Some((_, b)) = &before {
                    let b_raws: Vec<&StringArray> = b
                        .raw
                        .columns
                        .iter()
                        .map(|a| a.as_any().downcast_ref::<StringArray>().expect("text"))
                        .collect();
                    let b_declared: Vec<&StringArray> = b
                        .declared_raw
                        .iter()
                        .map(|a| a.as_any().downcast_ref::<StringArray>().expect("text"))
                        .collect();
                    for f in row_resolved {
                        let (rule_id, columns, value, message) =
                            describe(set, table, &header.names, &b_raws, &b_declared, f, f.row as usize);
                        let rule_columns = f.column.map_or_else(|| set.rules[f.rule].columns.clone(), |c| vec![c]);
                        let mut by: Vec<&str> = row_changes
                            .iter()
                            .filter(|ch| ch.status == fix::Status::Applied && rule_columns.contains(&ch.column))
                            .map(|ch| set.corrections[ch.correction].id.as_str())
                            .collect();
                        by.dedup();
                        let message = if by.is_empty() {
                            format!("{message} Corrected (see changes.csv).")
                        } else {
                            format!("{message} Corrected by {} (see changes.csv).", by.join(", "))
                        };
                        exceptions.write(
                            &mut report,
                            &source_file,
                            Exception {
                                line: Some(line),
                                key: &key,
                                rule_id,
                                severity: f.severity,
                                columns: &columns,
                                value: &value,
                                message: &message,
                                state: State::Corrected,
                            },
                        )?;
                    }
                }
                for ch in row_changes {
                    let correction = &set.corrections[ch.correction];
                    // The rule it fixes: the one it is attached to, else those
                    // whose findings on this cell it resolved.
                    let rule_ids = match &correction.rule {
                        Some(r) => r.clone(),
                        None => {
                            let mut ids: Vec<&str> = row_resolved
                                .iter()
                                .filter(|f| f.column == Some(ch.column) && f.rule != usize::MAX)
                                .map(|f| set.rules[f.rule].id.as_str())
                                .collect();
                            ids.dedup();
                            ids.join(";")
                        }
                    };
                    let column = header.columns[ch.column].map_or("", |i| header.names[i].trim());
                    changes.write(
                        &mut report,
                        &source_file,
                        line,
                        &key,
                        column,
                        ch,
                        &correction.id,
                        &rule_ids,
                    )?;
                }
                if has_error {
                    report.rejected += 1;
                    let ids = row_ids.join(";");
                    let line_s = line.to_string();
                    rejected
                        .write_record(
                            [source_file.as_str(), line_s.as_str(), ids.as_str()]
                                .into_iter()
                                .chain(raws.iter().map(|a| a.value(row))),
                        )
                        .map_err(out_err)?;
                } else {
                    report.corrected += 1;
                    corrected
                        .write_record(raws.iter().map(|a| a.value(row)))
                        .map_err(out_err)?;
                }
            }
        }
        route_time += t.elapsed();
    }
    let (rows_read, sha256, ingest_time) = reader_thread
        .join()
        .map_err(|_| Error::Internal("the reader thread panicked".into()))?;
    if rows_read != report.rows_in {
        return Err(Error::Internal(format!(
            "`{}`: read {rows_read} rows but routed {}",
            table.name, report.rows_in
        )));
    }
    corrected.flush().map_err(|e| Error::io(staging.dir(), e))?;
    rejected.flush().map_err(|e| Error::io(staging.dir(), e))?;
    let input_report = InputReport {
        table: table.name.clone(),
        file: source_file.clone(),
        sha256,
        rows: report.rows_in,
        fields_read_as_windows_1252: fields_1252,
        ingest_ms: ingest_time.as_millis() as u64,
        check_ms: check_time.as_millis() as u64,
        route_and_write_ms: route_time.as_millis() as u64,
        extra_columns: header
            .extra
            .iter()
            .map(|&i| header.names[i].trim().to_string())
            .collect(),
    };
    Ok((report, input_report, measured))
}

fn delimiter_name(d: u8) -> String {
    match d {
        b',' => "comma".to_string(),
        b';' => "semicolon".to_string(),
        b'\t' => "tab".to_string(),
        b'|' => "bar (|)".to_string(),
        other => format!("`{}`", other as char),
    }
}

/// The table's key values, identifying the record in the exceptions report.
fn record_key(table: &crate::rules::Table, declared: &[&StringArray], row: usize) -> String {
    let mut out = String::new();
    for (i, &k) in table.key.iter().enumerate() {
        if i > 0 {
            out.push_str(" | ");
        }
        out.push_str(declared[k].value(row).trim());
    }
    out
}

/// rule id, columns, value and message of one finding, for the exceptions report.
fn describe<'a>(
    set: &'a RuleSet,
    table: &crate::rules::Table,
    file_headers: &[String],
    raws: &[&StringArray],
    declared: &[&StringArray],
    f: &Finding,
    row: usize,
) -> (&'a str, String, String, String) {
    if f.rule == usize::MAX {
        let col = f.column.unwrap_or(0);
        let header = file_headers.get(col).map_or("", |h| h.trim());
        return (
            ingest_rules::ENCODING,
            header.to_string(),
            raws[col].value(row).to_string(),
            format!(
                "{header} is not valid UTF-8; it was read with replacement characters (check the export's encoding, or set `encoding: auto`)."
            ),
        );
    }
    let rule = &set.rules[f.rule];
    let header = |c: usize| table.columns[c].header.as_str();
    let value_of = |c: usize| declared[c].value(row);
    let cols: Vec<usize> = match f.column {
        Some(c) if rule.kind != "check" => vec![c],
        Some(c) if rule.columns.is_empty() => vec![c],
        _ => rule.columns.clone(),
    };
    let columns = cols.iter().map(|&c| header(c)).collect::<Vec<_>>().join("; ");
    let value = match cols[..] {
        [c] => value_of(c).to_string(),
        _ => cols
            .iter()
            .map(|&c| format!("{}={}", header(c), value_of(c)))
            .collect::<Vec<_>>()
            .join("; "),
    };
    let message = match &f.detail {
        Detail::Fail => rule.message.clone(),
        Detail::Unparsed { column } => format!(
            "Not checked: {} is not {}, so this rule could not be applied. ({})",
            header(*column),
            table.columns[*column].ty.describe(),
            rule.message
        ),
        Detail::EvalError(e) => format!(
            "Not checked: the rule could not be evaluated on this row ({e}). ({})",
            rule.message
        ),
        Detail::DuplicateOf { line } => format!("{} The first copy, on line {line}, was kept.", rule.message),
        Detail::ContradictedBy { table, line } => {
            format!("{} (see {} line {line}.)", rule.message, set.tables[*table].name)
        }
    };
    (rule.id.as_str(), columns, value, message)
}

fn rule_counts(
    set: &RuleSet,
    counts: &Counts,
    not_run: &[(usize, String)],
    judged: &[(usize, returns::Outcome)],
) -> Vec<RuleCount> {
    let mut out: Vec<RuleCount> = set
        .rules
        .iter()
        .map(|r| RuleCount {
            id: r.id.clone(),
            table: set.tables[r.table].name.clone(),
            kind: r.kind.to_string(),
            severity: r.severity,
            message: r.message.clone(),
            findings: counts.get(&r.id).map_or(0, |c| c[0]),
            not_checked: counts.get(&r.id).map_or(0, |c| c[1]),
            corrected: counts.get(&r.id).map_or(0, |c| c[2]),
            not_run: not_run
                .iter()
                .find(|(i, _)| set.rules[*i].id == r.id)
                .map(|(_, why)| why.clone())
                .or_else(|| {
                    judged
                        .iter()
                        .find(|(i, _)| set.rules[*i].id == r.id)
                        .and_then(|(_, o)| match o {
                            returns::Outcome::NotChecked(why) => Some(why.clone()),
                            _ => None,
                        })
                }),
            measured: judged
                .iter()
                .find(|(i, _)| set.rules[*i].id == r.id)
                .and_then(|(_, o)| o.figure().map(str::to_string)),
        })
        .collect();
    for (id, message) in [
        (
            ingest_rules::RAGGED,
            "Rows with a different number of fields from the header.",
        ),
        (ingest_rules::BLANK, "Entirely blank rows."),
        (
            ingest_rules::ENCODING,
            "Values that are not valid in the declared encoding.",
        ),
    ] {
        out.push(RuleCount {
            id: id.to_string(),
            table: String::new(),
            kind: "ingest".to_string(),
            severity: Severity::Error,
            message: message.to_string(),
            findings: counts.get(id).map_or(0, |c| c[0]),
            not_checked: 0,
            corrected: 0,
            not_run: None,
            measured: None,
        });
    }
    out
}

fn correction_counts(
    set: &RuleSet,
    counts: &ChangeCounts,
    not_run: &[(usize, String)],
) -> Vec<crate::report::CorrectionCount> {
    set.corrections
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let n = counts.get(&i).copied().unwrap_or_default();
            crate::report::CorrectionCount {
                id: c.id.clone(),
                table: set.tables[c.table].name.clone(),
                kind: c.kind.to_string(),
                apply: c.apply,
                rule: c.rule.clone(),
                applied: n[0],
                proposed: n[1],
                conflicts: n[2],
                not_run: not_run.iter().find(|(x, _)| *x == i).map(|(_, why)| why.clone()),
            }
        })
        .collect()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of some bytes, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}
