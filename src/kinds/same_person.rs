//! `same_person`: records of one table that are the same person under different ids.
//!
//! The rule declares which columns hold the person's fields; matching itself (blocking,
//! comparisons, weights) is the [`crate::people`] stage's, run over the whole table.

use super::{Check, Kind, KindDoc, Param, RuleCx};
use crate::model::diag::{Diagnostic, did_you_mean};
use crate::people::compare::COMPARISONS;
use crate::people::person::ROLES;
use std::sync::Arc;

use crate::fixes::merge::{self, MergeFix};
use crate::model::table::Table;
use crate::people::request::{Also, Merge, SamePerson, Survivor};
use crate::people::{Block, Settings};
use crate::spec::compiled::Rule;
use crate::spec::fix::{Apply, Correction, Stage};
use crate::spec::raw::{RawAlso, RawMerge, RawPerson, RawThresholds};
use crate::spec::yaml::{Spanned, span};
use std::collections::BTreeMap;

pub struct SamePersonKind;

const SURVIVOR_RULES: [&str; 3] = ["most_complete", "most_recent", "preferred_source"];

static DOC: KindDoc = KindDoc {
    name: "same_person",
    summary: "Finds records of the table that are the same person under different ids, by comparing names (short forms, one-letter slips, swapped or middle names), dates of birth (exact, day and month swapped, one digit or the year out), postcodes (exact, sector, district), NHS numbers and UPNs (only when their check digit holds), and pre-birth records against the registered child. Weights are estimated from the data (Fellegi–Sunter), or fixed under `weights`; pairs at or above `thresholds.same` are the same person, pairs at or above `thresholds.possible` are queued for review. Each pair is reported on the later record, naming the other and explaining the match; `duplicates.csv` lists every pair and `person_clusters.csv` a person id for every record.",
    why: "The same child recorded twice under two ids splits their history: a second referral looks like a first, a repeat contact is missed, a plan is attached to the wrong record. Exact key checks cannot find them, because the second record was typed by someone else.",
    example: "- id: CHI-PERSON\n  table: children\n  kind: same_person\n  severity: warning\n  message: This record may be the same child as another record.\n  person:\n    first_name: first_name\n    surname: surname\n    date_of_birth: date_of_birth\n    sex: sex\n    postcode: postcode\n    nhs_number: nhs_number\n  thresholds: { same: 0.999, possible: 0.5 }",
    params: &[PERSON, ALSO, BLOCKING, COMPARISONS_PARAM, THRESHOLDS, WEIGHTS, MERGE],
};

const ALSO: Param = Param {
    name: "also",
    required: false,
    doc: "Other tables whose rows carry a person's fields under an id, compared with this table's records: `- { table: contacts, id: child_id, person: { first_name: ..., date_of_birth: ... } }`. A row is reported when it looks like a record of this table under a different id (a contact recorded against the wrong or a duplicate child); rows of one other table are not compared with each other.",
};

const WEIGHTS: Param = Param {
    name: "weights",
    required: false,
    doc: "Weights fixed here instead of estimated from the data, per comparison, one per level, in order (log₂ of how much likelier the level is for one person than for two), e.g. `nhs_number: [14, -12]`; comparisons not named are estimated. The levels: `first_name` exact, short form or variant, one slip, middle name, different; `surname` exact, one slip, part of a double surname, swapped with first name, different; `date_of_birth` exact, day and month swapped, one digit wrong, year one out, different; `pre_birth` born within 3 weeks of the expected date, born within 2 months, further apart; `sex` same, different; `postcode` exact, same sector, same district, different; `nhs_number` same, different; `upn` same, different; `household` twins, siblings.",
};

const MERGE: Param = Param {
    name: "merge",
    required: false,
    doc: "Merge each person's records (the \"same person\" band only): `survivor`, the rules choosing the record that survives, in order (`most_complete`, `most_recent` with `recent: <date column>`, `preferred_source` with `source: <column>` and `sources: [...]`, most trusted first); `references`, columns of other tables holding this table's key (`contacts.child_id`), re-pointed to the survivor. The survivor's blank person fields are filled from the merged records; merged records are rejected, pointing at the survivor; every change is in `changes.csv`. Merges go by `person: local_id`, else the table's key, which must then be one column.",
};

const PERSON: Param = Param {
    name: "person",
    required: true,
    doc: "Which column holds each person field: `first_name`, `other_names`, `surname`, `date_of_birth`, `expected_date_of_birth` (pre-birth records), `sex`, `postcode`, `nhs_number`, `upn`, and `local_id` (the record's id in the case-management system; default: the table's key). Declare those the table has; at least a surname or first name and a date of birth.",
};
const BLOCKING: Param = Param {
    name: "blocking",
    required: false,
    doc: "Which records are compared: `date_of_birth`, `surname_initial`, `first_name_year`, `surname_year`, `name_pair`, `postcode`, `nhs_number`, `upn` (default: every one the declared fields allow).",
};
const COMPARISONS_PARAM: Param = Param {
    name: "comparisons",
    required: false,
    doc: "Which comparisons score a pair: `first_name`, `surname`, `date_of_birth`, `pre_birth`, `sex`, `postcode`, `nhs_number`, `upn`, `household` (default: every one the declared fields allow).",
};
const THRESHOLDS: Param = Param {
    name: "thresholds",
    required: false,
    doc: "Match probabilities: `same` (default 0.999) and `possible` (default 0.5); `possible` must be below `same`.",
};

/// The keys a `same_person` rule takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub person: Spanned<RawPerson>,
    #[serde(default)]
    pub also: Option<Spanned<Vec<Spanned<RawAlso>>>>,
    #[serde(default)]
    pub blocking: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub comparisons: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub thresholds: Option<Spanned<RawThresholds>>,
    #[serde(default)]
    pub weights: Option<Spanned<BTreeMap<String, Spanned<Vec<f64>>>>>,
    #[serde(default)]
    pub merge: Option<Spanned<RawMerge>>,
}

impl Kind for SamePersonKind {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn compile(&self, p: &Params, cx: &RuleCx) -> Result<Check, Vec<Diagnostic>> {
        let raw = &p.person;
        let mut diags = Vec::new();
        let mut fields = [None; ROLES.len()];
        for (i, name) in raw.value.fields().into_iter().enumerate() {
            if let Some(name) = name {
                match cx.resolve(std::slice::from_ref(name)) {
                    Ok(c) => fields[i] = Some(c[0]),
                    Err(d) => diags.extend(d),
                }
            }
        }
        let local_id = raw
            .value
            .local_id
            .as_ref()
            .and_then(|name| match cx.resolve(std::slice::from_ref(name)) {
                Ok(c) => Some(c[0]),
                Err(d) => {
                    diags.extend(d);
                    None
                }
            });
        let has = |role: &str| {
            raw.value.fields()[ROLES
                .iter()
                .position(|r| *r == role)
                .expect("the roles asked for are spelt as in ROLES")]
            .is_some()
        };
        let allowed = |needs: &[&[&str]]| needs.iter().all(|any| any.iter().any(|r| has(r)));
        if !(has("surname") || has("first_name")) || !(has("date_of_birth") || has("expected_date_of_birth")) {
            diags.push(
                cx.error(
                    "person-too-few-fields",
                    span(raw),
                    "too few person fields to match people on",
                )
                .label("declare at least a name and a date of birth")
                .help("add `surname` (or `first_name`) and `date_of_birth`, naming this table's columns"),
            );
        }
        let mut settings = Settings::default();
        match &p.comparisons {
            None => {
                settings.comparisons = (0..COMPARISONS.len())
                    .filter(|&i| allowed(COMPARISONS[i].needs()))
                    .collect();
            }
            Some(list) => {
                settings.comparisons.clear();
                for c in &list.value {
                    match COMPARISONS.iter().position(|k| k.name() == c.value) {
                        Some(i) if allowed(COMPARISONS[i].needs()) => settings.comparisons.push(i),
                        Some(i) => diags.push(
                            cx.error(
                                "comparison-needs-field",
                                span(c),
                                format!("comparison `{}` has no field to read", c.value),
                            )
                            .label("its field is not under `person`")
                            .help(format!(
                                "declare {} under `person`, or leave this comparison out",
                                COMPARISONS[i]
                                    .needs()
                                    .iter()
                                    .map(|any| format!("`{}`", any.join("` or `")))
                                    .collect::<Vec<_>>()
                                    .join(" and ")
                            )),
                        ),
                        None => {
                            let names = COMPARISONS.iter().map(|k| k.name());
                            diags.push(
                                cx.error(
                                    "unknown-comparison",
                                    span(c),
                                    format!("unknown comparison `{}`", c.value),
                                )
                                .label("not a comparison")
                                .help(
                                    did_you_mean(&c.value, names.clone()).unwrap_or_else(|| {
                                        format!("comparisons: {}", names.collect::<Vec<_>>().join(", "))
                                    }),
                                ),
                            )
                        }
                    }
                }
            }
        }
        match &p.blocking {
            None => settings.blocks = Block::ALL.into_iter().filter(|&b| allowed(b.needs())).collect(),
            Some(list) => {
                settings.blocks.clear();
                for b in &list.value {
                    match Block::ALL.into_iter().find(|&x| x.name() == b.value) {
                        Some(x) if allowed(x.needs()) => settings.blocks.push(x),
                        Some(_) => diags.push(
                            cx.error(
                                "blocking-needs-field",
                                span(b),
                                format!("blocking rule `{}` has no field to read", b.value),
                            )
                            .label("its fields are not under `person`"),
                        ),
                        None => {
                            let names = Block::ALL.map(Block::name);
                            diags.push(
                                cx.error(
                                    "unknown-blocking",
                                    span(b),
                                    format!("unknown blocking rule `{}`", b.value),
                                )
                                .label("not a blocking rule")
                                .help(
                                    did_you_mean(&b.value, names)
                                        .unwrap_or_else(|| format!("blocking rules: {}", names.join(", "))),
                                ),
                            )
                        }
                    }
                }
            }
        }
        if let Some(t) = &p.thresholds {
            if let Some(v) = &t.value.same {
                settings.same = v.value;
            }
            if let Some(v) = &t.value.possible {
                settings.possible = v.value;
            }
            for v in [&t.value.same, &t.value.possible].into_iter().flatten() {
                if !(v.value > 0.0 && v.value < 1.0) {
                    diags.push(
                        cx.error(
                            "bad-threshold",
                            span(v),
                            format!("{} is not a probability between 0 and 1", v.value),
                        )
                        .label("a match probability, e.g. 0.999"),
                    );
                }
            }
            if settings.possible >= settings.same {
                let at = t.value.possible.as_ref().map_or_else(|| span(t), span);
                diags.push(
                    cx.error("bad-threshold", at, "`possible` must be below `same`")
                        .label(format!("possible {} ≥ same {}", settings.possible, settings.same)),
                );
            }
        }
        if settings.comparisons.is_empty() || settings.blocks.is_empty() {
            let at = span(raw);
            if diags.is_empty() {
                diags.push(cx.error(
                    "person-too-few-fields",
                    at,
                    "no comparison or blocking rule can run on these fields",
                ));
            }
        }
        if let Some(w) = &p.weights {
            for (name, levels) in &w.value {
                let Some(i) = COMPARISONS.iter().position(|k| k.name() == name) else {
                    let names = COMPARISONS.iter().map(|k| k.name());
                    diags.push(
                        cx.error(
                            "unknown-comparison",
                            span(levels),
                            format!("unknown comparison `{name}`"),
                        )
                        .label("weights for a comparison Cleanse does not have")
                        .help(
                            did_you_mean(name, names.clone())
                                .unwrap_or_else(|| format!("comparisons: {}", names.collect::<Vec<_>>().join(", "))),
                        ),
                    );
                    continue;
                };
                let want = COMPARISONS[i].levels();
                if levels.value.len() != want.len() {
                    diags.push(
                        cx.error(
                            "wrong-weight-count",
                            span(levels),
                            format!("`{name}` has {} levels, so it needs {} weights", want.len(), want.len()),
                        )
                        .label(format!("{} given", levels.value.len()))
                        .help(format!("one weight per level, in order: {}", want.join(", "))),
                    );
                    continue;
                }
                settings.fixed.insert(i, levels.value.clone());
            }
        }
        let mut also = Vec::new();
        for a in p.also.iter().flat_map(|a| &a.value) {
            let a = &a.value;
            let Some(ti) = cx.tables.iter().position(|t| t.name == a.table.value) else {
                diags.push(
                    cx.error(
                        "unknown-table",
                        span(&a.table),
                        format!("unknown table `{}`", a.table.value),
                    )
                    .label("no table with this name")
                    .help(crate::spec::names::tables_help(&a.table.value, cx.tables)),
                );
                continue;
            };
            let other = &cx.tables[ti];
            let column = |name: &crate::spec::yaml::Spanned<String>, diags: &mut Vec<Diagnostic>| match other
                .column(&name.value)
            {
                Some(c) => Some(c),
                None => {
                    diags.push(crate::spec::names::unknown_column(
                        cx.file,
                        name,
                        &other.name,
                        &other.columns,
                    ));
                    None
                }
            };
            let id = column(&a.id, &mut diags);
            let mut fields = [None; ROLES.len()];
            for (i, name) in a.person.value.fields().into_iter().enumerate() {
                if let Some(name) = name {
                    fields[i] = column(name, &mut diags);
                }
            }
            if let Some(id) = id {
                also.push(Also { table: ti, id, fields });
            }
        }
        let merge = match &p.merge {
            Some(m) => match merge(cx, m, local_id.is_some()) {
                Ok(m) => Some(m),
                Err(d) => {
                    diags.extend(d);
                    None
                }
            },
            None => None,
        };
        if diags.is_empty() {
            Ok(Check::People(Box::new(SamePerson {
                fields,
                settings,
                merge,
                also,
                local_id,
            })))
        } else {
            Err(diags)
        }
    }

    /// A rule with `merge:` makes the merges, as corrections run after every declared one:
    /// each reference to the person table re-pointed to the survivor, and each person field of
    /// the survivor filled where blank (see [`crate::fixes::merge`]).
    fn corrections(&self, rule: &Rule, tables: &[Table]) -> Vec<Correction> {
        let Check::People(p) = &rule.check else {
            return Vec::new();
        };
        let (Some(m), Some(declared)) = (&p.merge, &rule.declared) else {
            return Vec::new();
        };
        // The id merges go by: `person: local_id`, else the table's one-column key.
        let key = p.local_id.unwrap_or_else(|| tables[rule.table].key[0]);
        let correction = |table: usize, column: usize, fix: MergeFix, docs: &str| Correction {
            id: format!("{}.merge", rule.id),
            table,
            columns: vec![column],
            kind: merge::KIND,
            stage: Stage::Merge,
            apply: Apply::Safe,
            rule: Some(rule.id.clone()),
            when: None,
            docs: docs.to_string(),
            fix: Arc::new(fix),
            declared: declared.clone(),
        };
        let repoint = m.references.iter().map(|&(t, c)| {
            correction(
                t,
                c,
                MergeFix::Repoint,
                "A reference to a merged record, re-pointed to the record that survives.",
            )
        });
        let fill = p.fields.iter().flatten().map(|&c| {
            correction(
                rule.table,
                c,
                MergeFix::Fill { key },
                "A blank field of the surviving record, filled from a record merged into it.",
            )
        });
        repoint.chain(fill).collect()
    }
}

fn merge(
    cx: &RuleCx,
    raw: &crate::spec::yaml::Spanned<crate::spec::raw::RawMerge>,
    has_local_id: bool,
) -> Result<Merge, Vec<Diagnostic>> {
    let m = &raw.value;
    let mut diags = Vec::new();
    if cx.table.key.len() != 1 && !has_local_id {
        diags.push(
            cx.error(
                "merge-needs-key",
                span(raw),
                format!("table `{}` has no one-column key to merge by", cx.table.name),
            )
            .label("merging re-points references to the surviving record's id")
            .help("give the table `key: [<id column>]`, or name the id column as `person: local_id`"),
        );
    }
    let column = |name: &crate::spec::yaml::Spanned<String>, diags: &mut Vec<Diagnostic>| match cx
        .resolve(std::slice::from_ref(name))
    {
        Ok(c) => Some(c[0]),
        Err(d) => {
            diags.extend(d);
            None
        }
    };
    let mut survivor = Vec::new();
    for rule in &m.survivor {
        match rule.value.as_str() {
            "most_complete" => survivor.push(Survivor::MostComplete),
            "most_recent" => match &m.recent {
                Some(c) => {
                    if let Some(c) = column(c, &mut diags) {
                        survivor.push(Survivor::MostRecent(c));
                    }
                }
                None => diags.push(
                    cx.error("missing-key", span(rule), "`most_recent` needs `recent`")
                        .label("most recent by which date?")
                        .help("add `recent: <date column>` under `merge`"),
                ),
            },
            "preferred_source" => match &m.source {
                Some(c) if !m.sources.is_empty() => {
                    if let Some(c) = column(c, &mut diags) {
                        survivor.push(Survivor::PreferredSource {
                            column: c,
                            sources: m.sources.iter().map(|s| s.value.trim().to_string()).collect(),
                        });
                    }
                }
                _ => diags.push(
                    cx.error(
                        "missing-key",
                        span(rule),
                        "`preferred_source` needs `source` and `sources`",
                    )
                    .label("preferred by which column, in which order?")
                    .help("add `source: <column>` and `sources: [most trusted, ...]` under `merge`"),
                ),
            },
            other => diags.push(
                cx.error(
                    "unknown-survivor-rule",
                    span(rule),
                    format!("unknown survivorship rule `{other}`"),
                )
                .label("not a survivorship rule")
                .help(
                    did_you_mean(other, SURVIVOR_RULES)
                        .unwrap_or_else(|| format!("survivorship rules: {}", SURVIVOR_RULES.join(", "))),
                ),
            ),
        }
    }
    let mut references = Vec::new();
    for r in &m.references {
        let Some((t, c)) = r.value.trim().split_once('.') else {
            diags.push(
                cx.error(
                    "bad-reference",
                    span(r),
                    format!("`{}` is not `<table>.<column>`", r.value),
                )
                .label("name the table and its column, e.g. contacts.child_id"),
            );
            continue;
        };
        let Some(ti) = cx.tables.iter().position(|x| x.name == t) else {
            diags.push(
                cx.error("unknown-table", span(r), format!("unknown table `{t}`"))
                    .label("no table with this name")
                    .help(crate::spec::names::tables_help(t, cx.tables)),
            );
            continue;
        };
        match cx.tables[ti].column(c) {
            Some(ci) => references.push((ti, ci)),
            None => {
                let named = crate::spec::yaml::Spanned {
                    value: c.to_string(),
                    ..r.clone()
                };
                diags.push(crate::spec::names::unknown_column(
                    cx.file,
                    &named,
                    t,
                    &cx.tables[ti].columns,
                ));
            }
        }
    }
    if diags.is_empty() {
        Ok(Merge { survivor, references })
    } else {
        Err(diags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_weights_doc_lists_every_comparisons_levels_in_order() {
        let doc = WEIGHTS.doc;
        for k in COMPARISONS {
            let at = doc
                .find(&format!("`{}` ", k.name()))
                .unwrap_or_else(|| panic!("{} not listed", k.name()));
            let listed = &doc[at..];
            let mut from = 0;
            for level in k.levels() {
                let word = level.split([' ', ':']).next().unwrap();
                let i = listed[from..]
                    .find(word)
                    .unwrap_or_else(|| panic!("{}: `{level}` not in order", k.name()));
                from += i + word.len();
            }
            assert_eq!(k.levels().len(), k.m_prior().len(), "{}", k.name());
            assert_eq!(k.levels().len(), k.u_prior().len(), "{}", k.name());
        }
    }

    const PEOPLE: &str = "tables:
  people:
    key: [id]
    columns:
      - { name: id }
      - { name: first }
      - { name: last }
      - { name: born, type: date }
      - { name: postcode }
      - { name: nhs }
  contacts:
    columns:
      - { name: child, header: Child ID }
      - { name: name }
      - { name: family }
      - { name: dob, type: date }
";

    fn pack(person: &str) -> crate::kinds::testing::Pack {
        crate::kinds::testing::Pack::tables(PEOPLE).rule(&format!(
            "table: people\nkind: same_person\nperson: {{ first_name: first, surname: last, date_of_birth: born, postcode: postcode }}\n{person}"
        ))
    }

    #[test]
    fn reports_the_later_record_of_one_person_under_two_ids() {
        let pack = pack("thresholds: { same: 0.999, possible: 0.5 }");
        let rows = [
            "id: P1, first: Jayden, last: Smith, born: 07/03/2013, postcode: B18 2JP",
            "id: P2, first: Olivia, last: Patel, born: 14/06/2015, postcode: NF1 4DX",
            "id: P3, first: Jaden, last: Smyth, born: 03/07/2013, postcode: B18 2JP",
        ];
        assert_eq!(
            pack.report(&rows),
            [
                "3: Reported. Likely the same person as line 2 (P1), match probability 1.000: first name is a short form or variant (Jayden/Jaden); surname differs by one letter (Smith/Smyth); date of birth with day and month swapped (07/03/2013 and 03/07/2013); same postcode."
            ]
        );
    }

    #[test]
    fn twins_are_two_people() {
        let pack = pack("thresholds: { same: 0.999, possible: 0.5 }");
        let rows = [
            "id: P1, first: Amelia, last: Okafor, born: 14/06/2015, postcode: NF1 4DX",
            "id: P2, first: Ola, last: Okafor, born: 14/06/2015, postcode: NF1 4DX",
        ];
        assert_eq!(pack.fails(&rows), Vec::<usize>::new());
    }

    #[test]
    fn also_reports_another_tables_row_recorded_against_a_different_id() {
        let pack = pack(
            "also:\n  - { table: contacts, id: child, person: { first_name: name, surname: family, date_of_birth: dob } }",
        );
        let rows = [
            "id: P1, first: Jayden, last: Smith, born: 07/03/2013, postcode: B18 2JP",
            "id: P2, first: Olivia, last: Patel, born: 14/06/2015, postcode: NF1 4DX",
        ];
        let pack = pack.given(
            "contacts",
            &[
                "child: P9, name: Jayden, family: Smith, dob: 07/03/2013",
                "child: P2, name: Olivia, family: Patel, dob: 14/06/2015",
            ],
        );
        // The contact of Jayden Smith under P9 is reported on the contacts line; Olivia's is under
        // her own id.
        assert_eq!(
            pack.report(&rows),
            [
                "contacts line 2: Reported. Likely the same person as people line 2 (P1), match probability 1.000: same first name (Jayden); same surname (Smith); same date of birth; postcode missing on one."
            ]
        );
    }

    #[test]
    fn the_person_fields_and_settings_are_checked() {
        let tables = crate::kinds::testing::Pack::tables(PEOPLE);
        assert_eq!(
            tables
                .rule("table: people\nkind: same_person\nperson: { postcode: postcode }")
                .diags(),
            ["person-too-few-fields: too few person fields to match people on"]
        );
        assert_eq!(
            pack("comparisons: [surname, nhs_number, shoe_size]").diags(),
            [
                "comparison-needs-field: comparison `nhs_number` has no field to read",
                "unknown-comparison: unknown comparison `shoe_size`"
            ]
        );
        assert_eq!(
            pack("thresholds: { same: 0.6, possible: 0.8 }\nweights: { surname: [1, 2] }").diags(),
            [
                "bad-threshold: `possible` must be below `same`",
                "wrong-weight-count: `surname` has 5 levels, so it needs 5 weights"
            ]
        );
        assert_eq!(
            pack("merge: { survivor: [most_recent, oldest] }").diags(),
            [
                "missing-key: `most_recent` needs `recent`",
                "unknown-survivor-rule: unknown survivorship rule `oldest`"
            ]
        );
        let contacts =
            "table: contacts\nkind: same_person\nperson: { first_name: name, surname: family, date_of_birth: dob }";
        assert_eq!(
            crate::kinds::testing::Pack::tables(PEOPLE)
                .rule(&format!("{contacts}\nmerge: {{ survivor: [most_complete] }}"))
                .diags(),
            ["merge-needs-key: table `contacts` has no one-column key to merge by"]
        );
    }
}
