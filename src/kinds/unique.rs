//! `unique`: no two rows share a key.

use super::{Check, Kind, KindDoc, Ordered, Param, RuleCx};
use crate::model::diag::Diagnostic;
use crate::spec::keys::Columns;

pub struct Unique;

static DOC: KindDoc = KindDoc {
    name: "unique",
    summary: "No two rows may share the values of `columns` (compared as typed values, so `05/03/2025` and `2025-03-05` are the same date). The first row with a key is kept; each later one is reported, naming the line of the first. Rows with a blank key column are left to `required`.",
    why: "A record entered twice is counted twice: two referrals on one day inflate referral numbers and hide re-referral rates. Ofsted's dedup keys (child, date, source) are the natural keys here.",
    example: "- id: CON-005\n  table: contacts\n  kind: unique\n  columns: [child_id, contact_date, contact_source]\n  severity: error\n  message: The same contact is recorded more than once.",
    params: &[Param {
        name: "columns",
        required: true,
        doc: "The key: one column or several.",
    }],
};

/// The keys a `unique` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub columns: Columns,
}

impl Kind for Unique {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        Ok(Check::Ordered(Ordered::Unique {
            columns: cx.columns(&p.columns)?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::Pack;

    fn pack(rule: &str) -> Pack {
        Pack::table("t", "id, d: date, a").rule(rule)
    }

    #[test]
    fn reports_later_rows_with_an_earlier_rows_key() {
        let pack = pack("kind: unique\ncolumns: [id, d]");
        let rows = [
            "id: C1, d: 05/03/2025, a: x",
            "id: C1, d: 06/03/2025",
            "id: C1, d: 2025-03-05, a: y",
            "id: C2, d: 05/03/2025",
            "id: C1, d: 05/03/25",
        ];
        // Rows 3 and 5 write row 1's date another way.
        assert_eq!(
            pack.report(&rows),
            [
                "3: Reported. The first copy, on line 2, was kept.",
                "5: Reported. The first copy, on line 2, was kept."
            ]
        );
    }

    #[test]
    fn rows_with_a_blank_key_column_are_left_to_required() {
        let pack = pack("kind: unique\ncolumns: [id, d]");
        assert_eq!(
            pack.fails(&["id: C1", "id: C1", "d: 01/01/2020", "d: 01/01/2020"]),
            Vec::<usize>::new()
        );
    }

    #[test]
    fn its_columns_must_exist() {
        assert_eq!(
            pack("kind: unique\ncolumns: [id, date]").diags(),
            ["unknown-column: table `t` has no column `date`"]
        );
    }
}
