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
