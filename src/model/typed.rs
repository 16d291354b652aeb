//! Typing: a column's text read as its declared type. The one implementation every stage
//! uses, so a value means the same to checks, corrections, rules between tables and the
//! duplicate finder.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, PrimitiveBuilder, StringArray, StringBuilder};
use datafusion::arrow::datatypes::{ArrowPrimitiveType, Date32Type, Float64Type, Int64Type};

use super::table::ColumnType;
use super::values;

/// A declared column read as its type.
pub struct Typed {
    pub array: ArrayRef,
    /// Rows whose non-blank value did not parse.
    pub failed: Option<Vec<bool>>,
    /// Rows whose code matched only ignoring case and spacing.
    pub loose: Option<Vec<bool>>,
}

/// A raw text column read as `ty`: what rules see. Used by the relate stage too.
pub fn typed_column(raw: &StringArray, ty: &ColumnType, pivot: u8) -> ArrayRef {
    type_column(raw, ty, pivot).array
}

pub fn type_column(raw: &StringArray, ty: &ColumnType, pivot: u8) -> Typed {
    let n = raw.len();
    match ty {
        ColumnType::Text => {
            let mut b = StringBuilder::with_capacity(n, raw.value_data().len());
            for v in raw.iter() {
                match v.map(str::trim) {
                    Some(s) if !s.is_empty() => b.append_value(s),
                    _ => b.append_null(),
                }
            }
            Typed {
                array: Arc::new(b.finish()),
                failed: None,
                loose: None,
            }
        }
        ColumnType::Date(forms) => parsed::<Date32Type>(raw, |s| values::parse_date(s, *forms, pivot)),
        ColumnType::Integer => parsed::<Int64Type>(raw, values::parse_integer),
        ColumnType::Decimal => parsed::<Float64Type>(raw, values::parse_decimal),
        ColumnType::Code(list) => {
            let mut b = StringBuilder::with_capacity(n, n * 8);
            let mut failed = vec![false; n];
            let mut loose = vec![false; n];
            let mut buf = String::new();
            for (row, v) in raw.iter().enumerate() {
                let v = v.unwrap_or("");
                if let Some(&i) = list.exact.get(v) {
                    b.append_value(&list.codes[i as usize]);
                } else if values::is_blank(v) {
                    b.append_null();
                } else {
                    values::normalise_code(v, &mut buf);
                    match list.loose.get(buf.as_str()) {
                        Some(&i) => {
                            loose[row] = true;
                            b.append_value(&list.codes[i as usize]);
                        }
                        None => {
                            failed[row] = true;
                            b.append_null();
                        }
                    }
                }
            }
            Typed {
                array: Arc::new(b.finish()),
                failed: Some(failed),
                loose: Some(loose),
            }
        }
    }
}

/// Parse every non-blank value; blanks become NULL, failures NULL and flagged.
fn parsed<T: ArrowPrimitiveType>(raw: &StringArray, parse: impl Fn(&str) -> Option<T::Native>) -> Typed {
    let mut b = PrimitiveBuilder::<T>::with_capacity(raw.len());
    let mut failed = vec![false; raw.len()];
    for (row, v) in raw.iter().enumerate() {
        let v = v.unwrap_or("");
        if values::is_blank(v) {
            b.append_null();
        } else {
            let p = parse(v);
            failed[row] = p.is_none();
            b.append_option(p);
        }
    }
    Typed {
        array: Arc::new(b.finish()),
        failed: Some(failed),
        loose: None,
    }
}
