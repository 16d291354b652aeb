//! Planted problems: what each kind is (its table, rule, how many per 1,000 children and its
//! note), the schedule that hands them to children, the table writer that records each one as it
//! writes its row, and `ground_truth.csv`, which lists them (see the crate docs for what it says).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::GenOptions;
use crate::council::Ctx;
use crate::export::ExportWriter;
use crate::render::{DateForm, Day, V, rendered};
use crate::rng::{Rng, SALT_PLANT_ROWS, SALT_SAME_PERSON, SALT_SCHEDULE};
use crate::tables::{
    ADOPTERS, ADOPTIONS, ASSESSMENTS, CARE_LEAVERS, CHILDREN, CHILDREN_IN_CARE, CHILDREN_IN_NEED, COLUMNS, CONTACTS,
    CP_PLANS, EARLY_HELP, REFERRALS, S47_ENQUIRIES, TABLE_NAMES, table_rng,
};

/// A kind of planted problem (named by its rule), tolerated oddity or expected correction; what
/// each is, in which table and how many, is in [`PlantKind::info`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum PlantKind {
    Chi001,
    Chi002,
    Chi003,
    Chi004,
    Chi005,
    Chi006,
    Chi007,
    ChiDobType,
    ChiDobRequired,
    ChiSexType,
    ChiSexCodeForm,
    ChiSexWording,
    Con001,
    Con002,
    Con003,
    Con004,
    Con005,
    Con006,
    Con007,
    Con009,
    Con010,
    ConDateType,
    ConDateRequired,
    ConSourceType,
    ConGenderCodeForm,
    ConGenderWording,
    ConDobType,
    ConDobMissing,
    ConEthnicityRequired,
    ConAltDate,
    ConLeapDay,
    Ref001,
    Ref002,
    Ref003,
    Ref004,
    Ref005,
    Ref006,
    RefCountType,
    RefNfaType,
    RefTeamRequired,
    RefRagged,
    RefCountForm,
    Ass001,
    Ass002,
    Ass003,
    Ass004,
    AssSeenType,
    AssMultilineTeam,
    Cpp001,
    Cpp002,
    Cpp003,
    Cpp004,
    Cpp005,
    Cpp006,
    Cpp007,
    Cpp009,
    Cpp010,
    CppStartType,
    CppCategoryType,
    EhStartType,
    EhOrganisationRequired,
    EhGenderCodeForm,
    S47StartType,
    S47CountRequired,
    S47OutcomeCodeForm,
    /// Scheduled among the section 47 enquiries (it is one left out), listed on the plan's row.
    Cpp011,
    CinLastSeenType,
    CinNeedRequired,
    CinNeedCodeForm,
    ClaReviewType,
    ClaLegalRequired,
    ClaLocationCodeForm,
    ClaR01,
    ClvActivityType,
    ClvEligibilityRequired,
    ClvInTouchCodeForm,
    ClvR01,
    AdoOrderType,
    AdoEnteredRequired,
    AdoGenderCodeForm,
    AdoR01,
    AdpEnquiryType,
    AdpFfaRequired,
    AdpDisabilityCodeForm,
    /// Another record of an earlier child under a new id (CHI-P01): scheduled apart from the
    /// children table's other plants (see [`Planter::people`]), written some rows after the
    /// child's own record.
    ChiSamePerson,
    /// The later of a pair of twins (CHI-P01 must not report it): scheduled with
    /// `ChiSamePerson`.
    ChiTwin,
    // Corrections the pack makes (`expect=change`): never scheduled (base 0), recorded beside the
    // plant or odd value that needs them.
    FixChiNames,
    FixChiSex,
    FixConId,
    FixConGender,
    FixConDates,
    FixConAge,
    FixConDob,
    // A plant on a night before it breaks its rule (see "Nights"): never scheduled (base 0).
    Chi003NotYet,
    Ass004NotYet,
}

/// What a ground-truth line says Cleanse must do on its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expectation {
    /// Report the rule (`expect=finding`).
    Finding,
    /// Not report the rule: a tolerated oddity (`expect=none`).
    None,
    /// Change a cell with this correction (`expect=change`; the rule id is the correction's).
    Change,
}

impl Expectation {
    fn word(self) -> &'static str {
        match self {
            Expectation::Finding => "finding",
            Expectation::None => "none",
            Expectation::Change => "change",
        }
    }
}

/// What a kind of plant is: its table, rule, expectation, count and note.
pub(crate) struct Info {
    /// The table whose schedule hands it out (for CPP-011, not the table it is listed in).
    table: usize,
    pub(crate) rule: &'static str,
    pub(crate) expect: Expectation,
    /// How many at 1000 children.
    pub(crate) base: usize,
    note: &'static str,
}

const fn info(table: usize, rule: &'static str, expect: Expectation, base: usize, note: &'static str) -> Info {
    Info {
        table,
        rule,
        expect,
        base,
        note,
    }
}

impl PlantKind {
    #[rustfmt::skip]
    pub(crate) const ALL: [PlantKind; 95] = [
        PlantKind::Chi001, PlantKind::Chi002, PlantKind::Chi003, PlantKind::Chi004, PlantKind::Chi005, PlantKind::Chi006,
        PlantKind::Chi007, PlantKind::ChiDobType, PlantKind::ChiDobRequired, PlantKind::ChiSexType,
        PlantKind::ChiSexCodeForm, PlantKind::ChiSexWording,
        PlantKind::Con001, PlantKind::Con002, PlantKind::Con003, PlantKind::Con004, PlantKind::Con005, PlantKind::Con006,
        PlantKind::Con007, PlantKind::Con009, PlantKind::Con010, PlantKind::ConDateType, PlantKind::ConDateRequired, PlantKind::ConSourceType,
        PlantKind::ConGenderCodeForm, PlantKind::ConGenderWording, PlantKind::ConDobType, PlantKind::ConDobMissing,
        PlantKind::ConEthnicityRequired, PlantKind::ConAltDate, PlantKind::ConLeapDay,
        PlantKind::Ref001, PlantKind::Ref002, PlantKind::Ref003, PlantKind::Ref004, PlantKind::Ref005, PlantKind::Ref006,
        PlantKind::RefCountType, PlantKind::RefNfaType, PlantKind::RefTeamRequired, PlantKind::RefRagged,
        PlantKind::RefCountForm,
        PlantKind::Ass001, PlantKind::Ass002, PlantKind::Ass003, PlantKind::Ass004, PlantKind::AssSeenType,
        PlantKind::AssMultilineTeam,
        PlantKind::Cpp001, PlantKind::Cpp002, PlantKind::Cpp003, PlantKind::Cpp004, PlantKind::Cpp005, PlantKind::Cpp006,
        PlantKind::Cpp007, PlantKind::Cpp009, PlantKind::Cpp010, PlantKind::CppStartType, PlantKind::CppCategoryType,
        PlantKind::FixChiNames, PlantKind::FixChiSex, PlantKind::FixConId, PlantKind::FixConGender, PlantKind::FixConDates,
        PlantKind::FixConAge, PlantKind::FixConDob, PlantKind::Chi003NotYet, PlantKind::Ass004NotYet,
        PlantKind::EhStartType, PlantKind::EhOrganisationRequired, PlantKind::EhGenderCodeForm,
        PlantKind::S47StartType, PlantKind::S47CountRequired, PlantKind::S47OutcomeCodeForm, PlantKind::Cpp011,
        PlantKind::CinLastSeenType, PlantKind::CinNeedRequired, PlantKind::CinNeedCodeForm,
        PlantKind::ClaReviewType, PlantKind::ClaLegalRequired, PlantKind::ClaLocationCodeForm, PlantKind::ClaR01,
        PlantKind::ClvActivityType, PlantKind::ClvEligibilityRequired, PlantKind::ClvInTouchCodeForm, PlantKind::ClvR01,
        PlantKind::AdoOrderType, PlantKind::AdoEnteredRequired, PlantKind::AdoGenderCodeForm, PlantKind::AdoR01,
        PlantKind::AdpEnquiryType, PlantKind::AdpFfaRequired, PlantKind::AdpDisabilityCodeForm,
        PlantKind::ChiSamePerson, PlantKind::ChiTwin,
    ];

    /// The duplicate-person plants, scheduled by [`Planter::people`] rather than with the
    /// children table's other plants (so those stay where they were).
    pub(crate) fn is_person(self) -> bool {
        matches!(self, PlantKind::ChiSamePerson | PlantKind::ChiTwin)
    }

    /// Ground-truth lines per plant: an overlap (CPP-009) is a pair of rows, both flagged.
    #[cfg(test)]
    pub(crate) fn lines(self) -> usize {
        if self == PlantKind::Cpp009 { 2 } else { 1 }
    }

    /// Table, rule id, finding or tolerated, count at 1000 children, ground-truth note.
    #[rustfmt::skip]
    pub(crate) fn info(self) -> Info {
        use PlantKind::*;
        let (c, n, r, a, p) = (CHILDREN, CONTACTS, REFERRALS, ASSESSMENTS, CP_PLANS);
        let (e, s, k, l, v, d, f) = (EARLY_HELP, S47_ENQUIRIES, CHILDREN_IN_NEED, CHILDREN_IN_CARE, CARE_LEAVERS, ADOPTIONS, ADOPTERS);
        use Expectation::{Change as C, Finding as F, None as N};
        match self {
            Chi001 => info(c, "CHI-001", F, 3, "a different child reuses an earlier child's id"),
            Chi002 => info(c, "CHI-002", F, 2, "date of birth in the future"),
            Chi003 => info(c, "CHI-003", F, 2, "date of birth makes the child 26 to 40 years old"),
            Chi004 => info(c, "CHI-004", F, 3, "NHS number is not ten digits"),
            Chi005 => info(c, "CHI-005", F, 3, "malformed postcode"),
            Chi006 => info(c, "CHI-006", F, 3, "stray or doubled spaces in a name"),
            Chi007 => info(c, "CHI-007", F, 2, "exact copy of the previous row"),
            ChiDobType => info(c, "children.date_of_birth.type", F, 2, "date of birth is not a date"),
            ChiDobRequired => info(c, "children.date_of_birth.required", F, 2, "date of birth is blank"),
            ChiSexType => info(c, "children.sex.type", F, 2, "gender is not a gender code"),
            ChiSexCodeForm => info(c, "children.sex.code_form", F, 3, "gender code in the wrong case or spacing"),
            ChiSexWording => info(c, "children.sex.type", F, 3, "gender in the council's own wording (Male, F, 2...)"),
            Con001 => info(n, "CON-001", F, 3, "contact dated in the future"),
            Con002 => info(n, "CON-002", F, 3, "contact dated before the child's birth (age left blank)"),
            Con003 => info(n, "CON-003", F, 3, "age does not match date of birth at the contact date"),
            Con004 => info(n, "CON-004", F, 2, "contact 7 to 9 years ago"),
            Con005 => info(n, "CON-005", F, 3, "same child, date and source as the previous row, written differently"),
            Con006 => info(n, "CON-006", F, 3, "exact copy of the previous row"),
            Con007 => info(n, "CON-007", F, 2, "child id with a stray space"),
            Con009 => info(n, "CON-009", F, 2, "date of birth differs from the child's other contacts"),
            Con010 => info(n, "CON-010", F, 2, "gender differs from the child's other contacts"),
            ConDateType => info(n, "contacts.contact_date.type", F, 3, "contact date is not a date"),
            ConDateRequired => info(n, "contacts.contact_date.required", F, 2, "contact date is blank"),
            ConSourceType => info(n, "contacts.contact_source.type", F, 2, "contact source is not a source code"),
            ConGenderCodeForm => info(n, "contacts.gender.code_form", F, 3, "gender code in the wrong case or spacing"),
            ConGenderWording => info(n, "contacts.gender.type", F, 3, "gender in the council's own wording (Male, F, 2...)"),
            ConDobType => info(n, "contacts.date_of_birth.type", F, 2, "date of birth is not a date"),
            ConDobMissing => info(n, "CON-009", N, 2, "date of birth and age left blank: not a disagreement with the child's other contacts"),
            ConEthnicityRequired => info(n, "contacts.ethnicity.required", F, 2, "ethnicity is blank"),
            ConAltDate => info(n, "contacts.contact_date.type", N, 20, "contact date in an accepted alternative form"),
            ConLeapDay => info(n, "CON-003", N, 2, "born 29 February: age on 28 Feb or 1 Mar of a non-leap year is right"),
            Ref001 => info(r, "REF-001", F, 2, "referral dated in the future"),
            Ref002 => info(r, "REF-002", F, 2, "referral dated before the child's birth (age left blank)"),
            Ref003 => info(r, "REF-003", F, 2, "referrals in last 12 months outside 1 to 52"),
            Ref004 => info(r, "REF-004", F, 2, "second referral for the child on the same date"),
            Ref005 => info(r, "REF-005", F, 2, "case note pasted into allocated worker"),
            Ref006 => info(r, "REF-006", F, 2, "child id mistyped (one digit changed): no such child"),
            RefCountType => info(r, "referrals.referrals_last_12m.type", F, 2, "referral count is not a whole number"),
            RefNfaType => info(r, "referrals.referral_nfa.type", F, 2, "NFA is not a yes/no/unknown code"),
            RefTeamRequired => info(r, "referrals.allocated_team.required", F, 2, "allocated team is blank"),
            RefRagged => info(r, "ingest.ragged_row", F, 1, "unquoted comma in worker name gives one extra field"),
            RefCountForm => info(r, "referrals.referrals_last_12m.type", N, 4, "whole number written as 3.0 or with spaces"),
            Ass001 => info(a, "ASS-001", F, 2, "assessment date in the future"),
            Ass002 => info(a, "ASS-002", F, 3, "authorised before the assessment started"),
            Ass003 => info(a, "ASS-003", F, 2, "second assessment for the child starting on the same date"),
            Ass004 => info(a, "ASS-004", F, 2, "assessment started over 45 days ago with no authorisation date"),
            AssSeenType => info(a, "assessments.child_seen.type", F, 2, "child seen is not a yes/no/unknown code"),
            AssMultilineTeam => info(a, "ingest.ragged_row", N, 1, "quoted allocated team with an embedded newline"),
            Cpp001 => info(p, "CPP-001", F, 2, "plan date in the future"),
            Cpp002 => info(p, "CPP-002", F, 3, "plan ends before it starts"),
            Cpp003 => info(p, "CPP-003", F, 2, "review conference before the plan started"),
            Cpp004 => info(p, "CPP-004", F, 2, "25 previous plans"),
            Cpp005 => info(p, "CPP-005", F, 2, "second plan for the child starting on the same date"),
            Cpp006 => info(p, "CPP-006", F, 2, "exact copy of the previous row"),
            Cpp007 => info(p, "CPP-007", F, 2, "plan for a child with no assessment at all"),
            Cpp009 => info(p, "CPP-009", F, 2, "two of the child's plans overlap (both rows listed)"),
            Cpp010 => info(p, "CPP-010", F, 2, "counts no more previous plans than the child's plan before it"),
            CppStartType => info(p, "cp_plans.plan_start_date.type", F, 2, "plan start date is not a date"),
            CppCategoryType => info(p, "cp_plans.initial_category.type", F, 2, "initial category is not an abuse category code"),
            FixChiNames => info(c, "CHI-006.fix", C, 0, "stray spaces removed"),
            FixChiSex => info(c, "FIX-CHI-SEX", C, 0, "gender written as the Annex A code"),
            FixConId => info(n, "CON-007.fix", C, 0, "stray spaces removed"),
            FixConGender => info(n, "FIX-CON-GENDER", C, 0, "gender written as the Annex A code"),
            FixConDates => info(n, "FIX-CON-DATES", C, 0, "date rewritten as dd/mm/yyyy"),
            FixConAge => info(n, "CON-003.fix", C, 0, "age worked out from the date of birth (proposed for review)"),
            FixConDob => info(n, "FIX-CON-DOB", C, 0, "date of birth filled from the child's record (proposed for review)"),
            Chi003NotYet => info(c, "CHI-003", N, 0, "date of birth makes the child 25 on this extract date: over 25 only on a later one"),
            Ass004NotYet => info(a, "ASS-004", N, 0, "no authorisation date, but started 45 days or less before this extract date"),
            EhStartType => info(e, "early_help.start_date.type", F, 2, "assessment start date is not a date"),
            EhOrganisationRequired => info(e, "early_help.organisation.required", F, 2, "organisation completing the assessment is blank"),
            EhGenderCodeForm => info(e, "early_help.gender.code_form", F, 2, "gender code in the wrong case or spacing"),
            S47StartType => info(s, "s47_enquiries.s47_start_date.type", F, 2, "enquiry start date is not a date"),
            S47CountRequired => info(s, "s47_enquiries.s47_last_12m.required", F, 2, "number of enquiries in the last 12 months is blank"),
            S47OutcomeCodeForm => info(s, "s47_enquiries.icpc_outcome.code_form", F, 2, "conference outcome code in the wrong case or spacing"),
            Cpp011 => info(s, "CPP-011", F, 2, "plan with no section 47 enquiry on or before its start (the enquiry left out)"),
            CinLastSeenType => info(k, "children_in_need.last_seen_date.type", F, 2, "date last seen is not a date"),
            CinNeedRequired => info(k, "children_in_need.primary_need.required", F, 2, "primary need is blank"),
            CinNeedCodeForm => info(k, "children_in_need.primary_need.code_form", F, 2, "primary need code in the wrong case or spacing"),
            ClaReviewType => info(l, "children_in_care.last_review_date.type", F, 2, "latest review date is not a date"),
            ClaLegalRequired => info(l, "children_in_care.legal_status.required", F, 2, "legal status is blank"),
            ClaLocationCodeForm => info(l, "children_in_care.placement_location.code_form", F, 2, "placement location code in the wrong case or spacing"),
            ClaR01 => info(l, "CLA-R01", F, 2, "child in care whose id is in no other table: not in children"),
            ClvActivityType => info(v, "care_leavers.activity.type", F, 2, "activity in the council's own words, not an activity code"),
            ClvEligibilityRequired => info(v, "care_leavers.eligibility.required", F, 2, "eligibility category is blank"),
            ClvInTouchCodeForm => info(v, "care_leavers.in_touch.code_form", F, 2, "in-touch code in the wrong case or spacing"),
            ClvR01 => info(v, "CLV-R01", F, 1, "care leaver who is still looked after (open row in children in care)"),
            AdoOrderType => info(d, "adoptions.placement_order_date.type", F, 2, "placement order date is not a date"),
            AdoEnteredRequired => info(d, "adoptions.entered_care_date.required", F, 2, "date the child entered care is blank"),
            AdoGenderCodeForm => info(d, "adoptions.gender.code_form", F, 2, "gender code in the wrong case or spacing"),
            AdoR01 => info(d, "ADO-R01", F, 2, "adoption decision for a child who is not in children in care"),
            AdpEnquiryType => info(f, "adopters.enquiry_date.type", F, 2, "enquiry date is not a date"),
            AdpFfaRequired => info(f, "adopters.fostering_for_adoption.required", F, 2, "fostering for adoption is blank"),
            AdpDisabilityCodeForm => info(f, "adopters.disability.code_form", F, 2, "disability code in the wrong case or spacing"),
            ChiSamePerson => info(c, "CHI-P01", F, 12, "another record of an earlier child under a new id (nickname or slip in a name, day and month swapped, identifier missing, or made before birth)"),
            ChiTwin => info(c, "CHI-P01", N, 3, "twin of an earlier child (same surname, date of birth and postcode): a different child"),
        }
    }
}

/// How a test can confirm a ground-truth line (not written to the file).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) enum TruthCheck {
    /// Field `0` (file column index) holds exactly this text.
    Value(usize, String),
    /// Byte-for-byte the same record as the one starting on this line.
    SameAs(usize),
    /// Same key as the record starting on this line, but not an exact copy.
    KeyOf(usize),
    /// One more field than the header.
    Ragged,
}

/// One ground-truth line.
#[derive(Debug, Clone)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) struct Truth {
    pub(crate) table: usize,
    pub(crate) line: usize,
    pub(crate) kind: PlantKind,
    column: &'static str,
    check: TruthCheck,
}

/// Hands planted problems to children in a pre-drawn order. Each problem has a target child;
/// from there it waits for the first child with a suitable row (one problem per child per table).
pub(crate) struct Planter {
    queue: Vec<(usize, PlantKind, usize)>,
    next: usize,
    waiting: Vec<(PlantKind, usize)>,
}

impl Planter {
    fn new(seed: u64, table: usize, children: usize, plant: bool) -> Self {
        Self::spanning(seed, table, children, plant, children)
    }

    /// The duplicate-person plants of the children table ([`PlantKind::is_person`]), on a
    /// schedule of their own.
    pub(crate) fn people(seed: u64, children: usize, plant: bool) -> Self {
        Self::drawn(seed, CHILDREN, children, plant, children, true)
    }

    /// As [`Planter::new`], for a table whose rows are made per one of `span` units (adopters'
    /// families) rather than per child: as many problems, spread over those units.
    pub(crate) fn spanning(seed: u64, table: usize, children: usize, plant: bool, span: usize) -> Self {
        Self::drawn(seed, table, children, plant, span, false)
    }

    fn drawn(seed: u64, table: usize, children: usize, plant: bool, span: usize, people: bool) -> Self {
        let mut queue = Vec::new();
        if plant && children > 0 && span > 0 {
            let mut items = Vec::new();
            for kind in PlantKind::ALL {
                let info = kind.info();
                if info.table == table && kind.is_person() == people {
                    let count = info.base.max((info.base * children + 500) / 1000);
                    items.extend((0..count).map(|variant| (kind, variant)));
                }
            }
            let salt = if people { SALT_SAME_PERSON } else { SALT_SCHEDULE };
            let mut rng = table_rng(seed, u64::MAX, table, salt);
            for i in (1..items.len()).rev() {
                let j = rng.below(i as u64 + 1) as usize;
                items.swap(i, j);
            }
            // Spread over the first 80% of children so late waiters still find a row.
            let span = (span * 4 / 5).max(1);
            let n = items.len();
            for (k, (kind, variant)) in items.into_iter().enumerate() {
                let lo = k * span / n;
                let hi = ((k + 1) * span / n).max(lo + 1);
                let target = lo + rng.below((hi - lo) as u64) as usize;
                queue.push((target, kind, variant));
            }
        }
        Planter {
            queue,
            next: 0,
            waiting: Vec::new(),
        }
    }

    /// The first problem waiting for child `child` (those aimed at it or at an earlier child)
    /// that `fits` (kind, variant) says one of its rows can hold, taken off the queue.
    pub(crate) fn take(
        &mut self,
        child: usize,
        mut fits: impl FnMut(PlantKind, usize) -> bool,
    ) -> Option<(PlantKind, usize)> {
        while self.next < self.queue.len() && self.queue[self.next].0 <= child {
            let (_, kind, variant) = self.queue[self.next];
            self.waiting.push((kind, variant));
            self.next += 1;
        }
        let pos = self.waiting.iter().position(|&(k, v)| fits(k, v))?;
        Some(self.waiting.remove(pos))
    }
}

/// A table being written, its planted-problem queue and its ground truth.
pub(crate) struct TableOut {
    pub(crate) export: ExportWriter,
    pub(crate) planter: Planter,
    pub(crate) truth: Vec<Truth>,
    /// Child id numbers made up for this table's orphan rows (REF-006), so no two share one.
    pub(crate) invented: Vec<u32>,
    /// Contacts: FIX-CON-DOB lines, each with its child. Kept once every table is written, and
    /// only where `children.csv` gives the child exactly one date of birth to fill from.
    pub(crate) fills: Vec<(usize, Truth)>,
    /// Children: dates of birth written other than the child's own, as (child, on the child's
    /// own row rather than another row given its id, the date or `None` if not a date).
    pub(crate) odd_dobs: Vec<(usize, bool, Option<Day>)>,
    /// Children: the duplicate-person plants' schedule ([`Planter::people`]; empty elsewhere).
    pub(crate) people: Planter,
    /// Children: further records of a child (a duplicate or a twin) waiting to be written, as
    /// (write after this child, the child, kind, variant).
    pub(crate) pending: Vec<(usize, usize, PlantKind, usize)>,
}

impl TableOut {
    pub(crate) fn new(dir: &Path, opts: &GenOptions, index: usize) -> io::Result<Self> {
        Ok(Self::with(ExportWriter::create(dir, index)?, opts, index))
    }

    /// Child `i`'s problem in this table as handed out (`plant`), if it is open on this night,
    /// and the stream that draws the values of the row it is planted on.
    pub(crate) fn tonight(
        &self,
        ctx: &Ctx,
        i: usize,
        plant: Option<(PlantKind, usize)>,
    ) -> (Option<(PlantKind, usize)>, Rng) {
        let table = self.export.index;
        let plant = plant.filter(|&(kind, _)| ctx.live(i, table, kind));
        (plant, table_rng(ctx.seed, i as u64, table, SALT_PLANT_ROWS))
    }

    /// A table made only for what it plants (see [`ExportWriter::sink`]): its ground truth is
    /// dropped with it.
    pub(crate) fn sink(opts: &GenOptions, index: usize) -> io::Result<Self> {
        Ok(Self::with(ExportWriter::sink(index)?, opts, index))
    }

    fn with(export: ExportWriter, opts: &GenOptions, index: usize) -> Self {
        TableOut {
            export,
            planter: Planter::new(opts.seed, index, opts.children, opts.plant),
            truth: Vec::new(),
            invented: Vec::new(),
            fills: Vec::new(),
            odd_dobs: Vec::new(),
            people: Planter::people(opts.seed, opts.children, opts.plant && index == CHILDREN),
            pending: Vec::new(),
        }
    }

    /// List a problem on another table's row: `line` of `table`, whose value in file column
    /// `col` is `value` (CPP-011, scheduled here, is on the plan's row).
    pub(crate) fn record_elsewhere(&mut self, kind: PlantKind, table: usize, line: usize, col: usize, value: String) {
        self.truth.push(Truth {
            table,
            line,
            kind,
            column: COLUMNS[table][col],
            check: TruthCheck::Value(col, value),
        });
    }

    fn record(&mut self, kind: PlantKind, line: usize, column: &'static str, check: TruthCheck) {
        self.truth.push(Truth {
            table: self.export.index,
            line,
            kind,
            column,
            check,
        });
    }

    /// A ground-truth line for the value in file column `col` of the row on `line`.
    fn truth_at(&self, kind: PlantKind, line: usize, values: &[V], col: usize) -> Truth {
        Truth {
            table: self.export.index,
            line,
            kind,
            column: COLUMNS[self.export.index][col],
            check: TruthCheck::Value(col, rendered(&values[col])),
        }
    }

    /// Record that the pack's correction `fix` changes file column `col` of the row on `line`.
    fn fixed(&mut self, fix: PlantKind, line: usize, values: &[V], col: usize) {
        let t = self.truth_at(fix, line, values, col);
        self.truth.push(t);
    }

    /// Record a FIX-CON-DOB change, kept if the children table can supply the date.
    pub(crate) fn fill_later(&mut self, child: usize, line: usize, values: &[V], col: usize) {
        let t = self.truth_at(PlantKind::FixConDob, line, values, col);
        self.fills.push((child, t));
    }

    /// Corrections any row may need, whatever was planted on it: contact dates in an accepted
    /// alternative form are rewritten dd/mm/yyyy (FIX-CON-DATES).
    fn note_fixes(&mut self, line: usize, values: &[V]) {
        if self.export.index != CONTACTS {
            return;
        }
        for col in [3, 5] {
            if let V::Date(d, form) = values[col]
                && form != DateForm::Dmy
                && rendered(&values[col]) != rendered(&V::Date(d, DateForm::Dmy))
            {
                self.fixed(PlantKind::FixConDates, line, values, col);
            }
        }
    }

    /// Write a row with nothing planted on it.
    pub(crate) fn write(&mut self, values: &[V]) -> io::Result<usize> {
        let line = self.export.write_row(values)?;
        self.note_fixes(line, values);
        Ok(line)
    }

    /// Write a row whose problem is the value in file column `col`; returns its line.
    pub(crate) fn plant(&mut self, kind: PlantKind, values: &[V], col: usize) -> io::Result<usize> {
        let line = self.export.write_row(values)?;
        self.fixed(kind, line, values, col);
        self.note_fixes(line, values);
        Ok(line)
    }

    /// Write a row whose problem is the value in file column `col`, which the pack's correction
    /// `fix` changes; returns its line.
    pub(crate) fn plant_fixed(
        &mut self,
        kind: PlantKind,
        fix: PlantKind,
        values: &[V],
        col: usize,
    ) -> io::Result<usize> {
        let line = self.plant(kind, values, col)?;
        self.fixed(fix, line, values, col);
        Ok(line)
    }

    /// Write a row whose problem a test confirms by `check` rather than by one value.
    pub(crate) fn plant_checked(&mut self, kind: PlantKind, values: &[V], check: TruthCheck) -> io::Result<()> {
        let line = self.export.write_row(values)?;
        self.record(kind, line, "", check);
        self.note_fixes(line, values);
        Ok(())
    }

    /// Write a clean row followed by an exact copy of it.
    pub(crate) fn plant_copy(&mut self, kind: PlantKind, values: &[V]) -> io::Result<()> {
        let first = self.write(values)?;
        let line = self.export.repeat_row()?;
        self.record(kind, line, "", TruthCheck::SameAs(first));
        self.note_fixes(line, values);
        Ok(())
    }

    /// Write a clean row followed by another row with the same key.
    pub(crate) fn plant_same_key(&mut self, kind: PlantKind, values: &[V], again: &[V]) -> io::Result<()> {
        let first = self.write(values)?;
        let line = self.export.write_row(again)?;
        self.record(kind, line, "", TruthCheck::KeyOf(first));
        self.note_fixes(line, again);
        Ok(())
    }
}

pub(crate) fn write_truth(path: &Path, truth: &[Truth]) -> io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    writeln!(w, "table,line,rule_id,column,expect,note")?;
    for t in truth {
        let info = t.kind.info();
        let note = if info.note.contains(',') {
            format!("\"{}\"", info.note)
        } else {
            info.note.to_string()
        };
        let expect = info.expect.word();
        writeln!(
            w,
            "{},{},{},{},{expect},{note}",
            TABLE_NAMES[t.table], t.line, info.rule, t.column
        )?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::render::ALT_FORMS;
    use crate::testing::checker::{parse_date, squash};
    use crate::testing::{Sheet, file, gen_in, opts};

    #[test]
    fn ground_truth_lines_start_records_holding_the_planted_values() {
        let (dir, _, truth) = gen_in(&opts(42, 1000), "lines");
        let sheets: HashMap<&str, Sheet> = TABLE_NAMES.iter().map(|&t| (t, Sheet::read(&dir, t))).collect();
        for t in &truth {
            let sheet = &sheets[TABLE_NAMES[t.table]];
            let record = sheet.at(t.line);
            match &t.check {
                TruthCheck::Value(col, value) => {
                    assert_eq!(&record[*col], value, "{t:?}");
                    if !t.column.is_empty() {
                        assert_eq!(COLUMNS[t.table][*col], t.column);
                    }
                }
                TruthCheck::SameAs(line) => {
                    assert!(line < &t.line && sheet.at(*line) == record, "{t:?}")
                }
                TruthCheck::KeyOf(line) => {
                    let first = sheet.at(*line);
                    assert!(line < &t.line && first != record && first[0] == record[0], "{t:?}");
                }
                TruthCheck::Ragged => assert_eq!(record.len(), sheet.header.len() + 1, "{t:?}"),
            }
        }
        // The file says the same as the in-memory list, sorted by table then line.
        let text = String::from_utf8(file(&dir, "ground_truth.csv")).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), truth.len());
        for (row, t) in rows.iter().zip(&truth) {
            let info = t.kind.info();
            let expect = info.expect.word();
            let want = [
                TABLE_NAMES[t.table],
                &t.line.to_string(),
                info.rule,
                t.column,
                expect,
                info.note,
            ];
            assert_eq!(row.iter().collect::<Vec<_>>(), want);
        }
        let keys: Vec<_> = truth.iter().map(|t| (TABLE_NAMES[t.table], t.line)).collect();
        assert!(keys.windows(2).all(|w| w[0] <= w[1]));
        // The tolerated values the tests rely on are there.
        let count = |k: PlantKind| truth.iter().filter(|t| t.kind == k).count();
        for form in ALT_FORMS {
            let n = truth
                .iter()
                .filter(|t| t.kind == PlantKind::ConAltDate)
                .filter(|t| match &t.check {
                    TruthCheck::Value(_, v) => match form {
                        DateForm::DmyShort => v.len() < 10 && v.contains('/'),
                        DateForm::Iso => v.len() == 10 && v.as_bytes()[4] == b'-',
                        DateForm::DayMonYear => v.len() == 11,
                        _ => v.len() == 5,
                    },
                    _ => false,
                })
                .count();
            assert!(n >= 5, "{form:?}: {n}");
        }
        assert!(count(PlantKind::RefCountForm) >= 3);
        assert_eq!(count(PlantKind::AssMultilineTeam), 1);
        assert_eq!(count(PlantKind::ConLeapDay), 2);
        // Each CPP-009 plant is two consecutive rows of one child, starting on different days.
        let overlaps: Vec<&Vec<String>> = truth
            .iter()
            .filter(|t| t.kind == PlantKind::Cpp009)
            .map(|t| sheets["cp_plans"].at(t.line))
            .collect();
        assert_eq!(overlaps.len(), 4);
        assert!(overlaps.chunks(2).all(|p| p[0][0] == p[1][0] && p[0][6] != p[1][6]));
        // Each CPP-010 plant is a child's later plan; each CON-009/CON-010 plant has other
        // contacts of the child to differ from, all holding the same value.
        for (kind, table, col) in [
            (PlantKind::Cpp010, "cp_plans", 6),
            (PlantKind::Con009, "contacts", 3),
            (PlantKind::Con010, "contacts", 1),
        ] {
            let plants: Vec<usize> = truth.iter().filter(|t| t.kind == kind).map(|t| t.line).collect();
            assert_eq!(plants.len(), 2, "{kind:?}");
            for line in plants {
                let sheet = &sheets[table];
                let row = sheet.at(line);
                let others: Vec<&String> = sheet
                    .rows
                    .iter()
                    .filter(|(l, r)| *l != line && r[0] == row[0])
                    .map(|(_, r)| &r[col])
                    .collect();
                assert!(!others.is_empty(), "{kind:?} line {line}");
                if kind == PlantKind::Cpp010 {
                    let start = |v: &str| parse_date(v).unwrap().unwrap();
                    assert!(others.iter().all(|o| start(o) <= start(&row[col])), "line {line}");
                } else {
                    // As Cleanse compares them: dates as dates, codes ignoring case and spacing.
                    let value = |v: &str| match col {
                        3 => parse_date(v).unwrap().unwrap().to_string(),
                        _ => squash(v),
                    };
                    let usual: HashSet<String> = others.iter().map(|o| value(o)).collect();
                    assert_eq!(usual.len(), 1, "{kind:?} line {line}: {others:?}");
                    assert!(!usual.contains(&value(&row[col])), "{kind:?} line {line}");
                }
            }
        }
    }
}
