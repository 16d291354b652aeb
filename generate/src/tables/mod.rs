//! The demo tables: the children table and Ofsted's eleven Annex A lists, their names, the rule
//! pack's columns and the headers each system exports, and one module per table that makes its
//! events and writes its rows (`care` holds the care histories four of them share).

pub(crate) mod adopters;
pub(crate) mod adoptions;
pub(crate) mod assessments;
pub(crate) mod care;
pub(crate) mod care_leavers;
pub(crate) mod children;
pub(crate) mod children_in_care;
pub(crate) mod children_in_need;
pub(crate) mod contacts;
pub(crate) mod cp_plans;
pub(crate) mod early_help;
pub(crate) mod referrals;
pub(crate) mod s47_enquiries;

use crate::council::Child;
use crate::render::{DateForm, Day, Forms, IntForm, V, age_years};
use crate::rng::Rng;
use crate::vocab::{ETHNICITY, GENDER, YNU};

pub(crate) const CHILDREN: usize = 0;
pub(crate) const CONTACTS: usize = 1;
pub(crate) const EARLY_HELP: usize = 2;
pub(crate) const REFERRALS: usize = 3;
pub(crate) const ASSESSMENTS: usize = 4;
pub(crate) const S47_ENQUIRIES: usize = 5;
pub(crate) const CHILDREN_IN_NEED: usize = 6;
pub(crate) const CP_PLANS: usize = 7;
pub(crate) const CHILDREN_IN_CARE: usize = 8;
pub(crate) const CARE_LEAVERS: usize = 9;
pub(crate) const ADOPTIONS: usize = 10;
pub(crate) const ADOPTERS: usize = 11;
pub(crate) const TABLE_COUNT: usize = 12;
/// In rule-pack order: the children table, then Annex A lists 1 to 11.
pub(crate) const TABLE_NAMES: [&str; TABLE_COUNT] = [
    "children",
    "contacts",
    "early_help",
    "referrals",
    "assessments",
    "s47_enquiries",
    "children_in_need",
    "cp_plans",
    "children_in_care",
    "care_leavers",
    "adoptions",
    "adopters",
];
/// The five tables the generator first wrote (and the only ones a night holds), in the order
/// their random streams are numbered.
pub(crate) const FIRST_FIVE: [usize; 5] = [CHILDREN, CONTACTS, REFERRALS, ASSESSMENTS, CP_PLANS];

/// Ofsted's sheet name and title for each Annex A list (`None` for the children table).
pub(crate) const SHEETS: [Option<(&str, &str)>; TABLE_COUNT] = [
    None,
    Some(("List 1 - Contacts", "Annex A \u{2013} List 1: Contacts")),
    Some(("List 2 - Early help", "Annex A \u{2013} List 2: Early help assessments")),
    Some(("List 3 - Referrals", "Annex A \u{2013} List 3: Referrals")),
    Some(("List 4 - Assessments", "Annex A \u{2013} List 4: Assessments")),
    Some((
        "List 5 - Section 47",
        "Annex A \u{2013} List 5: Section 47 enquiries and initial child protection conferences",
    )),
    Some(("List 6 - Children in need", "Annex A \u{2013} List 6: Children in need")),
    Some((
        "List 7 - Child protection",
        "Annex A \u{2013} List 7: Children subject to a child protection plan",
    )),
    Some(("List 8 - Children in care", "Annex A \u{2013} List 8: Children in care")),
    Some(("List 9 - Care leavers", "Annex A \u{2013} List 9: Care leavers")),
    Some((
        "List 10 - Adoption",
        "Annex A \u{2013} List 10: Children with an adoption decision",
    )),
    Some(("List 11 - Adopters", "Annex A \u{2013} List 11: Adopters")),
];

/// A table's own random stream for `index` (a child, or a row of a table not made per child)
/// and purpose `base` + its number: the first five tables keep the numbers they always had,
/// the later lists draw from [`Rng::later`]'s space, so adding them shifted nothing.
pub(crate) fn table_rng(seed: u64, index: u64, table: usize, base: u64) -> Rng {
    match FIRST_FIVE.iter().position(|&t| t == table) {
        Some(slot) => Rng::stream(seed, index, base + slot as u64),
        None => Rng::later(seed, index, base + table as u64),
    }
}

/// Rule-pack column names, in file order (ground truth uses these).
pub(crate) const COLUMNS: [&[&str]; TABLE_COUNT] = [
    &[
        "child_id",
        "first_name",
        "surname",
        "date_of_birth",
        "sex",
        "ethnicity",
        "postcode",
        "nhs_number",
    ],
    &[
        "child_id",
        "gender",
        "ethnicity",
        "date_of_birth",
        "age",
        "contact_date",
        "contact_source",
    ],
    &[
        "child_id",
        "gender",
        "ethnicity",
        "date_of_birth",
        "age",
        "start_date",
        "completion_date",
        "organisation",
    ],
    &[
        "child_id",
        "gender",
        "ethnicity",
        "date_of_birth",
        "age",
        "referral_date",
        "referral_source",
        "referral_nfa",
        "referrals_last_12m",
        "allocated_team",
        "allocated_worker",
        "",
    ],
    &[
        "child_id",
        "gender",
        "ethnicity",
        "date_of_birth",
        "age",
        "disability",
        "assessment_start_date",
        "child_seen",
        "authorisation_date",
        "further_support",
        "allocated_team",
        "allocated_worker",
    ],
    &[
        "child_id",
        "gender",
        "ethnicity",
        "date_of_birth",
        "age",
        "disability",
        "s47_start_date",
        "icpc_unnecessary",
        "icpc_date",
        "icpc_outcome",
        "s47_last_12m",
        "icpcs_last_12m",
        "allocated_team",
        "allocated_worker",
    ],
    &[
        "child_id",
        "gender",
        "ethnicity",
        "date_of_birth",
        "age",
        "disability",
        "cin_start_date",
        "primary_need",
        "last_seen_date",
        "cin_closure_date",
        "closure_reason",
        "case_status",
        "allocated_team",
        "allocated_worker",
    ],
    &[
        "child_id",
        "gender",
        "ethnicity",
        "date_of_birth",
        "age",
        "disability",
        "plan_start_date",
        "initial_category",
        "latest_category",
        "last_visit_date",
        "seen_alone",
        "review_date",
        "plan_end_date",
        "emergency_order",
        "previous_plans",
        "allocated_team",
        "allocated_worker",
    ],
    &[
        "child_id",
        "gender",
        "ethnicity",
        "date_of_birth",
        "age",
        "uasc",
        "disability",
        "cla_start_date",
        "category_of_need",
        "subsequent_period",
        "legal_status_start_date",
        "legal_status",
        "last_review_date",
        "last_visit_date",
        "permanence_plan",
        "last_iro_date",
        "last_health_assessment_date",
        "last_dental_check_date",
        "placements_last_12m",
        "cla_end_date",
        "reason_ceased",
        "placement_start_date",
        "placement_type",
        "placement_provider",
        "placement_postcode",
        "placement_urn",
        "placement_location",
        "placement_la",
        "missing_last_12m",
        "absent_last_12m",
        "return_interview_offered",
        "return_interview_accepted",
        "allocated_team",
        "allocated_worker",
    ],
    &[
        "child_id",
        "gender",
        "ethnicity",
        "date_of_birth",
        "age",
        "disability",
        "allocated_team",
        "allocated_worker",
        "eligibility",
        "in_touch",
        "accommodation_type",
        "accommodation_suitability",
        "activity",
    ],
    &[
        "child_id",
        "family_id",
        "gender",
        "ethnicity",
        "date_of_birth",
        "age",
        "disability",
        "entered_care_date",
        "decision_date",
        "placement_order_date",
        "matching_date",
        "placed_date",
        "adoption_order_date",
        "no_longer_date",
        "no_longer_reason",
        "ffa_date",
    ],
    &[
        "adopter_id",
        "family_id",
        "gender",
        "ethnicity",
        "disability",
        "fostering_for_adoption",
        "enquiry_date",
        "stage1_start_date",
        "stage1_end_date",
        "stage2_start_date",
        "stage2_end_date",
        "application_date",
        "approval_date",
        "matched_date",
        "placed_date",
        "children_placed",
        "adoption_order_date",
        "left_date",
        "left_reason",
    ],
];

/// Headers as each system exports them.
pub(crate) const HEADERS: [&[&str]; TABLE_COUNT] = [
    &[
        "Child Unique ID",
        "First Name",
        "Surname",
        "Date of Birth",
        "Gender",
        "Ethnicity",
        "Postcode",
        "NHS Number",
    ],
    &[
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Date of Contact",
        "Contact Source",
    ],
    &[
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Assessment start date",
        "Assessment completion date",
        "Organisation completing assessment",
    ],
    // An extra column the rule pack does not declare.
    &[
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Date of referral",
        "Referral Source",
        "Referral NFA?",
        "Number of Referrals in Last 12 Months",
        "Allocated Team",
        "Allocated Worker",
        "LA Code",
    ],
    &[
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Does the Child have a Disability",
        "Continuous Assessment Start Date",
        "Child Seen During Continuous Assessment",
        "Continuous Assessment Date of Authorisation",
        "Was the child assessed as requiring LA children's social care support?",
        "Allocated Team",
        "Allocated Worker",
    ],
    &[
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Does the Child have a Disability",
        "Strategy discussion initiating Section 47 Enquiry Start Date",
        "Was an Initial Child Protection Conference deemed unnecessary?",
        "Date of Initial Child Protection Conference",
        "Did the Initial Child Protection Conference Result in a Child Protection Plan",
        "Number of Section 47 Enquiries in the last 12 months",
        "Number of ICPCs in the last 12 months",
        "Allocated Team",
        "Allocated Worker",
    ],
    &[
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Does the Child have a Disability",
        "CIN Start Date",
        "Primary Need Code",
        "Date Child Was Last Seen",
        "CIN Closure Date",
        "Reason for Closure",
        "Case Status",
        "Allocated Team",
        "Allocated Worker",
    ],
    // Odd spacing and case: still equal to the pack's headers once lowercased and stripped of
    // everything but letters and digits.
    &[
        "  CHILD UNIQUE ID",
        "gender",
        "ETHNICITY ",
        "Date of  Birth",
        "Age of child (years)",
        "Does the child have a disability?",
        "Child Protection Plan  start date ",
        "Initial category of abuse",
        "LATEST CATEGORY OF ABUSE",
        "Date of the last statutory visit",
        "Was the Child Seen Alone",
        "Date of Latest Review Conference",
        "Child Protection Plan End Date ",
        "Subject to Emergency Protection Order or Protected under Police Powers in last six months (Y/N)",
        "Number of previous child protection plans",
        " Allocated Team",
        "Allocated  Worker",
    ],
    &[
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)",
        "Does the Child have a Disability",
        "Date Started to be Looked After",
        "Child's Category of Need",
        "Is this a second or subsequent period of being a Looked After Child within the last 12 months (Y/N)",
        "Start date of current legal status",
        "Child's Legal Status",
        "Date of Latest Statutory Review",
        "Date of Last Social Work Visit",
        "What is the permanence plan for this child?",
        "Date of Last IRO Visit / Contact to the Child",
        "Date of Last Health Assessment",
        "Date of Last Dental Check",
        "Number of Placements in the Last 12 months",
        "Date Ceased to be Looked After",
        "Reason Ceased to be Looked After",
        "Start Date of Most Recent Placement",
        "Placement Type",
        "Placement Provider",
        "Placement postcode",
        "URN of Placement",
        "Placement Location",
        "LA of Placement",
        "Number of Episodes the Child has been 'Missing' from their Placement in the last 12 months",
        "Number of Episodes the Child has been 'Absent' from their Placement in the last 12 months",
        "Was the child offered a Return Interview after their last missing episode (Y/N)?",
        "Did the child accept a Return Interview after their last missing episode (Y/N)?",
        "Allocated Team",
        "Allocated Worker",
    ],
    &[
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Does the Child have a Disability",
        "Allocated Team",
        "Allocated Worker",
        "Eligibility Category",
        "LA in Touch",
        "Type of Accommodation",
        "Suitability of Accommodation",
        "Activity Status",
    ],
    &[
        "Child Unique ID",
        "Family identifier",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Does the Child have a Disability",
        "Date the Child Entered Care",
        "Date of Decision that Child Should be Placed for Adoption",
        "Date of Placement Order",
        "Date of Matching Child and Prospective Adopters",
        "Date Placed for Adoption",
        "Date of Adoption Order",
        "Date of Decision that Child Should No Longer be Placed for Adoption",
        "Reason Why Child No Longer Placed for Adoption",
        "Date the child was placed for fostering in FFA or concurrent planning placement",
    ],
    &[
        "Individual adopter identifier",
        "Family identifier",
        "Gender",
        "Ethnicity",
        "Disability",
        "Is the (prospective) adopter fostering for adoption?",
        "Date enquiry received",
        "Date Stage 1 started",
        "Date Stage 1 ended",
        "Date Stage 2 started",
        "Date Stage 2 ended",
        "Date application submitted",
        "Date application approved",
        "Date adopter matched with child(ren)",
        "Date child/children placed with adopter(s)",
        "No. of children placed",
        "Date of Adoption Order",
        "Date of leaving adoption process",
        "Reason for leaving adoption process",
    ],
];

/// A row of one of the event tables: the child's id, gender, ethnicity, date of birth and
/// age on the event's date `at` (columns 0 to 4, as the row's forms `f` write them), then
/// `event`, the event's own columns.
fn event_row<'a, const N: usize>(c: &Child, f: Forms, at: Day, event: &[V<'a>]) -> [V<'a>; N] {
    let mut row = [V::Empty; N];
    row[..5].copy_from_slice(&[
        V::Id(c.num),
        V::Code(GENDER[c.sex as usize]),
        V::Code(ETHNICITY[c.eth as usize]),
        V::Date(c.dob, f.date(0)),
        f.age(age_years(c.dob, at)),
    ]);
    row[5..].copy_from_slice(event);
    row
}

/// Move an event table row's event to `d`: its date in column `col` (dd/mm/yyyy), and the age
/// on it in column 4.
fn move_event(values: &mut [V], c: &Child, col: usize, d: Day) {
    values[4] = V::Int(age_years(c.dob, d), IntForm::Plain);
    values[col] = V::Date(d, DateForm::Dmy);
}

/// Date an event table row's event (column 5) in the month before the child's birth, with no
/// age (CON-002, REF-002).
fn before_birth(values: &mut [V], c: &Child, rng: &mut Rng) {
    values[4] = V::Empty;
    values[5] = V::Date(c.dob - 1 - rng.days(30), DateForm::Dmy);
}

/// The child columns a later list's row starts with: id, gender, ethnicity, date of birth
/// (dd/mm/yyyy) and age on the event's date `at`.
pub(crate) fn child_cols(c: &Child, at: Day) -> [V<'static>; 5] {
    [
        V::Id(c.num),
        V::Code(GENDER[c.sex as usize]),
        V::Code(ETHNICITY[c.eth as usize]),
        V::Date(c.dob, DateForm::Dmy),
        V::Int(age_years(c.dob, at), IntForm::Plain),
    ]
}

/// The child's disability as a yes/no/unknown code.
pub(crate) fn disability(c: &Child) -> V<'static> {
    V::Code(YNU[c.disability as usize])
}

/// A date as dd/mm/yyyy, or blank.
pub(crate) fn dmy(d: Option<Day>) -> V<'static> {
    d.map_or(V::Empty, |d| V::Date(d, DateForm::Dmy))
}

/// A date that is not one, for a `<table>.<column>.type` plant: `v` picks which.
pub(crate) fn not_a_date(v: usize) -> V<'static> {
    V::Text(["31/02/2025", "yesterday", "2025-13-01"][v % 3])
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::plants::PlantKind;
    use crate::testing::checker::{checked_pack, pack};
    use crate::vocab::{
        ABUSE, ACTIVITY, CLOSURE_REASON, ETHNICITY, GENDER, IN_TOUCH, LEFT_REASON, LEGAL_STATUS, NO_LONGER_REASON,
        PASTED_NOTES, PERMANENCE_PLAN, PLACEMENT_LOCATION, PLACEMENT_PROVIDER, PLACEMENT_TYPE, PRIMARY_NEED,
        REASON_CEASED, SOURCE, YNU,
    };

    #[test]
    fn headers_and_codes_match_the_rule_pack() {
        let pack = pack();
        for (t, table) in TABLE_NAMES.iter().enumerate() {
            let cols = &pack.tables[*table].1;
            for (i, c) in cols.iter().enumerate() {
                assert_eq!(COLUMNS[t][i], c.name, "{table}");
                if t != CP_PLANS {
                    assert_eq!(HEADERS[t][i], c.header, "{table}");
                }
            }
            let extra = usize::from(t == REFERRALS);
            assert_eq!(cols.len() + extra, HEADERS[t].len(), "{table}");
            assert_eq!(COLUMNS[t].len(), HEADERS[t].len(), "{table}");
        }
        let list = |n: &str| pack.code_lists[n].clone();
        assert_eq!(list("gender"), GENDER);
        assert_eq!(list("ethnicity"), ETHNICITY);
        assert_eq!(list("source"), SOURCE);
        assert_eq!(list("yes_no_unknown"), YNU);
        assert_eq!(list("abuse_category"), ABUSE);
        assert_eq!(list("primary_need"), PRIMARY_NEED);
        // The contract fixes these lists' values, not their order.
        let same = |name: &str, ours: &[&str]| {
            let mut theirs = list(name);
            let mut ours: Vec<&str> = ours.to_vec();
            theirs.sort();
            ours.sort_unstable();
            assert_eq!(theirs, ours, "{name}");
        };
        same("closure_reason", &CLOSURE_REASON);
        same("legal_status", &LEGAL_STATUS);
        same("permanence_plan", &PERMANENCE_PLAN);
        same("reason_ceased", &REASON_CEASED);
        same("placement_type", &PLACEMENT_TYPE);
        same("placement_provider", &PLACEMENT_PROVIDER);
        same("placement_location", &PLACEMENT_LOCATION);
        same("in_touch", &IN_TOUCH);
        same("activity", &ACTIVITY);
        same("no_longer_reason", &NO_LONGER_REASON);
        same("left_reason", &LEFT_REASON);

        // Every planted rule id exists in the pack (or is one it derives from a column).
        let text = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/annex-a.yaml")).unwrap();
        for kind in PlantKind::ALL {
            let rule = kind.info().rule;
            let derived = rule.split('.').collect::<Vec<_>>();
            let ok = match derived[..] {
                [id] | [id, "fix"] => text.contains(&format!("- id: {id}\n")),
                ["ingest", "ragged_row"] => true,
                [t, c, check] => {
                    let col = pack.tables[t].1.iter().find(|x| x.name == c).unwrap();
                    match check {
                        "type" => col.kind != "text",
                        "required" => col.required,
                        "code_form" => col.kind == "code",
                        _ => false,
                    }
                }
                _ => false,
            };
            assert!(ok, "{rule}");
        }
        assert!(PASTED_NOTES.iter().all(|n| n.chars().count() == 120));
    }

    #[test]
    fn the_contract_the_checker_falls_back_on_matches_the_tables() {
        // What the mini-checker reads for a list the pack does not have yet: the columns and
        // headers `annexa_spec.yaml` copies from the contract, and its code lists.
        let spec = checked_pack();
        for (t, table) in TABLE_NAMES.iter().enumerate() {
            let cols = &spec.tables[*table].1;
            let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
            let extra = usize::from(t == REFERRALS);
            assert_eq!(names, COLUMNS[t][..COLUMNS[t].len() - extra], "{table}");
            if t != CP_PLANS {
                let headers: Vec<&str> = cols.iter().map(|c| c.header.as_str()).collect();
                assert_eq!(headers, HEADERS[t][..HEADERS[t].len() - extra], "{table}");
            }
        }
        assert_eq!(spec.code_lists["primary_need"], PRIMARY_NEED);
        for (name, ours) in [
            ("closure_reason", &CLOSURE_REASON[..]),
            ("legal_status", &LEGAL_STATUS),
            ("permanence_plan", &PERMANENCE_PLAN),
            ("reason_ceased", &REASON_CEASED),
            ("placement_type", &PLACEMENT_TYPE),
            ("placement_provider", &PLACEMENT_PROVIDER),
            ("placement_location", &PLACEMENT_LOCATION),
            ("in_touch", &IN_TOUCH),
            ("activity", &ACTIVITY),
            ("no_longer_reason", &NO_LONGER_REASON),
            ("left_reason", &LEFT_REASON),
        ] {
            assert_eq!(spec.code_lists[name], ours, "{name}");
        }
    }
}
