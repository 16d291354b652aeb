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
use crate::ingest::{BadRowKind, CsvSource};
use crate::plan::plan_table;
use crate::publish::Staging;
use crate::relate::relate;
use crate::report::{self, InputReport, RuleCount, RunReport, TableReport};
use crate::rules::{self, RuleSet, Semantics, Severity};

pub struct RunOptions {
    pub config: PathBuf,
    pub out: PathBuf,
    /// Overrides the configuration's `as_of`.
    pub as_of: Option<chrono::NaiveDate>,
    /// Rows per batch (tests use small batches to exercise batch edges).
    pub batch_rows: usize,
}

impl RunOptions {
    pub fn new(config: impl Into<PathBuf>, out: impl Into<PathBuf>) -> Self {
        RunOptions {
            config: config.into(),
            out: out.into(),
            as_of: None,
            batch_rows: 16 * 1024,
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
    let mut related = relate(&set, &config, opts.batch_rows)?;
    timings.insert("relate_ms".to_string(), t.elapsed().as_millis() as u64);
    let staging = Staging::create(&opts.out, started)?;
    let run_id = staging.run_id().to_string();
    let mut exceptions = Exceptions::create(&staging)?;
    let mut tables = Vec::new();
    let mut inputs = Vec::new();
    for (input, source) in config.inputs.iter().zip(sources) {
        let t = Instant::now();
        let job = TableJob {
            input,
            source,
            related: related.take(set.table(&input.table).expect("inputs checked")),
        };
        let (table, input_report) = process_table(&set, &config, job, &staging, &mut exceptions, opts.batch_rows)?;
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
        let rule = &set.rules[*ri];
        let table = &set.tables[rule.table];
        let Some(report) = tables.iter_mut().find(|t| t.table == table.name) else {
            continue;
        };
        let columns = rule
            .columns
            .iter()
            .map(|&c| table.columns[c].header.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let message = format!(
            "Not checked: {reason}, so this rule could not run on any row. ({})",
            rule.message
        );
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
            value: "",
            message: &message,
            not_checked: true,
        };
        exceptions.write(report, &file, row)?;
    }
    let counts = exceptions.finish(&staging)?;

    let rules_report = rule_counts(&set, &counts, &related.not_run);
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

/// Per rule id: findings where the rule failed, and where it could not be checked.
type Counts = HashMap<String, [u64; 2]>;

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
    /// The rule could not be evaluated on the row (counted apart from failures).
    not_checked: bool,
}

impl Exceptions {
    const HEADER: [&str; 9] = [
        "table",
        "source_file",
        "line",
        "record_key",
        "rule_id",
        "severity",
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
        self.counts.entry(e.rule_id.to_string()).or_default()[usize::from(e.not_checked)] += 1;
        match e.severity {
            Severity::Error => report.errors += 1,
            Severity::Warning => report.warnings += 1,
            Severity::Info => report.infos += 1,
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
    job: TableJob,
    staging: &Staging,
    exceptions: &mut Exceptions,
    batch_rows: usize,
) -> Result<(TableReport, InputReport)> {
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
    };
    let mut fields_1252 = 0;
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
        let checked: Vec<Checked> = raw
            .into_par_iter()
            .map(|b| check_batch(set, &plan, &header.columns, b))
            .collect::<datafusion::common::Result<_>>()
            .map_err(|e| Error::Internal(format!("checking `{}`: {e}", table.name)))?;
        check_time += t.elapsed();
        let t = Instant::now();
        for mut c in checked {
            fields_1252 += c.raw.fields_1252;
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
                            not_checked: false,
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
                let key = if findings.is_empty() {
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
                    let not_checked = matches!(f.detail, Detail::Unparsed { .. } | Detail::EvalError(_));
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
                            not_checked,
                        },
                    )?;
                    if !row_ids.contains(&rule_id) {
                        row_ids.push(rule_id);
                    }
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
    Ok((report, input_report))
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

fn rule_counts(set: &RuleSet, counts: &Counts, not_run: &[(usize, String)]) -> Vec<RuleCount> {
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
            not_run: not_run
                .iter()
                .find(|(i, _)| set.rules[*i].id == r.id)
                .map(|(_, why)| why.clone()),
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
            not_run: None,
        });
    }
    out
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of some bytes, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}
