//! `date`: rewrite dates to one form.

use crate::model::diag::{Diagnostic, did_you_mean};
use crate::model::error::Result;
use crate::model::table::ColumnType;
use crate::model::values::{self, DateForms};
use crate::spec::doc::{KindDoc, Param};
use crate::spec::fix::{Fix, FixBatch, FixCx, FixKind, Lookup, Stage};
use crate::spec::yaml::Spanned;
use crate::spec::yaml::span;

pub struct DateFix;

static DOC: KindDoc = KindDoc {
    name: "date",
    summary: "Rewrites every date the column accepts (`5/3/24`, `2024-03-05`, `05-Mar-2024`, an Excel serial...) in one form, `dd/mm/yyyy` unless `format` says otherwise. Values that are not dates are left alone for the `type` rule to report; two-digit years are read with the configuration's pivot.",
    why: "Exports mix date forms when records were migrated or typed into spreadsheets; Annex A and the DfE returns expect one. A rewrite changes the form, never the day, so it is safe to apply every night.",
    example: "- id: FIX-DATES\n  table: contacts\n  kind: date\n  columns: [contact_date, date_of_birth]\n  apply: safe",
    params: &[Param {
        name: "format",
        required: false,
        doc: "`dd/mm/yyyy` (default) or `yyyy-mm-dd`.",
    }],
};

const FORMATS: &[&str] = &["dd/mm/yyyy", "yyyy-mm-dd"];

#[derive(Debug)]
struct Rewrite {
    iso: bool,
    forms: Vec<(usize, DateForms)>,
}

/// The keys a `date` correction takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(default)]
    pub format: Option<Spanned<String>>,
}

impl FixKind for DateFix {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn stage(&self) -> Stage {
        Stage::Date
    }

    fn compile(&self, p: &Params, cx: &FixCx) -> std::result::Result<Box<dyn Fix>, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let iso = match p.format.as_ref().map(|f| (f, f.value.trim())) {
            None | Some((_, "dd/mm/yyyy")) => false,
            Some((_, "yyyy-mm-dd")) => true,
            Some((f, other)) => {
                diags.push(
                    cx.error(
                        "unknown-date-format",
                        span(f),
                        format!("cannot write dates as `{other}`"),
                    )
                    .label("not a form Cleanse writes")
                    .help(
                        did_you_mean(other, FORMATS.iter().copied())
                            .unwrap_or_else(|| format!("forms: {}", FORMATS.join(", "))),
                    ),
                );
                false
            }
        };
        let mut forms = Vec::new();
        for &c in cx.columns {
            match &cx.table.columns[c].ty {
                ColumnType::Date(f) => forms.push((c, *f)),
                other => diags.push(
                    cx.error(
                        "not-a-date-column",
                        cx.column_span(c),
                        format!(
                            "column `{}` is {}, not a date column",
                            cx.table.columns[c].name,
                            other.name()
                        ),
                    )
                    .label("`date` rewrites date columns")
                    .help("give the column `type: date`, or leave it out of `columns`"),
                ),
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        Ok(Box::new(Rewrite { iso, forms }))
    }
}

impl Fix for Rewrite {
    fn propose(&self, b: &FixBatch, column: usize, _: Option<&Lookup>, out: &mut Vec<(u32, String)>) -> Result<()> {
        let Some(&(_, forms)) = self.forms.iter().find(|(c, _)| *c == column) else {
            return Ok(());
        };
        let text = b.text(column);
        let mut buf = String::new();
        for row in 0..b.num_rows() {
            let v = text.value(row);
            if let Some(days) = values::parse_date(v, forms, b.pivot()) {
                buf.clear();
                values::write_date(days, self.iso, &mut buf);
                if buf != v {
                    out.push((row as u32, buf.clone()));
                }
            }
        }
        Ok(())
    }
}
