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
use datafusion::logical_expr::Expr;
use serde::Serialize;

use super::kind::Registry;
use super::raw::{CodesRef, RawColumn, RawPack, RawTable};
use crate::model::diag::{Diagnostic, SourceFile, did_you_mean};
use crate::model::table::{CodeList, Column, ColumnType, Severity, Table, raw_name};
use crate::model::values::DateForms;
use crate::spec::yaml::{self, Spanned, span};

/// One check a rule makes, evaluated over a whole batch at once.
#[derive(Debug, Clone)]
pub struct RowCheck {
    /// The column the finding is about (its value goes in the report).
    pub column: Option<usize>,
    /// Rows the check applies to; `None` means every row.
    pub when: Option<Expr>,
    /// True for rows that pass. NULL means "not applicable" when the inputs
    /// are blank, and "cannot evaluate" when an input failed to parse.
    pub pass: Expr,
    /// Typed columns `pass` reads, to tell those two NULLs apart.
    pub reads: Vec<usize>,
    pub when_reads: Vec<usize>,
}

/// What a compiled rule does.
#[derive(Debug, Clone)]
pub enum Check {
    /// Vectorised predicates over the typed batch.
    Row(Vec<RowCheck>),
    /// Values of this column that did not parse as its type.
    Type { column: usize },
    /// Code values that matched only ignoring case and spacing.
    CodeForm { column: usize },
    /// No two rows share these columns' values (first kept).
    Unique { columns: Vec<usize> },
    /// No row repeats an earlier row exactly (first kept).
    DuplicateRows,
    /// The key must exist in another table (evaluated by the `relate` stage).
    Reference(Reference),
    /// Any or all rows of another table with the same key must satisfy a
    /// condition (evaluated by the `relate` stage).
    Related(Related),
    /// Periods within a group must not overlap (nor leave gaps, if continuous).
    Periods(Periods),
    /// The share of rows meeting a condition (a return-level rule).
    Share(Share),
    /// The number of rows, and its change from the last run (a return-level rule).
    RowCount(RowCount),
    /// Each row of a group, in order, against the row before it (evaluated
    /// by the `relate` stage).
    Sequence(Sequence),
    /// Columns must hold one value within each group (evaluated by the
    /// `relate` stage).
    Consistent(Consistent),
    /// Records that are the same person under different ids (evaluated by
    /// the `dedupe` stage).
    SamePerson(Box<crate::kinds::same_person::SamePerson>),
}

impl Check {
    /// Return-level rules report once for the whole table, never on a row.
    pub fn is_return_level(&self) -> bool {
        matches!(self, Check::Share(_) | Check::RowCount(_))
    }
}

/// A share of rows, as a fraction, must be within bounds.
#[derive(Debug, Clone)]
pub struct Share {
    /// The rows counted.
    pub check: Expr,
    pub reads: Vec<usize>,
    /// The rows counted among (default: all).
    pub when: Option<Expr>,
    pub when_reads: Vec<usize>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// Bounds on a table's number of records.
#[derive(Debug, Clone)]
pub struct RowCount {
    pub min: Option<u64>,
    pub max: Option<u64>,
    /// Largest change from the last run, as a fraction of its count.
    pub max_change: Option<f64>,
}

/// Consecutive rows of a group, e.g. a child's plans by start date: each row
/// after the first must satisfy a condition over it and the row before it.
#[derive(Debug, Clone)]
pub struct Sequence {
    pub group: Vec<usize>,
    /// A date or integer column; rows with equal values are ordered by line.
    pub order_by: usize,
    /// Over this row's columns (unqualified) and the previous row's
    /// (`previous.x`, see [`crate::kinds::sequence::PREVIOUS`]).
    pub condition: Expr,
    /// Columns the condition reads from this row, and from the previous row.
    pub reads: Vec<usize>,
    pub previous_reads: Vec<usize>,
    /// Rows that take part in the sequence, over this table's typed columns.
    pub when: Option<Expr>,
    pub when_reads: Vec<usize>,
}

/// Columns that must hold the same value in every row of a group (e.g. a
/// child's date of birth on each of their contacts). Blank values are ignored.
#[derive(Debug, Clone)]
pub struct Consistent {
    pub group: Vec<usize>,
    pub columns: Vec<usize>,
}

/// Date periods per group, e.g. a child's plans or care episodes.
#[derive(Debug, Clone)]
pub struct Periods {
    pub group: Vec<usize>,
    pub start: usize,
    /// A blank end means the period is still open.
    pub end: usize,
    pub continuous: bool,
}

/// A condition over a row and the rows of another table that share its key.
#[derive(Debug, Clone)]
pub struct Related {
    pub key: Reference,
    /// Over this table's columns (unqualified) and the other's (`other.x`).
    pub condition: Expr,
    /// This table's and the other table's typed columns the condition reads.
    pub reads: Vec<usize>,
    pub other_reads: Vec<usize>,
    /// True: every related row must satisfy it; false: at least one must.
    pub all: bool,
}

/// A key in one table that must be found in another.
#[derive(Debug, Clone)]
pub struct Reference {
    pub columns: Vec<usize>,
    pub other: usize,
    pub other_columns: Vec<usize>,
    /// Rows the rule applies to, over this table's typed columns.
    pub when: Option<Expr>,
    pub when_reads: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub table: usize,
    pub kind: &'static str,
    pub severity: Severity,
    pub message: String,
    pub docs: String,
    pub columns: Vec<usize>,
    pub check: Check,
    pub pack: String,
    /// Where the rule is written; `None` for the rules a column declaration implies.
    pub declared: Option<Declared>,
}

/// Where a rule or correction is written in its pack, so `cleanse explain` can send a reader there.
#[derive(Debug, Clone)]
pub struct Declared {
    pub path: PathBuf,
    /// 1-based.
    pub line: usize,
}

impl Declared {
    pub fn at(file: &SourceFile, offset: usize) -> Declared {
        Declared {
            path: file.path.clone(),
            line: file.line_col(offset).0,
        }
    }
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PackInfo {
    pub name: String,
    pub version: String,
    pub path: PathBuf,
    pub sha256: String,
    /// What `today` means when `cleanse test` runs the pack's examples.
    #[serde(skip)]
    pub examples_as_of: Option<chrono::NaiveDate>,
}

/// Every table and rule of the configured packs, validated and compiled.
#[derive(Debug)]
pub struct RuleSet {
    pub packs: Vec<PackInfo>,
    pub tables: Vec<Table>,
    pub rules: Vec<Rule>,
    /// In declaration order (the order ties within a stage are broken in).
    pub corrections: Vec<crate::fixes::Correction>,
    /// The examples rules and corrections carry, for `cleanse test`.
    pub examples: Vec<super::examples::Examples>,
}

impl RuleSet {
    pub fn table(&self, name: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.name == name)
    }

    /// The same tables with only the rule or correction an example is about: what `cleanse
    /// test` runs, so an example shows what its subject does and nothing else.
    pub fn only(&self, subject: &super::examples::Subject) -> RuleSet {
        use super::examples::Subject;
        RuleSet {
            packs: self.packs.clone(),
            tables: self.tables.clone(),
            rules: match subject {
                Subject::Rule(id) => self.rules.iter().filter(|r| &r.id == id).cloned().collect(),
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
}

/// Load, validate and compile rule packs. Returns every problem found.
pub fn load(paths: &[PathBuf], sem: Semantics, registry: &Registry) -> Result<RuleSet, Vec<Diagnostic>> {
    let sql = super::sql::SqlContext::new(sem.as_of);
    let mut diags = Vec::new();
    let mut set = RuleSet {
        packs: Vec::new(),
        tables: Vec::new(),
        rules: Vec::new(),
        corrections: Vec::new(),
        examples: Vec::new(),
    };
    let mut parsed = Vec::new();
    for path in paths {
        match yaml::load::<RawPack>(path) {
            Ok((pack, file)) => {
                let examples_as_of = pack.examples_as_of.as_ref().and_then(|d| {
                    let date = chrono::NaiveDate::parse_from_str(d.value.trim(), "%Y-%m-%d");
                    date.map_err(|_| {
                        diags.push(
                            Diagnostic::new("bad-date", &file, span(d), format!("`{}` is not a date", d.value))
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
                });
                parsed.push((pack, file));
            }
            Err(d) => diags.extend(d),
        }
    }
    // Tables first, from every pack, so a council's pack can add rules to shipped tables.
    let mut table_origin: HashMap<String, (Arc<SourceFile>, std::ops::Range<usize>)> = HashMap::new();
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
            if let Some(t) = table(name, raw, &pack.pack.value, &lists, file, &mut diags) {
                set.tables.push(t);
            }
        }
    }
    let mut seen_ids: HashMap<String, (Arc<SourceFile>, std::ops::Range<usize>)> = HashMap::new();
    for (pack, file) in &parsed {
        for raw in &pack.rules {
            let id = &raw.id.value;
            if let Some((other, other_span)) = seen_ids.get(id) {
                let (line, _) = other.line_col(other_span.start);
                diags.push(
                    Diagnostic::new(
                        "duplicate-rule-id",
                        file,
                        span(&raw.id),
                        format!("rule id `{id}` is used twice"),
                    )
                    .label("second use")
                    .help(format!(
                        "first used at {}:{line}; rule ids must be unique across all packs",
                        other.path.display()
                    )),
                );
                continue;
            }
            seen_ids.insert(id.clone(), (Arc::clone(file), span(&raw.id)));
            match super::kind::compile_rule(registry, raw, &set, &pack.pack.value, file, &sql) {
                Ok(rule) => {
                    if matches!(rule.check, Check::DuplicateRows)
                        && let Some(other) = set
                            .rules
                            .iter()
                            .find(|r| r.table == rule.table && matches!(r.check, Check::DuplicateRows))
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
    }
    // Corrections are checked even when rules have problems, so one run lists
    // every problem; a fix on a rule that did not compile is checked with it later.
    corrections(&parsed, &mut set, &sql, &table_origin, &mut diags);
    if diags.is_empty() {
        merge_corrections(&mut set);
        add_column_rules(&mut set, registry);
        super::examples::compile(&parsed, &mut set, &mut diags);
    }
    if diags.is_empty() { Ok(set) } else { Err(diags) }
}

/// The corrections a `same_person` rule's `merge:` makes: re-pointing each reference to the
/// person table, and filling each person field of the survivor (see [`crate::fixes::merge`]).
/// They run last, after every declared correction.
fn merge_corrections(set: &mut RuleSet) {
    use crate::fixes::merge::{KIND, MergeFix};
    let mut added = Vec::new();
    for rule in &set.rules {
        let Check::SamePerson(p) = &rule.check else { continue };
        let (Some(m), Some(declared)) = (&p.merge, &rule.declared) else {
            continue;
        };
        // The id merges go by: `person: local_id`, else the table's one-column key.
        let key = p.local_id.unwrap_or_else(|| set.tables[rule.table].key[0]);
        let correction = |table: usize, column: usize, fix: MergeFix, docs: &str| crate::fixes::Correction {
            id: format!("{}.merge", rule.id),
            table,
            columns: vec![column],
            kind: KIND,
            stage: crate::fixes::Stage::Set,
            apply: crate::fixes::Apply::Safe,
            rule: Some(rule.id.clone()),
            when: None,
            docs: docs.to_string(),
            fix: Arc::new(fix),
            declared: declared.clone(),
        };
        for &(t, c) in &m.references {
            added.push(correction(
                t,
                c,
                MergeFix::Repoint,
                "A reference to a merged record, re-pointed to the record that survives.",
            ));
        }
        for &c in p.fields.iter().flatten() {
            added.push(correction(
                rule.table,
                c,
                MergeFix::Fill { key },
                "A blank field of the surviving record, filled from a record merged into it.",
            ));
        }
    }
    set.corrections.extend(added);
}

/// Compile every correction: rules' `fix:` entries, then each pack's `corrections:`.
fn corrections(
    parsed: &[(RawPack, Arc<SourceFile>)],
    set: &mut RuleSet,
    sql: &super::sql::SqlContext,
    declared: &HashMap<String, (Arc<SourceFile>, std::ops::Range<usize>)>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut seen: HashMap<String, (Arc<SourceFile>, std::ops::Range<usize>)> = HashMap::new();
    for (pack, file) in parsed {
        let whens: Vec<Option<Spanned<String>>> = pack.rules.iter().map(|r| r.param_text("when")).collect();
        let attached = pack.rules.iter().zip(&whens).filter_map(|(r, when)| {
            let fix = r.fix.as_ref()?;
            let rule = set.rules.iter().find(|x| x.id == r.id.value)?;
            let attached = crate::fixes::Attached {
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
            match crate::fixes::compile(raw, rule, &set.tables, file, sql) {
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
    Some(Column {
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

pub(crate) fn tables_help(name: &str, tables: &[Table]) -> String {
    let names = || tables.iter().map(|t| t.name.as_str());
    did_you_mean(name, names()).unwrap_or_else(|| {
        if tables.is_empty() {
            "no rule pack here declares any tables: declare them under `tables:`".to_string()
        } else {
            format!("tables: {}", names().collect::<Vec<_>>().join(", "))
        }
    })
}

pub(crate) fn unknown_column(
    file: &Arc<SourceFile>,
    name: &Spanned<String>,
    table: &str,
    columns: &[Column],
) -> Diagnostic {
    Diagnostic::new(
        "unknown-column",
        file,
        span(name),
        format!("table `{table}` has no column `{}`", name.value),
    )
    .label("unknown column")
    .help(
        did_you_mean(&name.value, columns.iter().map(|c| c.name.as_str())).unwrap_or_else(|| {
            format!(
                "columns of `{table}`: {}",
                columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
            )
        }),
    )
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
