//! Reference data besides the exports: the ONS postcode directory and the council's own code,
//! which the SSDA903 placement rules read (placement distance, local authority, location).

use crate::util::{Dir, repo};

/// A directory in the ONSPD's layout (fictional postcodes): Northfield, a district of a county,
/// Wales, far Scotland.
const ONSPD: &str = "pcd,pcd2,pcds,dointr,doterm,oscty,oslaua,oseast1m,osnrth1m,ctry\n\
NF1 1AA,NF1  1AA,NF1 1AA,198001,,E99999999,E06000990,430000,560000,E92000001\n\
NF2 2BB,NF2  2BB,NF2 2BB,198001,,E99999999,E06000990,432000,561000,E92000001\n\
CT1 1AA,CT1  1AA,CT1 1AA,198001,,E10000990,E07000991,445000,575000,E92000001\n\
WR1 1AA,WR1  1AA,WR1 1AA,198001,,,W06000990,330000,280000,W92000004\n\
SH1 1AA,SH1  1AA,SH1 1AA,198001,,,S12000990,440000,1140000,S92000003\n";

const EPISODES: &str = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n\
C1,01/05/2025,S,C2,N1,K2,PR1,,,,NF1 1AA,NF2 2BB,SC100001\n\
C2,01/05/2025,S,C2,N1,K2,PR1,,,,NF1 1AA,CT1 1AA,SC100002\n\
C3,01/05/2025,S,C2,N1,U1,PR4,,,,NF1 1AA,SH1 1AA,\n\
C4,01/05/2025,S,C2,N1,U1,PR4,,,,nf11aa,NF9 9ZZ,\n";

/// A return of episodes checked with the SSDA903 pack; `extra` adds configuration lines.
fn placements(extra: &str) -> Dir {
    let dir = Dir::new();
    let pack = repo().join("rules/ssda903/2025-26.yaml");
    dir.write(
        "cleanse.yaml",
        format!(
            "name: t\ncollection_year: 2025-26\n{extra}rules:\n  - {}\ninputs:\n  - {{ table: episodes, file: episodes.csv }}\n",
            pack.display()
        ),
    );
    dir.write("episodes.csv", EPISODES);
    dir.write("onspd.csv", ONSPD);
    dir
}

/// The lines of `exceptions.csv` a rule reported, as (line, status).
fn reported(dir: &Dir, rule: &str) -> Vec<(String, String)> {
    let mut reader = csv::Reader::from_path(dir.join("out/latest/exceptions.csv")).unwrap();
    reader
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[5] == rule)
        .map(|r| (r[2].to_string(), r[7].to_string()))
        .collect()
}

#[test]
fn placements_are_placed_by_the_postcode_directory() {
    let dir = placements("local_authority: E06000990\npostcodes: { file: onspd.csv }\n");
    let out = dir.run(&[]);
    assert!(out.code <= 1, "{}", out.stderr);
    let new = |lines: &[&str]| -> Vec<(String, String)> {
        lines.iter().map(|l| (l.to_string(), "new".to_string())).collect()
    };
    // Own provision placed in a county district.
    assert_eq!(reported(&dir, "1015"), new(&["3"]));
    // 360 miles from home.
    assert_eq!(reported(&dir, "454"), new(&["4"]));
    // A postcode the directory does not list (the home postcode matches in any case or spacing).
    assert_eq!(reported(&dir, "392c"), new(&["5"]));
    assert_eq!(reported(&dir, "169"), new(&["5"]));
    // The run records the directory it read.
    let run: serde_json::Value = serde_json::from_str(&dir.read("out/latest/run.json")).unwrap();
    let r = &run["references"][0];
    assert_eq!(r["reference"], "postcodes");
    assert_eq!(r["rows"], 5);
    assert_eq!(r["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn without_the_directory_the_placement_rules_are_not_checked_and_say_what_to_give() {
    let dir = placements("");
    let out = dir.run(&[]);
    assert!(out.code <= 1, "{}", out.stderr);
    for rule in ["169", "392c", "454", "1015", "503G"] {
        let lines = reported(&dir, rule);
        assert_eq!(lines, [(String::new(), "not checked".to_string())], "{rule}");
    }
    let exceptions = dir.read("out/latest/exceptions.csv");
    assert!(
        exceptions.contains(
            "Not checked: no postcode directory was given (add `postcodes: { file: ... }` to the configuration"
        ),
        "{exceptions}"
    );
    let rules = dir.read("out/latest/rules.csv");
    assert!(
        rules.contains("\n454,episodes,error,0,1,\"no postcode directory was given"),
        "{rules}"
    );
    // The directory alone: the rules comparing with the council's own code still say what is missing.
    let dir = placements("postcodes: { file: onspd.csv }\n");
    assert!(dir.run(&[]).code <= 1);
    assert!(reported(&dir, "454").iter().all(|(_, s)| s == "new"));
    let exceptions = dir.read("out/latest/exceptions.csv");
    assert!(
        exceptions.contains("1015,error,not checked,,PLACE_PROVIDER; PL_POST,,\"Not checked: the council's local authority code was not given (add `local_authority: E...`"),
        "{exceptions}"
    );
}

#[test]
fn a_directory_that_does_not_read_is_named_by_line_and_column() {
    let dir = placements("local_authority: E06000990\npostcodes: { file: onspd.csv }\n");
    // The rows of postcodes the exports hold are read (a row no export names is passed over).
    dir.write(
        "onspd.csv",
        format!("{ONSPD}NF9 9ZZ,NF9  9ZZ,NF9 9ZZ,198001,,E99999999,E06000990,43O000,560000,E92000001\n"),
    );
    let out = dir.run(&[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("onspd.csv:7:8: not a postcode directory: `43O000` is not a grid reference in metres"),
        "{}",
        out.stderr
    );
    assert!(!dir.exists("out/latest"));
    // A file that is not a directory at all.
    dir.write("onspd.csv", EPISODES);
    let out = dir.run(&[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("onspd.csv:1: not a postcode directory: the header has no postcode column"),
        "{}",
        out.stderr
    );
}

#[test]
fn reference_settings_are_checked_where_they_are_written() {
    let dir = placements("local_authority: Northfield\npostcodes: { file: onspd.csv }\n");
    let out = dir.cleanse().args(["check", "cleanse.yaml"]).output();
    assert_ne!(out.code, 0);
    assert!(
        out.stdout
            .contains("error[bad-local-authority]: `Northfield` is not a local authority code"),
        "{}",
        out.stdout
    );
    // A row-by-row rule cannot read reference data: it is told to be a `query`.
    dir.write(
        "pack.yaml",
        "pack: p\nversion: 1.0.0\ntables:\n  episodes:\n    columns:\n      - { name: pl_post, header: PL_POST }\nrules:\n  - id: LA\n    table: episodes\n    kind: check\n    check: postcode_la(pl_post) = local_authority()\n    message: Placed out of area.\n",
    );
    let out = dir.cleanse().args(["check", "pack.yaml"]).output();
    assert_ne!(out.code, 0);
    assert!(
        out.stdout
            .contains("error[reference-outside-query]: `postcode_la()` reads reference data"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("write this rule as `kind: query`"),
        "{}",
        out.stdout
    );
}
