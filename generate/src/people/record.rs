//! One record of `people.csv`, and how it is written.

use super::copies::PREBIRTH_SOURCES;
use super::names::Text;
use super::population::{MIGRATION, SOURCES, World};
use crate::render::{DateForm, Day, V, push_date, push_uint, render};
use crate::rng::Rng;
use crate::vocab::{GENDER, POSTCODE_LETTERS};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct NfPostcode {
    district: u8,
    sector: u8,
    unit: [u8; 2],
}

impl NfPostcode {
    pub(crate) fn random(rng: &mut Rng) -> Self {
        NfPostcode {
            district: 1 + rng.below(20) as u8,
            sector: rng.below(10) as u8,
            unit: [rng.pick(POSTCODE_LETTERS), rng.pick(POSTCODE_LETTERS)],
        }
    }

    /// A new address: in the same sector, the same district, or anywhere in the area.
    pub(crate) fn moved(self, rng: &mut Rng) -> Self {
        loop {
            let mut p = NfPostcode::random(rng);
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

/// One record, ready to write.
#[derive(Clone, Copy)]
pub(crate) struct Rec {
    pub(crate) person: u32,
    pub(crate) first: Text,
    pub(crate) middle: Text,
    pub(crate) surname: Text,
    pub(crate) dob: Option<Day>,
    pub(crate) edd: Option<Day>,
    /// Index into the code list's [`GENDER`] values.
    pub(crate) gender: Option<u8>,
    pub(crate) postcode: Option<NfPostcode>,
    pub(crate) nhs: Option<[u8; 10]>,
    pub(crate) nhs_spaced: bool,
    pub(crate) upn: Option<[u8; 13]>,
    pub(crate) source: u8,
    /// For pre-birth records, `source` indexes [`PREBIRTH_SOURCES`].
    pub(crate) prebirth: bool,
    pub(crate) updated: Day,
    pub(crate) variations: u32,
}

impl World {
    pub(crate) fn write_record(&self, buf: &mut Vec<u8>, id: u32, rec: &Rec) {
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
