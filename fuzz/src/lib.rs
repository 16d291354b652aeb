//! The fuzz targets' bodies, one function per fuzzed surface. Each binary in
//! `src/bin/` hands AFL++'s input to one of these. A target fails (and AFL++
//! records a crash) by panicking: either inside Cleanse, or in an `assert!`
//! here that checks a promise the code makes (line numbers, round trips,
//! registered diagnostic codes).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cleanse::model::diag::{self, Diagnostic};
use cleanse::source::{BadRowKind, CsvSource};
use cleanse::spec::config::{Dialect, Encoding};
use cleanse::model::table::{Table};
use cleanse::spec::rules::{self, RuleSet, Semantics};
use cleanse::model::values::{self, DateForms};

/// The as-of date every target loads rules with, so runs are repeatable.
pub fn semantics() -> Semantics {
    Semantics {
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 3, 31).expect("a date"),
    }
}

/// A directory of this fuzzing campaign's own, for the rules files the loader reads by path.
/// Under /dev/shm where there is one, so writing a file per input costs no disk.
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = Path::new("/dev/shm");
        let base = if base.is_dir() {
            base.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        // Named after the parent: under afl-fuzz that is the fork server, the same for every
        // process of one campaign, so restarts reuse the directory instead of leaving new ones.
        let dir = base.join(format!("cleanse-fuzz-{}", std::os::unix::process::parent_id()));
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        dir
    })
}

/// Load `text` as the only rules file, as `cleanse check` and `cleanse run` would.
pub fn load_pack(name: &str, text: &[u8]) -> Result<RuleSet, Vec<Diagnostic>> {
    let path = scratch().join(name);
    std::fs::write(&path, text).expect("write rules file");
    rules::load(&[path], semantics(), &cleanse::kinds::REGISTRY)
}

/// Render diagnostics both ways (rendering slices the file's text by each span) and check
/// the promises every diagnostic makes: a registered code, a message, a position in its file.
pub fn check_diagnostics(diags: &[Diagnostic]) {
    assert!(!diags.is_empty(), "a load that fails says why");
    for d in diags {
        assert!(
            diag::code(d.code).is_some(),
            "diagnostic code `{}` is not registered",
            d.code
        );
        assert!(!d.message.is_empty(), "diagnostic `{}` has no message", d.code);
        let (line, col) = d.line_col();
        assert!(line >= 1 && col >= 1);
    }
    let plain = diag::render(diags, false);
    assert!(!plain.is_empty());
    let _ = diag::render(diags, true);
}

/// Build what a target keeps between inputs (the fixed packs, the SQL context) before the fuzz
/// loop starts, so the first input does not cover code the others never reach (AFL++ would see
/// that as instability).
pub fn init(target: &str) {
    match target {
        "csv" => drop(csv_table()),
        "rules" => drop(rules_base()),
        "sql" => drop(sql_context()),
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// CSV reader with line tracking

/// The table the CSV target reads into: every column optional, so any header
/// gets through to the records (a header naming `id` twice is still refused).
const CSV_PACK: &str = r#"pack: fuzz-csv
version: 0.0.0
tables:
  t:
    columns:
      - { name: id, header: ID, optional: true }
      - { name: date, header: Date, type: date, optional: true }
      - { name: n, header: N, type: integer, optional: true }
"#;

fn csv_table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let set = load_pack("csv-pack.yaml", CSV_PACK.as_bytes()).expect("the CSV target's pack loads");
        set.tables.into_iter().next().expect("one table")
    })
}

/// Delimiters the first input byte chooses from: the usual ones, then any other ASCII byte
/// (the configuration accepts any single character).
const DELIMITERS: &[u8] = b",\t;| ";

/// Input: byte 0 picks the delimiter, byte 1 the encoding and batch size, the rest is the file.
pub fn csv(data: &[u8]) {
    let [d, opts, file @ ..] = data else { return };
    let delimiter = if d & 0x80 == 0 {
        DELIMITERS[usize::from(*d) % DELIMITERS.len()]
    } else {
        d & 0x7f
    };
    let encoding = [Encoding::Auto, Encoding::Utf8, Encoding::Windows1252][usize::from(opts & 3) % 3];
    let batch_rows = 1 + usize::from(opts >> 2 & 7);
    // Lines above the header to pass over, and a small value-line limit now and then, so
    // `skip_lines` and the unclosed-quote rule are fuzzed too.
    let skip = u32::from(opts >> 5 & 3);
    let max_value_lines = if opts & 0x80 == 0 { Dialect::DEFAULT_MAX_VALUE_LINES } else { 2 };
    let dialect = Dialect {
        encoding,
        delimiter,
        skip_lines: skip,
        max_value_lines,
    };
    let path = Path::new("fuzz.csv");
    let mut source = match CsvSource::open_reader(path, file, csv_table(), dialect) {
        Ok(s) => s,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let width = source.header.names.len();
    let mut good = Vec::new();
    let mut bad = Vec::new();
    loop {
        let batch = match source.next_batch(batch_rows) {
            Ok(Some(b)) => b,
            Ok(None) => break,
            Err(e) => {
                let _ = e.to_string();
                return;
            }
        };
        assert!(
            batch.num_rows() + batch.bad.len() <= batch_rows,
            "batch larger than asked for"
        );
        assert!(batch.num_rows() + batch.bad.len() > 0, "an empty batch before the end");
        assert_eq!(batch.columns.len(), width, "one column per header field");
        for c in &batch.columns {
            assert_eq!(c.len(), batch.num_rows(), "every column has every row");
        }
        for issue in &batch.encoding_issues {
            assert!((issue.row as usize) < batch.num_rows() && (issue.file_column as usize) < width);
        }
        for b in &batch.bad {
            match &b.kind {
                BadRowKind::Ragged { found, expected, lines } => {
                    assert_eq!(*found, b.fields.len());
                    assert_eq!(*expected, width);
                    assert_ne!(*found, width, "a row of the right width is not ragged");
                    assert!(*lines >= 1);
                }
                BadRowKind::Blank => {
                    assert_eq!(b.fields.len(), width);
                    assert!(b.fields.iter().all(|f| f.trim().is_empty()));
                }
                BadRowKind::UnclosedQuote { opened, lines, to_end } => {
                    assert!(*opened >= b.line, "the quote opens on or after the row's first line");
                    assert!(*to_end || *lines > u64::from(max_value_lines), "only past the limit or to the end");
                }
            }
        }
        good.extend(batch.lines.iter().copied());
        bad.extend(batch.bad.iter().map(|b| b.line));
    }
    // Nothing is lost: every row read is a record or a bad row.
    assert_eq!(
        source.rows_read,
        (good.len() + bad.len()) as u64,
        "rows read = records + bad rows"
    );
    // The fingerprint covers every byte.
    assert_eq!(source.sha256(), cleanse::model::digest::sha256_hex(file), "SHA-256 of the whole file");
    // Lines: after the header (line 1 at least), strictly increasing in file order, and no
    // further than the file goes.
    let breaks = line_breaks(file);
    for lines in [&good, &bad] {
        for w in lines.windows(2) {
            assert!(w[0] < w[1], "lines go forward: {lines:?}");
        }
    }
    let mut all: Vec<u64> = good.iter().chain(&bad).copied().collect();
    all.sort_unstable();
    for w in all.windows(2) {
        assert!(w[0] < w[1], "two rows start on line {}", w[0]);
    }
    for &l in &all {
        assert!(l >= 2 + u64::from(skip), "a record on line {l}, at or before the header");
        assert!(
            l <= breaks.len() as u64 + 1,
            "line {l} past the end ({} breaks)",
            breaks.len()
        );
    }
    // Without any quote, a record is exactly a non-empty physical line (the header being the
    // first), so the lines are known independently of the reader.
    // (A delimiter that is a line break, or a BOM the csv crate may strip before an empty
    // first line, changes what a line is: those files are left to the checks above.)
    let breaks_fields = delimiter == b'\n' || delimiter == b'\r';
    if skip == 0 && !file.contains(&b'"') && !breaks_fields && !file.starts_with(b"\xEF\xBB\xBF") {
        let expected: Vec<u64> = physical_lines(file)
            .into_iter()
            .enumerate()
            .filter(|(_, l)| !l.is_empty())
            .map(|(i, _)| i as u64 + 1)
            .skip(1)
            .collect();
        assert_eq!(all, expected, "record lines of a file without quotes");
    }
}

/// Offsets of line breaks, counting CRLF once.
fn line_breaks(b: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\r' => {
                out.push(i);
                if b.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.push(i),
            _ => {}
        }
        i += 1;
    }
    out
}

/// The file split at CRLF, CR or LF (a final terminator does not start a line).
fn physical_lines(b: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for &at in &line_breaks(b) {
        out.push(&b[start..at]);
        start = at
            + if b[at] == b'\r' && b.get(at + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
    }
    if start < b.len() {
        out.push(&b[start..]);
    }
    out
}

// ---------------------------------------------------------------------------
// Date and number parsers

/// Input: byte 0 picks the date forms (low five bits), byte 1 the two-digit-year pivot, the
/// rest (as UTF-8, lossily) is the text.
pub fn values(data: &[u8]) {
    let [f, p, text @ ..] = data else { return };
    let s = String::from_utf8_lossy(text);
    let s = s.as_ref();
    let forms = forms_from_bits(*f);
    let pivot = p % 101;
    let date = values::parse_date(s, forms, pivot);
    if let Some(d) = date {
        // Only real calendar dates with four-digit years come out, so both output forms read
        // back as the same day.
        let iso = values::format_iso(d);
        assert_eq!(
            values::parse_date(&iso, DateForms::ISO, pivot),
            Some(d),
            "{s:?} → {iso}"
        );
        let uk = values::format_date(d);
        assert_eq!(values::parse_date(&uk, DateForms::DMY, pivot), Some(d), "{s:?} → {uk}");
        let mut w = String::new();
        values::write_date(d, false, &mut w);
        assert_eq!(w, uk);
        // More forms never lose a date.
        assert_eq!(
            values::parse_date(s, DateForms::ALL, pivot),
            Some(d),
            "{s:?} under every form"
        );
        // Surrounding whitespace is ignored.
        assert_eq!(values::parse_date(&format!(" {s}\t"), forms, pivot), Some(d));
    }
    // Any day number formats, and ages never panic, even beyond chrono's range.
    if let [a0, a1, a2, a3, b0, b1, b2, b3, ..] = *text {
        let a = i32::from_le_bytes([a0, a1, a2, a3]);
        let b = i32::from_le_bytes([b0, b1, b2, b3]);
        let _ = values::format_date(a);
        let _ = values::format_iso(b);
        let _ = values::age_years(a, b);
        let _ = values::age_years(b, a);
    }
    let int = values::parse_integer(s);
    if let Some(v) = int {
        assert_eq!(values::parse_integer(&v.to_string()), Some(v), "{s:?}");
        // Where the decimal parser is not limited by its 256-byte buffer, it agrees.
        if s.trim().len() <= 256 {
            assert_eq!(values::parse_decimal(s), Some(v as f64), "{s:?} as a decimal");
        }
    }
    if let Some(v) = values::parse_decimal(s) {
        assert!(v.is_finite());
        // Display never uses an exponent, and prints the shortest text that reads back.
        assert_eq!(values::parse_decimal(&v.to_string()), Some(v), "{s:?}");
    }
    let mut code = String::new();
    values::normalise_code(s, &mut code);
    let _ = values::is_blank(s);
}

fn forms_from_bits(bits: u8) -> DateForms {
    let mut forms = None::<DateForms>;
    for (i, form) in [
        DateForms::DMY,
        DateForms::DMY_SHORT_YEAR,
        DateForms::ISO,
        DateForms::MONTH_NAME,
        DateForms::EXCEL,
    ]
    .into_iter()
    .enumerate()
    {
        if bits & (1 << i) != 0 {
            forms = Some(forms.map_or(form, |f: DateForms| f.union(form)));
        }
    }
    forms.unwrap_or(DateForms::ALL)
}

// ---------------------------------------------------------------------------
// Rules-file loader

/// The shipped-style pack the fuzzed one is loaded beside (as a council's pack is loaded beside
/// a shipped one), so a fuzzed rule can name a real table: `tests/broken_rules/base.yaml`.
const RULES_BASE: &str = include_str!("../../tests/broken_rules/base.yaml");

/// Input: a rules file, as bytes, loaded after `tests/broken_rules/base.yaml`.
pub fn rules(data: &[u8]) {
    let path = scratch().join("pack.yaml");
    std::fs::write(&path, data).expect("write rules file");
    match rules::load(&[rules_base().clone(), path], semantics(), &cleanse::kinds::REGISTRY) {
        Ok(_) => {}
        Err(diags) => check_diagnostics(&diags),
    }
}

fn rules_base() -> &'static PathBuf {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let path = scratch().join("base.yaml");
        std::fs::write(&path, RULES_BASE).expect("write base pack");
        path
    })
}

// ---------------------------------------------------------------------------
// SQL expression checker

/// A table of every column type for the SQL target's rule to read.
const SQL_PACK_HEAD: &str = r#"pack: fuzz-sql
version: 0.0.0
tables:
  t:
    key: [id]
    columns:
      - { name: id, header: ID }
      - { name: born, header: Date of Birth, type: date }
      - { name: start_date, header: Start, type: date }
      - { name: age, header: Age, type: integer }
      - { name: score, header: Score, type: decimal }
      - { name: sex, header: Sex, type: code, codes: [a) Male, b) Female] }
      - { name: note, header: Note }
rules:
  - id: FUZZ-1
    table: t
    kind: check
    severity: error
    message: fuzzed
    check: |-
"#;

/// Input: a SQL expression (UTF-8, lossily). It is checked twice: by the SQL context directly
/// against the table's schema (then planned as a physical expression), and as the `check` of a
/// rule in a rules file, through the loader, which turns SQL errors into positioned diagnostics.
pub fn sql(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let sql = text.as_ref();
    let (ctx, table) = sql_context();
    match ctx.parse(sql, &table.schema) {
        Ok(expr) => {
            let _ = ctx.data_type(&expr, &table.schema);
            let _ = ctx.physical(&expr, &table.schema);
        }
        Err(e) => {
            assert!(!e.message.is_empty(), "a SQL error says what is wrong");
            // `span` is documented as a byte range within the SQL text.
            if let Some(r) = &e.span {
                assert!(
                    r.start <= r.end && r.end <= sql.len(),
                    "span {r:?} outside {} bytes",
                    sql.len()
                );
                assert!(
                    sql.is_char_boundary(r.start) && sql.is_char_boundary(r.end),
                    "span {r:?} splits a character"
                );
            }
        }
    }
    // The expression as a YAML literal block: every line indented, so any text is the value.
    // YAML forbids control characters other than tab, and a block cannot end in blank lines
    // that matter, so those inputs are only checked directly.
    if sql.chars().any(|c| c.is_control() && c != '\t' && c != '\n') {
        return;
    }
    let mut pack = String::from(SQL_PACK_HEAD);
    for line in sql.split('\n') {
        pack.push_str("      ");
        pack.push_str(line);
        pack.push('\n');
    }
    match load_pack("sql-pack.yaml", pack.as_bytes()) {
        Ok(_) => {}
        Err(diags) => check_diagnostics(&diags),
    }
}

fn sql_context() -> &'static (cleanse::spec::sql::SqlContext, Table) {
    static CTX: OnceLock<(cleanse::spec::sql::SqlContext, Table)> = OnceLock::new();
    CTX.get_or_init(|| {
        let mut pack = String::from(SQL_PACK_HEAD);
        pack.push_str("      id IS NOT NULL\n");
        let set = load_pack("sql-base.yaml", pack.as_bytes()).expect("the SQL target's pack loads");
        let table = set.tables.into_iter().next().expect("one table");
        (cleanse::spec::sql::SqlContext::new(semantics().as_of), table)
    })
}
