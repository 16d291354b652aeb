//! The output formats of `cleanse check` and `cleanse test` (`--format`).
//!
//! Both commands hand over what they found and get back the text to print;
//! nothing here decides exit codes or colour (the caller knows whether it
//! writes to a terminal). Each format is written for one reader:
//!
//! - `human`: compiler-style diagnostics and `cargo test`-style lines;
//! - `json`: a versioned document for scripts (below);
//! - `junit`: JUnit XML, which CI test dashboards (Jenkins, GitLab, Azure
//!   Pipelines) show as passed and failed tests;
//! - `github`: GitHub Actions workflow commands, shown as annotations on the
//!   lines of a pull request;
//! - `sarif`: SARIF 2.1.0, the interchange format of code-scanning tools.
//!
//! # JSON schema (version 1)
//!
//! Lines and columns are 1-based; columns count characters; `end_line` and
//! `end_column` point just past the offending text. Fields are only ever
//! added within a version.
//!
//! ```text
//! check: {"version": 1, "files": [path...], "problems": n,
//!         "diagnostics": [{"code", "severity": "error", "message", "file", "line", "column",
//!                          "end_line", "end_column", "label": string|null, "help": string|null}]}
//! test:  {"version": 1, "passed": n, "failed": m,
//!         "tests": [{"suite", "name", "file", "line", "column",
//!                    "outcome": "passed"|"failed", "message": string|null}]}
//! ```
//!
//! A file that could not be read has no text to point into: its problems are
//! at line 1, column 1, in every format.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};

use crate::model::diag::{self, Diagnostic, SourceFile};

/// How `cleanse check` and `cleanse test` print what they found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// For people: compiler-style diagnostics, `cargo test`-style lines.
    #[default]
    Human,
    /// A versioned JSON document, for scripts.
    Json,
    /// JUnit XML, for CI test dashboards (Jenkins, GitLab, Azure Pipelines).
    Junit,
    /// GitHub Actions workflow commands: annotations on pull requests.
    Github,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

/// What `cleanse check` looked at and found.
#[derive(Debug, Clone, Copy)]
pub struct CheckReport<'a> {
    pub files: &'a [PathBuf],
    pub diagnostics: &'a [Diagnostic],
}

impl CheckReport<'_> {
    /// The files checked, in order: those given, then any file a diagnostic
    /// names that was not among them (a pack a configuration pulled in), so
    /// per-file formats never lose a problem.
    fn checked_files(&self) -> Vec<&Path> {
        let mut files: Vec<&Path> = self.files.iter().map(PathBuf::as_path).collect();
        for d in self.diagnostics {
            if !files.contains(&d.path()) {
                files.push(d.path());
            }
        }
        files
    }

    fn diagnostics_in(&self, file: &Path) -> Vec<Diagnostic> {
        self.diagnostics.iter().filter(|d| d.path() == file).cloned().collect()
    }

    /// `Checked 3 files: 5 problems in 2 files.`
    fn summary(&self) -> String {
        let files = self.checked_files();
        let with_problems = files.iter().filter(|f| !self.diagnostics_in(f).is_empty()).count();
        let checked = plural(files.len(), "file");
        match self.diagnostics.len() {
            0 => format!("Checked {checked}: no problems."),
            n => format!(
                "Checked {checked}: {} in {}.",
                plural(n, "problem"),
                plural(with_problems, "file")
            ),
        }
    }
}

/// One example run by `cleanse test`.
#[derive(Debug, Clone)]
pub struct TestCase {
    /// The rule or correction id.
    pub suite: String,
    /// e.g. `fails: row 2`.
    pub name: String,
    pub file: Arc<SourceFile>,
    /// Byte span of the example in the file.
    pub span: Range<usize>,
    pub outcome: TestOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestOutcome {
    Passed,
    Failed { message: String },
}

impl TestCase {
    fn title(&self) -> String {
        format!("{} › {}", self.suite, self.name)
    }

    fn failure(&self) -> Option<&str> {
        match &self.outcome {
            TestOutcome::Passed => None,
            TestOutcome::Failed { message } => Some(message),
        }
    }
}

fn failed(cases: &[TestCase]) -> usize {
    cases.iter().filter(|c| c.failure().is_some()).count()
}

/// Render what `cleanse check` found.
pub fn check(report: &CheckReport, format: Format, color: bool) -> String {
    let findings = || report.diagnostics.iter().map(Finding::of_diagnostic);
    match format {
        Format::Human => format!("{}{}\n", diag::render(report.diagnostics, color), report.summary()),
        Format::Json => check_json(report),
        Format::Junit => check_junit(report),
        Format::Github => github(findings(), &report.summary()),
        Format::Sarif => sarif(findings().collect()),
    }
}

/// Render the examples `cleanse test` ran.
pub fn tests(cases: &[TestCase], format: Format, color: bool) -> String {
    let findings = || cases.iter().filter_map(Finding::of_test);
    match format {
        Format::Human => tests_human(cases, color),
        Format::Json => tests_json(cases),
        Format::Junit => tests_junit(cases),
        Format::Github => github(findings(), &tests_summary(cases, false)),
        Format::Sarif => sarif(findings().collect()),
    }
}

/// Where a problem or example is, 1-based, as every format but `human` needs it.
#[derive(Serialize)]
struct Place {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

impl Place {
    /// `line_col` clamps to the text, so an unreadable (empty) file gives 1:1
    /// whatever the span says.
    fn of(file: &SourceFile, span: &Range<usize>) -> Self {
        let (line, column) = file.line_col(span.start);
        let (end_line, end_column) = file.line_col(span.end.max(span.start));
        Place {
            file: file.path.display().to_string(),
            line,
            column,
            end_line,
            end_column,
        }
    }
}

/// A problem as the annotation formats (GitHub, SARIF) see it, whether a
/// diagnostic or a failed example.
struct Finding {
    rule: String,
    title: String,
    /// May span several lines.
    message: String,
    place: Place,
}

impl Finding {
    fn of_diagnostic(d: &Diagnostic) -> Self {
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            let _ = write!(message, "\nhelp: {help}");
        }
        Finding {
            rule: d.code.to_string(),
            title: d.code.to_string(),
            message,
            place: Place::of(&d.file, &d.span),
        }
    }

    fn of_test(case: &TestCase) -> Option<Self> {
        Some(Finding {
            rule: "example-failed".to_string(),
            title: case.title(),
            message: case.failure()?.to_string(),
            place: Place::of(&case.file, &case.span),
        })
    }
}

// ---- human

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";

fn paint<'a>(text: &'a str, style: &str, color: bool) -> Cow<'a, str> {
    if color {
        Cow::Owned(format!("{style}{text}\x1b[0m"))
    } else {
        Cow::Borrowed(text)
    }
}

/// `test result: ok. 12 passed; 0 failed`, as cargo ends a run.
fn tests_summary(cases: &[TestCase], color: bool) -> String {
    let failed = failed(cases);
    let result = if failed == 0 {
        paint("ok", GREEN, color)
    } else {
        paint("FAILED", RED, color)
    };
    format!(
        "test result: {result}. {} passed; {failed} failed",
        cases.len() - failed
    )
}

/// Like `cargo test`: a line per example, then each failure in full.
fn tests_human(cases: &[TestCase], color: bool) -> String {
    let mut out = format!("running {}\n", plural(cases.len(), "test"));
    for case in cases {
        let status = match case.failure() {
            None => paint("ok", GREEN, color),
            Some(_) => paint("FAILED", RED, color),
        };
        let _ = writeln!(out, "test {} ... {status}", case.title());
    }
    if cases.iter().any(|c| c.failure().is_some()) {
        out.push_str("\nfailures:\n");
        for case in cases {
            if let Some(message) = case.failure() {
                let p = Place::of(&case.file, &case.span);
                let _ = write!(
                    out,
                    "\n---- {} ----\n{}:{}:{}: {message}\n",
                    case.title(),
                    p.file,
                    p.line,
                    p.column
                );
            }
        }
    }
    let _ = writeln!(out, "\n{}", tests_summary(cases, color));
    out
}

// ---- json

// Structs rather than `json!`, so keys keep the documented order.

#[derive(Serialize)]
struct CheckJson<'a> {
    version: u32,
    files: Vec<String>,
    problems: usize,
    diagnostics: Vec<DiagnosticJson<'a>>,
}

#[derive(Serialize)]
struct DiagnosticJson<'a> {
    code: &'a str,
    severity: &'static str,
    message: &'a str,
    #[serde(flatten)]
    place: Place,
    label: Option<&'a str>,
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct TestsJson<'a> {
    version: u32,
    passed: usize,
    failed: usize,
    tests: Vec<TestJson<'a>>,
}

#[derive(Serialize)]
struct TestJson<'a> {
    suite: &'a str,
    name: &'a str,
    file: String,
    line: usize,
    column: usize,
    outcome: &'static str,
    message: Option<&'a str>,
}

fn check_json(report: &CheckReport) -> String {
    to_json(&CheckJson {
        version: 1,
        files: report.checked_files().iter().map(|f| f.display().to_string()).collect(),
        problems: report.diagnostics.len(),
        diagnostics: report
            .diagnostics
            .iter()
            .map(|d| DiagnosticJson {
                code: d.code,
                severity: "error",
                message: &d.message,
                place: Place::of(&d.file, &d.span),
                label: Some(d.label.as_str()).filter(|l| !l.is_empty()),
                help: d.help.as_deref(),
            })
            .collect(),
    })
}

fn tests_json(cases: &[TestCase]) -> String {
    let failed = failed(cases);
    to_json(&TestsJson {
        version: 1,
        passed: cases.len() - failed,
        failed,
        tests: cases
            .iter()
            .map(|c| {
                let Place { file, line, column, .. } = Place::of(&c.file, &c.span);
                TestJson {
                    suite: &c.suite,
                    name: &c.name,
                    file,
                    line,
                    column,
                    outcome: if c.failure().is_some() { "failed" } else { "passed" },
                    message: c.failure(),
                }
            })
            .collect(),
    })
}

/// Indented, ending with a newline. Our structs hold only strings and
/// numbers, so serde_json has nothing to fail on; were it ever to, the output
/// stays JSON.
fn to_json(value: &impl Serialize) -> String {
    let text =
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{:#}", json!({ "error": e.to_string() })));
    text + "\n"
}

// ---- junit

/// A `<testsuite>`; tests and failures are counted from its cases.
struct Suite {
    name: String,
    cases: Vec<Case>,
}

/// A `<testcase>`; its `classname` is the suite's name, which is how Jenkins
/// and GitLab group cases.
struct Case {
    name: String,
    file: String,
    line: Option<usize>,
    /// The failure's message attribute and its text.
    failure: Option<(String, String)>,
}

/// `cleanse check` as one suite: a test case per file, failed if the file has
/// problems, with their plain rendering as the failure's text.
fn check_junit(report: &CheckReport) -> String {
    let cases = report.checked_files().into_iter().map(|file| {
        let diags = report.diagnostics_in(file);
        let path = file.display().to_string();
        Case {
            name: path.clone(),
            file: path,
            line: None,
            failure: (!diags.is_empty()).then(|| {
                (
                    plural(diags.len(), "problem"),
                    diag::render(&diags, false).trim_end().to_string() + "\n",
                )
            }),
        }
    });
    junit(&[Suite {
        name: "cleanse check".into(),
        cases: cases.collect(),
    }])
}

/// `cleanse test` as a suite per rule or correction, in the order first run.
fn tests_junit(cases: &[TestCase]) -> String {
    let mut suites: Vec<Suite> = Vec::new();
    for c in cases {
        let p = Place::of(&c.file, &c.span);
        let case = Case {
            name: c.name.clone(),
            failure: c
                .failure()
                .map(|m| (m.to_string(), format!("{}:{}:{}: {m}\n", p.file, p.line, p.column))),
            file: p.file,
            line: Some(p.line),
        };
        match suites.iter_mut().find(|s| s.name == c.suite) {
            Some(suite) => suite.cases.push(case),
            None => suites.push(Suite {
                name: c.suite.clone(),
                cases: vec![case],
            }),
        }
    }
    junit(&suites)
}

/// The `<testsuites>` document, written by hand: its shape is fixed and small.
fn junit(suites: &[Suite]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let all = counts(suites.iter().flat_map(|s| &s.cases));
    let _ = writeln!(out, r#"<testsuites name="cleanse" {all}>"#);
    for suite in suites {
        let classname = xml_attr(&suite.name);
        let _ = writeln!(out, r#"  <testsuite name="{classname}" {}>"#, counts(&suite.cases));
        for c in &suite.cases {
            let (name, file) = (xml_attr(&c.name), xml_attr(&c.file));
            let _ = write!(
                out,
                r#"    <testcase name="{name}" classname="{classname}" file="{file}""#
            );
            if let Some(line) = c.line {
                let _ = write!(out, r#" line="{line}""#);
            }
            match &c.failure {
                None => out.push_str("/>\n"),
                Some((message, text)) => {
                    let (message, text) = (xml_attr(message), xml(text));
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{message}\">{text}</failure>\n    </testcase>"
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// The `tests`, `failures` and `errors` attributes.
fn counts<'a>(cases: impl IntoIterator<Item = &'a Case>) -> String {
    let (mut tests, mut failures) = (0, 0);
    for c in cases {
        tests += 1;
        failures += usize::from(c.failure.is_some());
    }
    format!(r#"tests="{tests}" failures="{failures}" errors="0""#)
}

/// Text content: quick-xml's escaping (which keeps `\r` as a reference), with
/// the characters XML 1.0 forbids replaced.
fn xml(s: &str) -> String {
    quick_xml::escape::escape(xml_chars(s)).into_owned()
}

/// An attribute value: parsers turn raw line breaks and tabs in attributes
/// into spaces, so they go as references.
fn xml_attr(s: &str) -> String {
    xml(s).replace('\n', "&#10;").replace('\t', "&#9;")
}

/// Replace the characters XML 1.0 does not allow (control characters other
/// than tab and line breaks, and U+FFFE/U+FFFF) with U+FFFD, so a stray byte
/// in a rule file cannot make the report unreadable.
fn xml_chars(s: &str) -> Cow<'_, str> {
    let allowed =
        |c: char| !matches!(c, '\0'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}');
    if s.chars().all(allowed) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().map(|c| if allowed(c) { c } else { '\u{FFFD}' }).collect())
    }
}

// ---- github

/// An `::error` workflow command per finding, then a plain summary line for
/// the log.
fn github(findings: impl Iterator<Item = Finding>, summary: &str) -> String {
    let mut out = String::new();
    for f in findings {
        let p = &f.place;
        let _ = writeln!(
            out,
            "::error file={},line={},col={},endLine={},endColumn={},title={}::{}",
            gh_property(&p.file),
            p.line,
            p.column,
            p.end_line,
            p.end_column,
            gh_property(&f.title),
            gh_data(&f.message)
        );
    }
    out.push_str(summary);
    out.push('\n');
    out
}

/// The message of a workflow command: it ends at the line break.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A property value: it also ends at `,` and the message at `::`.
fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

// ---- sarif

/// `$schema` and `version` first, as SARIF logs conventionally start (keys
/// inside `json!` objects come out sorted).
#[derive(Serialize)]
struct SarifLog {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Value; 1],
}

/// One SARIF run; a rule per distinct `ruleId` so viewers can group results.
fn sarif(findings: Vec<Finding>) -> String {
    let rules: BTreeSet<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let p = &f.place;
            json!({
                "ruleId": f.rule,
                "ruleIndex": rules.iter().position(|r| *r == f.rule),
                "level": "error",
                "message": { "text": sarif_text(f) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&p.file) },
                        "region": {
                            "startLine": p.line,
                            "startColumn": p.column,
                            "endLine": p.end_line,
                            "endColumn": p.end_column,
                        }
                    }
                }]
            })
        })
        .collect();
    let run = json!({
        "tool": {
            "driver": {
                "name": "cleanse",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/",
                "rules": rules.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>(),
            }
        },
        // Our columns count characters, not SARIF's default UTF-16 code units.
        "columnKind": "unicodeCodePoints",
        "results": results,
    });
    to_json(&SarifLog {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [run],
    })
}

/// SARIF has no title: when the rule id does not already say what failed
/// (`example-failed`), the message starts with the title.
fn sarif_text(f: &Finding) -> String {
    if f.title == f.rule {
        f.message.clone()
    } else {
        format!("{}: {}", f.title, f.message)
    }
}

/// A relative URI reference for a path: forward slashes, and anything a URI
/// cannot hold (spaces, `%`, non-ASCII) percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;
    use quick_xml::events::Event;

    /// Every `--format`, with its name for the snapshot.
    fn formats() -> impl Iterator<Item = (Format, String)> {
        Format::value_variants().iter().map(|f| {
            (
                *f,
                f.to_possible_value()
                    .map(|v| v.get_name().to_string())
                    .unwrap_or_default(),
            )
        })
    }

    fn at(file: &Arc<SourceFile>, needle: &str) -> Range<usize> {
        let start = file
            .text
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in {}", file.path.display()));
        start..start + needle.len()
    }

    /// Three files checked, three problems in two of them; the messages carry
    /// what each format must escape (`%`, `,`, `:`, `<`, `&`, quotes, a line
    /// break and a control character).
    fn problems() -> (Vec<PathBuf>, Vec<Diagnostic>) {
        let config = SourceFile::new(
            "cleanse.yaml",
            "inputs:\n  contacts: exports/contacts.csv\nas_of: 2026-13-01\n".into(),
        );
        let rules = SourceFile::new(
            "rules/annex a.yaml",
            "rules:\n  - id: referral-date\n    table: referrals\n    check: referal_date <= today\n".into(),
        );
        let diagnostics = vec![
            Diagnostic::new(
                "bad-date",
                &config,
                at(&config, "2026-13-01"),
                "`as_of` is not a date: month 13",
            )
            .label("expected yyyy-mm-dd"),
            Diagnostic::new(
                "unknown-column",
                &rules,
                at(&rules, "referal_date"),
                "no column `referal_date` in `referrals`",
            )
            .label("unknown column")
            .help("did you mean `referral_date`?"),
            Diagnostic::new(
                "not-a-condition",
                &rules,
                at(&rules, "<= today"),
                "50% of \"a < b & c\", then: more,\nand a bell \u{7}",
            ),
        ];
        let files = ["cleanse.yaml", "rules/annex a.yaml", "rules/clean.yaml"]
            .map(PathBuf::from)
            .to_vec();
        (files, diagnostics)
    }

    /// Two suites, as `cleanse test` runs them: a rule with a passing and a
    /// failing example, and a correction whose example passes.
    fn examples() -> Vec<TestCase> {
        let file = SourceFile::new(
            "rules/annex-a.yaml",
            "rules:\n  - id: unique-child-id\n    examples:\n      - passes: [C1, C2]\n      - fails: [C1, C1]\n\
             corrections:\n  - id: trim-names\n    examples:\n      - {before: ' Ann', after: Ann}\n"
                .into(),
        );
        let case = |suite: &str, name: &str, needle: &str, outcome| TestCase {
            suite: suite.into(),
            name: name.into(),
            file: Arc::clone(&file),
            span: at(&file, needle),
            outcome,
        };
        let failed = TestOutcome::Failed {
            message: "expected a finding on row 2, got none\nrow 2: child_id = C1".into(),
        };
        vec![
            case(
                "unique-child-id",
                "passes: row 1",
                "passes: [C1, C2]",
                TestOutcome::Passed,
            ),
            case("unique-child-id", "fails: row 2", "fails: [C1, C1]", failed),
            case("trim-names", "example 1", "{before", TestOutcome::Passed),
        ]
    }

    /// Parse the whole document with quick-xml, which checks that every tag
    /// closes; XML 1.0's forbidden characters are checked by hand.
    fn assert_well_formed_xml(xml: &str) {
        let mut reader = quick_xml::Reader::from_str(xml);
        loop {
            match reader.read_event() {
                Ok(Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("not well-formed at {}: {e}\n{xml}", reader.buffer_position()),
            }
        }
        assert!(
            xml.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r')),
            "{xml}"
        );
    }

    fn assert_valid(format: Format, out: &str) {
        match format {
            Format::Json | Format::Sarif => {
                let parsed: Result<Value, _> = serde_json::from_str(out);
                assert!(parsed.is_ok(), "{parsed:?}\n{out}");
            }
            Format::Junit => assert_well_formed_xml(out),
            Format::Human | Format::Github => {}
        }
    }

    #[test]
    fn check_with_problems() {
        let (files, diagnostics) = problems();
        let report = CheckReport {
            files: &files,
            diagnostics: &diagnostics,
        };
        for (format, name) in formats() {
            let out = check(&report, format, false);
            assert_valid(format, &out);
            insta::assert_snapshot!(format!("check_problems_{name}"), out);
        }
    }

    #[test]
    fn check_without_problems() {
        let files = [PathBuf::from("cleanse.yaml"), PathBuf::from("rules/annex-a.yaml")];
        let report = CheckReport {
            files: &files,
            diagnostics: &[],
        };
        for (format, name) in formats() {
            let out = check(&report, format, false);
            assert_valid(format, &out);
            insta::assert_snapshot!(format!("check_clean_{name}"), out);
        }
    }

    #[test]
    fn tests_with_a_pass_and_a_failure() {
        let cases = examples();
        for (format, name) in formats() {
            let out = tests(&cases, format, false);
            assert_valid(format, &out);
            insta::assert_snapshot!(format!("tests_{name}"), out);
        }
    }

    #[test]
    fn colour_only_when_asked() {
        let cases = examples();
        let plain = tests(&cases, Format::Human, false);
        let coloured = tests(&cases, Format::Human, true);
        assert!(!plain.contains('\x1b'));
        assert!(coloured.contains("\x1b[32mok\x1b[0m") && coloured.contains("\x1b[31mFAILED\x1b[0m"));
        for format in [Format::Json, Format::Junit, Format::Github, Format::Sarif] {
            assert_eq!(tests(&cases, format, true), tests(&cases, format, false));
        }
    }

    /// A file that could not be read has empty text: whatever the span, it is
    /// reported at 1:1, and no format panics.
    #[test]
    fn unreadable_file_is_at_line_one() {
        let file = SourceFile::new("rules/gone.yaml", String::new());
        let diagnostics = [Diagnostic::new(
            "unreadable-file",
            &file,
            10..40,
            "cannot read `rules/gone.yaml`",
        )];
        let report = CheckReport {
            files: &[],
            diagnostics: &diagnostics,
        };
        let p = Place::of(&file, &(10..40));
        assert_eq!((p.line, p.column, p.end_line, p.end_column), (1, 1, 1, 1));
        for (format, _) in formats() {
            assert_valid(format, &check(&report, format, false));
        }
        insta::assert_snapshot!(check(&report, Format::Github, false), @r"
        ::error file=rules/gone.yaml,line=1,col=1,endLine=1,endColumn=1,title=unreadable-file::cannot read `rules/gone.yaml`
        Checked 1 file: 1 problem in 1 file.
        ");
    }

    #[test]
    fn escaping() {
        assert_eq!(gh_data("50%\r\nok: a,b"), "50%25%0D%0Aok: a,b");
        assert_eq!(gh_property("C:\\a,b%"), "C%3A\\a%2Cb%25");
        assert_eq!(uri("rules\\annex a/é.yaml"), "rules/annex%20a/%C3%A9.yaml");
        assert_eq!(xml_chars("a\u{1b}b\tc\n"), "a\u{FFFD}b\tc\n");
        assert!(matches!(xml_chars("plain"), Cow::Borrowed(_)));
        assert_eq!(xml_attr("a\n<b>\t\"c\""), "a&#10;&lt;b&gt;&#9;&quot;c&quot;");

        // A control character in a failure (a stray byte in a rule file) must not break the XML.
        let mut cases = examples();
        cases[1].outcome = TestOutcome::Failed {
            message: "bad \u{1b}[31m byte & more".into(),
        };
        let out = tests(&cases, Format::Junit, false);
        assert_well_formed_xml(&out);
        assert!(out.contains("message=\"bad \u{FFFD}[31m byte &amp; more\""), "{out}");
    }
}
