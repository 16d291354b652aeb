//! Plan: turn a table's validated rules into physical expressions, once per
//! run, before any row is read.
//!
//! The split follows DataFusion's own: the rules stage decided what each rule
//! means (logical `Expr`s, coerced against the declared types); this stage
//! only makes them executable. Checks see the same schema whatever order the
//! export's columns come in, so nothing here depends on the file.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::prelude::SessionContext;

use crate::model::error::{Result, RulePhase};
use crate::spec::compiled::{Check, Ordered, Return, Row};
use crate::spec::rules::RuleSet;

/// A row check ready to evaluate.
pub struct PhysicalCheck {
    pub rule: usize,
    pub column: Option<usize>,
    pub when: Option<Arc<dyn PhysicalExpr>>,
    pub pass: Arc<dyn PhysicalExpr>,
    pub reads: Vec<usize>,
    pub when_reads: Vec<usize>,
}

/// A `share` rule's counts, gathered batch by batch.
pub struct PhysicalMeasure {
    pub rule: usize,
    pub when: Option<Arc<dyn PhysicalExpr>>,
    pub check: Arc<dyn PhysicalExpr>,
    /// Typed columns `check` and `when` read: a NULL with one of them unparsed is "could not evaluate".
    pub reads: Vec<usize>,
}

/// Everything the check stage runs for one table.
pub struct TablePlan {
    pub table: usize,
    /// Typed columns by name, then raw text columns (see `rules::raw_name`).
    pub schema: SchemaRef,
    pub row_checks: Vec<PhysicalCheck>,
    /// (rule, column) pairs reporting values that did not parse.
    /// (rule, column, blanks fail too)
    pub types: Vec<(usize, usize, bool)>,
    /// (rule, column) pairs reporting codes matched only loosely.
    pub code_forms: Vec<(usize, usize)>,
    /// (rule, key columns).
    pub uniques: Vec<(usize, Vec<usize>)>,
    pub duplicate_rows: Option<usize>,
    pub measures: Vec<PhysicalMeasure>,
    /// Two-digit-year pivot for date typing.
    pub pivot: u8,
}

pub fn plan_table(set: &RuleSet, table: usize, pivot: u8) -> Result<TablePlan> {
    let t = &set.tables[table];
    let ctx = SessionContext::new();
    // An expression validation accepted that still does not plan is the rule's, and named so.
    let physical = |ri: usize, e: &datafusion::logical_expr::Expr| {
        ctx.create_physical_expr(e.clone(), &t.schema)
            .map_err(|err| crate::engine::rule_error(set, ri, RulePhase::Planned, err))
    };
    let mut plan = TablePlan {
        table,
        schema: Arc::new(t.schema.as_arrow().clone()),
        row_checks: Vec::new(),
        types: Vec::new(),
        code_forms: Vec::new(),
        uniques: Vec::new(),
        duplicate_rows: None,
        measures: Vec::new(),
        pivot,
    };
    for (ri, rule) in set.rules.iter().enumerate().filter(|(_, r)| r.table == table) {
        match &rule.check {
            Check::Row(Row::Predicates(checks)) => {
                for c in checks {
                    plan.row_checks.push(PhysicalCheck {
                        rule: ri,
                        column: c.column,
                        when: c.when.as_ref().map(|w| physical(ri, w)).transpose()?,
                        pass: physical(ri, &c.pass)?,
                        reads: c.reads.clone(),
                        when_reads: c.when_reads.clone(),
                    });
                }
            }
            Check::Row(Row::Type { column, required }) => plan.types.push((ri, *column, *required)),
            Check::Row(Row::CodeForm { column }) => plan.code_forms.push((ri, *column)),
            Check::Ordered(Ordered::Unique { columns }) => plan.uniques.push((ri, columns.clone())),
            Check::Return(Return::Share(m)) => plan.measures.push(PhysicalMeasure {
                rule: ri,
                when: m.when.as_ref().map(|w| physical(ri, w)).transpose()?,
                check: physical(ri, &m.check)?,
                reads: m.reads.iter().chain(&m.when_reads).copied().collect(),
            }),
            // Needs only the table's row count, which the run keeps.
            Check::Return(Return::RowCount(_)) => {}
            // Evaluated over whole tables by the relate stage.
            // Evaluated over whole tables before routing.
            Check::WholeTable(_) | Check::People(_) => {}
            Check::Ordered(Ordered::DuplicateRows) => {
                if plan.duplicate_rows.is_none() {
                    plan.duplicate_rows = Some(ri);
                }
            }
        }
    }
    Ok(plan)
}
