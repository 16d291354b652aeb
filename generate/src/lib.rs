//! Synthetic Annex A exports for the fictional council "Northfield", with planted problems.
//!
//! Cleanse is about finding data-quality problems in real councils' exports, but real children's
//! records can never be used as test data or shipped as a demo. This module makes data that looks
//! and misbehaves like a real export instead, and records exactly what it broke:
//!
//! * five CSV files shaped like the `rules/annex-a.yaml` tables (children, and Annex A lists 1, 3,
//!   4 and 7), each exported with a quirk seen in real council systems: a UTF-8 BOM, Windows-1252
//!   with CRLF and an undeclared extra column, CRLF with a newline inside a quoted field, and
//!   headers with odd spacing and case;
//! * planted problems, each on its own row, one per rule in the rule pack (plus type, required and
//!   code-form checks, and one ragged row), with every other value on that row clean;
//! * `ground_truth.csv`, one line per planted problem (`expect=finding`; both rows of a CPP-009
//!   overlap of plans), per deliberately odd-but-valid value (`expect=none`: alternative date
//!   forms, `3.0`-style integers, a leap-day birthday, a multi-line team name, a blank optional
//!   date of birth), and per cell the rule pack's corrections change (`expect=change`, with the
//!   correction's id: names and ids with stray spaces, gender codes in the wrong form or the
//!   council's own wording, contact dates in another form, a wrong age, a contact's blank or
//!   malformed date of birth filled from the child's record), so tests can prove Cleanse finds
//!   every planted problem and nothing else, and changes every listed cell and nothing else.
//!
//! Ground-truth `line`s are physical lines (header = 1, a quoted newline counts). Note that the
//! csv crate's `Position::line` runs one behind after a CRLF terminator, so a reader that reports
//! it must correct for that in `referrals.csv` and `assessments.csv`. A child's clean plans never
//! overlap (each ends on or before the day the next starts), and each counts the child's plans
//! before it (CPP-010); a child's contacts agree on date of birth and gender (CON-009, CON-010).
//! CPP-010 is planted as a new plan after the child's last, ended one. A planted row may trip
//! other rules as a consequence (an exact copy also repeats its key, so CHI-001, CON-005 and
//! CPP-005 fire next to CHI-007, CON-006 and CPP-006; a start date that is not a date leaves the
//! plan rules that read it not checked); the ground truth lists only the plant.
//!
//! Two problems span tables: a referral whose child id is one digit off a real one (REF-006) and a
//! plan for a child with no assessment (CPP-007). Every other row's child is in `children.csv`,
//! and every other plan's child has an assessment, so these are findings only where the other
//! table is checked too.
//!
//! Everything is fictional: ids are `NF` + digits, NHS numbers come from the `999` range the NHS
//! reserves for test data, postcodes use the non-existent `NF` area.
//!
//! Output is a pure function of [`GenOptions`] (a hand-written SplitMix64 seeded per child and per
//! table, so a table's bytes do not depend on which other tables were asked for). Rows are written
//! as they are made, through reused buffers, so the benchmark can ask for millions of rows.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use chrono::{Datelike, Months, NaiveDate};

pub mod people;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenOptions {
    /// Seed for the generator: the same options always give byte-identical files.
    pub seed: u64,
    /// Number of children; other tables scale from it (≈3 contacts per child, ≈half of contacts
    /// lead to a referral, ≈70% of referrals to an assessment, ≈15% of assessments to a CP plan).
    pub children: usize,
    /// The extract date: every clean date is on or before it.
    pub as_of: NaiveDate,
    /// Which tables to write (empty = all five): `children`, `contacts`, `referrals`,
    /// `assessments`, `cp_plans`.
    pub tables: Vec<String>,
    /// Plant problems (and the tolerated oddities listed as `expect=none`). With `false` every row
    /// is clean: the ground truth lists only the dates in accepted alternative forms that the
    /// pack rewrites (`expect=change`).
    pub plant: bool,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenSummary {
    /// Data rows (header excluded) per table written, in rule-pack order.
    pub rows: Vec<(String, usize)>,
    /// Number of planted problems (`expect=finding` lines in `ground_truth.csv`).
    pub planted: usize,
    /// Number of cells the rule pack's corrections should change (`expect=change` lines).
    pub changes: usize,
}

/// Write `<table>.csv` for each table and `ground_truth.csv` into `dir` (created if missing).
///
/// With `plant`, each problem is planted `max(base, base × children / 1000)` times (see the
/// table in the source); with very few children (under about 200) some cannot find a suitable
/// row and are left out. The ground truth always lists exactly what was planted.
pub fn generate(opts: &GenOptions, dir: &Path) -> io::Result<GenSummary> {
    run(opts, dir).map(|(summary, _)| summary)
}

/// The most nights [`generate_nights`] writes: the plants' dates are drawn against the last
/// night, and hold (or are listed as `expect=none`) on nights up to this far before it.
pub const MAX_NIGHTS: usize = 90;

/// Write `nights` consecutive nightly extracts of the same council, the last on `opts.as_of`,
/// each into `dir/<yyyy-mm-dd>/`: the CSV files and `ground_truth.csv` as [`generate`] writes
/// them for that night, and a `cleanse.yaml` with that night's `as_of` and the rule pack at
/// `rules` (named relative to the night's folder when the two share more than the file-system
/// root, else absolute; a relative `rules` is taken from the current directory).
///
/// Each night holds the records dated on or before it, and the planted problems open that
/// night: most are still open the next night, some are fixed and a few appear (see "Nights" in
/// the source). With `nights = 1` the one night is what [`generate`] writes, plus the
/// configuration.
pub fn generate_nights(
    opts: &GenOptions,
    nights: usize,
    rules: &Path,
    dir: &Path,
) -> io::Result<Vec<(NaiveDate, GenSummary)>> {
    if !(1..=MAX_NIGHTS).contains(&nights) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("nights must be 1 to {MAX_NIGHTS}"),
        ));
    }
    let first = opts
        .as_of
        .checked_sub_days(chrono::Days::new(nights as u64 - 1))
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "as_of is too early"))?;
    let mut written = Vec::with_capacity(nights);
    for (index, date) in first.iter_days().take(nights).enumerate() {
        let night_dir = dir.join(date.format("%Y-%m-%d").to_string());
        let (summary, _) = run_night(opts, Night { index, count: nights }, &night_dir)?;
        fs::write(
            night_dir.join("cleanse.yaml"),
            night_config(opts, date, index, nights, rules, &night_dir)?,
        )?;
        written.push((date, summary));
    }
    Ok(written)
}

/// A night's `cleanse.yaml`: the repository's demo configuration, for this night's files.
fn night_config(
    opts: &GenOptions,
    date: NaiveDate,
    index: usize,
    nights: usize,
    rules: &Path,
    night_dir: &Path,
) -> io::Result<String> {
    let mut y = format!(
        "# Night {} of {nights} of the Northfield demo: the exports as extracted on {date}.\n\
         # Written by `cleanse generate --nights`; paths are relative to this file.\n\
         name: Northfield (fictional demo council)\n\
         as_of: {date}\n\
         rules:\n  - {}\n\
         inputs:\n",
        index + 1,
        yaml_text(&path_from(night_dir, rules)?),
    );
    for table in TABLE_NAMES {
        if !opts.tables.is_empty() && !opts.tables.iter().any(|t| t == table) {
            continue;
        }
        y.push_str(&format!("  - table: {table}\n    file: {table}.csv\n"));
        match table {
            "referrals" => y.push_str("    encoding: auto          # Windows-1252 where a value is not UTF-8\n"),
            "cp_plans" => y.push_str("    delimiter: \",\"\n"),
            _ => {}
        }
    }
    y.push_str(
        "summary:\n  breakdown:\n\
         \x20   - { table: referrals, column: allocated_team, label: allocated team, personal: false }\n\
         \x20   - { table: contacts, column: contact_source, label: contact source, personal: false }\n\
         \x20   - { table: referrals, column: allocated_worker, label: allocated worker, personal: true }\n\
         history:\n  keep_days: 400\n",
    );
    Ok(y)
}

/// `target` as a path from the directory `from`: relative (with `/`) when the two share more
/// than the root, else absolute. Relative paths are taken from the current directory, and
/// `.` and `..` are resolved without reading the file system.
fn path_from(from: &Path, target: &Path) -> io::Result<String> {
    use std::path::Component;
    let cwd = std::env::current_dir()?;
    let absolute = |p: &Path| {
        let mut out = std::path::PathBuf::new();
        for c in cwd.join(p).components() {
            match c {
                Component::CurDir => {}
                Component::ParentDir => {
                    out.pop();
                }
                c => out.push(c),
            }
        }
        out
    };
    let (from, to) = (absolute(from), absolute(target));
    let (from, to): (Vec<Component>, Vec<Component>) = (from.components().collect(), to.components().collect());
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    if !to[..common].iter().any(|c| matches!(c, Component::Normal(_))) {
        return Ok(to.iter().collect::<std::path::PathBuf>().display().to_string());
    }
    let ups = std::iter::repeat_n("..".to_string(), from.len() - common);
    let downs = to[common..]
        .iter()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    Ok(ups.chain(downs).collect::<Vec<_>>().join("/"))
}

/// A YAML scalar for `s`: as is when plainly safe, else double-quoted.
fn yaml_text(s: &str) -> String {
    let plain =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b)) && !s.starts_with('-');
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

// ---------------------------------------------------------------------------------------------
// Randomness

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64: tiny, fast, and good enough for synthetic data.
struct Rng(u64);

impl Rng {
    /// An independent stream for one (child, purpose) pair.
    fn stream(seed: u64, index: u64, salt: u64) -> Self {
        Rng(mix(
            seed ^ mix(index.wrapping_mul(64).wrapping_add(salt).wrapping_add(GOLDEN))
        ))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    fn days(&mut self, n: i32) -> i32 {
        self.below(n.max(1) as u64) as i32
    }

    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    fn weighted(&mut self, weights: &[u16]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

// Stream salts: one per purpose, so adding a purpose never shifts another's numbers.
const SALT_CHILD: u64 = 0;
const SALT_PERSON: u64 = 1;
const SALT_CONTACTS: u64 = 2;
const SALT_REFERRALS: u64 = 3;
const SALT_ASSESSMENTS: u64 = 4;
const SALT_PLANS: u64 = 5;
const SALT_EXTRA_CHILD: u64 = 6;
const SALT_MISTYPED_ID: u64 = 7;
const SALT_PLANT_ROWS: u64 = 10; // + table index
const SALT_SCHEDULE: u64 = 20; // + table index
const SALT_LIFE: u64 = 30; // + table index

// ---------------------------------------------------------------------------------------------
// Code lists and fictional names (codes must match rules/annex-a.yaml exactly)

const GENDER: [&str; 4] = ["a) Male", "b) Female", "c) Not stated/recorded", "d) Neither"];
const GENDER_W: [u16; 4] = [505, 480, 12, 3];
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

const ETHNICITY: [&str; 20] = [
    "a) WBRI", "b) WIRI", "c) WIRT", "d) WOTH", "e) WROM", "f) MWBC", "g) MWBA", "h) MWAS", "i) MOTH", "j) AIND",
    "k) APKN", "l) ABAN", "m) AOTH", "n) BCRB", "o) BAFR", "p) BOTH", "q) CHNE", "r) OOTH", "s) REFU", "t) NOBT",
];
const ETHNICITY_W: [u16; 20] = [
    650, 10, 3, 60, 5, 20, 10, 15, 20, 20, 40, 15, 20, 10, 40, 10, 5, 20, 10, 17,
];

const SOURCE: [&str; 21] = [
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
const SOURCE_W: [u16; 21] = [
    40, 30, 20, 30, 170, 40, 40, 60, 20, 20, 10, 10, 20, 50, 30, 30, 280, 30, 40, 20, 10,
];

const YNU: [&str; 3] = ["a) Yes", "b) No", "c) Unknown"];
const YES: u8 = 0;
const NO: u8 = 1;

const ABUSE: [&str; 5] = [
    "a) Neglect",
    "b) Physical abuse",
    "c) Sexual abuse",
    "d) Emotional abuse",
    "e) Multiple/not recommended",
];
const ABUSE_W: [u16; 5] = [450, 100, 50, 330, 70];

const MALE_FIRST: [&str; 25] = [
    "Oliver", "Jack", "Harry", "George", "Noah", "Leo", "Muhammad", "Jacob", "Oscar", "Charlie", "Freddie", "Arthur",
    "Alfie", "Theo", "Archie", "Łukasz", "Oísín", "José", "Kacper", "Tomás", "Ayaan", "Kwame", "Finley", "Reuben",
    "Mason",
];
const FEMALE_FIRST: [&str; 25] = [
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Freya", "Sophia", "Grace", "Zoë", "Siân",
    "Chloé", "Anaïs", "Maja", "Aoife", "Niamh", "Amara", "Fatima", "Ella", "Poppy", "Evie", "Ruby", "Aisha",
];
const SURNAMES: [&str; 40] = [
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
const WORKERS: [&str; 30] = [
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
const REFERRAL_TEAMS: [&str; 6] = [
    "Northfield MASH",
    "Northfield Front Door",
    "Northfield Assessment Team 1",
    "Northfield Assessment Team 2",
    "Northfield Assessment Team 3",
    "Northfield Emergency Duty Team",
];
const ASSESSMENT_TEAMS: [&str; 5] = [
    "Northfield Assessment Team 1",
    "Northfield Assessment Team 2",
    "Northfield Assessment Team 3",
    "Northfield Assessment Team 4",
    "Northfield Disabled Children's Team",
];
const CP_TEAMS: [&str; 4] = [
    "Northfield Child Protection Team North",
    "Northfield Child Protection Team South",
    "Northfield Safeguarding, Court and Review Team",
    "Northfield Children in Need Team 1",
];
const POSTCODE_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

/// Case notes pasted into Allocated Worker (REF-005): exactly 120 characters each.
const PASTED_NOTES: [&str; 2] = [
    "Mum rang duty, says she will not engage: \"no more social workers\". Agreed call back Fri; see case note re dad/school etc",
    "Strategy discussion held with police and school, outcome S47; IRO informed. Chase GP records, update chronology, Monday.",
];
const MULTILINE_TEAM: &str = "Northfield Assessment\nTeam 2";

// ---------------------------------------------------------------------------------------------
// Tables and headers

const CHILDREN: usize = 0;
const CONTACTS: usize = 1;
const REFERRALS: usize = 2;
const ASSESSMENTS: usize = 3;
const CP_PLANS: usize = 4;
const TABLE_NAMES: [&str; 5] = ["children", "contacts", "referrals", "assessments", "cp_plans"];

/// Rule-pack column names, in file order (ground truth uses these).
const COLUMNS: [&[&str]; 5] = [
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
const HEADERS: [&[&str]; 5] = [
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

struct Export {
    bom: bool,
    crlf: bool,
    cp1252: bool,
}

const EXPORTS: [Export; 5] = [
    Export {
        bom: false,
        crlf: false,
        cp1252: false,
    },
    Export {
        bom: true,
        crlf: false,
        cp1252: false,
    },
    Export {
        bom: false,
        crlf: true,
        cp1252: true,
    },
    Export {
        bom: false,
        crlf: true,
        cp1252: false,
    },
    Export {
        bom: false,
        crlf: false,
        cp1252: false,
    },
];

// ---------------------------------------------------------------------------------------------
// Planted problems

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
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
enum Expect {
    /// Report the rule (`expect=finding`).
    Finding,
    /// Not report the rule: a tolerated oddity (`expect=none`).
    None,
    /// Change a cell with this correction (`expect=change`; the rule id is the correction's).
    Change,
}

impl Expect {
    fn word(self) -> &'static str {
        match self {
            Expect::Finding => "finding",
            Expect::None => "none",
            Expect::Change => "change",
        }
    }
}

struct Info {
    table: usize,
    rule: &'static str,
    expect: Expect,
    /// How many at 1000 children.
    base: usize,
    note: &'static str,
}

const fn info(table: usize, rule: &'static str, expect: Expect, base: usize, note: &'static str) -> Info {
    Info {
        table,
        rule,
        expect,
        base,
        note,
    }
}

impl Kind {
    #[rustfmt::skip]
    const ALL: [Kind; 68] = [
        Kind::Chi001, Kind::Chi002, Kind::Chi003, Kind::Chi004, Kind::Chi005, Kind::Chi006,
        Kind::Chi007, Kind::ChiDobType, Kind::ChiDobRequired, Kind::ChiSexType,
        Kind::ChiSexCodeForm, Kind::ChiSexWording,
        Kind::Con001, Kind::Con002, Kind::Con003, Kind::Con004, Kind::Con005, Kind::Con006,
        Kind::Con007, Kind::Con009, Kind::Con010, Kind::ConDateType, Kind::ConDateRequired, Kind::ConSourceType,
        Kind::ConGenderCodeForm, Kind::ConGenderWording, Kind::ConDobType, Kind::ConDobMissing,
        Kind::ConEthnicityRequired, Kind::ConAltDate, Kind::ConLeapDay,
        Kind::Ref001, Kind::Ref002, Kind::Ref003, Kind::Ref004, Kind::Ref005, Kind::Ref006,
        Kind::RefCountType, Kind::RefNfaType, Kind::RefTeamRequired, Kind::RefRagged,
        Kind::RefCountForm,
        Kind::Ass001, Kind::Ass002, Kind::Ass003, Kind::Ass004, Kind::AssSeenType,
        Kind::AssMultilineTeam,
        Kind::Cpp001, Kind::Cpp002, Kind::Cpp003, Kind::Cpp004, Kind::Cpp005, Kind::Cpp006,
        Kind::Cpp007, Kind::Cpp009, Kind::Cpp010, Kind::CppStartType, Kind::CppCategoryType,
        Kind::FixChiNames, Kind::FixChiSex, Kind::FixConId, Kind::FixConGender, Kind::FixConDates,
        Kind::FixConAge, Kind::FixConDob, Kind::Chi003NotYet, Kind::Ass004NotYet,
    ];

    /// Ground-truth lines per plant: an overlap (CPP-009) is a pair of rows, both flagged.
    #[cfg(test)]
    fn lines(self) -> usize {
        if self == Kind::Cpp009 { 2 } else { 1 }
    }

    /// Table, rule id, finding or tolerated, count at 1000 children, ground-truth note.
    #[rustfmt::skip]
    fn info(self) -> Info {
        use Kind::*;
        let (c, n, r, a, p) = (CHILDREN, CONTACTS, REFERRALS, ASSESSMENTS, CP_PLANS);
        use Expect::{Change as C, Finding as F, None as N};
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
        }
    }
}

/// How a test can confirm a ground-truth line (not written to the file).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
enum Check {
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
struct Truth {
    table: usize,
    line: usize,
    kind: Kind,
    column: &'static str,
    check: Check,
}

/// Hands planted problems to children in a pre-drawn order. Each problem has a target child;
/// from there it waits for the first child with a suitable row (one problem per child per table).
struct Planter {
    queue: Vec<(usize, Kind, usize)>,
    next: usize,
    waiting: Vec<(Kind, usize)>,
}

impl Planter {
    fn new(seed: u64, table: usize, children: usize, plant: bool) -> Self {
        let mut queue = Vec::new();
        if plant && children > 0 {
            let mut items = Vec::new();
            for kind in Kind::ALL {
                let info = kind.info();
                if info.table == table {
                    let count = info.base.max((info.base * children + 500) / 1000);
                    items.extend((0..count).map(|variant| (kind, variant)));
                }
            }
            let mut rng = Rng::stream(seed, u64::MAX, SALT_SCHEDULE + table as u64);
            for i in (1..items.len()).rev() {
                let j = rng.below(i as u64 + 1) as usize;
                items.swap(i, j);
            }
            // Spread over the first 80% of children so late waiters still find a row.
            let span = (children * 4 / 5).max(1);
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

    fn take(&mut self, child: usize, mut fits: impl FnMut(Kind, usize) -> bool) -> Option<(Kind, usize)> {
        while self.next < self.queue.len() && self.queue[self.next].0 <= child {
            let (_, kind, variant) = self.queue[self.next];
            self.waiting.push((kind, variant));
            self.next += 1;
        }
        let pos = self.waiting.iter().position(|&(k, v)| fits(k, v))?;
        Some(self.waiting.remove(pos))
    }
}

// ---------------------------------------------------------------------------------------------
// Dates and values

/// Days since 0001-01-01 (chrono's `num_days_from_ce`): cheap to add and compare.
type Day = i32;

fn nd(d: Day) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(d).expect("generated dates stay within chrono's range")
}

fn day(d: NaiveDate) -> Day {
    d.num_days_from_ce()
}

/// Whole years from `dob` to `at`. Comparing (month, day) gives the UK rule for 29 February
/// births: the new age starts on 1 March in non-leap years.
fn age_years(dob: Day, at: Day) -> i64 {
    let (b, a) = (nd(dob), nd(at));
    let mut years = i64::from(a.year() - b.year());
    if (a.month(), a.day()) < (b.month(), b.day()) {
        years -= 1;
    }
    years
}

/// 1899-12-30, day 0 of Excel's serial dates (as days from CE).
const EXCEL_EPOCH: Day = 693_594;
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateForm {
    /// dd/mm/yyyy, the normal form.
    Dmy,
    /// d/m/yy (only used for 1940–2039, where the parser's pivot gets the century right).
    DmyShort,
    Iso,
    /// dd-Mon-yyyy
    DayMonYear,
    /// Excel serial (5 digits).
    Serial,
}
const ALT_FORMS: [DateForm; 4] = [
    DateForm::DmyShort,
    DateForm::Iso,
    DateForm::DayMonYear,
    DateForm::Serial,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IntForm {
    Plain,
    /// "3.0"
    PointZero,
    /// " 3 "
    Padded,
}

/// Per-row choice of how each value is written: 9 random bits per slot (5 date slots, then
/// integer slots), so one draw covers a row.
#[derive(Debug, Clone, Copy)]
struct Forms(u64);

impl Forms {
    fn draw(rng: &mut Rng) -> Self {
        Forms(rng.next())
    }

    fn bits(self, slot: u32) -> u64 {
        (self.0 >> (slot * 9)) & 511
    }

    /// ≈2% an accepted alternative date form.
    fn date(self, slot: u32) -> DateForm {
        let x = self.bits(slot);
        if x < 10 {
            ALT_FORMS[x as usize % 4]
        } else {
            DateForm::Dmy
        }
    }

    /// ≈2% "3.0" or " 3 ".
    fn int(self, slot: u32) -> IntForm {
        match self.bits(5 + slot) {
            0..5 => IntForm::PointZero,
            5..10 => IntForm::Padded,
            _ => IntForm::Plain,
        }
    }

    /// Age column (integer slot 0): ≈1% left blank (the column is optional).
    fn age(self, age: i64) -> V<'static> {
        if (10..15).contains(&self.bits(5)) {
            V::Empty
        } else {
            V::Int(age, self.int(0))
        }
    }
}

/// One field value.
#[derive(Debug, Clone, Copy)]
enum V<'a> {
    Empty,
    /// A code from a code list or another value known to need no quoting.
    Code(&'a str),
    /// Free text, quoted if it holds a comma, quote or line break.
    Text(&'a str),
    /// Written as-is even if it breaks the row (the ragged row).
    Verbatim(&'a str),
    Date(Day, DateForm),
    Int(i64, IntForm),
    /// Child id number, written `NF` + digits.
    Id(u32),
}

fn push_uint(buf: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    while tmp.len() - i < width {
        i -= 1;
        tmp[i] = b'0';
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn push_int(buf: &mut Vec<u8>, n: i64) {
    if n < 0 {
        buf.push(b'-');
    }
    push_uint(buf, n.unsigned_abs(), 1);
}

fn push_date(buf: &mut Vec<u8>, d: Day, form: DateForm) {
    let date = nd(d);
    let (y, m, dd) = (date.year(), date.month(), date.day());
    let (yu, mu, du) = (y.unsigned_abs() as u64, u64::from(m), u64::from(dd));
    let serial = i64::from(d - EXCEL_EPOCH);
    match form {
        DateForm::DmyShort if (1940..=2039).contains(&y) => {
            push_uint(buf, du, 1);
            buf.push(b'/');
            push_uint(buf, mu, 1);
            buf.push(b'/');
            push_uint(buf, yu % 100, 2);
        }
        DateForm::Iso | DateForm::DmyShort => {
            push_uint(buf, yu, 4);
            buf.push(b'-');
            push_uint(buf, mu, 2);
            buf.push(b'-');
            push_uint(buf, du, 2);
        }
        DateForm::DayMonYear => {
            push_uint(buf, du, 2);
            buf.push(b'-');
            buf.extend_from_slice(MONTHS[m as usize - 1].as_bytes());
            buf.push(b'-');
            push_uint(buf, yu, 4);
        }
        DateForm::Serial if (10_000..=99_999).contains(&serial) => push_int(buf, serial),
        DateForm::Dmy | DateForm::Serial => {
            push_uint(buf, du, 2);
            buf.push(b'/');
            push_uint(buf, mu, 2);
            buf.push(b'/');
            push_uint(buf, yu, 4);
        }
    }
}

/// Write a value unquoted (everything but `Text`, which the writer may quote).
fn render(buf: &mut Vec<u8>, v: &V) {
    match *v {
        V::Empty => {}
        V::Code(s) | V::Text(s) | V::Verbatim(s) => buf.extend_from_slice(s.as_bytes()),
        V::Date(d, form) => push_date(buf, d, form),
        V::Int(n, form) => match form {
            IntForm::Plain => push_int(buf, n),
            IntForm::PointZero => {
                push_int(buf, n);
                buf.extend_from_slice(b".0");
            }
            IntForm::Padded => {
                buf.push(b' ');
                push_int(buf, n);
                buf.push(b' ');
            }
        },
        V::Id(num) => {
            buf.extend_from_slice(b"NF");
            push_uint(buf, u64::from(num), 6);
        }
    }
}

fn rendered(v: &V) -> String {
    let mut buf = Vec::new();
    render(&mut buf, v);
    String::from_utf8(buf).expect("values are UTF-8")
}

// ---------------------------------------------------------------------------------------------
// CSV writing

struct Table {
    index: usize,
    out: BufWriter<File>,
    /// The row being written, as UTF-8.
    buf: Vec<u8>,
    /// Windows-1252 encoder and its output buffer.
    cp1252: Option<(encoding_rs::Encoder, Vec<u8>)>,
    eol: &'static [u8],
    /// Physical line on which the next record starts.
    line: usize,
    /// Line breaks inside the last record's fields.
    inner_breaks: usize,
    rows: usize,
}

impl Table {
    fn create(dir: &Path, index: usize) -> io::Result<Self> {
        let export = &EXPORTS[index];
        let file = File::create(dir.join(format!("{}.csv", TABLE_NAMES[index])))?;
        let mut out = BufWriter::with_capacity(1 << 18, file);
        if export.bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut table = Table {
            index,
            out,
            buf: Vec::with_capacity(512),
            cp1252: export
                .cp1252
                .then(|| (encoding_rs::WINDOWS_1252.new_encoder(), Vec::with_capacity(512))),
            eol: if export.crlf { b"\r\n" } else { b"\n" },
            line: 1,
            inner_breaks: 0,
            rows: 0,
        };
        let header: Vec<V> = HEADERS[index].iter().map(|h| V::Text(h)).collect();
        table.write_row(&header)?;
        table.rows = 0;
        Ok(table)
    }

    /// Write one record; returns the line it starts on.
    fn write_row(&mut self, values: &[V]) -> io::Result<usize> {
        self.buf.clear();
        self.inner_breaks = 0;
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            match *v {
                V::Text(s) if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) => {
                    self.buf.push(b'"');
                    for b in s.bytes() {
                        if b == b'"' {
                            self.buf.push(b'"');
                        }
                        self.inner_breaks += usize::from(b == b'\n');
                        self.buf.push(b);
                    }
                    self.buf.push(b'"');
                }
                _ => render(&mut self.buf, v),
            }
        }
        self.buf.extend_from_slice(self.eol);
        self.flush_row()
    }

    /// Write the last record again (an exact duplicate row).
    fn repeat_row(&mut self) -> io::Result<usize> {
        self.flush_row()
    }

    fn flush_row(&mut self) -> io::Result<usize> {
        match &mut self.cp1252 {
            Some((encoder, encoded)) => {
                let text = std::str::from_utf8(&self.buf).map_err(io::Error::other)?;
                encoded.clear();
                encoded.reserve(text.len());
                let (result, _) = encoder.encode_from_utf8_to_vec_without_replacement(text, encoded, true);
                if result != encoding_rs::EncoderResult::InputEmpty {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("cannot encode {text:?} in Windows-1252: {result:?}"),
                    ));
                }
                self.out.write_all(encoded)?;
            }
            None => self.out.write_all(&self.buf)?,
        }
        let start = self.line;
        self.line += 1 + self.inner_breaks;
        self.rows += 1;
        Ok(start)
    }
}

/// A table being written, its planted-problem queue and its ground truth.
struct Out {
    t: Table,
    planter: Planter,
    truth: Vec<Truth>,
    /// Child id numbers made up for this table's orphan rows (REF-006), so no two share one.
    invented: Vec<u32>,
    /// Contacts: FIX-CON-DOB lines, each with its child. Kept once every table is written, and
    /// only where `children.csv` gives the child exactly one date of birth to fill from.
    fills: Vec<(usize, Truth)>,
    /// Children: dates of birth written other than the child's own, as (child, on the child's
    /// own row rather than another row given its id, the date or `None` if not a date).
    odd_dobs: Vec<(usize, bool, Option<Day>)>,
}

impl Out {
    fn new(dir: &Path, opts: &GenOptions, index: usize) -> io::Result<Self> {
        Ok(Out {
            t: Table::create(dir, index)?,
            planter: Planter::new(opts.seed, index, opts.children, opts.plant),
            truth: Vec::new(),
            invented: Vec::new(),
            fills: Vec::new(),
            odd_dobs: Vec::new(),
        })
    }

    fn record(&mut self, kind: Kind, line: usize, column: &'static str, check: Check) {
        self.truth.push(Truth {
            table: self.t.index,
            line,
            kind,
            column,
            check,
        });
    }

    /// A ground-truth line for the value in file column `col` of the row on `line`.
    fn truth_at(&self, kind: Kind, line: usize, values: &[V], col: usize) -> Truth {
        Truth {
            table: self.t.index,
            line,
            kind,
            column: COLUMNS[self.t.index][col],
            check: Check::Value(col, rendered(&values[col])),
        }
    }

    /// Record that the pack's correction `fix` changes file column `col` of the row on `line`.
    fn fixed(&mut self, fix: Kind, line: usize, values: &[V], col: usize) {
        let t = self.truth_at(fix, line, values, col);
        self.truth.push(t);
    }

    /// Record a FIX-CON-DOB change, kept if the children table can supply the date.
    fn fill_later(&mut self, child: usize, line: usize, values: &[V], col: usize) {
        let t = self.truth_at(Kind::FixConDob, line, values, col);
        self.fills.push((child, t));
    }

    /// Corrections any row may need, whatever was planted on it: contact dates in an accepted
    /// alternative form are rewritten dd/mm/yyyy (FIX-CON-DATES).
    fn note_fixes(&mut self, line: usize, values: &[V]) {
        if self.t.index != CONTACTS {
            return;
        }
        for col in [3, 5] {
            if let V::Date(d, form) = values[col]
                && form != DateForm::Dmy
                && rendered(&values[col]) != rendered(&V::Date(d, DateForm::Dmy))
            {
                self.fixed(Kind::FixConDates, line, values, col);
            }
        }
    }

    /// Write a row with nothing planted on it.
    fn write(&mut self, values: &[V]) -> io::Result<usize> {
        let line = self.t.write_row(values)?;
        self.note_fixes(line, values);
        Ok(line)
    }

    /// Write a row whose problem is the value in file column `col`; returns its line.
    fn plant(&mut self, kind: Kind, values: &[V], col: usize) -> io::Result<usize> {
        let line = self.t.write_row(values)?;
        self.fixed(kind, line, values, col);
        self.note_fixes(line, values);
        Ok(line)
    }

    /// Write a clean row followed by an exact copy of it.
    fn plant_copy(&mut self, kind: Kind, values: &[V]) -> io::Result<()> {
        let first = self.write(values)?;
        let line = self.t.repeat_row()?;
        self.record(kind, line, "", Check::SameAs(first));
        self.note_fixes(line, values);
        Ok(())
    }

    /// Write a clean row followed by another row with the same key.
    fn plant_same_key(&mut self, kind: Kind, values: &[V], again: &[V]) -> io::Result<()> {
        let first = self.write(values)?;
        let line = self.t.write_row(again)?;
        self.record(kind, line, "", Check::KeyOf(first));
        self.note_fixes(line, again);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The council's children and their events

struct Ctx {
    seed: u64,
    children: usize,
    /// The world's last day: every clean event happens on or before it. With nights, the last
    /// night's extract date; everything below except `night` is the same on every night.
    as_of: Day,
    /// This night's extract date (`as_of` without nights): what the export can hold.
    night: Day,
    /// Which night this is, of how many.
    night_index: usize,
    nights: usize,
    /// Earliest clean contact date: a few days inside "today - 6 years", however that is counted.
    earliest: Day,
    seven_years_ago: Day,
    ten_years_ago: Day,
    /// Clean dates of birth: 0–17 years old, at least two weeks old.
    dob_min: Day,
    dob_max: Day,
    id_base: u64,
    id_range: u64,
    id_offset: u64,
    /// `ID_STEP`⁻¹ mod `id_range`, to map an id number back to its child.
    id_inverse: u64,
}

/// The step between consecutive children's id numbers (coprime to every id range).
const ID_STEP: u64 = 618_037;

/// `a`⁻¹ mod `m`, for `a` coprime to `m` (extended Euclid).
fn inverse_mod(a: u64, m: u64) -> u64 {
    let (mut r0, mut r1) = (i128::from(a % m), i128::from(m));
    let (mut s0, mut s1) = (1i128, 0i128);
    while r1 != 0 {
        let q = r0 / r1;
        (r0, r1) = (r1, r0 - q * r1);
        (s0, s1) = (s1, s0 - q * s1);
    }
    debug_assert_eq!(r0, 1, "{a} is not coprime to {m}");
    s0.rem_euclid(i128::from(m)) as u64
}

impl Ctx {
    #[cfg(test)]
    fn new(opts: &GenOptions) -> io::Result<Self> {
        Self::on(opts, Night { index: 0, count: 1 })
    }

    fn on(opts: &GenOptions, night: Night) -> io::Result<Self> {
        let years_ago = |n: u32| {
            opts.as_of
                .checked_sub_months(Months::new(12 * n))
                .map(day)
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "as_of is too early"))
        };
        let as_of = day(opts.as_of);
        if !(1950..=9000).contains(&opts.as_of.year()) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "as_of must be 1950–9000"));
        }
        // Six digits after NF, more when there are too many children for that.
        let mut id_base = 100_000u64;
        while id_base * 9 < opts.children as u64 * 2 {
            id_base *= 10;
        }
        Ok(Ctx {
            seed: opts.seed,
            children: opts.children,
            as_of,
            night: as_of - (night.count - 1 - night.index) as Day,
            night_index: night.index,
            nights: night.count,
            earliest: years_ago(6)? + 3,
            seven_years_ago: years_ago(7)?,
            ten_years_ago: years_ago(10)?,
            dob_min: years_ago(18)? + 1,
            dob_max: as_of - 14,
            id_base,
            id_range: id_base * 9,
            id_offset: mix(opts.seed ^ 0x4E46) % (id_base * 9),
            id_inverse: inverse_mod(ID_STEP, id_base * 9),
        })
    }

    /// Distinct id numbers: i ↦ base + (i·ID_STEP + offset) mod range, with the step coprime to
    /// the range (whose only prime factors are 2, 3 and 5).
    fn id_num(&self, i: usize) -> u32 {
        (self.id_base + (i as u64 * ID_STEP + self.id_offset) % self.id_range) as u32
    }

    /// The child whose id number this is (the inverse of [`Ctx::id_num`]), if any.
    fn id_index(&self, num: u64) -> Option<usize> {
        let x = num.checked_sub(self.id_base).filter(|&x| x < self.id_range)?;
        let step = (x + self.id_range - self.id_offset) % self.id_range;
        let i = u128::from(step) * u128::from(self.id_inverse) % u128::from(self.id_range);
        usize::try_from(i).ok().filter(|&i| i < self.children)
    }

    /// Child `i`'s id with one digit (not the first) changed, giving an id number no child has
    /// and not in `taken` (REF-006); `None` only if every such slip is taken.
    fn mistyped_id(&self, i: usize, taken: &[u32]) -> Option<u32> {
        let num = u64::from(self.id_num(i));
        let mut rng = Rng::stream(self.seed, i as u64, SALT_MISTYPED_ID);
        // Digit place × replacement digit, tried from a random start.
        let n = u64::from(self.id_base.ilog10()) * 9;
        let start = rng.below(n);
        (0..n).map(|k| (start + k) % n).find_map(|k| {
            let place = 10u64.pow((k / 9) as u32);
            let digit = num / place % 10;
            let typo = num - digit * place + (digit + 1 + k % 9) % 10 * place;
            let typo = u32::try_from(typo).ok()?;
            (self.id_index(u64::from(typo)).is_none() && !taken.contains(&typo)).then_some(typo)
        })
    }

    fn random_dob(&self, rng: &mut Rng) -> Day {
        // About 1% are leap-day births, to exercise the 29 February age rule.
        if rng.chance(10) {
            let (lo, hi) = (nd(self.dob_min).year(), nd(self.dob_max).year());
            let leap_days = || {
                (lo..=hi)
                    .filter_map(|y| NaiveDate::from_ymd_opt(y, 2, 29).map(day))
                    .filter(|d| (self.dob_min..=self.dob_max).contains(d))
            };
            let count = leap_days().count();
            if count > 0 {
                let k = rng.below(count as u64) as usize;
                return leap_days().nth(k).expect("k < count");
            }
        }
        self.dob_min + rng.days(self.dob_max - self.dob_min + 1)
    }

    fn child(&self, i: usize, salt: u64) -> Child {
        let mut rng = Rng::stream(self.seed, i as u64, salt);
        Child {
            num: self.id_num(i),
            dob: self.random_dob(&mut rng),
            sex: rng.weighted(&GENDER_W) as u8,
            eth: rng.weighted(&ETHNICITY_W) as u8,
            disability: [NO, NO, NO, NO, NO, NO, NO, NO, YES, 2][rng.below(10) as usize],
            worker: rng.below(WORKERS.len() as u64) as u8,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Nights: the same council, extracted night after night (`generate_nights`)
//
// A night is a small layer over the generator above, which always builds the whole world up to
// the last night's date (`Ctx::as_of`): the same children, events and planted problems, drawn
// from the same streams, every night. A night then shows only what that night's extract can hold:
//
// * a record is in the export if its event (birth, contact, referral, assessment or plan start)
//   is on or before the night's extract date, so each night has a few more rows than the one
//   before; a date after it that a record already carries (an authorisation, a plan's end, review
//   or visit) has not happened yet, and is blank (a visit steps back to the fortnightly visit
//   before it);
// * each planted problem has a life: the night it first appears (mostly before the first night,
//   some on a later night) and the night the data team fixes it (each night after it appears,
//   a 15% chance). On the nights in between it is planted as without nights; on the others the
//   row is written as the clean row it stands in for. Rows that are the problem themselves (a
//   copy, a second record on a key, a different child on an id, a second overlapping plan, a
//   plan with a wrong count after the child's last one) are there only while it is open: fixing
//   a duplicate removes it. Tolerated oddities (`expect=none`) are how the system exports: they
//   have no life.
//
// Two rules read `today` in a way the plants' dates, drawn against the last night, do not always
// satisfy on an earlier one: a date of birth 26 years before the last night may be 25 years
// before an earlier one (CHI-003), and an assessment started 60 days before the last night may be
// 45 or fewer days before an earlier one (ASS-004). The row is the same; the ground truth says
// `expect=none` for it that night. A leap-day contact, a different child on an earlier child's
// id, or a second overlapping plan dated after the night are not planted that night.
// Everything else holds on every night by construction (a future date is after the last night
// too, an authorisation is at most 44 days after its assessment's start, and so on); the tests'
// independent checker confirms each night's ground truth.

/// Night `index` (from 0) of `count` consecutive nightly extracts, the last on `as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Night {
    index: usize,
    count: usize,
}

/// Chance in a thousand that a planted problem first appears after the first night.
const NEW_PER_MILLE: u64 = 200;
/// Chance in a thousand that an open problem is fixed by the next night.
const FIX_PER_MILLE: u64 = 150;

impl Ctx {
    /// Is a record whose event is on `date` in this night's export?
    fn recorded(&self, date: Day) -> bool {
        date <= self.night
    }

    /// Is child `i`'s planted problem of kind `kind` in `table` open on this night? One problem
    /// per child per table, so (child, table) names its life.
    fn live(&self, i: usize, table: usize, kind: Kind) -> bool {
        if self.nights == 1 || kind.info().expect != Expect::Finding {
            return true;
        }
        let (first, fixed) = self.life(i, table);
        (first..fixed).contains(&self.night_index)
    }

    /// The nights on which child `i`'s problem in `table` appears and is fixed (`nights` if it is
    /// still open on the last).
    fn life(&self, i: usize, table: usize) -> (usize, usize) {
        let mut rng = Rng::stream(self.seed, i as u64, SALT_LIFE + table as u64);
        let first = if rng.chance(NEW_PER_MILLE) {
            1 + rng.below(self.nights as u64 - 1) as usize
        } else {
            0
        };
        let mut fixed = first + 1;
        while fixed < self.nights && !rng.chance(FIX_PER_MILLE) {
            fixed += 1;
        }
        (first, fixed)
    }

    /// An assessment as this night's export shows it, if it has started.
    fn assessment_tonight(&self, a: &Assessment) -> Option<Assessment> {
        self.recorded(a.start).then(|| Assessment {
            auth: a.auth.filter(|&d| self.recorded(d)),
            ..*a
        })
    }

    /// A plan as this night's export shows it, if it has started: an end or review after the
    /// night has not happened yet; a visit after it was preceded by one a fortnight earlier.
    fn plan_tonight(&self, p: &Plan) -> Option<Plan> {
        if !self.recorded(p.start) {
            return None;
        }
        let visit = p.visit.and_then(|v| {
            let back = (v - self.night).max(0);
            Some(v - (back + 13) / 14 * 14).filter(|&v| v >= p.start)
        });
        Some(Plan {
            end: p.end.filter(|&d| self.recorded(d)),
            review: p.review.filter(|&d| self.recorded(d)),
            visit,
            ..*p
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct Child {
    num: u32,
    dob: Day,
    sex: u8,
    eth: u8,
    disability: u8,
    worker: u8,
}

/// Children-table-only details.
struct Person {
    first: &'static str,
    second: &'static str,
    surname: &'static str,
    postcode: [u8; 7],
    nhs: [u8; 10],
    nhs_spaced: bool,
    forms: Forms,
}

impl Person {
    fn new(rng: &mut Rng, sex: u8) -> Self {
        let names = match sex {
            0 => &MALE_FIRST,
            1 => &FEMALE_FIRST,
            _ if rng.chance(500) => &MALE_FIRST,
            _ => &FEMALE_FIRST,
        };
        let mut postcode = *b"NF0 0AA";
        postcode[2] = b'1' + rng.below(9) as u8;
        postcode[4] = b'0' + rng.below(10) as u8;
        postcode[5] = rng.pick(POSTCODE_LETTERS);
        postcode[6] = rng.pick(POSTCODE_LETTERS);
        // NHS test range: 999 + six digits + mod-11 check digit (10 means "invalid": redraw).
        let nhs = loop {
            let mut digits = [9u8; 10];
            for d in &mut digits[3..9] {
                *d = rng.below(10) as u8;
            }
            let sum: u32 = digits[..9]
                .iter()
                .enumerate()
                .map(|(i, &d)| u32::from(d) * (10 - i as u32))
                .sum();
            let check = (11 - sum % 11) % 11;
            if check < 10 {
                digits[9] = check as u8;
                break digits.map(|d| b'0' + d);
            }
        };
        Person {
            first: rng.pick(names),
            second: rng.pick(names),
            surname: rng.pick(&SURNAMES),
            postcode,
            nhs,
            nhs_spaced: rng.chance(850),
            forms: Forms::draw(rng),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Contact {
    date: Day,
    source: u8,
    forms: Forms,
}

#[derive(Debug, Clone, Copy)]
struct Referral {
    date: Day,
    source: u8,
    nfa: u8,
    count: i64,
    team: &'static str,
    worker: &'static str,
    assessed: bool,
    forms: Forms,
}

#[derive(Debug, Clone, Copy)]
struct Assessment {
    start: Day,
    auth: Option<Day>,
    seen: u8,
    team: &'static str,
    worker: &'static str,
    forms: Forms,
}

#[derive(Debug, Clone, Copy)]
struct Plan {
    start: Day,
    end: Option<Day>,
    review: Option<Day>,
    visit: Option<Day>,
    seen_alone: Option<u8>,
    initial: u8,
    latest: u8,
    emergency: u8,
    previous: i64,
    team: &'static str,
    worker: &'static str,
    forms: Forms,
}

/// One child's events, in reused buffers.
#[derive(Default)]
struct Events {
    contacts: Vec<Contact>,
    referrals: Vec<Referral>,
    assessments: Vec<Assessment>,
    plans: Vec<Plan>,
}

fn gen_contacts(ctx: &Ctx, i: usize, c: &Child, out: &mut Vec<Contact>) {
    out.clear();
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_CONTACTS);
    let lo = c.dob.max(ctx.earliest);
    let span = ctx.as_of - lo + 1;
    let k = (1 + rng.below(5) as usize).min(span as usize);
    while out.len() < k {
        let date = lo + rng.days(span);
        if out.iter().all(|e| e.date != date) {
            out.push(Contact {
                date,
                source: rng.weighted(&SOURCE_W) as u8,
                forms: Forms::draw(&mut rng),
            });
        }
    }
    out.sort_unstable_by_key(|e| e.date);
}

fn gen_referrals(ctx: &Ctx, i: usize, c: &Child, contacts: &[Contact], out: &mut Vec<Referral>) {
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

fn gen_assessments(ctx: &Ctx, i: usize, c: &Child, referrals: &[Referral], out: &mut Vec<Assessment>) {
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

fn gen_plans(ctx: &Ctx, i: usize, c: &Child, assessments: &[Assessment], out: &mut Vec<Plan>) {
    out.clear();
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_PLANS);
    for a in assessments {
        if !rng.chance(150) {
            continue;
        }
        let start = a.start + 10 + rng.days(31);
        if start > ctx.as_of || out.iter().any(|p| p.start == start) {
            continue;
        }
        let initial = rng.weighted(&ABUSE_W) as u8;
        out.push(Plan {
            start,
            end: None,
            review: None,
            visit: None,
            seen_alone: None,
            initial,
            latest: if rng.chance(800) {
                initial
            } else {
                rng.weighted(&ABUSE_W) as u8
            },
            emergency: if rng.chance(50) { YES } else { NO },
            previous: 0,
            team: CP_TEAMS[(c.worker as usize) % CP_TEAMS.len()],
            worker: WORKERS[c.worker as usize],
            forms: Forms::draw(&mut rng),
        });
    }
    out.sort_unstable_by_key(|p| p.start);
    for j in 0..out.len() {
        let start = out[j].start;
        // A plan ends before the child's next one starts; the latest may still be open.
        let end = match out.get(j + 1) {
            Some(next) if next.start - start >= 2 => Some(start + 1 + rng.days(next.start - start - 1)),
            // Starts the next day: ends the day the next one starts (open would overlap it).
            Some(next) => Some(next.start),
            None if rng.chance(500) => Some(start + 90 + rng.days(600)).filter(|&e| e <= ctx.as_of),
            None => None,
        };
        let upto = end.unwrap_or(ctx.as_of);
        let span = upto - start;
        // The first plan in the list may follow one from before the list's period; each later
        // plan counts the child's plans before it (CPP-010).
        let before = j.checked_sub(1).map(|k| out[k].previous);
        let p = &mut out[j];
        p.end = end;
        p.review = if span < 90 && rng.chance(400) {
            None
        } else {
            Some(start + rng.days(span + 1))
        };
        p.visit = Some(upto - rng.days(span.min(42) + 1));
        p.seen_alone = [Some(YES), Some(YES), Some(YES), Some(NO), Some(2), None][rng.below(6) as usize];
        p.previous = before.map_or_else(|| rng.below(2) as i64, |n| n + 1);
    }
}

// ---------------------------------------------------------------------------------------------
// Rows

fn write_child(ctx: &Ctx, o: &mut Out, i: usize, c: &Child) -> io::Result<()> {
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_PERSON);
    let p = Person::new(&mut rng, c.sex);
    let plant = o.planter.take(i, |k, _| k != Kind::Chi001 || i > 0);
    if !ctx.recorded(c.dob) {
        return Ok(());
    }
    let plant = plant.filter(|&(k, _)| ctx.live(i, CHILDREN, k));
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_PLANT_ROWS + CHILDREN as u64);

    let mut nhs_buf = [b' '; 12];
    let nhs = nhs_text(&p, &mut nhs_buf);
    let postcode = std::str::from_utf8(&p.postcode).expect("ASCII");
    let mut values = [
        V::Id(c.num),
        V::Text(p.first),
        V::Text(p.surname),
        V::Date(c.dob, p.forms.date(0)),
        V::Code(GENDER[c.sex as usize]),
        V::Code(ETHNICITY[c.eth as usize]),
        V::Code(postcode),
        V::Code(nhs),
    ];
    let Some((kind, v)) = plant else {
        o.write(&values)?;
        return Ok(());
    };
    let digits = std::str::from_utf8(&p.nhs).expect("ASCII");
    match kind {
        Kind::Chi001 => {
            o.write(&values)?;
            // A different child, given the id of one a little earlier in the file.
            let other = ctx.child(ctx.children + i, SALT_EXTRA_CHILD);
            let mut rng = Rng::stream(ctx.seed, i as u64, SALT_EXTRA_CHILD + 1);
            let q = Person::new(&mut rng, other.sex);
            let j = i - 1 - rng.below(i.min(50) as u64) as usize;
            // Never an exact copy of child j's row (that would be CHI-007).
            let same = ctx.child(j, SALT_CHILD).dob;
            let dob = match other.dob {
                d if d != same => d,
                d if d > ctx.dob_min => d - 1,
                d => d + 1,
            };
            // Neither child born yet on this night: no child to take the id of, or to take it.
            if !(ctx.recorded(dob) && ctx.recorded(same)) {
                return Ok(());
            }
            let mut nhs_buf = [b' '; 12];
            let nhs = nhs_text(&q, &mut nhs_buf);
            let postcode = std::str::from_utf8(&q.postcode).expect("ASCII");
            let values = [
                V::Id(ctx.id_num(j)),
                V::Text(q.first),
                V::Text(q.surname),
                V::Date(dob, DateForm::Dmy),
                V::Code(GENDER[other.sex as usize]),
                V::Code(ETHNICITY[other.eth as usize]),
                V::Code(postcode),
                V::Code(nhs),
            ];
            o.plant(kind, &values, 0)?;
            o.odd_dobs.push((j, false, Some(dob)));
        }
        Kind::Chi007 => o.plant_copy(kind, &values)?,
        Kind::Chi002 => {
            let dob = ctx.as_of + 365 + rng.days(731);
            values[3] = V::Date(dob, DateForm::Dmy);
            o.plant(kind, &values, 3)?;
            o.odd_dobs.push((i, true, Some(dob)));
        }
        Kind::Chi003 => {
            let dob = loop {
                let dob = ctx.as_of - 26 * 366 - rng.days(14 * 365);
                if (26..=40).contains(&age_years(dob, ctx.as_of)) {
                    break dob;
                }
            };
            values[3] = V::Date(dob, DateForm::Dmy);
            // Drawn 26 or more years before the last night: maybe 25 on an earlier one.
            let kind = if age_years(dob, ctx.night) > 25 {
                kind
            } else {
                Kind::Chi003NotYet
            };
            o.plant(kind, &values, 3)?;
            o.odd_dobs.push((i, true, Some(dob)));
        }
        Kind::Chi004 => {
            let bad = match v % 3 {
                0 => format!("{} {} {}", &digits[..3], &digits[3..6], &digits[6..9]),
                1 => format!("{}-{}-{}", &digits[..3], &digits[3..6], &digits[6..]),
                _ => format!("{digits}{}", digits.as_bytes()[4] as char),
            };
            values[7] = V::Text(&bad);
            o.plant(kind, &values, 7)?;
        }
        Kind::Chi005 => {
            let (out, inward) = (&postcode[..3], &postcode[4..]);
            let bad = match v % 3 {
                0 => format!("{out} {}", &inward[..2]),
                1 => format!("{out}{} {}", &inward[..1], &inward[1..]),
                _ => format!("{out} {}{}{}", &inward[1..2], &inward[..1], &inward[2..]),
            };
            values[6] = V::Text(&bad);
            o.plant(kind, &values, 6)?;
        }
        Kind::Chi006 => {
            let (bad, col) = match v % 3 {
                0 => (format!(" {}", p.first), 1),
                1 => (format!("{} ", p.surname), 2),
                _ => (format!("{}  {}", p.first, p.second), 1),
            };
            values[col] = V::Text(&bad);
            let line = o.plant(kind, &values, col)?;
            o.fixed(Kind::FixChiNames, line, &values, col);
        }
        Kind::ChiDobType => {
            values[3] = V::Text(["31/02/2015", "2015-13-01", "12th May 2014"][v % 3]);
            o.plant(kind, &values, 3)?;
            o.odd_dobs.push((i, true, None));
        }
        Kind::ChiDobRequired => {
            values[3] = V::Empty;
            o.plant(kind, &values, 3)?;
            o.odd_dobs.push((i, true, None));
        }
        Kind::ChiSexType => {
            values[4] = V::Text(["Monkey", "X"][v % 2]);
            o.plant(kind, &values, 4)?;
        }
        Kind::ChiSexCodeForm | Kind::ChiSexWording => {
            let forms = if kind == Kind::ChiSexCodeForm {
                &GENDER_FORMS
            } else {
                &GENDER_WORDS
            };
            values[4] = V::Text(forms[c.sex as usize][v % 3]);
            let line = o.plant(kind, &values, 4)?;
            o.fixed(Kind::FixChiSex, line, &values, 4);
        }
        _ => unreachable!("{kind:?} is not a children problem"),
    }
    Ok(())
}

fn nhs_text<'a>(p: &Person, buf: &'a mut [u8; 12]) -> &'a str {
    let len = if p.nhs_spaced {
        buf[..3].copy_from_slice(&p.nhs[..3]);
        buf[4..7].copy_from_slice(&p.nhs[3..6]);
        buf[8..].copy_from_slice(&p.nhs[6..]);
        12
    } else {
        buf[..10].copy_from_slice(&p.nhs);
        10
    };
    std::str::from_utf8(&buf[..len]).expect("ASCII")
}

/// A 28 Feb or 1 Mar (by variant) in a non-leap year on which a 29-Feb child can have a clean
/// contact that no other contact of theirs already uses.
fn leap_contact_date(ctx: &Ctx, c: &Child, contacts: &[Contact], variant: usize) -> Option<Day> {
    let dob = nd(c.dob);
    if (dob.month(), dob.day()) != (2, 29) {
        return None;
    }
    let lo = (c.dob + 1).max(ctx.earliest);
    (dob.year() + 1..=nd(ctx.as_of).year())
        .rev()
        .filter(|&y| NaiveDate::from_ymd_opt(y, 2, 29).is_none())
        .filter_map(|y| {
            let (m, d) = if variant.is_multiple_of(2) { (2, 28) } else { (3, 1) };
            NaiveDate::from_ymd_opt(y, m, d).map(day)
        })
        .find(|&d| (lo..=ctx.as_of).contains(&d) && contacts[1..].iter().all(|e| e.date != d))
}

fn write_contacts(ctx: &Ctx, o: &mut Out, i: usize, c: &Child, contacts: &[Contact]) -> io::Result<()> {
    let plant = o.planter.take(i, |k, v| match k {
        Kind::Con002 => c.dob >= ctx.earliest + 31,
        Kind::Con004 => c.dob <= ctx.ten_years_ago,
        Kind::ConLeapDay => leap_contact_date(ctx, c, contacts, v).is_some(),
        // The odd one out needs other contacts to differ from.
        Kind::Con009 | Kind::Con010 => contacts.len() >= 2,
        _ => true,
    });
    let plant = plant.filter(|&(k, _)| ctx.live(i, CONTACTS, k));
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_PLANT_ROWS + CONTACTS as u64);
    let target = plant.map(|(k, _)| match k {
        Kind::Con002 | Kind::Con004 | Kind::ConLeapDay => 0,
        Kind::Con001 => contacts.len() - 1,
        // Not the first: with two contacts, the first one's value is the usual one.
        Kind::Con009 | Kind::Con010 => 1 + rng.below(contacts.len() as u64 - 1) as usize,
        _ => rng.below(contacts.len() as u64) as usize,
    });
    for (r, e) in contacts.iter().enumerate() {
        if !ctx.recorded(e.date) {
            break;
        }
        let f = e.forms;
        let age = age_years(c.dob, e.date);
        let mut values = [
            V::Id(c.num),
            V::Code(GENDER[c.sex as usize]),
            V::Code(ETHNICITY[c.eth as usize]),
            V::Date(c.dob, f.date(0)),
            f.age(age),
            V::Date(e.date, f.date(1)),
            V::Code(SOURCE[e.source as usize]),
        ];
        let Some((kind, v)) = plant.filter(|_| target == Some(r)) else {
            o.write(&values)?;
            continue;
        };
        match kind {
            Kind::Con001 => {
                let d = ctx.as_of + 1 + rng.days(365);
                values[4] = V::Int(age_years(c.dob, d), IntForm::Plain);
                values[5] = V::Date(d, DateForm::Dmy);
                o.plant(kind, &values, 5)?;
            }
            Kind::Con002 => {
                values[4] = V::Empty;
                values[5] = V::Date(c.dob - 1 - rng.days(30), DateForm::Dmy);
                o.plant(kind, &values, 5)?;
            }
            Kind::Con003 => {
                let wrong = if v % 2 == 1 && age > 0 {
                    age - 1
                } else {
                    age + 1 + rng.below(2) as i64
                };
                values[4] = V::Int(wrong, IntForm::Plain);
                let line = o.plant(kind, &values, 4)?;
                o.fixed(Kind::FixConAge, line, &values, 4);
            }
            Kind::Con004 => {
                let d = ctx.seven_years_ago - 1 - rng.days(700);
                values[4] = V::Int(age_years(c.dob, d), IntForm::Plain);
                values[5] = V::Date(d, DateForm::Dmy);
                o.plant(kind, &values, 5)?;
            }
            Kind::Con005 => {
                // Same key, but not the same record: Cleanse compares typed
                // values, so a copy differing only in date format would be an
                // exact duplicate (CON-006). Blank another value as well.
                let mut again = values;
                let form = f.date(1);
                if v.is_multiple_of(2) {
                    let other = if form == DateForm::Iso {
                        DateForm::DayMonYear
                    } else {
                        DateForm::Iso
                    };
                    again[5] = V::Date(e.date, other);
                }
                if matches!(values[4], V::Empty) {
                    again[2] = V::Empty;
                } else {
                    again[4] = V::Empty;
                }
                o.plant_same_key(kind, &values, &again)?;
            }
            Kind::Con006 => o.plant_copy(kind, &values)?,
            Kind::Con009 => {
                // A mistyped year or day, earlier than the real one (so still before the
                // contact), with the age worked out from it.
                let dob = nd(c.dob);
                let wrong = if v.is_multiple_of(2) {
                    dob.with_year(dob.year() - 1)
                        .unwrap_or_else(|| dob - chrono::Days::new(366))
                } else {
                    dob - chrono::Days::new(1 + rng.below(27))
                };
                if !matches!(values[4], V::Empty) {
                    values[4] = V::Int(age_years(day(wrong), e.date), IntForm::Plain);
                }
                values[3] = V::Date(day(wrong), DateForm::Dmy);
                o.plant(kind, &values, 3)?;
            }
            Kind::Con010 => {
                let other = match c.sex {
                    0 => 1,
                    _ => 0,
                };
                values[1] = V::Code(GENDER[other]);
                o.plant(kind, &values, 1)?;
            }
            Kind::Con007 => {
                let id = rendered(&values[0]);
                let bad = if v.is_multiple_of(2) {
                    format!(" {id}")
                } else {
                    format!("{id} ")
                };
                values[0] = V::Text(&bad);
                let line = o.plant(kind, &values, 0)?;
                o.fixed(Kind::FixConId, line, &values, 0);
            }
            Kind::ConDateType => {
                values[5] = V::Text(["32/01/2025", "2025/02/30", "next week"][v % 3]);
                o.plant(kind, &values, 5)?;
            }
            Kind::ConDateRequired => {
                values[5] = V::Empty;
                o.plant(kind, &values, 5)?;
            }
            Kind::ConSourceType => {
                values[6] = V::Text(["Zebra", "99: Unknown"][v % 2]);
                o.plant(kind, &values, 6)?;
            }
            Kind::ConGenderCodeForm | Kind::ConGenderWording => {
                let forms = if kind == Kind::ConGenderCodeForm {
                    &GENDER_FORMS
                } else {
                    &GENDER_WORDS
                };
                values[1] = V::Text(forms[c.sex as usize][v % 3]);
                let line = o.plant(kind, &values, 1)?;
                o.fixed(Kind::FixConGender, line, &values, 1);
            }
            Kind::ConDobType | Kind::ConDobMissing => {
                if kind == Kind::ConDobType {
                    values[3] = V::Text(["00/00/0000", "31/09/2016", "tbc"][v % 3]);
                } else {
                    values[3] = V::Empty;
                    values[4] = V::Empty;
                }
                let line = o.plant(kind, &values, 3)?;
                o.fill_later(i, line, &values, 3);
            }
            Kind::ConEthnicityRequired => {
                values[2] = V::Empty;
                o.plant(kind, &values, 2)?;
            }
            Kind::ConAltDate => {
                values[5] = V::Date(e.date, ALT_FORMS[v % 4]);
                o.plant(kind, &values, 5)?;
            }
            Kind::ConLeapDay => {
                let d = leap_contact_date(ctx, c, contacts, v).expect("checked when taken");
                if !ctx.recorded(d) {
                    o.write(&values)?;
                    continue;
                }
                values[4] = V::Int(age_years(c.dob, d), IntForm::Plain);
                values[5] = V::Date(d, DateForm::Dmy);
                o.plant(kind, &values, 4)?;
            }
            _ => unreachable!("{kind:?} is not a contacts problem"),
        }
    }
    Ok(())
}

fn write_referrals(ctx: &Ctx, o: &mut Out, i: usize, c: &Child, referrals: &[Referral]) -> io::Result<()> {
    if referrals.is_empty() {
        return Ok(());
    }
    let plant = o
        .planter
        .take(i, |k, _| k != Kind::Ref006 || ctx.mistyped_id(i, &o.invented).is_some());
    // The slip is made up when the problem is handed out, so every night gives it the same id.
    let typo = plant.filter(|&(k, _)| k == Kind::Ref006).map(|_| {
        let typo = ctx.mistyped_id(i, &o.invented).expect("checked when taken");
        o.invented.push(typo);
        typo
    });
    let plant = plant.filter(|&(k, _)| ctx.live(i, REFERRALS, k));
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_PLANT_ROWS + REFERRALS as u64);
    let target = plant.map(|(k, _)| match k {
        Kind::Ref002 => 0,
        Kind::Ref001 => referrals.len() - 1,
        _ => rng.below(referrals.len() as u64) as usize,
    });
    for (r, e) in referrals.iter().enumerate() {
        if !ctx.recorded(e.date) {
            break;
        }
        let f = e.forms;
        let mut values = [
            V::Id(c.num),
            V::Code(GENDER[c.sex as usize]),
            V::Code(ETHNICITY[c.eth as usize]),
            V::Date(c.dob, f.date(0)),
            f.age(age_years(c.dob, e.date)),
            V::Date(e.date, f.date(1)),
            V::Code(SOURCE[e.source as usize]),
            V::Code(YNU[e.nfa as usize]),
            V::Int(e.count, f.int(1)),
            V::Text(e.team),
            V::Text(e.worker),
            V::Code("NFD"),
        ];
        let Some((kind, v)) = plant.filter(|_| target == Some(r)) else {
            o.write(&values)?;
            continue;
        };
        match kind {
            Kind::Ref001 => {
                let d = ctx.as_of + 1 + rng.days(200);
                values[4] = V::Int(age_years(c.dob, d), IntForm::Plain);
                values[5] = V::Date(d, DateForm::Dmy);
                o.plant(kind, &values, 5)?;
            }
            Kind::Ref002 => {
                values[4] = V::Empty;
                values[5] = V::Date(c.dob - 1 - rng.days(30), DateForm::Dmy);
                o.plant(kind, &values, 5)?;
            }
            Kind::Ref003 => {
                values[8] = V::Int([0, 99][v % 2], IntForm::Plain);
                o.plant(kind, &values, 8)?;
            }
            Kind::Ref004 => {
                let mut again = values;
                again[6] = V::Code(SOURCE[(e.source as usize + 1 + rng.below(20) as usize) % SOURCE.len()]);
                let w = WORKERS.iter().position(|&w| w == e.worker).unwrap_or(0);
                again[10] = V::Text(WORKERS[(w + 1) % WORKERS.len()]);
                o.plant_same_key(kind, &values, &again)?;
            }
            Kind::Ref005 => {
                values[10] = V::Text(PASTED_NOTES[v % 2]);
                o.plant(kind, &values, 10)?;
            }
            Kind::Ref006 => {
                values[0] = V::Id(typo.expect("made up when taken"));
                o.plant(kind, &values, 0)?;
            }
            Kind::RefCountType => {
                values[8] = V::Text(["three", "2.5"][v % 2]);
                o.plant(kind, &values, 8)?;
            }
            Kind::RefNfaType => {
                values[7] = V::Text("Maybe");
                o.plant(kind, &values, 7)?;
            }
            Kind::RefTeamRequired => {
                values[9] = V::Empty;
                o.plant(kind, &values, 9)?;
            }
            Kind::RefRagged => {
                // "Surname, Forename" typed without quotes: one field too many.
                let (first, last) = e.worker.split_once(' ').unwrap_or((e.worker, "Smith"));
                let bad = format!("{last}, {first}");
                values[10] = V::Verbatim(&bad);
                let line = o.t.write_row(&values)?;
                o.record(kind, line, "", Check::Ragged);
            }
            Kind::RefCountForm => {
                values[8] = V::Int(e.count, [IntForm::PointZero, IntForm::Padded][v % 2]);
                o.plant(kind, &values, 8)?;
            }
            _ => unreachable!("{kind:?} is not a referrals problem"),
        }
    }
    Ok(())
}

fn write_assessments(ctx: &Ctx, o: &mut Out, i: usize, c: &Child, assessments: &[Assessment]) -> io::Result<()> {
    if assessments.is_empty() {
        return Ok(());
    }
    let old = |a: &Assessment| a.start < ctx.as_of - 60;
    let plant = o
        .planter
        .take(i, |k, _| k != Kind::Ass004 || assessments.iter().any(old));
    let plant = plant.filter(|&(k, _)| ctx.live(i, ASSESSMENTS, k));
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_PLANT_ROWS + ASSESSMENTS as u64);
    let target = plant.map(|(k, _)| match k {
        Kind::Ass004 => assessments.iter().position(old).unwrap_or(0),
        _ => rng.below(assessments.len() as u64) as usize,
    });
    for (r, e) in assessments.iter().enumerate() {
        let Some(e) = ctx.assessment_tonight(e) else {
            break;
        };
        let f = e.forms;
        let further = match e.auth {
            Some(_) if e.seen == YES && f.bits(6) < 300 => V::Text("Yes"),
            Some(_) => V::Text("No"),
            None => V::Empty,
        };
        let mut values = [
            V::Id(c.num),
            V::Code(GENDER[c.sex as usize]),
            V::Code(ETHNICITY[c.eth as usize]),
            V::Date(c.dob, f.date(0)),
            f.age(age_years(c.dob, e.start)),
            V::Code(YNU[c.disability as usize]),
            V::Date(e.start, f.date(1)),
            V::Code(YNU[e.seen as usize]),
            e.auth.map_or(V::Empty, |d| V::Date(d, f.date(2))),
            further,
            V::Text(e.team),
            V::Text(e.worker),
        ];
        let Some((kind, v)) = plant.filter(|_| target == Some(r)) else {
            o.write(&values)?;
            continue;
        };
        match kind {
            Kind::Ass001 if v.is_multiple_of(2) => {
                values[8] = V::Date(ctx.as_of + 1 + rng.days(30), DateForm::Dmy);
                o.plant(kind, &values, 8)?;
            }
            Kind::Ass001 => {
                let d = ctx.as_of + 1 + rng.days(60);
                values[4] = V::Int(age_years(c.dob, d), IntForm::Plain);
                values[6] = V::Date(d, DateForm::Dmy);
                values[8] = V::Empty;
                values[9] = V::Empty;
                o.plant(kind, &values, 6)?;
            }
            Kind::Ass002 => {
                values[8] = V::Date(e.start - 1 - rng.days(20), DateForm::Dmy);
                o.plant(kind, &values, 8)?;
            }
            Kind::Ass003 => {
                let mut again = values;
                let w = WORKERS.iter().position(|&w| w == e.worker).unwrap_or(0);
                again[11] = V::Text(WORKERS[(w + 7) % WORKERS.len()]);
                again[7] = V::Code(YNU[if e.seen == YES { NO } else { YES } as usize]);
                o.plant_same_key(kind, &values, &again)?;
            }
            Kind::Ass004 => {
                values[8] = V::Empty;
                values[9] = V::Empty;
                // Started over 60 days before the last night: maybe not 45 before an earlier one.
                let kind = if e.start < ctx.night - 45 {
                    kind
                } else {
                    Kind::Ass004NotYet
                };
                o.plant(kind, &values, 8)?;
            }
            Kind::AssSeenType => {
                values[7] = V::Text(["Seen", "Possibly"][v % 2]);
                o.plant(kind, &values, 7)?;
            }
            Kind::AssMultilineTeam => {
                values[10] = V::Text(MULTILINE_TEAM);
                let line = o.t.write_row(&values)?;
                o.record(kind, line, "", Check::Value(10, MULTILINE_TEAM.to_string()));
            }
            _ => unreachable!("{kind:?} is not an assessments problem"),
        }
    }
    Ok(())
}

/// A clean, open plan started in the last two years, for a child with no assessment behind it
/// (CPP-007: say, one who moved into the area on a plan).
fn orphan_plan(ctx: &Ctx, c: &Child, rng: &mut Rng) -> Plan {
    let lo = (c.dob + 1).max(ctx.as_of - 730);
    let start = lo + rng.days(ctx.as_of - lo + 1);
    let span = ctx.as_of - start;
    let initial = rng.weighted(&ABUSE_W) as u8;
    Plan {
        start,
        end: None,
        review: (span >= 90).then(|| start + rng.days(span + 1)),
        visit: Some(ctx.as_of - rng.days(span.min(42) + 1)),
        seen_alone: Some(YES),
        initial,
        latest: initial,
        emergency: NO,
        previous: 0,
        team: CP_TEAMS[(c.worker as usize) % CP_TEAMS.len()],
        worker: WORKERS[c.worker as usize],
        forms: Forms::draw(rng),
    }
}

/// A clean, open plan starting within 60 days of the day `last` (which has ended) ends: a child
/// back on a plan (CPP-010 plants its count).
fn later_plan(ctx: &Ctx, last: &Plan, rng: &mut Rng) -> Plan {
    let end = last.end.expect("the last plan has ended");
    let start = end + rng.days((ctx.as_of - end).min(60) + 1);
    let span = ctx.as_of - start;
    let initial = rng.weighted(&ABUSE_W) as u8;
    Plan {
        start,
        end: None,
        review: (span >= 90).then(|| start + rng.days(span + 1)),
        visit: Some(ctx.as_of - rng.days(span.min(42) + 1)),
        seen_alone: Some(YES),
        initial,
        latest: initial,
        emergency: NO,
        previous: last.previous + 1,
        team: last.team,
        worker: last.worker,
        forms: Forms::draw(rng),
    }
}

/// The day after the last on which a second plan could start inside `e` (CPP-009): its end,
/// or the day after as_of if it is open. Room needs two days: the start is excluded, and a plan
/// starting on the day another ends does not overlap it.
fn overlap_limit(ctx: &Ctx, e: &Plan) -> Day {
    e.end.unwrap_or(ctx.as_of + 1)
}

fn write_plans(
    ctx: &Ctx,
    o: &mut Out,
    i: usize,
    c: &Child,
    assessments: &[Assessment],
    plans: &[Plan],
) -> io::Result<()> {
    // A child without plans gets one only as CPP-007, and only if they have no assessment.
    // CPP-009 needs a plan with room for a second one to start inside it; CPP-010 a last plan
    // that has ended, for a new one to follow.
    let room = |e: &Plan| overlap_limit(ctx, e) - e.start >= 2;
    let plant = if !plans.is_empty() {
        o.planter.take(i, |k, _| match k {
            Kind::Cpp007 => false,
            Kind::Cpp009 => plans.iter().any(room),
            Kind::Cpp010 => plans.last().is_some_and(|p| p.end.is_some()),
            _ => true,
        })
    } else if assessments.is_empty() {
        o.planter.take(i, |k, _| k == Kind::Cpp007)
    } else {
        None
    };
    let plant = plant.filter(|&(k, _)| ctx.live(i, CP_PLANS, k));
    if plans.is_empty() && plant.is_none() {
        return Ok(());
    }
    let mut rng = Rng::stream(ctx.seed, i as u64, SALT_PLANT_ROWS + CP_PLANS as u64);
    let orphan;
    let plans = if plans.is_empty() {
        orphan = [orphan_plan(ctx, c, &mut rng)];
        &orphan[..]
    } else {
        plans
    };
    let target = plant.map(|(kind, v)| {
        let r = rng.below(plans.len() as u64) as usize;
        match kind {
            // A future end date on any but the last plan would also overlap the next (CPP-009).
            Kind::Cpp001 if !v.is_multiple_of(2) => plans.len() - 1,
            // 25 previous plans on any but the last plan would make the next one's count look
            // too small (CPP-010).
            Kind::Cpp004 => plans.len() - 1,
            // A row of its own, after the child's plans.
            Kind::Cpp010 => plans.len(),
            Kind::Cpp009 => {
                let roomy: Vec<usize> = (0..plans.len()).filter(|&j| room(&plans[j])).collect();
                roomy[r % roomy.len()]
            }
            _ => r,
        }
    });
    // Plans planted as a second, overlapping plan (CPP-009) that later plans count.
    let mut added = 0;
    for (r, e) in plans.iter().enumerate() {
        // Values are drawn from the plan as it ends up (`e`), and written as tonight shows it.
        let Some(tonight) = ctx.plan_tonight(e) else {
            break;
        };
        let mut values = plan_values(c, &tonight, e.previous + added);
        let Some((kind, v)) = plant.filter(|_| target == Some(r)) else {
            o.write(&values)?;
            continue;
        };
        match kind {
            Kind::Cpp001 if v.is_multiple_of(2) => {
                values[9] = V::Date(ctx.as_of + 1 + rng.days(14), DateForm::Dmy);
                o.plant(kind, &values, 9)?;
            }
            Kind::Cpp001 => {
                values[12] = V::Date(ctx.as_of + 1 + rng.days(90), DateForm::Dmy);
                o.plant(kind, &values, 12)?;
            }
            Kind::Cpp002 => {
                values[12] = V::Date(e.start - 1 - rng.days(60), DateForm::Dmy);
                o.plant(kind, &values, 12)?;
            }
            Kind::Cpp003 => {
                values[11] = V::Date(e.start - 1 - rng.days(30), DateForm::Dmy);
                o.plant(kind, &values, 11)?;
            }
            Kind::Cpp004 => {
                values[14] = V::Int(25, IntForm::Plain);
                o.plant(kind, &values, 14)?;
            }
            Kind::Cpp005 => {
                let mut again = values;
                again[8] = V::Code(ABUSE[(e.latest as usize + 1) % ABUSE.len()]);
                let w = WORKERS.iter().position(|&w| w == e.worker).unwrap_or(0);
                again[16] = V::Text(WORKERS[(w + 3) % WORKERS.len()]);
                o.plant_same_key(kind, &values, &again)?;
            }
            Kind::Cpp006 => o.plant_copy(kind, &values)?,
            Kind::Cpp007 => {
                o.plant(kind, &values, 0)?;
            }
            Kind::Cpp009 => {
                // A second clean plan starting while this one runs, ending when it ends (or
                // open with it): a plan entered twice, or an end date never recorded.
                let start = e.start + 1 + rng.days(overlap_limit(ctx, e) - e.start - 1);
                let upto = e.end.unwrap_or(ctx.as_of);
                let span = upto - start;
                let second = Plan {
                    start,
                    visit: Some(upto - rng.days(span.min(42) + 1)),
                    review: Some(start + rng.days(span + 1)),
                    ..*e
                };
                let Some(second) = ctx.plan_tonight(&second) else {
                    o.write(&values)?;
                    continue;
                };
                // It counts this plan among its previous ones, and later plans count it.
                let again = plan_values(c, &second, e.previous + 1);
                added = 1;
                o.plant(kind, &values, 6)?;
                o.plant(kind, &again, 6)?;
            }
            Kind::CppStartType => {
                values[6] = V::Text(["31/09/2024", "2024-02-30"][v % 2]);
                o.plant(kind, &values, 6)?;
            }
            Kind::CppCategoryType => {
                values[7] = V::Text(["f) Financial abuse", "Bullying"][v % 2]);
                o.plant(kind, &values, 7)?;
            }
            _ => unreachable!("{kind:?} is not a cp_plans problem"),
        }
    }
    if let Some((kind @ Kind::Cpp010, v)) = plant {
        // A new plan after the last one, with its count carried over from it or left at nought.
        let last = plans.last().expect("taken only by children with a plan");
        let next = later_plan(ctx, last, &mut rng);
        let Some(next) = ctx.plan_tonight(&next) else {
            return Ok(());
        };
        let count = if v.is_multiple_of(2) { last.previous } else { 0 };
        let mut values = plan_values(c, &next, count);
        values[14] = V::Int(count, IntForm::Plain);
        o.plant(kind, &values, 14)?;
    }
    Ok(())
}

/// A plan's row, counting `previous` plans before it.
fn plan_values(c: &Child, e: &Plan, previous: i64) -> [V<'static>; 17] {
    let f = e.forms;
    let date = |d: Option<Day>, slot| d.map_or(V::Empty, |d| V::Date(d, f.date(slot)));
    [
        V::Id(c.num),
        V::Code(GENDER[c.sex as usize]),
        V::Code(ETHNICITY[c.eth as usize]),
        V::Date(c.dob, f.date(0)),
        f.age(age_years(c.dob, e.start)),
        V::Code(YNU[c.disability as usize]),
        V::Date(e.start, f.date(1)),
        V::Code(ABUSE[e.initial as usize]),
        V::Code(ABUSE[e.latest as usize]),
        date(e.visit, 2),
        e.seen_alone.map_or(V::Empty, |s| V::Code(YNU[s as usize])),
        date(e.review, 3),
        date(e.end, 4),
        V::Code(YNU[e.emergency as usize]),
        V::Int(previous, f.int(1)),
        V::Text(e.team),
        V::Text(e.worker),
    ]
}

// ---------------------------------------------------------------------------------------------
// Driver

fn run(opts: &GenOptions, dir: &Path) -> io::Result<(GenSummary, Vec<Truth>)> {
    run_night(opts, Night { index: 0, count: 1 }, dir)
}

fn run_night(opts: &GenOptions, night: Night, dir: &Path) -> io::Result<(GenSummary, Vec<Truth>)> {
    let mut want = [opts.tables.is_empty(); 5];
    for name in &opts.tables {
        let index = TABLE_NAMES.iter().position(|t| t == name).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown table {name:?} (expected one of {})", TABLE_NAMES.join(", ")),
            )
        })?;
        want[index] = true;
    }
    let ctx = Ctx::on(opts, night)?;
    fs::create_dir_all(dir)?;
    let mut outs: Vec<Option<Out>> = Vec::with_capacity(5);
    for (index, &wanted) in want.iter().enumerate() {
        outs.push(if wanted {
            Some(Out::new(dir, opts, index)?)
        } else {
            None
        });
    }
    let [children, contacts, referrals, assessments, plans] = &mut outs[..] else {
        unreachable!("five tables")
    };

    let mut ev = Events::default();
    for i in 0..opts.children {
        let c = ctx.child(i, SALT_CHILD);
        if let Some(o) = children {
            write_child(&ctx, o, i, &c)?;
        }
        if !want[CONTACTS..].contains(&true) {
            continue;
        }
        gen_contacts(&ctx, i, &c, &mut ev.contacts);
        if let Some(o) = contacts {
            write_contacts(&ctx, o, i, &c, &ev.contacts)?;
        }
        if !want[REFERRALS..].contains(&true) {
            continue;
        }
        gen_referrals(&ctx, i, &c, &ev.contacts, &mut ev.referrals);
        if let Some(o) = referrals {
            write_referrals(&ctx, o, i, &c, &ev.referrals)?;
        }
        if !want[ASSESSMENTS..].contains(&true) {
            continue;
        }
        gen_assessments(&ctx, i, &c, &ev.referrals, &mut ev.assessments);
        if let Some(o) = assessments {
            write_assessments(&ctx, o, i, &c, &ev.assessments)?;
        }
        if let Some(o) = plans {
            gen_plans(&ctx, i, &c, &ev.assessments, &mut ev.plans);
            write_plans(&ctx, o, i, &c, &ev.assessments, &ev.plans)?;
        }
    }
    // FIX-CON-DOB fills a contact's date of birth only from a children table that holds exactly
    // one date for the child.
    if let Some(o) = contacts {
        let mut single = vec![children.is_some(); opts.children];
        if let Some(ch) = children {
            let mut odd = std::mem::take(&mut ch.odd_dobs);
            odd.sort_by_key(|&(k, ..)| k);
            for rows in odd.chunk_by(|a, b| a.0 == b.0) {
                let k = rows[0].0;
                let own = rows
                    .iter()
                    .find(|r| r.1)
                    .map_or(Some(ctx.child(k, SALT_CHILD).dob), |r| r.2);
                let mut dobs: Vec<Day> = own
                    .into_iter()
                    .chain(rows.iter().filter(|r| !r.1).filter_map(|r| r.2))
                    .collect();
                dobs.sort_unstable();
                dobs.dedup();
                single[k] = dobs.len() == 1;
            }
        }
        let fills = std::mem::take(&mut o.fills);
        o.truth
            .extend(fills.into_iter().filter(|(i, _)| single[*i]).map(|(_, t)| t));
    }

    let mut rows = Vec::new();
    let mut truth = Vec::new();
    for o in outs.into_iter().flatten() {
        let Out { mut t, truth: tt, .. } = o;
        t.out.flush()?;
        rows.push((TABLE_NAMES[t.index].to_string(), t.rows));
        truth.extend(tt);
    }
    truth.sort_by_key(|t| (TABLE_NAMES[t.table], t.line));
    write_truth(&dir.join("ground_truth.csv"), &truth)?;
    let planted = truth.iter().filter(|t| t.kind.info().expect == Expect::Finding).count();
    let changes = truth.iter().filter(|t| t.kind.info().expect == Expect::Change).count();
    Ok((GenSummary { rows, planted, changes }, truth))
}

fn write_truth(path: &Path, truth: &[Truth]) -> io::Result<()> {
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
    //! The generator is checked against an independent mini-checker written from the rule
    //! pack's wording, so "clean rows are clean" does not rest on the generator's own logic.

    use super::*;
    use std::collections::{HashMap, HashSet};
    use std::path::PathBuf;

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
    }

    fn opts(seed: u64, children: usize) -> GenOptions {
        GenOptions {
            seed,
            children,
            as_of: as_of(),
            tables: Vec::new(),
            plant: true,
        }
    }

    /// A scratch directory removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("cleanse-gen-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn gen_in(o: &GenOptions, name: &str) -> (Scratch, GenSummary, Vec<Truth>) {
        let dir = Scratch::new(name);
        let (summary, truth) = run(o, &dir.0).unwrap();
        (dir, summary, truth)
    }

    fn file(dir: &Scratch, name: &str) -> Vec<u8> {
        fs::read(dir.0.join(name)).unwrap()
    }

    // ---- reading back ---------------------------------------------------------------------

    /// A CSV file read back: header and records, each with the line it starts on.
    struct Sheet {
        header: Vec<String>,
        rows: Vec<(usize, Vec<String>)>,
    }

    impl Sheet {
        fn read(dir: &Scratch, table: &str) -> Sheet {
            let bytes = file(dir, &format!("{table}.csv"));
            let text = if table == "referrals" {
                encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(&bytes)
                    .0
                    .into_owned()
            } else {
                String::from_utf8(bytes).unwrap()
            };
            let mut rows = parse_csv(&text);
            let (first, header) = rows.remove(0);
            assert_eq!(first, 1);
            Sheet { header, rows }
        }

        fn at(&self, line: usize) -> &Vec<String> {
            &self
                .rows
                .iter()
                .find(|(l, _)| *l == line)
                .unwrap_or_else(|| panic!("no record starts on line {line}"))
                .1
        }
    }

    /// RFC 4180 records, each with the physical line it starts on. Written here rather than
    /// taken from the csv crate, whose `Position::line` runs one behind in CRLF files.
    fn parse_csv(text: &str) -> Vec<(usize, Vec<String>)> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut chars = text.chars().peekable();
        let (mut records, mut line) = (Vec::new(), 1);
        while chars.peek().is_some() {
            let (start, mut fields) = (line, Vec::new());
            loop {
                let mut field = String::new();
                if chars.peek() == Some(&'"') {
                    chars.next();
                    loop {
                        match chars.next().expect("unterminated quote") {
                            '"' if chars.peek() == Some(&'"') => {
                                chars.next();
                                field.push('"');
                            }
                            '"' => break,
                            c => {
                                line += usize::from(c == '\n');
                                field.push(c);
                            }
                        }
                    }
                }
                while let Some(&c) = chars.peek() {
                    if matches!(c, ',' | '\r' | '\n') {
                        break;
                    }
                    field.push(c);
                    chars.next();
                }
                fields.push(field);
                match chars.next() {
                    Some(',') => {}
                    Some('\r') => {
                        assert_eq!(chars.next(), Some('\n'), "bare CR on line {line}");
                        line += 1;
                        break;
                    }
                    Some('\n') => {
                        line += 1;
                        break;
                    }
                    _ => break,
                }
            }
            records.push((start, fields));
        }
        records
    }

    fn normalise(header: &str) -> String {
        header
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    }

    // ---- the rule pack, read with string handling just good enough for its layout ----------

    struct PackColumn {
        name: String,
        header: String,
        kind: String,
        codes: String,
        required: bool,
    }

    struct Pack {
        code_lists: HashMap<String, Vec<String>>,
        tables: HashMap<String, (Vec<String>, Vec<PackColumn>)>,
    }

    fn quoted(s: &str) -> Vec<String> {
        s.split('"').skip(1).step_by(2).map(String::from).collect()
    }

    /// Split `a: x, b: [y, z], c: "p, q"` at top-level commas.
    fn split_top(s: &str) -> Vec<String> {
        let (mut parts, mut cur, mut depth, mut quote) = (Vec::new(), String::new(), 0, false);
        for ch in s.chars() {
            match ch {
                '"' => quote = !quote,
                '[' if !quote => depth += 1,
                ']' if !quote => depth -= 1,
                ',' if !quote && depth == 0 => {
                    parts.push(cur.trim().to_string());
                    cur.clear();
                    continue;
                }
                _ => {}
            }
            cur.push(ch);
        }
        parts.push(cur.trim().to_string());
        parts
    }

    fn pack() -> Pack {
        let text = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/annex-a.yaml")).unwrap();
        let lists = &text[text.find("\ncode_lists:").unwrap()..text.find("\ntables:").unwrap()];
        let mut code_lists = HashMap::new();
        for chunk in lists.split(']').filter(|c| c.contains('[')) {
            let head = &chunk[..chunk.find('[').unwrap()];
            let name = head
                .trim()
                .trim_end_matches(':')
                .rsplit(['\n', ' '])
                .next()
                .unwrap()
                .to_string();
            code_lists.insert(name, quoted(chunk));
        }
        let mut tables: HashMap<String, (Vec<String>, Vec<PackColumn>)> = HashMap::new();
        let mut current = String::new();
        let body = &text[text.find("\ntables:").unwrap()..text.find("\nrules:").unwrap()];
        for line in body.lines() {
            if line.starts_with("  ") && !line.starts_with("   ") && line.trim_end().ends_with(':') {
                current = line.trim().trim_end_matches(':').to_string();
                tables.insert(current.clone(), (Vec::new(), Vec::new()));
            } else if let Some(key) = line.trim().strip_prefix("key: [") {
                let key = key
                    .trim_end_matches(']')
                    .split(',')
                    .map(|k| k.trim().to_string())
                    .collect();
                tables.get_mut(&current).unwrap().0 = key;
            } else if let Some(inner) = line.trim().strip_prefix("- {") {
                let inner = inner.trim_end().trim_end_matches('}');
                let mut col = PackColumn {
                    name: String::new(),
                    header: String::new(),
                    kind: "text".into(),
                    codes: String::new(),
                    required: false,
                };
                for part in split_top(inner) {
                    let (k, v) = part.split_once(':').unwrap();
                    let v = v.trim().trim_matches('"').to_string();
                    match k.trim() {
                        "name" => col.name = v,
                        "header" => col.header = v,
                        "type" => col.kind = v,
                        "codes" => col.codes = v,
                        "required" => col.required = v == "true",
                        _ => {}
                    }
                }
                tables.get_mut(&current).unwrap().1.push(col);
            }
        }
        Pack { code_lists, tables }
    }

    // ---- an independent mini-checker ------------------------------------------------------

    fn parse_date(s: &str) -> Result<Option<NaiveDate>, ()> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        let num = |p: &str| {
            if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
                p.parse::<i32>().map_err(|_| ())
            } else {
                Err(())
            }
        };
        let ymd = |y: i32, m: i32, d: i32| NaiveDate::from_ymd_opt(y, m as u32, d as u32).ok_or(());
        if s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()) {
            let base = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
            return Ok(Some(base + chrono::Days::new(s.parse().unwrap())));
        }
        let slash: Vec<&str> = s.split('/').collect();
        if slash.len() == 3 {
            let year = match slash[2].len() {
                4 => num(slash[2])?,
                2 => {
                    let y = num(slash[2])?;
                    if y < 40 { 2000 + y } else { 1900 + y }
                }
                _ => return Err(()),
            };
            return ymd(year, num(slash[1])?, num(slash[0])?).map(Some);
        }
        let dash: Vec<&str> = s.split('-').collect();
        if dash.len() == 3 && dash[0].len() == 4 {
            return ymd(num(dash[0])?, num(dash[1])?, num(dash[2])?).map(Some);
        }
        if dash.len() == 3 && dash[2].len() == 4 {
            let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(dash[1])).ok_or(())? as i32 + 1;
            return ymd(num(dash[2])?, month, num(dash[0])?).map(Some);
        }
        Err(())
    }

    fn parse_int(s: &str) -> Result<Option<i64>, ()> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        if let Ok(n) = s.parse() {
            return Ok(Some(n));
        }
        match s.split_once('.') {
            Some((whole, frac)) if !frac.is_empty() && frac.bytes().all(|b| b == b'0') => {
                whole.parse().map(Some).map_err(|_| ())
            }
            _ => Err(()),
        }
    }

    /// Age by counting anniversaries; a 29 February birthday falls on 1 March in other years.
    fn age_at(dob: NaiveDate, at: NaiveDate) -> i64 {
        let anniversary = |n: i32| {
            NaiveDate::from_ymd_opt(dob.year() + n, dob.month(), dob.day())
                .unwrap_or_else(|| NaiveDate::from_ymd_opt(dob.year() + n, 3, 1).unwrap())
        };
        let mut n = 0;
        while anniversary(n + 1) <= at {
            n += 1;
        }
        while n > 0 && anniversary(n) > at {
            n -= 1;
        }
        i64::from(n)
    }

    fn nhs_ok(s: &str) -> bool {
        let b = s.as_bytes();
        let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
        match b.len() {
            10 => digits(b),
            11 => {
                (b[3] == b' ' && digits(&b[..3]) && digits(&b[4..]))
                    || (b[6] == b' ' && digits(&b[..6]) && digits(&b[7..]))
            }
            12 => b[3] == b' ' && b[7] == b' ' && digits(&b[..3]) && digits(&b[4..7]) && digits(&b[8..]),
            _ => false,
        }
    }

    /// `^(?i)[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$`
    fn postcode_ok(s: &str) -> bool {
        let b = s.to_ascii_uppercase().into_bytes();
        let n = b.len();
        if n < 5 || !b[n - 2..].iter().all(u8::is_ascii_uppercase) || !b[n - 3].is_ascii_digit() {
            return false;
        }
        let mut outward = &b[..n - 3];
        if outward.last() == Some(&b' ') {
            outward = &outward[..outward.len() - 1];
        }
        let letters = outward.iter().take_while(|c| c.is_ascii_uppercase()).count();
        let rest = &outward[letters.min(2)..];
        (1..=2).contains(&letters)
            && letters <= 2
            && !rest.is_empty()
            && rest[0].is_ascii_digit()
            && rest.len() <= 2
            && rest[1..].iter().all(u8::is_ascii_alphanumeric)
    }

    /// A code with case and spacing ignored.
    fn squash(s: &str) -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect()
    }

    fn clean_text(s: &str) -> bool {
        s == s.trim() && !s.contains("  ")
    }

    type Findings = HashSet<(String, usize, String)>;

    /// Where a table's column is in its file, by the pack's header.
    fn column_at(pack: &Pack, sheet: &Sheet, table: &str, name: &str) -> usize {
        let col = pack.tables[table].1.iter().find(|c| c.name == name).unwrap();
        sheet
            .header
            .iter()
            .position(|h| normalise(h) == normalise(&col.header))
            .unwrap()
    }

    /// Every finding the rule pack implies for the files in `dir`.
    fn check(dir: &Scratch, today: NaiveDate) -> Findings {
        let pack = pack();
        let mut found = Findings::new();
        // A table's child ids as trimmed text, for the `reference` rules (none if not written:
        // the rule is then not checked).
        let child_ids = |table: &str| -> Option<HashSet<String>> {
            dir.0.join(format!("{table}.csv")).exists().then(|| {
                let sheet = Sheet::read(dir, table);
                let i = column_at(&pack, &sheet, table, "child_id");
                sheet.rows.iter().map(|(_, r)| r[i].trim().to_string()).collect()
            })
        };
        let (children_ids, assessed_ids) = (child_ids("children"), child_ids("assessments"));
        // FIX-CON-DOB: each child id's valid dates of birth in the children table, if written.
        let children_dobs: Option<HashMap<String, HashSet<NaiveDate>>> =
            dir.0.join("children.csv").exists().then(|| {
                let sheet = Sheet::read(dir, "children");
                let (id, dob) = (
                    column_at(&pack, &sheet, "children", "child_id"),
                    column_at(&pack, &sheet, "children", "date_of_birth"),
                );
                let mut dobs: HashMap<String, HashSet<NaiveDate>> = HashMap::new();
                for (_, r) in &sheet.rows {
                    let entry = dobs.entry(r[id].trim().to_string()).or_default();
                    entry.extend(parse_date(&r[dob]).ok().flatten());
                }
                dobs
            });
        // FIX-*-GENDER: the council's wording, as `rules/synonyms/gender.csv` lists it.
        let synonyms: HashSet<String> =
            fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/synonyms/gender.csv"))
                .unwrap()
                .lines()
                .skip(1)
                .map(|l| squash(l.split(',').next().unwrap()))
                .collect();
        // A gender value the map corrections rewrite: a code in the wrong form, or a synonym.
        let remapped = |v: &str| {
            let list = &pack.code_lists["gender"];
            !v.trim().is_empty()
                && !list.iter().any(|x| x == v)
                && (list.iter().any(|x| squash(x) == squash(v)) || synonyms.contains(&squash(v)))
        };
        // CPP-009: each plan's (child, start, end, line), for rows whose dates all parse.
        let mut periods: Vec<(String, NaiveDate, Option<NaiveDate>, usize)> = Vec::new();
        // CPP-010: each plan's (child, start, line, count), for rows whose start and count parse.
        let mut counts: Vec<(String, NaiveDate, usize, Option<i64>)> = Vec::new();
        // CON-009 and CON-010: (rule, child, line, typed value) of every non-blank value.
        let mut held: Vec<(&str, String, usize, String)> = Vec::new();
        for table in TABLE_NAMES {
            if !dir.0.join(format!("{table}.csv")).exists() {
                continue;
            }
            let sheet = Sheet::read(dir, table);
            let (key, cols) = &pack.tables[table];
            let index: HashMap<&str, usize> = cols
                .iter()
                .map(|c| (c.name.as_str(), column_at(&pack, &sheet, table, &c.name)))
                .collect();
            let mut seen_rows: HashSet<Vec<String>> = HashSet::new();
            let mut seen_keys: HashMap<&str, HashSet<String>> = HashMap::new();
            for (line, row) in &sheet.rows {
                let line = *line;
                if row.len() != sheet.header.len() {
                    found.insert((table.to_string(), line, "ingest.ragged_row".into()));
                    continue;
                }
                let mut hits: Vec<String> = Vec::new();
                let raw = |c: &str| row[index[c]].as_str();
                let date = |c: &str| parse_date(raw(c)).ok().flatten();
                let int = |c: &str| parse_int(raw(c)).ok().flatten();
                for c in cols {
                    let v = raw(&c.name);
                    if v.trim().is_empty() {
                        if c.required {
                            hits.push(format!("{table}.{}.required", c.name));
                        }
                        continue;
                    }
                    let bad = match c.kind.as_str() {
                        "date" => parse_date(v).is_err(),
                        "integer" => parse_int(v).is_err(),
                        "code" => {
                            let list = &pack.code_lists[&c.codes];
                            if !list.iter().any(|x| x == v) {
                                if list.iter().any(|x| squash(x) == squash(v)) {
                                    hits.push(format!("{table}.{}.code_form", c.name));
                                    false
                                } else {
                                    true
                                }
                            } else {
                                false
                            }
                        }
                        _ => false,
                    };
                    if bad {
                        hits.push(format!("{table}.{}.type", c.name));
                    }
                }
                // Exact copies, and the table key (typed: one date in two forms is one key).
                if !seen_rows.insert(row.clone()) {
                    hits.push(format!("{table}.duplicate_row"));
                }
                let typed = |c: &str| match pack.tables[table].1.iter().find(|x| x.name == c).unwrap().kind.as_str() {
                    "date" => date(c).map(|d| d.to_string()),
                    _ => Some(raw(c).to_string()).filter(|s| !s.is_empty()),
                };
                let mut unique = |rule: &'static str, cols: &[&str]| -> Option<String> {
                    let parts: Option<Vec<String>> = cols.iter().map(|c| typed(c)).collect();
                    let fresh = seen_keys.entry(rule).or_default().insert(parts?.join("|"));
                    (!fresh).then(|| rule.to_string())
                };
                let key: Vec<&str> = key.iter().map(String::as_str).collect();
                hits.extend(unique("table_key", &key));
                // The row's child must be among `ids` (a blank id is left to `required`).
                let orphan = |ids: &Option<HashSet<String>>| {
                    let id = raw("child_id").trim();
                    ids.as_ref().is_some_and(|ids| !id.is_empty() && !ids.contains(id))
                };
                let after = |c: &str| date(c).is_some_and(|d| d > today);
                let before = |a: &str, b: &str| matches!((date(a), date(b)), (Some(x), Some(y)) if x < y);
                match table {
                    "children" => {
                        hits.extend(unique("CHI-001", &["child_id"]));
                        if after("date_of_birth") {
                            hits.push("CHI-002".into());
                        }
                        if date("date_of_birth").is_some_and(|d| age_at(d, today) > 25) {
                            hits.push("CHI-003".into());
                        }
                        if !raw("nhs_number").is_empty() && !nhs_ok(raw("nhs_number")) {
                            hits.push("CHI-004".into());
                        }
                        if !raw("postcode").is_empty() && !postcode_ok(raw("postcode")) {
                            hits.push("CHI-005".into());
                        }
                        if ["child_id", "first_name", "surname"]
                            .iter()
                            .any(|c| !clean_text(raw(c)))
                        {
                            hits.push("CHI-006".into());
                        }
                    }
                    "contacts" => {
                        if after("contact_date") {
                            hits.push("CON-001".into());
                        }
                        if before("contact_date", "date_of_birth") {
                            hits.push("CON-002".into());
                        }
                        if let (Some(a), Some(b), Some(d)) = (int("age"), date("date_of_birth"), date("contact_date"))
                            && a != age_at(b, d)
                        {
                            hits.push("CON-003".into());
                        }
                        let six = today.checked_sub_months(Months::new(72)).unwrap();
                        if date("contact_date").is_some_and(|d| d < six) {
                            hits.push("CON-004".into());
                        }
                        hits.extend(unique("CON-005", &["child_id", "contact_date", "contact_source"]));
                        if !clean_text(raw("child_id")) {
                            hits.push("CON-007".into());
                        }
                        // Typed: a date as a date, a code as the code it matches loosely.
                        let gender = |v: &str| {
                            let list = &pack.code_lists["gender"];
                            list.iter().find(|x| squash(x) == squash(v)).cloned().ok_or(())
                        };
                        let id = raw("child_id").trim().to_string();
                        for (rule, typed) in [
                            (
                                "CON-009",
                                parse_date(raw("date_of_birth")).map(|d| d.map(|d| d.to_string())),
                            ),
                            (
                                "CON-010",
                                Some(raw("gender"))
                                    .filter(|v| !v.trim().is_empty())
                                    .map(gender)
                                    .transpose(),
                            ),
                        ] {
                            match typed {
                                // Not checked, whatever the child.
                                Err(()) => hits.push(rule.into()),
                                Ok(Some(value)) if !id.is_empty() => held.push((rule, id.clone(), line, value)),
                                Ok(_) => {}
                            }
                        }
                    }
                    "referrals" => {
                        if after("referral_date") {
                            hits.push("REF-001".into());
                        }
                        if before("referral_date", "date_of_birth") {
                            hits.push("REF-002".into());
                        }
                        if int("referrals_last_12m").is_some_and(|n| !(1..=52).contains(&n)) {
                            hits.push("REF-003".into());
                        }
                        hits.extend(unique("REF-004", &["child_id", "referral_date"]));
                        if ["allocated_worker", "allocated_team"]
                            .iter()
                            .any(|c| raw(c).chars().count() > 80)
                        {
                            hits.push("REF-005".into());
                        }
                        if orphan(&children_ids) {
                            hits.push("REF-006".into());
                        }
                    }
                    "assessments" => {
                        if after("assessment_start_date") || after("authorisation_date") {
                            hits.push("ASS-001".into());
                        }
                        if before("authorisation_date", "assessment_start_date") {
                            hits.push("ASS-002".into());
                        }
                        hits.extend(unique("ASS-003", &["child_id", "assessment_start_date"]));
                        let cutoff = today - chrono::Days::new(45);
                        if raw("authorisation_date").is_empty()
                            && date("assessment_start_date").is_some_and(|d| d < cutoff)
                        {
                            hits.push("ASS-004".into());
                        }
                    }
                    "cp_plans" => {
                        if ["plan_start_date", "plan_end_date", "review_date", "last_visit_date"]
                            .iter()
                            .any(|c| after(c))
                        {
                            hits.push("CPP-001".into());
                        }
                        if before("plan_end_date", "plan_start_date") {
                            hits.push("CPP-002".into());
                        }
                        if before("review_date", "plan_start_date") {
                            hits.push("CPP-003".into());
                        }
                        if int("previous_plans").is_some_and(|n| !(0..=20).contains(&n)) {
                            hits.push("CPP-004".into());
                        }
                        hits.extend(unique("CPP-005", &["child_id", "plan_start_date"]));
                        if orphan(&assessed_ids) {
                            hits.push("CPP-007".into());
                        }
                        let id = raw("child_id").trim();
                        match (parse_date(raw("plan_start_date")), parse_int(raw("previous_plans"))) {
                            // A value CPP-010 reads did not parse: not checked, whatever the child.
                            (Err(()), _) | (_, Err(())) => hits.push("CPP-010".into()),
                            (Ok(Some(s)), Ok(n)) if !id.is_empty() => counts.push((id.to_string(), s, line, n)),
                            _ => {}
                        }
                        if let (false, Ok(Some(s)), Ok(end)) = (
                            id.is_empty(),
                            parse_date(raw("plan_start_date")),
                            parse_date(raw("plan_end_date")),
                        ) {
                            periods.push((id.to_string(), s, end, line));
                        }
                    }
                    _ => unreachable!(),
                }
                // The pack's corrections, each a hit named by its correction id.
                match table {
                    "children" => {
                        if ["child_id", "first_name", "surname"]
                            .iter()
                            .any(|c| !clean_text(raw(c)))
                        {
                            hits.push("CHI-006.fix".into());
                        }
                        if remapped(raw("sex")) {
                            hits.push("FIX-CHI-SEX".into());
                        }
                    }
                    "contacts" => {
                        if !clean_text(raw("child_id")) {
                            hits.push("CON-007.fix".into());
                        }
                        if remapped(raw("gender")) {
                            hits.push("FIX-CON-GENDER".into());
                        }
                        for c in ["date_of_birth", "contact_date"] {
                            if let Ok(Some(d)) = parse_date(raw(c))
                                && raw(c) != d.format("%d/%m/%Y").to_string()
                            {
                                hits.push("FIX-CON-DATES".into());
                            }
                        }
                        if hits.iter().any(|h| h == "CON-003") {
                            hits.push("CON-003.fix".into());
                        }
                        let one_dob = children_dobs
                            .as_ref()
                            .and_then(|d| d.get(raw("child_id").trim()))
                            .is_some_and(|d| d.len() == 1);
                        if !matches!(parse_date(raw("date_of_birth")), Ok(Some(_))) && one_dob {
                            hits.push("FIX-CON-DOB".into());
                        }
                    }
                    _ => {}
                }
                found.extend(hits.into_iter().map(|h| (table.to_string(), line, h)));
            }
        }
        // CPP-009: two of a child's plans overlap if one starts on or after the other's start and
        // before its end (an open end never comes). Identical periods are compared once; both
        // rows of an overlapping pair are flagged.
        let mut distinct: HashSet<(String, NaiveDate, Option<NaiveDate>)> = HashSet::new();
        periods.retain(|(id, s, e, _)| distinct.insert((id.clone(), *s, *e)));
        for (j, a) in periods.iter().enumerate() {
            for b in &periods[j + 1..] {
                let (first, second) = if (a.1, a.3) <= (b.1, b.3) { (a, b) } else { (b, a) };
                if first.0 == second.0 && first.2.is_none_or(|end| second.1 < end) {
                    for l in [a.3, b.3] {
                        found.insert(("cp_plans".to_string(), l, "CPP-009".into()));
                    }
                }
            }
        }
        // CPP-010: a child's plans in order of start (then line): each plan after the first that
        // starts on another day must count more previous plans than the one before it.
        counts.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
        for w in counts.windows(2) {
            let (before, plan) = (&w[0], &w[1]);
            if before.0 == plan.0 && before.1 != plan.1 && matches!((before.3, plan.3), (Some(a), Some(b)) if b <= a) {
                found.insert(("cp_plans".to_string(), plan.2, "CPP-010".into()));
            }
        }
        // CON-009, CON-010: per child, every value must be the one most of their contacts hold
        // (on a tie, the one on the earliest line).
        let mut groups: HashMap<(&str, &str), Vec<(usize, &str)>> = HashMap::new();
        for (rule, id, line, value) in &held {
            groups.entry((rule, id)).or_default().push((*line, value));
        }
        for ((rule, _), rows) in groups {
            let mut tally: HashMap<&str, (usize, std::cmp::Reverse<usize>)> = HashMap::new();
            for &(line, value) in &rows {
                let t = tally.entry(value).or_insert((0, std::cmp::Reverse(line)));
                t.0 += 1;
                t.1 = t.1.max(std::cmp::Reverse(line));
            }
            let usual = tally.iter().max_by_key(|(_, t)| **t).map(|(v, _)| *v).unwrap();
            for (line, value) in rows {
                if value != usual {
                    found.insert(("contacts".to_string(), line, rule.to_string()));
                }
            }
        }
        // Name the duplicate-row findings by the pack's rule ids.
        let dup_rule = |t: &str| match t {
            "children" => "CHI-007",
            "contacts" => "CON-006",
            "cp_plans" => "CPP-006",
            _ => "duplicate_row",
        };
        found
            .into_iter()
            .map(|(t, l, r)| {
                if r.ends_with(".duplicate_row") {
                    (t.clone(), l, dup_rule(&t).to_string())
                } else {
                    (t, l, r)
                }
            })
            .collect()
    }

    /// Is this hit a correction's change rather than a rule's finding?
    fn is_change(rule: &str) -> bool {
        rule.ends_with(".fix") || rule.starts_with("FIX-")
    }

    /// The mini-checker finds every planted problem and makes every listed change, and finds
    /// and changes nothing else.
    fn assert_truth_matches(dir: &Scratch, truth: &[Truth], today: NaiveDate) {
        let (changes, found): (Findings, Findings) = check(dir, today).into_iter().partition(|f| is_change(&f.2));
        let mut planted_lines = HashSet::new();
        let mut listed = Findings::new();
        for t in truth {
            let info = t.kind.info();
            let key = (TABLE_NAMES[t.table].to_string(), t.line, info.rule.to_string());
            match info.expect {
                Expect::Finding => {
                    assert!(found.contains(&key), "planted problem not found: {key:?}");
                    planted_lines.insert((key.0, key.1));
                }
                Expect::None => {
                    let on_line: Vec<_> = found.iter().filter(|f| f.0 == key.0 && f.1 == key.1).collect();
                    assert!(on_line.is_empty(), "tolerated value {key:?} was flagged: {on_line:?}");
                }
                Expect::Change => {
                    assert!(changes.contains(&key), "listed change not made: {key:?}");
                    listed.insert(key);
                }
            }
        }
        let unlisted: Vec<_> = changes.difference(&listed).collect();
        assert!(unlisted.is_empty(), "changes not in the ground truth: {unlisted:?}");
        let stray: Vec<_> = found
            .iter()
            .filter(|f| !planted_lines.contains(&(f.0.clone(), f.1)))
            .collect();
        assert!(stray.is_empty(), "findings on clean rows: {stray:?}");
    }

    // ---- tests ----------------------------------------------------------------------------

    #[test]
    fn clean_rows_are_clean_and_every_planted_problem_is_found() {
        let (dir, summary, truth) = gen_in(&opts(42, 1000), "demo");
        assert_eq!(
            summary.planted,
            Kind::ALL
                .iter()
                .filter(|k| k.info().expect == Expect::Finding)
                .map(|k| k.info().base * k.lines())
                .sum::<usize>()
        );
        assert_truth_matches(&dir, &truth, as_of());
    }

    #[test]
    fn holds_across_seeds_sizes_and_extract_dates() {
        let leap = NaiveDate::from_ymd_opt(2028, 2, 29).unwrap();
        let days = [
            as_of(),
            leap,
            NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2039, 12, 31).unwrap(),
        ];
        for seed in 0..16u64 {
            let today = days[seed as usize % 4];
            let children = [40, 150, 1000, 1700][(seed / 4) as usize];
            let o = GenOptions {
                as_of: today,
                ..opts(seed, children)
            };
            let (dir, summary, truth) = gen_in(&o, &format!("many-{seed}"));
            assert_truth_matches(&dir, &truth, today);
            if children >= 1000 {
                let want: usize = Kind::ALL
                    .iter()
                    .filter(|k| k.info().expect == Expect::Finding)
                    .map(|k| (k.info().base.max((k.info().base * children + 500) / 1000)) * k.lines())
                    .sum();
                assert_eq!(summary.planted, want, "seed {seed}");
            }
        }
    }

    /// Night `index` of `count` ending on `o.as_of`, with its extract date.
    fn gen_night(
        o: &GenOptions,
        index: usize,
        count: usize,
        name: &str,
    ) -> (Scratch, NaiveDate, GenSummary, Vec<Truth>) {
        let dir = Scratch::new(name);
        let (summary, truth) = run_night(o, Night { index, count }, &dir.0).unwrap();
        let date = o.as_of - chrono::Days::new((count - 1 - index) as u64);
        (dir, date, summary, truth)
    }

    #[test]
    fn every_night_matches_its_ground_truth() {
        // The shipped nights' shape, and a month of nights. (A plant drawn against the last night
        // that breaks no rule yet on an earlier one is listed as `expect=none`: rare at this size.)
        for (seed, children, count, as_of) in [
            (42, 1000, 7, as_of()),
            (9, 1000, 30, as_of()),
            (3, 300, 7, NaiveDate::from_ymd_opt(2028, 3, 2).unwrap()),
        ] {
            let o = GenOptions {
                as_of,
                ..opts(seed, children)
            };
            for index in 0..count {
                let (dir, date, _, truth) = gen_night(&o, index, count, &format!("night-{seed}-{index}"));
                assert_truth_matches(&dir, &truth, date);
            }
        }
    }

    #[test]
    fn problems_stay_open_some_are_fixed_and_a_few_appear() {
        const COUNT: usize = 7;
        let o = opts(42, 1000);
        // Each night's open problems, named by table, rule and the child id on their row.
        let mut open: Vec<HashSet<(usize, &str, String)>> = Vec::new();
        let mut rows: Vec<HashMap<String, usize>> = Vec::new();
        for index in 0..COUNT {
            let (dir, _, summary, truth) = gen_night(&o, index, COUNT, &format!("life-{index}"));
            let sheets: HashMap<&str, Sheet> = TABLE_NAMES.iter().map(|&t| (t, Sheet::read(&dir, t))).collect();
            open.push(
                truth
                    .iter()
                    .filter(|t| t.kind.info().expect == Expect::Finding)
                    .map(|t| {
                        (
                            t.table,
                            t.kind.info().rule,
                            sheets[TABLE_NAMES[t.table]].at(t.line)[0].clone(),
                        )
                    })
                    .collect(),
            );
            rows.push(summary.rows.into_iter().collect());
        }
        let mut appeared = 0;
        for w in open.windows(2) {
            let (before, after) = (&w[0], &w[1]);
            let fixed = before.difference(after).count() as f64 / before.len() as f64;
            assert!((0.05..=0.3).contains(&fixed), "{fixed}");
            appeared += after.difference(before).count();
        }
        assert!(appeared >= 5, "{appeared}");
        assert!(
            open[COUNT - 1].len() * 10 < open[0].len() * 7,
            "{} → {}",
            open[0].len(),
            open[COUNT - 1].len()
        );
        // More recorded each night; the same children every night.
        for table in ["contacts", "referrals"] {
            assert!(rows[COUNT - 1][table] > rows[0][table], "{table}");
        }
        assert!(rows.iter().all(|r| r["children"] >= 1000));
    }

    #[test]
    fn one_night_is_the_plain_generator_and_configs_name_the_pack_from_their_folder() {
        let o = opts(8, 200);
        let (plain, ..) = gen_in(&o, "plain");
        let nights = Scratch::new("nights");
        let written = generate_nights(&o, 1, Path::new("rules/annex-a.yaml"), &nights.0).unwrap();
        assert_eq!(written.len(), 1);
        let night = nights.0.join("2026-03-31");
        for name in TABLE_NAMES
            .iter()
            .map(|t| format!("{t}.csv"))
            .chain(["ground_truth.csv".into()])
        {
            assert_eq!(file(&plain, &name), fs::read(night.join(&name)).unwrap(), "{name}");
        }
        let config = fs::read_to_string(night.join("cleanse.yaml")).unwrap();
        assert!(config.contains("as_of: 2026-03-31\n"), "{config}");
        assert!(
            config.contains("    file: referrals.csv\n    encoding: auto"),
            "{config}"
        );
        assert!(generate_nights(&o, 0, Path::new("r.yaml"), &nights.0).is_err());
        assert!(generate_nights(&o, MAX_NIGHTS + 1, Path::new("r.yaml"), &nights.0).is_err());

        let from = |a: &str, b: &str| path_from(Path::new(a), Path::new(b)).unwrap();
        assert_eq!(
            from("/w/repo/fixtures/nights/2026-03-31", "/w/repo/rules/a.yaml"),
            "../../../rules/a.yaml"
        );
        assert_eq!(from("/w/repo/x/./y/../z", "/w/repo/rules/a.yaml"), "../../rules/a.yaml");
        assert_eq!(
            from("/tmp/out/2026-03-31", "/w/repo/rules/a.yaml"),
            "/w/repo/rules/a.yaml"
        );
        assert_eq!(yaml_text("../rules/annex-a.yaml"), "../rules/annex-a.yaml");
        assert_eq!(yaml_text("/my rules/a \"b\".yaml"), "\"/my rules/a \\\"b\\\".yaml\"");
    }

    #[test]
    fn without_planting_nothing_is_flagged() {
        let o = GenOptions {
            plant: false,
            ..opts(3, 1000)
        };
        let (dir, summary, truth) = gen_in(&o, "clean");
        assert_eq!(summary.planted, 0);
        // Still exported as the council's system does: a few dates in accepted alternative
        // forms, which the pack rewrites, and which the ground truth lists as changes.
        assert!(truth.iter().all(|t| t.kind == Kind::FixConDates), "{truth:?}");
        assert!(truth.len() > 50, "{}", truth.len());
        assert!(check(&dir, as_of()).iter().all(|f| f.2 == "FIX-CON-DATES"));
        assert_truth_matches(&dir, &truth, as_of());
    }

    #[test]
    fn ground_truth_lines_start_records_holding_the_planted_values() {
        let (dir, _, truth) = gen_in(&opts(42, 1000), "lines");
        let sheets: HashMap<&str, Sheet> = TABLE_NAMES.iter().map(|&t| (t, Sheet::read(&dir, t))).collect();
        for t in &truth {
            let sheet = &sheets[TABLE_NAMES[t.table]];
            let record = sheet.at(t.line);
            match &t.check {
                Check::Value(col, value) => {
                    assert_eq!(&record[*col], value, "{t:?}");
                    if !t.column.is_empty() {
                        assert_eq!(COLUMNS[t.table][*col], t.column);
                    }
                }
                Check::SameAs(line) => {
                    assert!(line < &t.line && sheet.at(*line) == record, "{t:?}")
                }
                Check::KeyOf(line) => {
                    let first = sheet.at(*line);
                    assert!(line < &t.line && first != record && first[0] == record[0], "{t:?}");
                }
                Check::Ragged => assert_eq!(record.len(), sheet.header.len() + 1, "{t:?}"),
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
        let count = |k: Kind| truth.iter().filter(|t| t.kind == k).count();
        for form in ALT_FORMS {
            let n = truth
                .iter()
                .filter(|t| t.kind == Kind::ConAltDate)
                .filter(|t| match &t.check {
                    Check::Value(_, v) => match form {
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
        assert!(count(Kind::RefCountForm) >= 3);
        assert_eq!(count(Kind::AssMultilineTeam), 1);
        assert_eq!(count(Kind::ConLeapDay), 2);
        // Each CPP-009 plant is two consecutive rows of one child, starting on different days.
        let overlaps: Vec<&Vec<String>> = truth
            .iter()
            .filter(|t| t.kind == Kind::Cpp009)
            .map(|t| sheets["cp_plans"].at(t.line))
            .collect();
        assert_eq!(overlaps.len(), 4);
        assert!(overlaps.chunks(2).all(|p| p[0][0] == p[1][0] && p[0][6] != p[1][6]));
        // Each CPP-010 plant is a child's later plan; each CON-009/CON-010 plant has other
        // contacts of the child to differ from, all holding the same value.
        for (kind, table, col) in [
            (Kind::Cpp010, "cp_plans", 6),
            (Kind::Con009, "contacts", 3),
            (Kind::Con010, "contacts", 1),
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
                if kind == Kind::Cpp010 {
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

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let names = [
            "children.csv",
            "contacts.csv",
            "referrals.csv",
            "assessments.csv",
            "cp_plans.csv",
            "ground_truth.csv",
        ];
        let (a, ..) = gen_in(&opts(11, 400), "det-a");
        let (b, ..) = gen_in(&opts(11, 400), "det-b");
        let (c, ..) = gen_in(&opts(12, 400), "det-c");
        for name in names {
            assert_eq!(file(&a, name), file(&b, name), "{name}");
            assert_ne!(file(&a, name), file(&c, name), "{name}");
        }
    }

    #[test]
    fn a_table_does_not_depend_on_which_others_are_written() {
        let (all, ..) = gen_in(&opts(5, 500), "all");
        let o = GenOptions {
            tables: vec!["contacts".into()],
            ..opts(5, 500)
        };
        let (one, summary, truth) = gen_in(&o, "one");
        assert_eq!(file(&all, "contacts.csv"), file(&one, "contacts.csv"));
        assert_eq!(summary.rows.len(), 1);
        assert!(truth.iter().all(|t| t.table == CONTACTS));
        assert!(!one.0.join("children.csv").exists());
        let bad = GenOptions {
            tables: vec!["contact".into()],
            ..opts(5, 10)
        };
        assert_eq!(run(&bad, &one.0).unwrap_err().kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn counts_scale_with_children() {
        let (_a, small, _) = gen_in(&opts(21, 1000), "scale-a");
        let (_b, big, truth) = gen_in(&opts(21, 3000), "scale-b");
        assert_eq!(big.planted, 3 * small.planted);
        assert_eq!(truth.iter().filter(|t| t.kind == Kind::ConAltDate).count(), 60);
        for ((name, s), (_, b)) in small.rows.iter().zip(&big.rows) {
            let ratio = *b as f64 / *s as f64;
            assert!((2.6..3.4).contains(&ratio), "{name}: {s} → {b}");
        }
        let rows: HashMap<_, _> = small.rows.iter().cloned().collect();
        let per_child = |t: &str| rows[t] as f64 / 1000.0;
        assert!((2.7..3.3).contains(&per_child("contacts")));
        assert!((0.4..0.6).contains(&(per_child("referrals") / per_child("contacts"))));
        assert!((0.6..0.8).contains(&(per_child("assessments") / per_child("referrals"))));
        assert!((0.08..0.2).contains(&(per_child("cp_plans") / per_child("assessments"))));
    }

    #[test]
    fn exports_carry_their_quirks() {
        let (dir, summary, _) = gen_in(&opts(42, 1000), "quirks");
        let children = file(&dir, "children.csv");
        let contacts = file(&dir, "contacts.csv");
        let referrals = file(&dir, "referrals.csv");
        let assessments = file(&dir, "assessments.csv");
        let plans = file(&dir, "cp_plans.csv");
        // BOM only on contacts.
        assert!(contacts.starts_with(b"\xEF\xBB\xBFChild Unique ID,"));
        assert!(
            [&children, &referrals, &assessments, &plans]
                .iter()
                .all(|f| f.starts_with(b"Child") || f.starts_with(b"  CHILD"))
        );
        // LF-only files have no CR at all; CRLF files end every record with CRLF.
        for f in [&children, &contacts, &plans] {
            assert!(!f.contains(&b'\r'));
        }
        let lf = |f: &[u8]| f.iter().filter(|&&b| b == b'\n').count();
        let crlf = |f: &[u8]| f.windows(2).filter(|w| w == b"\r\n").count();
        let rows: HashMap<_, _> = summary.rows.iter().cloned().collect();
        assert_eq!(crlf(&referrals), lf(&referrals));
        assert_eq!(crlf(&referrals), rows["referrals"] + 1);
        assert_eq!(crlf(&assessments), rows["assessments"] + 1);
        assert_eq!(lf(&assessments), rows["assessments"] + 2, "one embedded newline");
        assert!(String::from_utf8_lossy(&assessments).contains("\"Northfield Assessment\nTeam 2\""));
        // Windows-1252: é and ë as single bytes, so not UTF-8; the extra LA Code column.
        assert!(std::str::from_utf8(&referrals).is_err());
        assert!(referrals.contains(&0xE9) && referrals.contains(&0xEB));
        let (text, _, errors) = encoding_rs::WINDOWS_1252.decode(&referrals);
        assert!(!errors && text.contains("Chloé Martin") && !text.contains("&#"));
        assert!(text.starts_with("Child Unique ID,") && text.lines().next().unwrap().ends_with(",LA Code"));
        assert!(text.lines().skip(1).take(50).all(|l| l.ends_with(",NFD")));
        // Names outside Windows-1252 live in the UTF-8 children file.
        assert!(String::from_utf8(children.clone()).unwrap().contains("Łukasz"));
        // CP plan headers are messy but normalise to the pack's.
        let pack = pack();
        let sheet = Sheet::read(&dir, "cp_plans");
        let want: Vec<String> = pack.tables["cp_plans"].1.iter().map(|c| normalise(&c.header)).collect();
        let got: Vec<String> = sheet.header.iter().map(|h| normalise(h)).collect();
        assert_eq!(got, want);
        assert!(
            sheet
                .header
                .iter()
                .zip(&pack.tables["cp_plans"].1)
                .filter(|(h, c)| **h != c.header)
                .count()
                >= 10
        );
        // Quoting: the team with a comma.
        assert!(String::from_utf8_lossy(&plans).contains(",\"Northfield Safeguarding, Court and Review Team\","));
    }

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
        for kind in Kind::ALL {
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
    fn values_are_fictional_and_well_formed() {
        let (dir, _, truth) = gen_in(&opts(42, 1000), "values");
        let sheet = Sheet::read(&dir, "children");
        let planted: HashSet<usize> = truth.iter().filter(|t| t.table == CHILDREN).map(|t| t.line).collect();
        for (line, row) in sheet.rows.iter().filter(|(l, _)| !planted.contains(l)) {
            assert!(row[0].len() == 8 && row[0].starts_with("NF"), "{line}: {row:?}");
            let nhs: Vec<u32> = row[7].chars().filter_map(|c| c.to_digit(10)).collect();
            assert_eq!(&nhs[..3], &[9, 9, 9]);
            let sum: u32 = nhs[..9].iter().enumerate().map(|(i, d)| d * (10 - i as u32)).sum();
            assert_eq!((11 - sum % 11) % 11, nhs[9], "{line}: {row:?}");
            assert!(row[6].starts_with("NF") && postcode_ok(&row[6]));
            let dob = parse_date(&row[3]).unwrap().unwrap();
            assert!((0..=17).contains(&age_at(dob, as_of())), "{line}: {row:?}");
        }
        let ids: HashSet<&String> = sheet.rows.iter().map(|(_, r)| &r[0]).collect();
        assert_eq!(ids.len(), 1000);
        // A few percent of dates and integers in the accepted alternative forms.
        let contacts = Sheet::read(&dir, "contacts");
        let alt = contacts
            .rows
            .iter()
            .filter(|(_, r)| !(r[5].len() == 10 && r[5].as_bytes()[2] == b'/'))
            .count();
        let share = alt as f64 / contacts.rows.len() as f64;
        assert!((0.01..0.05).contains(&share), "{share}");
        assert!(contacts.rows.iter().any(|(_, r)| r[4].ends_with(".0")));
    }

    #[test]
    fn cross_table_plants_are_near_misses_of_real_children() {
        let ctx = Ctx::new(&opts(42, 1000)).unwrap();
        assert!((0..1000).all(|i| ctx.id_index(u64::from(ctx.id_num(i))) == Some(i)));
        assert_eq!(ctx.id_index(u64::from(ctx.id_num(1000))), None);
        let (dir, _, truth) = gen_in(&opts(42, 1000), "cross");
        let sheets: HashMap<&str, Sheet> = TABLE_NAMES.iter().map(|&t| (t, Sheet::read(&dir, t))).collect();
        let uses = |id: &str| -> usize {
            sheets
                .values()
                .map(|s| s.rows.iter().filter(|(_, r)| r[0] == id).count())
                .sum()
        };
        let dob = |row: &[String]| parse_date(&row[3]).unwrap();
        for t in &truth {
            let row = sheets[TABLE_NAMES[t.table]].at(t.line);
            match t.kind {
                // One digit off a real child's id, with that child's details; used nowhere else.
                Kind::Ref006 => {
                    let id = &row[0];
                    let off_by_one =
                        |c: &str| c.len() == id.len() && c.bytes().zip(id.bytes()).filter(|(a, b)| a != b).count() == 1;
                    let near = sheets["children"]
                        .rows
                        .iter()
                        .any(|(_, c)| off_by_one(&c[0]) && dob(c) == dob(row));
                    assert!(near, "{t:?}: {id}");
                    assert_eq!(uses(id), 1, "{t:?}: {id}");
                }
                // A real child with no assessment.
                Kind::Cpp007 => {
                    let id = &row[0];
                    assert!(sheets["children"].rows.iter().any(|(_, c)| &c[0] == id), "{t:?}");
                    assert!(sheets["assessments"].rows.iter().all(|(_, a)| &a[0] != id), "{t:?}");
                }
                _ => {}
            }
        }
        let count = |k: Kind| truth.iter().filter(|t| t.kind == k).count();
        assert_eq!((count(Kind::Ref006), count(Kind::Cpp007)), (2, 2));
    }
}
