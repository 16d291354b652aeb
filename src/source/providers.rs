//! Ofsted's provider lists, read as published: the Children's Homes and Social Care Providers
//! workbooks, or the combined one Ofsted has published since 2023, whose sheets and columns
//! change from year to year. Each is read through the workbook reader; a sheet is recognised by
//! its header (a `URN` column beside placement or provider codes), and its columns by the names
//! each year's layout has used:
//!
//! | what | headers |
//! |---|---|
//! | URN | `URN` |
//! | placement codes | `Placement code`; the children's homes list's `Provider Code` |
//! | placement provider codes | `Placement provider code`; `Provider Placement Code` |
//! | registration ended | `Deregistration date`; `Closed date` |
//! | postcode | `Setting postcode`; `Setting address postcode`; else `Provider postcode` |
//!
//! A supported accommodation sheet (its header has `Provider local authority`) lists
//! providers for placement `K3` only, and `PR4` unless it says otherwise, as the DfE's
//! validator reads it. A sheet with a URN and a postcode but no codes (the children's homes
//! list's old `Address Details`) gives the postcode of a provider another sheet lists. The
//! first sheet to list a URN gives its details.

use std::path::Path;

use crate::model::error::{Error, InputError, InputErrorKind, Result};
use crate::model::providers::{Provider, Providers};
use crate::model::values::{DateForms, parse_date};
use crate::source::normalise_header;
use crate::source::workbook::{WholeSheet, read_whole};

/// What reading one workbook found.
#[derive(Debug)]
pub struct Read {
    /// Providers listed (rows with a URN).
    pub rows: u64,
    pub sha256: String,
}

const URN: &[&str] = &["urn"];
const PLACEMENT: &[&str] = &["placementcode", "providercode"];
const PROVIDER: &[&str] = &["placementprovidercode", "providerplacementcode"];
const CLOSED: &[&str] = &["deregistrationdate", "closeddate"];
const POSTCODE: &[&str] = &["settingpostcode", "settingaddresspostcode", "providerpostcode"];
const SUPPORTED_ACCOMMODATION: &[&str] = &["providerlocalauthority"];

/// The first column (in `wanted`'s order of preference) whose header is one of `wanted`.
fn column(names: &[String], wanted: &[&str]) -> Option<usize> {
    wanted
        .iter()
        .find_map(|w| names.iter().position(|n| normalise_header(n) == *w))
}

/// Read an Ofsted provider workbook at `path` into `into`.
pub fn read(path: &Path, pivot: u8, into: &mut Providers) -> Result<Read> {
    let book = read_whole(path, |names| {
        column(names, URN).is_some() && column(names, &[PLACEMENT, PROVIDER, POSTCODE].concat()).is_some()
    })?;
    let listing = |s: &WholeSheet| {
        column(&s.names, PLACEMENT).is_some()
            || column(&s.names, PROVIDER).is_some()
            || column(&s.names, SUPPORTED_ACCOMMODATION).is_some()
    };
    if !book.sheets.iter().any(listing) {
        return Err(Error::Input(vec![InputError {
            file: path.to_path_buf(),
            line: 0,
            column: None,
            sheet: None,
            kind: InputErrorKind::NotProviderList,
        }]));
    }
    let mut rows = 0;
    // Listing sheets first, then those that only give postcodes.
    for sheet in book.sheets.iter().filter(|s| listing(s)) {
        let at = |wanted| column(&sheet.names, wanted);
        let urn = at(URN).expect("the header has a URN");
        let (placement, provider, closed, postcode) = (at(PLACEMENT), at(PROVIDER), at(CLOSED), at(POSTCODE));
        let supported = at(SUPPORTED_ACCOMMODATION).is_some();
        for (_, values) in &sheet.rows {
            let get = |c: Option<usize>| c.map_or("", |c| values[c].as_str());
            if get(Some(urn)).is_empty() {
                continue;
            }
            rows += 1;
            let provider_codes = match get(provider) {
                "" if supported => "PR4".to_string(),
                codes => codes.replace('/', ","),
            };
            let placement_codes = if supported {
                "K3".to_string()
            } else {
                get(placement).to_string()
            };
            into.insert(
                get(Some(urn)),
                Provider {
                    placement_codes,
                    provider_codes,
                    closed: parse_date(get(closed), DateForms::ALL, pivot),
                    postcode: get(postcode).to_string(),
                },
            );
        }
    }
    for sheet in book.sheets.iter().filter(|s| !listing(s)) {
        let (Some(urn), Some(postcode)) = (column(&sheet.names, URN), column(&sheet.names, POSTCODE)) else {
            continue;
        };
        for (_, values) in &sheet.rows {
            into.set_postcode(&values[urn], &values[postcode]);
        }
    }
    Ok(Read {
        rows,
        sha256: book.sha256,
    })
}

#[cfg(test)]
mod tests {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

    use super::*;

    /// A workbook of sheets, each a header and rows of text (a date as `d:yyyy-mm-dd`, written
    /// as a date cell).
    /// A sheet: its name, header and rows.
    type Sheet<'a> = (&'a str, &'a [&'a str], &'a [&'a [&'a str]]);

    fn workbook(dir: &Path, name: &str, sheets: &[Sheet]) -> std::path::PathBuf {
        let mut book = Workbook::new();
        let date = Format::new().set_num_format("dd/mm/yyyy");
        for (sheet_name, header, rows) in sheets {
            let sheet = book.add_worksheet().set_name(*sheet_name).unwrap();
            // Ofsted's lists open with a title row.
            sheet.write_string(0, 0, "Fictional provider list").unwrap();
            for (c, h) in header.iter().enumerate() {
                sheet.write_string(2, c as u16, *h).unwrap();
            }
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    let (r, c) = (r as u32 + 3, c as u16);
                    match v.strip_prefix("d:") {
                        Some(d) => {
                            let at = ExcelDateTime::parse_from_str(d).unwrap();
                            sheet.write_datetime_with_format(r, c, &at, &date).unwrap();
                        }
                        None => {
                            sheet.write_string(r, c, *v).unwrap();
                        }
                    };
                }
            }
        }
        let path = dir.join(name);
        book.save(&path).unwrap();
        path
    }

    fn day(y: i32, m: u32, d: u32) -> Option<crate::model::values::Days> {
        crate::model::values::ymd(y, m, d)
    }

    #[test]
    fn the_separate_lists_read_as_the_dfe_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let ch = workbook(
            dir.path(),
            "ch.xlsx",
            &[
                (
                    "Provider information",
                    &[
                        "Local Authority",
                        "URN",
                        "Provider Type",
                        "Closed Date",
                        "Provider Code",
                        "Provider Placement Code",
                        "Setting Address Postcode",
                    ],
                    &[
                        &[
                            "Northfield",
                            "SC100001",
                            "Children's home",
                            "-",
                            "K2",
                            "PR4/PR5",
                            "nf1 1aa",
                        ],
                        &[
                            "Northfield",
                            "SC100002",
                            "Children's home",
                            "d:2025-09-30",
                            "K2",
                            "PR1",
                            "NF2 2BB",
                        ],
                    ],
                ),
                (
                    "Registration Conditions",
                    &["Local Authority", "URN", "Postcode Area", "Conditions"],
                    &[&["Northfield", "SC100001", "NF1", "none"]],
                ),
            ],
        );
        let scp = workbook(
            dir.path(),
            "scp.xlsx",
            &[
                (
                    "Current providers",
                    &[
                        "URN",
                        "Setting name",
                        "Setting postcode",
                        "Local authority",
                        "Placement code",
                        "Placement provider code",
                    ],
                    &[&["SC200001", "Fostering", "CT1 1AA", "Kent", "U4,U5,U6", "PR5"]],
                ),
                (
                    "Providers closed in 2024-25",
                    &[
                        "URN",
                        "Setting postcode",
                        "Local authority",
                        "Deregistration date",
                        "Placement code",
                        "Placement provider code",
                    ],
                    // A URN the children's homes list already gives: the first list read wins.
                    &[
                        &["SC200002", "CT2 2BB", "Kent", "d:2024-12-01", "U4", "PR4"],
                        &["SC100001", "ZZ1 1ZZ", "Kent", "", "R1", "PR4"],
                    ],
                ),
            ],
        );
        let mut providers = Providers::default();
        let ch_read = read(&ch, 40, &mut providers).unwrap();
        assert_eq!(ch_read.rows, 2);
        assert_eq!(read(&scp, 40, &mut providers).unwrap().rows, 3);
        assert_eq!(providers.len(), 4);
        assert_eq!(
            providers.get("SC100001"),
            Some(&Provider {
                placement_codes: "K2".into(),
                provider_codes: "PR4,PR5".into(),
                closed: None,
                postcode: "nf1 1aa".into(),
            })
        );
        assert_eq!(providers.get(" SC100002 ").unwrap().closed, day(2025, 9, 30));
        assert_eq!(providers.get("SC200001").unwrap().placement_codes, "U4,U5,U6");
        assert_eq!(providers.get("SC200002").unwrap().closed, day(2024, 12, 1));
        assert!(providers.get("SC999999").is_none());
    }

    #[test]
    fn the_combined_list_reads_with_its_supported_accommodation_sheet() {
        let dir = tempfile::tempdir().unwrap();
        let combined = workbook(
            dir.path(),
            "scpch.xlsx",
            &[
                (
                    "Providers",
                    &[
                        "Local authority",
                        "URN",
                        "Deregistration date",
                        "Placement code",
                        "Setting address postcode",
                        "Placement provider code",
                    ],
                    &[&["Northfield", "SC300001", "", "U1,U2,U3", "NF1 1AA", "PR1"]],
                ),
                (
                    "SA Providers",
                    &[
                        "Provider local authority",
                        "Setting local authority",
                        "URN",
                        "Closed date",
                        "Setting address postcode",
                    ],
                    &[&["Kent", "Kent", "2000123", "d:2025-06-30", "CT1 1AA"]],
                ),
            ],
        );
        let mut providers = Providers::default();
        read(&combined, 40, &mut providers).unwrap();
        assert_eq!(providers.get("SC300001").unwrap().provider_codes, "PR1");
        let sa = providers.get("2000123").unwrap();
        assert_eq!((sa.placement_codes.as_str(), sa.provider_codes.as_str()), ("K3", "PR4"));
        assert_eq!(sa.closed, day(2025, 6, 30));
    }

    #[test]
    fn a_workbook_that_is_no_provider_list_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let other = workbook(
            dir.path(),
            "other.xlsx",
            &[("Sheet1", &["Child ID", "Name"], &[&["C1", "Ada"]])],
        );
        let err = read(&other, 40, &mut Providers::default()).unwrap_err().to_string();
        assert!(err.contains("other.xlsx: not one of Ofsted's provider lists"), "{err}");
    }
}
