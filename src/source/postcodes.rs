//! The ONS postcode directory, read as the ONS publishes it: the ONS Postcode Directory
//! (ONSPD) or the National Statistics Postcode Lookup (NSPL), as one CSV file.
//!
//! Reference data, not an export: it is read once, for the four columns the postcode functions
//! need, and none of its rows goes to the corrected or rejected outputs. A directory has about
//! 2.7 million rows and fifty columns (1.3 GB), so it is cut into blocks of whole lines parsed
//! on every core, and only the postcodes the run can be asked about are kept (those its exports
//! hold), which a run names in `wanted`: a council's return uses a few thousand.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use datafusion::arrow::array::{RecordBatch, StringArray};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::model::error::{Error, InputError, InputErrorKind, Result};
use crate::model::postcodes::{self, Key, Postcodes};

/// The directory's columns Cleanse reads, each with the headers it goes by: the ONSPD's, the
/// NSPL's, and the ONS's later names with a year in them (`lad25cd`).
const COLUMNS: [(&str, &[&str]); 5] = [
    ("postcode", &["pcds", "pcd", "pcd2", "pcd7", "pcd8", "postcode"]),
    ("easting", &["oseast1m", "east1m", "easting"]),
    ("northing", &["osnrth1m", "north1m", "northing"]),
    ("local authority district", &["oslaua", "laua", "lad??cd"]),
    ("county", &["oscty", "cty", "cty??cd"]),
];

/// A directory read, and what the run records of it.
pub struct Directory {
    pub postcodes: Postcodes,
    pub rows: u64,
    pub sha256: String,
}

/// Whether a header is one of a column's names (`??` stands for a two-digit year).
fn matches(header: &str, name: &str) -> bool {
    let header = header.trim().to_ascii_lowercase();
    match name.split_once("??") {
        Some((before, after)) => {
            header.len() == name.len()
                && header.starts_with(before)
                && header.ends_with(after)
                && header[before.len()..before.len() + 2]
                    .bytes()
                    .all(|b| b.is_ascii_digit())
        }
        None => header == name,
    }
}

/// Postcode keys, hashed with foldhash: a return's every text value is offered to the set.
pub type Keys = HashSet<Key, foldhash::fast::RandomState>;

/// Every value of text columns of `batches` that could be a postcode, as its key: at least five
/// characters ending in an inward code (a digit, then two letters), which every postcode has and
/// ids, codes and dates do not.
pub fn keys_in<'a>(batches: impl Iterator<Item = &'a RecordBatch>) -> Keys {
    let mut keys = Keys::default();
    for b in batches {
        for column in b.columns() {
            let Some(text) = column.as_any().downcast_ref::<StringArray>() else {
                continue;
            };
            keys.extend(text.iter().flatten().filter_map(postcodes::key).filter(postcode_shaped));
        }
    }
    keys
}

fn postcode_shaped(key: &Key) -> bool {
    let n = key.iter().position(|&b| b == 0).unwrap_or(key.len());
    n >= 5 && key[n - 3].is_ascii_digit() && key[n - 2..n].iter().all(u8::is_ascii_alphabetic)
}

/// How much of the file is parsed at a time, on any thread.
const BLOCK: usize = 8 << 20;

/// Read the directory at `path`, keeping the postcodes in `wanted` (all of them if `None`).
pub fn read(path: &Path, wanted: Option<&Keys>) -> Result<Directory> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    read_from(path, file, wanted)
}

/// One row's four values, as read.
struct Row {
    key: Key,
    grid: Option<(f64, f64)>,
    district: Box<str>,
    county: Box<str>,
}

/// Read a directory from `reader`, naming `path` in errors. The file is cut into blocks of
/// whole lines (a directory has no line break inside a value), which are parsed in parallel and
/// kept in order, so the first row of a postcode listed twice is the one kept.
pub fn read_from(path: &Path, reader: impl Read, wanted: Option<&Keys>) -> Result<Directory> {
    read_in_blocks(path, reader, wanted, BLOCK)
}

fn read_in_blocks(path: &Path, mut reader: impl Read, wanted: Option<&Keys>, block_size: usize) -> Result<Directory> {
    let mut hasher = Sha256::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut blocks: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut line = 1u64;
    let mut columns: Option<[usize; 5]> = None;
    let mut postcodes = Postcodes::default();
    let mut rows = 0u64;
    let mut done = false;
    while !done {
        // Read a block's worth (or to the end), keep what follows its last line break for later.
        let mut block = std::mem::take(&mut pending);
        let have = block.len();
        block.resize(have + block_size, 0);
        let mut filled = have;
        while filled < block.len() {
            match reader.read(&mut block[filled..]) {
                Ok(0) => {
                    done = true;
                    break;
                }
                Ok(n) => {
                    hasher.update(&block[filled..filled + n]);
                    filled += n;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(path, e)),
            }
        }
        block.truncate(filled);
        if !done {
            match memchr::memrchr(b'\n', &block) {
                Some(end) => pending = block.split_off(end + 1),
                None => {
                    pending = block;
                    continue;
                }
            }
        }
        if columns.is_none() {
            let end = memchr::memchr(b'\n', &block).map_or(block.len(), |i| i + 1);
            columns = Some(header_columns(path, &block[..end])?);
            block.drain(..end);
            line += 1;
        }
        let lines = memchr::memchr_iter(b'\n', &block).count() as u64;
        blocks.push((line, block));
        line += lines;
        // Parse a batch of blocks at a time: one per thread, so memory stays a few blocks.
        if blocks.len() >= rayon::current_num_threads().max(1) || done {
            let at = columns.expect("the header is read before any block");
            let parsed: Vec<Result<(u64, Vec<Row>)>> = blocks
                .par_iter()
                .map(|(first, block)| parse_block(path, *first, block, at, wanted))
                .collect();
            blocks.clear();
            for p in parsed {
                let (n, found) = p?;
                rows += n;
                for r in found {
                    postcodes.add_key(r.key, r.grid, &r.district, &r.county);
                }
            }
        }
    }
    if columns.is_none() {
        return Err(error(path, 1, None, InputErrorKind::Empty));
    }
    Ok(Directory {
        postcodes,
        rows,
        sha256: format!("{:x}", hasher.finalize()),
    })
}

fn error(path: &Path, line: u64, column: Option<u64>, kind: InputErrorKind) -> Error {
    Error::Input(vec![InputError {
        file: path.to_path_buf(),
        line,
        column,
        sheet: None,
        kind,
    }])
}

/// Where the five columns are, from the header line.
fn header_columns(path: &Path, header: &[u8]) -> Result<[usize; 5]> {
    let text = String::from_utf8_lossy(header);
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(error(path, 1, None, InputErrorKind::Empty));
    }
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    csv.read_record(&mut record).map_err(|e| {
        error(
            path,
            1,
            None,
            InputErrorKind::NotPostcodeDirectory { problem: e.to_string() },
        )
    })?;
    let headers: Vec<&str> = record.iter().collect();
    let mut at = [0usize; 5];
    for (slot, (what, names)) in at.iter_mut().zip(COLUMNS) {
        *slot = names
            .iter()
            .find_map(|name| headers.iter().position(|h| matches(h, name)))
            .ok_or_else(|| {
                error(
                    path,
                    1,
                    None,
                    InputErrorKind::NotPostcodeDirectory {
                        problem: format!(
                            "the header has no {what} column (one of {}); give the ONS Postcode Directory or the National Statistics Postcode Lookup as published",
                            names.join(", ")
                        ),
                    },
                )
            })?;
    }
    Ok(at)
}

/// Field `index` of a CSV line, if it fits in `out` (a postcode does): read with the csv
/// crate's own parser, a field at a time, stopping there.
fn nth_field<'o>(reader: &mut csv_core::Reader, mut line: &[u8], index: usize, out: &'o mut [u8]) -> Option<&'o [u8]> {
    use csv_core::ReadFieldResult;
    reader.reset();
    let (mut field, mut len) = (0, 0);
    loop {
        let at = if field == index { len } else { 0 };
        let (result, read, written) = reader.read_field(line, &mut out[at..]);
        line = &line[read..];
        if field == index {
            len += written;
        }
        match result {
            // An empty input next time tells the parser the line has ended.
            ReadFieldResult::InputEmpty => {}
            ReadFieldResult::OutputFull if field == index => return None,
            ReadFieldResult::OutputFull => {}
            ReadFieldResult::Field { .. } if field == index => return Some(&out[..len]),
            ReadFieldResult::Field { record_end: true } | ReadFieldResult::End => return None,
            ReadFieldResult::Field { record_end: false } => field += 1,
        }
    }
}

/// The rows of one block of whole lines (the first on line `first`) that `wanted` keeps, and
/// how many rows it has.
fn parse_block(
    path: &Path,
    first: u64,
    block: &[u8],
    at: [usize; 5],
    wanted: Option<&Keys>,
) -> Result<(u64, Vec<Row>)> {
    let [postcode, east, north, district, county] = at;
    // With `wanted`, the lines of its postcodes only (and their lines in the file): parsing the
    // postcode alone, rather than a line's fifty values, is most of the time saved.
    let (mut rows, mut out) = (0u64, Vec::new());
    let (kept, lines) = match wanted {
        None => (std::borrow::Cow::Borrowed(block), None),
        Some(wanted) => {
            let (mut kept, mut lines) = (Vec::new(), Vec::new());
            let mut reader = csv_core::Reader::new();
            let mut field = [0u8; 32];
            for (n, line) in block.split_inclusive(|&b| b == b'\n').enumerate() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                rows += 1;
                let key = nth_field(&mut reader, line, postcode, &mut field)
                    .and_then(|f| std::str::from_utf8(f).ok())
                    .and_then(postcodes::key);
                if key.is_some_and(|k| wanted.contains(&k)) {
                    kept.extend_from_slice(line);
                    lines.push(first + n as u64);
                }
            }
            (std::borrow::Cow::Owned(kept), Some(lines))
        }
    };
    let line_of = |record: usize, position: Option<&csv::Position>| match &lines {
        Some(lines) => lines[record],
        None => first + position.map_or(0, |p| p.line() - 1),
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&kept[..]);
    let mut record = csv::ByteRecord::new();
    let mut read = 0usize;
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = line_of(read, e.position());
                return Err(error(
                    path,
                    line,
                    None,
                    InputErrorKind::NotPostcodeDirectory { problem: e.to_string() },
                ));
            }
        }
        let line = line_of(read, record.position());
        read += 1;
        if wanted.is_none() {
            rows += 1;
        }
        let Some(key) = postcodes::key(std::str::from_utf8(record.get(postcode).unwrap_or_default()).unwrap_or(""))
        else {
            continue;
        };
        let field = |i: usize| {
            std::str::from_utf8(record.get(i).unwrap_or_default())
                .map(str::trim)
                .map_err(|_| {
                    error(
                        path,
                        line,
                        Some(i as u64 + 1),
                        InputErrorKind::NotPostcodeDirectory {
                            problem: "this value is not UTF-8 text".into(),
                        },
                    )
                })
        };
        let metres = |i: usize| -> Result<Option<f64>> {
            let v = field(i)?;
            if v.is_empty() {
                return Ok(None);
            }
            v.parse::<f64>()
                .ok()
                .filter(|m| m.is_finite())
                .map(Some)
                .ok_or_else(|| {
                    error(
                        path,
                        line,
                        Some(i as u64 + 1),
                        InputErrorKind::NotPostcodeDirectory {
                            problem: format!("`{v}` is not a grid reference in metres"),
                        },
                    )
                })
        };
        let grid = match (metres(east)?, metres(north)?) {
            (Some(e), Some(n)) => Some((e, n)),
            _ => None,
        };
        out.push(Row {
            key,
            grid,
            district: field(district)?.into(),
            county: field(county)?.into(),
        });
    }
    Ok((rows, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> Result<Directory> {
        read_from(Path::new("onspd.csv"), text.as_bytes(), None)
    }

    #[test]
    fn an_onspd_extract_reads_by_its_headers() {
        let d = read_text(
            "pcd,pcd2,pcds,dointr,doterm,oscty,oslaua,oseast1m,osnrth1m\n\
             NF1 1AA,NF1  1AA,NF1 1AA,198001,,E99999999,E06000990,430000,560000\n\
             CT2 3BB,CT2  3BB,CT2 3BB,198001,,E10000990,E07000991,440000,570000\n\
             JE1 1AA,JE1  1AA,JE1 1AA,198001,,,L99999999,,\n",
        )
        .unwrap();
        assert_eq!((d.rows, d.postcodes.len()), (3, 3));
        let p = &d.postcodes;
        assert_eq!(p.local_authority(p.place("ct23bb").unwrap()), Some("E10000990"));
        assert_eq!(p.place("JE1 1AA").unwrap().grid, None);
        assert_eq!(d.sha256.len(), 64);
    }

    #[test]
    fn blocks_of_lines_read_in_parallel_keep_rows_in_order_and_lines_right() {
        let mut text = String::from("pcds,oseast1m,osnrth1m,oslaua,oscty\n");
        for i in 0..2000 {
            text.push_str(&format!(
                "NF{} {}AA,{},560000,E06000990,E99999999\n",
                i / 10,
                i % 10,
                430_000 + i
            ));
        }
        // Listed again further down, with another district: the first row is kept.
        text.push_str("NF0 0AA,1,1,E06000001,E99999999\n");
        text.push_str("NF9 9ZZ,43o000,560000,E06000990,\n");
        let path = Path::new("onspd.csv");
        let e = read_in_blocks(path, text.as_bytes(), None, 997)
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            e,
            "onspd.csv:2003:2: not a postcode directory: `43o000` is not a grid reference in metres"
        );
        text.truncate(text.rfind("NF9 9ZZ").unwrap());
        let d = read_in_blocks(path, text.as_bytes(), None, 997).unwrap();
        assert_eq!((d.rows, d.postcodes.len()), (2001, 2000));
        let p = &d.postcodes;
        assert_eq!(p.local_authority(p.place("NF0 0AA").unwrap()), Some("E06000990"));
        assert_eq!(p.place("NF199 9AA").unwrap().grid, Some((431_999.0, 560_000.0)));
        // Only the postcodes a run's exports hold are kept, however many the directory has.
        let wanted: Keys = ["nf5 5aa", "XX1 1XX"]
            .iter()
            .filter_map(|p| postcodes::key(p))
            .collect();
        let d = read_in_blocks(path, text.as_bytes(), Some(&wanted), 997).unwrap();
        assert_eq!((d.rows, d.postcodes.len()), (2001, 1));
        assert!(d.postcodes.place("NF5 5AA").is_some());
    }

    #[test]
    fn only_values_shaped_like_postcodes_are_wanted() {
        let values = StringArray::from(vec![
            Some("NF1 1AA"),
            Some("nf11ab"),
            Some("GIR 0AA"),
            Some("NF199 9AA"),
            Some("NF633779"),
            Some("C2"),
            Some("E11"),
            Some("2025-04-01"),
            Some("1AA"),
            None,
        ]);
        let batch =
            RecordBatch::try_from_iter([("v", std::sync::Arc::new(values) as datafusion::arrow::array::ArrayRef)])
                .unwrap();
        let mut wanted: Vec<String> = keys_in(std::iter::once(&batch))
            .iter()
            .map(|k| String::from_utf8_lossy(k).trim_end_matches('\0').to_string())
            .collect();
        wanted.sort();
        assert_eq!(wanted, ["GIR0AA", "NF11AA", "NF11AB", "NF1999AA"]);
    }

    #[test]
    fn a_lines_postcode_is_read_alone_quoted_or_not() {
        let mut reader = csv_core::Reader::new();
        let mut out = [0u8; 32];
        let mut nth = |line: &str, i: usize| {
            nth_field(&mut reader, line.as_bytes(), i, &mut out).map(|f| String::from_utf8(f.to_vec()).unwrap())
        };
        assert_eq!(nth("\"NF1 1AA\",\"NF1  1AA\",\"x\"\n", 1).as_deref(), Some("NF1  1AA"));
        let long = "a".repeat(100);
        assert_eq!(
            nth(&format!("{long},\"b,c\",NF1 1AA\r\n"), 2).as_deref(),
            Some("NF1 1AA")
        );
        assert_eq!(nth(&format!("x,{long}\n"), 1), None);
        assert_eq!(nth("x,y\n", 5), None);
        assert_eq!(nth("x,NF1 1AA", 1).as_deref(), Some("NF1 1AA"));
    }

    #[test]
    fn later_column_names_with_a_year_are_read_too() {
        let d = read_text("pcds,east1m,north1m,lad25cd,cty25cd\nNF1 1AA,430000,560000,E06000990,\n").unwrap();
        let p = &d.postcodes;
        assert_eq!(p.local_authority(p.place("NF11AA").unwrap()), Some("E06000990"));
    }

    #[test]
    fn a_file_that_is_not_a_directory_says_what_it_lacks() {
        let e = read_text("CHILD,DECOM\nC1,01/04/2025\n").err().unwrap().to_string();
        assert!(e.starts_with("onspd.csv:1: "), "{e}");
        assert!(e.contains("no postcode column (one of pcds, pcd"), "{e}");
    }

    #[test]
    fn a_bad_grid_reference_is_positioned() {
        let e = read_text(
            "pcds,oseast1m,osnrth1m,laua,cty\nNF1 1AA,430000,560000,E06000990,\nNF1 1AB,4300o0,560000,E06000990,\n",
        )
        .err()
        .unwrap()
        .to_string();
        assert_eq!(
            e,
            "onspd.csv:3:2: not a postcode directory: `4300o0` is not a grid reference in metres"
        );
    }
}
