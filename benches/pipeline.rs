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
//! CPU time and peak memory come from the kernel's accounting of the child
//! process (getrusage), so they cover every thread the run used.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn main() {
    let mut rows: usize = 1_000_000;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rows" => {
                rows = args
                    .next()
                    .and_then(|n| n.replace('_', "").parse().ok())
                    .expect("--rows N")
            }
            "--bench" => {}
            other => eprintln!("ignoring argument {other}"),
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root
        .join("target")
        .join("bench-data")
        .join(format!("children-contacts-{rows}"));
    if !data.join("contacts.csv").is_file() || !data.join("children.csv").is_file() {
        let t = Instant::now();
        let opts = cleanse::generate::GenOptions {
            seed: 7,
            // About three contacts per child.
            children: rows.div_ceil(3),
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 3, 31).expect("date"),
            tables: vec!["children".to_string(), "contacts".to_string()],
            plant: true,
        };
        cleanse::generate::generate(&opts, &data).expect("generate bench data");
        eprintln!("generated {} in {:.1}s", data.display(), t.elapsed().as_secs_f64());
    }
    let bytes: u64 = ["children.csv", "contacts.csv"]
        .iter()
        .map(|f| std::fs::metadata(data.join(f)).map_or(0, |m| m.len()))
        .sum();
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
    let _ = std::fs::remove_dir_all(&out);

    let before = usage();
    let t = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_cleanse"))
        .args(["--quiet", "run", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run cleanse");
    let wall = t.elapsed().as_secs_f64();
    let after = usage();
    assert!(status.success(), "cleanse run failed: {status}");

    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("latest/run.json")).expect("run.json")).expect("json");
    let tables = report["tables"].as_array().expect("tables");
    let rows_in: u64 = tables.iter().map(|t| t["rows_in"].as_u64().expect("rows_in")).sum();
    let rules = report["rules"].as_array().map_or(0, |r| {
        r.iter()
            .filter(|r| r["table"] == "contacts" || r["table"] == "children")
            .count()
    });
    let cpu = (after.0 - before.0).max(1e-9);
    println!("cleanse end-to-end benchmark: children and contacts, {rules} rules");
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
    println!("  wall time            {wall:.2} s");
    println!("  CPU time             {cpu:.2} s (user + system, all threads)");
    println!("  rows per second      {:.0}", rows_in as f64 / wall);
    println!("  rows per CPU-second  {:.0}", rows_in as f64 / cpu);
    println!("  peak memory (RSS)    {:.0} MB", after.1 as f64 / 1024.0);
    println!("  cross-table stage    {} ms wall", report["timings_ms"]["relate_ms"]);
    println!(
        "  cores                {}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
}

/// (CPU seconds, peak RSS in KiB) of the waited-for child processes.
fn usage() -> (f64, i64) {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(u.ru_utime) + secs(u.ru_stime), u.ru_maxrss)
}
