//! `adoptions.csv` (Annex A List 10): one row per child in care with an adoption decision (see
//! `care`), with the family matched with them (`NFF` + five digits, as in `adopters.csv`);
//! exported plainly.

use std::io;

use crate::council::{Child, Ctx};
use crate::plants::{PlantKind, TableOut};
use crate::render::{DateForm, V, age_years};
use crate::tables::care::{Adoption, Care, family_id};
use crate::tables::{child_cols, disability, dmy, not_a_date};
use crate::vocab::{NO_LONGER_REASON, miswritten_gender};

pub(crate) fn write_adoption(ctx: &Ctx, o: &mut TableOut, i: usize, c: &Child, care: &Care) -> io::Result<()> {
    // ADO-R01 gives a decision to a young child who has never been in care.
    let never = care.cla.is_none() && age_years(c.dob, ctx.as_of) < 10 && ctx.as_of - c.dob > 200;
    if care.adoption.is_none() && !never {
        return Ok(());
    }
    let plant = o
        .planter
        .take(i, |k, _| (k == PlantKind::AdoR01) == care.adoption.is_none());
    let (plant, mut rng) = o.tonight(ctx, i, plant);
    let a = match care.adoption {
        Some(a) => a,
        None if plant.is_some() => {
            let lo = (c.dob + 1).max(ctx.as_of - 730);
            let entered = lo + rng.days(ctx.as_of - 100 - lo);
            Adoption {
                entered,
                decision: entered + 30 + rng.days(60),
                order: None,
                matching: None,
                placed: None,
                adopted: None,
                no_longer: None,
                ffa: None,
                family: None,
            }
        }
        None => return Ok(()),
    };
    let family = a.family.map(|k| format!("NFF{:05}", family_id(ctx.seed, k)));
    let [id, gender, ethnicity, dob, age] = child_cols(c, a.decision);
    let mut values = [
        id,
        family.as_deref().map_or(V::Empty, V::Text),
        gender,
        ethnicity,
        dob,
        age,
        disability(c),
        V::Date(a.entered, DateForm::Dmy),
        V::Date(a.decision, DateForm::Dmy),
        dmy(a.order),
        dmy(a.matching),
        dmy(a.placed),
        dmy(a.adopted),
        dmy(a.no_longer.map(|(d, _)| d)),
        a.no_longer
            .map_or(V::Empty, |(_, r)| V::Text(NO_LONGER_REASON[r as usize])),
        dmy(a.ffa),
    ];
    let Some((kind, v)) = plant else {
        o.write(&values)?;
        return Ok(());
    };
    let col = match kind {
        PlantKind::AdoOrderType => {
            values[9] = not_a_date(v);
            9
        }
        PlantKind::AdoEnteredRequired => {
            values[7] = V::Empty;
            7
        }
        PlantKind::AdoGenderCodeForm => {
            values[2] = V::Text(miswritten_gender(c.sex, false, v));
            2
        }
        PlantKind::AdoR01 => 0,
        _ => unreachable!("{kind:?} is not an adoptions problem"),
    };
    o.plant(kind, &values, col)?;
    Ok(())
}
