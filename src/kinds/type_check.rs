//! `type`: the value must read as the column's declared type.

use super::{Check, Kind, KindDoc, Param, RuleCx, single_column};
use crate::model::diag::Diagnostic;
use crate::model::table::{ColumnType, Severity, Table};
use crate::spec::keys::Columns;
use crate::spec::yaml::span;

pub struct TypeCheck;

static DOC: KindDoc = KindDoc {
    name: "type",
    summary: "The value must read as the column's type: a real UK date, a whole number, a number, or one of the column's codes. Every typed column has this rule as `<table>.<column>.type`; declare it yourself only to change its id, severity or message.",
    why: "A value that does not read as its type cannot be counted, compared or reported; tools that blank it hide the problem instead of fixing it.",
    example: "- id: CON-DATE\n  table: contacts\n  kind: type\n  columns: [contact_date]\n  severity: error\n  message: Date of Contact is not a valid date (use dd/mm/yyyy).",
    params: &[Param {
        name: "columns",
        required: true,
        doc: "The one column to check.",
    }],
};

/// The keys a `type_check` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub columns: Columns,
}

impl Kind for TypeCheck {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let column = single_column(cx, &p.columns)?;
        if matches!(cx.column(column).ty, ColumnType::Text) {
            let at = span(&p.columns);
            return Err(vec![
                cx.error(
                    "type-on-text",
                    at,
                    format!("column `{}` is text, which every value is", cx.column(column).name),
                )
                .label("a text column has no type to check")
                .help("give the column a `type` (date, integer, decimal or code), or use `pattern`"),
            ]);
        }
        Ok(Check::Type { column })
    }

    /// Every typed column has a type to check.
    fn implied(&self, table: &Table, column: usize) -> Option<(Severity, String, Check)> {
        let col = &table.columns[column];
        (!matches!(col.ty, ColumnType::Text)).then(|| {
            let message = format!("{} is not {}.", col.header, col.ty.describe());
            (Severity::Error, message, Check::Type { column })
        })
    }
}
