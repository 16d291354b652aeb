//! Examples in rules files: "given these rows, this rule reports these; given this value, this
//! correction writes that". Validated here with the rest of the pack (so `cleanse check` catches
//! an example naming a column that does not exist); run by `cleanse test` (`cli/examples.rs`).

use std::ops::Range;
use std::sync::Arc;

use super::compiled::Rule;
use super::fix::Correction;
use super::raw::{RawExample, RawFail, RawOut, RawPack, RawRow};
use crate::model::diag::{Diagnostic, SourceFile, did_you_mean};
use crate::model::table::Table;
use crate::spec::yaml::{Spanned, span};

/// What the examples are about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Rule(String),
    Correction(String),
}

impl Subject {
    pub fn id(&self) -> &str {
        match self {
            Subject::Rule(id) | Subject::Correction(id) => id,
        }
    }
}

/// One declared rule's or correction's examples (perhaps none).
#[derive(Debug)]
pub struct Examples {
    pub subject: Subject,
    /// Index into [`RuleSet::packs`] of the pack that holds them.
    pub pack: usize,
    pub table: usize,
    pub list: Vec<Example>,
}

/// One example, checked: rows as full-width text records in the tables' declared column order.
#[derive(Debug)]
pub struct Example {
    pub file: Arc<SourceFile>,
    pub span: Range<usize>,
    /// How the runner names it: `pass`, `fail`, `rows`, `in → out` or `row → out`, and its line.
    pub name: String,
    /// Rows of the subject's table, in file order.
    pub rows: Vec<Vec<String>>,
    /// Rows of other tables the subject reads.
    pub other: Vec<(usize, Vec<Vec<String>>)>,
    pub expect: Expect,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// A rule reports exactly these rows (1-based, in `rows`).
    Rows(Vec<usize>),
    /// A rule about the whole table reports (true) or not.
    Whole(bool),
    /// A correction leaves these values: (row, column, text); any other cell it changes is a
    /// failure.
    Values(Vec<(usize, usize, String)>),
}

/// Check and gather every example in the packs; rules and corrections are compiled already.
pub(super) fn compile(
    parsed: &[(RawPack, Arc<SourceFile>)],
    tables: &[Table],
    rules: &[Rule],
    corrections: &[Correction],
    diags: &mut Vec<Diagnostic>,
) -> Vec<Examples> {
    let mut all = Vec::new();
    for (pack_index, (pack, file)) in parsed.iter().enumerate() {
        // `single`: the one column a correction changes, for `in`/`out` examples.
        let mut add = |subject: Subject, table: usize, raw: &[Spanned<RawExample>], single: Option<usize>| {
            let cx = Cx { file, tables, table };
            let list: Vec<Example> = raw
                .iter()
                .filter_map(|e| {
                    match &subject {
                        Subject::Rule(_) => cx.rule_example(e),
                        Subject::Correction(_) => cx.correction_example(e, single),
                    }
                    .map_err(|d| diags.extend(d))
                    .ok()
                })
                .collect();
            all.push(Examples {
                subject,
                pack: pack_index,
                table,
                list,
            });
        };
        for raw in &pack.rules {
            let Some(rule) = rules
                .iter()
                .find(|r| r.id == raw.id.value && tables[r.table].name == raw.table.value)
            else {
                continue;
            };
            add(Subject::Rule(rule.id.clone()), rule.table, &raw.examples, None);
            if let Some(fix) = &raw.fix
                && let Some(c) = corrections
                    .iter()
                    .find(|c| c.rule.as_deref() == Some(&rule.id) && c.table == rule.table)
            {
                add(
                    Subject::Correction(c.id.clone()),
                    c.table,
                    &fix.examples,
                    only(&c.columns),
                );
            }
        }
        for raw in &pack.corrections {
            let Some(id) = &raw.id else { continue };
            let Some(c) = corrections.iter().find(|c| c.id == id.value) else {
                continue;
            };
            add(
                Subject::Correction(c.id.clone()),
                c.table,
                &raw.examples,
                only(&c.columns),
            );
        }
    }
    all
}

fn only(columns: &[usize]) -> Option<usize> {
    match columns {
        [c] => Some(*c),
        _ => None,
    }
}

struct Cx<'a> {
    file: &'a Arc<SourceFile>,
    tables: &'a [Table],
    table: usize,
}

impl Cx<'_> {
    /// What a test runner calls the example: its form and where it is written.
    fn named(&self, form: &str, at: &Range<usize>) -> String {
        format!("{form} (line {})", self.file.line_col(at.start).0)
    }

    fn error(&self, at: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new("bad-example", self.file, at, message)
    }

    fn rule_example(&self, e: &Spanned<RawExample>) -> Result<Example, Vec<Diagnostic>> {
        let at = span(e);
        let raw = &e.value;
        if raw.input.is_some() || raw.row.is_some() || raw.out.is_some() {
            return Err(vec![
                self.error(at, "`in`, `row` and `out` are for a correction's examples")
                    .label("in a rule's examples")
                    .help("give a rule `pass: {row}`, `fail: {row}`, or `rows: [...]` with `fail: [row numbers]`"),
            ]);
        }
        let (name, rows, expect) = match (&raw.pass, &raw.fail, &raw.rows) {
            (Some(row), None, None) => ("pass", vec![row], Expect::Rows(vec![])),
            (None, Some(RawFail::Row(row)), None) => ("fail", vec![row], Expect::Rows(vec![1])),
            (None, fail, Some(rows)) => {
                let expect = match fail {
                    None => Expect::Rows(vec![]),
                    Some(RawFail::Rows(n)) => Expect::Rows(n.iter().map(|&n| n as usize).collect()),
                    Some(RawFail::Whole(b)) => Expect::Whole(*b),
                    Some(RawFail::Row(_)) => {
                        return Err(vec![
                            self.error(at, "with `rows`, `fail` lists the row numbers the rule reports")
                                .label("`fail` is a row here")
                                .help("write e.g. `fail: [2]` (the second row), or `fail: true` for a rule about the whole table"),
                        ]);
                    }
                };
                ("rows", rows.iter().collect(), expect)
            }
            _ => {
                return Err(vec![
                    self.error(
                        at,
                        "an example needs exactly one of `pass: {row}`, `fail: {row}` or `rows: [...]`",
                    )
                    .label("not an example a rule can run")
                    .help("e.g. `- pass: { date_of_birth: 01/02/2015 }` or `- fail: { date_of_birth: 31/12/2099 }`"),
                ]);
            }
        };
        if let Expect::Rows(n) = &expect
            && let Some(bad) = n.iter().find(|&&n| n == 0 || n > rows.len())
        {
            return Err(vec![
                self.error(
                    at,
                    format!("row {bad} is not one of this example's {} rows", rows.len()),
                )
                .label("no such row")
                .help("rows are numbered from 1, in the order written"),
            ]);
        }
        let mut diags = Vec::new();
        let rows = rows
            .into_iter()
            .map(|r| self.row(self.table, r, &at, &mut diags))
            .collect();
        let other = self.other(raw, &at, &mut diags);
        if !diags.is_empty() {
            return Err(diags);
        }
        Ok(Example {
            file: Arc::clone(self.file),
            name: self.named(name, &at),
            span: at,
            rows,
            other,
            expect,
        })
    }

    /// `single`: the one column the correction changes, so `in`/`out` can name values alone.
    fn correction_example(&self, e: &Spanned<RawExample>, single: Option<usize>) -> Result<Example, Vec<Diagnostic>> {
        let at = span(e);
        let raw = &e.value;
        if raw.pass.is_some() || raw.fail.is_some() || raw.rows.is_some() {
            return Err(vec![
                self.error(at, "`pass`, `fail` and `rows` are for a rule's examples")
                    .label("in a correction's examples")
                    .help("give a correction `in: value` and `out: value`, or `row: {row}` and `out: {column: value}`"),
            ]);
        }
        let mut diags = Vec::new();
        let (name, row, values) = match (&raw.input, &raw.row, &raw.out, single) {
            (Some(input), None, Some(RawOut::Value(out)), Some(col)) => {
                let mut row = vec![String::new(); self.tables[self.table].columns.len()];
                row[col] = input.text();
                (
                    format!("`{}` → `{}`", input.text(), out.text()),
                    row,
                    vec![(1, col, out.text())],
                )
            }
            (Some(_), None, Some(RawOut::Value(_)), None) => {
                return Err(vec![
                    self.error(
                        at,
                        "`in` and `out` name one value, but this correction changes several columns",
                    )
                    .label("which column?")
                    .help("write `row: {column: value, ...}` and `out: {column: value}`"),
                ]);
            }
            (None, Some(row), Some(RawOut::Row(out)), _) => {
                let row = self.row(self.table, row, &at, &mut diags);
                let values = out
                    .iter()
                    .filter_map(|(name, cell)| Some((1, self.column(self.table, name, &at, &mut diags)?, cell.text())))
                    .collect();
                ("row → out".to_string(), row, values)
            }
            _ => {
                return Err(vec![
                    self.error(
                        at,
                        "a correction's example needs `in` and `out`, or `row` and `out: {column: value}`",
                    )
                    .label("not an example a correction can run")
                    .help("e.g. `- { in: \" Theo\", out: Theo }`"),
                ]);
            }
        };
        let other = self.other(raw, &at, &mut diags);
        if !diags.is_empty() {
            return Err(diags);
        }
        Ok(Example {
            file: Arc::clone(self.file),
            name: self.named(&name, &at),
            span: at,
            rows: vec![row],
            other,
            expect: Expect::Values(values),
        })
    }

    fn other(
        &self,
        raw: &RawExample,
        at: &Range<usize>,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<(usize, Vec<Vec<String>>)> {
        let mut other = Vec::new();
        for (name, rows) in &raw.other {
            match self.tables.iter().position(|t| &t.name == name) {
                Some(ti) => other.push((ti, rows.iter().map(|r| self.row(ti, r, at, diags)).collect())),
                None => diags.push(
                    Diagnostic::new(
                        "unknown-table",
                        self.file,
                        self.find(at, name),
                        format!("no rule pack declares a table `{name}`"),
                    )
                    .label("unknown table")
                    .maybe_help(did_you_mean(name, self.tables.iter().map(|t| t.name.as_str()))),
                ),
            }
        }
        other
    }

    /// A row as a full-width record of table `ti` (blank where the example says nothing).
    fn row(&self, ti: usize, row: &RawRow, at: &Range<usize>, diags: &mut Vec<Diagnostic>) -> Vec<String> {
        let mut out = vec![String::new(); self.tables[ti].columns.len()];
        for (name, cell) in row {
            if let Some(ci) = self.column(ti, name, at, diags) {
                out[ci] = cell.text();
            }
        }
        out
    }

    fn column(&self, ti: usize, name: &str, at: &Range<usize>, diags: &mut Vec<Diagnostic>) -> Option<usize> {
        let table = &self.tables[ti];
        let found = table.column(name);
        if found.is_none() {
            diags.push(
                Diagnostic::new(
                    "unknown-column",
                    self.file,
                    self.find(at, name),
                    format!("table `{}` has no column `{name}`", table.name),
                )
                .label("unknown column")
                .maybe_help(did_you_mean(name, table.columns.iter().map(|c| c.name.as_str()))),
            );
        }
        found
    }

    /// Where `name` is first written as a key from the start of the example (whose span may
    /// not cover all of it), else the example itself.
    fn find(&self, at: &Range<usize>, name: &str) -> Range<usize> {
        let text = &self.file.text[at.start..];
        let key = |i: usize| {
            let before = text[..i].chars().next_back();
            let after = text[i + name.len()..].trim_start_matches([' ', '"', '\'']);
            before.is_none_or(|c| !c.is_alphanumeric() && c != '_') && after.starts_with(':')
        };
        text.match_indices(name)
            .map(|(i, _)| i)
            .find(|&i| key(i))
            .map_or(at.clone(), |i| at.start + i..at.start + i + name.len())
    }
}
