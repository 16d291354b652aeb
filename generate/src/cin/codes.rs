//! The CIN census's code lists (with roughly how often a council uses each, per mille-ish) and
//! the council's identifiers: child ids and UPNs.

use crate::ids::{ID_STEP, upn_check_letter};
use crate::rng::{Rng, mix};

/// Northfield's DfE local authority number in the header (fictional: no council has it).
pub(crate) const LEA: &str = "990";

/// Characters 2 to 4 of the council's UPNs. A UPN's LA number must be one the DfE lists (rule
/// 1530, `cin2023_24/rule_1530.py` in the DfE's validator), and Northfield's fictional 990 is not
/// on that list; `001` is one of the DfE's "pseudo LA" codes, so the UPNs pass without naming a
/// real council's schools. A UPN with 990 there is a planted problem (1530).
pub(crate) const UPN_LA: &[u8; 3] = b"001";

pub(crate) const ETHNICITY: [&str; 20] = [
    "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN", "AOTH", "BCRB",
    "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
];
pub(crate) const ETHNICITY_W: [u16; 20] = [680, 4, 6, 45, 6, 30, 12, 12, 30, 8, 20, 8, 12, 12, 30, 10, 2, 18, 6, 7];

/// Disabilities other than `NONE`.
pub(crate) const DISABILITY: [&str; 12] = [
    "MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT", "DDA",
];
pub(crate) const DISABILITY_W: [u16; 12] = [8, 4, 6, 3, 20, 30, 4, 4, 15, 2, 25, 6];

pub(crate) const REFERRAL_SOURCE: [&str; 22] = [
    "1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F", "4", "5A", "5B", "5C", "5D", "6", "7", "8",
    "9", "10",
];
pub(crate) const REFERRAL_SOURCE_W: [u16; 22] = [
    45, 10, 8, 8, 200, 30, 25, 30, 8, 20, 15, 30, 20, 30, 15, 20, 40, 290, 30, 45, 8, 13,
];

pub(crate) const PRIMARY_NEED: [&str; 10] = ["N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9", "N0"];
pub(crate) const PRIMARY_NEED_W: [u16; 10] = [540, 100, 40, 90, 150, 20, 3, 30, 15, 12];

/// Why a case closed, other than after an assessment (RC8, RC9) or a death (RC2).
pub(crate) const CLOSURE: [&str; 6] = ["RC1", "RC3", "RC4", "RC5", "RC6", "RC7"];
pub(crate) const CLOSURE_W: [u16; 6] = [5, 25, 20, 60, 25, 865];

pub(crate) const ABUSE: [&str; 5] = ["NEG", "PHY", "SAB", "EMO", "MUL"];
pub(crate) const ABUSE_W: [u16; 5] = [500, 70, 40, 370, 20];

/// Factors identified at assessment (`21`, no factors, is handled apart: alone only, and only
/// before an RC8 or RC9 closure; 18A and 19A, which the DfE queries, are never drawn).
pub(crate) const FACTORS: [&str; 40] = [
    "1A", "1B", "1C", "2A", "2B", "2C", "3A", "3B", "3C", "4A", "4B", "4C", "5A", "5B", "5C", "6A", "6B", "6C", "7A",
    "8B", "8C", "9A", "10A", "11A", "12A", "13A", "14A", "15A", "16A", "17A", "18B", "18C", "19B", "19C", "20", "22A",
    "23A", "24A", "8D", "8E",
];
pub(crate) const FACTORS_W: [u16; 40] = [
    8, 35, 6, 8, 40, 8, 30, 110, 25, 30, 120, 8, 5, 20, 3, 12, 25, 4, 10, 2, 1, 6, 20, 15, 2, 10, 20, 25, 90, 100, 10,
    40, 6, 12, 30, 1, 2, 15, 1, 1,
];

/// A few distinct factors (one to four), into `out`.
pub(crate) fn factors(rng: &mut Rng, out: &mut Few<&'static str, 6>) {
    out.clear();
    let n = 1 + rng.weighted(&[30, 35, 22, 13]);
    while out.len() < n {
        let f = FACTORS[rng.weighted(&FACTORS_W)];
        if !out.as_slice().contains(&f) {
            out.push(f);
        }
    }
}

/// A short list kept inline (factors, review dates): no allocation per child.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Few<T: Copy + Default, const N: usize> {
    v: [T; N],
    n: u8,
}

impl<T: Copy + Default, const N: usize> Default for Few<T, N> {
    fn default() -> Self {
        Few {
            v: [T::default(); N],
            n: 0,
        }
    }
}

impl<T: Copy + Default, const N: usize> Few<T, N> {
    pub(crate) fn push(&mut self, x: T) {
        if (self.n as usize) < N {
            self.v[self.n as usize] = x;
            self.n += 1;
        }
    }

    pub(crate) fn insert(&mut self, at: usize, x: T) {
        if (self.n as usize) < N {
            self.v.copy_within(at..self.n as usize, at + 1);
            self.v[at] = x;
            self.n += 1;
        }
    }

    pub(crate) fn clear(&mut self) {
        self.n = 0;
    }

    pub(crate) fn len(&self) -> usize {
        self.n as usize
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.n == 0
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        &self.v[..self.n as usize]
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.v[..self.n as usize]
    }
}

/// The `k`-th child's UPN: check letter, [`UPN_LA`] and nine digits, distinct for every `k`
/// below a billion (the step is coprime to 10⁹), so no two children share one (rule 1520).
pub(crate) fn upn(seed: u64, k: u64) -> [u8; 13] {
    let serial = (k
        .wrapping_mul(ID_STEP)
        .wrapping_add(mix(seed ^ 0x0043_494E) % 1_000_000_000))
        % 1_000_000_000;
    upn_with(UPN_LA, serial)
}

/// A UPN of `la` and the nine digits of `serial`, with its check letter.
pub(crate) fn upn_with(la: &[u8; 3], serial: u64) -> [u8; 13] {
    let mut body = [0u8; 12];
    body[..3].copy_from_slice(la);
    let mut n = serial % 1_000_000_000;
    for b in body[3..].iter_mut().rev() {
        *b = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let mut out = [0u8; 13];
    out[0] = upn_check_letter(&body).expect("twelve digits have a check letter");
    out[1..].copy_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::upn_valid;

    #[test]
    fn upns_are_valid_distinct_and_of_the_pseudo_la() {
        let mut seen = std::collections::HashSet::new();
        for k in 0..20_000 {
            let u = upn(7, k);
            assert!(upn_valid(std::str::from_utf8(&u).unwrap()));
            assert_eq!(&u[1..4], UPN_LA);
            assert!(seen.insert(u));
        }
        assert_eq!(ETHNICITY.len(), ETHNICITY_W.len());
        assert!(!FACTORS.contains(&"21") && !FACTORS.contains(&"18A") && !FACTORS.contains(&"19A"));
    }
}
