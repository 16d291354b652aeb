//! Planted problems: each kind (named by the DfE code it breaks), how many per 1,000 children,
//! how it is made in one child's rows with everything else clean, and the ground-truth line for
//! each row the rule reports.
//!
//! A kind is handed to children in a pre-drawn order (as the Annex A generator does): each has a
//! target child among the first four fifths of those looked after this year, and from there
//! waits for the first child whose rows can hold it (an adopted child for the AD1 problems, a
//! girl for the mother's, a child in both years' returns for the year-on-year ones...). One
//! problem per child. A kind that finds no child before the last is not planted, and not listed.
//!
//! Where a problem cannot be made without breaking a second rule (a gap between episodes is
//! both 433 and 388; a header row left out makes every table's row an orphan), each rule it
//! breaks is listed, on the row that rule reports. A value that is not a date (`31/02/2025`,
//! `2025-04-01`) is listed under its own type rule only: the rules that read it cannot check
//! that row (Cleanse says so), though the DfE's validator, which reads it as blank, may report
//! some of them too. A change to an episode still open at the end of last year is made in last
//! year's return as well, so the year-on-year rules see no difference unless that is the plant.
//!
//! The postcode problems keep the rest of the geography as it was: a placement whose local
//! authority can no longer be derived is one rules 1015 (own provision), 241 (supported
//! accommodation) and 218 (a URN outside England) would not notice anyway; the year-on-year ones
//! change only last year's open episode's placement postcode, to one where the local authority,
//! whether it is Northfield's and the distance (by at least half a mile) differ or not as each
//! code needs. Placements over 350 miles from home are listed under 454 wherever they are,
//! planted or not (the DfE queries them; they are valid).
//!
//! Kinds are planted `max(base, base × children / 1000)` times. With a few hundred children some
//! kinds find no child (there are few adopted children, or mothers).

use crate::render::{Day, nd, push_uint};
use crate::rng::Rng;

use super::children::{Ctx, History};
use super::codes::{Urn, add_years, is_adoption, is_foster, is_temp, needs_urn};
use super::geography::{EASTMOOR, KINGSHOLM, NORTHFIELD, Post, SCOTLAND, SOUTHDALE, WALES, miles};
use super::tables::{
    AD1, EPISODES, HEADER, MISSING, OC2, OC3, P4A, PREV_PERM, REVIEWS, Row, Rows, SW, TABLES, UASC, Val,
    continuously_looked_after,
};
use super::{SALT_PLANT, SALT_SCHEDULE};

// Columns used below.
const CHILD: usize = 0;
const H_SEX: usize = 1;
const H_DOB: usize = 2;
const H_ETHNIC: usize = 3;
const H_UPN: usize = 4;
const H_MOTHER: usize = 5;
const H_MC_DOB: usize = 6;
const E_DECOM: usize = 1;
const E_RNE: usize = 2;
const E_LS: usize = 3;
const E_CIN: usize = 4;
const E_PLACE: usize = 5;
const E_PROVIDER: usize = 6;
const E_DEC: usize = 7;
const E_REC: usize = 8;
const E_REASON: usize = 9;
const E_HOME: usize = 10;
const E_PL_POST: usize = 11;
const E_URN: usize = 12;
const DOB: usize = 1;

/// A ground-truth line: the row where the rule reports the plant.
#[derive(Debug, Clone)]
pub(crate) struct Mark {
    pub(crate) code: &'static str,
    pub(crate) table: usize,
    /// The row among the child's rows of that table (or, with `line`, the file line).
    pub(crate) row: usize,
    pub(crate) line: Option<usize>,
    pub(crate) child: Val,
    pub(crate) what: &'static str,
}

impl Mark {
    pub(crate) fn write(&self, buf: &mut Vec<u8>, line: usize) {
        debug_assert!(!self.what.contains([',', '"', '\n']), "{}", self.what);
        buf.extend_from_slice(self.code.as_bytes());
        buf.push(b',');
        buf.extend_from_slice(TABLES[self.table].name.as_bytes());
        buf.push(b',');
        buf.extend_from_slice(TABLES[self.table].file.as_bytes());
        buf.push(b',');
        push_uint(buf, self.line.unwrap_or(line) as u64, 1);
        buf.push(b',');
        self.child.push(buf);
        buf.push(b',');
        buf.extend_from_slice(self.what.as_bytes());
        buf.push(b'\n');
    }
}

/// A kind of planted problem: its id (the DfE code it breaks, with a suffix for a second way
/// of breaking it), how many at 1,000 children, and what it is.
pub(crate) struct Kind {
    pub(crate) id: &'static str,
    pub(crate) base: usize,
    /// A table the child must have rows in (a quick test before trying).
    needs: usize,
    pub(crate) what: &'static str,
}

const fn k(id: &'static str, base: usize, needs: usize, what: &'static str) -> Kind {
    Kind { id, base, needs, what }
}

#[rustfmt::skip]
pub(crate) const KINDS: &[Kind] = &[
    // Header.
    k("101", 2, HEADER, "sex written as the old code 1 or as X"),
    k("102", 1, HEADER, "date of birth not a date (31 February)"),
    k("102b", 1, HEADER, "date of birth written yyyy-mm-dd"),
    k("103", 2, HEADER, "ethnicity not a DfE code"),
    k("168", 2, HEADER, "UPN of the wrong form"),
    k("174", 1, HEADER, "a boy with his first child's date of birth"),
    k("209", 1, HEADER, "UPN unknown code UN1 (under school age) for a school-age child"),
    k("210", 1, HEADER, "UPN unknown code UN4 for a child who started on or after 24 March"),
    k("442", 1, HEADER, "UPN blank"),
    k("444", 1, HEADER, "UPN copied from another child (both rows)"),
    k("165", 1, HEADER, "mother code not 0 or 1"),
    k("393", 1, HEADER, "girl looked after with mother status blank"),
    k("607", 1, HEADER, "girl who left care with mother status blank"),
    k("611", 1, HEADER, "mother with her child's date of birth blank"),
    k("612", 1, HEADER, "not a mother; but her child's date of birth filled"),
    k("620", 1, HEADER, "mother under 11"),
    k("621", 1, HEADER, "mother's child born before her"),
    k("202", 1, HEADER, "sex differs from last year's"),
    k("203", 1, HEADER, "date of birth differs from last year's by a day"),
    k("204", 1, HEADER, "ethnicity differs from last year's"),
    k("207", 1, HEADER, "a mother last year; not this year"),
    k("208", 1, HEADER, "UPN differs from last year's known UPN"),
    k("624", 1, HEADER, "first child's date of birth recorded last year; not this year"),
    k("626", 1, HEADER, "mother since before the year; though not a mother last year"),
    k("INT32", 1, HEADER, "child's header row written twice"),
    k("INT03", 1, HEADER, "child left out of the header file"),
    k("EPI", 1, HEADER, "child in the header with no episodes and no care leaver row"),
    // Episodes.
    k("141", 1, EPISODES, "start date written yyyy-mm-dd"),
    k("147", 1, EPISODES, "end date not a date (31 June)"),
    k("143", 1, EPISODES, "reason for new episode not a code"),
    k("144", 1, EPISODES, "legal status V1 (not a code)"),
    k("145", 1, EPISODES, "category of need N9"),
    k("146", 2, EPISODES, "placement H5 or Z1 (codes of earlier years)"),
    k("148", 1, EPISODES, "end date without a reason episode ceased"),
    k("149", 1, EPISODES, "reason episode ceased E4 (not a code)"),
    k("178", 1, EPISODES, "placement provider PR6"),
    k("526", 1, EPISODES, "placement provider blank"),
    k("527", 1, EPISODES, "placed with parents; provider the council (PR1)"),
    k("528", 1, EPISODES, "placed with parents; provider another council (PR2)"),
    k("529", 1, EPISODES, "foster or children's home placement; provider another public body (PR3)"),
    k("530", 1, EPISODES, "placed with parents; provider private (PR4)"),
    k("531", 1, EPISODES, "placed with parents; provider voluntary (PR5)"),
    k("550", 1, EPISODES, "provider PR0 (parents) for a placement other than with parents"),
    k("214", 1, EPISODES, "short break with a URN"),
    k("398", 1, EPISODES, "short break with a home postcode"),
    k("217", 1, EPISODES, "placed for adoption with the current foster carer; RNE P"),
    k("222", 1, EPISODES, "placed with parents; with a URN"),
    k("242", 1, EPISODES, "children's home with URN XXXXXXX"),
    k("225", 2, EPISODES, "placement change with no reason for it"),
    k("233", 1, EPISODES, "open episode with a reason for placement change"),
    k("234", 1, EPISODES, "reason CUSTOD for a child under 10"),
    k("1009", 1, EPISODES, "reason for placement change not a code"),
    k("352", 1, EPISODES, "started to be looked after at 18"),
    k("355", 1, EPISODES, "episode ended the day it started"),
    k("356", 1, EPISODES, "episode ended before it started"),
    k("358", 1, EPISODES, "remanded (J1) under 10"),
    k("359", 1, EPISODES, "still looked after past 18"),
    k("365", 1, EPISODES, "short break of more than 17 days"),
    k("366", 1, EPISODES, "short break with RNE P"),
    k("371", 1, EPISODES, "supported accommodation (K3) under 16"),
    k("372", 1, EPISODES, "young offender institution (R5) under 10"),
    k("373", 1, EPISODES, "residential school (S1) under 4"),
    k("374", 1, EPISODES, "residential employment (P3) under 14"),
    k("375", 1, EPISODES, "temporary placement T1 over 42 days"),
    k("378", 1, EPISODES, "placed with parents under section 20 (V2)"),
    k("380", 1, EPISODES, "temporary placement with RNE T"),
    k("382", 1, EPISODES, "short break in a temporary placement"),
    k("384", 1, EPISODES, "short break with a long-term foster carer (U4)"),
    k("385", 1, EPISODES, "episode ended after the year"),
    k("387", 1, EPISODES, "independent living (E5) under 14"),
    k("389", 1, EPISODES, "adult social care (E7) under 16"),
    k("390", 1, EPISODES, "adopted (E11) from foster care"),
    k("392d", 1, EPISODES, "placement postcode the same as home postcode"),
    k("408", 1, EPISODES, "placed for adoption (A6) without a placement order"),
    k("431", 1, EPISODES, "short break starting the day the last ended"),
    k("433", 1, EPISODES, "a day's gap between episodes"),
    k("434", 1, EPISODES, "legal status change (L) with a new placement postcode"),
    k("435", 1, EPISODES, "placement change (P) where only the legal status changed"),
    k("436", 1, EPISODES, "legal status and placement change (U) with the same legal status"),
    k("460", 1, EPISODES, "staying put (E17) before 18"),
    k("501", 1, EPISODES, "episodes overlapping by five days"),
    k("504", 1, EPISODES, "category of need changed within a period of care"),
    k("516", 1, EPISODES, "special guardianship by former foster carers (E45) from a children's home"),
    k("NoE", 1, EPISODES, "looked after at 1 April but left out of last year's return"),
    k("502", 1, EPISODES, "last year's open episode started a day earlier"),
    k("503A", 1, EPISODES, "last year's open episode had another reason for new episode"),
    k("503B", 1, EPISODES, "last year's open episode had another legal status"),
    k("503C", 1, EPISODES, "last year's open episode had another category of need"),
    k("503D", 1, EPISODES, "last year's open episode had another placement type"),
    k("503E", 1, EPISODES, "last year's open episode had another provider"),
    k("503F", 1, EPISODES, "last year's open episode had another URN"),
    // Postcodes (the directory is postcodes.csv).
    k("392c", 1, EPISODES, "home postcode mistyped (letter O for the sector's digit): not in the directory"),
    k("169", 1, EPISODES, "placement postcode blank"),
    k("179", 1, EPISODES, "placement postcode mistyped (letter O for the sector's digit): not in the directory"),
    k("392a", 1, EPISODES, "placement postcode one the directory lists without a grid reference"),
    k("406", 1, EPISODES, "asylum-seeking child's episode with a home postcode (so a distance)"),
    k("420", 1, EPISODES, "short break with a placement postcode"),
    k("454", 1, EPISODES, "foster placement moved to the far north of Scotland: over 350 miles from home"),
    k("1015", 1, EPISODES, "council's own provision (PR1) placed outside Northfield"),
    k("218", 1, EPISODES, "URN blank for a placement in England that Ofsted registers"),
    k("241", 1, EPISODES, "supported accommodation (K3) with a URN outside Northfield"),
    k("243", 1, EPISODES, "placement in Wales with an Ofsted URN"),
    k("503G", 1, EPISODES, "last year's open episode placed at another postcode of the same council"),
    k("503H", 1, EPISODES, "last year's open episode placed in another council (both outside Northfield)"),
    k("503J", 1, EPISODES, "last year's open episode placed in Northfield or out of it; this year's the other"),
    // Reviews.
    k("166", 1, REVIEWS, "review date written yyyy-mm-dd"),
    k("167", 1, REVIEWS, "review participation code PN8"),
    k("440", 1, REVIEWS, "participation PN0 (under 4) for an older child"),
    k("441", 1, REVIEWS, "participation PN1 for a child under 4"),
    k("INT17", 1, REVIEWS, "review's date of birth differs from the header's"),
    k("1012", 1, HEADER, "review for a care leaver with no episodes"),
    // UASC.
    k("104", 1, UASC, "UASC status ceased before the year"),
    k("304", 1, UASC, "UASC status ceased after the 18th birthday"),
    k("INT18", 1, UASC, "UASC date of birth differs from the header's"),
    k("INT21", 1, UASC, "UASC sex differs from the header's"),
    k("205B", 1, UASC, "UASC ceased date differs from last year's"),
    k("205D", 1, UASC, "UASC this year; not last year"),
    // OC2.
    k("180", 1, OC2, "SDQ score 45"),
    k("181", 1, OC2, "immunisations Y (not 0 or 1)"),
    k("188", 1, OC2, "SDQ score for a child under 4"),
    k("189", 1, OC2, "SDQ score for a child over 17"),
    k("192", 1, OC2, "substance misuse without intervention received"),
    k("193", 1, OC2, "intervention received without substance misuse"),
    k("158", 1, OC2, "intervention offered though received"),
    k("159", 1, OC2, "intervention neither received nor offered recorded"),
    k("196", 1, OC2, "SDQ reason SDQ6"),
    k("197a", 1, OC2, "SDQ score and reason both given"),
    k("542", 1, OC2, "convicted recorded for a child under 10"),
    k("543", 1, OC2, "convicted blank for a child over 10"),
    k("545", 1, OC2, "health check blank for a child under 5"),
    k("546", 1, OC2, "health check recorded for a child over 5"),
    k("186", 1, OC2, "SDQ score and reason blank for a child of 4 to 16"),
    k("157", 1, OC2, "SDQ reason SDQ1 for a child of 4 to 16"),
    k("191", 1, EPISODES, "looked after all year with no OC2 row"),
    k("185", 1, EPISODES, "OC2 for a child not looked after all year"),
    k("INT14", 1, OC2, "OC2 date of birth differs from the header's"),
    k("INT33", 1, OC2, "OC2 row written twice"),
    // OC3.
    k("131", 1, OC3, "in touch Y (not a code)"),
    k("132", 1, OC3, "activity F3 (an old code)"),
    k("133", 1, OC3, "accommodation Z (no suitability digit)"),
    k("153", 1, OC3, "activity blank"),
    k("344", 1, OC3, "returned home; with an activity"),
    k("345", 1, OC3, "in touch; accommodation 0"),
    k("3001", 1, OC3, "17th birthday; with former foster carers (Z1)"),
    k("348", 1, OC3, "died last year; in touch this year"),
    k("INT15", 1, OC3, "OC3 date of birth differs from the header's"),
    k("INT34", 1, OC3, "OC3 row written twice"),
    // AD1.
    k("112", 1, AD1, "date of the decision to place written yyyy-mm-dd"),
    k("113", 1, AD1, "matching date 12/13/yyyy (month first)"),
    k("114", 1, AD1, "adopted by foster carer 2"),
    k("151", 1, AD1, "number of adopters blank"),
    k("175", 1, AD1, "number of adopters 3"),
    k("176", 1, AD1, "adopters' sex FM"),
    k("177", 1, AD1, "adopters' legal status L1"),
    k("511", 1, AD1, "two adopters; one sex (F1)"),
    k("514", 1, AD1, "single adopter recorded as a couple (MF)"),
    k("517", 1, AD1, "unmarried couple (L3); two men"),
    k("518", 1, AD1, "unmarried same-sex couple (L4); a man and a woman"),
    k("519", 1, AD1, "civil partners (L2); one adopter's sex"),
    k("520", 1, AD1, "married couple (L11); two women"),
    k("524", 1, AD1, "married same-sex couple (L12); a man and a woman"),
    k("331", 1, AD1, "matched after the adoptive placement began"),
    k("335", 1, AD1, "adopted by foster carer 0; placed with the foster carer (A5)"),
    k("523", 1, AD1, "decision date differs from the placed-for-adoption decision"),
    k("INT11", 1, AD1, "AD1 date of birth differs from the header's"),
    // Placed for adoption.
    k("115", 1, P4A, "decision date written yyyy-mm-dd"),
    k("120", 1, P4A, "reason the decision ceased RD5"),
    k("119", 1, P4A, "decision ceased with no reason"),
    k("553", 1, EPISODES, "placement order (E1) with no decision to place for adoption"),
    k("559", 1, P4A, "decision made before the year; missing from last year's return"),
    k("560", 1, P4A, "decision date differs from last year's open decision"),
    k("INT12", 1, P4A, "decision's date of birth differs from the header's"),
    // Previous permanence.
    k("631", 1, PREV_PERM, "previous permanence P5"),
    k("633", 1, PREV_PERM, "local authority code 123"),
    k("635", 1, PREV_PERM, "local authority given; previous permanence blank"),
    k("630", 1, EPISODES, "started to be looked after; no previous permanence row"),
    k("632", 1, PREV_PERM, "previous permanence order dated after care started"),
    k("INT16", 1, PREV_PERM, "previous permanence date of birth differs from the header's"),
    k("INT35", 1, PREV_PERM, "previous permanence row written twice"),
    // Missing.
    k("565", 1, MISSING, "missing start with no missing/away code"),
    k("567", 1, MISSING, "missing episode ending before it starts"),
    k("571", 1, MISSING, "missing episode ending after the year"),
    k("575", 1, MISSING, "missing episode still open; in an episode that ended"),
    k("574", 1, MISSING, "missing episodes overlapping"),
    k("1004", 1, MISSING, "missing start written yyyy-mm-dd"),
    k("1005", 1, MISSING, "missing end not a date (31 April)"),
    k("1006", 1, MISSING, "missing code X"),
    k("INT13", 1, MISSING, "missing episode's date of birth differs from the header's"),
    k("INT04", 1, MISSING, "missing episode for a child id not in the header (mistyped)"),
    // Social workers.
    k("SW02STG1", 1, SW, "social worker id without SW"),
    k("SW05STG1", 1, SW, "social worker episode end not a date (31 April)"),
    k("SW06STG2", 1, SW, "social worker episode starting after the year"),
    k("SW09STG2", 1, SW, "social worker episode of a day"),
    k("SW13STG1", 1, SW, "social worker change reason blank"),
    k("SW17STG2", 1, SW, "last social worker episode closed"),
    k("SW18STG2", 1, SW, "social worker episode ending before it starts"),
    k("SW19STG2", 1, SW, "social worker episode written twice"),
];

/// Children invented by plants (header rows with nothing else, mistyped ids).
pub(crate) fn extra_children(children: usize) -> usize {
    4 * count(3, children) + 8
}

fn count(base: usize, children: usize) -> usize {
    base.max((base * children + 500) / 1000)
}

/// Hands planted problems to children in a pre-drawn order.
pub(crate) struct Planter {
    queue: Vec<(usize, usize, usize)>,
    next: usize,
    waiting: Vec<(usize, usize)>,
    /// Invented children so far.
    invented: usize,
    /// The last known UPN written, and its header line.
    last_upn: Option<([u8; 13], usize, Val)>,
}

impl Planter {
    pub(crate) fn new(ctx: &Ctx, plant: bool) -> Planter {
        let mut queue = Vec::new();
        let children = ctx.children();
        if plant && children > 0 {
            let mut items = Vec::new();
            for (i, kind) in KINDS.iter().enumerate() {
                items.extend((0..count(kind.base, ctx.looked_after)).map(|v| (i, v)));
            }
            let mut rng = Rng::stream(ctx.seed, u64::MAX, SALT_SCHEDULE);
            for i in (1..items.len()).rev() {
                let j = rng.below(i as u64 + 1) as usize;
                items.swap(i, j);
            }
            // Over the children looked after this year (leavers, after them, have few rows).
            let span = (ctx.looked_after * 4 / 5).max(1);
            let n = items.len();
            for (q, (kind, variant)) in items.into_iter().enumerate() {
                let lo = q * span / n;
                let hi = ((q + 1) * span / n).max(lo + 1);
                queue.push((lo + rng.below((hi - lo) as u64) as usize, kind, variant));
            }
        }
        Planter {
            queue,
            next: 0,
            waiting: Vec::new(),
            invented: 0,
            last_upn: None,
        }
    }

    /// Plant the first waiting problem the child's rows can hold, and list the rows the rules
    /// report (and the children of sex U, in either mode).
    pub(crate) fn plant(&mut self, ctx: &Ctx, h: &History, now: &mut Rows, before: &mut Rows) -> Vec<Mark> {
        while self.next < self.queue.len() && self.queue[self.next].0 <= h.idx {
            let (_, kind, variant) = self.queue[self.next];
            self.waiting.push((kind, variant));
            self.next += 1;
        }
        let mut marks = Vec::new();
        if h.sex == "U" && !now.t[HEADER].is_empty() {
            marks.push(Mark {
                code: "232",
                table: HEADER,
                row: 0,
                line: None,
                child: now.t[HEADER][0].v[CHILD],
                what: "sex U (unknown): valid but the DfE asks for it to be confirmed",
            });
        }
        if now.is_empty() {
            return marks;
        }
        if h.sex != "U" {
            self.plant_one(ctx, h, now, before, &mut marks);
        }
        far(now, &mut marks);
        marks
    }

    fn plant_one(&mut self, ctx: &Ctx, h: &History, now: &mut Rows, before: &mut Rows, marks: &mut Vec<Mark>) {
        let mut rng = Rng::stream(ctx.seed, h.idx as u64, SALT_PLANT);
        for w in 0..self.waiting.len() {
            let (kind, variant) = self.waiting[w];
            if now.t[KINDS[kind].needs].is_empty() {
                continue;
            }
            let mut p = Patch {
                ctx,
                h,
                now,
                before,
                rng: &mut rng,
                marks: Vec::new(),
                variant,
                invented: self.invented,
                last_upn: self.last_upn,
            };
            if let Some(what) = apply(KINDS[kind].id, &mut p) {
                let what = what.unwrap_or(KINDS[kind].what);
                let invented = p.invented;
                for m in &mut p.marks {
                    m.what = what;
                }
                marks.extend(p.marks);
                self.invented = invented;
                self.waiting.remove(w);
                break;
            }
        }
    }

    /// After the child's rows are written: remember a known UPN and its line (for 444).
    pub(crate) fn written(&mut self, now: &Rows, header_line: usize) {
        if let Some(r) = now.t[HEADER].first()
            && let Val::Upn(u) = r.v[H_UPN]
        {
            self.last_upn = Some((u, header_line, r.v[CHILD]));
        }
    }
}

/// List the child's placements over 350 miles from home, planted or not: valid, but the DfE
/// queries them (454).
fn far(now: &Rows, marks: &mut Vec<Mark>) {
    for (r, e) in now.t[EPISODES].iter().enumerate() {
        let (Val::Post(home), Val::Post(pl)) = (e.v[E_HOME], e.v[E_PL_POST]) else {
            continue;
        };
        let listed = |m: &Mark| m.code == "454" && m.table == EPISODES && m.row == r;
        if miles(home, pl).is_some_and(|m| m > 350.0) && !marks.iter().any(listed) {
            marks.push(Mark {
                code: "454",
                table: EPISODES,
                row: r,
                line: None,
                child: e.v[CHILD],
                what: "placement over 350 miles from home (far north of Scotland): valid but the DfE queries it",
            });
        }
    }
}

/// One child's rows, being planted.
struct Patch<'a> {
    ctx: &'a Ctx,
    h: &'a History,
    now: &'a mut Rows,
    before: &'a mut Rows,
    rng: &'a mut Rng,
    marks: Vec<Mark>,
    variant: usize,
    invented: usize,
    last_upn: Option<([u8; 13], usize, Val)>,
}

impl Patch<'_> {
    fn child(&self) -> Val {
        Val::Child(self.h.id)
    }

    fn mark(&mut self, code: &'static str, table: usize, row: usize) {
        let child = self.now.t[table].get(row).map_or(self.child(), |r| r.v[CHILD]);
        self.marks.push(Mark {
            code,
            table,
            row,
            line: None,
            child,
            what: "",
        });
    }

    fn rows(&self, table: usize) -> &[Row] {
        &self.now.t[table]
    }

    /// Set a value; an episode also open at 31 March last year is changed there too, so only
    /// the plant differs (not the year-on-year rules).
    fn set(&mut self, table: usize, row: usize, col: usize, v: Val) {
        if table == EPISODES && !matches!(col, E_DEC | E_REC | E_REASON) {
            let decom = self.now.t[table][row].v[E_DECOM];
            if let Some(last) = self.before.t[EPISODES].iter_mut().find(|e| e.v[E_DECOM] == decom) {
                last.v[col] = v;
            }
        }
        self.now.t[table][row].v[col] = v;
    }

    fn ep(&self, row: usize, col: usize) -> Val {
        self.now.t[EPISODES][row].v[col]
    }

    fn post(&self, row: usize, col: usize) -> Option<Post> {
        match self.ep(row, col) {
            Val::Post(p) => Some(p),
            _ => None,
        }
    }

    /// Is episode `r` placed in Northfield?
    fn local(&self, r: usize) -> bool {
        self.post(r, E_PL_POST).is_some_and(Post::local)
    }

    /// Is episode `r` the council's own provision, other than the foster care, adoption and
    /// supported accommodation rule 1015 leaves out (so the rule wants it in Northfield)?
    fn own_provision(&self, r: usize) -> bool {
        self.ep(r, E_PROVIDER) == Val::Code("PR1")
            && !place_is(self.ep(r, E_PLACE), |c| is_foster(c) || is_adoption(c) || c == "K3")
    }

    fn in_last_year(&self) -> bool {
        !self.before.t[HEADER].is_empty()
    }

    /// A row of `table` that `ok` accepts, picked at random.
    fn pick(&mut self, table: usize, ok: impl Fn(&Self, usize) -> bool) -> Option<usize> {
        let fits: Vec<usize> = (0..self.now.t[table].len()).filter(|&r| ok(self, r)).collect();
        (!fits.is_empty()).then(|| fits[self.rng.below(fits.len() as u64) as usize])
    }

    fn age_at(&self, d: Day) -> i64 {
        crate::render::age_years(self.h.dob, d)
    }

    fn is_starter(&self) -> bool {
        !self.in_last_year()
    }

    fn girl(&self) -> bool {
        self.h.sex == "F"
            && self
                .rows(HEADER)
                .first()
                .is_some_and(|r| r.v[H_MOTHER] == Val::Code("0"))
    }

    fn v3(&self) -> bool {
        self.h.short_breaks
    }

    /// The child's final episode this year, if care ended in the year (not adoption).
    fn left(&self) -> Option<usize> {
        let n = self.rows(EPISODES).len();
        let last = n.checked_sub(1)?;
        let rec = self.ep(last, E_REC).code()?;
        (!self.v3() && rec != "X1" && !matches!(rec, "E11" | "E12")).then_some(last)
    }

    /// Episodes that ended X1 and are followed by another (index, next).
    fn x1(&self, r: usize) -> bool {
        self.ep(r, E_REC) == Val::Code("X1") && r + 1 < self.rows(EPISODES).len()
    }

    /// Can episode `r`'s placement be changed without its neighbours' reasons for new episode
    /// (434 to 436) or a temporary placement's return (383) noticing?
    fn free(&self, r: usize) -> bool {
        let n = self.rows(EPISODES).len();
        let temp = |r: usize| self.ep(r, E_PLACE).code().is_none_or(is_temp);
        let rne = |r: usize| self.ep(r, E_RNE);
        rne(r) != Val::Code("L")
            && !temp(r)
            && (r == 0 || !temp(r - 1))
            && (r + 1 >= n || (!temp(r + 1) && !matches!(rne(r + 1), Val::Code("L" | "T" | "B"))))
    }

    /// A URN no provider here has: a social care provider's, or a school's.
    fn new_urn(&mut self, school: bool) -> Val {
        let n = 100_000 + self.rng.below(900_000) as u32;
        Val::Urn(if school { Urn::School(n) } else { Urn::Sc(n) })
    }

    fn invent(&mut self) -> Val {
        let i = self.ctx.children() + self.invented;
        self.invented += 1;
        Val::Child(self.ctx.id(i))
    }

    /// Set the date of birth in one of `table`'s rows a day out from the header's, and mark
    /// the code.
    fn dob_differs(&mut self, table: usize, code: &'static str) -> Option<Option<&'static str>> {
        let r = self.pick(table, |_, _| true)?;
        let column = if table == UASC { 2 } else { DOB };
        self.set(table, r, column, Val::Date(self.h.dob + 1));
        self.mark(code, table, r);
        Some(None)
    }

    fn duplicate(&mut self, table: usize, code: &'static str) -> Option<Option<&'static str>> {
        let r = *self.rows(table).first()?;
        self.now.t[table].insert(1, r);
        self.mark(code, table, 0);
        self.mark(code, table, 1);
        Some(None)
    }
}

/// The date `d` as typed in another form.
fn iso(d: Day) -> Val {
    Val::raw(&nd(d).format("%Y-%m-%d").to_string())
}

/// A date that does not exist, near `d`: 30 February, or the 31st of a 30-day month.
fn impossible(d: Day) -> Val {
    use chrono::Datelike;
    let date = nd(d);
    let (day, month) = match date.month() {
        1..=3 => (30, 2),
        4 | 5 => (31, 4),
        6..=8 => (31, 6),
        9 | 10 => (31, 9),
        _ => (31, 11),
    };
    Val::raw(&format!("{day:02}/{month:02}/{}", date.year()))
}

fn place_is(v: Val, f: impl Fn(&str) -> bool) -> bool {
    v.code().is_some_and(f)
}

/// Plant kind `id` in the child's rows, if they can hold it (changing nothing if not);
/// `Some(Some(note))` overrides the kind's note.
fn apply(id: &'static str, p: &mut Patch) -> Option<Option<&'static str>> {
    let h = p.h;
    let (ws, we) = (p.ctx.this.start, p.ctx.this.end);
    let has_eps = !p.rows(EPISODES).is_empty();
    match id {
        // ---- Header ----
        "101" if p.is_starter() && h.sex == "M" && !h.uasc => {
            let (v, note) = if p.variant.is_multiple_of(2) {
                ("1", "sex written 1 (the code before 2024/25)")
            } else {
                ("X", "sex written X")
            };
            p.set(HEADER, 0, H_SEX, Val::Code(v));
            p.mark("101", HEADER, 0);
            Some(Some(note))
        }
        "102" | "102b" if p.is_starter() && has_eps => {
            let v = if id == "102" { impossible(h.dob) } else { iso(h.dob) };
            p.set(HEADER, 0, H_DOB, v);
            p.mark("102", HEADER, 0);
            Some(None)
        }
        "103" if p.is_starter() => {
            let v = ["WBR", "BCAR", "W BRI"][p.variant % 3];
            p.set(HEADER, 0, H_ETHNIC, Val::raw(v));
            p.mark("103", HEADER, 0);
            Some(None)
        }
        "168" if p.is_starter() && matches!(p.rows(HEADER)[0].v[H_UPN], Val::Upn(_)) => {
            let Val::Upn(u) = p.rows(HEADER)[0].v[H_UPN] else {
                unreachable!("matched")
            };
            let s = std::str::from_utf8(&u).expect("ascii");
            let v = if p.variant.is_multiple_of(2) {
                format!("I{}", &s[1..])
            } else {
                s[..12].to_string()
            };
            p.set(HEADER, 0, H_UPN, Val::raw(&v));
            p.mark("168", HEADER, 0);
            Some(Some(if p.variant.is_multiple_of(2) {
                "UPN starting with I"
            } else {
                "UPN a digit short"
            }))
        }
        "442" if p.is_starter() && has_eps && !p.v3() => {
            p.set(HEADER, 0, H_UPN, Val::Empty);
            p.mark("442", HEADER, 0);
            Some(None)
        }
        "209"
            if p.is_starter() && has_eps && p.age_at(ws) >= 7 && matches!(p.rows(HEADER)[0].v[H_UPN], Val::Upn(_)) =>
        {
            p.set(HEADER, 0, H_UPN, Val::Code("UN1"));
            p.mark("209", HEADER, 0);
            Some(None)
        }
        "210" => {
            let cut = we - 7;
            let late: Vec<usize> = (0..p.rows(EPISODES).len())
                .filter(|&r| p.ep(r, E_DECOM).date().is_some_and(|d| d >= cut))
                .collect();
            if late.is_empty() || !p.is_starter() || p.age_at(ws) < 6 {
                return None;
            }
            p.set(HEADER, 0, H_UPN, Val::Code("UN4"));
            p.mark("210", HEADER, 0);
            for r in late {
                p.mark("210", EPISODES, r);
            }
            Some(None)
        }
        "444" if p.is_starter() && matches!(p.rows(HEADER)[0].v[H_UPN], Val::Upn(_)) => {
            let (u, line, other) = p.last_upn?;
            p.set(HEADER, 0, H_UPN, Val::Upn(u));
            p.mark("444", HEADER, 0);
            p.marks.push(Mark {
                code: "444",
                table: HEADER,
                row: 0,
                line: Some(line),
                child: other,
                what: "",
            });
            Some(None)
        }
        "174" if h.sex == "M" && p.is_starter() && p.age_at(ws) >= 13 && !h.uasc => {
            p.set(HEADER, 0, H_MC_DOB, Val::Date(ws - 200));
            p.mark("174", HEADER, 0);
            Some(None)
        }
        "165" if p.girl() => {
            p.set(HEADER, 0, H_MOTHER, Val::Code(["2", "Y", "N"][p.variant % 3]));
            p.mark("165", HEADER, 0);
            Some(None)
        }
        "393" if p.girl() && p.left().is_none() && p.is_starter() => {
            p.set(HEADER, 0, H_MOTHER, Val::Empty);
            p.mark("393", HEADER, 0);
            Some(None)
        }
        "607" if p.girl() && p.is_starter() => {
            let last = p.left()?;
            p.set(HEADER, 0, H_MOTHER, Val::Empty);
            p.mark("607", EPISODES, last);
            p.mark("607", HEADER, 0);
            p.mark("393", HEADER, 0);
            Some(None)
        }
        "611" if p.girl() && p.age_at(ws) >= 14 && p.is_starter() => {
            p.set(HEADER, 0, H_MOTHER, Val::Code("1"));
            p.mark("611", HEADER, 0);
            Some(None)
        }
        "612" if p.girl() && p.age_at(ws) >= 15 && p.is_starter() => {
            p.set(HEADER, 0, H_MC_DOB, Val::Date(ws - 90));
            p.mark("612", HEADER, 0);
            Some(None)
        }
        "620" if p.girl() && (8..10).contains(&p.age_at(ws)) && p.is_starter() => {
            p.set(HEADER, 0, H_MOTHER, Val::Code("1"));
            p.set(HEADER, 0, H_MC_DOB, Val::Date(ws - 30));
            p.mark("620", HEADER, 0);
            Some(None)
        }
        "621" if p.girl() && p.age_at(ws) >= 14 && p.is_starter() => {
            p.set(HEADER, 0, H_MOTHER, Val::Code("1"));
            p.set(HEADER, 0, H_MC_DOB, Val::Date(h.dob - 200));
            p.mark("621", HEADER, 0);
            Some(None)
        }
        "202" if p.in_last_year() && h.sex == "M" && !h.uasc && has_eps => {
            p.before.t[HEADER][0].v[H_SEX] = Val::Code("F");
            p.mark("202", HEADER, 0);
            Some(None)
        }
        "203" if p.in_last_year() => {
            p.before.t[HEADER][0].v[H_DOB] = Val::Date(h.dob + 1);
            p.mark("203", HEADER, 0);
            Some(None)
        }
        "204" if p.in_last_year() => {
            let other = if h.ethnic == "WBRI" { "WOTH" } else { "WBRI" };
            p.before.t[HEADER][0].v[H_ETHNIC] = Val::Code(other);
            p.mark("204", HEADER, 0);
            Some(None)
        }
        "207" if p.in_last_year() && p.girl() && p.before.t[HEADER][0].v[H_MOTHER] == Val::Code("0") => {
            p.before.t[HEADER][0].v[H_MOTHER] = Val::Code("1");
            p.mark("207", HEADER, 0);
            Some(None)
        }
        "208"
            if p.in_last_year()
                && matches!(p.before.t[HEADER][0].v[H_UPN], Val::Upn(_))
                && matches!(p.rows(HEADER)[0].v[H_UPN], Val::Upn(_)) =>
        {
            let other = super::codes::upn(p.ctx.seed ^ 0x208, h.idx as u64);
            p.before.t[HEADER][0].v[H_UPN] = Val::Upn(other);
            p.mark("208", HEADER, 0);
            Some(None)
        }
        "624"
            if p.in_last_year()
                && p.girl()
                && p.before.t[HEADER][0].v[H_MOTHER] == Val::Code("0")
                && p.age_at(ws) >= 15 =>
        {
            p.before.t[HEADER][0].v[H_MC_DOB] = Val::Date(ws - 120);
            p.mark("624", HEADER, 0);
            Some(None)
        }
        "626"
            if p.in_last_year()
                && p.girl()
                && p.before.t[HEADER][0].v[H_MOTHER] == Val::Code("0")
                && p.age_at(ws) >= 15 =>
        {
            p.set(HEADER, 0, H_MOTHER, Val::Code("1"));
            p.set(HEADER, 0, H_MC_DOB, Val::Date(ws - 45));
            p.mark("626", HEADER, 0);
            Some(None)
        }
        "INT32" if p.is_starter() => {
            if matches!(p.rows(HEADER)[0].v[H_UPN], Val::Upn(_)) {
                p.mark("444", HEADER, 0);
                p.mark("444", HEADER, 1);
            }
            p.duplicate(HEADER, "INT32")
        }
        "INT03" if p.is_starter() && has_eps && !h.uasc => {
            p.now.t[HEADER].clear();
            for (table, code) in [
                (EPISODES, "INT03"),
                (REVIEWS, "INT08"),
                (MISSING, "INT04"),
                (OC2, "INT05"),
                (OC3, "INT06"),
                (PREV_PERM, "INT07"),
                (P4A, "INT02"),
                (AD1, "INT01"),
            ] {
                for r in 0..p.rows(table).len() {
                    p.mark(code, table, r);
                }
            }
            Some(None)
        }
        "EPI" => {
            let child = p.invent();
            let mut r = p.rows(HEADER).first().copied()?;
            r.v[CHILD] = child;
            r.v[H_UPN] = Val::Upn(super::codes::upn(p.ctx.seed ^ 0xE91, p.invented as u64));
            r.v[H_MOTHER] = Val::Empty;
            r.v[H_MC_DOB] = Val::Empty;
            p.now.t[HEADER].push(r);
            let row = p.rows(HEADER).len() - 1;
            p.marks.push(Mark {
                code: "EPI",
                table: HEADER,
                row,
                line: None,
                child,
                what: "",
            });
            Some(None)
        }
        // ---- Episodes ----
        // On a child with another valid start date: the DfE's validator stops several rules
        // for the whole return when a child has none.
        "141" if p.is_starter() && !p.v3() && p.rows(EPISODES).len() >= 2 => {
            let r = p.rows(EPISODES).len().checked_sub(1)?;
            let d = p.ep(r, E_DECOM).date()?;
            p.set(EPISODES, r, E_DECOM, iso(d));
            p.mark("141", EPISODES, r);
            Some(None)
        }
        "147" => {
            let r = p.left()?;
            let d = p.ep(r, E_DEC).date()?;
            p.set(EPISODES, r, E_DEC, impossible(d));
            p.mark("147", EPISODES, r);
            Some(None)
        }
        "143" => {
            let r = p.pick(EPISODES, |p, r| {
                r > 0 && p.ep(r, E_RNE) == Val::Code("P") && !p.v3() && p.free(r)
            })?;
            p.set(EPISODES, r, E_RNE, Val::Code(["X", "C", "R"][p.variant % 3]));
            p.mark("143", EPISODES, r);
            Some(None)
        }
        "144" | "145" if p.rows(EPISODES).len() == 1 && !p.v3() && p.is_starter() => {
            if id == "144" {
                p.set(EPISODES, 0, E_LS, Val::Code("V1"));
            } else {
                p.set(EPISODES, 0, E_CIN, Val::Code(["N9", "N0"][p.variant % 2]));
            }
            p.mark(id, EPISODES, 0);
            Some(None)
        }
        "146" => {
            let r = p.pick(EPISODES, |p, r| {
                place_is(p.ep(r, E_PLACE), |c| matches!(c, "U4" | "U6" | "K2"))
                    && matches!(p.ep(r, E_URN), Val::Urn(Urn::Sc(_)))
                    && p.local(r)
                    && p.free(r)
            })?;
            let (v, note) = if p.variant.is_multiple_of(2) {
                ("H5", "placement H5 (semi-independent living: before 2024/25)")
            } else {
                ("Z1", "placement Z1 (other placements: before 2025/26)")
            };
            p.set(EPISODES, r, E_PLACE, Val::Code(v));
            p.mark("146", EPISODES, r);
            Some(Some(note))
        }
        "148" => {
            let r = p.left()?;
            p.set(EPISODES, r, E_REC, Val::Empty);
            p.mark("148", EPISODES, r);
            Some(None)
        }
        "149" => {
            let r = p.left()?;
            p.set(
                EPISODES,
                r,
                E_REC,
                Val::Code(if p.variant.is_multiple_of(2) { "E4" } else { "E1" }),
            );
            p.mark("149", EPISODES, r);
            Some(None)
        }
        "178" | "526" | "529" | "550" => {
            let r = p.pick(EPISODES, |p, r| {
                place_is(p.ep(r, E_PLACE), |c| is_foster(c) || c == "K2") && p.free(r)
            })?;
            let v = match id {
                "178" => Val::Code("PR6"),
                "526" => Val::Empty,
                "529" => Val::Code("PR3"),
                _ => Val::Code("PR0"),
            };
            p.set(EPISODES, r, E_PROVIDER, v);
            p.mark(id, EPISODES, r);
            Some(None)
        }
        "527" | "528" | "530" | "531" | "222" => {
            let r = p.pick(EPISODES, |p, r| p.ep(r, E_PLACE) == Val::Code("P1") && p.free(r))?;
            if id == "222" {
                {
                    let v = p.new_urn(false);
                    p.set(EPISODES, r, E_URN, v);
                }
            } else {
                let v = match id {
                    "527" => "PR1",
                    "528" => "PR2",
                    "530" => "PR4",
                    _ => "PR5",
                };
                p.set(EPISODES, r, E_PROVIDER, Val::Code(v));
            }
            p.mark(id, EPISODES, r);
            Some(None)
        }
        "214" | "398" if p.v3() => {
            let r = p.pick(EPISODES, |_, _| true)?;
            if id == "214" {
                let v = p.new_urn(false);
                p.set(EPISODES, r, E_URN, v);
                p.mark("222", EPISODES, r);
            } else {
                let v = Val::Post(Post::random(p.rng));
                p.set(EPISODES, r, E_HOME, v);
            }
            p.mark(id, EPISODES, r);
            Some(None)
        }
        "217" => {
            let r = p.pick(EPISODES, |p, r| {
                p.ep(r, E_PLACE) == Val::Code("A5") && p.ep(r, E_RNE) == Val::Code("T")
            })?;
            p.set(EPISODES, r, E_RNE, Val::Code("P"));
            p.mark("217", EPISODES, r);
            Some(None)
        }
        "242" => {
            // In England: elsewhere a URN, even XXXXXXX, is one too many (243).
            let r = p.pick(EPISODES, |p, r| {
                p.ep(r, E_PLACE) == Val::Code("K2") && p.local(r) && p.free(r)
            })?;
            p.set(EPISODES, r, E_URN, Val::Urn(Urn::Unknown));
            p.mark("242", EPISODES, r);
            Some(None)
        }
        "225" | "1009" => {
            let r = p.pick(EPISODES, |p, r| p.x1(r) && !p.ep(r, E_REASON).is_empty())?;
            let v = if id == "225" {
                Val::Empty
            } else {
                Val::Code(["CARE", "MOVE", "CARPLN"][p.variant % 3])
            };
            p.set(EPISODES, r, E_REASON, v);
            p.mark(id, EPISODES, r);
            Some(None)
        }
        "233" if !p.v3() => {
            let r = p.rows(EPISODES).len() - 1;
            if !p.ep(r, E_DEC).is_empty() || is_temp(p.ep(r, E_PLACE).code()?) || r == 0 {
                return None;
            }
            p.set(EPISODES, r, E_REASON, Val::Code("CARPL"));
            p.mark("233", EPISODES, r);
            Some(None)
        }
        "234" if p.age_at(ws) < 9 => {
            let r = p.pick(EPISODES, |p, r| p.x1(r) && !p.ep(r, E_REASON).is_empty())?;
            p.set(EPISODES, r, E_REASON, Val::Code("CUSTOD"));
            p.mark("234", EPISODES, r);
            p.mark("234", HEADER, 0);
            Some(None)
        }
        "352" if p.is_starter() && !p.v3() && !h.uasc && p.rows(EPISODES)[0].v[E_RNE] == Val::Code("S") => {
            // Typed a year too early: the date of birth, everywhere it is written.
            let decom = p.ep(0, E_DECOM).date()?;
            let last = p.left()?;
            if p.age_at(decom) != 17
                || !matches!(p.ep(last, E_REC), Val::Code("E4A" | "E8" | "E13"))
                || !p.rows(OC3).is_empty()
            {
                return None;
            }
            let older = add_years(h.dob, -1);
            for t in 0..TABLES.len() {
                let col = if t == HEADER {
                    H_DOB
                } else if t == UASC {
                    2
                } else {
                    DOB
                };
                if t == EPISODES {
                    continue;
                }
                for r in 0..p.rows(t).len() {
                    p.set(t, r, col, Val::Date(older));
                }
            }
            p.mark("352", EPISODES, 0);
            Some(Some("date of birth a year early: started to be looked after at 18"))
        }
        "355" | "356" | "385" => {
            let r = p.left()?;
            let (decom, dec) = (p.ep(r, E_DECOM).date()?, p.ep(r, E_DEC).date()?);
            // Not staying put (E17), which needs the 18th birthday (460).
            if !p.rows(MISSING).is_empty() || r == 0 || (id != "385" && p.ep(r, E_REC) == Val::Code("E17")) {
                return None;
            }
            let v = match id {
                "355" => decom,
                "356" => decom - 10,
                _ => we + 10,
            };
            if id != "385" && p.rows(SW).iter().any(|s| s.v[3].date().is_some_and(|d| d > v)) {
                return None;
            }
            let _ = dec;
            p.set(EPISODES, r, E_DEC, Val::Date(v));
            p.mark(id, EPISODES, r);
            Some(None)
        }
        "358"
            if p.rows(EPISODES).len() == 1 && !p.v3() && p.age_at(ws) < 9 && place_is(p.ep(0, E_PLACE), is_foster) =>
        {
            p.set(EPISODES, 0, E_LS, Val::Code("J1"));
            p.mark("358", EPISODES, 0);
            p.mark("358", HEADER, 0);
            Some(None)
        }
        "359" => {
            let r = p.left()?;
            // Not V2 in a children's home, which the rule allows past 18.
            let allowed = p.ep(r, E_LS) == Val::Code("V2") && p.ep(r, E_PLACE) == Val::Code("K2");
            if p.ep(r, E_DEC).date()? != h.b(18) || h.b(18) >= we || allowed {
                return None;
            }
            p.set(EPISODES, r, E_DEC, Val::Empty);
            p.set(EPISODES, r, E_REC, Val::Empty);
            p.mark("359", EPISODES, r);
            Some(None)
        }
        "365" | "366" | "382" | "384" | "214b" if p.v3() => {
            let n = p.rows(EPISODES).len();
            let r = p.pick(EPISODES, |p, r| {
                let next_ok = r + 1 >= n
                    || p.ep(r + 1, E_DECOM)
                        .date()
                        .zip(p.ep(r, E_DECOM).date())
                        .is_some_and(|(a, b)| a > b + 21);
                next_ok && p.ep(r, E_DECOM).date().is_some_and(|d| d + 21 < we)
            })?;
            match id {
                "365" => {
                    let d = p.ep(r, E_DECOM).date()?;
                    p.set(EPISODES, r, E_DEC, Val::Date(d + 20));
                    p.mark("365", EPISODES, r);
                }
                "366" => {
                    p.set(EPISODES, r, E_RNE, Val::Code("P"));
                    p.mark("366", EPISODES, r);
                    if r == 0 {
                        p.mark("357", EPISODES, r);
                    } else {
                        p.mark("432", EPISODES, r);
                        p.mark("433", EPISODES, r);
                    }
                }
                "382" => {
                    p.set(EPISODES, r, E_PLACE, Val::Code("T4"));
                    p.set(EPISODES, r, E_PROVIDER, Val::Empty);
                    p.mark("382", EPISODES, r);
                    p.mark("380", EPISODES, r);
                    p.mark("381", EPISODES, r);
                    if r + 1 < n {
                        p.mark("383", EPISODES, r + 1);
                    }
                }
                _ => {
                    p.set(EPISODES, r, E_PLACE, Val::Code("U4"));
                    p.mark("384", EPISODES, r);
                    // A foster placement needs its provider's URN, which a short break cannot have.
                    p.mark("218", EPISODES, r);
                }
            }
            Some(None)
        }
        "431" if p.v3() => {
            let r = p.pick(EPISODES, |p, r| {
                r > 0 && p.ep(r, E_DECOM).date().is_some_and(|d| d >= ws)
            })?;
            let prev_dec = p.ep(r - 1, E_DEC).date()?;
            let dec = p.ep(r, E_DEC).date()?;
            if dec <= prev_dec + 1 || dec > prev_dec + 17 {
                return None;
            }
            p.set(EPISODES, r, E_DECOM, Val::Date(prev_dec));
            p.mark("431", EPISODES, r);
            // The break before ends the day this one starts: as if it had not ended (388).
            p.mark("388", EPISODES, r - 1);
            Some(None)
        }
        "371" | "372" | "373" | "374" => {
            let (limit, place) = match id {
                "371" => (16, "K3"),
                "372" => (10, "R5"),
                "373" => (4, "S1"),
                _ => (14, "P3"),
            };
            let r = p.pick(EPISODES, |p, r| {
                let Some(d) = p.ep(r, E_DECOM).date() else { return false };
                let age = p.age_at(d);
                !p.ep(r, E_DEC).is_empty()
                    && age < limit
                    && age >= limit - 3
                    && r > 0
                    && p.free(r)
                    && p.local(r)
                    && place_is(p.ep(r, E_PLACE), |c| is_foster(c) || c == "K2")
                    && place_is(p.ep(r - 1, E_PLACE), |c| c != place)
                    && p.ep(r, E_RNE) == Val::Code("P")
            })?;
            p.set(EPISODES, r, E_PLACE, Val::Code(place));
            match place {
                "R5" => {
                    p.set(EPISODES, r, E_PROVIDER, Val::Code("PR3"));
                    p.set(EPISODES, r, E_URN, Val::Empty);
                }
                "P3" => {
                    p.set(EPISODES, r, E_PROVIDER, Val::Code("PR4"));
                    p.set(EPISODES, r, E_URN, Val::Empty);
                }
                "S1" => {
                    let v = p.new_urn(true);
                    p.set(EPISODES, r, E_URN, v);
                }
                _ => {
                    if matches!(p.ep(r, E_URN), Val::Urn(Urn::Unknown)) {
                        {
                            let v = p.new_urn(false);
                            p.set(EPISODES, r, E_URN, v);
                        }
                    }
                }
            }
            if p.ep(r, E_PROVIDER) == Val::Code("PR3") && place != "R5" {
                p.set(EPISODES, r, E_PROVIDER, Val::Code("PR4"));
            }
            p.mark(id, EPISODES, r);
            Some(None)
        }
        "375" | "380" => {
            let r = p.pick(EPISODES, |p, r| {
                let t = if id == "375" { "T1" } else { "T0" };
                place_is(p.ep(r, E_PLACE), |c| if id == "375" { c == t } else { is_temp(c) })
                    && r + 1 < p.rows(EPISODES).len()
                    && !p.ep(r, E_DEC).is_empty()
            })?;
            if id == "380" {
                p.set(EPISODES, r, E_RNE, Val::Code("T"));
                p.mark("380", EPISODES, r);
                return Some(None);
            }
            let (decom, next_dec) = (p.ep(r, E_DECOM).date()?, p.ep(r + 1, E_DEC).date());
            let new_dec = decom + 50;
            if next_dec.is_some_and(|d| d <= new_dec + 1) || new_dec >= we || !p.rows(MISSING).is_empty() {
                return None;
            }
            p.set(EPISODES, r, E_DEC, Val::Date(new_dec));
            p.set(EPISODES, r + 1, E_DECOM, Val::Date(new_dec));
            p.mark("375", EPISODES, r);
            Some(None)
        }
        "378" => {
            let r = p.pick(EPISODES, |p, r| {
                p.ep(r, E_PLACE) == Val::Code("P1") && p.ep(r, E_RNE) == Val::Code("P")
            })?;
            if r + 1 < p.rows(EPISODES).len() {
                return None;
            }
            p.set(EPISODES, r, E_LS, Val::Code("V2"));
            p.set(EPISODES, r, E_RNE, Val::Code("U"));
            p.mark("378", EPISODES, r);
            Some(None)
        }
        "387" | "389" | "460" | "516" => {
            let r = p.left()?;
            let rec = p.ep(r, E_REC).code()?;
            let dec = p.ep(r, E_DEC).date()?;
            let age = p.age_at(dec);
            let ok = match id {
                "387" => age < 13,
                "389" => age < 15,
                "460" => age < 17 && rec != "E17",
                _ => place_is(p.ep(r, E_PLACE), |c| matches!(c, "K2" | "K3")) && age < 17,
            };
            if !ok {
                return None;
            }
            let v = match id {
                "387" => "E5",
                "389" => "E7",
                "460" => "E17",
                _ => "E45",
            };
            p.set(EPISODES, r, E_REC, Val::Code(v));
            p.mark(id, EPISODES, r);
            Some(None)
        }
        "390" => {
            let r = p.left()?;
            if !place_is(p.ep(r, E_PLACE), is_foster) || p.age_at(p.ep(r, E_DEC).date()?) >= 17 {
                return None;
            }
            p.set(EPISODES, r, E_REC, Val::Code("E11"));
            p.mark("390", EPISODES, r);
            Some(None)
        }
        "392d" => {
            let r = p.rows(EPISODES).len().checked_sub(1)?;
            if p.ep(r, E_HOME).is_empty() || p.ep(r, E_PLACE) == Val::Code("P1") || !p.free(r) || !p.local(r) {
                return None;
            }
            let home = p.ep(r, E_HOME);
            p.set(EPISODES, r, E_PL_POST, home);
            p.mark("392d", EPISODES, r);
            Some(None)
        }
        "408" => {
            let r = p.pick(EPISODES, |p, r| {
                p.ep(r, E_PLACE) == Val::Code("A6") && p.ep(r, E_RNE) == Val::Code("P")
            })?;
            if r + 1 < p.rows(EPISODES).len() {
                return None;
            }
            p.set(EPISODES, r, E_LS, Val::Code("C2"));
            p.set(EPISODES, r, E_RNE, Val::Code("U"));
            p.mark("408", EPISODES, r);
            Some(None)
        }
        "433" | "501" => {
            let r = p.pick(EPISODES, |p, r| {
                p.x1(r)
                    && !p.v3()
                    && !is_temp(p.ep(r, E_PLACE).code().unwrap_or("T0"))
                    && p.ep(r + 1, E_DECOM)
                        .date()
                        .zip(p.ep(r, E_DECOM).date())
                        .is_some_and(|(n, d)| n > d + 8)
                    && p.ep(r + 1, E_DEC)
                        .date()
                        .zip(p.ep(r + 1, E_DECOM).date())
                        .is_none_or(|(e, d)| e > d + 8)
                    && p.ep(r + 1, E_RNE) != Val::Code("S")
            })?;
            let dec = p.ep(r, E_DEC).date()?;
            if p.rows(MISSING)
                .iter()
                .any(|m| m.v[3].date().is_some_and(|s| (dec - 6..=dec + 6).contains(&s)))
            {
                return None;
            }
            if id == "433" {
                p.set(EPISODES, r, E_DEC, Val::Date(dec - 1));
                p.mark("433", EPISODES, r + 1);
                p.mark("388", EPISODES, r);
            } else {
                p.set(EPISODES, r, E_DEC, Val::Date(dec + 5));
                p.mark("501", EPISODES, r + 1);
                p.mark("433", EPISODES, r + 1);
                p.mark("388", EPISODES, r);
            }
            Some(None)
        }
        "434" | "435" => {
            let n = p.rows(EPISODES).len();
            let r = p.pick(EPISODES, |p, r| {
                let temp = |r: usize| p.ep(r, E_PLACE).code().is_none_or(is_temp);
                r > 0
                    && p.ep(r, E_RNE) == Val::Code("L")
                    && !temp(r)
                    && (r + 1 >= n || (p.ep(r + 1, E_RNE) != Val::Code("L") && !temp(r + 1)))
            })?;
            if id == "434" {
                // In the same area, so the local authority of placement stays as it was.
                let was = p.post(r, E_PL_POST);
                let post = Post::other_than(p.rng, was.map_or(NORTHFIELD, Post::area), was);
                p.set(EPISODES, r, E_PL_POST, Val::Post(post));
                p.mark("434", EPISODES, r);
            } else {
                p.set(EPISODES, r, E_RNE, Val::Code("P"));
                p.mark("435", EPISODES, r);
                if r > 0 && p.ep(r - 1, E_REASON).is_empty() && !is_temp(p.ep(r - 1, E_PLACE).code().unwrap_or("T0")) {
                    p.mark("225", EPISODES, r - 1);
                }
            }
            Some(None)
        }
        "436" => {
            let r = p.pick(EPISODES, |p, r| {
                p.ep(r, E_RNE) == Val::Code("P")
                    && !is_temp(p.ep(r, E_PLACE).code().unwrap_or("T0"))
                    && r > 0
                    && !is_temp(p.ep(r - 1, E_PLACE).code().unwrap_or("T0"))
            })?;
            p.set(EPISODES, r, E_RNE, Val::Code("U"));
            p.mark("436", EPISODES, r);
            Some(None)
        }
        "504" => {
            let r = p.rows(EPISODES).len().checked_sub(1)?;
            if r == 0 || p.ep(r - 1, E_REC) != Val::Code("X1") || p.v3() {
                return None;
            }
            let cin = if p.ep(r, E_CIN) == Val::Code("N4") { "N5" } else { "N4" };
            p.set(EPISODES, r, E_CIN, Val::Code(cin));
            p.mark("504", EPISODES, r);
            Some(None)
        }
        "NoE" if p.in_last_year() && has_eps && !p.v3() && p.rows(P4A).is_empty() && p.rows(UASC).is_empty() => {
            let d = p.ep(0, E_DECOM).date()?;
            if d >= ws {
                return None;
            }
            p.before.clear();
            for r in 0..p.rows(EPISODES).len() {
                if p.ep(r, E_DECOM).date().is_some_and(|d| d < ws) {
                    p.mark("NoE", EPISODES, r);
                }
            }
            p.mark("562", EPISODES, 0);
            Some(None)
        }
        "502" | "503A" | "503B" | "503C" | "503D" | "503E" | "503F" if has_eps && !p.v3() => {
            let first = p.ep(0, E_DECOM).date()?;
            let last = p.before.t[EPISODES].len().checked_sub(1)?;
            let open = p.before.t[EPISODES][last];
            if first >= ws || !open.v[E_DEC].is_empty() || open.v[E_DECOM].date() != Some(first) {
                return None;
            }
            let (col, v) = match id {
                "502" => (E_DECOM, Val::Date(first - 1)),
                "503A" => (
                    E_RNE,
                    Val::Code(if open.v[E_RNE] == Val::Code("P") { "T" } else { "P" }),
                ),
                "503B" => (
                    E_LS,
                    Val::Code(if open.v[E_LS] == Val::Code("C2") { "C1" } else { "C2" }),
                ),
                "503C" => (
                    E_CIN,
                    Val::Code(if open.v[E_CIN] == Val::Code("N1") { "N2" } else { "N1" }),
                ),
                "503D" => (
                    E_PLACE,
                    Val::Code(if open.v[E_PLACE] == Val::Code("U6") { "U4" } else { "U6" }),
                ),
                "503E" => (
                    E_PROVIDER,
                    Val::Code(if open.v[E_PROVIDER] == Val::Code("PR4") {
                        "PR5"
                    } else {
                        "PR4"
                    }),
                ),
                _ => (E_URN, p.new_urn(false)),
            };
            p.before.t[EPISODES][last].v[col] = v;
            p.mark(id, EPISODES, 0);
            if id == "502" {
                p.mark("562", EPISODES, 0);
            }
            Some(None)
        }
        // ---- Postcodes ----
        "392c" | "169" | "179" | "392a" if has_eps && !p.v3() && !h.uasc => {
            // A placement in Northfield that rules 1015 and 241 would not miss when its local
            // authority cannot be derived.
            let r = p.pick(EPISODES, |p, r| {
                p.local(r)
                    && p.post(r, E_HOME).is_some()
                    && !place_is(p.ep(r, E_PLACE), |c| matches!(c, "P1" | "K3"))
                    && !p.own_provision(r)
                    && p.free(r)
            })?;
            let (home, pl) = (p.post(r, E_HOME)?, p.post(r, E_PL_POST)?);
            let (v, col, codes): (Post, usize, &[&'static str]) = match id {
                "392c" => (home.mistyped(), E_HOME, &["392c", "392a"]),
                "169" => (pl, E_PL_POST, &["169", "179", "392a", "392b"]),
                "179" => (pl.mistyped(), E_PL_POST, &["392c", "169", "179", "392a"]),
                _ => (
                    Post::ungridded(NORTHFIELD, [1, 4, 7][p.variant % 3]),
                    E_PL_POST,
                    &["392a"],
                ),
            };
            p.set(EPISODES, r, col, if id == "169" { Val::Empty } else { Val::Post(v) });
            for &code in codes {
                p.mark(code, EPISODES, r);
            }
            Some(None)
        }
        "406" if h.uasc && has_eps && !p.rows(UASC).is_empty() => {
            // Not in Scotland, where the distance could be over 350 miles (454).
            let r = p.pick(EPISODES, |p, r| {
                p.ep(r, E_HOME).is_empty()
                    && p.post(r, E_PL_POST)
                        .is_some_and(|q| q.grid().is_some() && q.area() != SCOTLAND)
            })?;
            let pl = p.post(r, E_PL_POST);
            let home = Post::other_than(p.rng, NORTHFIELD, pl);
            p.set(EPISODES, r, E_HOME, Val::Post(home));
            p.mark("406", EPISODES, r);
            Some(None)
        }
        "420" if p.v3() => {
            let r = p.pick(EPISODES, |p, r| p.ep(r, E_PL_POST).is_empty())?;
            let v = Val::Post(Post::random(p.rng));
            p.set(EPISODES, r, E_PL_POST, v);
            p.mark("420", EPISODES, r);
            // A postcode on a short break is also location information (214) and, for Cleanse,
            // what a distance would be derived from (398).
            p.mark("214", EPISODES, r);
            p.mark("398", EPISODES, r);
            Some(None)
        }
        "454" if has_eps && !p.v3() && !h.uasc => {
            let r = p.pick(EPISODES, |p, r| {
                p.local(r) && place_is(p.ep(r, E_PLACE), is_foster) && p.post(r, E_HOME).is_some() && p.free(r)
            })?;
            let home = p.post(r, E_HOME)?;
            let far = (0..100)
                .map(|_| Post::within(p.rng, SCOTLAND))
                .find(|&q| miles(home, q).is_some_and(|m| m > 351.0))?;
            p.set(EPISODES, r, E_PL_POST, Val::Post(far));
            // Outside England: no Ofsted URN (243).
            p.set(EPISODES, r, E_URN, Val::Empty);
            p.mark("454", EPISODES, r);
            Some(None)
        }
        "1015" | "241" | "243" if has_eps && !p.v3() => {
            let r = p.pick(EPISODES, |p, r| {
                let place = p.ep(r, E_PLACE);
                let sc = matches!(p.ep(r, E_URN), Val::Urn(Urn::Sc(_)));
                p.local(r)
                    && p.free(r)
                    && match id {
                        "1015" => p.own_provision(r),
                        "241" => place == Val::Code("K3") && sc,
                        _ => place_is(place, |c| is_foster(c) || c == "K2") && sc && !p.own_provision(r),
                    }
            })?;
            let area = match id {
                "243" => WALES,
                _ => [EASTMOOR, SOUTHDALE, KINGSHOLM][p.variant % 3],
            };
            let v = Val::Post(Post::within(p.rng, area));
            p.set(EPISODES, r, E_PL_POST, v);
            p.mark(id, EPISODES, r);
            Some(None)
        }
        "218" if has_eps => {
            let r = p.pick(EPISODES, |p, r| {
                place_is(p.ep(r, E_PLACE), needs_urn)
                    && matches!(p.ep(r, E_URN), Val::Urn(_))
                    && p.post(r, E_PL_POST).is_some_and(Post::england)
                    && p.free(r)
            })?;
            p.set(EPISODES, r, E_URN, Val::Empty);
            p.mark("218", EPISODES, r);
            Some(None)
        }
        "503G" | "503H" | "503J" if has_eps && !p.v3() && !h.uasc => {
            // Last year's open episode is this year's first; only last year's copy changes.
            let first = p.ep(0, E_DECOM).date()?;
            let last = p.before.t[EPISODES].len().checked_sub(1)?;
            let open = p.before.t[EPISODES][last];
            if first >= ws || !open.v[E_DEC].is_empty() || open.v[E_DECOM].date() != Some(first) {
                return None;
            }
            let (Val::Post(home), Val::Post(now)) = (open.v[E_HOME], p.ep(0, E_PL_POST)) else {
                return None;
            };
            let away = [EASTMOOR, SOUTHDALE, KINGSHOLM];
            let area = match id {
                "503G" => now.area(),
                "503H" if now.england() && !now.local() => {
                    let others: Vec<usize> = away.into_iter().filter(|&a| a != now.area()).collect();
                    others[p.variant % others.len()]
                }
                "503J" if now.local() => away[p.variant % away.len()],
                "503J" if now.england() => NORTHFIELD,
                _ => return None,
            };
            // At least half a mile nearer or further, so the distances differ too.
            let d = miles(home, now)?;
            let then = (0..50).map(|_| Post::within(p.rng, area)).find(|&q| {
                miles(home, q).is_some_and(|m| (m - d).abs() >= 0.5) && (q.la() == now.la()) == (id == "503G")
            })?;
            p.before.t[EPISODES][last].v[E_PL_POST] = Val::Post(then);
            let codes: &[&'static str] = match id {
                "503G" => &["453", "503G"],
                "503H" => &["452", "453", "503G", "503H"],
                _ => &["452", "453", "503G", "503H", "503J"],
            };
            for &code in codes {
                p.mark(code, EPISODES, 0);
            }
            Some(None)
        }
        // ---- Reviews ----
        "166" | "167" => {
            let r = p.pick(REVIEWS, |_, _| true)?;
            if id == "166" {
                let d = p.rows(REVIEWS)[r].v[2].date()?;
                p.set(REVIEWS, r, 2, iso(d));
            } else {
                p.set(REVIEWS, r, 3, Val::Code("PN8"));
            }
            p.mark(id, REVIEWS, r);
            Some(None)
        }
        "440" | "441" => {
            let (want, other) = if id == "440" { ("PN0", false) } else { ("PN1", true) };
            let b4 = h.b(4);
            let r = p.pick(REVIEWS, |p, r| {
                let d = p.rows(REVIEWS)[r].v[2].date().unwrap_or(0);
                if other { d < b4 - 30 } else { d > b4 + 30 }
            })?;
            p.set(REVIEWS, r, 3, Val::Code(want));
            p.mark(id, REVIEWS, r);
            Some(None)
        }
        "INT17" => p.dob_differs(REVIEWS, "INT17"),
        "1012" if !has_eps && !p.rows(OC3).is_empty() => {
            let mut r = Row { v: [Val::Empty; 13] };
            r.v[..4].copy_from_slice(&[p.child(), Val::Date(h.dob), Val::Date(ws + 100), Val::Code("PN1")]);
            p.now.t[REVIEWS].push(r);
            p.mark("1012", REVIEWS, 0);
            Some(None)
        }
        // ---- UASC ----
        "104" | "304" if p.is_starter() && !p.rows(UASC).is_empty() => {
            let v = if id == "104" { ws - 30 } else { h.b(18) + 30 };
            p.set(UASC, 0, 3, Val::Date(v));
            p.mark(id, UASC, 0);
            Some(None)
        }
        "INT18" if !p.rows(UASC).is_empty() => p.dob_differs(UASC, "INT18"),
        "INT21" if !p.rows(UASC).is_empty() => {
            let other = if h.sex == "M" { "F" } else { "M" };
            p.set(UASC, 0, 1, Val::Code(other));
            p.mark("INT21", UASC, 0);
            Some(None)
        }
        "205B" if !p.rows(UASC).is_empty() && !p.before.t[UASC].is_empty() => {
            let d = p.before.t[UASC][0].v[3].date()?;
            p.before.t[UASC][0].v[3] = Val::Date(d - 1);
            p.mark("205B", UASC, 0);
            p.mark("205B", HEADER, 0);
            Some(None)
        }
        "205D" if !p.rows(UASC).is_empty() && !p.before.t[UASC].is_empty() => {
            p.before.t[UASC].clear();
            p.mark("205D", HEADER, 0);
            Some(None)
        }
        // ---- OC2 ----
        "180" | "181" | "196" | "197a" | "186" | "157" | "INT14" | "INT33" | "188" | "189" | "192" | "193" | "158"
        | "159" | "542" | "543" | "545" | "546" | "191"
            if !p.rows(OC2).is_empty() =>
        {
            oc2(id, p)
        }
        "185" if p.rows(OC2).is_empty() && has_eps && !p.v3() && p.is_starter() => {
            let mut r = Row { v: [Val::Empty; 13] };
            r.v[..12].copy_from_slice(&[
                p.child(),
                Val::Date(h.dob),
                Val::Int(12),
                Val::Empty,
                Val::Empty,
                Val::Empty,
                Val::Code("1"),
                Val::Code("1"),
                Val::Code("1"),
                Val::Code("0"),
                Val::Empty,
                Val::Empty,
            ]);
            if p.age_at(we) < 10 || p.age_at(we) > 15 {
                return None;
            }
            r.v[4] = Val::Code("0");
            p.now.t[OC2].push(r);
            p.mark("185", OC2, 0);
            p.mark("190", OC2, 0);
            Some(None)
        }
        // ---- OC3 ----
        "131" | "132" | "133" | "153" | "344" | "345" | "3001" | "INT15" | "INT34" | "348"
            if !p.rows(OC3).is_empty() =>
        {
            let in_touch = p.rows(OC3)[0].v[2];
            match id {
                "131" => p.set(OC3, 0, 2, Val::Code("Y")),
                "132" => p.set(OC3, 0, 3, Val::Code("F3")),
                "133" => p.set(OC3, 0, 4, Val::Code("Z")),
                "153" => {
                    p.set(OC3, 0, 3, Val::Empty);
                    p.mark("132", OC3, 0);
                }
                "344" => {
                    p.set(OC3, 0, 2, Val::Code("RHOM"));
                    p.set(OC3, 0, 3, Val::Code("F2"));
                }
                "345" if in_touch == Val::Code("YES") => p.set(OC3, 0, 4, Val::Code("0")),
                "3001" if in_touch == Val::Code("YES") && h.b(17) >= ws && h.b(17) <= we => {
                    p.set(OC3, 0, 4, Val::Code("Z1"));
                }
                "INT15" => return p.dob_differs(OC3, "INT15"),
                "INT34" => return p.duplicate(OC3, "INT34"),
                "348" if !p.before.t[OC3].is_empty() && in_touch == Val::Code("YES") => {
                    p.before.t[OC3][0].v[2..5].copy_from_slice(&[Val::Code("DIED"), Val::Code("0"), Val::Code("0")]);
                }
                _ => return None,
            }
            p.mark(id, OC3, 0);
            Some(None)
        }
        // ---- AD1 ----
        "112" | "113" | "114" | "151" | "175" | "176" | "177" | "511" | "514" | "517" | "518" | "519" | "520"
        | "524" | "331" | "335" | "523" | "INT11"
            if !p.rows(AD1).is_empty() =>
        {
            ad1(id, p)
        }
        // ---- Placed for adoption ----
        "115" | "120" | "119" | "INT12" | "560" if !p.rows(P4A).is_empty() => {
            match id {
                "115" => {
                    // A decision of this year (last year's, compared as text, would differ too).
                    let d = p.rows(P4A)[0].v[2].date().filter(|&d| d >= p.ctx.this.start)?;
                    p.set(P4A, 0, 2, iso(d));
                }
                "120" | "119" => {
                    let r = p.pick(P4A, |p, r| !p.rows(P4A)[r].v[3].is_empty())?;
                    if id == "120" {
                        p.set(P4A, r, 4, Val::Code("RD5"));
                    } else {
                        p.set(P4A, r, 4, Val::Empty);
                    }
                    p.mark(id, P4A, r);
                    return Some(None);
                }
                "INT12" => return p.dob_differs(P4A, "INT12"),
                _ => {
                    let b = p.before.t[P4A].first()?;
                    if !b.v[3].is_empty() || b.v[2] != p.rows(P4A)[0].v[2] {
                        return None;
                    }
                    let d = b.v[2].date()?;
                    p.before.t[P4A][0].v[2] = Val::Date(d + 7);
                }
            }
            p.mark(id, P4A, 0);
            Some(None)
        }
        "553" if !p.rows(P4A).is_empty() && p.rows(AD1).is_empty() => {
            let e1: Vec<usize> = (0..p.rows(EPISODES).len())
                .filter(|&r| p.ep(r, E_LS) == Val::Code("E1"))
                .collect();
            if e1.is_empty() || p.rows(EPISODES).iter().any(|e| place_is(e.v[E_PLACE], is_adoption)) {
                return None;
            }
            p.now.t[P4A].clear();
            for r in e1 {
                p.mark("553", EPISODES, r);
            }
            Some(None)
        }
        "559" if !p.rows(P4A).is_empty() && !p.before.t[P4A].is_empty() => {
            if p.rows(P4A)[0].v[2].date()? >= ws {
                return None;
            }
            p.before.t[P4A].clear();
            p.mark("559", P4A, 0);
            Some(None)
        }
        // ---- Previous permanence ----
        "631" | "633" | "635" | "630" | "632" | "INT16" | "INT35" if !p.rows(PREV_PERM).is_empty() && !p.v3() => {
            let s = (0..p.rows(EPISODES).len()).find(|&r| p.ep(r, E_RNE) == Val::Code("S"))?;
            let decom = p.ep(s, E_DECOM).date()?;
            match id {
                "631" => {
                    p.set(PREV_PERM, 0, 2, Val::Code("P5"));
                    p.set(PREV_PERM, 0, 3, Val::Code("931"));
                    p.set(PREV_PERM, 0, 4, Val::Date(decom - 400));
                }
                "633" => {
                    p.set(PREV_PERM, 0, 2, Val::Code("P2"));
                    p.set(PREV_PERM, 0, 3, Val::Code("123"));
                    p.set(PREV_PERM, 0, 4, Val::Date(decom - 400));
                }
                "635" => {
                    p.set(PREV_PERM, 0, 2, Val::Empty);
                    p.set(PREV_PERM, 0, 3, Val::Code("931"));
                    p.mark("630", EPISODES, s);
                }
                "630" => {
                    p.now.t[PREV_PERM].clear();
                    p.mark("630", EPISODES, s);
                    return Some(None);
                }
                "632" => {
                    p.set(PREV_PERM, 0, 2, Val::Code("P3"));
                    p.set(PREV_PERM, 0, 3, Val::Code("931"));
                    p.set(PREV_PERM, 0, 4, Val::Date(decom + 3));
                    p.mark("632", EPISODES, s);
                }
                "INT16" => return p.dob_differs(PREV_PERM, "INT16"),
                _ => return p.duplicate(PREV_PERM, "INT35"),
            }
            p.mark(id, PREV_PERM, 0);
            Some(None)
        }
        // ---- Missing ----
        "565" | "567" | "1004" | "1005" | "1006" | "INT13" | "571" | "575" | "574" | "INT04"
            if !p.rows(MISSING).is_empty() =>
        {
            missing(id, p)
        }
        // ---- Social workers ----
        "SW02STG1" | "SW05STG1" | "SW06STG2" | "SW09STG2" | "SW13STG1" | "SW17STG2" | "SW18STG2" | "SW19STG2"
            if !p.rows(SW).is_empty() =>
        {
            sw(id, p)
        }
        _ => None,
    }
}

fn oc2(id: &'static str, p: &mut Patch) -> Option<Option<&'static str>> {
    let (ws, we) = (p.ctx.this.start, p.ctx.this.end);
    let row = p.rows(OC2)[0];
    let (b4, b5, b10, b17) = (p.h.b(4), p.h.b(5), p.h.b(10), p.h.b(17));
    let sdq_age = b4 <= ws && b17 > we;
    let misuse = row.v[9];
    match id {
        "180" if !row.v[2].is_empty() => p.set(OC2, 0, 2, Val::Int(45)),
        "181" => p.set(OC2, 0, 6, Val::Code("Y")),
        "196" if !row.v[3].is_empty() => p.set(OC2, 0, 3, Val::Code("SDQ6")),
        "197a" if !row.v[2].is_empty() => p.set(OC2, 0, 3, Val::Code("SDQ2")),
        "186" if sdq_age && b4 < ws - 365 && !row.v[2].is_empty() => p.set(OC2, 0, 2, Val::Empty),
        "157" if sdq_age && add_years(p.h.dob, 16) >= we && !row.v[2].is_empty() => {
            p.set(OC2, 0, 2, Val::Empty);
            p.set(OC2, 0, 3, Val::Code("SDQ1"));
        }
        "188" if b4 > we => p.set(OC2, 0, 2, Val::Int(10)),
        "189" if b17 < ws => p.set(OC2, 0, 2, Val::Int(10)),
        "192" if misuse == Val::Code("1") => {
            p.set(OC2, 0, 10, Val::Empty);
            p.set(OC2, 0, 11, Val::Empty);
        }
        "193" if misuse == Val::Code("0") => p.set(OC2, 0, 11, Val::Code("1")),
        "158" if row.v[10] == Val::Code("1") => p.set(OC2, 0, 11, Val::Code("0")),
        "159" if row.v[10] == Val::Code("0") => p.set(OC2, 0, 11, Val::Empty),
        "542" if b10 > we + 30 => p.set(OC2, 0, 4, Val::Code("0")),
        "543" if b10 < we - 30 => p.set(OC2, 0, 4, Val::Empty),
        "545" if b5 > we + 30 => p.set(OC2, 0, 5, Val::Empty),
        "546" if b5 < we - 30 => p.set(OC2, 0, 5, Val::Code("1")),
        "INT14" => return p.dob_differs(OC2, "INT14"),
        "INT33" => return p.duplicate(OC2, "INT33"),
        "191" => {
            if !continuously_looked_after(p.rows(EPISODES), p.ctx.this) {
                return None;
            }
            p.now.t[OC2].clear();
            p.mark("191", EPISODES, 0);
            return Some(None);
        }
        _ => return None,
    }
    p.mark(id, OC2, 0);
    Some(None)
}

fn ad1(id: &'static str, p: &mut Patch) -> Option<Option<&'static str>> {
    let row = p.rows(AD1)[0];
    let adopted = (0..p.rows(EPISODES).len()).find(|&r| matches!(p.ep(r, E_REC), Val::Code("E11" | "E12")))?;
    let placed = p.ep(adopted, E_DECOM).date()?;
    let set_adopters = |p: &mut Patch, nb: &'static str, sex: &'static str, ls: &'static str| {
        p.set(AD1, 0, 5, Val::Code(nb));
        p.set(AD1, 0, 6, Val::Code(sex));
        p.set(AD1, 0, 7, Val::Code(ls));
    };
    match id {
        "112" => {
            p.set(AD1, 0, 2, iso(row.v[2].date()?));
            // Matched with no (readable) decision date.
            p.mark("333", AD1, 0);
        }
        "113" => {
            let d = nd(row.v[3].date()?);
            use chrono::Datelike;
            if d.day() <= 12 {
                return None;
            }
            p.set(
                AD1,
                0,
                3,
                Val::raw(&format!("{:02}/{:02}/{}", d.month(), d.day(), d.year())),
            );
        }
        "114" => p.set(AD1, 0, 4, Val::Code("2")),
        "151" => {
            p.set(AD1, 0, 5, Val::Empty);
            p.mark("601", AD1, 0);
            p.mark("601", EPISODES, adopted);
        }
        "175" => p.set(AD1, 0, 5, Val::Code("3")),
        "176" => {
            // Not a code, so it fits none of the adopters' legal statuses either.
            let by_ls = match row.v[7].code()? {
                "L0" => "514",
                "L11" => "520",
                "L12" => "524",
                "L2" => "519",
                "L3" => "517",
                _ => "518",
            };
            p.set(AD1, 0, 6, Val::Code("FM"));
            p.mark(by_ls, AD1, 0);
        }
        "177" => p.set(AD1, 0, 7, Val::Code("L1")),
        "511" => set_adopters(p, "2", "F1", "L0"),
        "514" => set_adopters(p, "1", "MF", "L0"),
        "517" => set_adopters(p, "2", "MM", "L3"),
        "518" => set_adopters(p, "2", "MF", "L4"),
        "519" => set_adopters(p, "1", "M1", "L2"),
        "520" => set_adopters(p, "2", "FF", "L11"),
        "524" => set_adopters(p, "2", "MF", "L12"),
        "331" => {
            p.set(AD1, 0, 3, Val::Date(placed + 5));
            p.mark("331", EPISODES, adopted);
        }
        "335" => {
            if p.ep(adopted, E_PLACE) != Val::Code("A5") {
                return None;
            }
            p.set(AD1, 0, 4, Val::Code("0"));
            p.mark("335", EPISODES, adopted);
        }
        "523" => {
            let r = p.rows(P4A).len().checked_sub(1)?;
            let d = p.rows(P4A)[r].v[2].date()?;
            p.set(AD1, 0, 2, Val::Date(d + 1));
            p.mark("523", P4A, r);
        }
        "INT11" => return p.dob_differs(AD1, "INT11"),
        _ => return None,
    }
    p.mark(id, AD1, 0);
    Some(None)
}

fn missing(id: &'static str, p: &mut Patch) -> Option<Option<&'static str>> {
    let we = p.ctx.this.end;
    let n = p.rows(MISSING).len();
    // An unreadable end reads as still missing to the DfE: only where the child is still looked
    // after, and on the last (or 574, 575 and 577 follow).
    let open = p.rows(EPISODES).last().is_some_and(|e| e.v[E_DEC].is_empty());
    let r = p.pick(MISSING, |p, r| {
        !p.rows(MISSING)[r].v[4].is_empty() && (id != "1005" || (r + 1 == n && open))
    })?;
    let (start, end) = (p.rows(MISSING)[r].v[3].date()?, p.rows(MISSING)[r].v[4].date()?);
    match id {
        "565" => {
            p.set(MISSING, r, 2, Val::Empty);
            p.mark("566", MISSING, r);
        }
        "567" => {
            if end == start {
                return None;
            }
            p.set(MISSING, r, 3, Val::Date(end));
            p.set(MISSING, r, 4, Val::Date(start));
        }
        "1004" => p.set(MISSING, r, 3, iso(start)),
        "1005" => p.set(MISSING, r, 4, impossible(end)),
        "1006" => p.set(MISSING, r, 2, Val::Code("X")),
        "INT13" => p.set(MISSING, r, 1, Val::Date(p.h.dob + 1)),
        "571" => {
            // Found after the end of the year: only where the child is looked after beyond it.
            let last = p.rows(EPISODES).last()?;
            if r + 1 != p.rows(MISSING).len() || !last.v[E_DEC].is_empty() || last.v[E_DECOM].date()? > start {
                return None;
            }
            p.set(MISSING, r, 4, Val::Date(we + 3));
        }
        "575" => {
            let ended = p.rows(EPISODES).iter().any(|e| {
                e.v[E_DECOM].date().is_some_and(|d| d <= start) && e.v[E_DEC].date().is_some_and(|d| start <= d)
            });
            if !ended || r + 1 != p.rows(MISSING).len() || !p.rows(EPISODES).last()?.v[E_DEC].is_empty() {
                return None;
            }
            p.set(MISSING, r, 4, Val::Empty);
        }
        "574" => {
            let prev = p.rows(MISSING).get(r.checked_sub(1)?)?;
            let (prev_start, prev_end) = (prev.v[3].date()?, prev.v[4].date()?);
            if prev_end < prev_start + 2 {
                return None;
            }
            p.set(MISSING, r, 3, Val::Date(prev_end - 1));
        }
        "INT04" => {
            let child = p.invent();
            p.set(MISSING, r, 0, child);
            p.mark("INT04", MISSING, r);
            p.mark("1012", MISSING, r);
            return Some(None);
        }
        _ => return None,
    }
    p.mark(id, MISSING, r);
    Some(None)
}

fn sw(id: &'static str, p: &mut Patch) -> Option<Option<&'static str>> {
    let (ws, we) = (p.ctx.this.start, p.ctx.this.end);
    let n = p.rows(SW).len();
    let last = n - 1;
    match id {
        "SW02STG1" => {
            let r = p.pick(SW, |_, _| true)?;
            let Val::Sw(num) = p.rows(SW)[r].v[2] else { return None };
            p.set(SW, r, 2, Val::Int(i64::from(num)));
            p.mark(id, SW, r);
        }
        "SW05STG1" | "SW18STG2" | "SW09STG2" => {
            let r = p.pick(SW, |p, r| {
                p.rows(SW)[r].v[4].date().is_some_and(|d| d > ws && d < we - 10)
            })?;
            let (start, end) = (p.rows(SW)[r].v[3].date()?, p.rows(SW)[r].v[4].date()?);
            let v = match id {
                "SW05STG1" => impossible(end),
                "SW18STG2" => {
                    if start < ws {
                        return None;
                    }
                    Val::Date(start)
                }
                _ => {
                    if start < ws || start + 1 >= end {
                        return None;
                    }
                    Val::Date(start + 1)
                }
            };
            p.set(SW, r, 4, v);
            p.mark(id, SW, r);
            if id == "SW18STG2" {
                p.mark("SW09STG2", SW, r);
            }
            // The next episode no longer starts within a week of this one's end.
            p.mark("SW10STG2", SW, r + 1);
            p.mark("SW10aSTG2", SW, r + 1);
        }
        "SW13STG1" => {
            let r = p.pick(SW, |p, r| p.rows(SW)[r].v[5] != Val::Code("FCONTA"))?;
            p.set(SW, r, 5, Val::Empty);
            p.mark(id, SW, r);
        }
        "SW06STG2" => {
            if n < 2 || !p.rows(SW)[last].v[4].is_empty() {
                return None;
            }
            let prev = p.rows(SW)[last - 1].v[4].date()?;
            if prev < we - 60 {
                return None;
            }
            // The next social worker's start keyed in early.
            let mut r = p.rows(SW)[last];
            r.v[3] = Val::Date(we + 3);
            r.v[5] = Val::Code("LEFTRL");
            p.now.t[SW][last].v[4] = Val::Date(we - 2);
            p.now.t[SW].push(r);
            p.mark(id, SW, last + 1);
            p.mark("SW11bSTG2", SW, last);
        }
        "SW17STG2" => {
            let start = p.rows(SW)[last].v[3].date()?;
            if start > we - 40 || !p.rows(EPISODES).last()?.v[E_DEC].is_empty() {
                return None;
            }
            p.set(SW, last, 4, Val::Date(we - 20));
            p.mark(id, SW, last);
        }
        "SW19STG2" => {
            // A closed episode written twice: the copy also starts long before its
            // predecessor (the original) ended (SW10, or SW10b for a first contact).
            let r = p.pick(SW, |p, r| {
                let s = p.rows(SW)[r];
                s.v[4].date().zip(s.v[3].date()).is_some_and(|(e, d)| e > d + 8)
            })?;
            let copy = p.rows(SW)[r];
            p.now.t[SW].insert(r + 1, copy);
            p.mark(id, SW, r + 1);
            if copy.v[5] == Val::Code("FCONTA") {
                p.mark("SW10bSTG2", SW, r + 1);
            } else {
                p.mark("SW10STG2", SW, r + 1);
                p.mark("SW10aSTG2", SW, r + 1);
            }
        }
        _ => return None,
    }
    Some(None)
}
