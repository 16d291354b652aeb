//! `referrals.csv` (Annex A List 3): referrals that follow some contacts, exported in
//! Windows-1252 with CRLF and an extra column the rule pack does not declare.

use std::io;

use crate::council::{Child, Ctx};
use crate::plants::{PlantKind, TableOut, TruthCheck};
use crate::render::{Day, Forms, IntForm, V};
use crate::rng::{Rng, SALT_REFERRALS};
use crate::tables::contacts::Contact;
use crate::tables::{before_birth, event_row, move_event};
use crate::vocab::{NO, PASTED_NOTES, REFERRAL_TEAMS, SOURCE, SOURCE_W, WORKERS, YES, YNU, other_worker};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Referral {
    pub(crate) date: Day,
    source: u8,
    nfa: u8,
    count: i64,
    team: &'static str,
    worker: &'static str,
    pub(crate) assessed: bool,
    forms: Forms,
}

pub(crate) fn gen_referrals(ctx: &Ctx, i: usize, c: &Child, contacts: &[Contact], out: &mut Vec<Referral>) {
    out.clear();
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_REFERRALS);
    for e in contacts {
        if !rng.chance(500) {
            continue;
        }
        let date = (e.date + rng.days(8)).min(ctx.as_of);
        if out.iter().any(|r| r.date == date) {
            continue;
        }
        let assessed = rng.chance(700);
        let worker = if rng.chance(800) {
            c.worker as usize
        } else {
            rng.below(WORKERS.len() as u64) as usize
        };
        out.push(Referral {
            date,
            source: if rng.chance(800) {
                e.source
            } else {
                rng.weighted(&SOURCE_W) as u8
            },
            nfa: if assessed || rng.chance(50) { NO } else { YES },
            count: 0,
            team: REFERRAL_TEAMS[rng.below(REFERRAL_TEAMS.len() as u64) as usize],
            worker: WORKERS[worker],
            assessed,
            forms: Forms::draw(&mut rng),
        });
    }
    out.sort_unstable_by_key(|r| r.date);
    // The count includes the referral itself.
    for j in 0..out.len() {
        let d = out[j].date;
        out[j].count = out.iter().filter(|r| r.date <= d && r.date > d - 365).count() as i64;
    }
}

pub(crate) fn write_referrals(
    ctx: &Ctx,
    o: &mut TableOut,
    i: usize,
    c: &Child,
    referrals: &[Referral],
) -> io::Result<()> {
    if referrals.is_empty() {
        return Ok(());
    }
    let plant = o.planter.take(i, |k, _| {
        k != PlantKind::Ref006 || ctx.mistyped_id(i, &o.invented).is_some()
    });
    // The slip is made up when the problem is handed out, so every night gives it the same id.
    let typo = plant.filter(|&(k, _)| k == PlantKind::Ref006).map(|_| {
        let typo = ctx.mistyped_id(i, &o.invented).expect("checked when taken");
        o.invented.push(typo);
        typo
    });
    let (plant, mut rng) = o.tonight(ctx, i, plant);
    let target = plant.map(|(k, _)| match k {
        PlantKind::Ref002 => 0,
        PlantKind::Ref001 => referrals.len() - 1,
        _ => rng.below(referrals.len() as u64) as usize,
    });
    for (r, e) in referrals.iter().enumerate() {
        if !ctx.recorded(e.date) {
            break;
        }
        let f = e.forms;
        let event = [
            V::Date(e.date, f.date(1)),
            V::Code(SOURCE[e.source as usize]),
            V::Code(YNU[e.nfa as usize]),
            V::Int(e.count, f.int(1)),
            V::Text(e.team),
            V::Text(e.worker),
            V::Code("NFD"),
        ];
        let mut values: [V; 12] = event_row(c, f, e.date, &event);
        let Some((kind, v)) = plant.filter(|_| target == Some(r)) else {
            o.write(&values)?;
            continue;
        };
        match kind {
            PlantKind::Ref001 => {
                move_event(&mut values, c, 5, ctx.as_of + 1 + rng.days(200));
                o.plant(kind, &values, 5)?;
            }
            PlantKind::Ref002 => {
                before_birth(&mut values, c, &mut rng);
                o.plant(kind, &values, 5)?;
            }
            PlantKind::Ref003 => {
                values[8] = V::Int([0, 99][v % 2], IntForm::Plain);
                o.plant(kind, &values, 8)?;
            }
            PlantKind::Ref004 => {
                let mut again = values;
                again[6] = V::Code(SOURCE[(e.source as usize + 1 + rng.below(20) as usize) % SOURCE.len()]);
                again[10] = V::Text(other_worker(e.worker, 1));
                o.plant_same_key(kind, &values, &again)?;
            }
            PlantKind::Ref005 => {
                values[10] = V::Text(PASTED_NOTES[v % 2]);
                o.plant(kind, &values, 10)?;
            }
            PlantKind::Ref006 => {
                values[0] = V::Id(typo.expect("made up when taken"));
                o.plant(kind, &values, 0)?;
            }
            PlantKind::RefCountType => {
                values[8] = V::Text(["three", "2.5"][v % 2]);
                o.plant(kind, &values, 8)?;
            }
            PlantKind::RefNfaType => {
                values[7] = V::Text("Maybe");
                o.plant(kind, &values, 7)?;
            }
            PlantKind::RefTeamRequired => {
                values[9] = V::Empty;
                o.plant(kind, &values, 9)?;
            }
            PlantKind::RefRagged => {
                // "Surname, Forename" typed without quotes: one field too many.
                let (first, last) = e.worker.split_once(' ').unwrap_or((e.worker, "Smith"));
                let bad = format!("{last}, {first}");
                values[10] = V::Verbatim(&bad);
                o.plant_checked(kind, &values, TruthCheck::Ragged)?;
            }
            PlantKind::RefCountForm => {
                values[8] = V::Int(e.count, [IntForm::PointZero, IntForm::Padded][v % 2]);
                o.plant(kind, &values, 8)?;
            }
            _ => unreachable!("{kind:?} is not a referrals problem"),
        }
    }
    Ok(())
}
