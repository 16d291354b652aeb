//! `unique`: no two rows share a key.

use super::{Check, Kind, KindDoc, Param, RuleCx};
use crate::model::diag::Diagnostic;
use crate::spec::keys::Columns;

pub struct Unique;

static DOC: KindDoc = KindDoc {
    name: "unique",
    summary: "No two rows may share the values of `columns` (compared as typed values, so `05/03/2025` and `2025-03-05` are the same date). The first row with a key is kept; each later one is reported, naming the line of the first. Rows with a blank key column are left to `required`.",
    why: "A record entered twice is counted twice: two referrals on one day inflate referral numbers and hide re-referral rates. Ofsted's dedup keys (child, date, source) are the natural keys here.",
    example: "- id: CON-005\n  table: contacts\n  kind: unique\n  columns: [child_id, contact_date, contact_source]\n  severity: error\n  message: The same contact is recorded more than once.",
    params: &[Param {
        name: "columns",
        required: true,
        doc: "The key: one column or several.",
    }],
};

/// The keys a `unique` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub columns: Columns,
}

impl Kind for Unique {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        Ok(Check::Unique {
            columns: cx.columns(&p.columns)?,
        })
    }
}
