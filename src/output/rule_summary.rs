//! `rules.csv`: one line per rule id with how many records broke it, how many it could not
//! check, and the columns it is about: the "error summary" a statutory return's tool gives
//! (for the SSDA903 packs, one line per DfE code, however many tables the code flags rows in).

use crate::model::error::Result;
use crate::output::publish::Staging;
use crate::output::report::RuleCount;
use crate::output::sheet::SheetFile;
use crate::spec::rules::RuleSet;

pub(crate) fn write(staging: &Staging, set: &RuleSet, counts: &[RuleCount]) -> Result<()> {
    let name = "rules.csv";
    let mut out = SheetFile::new(staging.path(name), staging.file(name)?);
    out.write_record([
        "rule_id",
        "tables",
        "severity",
        "findings",
        "not_checked",
        "not_run",
        "message",
        "columns",
    ])?;
    let mut seen: Vec<&str> = Vec::new();
    for count in counts {
        if seen.contains(&count.id.as_str()) {
            continue;
        }
        seen.push(&count.id);
        // Every part of the id: a code may be a rule on several tables.
        let parts: Vec<_> = set.rules.iter().filter(|r| r.id == count.id).collect();
        let tables: Vec<&str> = parts.iter().map(|r| set.tables[r.table].name.as_str()).collect();
        let mut columns: Vec<String> = Vec::new();
        for r in &parts {
            let table = &set.tables[r.table];
            for &c in &r.columns {
                let named = if parts.len() > 1 {
                    format!("{}.{}", table.name, table.columns[c].header)
                } else {
                    table.columns[c].header.clone()
                };
                if !columns.contains(&named) {
                    columns.push(named);
                }
            }
        }
        out.write_record([
            count.id.as_str(),
            &tables.join("; "),
            count.severity.as_str(),
            &count.findings.to_string(),
            &count.not_checked.to_string(),
            count.not_run.as_deref().unwrap_or(""),
            &count.message,
            &columns.join("; "),
        ])?;
    }
    out.finish()
}
