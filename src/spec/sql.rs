//! SQL expressions in rules: parsed by DataFusion against a table's typed
//! schema, with positions kept so an error can point at the exact character.
//!
//! `today()` (DataFusion's alias of `current_date()`) is folded to the run's
//! as-of date here, at planning time, so a re-run over the same exports gives
//! the same findings.

use std::ops::Range;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, Date32Array, Int64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DFSchema, DataFusionError, ScalarValue};
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::prelude::{SessionConfig, SessionContext};

use std::collections::HashSet;

use crate::model::diag::{Diagnostic, SourceFile, did_you_mean};
use crate::model::table::Table;
use crate::model::values;
use crate::spec::yaml::{Spanned, span};

/// A SQL problem, positioned within the expression text.
#[derive(Debug)]
pub struct SqlError {
    pub message: String,
    /// Byte range within the SQL text, when DataFusion knows it.
    pub span: Option<Range<usize>>,
    pub help: Option<String>,
    /// The unknown name, for a "did you mean" against the table's columns.
    pub unknown_column: Option<String>,
    /// What the unknown name was qualified with (`other` in `other.x`), if anything.
    pub qualifier: Option<String>,
    /// A diagnostic code more precise than `bad-sql` (e.g. `type-mismatch`).
    pub code: Option<&'static str>,
    /// The text under the underline, when more precise than "here".
    pub label: Option<String>,
}

impl SqlError {
    /// A problem with nothing more to say than where it is.
    pub fn plain(message: String, span: Option<Range<usize>>) -> Self {
        SqlError {
            message,
            span,
            help: None,
            unknown_column: None,
            qualifier: None,
            code: None,
            label: None,
        }
    }
}

/// Built-in functions rules may not call (see [`SqlContext::new`]).
const UNBOUNDED_FUNCTIONS: &[&str] = &["repeat", "lpad", "rpad"];

/// The functions every rule's SQL may call, and none of those it may not.
fn register_functions(ctx: &SessionContext, collection_year: Option<values::CollectionYear>) {
    ctx.register_udf(ScalarUDF::from(AgeYears::new()));
    ctx.register_udf(ScalarUDF::from(DatesInOrder::new()));
    ctx.register_udf(ScalarUDF::from(super::working_days::AddWorkingDays::new()));
    let bounds = collection_year.and_then(values::CollectionYear::bounds);
    for (name, end) in COLLECTION_DATES {
        let day = bounds.map(|(start, last)| if end { last } else { start });
        ctx.register_udf(ScalarUDF::from(CollectionDate::new(name, day)));
    }
    // Functions whose output grows with a number they are given: a shared pack (or an
    // export's value, fed to one) could ask for gigabytes per row. No check needs them.
    for name in UNBOUNDED_FUNCTIONS {
        ctx.deregister_udf(name);
    }
}

#[derive(Clone)]
pub struct SqlContext {
    ctx: SessionContext,
    as_of: chrono::NaiveDate,
    collection_year: Option<values::CollectionYear>,
}

/// Functions that read the run's collection year, and which end of it.
const COLLECTION_DATES: [(&str, bool); 2] = [("collection_start", false), ("collection_end", true)];

impl SqlContext {
    /// `collection_year`: the run's, which `collection_start()` and `collection_end()` read.
    pub fn new(as_of: chrono::NaiveDate, collection_year: Option<values::CollectionYear>) -> Self {
        let mut config = SessionConfig::new();
        config.options_mut().sql_parser.collect_spans = true;
        let ctx = SessionContext::new_with_config(config);
        register_functions(&ctx, collection_year);
        SqlContext {
            ctx,
            as_of,
            collection_year,
        }
    }

    /// A session for a rule written as a whole query (the `query` kind): the functions rules
    /// may call, `today()` fixed to the as-of date (planned per run, so it cannot be folded
    /// as [`SqlContext::parse`] folds it), and the tables of `tables` (the run's, at run time;
    /// none when a rule is read, which registers stand-ins).
    pub fn query_session(&self, tables: Option<&SessionContext>) -> SessionContext {
        let ctx = match tables {
            Some(t) => SessionContext::new_with_state(t.state()),
            None => {
                let mut config = SessionConfig::new();
                config.options_mut().sql_parser.collect_spans = true;
                SessionContext::new_with_config(config)
            }
        };
        register_functions(&ctx, self.collection_year);
        // Stand-ins while a rule is read; at run time the run's tables come with the real ones,
        // and its sessions with this rule already (a rule read is optimized as it will run).
        if tables.is_none() {
            super::reference::register(&ctx, &Arc::default());
            ctx.add_optimizer_rule(Arc::new(super::windows::UnpartitionWindows));
        }
        let today = values::ymd(
            chrono::Datelike::year(&self.as_of),
            chrono::Datelike::month(&self.as_of),
            chrono::Datelike::day(&self.as_of),
        );
        for name in ["today", "current_date"] {
            ctx.register_udf(ScalarUDF::from(CollectionDate::new(name, today)));
        }
        ctx
    }

    /// Plan a whole query in a session from [`SqlContext::query_session`], as a rule is read.
    pub fn plan_query(
        &self,
        ctx: &SessionContext,
        query: &str,
    ) -> Result<datafusion::logical_expr::LogicalPlan, Box<SqlError>> {
        if let Some(e) = self.undated_collection(query) {
            return Err(Box::new(e));
        }
        let state = ctx.state();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime with no threads of its own starts");
        runtime
            .block_on(state.create_logical_plan(query))
            .map_err(|e| Box::new(sql_error(query, &e)))
    }

    pub fn as_of(&self) -> chrono::NaiveDate {
        self.as_of
    }

    pub fn collection_year(&self) -> Option<values::CollectionYear> {
        self.collection_year
    }

    /// `collection_start()` or `collection_end()` in a run that names no collection year.
    fn undated_collection(&self, sql: &str) -> Option<SqlError> {
        if self.collection_year.is_some() {
            return None;
        }
        let (name, at) = COLLECTION_DATES
            .iter()
            .find_map(|(name, _)| find_word(sql, name).map(|at| (*name, at)))?;
        Some(SqlError {
            message: format!("`{name}()` needs the run's collection year, and none is set"),
            span: Some(at),
            help: Some(
                "add `collection_year: 2025-26` to the configuration, or to the pack if its rules are for one year"
                    .into(),
            ),
            unknown_column: None,
            qualifier: None,
            code: Some("no-collection-year"),
            label: Some("which year?".into()),
        })
    }

    /// Parse `sql` against `schema`, type-check it, and fold constants such as `today()`.
    pub fn parse(&self, sql: &str, schema: &Arc<DFSchema>) -> Result<Expr, Box<SqlError>> {
        if let Some(at) = past_operator_limit(sql) {
            return Err(Box::new(SqlError {
                message: format!("this expression is too long to check: it has more than {MAX_OPERATORS} operators"),
                span: Some(at),
                help: Some(
                    "split it into several rules, or write a list of values as `column IN ('a', 'b', …)`".into(),
                ),
                unknown_column: None,
                qualifier: None,
                code: None,
                label: Some(format!("operator {}", MAX_OPERATORS + 1)),
            }));
        }
        if let Some(e) = reference_outside_query(sql) {
            return Err(Box::new(e));
        }
        let expr = self
            .ctx
            .parse_sql_expr(sql, schema)
            .map_err(|e| Box::new(sql_error(sql, &e)))?;
        if let Some(e) = self
            .undated_collection(sql)
            .or_else(|| self.check_comparisons(sql, schema))
        {
            return Err(Box::new(e));
        }
        self.simplify(expr, schema).map_err(|e| Box::new(sql_error(sql, &e)))
    }

    /// Comparisons between values of different types: DataFusion would cast one
    /// side silently (`plan_end_date >= team` reads every team as a date, and
    /// fails or gives NULL on each row), so they are mistakes in a rules file.
    /// A quoted literal is fine where it reads as the other side's type
    /// (`plan_end_date >= '2024-04-01'`); where it does not, that is said plainly.
    fn check_comparisons(&self, sql: &str, schema: &Arc<DFSchema>) -> Option<SqlError> {
        use datafusion::sql::sqlparser::ast::{self, BinaryOperator, visit_expressions};
        let state = self.ctx.state();
        let dialect = state.config().options().sql_parser.dialect;
        let Ok(ast) = state.sql_to_expr(sql, &dialect) else {
            return None;
        };
        let mut found = None;
        let _ = visit_expressions(&ast, |e| {
            let pairs: Vec<(&ast::Expr, &ast::Expr)> = match e {
                ast::Expr::BinaryOp {
                    left,
                    op:
                        BinaryOperator::Eq
                        | BinaryOperator::NotEq
                        | BinaryOperator::Lt
                        | BinaryOperator::LtEq
                        | BinaryOperator::Gt
                        | BinaryOperator::GtEq
                        | BinaryOperator::Spaceship,
                    right,
                } => {
                    vec![(left, right)]
                }
                ast::Expr::IsDistinctFrom(a, b) | ast::Expr::IsNotDistinctFrom(a, b) => vec![(a, b)],
                ast::Expr::Between { expr, low, high, .. } => vec![(expr, low), (expr, high)],
                ast::Expr::InList { expr, list, .. } => list.iter().map(|x| (expr.as_ref(), x)).collect(),
                _ => Vec::new(),
            };
            // In a list, point at the item; elsewhere at the whole comparison.
            let in_list = matches!(e, ast::Expr::InList { .. });
            for (a, b) in pairs {
                if let Some(err) = self.compare(sql, schema, a, b, in_list, &state) {
                    found = Some(err);
                    return std::ops::ControlFlow::Break(());
                }
            }
            std::ops::ControlFlow::Continue(())
        });
        found
    }

    /// The problem with comparing `a` and `b`, if there is one.
    fn compare(
        &self,
        sql: &str,
        schema: &Arc<DFSchema>,
        a: &datafusion::sql::sqlparser::ast::Expr,
        b: &datafusion::sql::sqlparser::ast::Expr,
        in_list: bool,
        state: &datafusion::execution::SessionState,
    ) -> Option<SqlError> {
        let dialect = state.config().options().sql_parser.dialect;
        let operand = |x: &datafusion::sql::sqlparser::ast::Expr| -> Option<Operand> {
            let at = span_of(sql, x)?;
            let text = sql[at.clone()].trim().to_string();
            // The recorded span is not always the whole node (`DATE '2024-04-01'`
            // records only the quoted text): use it only if it reads back the same.
            if state.sql_to_expr(&text, &dialect).ok().as_ref() != Some(x) {
                return None;
            }
            let expr = self.ctx.parse_sql_expr(&text, schema).ok()?;
            let ty = self.data_type(&expr, schema)?;
            Some(Operand {
                class: Class::of(&ty)?,
                ty,
                literal: quoted(x),
                column: matches!(
                    x,
                    datafusion::sql::sqlparser::ast::Expr::Identifier(_)
                        | datafusion::sql::sqlparser::ast::Expr::CompoundIdentifier(_)
                ),
                text,
                at,
            })
        };
        let (a, b) = (operand(a)?, operand(b)?);
        if a.class == b.class {
            return None;
        }
        // A quoted value against a date or a number: fine if it reads as one.
        for (typed, text) in [(&a, &b), (&b, &a)] {
            let Some(lit) = &text.literal else { continue };
            if text.class != Class::Text || typed.class == Class::Text {
                continue;
            }
            if ScalarValue::Utf8(Some(lit.clone())).cast_to(&typed.ty).is_ok() {
                return None;
            }
            return Some(match typed.class {
                Class::Date => not_a_date(lit, text.at.clone()),
                _ => SqlError {
                    message: format!("`{}` is not a number", text.text),
                    span: Some(text.at.clone()),
                    help: Some(format!(
                        "`{}` is {}: compare it with a number, written without quotes (e.g. `{} > 0`)",
                        typed.text,
                        typed.class.describe_typed(&typed.ty),
                        typed.text
                    )),
                    unknown_column: None,
                    qualifier: None,
                    code: Some("type-mismatch"),
                    label: Some("not a number".into()),
                },
            });
        }
        // The help is about the side that is not text, unless only the text side is a
        // column (`team = 3`: the value should be quoted).
        let (keep, other) = match (a.class, b.class) {
            (Class::Text, _) if a.column && !b.column => (&a, &b),
            (_, Class::Text) if b.column && !a.column => (&b, &a),
            (Class::Text, _) => (&b, &a),
            _ => (&a, &b),
        };
        let mut help = match keep.class {
            Class::Date => format!(
                "compare `{}` with a date: a date column, a date in quotes written yyyy-mm-dd (e.g. '2024-04-01'), or today()",
                keep.text
            ),
            Class::Number => format!(
                "compare `{}` with a number: a number column, or a number without quotes (e.g. 0)",
                keep.text
            ),
            Class::Text => format!(
                "compare `{}` with text: a text column, or text in single quotes (e.g. '{}')",
                keep.text, other.text
            ),
        };
        if other.column && other.class == Class::Text && keep.class != Class::Text {
            help.push_str(&format!(
                "; if `{}` holds {}s, declare it with `type: {}`",
                other.text,
                match keep.class {
                    Class::Date => "date",
                    _ => "number",
                },
                match keep.class {
                    Class::Date => "date",
                    _ if keep.ty.is_integer() => "integer",
                    _ => "decimal",
                }
            ));
        }
        Some(SqlError {
            message: format!(
                "`{}` is {} but `{}` is {}",
                a.text,
                a.class.describe_typed(&a.ty),
                b.text,
                b.class.describe_typed(&b.ty)
            ),
            span: Some(if in_list { b.at.clone() } else { a.at.start..b.at.end }),
            help: Some(help),
            unknown_column: None,
            qualifier: None,
            code: Some("type-mismatch"),
            label: Some(format!(
                "{} compared with {}",
                a.class.describe_typed(&a.ty),
                b.class.describe_typed(&b.ty)
            )),
        })
    }

    fn simplify(&self, expr: Expr, schema: &Arc<DFSchema>) -> datafusion::common::Result<Expr> {
        let start = self.as_of.and_hms_opt(12, 0, 0).expect("noon exists").and_utc();
        let context = SimplifyContext::builder()
            .with_schema(Arc::clone(schema))
            .with_query_execution_start_time(Some(start))
            .build();
        let simplifier = ExprSimplifier::new(context);
        let expr = simplifier.coerce(expr, schema)?;
        simplifier.simplify(expr)
    }

    pub fn physical(&self, expr: &Expr, schema: &DFSchema) -> datafusion::common::Result<Arc<dyn PhysicalExpr>> {
        self.ctx.create_physical_expr(expr.clone(), schema)
    }

    /// The type an expression gives, for "a check must be true or false".
    pub fn data_type(&self, expr: &Expr, schema: &DFSchema) -> Option<DataType> {
        use datafusion::logical_expr::ExprSchemable;
        expr.get_type(schema).ok()
    }
}

/// A reference function (`postcode_la`...) in SQL evaluated row by row: the reference data is
/// loaded for the rules over whole tables, which are reported as not checked without it.
fn reference_outside_query(sql: &str) -> Option<SqlError> {
    let (name, at) = super::reference::first_function(sql)?;
    Some(SqlError {
        message: format!("`{name}()` reads reference data, which only `query` rules can use"),
        span: Some(at),
        help: Some("write this rule as `kind: query` with the same `check` (and `when`)".into()),
        unknown_column: None,
        qualifier: None,
        code: Some("reference-outside-query"),
        label: Some("reference data".into()),
    })
}

fn sql_error(sql: &str, e: &DataFusionError) -> SqlError {
    let root = e.find_root();
    let mut message = root.strip_backtrace();
    for prefix in [
        "Error during planning: ",
        "Schema error: ",
        "SQL error: ",
        "sql parser error: ",
        "Optimizer rule 'simplify_expressions' failed\ncaused by\n",
    ] {
        if let Some(rest) = message.strip_prefix(prefix) {
            message = rest.to_string();
        }
    }
    // DataFusion's "Invalid function 'x'.\nDid you mean 'y'?" always names some
    // function, however far from `x`: keep the name for a "did you mean" below.
    let quoted_after = |text: &str, marker: &str| {
        let rest = text.split_once(marker)?.1;
        Some(rest.split_once('\'')?.0.to_string())
    };
    let function_hint =
        quoted_after(&message, "Invalid function '").map(|f| (f, quoted_after(&message, "Did you mean '")));
    let message = message.lines().next().unwrap_or_default();
    let message = message.strip_prefix("ParserError(\"").unwrap_or(message);
    let message = message
        .trim_end_matches("\")")
        .replace("Expected: ", "expected ")
        .replace(", found: ", ", found ");
    let diag = e.diagnostic().or_else(|| root.diagnostic());
    let mut span = diag
        .and_then(|d| d.span)
        .and_then(|s| to_range(sql, s.start.line, s.start.column, s.end.line, s.end.column));
    // The parser's own errors carry "at Line: l, Column: c" in the text.
    if span.is_none()
        && let Some(at) = message.find("at Line: ")
    {
        let nums: Vec<u64> = message[at..]
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse().ok())
            .collect();
        if let [l, c, ..] = nums[..] {
            span = to_range(sql, l, c, l, c + 1);
        }
    }
    let (unknown_column, qualifier) = match root {
        DataFusionError::SchemaError(err, _) => match err.as_ref() {
            datafusion::common::SchemaError::FieldNotFound { field, .. } => (
                Some(field.name().to_string()),
                field.relation.as_ref().map(|r| r.table().to_string()),
            ),
            _ => (None, None),
        },
        _ => (None, None),
    };
    if span.is_none()
        && let Some(name) = &unknown_column
    {
        span = find_word(sql, name);
    }
    // A quoted value that cannot be read as the type it is compared with, where
    // the comparison check above did not see it (e.g. inside a function call).
    if let Some((value, ty)) = message
        .split_once("Cannot cast string '")
        .and_then(|(_, rest)| rest.split_once("' to value of "))
        .map(|(v, rest)| (v.to_string(), rest.split(' ').next().unwrap_or_default().to_string()))
    {
        let quoted = format!("'{value}'");
        let at = sql.find(&quoted).map(|i| i..i + quoted.len()).or(span);
        if ty.starts_with("Date") || ty.starts_with("Timestamp") {
            return not_a_date(&value, at.unwrap_or(0..sql.len()));
        }
        return SqlError {
            message: format!(
                "`{quoted}` is not {}",
                if ty.starts_with("Int") {
                    "a whole number"
                } else {
                    "a number"
                }
            ),
            span: at,
            help: Some("compare a number with a number, written without quotes (e.g. 0)".into()),
            unknown_column: None,
            qualifier: None,
            code: Some("type-mismatch"),
            label: Some("not a number".into()),
        };
    }
    let mut message = message.split(" at Line: ").next().unwrap_or_default().to_string();
    let mut help = diag.and_then(|d| d.helps.first()).map(|h| h.message.clone());
    if let Some(name) = &unknown_column {
        message = format!("unknown column `{name}`");
        help = None;
    }
    if let Some(i) = message.find(".Did you mean") {
        help = Some(message[i + 1..].to_string());
        message.truncate(i);
    }
    let mut label = None;
    if let Some((name, suggested)) = function_hint {
        message = format!("unknown function `{name}`");
        label = Some("not a SQL function".to_string());
        help = crate::model::diag::did_you_mean(&name, suggested.as_deref()).or_else(|| {
            Some(
                "Cleanse knows DataFusion's SQL functions (lower, trim, length, coalesce, date_part…) and adds today(), age_years(born, at), dates_in_order(a, b, ...), add_working_days(date, n), collection_start() and collection_end()"
                    .into(),
            )
        });
    }
    SqlError {
        message,
        span,
        help,
        unknown_column,
        qualifier,
        code: None,
        label,
    }
}

/// One side of a comparison.
struct Operand {
    /// As written.
    text: String,
    at: Range<usize>,
    ty: DataType,
    class: Class,
    /// The text of a single-quoted literal.
    literal: Option<String>,
    /// A column name (possibly qualified), not an expression.
    column: bool,
}

/// The kinds of value a data officer tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Date,
    Number,
    Text,
}

impl Class {
    fn of(t: &DataType) -> Option<Class> {
        match t {
            DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => Some(Class::Date),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(Class::Text),
            t if t.is_numeric() => Some(Class::Number),
            _ => None,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Class::Date => "a date",
            Class::Number => "a number",
            Class::Text => "text",
        }
    }

    fn describe_typed(self, t: &DataType) -> &'static str {
        match self {
            Class::Number if t.is_integer() => "a whole number",
            c => c.describe(),
        }
    }
}

/// A value's type in a data officer's words.
pub fn value_kind(t: &DataType) -> &'static str {
    match t {
        DataType::Boolean => "true or false",
        t => Class::of(t).map_or("a value of another type", |c| c.describe_typed(t)),
    }
}

/// Where a parsed expression is in `sql`, if the parser recorded it.
fn span_of(sql: &str, e: &datafusion::sql::sqlparser::ast::Expr) -> Option<Range<usize>> {
    use datafusion::sql::sqlparser::ast::Spanned;
    let s = e.span();
    let r = to_range(sql, s.start.line, s.start.column, s.end.line, s.end.column)?;
    (!r.is_empty()).then_some(r)
}

/// The text of a single-quoted string literal.
fn quoted(e: &datafusion::sql::sqlparser::ast::Expr) -> Option<String> {
    use datafusion::sql::sqlparser::ast::{Expr, Value};
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// `'next tuesday'` or `'01/04/2024'` where a date is wanted.
fn not_a_date(text: &str, at: Range<usize>) -> SqlError {
    let uk = values::parse_date(text, values::DateForms::ALL, values::DEFAULT_PIVOT);
    SqlError {
        message: format!("`'{text}'` is not a date"),
        span: Some(at),
        help: Some(match uk {
            Some(d) => format!(
                "in SQL, write a date as yyyy-mm-dd: '{}'",
                values::format_iso(d)
            ),
            None => "write a date in quotes as yyyy-mm-dd (e.g. '2024-04-01'), or use today() (e.g. today() - INTERVAL '6 months')".into(),
        }),
        unknown_column: None,
        qualifier: None,
        code: Some("bad-date"),
        label: Some("not a date".into()),
    }
}

pub(crate) fn to_range(sql: &str, l1: u64, c1: u64, l2: u64, c2: u64) -> Option<Range<usize>> {
    if l1 == 0 {
        return None;
    }
    let at = |l: u64, c: u64| -> usize {
        let mut offset = 0;
        for (i, line) in sql.split_inclusive('\n').enumerate() {
            if i as u64 + 1 == l {
                return offset
                    + line
                        .char_indices()
                        .nth(c.saturating_sub(1) as usize)
                        .map_or(line.len(), |(i, _)| i);
            }
            offset += line.len();
        }
        sql.len()
    };
    let start = at(l1, c1);
    let end = at(l2, c2).max(start);
    Some(start..end.min(sql.len()))
}

/// The most operators (and opening brackets) one SQL expression may have. DataFusion plans and
/// simplifies an expression recursively, a few stack frames per level, so a long chain such as
/// `a + a + … + a` (a thousand terms, 15 KB) overflowed the stack and aborted the process
/// before this limit (found by fuzzing, see `fuzz/README.md`). No real check comes near it.
pub const MAX_OPERATORS: usize = 200;

/// Where `sql` passes [`MAX_OPERATORS`]: the operator that does. Counts, outside quotes, every
/// run of operator characters (`+`, `>=`, `||`…), every `(` and the keyword operators (`AND`,
/// `IS`, `LIKE`…). That bounds how deep the parsed expression can be, without building it.
fn past_operator_limit(sql: &str) -> Option<Range<usize>> {
    const OPERATOR: &[u8] = b"+-*/%|&^<>=!~#@";
    const WORDS: &[&str] = &["and", "or", "not", "is", "in", "like", "ilike", "similar", "between"];
    let b = sql.as_bytes();
    let (mut count, mut i) = (0, 0);
    while i < b.len() {
        let start = i;
        let c = b[i];
        i += 1;
        if matches!(c, b'\'' | b'"' | b'`') {
            while i < b.len() && b[i] != c {
                i += 1;
            }
            i += 1;
            continue;
        } else if OPERATOR.contains(&c) {
            while i < b.len() && OPERATOR.contains(&b[i]) {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            if !WORDS.iter().any(|w| w.eq_ignore_ascii_case(&sql[start..i])) {
                continue;
            }
        } else if c != b'(' {
            continue;
        }
        count += 1;
        if count > MAX_OPERATORS {
            return Some(start..i);
        }
    }
    None
}

pub use super::names::find_word;

/// A date function's arguments as date arrays, one value per row.
fn date_arguments(name: &str, args: &ScalarFunctionArgs) -> datafusion::common::Result<Vec<Date32Array>> {
    args.args
        .iter()
        .map(|a| {
            let array = a.to_array(args.number_rows)?;
            array
                .as_any()
                .downcast_ref::<Date32Array>()
                .cloned()
                .ok_or_else(|| DataFusionError::Execution(format!("{name} takes dates, not {}", array.data_type())))
        })
        .collect()
}

/// A function's result: one value when every argument was one (a constant folds), else a
/// value per row.
fn columnar(args: &ScalarFunctionArgs, out: ArrayRef) -> datafusion::common::Result<ColumnarValue> {
    if args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_))) {
        return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?));
    }
    Ok(ColumnarValue::Array(out))
}

/// `age_years(date_of_birth, at)`: whole years of age on a date, by the UK
/// birthday rule. Annex A ages are the child's age on the event date.
#[derive(Debug, PartialEq, Eq, Hash)]
struct AgeYears {
    signature: Signature,
}

impl AgeYears {
    fn new() -> Self {
        AgeYears {
            signature: Signature::exact(vec![DataType::Date32, DataType::Date32], Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for AgeYears {
    fn name(&self) -> &str {
        "age_years"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> datafusion::common::Result<DataType> {
        Ok(DataType::Int64)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> datafusion::common::Result<ColumnarValue> {
        let dates = date_arguments("age_years", &args)?;
        let out: Int64Array = dates[0]
            .iter()
            .zip(dates[1].iter())
            .map(|(b, a)| Some(values::age_years(b?, a?) as i64))
            .collect();
        columnar(&args, Arc::new(out))
    }
}

/// `dates_in_order(a, b, c, ...)`: whether the dates given are in order, each on or after the
/// one before it, blanks skipped (a step not reached yet). A process's milestones (an
/// adoption's decision, order, match, placement) read as one list instead of a chain of
/// `coalesce` comparisons, and a date out of order anywhere in it fails.
#[derive(Debug, PartialEq, Eq, Hash)]
struct DatesInOrder {
    signature: Signature,
}

impl DatesInOrder {
    fn new() -> Self {
        DatesInOrder {
            signature: Signature::variadic(vec![DataType::Date32], Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for DatesInOrder {
    fn name(&self) -> &str {
        "dates_in_order"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> datafusion::common::Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> datafusion::common::Result<ColumnarValue> {
        let dates = date_arguments("dates_in_order", &args)?;
        let out: BooleanArray = (0..args.number_rows)
            .map(|row| {
                let mut last = i32::MIN;
                for d in dates.iter().filter(|d| d.is_valid(row)) {
                    if d.value(row) < last {
                        return Some(false);
                    }
                    last = d.value(row);
                }
                Some(true)
            })
            .collect();
        columnar(&args, Arc::new(out))
    }
}

/// `collection_start()` and `collection_end()`: 1 April and 31 March of the run's collection
/// year, folded to dates when a rule is planned, as `today()` is. Without a year they are refused
/// when a rule is read ([`SqlContext::parse`]), so `day` is never `None` when one runs.
#[derive(Debug, PartialEq, Eq, Hash)]
struct CollectionDate {
    name: &'static str,
    day: Option<values::Days>,
    signature: Signature,
}

impl CollectionDate {
    fn new(name: &'static str, day: Option<values::Days>) -> Self {
        CollectionDate {
            name,
            day,
            signature: Signature::nullary(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for CollectionDate {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> datafusion::common::Result<DataType> {
        Ok(DataType::Date32)
    }
    fn invoke_with_args(&self, _: ScalarFunctionArgs) -> datafusion::common::Result<ColumnarValue> {
        match self.day {
            Some(day) => Ok(ColumnarValue::Scalar(ScalarValue::Date32(Some(day)))),
            None => Err(DataFusionError::Plan(format!(
                "{}() needs a collection year",
                self.name
            ))),
        }
    }
}

/// Parse SQL written in a rules file against `schema`, with errors pointing
/// at the exact character in the YAML. Shared by rules and corrections.
pub fn sql_in(
    file: &Arc<SourceFile>,
    sql: &SqlContext,
    table: &Table,
    value: &Spanned<String>,
    schema: &Arc<DFSchema>,
) -> Result<(Expr, Vec<usize>), Diagnostic> {
    let at = span(value);
    let text = &value.value;
    // Where the SQL text starts in the file: exact for plain and quoted scalars.
    let base = file
        .text
        .get(at.clone())
        .and_then(|s| s.find(text.as_str()))
        .map(|i| at.start + i);
    match sql.parse(text, schema) {
        Ok(expr) => {
            let reads = reads(table, &expr);
            Ok((expr, reads))
        }
        Err(e) => {
            let span = match (base, &e.span) {
                (Some(b), Some(r)) => b + r.start..b + r.end.max(r.start + 1),
                _ => at,
            };
            if let (Some(name), Some(q)) = (&e.unknown_column, &e.qualifier) {
                return Err(qualified_unknown(file, table, schema, span, q, name));
            }
            let mut help = e.help.clone();
            if let Some(name) = &e.unknown_column {
                help = did_you_mean(name, table.columns.iter().map(|c| c.name.as_str()));
                if name == "today" {
                    help = Some("write `today()`, with brackets, for the run's date".into());
                }
                help = help.or_else(|| {
                    Some(format!(
                        "columns of `{}`: {}",
                        table.name,
                        table
                            .columns
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                });
            }
            let (code, message, label) = match &e.unknown_column {
                Some(name) => (
                    "unknown-column",
                    format!("table `{}` has no column `{name}`", table.name),
                    "unknown column".to_string(),
                ),
                None => (
                    e.code.unwrap_or("bad-sql"),
                    e.message,
                    e.label.unwrap_or_else(|| "here".into()),
                ),
            };
            Err(Diagnostic::new(code, file, span, message).label(label).maybe_help(help))
        }
    }
}

/// `q.name` where `name` was not found: either `q` is not a row the expression
/// can read (`othr.x`, `plan.x`), or that row has no column `name`.
fn qualified_unknown(
    file: &Arc<SourceFile>,
    table: &Table,
    schema: &DFSchema,
    span: Range<usize>,
    q: &str,
    name: &str,
) -> Diagnostic {
    let mut qualifiers: Vec<&str> = schema.iter().filter_map(|(r, _)| r.map(|r| r.table())).collect();
    qualifiers.dedup();
    if qualifiers.contains(&q) {
        let columns: Vec<&str> = schema
            .iter()
            .filter(|(r, _)| r.is_some_and(|r| r.table() == q))
            .map(|(_, f)| f.name().as_str())
            .collect();
        return Diagnostic::new("unknown-column", file, span, format!("`{q}` has no column `{name}`"))
            .label("unknown column")
            .help(
                did_you_mean(name, columns.iter().copied())
                    .unwrap_or_else(|| format!("columns of `{q}`: {}", columns.join(", "))),
            );
    }
    // Point at the qualifier alone when the text is plain `q.name`.
    let q_at = match file.text.get(span.clone()) {
        Some(t) if t.starts_with(q) => span.start..span.start + q.len(),
        _ => span.clone(),
    };
    if qualifiers.is_empty() {
        // A check over one row: names are the row's own columns.
        let (message, label, help) = if q == table.name {
            (
                format!("write `{name}`, not `{q}.{name}`: this check reads the row's own columns by name"),
                format!("leave out `{q}.`"),
                "only `related` checks (`other.<column>`) and `sequence` checks (`previous.<column>`) name another row"
                    .to_string(),
            )
        } else {
            (
                format!("unknown table `{q}`"),
                "not a table this check can read".to_string(),
                format!(
                    "this check reads the row's own columns by name (e.g. `{name}`); to compare with another table, use a `related` rule"
                ),
            )
        };
        return Diagnostic::new("unknown-table", file, q_at, message)
            .label(label)
            .help(help);
    }
    Diagnostic::new("unknown-table", file, q_at, format!("unknown table `{q}`"))
        .label("not a table this check can read")
        .help(did_you_mean(q, qualifiers.iter().copied()).unwrap_or_else(|| {
            format!(
                "this check can read: {}",
                qualifiers
                    .iter()
                    .map(|q| format!("`{q}.<column>`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }))
}

/// As [`sql_in`], for a condition: it must give true or false.
pub fn condition_in(
    file: &Arc<SourceFile>,
    sql: &SqlContext,
    table: &Table,
    value: &Spanned<String>,
    schema: &Arc<DFSchema>,
) -> Result<(Expr, Vec<usize>), Diagnostic> {
    let (expr, reads) = sql_in(file, sql, table, value, schema)?;
    match sql.data_type(&expr, schema) {
        Some(datafusion::arrow::datatypes::DataType::Boolean) | Some(datafusion::arrow::datatypes::DataType::Null) => {
            Ok((expr, reads))
        }
        Some(other) => Err(Diagnostic::new(
            "not-a-condition",
            file,
            span(value),
            format!(
                "this expression gives {}, not true or false",
                crate::spec::sql::value_kind(&other)
            ),
        )
        .label("must be a condition")
        .help("compare it with something, e.g. `a >= b` or `x IS NOT NULL`")),
        None => Ok((expr, reads)),
    }
}

/// Typed columns of `table` an expression reads.
pub fn reads(table: &Table, expr: &Expr) -> Vec<usize> {
    let names: HashSet<String> = expr.column_refs().into_iter().map(|c| c.name.clone()).collect();
    let mut out: Vec<usize> = names.iter().filter_map(|n| table.column(n)).collect();
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_operators_outside_quotes() {
        let chain = |n: usize, op: &str| vec!["a"; n].join(op);
        assert_eq!(past_operator_limit(&chain(MAX_OPERATORS + 1, " + ")), None);
        let at = past_operator_limit(&chain(MAX_OPERATORS + 2, " + ")).expect("too many");
        assert_eq!(&chain(MAX_OPERATORS + 2, " + ")[at.clone()], "+");
        assert_eq!(at.start, (MAX_OPERATORS + 1) * 4 - 2);
        assert!(past_operator_limit(&chain(MAX_OPERATORS + 2, " and ")).is_some());
        assert!(past_operator_limit(&chain(MAX_OPERATORS + 2, " >= ")).is_some());
        // Inside quotes nothing counts, and words that only contain a keyword are names.
        let list = format!("x IN ({})", vec!["'a + b - c'"; 500].join(", "));
        assert_eq!(past_operator_limit(&list), None);
        assert_eq!(past_operator_limit(&chain(500, " , island_")), None);
        // Unterminated quotes and non-ASCII text are read without slicing inside a character.
        assert_eq!(past_operator_limit("'é + é"), None);
        assert!(past_operator_limit(&format!("é{}", chain(MAX_OPERATORS + 2, "é+"))).is_some());
    }

    #[test]
    fn a_long_chain_is_refused_not_a_stack_overflow() {
        // 1,000 terms overflowed the stack inside DataFusion's planner (found by fuzzing).
        let ctx = SqlContext::new(chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(), None);
        let schema = Arc::new(
            DFSchema::try_from(datafusion::arrow::datatypes::Schema::new(vec![
                datafusion::arrow::datatypes::Field::new("n", DataType::Int64, true),
            ]))
            .unwrap(),
        );
        let sql = format!("{} > 0", vec!["n"; 1000].join(" + "));
        let err = ctx.parse(&sql, &schema).expect_err("refused");
        assert!(err.message.contains("too long"), "{}", err.message);
        let ok = format!("{} > 0", vec!["n"; 100].join(" + "));
        assert!(ctx.parse(&ok, &schema).is_ok());
    }

    #[test]
    fn functions_that_build_strings_of_any_size_are_not_offered() {
        // `repeat('x', 2000000000)` took 2 GB while a pack loaded (found by fuzzing).
        let ctx = SqlContext::new(chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(), None);
        let schema = Arc::new(
            DFSchema::try_from(datafusion::arrow::datatypes::Schema::new(vec![
                datafusion::arrow::datatypes::Field::new("t", DataType::Utf8, true),
            ]))
            .unwrap(),
        );
        for sql in [
            "repeat('x', 2000000000) = t",
            "lpad(t, 2000000000) = t",
            "rpad('x', 9) = t",
        ] {
            let err = ctx.parse(sql, &schema).expect_err(sql);
            assert!(err.message.starts_with("unknown function"), "{sql}: {}", err.message);
        }
        assert!(ctx.parse("upper(trim(t)) = 'A'", &schema).is_ok());
    }

    #[test]
    fn finds_whole_words_only() {
        assert_eq!(find_word("a_date >= date", "date"), Some(10..14));
        assert_eq!(find_word("x > 1", "y"), None);
    }
}
