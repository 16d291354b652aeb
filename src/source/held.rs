//! Held batches: an export's batches, kept between the stages of a run that need the whole
//! table before any row can be routed (fill lookups, rules over whole tables, duplicate people).
//!
//! The export is read and decoded once; its batches are corrected as far as the run can go at
//! that point and written, as Arrow IPC, to a file in the run's staging folder, so memory does
//! not grow with the export. Routing reads them back and carries on from the stage they reached.
//! What a batch carries besides its text (rows set aside, encoding issues, the changes made so
//! far) stays in memory: it is small beside the values.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;

use crate::fixes::Change;
use crate::model::error::{Error, Result};
use crate::source::{BadRow, EncodingIssue, RawBatch};

/// A batch of an export with the changes corrections have made to it so far, in row order.
#[derive(Debug)]
pub struct Batch {
    pub raw: RawBatch,
    pub changes: Vec<Change>,
}

/// What a held batch keeps in memory.
struct Meta {
    bad: Vec<BadRow>,
    encoding_issues: Vec<EncodingIssue>,
    fields_1252: u64,
    changes: Vec<Change>,
}

/// Writes an export's batches to its held file, in order.
pub struct HeldWriter {
    path: PathBuf,
    writer: StreamWriter<BufWriter<File>>,
    schema: SchemaRef,
    meta: Vec<Meta>,
    rows: u64,
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
    /// `file`: a new file at `path` in the run's staging folder; `width`: the export's columns.
    pub fn new(path: PathBuf, file: BufWriter<File>, width: usize) -> Result<Self> {
        let schema = schema(width);
        let writer = StreamWriter::try_new(file, &schema).map_err(|e| arrow_error(&path, e))?;
        Ok(HeldWriter {
            path,
            writer,
            schema,
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
        self.meta.push(Meta {
            bad: raw.bad,
            encoding_issues: raw.encoding_issues,
            fields_1252: raw.fields_1252,
            changes,
        });
        Ok(())
    }

    pub fn finish(mut self) -> Result<Held> {
        self.writer.finish().map_err(|e| arrow_error(&self.path, e))?;
        let file = self.writer.into_inner().map_err(|e| arrow_error(&self.path, e))?;
        let mut file = file;
        file.flush().map_err(|e| Error::io(&self.path, e))?;
        Ok(Held {
            path: self.path,
            meta: self.meta,
            rows: self.rows,
        })
    }
}

/// An export's batches, written and not yet read back.
pub struct Held {
    path: PathBuf,
    meta: Vec<Meta>,
    rows: u64,
}

impl Held {
    /// Records held (rows set aside not counted).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Read the batches back, in order. The file is removed once they have all been read.
    pub fn read(self) -> Result<HeldReader> {
        let file = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        let reader = StreamReader::try_new(BufReader::with_capacity(1 << 20, file), None)
            .map_err(|e| arrow_error(&self.path, e))?;
        Ok(HeldReader {
            path: self.path,
            reader,
            meta: self.meta.into_iter(),
        })
    }
}

/// Reads held batches back, each with what was kept in memory beside it.
pub struct HeldReader {
    path: PathBuf,
    reader: StreamReader<BufReader<File>>,
    meta: std::vec::IntoIter<Meta>,
}

impl HeldReader {
    pub fn next_batch(&mut self) -> Result<Option<Batch>> {
        let Some(meta) = self.meta.next() else {
            // Every batch is read: the file has done its job.
            let _ = std::fs::remove_file(&self.path);
            return Ok(None);
        };
        let record = match self.reader.next() {
            Some(r) => r.map_err(|e| arrow_error(&self.path, e))?,
            None => {
                return Err(Error::io(
                    &self.path,
                    std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the run's held batches end early (was the file changed while the run went on?)",
                    ),
                ));
            }
        };
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
                encoding_issues: meta.encoding_issues,
                fields_1252: meta.fields_1252,
            },
            changes: meta.changes,
        }))
    }
}

impl Drop for HeldReader {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
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
        let file = BufWriter::new(File::create(&path).expect("create"));
        let mut w = HeldWriter::new(path.clone(), file, 2).expect("writer");
        let batches: Vec<(Vec<u64>, Vec<&str>, Vec<&str>)> =
            vec![(vec![2, 3], vec!["x", "é"], vec!["", "y"]), (vec![], vec![], vec![])];
        for (lines, a, b) in batches {
            w.push(Batch {
                raw: RawBatch {
                    lines,
                    columns: vec![Arc::new(StringArray::from(a)), Arc::new(StringArray::from(b))],
                    bad: Vec::new(),
                    encoding_issues: Vec::new(),
                    fields_1252: 1,
                },
                changes: Vec::new(),
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
        let second = r.next_batch().expect("second").expect("a batch");
        assert_eq!(second.raw.num_rows(), 0);
        assert!(r.next_batch().expect("end").is_none());
        assert!(!path.exists(), "read back, the file is removed");
    }
}
