//! Positioned diagnostics for files the user wrote (configuration and rules),
//! and the one place that renders them.
//!
//! A [`Diagnostic`] holds a byte span into its [`SourceFile`]; line and column
//! are computed only when rendering, so every stage can point at text without
//! doing arithmetic. Rendering uses annotate-snippets, the renderer behind
//! rustc and cargo, so the output looks like the compiler errors data
//! engineers already read.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// A file the user wrote, kept whole so diagnostics can quote it.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    /// Where each line starts, found the first time a position is asked for: a pack names the
    /// line of each of its thousands of rules and examples, and counting from the top each
    /// time took a tenth of reading it.
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: String) -> Arc<Self> {
        Arc::new(SourceFile {
            path: path.into(),
            text,
            line_starts: std::sync::OnceLock::new(),
        })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|i| i + 1))
                .collect()
        });
        let line = starts.partition_point(|&start| start <= offset);
        let col = self.text[starts[line - 1]..offset].chars().count() + 1;
        (line, col)
    }

    /// Byte offset of a 1-based line and character column.
    pub fn offset_of(&self, line: usize, col: usize) -> usize {
        let mut start = 0;
        for _ in 1..line {
            match self.text[start..].find('\n') {
                Some(i) => start += i + 1,
                None => return self.text.len(),
            }
        }
        let rest = &self.text[start..];
        start
            + rest
                .char_indices()
                .nth(col.saturating_sub(1))
                .map_or(rest.len(), |(i, _)| i)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One problem in a configuration or rules file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Stable code, e.g. `unknown-column`; every code is registered in [`CODES`].
    pub code: &'static str,
    pub message: String,
    pub file: Arc<SourceFile>,
    /// Byte range in `file.text` of the offending text.
    pub span: Range<usize>,
    /// Short text under the underline.
    pub label: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: &'static str, file: &Arc<SourceFile>, span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            file: Arc::clone(file),
            span,
            label: String::new(),
            help: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn path(&self) -> &Path {
        &self.file.path
    }

    /// 1-based line and column of the start of the span.
    pub fn line_col(&self) -> (usize, usize) {
        self.file.line_col(self.span.start)
    }
}

/// A diagnostic code: what `error[code]` means.
#[derive(Debug)]
pub struct Code {
    pub id: &'static str,
    /// One sentence: what is wrong, and how to fix it.
    pub summary: &'static str,
}

/// Every diagnostic code, so each has a stable, documented meaning (`cleanse explain <code>`,
/// docs/diagnostics.md). A test checks this list against the codes the source uses.
pub static CODES: &[Code] = &[
    // Reading the files.
    Code {
        id: "unreadable-file",
        summary: "A configuration or rules file could not be read (it is missing, or Cleanse may not open it); check the path and the file's permissions.",
    },
    Code {
        id: "not-utf8",
        summary: "A configuration or rules file is not saved as UTF-8; save it as UTF-8 (in most editors: File, Save As, Encoding) and run again.",
    },
    Code {
        id: "yaml-syntax",
        summary: "The file is not valid YAML (a tab used to indent, a bracket or quote never closed, a `: ` inside unquoted text); fix the text at the position shown.",
    },
    Code {
        id: "bad-indentation",
        summary: "A key is indented differently from the other keys of its entry, so it would be read as belonging somewhere else; line it up with the keys around it.",
    },
    Code {
        id: "unknown-key",
        summary: "A key is not one this part of the file takes, often because it is misspelt; use the suggested key or remove it.",
    },
    Code {
        id: "duplicate-key",
        summary: "The same key is written twice in one entry; keep one of them.",
    },
    Code {
        id: "missing-key",
        summary: "A key that is needed is missing, such as a setting the rule's kind requires or a correction's `id`, `table` or `columns`; add it.",
    },
    Code {
        id: "wrong-type",
        summary: "A value has the wrong form (one value where a list is expected or the other way round, text where `true` or `false` is expected), or a correction would write a value of the wrong type for its column; write it as the help shows.",
    },
    // The configuration.
    Code {
        id: "no-rules",
        summary: "The configuration lists no rule packs under `rules`; add at least one, e.g. `rules/annex-a.yaml`.",
    },
    Code {
        id: "missing-file",
        summary: "A rules file or export named in the configuration does not exist; check the path, which is relative to the configuration file.",
    },
    Code {
        id: "duplicate-input",
        summary: "Two inputs in the configuration are for the same table; combine the exports into one file, or remove one input.",
    },
    Code {
        id: "unknown-encoding",
        summary: "An input's `encoding` is not one Cleanse reads; use `auto`, `utf-8` or `windows-1252`.",
    },
    Code {
        id: "bad-delimiter",
        summary: "An input's `delimiter` is not a single character, or is a quote or line break (which already mean something in CSV); write one character such as `,` or `;`, or `tab`.",
    },
    Code {
        id: "not-for-workbooks",
        summary: "An input that names a workbook (.xlsx, .xlsm, .xlsb, .xls, .ods) sets what only a CSV export has (`encoding`, `delimiter`, `skip_lines`, `max_value_lines`); a workbook's cells are already text, and its header is found below any title rows. Remove the setting.",
    },
    Code {
        id: "not-a-workbook",
        summary: "A file named where a workbook is expected (Ofsted's provider lists under `ofsted_providers`) does not have a workbook's extension (.xlsx, .xlsm, .xlsb, .xls, .ods); name the workbook as published.",
    },
    Code {
        id: "sheet-on-csv",
        summary: "An input sets `sheet` but names a CSV export, which has no sheets; remove `sheet`, or name the workbook.",
    },
    Code {
        id: "bad-pivot",
        summary: "`two_digit_year_pivot` is not a number from 0 to 99; set it to e.g. `40` (00 to 39 read as 20xx, 40 to 99 as 19xx).",
    },
    Code {
        id: "bad-max-value-lines",
        summary: "An input's `max_value_lines` is zero; a value needs at least one line (the default, 200, suits notes typed with line breaks).",
    },
    Code {
        id: "bad-keep-days",
        summary: "`history: keep_days` is zero; the history must keep at least one day (the default is 400).",
    },
    Code {
        id: "unknown-output-format",
        summary: "`output_formats` names a format Cleanse does not write; the corrected and rejected tables can be written as `parquet` or `xlsx` besides CSV, which is always written.",
    },
    Code {
        id: "person-too-few-fields",
        summary: "A `same_person` rule's `person` declares too few fields to match people on: it needs a name (`surname` or `first_name`) and a date of birth (or `expected_date_of_birth`).",
    },
    Code {
        id: "unknown-comparison",
        summary: "A `same_person` rule's `comparisons` names a comparison Cleanse does not have; `cleanse explain same_person` lists them.",
    },
    Code {
        id: "comparison-needs-field",
        summary: "A `same_person` comparison reads a person field the rule's `person` does not declare (e.g. `postcode` with no postcode column); declare the field or leave the comparison out.",
    },
    Code {
        id: "unknown-blocking",
        summary: "A `same_person` rule's `blocking` names a blocking rule Cleanse does not have; `cleanse explain same_person` lists them.",
    },
    Code {
        id: "blocking-needs-field",
        summary: "A `same_person` blocking rule reads a person field the rule's `person` does not declare; declare the field or leave the blocking rule out.",
    },
    Code {
        id: "wrong-weight-count",
        summary: "A `same_person` rule's `weights` gives a comparison a different number of weights from its levels; give one per level, in the order `cleanse explain same_person` lists them.",
    },
    Code {
        id: "merge-needs-key",
        summary: "A `same_person` rule merges records, which re-points references to the surviving record's id, so its table needs a one-column `key` (the id).",
    },
    Code {
        id: "unknown-survivor-rule",
        summary: "A `same_person` rule's `merge: survivor` names a survivorship rule Cleanse does not have: `most_complete`, `most_recent` or `preferred_source`.",
    },
    Code {
        id: "bad-reference",
        summary: "A `merge: references` entry is not written `<table>.<column>`, e.g. `contacts.child_id`.",
    },
    Code {
        id: "bad-threshold",
        summary: "A `same_person` threshold is not a probability strictly between 0 and 1, or `possible` is not below `same`.",
    },
    Code {
        id: "bad-date",
        summary: "A date is not a real date in the form expected: `as_of`, `examples_as_of` and dates in SQL are written yyyy-mm-dd, e.g. `2026-03-31`.",
    },
    Code {
        id: "bad-extends",
        summary: "A pack's `extends` names no file beside it, or one Cleanse will not read: it must be a pack in the same folder, named relative to it (no `..`, no absolute path).",
    },
    Code {
        id: "extends-loop",
        summary: "Packs extend each other in a circle (or more than 16 deep): a pack extends an earlier year's pack, never a later one or itself.",
    },
    Code {
        id: "pack-read-twice",
        summary: "A pack is read twice, once on its own in `rules:` and once as the pack another extends (or twice in `rules:`): name only the latest year's pack.",
    },
    Code {
        id: "remove-without-extends",
        summary: "A pack has `remove:` but extends no pack to remove rules from: add `extends:`, or delete the rules themselves.",
    },
    Code {
        id: "unknown-rule-id",
        summary: "A `remove:` entry names no rule or correction of the packs this one extends; correct the id (see the suggestion).",
    },
    Code {
        id: "collection-year-mismatch",
        summary: "A pack declares a `collection_year` other than the one the configuration checks: name the pack for that year, or change the configuration's `collection_year`.",
    },
    // Tables and columns.
    Code {
        id: "unknown-table",
        summary: "A rule, correction, example or input names a table that no rule pack declares; correct the name (see the suggestion) or declare the table.",
    },
    Code {
        id: "bad-xml-path",
        summary: "A table's `element` or a column's `xml` is not a path in an XML return: element names separated by `/`, with `..` (the parent) only at the start of a column's path and `#` (an element's place among its namesakes) only at its end.",
    },
    Code {
        id: "xml-without-element",
        summary: "A column has an `xml` path, but its table declares no `element` for the path to start from.",
    },
    Code {
        id: "like-with-columns",
        summary: "A table is declared `like` another and with columns of its own; a table `like` another has exactly its columns, so declare one or the other.",
    },
    Code {
        id: "bad-table-name",
        summary: "A table's name cannot become a file name (it has `/`, `..`, spaces or other characters, or names a device); table names become `corrected/<table>.csv`, so use letters, digits, `_` and `-`, starting with a letter.",
    },
    Code {
        id: "duplicate-table",
        summary: "Two packs declare a table with the same name, or two names that differ only in case (they would be one file on Windows and macOS); declare each table once (another pack can still add rules to it).",
    },
    Code {
        id: "unknown-column",
        summary: "A rule, correction, key or SQL expression names a column the table does not declare; correct the name (see the suggestion) or declare the column.",
    },
    Code {
        id: "duplicate-column",
        summary: "A table declares the same column twice; remove one of the declarations.",
    },
    Code {
        id: "bad-column-name",
        summary: "A column name cannot be used in rules; use lower-case letters, digits and underscores, and put the export's header text in `header`.",
    },
    Code {
        id: "unknown-type",
        summary: "A column's `type` is not one Cleanse knows; use `text`, `date`, `integer`, `decimal` or `code`.",
    },
    Code {
        id: "missing-codes",
        summary: "A code column has no `codes`; name a code list from `code_lists`, or list the codes, e.g. `codes: [a) Yes, b) No]`.",
    },
    Code {
        id: "unknown-code-list",
        summary: "A column names a code list that its pack does not declare under `code_lists`; correct the name or declare the list.",
    },
    Code {
        id: "empty-code-list",
        summary: "A code list has no codes; add its codes, or remove the list.",
    },
    Code {
        id: "codes-on-non-code",
        summary: "A column has `codes` but is not a code column; add `type: code`, or remove `codes`.",
    },
    Code {
        id: "unknown-date-format",
        summary: "A date format is not one Cleanse knows (or, in a `date` correction, not one it writes); use one of the formats the help lists.",
    },
    Code {
        id: "formats-on-non-date",
        summary: "A column has `date_formats` but is not a date column; add `type: date`, or remove `date_formats`.",
    },
    // Rules.
    Code {
        id: "unknown-kind",
        summary: "A rule's `kind` is not a rule kind; use one of the kinds in docs/rule-kinds.md (`cleanse explain <kind>` describes each).",
    },
    Code {
        id: "key-not-for-kind",
        summary: "A rule or correction sets a key its kind does not use; remove the key, or check that the `kind` is the one you meant.",
    },
    Code {
        id: "unknown-severity",
        summary: "A rule's `severity` is not `error`, `warning` or `info`; use one of those.",
    },
    Code {
        id: "bad-rule-id",
        summary: "A rule id is empty, longer than 64 characters, or has characters other than letters, digits, `.`, `-` and `_`; choose a short, stable id such as `CON-001`.",
    },
    Code {
        id: "duplicate-rule-id",
        summary: "Two rules have the same id, and ids must be unique across all packs; give one of them a new id.",
    },
    Code {
        id: "duplicate-rule",
        summary: "A table has a second `duplicate_rows` rule, which would report the same rows again; keep one.",
    },
    Code {
        id: "empty-message",
        summary: "A rule's `message` is empty; say what is wrong, in words a data officer can act on.",
    },
    Code {
        id: "empty-columns",
        summary: "A list of columns (`columns`, `group` or `key`) is empty; name at least one column.",
    },
    Code {
        id: "one-column",
        summary: "A kind that works on exactly one column (a `type` or `code_form` rule, a `set` or `fill` correction) names several; write one rule or correction per column.",
    },
    Code {
        id: "type-on-text",
        summary: "A `type` rule checks a text column, which every value is; give the column a `type`, or remove the rule.",
    },
    Code {
        id: "not-a-code-column",
        summary: "A `code_form` rule checks a column that is not a code column; give the column `type: code` and `codes`.",
    },
    Code {
        id: "not-a-date-column",
        summary: "A rule or correction that works on dates (such as `age`, `periods`, `collection_year`, or a `date` correction) names a column that is not a date column; give the column `type: date`.",
    },
    Code {
        id: "pattern-on-typed",
        summary: "A `pattern` rule checks a date or number column, whose values are checked by their type; use `range` to check their values.",
    },
    Code {
        id: "range-on-text",
        summary: "A `range` rule checks a text or code column, but ranges apply to dates and numbers; give the column `type: date`, `integer` or `decimal`.",
    },
    Code {
        id: "bad-bound",
        summary: "A `min`, `max` or `max_change` cannot be read for this rule (a date column needs a date or `today - 6 years`, a number column a number, `share` and `max_change` a percentage); write it as the help shows.",
    },
    Code {
        id: "bad-length",
        summary: "A `length` rule's `min` or `max` is not a whole number of characters; write e.g. `max: 10`.",
    },
    Code {
        id: "bad-regex",
        summary: "A `pattern` is not a valid regular expression; check its brackets and escapes (in single-quoted YAML a backslash is written once).",
    },
    Code {
        id: "unknown-quantifier",
        summary: "A `related` rule's `quantifier` is not `any` or `all`; use `any` (at least one related row) or `all` (every related row).",
    },
    Code {
        id: "bad-order-by",
        summary: "A `sequence` rule's `order_by` column cannot put rows in order; order by a column with `type: date` or `type: integer`.",
    },
    Code {
        id: "key-length",
        summary: "`to` names a different number of columns from `columns` (or a `fill` correction's `key`); name one column in the other table for each column here.",
    },
    Code {
        id: "key-types-differ",
        summary: "A key column and the column it is matched with in the other table have different types, so they could never match; declare both with the same type.",
    },
    // SQL in `check`, `when` and `value`.
    Code {
        id: "bad-sql",
        summary: "An SQL expression in `check`, `when` or `value` cannot be read or evaluated; fix it at the position shown.",
    },
    Code {
        id: "not-an-aggregate",
        summary: "An `aggregate` rule's `check` gives a value for each row rather than one for the table; compare aggregates (`count(DISTINCT code) >= 8`), or use `query` for a condition on each row.",
    },
    Code {
        id: "not-a-condition",
        summary: "A `check` or `when` gives a value rather than true or false; compare it with something, e.g. `a >= b` or `x IS NOT NULL`.",
    },
    Code {
        id: "unsupported-sql",
        summary: "A `query` rule's SQL reads correctly but DataFusion cannot run it (a subquery correlated with its row by other than equality, or an `IN (subquery)` inside a larger condition); correlate by equality and compare other values in the subquery's WHERE clause, or count matching rows: `(SELECT count(*) FROM …) > 0`.",
    },
    Code {
        id: "no-collection-year",
        summary: "SQL uses `collection_start()` or `collection_end()`, but neither the pack nor the configuration names a `collection_year` (e.g. `2025-26`).",
    },
    Code {
        id: "reference-outside-query",
        summary: "SQL in a row-by-row rule (`check`, a correction) calls a function that reads reference data (`postcode_la`, `postcode_miles`, `local_authority`...); write the rule as `kind: query`, which runs once the run has read its reference files and is reported as not checked without them.",
    },
    Code {
        id: "bad-local-authority",
        summary: "The configuration's `local_authority` is not a GSS local authority code (a letter E, W, S or N and eight digits, e.g. `E09000027`).",
    },
    Code {
        id: "type-mismatch",
        summary: "SQL compares values of different kinds, such as a date with a number or a number column with quoted text; compare like with like (dates as '2024-04-01', numbers without quotes).",
    },
    // Corrections.
    Code {
        id: "unknown-correction-kind",
        summary: "A correction's `kind` is not a correction kind; use one of the kinds in docs/correction-kinds.md (`cleanse explain <kind>` describes each).",
    },
    Code {
        id: "merge-declared",
        summary: "A correction of kind `merge` was written in a pack; merges are made by a `same_person` rule with `merge:`, so give that rule a `merge:` instead.",
    },
    Code {
        id: "unknown-apply",
        summary: "A correction's `apply` is not `safe` or `review`; use `safe` (applied every run) or `review` (proposed until a run is given `--apply review`).",
    },
    Code {
        id: "duplicate-correction-id",
        summary: "Two corrections have the same id; give one of them a new id (a rule's `fix:` is called `<rule id>.fix`).",
    },
    Code {
        id: "key-not-for-fix",
        summary: "A rule's `fix:` sets `id` or `table`, which it takes from its rule; remove them.",
    },
    Code {
        id: "unknown-case",
        summary: "A `normalise` correction's `case` is not `upper`, `lower` or `title`; use one of those, or leave `case` out to keep the case.",
    },
    Code {
        id: "bad-synonyms-file",
        summary: "A `map` correction's `synonyms_file` cannot be read as a CSV file with a `from,to` header, or lies outside the rules file's folder (an absolute path, `..`, or a link leading out, which shared packs may not use); check the path (relative to the rules file) and the file.",
    },
    Code {
        id: "not-a-code",
        summary: "A `map` correction on a code column maps a synonym to a value that is not one of the column's codes; map it to a code exactly as listed.",
    },
    Code {
        id: "synonym-clash",
        summary: "A `map` correction gives one synonym two different values (matching ignores case and spacing); keep one.",
    },
    Code {
        id: "synonym-chain",
        summary: "A `map` correction maps a value to something that it would then map again; map straight to the final value.",
    },
    Code {
        id: "bad-from",
        summary: "A `fill` correction's `from` is not `<table>.<column>`; write e.g. `from: children.date_of_birth`.",
    },
    // Examples, for `cleanse test`.
    Code {
        id: "bad-example",
        summary: "A rule's or correction's example is not one `cleanse test` can run; give a rule `pass`, `fail` or `rows`, and a correction `in` and `out` or `row` and `out`.",
    },
    Code {
        id: "reserved-name",
        summary: "A table's name is one a rule kind gives a row of its own: `related` calls the related row `other`, so a table called `other` cannot have a `related` rule. Rename the table.",
    },
    // Cleanse itself.
    Code {
        id: "internal",
        summary: "Cleanse could not build the query a rule needs from the names it uses: a table called `other` (the name `related` gives the related row) or `previous` (the name `sequence` gives the row before), say, or a column name the SQL parser reads as something else. Rename the table or column; if the message names nothing of yours, report it with the rules file.",
    },
];

/// A diagnostic code's documentation.
pub fn code(id: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.id == id)
}

/// Render diagnostics like rustc: `error[code]: message`, the file, line and
/// column, the source line with the span underlined, then help.
pub fn render(diags: &[Diagnostic], color: bool) -> String {
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    let mut out = String::new();
    for d in diags {
        let path = d.file.path.display().to_string();
        let span = clamp_span(&d.file.text, d.span.clone());
        let title = Level::ERROR.primary_title(d.message.as_str()).id(d.code);
        // A file that could not be read has no text to quote.
        let mut groups = vec![if d.file.text.is_empty() {
            title.element(annotate_snippets::Origin::path(path.as_str()))
        } else {
            title.element(
                Snippet::source(d.file.text.as_str())
                    .path(path.as_str())
                    .annotation(AnnotationKind::Primary.span(span).label(d.label.as_str())),
            )
        }];
        if let Some(help) = &d.help {
            groups.push(Group::with_title(Level::HELP.secondary_title(help.as_str())));
        }
        let _ = writeln!(out, "{}\n", renderer.render(&groups));
    }
    if diags.len() > 1 {
        let _ = writeln!(out, "error: {} problems found", diags.len());
    }
    out
}

fn clamp_span(text: &str, span: Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let end = floor_char_boundary(text, span.end.clamp(start, text.len()));
    start..end
}

/// "did you mean" for a misspelt name: a case-insensitive match first, then the
/// closest name within an edit distance of a third of its length (cargo's
/// rule), so suggestions are never far-fetched.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    if let Some(c) = candidates.iter().find(|c| c.eq_ignore_ascii_case(name) && **c != name) {
        return Some(c);
    }
    let limit = (name.chars().count().max(3)) / 3;
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::damerau_levenshtein(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// `help:` text for a suggestion, if there is one.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    suggest(name, candidates).map(|s| format!("did you mean `{s}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_ids_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in CODES {
            assert!(seen.insert(c.id), "code `{}` is registered twice", c.id);
        }
    }

    /// The code literals the source passes to `Diagnostic::new(`, a kind's `cx.error(` (which
    /// forwards to it) and SQL errors' `code: Some(`; calls may span lines.
    fn codes_in_source() -> std::collections::BTreeMap<String, String> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).expect("read src") {
                let path = entry.expect("dir entry").path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
        let mut found = std::collections::BTreeMap::new();
        // This file names the calls it looks for, and raises no diagnostics itself.
        for path in files.into_iter().filter(|p| !p.ends_with("src/model/diag.rs")) {
            let text = std::fs::read_to_string(&path).expect("read source");
            for call in ["Diagnostic::new(", ".error(", "code: Some("] {
                for (at, _) in text.match_indices(call) {
                    let rest = text[at + call.len()..].trim_start();
                    // Not a literal: `Diagnostic::new(code, …)` forwards one found elsewhere.
                    let Some(rest) = rest.strip_prefix('"') else { continue };
                    let literal = &rest[..rest.find('"').expect("closing quote")];
                    let line = text[..at].matches('\n').count() + 1;
                    found
                        .entry(literal.to_string())
                        .or_insert_with(|| format!("{}:{line}", path.display()));
                }
            }
        }
        found
    }

    #[test]
    fn every_code_used_is_registered_and_every_registered_code_is_used() {
        let used = codes_in_source();
        for (id, at) in &used {
            assert!(
                code(id).is_some(),
                "`{id}` ({at}) is not registered in diag::CODES: add it with a one-sentence summary"
            );
        }
        for c in CODES {
            assert!(
                used.contains_key(c.id),
                "`{}` is registered in diag::CODES but never used",
                c.id
            );
        }
    }

    #[test]
    fn suggestions_are_close_or_absent() {
        let names = ["contacts", "referrals", "cp_plans"];
        assert_eq!(suggest("contact", names), Some("contacts"));
        assert_eq!(suggest("Referrals", names), Some("referrals"));
        assert_eq!(suggest("assessments", names), None);
        assert_eq!(suggest("xy", names), None);
    }

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let f = SourceFile::new("x.yaml", "a: 1\nbé: zz\n".to_string());
        assert_eq!(f.line_col(0), (1, 1));
        let z = f.text.find("zz").unwrap();
        assert_eq!(f.line_col(z), (2, 5));
        assert_eq!(f.offset_of(2, 5), z);
    }
}
