//! Hostile and broken input: names that would climb out of a folder, quotes that never close,
//! values a spreadsheet would run, and files that are not exports at all. Each refusal is one
//! clear message; nothing is written outside the output folder.

use crate::messy_inputs::{HEADER, PACK, run, setup};
use crate::util::{Csv, Dir};

const ROW: &str = "01/02/2010,01/03/2020,3,a) Male";

/// Every file under `dir`, relative to it, sorted.
fn tree(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() && !p.is_symlink() {
                stack.push(p.clone());
            }
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
        }
    }
    out.sort();
    out
}

#[test]
fn a_table_name_that_climbs_out_of_the_output_folder_is_refused() {
    for name in ["../../evil", "a/b", "..", ".hidden", "con", "has space"] {
        let dir = Dir::new();
        dir.write(
            "pack.yaml",
            format!(
                "pack: shared\nversion: 1.0.0\ntables:\n  {name:?}:\n    key: [id]\n    columns:\n      - {{ name: id, header: ID }}\n"
            ),
        );
        dir.write(
            "cleanse.yaml",
            format!("rules: [pack.yaml]\ninputs:\n  - table: {name:?}\n    file: x.csv\n"),
        );
        dir.write("x.csv", "ID\n1\n");
        std::fs::create_dir_all(dir.join("out/x")).unwrap();
        let before = tree(dir.path());
        let out = dir
            .cleanse()
            .args(["run", "--out", "out/x/y", "--as-of", "2026-03-31"])
            .output()
            .expect_code(2);
        assert!(out.stderr.contains("error[bad-table-name]"), "{name}: {}", out.stderr);
        assert!(
            out.stderr.contains("pack.yaml:4:"),
            "{name}: positioned: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains("letters"),
            "{name}: says what is allowed: {}",
            out.stderr
        );
        assert_eq!(tree(dir.path()), before, "{name}: nothing written anywhere");
    }
}

#[test]
fn table_names_differing_only_in_case_are_refused() {
    let dir = Dir::new();
    let table = |n: &str| format!("  {n}:\n    key: [id]\n    columns:\n      - {{ name: id, header: ID }}\n");
    dir.write(
        "pack.yaml",
        format!(
            "pack: p\nversion: 1.0.0\ntables:\n{}{}",
            table("contacts"),
            table("Contacts")
        ),
    );
    let out = dir.cleanse().args(["check", "pack.yaml"]).output().expect_code(1);
    assert!(out.stdout.contains("only in case"), "{}", out.stdout);
}

/// A pack whose `map` correction reads a synonyms file at `path`.
fn pack_with_synonyms(path: &str) -> String {
    format!(
        "{PACK}corrections:\n  - id: SEX-MAP\n    table: people\n    columns: [sex]\n    kind: map\n    apply: safe\n    synonyms_file: {path}\n"
    )
}

#[test]
fn a_synonyms_file_outside_the_packs_folder_is_refused() {
    let dir = Dir::new();
    dir.write("secret.csv", "from,to\nM,a) Male\n");
    let cases = [
        ("../secret.csv", "climbs out"),
        ("/etc/passwd", "absolute path"),
        ("link.csv", "link"),
    ];
    for (path, why) in cases {
        if path == "link.csv" && !cfg!(unix) {
            continue;
        }
        dir.write("packs/pack.yaml", pack_with_synonyms(path));
        if path == "link.csv" {
            std::fs::create_dir_all(dir.join("packs")).unwrap();
            let _ = std::fs::remove_file(dir.join("packs/link.csv"));
            #[cfg(unix)]
            std::os::unix::fs::symlink(dir.join("secret.csv"), dir.join("packs/link.csv")).unwrap();
        }
        let out = dir.cleanse().args(["check", "packs/pack.yaml"]).output().expect_code(1);
        assert!(
            out.stdout.contains("error[bad-synonyms-file]"),
            "{path}: {}",
            out.stdout
        );
        assert!(out.stdout.contains(why), "{path}: {}", out.stdout);
    }
    // The same file beside the pack is read.
    dir.write("packs/synonyms.csv", "from,to\nM,a) Male\n");
    dir.write("packs/pack.yaml", pack_with_synonyms("synonyms.csv"));
    dir.cleanse().args(["check", "packs/pack.yaml"]).output().expect_code(0);
}

#[test]
fn an_output_format_is_one_of_the_named_ones() {
    let dir = Dir::new();
    dir.write("pack.yaml", PACK);
    let out = dir
        .cleanse()
        .args(["check", "--format", "../../evil", "pack.yaml"])
        .output()
        .expect_code(2);
    assert!(out.stderr.contains("invalid value '../../evil'"), "{}", out.stderr);
    assert_eq!(tree(dir.path()), ["pack.yaml"]);
}

#[cfg(unix)]
#[test]
fn a_device_or_folder_named_as_an_input_is_refused() {
    let dir = setup("", "");
    dir.write(
        "cleanse.yaml",
        "rules: [pack.yaml]\ninputs:\n  - table: people\n    file: /dev/zero\n",
    );
    let out = dir.run(&[]).expect_code(2);
    assert!(out.stderr.contains("is not a regular file"), "{}", out.stderr);
    dir.write("cleanse.yaml", "rules: [/dev/zero]\ninputs: []\n");
    let out = dir.run(&[]).expect_code(2);
    assert!(out.stderr.contains("is not a regular file"), "{}", out.stderr);
}

/// An export of `n` good people after a header, one per line from line 2.
fn people(n: usize) -> String {
    let mut s = format!("{HEADER}\n");
    for i in 1..=n {
        s.push_str(&format!("P{i},Name {i},{ROW}\n"));
    }
    s
}

#[test]
fn a_quote_never_closed_is_found_and_the_lines_it_hides_are_counted() {
    // Line 4 opens a quote in its last field and never closes it: lines 5 to 51 vanish into it.
    let mut export = people(2);
    export.push_str("P3,Cy,01/02/2010,01/03/2020,3,\"a) Male\n");
    for i in 4..=50 {
        export.push_str(&format!("P{i},Name {i},{ROW}\n"));
    }
    let dir = setup(export, "");
    let out = run(&dir);
    let f = out.finding("people", 4, "ingest.unclosed_quote");
    assert_eq!(f.severity, "error");
    assert!(
        f.message
            .starts_with("A quote opened on line 4 is never closed: the 47 lines after it, to the end of the file,"),
        "{}",
        f.message
    );
    let people = out.table_report("tables", "people");
    assert_eq!(
        (people["rows_in"].as_u64(), people["rejected"].as_u64()),
        (Some(3), Some(1))
    );
    let input = &out.run_json["inputs"][0];
    assert_eq!(input["unclosed_quotes"], 1);
    assert_eq!(input["lines_in_unclosed_quotes"], 47);
    let summary = out.summary();
    assert!(
        summary.contains("1 quote that is never closed: 47 lines after it were read as part of one value"),
        "{summary}"
    );
    // Nothing lost: the hidden lines are in the rejected row's last field.
    let rejected = out.rejected("people");
    assert_eq!(rejected.rows.len(), 1);
    assert!(rejected.rows[0].last().unwrap().contains("P50,Name 50"));
    // exceptions.csv shows the start of it, enough to find it.
    assert!(
        f.value.starts_with("P3,Cy,01/02/2010,01/03/2020,3,a) Male\nP4,Name 4,"),
        "{}",
        f.value
    );
    assert!(f.value.ends_with(" more characters)"), "{}", f.value);
}

#[test]
fn a_quote_that_runs_over_more_lines_than_allowed_is_found_even_when_closed_later() {
    // The quote on line 3 is closed by the quote on line 255, 252 lines later.
    let mut export = people(1);
    export.push_str("P2,\"Bo,01/02/2010,01/03/2020,3,a) Male\n");
    for i in 3..=253 {
        export.push_str(&format!("P{i},Name {i},{ROW}\n"));
    }
    export.push_str("P254,x,\"01/02/2010\",01/03/2020,3,a) Male\nP255,Ann,01/02/2010,01/03/2020,3,a) Male\n");
    let dir = setup(&export, "");
    let out = run(&dir);
    let f = out.finding("people", 3, "ingest.unclosed_quote");
    assert!(
        f.message
            .starts_with("A quote opened on line 3 runs over 252 lines, more than `max_value_lines` (200)"),
        "{}",
        f.message
    );
    // The record after it is read as usual, on its own line.
    assert!(out.on_line("people", 256).is_empty());
    assert_eq!(out.table_report("tables", "people")["rows_in"], 3);
    assert_eq!(out.corrected("people").rows.len(), 2);

    // A council whose notes really are that long raises the limit: the value is then a
    // value (here of the wrong width, so still rejected, but as a ragged row).
    let dir = setup(&export, "max_value_lines: 1000");
    let out = run(&dir);
    assert!(out.rules_on_line("people", 3).contains("ingest.ragged_row"));
}

#[test]
fn notes_with_line_breaks_read_as_one_value() {
    // Alt+Enter in Excel, a pasted email with CRLFs and a blank line, and quotes inside.
    let export = format!(
        "{HEADER}\r\nP1,\"Ann\nSmith\",{ROW}\r\nP2,\"Dear team,\r\n\r\nplease see \"\"the plan\"\".\r\nThanks\",{ROW}\r\nP3,Cy,{ROW}\r\n"
    );
    let dir = setup(&export, "");
    let out = run(&dir);
    assert!(out.findings.is_empty(), "{:?}", out.findings);
    let corrected = out.corrected("people");
    assert_eq!(corrected.rows.len(), 3);
    assert_eq!(
        corrected.rows[1][1],
        "Dear team,\r\n\r\nplease see \"the plan\".\r\nThanks"
    );
    // Physical lines still count: P1 is on lines 2-3, P2 on 4-7, P3 on 8, so P4 is on line 9.
    let dir = setup(format!("{export}P4,Di,{ROW},x\r\n"), "");
    let out = run(&dir);
    assert!(
        out.rules_on_line("people", 9).contains("ingest.ragged_row"),
        "{:?}",
        out.findings
    );
}

#[test]
fn values_a_spreadsheet_would_run_are_written_as_text() {
    let export = format!(
        "{HEADER}\nP1,=HYPERLINK(\"http://x\"),{ROW}\nP2,+cmd|' /C calc'!A0,{ROW}\nP3,@SUM(A1),01/02/2010,01/03/2020,-5,a) Male\nP4,'=x,{ROW}\n=P5,-2+3,{ROW}\n"
    );
    let dir = setup(export, "");
    let out = run(&dir);
    let corrected = out.corrected("people");
    let names: Vec<&str> = corrected.rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        names,
        [
            "'=HYPERLINK(\"http://x\")",
            "'+cmd|' /C calc'!A0",
            "'@SUM(A1)",
            "''=x",
            "'-2+3"
        ]
    );
    // A negative number is a number, not a formula: P3's visits stay -5 (and are out of range).
    let f = out.finding("people", 4, "VISITS-RANGE");
    assert_eq!(f.value, "-5");
    // In exceptions.csv too: the key `=P5` is written as text.
    assert!(out.findings.iter().all(|f| !f.record_key.starts_with('=')));
    // Every exported value comes back by removing the one quote.
    for (row, original) in corrected.rows.iter().zip([
        "=HYPERLINK(\"http://x\")",
        "+cmd|' /C calc'!A0",
        "@SUM(A1)",
        "'=x",
        "-2+3",
    ]) {
        assert_eq!(cleanse::output::sheet::unguard(&row[1]), original);
    }
    assert_eq!(corrected.rows.len() + out.rejected("people").rows.len(), 5);
}

#[test]
fn a_file_that_is_not_text_gets_one_clear_refusal() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let dir = setup(png, "");
    let out = dir.run(&[]).expect_code(2);
    assert_eq!(out.stderr.matches("error").count(), 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("people.csv:1: this is not a text file: it looks like a PNG image"),
        "{}",
        out.stderr
    );
    let dir = setup(b"PK\x03\x04\x14\0\x06\0", "");
    let out = dir.run(&[]).expect_code(2);
    assert!(out.stderr.contains("an Excel workbook (.xlsx)"), "{}", out.stderr);
    let dir = setup(b"ID\0,N\0\0\0\x01\x02", "");
    let out = dir.run(&[]).expect_code(2);
    assert!(out.stderr.contains("this is not a text file;"), "{}", out.stderr);
}

#[test]
fn a_title_above_the_header_is_named_and_can_be_skipped() {
    let export = format!("Contacts report, Northfield\nRun on 31/03/2026\n\n{}", people(2));
    let dir = setup(&export, "");
    let out = dir.run(&[]).expect_code(2);
    assert_eq!(
        out.stderr.matches("error").count(),
        1,
        "one message, not one per column: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("people.csv:1: the header seems to start on line 4")
            && out.stderr.contains("`skip_lines: 3`"),
        "{}",
        out.stderr
    );
    let dir = setup(&export, "skip_lines: 3");
    let out = run(&dir);
    assert!(out.findings.is_empty(), "{:?}", out.findings);
    assert_eq!(out.corrected("people").rows.len(), 2);
    // Lines are still the export's own: P2 is on line 6.
    let dir = setup(export.replace("P2,Name 2,", "P2,Name 2,x,"), "skip_lines: 3");
    let out = run(&dir);
    assert!(out.rules_on_line("people", 6).contains("ingest.ragged_row"));
}

#[test]
fn a_repeated_header_is_named_as_such() {
    let export = "Person ID,Full Name,Date of Birth,Date Seen,Number of Visits,Sex,Full Name\nP1,A,,,,,B\n";
    let dir = setup(export, "");
    let out = dir.run(&[]).expect_code(2);
    assert!(
        out.stderr
            .contains("people.csv:1:7: the header `Full Name` appears twice, in columns 2 and 7; remove or rename one"),
        "{}",
        out.stderr
    );
}

#[test]
fn outputs_written_as_text_still_parse_as_the_same_rows() {
    // Row conservation with guarded values: every row is in exactly one output.
    let export = format!("{HEADER}\nP1,-x,{ROW}\nP2,=1,01/02/2010,01/03/2020,99,a) Male\nP3,ok,{ROW},extra\n");
    let dir = setup(export, "");
    let out = run(&dir);
    let c = out.corrected("people");
    let r = out.rejected("people");
    assert_eq!(c.rows.len() + r.rows.len(), 3);
    assert_eq!(
        Csv::parse(&dir.read_bytes("out/latest/corrected/people.csv")).rows[0][1],
        "'-x"
    );
}

#[test]
fn a_quote_never_closed_in_a_large_export_stops_the_run_before_it_fills_memory() {
    // 80 MB after a quote that never closes: more than one record may hold (64 MiB).
    let mut export = people(2);
    export.push_str("P3,\"Cy,01/02/2010,01/03/2020,3,a) Male\n");
    let line = format!("P9,Name 9,{ROW},{}\n", "x".repeat(60));
    export.push_str(&line.repeat(80_000_000 / line.len()));
    let dir = setup(export, "");
    let out = dir.run(&[]).expect_code(2);
    assert!(
        out.stderr
            .contains("people.csv:4: the record starting on this line runs over more than 64 MiB"),
        "{}",
        out.stderr
    );
    assert!(!dir.exists("out/latest"), "nothing published");
}

#[test]
fn a_pack_name_is_a_label_never_a_path() {
    let dir = setup(people(2), "");
    dir.write("pack.yaml", PACK.replace("pack: messy", "pack: ../../../evil"));
    std::fs::create_dir_all(dir.join("deep/er")).unwrap();
    let out = dir
        .cleanse()
        .args(["--quiet", "run", "--out", "deep/er/out", "--as-of", "2026-03-31"])
        .output()
        .expect_code(0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let outside: Vec<String> = tree(dir.path())
        .into_iter()
        .filter(|p| !p.starts_with("deep/er/out"))
        .collect();
    assert_eq!(outside, ["cleanse.yaml", "deep", "deep/er", "pack.yaml", "people.csv"]);
    let run: serde_json::Value = serde_json::from_str(&dir.read("deep/er/out/latest/run.json")).unwrap();
    assert_eq!(run["rule_packs"][0]["name"], "../../../evil");
}

#[test]
fn the_checks_every_export_gets_are_explained() {
    let dir = Dir::new();
    for id in [
        "ingest.unclosed_quote",
        "ingest.ragged_row",
        "ingest.blank_row",
        "ingest.encoding",
    ] {
        let out = dir.cleanse().args(["explain", id]).output().expect_code(0);
        assert!(
            out.stdout.starts_with(&format!("{id}: a check every export gets")),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn a_quote_or_line_break_is_not_a_delimiter() {
    let dir = setup(people(1), "delimiter: '\"'");
    let out = dir.run(&[]).expect_code(2);
    assert!(
        out.stderr
            .contains("error[bad-delimiter]: a quote or a line break cannot be the delimiter"),
        "{}",
        out.stderr
    );
}
