//! `children.csv`: one row per child, with the children-table-only details (names, postcode,
//! NHS number), exported plainly (UTF-8, LF).

use std::io;

use crate::council::{Child, Ctx};
use crate::ids::nhs_check_digit;
use crate::plants::{PlantKind, TableOut};
use crate::render::{DateForm, Forms, V, age_years};
use crate::rng::{Rng, SALT_CHILD, SALT_CHILD_DETAILS, SALT_EXTRA_CHILD};
use crate::vocab::{ETHNICITY, FEMALE_FIRST, GENDER, MALE_FIRST, POSTCODE_LETTERS, SURNAMES, miswritten_gender};

/// Children-table-only details.
struct ChildDetails {
    first: &'static str,
    second: &'static str,
    surname: &'static str,
    postcode: [u8; 7],
    nhs: [u8; 10],
    nhs_spaced: bool,
    forms: Forms,
}

impl ChildDetails {
    fn new(rng: &mut Rng, sex: u8) -> Self {
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
        // NHS test range: 999 + six digits + mod-11 check digit (none for some: redraw).
        let nhs = loop {
            let mut digits = [9u32; 10];
            for d in &mut digits[3..9] {
                *d = rng.below(10) as u32;
            }
            if let Some(check) = nhs_check_digit(&digits[..9]) {
                digits[9] = check;
                break digits.map(|d| b'0' + d as u8);
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
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_CHILD_DETAILS);
    let p = ChildDetails::new(&mut rng, c.sex);
    let plant = o.planter.take(i, |k, _| k != PlantKind::Chi001 || i > 0);
    if !ctx.recorded(c.dob) {
        return Ok(());
    }
    let (plant, mut rng) = o.tonight(ctx, i, plant);
    let mut nhs_buf = [b' '; 12];
    let mut values = p.row(c, c.num, V::Date(c.dob, p.forms.date(0)), &mut nhs_buf);
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
            let values = q.row(&other, ctx.id_num(j), V::Date(dob, DateForm::Dmy), &mut nhs_buf);
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
            let postcode = p.postcode_text();
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
            o.plant_fixed(kind, PlantKind::FixChiNames, &values, col)?;
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
            values[4] = V::Text(miswritten_gender(c.sex, kind == PlantKind::ChiSexWording, v));
            o.plant_fixed(kind, PlantKind::FixChiSex, &values, 4)?;
        }
        _ => unreachable!("{kind:?} is not a children problem"),
    }
    Ok(())
}

impl ChildDetails {
    /// The row of a child `c` (gender and ethnicity) with id number `num`, these details and
    /// date of birth `dob`; `nhs_buf` holds the NHS number as written.
    fn row<'a>(&'a self, c: &Child, num: u32, dob: V<'a>, nhs_buf: &'a mut [u8; 12]) -> [V<'a>; 8] {
        [
            V::Id(num),
            V::Text(self.first),
            V::Text(self.surname),
            dob,
            V::Code(GENDER[c.sex as usize]),
            V::Code(ETHNICITY[c.eth as usize]),
            V::Code(self.postcode_text()),
            V::Code(self.nhs_text(nhs_buf)),
        ]
    }

    fn postcode_text(&self) -> &str {
        std::str::from_utf8(&self.postcode).expect("ASCII")
    }

    /// The NHS number as this child's record writes it (`999 123 4567`, or without spaces).
    fn nhs_text<'a>(&self, buf: &'a mut [u8; 12]) -> &'a str {
        let len = if self.nhs_spaced {
            buf[..3].copy_from_slice(&self.nhs[..3]);
            buf[4..7].copy_from_slice(&self.nhs[3..6]);
            buf[8..].copy_from_slice(&self.nhs[6..]);
            12
        } else {
            buf[..10].copy_from_slice(&self.nhs);
            10
        };
        std::str::from_utf8(&buf[..len]).expect("ASCII")
    }
}
