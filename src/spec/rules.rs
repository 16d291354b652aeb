//! Rules files: parse, validate, and compile to checks.
//!
//! A rule pack declares tables (columns, types, code lists, keys, header
//! aliases) and rules. Loading is two steps, as in cargo-deny: [`raw`] reads
//! the YAML with a position on every value; [`load`] validates it into a
//! [`RuleSet`], collecting every problem as a positioned [`Diagnostic`]
//! rather than stopping at the first. Each rule kind lives in its own file
//! under [`kinds`] and is registered there in one list.
//!
//! Meaning is decided here, once: column types, date forms, code lists and
//! rule expressions are fixed before any data is read, so the check stage
//! only evaluates.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::DFSchema;
use rayon::prelude::*;
use serde::Serialize;

use super::compiled::{Check, Ordered, Rule};
use super::kind::Registry;
use super::names::unknown_column;
use super::raw::{CodesRef, RawColumn, RawPack, RawTable};
use crate::model::diag::{Diagnostic, SourceFile, did_you_mean};
use crate::model::table::{CodeList, Column, ColumnType, Table, raw_name};
use crate::model::values::DateForms;
use crate::spec::yaml::{Spanned, span};

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PackInfo {
    pub name: String,
    pub version: String,
    pub path: PathBuf,
    pub sha256: String,
    /// What `today` means when `cleanse test` runs the pack's examples.
    #[serde(skip)]
    pub examples_as_of: Option<chrono::NaiveDate>,
    /// The reference data the pack's examples run with.
    #[serde(skip)]
    pub examples_reference: Option<super::raw::ExamplesReference>,
    /// Another pack of the set extends this one (see [`super::extends`]).
    #[serde(skip)]
    pub extended: bool,
}

/// Every table and rule of the configured packs, validated and compiled.
#[derive(Debug)]
pub struct RuleSet {
    pub packs: Vec<PackInfo>,
    pub tables: Vec<Table>,
    pub rules: Vec<Rule>,
    /// In declaration order (the order ties within a stage are broken in).
    pub corrections: Vec<crate::spec::fix::Correction>,
    /// The examples rules and corrections carry, for `cleanse test`.
    pub examples: Vec<super::examples::Examples>,
}

impl RuleSet {
    pub fn table(&self, name: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.name == name)
    }

    /// The same tables with only the rule or correction an example is about (a rule on
    /// `table`: one code may be a rule on each of several tables): what `cleanse test` runs, so
    /// an example shows what its subject does and nothing else.
    pub fn only(&self, subject: &super::examples::Subject, table: usize) -> RuleSet {
        use super::examples::Subject;
        RuleSet {
            packs: self.packs.clone(),
            tables: self.tables.clone(),
            rules: match subject {
                Subject::Rule(id) => self
                    .rules
                    .iter()
                    .filter(|r| &r.id == id && r.table == table)
                    .cloned()
                    .collect(),
                Subject::Correction(_) => Vec::new(),
            },
            corrections: match subject {
                Subject::Correction(id) => self.corrections.iter().filter(|c| &c.id == id).cloned().collect(),
                Subject::Rule(_) => Vec::new(),
            },
            examples: Vec::new(),
        }
    }
}

/// Settings that change what rules mean.
#[derive(Debug, Clone, Copy)]
pub struct Semantics {
    /// The date `today` means in rules.
    pub as_of: chrono::NaiveDate,
    /// The collection year the configuration checks; else the one the packs are for, if any.
    pub collection_year: Option<crate::model::values::CollectionYear>,
}

/// The SQL context each pack's rules are read in: the date `today` means, and the collection
/// year `collection_start()` and `collection_end()` read: that of the pack extending it, if
/// that declares one, else the pack's own (a statutory return's pack is one year's), else the
/// configuration's. A pack for another year than the one the configuration checks is refused,
/// pointing at its `collection_year`.
fn sql_contexts(
    sem: Semantics,
    parsed: &[(RawPack, Arc<SourceFile>)],
    year_from: &[usize],
    diags: &mut Vec<Diagnostic>,
) -> Vec<super::sql::SqlContext> {
    let mut years: Vec<Option<crate::model::values::CollectionYear>> = Vec::new();
    for (i, &from) in year_from.iter().enumerate() {
        // A pack another extends is read in the extension's year, which is checked against the
        // configuration's where the extension declares it.
        if from != i {
            years.push(parsed[from].0.collection_year.as_ref().map(|d| d.value));
            continue;
        }
        let (pack, file) = &parsed[i];
        let declared = pack.collection_year.as_ref();
        if let (Some(d), Some(checked)) = (declared, sem.collection_year)
            && d.value != checked
        {
            diags.push(
                Diagnostic::new(
                    "collection-year-mismatch",
                    file,
                    span(d),
                    format!(
                        "pack `{}` is for the {} collection year, but the configuration checks {checked}",
                        pack.pack.value, d.value
                    ),
                )
                .label("a pack for another year")
                .help(format!(
                    "name the pack for {checked} in `rules:`, or set `collection_year: {}` in the configuration",
                    d.value
                )),
            );
        }
        years.push(declared.map(|d| d.value).or(sem.collection_year));
    }
    // One context a year: each holds a DataFusion session.
    let mut by_year: HashMap<Option<crate::model::values::CollectionYear>, usize> = HashMap::new();
    let mut contexts: Vec<super::sql::SqlContext> = Vec::new();
    let at: Vec<usize> = years
        .iter()
        .map(|&y| {
            *by_year.entry(y).or_insert_with(|| {
                contexts.push(super::sql::SqlContext::new(sem.as_of, y));
                contexts.len() - 1
            })
        })
        .collect();
    at.into_iter().map(|i| contexts[i].clone()).collect()
}

/// Where a rule id was used: the file, the id's text, and the rule's table.
type IdUse = (Arc<SourceFile>, std::ops::Range<usize>, String);

/// Load, validate and compile rule packs. Returns every problem found.
pub fn load(paths: &[PathBuf], sem: Semantics, registry: &Registry) -> Result<RuleSet, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut set = RuleSet {
        packs: Vec::new(),
        tables: Vec::new(),
        rules: Vec::new(),
        corrections: Vec::new(),
        examples: Vec::new(),
    };
    let read = super::extends::read(paths, &mut diags);
    for (((pack, file), path), &extended) in read.packs.iter().zip(&read.paths).zip(&read.extended) {
        let examples_as_of = pack.examples_as_of.as_ref().and_then(|d| {
            let date = chrono::NaiveDate::parse_from_str(d.value.trim(), "%Y-%m-%d");
            date.map_err(|_| {
                diags.push(
                    Diagnostic::new("bad-date", file, span(d), format!("`{}` is not a date", d.value))
                        .label("expected yyyy-mm-dd")
                        .help("write the date the examples assume as e.g. 2026-03-31"),
                )
            })
            .ok()
        });
        set.packs.push(PackInfo {
            name: pack.pack.value.clone(),
            version: pack.version.value.clone(),
            path: path.clone(),
            sha256: crate::model::digest::sha256_hex(file.text.as_bytes()),
            examples_as_of,
            examples_reference: pack.examples_reference.clone(),
            extended,
        });
    }
    let parsed = read.packs;
    let sqls = sql_contexts(sem, &parsed, &read.year_from, &mut diags);
    // Tables first, from every pack, so a council's pack can add rules to shipped tables.
    let mut table_origin: HashMap<String, (Arc<SourceFile>, std::ops::Range<usize>)> = HashMap::new();
    // Tables declared `like` another, made once every table they could name is.
    let mut likes = Vec::new();
    for (pack, file) in &parsed {
        let lists = code_lists(pack, file, &mut diags);
        for (name, raw) in &pack.tables {
            let at = table_key_at(&file.text, name);
            if let Err(why) = crate::spec::paths::file_name_ok(name) {
                // The name becomes `corrected/<name>.csv`: a pack shared between councils
                // must not be able to write anywhere else.
                diags.push(
                    Diagnostic::new(
                        "bad-table-name",
                        file,
                        at..at + name.len(),
                        format!("table name `{}` cannot be used: {why}", name.escape_debug()),
                    )
                    .label("table name")
                    .help(crate::spec::paths::FILE_NAME_RULE),
                );
                continue;
            }
            let folded = name.to_ascii_lowercase();
            if let Some((other_name, _)) = table_origin
                .keys()
                .find(|k| k.to_ascii_lowercase() == folded && *k != name)
                .map(|k| (k.clone(), ()))
            {
                // `Contacts` and `contacts` would be one file on Windows and macOS.
                diags.push(
                    Diagnostic::new(
                        "duplicate-table",
                        file,
                        at..at + name.len(),
                        format!("table `{name}` differs from table `{other_name}` only in case"),
                    )
                    .label("declared again here")
                    .help(
                        "table names become file names, and some systems do not tell upper from lower case: rename one",
                    ),
                );
                continue;
            }
            if let Some((other, _)) = table_origin.get(name) {
                diags.push(
                    Diagnostic::new(
                        "duplicate-table",
                        file,
                        at..at + name.len(),
                        format!("table `{name}` is already declared in {}", other.path.display()),
                    )
                    .label("declared again here"),
                );
                continue;
            }
            table_origin.insert(name.clone(), (Arc::clone(file), at..at + name.len()));
            if raw.like.is_none() && raw.columns.is_empty() {
                diags.push(
                    Diagnostic::new(
                        "missing-key",
                        file,
                        at..at + name.len(),
                        format!("table `{name}` declares no columns"),
                    )
                    .label("no columns")
                    .help("add `columns:`, or `like: <table>` for a table with another's columns"),
                );
            } else if raw.like.is_some() {
                likes.push((name, raw, &pack.pack.value, file));
            } else if let Some(t) = table(name, raw, &pack.pack.value, &lists, file, &mut diags) {
                set.tables.push(t);
            }
        }
    }
    for (name, raw, pack, file) in likes {
        if let Some(t) = like(name, raw, pack, file, &set.tables, &mut diags) {
            set.tables.push(t);
        }
    }
    // Where each rule id was used, and on which table. One id may be a rule on each of several
    // tables of one pack: a DfE code that flags rows in two tables is one rule on each.
    let mut seen_ids: HashMap<String, Vec<IdUse>> = HashMap::new();
    let mut to_compile = Vec::new();
    for ((pack, file), sql) in parsed.iter().zip(&sqls) {
        for raw in &pack.rules {
            let id = &raw.id.value;
            let uses = seen_ids.entry(id.clone()).or_default();
            let clash = uses
                .iter()
                .find(|(other, _, table)| !Arc::ptr_eq(other, file) || *table == raw.table.value);
            if let Some((other, other_span, table)) = clash {
                let (line, _) = other.line_col(other_span.start);
                let help = if Arc::ptr_eq(other, file) {
                    format!(
                        "first used at {}:{line}, also on table `{table}`; a rule id may be used once per table",
                        other.path.display()
                    )
                } else {
                    format!(
                        "first used at {}:{line}; rule ids must be unique across all packs",
                        other.path.display()
                    )
                };
                to_compile.push(Err(Diagnostic::new(
                    "duplicate-rule-id",
                    file,
                    span(&raw.id),
                    format!("rule id `{id}` is used twice"),
                )
                .label("second use")
                .help(help)));
                continue;
            }
            uses.push((Arc::clone(file), span(&raw.id), raw.table.value.clone()));
            to_compile.push(Ok((pack, file, sql, raw)));
        }
    }
    // Compiled in parallel (a `query` rule is planned whole, ~1 ms each), then taken in the
    // order written, so diagnostics come in that order.
    let compiled: Vec<_> = to_compile
        .into_par_iter()
        .map(|entry| {
            entry.map(|(pack, file, sql, raw)| {
                let rule = super::kind::compile_rule(registry, raw, &set.tables, &pack.pack.value, file, sql);
                (file, raw, rule)
            })
        })
        .collect();
    for entry in compiled {
        let (file, raw, compiled) = match entry {
            Ok(entry) => entry,
            Err(duplicate) => {
                diags.push(duplicate);
                continue;
            }
        };
        match compiled {
            Ok(rule) => {
                if matches!(rule.check, Check::Ordered(Ordered::DuplicateRows))
                    && let Some(other) = set
                        .rules
                        .iter()
                        .find(|r| r.table == rule.table && matches!(r.check, Check::Ordered(Ordered::DuplicateRows)))
                {
                    diags.push(
                        Diagnostic::new(
                            "duplicate-rule",
                            file,
                            span(&raw.kind),
                            format!(
                                "table `{}` already has a duplicate_rows rule, `{}`",
                                raw.table.value, other.id
                            ),
                        )
                        .label("a second one would report the same rows again"),
                    );
                    continue;
                }
                set.rules.push(rule)
            }
            // A table that is declared but has problems of its own was not
            // added to the set: those problems are reported already, so
            // "unknown table" on each of its rules would only mislead.
            Err(d) => diags.extend(d.into_iter().filter(|d| {
                // Only the complaint about this rule's own `table:`; any
                // other problem must still stop the run.
                !(d.code == "unknown-table"
                    && d.span == span(&raw.table)
                    && table_origin.contains_key(&raw.table.value))
            })),
        }
    }
    // Corrections are checked even when rules have problems, so one run lists
    // every problem; a fix on a rule that did not compile is checked with it later.
    corrections(&parsed, &mut set, &sqls, &table_origin, registry, &mut diags);
    report_by(&parsed, &mut set.tables, &mut diags);
    if diags.is_empty() {
        rule_corrections(&mut set, registry);
        add_column_rules(&mut set, registry);
        set.examples = super::examples::compile(&parsed, &set.tables, &set.rules, &set.corrections, &mut diags);
    }
    if diags.is_empty() { Ok(set) } else { Err(diags) }
}

/// The corrections rules make themselves (a `same_person` rule's merges), added after every
/// declared correction, so they run last.
fn rule_corrections(set: &mut RuleSet, registry: &Registry) {
    let added: Vec<super::fix::Correction> = set
        .rules
        .iter()
        .filter_map(|rule| Some((registry.kind(rule.kind)?, rule)))
        .flat_map(|(kind, rule)| kind.corrections(rule, &set.tables))
        .collect();
    set.corrections.extend(added);
}

/// Compile every correction: rules' `fix:` entries, then each pack's `corrections:`.
fn corrections(
    parsed: &[(RawPack, Arc<SourceFile>)],
    set: &mut RuleSet,
    sqls: &[super::sql::SqlContext],
    declared: &HashMap<String, (Arc<SourceFile>, std::ops::Range<usize>)>,
    registry: &Registry,
    diags: &mut Vec<Diagnostic>,
) {
    let mut seen: HashMap<String, (Arc<SourceFile>, std::ops::Range<usize>)> = HashMap::new();
    for ((pack, file), sql) in parsed.iter().zip(sqls) {
        let whens: Vec<Option<Spanned<String>>> = pack.rules.iter().map(|r| r.param_text("when")).collect();
        let attached = pack.rules.iter().zip(&whens).filter_map(|(r, when)| {
            let fix = r.fix.as_ref()?;
            let rule = set
                .rules
                .iter()
                .find(|x| x.id == r.id.value && set.tables[x.table].name == r.table.value)?;
            let attached = crate::spec::fix::Attached {
                id: rule.id.as_str(),
                table: rule.table,
                columns: rule.columns.as_slice(),
                when: when.as_ref(),
            };
            Some((fix, Some(attached)))
        });
        let standalone = pack.corrections.iter().map(|c| (c, None));
        let mut compiled = Vec::new();
        for (raw, rule) in attached.chain(standalone) {
            match super::fix::compile(registry.fixes, raw, rule, &set.tables, file, sql) {
                Ok(c) => {
                    let at = raw.id.as_ref().map_or_else(|| span(&raw.kind), span);
                    if let Some((other, other_at)) = seen.get(&c.id) {
                        let (line, _) = other.line_col(other_at.start);
                        diags.push(
                            Diagnostic::new(
                                "duplicate-correction-id",
                                file,
                                at,
                                format!("correction id `{}` is used twice", c.id),
                            )
                            .label("second use")
                            .help(format!(
                                "first used at {}:{line}; correction ids must be unique",
                                other.path.display()
                            )),
                        );
                        continue;
                    }
                    seen.insert(c.id.clone(), (Arc::clone(file), at));
                    compiled.push(c);
                }
                // As for rules: a declared table with problems of its own is not
                // also "unknown" to its corrections.
                Err(d) => diags.extend(d.into_iter().filter(|d| {
                    !(d.code == "unknown-table"
                        && raw
                            .table
                            .as_ref()
                            .is_some_and(|t| d.span == span(t) && declared.contains_key(&t.value)))
                })),
            }
        }
        set.corrections.extend(compiled);
    }
}

fn code_lists(pack: &RawPack, file: &Arc<SourceFile>, diags: &mut Vec<Diagnostic>) -> BTreeMap<String, Arc<CodeList>> {
    let mut out = BTreeMap::new();
    for (name, codes) in &pack.code_lists {
        if codes.value.is_empty() {
            diags.push(
                Diagnostic::new(
                    "empty-code-list",
                    file,
                    span(codes),
                    format!("code list `{name}` has no codes"),
                )
                .label("empty"),
            );
            continue;
        }
        let values: Vec<String> = codes.value.iter().map(|c| c.value.clone()).collect();
        out.insert(name.clone(), Arc::new(CodeList::new(name.clone(), values)));
    }
    out
}

fn table(
    name: &str,
    raw: &RawTable,
    pack: &str,
    lists: &BTreeMap<String, Arc<CodeList>>,
    file: &Arc<SourceFile>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Table> {
    let before = diags.len();
    let mut columns: Vec<Column> = Vec::new();
    for rc in &raw.columns {
        if columns.iter().any(|c| c.name == rc.name.value) {
            diags.push(
                Diagnostic::new(
                    "duplicate-column",
                    file,
                    span(&rc.name),
                    format!("column `{}` is declared twice in table `{name}`", rc.name.value),
                )
                .label("second declaration"),
            );
            continue;
        }
        if let Some(c) = column(rc, lists, file, diags) {
            columns.push(c);
        }
    }
    let mut key = Vec::new();
    for k in &raw.key {
        match columns.iter().position(|c| c.name == k.value) {
            Some(i) => key.push(i),
            None => diags.push(unknown_column(file, k, name, &columns)),
        }
    }
    let element = raw
        .element
        .as_ref()
        .and_then(|e| match crate::model::xml::element_path(&e.value) {
            Ok(path) => Some(path),
            Err(why) => {
                diags.push(
                    Diagnostic::new("bad-xml-path", file, span(e), format!("not an element path: {why}"))
                        .label("the row element's path")
                        .help("name the elements from the root down, e.g. `Message/Children/Child/CINdetails`"),
                );
                None
            }
        });
    if let Some(rc) = raw.columns.iter().find(|rc| rc.xml.is_some())
        && raw.element.is_none()
    {
        diags.push(
            Diagnostic::new(
                "xml-without-element",
                file,
                span(rc.xml.as_ref().expect("found by it")),
                format!(
                    "column `{}` has an `xml` path, but table `{name}` declares no `element`",
                    rc.name.value
                ),
            )
            .label("a path from the row element")
            .help("add `element:` to the table: the path of the element each row is, from the root"),
        );
    }
    if diags.len() > before {
        return None;
    }
    let mut fields: Vec<Field> = columns
        .iter()
        .map(|c| Field::new(&c.name, c.ty.arrow(), true))
        .collect();
    fields.extend(
        columns
            .iter()
            .map(|c| Field::new(raw_name(&c.name), DataType::Utf8, true)),
    );
    let schema = DFSchema::try_from(Schema::new(fields)).ok()?;
    Some(Table {
        name: name.to_string(),
        description: raw.description.clone().unwrap_or_default(),
        columns,
        key,
        schema: Arc::new(schema),
        pack: pack.to_string(),
        report_by: None,
        element,
    })
}

/// A table declared `like: <other>`: the other table's columns and key under its own name (last
/// year's return beside this year's, read by the rules that compare them).
fn like(
    name: &str,
    raw: &RawTable,
    pack: &str,
    file: &Arc<SourceFile>,
    tables: &[Table],
    diags: &mut Vec<Diagnostic>,
) -> Option<Table> {
    let of = raw.like.as_ref()?;
    if let Some(first) = raw.columns.first() {
        diags.push(
            Diagnostic::new(
                "like-with-columns",
                file,
                span(&first.name),
                format!(
                    "table `{name}` is declared `like` `{}` and with columns of its own",
                    of.value
                ),
            )
            .label("a column of its own")
            .help("a table `like` another has exactly its columns: declare the columns, or `like`, not both"),
        );
        return None;
    }
    let Some(other) = tables.iter().find(|t| t.name == of.value) else {
        diags.push(
            Diagnostic::new(
                "unknown-table",
                file,
                span(of),
                format!("no pack declares a table `{}`", of.value),
            )
            .label("unknown table")
            .maybe_help(did_you_mean(&of.value, tables.iter().map(|t| t.name.as_str()))),
        );
        return None;
    };
    let mut key = Vec::new();
    for k in &raw.key {
        match other.columns.iter().position(|c| c.name == k.value) {
            Some(i) => key.push(i),
            None => diags.push(unknown_column(file, k, name, &other.columns)),
        }
    }
    Some(Table {
        name: name.to_string(),
        description: raw
            .description
            .clone()
            .unwrap_or_else(|| format!("Like `{}`.", other.name)),
        key: if raw.key.is_empty() { other.key.clone() } else { key },
        pack: pack.to_string(),
        report_by: None,
        ..other.clone()
    })
}

fn column(
    rc: &RawColumn,
    lists: &BTreeMap<String, Arc<CodeList>>,
    file: &Arc<SourceFile>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Column> {
    let name = rc.name.value.clone();
    if !is_identifier(&name) {
        diags.push(
            Diagnostic::new(
                "bad-column-name",
                file,
                span(&rc.name),
                format!("column name `{name}` cannot be used in rule expressions"),
            )
            .label("not a plain name")
            .help("use lower-case letters, digits and underscores (put the export's header text in `header`)"),
        );
        return None;
    }
    let ty_name = rc.ty.as_ref().map_or("text", |t| t.value.as_str());
    let ty = match ty_name {
        "text" => ColumnType::Text,
        "integer" => ColumnType::Integer,
        "decimal" => ColumnType::Decimal,
        "date" => {
            let mut forms = DateForms::ALL;
            if let Some(f) = &rc.date_formats {
                let mut chosen: Option<DateForms> = None;
                for name in &f.value {
                    match DateForms::from_name(&name.value) {
                        Some(x) => chosen = Some(chosen.map_or(x, |c| c.union(x))),
                        None => {
                            diags.push(
                                Diagnostic::new(
                                    "unknown-date-format",
                                    file,
                                    span(name),
                                    format!("unknown date format `{}`", name.value),
                                )
                                .label("not a date format Cleanse knows")
                                .help(
                                    did_you_mean(&name.value, DateForms::NAMES.iter().copied())
                                        .unwrap_or_else(|| format!("known formats: {}", DateForms::NAMES.join(", "))),
                                ),
                            );
                            return None;
                        }
                    }
                }
                forms = chosen.unwrap_or(DateForms::ALL);
            }
            ColumnType::Date(forms)
        }
        "code" => match &rc.codes {
            None => {
                let t = rc.ty.as_ref().expect("code type is spelled out");
                diags.push(
                    Diagnostic::new(
                        "missing-codes",
                        file,
                        span(t),
                        format!("column `{name}` is a code column but has no `codes`"),
                    )
                    .label("needs a code list")
                    .help("add `codes: <name of a code list>` or `codes: [a, b, c]`"),
                );
                return None;
            }
            Some(c) => match &c.value {
                CodesRef::Inline(v) => ColumnType::Code(Arc::new(CodeList::new(format!("{name} codes"), v.clone()))),
                CodesRef::Named(n) => match lists.get(n) {
                    Some(l) => ColumnType::Code(Arc::clone(l)),
                    None => {
                        diags.push(
                            Diagnostic::new("unknown-code-list", file, span(c), format!("unknown code list `{n}`"))
                                .label("no code list with this name in this pack")
                                .help(did_you_mean(n, lists.keys().map(String::as_str)).unwrap_or_else(|| {
                                    if lists.is_empty() {
                                        "declare it under `code_lists:`".to_string()
                                    } else {
                                        format!(
                                            "code lists in this pack: {}",
                                            lists.keys().cloned().collect::<Vec<_>>().join(", ")
                                        )
                                    }
                                })),
                        );
                        return None;
                    }
                },
            },
        },
        other => {
            let t = rc.ty.as_ref().expect("type is spelled out");
            diags.push(
                Diagnostic::new("unknown-type", file, span(t), format!("unknown column type `{other}`"))
                    .label("not a column type")
                    .help(
                        did_you_mean(other, ColumnType::NAMES.iter().copied())
                            .unwrap_or_else(|| format!("column types: {}", ColumnType::NAMES.join(", "))),
                    ),
            );
            return None;
        }
    };
    if let Some(codes) = &rc.codes
        && !matches!(ty, ColumnType::Code(_))
    {
        diags.push(
            Diagnostic::new(
                "codes-on-non-code",
                file,
                span(codes),
                format!("`codes` is set but column `{name}` has type `{ty_name}`"),
            )
            .label("only code columns take codes")
            .help("add `type: code`"),
        );
    }
    if let Some(formats) = &rc.date_formats
        && !matches!(ty, ColumnType::Date(_))
    {
        diags.push(
            Diagnostic::new(
                "formats-on-non-date",
                file,
                span(formats),
                format!("`date_formats` is set but column `{name}` has type `{ty_name}`"),
            )
            .label("only date columns take date formats")
            .help("add `type: date`"),
        );
    }
    let xml = rc.xml.as_ref().and_then(|x| match crate::model::xml::XmlPath::parse(&x.value) {
        Ok(path) => Some(path),
        Err(why) => {
            diags.push(
                Diagnostic::new("bad-xml-path", file, span(x), format!("not a path from the row element: {why}"))
                    .label("the value's path")
                    .help("child elements by name (`Reviews/CPPreviewDate`), `..` for the parent, `.` for the row element's own text, a last `#` for its place among its namesakes"),
            );
            None
        }
    });
    Some(Column {
        xml,
        header: rc.header.as_ref().map_or_else(|| name.clone(), |h| h.value.clone()),
        aliases: rc.aliases.iter().map(|a| a.value.clone()).collect(),
        name,
        ty,
        optional: rc.optional,
        required: rc.required,
    })
}

pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Help for a table name that is not declared: the close one, else the ones there are.
/// Where a table's name is written as a key (plain or quoted); the start of the file if not found.
fn table_key_at(text: &str, name: &str) -> usize {
    [format!("{name}:"), format!("\"{name}\":"), format!("'{name}':")]
        .iter()
        .find_map(|key| {
            text.find(key.as_str())
                .map(|at| at + usize::from(!key.starts_with(name)))
        })
        .unwrap_or(0)
}

/// Each pack's `report_by` column, on every table that has it (a table of a pack that
/// extends another has its column too); a name no table has is refused.
fn report_by(parsed: &[(RawPack, Arc<SourceFile>)], tables: &mut [Table], diags: &mut Vec<Diagnostic>) {
    for (pack, file) in parsed {
        let Some(name) = &pack.report_by else { continue };
        let mut found = false;
        for table in tables.iter_mut() {
            if let Some(c) = table.column(&name.value) {
                found = true;
                table.report_by = table.report_by.or(Some(c));
            }
        }
        if !found {
            diags.push(
                Diagnostic::new(
                    "unknown-column",
                    file,
                    span(name),
                    format!("no table has a column `{}` to report by", name.value),
                )
                .label("unknown column")
                .help("name a column the tables share, such as the child's id"),
            );
        }
    }
}

/// The rules every typed, code or required column carries without being
/// written out, unless the pack declares that rule for the column itself.
fn add_column_rules(set: &mut RuleSet, registry: &Registry) {
    let mut implied = Vec::new();
    for (ti, table) in set.tables.iter().enumerate() {
        for (ci, col) in table.columns.iter().enumerate() {
            for kind in registry.kinds {
                let name = kind.doc().name;
                let declared = set
                    .rules
                    .iter()
                    .any(|r| r.table == ti && r.kind == name && r.columns.contains(&ci));
                let Some((severity, message, check)) = kind.implied(table, ci).filter(|_| !declared) else {
                    continue;
                };
                implied.push(Rule {
                    id: format!("{}.{}.{name}", table.name, col.name),
                    table: ti,
                    kind: name,
                    severity,
                    message,
                    docs: kind.doc().summary.to_string(),
                    columns: vec![ci],
                    check,
                    pack: table.pack.clone(),
                    declared: None,
                });
            }
        }
    }
    set.rules.extend(implied);
}
