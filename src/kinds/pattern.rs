//! `pattern`: text must match a regular expression.

use datafusion::functions::expr_fn::regexp_like;
use datafusion::logical_expr::lit;

use super::{COLUMNS, Check, Kind, KindDoc, Param, RuleCx, WHEN};
use crate::model::diag::Diagnostic;
use crate::model::table::ColumnType;
use crate::spec::keys::{Columns, Sql};
use crate::spec::yaml::Spanned;
use crate::spec::yaml::span;

pub struct Pattern;

static DOC: KindDoc = KindDoc {
    name: "pattern",
    summary: "Text (with surrounding spaces ignored) must match a regular expression; blank values are left to `required`.",
    why: "Identifiers such as NHS numbers, UPNs and postcodes have fixed shapes; a value of the wrong shape cannot be matched with health, education or address records.",
    example: "- id: CHI-004\n  table: children\n  kind: pattern\n  columns: [nhs_number]\n  pattern: '^\\d{3} ?\\d{3} ?\\d{4}$'\n  severity: warning\n  message: NHS Number is not ten digits.",
    params: &[
        COLUMNS,
        Param {
            name: "pattern",
            required: true,
            doc: "A regular expression (Rust regex syntax); anchor it with ^ and $ to match the whole value.",
        },
        WHEN,
    ],
};

/// The keys a `pattern` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub columns: Columns,
    pub pattern: Spanned<String>,
    #[serde(default)]
    pub when: Option<Sql>,
}

impl Kind for Pattern {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let columns = cx.columns(&p.columns)?;
        let pat = &p.pattern;
        if let Err(e) = regex::Regex::new(&pat.value) {
            let detail = e.to_string();
            let last = detail
                .lines()
                .rfind(|l| !l.trim().is_empty())
                .unwrap_or("invalid")
                .trim()
                .trim_start_matches("error: ")
                .to_string();
            return Err(vec![
                cx.error("bad-regex", span(pat), format!("invalid regular expression: {last}"))
                    .label("does not compile")
                    .help("check brackets and escapes; in single-quoted YAML a backslash is written once"),
            ]);
        }
        let mut diags = Vec::new();
        for &c in &columns {
            if !matches!(cx.column(c).ty, ColumnType::Text | ColumnType::Code(_)) {
                let at = span(&p.columns);
                diags.push(
                    cx.error(
                        "pattern-on-typed",
                        at,
                        format!(
                            "column `{}` is a {} column; patterns apply to text",
                            cx.column(c).name,
                            cx.column(c).ty.name()
                        ),
                    )
                    .label("not text")
                    .help("dates and numbers are checked by their type; use `range` for their values"),
                );
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        let regex = pat.value.clone();
        cx.per_column(&columns, &p.when, |value, _| {
            regexp_like(value, lit(regex.clone()), None)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(rule: &str) -> Pack {
        Pack::table("t", "a, b, d: date, g: [X1, Y2]").rule(rule)
    }

    #[test]
    fn reports_values_that_do_not_match() {
        let pack = pack("kind: pattern\ncolumns: [a]\npattern: '^\\d{3} ?\\d{3}$'");
        let rows = [
            "a: '123456'",
            "a: '123 456'",
            "a: '12345'",
            "a: '123-456'",
            "a: ' 123456 '",
            "a: ''",
        ];
        assert_eq!(pack.fails(&rows), [3, 4]);
    }

    #[test]
    fn an_unanchored_pattern_matches_anywhere() {
        let pack = pack("kind: pattern\ncolumns: [a]\npattern: '[0-9]'");
        assert_eq!(pack.fails(&["a: x1y", "a: xy"]), [2]);
    }

    #[test]
    fn code_columns_are_matched_as_written_codes() {
        let pack = pack("kind: pattern\ncolumns: [g]\npattern: '^X'");
        assert_eq!(pack.fails(&["g: X1", "g: Y2"]), [2]);
    }

    #[test]
    fn when_limits_the_rows_checked() {
        let pack = pack("kind: pattern\ncolumns: [a]\npattern: '^[A-Z]+$'\nwhen: b = 'upper'");
        assert_eq!(
            pack.fails(&["a: abc, b: upper", "a: abc, b: any", "a: ABC, b: upper"]),
            [1]
        );
    }

    #[test]
    fn a_bad_regex_or_a_typed_column_does_not_load() {
        assert_eq!(
            pack("kind: pattern\ncolumns: [a]\npattern: '^(ab'").diags(),
            ["bad-regex: invalid regular expression: unclosed group"]
        );
        assert_eq!(
            pack("kind: pattern\ncolumns: [a, d]\npattern: '^1'").diags(),
            ["pattern-on-typed: column `d` is a date column; patterns apply to text"]
        );
        assert_eq!(
            pack("kind: pattern\ncolumns: [a]").diags(),
            ["missing-key: rule kind `pattern` needs `pattern`"]
        );
    }
}
