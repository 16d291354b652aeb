//! Matching on a small synthetic population with known truth: duplicates typed by someone else
//! are found, twins are not merged. (The generator's larger populations are the benchmark's.)

use std::collections::HashSet;

use super::compare::{Cx, Nicknames};
use super::person::{Dates, Fields, Person};
use super::*;

struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// A valid NHS number from nine digits (None when the check would be 10).
fn nhs(body: u64) -> Option<String> {
    let digits: Vec<u64> = format!("{body:09}").bytes().map(|b| u64::from(b - b'0')).collect();
    let sum: u64 = digits.iter().enumerate().map(|(i, d)| d * (10 - i as u64)).sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return None,
        c => c,
    };
    Some(format!("{body:09}{check}"))
}

const FIRST: [&str; 24] = [
    "Oliver", "George", "Noah", "Arthur", "Muhammad", "Leo", "Harry", "Oscar", "Jayden", "Jonathan", "William",
    "Olivia", "Amelia", "Isla", "Ava", "Ivy", "Freya", "Lily", "Florence", "Mia", "Willow", "Rosie", "Sophia", "Aisha",
];
const SURNAMES: [&str; 20] = [
    "Smith", "Smith", "Smith", "Jones", "Jones", "Khan", "Begum", "Williams", "Taylor", "Brown", "Davies", "Evans",
    "Wilson", "Patel", "Okafor", "Nowak", "Murphy", "Walsh", "Ahmed", "Kowalski",
];

struct Rec {
    first: String,
    surname: String,
    dob: String,
    postcode: String,
    nhs: String,
    truth: u32,
}

fn population(dups_carry_nhs: bool) -> (Vec<Rec>, Vec<(u32, u32)>) {
    let mut r = Lcg(42);
    let mut recs = Vec::new();
    let mut twins = Vec::new();
    for i in 0..3000u32 {
        let (d, m, y) = (1 + r.below(28), 1 + r.below(12), 2005 + r.below(18));
        let rec = Rec {
            first: FIRST[r.below(FIRST.len() as u64) as usize].to_string(),
            surname: SURNAMES[r.below(SURNAMES.len() as u64) as usize].to_string(),
            dob: format!("{d:02}/{m:02}/{y}"),
            postcode: format!(
                "NF{} {}{}{}",
                1 + r.below(20),
                r.below(10),
                (b'A' + r.below(4) as u8) as char,
                (b'A' + r.below(5) as u8) as char
            ),
            nhs: if r.below(10) < 8 {
                nhs(999_000_000 + u64::from(i) * 7).unwrap_or_default()
            } else {
                String::new()
            },
            truth: i,
        };
        // Every tenth is a twin: same birth and home, another first name and NHS number.
        if i % 10 == 0 {
            let other = FIRST
                .iter()
                .find(|&&f| f != rec.first && f.len() != rec.first.len())
                .unwrap();
            recs.push(Rec {
                first: other.to_string(),
                nhs: nhs(998_000_000 + u64::from(i) * 7).unwrap_or_default(),
                truth: 100_000 + i,
                surname: rec.surname.clone(),
                dob: rec.dob.clone(),
                postcode: rec.postcode.clone(),
            });
            twins.push((i, 100_000 + i));
        }
        // Every seventh has a second record typed by someone else.
        if i % 7 == 0 {
            // Half carry the NHS number too; the rest leave it blank.
            let nhs = if dups_carry_nhs && r.below(2) == 0 {
                rec.nhs.clone()
            } else {
                String::new()
            };
            let mut dup = Rec {
                first: rec.first.clone(),
                surname: rec.surname.clone(),
                dob: rec.dob.clone(),
                postcode: rec.postcode.clone(),
                nhs,
                truth: i,
            };
            match r.below(4) {
                0 => dup.surname = format!("{}e", dup.surname),
                1 if d <= 12 && d != m => dup.dob = format!("{m:02}/{d:02}/{y}"),
                2 if dup.first == "Jonathan" || dup.first == "William" => {
                    dup.first = if dup.first == "William" {
                        "Bill".into()
                    } else {
                        "Jon".into()
                    }
                }
                _ => dup.postcode = format!("NF{} 1ZZ", 21 + r.below(5)),
            }
            recs.push(dup);
        }
        recs.push(rec);
    }
    (recs, twins)
}

#[test]
fn soundex_codes_names_by_sound() {
    for (name, code) in [
        ("ROBERT", b"R163"),
        ("RUPERT", b"R163"),
        ("ASHCRAFT", b"A261"),
        ("TYMCZAK", b"T522"),
        ("PFISTER", b"P236"),
        ("SMITH", b"S530"),
        ("SMYTH", b"S530"),
        ("JAYDEN", b"J350"),
        ("JADEN", b"J350"),
        ("LEE", b"L000"),
    ] {
        assert_eq!(&soundex(name), code, "{name}");
    }
}

#[test]
fn duplicates_are_found_and_twins_are_not_merged() {
    // With identifiers shared by some duplicates, m is counted on them; without, estimated by EM.
    for dups_carry_nhs in [true, false] {
        found_and_twins_kept_apart(dups_carry_nhs);
    }
}

fn found_and_twins_kept_apart(dups_carry_nhs: bool) {
    let (recs, twins) = population(dups_carry_nhs);
    let people: Vec<Person> = recs
        .iter()
        .map(|r| {
            Person::new(
                &Fields {
                    first_name: &r.first,
                    surname: &r.surname,
                    date_of_birth: &r.dob,
                    postcode: &r.postcode,
                    nhs_number: &r.nhs,
                    ..Fields::default()
                },
                Dates::uk(40),
            )
        })
        .collect();
    let cx = Cx {
        nicknames: Nicknames::parse("name,variant\nJonathan,Jon\nWilliam,Bill\n"),
    };
    let s = Settings {
        random_pairs: 200_000,
        ..Settings::default()
    };
    let out = find(&people, &s, &cx);
    let truth: HashSet<(u32, u32)> = {
        let mut t = HashSet::new();
        for (i, a) in recs.iter().enumerate() {
            for (j, b) in recs.iter().enumerate().skip(i + 1) {
                if a.truth == b.truth {
                    t.insert((i as u32, j as u32));
                }
            }
        }
        t
    };
    let found: HashSet<(u32, u32)> = out.pairs.iter().map(|p| (p.a.min(p.b), p.a.max(p.b))).collect();
    let same: HashSet<(u32, u32)> = out
        .pairs
        .iter()
        .filter(|p| p.same(&s))
        .map(|p| (p.a.min(p.b), p.a.max(p.b)))
        .collect();
    let recall = truth.intersection(&found).count() as f64 / truth.len() as f64;
    let precision = truth.intersection(&same).count() as f64 / same.len().max(1) as f64;
    assert!(
        recall >= 0.95,
        "recall {recall} (identifiers on duplicates: {dups_carry_nhs}): {} of {}",
        truth.intersection(&found).count(),
        truth.len()
    );
    assert!(
        precision >= 0.99,
        "auto-band precision {precision} (identifiers on duplicates: {dups_carry_nhs})"
    );
    let truth_of = |i: u32| recs[i as usize].truth;
    let twins: HashSet<(u32, u32)> = twins.into_iter().collect();
    for p in out.pairs.iter().filter(|p| p.same(&s)) {
        let pair = (truth_of(p.a).min(truth_of(p.b)), truth_of(p.a).max(truth_of(p.b)));
        assert!(!twins.contains(&pair), "twins merged: {:?}", p);
    }
    // The model learnt that agreeing on a date of birth is strong evidence, and a valid NHS
    // number that differs is strong evidence against.
    let dob = out
        .model
        .comparisons
        .iter()
        .find(|c| c.comparison == "date_of_birth")
        .unwrap();
    assert!(dob.levels[0].weight > 8.0, "{dob:?}");
    let nhs = out
        .model
        .comparisons
        .iter()
        .find(|c| c.comparison == "nhs_number")
        .unwrap();
    assert!(nhs.levels[1].weight < -3.0, "{nhs:?}");
}
