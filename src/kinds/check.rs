//! `check`: a SQL condition over the row's columns.

use super::{Check, Kind, KindDoc, Param, Row, RuleCx, WHEN};
use crate::model::diag::Diagnostic;
use crate::spec::compiled::RowCheck;
use crate::spec::keys::{Columns, Sql};

pub struct SqlCheck;

static DOC: KindDoc = KindDoc {
    name: "check",
    summary: "A SQL condition over the row's typed columns must be true. Dates compare as dates and numbers as numbers; `today()` is the run's as-of date; `age_years(born, at)` gives an age in whole years; `dates_in_order(a, b, ...)` is true when the dates given are each on or after the one before, blanks skipped (a process's steps); `add_working_days(d, n)` is the date `n` working days after `d` (before, for a negative `n`), skipping weekends and England and Wales bank holidays (a `d` that is not a working day first moves to one, forward when counting back, as the DfE's validator does; the list is `data/bank-holidays-england-and-wales.csv`); `collection_start()` and `collection_end()` are 1 April and 31 March of the collection year (the pack's `collection_year`, else the configuration's). A row where the condition reads a blank value is not checked; one where it reads a value that did not parse is reported as not checkable.",
    why: "Most inaccurate recording is an inconsistency within a record: an end before a start, an age that does not match the date of birth, a plan reviewed before it began.",
    example: "- id: CPP-002\n  table: cp_plans\n  kind: check\n  when: plan_end_date IS NOT NULL\n  check: plan_end_date >= plan_start_date\n  severity: error\n  message: The plan ends before it starts.",
    params: &[
        Param {
            name: "check",
            required: true,
            doc: "SQL condition that is true for a good row.",
        },
        WHEN,
        Param {
            name: "columns",
            required: false,
            doc: "The columns the finding is about, first one first (default: the columns `check` reads).",
        },
    ],
};

/// The keys a `check` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub check: Sql,
    #[serde(default)]
    pub when: Option<Sql>,
    #[serde(default)]
    pub columns: Option<Columns>,
}

impl Kind for SqlCheck {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let when = cx.when(&p.when).map_err(|d| diags.extend(d)).ok();
        let check = cx.condition(&p.check).map_err(|d| diags.push(d)).ok();
        let columns = match &p.columns {
            Some(c) => match cx.resolve(&c.value) {
                Ok(columns) => {
                    cx.name_columns(&columns);
                    Some(columns)
                }
                Err(d) => {
                    diags.extend(d);
                    None
                }
            },
            None => Some(Vec::new()),
        };
        let (Some((when, when_reads)), Some((pass, reads)), Some(columns)) = (when, check, columns) else {
            return Err(diags);
        };
        let column = columns.first().copied().or_else(|| reads.first().copied());
        Ok(Check::Row(Row::Predicates(vec![RowCheck {
            column,
            when,
            pass,
            reads,
            when_reads,
        }])))
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(rule: &str) -> Pack {
        Pack::table("t", "a, start: date, end: date, n: integer").rule(rule)
    }

    #[test]
    fn reports_rows_where_the_condition_is_false() {
        let pack = pack("kind: check\ncheck: end >= start");
        let rows = [
            "start: 01/04/2025, end: 01/04/2025",
            "start: 01/04/2025, end: 31/03/2025",
            "start: 2025-04-01, end: 02/04/25",
        ];
        assert_eq!(pack.fails(&rows), [2]);
    }

    #[test]
    fn a_blank_value_is_not_checked_and_one_that_did_not_parse_is_said_to_be() {
        let pack = pack("kind: check\ncheck: end >= start");
        assert_eq!(
            pack.report(&["start: 01/04/2025", "start: 01/04/2025, end: 31/04/2025"]),
            ["2: Not checked: end is not a valid date (dd/mm/yyyy), so this rule could not be applied. (Reported.)"]
        );
    }

    #[test]
    fn today_and_ages_are_there_to_use() {
        let pack = pack("kind: check\ncheck: start <= today() AND n = age_years(start, today())");
        let rows = [
            "start: 31/03/2016, n: 10",
            "start: 01/04/2016, n: 10",
            "start: 01/04/2026, n: 0",
        ];
        assert_eq!(pack.fails(&rows), [2, 3]);
    }

    #[test]
    fn dates_in_order_skips_the_steps_not_reached() {
        let in_order = pack("kind: check\ncheck: dates_in_order(start, end)\ncolumns: [start, end]");
        let rows = [
            "start: 01/04/2025, end: 01/04/2025",
            "start: 01/04/2025",
            "end: 01/04/2025",
            "start: 02/04/2025, end: 01/04/2025",
        ];
        assert_eq!(in_order.fails(&rows), [4]);
        assert_eq!(
            pack("kind: check\ncheck: dates_in_order(start, n)").diags().len(),
            1,
            "a number is not a date"
        );
    }

    #[test]
    fn the_collection_years_dates_are_the_packs() {
        let in_year = pack("kind: check\ncheck: start BETWEEN collection_start() AND collection_end()")
            .collection_year("2025-26");
        let rows = [
            "start: 31/03/2025",
            "start: 01/04/2025",
            "start: 31/03/2026",
            "start: 01/04/2026",
        ];
        assert_eq!(in_year.fails(&rows), [1, 4]);
        assert_eq!(
            pack("kind: check\ncheck: start <= collection_end()").diags(),
            ["no-collection-year: `collection_end()` needs the run's collection year, and none is set"]
        );
    }

    #[test]
    fn when_limits_the_rows_checked() {
        let pack = pack("kind: check\nwhen: end IS NOT NULL\ncheck: end >= start\ncolumns: [end]");
        let rows = ["start: 01/04/2025", "start: 01/04/2025, end: 01/01/2025"];
        assert_eq!(pack.fails(&rows), [2]);
    }

    #[test]
    fn a_check_must_be_a_condition_over_the_row() {
        assert_eq!(
            pack("kind: check\ncheck: n + 1").diags(),
            ["not-a-condition: this expression gives a whole number, not true or false"]
        );
        assert_eq!(
            pack("kind: check\ncheck: ends >= start").diags(),
            ["unknown-column: table `t` has no column `ends`"]
        );
        assert_eq!(
            pack("kind: check\ncheck: end >= start\ncolumns: [finish]").diags(),
            ["unknown-column: table `t` has no column `finish`"]
        );
        assert_eq!(
            pack("kind: check\ncheck: t.end >= start").diags(),
            ["unknown-table: write `end`, not `t.end`: this check reads the row's own columns by name"]
        );
    }
}
