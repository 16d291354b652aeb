//! The rule kinds, one file each, registered in [`KINDS`].
//!
//! A kind's file holds its documentation ([`KindDoc`]: what it checks, why it
//! matters, an example), the keys it takes, and `compile`, which turns one
//! rule from a rules file into a [`Check`]. Adding a kind means adding a file
//! and one line to [`KINDS`]; nothing else needs to know about it.
//!
//! Most kinds compile to [`RowCheck`]s: DataFusion expressions evaluated over
//! a whole batch at once. `unique` and `duplicate_rows` need to see rows in
//! order, so the check stage runs them over hashes instead.

pub mod age;
pub mod check;
pub mod clean_text;
pub mod code_form;
pub mod consistent;
pub mod duplicate_rows;
pub mod length;
pub mod pattern;
pub mod periods;
pub mod range;
pub mod reference;
pub mod related;
pub mod required;
pub mod row_count;
pub mod same_person;
pub mod sequence;
pub mod share;
pub mod type_check;
pub mod unique;

#[cfg(test)]
pub(crate) mod testing;

use crate::spec::kind::{AnyKind, COLUMNS, GROUP, Kind, KindDoc, Param, Registry, RuleCx, WHEN, single_column};
use crate::spec::rules::Check;

/// Every rule kind. The one place a kind is registered.
pub static KINDS: &[&dyn AnyKind] = &[
    &required::Required,
    &type_check::TypeCheck,
    &code_form::CodeForm,
    &pattern::Pattern,
    &length::Length,
    &clean_text::CleanText,
    &range::RangeKind,
    &age::Age,
    &check::SqlCheck,
    &reference::ReferenceKind,
    &related::RelatedKind,
    &periods::PeriodsKind,
    &share::ShareKind,
    &row_count::RowCountKind,
    &sequence::SequenceKind,
    &consistent::ConsistentKind,
    &unique::Unique,
    &duplicate_rows::DuplicateRows,
    &same_person::SamePersonKind,
];

/// What the rules loader is handed: the kinds a pack may name.
pub static REGISTRY: Registry = Registry { kinds: KINDS };

/// A kind's docs by name.
pub fn doc(name: &str) -> Option<&'static KindDoc> {
    KINDS.iter().map(|k| k.doc()).find(|d| d.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kind's documented keys are the keys its parameters take: the docs cannot drift.
    #[test]
    fn documented_keys_are_the_keys_each_kind_reads() {
        for kind in KINDS {
            let doc = kind.doc();
            let mut documented: Vec<&str> = doc.params.iter().map(|p| p.name).collect();
            let mut read: Vec<&str> = kind.keys().to_vec();
            documented.sort_unstable();
            read.sort_unstable();
            assert_eq!(documented, read, "kind `{}`: docs and `Params` disagree", doc.name);
        }
    }
}
