//! `consistent`: columns must hold the same value in every row of a group.

use std::sync::Arc;

use datafusion::common::{JoinType, TableReference};
use datafusion::functions_aggregate::expr_fn::{count, min};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{Expr, ExprFunctionExt, col, ident, lit};
use datafusion::prelude::SessionContext;

use super::whole::{any_failed, can_fail, line_numbers, lines_where, not_checked_in};
use super::{COLUMNS, Check, GROUP, Kind, KindDoc, RuleCx};
use crate::model::diag::Diagnostic;
use crate::model::finding::Detail;
use crate::model::table::Table;
use crate::spec::keys::Columns;
use crate::spec::whole::{Found, LINE, Tables, WholeTable, failed_name};

pub struct ConsistentKind;

static DOC: KindDoc = KindDoc {
    name: "consistent",
    summary: "Within each group (e.g. per child), each of `columns` must hold the same value in every row. Values compare as typed (a date written two ways is one date; a code in the wrong case is that code). A row whose value differs from the group's most common value (on a tie, the value on the earliest line) is reported, naming the earliest line that holds the most common value. Blank values and rows with a blank group are left to `required`; a value that did not parse is reported as not checked.",
    why: "A child has one date of birth and one recorded gender, however many contacts or plans they have; when lists disagree, ages, cohorts and equality monitoring are built on whichever record a report happens to pick, and a mismatch often means two children have been merged under one id.",
    example: "- id: CON-009\n  table: contacts\n  kind: consistent\n  group: [child_id]\n  columns: [date_of_birth]\n  severity: error\n  message: The child's Date of Birth differs between their contacts.",
    params: &[GROUP, COLUMNS],
};

/// The keys a `consistent` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub group: Columns,
    pub columns: Columns,
}

impl Kind for ConsistentKind {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let group = cx.group(&p.group);
        let columns = cx.columns(&p.columns);
        match (group, columns) {
            (Ok(group), Ok(columns)) => Ok(Check::WholeTable(Arc::new(Consistent { group, columns }))),
            (group, columns) => Err(group.err().into_iter().chain(columns.err()).flatten().collect()),
        }
    }
}

/// Columns that must hold the same value in every row of a group (e.g. a
/// child's date of birth on each of their contacts). Blank values are ignored.
#[derive(Debug, Clone)]
pub struct Consistent {
    pub group: Vec<usize>,
    pub columns: Vec<usize>,
}

impl WholeTable for Consistent {
    fn reads(&self, table: usize) -> Vec<(usize, Vec<usize>)> {
        vec![(table, self.group.iter().chain(&self.columns).copied().collect())]
    }

    fn columns(&self) -> Vec<usize> {
        self.columns.clone()
    }

    /// Column by column: values it could not check, and values that differ from their group's
    /// usual one.
    fn evaluate(&self, cx: &Tables, table: usize) -> datafusion::common::Result<Vec<Found>> {
        let this = &cx.tables[table];
        let ctx = cx.windows;
        let group_reads: Vec<usize> = self.group.iter().copied().filter(|&g| can_fail(this, g)).collect();
        // A row whose group did not parse is reported once, not once per column.
        let mut found = not_checked_in(cx, ctx, table, &group_reads, None)?;
        for &column in &self.columns {
            let mut reads = group_reads.clone();
            if can_fail(this, column) {
                reads.push(column);
                let failed = ident(failed_name(&this.columns[column].name));
                let only_column = match any_failed(this, &group_reads) {
                    Some(group_failed) => failed.and(!group_failed),
                    None => failed,
                };
                let lines = cx.block_on(lines_where(ctx, this, only_column))?;
                found.extend(
                    lines
                        .into_iter()
                        .map(|line| Found::new(line, Some(column), Detail::Unparsed { column })),
                );
            }
            let exclude = any_failed(this, &reads).map(|e| !e);
            let differing = cx.block_on(inconsistent(ctx, this, &self.group, column, exclude))?;
            found.extend(
                differing
                    .into_iter()
                    .map(|(line, usual)| Found::new(line, Some(column), Detail::ContradictedBy { table, line: usual })),
            );
        }
        Ok(found)
    }
}

/// Pairs of lines (row, the earliest line holding the usual value) of rows
/// whose `column` differs from the most common value in their group (on a
/// tie, the value seen first). Aggregates per (group, value), ranks the values
/// of groups that hold more than one with a window, and joins the winner back
/// to the rows.
async fn inconsistent(
    ctx: &SessionContext,
    this: &Table,
    group: &[usize],
    column: usize,
    exclude: Option<Expr>,
) -> datafusion::common::Result<Vec<(u64, u64)>> {
    let name = |c: usize| this.columns[c].name.as_str();
    let mut rows = ctx.table(TableReference::bare(this.name.as_str())).await?;
    if let Some(keep) = exclude {
        rows = rows.filter(keep)?;
    }
    // Blank values, and rows with a blank group, are left to `required`.
    for &c in group.iter().chain([&column]) {
        rows = rows.filter(ident(name(c)).is_not_null())?;
    }
    let keys: Vec<Expr> = group.iter().map(|&c| ident(name(c))).collect();
    let key_names: Vec<&str> = group.iter().map(|&c| name(c)).collect();
    let renamed = |prefix: &str| -> Vec<String> { (0..group.len()).map(|i| format!("{prefix}{i}")).collect() };
    let as_names = |v: &[String]| -> Vec<Expr> { keys.iter().zip(v).map(|(k, r)| k.clone().alias(r)).collect() };
    // How often each group holds each value, and from which line.
    let counts = rows.clone().aggregate(
        keys.iter().cloned().chain([ident(name(column))]).collect(),
        vec![count(lit(1)).alias("__rows"), min(col(LINE)).alias("__first")],
    )?;
    // Only groups holding more than one value can have a row that differs, and
    // they are usually few: the plans below build on them (the smaller side
    // first, as the hash join's build side) and stream the rows through.
    let (mixed, usual) = (renamed("__mixed"), renamed("__group"));
    let mixed_groups = counts
        .clone()
        .aggregate(keys.clone(), vec![count(lit(1)).alias("__values")])?
        .filter(col("__values").gt(lit(1i64)))?
        .select(as_names(&mixed))?;
    let mixed_names: Vec<&str> = mixed.iter().map(String::as_str).collect();
    let usual_values = mixed_groups
        .join(counts, JoinType::RightSemi, &mixed_names, &key_names, None)?
        .window(vec![
            row_number()
                .partition_by(keys.clone())
                .order_by(vec![col("__rows").sort(false, false), col("__first").sort(true, false)])
                .build()?
                .alias("__rank"),
        ])?
        .filter(col("__rank").eq(lit(1u64)))?
        .select(
            as_names(&usual)
                .into_iter()
                .chain([ident(name(column)).alias("__usual"), col("__first")])
                .collect::<Vec<Expr>>(),
        )?;
    let usual_names: Vec<&str> = usual.iter().map(String::as_str).collect();
    let rows = usual_values
        .join(rows, JoinType::Inner, &usual_names, &key_names, None)?
        .filter(ident(name(column)).not_eq(col("__usual")))?
        .select(vec![col(LINE), col("__first")])?
        .collect()
        .await?;
    let mut out = Vec::new();
    for b in rows {
        let (line, first) = (line_numbers(&b, 0), line_numbers(&b, 1));
        out.extend((0..b.num_rows()).map(|i| (line.value(i), first.value(i))));
    }
    Ok(out)
}
#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(rule: &str) -> Pack {
        Pack::table("t", "id, born: date, g: [a) Male, b) Female], a").rule(rule)
    }

    #[test]
    fn reports_rows_that_differ_from_the_groups_most_common_value() {
        let pack = pack("kind: consistent\ngroup: [id]\ncolumns: [born]");
        let rows = [
            "id: C1, born: 02/02/2015",
            "id: C1, born: 01/02/2015",
            "id: C1, born: 2015-02-01",
            "id: C2, born: 02/02/2015",
            "id: C1",
        ];
        // Row 1 differs from the group's most common date, first held on line 3 (row 2).
        assert_eq!(pack.report(&rows), ["1: Reported. (see t line 3.)"]);
    }

    #[test]
    fn a_tie_goes_to_the_earliest_line_and_codes_compare_as_codes() {
        let pack = pack("kind: consistent\ngroup: [id]\ncolumns: [g]");
        let rows = [
            "id: C1, g: b) Female",
            "id: C1, g: a) Male",
            "id: C1, g: A) MALE",
            "id: C2, g: b) Female",
        ];
        assert_eq!(pack.fails(&rows), [1]);
        assert_eq!(pack.fails(&rows[..2]), [2]);
    }

    #[test]
    fn blanks_and_blank_groups_are_left_to_required() {
        let pack = pack("kind: consistent\ngroup: [id]\ncolumns: [a]");
        let rows = ["id: C1, a: x", "id: C1", "a: y", "a: x"];
        assert_eq!(pack.fails(&rows), Vec::<usize>::new());
    }

    #[test]
    fn values_that_did_not_parse_are_not_checked() {
        let pack = pack("kind: consistent\ngroup: [id]\ncolumns: [born]");
        assert_eq!(
            pack.report(&["id: C1, born: 01/02/2015", "id: C1, born: 31/02/2015"]),
            ["2: Not checked: born is not a valid date (dd/mm/yyyy), so this rule could not be applied. (Reported.)"]
        );
    }

    #[test]
    fn group_and_columns_must_exist() {
        assert_eq!(
            pack("kind: consistent\ngroup: [child]\ncolumns: [dob]").diags(),
            [
                "unknown-column: table `t` has no column `child`",
                "unknown-column: table `t` has no column `dob`"
            ]
        );
    }
}
