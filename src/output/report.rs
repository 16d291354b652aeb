//! Report: what a run found, as `run.json` for machines and `summary.md` for
//! a senior manager.
//!
//! The summary is built only from counts and the rule packs' own wording,
//! never from record values, so it can go in an email without exposing a
//! child's name, date of birth or identifier.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::counts::ChangeCounts;
use crate::model::table::Severity;
use crate::spec::rules::PackInfo;
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    pub run_id: String,
    pub name: String,
    pub tool_version: String,
    pub started: String,
    pub finished: String,
    /// The date `today` meant in rules.
    pub as_of: String,
    pub config: String,
    pub inputs: Vec<InputReport>,
    /// Reference data read besides the exports (the postcode directory), when a rule needed it.
    #[serde(default)]
    pub references: Vec<ReferenceReport>,
    pub rule_packs: Vec<PackInfo>,
    pub tables: Vec<TableReport>,
    pub rules: Vec<RuleCount>,
    pub corrections: Vec<CorrectionCount>,
    /// Declared tables this run had no export for.
    pub tables_without_input: Vec<String>,
    /// Findings by a dimension the configuration names (e.g. allocated team).
    #[serde(default)]
    pub breakdown: Vec<Breakdown>,
    /// What each `same_person` rule found: counts only, never who.
    #[serde(default)]
    pub people: Vec<PeopleReport>,
    pub timings_ms: BTreeMap<String, u64>,
}

/// Duplicate people, as a manager reads them: how many records, how many people they are, how
/// many pairs wait for a reviewer, how many records were merged.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PeopleReport {
    pub rule_id: String,
    /// The rule's list (its `also` lists' records are counted too).
    pub table: String,
    pub records: u64,
    /// People the records are, once "same person" pairs are joined.
    pub people: u64,
    /// Records that are another record of the same person (`records - people`).
    pub duplicate_records: u64,
    /// Pairs in the "same person" band.
    pub same_person_pairs: u64,
    /// Pairs that may be the same person: a reviewer's decision is needed.
    pub pairs_for_review: u64,
    /// Records merged into their person's surviving record (0 when the rule does not merge).
    pub merged: u64,
}

/// A table's records and findings by the values of one column the configuration names, such as
/// the allocated team or the contact source: where problems are concentrated.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Breakdown {
    pub table: String,
    /// The column's header in the export.
    pub column: String,
    /// What the configuration calls it, e.g. "allocated team".
    pub label: String,
    /// The values are personal data (e.g. workers' names): shown as "Group 1", "Group 2"...
    /// in order of findings, never as the values.
    pub personal: bool,
    /// Most findings first.
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    /// The value, or its pseudonym when the values are personal; "(blank)" for no value.
    pub value: String,
    pub records: u64,
    /// Records with at least one error (held back).
    pub rejected: u64,
    /// Open findings on its records.
    pub findings: u64,
}

/// A reference file the run read: what it is, and which version (by its SHA-256).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReferenceReport {
    /// `postcodes`: the configuration's key for it.
    pub reference: String,
    pub file: String,
    pub sha256: String,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputReport {
    pub table: String,
    pub file: String,
    /// For a workbook: the sheet the table was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    pub sha256: String,
    /// Bytes read from the export in the whole run: its size, as each export is read once.
    #[serde(default)]
    pub bytes_read: u64,
    pub rows: u64,
    pub fields_read_as_windows_1252: u64,
    /// Quotes opened and never closed, and the lines they hid from every check.
    #[serde(default)]
    pub unclosed_quotes: u64,
    #[serde(default)]
    pub lines_in_unclosed_quotes: u64,
    /// Reading and decoding (on its own thread, overlapping the others).
    pub ingest_ms: u64,
    /// Typing and evaluating rules (wall time of the parallel stage).
    pub check_ms: u64,
    /// Order-dependent checks, routing and writing outputs.
    pub route_and_write_ms: u64,
    /// CPU time (summed over batches and threads) applying corrections, reading text as each
    /// column's type, and evaluating the row checks: where the parallel stages spend it.
    #[serde(default)]
    pub correct_cpu_ms: u64,
    #[serde(default)]
    pub type_cpu_ms: u64,
    #[serde(default)]
    pub rules_cpu_ms: u64,
    pub extra_columns: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableReport {
    pub table: String,
    pub rows_in: u64,
    pub corrected: u64,
    pub rejected: u64,
    pub errors: u64,
    pub warnings: u64,
    pub infos: u64,
    /// Cells corrections changed.
    pub cells_changed: u64,
    /// Changes `review` corrections propose, not applied this run.
    pub changes_proposed: u64,
    /// Cells two corrections wanted to set differently; left as they were.
    pub conflicts: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleCount {
    pub id: String,
    pub table: String,
    pub kind: String,
    pub severity: Severity,
    pub message: String,
    /// What the rule means in practice, in the pack's words (`docs`); empty when it has none.
    #[serde(default)]
    pub docs: String,
    /// Rows that broke the rule.
    pub findings: u64,
    /// Rows the rule could not be checked on, because a value it reads did not parse.
    pub not_checked: u64,
    /// Rows whose export value broke the rule and whose corrected value does not.
    pub corrected: u64,
    /// Why the rule could not run at all this time (e.g. an export it compares with is missing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_run: Option<String>,
    /// For rules about a whole table: what was measured (counts only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CorrectionCount {
    pub id: String,
    pub table: String,
    pub kind: String,
    pub apply: crate::spec::fix::Apply,
    /// The rule it is attached to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub applied: u64,
    pub proposed: u64,
    pub conflicts: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_run: Option<String>,
}

impl RunReport {
    pub fn total(&self, f: impl Fn(&TableReport) -> u64) -> u64 {
        self.tables.iter().map(f).sum()
    }
}

/// Thousands separators, as a manager expects to read counts.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "0%".to_string()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// Things a manager should know that are not problems in the records (Markdown: file and rule
/// names in backticks).
pub fn notes(r: &RunReport) -> Vec<String> {
    let mut notes = Vec::new();
    // Rules that could not run at all have their own note below.
    let not_checked: u64 = r
        .rules
        .iter()
        .filter(|c| c.not_run.is_none())
        .map(|c| c.not_checked)
        .sum();
    if not_checked > 0 {
        notes.push(format!(
            "{} could not be made on a record because a value the rule reads is not a valid date, number or code; those values are counted above under their own problem, and `exceptions.csv` lists each check as \"Not checked\".",
            plural(not_checked, "check", "checks")
        ));
    }
    for i in &r.inputs {
        if i.unclosed_quotes > 0 {
            notes.push(format!(
                "The {} export has {} never closed: {} after {} were read as part of one value, so the records on them were not checked and are not in the counts above. `exceptions.csv` names the line (`ingest.unclosed_quote`); fix the export and run again.",
                i.table,
                plural(i.unclosed_quotes, "quote that is", "quotes that are"),
                plural(i.lines_in_unclosed_quotes, "line", "lines"),
                if i.unclosed_quotes == 1 { "it" } else { "them" }
            ));
        }
        if i.fields_read_as_windows_1252 > 0 {
            notes.push(format!("The {} export is not UTF-8: {} were read as Windows-1252. Nothing was lost, but exporting as UTF-8 avoids the guesswork.", i.table, plural(i.fields_read_as_windows_1252, "value", "values")));
        }
        if !i.extra_columns.is_empty() {
            notes.push(format!(
                "The {} export has {} no rule pack declares; {} kept in the outputs unchecked.",
                i.table,
                plural(i.extra_columns.len() as u64, "column", "columns"),
                if i.extra_columns.len() == 1 {
                    "it is"
                } else {
                    "they are"
                }
            ));
        }
    }
    let not_run: Vec<String> = r
        .rules
        .iter()
        .filter(|c| !is_return_level(c))
        .filter_map(|c| c.not_run.as_ref().map(|why| format!("`{}` ({why})", c.id)))
        .collect();
    if !not_run.is_empty() {
        notes.push(format!(
            "{} between lists could not run: {}. `exceptions.csv` lists each as not checked.",
            plural(not_run.len() as u64, "rule", "rules"),
            not_run.join(", ")
        ));
    }
    let fix_not_run: Vec<String> = r
        .corrections
        .iter()
        .filter_map(|c| c.not_run.as_ref().map(|why| format!("`{}` ({why})", c.id)))
        .collect();
    if !fix_not_run.is_empty() {
        notes.push(format!(
            "{} could not run: {}.",
            plural(fix_not_run.len() as u64, "correction", "corrections"),
            fix_not_run.join(", ")
        ));
    }
    if !r.tables_without_input.is_empty() {
        notes.push(format!(
            "No export was given for: {}. Their rules did not run.",
            r.tables_without_input.join(", ")
        ));
    }
    notes
}

/// Rules that found problems on rows, most findings first.
pub fn top_rules(r: &RunReport) -> Vec<&RuleCount> {
    let mut top: Vec<_> = r
        .rules
        .iter()
        .filter(|c| c.findings > 0 && !is_return_level(c))
        .collect();
    top.sort_by(|a, b| {
        b.findings
            .cmp(&a.findings)
            .then(b.severity.cmp(&a.severity))
            .then(a.id.cmp(&b.id))
    });
    top
}

/// Cells applied, proposed and in conflict per correction kind, in the order kinds run.
pub fn corrections_by_kind(r: &RunReport) -> Vec<(&'static str, ChangeCounts)> {
    let mut out = Vec::new();
    // Merges (a `same_person` rule's) are registered last, as they are made last.
    let kinds = crate::fixes::FIXES.iter().map(|k| k.doc().name);
    for kind in kinds {
        let of_kind: Vec<_> = r.corrections.iter().filter(|c| c.kind == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        let mut n = ChangeCounts::default();
        for c in of_kind {
            n += ChangeCounts {
                applied: c.applied,
                proposed: c.proposed,
                conflicts: c.conflicts,
            };
        }
        out.push((kind, n));
    }
    out
}

/// `2026-03-31` as "31 March 2026".
pub fn long_date(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d").map_or(iso.to_string(), |d| d.format("%-d %B %Y").to_string())
}

/// Groups of a breakdown the summaries show (most problems first); `summary.json` has them all.
pub const BREAKDOWN_ROWS: usize = 10;

/// Rules about a whole table, reported in their own section of the summary.
pub fn is_return_level(c: &RuleCount) -> bool {
    matches!(c.kind.as_str(), "share" | "row_count")
}

/// A correction kind in a manager's words.
pub fn correction_kind_label(kind: &str) -> String {
    match kind {
        "normalise" => "Stray spaces and case tidied".into(),
        "map" => "Codes and wording mapped to the standard codes".into(),
        "date" => "Dates rewritten in the standard form".into(),
        "set" => "Values derived from other values on the record".into(),
        "fill" => "Missing values filled from the child's record".into(),
        "merge" => "Duplicate records merged (references re-pointed, blanks filled)".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
    }
}
