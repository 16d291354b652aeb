//! `check`: a SQL condition over the row's columns.

use super::{Check, Kind, KindDoc, Param, RuleCx, WHEN};
use crate::model::diag::Diagnostic;
use crate::spec::compiled::RowCheck;
use crate::spec::keys::{Columns, Sql};

pub struct SqlCheck;

static DOC: KindDoc = KindDoc {
    name: "check",
    summary: "A SQL condition over the row's typed columns must be true. Dates compare as dates and numbers as numbers; `today()` is the run's as-of date; `age_years(born, at)` gives an age in whole years. A row where the condition reads a blank value is not checked; one where it reads a value that did not parse is reported as not checkable.",
    why: "Most inaccurate recording is an inconsistency within a record: an end before a start, an age that does not match the date of birth, a plan reviewed before it began.",
    example: "- id: CPP-002\n  table: cp_plans\n  kind: check\n  when: plan_end_date IS NOT NULL\n  check: plan_end_date >= plan_start_date\n  severity: error\n  message: The plan ends before it starts.",
    params: &[
        Param {
            name: "check",
            required: true,
            doc: "SQL condition that is true for a good row.",
        },
        WHEN,
        Param {
            name: "columns",
            required: false,
            doc: "The columns the finding is about, first one first (default: the columns `check` reads).",
        },
    ],
};

/// The keys a `check` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub check: Sql,
    #[serde(default)]
    pub when: Option<Sql>,
    #[serde(default)]
    pub columns: Option<Columns>,
}

impl Kind for SqlCheck {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let when = cx.when(&p.when).map_err(|d| diags.extend(d)).ok();
        let check = cx.condition(&p.check).map_err(|d| diags.push(d)).ok();
        let columns = match &p.columns {
            Some(c) => match cx.resolve(&c.value) {
                Ok(columns) => {
                    cx.name_columns(&columns);
                    Some(columns)
                }
                Err(d) => {
                    diags.extend(d);
                    None
                }
            },
            None => Some(Vec::new()),
        };
        let (Some((when, when_reads)), Some((pass, reads)), Some(columns)) = (when, check, columns) else {
            return Err(diags);
        };
        let column = columns.first().copied().or_else(|| reads.first().copied());
        Ok(Check::Row(vec![RowCheck {
            column,
            when,
            pass,
            reads,
            when_reads,
        }]))
    }
}
