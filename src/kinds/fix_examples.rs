//! Each correction kind's doc example, loaded and run (tests only). It lives here, above
//! `fixes/`, because it runs through the rule kinds' test harness.

use crate::fixes::FIXES;
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
        if !kind.declarable() {
            // Its example is the rule that makes it (a `same_person` rule's `merge:`).
            let diags = Pack::annex_a().rule(doc.example).diags();
            assert_eq!(diags, Vec::<String>::new(), "`{}`: its example does not load", doc.name);
            continue;
        }
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
