//! Which reader a file goes through (by its extension), and where a value sits in a workbook,
//! named as Excel names it, so a finding can send a data officer to the cell.

use std::path::Path;

/// The file extensions read as workbooks; any other input is read as CSV.
pub const WORKBOOK_EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xlsb", "xls", "ods"];

/// True when `path` is read as a workbook (by its extension, as Excel itself decides).
pub fn is_workbook(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| WORKBOOK_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// Whether `path` is read as an XML return (the CIN census), by its extension.
pub fn is_xml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
}

/// The file extensions read as Parquet.
pub const PARQUET_EXTENSIONS: &[&str] = &["parquet", "pq"];

/// True when `path` is read as Parquet (by its extension).
pub fn is_parquet(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| PARQUET_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// Excel's name for a column (0-based): `A`, `Z`, `AA`.
pub fn column_letters(column: u32) -> String {
    let mut n = column + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// A reference Excel's Name Box goes to: `'List 3'!F17` (`column`: 0-based), or the whole row
/// (`'List 3'!17:17`) when no column is known.
pub fn cell_reference(sheet: &str, row: u64, column: Option<u32>) -> String {
    let plain = sheet.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !sheet.starts_with(|c: char| c.is_ascii_digit());
    let name = if plain {
        sheet.to_string()
    } else {
        format!("'{}'", sheet.replace('\'', "''"))
    };
    match column {
        Some(c) => format!("{name}!{}{row}", column_letters(c)),
        None => format!("{name}!{row}:{row}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_named_as_excel_names_them() {
        let names: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702, 16_383]
            .into_iter()
            .map(column_letters)
            .collect();
        assert_eq!(names, ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD"]);
    }

    #[test]
    fn references_quote_sheet_names_as_excel_does() {
        assert_eq!(cell_reference("Sheet1", 17, Some(5)), "Sheet1!F17");
        assert_eq!(cell_reference("List 3", 17, Some(5)), "'List 3'!F17");
        assert_eq!(cell_reference("Child's list", 2, None), "'Child''s list'!2:2");
        assert_eq!(cell_reference("2024", 2, Some(0)), "'2024'!A2");
    }
}
