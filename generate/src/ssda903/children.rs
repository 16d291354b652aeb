//! A child's care history: who the child is, and a period of care made of episodes (each a legal
//! status and a placement), with the reviews, social workers, missing episodes and adoption
//! decisions that go with it, from the day the child started to be looked after to the end of
//! this collection year. The tables are views of this history for a year (`tables.rs`), so this
//! year's and last year's returns agree by construction.
//!
//! Children come in three kinds, by index: looked after at the start of this year
//! ("continuing"), starting during it ("starters"), and leavers: those who left care last year
//! (only in last year's return, and this year's if they are care leavers) and the year before
//! (only in last year's return, as care leavers). A few children looked after this year have only short
//! breaks (legal status V3). A child's previous periods of care, if any, ended before last year
//! and are visible in neither return.

use crate::ids::IdScheme;
use crate::render::{Day, age_years};
use crate::rng::{Rng, mix};

use super::codes::{
    CIN, CIN_W, ETHNIC, ETHNIC_W, LA_CODES, Provider, REASON, REASON_W, REVIEW_CODES, REVIEW_W, SW_REASON_W,
    SW_REASONS, UASC_ETHNIC, Urn, Window, add_years, collection_year_of, is_adoption, is_foster, is_temp, min_age,
    near_year_end, provider, spread, upn,
};
use super::geography::{
    AGENCY_ADOPTION, AGENCY_FOSTER, KIN, OTHER, OWN_ADOPTION, OWN_FOSTER, Post, Spread, TEMP, draw_area,
};
use super::{SALT_CHILD, SALT_MOTHER};

/// Where a child is placed: the placement type, who provides it, its postcode and URN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placement {
    pub(crate) place: &'static str,
    pub(crate) provider: Option<&'static str>,
    pub(crate) post: Option<Post>,
    pub(crate) urn: Option<Urn>,
}

/// One episode of care (`dec`: `None` while still open at the end of this year).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ep {
    pub(crate) decom: Day,
    pub(crate) dec: Option<Day>,
    pub(crate) rne: &'static str,
    pub(crate) ls: &'static str,
    pub(crate) cin: &'static str,
    pub(crate) pl: Placement,
    pub(crate) rec: Option<&'static str>,
    pub(crate) reason: Option<&'static str>,
    pub(crate) home: Option<Post>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Review {
    pub(crate) date: Day,
    pub(crate) code: &'static str,
}

/// A missing (`M`) or away-without-authorisation (`A`) episode (`end`: `None` if still away at
/// the end of this year).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Miss {
    pub(crate) start: Day,
    pub(crate) end: Option<Day>,
    pub(crate) kind: &'static str,
}

/// A social worker episode; the child's last one stays open.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SwEp {
    pub(crate) worker: u32,
    pub(crate) start: Day,
    pub(crate) end: Option<Day>,
    pub(crate) reason: &'static str,
}

/// A decision that the child should be placed for adoption, and its reversal if any.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decision {
    pub(crate) placed: Day,
    pub(crate) ceased: Option<(Day, &'static str)>,
}

/// The adoption (AD1) of a child adopted when the period of care ended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Adoption {
    pub(crate) date_int: Day,
    pub(crate) date_match: Day,
    pub(crate) foster_care: &'static str,
    pub(crate) nb: &'static str,
    pub(crate) sex: &'static str,
    pub(crate) ls: &'static str,
}

/// Previous permanence, recorded when the child starts to be looked after.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PrevPerm {
    pub(crate) code: &'static str,
    pub(crate) la: Option<&'static str>,
    /// The order's date, written `ZZ/mm/yyyy` when only its month is known.
    pub(crate) date: Option<(Day, bool)>,
}

/// How the child's UPN is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum UpnRule {
    /// Known once the child is of school age (`UN1` before).
    #[default]
    School,
    /// An unaccompanied asylum seeker's: `UN2` for the first six months, then known.
    Asylum,
    /// Always this unknown code (`UN3` educated outside England, `UN5` sources disagree).
    Always(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Continuing,
    Starter,
    Leaver,
}

/// Everything about one child, rebuilt in place for each child.
#[derive(Debug, Default)]
pub(crate) struct History {
    pub(crate) idx: usize,
    pub(crate) id: u32,
    pub(crate) sex: &'static str,
    pub(crate) dob: Day,
    pub(crate) ethnic: &'static str,
    pub(crate) upn: [u8; 13],
    pub(crate) upn_rule: UpnRule,
    pub(crate) uasc: bool,
    pub(crate) short_breaks: bool,
    /// Date of birth of the child's own first child, if she is a mother.
    pub(crate) baby: Option<Day>,
    pub(crate) entry: Day,
    pub(crate) exit: Option<Day>,
    pub(crate) eps: Vec<Ep>,
    pub(crate) reviews: Vec<Review>,
    pub(crate) missing: Vec<Miss>,
    pub(crate) sw: Vec<SwEp>,
    pub(crate) decisions: Vec<Decision>,
    pub(crate) adoption: Option<Adoption>,
    pub(crate) prev_perm: Option<PrevPerm>,
}

impl History {
    pub(crate) fn rec(&self) -> Option<&'static str> {
        self.eps.last().and_then(|e| e.rec)
    }

    pub(crate) fn b(&self, years: i32) -> Day {
        add_years(self.dob, years)
    }
}

/// What is shared by all children: the years, the ids and the providers' pools.
pub(crate) struct Ctx {
    pub(crate) seed: u64,
    /// Children looked after this year (indices `0..looked_after`).
    pub(crate) looked_after: usize,
    /// Children who left care last year (indices `looked_after..looked_after + leavers`).
    pub(crate) leavers: usize,
    /// Children who left care the year before (after those): in last year's return as care
    /// leavers.
    pub(crate) earlier: usize,
    pub(crate) this: Window,
    pub(crate) last: Window,
    ids: IdScheme,
    workers: u64,
    homes: u64,
    la_fostering: Urn,
    la_adoption: Urn,
}

impl Ctx {
    pub(crate) fn new(seed: u64, looked_after: usize, year: i32, extra: usize) -> Option<Ctx> {
        let this = Window::of(year)?;
        Window::of(year - 3)?;
        let leavers = looked_after * 27 / 100;
        let earlier = looked_after * 12 / 100;
        Some(Ctx {
            seed,
            looked_after,
            leavers,
            earlier,
            this,
            last: this.prev(),
            ids: IdScheme::new(looked_after + leavers + earlier + extra, seed ^ 0x3930_3343),
            workers: (looked_after as u64 / 12).max(12),
            homes: (looked_after as u64 / 40).max(8),
            // Above the providers' blocks (see `codes::POOLS`).
            la_fostering: Urn::Sc(980_000 + (mix(seed ^ 0xF05) % 10_000) as u32),
            la_adoption: Urn::Sc(990_000 + (mix(seed ^ 0xAD0) % 10_000) as u32),
        })
    }

    pub(crate) fn children(&self) -> usize {
        self.looked_after + self.leavers + self.earlier
    }

    pub(crate) fn id(&self, i: usize) -> u32 {
        self.ids.num(i as u64)
    }

    /// A social worker's id number (distinct per worker).
    pub(crate) fn worker(&self, k: u64) -> u32 {
        spread(self.seed ^ 0x5357, k)
    }

    fn pool(&self, kind: &str, rng: &mut Rng) -> Provider {
        provider(self.seed, kind, rng.below(self.pool_size(kind)))
    }

    /// How many providers of a kind placements are drawn from.
    pub(crate) fn pool_size(&self, kind: &str) -> u64 {
        match kind {
            "K2" => self.homes,
            "K3" => (self.homes * 2 / 3).max(5),
            "agency" => 25,
            "adoption" => 8,
            _ => 6,
        }
    }

    /// The URNs of the council's own fostering and adoption services.
    pub(crate) fn own_services(&self) -> (Urn, Urn) {
        (self.la_fostering, self.la_adoption)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Story {
    Adoption,
    Young,
    Child,
    Teen,
    Remand,
    Pace,
    Asylum,
}

/// Build child `i`'s history into `h`.
pub(crate) fn build(ctx: &Ctx, i: usize, h: &mut History) {
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_CHILD);
    h.idx = i;
    h.id = ctx.id(i);
    h.eps.clear();
    h.reviews.clear();
    h.missing.clear();
    h.sw.clear();
    h.decisions.clear();
    h.adoption = None;
    h.prev_perm = None;
    h.baby = None;
    h.exit = None;
    h.upn = upn(ctx.seed, i as u64);
    h.short_breaks = false;
    let kind = if i >= ctx.looked_after {
        Kind::Leaver
    } else if rng.chance(300) {
        Kind::Starter
    } else {
        Kind::Continuing
    };
    h.uasc = kind != Kind::Continuing && rng.chance(110) || kind == Kind::Continuing && rng.chance(55);
    h.sex = if h.uasc {
        if rng.chance(930) { "M" } else { "F" }
    } else if rng.chance(3) {
        "U"
    } else if rng.chance(560) {
        "M"
    } else {
        "F"
    };
    h.ethnic = if h.uasc {
        rng.pick(&UASC_ETHNIC)
    } else {
        ETHNIC[rng.weighted(&ETHNIC_W)]
    };
    h.upn_rule = if h.uasc {
        UpnRule::Asylum
    } else if rng.chance(6) {
        UpnRule::Always(if rng.chance(500) { "UN3" } else { "UN5" })
    } else {
        UpnRule::School
    };
    if kind == Kind::Continuing && !h.uasc && rng.chance(25) {
        short_breaks(ctx, &mut rng, h);
        return;
    }
    let (ws, horizon) = (ctx.this.start, ctx.this.end);

    // When the child was born, started to be looked after and (perhaps) left.
    let (entry, mut exit, mut aged_out);
    match kind {
        Kind::Continuing => {
            let age = if h.uasc {
                14 + rng.weighted(&[15, 25, 30, 30]) as i32
            } else {
                rng.weighted(&AGE_AT_31_MARCH) as i32
            };
            h.dob = add_years(ws, -age) - 1 - rng.days(364);
            let earliest = if h.uasc { add_years(h.dob, 14) } else { h.dob };
            let before = match rng.below(100) {
                0..35 => 1 + rng.days(365),
                35..70 => 365 + rng.days(730),
                _ => 1095 + rng.days(3300),
            };
            entry = (ws - before).max(earliest);
            exit = rng.chance(220).then(|| ws + 1 + rng.days(364));
            aged_out = false;
        }
        Kind::Starter => {
            entry = ws + rng.days(365);
            let age = if h.uasc {
                14 + rng.weighted(&[10, 25, 40, 25]) as i32
            } else {
                rng.weighted(&AGE_AT_ENTRY) as i32
            };
            h.dob = if age == 0 && rng.chance(350) {
                entry - rng.days(7)
            } else {
                add_years(entry, -age) - rng.days(365)
            };
            let stay = if rng.chance(500) {
                7 + rng.days(53)
            } else {
                60 + rng.days(240)
            };
            exit = rng.chance(330).then_some(entry + stay).filter(|&x| x <= horizon);
            aged_out = false;
        }
        Kind::Leaver => {
            let earlier = i >= ctx.looked_after + ctx.leavers;
            let left_in = if earlier { ctx.last.prev() } else { ctx.last };
            let x = left_in.start + rng.days(365);
            aged_out = rng.chance(if earlier {
                800
            } else if h.uasc {
                550
            } else {
                330
            });
            let stay = match rng.below(100) {
                0..35 => 7 + rng.days(173),
                35..70 => 180 + rng.days(550),
                _ => 730 + rng.days(1460),
            };
            if aged_out {
                h.dob = add_years(x, -18);
                let youngest = add_years(h.dob, if h.uasc { 14 } else { 10 });
                entry = (x - stay.max(120)).max(youngest);
            } else {
                let age = if h.uasc {
                    14 + rng.weighted(&[10, 25, 40, 25]) as i32
                } else {
                    rng.weighted(&AGE_AT_ENTRY) as i32
                };
                entry = x - stay;
                h.dob = add_years(entry, -age) - rng.days(365);
                if add_years(h.dob, 18) <= x {
                    // Still a child when leaving.
                    h.dob = add_years(x, -18) + 1 + rng.days(300);
                }
            }
            exit = Some(x);
        }
    }
    // Care ends on the 18th birthday at the latest (rule 359).
    let b18 = h.b(18);
    if b18 <= horizon && exit.is_none_or(|x| x >= b18) {
        exit = Some(b18);
        aged_out = true;
    }
    let age_in = age_years(h.dob, entry);
    let mut story = if h.uasc {
        Story::Asylum
    } else {
        match age_in {
            0 if rng.chance(600) => Story::Adoption,
            1..=3 if rng.chance(300) => Story::Adoption,
            0..=4 => Story::Young,
            5..=11 => Story::Child,
            _ if kind != Kind::Continuing && rng.chance(50) => Story::Remand,
            _ if kind != Kind::Continuing && rng.chance(30) => Story::Pace,
            _ => Story::Teen,
        }
    };
    let (mut entry, mut exit) = (entry, exit);
    let mut plan = None;
    match story {
        Story::Remand | Story::Pace => {
            // A remand or police (PACE) accommodation is short; the dates are set around it.
            let len = if story == Story::Remand {
                14 + rng.days(100)
            } else {
                1 + rng.days(2)
            };
            if aged_out || entry + len >= b18 {
                story = Story::Teen;
            } else {
                match kind {
                    Kind::Leaver => entry = exit.expect("leavers leave") - len,
                    _ => exit = Some(entry + len).filter(|&x| x <= horizon),
                }
                if entry - h.dob < 12 * 366 {
                    story = Story::Teen;
                }
            }
        }
        Story::Adoption if exit.unwrap_or(horizon) - entry > 1100 => story = Story::Young,
        Story::Adoption if rng.chance(120) => {
            // The plan for adoption changes: the decision is reversed.
            plan = Some((forward(&mut rng, entry).0, true));
        }
        Story::Adoption => {
            let (fwd, adopted) = forward(&mut rng, entry);
            match kind {
                Kind::Continuing if adopted > ws => {
                    plan = Some((fwd, false));
                    exit = Some(adopted).filter(|&x| x <= horizon);
                }
                Kind::Starter => {
                    plan = Some((fwd, false));
                    exit = Some(adopted).filter(|&x| x <= horizon);
                }
                _ => {
                    let x = exit.unwrap_or(ws + 1 + rng.days(364));
                    let mut fits = backward(&mut rng, entry, x);
                    if fits.is_none() && kind == Kind::Leaver {
                        // Adopted last year: looked after long enough for it.
                        entry = (x - 450 - rng.days(400)).max(h.dob);
                        fits = backward(&mut rng, entry, x);
                    }
                    match fits {
                        Some(p) => {
                            plan = Some((p, false));
                            exit = Some(x);
                        }
                        None => story = Story::Young,
                    }
                }
            }
        }
        _ => {}
    }
    if exit.is_some_and(|x| x <= entry) {
        exit = Some(entry + 1);
    }
    // Adopted on 31 March, a child counts as looked after all year, where AD1 is not expected
    // (rule 187): the order is made the day before.
    if story == Story::Adoption && exit.is_some_and(|x| near_year_end(x, 1)) {
        exit = exit.map(|x| x - 1);
    }
    let wants_baby = h.sex == "F" && age_years(h.dob, horizon) >= 15 && rng.chance(40);
    h.entry = entry;
    h.exit = exit;
    period(ctx, &mut rng, h, story, plan, aged_out);
    fill_after(ctx, &mut rng, h);
    if wants_baby {
        mother(ctx, h);
    }
}

/// Ages of children looked after on 31 March (0 to 17), per mille.
const AGE_AT_31_MARCH: [u16; 18] = [50, 40, 40, 40, 40, 34, 34, 34, 34, 34, 65, 65, 65, 65, 65, 65, 120, 120];
/// Ages of children starting to be looked after, per mille.
const AGE_AT_ENTRY: [u16; 18] = [190, 40, 35, 35, 30, 30, 30, 30, 30, 30, 45, 50, 55, 60, 70, 70, 90, 80];

/// What happens during a period of care, in date order.
#[derive(Debug, Clone, Copy)]
enum Event {
    Ls(&'static str),
    /// A new placement with a new carer.
    Move,
    /// The same carer, a new placement type (long-term fostering): RNE T, reason PLACE.
    Convert,
    /// Supported accommodation at 16.
    Supported,
    /// Placed with parents, before going home.
    Home,
    /// Placed for adoption: with the current foster carer (`A5`) or new adopters (`A6`, `A4`).
    Adopt(&'static str),
    /// A temporary placement of this code for so many days, then back.
    Temp(&'static str, i32),
}

/// The milestones of an adoption: the decision that the child should be placed for adoption,
/// the placement order (legal status E1), the match with adopters and the placement.
#[derive(Debug, Clone, Copy)]
struct Plan {
    decided: Day,
    e1: Day,
    matched: Day,
    placed: Day,
}

/// An adoption as it goes from `entry`, and the day the adoption order is made.
fn forward(rng: &mut Rng, entry: Day) -> (Plan, Day) {
    let decided = entry + 60 + rng.days(140);
    let e1 = decided + 30 + rng.days(120);
    let matched = e1 + 30 + rng.days(150);
    let placed = matched + 10 + rng.days(40);
    (
        Plan {
            decided,
            e1,
            matched,
            placed,
        },
        placed + 100 + rng.days(200),
    )
}

/// An adoption made on `adopted`, worked back (if it fits after `entry`).
fn backward(rng: &mut Rng, entry: Day, adopted: Day) -> Option<Plan> {
    let placed = adopted - 100 - rng.days(200);
    let matched = placed - 10 - rng.days(40);
    let e1 = (matched - 30 - rng.days(120)).max(entry + 90);
    let decided = (e1 - 30 - rng.days(90)).max(entry + 45);
    (decided < e1 && e1 < matched).then_some(Plan {
        decided,
        e1,
        matched,
        placed,
    })
}

fn period(ctx: &Ctx, rng: &mut Rng, h: &mut History, story: Story, plan: Option<(Plan, bool)>, aged_out: bool) {
    let (entry, exit) = (h.entry, h.exit);
    let horizon = ctx.this.end;
    let stop = exit.unwrap_or(horizon + 1);
    let home = if h.uasc { None } else { Some(Post::random(rng)) };
    let cin = if h.uasc { "N8" } else { CIN[rng.weighted(&CIN_W)] };
    let mut evs: Vec<(Day, Event)> = Vec::with_capacity(16);
    let age_in = age_years(h.dob, entry);

    // Legal statuses, and the adoption milestones.
    let ls0 = match story {
        Story::Adoption => ["C1", "L2", "V2"][rng.weighted(&[65, 20, 15])],
        Story::Young => ["C1", "V2", "L2", "L1"][rng.weighted(&[60, 15, 15, 10])],
        Story::Child => ["C1", "V2", "L1"][rng.weighted(&[60, 25, 15])],
        Story::Teen => ["V2", "C1", "L1"][rng.weighted(&[38, 47, 15])],
        Story::Remand => "J1",
        Story::Pace => "J2",
        Story::Asylum => "V2",
    };
    let mut c1_from = None;
    match ls0 {
        "L1" => {
            let next = if rng.chance(600) { "C1" } else { "V2" };
            let d = entry + 1 + rng.days(3);
            evs.push((d, Event::Ls(next)));
            // Often a new placement at the same time (RNE U).
            if rng.chance(350) {
                evs.push((d, Event::Move));
            }
            if next == "C1" {
                c1_from = Some(entry + 3);
            }
        }
        "L2" => {
            evs.push((entry + 5 + rng.days(17), Event::Ls("C1")));
            c1_from = Some(entry + 21);
        }
        "V2" if story == Story::Adoption && rng.chance(500) => {
            let d = entry + 20 + rng.days(20);
            evs.push((d, Event::Ls("C1")));
            c1_from = Some(d);
        }
        "V2" if rng.chance(match story {
            Story::Young => 600,
            Story::Child => 550,
            Story::Teen => 350,
            _ => 0,
        }) =>
        {
            let d = entry + 30 + rng.days(270);
            evs.push((d, Event::Ls("C1")));
            c1_from = Some(d);
        }
        "C1" => c1_from = Some(entry),
        _ => {}
    }
    let mut adoption_place = None;
    let mut freeze = stop;
    if let Some((p, reversed)) = plan {
        let c1 = c1_from.unwrap_or(entry);
        let consent = ls0 == "V2" && c1_from.is_none();
        let e1 = p.e1.max(c1 + 10);
        if reversed {
            let ceased = p.decided + 60 + rng.days(140);
            let why = ["RD1", "RD2", "RD3", "RD4"][rng.weighted(&[30, 40, 20, 10])];
            if p.decided < stop.min(horizon) {
                h.decisions.push(Decision {
                    placed: p.decided,
                    ceased: (ceased < stop && ceased <= horizon).then_some((ceased, why)),
                });
            }
            if let Some(c1) = c1_from {
                evs.push((c1 + 200 + rng.days(200), Event::Ls("C2")));
            }
        } else if p.decided < stop && e1 < p.matched {
            h.decisions.push(Decision {
                placed: p.decided,
                ceased: None,
            });
            let code = if consent {
                "A4"
            } else {
                evs.push((e1, Event::Ls("E1")));
                if rng.chance(400) { "A5" } else { "A6" }
            };
            if p.placed < stop {
                evs.push((p.placed, Event::Adopt(code)));
                freeze = p.placed;
                adoption_place = Some(code);
            }
            if exit.is_some() {
                let nb = if rng.chance(120) { "1" } else { "2" };
                let (sex, ls) = adopters(rng, nb);
                h.adoption = Some(Adoption {
                    date_int: p.decided,
                    date_match: p.matched,
                    foster_care: if code == "A5" { "1" } else { "0" },
                    nb,
                    sex,
                    ls,
                });
            }
        }
    } else if let Some(c1) = c1_from {
        evs.push((c1 + 180 + rng.days(240), Event::Ls("C2")));
    }

    // Going home: placed with parents first, under a care order.
    let going_home = exit.is_some()
        && !aged_out
        && story != Story::Adoption
        && adoption_place.is_none()
        && c1_from.is_some()
        && age_in < 15
        && rng.chance(350);
    if going_home {
        let x = exit.expect("checked");
        let d = x - 60 - rng.days(210);
        if d > entry + 60 && d > c1_from.unwrap_or(entry) + 30 {
            evs.push((d, Event::Home));
            freeze = freeze.min(d);
        }
    }

    // Moves, long-term matches and supported accommodation at 16.
    let rate = match story {
        Story::Teen | Story::Asylum => 700,
        Story::Remand | Story::Pace => 0,
        _ => 330,
    };
    if rate > 0 {
        let mut t = entry;
        loop {
            let gap = (-(1.0 - (rng.next() >> 11) as f64 / (1u64 << 53) as f64).ln() * 365_000.0 / rate as f64) as i32;
            t += gap.max(21);
            if t >= freeze {
                break;
            }
            evs.push((t, Event::Move));
        }
        if matches!(story, Story::Young | Story::Child) && rng.chance(200) {
            let d = entry + 365 + rng.days(700);
            if d < freeze {
                evs.push((d, Event::Convert));
            }
        }
        let b16 = h.b(16);
        if age_in <= 16 && rng.chance(if h.uasc { 700 } else { 300 }) {
            let d = b16.max(entry + 30) + rng.days(250);
            if d < freeze && d < h.b(18) - 30 {
                evs.push((d, Event::Supported));
            }
        }
    }
    // Now and then, a temporary placement (a carer's holiday, a stay in hospital...).
    if matches!(story, Story::Young | Story::Child | Story::Teen) && rng.chance(60) {
        let code = ["T3", "T1", "T4", "T2", "T0"][rng.weighted(&[40, 25, 15, 10, 10])];
        let len = match code {
            "T3" => 3 + rng.days(12),
            "T1" => 2 + rng.days(28),
            "T4" => 1 + rng.days(6),
            _ => 3 + rng.days(11),
        };
        let span = freeze.min(horizon) - entry;
        if span > 120 {
            let d = entry + 40 + rng.days(span - 80);
            evs.push((d, Event::Temp(code, len)));
        }
    }
    evs.sort_by_key(|&(d, e)| (d, matches!(e, Event::Ls(_))));

    // Walk the events into episodes.
    let mut cur = Ep {
        decom: entry,
        dec: None,
        rne: "S",
        ls: ls0,
        cin,
        pl: first_placement(ctx, rng, h, story, ls0, home),
        rec: None,
        reason: None,
        home,
    };
    let mut k = 0;
    while k < evs.len() {
        let d = evs[k].0;
        let mut j = k;
        let (mut ls, mut ev) = (cur.ls, None);
        while j < evs.len() && evs[j].0 == d {
            match evs[j].1 {
                Event::Ls(x) => ls = x,
                e => ev = Some(e),
            }
            j += 1;
        }
        k = j;
        if d <= cur.decom || d >= stop || d > horizon {
            continue;
        }
        if let Some(Event::Temp(code, len)) = ev {
            let back = d + len;
            let quiet = evs[k..].first().is_none_or(|&(n, _)| n > back + 2);
            let spans_year_end =
                ctx.this.start > d && ctx.this.start <= back + 1 || ctx.last.start > d && ctx.last.start <= back + 1;
            if ls != cur.ls
                || !quiet
                || back + 2 >= stop
                || back > horizon
                || spans_year_end
                || !(is_foster(cur.pl.place) || matches!(cur.pl.place, "K2" | "K3"))
            {
                continue;
            }
            let saved = cur.pl;
            let area = draw_area(rng, &TEMP);
            let temp = Placement {
                place: code,
                provider: None,
                post: Some(Post::other_than(rng, area, home)),
                urn: None,
            };
            let ls = cur.ls;
            change(h, &mut cur, d, ls, temp, None);
            change(h, &mut cur, back, ls, saved, None);
            continue;
        }
        let age = age_years(h.dob, d);
        let (pl, reason, same_carer) = match ev {
            None => (cur.pl, None, false),
            Some(Event::Move) => (
                next_placement(ctx, rng, h, age, ls, cur.pl, home),
                Some(move_reason(rng, age)),
                false,
            ),
            Some(Event::Convert) if matches!(cur.pl.place, "U6" | "U3") => {
                let code = if cur.pl.place == "U6" { "U4" } else { "U1" };
                (Placement { place: code, ..cur.pl }, Some("PLACE"), true)
            }
            Some(Event::Supported) if cur.pl.place != "K3" => {
                (placement(ctx, rng, "K3", home, None), Some("CARPL"), false)
            }
            Some(Event::Home) if matches!(ls, "C1" | "C2") => {
                (placement(ctx, rng, "P1", home, None), Some("CARPL"), false)
            }
            Some(Event::Adopt(code)) => {
                let same = code == "A5" && is_foster(cur.pl.place);
                let code = if code == "A5" && !same { "A6" } else { code };
                // With the foster carer: where the carer is (a URN only in England).
                let mut pl = draw(ctx, rng, code, home);
                if same {
                    pl.post = cur.pl.post;
                }
                let pl = registered(pl);
                (pl, Some(if same { "PLACE" } else { "CARPL" }), same)
            }
            Some(_) => (cur.pl, None, false),
        };
        if ls == cur.ls && pl == cur.pl {
            continue;
        }
        let rne = match (ls != cur.ls, pl != cur.pl, same_carer) {
            (true, true, true) => "B",
            (true, true, false) => "U",
            (true, false, _) => "L",
            (false, true, true) => "T",
            (false, true, false) => "P",
            (false, false, _) => unreachable!("something changed"),
        };
        let reason = if pl != cur.pl { reason } else { None };
        change(h, &mut cur, d, ls, pl, reason);
        cur.rne = rne;
    }
    if let Some(x) = exit {
        cur.dec = Some(x);
        cur.rec = Some(exit_reason(rng, h, &cur, story, aged_out, x));
    }
    h.eps.push(cur);
    // An adoption only happens from an adoptive placement.
    if h.adoption.is_some() && h.rec().is_none_or(|r| r != "E11" && r != "E12") {
        h.adoption = None;
    }
    // A decision to place a child who then left care some other way was reversed first.
    if let (Some(x), Some(dec)) = (exit, h.decisions.first_mut())
        && dec.ceased.is_none()
        && h.adoption.is_none()
    {
        let when = (dec.placed + 30).min(x - 1).max(dec.placed);
        dec.ceased = Some((when, "RD1"));
    }
}

/// Close the current episode on `d` (ceased X1) and open the next.
fn change(h: &mut History, cur: &mut Ep, d: Day, ls: &'static str, pl: Placement, reason: Option<&'static str>) {
    let mut done = *cur;
    done.dec = Some(d);
    done.rec = Some("X1");
    done.reason = reason;
    h.eps.push(done);
    *cur = Ep {
        decom: d,
        dec: None,
        rne: "P",
        ls,
        pl,
        rec: None,
        reason: None,
        ..done
    };
}

fn move_reason(rng: &mut Rng, age: i64) -> &'static str {
    loop {
        let r = REASON[rng.weighted(&REASON_W)];
        if r != "CHILD" || age >= 10 {
            return r;
        }
    }
}

fn adopters(rng: &mut Rng, nb: &'static str) -> (&'static str, &'static str) {
    if nb == "1" {
        (if rng.chance(850) { "F1" } else { "M1" }, "L0")
    } else {
        match rng.below(100) {
            0..60 => ("MF", "L11"),
            60..75 => ("MF", "L3"),
            75..80 => ("MF", "L2"),
            80..88 => (if rng.chance(500) { "MM" } else { "FF" }, "L12"),
            88..94 => (if rng.chance(500) { "MM" } else { "FF" }, "L2"),
            _ => (if rng.chance(500) { "MM" } else { "FF" }, "L4"),
        }
    }
}

/// A placement of type `place` (unlike `not`): providers, postcodes and URNs as the council
/// records them.
fn placement(ctx: &Ctx, rng: &mut Rng, place: &'static str, home: Option<Post>, not: Option<Placement>) -> Placement {
    for _ in 0..8 {
        let pl = registered(draw(ctx, rng, place, home));
        if not.is_none_or(|n| n != pl) {
            return pl;
        }
    }
    // The pool had nothing else: a new address for the same kind of placement, in the same area.
    let mut pl = not.expect("only a clash retries");
    let area = pl.post.map_or(super::geography::NORTHFIELD, Post::area);
    pl.post = Some(Post::other_than(rng, area, pl.post));
    pl
}

/// A placement of type `place` as drawn, its URN whatever its provider's.
fn draw(ctx: &Ctx, rng: &mut Rng, place: &'static str, home: Option<Post>) -> Placement {
    // A carer's or other address of its own: somewhere `spread` says, not the child's home.
    let away = |rng: &mut Rng, spread: &Spread| {
        let area = draw_area(rng, spread);
        Some(Post::other_than(rng, area, home))
    };
    match place {
        "P1" => Placement {
            place,
            provider: Some("PR0"),
            post: home,
            urn: None,
        },
        "U1" | "U2" | "U3" | "U4" | "U5" | "U6" => {
            let relative = matches!(place, "U1" | "U2" | "U3");
            let own = rng.chance(if relative { 900 } else { 560 });
            let (provider, urn) = if own {
                let urn = if relative && rng.chance(400) {
                    Urn::Unknown
                } else {
                    ctx.la_fostering
                };
                ("PR1", urn)
            } else {
                let agency = ctx.pool("agency", rng);
                (agency.code, agency.urn)
            };
            let spread = match (relative, own) {
                (true, _) => &KIN,
                (false, true) => &OWN_FOSTER,
                (false, false) => &AGENCY_FOSTER,
            };
            Placement {
                place,
                provider: Some(provider),
                post: away(rng, spread),
                urn: Some(urn),
            }
        }
        "A3" | "A4" | "A5" | "A6" => {
            let (provider, urn, spread) = if rng.chance(500) {
                ("PR1", ctx.la_adoption, &OWN_ADOPTION)
            } else {
                let agency = ctx.pool("adoption", rng);
                (agency.code, agency.urn, &AGENCY_ADOPTION)
            };
            Placement {
                place,
                provider: Some(provider),
                post: away(rng, spread),
                urn: Some(urn),
            }
        }
        "K1" | "K2" | "K3" | "S1" | "R1" | "R2" | "R3" | "R5" | "P3" => {
            let p = ctx.pool(place, rng);
            Placement {
                place,
                provider: Some(p.code),
                post: Some(if Some(p.post) == home {
                    Post::other_than(rng, p.post.area(), home)
                } else {
                    p.post
                }),
                urn: super::codes::needs_urn(place).then_some(p.urn),
            }
        }
        _ => Placement {
            place,
            provider: None,
            post: away(rng, if is_temp(place) { &TEMP } else { &OTHER }),
            urn: None,
        },
    }
}

/// Ofsted registers providers in England only: a placement in Wales or Scotland has no URN
/// (rules 218 and 243).
fn registered(mut pl: Placement) -> Placement {
    if pl.post.is_some_and(|p| !p.england()) {
        pl.urn = None;
    }
    pl
}

fn first_placement(ctx: &Ctx, rng: &mut Rng, h: &History, story: Story, ls: &str, home: Option<Post>) -> Placement {
    let age = age_years(h.dob, h.entry);
    let place = match story {
        Story::Remand => {
            if age >= 15 && rng.chance(300) {
                "R5"
            } else if rng.chance(400) {
                "K1"
            } else {
                "U6"
            }
        }
        Story::Pace => {
            if rng.chance(500) {
                "K2"
            } else {
                "U6"
            }
        }
        Story::Adoption => ["U6", "U5", "U4", "U3"][rng.weighted(&[50, 25, 15, 10])],
        _ if ls == "L1" && age >= 10 && rng.chance(300) => "K2",
        _ if age == 0 && rng.chance(120) => "R3",
        _ => return choose(ctx, rng, h, age, ls, None, home),
    };
    placement(ctx, rng, place, home, None)
}

/// A placement for a child of `age`, unlike `prev`.
fn next_placement(
    ctx: &Ctx,
    rng: &mut Rng,
    h: &History,
    age: i64,
    ls: &str,
    prev: Placement,
    home: Option<Post>,
) -> Placement {
    choose(ctx, rng, h, age, ls, Some(prev), home)
}

fn choose(
    ctx: &Ctx,
    rng: &mut Rng,
    h: &History,
    age: i64,
    ls: &str,
    prev: Option<Placement>,
    home: Option<Post>,
) -> Placement {
    const PLACES: [&str; 12] = ["U6", "U4", "U3", "U1", "U5", "U2", "K2", "K3", "S1", "K1", "R2", "Z14"];
    let w: [u16; 12] = match age {
        0..=4 => [550, 120, 200, 50, 40, 20, 0, 0, 0, 0, 0, 0],
        5..=9 => [450, 220, 180, 60, 0, 20, 0, 0, 0, 0, 3, 3],
        10..=11 => [420, 220, 150, 50, 0, 15, 60, 0, 10, 0, 3, 3],
        12..=15 => [420, 120, 100, 30, 0, 10, 250, 0, 25, 15, 5, 5],
        _ if h.uasc => [300, 50, 0, 0, 0, 0, 100, 550, 0, 0, 0, 0],
        _ => [320, 60, 90, 20, 0, 5, 200, 250, 10, 10, 5, 5],
    };
    loop {
        let place = PLACES[rng.weighted(&w)];
        // Remand to youth detention accommodation is the only way into a YOI, and a
        // legal-status-only change keeps the placement, so nothing here needs `ls` beyond P1.
        if min_age(place) > age || (place == "K1" && ls == "V2" && rng.chance(500)) {
            continue;
        }
        return placement(ctx, rng, place, home, prev);
    }
}

/// Why the period of care ended, given where the child was.
fn exit_reason(rng: &mut Rng, h: &History, cur: &Ep, story: Story, aged_out: bool, x: Day) -> &'static str {
    let age = age_years(h.dob, x);
    let place = cur.pl.place;
    if is_adoption(place) {
        return if rng.chance(700) { "E11" } else { "E12" };
    }
    if rng.chance(1) {
        return "E2";
    }
    if aged_out {
        return if is_foster(place) {
            ["E17", "E5", "E6", "E8", "E13"][rng.weighted(&[450, 150, 50, 200, 150])]
        } else {
            ["E5", "E6", "E8", "E13", "E7"][rng.weighted(&[300, 100, 350, 230, 20])]
        };
    }
    match story {
        Story::Remand => return if rng.chance(700) { "E14" } else { "E9" },
        Story::Pace => return if rng.chance(600) { "E4A" } else { "E8" },
        Story::Asylum if x - h.entry < 120 && rng.chance(300) => return "E15",
        Story::Asylum => return ["E8", "E13", "E16", "E5"][rng.weighted(&[400, 250, 100, 250])],
        _ => {}
    }
    if place == "P1" {
        return ["E4A", "E41", "E8"][rng.weighted(&[800, 120, 80])];
    }
    let mut codes: [(&'static str, u16); 12] = [
        ("E4A", 350),
        ("E4B", 50),
        ("E13", 80),
        ("E8", 60),
        ("E41", 60),
        ("E3", 20),
        ("E16", 5),
        ("E45", 0),
        ("E46", 0),
        ("E47", 50),
        ("E48", 30),
        ("E5", 0),
    ];
    if is_foster(place) && age < 17 {
        let relative = matches!(place, "U1" | "U2" | "U3");
        codes[if relative { 7 } else { 8 }].1 = 200;
    }
    if age >= 16 {
        codes[11].1 = 100;
        codes[9].1 = 0;
        codes[10].1 = 0;
    }
    let weights: Vec<u16> = codes.iter().map(|c| c.1).collect();
    codes[rng.weighted(&weights)].0
}

/// Reviews, social worker episodes, missing episodes and previous permanence of a period.
fn fill_after(ctx: &Ctx, rng: &mut Rng, h: &mut History) {
    let horizon = ctx.this.end;
    let stop = h.exit.unwrap_or(horizon + 1);

    // Reviews: within 20 working days, three months later, then every six months.
    let mut r = h.entry + 20 + rng.days(8);
    let mut n = 0;
    while r < stop && r <= horizon {
        let code = if r < h.b(4) {
            "PN0"
        } else {
            REVIEW_CODES[rng.weighted(&REVIEW_W)]
        };
        h.reviews.push(Review { date: r, code });
        r += if n == 0 { 85 + rng.days(6) } else { 165 + rng.days(17) };
        n += 1;
    }

    // Social workers: one from the start, changing every few months; the last stays open.
    let mut start = h.entry;
    let mut worker = rng.below(ctx.workers);
    let mut reason = "FCONTA";
    loop {
        let len = 40 + (-(1.0 - (rng.next() >> 11) as f64 / (1u64 << 53) as f64).ln() * 330.0) as i32;
        let mut end = start + len;
        if near_year_end(end, 7) {
            end -= 8;
        }
        if end + 10 >= stop || end > horizon {
            h.sw.push(SwEp {
                worker: ctx.worker(worker),
                start,
                end: None,
                reason,
            });
            break;
        }
        h.sw.push(SwEp {
            worker: ctx.worker(worker),
            start,
            end: Some(end),
            reason,
        });
        start = end + rng.days(3);
        worker = (worker + 1 + rng.below(ctx.workers - 1)) % ctx.workers;
        reason = SW_REASONS[rng.weighted(&SW_REASON_W)];
    }

    // Missing and away from placement, mostly teenagers.
    let prone = match age_years(h.dob, stop.min(horizon)) {
        0..=10 => 0,
        11..=13 => 150,
        _ if h.uasc => 150,
        _ => 350,
    };
    if prone > 0 && rng.chance(prone) {
        let per_year = 1.0 + (-(1.0 - (rng.next() >> 11) as f64 / (1u64 << 53) as f64).ln() * 4.0);
        let from = h.entry.max(h.b(10)).max(ctx.last.start - 400);
        let mut t = from;
        let b18 = h.b(18);
        loop {
            let gap = (-(1.0 - (rng.next() >> 11) as f64 / (1u64 << 53) as f64).ln() * 365.0 / per_year) as i32;
            t += gap.max(2);
            if t >= stop || t > horizon {
                break;
            }
            let Some(ep) = h.eps.iter().find(|e| e.decom <= t && e.dec.is_none_or(|d| t < d)) else {
                break;
            };
            // Not on a day one episode ends and the next begins (it would be in both, 575).
            if is_temp(ep.pl.place) || t == ep.decom {
                continue;
            }
            let len = rng.weighted(&[40, 35, 15, 10]) as i32;
            let mut end = Some(t + len);
            if let Some(d) = ep.dec {
                end = end.map(|e| e.min(d));
            } else if t + len > horizon {
                end = None;
            }
            if end == Some(b18) {
                // Found on the 18th birthday reads as leaving care (rule 580).
                if t == b18 {
                    continue;
                }
                end = Some(b18 - 1);
            }
            h.missing.push(Miss {
                start: t,
                end,
                kind: if rng.chance(750) { "M" } else { "A" },
            });
            match end {
                Some(e) => t = e + 1,
                None => break,
            }
        }
    }

    // Previous permanence, asked when the child starts to be looked after.
    let code = ["Z1", "P2", "P3", "P1", "P4"][rng.weighted(&[880, 60, 30, 20, 10])];
    h.prev_perm = Some(if code == "Z1" {
        PrevPerm {
            code,
            la: None,
            date: None,
        }
    } else {
        let latest = h.entry - 60;
        let earliest = h.dob + 60;
        let date = (latest > earliest).then(|| (earliest + rng.days(latest - earliest), rng.chance(150)));
        match date {
            Some(d) => PrevPerm {
                code,
                la: Some(rng.pick(&LA_CODES)),
                date: Some(d),
            },
            None => PrevPerm {
                code: "Z1",
                la: None,
                date: None,
            },
        }
    });
}

/// Date the child's own first child, if she is a mother, where every return agrees (rules 207,
/// 620 to 626): born while she is looked after, before any episode of hers that ended in the
/// same year.
fn mother(ctx: &Ctx, h: &mut History) {
    let mut rng = Rng::stream(ctx.seed, h.idx as u64, SALT_MOTHER);
    let from = h.entry.max(h.b(14) + 100);
    let to = h.exit.unwrap_or(ctx.this.end).min(ctx.this.end);
    if to <= from {
        return;
    }
    let b = from + rng.days(to - from);
    for w in [ctx.last, ctx.this] {
        if b > w.end {
            continue;
        }
        let latest_end = h.eps.iter().filter_map(|e| e.dec).filter(|&d| w.contains(d)).max();
        if latest_end.is_some_and(|d| b > d) {
            return;
        }
    }
    h.baby = Some(b);
}

/// A disabled child's short breaks (V3): a few nights at a time in a residential home,
/// each its own episode, under 75 days a year.
fn short_breaks(ctx: &Ctx, rng: &mut Rng, h: &mut History) {
    h.short_breaks = true;
    h.uasc = false;
    // Young enough to be under 18 all year.
    let age = 5 + rng.below(12) as i32;
    h.dob = add_years(ctx.this.start, -age) - 1 - rng.days(364);
    let home = provider(ctx.seed, "R1", rng.below(4));
    let pl = Placement {
        place: "R1",
        provider: Some(home.code),
        post: None,
        urn: None,
    };
    let b18 = h.b(18);
    let mut t = ctx.last.start - 120 - rng.days(300);
    let first = t;
    loop {
        t += 10 + rng.days(30);
        let nights = 1 + rng.days(4);
        if t + nights > ctx.this.end || t >= b18 {
            break;
        }
        if collection_year_of(t) != collection_year_of(t + nights) {
            continue;
        }
        h.eps.push(Ep {
            decom: t,
            dec: Some(t + nights),
            rne: "S",
            ls: "V3",
            cin: "N2",
            pl,
            rec: Some("E4A"),
            reason: None,
            home: None,
        });
        t += nights;
    }
    if h.eps.is_empty() || !h.eps.iter().any(|e| e.decom >= ctx.this.start) {
        // Nothing this year after all: one break in the spring.
        let d = ctx.this.start + 20 + rng.days(30);
        h.eps.retain(|e| e.dec.is_some_and(|x| x < d));
        h.eps.push(Ep {
            decom: d,
            dec: Some(d + 2),
            rne: "S",
            ls: "V3",
            cin: "N2",
            pl,
            rec: Some("E4A"),
            reason: None,
            home: None,
        });
    }
    h.entry = h.eps.first().map_or(first, |e| e.decom);
    h.exit = None;
    h.prev_perm = Some(PrevPerm {
        code: "Z1",
        la: None,
        date: None,
    });
}
