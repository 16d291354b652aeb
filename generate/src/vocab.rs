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
