//! Postcode geography, as the ONS publishes it in its postcode directory: where a postcode is
//! (its OS grid reference, in metres) and which council it is in.
//!
//! The SSDA903 return derives three things about a placement from it (the DfE's guidance and
//! validator): its distance from the child's home, its local authority and whether that is the
//! council's own. A directory holds about 2.7 million postcodes, so a postcode is kept as at most
//! eight bytes (upper case, spaces removed) and its council as an index into one list of codes.

use std::collections::HashMap;

/// A postcode as the directory is searched by it: upper case, spaces removed, at most 8 bytes.
pub type Key = [u8; 8];

/// The postcode directory, or the part of it a run was given.
#[derive(Debug, Default)]
pub struct Postcodes {
    /// Looked up for every placement of every rule that reads a distance: foldhash, not
    /// SipHash (the keys are eight bytes of a published directory, not hostile input).
    places: HashMap<Key, Place, foldhash::fast::RandomState>,
    /// Upper-tier council codes, each once; a [`Place`] holds its index.
    councils: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
}

/// Where one postcode is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    /// Easting and northing in metres, when the directory gives a grid reference.
    pub grid: Option<(f64, f64)>,
    pub nation: Nation,
    /// The upper-tier council (England only), an index into [`Postcodes::councils`].
    council: Option<u32>,
}

/// The part of the UK (or the Crown dependency) a postcode's council code says it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nation {
    England,
    Wales,
    Scotland,
    NorthernIreland,
    /// The Channel Islands and the Isle of Man (pseudo codes `L99999999`, `M99999999`).
    Other,
}

impl Nation {
    /// From a GSS council code's first letter.
    pub fn of(code: &str) -> Nation {
        match code.as_bytes().first().map(u8::to_ascii_uppercase) {
            Some(b'E') => Nation::England,
            Some(b'W') => Nation::Wales,
            Some(b'S') => Nation::Scotland,
            Some(b'N') => Nation::NorthernIreland,
            _ => Nation::Other,
        }
    }
}

/// A county code that means "no county": the directory's pseudo code for a unitary area.
fn no_county(code: &str) -> bool {
    code.is_empty() || code.ends_with("99999999")
}

/// The key a postcode is found by: upper case with every space removed (`ne1 4ab` and `NE14AB`
/// are one postcode), or `None` if it is blank or longer than any postcode.
pub fn key(text: &str) -> Option<Key> {
    let mut key = [0u8; 8];
    let mut n = 0;
    for b in text.bytes().filter(|b| !b.is_ascii_whitespace()) {
        if n == key.len() {
            return None;
        }
        key[n] = b.to_ascii_uppercase();
        n += 1;
    }
    (n > 0).then_some(key)
}

impl Postcodes {
    /// Add a directory row: its postcode, grid reference, lower-tier council (`laua`) and county
    /// (`cty`). The upper-tier council is the county, or the district where there is none. A
    /// postcode listed twice keeps its first row.
    pub fn add(&mut self, postcode: &str, grid: Option<(f64, f64)>, district: &str, county: &str) {
        if let Some(key) = key(postcode) {
            self.add_key(key, grid, district, county);
        }
    }

    /// [`Postcodes::add`], for a postcode already made a [`key`].
    pub fn add_key(&mut self, key: Key, grid: Option<(f64, f64)>, district: &str, county: &str) {
        if self.places.contains_key(&key) {
            return;
        }
        let nation = Nation::of(district);
        let council = (nation == Nation::England).then(|| {
            let code = if no_county(county) { district } else { county };
            self.intern(code)
        });
        self.places.entry(key).or_insert(Place { grid, nation, council });
    }

    fn intern(&mut self, code: &str) -> u32 {
        if let Some(&i) = self.index.get(code) {
            return i;
        }
        let i = self.councils.len() as u32;
        self.councils.push(code.into());
        self.index.insert(code.into(), i);
        i
    }

    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Where a postcode is, if the directory lists it.
    pub fn place(&self, postcode: &str) -> Option<&Place> {
        self.get(&key(postcode)?)
    }

    /// Where a postcode already made a [`key`] is.
    pub fn get(&self, key: &Key) -> Option<&Place> {
        self.places.get(key)
    }

    /// The placement local authority the DfE derives: the upper-tier council's code in England,
    /// `WAL`, `SCO` or `NIR` elsewhere in the UK, none in the Crown dependencies.
    pub fn local_authority(&self, place: &Place) -> Option<&str> {
        match place.nation {
            Nation::England => place.council.map(|i| &*self.councils[i as usize]),
            Nation::Wales => Some("WAL"),
            Nation::Scotland => Some("SCO"),
            Nation::NorthernIreland => Some("NIR"),
            Nation::Other => None,
        }
    }
}

/// Straight-line miles between two places, to a tenth of a mile, as the DfE's guidance gives
/// it: the distance in metres / 1000 / 1.6093, rounded half to even (as its validator does).
pub fn miles(a: &Place, b: &Place) -> Option<f64> {
    let ((ae, an), (be, bn)) = (a.grid?, b.grid?);
    let miles = ((ae - be).powi(2) + (an - bn).powi(2)).sqrt() / 1000.0 / 1.6093;
    Some((miles * 10.0).round_ties_even() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> Postcodes {
        let mut p = Postcodes::default();
        p.add("NF1 1AA", Some((430_000.0, 560_000.0)), "E06000990", "E99999999");
        p.add("CT2 3BB", Some((440_000.0, 570_000.0)), "E07000991", "E10000990");
        p.add("CT2 3BB", Some((0.0, 0.0)), "E06000001", "");
        p.add("WA1 1AA", None, "W06000990", "");
        p.add("GY1 1AA", None, "L99999999", "");
        p
    }

    #[test]
    fn postcodes_are_found_whatever_their_case_and_spacing() {
        let p = directory();
        assert!(p.place("nf11aa").is_some());
        assert!(p.place(" NF1  1AA ").is_some());
        assert!(p.place("NF1 1AB").is_none());
        assert!(p.place("").is_none());
        assert!(p.place("NF1 1AA 1AA").is_none());
    }

    #[test]
    fn the_council_is_the_county_where_there_is_one() {
        let p = directory();
        let la = |pc: &str| p.local_authority(p.place(pc).unwrap()).map(str::to_string);
        assert_eq!(la("NF1 1AA").as_deref(), Some("E06000990"));
        // The first row of a postcode listed twice.
        assert_eq!(la("CT2 3BB").as_deref(), Some("E10000990"));
        assert_eq!(la("WA1 1AA").as_deref(), Some("WAL"));
        assert_eq!(la("GY1 1AA"), None);
    }

    #[test]
    fn distances_are_miles_to_a_tenth() {
        let p = directory();
        let (a, b) = (p.place("NF1 1AA").unwrap(), p.place("CT2 3BB").unwrap());
        // 14,142 m is 8.787... miles.
        assert_eq!(miles(a, b), Some(8.8));
        assert_eq!(miles(a, a), Some(0.0));
        assert_eq!(miles(a, p.place("WA1 1AA").unwrap()), None);
    }
}
