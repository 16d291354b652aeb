//! Planted problems: each kind (named by the DfE code it breaks, with a letter for a second way
//! of breaking it), how it is made in one child's record with everything else clean, and the
//! ground-truth lines for the rows the rules report.
//!
//! About 35 children in 1,000 carry one problem each. The kinds are handed out in turn (every
//! kind once, in a shuffled order, then again in a new order...), each with a target child
//! spread evenly over the census; from there a kind waits for the first child whose record can
//! hold it (an unborn child for 8750, a case closed after assessment for 8869, two episodes for
//! 8820...). A kind that finds no child before the last is not planted, and not listed. So a
//! census of 1,000 children holds about half the kinds, and from about 3,000 every kind.
//!
//! A problem is listed on every row the DfE's validator reports for it, in each table it
//! reports in (`cin_validator`'s rule, which the pack follows with a rule per table): a pair of
//! overlapping episodes is both rows, a disability that is not a code is the child's
//! identifiers, the disability and each episode referred on. Where a problem cannot be made
//! without breaking a second rule (an earlier episode left open also overlaps the next one),
//! each rule it breaks is listed. A value that is not its
//! type (a date written `03/11/2025`) is listed under the pack's type finding only (the rules
//! that read it report the row as not checked); an element the pack does not know
//! (`CINreferalDate`) under `ingest.unknown_element`, and, since the rules then see no referral
//! date, 8600. A second child with no `LAchildID` would share the blank one with the first
//! (8510, and their disabilities would count as one child's), so 8500 is planted once.

use chrono::Datelike;

use crate::render::{Day, nd};
use crate::rng::Rng;

use super::journeys::{Assessment, Child, Ctx, Episode, Plan, school_age};
use super::xml::{At, Fault, Glitch, IdForm, Lines, Tab, push_id};
use super::{SALT_PLANT, SALT_SCHEDULE};

/// Planted children per 1,000.
pub(crate) const PER_MILLE: usize = 35;

/// A ground-truth line: a rule's finding on one row.
#[derive(Debug, Clone)]
pub(crate) struct Mark {
    pub(crate) code: &'static str,
    /// The row listed (its table is the line's).
    pub(crate) row: (Tab, At),
    /// The planted element, whose line is listed as the element's.
    pub(crate) elem: (Tab, At, &'static str),
    /// The element as written (a misspelling).
    pub(crate) element: &'static str,
    /// The row's place in its table (from 1, the DfE validator's row number plus one).
    pub(crate) record: usize,
    /// The row's element's line in the census.
    pub(crate) line: usize,
    pub(crate) element_line: usize,
    /// The child's `LAchildID` as written (blank when left out).
    pub(crate) child: String,
    pub(crate) what: &'static str,
}

impl Mark {
    pub(crate) fn write(&self, buf: &mut Vec<u8>) {
        debug_assert!(!self.what.contains([',', '"', '\n']), "{}", self.what);
        for (k, field) in [
            self.code,
            self.row.0.name(),
            &self.record.to_string(),
            &self.line.to_string(),
            self.element,
            &self.element_line.to_string(),
            &self.child,
            self.what,
        ]
        .iter()
        .enumerate()
        {
            if k > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(field.as_bytes());
        }
        buf.push(b'\n');
    }
}

pub(crate) const TRUTH_HEADER: &str = "code,table,row,line,element,element_line,child,planted\n";

/// A kind of planted problem: its id (the DfE code, or a letter after it for a second way of
/// breaking the rule) and what it is.
pub(crate) struct Kind {
    pub(crate) id: &'static str,
    pub(crate) what: &'static str,
}

const fn k(id: &'static str, what: &'static str) -> Kind {
    Kind { id, what }
}

#[rustfmt::skip]
pub(crate) const KINDS: &[Kind] = &[
    // Child identifiers.
    k("8500", "LAchildID left out"),
    k("8510", "LAchildID of the child before (both rows)"),
    k("1580", "LAchildID written NF-123456"),
    k("1570", "LAchildID padded with the council's name to 21 characters"),
    k("1510", "UPN with the wrong check letter"),
    k("1530", "UPN with the council's own number 990 in characters 2-4"),
    k("1540", "UPN with the letter O for a zero"),
    k("1520", "UPN of the child before (both rows)"),
    k("1560Q", "former UPN a temporary UPN ending in a letter"),
    k("8770Q", "school-age child with UPN unknown code UN1"),
    k("8772", "UPN unknown UN7 for a child referred on"),
    k("4180", "sex written as the old gender code"),
    k("8750", "unborn child's sex M or F"),
    k("8520", "date of birth after the reference date"),
    k("8545Q", "date of death after the reference date"),
    k("8530Q", "unborn child's expected date of birth two months past"),
    k("8525Q", "baby with an expected date of birth beside the date of birth"),
    // Characteristics.
    k("4220", "ethnicity not a code"),
    k("4220b", "ethnicity left out"),
    k("8540", "disability not a code"),
    k("8540b", "disabilities left out for a child referred on"),
    k("8790", "disability NONE beside another (both rows)"),
    k("8794", "the same disability twice (both rows)"),
    // Episodes.
    k("8600", "referral (no further action) dated after the reference date"),
    k("8866", "referral source not a code"),
    k("8650", "primary need not a code"),
    k("8610", "primary need left out for a referral taken further"),
    k("8640", "reason for closure not a code"),
    k("8805", "closure date without a reason"),
    k("8810", "reason for closure on an open case"),
    k("8630", "closure date before the referral"),
    k("8620", "case closed after the reference date"),
    k("8820", "first episode closed after the next referral (both rows)"),
    k("8816", "earlier episode left open (no closure date or reason)"),
    k("8569Q", "case referred years ago flagged no further action"),
    k("8831", "case closed after assessment flagged no further action"),
    k("4000", "case with a child in need plan flagged no further action"),
    k("8832", "case with a protection plan flagged no further action"),
    k("8568", "no further action flag written N"),
    k("2990", "case closed RC8 after a child in need plan"),
    k("8825Q", "case with no assessment closed RC8"),
    k("8585Q", "case closed RC2 (died) with no date of death"),
    k("2884", "conference date on the episode too"),
    // Assessments.
    k("8608", "assessment authorised before it started"),
    k("1103", "assessment started before the referral"),
    k("8696", "last year's authorised assessment returned again"),
    k("8670Q", "assessment open since long before the year end (authorisation left out)"),
    k("8614", "factors on an assessment not yet authorised"),
    k("8897Q", "authorised assessment with no factors"),
    k("8869", "factor 21 (no factors) beside another"),
    k("8873Q", "factor 21 alone though the case went on"),
    k("8898", "the same factor twice"),
    k("8945Q", "factor 18A"),
    k("8950Q", "factor 19A"),
    k("8863Q", "second assessment started while the first was open (both rows)"),
    // Child in need plans.
    k("4011", "child in need plan ending before it starts"),
    k("4015", "child in need plan starting before the referral"),
    k("4013", "child in need plan ending after the reference date"),
    k("4014", "a second child in need plan inside the first (both rows)"),
    k("4017", "child in need plan ending after the protection plan started"),
    k("4010", "child in need plan start date left out"),
    // Section 47 enquiries.
    k("2889", "enquiry started before the referral"),
    k("8615", "enquiry started after its conference"),
    k("8875", "conference on a Saturday"),
    k("8870Q", "conference target date on a Sunday"),
    k("8675Q", "enquiry's conference date left out"),
    k("8868", "closed case with an enquiry's conference date left out"),
    // Protection plans.
    k("2885", "protection plan starting the working day after its conference"),
    k("8840", "protection plan ending the day it starts"),
    k("8925", "protection plan ending before it starts"),
    k("8930", "protection plan ending after the reference date"),
    k("8905", "initial category of abuse not a code"),
    k("8910", "latest category of abuse left out"),
    k("8730", "number of previous plans left out"),
    k("8841", "review dated the day the plan started"),
    k("8842Q", "review with no date"),
    // The file itself.
    k("type", "referral date written day first (dd/mm/yyyy)"),
    k("type-b", "assessment authorisation date written day first"),
    k("type-c", "protection plan start date written day first"),
    k("type-d", "date of birth written day first"),
    k("unknown", "CINreferralDate misspelt CINreferalDate"),
    k("unknown-b", "AssessmentInternalReviewDate misspelt AssesmentInternalReviewDate"),
];

/// What a plant may point back at: earlier clean children.
#[derive(Debug, Default)]
struct Memory {
    /// The last clean child referred only with no further action (each case closed), born:
    /// another child may wrongly share their id without mixing two journeys (8510). With
    /// whether they have disabilities recorded.
    nfa: Option<(u32, Day, bool, Lines)>,
    /// The last clean child with a UPN.
    upn: Option<([u8; 13], u32, Lines)>,
}

/// Hands planted problems to children in a pre-drawn order.
pub(crate) struct Planter {
    queue: Vec<(usize, usize)>,
    next: usize,
    waiting: Vec<usize>,
    memory: Memory,
}

/// One child's plant: its marks, glitches and id form.
#[derive(Debug, Default)]
pub(crate) struct Plant {
    pub(crate) marks: Vec<Mark>,
    pub(crate) glitches: Vec<Glitch>,
    pub(crate) id_form: IdForm,
    /// The `LAchildID` is left out (8500): the marks name no child.
    id_omitted: bool,
}

impl Plant {
    fn clear(&mut self) {
        self.marks.clear();
        self.glitches.clear();
        self.id_form = IdForm::Plain;
        self.id_omitted = false;
    }
}

impl Planter {
    pub(crate) fn new(ctx: &Ctx, plant: bool) -> Planter {
        let mut queue = Vec::new();
        let n = ctx.children;
        if plant && n > 0 {
            let total = ((n * PER_MILLE + 500) / 1000).max(1);
            let mut rng = Rng::stream(ctx.seed, u64::MAX, SALT_SCHEDULE);
            let mut order: Vec<usize> = (0..KINDS.len()).collect();
            let span = (n * 19 / 20).max(1);
            for q in 0..total {
                if q % KINDS.len() == 0 {
                    for i in (1..order.len()).rev() {
                        let j = rng.below(i as u64 + 1) as usize;
                        order.swap(i, j);
                    }
                }
                let kind = order[q % KINDS.len()];
                // Children with no LAchildID all share the blank one: a second would be a
                // duplicate of the first (8510).
                if q >= KINDS.len() && KINDS[kind].id == "8500" {
                    continue;
                }
                queue.push((q * span / total, kind));
            }
        }
        Planter {
            queue,
            next: 0,
            waiting: Vec::new(),
            memory: Memory::default(),
        }
    }

    /// Plant the first waiting problem the child's record can hold, into `c` and `out`.
    pub(crate) fn plant(&mut self, ctx: &Ctx, c: &mut Child, out: &mut Plant) {
        out.clear();
        while self.next < self.queue.len() && self.queue[self.next].0 <= c.idx {
            self.waiting.push(self.queue[self.next].1);
            self.next += 1;
        }
        if self.waiting.is_empty() {
            return;
        }
        let mut rng = Rng::stream(ctx.seed, c.idx as u64, SALT_PLANT);
        for w in 0..self.waiting.len() {
            let kind = &KINDS[self.waiting[w]];
            let mut p = Patch {
                ctx,
                c: &mut *c,
                rng: &mut rng,
                out: &mut *out,
                memory: &self.memory,
                what: kind.what,
            };
            if apply(kind.id, &mut p) {
                self.waiting.remove(w);
                let mut id = Vec::with_capacity(24);
                if !out.id_omitted {
                    push_id(&mut id, c.id, out.id_form);
                }
                let id = String::from_utf8(id).expect("ids are ASCII");
                for m in out.marks.iter_mut().filter(|m| m.child.is_empty()) {
                    m.child.clone_from(&id);
                }
                return;
            }
            out.clear();
        }
    }

    /// Note a child as written, for plants that point back at it.
    pub(crate) fn written(&mut self, c: &Child, planted: bool, lines: Lines) {
        if planted {
            return;
        }
        if let Some(u) = c.upn {
            self.memory.upn = Some((u, c.id, lines));
        }
        let closed = c.episodes().iter().all(|e| e.nfa && e.closure.is_some());
        if let (true, Some(b)) = (closed, c.born) {
            self.memory.nfa = Some((c.id, b, c.has_disabilities, lines));
        }
    }
}

/// A plant being made in one child's record.
struct Patch<'a> {
    ctx: &'a Ctx,
    c: &'a mut Child,
    rng: &'a mut Rng,
    out: &'a mut Plant,
    memory: &'a Memory,
    what: &'static str,
}

impl Patch<'_> {
    /// List `code` on `row`, pointing at its element `name`.
    fn mark(&mut self, code: &'static str, row: (Tab, At), name: &'static str) {
        self.mark_at(code, row, (row.0, row.1, name));
    }

    /// List `code` on `row`, pointing at `elem` (in another row: an assessment's factor).
    fn mark_at(&mut self, code: &'static str, row: (Tab, At), elem: (Tab, At, &'static str)) {
        self.out.marks.push(Mark {
            code,
            row,
            elem,
            element: elem.2,
            record: 0,
            line: 0,
            element_line: 0,
            child: String::new(),
            what: self.what,
        });
    }

    /// List `code` on an earlier child's identifiers, already written.
    fn mark_before(&mut self, code: &'static str, id: u32, at: Lines, element: &'static str, element_line: usize) {
        let mut buf = Vec::with_capacity(12);
        push_id(&mut buf, id, IdForm::Plain);
        self.out.marks.push(Mark {
            code,
            row: (Tab::ChildIdentifiers, At::CHILD),
            elem: (Tab::ChildIdentifiers, At::CHILD, element),
            element,
            record: at.record,
            line: at.identifiers,
            element_line,
            child: String::from_utf8(buf).expect("ids are ASCII"),
            what: self.what,
        });
    }

    fn glitch(&mut self, tab: Tab, at: At, element: &'static str, fault: Fault) {
        self.out.glitches.push(Glitch {
            tab,
            at,
            element,
            fault,
        });
    }

    fn end(&self) -> Day {
        self.ctx.w.end
    }

    fn start(&self) -> Day {
        self.ctx.w.start
    }

    /// The first episode (index) that `f` accepts.
    fn episode(&self, f: impl Fn(&Episode) -> bool) -> Option<usize> {
        self.c.episodes().iter().position(f)
    }

    /// The first (episode, item) whose item `f` accepts, over one of an episode's lists.
    fn find<T>(&self, list: impl Fn(&Episode) -> &[T], f: impl Fn(&Episode, &T) -> bool) -> Option<(usize, usize)> {
        for (i, e) in self.c.episodes().iter().enumerate() {
            if let Some(k) = list(e).iter().position(|x| f(e, x)) {
                return Some((i, k));
            }
        }
        None
    }

    fn plans_in_child(&self) -> usize {
        self.c.episodes().iter().map(|e| e.plans.len()).sum()
    }

    fn cpps_in_child(&self) -> usize {
        self.c.episodes().iter().map(|e| e.cpps.len()).sum()
    }
}

const CI: (Tab, At) = (Tab::ChildIdentifiers, At::CHILD);

/// 8540's rows beside a disability's: the child's identifiers and each episode referred on.
fn disability_rows(p: &mut Patch) {
    p.mark("8540", CI, "PersonBirthDate");
    for i in 0..p.c.episodes().len() {
        if !p.c.episodes()[i].nfa {
            p.mark("8540", cin(i), "ReferralNFA");
        }
    }
}
const CC: (Tab, At) = (Tab::ChildCharacteristics, At::CHILD);

fn cin(ep: usize) -> (Tab, At) {
    (Tab::CinDetails, At::ep(ep))
}

/// Make the plant `id` in the child's record, if it can hold it.
fn apply(id: &str, p: &mut Patch) -> bool {
    let (ws, end) = (p.start(), p.end());
    let single = p.c.episodes().len() == 1;
    match id {
        "8500" => {
            // One closed episode: with no LAchildID the DfE's checks across a child's episodes
            // take every open one as another's (8816 flags each).
            if !single || p.c.episodes()[0].closure.is_none() {
                return false;
            }
            p.glitch(CI.0, CI.1, "LAchildID", Fault::Omit);
            p.out.id_omitted = true;
            p.mark("8500", CI, "LAchildID");
        }
        "8510" => {
            let Some((other, born, disabled, lines)) = p.memory.nfa else {
                return false;
            };
            let mine = p.c.born;
            let closed = p.c.episodes().iter().all(|e| e.nfa && e.closure.is_some());
            // The two children's referrals read against either's date of birth stay clean
            // (8606), and at most one has disabilities (two NONEs would be one child's, 8794).
            let first = p.c.episodes().iter().map(|e| e.referral).min().unwrap_or(Day::MAX);
            let days_ok = mine.is_some_and(|b| b <= first + 280) && born <= first + 280;
            if !closed || !days_ok || (disabled && p.c.has_disabilities) {
                return false;
            }
            p.c.id = other;
            p.mark("8510", CI, "LAchildID");
            p.mark_before("8510", other, lines, "LAchildID", lines.id);
        }
        "1580" => {
            p.out.id_form = IdForm::Hyphen;
            p.mark("1580", CI, "LAchildID");
        }
        "1570" => {
            p.out.id_form = IdForm::Long;
            p.mark("1570", CI, "LAchildID");
        }
        "1510" => {
            let Some(u) = &mut p.c.upn else {
                return false;
            };
            let letters = crate::ids::UPN_LETTERS;
            let at = letters.iter().position(|&l| l == u[0]).unwrap_or(0);
            u[0] = letters[(at + 1 + p.rng.below(21) as usize) % letters.len()];
            p.mark("1510", CI, "UPN");
        }
        "1530" => {
            let Some(u) = &mut p.c.upn else {
                return false;
            };
            let serial: u64 = std::str::from_utf8(&u[4..])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            *u = super::codes::upn_with(b"990", serial);
            p.mark("1530", CI, "UPN");
        }
        "1540" => {
            let Some(u) = &mut p.c.upn else {
                return false;
            };
            let Some(z) = (4..12).find(|&i| u[i] == b'0') else {
                return false;
            };
            u[z] = b'O';
            p.mark("1540", CI, "UPN");
        }
        "1520" => {
            let (Some(_), Some((upn, other, lines))) = (p.c.upn, p.memory.upn) else {
                return false;
            };
            p.c.upn = Some(upn);
            p.mark("1520", CI, "UPN");
            p.mark_before("1520", other, lines, "UPN", lines.upn);
        }
        "1560Q" => {
            let Some(u) = p.c.upn else {
                return false;
            };
            let mut body = [0u8; 12];
            body.copy_from_slice(&u[1..]);
            body[11] = crate::ids::UPN_LETTERS[p.rng.below(23) as usize];
            let mut former = [0u8; 13];
            former[0] = crate::ids::upn_check_letter(&body).unwrap_or(b'A');
            former[1..].copy_from_slice(&body);
            p.c.former_upn = Some(former);
            p.mark("1560Q", CI, "FormerUPN");
        }
        "8770Q" => {
            let grown = p.c.born.is_some_and(|b| school_age(p.ctx, b));
            if !grown || p.c.upn.is_none() || p.c.nfa_only() || p.c.former_upn.is_some() {
                return false;
            }
            p.c.upn = None;
            p.c.upn_unknown = Some("UN1");
            p.mark("8770Q", CI, "UPNunknown");
        }
        "8772" => {
            if p.c.nfa_only() || p.c.former_upn.is_some() {
                return false;
            }
            p.c.upn = None;
            p.c.upn_unknown = Some("UN7");
            p.mark("8772", CI, "UPNunknown");
            for i in 0..p.c.episodes().len() {
                if !p.c.episodes()[i].nfa {
                    p.mark("8772", cin(i), "ReferralNFA");
                }
            }
        }
        "4180" => {
            let old = match p.c.sex {
                "M" => "1",
                "F" => "2",
                _ => return false,
            };
            p.glitch(CI.0, CI.1, "Sex", Fault::Text(old));
            p.mark("4180", CI, "Sex");
        }
        "8750" => {
            if p.c.born.is_some() {
                return false;
            }
            p.c.sex = if p.rng.chance(500) { "M" } else { "F" };
            p.mark("8750", CI, "Sex");
        }
        "8520" => {
            let dob = end + 1 + p.rng.days(40);
            let first = p.c.episodes().iter().map(|e| e.referral).min().unwrap_or(Day::MIN);
            if p.c.born.is_none() || first < dob - 280 {
                return false;
            }
            p.c.born = Some(dob);
            p.mark("8520", CI, "PersonBirthDate");
        }
        "8545Q" => {
            if p.c.born.is_none() || p.c.death.is_some() {
                return false;
            }
            p.c.death = Some(end + 1 + p.rng.days(20));
            p.mark("8545Q", CI, "PersonDeathDate");
        }
        "8530Q" => {
            let expected = end - 31 - p.rng.days(40);
            let last =
                p.c.episodes()
                    .iter()
                    .map(|e| e.last_activity())
                    .max()
                    .unwrap_or(Day::MAX);
            if p.c.expected.is_none() || last >= expected {
                return false;
            }
            p.c.expected = Some(expected);
            p.mark("8530Q", CI, "ExpectedPersonBirthDate");
        }
        "8525Q" => {
            let Some(b) = p.c.born.filter(|&b| b >= ws) else {
                return false;
            };
            let expected = b - 10 + p.rng.days(21);
            p.c.expected = Some(expected);
            p.mark("8525Q", CI, "ExpectedPersonBirthDate");
            if expected <= end - 30 {
                p.mark("8530Q", CI, "ExpectedPersonBirthDate");
            }
        }
        "4220" => {
            let text = ["WBR", "White British", "W1"][p.rng.below(3) as usize];
            p.glitch(CC.0, CC.1, "Ethnicity", Fault::Text(text));
            p.mark("4220", CC, "Ethnicity");
        }
        "4220b" => {
            p.glitch(CC.0, CC.1, "Ethnicity", Fault::Omit);
            p.mark("4220", CC, "Ethnicity");
        }
        "8540" => {
            if !p.c.has_disabilities || p.c.nfa_only() {
                return false;
            }
            p.c.disabilities.as_mut_slice()[0] = ["ADHD", "DEAF", "SEMH"][p.rng.below(3) as usize];
            p.mark("8540", (Tab::Disabilities, At::item(0, 0)), "Disability");
            disability_rows(p);
        }
        "8540b" => {
            if !p.c.has_disabilities || p.c.nfa_only() {
                return false;
            }
            p.c.has_disabilities = false;
            disability_rows(p);
        }
        "8790" => {
            if p.c.disabilities.as_slice() != ["NONE"] {
                return false;
            }
            p.c.disabilities.push(["LD", "COMM", "BEH"][p.rng.below(3) as usize]);
            p.mark("8790", (Tab::Disabilities, At::item(0, 1)), "Disability");
        }
        "8794" => {
            let d = p.c.disabilities.as_slice();
            if d.is_empty() || d.contains(&"NONE") {
                return false;
            }
            let first = d[0];
            p.c.disabilities.push(first);
            let last = p.c.disabilities.len() - 1;
            for k in [0, last] {
                p.mark("8794", (Tab::Disabilities, At::item(0, k)), "Disability");
            }
        }
        "8600" => {
            let n = p.c.episodes().len();
            let e = &mut p.c.episodes_mut()[n - 1];
            if !e.nfa || e.closure.is_some() {
                return false;
            }
            e.referral = end + 1 + p.rng.days(20);
            p.mark("8600", cin(n - 1), "CINreferralDate");
        }
        "8866" => {
            let text = ["11", "Police", "2C"][p.rng.below(3) as usize];
            p.glitch(Tab::CinDetails, At::ep(0), "ReferralSource", Fault::Text(text));
            p.mark("8866", cin(0), "ReferralSource");
        }
        "8650" => {
            let Some(i) = p.episode(|e| e.need.is_some()) else {
                return false;
            };
            p.glitch(Tab::CinDetails, At::ep(i), "PrimaryNeedCode", Fault::Text("N10"));
            p.mark("8650", cin(i), "PrimaryNeedCode");
        }
        "8610" => {
            let Some(i) = p.episode(|e| !e.nfa && e.need.is_some()) else {
                return false;
            };
            p.c.episodes_mut()[i].need = None;
            p.mark("8610", cin(i), "PrimaryNeedCode");
        }
        "8640" => {
            let Some(i) = p.episode(|e| e.reason.is_some() && !matches!(e.reason, Some("RC8" | "RC9"))) else {
                return false;
            };
            p.glitch(Tab::CinDetails, At::ep(i), "ReasonForClosure", Fault::Text("RC10"));
            p.mark("8640", cin(i), "ReasonForClosure");
        }
        "8805" => {
            let Some(i) = p.episode(|e| e.closure.is_some() && !matches!(e.reason, Some("RC2" | "RC8" | "RC9"))) else {
                return false;
            };
            p.c.episodes_mut()[i].reason = None;
            p.mark("8805", cin(i), "ReasonForClosure");
        }
        "8810" => {
            let n = p.c.episodes().len();
            let e = &mut p.c.episodes_mut()[n - 1];
            if e.closure.is_some() || e.nfa {
                return false;
            }
            e.reason = Some("RC7");
            p.mark("8810", cin(n - 1), "ReasonForClosure");
        }
        "8630" => {
            let Some(i) = p.episode(|e| e.nfa && e.closure.is_some() && e.referral >= ws + 20) else {
                return false;
            };
            let e = &mut p.c.episodes_mut()[i];
            e.closure = Some(e.referral - 1 - p.rng.days(10));
            p.mark("8630", cin(i), "CINclosureDate");
        }
        "8620" => {
            let n = p.c.episodes().len();
            let e = &mut p.c.episodes_mut()[n - 1];
            if e.closure.is_some() || e.nfa || e.busy() {
                return false;
            }
            e.closure = Some(end + 1 + p.rng.days(20));
            e.reason = Some("RC7");
            p.mark("8620", cin(n - 1), "CINclosureDate");
        }
        "8820" => {
            let eps = p.c.episodes();
            if eps.len() < 2 || eps[0].nfa || eps[0].closure.is_none() {
                return false;
            }
            let late = eps[1].referral + 5 + p.rng.days(15);
            if late > end || (eps.len() > 2 && late >= eps[2].referral) {
                return false;
            }
            p.c.episodes_mut()[0].closure = Some(late);
            p.mark("8820", cin(0), "CINclosureDate");
            p.mark("8820", cin(1), "CINreferralDate");
        }
        "8816" => {
            let eps = p.c.episodes();
            // Not a case closed after assessment: its factor 21 would then be queried (8873Q).
            if eps.len() != 2
                || eps[0].nfa
                || eps[0].closure.is_none()
                || matches!(eps[0].reason, Some("RC2" | "RC8" | "RC9"))
            {
                return false;
            }
            let last_open = eps[1].closure.is_none() && !eps[1].nfa;
            let e = &mut p.c.episodes_mut()[0];
            e.closure = None;
            e.reason = None;
            p.mark("8816", cin(0), "CINclosureDate");
            p.mark("8816", cin(1), "CINreferralDate");
            p.mark("8820", cin(0), "CINclosureDate");
            p.mark("8820", cin(1), "CINreferralDate");
            if last_open {
                p.mark("8815", cin(0), "CINclosureDate");
                p.mark("8815", cin(1), "CINclosureDate");
            }
        }
        "8569Q" => {
            let Some(i) = p.episode(|e| {
                e.carried && e.assessments.is_empty() && e.plans.is_empty() && e.s47s.is_empty() && e.cpps.is_empty()
            }) else {
                return false;
            };
            p.c.episodes_mut()[i].nfa = true;
            p.mark("8569Q", cin(i), "ReferralNFA");
        }
        "8831" => {
            let Some(i) = p.episode(|e| e.assessment_only() && e.closure.is_some() && !e.carried) else {
                return false;
            };
            p.c.episodes_mut()[i].nfa = true;
            p.mark("8831", cin(i), "ReferralNFA");
            for k in 0..p.c.episodes()[i].assessments.len() {
                p.mark("8831", (Tab::Assessments, At::item(i, k)), "AssessmentActualStartDate");
            }
        }
        "4000" => {
            let Some(i) =
                p.episode(|e| e.carried && !e.plans.is_empty() && e.assessments.is_empty() && e.cpps.is_empty())
            else {
                return false;
            };
            p.c.episodes_mut()[i].nfa = true;
            // Referred before the year, so flagging it is queried too.
            p.mark("8569Q", cin(i), "ReferralNFA");
            p.mark("4000", cin(i), "ReferralNFA");
            for k in 0..p.c.episodes()[i].plans.len() {
                p.mark("4000", (Tab::CinPlanDates, At::item(i, k)), "CINPlanStartDate");
            }
        }
        "8832" => {
            let Some(i) = p.episode(|e| {
                e.carried
                    && !e.cpps.is_empty()
                    && e.icpc.is_none()
                    && e.assessments.is_empty()
                    && e.s47s.is_empty()
                    && e.plans.is_empty()
            }) else {
                return false;
            };
            p.c.episodes_mut()[i].nfa = true;
            p.mark("8569Q", cin(i), "ReferralNFA");
            p.mark("8832", cin(i), "ReferralNFA");
            for k in 0..p.c.episodes()[i].cpps.len() {
                p.mark("8832", (Tab::ChildProtectionPlans, At::item(i, k)), "CPPstartDate");
            }
        }
        "8568" => {
            // UN7 asks for every referral to be flagged true (8772), and one before the year
            // for false (8569Q).
            let Some(i) = p.episode(|e| !e.carried) else {
                return false;
            };
            if p.c.upn_unknown == Some("UN7") {
                return false;
            }
            p.glitch(Tab::CinDetails, At::ep(i), "ReferralNFA", Fault::Text("N"));
            p.mark("8568", cin(i), "ReferralNFA");
        }
        "2990" => {
            let Some(i) = p.episode(|e| {
                e.closure.is_some() && !e.plans.is_empty() && !e.assessments.is_empty() && e.reason != Some("RC2")
            }) else {
                return false;
            };
            p.c.episodes_mut()[i].reason = Some("RC8");
            p.mark("2990", cin(i), "ReasonForClosure");
            let e = &p.c.episodes()[i];
            let (plans, s47s, cpps) = (e.plans.len(), e.s47s.len(), e.cpps.len());
            for k in 0..plans {
                p.mark("2990", (Tab::CinPlanDates, At::item(i, k)), "CINPlanStartDate");
            }
            for k in 0..s47s {
                p.mark("2990", (Tab::Section47, At::item(i, k)), "S47ActualStartDate");
            }
            for k in 0..cpps {
                p.mark("2990", (Tab::ChildProtectionPlans, At::item(i, k)), "CPPstartDate");
            }
        }
        "8825Q" => {
            let Some(i) = p.episode(|e| {
                e.closure.is_some()
                    && !e.nfa
                    && e.assessments.is_empty()
                    && e.plans.is_empty()
                    && e.s47s.is_empty()
                    && e.cpps.is_empty()
                    && e.icpc.is_none()
                    && e.reason != Some("RC2")
            }) else {
                return false;
            };
            p.c.episodes_mut()[i].reason = Some("RC8");
            p.mark("8825Q", cin(i), "ReasonForClosure");
        }
        "8585Q" => {
            if p.c.death.is_some() {
                return false;
            }
            let Some(i) = p.episode(|e| e.closure.is_some() && !e.nfa && !matches!(e.reason, Some("RC8" | "RC9")))
            else {
                return false;
            };
            p.c.episodes_mut()[i].reason = Some("RC2");
            p.mark("8585Q", CI, "PersonDeathDate");
            p.mark("8585Q", cin(i), "ReasonForClosure");
        }
        "2884" => {
            let Some((i, k)) = p.find(|e| &e.s47s, |e, s| s.icpc.is_some() && e.icpc.is_none()) else {
                return false;
            };
            let e = &mut p.c.episodes_mut()[i];
            e.icpc = e.s47s[k].icpc;
            p.mark("2884", cin(i), "DateOfInitialCPC");
            p.mark("2884", (Tab::Section47, At::item(i, k)), "DateOfInitialCPC");
        }
        "8608" => {
            let Some((i, k)) = p.find(
                |e| &e.assessments,
                |e, a| e.assessments.len() == 1 && a.auth.is_some() && a.start >= ws + 15,
            ) else {
                return false;
            };
            let a = &mut p.c.episodes_mut()[i].assessments[k];
            a.auth = Some(a.start - 1 - p.rng.days(10));
            a.review = None;
            p.mark(
                "8608",
                (Tab::Assessments, At::item(i, k)),
                "AssessmentAuthorisationDate",
            );
        }
        "1103" => {
            let Some((i, k)) = p.find(
                |e| &e.assessments,
                |e, a| !e.carried && a.auth.is_some() && e.referral >= ws + 15,
            ) else {
                return false;
            };
            let e = &mut p.c.episodes_mut()[i];
            e.assessments[k].start = e.referral - 1 - p.rng.days(7);
            p.mark("1103", cin(i), "CINreferralDate");
            p.mark("1103", (Tab::Assessments, At::item(i, k)), "AssessmentActualStartDate");
        }
        "8696" => {
            let Some(i) = p.episode(|e| e.carried && e.assessments.is_empty() && e.referral + 60 < ws) else {
                return false;
            };
            let e = &mut p.c.episodes_mut()[i];
            let start = e.referral + 1 + p.rng.days(7);
            let mut a = Assessment {
                start,
                review: None,
                auth: Some(start + 20 + p.rng.days(20)),
                factors: Default::default(),
            };
            super::codes::factors(p.rng, &mut a.factors);
            e.assessments.insert(0, a);
            p.mark(
                "8696",
                (Tab::Assessments, At::item(i, 0)),
                "AssessmentAuthorisationDate",
            );
        }
        "8670Q" => {
            let limit = p.ctx.cal.add(end, -50);
            let Some((i, k)) = p.find(
                |e| &e.assessments,
                |e, a| {
                    e.closure.is_none()
                        && e.assessments.len() == 1
                        && e.s47s.is_empty()
                        && a.auth.is_some()
                        && a.start >= ws
                        && a.start < limit
                },
            ) else {
                return false;
            };
            let a = &mut p.c.episodes_mut()[i].assessments[k];
            a.auth = None;
            a.review = None;
            a.factors.clear();
            p.mark(
                "8670Q",
                (Tab::Assessments, At::item(i, k)),
                "AssessmentAuthorisationDate",
            );
        }
        "8614" => {
            let Some((i, k)) = p.find(|e| &e.assessments, |_, a| a.auth.is_none()) else {
                return false;
            };
            let a = &mut p.c.episodes_mut()[i].assessments[k];
            super::codes::factors(p.rng, &mut a.factors);
            p.mark_at(
                "8614",
                (Tab::Assessments, At::item(i, k)),
                (Tab::AssessmentFactors, At::sub(i, k, 0), "AssessmentFactors"),
            );
        }
        "8897Q" => {
            let Some((i, k)) = p.find(
                |e| &e.assessments,
                |_, a| a.auth.is_some_and(|au| au >= ws) && !a.factors.is_empty() && a.factors.as_slice() != ["21"],
            ) else {
                return false;
            };
            p.c.episodes_mut()[i].assessments[k].factors.clear();
            p.mark(
                "8897Q",
                (Tab::Assessments, At::item(i, k)),
                "AssessmentAuthorisationDate",
            );
        }
        "8869" => {
            let Some((i, k)) = p.find(|e| &e.assessments, |_, a| a.factors.as_slice() == ["21"]) else {
                return false;
            };
            p.c.episodes_mut()[i].assessments[k].factors.push("3B");
            p.mark_at(
                "8869",
                (Tab::Assessments, At::item(i, k)),
                (Tab::AssessmentFactors, At::sub(i, k, 1), "AssessmentFactors"),
            );
        }
        "8873Q" => {
            let Some((i, k)) = p.find(
                |e| &e.assessments,
                |e, a| e.assessments.len() == 1 && !e.plans.is_empty() && a.auth.is_some(),
            ) else {
                return false;
            };
            let a = &mut p.c.episodes_mut()[i].assessments[k];
            a.factors.clear();
            a.factors.push("21");
            p.mark("8873Q", cin(i), "ReasonForClosure");
            p.mark_at(
                "8873Q",
                (Tab::Assessments, At::item(i, k)),
                (Tab::AssessmentFactors, At::sub(i, k, 0), "AssessmentFactors"),
            );
        }
        "8898" | "8945Q" | "8950Q" => {
            let Some((i, k)) = p.find(
                |e| &e.assessments,
                |_, a| a.auth.is_some_and(|au| au >= ws) && !a.factors.is_empty() && a.factors.as_slice() != ["21"],
            ) else {
                return false;
            };
            let f = &mut p.c.episodes_mut()[i].assessments[k].factors;
            let at = match id {
                "8898" => {
                    let first = f.as_slice()[0];
                    f.push(first);
                    f.len() - 1
                }
                _ => {
                    let code = if id == "8945Q" { "18A" } else { "19A" };
                    f.as_mut_slice()[0] = code;
                    0
                }
            };
            let code = match id {
                "8898" => "8898",
                "8945Q" => "8945Q",
                _ => "8950Q",
            };
            p.mark_at(
                code,
                (Tab::Assessments, At::item(i, k)),
                (Tab::AssessmentFactors, At::sub(i, k, at), "AssessmentFactors"),
            );
        }
        "8863Q" => {
            let Some((i, k)) = p.find(
                |e| &e.assessments,
                |e, a| {
                    e.assessments.len() == 1
                        && a.start >= ws
                        && a.auth
                            .is_some_and(|au| au - a.start >= 10 && au + 25 <= e.closure.unwrap_or(end).min(end))
                },
            ) else {
                return false;
            };
            let e = &mut p.c.episodes_mut()[i];
            let first = e.assessments[k];
            let au = first.auth.expect("checked above");
            let mut second = Assessment {
                start: first.start + (au - first.start) / 2,
                review: None,
                auth: Some(au + 5 + p.rng.days(20)),
                factors: Default::default(),
            };
            super::codes::factors(p.rng, &mut second.factors);
            e.assessments.push(second);
            p.mark("8863Q", (Tab::Assessments, At::item(i, 1)), "AssessmentActualStartDate");
            p.mark("8863Q", (Tab::Assessments, At::item(i, 0)), "AssessmentActualStartDate");
        }
        "4011" => {
            if p.plans_in_child() != 1 {
                return false;
            }
            let Some((i, k)) = p.find(|e| &e.plans, |_, pl| pl.end.is_some() && pl.start >= ws + 30) else {
                return false;
            };
            let pl = &mut p.c.episodes_mut()[i].plans[k];
            pl.end = Some(pl.start - 1 - p.rng.days(20));
            p.mark("4011", (Tab::CinPlanDates, At::item(i, k)), "CINPlanEndDate");
        }
        "4015" => {
            if p.plans_in_child() != 1 {
                return false;
            }
            let Some((i, k)) = p.find(
                |e| &e.plans,
                |e, _| !e.carried && e.cpps.is_empty() && e.referral >= ws + 15,
            ) else {
                return false;
            };
            let e = &mut p.c.episodes_mut()[i];
            e.plans[k].start = e.referral - 1 - p.rng.days(10);
            p.mark("4015", cin(i), "CINreferralDate");
            p.mark("4015", (Tab::CinPlanDates, At::item(i, k)), "CINPlanStartDate");
        }
        "4013" => {
            let Some((i, k)) = p.find(|e| &e.plans, |e, pl| pl.end.is_none() && e.closure.is_none()) else {
                return false;
            };
            p.c.episodes_mut()[i].plans[k].end = Some(end + 1 + p.rng.days(30));
            p.mark("4013", (Tab::CinPlanDates, At::item(i, k)), "CINPlanEndDate");
        }
        "4014" => {
            let Some((i, k)) = p.find(
                |e| &e.plans,
                |e, pl| e.plans.len() == 1 && pl.end.is_some_and(|pe| pe - pl.start >= 20),
            ) else {
                return false;
            };
            let e = &mut p.c.episodes_mut()[i];
            let first = e.plans[k];
            let pe = first.end.expect("checked above");
            e.plans.push(Plan {
                start: first.start + (pe - first.start) / 2,
                end: Some(pe),
            });
            p.mark("4014", (Tab::CinPlanDates, At::item(i, 1)), "CINPlanStartDate");
            p.mark("4014", (Tab::CinPlanDates, At::item(i, 0)), "CINPlanEndDate");
        }
        "4017" => {
            // A plan that ended on the day a protection plan started.
            let found = p.c.episodes().iter().enumerate().find_map(|(i, e)| {
                e.plans.iter().enumerate().find_map(|(k, pl)| {
                    let c = e.cpps.iter().position(|c| {
                        Some(c.start) == pl.end
                            && c.end.is_none_or(|ce| ce > c.start + 30)
                            && c.reviews.as_slice().first().is_none_or(|&r| r > c.start + 30)
                    })?;
                    Some((i, k, c))
                })
            });
            let Some((i, k, c)) = found else {
                return false;
            };
            let pl = &mut p.c.episodes_mut()[i].plans[k];
            pl.end = pl.end.map(|d| d + 10 + p.rng.days(10));
            p.mark("4017", (Tab::ChildProtectionPlans, At::item(i, c)), "CPPstartDate");
            p.mark("4017", (Tab::CinPlanDates, At::item(i, k)), "CINPlanEndDate");
        }
        "4010" => {
            let Some((i, k)) = p.find(|e| &e.plans, |_, _| true) else {
                return false;
            };
            p.glitch(Tab::CinPlanDates, At::item(i, k), "CINPlanStartDate", Fault::Omit);
            p.mark("4010", (Tab::CinPlanDates, At::item(i, k)), "CINPlanStartDate");
        }
        "2889" => {
            let Some((i, k)) = p.find(
                |e| &e.s47s,
                |e, s| !e.carried && s.icpc.is_some() && e.referral >= ws + 10,
            ) else {
                return false;
            };
            let e = &mut p.c.episodes_mut()[i];
            e.s47s[k].start = e.referral - 1 - p.rng.days(5);
            p.mark("2889", cin(i), "CINreferralDate");
            p.mark("2889", (Tab::Section47, At::item(i, k)), "S47ActualStartDate");
        }
        "8615" => {
            let Some((i, k)) = p.find(
                |e| &e.s47s,
                |e, s| s.icpc.is_some_and(|c| c + 6 <= e.closure.unwrap_or(end).min(end)),
            ) else {
                return false;
            };
            let s = &mut p.c.episodes_mut()[i].s47s[k];
            s.start = s.icpc.expect("checked above") + 1 + p.rng.days(5);
            p.mark("8615", (Tab::Section47, At::item(i, k)), "S47ActualStartDate");
        }
        "8875" => {
            let Some((i, k)) = p.find(
                |e| &e.s47s,
                |e, s| {
                    s.icpc.is_some_and(|c| {
                        c + 7 <= e.closure.unwrap_or(end).min(end) && !e.cpps.iter().any(|p| p.start == c)
                    })
                },
            ) else {
                return false;
            };
            let s = &mut p.c.episodes_mut()[i].s47s[k];
            let c = s.icpc.expect("checked above");
            let to_saturday = (5 - nd(c).weekday().num_days_from_monday() as i32).rem_euclid(7);
            s.icpc = Some(c + if to_saturday == 0 { 7 } else { to_saturday });
            p.mark("8875", (Tab::Section47, At::item(i, k)), "DateOfInitialCPC");
        }
        "8870Q" => {
            let Some((i, k)) = p.find(|e| &e.s47s, |_, s| s.target.is_some()) else {
                return false;
            };
            let s = &mut p.c.episodes_mut()[i].s47s[k];
            let t = s.target.expect("checked above");
            let back = (nd(t).weekday().num_days_from_monday() as i32 + 1) % 7;
            s.target = Some(t - if back == 0 { 7 } else { back });
            p.mark("8870Q", (Tab::Section47, At::item(i, k)), "InitialCPCtarget");
        }
        "8675Q" | "8868" => {
            let limit = p.ctx.cal.add(end, -15);
            let closed = id == "8868";
            let Some((i, k)) = p.find(
                |e| &e.s47s,
                |e, s| {
                    e.s47s.len() == 1
                        && e.closure.is_some() == closed
                        && s.start < limit
                        && s.icpc.is_some_and(|c| !e.cpps.iter().any(|p| p.start == c))
                },
            ) else {
                return false;
            };
            p.c.episodes_mut()[i].s47s[k].icpc = None;
            let row = (Tab::Section47, At::item(i, k));
            if closed {
                p.mark("8868", cin(i), "CINclosureDate");
                p.mark("8868", row, "DateOfInitialCPC");
            }
            p.mark("8675Q", row, "DateOfInitialCPC");
        }
        "2885" => {
            let Some((i, k)) = p.find(
                |e| &e.cpps,
                |e, c| {
                    c.start >= ws
                        && e.s47s.iter().any(|s| s.icpc == Some(c.start))
                        && c.end.is_none_or(|ce| ce > c.start + 5)
                },
            ) else {
                return false;
            };
            let start = p.c.episodes()[i].cpps[k].start;
            let moved = p.ctx.cal.add(start, 1);
            if moved > end {
                return false;
            }
            p.c.episodes_mut()[i].cpps[k].start = moved;
            p.mark("2885", (Tab::ChildProtectionPlans, At::item(i, k)), "CPPstartDate");
            for q in 0..p.c.episodes()[i].s47s.len() {
                if p.c.episodes()[i].s47s[q].icpc == Some(start) {
                    p.mark("2885", (Tab::Section47, At::item(i, q)), "DateOfInitialCPC");
                }
            }
        }
        "8840" | "8925" => {
            if p.cpps_in_child() != 1 {
                return false;
            }
            let Some((i, k)) = p.find(|e| &e.cpps, |_, c| c.end.is_some() && c.start >= ws + 40) else {
                return false;
            };
            let c = &mut p.c.episodes_mut()[i].cpps[k];
            c.reviews.clear();
            c.end = Some(if id == "8840" {
                c.start
            } else {
                c.start - 1 - p.rng.days(30)
            });
            let code = if id == "8840" { "8840" } else { "8925" };
            p.mark(code, (Tab::ChildProtectionPlans, At::item(i, k)), "CPPendDate");
        }
        "8930" => {
            let Some((i, k)) = p.find(|e| &e.cpps, |e, c| c.end.is_none() && e.closure.is_none()) else {
                return false;
            };
            p.c.episodes_mut()[i].cpps[k].end = Some(end + 1 + p.rng.days(20));
            p.mark("8930", (Tab::ChildProtectionPlans, At::item(i, k)), "CPPendDate");
        }
        "8905" => {
            let Some((i, k)) = p.find(|e| &e.cpps, |_, _| true) else {
                return false;
            };
            let text = ["Neglect", "NEGL", "PHS"][p.rng.below(3) as usize];
            p.glitch(
                Tab::ChildProtectionPlans,
                At::item(i, k),
                "InitialCategoryOfAbuse",
                Fault::Text(text),
            );
            p.mark(
                "8905",
                (Tab::ChildProtectionPlans, At::item(i, k)),
                "InitialCategoryOfAbuse",
            );
        }
        "8910" | "8730" => {
            let Some((i, k)) = p.find(|e| &e.cpps, |_, _| true) else {
                return false;
            };
            let (code, element) = if id == "8910" {
                ("8910", "LatestCategoryOfAbuse")
            } else {
                ("8730", "NumberOfPreviousCPP")
            };
            p.glitch(Tab::ChildProtectionPlans, At::item(i, k), element, Fault::Omit);
            p.mark(code, (Tab::ChildProtectionPlans, At::item(i, k)), element);
        }
        "8841" => {
            let Some((i, k)) = p.find(|e| &e.cpps, |_, c| c.start >= ws) else {
                return false;
            };
            let c = &mut p.c.episodes_mut()[i].cpps[k];
            c.reviews.insert(0, c.start);
            p.mark("8841", (Tab::ChildProtectionPlans, At::item(i, k)), "CPPstartDate");
            p.mark("8841", (Tab::Reviews, At::sub(i, k, 0)), "CPPreviewDate");
        }
        "8842Q" => {
            let Some((i, k)) = p.find(|e| &e.cpps, |_, c| !c.reviews.is_empty()) else {
                return false;
            };
            let n = p.c.episodes()[i].cpps[k].reviews.len();
            let at = At::sub(i, k, n - 1);
            p.glitch(Tab::Reviews, at, "CPPreviewDate", Fault::Empty);
            p.mark("8842Q", (Tab::Reviews, at), "CPPreviewDate");
        }
        "type" | "unknown" => {
            // A held-back episode must leave the child another (8590).
            if id == "unknown" && single {
                return false;
            }
            let (fault, code) = if id == "type" {
                (Fault::DayFirst, "cin_details.cin_referral_date.type")
            } else {
                (Fault::Rename("CINreferalDate"), "ingest.unknown_element")
            };
            p.glitch(Tab::CinDetails, At::ep(0), "CINreferralDate", fault);
            p.mark(code, cin(0), "CINreferralDate");
            // The rules see no referral date where the element is misspelt (one not a date
            // is not checked).
            if id == "unknown" {
                p.mark("8600", cin(0), "CINreferralDate");
            }
        }
        "type-b" => {
            let Some((i, k)) = p.find(|e| &e.assessments, |_, a| a.auth.is_some()) else {
                return false;
            };
            let at = At::item(i, k);
            p.glitch(Tab::Assessments, at, "AssessmentAuthorisationDate", Fault::DayFirst);
            p.mark(
                "assessments.assessment_authorisation_date.type",
                (Tab::Assessments, at),
                "AssessmentAuthorisationDate",
            );
        }
        "unknown-b" => {
            // The internal review date, which no rule reads.
            let Some((i, k)) = p.find(|e| &e.assessments, |_, a| a.review.is_some()) else {
                return false;
            };
            let at = At::item(i, k);
            p.glitch(
                Tab::Assessments,
                at,
                "AssessmentInternalReviewDate",
                Fault::Rename("AssesmentInternalReviewDate"),
            );
            p.mark(
                "ingest.unknown_element",
                (Tab::Assessments, at),
                "AssessmentInternalReviewDate",
            );
        }
        "type-c" => {
            let Some((i, k)) = p.find(|e| &e.cpps, |_, _| true) else {
                return false;
            };
            let at = At::item(i, k);
            p.glitch(Tab::ChildProtectionPlans, at, "CPPstartDate", Fault::DayFirst);
            p.mark(
                "child_protection_plans.cpp_start_date.type",
                (Tab::ChildProtectionPlans, at),
                "CPPstartDate",
            );
        }
        "type-d" => {
            if p.c.born.is_none() {
                return false;
            }
            p.glitch(CI.0, CI.1, "PersonBirthDate", Fault::DayFirst);
            p.mark("child_identifiers.person_birth_date.type", CI, "PersonBirthDate");
        }
        _ => unreachable!("a kind with no plant: {id}"),
    }
    true
}
