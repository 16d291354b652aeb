//! `duplicate_rows`: no row may repeat an earlier one exactly.

use super::{Check, Kind, KindDoc, Ordered, RuleCx};
use crate::model::diag::Diagnostic;

pub struct DuplicateRows;

static DOC: KindDoc = KindDoc {
    name: "duplicate_rows",
    summary: "A row whose every value equals an earlier row's (typed values for declared columns, so date formats and code case do not hide a copy; text for the rest). The first copy is kept; later copies are reported with the line of the first. A copy is not also reported by `unique` rules.",
    why: "Exact copies come from exports run twice or joins that fan out; they inflate every count built on the list.",
    example: "- id: CON-006\n  table: contacts\n  kind: duplicate_rows\n  severity: error\n  message: This row is an exact copy of an earlier row.",
    params: &[],
};

/// A `duplicate_rows` rule takes no keys of its own.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Kind for DuplicateRows {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, _: &Params, _: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        Ok(Check::Ordered(Ordered::DuplicateRows))
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack() -> Pack {
        Pack::table("t", "id, d: date, g: [a) Male, b) Female], a").rule("kind: duplicate_rows")
    }

    #[test]
    fn reports_later_copies_of_an_earlier_row() {
        let rows = [
            "id: C1, d: 05/03/2025, g: a) Male, a: x",
            "id: C1, d: 2025-03-05, g: A) MALE, a: x",
            "id: C1, d: 05/03/2025, g: a) Male, a: X",
            "id: C1, d: 05/03/2025, g: a) Male",
            "id: C1, d: 05/03/2025, g: a) Male, a: x",
        ];
        // Row 2 is row 1 with the date and code written another way; rows 3 and 4 differ in `a`.
        assert_eq!(
            pack().report(&rows),
            [
                "2: Reported. The first copy, on line 2, was kept.",
                "5: Reported. The first copy, on line 2, was kept."
            ]
        );
    }

    #[test]
    fn blank_lines_are_not_copies() {
        assert_eq!(
            pack().report(&["", "", "id: C1", "id: C1"]),
            ["4: Reported. The first copy, on line 4, was kept."]
        );
    }

    #[test]
    fn it_takes_no_keys() {
        assert_eq!(
            Pack::table("t", "id")
                .rule("kind: duplicate_rows\ncolumns: [id]")
                .diags(),
            ["key-not-for-kind: rule kind `duplicate_rows` does not take `columns`"]
        );
    }
}
