//! A person's fields as matching compares them: names folded to capital letters, dates parsed,
//! postcodes split into their parts, and identifiers kept only when their check digit holds.
//!
//! Normalising once per record keeps the pair loop (millions of pairs) free of parsing and
//! allocation.

use crate::model::values::DateForms;
use chrono::{Datelike, NaiveDate};

/// The person fields a rules file maps to columns, in [`Fields`] order.
pub const ROLES: [&str; 9] = [
    "first_name",
    "other_names",
    "surname",
    "date_of_birth",
    "expected_date_of_birth",
    "sex",
    "postcode",
    "nhs_number",
    "upn",
];

/// One value per person field, in [`ROLES`] order: a new field is a new entry in `ROLES` and
/// in [`Fields`], and every table of them follows.
pub type Roles<T> = [T; ROLES.len()];

/// Where the two date fields sit in [`ROLES`].
pub const DATE_OF_BIRTH: usize = role("date_of_birth");
pub const EXPECTED_DATE_OF_BIRTH: usize = role("expected_date_of_birth");

/// Where the field `name` sits in [`ROLES`]; a name that is not there does not compile.
pub const fn role(name: &str) -> usize {
    let mut i = 0;
    while i < ROLES.len() {
        if ROLES[i].len() == name.len() {
            let (a, b) = (ROLES[i].as_bytes(), name.as_bytes());
            let mut k = 0;
            while k < a.len() && a[k] == b[k] {
                k += 1;
            }
            if k == a.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("not a person field: every name given to `role` is spelt as in ROLES")
}

/// The text of one record's person fields, as exported.
#[derive(Debug, Default, Clone)]
pub struct Fields<'a> {
    pub first_name: &'a str,
    pub other_names: &'a str,
    pub surname: &'a str,
    pub date_of_birth: &'a str,
    pub expected_date_of_birth: &'a str,
    pub sex: &'a str,
    pub postcode: &'a str,
    pub nhs_number: &'a str,
    pub upn: &'a str,
}

/// One record, ready to compare.
#[derive(Debug, Clone, Default)]
pub struct Person {
    /// The names as exported (trimmed), for explanations a caseworker reads.
    pub shown_first: String,
    pub shown_others: String,
    pub shown_surname: String,
    /// An NHS number or UPN was given, valid or not (an invalid one is "not valid", not "missing").
    pub nhs_given: bool,
    pub upn_given: bool,
    /// Capital letters only (accents folded, punctuation and spaces dropped); empty when blank
    /// or when the record is a pre-birth placeholder ("Baby", "Unborn").
    pub first: String,
    /// Other given names, each folded like `first`.
    pub others: Vec<String>,
    pub surname: String,
    /// The parts of a hyphenated or double surname ("SMITH-JONES" → SMITH, JONES).
    pub surname_parts: Vec<String>,
    pub dob: Option<NaiveDate>,
    /// A pre-birth record's expected date of delivery.
    pub expected: Option<NaiveDate>,
    /// A record made before birth: a placeholder first name or an expected date with no birth.
    pub pre_birth: bool,
    /// `M`, `F` or none (blank, not stated, unknown).
    pub sex: Option<u8>,
    pub postcode: Option<Postcode>,
    /// Only numbers whose mod-11 check digit holds: an invalid number carries no weight.
    pub nhs: Option<u64>,
    /// Only UPNs whose check letter holds.
    pub upn: Option<[u8; 13]>,
}

/// First names a case-management system gives a child before birth.
const PLACEHOLDERS: [&str; 6] = ["BABY", "UNBORN", "UNBORNBABY", "BABYOF", "UNBORNCHILD", "NEWBORN"];

impl<'a> Fields<'a> {
    /// From values in [`ROLES`] order (blank where a role has no column).
    pub fn from_roles(v: Roles<&'a str>) -> Fields<'a> {
        Fields {
            first_name: v[role("first_name")],
            other_names: v[role("other_names")],
            surname: v[role("surname")],
            date_of_birth: v[DATE_OF_BIRTH],
            expected_date_of_birth: v[EXPECTED_DATE_OF_BIRTH],
            sex: v[role("sex")],
            postcode: v[role("postcode")],
            nhs_number: v[role("nhs_number")],
            upn: v[role("upn")],
        }
    }
}

/// How the date fields are read: the forms each column declares (every UK form, unless the
/// column says otherwise) and the two-digit-year pivot, as every other stage reads them.
#[derive(Debug, Clone, Copy)]
pub struct Dates {
    pub date_of_birth: DateForms,
    pub expected_date_of_birth: DateForms,
    pub pivot: u8,
}

impl Dates {
    /// Every UK form, for fields not read from a declared date column.
    pub fn uk(pivot: u8) -> Dates {
        Dates {
            date_of_birth: DateForms::ALL,
            expected_date_of_birth: DateForms::ALL,
            pivot,
        }
    }
}

impl Person {
    pub fn new(f: &Fields, dates: Dates) -> Person {
        let first_raw = fold(f.first_name);
        let placeholder = PLACEHOLDERS.contains(&first_raw.as_str())
            || first_raw.is_empty() && !f.expected_date_of_birth.trim().is_empty();
        let dob = date(f.date_of_birth, dates.date_of_birth, dates.pivot);
        let expected = date(f.expected_date_of_birth, dates.expected_date_of_birth, dates.pivot);
        let pre_birth = placeholder || (dob.is_none() && expected.is_some());
        let surname = fold(f.surname);
        let surname_parts = f
            .surname
            .split(|c: char| c == '-' || c.is_whitespace())
            .map(fold)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>();
        Person {
            shown_first: f.first_name.trim().to_string(),
            shown_others: f.other_names.trim().to_string(),
            shown_surname: f.surname.trim().to_string(),
            nhs_given: !f.nhs_number.trim().is_empty(),
            upn_given: !f.upn.trim().is_empty(),
            first: if placeholder { String::new() } else { first_raw },
            others: f
                .other_names
                .split_whitespace()
                .map(fold)
                .filter(|s| !s.is_empty())
                .collect(),
            surname_parts: if surname_parts.len() > 1 {
                surname_parts
            } else {
                Vec::new()
            },
            surname,
            dob: if pre_birth { None } else { dob },
            expected: if pre_birth { expected.or(dob) } else { None },
            pre_birth,
            sex: sex(f.sex),
            postcode: Postcode::parse(f.postcode),
            nhs: nhs_number(f.nhs_number),
            upn: upn(f.upn),
        }
    }

    /// The date a comparison of births uses: the date of birth, or before birth the expected one.
    pub fn birth(&self) -> Option<NaiveDate> {
        self.dob.or(self.expected)
    }
}

/// A date in the forms its column accepts, read by the one date parser every stage uses.
fn date(s: &str, forms: DateForms, pivot: u8) -> Option<NaiveDate> {
    let days = crate::model::values::parse_date(s, forms, pivot)?;
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::TimeDelta::days(i64::from(days)))
}

/// Capital ASCII letters only: "O'Brien" → OBRIEN, "Zoë" → ZOE, "Mary-Jane" → MARYJANE.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = match c {
            'à'..='å' | 'À'..='Å' | 'ā' | 'Ā' => 'A',
            'ç' | 'Ç' | 'č' | 'Č' | 'ć' | 'Ć' => 'C',
            'è'..='ë' | 'È'..='Ë' | 'ē' | 'Ē' | 'ę' | 'Ę' => 'E',
            'ì'..='ï' | 'Ì'..='Ï' | 'ī' | 'Ī' => 'I',
            'ñ' | 'Ñ' | 'ń' | 'Ń' => 'N',
            'ò'..='ö' | 'ø' | 'Ò'..='Ö' | 'Ø' | 'ō' | 'Ō' => 'O',
            'ù'..='ü' | 'Ù'..='Ü' | 'ū' | 'Ū' => 'U',
            'ý' | 'ÿ' | 'Ý' => 'Y',
            'ś' | 'Ś' | 'š' | 'Š' => 'S',
            'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => 'Z',
            'ł' | 'Ł' => 'L',
            c => c,
        };
        if c.is_ascii_alphabetic() {
            out.push(c.to_ascii_uppercase());
        }
    }
    out
}

fn sex(s: &str) -> Option<u8> {
    let t = s.trim().to_ascii_lowercase();
    // Annex A's lettered codes ("a) Male"), the CIN census's 1/2, and plain words.
    let word = t.split_once(") ").map_or(t.as_str(), |(_, w)| w);
    match word {
        "male" | "m" | "1" | "boy" => Some(b'M'),
        "female" | "f" | "2" | "girl" => Some(b'F'),
        _ => None,
    }
}

/// A valid NHS number as a number: ten digits (spaces and hyphens allowed) whose last digit is
/// the mod-11 check of the first nine.
pub fn nhs_number(s: &str) -> Option<u64> {
    let mut digits = [0u8; 10];
    let mut n = 0;
    for c in s.bytes() {
        match c {
            b'0'..=b'9' if n < 10 => {
                digits[n] = c - b'0';
                n += 1;
            }
            b'0'..=b'9' => return None,
            b' ' | b'-' => {}
            _ => return None,
        }
    }
    if n != 10 {
        return None;
    }
    let sum: u32 = digits[..9]
        .iter()
        .enumerate()
        .map(|(i, &d)| u32::from(d) * (10 - i as u32))
        .sum();
    let check = 11 - sum % 11;
    let check = match check {
        11 => 0,
        10 => return None,
        c => c as u8,
    };
    (check == digits[9]).then(|| digits.iter().fold(0u64, |acc, &d| acc * 10 + u64::from(d)))
}

/// The DfE's check letters, indexed by the weighted sum mod 23.
const UPN_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

/// A valid unique pupil number: a check letter, then twelve characters (the last may be a
/// letter for a temporary UPN) whose weighted sum (weights 2 to 13) mod 23 gives it.
pub fn upn(s: &str) -> Option<[u8; 13]> {
    let t = s.trim().as_bytes();
    if t.len() != 13 {
        return None;
    }
    let mut u = [0u8; 13];
    for (i, &c) in t.iter().enumerate() {
        u[i] = c.to_ascii_uppercase();
    }
    if !u[1..12].iter().all(u8::is_ascii_digit) || !(u[12].is_ascii_digit() || UPN_LETTERS.contains(&u[12])) {
        return None;
    }
    let value = |c: u8| -> u32 {
        if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            UPN_LETTERS.iter().position(|&l| l == c).map_or(0, |p| p as u32)
        }
    };
    let sum: u32 = u[1..].iter().enumerate().map(|(i, &c)| value(c) * (i as u32 + 2)).sum();
    (UPN_LETTERS[(sum % 23) as usize] == u[0]).then_some(u)
}

/// A UK postcode split into the parts matching compares: "B18 2JP" → area B, district B18,
/// sector B18 2, unit B18 2JP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Postcode {
    /// Without the space, capitals.
    pub full: String,
    /// Length of the outward code (district), e.g. 3 for B18.
    pub outward: u8,
}

impl Postcode {
    pub fn parse(s: &str) -> Option<Postcode> {
        let full: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let b = full.as_bytes();
        // The inward code is always a digit and two letters.
        if !(5..=7).contains(&b.len()) || !full.is_ascii() {
            return None;
        }
        let inward = &b[b.len() - 3..];
        if !(inward[0].is_ascii_digit() && inward[1].is_ascii_alphabetic() && inward[2].is_ascii_alphabetic()) {
            return None;
        }
        if !b[0].is_ascii_alphabetic() || !b[..b.len() - 3].iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        Some(Postcode {
            outward: (b.len() - 3) as u8,
            full,
        })
    }

    pub fn district(&self) -> &str {
        &self.full[..self.outward as usize]
    }

    /// District and the inward code's digit, e.g. B182.
    pub fn sector(&self) -> &str {
        &self.full[..self.outward as usize + 1]
    }

    /// As written with its space, for explanations.
    pub fn display(&self) -> String {
        format!("{} {}", self.district(), &self.full[self.outward as usize..])
    }
}

/// Day and month as a number, for explanations in the data team's form.
pub fn uk_date(d: NaiveDate) -> String {
    format!("{:02}/{:02}/{}", d.day(), d.month(), d.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nhs_numbers_need_their_check_digit() {
        assert_eq!(nhs_number("943 476 5919"), Some(9434765919));
        assert_eq!(nhs_number("9434765919"), Some(9434765919));
        assert_eq!(nhs_number("943-476-5919"), Some(9434765919));
        assert_eq!(nhs_number("9434765918"), None, "wrong check digit");
        assert_eq!(nhs_number("943476591"), None, "nine digits");
        assert_eq!(nhs_number("94347659190"), None, "eleven digits");
        assert_eq!(nhs_number("unknown"), None);
        assert_eq!(nhs_number(""), None);
        // A remainder giving check 10 is never issued.
        assert_eq!(nhs_number("0000000060"), None);
    }

    #[test]
    fn upns_need_their_check_letter() {
        // Check letter of 801200001001: weights 2..13 over the twelve digits.
        let body = "801200001001";
        let sum: u32 = body
            .bytes()
            .enumerate()
            .map(|(i, c)| u32::from(c - b'0') * (i as u32 + 2))
            .sum();
        let letter = UPN_LETTERS[(sum % 23) as usize] as char;
        let good = format!("{letter}{body}");
        assert!(upn(&good).is_some(), "{good}");
        assert!(upn(&good.to_lowercase()).is_some());
        let bad_letter = if letter == 'A' { 'B' } else { 'A' };
        assert!(upn(&format!("{bad_letter}{body}")).is_none());
        assert!(upn("A80120000100").is_none(), "twelve characters");
        assert!(upn("I801200001001").is_none(), "I is not a check letter");
    }

    #[test]
    fn postcodes_split_into_district_and_sector() {
        let p = Postcode::parse("b18 2jp").unwrap();
        assert_eq!(
            (p.district(), p.sector(), p.display().as_str()),
            ("B18", "B182", "B18 2JP")
        );
        let p = Postcode::parse("SW1A1AA").unwrap();
        assert_eq!((p.district(), p.sector()), ("SW1A", "SW1A1"));
        assert_eq!(Postcode::parse("NF1 4DX").unwrap().district(), "NF1");
        for bad in ["", "NF1", "12345", "NF1 44X", "NF1 4D!"] {
            assert!(Postcode::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn names_fold_to_capital_letters_and_placeholders_mark_pre_birth_records() {
        assert_eq!(fold("O'Brien"), "OBRIEN");
        assert_eq!(fold(" Zoë "), "ZOE");
        assert_eq!(fold("Mary-Jane"), "MARYJANE");
        let p = Person::new(
            &Fields {
                first_name: "Unborn",
                surname: "Smith-Jones",
                expected_date_of_birth: "03/07/2013",
                ..Fields::default()
            },
            Dates::uk(40),
        );
        assert!(p.pre_birth && p.first.is_empty() && p.dob.is_none());
        assert_eq!(p.expected, NaiveDate::from_ymd_opt(2013, 7, 3));
        assert_eq!(p.surname_parts, ["SMITH", "JONES"]);
        let p = Person::new(
            &Fields {
                first_name: "Jayden",
                date_of_birth: "07/03/2013",
                sex: "a) Male",
                ..Fields::default()
            },
            Dates::uk(40),
        );
        assert!(!p.pre_birth && p.sex == Some(b'M') && p.birth() == NaiveDate::from_ymd_opt(2013, 3, 7));
    }
}
