//! Tests of the CIN census generator: a well-formed document in the schema's order,
//! determinism, UPN check letters, and a clean census checked by an independent mini-checker
//! written from the DfE's rules (`cin-rules.tsv` and the DfE validator's wording), not from the
//! generator's code; and the planted problems found by it on the lines the ground truth lists.
//!
//! The document is read by a small reader of its own (tags, text, entities, lines): the crate
//! has no XML parser, and the census needs no more.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;

use chrono::{Datelike, Months, NaiveDate, Weekday};

use super::*;

fn opts(seed: u64, children: usize, plant: bool) -> CinOptions {
    CinOptions {
        seed,
        children,
        year: 2025,
        plant,
    }
}

fn write(o: &CinOptions) -> (tempfile::TempDir, CinSummary) {
    let dir = tempfile::tempdir().unwrap();
    let s = generate_cin(o, Path::new("rules/cin/2025-26.yaml"), dir.path()).unwrap();
    (dir, s)
}

// ---------------------------------------------------------------------------------------------
// A small XML reader.

#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    line: usize,
    kids: Vec<usize>,
}

/// The document's elements (the root is node 0), or what is wrong with it.
fn parse(text: &str) -> Result<Vec<Node>, String> {
    let b = text.as_bytes();
    let (mut i, mut line) = (0, 1);
    let mut nodes: Vec<Node> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut roots = 0;
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.bytes().next().is_some_and(|c| c.is_ascii_alphabetic())
            && n.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
    };
    while i < b.len() {
        if b[i] == b'<' {
            let close = text[i..].find('>').ok_or(format!("line {line}: `<` never closed"))? + i;
            let tag = &text[i + 1..close];
            if tag.contains(['<', '\n']) {
                return Err(format!("line {line}: `<` or a line break inside a tag"));
            }
            if let Some(decl) = tag.strip_prefix('?') {
                if i != 0 || !decl.starts_with("xml version=\"1.0\" encoding=\"UTF-8\"?") {
                    return Err(format!("line {line}: declaration {tag}"));
                }
            } else if let Some(name) = tag.strip_prefix('/') {
                let open = stack.pop().ok_or(format!("line {line}: </{name}> closes nothing"))?;
                if nodes[open].name != name {
                    return Err(format!("line {line}: </{name}> closes <{}>", nodes[open].name));
                }
            } else {
                let (name, empty) = match tag.strip_suffix('/') {
                    Some(n) => (n, true),
                    None => (tag, false),
                };
                if !name_ok(name) {
                    return Err(format!("line {line}: bad name `{name}`"));
                }
                let id = nodes.len();
                nodes.push(Node {
                    name: name.to_string(),
                    line,
                    ..Node::default()
                });
                match stack.last() {
                    Some(&parent) => nodes[parent].kids.push(id),
                    None => roots += 1,
                }
                if !empty {
                    stack.push(id);
                }
            }
            i = close + 1;
        } else {
            let next = text[i..].find('<').map_or(b.len(), |k| k + i);
            let chunk = &text[i..next];
            line += chunk.matches('\n').count();
            let mut rest = chunk;
            while let Some(amp) = rest.find('&') {
                let ent = &rest[amp..];
                if !["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| ent.starts_with(e))
                {
                    return Err(format!("line {line}: bare &"));
                }
                rest = &rest[amp + 1..];
            }
            if !chunk.trim().is_empty() {
                let open = stack.last().ok_or(format!("line {line}: text outside the root"))?;
                nodes[*open].text.push_str(chunk.trim());
            }
            i = next;
        }
    }
    if let Some(&open) = stack.last() {
        return Err(format!("<{}> never closed", nodes[open].name));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(nodes)
}

/// The schema's order of each element's children (CIN census XSD 2024, `Sex` for
/// `GenderCurrent` from 2025).
const ORDER: &[(&str, &[&str])] = &[
    ("Message", &["Header", "Children"]),
    ("Header", &["CollectionDetails", "Source"]),
    ("CollectionDetails", &["Collection", "Year", "ReferenceDate"]),
    (
        "Source",
        &["SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo", "DateTime"],
    ),
    ("Children", &["Child"]),
    ("Child", &["ChildIdentifiers", "ChildCharacteristics", "CINdetails"]),
    (
        "ChildIdentifiers",
        &[
            "LAchildID",
            "UPN",
            "FormerUPN",
            "UPNunknown",
            "PersonBirthDate",
            "ExpectedPersonBirthDate",
            "Sex",
            "PersonDeathDate",
        ],
    ),
    ("ChildCharacteristics", &["Ethnicity", "Disabilities"]),
    ("Disabilities", &["Disability"]),
    (
        "CINdetails",
        &[
            "CINreferralDate",
            "ReferralSource",
            "PrimaryNeedCode",
            "CINclosureDate",
            "ReasonForClosure",
            "DateOfInitialCPC",
            "Assessments",
            "CINPlanDates",
            "Section47",
            "ReferralNFA",
            "ChildProtectionPlans",
        ],
    ),
    (
        "Assessments",
        &[
            "AssessmentActualStartDate",
            "AssessmentInternalReviewDate",
            "AssessmentAuthorisationDate",
            "FactorsIdentifiedAtAssessment",
        ],
    ),
    ("FactorsIdentifiedAtAssessment", &["AssessmentFactors"]),
    ("CINPlanDates", &["CINPlanStartDate", "CINPlanEndDate"]),
    (
        "Section47",
        &[
            "S47ActualStartDate",
            "InitialCPCtarget",
            "DateOfInitialCPC",
            "ICPCnotRequired",
        ],
    ),
    (
        "ChildProtectionPlans",
        &[
            "CPPstartDate",
            "CPPendDate",
            "InitialCategoryOfAbuse",
            "LatestCategoryOfAbuse",
            "NumberOfPreviousCPP",
            "Reviews",
        ],
    ),
    ("Reviews", &["CPPreviewDate"]),
];

/// Elements out of the schema's order or unknown to it: (line, element).
fn out_of_order(nodes: &[Node]) -> Vec<(usize, String)> {
    let order: HashMap<&str, &[&str]> = ORDER.iter().copied().collect();
    let mut bad = Vec::new();
    for n in nodes {
        let Some(allowed) = order.get(n.name.as_str()) else {
            if !n.kids.is_empty() {
                bad.push((n.line, n.name.clone()));
            }
            continue;
        };
        let mut last = 0;
        for &k in &n.kids {
            match allowed.iter().position(|a| *a == nodes[k].name) {
                Some(p) if p >= last => last = p,
                _ => bad.push((nodes[k].line, nodes[k].name.clone())),
            }
        }
    }
    bad
}

// ---------------------------------------------------------------------------------------------
// The census as records, as the DfE's validator tabulates it.

fn date(s: &str) -> Option<NaiveDate> {
    (s.len() == 10 && s.as_bytes()[4] == b'-')
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
}

/// A value: absent, present (`Some` text), with its element's line.
#[derive(Debug, Clone, Default)]
struct V {
    text: Option<String>,
    line: usize,
}

impl V {
    fn d(&self) -> Option<NaiveDate> {
        self.text.as_deref().and_then(date)
    }
    fn s(&self) -> Option<&str> {
        self.text.as_deref()
    }
    fn is(&self, xs: &[&str]) -> bool {
        self.s().is_some_and(|s| xs.contains(&s))
    }
}

#[derive(Debug, Default)]
struct Row {
    line: usize,
    v: HashMap<String, V>,
    /// Repeated children (disabilities, factors, reviews) with their lines.
    many: Vec<V>,
}

impl Row {
    fn get(&self, k: &str) -> V {
        self.v.get(k).cloned().unwrap_or(V {
            text: None,
            line: self.line,
        })
    }
    fn d(&self, k: &str) -> Option<NaiveDate> {
        self.get(k).d()
    }
}

#[derive(Debug, Default)]
struct Ep {
    row: Row,
    ass: Vec<Row>,
    plans: Vec<Row>,
    s47: Vec<Row>,
    cpps: Vec<Row>,
}

#[derive(Debug, Default)]
struct Kid {
    ci: Row,
    cc: Row,
    has_dis: bool,
    eps: Vec<Ep>,
}

impl Kid {
    fn id(&self) -> String {
        self.ci.get("LAchildID").text.unwrap_or_default()
    }
}

fn row(nodes: &[Node], n: usize) -> Row {
    let mut r = Row {
        line: nodes[n].line,
        ..Row::default()
    };
    for &k in &nodes[n].kids {
        if nodes[k].kids.is_empty() {
            r.v.insert(
                nodes[k].name.clone(),
                V {
                    text: Some(nodes[k].text.clone()),
                    line: nodes[k].line,
                },
            );
        } else {
            for &g in &nodes[k].kids {
                r.many.push(V {
                    text: Some(nodes[g].text.clone()),
                    line: nodes[g].line,
                });
            }
        }
    }
    r
}

struct Census {
    reference: NaiveDate,
    kids: Vec<Kid>,
}

fn read(dir: &Path) -> Census {
    let text = fs::read_to_string(dir.join(CENSUS_FILE)).unwrap();
    let nodes = parse(&text).unwrap();
    let find = |n: usize, name: &str| nodes[n].kids.iter().copied().find(|&k| nodes[k].name == name);
    let header = find(0, "Header").unwrap();
    let details = find(header, "CollectionDetails").unwrap();
    let reference = date(&nodes[find(details, "ReferenceDate").unwrap()].text).unwrap();
    let children = find(0, "Children").unwrap();
    let mut kids = Vec::new();
    for &c in &nodes[children].kids {
        let mut kid = Kid::default();
        for &part in &nodes[c].kids {
            match nodes[part].name.as_str() {
                "ChildIdentifiers" => kid.ci = row(&nodes, part),
                "ChildCharacteristics" => {
                    kid.cc = row(&nodes, part);
                    kid.has_dis = nodes[part].kids.iter().any(|&k| nodes[k].name == "Disabilities");
                }
                _ => {
                    let mut ep = Ep {
                        row: row(&nodes, part),
                        ..Ep::default()
                    };
                    for &k in &nodes[part].kids {
                        let list = match nodes[k].name.as_str() {
                            "Assessments" => &mut ep.ass,
                            "CINPlanDates" => &mut ep.plans,
                            "Section47" => &mut ep.s47,
                            "ChildProtectionPlans" => &mut ep.cpps,
                            _ => continue,
                        };
                        list.push(row(&nodes, k));
                    }
                    kid.eps.push(ep);
                }
            }
        }
        kids.push(kid);
    }
    Census { reference, kids }
}

// ---------------------------------------------------------------------------------------------
// The mini-checker.

fn add_years(d: NaiveDate, n: i32) -> NaiveDate {
    if n >= 0 {
        d.checked_add_months(Months::new(12 * n as u32)).unwrap()
    } else {
        d.checked_sub_months(Months::new(12 * n.unsigned_abs())).unwrap()
    }
}

/// The UPN check letter from the DfE's description (rule 1510): digits 2 to 13 times their
/// positions, summed, mod 23, as A..Z without I, O and S.
fn check_letter(upn: &str) -> Option<char> {
    let b = upn.as_bytes();
    if b.len() != 13 || !b[1..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = (1..13).map(|i| u32::from(b[i] - b'0') * (i as u32 + 1)).sum();
    "ABCDEFGHJKLMNPQRTUVWXYZ".chars().nth((sum % 23) as usize)
}

/// The LA codes rule 1530 accepts (the DfE's list, `cin2023_24/rule_1530.py`).
fn la_codes() -> HashSet<String> {
    let mut v: Vec<u32> = Vec::new();
    for (a, b) in [
        (1, 5),
        (201, 213),
        (301, 320),
        (330, 336),
        (340, 344),
        (350, 359),
        (370, 373),
        (380, 384),
        (390, 394),
        (660, 681),
        (701, 708),
        (800, 803),
        (805, 808),
        (810, 813),
        (820, 823),
        (835, 839),
        (850, 852),
        (855, 857),
        (865, 896),
        (935, 938),
        (940, 941),
    ] {
        v.extend(a..=b);
    }
    v.extend([
        420, 815, 816, 825, 826, 830, 831, 840, 841, 845, 846, 860, 861, 908, 909, 916, 919, 921, 925, 926, 928, 929,
        931, 933, 942, 943,
    ]);
    v.into_iter().map(|x| format!("{x:03}")).collect()
}

const ETHNIC: [&str; 20] = [
    "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN", "AOTH", "BCRB",
    "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
];
const DISABILITY: [&str; 13] = [
    "NONE", "MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT", "DDA",
];
const SOURCE: [&str; 22] = [
    "1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F", "4", "5A", "5B", "5C", "5D", "6", "7", "8",
    "9", "10",
];
const NEED: [&str; 10] = ["N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9", "N0"];
const CLOSE: [&str; 9] = ["RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8", "RC9"];
const ABUSE: [&str; 5] = ["NEG", "PHY", "SAB", "EMO", "MUL"];
const FACTOR: [&str; 44] = [
    "1A", "1B", "1C", "2A", "2B", "2C", "3A", "3B", "3C", "4A", "4B", "4C", "5A", "5B", "5C", "6A", "6B", "6C", "7A",
    "8B", "8C", "8D", "8E", "8F", "9A", "10A", "11A", "12A", "13A", "14A", "15A", "16A", "17A", "18A", "18B", "18C",
    "19A", "19B", "19C", "20", "21", "22A", "23A", "24A",
];
const FALSE: [&str; 2] = ["false", "0"];
const TRUE: [&str; 2] = ["true", "1"];

/// Working days (weekdays that are not bank holidays), for 8670Q and 8675Q.
fn add_working_days(cal: &calendar::Calendar, d: NaiveDate, n: i32) -> NaiveDate {
    crate::render::nd(cal.add(crate::render::day(d), n))
}

/// Every finding: (code, row line), with the child's id.
fn check(c: &Census) -> Vec<(String, usize, String)> {
    let end = c.reference;
    let start = add_years(end, -1).succ_opt().unwrap();
    let in_year = |d: NaiveDate| (start..=end).contains(&d);
    let weekend = |d: NaiveDate| matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
    let cal = calendar::Calendar::new(start.year());
    let school = add_years(NaiveDate::from_ymd_opt(end.year(), 8, 31).unwrap(), -6);
    let las = la_codes();
    let mut out: Vec<(String, usize, String)> = Vec::new();
    let mut ids: HashMap<String, Vec<usize>> = HashMap::new();
    let mut upns: HashMap<String, Vec<usize>> = HashMap::new();
    let (mut cpp_starts, mut icpcs) = (0, 0);
    let schema: HashSet<&str> = ORDER.iter().flat_map(|(_, k)| k.iter().copied()).collect();
    for k in &c.kids {
        let id = k.id();
        let mut f = |code: &str, line: usize| out.push((code.to_string(), line, id.clone()));
        let ci = &k.ci;
        let l = ci.line;
        // Elements the schema does not know hold their row back.
        for r in std::iter::once(ci)
            .chain(std::iter::once(&k.cc))
            .chain(k.eps.iter().flat_map(|e| {
                std::iter::once(&e.row)
                    .chain(e.ass.iter())
                    .chain(e.plans.iter())
                    .chain(e.s47.iter())
                    .chain(e.cpps.iter())
            }))
        {
            if r.v.keys().any(|n| !schema.contains(n.as_str())) {
                f("ingest.unknown_element", r.line);
            }
        }
        // Dates that are not dates.
        for (r, table, cols) in std::iter::once((ci, "child_identifiers", &["PersonBirthDate"][..]))
            .chain(k.eps.iter().map(|e| (&e.row, "cin_details", &["CINreferralDate"][..])))
            .chain(k.eps.iter().flat_map(|e| {
                e.ass
                    .iter()
                    .map(|a| (a, "assessments", &["AssessmentAuthorisationDate"][..]))
            }))
            .chain(k.eps.iter().flat_map(|e| {
                e.cpps
                    .iter()
                    .map(|a| (a, "child_protection_plans", &["CPPstartDate"][..]))
            }))
        {
            for col in cols {
                let v = r.get(col);
                if v.text.is_some() && v.d().is_none() {
                    let name = match *col {
                        "PersonBirthDate" => "person_birth_date",
                        "CINreferralDate" => "cin_referral_date",
                        "AssessmentAuthorisationDate" => "assessment_authorisation_date",
                        _ => "cpp_start_date",
                    };
                    f(&format!("{table}.{name}.type"), r.line);
                }
            }
        }

        // Child identifiers.
        match ci.get("LAchildID").s() {
            None | Some("") => f("8500", l),
            Some(s) => {
                ids.entry(s.to_string()).or_default().push(l);
                if s.len() > 20 {
                    f("1570", l);
                }
                if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    f("1580", l);
                }
            }
        }
        let born = ci.d("PersonBirthDate");
        let expected = ci.d("ExpectedPersonBirthDate");
        let death = ci.d("PersonDeathDate");
        let referred_on = k.eps.iter().any(|e| e.row.get("ReferralNFA").is(&FALSE));
        if let Some(u) = ci.get("UPN").s() {
            upns.entry(u.to_string()).or_default().push(l);
            if check_letter(u).is_some_and(|c| !u.starts_with(c)) {
                f("1510", l);
            }
            if u.len() == 13 && !las.contains(&u[1..4]) {
                f("1530", l);
            }
            if u.len() == 13 && !u[4..12].bytes().all(|b| b.is_ascii_digit()) {
                f("1540", l);
            }
        }
        if let Some(u) = ci.get("FormerUPN").s()
            && (u.len() != 13 || !u[1..].bytes().all(|b| b.is_ascii_digit()) || !u.as_bytes()[0].is_ascii_alphabetic())
        {
            f("1560Q", l);
        }
        let unknown = ci.get("UPNunknown");
        if born.is_some_and(|b| b <= school)
            && referred_on
            && ci.get("UPN").text.is_none()
            && !unknown.is(&["UN2", "UN3", "UN4", "UN5", "UN6", "UN7"])
        {
            f("8770Q", l);
        }
        if unknown.is(&["UN7"]) && k.eps.iter().any(|e| !e.row.get("ReferralNFA").is(&TRUE)) {
            f("8772", l);
            for e in k.eps.iter().filter(|e| !e.row.get("ReferralNFA").is(&TRUE)) {
                f("8772", e.row.line);
            }
        }
        if !ci.get("Sex").is(&["M", "F", "U"]) {
            f("4180", l);
        }
        if born.is_none() && expected.is_some() && !ci.get("Sex").is(&["U"]) {
            f("8750", l);
        }
        if born.is_some_and(|b| b > end) {
            f("8520", l);
        }
        if born.is_some() == expected.is_some() {
            f("8525Q", l);
        }
        if expected
            .is_some_and(|x| x <= end - chrono::Days::new(30) || x >= end.checked_add_months(Months::new(9)).unwrap())
        {
            f("8530Q", l);
        }
        if death.is_some_and(|d| !in_year(d)) {
            f("8545Q", l);
        }
        if death.is_some_and(|d| born.is_some_and(|b| d < b)) {
            f("8535Q", l);
        }
        // Characteristics.
        if !k.cc.get("Ethnicity").is(&ETHNIC) {
            f("4220", k.cc.line);
        }
        let dis: Vec<&str> = k.cc.many.iter().filter_map(V::s).collect();
        if born.is_some() && referred_on && (!k.has_dis || dis.iter().any(|d| !DISABILITY.contains(d))) {
            f("8540", l);
            for v in k.cc.many.iter().filter(|v| !v.is(&DISABILITY)) {
                f("8540", v.line);
            }
            for e in k.eps.iter().filter(|e| e.row.get("ReferralNFA").is(&FALSE)) {
                f("8540", e.row.line);
            }
        }
        if dis.contains(&"NONE") {
            for v in k.cc.many.iter().filter(|v| !v.is(&["NONE"])) {
                f("8790", v.line);
            }
        }
        for v in &k.cc.many {
            if dis.iter().filter(|d| Some(**d) == v.s()).count() > 1 {
                f("8794", v.line);
            }
        }

        // Episodes.
        let n_open = k
            .eps
            .iter()
            .filter(|e| e.row.get("CINclosureDate").text.is_none() && e.row.get("ReferralNFA").is(&FALSE))
            .count();
        let latest = k.eps.iter().filter_map(|e| e.row.d("CINreferralDate")).max();
        let plans: Vec<&Row> = k.eps.iter().flat_map(|e| e.plans.iter()).collect();
        let cpps: Vec<&Row> = k.eps.iter().flat_map(|e| e.cpps.iter()).collect();
        // Each protection plan and review with the plan's place in its episode.
        let cpps_at: Vec<(usize, &Row)> = k.eps.iter().flat_map(|e| e.cpps.iter().enumerate()).collect();
        let reviews: Vec<(usize, &V)> = cpps_at
            .iter()
            .flat_map(|(at, p)| p.many.iter().map(move |v| (*at, v)))
            .collect();
        let s47_icpcs: Vec<NaiveDate> = k
            .eps
            .iter()
            .flat_map(|e| e.s47.iter().filter_map(|s| s.d("DateOfInitialCPC")))
            .collect();
        for (i, e) in k.eps.iter().enumerate() {
            let r = &e.row;
            let el = r.line;
            let referral = r.d("CINreferralDate");
            let closure = r.d("CINclosureDate");
            let reason = r.get("ReasonForClosure");
            let nfa = r.get("ReferralNFA");
            let icpc = r.d("DateOfInitialCPC");
            if r.get("CINreferralDate").text.is_none() || referral.is_some_and(|d| d > end) {
                f("8600", el);
            }
            if !r.get("ReferralSource").is(&SOURCE) {
                f("8866", el);
            }
            if r.get("PrimaryNeedCode").text.is_some() && !r.get("PrimaryNeedCode").is(&NEED) {
                f("8650", el);
            }
            if nfa.is(&FALSE) && r.get("PrimaryNeedCode").text.is_none() {
                f("8610", el);
            }
            if reason.text.is_some() && !reason.is(&CLOSE) {
                f("8640", el);
            }
            if closure.is_some() && reason.text.is_none() {
                f("8805", el);
            }
            if closure.is_none() && reason.text.is_some() {
                f("8810", el);
            }
            if let (Some(c), Some(rf)) = (closure, referral)
                && c < rf
            {
                f("8630", el);
            }
            if closure.is_some_and(|c| !in_year(c)) {
                f("8620", el);
            }
            if !nfa.is(&["true", "false", "TRUE", "FALSE", "0", "1"]) {
                f("8568", el);
            }
            if nfa.is(&TRUE) && referral.is_some_and(|rf| rf < start - chrono::Days::new(4)) {
                f("8569Q", el);
            }
            if closure.is_none() && nfa.is(&FALSE) {
                if n_open > 1 {
                    f("8815", el);
                }
                if referral.is_some() && referral != latest {
                    f("8816", el);
                    for o in k.eps.iter().filter(|o| o.row.d("CINreferralDate") == latest) {
                        f("8816", o.row.line);
                    }
                }
            }
            // Overlapping episodes: this one referred while another was open.
            for (j, o) in k.eps.iter().enumerate() {
                let (Some(rf), Some(orf)) = (referral, o.row.d("CINreferralDate")) else {
                    continue;
                };
                if i == j || rf < orf {
                    continue;
                }
                let open_until = match o.row.d("CINclosureDate") {
                    Some(oc) => rf < oc,
                    None => rf < end && o.row.get("ReferralNFA").is(&FALSE),
                };
                if open_until {
                    f("8820", el);
                    f("8820", o.row.line);
                }
            }
            if nfa.is(&TRUE) {
                let activity = icpc.is_some()
                    || e.s47.iter().any(|s| s.d("S47ActualStartDate").is_some())
                    || e.ass.iter().any(|a| {
                        a.d("AssessmentActualStartDate").is_some() || a.d("AssessmentAuthorisationDate").is_some()
                    });
                if activity {
                    f("8831", el);
                    for a in &e.ass {
                        f("8831", a.line);
                    }
                    for q in &e.s47 {
                        f("8831", q.line);
                    }
                }
                for p in &e.plans {
                    f("4000", el);
                    f("4000", p.line);
                }
                for p in &e.cpps {
                    f("8832", el);
                    f("8832", p.line);
                }
            }
            if reason.is(&["RC8", "RC9"]) {
                if icpc.is_some() || !e.s47.is_empty() || !e.cpps.is_empty() || !e.plans.is_empty() {
                    f("2990", el);
                    for x in e.plans.iter().chain(&e.s47).chain(&e.cpps) {
                        f("2990", x.line);
                    }
                }
                if e.ass.is_empty() {
                    f("8825Q", el);
                }
            }
            if reason.is(&["RC2"]) && death.is_none() {
                f("8585Q", el);
                f("8585Q", l);
            }
            if let (Some(d), Some(rf)) = (death, referral)
                && rf > d
            {
                f("8555Q", el);
            }
            let early =
                |b: Option<NaiveDate>| matches!((referral, b), (Some(rf), Some(b)) if rf < b - chrono::Days::new(280));
            if early(born) || early(expected) {
                f("8606", el);
            }
            if let Some(c) = closure {
                let mut after = icpc.is_some_and(|d| d > c);
                for a in &e.ass {
                    after |= a.d("AssessmentActualStartDate").is_some_and(|d| d > c);
                    after |= a.d("AssessmentAuthorisationDate").is_some_and(|d| d > c);
                }
                for s in &e.s47 {
                    after |= s.d("S47ActualStartDate").is_some_and(|d| d > c);
                    after |= s.d("DateOfInitialCPC").is_some_and(|d| d > c);
                }
                for p in &e.cpps {
                    after |= p.d("CPPendDate").is_some_and(|d| d > c);
                }
                for p in &e.plans {
                    after |= p.d("CINPlanStartDate").is_some_and(|d| d > c);
                    after |= p.d("CINPlanEndDate").is_some_and(|d| d > c);
                }
                if after {
                    f("8565", el);
                }
                if e.ass
                    .iter()
                    .any(|a| a.get("AssessmentAuthorisationDate").text.is_none())
                {
                    f("8867", el);
                }
                for q in &e.s47 {
                    let not_needed = q.get("ICPCnotRequired").is(&TRUE);
                    if (q.d("DateOfInitialCPC").is_none() && !not_needed)
                        || (q.d("DateOfInitialCPC").is_some() && not_needed)
                    {
                        f("8868", el);
                        f("8868", q.line);
                    }
                }
            }
            if icpc.is_some_and(|d| s47_icpcs.contains(&d)) {
                f("2884", el);
                for s in k.eps.iter().flat_map(|e| e.s47.iter()) {
                    if s.d("DateOfInitialCPC") == icpc {
                        f("2884", s.line);
                    }
                }
            }
            if icpc.is_some_and(in_year) {
                icpcs += 1;
            }
            if !e.s47.is_empty() && e.ass.is_empty() {
                f("2991Q", el);
            }

            // Assessments.
            let open_ass = e
                .ass
                .iter()
                .filter(|a| a.get("AssessmentAuthorisationDate").text.is_none())
                .count();
            for (ai, a) in e.ass.iter().enumerate() {
                let al = a.line;
                let st = a.d("AssessmentActualStartDate");
                let au = a.d("AssessmentAuthorisationDate");
                let factors: Vec<&str> = a.many.iter().filter_map(V::s).collect();
                if let (Some(s), Some(rf)) = (st, referral)
                    && s < rf
                {
                    f("1103", al);
                    f("1103", el);
                }
                if let (Some(s), Some(u)) = (st, au)
                    && s > u
                {
                    f("8608", al);
                }
                if au.is_some_and(|u| !in_year(u)) {
                    f("8696", al);
                }
                if a.get("AssessmentAuthorisationDate").text.is_none() {
                    if st.is_some_and(|s| !in_year(s)) {
                        f("8736", al);
                    }
                    if st.is_some_and(|s| s < add_working_days(&cal, end, -44)) {
                        f("8670Q", al);
                    }
                    if !factors.is_empty() {
                        f("8614", al);
                    }
                }
                if au.is_some_and(|u| u >= start) && !factors.iter().any(|x| FACTOR.contains(x)) {
                    f("8897Q", al);
                }
                if factors.contains(&"21") && factors.len() > 1 {
                    f("8869", al);
                }
                if factors.contains(&"21") && e.ass.len() == 1 && !reason.is(&["RC8", "RC9"]) {
                    f("8873Q", al);
                    f("8873Q", el);
                }
                if factors.iter().collect::<HashSet<_>>().len() < factors.len() {
                    f("8898", al);
                }
                if factors.contains(&"18A") {
                    f("8945Q", al);
                }
                if factors.contains(&"19A") {
                    f("8950Q", al);
                }
                if open_ass > 1 && au.is_none() {
                    f("8896", al);
                }
                for (bi, b) in e.ass.iter().enumerate() {
                    let (Some(s), Some(bs)) = (st, b.d("AssessmentActualStartDate")) else {
                        continue;
                    };
                    let bu = b.d("AssessmentAuthorisationDate");
                    if ai == bi || (s == bs && au == bu) || s < bs {
                        continue;
                    }
                    if bu.map_or(s <= end, |u| s <= u) {
                        f("8863Q", al);
                        f("8863Q", b.line);
                    }
                }
            }

            // Child in need plans.
            let open_plans = e
                .plans
                .iter()
                .filter(|p| p.get("CINPlanEndDate").text.is_none())
                .count();
            for p in &e.plans {
                let pl = p.line;
                let ps = p.d("CINPlanStartDate");
                let pe = p.d("CINPlanEndDate");
                if ps.is_none_or(|s| s > end) {
                    f("4010", pl);
                }
                if let (Some(s), Some(x)) = (ps, pe) {
                    if x < s {
                        f("4011", pl);
                    }
                    if x == s {
                        f("4012Q", pl);
                    }
                }
                if pe.is_some_and(|x| !in_year(x)) {
                    f("4013", pl);
                }
                if let (Some(s), Some(rf)) = (ps, referral)
                    && s < rf
                {
                    f("4015", pl);
                    f("4015", el);
                }
                if open_plans > 1 && pe.is_none() {
                    f("4004", pl);
                }
                if pe.is_none() && e.cpps.iter().any(|c| c.get("CPPendDate").text.is_none()) {
                    f("4001", pl);
                }
                if let (Some(s), Some(d)) = (ps, death)
                    && s > d
                {
                    f("4008", pl);
                }
                if let (Some(x), Some(d)) = (pe, death)
                    && x > d
                {
                    f("4009Q", pl);
                }
                for o in &plans {
                    let (Some(s), Some(os)) = (ps, o.d("CINPlanStartDate")) else {
                        continue;
                    };
                    if std::ptr::eq(*o, p) || s < os {
                        continue;
                    }
                    if o.d("CINPlanEndDate").map_or(s <= end, |oe| s <= oe) {
                        f("4014", pl);
                        f("4014", o.line);
                    }
                }
                for c in &cpps {
                    let (Some(s), Some(cs)) = (ps, c.d("CPPstartDate")) else {
                        continue;
                    };
                    if s >= cs && c.d("CPPendDate").map_or(s <= end, |ce| s < ce) {
                        f("4016", pl);
                    }
                    if cs >= s && pe.map_or(cs <= end, |x| cs < x) {
                        f("4017", pl);
                        f("4017", c.line);
                    }
                }
                // A review during this plan, whose protection plan has another end date: the
                // DfE's validator ties a review to a plan by the child and the plan's place in
                // its episode (any episode's).
                for (c, v) in reviews.iter() {
                    let Some(rv) = v.d() else { continue };
                    let ends = cpps_at.iter().filter(|(at, _)| at == c).map(|(_, p)| p.d("CPPendDate"));
                    if ps.is_some_and(|s| rv >= s)
                        && pe.is_some_and(|x| rv < x)
                        && ends.into_iter().any(|ce| ce.is_some_and(|ce| ce != rv))
                    {
                        f("4003", v.line);
                    }
                }
            }

            // Section 47 enquiries.
            let open_s47 = e
                .s47
                .iter()
                .filter(|s| s.d("DateOfInitialCPC").is_none() && !s.get("ICPCnotRequired").is(&TRUE))
                .count();
            for s in &e.s47 {
                let sl = s.line;
                let ss = s.d("S47ActualStartDate");
                let sc = s.d("DateOfInitialCPC");
                if let (Some(x), Some(rf)) = (ss, referral)
                    && x < rf
                {
                    f("2889", sl);
                    f("2889", el);
                }
                if let (Some(x), Some(rf)) = (sc, referral)
                    && x < rf
                {
                    f("1104", sl);
                }
                if sc.is_some() && ss.is_none_or(|x| x > sc.unwrap()) {
                    f("8615", sl);
                }
                if sc.is_some_and(|x| !in_year(x)) {
                    f("8715", sl);
                }
                if sc.is_some_and(weekend) {
                    f("8875", sl);
                }
                if s.d("InitialCPCtarget").is_some_and(weekend) {
                    f("8870Q", sl);
                }
                let required = s.get("ICPCnotRequired").is(&FALSE);
                if sc.is_none() && required && ss.is_some_and(|x| !in_year(x)) {
                    f("8740", sl);
                }
                if sc.is_none() && required && ss.is_some_and(|x| x < add_working_days(&cal, end, -14)) {
                    f("8675Q", sl);
                }
                if open_s47 > 1 && sc.is_none() && !s.get("ICPCnotRequired").is(&TRUE) {
                    f("8839", sl);
                }
                if sc.is_some_and(in_year) {
                    icpcs += 1;
                }
            }

            // Protection plans.
            for p in &e.cpps {
                let pl = p.line;
                let cs = p.d("CPPstartDate");
                let ce = p.d("CPPendDate");
                if let (Some(x), Some(rf)) = (cs, referral)
                    && x < rf
                {
                    f("1105", pl);
                }
                if cs.is_none_or(|x| x > end) {
                    f("8720", pl);
                }
                if ce.is_some_and(|x| !in_year(x)) {
                    f("8930", pl);
                }
                if let (Some(s), Some(x)) = (cs, ce) {
                    if x == s {
                        f("8840", pl);
                    }
                    if x < s {
                        f("8925", pl);
                    }
                }
                if !p.get("InitialCategoryOfAbuse").is(&ABUSE) {
                    f("8905", pl);
                }
                if !p.get("LatestCategoryOfAbuse").is(&ABUSE) {
                    f("8910", pl);
                }
                if p.get("NumberOfPreviousCPP")
                    .s()
                    .is_none_or(|n| n.parse::<u32>().is_err())
                {
                    f("8730", pl);
                }
                for v in &p.many {
                    match v.d() {
                        None => f("8842Q", v.line),
                        Some(rv) if cs.is_some_and(|s| rv <= s) => {
                            f("8841", pl);
                            f("8841", v.line);
                        }
                        _ => {}
                    }
                }
                if let (Some(s), Some(d)) = (cs, death)
                    && s > d
                {
                    f("8915", pl);
                }
                if let (Some(x), Some(d)) = (ce, death)
                    && x > d
                {
                    f("8920", pl);
                }
                if let Some(s) = cs.filter(|&s| in_year(s)) {
                    cpp_starts += 1;
                    let conference = e
                        .s47
                        .iter()
                        .filter(|q| !q.get("ICPCnotRequired").is(&TRUE))
                        .any(|q| q.d("DateOfInitialCPC") == Some(s));
                    let ok = if e.s47.is_empty() { icpc == Some(s) } else { conference };
                    if !ok {
                        f("2885", pl);
                        if e.s47.is_empty() {
                            f("2885", el);
                        }
                        for q in e.s47.iter().filter(|q| q.d("DateOfInitialCPC") != Some(s)) {
                            f("2885", q.line);
                        }
                    }
                }
                for o in &cpps {
                    let (Some(s), Some(os)) = (cs, o.d("CPPstartDate")) else {
                        continue;
                    };
                    if std::ptr::eq(*o, p) || s < os {
                        continue;
                    }
                    if o.d("CPPendDate").map_or(s <= end, |oe| s <= oe) {
                        f("8940", pl);
                        f("8940", o.line);
                    }
                }
            }
        }
        if cpps.iter().filter(|p| p.get("CPPendDate").text.is_none()).count() > 1 {
            for p in cpps.iter().filter(|p| p.get("CPPendDate").text.is_none()) {
                f("8935", p.line);
            }
        }
    }
    for (code, seen) in [("8510", &ids), ("1520", &upns)] {
        for lines in seen.values().filter(|v| v.len() > 1) {
            out.extend(lines.iter().map(|&l| (code.to_string(), l, String::new())));
        }
    }
    if cpp_starts > icpcs {
        out.push(("2883".into(), 0, String::new()));
    }
    out.sort();
    out.dedup();
    out
}

/// The ground truth: (code, table, row, line, element, element line, child, planted).
fn truth(dir: &Path) -> Vec<Vec<String>> {
    let text = fs::read_to_string(dir.join("ground_truth.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), TRUTH_HEADER.trim_end());
    lines
        .map(|l| {
            let f: Vec<String> = l.split(',').map(str::to_string).collect();
            assert_eq!(f.len(), 8, "{l}");
            f
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------

#[test]
fn the_census_is_well_formed_in_the_schemas_order_and_the_configuration_reads_it() {
    let (dir, summary) = write(&opts(3, 600, true));
    let text = fs::read_to_string(dir.path().join(CENSUS_FILE)).unwrap();
    let nodes = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(nodes[0].name, "Message");
    // Only planted misspellings are out of the schema.
    let misplaced = out_of_order(&nodes);
    assert!(
        misplaced
            .iter()
            .all(|(_, n)| n == "CINreferalDate" || n == "AssesmentInternalReviewDate"),
        "{misplaced:?}"
    );
    let census = read(dir.path());
    assert_eq!(census.reference, NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
    assert_eq!(census.kids.len(), 600);
    for needle in [
        "<Collection>CIN</Collection>",
        "<Year>2026</Year>",
        "<ReferenceDate>2026-03-31</ReferenceDate>",
        "<SourceLevel>L</SourceLevel>",
        "<LEA>990</LEA>",
        "<DateTime>2026-04-",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
    assert!(text.ends_with("  </Children>\n</Message>\n"));
    assert_eq!(summary.rows.len(), 11);
    assert!(summary.rows.iter().all(|(_, n)| *n > 0), "{:?}", summary.rows);
    let config = fs::read_to_string(dir.path().join("cleanse.yaml")).unwrap();
    assert!(
        config.contains("collection_year: 2025-26\nas_of: 2026-03-31\n"),
        "{config}"
    );
    assert!(config.contains("rules/cin/2025-26.yaml"), "{config}");
    for t in TABLES {
        assert!(
            config.contains(&format!("  - {{ table: {t}, file: census.xml }}\n")),
            "{t}"
        );
    }
}

#[test]
fn the_same_options_give_identical_files_and_another_seed_does_not() {
    let files = |o: &CinOptions| {
        let (dir, _) = write(o);
        ["census.xml", "ground_truth.csv", "cleanse.yaml"].map(|f| fs::read(dir.path().join(f)).unwrap())
    };
    assert!(files(&opts(7, 500, true)) == files(&opts(7, 500, true)));
    assert!(files(&opts(7, 500, true))[0] != files(&opts(8, 500, true))[0]);
    // A clean census is the planted one's children before their plants.
    assert!(files(&opts(7, 500, false))[0] != files(&opts(7, 500, true))[0]);
}

#[test]
fn every_upn_passes_its_check_letter_and_no_two_children_share_one() {
    for plant in [false, true] {
        let (dir, _) = write(&opts(5, 3000, plant));
        let census = read(dir.path());
        let planted: HashSet<usize> = truth(dir.path())
            .iter()
            .filter(|t| ["1510", "1540", "1530", "1520"].contains(&t[0].as_str()))
            .map(|t| t[3].parse().unwrap())
            .collect();
        let mut seen = HashSet::new();
        let mut n = 0;
        for k in &census.kids {
            if planted.contains(&k.ci.line) {
                continue;
            }
            for col in ["UPN", "FormerUPN"] {
                let Some(u) = k.ci.get(col).text else { continue };
                if col == "FormerUPN" && !u.as_bytes()[12].is_ascii_digit() {
                    continue;
                }
                assert_eq!(check_letter(&u), u.chars().next(), "{u}");
                assert_eq!(&u[1..4], "001", "{u}");
                if col == "UPN" {
                    assert!(seen.insert(u.clone()), "{u} twice");
                    n += 1;
                }
            }
        }
        assert!(n > 1500, "{n} UPNs");
    }
}

#[test]
fn a_clean_census_breaks_none_of_the_rules_an_independent_reading_checks() {
    for seed in [1, 2] {
        let (dir, summary) = write(&opts(seed, 3000, false));
        assert!(truth(dir.path()).is_empty());
        assert_eq!((summary.planted, summary.planted_children), (0, 0));
        let census = read(dir.path());
        let bad = check(&census);
        assert!(
            bad.is_empty(),
            "seed {seed}: {} findings: {:?}",
            bad.len(),
            &bad[..bad.len().min(20)]
        );

        // A council's census, roughly: episodes, assessments, plans and enquiries per child.
        let per = |t: &str| summary.rows.iter().find(|(n, _)| n == t).unwrap().1 as f64 / 3000.0;
        for (table, lo, hi) in [
            ("cin_details", 1.05, 1.4),
            ("assessments", 0.5, 0.9),
            ("cin_plan_dates", 0.3, 0.6),
            ("section47", 0.1, 0.3),
            ("child_protection_plans", 0.15, 0.35),
            ("reviews", 0.2, 0.6),
            ("disabilities", 0.9, 1.2),
        ] {
            assert!((lo..=hi).contains(&per(table)), "{table}: {} per child", per(table));
        }
        let kids = &census.kids;
        let share = |f: &dyn Fn(&Kid) -> bool| kids.iter().filter(|k| f(k)).count() as f64 / kids.len() as f64;
        let unborn = share(&|k| k.ci.get("ExpectedPersonBirthDate").text.is_some());
        assert!((0.005..0.02).contains(&unborn), "unborn {unborn}");
        let nfa = share(&|k| k.eps.iter().any(|e| e.row.get("ReferralNFA").is(&TRUE)));
        assert!((0.03..0.1).contains(&nfa), "no further action {nfa}");
        let open = share(&|k| k.eps.iter().any(|e| e.row.get("CINclosureDate").text.is_none()));
        assert!((0.45..0.8).contains(&open), "open at 31 March {open}");
        let died = share(&|k| k.ci.get("PersonDeathDate").text.is_some());
        assert!(died < 0.005, "died {died}");
        let upn = share(&|k| k.ci.get("UPN").text.is_some());
        assert!((0.55..0.85).contains(&upn), "UPN {upn}");
        // Every code of the lists is used somewhere.
        let used = |col: &str| -> HashSet<String> {
            kids.iter()
                .flat_map(|k| k.eps.iter())
                .filter_map(|e| e.row.get(col).text)
                .collect()
        };
        assert!(SOURCE.iter().all(|s| used("ReferralSource").contains(*s)));
        assert!(
            ["N1", "N2", "N4", "N5"]
                .iter()
                .all(|s| used("PrimaryNeedCode").contains(*s))
        );
        assert!(
            ["RC1", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8", "RC9"]
                .iter()
                .all(|s| used("ReasonForClosure").contains(*s)),
            "{:?}",
            used("ReasonForClosure")
        );
        let dis: HashSet<&str> = kids.iter().flat_map(|k| k.cc.many.iter().filter_map(V::s)).collect();
        assert!(DISABILITY.iter().all(|d| dis.contains(d)), "{dis:?}");
        assert!(kids.iter().any(|k| k.cc.many.len() > 1));
    }
}

#[test]
fn planted_problems_are_found_on_the_lines_the_ground_truth_lists_and_nowhere_else() {
    let (dir, summary) = write(&opts(11, 4000, true));
    let truth = truth(dir.path());
    assert_eq!(summary.planted, truth.len());
    // About 3.5% of children.
    assert!(
        (100..=180).contains(&summary.planted_children),
        "{}",
        summary.planted_children
    );
    let census = read(dir.path());
    let found = check(&census);
    let found_at: HashSet<(String, usize)> = found.iter().map(|(c, l, _)| (c.clone(), *l)).collect();
    let text = fs::read_to_string(dir.path().join(CENSUS_FILE)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut codes = HashSet::new();
    // Each table's rows' lines, in order.
    let mut opening: HashMap<&str, Vec<usize>> = HashMap::new();
    for t in &truth {
        let (code, table, record, line, element, element_line) = (
            &t[0],
            &t[1],
            t[2].parse::<usize>().unwrap(),
            t[3].parse::<usize>().unwrap(),
            &t[4],
            t[5].parse::<usize>().unwrap(),
        );
        codes.insert(code.clone());
        assert!(!t[7].is_empty());
        // The row's line opens the table's element, the row is that element's place among the
        // table's, and the element's line holds the element, or is the row's when it is left
        // out.
        let opened = lines[line - 1].trim();
        let expect = match table.as_str() {
            "child_identifiers" => "<ChildIdentifiers>",
            "child_characteristics" => "<ChildCharacteristics>",
            "cin_details" => "<CINdetails>",
            "assessments" => "<Assessments>",
            "cin_plan_dates" => "<CINPlanDates>",
            "section47" => "<Section47>",
            "child_protection_plans" => "<ChildProtectionPlans>",
            "disabilities" => "<Disability>",
            "reviews" => "<CPPreviewDate>",
            other => panic!("table {other}"),
        };
        assert!(opened.starts_with(expect), "{t:?}: {opened}");
        let rows = opening.entry(expect).or_insert_with(|| {
            (1..=lines.len())
                .filter(|&n| lines[n - 1].trim().starts_with(expect))
                .collect()
        });
        assert_eq!(rows.binary_search(&line).map(|p| p + 1), Ok(record), "{t:?}");
        let at = lines[element_line - 1].trim();
        assert!(
            at.starts_with(&format!("<{element}>")) || element_line == line,
            "{t:?}: {at}"
        );
        assert!(
            found_at.contains(&(code.clone(), line)),
            "{t:?} not found by the checker"
        );
    }
    // Every kind finds a child at 4,000 children.
    for kind in plants::KINDS {
        let code = match kind.id {
            "type" => "cin_details.cin_referral_date.type",
            "type-b" => "assessments.assessment_authorisation_date.type",
            "type-c" => "child_protection_plans.cpp_start_date.type",
            "type-d" => "child_identifiers.person_birth_date.type",
            "unknown" | "unknown-b" => "ingest.unknown_element",
            id => id.trim_end_matches('b'),
        };
        assert!(codes.contains(code), "{} ({code}) not planted", kind.id);
    }
    // Nothing is found on a child with no plant, and nothing on a planted child but what its
    // plant lists (a value that is not a date leaves the rules that read it unchecked, where
    // this checker reads it as blank, so those children are left out of this).
    let listed: HashSet<(String, usize)> = truth.iter().map(|t| (t[0].clone(), t[3].parse().unwrap())).collect();
    let unreadable: HashSet<&str> = truth
        .iter()
        .filter(|t| t[0].ends_with(".type"))
        .map(|t| t[6].as_str())
        .collect();
    let stray: Vec<_> = found
        .iter()
        .filter(|(code, line, child)| !listed.contains(&(code.clone(), *line)) && !unreadable.contains(child.as_str()))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

/// Deaths are rare, so they are checked over many children's records (not written): each
/// death is in the year and closes the child's last case that day (RC2), after everything in
/// it, with its plans ended.
#[test]
fn children_who_die_do_so_cleanly() {
    let ctx = journeys::Ctx::new(9, 50_000, 2025).unwrap();
    let mut c = journeys::Child::default();
    let mut died = 0;
    for i in 0..ctx.children {
        journeys::build(&ctx, i, &mut c);
        let Some(d) = c.death else { continue };
        died += 1;
        assert!(ctx.w.start <= d && d <= ctx.w.end, "child {i}");
        let e = c.episodes().last().unwrap();
        assert_eq!((e.closure, e.reason), (Some(d), Some("RC2")), "child {i}");
        assert!(e.last_activity() <= d && !e.busy(), "child {i}");
        assert!(c.episodes().iter().all(|e| e.referral <= d));
    }
    assert!((25..=100).contains(&died), "{died}");
}

#[test]
fn other_years_and_bad_options() {
    let dir = tempfile::tempdir().unwrap();
    let o = CinOptions {
        year: 2026,
        ..opts(4, 200, false)
    };
    generate_cin(&o, Path::new("rules/cin/2026-27.yaml"), dir.path()).unwrap();
    let census = read(dir.path());
    assert_eq!(census.reference, NaiveDate::from_ymd_opt(2027, 3, 31).unwrap());
    assert!(check(&census).is_empty(), "{:?}", check(&census));
    let config = fs::read_to_string(dir.path().join("cleanse.yaml")).unwrap();
    assert!(config.contains("collection_year: 2026-27") && config.contains("as_of: 2027-03-31"));
    let bad = CinOptions { year: 1900, ..o };
    assert!(generate_cin(&bad, Path::new("x.yaml"), dir.path()).is_err());
    // No children: a census with an empty Children element.
    let (empty, s) = write(&opts(1, 0, true));
    assert_eq!(s.planted, 0);
    assert!(parse(&fs::read_to_string(empty.path().join(CENSUS_FILE)).unwrap()).is_ok());
}
