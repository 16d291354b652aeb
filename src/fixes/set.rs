//! `set`: write the value of a SQL expression over the row.

use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::physical_expr::PhysicalExpr;

use crate::model::diag::Diagnostic;
use crate::model::error::Result;
use crate::model::table::ColumnType;
use crate::spec::doc::{KindDoc, Param};
use crate::spec::fix::{Fix, FixBatch, FixCx, FixKind, Lookup, Stage, canonical};
use crate::spec::sql::sql_in;
use crate::spec::sql::value_kind;
use crate::spec::yaml::Spanned;
use crate::spec::yaml::span;

pub struct Set;

static DOC: KindDoc = KindDoc {
    name: "set",
    summary: "Writes the value of `value`, a SQL expression over the row's values (as rules see them), into the column, on rows where `when` holds. Where the expression gives no value (NULL), or the column already holds that value in any form, the cell is left alone; a value that would not be valid for the column (a code not in its list) is never written.",
    why: "Some values can be derived from others on the same row: an age from the date of birth and the event date, a flag from a date. Deriving them removes a whole class of typing mistakes, and the audit trail shows every value that was replaced.",
    example: "- id: CON-003\n  table: contacts\n  kind: check\n  check: age = age_years(date_of_birth, contact_date)\n  message: Age does not match the Date of Birth.\n  fix:\n    kind: set\n    columns: [age]\n    value: age_years(date_of_birth, contact_date)\n    apply: review",
    params: &[Param {
        name: "value",
        required: true,
        doc: "SQL giving the new value, e.g. `age_years(date_of_birth, contact_date)`.",
    }],
};

#[derive(Debug)]
struct Setter {
    value: Arc<dyn PhysicalExpr>,
    /// For code columns: only these may be written.
    codes: Option<Arc<crate::model::table::CodeList>>,
}

/// The keys a `set` correction takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub value: Spanned<String>,
}

impl FixKind for Set {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn stage(&self) -> Stage {
        Stage::Set
    }

    fn compile(&self, p: &Params, cx: &FixCx) -> std::result::Result<Box<dyn Fix>, Vec<Diagnostic>> {
        let column = cx.single_column()?;
        let value = &p.value;
        let (expr, _) = sql_in(cx.file, cx.sql, cx.table, value, &cx.table.schema).map_err(|d| vec![d])?;
        let col = &cx.table.columns[column];
        let fits = |t: &DataType| match &col.ty {
            ColumnType::Text | ColumnType::Code(_) => {
                matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
            }
            ColumnType::Date(_) => matches!(t, DataType::Date32 | DataType::Date64),
            ColumnType::Integer => t.is_integer(),
            ColumnType::Decimal => t.is_numeric(),
        };
        match cx.sql.data_type(&expr, &cx.table.schema) {
            Some(DataType::Null) | None => {}
            Some(t) if fits(&t) => {}
            Some(t) => {
                return Err(vec![
                    cx.error(
                        "wrong-type",
                        span(value),
                        format!(
                            "this gives {}, but `{}` is {} column",
                            value_kind(&t),
                            col.name,
                            match col.ty {
                                ColumnType::Integer => "an integer",
                                ColumnType::Text => "a text",
                                ColumnType::Date(_) => "a date",
                                ColumnType::Decimal => "a decimal",
                                ColumnType::Code(_) => "a code",
                            }
                        ),
                    )
                    .label("cannot be written to this column")
                    .help("use CAST(... AS <type>) or an expression of the column's type"),
                ]);
            }
        }
        let physical = cx
            .sql
            .physical(&expr, &cx.table.schema)
            .map_err(|e| vec![cx.error("bad-sql", span(value), format!("cannot evaluate this expression: {e}"))])?;
        Ok(Box::new(Setter {
            value: physical,
            codes: match &col.ty {
                ColumnType::Code(l) => Some(Arc::clone(l)),
                _ => None,
            },
        }))
    }
}

impl Fix for Setter {
    fn propose(&self, b: &FixBatch, column: usize, _: Option<&Lookup>, out: &mut Vec<(u32, String)>) -> Result<()> {
        let typed = &b.typed_for(&self.value);
        let n = typed.num_rows();
        let eval = |batch: &datafusion::arrow::array::RecordBatch| -> datafusion::common::Result<ArrayRef> {
            self.value.evaluate(batch)?.into_array(batch.num_rows())
        };
        let current = b.typed_column(column);
        let text = b.text(column);
        let (mut new, mut old) = (String::new(), String::new());
        let mut consider = |array: &ArrayRef, i: usize, row: usize| {
            new.clear();
            if !canonical(array, i, &mut new) || self.codes.as_ref().is_some_and(|l| !l.exact.contains_key(&new)) {
                return;
            }
            old.clear();
            let same = canonical(current, row, &mut old) && old == new;
            if !same && text.value(row) != new {
                out.push((row as u32, new.clone()));
            }
        };
        // The whole batch at once; if that fails, row by row, so a row that
        // cannot be evaluated leaves only that row alone.
        match eval(typed) {
            Ok(a) => (0..n).for_each(|row| consider(&a, row, row)),
            Err(_) => {
                for row in 0..n {
                    if let Ok(a) = eval(&typed.slice(row, 1)) {
                        consider(&a, 0, row);
                    }
                }
            }
        }
        Ok(())
    }
}
