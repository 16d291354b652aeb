//! The manager's summary: `summary.md` and `summary.json`, built from a run's report and what
//! the history says changed since the last run. Counts and the packs' own wording only, never
//! a record's values.

use std::fmt::Write as _;

use crate::output::history::Insight;
use crate::output::report::{
    BREAKDOWN_ROWS, RuleCount, RunReport, correction_kind_label, corrections_by_kind, count, is_return_level,
    long_date, notes, percent, plural, top_rules,
};

pub fn summary_markdown(r: &RunReport, insight: &Insight) -> String {
    let rows = r.total(|t| t.rows_in);
    let clean = r.total(|t| t.corrected);
    let held = r.total(|t| t.rejected);
    let (errors, warnings, infos) = (r.total(|t| t.errors), r.total(|t| t.warnings), r.total(|t| t.infos));
    let as_of = chrono::NaiveDate::parse_from_str(&r.as_of, "%Y-%m-%d")
        .map_or(r.as_of.clone(), |d| d.format("%-d %B %Y").to_string());
    let packs: Vec<String> = r
        .rule_packs
        .iter()
        .map(|p| format!("{} {}", p.name, p.version))
        .collect();
    let mut s = String::new();
    let _ = writeln!(s, "# Data quality summary: {}\n", r.name);
    let _ = writeln!(
        s,
        "Records as of **{as_of}**, checked against {} ({}).\n",
        plural(r.rule_packs.len() as u64, "rule pack", "rule packs"),
        packs.join(", ")
    );
    let _ = writeln!(s, "## At a glance\n");
    let _ = writeln!(
        s,
        "- **{}** checked in {}.",
        plural(rows, "record", "records"),
        plural(r.tables.len() as u64, "list", "lists")
    );
    let _ = writeln!(
        s,
        "- **{}** ({}) passed every error check and are in the corrected files.",
        count(clean),
        percent(clean, rows)
    );
    let _ = writeln!(
        s,
        "- **{}** ({}) have at least one error and were held back for the data team to fix.",
        count(held),
        percent(held, rows)
    );
    let _ = writeln!(
        s,
        "- **{}** found: {}, {} and {}.\n",
        plural(errors + warnings + infos, "problem", "problems"),
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings"),
        plural(infos, "note", "notes")
    );
    let _ = writeln!(
        s,
        "Errors hold a record back; warnings are worth fixing but the record is still used; notes are for information.\n"
    );
    since_previous_markdown(&mut s, insight);
    let _ = writeln!(s, "## By list\n");
    let _ = writeln!(s, "| List | Records | Clean | Held back | Errors | Warnings |");
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|");
    for t in &r.tables {
        let _ = writeln!(
            s,
            "| {} | {} | {} ({}) | {} | {} | {} |",
            t.table,
            count(t.rows_in),
            count(t.corrected),
            percent(t.corrected, t.rows_in),
            count(t.rejected),
            count(t.errors),
            count(t.warnings)
        );
    }
    let top = top_rules(r);
    if !top.is_empty() {
        let _ = writeln!(s, "\n## The most common problems\n");
        let _ = writeln!(s, "| Problem | List | Severity | Found |");
        let _ = writeln!(s, "|---|---|---|---:|");
        for c in top.iter().take(10) {
            let list = if c.table.is_empty() { "any" } else { c.table.as_str() };
            let _ = writeln!(
                s,
                "| {} (`{}`) | {} | {} | {} |",
                c.message.replace('|', "/"),
                c.id,
                list,
                c.severity.as_str(),
                count(c.findings)
            );
        }
        if top.len() > 10 {
            let _ = writeln!(
                s,
                "\n{} more rules found problems; `exceptions.csv` lists every one.",
                count(top.len() as u64 - 10)
            );
        }
    } else {
        let _ = writeln!(s, "\nNo problems found.");
    }
    let whole: Vec<&RuleCount> = r.rules.iter().filter(|c| is_return_level(c)).collect();
    if !whole.is_empty() {
        let _ = writeln!(s, "\n## Whole-list checks\n");
        let _ = writeln!(s, "| Check | List | Measured | Result |");
        let _ = writeln!(s, "|---|---|---|---|");
        for c in whole {
            let measured = c.measured.as_deref().unwrap_or("");
            let result = match &c.not_run {
                Some(why) => format!("not checked: {why}"),
                None if c.measured.is_none() => "not run: no export".to_string(),
                None if c.findings > 0 => format!("**outside the limit** ({}, `{}`)", c.severity.as_str(), c.id),
                None => "within the limit".to_string(),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {measured} | {result} |",
                c.message.replace('|', "/"),
                c.table
            );
        }
    }
    if !r.corrections.is_empty() {
        let _ = writeln!(s, "\n## Corrections\n");
        let changed = r.total(|t| t.cells_changed);
        let proposed = r.total(|t| t.changes_proposed);
        let conflicts = r.total(|t| t.conflicts);
        let fixed: u64 = r.rules.iter().map(|c| c.corrected).sum();
        let _ = writeln!(
            s,
            "- **{}** {} corrected automatically, resolving {}.",
            count(changed),
            if changed == 1 { "value was" } else { "values were" },
            plural(fixed, "problem", "problems")
        );
        if proposed > 0 {
            let _ = writeln!(
                s,
                "- **{}** {} proposed for review and not applied (a run with `--apply review` applies them).",
                count(proposed),
                if proposed == 1 { "change is" } else { "changes are" }
            );
        }
        if conflicts > 0 {
            let _ = writeln!(
                s,
                "- **{}** {} left as they were because two corrections disagreed.",
                count(conflicts),
                if conflicts == 1 { "value was" } else { "values were" }
            );
        }
        // By kind, never by value: what sort of fixing the data needed.
        let _ = writeln!(s, "\n| Kind of correction | Applied | Proposed | Conflicts |");
        let _ = writeln!(s, "|---|---:|---:|---:|");
        // In the order corrections run.
        for (kind, n) in corrections_by_kind(r) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                correction_kind_label(kind),
                count(n.applied),
                count(n.proposed),
                count(n.conflicts)
            );
        }
        let _ = writeln!(
            s,
            "\nEvery change is listed in `changes.csv` (old and new value, rule, file and line) so it can be made in the case-management system too."
        );
    }
    people_markdown(&mut s, r, insight);
    breakdown_markdown(&mut s, r);
    let notes = notes(r);
    if !notes.is_empty() {
        let _ = writeln!(s, "\n## Notes\n");
        for n in notes {
            let _ = writeln!(s, "- {n}");
        }
    }
    let _ = writeln!(
        s,
        "\n---\nProduced by Cleanse {}. Record-level detail is in `exceptions.csv`, `rejected/` and `corrected/`; this summary holds no names, dates of birth or identifiers.",
        r.tool_version
    );
    s
}

fn since_previous_markdown(s: &mut String, insight: &Insight) {
    let Some(previous) = &insight.previous else {
        let _ = writeln!(
            s,
            "## Since the last run\n\nThis is the first run in the history: from the next run on, this section says which problems are new, which were resolved and which are still open.\n"
        );
        return;
    };
    let _ = writeln!(s, "## Since the last run ({})\n", long_date(&previous.as_of));
    let _ = writeln!(s, "- **{}** new.", plural(insight.new, "problem", "problems"));
    let _ = writeln!(s, "- **{}** resolved.", plural(insight.resolved, "problem", "problems"));
    let _ = writeln!(
        s,
        "- **{}** still open.",
        plural(insight.still_open, "problem", "problems")
    );
    if insight.from_new_rules > 0 {
        let _ = writeln!(
            s,
            "- **{}** found by rules that did not run last time (not counted as new).",
            plural(insight.from_new_rules, "problem", "problems")
        );
    }
    let _ = writeln!(
        s,
        "\nOpen problems are those still in the records: values this run corrected, and checks that could not be made, are not counted."
    );
    if !insight.by_table.is_empty() {
        let _ = writeln!(s, "\n| List | New | Resolved | Still open |\n|---|---:|---:|---:|");
        for t in &insight.by_table {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                t.table,
                count(t.new),
                count(t.resolved),
                count(t.still_open)
            );
        }
    }
    if insight.trend.len() > 1 {
        let _ = writeln!(s, "\nOpen problems over the last {} runs:\n", insight.trend.len());
        let _ = writeln!(s, "| Records as of | Open problems |\n|---|---:|");
        for p in insight.trend.iter().rev().take(10).rev() {
            let _ = writeln!(s, "| {} | {} |", long_date(&p.as_of), count(p.open));
        }
        if insight.trend.len() > 10 {
            let _ = writeln!(
                s,
                "\n(The last 10 shown; `summary.html` draws all {}.)",
                insight.trend.len()
            );
        }
    }
    let _ = writeln!(s);
}

/// Duplicate people: counts only (who is in `duplicates.csv`, never here).
fn people_markdown(s: &mut String, r: &RunReport, insight: &Insight) {
    if r.people.is_empty() {
        return;
    }
    let _ = writeln!(s, "\n## Duplicate people\n");
    for p in &r.people {
        let _ = writeln!(
            s,
            "- The {} list (`{}`): **{}** are **{}**; {} another record of the same person.",
            p.table,
            p.rule_id,
            plural(p.records, "record", "records"),
            plural(p.people, "person", "people"),
            match p.duplicate_records {
                1 => "1 record is".to_string(),
                n => format!("{} records are", count(n)),
            }
        );
        let _ = writeln!(
            s,
            "- **{}** may be the same person and {} a reviewer's decision (`duplicates.csv`, most likely first).",
            plural(p.pairs_for_review, "pair", "pairs"),
            if p.pairs_for_review == 1 { "needs" } else { "need" }
        );
        if p.merged > 0 {
            let _ = writeln!(
                s,
                "- **{}** merged into their person's main record (listed in `changes.csv`).",
                plural(p.merged, "record was", "records were")
            );
        } else if p.duplicate_records > 0 {
            let _ = writeln!(
                s,
                "- None merged: the rule lists them for the data team to merge in the case-management system."
            );
        }
    }
    if insight.people_trend.len() > 1 {
        let _ = writeln!(
            s,
            "\n| Records as of | Duplicate records | Pairs for review | Merged |\n|---|---:|---:|---:|"
        );
        for p in &insight.people_trend {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                long_date(&p.as_of),
                count(p.duplicate_records),
                count(p.pairs_for_review),
                count(p.merged)
            );
        }
    }
}

fn breakdown_markdown(s: &mut String, r: &RunReport) {
    for b in &r.breakdown {
        let _ = writeln!(s, "\n## {} by {}\n", capitalise(&b.table), b.label);
        if b.personal {
            let _ = writeln!(
                s,
                "The {} values are personal data, so they are not shown: each group is one value, numbered by how many problems it has.\n",
                b.label
            );
        }
        let _ = writeln!(
            s,
            "| {} | Records | Held back | Problems |\n|---|---:|---:|---:|",
            capitalise(&b.label)
        );
        for g in b.groups.iter().take(BREAKDOWN_ROWS) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                g.value.replace('|', "/"),
                count(g.records),
                count(g.rejected),
                count(g.findings)
            );
        }
        if b.groups.len() > BREAKDOWN_ROWS {
            let _ = writeln!(
                s,
                "\n{} more; `summary.json` lists every one.",
                count((b.groups.len() - BREAKDOWN_ROWS) as u64)
            );
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// `summary.json`: the summary's figures for dashboards (counts and the packs' wording only).
pub fn summary_json(r: &RunReport, insight: &Insight) -> serde_json::Value {
    let rows = r.total(|t| t.rows_in);
    let rule = |c: &RuleCount| {
        serde_json::json!({
            "id": c.id, "table": c.table, "severity": c.severity, "message": c.message, "findings": c.findings,
        })
    };
    serde_json::json!({
        "version": 1,
        "name": r.name,
        "run_id": r.run_id,
        "as_of": r.as_of,
        "rule_packs": r.rule_packs.iter().map(|p| serde_json::json!({"name": p.name, "version": p.version})).collect::<Vec<_>>(),
        "records": rows,
        "clean": r.total(|t| t.corrected),
        "held_back": r.total(|t| t.rejected),
        "problems": {"errors": r.total(|t| t.errors), "warnings": r.total(|t| t.warnings), "notes": r.total(|t| t.infos)},
        "tables": r.tables.iter().map(|t| serde_json::json!({
            "table": t.table, "records": t.rows_in, "clean": t.corrected, "held_back": t.rejected,
            "errors": t.errors, "warnings": t.warnings, "notes": t.infos,
        })).collect::<Vec<_>>(),
        "rules": top_rules(r).into_iter().map(rule).collect::<Vec<_>>(),
        "whole_list_checks": r.rules.iter().filter(|c| is_return_level(c)).map(|c| serde_json::json!({
            "id": c.id, "table": c.table, "message": c.message, "measured": c.measured,
            "outside_limit": c.not_run.is_none() && c.findings > 0, "not_checked": c.not_run,
        })).collect::<Vec<_>>(),
        "corrections": {
            "applied": r.total(|t| t.cells_changed),
            "proposed": r.total(|t| t.changes_proposed),
            "conflicts": r.total(|t| t.conflicts),
            "problems_resolved": r.rules.iter().map(|c| c.corrected).sum::<u64>(),
            "by_kind": corrections_by_kind(r).into_iter().map(|(kind, n)| serde_json::json!({
                "kind": kind, "label": correction_kind_label(kind), "applied": n.applied, "proposed": n.proposed, "conflicts": n.conflicts,
            })).collect::<Vec<_>>(),
        },
        "since_previous": {
            "previous": insight.previous, "new": insight.new, "resolved": insight.resolved,
            "still_open": insight.still_open, "from_new_rules": insight.from_new_rules, "by_table": insight.by_table,
        },
        "trend": insight.trend,
        "people": r.people,
        "people_trend": insight.people_trend,
        "breakdown": r.breakdown,
        "notes": notes(r),
    })
}

/// `summary.md`, `summary.html` and `summary.json` in `dir`: the same figures for people and for
/// dashboards.
/// Each file is written beside its final name and renamed, so a reader never sees half of one.
pub(crate) fn write_summaries(
    dir: &std::path::Path,
    report: &RunReport,
    insight: &Insight,
) -> crate::model::error::Result<()> {
    let json = serde_json::to_string_pretty(&summary_json(report, insight))
        .expect("a JSON value always serializes: its object keys are text");
    for (name, text) in [
        ("summary.md", summary_markdown(report, insight)),
        (
            "summary.html",
            crate::output::summary_html::summary_html(report, insight),
        ),
        ("summary.json", json),
    ] {
        let (part, path) = (dir.join(format!("{name}.partial")), dir.join(name));
        std::fs::write(&part, text).map_err(|e| crate::model::error::Error::io(&part, e))?;
        std::fs::rename(&part, &path).map_err(|e| crate::model::error::Error::io(&path, e))?;
    }
    Ok(())
}
