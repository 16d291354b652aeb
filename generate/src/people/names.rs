//! Names: first, middle and surnames in skewed frequency lists, the nickname list, and names
//! edited in place (accents folded, typos).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::rng::Rng;

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
pub(crate) const SURNAMES: &[&str] = &[
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
pub(crate) const TAIL_FIRST: &[&str] = &[
    "Ash", "Black", "Brad", "Brook", "Cran", "Dun", "Elm", "Fair", "Green", "Hart", "Hawk", "Hol", "Kings", "Lang",
    "Long", "Mar", "Mid", "Mill", "New", "North", "Oak", "Pen", "Rad", "Red", "Ring", "Rush", "Sand", "Shel", "South",
    "Stan", "Stock", "Thorn", "Wal", "West", "White", "Whit", "Win", "Wood", "Ather", "Bar", "Bel", "Bram", "Cal",
    "Dal", "Ever", "Ful", "Gar", "Had", "Hal", "Kel", "Lind", "Mor", "Nor", "Pres", "Roth", "Sher", "Til", "Up", "Wen",
    "Yard",
];
#[rustfmt::skip]
pub(crate) const TAIL_SECOND: &[&str] = &[
    "ton", "ley", "field", "worth", "ford", "well", "wood", "by", "ham", "more", "bridge", "cliffe", "dale", "hurst",
    "land", "stone", "wick", "brook", "cott", "shaw", "low", "don", "mere", "den", "combe", "thorpe", "ridge", "gate",
    "bury", "stead",
];
/// Share (per mille) of surnames from the tail.
pub(crate) const TAIL_PER_MILLE: u64 = 300;

/// The list of pairs of a formal first name and a short form, nickname or spelling variant.
pub(crate) const NICKNAMES: &str = include_str!("../../../rules/nicknames.csv");

/// A weighted list: the `r`-th most common name has weight 1/(r + flat), so a few names are
/// common and many rare.
pub(crate) struct Weighted {
    pub(crate) names: &'static [&'static str],
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

    pub(crate) fn draw(&self, rng: &mut Rng) -> usize {
        let x = rng.below(*self.cumulative.last().expect("lists are not empty"));
        self.cumulative.partition_point(|&c| c <= x)
    }
}

/// The name lists, weighted, and each first name's alternatives from the nickname list.
pub(crate) struct Names {
    pub(crate) first: [Weighted; 2],
    pub(crate) middle: [Weighted; 2],
    pub(crate) surnames: Weighted,
    /// By sex and first-name index: the names it is paired with in `rules/nicknames.csv`.
    pub(crate) alternatives: [Vec<Vec<&'static str>>; 2],
}

pub(crate) fn names() -> &'static Names {
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

/// The names `name` is paired with in `rules/nicknames.csv` (short forms, nicknames and
/// spelling variants), as [`Names::alternatives`] holds them for the person lists' names.
pub(crate) fn alternatives_of(name: &str) -> &'static [&'static str] {
    static BY_NAME: OnceLock<HashMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    let by_name = BY_NAME.get_or_init(|| {
        let mut by_name: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
        for (a, b) in NICKNAMES.lines().skip(1).filter_map(|l| l.split_once(',')) {
            by_name.entry(a).or_default().push(b);
            by_name.entry(b).or_default().push(a);
        }
        for alts in by_name.values_mut() {
            alts.sort_unstable();
            alts.dedup();
        }
        by_name
    });
    let mut folded = Text::EMPTY;
    folded.push_folded(name);
    by_name.get(folded.as_str()).map_or(&[], Vec::as_slice)
}

/// A name built in place (no heap): the longest, a hyphenated pair of long surnames with a
/// doubled letter, fits.
#[derive(Clone, Copy)]
pub(crate) struct Text {
    pub(crate) len: u8,
    bytes: [u8; 47],
}

impl Text {
    pub(crate) const EMPTY: Text = Text { len: 0, bytes: [0; 47] };

    pub(crate) fn of(s: &str) -> Text {
        let mut t = Text::EMPTY;
        t.push(s);
        t
    }

    pub(crate) fn push(&mut self, s: &str) {
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

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).expect("edits keep names UTF-8")
    }

    pub(crate) fn is_ascii(&self) -> bool {
        self.bytes[..usize::from(self.len)].is_ascii()
    }

    pub(crate) fn folded(&self) -> Text {
        let mut t = Text::EMPTY;
        t.push_folded(self.as_str());
        t
    }

    /// One slip of the keyboard or ear: a letter substituted (Smith → Smyth), dropped, doubled
    /// or swapped with the next. Only lower-case ASCII letters after the first are touched, so
    /// the result stays a capitalised name; `false` if none could be made.
    pub(crate) fn typo(&mut self, rng: &mut Rng) -> bool {
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn folded(s: &str) -> String {
        Text::of(s).folded().as_str().to_string()
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
