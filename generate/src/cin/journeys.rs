//! One child's record in the census: who they are, and their episodes of need as the census
//! year sees them, rebuilt in place for each child (no allocation once the buffers have grown).
//!
//! Two kinds of child make the census. About 43% were already in need on 1 April: their
//! referral is up to four years earlier and the year opens on a child in need plan, a child
//! protection plan (with the conference date, which came before the year, on the episode in
//! most cases), an assessment about to be authorised, or services with no plan (a child looked
//! after, say). The rest are referred during the year (2% of them before they are born). A
//! referral leads to no further action (9%: closed that day, RC7, or left open, with no
//! assessment), or to an assessment within days, authorised within 45 working days; from it a
//! section 47 enquiry (about a quarter), the case closed after assessment (RC8, RC9), a child in
//! need plan, or services then closure. An enquiry's initial conference is due 15 working days
//! after it starts and held by then nine times in ten, on a working day; most conferences start
//! a child protection plan that day, reviewed within three months and then every six, ending at
//! a review and often stepping down to a child in need plan from the next working day. A child in
//! need plan ends on the day a protection plan starts, so the two never run together. Three
//! times in ten a child whose case closed is referred again later in the year.
//!
//! Only the year's activity is returned, as the DfE requires: assessments authorised in the
//! year or open at its end, enquiries started in it, plans open during it, closures in it.
//! Whatever is still open on 31 March started recently enough not to be queried (an assessment
//! within 40 working days, an enquiry within 14). A case closes only when its assessments are
//! authorised and its enquiries concluded, on or after everything recorded in it. Children are
//! 17 or under on 31 March, so no one turns 18 during the year; about one in a thousand dies
//! during it, closing the case that day (RC2).
//!
//! A school-age child has a UPN (93%) or a reason there is none (UN2 to UN5); a younger child
//! mostly UN1 ("not of school age", as for the unborn), and UN7 is used only for a child
//! referred with no further action alone.

use crate::ids::IdScheme;
use crate::render::Day;
use crate::rng::Rng;

use super::calendar::{Calendar, Window};
use super::codes::{self, Few};
use super::{SALT_CHILD, SALT_IDS};

/// What every child's record is built from.
pub(crate) struct Ctx {
    pub(crate) seed: u64,
    pub(crate) children: usize,
    pub(crate) w: Window,
    pub(crate) cal: Calendar,
    ids: IdScheme,
}

impl Ctx {
    pub(crate) fn new(seed: u64, children: usize, year: i32) -> Option<Ctx> {
        Some(Ctx {
            seed,
            children,
            w: Window::of(year)?,
            cal: Calendar::new(year),
            ids: IdScheme::new(children, seed ^ SALT_IDS),
        })
    }

    /// The `i`-th child's id number (`NF` and at least six digits in the census).
    pub(crate) fn id(&self, i: usize) -> u32 {
        self.ids.num(i as u64)
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Assessment {
    pub(crate) start: Day,
    pub(crate) review: Option<Day>,
    pub(crate) auth: Option<Day>,
    pub(crate) factors: Few<&'static str, 6>,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Plan {
    pub(crate) start: Day,
    pub(crate) end: Option<Day>,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct S47 {
    pub(crate) start: Day,
    pub(crate) target: Option<Day>,
    pub(crate) icpc: Option<Day>,
    pub(crate) not_required: bool,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cpp {
    pub(crate) start: Day,
    pub(crate) end: Option<Day>,
    pub(crate) initial: &'static str,
    pub(crate) latest: &'static str,
    pub(crate) previous: u32,
    pub(crate) reviews: Few<Day, 8>,
}

/// One episode of need (`CINdetails`), referral to closure.
#[derive(Debug, Default)]
pub(crate) struct Episode {
    pub(crate) referral: Day,
    pub(crate) source: &'static str,
    pub(crate) need: Option<&'static str>,
    pub(crate) closure: Option<Day>,
    pub(crate) reason: Option<&'static str>,
    /// The initial conference recorded on the episode: only for a plan that started before the
    /// year, whose enquiry is not in this return.
    pub(crate) icpc: Option<Day>,
    pub(crate) nfa: bool,
    pub(crate) assessments: Vec<Assessment>,
    pub(crate) plans: Vec<Plan>,
    pub(crate) s47s: Vec<S47>,
    pub(crate) cpps: Vec<Cpp>,
    /// Referred before the census year.
    pub(crate) carried: bool,
}

impl Episode {
    fn reset(&mut self) {
        self.closure = None;
        self.reason = None;
        self.icpc = None;
        self.need = None;
        self.nfa = false;
        self.carried = false;
        self.assessments.clear();
        self.plans.clear();
        self.s47s.clear();
        self.cpps.clear();
    }

    /// Is anything in it still open (an assessment not authorised, an enquiry not concluded, a
    /// plan not ended)?
    pub(crate) fn busy(&self) -> bool {
        self.assessments.iter().any(|a| a.auth.is_none())
            || self.s47s.iter().any(|s| s.icpc.is_none() && !s.not_required)
            || self.plans.iter().any(|p| p.end.is_none())
            || self.cpps.iter().any(|c| c.end.is_none())
    }

    /// The latest date recorded in it (the closure aside).
    pub(crate) fn last_activity(&self) -> Day {
        let mut last = self.referral.max(self.icpc.unwrap_or(Day::MIN));
        for a in &self.assessments {
            last = last
                .max(a.start)
                .max(a.review.unwrap_or(last))
                .max(a.auth.unwrap_or(last));
        }
        for p in &self.plans {
            last = last.max(p.start).max(p.end.unwrap_or(last));
        }
        for s in &self.s47s {
            last = last.max(s.start).max(s.icpc.unwrap_or(last));
        }
        for c in &self.cpps {
            last = last.max(c.start).max(c.end.unwrap_or(last));
            last = last.max(c.reviews.as_slice().iter().copied().max().unwrap_or(last));
        }
        last
    }

    /// Has it only a referral, an assessment and a closure (what RC8 and RC9 may close)?
    pub(crate) fn assessment_only(&self) -> bool {
        !self.assessments.is_empty()
            && self.plans.is_empty()
            && self.s47s.is_empty()
            && self.cpps.is_empty()
            && self.icpc.is_none()
    }
}

/// Everything about one child.
#[derive(Debug, Default)]
pub(crate) struct Child {
    pub(crate) idx: usize,
    pub(crate) id: u32,
    pub(crate) born: Option<Day>,
    pub(crate) expected: Option<Day>,
    pub(crate) sex: &'static str,
    pub(crate) death: Option<Day>,
    pub(crate) upn: Option<[u8; 13]>,
    pub(crate) former_upn: Option<[u8; 13]>,
    pub(crate) upn_unknown: Option<&'static str>,
    pub(crate) ethnicity: &'static str,
    /// Written as a `Disabilities` element only when `has_disabilities`.
    pub(crate) disabilities: Few<&'static str, 6>,
    pub(crate) has_disabilities: bool,
    eps: Vec<Episode>,
    n: usize,
}

impl Child {
    pub(crate) fn episodes(&self) -> &[Episode] {
        &self.eps[..self.n]
    }

    pub(crate) fn episodes_mut(&mut self) -> &mut [Episode] {
        &mut self.eps[..self.n]
    }

    fn next_episode(&mut self) -> &mut Episode {
        if self.n == self.eps.len() {
            self.eps.push(Episode::default());
        }
        self.n += 1;
        let e = &mut self.eps[self.n - 1];
        e.reset();
        e
    }

    /// Are all the child's episodes referrals with no further action?
    pub(crate) fn nfa_only(&self) -> bool {
        self.episodes().iter().all(|e| e.nfa)
    }
}

/// How old children in need are on 31 March (0 to 17), roughly England's shares.
const AGE_W: [u16; 18] = [60, 45, 45, 45, 45, 50, 50, 50, 50, 55, 55, 60, 65, 70, 75, 80, 75, 60];

/// Build the `i`-th child into `c`.
pub(crate) fn build(ctx: &Ctx, i: usize, c: &mut Child) {
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_CHILD);
    let (ws, end) = (ctx.w.start, ctx.w.end);
    c.idx = i;
    c.id = ctx.id(i);
    c.n = 0;
    c.death = None;
    c.former_upn = None;
    c.upn = None;
    c.upn_unknown = None;
    c.disabilities.clear();
    c.has_disabilities = false;

    let carried = rng.chance(430);
    let unborn = !carried && rng.chance(20);
    let mut j = Journey {
        ctx,
        rng: &mut rng,
        cpps_before: 0,
    };
    j.cpps_before = [0, 1, 2, 3][j.rng.weighted(&[780, 160, 45, 15])];
    // When the first referral of the year is, and when the child was (or is expected to be) born.
    let first;
    if unborn {
        let expected = end + 1 + j.rng.days(200);
        first = (expected - 250).max(ws) + j.rng.days(end - (expected - 250).max(ws) + 1);
        c.born = None;
        c.expected = Some(expected);
        c.sex = "U";
    } else {
        let age = j.rng.weighted(&AGE_W) as i32;
        let mut born = add_years(end, -age) - j.rng.days(365);
        if carried {
            // Born before the year (a month at least) to have been referred before it.
            if born > ws - 30 {
                born = ws - 30 - j.rng.days(300);
            }
            first = ws;
        } else {
            let r = ws + j.rng.days(end - ws + 1);
            first = if born <= r + 150 {
                r
            } else {
                born + j.rng.days(end - born + 1)
            };
        }
        c.born = Some(born);
        c.expected = None;
        c.sex = match j.rng.below(1000) {
            0..3 => "U",
            3..523 => "M",
            _ => "F",
        };
    }
    c.ethnicity = codes::ETHNICITY[j.rng.weighted(&codes::ETHNICITY_W)];

    // The episodes, one after another.
    let mut free = if carried {
        let born = c.born.expect("carried children are born");
        let e = c.next_episode();
        j.carried(e, born)
    } else {
        let e = c.next_episode();
        j.fresh(e, first)
    };
    while let Some(f) = free {
        if c.n >= 4 || !j.rng.chance(300) {
            break;
        }
        let r = f + 14 + j.rng.days(240);
        if r > end {
            break;
        }
        let e = c.next_episode();
        free = j.fresh(e, r);
    }
    if c.born.is_some() && j.rng.chance(2) {
        die(ctx, &mut rng, c);
    }
    identifiers(ctx, &mut rng, c);
}

/// `d` plus `n` whole years (29 February becomes 28 February).
pub(crate) fn add_years(d: Day, n: i32) -> Day {
    use chrono::Months;
    let date = crate::render::nd(d);
    let moved = if n >= 0 {
        date.checked_add_months(Months::new(12 * n as u32))
    } else {
        date.checked_sub_months(Months::new(12 * n.unsigned_abs()))
    };
    crate::render::day(moved.expect("generated dates stay within chrono's range"))
}

/// Is a child born on `born` of school age as the DfE's query 8770Q counts it: born on or
/// before 31 August six years before the 31 August after the reference date?
pub(crate) fn school_age(ctx: &Ctx, born: Day) -> bool {
    let aug31 = crate::render::day(chrono::NaiveDate::from_ymd_opt(ctx.w.year + 1, 8, 31).expect("31 August exists"));
    born <= add_years(aug31, -6)
}

/// The child dies during the year, if their last case is open with nothing waiting on an
/// assessment or enquiry: the case closes that day (RC2) and its plans end.
fn die(ctx: &Ctx, rng: &mut Rng, c: &mut Child) {
    let end = ctx.w.end;
    let Some(e) = c.episodes().last() else {
        return;
    };
    let waiting =
        e.assessments.iter().any(|a| a.auth.is_none()) || e.s47s.iter().any(|s| s.icpc.is_none() && !s.not_required);
    // In the year, after everything recorded in the case.
    let last = e.last_activity().max(ctx.w.start - 1);
    if e.closure.is_some() || e.nfa || waiting || last >= end {
        return;
    }
    let died = last + 1 + rng.days(end - last);
    let e = c.episodes_mut().last_mut().expect("checked above");
    for p in &mut e.plans {
        p.end.get_or_insert(died);
    }
    for cp in &mut e.cpps {
        cp.end.get_or_insert(died);
    }
    e.closure = Some(died);
    e.reason = Some("RC2");
    c.death = Some(died);
}

/// UPN (or why not), former UPN and disabilities, which depend on age and the episodes.
fn identifiers(ctx: &Ctx, rng: &mut Rng, c: &mut Child) {
    let school_age = c.born.is_some_and(|b| school_age(ctx, b));
    let nfa_only = c.nfa_only();
    let upn = codes::upn(ctx.seed, c.idx as u64);
    match c.born {
        None => c.upn_unknown = Some("UN1"),
        Some(_) if school_age => {
            match rng.below(1000) {
                0..930 => c.upn = Some(upn),
                930..950 => c.upn_unknown = Some("UN2"),
                950..960 => c.upn_unknown = Some("UN3"),
                960..980 => c.upn_unknown = Some("UN4"),
                _ => c.upn_unknown = Some("UN5"),
            }
            if c.upn.is_some() && rng.chance(10) {
                c.former_upn = Some(codes::upn(ctx.seed ^ 0x464F_524D, c.idx as u64));
            }
        }
        Some(_) => {
            if rng.chance(250) {
                c.upn = Some(upn);
            } else {
                c.upn_unknown = Some("UN1");
            }
        }
    }
    if nfa_only && c.upn.is_none() && rng.chance(300) {
        c.upn_unknown = Some("UN7");
    }
    // Disabilities: required for a child born and referred on (8540); often left out after a
    // referral with no further action, never for the unborn.
    if c.born.is_some() && (!nfa_only || rng.chance(500)) {
        c.has_disabilities = true;
        if nfa_only || rng.chance(820) {
            c.disabilities.push("NONE");
        } else {
            let n = 1 + rng.weighted(&[60, 28, 12]);
            while c.disabilities.len() < n {
                let d = codes::DISABILITY[rng.weighted(&codes::DISABILITY_W)];
                if !c.disabilities.as_slice().contains(&d) {
                    c.disabilities.push(d);
                }
            }
        }
    }
}

/// The state of one child's journey while it is built.
struct Journey<'a> {
    ctx: &'a Ctx,
    rng: &'a mut Rng,
    /// Protection plans the child has had so far (NumberOfPreviousCPP of the next).
    cpps_before: u32,
}

impl Journey<'_> {
    fn end(&self) -> Day {
        self.ctx.w.end
    }

    fn source(&mut self) -> &'static str {
        codes::REFERRAL_SOURCE[self.rng.weighted(&codes::REFERRAL_SOURCE_W)]
    }

    fn need(&mut self) -> &'static str {
        codes::PRIMARY_NEED[self.rng.weighted(&codes::PRIMARY_NEED_W)]
    }

    fn reason(&mut self) -> &'static str {
        codes::CLOSURE[self.rng.weighted(&codes::CLOSURE_W)]
    }

    /// A referral during the year, and what follows. Returns the day after which the child may
    /// be referred again (the closure, or the day of a referral with no further action), or
    /// `None` if the case is still open at the end of the year.
    fn fresh(&mut self, e: &mut Episode, r: Day) -> Option<Day> {
        e.referral = r;
        e.source = self.source();
        if self.rng.chance(90) {
            e.nfa = true;
            if self.rng.chance(700) {
                e.closure = Some(r);
                e.reason = Some("RC7");
            }
            return Some(r);
        }
        e.need = Some(self.need());
        let a = r + [0, 1, 2, 3, 5, 8][self.rng.weighted(&[45, 20, 12, 10, 8, 5])];
        if a > self.end() {
            return None;
        }
        self.assess(e, a);
        self.after_assessment(e, a)
    }

    /// An assessment starting on `a`: authorised within 5 to 60 working days, or open at the
    /// end of the year if it started within 40 working days of it.
    fn assess(&mut self, e: &mut Episode, a: Day) -> Option<Day> {
        let end = self.end();
        let cal = &self.ctx.cal;
        let wd = match self.rng.weighted(&[25, 40, 30, 5]) {
            0 => 5 + self.rng.days(10),
            1 => 15 + self.rng.days(15),
            2 => 30 + self.rng.days(15),
            _ => 45 + self.rng.days(15),
        };
        let mut auth = Some(cal.add(a, wd));
        if auth > Some(end) {
            auth = if a >= cal.add(end, -40) {
                None
            } else {
                Some(cal.on_or_before(end).max(a))
            };
        }
        let mut x = Assessment {
            start: a,
            review: None,
            auth,
            factors: Few::default(),
        };
        if let Some(au) = auth {
            codes::factors(self.rng, &mut x.factors);
            if au - a >= 10 && self.rng.chance(250) {
                x.review = Some(a + (au - a) / 2);
            }
        }
        e.assessments.push(x);
        auth
    }

    /// What follows an assessment started on `a`: an enquiry, or the assessment's outcome.
    fn after_assessment(&mut self, e: &mut Episode, a: Day) -> Option<Day> {
        let end = self.end();
        let auth = e.assessments.last().and_then(|x| x.auth);
        let s47_chance = if e.need == Some("N1") { 380 } else { 90 };
        if self.rng.chance(s47_chance) {
            let s = self.ctx.cal.on_or_after((a + self.rng.days(6)).max(self.ctx.w.start));
            if s <= end {
                return self.enquiry(e, s);
            }
        }
        let auth = auth?;
        match self.rng.weighted(&[30, 50, 20]) {
            // Closed after assessment, no further action or referred to early help.
            0 => {
                let reason = if self.rng.chance(650) { "RC8" } else { "RC9" };
                let at = auth + self.rng.days(15);
                let closed = self.close(e, at, reason);
                if closed.is_some() && self.rng.chance(350) {
                    let x = e.assessments.last_mut().expect("assessed above");
                    x.factors.clear();
                    x.factors.push("21");
                }
                closed
            }
            1 => {
                let p = self.ctx.cal.on_or_after(auth + self.rng.days(11));
                self.plan(e, p)
            }
            _ => {
                let c = auth + 14 + self.rng.days(106);
                let reason = self.reason();
                let at = c;
                self.close(e, at, reason)
            }
        }
    }

    /// A section 47 enquiry starting on working day `s`, its conference (or none needed), and
    /// what follows.
    fn enquiry(&mut self, e: &mut Episode, s: Day) -> Option<Day> {
        let end = self.end();
        let cal = &self.ctx.cal;
        let mut q = S47 {
            start: s,
            target: Some(cal.add(s, 15)),
            icpc: None,
            not_required: false,
        };
        if self.rng.chance(350) {
            q.not_required = true;
            e.s47s.push(q);
            // A child in need plan already running goes on.
            if e.plans.iter().any(|p| p.end.is_none()) {
                return None;
            }
            let auth = e.assessments.last().and_then(|x| x.auth)?;
            let after = auth.max(s + 5 + self.rng.days(10));
            return if self.rng.chance(500) {
                self.plan(e, after)
            } else {
                let reason = self.reason();
                let at = after + 7 + self.rng.days(60);
                self.close(e, at, reason)
            };
        }
        let k = if self.rng.chance(880) {
            4 + self.rng.days(11)
        } else {
            16 + self.rng.days(7)
        };
        let mut icpc = cal.add(s, k);
        if icpc > end {
            if s >= cal.add(end, -14) {
                e.s47s.push(q);
                return None;
            }
            icpc = cal.on_or_before(end).max(s);
        }
        q.icpc = Some(icpc);
        e.s47s.push(q);
        let open_plan = e.plans.iter().position(|p| p.end.is_none());
        if self.rng.chance(800) {
            // A child in need plan running until now ends on the day of the conference.
            if let Some(k) = open_plan {
                if e.plans[k].start >= icpc {
                    return None;
                }
                e.plans[k].end = Some(icpc);
            }
            self.cpp(e, icpc)
        } else if open_plan.is_some() {
            // No protection plan: the child in need plan goes on.
            None
        } else if self.rng.chance(700) {
            self.plan(e, icpc)
        } else {
            let reason = self.reason();
            let at = icpc + 7 + self.rng.days(40);
            self.close(e, at, reason)
        }
    }

    /// A child in need plan from `p`, and its end and the closure after it.
    fn plan(&mut self, e: &mut Episode, p: Day) -> Option<Day> {
        let end = self.end();
        if p > end {
            return None;
        }
        let length = match self.rng.weighted(&[40, 40, 20]) {
            0 => 60 + self.rng.days(120),
            1 => 180 + self.rng.days(185),
            _ => 365 + self.rng.days(335),
        };
        e.plans.push(Plan { start: p, end: None });
        let pe = p + length;
        if pe > end {
            return None;
        }
        e.plans.last_mut().expect("pushed above").end = Some(pe);
        if self.rng.chance(150) {
            return None;
        }
        let reason = self.reason();
        let at = pe + self.rng.days(21);
        self.close(e, at, reason)
    }

    /// A child protection plan from the conference on `c`: reviewed within three months and
    /// every six after, ending at a review (mostly), then a child in need plan or closure.
    fn cpp(&mut self, e: &mut Episode, c: Day) -> Option<Day> {
        let (ws, end) = (self.ctx.w.start, self.end());
        let initial = codes::ABUSE[self.rng.weighted(&codes::ABUSE_W)];
        let latest = if self.rng.chance(880) {
            initial
        } else {
            codes::ABUSE[self.rng.weighted(&codes::ABUSE_W)]
        };
        let mut plan = Cpp {
            start: c,
            end: None,
            initial,
            latest,
            previous: self.cpps_before,
            reviews: Few::default(),
        };
        self.cpps_before += 1;
        // The review schedule, and the review the plan ends at (counting from the first one
        // in the year for a plan that started before it).
        let cal = &self.ctx.cal;
        let mut review = cal.on_or_after(c + 70 + self.rng.days(21));
        let mut in_year = 0;
        let stop = 1 + self.rng.weighted(&[25, 35, 25, 15]);
        let mut finish = None;
        loop {
            if review >= ws {
                in_year += 1;
            }
            if review > end {
                break;
            }
            if review >= ws {
                plan.reviews.push(review);
            }
            if in_year == stop {
                finish = Some(if self.rng.chance(850) {
                    review
                } else {
                    review + 10 + self.rng.days(50)
                });
                break;
            }
            review = cal.on_or_after(review + 175 + self.rng.days(9));
        }
        match finish {
            Some(f) if f <= end => {
                plan.end = Some(f);
                e.cpps.push(plan);
                if self.rng.chance(650) {
                    // From the next working day: the DfE's validator ties a review to a plan by
                    // its place in the episode, so a review on the day a child in need plan
                    // starts could be read against another episode's plan (4003).
                    let p = self.ctx.cal.on_or_after(f + 1);
                    self.plan(e, p)
                } else {
                    let reason = self.reason();
                    let at = f + self.rng.days(30);
                    self.close(e, at, reason)
                }
            }
            _ => {
                e.cpps.push(plan);
                None
            }
        }
    }

    /// Close the case on `at` (or later, after everything in it) for `reason`, unless something
    /// in it is still open or the day falls after the year.
    fn close(&mut self, e: &mut Episode, at: Day, reason: &'static str) -> Option<Day> {
        if e.busy() {
            return None;
        }
        let at = at.max(e.last_activity());
        if at > self.end() {
            return None;
        }
        e.closure = Some(at);
        e.reason = Some(reason);
        Some(at)
    }

    /// A case open on 1 April, referred before the year.
    fn carried(&mut self, e: &mut Episode, born: Day) -> Option<Day> {
        let (ws, end) = (self.ctx.w.start, self.end());
        let cal = &self.ctx.cal;
        e.carried = true;
        e.source = self.source();
        e.need = Some(self.need());
        let before = match self.rng.weighted(&[35, 35, 30]) {
            0 => 60 + self.rng.days(305),
            1 => 365 + self.rng.days(365),
            _ => 730 + self.rng.days(730),
        };
        e.referral = (ws - before).max(born - 100);
        let r = e.referral;
        match self.rng.weighted(&[45, 25, 10, 20]) {
            // On a child in need plan, which may step up to a protection plan.
            0 => {
                let p = r + 20 + self.rng.days((ws - r - 21).min(200));
                let remaining = match self.rng.weighted(&[40, 35, 25]) {
                    0 => 1 + self.rng.days(120),
                    1 => 120 + self.rng.days(180),
                    _ => 300 + self.rng.days(300),
                };
                e.plans.push(Plan { start: p, end: None });
                let pe = ws + remaining;
                if self.rng.chance(120) {
                    let x = ws + 20 + self.rng.days(250);
                    if x + 30 < pe.min(end) {
                        self.assess(e, x);
                        let s = cal.on_or_after(x + self.rng.days(3));
                        return self.enquiry(e, s);
                    }
                }
                if pe > end {
                    return None;
                }
                e.plans[0].end = Some(pe);
                let reason = self.reason();
                let at = pe + self.rng.days(21);
                self.close(e, at, reason)
            }
            // On a protection plan since a conference before the year, mostly for abuse or
            // neglect.
            1 => {
                if self.rng.chance(800) {
                    e.need = Some("N1");
                }
                let c = cal.on_or_before(ws - 1 - self.rng.days((ws - r - 21).min(500)));
                if self.rng.chance(700) {
                    e.icpc = Some(c);
                }
                self.cpp(e, c)
            }
            // Being assessed: referred days before the year, authorised in it.
            2 => {
                let a = ws - 1 - self.rng.days(35);
                e.referral = a - self.rng.days(8);
                self.assess(e, a);
                let x = e.assessments.last_mut().expect("assessed above");
                let floor = cal.on_or_after(ws + self.rng.days(15));
                if x.auth.is_none_or(|au| au < floor) {
                    x.auth = Some(floor);
                    if x.factors.is_empty() {
                        codes::factors(self.rng, &mut x.factors);
                    }
                }
                if x.review.is_some_and(|v| v < ws || Some(v) >= x.auth) {
                    x.review = None;
                }
                self.after_assessment(e, a)
            }
            // Services with no plan in the return (a child looked after, say).
            _ => {
                if self.rng.chance(650) {
                    return None;
                }
                let reason = self.reason();
                let at = ws + self.rng.days(end - ws + 1);
                self.close(e, at, reason)
            }
        }
    }
}
