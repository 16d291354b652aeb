//! `summary.html`: its figures are run.json's, it asks for nothing outside itself, and it renders
//! in a real headless browser (Debian's Chromium, which `.ci/run` installs) with no console
//! message and no network request, on a desktop, a phone and A4 paper. Screenshots and the PDF
//! are kept under `target/tmp/summary-html/` for a person to look at.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::Dir;

/// The demo run twice (two extract dates), so the page has a previous run and a trend.
fn demo_with_history() -> Dir {
    let dir = Dir::new().with_demo();
    for day in ["2026-03-30", "2026-03-31"] {
        dir.cleanse()
            .args(["--quiet", "run", "--out", "out", "--as-of", day])
            .output()
            .expect_code(0);
    }
    dir
}

/// Every `data-figure` on the page: its raw value, and checks that the text shown is that value
/// with thousands separators.
fn figures(html: &str) -> HashMap<String, u64> {
    let re = regex::Regex::new(r#"<span data-figure="([^"]+)" data-value="(\d+)">([^<]*)</span>"#).unwrap();
    let mut out = HashMap::new();
    for c in re.captures_iter(html) {
        let value: u64 = c[2].parse().unwrap();
        assert_eq!(c[3].replace(',', ""), c[2], "figure {} shows {}", &c[1], &c[3]);
        assert!(out.insert(c[1].to_string(), value).is_none(), "figure {} twice", &c[1]);
    }
    out
}

#[test]
fn the_html_summary_shows_the_same_figures_as_run_json() {
    let dir = demo_with_history();
    let html = dir.read("out/latest/summary.html");
    let run: serde_json::Value = serde_json::from_str(&dir.read("out/latest/run.json")).unwrap();
    let summary: serde_json::Value = serde_json::from_str(&dir.read("out/latest/summary.json")).unwrap();
    let f = figures(&html);
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"));
    let total = |key: &str| {
        run["tables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| n(&t[key]))
            .sum::<u64>()
    };

    // Per list, and in total (with the corrections' totals).
    const PER_TABLE: [(&str, &str); 6] = [
        ("records", "rows_in"),
        ("clean", "corrected"),
        ("held-back", "rejected"),
        ("errors", "errors"),
        ("warnings", "warnings"),
        ("notes", "infos"),
    ];
    let corrections = [
        ("corrections:applied", "cells_changed"),
        ("corrections:proposed", "changes_proposed"),
    ];
    for (figure, key) in PER_TABLE.into_iter().chain(corrections) {
        assert_eq!(f[figure], total(key), "{figure}");
    }
    assert_eq!(f["problems"], total("errors") + total("warnings") + total("infos"));
    for t in run["tables"].as_array().unwrap() {
        let name = t["table"].as_str().unwrap();
        for (figure, key) in PER_TABLE {
            assert_eq!(f[&format!("table:{name}:{figure}")], n(&t[key]), "{name} {figure}");
        }
    }
    // The ten rules with most findings are shown, each with its count.
    let shown: Vec<&String> = f.keys().filter(|k| k.starts_with("rule:")).collect();
    assert_eq!(shown.len(), 10, "{shown:?}");
    for r in run["rules"].as_array().unwrap() {
        if let Some(&v) = f.get(&format!("rule:{}:findings", r["id"].as_str().unwrap())) {
            assert_eq!(v, n(&r["findings"]), "{}", r["id"]);
        }
    }
    // What changed since the last run, and the trend's latest point, as summary.json has them.
    let since = &summary["since_previous"];
    assert_eq!(since["previous"]["as_of"], "2026-03-30");
    for (figure, key) in [("new", "new"), ("resolved", "resolved"), ("still-open", "still_open")] {
        assert_eq!(f[figure], n(&since[key]), "{figure}");
    }
    let trend = summary["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 2);
    assert_eq!(f["trend:total"], n(&trend[1]["open"]));
    for (table, open) in trend[1]["by_table"].as_object().unwrap() {
        assert_eq!(f[&format!("trend:{table}")], n(open), "{table}");
    }
    // The breakdowns, group by group (the first few of each).
    for (k, b) in run["breakdown"].as_array().unwrap().iter().enumerate() {
        for (i, g) in b["groups"]
            .as_array()
            .unwrap()
            .iter()
            .take(cleanse::output::report::BREAKDOWN_ROWS)
            .enumerate()
        {
            assert_eq!(f[&format!("breakdown:{k}:{i}:records")], n(&g["records"]));
            assert_eq!(f[&format!("breakdown:{k}:{i}:held-back")], n(&g["rejected"]));
            assert_eq!(f[&format!("breakdown:{k}:{i}:problems")], n(&g["findings"]));
            assert!(html.contains(&format!("<td>{}</td>", g["value"].as_str().unwrap())));
        }
    }
    // The rule's own words on what it means, from the pack.
    assert!(html.contains("<strong>In practice:</strong> A contact cannot be recorded before it happens"));
}

#[test]
fn the_html_summary_asks_for_nothing_outside_itself() {
    let dir = demo_with_history();
    let html = dir.read("out/latest/summary.html").to_lowercase();
    for banned in [
        "<script", "<link", "<iframe", "<img", "<object", "<embed", "@import", "url(", "src=", "href=", "http:",
        "https:", "//",
    ] {
        assert!(!html.contains(banned), "summary.html contains `{banned}`");
    }
    assert!(html.contains("content-security-policy\" content=\"default-src 'none'"));
}

/// What Chromium did with a page.
struct Rendered {
    /// Console messages (any level: the page has no script, so any message is a complaint, such
    /// as a blocked request or a parse error).
    console: Vec<String>,
    /// Requests the page made, other than for its own file.
    requests: Vec<String>,
}

/// Debian's Chromium (`CHROMIUM` overrides), or `None` when this machine has none.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser", "google-chrome"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// Run headless Chromium on `page` with `extra` arguments (a screenshot or a PDF), the network
/// cut off, and its console and network log recorded.
fn render(browser: &Path, page: &Path, work: &Path, extra: &[String]) -> Rendered {
    let profile = tempfile::tempdir_in(work).unwrap();
    let net_log = work.join(format!("net-{}.json", std::process::id()));
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
            // Nothing resolves: a request the page makes fails, and the net log records it.
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--log-net-log={}", net_log.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", browser.display()));
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(180) {
            let _ = child.kill();
            panic!("Chromium did not finish in 3 minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = reader.join().unwrap();
    assert!(status.success(), "Chromium failed ({status}):\n{log}");
    let console = log
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    // Requests made for a page (not the browser's own housekeeping) carry the page's origin,
    // `file://`, in their network isolation key.
    let net: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&net_log).unwrap()).unwrap();
    let start_job = &net["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"];
    let requests = net["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| &e["type"] == start_job)
        .filter(|e| {
            e["params"]["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("file://"))
        })
        .filter_map(|e| e["params"]["url"].as_str())
        .filter(|u| !u.starts_with("file:"))
        .map(str::to_string)
        .collect();
    let _ = std::fs::remove_file(&net_log);
    Rendered { console, requests }
}

#[test]
fn the_html_summary_renders_in_headless_chromium_with_no_errors_or_requests() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Chromium (`.ci/run` installs Debian's package `chromium`)"
        );
        eprintln!("skipped: no Chromium on this machine (apt-get install chromium; CI installs it)");
        return;
    };
    let dir = demo_with_history();
    let page = dir.join("out/latest/summary.html").canonicalize().unwrap();
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("summary-html");
    std::fs::create_dir_all(&keep).unwrap();

    // The detector itself: a page that logs and fetches must be caught, or the checks below
    // could pass on a browser that reports nothing.
    dir.write(
        "bad.html",
        "<!DOCTYPE html><title>t</title><img src=\"https://example.invalid/x.png\"><script>console.error('boom')</script>",
    );
    let shot = format!("--screenshot={}", dir.join("bad.png").display());
    let bad = render(&browser, &dir.join("bad.html"), dir.path(), &[shot]);
    assert!(bad.console.iter().any(|l| l.contains("boom")), "{:?}", bad.console);
    assert_eq!(bad.requests, ["https://example.invalid/x.png"]);

    for (name, size) in [("desktop", "1280,4200"), ("phone", "390,9000")] {
        let shot = keep.join(format!("summary-{name}.png"));
        let _ = std::fs::remove_file(&shot);
        let r = render(
            &browser,
            &page,
            dir.path(),
            &[
                format!("--window-size={size}"),
                format!("--screenshot={}", shot.display()),
            ],
        );
        assert!(
            r.console.is_empty(),
            "{name}: console messages:\n{}",
            r.console.join("\n")
        );
        assert!(r.requests.is_empty(), "{name}: requests: {:?}", r.requests);
        let png = std::fs::read(&shot).unwrap();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 20_000,
            "{name}: {} bytes",
            png.len()
        );
        eprintln!("screenshot: {}", shot.display());
    }
    let pdf = keep.join("summary-a4.pdf");
    let _ = std::fs::remove_file(&pdf);
    let r = render(
        &browser,
        &page,
        dir.path(),
        &[
            "--no-pdf-header-footer".into(),
            format!("--print-to-pdf={}", pdf.display()),
        ],
    );
    assert!(
        r.console.is_empty() && r.requests.is_empty(),
        "print: {:?} {:?}",
        r.console,
        r.requests
    );
    let bytes = std::fs::read(&pdf).unwrap();
    let pages = regex::bytes::Regex::new(r"/Type\s*/Page[^s]")
        .unwrap()
        .find_iter(&bytes)
        .count();
    // A4 (595 × 842 points), and the summary of a night's run fits a few pages.
    assert!(
        regex::bytes::Regex::new(r"/MediaBox\s*\[\s*0 0 59[45]\.?\d* 84[12]")
            .unwrap()
            .is_match(&bytes),
        "not A4"
    );
    assert!((1..=6).contains(&pages), "{pages} pages");
    eprintln!("A4 print: {} ({pages} pages)", pdf.display());
}
