//! The dedupe stage of a run: take each `same_person` rule's records from the one pass over its
//! tables (`engine::load`, corrected values, as the other rules see them), match them,
//! and hand back findings keyed by line (merged into routing like the relate stage's) and the
//! pairs and clusters for `duplicates.csv` and `person_clusters.csv`.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use datafusion::arrow::array::{Array, StringArray};

use crate::model::error::{Error, Result};
use crate::model::finding::{Detail, Finding};
use crate::model::table::ColumnType;
use crate::model::values::DateForms;
use crate::output::sheet::SheetFile;
use crate::people::compare::{COMPARISONS, Cx, Nicknames};
use crate::people::person::{DATE_OF_BIRTH, Dates, EXPECTED_DATE_OF_BIRTH, Fields, Person, Roles};
use crate::people::request::{Merge, Survivor};
use crate::people::{Model, Pair, Settings, find};
use crate::source::RawBatch;
use crate::spec::compiled::Check;
use crate::spec::config::Config;
use crate::spec::rules::RuleSet;

/// What one `same_person` rule found.
pub struct Matched {
    pub rule: usize,
    /// Per record: its table (the rule's, or one of its `also` tables).
    pub tables: Vec<usize>,
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
    pub merges: Vec<MergePlan>,
}

impl People {
    /// Per `same_person` rule, its counts for the run's report and the manager's summary.
    pub fn report(&self, set: &RuleSet) -> Vec<crate::output::report::PeopleReport> {
        self.matched
            .iter()
            .map(|m| {
                let settings = Settings {
                    same: m.same,
                    ..Settings::default()
                };
                let same = m.pairs.iter().filter(|(p, _)| p.same(&settings)).count() as u64;
                let records = m.clusters.len() as u64;
                let people = m.clusters.iter().collect::<std::collections::HashSet<_>>().len() as u64;
                let merges = self.merges.iter().any(|plan| plan.rule == m.rule);
                crate::output::report::PeopleReport {
                    rule_id: set.rules[m.rule].id.clone(),
                    table: set.tables[set.rules[m.rule].table].name.clone(),
                    records,
                    people,
                    duplicate_records: records - people,
                    same_person_pairs: same,
                    pairs_for_review: m.pairs.len() as u64 - same,
                    merged: if merges { records - people } else { 0 },
                }
            })
            .collect()
    }

    /// The lookups of the `merge` corrections, from who survives: a merged record's id → the
    /// survivor's (in other tables' references), or the survivor's id → a value for its blank
    /// person field.
    pub fn merge_lookups(&self, set: &RuleSet) -> crate::fixes::Lookups {
        let mut out = crate::fixes::Lookups::new();
        for plan in &self.merges {
            let rule = &set.rules[plan.rule];
            for (ci, c) in set.corrections.iter().enumerate() {
                if c.kind != crate::fixes::merge::KIND || c.rule.as_deref() != Some(rule.id.as_str()) {
                    continue;
                }
                let lookup: crate::spec::fix::Lookup = if c.table == rule.table {
                    plan.fills.get(&c.columns[0]).map_or_else(Default::default, |m| {
                        m.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
                    })
                } else {
                    plan.repoint.clone()
                };
                out.insert(ci, lookup);
            }
        }
        out
    }
}

/// What a `same_person` rule's `merge:` changes, for its corrections' lookups
/// (see [`crate::fixes::merge`]).
pub struct MergePlan {
    pub rule: usize,
    /// A merged record's id → the survivor's id; `None` when records sharing that id were
    /// merged into different survivors (their references are left alone).
    pub repoint: crate::spec::fix::Lookup,
    /// Per person-field column: the survivor's id → the value to fill its blank cell with.
    pub fills: HashMap<usize, HashMap<String, String>>,
}

/// What survivorship reads of a record, beyond its person fields.
#[derive(Default)]
struct Standing {
    /// Person fields filled.
    filled: u8,
    /// The `most_recent` column's date, as days.
    recent: Option<i32>,
    /// Rank of the record's source in `preferred_source` (lower is preferred).
    source: usize,
    /// The person fields' text, for filling the survivor.
    fields: Roles<String>,
}

/// Every record matching reads, from the rule's table and then its `also` tables.
#[derive(Default)]
pub struct Records {
    people: Vec<Person>,
    lines: Vec<u64>,
    /// The record's key as the exceptions report names it.
    keys: Vec<String>,
    /// The person's id: the rule's table's key, or an `also` row's id column.
    ids: Vec<String>,
    tables: Vec<usize>,
    /// For merging, the rule's table's records only.
    standing: Vec<Standing>,
}

/// One table a `same_person` rule reads: the rule's own table (first), or one of its `also`
/// tables.
pub struct Part<'a> {
    pub rule: usize,
    pub table: usize,
    fields: &'a Roles<Option<usize>>,
    /// The column holding the person's id (an `also` table's, or `person: local_id`; `None`: the
    /// table's own key).
    id: Option<usize>,
    merge: Option<&'a Merge>,
}

/// The tables each `same_person` rule reads, in the order matching takes their records. A rule
/// whose own table has no export is left out (the run reports it like any rule with nothing to
/// check), and so is an `also` table without one.
pub fn parts<'a>(set: &'a RuleSet, config: &Config) -> Vec<Part<'a>> {
    let has = |t: usize| config.inputs.iter().any(|i| i.table == set.tables[t].name);
    let mut out = Vec::new();
    for (ri, rule) in set.rules.iter().enumerate() {
        let Check::People(spec) = &rule.check else {
            continue;
        };
        if !has(rule.table) {
            continue;
        }
        out.push(Part {
            rule: ri,
            table: rule.table,
            fields: &spec.fields,
            id: spec.local_id,
            merge: spec.merge.as_ref(),
        });
        out.extend(spec.also.iter().filter(|a| has(a.table)).map(|a| Part {
            rule: ri,
            table: a.table,
            fields: &a.fields,
            id: Some(a.id),
            merge: None,
        }));
    }
    out
}

impl Part<'_> {
    /// Add a batch's records (`header`: declared column → file column), corrected as every rule
    /// sees them.
    pub fn collect(&self, set: &RuleSet, pivot: u8, header: &[Option<usize>], raw: &RawBatch, into: &mut Records) {
        let (t, fields, id, merge) = (self.table, self.fields, self.id, self.merge);
        let table = &set.tables[t];
        // Dates are read in the forms their columns declare, as every other stage reads them.
        let forms = |c: Option<usize>| match c.map(|c| &table.columns[c].ty) {
            Some(ColumnType::Date(forms)) => *forms,
            _ => DateForms::ALL,
        };
        let dates = Dates {
            date_of_birth: forms(fields[DATE_OF_BIRTH]),
            expected_date_of_birth: forms(fields[EXPECTED_DATE_OF_BIRTH]),
            pivot,
        };
        let text = |c: Option<usize>| -> Option<&StringArray> {
            let i = header[c?]?;
            raw.columns[i].as_any().downcast_ref::<StringArray>()
        };
        let roles: Vec<Option<&StringArray>> = fields.iter().map(|&c| text(c)).collect();
        let id_col = id.map(|c| text(Some(c)));
        let (recent, source) = match merge {
            Some(m) => (
                m.survivor.iter().find_map(|s| match s {
                    Survivor::MostRecent(c) => text(Some(*c)).map(|a| (a, forms(Some(*c)))),
                    _ => None,
                }),
                m.survivor.iter().find_map(|s| match s {
                    Survivor::PreferredSource { column, sources } => text(Some(*column)).map(|a| (a, sources)),
                    _ => None,
                }),
            ),
            None => (None, None),
        };
        for row in 0..raw.num_rows() {
            let v = |i: usize| roles[i].map_or("", |a| a.value(row));
            into.people
                .push(Person::new(&Fields::from_roles(std::array::from_fn(v)), dates));
            if merge.is_some() {
                let all: Roles<&str> = std::array::from_fn(v);
                into.standing.push(Standing {
                    filled: all.iter().filter(|t| !t.trim().is_empty()).count() as u8,
                    recent: recent.and_then(|(a, forms)| crate::model::values::parse_date(a.value(row), forms, pivot)),
                    source: source.map_or(0, |(a, sources)| {
                        let s = a.value(row).trim();
                        sources
                            .iter()
                            .position(|x| x.eq_ignore_ascii_case(s))
                            .unwrap_or(sources.len())
                    }),
                    fields: all.map(|t| t.trim().to_string()),
                });
            }
            into.lines.push(raw.lines[row]);
            let key = table.record_key(|k| text(Some(k)).map_or("", |a| a.value(row)));
            into.ids.push(match id_col {
                Some(c) => c.map_or("", |a| a.value(row).trim()).to_string(),
                None => key.clone(),
            });
            into.keys.push(key);
            into.tables.push(t);
        }
    }
}

impl Records {
    fn append(&mut self, mut other: Records) {
        self.people.append(&mut other.people);
        self.lines.append(&mut other.lines);
        self.keys.append(&mut other.keys);
        self.ids.append(&mut other.ids);
        self.tables.append(&mut other.tables);
        self.standing.append(&mut other.standing);
    }
}

/// Match each `same_person` rule's records: `records[i]` are those of `parts[i]` (see [`parts`]).
pub fn dedupe(set: &RuleSet, parts: &[Part], records: Vec<Records>) -> Result<People> {
    let mut out = People::default();
    let cx = Cx {
        nicknames: Nicknames::shipped(),
    };
    let mut by_rule: Vec<(usize, Vec<Records>)> = Vec::new();
    for (part, r) in parts.iter().zip(records) {
        match by_rule.last_mut() {
            Some((rule, all)) if *rule == part.rule => all.push(r),
            _ => by_rule.push((part.rule, vec![r])),
        }
    }
    for (ri, mut records) in by_rule {
        let rule = &set.rules[ri];
        let Check::People(spec) = &rule.check else {
            unreachable!("`parts` names `same_person` rules only");
        };
        let rest = records.split_off(1);
        let mut r = records.pop().expect("a rule's first part is its own table");
        let own = r.people.len();
        for also in rest {
            r.append(also);
        }
        let t = std::time::Instant::now();
        let found = find(&r.people, &spec.settings, &cx);
        tracing::info!(
            rule = %rule.id,
            records = r.people.len(),
            pairs_compared = found.model.pairs_compared,
            pairs_kept = found.pairs.len(),
            ms = t.elapsed().as_millis() as u64,
            "people matched"
        );
        let kinds: Vec<_> = spec.settings.comparisons.iter().map(|&i| COMPARISONS[i]).collect();
        let explain = |p: &Pair| {
            let (a, b) = (&r.people[p.a as usize], &r.people[p.b as usize]);
            kinds
                .iter()
                .zip(&p.levels)
                .filter(|(k, l)| l.is_some() || k.name() != "household" && k.name() != "pre_birth")
                .map(|(k, l)| k.explain(*l, a, b))
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("; ")
        };
        // Rows of other tables are about a person, not records of one: they are reported only
        // against this table's records, and only under another id than the record's.
        let reported = |p: &Pair| {
            let (a, b) = (p.a as usize, p.b as usize);
            a < own && b < own || (a < own) != (b < own) && r.ids[a] != r.ids[b]
        };
        let pairs: Vec<(Pair, String)> = found
            .pairs
            .into_iter()
            .filter(|p| reported(p))
            .map(|p| (explain(&p), p))
            .map(|(e, p)| (p, e))
            .collect();
        let clusters = clusters(
            r.people.len(),
            pairs.iter().filter(|(p, _)| p.same(&spec.settings)).map(|(p, _)| p),
        );
        // With `merge:`, a "same person" pair of this table's records is a merge, reported on
        // the merged record.
        if let Some(m) = &spec.merge {
            let own_same = pairs
                .iter()
                .filter(|(p, _)| p.same(&spec.settings) && (p.a as usize) < own && (p.b as usize) < own)
                .map(|(p, _)| p);
            let own_clusters = self::clusters(own, own_same);
            let own_pairs: Vec<(Pair, String)> = pairs
                .iter()
                .filter(|(p, _)| (p.a as usize) < own && (p.b as usize) < own)
                .cloned()
                .collect();
            let (plan, survivors) = merge_plan(ri, m, &spec.fields, &own_clusters, &r.standing, &r.ids[..own]);
            let findings = out.findings.entry(rule.table).or_default();
            for (&merged, (survivor, why)) in &merge_links(&own_pairs, &spec.settings, &own_clusters, &survivors) {
                findings.push((
                    r.lines[merged as usize],
                    Finding {
                        rule: ri,
                        row: 0,
                        column: None,
                        severity: crate::model::table::Severity::Error,
                        detail: Detail::MergedInto {
                            line: r.lines[*survivor as usize],
                            key: r.keys[*survivor as usize].clone(),
                            explanation: why.clone(),
                        },
                    },
                ));
            }
            out.merges.push(plan);
        }
        // Each other pair is reported once: on the other table's row, or the later record.
        for (p, why) in &pairs {
            let (a, b) = (p.a as usize, p.b as usize);
            if spec.merge.is_some() && p.same(&spec.settings) && a < own && b < own {
                continue;
            }
            let (named, carrier) = match (a < own, b < own) {
                (true, false) => (a, b),
                (false, true) => (b, a),
                _ if r.lines[a] < r.lines[b] => (a, b),
                _ => (b, a),
            };
            out.findings.entry(r.tables[carrier]).or_default().push((
                r.lines[carrier],
                Finding {
                    rule: ri,
                    row: 0,
                    column: None,
                    severity: rule.severity,
                    detail: Detail::SamePerson {
                        table: r.tables[named],
                        line: r.lines[named],
                        key: r.keys[named].clone(),
                        same: p.same(&spec.settings),
                        probability: p.probability,
                        explanation: why.clone(),
                    },
                },
            ));
        }
        out.matched.push(Matched {
            rule: ri,
            tables: r.tables,
            lines: r.lines,
            keys: r.keys,
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
    let mut w = SheetFile::create(dir.join("duplicates.csv"))?;
    w.write_record([
        "rule_id",
        "band",
        "probability",
        "weight",
        "table_a",
        "source_file_a",
        "line_a",
        "record_key_a",
        "table_b",
        "source_file_b",
        "line_b",
        "record_key_b",
        "explanation",
    ])?;
    for m in &people.matched {
        for (p, why) in &m.pairs {
            let order = |i: u32| (m.tables[i as usize] != set.rules[m.rule].table, m.lines[i as usize]);
            let (a, b) = if order(p.a) <= order(p.b) {
                (p.a, p.b)
            } else {
                (p.b, p.a)
            };
            let (a, b) = (a as usize, b as usize);
            w.write_record([
                set.rules[m.rule].id.as_str(),
                if p.same(&Settings {
                    same: m.same,
                    ..Settings::default()
                }) {
                    "same person"
                } else {
                    "possible"
                },
                &format!("{:.6}", p.probability),
                &format!("{:.2}", p.weight),
                &set.tables[m.tables[a]].name,
                &source(m.tables[a]),
                &m.lines[a].to_string(),
                &m.keys[a],
                &set.tables[m.tables[b]].name,
                &source(m.tables[b]),
                &m.lines[b].to_string(),
                &m.keys[b],
                why,
            ])?;
        }
    }
    w.finish()?;
    let mut w = SheetFile::create(dir.join("person_clusters.csv"))?;
    w.write_record(["rule_id", "person", "table", "source_file", "line", "record_key"])?;
    for m in &people.matched {
        let id = set.rules[m.rule].id.as_str();
        for (i, c) in m.clusters.iter().enumerate() {
            let t = m.tables[i];
            w.write_record([
                id,
                &c.to_string(),
                &set.tables[t].name,
                &source(t),
                &m.lines[i].to_string(),
                &m.keys[i],
            ])?;
        }
    }
    w.finish()?;
    let path = dir.join("match_weights.json");
    let models: Vec<serde_json::Value> = people
        .matched
        .iter()
        .map(|m| serde_json::json!({ "rule_id": set.rules[m.rule].id, "table": set.tables[set.rules[m.rule].table].name, "model": m.model }))
        .collect();
    let mut f = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::to_writer_pretty(&mut f, &models).map_err(|e| Error::json(&path, e))?;
    f.flush().map_err(|e| Error::io(&path, e))?;
    Ok(())
}

/// The survivor of each person with more than one record ("same person" pairs), and what
/// merging changes: references to re-point, and the survivor's blank fields to fill.
fn merge_plan(
    rule: usize,
    m: &Merge,
    fields: &Roles<Option<usize>>,
    clusters: &[u32],
    standing: &[Standing],
    keys: &[String],
) -> (MergePlan, HashMap<u32, u32>) {
    let mut members: HashMap<u32, Vec<u32>> = HashMap::new();
    for (i, &c) in clusters.iter().enumerate() {
        members.entry(c).or_default().push(i as u32);
    }
    let mut uses: HashMap<&str, u32> = HashMap::new();
    for k in keys {
        *uses.entry(k.as_str()).or_default() += 1;
    }
    let mut plan = MergePlan {
        rule,
        repoint: crate::spec::fix::Lookup::default(),
        fills: HashMap::new(),
    };
    let mut survivors = HashMap::new();
    let mut people: Vec<(u32, Vec<u32>)> = members.into_iter().filter(|(_, r)| r.len() > 1).collect();
    people.sort_unstable();
    for (person, mut records) in people {
        records.sort_by(|&a, &b| prefer(m, standing, a, b));
        let survivor = records[0];
        survivors.insert(person, survivor);
        let id = &keys[survivor as usize];
        for &r in &records[1..] {
            let old = &keys[r as usize];
            if !old.is_empty() && old != id {
                plan.repoint.agree(old, id);
            }
        }
        // Fill by id only where the id names this one record.
        if id.is_empty() || uses[id.as_str()] > 1 {
            continue;
        }
        for (role, column) in fields.iter().enumerate() {
            let Some(column) = column else { continue };
            if !standing[survivor as usize].fields[role].is_empty() {
                continue;
            }
            let from = records[1..]
                .iter()
                .map(|&r| &standing[r as usize].fields[role])
                .find(|v| !v.is_empty());
            if let Some(value) = from {
                plan.fills.entry(*column).or_default().insert(id.clone(), value.clone());
            }
        }
    }
    (plan, survivors)
}

/// Survivorship: which of two records of one person is preferred, by the rules in order, then
/// the earlier line.
fn prefer(m: &Merge, standing: &[Standing], a: u32, b: u32) -> std::cmp::Ordering {
    let (x, y) = (&standing[a as usize], &standing[b as usize]);
    for rule in &m.survivor {
        let order = match rule {
            Survivor::MostComplete => y.filled.cmp(&x.filled),
            Survivor::MostRecent(_) => y.recent.cmp(&x.recent),
            Survivor::PreferredSource { .. } => x.source.cmp(&y.source),
        };
        if order.is_ne() {
            return order;
        }
    }
    a.cmp(&b)
}

/// Each merged record, its survivor, and why they are one person: the "same person" pair of
/// the two if there is one, else the strongest that joined the record to its person.
fn merge_links(
    pairs: &[(Pair, String)],
    settings: &crate::people::Settings,
    clusters: &[u32],
    survivors: &HashMap<u32, u32>,
) -> std::collections::BTreeMap<u32, (u32, String)> {
    let mut links = std::collections::BTreeMap::new();
    for direct in [true, false] {
        for (p, why) in pairs.iter().filter(|(p, _)| p.same(settings)) {
            for (x, y) in [(p.a, p.b), (p.b, p.a)] {
                let survivor = survivors[&clusters[x as usize]];
                if x != survivor && (!direct || y == survivor) {
                    links.entry(x).or_insert_with(|| (survivor, why.clone()));
                }
            }
        }
    }
    links
}
