//! `duplicate_rows`: no row may repeat an earlier one exactly.

use super::{Check, Kind, KindDoc, RuleCx};
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
        Ok(Check::DuplicateRows)
    }
}
