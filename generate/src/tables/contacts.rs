//! `contacts.csv` (Annex A List 1): each child's contacts, exported in UTF-8 with a BOM.

use std::io;

use chrono::{Datelike, NaiveDate};

use crate::council::{Child, Ctx};
use crate::plants::{PlantKind, TableOut};
use crate::render::{ALT_FORMS, DateForm, Day, Forms, IntForm, V, age_years, day, nd, rendered};
use crate::rng::{Rng, SALT_CONTACTS};
use crate::tables::{before_birth, event_row, move_event};
use crate::vocab::{GENDER, SOURCE, SOURCE_W, miswritten_gender};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Contact {
    pub(crate) date: Day,
    pub(crate) source: u8,
    forms: Forms,
}

pub(crate) fn gen_contacts(ctx: &Ctx, i: usize, c: &Child, out: &mut Vec<Contact>) {
    out.clear();
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_CONTACTS);
    let lo = c.dob.max(ctx.earliest);
    let span = ctx.as_of - lo + 1;
    let k = (1 + rng.below(5) as usize).min(span as usize);
    while out.len() < k {
        let date = lo + rng.days(span);
        if out.iter().all(|e| e.date != date) {
            out.push(Contact {
                date,
                source: rng.weighted(&SOURCE_W) as u8,
                forms: Forms::draw(&mut rng),
            });
        }
    }
    out.sort_unstable_by_key(|e| e.date);
}

/// A 28 Feb or 1 Mar (by variant) in a non-leap year on which a 29-Feb child can have a clean
/// contact that no other contact of theirs already uses.
fn leap_contact_date(ctx: &Ctx, c: &Child, contacts: &[Contact], variant: usize) -> Option<Day> {
    let dob = nd(c.dob);
    if (dob.month(), dob.day()) != (2, 29) {
        return None;
    }
    let lo = (c.dob + 1).max(ctx.earliest);
    (dob.year() + 1..=nd(ctx.as_of).year())
        .rev()
        .filter(|&y| NaiveDate::from_ymd_opt(y, 2, 29).is_none())
        .filter_map(|y| {
            let (m, d) = if variant.is_multiple_of(2) { (2, 28) } else { (3, 1) };
            NaiveDate::from_ymd_opt(y, m, d).map(day)
        })
        .find(|&d| (lo..=ctx.as_of).contains(&d) && contacts[1..].iter().all(|e| e.date != d))
}

pub(crate) fn write_contacts(ctx: &Ctx, o: &mut TableOut, i: usize, c: &Child, contacts: &[Contact]) -> io::Result<()> {
    let plant = o.planter.take(i, |k, v| match k {
        PlantKind::Con002 => c.dob >= ctx.earliest + 31,
        PlantKind::Con004 => c.dob <= ctx.ten_years_ago,
        PlantKind::ConLeapDay => leap_contact_date(ctx, c, contacts, v).is_some(),
        // The odd one out needs other contacts to differ from.
        PlantKind::Con009 | PlantKind::Con010 => contacts.len() >= 2,
        _ => true,
    });
    let (plant, mut rng) = o.tonight(ctx, i, plant);
    let target = plant.map(|(k, _)| match k {
        PlantKind::Con002 | PlantKind::Con004 | PlantKind::ConLeapDay => 0,
        PlantKind::Con001 => contacts.len() - 1,
        // Not the first: with two contacts, the first one's value is the usual one.
        PlantKind::Con009 | PlantKind::Con010 => 1 + rng.below(contacts.len() as u64 - 1) as usize,
        _ => rng.below(contacts.len() as u64) as usize,
    });
    for (r, e) in contacts.iter().enumerate() {
        if !ctx.recorded(e.date) {
            break;
        }
        let f = e.forms;
        let event = [V::Date(e.date, f.date(1)), V::Code(SOURCE[e.source as usize])];
        let mut values: [V; 7] = event_row(c, f, e.date, &event);
        let Some((kind, v)) = plant.filter(|_| target == Some(r)) else {
            o.write(&values)?;
            continue;
        };
        match kind {
            PlantKind::Con001 => {
                move_event(&mut values, c, 5, ctx.as_of + 1 + rng.days(365));
                o.plant(kind, &values, 5)?;
            }
            PlantKind::Con002 => {
                before_birth(&mut values, c, &mut rng);
                o.plant(kind, &values, 5)?;
            }
            PlantKind::Con003 => {
                let age = age_years(c.dob, e.date);
                let wrong = if v % 2 == 1 && age > 0 {
                    age - 1
                } else {
                    age + 1 + rng.below(2) as i64
                };
                values[4] = V::Int(wrong, IntForm::Plain);
                o.plant_fixed(kind, PlantKind::FixConAge, &values, 4)?;
            }
            PlantKind::Con004 => {
                move_event(&mut values, c, 5, ctx.seven_years_ago - 1 - rng.days(700));
                o.plant(kind, &values, 5)?;
            }
            PlantKind::Con005 => {
                // Same key, but not the same record: Cleanse compares typed
                // values, so a copy differing only in date format would be an
                // exact duplicate (CON-006). Blank another value as well.
                let mut again = values;
                let form = f.date(1);
                if v.is_multiple_of(2) {
                    let other = if form == DateForm::Iso {
                        DateForm::DayMonYear
                    } else {
                        DateForm::Iso
                    };
                    again[5] = V::Date(e.date, other);
                }
                if matches!(values[4], V::Empty) {
                    again[2] = V::Empty;
                } else {
                    again[4] = V::Empty;
                }
                o.plant_same_key(kind, &values, &again)?;
            }
            PlantKind::Con006 => o.plant_copy(kind, &values)?,
            PlantKind::Con009 => {
                // A mistyped year or day, earlier than the real one (so still before the
                // contact), with the age worked out from it.
                let dob = nd(c.dob);
                let wrong = if v.is_multiple_of(2) {
                    dob.with_year(dob.year() - 1)
                        .unwrap_or_else(|| dob - chrono::Days::new(366))
                } else {
                    dob - chrono::Days::new(1 + rng.below(27))
                };
                if !matches!(values[4], V::Empty) {
                    values[4] = V::Int(age_years(day(wrong), e.date), IntForm::Plain);
                }
                values[3] = V::Date(day(wrong), DateForm::Dmy);
                o.plant(kind, &values, 3)?;
            }
            PlantKind::Con010 => {
                let other = match c.sex {
                    0 => 1,
                    _ => 0,
                };
                values[1] = V::Code(GENDER[other]);
                o.plant(kind, &values, 1)?;
            }
            PlantKind::Con007 => {
                let id = rendered(&values[0]);
                let bad = if v.is_multiple_of(2) {
                    format!(" {id}")
                } else {
                    format!("{id} ")
                };
                values[0] = V::Text(&bad);
                o.plant_fixed(kind, PlantKind::FixConId, &values, 0)?;
            }
            PlantKind::ConDateType => {
                values[5] = V::Text(["32/01/2025", "2025/02/30", "next week"][v % 3]);
                o.plant(kind, &values, 5)?;
            }
            PlantKind::ConDateRequired => {
                values[5] = V::Empty;
                o.plant(kind, &values, 5)?;
            }
            PlantKind::ConSourceType => {
                values[6] = V::Text(["Zebra", "99: Unknown"][v % 2]);
                o.plant(kind, &values, 6)?;
            }
            PlantKind::ConGenderCodeForm | PlantKind::ConGenderWording => {
                values[1] = V::Text(miswritten_gender(c.sex, kind == PlantKind::ConGenderWording, v));
                o.plant_fixed(kind, PlantKind::FixConGender, &values, 1)?;
            }
            PlantKind::ConDobType | PlantKind::ConDobMissing => {
                if kind == PlantKind::ConDobType {
                    values[3] = V::Text(["00/00/0000", "31/09/2016", "tbc"][v % 3]);
                } else {
                    values[3] = V::Empty;
                    values[4] = V::Empty;
                }
                let line = o.plant(kind, &values, 3)?;
                o.fill_later(i, line, &values, 3);
            }
            PlantKind::ConEthnicityRequired => {
                values[2] = V::Empty;
                o.plant(kind, &values, 2)?;
            }
            PlantKind::ConAltDate => {
                values[5] = V::Date(e.date, ALT_FORMS[v % 4]);
                o.plant(kind, &values, 5)?;
            }
            PlantKind::ConLeapDay => {
                let d = leap_contact_date(ctx, c, contacts, v).expect("checked when taken");
                if !ctx.recorded(d) {
                    o.write(&values)?;
                    continue;
                }
                move_event(&mut values, c, 5, d);
                o.plant(kind, &values, 4)?;
            }
            _ => unreachable!("{kind:?} is not a contacts problem"),
        }
    }
    Ok(())
}
