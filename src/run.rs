//! The nightly run: configuration → rules → (ingest → check → route) per
//! table → reports → publish. The one function the binary and the tests call.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::engine::load::{Loaded, load};
use crate::engine::returns;
use crate::engine::route::{Routed, Sinks, TableJob, process_table};
use crate::engine::{people, relate};
use crate::model::error::{Error, Result};
use crate::model::finding::Detail;
use crate::model::table::Severity;
use crate::output::history::{History, Insight};
use crate::output::publish::{RootLock, Staging};
use crate::output::report::{ReferenceReport, RuleCount, RunReport};
use crate::output::sinks::{ChangeCounts, Changes, Counts, Exceptions, State};
use crate::source::Source;
use crate::spec::config::{Config, TableFormat};
use crate::spec::reference::ReferenceData;
use crate::spec::rules::RuleSet;

pub struct RunOptions {
    pub config: PathBuf,
    pub out: PathBuf,
    /// Overrides the configuration's `as_of`.
    pub as_of: Option<chrono::NaiveDate>,
    /// Rows per batch (tests use small batches to exercise batch edges).
    pub batch_rows: usize,
    /// Apply `review` corrections too, not only `safe` ones.
    pub apply_review: bool,
    /// Bytes the rules over whole tables may hold before they spill to disk
    /// ([`relate::DEFAULT_MEMORY_LIMIT`] unless told).
    pub memory_limit: usize,
    /// Let those rules spill to disk past the limit (the default); without, a query over the
    /// limit stops the run (tests use it to show that spilling is what saved one).
    pub spill: bool,
    /// Formats the corrected and rejected tables are written in besides CSV, added to the
    /// configuration's `output_formats` (`--output-format`).
    pub output_formats: Vec<TableFormat>,
}

impl RunOptions {
    pub fn new(config: impl Into<PathBuf>, out: impl Into<PathBuf>) -> Self {
        RunOptions {
            config: config.into(),
            out: out.into(),
            as_of: None,
            batch_rows: 16 * 1024,
            apply_review: false,
            memory_limit: relate::DEFAULT_MEMORY_LIMIT,
            spill: true,
            output_formats: Vec::new(),
        }
    }
}

pub struct RunOutcome {
    pub run_dir: PathBuf,
    pub report: RunReport,
}

/// What the binary's allocator does to hand freed memory back to the system, if it holds on
/// to it (set once, by `main`). Called between the stages of a run: pages a stage freed on a
/// thread of the pool stay with that thread until it allocates again, and the pool sits idle
/// while the rules over whole tables run.
pub static RELEASE_MEMORY: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

fn release_memory() {
    if let Some(release) = RELEASE_MEMORY.get() {
        // On a thread of the pool (runs started in parallel, as `cleanse test` does), a
        // broadcast would wait for the pool from inside it, running other runs meanwhile, each
        // broadcasting in turn, until the stack overflows.
        if rayon::current_thread_index().is_none() {
            rayon::broadcast(|_| release());
        }
        release();
    }
}

/// Run the configuration `opts` names: validate it and its packs, then check its exports.
pub fn run(opts: &RunOptions) -> Result<RunOutcome> {
    let t0 = Instant::now();
    let config = Config::load(&opts.config).map_err(Error::Rules)?;
    let as_of = opts
        .as_of
        .or(config.as_of)
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let set = crate::spec::validate::packs_for(&config, as_of, &crate::kinds::REGISTRY).map_err(Error::Rules)?;
    tracing::info!(
        packs = set.packs.len(),
        tables = set.tables.len(),
        rules = set.rules.len(),
        "rules loaded"
    );
    let loaded = BTreeMap::from([("rules_ms".to_string(), t0.elapsed().as_millis() as u64)]);
    run_loaded(opts, &config, &set, as_of, loaded)
}

/// The reference data the rules that can run read: the postcode directory is read only when
/// one of them needs it (it is large).
fn read_references(
    config: &Config,
    reads: &relate::Reads,
    projections: &relate::Projections,
    timings: &mut BTreeMap<String, u64>,
    read: &mut Vec<ReferenceReport>,
) -> Result<Arc<ReferenceData>> {
    use crate::spec::reference::Reference;
    let mut data = ReferenceData {
        postcodes: None,
        local_authority: config.local_authority.clone(),
        ofsted_providers: None,
    };
    if reads.references.contains(&Reference::OfstedProviders) && !config.ofsted_providers.is_empty() {
        let t = Instant::now();
        let mut providers = crate::model::providers::Providers::default();
        for path in &config.ofsted_providers {
            let list = crate::source::providers::read(path, config.pivot, &mut providers)?;
            read.push(ReferenceReport {
                reference: "ofsted_providers".into(),
                file: path.display().to_string(),
                sha256: list.sha256,
                rows: list.rows,
            });
        }
        timings.insert("ofsted_providers_ms".to_string(), t.elapsed().as_millis() as u64);
        tracing::info!(
            providers = providers.len(),
            ms = t.elapsed().as_millis() as u64,
            "Ofsted provider lists read"
        );
        data.ofsted_providers = Some(Arc::new(providers));
    }
    if let (true, Some(path)) = (reads.references.contains(&Reference::Postcodes), &config.postcodes) {
        let t = Instant::now();
        // Only the postcodes the rules can be given: every value of the tables they read (a
        // `query` rule reads all of a table's columns), and those they write themselves. The
        // directory's 2.7 million rows would otherwise take some 250 MB.
        let batches = projections.values().flat_map(|(_, batches)| batches);
        let mut wanted = crate::source::postcodes::keys_in(batches);
        wanted.extend(reads.literals.iter().filter_map(|l| crate::model::postcodes::key(l)));
        // And the providers' own, which rules place through `postcode_la(ofsted_postcode(urn))`.
        if let Some(providers) = &data.ofsted_providers {
            wanted.extend(providers.postcodes().filter_map(crate::model::postcodes::key));
        }
        let directory = crate::source::postcodes::read(path, Some(&wanted))?;
        timings.insert("postcodes_ms".to_string(), t.elapsed().as_millis() as u64);
        tracing::info!(
            rows = directory.rows,
            postcodes = directory.postcodes.len(),
            ms = t.elapsed().as_millis() as u64,
            "postcode directory read"
        );
        read.push(ReferenceReport {
            reference: "postcodes".into(),
            file: path.display().to_string(),
            sha256: directory.sha256,
            rows: directory.rows,
        });
        data.postcodes = Some(Arc::new(directory.postcodes));
    }
    Ok(Arc::new(data))
}

/// Check a configuration's exports against rules already loaded and validated (the rule packs
/// were compiled with `today` = `as_of`). `cleanse test` runs each example this way, with only
/// the rule or correction under test.
pub fn run_with(opts: &RunOptions, config: &Config, set: &RuleSet, as_of: chrono::NaiveDate) -> Result<RunOutcome> {
    run_loaded(opts, config, set, as_of, BTreeMap::new())
}

fn run_loaded(
    opts: &RunOptions,
    config: &Config,
    set: &RuleSet,
    as_of: chrono::NaiveDate,
    mut timings: BTreeMap<String, u64>,
) -> Result<RunOutcome> {
    let started = chrono::Utc::now();
    let t0 = Instant::now();
    let sources = open_inputs(config, set, opts.batch_rows)?;
    // Held batches are written inside the run's own folder, and go with it if the run fails.
    let staging = Staging::create(&opts.out, started)?;
    let run_id = staging.run_id().to_string();
    let reads = relate::reads(set, config);
    let parts = people::parts(set, config);
    let t = Instant::now();
    let Loaded {
        exports,
        mut fixes,
        projections,
        records,
    } = load(
        set,
        config,
        sources,
        &staging,
        &reads,
        &parts,
        opts.apply_review,
        opts.batch_rows,
    )?;
    timings.insert("load_ms".to_string(), t.elapsed().as_millis() as u64);
    release_memory();
    let t = Instant::now();
    // Spilled sorts go in the run's staging folder, and go with it.
    let spill = staging.path(".spill");
    std::fs::create_dir_all(&spill).map_err(|e| Error::io(&spill, e))?;
    let memory = relate::Memory {
        limit: opts.memory_limit,
        spill: opts.spill.then(|| spill.clone()),
    };
    let mut references_read = Vec::new();
    let references = read_references(config, &reads, &projections, &mut timings, &mut references_read)?;
    let mut related = relate::relate(set, reads, &references, projections, opts.batch_rows, &memory)?;
    std::fs::remove_dir_all(&spill).map_err(|e| Error::io(&spill, e))?;
    timings.insert("relate_ms".to_string(), t.elapsed().as_millis() as u64);
    release_memory();
    let t = Instant::now();
    let mut people = people::dedupe(set, &parts, records)?;
    timings.insert("dedupe_ms".to_string(), t.elapsed().as_millis() as u64);
    // Merges are made by their corrections, which need to know who survives.
    fixes.lookups.extend(people.merge_lookups(set));
    // Routing reads one list of whole-table findings per table, in line order.
    related.absorb(std::mem::take(&mut people.findings));
    // The previous run, from the history: its open findings tell new findings from ones still
    // open, and its row counts are what `row_count` compares with.
    let history = History::new(&opts.out);
    let previous_run = {
        let _root = RootLock::acquire(&opts.out)?;
        history.previous(as_of)
    };
    let previous = returns::PreviousCounts::of(&previous_run);
    // A history that cannot be read must not stop the nightly job: the run goes on as a first run,
    // and `row_count` says it could not compare.
    let previous_run = previous_run.unwrap_or_else(|e| {
        tracing::warn!(
            "the history could not be read, so every finding counts as new and no row count change is checked: {e}"
        );
        Default::default()
    });
    let report_by = set
        .tables
        .iter()
        .find_map(|t| t.report_by.map(|c| t.columns[c].name.as_str()));
    let mut formats = config.output_formats.clone();
    formats.extend(&opts.output_formats);
    let mut exceptions = Exceptions::create(&staging, previous_run, as_of, report_by)?;
    let mut changes = Changes::create(&staging)?;
    let mut tables = Vec::new();
    let mut inputs = Vec::new();
    let mut measures = HashMap::new();
    let mut breakdown = Vec::new();
    // Per XML return: the values corrections set, to write into it, and those it has no element for.
    let mut documents: BTreeMap<PathBuf, Document> = BTreeMap::new();
    for (input, export) in config.inputs.iter().zip(exports) {
        let t = Instant::now();
        let job = TableJob {
            input,
            export,
            related: related.take(set.table(&input.table).expect(crate::engine::INPUT_TABLES)),
        };
        let sinks = Sinks {
            exceptions: &mut exceptions,
            changes: &mut changes,
        };
        let Routed {
            table,
            input: input_report,
            measured,
            breakdowns,
            edits,
            unplaced,
        } = process_table(set, config, &fixes, job, &staging, sinks, opts.batch_rows)?;
        if crate::model::cells::is_xml(&input.path) {
            let document = documents.entry(input.path.clone()).or_default();
            document.edits.extend(edits);
            document.unplaced += unplaced;
        }
        measures.extend(measured);
        breakdown.extend(breakdowns);
        timings.insert(format!("table_{}_ms", input.table), t.elapsed().as_millis() as u64);
        tracing::info!(table = %input.table, rows = table.rows_in, corrected = table.corrected, rejected = table.rejected, ms = t.elapsed().as_millis() as u64, "table checked");
        assert_eq!(
            table.rows_in,
            table.corrected + table.rejected,
            "row conservation: every row of `{}` is routed to exactly one of corrected/ and rejected/",
            table.table
        );
        let declared = &set.tables[set.table(&input.table).expect(crate::engine::INPUT_TABLES)];
        // A table read from a workbook goes back as one too.
        if input_report.sheet.is_some() || formats.contains(&TableFormat::Xlsx) {
            let t = Instant::now();
            let sheet = input_report.sheet.as_deref().unwrap_or(&input.table);
            crate::output::workbook::write_tables(&staging, declared, sheet, config.pivot)?;
            timings.insert(format!("table_{}_xlsx_ms", input.table), t.elapsed().as_millis() as u64);
        }
        if formats.contains(&TableFormat::Parquet) {
            let t = Instant::now();
            crate::output::parquet::write_tables(&staging, declared, config.pivot)?;
            timings.insert(
                format!("table_{}_parquet_ms", input.table),
                t.elapsed().as_millis() as u64,
            );
        }
        tables.push(table);
        inputs.push(input_report);
    }
    write_documents(&staging, &documents)?;
    for (ri, reason) in &related.not_run {
        let message = format!(
            "Not checked: {reason}, so this rule could not run on any row. ({})",
            set.rules[*ri].message
        );
        exceptions.write_table_level(set, config, &mut tables, *ri, State::NotChecked, "", &message)?;
    }
    for (ri, detail) in &related.returns {
        let rule = &set.rules[*ri];
        let (state, message) = match detail {
            Detail::Unparsed { column } => (
                State::NotChecked,
                format!(
                    "Not checked: a value of `{}` did not parse, so the return could not be measured. ({})",
                    set.tables[rule.table].columns[*column].header, rule.message
                ),
            ),
            _ => (State::Open, rule.message.clone()),
        };
        exceptions.write_table_level(set, config, &mut tables, *ri, state, "", &message)?;
    }
    let judged = returns::judge(set, &tables, &measures, &previous);
    for (ri, outcome) in &judged {
        let rule = &set.rules[*ri];
        match outcome {
            returns::Outcome::Pass(_) => {}
            returns::Outcome::Breach { figure, limit } => {
                let message = format!("{} ({figure}; the limit is {limit}.)", rule.message);
                exceptions.write_table_level(set, config, &mut tables, *ri, State::Open, figure, &message)?;
            }
            returns::Outcome::NotChecked(why) => {
                let message = format!("Not checked: {why}. ({})", rule.message);
                exceptions.write_table_level(set, config, &mut tables, *ri, State::NotChecked, "", &message)?;
            }
        }
    }
    // Every held batch was read back by routing, which removed its file; the folder goes too.
    let held = staging.path(".held");
    if held.is_dir() {
        std::fs::remove_dir_all(&held).map_err(|e| Error::io(&held, e))?;
    }
    people::write_outputs(staging.dir(), set, config, &people)?;
    let people_report = people.report(set);
    let (counts, kept) = exceptions.finish(&staging)?;
    let change_counts = changes.finish()?;
    let t = Instant::now();
    let routed: Vec<String> = config.inputs.iter().map(|i| i.table.clone()).collect();
    crate::output::workbook::write_exceptions(&staging, &routed)?;
    timings.insert("exceptions_xlsx_ms".to_string(), t.elapsed().as_millis() as u64);

    let rules_report = rule_counts(set, &counts, &related.not_run, &judged);
    crate::output::rule_summary::write(&staging, set, &rules_report)?;
    let corrections_report = correction_counts(set, &change_counts, &fixes.not_run);
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
        references: references_read,
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
        breakdown,
        people: people_report,
        timings_ms: timings,
    };
    // From here to the `latest` switch, one run at a time: the history this run compares with is
    // the one it joins, and no other run prunes it or switches `latest` meanwhile.
    let root = RootLock::acquire(&opts.out)?;
    let insight = history.insight(&report, &kept, config.keep_days).unwrap_or_else(|e| {
        tracing::warn!("the history could not be read, so the summary shows this run alone: {e}");
        Insight::alone(&report, &kept)
    });
    crate::output::summary::write_summaries(staging.dir(), &report, &insight)?;
    report
        .timings_ms
        .insert("report_ms".to_string(), t.elapsed().as_millis() as u64);
    let loading = report.timings_ms.get("rules_ms").copied().unwrap_or(0);
    report
        .timings_ms
        .insert("total_ms".to_string(), loading + t0.elapsed().as_millis() as u64);
    report.finished = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let path = staging.path("run.json");
    let mut json = staging.file("run.json")?;
    serde_json::to_writer_pretty(&mut json, &report).map_err(|e| Error::json(&path, e))?;
    json.flush().map_err(|e| Error::io(&path, e))?;
    drop(json);
    history.write(&report, &kept)?;
    // Kept before it is published, so the history has every published run even if this process
    // dies in between (the next run then clears both, as this run never published). A history
    // that cannot be kept must not stop the run being published.
    if let Err(e) = history.commit(&run_id, as_of, config.keep_days) {
        tracing::warn!("this run could not be added to the history: {e}");
    }
    let run_dir = staging.commit(&root)?;
    drop(root);
    Ok(RunOutcome { run_dir, report })
}

/// `cleanse report`: rebuild a kept run's summaries from the history alone, without checking
/// anything again (after an upgrade of Cleanse, or when the history has grown since). Returns
/// the run's directory.
pub fn rebuild_summary(out: &Path, run_id: Option<&str>) -> Result<PathBuf> {
    // A name that is not a run id is never made into a path.
    if let Some(id) = run_id.filter(|id| !crate::output::publish::is_run_id(id)) {
        return Err(Error::Refused {
            path: out.join("history"),
            reason: format!(
                "the history keeps no run `{}`: that is not a run id (run ids look like 20260331T070012Z or \
                 20260331T070012Z-2)",
                id.escape_debug()
            ),
        });
    }
    let history = History::new(out);
    // Not while a run is pruning the history (when there is an output folder to lock at all).
    let _root = if out.join("history").is_dir() {
        Some(RootLock::acquire(out)?)
    } else {
        None
    };
    let runs = history.runs()?;
    let run = match run_id {
        Some(id) => runs.iter().find(|r| r.run_id == id).ok_or_else(|| {
            Error::io(
                out.join("history"),
                std::io::Error::new(std::io::ErrorKind::NotFound, format!("the history keeps no run `{id}`")),
            )
        })?,
        None => runs.last().ok_or_else(|| {
            Error::io(
                out.join("history"),
                std::io::Error::new(std::io::ErrorKind::NotFound, "the history keeps no runs yet"),
            )
        })?,
    };
    let dir = out.join("runs").join(&run.run_id);
    if !dir.is_dir() {
        return Err(Error::io(
            &dir,
            std::io::Error::new(std::io::ErrorKind::NotFound, "the run's directory is gone"),
        ));
    }
    let report = history.report(&run.run_id)?;
    let kept = history.findings(&run.run_id)?;
    // The history keeps only what its retention allowed; all of it counts.
    let insight = history.insight(&report, &kept, u32::MAX)?;
    crate::output::summary::write_summaries(&dir, &report, &insight)?;
    Ok(dir)
}

/// Open every export and match its header before any row is checked, so one
/// run reports every missing or ambiguous column in every file.
fn open_inputs(config: &Config, set: &RuleSet, batch_rows: usize) -> Result<Vec<Source>> {
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    let mut books = crate::source::workbook::Workbooks::default();
    let table_of =
        |input: &crate::spec::config::Input| &set.tables[set.table(&input.table).expect(crate::engine::INPUT_TABLES)];
    let mut documents = crate::source::xml::Documents::new(
        config
            .inputs
            .iter()
            .filter(|i| crate::model::cells::is_xml(&i.path))
            .map(|i| (i.path.clone(), table_of(i).clone()))
            .collect(),
    );
    for input in &config.inputs {
        let table = table_of(input);
        match Source::open(input, table, batch_rows, &mut books, &mut documents) {
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
            // A rule with no words of its own (or implied by a column's declaration, whose docs
            // say how it is written) is explained by why its kind matters.
            docs: if r.docs.is_empty() || r.declared.is_none() {
                crate::kinds::doc(r.kind).map_or_else(String::new, |d| d.why.to_string())
            } else {
                r.docs.clone()
            },
            findings: counts.get(&r.id).map_or(0, |c| c.open),
            not_checked: counts.get(&r.id).map_or(0, |c| c.not_checked),
            corrected: counts.get(&r.id).map_or(0, |c| c.corrected),
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
    for &(id, message, docs) in crate::source::ingest_rules::ALL {
        out.push(RuleCount {
            id: id.to_string(),
            table: String::new(),
            kind: "ingest".to_string(),
            severity: Severity::Error,
            message: message.to_string(),
            docs: docs.to_string(),
            findings: counts.get(id).map_or(0, |c| c.open),
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
) -> Vec<crate::output::report::CorrectionCount> {
    set.corrections
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let n = counts.get(&i).copied().unwrap_or_default();
            crate::output::report::CorrectionCount {
                id: c.id.clone(),
                table: set.tables[c.table].name.clone(),
                kind: c.kind.to_string(),
                apply: c.apply,
                rule: c.rule.clone(),
                applied: n.applied,
                proposed: n.proposed,
                conflicts: n.conflicts,
                not_run: not_run.iter().find(|(x, _)| *x == i).map(|(_, why)| why.clone()),
            }
        })
        .collect()
}

/// An XML return's corrections: the values to write into it, and how many it has no element for.
#[derive(Default)]
struct Document {
    edits: Vec<crate::source::xml::Edit>,
    unplaced: u64,
}

/// Each XML return as read, with the values corrections set written into their elements, as
/// `corrected/<its file name>`: every other byte as it was, so it goes back to the DfE as the
/// council's own file. A corrected value whose element the return does not have (a value filled
/// in where there was none) is in `corrected/<table>.csv` and `changes.csv` but not in the
/// document, and the log says how many.
fn write_documents(staging: &Staging, documents: &BTreeMap<PathBuf, Document>) -> Result<()> {
    for (path, Document { edits, unplaced }) in documents {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let bytes = crate::source::xml::with_values(path, edits)?;
        let rel = format!("corrected/{name}");
        let mut file = staging.file(&rel)?;
        file.write_all(&bytes)
            .and_then(|()| file.flush())
            .map_err(|e| Error::io(staging.path(&rel), e))?;
        tracing::info!(file = %rel, values = edits.len(), "corrected return written");
        if *unplaced > 0 {
            tracing::warn!(
                file = %rel,
                values = unplaced,
                "corrections set values of elements the return does not have: they are in corrected/ and changes.csv, not in the corrected return"
            );
        }
    }
    Ok(())
}
