//! The contract of a correction kind: its documentation, its keys, the stage it runs in, and
//! what a compiled correction does to a batch's text ([`Fix`]), with the loader's part
//! ([`compile`]): the keys every correction shares, checked, then the kind's own. The kinds
//! themselves live in `fixes/`, above this layer; the corrector that applies them lives there
//! too.

use std::cell::OnceCell;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::physical_expr::PhysicalExpr;
use serde::Serialize;

use crate::model::diag::{Diagnostic, SourceFile, did_you_mean};
use crate::model::error::Result;
use crate::model::table::Table;
use crate::spec::doc::{KindDoc, Param};
use crate::spec::keys::Keys;
use crate::spec::names::unknown_column;
use crate::spec::raw::RawCorrection;
use crate::spec::sql::SqlContext;
use crate::spec::sql::condition_in;
use crate::spec::yaml::{Spanned, span};

/// When a correction runs: stages run in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Normalise,
    Map,
    Date,
    Fill,
    Set,
    /// A `same_person` rule's merges, decided from the corrected tables: after every declared
    /// correction.
    Merge,
}

/// Whether a correction is applied by every run or only when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Apply {
    Safe,
    Review,
}

/// A declared correction, validated and compiled.
#[derive(Debug, Clone)]
pub struct Correction {
    pub id: String,
    pub table: usize,
    /// The columns it may change.
    pub columns: Vec<usize>,
    pub kind: &'static str,
    pub stage: Stage,
    pub apply: Apply,
    /// The id of the rule it is attached to (`fix:`), if any.
    pub rule: Option<String>,
    /// Rows it applies to, over the row's typed values at the start of its stage.
    pub when: Option<Arc<dyn PhysicalExpr>>,
    pub docs: String,
    pub fix: Arc<dyn Fix>,
    /// Where it is written: its `id`, or a rule's `fix:`.
    pub declared: crate::spec::names::Declared,
}

/// A correction kind: what a file in `fixes/` implements.
///
/// As for rule kinds ([`super::kind::Kind`]), `Params` is the kind's own keys as a serde
/// struct with `#[serde(deny_unknown_fields)]`, read before `compile` runs.
pub trait FixKind: Sync {
    type Params: serde::de::DeserializeOwned;

    fn doc(&self) -> &'static KindDoc;
    fn stage(&self) -> Stage;
    fn compile(&self, params: &Self::Params, cx: &FixCx) -> std::result::Result<Box<dyn Fix>, Vec<Diagnostic>>;

    /// Whether a pack may declare one (`merge`s are made by `same_person` rules).
    fn declarable(&self) -> bool {
        true
    }
}

/// A [`FixKind`] as the registry holds it, whatever its parameters' type.
pub trait AnyFix: Sync {
    fn doc(&self) -> &'static KindDoc;
    fn stage(&self) -> Stage;
    /// The keys its parameters take, as serde reads them (the docs must name the same).
    fn keys(&self) -> &'static [&'static str];
    fn compile(&self, cx: &FixCx) -> std::result::Result<Box<dyn Fix>, Vec<Diagnostic>>;
    fn declarable(&self) -> bool;
}

impl<K: FixKind> AnyFix for K {
    fn doc(&self) -> &'static KindDoc {
        FixKind::doc(self)
    }

    fn stage(&self) -> Stage {
        FixKind::stage(self)
    }

    fn keys(&self) -> &'static [&'static str] {
        super::node::fields_of::<K::Params>()
    }

    fn declarable(&self) -> bool {
        FixKind::declarable(self)
    }

    fn compile(&self, cx: &FixCx) -> std::result::Result<Box<dyn Fix>, Vec<Diagnostic>> {
        let params =
            super::node::read::<K::Params>(&cx.raw.params, span(&cx.raw.kind), &cx.file.text).map_err(|p| {
                let keys = self.keys();
                let elsewhere = |key: &str| cx.fixes.iter().any(|k| k.keys().contains(&key));
                super::keys::key_problems(
                    cx.file,
                    &Keys {
                        what: "correction",
                        shared: COMMON,
                        shared_words: "id, table, kind, apply, columns, when, docs",
                        doc: FixKind::doc(self),
                        keys,
                        params: &cx.raw.params,
                        at: span(&cx.raw.kind),
                    },
                    &elsewhere,
                    p,
                )
            })?;
        FixKind::compile(self, &params, cx)
    }
}

/// A compiled correction's behaviour.
pub trait Fix: Send + Sync + std::fmt::Debug {
    /// Push `(row, new text)` for every row whose value of `column` it
    /// would change; rows it would leave alone are not pushed.
    /// `lookup`: what [`Fix::needs`] asked for.
    fn propose(&self, b: &FixBatch, column: usize, lookup: Option<&Lookup>, out: &mut Vec<(u32, String)>)
    -> Result<()>;

    /// What it needs from another table: `(table, key columns there, value column there)`.
    /// The run reads that table once, corrected up to the `fill` stage, into a [`Lookup`].
    fn needs(&self) -> Option<(usize, &[usize], usize)> {
        None
    }
}

/// Key (typed key values, see [`FixBatch::key`]) to the one value another
/// table holds for it; `None` when it holds several different values.
pub use crate::model::lookup::Lookup;

/// The keys every correction takes, besides its kind's.
pub const COMMON: &[&str] = &["id", "table", "kind", "apply", "columns", "when", "docs"];

/// Everything a correction kind needs to compile one correction.
pub struct FixCx<'a> {
    /// Every correction kind, to tell a key another kind takes from a typo.
    pub fixes: &'a [&'static dyn AnyFix],
    pub raw: &'a RawCorrection,
    pub table: &'a Table,
    pub columns: &'a [usize],
    pub file: &'a Arc<SourceFile>,
    pub sql: &'a SqlContext,
    pub tables: &'a [Table],
}

impl FixCx<'_> {
    pub fn error(&self, code: &'static str, at: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, self.file, at, message)
    }

    /// Where to point when a problem concerns the whole correction.
    pub fn at(&self) -> Range<usize> {
        span(&self.raw.kind)
    }

    /// The directory the rules file is in: relative paths start there.
    pub fn dir(&self) -> &Path {
        self.file.path.parent().unwrap_or(Path::new("."))
    }

    /// Where column `c` is named in `columns` (or the kind, for a rule's `fix:`).
    pub fn column_span(&self, c: usize) -> Range<usize> {
        let name = &self.table.columns[c].name;
        self.raw
            .columns
            .as_ref()
            .and_then(|cols| cols.value.iter().find(|n| &n.value == name).map(span))
            .unwrap_or_else(|| self.at())
    }

    /// Kinds that write one value per row (`set`, `fill`) take one column.
    pub fn single_column(&self) -> std::result::Result<usize, Vec<Diagnostic>> {
        match self.columns {
            [c] => Ok(*c),
            _ => Err(vec![
                self.error(
                    "one-column",
                    self.raw.columns.as_ref().map_or_else(|| self.at(), span),
                    format!("correction kind `{}` changes exactly one column", self.raw.kind.value),
                )
                .label("name one column")
                .help("write one correction per column"),
            ]),
        }
    }
}

/// The text of one batch's declared columns as a stage sees it, typed on demand.
pub struct FixBatch<'a> {
    pub table: &'a Table,
    text: &'a [ArrayRef],
    schema: &'a SchemaRef,
    pivot: u8,
    /// Each declared column typed, when something has asked for it: a stage types only what
    /// its corrections read.
    typed: Vec<OnceCell<ArrayRef>>,
}

impl<'a> FixBatch<'a> {
    /// `text`: the current text of each declared column; `schema`: the table's typed schema.
    pub fn new(table: &'a Table, text: &'a [ArrayRef], schema: &'a SchemaRef, pivot: u8) -> Self {
        FixBatch {
            table,
            text,
            schema,
            pivot,
            typed: (0..text.len()).map(|_| OnceCell::new()).collect(),
        }
    }

    pub fn num_rows(&self) -> usize {
        self.text.first().map_or(0, |a| a.len())
    }

    /// The two-digit-year pivot dates are read with.
    pub fn pivot(&self) -> u8 {
        self.pivot
    }

    /// A declared column's current text.
    pub fn text(&self, column: usize) -> &StringArray {
        self.text[column]
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("a batch's declared columns are read as text (StringArray) before any correction")
    }

    /// A declared column's values, typed as rules see them (NULL where blank or not parsed).
    pub fn typed_column(&self, column: usize) -> &ArrayRef {
        self.typed[column].get_or_init(|| {
            crate::model::typed::typed_column(self.text(column), &self.table.columns[column].ty, self.pivot)
        })
    }

    /// The batch as rules see it (typed columns, then raw text), for evaluating `expr`: the
    /// columns it reads are typed, the others left NULL (it never looks at them).
    pub fn typed_for(&self, expr: &Arc<dyn PhysicalExpr>) -> RecordBatch {
        let reads: std::collections::HashSet<usize> = datafusion::physical_expr::utils::collect_columns(expr)
            .iter()
            .map(|c| c.index())
            .collect();
        let n = self.num_rows();
        let declared = self.text.len();
        let columns: Vec<ArrayRef> = (0..declared)
            .map(|c| match reads.contains(&c) {
                true => Arc::clone(self.typed_column(c)),
                false => datafusion::arrow::array::new_null_array(self.schema.field(c).data_type(), n),
            })
            .chain(self.text.iter().cloned())
            .collect();
        RecordBatch::try_new(Arc::clone(self.schema), columns).expect(
            "the typed batch is built to the table's own schema: each declared column typed as declared \
             (nullable), then each column's text",
        )
    }

    /// The typed values of `columns` on `row`, as one key; `false` when one is blank or did not parse.
    pub fn key(&self, columns: &[usize], row: usize, out: &mut String) -> bool {
        out.clear();
        for (i, &c) in columns.iter().enumerate() {
            if i > 0 {
                out.push('\u{1f}');
            }
            if !canonical(self.typed_column(c), row, out) {
                return false;
            }
        }
        true
    }
}

/// Append a typed value as the text Cleanse writes for it (dates dd/mm/yyyy);
/// `false` for NULL.
pub fn canonical(array: &ArrayRef, row: usize, out: &mut String) -> bool {
    use std::fmt::Write;
    if array.is_null(row) {
        return false;
    }
    let any = array.as_any();
    if let Some(a) = any.downcast_ref::<StringArray>() {
        out.push_str(a.value(row));
    } else if let Some(a) = any.downcast_ref::<Date32Array>() {
        crate::model::values::write_date(a.value(row), false, out);
    } else if let Some(a) = any.downcast_ref::<Int64Array>() {
        let _ = write!(out, "{}", a.value(row));
    } else if let Some(a) = any.downcast_ref::<Float64Array>() {
        let _ = write!(out, "{}", a.value(row));
    } else {
        return false;
    }
    true
}

impl FixBatch<'_> {
    /// A text column's value on one row.
    pub fn str_at(a: &ArrayRef, row: usize) -> &str {
        a.as_any()
            .downcast_ref::<StringArray>()
            .expect("corrections see text columns only")
            .value(row)
    }
}

/// The rule a `fix:` is attached to: what the correction inherits from it.
#[derive(Clone, Copy)]
pub struct Attached<'a> {
    pub id: &'a str,
    pub table: usize,
    pub columns: &'a [usize],
    /// The rule's `when`: the fix applies where the rule does, unless it says otherwise.
    pub when: Option<&'a Spanned<String>>,
}

/// Validate and compile one correction; `rule`: the rule it is attached to.
pub fn compile(
    fixes: &[&'static dyn AnyFix],
    raw: &RawCorrection,
    rule: Option<Attached>,
    tables: &[Table],
    file: &Arc<SourceFile>,
    sql: &SqlContext,
) -> std::result::Result<Correction, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let kind = fixes.iter().find(|k| k.doc().name == raw.kind.value);
    if kind.is_none() {
        let names = fixes.iter().map(|k| k.doc().name);
        diags.push(
            Diagnostic::new(
                "unknown-correction-kind",
                file,
                span(&raw.kind),
                format!("unknown correction kind `{}`", raw.kind.value),
            )
            .label("not a correction kind")
            .help(
                did_you_mean(&raw.kind.value, names.clone())
                    .unwrap_or_else(|| format!("correction kinds: {}", names.collect::<Vec<_>>().join(", "))),
            ),
        );
    }
    let apply = match raw.apply.value.trim() {
        "safe" => Some(Apply::Safe),
        "review" => Some(Apply::Review),
        other => {
            diags.push(
                Diagnostic::new(
                    "unknown-apply",
                    file,
                    span(&raw.apply),
                    format!("unknown `apply` value `{other}`"),
                )
                .label("not `safe` or `review`")
                .help(did_you_mean(other, ["safe", "review"]).unwrap_or_else(|| {
                    "`safe`: applied every run; `review`: proposed until a run is given `--apply review`".into()
                })),
            );
            None
        }
    };
    let id = match (&raw.id, rule) {
        (Some(id), None) => Some(id.value.clone()),
        (None, Some(r)) => Some(format!("{}.fix", r.id)),
        (Some(id), Some(_)) => {
            diags.push(
                Diagnostic::new(
                    "key-not-for-fix",
                    file,
                    span(id),
                    "a rule's `fix` takes its id from the rule",
                )
                .label("remove this")
                .help("the correction is reported as `<rule id>.fix`"),
            );
            None
        }
        (None, None) => {
            diags.push(
                Diagnostic::new("missing-key", file, span(&raw.kind), "this correction needs an `id`")
                    .label("no `id`")
                    .help("add `id: FIX-001` (ids appear in changes.csv; never reuse one)"),
            );
            None
        }
    };
    let table = match (&raw.table, rule) {
        (None, Some(r)) => Some(r.table),
        (Some(t), Some(_)) => {
            diags.push(
                Diagnostic::new(
                    "key-not-for-fix",
                    file,
                    span(t),
                    "a rule's `fix` corrects the rule's table",
                )
                .label("remove this"),
            );
            None
        }
        (Some(t), None) => match tables.iter().position(|x| x.name == t.value) {
            Some(i) => Some(i),
            None => {
                diags.push(
                    Diagnostic::new("unknown-table", file, span(t), format!("unknown table `{}`", t.value))
                        .label("no table with this name")
                        .maybe_help(did_you_mean(&t.value, tables.iter().map(|t| t.name.as_str()))),
                );
                None
            }
        },
        (None, None) => {
            diags.push(
                Diagnostic::new("missing-key", file, span(&raw.kind), "this correction needs a `table`")
                    .label("no `table`")
                    .help("add `table: <table name>`"),
            );
            None
        }
    };
    let (Some(kind), Some(apply), Some(id), Some(ti)) = (kind, apply, id, table) else {
        return Err(diags);
    };
    let doc = kind.doc();
    let t = &tables[ti];
    let columns: Vec<usize> = match (&raw.columns, rule) {
        (Some(cols), _) => cols
            .value
            .iter()
            .filter_map(|n| match t.column(&n.value) {
                Some(i) => Some(i),
                None => {
                    diags.push(unknown_column(file, n, &t.name, &t.columns));
                    None
                }
            })
            .collect(),
        (None, Some(r)) if !r.columns.is_empty() => r.columns.to_vec(),
        _ => {
            diags.push(
                Diagnostic::new("missing-key", file, span(&raw.kind), "this correction needs `columns`")
                    .label("which columns does it change?")
                    .help("add `columns: [column_name]`"),
            );
            Vec::new()
        }
    };
    if !diags.is_empty() {
        return Err(diags);
    }
    let when = match raw.when.as_ref().or(rule.and_then(|r| r.when)) {
        None => None,
        Some(w) => {
            let (expr, _) = condition_in(file, sql, t, w, &t.schema).map_err(|d| vec![d])?;
            Some(sql.physical(&expr, &t.schema).map_err(|e| {
                vec![Diagnostic::new(
                    "bad-sql",
                    file,
                    span(w),
                    format!("cannot evaluate this condition: {e}"),
                )]
            })?)
        }
    };
    let cx = FixCx {
        fixes,
        raw,
        table: t,
        columns: &columns,
        file,
        sql,
        tables,
    };
    let fix = kind.compile(&cx)?;
    Ok(Correction {
        id,
        table: ti,
        columns,
        kind: doc.name,
        stage: kind.stage(),
        apply,
        rule: rule.map(|r| r.id.to_string()),
        when,
        docs: raw
            .docs
            .as_ref()
            .map_or_else(|| doc.summary.to_string(), |d| d.value.trim().to_string()),
        fix: Arc::from(fix),
        declared: crate::spec::names::Declared::at(file, raw.id.as_ref().map_or_else(|| span(&raw.kind), span).start),
    })
}

/// Parameters several kinds document the same way.
pub const KEY: Param = Param {
    name: "key",
    required: true,
    doc: "This table's columns that identify the row in the other table, e.g. `[child_id]`.",
};

/// A spanned list of names, for kinds that take column lists of their own.
pub fn resolve(
    file: &Arc<SourceFile>,
    table: &Table,
    names: &Spanned<Vec<Spanned<String>>>,
) -> std::result::Result<Vec<usize>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for n in &names.value {
        match table.column(&n.value) {
            Some(i) => out.push(i),
            None => diags.push(unknown_column(file, n, &table.name, &table.columns)),
        }
    }
    if diags.is_empty() { Ok(out) } else { Err(diags) }
}
