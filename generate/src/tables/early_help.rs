//! `early_help.csv` (Annex A List 2): early help assessments, about one child in four with one or
//! two in the last three years, by Northfield's family hubs, health services and schools;
//! exported with a UTF-8 BOM.

use std::io;

use crate::council::{Child, Ctx};
use crate::plants::{PlantKind, TableOut};
use crate::render::{Day, V};
use crate::rng::{Rng, SALT_EARLY_HELP};
use crate::tables::{child_cols, dmy, not_a_date};
use crate::vocab::{EARLY_HELP_ORGS, miswritten_gender};

#[derive(Debug, Clone, Copy)]
pub(crate) struct EarlyHelp {
    start: Day,
    completed: Option<Day>,
    organisation: &'static str,
}

pub(crate) fn gen_early_help(ctx: &Ctx, i: usize, c: &Child, out: &mut Vec<EarlyHelp>) {
    out.clear();
    let mut rng = Rng::later(ctx.seed, i as u64, SALT_EARLY_HELP);
    if !rng.chance(240) {
        return;
    }
    let lo = (c.dob + 1).max(ctx.as_of - 3 * 365);
    if lo > ctx.as_of {
        return;
    }
    let k = if rng.chance(250) { 2 } else { 1 };
    for _ in 0..k {
        let start = lo + rng.days(ctx.as_of - lo + 1);
        if out.iter().any(|e: &EarlyHelp| e.start == start) {
            continue;
        }
        // Completed 10 to 70 days later; still open if that is after the extract date.
        let done = start + 10 + rng.days(60);
        out.push(EarlyHelp {
            start,
            completed: (done <= ctx.as_of && rng.chance(950)).then_some(done),
            organisation: rng.pick(&EARLY_HELP_ORGS),
        });
    }
    out.sort_unstable_by_key(|e| e.start);
}

pub(crate) fn write_early_help(ctx: &Ctx, o: &mut TableOut, i: usize, c: &Child, rows: &[EarlyHelp]) -> io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let plant = o.planter.take(i, |_, _| true);
    let (plant, mut rng) = o.tonight(ctx, i, plant);
    let target = rng.below(rows.len() as u64) as usize;
    for (r, e) in rows.iter().enumerate() {
        let [id, gender, ethnicity, dob, age] = child_cols(c, e.start);
        let mut values = [
            id,
            gender,
            ethnicity,
            dob,
            age,
            V::Date(e.start, crate::render::DateForm::Dmy),
            dmy(e.completed),
            V::Text(e.organisation),
        ];
        let Some((kind, v)) = plant.filter(|_| r == target) else {
            o.write(&values)?;
            continue;
        };
        let col = match kind {
            PlantKind::EhStartType => {
                values[5] = not_a_date(v);
                5
            }
            PlantKind::EhOrganisationRequired => {
                values[7] = V::Empty;
                7
            }
            PlantKind::EhGenderCodeForm => {
                values[1] = V::Text(miswritten_gender(c.sex, false, v));
                1
            }
            _ => unreachable!("{kind:?} is not an early help problem"),
        };
        o.plant(kind, &values, col)?;
    }
    Ok(())
}
