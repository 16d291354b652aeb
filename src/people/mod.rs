//! Dedupe: find records of the same person under different ids.
//!
//! Exact key checks miss them, because the second record was typed by someone else: "Jayden
//! Smith 07/03/2013" and "Jaden Smyth 03/07/2013". So records are compared pairwise, in the
//! manner of Fellegi and Sunter:
//!
//! 1. **Blocking** picks the pairs worth comparing (records sharing a date of birth, a postcode,
//!    a surname and initial...): comparing every pair of a million records is 5×10¹¹ pairs.
//!    Each pair is compared once, by the first block that brings it together.
//! 2. **Comparisons** ([`compare`]) put each pair at a level per aspect: names, date of birth,
//!    postcode, NHS number...
//! 3. **Weights** per level, log₂(m/u): m is how often true duplicates agree at that level, u how
//!    often two unrelated records do. u is counted on random pairs; m is estimated from the data
//!    by expectation maximisation, once per blocking rule with the compared fields it blocks on
//!    left out (their agreement was chosen, not observed). Agreeing on a common name weighs less
//!    than agreeing on a rare one (term frequency).
//! 4. **Bands**: a pair's weight becomes a match probability; two thresholds split pairs into
//!    "same person", "possible" (for review) and "different".
//!
//! The estimates are returned as a [`Model`] so a run can write them beside its outputs.

pub mod compare;
pub mod person;
pub mod request;

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

use rayon::prelude::*;
use serde::Serialize;

use compare::{COMPARISONS, Comparison, Cx, Level};
use person::Person;

/// Comparisons a pair is scored on, at most this many (their levels pack into a u64).
const MAX_COMPARISONS: usize = 15;
/// Seed of the blocking keys' hash: fixed, so a run is repeatable.
const BLOCK_SEED: u64 = 0x5eed;
/// A level's slot value for "no evidence".
const NULL: u64 = 0xF;

/// A blocking rule: records with the same key are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Block {
    /// The same date of birth (or expected date, for pre-birth records), day and month in either
    /// order.
    DateOfBirth,
    /// The same surname and first initial.
    SurnameInitial,
    /// First names that sound alike (Soundex) and the same year of birth (surname changed or
    /// misspelt).
    FirstNameYear,
    /// Surnames that sound alike and the same year of birth (date mistyped; a pre-birth record
    /// and its child).
    SurnameYear,
    /// The same two names in either order (first name and surname swapped).
    NamePair,
    /// The same postcode.
    Postcode,
    /// The same valid NHS number.
    NhsNumber,
    /// The same valid UPN.
    Upn,
}

impl Block {
    pub const ALL: [Block; 8] = [
        Block::DateOfBirth,
        Block::SurnameInitial,
        Block::FirstNameYear,
        Block::SurnameYear,
        Block::NamePair,
        Block::Postcode,
        Block::NhsNumber,
        Block::Upn,
    ];

    /// The name a rules file uses.
    pub fn name(self) -> &'static str {
        match self {
            Block::DateOfBirth => "date_of_birth",
            Block::SurnameInitial => "surname_initial",
            Block::FirstNameYear => "first_name_year",
            Block::SurnameYear => "surname_year",
            Block::NamePair => "name_pair",
            Block::Postcode => "postcode",
            Block::NhsNumber => "nhs_number",
            Block::Upn => "upn",
        }
    }

    /// The person fields it reads: one of each inner list.
    pub fn needs(self) -> &'static [&'static [&'static str]] {
        match self {
            Block::DateOfBirth => &[&["date_of_birth", "expected_date_of_birth"]],
            Block::SurnameInitial | Block::NamePair => &[&["surname"], &["first_name"]],
            Block::FirstNameYear => &[&["first_name"], &["date_of_birth", "expected_date_of_birth"]],
            Block::SurnameYear => &[&["surname"], &["date_of_birth", "expected_date_of_birth"]],
            Block::Postcode => &[&["postcode"]],
            Block::NhsNumber => &[&["nhs_number"]],
            Block::Upn => &[&["upn"]],
        }
    }

    /// Comparisons whose agreement this block chooses, so its pairs say nothing about their m.
    fn fixes(self) -> &'static [&'static str] {
        match self {
            Block::DateOfBirth => &["date_of_birth", "pre_birth"],
            Block::SurnameInitial => &["surname", "first_name"],
            Block::FirstNameYear => &["first_name", "date_of_birth", "pre_birth"],
            Block::SurnameYear => &["surname", "date_of_birth", "pre_birth"],
            Block::NamePair => &["first_name", "surname"],
            Block::Postcode => &["postcode"],
            Block::NhsNumber => &["nhs_number"],
            Block::Upn => &["upn"],
        }
    }

    /// The record's key in this block, hashed as matching hashes it; `None` when the record
    /// has no such key. (For measuring blocking: which true pairs a block brings together.)
    pub fn key_of(self, p: &Person) -> Option<u64> {
        self.key(p, &foldhash::fast::FixedState::with_seed(BLOCK_SEED))
    }

    /// The record's key in this block, hashed; `None` when the record has no such key.
    fn key(self, p: &Person, hasher: &foldhash::fast::FixedState) -> Option<u64> {
        use chrono::Datelike;
        let h = |v: &dyn Fn(&mut foldhash::fast::FoldHasher)| {
            let mut s = hasher.build_hasher();
            v(&mut s);
            std::hash::Hasher::finish(&s)
        };
        let year = p.birth().map(|d| d.year());
        match self {
            // Day and month in either order: a swapped date meets the real one here.
            Block::DateOfBirth => p.birth().map(|d| {
                let (x, y) = (d.day().min(d.month()), d.day().max(d.month()));
                h(&|s| (d.year(), x, y).hash(s))
            }),
            Block::SurnameInitial => {
                let initial = p.first.as_bytes().first()?;
                (!p.surname.is_empty()).then(|| h(&|s| (&p.surname, initial).hash(s)))
            }
            // Names by how they sound, so a misspelt name meets the right one.
            Block::FirstNameYear => {
                let year = year?;
                (!p.first.is_empty()).then(|| h(&|s| (soundex(&p.first), year).hash(s)))
            }
            Block::SurnameYear => {
                let year = year?;
                (!p.surname.is_empty()).then(|| h(&|s| (soundex(&p.surname), year).hash(s)))
            }
            Block::NamePair => {
                if p.first.is_empty() || p.surname.is_empty() {
                    return None;
                }
                let (x, y) = if p.first <= p.surname {
                    (&p.first, &p.surname)
                } else {
                    (&p.surname, &p.first)
                };
                Some(h(&|s| (x, y).hash(s)))
            }
            Block::Postcode => p.postcode.as_ref().map(|c| h(&|s| c.full.hash(s))),
            Block::NhsNumber => p.nhs.map(|n| h(&|s| n.hash(s))),
            Block::Upn => p.upn.map(|u| h(&|s| u.hash(s))),
        }
    }
}

/// American Soundex of a folded name (capital letters only): its first letter and three digits
/// for the consonants that follow, so Smith and Smyth, Jayden and Jaden, share a code.
pub fn soundex(name: &str) -> [u8; 4] {
    let code = |c: u8| match c {
        b'B' | b'F' | b'P' | b'V' => b'1',
        b'C' | b'G' | b'J' | b'K' | b'Q' | b'S' | b'X' | b'Z' => b'2',
        b'D' | b'T' => b'3',
        b'L' => b'4',
        b'M' | b'N' => b'5',
        b'R' => b'6',
        _ => b'0',
    };
    let b = name.as_bytes();
    let mut out = [b'0'; 4];
    let Some(&first) = b.first() else { return out };
    out[0] = first;
    let (mut n, mut last) = (1, code(first));
    for &c in &b[1..] {
        let d = code(c);
        if d != b'0' && d != last {
            out[n] = d;
            n += 1;
            if n == 4 {
                break;
            }
        }
        // H and W do not separate two letters of one code; vowels do.
        if c != b'H' && c != b'W' {
            last = d;
        }
    }
    out
}

/// How to match, as a rules file declares it.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Indexes into [`COMPARISONS`].
    pub comparisons: Vec<usize>,
    pub blocks: Vec<Block>,
    /// Match probability at or above which two records are the same person.
    pub same: f64,
    /// Match probability at or above which a pair is queued for review.
    pub possible: f64,
    /// A block with more records than this is not compared (its pairs would swamp the run); the
    /// records it holds are still compared through the other blocks.
    pub max_block: usize,
    /// Random pairs counted to estimate u.
    pub random_pairs: usize,
    /// Weights per level the rules file fixes, by index into [`COMPARISONS`]: used instead of
    /// the estimates.
    pub fixed: HashMap<usize, Vec<f64>>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            comparisons: (0..COMPARISONS.len()).collect(),
            blocks: Block::ALL.to_vec(),
            same: 0.999,
            possible: 0.5,
            max_block: 5_000,
            random_pairs: 2_000_000,
            fixed: HashMap::new(),
        }
    }
}

/// A pair at or above the "possible" threshold.
#[derive(Debug, Clone)]
pub struct Pair {
    pub a: u32,
    pub b: u32,
    /// Sum of the levels' weights (log₂ of the likelihood ratio).
    pub weight: f64,
    pub probability: f64,
    /// Per comparison in [`Settings::comparisons`].
    pub levels: Vec<Level>,
    /// A link for a person to confirm, never made automatically, however strong: one record
    /// is a pre-birth record (twins share the expected date); the two carry different valid
    /// NHS numbers or UPNs (a check digit catches every single-digit slip, so two valid numbers
    /// are two people, or one record holds a parent's number); or one's first name is the
    /// other's middle name, with the same birth and household (twins named after each other).
    pub review_only: bool,
}

impl Pair {
    pub fn same(&self, s: &Settings) -> bool {
        self.probability >= s.same && !self.review_only
    }
}

/// The estimated parameters, for the run's outputs: what each level weighs and why.
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    /// Probability that two records picked at random are the same person.
    pub prior: f64,
    pub comparisons: Vec<ComparisonModel>,
    /// Candidate pairs compared, per block, and blocks too large to compare.
    pub pairs_compared: u64,
    pub by_block: Vec<BlockStats>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComparisonModel {
    pub comparison: &'static str,
    pub levels: Vec<LevelModel>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LevelModel {
    pub level: &'static str,
    /// Share of true duplicates at this level (estimated), or `None` when the weight is fixed.
    pub m: Option<f64>,
    /// Share of unrelated pairs at this level (counted on random pairs).
    pub u: Option<f64>,
    pub weight: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BlockStats {
    pub block: Block,
    pub pairs: u64,
    pub skipped_blocks: u64,
    pub skipped_records: u64,
}

/// What matching found.
pub struct Outcome {
    /// Pairs at or above the "possible" threshold, strongest first.
    pub pairs: Vec<Pair>,
    pub model: Model,
}

/// Per comparison and level: log₂(m/u), and for frequency-adjusted comparisons m at exact.
struct Weights {
    w: Vec<Vec<f64>>,
    m_exact: Vec<Option<f64>>,
    tf: Vec<Option<HashMap<String, f64>>>,
    /// log₂ of the prior odds.
    prior_odds: f64,
}

pub fn find(people: &[Person], s: &Settings, cx: &Cx) -> Outcome {
    assert!(s.comparisons.len() <= MAX_COMPARISONS);
    let kinds: Vec<&dyn Comparison> = s.comparisons.iter().map(|&i| COMPARISONS[i]).collect();
    let hasher = foldhash::fast::FixedState::with_seed(BLOCK_SEED);
    let keys: Vec<Vec<Option<u64>>> = s
        .blocks
        .iter()
        .map(|b| people.par_iter().map(|p| b.key(p, &hasher)).collect())
        .collect();
    let groups: Vec<Vec<Vec<u32>>> = keys.iter().map(|k| groups_of(k)).collect();

    // Pass 1: how often each pattern of levels occurs, per block: over all of the block's pairs
    // (what EM learns from: a block's pairs are chosen by its key alone), and over the pairs
    // it is the first to bring together (each candidate pair counted once, for the prior).
    let mut by_block = Vec::new();
    let mut own: Vec<HashMap<u64, u64>> = Vec::new();
    let mut first: Vec<HashMap<u64, u64>> = Vec::new();
    for (bi, block) in s.blocks.iter().enumerate() {
        let (compared, skipped): (Vec<&Vec<u32>>, Vec<&Vec<u32>>) =
            groups[bi].iter().partition(|g| g.len() <= s.max_block);
        // Patterns are counted on a fixed sample of at most EM_SAMPLE_PAIRS pairs a block
        // (each standing for `step`): enough to estimate from, and cheap at a million people.
        let total: u64 = compared.iter().map(|g| (g.len() * (g.len() - 1) / 2) as u64).sum();
        let step = total.div_ceil(EM_SAMPLE_PAIRS).max(1);
        type Counts = (HashMap<u64, u64>, HashMap<u64, u64>, u64);
        let empty = || (HashMap::new(), HashMap::new(), 0);
        let (all, once, first_pairs) = compared
            .par_iter()
            .fold(empty, |(mut all, mut once, mut n): Counts, g| {
                each_pair(g, bi, &keys, |a, b, earlier| {
                    n += u64::from(!earlier);
                    if step > 1 && !sample_hash(a, b).is_multiple_of(step) {
                        return;
                    }
                    let p = pattern(&kinds, &people[a as usize], &people[b as usize], cx);
                    *all.entry(p).or_default() += step;
                    if !earlier {
                        *once.entry(p).or_default() += step;
                    }
                });
                (all, once, n)
            })
            .reduce(empty, |(a1, o1, n1), (a2, o2, n2)| {
                (merge(a1, a2), merge(o1, o2), n1 + n2)
            });
        by_block.push(BlockStats {
            block: *block,
            pairs: first_pairs,
            skipped_blocks: skipped.len() as u64,
            skipped_records: skipped.iter().map(|g| g.len() as u64).sum(),
        });
        own.push(all);
        first.push(once);
    }
    let u = estimate_u(people, &kinds, cx, s.random_pairs);
    let m = match anchored_m(people, &kinds, cx) {
        Some(m) => m,
        None => estimate_m(&kinds, &s.blocks, &own, &u),
    };
    let all: HashMap<u64, u64> = first.into_iter().fold(HashMap::new(), merge);
    let prior = estimate_prior(&kinds, &all, &m, &u, people.len());
    let weights = Weights {
        w: kinds
            .iter()
            .enumerate()
            .map(|(c, k)| match (s.fixed.get(&s.comparisons[c]), k.fixed_weights()) {
                (Some(w), _) => w.clone(),
                (None, Some(w)) => w.to_vec(),
                (None, None) => (0..k.levels().len()).map(|l| (m[c][l] / u[c][l]).log2()).collect(),
            })
            .collect(),
        // A weight the rules file fixes is used as written, with no frequency adjustment.
        m_exact: kinds
            .iter()
            .enumerate()
            .map(|(c, k)| (k.fixed_weights().is_none() && !s.fixed.contains_key(&s.comparisons[c])).then(|| m[c][0]))
            .collect(),
        tf: kinds
            .iter()
            .map(|&k| k.frequency_adjusted().then(|| compare::frequencies(people, k)))
            .collect(),
        prior_odds: (prior / (1.0 - prior)).log2(),
    };

    // One record's first name is the other's middle name, born the same day in one household:
    // the same child known by another name, or twins named after each other. Only a person can
    // tell.
    let at = |name: &str| kinds.iter().position(|k| k.name() == name);
    let (first, born, surname, postcode) = (at("first_name"), at("date_of_birth"), at("surname"), at("postcode"));
    let is = |p: u64, c: Option<usize>, l: usize| c.is_some_and(|c| level_of(p, c) == Some(l));
    let twin_by_middle_name = |p: u64| is(p, first, 3) && is(p, born, 0) && (is(p, surname, 0) || is(p, postcode, 0));

    // Pass 2: score every candidate pair, keep those worth a person's attention.
    let threshold = s.possible;
    let mut pairs: Vec<Pair> = (0..s.blocks.len())
        .into_par_iter()
        .flat_map_iter(|bi| {
            groups[bi]
                .iter()
                .filter(|g| g.len() <= s.max_block)
                .map(move |g| (bi, g))
        })
        .fold(Vec::new, |mut acc, (bi, g)| {
            each_pair(g, bi, &keys, |a, b, earlier| {
                if earlier {
                    return;
                }
                let (pa, pb) = (&people[a as usize], &people[b as usize]);
                let p = pattern(&kinds, pa, pb, cx);
                let weight = score(&kinds, &weights, p, pa);
                let probability = probability(weight + weights.prior_odds);
                if probability >= threshold {
                    let levels: Vec<Level> = (0..kinds.len()).map(|c| level_of(p, c).map(|l| l as u8)).collect();
                    acc.push(Pair {
                        a,
                        b,
                        weight,
                        probability,
                        levels,
                        review_only: pa.pre_birth
                            || pb.pre_birth
                            || pa.nhs.zip(pb.nhs).is_some_and(|(x, y)| x != y)
                            || pa.upn.zip(pb.upn).is_some_and(|(x, y)| x != y)
                            || twin_by_middle_name(p),
                    });
                }
            });
            acc
        })
        .reduce(Vec::new, |mut a, mut b| {
            a.append(&mut b);
            a
        });
    pairs.sort_by(|x, y| y.weight.total_cmp(&x.weight).then((x.a, x.b).cmp(&(y.a, y.b))));

    let estimated =
        |c: usize, k: &&dyn Comparison| k.fixed_weights().is_none() && !s.fixed.contains_key(&s.comparisons[c]);
    let model = Model {
        prior,
        comparisons: kinds
            .iter()
            .enumerate()
            .map(|(c, k)| ComparisonModel {
                comparison: k.name(),
                levels: k
                    .levels()
                    .iter()
                    .enumerate()
                    .map(|(l, &level)| LevelModel {
                        level,
                        m: estimated(c, k).then(|| m[c][l]),
                        u: estimated(c, k).then(|| u[c][l]),
                        weight: weights.w[c][l],
                    })
                    .collect(),
            })
            .collect(),
        pairs_compared: by_block.iter().map(|b| b.pairs).sum(),
        by_block,
    };
    Outcome { pairs, model }
}

fn merge(mut a: HashMap<u64, u64>, b: HashMap<u64, u64>) -> HashMap<u64, u64> {
    for (k, v) in b {
        *a.entry(k).or_default() += v;
    }
    a
}

/// Records grouped by key (groups of one dropped), each group in record order.
fn groups_of(keys: &[Option<u64>]) -> Vec<Vec<u32>> {
    let mut order: Vec<(u64, u32)> = keys
        .iter()
        .enumerate()
        .filter_map(|(i, k)| k.map(|k| (k, i as u32)))
        .collect();
    order.par_sort_unstable();
    order
        .chunk_by(|x, y| x.0 == y.0)
        .filter(|g| g.len() > 1)
        .map(|g| g.iter().map(|&(_, i)| i).collect())
        .collect()
}

/// Every pair of a block's group, and whether an earlier block brought it together already.
fn each_pair(group: &[u32], block: usize, keys: &[Vec<Option<u64>>], mut f: impl FnMut(u32, u32, bool)) {
    for (i, &a) in group.iter().enumerate() {
        for &b in &group[i + 1..] {
            let earlier = keys[..block]
                .iter()
                .any(|k| k[a as usize].is_some() && k[a as usize] == k[b as usize]);
            f(a, b, earlier);
        }
    }
}

/// The levels of a pair packed four bits each (NULL for no evidence).
fn pattern(kinds: &[&dyn Comparison], a: &Person, b: &Person, cx: &Cx) -> u64 {
    kinds.iter().enumerate().fold(0, |acc, (c, k)| {
        let level = k.compare(a, b, cx).map_or(NULL, u64::from);
        acc | level << (4 * c)
    })
}

fn level_of(pattern: u64, c: usize) -> Option<usize> {
    let l = (pattern >> (4 * c)) & 0xF;
    (l != NULL).then_some(l as usize)
}

/// u per comparison and level: shares among random pairs (every pair, when there are fewer
/// than `samples`), with each comparison's prior counted as [`compare::U_PRIOR_PAIRS`] pairs so
/// unseen levels, such as the same NHS number, never weigh infinitely and small tables stay sane.
fn estimate_u(people: &[Person], kinds: &[&dyn Comparison], cx: &Cx, samples: usize) -> Vec<Vec<f64>> {
    let n = people.len() as u64;
    let mut counts: Vec<Vec<f64>> = kinds.iter().map(|k| vec![0.0; k.levels().len()]).collect();
    let mut count = |a: u64, b: u64| {
        let p = pattern(kinds, &people[a as usize], &people[b as usize], cx);
        for (c, row) in counts.iter_mut().enumerate() {
            if let Some(l) = level_of(p, c) {
                row[l] += 1.0;
            }
        }
    };
    if n.saturating_mul(n.saturating_sub(1)) / 2 <= samples as u64 {
        for a in 0..n {
            for b in a + 1..n {
                count(a, b);
            }
        }
    } else {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            // splitmix64: a fixed sequence, so a run is repeatable.
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        for _ in 0..samples {
            let (a, b) = (next() % n, next() % n);
            if a != b {
                count(a, b);
            }
        }
    }
    kinds
        .iter()
        .zip(counts)
        .map(|(k, row)| {
            let total: f64 = row.iter().sum::<f64>() + compare::U_PRIOR_PAIRS;
            row.iter()
                .zip(k.u_prior())
                .map(|(&c, &prior)| (c + prior * compare::U_PRIOR_PAIRS) / total)
                .collect()
        })
        .collect()
}

/// Comparisons on identifiers: their m is known (their prior), not estimated. A valid NHS
/// number or UPN is one person's; true duplicates that both carry one nearly always carry the
/// same.
const IDENTIFIERS: [&str; 2] = ["nhs_number", "upn"];
/// Anchor pairs needed before their levels are trusted as m.
const MIN_ANCHORS: usize = 50;
/// How many anchor pairs a comparison's m prior weighs as.
const ANCHOR_PRIOR_PAIRS: f64 = 20.0;
/// Pairs per block whose patterns are counted for estimation; a larger block is sampled.
const EM_SAMPLE_PAIRS: u64 = 2_000_000;

/// A pair's place in the sample: a fixed mix of its two records, so a run is repeatable.
fn sample_hash(a: u32, b: u32) -> u64 {
    let mut z = (u64::from(a) << 32 | u64::from(b)).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Candidate pairs a block needs before EM learns from it, and before the prior is estimated.
const MIN_EM_PAIRS: u64 = 1_000;
/// The share of records with a duplicate assumed when a table is too small to estimate it.
const DUPLICATE_SHARE: f64 = 0.1;

/// m per comparison and level counted on *anchor* pairs: records sharing a valid NHS number or
/// UPN, which are the same child whatever else differs. Chosen by identifier alone, their names,
/// dates and postcodes vary as true duplicates' do. `None` when there are too few anchors (then
/// m is estimated by EM).
fn anchored_m(people: &[Person], kinds: &[&dyn Comparison], cx: &Cx) -> Option<Vec<Vec<f64>>> {
    let hasher = foldhash::fast::FixedState::with_seed(BLOCK_SEED);
    let mut anchors: Vec<(u32, u32)> = Vec::new();
    for block in [Block::NhsNumber, Block::Upn] {
        let keys: Vec<Option<u64>> = people.iter().map(|p| block.key(p, &hasher)).collect();
        for g in groups_of(&keys).iter().filter(|g| g.len() <= 20) {
            for (i, &a) in g.iter().enumerate() {
                anchors.extend(g[i + 1..].iter().map(|&b| (a, b)));
            }
        }
    }
    anchors.sort_unstable();
    anchors.dedup();
    if anchors.len() < MIN_ANCHORS {
        return None;
    }
    let mut counts: Vec<Vec<f64>> = kinds.iter().map(|k| vec![0.0; k.levels().len()]).collect();
    for &(a, b) in &anchors {
        let p = pattern(kinds, &people[a as usize], &people[b as usize], cx);
        for (c, row) in counts.iter_mut().enumerate() {
            if let Some(l) = level_of(p, c) {
                row[l] += 1.0;
            }
        }
    }
    Some(
        kinds
            .iter()
            .zip(counts)
            .map(|(k, row)| {
                if IDENTIFIERS.contains(&k.name()) {
                    return k.m_prior().to_vec();
                }
                // The prior counts as a few anchors: a level no anchor shows is rare, not
                // impossible, and a comparison anchors never reach (pre-birth records carry no
                // NHS number) keeps its prior.
                let total: f64 = row.iter().sum::<f64>() + ANCHOR_PRIOR_PAIRS;
                row.iter()
                    .zip(k.m_prior())
                    .map(|(&c, &prior)| (c + prior * ANCHOR_PRIOR_PAIRS) / total)
                    .collect()
            })
            .collect(),
    )
}

/// m per comparison and level by expectation maximisation, once per block over the pairs it
/// brought together, leaving out the comparisons it fixed; each comparison's m is the average
/// of its estimates, weighted by the block's expected matches.
fn estimate_m(
    kinds: &[&dyn Comparison],
    blocks: &[Block],
    patterns: &[HashMap<u64, u64>],
    u: &[Vec<f64>],
) -> Vec<Vec<f64>> {
    let initial: Vec<Vec<f64>> = kinds.iter().map(|k| k.m_prior().to_vec()).collect();
    let mut sum: Vec<Vec<f64>> = kinds.iter().map(|k| vec![0.0; k.levels().len()]).collect();
    let mut weight: Vec<f64> = vec![0.0; kinds.len()];
    for (block, counts) in blocks.iter().zip(patterns) {
        // Too few pairs to learn from: the priors stand.
        if counts.values().sum::<u64>() < MIN_EM_PAIRS {
            continue;
        }
        let active: Vec<bool> = kinds
            .iter()
            .map(|k| k.fixed_weights().is_none() && !block.fixes().contains(&k.name()))
            .collect();
        // Identifiers' m is known (their prior), so they steer the estimate without being
        // re-estimated: twins, with two valid NHS numbers, cannot pass for duplicates.
        let learn: Vec<bool> = (0..kinds.len())
            .map(|c| active[c] && !IDENTIFIERS.contains(&kinds[c].name()))
            .collect();
        let mut m = initial.clone();
        let mut lambda: f64 = 0.1;
        let mut expected = 0.0;
        for _ in 0..40 {
            let mut acc: Vec<Vec<f64>> = kinds.iter().map(|k| vec![0.0; k.levels().len()]).collect();
            let (mut matches, mut total) = (0.0, 0.0);
            for (&p, &n) in counts {
                let (mut lm, mut lu) = (lambda.ln(), (1.0 - lambda).ln());
                for c in (0..kinds.len()).filter(|&c| active[c]) {
                    if let Some(l) = level_of(p, c) {
                        lm += m[c][l].ln();
                        lu += u[c][l].ln();
                    }
                }
                let post = 1.0 / (1.0 + (lu - lm).exp());
                let n = n as f64;
                matches += post * n;
                total += n;
                for c in (0..kinds.len()).filter(|&c| active[c]) {
                    if let Some(l) = level_of(p, c) {
                        acc[c][l] += post * n;
                    }
                }
            }
            if total == 0.0 {
                break;
            }
            lambda = (matches / total).clamp(1e-9, 1.0 - 1e-9);
            expected = matches;
            for c in (0..kinds.len()).filter(|&c| learn[c]) {
                let t: f64 = acc[c].iter().sum::<f64>() + 1e-3 * acc[c].len() as f64;
                if t > 1e-3 * acc[c].len() as f64 {
                    m[c] = acc[c].iter().map(|&a| (a + 1e-3) / t).collect();
                }
            }
        }
        for c in (0..kinds.len()).filter(|&c| learn[c]) {
            for (l, v) in m[c].iter().enumerate() {
                sum[c][l] += v * expected;
            }
            weight[c] += expected;
        }
    }
    sum.into_iter()
        .zip(weight)
        .zip(initial)
        .map(|((row, w), init)| {
            if w > 0.0 {
                row.iter().map(|v| v / w).collect()
            } else {
                init
            }
        })
        .collect()
}

/// Probability two random records are one person: the expected matches among all candidate
/// pairs (EM on the prior alone, with m and u fixed) over every possible pair.
fn estimate_prior(kinds: &[&dyn Comparison], all: &HashMap<u64, u64>, m: &[Vec<f64>], u: &[Vec<f64>], n: usize) -> f64 {
    let total: f64 = all.values().map(|&c| c as f64).sum();
    let pairs = (n as f64) * (n as f64 - 1.0) / 2.0;
    if pairs <= 0.0 {
        return 1e-9;
    }
    // A small table says too little: assume one record in ten has a duplicate.
    if total < MIN_EM_PAIRS as f64 {
        return (DUPLICATE_SHARE / (n as f64 - 1.0).max(1.0)).min(0.5);
    }
    let mut lambda: f64 = 0.1;
    for _ in 0..40 {
        let mut matches = 0.0;
        for (&p, &c) in all {
            let (mut lm, mut lu) = (lambda.ln(), (1.0 - lambda).ln());
            for (ci, k) in kinds.iter().enumerate() {
                if k.fixed_weights().is_some() {
                    continue;
                }
                if let Some(l) = level_of(p, ci) {
                    lm += m[ci][l].ln();
                    lu += u[ci][l].ln();
                }
            }
            matches += c as f64 / (1.0 + (lu - lm).exp());
        }
        lambda = (matches / total).clamp(1e-12, 1.0 - 1e-9);
    }
    (lambda * total / pairs).clamp(1e-12, 0.5)
}

/// A pair's weight from its pattern of levels (and, for names agreeing exactly, how common the
/// name is).
fn score(kinds: &[&dyn Comparison], w: &Weights, pattern: u64, a: &Person) -> f64 {
    let mut total = 0.0;
    for (c, k) in kinds.iter().enumerate() {
        let Some(l) = level_of(pattern, c) else { continue };
        total += match (&w.tf[c], w.m_exact[c], l) {
            // Agreeing on a common value is weaker evidence than agreeing on a rare one.
            (Some(tf), Some(m), 0) => {
                let f = k.frequency_key(a).and_then(|v| tf.get(v)).copied().unwrap_or(0.0);
                if f > 0.0 { (m / f).log2() } else { w.w[c][0] }
            }
            _ => w.w[c][l],
        };
    }
    total
}

fn probability(log2_odds: f64) -> f64 {
    1.0 / (1.0 + (-log2_odds).exp2())
}

#[cfg(test)]
mod tests;
