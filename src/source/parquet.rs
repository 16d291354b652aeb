//! The Parquet reader: a table exported as a Parquet file, batch by batch, as text.
//!
//! Whatever the file's column types, each value is turned into the text a CSV export of the
//! same table would hold, so the rules type it the same way and a value that does not fit its
//! declared type is a finding, never a blank: a date as `dd/mm/yyyy` (or `yyyy-mm-dd` in a
//! column that takes only ISO dates), a timestamp with its time, numbers and booleans as
//! written, a null as blank. A row's line is its row number in the file (the first row is 1),
//! since a Parquet file has no header line. Columns are matched by name, as a CSV header is.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Date32Type, Date64Type, TimeUnit};
use datafusion::parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use sha2::{Digest, Sha256};

use crate::model::error::{Error, InputError, InputErrorKind, Result};
use crate::model::table::Table;
use crate::source::{Header, RawBatch, iso_dates, match_header};

/// A Parquet file being read.
pub struct ParquetSource {
    path: PathBuf,
    pub header: Header,
    reader: ParquetRecordBatchReader,
    /// Per file column: dates written ISO (`yyyy-mm-dd`) rather than day first.
    iso: Vec<bool>,
    pub rows_read: u64,
    bytes: u64,
    sha256: String,
}

impl ParquetSource {
    /// Open `path`, match its columns to `table`, and read it in batches of `batch_rows`.
    pub fn open(path: &Path, table: &Table, batch_rows: usize) -> Result<ParquetSource> {
        let not_parquet = |problem: String| {
            Error::Input(vec![InputError::at(
                path,
                0,
                None,
                InputErrorKind::NotParquet { problem },
            )])
        };
        let bytes = std::fs::metadata(path).map_err(|e| Error::io(path, e))?.len();
        let sha256 = {
            let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
            let mut sha = Sha256::new();
            std::io::copy(&mut file, &mut sha).map_err(|e| Error::io(path, e))?;
            format!("{:x}", sha.finalize())
        };
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| not_parquet(e.to_string()))?;
        let names: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
        let header = match_header(&names, table).map_err(|problems| {
            Error::Input(
                problems
                    .into_iter()
                    .map(|(column, kind)| InputError::at(path, 0, column, kind))
                    .collect(),
            )
        })?;
        let iso = iso_dates(table, &header);
        let reader = builder
            .with_batch_size(batch_rows.max(1))
            .build()
            .map_err(|e| not_parquet(e.to_string()))?;
        Ok(ParquetSource {
            path: path.to_path_buf(),
            header,
            reader,
            iso,
            rows_read: 0,
            bytes,
            sha256,
        })
    }

    /// The next batch as text; `None` after the last.
    pub fn next_batch(&mut self) -> Result<Option<RawBatch>> {
        let Some(batch) = self.reader.next() else {
            return Ok(None);
        };
        let batch = batch.map_err(|e| {
            Error::Input(vec![InputError::at(
                &self.path,
                self.rows_read + 1,
                None,
                InputErrorKind::NotParquet { problem: e.to_string() },
            )])
        })?;
        let first = self.rows_read + 1;
        self.rows_read += batch.num_rows() as u64;
        let columns = self.text(&batch, first)?;
        Ok(Some(RawBatch {
            lines: (first..first + batch.num_rows() as u64).collect(),
            columns,
            bad: Vec::new(),
            cell_issues: Vec::new(),
            fields_1252: 0,
            verbatim: None,
            positions: None,
        }))
    }

    /// Each column of `batch` as text.
    fn text(&self, batch: &RecordBatch, first: u64) -> Result<Vec<ArrayRef>> {
        batch
            .columns()
            .iter()
            .enumerate()
            .map(|(i, column)| {
                as_text(column, self.iso.get(i).copied().unwrap_or(false)).map_err(|problem| {
                    let name = batch.schema().field(i).name().clone();
                    Error::Input(vec![InputError::at(
                        &self.path,
                        first,
                        Some(i as u64 + 1),
                        InputErrorKind::UnreadableColumn { column: name, problem },
                    )])
                })
            })
            .collect()
    }

    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    pub fn sha256(&self) -> String {
        self.sha256.clone()
    }
}

/// A column as the text a CSV export would hold; why not, for a type with no such text.
fn as_text(column: &ArrayRef, iso: bool) -> std::result::Result<ArrayRef, String> {
    use datafusion::arrow::compute::cast;
    use datafusion::arrow::datatypes::{Float64Type, TimestampSecondType};
    use std::fmt::Write;
    let day = if iso { "%Y-%m-%d" } else { "%d/%m/%Y" };
    let n = column.len();
    let mut out = StringBuilder::with_capacity(n, n * 10);
    let mut text = String::new();
    // Each value written into `text` by `write`, or blank for a null.
    let mut fill = |write: &mut dyn FnMut(usize, &mut String) -> bool| {
        for i in 0..n {
            text.clear();
            if column.is_null(i) || !write(i, &mut text) {
                out.append_value("");
            } else {
                out.append_value(&text);
            }
        }
    };
    match column.data_type() {
        DataType::Date32 => {
            let a = column.as_primitive::<Date32Type>();
            fill(&mut |i, t| {
                a.value_as_date(i)
                    .is_some_and(|d| write!(t, "{}", d.format(day)).is_ok())
            });
        }
        DataType::Date64 => {
            let a = column.as_primitive::<Date64Type>();
            fill(&mut |i, t| a.value_as_datetime(i).is_some_and(|d| write_datetime(t, &d, day)));
        }
        DataType::Timestamp(..) => {
            // As the wall-clock time written, whatever zone the file names.
            let a = cast(column, &DataType::Timestamp(TimeUnit::Second, None)).map_err(|e| e.to_string())?;
            let a = a.as_primitive::<TimestampSecondType>();
            fill(&mut |i, t| a.value_as_datetime(i).is_some_and(|d| write_datetime(t, &d, day)));
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let a = cast(column, &DataType::Float64).map_err(|e| e.to_string())?;
            let a = a.as_primitive::<Float64Type>();
            fill(&mut |i, t| {
                let f = a.value(i);
                // A whole number reads as one (`12`, not `12.0`).
                if f.fract() == 0.0 && f.abs() < 1e15 {
                    write!(t, "{}", f as i64).is_ok()
                } else {
                    write!(t, "{f}").is_ok()
                }
            });
        }
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
            return Err("it holds bytes, not text; export it as text".to_string());
        }
        t if t.is_nested() => return Err(format!("it holds lists or records ({t}); export one value per cell")),
        _ => {
            let a = cast(column, &DataType::Utf8).map_err(|e| e.to_string())?;
            let a = a.as_string::<i32>();
            fill(&mut |i, t| {
                t.push_str(a.value(i));
                true
            });
        }
    }
    Ok(Arc::new(out.finish()))
}

/// A date and time as the text a day-first export holds: the date, and the time if it has one.
fn write_datetime(t: &mut String, d: &chrono::NaiveDateTime, day: &str) -> bool {
    use std::fmt::Write;
    let _ = write!(t, "{}", d.format(day));
    if d.time() != chrono::NaiveTime::MIN {
        let _ = write!(t, " {}", d.format("%H:%M:%S"));
    }
    true
}
