//! `reference`: a key in this table must exist in another table.

use std::sync::Arc;

use datafusion::common::{JoinType, TableReference};
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{Expr, col, ident};
use datafusion::prelude::SessionContext;

use super::whole::{can_fail, line_numbers, none_failed, not_checked_in};
use super::{Check, Kind, KindDoc, Param, RuleCx, WHEN};
use crate::model::diag::Diagnostic;
use crate::model::finding::Detail;
use crate::model::table::Table;
use crate::spec::keys::{Columns, Sql};
use crate::spec::names::unknown_column;
use crate::spec::whole::{Found, LINE, Tables, WholeTable};
use crate::spec::yaml::Spanned;
use crate::spec::yaml::span;

pub struct ReferenceKind;

static DOC: KindDoc = KindDoc {
    name: "reference",
    summary: "The row's key (`columns`) must match the key (`to`, by default the same column names) of at least one row of the table named in `references`. Keys compare as typed values (text trimmed, dates as dates). Rows with a blank key are left to `required`. If the run has no export for the other table, the rule is reported once as not checked.",
    why: "Records that point at nothing are the commonest cross-list error: a referral for a child who is not on the system, a plan with no assessment behind it. Counts built on them are wrong, and the child's history is split.",
    example: "- id: REF-006\n  table: referrals\n  kind: reference\n  columns: [child_id]\n  references: children\n  severity: error\n  message: The referral's child is not in the children table.",
    params: &[KEY, REFERENCES, TO, WHEN],
};

/// The keys every rule between tables takes (shared with `related`).
pub(super) const KEY: Param = Param {
    name: "columns",
    required: true,
    doc: "This table's key: one column or several.",
};
pub(super) const REFERENCES: Param = Param {
    name: "references",
    required: true,
    doc: "The other table.",
};
pub(super) const TO: Param = Param {
    name: "to",
    required: false,
    doc: "That table's key columns, in the same order (default: the same names).",
};

/// The keys a `reference` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub columns: Columns,
    pub references: Spanned<String>,
    #[serde(default)]
    pub to: Option<Columns>,
    #[serde(default)]
    pub when: Option<Sql>,
}

impl Kind for ReferenceKind {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        resolve(cx, &p.columns, &p.references, &p.to, &p.when).map(|r| Check::WholeTable(Arc::new(r)))
    }
}

/// A key in one table that must be found in another.
#[derive(Debug, Clone)]
pub struct Reference {
    pub columns: Vec<usize>,
    pub other: usize,
    pub other_columns: Vec<usize>,
    /// Rows the rule applies to, over this table's typed columns.
    pub when: Option<Expr>,
    pub when_reads: Vec<usize>,
}

impl Reference {
    /// What a rule between tables reads: this table's key and `when`, and the other's key.
    pub(super) fn reads(&self, table: usize) -> Vec<(usize, Vec<usize>)> {
        vec![
            (table, self.columns.iter().chain(&self.when_reads).copied().collect()),
            (self.other, self.other_columns.clone()),
        ]
    }

    /// This table's rows a rule between tables applies to: `when` holds, the key
    /// is not blank, and (`exclude`) no value the rule reads failed to parse.
    pub(super) async fn rows_in_scope(
        &self,
        ctx: &SessionContext,
        this: &Table,
        exclude: Option<Expr>,
    ) -> datafusion::common::Result<DataFrame> {
        let mut rows = ctx.table(TableReference::bare(this.name.as_str())).await?;
        if let Some(keep) = exclude {
            rows = rows.filter(keep)?;
        }
        if let Some(when) = &self.when {
            rows = rows.filter(when.clone())?;
        }
        for &c in &self.columns {
            rows = rows.filter(ident(&this.columns[c].name).is_not_null())?;
        }
        Ok(rows)
    }

    /// Lines of the rows whose key has no match in the other table: an anti-join.
    async fn unmatched(
        &self,
        ctx: &SessionContext,
        tables: &[Table],
        table: usize,
        exclude: Option<Expr>,
    ) -> datafusion::common::Result<Vec<u64>> {
        let (this, other) = (&tables[table], &tables[self.other]);
        let left = self.rows_in_scope(ctx, this, exclude).await?;
        // The other side's keys, renamed so a table may reference itself.
        let keys: Vec<String> = (0..self.other_columns.len()).map(|i| format!("__key{i}")).collect();
        let right = ctx.table(TableReference::bare(other.name.as_str())).await?.select(
            self.other_columns
                .iter()
                .zip(&keys)
                .map(|(&c, k)| ident(&other.columns[c].name).alias(k))
                .collect::<Vec<Expr>>(),
        )?;
        let left_keys: Vec<&str> = self.columns.iter().map(|&c| this.columns[c].name.as_str()).collect();
        let right_keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        // The other table's keys are the hash join's build side (usually far smaller than
        // this table, e.g. children against contacts); this table streams through as the
        // probe side. An anti-join asks only whether a key has a match, so a key repeated on
        // that side changes nothing: making the keys distinct first cost a second hash table
        // of them (800 MB at ten million keys) for no change in what is found.
        let rows = right
            .join(left, JoinType::RightAnti, &right_keys, &left_keys, None)?
            .select(vec![col(LINE)])?
            .collect()
            .await?;
        let mut lines = Vec::new();
        for b in rows {
            lines.extend(line_numbers(&b, 0).values().iter().copied());
        }
        Ok(lines)
    }
}

/// This table's columns a rule between tables reads that can fail to parse (`extra`: what
/// its condition reads besides the key and `when`), in column order.
pub(super) fn fallible_reads(this: &Table, r: &Reference, extra: &[usize]) -> Vec<usize> {
    let mut reads: Vec<usize> = r.columns.iter().chain(&r.when_reads).chain(extra).copied().collect();
    reads.retain(|&c| can_fail(this, c));
    reads.sort_unstable();
    reads.dedup();
    reads
}

impl WholeTable for Reference {
    fn reads(&self, table: usize) -> Vec<(usize, Vec<usize>)> {
        Reference::reads(self, table)
    }

    fn columns(&self) -> Vec<usize> {
        self.columns.clone()
    }

    fn evaluate(&self, cx: &Tables, table: usize) -> datafusion::common::Result<Vec<Found>> {
        let this = &cx.tables[table];
        let reads = fallible_reads(this, self, &[]);
        let column = self.columns.first().copied();
        let mut found = not_checked_in(cx, cx.joins, table, &reads, column)?;
        let lines = cx.block_on(self.unmatched(cx.joins, cx.tables, table, none_failed(this, &reads)))?;
        found.extend(lines.into_iter().map(|line| Found::new(line, column, Detail::Fail)));
        Ok(found)
    }
}

/// The keys (`columns`, `references`, `to`) and `when` of a rule between
/// tables, checked: shared by `reference` and `related`.
pub(super) fn resolve(
    cx: &RuleCx,
    key: &Columns,
    target: &Spanned<String>,
    to: &Option<Columns>,
    when: &Option<Sql>,
) -> Result<Reference, Vec<Diagnostic>> {
    {
        let columns = cx.columns(key)?;
        let Some(other) = cx.tables.iter().position(|t| t.name == target.value) else {
            return Err(vec![
                cx.error(
                    "unknown-table",
                    span(target),
                    format!("unknown table `{}`", target.value),
                )
                .label("no table with this name")
                .help(crate::spec::names::tables_help(&target.value, cx.tables)),
            ]);
        };
        let other_table = &cx.tables[other];
        let (names, at) = match to {
            Some(to) => (to.value.clone(), span(to)),
            None => (key.value.clone(), span(target)),
        };
        let mut diags = Vec::new();
        let mut other_columns = Vec::new();
        for n in &names {
            match other_table.column(&n.value) {
                Some(i) => other_columns.push(i),
                None => {
                    let mut d = unknown_column(cx.file, n, &other_table.name, &other_table.columns);
                    if to.is_none() {
                        d = d.help(format!(
                            "`{}` has no column of that name: say which with `to: [...]`",
                            other_table.name
                        ));
                    }
                    diags.push(d);
                }
            }
        }
        if diags.is_empty() && other_columns.len() != columns.len() {
            diags.push(
                cx.error(
                    "key-length",
                    at.clone(),
                    format!(
                        "`to` names {} columns but `columns` names {}",
                        other_columns.len(),
                        columns.len()
                    ),
                )
                .label("the two keys must pair up"),
            );
        }
        for (&a, &b) in columns.iter().zip(&other_columns) {
            let (x, y) = (cx.column(a), &other_table.columns[b]);
            if x.ty.arrow() != y.ty.arrow() {
                diags.push(
                    cx.error(
                        "key-types-differ",
                        at.clone(),
                        format!(
                            "`{}` is {} but `{}.{}` is {}",
                            x.name,
                            x.ty.name(),
                            other_table.name,
                            y.name,
                            y.ty.name()
                        ),
                    )
                    .label("keys must have the same type to match"),
                );
            }
        }
        let (when, when_reads) = cx.when(when)?;
        if !diags.is_empty() {
            return Err(diags);
        }
        Ok(Reference {
            columns,
            other,
            other_columns,
            when,
            when_reads,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(rule: &str) -> Pack {
        Pack::table("t", "id, born: date, n: integer")
            .and("u", "id, child, dob: date, k: integer")
            .rule(rule)
            .given("u", &["id: C1, dob: 01/02/2015", "id: C2, dob: 2016-03-04"])
    }

    #[test]
    fn reports_keys_the_other_table_does_not_have() {
        let pack = pack("kind: reference\ncolumns: [id]\nreferences: u");
        assert_eq!(
            pack.fails(&["id: C1", "id: C3", "id: ' C2 '", "id: c1", "id: ''"]),
            [2, 4]
        );
    }

    #[test]
    fn keys_of_several_columns_compare_as_typed_values() {
        let pack = pack("kind: reference\ncolumns: [id, born]\nreferences: u\nto: [id, dob]");
        let rows = [
            "id: C1, born: 2015-02-01",
            "id: C2, born: 04/03/16",
            "id: C1, born: 04/03/2016",
            "id: C1",
        ];
        assert_eq!(pack.fails(&rows), [3]);
    }

    #[test]
    fn when_limits_the_rows_checked() {
        let pack = pack("kind: reference\ncolumns: [id]\nreferences: u\nwhen: n > 0");
        assert_eq!(pack.fails(&["id: C9, n: 1", "id: C9, n: 0", "id: C9"]), [1]);
    }

    #[test]
    fn with_no_export_for_the_other_table_it_is_not_checked() {
        let pack = Pack::table("t", "id")
            .and("u", "id")
            .rule("kind: reference\ncolumns: [id]\nreferences: u");
        assert_eq!(
            pack.report(&["id: C1", "id: C2"]),
            ["table: Not checked: no export was given for `u`, so this rule could not run on any row. (Reported.)"]
        );
    }

    #[test]
    fn the_keys_must_pair_up() {
        assert_eq!(
            pack("kind: reference\ncolumns: [id]\nreferences: v").diags(),
            ["unknown-table: unknown table `v`"]
        );
        assert_eq!(
            pack("kind: reference\ncolumns: [born]\nreferences: u").diags(),
            ["unknown-column: table `u` has no column `born`"]
        );
        assert_eq!(
            pack("kind: reference\ncolumns: [id, born]\nreferences: u\nto: [id]").diags(),
            ["key-length: `to` names 1 columns but `columns` names 2"]
        );
        assert_eq!(
            pack("kind: reference\ncolumns: [n]\nreferences: u\nto: [dob]").diags(),
            ["key-types-differ: `n` is integer but `u.dob` is date"]
        );
    }
}
