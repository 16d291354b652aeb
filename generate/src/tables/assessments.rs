//! `assessments.csv` (Annex A List 4): assessments that follow some referrals, exported with
//! CRLF, one team name holding a line break inside its quotes.

use std::io;

use crate::council::{Child, Ctx};
use crate::plants::{PlantKind, TableOut, TruthCheck};
use crate::render::{DateForm, Day, Forms, V};
use crate::rng::{Rng, SALT_ASSESSMENTS};
use crate::tables::referrals::Referral;
use crate::tables::{event_row, move_event};
use crate::vocab::{ASSESSMENT_TEAMS, MULTILINE_TEAM, NO, WORKERS, YES, YNU, other_worker};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Assessment {
    pub(crate) start: Day,
    pub(crate) auth: Option<Day>,
    pub(crate) seen: u8,
    pub(crate) team: &'static str,
    pub(crate) worker: &'static str,
    pub(crate) forms: Forms,
}

pub(crate) fn gen_assessments(ctx: &Ctx, i: usize, c: &Child, referrals: &[Referral], out: &mut Vec<Assessment>) {
    out.clear();
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_ASSESSMENTS);
    for r in referrals.iter().filter(|r| r.assessed) {
        let start = (r.date + rng.days(11)).min(ctx.as_of);
        if out.iter().any(|a| a.start == start) {
            continue;
        }
        // Authorised 5–44 days after the start; blank only if it started within 40 days of
        // as_of (ASS-004 asks for a date once 45 days have passed).
        let auth = start + 5 + rng.days(40);
        let recent = start >= ctx.as_of - 40;
        let auth = if auth <= ctx.as_of && !(recent && rng.chance(300)) {
            Some(auth)
        } else if recent {
            None
        } else {
            Some(start + 5 + rng.days(ctx.as_of - start - 4))
        };
        let team = ASSESSMENT_TEAMS[(c.worker as usize + rng.below(2) as usize) % ASSESSMENT_TEAMS.len()];
        out.push(Assessment {
            start,
            auth,
            seen: match rng.below(20) {
                18 => NO,
                19 => 2,
                _ => YES,
            },
            team,
            worker: WORKERS[c.worker as usize],
            forms: Forms::draw(&mut rng),
        });
    }
    out.sort_unstable_by_key(|a| a.start);
}

/// Was the child assessed as needing support ("Yes" once the assessment is authorised)?
pub(crate) fn needs_support(a: &Assessment) -> bool {
    a.seen == YES && a.forms.bits(6) < 300
}

pub(crate) fn write_assessments(
    ctx: &Ctx,
    o: &mut TableOut,
    i: usize,
    c: &Child,
    assessments: &[Assessment],
) -> io::Result<()> {
    if assessments.is_empty() {
        return Ok(());
    }
    let old = |a: &Assessment| a.start < ctx.as_of - 60;
    let plant = o
        .planter
        .take(i, |k, _| k != PlantKind::Ass004 || assessments.iter().any(old));
    let (plant, mut rng) = o.tonight(ctx, i, plant);
    let target = plant.map(|(k, _)| match k {
        PlantKind::Ass004 => assessments.iter().position(old).unwrap_or(0),
        _ => rng.below(assessments.len() as u64) as usize,
    });
    for (r, e) in assessments.iter().enumerate() {
        let Some(e) = ctx.assessment_tonight(e) else {
            break;
        };
        let f = e.forms;
        let further = match e.auth {
            Some(_) if needs_support(&e) => V::Text("Yes"),
            Some(_) => V::Text("No"),
            None => V::Empty,
        };
        let event = [
            V::Code(YNU[c.disability as usize]),
            V::Date(e.start, f.date(1)),
            V::Code(YNU[e.seen as usize]),
            e.auth.map_or(V::Empty, |d| V::Date(d, f.date(2))),
            further,
            V::Text(e.team),
            V::Text(e.worker),
        ];
        let mut values: [V; 12] = event_row(c, f, e.start, &event);
        let Some((kind, v)) = plant.filter(|_| target == Some(r)) else {
            o.write(&values)?;
            continue;
        };
        match kind {
            PlantKind::Ass001 if v.is_multiple_of(2) => {
                values[8] = V::Date(ctx.as_of + 1 + rng.days(30), DateForm::Dmy);
                o.plant(kind, &values, 8)?;
            }
            PlantKind::Ass001 => {
                move_event(&mut values, c, 6, ctx.as_of + 1 + rng.days(60));
                values[8] = V::Empty;
                values[9] = V::Empty;
                o.plant(kind, &values, 6)?;
            }
            PlantKind::Ass002 => {
                values[8] = V::Date(e.start - 1 - rng.days(20), DateForm::Dmy);
                o.plant(kind, &values, 8)?;
            }
            PlantKind::Ass003 => {
                let mut again = values;
                again[11] = V::Text(other_worker(e.worker, 7));
                again[7] = V::Code(YNU[if e.seen == YES { NO } else { YES } as usize]);
                o.plant_same_key(kind, &values, &again)?;
            }
            PlantKind::Ass004 => {
                values[8] = V::Empty;
                values[9] = V::Empty;
                // Started over 60 days before the last night: maybe not 45 before an earlier one.
                let kind = if e.start < ctx.night - 45 {
                    kind
                } else {
                    PlantKind::Ass004NotYet
                };
                o.plant(kind, &values, 8)?;
            }
            PlantKind::AssSeenType => {
                values[7] = V::Text(["Seen", "Possibly"][v % 2]);
                o.plant(kind, &values, 7)?;
            }
            PlantKind::AssMultilineTeam => {
                values[10] = V::Text(MULTILINE_TEAM);
                o.plant_checked(kind, &values, TruthCheck::Value(10, MULTILINE_TEAM.to_string()))?;
            }
            _ => unreachable!("{kind:?} is not an assessments problem"),
        }
    }
    Ok(())
}
