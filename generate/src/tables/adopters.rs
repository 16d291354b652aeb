//! `adopters.csv` (Annex A List 11): one row per prospective adopter (`NFA` + six digits), a
//! couple sharing a family id (`NFF` + five digits): first the families matched with a child
//! in `adoptions.csv` (their dates leading up to that child's matching, placement and adoption
//! order), then about eight families per 1,000 children still in the process, or who left it;
//! exported with a UTF-8 BOM and CRLF.

use std::io;

use crate::council::Ctx;
use crate::plants::{PlantKind, TableOut};
use crate::render::{DateForm, Day, IntForm, V};
use crate::rng::{Rng, SALT_ADOPTERS};
use crate::tables::care::family_id;
use crate::tables::{dmy, not_a_date};
use crate::vocab::{ETHNICITY, ETHNICITY_W, GENDER, LEFT_REASON, LEFT_W, NO, YES, YNU, YNU_FORMS};

/// A family matched with a child: the child's matching, placement and adoption order dates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Matched {
    pub(crate) family: u32,
    pub(crate) matched: Day,
    pub(crate) placed: Option<Day>,
    pub(crate) adopted: Option<Day>,
}

/// A family's journey through the process: enquiry, stage 1 start and end, stage 2 start and
/// end, application, approval, matched, placed and adoption order, each `None` from the first
/// stage not reached.
type Stages = [Option<Day>; 10];

/// The number of families still in the process (or who left it) beside `matched` ones.
pub(crate) fn families_in_process(children: usize) -> usize {
    (children * 8).div_ceil(1000)
}

pub(crate) fn write_adopters(ctx: &Ctx, o: &mut TableOut, matched: &[Matched]) -> io::Result<()> {
    let unmatched = families_in_process(ctx.children);
    let mut adopter = 0u64;
    for k in 0..matched.len() + unmatched {
        let mut rng = Rng::later(ctx.seed, k as u64, SALT_ADOPTERS);
        let (family, stages, left) = match matched.get(k) {
            Some(m) => (m.family, matched_stages(m, &mut rng), None),
            None => {
                let (stages, left) = open_stages(ctx, &mut rng);
                (k as u32, stages, left)
            }
        };
        let couple = rng.chance(650);
        let sexes: &[usize] = match (couple, rng.below(100)) {
            (true, 0..70) => &[0, 1],
            (true, 70..85) => &[1, 1],
            (true, _) => &[0, 0],
            (false, 0..80) => &[1],
            (false, _) => &[0],
        };
        let ffa = if rng.chance(150) { YES } else { NO };
        let family_text = format!("NFF{:05}", family_id(ctx.seed, family));
        let plant = o.planter.take(k, |_, _| true);
        let (plant, mut prng) = o.tonight(ctx, k, plant);
        let target = prng.below(sexes.len() as u64) as usize;
        for (a, &sex) in sexes.iter().enumerate() {
            let id = format!("NFA{:06}", 100_000 + (adopter * 104_729 + ctx.seed % 900_000) % 900_000);
            adopter += 1;
            let disabled = if rng.chance(40) { YES } else { NO };
            let mut values = [V::Empty; 19];
            values[0] = V::Text(&id);
            values[1] = V::Text(&family_text);
            values[2] = V::Text(GENDER[sex]);
            values[3] = V::Text(ETHNICITY[rng.weighted(&ETHNICITY_W)]);
            values[4] = V::Text(YNU[disabled as usize]);
            values[5] = V::Text(YNU[ffa as usize]);
            for (s, d) in stages.iter().enumerate() {
                let col = if s < 9 { 6 + s } else { 16 };
                values[col] = d.map_or(V::Empty, |d| V::Date(d, DateForm::Dmy));
            }
            if stages[8].is_some() {
                values[15] = V::Int(1, IntForm::Plain);
            }
            values[17] = dmy(left.map(|(d, _)| d));
            values[18] = left.map_or(V::Empty, |(_, r): (Day, u8)| V::Text(LEFT_REASON[r as usize]));
            let Some((kind, v)) = plant.filter(|_| a == target) else {
                o.write(&values)?;
                continue;
            };
            let col = match kind {
                PlantKind::AdpEnquiryType => {
                    values[6] = not_a_date(v);
                    6
                }
                PlantKind::AdpFfaRequired => {
                    values[5] = V::Empty;
                    5
                }
                PlantKind::AdpDisabilityCodeForm => {
                    values[4] = V::Text(YNU_FORMS[disabled as usize][v % 2]);
                    4
                }
                _ => unreachable!("{kind:?} is not an adopters problem"),
            };
            o.plant(kind, &values, col)?;
        }
    }
    Ok(())
}

/// A matched family's stages, counted back from the day they were matched.
fn matched_stages(m: &Matched, rng: &mut Rng) -> Stages {
    let approval = m.matched - 20 - rng.days(200);
    let application = approval - rng.days(30);
    let stage2_end = application - rng.days(10);
    let stage2_start = stage2_end - 60 - rng.days(60);
    let stage1_end = stage2_start - rng.days(30);
    let stage1_start = stage1_end - 40 - rng.days(30);
    let enquiry = stage1_start - rng.days(60);
    [
        Some(enquiry),
        Some(stage1_start),
        Some(stage1_end),
        Some(stage2_start),
        Some(stage2_end),
        Some(application),
        Some(approval),
        Some(m.matched),
        m.placed,
        m.adopted,
    ]
}

/// A family not (yet) matched: from an enquiry in the last three years, as far through the
/// stages up to approval as the extract date allows; a quarter leave the process.
fn open_stages(ctx: &Ctx, rng: &mut Rng) -> (Stages, Option<(Day, u8)>) {
    let mut stages: Stages = [None; 10];
    let mut day = ctx.as_of - rng.days(3 * 365);
    stages[0] = Some(day);
    let leave_after = rng.chance(250).then(|| rng.below(7) as usize);
    // Gaps before stage 1 start, stage 1 end, stage 2 start and end, application, approval.
    let gaps = [(0, 60), (40, 30), (0, 30), (60, 60), (0, 10), (0, 30)];
    for (s, (min, span)) in gaps.into_iter().enumerate() {
        if leave_after.is_some_and(|l| l <= s) {
            break;
        }
        let next = day + min + rng.days(span);
        if next > ctx.as_of {
            break;
        }
        day = next;
        stages[s + 1] = Some(day);
    }
    let left = leave_after
        .map(|_| day + 1 + rng.days(120))
        .filter(|&d| d <= ctx.as_of)
        .map(|d| (d, rng.weighted(&LEFT_W) as u8));
    (stages, left)
}
