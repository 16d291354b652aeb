//! `code_form`: a code must be written exactly as the code list has it.

use super::{Check, Kind, KindDoc, Param, Row, RuleCx, single_column};
use crate::model::diag::Diagnostic;
use crate::model::table::{ColumnType, Severity, Table};
use crate::spec::keys::Columns;
use crate::spec::yaml::span;

pub struct CodeForm;

static DOC: KindDoc = KindDoc {
    name: "code_form",
    summary: "A code that matches the list only when case and spacing are ignored (` a) male` for `a) Male`). Such values are read as the code, so other rules still work; this rule reports them so the source system can be fixed. Every code column has it as `<table>.<column>.code_form` (a warning).",
    why: "Codes typed by hand drift in case and spacing; strict matchers reject them and loose ones (liiatools' substring match read `Monkey` as Male) accept nonsense. Matching exactly after normalising, and saying so, does neither.",
    example: "- id: GENDER-FORM\n  table: contacts\n  kind: code_form\n  columns: [gender]\n  severity: info\n  message: Gender code is not in its standard form.",
    params: &[Param {
        name: "columns",
        required: true,
        doc: "The one code column to check.",
    }],
};

/// The keys a `code_form` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub columns: Columns,
}

impl Kind for CodeForm {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let column = single_column(cx, &p.columns)?;
        if !matches!(cx.column(column).ty, ColumnType::Code(_)) {
            let at = span(&p.columns);
            return Err(vec![
                cx.error(
                    "not-a-code-column",
                    at,
                    format!("column `{}` is not a code column", cx.column(column).name),
                )
                .label("code_form checks code columns")
                .help("give the column `type: code` and `codes`"),
            ]);
        }
        Ok(Check::Row(Row::CodeForm { column }))
    }

    /// Every code column reports codes written in another form.
    fn implied(&self, table: &Table, column: usize) -> Option<(Severity, String, Check)> {
        let col = &table.columns[column];
        matches!(col.ty, ColumnType::Code(_)).then(|| {
            let message = format!("{} matches a code only when case and spacing are ignored.", col.header);
            (Severity::Warning, message, Check::Row(Row::CodeForm { column }))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(rule: &str) -> Pack {
        Pack::table("t", "a, g: [a) Male, b) Female]").rule(rule)
    }

    #[test]
    fn reports_codes_written_in_another_case_or_spacing() {
        let pack = pack("kind: code_form\ncolumns: [g]");
        let rows = ["g: a) Male", "g: a) male", "g: ' b)  Female'", "g: A) MALE", "g: ''"];
        assert_eq!(pack.fails(&rows), [2, 3, 4]);
    }

    #[test]
    fn leaves_values_that_are_no_code_to_the_type_rule() {
        let pack = pack("kind: code_form\ncolumns: [g]");
        assert_eq!(pack.fails(&["g: Male", "g: c) Other"]), Vec::<usize>::new());
    }

    #[test]
    fn it_takes_one_code_column() {
        assert_eq!(
            pack("kind: code_form\ncolumns: [a]").diags(),
            ["not-a-code-column: column `a` is not a code column"]
        );
        assert_eq!(
            pack("kind: code_form\ncolumns: [g, a]").diags(),
            ["one-column: rule kind `code_form` takes exactly one column"]
        );
    }
}
