//! Test helpers: a temporary working directory, a command runner for the real
//! binary, and readers for the published outputs.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (for the demo configuration, rules and fixtures).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The date every test uses for `today`, so nothing depends on the wall clock.
pub const AS_OF: &str = "2026-03-31";

/// A fresh temporary directory that commands run in, deleted when dropped.
pub struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::Builder::new()
                .prefix("cleanse-it-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path().join(rel)
    }

    /// Write `contents` to `rel`, creating parent directories.
    pub fn write(&self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) {
        let p = self.join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).expect("create parent");
        }
        fs::write(&p, contents).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
    }

    pub fn read(&self, rel: impl AsRef<Path>) -> String {
        let p = self.join(rel);
        fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    }

    pub fn read_bytes(&self, rel: impl AsRef<Path>) -> Vec<u8> {
        let p = self.join(rel);
        fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    }

    pub fn exists(&self, rel: impl AsRef<Path>) -> bool {
        self.join(rel).exists()
    }

    /// Copy a file or directory from the repository to the same relative path here.
    pub fn copy_from_repo(&self, rel: &str) {
        copy(&repo().join(rel), &self.join(rel));
    }

    /// The demo: `cleanse.yaml`, `rules/` and `fixtures/demo/`, laid out as in the repository.
    pub fn with_demo(self) -> Dir {
        self.copy_from_repo("cleanse.yaml");
        self.copy_from_repo("rules");
        self.copy_from_repo("fixtures/demo");
        self
    }

    /// `cleanse <args>` in this directory.
    pub fn cleanse(&self) -> Cmd {
        Cmd::new(self.path())
    }

    /// `cleanse --quiet run --out out --as-of AS_OF <args>` (config: `./cleanse.yaml`).
    pub fn run(&self, args: &[&str]) -> Output {
        self.cleanse()
            .args(["--quiet", "run", "--out", "out", "--as-of", AS_OF])
            .args(args)
            .output()
    }

    /// Names of the entries of a directory, sorted.
    pub fn list(&self, rel: impl AsRef<Path>) -> Vec<String> {
        let p = self.join(rel);
        let mut names: Vec<String> = fs::read_dir(&p)
            .unwrap_or_else(|e| panic!("list {}: {e}", p.display()))
            .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Staging directories left under `out` (there must never be any after a run ends).
    pub fn staging_dirs(&self, out: &str) -> Vec<String> {
        if !self.exists(out) {
            return Vec::new();
        }
        self.list(out)
            .into_iter()
            .filter(|n| n.starts_with(".staging-"))
            .collect()
    }

    /// The published outputs under `out/latest`.
    pub fn latest(&self) -> Outputs {
        Outputs::read(&self.join("out/latest"))
    }
}

fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        fs::create_dir_all(to).expect("create dir");
        for entry in fs::read_dir(from).expect("read dir") {
            let entry = entry.expect("dir entry");
            copy(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).expect("create parent");
        }
        fs::copy(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    }
}

/// The real binary, with a clean environment: no colour, no log settings
/// inherited from the developer's shell.
pub struct Cmd {
    cmd: Command,
}

impl Cmd {
    pub fn new(dir: &Path) -> Cmd {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cleanse"));
        cmd.current_dir(dir)
            .env("NO_COLOR", "1")
            .env_remove("CLEANSE_LOG")
            .env_remove("RUST_LOG");
        Cmd { cmd }
    }

    pub fn arg(mut self, a: impl AsRef<std::ffi::OsStr>) -> Cmd {
        self.cmd.arg(a);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    /// Limit every file the command writes to `bytes` (`RLIMIT_FSIZE`), as a full disk or a
    /// quota would: a write past it fails with "File too large" (the signal that would otherwise
    /// kill the process is ignored).
    pub fn file_size_limit(mut self, bytes: u64) -> Cmd {
        use std::os::unix::process::CommandExt;
        let limit = libc::rlimit {
            rlim_cur: bytes as libc::rlim_t,
            rlim_max: bytes as libc::rlim_t,
        };
        // SAFETY: between fork and exec the closure calls only `setrlimit` and `signal`, both
        // async-signal-safe, and allocates nothing.
        unsafe {
            self.cmd.pre_exec(move || {
                if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                Ok(())
            });
        }
        self
    }

    pub fn output(mut self) -> Output {
        let out = self.cmd.output().expect("run cleanse");
        Output {
            code: out.status.code().expect("cleanse exited by a signal"),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        }
    }
}

#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Panics, showing both streams, unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Output {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A CSV file as strings: header and records (flexible: records may differ in length).
pub struct Csv {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Csv {
    pub fn parse(bytes: &[u8]) -> Csv {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut records = r.records().map(|r| {
            r.expect("outputs are UTF-8 CSV")
                .iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        });
        let header = records.next().expect("a header row");
        Csv {
            header,
            rows: records.collect(),
        }
    }

    pub fn read(path: &Path) -> Csv {
        Csv::parse(&fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display())))
    }

    /// The value of column `name` in `row`.
    pub fn get<'a>(&self, row: &'a [String], name: &str) -> &'a str {
        let i = self
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header));
        &row[i]
    }
}

/// One line of `exceptions.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Finding {
    pub table: String,
    pub source_file: String,
    pub line: u64,
    /// For a workbook: the cell (or row) the finding is on, as Excel's Name Box takes it.
    pub cell: String,
    pub record_key: String,
    pub rule_id: String,
    pub severity: String,
    /// `new` (first found by this run), `open` (found by the previous run too), `not checked`,
    /// or `corrected` (the export's value broke the rule; the corrected one does not).
    pub status: String,
    /// For `new` and `open`: the as-of date of the run that first found it.
    pub first_seen: String,
    pub columns: String,
    pub value: String,
    pub message: String,
}

pub const EXCEPTIONS_HEADER: &str =
    "table,source_file,line,cell,record_key,rule_id,severity,status,first_seen,columns,value,message";

/// One line of `changes.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRow {
    pub table: String,
    pub source_file: String,
    pub line: u64,
    pub record_key: String,
    pub column: String,
    pub old_value: String,
    pub new_value: String,
    pub correction_id: String,
    pub rule_id: String,
    pub applied: String,
    pub cell: String,
}

pub const CHANGES_HEADER: &str =
    "table,source_file,line,record_key,column,old_value,new_value,correction_id,rule_id,applied,cell";

/// What a run published.
pub struct Outputs {
    pub dir: PathBuf,
    pub findings: Vec<Finding>,
    pub changes: Vec<ChangeRow>,
    pub run_json: serde_json::Value,
}

impl Outputs {
    pub fn read(dir: &Path) -> Outputs {
        let ex = Csv::read(&dir.join("exceptions.csv"));
        assert_eq!(ex.header.join(","), EXCEPTIONS_HEADER);
        let findings = ex
            .rows
            .iter()
            .map(|r| {
                assert_eq!(r.len(), 12, "exceptions row {r:?}");
                Finding {
                    table: r[0].clone(),
                    source_file: r[1].clone(),
                    // Blank for a finding about the whole run (read as 0).
                    line: if r[2].is_empty() {
                        0
                    } else {
                        r[2].parse().expect("line is a number")
                    },
                    cell: r[3].clone(),
                    record_key: r[4].clone(),
                    rule_id: r[5].clone(),
                    severity: r[6].clone(),
                    status: r[7].clone(),
                    first_seen: r[8].clone(),
                    columns: r[9].clone(),
                    value: r[10].clone(),
                    message: r[11].clone(),
                }
            })
            .collect();
        let ch = Csv::read(&dir.join("changes.csv"));
        assert_eq!(ch.header.join(","), CHANGES_HEADER);
        let changes = ch
            .rows
            .iter()
            .map(|r| {
                assert_eq!(r.len(), 11, "changes row {r:?}");
                ChangeRow {
                    table: r[0].clone(),
                    source_file: r[1].clone(),
                    line: r[2].parse().expect("line is a number"),
                    record_key: r[3].clone(),
                    column: r[4].clone(),
                    old_value: r[5].clone(),
                    new_value: r[6].clone(),
                    correction_id: r[7].clone(),
                    rule_id: r[8].clone(),
                    applied: r[9].clone(),
                    cell: r[10].clone(),
                }
            })
            .collect();
        let run_json = serde_json::from_str(&fs::read_to_string(dir.join("run.json")).expect("run.json"))
            .expect("run.json is JSON");
        Outputs {
            dir: dir.to_path_buf(),
            findings,
            changes,
            run_json,
        }
    }

    pub fn corrected(&self, table: &str) -> Csv {
        Csv::read(&self.dir.join(format!("corrected/{table}.csv")))
    }

    pub fn rejected(&self, table: &str) -> Csv {
        Csv::read(&self.dir.join(format!("rejected/{table}.csv")))
    }

    pub fn summary(&self) -> String {
        fs::read_to_string(self.dir.join("summary.md")).expect("summary.md")
    }

    /// Findings on one line of one table.
    pub fn on_line(&self, table: &str, line: u64) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|f| f.table == table && f.line == line)
            .collect()
    }

    /// Rule ids of the findings on one line of one table.
    pub fn rules_on_line(&self, table: &str, line: u64) -> HashSet<&str> {
        self.on_line(table, line).iter().map(|f| f.rule_id.as_str()).collect()
    }

    /// The finding of `rule` on `line`, which must be the only one.
    #[track_caller]
    pub fn finding(&self, table: &str, line: u64, rule: &str) -> &Finding {
        let found: Vec<&Finding> = self
            .on_line(table, line)
            .into_iter()
            .filter(|f| f.rule_id == rule)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "want one {rule} finding on {table} line {line}; all findings: {:#?}",
            self.findings
        );
        found[0]
    }

    /// The run.json entry of a table in `tables` (or `inputs`).
    pub fn table_report(&self, section: &str, table: &str) -> &serde_json::Value {
        self.run_json[section]
            .as_array()
            .unwrap_or_else(|| panic!("run.json has no {section} array"))
            .iter()
            .find(|t| t["table"] == table)
            .unwrap_or_else(|| panic!("run.json {section} has no {table}"))
    }
}
