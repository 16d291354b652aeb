//! `s47_enquiries.csv` (Annex A List 5): a section 47 enquiry behind every child protection
//! plan (starting 0 to 20 days before it, with an initial conference between the two that
//! resulted in the plan), and some after an assessment that led to no plan (a conference
//! deemed unnecessary, or one that made no plan); exported with CRLF.
//!
//! The enquiries are derived from the plans the child gets (the plans are not changed), so
//! CPP-011 holds for every clean plan. CPP-011 is planted by leaving out the enquiry of a
//! child's only plan, scheduled here and listed on the plan's row in `cp_plans.csv`.

use std::io;

use crate::council::{Child, Ctx};
use crate::plants::{PlantKind, TableOut};
use crate::render::{DateForm, Day, IntForm, V, rendered};
use crate::rng::{Rng, SALT_S47};
use crate::tables::assessments::Assessment;
use crate::tables::cp_plans::CpPlan;
use crate::tables::{CP_PLANS, child_cols, disability, dmy, not_a_date};
use crate::vocab::{ASSESSMENT_TEAMS, NO, WORKERS, YES, YNU, YNU_FORMS};

#[derive(Debug, Clone, Copy)]
pub(crate) struct S47 {
    pub(crate) start: Day,
    /// The conference was deemed unnecessary.
    unnecessary: bool,
    icpc: Option<Day>,
    /// The conference made a plan (the plan this enquiry is behind, by its start).
    pub(crate) plan: Option<Day>,
    s47s: i64,
    icpcs: i64,
    team: &'static str,
    worker: &'static str,
}

/// What `cp_plans.csv` holds for the child, for the enquiries written beside it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PlansWritten {
    /// The plans table is written (not only made for its plants).
    pub(crate) listed: bool,
    /// The line of the child's first plan, when its rows are the clean plans, one per plan.
    pub(crate) clean_from: Option<usize>,
    /// The start of a plan whose start date was planted as not a date.
    pub(crate) broken: Option<Day>,
}

pub(crate) fn gen_s47(
    ctx: &Ctx,
    i: usize,
    c: &Child,
    assessments: &[Assessment],
    plans: &[CpPlan],
    out: &mut Vec<S47>,
) {
    out.clear();
    let mut rng = Rng::later(ctx.seed, i as u64, SALT_S47);
    let mut last: Option<Day> = None;
    for p in plans {
        // Plans are in order of start and start on different days, so each enquiry can start
        // after the one before and on or before its plan.
        let start = (p.start - rng.days(21))
            .max(c.dob)
            .max(last.map_or(Day::MIN, |d| d + 1));
        last = Some(start);
        out.push(S47 {
            start,
            unnecessary: false,
            icpc: Some(start + rng.days(p.start - start + 1)),
            plan: Some(p.start),
            s47s: 0,
            icpcs: 0,
            team: p.team,
            worker: p.worker,
        });
    }
    if plans.is_empty() {
        for a in assessments {
            if !rng.chance(110) {
                continue;
            }
            let start = (a.start + rng.days(15)).min(ctx.as_of);
            if out.iter().any(|s| s.start == start) {
                continue;
            }
            let unnecessary = rng.chance(500);
            let icpc = Some(start + 5 + rng.days(10)).filter(|&d| !unnecessary && d <= ctx.as_of);
            out.push(S47 {
                start,
                unnecessary,
                icpc,
                plan: None,
                s47s: 0,
                icpcs: 0,
                team: ASSESSMENT_TEAMS[(c.worker as usize) % ASSESSMENT_TEAMS.len()],
                worker: WORKERS[c.worker as usize],
            });
        }
        out.sort_unstable_by_key(|s| s.start);
    }
    // Counts over the 12 months up to each enquiry's start, itself included.
    for j in 0..out.len() {
        let from = out[j].start - 365;
        let window = || out[..=j].iter().filter(|s| s.start > from);
        let (s47s, icpcs) = (window().count(), window().filter(|s| s.icpc.is_some()).count());
        (out[j].s47s, out[j].icpcs) = (s47s as i64, icpcs as i64);
    }
}

pub(crate) fn write_s47(
    ctx: &Ctx,
    o: &mut TableOut,
    i: usize,
    c: &Child,
    plans: &[CpPlan],
    rows: &[S47],
    written: PlansWritten,
) -> io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    // Problems in a value go on an enquiry that made no plan, so the plan rules that read
    // the enquiries (CPP-011, S47-R01) still hold; CPP-011 needs a child with one plan, written
    // clean, whose enquiry can be left out.
    let extra = |s: &S47| s.plan.is_none();
    let outcome_no = |s: &S47| s.plan.is_none() && s.icpc.is_some();
    let plant = o.planter.take(i, |k, _| match k {
        PlantKind::Cpp011 => plans.len() == 1 && rows.len() == 1 && written.clean_from.is_some(),
        PlantKind::S47StartType => rows.iter().any(extra),
        PlantKind::S47OutcomeCodeForm => rows.iter().any(outcome_no),
        _ => true,
    });
    let (plant, mut rng) = o.tonight(ctx, i, plant);
    let target = plant.map(|(kind, _)| {
        let fits: Vec<usize> = (0..rows.len())
            .filter(|&r| match kind {
                PlantKind::S47StartType => extra(&rows[r]),
                PlantKind::S47OutcomeCodeForm => outcome_no(&rows[r]),
                _ => true,
            })
            .collect();
        fits[rng.below(fits.len() as u64) as usize]
    });
    for (r, s) in rows.iter().enumerate() {
        let [id, gender, ethnicity, dob, age] = child_cols(c, s.start);
        // A plan whose start was planted as not a date: its conference is written as having
        // made no plan, so S47-R01 does not look for it.
        let made_plan = s.plan.is_some() && s.plan != written.broken;
        let outcome = match (s.icpc, made_plan) {
            (None, _) => V::Empty,
            (Some(_), true) => V::Text(YNU[YES as usize]),
            (Some(_), false) => V::Text(YNU[NO as usize]),
        };
        let mut values = [
            id,
            gender,
            ethnicity,
            dob,
            age,
            disability(c),
            V::Date(s.start, DateForm::Dmy),
            V::Text(YNU[if s.unnecessary { YES } else { NO } as usize]),
            dmy(s.icpc),
            outcome,
            V::Int(s.s47s, IntForm::Plain),
            V::Int(s.icpcs, IntForm::Plain),
            V::Text(s.team),
            V::Text(s.worker),
        ];
        let Some((kind, v)) = plant.filter(|_| target == Some(r)) else {
            o.write(&values)?;
            continue;
        };
        let col = match kind {
            PlantKind::Cpp011 => {
                // Left out: the plan's row is the problem.
                let p = &plans[0];
                if written.listed {
                    let line = written.clean_from.expect("taken only with a clean plan row");
                    let start = rendered(&V::Date(p.start, p.forms.date(1)));
                    o.record_elsewhere(kind, CP_PLANS, line, 6, start);
                }
                continue;
            }
            PlantKind::S47StartType => {
                values[6] = not_a_date(v);
                6
            }
            PlantKind::S47CountRequired => {
                values[10] = V::Empty;
                10
            }
            PlantKind::S47OutcomeCodeForm => {
                values[9] = V::Text(YNU_FORMS[NO as usize][v % 2]);
                9
            }
            _ => unreachable!("{kind:?} is not a section 47 problem"),
        };
        o.plant(kind, &values, col)?;
    }
    Ok(())
}
