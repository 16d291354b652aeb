//! `consistent`: columns must hold the same value in every row of a group.

use super::{COLUMNS, Check, GROUP, Kind, KindDoc, RuleCx};
use crate::model::diag::Diagnostic;
use crate::spec::compiled::Consistent;
use crate::spec::keys::Columns;

pub struct ConsistentKind;

static DOC: KindDoc = KindDoc {
    name: "consistent",
    summary: "Within each group (e.g. per child), each of `columns` must hold the same value in every row. Values compare as typed (a date written two ways is one date; a code in the wrong case is that code). A row whose value differs from the group's most common value (on a tie, the value on the earliest line) is reported, naming the earliest line that holds the most common value. Blank values and rows with a blank group are left to `required`; a value that did not parse is reported as not checked.",
    why: "A child has one date of birth and one recorded gender, however many contacts or plans they have; when lists disagree, ages, cohorts and equality monitoring are built on whichever record a report happens to pick, and a mismatch often means two children have been merged under one id.",
    example: "- id: CON-009\n  table: contacts\n  kind: consistent\n  group: [child_id]\n  columns: [date_of_birth]\n  severity: error\n  message: The child's Date of Birth differs between their contacts.",
    params: &[GROUP, COLUMNS],
};

/// The keys a `consistent` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub group: Columns,
    pub columns: Columns,
}

impl Kind for ConsistentKind {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let group = cx.group(&p.group);
        let columns = cx.columns(&p.columns);
        match (group, columns) {
            (Ok(group), Ok(columns)) => Ok(Check::Consistent(Consistent { group, columns })),
            (group, columns) => Err(group.err().into_iter().chain(columns.err()).flatten().collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(rule: &str) -> Pack {
        Pack::table("t", "id, born: date, g: [a) Male, b) Female], a").rule(rule)
    }

    #[test]
    fn reports_rows_that_differ_from_the_groups_most_common_value() {
        let pack = pack("kind: consistent\ngroup: [id]\ncolumns: [born]");
        let rows = [
            "id: C1, born: 02/02/2015",
            "id: C1, born: 01/02/2015",
            "id: C1, born: 2015-02-01",
            "id: C2, born: 02/02/2015",
            "id: C1",
        ];
        // Row 1 differs from the group's most common date, first held on line 3 (row 2).
        assert_eq!(pack.report(&rows), ["1: Reported. (see t line 3.)"]);
    }

    #[test]
    fn a_tie_goes_to_the_earliest_line_and_codes_compare_as_codes() {
        let pack = pack("kind: consistent\ngroup: [id]\ncolumns: [g]");
        let rows = [
            "id: C1, g: b) Female",
            "id: C1, g: a) Male",
            "id: C1, g: A) MALE",
            "id: C2, g: b) Female",
        ];
        assert_eq!(pack.fails(&rows), [1]);
        assert_eq!(pack.fails(&rows[..2]), [2]);
    }

    #[test]
    fn blanks_and_blank_groups_are_left_to_required() {
        let pack = pack("kind: consistent\ngroup: [id]\ncolumns: [a]");
        let rows = ["id: C1, a: x", "id: C1", "a: y", "a: x"];
        assert_eq!(pack.fails(&rows), Vec::<usize>::new());
    }

    #[test]
    fn values_that_did_not_parse_are_not_checked() {
        let pack = pack("kind: consistent\ngroup: [id]\ncolumns: [born]");
        assert_eq!(
            pack.report(&["id: C1, born: 01/02/2015", "id: C1, born: 31/02/2015"]),
            ["2: Not checked: born is not a valid date (dd/mm/yyyy), so this rule could not be applied. (Reported.)"]
        );
    }

    #[test]
    fn group_and_columns_must_exist() {
        assert_eq!(
            pack("kind: consistent\ngroup: [child]\ncolumns: [dob]").diags(),
            [
                "unknown-column: table `t` has no column `child`",
                "unknown-column: table `t` has no column `dob`"
            ]
        );
    }
}
