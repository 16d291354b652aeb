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
pub mod aggregate;
pub mod check;
pub mod clean_text;
pub mod code_form;
pub mod collection_year;
pub mod consistent;
pub mod duplicate_rows;
pub mod length;
pub mod pattern;
pub mod periods;
pub mod query;
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
pub mod whole;

#[cfg(test)]
mod fix_examples;
#[cfg(test)]
pub(crate) mod testing;

use crate::spec::compiled::{Check, Ordered, Return, Row};
use crate::spec::doc::{COLUMNS, GROUP, KindDoc, Param, WHEN};
use crate::spec::kind::{AnyKind, Kind, Registry, RuleCx, single_column};

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
    &collection_year::CollectionYear,
    &check::SqlCheck,
    &reference::ReferenceKind,
    &related::RelatedKind,
    &periods::PeriodsKind,
    &share::ShareKind,
    &row_count::RowCountKind,
    &sequence::SequenceKind,
    &query::QueryKind,
    &aggregate::AggregateKind,
    &consistent::ConsistentKind,
    &unique::Unique,
    &duplicate_rows::DuplicateRows,
    &same_person::SamePersonKind,
];

/// What the rules loader is handed: the rule kinds and correction kinds a pack may name.
pub static REGISTRY: Registry = Registry {
    kinds: KINDS,
    fixes: crate::fixes::FIXES,
};

/// A kind's docs by name.
pub fn doc(name: &str) -> Option<&'static KindDoc> {
    KINDS.iter().map(|k| k.doc()).find(|d| d.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_configuration_and_packs_have_no_problems() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let checked = crate::spec::validate::check(
            &[root.join("cleanse.yaml"), root.join("rules")],
            chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            &REGISTRY,
        )
        .unwrap();
        assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
        // The configuration names annex-a.yaml: it is checked once, with it (people.yaml alone,
        // and each SSDA903 and CIN year's pack alone).
        assert_eq!(checked.files.len(), 7, "{:?}", checked.files);
        assert!(checked.rules > 40 && checked.corrections > 5);
    }

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

    /// Rows each kind's doc example should report, over the Annex A tables it names: the kind,
    /// rows of another table (table, rows), the rows, and what is reported (row numbers from 1,
    /// or `table` for the whole table).
    type Shown = (
        &'static str,
        Option<(&'static str, &'static [&'static str])>,
        &'static [&'static str],
        &'static [&'static str],
    );
    const SHOWN: &[Shown] = &[
        (
            "required",
            None,
            &[
                "assessment_start_date: 01/01/2026",
                "assessment_start_date: 01/03/2026",
                "assessment_start_date: 01/01/2026, authorisation_date: 02/01/2026",
            ],
            &["1"],
        ),
        (
            "type",
            None,
            &["contact_date: 31/02/2026", "contact_date: 28/02/2026"],
            &["1"],
        ),
        ("code_form", None, &["gender: a) Male", "gender: A) MALE"], &["2"]),
        (
            "collection_year",
            None,
            &["referral_date: 01/04/2025", "referral_date: 01/04/2026"],
            &["2"],
        ),
        (
            "pattern",
            None,
            &["nhs_number: 943 476 5919", "nhs_number: '94347659'"],
            &["2"],
        ),
        (
            "length",
            None,
            &[
                "allocated_worker: Sam Jones",
                "allocated_worker: Sam Jones was allocated on the second visit after the strategy meeting pending a review",
            ],
            &["2"],
        ),
        ("clean_text", None, &["child_id: ' C1'", "child_id: C1"], &["1"]),
        (
            "range",
            None,
            &["contact_date: 01/04/2026", "contact_date: 31/03/2026"],
            &["1"],
        ),
        (
            "age",
            None,
            &["date_of_birth: 31/03/2000", "date_of_birth: 01/04/2000"],
            &["1"],
        ),
        (
            "check",
            None,
            &[
                "plan_start_date: 01/02/2026, plan_end_date: 01/01/2026",
                "plan_start_date: 01/02/2026",
            ],
            &["1"],
        ),
        (
            "reference",
            Some(("children", &["child_id: C1"])),
            &["child_id: C1", "child_id: C2"],
            &["2"],
        ),
        (
            "related",
            Some(("assessments", &["child_id: C1, assessment_start_date: 01/01/2026"])),
            &[
                "child_id: C1, plan_start_date: 01/02/2026",
                "child_id: C1, plan_start_date: 01/12/2025",
            ],
            &["2"],
        ),
        (
            "periods",
            None,
            &[
                "child_id: C1, plan_start_date: 01/01/2025, plan_end_date: 01/06/2025",
                "child_id: C1, plan_start_date: 01/03/2025",
            ],
            &["1", "2"],
        ),
        (
            "share",
            None,
            &["sex: c) Not stated/recorded", "sex: a) Male"],
            &["table"],
        ),
        ("row_count", None, &[], &["table"]),
        (
            "aggregate",
            None,
            &[
                "child_id: C1, contact_date: 01/03/2026, contact_source: 'a) 1A: Individual'",
                "child_id: C2, contact_date: 02/03/2026, contact_source: 'a) 1A: Individual'",
            ],
            &["table"],
        ),
        (
            "sequence",
            None,
            &[
                "child_id: C1, plan_start_date: 01/01/2025, previous_plans: 1",
                "child_id: C1, plan_start_date: 01/06/2025, previous_plans: 1",
            ],
            &["2"],
        ),
        (
            "consistent",
            None,
            &[
                "child_id: C1, date_of_birth: 01/02/2015",
                "child_id: C1, date_of_birth: 02/02/2015",
                "child_id: C1, date_of_birth: 2015-02-01",
            ],
            &["2"],
        ),
        (
            "unique",
            None,
            &[
                "child_id: C1, contact_date: 01/03/2026, contact_source: 'a) 1A: Individual', gender: a) Male",
                "child_id: C1, contact_date: 01/03/2026, contact_source: 'a) 1A: Individual'",
            ],
            &["2"],
        ),
        (
            "query",
            None,
            &[
                "child_id: C1, plan_start_date: 01/01/2026",
                "child_id: C1, plan_start_date: 01/03/2026",
                "child_id: C2, plan_start_date: 01/02/2026",
            ],
            &["1"],
        ),
        (
            "duplicate_rows",
            None,
            &[
                "child_id: C1, contact_date: 01/03/2026",
                "child_id: C1, contact_date: 2026-03-01",
            ],
            &["2"],
        ),
        (
            "same_person",
            None,
            &[
                "child_id: C1, first_name: Jayden, surname: Smith, date_of_birth: 07/03/2013, sex: a) Male, postcode: B18 2JP",
                "child_id: C2, first_name: Olivia, surname: Patel, date_of_birth: 14/06/2015, sex: b) Female, postcode: NF1 4DX",
                "child_id: C3, first_name: Jaden, surname: Smyth, date_of_birth: 03/07/2013, sex: a) Male, postcode: B18 2JP",
            ],
            &["3"],
        ),
    ];

    /// A doc can never show a rule that does not load, or one that does not report what it is
    /// about: each kind's example is loaded against the Annex A tables and run over rows.
    #[test]
    fn every_kinds_doc_example_loads_and_reports_a_row_it_should() {
        for kind in KINDS {
            let doc = kind.doc();
            let pack = testing::Pack::annex_a().rule(doc.example);
            assert_eq!(
                pack.diags(),
                Vec::<String>::new(),
                "kind `{}`: its example does not load",
                doc.name
            );
            let (_, given, rows, want) = SHOWN
                .iter()
                .find(|s| s.0 == doc.name)
                .unwrap_or_else(|| panic!("kind `{}`: add rows its example reports to SHOWN", doc.name));
            let pack = match given {
                Some((table, rows)) => pack.given(table, rows),
                None => pack,
            };
            let report = pack.report(rows);
            let reported: Vec<&str> = report.iter().map(|r| r.split(':').next().unwrap_or_default()).collect();
            assert_eq!(reported, *want, "kind `{}`: its example reports {report:#?}", doc.name);
        }
    }
}
