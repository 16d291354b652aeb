//! Route: each table's batches are corrected and checked in parallel, then
//! taken in file order to resolve the order-dependent checks (`unique`,
//! `duplicate_rows`), merge in the findings of rules over whole tables, and
//! send every row to exactly one of the corrected or rejected outputs,
//! writing its findings to `exceptions.csv` and its changes to `changes.csv`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Instant;

use datafusion::arrow::array::{Array, StringArray};
use rayon::prelude::*;

use crate::engine::TEXT;
use crate::engine::check::{Checked, check_batch};
use crate::engine::load::{Export, add_changes};
use crate::engine::plan::plan_table;
use crate::fixes::{self, Change, Corrector};
use crate::model;
use crate::model::counts::{FindingCounts, GroupCounts, ShareCounts};
use crate::model::error::Result;
use crate::model::finding::{Detail, Finding};
use crate::model::table::Severity;
use crate::output::history::{self, Kept};
use crate::output::publish::Staging;
use crate::output::report::{Breakdown, Group, InputReport, TableReport};
use crate::output::sheet::SheetFile;
use crate::source::BadRowKind;
use crate::source::held::Batch;
use crate::source::ingest_rules;
use crate::spec::config::{BreakdownSpec, Config, Input};
use crate::spec::rules::RuleSet;

/// Per rule id: findings where the rule failed, where it could not be
/// checked, and where it failed on the export's value but not the corrected one.
pub(crate) type Counts = HashMap<String, FindingCounts>;

/// Where a finding stands after corrections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
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
            State::Open => "new",
            State::NotChecked => "not checked",
            State::Corrected => "corrected",
        }
    }
}

/// `exceptions.csv`, and the per-rule counts that go into run.json.
pub(crate) struct Exceptions {
    writer: SheetFile,
    counts: Counts,
    /// Each open finding of the previous run, by fingerprint: its first day.
    previous: HashMap<String, chrono::NaiveDate>,
    as_of: chrono::NaiveDate,
    /// This run's open findings, for the history.
    kept: Vec<Kept>,
}

/// One line of `exceptions.csv`, less the table and file.
pub(crate) struct Exception<'a> {
    /// The row's line; `None` for a finding about the whole run.
    pub(crate) line: Option<u64>,
    pub(crate) key: &'a str,
    pub(crate) rule_id: &'a str,
    pub(crate) severity: Severity,
    pub(crate) columns: &'a str,
    pub(crate) value: &'a str,
    pub(crate) message: &'a str,
    pub(crate) state: State,
}

impl Exceptions {
    const HEADER: [&str; 11] = [
        "table",
        "source_file",
        "line",
        "record_key",
        "rule_id",
        "severity",
        "status",
        "first_seen",
        "columns",
        "value",
        "message",
    ];

    /// `previous`: the previous run's open findings (see [`crate::output::history`]), to tell a new
    /// finding from one still open since an earlier run.
    pub(crate) fn create(staging: &Staging, previous: history::Previous, as_of: chrono::NaiveDate) -> Result<Self> {
        let name = "exceptions.csv";
        let mut writer = SheetFile::new(staging.path(name), staging.file(name)?);
        writer.write_record(Self::HEADER)?;
        Ok(Exceptions {
            writer,
            counts: Counts::new(),
            previous: previous.first_seen,
            as_of,
            kept: Vec::new(),
        })
    }

    pub(crate) fn write(&mut self, report: &mut TableReport, source_file: &str, e: Exception) -> Result<()> {
        let counts = self.counts.entry(e.rule_id.to_string()).or_default();
        match e.state {
            State::Open => counts.open += 1,
            State::NotChecked => counts.not_checked += 1,
            State::Corrected => counts.corrected += 1,
        }
        if e.state != State::Corrected {
            match e.severity {
                Severity::Error => report.errors += 1,
                Severity::Warning => report.warnings += 1,
                Severity::Info => report.infos += 1,
            }
        }
        let line = e.line.map_or_else(String::new, |l| l.to_string());
        // An open finding's life: new this run, or open since the day it was first found.
        let (status, first_seen) = match e.state {
            State::Open => {
                let print = history::fingerprint(e.rule_id, &report.table, e.key, e.columns, e.line);
                let (status, first) = match self.previous.get(&print) {
                    Some(&day) => ("open", day),
                    None => ("new", self.as_of),
                };
                self.kept.push(Kept {
                    table: report.table.clone(),
                    rule_id: e.rule_id.to_string(),
                    severity: e.severity,
                    fingerprint: print,
                    first_seen: first,
                });
                (status, first.format("%Y-%m-%d").to_string())
            }
            other => (other.as_str(), String::new()),
        };
        self.writer.write_record([
            &report.table,
            source_file,
            &line,
            e.key,
            e.rule_id,
            e.severity.as_str(),
            status,
            &first_seen,
            e.columns,
            &shorten(e.value),
            e.message,
        ])
    }

    /// The per-rule counts, and this run's open findings for the history.
    pub(crate) fn finish(self) -> Result<(Counts, Vec<Kept>)> {
        self.writer.finish()?;
        Ok((self.counts, self.kept))
    }
}

/// Per correction: cells changed, proposed for review, and withheld as conflicts.
pub(crate) type ChangeCounts = HashMap<usize, model::counts::ChangeCounts>;

/// `changes.csv`: one row per cell a correction changed or proposes to.
pub(crate) struct Changes {
    writer: SheetFile,
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

    pub(crate) fn create(staging: &Staging) -> Result<Self> {
        let name = "changes.csv";
        let mut writer = SheetFile::new(staging.path(name), staging.file(name)?);
        writer.write_record(Self::HEADER)?;
        Ok(Changes {
            writer,
            counts: ChangeCounts::new(),
            last_conflict: None,
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn write(
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
        let counts = self.counts.entry(change.correction).or_default();
        match change.status {
            fixes::Status::Applied => {
                report.cells_changed += 1;
                counts.applied += 1;
            }
            fixes::Status::Proposed => {
                report.changes_proposed += 1;
                counts.proposed += 1;
            }
            fixes::Status::Conflict => {
                // Counted once per cell, however many corrections disagreed on it.
                let cell = (line, change.column);
                if self.last_conflict != Some(cell) {
                    report.conflicts += 1;
                    self.last_conflict = Some(cell);
                }
                counts.conflicts += 1;
            }
        }
        self.writer.write_record([
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
    }

    pub(crate) fn finish(self) -> Result<ChangeCounts> {
        self.writer.finish()?;
        Ok(self.counts)
    }
}

/// Where a table's routing writes what it found and changed.
pub(crate) struct Sinks<'a> {
    pub(crate) exceptions: &'a mut Exceptions,
    pub(crate) changes: &'a mut Changes,
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

/// Correct a batch the rest of the way, check the corrected values, and check the changed rows'
/// original values too, to tell which findings the corrections resolved. A correction's error
/// comes back as it was raised.
fn correct_and_check(
    set: &RuleSet,
    plan: &crate::engine::plan::TablePlan,
    header: &[Option<usize>],
    corrector: &Corrector,
    batch: Batch,
) -> Result<Fixed> {
    let Batch { mut raw, mut changes } = batch;
    let n = raw.num_rows();
    add_changes(&mut changes, corrector.apply(&mut raw.columns, n)?);
    let mut rows: Vec<u32> = changes
        .iter()
        .filter(|c| c.status == fixes::Status::Applied)
        .map(|c| c.row)
        .collect();
    rows.dedup();
    let before = (!rows.is_empty()).then(|| {
        let sub = originals(set, header, &raw, &changes, &rows);
        (rows, check_batch(set, plan, header, sub))
    });
    let checked = check_batch(set, plan, header, raw);
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

/// The export's own values of a batch's changed `rows` (in order), as they were before any
/// correction: each changed cell's value before its earliest stage's change.
fn originals(
    set: &RuleSet,
    header: &[Option<usize>],
    raw: &crate::source::RawBatch,
    changes: &[Change],
    rows: &[u32],
) -> crate::source::RawBatch {
    let idx = datafusion::arrow::array::UInt32Array::from(rows.to_vec());
    let mut columns: Vec<datafusion::arrow::array::ArrayRef> = raw
        .columns
        .iter()
        .map(|a| {
            datafusion::arrow::compute::take(a.as_ref(), &idx, None)
                .expect("`take` of a text column at rows of its own batch (every row < n)")
        })
        .collect();
    // (file column, row in `rows`) → (stage, the value before).
    let mut first: HashMap<(usize, usize), (crate::spec::fix::Stage, &str)> = HashMap::new();
    for ch in changes.iter().filter(|c| c.status == fixes::Status::Applied) {
        let Some(i) = header[ch.column] else { continue };
        let at = rows
            .binary_search(&ch.row)
            .expect("`rows` holds every row with an applied change");
        let stage = set.corrections[ch.correction].stage;
        let held = first.entry((i, at)).or_insert((stage, ch.old.as_str()));
        if stage < held.0 {
            *held = (stage, ch.old.as_str());
        }
    }
    let mut by_column: HashMap<usize, Vec<(usize, &str)>> = HashMap::new();
    for ((i, at), (_, old)) in first {
        by_column.entry(i).or_default().push((at, old));
    }
    for (i, cells) in by_column {
        let now = columns[i].as_any().downcast_ref::<StringArray>().expect(TEXT);
        let mut values: Vec<&str> = (0..now.len()).map(|r| now.value(r)).collect();
        for (at, old) in cells {
            values[at] = old;
        }
        columns[i] = std::sync::Arc::new(StringArray::from(values));
    }
    crate::source::RawBatch {
        lines: rows.iter().map(|&r| raw.lines[r as usize]).collect(),
        columns,
        bad: Vec::new(),
        encoding_issues: Vec::new(),
        fields_1252: 0,
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

/// Per `share` rule of a table: (rule, [rows it applies to, rows meeting it, rows not evaluable]).
pub(crate) type Measured = Vec<(usize, ShareCounts)>;

/// Per value of a breakdown column: records, records held back, open findings.
type Tally = HashMap<String, GroupCounts>;

/// A breakdown's tallies as the summary shows them: most problems first, and personal values
/// replaced by "Group 1", "Group 2"... in that order, so no name reaches the summary.
fn breakdown(spec: &BreakdownSpec, header: &str, counts: Tally) -> Breakdown {
    let mut groups: Vec<(String, GroupCounts)> = counts.into_iter().collect();
    groups.sort_by(|a, b| {
        (b.1.findings.cmp(&a.1.findings))
            .then(b.1.records.cmp(&a.1.records))
            .then(a.0.cmp(&b.0))
    });
    Breakdown {
        table: spec.table.clone(),
        column: header.trim().to_string(),
        label: spec.label.clone(),
        personal: spec.personal,
        groups: groups
            .into_iter()
            .enumerate()
            .map(|(i, (value, n))| Group {
                value: match (spec.personal, value.is_empty()) {
                    (true, _) => format!("Group {}", i + 1),
                    (false, true) => "(blank)".to_string(),
                    (false, false) => value,
                },
                records: n.records,
                rejected: n.rejected,
                findings: n.findings,
            })
            .collect(),
    }
}

/// One export to check, with what the relate stage found in it.
pub(crate) struct TableJob<'a> {
    pub(crate) input: &'a Input,
    pub(crate) export: Export,
    /// Cross-table findings, by line.
    pub(crate) related: Vec<(u64, Finding)>,
}

pub(crate) fn process_table(
    set: &RuleSet,
    config: &Config,
    fixes: &fixes::Fixes,
    job: TableJob,
    staging: &Staging,
    sinks: Sinks,
    batch_rows: usize,
) -> Result<(TableReport, InputReport, Measured, Vec<Breakdown>)> {
    let Sinks { exceptions, changes } = sinks;
    let TableJob { input, export, related } = job;
    let Export { header, batches, from } = export;
    let mut related = related.into_iter().peekable();
    let ti = set.table(&input.table).expect(crate::engine::INPUT_TABLES);
    let table = &set.tables[ti];
    let plan = plan_table(set, ti, config.pivot)?;
    let corrector = fixes.corrector(set, ti, &header.columns, config.pivot, from..);
    let source_file = input.path.display().to_string();

    let name = format!("corrected/{}.csv", table.name);
    let mut corrected = SheetFile::new(staging.path(&name), staging.file(&name)?);
    corrected.write_record(&header.names)?;
    // Flexible: a ragged row keeps all its fields, however many.
    let name = format!("rejected/{}.csv", table.name);
    let mut rejected = SheetFile::flexible(staging.path(&name), staging.file(&name)?);
    rejected.write_record(
        ["source_file", "line", "rule_ids"]
            .into_iter()
            .chain(header.names.iter().map(String::as_str)),
    )?;

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
    // The breakdowns the configuration asks for on this table, by the column's place in a row.
    let mut tallies: Vec<(&BreakdownSpec, usize, Tally)> = config
        .breakdown
        .iter()
        .filter(|b| b.table == table.name)
        .filter_map(|b| Some((b, header.columns[table.column(&b.column)?]?, HashMap::new())))
        .collect();
    let mut fields_1252 = 0;
    let (mut unclosed_quotes, mut lines_hidden) = (0u64, 0u64);
    let mut measured: Measured = plan.measures.iter().map(|m| (m.rule, ShareCounts::default())).collect();
    let mut dup_seen = SeenMap::default();
    let mut unique_seen: Vec<SeenMap> = plan.uniques.iter().map(|_| SeenMap::default()).collect();

    let (mut check_time, mut route_time) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    let mut row_ids: Vec<&str> = Vec::new();
    let ingested = batches.stream(batch_rows, |raw| {
        let t = Instant::now();
        let checked: Vec<Fixed> = raw
            .into_par_iter()
            .map(|b| correct_and_check(set, &plan, &header.columns, &corrector, b))
            .collect::<Result<_>>()?;
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
                *total += *m;
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
                .map(|a| a.as_any().downcast_ref::<StringArray>().expect(TEXT))
                .collect();
            let declared: Vec<&StringArray> = c
                .declared_raw
                .iter()
                .map(|a| a.as_any().downcast_ref::<StringArray>().expect(TEXT))
                .collect();
            for row in 0..=n {
                let line = if row < n { lines[row] } else { u64::MAX };
                while let Some(b) = bad.next_if(|b| b.line < line) {
                    let (rule_id, message) = match &b.kind {
                        BadRowKind::Ragged { found, expected, lines } => (
                            ingest_rules::RAGGED,
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
                        BadRowKind::Blank => (ingest_rules::BLANK, "The row is entirely blank.".to_string()),
                        BadRowKind::UnclosedQuote { opened, lines, to_end } => {
                            unclosed_quotes += 1;
                            lines_hidden += lines;
                            let message = if *to_end {
                                format!(
                                    "A quote opened on line {opened} is never closed: the {} after it, to the end of the file, were read as one value, so the records on them were not checked. Close the quote in the export (or remove it) and run again.",
                                    plural_lines(*lines)
                                )
                            } else {
                                format!(
                                    "A quote opened on line {opened} runs over {}, more than `max_value_lines` ({}) allows: it is probably not closed where it should be, so the records on those lines were read as one value and not checked. Close the quote in the export, or raise `max_value_lines` for this input if a value really is that long.",
                                    plural_lines(*lines),
                                    input.max_value_lines
                                )
                            };
                            (ingest_rules::UNCLOSED_QUOTE, message)
                        }
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
                    rejected.write_record(&fields)?;
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
                    table.record_key(|k| declared[k].value(row))
                };
                let mut has_error = false;
                let mut open = 0;
                row_ids.clear();
                for f in findings {
                    has_error |= f.severity == Severity::Error;
                    let (rule_id, columns, value, message) =
                        describe(set, table, &header.names, &raws, &declared, f, row);
                    let state = if matches!(f.detail, Detail::Unparsed { .. } | Detail::EvalError(_)) {
                        State::NotChecked
                    } else {
                        open += 1;
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
                        .map(|a| a.as_any().downcast_ref::<StringArray>().expect(TEXT))
                        .collect();
                    let b_declared: Vec<&StringArray> = b
                        .declared_raw
                        .iter()
                        .map(|a| a.as_any().downcast_ref::<StringArray>().expect(TEXT))
                        .collect();
                    for f in row_resolved {
                        let (rule_id, columns, value, message) =
                            describe(set, table, &header.names, &b_raws, &b_declared, f, f.row as usize);
                        let rule_columns = f.column.map_or_else(|| set.rules[f.rule].columns.clone(), |c| vec![c]);
                        let mut by: Vec<&str> = row_changes
                            .iter()
                            .filter(|ch| ch.status == fixes::Status::Applied && rule_columns.contains(&ch.column))
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
                for (_, at, counts) in &mut tallies {
                    let value = raws[*at].value(row).trim();
                    let n = match counts.get_mut(value) {
                        Some(n) => n,
                        None => counts.entry(value.to_string()).or_default(),
                    };
                    n.records += 1;
                    n.rejected += u64::from(has_error);
                    n.findings += open;
                }
                if has_error {
                    report.rejected += 1;
                    let ids = row_ids.join(";");
                    let line_s = line.to_string();
                    rejected.write_record(
                        [source_file.as_str(), line_s.as_str(), ids.as_str()]
                            .into_iter()
                            .chain(raws.iter().map(|a| a.value(row))),
                    )?;
                } else {
                    report.corrected += 1;
                    corrected.write_record(raws.iter().map(|a| a.value(row)))?;
                }
            }
        }
        route_time += t.elapsed();
        Ok(())
    })?;
    let (rows_read, sha256, ingest_time, bytes_read) = (ingested.rows, ingested.sha256, ingested.time, ingested.bytes);
    assert_eq!(
        rows_read, report.rows_in,
        "every record read from `{}` is routed exactly once (to corrected/ or rejected/)",
        table.name
    );
    corrected.finish()?;
    rejected.finish()?;
    let input_report = InputReport {
        table: table.name.clone(),
        file: source_file.clone(),
        sha256,
        bytes_read,
        rows: report.rows_in,
        fields_read_as_windows_1252: fields_1252,
        unclosed_quotes,
        lines_in_unclosed_quotes: lines_hidden,
        ingest_ms: ingest_time.as_millis() as u64,
        check_ms: check_time.as_millis() as u64,
        route_and_write_ms: route_time.as_millis() as u64,
        extra_columns: header
            .extra
            .iter()
            .map(|&i| header.names[i].trim().to_string())
            .collect(),
    };
    let breakdown = tallies
        .into_iter()
        .map(|(spec, at, counts)| breakdown(spec, &header.names[at], counts))
        .collect();
    Ok((report, input_report, measured, breakdown))
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

/// rule id, columns, value and message of one finding, for the exceptions report.
fn describe<'a>(
    set: &'a RuleSet,
    table: &crate::model::table::Table,
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
        // A rule of another table reporting here (`same_person`'s `also`): this table's person
        // fields.
        _ if set.tables[rule.table].name != table.name => match &rule.check {
            crate::spec::compiled::Check::People(p) => p
                .also
                .iter()
                .find(|a| set.tables[a.table].name == table.name)
                .map(|a| a.fields.iter().flatten().copied().collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        },
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
        Detail::MergedInto { line, key, explanation } => {
            let other = if key.is_empty() {
                format!("line {line}")
            } else {
                format!("line {line} ({key})")
            };
            format!(
                "{} Merged into {other}, the same person's surviving record: {explanation}. References to this record now point there.",
                rule.message
            )
        }
        Detail::SamePerson {
            table: other_table,
            line,
            key,
            same,
            probability,
            explanation,
        } => {
            let at = if set.tables[*other_table].name == table.name {
                format!("line {line}")
            } else {
                format!("{} line {line}", set.tables[*other_table].name)
            };
            let other = if key.is_empty() { at } else { format!("{at} ({key})") };
            let band = if *same {
                "the same person as"
            } else {
                "possibly the same person as"
            };
            format!(
                "{} Likely {band} {other}, match probability {:.3}: {explanation}.",
                rule.message, probability
            )
        }
    };
    (rule.id.as_str(), columns, value, message)
}

fn plural_lines(n: u64) -> String {
    if n == 1 {
        "1 line".to_string()
    } else {
        format!("{n} lines")
    }
}

/// The most characters of a value `exceptions.csv` shows: a long note, or the rest of a file
/// swallowed by an unclosed quote, would not fit a spreadsheet's cell (32,767 characters) or a
/// reader's attention. The whole value is in `corrected/` or `rejected/`.
pub const MAX_SHOWN_VALUE: usize = 1000;

fn shorten(value: &str) -> std::borrow::Cow<'_, str> {
    match value.char_indices().nth(MAX_SHOWN_VALUE) {
        None => std::borrow::Cow::Borrowed(value),
        Some((cut, _)) => {
            let rest = value[cut..].chars().count();
            std::borrow::Cow::Owned(format!("{}… ({rest} more characters)", &value[..cut]))
        }
    }
}
