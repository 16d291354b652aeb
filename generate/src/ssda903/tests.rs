//! Tests of the SSDA903 generator: determinism, the DfE's headers, a clean return checked by an
//! independent mini-checker written from the DfE's rules (not from the generator's code), and
//! the planted problems' ground truth.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;

use chrono::{Datelike, Months, NaiveDate};

use super::*;

fn opts(seed: u64, children: usize, plant: bool) -> Ssda903Options {
    Ssda903Options {
        seed,
        children,
        year: 2025,
        plant,
        last_year: true,
    }
}

fn write(o: &Ssda903Options) -> (tempfile::TempDir, Ssda903Summary) {
    let dir = tempfile::tempdir().unwrap();
    let s = generate_ssda903(o, Path::new("rules/ssda903/2025-26.yaml"), dir.path()).unwrap();
    (dir, s)
}

/// The files, as the DfE's data specification has them.
const DFE: [(&str, &str); 11] = [
    ("header.csv", "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB"),
    (
        "episodes.csv",
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN",
    ),
    ("reviews.csv", "CHILD,DOB,REVIEW,REVIEW_CODE"),
    ("uasc.csv", "CHILD,SEX,DOB,DUC"),
    (
        "oc2.csv",
        "CHILD,DOB,SDQ_SCORE,SDQ_REASON,CONVICTED,HEALTH_CHECK,IMMUNISATIONS,TEETH_CHECK,HEALTH_ASSESSMENT,\
         SUBSTANCE_MISUSE,INTERVENTION_RECEIVED,INTERVENTION_OFFERED",
    ),
    ("oc3.csv", "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM"),
    (
        "ad1.csv",
        "CHILD,DOB,DATE_INT,DATE_MATCH,FOSTER_CARE,NB_ADOPTR,SEX_ADOPTR,LS_ADOPTR",
    ),
    (
        "placed_for_adoption.csv",
        "CHILD,DOB,DATE_PLACED,DATE_PLACED_CEASED,REASON_PLACED_CEASED",
    ),
    ("previous_permanence.csv", "CHILD,DOB,PREV_PERM,LA_PERM,DATE_PERM"),
    ("missing.csv", "CHILD,DOB,MISSING,MIS_START,MIS_END"),
    ("sw_episodes.csv", "CHILD,DOB,SW_ID,SW_DECOM,SW_DEC,SW_REASON"),
];

/// A table as read back: its rows as column → value maps.
struct Table {
    rows: Vec<HashMap<String, String>>,
}

impl Table {
    fn read(path: &Path) -> Table {
        let text = fs::read_to_string(path).unwrap();
        assert!(
            !text.contains("\n\n") && !text.contains('\r') && !text.contains('"'),
            "{}",
            path.display()
        );
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let rows = lines
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                assert_eq!(f.len(), header.len(), "{}: {l}", path.display());
                header
                    .iter()
                    .zip(f)
                    .map(|(h, v)| (h.to_string(), v.to_string()))
                    .collect()
            })
            .collect();
        Table { rows }
    }
}

fn date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    (b.len() == 10 && b[2] == b'/' && b[5] == b'/')
        .then(|| NaiveDate::parse_from_str(s, "%d/%m/%Y").ok())
        .flatten()
}

fn years(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_months(Months::new(12 * n)).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn the_same_options_give_identical_files_and_another_seed_does_not() {
    let read = |o: &Ssda903Options| {
        let (dir, _) = write(o);
        let mut files = Vec::new();
        for sub in ["", "last"] {
            for (f, _) in DFE {
                files.push(fs::read(dir.path().join(sub).join(f)).unwrap());
            }
        }
        files.push(fs::read(dir.path().join("ground_truth.csv")).unwrap());
        files.push(fs::read(dir.path().join("postcodes.csv")).unwrap());
        files
    };
    assert!(read(&opts(7, 400, true)) == read(&opts(7, 400, true)));
    assert!(read(&opts(7, 400, true)) != read(&opts(8, 400, true)));
    // This year's files do not depend on whether last year's were asked for.
    let (a, _) = write(&opts(9, 300, false));
    let (b, _) = write(&Ssda903Options {
        last_year: false,
        ..opts(9, 300, false)
    });
    for (f, _) in DFE {
        assert_eq!(
            fs::read(a.path().join(f)).unwrap(),
            fs::read(b.path().join(f)).unwrap(),
            "{f}"
        );
    }
    assert!(!b.path().join("last").exists());
}

#[test]
fn every_file_has_the_dfes_header_and_the_configuration_names_them() {
    let (dir, summary) = write(&opts(3, 300, true));
    for sub in ["", "last"] {
        for (file, header) in DFE {
            let text = fs::read_to_string(dir.path().join(sub).join(file)).unwrap();
            assert_eq!(text.lines().next().unwrap(), header, "{sub}/{file}");
            assert!(text.ends_with('\n'));
        }
    }
    assert_eq!(summary.rows.len(), 11);
    assert!(summary.rows.iter().all(|(_, n)| *n > 0), "{:?}", summary.rows);
    let config = fs::read_to_string(dir.path().join("cleanse.yaml")).unwrap();
    assert!(config.contains("collection_year: 2025-26\n") && config.contains("as_of: 2026-03-31\n"));
    assert!(config.contains("2025-26.yaml"));
    assert!(
        config.contains("as_of: 2026-03-31\nlocal_authority: E06000990\npostcodes: { file: postcodes.csv }\n"),
        "{config}"
    );
    let directory = Directory::read(dir.path());
    assert_eq!(directory.rows, summary.postcodes);
    for (name, file) in [
        ("header", "header.csv"),
        ("placed_adoption", "placed_for_adoption.csv"),
        ("prev_perm", "previous_permanence.csv"),
        ("sw_episodes", "sw_episodes.csv"),
        ("header_last", "last/header.csv"),
        ("episodes_last", "last/episodes.csv"),
        ("uasc_last", "last/uasc.csv"),
        ("oc3_last", "last/oc3.csv"),
        ("placed_adoption_last", "last/placed_for_adoption.csv"),
        ("missing_last", "last/missing.csv"),
    ] {
        assert!(config.contains(&format!("{{ table: {name}, file: {file} }}")), "{name}");
    }
}

/// The return for 2025/26 (and last year's) read back.
struct Return {
    t: HashMap<&'static str, Table>,
    last: HashMap<&'static str, Table>,
}

impl Return {
    fn read(dir: &Path) -> Return {
        let names = [
            "header",
            "episodes",
            "reviews",
            "uasc",
            "oc2",
            "oc3",
            "ad1",
            "p4a",
            "prev_perm",
            "missing",
            "sw",
        ];
        let load = |sub: &str| {
            names
                .iter()
                .zip(DFE)
                .map(|(n, (f, _))| (*n, Table::read(&dir.join(sub).join(f))))
                .collect()
        };
        Return {
            t: load(""),
            last: load("last"),
        }
    }

    fn rows(&self, t: &str) -> &[HashMap<String, String>] {
        &self.t[t].rows
    }

    fn by_child(rows: &[HashMap<String, String>]) -> HashMap<&str, Vec<&HashMap<String, String>>> {
        let mut m: HashMap<&str, Vec<_>> = HashMap::new();
        for r in rows {
            m.entry(r["CHILD"].as_str()).or_default().push(r);
        }
        m
    }
}

/// Problems an independent reading of the DfE's rules finds in a return (code, child).
fn check(ret: &Return) -> Vec<(String, String)> {
    let (start, end) = (d(2025, 4, 1), d(2026, 3, 31));
    let mut bad = Vec::new();
    let mut flag = |code: &str, child: &str| bad.push((code.to_string(), child.to_string()));
    const ETHNIC: [&str; 20] = [
        "WBRI", "WIRI", "WOTH", "WIRT", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN", "AOTH", "BCRB",
        "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
    ];
    let upn_ok = |u: &str| {
        let b = u.as_bytes();
        matches!(u, "UN1" | "UN2" | "UN3" | "UN4" | "UN5")
            || (b.len() == 13
                && b[0].is_ascii_uppercase()
                && !b"IOS".contains(&b[0])
                && b[1..].iter().all(u8::is_ascii_digit))
    };

    let mut dob: HashMap<&str, NaiveDate> = HashMap::new();
    let mut seen_upn = HashSet::new();
    for h in ret.rows("header") {
        let child = h["CHILD"].as_str();
        if !["M", "F", "U"].contains(&h["SEX"].as_str()) {
            flag("101", child);
        }
        match date(&h["DOB"]) {
            Some(b) if b <= end && years(b, 25) >= start => {
                dob.insert(child, b);
            }
            _ => flag("102/301/351", child),
        }
        if !ETHNIC.contains(&h["ETHNIC"].as_str()) {
            flag("103", child);
        }
        if !upn_ok(&h["UPN"]) {
            flag("168", child);
        }
        if !h["UPN"].starts_with("UN") && !seen_upn.insert(h["UPN"].clone()) {
            flag("444", child);
        }
        if h["MOTHER"] == "1" && date(&h["MC_DOB"]).is_none_or(|m| Some(m) <= date(&h["DOB"])) {
            flag("611/621", child);
        }
        if h["MOTHER"] != "1" && !h["MC_DOB"].is_empty() {
            flag("612/174", child);
        }
    }
    if dob.len() != ret.rows("header").len() {
        flag("INT32", "");
    }

    let eps = Return::by_child(ret.rows("episodes"));
    let placement = |e: &HashMap<String, String>| ["PLACE", "PL_POST", "URN", "PLACE_PROVIDER"].map(|c| e[c].clone());
    let mut continuous = HashSet::new();
    for (child, list) in &eps {
        let Some(&b) = dob.get(child) else {
            flag("INT03", child);
            continue;
        };
        let mut cla = true;
        for (k, e) in list.iter().enumerate() {
            let Some(decom) = date(&e["DECOM"]) else {
                flag("141", child);
                continue;
            };
            let dec = date(&e["DEC"]);
            let (place, provider, ls, rne) = (e["PLACE"].as_str(), e["PLACE_PROVIDER"].as_str(), &e["LS"], &e["RNE"]);
            if decom > end || dec.is_some_and(|x| x <= decom || x > end) || dec.is_some() == e["REC"].is_empty() {
                flag("354/355/356/385/148", child);
            }
            if (place == "P1") != (provider == "PR0")
                || (place.starts_with('T') || place.starts_with('Z')) != provider.is_empty()
            {
                flag("178/213/526/550", child);
            }
            if place.starts_with('T') && (rne != "P" || e["REC"] != "X1" || !e["REASON_PLACE_CHANGE"].is_empty()) {
                flag("226/380/381", child);
            }
            if place == "P1" && ls == "V2" || matches!(place, "A5" | "A6") && ls != "E1" {
                flag("378/408", child);
            }
            if (place != "P1" && e["HOME_POST"] == e["PL_POST"] && !e["PL_POST"].is_empty())
                || (matches!(ls.as_str(), "V3" | "V4")
                    && !(e["HOME_POST"].is_empty() && e["PL_POST"].is_empty() && e["URN"].is_empty()))
            {
                flag("392d/398/214", child);
            }
            if rne == "S" && decom >= years(b, 18) || dec.is_none() && years(b, 18) < end {
                flag("352/359", child);
            }
            if rne == "S" && decom > start
                || e["REC"] != "X1" && dec.is_some_and(|x| x >= start && x < end)
                || ls == "V3"
            {
                cla = false;
            }
            if k == 0 {
                if decom >= start && rne != "S" {
                    flag("357", child);
                }
                continue;
            }
            let p = list[k - 1];
            let (pdec, prec) = (date(&p["DEC"]), p["REC"].as_str());
            if date(&p["DECOM"]).is_none() {
                continue;
            }
            match prec {
                "X1" if pdec != Some(decom) => flag("388/433/501", child),
                "X1" => {}
                _ if rne != "S" || pdec.is_none_or(|x| x >= decom) => flag("431/432", child),
                _ => {}
            }
            let (same_ls, same_place) = (p["LS"] == *ls, placement(p) == placement(e));
            let ok = match rne.as_str() {
                "S" => true,
                "L" => !same_ls && same_place,
                "P" | "T" => same_ls && !same_place,
                _ => !same_ls && !same_place,
            };
            if !ok {
                flag("434/435/436", child);
            }
            if prec == "X1" && p["CIN"] != e["CIN"] {
                flag("504", child);
            }
            let temp = |x: &str| x.starts_with('T');
            if prec == "X1"
                && ["P", "B", "T", "U"].contains(&rne.as_str())
                && !temp(&p["PLACE"])
                && !temp(place)
                && p["REASON_PLACE_CHANGE"].is_empty()
            {
                flag("225", child);
            }
        }
        if cla {
            continuous.insert(*child);
        }
    }
    for h in ret.rows("header") {
        let child = h["CHILD"].as_str();
        if !eps.contains_key(child) && !ret.rows("oc3").iter().any(|o| o["CHILD"] == child) {
            flag("EPI", child);
        }
    }
    let oc2: HashSet<&str> = ret.rows("oc2").iter().map(|r| r["CHILD"].as_str()).collect();
    if oc2 != continuous {
        flag("191/185", "");
    }
    for r in ret.rows("oc2") {
        if oc2.contains(r["CHILD"].as_str()) && ret.rows("oc2").iter().filter(|o| o["CHILD"] == r["CHILD"]).count() > 1
        {
            flag("INT33", &r["CHILD"]);
        }
        let Some(&b) = dob.get(r["CHILD"].as_str()) else {
            flag("INT05", &r["CHILD"]);
            continue;
        };
        let sdq_due = years(b, 4) <= end && years(b, 17) >= start;
        if sdq_due == (r["SDQ_SCORE"].is_empty() && r["SDQ_REASON"].is_empty())
            || (years(b, 10) <= end) == r["CONVICTED"].is_empty()
            || (years(b, 5) > end) == r["HEALTH_CHECK"].is_empty()
        {
            flag("186/542/545", &r["CHILD"]);
        }
    }
    for r in ret.rows("reviews") {
        let (Some(review), Some(&b)) = (date(&r["REVIEW"]), dob.get(r["CHILD"].as_str())) else {
            flag("166/INT08", &r["CHILD"]);
            continue;
        };
        if (r["REVIEW_CODE"] == "PN0") != (review < years(b, 4)) {
            flag("440/441", &r["CHILD"]);
        }
    }
    // Missing episodes inside an episode of care, and no two overlapping.
    for (child, list) in Return::by_child(ret.rows("missing")) {
        let mut prev_end = None;
        for m in list {
            let (Some(s), Some(child_eps)) = (date(&m["MIS_START"]), eps.get(child)) else {
                flag("1004/INT04", child);
                continue;
            };
            let e = date(&m["MIS_END"]);
            let inside = child_eps.iter().any(|ep| {
                date(&ep["DECOM"]).is_some_and(|x| x <= s) && date(&ep["DEC"]).is_none_or(|x| e.unwrap_or(end) <= x)
            });
            if !inside || e.is_some_and(|x| x < s || x > end) || prev_end.is_some_and(|p| s <= p) {
                flag("571/574/577/581", child);
            }
            prev_end = Some(e.unwrap_or(end));
        }
    }
    // Social workers: from the start of care, no gaps over a week, the last one open.
    for (child, list) in Return::by_child(ret.rows("sw")) {
        for (k, s) in list.iter().enumerate() {
            let Some(start) = date(&s["SW_DECOM"]) else {
                flag("SW04", child);
                continue;
            };
            let last = k + 1 == list.len();
            if last != s["SW_DEC"].is_empty() || !s["SW_ID"].starts_with("SW") || s["SW_REASON"].is_empty() {
                flag("SW08/SW17/SW02/SW13", child);
            }
            if k > 0 {
                let prev = date(&list[k - 1]["SW_DEC"]);
                if prev.is_none_or(|prev| (start - prev).num_days().abs() > 7) || s["SW_REASON"] == "FCONTA" {
                    flag("SW10", child);
                }
            }
        }
        let first = eps[child][0];
        if first["RNE"] == "S" && date(&list[0]["SW_DECOM"]) < date(&first["DECOM"]) {
            flag("SW12", child);
        }
    }
    // Last year's open episodes continue this year, as they were.
    for e in &ret.last["episodes"].rows {
        if !e["DEC"].is_empty() {
            continue;
        }
        let same = |f: &HashMap<String, String>| {
            f["CHILD"] == e["CHILD"]
                && ["DECOM", "RNE", "LS", "CIN", "PLACE_PROVIDER", "URN", "PL_POST"]
                    .iter()
                    .all(|c| f[*c] == e[*c])
        };
        if !ret.rows("episodes").iter().any(same) {
            flag("502/503/562", &e["CHILD"]);
        }
    }
    bad
}

/// The postcode directory as read back by its ONSPD header, as the DfE's validator and Cleanse
/// read it: a postcode, upper case without spaces, to its grid reference and the local authority
/// of placement the DfE derives (the county, or the district where the county is blank or a
/// pseudo code; WAL and SCO outside England).
struct Directory {
    places: HashMap<String, (Option<(f64, f64)>, String)>,
    rows: usize,
}

const LA: &str = "E06000990";

impl Directory {
    fn read(dir: &Path) -> Directory {
        let text = fs::read_to_string(dir.join("postcodes.csv")).unwrap();
        let header = text.lines().next().unwrap();
        assert!(
            header.starts_with("pcd,pcds,dointr,doterm,oscty,oslaua,oseast1m,osnrth1m"),
            "{header}"
        );
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let names: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
        let col = |n: &str| names.iter().position(|h| h == n).unwrap();
        let (pcds, pcd, east, north, lower, county) = (
            col("pcds"),
            col("pcd"),
            col("oseast1m"),
            col("osnrth1m"),
            col("oslaua"),
            col("oscty"),
        );
        let mut places = HashMap::new();
        let mut rows = 0;
        let mut last_pcd = String::new();
        for rec in r.records() {
            let rec = rec.unwrap();
            rows += 1;
            // Sorted by pcd (the outward code padded to four), as the ONS sorts its file.
            assert!(rec[pcd] > *last_pcd, "{:?}", rec);
            last_pcd = rec[pcd].to_string();
            assert_eq!(rec[pcd].len(), 7);
            assert_eq!(rec[pcd].replace(' ', ""), rec[pcds].replace(' ', ""));
            let grid = (!rec[east].is_empty()).then(|| (rec[east].parse().unwrap(), rec[north].parse().unwrap()));
            assert_eq!(rec[north].is_empty(), grid.is_none());
            let (district, cty) = (&rec[lower], &rec[county]);
            let la = match district.as_bytes()[0] {
                b'W' => "WAL".to_string(),
                b'S' => "SCO".to_string(),
                _ if cty.is_empty() || cty == "E99999999" => district.to_string(),
                _ => cty.to_string(),
            };
            let old = places.insert(rec[pcds].replace(' ', ""), (grid, la));
            assert!(old.is_none(), "listed twice: {}", &rec[pcds]);
        }
        Directory { places, rows }
    }

    fn place(&self, postcode: &str) -> Option<&(Option<(f64, f64)>, String)> {
        self.places.get(&postcode.to_uppercase().replace(' ', ""))
    }

    /// The DfE's derived PL_LA, PL_LOCATION and PL_DISTANCE of an episode.
    fn derive(&self, e: &HashMap<String, String>) -> (Option<String>, Option<&'static str>, Option<f64>) {
        let pl = self.place(&e["PL_POST"]);
        let la = pl.map(|p| p.1.clone());
        let location = la.as_deref().map(|la| if la == LA { "IN" } else { "OUT" });
        let distance = match (self.place(&e["HOME_POST"]), pl) {
            (Some((Some((he, hn)), _)), Some((Some((pe, pn)), _))) => {
                let m = ((he - pe).powi(2) + (hn - pn).powi(2)).sqrt() / 1000.0 / 1.6093;
                Some((m * 10.0).round() / 10.0)
            }
            _ => None,
        };
        (la, location, distance)
    }
}

/// The postcode rules, read from the DfE's: (code, episodes line) for each row one flags.
fn check_geography(ret: &Return, dir: &Directory) -> HashSet<(String, usize)> {
    let mut bad = HashSet::new();
    let uasc: HashSet<&str> = ret.t["uasc"]
        .rows
        .iter()
        .chain(&ret.last["uasc"].rows)
        .map(|r| r["CHILD"].as_str())
        .collect();
    let fostering = ["A3", "A4", "A5", "A6", "U1", "U2", "U3", "U4", "U5", "U6", "K3"];
    let no_urn = [
        "P1", "P3", "R1", "R2", "R5", "T0", "T1", "T2", "T3", "T4", "Z11", "Z12", "Z13", "Z14",
    ];
    for (k, e) in ret.rows("episodes").iter().enumerate() {
        let line = k + 2;
        let mut flag = |code: &str| bad.insert((code.to_string(), line));
        let short = matches!(e["LS"].as_str(), "V3" | "V4");
        let (la, _, distance) = dir.derive(e);
        let child = e["CHILD"].as_str();
        if !short && la.is_none() {
            flag("169");
            flag("179");
        }
        if ["HOME_POST", "PL_POST"]
            .iter()
            .any(|c| !e[*c].is_empty() && dir.place(&e[*c]).is_none())
        {
            flag("392c");
        }
        if !short && !uasc.contains(child) && distance.is_none() {
            flag("392a");
        }
        if uasc.contains(child) && distance.is_some() {
            flag("406");
        }
        if short && la.is_some() {
            flag("420");
        }
        if distance.is_some_and(|d| d > 350.0) {
            flag("454");
        }
        let abroad = la.as_deref().is_some_and(|l| l == "WAL" || l == "SCO");
        let (place, urn) = (e["PLACE"].as_str(), e["URN"].as_str());
        if e["PLACE_PROVIDER"] == "PR1" && !fostering.contains(&place) && !short && la.as_deref() != Some(LA) {
            flag("1015");
        }
        if !no_urn.contains(&place) && urn.is_empty() && !abroad {
            flag("218");
        }
        if place == "K3" && !urn.is_empty() && urn != "XXXXXXX" && la.as_deref() != Some(LA) {
            flag("241");
        }
        if abroad && !urn.is_empty() {
            flag("243");
        }
    }
    // Year on year: each child's first episode against last year's last, if it was open.
    let mut first: HashMap<&str, (usize, &HashMap<String, String>)> = HashMap::new();
    for (k, e) in ret.rows("episodes").iter().enumerate() {
        let f = first.entry(e["CHILD"].as_str()).or_insert((k + 2, e));
        if date(&e["DECOM"]) < date(&f.1["DECOM"]) {
            *f = (k + 2, e);
        }
    }
    for (child, before) in Return::by_child(&ret.last["episodes"].rows) {
        let (Some(&(l, now)), Some(then)) = (first.get(child), before.iter().max_by_key(|e| date(&e["DECOM"]))) else {
            continue;
        };
        if !then["DEC"].is_empty() {
            continue;
        }
        let ((la, loc, dist), (la0, loc0, dist0)) = (dir.derive(now), dir.derive(then));
        if la != la0 {
            bad.insert(("452".into(), l));
            bad.insert(("503H".into(), l));
        }
        if loc != loc0 {
            bad.insert(("503J".into(), l));
        }
        if dist.zip(dist0).is_some_and(|(a, b)| (a - b).abs() >= 0.2) || (dist.is_some() && dist0.is_none()) {
            bad.insert(("453".into(), l));
            bad.insert(("503G".into(), l));
        }
    }
    bad
}

/// Ground-truth lines of `codes` in the episodes file.
fn truth_lines(dir: &Path, codes: &[&str]) -> HashSet<(String, usize)> {
    Table::read(&dir.join("ground_truth.csv"))
        .rows
        .iter()
        .filter(|t| t["file"] == "episodes.csv" && codes.contains(&t["code"].as_str()))
        .map(|t| (t["code"].clone(), t["line"].parse().unwrap()))
        .collect()
}

const POSTCODE_CODES: [&str; 18] = [
    "164", "169", "179", "218", "241", "243", "392a", "392c", "406", "411", "420", "452", "453", "454", "503G", "503H",
    "503J", "1015",
];

#[test]
fn a_clean_return_breaks_none_of_the_rules_an_independent_reading_checks() {
    for seed in [1, 2] {
        let (dir, summary) = write(&opts(seed, 1000, false));
        let ret = Return::read(dir.path());
        let bad = check(&ret);
        assert!(bad.is_empty(), "seed {seed}: {:?}", &bad[..bad.len().min(10)]);
        // The only ground-truth lines of a clean return are the children of sex U and the
        // placements over 350 miles from home, which the DfE queries.
        let truth = fs::read_to_string(dir.path().join("ground_truth.csv")).unwrap();
        assert!(
            truth
                .lines()
                .skip(1)
                .all(|l| l.starts_with("232,header,") || l.starts_with("454,episodes,")),
            "{truth}"
        );
        assert_eq!(summary.planted, truth.lines().count() - 1);

        // Placements: every postcode in the directory, a fifth or so outside Northfield, a few
        // in Wales and Scotland, and of the postcode rules only 454 (a few).
        let directory = Directory::read(dir.path());
        let mut places: HashMap<String, usize> = HashMap::new();
        for sub in [&ret.t, &ret.last] {
            for e in &sub["episodes"].rows {
                for c in ["HOME_POST", "PL_POST"] {
                    if !e[c].is_empty() {
                        let (_, la) = directory.place(&e[c]).unwrap_or_else(|| panic!("{c} {e:?}"));
                        if c == "PL_POST" {
                            *places.entry(la.clone()).or_default() += 1;
                        }
                    } else if c == "HOME_POST" && !matches!(e["LS"].as_str(), "V3" | "V4") {
                        assert!(
                            ret.t["uasc"]
                                .rows
                                .iter()
                                .chain(&ret.last["uasc"].rows)
                                .any(|u| u["CHILD"] == e["CHILD"])
                        );
                    }
                }
            }
        }
        let all: usize = places.values().sum();
        let share =
            |las: &[&str]| las.iter().map(|l| places.get(*l).copied().unwrap_or(0)).sum::<usize>() as f64 / all as f64;
        let out = 1.0 - share(&[LA]);
        assert!((0.17..0.27).contains(&out), "{places:?}");
        assert!((0.005..0.03).contains(&share(&["WAL", "SCO"])), "{places:?}");
        // The county's districts are its council (E10000990), never themselves.
        assert!(
            places.contains_key("E10000990") && !places.keys().any(|k| k.starts_with("E07")),
            "{places:?}"
        );
        assert!(directory.places.values().filter(|p| p.0.is_none()).count() >= 3);
        assert!(directory.rows >= places.len() + 300, "{}", directory.rows);
        let found = check_geography(&ret, &directory);
        assert!(found.iter().all(|(code, _)| code == "454"), "seed {seed}: {found:?}");
        assert_eq!(found, truth_lines(dir.path(), &POSTCODE_CODES), "seed {seed}");

        // Proportions of a council's return.
        let n = |t: &str| ret.rows(t).len() as f64 / 1000.0;
        let eps = Return::by_child(ret.rows("episodes"));
        assert_eq!(eps.len(), 1000);
        for (table, lo, hi) in [
            ("episodes", 1.5, 2.5),
            ("reviews", 1.2, 2.2),
            ("sw", 1.2, 2.0),
            ("oc2", 0.35, 0.6),
            ("oc3", 0.08, 0.2),
            ("uasc", 0.04, 0.12),
            ("missing", 0.2, 1.0),
            ("prev_perm", 0.2, 0.45),
            ("ad1", 0.01, 0.05),
        ] {
            assert!((lo..=hi).contains(&n(table)), "{table}: {} per child", n(table));
        }
        let codes = |col: &str| {
            ret.rows("episodes")
                .iter()
                .map(|e| e[col].clone())
                .collect::<HashSet<_>>()
        };
        for (col, want) in [
            ("RNE", &["S", "P", "L", "T", "U"][..]),
            ("LS", &["C1", "C2", "V2", "E1", "L1", "V3"]),
            ("PLACE", &["U1", "U3", "U4", "U6", "K2", "K3", "P1", "A6", "R1"]),
            ("REC", &["X1", "E4A", "E11", "E17", "E45", "E46", "E5", "E8", "E13"]),
        ] {
            let have = codes(col);
            assert!(want.iter().all(|c| have.contains(*c)), "{col}: {have:?}");
        }
        let sexes: HashSet<&str> = ret.rows("header").iter().map(|h| h["SEX"].as_str()).collect();
        assert!(sexes.contains("M") && sexes.contains("F"));
    }
}

/// Over many more children than the returns above: every placement is where its provider and
/// URN say (rules 218, 241, 243 and 1015 hold by construction, whatever the draw).
#[test]
fn placements_are_where_their_providers_and_urns_say() {
    let ctx = children::Ctx::new(5, 20_000, 2025, 0).unwrap();
    let mut h = children::History::default();
    let mut abroad = 0;
    for i in 0..ctx.children() {
        children::build(&ctx, i, &mut h);
        for e in h.eps.iter().filter(|e| !matches!(e.ls, "V3" | "V4")) {
            let (pl, post) = (e.pl, e.pl.post.expect("placed somewhere"));
            let what = format!("{pl:?} of child {i}");
            assert_eq!(pl.urn.is_some(), codes::needs_urn(pl.place) && post.england(), "{what}");
            let fostering = codes::is_foster(pl.place) || codes::is_adoption(pl.place) || pl.place == "K3";
            if pl.provider == Some("PR1") && !fostering || pl.place == "K3" {
                assert!(post.local(), "{what}");
            }
            if pl.place == "P1" {
                assert_eq!(pl.post, e.home);
            }
            abroad += usize::from(!post.england());
        }
    }
    assert!(abroad > 100, "{abroad}");
}

#[test]
fn planted_problems_are_listed_on_their_rows() {
    let (dir, summary) = write(&opts(11, 1500, true));
    let truth = Table::read(&dir.path().join("ground_truth.csv"));
    assert_eq!(summary.planted, truth.rows.len());
    let files: HashMap<&str, Vec<String>> = DFE
        .iter()
        .map(|(f, _)| {
            (
                *f,
                fs::read_to_string(dir.path().join(f))
                    .unwrap()
                    .lines()
                    .map(str::to_string)
                    .collect(),
            )
        })
        .collect();
    let mut codes = HashSet::new();
    for t in &truth.rows {
        let lines = &files[t["file"].as_str()];
        let line: usize = t["line"].parse().unwrap();
        assert!(line >= 2 && line <= lines.len(), "{t:?}");
        let row: Vec<&str> = lines[line - 1].split(',').collect();
        assert_eq!(row[0], t["child"], "{t:?}");
        assert!(!t["planted"].is_empty());
        codes.insert(t["code"].clone());
        // A few planted values, seen by the mini-checker's own reading.
        let get = |col: &str| {
            let header = DFE.iter().find(|(f, _)| *f == t["file"]).unwrap().1;
            row[header.split(',').position(|c| c == col).unwrap()]
        };
        match t["code"].as_str() {
            "101" => assert!(!["M", "F", "U"].contains(&get("SEX"))),
            "102" => assert!(date(get("DOB")).is_none()),
            "144" => assert_eq!(get("LS"), "V1"),
            "146" => assert!(["H5", "Z1"].contains(&get("PLACE"))),
            "178" => assert_eq!(get("PLACE_PROVIDER"), "PR6"),
            "442" => assert_eq!(get("UPN"), ""),
            "1006" => assert_eq!(get("MISSING"), "X"),
            "131" => assert_eq!(get("IN_TOUCH"), "Y"),
            "SW02STG1" => assert!(!get("SW_ID").starts_with("SW")),
            "355" => assert_eq!(get("DECOM"), get("DEC")),
            "356" => assert!(date(get("DEC")) < date(get("DECOM"))),
            _ => {}
        }
    }
    // Every postcode rule that can fail on derived values is planted, on the rows the rules
    // flag and no others (164 and 411 cannot: no UK distance is over 999.9 miles, and
    // PL_LOCATION is derived from PL_LA).
    let found = check_geography(&Return::read(dir.path()), &Directory::read(dir.path()));
    assert_eq!(found, truth_lines(dir.path(), &POSTCODE_CODES));
    for code in POSTCODE_CODES.iter().filter(|c| !["164", "411"].contains(*c)) {
        assert!(codes.contains(*code), "{code} not planted");
    }
    // Most kinds find a child at 1,500 children (a few need an adopted child, a mother...).
    let kinds: HashSet<&str> = plants::KINDS.iter().map(|k| k.id.trim_end_matches('b')).collect();
    let found = kinds.iter().filter(|k| codes.contains(**k)).count();
    assert!(
        found * 100 >= kinds.len() * 90,
        "{found} of {} kinds planted",
        kinds.len()
    );
    // And the rest of the return is as clean as ever: only planted children are flagged.
    let ret = Return::read(dir.path());
    let planted: HashSet<&str> = truth.rows.iter().map(|t| t["child"].as_str()).collect();
    let bad: Vec<_> = check(&ret)
        .into_iter()
        .filter(|(_, child)| !child.is_empty() && !planted.contains(child.as_str()))
        .collect();
    // Plants in last year's rows (a changed start, legal status...) show on this year's child.
    assert!(bad.iter().all(|(code, _)| code.starts_with("502")), "{bad:?}");
}

#[test]
fn years_before_2025_use_their_codes_and_the_year_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let o = Ssda903Options {
        year: 2024,
        ..opts(4, 200, false)
    };
    generate_ssda903(&o, Path::new("rules/ssda903/2024-25.yaml"), dir.path()).unwrap();
    let eps = Table::read(&dir.path().join("episodes.csv"));
    assert!(
        eps.rows
            .iter()
            .all(|e| !e["PLACE"].starts_with("Z1") || e["PLACE"] == "Z1")
    );
    let config = fs::read_to_string(dir.path().join("cleanse.yaml")).unwrap();
    assert!(config.contains("collection_year: 2024-25") && config.contains("as_of: 2025-03-31"));
    let bad = Ssda903Options { year: 1900, ..o };
    assert!(generate_ssda903(&bad, Path::new("x.yaml"), dir.path()).is_err());
    assert_eq!(d(2025, 4, 1).year(), 2025);
}
