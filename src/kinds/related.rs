//! `related`: any or all rows of another table with the same key must
//! satisfy a condition over both rows.

use std::sync::Arc;

use datafusion::arrow::array::Array;
use datafusion::arrow::datatypes::Field;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema, JoinType, TableReference};
use datafusion::functions_aggregate::expr_fn::{bool_and, bool_or, count, min};
use datafusion::logical_expr::{Expr, col, lit, when};
use datafusion::prelude::SessionContext;

use super::reference::{Reference, fallible_reads};
use super::whole::{line_numbers, none_failed, not_checked_in};
use super::{Check, Kind, KindDoc, Param, RuleCx, WHEN, reference};
use crate::model::diag::Diagnostic;
use crate::model::finding::Detail;
use crate::model::table::Table;
use crate::spec::keys::{Columns, Sql};
use crate::spec::whole::{Found, LINE, Tables, WholeTable};
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
        if cx.table.name == OTHER {
            return Err(vec![
                cx.error(
                    "reserved-name",
                    span(&cx.raw.table),
                    format!("a table called `{OTHER}` cannot have a `related` rule"),
                )
                .label("the condition calls the related row `other`")
                .help("rename the table (in its declaration and every rule that names it)"),
            ]);
        }
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
        Ok(Check::WholeTable(Arc::new(Related {
            key,
            condition,
            reads,
            other_reads,
            all,
        })))
    }
}

/// A condition over a row and the rows of another table that share its key.
#[derive(Debug, Clone)]
pub struct Related {
    pub key: Reference,
    /// Over this table's columns (unqualified) and the other's (`other.x`).
    pub condition: Expr,
    /// This table's and the other table's typed columns the condition reads.
    pub reads: Vec<usize>,
    pub other_reads: Vec<usize>,
    /// True: every related row must satisfy it; false: at least one must.
    pub all: bool,
}

impl Related {
    /// Lines of the rows whose related rows do not satisfy the condition: with
    /// `any`, no related row does (or there is none); with `all`, one does not. Each with the
    /// first related row that contradicts it, where there is one.
    async fn unsatisfied(
        &self,
        ctx: &SessionContext,
        tables: &[Table],
        table: usize,
        exclude: Option<Expr>,
    ) -> datafusion::common::Result<Vec<(u64, Option<u64>)>> {
        let k = &self.key;
        let (this, other) = (&tables[table], &tables[k.other]);
        let this_ref = TableReference::bare(this.name.as_str());
        let mine = |name: &str| Expr::Column(Column::new(Some(this_ref.clone()), name));
        let theirs = |name: &str| Expr::Column(Column::new(Some(TableReference::bare(OTHER)), name));
        let left = k.rows_in_scope(ctx, this, exclude).await?;
        // The other table's rows, named `other` as the condition names them.
        let right = ctx
            .table(TableReference::bare(other.name.as_str()))
            .await?
            .alias(OTHER)?;
        let on: Vec<Expr> = k
            .columns
            .iter()
            .zip(&k.other_columns)
            .map(|(&a, &b)| mine(&this.columns[a].name).eq(theirs(&other.columns[b].name)))
            .collect();
        // The condition names this table's columns bare; qualify them, so a column
        // both tables have is not ambiguous.
        let condition = self
            .condition
            .clone()
            .transform_up(|e| match e {
                Expr::Column(c) if c.relation.is_none() => Ok(Transformed::yes(mine(&c.name))),
                e => Ok(Transformed::no(e)),
            })?
            .data;
        let ok = if self.all {
            bool_and(condition.clone())
        } else {
            bool_or(condition.clone())
        };
        let matched = count(theirs(&other.columns[k.other_columns[0]].name));
        // For `all`: the first related row that contradicts the condition, to name it.
        let contradicting = min(when(condition.is_false(), theirs(LINE)).end()?);
        let grouped = left.join_on(right, JoinType::Left, on)?.aggregate(
            vec![mine(LINE)],
            vec![
                ok.alias("__ok"),
                matched.alias("__matched"),
                contradicting.alias("__other_line"),
            ],
        )?;
        let failing = if self.all {
            col("__matched").gt(lit(0i64)).and(col("__ok").is_false())
        } else {
            col("__matched").eq(lit(0i64)).or(col("__ok").is_not_true())
        };
        let rows = grouped
            .filter(failing)?
            .select(vec![mine(LINE), col("__other_line")])?
            .collect()
            .await?;
        let mut lines = Vec::new();
        for b in rows {
            let line = line_numbers(&b, 0);
            let other_line = line_numbers(&b, 1);
            lines.extend(
                (0..b.num_rows()).map(|i| (line.value(i), other_line.is_valid(i).then(|| other_line.value(i)))),
            );
        }
        Ok(lines)
    }
}

impl WholeTable for Related {
    fn reads(&self, table: usize) -> Vec<(usize, Vec<usize>)> {
        let mut reads = self.key.reads(table);
        reads[0].1.extend(self.reads.iter().copied());
        reads[1].1.extend(self.other_reads.iter().copied());
        reads
    }

    fn columns(&self) -> Vec<usize> {
        self.key.columns.clone()
    }

    fn evaluate(&self, cx: &Tables, table: usize) -> datafusion::common::Result<Vec<Found>> {
        let this = &cx.tables[table];
        let reads = fallible_reads(this, &self.key, &self.reads);
        let column = self.key.columns.first().copied();
        let mut found = not_checked_in(cx, cx.joins, table, &reads, column)?;
        let lines = cx.block_on(self.unsatisfied(cx.joins, cx.tables, table, none_failed(this, &reads)))?;
        found.extend(lines.into_iter().map(|(line, other_line)| {
            let detail = match other_line {
                Some(line) => Detail::ContradictedBy {
                    table: self.key.other,
                    line,
                },
                None => Detail::Fail,
            };
            Found::new(line, column, detail)
        }));
        Ok(found)
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
