//! The contract of a rule kind: its documentation, the keys it takes, and how it compiles one
//! rule, with the context and helpers every kind shares (SQL with positions, columns
//! resolved against the table). The kinds themselves live in `kinds/`, above this layer, and
//! reach the loader through a [`Registry`] handed down by the caller.

use std::ops::Range;
use std::sync::Arc;

use datafusion::common::DFSchema;
use datafusion::logical_expr::{Expr, ident};

use crate::model::diag::{Diagnostic, SourceFile, did_you_mean};
use crate::model::table::{Column, Severity, Table, raw_name};
use crate::spec::compiled::{Check, Ordered, Return, Row, RowCheck, Rule};
use crate::spec::doc::KindDoc;
use crate::spec::fix::Correction;
use crate::spec::keys::{Columns, Keys, Sql, key_problems};
use crate::spec::names::unknown_column;
use crate::spec::names::{Declared, tables_help};
use crate::spec::raw::RawRule;
use crate::spec::sql::SqlContext;
use crate::spec::sql::{condition_in, reads, sql_in};
use crate::spec::yaml::{Spanned, span};

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

    /// Corrections a compiled rule of this kind makes itself (a `same_person` rule's merges),
    /// given once every rule has compiled; they run after every declared correction.
    fn corrections(&self, _rule: &Rule, _tables: &[Table]) -> Vec<Correction> {
        Vec::new()
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
    fn corrections(&self, rule: &Rule, tables: &[Table]) -> Vec<Correction>;
}

impl<K: Kind> AnyKind for K {
    fn doc(&self) -> &'static KindDoc {
        Kind::doc(self)
    }

    fn keys(&self) -> &'static [&'static str] {
        super::node::fields_of::<K::Params>()
    }

    fn compile(&self, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let params =
            super::node::read::<K::Params>(&cx.raw.params, span(&cx.raw.kind), &cx.file.text).map_err(|p| {
                let elsewhere = |key: &str| cx.registry.kinds.iter().any(|k| k.keys().contains(&key));
                let keys = Keys {
                    what: "rule",
                    shared: RawRule::COMMON,
                    shared_words: "id, table, kind, severity, message and docs",
                    doc: Kind::doc(self),
                    keys: self.keys(),
                    params: &cx.raw.params,
                    at: cx.at(),
                };
                key_problems(cx.file, &keys, &elsewhere, p)
            })?;
        Kind::compile(self, &params, cx)
    }

    fn implied(&self, table: &Table, column: usize) -> Option<(Severity, String, Check)> {
        Kind::implied(self, table, column)
    }

    fn corrections(&self, rule: &Rule, tables: &[Table]) -> Vec<Correction> {
        Kind::corrections(self, rule, tables)
    }
}

/// The kinds a pack may name. The loader is handed one by its caller, so that the kinds,
/// which build on this layer, are registered in their own folder.
pub struct Registry {
    pub kinds: &'static [&'static dyn AnyKind],
    /// Correction kinds, in the order their stages run.
    pub fixes: &'static [&'static dyn super::fix::AnyFix],
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

    /// The run's collection year, if it has one.
    pub fn collection_year(&self) -> Option<crate::model::values::CollectionYear> {
        self.sql.collection_year()
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
        Ok(Check::Row(Row::Predicates(
            columns
                .iter()
                .map(|&c| {
                    let name = &self.column(c).name;
                    let pass = pass(ident(name), ident(raw_name(name)));
                    // A check of the text as exported (`required`, `clean_text`) reads no typed
                    // value, so a value that did not parse does not stop it.
                    let typed = pass.column_refs().iter().any(|r| &r.name == name);
                    RowCheck {
                        column: Some(c),
                        when: when.clone(),
                        pass,
                        reads: if typed { vec![c] } else { Vec::new() },
                        when_reads: when_reads.clone(),
                    }
                })
                .collect(),
        )))
    }
}

/// Validate the parts every rule shares, then hand it to its kind.
pub fn compile_rule(
    registry: &Registry,
    raw: &RawRule,
    tables: &[Table],
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
    let table = tables.iter().position(|t| t.name == raw.table.value);
    if table.is_none() {
        diags.push(
            Diagnostic::new(
                "unknown-table",
                file,
                span(&raw.table),
                format!("unknown table `{}`", raw.table.value),
            )
            .label("no table with this name")
            .help(tables_help(&raw.table.value, tables)),
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
    let table = &tables[ti];
    let cx = RuleCx {
        raw,
        registry,
        table,
        file,
        sql,
        tables,
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
        Check::Row(Row::Predicates(checks)) => {
            let mut cols: Vec<usize> = match cx.named.take() {
                Some(c) => c,
                None => checks.iter().flat_map(|c| c.reads.iter().copied()).collect(),
            };
            cols.dedup();
            cols
        }
        Check::Row(Row::Type { column, .. } | Row::CodeForm { column }) => vec![*column],
        Check::Ordered(Ordered::Unique { columns }) => columns.clone(),
        Check::Ordered(Ordered::DuplicateRows) => Vec::new(),
        Check::WholeTable(w) => w.columns(),
        Check::Return(Return::Share(s)) => s.reads.clone(),
        Check::Return(Return::RowCount(_)) => Vec::new(),
        Check::People(p) => p.fields.iter().flatten().copied().collect(),
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
        declared: Some(Declared::at(file, span(&raw.id).start)),
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
