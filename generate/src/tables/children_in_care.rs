//! `children_in_care.csv` (Annex A List 8): one row per child looked after in the period (see
//! `care`), exported with CRLF.

use std::io;

use crate::council::{Child, Ctx};
use crate::plants::{PlantKind, TableOut};
use crate::render::{DateForm, IntForm, V};
use crate::rng::SALT_CARE_PLANT;
use crate::tables::care::{Care, Cla, ended_cla};
use crate::tables::{child_cols, disability, dmy, not_a_date};
use crate::vocab::{
    LEGAL_STATUS, LOCATION_FORMS, PERMANENCE_PLAN, PLACEMENT_LOCATION, PLACEMENT_PROVIDER, PLACEMENT_TYPE,
    PRIMARY_NEED, REASON_CEASED, YNU,
};

pub(crate) fn write_cla(ctx: &Ctx, o: &mut TableOut, i: usize, c: &Child, care: &Care) -> io::Result<()> {
    let Some(cla) = &care.cla else {
        return Ok(());
    };
    let plant = o.planter.take(i, |_, _| true);
    let (plant, mut rng) = o.tonight(ctx, i, plant);
    let mut values = cla_values(c, cla);
    let Some((kind, v)) = plant else {
        o.write(&values)?;
        return Ok(());
    };
    let col = match kind {
        PlantKind::ClaReviewType => {
            values[12] = not_a_date(v);
            12
        }
        PlantKind::ClaLegalRequired => {
            values[11] = V::Empty;
            11
        }
        PlantKind::ClaLocationCodeForm => {
            values[26] = V::Text(LOCATION_FORMS[usize::from(!cla.local)][v % 2]);
            26
        }
        PlantKind::ClaR01 => {
            o.write(&values)?;
            // A child in no other table: an id number no child has, and a period of care that
            // has ended (so it is not also a looked-after child missing from children in need).
            let other = ctx.later_child(ctx.children + i, SALT_CARE_PLANT);
            let period = ended_cla(ctx, &other, &mut rng);
            let values = cla_values(&other, &period);
            o.plant(kind, &values, 0)?;
            return Ok(());
        }
        _ => unreachable!("{kind:?} is not a children in care problem"),
    };
    o.plant(kind, &values, col)?;
    Ok(())
}

fn cla_values<'a>(c: &Child, e: &'a Cla) -> [V<'a>; 34] {
    let [id, gender, ethnicity, dob, age] = child_cols(c, e.start);
    let code = |list: &'static [&'static str], k: u8| V::Text(list[k as usize]);
    let int = |n: i64| V::Int(n, IntForm::Plain);
    [
        id,
        gender,
        ethnicity,
        dob,
        age,
        code(&YNU, e.uasc),
        disability(c),
        V::Date(e.start, DateForm::Dmy),
        code(&PRIMARY_NEED, e.need),
        code(&YNU, e.subsequent),
        V::Date(e.legal_start, DateForm::Dmy),
        code(&LEGAL_STATUS, e.legal),
        dmy(e.review),
        V::Date(e.visit, DateForm::Dmy),
        e.permanence.map_or(V::Empty, |p| code(&PERMANENCE_PLAN, p)),
        dmy(e.iro),
        dmy(e.health),
        dmy(e.dental),
        int(e.placements),
        dmy(e.end.map(|(d, _)| d)),
        e.end.map_or(V::Empty, |(_, r)| code(&REASON_CEASED, r)),
        V::Date(e.place_start, DateForm::Dmy),
        code(&PLACEMENT_TYPE, e.place_type),
        code(&PLACEMENT_PROVIDER, e.provider),
        V::Text(&e.postcode),
        e.urn.as_deref().map_or(V::Empty, V::Text),
        V::Text(PLACEMENT_LOCATION[usize::from(!e.local)]),
        V::Text(e.la),
        int(e.missing),
        int(e.absent),
        e.interview.map_or(V::Empty, |(offered, _)| code(&YNU, offered)),
        e.interview
            .and_then(|(_, accepted)| accepted)
            .map_or(V::Empty, |a| code(&YNU, a)),
        V::Text(e.team),
        V::Text(e.worker),
    ]
}
