//! How a finding reads in the exceptions report: its rule, the columns and values it is about,
//! and a message that says why (what did not parse, which line it repeats or contradicts, which
//! record it may be the same person as); and what a row set aside by ingest is told.

use datafusion::arrow::array::StringArray;

use crate::model::finding::{Detail, Finding};
use crate::source::{BadRow, BadRowKind, ingest_rules};
use crate::spec::config::Input;
use crate::spec::rules::RuleSet;

/// The rule id and message of a row set aside before any rule ran.
pub(crate) fn bad_row(b: &BadRow, input: &Input) -> (&'static str, String) {
    match &b.kind {
        BadRowKind::Ragged { found, expected, lines } => (
            ingest_rules::RAGGED,
            if *lines > 1 {
                format!(
                    "The row has {found} fields but the header has {expected}, and runs over {lines} lines: look for a quote that is opened and never closed."
                )
            } else {
                format!(
                    "The row has {found} fields but the header has {expected}: look for an unquoted {} or a missing value.",
                    delimiter_name(input.delimiter)
                )
            },
        ),
        BadRowKind::Blank => (ingest_rules::BLANK, "The row is entirely blank.".to_string()),
        BadRowKind::UnclosedQuote { opened, lines, to_end } => {
            let message = if *to_end {
                format!(
                    "A quote opened on line {opened} is never closed: the {} after it, to the end of the file, were read as one value, so the records on them were not checked. Close the quote in the export (or remove it) and run again.",
                    plural_lines(*lines)
                )
            } else {
                format!(
                    "A quote opened on line {opened} runs over {}, more than `max_value_lines` ({}) allows: it is probably not closed where it should be, so the records on those lines were read as one value and not checked. Close the quote in the export, or raise `max_value_lines` for this input if a value really is that long.",
                    plural_lines(*lines),
                    input.max_value_lines
                )
            };
            (ingest_rules::UNCLOSED_QUOTE, message)
        }
        BadRowKind::UnknownElement {
            element,
            line,
            column,
            more,
        } => (
            ingest_rules::UNKNOWN_ELEMENT,
            unknown_element(element, *line, *column, *more),
        ),
    }
}

/// What an XML element no table reads is told.
fn unknown_element(element: &str, line: u64, column: u64, more: usize) -> String {
    format!(
        "The element <{element}> at line {line}, column {column}{} is not one the pack's tables read: its value is not in any table, so this record is held back. Check its name and place against the return's specification.",
        match more {
            0 => String::new(),
            1 => " (and 1 more element)".to_string(),
            n => format!(" (and {n} more elements)"),
        }
    )
}

fn delimiter_name(d: u8) -> String {
    match d {
        b',' => "comma".to_string(),
        b';' => "semicolon".to_string(),
        b'\t' => "tab".to_string(),
        b'|' => "bar (|)".to_string(),
        other => format!("`{}`", other as char),
    }
}

/// rule id, columns, value and message of one finding, for the exceptions report.
pub(crate) fn describe<'a>(
    set: &'a RuleSet,
    table: &crate::model::table::Table,
    file_headers: &[String],
    raws: &[&StringArray],
    declared: &[&StringArray],
    f: &Finding,
    row: usize,
) -> (&'a str, String, String, String) {
    if f.rule == usize::MAX {
        if let Detail::UnknownElement {
            element,
            line,
            column,
            more,
        } = &f.detail
        {
            return (
                ingest_rules::UNKNOWN_ELEMENT,
                String::new(),
                String::new(),
                unknown_element(element, *line, *column, *more),
            );
        }
        let col = f.column.unwrap_or(0);
        let header = file_headers.get(col).map_or("", |h| h.trim());
        if f.detail == Detail::CellError {
            return (
                ingest_rules::CELL_ERROR,
                header.to_string(),
                raws[col].value(row).to_string(),
                format!(
                    "{header} holds the error value {} rather than a value: put the cell right in the workbook (a formula that reads a missing or moved cell, say).",
                    raws[col].value(row)
                ),
            );
        }
        return (
            ingest_rules::ENCODING,
            header.to_string(),
            raws[col].value(row).to_string(),
            format!(
                "{header} is not valid UTF-8; it was read with replacement characters (check the export's encoding, or set `encoding: auto`)."
            ),
        );
    }
    let rule = &set.rules[f.rule];
    let header = |c: usize| table.columns[c].header.as_str();
    let value_of = |c: usize| declared[c].value(row);
    let cols: Vec<usize> = match f.column {
        // A rule of another table reporting here (`same_person`'s `also`): this table's person
        // fields.
        _ if set.tables[rule.table].name != table.name => match &rule.check {
            crate::spec::compiled::Check::People(p) => p
                .also
                .iter()
                .find(|a| set.tables[a.table].name == table.name)
                .map(|a| a.fields.iter().flatten().copied().collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        },
        Some(c) if rule.kind != "check" => vec![c],
        Some(c) if rule.columns.is_empty() => vec![c],
        _ => rule.columns.clone(),
    };
    let columns = cols.iter().map(|&c| header(c)).collect::<Vec<_>>().join("; ");
    let value = match cols[..] {
        [c] => value_of(c).to_string(),
        _ => cols
            .iter()
            .map(|&c| format!("{}={}", header(c), value_of(c)))
            .collect::<Vec<_>>()
            .join("; "),
    };
    let message = match &f.detail {
        // Ingest's own (rule `usize::MAX`), described above.
        Detail::Fail | Detail::CellError | Detail::UnknownElement { .. } => rule.message.clone(),
        Detail::Unparsed { column } => format!(
            "Not checked: {} is not {}, so this rule could not be applied. ({})",
            header(*column),
            table.columns[*column].ty.describe(),
            rule.message
        ),
        Detail::UnparsedElsewhere { table: t, column, line } => {
            let other = &set.tables[*t];
            format!(
                "Not checked: {} on {} line {line}, a value this rule reads for the record, is not {}, so this rule could not be applied. ({})",
                other.columns[*column].header,
                other.name,
                other.columns[*column].ty.describe(),
                rule.message
            )
        }
        Detail::EvalError(e) => format!(
            "Not checked: the rule could not be evaluated on this row ({e}). ({})",
            rule.message
        ),
        Detail::DuplicateOf { line } => format!("{} The first copy, on line {line}, was kept.", rule.message),
        Detail::ContradictedBy { table, line } => {
            format!("{} (see {} line {line}.)", rule.message, set.tables[*table].name)
        }
        Detail::MergedInto { line, key, explanation } => {
            let other = if key.is_empty() {
                format!("line {line}")
            } else {
                format!("line {line} ({key})")
            };
            format!(
                "{} Merged into {other}, the same person's surviving record: {explanation}. References to this record now point there.",
                rule.message
            )
        }
        Detail::SamePerson {
            table: other_table,
            line,
            key,
            same,
            probability,
            explanation,
        } => {
            let at = if set.tables[*other_table].name == table.name {
                format!("line {line}")
            } else {
                format!("{} line {line}", set.tables[*other_table].name)
            };
            let other = if key.is_empty() { at } else { format!("{at} ({key})") };
            let band = if *same {
                "the same person as"
            } else {
                "possibly the same person as"
            };
            format!(
                "{} Likely {band} {other}, match probability {:.3}: {explanation}.",
                rule.message, probability
            )
        }
    };
    (rule.id.as_str(), columns, value, message)
}

fn plural_lines(n: u64) -> String {
    if n == 1 {
        "1 line".to_string()
    } else {
        format!("{n} lines")
    }
}
