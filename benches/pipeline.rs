//! End-to-end benchmark: generate N contacts (Annex A List 1 shape, with the
//! demo's planted problems at the same rates) and the children they belong to
//! (about N/3), run the real `cleanse` binary over both with the shipped
//! pack's rules for those tables (including CON-008, a reference rule from
//! every contact to the children table), and report rows per second,
//! CPU-seconds and peak memory of the whole run: ingest, checks, cross-table
//! checks and every output.
//!
//! ```text
//! cargo bench --bench pipeline                  # 1,000,000 contacts
//! cargo bench --bench pipeline -- --rows 10000000
//! ```
//!
//! A second run checks as many child protection plans (List 7 shape) for
//! overlapping periods and their order, the whole-table rules that use
//! window functions.
//!
//! A third and fourth run are issue 15's workload: a 15-column person table with ten typical
//! checks (`benches/persons.yaml`), then with a `reference` and a `periods` rule over the
//! whole table as well (`benches/persons-cross.yaml`). `--persons` runs only those two.
//!
//! A fifth is issue 16's: the SSDA903 2025/26 pack over a generated return of 50,000 children
//! with last year's (`cleanse generate --ssda903 50000 --last-year`), and the DfE's own
//! validator on the same files, as its tool runs it, when its Python environment is there
//! (`CLEANSE_DFE_PYTHON=path/to/venv/bin/python`, or `.venv-903/` in the repository: see
//! `scripts/ssda903-oracle.py`). `--ssda903` runs only that one; `--children N` sets its size.
//!
//! ```text
//! cargo bench --bench pipeline -- --ssda903
//! ```
//!
//! A seventh is issue 17's: the Children in Need census 2025/26 pack over a generated census of
//! 50,000 children (`cleanse generate --cin 50000`, one XML file), and the DfE's own validator on
//! the same file, as its tool runs it, when its Python environment is there
//! (`CLEANSE_DFE_CIN_PYTHON=path/to/venv/bin/python`, or `.venv-cin/` in the repository: see
//! `scripts/cin-oracle.py`). `--cin` runs only that one; `--children N` sets its size.
//!
//! ```text
//! cargo bench --bench pipeline -- --cin
//! ```
//!
//! A sixth is issue 18's: the person table of the third run as a workbook (one sheet of the
//! same rows, dates as date cells and whole numbers as numbers, as Excel keeps them) beside
//! the same table as CSV, both checked with the ten checks, so reading a workbook can be
//! compared with reading its CSV equivalent end to end. `--workbook` runs only that one.
//!
//! ```text
//! cargo bench --bench pipeline -- --workbook
//! ```
//!
//! CPU time and peak memory come from the kernel's accounting of each child
//! process (wait4), so they cover every thread the run used.
//!
//! `--wide` runs a third, hostile case instead: the same contacts with an extra
//! `Case Notes` column holding a 1 MB value on every 1,000th row (10 GB of
//! notes at 10,000,000 rows), to show memory does not grow with the size of
//! a value: rows stream through in batches, and only one batch's values are
//! held at a time.
//!
//! ```text
//! cargo bench --bench pipeline -- --rows 10000000 --wide
//! ```

mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use common::{measure, measure_runs};

fn main() {
    let mut rows: usize = 1_000_000;
    let mut wide = false;
    let mut persons_only = false;
    let mut ssda903_only = false;
    let mut workbook_only = false;
    let mut cin_only = false;
    let mut children: usize = 50_000;
    let mut runs: usize = 1;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--wide" => wide = true,
            "--persons" => persons_only = true,
            "--ssda903" => ssda903_only = true,
            "--workbook" => workbook_only = true,
            "--cin" => cin_only = true,
            "--children" => {
                children = args
                    .next()
                    .and_then(|n| n.replace('_', "").parse().ok())
                    .expect("--children N")
            }
            "--rows" => {
                rows = args
                    .next()
                    .and_then(|n| n.replace('_', "").parse().ok())
                    .expect("--rows N")
            }
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            "--bench" => {}
            other => eprintln!("ignoring argument {other}"),
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cache = root.join("target").join("bench-data");
    if persons_only {
        return run_persons(root, &cache, rows, runs);
    }
    if ssda903_only {
        return run_ssda903(root, &cache, children, runs);
    }
    if workbook_only {
        return run_workbook(root, &cache, rows, runs);
    }
    if cin_only {
        return run_cin(root, &cache, children, runs);
    }
    let data = cache.join(format!("children-contacts-{rows}-{}", generator_version()));
    if !data.join("contacts.csv").is_file() || !data.join("children.csv").is_file() {
        let t = Instant::now();
        let opts = cleanse_generate::GenOptions {
            seed: 7,
            // About three contacts per child.
            children: rows.div_ceil(3),
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 3, 31).expect("date"),
            tables: vec!["children".to_string(), "contacts".to_string()],
            plant: true,
        };
        cleanse_generate::generate(&opts, &data).expect("generate bench data");
        eprintln!("generated {} in {:.1}s", data.display(), t.elapsed().as_secs_f64());
    }
    let bytes: u64 = ["children.csv", "contacts.csv"]
        .iter()
        .map(|f| std::fs::metadata(data.join(f)).map_or(0, |m| m.len()))
        .sum();
    if wide {
        return run_wide(root, &data);
    }
    let config = data.join("cleanse.yaml");
    std::fs::write(
        &config,
        format!(
            "name: benchmark\nas_of: 2026-03-31\nrules: [{}]\ninputs:\n  - {{ table: children, file: children.csv }}\n  - {{ table: contacts, file: contacts.csv }}\n",
            root.join("rules/annex-a.yaml").display()
        ),
    )
    .expect("write config");
    let out: PathBuf = data.join("out");
    let run = measure_runs(&config, &out, runs);
    let report = &run.report;
    let tables = report["tables"].as_array().expect("tables");
    let rows_in: u64 = tables.iter().map(|t| t["rows_in"].as_u64().expect("rows_in")).sum();
    let rules = report["rules"].as_array().map_or(0, |r| {
        r.iter()
            .filter(|r| r["table"] == "contacts" || r["table"] == "children")
            .count()
    });
    let fixes = report["corrections"].as_array().map_or(0, |r| {
        r.iter()
            .filter(|r| r["table"] == "contacts" || r["table"] == "children")
            .count()
    });
    let changed: u64 = tables.iter().map(|t| t["cells_changed"].as_u64().unwrap_or(0)).sum();
    let proposed: u64 = tables.iter().map(|t| t["changes_proposed"].as_u64().unwrap_or(0)).sum();
    println!("cleanse end-to-end benchmark: children and contacts, {rules} rules, {fixes} corrections");
    for t in tables {
        println!(
            "  rows ({})  {}{}",
            t["table"].as_str().unwrap_or(""),
            " ".repeat(14usize.saturating_sub(t["table"].as_str().unwrap_or("").len())),
            t["rows_in"]
        );
    }
    println!("  rows (all)           {rows_in}");
    println!("  input                {:.1} MB", bytes as f64 / 1e6);
    run.print(rows_in);
    run.save(&format!("pipeline-children-contacts-{rows}"), rows_in, bytes);
    println!(
        "  one pass over the exports the whole-table stages read (decode, correct, project, hold): {} ms wall",
        report["timings_ms"]["load_ms"]
    );
    println!("  cross-table stage    {} ms wall", report["timings_ms"]["relate_ms"]);
    println!("  cells corrected      {changed} ({proposed} more proposed for review)");

    // Periods and sequences: child protection plans, one to three per child,
    // checked for overlaps (CPP-009) and order (CPP-010) over the same number of rows.
    let plans = cache.join(format!("plans-{rows}-{}", generator_version()));
    if !plans.join("cp_plans.csv").is_file() {
        write_plans(&plans, rows).expect("write plans");
    }
    let config = plans.join("cleanse.yaml");
    std::fs::write(
        &config,
        format!(
            "name: benchmark\nas_of: 2026-03-31\nrules: [{}]\ninputs:\n  - {{ table: cp_plans, file: cp_plans.csv }}\n",
            root.join("rules/annex-a.yaml").display()
        ),
    )
    .expect("write config");
    let run = measure_runs(&config, &plans.join("out"), runs);
    let rows_in = run.report["tables"][0]["rows_in"].as_u64().expect("rows_in");
    let bytes = std::fs::metadata(plans.join("cp_plans.csv")).map_or(0, |m| m.len());
    let found = |id: &str| {
        run.report["rules"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["id"] == id))
            .map_or(0, |r| r["findings"].as_u64().unwrap_or(0))
    };
    println!("\ncleanse end-to-end benchmark: child protection plans (periods and sequences)");
    println!("  rows (cp_plans)      {rows_in}");
    println!("  input                {:.1} MB", bytes as f64 / 1e6);
    run.print(rows_in);
    run.save(&format!("pipeline-cp-plans-{rows}"), rows_in, bytes);
    println!(
        "  whole-table stage    {} ms wall",
        run.report["timings_ms"]["relate_ms"]
    );
    println!("  overlaps found       {} (CPP-009)", found("CPP-009"));
    run_persons(root, &cache, rows, runs);
    run_ssda903(root, &cache, children, runs);
    run_workbook(root, &cache, rows, runs);
    run_cin(root, &cache, children, runs);
    println!(
        "\n  cores                {}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
}

/// Issue 15's workload: one 15-column person table of `rows` rows and ten typical checks
/// (`benches/persons.yaml`), then the same with a `reference` rule and a `periods` rule over
/// the whole table (`benches/persons-cross.yaml`).
fn run_persons(root: &Path, cache: &Path, rows: usize, runs: usize) {
    let dir = cache.join(format!("persons-{rows}-{}", generator_version()));
    if !dir.join("persons.csv").is_file() {
        let t = Instant::now();
        write_persons(&dir, rows).expect("write persons");
        eprintln!("wrote {} in {:.1}s", dir.display(), t.elapsed().as_secs_f64());
    }
    let bytes = std::fs::metadata(dir.join("persons.csv")).map_or(0, |m| m.len());
    let packs = root.join("benches");
    for (name, files, what) in [
        ("persons", vec!["persons.yaml"], "ten checks"),
        (
            "persons-cross",
            vec!["persons.yaml", "persons-cross.yaml"],
            "ten checks, a reference rule and a periods rule over the whole table",
        ),
    ] {
        let config = dir.join(format!("{name}.yaml"));
        let rules: Vec<String> = files.iter().map(|f| packs.join(f).display().to_string()).collect();
        std::fs::write(
            &config,
            format!(
                "name: benchmark\nas_of: 2026-03-31\nrules: [{}]\ninputs:\n  - {{ table: persons, file: persons.csv }}\n",
                rules.join(", ")
            ),
        )
        .expect("write config");
        let run = measure_runs(&config, &dir.join(format!("out-{name}")), runs);
        let rows_in = run.report["tables"][0]["rows_in"].as_u64().expect("rows_in");
        let rejected = run.report["tables"][0]["rejected"].as_u64().unwrap_or(0);
        println!("\ncleanse end-to-end benchmark: a 15-column person table, {what}");
        println!("  rows (persons)       {rows_in}");
        println!("  rows rejected        {rejected}");
        println!("  input                {:.1} MB", bytes as f64 / 1e6);
        run.print(rows_in);
        run.save(&format!("pipeline-{name}-{rows}"), rows_in, bytes);
        let _ = std::fs::remove_dir_all(dir.join(format!("out-{name}")));
    }
}

/// Issue 18's workload: the person table as one workbook sheet beside its CSV, each checked
/// with the ten checks of `benches/persons.yaml`.
fn run_workbook(root: &Path, cache: &Path, rows: usize, runs: usize) {
    let dir = cache.join(format!("persons-{rows}-{}", generator_version()));
    if !dir.join("persons.csv").is_file() {
        write_persons(&dir, rows).expect("write persons");
    }
    if !dir.join("persons.xlsx").is_file() {
        let t = Instant::now();
        write_workbook(&dir.join("persons.csv"), &dir.join("persons.xlsx")).expect("write the workbook");
        eprintln!(
            "wrote {} in {:.1}s",
            dir.join("persons.xlsx").display(),
            t.elapsed().as_secs_f64()
        );
    }
    let pack = root.join("benches/persons.yaml");
    let mut cpu = Vec::new();
    for file in ["persons.csv", "persons.xlsx"] {
        let config = dir.join(format!("{file}.yaml"));
        std::fs::write(
            &config,
            format!(
                "name: benchmark\nas_of: 2026-03-31\nrules: [{}]\ninputs:\n  - {{ table: persons, file: {file} }}\n",
                pack.display()
            ),
        )
        .expect("write config");
        let out = dir.join(format!("out-{file}"));
        let run = measure_runs(&config, &out, runs);
        let rows_in = run.report["tables"][0]["rows_in"].as_u64().expect("rows_in");
        let bytes = std::fs::metadata(dir.join(file)).map_or(0, |m| m.len());
        println!("\ncleanse end-to-end benchmark: the 15-column person table from {file}, ten checks");
        println!("  rows (persons)       {rows_in}");
        println!("  input                {:.1} MB", bytes as f64 / 1e6);
        run.print(rows_in);
        run.save(&format!("pipeline-{}-{rows}", file.replace('.', "-")), rows_in, bytes);
        cpu.push((run.wall, run.cpu));
        let _ = std::fs::remove_dir_all(out);
    }
    if let [(csv_wall, csv_cpu), (book_wall, book_cpu)] = cpu[..] {
        println!(
            "\n  the workbook over its CSV: {:.2}x the wall time, {:.2}x the CPU time",
            book_wall / csv_wall.max(1e-9),
            book_cpu / csv_cpu.max(1e-9)
        );
    }
}

/// The CSV at `csv` as a one-sheet workbook, as Excel keeps such a table: dates as date cells,
/// whole numbers as numbers, the rest as text.
fn write_workbook(csv: &Path, xlsx: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    book.set_tempdir(xlsx.parent().expect("a folder"))?;
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name("Persons")?;
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_path(csv)?;
    for (r, record) in reader.records().enumerate() {
        let record = record?;
        for (c, v) in record.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            let day = (r > 0)
                .then(|| chrono::NaiveDate::parse_from_str(v, "%d/%m/%Y").ok())
                .flatten();
            if let Some(d) = day {
                use chrono::Datelike;
                let at = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
                sheet.write_datetime_with_format(r, c, &at, &date)?;
            } else if let (true, Ok(n)) = (r > 0, v.parse::<i64>()) {
                sheet.write_number(r, c, n as f64)?;
            } else if !v.is_empty() {
                sheet.write_string(r, c, v)?;
            }
        }
    }
    book.save(xlsx)?;
    Ok(())
}

/// Issue 16's workload: the SSDA903 2025/26 pack over a generated return of `children`
/// children and last year's, then the DfE's validator over the same files when its Python is
/// there.
fn run_ssda903(root: &Path, cache: &Path, children: usize, runs: usize) {
    let dir = cache.join(format!("ssda903-{children}-{}", generator_version()));
    let pack = root.join("rules/ssda903/2025-26.yaml");
    if !dir.join("cleanse.yaml").is_file() {
        let t = Instant::now();
        let opts = cleanse_generate::ssda903::Ssda903Options {
            seed: 42,
            children,
            year: 2025,
            plant: true,
            last_year: true,
        };
        cleanse_generate::ssda903::generate_ssda903(&opts, &pack, &dir).expect("generate the return");
        eprintln!("generated {} in {:.1}s", dir.display(), t.elapsed().as_secs_f64());
    }
    let run = measure_runs(&dir.join("cleanse.yaml"), &dir.join("out"), runs);
    let tables = run.report["tables"].as_array().expect("tables");
    let rows_in: u64 = tables.iter().map(|t| t["rows_in"].as_u64().unwrap_or(0)).sum();
    let this_year: u64 = tables
        .iter()
        .filter(|t| !t["table"].as_str().unwrap_or("").ends_with("_last"))
        .map(|t| t["rows_in"].as_u64().unwrap_or(0))
        .sum();
    // The files the configuration gives (each read once, so what was read is their size).
    let inputs = run.report["inputs"].as_array().cloned().unwrap_or_default();
    let bytes: u64 = inputs.iter().map(|i| i["bytes_read"].as_u64().unwrap_or(0)).sum();
    let rules = run.report["rules"].as_array().map_or(0, Vec::len);
    let errors: u64 = tables.iter().map(|t| t["errors"].as_u64().unwrap_or(0)).sum();
    println!("\ncleanse end-to-end benchmark: the SSDA903 return, 2025/26 pack ({rules} rules)");
    println!("  children             {children}");
    println!("  rows (this year)     {this_year}");
    println!("  rows (all, with last year's) {rows_in}");
    println!(
        "  input                {:.1} MB in {} files",
        bytes as f64 / 1e6,
        inputs.len()
    );
    println!("  errors found         {errors}");
    run.print(rows_in);
    run.save(&format!("pipeline-ssda903-{children}"), rows_in, bytes);
    println!(
        "  rules over whole tables {} ms wall",
        run.report["timings_ms"]["relate_ms"]
    );
    // The DfE's validator, as its tool runs it, on the same files.
    let dfe = Dfe {
        env: "CLEANSE_DFE_PYTHON",
        venv: ".venv-903",
        package: "csc-validator-be-903",
        script: "scripts/ssda903-oracle.py",
    };
    dfe.measure(root, &dir, rows_in, run.cpu);
}

/// One of the DfE's validators, run as its tool runs it (the oracle script's `--full-run`) on a
/// return's folder, when its Python environment is there.
struct Dfe {
    /// The variable naming its Python, else `venv` in the repository.
    env: &'static str,
    venv: &'static str,
    package: &'static str,
    script: &'static str,
}

impl Dfe {
    fn measure(&self, root: &Path, dir: &Path, rows_in: u64, cleanse_cpu: f64) {
        let python = std::env::var_os(self.env)
            .map(PathBuf::from)
            .or_else(|| Some(root.join(self.venv).join("bin/python")).filter(|p| p.is_file()));
        let Some(python) = python else {
            println!(
                "  the DfE's validator  not measured: set {} to a Python with {} ({} says how)",
                self.env, self.package, self.script
            );
            return;
        };
        let mut dfe = std::process::Command::new(&python);
        dfe.arg(root.join(self.script))
            .arg(dir)
            .arg("--full-run")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        match common::usage(dfe) {
            Ok((wall, cpu, peak_kib)) => {
                println!(
                    "\nthe DfE's validator ({}, its full run) on the same data",
                    self.package
                );
                println!("  wall time            {wall:.2} s");
                println!("  CPU time             {cpu:.2} s (user + system, all threads)");
                println!("  rows per CPU-second  {:.0}", rows_in as f64 / cpu.max(1e-9));
                println!("  peak memory (RSS)    {:.0} MB", peak_kib as f64 / 1024.0);
                println!(
                    "  Cleanse's CPU time over the DfE's  {:.2}",
                    cleanse_cpu / cpu.max(1e-9)
                );
            }
            Err(status) => println!(
                "  the DfE's validator  failed (status {status}): run {} by hand to see why",
                self.script
            ),
        }
    }
}

/// Issue 17's workload: the CIN 2025/26 pack over a census of `children` children in need (one
/// XML file), and the DfE's validator on the same file when its environment is there.
fn run_cin(root: &Path, cache: &Path, children: usize, runs: usize) {
    let dir = cache.join(format!("cin-{children}-{}", generator_version()));
    let pack = root.join("rules/cin/2025-26.yaml");
    if !dir.join("cleanse.yaml").is_file() {
        let t = Instant::now();
        let opts = cleanse_generate::cin::CinOptions {
            seed: 42,
            children,
            year: 2025,
            plant: true,
        };
        cleanse_generate::cin::generate_cin(&opts, &pack, &dir).expect("generate the census");
        eprintln!("generated {} in {:.1}s", dir.display(), t.elapsed().as_secs_f64());
    }
    let run = measure_runs(&dir.join("cleanse.yaml"), &dir.join("out"), runs);
    let tables = run.report["tables"].as_array().expect("tables");
    let rows_in: u64 = tables.iter().map(|t| t["rows_in"].as_u64().unwrap_or(0)).sum();
    let bytes = std::fs::metadata(dir.join(cleanse_generate::cin::CENSUS_FILE)).map_or(0, |m| m.len());
    let rules = run.report["rules"].as_array().map_or(0, Vec::len);
    let errors: u64 = tables.iter().map(|t| t["errors"].as_u64().unwrap_or(0)).sum();
    let warnings: u64 = tables.iter().map(|t| t["warnings"].as_u64().unwrap_or(0)).sum();
    println!("\ncleanse end-to-end benchmark: the CIN census, 2025/26 pack ({rules} rules)");
    println!("  children             {children}");
    println!("  rows (all tables)    {rows_in}");
    println!("  input                {:.1} MB of XML", bytes as f64 / 1e6);
    println!("  found                {errors} errors, {warnings} queries");
    run.print(rows_in);
    run.save(&format!("pipeline-cin-{children}"), rows_in, bytes);
    println!(
        "  rules over whole tables {} ms wall",
        run.report["timings_ms"]["relate_ms"]
    );
    // The DfE's validator, as its tool runs it, on the same file.
    let dfe = Dfe {
        env: "CLEANSE_DFE_CIN_PYTHON",
        venv: ".venv-cin",
        package: "csc-validator-be-cin",
        script: "scripts/cin-oracle.py",
    };
    dfe.measure(root, &dir, rows_in, run.cpu);
}

/// `rows` people in 15 columns, in families of one to four whose periods follow one another,
/// with problems planted at rates like a real export's: blanks, a repeated id, malformed
/// postcodes, codes not on the list, ISO dates where dd/mm/yyyy is required, an end before its
/// start, a birth in the future, visits out of range or not a number, an unknown linked
/// person, and one family in a hundred whose periods overlap.
fn write_persons(dir: &Path, rows: usize) -> std::io::Result<()> {
    use std::io::Write;
    const FIRST: [&str; 24] = [
        "Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Arthur", "Ivy", "Leo", "Freya", "Oscar", "Lily",
        "Harry", "Grace", "Jack", "Rosie", "Charlie", "Evie", "Theo", "Sophia", "Alfie", "Poppy", "Muhammad",
    ];
    const SURNAME: [&str; 20] = [
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson", "Wright",
        "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Khan", "Clarke",
    ];
    const ETHNICITY: [&str; 8] = [
        "a) WBRI", "a) WBRI", "a) WBRI", "f) MWBC", "k) APKN", "o) BAFR", "d) WOTH", "q) CHNE",
    ];
    std::fs::create_dir_all(dir)?;
    let partial = dir.join("persons.csv.partial");
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&partial)?);
    writeln!(
        w,
        "Person ID,Family ID,First Name,Surname,Date of Birth,Gender,Ethnicity,Postcode,NHS Number,\
Start Date,End Date,Allocated Team,Allocated Worker,Visits in Last Year,Linked Person ID"
    )?;
    let day = |d: u64| {
        let date = chrono::NaiveDate::from_ymd_opt(2005, 1, 1).expect("date") + chrono::Days::new(d);
        date.format("%d/%m/%Y").to_string()
    };
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // Planted problems, per 10,000 rows.
    let odds = |r: u64, per_10k: u64| r % 10_000 < per_10k;
    let (mut written, mut family) = (0usize, 0u64);
    while written < rows {
        family += 1;
        let members = 1 + (next() % 4) as usize;
        let overlap = next() % 100 == 0 && members > 1;
        let mut start = 5_000 + next() % 1_500;
        for j in 0..members.min(rows - written) {
            let n = written as u64 + 1;
            let id = if n > 1 && odds(next(), 5) { n - 1 } else { n };
            let first = FIRST[(next() % FIRST.len() as u64) as usize];
            let surname = SURNAME[(family % SURNAME.len() as u64) as usize];
            let dob = match next() % 10_000 {
                0..10 => String::new(),
                10..15 => "14/02/2027".to_string(),
                _ => day(next() % 7_000),
            };
            let gender = match next() % 10_000 {
                0..20 => "Male",
                20..70 => "c) Not stated/recorded",
                r if r % 2 == 0 => "a) Male",
                _ => "b) Female",
            };
            let ethnicity = if odds(next(), 20) {
                "White British"
            } else {
                ETHNICITY[(next() % ETHNICITY.len() as u64) as usize]
            };
            let postcode = if odds(next(), 50) {
                format!("NF{}", family % 9 + 1)
            } else {
                let letters = next();
                format!(
                    "NF{} {}{}{}",
                    family % 9 + 1,
                    letters % 10,
                    (b'A' + (letters / 10 % 26) as u8) as char,
                    (b'A' + (letters / 260 % 26) as u8) as char
                )
            };
            let nhs = format!("999 {:03} {:04}", n / 10_000 % 1_000, n % 10_000);
            let length = 60 + next() % 400;
            let start_text = if odds(next(), 10) {
                let d = chrono::NaiveDate::from_ymd_opt(2005, 1, 1).expect("date") + chrono::Days::new(start);
                d.format("%Y-%m-%d").to_string()
            } else {
                day(start)
            };
            let last = j + 1 == members;
            let end = if last && next() % 2 == 0 {
                String::new()
            } else if odds(next(), 10) {
                day(start - 30)
            } else if overlap && j == 0 {
                day(start + length + 100)
            } else {
                day(start + length)
            };
            let visits = match next() % 10_000 {
                0..10 => "400".to_string(),
                10..15 => "n/a".to_string(),
                r => (r % 53).to_string(),
            };
            let linked = match next() % 10 {
                0..3 => String::new(),
                _ if odds(next(), 10) => "P99999999".to_string(),
                _ => format!("P{:08}", 1 + next() % n),
            };
            writeln!(
                w,
                "P{id:08},F{family:07},{first},{surname},{dob},{gender},{ethnicity},{postcode},{nhs},{start_text},{end},Team {},Worker {},{visits},{linked}",
                family % 12,
                family % 300,
            )?;
            written += 1;
            start += length + 30 + next() % 60;
        }
    }
    w.flush()?;
    drop(w);
    std::fs::rename(partial, dir.join("persons.csv"))
}

/// Generated data is cached; a change to either generator (the demo's, or the plans written
/// here) makes a new cache entry, so the figures are never for data an older generator wrote.
fn generator_version() -> String {
    common::generator_version(include_str!("pipeline.rs"))
}

/// `rows` child protection plans in the Annex A List 7 shape: each child has
/// one to three consecutive plans (the last one sometimes still open), and
/// one child in a hundred has two that overlap.
fn write_plans(dir: &Path, rows: usize) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("cp_plans.csv"))?);
    writeln!(
        w,
        "Child Unique ID,Gender,Ethnicity,Date of Birth,Age of Child (Years),Does the Child have a Disability,\
Child Protection Plan Start Date,Initial Category of Abuse,Latest Category of Abuse,Date of the Last Statutory Visit,\
Was the Child Seen Alone?,Date of latest review conference,Child Protection Plan End Date,\
Subject to Emergency Protection Order or Protected Under Police Powers in Last Six Months (Y/N),\
Number of Previous Child Protection Plans,Allocated Team,Allocated Worker"
    )?;
    let day = |d: i64| {
        let date = chrono::NaiveDate::from_ymd_opt(2016, 1, 1).expect("date") + chrono::Days::new(d as u64);
        date.format("%d/%m/%Y").to_string()
    };
    let (mut written, mut child) = (0usize, 0u64);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    while written < rows {
        child += 1;
        let plans = 1 + (next() % 3) as usize;
        let overlap = next() % 100 == 0 && plans > 1;
        let mut start = (next() % 1200) as i64;
        for j in 0..plans.min(rows - written) {
            let length = 120 + (next() % 300) as i64;
            let last = j + 1 == plans;
            let end = if last && next() % 2 == 0 {
                String::new()
            } else if overlap && j == 0 {
                day(start + length + 200)
            } else {
                day(start + length)
            };
            let gender = ["a) Male", "b) Female"][(child % 2) as usize];
            writeln!(
                w,
                "NF{child:07},{gender},a) WBRI,01/06/2012,9,b) No,{},a) Neglect,a) Neglect,{},a) Yes,{},{end},b) No,{j},Safeguarding {},Worker {}",
                day(start),
                day(start + 20),
                day(start + 30),
                child % 7,
                child % 50
            )?;
            written += 1;
            start += length + 60 + (next() % 100) as i64;
        }
    }
    w.flush()
}

/// Size of the hostile value, and how often it comes.
const WIDE_BYTES: usize = 1 << 20;
const WIDE_EVERY: usize = 1000;

/// The contacts of `data` with a `Case Notes` column: a 1 MB value (one line, quoted, with
/// commas and quotes in it) on every 1,000th row, a short note elsewhere; run with the
/// children as usual.
fn run_wide(root: &Path, data: &Path) {
    let wide = data.join("wide");
    if !wide.join("contacts.csv").is_file() {
        let t = Instant::now();
        std::fs::create_dir_all(&wide).expect("create wide");
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(data.join("contacts.csv"))
            .expect("read contacts");
        let file = std::fs::File::create(wide.join("contacts.csv.partial")).expect("create");
        let mut writer = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
        let mut big = String::with_capacity(WIDE_BYTES);
        while big.len() < WIDE_BYTES {
            big.push_str("Visited at home, \"all well\", next visit in two weeks; ");
        }
        big.truncate(WIDE_BYTES);
        let mut record = csv::ByteRecord::new();
        let mut n = 0usize;
        while reader.read_byte_record(&mut record).expect("read") {
            let note: &[u8] = if n == 0 {
                b"Case Notes"
            } else if n.is_multiple_of(WIDE_EVERY) {
                big.as_bytes()
            } else {
                b"Seen, no concerns"
            };
            record.push_field(note);
            writer.write_byte_record(&record).expect("write");
            n += 1;
        }
        writer.flush().expect("flush");
        drop(writer);
        std::fs::rename(wide.join("contacts.csv.partial"), wide.join("contacts.csv")).expect("rename");
        eprintln!("wrote {} in {:.1}s", wide.display(), t.elapsed().as_secs_f64());
    }
    let bytes = std::fs::metadata(wide.join("contacts.csv")).map_or(0, |m| m.len())
        + std::fs::metadata(data.join("children.csv")).map_or(0, |m| m.len());
    let config = wide.join("cleanse.yaml");
    std::fs::write(
        &config,
        format!(
            "name: benchmark\nas_of: 2026-03-31\nrules: [{}]\ninputs:\n  - {{ table: children, file: ../children.csv }}\n  - {{ table: contacts, file: contacts.csv }}\n",
            root.join("rules/annex-a.yaml").display()
        ),
    )
    .expect("write config");
    let run = measure(&config, &wide.join("out"));
    let tables = run.report["tables"].as_array().expect("tables");
    let rows_in: u64 = tables.iter().map(|t| t["rows_in"].as_u64().expect("rows_in")).sum();
    println!(
        "cleanse end-to-end benchmark: children and contacts with a {} MB `Case Notes` value on every {}th contact",
        WIDE_BYTES >> 20,
        WIDE_EVERY
    );
    println!("  rows (all)           {rows_in}");
    println!("  input                {:.1} MB", bytes as f64 / 1e6);
    run.print(rows_in);
    run.save(&format!("pipeline-wide-{rows_in}"), rows_in, bytes);
    let _ = std::fs::remove_dir_all(wide.join("out"));
}
