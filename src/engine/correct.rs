//! Correct and check: a batch corrected the rest of the way, checked, and its changed rows
//! checked again as the export had them, to tell which findings the corrections resolved.

use std::collections::HashMap;

use datafusion::arrow::array::{Array, StringArray};

use crate::engine::TEXT;
use crate::engine::check::{Checked, check_batch};
use crate::engine::load::add_changes;
use crate::fixes::{self, Change, Corrector};
use crate::model::counts::StageTimes;
use crate::model::error::Result;
use crate::model::finding::Finding;
use crate::source::held::Batch;
use crate::spec::rules::RuleSet;

/// A batch corrected and checked, with what the corrections resolved.
pub(crate) struct Fixed {
    pub(crate) checked: Checked,
    /// Every change, applied or not, in row order.
    pub(crate) changes: Vec<Change>,
    /// The export's values of the rows corrections changed, checked as they
    /// were: `rows[i]` is the batch row of sub-batch row `i`.
    pub(crate) before: Option<(Vec<u32>, Checked)>,
    /// Findings on the export's values that the corrected values do not
    /// have, with `row` indexing `before`'s rows; in row order.
    pub(crate) resolved: Vec<Finding>,
    /// Time spent correcting, typing and checking it (the original values' check included).
    pub(crate) spent: StageTimes,
}

/// Correct a batch the rest of the way, check the corrected values, and check the changed rows'
/// original values too, to tell which findings the corrections resolved. A correction's error
/// comes back as it was raised.
pub(crate) fn correct_and_check(
    set: &RuleSet,
    plan: &crate::engine::plan::TablePlan,
    header: &[Option<usize>],
    corrector: &Corrector,
    batch: Batch,
) -> Result<Fixed> {
    let Batch { mut raw, mut changes } = batch;
    let n = raw.num_rows();
    let started = std::time::Instant::now();
    add_changes(&mut changes, corrector.apply(&mut raw.columns, n)?);
    let mut spent = StageTimes {
        correct: started.elapsed(),
        ..StageTimes::default()
    };
    let mut rows: Vec<u32> = changes
        .iter()
        .filter(|c| c.status == fixes::Status::Applied)
        .map(|c| c.row)
        .collect();
    rows.dedup();
    let before = (!rows.is_empty()).then(|| {
        let sub = originals(set, header, &raw, &changes, &rows);
        (rows, check_batch(set, plan, header, sub))
    });
    let checked = check_batch(set, plan, header, raw);
    spent += checked.spent;
    let mut resolved = Vec::new();
    if let Some((rows, b)) = &before {
        spent += b.spent;
        // Both lists are sorted by row.
        for f in &b.findings {
            let row = rows[f.row as usize];
            let from = checked.findings.partition_point(|a| a.row < row);
            let still = checked.findings[from..]
                .iter()
                .take_while(|a| a.row == row)
                .any(|a| a.rule == f.rule && a.column == f.column);
            if !still {
                resolved.push(f.clone());
            }
        }
    }
    Ok(Fixed {
        checked,
        changes,
        before,
        resolved,
        spent,
    })
}

/// The export's own values of a batch's changed `rows` (in order), as they were before any
/// correction: each changed cell's value before its earliest stage's change.
fn originals(
    set: &RuleSet,
    header: &[Option<usize>],
    raw: &crate::source::RawBatch,
    changes: &[Change],
    rows: &[u32],
) -> crate::source::RawBatch {
    let idx = datafusion::arrow::array::UInt32Array::from(rows.to_vec());
    let mut columns: Vec<datafusion::arrow::array::ArrayRef> = raw
        .columns
        .iter()
        .map(|a| {
            datafusion::arrow::compute::take(a.as_ref(), &idx, None)
                .expect("`take` of a text column at rows of its own batch (every row < n)")
        })
        .collect();
    // (file column, row in `rows`) → (stage, the value before).
    let mut first: HashMap<(usize, usize), (crate::spec::fix::Stage, &str)> = HashMap::new();
    for ch in changes.iter().filter(|c| c.status == fixes::Status::Applied) {
        let Some(i) = header[ch.column] else { continue };
        let at = rows
            .binary_search(&ch.row)
            .expect("`rows` holds every row with an applied change");
        let stage = set.corrections[ch.correction].stage;
        let held = first.entry((i, at)).or_insert((stage, ch.old.as_str()));
        if stage < held.0 {
            *held = (stage, ch.old.as_str());
        }
    }
    let mut by_column: HashMap<usize, Vec<(usize, &str)>> = HashMap::new();
    for ((i, at), (_, old)) in first {
        by_column.entry(i).or_default().push((at, old));
    }
    for (i, cells) in by_column {
        let now = columns[i].as_any().downcast_ref::<StringArray>().expect(TEXT);
        let mut values: Vec<&str> = (0..now.len()).map(|r| now.value(r)).collect();
        for (at, old) in cells {
            values[at] = old;
        }
        columns[i] = std::sync::Arc::new(StringArray::from(values));
    }
    crate::source::RawBatch {
        lines: rows.iter().map(|&r| raw.lines[r as usize]).collect(),
        columns,
        bad: Vec::new(),
        cell_issues: Vec::new(),
        fields_1252: 0,
        verbatim: None,
        positions: None,
    }
}
