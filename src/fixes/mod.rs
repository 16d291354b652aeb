//! Fix: declared corrections, applied to each batch before it is checked.
//!
//! A correction proposes a new text for a cell from the row's own values
//! (and, for `fill`, another table's). It never looks at findings: a
//! correction is a function of the row, so the relate stage, which reads
//! the exports on its own, sees exactly the values the check stage does,
//! and a second run over the corrected output changes nothing.
//!
//! Order is fixed and documented: corrections run in stages, each stage
//! seeing the previous one's output:
//!
//! ```text
//! normalise → map → date → fill → set
//! ```
//!
//! `set` runs last so a value derived from others (an age from a date of
//! birth) is derived from their corrected, filled values.
//!
//! Within a stage, corrections run in the order the packs declare them.
//! Two corrections of one stage that want different values in the same
//! cell are both withheld and reported as a conflict; agreeing ones are
//! credited to the first. `review` corrections are proposed, not applied,
//! unless the run is told to apply them (`--apply review`).
//!
//! Each correction kind lives in its own file and is registered in
//! [`FIXES`]; its file holds its documentation and what it proposes.

pub mod date;
pub mod fill;
pub mod map;
pub mod merge;
pub mod normalise;
pub mod set;

use std::cell::OnceCell;
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray, StringBuilder,
};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::physical_expr::PhysicalExpr;
use serde::Serialize;

use crate::model::diag::{Diagnostic, SourceFile, did_you_mean};
use crate::model::error::{Error, Result};
use crate::model::table::Table;
use crate::spec::kind::{KindDoc, Param, condition_in};
use crate::spec::raw::RawCorrection;
use crate::spec::rules::{RuleSet, unknown_column};
use crate::spec::sql::SqlContext;
use crate::spec::yaml::{Spanned, span};

/// Every correction kind, in the order their stages run. The one place a kind is registered.
pub static FIXES: &[&dyn FixKind] = &[&normalise::Normalise, &map::Map, &date::DateFix, &set::Set, &fill::Fill];

/// When a correction runs: stages run in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Normalise,
    Map,
    Date,
    Fill,
    Set,
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
    pub declared: crate::spec::rules::Declared,
}

/// A correction kind: its documentation and how to compile one.
pub trait FixKind: Sync {
    fn doc(&self) -> &'static KindDoc;
    fn stage(&self) -> Stage;
    fn compile(&self, cx: &FixCx) -> std::result::Result<Box<dyn Fix>, Vec<Diagnostic>>;
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
pub type Lookup = HashMap<String, Option<String>>;

/// The keys every correction takes, besides its kind's.
pub const COMMON: &[&str] = &["id", "table", "kind", "apply", "columns", "when", "docs"];

/// Everything a correction kind needs to compile one correction.
pub struct FixCx<'a> {
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
    typed: OnceCell<RecordBatch>,
}

impl<'a> FixBatch<'a> {
    /// `text`: the current text of each declared column; `schema`: the table's typed schema.
    pub fn new(table: &'a Table, text: &'a [ArrayRef], schema: &'a SchemaRef, pivot: u8) -> Self {
        FixBatch {
            table,
            text,
            schema,
            pivot,
            typed: OnceCell::new(),
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
            .expect("text columns")
    }

    /// The batch typed as rules see it (typed columns, then raw text).
    pub fn typed(&self) -> Result<&RecordBatch> {
        if let Some(b) = self.typed.get() {
            return Ok(b);
        }
        let mut columns: Vec<ArrayRef> = self
            .table
            .columns
            .iter()
            .enumerate()
            .map(|(c, col)| crate::model::typed::typed_column(self.text(c), &col.ty, self.pivot))
            .collect();
        columns.extend(self.text.iter().cloned());
        let batch = RecordBatch::try_new(Arc::clone(self.schema), columns)
            .map_err(|e| Error::Internal(format!("typing `{}` for corrections: {e}", self.table.name)))?;
        Ok(self.typed.get_or_init(|| batch))
    }

    /// The typed values of `columns` on `row`, as one key; `false` when one is blank or did not parse.
    pub fn key(&self, columns: &[usize], row: usize, out: &mut String) -> Result<bool> {
        let typed = self.typed()?;
        out.clear();
        for (i, &c) in columns.iter().enumerate() {
            if i > 0 {
                out.push('\u{1f}');
            }
            if !canonical(typed.column(c), row, out) {
                return Ok(false);
            }
        }
        Ok(true)
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

/// What happened to a proposed change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Applied,
    /// A `review` correction the run was not told to apply.
    Proposed,
    /// Another correction of the same stage wanted a different value; neither was applied.
    Conflict,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Applied => "applied",
            Status::Proposed => "proposed",
            Status::Conflict => "conflict",
        }
    }
}

/// One cell a correction changed, or would have.
#[derive(Debug, Clone)]
pub struct Change {
    pub row: u32,
    /// Declared column.
    pub column: usize,
    pub old: String,
    pub new: String,
    /// Index into `RuleSet::corrections`.
    pub correction: usize,
    pub status: Status,
}

/// A table's corrections, ready to apply to its batches.
pub struct Corrector<'a> {
    set: &'a RuleSet,
    table: usize,
    /// Indices into `set.corrections`, in application order, with their lookups.
    steps: Vec<(usize, Option<&'a Lookup>)>,
    /// Declared column → file column.
    header: Vec<Option<usize>>,
    schema: SchemaRef,
    apply_review: bool,
    pivot: u8,
}

impl<'a> Corrector<'a> {
    /// `until`: run only stages before this one (the fill lookups read other
    /// tables corrected up to their own `fill` stage).
    pub fn new(
        set: &'a RuleSet,
        table: usize,
        header: &[Option<usize>],
        lookups: &'a Lookups,
        apply_review: bool,
        pivot: u8,
        until: Option<Stage>,
    ) -> Self {
        let mut steps: Vec<(usize, Option<&Lookup>)> = set
            .corrections
            .iter()
            .enumerate()
            .filter(|(_, c)| c.table == table && until.is_none_or(|u| c.stage < u))
            // A correction whose other table was not given has nothing to fill from.
            .filter(|(i, c)| c.fix.needs().is_none() || lookups.get(i).is_some())
            .map(|(i, _)| (i, lookups.get(&i)))
            .collect();
        steps.sort_by_key(|&(i, _)| (set.corrections[i].stage, i));
        Corrector {
            set,
            table,
            steps,
            header: header.to_vec(),
            schema: Arc::new(set.tables[table].schema.as_arrow().clone()),
            apply_review,
            pivot,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Correct a batch's cells in place (`columns`: one text column per file column, `n`
    /// rows); every change, applied or not, in row order.
    pub fn apply(&self, columns: &mut [ArrayRef], n: usize) -> Result<Vec<Change>> {
        let mut changes = Vec::new();
        if self.steps.is_empty() || n == 0 {
            return Ok(changes);
        }
        let table = &self.set.tables[self.table];
        let mut text: Vec<ArrayRef> = self
            .header
            .iter()
            .map(|c| match c {
                Some(i) => Arc::clone(&columns[*i]),
                None => Arc::new(StringArray::from(vec![""; n])) as ArrayRef,
            })
            .collect();
        let mut proposals = Vec::new();
        let mut cells: Vec<(usize, u32, usize, String)> = Vec::new();
        let mut start = 0;
        while start < self.steps.len() {
            let stage = self.set.corrections[self.steps[start].0].stage;
            let end = start
                + self.steps[start..]
                    .iter()
                    .take_while(|(i, _)| self.set.corrections[*i].stage == stage)
                    .count();
            cells.clear();
            {
                // Every correction of a stage sees the same values.
                let batch = FixBatch {
                    table,
                    text: &text,
                    schema: &self.schema,
                    pivot: self.pivot,
                    typed: OnceCell::new(),
                };
                for &(ci, lookup) in &self.steps[start..end] {
                    let c = &self.set.corrections[ci];
                    let when = match &c.when {
                        Some(w) => Some(when_mask(w, batch.typed()?)),
                        None => None,
                    };
                    for &col in &c.columns {
                        // A column the export does not have cannot be written.
                        if self.header[col].is_none() {
                            continue;
                        }
                        proposals.clear();
                        c.fix.propose(&batch, col, lookup, &mut proposals)?;
                        for (row, new) in proposals.drain(..) {
                            if when.as_ref().is_none_or(|m| m[row as usize]) {
                                cells.push((col, row, ci, new));
                            }
                        }
                    }
                }
            }
            start = end;
            if cells.is_empty() {
                continue;
            }
            cells.sort_by_key(|(col, row, ci, _)| (*col, *row, *ci));
            let mut replace: HashMap<usize, Vec<(u32, usize)>> = HashMap::new();
            let mut k = 0;
            while k < cells.len() {
                let (col, row) = (cells[k].0, cells[k].1);
                let same = cells[k..].iter().take_while(|c| c.0 == col && c.1 == row).count();
                let group = &cells[k..k + same];
                let old = FixBatch::str_at(&text[col], row as usize).to_string();
                if group.iter().all(|c| c.3 == group[0].3) {
                    let applicable = |ci: usize| self.apply_review || self.set.corrections[ci].apply == Apply::Safe;
                    let (who, status) = match group.iter().find(|c| applicable(c.2)) {
                        Some(c) => (c, Status::Applied),
                        None => (&group[0], Status::Proposed),
                    };
                    if status == Status::Applied {
                        replace.entry(col).or_default().push((row, changes.len()));
                    }
                    changes.push(Change {
                        row,
                        column: col,
                        old,
                        new: who.3.clone(),
                        correction: who.2,
                        status,
                    });
                } else {
                    for c in group {
                        changes.push(Change {
                            row,
                            column: col,
                            old: old.clone(),
                            new: c.3.clone(),
                            correction: c.2,
                            status: Status::Conflict,
                        });
                    }
                }
                k += same;
            }
            for (col, rows) in replace {
                let before = text[col].as_any().downcast_ref::<StringArray>().expect("text");
                let mut b = StringBuilder::with_capacity(n, before.value_data().len());
                let mut next = rows.iter().peekable();
                for row in 0..n {
                    match next.next_if(|(r, _)| *r as usize == row) {
                        Some((_, change)) => b.append_value(&changes[*change].new),
                        None => b.append_value(before.value(row)),
                    }
                }
                text[col] = Arc::new(b.finish());
            }
        }
        for (c, array) in text.into_iter().enumerate() {
            if let Some(i) = self.header[c] {
                columns[i] = array;
            }
        }
        changes.sort_by_key(|c| (c.row, c.column, c.correction));
        Ok(changes)
    }
}

impl FixBatch<'_> {
    fn str_at(a: &ArrayRef, row: usize) -> &str {
        a.as_any().downcast_ref::<StringArray>().expect("text").value(row)
    }
}

/// Rows where `when` is true (NULL and errors count as false: no change is made).
fn when_mask(expr: &Arc<dyn PhysicalExpr>, batch: &RecordBatch) -> Vec<bool> {
    let n = batch.num_rows();
    let eval = |b: &RecordBatch| -> Option<BooleanArray> {
        let v = expr.evaluate(b).ok()?.into_array(b.num_rows()).ok()?;
        v.as_any().downcast_ref::<BooleanArray>().cloned()
    };
    match eval(batch) {
        Some(a) => (0..n).map(|r| a.is_valid(r) && a.value(r)).collect(),
        None => (0..n)
            .map(|r| eval(&batch.slice(r, 1)).is_some_and(|a| a.is_valid(0) && a.value(0)))
            .collect(),
    }
}

/// Per correction (index into `RuleSet::corrections`): what it reads from another table.
pub type Lookups = HashMap<usize, Lookup>;

/// What a run needs to correct any table: the lookups, read once, and whether
/// `review` corrections are applied.
pub struct Fixes {
    pub lookups: Lookups,
    pub apply_review: bool,
    /// Corrections that cannot run, with the reason (their other table has no export).
    pub not_run: Vec<(usize, String)>,
}

impl Fixes {
    pub fn corrector<'a>(
        &'a self,
        set: &'a RuleSet,
        table: usize,
        header: &[Option<usize>],
        pivot: u8,
    ) -> Corrector<'a> {
        Corrector::new(set, table, header, &self.lookups, self.apply_review, pivot, None)
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
    raw: &RawCorrection,
    rule: Option<Attached>,
    tables: &[Table],
    file: &Arc<SourceFile>,
    sql: &SqlContext,
) -> std::result::Result<Correction, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let kind = FIXES.iter().find(|k| k.doc().name == raw.kind.value);
    if kind.is_none() {
        let names = FIXES.iter().map(|k| k.doc().name);
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
    crate::spec::kind::check_params(
        doc,
        "correction",
        &COMMON.join(", "),
        &raw.present_params(),
        span(&raw.kind),
        file,
        &mut diags,
    );
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
        declared: crate::spec::rules::Declared::at(file, raw.id.as_ref().map_or_else(|| span(&raw.kind), span).start),
    })
}

/// A correction kind's docs by name.
pub fn doc(name: &str) -> Option<&'static KindDoc> {
    FIXES.iter().map(|k| k.doc()).find(|d| d.name == name)
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

#[cfg(test)]
mod tests {
    use super::FIXES;
    use crate::kinds::testing::Pack;

    /// A row of each correction kind's doc example's table, rows of another table it reads, and
    /// what the example writes in it.
    type Shown = (
        &'static str,
        &'static str,
        Option<(&'static str, &'static str)>,
        &'static [&'static str],
    );
    const SHOWN: &[Shown] = &[
        (
            "normalise",
            "child_id: ' C1 ', first_name: Theo,  surname: 'Van  Dijk'",
            None,
            &["1 Child Unique ID: C1", "1 Surname: Van Dijk"],
        ),
        ("map", "gender: M", None, &["1 Gender: a) Male"]),
        (
            "date",
            "contact_date: 2026-03-01, date_of_birth: 1/2/15",
            None,
            &["1 Date of Birth: 01/02/2015", "1 Date of Contact: 01/03/2026"],
        ),
        (
            "set",
            "date_of_birth: 01/02/2015, contact_date: 01/03/2026, age: 3",
            None,
            &["1 Age of Child (Years): 11"],
        ),
        (
            "fill",
            "child_id: C1",
            Some(("children", "child_id: C1, date_of_birth: 01/02/2015")),
            &["1 Date of Birth: 01/02/2015"],
        ),
    ];

    /// A doc can never show a correction that does not load, or one that changes nothing: each
    /// correction kind's example (a correction, or a rule with a `fix:`) is loaded against the
    /// Annex A tables and run over a row.
    #[test]
    fn every_correction_kinds_doc_example_loads_and_changes_a_value() {
        for kind in FIXES {
            let doc = kind.doc();
            let top_kind = doc
                .example
                .lines()
                .find_map(|l| l.trim().strip_prefix("kind: "))
                .expect("the example names its kind");
            let pack = if crate::kinds::REGISTRY.kind(top_kind).is_some() {
                Pack::annex_a().rule(doc.example).fix()
            } else {
                Pack::annex_a().correction(doc.example)
            };
            assert_eq!(
                pack.diags(),
                Vec::<String>::new(),
                "`{}`: its example does not load",
                doc.name
            );
            let (_, row, given, want) = SHOWN
                .iter()
                .find(|s| s.0 == doc.name)
                .unwrap_or_else(|| panic!("`{}`: add a row its example corrects to SHOWN", doc.name));
            let pack = match given {
                Some((table, row)) => pack.given(table, &[row]),
                None => pack,
            };
            assert_eq!(pack.changes(&[row]), *want, "`{}`", doc.name);
        }
    }
}
