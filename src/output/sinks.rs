//! Sinks: `exceptions.csv` (every finding, with its status since the previous run) and
//! `changes.csv` (every cell a correction changed or proposes to), with the per-rule and
//! per-correction counts that go into run.json.

use std::collections::HashMap;

use crate::fixes::{self, Change};
use crate::model;
use crate::model::counts::FindingCounts;
use crate::model::error::{Error, Result};
use crate::model::table::Severity;
use crate::output::history::{self, Kept};
use crate::output::publish::Staging;
use crate::output::report::TableReport;
use crate::output::sheet::{SheetFile, SheetWriter};
use crate::spec::config::Config;
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
///
/// Rows are formatted apart from the file, a batch at a time and batches in parallel
/// ([`Exceptions::rows`]), then appended in file order ([`Exceptions::append`]).
pub(crate) struct Exceptions {
    writer: SheetFile,
    known: Known,
    counts: Counts,
    /// This run's open findings, for the history.
    kept: Vec<Kept>,
    /// The findings on records, by whom they are about (see [`BySubject`]).
    by: Option<BySubject>,
}

/// `by_<column>.csv`: the findings on records listed by the value of the packs' `report_by`
/// column (the child), then table and line: the DfE tool's "child-level" view of a return.
struct BySubject {
    /// The column's name, which names the file and its first column.
    column: String,
    rows: Vec<BySubjectRow>,
}

/// One finding on a record: the subject, then the table, line, rule id, severity, status,
/// columns, value and message as `exceptions.csv` has them.
type BySubjectRow = [String; 9];

/// What telling a new finding from one still open needs; read by every batch at once.
pub(crate) struct Known {
    /// Each open finding of the previous run, by fingerprint: its first day.
    previous: HashMap<String, chrono::NaiveDate>,
    as_of: chrono::NaiveDate,
    /// Findings are listed by subject too.
    by_subject: bool,
}

/// Rows of `exceptions.csv` formatted apart from the file, with their counts.
pub(crate) struct ExceptionRows<'k> {
    writer: SheetWriter<Vec<u8>>,
    known: &'k Known,
    counts: Counts,
    kept: Vec<Kept>,
    by_subject: Vec<BySubjectRow>,
}

/// [`ExceptionRows`] finished, to append.
pub(crate) struct FormattedExceptions {
    bytes: Vec<u8>,
    counts: Counts,
    kept: Vec<Kept>,
    by_subject: Vec<BySubjectRow>,
}

/// One line of `exceptions.csv`, less the table and file.
pub(crate) struct Exception<'a> {
    /// The row's line; `None` for a finding about the whole run.
    pub(crate) line: Option<u64>,
    /// For a workbook, the cell (or row) the finding is on: `'List 3'!F17`.
    pub(crate) cell: &'a str,
    pub(crate) key: &'a str,
    /// The record's `report_by` value (the child), or blank.
    pub(crate) subject: &'a str,
    pub(crate) rule_id: &'a str,
    pub(crate) severity: Severity,
    pub(crate) columns: &'a str,
    pub(crate) value: &'a str,
    pub(crate) message: &'a str,
    pub(crate) state: State,
}

impl Exceptions {
    const HEADER: [&str; 12] = [
        "table",
        "source_file",
        "line",
        "cell",
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
    /// finding from one still open since an earlier run. `report_by`: the column findings are
    /// also listed by (`by_<column>.csv`), if the packs name one.
    pub(crate) fn create(
        staging: &Staging,
        previous: history::Previous,
        as_of: chrono::NaiveDate,
        report_by: Option<&str>,
    ) -> Result<Self> {
        let name = "exceptions.csv";
        let mut writer = SheetFile::new(staging.path(name), staging.file(name)?);
        writer.write_record(Self::HEADER)?;
        Ok(Exceptions {
            writer,
            known: Known {
                previous: previous.first_seen,
                as_of,
                by_subject: report_by.is_some(),
            },
            counts: Counts::new(),
            kept: Vec::new(),
            by: report_by.map(|column| BySubject {
                column: column.to_string(),
                rows: Vec::new(),
            }),
        })
    }

    /// Rows to format apart from the file (and from other batches'), then append.
    pub(crate) fn rows(&self) -> ExceptionRows<'_> {
        ExceptionRows {
            writer: SheetWriter::in_memory(false),
            known: &self.known,
            counts: Counts::new(),
            kept: Vec::new(),
            by_subject: Vec::new(),
        }
    }

    /// Rows formatted apart, after every row appended before them.
    pub(crate) fn append(&mut self, rows: FormattedExceptions) -> Result<()> {
        self.writer.append(&rows.bytes)?;
        if let Some(by) = &mut self.by {
            by.rows.extend(rows.by_subject);
        }
        for (rule, n) in rows.counts {
            *self.counts.entry(rule).or_default() += n;
        }
        self.kept.extend(rows.kept);
        Ok(())
    }

    /// Write a finding about a whole table (no line) to the exceptions.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn write_table_level(
        &mut self,
        set: &RuleSet,
        config: &Config,
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
            cell: "",
            key: "",
            subject: "",
            rule_id: &rule.id,
            severity: rule.severity,
            columns: &columns,
            value,
            message,
            state,
        };
        let mut rows = self.rows();
        rows.write(report, &file, row)?;
        let rows = rows.finish()?;
        self.append(rows)
    }

    /// The per-rule counts, and this run's open findings for the history.
    pub(crate) fn finish(self, staging: &Staging) -> Result<(Counts, Vec<Kept>)> {
        self.writer.finish()?;
        if let Some(mut by) = self.by {
            // Whom, then where: the child's findings together, in the order of their files.
            by.rows.sort_by(|a, b| {
                (&a[0], &a[1], a[2].parse::<u64>().ok(), &a[3]).cmp(&(&b[0], &b[1], b[2].parse::<u64>().ok(), &b[3]))
            });
            let name = format!("by_{}.csv", by.column);
            let mut out = SheetFile::new(staging.path(&name), staging.file(&name)?);
            out.write_record([
                by.column.as_str(),
                "table",
                "line",
                "rule_id",
                "severity",
                "status",
                "columns",
                "value",
                "message",
            ])?;
            for row in &by.rows {
                out.write_record(row)?;
            }
            out.finish()?;
        }
        Ok((self.counts, self.kept))
    }
}

impl ExceptionRows<'_> {
    pub(crate) fn write(&mut self, report: &mut TableReport, source_file: &str, e: Exception) -> Result<()> {
        let counts = match self.counts.get_mut(e.rule_id) {
            Some(n) => n,
            None => self.counts.entry(e.rule_id.to_string()).or_default(),
        };
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
                let (status, first) = match self.known.previous.get(&print) {
                    Some(&day) => ("open", day),
                    None => ("new", self.known.as_of),
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
        if self.known.by_subject && e.line.is_some() {
            self.by_subject.push([
                e.subject.to_string(),
                report.table.clone(),
                line.clone(),
                e.rule_id.to_string(),
                e.severity.as_str().to_string(),
                status.to_string(),
                e.columns.to_string(),
                shorten(e.value).into_owned(),
                e.message.to_string(),
            ]);
        }
        self.writer
            .write_record([
                &report.table,
                source_file,
                &line,
                e.cell,
                e.key,
                e.rule_id,
                e.severity.as_str(),
                status,
                &first_seen,
                e.columns,
                &shorten(e.value),
                e.message,
            ])
            .map_err(|e| Error::io("exceptions.csv", e))
    }

    pub(crate) fn finish(self) -> Result<FormattedExceptions> {
        Ok(FormattedExceptions {
            bytes: self.writer.into_bytes(),
            counts: self.counts,
            kept: self.kept,
            by_subject: self.by_subject,
        })
    }
}

/// Per correction: cells changed, proposed for review, and withheld as conflicts.
pub(crate) type ChangeCounts = HashMap<usize, model::counts::ChangeCounts>;

/// `changes.csv`: one row per cell a correction changed or proposes to; rows are formatted apart
/// ([`Changes::rows`]) and appended in file order, as for [`Exceptions`].
pub(crate) struct Changes {
    writer: SheetFile,
    counts: ChangeCounts,
}

/// Rows of `changes.csv` formatted apart from the file, with their counts.
pub(crate) struct ChangeRows {
    writer: SheetWriter<Vec<u8>>,
    counts: ChangeCounts,
    /// (line, column) of the last conflict written: a line's changes are all in one batch.
    last_conflict: Option<(u64, usize)>,
}

impl Changes {
    const HEADER: [&str; 11] = [
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
        "cell",
    ];

    pub(crate) fn create(staging: &Staging) -> Result<Self> {
        let name = "changes.csv";
        let mut writer = SheetFile::new(staging.path(name), staging.file(name)?);
        writer.write_record(Self::HEADER)?;
        Ok(Changes {
            writer,
            counts: ChangeCounts::new(),
        })
    }

    pub(crate) fn rows() -> ChangeRows {
        ChangeRows {
            writer: SheetWriter::in_memory(false),
            counts: ChangeCounts::new(),
            last_conflict: None,
        }
    }

    /// Rows formatted apart, after every row appended before them.
    pub(crate) fn append(&mut self, rows: ChangeRows) -> Result<()> {
        self.writer.append(&rows.writer.into_bytes())?;
        for (correction, n) in rows.counts {
            *self.counts.entry(correction).or_default() += n;
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<ChangeCounts> {
        self.writer.finish()?;
        Ok(self.counts)
    }
}

impl ChangeRows {
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
        cell: &str,
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
                cell,
            ])
            .map_err(|e| Error::io("changes.csv", e))
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
