//! `related`: any or all rows of another table with the same key must
//! satisfy a condition over both rows.

use std::sync::Arc;

use datafusion::arrow::datatypes::Field;
use datafusion::common::{DFSchema, TableReference};

use super::{Check, Kind, KindDoc, Param, RuleCx, WHEN, reference};
use crate::model::diag::Diagnostic;
use crate::spec::compiled::Related;
use crate::spec::keys::{Columns, Sql};
use crate::spec::yaml::Spanned;
use crate::spec::yaml::span;

pub struct RelatedKind;

/// How the condition names the other table's columns.
pub const OTHER: &str = "other";

static DOC: KindDoc = KindDoc {
    name: "related",
    summary: "For each row, the rows of the table named in `references` with the same key (`columns` = `to`) are its related rows. With `quantifier: any` (the default) at least one related row must satisfy `check`; with `all`, every related row must (a row with no related rows passes `all`). `check` is SQL over this row's columns by name and the related row's as `other.<column>`.",
    why: "Most inaccurate recording lives between records: a child protection plan with no enquiry before it, a contact dated before the child's date of birth on the children table, a date of birth that differs between lists.",
    example: "- id: CPP-008\n  table: cp_plans\n  kind: related\n  columns: [child_id]\n  references: assessments\n  quantifier: any\n  check: other.assessment_start_date <= plan_start_date\n  severity: error\n  message: The plan has no assessment that started on or before it.",
    params: &[
        reference::KEY,
        reference::REFERENCES,
        reference::TO,
        Param {
            name: "check",
            required: true,
            doc: "SQL condition over this row and one related row (`other.<column>`).",
        },
        Param {
            name: "quantifier",
            required: false,
            doc: "`any` (default: at least one related row satisfies `check`) or `all`.",
        },
        WHEN,
    ],
};

/// The keys a `related` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub columns: Columns,
    pub references: Spanned<String>,
    #[serde(default)]
    pub to: Option<Columns>,
    pub check: Sql,
    #[serde(default)]
    pub quantifier: Option<Spanned<String>>,
    #[serde(default)]
    pub when: Option<Sql>,
}

impl Kind for RelatedKind {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let key = reference::resolve(cx, &p.columns, &p.references, &p.to, &p.when)?;
        let all = match p.quantifier.as_ref().map(|q| (q, q.value.trim())) {
            None | Some((_, "any")) => false,
            Some((_, "all")) => true,
            Some((q, other)) => {
                return Err(vec![
                    cx.error("unknown-quantifier", span(q), format!("unknown quantifier `{other}`"))
                        .label("not a quantifier")
                        .help("`any` (at least one related row) or `all` (every related row)"),
                ]);
            }
        };
        // This table's columns by name, the other's as `other.<column>`.
        let other = &cx.tables[key.other];
        // This row's columns are qualified with the table's own name, so a bare
        // name resolves to it unless the other table has a column of that name too
        // (then write `<table>.<column>` or `other.<column>`).
        let this = TableReference::bare(cx.table.name.as_str());
        let mut fields: Vec<(Option<TableReference>, Arc<Field>)> = cx
            .table
            .columns
            .iter()
            .map(|c| (Some(this.clone()), Arc::new(Field::new(&c.name, c.ty.arrow(), true))))
            .collect();
        fields.extend(other.columns.iter().map(|c| {
            (
                Some(TableReference::bare(OTHER)),
                Arc::new(Field::new(&c.name, c.ty.arrow(), true)),
            )
        }));
        let schema = DFSchema::new_with_metadata(fields, Default::default()).map_err(|e| {
            vec![cx.error(
                "internal",
                span(&cx.raw.kind),
                format!("building the related-row schema: {e}"),
            )]
        })?;
        let check = &p.check;
        let (condition, _) = cx.condition_over(check, &Arc::new(schema)).map_err(|d| {
            let ambiguous = d.message.contains("mbiguous");
            let other_prefix = format!("`{OTHER}` has no column ");
            vec![if ambiguous {
                d.help(format!("both tables have this column: write `{}.<column>` for this row's value or `other.<column>` for the related row's", cx.table.name))
            } else if let Some(name) = d.message.strip_prefix(&other_prefix) {
                // Name the table the related rows come from.
                let message = format!("table `{}` has no column {name}", other.name);
                Diagnostic { message, ..d }
            } else {
                d
            }]
        })?;
        let (mut reads, mut other_reads) = (Vec::new(), Vec::new());
        for c in condition.column_refs() {
            match &c.relation {
                Some(r) if r.table() == OTHER => other_reads.extend(other.column(&c.name)),
                _ => reads.extend(cx.table.column(&c.name)),
            }
        }
        for v in [&mut reads, &mut other_reads] {
            v.sort_unstable();
            v.dedup();
        }
        Ok(Check::Related(Related {
            key,
            condition,
            reads,
            other_reads,
            all,
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(rule: &str) -> Pack {
        Pack::table("plans", "id, start: date, kind")
            .and("assessments", "id, start: date, kind")
            .rule(rule)
            .given(
                "assessments",
                &[
                    "id: C1, start: 01/01/2020",
                    "id: C1, start: 01/01/2022",
                    "id: C2, start: 01/06/2021",
                ],
            )
    }

    const ROWS: [&str; 4] = [
        "id: C1, start: 01/06/2021",
        "id: C1, start: 01/06/2019",
        "id: C2, start: 01/06/2021",
        "id: C3, start: 01/06/2021",
    ];

    #[test]
    fn any_needs_one_related_row_that_satisfies_the_check() {
        let pack = pack("kind: related\ncolumns: [id]\nreferences: assessments\ncheck: other.start <= plans.start");
        assert_eq!(pack.fails(&ROWS), [2, 4]);
    }

    #[test]
    fn all_needs_every_related_row_to_and_passes_a_row_with_none() {
        let pack = pack(
            "kind: related\ncolumns: [id]\nreferences: assessments\nquantifier: all\ncheck: other.start <= plans.start",
        );
        assert_eq!(pack.fails(&ROWS), [1, 2]);
    }

    #[test]
    fn rows_with_a_blank_key_are_left_to_required() {
        let pack = pack("kind: related\ncolumns: [id]\nreferences: assessments\ncheck: other.start <= plans.start");
        assert_eq!(
            pack.fails(&["start: 01/06/2021", "id: '', start: 01/06/2019"]),
            Vec::<usize>::new()
        );
    }

    #[test]
    fn all_names_the_first_related_row_that_contradicts_the_check() {
        let pack = pack(
            "kind: related\ncolumns: [id]\nreferences: assessments\nquantifier: all\ncheck: other.start <= plans.start",
        );
        assert_eq!(
            pack.report(&ROWS[..2]),
            [
                "1: Reported. (see assessments line 3.)",
                "2: Reported. (see assessments line 2.)"
            ]
        );
    }

    #[test]
    fn when_limits_the_rows_checked() {
        let pack = pack(
            "kind: related\ncolumns: [id]\nreferences: assessments\ncheck: other.start <= plans.start\nwhen: kind = 'initial'",
        );
        assert_eq!(
            pack.fails(&["id: C3, kind: initial", "id: C3, kind: review", "id: C3"]),
            [1]
        );
    }

    #[test]
    fn the_check_names_both_rows() {
        assert_eq!(
            pack("kind: related\ncolumns: [id]\nreferences: assessments\ncheck: other.start <= start").diags(),
            ["bad-sql: Ambiguous reference to unqualified field start"]
        );
        assert_eq!(
            pack("kind: related\ncolumns: [id]\nreferences: assessments\ncheck: other.began <= plans.start").diags(),
            ["unknown-column: table `assessments` has no column `began`"]
        );
        assert_eq!(
            pack("kind: related\ncolumns: [id]\nreferences: assessments\nquantifier: most\ncheck: true").diags(),
            ["unknown-quantifier: unknown quantifier `most`"]
        );
    }
}
