//! `care_leavers.csv` (Annex A List 9): one row per care leaver: children in the children table
//! are at most 17, so these are the 17-year-olds who have left care (see `care`); exported with
//! a UTF-8 BOM.

use std::io;

use crate::council::{Child, Ctx};
use crate::plants::{PlantKind, TableOut};
use crate::render::{V, age_years};
use crate::tables::care::{Care, Leaver};
use crate::tables::{child_cols, disability};
use crate::vocab::{
    ACCOMMODATION, ACTIVITY, ACTIVITY_W, ACTIVITY_WORDS, ELIGIBILITY, IN_TOUCH, IN_TOUCH_FORMS, LEAVING_CARE_TEAM,
    SUITABILITY, WORKERS,
};

pub(crate) fn write_leaver(ctx: &Ctx, o: &mut TableOut, i: usize, c: &Child, care: &Care) -> io::Result<()> {
    // CLV-R01 lists a 17-year-old who is still looked after as a care leaver.
    let looked_after = care.leaver.is_none() && care.open() && age_years(c.dob, ctx.as_of) == 17;
    if care.leaver.is_none() && !looked_after {
        return Ok(());
    }
    let plant = o.planter.take(i, |k, _| (k == PlantKind::ClvR01) == looked_after);
    let (plant, mut rng) = o.tonight(ctx, i, plant);
    let leaver = match care.leaver {
        Some(l) => l,
        None if plant.is_some() => Leaver {
            eligibility: 0,
            in_touch: 0,
            accommodation: Some((rng.below(4) as u8, 0)),
            activity: Some(rng.weighted(&ACTIVITY_W) as u8),
        },
        None => return Ok(()),
    };
    let [id, gender, ethnicity, dob, age] = child_cols(c, ctx.as_of);
    let mut values = [
        id,
        gender,
        ethnicity,
        dob,
        age,
        disability(c),
        V::Text(LEAVING_CARE_TEAM),
        V::Text(WORKERS[c.worker as usize]),
        V::Text(ELIGIBILITY[leaver.eligibility as usize]),
        V::Text(IN_TOUCH[leaver.in_touch as usize]),
        leaver
            .accommodation
            .map_or(V::Empty, |(a, _)| V::Text(ACCOMMODATION[a as usize])),
        leaver
            .accommodation
            .map_or(V::Empty, |(_, s)| V::Text(SUITABILITY[s as usize])),
        leaver.activity.map_or(V::Empty, |a| V::Text(ACTIVITY[a as usize])),
    ];
    let Some((kind, v)) = plant else {
        o.write(&values)?;
        return Ok(());
    };
    let col = match kind {
        PlantKind::ClvActivityType => {
            values[12] = V::Text(ACTIVITY_WORDS[v % 2]);
            12
        }
        PlantKind::ClvEligibilityRequired => {
            values[8] = V::Empty;
            8
        }
        PlantKind::ClvInTouchCodeForm => {
            values[9] = V::Text(IN_TOUCH_FORMS[leaver.in_touch as usize][v % 2]);
            9
        }
        PlantKind::ClvR01 => 0,
        _ => unreachable!("{kind:?} is not a care leavers problem"),
    };
    o.plant(kind, &values, col)?;
    Ok(())
}
