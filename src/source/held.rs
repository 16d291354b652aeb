//! Held batches: an export's batches, kept between the stages of a run that need the whole
//! table before any row can be routed (fill lookups, rules over whole tables, duplicate people).
//!
//! The export is read and decoded once; its batches are corrected as far as the run can go at
//! that point and written, as Arrow IPC, to a file in the run's staging folder, so memory does
//! not grow with the export. Routing reads them back and carries on from the stage they reached.
//! The changes corrections have made so far go to a second file beside it; what else a batch
//! carries (rows set aside, encoding issues) stays in memory: it is small beside the values.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, RecordBatch, StringArray, StringBuilder, UInt8Array, UInt32Array, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;

use crate::fixes::{Change, Status};
use crate::model::error::{Error, Result};
use crate::source::{BadRow, CellIssue, Positions, RawBatch};

/// A batch of an export with the changes corrections have made to it so far, in row order.
#[derive(Debug)]
pub struct Batch {
    pub raw: RawBatch,
    pub changes: Vec<Change>,
}

/// What a held batch keeps in memory.
struct Meta {
    bad: Vec<BadRow>,
    cell_issues: Vec<CellIssue>,
    fields_1252: u64,
    positions: Option<Box<Positions>>,
}

/// Writes an export's batches to its held files, in order.
pub struct HeldWriter {
    path: PathBuf,
    writer: StreamWriter<BufWriter<File>>,
    schema: SchemaRef,
    changes_path: PathBuf,
    changes: StreamWriter<BufWriter<File>>,
    meta: Vec<Meta>,
    rows: u64,
}

/// A batch's changes: row, declared column, correction, status, old and new text.
fn changes_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("row", DataType::UInt32, false),
        Field::new("column", DataType::UInt32, false),
        Field::new("correction", DataType::UInt32, false),
        Field::new("status", DataType::UInt8, false),
        Field::new("old", DataType::Utf8, false),
        Field::new("new", DataType::Utf8, false),
    ]))
}

fn status_code(s: Status) -> u8 {
    match s {
        Status::Applied => 0,
        Status::Proposed => 1,
        Status::Conflict => 2,
    }
}

fn status_of(code: u8) -> Status {
    match code {
        0 => Status::Applied,
        1 => Status::Proposed,
        _ => Status::Conflict,
    }
}

fn changes_batch(schema: &SchemaRef, changes: &[Change]) -> RecordBatch {
    let (mut old, mut new) = (StringBuilder::new(), StringBuilder::new());
    for c in changes {
        old.append_value(&c.old);
        new.append_value(&c.new);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(changes.iter().map(|c| c.row).collect::<UInt32Array>()),
        Arc::new(changes.iter().map(|c| c.column as u32).collect::<UInt32Array>()),
        Arc::new(changes.iter().map(|c| c.correction as u32).collect::<UInt32Array>()),
        Arc::new(changes.iter().map(|c| status_code(c.status)).collect::<UInt8Array>()),
        Arc::new(old.finish()),
        Arc::new(new.finish()),
    ];
    RecordBatch::try_new(Arc::clone(schema), columns)
        .expect("one array per field of the changes schema, one value per change")
}

fn changes_of(b: &RecordBatch) -> Vec<Change> {
    fn col<T: 'static>(b: &RecordBatch, i: usize) -> &T {
        b.column(i)
            .as_any()
            .downcast_ref::<T>()
            .expect("a held changes file has the schema `changes_schema` gives it")
    }
    let (row, column, correction) = (
        col::<UInt32Array>(b, 0),
        col::<UInt32Array>(b, 1),
        col::<UInt32Array>(b, 2),
    );
    let (status, old, new) = (
        col::<UInt8Array>(b, 3),
        col::<StringArray>(b, 4),
        col::<StringArray>(b, 5),
    );
    (0..b.num_rows())
        .map(|i| Change {
            row: row.value(i),
            column: column.value(i) as usize,
            correction: correction.value(i) as usize,
            status: status_of(status.value(i)),
            old: old.value(i).to_string(),
            new: new.value(i).to_string(),
        })
        .collect()
}

/// The line of each row, then one text column per column of the file.
fn schema(width: usize) -> SchemaRef {
    let mut fields = vec![Field::new("line", DataType::UInt64, false)];
    fields.extend((0..width).map(|i| Field::new(format!("c{i}"), DataType::Utf8, false)));
    Arc::new(Schema::new(fields))
}

fn arrow_error(path: &std::path::Path, e: ArrowError) -> Error {
    match e {
        ArrowError::IoError(_, io) => Error::io(path, io),
        other => Error::io(path, std::io::Error::other(other)),
    }
}

impl HeldWriter {
    /// `files`: two new files in the run's staging folder, for the values and the changes, with
    /// their paths; `width`: the export's columns.
    pub fn new(files: [(PathBuf, BufWriter<File>); 2], width: usize) -> Result<Self> {
        let [(path, file), (changes_path, changes_file)] = files;
        let schema = schema(width);
        let writer = StreamWriter::try_new(file, &schema).map_err(|e| arrow_error(&path, e))?;
        let changes =
            StreamWriter::try_new(changes_file, &changes_schema()).map_err(|e| arrow_error(&changes_path, e))?;
        Ok(HeldWriter {
            path,
            writer,
            schema,
            changes_path,
            changes,
            meta: Vec::new(),
            rows: 0,
        })
    }

    pub fn push(&mut self, batch: Batch) -> Result<()> {
        let Batch { raw, changes } = batch;
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(raw.columns.len() + 1);
        columns.push(Arc::new(UInt64Array::from(raw.lines)));
        columns.extend(raw.columns);
        self.rows += columns[0].len() as u64;
        let record = RecordBatch::try_new(Arc::clone(&self.schema), columns)
            .expect("a raw batch is its lines and one text column per file column, as the schema says");
        self.writer.write(&record).map_err(|e| arrow_error(&self.path, e))?;
        let changes = changes_batch(&changes_schema(), &changes);
        self.changes
            .write(&changes)
            .map_err(|e| arrow_error(&self.changes_path, e))?;
        self.meta.push(Meta {
            bad: raw.bad,
            cell_issues: raw.cell_issues,
            fields_1252: raw.fields_1252,
            positions: raw.positions,
        });
        Ok(())
    }

    pub fn finish(self) -> Result<Held> {
        for (mut writer, path) in [(self.writer, &self.path), (self.changes, &self.changes_path)] {
            writer.finish().map_err(|e| arrow_error(path, e))?;
            let mut file = writer.into_inner().map_err(|e| arrow_error(path, e))?;
            file.flush().map_err(|e| Error::io(path, e))?;
        }
        Ok(Held {
            path: self.path,
            changes_path: self.changes_path,
            meta: self.meta,
            rows: self.rows,
        })
    }
}

/// An export's batches, written and not yet read back.
pub struct Held {
    path: PathBuf,
    changes_path: PathBuf,
    meta: Vec<Meta>,
    rows: u64,
}

impl Held {
    /// Records held (rows set aside not counted).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Read the batches back, in order. The files are removed once they have all been read.
    pub fn read(self) -> Result<HeldReader> {
        let open = |path: &PathBuf, capacity: usize| -> Result<StreamReader<BufReader<File>>> {
            let file = File::open(path).map_err(|e| Error::io(path, e))?;
            StreamReader::try_new(BufReader::with_capacity(capacity, file), None).map_err(|e| arrow_error(path, e))
        };
        Ok(HeldReader {
            reader: open(&self.path, 1 << 20)?,
            changes: open(&self.changes_path, 64 << 10)?,
            path: self.path,
            changes_path: self.changes_path,
            meta: self.meta.into_iter(),
        })
    }
}

/// Reads held batches back, each with what was kept in memory beside it.
pub struct HeldReader {
    path: PathBuf,
    reader: StreamReader<BufReader<File>>,
    changes_path: PathBuf,
    changes: StreamReader<BufReader<File>>,
    meta: std::vec::IntoIter<Meta>,
}

impl HeldReader {
    pub fn next_batch(&mut self) -> Result<Option<Batch>> {
        let Some(meta) = self.meta.next() else {
            // Every batch is read: the files have done their job.
            self.remove();
            return Ok(None);
        };
        let next = |reader: &mut StreamReader<BufReader<File>>, path: &PathBuf| match reader.next() {
            Some(r) => r.map_err(|e| arrow_error(path, e)),
            None => Err(Error::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the run's held batches end early (was the file changed while the run went on?)",
                ),
            )),
        };
        let record = next(&mut self.reader, &self.path)?;
        let changes = changes_of(&next(&mut self.changes, &self.changes_path)?);
        let lines = record
            .column(0)
            .as_any()
            .downcast_ref::<UInt64Array>()
            .expect("a held file's first column is the lines, as `HeldWriter` writes it")
            .values()
            .to_vec();
        Ok(Some(Batch {
            raw: RawBatch {
                lines,
                columns: record.columns()[1..].to_vec(),
                bad: meta.bad,
                cell_issues: meta.cell_issues,
                fields_1252: meta.fields_1252,
                verbatim: None,
                positions: meta.positions,
            },
            changes,
        }))
    }

    fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_file(&self.changes_path);
    }
}

impl Drop for HeldReader {
    fn drop(&mut self) {
        self.remove();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::StringArray;

    #[test]
    fn held_batches_come_back_as_they_went() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.arrow");
        let changes_path = dir.path().join("t.changes.arrow");
        let file = |p: &PathBuf| BufWriter::new(File::create(p).expect("create"));
        let files = [(path.clone(), file(&path)), (changes_path.clone(), file(&changes_path))];
        let mut w = HeldWriter::new(files, 2).expect("writer");
        let batches: Vec<(Vec<u64>, Vec<&str>, Vec<&str>)> =
            vec![(vec![2, 3], vec!["x", "é"], vec!["", "y"]), (vec![], vec![], vec![])];
        for (lines, a, b) in batches {
            let any = !lines.is_empty();
            w.push(Batch {
                raw: RawBatch {
                    lines,
                    columns: vec![Arc::new(StringArray::from(a)), Arc::new(StringArray::from(b))],
                    bad: Vec::new(),
                    cell_issues: Vec::new(),
                    fields_1252: 1,
                    verbatim: None,
                    positions: None,
                },
                changes: if !any {
                    Vec::new()
                } else {
                    vec![Change {
                        row: 1,
                        column: 0,
                        old: "e".into(),
                        new: "é".into(),
                        correction: 3,
                        status: Status::Proposed,
                    }]
                },
            })
            .expect("push");
        }
        let held = w.finish().expect("finish");
        assert_eq!(held.rows(), 2);
        let mut r = held.read().expect("read");
        let first = r.next_batch().expect("first").expect("a batch");
        assert_eq!(first.raw.lines, vec![2, 3]);
        let a = first.raw.columns[0]
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("text");
        assert_eq!(a.value(1), "é");
        assert_eq!(first.raw.fields_1252, 1);
        let c = &first.changes[0];
        assert_eq!((c.row, c.column, c.correction, c.status), (1, 0, 3, Status::Proposed));
        assert_eq!((c.old.as_str(), c.new.as_str()), ("e", "é"));
        let second = r.next_batch().expect("second").expect("a batch");
        assert_eq!(second.raw.num_rows(), 0);
        assert!(r.next_batch().expect("end").is_none());
        assert!(
            !path.exists() && !changes_path.exists(),
            "read back, the files are removed"
        );
    }
}
