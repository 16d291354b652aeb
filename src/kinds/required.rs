//! `required`: a value must be present.

use datafusion::functions::expr_fn::btrim;
use datafusion::logical_expr::{Expr, ident, lit};

use super::{COLUMNS, Check, Kind, KindDoc, RuleCx, WHEN};
use crate::model::diag::Diagnostic;
use crate::model::table::{Severity, Table, raw_name};
use crate::spec::compiled::RowCheck;
use crate::spec::keys::{Columns, Sql};

pub struct Required;

static DOC: KindDoc = KindDoc {
    name: "required",
    summary: "The column must have a value: blank or whitespace-only cells fail.",
    why: "Missing mandatory values are the commonest reason Annex A and statutory returns are sent back, and a blank date or code silently drops a child out of timeliness and volume figures.",
    example: "- id: ASS-004\n  table: assessments\n  kind: required\n  columns: [authorisation_date]\n  when: assessment_start_date < today() - INTERVAL '45 days'\n  severity: warning\n  message: The assessment started over 45 days ago and has no authorisation date.",
    params: &[COLUMNS, WHEN],
};

/// The keys a `required` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub columns: Columns,
    #[serde(default)]
    pub when: Option<Sql>,
}

impl Kind for Required {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        cx.per_column(&cx.columns(&p.columns)?, &p.when, |_, raw| present(raw))
    }

    /// `required: true` on a column's declaration.
    fn implied(&self, table: &Table, column: usize) -> Option<(Severity, String, Check)> {
        let col = &table.columns[column];
        col.required.then(|| {
            let message = format!("{} is missing.", col.header);
            (Severity::Error, message, presence(table, column))
        })
    }
}

/// Presence is judged on the raw text, so a value that is present but
/// malformed counts as present (the type check reports it instead).
fn present(raw: Expr) -> Expr {
    btrim(vec![raw]).not_eq(lit(""))
}

/// The check behind `required: true` on a column declaration.
fn presence(table: &Table, column: usize) -> Check {
    Check::Row(vec![RowCheck {
        column: Some(column),
        when: None,
        pass: present(ident(raw_name(&table.columns[column].name))),
        reads: Vec::new(),
        when_reads: Vec::new(),
    }])
}
