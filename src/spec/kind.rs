//! The contract of a rule kind: its documentation, the keys it takes, and how it compiles one
//! rule, with the context and helpers every kind shares (SQL with positions, columns
//! resolved against the table). The kinds themselves live in `kinds/`, above this layer, and
//! reach the loader through a [`Registry`] handed down by the caller.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::Arc;

use datafusion::common::DFSchema;
use datafusion::logical_expr::{Expr, ident};

use crate::model::diag::{Diagnostic, SourceFile, did_you_mean};
use crate::model::table::{Column, Severity, Table, raw_name};
use crate::spec::node::{ProblemKind, Problems};
use crate::spec::raw::RawRule;
use crate::spec::rules::{Check, RowCheck, Rule, RuleSet, unknown_column};
use crate::spec::sql::SqlContext;
use crate::spec::yaml::{Spanned, span};

/// A kind's documentation: the source of `cleanse explain` and the reference docs.
#[derive(Debug)]
pub struct KindDoc {
    pub name: &'static str,
    /// What it checks, in one sentence.
    pub summary: &'static str,
    /// Why it matters for children's social care records.
    pub why: &'static str,
    /// A rule of this kind, as YAML.
    pub example: &'static str,
    /// The keys it takes beyond `id`, `table`, `kind`, `severity`, `message`, `docs`.
    pub params: &'static [Param],
}

#[derive(Debug)]
pub struct Param {
    pub name: &'static str,
    pub required: bool,
    pub doc: &'static str,
}

/// A rule kind: what a file in `kinds/` implements.
///
/// `Params` is the kind's own keys, a serde struct with `#[serde(deny_unknown_fields)]` and
/// [`Spanned`] values: the loader reads a rule's keys into it (every unknown key and a
/// missing one reported at its position, see [`super::node`]) before `compile` runs, so a
/// kind never checks whether a key is there.
pub trait Kind: Sync {
    type Params: serde::de::DeserializeOwned;

    fn doc(&self) -> &'static KindDoc;
    fn compile(&self, params: &Self::Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>>;

    /// The rule a column's declaration implies (`required: true`, a type, a code list), as
    /// its severity, message and check; `None` when this kind implies none for the column.
    fn implied(&self, _table: &Table, _column: usize) -> Option<(Severity, String, Check)> {
        None
    }
}

/// A [`Kind`] as the registry holds it, whatever its parameters' type.
pub trait AnyKind: Sync {
    fn doc(&self) -> &'static KindDoc;
    /// The keys its parameters take, as serde reads them (the docs must name the same).
    fn keys(&self) -> &'static [&'static str];
    /// Read the rule's keys into the kind's parameters, then compile.
    fn compile(&self, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>>;
    fn implied(&self, table: &Table, column: usize) -> Option<(Severity, String, Check)>;
}

impl<K: Kind> AnyKind for K {
    fn doc(&self) -> &'static KindDoc {
        Kind::doc(self)
    }

    fn keys(&self) -> &'static [&'static str] {
        super::node::fields_of::<K::Params>()
    }

    fn compile(&self, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let params = super::node::read::<K::Params>(&cx.raw.params, span(&cx.raw.kind), &cx.file.text)
            .map_err(|p| cx.key_problems(Kind::doc(self), self.keys(), p))?;
        Kind::compile(self, &params, cx)
    }

    fn implied(&self, table: &Table, column: usize) -> Option<(Severity, String, Check)> {
        Kind::implied(self, table, column)
    }
}

/// The kinds a pack may name. The loader is handed one by its caller, so that the kinds,
/// which build on this layer, are registered in their own folder.
pub struct Registry {
    pub kinds: &'static [&'static dyn AnyKind],
}

impl Registry {
    /// A kind by name.
    pub fn kind(&self, name: &str) -> Option<&'static dyn AnyKind> {
        self.kinds.iter().copied().find(|k| k.doc().name == name)
    }

    /// A kind's docs by name.
    pub fn doc(&self, name: &str) -> Option<&'static KindDoc> {
        self.kind(name).map(|k| k.doc())
    }
}

/// How `help` names the keys every rule takes.
const RULE_COMMON: &str = "id, table, kind, severity, message and docs";

/// A rule's columns, as written: `columns: [a, b]`.
pub type Columns = Spanned<Vec<Spanned<String>>>;
/// A SQL expression or condition, as written.
pub type Sql = Spanned<String>;

/// Common parameter docs, shared so every kind words them the same way.
pub const COLUMNS: Param = Param {
    name: "columns",
    required: true,
    doc: "The columns to check; each is checked on its own.",
};
pub const WHEN: Param = Param {
    name: "when",
    required: false,
    doc: "SQL condition: the rule applies only to rows where it is true.",
};

/// The grouping key of the kinds that compare rows within a group.
pub const GROUP: Param = Param {
    name: "group",
    required: true,
    doc: "The columns that group rows, e.g. `[child_id]`.",
};

/// Everything a kind needs to compile one rule.
pub struct RuleCx<'a> {
    pub raw: &'a RawRule,
    /// Every kind, to tell a key another kind takes from a typo.
    pub registry: &'a Registry,
    pub table: &'a Table,
    pub file: &'a Arc<SourceFile>,
    pub sql: &'a SqlContext,
    /// Every declared table, for cross-table kinds.
    pub tables: &'a [Table],
    /// The columns the rule names (`columns`), once resolved: what its findings are about.
    named: std::cell::RefCell<Option<Vec<usize>>>,
}

impl RuleCx<'_> {
    pub fn error(&self, code: &'static str, at: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, self.file, at, message)
    }

    /// Where to point when a problem concerns the whole rule: its `kind`.
    pub fn at(&self) -> Range<usize> {
        span(&self.raw.kind)
    }

    /// The rule's `columns`, resolved against its table: at least one.
    pub fn columns(&self, cols: &Columns) -> Result<Vec<usize>, Vec<Diagnostic>> {
        if cols.value.is_empty() {
            return Err(vec![
                self.error("empty-columns", span(cols), "`columns` is empty")
                    .label("name at least one column"),
            ]);
        }
        let resolved = self.resolve(&cols.value)?;
        self.name_columns(&resolved);
        Ok(resolved)
    }

    /// Say which columns the rule's findings are about, when it names them (otherwise: the
    /// columns its checks read).
    pub fn name_columns(&self, columns: &[usize]) {
        *self.named.borrow_mut() = Some(columns.to_vec());
    }

    pub fn resolve(&self, names: &[Spanned<String>]) -> Result<Vec<usize>, Vec<Diagnostic>> {
        let mut out = Vec::new();
        let mut diags = Vec::new();
        for n in names {
            match self.table.column(&n.value) {
                Some(i) => out.push(i),
                None => diags.push(unknown_column(self.file, n, &self.table.name, &self.table.columns)),
            }
        }
        if diags.is_empty() { Ok(out) } else { Err(diags) }
    }

    /// The rule's `group`, resolved: at least one column.
    pub fn group(&self, group: &Columns) -> Result<Vec<usize>, Vec<Diagnostic>> {
        if group.value.is_empty() {
            return Err(vec![
                self.error("empty-columns", span(group), "`group` is empty")
                    .label("name the columns that group rows, e.g. [child_id]"),
            ]);
        }
        self.resolve(&group.value)
    }

    /// The date `today` means.
    pub fn sql_as_of(&self) -> chrono::NaiveDate {
        self.sql.as_of()
    }

    pub fn column(&self, i: usize) -> &Column {
        &self.table.columns[i]
    }

    /// Parse a SQL value of this rule, with errors pointing into the YAML.
    pub fn sql(&self, value: &Spanned<String>) -> Result<(Expr, Vec<usize>), Diagnostic> {
        self.sql_over(value, &self.table.schema)
    }

    /// Parse a SQL value against `schema` (e.g. this table's columns plus another's).
    pub fn sql_over(&self, value: &Spanned<String>, schema: &Arc<DFSchema>) -> Result<(Expr, Vec<usize>), Diagnostic> {
        sql_in(self.file, self.sql, self.table, value, schema)
    }

    /// A SQL condition (for `when` or `check`): it must give true or false.
    pub fn condition(&self, value: &Spanned<String>) -> Result<(Expr, Vec<usize>), Diagnostic> {
        self.condition_over(value, &self.table.schema)
    }

    /// A condition over `schema`.
    pub fn condition_over(
        &self,
        value: &Spanned<String>,
        schema: &Arc<DFSchema>,
    ) -> Result<(Expr, Vec<usize>), Diagnostic> {
        condition_in(self.file, self.sql, self.table, value, schema)
    }

    /// The optional `when` condition.
    pub fn when(&self, when: &Option<Sql>) -> Result<(Option<Expr>, Vec<usize>), Vec<Diagnostic>> {
        match when {
            None => Ok((None, Vec::new())),
            Some(w) => self.condition(w).map(|(e, r)| (Some(e), r)).map_err(|d| vec![d]),
        }
    }

    /// What was wrong with the rule's keys, as diagnostics: a key another kind takes
    /// (`key-not-for-kind`), a key no kind takes (`unknown-key`, with the closest), a missing
    /// one (`missing-key`), and values of the wrong type, each where it was written.
    pub fn key_problems(&self, doc: &KindDoc, keys: &[&str], problems: Problems) -> Vec<Diagnostic> {
        let file = self.file;
        let takes = || -> String {
            if keys.is_empty() {
                format!("`{}` takes no settings beyond {RULE_COMMON}", doc.name)
            } else {
                format!("`{}` takes: {}", doc.name, keys.join(", "))
            }
        };
        problems
            .0
            .into_iter()
            .map(|p| {
                let at = p.span.unwrap_or_else(|| self.at());
                match p.kind {
                    // The rule's own keys.
                    ProblemKind::UnknownKey { key, expected } if expected == keys => {
                        let elsewhere = self.registry.kinds.iter().any(|k| k.keys().contains(&key.as_str()));
                        if elsewhere {
                            // Underline what it was given, as the mistake is where the value went.
                            let value = self
                                .raw
                                .params
                                .iter()
                                .find(|(k, _)| k.span == at)
                                .map(|(_, v)| v.span.clone());
                            Diagnostic::new(
                                "key-not-for-kind",
                                file,
                                value.unwrap_or(at),
                                format!("rule kind `{}` does not take `{key}`", doc.name),
                            )
                            .label("not used by this kind")
                            .help(takes())
                        } else {
                            let allowed = keys.iter().chain(RawRule::COMMON).copied();
                            crate::spec::yaml::unknown_key(file, at.start, &key, allowed)
                        }
                    }
                    ProblemKind::UnknownKey { key, expected } => {
                        crate::spec::yaml::unknown_key(file, at.start, &key, expected.iter().copied())
                    }
                    ProblemKind::MissingKey(key) if keys.contains(&key) => {
                        let what = doc.params.iter().find(|p| p.name == key).map_or("", |p| p.doc);
                        Diagnostic::new(
                            "missing-key",
                            file,
                            self.at(),
                            format!("rule kind `{}` needs `{key}`", doc.name),
                        )
                        .label(format!("`{key}` is missing from this rule"))
                        .help(format!("add `{key}`: {what}"))
                    }
                    ProblemKind::MissingKey(key) => crate::spec::yaml::missing_key(file, at.start, key),
                    ProblemKind::WrongType { expected, .. } => crate::spec::yaml::wrong_type(file, at.start, &expected),
                    ProblemKind::Other(message) => Diagnostic::new("wrong-type", file, at, message),
                }
            })
            .collect()
    }

    /// Typed columns an expression reads.
    pub fn reads(&self, expr: &Expr) -> Vec<usize> {
        reads(self.table, expr)
    }

    /// One check per column, `pass` built from the column's typed value and
    /// its raw text (see [`raw_name`]), honouring the rule's `when`.
    pub fn per_column(
        &self,
        columns: &[usize],
        when: &Option<Sql>,
        mut pass: impl FnMut(Expr, Expr) -> Expr,
    ) -> Result<Check, Vec<Diagnostic>> {
        let (when, when_reads) = self.when(when)?;
        Ok(Check::Row(
            columns
                .iter()
                .map(|&c| RowCheck {
                    column: Some(c),
                    when: when.clone(),
                    pass: pass(ident(&self.column(c).name), ident(raw_name(&self.column(c).name))),
                    reads: vec![c],
                    when_reads: when_reads.clone(),
                })
                .collect(),
        ))
    }
}

/// The keys a rule or correction sets against its kind's parameters: a key the kind does not
/// take (`key-not-for-kind`), and a required one that is missing (`missing-key`). Shared by rule
/// kinds and correction kinds (`what`: "rule" or "correction"; `common`: the keys every one takes).
pub(crate) fn check_params(
    doc: &KindDoc,
    what: &str,
    common: &str,
    present: &[(&'static str, Range<usize>)],
    kind_span: Range<usize>,
    file: &Arc<SourceFile>,
    diags: &mut Vec<Diagnostic>,
) {
    for (name, at) in present {
        if !doc.params.iter().any(|p| p.name == *name) {
            let takes: Vec<&str> = doc.params.iter().map(|p| p.name).collect();
            diags.push(
                Diagnostic::new(
                    "key-not-for-kind",
                    file,
                    at.clone(),
                    format!("{what} kind `{}` does not take `{name}`", doc.name),
                )
                .label("not used by this kind")
                .help(if takes.is_empty() {
                    format!("`{}` takes no settings beyond {common}", doc.name)
                } else {
                    format!("`{}` takes: {}", doc.name, takes.join(", "))
                }),
            );
        }
    }
    for p in doc
        .params
        .iter()
        .filter(|p| p.required && !present.iter().any(|(n, _)| *n == p.name))
    {
        diags.push(
            Diagnostic::new(
                "missing-key",
                file,
                kind_span.clone(),
                format!("{what} kind `{}` needs `{}`", doc.name, p.name),
            )
            .label(format!("`{}` is missing from this {what}", p.name))
            .help(format!("add `{}`: {}", p.name, p.doc)),
        );
    }
}

/// Validate the parts every rule shares, then hand it to its kind.
pub fn compile_rule(
    registry: &Registry,
    raw: &RawRule,
    set: &RuleSet,
    pack: &str,
    file: &Arc<SourceFile>,
    sql: &SqlContext,
) -> Result<Rule, Vec<Diagnostic>> {
    // A shared key spelt wrong: said first and alone, as it would stop the file being read.
    if !raw.misspelt.is_empty() {
        return Err(raw
            .misspelt
            .iter()
            .map(|k| {
                let written = file.text.get(k.span.clone()).unwrap_or_default();
                crate::spec::yaml::unknown_key(file, k.span.start, written, RawRule::COMMON.iter().copied())
            })
            .collect());
    }
    let mut diags = Vec::new();
    let table = set.table(&raw.table.value);
    if table.is_none() {
        diags.push(
            Diagnostic::new(
                "unknown-table",
                file,
                span(&raw.table),
                format!("unknown table `{}`", raw.table.value),
            )
            .label("no table with this name")
            .help(super::rules::tables_help(&raw.table.value, &set.tables)),
        );
    }
    let kind = registry.kind(&raw.kind.value);
    if kind.is_none() {
        let names = registry.kinds.iter().map(|k| k.doc().name);
        diags.push(
            Diagnostic::new(
                "unknown-kind",
                file,
                span(&raw.kind),
                format!("unknown rule kind `{}`", raw.kind.value),
            )
            .label("not a rule kind")
            .help(
                did_you_mean(&raw.kind.value, names.clone())
                    .unwrap_or_else(|| format!("rule kinds: {}", names.collect::<Vec<_>>().join(", "))),
            ),
        );
    }
    let severity = match &raw.severity {
        None => Severity::Error,
        Some(s) => Severity::parse(&s.value).unwrap_or_else(|| {
            diags.push(
                Diagnostic::new(
                    "unknown-severity",
                    file,
                    span(s),
                    format!("unknown severity `{}`", s.value),
                )
                .label("not a severity")
                .help(
                    did_you_mean(&s.value, Severity::NAMES.iter().copied())
                        .unwrap_or_else(|| "severities: error, warning, info".into()),
                ),
            );
            Severity::Error
        }),
    };
    if !is_rule_id(&raw.id.value) {
        diags.push(
            Diagnostic::new(
                "bad-rule-id",
                file,
                span(&raw.id),
                format!("rule id `{}` is not a stable id", raw.id.value),
            )
            .label("use letters, digits, '.', '-' or '_'")
            .help("ids appear in every report and in history; keep them short and never reuse one"),
        );
    }
    if raw.message.value.trim().is_empty() {
        diags.push(
            Diagnostic::new("empty-message", file, span(&raw.message), "the message is empty")
                .label("say what is wrong, in words a data officer can act on"),
        );
    }
    let (Some(kind), Some(ti)) = (kind, table) else {
        return Err(diags);
    };
    let doc = kind.doc();
    let table = &set.tables[ti];
    let cx = RuleCx {
        raw,
        registry,
        table,
        file,
        sql,
        tables: &set.tables,
        named: std::cell::RefCell::new(None),
    };
    let check = match kind.compile(&cx) {
        Ok(c) if diags.is_empty() => c,
        Ok(_) => return Err(diags),
        Err(d) => {
            diags.extend(d);
            return Err(diags);
        }
    };
    let columns = match &check {
        Check::Row(checks) => {
            let mut cols: Vec<usize> = match cx.named.take() {
                Some(c) => c,
                None => checks.iter().flat_map(|c| c.reads.iter().copied()).collect(),
            };
            cols.dedup();
            cols
        }
        Check::Type { column } | Check::CodeForm { column } => vec![*column],
        Check::Unique { columns } => columns.clone(),
        Check::DuplicateRows => Vec::new(),
        Check::Reference(r) => r.columns.clone(),
        Check::Related(r) => r.key.columns.clone(),
        Check::Periods(p) => vec![p.start, p.end],
        Check::Share(s) => s.reads.clone(),
        Check::RowCount(_) => Vec::new(),
        // What a broken sequence's report shows: the values the check read on this row.
        Check::Sequence(s) if !s.reads.is_empty() => s.reads.clone(),
        Check::Sequence(s) => vec![s.order_by],
        Check::Consistent(c) => c.columns.clone(),
        Check::SamePerson(p) => p.fields.iter().flatten().copied().collect(),
    };
    Ok(Rule {
        id: raw.id.value.clone(),
        table: ti,
        kind: doc.name,
        severity,
        message: raw.message.value.trim().to_string(),
        docs: raw
            .docs
            .as_ref()
            .map_or_else(|| doc.summary.to_string(), |d| d.value.trim().to_string()),
        columns,
        check,
        pack: pack.to_string(),
        declared: Some(super::rules::Declared::at(file, span(&raw.id).start)),
    })
}

fn is_rule_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// For kinds that check one column at a time: `type` and `code_form` take a
/// single column per rule, because they replace the rule the column implies.
pub fn single_column(cx: &RuleCx, columns: &Columns) -> Result<usize, Vec<Diagnostic>> {
    let cols = cx.columns(columns)?;
    if cols.len() != 1 {
        let at = span(columns);
        return Err(vec![
            cx.error(
                "one-column",
                at,
                format!("rule kind `{}` takes exactly one column", cx.raw.kind.value),
            )
            .label("write one rule per column"),
        ]);
    }
    Ok(cols[0])
}

/// Parse SQL written in a rules file against `schema`, with errors pointing
/// at the exact character in the YAML. Shared by rules and corrections.
pub fn sql_in(
    file: &Arc<SourceFile>,
    sql: &SqlContext,
    table: &Table,
    value: &Spanned<String>,
    schema: &Arc<DFSchema>,
) -> Result<(Expr, Vec<usize>), Diagnostic> {
    let at = span(value);
    let text = &value.value;
    // Where the SQL text starts in the file: exact for plain and quoted scalars.
    let base = file
        .text
        .get(at.clone())
        .and_then(|s| s.find(text.as_str()))
        .map(|i| at.start + i);
    match sql.parse(text, schema) {
        Ok(expr) => {
            let reads = reads(table, &expr);
            Ok((expr, reads))
        }
        Err(e) => {
            let span = match (base, &e.span) {
                (Some(b), Some(r)) => b + r.start..b + r.end.max(r.start + 1),
                _ => at,
            };
            if let (Some(name), Some(q)) = (&e.unknown_column, &e.qualifier) {
                return Err(qualified_unknown(file, table, schema, span, q, name));
            }
            let mut help = e.help.clone();
            if let Some(name) = &e.unknown_column {
                help = did_you_mean(name, table.columns.iter().map(|c| c.name.as_str()));
                if name == "today" {
                    help = Some("write `today()`, with brackets, for the run's date".into());
                }
                help = help.or_else(|| {
                    Some(format!(
                        "columns of `{}`: {}",
                        table.name,
                        table
                            .columns
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                });
            }
            let (code, message, label) = match &e.unknown_column {
                Some(name) => (
                    "unknown-column",
                    format!("table `{}` has no column `{name}`", table.name),
                    "unknown column".to_string(),
                ),
                None => (
                    e.code.unwrap_or("bad-sql"),
                    e.message,
                    e.label.unwrap_or_else(|| "here".into()),
                ),
            };
            Err(Diagnostic::new(code, file, span, message).label(label).maybe_help(help))
        }
    }
}

/// `q.name` where `name` was not found: either `q` is not a row the expression
/// can read (`othr.x`, `plan.x`), or that row has no column `name`.
fn qualified_unknown(
    file: &Arc<SourceFile>,
    table: &Table,
    schema: &DFSchema,
    span: Range<usize>,
    q: &str,
    name: &str,
) -> Diagnostic {
    let mut qualifiers: Vec<&str> = schema.iter().filter_map(|(r, _)| r.map(|r| r.table())).collect();
    qualifiers.dedup();
    if qualifiers.contains(&q) {
        let columns: Vec<&str> = schema
            .iter()
            .filter(|(r, _)| r.is_some_and(|r| r.table() == q))
            .map(|(_, f)| f.name().as_str())
            .collect();
        return Diagnostic::new("unknown-column", file, span, format!("`{q}` has no column `{name}`"))
            .label("unknown column")
            .help(
                did_you_mean(name, columns.iter().copied())
                    .unwrap_or_else(|| format!("columns of `{q}`: {}", columns.join(", "))),
            );
    }
    // Point at the qualifier alone when the text is plain `q.name`.
    let q_at = match file.text.get(span.clone()) {
        Some(t) if t.starts_with(q) => span.start..span.start + q.len(),
        _ => span.clone(),
    };
    if qualifiers.is_empty() {
        // A check over one row: names are the row's own columns.
        let (message, label, help) = if q == table.name {
            (
                format!("write `{name}`, not `{q}.{name}`: this check reads the row's own columns by name"),
                format!("leave out `{q}.`"),
                "only `related` checks (`other.<column>`) and `sequence` checks (`previous.<column>`) name another row"
                    .to_string(),
            )
        } else {
            (
                format!("unknown table `{q}`"),
                "not a table this check can read".to_string(),
                format!(
                    "this check reads the row's own columns by name (e.g. `{name}`); to compare with another table, use a `related` rule"
                ),
            )
        };
        return Diagnostic::new("unknown-table", file, q_at, message)
            .label(label)
            .help(help);
    }
    Diagnostic::new("unknown-table", file, q_at, format!("unknown table `{q}`"))
        .label("not a table this check can read")
        .help(did_you_mean(q, qualifiers.iter().copied()).unwrap_or_else(|| {
            format!(
                "this check can read: {}",
                qualifiers
                    .iter()
                    .map(|q| format!("`{q}.<column>`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }))
}

/// As [`sql_in`], for a condition: it must give true or false.
pub fn condition_in(
    file: &Arc<SourceFile>,
    sql: &SqlContext,
    table: &Table,
    value: &Spanned<String>,
    schema: &Arc<DFSchema>,
) -> Result<(Expr, Vec<usize>), Diagnostic> {
    let (expr, reads) = sql_in(file, sql, table, value, schema)?;
    match sql.data_type(&expr, schema) {
        Some(datafusion::arrow::datatypes::DataType::Boolean) | Some(datafusion::arrow::datatypes::DataType::Null) => {
            Ok((expr, reads))
        }
        Some(other) => Err(Diagnostic::new(
            "not-a-condition",
            file,
            span(value),
            format!(
                "this expression gives {}, not true or false",
                crate::spec::sql::value_kind(&other)
            ),
        )
        .label("must be a condition")
        .help("compare it with something, e.g. `a >= b` or `x IS NOT NULL`")),
        None => Ok((expr, reads)),
    }
}

/// Typed columns of `table` an expression reads.
pub fn reads(table: &Table, expr: &Expr) -> Vec<usize> {
    let names: HashSet<String> = expr.column_refs().into_iter().map(|c| c.name.clone()).collect();
    let mut out: Vec<usize> = names.iter().filter_map(|n| table.column(n)).collect();
    out.sort_unstable();
    out
}
