//! The collection year's calendar, the DfE's code lists (with how often a council uses each),
//! and the council's identifiers: child ids, UPNs, Ofsted URNs, providers and social workers
//! (postcodes are in `geography.rs`).

use chrono::{Datelike, Months, NaiveDate};

use crate::ids::{ID_STEP, upn_check_letter};
use crate::render::{Day, day, nd, push_uint};
use crate::rng::{Rng, mix};

use super::geography::{
    AGENCY_ADOPTION, AGENCY_FOSTER, HEALTH, HOMES, LOCAL, NORTHFIELD, Post, SECURE, SOUTHDALE, Spread, YOI, draw_area,
};

/// One collection year: 1 April `year` to 31 March `year + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) year: i32,
    pub(crate) start: Day,
    pub(crate) end: Day,
}

impl Window {
    pub(crate) fn of(year: i32) -> Option<Window> {
        Some(Window {
            year,
            start: day(NaiveDate::from_ymd_opt(year, 4, 1)?),
            end: day(NaiveDate::from_ymd_opt(year + 1, 3, 31)?),
        })
    }

    pub(crate) fn prev(self) -> Window {
        Window::of(self.year - 1).expect("the year before a valid year is valid")
    }

    pub(crate) fn contains(self, d: Day) -> bool {
        (self.start..=self.end).contains(&d)
    }

    /// `2025-26`.
    pub(crate) fn label(self) -> String {
        format!("{}-{:02}", self.year, (self.year + 1).rem_euclid(100))
    }
}

/// `d` plus `n` whole years (29 February becomes 28 February, as pandas' `DateOffset` and SQL
/// intervals do).
pub(crate) fn add_years(d: Day, n: i32) -> Day {
    let date = nd(d);
    let moved = if n >= 0 {
        date.checked_add_months(Months::new(12 * n as u32))
    } else {
        date.checked_sub_months(Months::new(12 * n.unsigned_abs()))
    };
    day(moved.expect("generated dates stay within chrono's range"))
}

/// 31 August of `year`.
pub(crate) fn aug31(year: i32) -> Day {
    day(NaiveDate::from_ymd_opt(year, 8, 31).expect("31 August exists"))
}

/// The collection year `d` is in, by the year it starts.
pub(crate) fn collection_year_of(d: Day) -> i32 {
    let date = nd(d);
    if date.month() >= 4 {
        date.year()
    } else {
        date.year() - 1
    }
}

/// Is `d` in the last `days` days of March (where a year's return ends)?
pub(crate) fn near_year_end(d: Day, days: u32) -> bool {
    let date = nd(d);
    date.month() == 3 && date.day() > 31 - days
}

// ---------------------------------------------------------------------------------------------
// Code lists. Weights are per mille-ish shares, roughly England's.

pub(crate) const ETHNIC: [&str; 20] = [
    "WBRI", "WIRI", "WOTH", "WIRT", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN", "AOTH", "BCRB",
    "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
];
pub(crate) const ETHNIC_W: [u16; 20] = [690, 3, 35, 4, 5, 35, 10, 10, 40, 5, 10, 4, 15, 15, 30, 15, 1, 30, 3, 5];
/// Unaccompanied asylum-seeking children: Afghanistan, Sudan and Eritrea, Iran and Syria,
/// Albania and Vietnam, mostly.
pub(crate) const UASC_ETHNIC: [&str; 6] = ["AOTH", "BAFR", "OOTH", "WOTH", "BOTH", "AOTH"];

pub(crate) const CIN: [&str; 8] = ["N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"];
pub(crate) const CIN_W: [u16; 8] = [640, 30, 30, 70, 140, 20, 2, 68];

/// Reasons a placement changed (on the episode that ended).
pub(crate) const REASON: [&str; 10] = [
    "CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "CREQO", "CHILD", "LAREQ", "OTHER",
];
pub(crate) const REASON_W: [u16; 10] = [350, 15, 30, 30, 20, 150, 100, 80, 100, 125];

pub(crate) const REVIEW_CODES: [&str; 7] = ["PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7"];
pub(crate) const REVIEW_W: [u16; 7] = [450, 150, 80, 120, 60, 80, 60];

pub(crate) const SW_REASONS: [&str; 8] = [
    "MANAGE", "LEFTRL", "ORGRST", "TSPROC", "ABSENC", "CHCHAN", "PCCHAN", "OTHERS",
];
pub(crate) const SW_REASON_W: [u16; 8] = [200, 300, 80, 220, 50, 30, 20, 100];

pub(crate) const TEMP_PLACES: [&str; 5] = ["T0", "T1", "T2", "T3", "T4"];

pub(crate) fn is_temp(place: &str) -> bool {
    TEMP_PLACES.contains(&place)
}

pub(crate) fn is_foster(place: &str) -> bool {
    matches!(place, "U1" | "U2" | "U3" | "U4" | "U5" | "U6")
}

pub(crate) fn is_adoption(place: &str) -> bool {
    matches!(place, "A3" | "A4" | "A5" | "A6")
}

/// Placements Ofsted regulates, so the episode names the provider's URN (rule 218).
pub(crate) fn needs_urn(place: &str) -> bool {
    !matches!(
        place,
        "P1" | "P3" | "R1" | "R2" | "R5" | "T0" | "T1" | "T2" | "T3" | "T4" | "Z11" | "Z12" | "Z13" | "Z14" | "Z1"
    )
}

/// The youngest age a placement is for (rules 371 to 374, and the courts for remand).
pub(crate) fn min_age(place: &str) -> i64 {
    match place {
        "K3" => 16,
        "P3" => 14,
        "R5" => 15,
        "K1" => 10,
        "K2" => 8,
        "S1" => 8,
        _ => 0,
    }
}

/// The old code a year before 2025/26 used for the `Z1x` other placements.
pub(crate) fn place_for_year(place: &'static str, year: i32) -> &'static str {
    if year < 2025 && place.starts_with('Z') {
        "Z1"
    } else {
        place
    }
}

/// The three-digit DfE numbers of some local authorities, for previous permanence orders made
/// elsewhere (rule 633's list).
pub(crate) const LA_CODES: [&str; 12] = [
    "800", "889", "822", "301", "330", "825", "873", "909", "202", "341", "931", "936",
];

// ---------------------------------------------------------------------------------------------
// URNs, providers and identifiers.

/// An Ofsted unique reference number: a social care provider's `SC` + six digits, a school's
/// six digits, or `XXXXXXX` where a foster or adoptive placement has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Urn {
    Sc(u32),
    School(u32),
    Unknown,
}

impl Urn {
    pub(crate) fn push(self, buf: &mut Vec<u8>) {
        match self {
            Urn::Sc(n) => {
                buf.extend_from_slice(b"SC");
                push_uint(buf, u64::from(n), 6);
            }
            Urn::School(n) => push_uint(buf, u64::from(n), 6),
            Urn::Unknown => buf.extend_from_slice(b"XXXXXXX"),
        }
    }
}

/// A provider (a children's home, agency, school...) from a pool of `size` for a kind: the
/// same `k` always gives the same URN, postcode and provider code. The council's own provision
/// (PR1) and supported accommodation (whose URN the DfE expects in the council's area, rule
/// 241) are in Northfield; others are where that kind of provider is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Provider {
    pub(crate) urn: Urn,
    pub(crate) post: Post,
    pub(crate) code: &'static str,
}

pub(crate) fn provider(seed: u64, kind: &str, k: u64) -> Provider {
    let tag = kind
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(131).wrapping_add(u64::from(b)));
    let mut rng = Rng::stream(seed ^ mix(tag), k, crate::ssda903::SALT_POOL);
    // Kept for the draws after it; the number itself is the kind's own block of 80,000, so no
    // two providers share a URN (Ofsted registers each once).
    let _ = rng.below(900_000);
    let block = POOLS
        .iter()
        .position(|p| *p == kind)
        .expect("a provider is of a kind in POOLS") as u32;
    let number = 100_000 + block * 80_000 + ((k % 80_000) as u32 * 7_919 + (mix(seed ^ tag) % 80_000) as u32) % 80_000;
    // Who runs it: the council itself (PR1), another council (PR2), another public body (PR3),
    // a private company (PR4) or a charity (PR5).
    let (codes, weights): (&[&'static str], &[u16]) = match kind {
        "K2" => (&["PR1", "PR4", "PR5"], &[150, 750, 100]),
        "K3" => (&["PR1", "PR4", "PR5"], &[150, 650, 200]),
        "K1" => (&["PR1", "PR2", "PR4"], &[150, 700, 150]),
        "S1" => (&["PR4", "PR5", "PR3"], &[500, 300, 200]),
        "R1" => (&["PR1", "PR4", "PR5"], &[300, 500, 200]),
        "R3" => (&["PR1", "PR4", "PR5"], &[300, 400, 300]),
        "R2" | "R5" => (&["PR3"], &[1]),
        "P3" => (&["PR4"], &[1]),
        "agency" => (&["PR4", "PR5"], &[850, 150]),
        "adoption" => (&["PR2", "PR5"], &[600, 400]),
        _ => (&["PR4"], &[1]),
    };
    let code = codes[rng.weighted(weights)];
    let spread: &Spread = match kind {
        _ if code == "PR1" || kind == "K3" => &LOCAL,
        "K1" => &SECURE,
        "R5" => &YOI,
        "R2" => &HEALTH,
        "agency" => &AGENCY_FOSTER,
        "adoption" => &AGENCY_ADOPTION,
        _ => &HOMES,
    };
    let area = match draw_area(&mut rng, spread) {
        // Another council's provision is in its own area (rule 229).
        NORTHFIELD if code == "PR2" => SOUTHDALE,
        area => area,
    };
    let post = Post::within(&mut rng, area);
    debug_assert!(code != "PR1" || post.area() == NORTHFIELD);
    let urn = if kind == "S1" {
        Urn::School(number)
    } else {
        Urn::Sc(number)
    };
    Provider { urn, post, code }
}

/// The kinds of provider placements are drawn from, each with its own block of URNs (the
/// council's own services are numbered above them all).
pub(crate) const POOLS: [&str; 11] = [
    "K2", "K3", "K1", "S1", "R1", "R2", "R3", "R5", "P3", "agency", "adoption",
];

/// A number in `100000..1000000`, distinct for distinct `k` below 900,000.
pub(crate) fn spread(seed: u64, k: u64) -> u32 {
    (100_000 + (k.wrapping_mul(ID_STEP).wrapping_add(mix(seed) % 900_000)) % 900_000) as u32
}

/// A valid UPN (check letter, an unassigned LA number 990 to 999, then a serial), distinct for
/// distinct `k` below 10⁹.
pub(crate) fn upn(seed: u64, k: u64) -> [u8; 13] {
    let serial = (k
        .wrapping_mul(ID_STEP)
        .wrapping_add(mix(seed ^ 0x0055_504E) % 1_000_000_000))
        % 1_000_000_000;
    let mut body = Vec::with_capacity(12);
    body.extend_from_slice(b"99");
    push_uint(&mut body, mix(seed ^ k) % 10, 1);
    push_uint(&mut body, serial, 9);
    let mut out = [0u8; 13];
    out[0] = upn_check_letter(&body).expect("a body of twelve digits has a check letter");
    out[1..].copy_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::upn_valid;

    #[test]
    fn windows_years_and_identifiers() {
        let w = Window::of(2025).unwrap();
        assert_eq!(nd(w.start).to_string(), "2025-04-01");
        assert_eq!(nd(w.end).to_string(), "2026-03-31");
        assert_eq!(w.label(), "2025-26");
        assert_eq!(Window::of(2099).unwrap().label(), "2099-00");
        let leap = day(NaiveDate::from_ymd_opt(2008, 2, 29).unwrap());
        assert_eq!(nd(add_years(leap, 18)).to_string(), "2026-02-28");
        assert_eq!(nd(add_years(leap, -4)).to_string(), "2004-02-29");
        let mut seen = std::collections::HashSet::new();
        for k in 0..5000 {
            let u = upn(7, k);
            assert!(upn_valid(std::str::from_utf8(&u).unwrap()));
            assert!(seen.insert(u));
        }
        for k in 0..200 {
            for kind in ["K2", "K3", "K1", "R3"] {
                let p = provider(3, kind, k);
                assert!(
                    p.code != "PR1" && kind != "K3" || p.post.area() == NORTHFIELD,
                    "{kind} {p:?}"
                );
            }
        }
    }
}
