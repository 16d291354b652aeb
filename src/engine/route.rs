//! Route: each table's batches are corrected and checked in parallel ([`crate::engine::correct`]),
//! then taken in file order to resolve the ordered checks ([`crate::engine::ordered`]), merge in
//! the findings of rules over whole tables, and send every row to exactly one of the corrected or
//! rejected outputs, writing its findings to `exceptions.csv` and its changes to `changes.csv`.

use std::collections::HashMap;
use std::iter::Peekable;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{Array, StringArray};
use rayon::prelude::*;

use crate::engine::TEXT;
use crate::engine::check::Checked;
use crate::engine::correct::{Fixed, correct_and_check};
use crate::engine::describe::{bad_row, describe};
use crate::engine::load::Export;
use crate::engine::ordered::Seen;
use crate::engine::plan::plan_table;
use crate::fixes::{self, Change};
use crate::model::counts::{GroupCounts, ShareCounts, StageTimes};
use crate::model::error::Result;
use crate::model::finding::{Detail, Finding};
use crate::model::table::{Severity, Table};
use crate::output::publish::Staging;
use crate::output::report::{Breakdown, Group, InputReport, TableReport};
use crate::output::sheet::{Background, SheetFile, SheetWriter};
use crate::output::sinks::{ChangeRows, Changes, Exception, ExceptionRows, Exceptions, FormattedExceptions, State};
use crate::source::{BadRow, Header};
use crate::spec::config::{BreakdownSpec, Config, Input};
use crate::spec::rules::RuleSet;

/// Per `share` rule of a table: (rule, its counts).
pub(crate) type Measured = Vec<(usize, ShareCounts)>;

/// Per value of a breakdown column.
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

/// Where a table's routing writes what it found and changed.
pub(crate) struct Sinks<'a> {
    pub(crate) exceptions: &'a mut Exceptions,
    pub(crate) changes: &'a mut Changes,
}

/// One export to check, with what the relate stage found in it.
pub(crate) struct TableJob<'a> {
    pub(crate) input: &'a Input,
    pub(crate) export: Export,
    /// Cross-table findings, by line.
    pub(crate) related: Vec<(u64, Finding)>,
}

/// What routing a table gives the run.
pub(crate) struct Routed {
    pub(crate) table: TableReport,
    pub(crate) input: InputReport,
    pub(crate) measured: Measured,
    pub(crate) breakdowns: Vec<Breakdown>,
    /// For an XML return: the values corrections set, at their elements (line, column), to
    /// write into the corrected document.
    pub(crate) edits: Vec<crate::source::xml::Edit>,
    /// Values corrections set whose element the document does not have.
    pub(crate) unplaced: u64,
}

/// Correct, check and route every row of one export.
pub(crate) fn process_table(
    set: &RuleSet,
    config: &Config,
    fixes: &fixes::Fixes,
    job: TableJob,
    staging: &Staging,
    sinks: Sinks,
    batch_rows: usize,
) -> Result<Routed> {
    let TableJob { input, export, related } = job;
    let Export {
        header,
        batches,
        from,
        spent,
    } = export;
    let ti = set.table(&input.table).expect(crate::engine::INPUT_TABLES);
    let plan = plan_table(set, ti, config.pivot)?;
    let corrector = fixes.corrector(set, ti, &header.columns, config.pivot, from..);
    let mut router = Router::new(set, config, input, &header, staging, sinks, related)?;
    router.spent = spent;
    router.measured = plan.measures.iter().map(|m| (m.rule, ShareCounts::default())).collect();
    let mut seen = Seen::new(&plan);
    let file_bytes = std::fs::metadata(&input.path).map_or(0, |m| m.len());
    let (mut check_time, mut route_time) = (Duration::ZERO, Duration::ZERO);
    let ingested = batches.stream(batch_rows, |group| {
        let t = Instant::now();
        let fixed: Vec<Fixed> = group
            .into_par_iter()
            .map(|b| correct_and_check(set, &plan, &header.columns, &corrector, b))
            .collect::<Result<_>>()?;
        check_time += t.elapsed();
        let t = Instant::now();
        // In file order: the checks that depend on it, and each batch's share of the findings
        // over whole tables. Then the batches' rows are formatted in parallel, and written in order.
        seen.expect_rows(rows_expected(file_bytes, &fixed), plan.duplicate_rows.is_some());
        let mut jobs = Vec::with_capacity(fixed.len());
        for mut f in fixed {
            let mut extra = seen.check(set, &plan, &f.checked);
            extra.extend(cell_findings(&f.checked));
            if !extra.is_empty() {
                f.checked.findings.extend(extra);
                f.checked.findings.sort_by_key(|f| (f.row, f.rule));
            }
            router.count(&f);
            let related = router.related_to(&f.checked);
            jobs.push((f, related));
        }
        let (context, exceptions) = (&router.context, &*router.exceptions);
        let parts: Vec<Part> = jobs
            .into_par_iter()
            .map(|(f, related)| context.format(exceptions.rows(), f, related))
            .collect::<Result<_>>()?;
        for part in parts {
            router.append(part)?;
        }
        route_time += t.elapsed();
        Ok(())
    })?;
    let Router {
        context,
        corrected,
        rejected,
        report,
        tallies,
        fields_1252,
        unclosed_quotes,
        lines_hidden,
        measured,
        spent,
        edits,
        unplaced,
        ..
    } = router;
    let Context {
        table,
        source_file,
        tallies: asked,
        ..
    } = context;
    assert_eq!(
        ingested.rows, report.rows_in,
        "every record read from `{}` is routed exactly once (to corrected/ or rejected/)",
        table.name
    );
    corrected.finish()?;
    rejected.finish()?;
    let input_report = InputReport {
        table: table.name.clone(),
        file: source_file,
        sheet: header.sheet.as_ref().map(|(sheet, _)| sheet.clone()),
        sha256: ingested.sha256,
        bytes_read: ingested.bytes,
        rows: report.rows_in,
        fields_read_as_windows_1252: fields_1252,
        unclosed_quotes,
        lines_in_unclosed_quotes: lines_hidden,
        ingest_ms: ingested.time.as_millis() as u64,
        check_ms: check_time.as_millis() as u64,
        route_and_write_ms: route_time.as_millis() as u64,
        correct_cpu_ms: spent.correct.as_millis() as u64,
        type_cpu_ms: spent.typing.as_millis() as u64,
        rules_cpu_ms: spent.rules.as_millis() as u64,
        extra_columns: header
            .extra
            .iter()
            .map(|&i| header.names[i].trim().to_string())
            .collect(),
    };
    let breakdowns = asked
        .into_iter()
        .zip(tallies)
        .map(|((spec, at), counts)| breakdown(spec, &header.names[at], counts))
        .collect();
    Ok(Routed {
        table: report,
        input: input_report,
        measured,
        breakdowns,
        edits,
        unplaced,
    })
}

/// About how many rows a file of `file_bytes` holds, from the bytes per row of its first batches.
fn rows_expected(file_bytes: u64, first: &[Fixed]) -> usize {
    let (mut rows, mut bytes) = (0u64, 0u64);
    for f in first {
        let raw = &f.checked.raw;
        let n = raw.num_rows() as u64;
        rows += n;
        // Each value, its delimiter or line break.
        bytes += n * raw.columns.len() as u64;
        for c in &raw.columns {
            if let Some(text) = c.as_any().downcast_ref::<StringArray>() {
                bytes += text.value_data().len() as u64;
            }
        }
    }
    if rows == 0 || bytes == 0 {
        return 0;
    }
    let expected = (file_bytes as f64 * rows as f64 / bytes as f64 * 1.05) as u64;
    // A row takes at least two bytes; the estimate is never more than the file could hold. An
    // export whose first rows are short and later ones long would be overestimated, so room is
    // made at once for at most `MOST_ROWS_EXPECTED` (217 MB a rule); past that, tables grow.
    expected.min(file_bytes / 2).min(MOST_ROWS_EXPECTED) as usize
}

/// The most rows room is made for before any are seen (see [`rows_expected`]).
const MOST_ROWS_EXPECTED: u64 = 12_000_000;

/// Fields that were not valid in the declared encoding, and workbook cells holding an error
/// value: findings of ingest's own rules.
fn cell_findings(c: &Checked) -> impl Iterator<Item = Finding> + '_ {
    c.raw.cell_issues.iter().map(|issue| Finding {
        rule: usize::MAX,
        row: issue.row,
        column: match issue.kind {
            crate::source::IssueKind::UnknownElement { .. } => None,
            _ => Some(issue.file_column as usize),
        },
        severity: Severity::Error,
        detail: match &issue.kind {
            crate::source::IssueKind::Encoding => Detail::Fail,
            crate::source::IssueKind::CellError => Detail::CellError,
            crate::source::IssueKind::UnknownElement {
                element,
                line,
                column,
                more,
            } => Detail::UnknownElement {
                element: element.clone(),
                line: *line,
                column: *column,
                more: *more,
            },
        },
    })
}

/// One table's routing: its outputs, the findings of rules over whole tables still to merge,
/// and what it has counted so far.
struct Router<'a> {
    context: Context<'a>,
    corrected: Background,
    rejected: Background,
    exceptions: &'a mut Exceptions,
    changes: &'a mut Changes,
    /// Whole-table findings, in line order.
    related: Peekable<std::vec::IntoIter<(u64, Finding)>>,
    report: TableReport,
    /// Per breakdown the configuration asks for on this table (as `context.tallies`).
    tallies: Vec<Tally>,
    measured: Measured,
    fields_1252: u64,
    unclosed_quotes: u64,
    lines_hidden: u64,
    /// CPU time of the parallel stages, the one pass's included.
    spent: StageTimes,
    edits: Vec<crate::source::xml::Edit>,
    unplaced: u64,
}

/// What formatting a batch's rows reads; shared by the batches formatted at once.
struct Context<'a> {
    set: &'a RuleSet,
    input: &'a Input,
    table: &'a Table,
    header: &'a Header,
    source_file: String,
    /// The breakdowns the configuration asks for on this table, by the column's place in a row.
    tallies: Vec<(&'a BreakdownSpec, usize)>,
}

/// One batch's rows formatted for every output, apart from the files, with what they count.
struct Part {
    edits: Vec<crate::source::xml::Edit>,
    unplaced: u64,
    corrected: Vec<u8>,
    rejected: Vec<u8>,
    exceptions: FormattedExceptions,
    changes: ChangeRows,
    report: TableReport,
    tallies: Vec<Tally>,
    unclosed_quotes: u64,
    lines_hidden: u64,
}

/// A batch being formatted.
struct Formatting<'k> {
    /// Values corrections set in an XML return, at their elements; and those with none.
    edits: Vec<crate::source::xml::Edit>,
    unplaced: u64,
    corrected: SheetWriter<Vec<u8>>,
    rejected: SheetWriter<Vec<u8>>,
    exceptions: ExceptionRows<'k>,
    changes: ChangeRows,
    report: TableReport,
    tallies: Vec<Tally>,
    unclosed_quotes: u64,
    lines_hidden: u64,
    /// The rule ids of the row being routed (reused from row to row).
    row_ids: Vec<&'k str>,
}

/// A batch's text columns, looked at as text once per batch.
struct Columns<'b> {
    /// In file order.
    file: Vec<&'b StringArray>,
    /// In declared order (blank where the export has no such column).
    declared: Vec<&'b StringArray>,
    /// No value in the file's columns needs quotes or a guard, so rows are written as they are
    /// (looked at once a row is not written as read).
    plain: std::cell::OnceCell<bool>,
    /// The rows that can be written as the export held them, unless corrected.
    verbatim: Option<&'b crate::source::Verbatim>,
    /// For an XML return: where each row and value is in the document.
    positions: Option<&'b crate::source::Positions>,
}

impl<'b> Columns<'b> {
    fn of(c: &'b Checked) -> Self {
        let text = |a: &'b datafusion::arrow::array::ArrayRef| a.as_any().downcast_ref::<StringArray>().expect(TEXT);
        Columns {
            file: c.raw.columns.iter().map(text).collect(),
            declared: c.declared_raw.iter().map(text).collect(),
            plain: std::cell::OnceCell::new(),
            verbatim: c.raw.verbatim.as_ref(),
            positions: c.raw.positions.as_deref(),
        }
    }

    fn plain(&self) -> bool {
        *self.plain.get_or_init(|| {
            self.file
                .iter()
                .all(|a| crate::output::sheet::plain_column(a.value_data(), a.value_offsets()))
        })
    }
}

/// What routing one record needs besides its batch's columns.
struct Record<'r> {
    row: usize,
    line: u64,
    findings: &'r [Finding],
    changes: &'r [Change],
    /// The findings its corrections resolved, indexing the batch's `before` rows.
    resolved: &'r [Finding],
}

/// A table's counts with nothing counted yet.
fn no_rows(table: &str) -> TableReport {
    TableReport {
        table: table.to_string(),
        rows_in: 0,
        corrected: 0,
        rejected: 0,
        errors: 0,
        warnings: 0,
        infos: 0,
        cells_changed: 0,
        changes_proposed: 0,
        conflicts: 0,
    }
}

fn add_tallies(into: &mut [Tally], from: Vec<Tally>) {
    for (into, from) in into.iter_mut().zip(from) {
        for (value, n) in from {
            let total = into.entry(value).or_default();
            total.records += n.records;
            total.rejected += n.rejected;
            total.findings += n.findings;
        }
    }
}

impl<'a> Router<'a> {
    fn new(
        set: &'a RuleSet,
        config: &'a Config,
        input: &'a Input,
        header: &'a Header,
        staging: &Staging,
        sinks: Sinks<'a>,
        related: Vec<(u64, Finding)>,
    ) -> Result<Self> {
        let table = &set.tables[set.table(&input.table).expect(crate::engine::INPUT_TABLES)];
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
        let tallies: Vec<(&BreakdownSpec, usize)> = config
            .breakdown
            .iter()
            .filter(|b| b.table == table.name)
            .filter_map(|b| Some((b, header.columns[table.column(&b.column)?]?)))
            .collect();
        Ok(Router {
            corrected: Background::spawn(corrected),
            rejected: Background::spawn(rejected),
            exceptions: sinks.exceptions,
            changes: sinks.changes,
            related: related.into_iter().peekable(),
            report: no_rows(&table.name),
            tallies: tallies.iter().map(|_| Tally::new()).collect(),
            context: Context {
                set,
                input,
                table,
                header,
                source_file: input.path.display().to_string(),
                tallies,
            },
            measured: Vec::new(),
            fields_1252: 0,
            unclosed_quotes: 0,
            lines_hidden: 0,
            spent: StageTimes::default(),
            edits: Vec::new(),
            unplaced: 0,
        })
    }

    /// What a batch counts before its rows are formatted.
    fn count(&mut self, f: &Fixed) {
        self.spent += f.spent;
        self.fields_1252 += f.checked.raw.fields_1252;
        for ((_, total), m) in self.measured.iter_mut().zip(&f.checked.measures) {
            *total += *m;
        }
    }

    /// The findings over whole tables on a batch's rows (they are in line order, as its rows are).
    fn related_to(&mut self, c: &Checked) -> Vec<(u64, Finding)> {
        let Some(&last) = c.raw.lines.last() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        while let Some(f) = self.related.next_if(|(l, _)| *l <= last) {
            out.push(f);
        }
        out
    }

    /// A batch's formatted rows, after those of the batches before it.
    fn append(&mut self, mut part: Part) -> Result<()> {
        self.edits.append(&mut part.edits);
        self.unplaced += part.unplaced;
        self.corrected.append(part.corrected)?;
        self.rejected.append(part.rejected)?;
        self.exceptions.append(part.exceptions)?;
        self.changes.append(part.changes)?;
        let (r, p) = (&mut self.report, &part.report);
        r.rows_in += p.rows_in;
        r.corrected += p.corrected;
        r.rejected += p.rejected;
        r.errors += p.errors;
        r.warnings += p.warnings;
        r.infos += p.infos;
        r.cells_changed += p.cells_changed;
        r.changes_proposed += p.changes_proposed;
        r.conflicts += p.conflicts;
        add_tallies(&mut self.tallies, part.tallies);
        self.unclosed_quotes += part.unclosed_quotes;
        self.lines_hidden += part.lines_hidden;
        Ok(())
    }
}

impl Context<'_> {
    /// Format a batch's rows in file order, merging the rows ingest set aside back in by line,
    /// and the findings over whole tables (`related`, in line order) into their rows.
    fn format(&self, exceptions: ExceptionRows, fixed: Fixed, related: Vec<(u64, Finding)>) -> Result<Part> {
        let Fixed {
            checked: c,
            changes,
            before,
            resolved,
            ..
        } = fixed;
        // About what the batch's rows take written: their text, a comma or line break after each
        // value, and a little for quotes and guards.
        let columns = Columns::of(&c);
        let text: usize = columns.file.iter().map(|a| a.value_data().len()).sum();
        let room = (text + c.raw.num_rows() * columns.file.len()) * 33 / 32;
        let mut out = Formatting {
            edits: Vec::new(),
            unplaced: 0,
            corrected: SheetWriter::in_memory(false).with_capacity(room),
            rejected: SheetWriter::in_memory(true),
            exceptions,
            changes: Changes::rows(),
            report: no_rows(&self.table.name),
            tallies: self.tallies.iter().map(|_| Tally::new()).collect(),
            unclosed_quotes: 0,
            lines_hidden: 0,
            row_ids: Vec::new(),
        };
        let mut related = related.into_iter().peekable();
        let before_columns = before.as_ref().map(|(_, b)| Columns::of(b));
        let n = c.raw.num_rows();
        let mut bad = c.raw.bad.iter().peekable();
        let (mut next_finding, mut next_change, mut next_resolved) = (0, 0, 0);
        for row in 0..=n {
            let line = if row < n { c.raw.lines[row] } else { u64::MAX };
            while let Some(b) = bad.next_if(|b| b.line < line) {
                self.bad_row(&mut out, b)?;
            }
            if row == n {
                break;
            }
            let row32 = row as u32;
            let take = |next: &mut usize, len: usize, at: &dyn Fn(usize) -> bool| {
                let from = *next;
                while *next < len && at(*next) {
                    *next += 1;
                }
                from..*next
            };
            let found = take(&mut next_finding, c.findings.len(), &|i| c.findings[i].row == row32);
            // This row's changes, and the findings its corrections resolved.
            let changed = take(&mut next_change, changes.len(), &|i| changes[i].row == row32);
            let fixed = match &before {
                Some((rows, _)) => take(&mut next_resolved, resolved.len(), &|i| {
                    rows[resolved[i].row as usize] == row32
                }),
                None => next_resolved..next_resolved,
            };
            let merged: Vec<Finding>;
            let findings = if related.peek().is_some_and(|(l, _)| *l == line) {
                let mut all = c.findings[found].to_vec();
                while let Some((_, f)) = related.next_if(|(l, _)| *l == line) {
                    all.push(f);
                }
                merged = all;
                &merged[..]
            } else {
                &c.findings[found]
            };
            let record = Record {
                row,
                line,
                findings,
                changes: &changes[changed],
                resolved: &resolved[fixed],
            };
            self.record(&mut out, &record, &columns, before_columns.as_ref())?;
        }
        Ok(Part {
            edits: out.edits,
            unplaced: out.unplaced,
            corrected: out.corrected.into_bytes(),
            rejected: out.rejected.into_bytes(),
            exceptions: out.exceptions.finish()?,
            changes: out.changes,
            report: out.report,
            tallies: out.tallies,
            unclosed_quotes: out.unclosed_quotes,
            lines_hidden: out.lines_hidden,
        })
    }

    /// A row that could not be formatted for `output` (`corrected` or `rejected`); rows are
    /// formatted in memory, so only a record of the wrong width can be one.
    fn unwritable(&self, output: &str, e: std::io::Error) -> crate::model::error::Error {
        crate::model::error::Error::io(format!("{output}/{}.csv", self.table.name), e)
    }

    /// The file column a finding is about, if one: its column, else its rule's first (for
    /// naming the cell in a workbook, or the element in an XML return: `positions`).
    fn file_column(&self, f: &Finding, positions: bool) -> Option<usize> {
        if self.header.sheet.is_none() && !positions {
            return None;
        }
        if f.rule == usize::MAX {
            return f.column;
        }
        let rule = &self.set.rules[f.rule];
        if self.set.tables[rule.table].name != self.table.name {
            return None;
        }
        let declared = f.column.or_else(|| rule.columns.first().copied())?;
        self.header.columns.get(declared).copied().flatten()
    }

    /// Where a finding on `row` (at `line`) is: in a workbook its cell, in an XML return the
    /// line and column of its value's element (else its row's); blank for a CSV export.
    fn cell(&self, columns: &Columns, row: usize, line: u64, f: &Finding) -> String {
        if let Detail::UnknownElement { line, column, .. } = f.detail {
            return format!("{line}:{column}");
        }
        match columns.positions {
            Some(p) => p.cell(row, self.file_column(f, true)),
            None => self.header.cell(line, self.file_column(f, false)),
        }
    }

    /// A row ingest set aside: reported under its ingest rule and rejected with every field.
    fn bad_row(&self, out: &mut Formatting, b: &BadRow) -> Result<()> {
        if let crate::source::BadRowKind::UnclosedQuote { lines, .. } = b.kind {
            out.unclosed_quotes += 1;
            out.lines_hidden += lines;
        }
        let (rule_id, message) = bad_row(b, self.input);
        let value = b.fields.join(&(self.input.delimiter as char).to_string());
        out.exceptions.write(
            &mut out.report,
            &self.source_file,
            Exception {
                line: Some(b.line),
                cell: &match b.kind {
                    crate::source::BadRowKind::UnknownElement { line, column, .. } => format!("{line}:{column}"),
                    _ => self.header.cell(b.line, None),
                },
                key: "",
                subject: "",
                rule_id,
                severity: Severity::Error,
                columns: "",
                value: &value,
                message: &message,
                state: State::Open,
            },
        )?;
        let mut fields: Vec<String> = vec![self.source_file.clone(), b.line.to_string(), rule_id.to_string()];
        fields.extend(b.fields.iter().cloned());
        fields.resize(3 + self.header.names.len().max(b.fields.len()), String::new());
        out.rejected
            .write_record(&fields)
            .map_err(|e| self.unwritable("rejected", e))?;
        out.report.rows_in += 1;
        out.report.rejected += 1;
        Ok(())
    }

    /// A finding on the record at `line`, described (rule id, columns, value, message), to the
    /// exceptions.
    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        out: &mut Formatting,
        line: u64,
        cell: &str,
        key: &str,
        subject: &str,
        severity: Severity,
        (rule_id, columns, value, message): (&str, String, String, String),
        state: State,
    ) -> Result<()> {
        out.exceptions.write(
            &mut out.report,
            &self.source_file,
            Exception {
                line: Some(line),
                cell,
                key,
                subject,
                rule_id,
                severity,
                columns: &columns,
                value: &value,
                message: &message,
                state,
            },
        )
    }

    /// One record: its findings and changes to the reports, its values to one output.
    fn record<'k>(
        &'k self,
        out: &mut Formatting<'k>,
        r: &Record,
        columns: &Columns,
        before: Option<&Columns>,
    ) -> Result<()> {
        let (set, table, header) = (self.set, self.table, self.header);
        let Record { row, line, .. } = *r;
        out.report.rows_in += 1;
        let key = if r.findings.is_empty() && r.changes.is_empty() {
            String::new()
        } else {
            table.record_key(|k| columns.declared[k].value(row))
        };
        let subject = match table.report_by {
            Some(c) if !key.is_empty() => columns.declared[c].value(row).trim(),
            _ => "",
        };
        let mut has_error = false;
        let mut open = 0;
        out.row_ids.clear();
        for f in r.findings {
            has_error |= f.severity == Severity::Error;
            let described = describe(set, table, &header.names, &columns.file, &columns.declared, f, row);
            let rule_id = described.0;
            let state = if matches!(
                f.detail,
                Detail::Unparsed { .. } | Detail::UnparsedElsewhere { .. } | Detail::EvalError(_)
            ) {
                State::NotChecked
            } else {
                open += 1;
                State::Open
            };
            let cell = self.cell(columns, row, line, f);
            self.finding(out, line, &cell, &key, subject, f.severity, described, state)?;
            if !out.row_ids.contains(&rule_id) {
                out.row_ids.push(rule_id);
            }
        }
        if let Some(b) = before {
            for f in r.resolved {
                let (rule_id, cols, value, message) =
                    describe(set, table, &header.names, &b.file, &b.declared, f, f.row as usize);
                let rule_columns = f.column.map_or_else(|| set.rules[f.rule].columns.clone(), |c| vec![c]);
                let mut by: Vec<&str> = r
                    .changes
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
                let cell = self.cell(columns, row, line, f);
                self.finding(
                    out,
                    line,
                    &cell,
                    &key,
                    subject,
                    f.severity,
                    (rule_id, cols, value, message),
                    State::Corrected,
                )?;
            }
        }
        for ch in r.changes {
            let correction = &set.corrections[ch.correction];
            // The rule it fixes: the one it is attached to, else those
            // whose findings on this cell it resolved.
            let rule_ids = match &correction.rule {
                Some(id) => id.clone(),
                None => {
                    let mut ids: Vec<&str> = r
                        .resolved
                        .iter()
                        .filter(|f| f.column == Some(ch.column) && f.rule != usize::MAX)
                        .map(|f| set.rules[f.rule].id.as_str())
                        .collect();
                    ids.dedup();
                    ids.join(";")
                }
            };
            let column = header.columns[ch.column].map_or("", |i| header.names[i].trim());
            // The cell as exceptions name it: the element in an XML return, the cell in a sheet.
            let cell = match columns.positions {
                Some(p) => p.cell(row, header.columns[ch.column]),
                None if header.sheet.is_some() => header.cell(line, header.columns[ch.column]),
                None => String::new(),
            };
            if let Some(positions) = columns.positions
                && ch.status == fixes::Status::Applied
            {
                match header.columns[ch.column].and_then(|i| positions.value(row, i)) {
                    Some(at) => out.edits.push((at, ch.new.clone())),
                    None => out.unplaced += 1,
                }
            }
            out.changes.write(
                &mut out.report,
                &self.source_file,
                line,
                &key,
                column,
                ch,
                &correction.id,
                &rule_ids,
                &cell,
            )?;
        }
        for ((_, at), counts) in self.tallies.iter().zip(&mut out.tallies) {
            let value = columns.file[*at].value(row).trim();
            let n = match counts.get_mut(value) {
                Some(n) => n,
                None => counts.entry(value.to_string()).or_default(),
            };
            n.records += 1;
            n.rejected += u64::from(has_error);
            n.findings += open;
        }
        let values = columns.file.iter().map(|a| a.value(row));
        if has_error {
            out.report.rejected += 1;
            let ids = out.row_ids.join(";");
            let line = line.to_string();
            out.rejected
                .write_record(
                    [self.source_file.as_str(), line.as_str(), ids.as_str()]
                        .into_iter()
                        .chain(values),
                )
                .map_err(|e| self.unwritable("rejected", e))?;
        } else {
            out.report.corrected += 1;
            let as_read = columns.verbatim.and_then(|v| v.row(row));
            let written = match as_read.filter(|_| r.changes.is_empty()) {
                Some(record) => out.corrected.write_verbatim(record, columns.file.len()),
                None if columns.plain() => out.corrected.write_plain(values),
                None => out.corrected.write_record(values),
            };
            written.map_err(|e| self.unwritable("corrected", e))?;
        }
        Ok(())
    }
}
