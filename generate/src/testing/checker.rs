//! An independent mini-checker, written from the rule pack's wording: every finding and change
//! the pack implies for a folder of generated files, found without the generator's own logic.

use std::collections::{HashMap, HashSet};
use std::fs;

use chrono::{Datelike, Months, NaiveDate};

use super::{Scratch, Sheet, normalise};
use crate::plants::{Expectation, Truth};
use crate::render::MONTHS;
use crate::tables::TABLE_NAMES;

// ---- the rule pack, read with string handling just good enough for its layout ----------

pub(crate) struct PackColumn {
    pub(crate) name: String,
    pub(crate) header: String,
    pub(crate) kind: String,
    codes: String,
    pub(crate) required: bool,
}

pub(crate) struct Pack {
    pub(crate) code_lists: HashMap<String, Vec<String>>,
    pub(crate) tables: HashMap<String, (Vec<String>, Vec<PackColumn>)>,
}

fn quoted(s: &str) -> Vec<String> {
    s.split('"').skip(1).step_by(2).map(String::from).collect()
}

/// Split `a: x, b: [y, z], c: "p, q"` at top-level commas.
fn split_top(s: &str) -> Vec<String> {
    let (mut parts, mut cur, mut depth, mut quote) = (Vec::new(), String::new(), 0, false);
    for ch in s.chars() {
        match ch {
            '"' => quote = !quote,
            '[' if !quote => depth += 1,
            ']' if !quote => depth -= 1,
            ',' if !quote && depth == 0 => {
                parts.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    parts.push(cur.trim().to_string());
    parts
}

/// The rule pack, `rules/annex-a.yaml`, as it is.
pub(crate) fn pack() -> Pack {
    parse_pack(&fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/annex-a.yaml")).unwrap())
}

/// What the mini-checker checks against: the rule pack, with any of the later Annex A lists
/// (and their code lists) it does not have yet taken from the contract the pack is being
/// written to (`annexa_spec.yaml`).
pub(crate) fn checked_pack() -> Pack {
    let mut pack = pack();
    let spec = parse_pack(include_str!("annexa_spec.yaml"));
    for (name, list) in spec.code_lists {
        pack.code_lists.entry(name).or_insert(list);
    }
    for (name, table) in spec.tables {
        pack.tables.entry(name).or_insert(table);
    }
    pack
}

fn parse_pack(text: &str) -> Pack {
    let lists = &text[text.find("\ncode_lists:").unwrap()..text.find("\ntables:").unwrap()];
    let mut code_lists = HashMap::new();
    for chunk in lists.split(']').filter(|c| c.contains('[')) {
        let head = &chunk[..chunk.find('[').unwrap()];
        let name = head
            .trim()
            .trim_end_matches(':')
            .rsplit(['\n', ' '])
            .next()
            .unwrap()
            .to_string();
        code_lists.insert(name, quoted(chunk));
    }
    let mut tables: HashMap<String, (Vec<String>, Vec<PackColumn>)> = HashMap::new();
    let mut current = String::new();
    let body = &text[text.find("\ntables:").unwrap()..text.find("\nrules:").unwrap()];
    for line in body.lines() {
        if line.starts_with("  ") && !line.starts_with("   ") && line.trim_end().ends_with(':') {
            current = line.trim().trim_end_matches(':').to_string();
            tables.insert(current.clone(), (Vec::new(), Vec::new()));
        } else if let Some(key) = line.trim().strip_prefix("key: [") {
            let key = key
                .trim_end_matches(']')
                .split(',')
                .map(|k| k.trim().to_string())
                .collect();
            tables.get_mut(&current).unwrap().0 = key;
        } else if let Some(inner) = line.trim().strip_prefix("- {") {
            let inner = inner.trim_end().trim_end_matches('}');
            let mut col = PackColumn {
                name: String::new(),
                header: String::new(),
                kind: "text".into(),
                codes: String::new(),
                required: false,
            };
            for part in split_top(inner) {
                let (k, v) = part.split_once(':').unwrap();
                let v = v.trim().trim_matches('"').to_string();
                match k.trim() {
                    "name" => col.name = v,
                    "header" => col.header = v,
                    "type" => col.kind = v,
                    "codes" => col.codes = v,
                    "required" => col.required = v == "true",
                    _ => {}
                }
            }
            tables.get_mut(&current).unwrap().1.push(col);
        }
    }
    Pack { code_lists, tables }
}

// ---- an independent mini-checker ------------------------------------------------------

pub(crate) fn parse_date(s: &str) -> Result<Option<NaiveDate>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let num = |p: &str| {
        if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
            p.parse::<i32>().map_err(|_| ())
        } else {
            Err(())
        }
    };
    let ymd = |y: i32, m: i32, d: i32| NaiveDate::from_ymd_opt(y, m as u32, d as u32).ok_or(());
    if s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()) {
        let base = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
        return Ok(Some(base + chrono::Days::new(s.parse().unwrap())));
    }
    let slash: Vec<&str> = s.split('/').collect();
    if slash.len() == 3 {
        let year = match slash[2].len() {
            4 => num(slash[2])?,
            2 => {
                let y = num(slash[2])?;
                if y < 40 { 2000 + y } else { 1900 + y }
            }
            _ => return Err(()),
        };
        return ymd(year, num(slash[1])?, num(slash[0])?).map(Some);
    }
    let dash: Vec<&str> = s.split('-').collect();
    if dash.len() == 3 && dash[0].len() == 4 {
        return ymd(num(dash[0])?, num(dash[1])?, num(dash[2])?).map(Some);
    }
    if dash.len() == 3 && dash[2].len() == 4 {
        let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(dash[1])).ok_or(())? as i32 + 1;
        return ymd(num(dash[2])?, month, num(dash[0])?).map(Some);
    }
    Err(())
}

fn parse_int(s: &str) -> Result<Option<i64>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(n) = s.parse() {
        return Ok(Some(n));
    }
    match s.split_once('.') {
        Some((whole, frac)) if !frac.is_empty() && frac.bytes().all(|b| b == b'0') => {
            whole.parse().map(Some).map_err(|_| ())
        }
        _ => Err(()),
    }
}

/// Age by counting anniversaries; a 29 February birthday falls on 1 March in other years.
pub(crate) fn age_at(dob: NaiveDate, at: NaiveDate) -> i64 {
    let anniversary = |n: i32| {
        NaiveDate::from_ymd_opt(dob.year() + n, dob.month(), dob.day())
            .unwrap_or_else(|| NaiveDate::from_ymd_opt(dob.year() + n, 3, 1).unwrap())
    };
    let mut n = 0;
    while anniversary(n + 1) <= at {
        n += 1;
    }
    while n > 0 && anniversary(n) > at {
        n -= 1;
    }
    i64::from(n)
}

fn nhs_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    match b.len() {
        10 => digits(b),
        11 => {
            (b[3] == b' ' && digits(&b[..3]) && digits(&b[4..])) || (b[6] == b' ' && digits(&b[..6]) && digits(&b[7..]))
        }
        12 => b[3] == b' ' && b[7] == b' ' && digits(&b[..3]) && digits(&b[4..7]) && digits(&b[8..]),
        _ => false,
    }
}

/// `^(?i)[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$`
pub(crate) fn postcode_ok(s: &str) -> bool {
    let b = s.to_ascii_uppercase().into_bytes();
    let n = b.len();
    if n < 5 || !b[n - 2..].iter().all(u8::is_ascii_uppercase) || !b[n - 3].is_ascii_digit() {
        return false;
    }
    let mut outward = &b[..n - 3];
    if outward.last() == Some(&b' ') {
        outward = &outward[..outward.len() - 1];
    }
    let letters = outward.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let rest = &outward[letters.min(2)..];
    (1..=2).contains(&letters)
        && letters <= 2
        && !rest.is_empty()
        && rest[0].is_ascii_digit()
        && rest.len() <= 2
        && rest[1..].iter().all(u8::is_ascii_alphanumeric)
}

/// A code with case and spacing ignored: lower case, spaces around it dropped and runs of
/// spaces inside it as one (`a)yes` is not `a) Yes`).
pub(crate) fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

fn clean_text(s: &str) -> bool {
    s == s.trim() && !s.contains("  ")
}

type Findings = HashSet<(String, usize, String)>;

/// Where a table's column is in its file, by the pack's header.
fn column_at(pack: &Pack, sheet: &Sheet, table: &str, name: &str) -> usize {
    let col = pack.tables[table].1.iter().find(|c| c.name == name).unwrap();
    sheet
        .header
        .iter()
        .position(|h| normalise(h) == normalise(&col.header))
        .unwrap()
}

/// Every finding the rule pack implies for the files in `dir`.
pub(crate) fn check(dir: &Scratch, today: NaiveDate) -> Findings {
    let pack = checked_pack();
    let mut found = Findings::new();
    // A table's child ids as trimmed text, for the `reference` rules (none if not written:
    // the rule is then not checked).
    let child_ids = |table: &str| -> Option<HashSet<String>> {
        dir.0.join(format!("{table}.csv")).exists().then(|| {
            let sheet = Sheet::read(dir, table);
            let i = column_at(&pack, &sheet, table, "child_id");
            sheet.rows.iter().map(|(_, r)| r[i].trim().to_string()).collect()
        })
    };
    let (children_ids, assessed_ids) = (child_ids("children"), child_ids("assessments"));
    let (cin_ids, cla_ids) = (child_ids("children_in_need"), child_ids("children_in_care"));
    // Per child, the dates in one column of a table (those that parse), and the children with
    // a row in which another column is blank: for the cross-list rules (none if the table is
    // not written: the rule is then not checked).
    let dates_by_child = |table: &str, column: &str| -> Option<HashMap<String, Vec<NaiveDate>>> {
        dir.0.join(format!("{table}.csv")).exists().then(|| {
            let sheet = Sheet::read(dir, table);
            let (id, col) = (
                column_at(&pack, &sheet, table, "child_id"),
                column_at(&pack, &sheet, table, column),
            );
            let mut dates: HashMap<String, Vec<NaiveDate>> = HashMap::new();
            for (_, r) in &sheet.rows {
                let entry = dates.entry(r[id].trim().to_string()).or_default();
                entry.extend(parse_date(&r[col]).ok().flatten());
            }
            dates
        })
    };
    let (s47_starts, plan_starts) = (
        dates_by_child("s47_enquiries", "s47_start_date"),
        dates_by_child("cp_plans", "plan_start_date"),
    );
    let open_cla: Option<HashSet<String>> = dir.0.join("children_in_care.csv").exists().then(|| {
        let sheet = Sheet::read(dir, "children_in_care");
        let (id, end) = (
            column_at(&pack, &sheet, "children_in_care", "child_id"),
            column_at(&pack, &sheet, "children_in_care", "cla_end_date"),
        );
        sheet
            .rows
            .iter()
            .filter(|(_, r)| r[end].trim().is_empty())
            .map(|(_, r)| r[id].trim().to_string())
            .collect()
    });
    // FIX-CON-DOB: each child id's valid dates of birth in the children table, if written.
    let children_dobs: Option<HashMap<String, HashSet<NaiveDate>>> = dir.0.join("children.csv").exists().then(|| {
        let sheet = Sheet::read(dir, "children");
        let (id, dob) = (
            column_at(&pack, &sheet, "children", "child_id"),
            column_at(&pack, &sheet, "children", "date_of_birth"),
        );
        let mut dobs: HashMap<String, HashSet<NaiveDate>> = HashMap::new();
        for (_, r) in &sheet.rows {
            let entry = dobs.entry(r[id].trim().to_string()).or_default();
            entry.extend(parse_date(&r[dob]).ok().flatten());
        }
        dobs
    });
    // FIX-*-GENDER: the council's wording, as `rules/synonyms/gender.csv` lists it.
    let synonyms: HashSet<String> =
        fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/synonyms/gender.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| squash(l.split(',').next().unwrap()))
            .collect();
    // A gender value the map corrections rewrite: a code in the wrong form, or a synonym.
    let remapped = |v: &str| {
        let list = &pack.code_lists["gender"];
        !v.trim().is_empty()
            && !list.iter().any(|x| x == v)
            && (list.iter().any(|x| squash(x) == squash(v)) || synonyms.contains(&squash(v)))
    };
    // CPP-009: each plan's (child, start, end, line), for rows whose dates all parse.
    let mut periods: Vec<(String, NaiveDate, Option<NaiveDate>, usize)> = Vec::new();
    // CPP-010: each plan's (child, start, line, count), for rows whose start and count parse.
    let mut counts: Vec<(String, NaiveDate, usize, Option<i64>)> = Vec::new();
    // CON-009 and CON-010: (rule, child, line, typed value) of every non-blank value.
    let mut held: Vec<(&str, String, usize, String)> = Vec::new();
    for table in TABLE_NAMES {
        if !dir.0.join(format!("{table}.csv")).exists() {
            continue;
        }
        let sheet = Sheet::read(dir, table);
        let (key, cols) = &pack.tables[table];
        let index: HashMap<&str, usize> = cols
            .iter()
            .map(|c| (c.name.as_str(), column_at(&pack, &sheet, table, &c.name)))
            .collect();
        let mut seen_rows: HashSet<Vec<String>> = HashSet::new();
        let mut seen_keys: HashMap<&str, HashSet<String>> = HashMap::new();
        for (line, row) in &sheet.rows {
            let line = *line;
            if row.len() != sheet.header.len() {
                found.insert((table.to_string(), line, "ingest.ragged_row".into()));
                continue;
            }
            let mut hits: Vec<String> = Vec::new();
            let raw = |c: &str| row[index[c]].as_str();
            let date = |c: &str| parse_date(raw(c)).ok().flatten();
            let int = |c: &str| parse_int(raw(c)).ok().flatten();
            for c in cols {
                let v = raw(&c.name);
                if v.trim().is_empty() {
                    if c.required {
                        hits.push(format!("{table}.{}.required", c.name));
                    }
                    continue;
                }
                let bad = match c.kind.as_str() {
                    "date" => parse_date(v).is_err(),
                    "integer" => parse_int(v).is_err(),
                    "code" => {
                        let list = &pack.code_lists[&c.codes];
                        if !list.iter().any(|x| x == v) {
                            if list.iter().any(|x| squash(x) == squash(v)) {
                                hits.push(format!("{table}.{}.code_form", c.name));
                                false
                            } else {
                                true
                            }
                        } else {
                            false
                        }
                    }
                    _ => false,
                };
                if bad {
                    hits.push(format!("{table}.{}.type", c.name));
                }
            }
            // Exact copies, and the table key (typed: one date in two forms is one key).
            if !seen_rows.insert(row.clone()) {
                hits.push(format!("{table}.duplicate_row"));
            }
            let typed = |c: &str| match pack.tables[table].1.iter().find(|x| x.name == c).unwrap().kind.as_str() {
                "date" => date(c).map(|d| d.to_string()),
                _ => Some(raw(c).to_string()).filter(|s| !s.is_empty()),
            };
            let mut unique = |rule: &'static str, cols: &[&str]| -> Option<String> {
                let parts: Option<Vec<String>> = cols.iter().map(|c| typed(c)).collect();
                let fresh = seen_keys.entry(rule).or_default().insert(parts?.join("|"));
                (!fresh).then(|| rule.to_string())
            };
            let key: Vec<&str> = key.iter().map(String::as_str).collect();
            hits.extend(unique("table_key", &key));
            // The row's child must be among `ids` (a blank id is left to `required`).
            let orphan = |ids: &Option<HashSet<String>>| {
                let id = raw("child_id").trim();
                ids.as_ref().is_some_and(|ids| !id.is_empty() && !ids.contains(id))
            };
            let after = |c: &str| date(c).is_some_and(|d| d > today);
            let before = |a: &str, b: &str| matches!((date(a), date(b)), (Some(x), Some(y)) if x < y);
            match table {
                "children" => {
                    hits.extend(unique("CHI-001", &["child_id"]));
                    if after("date_of_birth") {
                        hits.push("CHI-002".into());
                    }
                    if date("date_of_birth").is_some_and(|d| age_at(d, today) > 25) {
                        hits.push("CHI-003".into());
                    }
                    if !raw("nhs_number").is_empty() && !nhs_ok(raw("nhs_number")) {
                        hits.push("CHI-004".into());
                    }
                    if !raw("postcode").is_empty() && !postcode_ok(raw("postcode")) {
                        hits.push("CHI-005".into());
                    }
                    if ["child_id", "first_name", "surname"]
                        .iter()
                        .any(|c| !clean_text(raw(c)))
                    {
                        hits.push("CHI-006".into());
                    }
                }
                "contacts" => {
                    if after("contact_date") {
                        hits.push("CON-001".into());
                    }
                    if before("contact_date", "date_of_birth") {
                        hits.push("CON-002".into());
                    }
                    if let (Some(a), Some(b), Some(d)) = (int("age"), date("date_of_birth"), date("contact_date"))
                        && a != age_at(b, d)
                    {
                        hits.push("CON-003".into());
                    }
                    let six = today.checked_sub_months(Months::new(72)).unwrap();
                    if date("contact_date").is_some_and(|d| d < six) {
                        hits.push("CON-004".into());
                    }
                    hits.extend(unique("CON-005", &["child_id", "contact_date", "contact_source"]));
                    if !clean_text(raw("child_id")) {
                        hits.push("CON-007".into());
                    }
                    // Typed: a date as a date, a code as the code it matches loosely.
                    let gender = |v: &str| {
                        let list = &pack.code_lists["gender"];
                        list.iter().find(|x| squash(x) == squash(v)).cloned().ok_or(())
                    };
                    let id = raw("child_id").trim().to_string();
                    for (rule, typed) in [
                        (
                            "CON-009",
                            parse_date(raw("date_of_birth")).map(|d| d.map(|d| d.to_string())),
                        ),
                        (
                            "CON-010",
                            Some(raw("gender"))
                                .filter(|v| !v.trim().is_empty())
                                .map(gender)
                                .transpose(),
                        ),
                    ] {
                        match typed {
                            // Not checked, whatever the child.
                            Err(()) => hits.push(rule.into()),
                            Ok(Some(value)) if !id.is_empty() => held.push((rule, id.clone(), line, value)),
                            Ok(_) => {}
                        }
                    }
                }
                "referrals" => {
                    if after("referral_date") {
                        hits.push("REF-001".into());
                    }
                    if before("referral_date", "date_of_birth") {
                        hits.push("REF-002".into());
                    }
                    if int("referrals_last_12m").is_some_and(|n| !(1..=52).contains(&n)) {
                        hits.push("REF-003".into());
                    }
                    hits.extend(unique("REF-004", &["child_id", "referral_date"]));
                    if ["allocated_worker", "allocated_team"]
                        .iter()
                        .any(|c| raw(c).chars().count() > 80)
                    {
                        hits.push("REF-005".into());
                    }
                    if orphan(&children_ids) {
                        hits.push("REF-006".into());
                    }
                }
                "assessments" => {
                    if after("assessment_start_date") || after("authorisation_date") {
                        hits.push("ASS-001".into());
                    }
                    if before("authorisation_date", "assessment_start_date") {
                        hits.push("ASS-002".into());
                    }
                    hits.extend(unique("ASS-003", &["child_id", "assessment_start_date"]));
                    let cutoff = today - chrono::Days::new(45);
                    if raw("authorisation_date").is_empty() && date("assessment_start_date").is_some_and(|d| d < cutoff)
                    {
                        hits.push("ASS-004".into());
                    }
                }
                "cp_plans" => {
                    if ["plan_start_date", "plan_end_date", "review_date", "last_visit_date"]
                        .iter()
                        .any(|c| after(c))
                    {
                        hits.push("CPP-001".into());
                    }
                    if before("plan_end_date", "plan_start_date") {
                        hits.push("CPP-002".into());
                    }
                    if before("review_date", "plan_start_date") {
                        hits.push("CPP-003".into());
                    }
                    if int("previous_plans").is_some_and(|n| !(0..=20).contains(&n)) {
                        hits.push("CPP-004".into());
                    }
                    hits.extend(unique("CPP-005", &["child_id", "plan_start_date"]));
                    if orphan(&assessed_ids) {
                        hits.push("CPP-007".into());
                    }
                    let id = raw("child_id").trim();
                    match (parse_date(raw("plan_start_date")), parse_int(raw("previous_plans"))) {
                        // A value CPP-010 reads did not parse: not checked, whatever the child.
                        (Err(()), _) | (_, Err(())) => hits.push("CPP-010".into()),
                        (Ok(Some(s)), Ok(n)) if !id.is_empty() => counts.push((id.to_string(), s, line, n)),
                        _ => {}
                    }
                    if let (false, Ok(Some(s)), Ok(end)) = (
                        id.is_empty(),
                        parse_date(raw("plan_start_date")),
                        parse_date(raw("plan_end_date")),
                    ) {
                        periods.push((id.to_string(), s, end, line));
                    }
                    // CPP-011: an enquiry for the child on or before the plan's start (a start
                    // that is not a date is not checked).
                    if let (Some(starts), Ok(Some(start))) = (&s47_starts, parse_date(raw("plan_start_date")))
                        && !id.is_empty()
                        && !starts.get(id).is_some_and(|s| s.iter().any(|&d| d <= start))
                    {
                        hits.push("CPP-011".into());
                    }
                    // CIN-R01: a child on an open plan is a child in need.
                    if raw("plan_end_date").trim().is_empty() && orphan(&cin_ids) {
                        hits.push("CIN-R01".into());
                    }
                }
                "early_help" => {
                    if orphan(&children_ids) {
                        hits.push("EHA-R01".into());
                    }
                }
                "s47_enquiries" => {
                    // S47-R01: a conference that made a plan needs a plan starting on or after it
                    // (any plan, if it has no date; a date that is not one is not checked).
                    let id = raw("child_id").trim();
                    let made_plan = squash(raw("icpc_outcome")) == squash("a) Yes");
                    if let (Some(plans), true, Ok(icpc)) = (&plan_starts, made_plan, parse_date(raw("icpc_date")))
                        && !id.is_empty()
                        && !plans
                            .get(id)
                            .is_some_and(|p| p.iter().any(|&d| icpc.is_none_or(|i| d >= i)))
                    {
                        hits.push("S47-R01".into());
                    }
                    if orphan(&children_ids) {
                        hits.push("S47-R02".into());
                    }
                }
                "children_in_need" => {
                    if orphan(&children_ids) {
                        hits.push("CIN-R02".into());
                    }
                }
                "children_in_care" => {
                    if orphan(&children_ids) {
                        hits.push("CLA-R01".into());
                    }
                    if raw("cla_end_date").trim().is_empty() && orphan(&cin_ids) {
                        hits.push("CLA-R02".into());
                    }
                }
                "care_leavers" => {
                    let id = raw("child_id").trim();
                    if open_cla.as_ref().is_some_and(|o| o.contains(id)) {
                        hits.push("CLV-R01".into());
                    }
                    if orphan(&children_ids) {
                        hits.push("CLV-R02".into());
                    }
                }
                "adoptions" => {
                    if orphan(&cla_ids) {
                        hits.push("ADO-R01".into());
                    }
                    if orphan(&children_ids) {
                        hits.push("ADO-R02".into());
                    }
                }
                "adopters" => {}
                _ => unreachable!(),
            }
            // The pack's corrections, each a hit named by its correction id.
            match table {
                "children" => {
                    if ["child_id", "first_name", "surname"]
                        .iter()
                        .any(|c| !clean_text(raw(c)))
                    {
                        hits.push("CHI-006.fix".into());
                    }
                    if remapped(raw("sex")) {
                        hits.push("FIX-CHI-SEX".into());
                    }
                }
                "contacts" => {
                    if !clean_text(raw("child_id")) {
                        hits.push("CON-007.fix".into());
                    }
                    if remapped(raw("gender")) {
                        hits.push("FIX-CON-GENDER".into());
                    }
                    for c in ["date_of_birth", "contact_date"] {
                        if let Ok(Some(d)) = parse_date(raw(c))
                            && raw(c) != d.format("%d/%m/%Y").to_string()
                        {
                            hits.push("FIX-CON-DATES".into());
                        }
                    }
                    if hits.iter().any(|h| h == "CON-003") {
                        hits.push("CON-003.fix".into());
                    }
                    let one_dob = children_dobs
                        .as_ref()
                        .and_then(|d| d.get(raw("child_id").trim()))
                        .is_some_and(|d| d.len() == 1);
                    if !matches!(parse_date(raw("date_of_birth")), Ok(Some(_))) && one_dob {
                        hits.push("FIX-CON-DOB".into());
                    }
                }
                _ => {}
            }
            found.extend(hits.into_iter().map(|h| (table.to_string(), line, h)));
        }
    }
    // CPP-009: two of a child's plans overlap if one starts on or after the other's start and
    // before its end (an open end never comes). Identical periods are compared once; both
    // rows of an overlapping pair are flagged.
    let mut distinct: HashSet<(String, NaiveDate, Option<NaiveDate>)> = HashSet::new();
    periods.retain(|(id, s, e, _)| distinct.insert((id.clone(), *s, *e)));
    for (j, a) in periods.iter().enumerate() {
        for b in &periods[j + 1..] {
            let (first, second) = if (a.1, a.3) <= (b.1, b.3) { (a, b) } else { (b, a) };
            if first.0 == second.0 && first.2.is_none_or(|end| second.1 < end) {
                for l in [a.3, b.3] {
                    found.insert(("cp_plans".to_string(), l, "CPP-009".into()));
                }
            }
        }
    }
    // CPP-010: a child's plans in order of start (then line): each plan after the first that
    // starts on another day must count more previous plans than the one before it.
    counts.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
    for w in counts.windows(2) {
        let (before, plan) = (&w[0], &w[1]);
        if before.0 == plan.0 && before.1 != plan.1 && matches!((before.3, plan.3), (Some(a), Some(b)) if b <= a) {
            found.insert(("cp_plans".to_string(), plan.2, "CPP-010".into()));
        }
    }
    // CON-009, CON-010: per child, every value must be the one most of their contacts hold
    // (on a tie, the one on the earliest line).
    let mut groups: HashMap<(&str, &str), Vec<(usize, &str)>> = HashMap::new();
    for (rule, id, line, value) in &held {
        groups.entry((rule, id)).or_default().push((*line, value));
    }
    for ((rule, _), rows) in groups {
        let mut tally: HashMap<&str, (usize, std::cmp::Reverse<usize>)> = HashMap::new();
        for &(line, value) in &rows {
            let t = tally.entry(value).or_insert((0, std::cmp::Reverse(line)));
            t.0 += 1;
            t.1 = t.1.max(std::cmp::Reverse(line));
        }
        let usual = tally.iter().max_by_key(|(_, t)| **t).map(|(v, _)| *v).unwrap();
        for (line, value) in rows {
            if value != usual {
                found.insert(("contacts".to_string(), line, rule.to_string()));
            }
        }
    }
    // CHI-P01: a later children record, under another id, that is the same child as an earlier
    // one: names the same, one letter apart or a short form (rules/nicknames.csv), or a
    // pre-birth "Baby"/"Unborn" record born within three weeks of its date; the date of birth
    // the same or with day and month swapped; postcode and NHS number the same where both are
    // recorded. Twins (other first names, other NHS numbers) are not the same child.
    if dir.0.join("children.csv").exists() {
        let sheet = Sheet::read(dir, "children");
        let col = |name: &str| column_at(&pack, &sheet, "children", name);
        let (id, first, surname, dob, postcode, nhs) = (
            col("child_id"),
            col("first_name"),
            col("surname"),
            col("date_of_birth"),
            col("postcode"),
            col("nhs_number"),
        );
        let fold = |s: &str| -> String {
            s.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .map(|c| match c {
                    'à'..='å' => 'a',
                    'è'..='ë' => 'e',
                    'ì'..='ï' => 'i',
                    'ò'..='ö' => 'o',
                    'ù'..='ü' => 'u',
                    'ł' => 'l',
                    c => c,
                })
                .collect()
        };
        let nicknames: HashSet<(String, String)> =
            fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/nicknames.csv"))
                .unwrap()
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(','))
                .flat_map(|(a, b)| [(fold(a), fold(b)), (fold(b), fold(a))])
                .collect();
        // One letter substituted, dropped, added, or two neighbours swapped.
        let one_slip = |a: &str, b: &str| -> bool {
            let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
            match long.len() - short.len() {
                0 => {
                    let diff: Vec<usize> = (0..a.len()).filter(|&k| a[k] != b[k]).collect();
                    diff.len() == 1
                        || diff.len() == 2
                            && diff[1] == diff[0] + 1
                            && a[diff[0]] == b[diff[1]]
                            && a[diff[1]] == b[diff[0]]
                }
                1 => (0..long.len()).any(|k| {
                    let mut l = long.clone();
                    l.remove(k);
                    &l == short
                }),
                _ => false,
            }
        };
        let placeholder = |s: &str| ["baby", "unborn", "unbornbaby"].contains(&s);
        let digits = |s: &str| -> String { s.chars().filter(char::is_ascii_digit).collect() };
        let agree = |a: &str, b: &str| a.is_empty() || b.is_empty() || a == b;
        struct Rec {
            line: usize,
            id: String,
            first: String,
            surname: String,
            dob: Option<NaiveDate>,
            postcode: String,
            nhs: String,
        }
        let recs: Vec<Rec> = sheet
            .rows
            .iter()
            .map(|(line, r)| Rec {
                line: *line,
                id: r[id].trim().to_string(),
                first: fold(&r[first]),
                surname: fold(&r[surname]),
                dob: parse_date(&r[dob]).ok().flatten(),
                postcode: squash(&r[postcode]),
                nhs: digits(&r[nhs]),
            })
            .collect();
        for (k, b) in recs.iter().enumerate() {
            let same = recs[..k].iter().any(|a| {
                let (Some(x), Some(y)) = (a.dob, b.dob) else {
                    return false;
                };
                let pre_birth = placeholder(&a.first) || placeholder(&b.first);
                let dates = x == y
                    || NaiveDate::from_ymd_opt(x.year(), x.day(), x.month()) == Some(y)
                    || pre_birth && (x - y).num_days().abs() <= 21;
                let names = pre_birth
                    || a.first == b.first
                    || one_slip(&a.first, &b.first)
                    || nicknames.contains(&(a.first.clone(), b.first.clone()));
                a.id != b.id
                    && dates
                    && names
                    && (a.surname == b.surname || one_slip(&a.surname, &b.surname))
                    && agree(&a.postcode, &b.postcode)
                    && agree(&a.nhs, &b.nhs)
            });
            if same {
                found.insert(("children".to_string(), b.line, "CHI-P01".to_string()));
            }
        }
    }
    // Name the duplicate-row findings by the pack's rule ids.
    let dup_rule = |t: &str| match t {
        "children" => "CHI-007",
        "contacts" => "CON-006",
        "cp_plans" => "CPP-006",
        _ => "duplicate_row",
    };
    found
        .into_iter()
        .map(|(t, l, r)| {
            if r.ends_with(".duplicate_row") {
                (t.clone(), l, dup_rule(&t).to_string())
            } else {
                (t, l, r)
            }
        })
        .collect()
}

/// Is this hit a correction's change rather than a rule's finding?
fn is_change(rule: &str) -> bool {
    rule.ends_with(".fix") || rule.starts_with("FIX-")
}

/// The mini-checker finds every planted problem and makes every listed change, and finds
/// and changes nothing else.
pub(crate) fn assert_truth_matches(dir: &Scratch, truth: &[Truth], today: NaiveDate) {
    let (changes, found): (Findings, Findings) = check(dir, today).into_iter().partition(|f| is_change(&f.2));
    let mut planted_lines = HashSet::new();
    let mut listed = Findings::new();
    for t in truth {
        let info = t.kind.info();
        let key = (TABLE_NAMES[t.table].to_string(), t.line, info.rule.to_string());
        match info.expect {
            Expectation::Finding => {
                assert!(found.contains(&key), "planted problem not found: {key:?}");
                planted_lines.insert((key.0, key.1));
            }
            Expectation::None => {
                let on_line: Vec<_> = found.iter().filter(|f| f.0 == key.0 && f.1 == key.1).collect();
                assert!(on_line.is_empty(), "tolerated value {key:?} was flagged: {on_line:?}");
            }
            Expectation::Change => {
                assert!(changes.contains(&key), "listed change not made: {key:?}");
                listed.insert(key);
            }
        }
    }
    let unlisted: Vec<_> = changes.difference(&listed).collect();
    assert!(unlisted.is_empty(), "changes not in the ground truth: {unlisted:?}");
    let stray: Vec<_> = found
        .iter()
        .filter(|f| !planted_lines.contains(&(f.0.clone(), f.1)))
        .collect();
    assert!(stray.is_empty(), "findings on clean rows: {stray:?}");
}
