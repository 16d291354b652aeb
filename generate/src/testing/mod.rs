//! What the tests share: options, scratch directories, generated files read back as sheets,
//! and (in [`checker`]) an independent mini-checker written from the rule pack's wording, so
//! "clean rows are clean" does not rest on the generator's own logic.

pub(crate) mod checker;

use std::fs;
use std::path::PathBuf;

use chrono::NaiveDate;

use crate::driver::{run, run_night};
use crate::nights::Night;
use crate::plants::Truth;
use crate::{GenOptions, GenSummary};

pub(crate) fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
}

pub(crate) fn opts(seed: u64, children: usize) -> GenOptions {
    GenOptions {
        seed,
        children,
        as_of: as_of(),
        tables: Vec::new(),
        plant: true,
    }
}

/// A scratch directory removed on drop.
pub(crate) struct Scratch(pub(crate) PathBuf);

impl Scratch {
    pub(crate) fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("cleanse-gen-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn gen_in(o: &GenOptions, name: &str) -> (Scratch, GenSummary, Vec<Truth>) {
    let dir = Scratch::new(name);
    let (summary, truth) = run(o, &dir.0).unwrap();
    (dir, summary, truth)
}

pub(crate) fn file(dir: &Scratch, name: &str) -> Vec<u8> {
    fs::read(dir.0.join(name)).unwrap()
}

// ---- reading back ---------------------------------------------------------------------

/// A CSV file read back: header and records, each with the line it starts on.
pub(crate) struct Sheet {
    pub(crate) header: Vec<String>,
    pub(crate) rows: Vec<(usize, Vec<String>)>,
}

impl Sheet {
    pub(crate) fn read(dir: &Scratch, table: &str) -> Sheet {
        let bytes = file(dir, &format!("{table}.csv"));
        let text = if table == "referrals" {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(&bytes)
                .0
                .into_owned()
        } else {
            String::from_utf8(bytes).unwrap()
        };
        let mut rows = parse_csv(&text);
        let (first, header) = rows.remove(0);
        assert_eq!(first, 1);
        Sheet { header, rows }
    }

    pub(crate) fn at(&self, line: usize) -> &Vec<String> {
        &self
            .rows
            .iter()
            .find(|(l, _)| *l == line)
            .unwrap_or_else(|| panic!("no record starts on line {line}"))
            .1
    }
}

/// RFC 4180 records, each with the physical line it starts on. Written here rather than
/// taken from the csv crate, whose `Position::line` runs one behind in CRLF files.
fn parse_csv(text: &str) -> Vec<(usize, Vec<String>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut chars = text.chars().peekable();
    let (mut records, mut line) = (Vec::new(), 1);
    while chars.peek().is_some() {
        let (start, mut fields) = (line, Vec::new());
        loop {
            let mut field = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                loop {
                    match chars.next().expect("unterminated quote") {
                        '"' if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        '"' => break,
                        c => {
                            line += usize::from(c == '\n');
                            field.push(c);
                        }
                    }
                }
            }
            while let Some(&c) = chars.peek() {
                if matches!(c, ',' | '\r' | '\n') {
                    break;
                }
                field.push(c);
                chars.next();
            }
            fields.push(field);
            match chars.next() {
                Some(',') => {}
                Some('\r') => {
                    assert_eq!(chars.next(), Some('\n'), "bare CR on line {line}");
                    line += 1;
                    break;
                }
                Some('\n') => {
                    line += 1;
                    break;
                }
                _ => break,
            }
        }
        records.push((start, fields));
    }
    records
}

pub(crate) fn normalise(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Night `index` of `count` ending on `o.as_of`, with its extract date.
pub(crate) fn gen_night(
    o: &GenOptions,
    index: usize,
    count: usize,
    name: &str,
) -> (Scratch, NaiveDate, GenSummary, Vec<Truth>) {
    let dir = Scratch::new(name);
    let (summary, truth) = run_night(o, Night { index, count }, &dir.0).unwrap();
    let date = o.as_of - chrono::Days::new((count - 1 - index) as u64);
    (dir, date, summary, truth)
}
