//! Duplicate-people benchmark: generate N people with known duplicates (typos, short forms,
//! swapped names, day and month swapped, moves, missing values, twins and siblings, pre-birth
//! records), run the real `cleanse` binary over them with `rules/people.yaml` (a `same_person`
//! rule), and report match quality against the generator's truth with wall time, CPU time and
//! peak memory of the whole run.
//!
//! ```text
//! cargo bench --bench dedupe                      # 200,000 then 1,000,000 people
//! cargo bench --bench dedupe -- --people 50000    # one size
//! ```
//!
//! Quality is pairwise: a true pair is two records of one person. *Precision* and *recall* count
//! the pairs the run reported (either band) against the true pairs; *auto-band precision* is
//! the share of "same person" pairs that are true; *blocking coverage* is the share of true
//! pairs that any blocking rule brought together (an upper bound on recall).

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use cleanse::people::Settings;
use cleanse::people::person::{Dates, Fields, Person};

fn main() {
    let mut sizes = vec![200_000usize, 1_000_000];
    let mut runs: usize = 1;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--people" => {
                sizes = vec![
                    args.next()
                        .and_then(|n| n.replace('_', "").parse().ok())
                        .expect("--people N"),
                ]
            }
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            "--bench" => {}
            other => eprintln!("ignoring argument {other}"),
        }
    }
    for people in sizes {
        bench(people, runs);
    }
}

fn bench(people: usize, runs: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root
        .join("target/bench-data")
        .join(format!("people-{people}-{}", generator_version()));
    if !data.join("people_truth.csv").is_file() {
        let t = Instant::now();
        let opts = cleanse_generate::people::PeopleOptions {
            seed: 7,
            people,
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 3, 31).expect("date"),
        };
        cleanse_generate::people::generate_people(&opts, &data).expect("generate people");
        eprintln!("generated {} in {:.1}s", data.display(), t.elapsed().as_secs_f64());
    }
    let config = data.join("cleanse.yaml");
    std::fs::write(
        &config,
        format!(
            "name: benchmark\nas_of: 2026-03-31\nrules: [{}]\ninputs:\n  - {{ table: people, file: people.csv }}\n",
            root.join("rules/people.yaml").display()
        ),
    )
    .expect("write config");
    let out = data.join("out");
    // The outputs read below are the last run's: every run writes the same ones.
    let run = common::measure_runs(&config, &out, runs);
    let rows = run.report["tables"][0]["rows_in"].as_u64().expect("rows_in");

    // The truth: each record's real person.
    let truth = read_csv(&data.join("people_truth.csv"));
    let person_of: HashMap<u64, &str> = truth
        .rows
        .iter()
        .map(|r| {
            (
                r[truth.col("line")].parse().expect("line"),
                r[truth.col("true_person")].as_str(),
            )
        })
        .collect();
    let mut by_person: HashMap<&str, Vec<u64>> = HashMap::new();
    for (&line, &p) in &person_of {
        by_person.entry(p).or_default().push(line);
    }
    let mut true_pairs: HashSet<(u64, u64)> = HashSet::new();
    for lines in by_person.values_mut() {
        lines.sort_unstable();
        for (i, &a) in lines.iter().enumerate() {
            true_pairs.extend(lines[i + 1..].iter().map(|&b| (a, b)));
        }
    }
    // What the run reported.
    let found = read_csv(&out.join("latest/duplicates.csv"));
    let (mut all, mut same) = (HashSet::new(), HashSet::new());
    for r in &found.rows {
        let a: u64 = r[found.col("line_a")].parse().expect("line_a");
        let b: u64 = r[found.col("line_b")].parse().expect("line_b");
        let pair = (a.min(b), a.max(b));
        all.insert(pair);
        if r[found.col("band")] == "same person" {
            same.insert(pair);
        }
    }
    let hits = all.intersection(&true_pairs).count() as f64;
    let precision = hits / all.len().max(1) as f64;
    let recall = hits / true_pairs.len().max(1) as f64;
    let f1 = 2.0 * precision * recall / (precision + recall).max(1e-12);
    let auto_precision = same.intersection(&true_pairs).count() as f64 / same.len().max(1) as f64;
    let coverage = coverage(&data.join("people.csv"), &true_pairs);

    println!(
        "cleanse duplicate-people benchmark: {people} people, {rows} records, {} true pairs",
        true_pairs.len()
    );
    run.print(rows);
    run.save(
        &format!("dedupe-{people}"),
        rows,
        std::fs::metadata(data.join("people.csv")).map_or(0, |m| m.len()),
    );
    println!(
        "  matching stage       {} ms wall",
        run.report["timings_ms"]["dedupe_ms"]
    );
    println!(
        "  pairs reported       {} ({} same person, {} possible)",
        all.len(),
        same.len(),
        all.len() - same.len()
    );
    println!("  precision            {precision:.4}");
    println!("  recall               {recall:.4}");
    println!("  F1                   {f1:.4}");
    println!("  auto-band precision  {auto_precision:.5}");
    println!("  blocking coverage    {coverage:.4}");
    println!(
        "  cores                {}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!();
}

/// Share of true pairs some blocking rule of the default settings compares (sharing a key in
/// a group no larger than the largest compared).
fn coverage(people_csv: &Path, true_pairs: &HashSet<(u64, u64)>) -> f64 {
    let csv = read_csv(people_csv);
    let get = |r: &Vec<String>, name: &str| csv.cols.get(name).map_or(String::new(), |&i| r[i].clone());
    let people: Vec<Person> = csv
        .rows
        .iter()
        .map(|r| {
            let v: Vec<String> = [
                "First Name",
                "Middle Names",
                "Surname",
                "Date of Birth",
                "Expected Date of Birth",
                "Gender",
                "Postcode",
                "NHS Number",
                "UPN",
            ]
            .iter()
            .map(|h| get(r, h))
            .collect();
            Person::new(
                &Fields::from_roles(std::array::from_fn(|i| v[i].as_str())),
                Dates::uk(40),
            )
        })
        .collect();
    // Records are on lines 2.. in file order.
    let settings = Settings::default();
    let keys: Vec<Vec<Option<u64>>> = settings
        .blocks
        .iter()
        .map(|b| people.iter().map(|p| b.key_of(p)).collect())
        .collect();
    let sizes: Vec<HashMap<u64, usize>> = keys
        .iter()
        .map(|k| {
            let mut m = HashMap::new();
            for key in k.iter().flatten() {
                *m.entry(*key).or_insert(0) += 1;
            }
            m
        })
        .collect();
    let together = |a: usize, b: usize| {
        (0..keys.len())
            .any(|bi| keys[bi][a].is_some_and(|k| Some(k) == keys[bi][b] && sizes[bi][&k] <= settings.max_block))
    };
    let covered = true_pairs
        .iter()
        .filter(|&&(a, b)| together(a as usize - 2, b as usize - 2))
        .count();
    covered as f64 / true_pairs.len().max(1) as f64
}

struct Csv {
    cols: HashMap<String, usize>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn col(&self, name: &str) -> usize {
        self.cols[name]
    }
}

fn read_csv(path: &Path) -> Csv {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let cols = r
        .headers()
        .expect("header")
        .iter()
        .enumerate()
        .map(|(i, h)| (h.to_string(), i))
        .collect();
    let rows = r
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect();
    Csv { cols, rows }
}

/// Generated data is cached; a change to the generator makes a new cache entry.
fn generator_version() -> String {
    common::generator_version("")
}
