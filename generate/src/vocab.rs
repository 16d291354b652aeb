//! Code lists and fictional names for the demo tables. The codes must match
//! `rules/annex-a.yaml` exactly (a test checks them against it).

pub(crate) const GENDER: [&str; 4] = ["a) Male", "b) Female", "c) Not stated/recorded", "d) Neither"];
pub(crate) const GENDER_W: [u16; 4] = [505, 480, 12, 3];
/// Codes written with the wrong case or spacing (code_form), by gender.
const GENDER_FORMS: [[&str; 3]; 4] = [
    [" a) male", "A) MALE", "a)  Male "],
    ["B) FEMALE", " b) female", "b)  Female "],
    [
        "C) NOT STATED/RECORDED",
        " c) not stated/recorded",
        "c)  Not stated/recorded ",
    ],
    ["D) NEITHER", " d) neither", "d)  Neither "],
];
/// Gender in a council's own wording, by gender: each is in `rules/synonyms/gender.csv`.
const GENDER_WORDS: [[&str; 3]; 4] = [
    ["Male", "M", "1"],
    ["Female", "F", "2"],
    ["Not known", "Unknown", "0"],
    ["Neither", "Indeterminate", "I"],
];

pub(crate) const ETHNICITY: [&str; 20] = [
    "a) WBRI", "b) WIRI", "c) WIRT", "d) WOTH", "e) WROM", "f) MWBC", "g) MWBA", "h) MWAS", "i) MOTH", "j) AIND",
    "k) APKN", "l) ABAN", "m) AOTH", "n) BCRB", "o) BAFR", "p) BOTH", "q) CHNE", "r) OOTH", "s) REFU", "t) NOBT",
];
pub(crate) const ETHNICITY_W: [u16; 20] = [
    650, 10, 3, 60, 5, 20, 10, 15, 20, 20, 40, 15, 20, 10, 40, 10, 5, 20, 10, 17,
];

pub(crate) const SOURCE: [&str; 21] = [
    "a) 1A: Individual",
    "b) 1B: Individual",
    "c) 1C: Individual",
    "d) 1D: Individual",
    "e) 2A: Schools",
    "f) 2B: Education services",
    "g) 3A: Health services",
    "h) 3B: Health services",
    "i) 3C: Health services",
    "j) 3D: Health services",
    "k) 3E: Health services",
    "l) 3F: Health services",
    "m) 4: Housing",
    "n) 5A: LA services",
    "o) 5B: LA services",
    "p) 5C: LA services",
    "q) 6: Police",
    "r) 7: Other legal agency",
    "s) 8: Other",
    "t) 9: Anonymous",
    "u) 10: Unknown",
];
pub(crate) const SOURCE_W: [u16; 21] = [
    40, 30, 20, 30, 170, 40, 40, 60, 20, 20, 10, 10, 20, 50, 30, 30, 280, 30, 40, 20, 10,
];

pub(crate) const YNU: [&str; 3] = ["a) Yes", "b) No", "c) Unknown"];
pub(crate) const YES: u8 = 0;
pub(crate) const NO: u8 = 1;

pub(crate) const ABUSE: [&str; 5] = [
    "a) Neglect",
    "b) Physical abuse",
    "c) Sexual abuse",
    "d) Emotional abuse",
    "e) Multiple/not recommended",
];
pub(crate) const ABUSE_W: [u16; 5] = [450, 100, 50, 330, 70];

pub(crate) const MALE_FIRST: [&str; 25] = [
    "Oliver", "Jack", "Harry", "George", "Noah", "Leo", "Muhammad", "Jacob", "Oscar", "Charlie", "Freddie", "Arthur",
    "Alfie", "Theo", "Archie", "Łukasz", "Oísín", "José", "Kacper", "Tomás", "Ayaan", "Kwame", "Finley", "Reuben",
    "Mason",
];
pub(crate) const FEMALE_FIRST: [&str; 25] = [
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Freya", "Sophia", "Grace", "Zoë", "Siân",
    "Chloé", "Anaïs", "Maja", "Aoife", "Niamh", "Amara", "Fatima", "Ella", "Poppy", "Evie", "Ruby", "Aisha",
];
pub(crate) const SURNAMES: [&str; 40] = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Patel",
    "Khan",
    "Ahmed",
    "Hussain",
    "Begum",
    "Ali",
    "O'Brien",
    "Murphy",
    "Kowalski",
    "Wiśniewski",
    "Okafor",
    "Adeyemi",
    "Mensah",
    "Nguyen",
    "Chen",
    "Hughes",
    "Smith-Jones",
    "Müller",
    "Byrne",
    "Ó Súilleabháin",
];

/// Social workers. Referrals are exported in Windows-1252, so every name must be encodable in it.
pub(crate) const WORKERS: [&str; 30] = [
    "Chloé Martin",
    "Zoë Adebayo",
    "Siân Hughes",
    "Oísín Byrne",
    "Noël Dubois",
    "Renée Okafor",
    "José Fernández",
    "Anaïs Laurent",
    "Björn Larsen",
    "Amélie Wright",
    "Gaël Thomas",
    "Raphaël Mensah",
    "Priya Sharma",
    "Tom Clarke",
    "Fatima Begum",
    "Grace Okonkwo",
    "Daniel Evans",
    "Hannah Lewis",
    "Mohammed Iqbal",
    "Sarah O'Connor",
    "Ioana Popescu",
    "Kwame Asante",
    "Emma Walsh",
    "Liam Doherty",
    "Aisha Rahman",
    "Rebecca Hall",
    "Chidi Nwosu",
    "Joanna Nowak",
    "Mark Robinson",
    "Nadia Haddad",
];
pub(crate) const REFERRAL_TEAMS: [&str; 6] = [
    "Northfield MASH",
    "Northfield Front Door",
    "Northfield Assessment Team 1",
    "Northfield Assessment Team 2",
    "Northfield Assessment Team 3",
    "Northfield Emergency Duty Team",
];
pub(crate) const ASSESSMENT_TEAMS: [&str; 5] = [
    "Northfield Assessment Team 1",
    "Northfield Assessment Team 2",
    "Northfield Assessment Team 3",
    "Northfield Assessment Team 4",
    "Northfield Disabled Children's Team",
];
pub(crate) const CP_TEAMS: [&str; 4] = [
    "Northfield Child Protection Team North",
    "Northfield Child Protection Team South",
    "Northfield Safeguarding, Court and Review Team",
    "Northfield Children in Need Team 1",
];
pub(crate) const POSTCODE_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

/// Case notes pasted into Allocated Worker (REF-005): exactly 120 characters each.
pub(crate) const PASTED_NOTES: [&str; 2] = [
    "Mum rang duty, says she will not engage: \"no more social workers\". Agreed call back Fri; see case note re dad/school etc",
    "Strategy discussion held with police and school, outcome S47; IRO informed. Chase GP records, update chronology, Monday.",
];
pub(crate) const MULTILINE_TEAM: &str = "Northfield Assessment\nTeam 2";

/// Gender `sex` miswritten: its code in the wrong case or spacing, or (`wording`) in the
/// council's own words; `v` picks which.
pub(crate) fn miswritten_gender(sex: u8, wording: bool, v: usize) -> &'static str {
    let forms = if wording { &GENDER_WORDS } else { &GENDER_FORMS };
    forms[sex as usize][v % 3]
}

/// Another social worker: the one `step` places after `worker` in [`WORKERS`] (so a second
/// record on a key is not an exact copy).
pub(crate) fn other_worker(worker: &str, step: usize) -> &'static str {
    let w = WORKERS.iter().position(|&w| w == worker).unwrap_or(0);
    WORKERS[(w + step) % WORKERS.len()]
}

// ---- the later Annex A lists (2, 5, 6, 8, 9, 10, 11) ------------------------------------

pub(crate) const PRIMARY_NEED: [&str; 10] = [
    "N1 - Abuse or neglect",
    "N2 - Child's disability",
    "N3 - Parental disability or illness",
    "N4 - Family in acute stress",
    "N5 - Family dysfunction",
    "N6 - Socially unacceptable behaviour",
    "N7 - Low income",
    "N8 - Absent parenting",
    "N9 - Cases other than children in need",
    "N0 - Not stated",
];
/// Primary need of a child in need (not on a plan or in care).
pub(crate) const PRIMARY_NEED_W: [u16; 10] = [380, 120, 60, 150, 180, 50, 20, 40, 0, 0];
/// A child in care's category of need.
pub(crate) const CARE_NEED_W: [u16; 10] = [620, 40, 30, 80, 140, 20, 0, 70, 0, 0];
pub(crate) const N1: u8 = 0;

pub(crate) const CLOSURE_REASON: [&str; 8] = [
    "RC1 - Adopted",
    "RC2 - Died",
    "RC3 - Child arrangements order",
    "RC4 - Special guardianship order",
    "RC5 - Transferred to services of another local authority",
    "RC6 - Transferred to adult social care services",
    "RC7 - Services ceased for any other reason, including child no longer in need",
    "RC8 - Case closed after assessment, no further action",
];
/// Why a child in need's case closed (never adopted or died: those follow care).
pub(crate) const CLOSURE_W: [u16; 8] = [0, 0, 40, 30, 80, 10, 640, 200];
pub(crate) const RC1: u8 = 0;

pub(crate) const LEGAL_STATUS: [&str; 13] = [
    "E1: Placement order",
    "C1: ICO",
    "C2: FCO",
    "D1: Freeing order",
    "V2: Single period under S20",
    "L1: Police protection LA accommodation",
    "L2: EPO",
    "L3: Child assessment order LA accommodation",
    "J1: Remanded to LA or youth detention",
    "J2: LA accommodation under PACE",
    "J3: Youth rehabilitation order",
    "V3: Short term breaks, episodes recorded",
    "V4: Short term breaks, agreements recorded",
];
/// Legal status of a child in care not placed for adoption (C1, C2, V2, rarely L2 or J1).
pub(crate) const LEGAL_W: [u16; 13] = [0, 200, 480, 0, 280, 0, 15, 0, 25, 0, 0, 0, 0];
pub(crate) const E1: u8 = 0;

pub(crate) const PERMANENCE_PLAN: [&str; 7] = [
    "a) Return to family",
    "b) Adoption",
    "c) SGO/CAO",
    "d) Supported living in the community",
    "e) Long-term residential placement",
    "f) Long-term fostering",
    "g) other",
];
pub(crate) const PERMANENCE_W: [u16; 7] = [250, 0, 150, 60, 80, 420, 40];
pub(crate) const ADOPTION_PLAN: u8 = 1;

pub(crate) const REASON_CEASED: [&str; 22] = [
    "a) E11: Adopted - application unopposed",
    "b) E12: Adopted - consent dispensed",
    "r) E15: Age assessment determined child was 18 or over",
    "c) E2: Died",
    "d) E3: Care taken by another LA",
    "f) E4B: Returned home to live with parents or relatives - not part of planning",
    "e) E4A: Returned home to live with parents or relatives - part of planning",
    "g) E13: Parents, relatives or other with no parental responsibility",
    "h) E41: Residence order granted",
    "i) E45: Special Guardianship Orders - former carer relative/friend",
    "j) E46: Special Guardianship Orders - former carer other",
    "k) E47: Special Guardianship Orders - relative/friend",
    "l) E48: Special Guardianship Orders - other",
    "m) E5: Moved into independent living - supported",
    "n) E6: Moved into independent living - no support",
    "o) E7: Transferred to residential care funded by adult social services",
    "p) E9: Sentenced to custody",
    "q) E14: Accommodation on remand ended",
    "s) E16: Child moved abroad",
    "t) E8: Care ceased for any other reason",
    "u) X1: CodeError",
    "v) E17: Aged 18+ and remained with current carers",
];
/// Why a child under 16 left care (not adopted: that follows the adoption).
pub(crate) const CEASED_W: [u16; 22] = [
    0, 0, 0, 0, 30, 60, 420, 60, 40, 150, 30, 120, 20, 0, 0, 0, 0, 0, 10, 60, 0, 0,
];
/// Why a care leaver (16 or 17) left care.
pub(crate) const LEAVER_CEASED_W: [u16; 22] = [
    0, 0, 0, 0, 0, 80, 200, 40, 0, 0, 0, 0, 0, 560, 80, 0, 20, 0, 0, 20, 0, 0,
];
pub(crate) const ADOPTED_UNOPPOSED: u8 = 0;
pub(crate) const ADOPTED_DISPENSED: u8 = 1;

pub(crate) const PLACEMENT_TYPE: [&str; 27] = [
    "c) U3: Foster placement - relative - not FFA",
    "f) U6: Foster placement - not FFA",
    "a) U1: Foster placement - relatives - long term",
    "d) U4: Foster placement - long term",
    "b) U2: Foster placement - relative - FFA",
    "e) U5: Foster placement - FFA",
    "g) A3: Placed for adoption - consent - current foster",
    "h) A4: Placed for adoption - consent - not foster",
    "j) A6: Placed for adoption - order - not foster",
    "i) A5: Placed for adoption - order - foster",
    "k) P1: Placed with parents",
    "l) P2: Independent living",
    "m) P3: Residential employment",
    "n) H5: Residential accommodation",
    "o) K1: Secure Children's Homes",
    "p) K2: Children's Homes",
    "q) R1: Residential Care Home",
    "r) R2: NHS/Health Trust",
    "s) R3: Family Centre or Mother and Baby Unit",
    "t) R5: Young Offender Institution",
    "u) S1: Residential school",
    "v) Z1: Other placements",
    "x) T1: Temporary placement - hospital",
    "z) T3: Temporary placement - carer holiday",
    "y) T2: Temporary placement - holiday",
    "zz) T4: Temporary placement - seven days or less",
    "w) T0: Temporary placement",
];
pub(crate) const U3: u8 = 0;
pub(crate) const U6: u8 = 1;
pub(crate) const U1: u8 = 2;
pub(crate) const U4: u8 = 3;
pub(crate) const A6: u8 = 8;
pub(crate) const P1: u8 = 10;
pub(crate) const P2: u8 = 11;
pub(crate) const K2: u8 = 15;

pub(crate) const PLACEMENT_PROVIDER: [&str; 6] = [
    "a) PR0: Parents/Parental responsibility",
    "b) PR1: Own provision",
    "c) PR2: Other LA provision",
    "d) PR3: Other public provision",
    "e) PR4: Private provision",
    "f) PR5: Voluntary/third sector",
];
pub(crate) const PR0: u8 = 0;
pub(crate) const PR1: u8 = 1;
pub(crate) const PR4: u8 = 4;
pub(crate) const PR5: u8 = 5;

pub(crate) const PLACEMENT_LOCATION: [&str; 2] = ["a) In", "b) Out"];
/// The codes written with the wrong case or spacing (code_form), by location.
pub(crate) const LOCATION_FORMS: [[&str; 2]; 2] = [["a)  In", "A) IN"], [" b) out", "B) OUT"]];

pub(crate) const IN_TOUCH: [&str; 6] = ["a) Yes", "b) No", "c) Died", "d) Refu", "e) NREQ", "f) Rhom"];
/// A 17-year-old care leaver: in touch, or not, or refusing contact.
pub(crate) const IN_TOUCH_W: [u16; 6] = [900, 50, 0, 50, 0, 0];
pub(crate) const IN_TOUCH_FORMS: [[&str; 2]; 6] = [
    [" a) yes", "A) YES"],
    [" b) no", "B) NO"],
    [" c) died", "C) DIED"],
    [" d) refu", "D) REFU"],
    [" e) nreq", "E) NREQ"],
    [" f) rhom", "F) RHOM"],
];

pub(crate) const ACTIVITY: [&str; 9] = [
    "F1: Full time in higher education",
    "P1: Part time in higher education",
    "F2: Full time in education other than higher",
    "P2: Part time in education other than higher",
    "F3: Full time in training or employment",
    "P3: Part time in training or employment",
    "G4: Not in education, employment or training - illness or disability",
    "G5: Not in education, employment or training - other",
    "G6: Not in education, employment or training - pregnancy or parenting",
];
/// A 17-year-old's activity: mostly college or training.
pub(crate) const ACTIVITY_W: [u16; 9] = [0, 0, 450, 80, 200, 60, 40, 150, 20];
/// Activities a care leaver might write in their own words (`care_leavers.activity.type`).
pub(crate) const ACTIVITY_WORDS: [&str; 2] = ["College", "Working"];

pub(crate) const NO_LONGER_REASON: [&str; 4] = [
    "RD1 - The child's needs changed subsequent to the decision",
    "RD2 - The Court did not make a placement order",
    "RD3 - Prospective adopters could not be found",
    "RD4 - Any other reason",
];

pub(crate) const LEFT_REASON: [&str; 3] = [
    "1 - Adopter withdrew from process",
    "2 - Process put on hold",
    "3 - Application refused",
];
pub(crate) const LEFT_W: [u16; 3] = [600, 300, 100];

/// Yes/no/unknown codes written with the wrong case or spacing (code_form), by code. Spacing
/// means spaces around or doubled, never taken out: `a)yes` is not the code `a) Yes`.
pub(crate) const YNU_FORMS: [[&str; 2]; 3] = [
    [" a) yes", "A) YES"],
    ["b)  No ", "B) NO"],
    [" c) unknown", "C) UNKNOWN"],
];

/// Primary need codes written with the wrong case or spacing (code_form).
pub(crate) fn miswritten_need(need: u8, v: usize) -> String {
    let code = PRIMARY_NEED[need as usize];
    if v.is_multiple_of(2) {
        code.to_lowercase()
    } else {
        code.replace(" - ", "  -  ")
    }
}

/// Who completes early help assessments: Northfield's services and its schools (all fictional).
pub(crate) const EARLY_HELP_ORGS: [&str; 8] = [
    "Northfield Family Hub North",
    "Northfield Family Hub South",
    "Northfield Early Help Team",
    "Northfield Health Visiting Service",
    "Northfield School Nursing Service",
    "St Aidan's CE Primary School",
    "Northfield Park Academy",
    "Northfield Youth Service",
];
pub(crate) const CIN_TEAMS: [&str; 3] = [
    "Northfield Children in Need Team 1",
    "Northfield Children in Need Team 2",
    "Northfield Disabled Children's Team",
];
pub(crate) const CARE_TEAMS: [&str; 2] = [
    "Northfield Children in Care Team 1",
    "Northfield Children in Care Team 2",
];
pub(crate) const LEAVING_CARE_TEAM: &str = "Northfield Leaving Care Team";
pub(crate) const ELIGIBILITY: [&str; 4] = ["Relevant", "Former relevant", "Qualifying", "Eligible"];
pub(crate) const ACCOMMODATION: [&str; 5] = [
    "With parents or relatives",
    "Semi-independent, transitional accommodation",
    "Supported lodgings",
    "Independent living",
    "With former foster carers",
];
pub(crate) const SUITABILITY: [&str; 2] = ["Suitable", "Unsuitable"];
