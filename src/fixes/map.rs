//! `map`: replace council wording with the value to write, through a
//! synonym list (inline, or a CSV file of `from,to`).

use std::collections::BTreeMap;
use std::collections::HashMap;

use crate::model::diag::{Diagnostic, did_you_mean};
use crate::model::error::Result;
use crate::model::table::ColumnType;
use crate::model::values::normalise_code;
use crate::spec::doc::{KindDoc, Param};
use crate::spec::fix::{Fix, FixBatch, FixCx, FixKind, Lookup, Stage};
use crate::spec::yaml::Spanned;
use crate::spec::yaml::span;

pub struct Map;

static DOC: KindDoc = KindDoc {
    name: "map",
    summary: "Replaces each value found in the synonym list with the value it maps to. Matching ignores case and spacing (`MALE`, ` male ` and `Male` are one synonym). On a code column the column's own codes are matched too, so a code written in the wrong case or spacing is rewritten exactly as the code list has it, and every synonym must map to one of the codes. Values not in the list are left alone for the rules to report.",
    why: "Case-management systems and spreadsheets record the same fact in many ways (`Male`, `M`, `1`, `a) Male`); Annex A and the DfE returns accept one code. Mapping the council's wording once, in a reviewed list, fixes every list that uses it.",
    example: "- id: FIX-GENDER\n  table: contacts\n  kind: map\n  columns: [gender]\n  synonyms: { Male: a) Male, M: a) Male, \"1\": a) Male, Female: b) Female, F: b) Female, \"2\": b) Female }\n  apply: safe",
    params: &[
        Param {
            name: "synonyms",
            required: false,
            doc: "A map of wording to the value to write, e.g. `{ M: a) Male }`.",
        },
        Param {
            name: "synonyms_file",
            required: false,
            doc: "A CSV file with columns `from,to` (a header row, then one synonym per row), relative to the rules file.",
        },
    ],
};

#[derive(Debug)]
struct Mapper {
    /// Normalised wording to the value to write.
    to: HashMap<String, String, foldhash::fast::RandomState>,
}

/// The keys a `map` correction takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(default)]
    pub synonyms: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    #[serde(default)]
    pub synonyms_file: Option<Spanned<String>>,
}

impl FixKind for Map {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn stage(&self) -> Stage {
        Stage::Map
    }

    fn compile(&self, p: &Params, cx: &FixCx) -> std::result::Result<Box<dyn Fix>, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        // (wording, value to write, where it was written)
        let mut pairs: Vec<(String, String, std::ops::Range<usize>)> = Vec::new();
        if let Some(s) = &p.synonyms {
            pairs.extend(s.value.iter().map(|(k, v)| (k.clone(), v.value.clone(), span(v))));
        }
        if let Some(f) = &p.synonyms_file {
            let read = crate::spec::paths::confined(cx.dir(), &f.value)
                .map_err(|why| format!("`{}` cannot be used: {why}", f.value))
                .and_then(|path| read_synonyms(&path).map_err(|e| format!("cannot read {}: {e}", path.display())));
            match read {
                Ok(p) => pairs.extend(p.into_iter().map(|(k, v)| (k, v, span(f)))),
                Err(e) => {
                    diags.push(cx.error("bad-synonyms-file", span(f), e).label("synonyms file").help(
                        "a CSV file with a header row `from,to`, one synonym per row, relative to this rules file",
                    ))
                }
            }
        }
        if p.synonyms.is_none() && p.synonyms_file.is_none() {
            diags.push(
                cx.error(
                    "missing-key",
                    cx.at(),
                    "correction kind `map` needs `synonyms` or `synonyms_file`",
                )
                .label("nothing to map")
                .help("add `synonyms: { M: a) Male }` or `synonyms_file: synonyms/gender.csv`"),
            );
        }
        let mut maps = Vec::new();
        for &col in cx.columns {
            let mut to: HashMap<String, String, foldhash::fast::RandomState> = HashMap::default();
            let mut key = String::new();
            let codes = match &cx.table.columns[col].ty {
                ColumnType::Code(list) => Some(list),
                _ => None,
            };
            if let Some(list) = codes {
                for c in &list.codes {
                    normalise_code(c, &mut key);
                    to.entry(key.clone()).or_insert_with(|| c.clone());
                }
            }
            for (from, value, at) in &pairs {
                if let Some(list) = codes
                    && !list.exact.contains_key(value)
                {
                    diags.push(
                        cx.error(
                            "not-a-code",
                            at.clone(),
                            format!("`{value}` is not a code of `{}`", cx.table.columns[col].name),
                        )
                        .label("a synonym must map to a code")
                        .help(
                            did_you_mean(value, list.codes.iter().map(String::as_str))
                                .unwrap_or_else(|| format!("codes: {}", list.codes.join(", "))),
                        ),
                    );
                    continue;
                }
                normalise_code(from, &mut key);
                match to.get(&key) {
                    Some(held) if held != value => diags.push(
                        cx.error(
                            "synonym-clash",
                            at.clone(),
                            format!("`{from}` already maps to `{held}`"),
                        )
                        .label(format!("here it maps to `{value}`"))
                        .help("matching ignores case and spacing; each wording can map to one value"),
                    ),
                    _ => {
                        to.insert(key.clone(), value.clone());
                    }
                }
            }
            // A value written must map to itself, or a second run would change it again.
            for (from, value, at) in &pairs {
                if codes.is_some_and(|l| !l.exact.contains_key(value)) {
                    continue; // Reported above.
                }
                normalise_code(value, &mut key);
                if let Some(next) = to.get(&key)
                    && next != value
                {
                    diags.push(
                        cx.error(
                            "synonym-chain",
                            at.clone(),
                            format!("`{from}` maps to `{value}`, which maps on to `{next}`"),
                        )
                        .label("the value written would be mapped again")
                        .help(format!("map `{from}` straight to `{next}`")),
                    );
                }
            }
            maps.push((col, to));
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        // One map per column; columns of one list share codes, so keep them apart.
        Ok(Box::new(PerColumn(
            maps.into_iter().map(|(c, to)| (c, Mapper { to })).collect(),
        )))
    }
}

#[derive(Debug)]
struct PerColumn(Vec<(usize, Mapper)>);

impl Fix for PerColumn {
    fn propose(&self, b: &FixBatch, column: usize, _: Option<&Lookup>, out: &mut Vec<(u32, String)>) -> Result<()> {
        let Some((_, m)) = self.0.iter().find(|(c, _)| *c == column) else {
            return Ok(());
        };
        let text = b.text(column);
        let mut key = String::new();
        for row in 0..b.num_rows() {
            let v = text.value(row);
            normalise_code(v, &mut key);
            if let Some(to) = m.to.get(&key)
                && to != v
            {
                out.push((row as u32, to.clone()));
            }
        }
        Ok(())
    }
}

/// `from,to` pairs from a CSV file with a header row.
fn read_synonyms(path: &std::path::Path) -> std::result::Result<Vec<(String, String)>, String> {
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::None)
        .from_path(path)
        .map_err(|e| e.to_string())?;
    let header = r.headers().map_err(|e| e.to_string())?.clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                format!(
                    "no `{name}` column in the header (found: {})",
                    header.iter().collect::<Vec<_>>().join(", ")
                )
            })
    };
    let (from, to) = (col("from")?, col("to")?);
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| format!("line {}: {e}", i + 2))?;
        let (f, t) = (rec.get(from).unwrap_or(""), rec.get(to).unwrap_or(""));
        if f.trim().is_empty() || t.trim().is_empty() {
            return Err(format!("line {}: `from` and `to` must both have a value", i + 2));
        }
        out.push((f.to_string(), t.to_string()));
    }
    Ok(out)
}
