//! `--output-format parquet`: the corrected and rejected tables as typed Parquet, beside their
//! CSVs, holding exactly the CSVs' rows; a value that does not fit its column's type is kept in
//! `unparsed_values`, never lost to a null.

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Date32Type, Int64Type};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::util::Dir;

fn read(path: &std::path::Path) -> RecordBatch {
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap()).unwrap();
    let schema = reader.schema().clone();
    let batches: Vec<RecordBatch> = reader.build().unwrap().map(|b| b.unwrap()).collect();
    datafusion::arrow::compute::concat_batches(&schema, &batches).unwrap()
}

/// Days since 1970-01-01 of a `dd/mm/yyyy` date.
fn days(dmy: &str) -> i32 {
    let d = chrono::NaiveDate::parse_from_str(dmy, "%d/%m/%Y").unwrap();
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
}

#[test]
fn the_demo_as_typed_parquet_holds_every_row_and_value() {
    let dir = Dir::new().with_demo();
    dir.run(&["--output-format", "parquet"]).expect_code(0);
    let out = dir.latest();
    let root = dir.join("out/latest");
    for table in ["children", "contacts", "referrals", "assessments", "cp_plans"] {
        let corrected = read(&root.join(format!("corrected/{table}.parquet")));
        let rejected = read(&root.join(format!("rejected/{table}.parquet")));
        let csv = out.corrected(table);
        assert_eq!(corrected.num_rows(), csv.rows.len(), "{table}");
        assert_eq!(rejected.num_rows(), out.rejected(table).rows.len(), "{table}");
        let schema = corrected.schema();
        // Named as the pack names them; the dates typed.
        assert_eq!(schema.field(0).name(), "child_id", "{table}");
        let dob = schema.index_of("date_of_birth").unwrap();
        assert_eq!(schema.field(dob).data_type(), &DataType::Date32, "{table}");
        // Every corrected row read whole: nothing unparsed.
        assert_eq!(
            corrected.column_by_name("unparsed_values").unwrap().null_count(),
            corrected.num_rows(),
            "{table}"
        );
    }
    // One contact, value by value against its CSV.
    let csv = out.corrected("contacts");
    let parquet = read(&root.join("corrected/contacts.parquet"));
    let row = &csv.rows[0];
    let text = |name: &str| {
        parquet
            .column_by_name(name)
            .unwrap()
            .as_string::<i32>()
            .value(0)
            .to_string()
    };
    assert_eq!(text("child_id"), csv.get(row, "Child Unique ID"));
    assert_eq!(
        parquet
            .column_by_name("contact_date")
            .unwrap()
            .as_primitive::<Date32Type>()
            .value(0),
        days(csv.get(row, "Date of Contact"))
    );
    let age = csv.get(row, "Age of Child (Years)");
    let ages = parquet.column_by_name("age").unwrap().as_primitive::<Int64Type>();
    assert_eq!(ages.is_null(0), age.is_empty());
    if !age.is_empty() {
        assert_eq!(ages.value(0).to_string(), age);
    }

    // The referrals export's undeclared `LA Code` column is kept, as text, under its header.
    let referrals = read(&root.join("corrected/referrals.parquet"));
    assert!(referrals.column_by_name("LA Code").is_some());

    // Rejected rows carry their line and rule ids, and a value that is not a date stays whole.
    let rejected = read(&root.join("rejected/contacts.parquet"));
    let csv = out.rejected("contacts");
    let lines = rejected.column_by_name("line").unwrap().as_primitive::<Int64Type>();
    let ids = rejected.column_by_name("rule_ids").unwrap().as_list::<i32>();
    let unparsed = rejected.column_by_name("unparsed_values").unwrap().as_string::<i32>();
    let dates = rejected.column_by_name("contact_date").unwrap();
    let mut kept = 0;
    for (i, row) in csv.rows.iter().enumerate() {
        assert_eq!(lines.value(i).to_string(), csv.get(row, "line"));
        let list = ids.value(i);
        let list: Vec<&str> = list.as_string::<i32>().iter().map(Option::unwrap).collect();
        assert_eq!(list.join(";"), csv.get(row, "rule_ids"));
        let date = csv.get(row, "Date of Contact");
        if !date.is_empty() && chrono::NaiveDate::parse_from_str(date, "%d/%m/%Y").is_err() {
            // Not a dd/mm/yyyy date (the pack reads a few other forms too): if the column is
            // null, the value is in unparsed_values.
            if dates.is_null(i) {
                let json: serde_json::Value = serde_json::from_str(unparsed.value(i)).unwrap();
                assert_eq!(json["contact_date"], date);
                kept += 1;
            }
        }
    }
    assert!(kept > 0, "the demo plants contact dates that are not dates");
}

#[test]
fn output_formats_in_the_configuration_and_a_typo_in_them() {
    let dir = Dir::new().with_demo();
    let config = dir.read("cleanse.yaml");
    dir.write("cleanse.yaml", format!("{config}\noutput_formats: [parquet, xlsx]\n"));
    dir.run(&[]).expect_code(0);
    for file in [
        "corrected/cp_plans.parquet",
        "rejected/cp_plans.parquet",
        "corrected/cp_plans.xlsx",
    ] {
        assert!(dir.exists(format!("out/latest/{file}")), "{file}");
    }

    dir.write("cleanse.yaml", format!("{config}\noutput_formats: [parquett]\n"));
    let run = dir.run(&[]).expect_code(2);
    assert!(
        run.stderr.contains("`parquett` is not an output format"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("did you mean `parquet`?"), "{}", run.stderr);
}
