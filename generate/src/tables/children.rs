//! `children.csv`: one row per child, with the children-table-only details (names, postcode,
//! NHS number), exported plainly (UTF-8, LF).

use std::io;

use crate::council::{Child, Ctx};
use crate::plants::{PlantKind, TableOut};
use crate::render::{DateForm, Forms, V, age_years};
use crate::rng::{Rng, SALT_CHILD, SALT_EXTRA_CHILD, SALT_PERSON, SALT_PLANT_ROWS};
use crate::tables::CHILDREN;
use crate::vocab::{
    ETHNICITY, FEMALE_FIRST, GENDER, GENDER_FORMS, GENDER_WORDS, MALE_FIRST, POSTCODE_LETTERS, SURNAMES,
};

/// Children-table-only details.
pub(crate) struct ChildDetails {
    pub(crate) first: &'static str,
    pub(crate) second: &'static str,
    pub(crate) surname: &'static str,
    pub(crate) postcode: [u8; 7],
    pub(crate) nhs: [u8; 10],
    pub(crate) nhs_spaced: bool,
    pub(crate) forms: Forms,
}

impl ChildDetails {
    pub(crate) fn new(rng: &mut Rng, sex: u8) -> Self {
        let names = match sex {
            0 => &MALE_FIRST,
            1 => &FEMALE_FIRST,
            _ if rng.chance(500) => &MALE_FIRST,
            _ => &FEMALE_FIRST,
        };
        let mut postcode = *b"NF0 0AA";
        postcode[2] = b'1' + rng.below(9) as u8;
        postcode[4] = b'0' + rng.below(10) as u8;
        postcode[5] = rng.pick(POSTCODE_LETTERS);
        postcode[6] = rng.pick(POSTCODE_LETTERS);
        // NHS test range: 999 + six digits + mod-11 check digit (10 means "invalid": redraw).
        let nhs = loop {
            let mut digits = [9u8; 10];
            for d in &mut digits[3..9] {
                *d = rng.below(10) as u8;
            }
            let sum: u32 = digits[..9]
                .iter()
                .enumerate()
                .map(|(i, &d)| u32::from(d) * (10 - i as u32))
                .sum();
            let check = (11 - sum % 11) % 11;
            if check < 10 {
                digits[9] = check as u8;
                break digits.map(|d| b'0' + d);
            }
        };
        ChildDetails {
            first: rng.pick(names),
            second: rng.pick(names),
            surname: rng.pick(&SURNAMES),
            postcode,
            nhs,
            nhs_spaced: rng.chance(850),
            forms: Forms::draw(rng),
        }
    }
}

pub(crate) fn write_child(ctx: &Ctx, o: &mut TableOut, i: usize, c: &Child) -> io::Result<()> {
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_PERSON);
    let p = ChildDetails::new(&mut rng, c.sex);
    let plant = o.planter.take(i, |k, _| k != PlantKind::Chi001 || i > 0);
    if !ctx.recorded(c.dob) {
        return Ok(());
    }
    let plant = plant.filter(|&(k, _)| ctx.live(i, CHILDREN, k));
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_PLANT_ROWS + CHILDREN as u64);

    let mut nhs_buf = [b' '; 12];
    let nhs = nhs_text(&p, &mut nhs_buf);
    let postcode = std::str::from_utf8(&p.postcode).expect("ASCII");
    let mut values = [
        V::Id(c.num),
        V::Text(p.first),
        V::Text(p.surname),
        V::Date(c.dob, p.forms.date(0)),
        V::Code(GENDER[c.sex as usize]),
        V::Code(ETHNICITY[c.eth as usize]),
        V::Code(postcode),
        V::Code(nhs),
    ];
    let Some((kind, v)) = plant else {
        o.write(&values)?;
        return Ok(());
    };
    let digits = std::str::from_utf8(&p.nhs).expect("ASCII");
    match kind {
        PlantKind::Chi001 => {
            o.write(&values)?;
            // A different child, given the id of one a little earlier in the file.
            let other = ctx.child(ctx.children + i, SALT_EXTRA_CHILD);
            let mut rng = Rng::stream(ctx.seed, i as u64, SALT_EXTRA_CHILD + 1);
            let q = ChildDetails::new(&mut rng, other.sex);
            let j = i - 1 - rng.below(i.min(50) as u64) as usize;
            // Never an exact copy of child j's row (that would be CHI-007).
            let same = ctx.child(j, SALT_CHILD).dob;
            let dob = match other.dob {
                d if d != same => d,
                d if d > ctx.dob_min => d - 1,
                d => d + 1,
            };
            // Neither child born yet on this night: no child to take the id of, or to take it.
            if !(ctx.recorded(dob) && ctx.recorded(same)) {
                return Ok(());
            }
            let mut nhs_buf = [b' '; 12];
            let nhs = nhs_text(&q, &mut nhs_buf);
            let postcode = std::str::from_utf8(&q.postcode).expect("ASCII");
            let values = [
                V::Id(ctx.id_num(j)),
                V::Text(q.first),
                V::Text(q.surname),
                V::Date(dob, DateForm::Dmy),
                V::Code(GENDER[other.sex as usize]),
                V::Code(ETHNICITY[other.eth as usize]),
                V::Code(postcode),
                V::Code(nhs),
            ];
            o.plant(kind, &values, 0)?;
            o.odd_dobs.push((j, false, Some(dob)));
        }
        PlantKind::Chi007 => o.plant_copy(kind, &values)?,
        PlantKind::Chi002 => {
            let dob = ctx.as_of + 365 + rng.days(731);
            values[3] = V::Date(dob, DateForm::Dmy);
            o.plant(kind, &values, 3)?;
            o.odd_dobs.push((i, true, Some(dob)));
        }
        PlantKind::Chi003 => {
            let dob = loop {
                let dob = ctx.as_of - 26 * 366 - rng.days(14 * 365);
                if (26..=40).contains(&age_years(dob, ctx.as_of)) {
                    break dob;
                }
            };
            values[3] = V::Date(dob, DateForm::Dmy);
            // Drawn 26 or more years before the last night: maybe 25 on an earlier one.
            let kind = if age_years(dob, ctx.night) > 25 {
                kind
            } else {
                PlantKind::Chi003NotYet
            };
            o.plant(kind, &values, 3)?;
            o.odd_dobs.push((i, true, Some(dob)));
        }
        PlantKind::Chi004 => {
            let bad = match v % 3 {
                0 => format!("{} {} {}", &digits[..3], &digits[3..6], &digits[6..9]),
                1 => format!("{}-{}-{}", &digits[..3], &digits[3..6], &digits[6..]),
                _ => format!("{digits}{}", digits.as_bytes()[4] as char),
            };
            values[7] = V::Text(&bad);
            o.plant(kind, &values, 7)?;
        }
        PlantKind::Chi005 => {
            let (out, inward) = (&postcode[..3], &postcode[4..]);
            let bad = match v % 3 {
                0 => format!("{out} {}", &inward[..2]),
                1 => format!("{out}{} {}", &inward[..1], &inward[1..]),
                _ => format!("{out} {}{}{}", &inward[1..2], &inward[..1], &inward[2..]),
            };
            values[6] = V::Text(&bad);
            o.plant(kind, &values, 6)?;
        }
        PlantKind::Chi006 => {
            let (bad, col) = match v % 3 {
                0 => (format!(" {}", p.first), 1),
                1 => (format!("{} ", p.surname), 2),
                _ => (format!("{}  {}", p.first, p.second), 1),
            };
            values[col] = V::Text(&bad);
            let line = o.plant(kind, &values, col)?;
            o.fixed(PlantKind::FixChiNames, line, &values, col);
        }
        PlantKind::ChiDobType => {
            values[3] = V::Text(["31/02/2015", "2015-13-01", "12th May 2014"][v % 3]);
            o.plant(kind, &values, 3)?;
            o.odd_dobs.push((i, true, None));
        }
        PlantKind::ChiDobRequired => {
            values[3] = V::Empty;
            o.plant(kind, &values, 3)?;
            o.odd_dobs.push((i, true, None));
        }
        PlantKind::ChiSexType => {
            values[4] = V::Text(["Monkey", "X"][v % 2]);
            o.plant(kind, &values, 4)?;
        }
        PlantKind::ChiSexCodeForm | PlantKind::ChiSexWording => {
            let forms = if kind == PlantKind::ChiSexCodeForm {
                &GENDER_FORMS
            } else {
                &GENDER_WORDS
            };
            values[4] = V::Text(forms[c.sex as usize][v % 3]);
            let line = o.plant(kind, &values, 4)?;
            o.fixed(PlantKind::FixChiSex, line, &values, 4);
        }
        _ => unreachable!("{kind:?} is not a children problem"),
    }
    Ok(())
}

fn nhs_text<'a>(p: &ChildDetails, buf: &'a mut [u8; 12]) -> &'a str {
    let len = if p.nhs_spaced {
        buf[..3].copy_from_slice(&p.nhs[..3]);
        buf[4..7].copy_from_slice(&p.nhs[3..6]);
        buf[8..].copy_from_slice(&p.nhs[6..]);
        12
    } else {
        buf[..10].copy_from_slice(&p.nhs);
        10
    };
    std::str::from_utf8(&buf[..len]).expect("ASCII")
}
