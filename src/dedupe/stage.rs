//! The dedupe stage of a run: read each `same_person` rule's table (corrected values, as the
//! other rules see them), match its records, and hand back findings keyed by line (merged into
//! routing like the relate stage's) and the pairs and clusters for `duplicates.csv` and
//! `person_clusters.csv`.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use datafusion::arrow::array::{Array, StringArray};

use super::compare::{COMPARISONS, Cx, Nicknames};
use super::person::{Fields, Person};
use super::{Model, Pair, find};
use crate::check::{Detail, Finding};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::fix::Fixes;
use crate::ingest::CsvSource;
use crate::rules::{Check, RuleSet};

/// What one `same_person` rule found.
pub struct Matched {
    pub rule: usize,
    pub table: usize,
    /// Per record: its line and its key, as the exceptions report names it.
    pub lines: Vec<u64>,
    pub keys: Vec<String>,
    /// At or above the "possible" threshold, strongest first, with their explanations.
    pub pairs: Vec<(Pair, String)>,
    /// Per record: its person, numbered from 1 in file order of each person's first record.
    pub clusters: Vec<u32>,
    pub model: Model,
    pub same: f64,
}

#[derive(Default)]
pub struct People {
    /// Per table: findings with the line of their row, sorted by line.
    pub findings: HashMap<usize, Vec<(u64, Finding)>>,
    pub matched: Vec<Matched>,
}

pub fn dedupe(set: &RuleSet, config: &Config, fixes: &Fixes, batch_rows: usize) -> Result<People> {
    let mut out = People::default();
    let cx = Cx {
        nicknames: Nicknames::shipped(),
    };
    for (ri, rule) in set.rules.iter().enumerate() {
        let Check::SamePerson(spec) = &rule.check else {
            continue;
        };
        let table = &set.tables[rule.table];
        // A table with no export is reported by the run like any rule with nothing to check.
        let Some(input) = config.inputs.iter().find(|i| i.table == table.name) else {
            continue;
        };
        let mut source = CsvSource::open(&input.path, table, input.encoding, input.delimiter)?;
        let corrector = fixes.corrector(set, rule.table, &source.header.columns, config.pivot);
        let (mut lines, mut keys, mut people) = (Vec::new(), Vec::new(), Vec::new());
        while let Some(mut raw) = source.next_batch(batch_rows)? {
            corrector.apply(&mut raw)?;
            let text = |c: Option<usize>| -> Option<&StringArray> {
                let i = source.header.columns[c?]?;
                raw.columns[i].as_any().downcast_ref::<StringArray>()
            };
            let roles: Vec<Option<&StringArray>> = spec.fields.iter().map(|&c| text(c)).collect();
            let key_cols: Vec<Option<&StringArray>> = table.key.iter().map(|&k| text(Some(k))).collect();
            for row in 0..raw.num_rows() {
                let v = |i: usize| roles[i].map_or("", |a| a.value(row));
                let fields = Fields::from_roles(std::array::from_fn(v));
                people.push(Person::new(&fields, config.pivot));
                lines.push(raw.lines[row]);
                keys.push(
                    key_cols
                        .iter()
                        .map(|a| a.map_or("", |a| a.value(row).trim()))
                        .collect::<Vec<_>>()
                        .join(" | "),
                );
            }
        }
        let t = std::time::Instant::now();
        let found = find(&people, &spec.settings, &cx);
        tracing::info!(
            rule = %rule.id,
            records = people.len(),
            pairs_compared = found.model.pairs_compared,
            pairs_kept = found.pairs.len(),
            ms = t.elapsed().as_millis() as u64,
            "people matched"
        );
        let kinds: Vec<_> = spec.settings.comparisons.iter().map(|&i| COMPARISONS[i]).collect();
        let explain = |p: &Pair| {
            let (a, b) = (&people[p.a as usize], &people[p.b as usize]);
            kinds
                .iter()
                .zip(&p.levels)
                .filter(|(k, l)| l.is_some() || k.name() != "household" && k.name() != "pre_birth")
                .map(|(k, l)| k.explain(*l, a, b))
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("; ")
        };
        let pairs: Vec<(Pair, String)> = found
            .pairs
            .into_iter()
            .map(|p| (explain(&p), p))
            .map(|(e, p)| (p, e))
            .collect();
        // The later record of each pair carries the finding, naming the earlier one.
        let findings = out.findings.entry(rule.table).or_default();
        for (p, why) in &pairs {
            let (first, later) = if lines[p.a as usize] < lines[p.b as usize] {
                (p.a, p.b)
            } else {
                (p.b, p.a)
            };
            findings.push((
                lines[later as usize],
                Finding {
                    rule: ri,
                    row: 0,
                    column: None,
                    severity: rule.severity,
                    detail: Detail::SamePerson {
                        line: lines[first as usize],
                        key: keys[first as usize].clone(),
                        same: p.same(&spec.settings),
                        probability: p.probability,
                        explanation: why.clone(),
                    },
                },
            ));
        }
        let clusters = clusters(
            people.len(),
            pairs.iter().filter(|(p, _)| p.same(&spec.settings)).map(|(p, _)| p),
        );
        out.matched.push(Matched {
            rule: ri,
            table: rule.table,
            lines,
            keys,
            pairs,
            clusters,
            model: found.model,
            same: spec.settings.same,
        });
    }
    for f in out.findings.values_mut() {
        f.sort_by_key(|(line, f)| (*line, f.rule));
    }
    Ok(out)
}

/// Person numbers: records joined by "same person" pairs share one, numbered from 1 in order of
/// each person's first record.
fn clusters<'a>(n: usize, same: impl Iterator<Item = &'a Pair>) -> Vec<u32> {
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn root(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            parent[x as usize] = parent[parent[x as usize] as usize];
            x = parent[x as usize];
        }
        x
    }
    for p in same {
        let (a, b) = (root(&mut parent, p.a), root(&mut parent, p.b));
        // The earlier record is the root, so numbering follows the file.
        let (lo, hi) = (a.min(b), a.max(b));
        parent[hi as usize] = lo;
    }
    let mut number: HashMap<u32, u32> = HashMap::new();
    (0..n as u32)
        .map(|i| {
            let r = root(&mut parent, i);
            let next = number.len() as u32 + 1;
            *number.entry(r).or_insert(next)
        })
        .collect()
}

/// `duplicates.csv`, `person_clusters.csv` and `match_weights.json` in `dir`: every pair worth a
/// look with its explanation, a person number for every record, and the weights the run
/// estimated. Written only when a `same_person` rule ran.
pub fn write_outputs(dir: &Path, set: &RuleSet, config: &Config, people: &People) -> Result<()> {
    if people.matched.is_empty() {
        return Ok(());
    }
    let source = |t: usize| {
        config
            .inputs
            .iter()
            .find(|i| i.table == set.tables[t].name)
            .map_or(String::new(), |i| i.path.display().to_string())
    };
    let csv_err = |path: &Path, e: csv::Error| Error::io(path, std::io::Error::other(e));
    let path = dir.join("duplicates.csv");
    let mut w = csv::Writer::from_path(&path).map_err(|e| csv_err(&path, e))?;
    w.write_record([
        "rule_id",
        "band",
        "probability",
        "weight",
        "table",
        "source_file",
        "line_a",
        "record_key_a",
        "line_b",
        "record_key_b",
        "explanation",
    ])
    .map_err(|e| csv_err(&path, e))?;
    for m in &people.matched {
        let file = source(m.table);
        for (p, why) in &m.pairs {
            let (a, b) = if m.lines[p.a as usize] < m.lines[p.b as usize] {
                (p.a, p.b)
            } else {
                (p.b, p.a)
            };
            w.write_record([
                set.rules[m.rule].id.as_str(),
                if p.probability >= m.same && !p.review_only {
                    "same person"
                } else {
                    "possible"
                },
                &format!("{:.6}", p.probability),
                &format!("{:.2}", p.weight),
                &set.tables[m.table].name,
                &file,
                &m.lines[a as usize].to_string(),
                &m.keys[a as usize],
                &m.lines[b as usize].to_string(),
                &m.keys[b as usize],
                why,
            ])
            .map_err(|e| csv_err(&path, e))?;
        }
    }
    w.flush().map_err(|e| Error::io(&path, e))?;
    let path = dir.join("person_clusters.csv");
    let mut w = csv::Writer::from_path(&path).map_err(|e| csv_err(&path, e))?;
    w.write_record(["rule_id", "person", "table", "source_file", "line", "record_key"])
        .map_err(|e| csv_err(&path, e))?;
    for m in &people.matched {
        let file = source(m.table);
        let id = set.rules[m.rule].id.as_str();
        for (i, c) in m.clusters.iter().enumerate() {
            w.write_record([
                id,
                &c.to_string(),
                &set.tables[m.table].name,
                &file,
                &m.lines[i].to_string(),
                &m.keys[i],
            ])
            .map_err(|e| csv_err(&path, e))?;
        }
    }
    w.flush().map_err(|e| Error::io(&path, e))?;
    let path = dir.join("match_weights.json");
    let models: Vec<serde_json::Value> = people
        .matched
        .iter()
        .map(|m| serde_json::json!({ "rule_id": set.rules[m.rule].id, "table": set.tables[m.table].name, "model": m.model }))
        .collect();
    let mut f = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::to_writer_pretty(&mut f, &models)
        .map_err(|e| Error::Internal(format!("writing match_weights.json: {e}")))?;
    f.flush().map_err(|e| Error::io(&path, e))?;
    Ok(())
}
