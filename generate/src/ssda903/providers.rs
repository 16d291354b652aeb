//! Ofsted's provider list beside the return (`ofsted-providers.xlsx`): every provider the
//! return's placements can name by URN, in the layout of the combined list Ofsted has published
//! since 2023 (a `Providers` sheet, and an `SA Providers` sheet for supported accommodation,
//! the header on the first row), which both Cleanse and the DfE's validator read. The URN
//! rules (219, 221, 224, 227, 228, 229, 1008) check the return's placements against it.
//!
//! The list agrees with the providers the placements are drawn from (their URN, postcode,
//! provider code and the placement types they take), so a clean return raises nothing on it.
//! With problems planted, a few providers are listed otherwise, as happens when a council's
//! records fall behind Ofsted's: registration ended during the year (227, 228), not listed at
//! all (1008), registered for another placement type (219) or provider code (224), or at
//! another postcode (221). These are planted in the list, not in the return's rows, so they are
//! not in `ground_truth.csv`; the DfE's validator, run on the same files, is what the
//! differential test compares with.

use std::io;
use std::path::Path;

use chrono::Datelike;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use super::children::Ctx;
use super::codes::{Urn, provider};
use super::geography::{Directory, NORTHFIELD, Post, SOUTHDALE};
use crate::render::nd;
use crate::rng::Rng;

/// The kinds of provider placements are drawn from, each with the placement codes Ofsted
/// registers it for and its provider type as Ofsted names it.
const KINDS: [(&str, &str, &str); 7] = [
    ("K1", "K1", "Secure Children's Home"),
    ("K2", "K2", "Children's Home"),
    ("K3", "K3", "Supported Accommodation"),
    ("S1", "S1", "Residential Special School"),
    ("R3", "R3", "Residential Family Centre"),
    ("agency", "U1,U2,U3,U4,U5,U6", "Independent Fostering Agency"),
    ("adoption", "A3,A4,A5,A6", "Voluntary Adoption Agency"),
];

const SALT_LIST: u64 = 56;

/// One row of the list.
struct Listed {
    urn: Urn,
    placement_codes: &'static str,
    provider_code: &'static str,
    kind: &'static str,
    post: Post,
    closed: Option<crate::render::Day>,
}

/// Write the list for the return `ctx` describes, noting its postcodes in `directory`; the
/// number of providers listed.
pub(crate) fn write(ctx: &Ctx, plant: bool, path: &Path, directory: &mut Directory) -> io::Result<usize> {
    let mut listed = Vec::new();
    let (fostering, adoption) = ctx.own_services();
    let mut rng = Rng::stream(ctx.seed, 0, SALT_LIST);
    let own_post = Post::within(&mut rng, NORTHFIELD);
    listed.push(Listed {
        urn: fostering,
        placement_codes: "U1,U2,U3,U4,U5,U6",
        provider_code: "PR1",
        kind: "Local Authority Fostering Agency",
        post: own_post,
        closed: None,
    });
    listed.push(Listed {
        urn: adoption,
        placement_codes: "A3,A4,A5,A6",
        provider_code: "PR1",
        kind: "Local Authority Adoption Agency",
        post: own_post,
        closed: None,
    });
    for (pool, codes, kind) in KINDS {
        for k in 0..ctx.pool_size(pool) {
            let p = provider(ctx.seed, pool, k);
            let agency = matches!(pool, "agency" | "adoption");
            // Ofsted registers providers in England: a home elsewhere has no URN, and its
            // placements none (an agency's carers may be anywhere; its office is in England).
            if !p.post.england() && !agency {
                continue;
            }
            let post = if p.post.england() {
                p.post
            } else {
                Post::within(&mut rng, SOUTHDALE)
            };
            let kind = if pool == "adoption" && p.code == "PR2" {
                "Local Authority Adoption Agency"
            } else {
                kind
            };
            listed.push(Listed {
                urn: p.urn,
                placement_codes: codes,
                provider_code: p.code,
                kind,
                post,
                closed: None,
            });
        }
    }
    // The same URN drawn twice (pools of different kinds share no numbers by design, but a
    // small pool may repeat one): listed once, as Ofsted lists it.
    let mut seen = std::collections::HashSet::new();
    listed.retain(|l| seen.insert(urn_text(l.urn)));
    if plant {
        listed = listed
            .into_iter()
            .enumerate()
            .filter_map(|(i, mut l)| {
                let mut rng = Rng::stream(ctx.seed, i as u64, SALT_LIST + 1);
                match rng.below(1000) {
                    0..50 => l.closed = Some(ctx.this.start + rng.below(360) as i32),
                    50..80 => return None,
                    80..110 => l.placement_codes = if l.placement_codes == "K2" { "K1" } else { "K2" },
                    110..140 => l.provider_code = if l.provider_code == "PR4" { "PR5" } else { "PR4" },
                    140..170 => l.post = Post::other_than(&mut rng, l.post.area(), Some(l.post)),
                    _ => {}
                }
                Some(l)
            })
            .collect();
    }
    for l in &listed {
        directory.note(l.post);
    }
    let n = listed.len();
    workbook(&listed)
        .and_then(|mut b| b.save(path))
        .map_err(io::Error::other)?;
    Ok(n)
}

fn urn_text(urn: Urn) -> String {
    let mut buf = Vec::new();
    urn.push(&mut buf);
    String::from_utf8(buf).expect("URNs are ASCII")
}

fn post_text(post: Post) -> String {
    let mut buf = Vec::new();
    post.push(&mut buf);
    String::from_utf8(buf).expect("postcodes are ASCII")
}

fn workbook(listed: &[Listed]) -> Result<Workbook, XlsxError> {
    let mut book = Workbook::new();
    // A fixed creation time: the same return gives the same bytes.
    let created = ExcelDateTime::from_ymd(2026, 1, 1)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let header = [
        "Local authority",
        "URN",
        "Provider type",
        "Registration status",
        "Deregistration date",
        "Placement code",
        "Setting address postcode",
        "Placement provider code",
    ];
    let sa_header = [
        "Provider local authority",
        "URN",
        "Provider type",
        "Closed date",
        "Placement provider code",
        "Setting address postcode",
    ];
    for (name, columns, supported) in [
        ("Providers", &header[..], false),
        ("SA Providers", &sa_header[..], true),
    ] {
        let sheet = book.add_worksheet().set_name(name)?;
        for (c, h) in columns.iter().enumerate() {
            sheet.write_string(0, c as u16, *h)?;
        }
        let rows = listed.iter().filter(|l| (l.placement_codes == "K3") == supported);
        for (r, l) in rows.enumerate() {
            let r = r as u32 + 1;
            let la = if l.post.local() { "Northfield" } else { "Elsewhere" };
            let closed = l.closed.map(|d| {
                let d = nd(d);
                ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
            });
            let status = if l.closed.is_some() { "Closed" } else { "Active" };
            let texts: Vec<(usize, String)> = if supported {
                vec![
                    (0, la.to_string()),
                    (1, urn_text(l.urn)),
                    (2, l.kind.to_string()),
                    (4, l.provider_code.to_string()),
                    (5, post_text(l.post)),
                ]
            } else {
                vec![
                    (0, la.to_string()),
                    (1, urn_text(l.urn)),
                    (2, l.kind.to_string()),
                    (3, status.to_string()),
                    (5, l.placement_codes.to_string()),
                    (6, post_text(l.post)),
                    (7, l.provider_code.to_string()),
                ]
            };
            for (c, v) in texts {
                sheet.write_string(r, c as u16, v)?;
            }
            if let Some(closed) = closed {
                let c = if supported { 3 } else { 4 };
                sheet.write_datetime_with_format(r, c, &closed?, &date)?;
            }
        }
    }
    Ok(book)
}
