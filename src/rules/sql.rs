//! SQL expressions in rules: parsed by DataFusion against a table's typed
//! schema, with positions kept so an error can point at the exact character.
//!
//! `today()` (DataFusion's alias of `current_date()`) is folded to the run's
//! as-of date here, at planning time, so a re-run over the same exports gives
//! the same findings.

use std::ops::Range;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Date32Array, Int64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DFSchema, DataFusionError, ScalarValue};
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::values;

/// A SQL problem, positioned within the expression text.
#[derive(Debug)]
pub struct SqlError {
    pub message: String,
    /// Byte range within the SQL text, when DataFusion knows it.
    pub span: Option<Range<usize>>,
    pub help: Option<String>,
    /// The unknown name, for a "did you mean" against the table's columns.
    pub unknown_column: Option<String>,
}

pub struct SqlContext {
    ctx: SessionContext,
    as_of: chrono::NaiveDate,
}

impl SqlContext {
    pub fn new(as_of: chrono::NaiveDate) -> Self {
        let mut config = SessionConfig::new();
        config.options_mut().sql_parser.collect_spans = true;
        let ctx = SessionContext::new_with_config(config);
        ctx.register_udf(ScalarUDF::from(AgeYears::new()));
        SqlContext { ctx, as_of }
    }

    pub fn as_of(&self) -> chrono::NaiveDate {
        self.as_of
    }

    /// Parse `sql` against `schema`, type-check it, and fold constants such as `today()`.
    pub fn parse(&self, sql: &str, schema: &Arc<DFSchema>) -> Result<Expr, SqlError> {
        let expr = self.ctx.parse_sql_expr(sql, schema).map_err(|e| sql_error(sql, &e))?;
        self.simplify(expr, schema).map_err(|e| sql_error(sql, &e))
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
    let function_hint = quoted_after(&message, "Invalid function '").zip(quoted_after(&message, "Did you mean '"));
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
    let unknown_column = match root {
        DataFusionError::SchemaError(err, _) => match err.as_ref() {
            datafusion::common::SchemaError::FieldNotFound { field, .. } => Some(field.name().to_string()),
            _ => None,
        },
        _ => None,
    };
    if span.is_none()
        && let Some(name) = &unknown_column
    {
        span = find_word(sql, name);
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
    if help.is_none()
        && let Some((name, suggested)) = function_hint
    {
        help = crate::diag::did_you_mean(&name, [suggested.as_str()]);
    }
    SqlError {
        message,
        span,
        help,
        unknown_column,
    }
}

fn to_range(sql: &str, l1: u64, c1: u64, l2: u64, c2: u64) -> Option<Range<usize>> {
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

/// Where `word` appears as a whole identifier in `sql` (case-insensitive).
pub fn find_word(sql: &str, word: &str) -> Option<Range<usize>> {
    let lower = sql.to_lowercase();
    let w = word.to_lowercase();
    let bytes = lower.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut from = 0;
    while let Some(i) = lower[from..].find(&w) {
        let s = from + i;
        let e = s + w.len();
        if (s == 0 || !is_ident(bytes[s - 1])) && (e >= bytes.len() || !is_ident(bytes[e])) {
            return Some(s..e);
        }
        from = e;
    }
    None
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
        let n = args.number_rows;
        let arrays: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| a.to_array(n))
            .collect::<datafusion::common::Result<_>>()?;
        let as_dates = |a: &ArrayRef| {
            a.as_any()
                .downcast_ref::<Date32Array>()
                .cloned()
                .ok_or_else(|| DataFusionError::Internal("age_years takes dates".into()))
        };
        let (born, at) = (as_dates(&arrays[0])?, as_dates(&arrays[1])?);
        let out: Int64Array = born
            .iter()
            .zip(at.iter())
            .map(|(b, a)| Some(values::age_years(b?, a?) as i64))
            .collect();
        let out: ArrayRef = Arc::new(out);
        if args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_))) {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?));
        }
        Ok(ColumnarValue::Array(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_whole_words_only() {
        assert_eq!(find_word("a_date >= date", "date"), Some(10..14));
        assert_eq!(find_word("x > 1", "y"), None);
    }
}
