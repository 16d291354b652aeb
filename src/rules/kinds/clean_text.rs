//! `clean_text`: no stray spaces around or inside a value.

use datafusion::functions::expr_fn::regexp_like;
use datafusion::logical_expr::{ident, lit};

use super::{COLUMNS, Check, Kind, KindDoc, RuleCx, WHEN};
use crate::diag::Diagnostic;
use crate::rules::{RowCheck, raw_name};

pub struct CleanText;

static DOC: KindDoc = KindDoc {
    name: "clean_text",
    summary: "The value as exported must not start or end with whitespace or contain doubled spaces or tabs (a line break inside a quoted value is not stray). Rules read values with surrounding spaces removed, so this is the rule that reports them.",
    why: "Stray spaces stop ids and names matching across lists and between systems: `NF100234 ` and `NF100234` are two children to a join.",
    example: "- id: CON-007\n  table: contacts\n  kind: clean_text\n  columns: [child_id]\n  severity: warning\n  message: Child Unique ID has stray spaces.",
    params: &[COLUMNS, WHEN],
};

impl Kind for CleanText {
    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let columns = cx.columns()?;
        let (when, when_reads) = cx.when()?;
        Ok(Check::Row(
            columns
                .into_iter()
                .map(|c| {
                    let raw = ident(raw_name(&cx.column(c).name));
                    let blank = regexp_like(raw.clone(), lit(r"^\s*$"), None);
                    let stray = regexp_like(raw, lit(r"^\s|\s$|[ \t][ \t]"), None);
                    RowCheck {
                        column: Some(c),
                        when: when.clone(),
                        pass: blank.or(!stray),
                        reads: Vec::new(),
                        when_reads: when_reads.clone(),
                    }
                })
                .collect(),
        ))
    }
}
