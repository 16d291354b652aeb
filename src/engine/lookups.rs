//! Lookups: what `fill` corrections read from another table, gathered once before any row is
//! routed.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringArray};
use datafusion::arrow::datatypes::SchemaRef;

use crate::fixes::{Corrector, Fixes, Lookups};
use crate::model::error::Result;
use crate::source::CsvSource;
use crate::spec::config::Config;
use crate::spec::fix::{FixBatch, Lookup, Stage, canonical};
use crate::spec::rules::RuleSet;

/// Read every lookup the corrections need, each from its table's export
/// corrected up to the `fill` stage. Corrections whose table has no export
/// are left out, with the reason.
pub fn prepare(set: &RuleSet, config: &Config, apply_review: bool, batch_rows: usize) -> Result<Fixes> {
    let mut lookups = Lookups::new();
    let mut not_run = Vec::new();
    let none = Lookups::new();
    for (ci, c) in set.corrections.iter().enumerate() {
        let Some((other, key, value)) = c.fix.needs() else {
            continue;
        };
        let Some(input) = config.inputs.iter().find(|i| i.table == set.tables[other].name) else {
            not_run.push((ci, format!("no export was given for `{}`", set.tables[other].name)));
            continue;
        };
        let table = &set.tables[other];
        let mut source = CsvSource::open(&input.path, table, input.dialect())?;
        let corrector = Corrector::new(
            set,
            other,
            &source.header.columns,
            &none,
            apply_review,
            config.pivot,
            Some(Stage::Fill),
        );
        let schema: SchemaRef = Arc::new(table.schema.as_arrow().clone());
        let mut lookup = Lookup::new();
        let (mut k, mut v) = (String::new(), String::new());
        while let Some(mut raw) = source.next_batch(batch_rows)? {
            let n = raw.num_rows();
            corrector.apply(&mut raw.columns, n)?;
            let text: Vec<ArrayRef> = source
                .header
                .columns
                .iter()
                .map(|c| match c {
                    Some(i) => Arc::clone(&raw.columns[*i]),
                    None => Arc::new(StringArray::from(vec![""; n])) as ArrayRef,
                })
                .collect();
            let batch = FixBatch::new(table, &text, &schema, config.pivot);
            let typed = batch.typed();
            for row in 0..n {
                v.clear();
                if !batch.key(key, row, &mut k) || !canonical(typed.column(value), row, &mut v) {
                    continue;
                }
                match lookup.get_mut(k.as_str()) {
                    None => {
                        lookup.insert(k.clone(), Some(v.clone()));
                    }
                    Some(held) => {
                        if held.as_deref() != Some(v.as_str()) {
                            *held = None;
                        }
                    }
                }
            }
        }
        lookups.insert(ci, lookup);
    }
    Ok(Fixes {
        lookups,
        apply_review,
        not_run,
    })
}
