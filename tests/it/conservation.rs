//! Nothing is lost: whatever an export holds, every record ends up in exactly
//! one of corrected or rejected, and every rejected row says why. Random
//! exports go through the library (faster than the binary) with small
//! batches, so rows fall on batch edges.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;

use crate::util::{Dir, Finding, Outputs};

const PACK: &str = r#"pack: conservation
version: 1.0.0
tables:
  people:
    key: [person_id]
    columns:
      - { name: person_id, header: Person ID, required: true }
      - { name: full_name, header: Full Name }
      - { name: born, header: Date of Birth, type: date }
      - { name: visits, header: Visits, type: integer }
      - { name: sex, header: Sex, type: code, codes: ["a) Male", "b) Female"] }
rules:
  - { id: ONE-PER-PERSON, table: people, kind: unique, columns: [person_id], message: Person ID repeats. }
  - { id: COPY, table: people, kind: duplicate_rows, message: Copy of an earlier row. }
  - { id: BORN-PAST, table: people, kind: range, columns: [born], max: today, message: Born in the future. }
  - id: FEW-VISITS
    table: people
    kind: check
    when: born IS NOT NULL
    check: visits < 10
    severity: warning
    message: Many visits.
"#;

const HEADER: [&str; 5] = ["Person ID", "Full Name", "Date of Birth", "Visits", "Sex"];
const WIDTH: usize = HEADER.len();

/// Field values, chosen at random for every column: good and bad values,
/// values that need quoting, line breaks, and bytes that are not UTF-8.
const POOL: &[&[u8]] = &[
    b"P1",
    b"P2",
    b"P3",
    b"Ann",
    b"Lee, Ann",
    b"say \"hi\"",
    b"two\nlines",
    b"two\r\nlines",
    b"Zo\xeb",
    b"\xff\xfe",
    b"01/02/2010",
    b"31/02/2010",
    b"2099-01-01",
    b"not a date",
    b"3",
    b"2.5",
    b"12",
    b"a) Male",
    b" B) FEMALE ",
    b"Monkey",
    b"",
    b"  ",
];

#[derive(Debug, Clone)]
enum Row {
    /// A record of the header's width (pool indices), quoted throughout or only where needed.
    Record(Vec<usize>, bool),
    /// A record with another number of fields.
    Ragged(Vec<usize>),
    /// Every field empty.
    Blank,
    /// A copy of an earlier record (by index among records so far).
    CopyOf(usize),
    /// An earlier record's key with other values.
    SameKey(usize, Vec<usize>),
    /// An empty line: not a record at all.
    EmptyLine,
}

fn row() -> impl Strategy<Value = Row> {
    let fields = |n| prop::collection::vec(0..POOL.len(), n);
    prop_oneof![
        6 => (fields(WIDTH), any::<bool>()).prop_map(|(f, q)| Row::Record(f, q)),
        1 => prop::collection::vec(0..POOL.len(), 1..=WIDTH + 2)
            .prop_filter("not the header's width", |f| f.len() != WIDTH)
            .prop_map(Row::Ragged),
        1 => Just(Row::Blank),
        1 => any::<usize>().prop_map(Row::CopyOf),
        1 => (any::<usize>(), fields(WIDTH)).prop_map(|(i, f)| Row::SameKey(i, f)),
        1 => Just(Row::EmptyLine),
    ]
}

#[derive(Debug, Clone)]
struct Export {
    rows: Vec<Row>,
    crlf: bool,
    bom: bool,
    final_eol: bool,
    /// `encoding:` in the configuration.
    encoding: &'static str,
    batch_rows: usize,
}

fn export() -> impl Strategy<Value = Export> {
    (
        prop::collection::vec(row(), 0..40),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(&["auto", "utf-8", "windows-1252"][..]),
        prop_oneof![4 => 3usize..=7, 1 => Just(1usize), 1 => Just(1000usize)],
    )
        .prop_map(|(rows, crlf, bom, final_eol, encoding, batch_rows)| Export {
            rows,
            crlf,
            bom,
            final_eol,
            encoding,
            batch_rows,
        })
}

/// A record as the test expects to see it again: where it starts, and its
/// fields decoded as the configured encoding decodes them.
#[derive(Debug)]
struct Expected {
    line: u64,
    fields: Vec<String>,
    /// Of the header's width, with a field that is not UTF-8.
    not_utf8: bool,
}

fn decode(bytes: &[u8], encoding: &str) -> String {
    let as_1252 = || {
        encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned()
    };
    match (std::str::from_utf8(bytes), encoding) {
        (_, "windows-1252") => as_1252(),
        (Ok(s), _) => s.to_owned(),
        (Err(_), "utf-8") => String::from_utf8_lossy(bytes).into_owned(),
        (Err(_), _) => as_1252(),
    }
}

fn line_breaks(bytes: &[u8]) -> u64 {
    let mut n = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\r' || (b == b'\n' && (i == 0 || bytes[i - 1] != b'\r')) {
            n += 1;
        }
    }
    n
}

fn write_field(out: &mut Vec<u8>, field: &[u8], quote: bool) {
    let needs = field.iter().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
    if quote || needs {
        out.push(b'"');
        for &b in field {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(field);
    }
}

/// The file's bytes and the records in it.
fn build(e: &Export) -> (Vec<u8>, Vec<Expected>) {
    let eol: &[u8] = if e.crlf { b"\r\n" } else { b"\n" };
    let mut out = Vec::new();
    if e.bom {
        out.extend_from_slice(b"\xef\xbb\xbf");
    }
    out.extend_from_slice(HEADER.join(",").as_bytes());
    let mut line = 2;
    let mut records: Vec<Vec<&[u8]>> = Vec::new();
    let mut expected = Vec::new();
    for (i, row) in e.rows.iter().enumerate() {
        out.extend_from_slice(eol);
        let earlier = |k: usize| records.get(k % records.len().max(1)).cloned();
        let (fields, quote): (Vec<&[u8]>, bool) = match row {
            Row::EmptyLine => {
                line += 1;
                continue;
            }
            Row::Record(f, q) => (f.iter().map(|&k| POOL[k]).collect(), *q),
            // A one-field record is quoted so that it is not an empty line.
            Row::Ragged(f) => (f.iter().map(|&k| POOL[k]).collect(), f.len() == 1),
            Row::Blank => (vec![b"".as_slice(); WIDTH], false),
            Row::CopyOf(k) => match earlier(*k) {
                Some(r) => (r, false),
                None => (vec![b"P1".as_slice(); WIDTH], false),
            },
            Row::SameKey(k, f) => {
                let mut fields: Vec<&[u8]> = f.iter().map(|&k| POOL[k]).collect();
                if let Some(r) = earlier(*k) {
                    fields[0] = r[0];
                }
                (fields, false)
            }
        };
        let start = out.len();
        for (j, field) in fields.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            write_field(&mut out, field, quote);
        }
        expected.push(Expected {
            line,
            fields: fields.iter().map(|f| decode(f, e.encoding)).collect(),
            not_utf8: fields.len() == WIDTH && fields.iter().any(|f| std::str::from_utf8(f).is_err()),
        });
        line += line_breaks(&out[start..]) + 1;
        if fields.len() == WIDTH {
            records.push(fields);
        }
        if i + 1 == e.rows.len() && !e.final_eol {
            break;
        }
    }
    if e.final_eol && !e.rows.is_empty() {
        out.extend_from_slice(eol);
    }
    (out, expected)
}

/// Records in a file as the csv crate counts them (flexible, header skipped).
fn csv_records(bytes: &[u8]) -> usize {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let mut n = 0;
    for record in reader.byte_records() {
        record.expect("the csv crate reads every generated file");
        n += 1;
    }
    n
}

fn pad(mut fields: Vec<String>) -> Vec<String> {
    if fields.len() < WIDTH {
        fields.resize(WIDTH, String::new());
    }
    fields
}

fn run_library(dir: &Path, batch_rows: usize) -> cleanse::RunOutcome {
    let mut opts = cleanse::RunOptions::new(dir.join("cleanse.yaml"), dir.join("out"));
    opts.as_of = Some(chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
    opts.batch_rows = batch_rows;
    match cleanse::run(&opts) {
        Ok(outcome) => outcome,
        Err(e) => panic!("{}", cleanse::cli::render_error(&e, false)),
    }
}

fn check(e: &Export) -> Result<(), TestCaseError> {
    let (bytes, expected) = build(e);
    let dir = Dir::new();
    dir.write("pack.yaml", PACK);
    dir.write(
        "cleanse.yaml",
        format!(
            "rules: [pack.yaml]\ninputs:\n  - table: people\n    file: people.csv\n    encoding: {}\n",
            e.encoding
        ),
    );
    dir.write("people.csv", &bytes);
    let outcome = run_library(dir.path(), e.batch_rows);
    let out = Outputs::read(&outcome.run_dir);

    // Counts: the csv crate, the generator and the run agree.
    let records = csv_records(&bytes);
    prop_assert_eq!(records, expected.len(), "the generator's own count");
    let t = &outcome.report.tables[0];
    prop_assert_eq!(t.rows_in as usize, records);
    prop_assert_eq!(t.corrected + t.rejected, t.rows_in);
    let corrected = out.corrected("people");
    let rejected = out.rejected("people");
    prop_assert_eq!(corrected.rows.len() + rejected.rows.len(), records);
    prop_assert_eq!(corrected.rows.len() as u64, t.corrected);

    // Every rejected row is a record of the export, once, with an error finding on its line.
    let by_line: BTreeMap<u64, &Expected> = expected.iter().map(|x| (x.line, x)).collect();
    let mut left: BTreeMap<Vec<String>, i64> = BTreeMap::new();
    for x in &expected {
        *left.entry(pad(x.fields.clone())).or_default() += 1;
    }
    let mut rejected_lines = Vec::new();
    for r in &rejected.rows {
        prop_assert_eq!(&r[0], &dir.join("people.csv").display().to_string());
        let line: u64 = r[1].parse().unwrap();
        let x = by_line.get(&line);
        prop_assert!(x.is_some(), "rejected line {} is not where a record starts", line);
        let fields = r[3..].to_vec();
        prop_assert_eq!(&fields, &pad(x.unwrap().fields.clone()), "line {}", line);
        let errors: Vec<&Finding> = out
            .on_line("people", line)
            .into_iter()
            .filter(|f| f.severity == "error")
            .collect();
        prop_assert!(!errors.is_empty(), "line {} rejected without an error finding", line);
        for f in errors {
            prop_assert!(
                r[2].split(';').any(|id| id == f.rule_id),
                "{} not in {}",
                f.rule_id,
                r[2]
            );
        }
        *left.entry(fields).or_default() -= 1;
        rejected_lines.push(line);
    }
    let n = rejected_lines.len();
    rejected_lines.sort_unstable();
    rejected_lines.dedup();
    prop_assert_eq!(rejected_lines.len(), n, "a line rejected twice");

    // The rest are exactly the corrected rows.
    prop_assert_eq!(corrected.header, HEADER.map(String::from).to_vec());
    for r in &corrected.rows {
        *left.entry(r.clone()).or_default() -= 1;
    }
    left.retain(|_, n| *n != 0);
    prop_assert!(
        left.is_empty(),
        "records not conserved (+ missing, - extra): {:?}",
        left
    );

    // `ingest.encoding` only where a field is not UTF-8 and UTF-8 was declared.
    for x in &expected {
        let flagged = out.rules_on_line("people", x.line).contains("ingest.encoding");
        prop_assert_eq!(flagged, x.not_utf8 && e.encoding == "utf-8", "line {}", x.line);
    }

    // Findings are on record lines; errors only on rejected ones.
    for f in &out.findings {
        prop_assert!(
            by_line.contains_key(&f.line),
            "finding on line {} where no record starts: {:?}",
            f.line,
            f
        );
        if f.severity == "error" {
            prop_assert!(rejected_lines.binary_search(&f.line).is_ok(), "error kept: {:?}", f);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn every_record_ends_up_in_exactly_one_place(e in export()) {
        check(&e)?;
    }
}

/// Hand-picked exports for the property's nastiest corners, always checked.
#[test]
fn conservation_corners() {
    let all = |rows: Vec<Row>| Export {
        rows,
        crlf: true,
        bom: true,
        final_eol: false,
        encoding: "auto",
        batch_rows: 3,
    };
    let rec = |f: &[usize]| Row::Record(f.to_vec(), false);
    let cases = [
        all(vec![]),
        all(vec![Row::EmptyLine, Row::EmptyLine, rec(&[0, 6, 10, 14, 17])]),
        all(vec![
            rec(&[0, 7, 10, 14, 17]),
            Row::CopyOf(0),
            Row::Blank,
            Row::Ragged(vec![20]),
            Row::EmptyLine,
        ]),
        all((0..10).map(|i| Row::SameKey(0, vec![i, 8, 11, 15, 18])).collect()),
    ];
    for mut e in cases {
        check(&e).unwrap();
        e.crlf = false;
        e.final_eol = true;
        e.encoding = "utf-8";
        e.batch_rows = 1;
        check(&e).unwrap();
        e.encoding = "windows-1252";
        check(&e).unwrap();
    }
}

/// Batch size changes nothing: the demo gives the same exceptions with batches of 7 rows.
#[test]
fn batch_size_does_not_change_the_findings() {
    let dir = Dir::new().with_demo();
    let findings = |batch_rows: usize| {
        // Each run starts afresh: `row_count` compares with the previous run in the history.
        let _ = std::fs::remove_dir_all(dir.join("out"));
        let outcome = run_library(dir.path(), batch_rows);
        let mut f = Outputs::read(&outcome.run_dir).findings;
        f.sort();
        (
            f,
            outcome
                .report
                .tables
                .iter()
                .map(|t| (t.corrected, t.rejected))
                .collect::<Vec<_>>(),
        )
    };
    let (default, counts) = findings(cleanse::RunOptions::new("x", "y").batch_rows);
    let (small, small_counts) = findings(7);
    assert!(default.len() > 100);
    assert_eq!(counts, small_counts);
    if default != small {
        let only = |a: &[Finding], b: &[Finding]| a.iter().filter(|f| !b.contains(f)).cloned().collect::<Vec<_>>();
        panic!(
            "default only: {:#?}\nbatch 7 only: {:#?}",
            only(&default, &small),
            only(&small, &default)
        );
    }
}
