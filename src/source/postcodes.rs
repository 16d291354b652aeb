//! The ONS postcode directory, read as the ONS publishes it: the ONS Postcode Directory
//! (ONSPD) or the National Statistics Postcode Lookup (NSPL), as one CSV file.
//!
//! Reference data, not an export: it is read once, for the four columns the postcode functions
//! need, and none of its rows goes to the corrected or rejected outputs. A directory has about
//! 2.7 million rows and fifty columns, so rows are read as bytes into one reused record.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::model::error::{Error, InputError, InputErrorKind, Result};
use crate::model::postcodes::Postcodes;

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

/// Read the directory at `path`.
pub fn read(path: &Path) -> Result<Directory> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    read_from(path, file)
}

/// Read a directory from `reader`, naming `path` in errors.
pub fn read_from(path: &Path, reader: impl Read) -> Result<Directory> {
    let error = |line: u64, column: Option<u64>, kind| {
        Error::Input(vec![InputError {
            file: path.to_path_buf(),
            line,
            column,
            kind,
        }])
    };
    let mut hasher = Sha256::new();
    let hashing = Hashing {
        inner: reader,
        hasher: &mut hasher,
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(hashing);
    let mut record = csv::ByteRecord::new();
    let read_error = |e: csv::Error| {
        let line = e.position().map_or(1, csv::Position::line);
        match e.into_kind() {
            csv::ErrorKind::Io(e) => Error::io(path, e),
            other => error(
                line,
                None,
                InputErrorKind::NotPostcodeDirectory {
                    problem: format!("{other:?}"),
                },
            ),
        }
    };
    if !csv.read_byte_record(&mut record).map_err(read_error)? {
        return Err(error(1, None, InputErrorKind::Empty));
    }
    let headers: Vec<String> = record.iter().map(|h| String::from_utf8_lossy(h).into_owned()).collect();
    let mut at = [0usize; 5];
    for (slot, (what, names)) in at.iter_mut().zip(COLUMNS) {
        *slot = names
            .iter()
            .find_map(|name| headers.iter().position(|h| matches(h, name)))
            .ok_or_else(|| {
                error(
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
    let [postcode, east, north, district, county] = at;
    let mut postcodes = Postcodes::default();
    let mut rows = 0;
    while csv.read_byte_record(&mut record).map_err(read_error)? {
        rows += 1;
        let line = record.position().map_or(rows + 1, csv::Position::line);
        let text = |i: usize| std::str::from_utf8(record.get(i).unwrap_or_default()).map(str::trim);
        let field = |i: usize| {
            text(i).map_err(|_| {
                error(
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
        postcodes.add(field(postcode)?, grid, field(district)?, field(county)?);
    }
    drop(csv);
    Ok(Directory {
        postcodes,
        rows,
        sha256: format!("{:x}", hasher.finalize()),
    })
}

/// A reader that hashes what passes through it, so the directory is read once.
struct Hashing<'a, R> {
    inner: R,
    hasher: &'a mut Sha256,
}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> Result<Directory> {
        read_from(Path::new("onspd.csv"), text.as_bytes())
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
