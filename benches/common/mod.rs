//! What the benchmarks share: one timed run of the release binary, with the kernel's
//! accounting of its CPU time and peak memory.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// One timed run of the release binary, with the kernel's accounting of it.
pub struct Measured {
    pub wall: f64,
    pub cpu: f64,
    pub peak_kib: i64,
    pub report: serde_json::Value,
    /// How many runs this is the median of (by CPU time), and their least and most CPU time.
    pub runs: usize,
    pub cpu_range: (f64, f64),
}

impl Measured {
    pub fn print(&self, rows: u64) {
        println!("  wall time            {:.2} s", self.wall);
        println!("  CPU time             {:.2} s (user + system, all threads)", self.cpu);
        if self.runs > 1 {
            println!(
                "  (the median of {} runs by CPU time; they took {:.2} to {:.2} s)",
                self.runs, self.cpu_range.0, self.cpu_range.1
            );
        }
        println!("  rows per second      {:.0}", rows as f64 / self.wall);
        println!("  rows per CPU-second  {:.0}", rows as f64 / self.cpu.max(1e-9));
        println!("  peak memory (RSS)    {:.0} MB", self.peak_kib as f64 / 1024.0);
        self.print_stages();
        // Bytes the run read from each export over its size: 1.00 when it is read once.
        for input in self.report["inputs"].as_array().into_iter().flatten() {
            let size = input["file"]
                .as_str()
                .and_then(|f| std::fs::metadata(f).ok())
                .map_or(0, |m| m.len());
            let read = input["bytes_read"].as_u64().unwrap_or(0);
            println!(
                "  reads of {:<12} {:.2} (bytes read / size)",
                input["table"].as_str().unwrap_or(""),
                read as f64 / size.max(1) as f64
            );
        }
    }
}

impl Measured {
    /// Where the time went, stage by stage, from run.json: per export, reading and decoding (a
    /// thread of its own), then the CPU time of the parallel stages summed over threads, then
    /// routing and writing (one thread); and the stages over whole tables (wall time).
    pub fn stages(&self) -> serde_json::Value {
        let inputs = self.report["inputs"].as_array().cloned().unwrap_or_default();
        let sum = |key: &str| inputs.iter().map(|i| i[key].as_u64().unwrap_or(0)).sum::<u64>();
        let timing = |key: &str| self.report["timings_ms"][key].as_u64().unwrap_or(0);
        serde_json::json!({
            "read_and_decode_ms": sum("ingest_ms"),
            "correct_cpu_ms": sum("correct_cpu_ms"),
            "type_cpu_ms": sum("type_cpu_ms"),
            "check_cpu_ms": sum("rules_cpu_ms"),
            "route_and_write_ms": sum("route_and_write_ms"),
            "one_pass_for_whole_tables_ms": timing("load_ms"),
            "rules_over_whole_tables_ms": timing("relate_ms"),
            "duplicate_people_ms": timing("dedupe_ms"),
            "summaries_and_history_ms": timing("report_ms"),
            "rules_loaded_ms": timing("rules_ms"),
        })
    }

    fn print_stages(&self) {
        println!("  where the time went (ms; parallel stages as CPU time over all threads):");
        if let Some(stages) = self.stages().as_object() {
            for (stage, ms) in stages {
                println!("    {stage:<34}{ms:>8}");
            }
        }
    }

    /// The figures as JSON, for comparing runs: written to `target/bench-results/NAME.json`.
    pub fn save(&self, name: &str, rows: u64, input_bytes: u64) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-results");
        std::fs::create_dir_all(&dir).expect("create target/bench-results");
        let figures = serde_json::json!({
            "name": name,
            "rows": rows,
            "input_bytes": input_bytes,
            "wall_s": self.wall,
            "cpu_s": self.cpu,
            "rows_per_cpu_second": rows as f64 / self.cpu.max(1e-9),
            "wall_over_cpu": self.wall / self.cpu.max(1e-9),
            "peak_memory_mb": self.peak_kib as f64 / 1024.0,
            "runs": self.runs,
            "cpu_s_least": self.cpu_range.0,
            "cpu_s_most": self.cpu_range.1,
            "stages": self.stages(),
            "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
            "tool_version": self.report["tool_version"],
            "run_started": self.report["started"],
        });
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(&figures).expect("JSON")).expect("write results");
        println!("  figures written to {}", path.display());
    }
}

/// Run `cleanse run` `runs` times and keep the median run by CPU time: on a shared machine one
/// run's time varies by a fifth or more, so one run says little about a change.
pub fn measure_runs(config: &Path, out: &Path, runs: usize) -> Measured {
    let mut all: Vec<Measured> = (0..runs.max(1)).map(|_| measure(config, out)).collect();
    all.sort_by(|a, b| a.cpu.total_cmp(&b.cpu));
    let range = (all[0].cpu, all[all.len() - 1].cpu);
    let n = all.len();
    let mut median = all.swap_remove(n / 2);
    median.runs = n;
    median.cpu_range = range;
    median
}

/// The binary to measure: cargo's build of this tree, or the one `CLEANSE_BENCH_BIN` names (to
/// compare builds, such as another profile's, without rebuilding).
pub fn binary() -> std::path::PathBuf {
    std::env::var_os("CLEANSE_BENCH_BIN").map_or_else(|| env!("CARGO_BIN_EXE_cleanse").into(), Into::into)
}

/// Run `cleanse run --config CONFIG --out OUT` and wait for it.
pub fn measure(config: &Path, out: &Path) -> Measured {
    let _ = std::fs::remove_dir_all(out);
    let mut run = Command::new(binary());
    run.args(["--quiet", "run", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out)
        .stdout(std::process::Stdio::null());
    let (wall, cpu, peak_kib) = usage(run).unwrap_or_else(|status| panic!("cleanse run failed: {status}"));
    let report = serde_json::from_slice(&std::fs::read(out.join("latest/run.json")).expect("run.json")).expect("json");
    Measured {
        wall,
        cpu,
        peak_kib,
        report,
        runs: 1,
        cpu_range: (cpu, cpu),
    }
}

/// Run a command to its end: its wall seconds, CPU seconds (user + system, every thread) and
/// peak memory (KiB), or its exit status if it failed.
pub fn usage(mut command: Command) -> Result<(f64, f64, i64), i32> {
    let t = Instant::now();
    #[allow(
        clippy::zombie_processes,
        reason = "reaped by wait4 below, which also gives its usage"
    )]
    let child = command.spawn().expect("start the measured command");
    // wait4 gives this child's own usage (getrusage(RUSAGE_CHILDREN) would
    // carry the largest peak of every earlier child over).
    let mut status = 0;
    // SAFETY: wait4 only writes into the struct and status we pass.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut u) };
    let wall = t.elapsed().as_secs_f64();
    assert!(pid > 0, "wait4 failed");
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        return Err(status);
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok((wall, secs(u.ru_utime) + secs(u.ru_stime), u.ru_maxrss))
}

/// A short hash of the generator crate's source (every file under `generate/src/`) and of
/// `extra`, to key cached data by: any change to the generator makes a new cache entry.
pub fn generator_version(extra: &str) -> String {
    use std::hash::{Hash, Hasher};
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("generate/src");
    let (mut files, mut dirs) = (Vec::new(), vec![src.clone()]);
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("the generator's source") {
            let path = entry.expect("the generator's source").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for path in &files {
        path.strip_prefix(&src).expect("below src").hash(&mut h);
        std::fs::read(path).expect("the generator's source").hash(&mut h);
    }
    extra.hash(&mut h);
    format!("{:08x}", h.finish() as u32)
}
