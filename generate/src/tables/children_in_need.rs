//! `children_in_need.csv` (Annex A List 6): one case per child who needs one: every child on an
//! open plan ("Child protection", from the enquiry behind it), every child looked after ("Looked
//! after child", from the day they came into care; an adopted child's case closed on the
//! adoption order), and children whose assessment in the last two years found they needed
//! support ("Child in need", some since closed); exported plainly.

use std::io;

use crate::council::{Child, Ctx};
use crate::plants::{PlantKind, TableOut};
use crate::render::{DateForm, Day, V};
use crate::rng::{Rng, SALT_CIN};
use crate::tables::assessments::{Assessment, needs_support};
use crate::tables::care::Care;
use crate::tables::cp_plans::CpPlan;
use crate::tables::s47_enquiries::S47;
use crate::tables::{child_cols, disability, dmy, not_a_date};
use crate::vocab::{
    ADOPTED_DISPENSED, CIN_TEAMS, CLOSURE_REASON, CLOSURE_W, N1, PRIMARY_NEED, PRIMARY_NEED_W, RC1, WORKERS,
    miswritten_need,
};

pub(crate) const CASE_STATUS: [&str; 3] = ["Child in need", "Child protection", "Looked after child"];

#[derive(Debug, Clone, Copy)]
pub(crate) struct Cin {
    start: Day,
    need: u8,
    seen: Day,
    closed: Option<(Day, u8)>,
    status: u8,
    team: &'static str,
    worker: &'static str,
}

pub(crate) fn gen_cin(
    ctx: &Ctx,
    i: usize,
    c: &Child,
    assessments: &[Assessment],
    plans: &[CpPlan],
    s47: &[S47],
    care: &Care,
) -> Option<Cin> {
    let mut rng = Rng::later(ctx.seed, i as u64, SALT_CIN);
    let worker = WORKERS[c.worker as usize];
    let open_plan = plans.iter().find(|p| p.end.is_none());
    let (start, need, closed, status, team) = if let Some(p) = open_plan {
        let start = s47
            .iter()
            .find(|s| s.plan == Some(p.start))
            .map_or(p.start, |s| s.start);
        (start, N1, None, 1, p.team)
    } else if let Some(cla) = care
        .cla
        .as_ref()
        .filter(|cla| cla.end.is_none() || cla.end.is_some_and(|(_, r)| r <= ADOPTED_DISPENSED))
    {
        let closed = cla.end.map(|(d, _)| (d, RC1));
        (cla.start, cla.need, closed, 2, cla.team)
    } else {
        let a = assessments
            .iter()
            .rev()
            .find(|a| needs_support(a) && a.auth.is_some_and(|d| d >= ctx.as_of - 2 * 365))?;
        let start = a.auth.expect("authorised");
        let closed = (start < ctx.as_of - 30 && rng.chance(300)).then(|| {
            let d = start + 30 + rng.days(ctx.as_of - start - 30 + 1);
            (d, rng.weighted(&CLOSURE_W) as u8)
        });
        let team = CIN_TEAMS[c.worker as usize % CIN_TEAMS.len()];
        (start, rng.weighted(&PRIMARY_NEED_W) as u8, closed, 0, team)
    };
    let upto = closed.map_or(ctx.as_of, |(d, _)| d);
    Some(Cin {
        start,
        need,
        seen: upto - rng.days((upto - start).min(42) + 1),
        closed,
        status,
        team,
        worker,
    })
}

pub(crate) fn write_cin(ctx: &Ctx, o: &mut TableOut, i: usize, c: &Child, cin: Option<&Cin>) -> io::Result<()> {
    let Some(e) = cin else {
        return Ok(());
    };
    let plant = o.planter.take(i, |_, _| true);
    let (plant, _) = o.tonight(ctx, i, plant);
    let [id, gender, ethnicity, dob, age] = child_cols(c, e.start);
    let need_text;
    let mut values = [
        id,
        gender,
        ethnicity,
        dob,
        age,
        disability(c),
        V::Date(e.start, DateForm::Dmy),
        V::Text(PRIMARY_NEED[e.need as usize]),
        V::Date(e.seen, DateForm::Dmy),
        dmy(e.closed.map(|(d, _)| d)),
        e.closed.map_or(V::Empty, |(_, r)| V::Text(CLOSURE_REASON[r as usize])),
        V::Text(CASE_STATUS[e.status as usize]),
        V::Text(e.team),
        V::Text(e.worker),
    ];
    let Some((kind, v)) = plant else {
        o.write(&values)?;
        return Ok(());
    };
    let col = match kind {
        PlantKind::CinLastSeenType => {
            values[8] = not_a_date(v);
            8
        }
        PlantKind::CinNeedRequired => {
            values[7] = V::Empty;
            7
        }
        PlantKind::CinNeedCodeForm => {
            need_text = miswritten_need(e.need, v);
            values[7] = V::Text(&need_text);
            7
        }
        _ => unreachable!("{kind:?} is not a children in need problem"),
    };
    o.plant(kind, &values, col)?;
    Ok(())
}
