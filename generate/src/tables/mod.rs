//! The five demo tables: their names, the rule pack's columns and the headers each system
//! exports, and one module per table that makes its events and writes its rows.

pub(crate) mod assessments;
pub(crate) mod children;
pub(crate) mod contacts;
pub(crate) mod cp_plans;
pub(crate) mod referrals;

use crate::council::Child;
use crate::render::{DateForm, Day, Forms, IntForm, V, age_years};
use crate::rng::Rng;
use crate::vocab::{ETHNICITY, GENDER};

pub(crate) const CHILDREN: usize = 0;
pub(crate) const CONTACTS: usize = 1;
pub(crate) const REFERRALS: usize = 2;
pub(crate) const ASSESSMENTS: usize = 3;
pub(crate) const CP_PLANS: usize = 4;
pub(crate) const TABLE_NAMES: [&str; 5] = ["children", "contacts", "referrals", "assessments", "cp_plans"];

/// Rule-pack column names, in file order (ground truth uses these).
pub(crate) const COLUMNS: [&[&str]; 5] = [
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
];

/// Headers as each system exports them.
pub(crate) const HEADERS: [&[&str]; 5] = [
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
];

/// A row of one of the four event tables: the child's id, gender, ethnicity, date of birth and
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

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::plants::PlantKind;
    use crate::testing::checker::pack;
    use crate::vocab::{ABUSE, ETHNICITY, GENDER, PASTED_NOTES, SOURCE, YNU};

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
}
