//! `cleanse test`: run the examples rules files carry.
//!
//! Each example runs through the real pipeline, not a model of it: its rows are written as a
//! small export (with the table's declared headers) and checked by [`crate::run::run_with`] with
//! only the rule or correction under test, exactly as a nightly run would check them. What the
//! run published (`exceptions.csv`, `changes.csv`) is then compared with what the example says.
//! [`observe`], which runs one example and reads back what was published, is also what the rule
//! kinds' unit tests run their rows with.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::model::diag::SourceFile;
use crate::model::error::{Error, Result};
use crate::model::table::Table;
use crate::run::{RunOptions, run_with};
use crate::spec::config::Encoding;
use crate::spec::config::{Config, Input};
use crate::spec::examples::{Example, Expect, Subject};
use crate::spec::raw::{ExamplePostcode, ExamplesReference};
use crate::spec::rules::{self, RuleSet, Semantics};

/// One example's result.
#[derive(Debug)]
pub struct Tested {
    /// The rule or correction id.
    pub subject: String,
    pub name: String,
    pub file: Arc<SourceFile>,
    pub span: Range<usize>,
    /// Why it failed; `None` if it passed.
    pub failure: Option<String>,
}

/// Everything `cleanse test` ran, and what has no examples.
#[derive(Debug, Default)]
pub struct TestRun {
    pub results: Vec<Tested>,
    /// Rules and corrections (ids) with no examples at all.
    pub untested: Vec<String>,
}

/// Run every example in the rule packs at `paths` (as `cleanse check` finds them: files,
/// folders, configurations' packs). `as_of` overrides each pack's `examples_as_of`. Packs are
/// loaded in the sets a run would load them in ([`crate::spec::validate::pack_sets`]: a year's
/// pack on its own), and each example runs where its own pack is not extended by another, so
/// in its own collection year.
pub fn test(paths: &[PathBuf], as_of: Option<chrono::NaiveDate>) -> Result<TestRun> {
    let mut run = TestRun::default();
    for packs in crate::spec::validate::pack_sets(paths)? {
        let TestRun { results, untested } = test_set(&packs, as_of)?;
        run.results.extend(results);
        run.untested.extend(untested);
    }
    Ok(run)
}

/// Run the examples of one set of packs, loaded together.
fn test_set(packs: &[PathBuf], as_of: Option<chrono::NaiveDate>) -> Result<TestRun> {
    let today = chrono::Local::now().date_naive();
    let set = rules::load(
        packs,
        Semantics {
            as_of: as_of.unwrap_or(today),
            collection_year: None,
        },
        &crate::kinds::REGISTRY,
    )
    .map_err(Error::Rules)?;
    // Rules compile `today` in, so each date the packs' examples assume needs its own load.
    let date_of = |pack: usize| as_of.or(set.packs[pack].examples_as_of).unwrap_or(today);
    let own = |e: &&crate::spec::examples::Examples| !set.packs[e.pack].extended;
    let mut sets: HashMap<chrono::NaiveDate, RuleSet> = HashMap::new();
    for e in set.examples.iter().filter(own) {
        let date = date_of(e.pack);
        if let std::collections::hash_map::Entry::Vacant(e) = sets.entry(date) {
            let semantics = Semantics {
                as_of: date,
                collection_year: None,
            };
            e.insert(rules::load(packs, semantics, &crate::kinds::REGISTRY).map_err(Error::Rules)?);
        }
    }
    let jobs: Vec<(&RuleSet, usize, usize, chrono::NaiveDate)> = set
        .examples
        .iter()
        .enumerate()
        .filter(|(_, e)| own(e))
        .flat_map(|(i, e)| {
            let date = date_of(e.pack);
            (0..e.list.len()).map(move |j| (i, j, date))
        })
        .map(|(i, j, date)| (&sets[&date], i, j, date))
        .collect();
    let results = jobs
        .into_par_iter()
        .map(|(dated, i, j, date)| {
            let examples = &dated.examples[i];
            let example = &examples.list[j];
            Tested {
                subject: examples.subject.id().to_string(),
                name: example.name.clone(),
                file: Arc::clone(&example.file),
                span: example.span.clone(),
                failure: run_one(dated, examples, example, date).err(),
            }
        })
        .collect();
    let untested = set
        .examples
        .iter()
        .filter(own)
        .filter(|e| e.list.is_empty())
        .map(|e| e.subject.id().to_string())
        .collect();
    Ok(TestRun { results, untested })
}

/// Run one example; `Err` says why it failed.
fn run_one(
    set: &RuleSet,
    examples: &crate::spec::examples::Examples,
    example: &Example,
    as_of: chrono::NaiveDate,
) -> std::result::Result<(), String> {
    let (subject, table) = (&examples.subject, examples.table);
    let dir = Scratch::new().map_err(|e| format!("could not make a scratch folder: {e}"))?;
    let reference = set.packs[examples.pack].examples_reference.as_ref();
    let seen = observe(set, subject, table, example, reference, as_of, &dir.0.join("out"))?;
    let table = &set.tables[table];
    match &example.expect {
        Expect::Rows(want) => {
            let mut problems = Vec::new();
            let mut reported = BTreeSet::new();
            for f in &seen.findings {
                match (f.row, f.status.as_str()) {
                    (Some(row), "not checked") => problems.push(format!("row {row}: {}", f.message)),
                    (Some(row), _) => {
                        reported.insert(row);
                        if !want.contains(&row) {
                            problems.push(format!("row {row} was reported, but should pass: {}", f.message));
                        }
                    }
                    (None, _) if f.line == 0 => problems.push(format!("reported about the whole table: {}", f.message)),
                    (None, _) => problems.push(format!("reported on `{}` line {}: {}", f.table, f.line, f.message)),
                }
            }
            for row in want.iter().filter(|r| !reported.contains(r)) {
                problems.push(format!("row {row} should be reported, but passed"));
            }
            verdict(problems)
        }
        Expect::Whole(want) => {
            let whole: Vec<&Found> = seen
                .findings
                .iter()
                .filter(|f| f.line == 0 && f.table == table.name)
                .collect();
            let mut problems = match (whole.first(), *want) {
                (Some(f), _) if f.status == "not checked" => vec![format!("could not be checked: {}", f.message)],
                (Some(f), false) => vec![format!("was reported, but should pass: {}", f.message)],
                (None, true) => vec!["should be reported, but passed".to_string()],
                _ => Vec::new(),
            };
            // `fail: true` or `false` says what a rule reports about the whole table; a rule
            // that reported rows is about rows, and such an example would otherwise test nothing.
            problems.extend(seen.findings.iter().filter_map(|f| {
                f.row.map(|row| {
                    format!(
                        "row {row} was reported ({}); `fail: true` or `false` is for a rule about the whole table: list the rows it reports, e.g. `fail: [{row}]` or `fail: []`",
                        f.message
                    )
                })
            }));
            verdict(problems)
        }
        Expect::Values(want) => {
            let mut changed: BTreeMap<(usize, usize), String> = BTreeMap::new();
            let mut problems = Vec::new();
            for c in seen.changes {
                let (Some(row), Some(col)) = (c.row, table.columns.iter().position(|x| x.header == c.column)) else {
                    problems.push(format!(
                        "changed `{}` on line {}, which is not one of the example's rows",
                        c.column, c.line
                    ));
                    continue;
                };
                changed.insert((row, col), c.new_value);
            }
            for (row, col, value) in want {
                let name = &table.columns[*col].name;
                let before = &example.rows[row - 1][*col];
                match changed.remove(&(*row, *col)) {
                    Some(got) if &got == value => {}
                    Some(got) => problems.push(format!("`{name}`: wanted `{value}`, got `{got}`")),
                    None if before == value => {}
                    None => problems.push(format!("`{name}`: wanted `{value}`, but `{before}` was left unchanged")),
                }
            }
            for ((_, col), got) in changed {
                problems.push(format!("also changed `{}` to `{got}`", table.columns[col].name));
            }
            verdict(problems)
        }
    }
}

/// What one example's run published about its subject, whatever the example expects.
#[derive(Debug)]
pub struct Seen {
    /// Its lines of `exceptions.csv`, in file order.
    pub findings: Vec<Found>,
    /// Its lines of `changes.csv`, in file order.
    pub changes: Vec<Changed>,
}

/// A line of `exceptions.csv`.
#[derive(Debug)]
pub struct Found {
    /// The example's row it is about (from 1, as `fail: [n]` counts); `None` for the whole
    /// table, or a line that is no row of the example (one of another table's rows: a
    /// `same_person` rule's `also`).
    pub row: Option<usize>,
    /// The table it is about.
    pub table: String,
    /// Its line in that table's export; 0 for the whole table.
    pub line: u64,
    /// `new`, `open`, `not checked`...
    pub status: String,
    pub message: String,
}

/// A line of `changes.csv`.
#[derive(Debug)]
pub struct Changed {
    /// The example's row it changed (from 1); `None` for a line that is no row of the example.
    pub row: Option<usize>,
    pub table: String,
    pub line: u64,
    /// The column's header.
    pub column: String,
    pub new_value: String,
    /// `applied`, `proposed` or `conflict`.
    pub applied: String,
}

/// Run one example through the pipeline (its rows written as exports, only its subject
/// loaded) and read back what the run published about the subject. Runs write to `out`; a
/// later run into the same folder compares with the earlier ones, as nights do.
pub fn observe(
    set: &RuleSet,
    subject: &Subject,
    table: usize,
    example: &Example,
    reference: Option<&ExamplesReference>,
    as_of: chrono::NaiveDate,
    out: &Path,
) -> std::result::Result<Seen, String> {
    let dir = Scratch::new().map_err(|e| format!("could not make a scratch folder: {e}"))?;
    let only = set.only(subject, table);
    let mut inputs = Vec::new();
    let mut lines = Vec::new();
    for (ti, rows) in std::iter::once((table, &example.rows)).chain(example.other.iter().map(|(t, r)| (*t, r))) {
        let t = &set.tables[ti];
        let path = dir.0.join(format!("{}.csv", t.name));
        let starts = write_export(&path, t, rows).map_err(|e| format!("could not write {}: {e}", path.display()))?;
        if ti == table {
            lines = starts;
        }
        inputs.push(Input {
            table: t.name.clone(),
            path,
            encoding: Encoding::Utf8,
            delimiter: b',',
            skip_lines: 0,
            max_value_lines: crate::spec::config::Dialect::DEFAULT_MAX_VALUE_LINES,
            sheet: None,
            table_at: (Arc::clone(&example.file), example.span.clone()),
        });
    }
    let postcodes = match reference.filter(|r| !r.postcodes.is_empty()) {
        Some(r) => {
            let path = dir.0.join("postcodes.csv");
            write_postcodes(&path, &r.postcodes).map_err(|e| format!("could not write {}: {e}", path.display()))?;
            Some(path)
        }
        None => None,
    };
    let ofsted_providers = match reference.filter(|r| !r.ofsted_providers.is_empty()) {
        Some(r) => {
            let path = dir.0.join("providers.xlsx");
            write_providers(&path, &r.ofsted_providers)
                .map_err(|e| format!("could not write {}: {e}", path.display()))?;
            vec![path]
        }
        None => Vec::new(),
    };
    let config = Config {
        path: dir.0.join("cleanse.yaml"),
        name: format!("examples of {}", subject.id()),
        as_of: Some(as_of),
        collection_year: None,
        local_authority: reference.and_then(|r| r.local_authority.clone()),
        postcodes,
        ofsted_providers,
        pivot: crate::model::values::DEFAULT_PIVOT,
        rules: Vec::new(),
        inputs,
        keep_days: crate::spec::config::DEFAULT_KEEP_DAYS,
        breakdown: Vec::new(),
        output_formats: Vec::new(),
    };
    let mut opts = RunOptions::new(&config.path, out);
    opts.as_of = Some(as_of);
    // Review corrections too: an example shows what a correction writes, whatever its `apply`.
    opts.apply_review = true;
    let outcome = run_with(&opts, &config, &only, as_of).map_err(|e| {
        let text = crate::cli::render_error(&e, false);
        format!("the example could not run: {}", text.trim_end())
    })?;
    // Lines are counted in each table's own export: only the subject's are the example's rows.
    let name = &set.tables[table].name;
    let row_of = |table: &str, line: u64| {
        (table == name)
            .then(|| lines.iter().position(|&l| l == line).map(|i| i + 1))
            .flatten()
    };
    let findings = read(&outcome.run_dir, "exceptions.csv", "rule_id", subject.id())?
        .into_iter()
        .map(|mut r| {
            let line = r["line"].parse().unwrap_or(0);
            let table = r.remove("table").unwrap_or_default();
            Found {
                row: row_of(&table, line),
                table,
                line,
                status: r.remove("status").unwrap_or_default(),
                message: r.remove("message").unwrap_or_default(),
            }
        })
        .collect();
    let changes = read(&outcome.run_dir, "changes.csv", "correction_id", subject.id())?
        .into_iter()
        .map(|mut r| {
            let line = r["line"].parse().unwrap_or(0);
            let table = r.remove("table").unwrap_or_default();
            Changed {
                row: row_of(&table, line),
                table,
                line,
                column: r.remove("column").unwrap_or_default(),
                new_value: r.remove("new_value").unwrap_or_default(),
                applied: r.remove("applied").unwrap_or_default(),
            }
        })
        .collect();
    Ok(Seen { findings, changes })
}

/// A pack's example postcodes as a directory in the ONSPD's layout.
fn write_postcodes(path: &Path, rows: &[ExamplePostcode]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["pcds", "oseast1m", "osnrth1m", "oslaua", "oscty"])?;
    let metres = |m: Option<f64>| m.map(|m| m.to_string()).unwrap_or_default();
    for r in rows {
        w.write_record([
            r.postcode.as_str(),
            &metres(r.east),
            &metres(r.north),
            &r.district,
            &r.county,
        ])?;
    }
    w.flush()
}

/// A pack's example providers as a workbook in the layout of Ofsted's combined list.
fn write_providers(path: &Path, rows: &[crate::spec::raw::ExampleProvider]) -> Result<(), rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("Providers")?;
    let header = [
        "URN",
        "Placement code",
        "Placement provider code",
        "Deregistration date",
        "Setting address postcode",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    for (r, p) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, v) in [&p.urn, &p.placement_codes, &p.provider_codes, &p.closed, &p.postcode]
            .into_iter()
            .enumerate()
        {
            sheet.write_string(r, c as u16, v.as_str())?;
        }
    }
    book.save(path)
}

fn verdict(problems: Vec<String>) -> std::result::Result<(), String> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Write rows as an export with the table's declared headers; returns each record's first line.
fn write_export(path: &Path, table: &Table, rows: &[Vec<String>]) -> std::io::Result<Vec<u64>> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(table.columns.iter().map(|c| c.header.as_str()))?;
    let mut starts = Vec::with_capacity(rows.len());
    let mut line = 2u64;
    for row in rows {
        starts.push(line);
        w.write_record(row)?;
        line += 1 + row.iter().map(|v| v.matches('\n').count() as u64).sum::<u64>();
    }
    w.flush()?;
    Ok(starts)
}

/// The lines of an output whose `id_column` is `id`, by column name.
fn read(
    run_dir: &Path,
    file: &str,
    id_column: &str,
    id: &str,
) -> std::result::Result<Vec<HashMap<String, String>>, String> {
    let path = run_dir.join(file);
    let fail = |e: csv::Error| format!("could not read {}: {e}", path.display());
    let mut r = csv::Reader::from_path(&path).map_err(fail)?;
    let header = r.headers().map_err(fail)?.clone();
    let mut out = Vec::new();
    for record in r.records() {
        let record = record.map_err(fail)?;
        let row: HashMap<String, String> = header
            .iter()
            .map(str::to_string)
            .zip(record.iter().map(str::to_string))
            .collect();
        if row.get(id_column).is_some_and(|v| v == id) {
            out.push(row);
        }
    }
    Ok(out)
}

/// A folder for one example's export and outputs, removed afterwards.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> std::io::Result<Self> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("cleanse-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACK: &str = r#"pack: t
version: 1.0.0
examples_as_of: 2026-03-31
tables:
  children:
    key: [child_id]
    columns:
      - { name: child_id, header: Child ID, required: true }
      - { name: born, header: Date of Birth, type: date }
      - { name: name, header: Name }
rules:
  - id: FUTURE
    table: children
    kind: range
    columns: [born]
    max: today
    message: Born in the future.
    examples:
      - pass: { child_id: C1, born: 01/02/2015 }
      - fail: { child_id: C1, born: 01/04/2026 }
      - fail: { child_id: C1, born: 01/02/2015 }
      - rows:
          - { child_id: C1, born: 30/03/2026 }
          - { child_id: C2, born: 01/04/2026 }
          - { child_id: C3, born: 31/02/2026 }
        fail: [2]
  - id: SPACES
    table: children
    kind: clean_text
    columns: [name]
    severity: warning
    message: Stray spaces.
    fix:
      kind: normalise
      apply: safe
      examples:
        - { in: " Theo", out: Theo }
        - { in: "Theo  Smith", out: "Theo  Smith" }
"#;

    #[test]
    fn examples_run_through_the_pipeline_and_say_why_they_fail() {
        let dir = Scratch::new().unwrap();
        let pack = dir.0.join("pack.yaml");
        std::fs::write(&pack, PACK).unwrap();
        let run = test(&[pack], None).unwrap();
        let got: Vec<(&str, &str, Option<&str>)> = run
            .results
            .iter()
            .map(|t| (t.subject.as_str(), t.name.as_str(), t.failure.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("FUTURE", "pass (line 19)", None),
                ("FUTURE", "fail (line 20)", None),
                ("FUTURE", "fail (line 21)", Some("row 1 should be reported, but passed")),
                (
                    "FUTURE",
                    "rows (line 22)",
                    Some(
                        "row 3: Not checked: Date of Birth is not a valid date (dd/mm/yyyy), so this rule could not be applied. (Born in the future.)"
                    )
                ),
                ("SPACES.fix", "` Theo` → `Theo` (line 37)", None),
                (
                    "SPACES.fix",
                    "`Theo  Smith` → `Theo  Smith` (line 38)",
                    Some("`name`: wanted `Theo  Smith`, got `Theo Smith`")
                ),
            ]
        );
        assert_eq!(run.untested, ["SPACES"]);
    }

    #[test]
    fn a_whole_table_verdict_on_a_rule_about_rows_fails_when_a_row_is_reported() {
        let pack = r#"pack: t
version: 1.0.0
tables:
  plans:
    columns:
      - { name: id }
      - { name: n, type: integer }
rules:
  - id: POS
    table: plans
    kind: check
    check: n > 0
    message: Not positive.
    examples:
      - rows:
          - { id: A, n: 1 }
          - { id: B, n: -1 }
        fail: false
"#;
        let dir = Scratch::new().unwrap();
        let path = dir.0.join("pack.yaml");
        std::fs::write(&path, pack).unwrap();
        let run = test(&[path], None).unwrap();
        let failure = run.results[0].failure.as_deref().unwrap_or_default();
        assert!(failure.starts_with("row 2 was reported (Not positive.)"), "{failure}");
    }

    #[test]
    fn the_shipped_pack_examples_pass_and_cover_every_rule() {
        // Every rule and correction has examples. CON-R01 (`row_count`) has only a failing one: its
        // `max_change` compares with the last run in the history, which an example does not have, so a
        // table with rows in it is "not checked" and no example can show one that passes.
        let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let run = test(&[rules], None).unwrap();
        let failures: Vec<String> = run
            .results
            .iter()
            .filter_map(|t| {
                let line = t.file.text[..t.span.start].matches('\n').count() + 1;
                let why = t.failure.as_deref()?;
                Some(format!(
                    "{}:{line}: {} {}: {why}",
                    t.file.path.display(),
                    t.subject,
                    t.name
                ))
            })
            .collect();
        assert!(
            failures.is_empty(),
            "{} of {} examples failed:\n{}",
            failures.len(),
            run.results.len(),
            failures.join("\n")
        );
        assert!(run.untested.is_empty(), "no examples: {:?}", run.untested);
    }

    #[test]
    fn a_finding_on_another_tables_line_is_not_taken_for_a_row_of_the_example() {
        // The contact's line 2 is the children export's line 2 too: it is still the contact's.
        let pack = r#"pack: t
version: 1.0.0
tables:
  children:
    key: [child_id]
    columns:
      - { name: child_id }
      - { name: first_name }
      - { name: surname }
      - { name: born, type: date }
  contacts:
    columns:
      - { name: child_id }
      - { name: first_name }
      - { name: surname }
      - { name: born, type: date }
rules:
  - id: SAME
    table: children
    kind: same_person
    message: Same child.
    person: { first_name: first_name, surname: surname, date_of_birth: born }
    also:
      - { table: contacts, id: child_id, person: { first_name: first_name, surname: surname, date_of_birth: born } }
    examples:
      - rows:
          - { child_id: C1, first_name: Jayden, surname: Smith, born: 07/03/2013 }
          - { child_id: C2, first_name: Olivia, surname: Patel, born: 14/06/2015 }
        other:
          contacts:
            - { child_id: C9, first_name: Jayden, surname: Smith, born: 07/03/2013 }
        fail: []
"#;
        let dir = Scratch::new().unwrap();
        let path = dir.0.join("pack.yaml");
        std::fs::write(&path, pack).unwrap();
        let run = test(&[path], Some(chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap())).unwrap();
        let failure = run.results[0].failure.as_deref().unwrap_or_default();
        assert!(
            failure.starts_with(
                "reported on `contacts` line 2: Same child. Likely the same person as children line 2 (C1)"
            ),
            "{failure}"
        );
    }

    #[test]
    fn records_start_where_earlier_line_breaks_push_them() {
        let dir = Scratch::new().unwrap();
        let set = rules::load(
            &[Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/annex-a.yaml")],
            Semantics {
                as_of: chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
                collection_year: None,
            },
            &crate::kinds::REGISTRY,
        )
        .unwrap();
        let table = &set.tables[0];
        let blank = vec![String::new(); table.columns.len()];
        let mut two_lines = blank.clone();
        two_lines[1] = "a\nb".to_string();
        let starts = write_export(&dir.0.join("t.csv"), table, &[two_lines, blank.clone(), blank]).unwrap();
        assert_eq!(starts, [2, 4, 5]);
    }
}
