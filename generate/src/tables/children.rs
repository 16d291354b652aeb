//! `children.csv`: one row per child, with the children-table-only details (names, postcode,
//! NHS number), exported plainly (UTF-8, LF).

use std::io;

use crate::council::{Child, Ctx};
use crate::ids::nhs_check_digit;
use crate::people::copies::swap_day_month;
use crate::people::names::{Text, alternatives_of};
use crate::plants::{PlantKind, TableOut};
use crate::render::{DateForm, Day, Forms, V, age_years};
use crate::rng::{Rng, SALT_CHILD, SALT_CHILD_DETAILS, SALT_EXTRA_CHILD, SALT_SAME_PERSON};
use crate::tables::CHILDREN;
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

/// Write child `i`'s row (and its planted problem, if any), then any further record of an
/// earlier child (a duplicate person or a twin) due after it.
pub(crate) fn write_child(ctx: &Ctx, o: &mut TableOut, i: usize, c: &Child) -> io::Result<()> {
    let planted = write_own(ctx, o, i, c)?;
    // Another record of a child whose own row is clean, written a few rows later.
    let other = o
        .people
        .take(i, |k, v| !planted && another_record(ctx, i, c, k, v).is_some());
    if let Some((kind, v)) = other {
        let mut rng = Rng::stream(ctx.seed, i as u64, SALT_SAME_PERSON);
        let due = i + 1 + rng.below(40) as usize;
        o.pending.push((due, i, kind, v));
    }
    write_due(ctx, o, i)
}

/// Write the further records still waiting once every child is written.
pub(crate) fn write_pending(ctx: &Ctx, o: &mut TableOut) -> io::Result<()> {
    write_due(ctx, o, usize::MAX)
}

/// Write the further records due after child `upto`, in the order they were handed out.
fn write_due(ctx: &Ctx, o: &mut TableOut, upto: usize) -> io::Result<()> {
    while let Some(pos) = o.pending.iter().position(|p| p.0 <= upto) {
        let (_, j, kind, v) = o.pending.remove(pos);
        let c = ctx.child(j, SALT_CHILD);
        let Some(r) = another_record(ctx, j, &c, kind, v) else {
            continue;
        };
        // Both records are in tonight's export, and the duplicate is open tonight.
        if !(ctx.recorded(c.dob) && ctx.recorded(r.dob) && ctx.live(j, CHILDREN, kind)) {
            continue;
        }
        let mut nhs_buf = [b' '; 12];
        let values = r.row(&mut nhs_buf);
        o.plant(kind, &values, 0)?;
    }
    Ok(())
}

/// Child `i`'s own row, with the problem the schedule hands it; `true` if it handed one.
fn write_own(ctx: &Ctx, o: &mut TableOut, i: usize, c: &Child) -> io::Result<bool> {
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_CHILD_DETAILS);
    let p = ChildDetails::new(&mut rng, c.sex);
    let plant = o.planter.take(i, |k, _| k != PlantKind::Chi001 || i > 0);
    let planted = plant.is_some();
    if !ctx.recorded(c.dob) {
        return Ok(planted);
    }
    let (plant, mut rng) = o.tonight(ctx, i, plant);
    let mut nhs_buf = [b' '; 12];
    let mut values = p.row(c, c.num, V::Date(c.dob, p.forms.date(0)), &mut nhs_buf);
    let Some((kind, v)) = plant else {
        o.write(&values)?;
        return Ok(planted);
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
                return Ok(planted);
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
    Ok(planted)
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

// ---- duplicate people -------------------------------------------------------------------

/// What a duplicate record changes (bits): the first name for a nickname or with a slip, a
/// slip in the surname, day and month of birth swapped, the NHS number or postcode left out,
/// or a record made before birth (`Baby`, the expected date of birth, no NHS number).
const NICKNAME: u8 = 1;
const FIRST_TYPO: u8 = 2;
const SURNAME_TYPO: u8 = 4;
const DAY_MONTH: u8 = 8;
const NO_NHS: u8 = 16;
const NO_POSTCODE: u8 = 32;
const PREBIRTH: u8 = 64;

/// The changes of duplicate `v` (one pre-birth record, the fifth; the rest cycle).
fn changes(v: usize) -> u8 {
    const CYCLE: [u8; 12] = [
        NICKNAME,
        SURNAME_TYPO | NO_NHS,
        DAY_MONTH,
        FIRST_TYPO | NO_POSTCODE,
        PREBIRTH,
        NICKNAME | NO_NHS,
        SURNAME_TYPO,
        DAY_MONTH | NO_NHS,
        NICKNAME | NO_POSTCODE,
        FIRST_TYPO,
        DAY_MONTH,
        NO_NHS,
    ];
    match v {
        4 => PREBIRTH,
        _ if v % 12 == 4 => NICKNAME,
        _ => CYCLE[v % 12],
    }
}

/// Another record of a child, or of its twin, under a new id.
struct OtherRecord {
    num: u32,
    sex: u8,
    eth: u8,
    first: Text,
    surname: Text,
    dob: Day,
    /// The postcode and NHS number as `d` holds them (`d`'s names are not used).
    d: ChildDetails,
    postcode: bool,
    nhs: bool,
}

impl OtherRecord {
    fn row<'a>(&'a self, nhs_buf: &'a mut [u8; 12]) -> [V<'a>; 8] {
        [
            V::Id(self.num),
            V::Text(self.first.as_str()),
            V::Text(self.surname.as_str()),
            V::Date(self.dob, DateForm::Dmy),
            V::Code(GENDER[self.sex as usize]),
            V::Code(ETHNICITY[self.eth as usize]),
            if self.postcode {
                V::Code(self.d.postcode_text())
            } else {
                V::Empty
            },
            if self.nhs {
                V::Code(self.d.nhs_text(nhs_buf))
            } else {
                V::Empty
            },
        ]
    }
}

/// Child `i`'s further record for plant `kind` (variant `v`): a duplicate
/// ([`PlantKind::ChiSamePerson`], with [`changes`]`(v)` made with the person generator's
/// helpers) or a twin ([`PlantKind::ChiTwin`]: same surname, date of birth, postcode and
/// ethnicity; another first name, not a form of the child's, and another NHS number). `None`
/// if this child cannot have it (no nickname for the name, a day and month that do not swap
/// into a date on or before the extract date, no spare id). The same every time it is asked.
fn another_record(ctx: &Ctx, i: usize, c: &Child, kind: PlantKind, v: usize) -> Option<OtherRecord> {
    let num = ctx.spare_id(2 * v + usize::from(kind == PlantKind::ChiTwin))?;
    let p = ChildDetails::new(&mut Rng::stream(ctx.seed, i as u64, SALT_CHILD_DETAILS), c.sex);
    let mut rec = OtherRecord {
        num,
        sex: c.sex,
        eth: c.eth,
        first: Text::of(p.first),
        surname: Text::of(p.surname),
        dob: c.dob,
        d: p,
        postcode: true,
        nhs: true,
    };
    if kind == PlantKind::ChiTwin {
        let mut rng = Rng::stream(ctx.seed, i as u64, SALT_SAME_PERSON + 1);
        let own = rec.d.first;
        let forms = alternatives_of(own);
        let twin = loop {
            let sex = if rng.chance(500) { 0 } else { 1 };
            let t = ChildDetails::new(&mut rng, sex);
            if t.first != own && !forms.contains(&t.first) && t.nhs != rec.d.nhs {
                break (sex, t);
            }
        };
        let (sex, mut t) = twin;
        t.postcode = rec.d.postcode;
        rec.sex = sex;
        rec.first = Text::of(t.first);
        rec.d = t;
        return Some(rec);
    }
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_SAME_PERSON);
    let change = changes(v);
    if change & PREBIRTH != 0 {
        // Made before birth: the expected date up to three weeks before the birth.
        rec.first = Text::of("Baby");
        rec.dob = c.dob - rng.days(22);
        rec.nhs = false;
        return Some(rec);
    }
    if change & NICKNAME != 0 {
        let forms = alternatives_of(rec.d.first);
        if forms.is_empty() {
            return None;
        }
        rec.first = Text::of(rng.pick(forms));
    }
    if change & FIRST_TYPO != 0 && !rec.first.typo(&mut rng) {
        return None;
    }
    if change & SURNAME_TYPO != 0 && !rec.surname.typo(&mut rng) {
        return None;
    }
    if change & DAY_MONTH != 0 {
        rec.dob = swap_day_month(c.dob).filter(|&d| d != c.dob && d <= ctx.as_of)?;
    }
    rec.nhs = change & NO_NHS == 0;
    rec.postcode = change & NO_POSTCODE == 0;
    Some(rec)
}
