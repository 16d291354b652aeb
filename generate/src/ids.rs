//! Identifiers: the fictional `NF` id numbers (of children, and of person records), NHS numbers
//! (mod-11 check digit) and UPNs (the DfE's check letter).

use crate::rng::mix;

/// The step between consecutive id numbers (coprime to every id range), also used to spread
/// NHS numbers and UPNs over their ranges.
pub(crate) const ID_STEP: u64 = 618_037;

/// Id numbers for `count` children or records: distinct and in no order, six digits (more when
/// there are too many for that): i ↦ base + (i·ID_STEP + offset) mod range, with the step coprime
/// to the range (whose only prime factors are 2, 3 and 5).
pub(crate) struct IdScheme {
    /// The smallest id number: a power of ten, so every id number has as many digits.
    pub(crate) base: u64,
    range: u64,
    offset: u64,
    /// `ID_STEP`⁻¹ mod `range`, to map an id number back to its index.
    inverse: u64,
}

impl IdScheme {
    /// The scheme for `count` ids, its offset drawn from `seed` (salted for its purpose).
    pub(crate) fn new(count: usize, seed: u64) -> Self {
        let mut base = 100_000u64;
        while base * 9 < count as u64 * 2 {
            base *= 10;
        }
        IdScheme {
            base,
            range: base * 9,
            offset: mix(seed) % (base * 9),
            inverse: inverse_mod(ID_STEP, base * 9),
        }
    }

    /// The `i`-th id number.
    pub(crate) fn num(&self, i: u64) -> u32 {
        (self.base + (i * ID_STEP + self.offset) % self.range) as u32
    }

    /// How many distinct id numbers the scheme has (indices at or past it repeat them).
    pub(crate) fn len(&self) -> u64 {
        self.range
    }

    /// The index whose id number this is (the inverse of [`IdScheme::num`]), if it is one.
    pub(crate) fn index(&self, num: u64) -> Option<u64> {
        let x = num.checked_sub(self.base).filter(|&x| x < self.range)?;
        let step = (x + self.range - self.offset) % self.range;
        Some((u128::from(step) * u128::from(self.inverse) % u128::from(self.range)) as u64)
    }
}

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
pub(crate) fn nhs_check_digit(nine: &[u32]) -> Option<u32> {
    let sum: u32 = nine.iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
    Some((11 - sum % 11) % 11).filter(|&c| c < 10)
}

/// The DfE's check-letter alphabet (no I, O or S): value `v` is `UPN_LETTERS[v]`.
pub(crate) const UPN_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
