//! `merge`: the corrections a `same_person` rule with `merge:` makes, not declared on their own.
//!
//! The dedupe stage decides, per person, which record survives; it hands each of these
//! corrections a [`Lookup`] before the tables are routed:
//!
//! - **re-point**: in a column of another table that holds the person table's key, a merged
//!   record's id → the survivor's id;
//! - **fill**: in a person field of the person table, the survivor's id → a value from a merged
//!   record, written only where the survivor's cell is blank.
//!
//! So every merged value and every re-pointed reference is a change in `changes.csv`, made and
//! recorded like any other correction's. Without a lookup (before matching has run, as when the
//! relate stage reads the exports) they change nothing.

use super::{Fix, FixBatch, Lookup};
use crate::model::error::Result;

/// The kind name reports use for these corrections.
pub const KIND: &str = "merge";

#[derive(Debug, Clone, Copy)]
pub enum MergeFix {
    /// The cell holds a person's id: re-point it.
    Repoint,
    /// The cell is a person field of the record whose id is in `key`: fill it when blank.
    Fill { key: usize },
}

impl Fix for MergeFix {
    fn propose(
        &self,
        b: &FixBatch,
        column: usize,
        lookup: Option<&Lookup>,
        out: &mut Vec<(u32, String)>,
    ) -> Result<()> {
        let Some(lookup) = lookup else {
            return Ok(());
        };
        let text = b.text(column);
        for row in 0..b.num_rows() {
            let (id, blank_only) = match self {
                MergeFix::Repoint => (text.value(row).trim(), false),
                MergeFix::Fill { key } => (b.text(*key).value(row).trim(), true),
            };
            if id.is_empty() || blank_only && !text.value(row).trim().is_empty() {
                continue;
            }
            if let Some(Some(new)) = lookup.get(id)
                && new != text.value(row)
            {
                out.push((row as u32, new.clone()));
            }
        }
        Ok(())
    }
}
