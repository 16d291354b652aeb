//! `cp_plans.csv` (Annex A List 7): child protection plans that follow some assessments, and
//! a few a child has with no assessment behind them; headers with odd spacing and case.

use std::io;

use crate::council::{Child, Ctx};
use crate::plants::{PlantKind, TableOut};
use crate::render::{DateForm, Day, Forms, IntForm, V};
use crate::rng::{Rng, SALT_PLANS};
use crate::tables::assessments::Assessment;
use crate::tables::event_row;
use crate::vocab::{ABUSE, ABUSE_W, CP_TEAMS, NO, WORKERS, YES, YNU, other_worker};

#[derive(Debug, Clone, Copy)]
pub(crate) struct CpPlan {
    pub(crate) start: Day,
    pub(crate) end: Option<Day>,
    pub(crate) review: Option<Day>,
    pub(crate) visit: Option<Day>,
    pub(crate) seen_alone: Option<u8>,
    pub(crate) initial: u8,
    pub(crate) latest: u8,
    pub(crate) emergency: u8,
    pub(crate) previous: i64,
    pub(crate) team: &'static str,
    pub(crate) worker: &'static str,
    pub(crate) forms: Forms,
}

pub(crate) fn gen_plans(ctx: &Ctx, i: usize, c: &Child, assessments: &[Assessment], out: &mut Vec<CpPlan>) {
    out.clear();
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_PLANS);
    for a in assessments {
        if !rng.chance(150) {
            continue;
        }
        let start = a.start + 10 + rng.days(31);
        if start > ctx.as_of || out.iter().any(|p| p.start == start) {
            continue;
        }
        let initial = rng.weighted(&ABUSE_W) as u8;
        out.push(CpPlan {
            start,
            end: None,
            review: None,
            visit: None,
            seen_alone: None,
            initial,
            latest: if rng.chance(800) {
                initial
            } else {
                rng.weighted(&ABUSE_W) as u8
            },
            emergency: if rng.chance(50) { YES } else { NO },
            previous: 0,
            team: CP_TEAMS[(c.worker as usize) % CP_TEAMS.len()],
            worker: WORKERS[c.worker as usize],
            forms: Forms::draw(&mut rng),
        });
    }
    out.sort_unstable_by_key(|p| p.start);
    for j in 0..out.len() {
        let start = out[j].start;
        // A plan ends before the child's next one starts; the latest may still be open.
        let end = match out.get(j + 1) {
            Some(next) if next.start - start >= 2 => Some(start + 1 + rng.days(next.start - start - 1)),
            // Starts the next day: ends the day the next one starts (open would overlap it).
            Some(next) => Some(next.start),
            None if rng.chance(500) => Some(start + 90 + rng.days(600)).filter(|&e| e <= ctx.as_of),
            None => None,
        };
        let upto = end.unwrap_or(ctx.as_of);
        let span = upto - start;
        // The first plan in the list may follow one from before the list's period; each later
        // plan counts the child's plans before it (CPP-010).
        let before = j.checked_sub(1).map(|k| out[k].previous);
        let p = &mut out[j];
        p.end = end;
        p.review = if span < 90 && rng.chance(400) {
            None
        } else {
            Some(start + rng.days(span + 1))
        };
        p.visit = Some(upto - rng.days(span.min(42) + 1));
        p.seen_alone = [Some(YES), Some(YES), Some(YES), Some(NO), Some(2), None][rng.below(6) as usize];
        p.previous = before.map_or_else(|| rng.below(2) as i64, |n| n + 1);
    }
}

/// A clean, open plan started in the last two years, for a child with no assessment behind it
/// (CPP-007: say, one who moved into the area on a plan).
fn orphan_plan(ctx: &Ctx, c: &Child, rng: &mut Rng) -> CpPlan {
    let lo = (c.dob + 1).max(ctx.as_of - 730);
    let start = lo + rng.days(ctx.as_of - lo + 1);
    let team = CP_TEAMS[(c.worker as usize) % CP_TEAMS.len()];
    open_plan(ctx, start, 0, team, WORKERS[c.worker as usize], rng)
}

/// A clean, open plan starting within 60 days of the day `last` (which has ended) ends: a child
/// back on a plan (CPP-010 plants its count).
fn later_plan(ctx: &Ctx, last: &CpPlan, rng: &mut Rng) -> CpPlan {
    let end = last.end.expect("the last plan has ended");
    let start = end + rng.days((ctx.as_of - end).min(60) + 1);
    open_plan(ctx, start, last.previous + 1, last.team, last.worker, rng)
}

/// A clean plan from `start` still open on the last night, counting `previous` plans before it:
/// reviewed if it has run 90 days, visited in the last six weeks, the child seen alone, the
/// category unchanged and no emergency order.
fn open_plan(ctx: &Ctx, start: Day, previous: i64, team: &'static str, worker: &'static str, rng: &mut Rng) -> CpPlan {
    let span = ctx.as_of - start;
    let initial = rng.weighted(&ABUSE_W) as u8;
    CpPlan {
        start,
        end: None,
        review: (span >= 90).then(|| start + rng.days(span + 1)),
        visit: Some(ctx.as_of - rng.days(span.min(42) + 1)),
        seen_alone: Some(YES),
        initial,
        latest: initial,
        emergency: NO,
        previous,
        team,
        worker,
        forms: Forms::draw(rng),
    }
}

/// The day after the last on which a second plan could start inside `e` (CPP-009): its end,
/// or the day after as_of if it is open. Room needs two days: the start is excluded, and a plan
/// starting on the day another ends does not overlap it.
fn overlap_limit(ctx: &Ctx, e: &CpPlan) -> Day {
    e.end.unwrap_or(ctx.as_of + 1)
}

pub(crate) fn write_plans(
    ctx: &Ctx,
    o: &mut TableOut,
    i: usize,
    c: &Child,
    assessments: &[Assessment],
    plans: &[CpPlan],
) -> io::Result<Option<Day>> {
    // The start of the plan whose start date is planted as not a date, for the enquiries.
    let mut broken = None;
    // A child without plans gets one only as CPP-007, and only if they have no assessment.
    // CPP-009 needs a plan with room for a second one to start inside it; CPP-010 a last plan
    // that has ended, for a new one to follow.
    let room = |e: &CpPlan| overlap_limit(ctx, e) - e.start >= 2;
    let plant = if !plans.is_empty() {
        o.planter.take(i, |k, _| match k {
            PlantKind::Cpp007 => false,
            PlantKind::Cpp009 => plans.iter().any(room),
            PlantKind::Cpp010 => plans.last().is_some_and(|p| p.end.is_some()),
            _ => true,
        })
    } else if assessments.is_empty() {
        o.planter.take(i, |k, _| k == PlantKind::Cpp007)
    } else {
        None
    };
    let (plant, mut rng) = o.tonight(ctx, i, plant);
    if plans.is_empty() && plant.is_none() {
        return Ok(None);
    }
    let orphan;
    let plans = if plans.is_empty() {
        orphan = [orphan_plan(ctx, c, &mut rng)];
        &orphan[..]
    } else {
        plans
    };
    let target = plant.map(|(kind, v)| {
        let r = rng.below(plans.len() as u64) as usize;
        match kind {
            // A future end date on any but the last plan would also overlap the next (CPP-009).
            PlantKind::Cpp001 if !v.is_multiple_of(2) => plans.len() - 1,
            // 25 previous plans on any but the last plan would make the next one's count look
            // too small (CPP-010).
            PlantKind::Cpp004 => plans.len() - 1,
            // A row of its own, after the child's plans.
            PlantKind::Cpp010 => plans.len(),
            PlantKind::Cpp009 => {
                let roomy: Vec<usize> = (0..plans.len()).filter(|&j| room(&plans[j])).collect();
                roomy[r % roomy.len()]
            }
            _ => r,
        }
    });
    // Plans planted as a second, overlapping plan (CPP-009) that later plans count.
    let mut added = 0;
    for (r, e) in plans.iter().enumerate() {
        // Values are drawn from the plan as it ends up (`e`), and written as tonight shows it.
        let Some(tonight) = ctx.plan_tonight(e) else {
            break;
        };
        let mut values = plan_values(c, &tonight, e.previous + added);
        let Some((kind, v)) = plant.filter(|_| target == Some(r)) else {
            o.write(&values)?;
            continue;
        };
        match kind {
            PlantKind::Cpp001 if v.is_multiple_of(2) => {
                values[9] = V::Date(ctx.as_of + 1 + rng.days(14), DateForm::Dmy);
                o.plant(kind, &values, 9)?;
            }
            PlantKind::Cpp001 => {
                values[12] = V::Date(ctx.as_of + 1 + rng.days(90), DateForm::Dmy);
                o.plant(kind, &values, 12)?;
            }
            PlantKind::Cpp002 => {
                values[12] = V::Date(e.start - 1 - rng.days(60), DateForm::Dmy);
                o.plant(kind, &values, 12)?;
            }
            PlantKind::Cpp003 => {
                values[11] = V::Date(e.start - 1 - rng.days(30), DateForm::Dmy);
                o.plant(kind, &values, 11)?;
            }
            PlantKind::Cpp004 => {
                values[14] = V::Int(25, IntForm::Plain);
                o.plant(kind, &values, 14)?;
            }
            PlantKind::Cpp005 => {
                let mut again = values;
                again[8] = V::Code(ABUSE[(e.latest as usize + 1) % ABUSE.len()]);
                again[16] = V::Text(other_worker(e.worker, 3));
                o.plant_same_key(kind, &values, &again)?;
            }
            PlantKind::Cpp006 => o.plant_copy(kind, &values)?,
            PlantKind::Cpp007 => {
                o.plant(kind, &values, 0)?;
            }
            PlantKind::Cpp009 => {
                // A second clean plan starting while this one runs, ending when it ends (or
                // open with it): a plan entered twice, or an end date never recorded.
                let start = e.start + 1 + rng.days(overlap_limit(ctx, e) - e.start - 1);
                let upto = e.end.unwrap_or(ctx.as_of);
                let span = upto - start;
                let second = CpPlan {
                    start,
                    visit: Some(upto - rng.days(span.min(42) + 1)),
                    review: Some(start + rng.days(span + 1)),
                    ..*e
                };
                let Some(second) = ctx.plan_tonight(&second) else {
                    o.write(&values)?;
                    continue;
                };
                // It counts this plan among its previous ones, and later plans count it.
                let again = plan_values(c, &second, e.previous + 1);
                added = 1;
                o.plant(kind, &values, 6)?;
                o.plant(kind, &again, 6)?;
            }
            PlantKind::CppStartType => {
                broken = Some(e.start);
                values[6] = V::Text(["31/09/2024", "2024-02-30"][v % 2]);
                o.plant(kind, &values, 6)?;
            }
            PlantKind::CppCategoryType => {
                values[7] = V::Text(["f) Financial abuse", "Bullying"][v % 2]);
                o.plant(kind, &values, 7)?;
            }
            _ => unreachable!("{kind:?} is not a cp_plans problem"),
        }
    }
    if let Some((kind @ PlantKind::Cpp010, v)) = plant {
        // A new plan after the last one, with its count carried over from it or left at nought.
        let last = plans.last().expect("taken only by children with a plan");
        let next = later_plan(ctx, last, &mut rng);
        let Some(next) = ctx.plan_tonight(&next) else {
            return Ok(broken);
        };
        let count = if v.is_multiple_of(2) { last.previous } else { 0 };
        let mut values = plan_values(c, &next, count);
        values[14] = V::Int(count, IntForm::Plain);
        o.plant(kind, &values, 14)?;
    }
    Ok(broken)
}

/// A plan's row, counting `previous` plans before it.
fn plan_values(c: &Child, e: &CpPlan, previous: i64) -> [V<'static>; 17] {
    let f = e.forms;
    let date = |d: Option<Day>, slot| d.map_or(V::Empty, |d| V::Date(d, f.date(slot)));
    let event = [
        V::Code(YNU[c.disability as usize]),
        V::Date(e.start, f.date(1)),
        V::Code(ABUSE[e.initial as usize]),
        V::Code(ABUSE[e.latest as usize]),
        date(e.visit, 2),
        e.seen_alone.map_or(V::Empty, |s| V::Code(YNU[s as usize])),
        date(e.review, 3),
        date(e.end, 4),
        V::Code(YNU[e.emergency as usize]),
        V::Int(previous, f.int(1)),
        V::Text(e.team),
        V::Text(e.worker),
    ];
    event_row(c, f, e.start, &event)
}
