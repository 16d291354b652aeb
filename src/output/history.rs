//! History: every run's counts and the fingerprints of its open findings, kept under
//! `OUT/history/` as Parquet files and queried with DataFusion.
//!
//! It is what lets the summary say what changed since the last run and draw a trend, and what
//! gives each exception a life (`first_seen`, `new` or `open`). It keeps no record values: a
//! finding is stored as a fingerprint of (rule, table, record key, column), a 128-bit hash, with
//! its rule, table and severity in the clear. The record key itself is not kept; note that a
//! hash of a short id can be reversed by trying every id, so the history is as sensitive as the
//! list of ids, and sits beside outputs that hold far more.
//!
//! ```text
//! OUT/history/runs/<run-id>.parquet       run_id, as_of, started, report (run.json)
//! OUT/history/findings/<run-id>.parquet   run_id, as_of, table, rule_id, severity,
//!                                         fingerprint, first_seen
//! ```
//!
//! A run writes its files as `<run-id>.parquet.partial` and renames them as it publishes, under
//! the output root's lock ([`crate::output::publish::RootLock`]), which is also held while the history is
//! read: two runs on one output root never read a file the other is pruning, and a failed or
//! killed run leaves nothing a query would read (the next run clears its partial files). Run ids
//! are the only names made into file names here, and are checked to be run ids.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Date32Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::error::{Error, HistoryProblem, Result};
use crate::model::table::Severity;
use crate::output::report::RunReport;

/// How many runs the trend shows.
pub const TREND_RUNS: usize = 90;

/// Runs the duplicate-people trend covers (each reads a kept run's report).
pub const PEOPLE_TREND_RUNS: usize = 10;

impl Insight {
    /// A run with no history to compare with: its own point of the trend.
    pub fn alone(report: &RunReport, current: &[Kept]) -> Insight {
        let mut by_table: BTreeMap<String, u64> = BTreeMap::new();
        for k in current {
            *by_table.entry(k.table.clone()).or_default() += 1;
        }
        Insight {
            trend: vec![TrendPoint {
                run_id: report.run_id.clone(),
                as_of: report.as_of.clone(),
                open: current.len() as u64,
                by_table,
            }],
            people_trend: PeoplePoint::of(report).into_iter().collect(),
            ..Insight::default()
        }
    }
}

/// Duplicate people at one run: what the summary's trend of them shows.
#[derive(Debug, Clone, Serialize)]
pub struct PeoplePoint {
    pub run_id: String,
    pub as_of: String,
    pub duplicate_records: u64,
    pub pairs_for_review: u64,
    pub merged: u64,
}

impl PeoplePoint {
    /// The run's totals over its `same_person` rules; `None` if it had none.
    fn of(report: &RunReport) -> Option<PeoplePoint> {
        (!report.people.is_empty()).then(|| PeoplePoint {
            run_id: report.run_id.clone(),
            as_of: report.as_of.clone(),
            duplicate_records: report.people.iter().map(|p| p.duplicate_records).sum(),
            pairs_for_review: report.people.iter().map(|p| p.pairs_for_review).sum(),
            merged: report.people.iter().map(|p| p.merged).sum(),
        })
    }
}

/// A finding's identity across runs: the same rule on the same record's column.
pub fn fingerprint(rule_id: &str, table: &str, record_key: &str, column: &str, line: Option<u64>) -> String {
    let mut h = Sha256::new();
    for part in [rule_id, table, record_key, column] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    // A record with no key can only be told apart by where it is.
    if record_key.is_empty() {
        h.update(line.unwrap_or(0).to_le_bytes());
    }
    h.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// One open finding, as the history keeps it.
#[derive(Debug, Clone)]
pub struct Kept {
    pub table: String,
    pub rule_id: String,
    pub severity: Severity,
    pub fingerprint: String,
    pub first_seen: chrono::NaiveDate,
}

/// The run before this one, as this run needs it: the one run both `exceptions.csv` (is a finding
/// new or still open?) and `row_count`'s `max_change` compare with. See [`History::previous`].
#[derive(Debug, Default)]
pub struct Previous {
    pub run_id: String,
    /// `None` when the history keeps no run to compare with.
    pub as_of: Option<chrono::NaiveDate>,
    /// Each open finding's first day, by fingerprint.
    pub first_seen: HashMap<String, chrono::NaiveDate>,
    /// The records each table's export held (`rows_in` in the run's `run.json`), by table; only
    /// the tables that run had an export for.
    pub rows_in: BTreeMap<String, u64>,
}

/// What changed since the previous run, and the trend: what the summary shows beyond one run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Insight {
    /// The run compared with; `None` on the first run.
    pub previous: Option<RunRef>,
    /// Open findings first found by this run (rules that also ran last time).
    pub new: u64,
    /// Open findings this run and the previous one both found.
    pub still_open: u64,
    /// Findings of the previous run this run no longer finds (rules that ran both times).
    pub resolved: u64,
    /// Open findings of rules that did not run last time (a new rule, or a new pack version):
    /// not counted as new, so a rule pack upgrade does not look like a collapse in quality.
    pub from_new_rules: u64,
    pub by_table: Vec<TableChange>,
    /// Oldest first, this run last; at most [`TREND_RUNS`].
    pub trend: Vec<TrendPoint>,
    /// Duplicate people over the last runs that looked for them, oldest first, this run last
    /// (at most [`PEOPLE_TREND_RUNS`]); empty when this run did not look.
    pub people_trend: Vec<PeoplePoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunRef {
    pub run_id: String,
    pub as_of: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableChange {
    pub table: String,
    pub new: u64,
    pub still_open: u64,
    pub resolved: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrendPoint {
    pub run_id: String,
    pub as_of: String,
    pub open: u64,
    pub by_table: BTreeMap<String, u64>,
}

/// The history store under an output root.
pub struct History {
    dir: PathBuf,
}

impl History {
    pub fn new(out: &Path) -> Self {
        History {
            dir: out.join("history"),
        }
    }

    /// The run to compare a run of `as_of` with: the last one kept with that date or an
    /// earlier one (re-running a night compares with the earlier run of that night), with its
    /// open findings and its row counts (from the `run.json` the history keeps). No history, or
    /// none that early, is no previous run; a history that does not read is an error naming what.
    pub fn previous(&self, as_of: chrono::NaiveDate) -> Result<Previous> {
        let Some(run) = self.runs()?.into_iter().rev().find(|r| r.as_of <= as_of) else {
            return Ok(Previous::default());
        };
        let report = self.report(&run.run_id)?;
        let kept = self.findings(&run.run_id)?;
        Ok(Previous {
            first_seen: kept.into_iter().map(|k| (k.fingerprint, k.first_seen)).collect(),
            rows_in: report.tables.into_iter().map(|t| (t.table, t.rows_in)).collect(),
            as_of: Some(run.as_of),
            run_id: run.run_id,
        })
    }

    /// Every run kept, oldest first: by as-of date, then start time, then (for runs started in
    /// the same second) the order they claimed their ids in (`…Z`, `…Z-2`, `…Z-3`…).
    pub fn runs(&self) -> Result<Vec<RunRow>> {
        let Some(ctx) = self.session(&["runs"])? else {
            return Ok(Vec::new());
        };
        let batches = block_on(&self.dir, async {
            ctx.sql("SELECT run_id, as_of, started FROM runs")
                .await?
                .collect()
                .await
        })
        .map_err(|e| self.which_file("runs", e))?;
        let mut out = Vec::new();
        for b in &batches {
            let (ids, dates, started) = (strings(b, 0), dates(b, 1), strings(b, 2));
            for i in 0..b.num_rows() {
                // Run ids become file names: a damaged or planted file must not lead elsewhere.
                crate::output::publish::check_run_id(ids.value(i), &self.dir.join("runs"))?;
                out.push(RunRow {
                    run_id: ids.value(i).to_string(),
                    as_of: day(dates.value(i)),
                    started: started.value(i).to_string(),
                });
            }
        }
        out.sort_by_cached_key(|r| (r.as_of, r.started.clone(), claimed(&r.run_id)));
        Ok(out)
    }

    /// A kept run's `run.json`.
    pub fn report(&self, run_id: &str) -> Result<RunReport> {
        let path = self.file("runs", run_id)?;
        let ctx = SessionContext::new();
        let batches = block_on(&path, async {
            ctx.read_parquet(path.to_string_lossy().as_ref(), ParquetReadOptions::default())
                .await?
                .collect()
                .await
        })?;
        let text = batches
            .iter()
            .find(|b| b.num_rows() > 0)
            .map(|b| strings(b, 3).value(0).to_string())
            .ok_or_else(|| Error::history(&path, HistoryProblem::NoRun))?;
        let report: RunReport =
            serde_json::from_str(&text).map_err(|e| Error::history(&path, HistoryProblem::RunJson(e)))?;
        // Checked here, where the file is known, so that every report `insight` is given has a date.
        if let Err(source) = parse_day(&report.as_of) {
            let value = report.as_of;
            return Err(Error::history(&path, HistoryProblem::AsOf { value, source }));
        }
        Ok(report)
    }

    /// A kept run's open findings.
    pub fn findings(&self, run_id: &str) -> Result<Vec<Kept>> {
        let path = self.file("findings", run_id)?;
        if !path.is_file() {
            return Ok(Vec::new());
        }
        let ctx = SessionContext::new();
        let batches = block_on(&path, async {
            ctx.read_parquet(path.to_string_lossy().as_ref(), ParquetReadOptions::default())
                .await?
                .select_columns(&["table", "rule_id", "severity", "fingerprint", "first_seen"])?
                .collect()
                .await
        })?;
        let mut out = Vec::new();
        for b in &batches {
            let (table, rule, severity, print, first) =
                (strings(b, 0), strings(b, 1), strings(b, 2), strings(b, 3), dates(b, 4));
            for i in 0..b.num_rows() {
                out.push(Kept {
                    table: table.value(i).to_string(),
                    rule_id: rule.value(i).to_string(),
                    severity: Severity::parse(severity.value(i)).unwrap_or(Severity::Error),
                    fingerprint: print.value(i).to_string(),
                    first_seen: day(first.value(i)),
                });
            }
        }
        Ok(out)
    }

    /// Open findings per kept run and table, for the trend.
    fn open_counts(&self) -> Result<HashMap<String, BTreeMap<String, u64>>> {
        let Some(ctx) = self.session(&["findings"])? else {
            return Ok(HashMap::new());
        };
        let batches = block_on(&self.dir, async {
            ctx.sql(r#"SELECT run_id, "table", COUNT(*) FROM findings GROUP BY run_id, "table""#)
                .await?
                .collect()
                .await
        })
        .map_err(|e| self.which_file("findings", e))?;
        let mut out: HashMap<String, BTreeMap<String, u64>> = HashMap::new();
        for b in &batches {
            let (run, table) = (strings(b, 0), strings(b, 1));
            let n = datafusion::arrow::compute::cast(b.column(2), &DataType::Int64)
                .expect("COUNT(*) gives an Int64 whatever the files hold, and an Int64 casts to Int64");
            let n = n
                .as_any()
                .downcast_ref::<Int64Array>()
                .expect("a cast to Int64 gives an Int64Array");
            for i in 0..b.num_rows() {
                out.entry(run.value(i).to_string())
                    .or_default()
                    .insert(table.value(i).to_string(), n.value(i) as u64);
            }
        }
        Ok(out)
    }

    /// What a run found compared with the one before it, and the trend up to it. `current` is
    /// the run's own open findings and report (not necessarily kept yet); runs more than
    /// `keep_days` before it are left out, as the history is about to forget them.
    ///
    /// # Panics
    ///
    /// If `report.as_of` is not a yyyy-mm-dd date: a run writes it so, and [`History::report`]
    /// checks it of a report the history keeps.
    pub fn insight(&self, report: &RunReport, current: &[Kept], keep_days: u32) -> Result<Insight> {
        let as_of = as_of(report);
        let oldest = as_of
            .checked_sub_days(chrono::Days::new(u64::from(keep_days)))
            .unwrap_or(chrono::NaiveDate::MIN);
        let runs: Vec<RunRow> = self
            .runs()?
            .into_iter()
            .filter(|r| r.run_id != report.run_id && (r.as_of, r.started.as_str()) <= (as_of, report.started.as_str()))
            .filter(|r| r.as_of >= oldest)
            .collect();
        let mut insight = Insight::default();
        let counts = self.open_counts()?;
        let skip = (runs.len() + 1).saturating_sub(TREND_RUNS);
        for r in runs.iter().skip(skip) {
            let by_table = counts.get(&r.run_id).cloned().unwrap_or_default();
            insight.trend.push(TrendPoint {
                run_id: r.run_id.clone(),
                as_of: r.as_of.format("%Y-%m-%d").to_string(),
                open: by_table.values().sum(),
                by_table,
            });
        }
        let alone = Insight::alone(report, current);
        insight.trend.extend(alone.trend);
        if !alone.people_trend.is_empty() {
            // The last runs' reports (those that looked for people).
            for r in runs.iter().rev().take(PEOPLE_TREND_RUNS - 1) {
                if let Some(point) = PeoplePoint::of(&self.report(&r.run_id)?) {
                    insight.people_trend.push(point);
                }
            }
            insight.people_trend.reverse();
            insight.people_trend.extend(alone.people_trend);
        }
        let Some(prev) = runs.last() else { return Ok(insight) };
        insight.previous = Some(RunRef {
            run_id: prev.run_id.clone(),
            as_of: prev.as_of.format("%Y-%m-%d").to_string(),
        });
        let before = self.findings(&prev.run_id)?;
        let before_report = self.report(&prev.run_id)?;
        // Like with like: only rules that ran (on a table that was read) both times.
        let ran = |r: &RunReport| -> HashSet<String> {
            let read: HashSet<&str> = r.tables.iter().map(|t| t.table.as_str()).collect();
            r.rules
                .iter()
                .filter(|c| c.not_run.is_none() && read.contains(c.table.as_str()))
                .map(|c| c.id.clone())
                .collect()
        };
        let (ran_before, ran_now) = (ran(&before_report), ran(report));
        let then: HashSet<&str> = before.iter().map(|k| k.fingerprint.as_str()).collect();
        let now: HashSet<&str> = current.iter().map(|k| k.fingerprint.as_str()).collect();
        let mut tables: BTreeMap<String, TableChange> = BTreeMap::new();
        fn of<'a>(tables: &'a mut BTreeMap<String, TableChange>, t: &str) -> &'a mut TableChange {
            tables.entry(t.to_string()).or_insert_with(|| TableChange {
                table: t.to_string(),
                new: 0,
                still_open: 0,
                resolved: 0,
            })
        }
        for k in current {
            let t = of(&mut tables, &k.table);
            if then.contains(k.fingerprint.as_str()) {
                insight.still_open += 1;
                t.still_open += 1;
            } else if ran_before.contains(&k.rule_id) {
                insight.new += 1;
                t.new += 1;
            } else {
                insight.from_new_rules += 1;
            }
        }
        for k in &before {
            if !now.contains(k.fingerprint.as_str()) && ran_now.contains(&k.rule_id) {
                let t = of(&mut tables, &k.table);
                insight.resolved += 1;
                t.resolved += 1;
            }
        }
        insight.by_table = tables.into_values().collect();
        Ok(insight)
    }

    /// Write a run's files beside the kept ones, as `.partial` until [`History::commit`].
    ///
    /// # Panics
    ///
    /// If `report.as_of` is not a yyyy-mm-dd date, as [`History::insight`].
    pub fn write(&self, report: &RunReport, kept: &[Kept]) -> Result<()> {
        let as_of = as_of(report);
        let json = serde_json::to_string(report).expect("a RunReport serializes: its maps are keyed by text");
        let n = kept.len();
        let text = |v: Vec<&str>| Arc::new(StringArray::from(v)) as ArrayRef;
        let date = |v: Vec<i32>| Arc::new(Date32Array::from(v)) as ArrayRef;
        let runs = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("run_id", DataType::Utf8, false),
                Field::new("as_of", DataType::Date32, false),
                Field::new("started", DataType::Utf8, false),
                Field::new("report", DataType::Utf8, false),
            ])),
            vec![
                text(vec![&report.run_id]),
                date(vec![epoch_days(as_of)]),
                text(vec![&report.started]),
                text(vec![&json]),
            ],
        )
        .expect("the columns are built to the schema beside them, one row each");
        let findings = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("run_id", DataType::Utf8, false),
                Field::new("as_of", DataType::Date32, false),
                Field::new("table", DataType::Utf8, false),
                Field::new("rule_id", DataType::Utf8, false),
                Field::new("severity", DataType::Utf8, false),
                Field::new("fingerprint", DataType::Utf8, false),
                Field::new("first_seen", DataType::Date32, false),
            ])),
            vec![
                text(vec![report.run_id.as_str(); n]),
                date(vec![epoch_days(as_of); n]),
                text(kept.iter().map(|k| k.table.as_str()).collect()),
                text(kept.iter().map(|k| k.rule_id.as_str()).collect()),
                text(kept.iter().map(|k| k.severity.as_str()).collect()),
                text(kept.iter().map(|k| k.fingerprint.as_str()).collect()),
                date(kept.iter().map(|k| epoch_days(k.first_seen)).collect()),
            ],
        )
        .expect("the columns are built to the schema beside them, one row per kept finding each");
        for (kind, batch) in [("runs", runs), ("findings", findings)] {
            let path = self.partial(kind, &report.run_id)?;
            let dir = self.dir.join(kind);
            // A link there is refused before any run gets this far (`publish::check_root`).
            if std::fs::symlink_metadata(&dir).is_ok_and(|m| !m.is_dir() && !m.file_type().is_symlink()) {
                return Err(Error::history(&dir, HistoryProblem::NotAFolder));
            }
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            let file = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
            let mut w = ArrowWriter::try_new(file, batch.schema(), None).map_err(|e| parquet_error(&path, e))?;
            w.write(&batch).map_err(|e| parquet_error(&path, e))?;
            w.close().map_err(|e| parquet_error(&path, e))?;
        }
        Ok(())
    }

    /// Keep a run's files (as it publishes, under the root lock), and forget runs older than
    /// `keep_days` before it.
    pub fn commit(&self, run_id: &str, as_of: chrono::NaiveDate, keep_days: u32) -> Result<()> {
        for kind in ["runs", "findings"] {
            let (from, to) = (self.partial(kind, run_id)?, self.file(kind, run_id)?);
            std::fs::rename(&from, &to).map_err(|e| Error::io(&from, e))?;
        }
        let cutoff = as_of
            .checked_sub_days(chrono::Days::new(u64::from(keep_days)))
            .unwrap_or(chrono::NaiveDate::MIN);
        for old in self.runs()?.into_iter().filter(|r| r.as_of < cutoff) {
            for kind in ["runs", "findings"] {
                let path = self.file(kind, &old.run_id)?;
                if let Err(e) = std::fs::remove_file(&path)
                    && e.kind() != std::io::ErrorKind::NotFound
                {
                    return Err(Error::io(&path, e));
                }
            }
        }
        Ok(())
    }

    /// A run's kept file; only a run id is made into a file name.
    fn file(&self, kind: &str, run_id: &str) -> Result<PathBuf> {
        crate::output::publish::check_run_id(run_id, &self.dir.join(kind))?;
        Ok(self.dir.join(kind).join(format!("{run_id}.parquet")))
    }

    fn partial(&self, kind: &str, run_id: &str) -> Result<PathBuf> {
        crate::output::publish::check_run_id(run_id, &self.dir.join(kind))?;
        Ok(self.dir.join(kind).join(format!("{run_id}.parquet.partial")))
    }

    /// A session with the kept files of these kinds registered as tables; `None` if there are none.
    fn session(&self, kinds: &[&str]) -> Result<Option<SessionContext>> {
        let ctx = SessionContext::new();
        for kind in kinds {
            let dir = self.dir.join(kind);
            // No folder is no history yet; one that cannot be listed is a history that does not
            // read, not an empty one.
            let any = match std::fs::read_dir(&dir) {
                Ok(entries) => entries
                    .flatten()
                    .any(|e| e.path().extension().is_some_and(|x| x == "parquet")),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
                Err(e) => return Err(Error::io(&dir, e)),
            };
            if !any {
                return Ok(None);
            }
            let opts = ParquetReadOptions::default().file_extension(".parquet");
            let path = format!("{}/", dir.display());
            block_on(&dir, ctx.register_parquet(*kind, &path, opts)).map_err(|e| self.which_file(kind, e))?;
        }
        Ok(Some(ctx))
    }

    /// A query over every kept file of a kind failed with `e`: the error of the first file that
    /// does not read on its own, which names it, or else `e`.
    fn which_file(&self, kind: &str, e: Error) -> Error {
        let Ok(entries) = std::fs::read_dir(self.dir.join(kind)) else {
            return e;
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|f| f.path())
            .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
            .collect();
        files.sort();
        for path in files {
            let ctx = SessionContext::new();
            let read = block_on(&path, async {
                ctx.read_parquet(path.to_string_lossy().as_ref(), ParquetReadOptions::default())
                    .await?
                    .collect()
                    .await
            });
            if let Err(damaged) = read {
                return damaged;
            }
        }
        e
    }
}

/// A kept run.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub run_id: String,
    pub as_of: chrono::NaiveDate,
    pub started: String,
}

/// Where a run id comes among the ids claimed in its second: `…Z` first, then `…Z-2`, `…Z-3`…
fn claimed(run_id: &str) -> u64 {
    run_id.rsplit_once('-').and_then(|(_, n)| n.parse().ok()).unwrap_or(1)
}

/// Run a query over the history files at `path`. A query fails on files that are not what the
/// history writes (damaged, truncated, put there by hand), so its error names them.
fn block_on<T>(path: &Path, f: impl std::future::Future<Output = datafusion::error::Result<T>>) -> Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect(
        "a tokio runtime without its I/O driver builds: the driver is the only part whose start returns an error",
    );
    runtime
        .block_on(f)
        .map_err(|e| Error::history(path, HistoryProblem::Query(e)))
}

/// A text column as read back (Parquet text may come back as a string view), as plain strings.
fn strings(b: &RecordBatch, i: usize) -> StringArray {
    if i >= b.num_columns() {
        // A damaged or foreign file: read as blanks, which the callers report.
        return StringArray::from(vec![""; b.num_rows()]);
    }
    let col = datafusion::arrow::compute::cast(b.column(i), &DataType::Utf8).unwrap_or_else(|_| b.column(i).clone());
    col.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .unwrap_or_else(|| StringArray::from(vec![""; b.num_rows()]))
}

fn dates(b: &RecordBatch, i: usize) -> Date32Array {
    if i >= b.num_columns() {
        return Date32Array::from(vec![0; b.num_rows()]);
    }
    let col = datafusion::arrow::compute::cast(b.column(i), &DataType::Date32).unwrap_or_else(|_| b.column(i).clone());
    col.as_any()
        .downcast_ref::<Date32Array>()
        .cloned()
        .unwrap_or_else(|| Date32Array::from(vec![0; b.num_rows()]))
}

const UNIX_EPOCH_CE: i32 = 719_163;

fn epoch_days(d: chrono::NaiveDate) -> i32 {
    use chrono::Datelike;
    d.num_days_from_ce() - UNIX_EPOCH_CE
}

fn day(days: i32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_num_days_from_ce_opt(days + UNIX_EPOCH_CE).unwrap_or_default()
}

fn parse_day(s: &str) -> std::result::Result<chrono::NaiveDate, chrono::ParseError> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
}

/// A report's as-of date: see the panics of [`History::insight`].
fn as_of(report: &RunReport) -> chrono::NaiveDate {
    parse_day(&report.as_of).expect(
        "a report's as_of is yyyy-mm-dd: a run formats it so, and History::report checks it of a report read back",
    )
}

/// Writing a history file failed: the operating system's error as it was (its kind kept), else
/// Parquet's.
fn parquet_error(path: &Path, e: datafusion::parquet::errors::ParquetError) -> Error {
    use datafusion::parquet::errors::ParquetError;
    let e = match e {
        ParquetError::External(inner) => match inner.downcast::<std::io::Error>() {
            Ok(io) => return Error::io(path, *io),
            Err(other) => ParquetError::External(other),
        },
        e => e,
    };
    Error::io(path, std::io::Error::other(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: chrono::NaiveDate = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();

    /// A run's report with `rows` records of `children`.
    fn report(run_id: &str, rows: u64) -> RunReport {
        serde_json::from_value(serde_json::json!({
            "run_id": run_id, "name": "", "tool_version": "", "started": "2026-03-01T07:00:00Z",
            "finished": "", "as_of": "2026-03-01", "config": "", "inputs": [], "rule_packs": [],
            "tables": [{
                "table": "children", "rows_in": rows, "corrected": rows, "rejected": 0, "errors": 0,
                "warnings": 0, "infos": 0, "cells_changed": 0, "changes_proposed": 0, "conflicts": 0
            }],
            "rules": [], "corrections": [], "tables_without_input": [], "timings_ms": {}
        }))
        .expect("a report")
    }

    #[test]
    fn the_previous_run_is_the_last_kept_and_carries_its_row_counts() {
        let out = tempfile::tempdir().unwrap();
        let history = History::new(out.path());
        // Three runs started in one second, kept out of order: as text, `…Z-10` sorts before `…Z-2`.
        for (id, rows) in [
            ("20260301T070000Z-10", 10),
            ("20260301T070000Z", 1),
            ("20260301T070000Z-2", 2),
        ] {
            history.write(&report(id, rows), &[]).unwrap();
            history.commit(id, DAY, crate::spec::config::DEFAULT_KEEP_DAYS).unwrap();
        }
        let ids: Vec<String> = history.runs().unwrap().into_iter().map(|r| r.run_id).collect();
        assert_eq!(ids, ["20260301T070000Z", "20260301T070000Z-2", "20260301T070000Z-10"]);
        let previous = history.previous(DAY).unwrap();
        assert_eq!(
            (previous.run_id.as_str(), previous.as_of),
            ("20260301T070000Z-10", Some(DAY))
        );
        assert_eq!(previous.rows_in, BTreeMap::from([("children".to_string(), 10)]));
        // A night before every kept run has none.
        let none = history.previous(DAY.pred_opt().unwrap()).unwrap();
        assert!(none.as_of.is_none() && none.rows_in.is_empty() && none.first_seen.is_empty());
    }

    #[test]
    fn no_history_is_no_previous_run_but_one_that_cannot_be_listed_is_an_error() {
        let out = tempfile::tempdir().unwrap();
        assert!(History::new(out.path()).previous(DAY).unwrap().as_of.is_none());
        std::fs::create_dir_all(out.path().join("history")).unwrap();
        std::fs::write(out.path().join("history/runs"), "not a folder").unwrap();
        let e = History::new(out.path()).previous(DAY).unwrap_err();
        assert!(
            matches!(&e, Error::Io { path, .. } if path.ends_with("history/runs")),
            "{e}"
        );
    }
}
