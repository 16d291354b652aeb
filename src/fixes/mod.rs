//! Fix: declared corrections, applied to each batch before it is checked.
//!
//! A correction proposes a new text for a cell from the row's own values
//! (and, for `fill`, another table's). It never looks at findings: a
//! correction is a function of the row, so every stage of a run sees the
//! same corrected values, and a second run over the corrected output
//! changes nothing. A run corrects each batch once per stage, in steps:
//! up to `fill` while the fill lookups are read, then the rest (see
//! `engine::load`).
//!
//! Order is fixed and documented: corrections run in stages, each stage
//! seeing the previous one's output:
//!
//! ```text
//! normalise → map → date → fill → set → merge
//! ```
//!
//! (`merge` is never declared: a `same_person` rule's merges, decided from the tables corrected
//! by every other stage.)
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

use std::collections::HashMap;
use std::ops::RangeBounds;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray, StringBuilder};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::physical_expr::PhysicalExpr;

use crate::model::error::Result;
use crate::spec::doc::KindDoc;
use crate::spec::fix::{AnyFix, Apply, FixBatch, Lookup, Stage};
use crate::spec::rules::RuleSet;

/// Every correction kind, in the order their stages run. The one place a kind is registered.
pub static FIXES: &[&dyn AnyFix] = &[
    &normalise::Normalise,
    &map::Map,
    &date::DateFix,
    &set::Set,
    &fill::Fill,
    &merge::Merge,
];

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
    /// `stages`: the stages this corrector runs. A run corrects an export in steps, each batch
    /// once per stage: up to `fill` while the fill lookups are read, then the rest.
    pub fn new(
        set: &'a RuleSet,
        table: usize,
        header: &[Option<usize>],
        lookups: &'a Lookups,
        apply_review: bool,
        pivot: u8,
        stages: impl RangeBounds<Stage>,
    ) -> Self {
        let mut steps: Vec<(usize, Option<&Lookup>)> = set
            .corrections
            .iter()
            .enumerate()
            .filter(|(_, c)| c.table == table && stages.contains(&c.stage))
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
                let batch = FixBatch::new(table, &text, &self.schema, self.pivot);
                for &(ci, lookup) in &self.steps[start..end] {
                    let c = &self.set.corrections[ci];
                    let when = c.when.as_ref().map(|w| when_mask(w, &batch.typed_for(w)));
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
                let before = text[col]
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .expect("corrections see text columns only");
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
    /// The corrector for `stages` of a table's corrections.
    pub fn corrector<'a>(
        &'a self,
        set: &'a RuleSet,
        table: usize,
        header: &[Option<usize>],
        pivot: u8,
        stages: impl RangeBounds<Stage>,
    ) -> Corrector<'a> {
        Corrector::new(set, table, header, &self.lookups, self.apply_review, pivot, stages)
    }
}

/// A correction kind's docs by name.
pub fn doc(name: &str) -> Option<&'static KindDoc> {
    FIXES.iter().map(|k| k.doc()).find(|d| d.name == name)
}
