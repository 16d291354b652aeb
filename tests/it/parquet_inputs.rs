//! Parquet files as inputs: typed columns read as the text a CSV export of the same table
//! holds, so the rules type them the same way, and a value that does not fit its declared type
//! is a finding, never a blank.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::parquet::arrow::ArrowWriter;

use crate::messy_inputs::PACK;
use crate::util::Dir;

/// Days since 1970-01-01.
fn days(y: i32, m: u32, d: u32) -> i32 {
    (chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap() - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
        .num_days() as i32
}

#[test]
fn a_parquet_export_reads_as_its_csv_would() {
    let dir = Dir::new();
    dir.write("pack.yaml", PACK);
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - { table: people, file: people.parquet }\n",
    );
    let schema = Arc::new(Schema::new(vec![
        Field::new("Person ID", DataType::Utf8, false),
        Field::new("Full Name", DataType::Utf8, true),
        Field::new("Date of Birth", DataType::Date32, true),
        Field::new("Date Seen", DataType::Timestamp(TimeUnit::Millisecond, None), true),
        // A whole-number column stored as floats, as some systems export it.
        Field::new("Number of Visits", DataType::Float64, true),
        Field::new("Sex", DataType::Utf8, true),
        Field::new("Caseload", DataType::Int64, true),
    ]));
    let seen = |y, m, d, h| {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis()
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec!["P1", "P2", "P3"])),
        Arc::new(StringArray::from(vec![Some("Ada Example"), None, Some("=1+2")])),
        Arc::new(Date32Array::from(vec![
            Some(days(2014, 6, 5)),
            Some(days(2015, 1, 1)),
            None,
        ])),
        Arc::new(TimestampMillisecondArray::from(vec![
            Some(seen(2025, 4, 3, 0)),
            Some(seen(2014, 1, 1, 9)),
            None,
        ])),
        Arc::new(Float64Array::from(vec![Some(3.0), Some(2.5), None])),
        Arc::new(StringArray::from(vec![Some("b) Female"), Some("a) Male"), None])),
        Arc::new(Int64Array::from(vec![Some(12), None, Some(7)])),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let file = std::fs::File::create(dir.join("people.parquet")).unwrap();
    let mut writer = ArrowWriter::try_new(file, schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();

    dir.run(&[]).expect_code(0);
    let out = dir.latest();
    let rows: Vec<String> = out.corrected("people").rows.iter().map(|r| r.join("|")).collect();
    // Dates day first, a whole number as one, the extra column kept; a formula-like name guarded.
    assert_eq!(
        rows,
        ["P1|Ada Example|05/06/2014|03/04/2025|3|b) Female|12", "P3|'=1+2|||||7"]
    );
    // Row 2: 2.5 visits is not a whole number; seen (with its time) before birth.
    let rules: Vec<&str> = out.on_line("people", 2).iter().map(|f| f.rule_id.as_str()).collect();
    assert!(rules.contains(&"people.visits.type"), "{rules:?}");
    let seen = out.finding("people", 2, "SEEN-AFTER-BIRTH");
    assert_eq!(seen.value, "Date of Birth=01/01/2015; Date Seen=01/01/2014 09:00:00");
    assert_eq!(out.run_json["inputs"][0]["rows"], 3);

    // Not Parquet at all: refused naming the file.
    dir.write("people.parquet", "Person ID,Full Name\nP1,Ada\n");
    let run = dir.run(&[]).expect_code(2);
    assert!(
        run.stderr.contains("people.parquet: this is not a Parquet file"),
        "{}",
        run.stderr
    );
}
