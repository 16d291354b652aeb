//! The run configuration (`cleanse.yaml`): which exports to read, as which
//! tables, and which rule packs to apply.
//!
//! Paths in the file are relative to the file itself, so a configuration and
//! its data can be moved together.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::model::diag::{Diagnostic, SourceFile, did_you_mean};
use crate::spec::yaml::{self, Spanned, span};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    name: Option<String>,
    /// The date `today` means in rules (default: the day of the run).
    #[serde(default)]
    as_of: Option<Spanned<String>>,
    #[serde(default)]
    two_digit_year_pivot: Option<Spanned<u8>>,
    /// The statutory collection year the run checks (`2025-26`): what `collection_start()` and
    /// `collection_end()` mean in rules, and the year each pack that declares one must be for.
    #[serde(default)]
    collection_year: Option<Spanned<crate::model::values::CollectionYear>>,
    /// The council's own upper-tier local authority code (GSS, `E06000990`): what
    /// `local_authority()` and `postcode_location()` compare with in rules.
    #[serde(default)]
    local_authority: Option<Spanned<String>>,
    /// The ONS postcode directory the postcode functions read.
    #[serde(default)]
    postcodes: Option<RawReference>,
    /// Ofsted's provider lists (workbooks) the `ofsted_` functions read.
    #[serde(default)]
    ofsted_providers: Option<RawReferences>,
    rules: Vec<Spanned<String>>,
    inputs: Vec<RawInput>,
    #[serde(default)]
    history: Option<RawHistory>,
    #[serde(default)]
    summary: Option<RawSummary>,
    /// Formats `corrected/` and `rejected/` are written in besides CSV (`parquet`, `xlsx`).
    #[serde(default)]
    output_formats: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReference {
    file: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReferences {
    files: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHistory {
    /// Days of runs to keep (by as-of date).
    keep_days: Spanned<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSummary {
    #[serde(default)]
    breakdown: Vec<RawBreakdown>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBreakdown {
    table: Spanned<String>,
    column: Spanned<String>,
    #[serde(default)]
    label: Option<String>,
    /// Whether the column's values are personal data (a worker's name): required, so nobody
    /// puts names in a manager's summary by leaving it out.
    personal: Spanned<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    table: Spanned<String>,
    file: Spanned<String>,
    #[serde(default)]
    encoding: Option<Spanned<String>>,
    #[serde(default)]
    delimiter: Option<Spanned<String>>,
    #[serde(default)]
    skip_lines: Option<Spanned<u32>>,
    #[serde(default)]
    max_value_lines: Option<Spanned<u32>>,
    /// For a workbook: the sheet the table is on (found by its header when not given).
    #[serde(default)]
    sheet: Option<Spanned<String>>,
}

/// How an export's bytes are turned into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, except that a field that is not valid UTF-8 is read as
    /// Windows-1252 (what Excel and most case-management systems write).
    Auto,
    /// UTF-8 only: an invalid field is read with replacement characters and
    /// its row is rejected with an `ingest.encoding` finding.
    Utf8,
    Windows1252,
}

impl Encoding {
    pub const NAMES: &[&str] = &["auto", "utf-8", "windows-1252"];

    pub fn parse(s: &str) -> Option<Encoding> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Some(Encoding::Auto),
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "windows-1252" | "cp1252" | "latin1" | "iso-8859-1" => Some(Encoding::Windows1252),
            _ => None,
        }
    }
}

/// How an export is laid out: the configuration's settings for one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    pub encoding: Encoding,
    pub delimiter: u8,
    /// Lines above the header to pass over (a report's title, a blank line).
    pub skip_lines: u32,
    /// The most lines one value may run over before its opening quote is taken to be unclosed.
    pub max_value_lines: u32,
}

impl Dialect {
    /// Longer than any note typed into a case-management form, far shorter than an export.
    pub const DEFAULT_MAX_VALUE_LINES: u32 = 200;
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect {
            encoding: Encoding::Auto,
            delimiter: b',',
            skip_lines: 0,
            max_value_lines: Dialect::DEFAULT_MAX_VALUE_LINES,
        }
    }
}

/// How long runs are kept, unless the configuration says otherwise.
pub const DEFAULT_KEEP_DAYS: u32 = 400;

/// One export to read.
#[derive(Debug, Clone)]
pub struct Input {
    pub table: String,
    pub path: PathBuf,
    pub encoding: Encoding,
    pub delimiter: u8,
    /// Lines above the header to pass over (a report's title).
    pub skip_lines: u32,
    /// How many lines one quoted value may run over before its quote is taken to be unclosed.
    pub max_value_lines: u32,
    /// For a workbook, the sheet named for the table (else the one whose header matches).
    pub sheet: Option<String>,
    /// Where `table:` is written, for "unknown table" errors after the packs load.
    pub table_at: (std::sync::Arc<crate::model::diag::SourceFile>, std::ops::Range<usize>),
}

impl Input {
    /// How the export is laid out, for the reader.
    pub fn dialect(&self) -> Dialect {
        Dialect {
            encoding: self.encoding,
            delimiter: self.delimiter,
            skip_lines: self.skip_lines,
            max_value_lines: self.max_value_lines,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub name: String,
    pub as_of: Option<chrono::NaiveDate>,
    pub collection_year: Option<crate::model::values::CollectionYear>,
    /// The council's upper-tier local authority code, if given.
    pub local_authority: Option<String>,
    /// The ONS postcode directory, if given.
    pub postcodes: Option<PathBuf>,
    /// Ofsted's provider lists (workbooks), if given.
    pub ofsted_providers: Vec<PathBuf>,
    pub pivot: u8,
    pub rules: Vec<PathBuf>,
    pub inputs: Vec<Input>,
    /// Days of runs the history keeps.
    pub keep_days: u32,
    /// Dimensions the summary breaks findings down by.
    pub breakdown: Vec<BreakdownSpec>,
    /// Formats the corrected and rejected tables are written in besides CSV.
    pub output_formats: Vec<TableFormat>,
}

/// A format `corrected/<table>` and `rejected/<table>` are written in besides CSV (which is
/// always written: the exceptions workbook and the history are made from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TableFormat {
    /// Typed Parquet, for a data platform (`output::parquet`).
    Parquet,
    /// A workbook, for the data team (always, for a table read from a workbook).
    Xlsx,
}

impl TableFormat {
    pub const NAMES: &[&str] = &["parquet", "xlsx"];

    pub fn parse(s: &str) -> Option<TableFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "parquet" => Some(TableFormat::Parquet),
            "xlsx" | "excel" => Some(TableFormat::Xlsx),
            _ => None,
        }
    }
}

/// A column to break the summary's findings down by, checked against the packs once they load.
#[derive(Debug, Clone)]
pub struct BreakdownSpec {
    pub table: String,
    pub column: String,
    pub label: String,
    pub personal: bool,
    /// Where `table:` and `column:` are written, for errors once the packs load.
    pub table_at: (std::sync::Arc<crate::model::diag::SourceFile>, std::ops::Range<usize>),
    pub column_at: std::ops::Range<usize>,
}

/// What a configuration must be able to reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// A run: its rule packs and its exports.
    PacksAndData,
    /// `cleanse check`: its rule packs only (CI checks rules where the data is not).
    Packs,
}

impl Config {
    /// Read a configuration for a run: every problem, or a configuration whose files exist.
    pub fn load(path: &Path) -> Result<Config, Vec<Diagnostic>> {
        match Config::parse(path, Reach::PacksAndData) {
            (Some(config), diags) if diags.is_empty() => Ok(config),
            (_, diags) => Err(diags),
        }
    }

    /// Read a configuration, keeping what could be read beside the problems, so `cleanse check`
    /// can go on to the rule packs that do exist. `None` only if the YAML itself is unusable.
    pub fn parse(path: &Path, reach: Reach) -> (Option<Config>, Vec<Diagnostic>) {
        let (raw, file) = match yaml::load::<RawConfig>(path) {
            Ok(loaded) => loaded,
            Err(diags) => return (None, diags),
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let mut diags = Vec::new();
        let as_of = raw.as_of.as_ref().and_then(|a| {
            chrono::NaiveDate::parse_from_str(a.value.trim(), "%Y-%m-%d")
                .map_err(|_| {
                    diags.push(
                        Diagnostic::new("bad-date", &file, span(a), format!("`{}` is not a date", a.value))
                            .label("expected yyyy-mm-dd")
                            .help("write the as-of date as e.g. 2026-03-31"),
                    )
                })
                .ok()
        });
        let pivot = raw
            .two_digit_year_pivot
            .as_ref()
            .map_or(crate::model::values::DEFAULT_PIVOT, |p| {
                if p.value > 99 {
                    diags.push(
                        Diagnostic::new(
                            "bad-pivot",
                            &file,
                            span(p),
                            "the two-digit-year pivot is a number from 0 to 99",
                        )
                        .label("too large"),
                    );
                }
                p.value
            });
        if raw.rules.is_empty() {
            diags.push(
                Diagnostic::new("no-rules", &file, 0..0, "no rule packs are listed under `rules`")
                    .help("add e.g. `rules: [rules/annex-a.yaml]`"),
            );
        }
        let rules = raw
            .rules
            .iter()
            .filter_map(|r| {
                let p = base.join(&r.value);
                if p.is_file() {
                    Some(p)
                } else {
                    diags.push(not_a_file(&file, span(r), "rules file", &p));
                    None
                }
            })
            .collect();
        let mut inputs: Vec<Input> = Vec::new();
        for i in &raw.inputs {
            let path = base.join(&i.file.value);
            if reach == Reach::PacksAndData && !path.is_file() {
                diags.push(not_a_file(&file, span(&i.file), "input file", &path));
            }
            if inputs.iter().any(|x| x.table == i.table.value) {
                diags.push(
                    Diagnostic::new(
                        "duplicate-input",
                        &file,
                        span(&i.table),
                        format!("table `{}` has two inputs", i.table.value),
                    )
                    .label("second input for this table")
                    .help("combine the exports into one file, or declare a second table"),
                );
            }
            let workbook = crate::model::cells::is_workbook(&path);
            let parquet = crate::model::cells::is_parquet(&path);
            let xml = crate::model::cells::is_xml(&path);
            if workbook || parquet || xml {
                let what = match (workbook, parquet) {
                    (true, _) => "a workbook",
                    (_, true) => "a Parquet file",
                    _ => "an XML return",
                };
                let skip = i.skip_lines.as_ref().map(|s| (span(s), "skip_lines"));
                let csv_only = [
                    i.encoding.as_ref().map(|s| (span(s), "encoding")),
                    i.delimiter.as_ref().map(|s| (span(s), "delimiter")),
                    i.max_value_lines.as_ref().map(|s| (span(s), "max_value_lines")),
                    skip,
                ];
                for (at, setting) in csv_only.into_iter().flatten() {
                    diags.push(
                        Diagnostic::new(
                            "not-for-workbooks",
                            &file,
                            at,
                            format!("`{setting}` is for CSV exports, and this input is {what}"),
                        )
                        .label("not used here")
                        .help("remove it: a workbook's, Parquet file's or XML return's values are read as they are, and a workbook's header is found below any title rows"),
                    );
                }
            }
            if let (false, Some(s)) = (workbook, &i.sheet) {
                diags.push(
                    Diagnostic::new(
                        "sheet-on-csv",
                        &file,
                        span(s),
                        if xml {
                            "`sheet` is for workbooks, and this input is an XML return"
                        } else {
                            "`sheet` is for workbooks, and this input is a CSV export"
                        },
                    )
                    .label("a CSV export has no sheets")
                    .help("remove `sheet`, or name the workbook (.xlsx) the table is in"),
                );
            }
            let encoding = match i.encoding.as_ref() {
                None => Encoding::Auto,
                Some(e) => Encoding::parse(&e.value).unwrap_or_else(|| {
                    diags.push(
                        Diagnostic::new(
                            "unknown-encoding",
                            &file,
                            span(e),
                            format!("unknown encoding `{}`", e.value),
                        )
                        .label("not an encoding Cleanse reads")
                        .help(
                            did_you_mean(&e.value, Encoding::NAMES.iter().copied())
                                .unwrap_or_else(|| format!("encodings: {}", Encoding::NAMES.join(", "))),
                        ),
                    );
                    Encoding::Auto
                }),
            };
            let delimiter = match i.delimiter.as_ref() {
                None => b',',
                Some(d) => match d.value.as_str() {
                    "\\t" | "tab" | "\t" => b'\t',
                    "\"" | "\n" | "\r" => {
                        // The quote and line breaks already mean something in a CSV file.
                        diags.push(
                            Diagnostic::new(
                                "bad-delimiter",
                                &file,
                                span(d),
                                "a quote or a line break cannot be the delimiter",
                            )
                            .label("already part of CSV")
                            .help("write the character that separates values, such as `,`, `;`, `|` or `tab`"),
                        );
                        b','
                    }
                    s if s.len() == 1 && s.is_ascii() => s.as_bytes()[0],
                    _ => {
                        diags.push(
                            Diagnostic::new(
                                "bad-delimiter",
                                &file,
                                span(d),
                                "the delimiter must be a single character (or `tab`)",
                            )
                            .label("not one character"),
                        );
                        b','
                    }
                },
            };
            let max_value_lines = match &i.max_value_lines {
                None => Dialect::DEFAULT_MAX_VALUE_LINES,
                Some(m) if m.value == 0 => {
                    diags.push(
                        Diagnostic::new(
                            "bad-max-value-lines",
                            &file,
                            span(m),
                            "a value must be allowed at least one line",
                        )
                        .label("zero lines")
                        .help(format!(
                            "write e.g. `max_value_lines: {}` (the default), more if the export has long notes",
                            Dialect::DEFAULT_MAX_VALUE_LINES
                        )),
                    );
                    Dialect::DEFAULT_MAX_VALUE_LINES
                }
                Some(m) => m.value,
            };
            inputs.push(Input {
                table: i.table.value.clone(),
                path,
                encoding,
                delimiter,
                skip_lines: i.skip_lines.as_ref().map_or(0, |s| s.value),
                max_value_lines,
                sheet: i.sheet.as_ref().map(|s| s.value.clone()),
                table_at: (file.clone(), span(&i.table)),
            });
        }
        let keep_days = match &raw.history {
            None => DEFAULT_KEEP_DAYS,
            Some(h) if h.keep_days.value == 0 => {
                diags.push(
                    Diagnostic::new(
                        "bad-keep-days",
                        &file,
                        span(&h.keep_days),
                        "the history must keep at least one day",
                    )
                    .label("zero days")
                    .help("write e.g. `keep_days: 400` (the default)"),
                );
                1
            }
            Some(h) => h.keep_days.value,
        };
        let mut output_formats = Vec::new();
        for f in &raw.output_formats {
            match TableFormat::parse(&f.value) {
                Some(format) if !output_formats.contains(&format) => output_formats.push(format),
                Some(_) => {}
                None if f.value.trim().eq_ignore_ascii_case("csv") => {}
                None => {
                    let hint = did_you_mean(f.value.trim(), TableFormat::NAMES.iter().copied())
                        .unwrap_or_else(|| "write `parquet` or `xlsx` (CSV is always written)".to_string());
                    diags.push(
                        Diagnostic::new(
                            "unknown-output-format",
                            &file,
                            span(f),
                            format!("`{}` is not an output format", f.value),
                        )
                        .label("unknown format")
                        .help(hint),
                    );
                }
            }
        }
        let breakdown = raw
            .summary
            .iter()
            .flat_map(|s| &s.breakdown)
            .map(|b| BreakdownSpec {
                table: b.table.value.clone(),
                column: b.column.value.clone(),
                label: b.label.clone().unwrap_or_else(|| b.column.value.replace('_', " ")),
                personal: b.personal.value,
                table_at: (file.clone(), span(&b.table)),
                column_at: span(&b.column),
            })
            .collect();
        let local_authority = raw.local_authority.as_ref().map(|la| {
            let code = la.value.trim();
            let gss = code.len() == 9
                && matches!(code.as_bytes()[0], b'E' | b'W' | b'S' | b'N')
                && code[1..].bytes().all(|b| b.is_ascii_digit());
            if !gss {
                diags.push(
                    Diagnostic::new(
                        "bad-local-authority",
                        &file,
                        span(la),
                        format!("`{code}` is not a local authority code"),
                    )
                    .label("expected a GSS code")
                    .help("write the council's upper-tier code as the ONS gives it, e.g. `E09000027`"),
                );
            }
            code.to_string()
        });
        let postcodes = raw.postcodes.as_ref().map(|r| {
            let p = base.join(&r.file.value);
            if reach == Reach::PacksAndData && !p.is_file() {
                diags.push(not_a_file(&file, span(&r.file), "postcode directory", &p));
            }
            p
        });
        let ofsted_providers = raw
            .ofsted_providers
            .iter()
            .flat_map(|r| &r.files)
            .map(|f| {
                let p = base.join(&f.value);
                if reach == Reach::PacksAndData && !p.is_file() {
                    diags.push(not_a_file(&file, span(f), "Ofsted provider list", &p));
                } else if !crate::model::cells::is_workbook(&p) {
                    diags.push(
                        Diagnostic::new(
                            "not-a-workbook",
                            &file,
                            span(f),
                            "Ofsted's provider lists are workbooks, and this is not named as one",
                        )
                        .label("expected an .xlsx (or .xls, .ods) file")
                        .help("name the workbook as Ofsted publishes it, e.g. `Children's social care providers and settings.xlsx`"),
                    );
                }
                p
            })
            .collect();
        let config = Config {
            path: path.to_path_buf(),
            name: raw.name.unwrap_or_else(|| "Cleanse run".to_string()),
            as_of,
            collection_year: raw.collection_year.map(|y| y.value),
            local_authority,
            postcodes,
            ofsted_providers,
            pivot,
            rules,
            inputs,
            keep_days,
            breakdown,
            output_formats,
        };
        (Some(config), diags)
    }
}

/// A configured path that is missing, or is something other than a file: a folder, or a device
/// or pipe (`/dev/zero` would never end).
fn not_a_file(file: &Arc<SourceFile>, at: std::ops::Range<usize>, what: &str, path: &Path) -> Diagnostic {
    if path.exists() {
        Diagnostic::new(
            "missing-file",
            file,
            at,
            format!("{what} `{}` is not a regular file", path.display()),
        )
        .label("not a file")
        .help("name a file here: a folder, device or pipe cannot be read as one")
    } else {
        Diagnostic::new(
            "missing-file",
            file,
            at,
            format!("{what} `{}` does not exist", path.display()),
        )
        .label("no such file")
    }
}
