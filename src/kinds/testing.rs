//! The harness the kinds' unit tests share: a small pack, loaded and run as Cleanse loads and
//! runs any pack.
//!
//! A [`Pack`] is tables and one rule (or correction), written as YAML to a temporary folder and
//! loaded by [`crate::spec::rules::load`] with the real [`super::REGISTRY`]. Rows are run by
//! [`crate::cli::examples::observe`], the machinery `cleanse test` runs a pack's examples with:
//! the rows become an export, the whole pipeline checks it with only the rule under test, and
//! what the run published about that rule (`exceptions.csv`, `changes.csv`) is read back.
//!
//! ```ignore
//! let pack = Pack::table("t", "a, d: date").rule("kind: range\ncolumns: [d]\nmax: today");
//! assert_eq!(pack.fails(&["d: 01/01/2099", "d: 01/01/2000", "d: ''"]), [1]);
//! ```
//!
//! A row is written as the inside of a YAML flow mapping, `d: 01/01/2099, a: x`, as in a pack's
//! examples; a column it does not name is blank. Rows are numbered from 1, as a pack's
//! `fail: [n]` numbers them. As there, YAML reads a bare `y` or `n` as `true` or `false`: quote
//! it. Rules mean `today` as [`as_of`], 2026-03-31.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::cli::examples::{Seen, observe};
use crate::model::diag::{SourceFile, render};
use crate::spec::examples::{Example, Expect, Subject};
use crate::spec::raw::RawRow;
use crate::spec::rules::{RuleSet, Semantics, load};

/// The date rules run as of: `today` in a rule.
pub fn as_of() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 3, 31).expect("a date")
}

/// Tables and a rule or correction, as a pack declares them; loaded on first use.
pub struct Pack {
    /// `code_lists:` and `tables:`, as YAML.
    head: String,
    /// The table a rule written without `table:` is about.
    first: Option<String>,
    /// `rules:` items.
    rules: String,
    /// `corrections:` items.
    corrections: String,
    /// What is run: the rule, or a correction (a rule's `fix:` after [`Pack::fix`]).
    subject: Option<Subject>,
    /// Rows of other tables, given to every run.
    given: Vec<(String, Vec<String>)>,
    /// The rule set, or each diagnostic as `code: message` and all of them rendered.
    loaded: OnceLock<Result<RuleSet, (Vec<String>, String)>>,
}

impl Pack {
    /// A pack declaring one table, its columns written `name` (text) or `name: type`, where
    /// the type is `date`, `integer`, `decimal`, `text` or a code list (`g: [M, F]`).
    pub fn table(name: &str, columns: &str) -> Pack {
        Pack {
            head: "tables:\n".to_string(),
            first: Some(name.to_string()),
            rules: String::new(),
            corrections: String::new(),
            subject: None,
            given: Vec::new(),
            loaded: OnceLock::new(),
        }
        .and(name, columns)
    }

    /// A pack declaring `yaml`: its `code_lists:` and `tables:`, as a pack writes them.
    pub fn tables(yaml: &str) -> Pack {
        Pack {
            head: yaml.to_string(),
            first: None,
            rules: String::new(),
            corrections: String::new(),
            subject: None,
            given: Vec::new(),
            loaded: OnceLock::new(),
        }
    }

    /// A pack declaring the code lists and tables of the shipped `rules/annex-a.yaml`, without
    /// its rules and corrections.
    pub fn annex_a() -> Pack {
        static HEAD: OnceLock<String> = OnceLock::new();
        let head = HEAD.get_or_init(|| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/annex-a.yaml");
            let text = std::fs::read_to_string(&path).expect("read rules/annex-a.yaml");
            let from = text.find("\ncode_lists:").expect("annex-a declares code lists");
            let to = text.find("\nrules:").expect("annex-a has rules");
            text[from..to].to_string()
        });
        Pack::tables(head)
    }

    /// The pack is for `year` (`collection_year: 2025-26`).
    pub fn collection_year(mut self, year: &str) -> Pack {
        self.head = format!("collection_year: {year}\n{}", self.head);
        self
    }

    /// Declare another table (see [`Pack::table`]).
    pub fn and(mut self, name: &str, columns: &str) -> Pack {
        self.head.push_str(&format!("  {name}:\n    columns:\n"));
        for column in split_top(columns) {
            let (name, ty) = column.split_once(':').unwrap_or((column, "text"));
            let (name, ty) = (name.trim(), ty.trim());
            let ty = match ty {
                "text" | "date" | "integer" | "decimal" => format!("type: {ty}"),
                list if list.starts_with('[') => format!("type: code, codes: {list}"),
                other => panic!("`{other}` is not a column type the harness knows"),
            };
            self.head.push_str(&format!("      - {{ name: {name}, {ty} }}\n"));
        }
        self
    }

    /// The rule under test. Written without `- ` it is the rule's own keys (`kind: range`...),
    /// given the id `R`, the first table and the message `Reported.`; written as a list item
    /// (`- id: X\n  table: t\n  kind: ...`) it is used as it stands.
    pub fn rule(mut self, yaml: &str) -> Pack {
        let (item, id) = self.item(yaml, "R", "  message: Reported.\n");
        self.rules.push_str(&item);
        self.subject = Some(Subject::Rule(id));
        self
    }

    /// The correction under test, written as [`Pack::rule`] writes a rule (id `F`).
    pub fn correction(mut self, yaml: &str) -> Pack {
        let (item, id) = self.item(yaml, "F", "");
        self.corrections.push_str(&item);
        self.subject = Some(Subject::Correction(id));
        self
    }

    /// Rows of another table, in every run (what a pack's example gives as `other:`).
    pub fn given(mut self, table: &str, rows: &[&str]) -> Pack {
        self.given
            .push((table.to_string(), rows.iter().map(|r| r.to_string()).collect()));
        self
    }

    fn item(&self, yaml: &str, id: &str, message: &str) -> (String, String) {
        if let Some(rest) = yaml.strip_prefix("- id:") {
            let id = rest.lines().next().unwrap_or_default().trim().to_string();
            return (format!("{}\n", yaml.trim_end()), id);
        }
        let mut item = format!("- id: {id}\n");
        if !yaml.lines().any(|l| l.starts_with("table:")) {
            let table = self
                .first
                .as_deref()
                .expect("a rule without `table:` needs Pack::table");
            item.push_str(&format!("  table: {table}\n"));
        }
        item.push_str(message);
        for line in yaml.trim_end().lines() {
            item.push_str(&format!("  {line}\n"));
        }
        (item, id.to_string())
    }

    /// The pack as a file holds it.
    pub fn text(&self) -> String {
        let indent = |items: &str| items.lines().map(|l| format!("  {l}\n")).collect::<String>();
        let mut text = format!("pack: test\nversion: 1.0.0\n{}\n", self.head.trim_matches('\n'));
        if !self.rules.is_empty() {
            text.push_str(&format!("rules:\n{}", indent(&self.rules)));
        }
        if !self.corrections.is_empty() {
            text.push_str(&format!("corrections:\n{}", indent(&self.corrections)));
        }
        text
    }

    /// Load the pack: the rule set, or every diagnostic as `code: message`.
    fn loaded(&self) -> &Result<RuleSet, (Vec<String>, String)> {
        self.loaded.get_or_init(|| {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let path = dir.path().join("pack.yaml");
            std::fs::write(&path, self.text()).expect("write the pack");
            let semantics = Semantics {
                as_of: as_of(),
                collection_year: None,
            };
            load(&[path], semantics, &super::REGISTRY).map_err(|diags| {
                let each = diags.iter().map(|d| format!("{}: {}", d.code, d.message)).collect();
                (each, render(&diags, false))
            })
        })
    }

    /// What loading the pack reported, each as `code: message`; empty when it loads.
    pub fn diags(&self) -> Vec<String> {
        match self.loaded() {
            Ok(_) => Vec::new(),
            Err((each, _)) => each.clone(),
        }
    }

    /// The loaded rules; panics, showing the diagnostics, when the pack does not load.
    pub fn set(&self) -> &RuleSet {
        match self.loaded() {
            Ok(set) => set,
            Err((_, rendered)) => panic!("the pack does not load:\n{rendered}\n{}", self.text()),
        }
    }

    /// Run the rows (a table's rows, numbered from 1) and read back what the run published
    /// about the rule or correction.
    pub fn run(&self, rows: &[&str]) -> Seen {
        let dir = tempfile::tempdir().expect("a temporary folder");
        self.run_into(rows, dir.path())
    }

    /// Run several nights into one output folder, so each compares with the nights before;
    /// what each published.
    pub fn nights(&self, nights: &[&[&str]]) -> Vec<Seen> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        nights.iter().map(|rows| self.run_into(rows, dir.path())).collect()
    }

    fn run_into(&self, rows: &[&str], out: &Path) -> Seen {
        let set = self.set();
        let (subject, table) = self.subject(set);
        let file = SourceFile::new(PathBuf::from("rows"), rows.join("\n"));
        let example = Example {
            file: Arc::clone(&file),
            span: 0..file.text.len(),
            name: "rows".to_string(),
            rows: rows.iter().map(|r| full_row(set, table, r)).collect(),
            other: self
                .given
                .iter()
                .map(|(name, rows)| {
                    let ti = set.table(name).unwrap_or_else(|| panic!("no table `{name}`"));
                    (ti, rows.iter().map(|r| full_row(set, ti, r)).collect())
                })
                .collect(),
            expect: Expect::Rows(Vec::new()),
        };
        observe(set, &subject, table, &example, None, as_of(), &out.join("out"))
            .unwrap_or_else(|e| panic!("the rows could not run: {e}"))
    }

    /// What is run, and over which table: the rule, or the correction (standalone, or a rule's
    /// `fix:`).
    fn subject(&self, set: &RuleSet) -> (Subject, usize) {
        match self.subject.as_ref().expect("a pack with a rule or correction") {
            Subject::Rule(id) => {
                let rule = set.rules.iter().find(|r| &r.id == id).expect("the rule loaded");
                (Subject::Rule(id.clone()), rule.table)
            }
            Subject::Correction(id) => {
                let c = set
                    .corrections
                    .iter()
                    .find(|c| &c.id == id)
                    .expect("the correction loaded");
                (Subject::Correction(id.clone()), c.table)
            }
        }
    }

    /// The rule's `fix:` as the subject instead of the rule.
    pub fn fix(mut self) -> Pack {
        let Some(Subject::Rule(id)) = &self.subject else {
            panic!("`fix` is for a rule's `fix:`");
        };
        self.subject = Some(Subject::Correction(format!("{id}.fix")));
        self
    }

    /// The rows the rule reports (numbered from 1). Panics if it reports anything else: a row
    /// it could not check, the whole table, or a line that is none of the rows.
    pub fn fails(&self, rows: &[&str]) -> Vec<usize> {
        let seen = self.run(rows);
        let mut out = Vec::new();
        for f in &seen.findings {
            match f.row {
                Some(row) if f.status != "not checked" => out.push(row),
                _ => panic!("reported more than failing rows: {:#?}", seen.findings),
            }
        }
        out
    }

    /// Everything the rule reports, in order: `row: message` for a row (the message begins
    /// `Not checked` for a row it could not check), `table: message` for the whole table,
    /// `<table> line <n>: message` for a line of another table.
    pub fn report(&self, rows: &[&str]) -> Vec<String> {
        report(&self.run(rows))
    }

    /// The cells the correction changes, by the column's header: `row column: new value`.
    /// Review corrections are applied, as `cleanse test` applies them; a change that was not
    /// (a conflict) says what happened to it: ` (conflict)`.
    pub fn changes(&self, rows: &[&str]) -> Vec<String> {
        self.run(rows)
            .changes
            .iter()
            .map(|c| {
                let row = c
                    .row
                    .map_or_else(|| format!("{} line {}", c.table, c.line), |r| r.to_string());
                let status = if c.applied == "applied" {
                    String::new()
                } else {
                    format!(" ({})", c.applied)
                };
                format!("{row} {}: {}{status}", c.column, c.new_value)
            })
            .collect()
    }
}

/// A run's findings as [`Pack::report`] writes them.
pub fn report(seen: &Seen) -> Vec<String> {
    seen.findings
        .iter()
        .map(|f| match f.row {
            Some(row) => format!("{row}: {}", f.message),
            None if f.line == 0 => format!("table: {}", f.message),
            None => format!("{} line {}: {}", f.table, f.line, f.message),
        })
        .collect()
}

/// A row written as the inside of a YAML flow mapping, as a full-width record of table `ti`.
fn full_row(set: &RuleSet, ti: usize, row: &str) -> Vec<String> {
    let table = &set.tables[ti];
    let parsed: RawRow =
        serde_saphyr::from_str(&format!("{{ {row} }}")).unwrap_or_else(|e| panic!("row `{row}` is not YAML: {e}"));
    let mut out = vec![String::new(); table.columns.len()];
    for (name, cell) in parsed {
        let c = table
            .column(&name)
            .unwrap_or_else(|| panic!("table `{}` has no column `{name}`", table.name));
        out[c] = cell.text();
    }
    out
}

/// Split at commas outside brackets.
fn split_top(text: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(text[start..].trim());
    out.retain(|c| !c.is_empty());
    out
}
