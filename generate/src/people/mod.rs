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

pub(crate) mod copies;
pub(crate) mod names;
mod population;
mod record;

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use chrono::NaiveDate;

use crate::ids::IdScheme;
use crate::render::{V, push_uint, render};
use crate::rng::mix;
use population::World;

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
    // Person IDs: `NF` + 6 digits (more when there are too many records), as the demo's child ids.
    let ids = IdScheme::new(slots.len(), world.seed ^ 0x5045_4F50);
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
        let id = ids.num(u64::from(s.record));
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

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use chrono::{Datelike, Months};

    use super::names::{NICKNAMES, Text};
    use super::*;
    use crate::ids::{nhs_number_valid, upn_valid};
    use crate::vocab::POSTCODE_LETTERS;

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
}
