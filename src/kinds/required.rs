//! `required`: a value must be present.

use datafusion::functions::expr_fn::btrim;
use datafusion::logical_expr::{Expr, ident, lit};

use super::{COLUMNS, Check, Kind, KindDoc, Row, RuleCx, WHEN};
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
    Check::Row(Row::Predicates(vec![RowCheck {
        column: Some(column),
        when: None,
        pass: present(ident(raw_name(&table.columns[column].name))),
        reads: Vec::new(),
        when_reads: Vec::new(),
    }]))
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(rule: &str) -> Pack {
        Pack::table("t", "a, b, d: date").rule(rule)
    }

    #[test]
    fn reports_blank_and_whitespace_only_values() {
        let pack = pack("kind: required\ncolumns: [a, b]");
        let rows = [
            "a: x, b: y",
            "a: '', b: y",
            "a: '   ', b: y",
            "a: x",
            "a: '0', b: ' y '",
        ];
        assert_eq!(pack.fails(&rows), [2, 3, 4]);
    }

    #[test]
    fn each_column_is_reported_on_its_own() {
        let pack = pack("kind: required\ncolumns: [a, b]");
        assert_eq!(pack.report(&["d: 01/01/2020"]), ["1: Reported.", "1: Reported."]);
    }

    #[test]
    fn a_malformed_value_is_present() {
        // The type rule reports it; `required` asks only whether there is one.
        let pack = pack("kind: required\ncolumns: [d]");
        assert_eq!(pack.fails(&["d: not a date", "d: 31/02/2026", "a: x"]), [3]);
    }

    #[test]
    fn when_limits_the_rows_checked() {
        let pack = pack("kind: required\ncolumns: [b]\nwhen: a = 'closed'");
        assert_eq!(pack.fails(&["a: closed", "a: open", "a: closed, b: y", ""]), [1]);
    }

    #[test]
    fn its_columns_must_exist() {
        assert_eq!(
            pack("kind: required\ncolumns: [c]").diags(),
            ["unknown-column: table `t` has no column `c`"]
        );
        assert_eq!(
            pack("kind: required\ncolumns: []").diags(),
            ["empty-columns: `columns` is empty"]
        );
        assert_eq!(
            pack("kind: required\ncolumns: [a]\nwhen: a").diags(),
            ["not-a-condition: this expression gives text, not true or false"]
        );
    }
}
