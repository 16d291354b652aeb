//! `type`: the value must read as the column's declared type.

use super::{Check, Kind, KindDoc, Param, Row, RuleCx, single_column};
use crate::model::diag::Diagnostic;
use crate::model::table::{ColumnType, Severity, Table};
use crate::spec::keys::Columns;
use crate::spec::yaml::span;

pub struct TypeCheck;

static DOC: KindDoc = KindDoc {
    name: "type",
    summary: "The value must read as the column's type: a real UK date, a whole number, a number, or one of the column's codes. Every typed column has this rule as `<table>.<column>.type`; declare it yourself to change its id, severity or message, or to report blanks too (`required: true`).",
    why: "A value that does not read as its type cannot be counted, compared or reported; tools that blank it hide the problem instead of fixing it.",
    example: "- id: CON-DATE\n  table: contacts\n  kind: type\n  columns: [contact_date]\n  severity: error\n  message: Date of Contact is not a valid date (use dd/mm/yyyy).",
    params: &[
        Param {
            name: "columns",
            required: true,
            doc: "The one column to check.",
        },
        Param {
            name: "required",
            required: false,
            doc: "`true` to report blank values too, under this rule (for a statutory rule that says \"missing or not a valid date\").",
        },
    ],
};

/// The keys a `type_check` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub columns: Columns,
    #[serde(default)]
    pub required: bool,
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
        Ok(Check::Row(Row::Type {
            column,
            required: p.required,
        }))
    }

    /// Every typed column has a type to check.
    fn implied(&self, table: &Table, column: usize) -> Option<(Severity, String, Check)> {
        let col = &table.columns[column];
        (!matches!(col.ty, ColumnType::Text)).then(|| {
            let message = format!("{} is not {}.", col.header, col.ty.describe());
            (
                Severity::Error,
                message,
                Check::Row(Row::Type {
                    column,
                    required: false,
                }),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(rule: &str) -> Pack {
        Pack::table("t", "a, d: date, n: integer, x: decimal, g: [a) Male, b) Female]").rule(rule)
    }

    #[test]
    fn reports_values_that_do_not_read_as_a_real_date() {
        let pack = pack("kind: type\ncolumns: [d]");
        let rows = [
            "d: 29/02/2024",
            "d: 29/02/2026",
            "d: 2026-03-31",
            "d: tomorrow",
            "d: ''",
        ];
        assert_eq!(pack.fails(&rows), [2, 4]);
    }

    #[test]
    fn a_column_read_as_the_dfe_reads_dates_reports_what_the_dfe_would_not_read() {
        let pack = Pack::tables("tables:\n  t:\n    columns:\n      - { name: d, type: date, date_formats: [dfe] }\n")
            .rule("table: t\nkind: type\ncolumns: [d]");
        let rows = [
            "d: 5/3/2024",
            "d: 05-03-2024",
            "d: 05/03/2024 00:00",
            "d: 2024-03-05",
            "d: 31/03/2026",
        ];
        assert_eq!(pack.fails(&rows), [2, 3, 4]);
    }

    #[test]
    fn with_required_reports_blanks_too() {
        let pack = pack("kind: type\ncolumns: [d]\nrequired: true");
        let rows = [
            "a: x, d: 29/02/2024",
            "a: x, d: ''",
            "a: x, d: '  '",
            "a: x, d: tomorrow",
        ];
        assert_eq!(pack.fails(&rows), [2, 3, 4]);
    }

    #[test]
    fn reports_values_that_are_not_numbers() {
        assert_eq!(
            pack("kind: type\ncolumns: [n]").fails(&["n: 7", "n: '1.5'", "n: seven", "n: ' 12 '"]),
            [2, 3]
        );
        assert_eq!(
            pack("kind: type\ncolumns: [x]").fails(&["x: '1.5'", "x: 7", "x: '1,5'", "x: ''"]),
            [3]
        );
    }

    #[test]
    fn reports_values_that_are_none_of_the_codes() {
        // A code in another case or spacing reads as the code: `code_form` reports it.
        let pack = pack("kind: type\ncolumns: [g]");
        assert_eq!(
            pack.fails(&["g: a) Male", "g: ' b)  female'", "g: Male", "g: Monkey"]),
            [3, 4]
        );
    }

    #[test]
    fn it_takes_one_typed_column() {
        assert_eq!(
            pack("kind: type\ncolumns: [a]").diags(),
            ["type-on-text: column `a` is text, which every value is"]
        );
        assert_eq!(
            pack("kind: type\ncolumns: [d, n]").diags(),
            ["one-column: rule kind `type` takes exactly one column"]
        );
    }
}
