//! Care histories: which children are looked after (Annex A List 8), which have left care as
//! care leavers (List 9) and which have an adoption decision (List 10), drawn once per child
//! from its own stream and shared by those lists, children in need (List 6) and the adopters
//! who are matched with a child (List 11).
//!
//! About 8% of children under 17 are in care, four in five of them still on the extract date;
//! of 17-year-olds, about 80% are care leavers (six in ten of them left care in the last year,
//! and are in List 8 with the day they left) and 16% are still looked after. About two thirds of
//! children in care under 10 have an adoption decision, and move through placement order,
//! matching, placement and adoption order as far as the extract date allows (a few have a
//! decision that they should no longer be placed). Children in Northfield's care are placed
//! mostly in Northfield (`NF` postcodes, "a) In", the council's own code [`OWN_LA`]) and
//! otherwise in its fictional neighbours (`EM`, `SD`, `KH` postcodes and their ONS codes, as
//! the SSDA903 generator's geography has them).

use crate::council::{Child, Ctx};
use crate::render::{Day, age_years};
use crate::rng::{Rng, SALT_CARE};
use crate::ssda903::geography::{LOCAL_AUTHORITY, NORTHFIELD, Post};
use crate::vocab::{
    A6, ADOPTED_DISPENSED, ADOPTED_UNOPPOSED, ADOPTION_PLAN, CARE_NEED_W, CARE_TEAMS, CEASED_W, E1, K2,
    LEAVER_CEASED_W, LEGAL_W, NO, P1, P2, PERMANENCE_W, PR0, PR1, PR4, PR5, U1, U3, U4, U6, WORKERS, YES,
};

/// The council's own ONS code (LA of Placement for a placement in Northfield): fictional, as
/// in the SSDA903 generator.
pub(crate) const OWN_LA: &str = LOCAL_AUTHORITY;

/// A period of care, as List 8 shows it.
#[derive(Debug, Clone)]
pub(crate) struct Cla {
    pub(crate) start: Day,
    pub(crate) end: Option<(Day, u8)>,
    pub(crate) uasc: u8,
    pub(crate) need: u8,
    pub(crate) subsequent: u8,
    pub(crate) legal: u8,
    pub(crate) legal_start: Day,
    pub(crate) review: Option<Day>,
    pub(crate) visit: Day,
    pub(crate) permanence: Option<u8>,
    pub(crate) iro: Option<Day>,
    pub(crate) health: Option<Day>,
    pub(crate) dental: Option<Day>,
    pub(crate) placements: i64,
    pub(crate) place_start: Day,
    pub(crate) place_type: u8,
    pub(crate) provider: u8,
    /// The placement's postcode, written (`NF3 2AB`).
    pub(crate) postcode: String,
    pub(crate) urn: Option<String>,
    pub(crate) local: bool,
    pub(crate) la: &'static str,
    pub(crate) missing: i64,
    pub(crate) absent: i64,
    /// Offered and accepted a return interview (only after a missing episode).
    pub(crate) interview: Option<(u8, Option<u8>)>,
    pub(crate) team: &'static str,
    pub(crate) worker: &'static str,
}

/// A child's adoption decision and how far it has gone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Adoption {
    pub(crate) entered: Day,
    pub(crate) decision: Day,
    pub(crate) order: Option<Day>,
    pub(crate) matching: Option<Day>,
    pub(crate) placed: Option<Day>,
    pub(crate) adopted: Option<Day>,
    pub(crate) no_longer: Option<(Day, u8)>,
    pub(crate) ffa: Option<Day>,
    /// Family number of the adopters matched with the child (see [`family_id`]).
    pub(crate) family: Option<u32>,
}

/// A care leaver's details (List 9).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Leaver {
    pub(crate) eligibility: u8,
    pub(crate) in_touch: u8,
    pub(crate) accommodation: Option<(u8, u8)>,
    pub(crate) activity: Option<u8>,
}

/// A child's care history.
#[derive(Debug, Clone, Default)]
pub(crate) struct Care {
    pub(crate) cla: Option<Cla>,
    pub(crate) adoption: Option<Adoption>,
    pub(crate) leaver: Option<Leaver>,
}

impl Care {
    /// Looked after on the extract date (an open row in List 8).
    pub(crate) fn open(&self) -> bool {
        self.cla.as_ref().is_some_and(|c| c.end.is_none())
    }
}

/// `NFF` family ids: the `k`-th family matched or in the process, five digits, distinct for the
/// first 90,000.
pub(crate) fn family_id(seed: u64, k: u32) -> u32 {
    10_000 + ((u64::from(k) * 7_919 + seed % 90_000) % 90_000) as u32
}

/// Child `i`'s care history; `families` counts the families matched with a child so far (the
/// next one matched gets that number).
pub(crate) fn gen_care(ctx: &Ctx, i: usize, c: &Child, families: &mut u32, out: &mut Care) {
    out.cla = None;
    out.adoption = None;
    out.leaver = None;
    let mut rng = Rng::later(ctx.seed, i as u64, SALT_CARE);
    let age = age_years(c.dob, ctx.as_of);
    let roll = rng.below(1000);
    let leaver = age == 17 && roll < 800;
    let in_care = if age == 17 {
        (800..960).contains(&roll)
    } else {
        roll < 80
    };
    if leaver {
        out.leaver = Some(gen_leaver(&mut rng));
        if rng.chance(600) {
            // Left care in the last year, aged 16 or 17.
            let sixteen = ctx.as_of.min(c.dob + 16 * 365 + 4);
            let lo = (ctx.as_of - 365).max(sixteen);
            let end = lo + rng.days(ctx.as_of - lo);
            let start = (end - 60 - rng.days(4 * 365)).max(c.dob + 1);
            let reason = rng.weighted(&LEAVER_CEASED_W) as u8;
            out.cla = Some(gen_cla(ctx, c, start, Some((end, reason)), None, &mut rng));
        }
        return;
    }
    if !in_care || ctx.as_of - c.dob < 30 {
        return;
    }
    let lo = c.dob.max(ctx.as_of - 5 * 365);
    let start = lo + rng.days(ctx.as_of - lo);
    // Some children under 17 have left care this year (not by adoption: that follows one).
    let ended = age < 17 && start < ctx.as_of - 30 && rng.chance(200);
    let end = ended.then(|| {
        let lo = (start + 1).max(ctx.as_of - 365);
        (lo + rng.days(ctx.as_of - lo + 1), rng.weighted(&CEASED_W) as u8)
    });
    let adoption = (age < 10 && end.is_none() && rng.chance(650))
        .then(|| gen_adoption(ctx, start, families, &mut rng))
        .flatten();
    let end = match adoption.and_then(|a| a.adopted) {
        Some(d) => Some((
            d,
            if rng.chance(800) {
                ADOPTED_UNOPPOSED
            } else {
                ADOPTED_DISPENSED
            },
        )),
        None => end,
    };
    out.cla = Some(gen_cla(ctx, c, start, end, adoption, &mut rng));
    out.adoption = adoption;
}

fn gen_leaver(rng: &mut Rng) -> Leaver {
    let in_touch = rng.weighted(&crate::vocab::IN_TOUCH_W) as u8;
    let touch = in_touch == 0;
    Leaver {
        eligibility: if rng.chance(850) { 0 } else { 2 },
        in_touch,
        accommodation: touch.then(|| (rng.below(4) as u8, u8::from(rng.chance(100)))),
        activity: touch.then(|| rng.weighted(&crate::vocab::ACTIVITY_W) as u8),
    }
}

/// An adoption decision for a child who came into care on `entered`, and its stages as far as
/// the extract date (`None` if the decision itself would be after it).
fn gen_adoption(ctx: &Ctx, entered: Day, families: &mut u32, rng: &mut Rng) -> Option<Adoption> {
    let decision = entered + 60 + rng.days(300);
    if decision > ctx.as_of {
        return None;
    }
    let mut a = Adoption {
        entered,
        decision,
        order: None,
        matching: None,
        placed: None,
        adopted: None,
        no_longer: None,
        ffa: rng.chance(150).then(|| entered + rng.days(decision - entered + 1)),
        family: None,
    };
    // Each stage follows the one before, if it has happened by the extract date; a few stop
    // with a decision that the child should no longer be placed.
    let stop = rng.chance(120).then(|| rng.below(3));
    let next =
        |from: Day, min: i32, span: i32, rng: &mut Rng| Some(from + min + rng.days(span)).filter(|&d| d <= ctx.as_of);
    let mut last = decision;
    if stop != Some(0) {
        a.order = next(last, 14, 120, rng);
        last = a.order.unwrap_or(last);
    }
    if a.order.is_some() && stop != Some(1) {
        a.matching = next(last, 30, 200, rng);
        last = a.matching.unwrap_or(last);
        if a.matching.is_some() {
            a.family = Some(*families);
            *families += 1;
            a.placed = next(last, 7, 50, rng);
            last = a.placed.unwrap_or(last);
            if a.placed.is_some() && stop.is_none() {
                a.adopted = next(last, 70, 250, rng);
            }
        }
    }
    if let Some(s) = stop
        && a.placed.is_none()
    {
        let reason = match (s, a.order) {
            (0, _) => [1, 3][rng.below(2) as usize],
            _ => [0, 2, 3][rng.below(3) as usize],
        };
        a.no_longer = next(last, 30, 200, rng).map(|d| (d, reason));
    }
    Some(a)
}

/// A period of care from `start` (ending as `end` says), with its placement, legal status and
/// visits; an adoption decision decides the legal status and placement once it has them.
fn gen_cla(ctx: &Ctx, c: &Child, start: Day, end: Option<(Day, u8)>, adoption: Option<Adoption>, rng: &mut Rng) -> Cla {
    let upto = end.map_or(ctx.as_of, |(d, _)| d);
    let span = upto - start;
    let age = age_years(c.dob, start);
    let need = rng.weighted(&CARE_NEED_W) as u8;
    let (mut legal, mut legal_start) = (rng.weighted(&LEGAL_W) as u8, start + rng.days(span.min(400) + 1));
    let mut permanence = rng.chance(900).then(|| rng.weighted(&PERMANENCE_W) as u8);
    let (mut place_type, mut provider) = match rng.below(100) {
        0..40 => (U6, if rng.chance(600) { PR1 } else { PR4 }),
        40..55 => (U4, if rng.chance(600) { PR1 } else { PR5 }),
        55..67 => (U3, PR1),
        67..72 => (U1, PR1),
        72..84 if age >= 8 => (K2, if rng.chance(300) { PR1 } else { PR4 }),
        84..90 => (P1, PR0),
        90..96 if age >= 16 => (P2, PR4),
        _ => (U6, PR4),
    };
    let mut place_start = start + rng.days(span + 1);
    if let Some(a) = adoption {
        permanence = Some(ADOPTION_PLAN).filter(|_| a.no_longer.is_none()).or(permanence);
        if let Some(order) = a.order {
            (legal, legal_start) = (E1, order);
        }
        if let Some(placed) = a.placed {
            (place_type, provider, place_start) = (A6, PR1, placed);
        }
    }
    let out_of_area = place_type != P1 && rng.chance(if place_type == K2 { 450 } else { 180 });
    let post = if out_of_area {
        let area = 1 + rng.below(3) as usize;
        Post::within(rng, area)
    } else {
        Post::within(rng, NORTHFIELD)
    };
    let mut postcode = Vec::with_capacity(8);
    post.push(&mut postcode);
    let recent = |rng: &mut Rng, within: i32| upto - rng.days(span.min(within) + 1);
    let teen = age_years(c.dob, upto) >= 11;
    let missing = if teen && rng.chance(200) {
        1 + rng.below(4) as i64
    } else {
        0
    };
    let offered = (missing > 0).then(|| if rng.chance(850) { YES } else { NO });
    Cla {
        start,
        end,
        uasc: if age >= 14 && rng.chance(150) { YES } else { NO },
        need,
        subsequent: if rng.chance(50) { YES } else { NO },
        legal,
        legal_start,
        review: (span >= 20).then(|| upto - rng.days((span - 20).min(180) + 1)),
        visit: recent(rng, 42),
        permanence,
        iro: rng.chance(900).then(|| recent(rng, 180)),
        health: (span >= 28).then(|| recent(rng, 365)),
        dental: (span >= 60 && age_years(c.dob, upto) >= 3 && rng.chance(850)).then(|| recent(rng, 365)),
        placements: 1 + [0, 0, 0, 0, 1, 1, 2][rng.below(7) as usize],
        place_start,
        place_type,
        provider,
        postcode: String::from_utf8(postcode).expect("ASCII"),
        urn: (place_type == K2).then(|| format!("SC{:06}", 400_000 + rng.below(99_999))),
        local: post.local(),
        la: if post.local() { OWN_LA } else { post.la() },
        missing,
        absent: if teen && rng.chance(150) {
            1 + rng.below(3) as i64
        } else {
            0
        },
        interview: offered.map(|o| (o, (o == YES).then(|| if rng.chance(700) { YES } else { NO }))),
        team: CARE_TEAMS[c.worker as usize % CARE_TEAMS.len()],
        worker: WORKERS[c.worker as usize],
    }
}

/// A period of care that has ended, for a child made up for a plant (CLA-R01): it started
/// on `start` and ended within the last year.
pub(crate) fn ended_cla(ctx: &Ctx, c: &Child, rng: &mut Rng) -> Cla {
    let lo = (c.dob + 1).max(ctx.as_of - 3 * 365);
    let start = lo + rng.days((ctx.as_of - 40 - lo).max(1));
    let end_lo = (start + 1).max(ctx.as_of - 365);
    let end = end_lo + rng.days(ctx.as_of - end_lo + 1);
    let reason = rng.weighted(&CEASED_W) as u8;
    gen_cla(ctx, c, start, Some((end, reason)), None, rng)
}
