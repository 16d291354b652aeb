//! Synthetic person records with known duplicates, to test duplicate-person matching.
//!
//! Matching people across a council's records (Fellegi–Sunter scoring, blocking, comparisons of
//! names, dates of birth, postcodes and identifiers) can only be measured against a known truth,
//! and real children's records can never be used for it. This writes `people.csv`, an export of
//! person records as a case-management system holds them, and `people_truth.csv`, which says
//! which records are the same real person and what was changed on each copy.
//!
//! The population is built to make matching hard in the ways real data is:
//!
//! * children and young people aged 0–25, in households that share a surname (mostly) and a
//!   postcode; a third of households have 2–4 children, about 2% of children are twins (same
//!   date of birth, surname and postcode; different first names and identifiers). Siblings and
//!   twins are different people, never a true pair;
//! * names drawn from skewed frequency lists (a few very common surnames, a long tail made of
//!   English place-name parts), first names by sex, so term-frequency adjustment matters;
//! * NHS numbers (valid by the mod-11 check, from the `999` test range) missing on about a fifth
//!   of records; UPNs (valid DfE check letter, from the unassigned LA numbers 990–999) for
//!   children who have started school, missing on about two fifths; `NF` postcodes;
//! * about 12% of people have one or two more records, made by another team, each with 0–3
//!   [`VARIATIONS`] (typos, nicknames from `rules/nicknames.csv`, swapped names, a changed
//!   surname, a mistyped date of birth, a move, a missing identifier);
//! * about 2% of children also have a record made before birth (`Unborn`, `Baby`), with an
//!   expected date of birth near the real one and no identifiers.
//!
//! Output is a pure function of [`PeopleOptions`]. Records are written in the order of a hash
//! of their number, as real exports are not sorted by person, and never two records of one
//! person on adjacent lines. Nothing is held per record but a 24-byte slot: each household is
//! rebuilt from its own random streams when one of its records is written, so millions of
//! people need little memory.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::OnceLock;

use chrono::{Datelike, Months, NaiveDate};

use super::{DateForm, Day, GENDER, ID_STEP, POSTCODE_LETTERS, Rng, V, day, mix, nd, push_date, push_uint, render};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeopleOptions {
    /// Seed for the generator: the same options always give byte-identical files.
    pub seed: u64,
    /// Number of real people (records are about 14% more).
    pub people: usize,
    /// The extract date: every date of birth and update is on or before it.
    pub as_of: NaiveDate,
}

/// What [`generate_people`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeopleSummary {
    /// Data rows in `people.csv`.
    pub records: usize,
    /// Real people behind them.
    pub people: usize,
    /// Pairs of records that are the same person.
    pub true_pairs: u64,
}

/// What can be changed on a record that is not a person's first (canonical) one, as written in
/// the `variations` column of `people_truth.csv` (in this order). `exact` marks a copy with no
/// change beyond its id, source and update date.
pub const VARIATIONS: [&str; 19] = [
    "exact",
    "first_typo",
    "surname_typo",
    "nickname",
    "names_swapped",
    "middle_as_first",
    "surname_changed",
    "accents_dropped",
    "dob_day_month",
    "dob_digit",
    "dob_year",
    "moved",
    "no_nhs",
    "nhs_added",
    "no_upn",
    "no_postcode",
    "no_gender",
    "prebirth",
    "mother_surname",
];

const EXACT: u32 = 0;
const FIRST_TYPO: u32 = 1;
const SURNAME_TYPO: u32 = 2;
const NICKNAME: u32 = 3;
const NAMES_SWAPPED: u32 = 4;
const MIDDLE_AS_FIRST: u32 = 5;
const SURNAME_CHANGED: u32 = 6;
const ACCENTS_DROPPED: u32 = 7;
const DOB_DAY_MONTH: u32 = 8;
const DOB_DIGIT: u32 = 9;
const DOB_YEAR: u32 = 10;
const MOVED: u32 = 11;
const NO_NHS: u32 = 12;
const NHS_ADDED: u32 = 13;
const NO_UPN: u32 = 14;
const NO_POSTCODE: u32 = 15;
const NO_GENDER: u32 = 16;
const PREBIRTH: u32 = 17;
const MOTHER_SURNAME: u32 = 18;

/// How often each change is drawn for a duplicate (index = variation), where it applies.
const VARIATION_W: [u16; 17] = [0, 14, 12, 14, 3, 5, 7, 8, 5, 5, 4, 14, 10, 6, 8, 3, 4];
/// Changes that rewrite the same field exclude each other (bit sets of variations).
const CONFLICTS: [u32; 4] = [
    1 << FIRST_TYPO | 1 << NICKNAME | 1 << MIDDLE_AS_FIRST,
    1 << SURNAME_TYPO | 1 << SURNAME_CHANGED,
    1 << DOB_DAY_MONTH | 1 << DOB_DIGIT | 1 << DOB_YEAR,
    1 << MOVED | 1 << NO_POSTCODE,
];

const HEADER: &str = "Person ID,First Name,Middle Names,Surname,Date of Birth,Expected Date of Birth,Gender,\
Postcode,NHS Number,UPN,Source,Last Updated\n";
const TRUTH_HEADER: &str = "line,person_id,true_person,household,variations\n";

/// Write `people.csv` and `people_truth.csv` into `dir` (created if missing).
///
/// NHS numbers are unique for up to 1,000,000 people (the test range holds no more; people
/// beyond the millionth have none) and UPNs for up to 9,000,000.
pub fn generate_people(opts: &PeopleOptions, dir: &Path) -> io::Result<PeopleSummary> {
    let world = World::new(opts)?;
    fs::create_dir_all(dir)?;

    // Pass 1: how many records each person has, in generation order.
    let mut slots = Vec::with_capacity(opts.people + opts.people / 6);
    let mut true_pairs = 0u64;
    let (mut h, mut person) = (0u32, 0usize);
    while person < opts.people {
        let plan = world.plan(person, &mut world.household_rng(h));
        let mut within = 0u8;
        for child in 0..plan.size {
            let records = plan.copies[child].records();
            true_pairs += u64::from(records * (records - 1) / 2);
            for _ in 0..records {
                slots.push(Slot {
                    key: 0,
                    record: slots.len() as u32,
                    first_person: person as u32,
                    household: h,
                    within,
                    child: child as u8,
                });
                within += 1;
            }
        }
        person += plan.size;
        h += 1;
    }
    for s in &mut slots {
        s.key = mix(world.seed ^ mix(u64::from(s.record) ^ 0x5045_4F50_4C45));
    }
    slots.sort_unstable_by_key(|s| (s.key, s.record));
    separate(&mut slots);

    // Pass 2: rebuild each record's household and write the record.
    let ids = Ids::new(world.seed, slots.len());
    let mut csv = BufWriter::with_capacity(1 << 20, File::create(dir.join("people.csv"))?);
    let mut truth = BufWriter::with_capacity(1 << 18, File::create(dir.join("people_truth.csv"))?);
    csv.write_all(HEADER.as_bytes())?;
    truth.write_all(TRUTH_HEADER.as_bytes())?;
    let mut recs = Vec::with_capacity(32);
    let mut built = u32::MAX;
    let mut buf = Vec::with_capacity(256);
    for (i, s) in slots.iter().enumerate() {
        if s.household != built {
            world.household(s.household, s.first_person as usize, &mut recs);
            built = s.household;
        }
        let rec = &recs[usize::from(s.within)];
        let id = ids.num(s.record);
        buf.clear();
        world.write_record(&mut buf, id, rec);
        csv.write_all(&buf)?;

        buf.clear();
        push_uint(&mut buf, i as u64 + 2, 1);
        buf.push(b',');
        render(&mut buf, &V::Id(id));
        buf.push(b',');
        push_uint(&mut buf, u64::from(rec.person) + 1, 1);
        buf.push(b',');
        push_uint(&mut buf, u64::from(s.household) + 1, 1);
        buf.push(b',');
        push_variations(&mut buf, rec.variations);
        buf.push(b'\n');
        truth.write_all(&buf)?;
    }
    csv.flush()?;
    truth.flush()?;
    Ok(PeopleSummary {
        records: slots.len(),
        people: opts.people,
        true_pairs,
    })
}

fn push_variations(buf: &mut Vec<u8>, set: u32) {
    let mut first = true;
    for (i, name) in VARIATIONS.iter().enumerate() {
        if set & 1 << i != 0 {
            if !first {
                buf.push(b';');
            }
            buf.extend_from_slice(name.as_bytes());
            first = false;
        }
    }
}

/// One record's place in the output: enough to rebuild it, and the hash that orders it.
#[derive(Debug, Clone, Copy)]
struct Slot {
    key: u64,
    /// Number in generation order (gives the Person ID).
    record: u32,
    first_person: u32,
    household: u32,
    /// Index among the household's records.
    within: u8,
    child: u8,
}

impl Slot {
    fn person(&self) -> u32 {
        self.first_person + u32::from(self.child)
    }
}

/// Move records so no two of one person are on adjacent lines (a hash order leaves a few):
/// each is swapped with the nearest record after it (else before) that fits both places.
fn separate(slots: &mut [Slot]) {
    let clash = |slots: &[Slot], j: usize| {
        let p = slots[j].person();
        (j > 0 && slots[j - 1].person() == p) || slots.get(j + 1).is_some_and(|s| s.person() == p)
    };
    for i in 1..slots.len() {
        if slots[i].person() != slots[i - 1].person() {
            continue;
        }
        let found = (i + 1..slots.len()).chain((0..i - 1).rev()).find(|&j| {
            slots.swap(i, j);
            let ok = !clash(slots, i) && !clash(slots, j);
            slots.swap(i, j);
            ok
        });
        if let Some(j) = found {
            slots.swap(i, j);
        }
    }
}

/// Person IDs: `NF` + 6 digits (more when there are too many records), distinct, in no order
/// (the demo's scheme: base + (i·step + offset) mod range).
struct Ids {
    base: u64,
    range: u64,
    offset: u64,
}

impl Ids {
    fn new(seed: u64, records: usize) -> Self {
        let mut base = 100_000u64;
        while base * 9 < records as u64 * 2 {
            base *= 10;
        }
        Ids {
            base,
            range: base * 9,
            offset: mix(seed ^ 0x5045_4F50) % (base * 9),
        }
    }

    fn num(&self, record: u32) -> u32 {
        (self.base + (u64::from(record) * ID_STEP + self.offset) % self.range) as u32
    }
}

// ---------------------------------------------------------------------------------------------
// Identifiers

/// Is `s` a valid NHS number: ten digits (spaces allowed between), the last the mod-11 check
/// digit of the first nine?
pub(crate) fn nhs_number_valid(s: &str) -> bool {
    let mut digits = [0u32; 10];
    let mut n = 0;
    for b in s.bytes() {
        match b {
            b'0'..=b'9' if n < 10 => {
                digits[n] = u32::from(b - b'0');
                n += 1;
            }
            b' ' => {}
            _ => return false,
        }
    }
    n == 10 && nhs_check_digit(&digits[..9]) == Some(digits[9])
}

/// The mod-11 check digit of an NHS number's first nine digits (weights 10 down to 2), or
/// `None` where it would be 10 (such numbers are never issued).
fn nhs_check_digit(nine: &[u32]) -> Option<u32> {
    let sum: u32 = nine.iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
    Some((11 - sum % 11) % 11).filter(|&c| c < 10)
}

/// The DfE's check-letter alphabet (no I, O or S): value `v` is `UPN_LETTERS[v]`.
const UPN_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

/// The check letter of a UPN's last twelve characters: each character's value (a digit its own,
/// a temporary UPN's final letter its place in [`UPN_LETTERS`]) times its position in the UPN
/// (2 to 13), summed, mod 23, as a letter. `None` if a character is not allowed there.
pub(crate) fn upn_check_letter(body: &[u8]) -> Option<u8> {
    if body.len() != 12 {
        return None;
    }
    let mut sum = 0u32;
    for (i, &b) in body.iter().enumerate() {
        let value = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            _ if i == 11 => UPN_LETTERS.iter().position(|&l| l == b)? as u32,
            _ => return None,
        };
        sum += value * (i as u32 + 2);
    }
    Some(UPN_LETTERS[(sum % 23) as usize])
}

/// Is `s` a valid UPN: a check letter, eleven digits and a digit (or, for a temporary UPN, a
/// letter), the check letter right?
pub(crate) fn upn_valid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 13 && upn_check_letter(&b[1..]) == Some(b[0])
}

// ---------------------------------------------------------------------------------------------
// Names

/// Boys' first names, most common first (ONS top names of the last 25 years, and names common
/// in South Asian, Black African and Caribbean, Eastern European and Irish families).
#[rustfmt::skip]
const BOYS: &[&str] = &[
    "Muhammad", "Oliver", "Jack", "Harry", "George", "Noah", "Charlie", "Jacob", "Thomas", "Oscar", "Leo", "Alfie",
    "Joshua", "James", "William", "Freddie", "Arthur", "Archie", "Theo", "Henry", "Mohammed", "Joseph", "Daniel",
    "Samuel", "Ethan", "Lucas", "Isaac", "Max", "Logan", "Dylan", "Harrison", "Riley", "Finley", "Mason", "Adam",
    "Ryan", "Lewis", "Tyler", "Callum", "Connor", "Luke", "Liam", "Jayden", "Kai", "Reuben", "Teddy", "Tommy", "Ronnie",
    "Albie", "Louie", "Toby", "Jake", "Kyle", "Bradley", "Jamie", "Nathan", "Ben", "Aaron", "Matthew", "Benjamin",
    "Alexander", "Edward", "Sebastian", "Elijah", "Jude", "Zachary", "Luca", "Hugo", "Rory", "Reggie", "Frankie",
    "Bobby", "Harvey", "Jenson", "Ollie", "Ibrahim", "Yusuf", "Hamza", "Ali", "Omar", "Ahmed", "Zain", "Ayaan",
    "Rayyan", "Hassan", "Hussain", "Bilal", "Ismail", "Abdullah", "Zakariya", "Musa", "Ilyas", "Aryan", "Arjun",
    "Rohan", "Aarav", "Krish", "Vihaan", "Ishaan", "Kwame", "Kofi", "Oluwaseun", "Oluwatobi", "Chinedu", "Emmanuel",
    "Malachi", "Josiah", "Nathaniel", "Jermaine", "Tyrone", "Marcus", "Andre", "Abdirahman", "Abdullahi", "Jakub",
    "Kacper", "Szymon", "Filip", "Mateusz", "Aleksander", "Antoni", "Oliwier", "Andrei", "Alexandru", "David", "Stefan",
    "Lukas", "Matas", "Dominik", "Oisín", "Cian", "Conor", "Seán", "Patrick", "Darragh", "Ciaran", "Eoin", "Michael",
    "John", "Christopher", "Anthony", "Kieran", "Jordan", "Reece", "Rhys", "Owen", "Evan", "Ewan", "Elliot", "Jaxon",
    "Grayson", "Ezra", "Arlo", "Roman", "Otis", "Hudson", "Rowan", "Jesse", "Sonny", "Stanley", "Ralph", "Albert",
    "Alfred", "Frederick", "Theodore", "Tobias", "Felix", "Jonathan", "Peter", "Paul", "Mark", "Robert", "Richard",
    "Stephen", "Kevin", "Scott", "Shane", "Brandon", "Declan", "Tadhg", "Niall", "Cillian", "Fionn", "Rafael",
    "Gabriel", "Mustafa", "Idris", "Isa", "Zayn", "Łukasz", "José", "Tomás",
];

/// Girls' first names, most common first.
#[rustfmt::skip]
const GIRLS: &[&str] = &[
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Lily", "Sophia", "Grace", "Emily", "Isabella", "Ella", "Poppy", "Evie",
    "Freya", "Ivy", "Florence", "Chloe", "Jessica", "Sophie", "Ruby", "Charlotte", "Hannah", "Lucy", "Megan", "Ellie",
    "Daisy", "Millie", "Phoebe", "Holly", "Molly", "Amber", "Lauren", "Bethany", "Katie", "Rebecca", "Georgia",
    "Abigail", "Eleanor", "Alice", "Matilda", "Rosie", "Willow", "Sienna", "Elsie", "Maya", "Luna", "Harper", "Aria",
    "Layla", "Isabelle", "Leah", "Jasmine", "Paige", "Summer", "Lacey", "Scarlett", "Erin", "Niamh", "Aoife", "Orla",
    "Saoirse", "Ciara", "Róisín", "Siobhán", "Caoimhe", "Aisha", "Maryam", "Fatima", "Zara", "Zainab", "Amira", "Hafsa",
    "Khadija", "Inaya", "Anaya", "Aleena", "Ayesha", "Safa", "Noor", "Sana", "Aaliyah", "Hawa", "Halima", "Iman",
    "Simran", "Priya", "Harleen", "Jasleen", "Diya", "Saanvi", "Aanya", "Amara", "Adaeze", "Chioma", "Ngozi", "Abena",
    "Ama", "Blessing", "Precious", "Favour", "Tiana", "Shanice", "Nia", "Imani", "Zuri", "Destiny", "Oluwakemi",
    "Temitope", "Hodan", "Ayan", "Sagal", "Zuzanna", "Julia", "Maja", "Zofia", "Hanna", "Lena", "Oliwia", "Alicja",
    "Natalia", "Wiktoria", "Antonina", "Ioana", "Maria", "Andreea", "Elena", "Gabriela", "Emilija", "Victoria",
    "Elizabeth", "Katherine", "Catherine", "Margaret", "Sarah", "Emma", "Laura", "Amy", "Jade", "Danielle", "Natasha",
    "Stephanie", "Samantha", "Nicole", "Kayleigh", "Chelsea", "Courtney", "Demi", "Keira", "Shannon", "Caitlin",
    "Abbie", "Esme", "Thea", "Penelope", "Violet", "Iris", "Nancy", "Eliza", "Arabella", "Margot", "Beatrice",
    "Harriet", "Imogen", "Martha", "Mila", "Ada", "Hallie", "Evelyn", "Aurora", "Emilia", "Madison", "Alexandra",
    "Gabriella", "Francesca", "Lillian", "Zoë", "Siân", "Chloé", "Anaïs",
];

/// Middle names more common as middle names than as first names.
#[rustfmt::skip]
const BOY_MIDDLES: &[&str] = &[
    "James", "William", "John", "Thomas", "Edward", "George", "Michael", "Lee", "David", "Alexander", "Joseph",
    "Robert", "Henry", "Singh", "Ali", "Muhammad", "Jay", "Ray", "Peter", "Anthony", "Paul", "Mark", "Charles",
    "Junior", "Kwame", "Oluwaseun", "Patrick", "Jan",
];
#[rustfmt::skip]
const GIRL_MIDDLES: &[&str] = &[
    "Rose", "Grace", "Mae", "May", "Louise", "Elizabeth", "Marie", "Jane", "Anne", "Kaur", "Lily", "Ann", "Jade",
    "Victoria", "Hope", "Faith", "Ella", "Kate", "Maria", "Begum", "Olivia", "Amelia", "Fatima", "Leigh", "Joy", "Anna",
];

/// Surnames, most common first: common in England overall, and in a council with large
/// South Asian, Irish, Black African and Caribbean, and Eastern European communities.
#[rustfmt::skip]
const SURNAMES: &[&str] = &[
    "Smith", "Jones", "Khan", "Williams", "Taylor", "Brown", "Begum", "Davies", "Ali", "Wilson", "Evans", "Hussain",
    "Thomas", "Johnson", "Roberts", "Ahmed", "Walker", "Wright", "Robinson", "Thompson", "White", "Patel", "Hughes",
    "Edwards", "Green", "Hall", "Wood", "Harris", "Lewis", "Martin", "Jackson", "Clarke", "Clark", "Turner", "Hill",
    "Scott", "Cooper", "Morris", "Ward", "Moore", "King", "Watson", "Baker", "Harrison", "Morgan", "Kaur", "Singh",
    "Murphy", "Kelly", "Allen", "James", "Young", "Mitchell", "Phillips", "Parker", "Bennett", "Price", "Bibi", "Miah",
    "Rahman", "Islam", "Mahmood", "Iqbal", "Akhtar", "Shah", "Lee", "Campbell", "Anderson", "Cook", "Carter",
    "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Miller", "Cox", "Richards", "Marshall", "Simpson", "Ellis",
    "Adams", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Hunt", "Matthews", "Owen",
    "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell", "Barker", "Fisher", "Stevens",
    "Jenkins", "Murray", "Dixon", "Harvey", "Graham", "Pearson", "Fletcher", "Walsh", "Gibson", "Howard", "Andrews",
    "Stewart", "Elliott", "Reynolds", "Saunders", "Payne", "Fox", "Ford", "Pearce", "Day", "Brooks", "West", "Lawrence",
    "Cole", "Atkinson", "Bradley", "Spencer", "Gill", "Dawson", "Ball", "Burton", "O'Brien", "Watts", "Rose", "Booth",
    "Perry", "Ryan", "Grant", "Wells", "Armstrong", "Francis", "Rees", "Hayes", "Hart", "Hudson", "Newman", "Barrett",
    "Webster", "Hunter", "Gregory", "Carr", "Lowe", "Page", "Marsh", "Riley", "Dunn", "Woods", "Parsons", "Berry",
    "Stone", "Reid", "Holland", "Hawkins", "Hossain", "Uddin", "Hussein", "Mohammed", "Rehman", "Kumar", "Sharma",
    "Mistry", "Chauhan", "Parmar", "Sandhu", "Dhillon", "Sidhu", "Nowak", "Kowalski", "Wiśniewski", "Wójcik",
    "Kamiński", "Lewandowski", "Zieliński", "Kowalczyk", "Popescu", "Popa", "Ionescu", "Dumitru", "Kazlauskas",
    "Horváth", "Yilmaz", "Kaya", "Okafor", "Adeyemi", "Okonkwo", "Mensah", "Asante", "Boateng", "Owusu", "Osei",
    "Adebayo", "Ibrahim", "Mohamed", "Abdi", "Hassan", "Farah", "Warsame", "Nguyen", "Chen", "Wang", "Li", "Gordon",
    "Doyle", "Kennedy", "Lynch", "Quinn", "Gallagher", "Doherty", "Brennan", "Maguire", "Reilly", "O'Sullivan",
    "O'Connor", "McCarthy", "McDonagh", "Connors", "Maughan", "Stokes", "Joyce", "Boswell", "Lovell", "Byrne",
    "Nicholson", "Müller", "Ó Súilleabháin",
];

/// The long tail of surnames: English place-name parts, put together (Ashworth, Thornbury).
#[rustfmt::skip]
const TAIL_FIRST: &[&str] = &[
    "Ash", "Black", "Brad", "Brook", "Cran", "Dun", "Elm", "Fair", "Green", "Hart", "Hawk", "Hol", "Kings", "Lang",
    "Long", "Mar", "Mid", "Mill", "New", "North", "Oak", "Pen", "Rad", "Red", "Ring", "Rush", "Sand", "Shel", "South",
    "Stan", "Stock", "Thorn", "Wal", "West", "White", "Whit", "Win", "Wood", "Ather", "Bar", "Bel", "Bram", "Cal",
    "Dal", "Ever", "Ful", "Gar", "Had", "Hal", "Kel", "Lind", "Mor", "Nor", "Pres", "Roth", "Sher", "Til", "Up", "Wen",
    "Yard",
];
#[rustfmt::skip]
const TAIL_SECOND: &[&str] = &[
    "ton", "ley", "field", "worth", "ford", "well", "wood", "by", "ham", "more", "bridge", "cliffe", "dale", "hurst",
    "land", "stone", "wick", "brook", "cott", "shaw", "low", "don", "mere", "den", "combe", "thorpe", "ridge", "gate",
    "bury", "stead",
];
/// Share (per mille) of surnames from the tail.
const TAIL_PER_MILLE: u64 = 300;

/// The list of pairs of a formal first name and a short form, nickname or spelling variant.
pub(crate) const NICKNAMES: &str = include_str!("../../rules/nicknames.csv");

/// A weighted list: the `r`-th most common name has weight 1/(r + flat), so a few names are
/// common and many rare.
struct Weighted {
    names: &'static [&'static str],
    cumulative: Vec<u64>,
}

impl Weighted {
    fn new(names: &'static [&'static str], flat: u64) -> Self {
        let mut total = 0;
        let cumulative = (0..names.len() as u64)
            .map(|r| {
                total += 1_000_000_000 / (r + flat);
                total
            })
            .collect();
        Weighted { names, cumulative }
    }

    fn draw(&self, rng: &mut Rng) -> usize {
        let x = rng.below(*self.cumulative.last().expect("lists are not empty"));
        self.cumulative.partition_point(|&c| c <= x)
    }
}

/// The name lists, weighted, and each first name's alternatives from the nickname list.
struct Names {
    first: [Weighted; 2],
    middle: [Weighted; 2],
    surnames: Weighted,
    /// By sex and first-name index: the names it is paired with in `rules/nicknames.csv`.
    alternatives: [Vec<Vec<&'static str>>; 2],
}

fn names() -> &'static Names {
    static NAMES: OnceLock<Names> = OnceLock::new();
    NAMES.get_or_init(|| {
        let pairs: Vec<(&str, &str)> = NICKNAMES.lines().skip(1).filter_map(|l| l.split_once(',')).collect();
        let alternatives = |list: &[&str]| -> Vec<Vec<&'static str>> {
            list.iter()
                .map(|name| {
                    let mut folded = Text::EMPTY;
                    folded.push_folded(name);
                    let folded = folded.as_str();
                    let mut alts: Vec<&'static str> = pairs
                        .iter()
                        .filter_map(|&(a, b)| {
                            if a == folded {
                                Some(b)
                            } else if b == folded {
                                Some(a)
                            } else {
                                None
                            }
                        })
                        .collect();
                    alts.sort_unstable();
                    alts.dedup();
                    alts
                })
                .collect()
        };
        Names {
            first: [Weighted::new(BOYS, 15), Weighted::new(GIRLS, 15)],
            middle: [Weighted::new(BOY_MIDDLES, 4), Weighted::new(GIRL_MIDDLES, 4)],
            surnames: Weighted::new(SURNAMES, 10),
            alternatives: [alternatives(BOYS), alternatives(GIRLS)],
        }
    })
}

/// A name built in place (no heap): the longest, a hyphenated pair of long surnames with a
/// doubled letter, fits.
#[derive(Clone, Copy)]
struct Text {
    len: u8,
    bytes: [u8; 47],
}

impl Text {
    const EMPTY: Text = Text { len: 0, bytes: [0; 47] };

    fn of(s: &str) -> Text {
        let mut t = Text::EMPTY;
        t.push(s);
        t
    }

    fn push(&mut self, s: &str) {
        let (at, end) = (usize::from(self.len), usize::from(self.len) + s.len());
        self.bytes[at..end].copy_from_slice(s.as_bytes());
        self.len = end as u8;
    }

    /// Push `s` with accents folded to ASCII (Siân → Sian, Łukasz → Lukasz), as systems that
    /// only take ASCII record it.
    fn push_folded(&mut self, s: &str) {
        for c in s.chars() {
            let folded = match c {
                'á' | 'à' | 'â' | 'ä' | 'ą' | 'ă' => 'a',
                'é' | 'è' | 'ê' | 'ë' | 'ę' => 'e',
                'í' | 'ì' | 'î' | 'ï' => 'i',
                'ó' | 'ò' | 'ô' | 'ö' => 'o',
                'ú' | 'ù' | 'û' | 'ü' => 'u',
                'ł' => 'l',
                'ś' | 'ș' => 's',
                'ń' | 'ñ' => 'n',
                'ć' | 'ç' => 'c',
                'ż' | 'ź' => 'z',
                'Ł' => 'L',
                'Ó' => 'O',
                'Ś' => 'S',
                'Ż' => 'Z',
                c => c,
            };
            let mut utf8 = [0u8; 4];
            self.push(folded.encode_utf8(&mut utf8));
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).expect("edits keep names UTF-8")
    }

    fn is_ascii(&self) -> bool {
        self.bytes[..usize::from(self.len)].is_ascii()
    }

    fn folded(&self) -> Text {
        let mut t = Text::EMPTY;
        t.push_folded(self.as_str());
        t
    }

    /// One slip of the keyboard or ear: a letter substituted (Smith → Smyth), dropped, doubled
    /// or swapped with the next. Only lower-case ASCII letters after the first are touched, so
    /// the result stays a capitalised name; `false` if none could be made.
    fn typo(&mut self, rng: &mut Rng) -> bool {
        let len = usize::from(self.len);
        let letter = |b: u8| b.is_ascii_lowercase();
        for _ in 0..8 {
            if len < 3 {
                return false;
            }
            let i = 1 + rng.below(len as u64 - 1) as usize;
            if !letter(self.bytes[i]) {
                continue;
            }
            match rng.below(4) {
                0 => {
                    self.bytes[i] = similar_letter(self.bytes[i], rng);
                    return true;
                }
                1 if len > 3 => {
                    self.bytes.copy_within(i + 1..len, i);
                    self.len -= 1;
                    return true;
                }
                2 if len < self.bytes.len() => {
                    self.bytes.copy_within(i..len, i + 1);
                    self.len += 1;
                    return true;
                }
                3 if i + 1 < len && letter(self.bytes[i + 1]) && self.bytes[i] != self.bytes[i + 1] => {
                    self.bytes.swap(i, i + 1);
                    return true;
                }
                _ => {}
            }
        }
        false
    }
}

/// A letter heard or typed for `b`: another vowel for a vowel, a sound-alike or neighbouring
/// key for a consonant. Never `b` itself.
fn similar_letter(b: u8, rng: &mut Rng) -> u8 {
    let options: &[u8] = match b {
        b'a' => b"eiou",
        b'e' => b"aiy",
        b'i' => b"eyu",
        b'o' => b"aeu",
        b'u' => b"oie",
        b'y' => b"ie",
        b'b' => b"pv",
        b'c' => b"ksx",
        b'd' => b"tsf",
        b'f' => b"vpd",
        b'g' => b"jhk",
        b'h' => b"gj",
        b'j' => b"gh",
        b'k' => b"cl",
        b'l' => b"kr",
        b'm' => b"n",
        b'n' => b"m",
        b'p' => b"b",
        b'q' => b"k",
        b'r' => b"lt",
        b's' => b"zc",
        b't' => b"dr",
        b'v' => b"bf",
        b'w' => b"v",
        b'x' => b"z",
        b'z' => b"s",
        _ => b"e",
    };
    rng.pick(options)
}

// ---------------------------------------------------------------------------------------------
// The population

const SALT_HOUSEHOLD: u64 = 40;
const SALT_PERSON: u64 = 41;
const SALT_COPIES: u64 = 42;

/// Where records come from: (source, weight, youngest and oldest age at the extract date).
const SOURCES: [(&str, u16, i32, i32); 13] = [
    ("MASH", 30, 0, 25),
    ("Front Door", 22, 0, 25),
    ("EDT", 6, 0, 25),
    ("Police PPN", 8, 0, 25),
    ("Online portal", 4, 0, 25),
    ("Health visitor referral", 12, 0, 5),
    ("Early Help", 12, 0, 17),
    ("Family Hub", 6, 0, 10),
    ("Education Welfare", 6, 5, 17),
    ("School nurse", 3, 5, 17),
    ("Children with Disabilities Team", 4, 0, 19),
    ("Youth Justice Service", 5, 10, 21),
    ("Leaving Care Team", 8, 16, 25),
];
/// Records migrated from the last system (`Migration <year>`), for people born by then.
const MIGRATION: u8 = SOURCES.len() as u8;
const MIGRATION_W: u16 = 12;
/// Sources of records made before birth.
const PREBIRTH_SOURCES: [(&str, u16); 4] = [
    ("Midwifery referral", 45),
    ("MASH", 25),
    ("Pre-birth assessment", 15),
    ("Front Door", 15),
];
const PREBIRTH_NAMES: [&str; 3] = ["Unborn", "Baby", "Unborn Baby"];
const PREBIRTH_NAMES_W: [u16; 3] = [50, 35, 15];

/// Household sizes 1–4: 36% of households have more than one child.
const HOUSEHOLD_W: [u16; 4] = [640, 220, 100, 40];
/// Chance in a thousand that a household of two or more has twins (≈2% of children).
const TWINS_PER_MILLE: u64 = 43;
/// Extra records per person: none, one, two (≈12% have at least one).
const DUPS_W: [u16; 3] = [880, 102, 18];
/// Chance in a thousand of a pre-birth record, for children under 16 (≈2% of everyone).
const PREBIRTH_PER_MILLE: u64 = 26;
/// How many changes a duplicate has: 0 (exact), 1, 2, 3.
const CHANGES_W: [u16; 4] = [150, 480, 290, 80];

/// The NHS test range: `999` and six digits, then the check digit.
const NHS_BASES: u64 = 1_000_000;
/// UPN establishment number (1000–9999) and serial (000–999), one combination per person.
const UPN_SLOTS: u64 = 9_000_000;

#[derive(Clone, Copy, PartialEq, Eq)]
struct Postcode {
    district: u8,
    sector: u8,
    unit: [u8; 2],
}

impl Postcode {
    fn random(rng: &mut Rng) -> Self {
        Postcode {
            district: 1 + rng.below(20) as u8,
            sector: rng.below(10) as u8,
            unit: [rng.pick(POSTCODE_LETTERS), rng.pick(POSTCODE_LETTERS)],
        }
    }

    /// A new address: in the same sector, the same district, or anywhere in the area.
    fn moved(self, rng: &mut Rng) -> Self {
        loop {
            let mut p = Postcode::random(rng);
            match rng.below(10) {
                0..4 => (p.district, p.sector) = (self.district, self.sector),
                4..7 => p.district = self.district,
                _ => {}
            }
            if p != self {
                return p;
            }
        }
    }

    fn push(self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(b"NF");
        push_uint(buf, u64::from(self.district), 1);
        buf.push(b' ');
        buf.push(b'0' + self.sector);
        buf.extend_from_slice(&self.unit);
    }
}

/// One real person, as their first record has them.
struct Person {
    index: u32,
    sex: usize,
    first: usize,
    first_name: Text,
    middle: Text,
    /// The first middle name's length in `middle` (what a record uses as a first name).
    middle_first: u8,
    surname: Text,
    dob: Day,
    postcode: Postcode,
    nhs: Option<[u8; 10]>,
    upn: Option<[u8; 13]>,
}

/// One record, ready to write.
#[derive(Clone, Copy)]
struct Rec {
    person: u32,
    first: Text,
    middle: Text,
    surname: Text,
    dob: Option<Day>,
    edd: Option<Day>,
    /// Index into the code list's [`GENDER`] values.
    gender: Option<u8>,
    postcode: Option<Postcode>,
    nhs: Option<[u8; 10]>,
    nhs_spaced: bool,
    upn: Option<[u8; 13]>,
    source: u8,
    /// For pre-birth records, `source` indexes [`PREBIRTH_SOURCES`].
    prebirth: bool,
    updated: Day,
    variations: u32,
}

/// What pass 1 needs of a household: its size and how many records each child has.
struct Plan {
    size: usize,
    twin: Option<usize>,
    dobs: [Day; 4],
    copies: [Copies; 4],
}

#[derive(Clone, Copy, Default)]
struct Copies {
    dups: u8,
    prebirth: bool,
}

impl Copies {
    fn records(self) -> u32 {
        1 + u32::from(self.dups) + u32::from(self.prebirth)
    }
}

struct World {
    seed: u64,
    people: usize,
    as_of: Day,
    /// Oldest date of birth (25 at the extract date) and the first day of 18-year-olds.
    dob_min: Day,
    adult: Day,
    sixteen: Day,
    /// When the last system's records were migrated (1 April, seven years before).
    migration: Day,
    migration_label: String,
    nhs_offset: u64,
    upn_offset: u64,
    names: &'static Names,
}

impl World {
    fn new(opts: &PeopleOptions) -> io::Result<Self> {
        if !(1950..=9000).contains(&opts.as_of.year()) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "as_of must be 1950–9000"));
        }
        if opts.people > u32::MAX as usize / 4 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "too many people"));
        }
        let years_ago = |n: u32| day(opts.as_of - Months::new(12 * n));
        let migration_year = opts.as_of.year() - 7;
        Ok(World {
            seed: opts.seed,
            people: opts.people,
            as_of: day(opts.as_of),
            dob_min: years_ago(26) + 1,
            adult: years_ago(18),
            sixteen: years_ago(16),
            migration: day(NaiveDate::from_ymd_opt(migration_year, 4, 1).expect("a date")),
            migration_label: format!("Migration {migration_year}"),
            nhs_offset: mix(opts.seed ^ 0x004E_4853) % NHS_BASES,
            upn_offset: mix(opts.seed ^ 0x0055_504E) % UPN_SLOTS,
            names: names(),
        })
    }

    fn household_rng(&self, h: u32) -> Rng {
        Rng::stream(self.seed, u64::from(h), SALT_HOUSEHOLD)
    }

    /// Draw a household's size (no more than the people left), twins and dates of birth,
    /// and each child's extra records: the first draws of its streams, so pass 1 is cheap.
    fn plan(&self, first_person: usize, rng: &mut Rng) -> Plan {
        let size = (1 + rng.weighted(&HOUSEHOLD_W)).min(self.people - first_person);
        let twin = (size > 1 && rng.chance(TWINS_PER_MILLE)).then(|| rng.below(size as u64 - 1) as usize);
        let births = size - usize::from(twin.is_some());
        // The first-born's age: 85% under 18. Each later birth 10 months to 4 years after the
        // one before, or before the eldest where that runs past the extract date.
        let mut dobs = [0; 4];
        dobs[0] = if rng.chance(850) {
            self.adult + 1 + rng.days(self.as_of - 1 - self.adult)
        } else {
            self.dob_min + rng.days(self.adult - self.dob_min + 1)
        };
        let (mut eldest, mut youngest) = (dobs[0], dobs[0]);
        for dob in &mut dobs[1..births] {
            // Three gaps span at most 4,500 days, so one side always has room in 26 years.
            let gap = 300 + rng.days(1200);
            *dob = if youngest + gap < self.as_of {
                youngest += gap;
                youngest
            } else {
                eldest -= gap;
                eldest
            };
        }
        dobs[..births].sort_unstable();
        if let Some(t) = twin {
            dobs.copy_within(t + 1..births, t + 2);
            dobs[t + 1] = dobs[t];
        }
        let mut copies = [Copies::default(); 4];
        for (c, copy) in copies.iter_mut().enumerate().take(size) {
            *copy = self.copies(first_person + c, dobs[c]).0;
        }
        Plan {
            size,
            twin,
            dobs,
            copies,
        }
    }

    /// Person `index`'s extra records: the first draws of its stream, which goes on to shape them.
    fn copies(&self, index: usize, dob: Day) -> (Copies, Rng) {
        let mut r = Rng::stream(self.seed, index as u64, SALT_COPIES);
        let dups = r.weighted(&DUPS_W) as u8;
        let prebirth = dob > self.sixteen && r.chance(PREBIRTH_PER_MILLE);
        (Copies { dups, prebirth }, r)
    }

    fn surname(&self, rng: &mut Rng) -> Text {
        if rng.chance(TAIL_PER_MILLE) {
            let mut t = Text::of(rng.pick(TAIL_FIRST));
            t.push(rng.pick(TAIL_SECOND));
            t
        } else {
            Text::of(SURNAMES[self.names.surnames.draw(rng)])
        }
    }

    /// A surname other than `not`.
    fn other_surname(&self, rng: &mut Rng, not: &Text) -> Text {
        loop {
            let s = self.surname(rng);
            if s.as_str() != not.as_str() {
                return s;
            }
        }
    }

    /// Household `h`'s records, in generation order: for each child, the first record, its
    /// duplicates and any pre-birth record.
    fn household(&self, h: u32, first_person: usize, out: &mut Vec<Rec>) {
        out.clear();
        let mut rng = self.household_rng(h);
        let plan = self.plan(first_person, &mut rng);
        let mut surname = self.surname(&mut rng);
        if rng.chance(30) {
            let second = self.other_surname(&mut rng, &surname);
            surname.push("-");
            surname.push(second.as_str());
        }
        let postcode = Postcode::random(&mut rng);
        let mut taken = [(usize::MAX, usize::MAX); 4];
        for c in 0..plan.size {
            let index = first_person + c;
            let mut r = Rng::stream(self.seed, index as u64, SALT_PERSON);
            let sex = usize::from(!r.chance(512));
            let first = loop {
                let f = self.names.first[sex].draw(&mut r);
                if !taken.contains(&(sex, f)) {
                    break f;
                }
            };
            taken[c] = (sex, first);
            let twin = plan.twin.is_some_and(|t| c == t || c == t + 1);
            let own_surname = if !twin && r.chance(120) {
                self.other_surname(&mut r, &surname)
            } else {
                surname
            };
            let first_name = Text::of(self.names.first[sex].names[first]);
            let (middle, middle_first) = self.middle(&mut r, sex, &first_name);
            let person = Person {
                index: index as u32,
                sex,
                first,
                first_name,
                middle,
                middle_first,
                surname: own_surname,
                dob: plan.dobs[c],
                postcode,
                nhs: self.nhs(index),
                upn: self.upn(index, plan.dobs[c], &mut r),
            };
            let canonical = self.canonical(&person, &mut r);
            out.push(canonical);
            let (copies, mut r) = self.copies(index, person.dob);
            for _ in 0..copies.dups {
                let dup = self.duplicate(&person, &canonical, &mut r);
                out.push(dup);
            }
            if copies.prebirth {
                let pre = self.prebirth(&person, &canonical, &mut r);
                out.push(pre);
            }
        }
    }

    /// ≈30% have a middle name (an eighth of them two), never their first name.
    fn middle(&self, r: &mut Rng, sex: usize, first: &Text) -> (Text, u8) {
        let mut middle = Text::EMPTY;
        if !r.chance(300) {
            return (middle, 0);
        }
        let draw = |r: &mut Rng| loop {
            let name = if r.chance(500) {
                self.names.middle[sex].names[self.names.middle[sex].draw(r)]
            } else {
                self.names.first[sex].names[self.names.first[sex].draw(r)]
            };
            if name != first.as_str() {
                return name;
            }
        };
        let one = draw(r);
        middle.push(one);
        if r.chance(120) {
            let two = draw(r);
            if two != one {
                middle.push(" ");
                middle.push(two);
            }
        }
        (middle, one.len() as u8)
    }

    /// Person `index`'s NHS number: `999`, six digits no one else has, the check digit. A
    /// twelfth of six-digit runs have no valid check digit: those people have no number.
    fn nhs(&self, index: usize) -> Option<[u8; 10]> {
        if index as u64 >= NHS_BASES {
            return None;
        }
        let base = (index as u64 * ID_STEP + self.nhs_offset) % NHS_BASES;
        let mut digits = [9u32; 10];
        for (i, d) in digits[3..9].iter_mut().enumerate() {
            *d = (base / 10u64.pow(5 - i as u32) % 10) as u32;
        }
        digits[9] = nhs_check_digit(&digits[..9])?;
        let nhs = digits.map(|d| b'0' + d as u8);
        debug_assert!(nhs_number_valid(std::str::from_utf8(&nhs).expect("digits")));
        Some(nhs)
    }

    /// A UPN for a child who has started school (reception, the September after turning four;
    /// a few joined later from abroad); 1 in 20 have none (independent school, home education).
    /// The LA number is mostly the council's own; a few started school elsewhere. 1% are
    /// temporary UPNs, ending in a letter.
    fn upn(&self, index: usize, dob: Day, r: &mut Rng) -> Option<[u8; 13]> {
        let born = nd(dob);
        let mut year = born.year() + 4 + i32::from(born.month() >= 9);
        if r.chance(80) {
            year += 1 + r.below(6) as i32;
        }
        let started = day(NaiveDate::from_ymd_opt(year, 9, 1).expect("a date"));
        if started > self.as_of || r.chance(50) {
            return None;
        }
        let la = if r.chance(800) { 999 } else { 990 + r.below(9) };
        let slot = (index as u64 * ID_STEP + self.upn_offset) % UPN_SLOTS;
        let body = ((la * 10_000 + 1000 + slot / 1000) * 100 + year as u64 % 100) * 1000 + slot % 1000;
        let mut upn = [b'0'; 13];
        for (i, b) in upn[1..].iter_mut().enumerate() {
            *b = b'0' + (body / 10u64.pow(11 - i as u32) % 10) as u8;
        }
        if r.chance(10) {
            upn[12] = UPN_LETTERS[usize::from(upn[12] - b'0')];
        }
        upn[0] = upn_check_letter(&upn[1..]).expect("digits and an allowed letter");
        debug_assert!(upn_valid(std::str::from_utf8(&upn).expect("ASCII")));
        Some(upn)
    }

    /// A source other than `not` that could hold a record of someone born on `dob`.
    fn source(&self, dob: Day, not: Option<u8>, r: &mut Rng) -> u8 {
        let age = super::age_years(dob, self.as_of) as i32;
        let mut weights = [0u16; SOURCES.len() + 1];
        for (w, &(_, weight, lo, hi)) in weights.iter_mut().zip(&SOURCES) {
            *w = if (lo..=hi).contains(&age) { weight } else { 0 };
        }
        weights[usize::from(MIGRATION)] = if dob <= self.migration { MIGRATION_W } else { 0 };
        if let Some(not) = not {
            weights[usize::from(not)] = 0;
        }
        r.weighted(&weights) as u8
    }

    /// When a record from `source` was last updated: on or after the birth (and after the
    /// migration, for migrated records, half of them never touched since), within seven years.
    fn updated(&self, dob: Day, source: u8, r: &mut Rng) -> Day {
        if source == MIGRATION {
            if r.chance(500) {
                return self.migration;
            }
            return self.migration + r.days(self.as_of - self.migration + 1);
        }
        let from = dob.max(self.as_of - 2557);
        from + r.days(self.as_of - from + 1)
    }

    fn canonical(&self, p: &Person, r: &mut Rng) -> Rec {
        let source = self.source(p.dob, None, r);
        let gender = match r.below(1000) {
            0..15 => None,
            15..19 => Some(2),
            _ => Some(p.sex as u8),
        };
        Rec {
            person: p.index,
            first: p.first_name,
            middle: p.middle,
            surname: p.surname,
            dob: Some(p.dob),
            edd: None,
            gender,
            postcode: (!r.chance(25)).then_some(p.postcode),
            nhs: p.nhs.filter(|_| !r.chance(100)),
            nhs_spaced: r.chance(700),
            upn: p.upn.filter(|_| r.chance(650)),
            source,
            prebirth: false,
            updated: self.updated(p.dob, source, r),
            variations: 0,
        }
    }

    /// Another team's record of the same person, with 0–3 changes.
    fn duplicate(&self, p: &Person, canonical: &Rec, r: &mut Rng) -> Rec {
        let source = self.source(p.dob, Some(canonical.source), r);
        let mut rec = Rec {
            nhs_spaced: r.chance(700),
            source,
            updated: self.updated(p.dob, source, r),
            variations: 0,
            ..*canonical
        };
        let alternatives = &self.names.alternatives[p.sex][p.first];
        let applies = |v: u32| match v {
            FIRST_TYPO => p.first_name.len >= 3,
            SURNAME_TYPO => p.surname.len >= 3,
            NICKNAME => !alternatives.is_empty(),
            MIDDLE_AS_FIRST => p.middle_first > 0,
            ACCENTS_DROPPED => !p.first_name.is_ascii() || !p.surname.is_ascii() || !p.middle.is_ascii(),
            DOB_DAY_MONTH => {
                let d = nd(p.dob);
                d.day() <= 12 && d.day() != d.month() && swap_day_month(p.dob).is_some_and(|s| s <= self.as_of)
            }
            MOVED | NO_POSTCODE => canonical.postcode.is_some(),
            NO_NHS => canonical.nhs.is_some(),
            NHS_ADDED => canonical.nhs.is_none() && p.nhs.is_some(),
            NO_UPN => canonical.upn.is_some(),
            NO_GENDER => canonical.gender.is_some(),
            _ => true,
        };
        let changes = r.weighted(&CHANGES_W);
        let mut chosen = 0u32;
        let mut blocked = 0u32;
        for _ in 0..changes {
            let mut weights = VARIATION_W;
            for (v, w) in weights.iter_mut().enumerate() {
                if blocked & 1 << v != 0 || !applies(v as u32) {
                    *w = 0;
                }
            }
            if weights.iter().all(|&w| w == 0) {
                break;
            }
            let v = r.weighted(&weights) as u32;
            chosen |= 1 << v;
            blocked |= 1 << v;
            for group in CONFLICTS {
                if group & 1 << v != 0 {
                    blocked |= group;
                }
            }
        }
        // Whole-name changes first, then accents and slips within names, then moves of names.
        let mut done = 0u32;
        for v in [
            NICKNAME,
            MIDDLE_AS_FIRST,
            SURNAME_CHANGED,
            ACCENTS_DROPPED,
            FIRST_TYPO,
            SURNAME_TYPO,
            NAMES_SWAPPED,
            DOB_DAY_MONTH,
            DOB_DIGIT,
            DOB_YEAR,
            MOVED,
            NO_NHS,
            NHS_ADDED,
            NO_UPN,
            NO_POSTCODE,
            NO_GENDER,
        ] {
            if chosen & 1 << v != 0 && self.apply(v, p, &mut rec, r) {
                done |= 1 << v;
            }
        }
        rec.variations = if done == 0 { 1 << EXACT } else { done };
        rec
    }

    /// Make change `v` on a duplicate; `false` if it could not be made here.
    fn apply(&self, v: u32, p: &Person, rec: &mut Rec, r: &mut Rng) -> bool {
        match v {
            NICKNAME => {
                rec.first = Text::of(r.pick(&self.names.alternatives[p.sex][p.first]));
                true
            }
            MIDDLE_AS_FIRST => {
                let first = &p.middle.as_str()[..usize::from(p.middle_first)];
                rec.first = Text::of(first);
                rec.middle = if r.chance(500) { p.first_name } else { Text::EMPTY };
                true
            }
            SURNAME_CHANGED => {
                let s = p.surname.as_str();
                rec.surname = match s.split_once('-') {
                    // A double-barrelled name shortened to one half.
                    Some((a, b)) => Text::of(if r.chance(500) { a } else { b }),
                    // A parent's other surname, alone or added.
                    None => {
                        let other = self.other_surname(r, &p.surname);
                        match r.below(3) {
                            0 => other,
                            1 => {
                                let mut t = p.surname;
                                t.push("-");
                                t.push(other.as_str());
                                t
                            }
                            _ => {
                                let mut t = other;
                                t.push("-");
                                t.push(s);
                                t
                            }
                        }
                    }
                };
                true
            }
            ACCENTS_DROPPED => {
                rec.first = rec.first.folded();
                rec.middle = rec.middle.folded();
                rec.surname = rec.surname.folded();
                true
            }
            FIRST_TYPO => rec.first.typo(r),
            SURNAME_TYPO => rec.surname.typo(r),
            NAMES_SWAPPED => {
                std::mem::swap(&mut rec.first, &mut rec.surname);
                true
            }
            DOB_DAY_MONTH => {
                rec.dob = swap_day_month(p.dob);
                true
            }
            DOB_DIGIT => {
                rec.dob = self.mistyped_digit(p.dob, r);
                rec.dob != Some(p.dob)
            }
            DOB_YEAR => {
                let d = nd(p.dob);
                let sign = if r.chance(500) { 1 } else { -1 };
                let year = [d.year() + sign, d.year() - sign]
                    .into_iter()
                    .filter_map(|y| d.with_year(y).map(day))
                    .find(|&y| y <= self.as_of);
                rec.dob = year.or(rec.dob);
                year.is_some()
            }
            MOVED => {
                rec.postcode = Some(p.postcode.moved(r));
                true
            }
            NO_NHS => {
                rec.nhs = None;
                true
            }
            NHS_ADDED => {
                rec.nhs = p.nhs;
                true
            }
            NO_UPN => {
                rec.upn = None;
                true
            }
            NO_POSTCODE => {
                rec.postcode = None;
                true
            }
            NO_GENDER => {
                rec.gender = None;
                true
            }
            _ => unreachable!("variation {v} is not drawn for duplicates"),
        }
    }

    /// The date of birth with one digit of dd/mm/yy mistyped, still a date and not in the future.
    fn mistyped_digit(&self, dob: Day, r: &mut Rng) -> Option<Day> {
        let d = nd(dob);
        for _ in 0..16 {
            let (mut dd, mut mm, mut yy) = (d.day() as i32, d.month() as i32, d.year());
            let digit = 1 + r.below(9) as i32;
            match r.below(6) {
                0 => dd = dd % 10 + (dd / 10 + digit) % 4 * 10,
                1 => dd = dd / 10 * 10 + (dd % 10 + digit) % 10,
                2 => mm = mm % 10 + (mm / 10 + digit) % 2 * 10,
                3 => mm = mm / 10 * 10 + (mm % 10 + digit) % 10,
                4 => yy = yy / 100 * 100 + (yy % 100 / 10 + digit) % 10 * 10 + yy % 10,
                _ => yy = yy / 10 * 10 + (yy % 10 + digit) % 10,
            }
            let typo = NaiveDate::from_ymd_opt(yy, mm as u32, dd as u32).map(day);
            if let Some(t) = typo.filter(|&t| t != dob && t <= self.as_of) {
                return Some(t);
            }
        }
        Some(dob)
    }

    /// The record made before birth: `Unborn` or `Baby`, the expected date within three weeks
    /// of the birth, no identifiers or gender yet; now and then under the mother's surname.
    fn prebirth(&self, p: &Person, canonical: &Rec, r: &mut Rng) -> Rec {
        let mother = r.chance(200);
        let source = r.weighted(&PREBIRTH_SOURCES.map(|(_, w)| w)) as u8;
        Rec {
            person: p.index,
            first: Text::of(PREBIRTH_NAMES[r.weighted(&PREBIRTH_NAMES_W)]),
            middle: Text::EMPTY,
            surname: if mother {
                self.other_surname(r, &p.surname)
            } else {
                p.surname
            },
            dob: None,
            edd: Some(p.dob - 21 + r.days(43)),
            gender: None,
            postcode: Some(p.postcode),
            nhs: None,
            nhs_spaced: canonical.nhs_spaced,
            upn: None,
            source,
            prebirth: true,
            updated: p.dob - 7 - r.days(170),
            variations: 1 << PREBIRTH | u32::from(mother) << MOTHER_SURNAME,
        }
    }

    fn write_record(&self, buf: &mut Vec<u8>, id: u32, rec: &Rec) {
        render(buf, &V::Id(id));
        buf.push(b',');
        buf.extend_from_slice(rec.first.as_str().as_bytes());
        buf.push(b',');
        buf.extend_from_slice(rec.middle.as_str().as_bytes());
        buf.push(b',');
        buf.extend_from_slice(rec.surname.as_str().as_bytes());
        buf.push(b',');
        if let Some(d) = rec.dob {
            push_date(buf, d, DateForm::Dmy);
        }
        buf.push(b',');
        if let Some(d) = rec.edd {
            push_date(buf, d, DateForm::Dmy);
        }
        buf.push(b',');
        if let Some(g) = rec.gender {
            buf.extend_from_slice(GENDER[usize::from(g)].as_bytes());
        }
        buf.push(b',');
        if let Some(p) = rec.postcode {
            p.push(buf);
        }
        buf.push(b',');
        if let Some(n) = rec.nhs {
            if rec.nhs_spaced {
                buf.extend_from_slice(&n[..3]);
                buf.push(b' ');
                buf.extend_from_slice(&n[3..6]);
                buf.push(b' ');
                buf.extend_from_slice(&n[6..]);
            } else {
                buf.extend_from_slice(&n);
            }
        }
        buf.push(b',');
        if let Some(u) = rec.upn {
            buf.extend_from_slice(&u);
        }
        buf.push(b',');
        let source = if rec.prebirth {
            PREBIRTH_SOURCES[usize::from(rec.source)].0
        } else if rec.source == MIGRATION {
            &self.migration_label
        } else {
            SOURCES[usize::from(rec.source)].0
        };
        buf.extend_from_slice(source.as_bytes());
        buf.push(b',');
        push_date(buf, rec.updated, DateForm::Dmy);
        buf.push(b'\n');
    }
}

/// The date with day and month swapped, if that is a date.
fn swap_day_month(dob: Day) -> Option<Day> {
    let d = nd(dob);
    NaiveDate::from_ymd_opt(d.year(), d.day(), d.month()).map(day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn opts(seed: u64, people: usize) -> PeopleOptions {
        PeopleOptions {
            seed,
            people,
            as_of: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        }
    }

    /// A record of `people.csv` with its line of `people_truth.csv`.
    struct Row {
        f: Vec<String>,
        true_person: usize,
        household: usize,
        variations: Vec<String>,
    }

    impl Row {
        fn get(&self, column: &str) -> &str {
            let i = HEADER.trim_end().split(',').position(|h| h == column).expect(column);
            &self.f[i]
        }

        fn has(&self, variation: &str) -> bool {
            self.variations.iter().any(|v| v == variation)
        }
    }

    fn generated(o: &PeopleOptions) -> (tempfile::TempDir, PeopleSummary, Vec<Row>) {
        let dir = tempfile::tempdir().unwrap();
        let summary = generate_people(o, dir.path()).unwrap();
        let mut people = csv::Reader::from_path(dir.path().join("people.csv")).unwrap();
        let mut truth = csv::Reader::from_path(dir.path().join("people_truth.csv")).unwrap();
        assert_eq!(
            people.headers().unwrap().iter().collect::<Vec<_>>().join(",") + "\n",
            HEADER
        );
        let mut rows = Vec::new();
        for (i, (p, t)) in people.records().zip(truth.records()).enumerate() {
            let (p, t) = (p.unwrap(), t.unwrap());
            assert_eq!(
                t[0].parse::<usize>().unwrap(),
                i + 2,
                "truth line numbers are physical lines"
            );
            assert_eq!(&t[1], &p[0], "line {} names its record", i + 2);
            rows.push(Row {
                f: p.iter().map(str::to_string).collect(),
                true_person: t[2].parse().unwrap(),
                household: t[3].parse().unwrap(),
                variations: t[4].split(';').filter(|v| !v.is_empty()).map(str::to_string).collect(),
            });
        }
        assert_eq!(rows.len(), summary.records);
        (dir, summary, rows)
    }

    fn digits(s: &str) -> String {
        s.chars().filter(char::is_ascii_digit).collect()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%d/%m/%Y").unwrap()
    }

    fn folded(s: &str) -> String {
        Text::of(s).folded().as_str().to_string()
    }

    /// Optimal string alignment distance: substitutions, insertions, deletions, transpositions.
    fn osa(a: &str, b: &str) -> usize {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
                }
            }
        }
        d[a.len()][b.len()]
    }

    #[test]
    fn the_same_options_give_identical_files_and_another_seed_does_not() {
        let read = |o: &PeopleOptions| {
            let dir = tempfile::tempdir().unwrap();
            generate_people(o, dir.path()).unwrap();
            ["people.csv", "people_truth.csv"].map(|f| fs::read(dir.path().join(f)).unwrap())
        };
        assert!(read(&opts(7, 3000)) == read(&opts(7, 3000)));
        assert!(read(&opts(7, 3000)) != read(&opts(8, 3000)));
    }

    #[test]
    fn validators_know_good_and_bad_identifiers() {
        assert!(nhs_number_valid("943 476 5919"));
        assert!(nhs_number_valid("9434765919"));
        assert!(!nhs_number_valid("9434765918"));
        assert!(!nhs_number_valid("943476591"));
        assert!(!nhs_number_valid("94347659190"));
        assert!(!nhs_number_valid("943-476-5919"));
        // 9 digits whose check digit would be 10 are never valid.
        assert_eq!(nhs_check_digit(&[0, 0, 0, 0, 0, 0, 0, 0, 6]), None);
        assert_eq!(nhs_check_digit(&[0, 0, 0, 0, 0, 0, 0, 0, 5]), Some(1));

        assert!(upn_valid("B801200005001"));
        assert!(!upn_valid("A801200005001"));
        // A temporary UPN: the final letter counts as its place in the alphabet (A = 0).
        assert!(upn_valid("M80120000500A"));
        assert!(!upn_valid("M80120000500I"), "I, O and S are not used");
        assert!(!upn_valid("B8012000050010"));
        assert!(!upn_valid("B80120000A001"), "only the last character may be a letter");
        assert!(!upn_valid("b801200005001"));
        // Every check letter comes from the alphabet without I, O and S.
        for body in ["000000000000", "999999999999", "123456789012", "99920000001Z"] {
            let c = upn_check_letter(body.as_bytes()).unwrap();
            assert!(UPN_LETTERS.contains(&c));
        }
    }

    #[test]
    fn every_identifier_is_valid_and_no_two_people_share_one() {
        let (_dir, _, rows) = generated(&opts(3, 20_000));
        let mut nhs_of = HashMap::new();
        let mut upn_of = HashMap::new();
        for r in &rows {
            let nhs = r.get("NHS Number");
            if !nhs.is_empty() {
                assert!(nhs_number_valid(nhs), "{nhs}");
                assert!(nhs.len() == 10 || nhs.len() == 12, "{nhs}");
                assert!(nhs.starts_with("999"), "{nhs} is not in the test range");
                assert_eq!(
                    *nhs_of.entry(digits(nhs)).or_insert(r.true_person),
                    r.true_person,
                    "{nhs}"
                );
            }
            let upn = r.get("UPN");
            if !upn.is_empty() {
                assert!(upn_valid(upn), "{upn}");
                assert!(upn[1..4].starts_with("99"), "{upn} is from an unassigned LA number");
                assert_eq!(
                    *upn_of.entry(upn.to_string()).or_insert(r.true_person),
                    r.true_person,
                    "{upn}"
                );
            }
            let postcode = r.get("Postcode");
            if !postcode.is_empty() {
                let (district, sector) = postcode.split_once(' ').unwrap();
                let district: u8 = district.strip_prefix("NF").unwrap().parse().unwrap();
                assert!((1..=20).contains(&district) && sector.len() == 3, "{postcode}");
                assert!(sector.as_bytes()[0].is_ascii_digit());
                assert!(sector[1..].bytes().all(|b| POSTCODE_LETTERS.contains(&b)), "{postcode}");
            }
        }
        assert!(
            upn_of.keys().any(|u| u.as_bytes()[12].is_ascii_uppercase()),
            "some UPNs are temporary"
        );
    }

    #[test]
    fn twins_share_a_birthday_surname_and_postcode_but_nothing_that_identifies_them() {
        let (_dir, _, rows) = generated(&opts(5, 20_000));
        let mut by_household: HashMap<usize, Vec<&Row>> = HashMap::new();
        for r in rows.iter().filter(|r| r.variations.is_empty()) {
            by_household.entry(r.household).or_default().push(r);
        }
        let mut twins = 0;
        for children in by_household.values() {
            for (i, a) in children.iter().enumerate() {
                for b in &children[i + 1..] {
                    assert_ne!(a.true_person, b.true_person);
                    if a.get("Date of Birth") != b.get("Date of Birth") {
                        // Siblings: born at least 300 days apart.
                        let gap = (date(a.get("Date of Birth")) - date(b.get("Date of Birth"))).num_days();
                        assert!(gap.abs() >= 300, "{gap}");
                        continue;
                    }
                    twins += 2;
                    assert_eq!(a.get("Surname"), b.get("Surname"));
                    assert_ne!(a.get("First Name"), b.get("First Name"));
                    for column in ["Postcode", "NHS Number", "UPN"] {
                        let (x, y) = (a.get(column), b.get(column));
                        if !x.is_empty() && !y.is_empty() {
                            if column == "Postcode" {
                                assert_eq!(x, y);
                            } else {
                                assert_ne!(digits(x), digits(y), "twins share a {column}");
                            }
                        }
                    }
                }
            }
        }
        let share = twins as f64 / 20_000.0;
        assert!((0.01..0.03).contains(&share), "twins are {share} of children");
    }

    /// Each copy of a person differs from their first record in exactly what its variations say.
    #[test]
    fn the_truth_lists_every_change_and_the_rates_are_as_documented() {
        let (_dir, summary, rows) = generated(&opts(11, 20_000));
        let pairs = |names: &str| -> HashSet<(String, String)> {
            names
                .lines()
                .skip(1)
                .map(|l| {
                    let (a, b) = l.split_once(',').unwrap();
                    (a.to_string(), b.to_string())
                })
                .collect()
        };
        let nicknames = pairs(NICKNAMES);
        let mut canonical: HashMap<usize, &Row> = HashMap::new();
        let mut records: HashMap<usize, usize> = HashMap::new();
        for r in &rows {
            *records.entry(r.true_person).or_default() += 1;
            if r.variations.is_empty() {
                assert!(
                    canonical.insert(r.true_person, r).is_none(),
                    "one first record per person"
                );
            }
        }
        assert_eq!(canonical.len(), 20_000);
        assert_eq!(
            summary.true_pairs,
            records.values().map(|&n| (n * (n - 1) / 2) as u64).sum::<u64>()
        );

        let (mut with_dups, mut prebirths) = (HashSet::new(), 0);
        for r in rows.iter().filter(|r| !r.variations.is_empty()) {
            let c = canonical[&r.true_person];
            assert_eq!(c.household, r.household);
            if r.has("prebirth") {
                prebirths += 1;
                assert!(["Unborn", "Baby", "Unborn Baby"].contains(&r.get("First Name")));
                for column in ["Middle Names", "Date of Birth", "Gender", "NHS Number", "UPN"] {
                    assert_eq!(r.get(column), "", "{column}");
                }
                let gap = (date(r.get("Expected Date of Birth")) - date(c.get("Date of Birth"))).num_days();
                assert!(gap.abs() <= 21, "{gap}");
                assert!(date(r.get("Last Updated")) < date(c.get("Date of Birth")));
                assert_eq!(r.get("Surname") != c.get("Surname"), r.has("mother_surname"));
                continue;
            }
            with_dups.insert(r.true_person);
            assert_eq!(r.get("Expected Date of Birth"), "");
            let changed = |vs: &[&str]| vs.iter().any(|v| r.has(v));
            let (mut first, mut surname) = (r.get("First Name"), r.get("Surname"));
            if r.has("names_swapped") {
                (first, surname) = (surname, first);
            }
            let accents = r.has("accents_dropped");
            let fold = |s: &str| if accents { folded(s) } else { s.to_string() };
            let (c_first, c_surname) = (fold(c.get("First Name")), fold(c.get("Surname")));

            if r.has("nickname") {
                let (a, b) = (folded(c.get("First Name")), first.to_string());
                assert!(nicknames.contains(&(a.clone(), b.clone())) || nicknames.contains(&(b, a)));
            } else if r.has("middle_as_first") {
                assert_eq!(first, c.get("Middle Names").split(' ').next().unwrap());
            } else if r.has("first_typo") {
                assert_eq!(osa(first, &c_first), 1, "{first} / {c_first}");
            } else {
                assert_eq!(first, c_first);
            }
            if r.has("surname_typo") {
                assert_eq!(osa(surname, &c_surname), 1, "{surname} / {c_surname}");
            } else if r.has("surname_changed") {
                assert_ne!(surname, c_surname);
            } else {
                assert_eq!(surname, c_surname);
            }
            if !changed(&["middle_as_first"]) {
                assert_eq!(r.get("Middle Names"), fold(c.get("Middle Names")));
            }
            if accents {
                assert!(!c.f[1..4].iter().all(|s| s.is_ascii()) && r.f[1..4].iter().all(|s| s.is_ascii()));
            }

            let (dob, c_dob) = (r.get("Date of Birth"), c.get("Date of Birth"));
            let (d, cd) = (date(dob), date(c_dob));
            if r.has("dob_day_month") {
                assert_eq!((d.day(), d.month(), d.year()), (cd.month(), cd.day(), cd.year()));
            } else if r.has("dob_year") {
                assert_eq!((d.day(), d.month()), (cd.day(), cd.month()));
                assert_eq!((d.year() - cd.year()).abs(), 1);
            } else if r.has("dob_digit") {
                assert_eq!(
                    dob.bytes().zip(c_dob.bytes()).filter(|(a, b)| a != b).count(),
                    1,
                    "{dob} / {c_dob}"
                );
            } else {
                assert_eq!(dob, c_dob);
            }

            let (pc, c_pc) = (r.get("Postcode"), c.get("Postcode"));
            if r.has("moved") {
                assert!(!pc.is_empty() && !c_pc.is_empty() && pc != c_pc);
            } else if r.has("no_postcode") {
                assert!(pc.is_empty() && !c_pc.is_empty());
            } else {
                assert_eq!(pc, c_pc);
            }
            let (nhs, c_nhs) = (digits(r.get("NHS Number")), digits(c.get("NHS Number")));
            if r.has("no_nhs") {
                assert!(nhs.is_empty() && !c_nhs.is_empty());
            } else if r.has("nhs_added") {
                assert!(!nhs.is_empty() && c_nhs.is_empty());
            } else {
                assert_eq!(nhs, c_nhs);
            }
            for (column, variation) in [("UPN", "no_upn"), ("Gender", "no_gender")] {
                if r.has(variation) {
                    assert!(r.get(column).is_empty() && !c.get(column).is_empty(), "{column}");
                } else {
                    assert_eq!(r.get(column), c.get(column), "{column}");
                }
            }
            let same = r.f[1..8] == c.f[1..8] && nhs == c_nhs && r.get("UPN") == c.get("UPN");
            assert_eq!(r.has("exact"), r.variations.len() == 1 && same, "{:?}", r.variations);
            assert!(r.variations.len() <= 3, "{:?}", r.variations);
        }

        let share = |n: usize| n as f64 / 20_000.0;
        assert!(
            (0.08..0.16).contains(&share(with_dups.len())),
            "duplicates: {}",
            share(with_dups.len())
        );
        assert!(
            (0.01..0.03).contains(&share(prebirths)),
            "pre-birth records: {}",
            share(prebirths)
        );
        let missing = |column: &str, rows: &mut dyn Iterator<Item = &Row>| {
            let (mut n, mut blank) = (0, 0);
            for r in rows {
                n += 1;
                blank += usize::from(r.get(column).is_empty());
            }
            blank as f64 / n as f64
        };
        let nhs = missing("NHS Number", &mut rows.iter());
        assert!((0.15..0.25).contains(&nhs), "NHS number missing on {nhs}");
        let postcode = missing("Postcode", &mut rows.iter());
        assert!((0.02..0.04).contains(&postcode), "postcode missing on {postcode}");
        let as_of = opts(0, 0).as_of;
        let at_school = |r: &&Row| {
            let dob = r.get("Date of Birth");
            !dob.is_empty() && date(dob) < as_of - Months::new(12 * 6)
        };
        let upn = missing("UPN", &mut rows.iter().filter(at_school));
        assert!(
            (0.35..0.45).contains(&upn),
            "UPN missing on {upn} of school-age records"
        );
        for r in &rows {
            assert!(date(r.get("Last Updated")) <= as_of);
        }
    }

    #[test]
    fn no_two_records_of_a_person_are_adjacent() {
        for seed in 0..4 {
            let (_dir, _, rows) = generated(&opts(seed, 5_000));
            for pair in rows.windows(2) {
                assert_ne!(pair[0].true_person, pair[1].true_person);
            }
        }
        // Runs of one person's records anywhere, the last at the very end.
        let mut slots: Vec<Slot> = [0, 0, 1, 2, 3, 3, 3, 4, 5, 6, 7, 8, 9, 9]
            .into_iter()
            .enumerate()
            .map(|(i, person)| Slot {
                key: 0,
                record: i as u32,
                first_person: person,
                household: 0,
                within: 0,
                child: 0,
            })
            .collect();
        separate(&mut slots);
        assert!(slots.windows(2).all(|w| w[0].person() != w[1].person()));
        let mut records: Vec<u32> = slots.iter().map(|s| s.record).collect();
        records.sort_unstable();
        assert_eq!(records, (0..14).collect::<Vec<_>>());
    }

    #[test]
    fn the_nickname_list_is_well_formed() {
        let mut lines = NICKNAMES.lines();
        assert_eq!(lines.next(), Some("name,variant"));
        let mut seen = HashSet::new();
        let capitalised = |s: &str| {
            let b = s.as_bytes();
            b.len() >= 2 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_lowercase)
        };
        for line in lines {
            let (name, variant) = line.split_once(',').unwrap_or_else(|| panic!("{line:?}"));
            assert!(capitalised(name) && capitalised(variant), "{line:?}");
            assert_ne!(name, variant, "{line:?} pairs a name with itself");
            assert!(seen.insert((name, variant)), "{line:?} is listed twice");
        }
        for &(a, b) in &seen {
            assert!(!seen.contains(&(b, a)), "{a},{b} is listed both ways");
        }
        assert!(seen.len() >= 400, "{} pairs", seen.len());
        assert!(NICKNAMES.ends_with('\n') && !NICKNAMES.contains('\r'));
        // Most children can be recorded under another form of their first name.
        for (sex, list) in [BOYS, GIRLS].into_iter().enumerate() {
            let with = names().alternatives[sex].iter().filter(|a| !a.is_empty()).count();
            assert!(with * 2 > list.len(), "{with} of {} names have a nickname", list.len());
        }
    }

    #[test]
    fn names_fit_their_buffers_and_need_no_quoting() {
        let lists = [
            BOYS,
            GIRLS,
            BOY_MIDDLES,
            GIRL_MIDDLES,
            SURNAMES,
            TAIL_FIRST,
            TAIL_SECOND,
        ];
        for name in lists.iter().flat_map(|l| l.iter()) {
            assert!(!name.contains([',', '"', '\n']), "{name}");
            assert!(
                folded(name)
                    .bytes()
                    .all(|b| b.is_ascii_alphabetic() || b" '-".contains(&b)),
                "{name}"
            );
        }
        let longest = |l: &[&str]| l.iter().map(|s| s.len()).max().unwrap();
        let surname = longest(SURNAMES).max(longest(TAIL_FIRST) + longest(TAIL_SECOND));
        // A hyphenated pair, with a letter doubled by a typo.
        assert!(2 * surname + 2 <= Text::EMPTY.bytes.len(), "{surname}");
        // Two middle names and a space.
        assert!(2 * longest(BOYS).max(longest(GIRLS)) < Text::EMPTY.bytes.len());
        for (list, first) in [(BOYS, true), (GIRLS, true), (SURNAMES, false)] {
            let unique: HashSet<_> = list.iter().collect();
            assert_eq!(unique.len(), list.len(), "a name is listed twice");
            if first {
                assert!(list.len() >= 150);
            }
        }
    }
}
