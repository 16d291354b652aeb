//! `query`: a condition over the row that may also read its whole table (window functions)
//! and other tables (subqueries), for statutory rules about a child's other records: "the
//! child's latest episode", "the episode after this one", "the child has an episode in
//! the year", "more than two respite episodes".
//!
//! The check is planned by DataFusion as `SELECT (when), (check) FROM <table>` over every
//! table the run read whole, so windows and subqueries are DataFusion's own. Each piece is
//! parsed as one SQL expression first: a rule cannot turn the query into another statement.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::Token;

use super::whole::{can_fail, line_numbers};
use super::{Check, Kind, KindDoc, Param, RuleCx, WHEN};
use crate::model::diag::Diagnostic;
use crate::model::finding::Detail;
use crate::model::table::Table;
use crate::spec::keys::{Columns, Sql};
use crate::spec::sql::{SqlContext, SqlError};
use crate::spec::whole::{Found, LINE, Tables, WholeTable, failed_name};
use crate::spec::yaml::{Spanned, span};

pub struct QueryKind;

static DOC: KindDoc = KindDoc {
    name: "query",
    summary: "A SQL condition over the row that may also read the rest of its table, through window functions (`decom = max(decom) OVER (PARTITION BY child)`: the child's latest episode; `lead(decom) OVER (PARTITION BY child ORDER BY decom)`: the next one), and other tables, through subqueries (`EXISTS (SELECT 1 FROM uasc u WHERE u.child = header.child)`). Columns of the row are named as in `check`, or with the table's name where a subquery could mean its own. A row where the condition is blank (NULL) passes; one where a value of the row that the rule reads did not parse is reported as not checked (in `when` too, wherever the rule would apply), and so are the record's rows (those sharing the first column of the table's `key`, the child) where a value the rule reads in another of its rows, through a subquery or a window, did not parse, naming that value's table and line. If the run has no export for a table the rule reads, it is reported once as not checked. It may also read reference data the configuration gives besides the exports: `postcode_known(p)`, `postcode_la(p)` (the local authority a postcode is in: the English upper-tier council's code, or `WAL`, `SCO`, `NIR`), `postcode_location(p)` (`IN` the council's area or `OUT`) and `postcode_miles(a, b)` (straight-line miles, to 0.1) read the ONS postcode directory (`postcodes:`); `local_authority()` is the council's own code (`local_authority:`); `ofsted_urn_known(u)`, `ofsted_placement_codes(u)`, `ofsted_provider_codes(u)` (each as the list writes them, `U1,U2`), `ofsted_closed(u)` (a date) and `ofsted_postcode(u)` read Ofsted's provider lists (`ofsted_providers:`). A rule that calls them in a run without that setting is reported once as not checked, saying what to give.",
    why: "The DfE's rules for statutory returns are mostly about a child's other records: the latest episode must be open, the episode after a placement change must say why, a child looked after continuously must have an outcomes record. Written as a query, each reads as the DfE states it.",
    example: "- id: CPP-LATEST\n  table: cp_plans\n  kind: query\n  when: plan_end_date IS NULL\n  check: plan_start_date = max(plan_start_date) OVER (PARTITION BY child_id)\n  message: The plan is still open, but the child has a later plan.",
    params: &[
        Param {
            name: "check",
            required: true,
            doc: "SQL condition that is true for a good row; it may use window functions over the table and subqueries over other tables.",
        },
        WHEN,
        Param {
            name: "columns",
            required: false,
            doc: "The columns the finding is about, first one first (default: the columns of the row `check` reads).",
        },
    ],
};

/// The keys a `query` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub check: Sql,
    #[serde(default)]
    pub when: Option<Sql>,
    #[serde(default)]
    pub columns: Option<Columns>,
}

/// Names the query gives its results.
const WHEN_COL: &str = "__when";
const PASS_COL: &str = "__pass";

impl Kind for QueryKind {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        for piece in std::iter::once(&p.check).chain(&p.when) {
            if let Err(e) = one_expression(&piece.value) {
                diags.push(positioned(cx, piece, *e));
            }
        }
        let columns = match &p.columns {
            Some(c) => cx.resolve(&c.value).map_err(|d| diags.extend(d)).ok(),
            None => Some(Vec::new()),
        };
        if !diags.is_empty() {
            return Err(diags);
        }
        let query = Query::new(
            cx.table,
            p.when.as_ref().map(|w| w.value.clone()),
            p.check.value.clone(),
        );
        let ctx = stand_ins(cx);
        let plan = match cx.sql.plan_query(&ctx, &query.select()) {
            Ok(plan) => plan,
            Err(e) => return Err(vec![query.error_at(cx, p, *e)]),
        };
        let schema = plan.schema();
        for (name, piece) in [(PASS_COL, Some(&p.check)), (WHEN_COL, p.when.as_ref())] {
            let (Some(piece), Ok(field)) = (piece, schema.field_with_unqualified_name(name)) else {
                continue;
            };
            if !matches!(field.data_type(), DataType::Boolean | DataType::Null) {
                diags.push(
                    cx.error(
                        "not-a-condition",
                        span(piece),
                        format!(
                            "this expression gives {}, not true or false",
                            crate::spec::sql::value_kind(field.data_type())
                        ),
                    )
                    .label("must be a condition")
                    .help("compare it with something, e.g. `a >= b` or `x IS NOT NULL`"),
                );
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        let (tables, reads) = what_it_reads(&plan, cx.tables, cx.table);
        let when_reads: Vec<usize> = match &p.when {
            Some(w) => {
                let alone = format!("SELECT ({}) FROM \"{}\"", w.value, cx.table.name);
                match cx.sql.plan_query(&ctx, &alone) {
                    Ok(plan) => what_it_reads(&plan, cx.tables, cx.table).1,
                    Err(_) => reads.clone(),
                }
            }
            None => Vec::new(),
        };
        let when_flags: Vec<String> = when_reads
            .iter()
            .filter(|&&c| can_fail(cx.table, c))
            .map(|&c| failed_name(&cx.table.columns[c].name))
            .collect();
        // What DataFusion cannot run (a subquery correlated by other than equality, say) is
        // refused here, when the pack is read, not when a run reaches the rule.
        let flags: Vec<String> = reads
            .iter()
            .filter(|&&c| can_fail(cx.table, c))
            .map(|&c| failed_name(&cx.table.columns[c].name))
            .collect();
        let runs = |keep: Keep| -> datafusion::common::Result<LogicalPlan> {
            let plan = cx
                .sql
                .plan_query(&ctx, &query.select_with(&flags))
                .map_err(|e| datafusion::common::DataFusionError::Plan(e.message))?;
            let state = ctx.state();
            let plan = state.optimize(&evaluation(plan, &cx.table.name, &flags, &when_flags, keep)?)?;
            tokio::runtime::Builder::new_current_thread()
                .build()
                .map_err(|e| datafusion::common::DataFusionError::External(Box::new(e)))?
                .block_on(state.query_planner().create_physical_plan(&plan, &state))
                .map(|_| plan)
        };
        // Whether DataFusion can also tell where the rule applies among rows it cannot check is
        // found out at run time, when there are such rows (rarely): planning it for every rule
        // here doubled the time a pack takes to read.
        let optimized = match runs(Keep::Failing) {
            Ok(plan) => plan,
            Err(e) => {
                let message = e.find_root().strip_backtrace();
                let message = message.lines().next().unwrap_or_default();
                return Err(vec![
                    cx.error("unsupported-sql", span(&p.check), format!("this query cannot be run: {message}"))
                        .label("DataFusion cannot plan this")
                        .help("correlate each subquery with its row by equality (`e.child = episodes.child`), and compare other values in its WHERE clause"),
                ]);
            }
        };
        let elsewhere = read_elsewhere(&optimized, cx.tables, cx.table);
        let mut columns = columns.unwrap_or_default();
        if columns.is_empty() {
            columns.clone_from(&reads);
        }
        cx.name_columns(&columns);
        let needs = crate::spec::reference::needs(&format!(
            "{}\n{}",
            p.check.value,
            p.when.as_ref().map_or("", |w| w.value.as_str())
        ));
        // A rule calling reference data was planned over stand-ins of its functions, which an
        // optimized plan would keep: it is planned again at run time.
        let prepared = needs.is_empty().then_some(optimized);
        Ok(Check::WholeTable(Arc::new(QueryPlan {
            query,
            prepared,
            needs,
            sql: cx.sql.clone(),
            tables: tables
                .into_iter()
                .map(|t| (t, (0..cx.tables[t].columns.len()).collect()))
                .collect(),
            reads,
            when_reads,
            columns,
            elsewhere,
        })))
    }
}

/// The values a plan reads in other rows of the record than the row's own: columns that can
/// fail of the tables its subqueries scan, and of its own table when a window or a subquery
/// reads it again; each with the column that links that table's rows to the record (the first
/// of the rule's table's `key`, where the other table has a column of that name). Without a key
/// there is no record to speak of, and nothing is returned.
fn read_elsewhere(plan: &LogicalPlan, tables: &[Table], own: &Table) -> Vec<(usize, usize, String)> {
    let Some(&link) = own.key.first() else {
        return Vec::new();
    };
    let link = own.columns[link].name.as_str();
    let mut scans: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut windows = false;
    let _ = plan.apply_with_subqueries(|p| {
        match p {
            LogicalPlan::Window(_) => windows = true,
            LogicalPlan::TableScan(scan) => {
                if let Some(t) = tables.iter().position(|t| t.name == scan.table_name.table()) {
                    // The stand-in's fields: the line, the columns, then the flags.
                    let n = tables[t].columns.len();
                    let read: Vec<usize> = match &scan.projection {
                        Some(p) => p.iter().filter(|&&i| (1..=n).contains(&i)).map(|i| i - 1).collect(),
                        None => (0..n).collect(),
                    };
                    scans.push((t, read));
                }
            }
            _ => {}
        }
        Ok(TreeNodeRecursion::Continue)
    });
    let own_index = tables.iter().position(|t| t.name == own.name);
    let again = windows || scans.iter().filter(|(t, _)| Some(*t) == own_index).count() > 1;
    let mut out: Vec<(usize, usize, String)> = Vec::new();
    for (t, read) in scans {
        let table = &tables[t];
        if (Some(t) == own_index && !again) || table.column(link).is_none() {
            continue;
        }
        for c in read {
            if can_fail(table, c) && !out.iter().any(|(ot, oc, _)| (*ot, *oc) == (t, c)) {
                out.push((t, c, link.to_string()));
            }
        }
    }
    out
}

/// `text` must be one SQL expression and nothing after it.
pub(super) fn one_expression(text: &str) -> Result<(), Box<SqlError>> {
    let mut parser = Parser::new(&GenericDialect {})
        .try_with_sql(text)
        .map_err(|e| Box::new(SqlError::plain(e.to_string(), None)))?;
    parser
        .parse_expr()
        .map_err(|e| Box::new(SqlError::plain(e.to_string(), None)))?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        let at = crate::spec::sql::to_range(
            text,
            next.span.start.line,
            next.span.start.column,
            next.span.end.line,
            next.span.end.column,
        );
        return Err(Box::new(SqlError::plain(
            format!("expected the end of the condition, found `{}`", next.token),
            at,
        )));
    }
    Ok(())
}

/// A problem with one piece of the rule, positioned in the file.
pub(super) fn positioned(cx: &RuleCx, piece: &Spanned<String>, e: SqlError) -> Diagnostic {
    let at = span(piece);
    let base = cx
        .file
        .text
        .get(at.clone())
        .and_then(|s| s.find(piece.value.as_str()))
        .map(|i| at.start + i);
    let at = match (base, &e.span) {
        (Some(b), Some(r)) => b + r.start..b + r.end.max(r.start + 1),
        _ => at,
    };
    if let Some(name) = e
        .message
        .strip_prefix("table '")
        .and_then(|rest| rest.strip_suffix("' not found"))
    {
        let name = name.rsplit('.').next().unwrap_or(name);
        return cx
            .error("unknown-table", at, format!("no table `{name}` is declared"))
            .label("unknown table")
            .help(crate::spec::names::tables_help(name, cx.tables));
    }
    let (code, message, label) = match &e.unknown_column {
        Some(name) => (
            "unknown-column",
            format!("no table this rule reads has a column `{name}`"),
            "unknown column".to_string(),
        ),
        None => (
            e.code.unwrap_or("bad-sql"),
            e.message,
            e.label.unwrap_or_else(|| "here".into()),
        ),
    };
    let help = e.help.or_else(|| {
        e.unknown_column.as_ref().map(|name| {
            crate::model::diag::did_you_mean(name, cx.table.columns.iter().map(|c| c.name.as_str())).unwrap_or_else(
                || {
                    format!(
                        "columns of `{}`: {}",
                        cx.table.name,
                        cx.table
                            .columns
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            )
        })
    });
    cx.error(code, at, message).label(label).maybe_help(help)
}

/// A session to plan a rule in as it is read: every table of the pack registered empty, as the
/// run will register it.
pub(super) fn stand_ins(cx: &RuleCx) -> SessionContext {
    let ctx = cx.sql.query_session(None);
    for t in cx.tables {
        let empty = MemTable::try_new(Arc::new(placeholder(t)), vec![vec![]]).expect("an empty table fits any schema");
        ctx.register_table(t.name.as_str(), Arc::new(empty))
            .expect("table names are unique in a rule set");
    }
    ctx
}

/// A table as the run registers it for whole-table rules, with every column.
fn placeholder(t: &Table) -> Schema {
    let mut fields = vec![Field::new(LINE, DataType::UInt64, false)];
    fields.extend(t.columns.iter().map(|c| Field::new(&c.name, c.ty.arrow(), true)));
    fields.extend(
        (0..t.columns.len())
            .filter(|&c| can_fail(t, c))
            .map(|c| Field::new(failed_name(&t.columns[c].name), DataType::Boolean, false)),
    );
    Schema::new(fields)
}

/// The tables a plan scans (its own first) and the columns of its own row it reads outside
/// subqueries.
pub(super) fn what_it_reads(plan: &LogicalPlan, tables: &[Table], own: &Table) -> (Vec<usize>, Vec<usize>) {
    let index = |name: &str| tables.iter().position(|t| t.name == name);
    let mut scanned: Vec<usize> = index(&own.name).into_iter().collect();
    let _ = plan.apply_with_subqueries(|p| {
        if let LogicalPlan::TableScan(scan) = p
            && let Some(t) = index(scan.table_name.table())
            && !scanned.contains(&t)
        {
            scanned.push(t);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    let mut reads = Vec::new();
    let mut read = |c: &datafusion::common::Column| {
        let ours = c.relation.as_ref().is_none_or(|r| r.table() == own.name);
        if let (true, Some(i)) = (ours, own.column(&c.name)) {
            reads.push(i);
        }
    };
    let _ = plan.apply(|p| {
        for e in p.expressions() {
            e.column_refs().into_iter().for_each(&mut read);
            // The row's values a subquery reads (`episodes.dec` in `... WHERE e.decom > episodes.dec`).
            let _ = e.apply(|e| {
                let outer = match e {
                    Expr::Exists(x) => &x.subquery.outer_ref_columns,
                    Expr::InSubquery(x) => &x.subquery.outer_ref_columns,
                    Expr::ScalarSubquery(x) => &x.outer_ref_columns,
                    _ => return Ok(TreeNodeRecursion::Continue),
                };
                for o in outer {
                    if let Expr::OuterReferenceColumn(_, c) = o {
                        read(c);
                    }
                }
                Ok(TreeNodeRecursion::Continue)
            });
        }
        Ok(TreeNodeRecursion::Continue)
    });
    reads.sort_unstable();
    reads.dedup();
    (scanned, reads)
}

/// `EXISTS (subquery)` over the rule's own table as `coalesce((SELECT count(*) FROM
/// subquery), 0) > 0` (`NOT EXISTS`: `= 0`). DataFusion (55) decorrelates an `EXISTS` in a
/// condition into a join once its optimizer has moved the condition into a filter, but over
/// the row's own table it loses the correlation (every child's row answers for every
/// child); a counting subquery is decorrelated into a join that keeps it. Only where it has
/// to: a counting subquery must be correlated by equality alone, an `EXISTS` need not.
fn counted(plan: LogicalPlan, own: &str) -> datafusion::common::Result<LogicalPlan> {
    use datafusion::functions::expr_fn::coalesce;
    use datafusion::functions_aggregate::expr_fn::count;
    use datafusion::logical_expr::{LogicalPlanBuilder, Subquery, expr::Exists, lit};
    plan.transform_up(|node| {
        node.map_expressions(|e| {
            e.transform_up(|e| match e {
                Expr::Exists(Exists { subquery, negated }) if scans(&subquery.subquery, own) => {
                    let counting = LogicalPlanBuilder::from(subquery.subquery.as_ref().clone())
                        .aggregate(Vec::<Expr>::new(), vec![count(lit(1)).alias("__n")])?
                        .build()?;
                    let n = coalesce(vec![
                        Expr::ScalarSubquery(Subquery {
                            subquery: Arc::new(counting),
                            outer_ref_columns: subquery.outer_ref_columns,
                            spans: subquery.spans,
                        }),
                        lit(0i64),
                    ]);
                    Ok(Transformed::yes(if negated {
                        n.eq(lit(0i64))
                    } else {
                        n.gt(lit(0i64))
                    }))
                }
                e => Ok(Transformed::no(e)),
            })
        })
    })
    .map(|t| t.data)
}

/// Whether a plan reads `table`.
fn scans(plan: &LogicalPlan, table: &str) -> bool {
    let mut found = false;
    let _ = plan.apply_with_subqueries(|p| {
        if let LogicalPlan::TableScan(scan) = p
            && scan.table_name.table() == table
        {
            found = true;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}

/// Which of a rule's rows a query keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Those that fail, among those whose values read parsed.
    Failing,
    /// Those with a value read that did not parse: where the rule applies (`when` not false),
    /// or, where DataFusion cannot run `when` there, all of them.
    Unparsed { when: bool },
}

/// The rows of the rule's query (`EXISTS` over its own table [counted](counted)) that `keep`
/// keeps, as their line and the flags (`flags`) of the row's values that did not parse. Each
/// filter is a conjunction, which is what lets DataFusion run an `EXISTS` in it as a join.
fn evaluation(
    plan: LogicalPlan,
    own: &str,
    flags: &[String],
    when_flags: &[String],
    keep: Keep,
) -> datafusion::common::Result<LogicalPlan> {
    let flag = |name: &String| Expr::Column(name.as_str().into());
    let any = flags.iter().map(flag).reduce(Expr::or);
    // A `when` over a value that did not parse means nothing (`x IS NOT NULL` is false for
    // it): such a row is not checked whatever `when` gave.
    let when_any = when_flags.iter().map(flag).reduce(Expr::or);
    let applies = Expr::Column(WHEN_COL.into());
    let filter = match (keep, any) {
        (Keep::Failing, any) => {
            let fails = Expr::Column(PASS_COL.into()).is_false().and(applies.is_true());
            match any {
                Some(any) => fails.and(!any),
                None => fails,
            }
        }
        (Keep::Unparsed { when: true }, Some(any)) => match when_any {
            Some(w) => w.or(any.and(applies.is_not_false())),
            None => any.and(applies.is_not_false()),
        },
        (Keep::Unparsed { when: false }, Some(any)) => any,
        (Keep::Unparsed { .. }, None) => datafusion::logical_expr::lit(false),
    };
    let mut select = vec![Expr::Column(LINE.into())];
    select.extend(flags.iter().map(flag));
    datafusion::logical_expr::LogicalPlanBuilder::from(counted(plan, own)?)
        .filter(filter)?
        .project(select)?
        .build()
}

/// The rule's SQL, and the query built around it.
#[derive(Debug, Clone)]
struct Query {
    table: String,
    when: Option<String>,
    check: String,
}

impl Query {
    fn new(table: &Table, when: Option<String>, check: String) -> Self {
        Query {
            table: table.name.clone(),
            when,
            check,
        }
    }

    /// The text before the check and the text before the condition, so errors map back.
    fn parts(&self) -> (String, String, String) {
        let head = format!("SELECT \"{LINE}\", (");
        let middle = format!(") AS \"{WHEN_COL}\", (");
        let tail = format!(") AS \"{PASS_COL}\" FROM \"{}\"", self.table);
        (head, middle, tail)
    }

    /// The query, selecting `flags` (columns of the row's table) too.
    fn select_with(&self, flags: &[String]) -> String {
        let select = self.select();
        if flags.is_empty() {
            return select;
        }
        let quoted: Vec<String> = flags.iter().map(|f| format!("\"{f}\"")).collect();
        select.replacen(
            &format!("SELECT \"{LINE}\", "),
            &format!("SELECT \"{LINE}\", {}, ", quoted.join(", ")),
            1,
        )
    }

    fn select(&self) -> String {
        let (head, middle, tail) = self.parts();
        format!(
            "{head}{}{middle}{}{tail}",
            self.when.as_deref().unwrap_or("TRUE"),
            self.check
        )
    }

    /// An error in the planned query, put back on the piece of the rule it is in.
    fn error_at(&self, cx: &RuleCx, p: &Params, mut e: SqlError) -> Diagnostic {
        let (head, middle, _) = self.parts();
        let when_len = self.when.as_deref().unwrap_or("TRUE").len();
        let check_from = head.len() + when_len + middle.len();
        let (piece, from) = match &e.span {
            Some(r) if r.start >= head.len() && r.start < head.len() + when_len && p.when.is_some() => {
                (p.when.as_ref().expect("checked"), head.len())
            }
            _ => (&p.check, check_from),
        };
        e.span = e
            .span
            .take()
            .filter(|r| r.start >= from && r.end <= from + piece.value.len())
            .map(|r| r.start - from..r.end - from);
        positioned(cx, piece, e)
    }
}

/// A compiled `query` rule.
pub struct QueryPlan {
    query: Query,
    /// Its plan for the rows that fail, optimized when the rule was read (over stand-ins of the
    /// tables, which a run swaps for its own): planning it again from its SQL for every run was
    /// a tenth of the rules' time over a return.
    prepared: Option<LogicalPlan>,
    /// The reference data its functions read (the postcode directory...).
    needs: Vec<crate::spec::reference::Reference>,
    sql: SqlContext,
    /// Every table the query scans, its own first, with all its columns.
    tables: Vec<(usize, Vec<usize>)>,
    /// The columns of its own row it reads.
    reads: Vec<usize>,
    /// Those `when` reads.
    when_reads: Vec<usize>,
    columns: Vec<usize>,
    /// Values it reads in the record's other rows (through a subquery or a window), whose
    /// failure to parse makes the record's rows not checked: (table, column, the column
    /// linking a row of that table to the record, as named in both).
    elsewhere: Vec<(usize, usize, String)>,
}

impl std::fmt::Debug for QueryPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryPlan")
            .field("query", &self.query)
            .field("tables", &self.tables)
            .field("reads", &self.reads)
            .finish_non_exhaustive()
    }
}

impl QueryPlan {
    /// The rows of records with a value the rule reads in another row (`elsewhere`) that did not
    /// parse, where the rule applies (`when` not false): not checked, whatever the rule gave
    /// them with the value blank. A row already not checked for a value of its own stays so.
    async fn not_checked_elsewhere(
        &self,
        ctx: &SessionContext,
        cx: &Tables<'_>,
        this: &Table,
        elsewhere: &[&(usize, usize, String)],
        found: &mut Vec<Found>,
    ) -> datafusion::common::Result<()> {
        let state = ctx.state();
        let mut tainted: std::collections::BTreeMap<u64, Detail> = std::collections::BTreeMap::new();
        for &(t, c, link) in elsewhere {
            let other = &cx.tables[*t];
            let flag = failed_name(&other.columns[*c].name);
            let failing = format!(
                "SELECT \"{link}\" AS \"__link\", min(\"{LINE}\") AS \"__at\" FROM \"{table}\" WHERE \"{flag}\" \
                 GROUP BY \"{link}\"",
                table = other.name,
            );
            let own = &this.name;
            // `when` as a filter first, over the records with such a value only (a subquery in it
            // runs as a join, over those rows: over every row of the table, an uncorrelated
            // EXISTS was a nested loop); then as a value (a window in it); then not at all.
            let filtered = |when: &str| {
                format!(
                    "SELECT o.\"{LINE}\", f.\"__at\" FROM (SELECT \"{LINE}\", \"{link}\" FROM \"{own}\" \
                     WHERE \"{link}\" IN (SELECT \"__link\" FROM ({failing}) g) AND {when}) o \
                     JOIN ({failing}) f ON o.\"{link}\" = f.\"__link\""
                )
            };
            let valued = |when: &str| {
                format!(
                    "SELECT o.\"{LINE}\", f.\"__at\" FROM (SELECT \"{LINE}\", \"{link}\", ({when}) AS \"{WHEN_COL}\" \
                     FROM \"{own}\") o JOIN ({failing}) f ON o.\"{link}\" = f.\"__link\" \
                     WHERE o.\"{WHEN_COL}\" IS NOT FALSE"
                )
            };
            let planned = |sql: String| {
                let state = &state;
                async move {
                    let plan = counted(state.create_logical_plan(&sql).await?, &this.name)?;
                    state.create_physical_plan(&plan).await
                }
            };
            let plan = match &self.query.when {
                None => planned(filtered("TRUE")).await?,
                Some(when) => match planned(filtered(&format!("({when})"))).await {
                    Ok(plan) => plan,
                    Err(_) => match planned(valued(when)).await {
                        Ok(plan) => plan,
                        Err(_) => planned(filtered("TRUE")).await?,
                    },
                },
            };
            for b in datafusion::physical_plan::collect(plan, ctx.task_ctx()).await? {
                let (lines, at) = (line_numbers(&b, 0), line_numbers(&b, 1));
                for row in 0..b.num_rows() {
                    tainted.entry(lines.value(row)).or_insert(Detail::UnparsedElsewhere {
                        table: *t,
                        column: *c,
                        line: at.value(row),
                    });
                }
            }
        }
        if tainted.is_empty() {
            return Ok(());
        }
        found.retain(|f| matches!(f.detail, Detail::Unparsed { .. }) || !tainted.contains_key(&f.line));
        let own: std::collections::HashSet<u64> = found.iter().map(|f| f.line).collect();
        let column = self.columns.first().copied();
        found.extend(
            tainted
                .into_iter()
                .filter(|(line, _)| !own.contains(line))
                .map(|(line, detail)| Found::new(line, column, detail)),
        );
        found.sort_by_key(|f| f.line);
        Ok(())
    }

    /// The rows that fail, and those it could not check (with the first value that did not parse).
    async fn reported(
        &self,
        ctx: &SessionContext,
        this: &Table,
        any_unparsed: bool,
    ) -> datafusion::common::Result<Vec<Found>> {
        let mut reads = self.reads.clone();
        reads.retain(|&c| can_fail(this, c));
        let flags: Vec<String> = reads.iter().map(|&c| failed_name(&this.columns[c].name)).collect();
        let when_flags: Vec<String> = self
            .when_reads
            .iter()
            .filter(|&&c| can_fail(this, c))
            .map(|&c| failed_name(&this.columns[c].name))
            .collect();
        let select = self.query.select_with(&flags);
        let column = self.columns.first().copied();
        let mut found = Vec::new();
        let mut keeps = vec![Keep::Failing];
        // The pass for rows it cannot check runs the whole query again: only when there are
        // such rows (a cheap scan of the flags).
        if any_unparsed {
            keeps.insert(0, Keep::Unparsed { when: true });
        }
        let state = ctx.state();
        let (select, shown, when_shown, state) = (&select, &flags, &when_flags, &state);
        let planned = |keep: Keep| async move {
            let plan = evaluation(
                state.create_logical_plan(select).await?,
                &this.name,
                shown,
                when_shown,
                keep,
            )?;
            state.create_physical_plan(&plan).await
        };
        for keep in keeps {
            let plan = match keep {
                // Where the rule applies among them, if DataFusion can run `when` there; else all.
                Keep::Unparsed { .. } => match planned(keep).await {
                    Ok(plan) => plan,
                    Err(_) => planned(Keep::Unparsed { when: false }).await?,
                },
                Keep::Failing => match self.prepared_for(ctx).await? {
                    Some(plan) => state.query_planner().create_physical_plan(&plan, state).await?,
                    None => planned(keep).await?,
                },
            };
            let batches = datafusion::physical_plan::collect(plan, ctx.task_ctx()).await?;
            for b in &batches {
                let lines = line_numbers(b, 0);
                let flag = |k: usize, row: usize| {
                    b.column(k + 1)
                        .as_any()
                        .downcast_ref::<datafusion::arrow::array::BooleanArray>()
                        .is_some_and(|a| a.value(row))
                };
                for row in 0..b.num_rows() {
                    let line = lines.value(row);
                    found.push(match (0..reads.len()).find(|&k| flag(k, row)) {
                        Some(k) => Found::new(line, column.or(Some(reads[k])), Detail::Unparsed { column: reads[k] }),
                        None => Found::new(line, column, Detail::Fail),
                    });
                }
            }
        }
        Ok(found)
    }
}

impl QueryPlan {
    /// The plan optimized when the rule was read, scanning this run's tables: `None` where it
    /// has none, or a table is not registered as the rule was planned over (every column, then
    /// the flags), so that it is planned from its SQL instead.
    async fn prepared_for(&self, ctx: &SessionContext) -> datafusion::common::Result<Option<LogicalPlan>> {
        let Some(plan) = &self.prepared else {
            return Ok(None);
        };
        let mut names = Vec::new();
        plan.apply_with_subqueries(|p| {
            if let LogicalPlan::TableScan(scan) = p
                && !names.contains(&scan.table_name)
            {
                names.push(scan.table_name.clone());
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        let mut run = Vec::with_capacity(names.len());
        for name in names {
            let Ok(provider) = ctx.table_provider(name.clone()).await else {
                return Ok(None);
            };
            run.push((name, provider));
        }
        let mut same = true;
        let bound = plan.clone().transform_up_with_subqueries(|p| match p {
            LogicalPlan::TableScan(mut scan) => {
                let provider = run.iter().find(|(n, _)| *n == scan.table_name).map(|(_, p)| p);
                match provider {
                    Some(provider) if provider.schema() == scan.source.schema() => {
                        scan.source = datafusion::datasource::provider_as_source(Arc::clone(provider));
                        Ok(Transformed::yes(LogicalPlan::TableScan(scan)))
                    }
                    _ => {
                        same = false;
                        Ok(Transformed::no(LogicalPlan::TableScan(scan)))
                    }
                }
            }
            p => Ok(Transformed::no(p)),
        })?;
        if !same {
            tracing::debug!("a table is not registered as the rule was planned over: planned from its SQL again");
        }
        Ok(same.then_some(bound.data))
    }
}

impl WholeTable for QueryPlan {
    /// Every column of each table it reads: a subquery may read any of them.
    fn reads(&self, _table: usize) -> Vec<(usize, Vec<usize>)> {
        self.tables.clone()
    }

    fn columns(&self) -> Vec<usize> {
        self.columns.clone()
    }

    fn needs(&self) -> Vec<crate::spec::reference::Reference> {
        self.needs.clone()
    }

    fn literals(&self) -> Vec<String> {
        let mut out = crate::spec::reference::quoted(&self.query.check);
        out.extend(self.query.when.iter().flat_map(|w| crate::spec::reference::quoted(w)));
        out
    }

    fn evaluate(&self, cx: &Tables, table: usize) -> datafusion::common::Result<Vec<Found>> {
        let ctx = self.sql.query_session(Some(cx.windows));
        let this = &cx.tables[table];
        let reads: Vec<usize> = self.reads.iter().copied().filter(|&c| can_fail(this, c)).collect();
        let elsewhere: Vec<&(usize, usize, String)> = self
            .elsewhere
            .iter()
            .filter(|(t, c, _)| cx.any_unparsed(*t, &[*c]))
            .collect();
        cx.block_on(async {
            let mut found = self.reported(&ctx, this, cx.any_unparsed(table, &reads)).await?;
            if !elsewhere.is_empty() {
                self.not_checked_elsewhere(&ctx, cx, this, &elsewhere, &mut found)
                    .await?;
            }
            Ok(found)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(rule: &str) -> Pack {
        Pack::table("episodes", "child, decom: date, dec: date, rec")
            .and("uasc", "child, duc: date")
            .rule(rule)
    }

    const EPISODES: [&str; 4] = [
        "child: C1, decom: 01/04/2025",
        "child: C1, decom: 01/06/2025",
        "child: C2, decom: 01/06/2025, dec: 02/07/2025, rec: X1",
        "child: C2, decom: 02/07/2025",
    ];

    #[test]
    fn windows_read_the_rest_of_the_childs_rows() {
        let pack = pack(
            "kind: query\ncheck: (dec IS NOT NULL AND rec IS NOT NULL) OR decom = max(decom) OVER (PARTITION BY child)",
        );
        assert_eq!(pack.fails(&EPISODES), [1]);
        let next = pack_with("lead(decom) OVER (PARTITION BY child ORDER BY decom) IS NULL OR dec IS NOT NULL");
        assert_eq!(next.fails(&EPISODES), [1]);
    }

    fn pack_with(check: &str) -> Pack {
        pack(&format!("kind: query\ncheck: {check}"))
    }

    #[test]
    fn subqueries_read_other_tables() {
        let pack = pack_with("NOT EXISTS (SELECT 1 FROM uasc u WHERE u.child = episodes.child) OR rec IS NULL")
            .given("uasc", &["child: C2, duc: 01/01/2026"]);
        assert_eq!(pack.fails(&EPISODES), [3]);
    }

    #[test]
    fn a_table_with_no_export_makes_the_rule_not_checked() {
        let pack = pack_with("NOT EXISTS (SELECT 1 FROM uasc u WHERE u.child = episodes.child)");
        assert_eq!(
            pack.report(&EPISODES[..1]),
            ["table: Not checked: no export was given for `uasc`, so this rule could not run on any row. (Reported.)"]
        );
    }

    #[test]
    fn a_value_of_the_row_that_did_not_parse_is_not_checked_and_blank_passes() {
        let pack = pack("kind: query\nwhen: rec IS NULL\ncheck: decom < max(decom) OVER (PARTITION BY child)");
        let rows = [
            "child: C1, decom: 31/02/2025",
            "child: C1, decom: 01/06/2025",
            "child: C2",
        ];
        let report = pack.report(&rows);
        assert_eq!(report.len(), 2, "{report:?}");
        assert!(report[0].starts_with("1: Not checked"), "{report:?}");
        assert!(report[1].starts_with("2: Reported."), "{report:?}");
    }

    #[test]
    fn a_value_that_did_not_parse_is_not_checked_only_where_the_rule_applies() {
        let pack = pack("kind: query\nwhen: rec = 'X1'\ncheck: dec >= decom");
        let rows = [
            "child: C1, decom: 31/02/2025, rec: X1",
            "child: C2, decom: 31/02/2025, rec: E11",
        ];
        let report = pack.report(&rows);
        assert_eq!(report.len(), 1, "{report:?}");
        assert!(report[0].starts_with("1: Not checked"), "{report:?}");
    }

    #[test]
    fn a_when_over_a_value_that_did_not_parse_is_not_checked() {
        let pack = pack("kind: query\nwhen: dec IS NOT NULL\ncheck: dec >= decom");
        let rows = [
            "child: C1, decom: 01/04/2025, dec: 31/02/2025",
            "child: C2, decom: 01/04/2025",
        ];
        let report = pack.report(&rows);
        assert_eq!(report.len(), 1, "{report:?}");
        assert!(report[0].starts_with("1: Not checked"), "{report:?}");
    }

    /// A value of another row of the child's (in another table, or the rule's own through a
    /// window) that did not parse would be read as blank: the child's rows are not checked,
    /// naming where the value is; other children's are checked as ever.
    #[test]
    fn a_value_read_in_another_row_of_the_record_that_did_not_parse_is_not_checked() {
        let keyed = || {
            Pack::tables(
                "tables:\n  episodes:\n    key: [child]\n    columns:\n      - { name: child }\n      - { name: decom, type: date }\n  uasc:\n    key: [child]\n    columns:\n      - { name: child }\n      - { name: duc, type: date }\n",
            )
        };
        let before = keyed()
            .rule("- id: R\n  table: episodes\n  kind: query\n  check: NOT EXISTS (SELECT 1 FROM uasc u WHERE u.child = episodes.child AND u.duc < episodes.decom)\n  message: Reported.")
            .given("uasc", &["child: C1, duc: 31/02/2025", "child: C2, duc: 01/01/2025"]);
        let rows = [
            "child: C1, decom: 01/04/2025",
            "child: C2, decom: 01/04/2025",
            "child: C3, decom: 01/04/2025",
        ];
        let report = before.report(&rows);
        assert_eq!(report.len(), 2, "{report:?}");
        assert!(report[0].starts_with("1: Not checked: duc on uasc line"), "{report:?}");
        assert_eq!(report[1], "2: Reported.");
        let latest = keyed().rule(
            "- id: R\n  table: episodes\n  kind: query\n  check: decom = max(decom) OVER (PARTITION BY child)\n  message: Reported.",
        );
        let report = latest.report(&[
            "child: C1, decom: 01/04/2025",
            "child: C1, decom: 31/02/2025",
            "child: C2, decom: 01/04/2025",
            "child: C2, decom: 01/05/2025",
        ]);
        assert_eq!(report.len(), 3, "{report:?}");
        assert!(
            report[0].starts_with("1: Not checked: decom on episodes line"),
            "{report:?}"
        );
        assert!(report[1].starts_with("2: Not checked: decom is not"), "{report:?}");
        assert_eq!(report[2], "3: Reported.");
    }

    #[test]
    fn a_value_of_the_row_read_only_in_a_subquery_is_read_too() {
        let pack =
            pack_with("NOT EXISTS (SELECT 1 FROM uasc u WHERE u.child = episodes.child AND u.duc < episodes.dec)")
                .given("uasc", &["child: C1, duc: 01/01/2026"]);
        let report = pack.report(&["child: C1, decom: 01/04/2025, dec: 31/02/2026"]);
        assert_eq!(report.len(), 1, "{report:?}");
        assert!(report[0].starts_with("1: Not checked"), "{report:?}");
    }

    #[test]
    fn exists_over_the_rules_own_table_keeps_its_correlation() {
        // DataFusion loses it when left to itself: every child's S episode answered for all.
        let pack = pack_with("NOT EXISTS (SELECT 1 FROM episodes e WHERE e.child = episodes.child AND e.rec = 'S')");
        assert_eq!(pack.fails(&["child: C1, rec: P", "child: C2, rec: S"]), [2]);
    }

    #[test]
    fn the_sql_must_be_one_condition_over_tables_that_exist() {
        assert_eq!(
            pack_with("decom = max(decomm) OVER (PARTITION BY child)").diags(),
            ["unknown-column: no table this rule reads has a column `decomm`"]
        );
        assert_eq!(
            pack_with("'true) AS x FROM episodes; DROP TABLE uasc; SELECT (1'").diags(),
            ["bad-sql: expected the end of the condition, found `)`"]
        );
        assert_eq!(
            pack_with("EXISTS (SELECT 1 FROM nothere n)").diags(),
            ["unknown-table: no table `nothere` is declared"]
        );
        assert_eq!(
            pack_with("EXISTS (SELECT 1 FROM episodes e WHERE e.child = episodes.child AND e.decom < episodes.decom)")
                .diags(),
            [
                "unsupported-sql: this query cannot be run: This feature is not implemented: Physical plan does not support logical expression ScalarSubquery(<subquery>)"
            ]
        );
        assert_eq!(
            pack_with("decom").diags(),
            ["not-a-condition: this expression gives a date, not true or false"]
        );
    }
}
