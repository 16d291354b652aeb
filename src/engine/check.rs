//! Check: evaluate a table's plan over one batch of rows.
//!
//! Three steps, all vectorised: type every declared column (recording which
//! values did not parse), evaluate every row check's DataFusion expression
//! over the whole batch, and hash the rows for the order-dependent checks
//! (`unique`, `duplicate_rows`), which the publish loop resolves in file
//! order. Batches are independent, so they are checked in parallel.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::physical_expr::PhysicalExpr;

use crate::engine::plan::TablePlan;
use crate::model::counts::{ShareCounts, StageTimes};
use crate::model::finding::{Detail, Finding};
use crate::model::table::Table;
use crate::model::typed::{Typed, type_column};
use crate::source::RawBatch;
use crate::spec::rules::RuleSet;

/// One batch after checking, ready for the ordered publish loop.
pub struct Checked {
    pub raw: RawBatch,
    /// Raw text of each declared column (the file's column, or blanks if absent).
    pub declared_raw: Vec<ArrayRef>,
    pub findings: Vec<Finding>,
    /// Per unique rule (in plan order): the key hash of each row, `None` when
    /// a key column is blank or did not parse.
    pub unique_hashes: Vec<Vec<Option<u64>>>,
    /// Whole-row hashes, when the table has a `duplicate_rows` rule.
    pub row_hashes: Option<Vec<u64>>,
    /// Per `share` rule (in plan order): rows it applies to, rows meeting
    /// its condition, rows where the condition could not be evaluated.
    pub measures: Vec<ShareCounts>,
    /// Time spent typing it and evaluating its checks.
    pub spent: StageTimes,
}

pub fn check_batch(set: &RuleSet, plan: &TablePlan, header: &[Option<usize>], raw: RawBatch) -> Checked {
    let started = Instant::now();
    let table = &set.tables[plan.table];
    let n = raw.num_rows();
    let declared_raw = raw.declared(header);
    let typed: Vec<Typed> = table
        .columns
        .iter()
        .zip(&declared_raw)
        .map(|(c, r)| {
            type_column(
                r.as_any().downcast_ref::<StringArray>().expect(crate::engine::TEXT),
                &c.ty,
                plan.pivot,
            )
        })
        .collect();
    let mut columns: Vec<ArrayRef> = typed.iter().map(|t| Arc::clone(&t.array)).collect();
    columns.extend(declared_raw.iter().cloned());
    let batch = RecordBatch::try_new(Arc::clone(&plan.schema), columns).expect(
        "the plan's schema is the table's: each declared column typed as declared (nullable), then its text, \
         which is what `type_column` and the raw columns give, n rows each",
    );
    let typing = started.elapsed();

    let mut findings = Vec::new();
    let failed_at = |col: usize, row: usize| typed[col].failed.as_ref().is_some_and(|f| f[row]);
    for c in &plan.row_checks {
        let severity = set.rules[c.rule].severity;
        let mut push = |row: usize, column, detail| {
            findings.push(Finding {
                rule: c.rule,
                row: row as u32,
                column,
                severity,
                detail,
            })
        };
        let when = c.when.as_ref().map(|w| evaluate(w, &batch));
        let pass = evaluate(&c.pass, &batch);
        for row in 0..n {
            if let Some(when) = &when {
                // A condition over a value that did not parse means nothing
                // (`x IS NOT NULL` is false for it): say so, never skip the row.
                if let Some(&col) = c.when_reads.iter().find(|&&col| failed_at(col, row)) {
                    push(row, Some(col), Detail::Unparsed { column: col });
                    continue;
                }
                match when.get(row) {
                    Ok(Some(true)) => {}
                    Ok(Some(false)) => continue,
                    Ok(None) => {
                        if let Some(&col) = c.when_reads.iter().find(|&&col| failed_at(col, row)) {
                            push(row, Some(col), Detail::Unparsed { column: col });
                        }
                        continue;
                    }
                    Err(e) => {
                        push(row, c.column, Detail::EvalError(e.to_string()));
                        continue;
                    }
                }
            }
            // The same for the check: true or false, over such a value it says nothing.
            if let Some(&col) = c.reads.iter().find(|&&col| failed_at(col, row)) {
                push(row, c.column, Detail::Unparsed { column: col });
                continue;
            }
            match pass.get(row) {
                Ok(Some(true) | None) => {}
                Ok(Some(false)) => push(row, c.column, Detail::Fail),
                Err(e) => push(row, c.column, Detail::EvalError(e.to_string())),
            }
        }
    }
    for &(rule, col, required) in &plan.types {
        let failed = typed[col].failed.as_deref();
        // A blank is a null that did not fail to parse.
        let array = &typed[col].array;
        let bad = |row: usize| failed.is_some_and(|f| f[row]) || (required && array.is_null(row));
        if failed.is_none() && !required {
            continue;
        }
        let severity = set.rules[rule].severity;
        findings.extend((0..n).filter(|&row| bad(row)).map(|row| Finding {
            rule,
            row: row as u32,
            column: Some(col),
            severity,
            detail: Detail::Fail,
        }));
    }
    for &(rule, col) in &plan.code_forms {
        if let Some(f) = &typed[col].loose {
            let severity = set.rules[rule].severity;
            findings.extend(f.iter().enumerate().filter(|(_, x)| **x).map(|(row, _)| Finding {
                rule,
                row: row as u32,
                column: Some(col),
                severity,
                detail: Detail::Fail,
            }));
        }
    }
    let views: Vec<View> = typed.iter().map(|t| View::of(&t.array)).collect();
    let unique_hashes = plan
        .uniques
        .iter()
        .map(|(_, cols)| {
            (0..n)
                .map(|row| key_hash(&views, cols, row, |c| failed_at(c, row)))
                .collect()
        })
        .collect();
    let row_hashes = plan.duplicate_rows.map(|_| {
        let raws: Vec<&StringArray> = raw
            .columns
            .iter()
            .map(|a| a.as_any().downcast_ref::<StringArray>().expect(crate::engine::TEXT))
            .collect();
        (0..n)
            .map(|row| row_hash(table, header, &views, &raws, row, |c| failed_at(c, row)))
            .collect()
    });
    let measures = plan
        .measures
        .iter()
        .map(|m| {
            let mut n = ShareCounts::default();
            let when = m.when.as_ref().map(|w| evaluate(w, &batch));
            let check = evaluate(&m.check, &batch);
            for row in 0..batch.num_rows() {
                let unparsed = m.reads.iter().any(|&c| failed_at(c, row));
                match when.as_ref().map(|w| w.get(row)) {
                    None | Some(Ok(Some(true))) => {}
                    // Whether the row counts at all is unknown: count it, as unknown.
                    Some(Ok(None)) if unparsed => {
                        n.rows += 1;
                        n.unknown += 1;
                        continue;
                    }
                    Some(Err(_)) => {
                        n.rows += 1;
                        n.unknown += 1;
                        continue;
                    }
                    Some(_) => continue,
                }
                n.rows += 1;
                match check.get(row) {
                    Ok(Some(true)) => n.meeting += 1,
                    Ok(None) if unparsed => n.unknown += 1,
                    Err(_) => n.unknown += 1,
                    Ok(_) => {}
                }
            }
            n
        })
        .collect();
    findings.sort_by_key(|f| (f.row, f.rule));
    Checked {
        spent: StageTimes {
            typing,
            rules: started.elapsed() - typing,
            ..StageTimes::default()
        },
        measures,
        raw,
        declared_raw,
        findings,
        unique_hashes,
        row_hashes,
    }
}

enum Outcome {
    Batch(BooleanArray),
    /// The batch could not be evaluated at once: each row's result or error.
    Rows(Vec<Result<Option<bool>, String>>),
}

impl Outcome {
    fn get(&self, row: usize) -> Result<Option<bool>, &str> {
        match self {
            Outcome::Batch(a) => Ok(a.is_valid(row).then(|| a.value(row))),
            Outcome::Rows(r) => r[row].as_ref().map(|v| *v).map_err(String::as_str),
        }
    }
}

/// Evaluate over the whole batch; if that fails, row by row, so a rule that
/// cannot evaluate one row reports that row and still checks the others.
fn evaluate(expr: &Arc<dyn PhysicalExpr>, batch: &RecordBatch) -> Outcome {
    let as_bool = |b: &RecordBatch| -> datafusion::common::Result<BooleanArray> {
        let v = expr.evaluate(b)?.into_array(b.num_rows())?;
        // Validation refuses a check that is not true or false; should one get through, each row
        // says so as "not checked" rather than pass.
        v.as_any().downcast_ref::<BooleanArray>().cloned().ok_or_else(|| {
            datafusion::common::DataFusionError::Execution(format!(
                "the check gives {}, not true or false",
                v.data_type()
            ))
        })
    };
    match as_bool(batch) {
        Ok(v) => Outcome::Batch(v),
        Err(_) => Outcome::Rows(
            (0..batch.num_rows())
                .map(|row| {
                    as_bool(&batch.slice(row, 1))
                        .map(|v| v.is_valid(0).then(|| v.value(0)))
                        .map_err(|e| e.strip_backtrace().lines().next().unwrap_or_default().to_string())
                })
                .collect(),
        ),
    }
}

/// A typed column, downcast once per batch rather than once per row.
enum View<'a> {
    Text(&'a StringArray),
    Date(&'a Date32Array),
    Int(&'a Int64Array),
    Float(&'a Float64Array),
}

impl<'a> View<'a> {
    fn of(a: &'a ArrayRef) -> View<'a> {
        let any = a.as_any();
        if let Some(x) = any.downcast_ref::<StringArray>() {
            View::Text(x)
        } else if let Some(x) = any.downcast_ref::<Date32Array>() {
            View::Date(x)
        } else if let Some(x) = any.downcast_ref::<Int64Array>() {
            View::Int(x)
        } else {
            View::Float(
                any.downcast_ref::<Float64Array>()
                    .expect("typing makes text, dates, integers or decimals"),
            )
        }
    }

    fn is_null(&self, row: usize) -> bool {
        match self {
            View::Text(a) => a.is_null(row),
            View::Date(a) => a.is_null(row),
            View::Int(a) => a.is_null(row),
            View::Float(a) => a.is_null(row),
        }
    }

    fn hash(&self, h: &mut impl Hasher, row: usize) {
        match self {
            View::Text(a) => {
                let s = a.value(row);
                h.write_usize(s.len());
                h.write(s.as_bytes());
            }
            View::Date(a) => h.write_i32(a.value(row)),
            View::Int(a) => h.write_i64(a.value(row)),
            View::Float(a) => h.write_u64(a.value(row).to_bits()),
        }
    }
}

/// Fixed seed: hashes must not change between runs or machines.
fn hasher() -> impl Hasher {
    foldhash::quality::FixedState::with_seed(0x636c_6561_6e73_6521).build_hasher()
}

fn key_hash(views: &[View], cols: &[usize], row: usize, failed: impl Fn(usize) -> bool) -> Option<u64> {
    let mut h = hasher();
    for &c in cols {
        if views[c].is_null(row) || failed(c) {
            return None;
        }
        views[c].hash(&mut h, row);
    }
    Some(h.finish())
}

/// Typed values for declared columns (so formats and code case do not hide
/// a copy), the raw text where a value did not parse, and the raw text of
/// undeclared columns.
fn row_hash(
    table: &Table,
    header: &[Option<usize>],
    views: &[View],
    raws: &[&StringArray],
    row: usize,
    failed: impl Fn(usize) -> bool,
) -> u64 {
    let mut h = hasher();
    for c in 0..table.columns.len() {
        if views[c].is_null(row) {
            h.write_u8(if failed(c) { 2 } else { 0 });
            if failed(c)
                && let Some(i) = header[c]
            {
                h.write(raws[i].value(row).trim().as_bytes());
            }
        } else {
            h.write_u8(1);
            views[c].hash(&mut h, row);
        }
    }
    for (i, raw) in raws.iter().enumerate() {
        if !header.contains(&Some(i)) {
            let s = raw.value(row).trim();
            h.write_usize(s.len());
            h.write(s.as_bytes());
        }
    }
    h.finish()
}
