//! Documentation from the source: `cleanse explain`, `cleanse rules`, and the reference pages
//! in `docs/`.
//!
//! Everything here is rendered from text that lives beside the code it describes: each rule
//! kind's and correction kind's [`KindDoc`], and the diagnostic codes in [`CODES`]. So the
//! terminal and the Markdown pages say the same thing, and a test fails when the pages fall
//! behind the source.

use std::fmt::Write as _;

use crate::fixes::FIXES;
use crate::kinds::KINDS;
use crate::model::diag::{CODES, did_you_mean};
use crate::spec::compiled::Rule;
use crate::spec::doc::KindDoc;
use crate::spec::fix::{Apply, Correction};
use crate::spec::rules::RuleSet;

/// How to rewrite the reference pages after changing a kind's or a code's documentation.
pub const REGENERATE: &str = "CLEANSE_UPDATE_DOCS=1 cargo test --lib reference_docs";

/// A key every rule or correction takes, whatever its kind: `(name, required, what it means)`.
type CommonKey = (&'static str, &'static str, &'static str);

/// The keys every rule takes; a kind's own keys are in its [`KindDoc`].
const RULE_KEYS: &[CommonKey] = &[
    (
        "id",
        "yes",
        "A short, stable id, e.g. `CON-001`: letters, digits, `.`, `-` and `_`, unique across all packs. It appears in every report, so never reuse one.",
    ),
    ("table", "yes", "The table the rule checks."),
    ("kind", "yes", "What the rule checks: one of the kinds on this page."),
    (
        "severity",
        "no",
        "`error` (the default) rejects the row; `warning` reports it and keeps the row; `info` is a note.",
    ),
    (
        "message",
        "yes",
        "What a data officer sees when a record breaks the rule: say what is wrong.",
    ),
    (
        "docs",
        "no",
        "Why the rule matters, shown by `cleanse explain <rule id>`.",
    ),
    (
        "fix",
        "no",
        "A correction for what the rule finds (see [correction kinds](correction-kinds.md)); it takes the rule's table, columns and `when`.",
    ),
    (
        "examples",
        "no",
        "Rows the rule must pass (`pass: {row}`) or report (`fail: {row}`), run by `cleanse test`.",
    ),
];

/// The keys every correction takes (the names are [`crate::spec::fix::COMMON`], plus `examples`).
const CORRECTION_KEYS: &[CommonKey] = &[
    (
        "id",
        "yes, except in a rule's `fix:`",
        "A short, stable id, e.g. `FIX-GENDER`; it appears in changes.csv. A rule's `fix:` is called `<rule id>.fix`.",
    ),
    (
        "table",
        "yes, except in a rule's `fix:`",
        "The table the correction changes; a rule's `fix:` changes the rule's table.",
    ),
    ("kind", "yes", "How it corrects: one of the kinds on this page."),
    (
        "apply",
        "yes",
        "`safe`: applied every run. `review`: listed in changes.csv as `proposed` until a run is given `--apply review`.",
    ),
    (
        "columns",
        "yes, except in a rule's `fix:`",
        "The columns it may change; a rule's `fix:` changes the rule's columns unless it names its own.",
    ),
    (
        "when",
        "no",
        "SQL condition: only rows where it is true are corrected. A rule's `fix:` applies where the rule does unless it says otherwise.",
    ),
    (
        "docs",
        "no",
        "Why the correction is safe, or what a reviewer should check.",
    ),
    (
        "examples",
        "no",
        "Values before and after (`in:` and `out:`), run by `cleanse test`.",
    ),
];

/// The reference pages, as `(path relative to the repository, Markdown)`.
pub fn reference() -> Vec<(&'static str, String)> {
    vec![
        ("docs/rule-kinds.md", rule_kinds_page()),
        ("docs/correction-kinds.md", correction_kinds_page()),
        ("docs/diagnostics.md", diagnostics_page()),
    ]
}

fn generated_note() -> String {
    format!(
        "_This page is generated from Cleanse's source; do not edit it by hand. To regenerate it: `{REGENERATE}`._\n"
    )
}

fn rule_kinds_page() -> String {
    let mut out = String::new();
    out.push_str("# Rule kinds\n\n");
    out.push_str(&generated_note());
    out.push_str(
        "\nA rule says what must be true of a table's records. Its `kind` decides what it checks and which \
         keys it takes. In a terminal, `cleanse explain <kind>` shows the same text, and `cleanse rules` lists \
         the rules your packs declare.\n\n",
    );
    out.push_str("| kind | checks |\n|---|---|\n");
    for k in KINDS {
        let d = k.doc();
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} |",
            d.name,
            d.name,
            cell(first_sentence(d.summary))
        );
    }
    out.push_str("\n## Keys every rule takes\n\n");
    common_keys_table(&mut out, RULE_KEYS);
    for k in KINDS {
        kind_section(&mut out, k.doc(), "rule");
    }
    out
}

fn correction_kinds_page() -> String {
    let mut out = String::new();
    out.push_str("# Correction kinds\n\n");
    out.push_str(&generated_note());
    out.push_str(
        "\nA correction fixes what can be fixed safely, and records every cell it changes in `changes.csv` \
         (old value, new value, and the correction's id), so each change can be checked and made in the \
         case-management system too. It is declared on the rule whose failures it fixes (`fix:`), or on its own \
         under `corrections:`. `cleanse explain <kind>` shows the same text in a terminal.\n\n",
    );
    out.push_str("| kind | writes |\n|---|---|\n");
    for k in fixes_by_stage() {
        let d = k.doc();
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} |",
            d.name,
            d.name,
            cell(first_sentence(d.summary))
        );
    }
    out.push_str("\n## How corrections run\n\n");
    let _ = writeln!(
        out,
        "- **In a fixed order of stages**, each seeing the previous one's output: {}. So ` male ` is tidied \
         before it is mapped, and an age is derived from a date of birth after that date is filled in. Within a \
         stage, corrections run in the order the packs declare them.",
        stage_order()
    );
    out.push_str(
        "- **`apply: safe` or `apply: review`.** A `safe` correction is applied every run. A `review` correction \
         is only proposed: it is listed in `changes.csv` as `proposed` and the value stays as exported, until a \
         run is given `--apply review`.\n\
         - **Conflicts are withheld.** When two corrections of one stage want different values in the same cell, \
         neither is applied; both are listed in `changes.csv` as `conflict`, and the rules report the value as \
         exported.\n\
         - **Rules check the corrected values.** A row whose errors were all corrected goes to the corrected \
         output, and `exceptions.csv` lists what the corrections resolved as `corrected`.\n\
         - **Corrections depend on the row, never on findings**, so running Cleanse again on its own corrected \
         output changes nothing further.\n",
    );
    out.push_str("\n## Keys every correction takes\n\n");
    common_keys_table(&mut out, CORRECTION_KEYS);
    for k in fixes_by_stage() {
        kind_section(&mut out, k.doc(), "correction");
    }
    out
}

fn diagnostics_page() -> String {
    let mut out = String::new();
    out.push_str("# Diagnostic codes\n\n");
    out.push_str(&generated_note());
    out.push_str(
        "\nWhen a configuration or rules file has a problem, Cleanse stops before reading any data (exit code \
         2) and shows every problem with a stable code, the file, line and column, and often a suggestion:\n\n",
    );
    let _ = writeln!(out, "```text\n{}```\n", EXAMPLE_DIAGNOSTIC);
    out.push_str("`cleanse explain <code>` shows a code's meaning in a terminal.\n\n");
    out.push_str("| code | what is wrong, and how to fix it |\n|---|---|\n");
    for c in CODES {
        let _ = writeln!(out, "| `{}` | {} |", c.id, cell(c.summary));
    }
    out
}

/// What a diagnostic looks like, for the top of the diagnostics page.
const EXAMPLE_DIAGNOSTIC: &str = r#"error[unknown-column]: table `cp_plans` has no column `plan_end_dat`
   --> council-rules.yaml:12:12
    |
 12 |     check: plan_end_dat >= plan_start_date
    |            ^^^^^^^^^^^^ unknown column
    |
help: did you mean `plan_end_date`?
"#;

fn common_keys_table(out: &mut String, keys: &[CommonKey]) {
    out.push_str("| key | required | what it means |\n|---|---|---|\n");
    for (name, required, doc) in keys {
        let _ = writeln!(out, "| `{name}` | {required} | {} |", cell(doc));
    }
}

/// One kind's section: what it does, why, its keys, and an example.
fn kind_section(out: &mut String, d: &KindDoc, what: &str) {
    let _ = write!(
        out,
        "\n## `{}`\n\n{}\n\n**Why it matters.** {}\n\n",
        d.name, d.summary, d.why
    );
    if d.params.is_empty() {
        let _ = writeln!(out, "It takes no keys beyond those every {what} takes.\n");
    } else {
        let _ = writeln!(out, "Its keys, besides those every {what} takes:\n");
        out.push_str("| key | required | what it means |\n|---|---|---|\n");
        for p in d.params {
            let required = if p.required { "yes" } else { "no" };
            let _ = writeln!(out, "| `{}` | {required} | {} |", p.name, cell(p.doc));
        }
        out.push('\n');
    }
    let _ = write!(out, "Example:\n\n```yaml\n{}\n```\n", d.example.trim_end());
}

/// Text made safe for one Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The first sentence of a summary, for the contents tables.
fn first_sentence(text: &str) -> &str {
    // A sentence ends at ". " before a capital letter (so "e.g. `x`" does not end one).
    text.match_indices(". ")
        .find(|(i, _)| text[i + 2..].starts_with(|c: char| c.is_ascii_uppercase()))
        .map_or(text, |(i, _)| &text[..=i])
}

/// The correction kinds in the order their stages run.
fn fixes_by_stage() -> Vec<&'static dyn crate::spec::fix::AnyFix> {
    let mut kinds: Vec<_> = FIXES.to_vec();
    kinds.sort_by_key(|k| k.stage());
    kinds
}

/// The correction stages in the order they run, e.g. "normalise → map → date → fill → set".
fn stage_order() -> String {
    fixes_by_stage()
        .iter()
        .filter(|k| k.declarable())
        .map(|k| format!("`{}`", k.doc().name))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// Plain text about `name`, for a terminal. Looked up in this order: a rule or correction id in
/// the loaded packs, a rule kind, a correction kind, a diagnostic code. `Err`: what to say when
/// nothing is called that, with a suggestion when a name is close.
pub fn explain(name: &str, set: Option<&RuleSet>) -> Result<String, String> {
    if let Some(set) = set {
        if let Some(rule) = set.rules.iter().find(|r| r.id == name) {
            return Ok(explain_rule(rule, set));
        }
        if let Some(c) = set.corrections.iter().find(|c| c.id == name) {
            return Ok(explain_correction(c, set));
        }
    }
    if let Some(d) = crate::kinds::doc(name) {
        return Ok(explain_kind(d, "rule"));
    }
    if let Some(d) = crate::fixes::doc(name) {
        return Ok(explain_kind(d, "correction"));
    }
    if let Some(&(id, message, docs)) = crate::source::ingest_rules::ALL.iter().find(|(id, ..)| *id == name) {
        let mut out = format!("{id}: a check every export gets as it is read (severity error)\n\n");
        wrap_into(&mut out, message, "  ");
        out.push('\n');
        wrap_into(&mut out, docs, "  ");
        if !out.ends_with('\n') {
            out.push('\n');
        }
        return Ok(out);
    }
    if let Some(c) = crate::model::diag::code(name) {
        let mut out = format!("error[{}]: a diagnostic code\n\n", c.id);
        wrap_into(&mut out, c.summary, "  ");
        out.push_str("\nEvery code is listed in docs/diagnostics.md.\n");
        return Ok(out);
    }
    let mut names: Vec<&str> = Vec::new();
    if let Some(set) = set {
        names.extend(set.rules.iter().map(|r| r.id.as_str()));
        names.extend(set.corrections.iter().map(|c| c.id.as_str()));
    }
    names.extend(KINDS.iter().map(|k| k.doc().name));
    names.extend(FIXES.iter().map(|k| k.doc().name));
    names.extend(CODES.iter().map(|c| c.id));
    names.extend(crate::source::ingest_rules::ALL.iter().map(|(id, ..)| *id));
    let mut message = match set {
        Some(_) => format!(
            "nothing is called `{name}`: it is not a rule or correction in the configured packs, a rule kind, a correction kind or a diagnostic code"
        ),
        None => format!(
            "nothing is called `{name}`: it is not a rule kind, a correction kind or a diagnostic code (no rule packs were loaded, so rule and correction ids were not searched; pass --config PATH)"
        ),
    };
    if let Some(help) = did_you_mean(name, names) {
        let _ = write!(message, "\nhelp: {help}");
    }
    Err(message)
}

fn explain_rule(rule: &Rule, set: &RuleSet) -> String {
    let table = &set.tables[rule.table];
    let columns: Vec<&str> = rule.columns.iter().map(|&c| table.columns[c].name.as_str()).collect();
    let mut fields = vec![
        ("table", table.name.clone()),
        ("kind", rule.kind.to_string()),
        ("severity", rule.severity.as_str().to_string()),
        (
            "columns",
            if columns.is_empty() {
                "(none: it is about whole rows or the whole table)".into()
            } else {
                columns.join(", ")
            },
        ),
        ("message", rule.message.clone()),
        (
            "declared",
            match &rule.declared {
                Some(at) => format!("{}, line {} (pack {})", at.path.display(), at.line, rule.pack),
                None => format!(
                    "implied by the column's declaration in table `{}` (pack {})",
                    table.name, rule.pack
                ),
            },
        ),
    ];
    for c in set
        .corrections
        .iter()
        .filter(|c| c.rule.as_deref() == Some(rule.id.as_str()))
    {
        fields.push((
            "correction",
            format!("{} ({}, apply: {})", c.id, c.kind, apply_name(c.apply)),
        ));
    }
    let mut out = format!("{}: a rule\n\n", rule.id);
    field_list(&mut out, &fields);
    let kind = crate::kinds::doc(rule.kind);
    // Without `docs:` of its own, a rule's docs are its kind's summary, shown below anyway.
    if kind.is_none_or(|k| k.summary != rule.docs) && !rule.docs.is_empty() {
        out.push('\n');
        wrap_into(&mut out, &rule.docs, "  ");
    }
    if let Some(k) = kind {
        about_kind(&mut out, k, "rule");
    }
    out
}

fn explain_correction(c: &Correction, set: &RuleSet) -> String {
    let table = &set.tables[c.table];
    let columns: Vec<&str> = c.columns.iter().map(|&i| table.columns[i].name.as_str()).collect();
    let mut fields = vec![
        ("table", table.name.clone()),
        ("kind", c.kind.to_string()),
        ("apply", apply_name(c.apply).to_string()),
        ("columns", columns.join(", ")),
    ];
    if let Some(rule) = &c.rule {
        fields.push(("fixes", format!("rule {rule}")));
    }
    fields.push((
        "declared",
        format!("{}, line {}", c.declared.path.display(), c.declared.line),
    ));
    let mut out = format!("{}: a correction\n\n", c.id);
    field_list(&mut out, &fields);
    let kind = crate::fixes::doc(c.kind);
    if kind.is_none_or(|k| k.summary != c.docs) && !c.docs.is_empty() {
        out.push('\n');
        wrap_into(&mut out, &c.docs, "  ");
    }
    out.push('\n');
    wrap_into(
        &mut out,
        match c.apply {
            Apply::Safe => "It is applied every run (`apply: safe`).",
            Apply::Review => {
                "It is proposed, not applied (`apply: review`): its changes are listed in changes.csv as `proposed` until a run is given `--apply review`."
            }
        },
        "  ",
    );
    if let Some(k) = kind {
        about_kind(&mut out, k, "correction");
    }
    out
}

/// The kind's summary and why, under a rule or correction.
fn about_kind(out: &mut String, k: &KindDoc, what: &str) {
    let _ = writeln!(out, "\nAbout `{}` {what}s:", k.name);
    wrap_into(out, k.summary, "  ");
    out.push('\n');
    wrap_into(out, &format!("Why it matters: {}", k.why), "  ");
    let _ = writeln!(out, "\n`cleanse explain {}` shows its keys and an example.", k.name);
}

fn explain_kind(d: &KindDoc, what: &str) -> String {
    let mut out = format!("{}: a {what} kind\n\n", d.name);
    wrap_into(&mut out, d.summary, "  ");
    out.push('\n');
    wrap_into(&mut out, &format!("Why it matters: {}", d.why), "  ");
    if what == "correction"
        && let Some(k) = FIXES.iter().find(|k| k.doc().name == d.name)
        && k.declarable()
    {
        let stages: Vec<_> = fixes_by_stage().into_iter().filter(|k| k.declarable()).collect();
        let n = stages.iter().position(|s| s.stage() == k.stage()).map_or(0, |i| i + 1);
        out.push('\n');
        wrap_into(
            &mut out,
            &format!(
                "Stage {n} of {}; corrections run in stages: {}.",
                stages.len(),
                stage_order()
            ),
            "  ",
        );
    }
    let common: Vec<&str> = match what {
        "rule" => RULE_KEYS.iter().map(|k| k.0).collect(),
        _ => CORRECTION_KEYS.iter().map(|k| k.0).collect(),
    };
    out.push('\n');
    if d.params.is_empty() {
        wrap_into(
            &mut out,
            &format!("Keys: none beyond those every {what} takes ({}).", common.join(", ")),
            "",
        );
    } else {
        wrap_into(
            &mut out,
            &format!("Keys, besides those every {what} takes ({}):", common.join(", ")),
            "",
        );
        let width = d.params.iter().map(|p| p.name.len()).max().unwrap_or(0);
        for p in d.params {
            let head = format!(
                "  {:width$}  {:8}  ",
                p.name,
                if p.required { "required" } else { "optional" }
            );
            let indent = " ".repeat(head.len());
            out.push_str(&head);
            out.push_str(wrap(p.doc, &indent).trim_start());
        }
    }
    out.push_str("\nExample:\n");
    for line in d.example.lines() {
        let _ = writeln!(out, "  {line}");
    }
    out
}

fn apply_name(a: Apply) -> &'static str {
    match a {
        Apply::Safe => "safe",
        Apply::Review => "review",
    }
}

/// `  name:  value` lines, values aligned.
fn field_list(out: &mut String, fields: &[(&str, String)]) {
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
    for (k, v) in fields {
        let head = format!("  {:width$} ", format!("{k}:"));
        let indent = " ".repeat(head.len());
        out.push_str(&head);
        out.push_str(wrap(v, &indent).trim_start());
    }
}

/// Terminal width the text is wrapped to.
const WIDTH: usize = 88;

fn wrap_into(out: &mut String, text: &str, indent: &str) {
    out.push_str(&wrap(text, indent));
}

/// Greedy word wrap to [`WIDTH`], every line starting with `indent`; each line ends with `\n`.
fn wrap(text: &str, indent: &str) -> String {
    let mut out = String::new();
    for paragraph in text.lines() {
        let mut line = String::from(indent);
        for word in words(paragraph) {
            if line.len() > indent.len() && line.chars().count() + 1 + word.chars().count() > WIDTH {
                out.push_str(&line);
                out.push('\n');
                line = String::from(indent);
            }
            if line.len() > indent.len() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The words of a paragraph, keeping a `code span` whole so it is never split across lines.
fn words(paragraph: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for word in paragraph.split_whitespace() {
        match out.last_mut() {
            Some(last) if open => {
                last.push(' ');
                last.push_str(word);
            }
            _ => out.push(word.to_string()),
        }
        if word.matches('`').count() % 2 == 1 {
            open = !open;
        }
    }
    out
}

/// The rules and corrections of the configured packs, as aligned text tables.
pub fn rules_list(set: &RuleSet) -> String {
    let mut out = String::new();
    let row = |r: &Rule| {
        vec![
            r.id.clone(),
            set.tables[r.table].name.clone(),
            r.kind.to_string(),
            r.severity.as_str().to_string(),
            r.message.clone(),
        ]
    };
    let header = ["ID", "TABLE", "KIND", "SEVERITY", "MESSAGE"];
    // The rules a pack writes out first; the many a column declaration implies after them.
    let (declared, implied): (Vec<&Rule>, Vec<&Rule>) = set.rules.iter().partition(|r| r.declared.is_some());
    let _ = writeln!(out, "{} rules declared in the packs:\n", declared.len());
    text_table(&mut out, &header, &declared.into_iter().map(row).collect::<Vec<_>>());
    if !implied.is_empty() {
        let _ = writeln!(
            out,
            "\n{} rules implied by column declarations (`required: true`, a `type`, `codes`):\n",
            implied.len()
        );
        text_table(&mut out, &header, &implied.into_iter().map(row).collect::<Vec<_>>());
    }
    if set.corrections.is_empty() {
        out.push_str("\nNo corrections.\n");
        return out;
    }
    let _ = writeln!(out, "\n{} corrections:\n", set.corrections.len());
    let rows: Vec<Vec<String>> = set
        .corrections
        .iter()
        .map(|c| {
            let table = &set.tables[c.table];
            vec![
                c.id.clone(),
                table.name.clone(),
                c.kind.to_string(),
                apply_name(c.apply).to_string(),
                c.columns
                    .iter()
                    .map(|&i| table.columns[i].name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ]
        })
        .collect();
    text_table(&mut out, &["ID", "TABLE", "KIND", "APPLY", "COLUMNS"], &rows);
    out
}

/// Columns padded to their widest value, two spaces apart; the last is not padded.
fn text_table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, v) in widths.iter_mut().zip(row) {
            *w = (*w).max(v.chars().count());
        }
    }
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(v);
            if i + 1 < row.len() {
                line.extend(std::iter::repeat_n(' ', widths[i] - v.chars().count()));
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The pages in `docs/` are what [`reference`] generates; `CLEANSE_UPDATE_DOCS=1` rewrites them.
    #[test]
    fn reference_docs_are_up_to_date() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let update = std::env::var("CLEANSE_UPDATE_DOCS").is_ok_and(|v| v == "1");
        let mut stale = Vec::new();
        for (path, text) in reference() {
            let file = root.join(path);
            if update {
                std::fs::create_dir_all(file.parent().expect("docs/")).expect("create docs/");
                std::fs::write(&file, &text).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
            } else if std::fs::read_to_string(&file).ok().as_deref() != Some(text.as_str()) {
                stale.push(path);
            }
        }
        assert!(
            stale.is_empty(),
            "out of date with the documentation in the source: {}. Regenerate with `{REGENERATE}` and commit the result",
            stale.join(", ")
        );
    }

    #[test]
    fn common_correction_keys_are_the_ones_corrections_take() {
        let documented: Vec<&str> = CORRECTION_KEYS
            .iter()
            .map(|k| k.0)
            .filter(|k| *k != "examples")
            .collect();
        assert_eq!(documented, crate::spec::fix::COMMON);
    }

    /// Explain looks names up in order, so a name used twice would hide the second meaning.
    #[test]
    fn kind_and_code_names_are_distinct_and_each_explains() {
        let mut names: Vec<&str> = KINDS.iter().map(|k| k.doc().name).collect();
        names.extend(FIXES.iter().map(|k| k.doc().name));
        names.extend(CODES.iter().map(|c| c.id));
        let mut seen = std::collections::HashSet::new();
        for name in &names {
            assert!(seen.insert(*name), "`{name}` names two things");
            let text = explain(name, None).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                text.starts_with(name) || text.starts_with(&format!("error[{name}]")),
                "{text}"
            );
        }
    }

    #[test]
    fn an_unknown_name_gets_a_suggestion() {
        let err = explain("rnage", None).unwrap_err();
        assert!(err.contains("did you mean `range`?"), "{err}");
        assert!(explain("zzzzzzzz", None).unwrap_err().lines().count() == 1);
    }

    #[test]
    fn wrapping_keeps_words_whole_and_indents_every_line() {
        let text = "word ".repeat(40);
        let wrapped = wrap(&text, "  ");
        assert!(
            wrapped.lines().all(|l| l.starts_with("  word") && l.len() <= WIDTH),
            "{wrapped}"
        );
        assert_eq!(wrapped.split_whitespace().count(), 40);
        // A code span that would cross the margin moves to the next line whole.
        let code = format!("{}`a b c`", "word ".repeat(17));
        let wrapped = wrap(&code, "");
        assert!(wrapped.lines().any(|l| l.ends_with("`a b c`")), "{wrapped}");
    }

    #[test]
    fn first_sentences_end_at_a_full_stop_before_a_capital() {
        assert_eq!(first_sentence("One, e.g. `x`. Two."), "One, e.g. `x`.");
        assert_eq!(first_sentence("Only one."), "Only one.");
    }
}
