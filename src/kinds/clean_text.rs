//! `clean_text`: no stray spaces around or inside a value.

use datafusion::functions::expr_fn::regexp_like;
use datafusion::logical_expr::lit;

use super::{COLUMNS, Check, Kind, KindDoc, RuleCx, WHEN};
use crate::model::diag::Diagnostic;
use crate::spec::keys::{Columns, Sql};

pub struct CleanText;

static DOC: KindDoc = KindDoc {
    name: "clean_text",
    summary: "The value as exported must not start or end with whitespace or contain doubled spaces or tabs (a line break inside a quoted value is not stray). Rules read values with surrounding spaces removed, so this is the rule that reports them.",
    why: "Stray spaces stop ids and names matching across lists and between systems: `NF100234 ` and `NF100234` are two children to a join.",
    example: "- id: CON-007\n  table: contacts\n  kind: clean_text\n  columns: [child_id]\n  severity: warning\n  message: Child Unique ID has stray spaces.",
    params: &[COLUMNS, WHEN],
};

/// The keys a `clean_text` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub columns: Columns,
    #[serde(default)]
    pub when: Option<Sql>,
}

impl Kind for CleanText {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        cx.per_column(&cx.columns(&p.columns)?, &p.when, |_, raw| {
            let blank = regexp_like(raw.clone(), lit(r"^\s*$"), None);
            let stray = regexp_like(raw, lit(r"^\s|\s$|[ \t][ \t]"), None);
            blank.or(!stray)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(rule: &str) -> Pack {
        Pack::table("t", "a, b").rule(rule)
    }

    #[test]
    fn reports_stray_spaces_and_tabs() {
        let pack = pack("kind: clean_text\ncolumns: [a]");
        let rows = [
            "a: Theo Smith",
            "a: ' Theo'",
            "a: 'Theo '",
            "a: 'Theo  Smith'",
            "a: \"Theo\\t Smith\"",
            "a: \"Theo\\nSmith\"",
            "a: ''",
            "a: '   '",
        ];
        assert_eq!(pack.fails(&rows), [2, 3, 4, 5]);
    }

    #[test]
    fn when_limits_the_rows_checked() {
        let pack = pack("kind: clean_text\ncolumns: [a]\nwhen: b = 'checked'");
        assert_eq!(pack.fails(&["a: ' x', b: checked", "a: ' x', b: other"]), [1]);
    }

    #[test]
    fn its_columns_must_exist() {
        assert_eq!(
            pack("kind: clean_text\ncolumns: [a, c]").diags(),
            ["unknown-column: table `t` has no column `c`"]
        );
    }
}
