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
//! recorded like any other correction's. They run in their own last stage, `merge`, which the
//! one pass over the exports stops before (matching needs the tables corrected by every other
//! stage); without a lookup they change nothing.

use crate::model::diag::Diagnostic;
use crate::model::error::Result;
use crate::spec::doc::KindDoc;
use crate::spec::fix::{Fix, FixBatch, FixCx, FixKind, Lookup, Stage};

/// The kind name reports use for these corrections.
pub const KIND: &str = "merge";

/// Registered so that its docs, `cleanse explain merge` and the summary's wording come from
/// one place like every other kind's; a pack cannot declare one.
pub struct Merge;

static DOC: KindDoc = KindDoc {
    name: KIND,
    summary: "Made by a `same_person` rule with `merge:`, never declared on its own: each reference to a merged record is re-pointed to the record that survives, and each blank person field of the survivor is filled from the records merged into it. They run after every declared correction, and every change is in changes.csv.",
    why: "A child recorded twice has two half-histories; merging them in the corrected data, with every re-pointed reference recorded, gives one history while the case-management system is put right.",
    example: "- id: CHI-SAME\n  table: children\n  kind: same_person\n  severity: warning\n  message: This record may be the same child as another record.\n  person: { first_name: first_name, surname: surname, date_of_birth: date_of_birth }\n  merge:\n    survivor: [most_complete]\n    references: [contacts.child_id]",
    params: &[],
};

/// A `merge` takes no keys: it is not declared.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl FixKind for Merge {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn stage(&self) -> Stage {
        Stage::Merge
    }

    fn declarable(&self) -> bool {
        false
    }

    fn compile(&self, _: &Params, cx: &FixCx) -> std::result::Result<Box<dyn Fix>, Vec<Diagnostic>> {
        Err(vec![
            cx.error("merge-declared", cx.at(), "a `merge` correction cannot be declared")
                .label("made by a `same_person` rule, not written")
                .help("give the `same_person` rule a `merge:` (survivor and references); it makes these corrections"),
        ])
    }
}

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
                out.push((row as u32, new.to_string()));
            }
        }
        Ok(())
    }
}
