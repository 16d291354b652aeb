//! `corrected/<table>.parquet` and `rejected/<table>.parquet`: a table's rows, typed, for an
//! analyst's data platform (`output_formats: [parquet]` or `--output-format parquet`).
//!
//! Each column is named as the rule pack names it (`date_of_birth`, not `Date of Birth`) and typed
//! as declared: dates as dates, whole numbers as 64-bit integers, decimals as doubles, codes and
//! text as text, so nothing is parsed again downstream. A column the export has but no pack
//! declares is kept as text under its header. Rejected rows begin with `source_file`, `line`
//! (the export's line, or the sheet's row) and `rule_ids` (a list), as `rejected/<table>.csv`
//! does.
//!
//! Nothing is lost to typing: a value that does not read as its column's type (a rejected
//! row's `31/02/2025`) is null in its column and kept, as exported, in `unparsed_values`, a
//! JSON object of column name to text (`{"date_of_birth":"31/02/2025"}`), null on a row where
//! every value read whole. A date with a time of day (`01/01/2014 09:00`) is a date in its
//! column and its text is kept there too, since a date holds no time. The files are made from the CSV outputs once routing has written them, so
//! they hold exactly the CSVs' rows, in their order.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayBuilder, ArrayRef, Date32Builder, Float64Builder, Int64Builder, ListBuilder, RecordBatch, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;

use crate::model::error::{Error, Result};
use crate::model::table::{ColumnType, Table};
use crate::model::values;
use crate::output::publish::Staging;
use crate::output::sheet::unguard;

/// Rows per record batch (and so per row group's page): small enough to hold, large enough to
/// compress well.
const BATCH_ROWS: usize = 64 * 1024;

/// Columns `rejected/` puts before the table's own.
const REJECTED_LEAD: [&str; 3] = ["source_file", "line", "rule_ids"];

/// The column holding, per row, the values that did not read as their column's type.
pub const UNPARSED: &str = "unparsed_values";

/// Write `corrected/<table>.parquet` and `rejected/<table>.parquet` from the table's CSV outputs.
pub fn write_tables(staging: &Staging, table: &Table, pivot: u8) -> Result<()> {
    for (folder, rejected) in [("corrected", false), ("rejected", true)] {
        let csv_path = staging.path(&format!("{folder}/{}.csv", table.name));
        let rel = format!("{folder}/{}.parquet", table.name);
        let path = staging.path(&rel);
        let file = staging.file(&rel)?;
        write_one(&csv_path, file, table, rejected, pivot).map_err(|e| e.at(&csv_path, &path))?;
    }
    Ok(())
}

/// How one CSV column becomes a Parquet column.
#[derive(Debug, Clone)]
enum Slot {
    SourceFile,
    Line,
    RuleIds,
    /// A column of the table, typed as declared (text when undeclared).
    Value(ColumnType),
}

/// The Parquet schema for a CSV output's header, and what each CSV column becomes.
fn plan(header: &[String], table: &Table, rejected: bool) -> (SchemaRef, Vec<Slot>) {
    let lead = if rejected {
        REJECTED_LEAD.len().min(header.len())
    } else {
        0
    };
    let own = &header[lead..];
    let mut names: Vec<String> = own.to_vec();
    let mut types = vec![ColumnType::Text; own.len()];
    if let Ok(matched) = crate::source::match_header(own, table) {
        for (col, at) in table.columns.iter().zip(&matched.columns) {
            if let Some(i) = at {
                names[*i] = col.name.clone();
                types[*i] = col.ty.clone();
            }
        }
    }
    let mut fields = Vec::with_capacity(header.len() + 1);
    let mut slots = Vec::with_capacity(header.len());
    if rejected {
        fields.push(Field::new("source_file", DataType::Utf8, false));
        fields.push(Field::new("line", DataType::Int64, true));
        fields.push(Field::new(
            "rule_ids",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            false,
        ));
        slots.extend([Slot::SourceFile, Slot::Line, Slot::RuleIds].into_iter().take(lead));
    }
    let mut taken: std::collections::HashSet<String> = fields.iter().map(|f| f.name().clone()).collect();
    taken.insert(UNPARSED.to_string());
    for (name, ty) in names.into_iter().zip(types) {
        // An undeclared header that repeats a name already taken gets a number.
        let mut unique = name.clone();
        let mut n = 2;
        while !taken.insert(unique.clone()) {
            unique = format!("{name}_{n}");
            n += 1;
        }
        let data = match &ty {
            ColumnType::Date(_) => DataType::Date32,
            ColumnType::Integer => DataType::Int64,
            ColumnType::Decimal => DataType::Float64,
            ColumnType::Text | ColumnType::Code(_) => DataType::Utf8,
        };
        fields.push(Field::new(unique, data, true));
        slots.push(Slot::Value(ty));
    }
    fields.push(Field::new(UNPARSED, DataType::Utf8, true));
    (Arc::new(Schema::new(fields)), slots)
}

/// One column's values as they are built.
enum Builder {
    Text(StringBuilder),
    Date(Date32Builder),
    Int(Int64Builder),
    Float(Float64Builder),
    List(ListBuilder<StringBuilder>),
}

impl Builder {
    fn for_slot(slot: &Slot) -> Builder {
        match slot {
            Slot::SourceFile | Slot::Value(ColumnType::Text | ColumnType::Code(_)) => {
                Builder::Text(StringBuilder::new())
            }
            Slot::Line | Slot::Value(ColumnType::Integer) => Builder::Int(Int64Builder::new()),
            Slot::RuleIds => Builder::List(ListBuilder::new(StringBuilder::new())),
            Slot::Value(ColumnType::Date(_)) => Builder::Date(Date32Builder::new()),
            Slot::Value(ColumnType::Decimal) => Builder::Float(Float64Builder::new()),
        }
    }

    /// Append `value`; false if it is not blank and does not read as the column's type (a null
    /// is appended, and the caller keeps the text).
    fn push(&mut self, slot: &Slot, value: &str, pivot: u8) -> bool {
        let blank = value.trim().is_empty();
        match (self, slot) {
            (Builder::Text(b), _) => {
                b.append_value(value);
                true
            }
            (Builder::List(b), _) => {
                for id in value.split(';').filter(|s| !s.is_empty()) {
                    b.values().append_value(id);
                }
                b.append(true);
                true
            }
            (Builder::Int(b), _) if blank => {
                b.append_null();
                true
            }
            (Builder::Int(b), _) => {
                let n = values::parse_integer(value);
                b.append_option(n);
                n.is_some()
            }
            (Builder::Date(b), Slot::Value(ColumnType::Date(forms))) if !blank => {
                let d = values::parse_date(value, *forms, pivot);
                b.append_option(d);
                // A time of day is more than a date holds: the text is kept too.
                d.is_some() && !has_time_of_day(value)
            }
            (Builder::Float(b), _) if !blank => {
                let f = values::parse_decimal(value);
                b.append_option(f);
                f.is_some()
            }
            (Builder::Date(b), _) => {
                b.append_null();
                true
            }
            (Builder::Float(b), _) => {
                b.append_null();
                true
            }
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Float(b) => Arc::new(b.finish()),
            Builder::List(b) => Arc::new(b.finish()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Builder::Text(b) => b.len(),
            Builder::Date(b) => b.len(),
            Builder::Int(b) => b.len(),
            Builder::Float(b) => b.len(),
            Builder::List(b) => b.len(),
        }
    }
}

/// Whether a date's text carries a time other than midnight (`01/01/2014 09:00:00`, or an Excel
/// serial's fraction), which a Parquet date cannot hold.
fn has_time_of_day(value: &str) -> bool {
    let v = value.trim();
    let nonzero = |rest: &str| rest.bytes().any(|b| b.is_ascii_digit() && b != b'0');
    match v.find([' ', 'T']) {
        Some(i) if v[i..].contains(':') => nonzero(&v[i..]),
        _ => match v.split_once('.') {
            Some((whole, frac)) if whole.bytes().all(|b| b.is_ascii_digit()) => nonzero(frac),
            _ => false,
        },
    }
}

/// Why a CSV output could not be turned into Parquet.
enum Failed {
    Csv(csv::Error),
    Parquet(String),
}

impl Failed {
    fn at(self, csv: &Path, parquet: &Path) -> Error {
        match self {
            Failed::Csv(e) => Error::io(csv, std::io::Error::other(e)),
            Failed::Parquet(e) => Error::io(parquet, std::io::Error::other(e)),
        }
    }
}

impl From<csv::Error> for Failed {
    fn from(e: csv::Error) -> Self {
        Failed::Csv(e)
    }
}

fn write_one(
    csv_path: &Path,
    out: impl std::io::Write + Send,
    table: &Table,
    rejected: bool,
    pivot: u8,
) -> Result<(), Failed> {
    let parquet = |e: datafusion::parquet::errors::ParquetError| Failed::Parquet(e.to_string());
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(csv_path)?;
    let header: Vec<String> = reader.headers()?.iter().map(|h| unguard(h).to_string()).collect();
    let (schema, slots) = plan(&header, table, rejected);
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_created_by(format!("cleanse {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut writer = ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(parquet)?;
    let mut builders: Vec<Builder> = slots.iter().map(Builder::for_slot).collect();
    let mut unparsed = StringBuilder::new();
    let mut record = csv::StringRecord::new();
    // Reused per row: the JSON of the row's unreadable values.
    let mut json = serde_json::Map::new();
    let value_names: Vec<&str> = schema.fields()[..slots.len()]
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    let flush = |builders: &mut Vec<Builder>, unparsed: &mut StringBuilder, writer: &mut ArrowWriter<_>| {
        let mut columns: Vec<ArrayRef> = builders.iter_mut().map(Builder::finish).collect();
        columns.push(Arc::new(unparsed.finish()));
        let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| Failed::Parquet(e.to_string()))?;
        writer.write(&batch).map_err(parquet)
    };
    while reader.read_record(&mut record)? {
        for (i, (slot, builder)) in slots.iter().zip(builders.iter_mut()).enumerate() {
            // A short row (never written by routing, but a CSV is a CSV) reads as blanks.
            let value = unguard(record.get(i).unwrap_or(""));
            if !builder.push(slot, value, pivot) {
                json.insert(value_names[i].to_string(), serde_json::Value::String(value.to_string()));
            }
        }
        if json.is_empty() {
            unparsed.append_null();
        } else {
            unparsed.append_value(serde_json::Value::Object(std::mem::take(&mut json)).to_string());
        }
        if builders.first().is_some_and(|b| b.len() >= BATCH_ROWS) {
            flush(&mut builders, &mut unparsed, &mut writer)?;
        }
    }
    if builders.first().is_none_or(|b| b.len() > 0) || unparsed.len() > 0 {
        flush(&mut builders, &mut unparsed, &mut writer)?;
    }
    writer.close().map_err(parquet)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::table::Column;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{Date32Type, Int64Type};
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    fn table() -> Table {
        let mut t = Table::of_text("people", &["Person ID", "Date of Birth", "Age", "Score"]);
        let set = |c: &mut Column, name: &str, ty: ColumnType| {
            c.name = name.into();
            c.ty = ty;
        };
        set(&mut t.columns[0], "person_id", ColumnType::Text);
        set(
            &mut t.columns[1],
            "date_of_birth",
            ColumnType::Date(values::DateForms::DMY),
        );
        set(&mut t.columns[2], "age", ColumnType::Integer);
        set(&mut t.columns[3], "score", ColumnType::Decimal);
        t
    }

    fn round_trip(csv: &str, rejected: bool) -> RecordBatch {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, csv).unwrap();
        let out = dir.path().join("out.parquet");
        if write_one(&path, std::fs::File::create(&out).unwrap(), &table(), rejected, 30).is_err() {
            panic!("write failed");
        }
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&out).unwrap()).unwrap();
        let schema = reader.schema().clone();
        let batches: Vec<RecordBatch> = reader.build().unwrap().map(|b| b.unwrap()).collect();
        datafusion::arrow::compute::concat_batches(&schema, &batches).unwrap()
    }

    #[test]
    fn columns_are_named_and_typed_as_declared() {
        let b = round_trip(
            "Person ID,Date of Birth,Age,Score,Team\nNF000001,05/06/2014,11,2.5,North\n'=1+1,,,,\n",
            false,
        );
        let schema = b.schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["person_id", "date_of_birth", "age", "score", "Team", UNPARSED]);
        assert_eq!(b.column(1).data_type(), &DataType::Date32);
        let dob = b.column(1).as_primitive::<Date32Type>();
        assert_eq!(
            dob.value(0),
            values::parse_date("05/06/2014", values::DateForms::DMY, 30).unwrap()
        );
        assert!(dob.is_null(1));
        assert_eq!(b.column(2).as_primitive::<Int64Type>().value(0), 11);
        // The CSV's guard against formulas is not part of the value.
        assert_eq!(b.column(0).as_string::<i32>().value(1), "=1+1");
        assert_eq!(b.column(4).as_string::<i32>().value(0), "North");
        assert_eq!(b.column(5).null_count(), 2);
    }

    #[test]
    fn rejected_rows_keep_rule_ids_lines_and_every_unreadable_value() {
        let b = round_trip(
            "source_file,line,rule_ids,Person ID,Date of Birth,Age,Score\n\
             people.csv,7,people.date_of_birth.type;P-001,NF000002,31/02/2015,ten,1.5\n",
            true,
        );
        let schema = b.schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(
            names,
            [
                "source_file",
                "line",
                "rule_ids",
                "person_id",
                "date_of_birth",
                "age",
                "score",
                UNPARSED
            ]
        );
        assert_eq!(b.column(1).as_primitive::<Int64Type>().value(0), 7);
        let ids = b.column(2).as_list::<i32>().value(0);
        let ids: Vec<&str> = ids.as_string::<i32>().iter().map(|s| s.unwrap()).collect();
        assert_eq!(ids, ["people.date_of_birth.type", "P-001"]);
        assert!(b.column(4).is_null(0) && b.column(5).is_null(0));
        assert_eq!(
            b.column(7).as_string::<i32>().value(0),
            r#"{"age":"ten","date_of_birth":"31/02/2015"}"#
        );
    }

    #[test]
    fn a_time_of_day_is_kept_beside_its_date() {
        assert!(has_time_of_day("01/01/2014 09:00:00") && has_time_of_day("2014-01-01T09:30Z"));
        assert!(has_time_of_day("45123.5"));
        assert!(!has_time_of_day("01/01/2014 00:00") && !has_time_of_day("01/01/2014") && !has_time_of_day("45123"));
        let b = round_trip(
            "Person ID,Date of Birth,Age,Score\nNF000001,01/01/2014 09:00,,\n",
            false,
        );
        assert_eq!(b.column(1).data_type(), &DataType::Date32);
        assert!(!b.column(1).is_null(0));
        assert_eq!(
            b.column(4).as_string::<i32>().value(0),
            r#"{"date_of_birth":"01/01/2014 09:00"}"#
        );
    }

    #[test]
    fn an_empty_table_is_a_file_with_its_schema() {
        let b = round_trip("Person ID,Date of Birth,Age,Score\n", false);
        assert_eq!(b.num_rows(), 0);
        assert_eq!(b.schema().field(1).data_type(), &DataType::Date32);
    }
}
