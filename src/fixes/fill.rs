//! `fill`: copy a value from the matching row of another table into a cell
//! that is blank or did not parse.

use std::sync::Arc;

use datafusion::arrow::array::Array;

use crate::model::diag::{Diagnostic, did_you_mean};
use crate::model::error::Result;
use crate::model::table::ColumnType;
use crate::spec::doc::{KindDoc, Param};
use crate::spec::fix::{Fix, FixBatch, FixCx, FixKind, KEY, Lookup, Stage, resolve};
use crate::spec::yaml::Spanned;
use crate::spec::yaml::span;

pub struct Fill;

static DOC: KindDoc = KindDoc {
    name: "fill",
    summary: "Where the column is blank or its value did not parse, writes the value the other table (`from: <table>.<column>`) holds for the row's key (`key` here, matched to `to` there). The other table is read as corrected by its own corrections up to the `fill` stage. If the other table holds different values for the key, or none, the cell is left alone; a value already there is never overwritten.",
    why: "Annex A lists repeat facts held once on the child's record (date of birth, gender, ethnicity). When a list has one blank or malformed, the child's record is the authority; filling it from there keeps every list consistent, and changes.csv shows the record the value came from.",
    example: "- id: FIX-CON-DOB\n  table: contacts\n  kind: fill\n  columns: [date_of_birth]\n  from: children.date_of_birth\n  key: [child_id]\n  apply: review",
    params: &[
        Param {
            name: "from",
            required: true,
            doc: "`<table>.<column>`: where the value comes from.",
        },
        KEY,
        Param {
            name: "to",
            required: false,
            doc: "The other table's columns matching `key` (default: the same names).",
        },
    ],
};

#[derive(Debug)]
struct Filler {
    other: usize,
    key: Vec<usize>,
    to: Vec<usize>,
    value: usize,
    codes: Option<Arc<crate::model::table::CodeList>>,
}

/// The keys a `fill` correction takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub from: Spanned<String>,
    pub key: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub to: Option<Spanned<Vec<Spanned<String>>>>,
}

impl FixKind for Fill {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn stage(&self) -> Stage {
        Stage::Fill
    }

    fn compile(&self, p: &Params, cx: &FixCx) -> std::result::Result<Box<dyn Fix>, Vec<Diagnostic>> {
        let column = cx.single_column()?;
        let from = &p.from;
        let Some((t, c)) = from.value.trim().split_once('.') else {
            return Err(vec![
                cx.error(
                    "bad-from",
                    span(from),
                    format!("`{}` does not name a table and column", from.value),
                )
                .label("expected `<table>.<column>`")
                .help("e.g. `from: children.date_of_birth`"),
            ]);
        };
        let (t, c) = (t.trim(), c.trim());
        // Point at the table or the column within `from`, when the text is plain.
        let at = span(from);
        let part = |name: &str| {
            cx.file
                .text
                .get(at.clone())
                .and_then(|text| crate::spec::sql::find_word(text, name))
                .map_or_else(|| at.clone(), |r| at.start + r.start..at.start + r.end)
        };
        let Some(other) = cx.tables.iter().position(|x| x.name == t) else {
            return Err(vec![
                cx.error("unknown-table", part(t), format!("unknown table `{t}`"))
                    .label("no table with this name")
                    .help(crate::spec::names::tables_help(t, cx.tables)),
            ]);
        };
        let ot = &cx.tables[other];
        let Some(value) = ot.column(c) else {
            return Err(vec![
                cx.error("unknown-column", part(c), format!("table `{t}` has no column `{c}`"))
                    .label("unknown column")
                    .help(
                        did_you_mean(c, ot.columns.iter().map(|x| x.name.as_str())).unwrap_or_else(|| {
                            format!(
                                "columns of `{t}`: {}",
                                ot.columns
                                    .iter()
                                    .map(|x| x.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }),
                    ),
            ]);
        };
        let key_names = &p.key;
        if key_names.value.is_empty() {
            return Err(vec![
                cx.error("empty-columns", span(key_names), "`key` is empty")
                    .label("name the columns that find the row in the other table")
                    .help(format!(
                        "e.g. `key: [child_id]`: the value is copied from the `{t}` row with the same key"
                    )),
            ]);
        }
        let key = resolve(cx.file, cx.table, key_names)?;
        let to = match &p.to {
            Some(to) => resolve(cx.file, ot, to)?,
            None => {
                let mut diags = Vec::new();
                let to: Vec<usize> = key_names
                    .value
                    .iter()
                    .filter_map(|n| {
                        ot.column(&n.value).or_else(|| {
                            diags.push(
                                cx.error(
                                    "unknown-column",
                                    span(n),
                                    format!("table `{t}` has no column `{}`", n.value),
                                )
                                .label(format!("`key` columns are looked up in `{t}` under the same name"))
                                .help(format!("add `to: [...]` naming `{t}`'s key columns")),
                            );
                            None
                        })
                    })
                    .collect();
                if !diags.is_empty() {
                    return Err(diags);
                }
                to
            }
        };
        if key.len() != to.len() {
            return Err(vec![
                cx.error(
                    "key-length",
                    p.to.as_ref().map_or_else(|| span(key_names), span),
                    format!("`key` has {} columns but `to` has {}", key.len(), to.len()),
                )
                .label("one column there for each column here"),
            ]);
        }
        let (mine, theirs) = (&cx.table.columns[column].ty, &ot.columns[value].ty);
        if mine.name() != theirs.name() {
            return Err(vec![
                cx.error(
                    "wrong-type",
                    span(from),
                    format!(
                        "`{}.{c}` is a {} column but `{}` is a {} column",
                        t,
                        theirs.name(),
                        cx.table.columns[column].name,
                        mine.name()
                    ),
                )
                .label("cannot fill from a column of another type"),
            ]);
        }
        Ok(Box::new(Filler {
            other,
            key,
            to,
            value,
            codes: match mine {
                ColumnType::Code(l) => Some(Arc::clone(l)),
                _ => None,
            },
        }))
    }
}

impl Fix for Filler {
    fn needs(&self) -> Option<(usize, &[usize], usize)> {
        Some((self.other, &self.to, self.value))
    }

    fn propose(
        &self,
        b: &FixBatch,
        column: usize,
        lookup: Option<&Lookup>,
        out: &mut Vec<(u32, String)>,
    ) -> Result<()> {
        let Some(lookup) = lookup else { return Ok(()) };
        let current = b.typed_column(column);
        let text = b.text(column);
        let mut key = String::new();
        for row in 0..b.num_rows() {
            // Only blanks and values that did not parse: never overwrite a value.
            if !current.is_null(row) || !b.key(&self.key, row, &mut key) {
                continue;
            }
            if let Some(Some(v)) = lookup.get(key.as_str())
                && v != text.value(row)
                && self.codes.as_ref().is_none_or(|l| l.exact.contains_key(v))
            {
                out.push((row as u32, v.to_string()));
            }
        }
        Ok(())
    }
}
