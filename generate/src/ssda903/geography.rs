//! Where the return's children live and are placed: Northfield and its neighbours (all
//! fictional, with postcode areas and ONS codes no real place has), each postcode's OS grid
//! reference, and the postcode directory written beside the return (`postcodes.csv`, laid out
//! as the ONS publishes its postcode directory, ONSPD), from which the DfE derives a
//! placement's local authority (PL_LA), whether it is the council's own (PL_LOCATION) and its
//! distance from home (PL_DISTANCE).
//!
//! | area | postcodes | council (ONSPD `oslaua`, `oscty`) | where |
//! |---|---|---|---|
//! | Northfield (the council) | `NF1`–`NF20` | unitary `E06000990` (county `E99999999`) | around easting 430 km, northing 560 km |
//! | Eastmoor | `EM1`–`EM16` | districts `E07000991` (EM1–6), `E07000992` (EM7–11), `E07000993` (EM12–16) of the county `E10000990` | east |
//! | Southdale | `SD1`–`SD12` | unitary `E06000991` | south |
//! | Kingsholm | `KH1`–`KH14` | metropolitan borough `E08000990` (county `E99999999`) | west |
//! | Glanrafon, Wales | `CY1`–`CY8` | `W06000990` (county `W99999999`) | 150 to 230 miles south-west |
//! | Strathbeg, Scotland | `SB1`–`SB10` | `S12000990` (county `S99999999`) | 265 to 395 miles north |
//!
//! A child's home is in Northfield. Placements are mostly there, and otherwise in the
//! neighbouring English councils (about one in five), Wales or Scotland (about one in a
//! hundred), as the rules need them: the council's own provision other than foster care,
//! adoption and supported accommodation is in Northfield (rule 1015), so is supported
//! accommodation with a URN (241), and placements in Wales and Scotland have no Ofsted URN (218,
//! 243). The northern districts of Strathbeg are over 350 miles from Northfield: the DfE queries
//! such a placement (454) though it is valid.
//!
//! A postcode's grid reference is a function of the postcode alone: its district is a cell of
//! its area's box, its sector a part of that cell. `<area><district> 9ZZ` is never drawn: it is
//! the form of the few postcodes the directory lists without a grid reference.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::render::push_uint;
use crate::rng::{Rng, mix};
use crate::vocab::POSTCODE_LETTERS;

/// The council the return is Northfield's: its upper-tier local authority code.
pub(crate) const LOCAL_AUTHORITY: &str = "E06000990";

/// One council's postcode area.
pub(crate) struct Area {
    /// The postcode area's letters.
    letters: &'static [u8],
    districts: u32,
    /// The lower-tier council (ONSPD `oslaua`) of the districts up to each bound.
    lower: &'static [(u32, &'static str)],
    /// ONSPD `oscty`: the county council, or the pseudo code of a place with none.
    county: &'static str,
    /// ONSPD `ctry`.
    country: &'static str,
    /// The OS grid box it covers, in metres: west, south, east, north.
    grid: [u32; 4],
    /// The DfE's PL_LA outside England.
    nation: Option<&'static str>,
}

pub(crate) const NORTHFIELD: usize = 0;
pub(crate) const EASTMOOR: usize = 1;
pub(crate) const SOUTHDALE: usize = 2;
pub(crate) const KINGSHOLM: usize = 3;
pub(crate) const WALES: usize = 4;
pub(crate) const SCOTLAND: usize = 5;

#[rustfmt::skip]
pub(crate) const AREAS: [Area; 6] = [
    Area { letters: b"NF", districts: 20, lower: &[(20, "E06000990")], county: "E99999999", country: "E92000001", grid: [418_000, 548_000, 444_000, 574_000], nation: None },
    Area { letters: b"EM", districts: 16, lower: &[(6, "E07000991"), (11, "E07000992"), (16, "E07000993")], county: "E10000990", country: "E92000001", grid: [444_000, 520_000, 480_000, 576_000], nation: None },
    Area { letters: b"SD", districts: 12, lower: &[(12, "E06000991")], county: "E99999999", country: "E92000001", grid: [400_000, 512_000, 444_000, 548_000], nation: None },
    Area { letters: b"KH", districts: 14, lower: &[(14, "E08000990")], county: "E99999999", country: "E92000001", grid: [384_000, 548_000, 418_000, 582_000], nation: None },
    Area { letters: b"CY", districts: 8, lower: &[(8, "W06000990")], county: "W99999999", country: "W92000004", grid: [300_000, 265_000, 336_000, 300_000], nation: Some("WAL") },
    Area { letters: b"SB", districts: 10, lower: &[(10, "S12000990")], county: "S99999999", country: "S92000003", grid: [395_000, 1_000_000, 470_000, 1_180_000], nation: Some("SCO") },
];

/// Where a kind of placement is, per mille by area (in the order of [`AREAS`]).
pub(crate) type Spread = [u16; 6];
/// At home, or the council's own provision other than foster care and adoption.
pub(crate) const LOCAL: Spread = [1000, 0, 0, 0, 0, 0];
/// The council's own foster carers.
pub(crate) const OWN_FOSTER: Spread = [900, 50, 30, 20, 0, 0];
/// Relatives and friends: some live further away.
pub(crate) const KIN: Spread = [820, 60, 40, 40, 20, 20];
/// Independent fostering agencies' carers.
pub(crate) const AGENCY_FOSTER: Spread = [660, 150, 90, 70, 20, 10];
/// The council's own adopters, and agencies'.
pub(crate) const OWN_ADOPTION: Spread = [700, 150, 80, 70, 0, 0];
pub(crate) const AGENCY_ADOPTION: Spread = [300, 300, 200, 180, 20, 0];
/// Private and voluntary children's homes, schools and units.
pub(crate) const HOMES: Spread = [560, 200, 100, 100, 25, 15];
/// Secure units: few, and far between.
pub(crate) const SECURE: Spread = [100, 350, 250, 150, 50, 100];
/// Young offender institutions (none in Northfield).
pub(crate) const YOI: Spread = [0, 500, 300, 200, 0, 0];
/// Hospitals and other health provision.
pub(crate) const HEALTH: Spread = [600, 200, 100, 100, 0, 0];
/// Temporary placements (holidays, hospital stays, respite).
pub(crate) const TEMP: Spread = [850, 60, 40, 40, 5, 5];
/// Other placements.
pub(crate) const OTHER: Spread = [700, 150, 100, 50, 0, 0];

/// The area of a kind of placement, drawn.
pub(crate) fn draw_area(rng: &mut Rng, spread: &Spread) -> usize {
    rng.weighted(spread)
}

const LETTERS: u32 = POSTCODE_LETTERS.len() as u32;
/// `Z`, the last of the unit letters.
const Z: u32 = LETTERS - 1;
/// The sector written as the letter O (a mistyped 0): a postcode no directory lists.
const SECTOR_O: u32 = 10;

/// A postcode: `<area><district> <sector><letter><letter>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Post(u32);

impl Post {
    fn new(area: usize, district: u32, sector: u32, a: u32, b: u32) -> Post {
        Post((area as u32) << 19 | district << 14 | sector << 10 | a << 5 | b)
    }

    /// A postcode in Northfield (a child's home).
    pub(crate) fn random(rng: &mut Rng) -> Post {
        Post::within(rng, NORTHFIELD)
    }

    /// A postcode in `area` with a grid reference.
    pub(crate) fn within(rng: &mut Rng, area: usize) -> Post {
        let district = 1 + rng.below(u64::from(AREAS[area].districts)) as u32;
        let sector = rng.below(10) as u32;
        let a = rng.below(u64::from(LETTERS)) as u32;
        let mut b = rng.below(u64::from(LETTERS)) as u32;
        if sector == 9 && a == Z && b == Z {
            b = Z - 1;
        }
        Post::new(area, district, sector, a, b)
    }

    /// A postcode in `area` other than `not`.
    pub(crate) fn other_than(rng: &mut Rng, area: usize, not: Option<Post>) -> Post {
        loop {
            let p = Post::within(rng, area);
            if Some(p) != not {
                return p;
            }
        }
    }

    /// The postcode the directory lists without a grid reference in a district of `area`.
    pub(crate) fn ungridded(area: usize, district: u32) -> Post {
        Post::new(area, district, 9, Z, Z)
    }

    /// The postcode with its sector's digit typed as the letter O: not in any directory.
    pub(crate) fn mistyped(self) -> Post {
        Post(self.0 & !(15 << 10) | SECTOR_O << 10)
    }

    pub(crate) fn area(self) -> usize {
        (self.0 >> 19 & 7) as usize
    }

    fn district(self) -> u32 {
        self.0 >> 14 & 31
    }

    fn sector(self) -> u32 {
        self.0 >> 10 & 15
    }

    fn letters(self) -> (u32, u32) {
        (self.0 >> 5 & 31, self.0 & 31)
    }

    /// Does the directory list it?
    pub(crate) fn listed(self) -> bool {
        self.sector() < 10
    }

    /// Its OS grid reference (easting, northing) in metres, if the directory gives one.
    pub(crate) fn grid(self) -> Option<(u32, u32)> {
        let (a, b) = self.letters();
        if !self.listed() || (self.sector() == 9 && a == Z && b == Z) {
            return None;
        }
        let area = &AREAS[self.area()];
        let [west, south, east, north] = area.grid;
        // Districts are cells of the area's box, numbered from the south-west; sectors are
        // tenths of a district (five across, two up); units are scattered within a sector.
        let cols = (1..).find(|c| c * c >= area.districts).expect("a square fits");
        let rows = area.districts.div_ceil(cols);
        let i = self.district() - 1;
        let (cw, ch) = ((east - west) / cols, (north - south) / rows);
        let (sw, sh) = (cw / 5, ch / 2);
        let h = mix(u64::from(self.0) ^ 0x5053_544E);
        let x = west + (i % cols) * cw + (self.sector() % 5) * sw + (h % u64::from(sw)) as u32;
        let y = south + (i / cols) * ch + (self.sector() / 5) * sh + ((h >> 32) % u64::from(sh)) as u32;
        Some((x, y))
    }

    /// The lower-tier council it is in (ONSPD `oslaua`).
    pub(crate) fn lower(self) -> &'static str {
        let area = &AREAS[self.area()];
        area.lower
            .iter()
            .find(|(last, _)| self.district() <= *last)
            .map_or(area.lower[area.lower.len() - 1].1, |l| l.1)
    }

    /// The local authority of placement the DfE derives (PL_LA): the upper-tier council in
    /// England (the county where there is one), `WAL` or `SCO` outside it.
    pub(crate) fn la(self) -> &'static str {
        let area = &AREAS[self.area()];
        match area.nation {
            Some(nation) => nation,
            None if area.county.ends_with("99999999") => self.lower(),
            None => area.county,
        }
    }

    /// Is it in England (where Ofsted registers providers)?
    pub(crate) fn england(self) -> bool {
        AREAS[self.area()].nation.is_none()
    }

    /// Is it in Northfield?
    pub(crate) fn local(self) -> bool {
        self.area() == NORTHFIELD
    }

    /// As written in the return and in the directory's `pcds`: `NF1 0AB`, `NF12 0AB`.
    pub(crate) fn push(self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(AREAS[self.area()].letters);
        push_uint(buf, u64::from(self.district()), 1);
        buf.push(b' ');
        self.push_inward(buf);
    }

    fn push_inward(self, buf: &mut Vec<u8>) {
        let sector = self.sector();
        buf.push(if sector == SECTOR_O { b'O' } else { b'0' + sector as u8 });
        let (a, b) = self.letters();
        buf.push(POSTCODE_LETTERS[a as usize]);
        buf.push(POSTCODE_LETTERS[b as usize]);
    }

    /// As the directory's `pcd` has it: seven characters, the outward code padded to four (so
    /// a four-character one has no space: `NF120AB`), then the inward code.
    fn push_padded(self, buf: &mut Vec<u8>) {
        let start = buf.len();
        buf.extend_from_slice(AREAS[self.area()].letters);
        push_uint(buf, u64::from(self.district()), 1);
        while buf.len() - start < 4 {
            buf.push(b' ');
        }
        self.push_inward(buf);
    }

    /// A dense number for each listed postcode, below [`SLOTS`].
    fn slot(self) -> Option<usize> {
        let (a, b) = self.letters();
        self.listed().then(|| {
            ((self.area() * 32 + self.district() as usize) * 10 + self.sector() as usize) * 400
                + (a * LETTERS + b) as usize
        })
    }

    fn from_slot(slot: usize) -> Post {
        let unit = (slot % 400) as u32;
        let rest = slot / 400;
        let sector = (rest % 10) as u32;
        let rest = rest / 10;
        Post::new(rest / 32, (rest % 32) as u32, sector, unit / LETTERS, unit % LETTERS)
    }
}

const SLOTS: usize = AREAS.len() * 32 * 10 * 400;

/// Straight-line miles between two postcodes, as the DfE derives PL_DISTANCE: the distance in
/// metres / 1000 / 1.6093, rounded to a tenth (half to even, as numpy does). `None` where either
/// has no grid reference.
pub(crate) fn miles(a: Post, b: Post) -> Option<f64> {
    let ((ae, an), (be, bn)) = (a.grid()?, b.grid()?);
    let (de, dn) = (f64::from(ae) - f64::from(be), f64::from(an) - f64::from(bn));
    let m = (de * de + dn * dn).sqrt() / 1000.0 / 1.6093;
    Some((m * 10.0).round_ties_even() / 10.0)
}

/// The postcodes a return uses, for its directory.
pub(crate) struct Directory {
    used: Vec<u64>,
}

/// How many postcodes the directory lists that the return does not use.
const OTHERS: usize = 300;
/// Where those are, per mille by area.
const OTHERS_SPREAD: Spread = [450, 200, 140, 140, 35, 35];
/// The postcodes listed with no grid reference: (area, district).
const UNGRIDDED: [(usize, u32); 6] = [
    (NORTHFIELD, 1),
    (NORTHFIELD, 4),
    (NORTHFIELD, 7),
    (EASTMOOR, 2),
    (SOUTHDALE, 3),
    (KINGSHOLM, 5),
];

/// The directory's columns: ONSPD's names, in its order, for the fields the DfE uses and a few
/// around them (the real file has some fifty).
const HEADER: &str = "pcd,pcds,dointr,doterm,oscty,oslaua,oseast1m,osnrth1m,osgrdind,ctry\n";

impl Directory {
    pub(crate) fn new() -> Directory {
        Directory {
            used: vec![0; SLOTS.div_ceil(64)],
        }
    }

    /// Note a postcode the return uses (one no directory lists is left out).
    pub(crate) fn note(&mut self, p: Post) {
        if let Some(s) = p.slot() {
            self.used[s / 64] |= 1 << (s % 64);
        }
    }

    fn has(&self, s: usize) -> bool {
        self.used[s / 64] >> (s % 64) & 1 == 1
    }

    /// Write `postcodes.csv`: every postcode noted, [`OTHERS`] more (a few of them terminated)
    /// and the [`UNGRIDDED`] ones, in `pcd` order as the ONS sorts its file, each value quoted
    /// as the ONS quotes them. Returns the rows written.
    pub(crate) fn write(mut self, seed: u64, path: &Path) -> io::Result<usize> {
        let mut rng = Rng::stream(seed, 0, super::SALT_DIRECTORY);
        let mut terminated = Directory::new();
        for _ in 0..OTHERS {
            let area = draw_area(&mut rng, &OTHERS_SPREAD);
            let p = Post::within(&mut rng, area);
            let s = p.slot().expect("drawn postcodes are listed");
            if !self.has(s) {
                self.note(p);
                if rng.chance(60) {
                    terminated.note(p);
                }
            }
        }
        for (area, district) in UNGRIDDED {
            self.note(Post::ungridded(area, district));
        }

        let mut out = BufWriter::with_capacity(1 << 18, File::create(path)?);
        out.write_all(HEADER.as_bytes())?;
        let mut buf = Vec::with_capacity(1 << 16);
        let mut rows = 0;
        // `pcd` order: areas by their letters, districts as text (NF1, NF10...NF19, NF2), then
        // sectors and units, which slots already follow.
        let mut areas: Vec<usize> = (0..AREAS.len()).collect();
        areas.sort_by_key(|&a| AREAS[a].letters);
        for area in areas {
            let mut districts: Vec<u32> = (1..=AREAS[area].districts).collect();
            districts.sort_by_key(u32::to_string);
            for district in districts {
                let first = Post::new(area, district, 0, 0, 0).slot().expect("listed");
                for s in first..first + 4000 {
                    if self.has(s) {
                        directory_row(&mut buf, Post::from_slot(s), terminated.has(s));
                        rows += 1;
                    }
                }
                out.write_all(&buf)?;
                buf.clear();
            }
        }
        out.flush()?;
        Ok(rows)
    }
}

/// One directory row, ONSPD-style: every value quoted, the northing seven digits.
fn directory_row(buf: &mut Vec<u8>, p: Post, terminated: bool) {
    let area = &AREAS[p.area()];
    let quoted = |buf: &mut Vec<u8>, f: &dyn Fn(&mut Vec<u8>)| {
        buf.push(b'"');
        f(buf);
        buf.extend_from_slice(b"\",");
    };
    quoted(buf, &|b| p.push_padded(b));
    quoted(buf, &|b| p.push(b));
    // Introduced (and perhaps terminated) in a month of its own.
    let h = mix(u64::from(p.0) ^ 0x444F_4954);
    let intro = if h % 10 < 6 {
        (1980, 1)
    } else {
        (1981 + (h >> 8) % 35, 1 + (h >> 16) % 12)
    };
    quoted(buf, &|b| {
        push_uint(b, intro.0, 4);
        push_uint(b, intro.1, 2);
    });
    quoted(buf, &|b| {
        if terminated {
            push_uint(b, (intro.0 + 2 + (h >> 24) % 8).min(2024), 4);
            push_uint(b, 1 + (h >> 32) % 12, 2);
        }
    });
    quoted(buf, &|b| b.extend_from_slice(area.county.as_bytes()));
    quoted(buf, &|b| b.extend_from_slice(p.lower().as_bytes()));
    let grid = p.grid();
    quoted(buf, &|b| {
        if let Some((e, _)) = grid {
            push_uint(b, u64::from(e), 6);
        }
    });
    quoted(buf, &|b| {
        if let Some((_, n)) = grid {
            push_uint(b, u64::from(n), 7);
        }
    });
    // 1: the grid reference is the postcode's own; 9: there is none.
    quoted(buf, &|b| b.push(if grid.is_some() { b'1' } else { b'9' }));
    buf.push(b'"');
    buf.extend_from_slice(area.country.as_bytes());
    buf.extend_from_slice(b"\"\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(p: Post) -> String {
        let mut b = Vec::new();
        p.push(&mut b);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn postcodes_read_as_written_and_sit_in_their_areas() {
        let mut rng = Rng::stream(1, 2, 3);
        for (area, a) in AREAS.iter().enumerate() {
            for _ in 0..2000 {
                let p = Post::within(&mut rng, area);
                assert_eq!(p.area(), area);
                assert_eq!(Post::from_slot(p.slot().unwrap()), p);
                let (e, n) = p.grid().unwrap();
                let [w, s, east, north] = a.grid;
                assert!((w..east).contains(&e) && (s..north).contains(&n), "{}", text(p));
                assert!(p.mistyped().grid().is_none() && !p.mistyped().listed());
            }
        }
        let home = Post::new(NORTHFIELD, 3, 4, 1, 2);
        assert_eq!(text(home), "NF3 4BD");
        assert_eq!(text(home.mistyped()), "NF3 OBD");
        assert_eq!(text(Post::ungridded(EASTMOOR, 12)), "EM12 9ZZ");
        assert_eq!(Post::ungridded(EASTMOOR, 12).grid(), None);
        let mut b = Vec::new();
        Post::new(SOUTHDALE, 12, 0, 0, 0).push_padded(&mut b);
        Post::new(SOUTHDALE, 1, 0, 0, 0).push_padded(&mut b);
        assert_eq!(String::from_utf8(b).unwrap(), "SD120AASD1 0AA");
    }

    #[test]
    fn councils_are_the_county_where_there_is_one() {
        let la = |area, district| {
            let p = Post::new(area, district, 0, 0, 0);
            (p.lower(), p.la())
        };
        assert_eq!(la(NORTHFIELD, 20), ("E06000990", LOCAL_AUTHORITY));
        assert_eq!(la(EASTMOOR, 6), ("E07000991", "E10000990"));
        assert_eq!(la(EASTMOOR, 7), ("E07000992", "E10000990"));
        assert_eq!(la(EASTMOOR, 16), ("E07000993", "E10000990"));
        assert_eq!(la(KINGSHOLM, 1), ("E08000990", "E08000990"));
        assert_eq!(la(WALES, 1), ("W06000990", "WAL"));
        assert_eq!(la(SCOTLAND, 1), ("S12000990", "SCO"));
    }

    #[test]
    fn distances_are_miles_to_a_tenth_and_the_far_north_is_over_350() {
        let mut rng = Rng::stream(4, 5, 6);
        let (mut far, mut near) = (0, 0);
        for _ in 0..2000 {
            let home = Post::random(&mut rng);
            assert!(miles(home, Post::within(&mut rng, EASTMOOR)).unwrap() < 60.0);
            assert!((150.0..230.0).contains(&miles(home, Post::within(&mut rng, WALES)).unwrap()));
            let d = miles(home, Post::within(&mut rng, SCOTLAND)).unwrap();
            assert!((250.0..400.0).contains(&d));
            if d > 350.0 {
                far += 1;
            } else {
                near += 1;
            }
        }
        assert!(far > 100 && near > far, "{far} {near}");
        let p = Post::new(NORTHFIELD, 1, 0, 0, 0);
        assert_eq!(miles(p, p), Some(0.0));
        assert_eq!(miles(p, Post::ungridded(NORTHFIELD, 1)), None);
    }
}
