//! Lookups: what `fill` corrections read from another table, gathered from that table's
//! batches as its one pass goes by, corrected up to its own `fill` stage.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;

use crate::model::lookup::Pairs;
use crate::source::RawBatch;
use crate::spec::config::Config;
use crate::spec::fix::{FixBatch, Lookup, canonical};
use crate::spec::rules::RuleSet;

/// A `fill` correction's lookup: the other table's key → its value.
pub struct Want {
    pub correction: usize,
    /// The table it reads.
    pub table: usize,
    key: Vec<usize>,
    value: usize,
}

/// The lookups the corrections need, and the corrections that cannot run because their other
/// table has no export (with the reason).
pub fn wanted(set: &RuleSet, config: &Config) -> (Vec<Want>, Vec<(usize, String)>) {
    let mut wants = Vec::new();
    let mut not_run = Vec::new();
    for (ci, c) in set.corrections.iter().enumerate() {
        let Some((other, key, value)) = c.fix.needs() else {
            continue;
        };
        if !config.inputs.iter().any(|i| i.table == set.tables[other].name) {
            not_run.push((ci, format!("no export was given for `{}`", set.tables[other].name)));
            continue;
        }
        wants.push(Want {
            correction: ci,
            table: other,
            key: key.to_vec(),
            value,
        });
    }
    (wants, not_run)
}

impl Want {
    /// The (key, value) pairs one batch of the other table gives (`header`: declared column →
    /// file column). Pure, so batches can be read in parallel.
    pub fn pairs(&self, set: &RuleSet, pivot: u8, header: &[Option<usize>], raw: &RawBatch) -> Pairs {
        let table = &set.tables[self.table];
        let schema: SchemaRef = Arc::new(table.schema.as_arrow().clone());
        let n = raw.num_rows();
        let text = raw.declared(header);
        let batch = FixBatch::new(table, &text, &schema, pivot);
        let value = batch.typed_column(self.value);
        let mut out = Pairs::default();
        let (mut k, mut v) = (String::new(), String::new());
        for row in 0..n {
            v.clear();
            if batch.key(&self.key, row, &mut k) && canonical(value, row, &mut v) {
                out.push(&k, &v);
            }
        }
        out
    }
}

/// Add pairs to a lookup: a key keeps its value while every row agrees on it, and holds
/// `None` once two rows disagree.
pub fn add(lookup: &mut Lookup, pairs: Pairs) {
    lookup.agree_all(&pairs);
}
