//! The DfE's tables, and a collection year's view of a child's history as rows of them: the
//! episodes open during the year (as known at its end: an episode that ended later is open),
//! the reviews, missing and social worker episodes in it, and the modules that apply (UASC,
//! OC2 for children looked after all year, OC3 for care leavers, AD1 and the adoption
//! decisions, previous permanence for children who started to be looked after).

use crate::render::{DateForm, Day, push_date, push_uint};
use crate::rng::{Rng, mix};

use super::children::{Ctx, History, UpnRule};
use super::codes::{Urn, Window, aug31, place_for_year};
use super::geography::Post;
use super::{SALT_OC2, SALT_OC3};

/// One of the DfE's tables: its name in the rule pack, its file and its header.
pub(crate) struct TableDef {
    pub(crate) name: &'static str,
    pub(crate) file: &'static str,
    pub(crate) header: &'static str,
    /// Its name as last year's table in the pack, if the pack reads last year's.
    pub(crate) last: Option<&'static str>,
}

pub(crate) const HEADER: usize = 0;
pub(crate) const EPISODES: usize = 1;
pub(crate) const REVIEWS: usize = 2;
pub(crate) const UASC: usize = 3;
pub(crate) const OC2: usize = 4;
pub(crate) const OC3: usize = 5;
pub(crate) const AD1: usize = 6;
pub(crate) const P4A: usize = 7;
pub(crate) const PREV_PERM: usize = 8;
pub(crate) const MISSING: usize = 9;
pub(crate) const SW: usize = 10;

#[rustfmt::skip]
pub(crate) const TABLES: [TableDef; 11] = [
    TableDef { name: "header", file: "header.csv", header: "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB", last: Some("header_last") },
    TableDef { name: "episodes", file: "episodes.csv", header: "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN", last: Some("episodes_last") },
    TableDef { name: "reviews", file: "reviews.csv", header: "CHILD,DOB,REVIEW,REVIEW_CODE", last: None },
    TableDef { name: "uasc", file: "uasc.csv", header: "CHILD,SEX,DOB,DUC", last: Some("uasc_last") },
    TableDef { name: "oc2", file: "oc2.csv", header: "CHILD,DOB,SDQ_SCORE,SDQ_REASON,CONVICTED,HEALTH_CHECK,IMMUNISATIONS,TEETH_CHECK,HEALTH_ASSESSMENT,SUBSTANCE_MISUSE,INTERVENTION_RECEIVED,INTERVENTION_OFFERED", last: None },
    TableDef { name: "oc3", file: "oc3.csv", header: "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM", last: Some("oc3_last") },
    TableDef { name: "ad1", file: "ad1.csv", header: "CHILD,DOB,DATE_INT,DATE_MATCH,FOSTER_CARE,NB_ADOPTR,SEX_ADOPTR,LS_ADOPTR", last: None },
    TableDef { name: "placed_adoption", file: "placed_for_adoption.csv", header: "CHILD,DOB,DATE_PLACED,DATE_PLACED_CEASED,REASON_PLACED_CEASED", last: Some("placed_adoption_last") },
    TableDef { name: "prev_perm", file: "previous_permanence.csv", header: "CHILD,DOB,PREV_PERM,LA_PERM,DATE_PERM", last: None },
    TableDef { name: "missing", file: "missing.csv", header: "CHILD,DOB,MISSING,MIS_START,MIS_END", last: Some("missing_last") },
    TableDef { name: "sw_episodes", file: "sw_episodes.csv", header: "CHILD,DOB,SW_ID,SW_DECOM,SW_DEC,SW_REASON", last: None },
];

pub(crate) fn columns(table: usize) -> usize {
    TABLES[table].header.split(',').count()
}

/// One value as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Val {
    Empty,
    Code(&'static str),
    /// dd/mm/yyyy.
    Date(Day),
    /// `ZZ/mm/yyyy`: a date whose day is not known.
    Month(Day),
    Child(u32),
    Upn([u8; 13]),
    Post(Post),
    Urn(Urn),
    /// A social worker's id, `SW` + digits.
    Sw(u32),
    Int(i64),
    /// Anything else, as typed (up to 16 bytes).
    Raw([u8; 16], u8),
}

impl Val {
    pub(crate) fn raw(s: &str) -> Val {
        let mut b = [0u8; 16];
        b[..s.len()].copy_from_slice(s.as_bytes());
        Val::Raw(b, s.len() as u8)
    }

    pub(crate) fn is_empty(self) -> bool {
        self == Val::Empty
    }

    pub(crate) fn date(self) -> Option<Day> {
        match self {
            Val::Date(d) => Some(d),
            _ => None,
        }
    }

    pub(crate) fn code(self) -> Option<&'static str> {
        match self {
            Val::Code(c) => Some(c),
            _ => None,
        }
    }

    pub(crate) fn push(self, buf: &mut Vec<u8>) {
        match self {
            Val::Empty => {}
            Val::Code(s) => buf.extend_from_slice(s.as_bytes()),
            Val::Date(d) => push_date(buf, d, DateForm::Dmy),
            Val::Month(d) => {
                let mut tmp = Vec::with_capacity(10);
                push_date(&mut tmp, d, DateForm::Dmy);
                buf.extend_from_slice(b"ZZ");
                buf.extend_from_slice(&tmp[2..]);
            }
            Val::Child(n) => {
                buf.extend_from_slice(b"NF");
                push_uint(buf, u64::from(n), 6);
            }
            Val::Upn(u) => buf.extend_from_slice(&u),
            Val::Post(p) => p.push(buf),
            Val::Urn(u) => u.push(buf),
            Val::Sw(n) => {
                buf.extend_from_slice(b"SW");
                push_uint(buf, u64::from(n), 6);
            }
            Val::Int(n) => {
                if n < 0 {
                    buf.push(b'-');
                }
                push_uint(buf, n.unsigned_abs(), 1);
            }
            Val::Raw(b, n) => buf.extend_from_slice(&b[..usize::from(n)]),
        }
    }
}

/// One row of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) v: [Val; 13],
}

impl Row {
    fn new() -> Row {
        Row { v: [Val::Empty; 13] }
    }

    pub(crate) fn push(&self, table: usize, buf: &mut Vec<u8>) {
        for (k, v) in self.v[..columns(table)].iter().enumerate() {
            if k > 0 {
                buf.push(b',');
            }
            v.push(buf);
        }
        buf.push(b'\n');
    }
}

/// A child's rows in every table for one year (reused buffers).
#[derive(Debug, Default)]
pub(crate) struct Rows {
    pub(crate) t: [Vec<Row>; 11],
}

impl Rows {
    pub(crate) fn clear(&mut self) {
        for t in &mut self.t {
            t.clear();
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.t.iter().all(Vec::is_empty)
    }
}

fn date_or_empty(d: Option<Day>) -> Val {
    d.map_or(Val::Empty, Val::Date)
}

fn code_or_empty(c: Option<&'static str>) -> Val {
    c.map_or(Val::Empty, Val::Code)
}

/// The child's UPN as recorded in year `w`.
pub(crate) fn upn_in(h: &History, w: Window) -> Val {
    match h.upn_rule {
        UpnRule::Always(code) => Val::Code(code),
        UpnRule::Asylum if w.end - h.entry < 183 => Val::Code("UN2"),
        _ if h.dob > aug31(w.year - 5) => Val::Code("UN1"),
        _ => Val::Upn(h.upn),
    }
}

/// Write `h`'s rows for year `w` into `out` (cleared first). Empty if the child is not in that
/// year's return.
pub(crate) fn view(ctx: &Ctx, h: &History, w: Window, out: &mut Rows) {
    out.clear();
    let child = Val::Child(h.id);
    let dob = Val::Date(h.dob);

    // Episodes open during the year, as known on 31 March.
    for e in &h.eps {
        if e.decom > w.end || e.dec.is_some_and(|d| d < w.start) {
            continue;
        }
        let ended = e.dec.filter(|&d| d <= w.end);
        let mut r = Row::new();
        r.v[..13].copy_from_slice(&[
            child,
            Val::Date(e.decom),
            Val::Code(e.rne),
            Val::Code(e.ls),
            Val::Code(e.cin),
            Val::Code(place_for_year(e.pl.place, w.year)),
            code_or_empty(e.pl.provider),
            date_or_empty(ended),
            code_or_empty(ended.and(e.rec)),
            code_or_empty(ended.and(e.reason)),
            e.home.map_or(Val::Empty, Val::Post),
            e.pl.post.map_or(Val::Empty, Val::Post),
            e.pl.urn.map_or(Val::Empty, Val::Urn),
        ]);
        out.t[EPISODES].push(r);
    }
    let in_care = !out.t[EPISODES].is_empty();
    let leaver = care_leaver(h, w);
    if !in_care && !leaver {
        return;
    }

    // Header.
    let mut r = Row::new();
    let looked_after = out.t[EPISODES]
        .iter()
        .any(|e| !matches!(e.v[3], Val::Code("V3" | "V4")));
    let mother = (h.sex == "F" && looked_after).then(|| h.baby.filter(|&b| b <= w.end));
    r.v[..7].copy_from_slice(&[
        child,
        Val::Code(h.sex),
        dob,
        Val::Code(h.ethnic),
        upn_in(h, w),
        match mother {
            None => Val::Empty,
            Some(None) => Val::Code("0"),
            Some(Some(_)) => Val::Code("1"),
        },
        date_or_empty(mother.flatten()),
    ]);
    out.t[HEADER].push(r);

    if h.uasc && h.b(18) >= w.start {
        let mut r = Row::new();
        r.v[..4].copy_from_slice(&[child, Val::Code(h.sex), dob, Val::Date(h.b(18))]);
        out.t[UASC].push(r);
    }
    if leaver {
        oc3_row(ctx, h, w, out);
    }
    if !in_care {
        return;
    }

    for rv in h.reviews.iter().filter(|r| w.contains(r.date)) {
        let mut r = Row::new();
        r.v[..4].copy_from_slice(&[child, dob, Val::Date(rv.date), Val::Code(rv.code)]);
        out.t[REVIEWS].push(r);
    }
    for m in &h.missing {
        if m.start > w.end || m.end.is_some_and(|e| e < w.start) {
            continue;
        }
        let mut r = Row::new();
        r.v[..5].copy_from_slice(&[
            child,
            dob,
            Val::Code(m.kind),
            Val::Date(m.start),
            date_or_empty(m.end.filter(|&e| e <= w.end)),
        ]);
        out.t[MISSING].push(r);
    }
    for s in &h.sw {
        if s.start > w.end || s.end.is_some_and(|e| e < w.start) {
            continue;
        }
        let mut r = Row::new();
        r.v[..6].copy_from_slice(&[
            child,
            dob,
            Val::Sw(s.worker),
            Val::Date(s.start),
            date_or_empty(s.end.filter(|&e| e <= w.end)),
            Val::Code(s.reason),
        ]);
        out.t[SW].push(r);
    }
    for d in &h.decisions {
        let ceased = d.ceased.filter(|c| c.0 <= w.end);
        if d.placed > w.end || d.ceased.is_some_and(|c| c.0 < w.start) || h.exit.is_some_and(|x| x < w.start) {
            continue;
        }
        let mut r = Row::new();
        r.v[..5].copy_from_slice(&[
            child,
            dob,
            Val::Date(d.placed),
            date_or_empty(ceased.map(|c| c.0)),
            code_or_empty(ceased.map(|c| c.1)),
        ]);
        out.t[P4A].push(r);
    }
    if let (Some(a), Some(x)) = (h.adoption, h.exit)
        && w.contains(x)
    {
        let mut r = Row::new();
        r.v[..8].copy_from_slice(&[
            child,
            dob,
            Val::Date(a.date_int),
            Val::Date(a.date_match),
            Val::Code(a.foster_care),
            Val::Code(a.nb),
            Val::Code(a.sex),
            Val::Code(a.ls),
        ]);
        out.t[AD1].push(r);
    }
    let started = out.t[EPISODES]
        .iter()
        .any(|e| e.v[2] == Val::Code("S") && e.v[1].date().is_some_and(|d| d >= w.start));
    if let (true, Some(p)) = (started, h.prev_perm) {
        let mut r = Row::new();
        r.v[..5].copy_from_slice(&[
            child,
            dob,
            Val::Code(p.code),
            code_or_empty(p.la),
            match p.date {
                None => Val::Empty,
                Some((d, true)) => Val::Month(d),
                Some((d, false)) => Val::Date(d),
            },
        ]);
        out.t[PREV_PERM].push(r);
    }
    if continuously_looked_after(&out.t[EPISODES], w) {
        oc2_row(ctx, h, w, out);
    }
}

/// Looked after all year, as the DfE's validator works it out from the year's episodes: no
/// episode starting to be looked after after 1 April, none ending other than X1 before 31
/// March, and no short breaks.
pub(crate) fn continuously_looked_after(eps: &[Row], w: Window) -> bool {
    !eps.is_empty()
        && eps.iter().all(|e| {
            let (decom, dec) = (e.v[1].date(), e.v[7].date());
            let starts = e.v[2] == Val::Code("S") && decom.is_some_and(|d| d > w.start && d <= w.end);
            let leaves = e.v[8] != Val::Code("X1") && dec.is_some_and(|d| d >= w.start && d < w.end);
            let breaks = matches!(e.v[3], Val::Code("V3" | "V4"));
            !starts && !leaves && !breaks
        })
}

fn oc2_row(ctx: &Ctx, h: &History, w: Window, out: &mut Rows) {
    let mut rng = Rng::stream(ctx.seed ^ mix(w.year as u64), h.idx as u64, SALT_OC2);
    let flag = |rng: &mut Rng, per_mille: u64| Val::Code(if rng.chance(per_mille) { "1" } else { "0" });
    let (b4, b5, b10, b17) = (h.b(4), h.b(5), h.b(10), h.b(17));
    // The strengths and difficulties questionnaire: for children 4 to 16.
    let (mut score, mut reason) = (Val::Empty, Val::Empty);
    if b4 <= w.end && b17 >= w.start {
        let edge = b4 > w.start || b17 <= w.end;
        if rng.chance(780) {
            score = Val::Int((rng.below(21) + rng.below(21)) as i64);
        } else if edge && rng.chance(500) {
            reason = Val::Code("SDQ1");
        } else {
            reason = Val::Code(["SDQ2", "SDQ3", "SDQ4", "SDQ5"][rng.weighted(&[40, 30, 20, 10])]);
        }
    }
    let convicted = if b10 <= w.end { flag(&mut rng, 30) } else { Val::Empty };
    let health_check = if b5 > w.end { flag(&mut rng, 900) } else { Val::Empty };
    let teen = b10 <= w.end;
    let misuse = if teen && rng.chance(60) { "1" } else { "0" };
    let (received, offered) = if misuse == "1" {
        if rng.chance(600) {
            (Val::Code("1"), Val::Empty)
        } else {
            (Val::Code("0"), flag(&mut rng, 700))
        }
    } else {
        (Val::Empty, Val::Empty)
    };
    let mut r = Row::new();
    r.v[..12].copy_from_slice(&[
        Val::Child(h.id),
        Val::Date(h.dob),
        score,
        reason,
        convicted,
        health_check,
        flag(&mut rng, 880),
        flag(&mut rng, 820),
        flag(&mut rng, 900),
        Val::Code(misuse),
        received,
        offered,
    ]);
    out.t[OC2].push(r);
}

/// The birthday (17th, 18th or 19th) in year `w` of a care leaver: someone who left care after
/// turning 16, having been looked after at least 13 weeks since turning 14, before that
/// birthday. Only care leavers whose care the DfE's validator can see (this year's and last
/// year's returns) are returned, and none whose birthday falls in the last days of the year,
/// where its ages in 365.2425-day years disagree with birthdays.
pub(crate) fn leaver_birthday(h: &History, w: Window) -> Option<(i32, Day)> {
    if h.short_breaks {
        return None;
    }
    let x = h.exit?;
    if matches!(h.rec(), Some("E11" | "E12" | "E2" | "E3" | "E15")) || x < w.prev().start || x > w.end || x <= h.b(16) {
        return None;
    }
    let (years, birthday) = [17, 18, 19]
        .into_iter()
        .map(|n| (n, h.b(n)))
        .find(|&(_, b)| b >= w.start && b <= w.end - 3 && x < b)?;
    if h.b(20) > w.end {
        let from = w.prev().start;
        let (b14, b16) = (h.b(14), h.b(16));
        let (mut after14, mut after16) = (0, 0);
        for e in h
            .eps
            .iter()
            .filter(|e| e.dec.is_some_and(|d| d >= from) && e.decom <= w.end)
        {
            let dec = e.dec.expect("filtered");
            after14 += (dec - e.decom.max(b14)).max(0);
            after16 += (dec - e.decom.max(b16)).max(0);
        }
        if after14 < 91 || after16 < 1 {
            return None;
        }
    }
    Some((years, birthday))
}

fn care_leaver(h: &History, w: Window) -> bool {
    let Some(_) = leaver_birthday(h, w) else { return false };
    // A mother who is no longer looked after cannot be recorded as one (rule 628), nor her
    // child's date of birth dropped (rules 612, 624): leave her out.
    !(h.baby.is_some() && h.exit.is_some_and(|x| x < w.start))
}

fn oc3_row(ctx: &Ctx, h: &History, w: Window, out: &mut Rows) {
    let (years, _) = leaver_birthday(h, w).expect("a care leaver");
    let mut rng = Rng::stream(ctx.seed ^ mix(w.year as u64), h.idx as u64, SALT_OC3);
    let in_touch = ["YES", "NO", "REFU", "NREQ", "RHOM"][rng.weighted(&[820, 60, 40, 50, 30])];
    let (activ, accom) = if in_touch == "YES" {
        const ACTIV: [&str; 11] = ["F1", "P1", "F2", "P2", "F4", "P4", "F5", "P5", "G4", "G5", "G6"];
        const ACTIV_W: [u16; 11] = [30, 10, 250, 40, 30, 10, 120, 60, 80, 300, 70];
        const ACCOM: [&str; 15] = [
            "B1", "D1", "E1", "U1", "K1", "T1", "C1", "Z1", "X2", "S2", "V1", "Y1", "B2", "D2", "U2",
        ];
        let mut w_accom: [u16; 15] = [200, 200, 100, 150, 30, 30, 20, 100, 20, 10, 20, 50, 20, 20, 20];
        if years == 17 {
            w_accom[7] = 0;
        }
        (ACTIV[rng.weighted(&ACTIV_W)], ACCOM[rng.weighted(&w_accom)])
    } else {
        ("0", "0")
    };
    let mut r = Row::new();
    r.v[..5].copy_from_slice(&[
        Val::Child(h.id),
        Val::Date(h.dob),
        Val::Code(in_touch),
        Val::Code(activ),
        Val::Code(accom),
    ]);
    out.t[OC3].push(r);
}
