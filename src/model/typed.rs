//! Typing: a column's text read as its declared type. The one implementation every stage
//! uses, so a value means the same to checks, corrections, rules between tables and the
//! duplicate finder.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, PrimitiveBuilder, StringArray, StringBuilder};
use datafusion::arrow::buffer::BooleanBuffer;
use datafusion::arrow::compute::nullif;
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

/// A raw text column read as `ty`, to be kept for the rest of the run (a whole table's
/// projection): text typing left in the raw column's buffers is copied out, so that what is
/// kept is its values alone, not the batch's text buffers with the room they were built with
/// (a tenth of a gigabyte at ten million rows).
pub fn kept_column(raw: &StringArray, ty: &ColumnType, pivot: u8) -> ArrayRef {
    let array = type_column(raw, ty, pivot).array;
    match array.as_any().downcast_ref::<StringArray>() {
        Some(text) if text.values().as_ptr() == raw.values().as_ptr() => {
            let mut b = StringBuilder::with_capacity(text.len(), text.value_data().len());
            b.extend(text.iter());
            Arc::new(b.finish())
        }
        _ => array,
    }
}

pub fn type_column(raw: &StringArray, ty: &ColumnType, pivot: u8) -> Typed {
    let n = raw.len();
    match ty {
        ColumnType::Text => Typed {
            array: trimmed(raw),
            failed: None,
            loose: None,
        },
        ColumnType::Date(forms) => parsed::<Date32Type>(raw, |s| values::parse_date(s, *forms, pivot)),
        ColumnType::Integer => parsed::<Int64Type>(raw, values::parse_integer),
        ColumnType::Decimal => parsed::<Float64Type>(raw, values::parse_decimal),
        ColumnType::Code(list) => {
            const NONE: u32 = u32::MAX;
            let mut failed = vec![false; n];
            let mut loose = vec![false; n];
            let mut buf = String::new();
            // Each row's code, and whether every code is written exactly as its value.
            let mut found: Vec<u32> = Vec::with_capacity(n);
            let mut as_is = raw.nulls().is_none();
            for (row, v) in raw.iter().enumerate() {
                let v = v.unwrap_or("");
                let code = if let Some(&i) = list.exact.get(v) {
                    as_is &= list.codes[i as usize] == v;
                    i
                } else if values::is_blank(v) {
                    NONE
                } else {
                    values::normalise_code(v, &mut buf);
                    match list.loose.get(buf.as_str()) {
                        Some(&i) => {
                            loose[row] = true;
                            as_is = false;
                            i
                        }
                        None => {
                            failed[row] = true;
                            NONE
                        }
                    }
                };
                found.push(code);
            }
            // Most exports hold the codes as the list writes them: then the column is the
            // raw text with the rest masked as NULL, not a copy.
            let array = if as_is {
                let none = BooleanBuffer::collect_bool(n, |row| found[row] == NONE);
                nullif(raw, &BooleanArray::new(none, None)).expect("a mask as long as the column it masks")
            } else {
                let mut b = StringBuilder::with_capacity(n, n * 8);
                for code in found {
                    match code {
                        NONE => b.append_null(),
                        i => b.append_value(&list.codes[i as usize]),
                    }
                }
                Arc::new(b.finish())
            };
            Typed {
                array,
                failed: Some(failed),
                loose: Some(loose),
            }
        }
    }
}

/// Text values trimmed, blanks NULL. In most exports no value needs trimming: then the raw
/// column's own text is used, with blanks masked as NULL, rather than copied value by value.
fn trimmed(raw: &StringArray) -> ArrayRef {
    let (offsets, data) = (raw.value_offsets(), raw.value_data());
    // An edge byte that is ASCII and not whitespace: nothing to trim at that end. (A non-ASCII
    // edge may start or end a Unicode space: such a column takes the long way.)
    let kept = |b: u8| b.is_ascii() && !char::from(b).is_whitespace();
    let as_is = raw.nulls().is_none()
        && offsets.windows(2).all(|w| {
            let (start, end) = (w[0] as usize, w[1] as usize);
            start == end || (kept(data[start]) && kept(data[end - 1]))
        });
    if as_is {
        let blank = BooleanBuffer::collect_bool(raw.len(), |i| offsets[i] == offsets[i + 1]);
        return nullif(raw, &BooleanArray::new(blank, None)).expect("a mask as long as the column it masks");
    }
    let mut b = StringBuilder::with_capacity(raw.len(), data.len());
    for v in raw.iter() {
        match v.map(str::trim) {
            Some(s) if !s.is_empty() => b.append_value(s),
            _ => b.append_null(),
        }
    }
    Arc::new(b.finish())
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whether the raw text is masked or copied, each value reads trimmed, and a blank one
        /// as NULL.
        #[test]
        fn text_is_trimmed_and_blanks_are_null(values in proptest::collection::vec("[a \\t\\x0b\\u{a0}\\u{3000}é]{0,4}", 0..8)) {
            let raw = StringArray::from(values.clone());
            let typed = type_column(&raw, &ColumnType::Text, 40).array;
            let typed = typed.as_any().downcast_ref::<StringArray>().expect("text");
            let want: Vec<Option<&str>> = values.iter().map(|v| Some(v.trim()).filter(|t| !t.is_empty())).collect();
            prop_assert_eq!(typed.iter().collect::<Vec<_>>(), want.clone());
            let kept = kept_column(&raw, &ColumnType::Text, 40);
            let kept = kept.as_any().downcast_ref::<StringArray>().expect("text");
            prop_assert_eq!(kept.iter().collect::<Vec<_>>(), want);
            prop_assert!(raw.value_data().is_empty() || kept.values().as_ptr() != raw.values().as_ptr(), "kept text is its own");
        }

        /// Whether the raw text is masked or copied, a code reads as the list writes it, and a
        /// blank or unknown one as NULL (flagged when unknown, and when matched loosely).
        #[test]
        fn codes_read_as_the_list_writes_them(values in proptest::collection::vec("a\\) Male|A\\) MALE|b\\) Female| |x|", 0..8)) {
            let list = crate::model::table::CodeList::new("g".into(), vec!["a) Male".into(), "b) Female".into()]);
            let raw = StringArray::from(values.clone());
            let typed = type_column(&raw, &ColumnType::Code(Arc::new(list)), 40);
            let array = typed.array.as_any().downcast_ref::<StringArray>().expect("text");
            for (row, v) in values.iter().enumerate() {
                let (want, failed, loose) = match v.as_str() {
                    "a) Male" | "b) Female" => (Some(v.as_str()), false, false),
                    "A) MALE" => (Some("a) Male"), false, true),
                    "x" => (None, true, false),
                    _ => (None, false, false),
                };
                prop_assert_eq!(array.is_valid(row).then(|| array.value(row)), want);
                prop_assert_eq!(typed.failed.as_ref().expect("flags")[row], failed);
                prop_assert_eq!(typed.loose.as_ref().expect("flags")[row], loose);
            }
        }
    }
}
