//! Returns: rules about a whole table (`share`, `row_count`), measured as
//! the rows are routed and judged once every table is done. Their findings
//! are about the return, not a record, so they carry no line and reject no
//! row.

use std::collections::{BTreeMap, HashMap};

use crate::model::counts::ShareCounts;
use crate::model::error::Result;
use crate::output::history;
use crate::output::report::{TableReport, count};
use crate::spec::compiled::{Check, Return};
use crate::spec::rules::RuleSet;

/// What a return-level rule found.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Within bounds; the figure measured.
    Pass(String),
    /// Out of bounds: the figure, and the bound it broke.
    Breach { figure: String, limit: String },
    /// It could not be judged, and why.
    NotChecked(String),
}

impl Outcome {
    pub fn figure(&self) -> Option<&str> {
        match self {
            Outcome::Pass(f) | Outcome::Breach { figure: f, .. } => Some(f),
            Outcome::NotChecked(_) => None,
        }
    }
}

/// What a `row_count` change is measured against: the records per table of the previous run, the
/// one the history gives ([`history::History::previous`]), or why there is none.
#[derive(Debug, Clone)]
pub enum PreviousCounts {
    /// The previous run's records, by table.
    Counts(BTreeMap<String, u64>),
    /// The history keeps no run of this as-of date or an earlier one.
    None,
    /// The history could not be read: why.
    Unreadable(String),
}

impl PreviousCounts {
    /// The counts of the run [`history::History::previous`] gave, or what stopped it.
    pub fn of(previous: &Result<history::Previous>) -> PreviousCounts {
        match previous {
            Ok(p) if p.as_of.is_none() => PreviousCounts::None,
            Ok(p) => PreviousCounts::Counts(p.rows_in.clone()),
            Err(e) => PreviousCounts::Unreadable(e.to_string()),
        }
    }
}

fn pct(f: f64) -> String {
    let p = f * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// Judge every return-level rule on a table that was read. `measures`: per
/// `share` rule, (rows it applies to, rows meeting it, rows it could not evaluate).
pub fn judge(
    set: &RuleSet,
    tables: &[TableReport],
    measures: &HashMap<usize, ShareCounts>,
    previous: &PreviousCounts,
) -> Vec<(usize, Outcome)> {
    let mut out = Vec::new();
    for (ri, rule) in set.rules.iter().enumerate() {
        let name = &set.tables[rule.table].name;
        let Some(t) = tables.iter().find(|t| &t.table == name) else {
            continue;
        };
        let outcome = match &rule.check {
            Check::Return(Return::Share(s)) => {
                let ShareCounts {
                    rows,
                    meeting: met,
                    unknown,
                } = measures.get(&ri).copied().unwrap_or_default();
                if rows == 0 {
                    Outcome::NotChecked("no rows to measure".into())
                } else {
                    let share = met as f64 / rows as f64;
                    let mut figure = format!("{} of {} rows ({})", count(met), count(rows), pct(share));
                    if unknown > 0 {
                        figure.push_str(&format!("; {} could not be evaluated", count(unknown)));
                    }
                    match (s.min, s.max) {
                        (Some(min), _) if share < min => Outcome::Breach {
                            figure,
                            limit: format!("at least {}", pct(min)),
                        },
                        (_, Some(max)) if share > max => Outcome::Breach {
                            figure,
                            limit: format!("at most {}", pct(max)),
                        },
                        _ => Outcome::Pass(figure),
                    }
                }
            }
            Check::Return(Return::RowCount(r)) => {
                let n = t.rows_in;
                let mut figure = format!("{} rows", count(n));
                let mut breach = match (r.min, r.max) {
                    (Some(min), _) if n < min => Some(format!("at least {}", count(min))),
                    (_, Some(max)) if n > max => Some(format!("at most {}", count(max))),
                    _ => None,
                };
                let mut not_checked = None;
                if let Some(limit) = r.max_change {
                    match previous {
                        PreviousCounts::Counts(c) => match c.get(name) {
                            Some(&before) => {
                                let change = if before == 0 {
                                    if n == 0 { 0.0 } else { f64::INFINITY }
                                } else {
                                    (n as f64 - before as f64) / before as f64
                                };
                                figure.push_str(&format!(
                                    ", {} at the last run ({}{})",
                                    count(before),
                                    if change >= 0.0 { "+" } else { "" },
                                    if change.is_finite() { pct(change) } else { "new".into() }
                                ));
                                if breach.is_none() && change.abs() > limit {
                                    breach = Some(format!("a change of at most {}", pct(limit)));
                                }
                            }
                            None => not_checked = Some(format!("the last run had no `{name}` export to compare with")),
                        },
                        PreviousCounts::None => not_checked = Some("there is no earlier run to compare with".into()),
                        PreviousCounts::Unreadable(why) => {
                            not_checked = Some(format!("the history of earlier runs could not be read ({why})"))
                        }
                    }
                }
                match (breach, not_checked) {
                    (Some(limit), _) => Outcome::Breach { figure, limit },
                    (None, Some(why)) => Outcome::NotChecked(why),
                    (None, None) => Outcome::Pass(figure),
                }
            }
            _ => continue,
        };
        out.push((ri, outcome));
    }
    out
}
