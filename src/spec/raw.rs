//! The rules file as written: every key the format knows, with positions.
//!
//! Nothing here is validated beyond YAML syntax and unknown keys; the
//! validator in [`super`] turns this into the checked model and reports
//! every problem it finds, each pointing at the text to change.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::spec::node::{Node, Value as NodeValue};
use crate::spec::yaml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPack {
    pub pack: Spanned<String>,
    pub version: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub code_lists: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub tables: BTreeMap<String, RawTable>,
    #[serde(default)]
    pub rules: Vec<RawRule>,
    /// Corrections not attached to a rule.
    #[serde(default)]
    pub corrections: Vec<RawCorrection>,
    /// The date `today` means when `cleanse test` runs this pack's examples, so examples about
    /// "the future" stay true as time passes (default: the day of the test).
    #[serde(default)]
    pub examples_as_of: Option<Spanned<String>>,
    /// The reference data the pack's examples run with: the council's code and a few rows of a
    /// postcode directory, for rules that call the postcode functions.
    #[serde(default)]
    pub examples_reference: Option<ExamplesReference>,
    /// The collection year the pack's rules are written for (a statutory return's pack is one
    /// year's): `collection_start()` and `collection_end()` are its 1 April and 31 March.
    #[serde(default)]
    pub collection_year: Option<Spanned<crate::model::values::CollectionYear>>,
    /// The pack this one is (plus its own, minus `remove`): a file beside it (see
    /// [`super::extends`]).
    #[serde(default)]
    pub extends: Option<Spanned<String>>,
    /// Ids of the rules and corrections of the extended pack this one does without.
    #[serde(default)]
    pub remove: Vec<Spanned<String>>,
    /// The column naming whom each record is about (`child`): the run also lists the
    /// exceptions by its values (`by_child.csv`), the view a statutory return's tool gives.
    #[serde(default)]
    pub report_by: Option<Spanned<String>>,
}

/// What `cleanse test` gives a pack's examples besides their rows.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamplesReference {
    #[serde(default)]
    pub local_authority: Option<String>,
    #[serde(default)]
    pub postcodes: Vec<ExamplePostcode>,
    /// Rows of Ofsted's provider list, written as a workbook in its combined layout.
    #[serde(default)]
    pub ofsted_providers: Vec<ExampleProvider>,
}

/// A provider as Ofsted's list gives it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleProvider {
    pub urn: String,
    #[serde(default)]
    pub placement_codes: String,
    #[serde(default)]
    pub provider_codes: String,
    /// `dd/mm/yyyy`, when its registration ended.
    #[serde(default)]
    pub closed: String,
    #[serde(default)]
    pub postcode: String,
}

/// A row of a postcode directory, as the ONS gives it: the postcode, its grid reference, its
/// local authority district and county (if any).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamplePostcode {
    pub postcode: String,
    #[serde(default)]
    pub east: Option<f64>,
    #[serde(default)]
    pub north: Option<f64>,
    pub district: String,
    #[serde(default)]
    pub county: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTable {
    #[serde(default)]
    pub description: Option<String>,
    /// Columns that identify a record in the exceptions report.
    #[serde(default)]
    pub key: Vec<Spanned<String>>,
    /// Another table whose columns (and key, unless `key` is given) this one has: last year's
    /// episodes beside this year's.
    #[serde(default)]
    pub like: Option<Spanned<String>>,
    /// In an XML return: the path of the element each row is, from the root.
    #[serde(default)]
    pub element: Option<Spanned<String>>,
    #[serde(default)]
    pub columns: Vec<RawColumn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawColumn {
    pub name: Spanned<String>,
    #[serde(default)]
    pub header: Option<Spanned<String>>,
    #[serde(default)]
    pub aliases: Vec<Spanned<String>>,
    #[serde(default, rename = "type")]
    pub ty: Option<Spanned<String>>,
    /// A code list: the name of one in `code_lists`, or the codes inline.
    #[serde(default)]
    pub codes: Option<Spanned<CodesRef>>,
    /// Date forms accepted (default: every UK form).
    #[serde(default)]
    pub date_formats: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub required: bool,
    /// The export may leave this column out entirely.
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub description: Option<String>,
    /// In an XML return: the path from the row element to the value.
    #[serde(default)]
    pub xml: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum CodesRef {
    Named(String),
    Inline(Vec<String>),
}

/// A rule as written: the keys every rule shares, and the rest kept as nodes for its kind to
/// read into its own parameters (see [`super::kind`]).
#[derive(Debug)]
pub struct RawRule {
    pub id: Spanned<String>,
    pub table: Spanned<String>,
    pub kind: Spanned<String>,
    pub severity: Option<Spanned<String>>,
    pub message: Spanned<String>,
    pub docs: Option<Spanned<String>>,
    /// A correction for what this rule finds.
    pub fix: Option<RawCorrection>,
    /// Rows the rule must pass and must report, run by `cleanse test`.
    pub examples: Vec<Spanned<RawExample>>,
    /// Every other key, in the order written, for the rule's kind.
    pub params: Vec<(Node, Node)>,
    /// Shared keys written with a slip (`tabel`), read as the key they are close to.
    pub misspelt: Vec<Node>,
}

impl RawRule {
    /// A key of the rule's kind written as text (`when`, for a `fix:` to inherit), if present.
    pub fn param_text(&self, key: &str) -> Option<Spanned<String>> {
        self.params.iter().find_map(|(k, v)| match (&k.value, &v.value) {
            (NodeValue::Str(name), NodeValue::Str(text)) if name == key => Some(Spanned {
                value: text.clone(),
                span: v.span.clone(),
            }),
            _ => None,
        })
    }

    /// The keys every rule takes, whatever its kind.
    pub const COMMON: &[&str] = &["id", "table", "kind", "severity", "message", "docs", "fix", "examples"];
}

impl<'de> Deserialize<'de> for RawRule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawRule;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a rule")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawRule, A::Error> {
                use serde::de::Error;
                let (mut id, mut table, mut kind, mut severity, mut message, mut docs, mut fix) =
                    (None, None, None, None, None, None, None);
                let mut examples = None;
                let mut params = Vec::new();
                while let Some(key) = map.next_key::<Node>()? {
                    // A key written twice is the YAML reader's to report (with its hint
                    // about indentation); a key left empty (`docs:`) is as if not written.
                    macro_rules! once {
                        ($slot:ident, $name:literal) => {{
                            if $slot.is_some() {
                                return Err(A::Error::duplicate_field($name));
                            }
                            $slot = map.next_value::<Option<_>>()?;
                        }};
                    }
                    match key_name(&key) {
                        "id" => once!(id, "id"),
                        "table" => once!(table, "table"),
                        "kind" => once!(kind, "kind"),
                        "severity" => once!(severity, "severity"),
                        "message" => once!(message, "message"),
                        "docs" => once!(docs, "docs"),
                        "fix" => once!(fix, "fix"),
                        "examples" => once!(examples, "examples"),
                        _ => params.push((key, map.next_value::<Node>()?)),
                    }
                }
                // A shared key spelt wrong (`tabel`) is taken as meant, and reported as spelt.
                let mut misspelt = Vec::new();
                let slots = &mut [
                    (&mut id, "id"),
                    (&mut table, "table"),
                    (&mut kind, "kind"),
                    (&mut message, "message"),
                ];
                take_misspelt(&mut params, &mut misspelt, slots);
                Ok(RawRule {
                    id: id.ok_or_else(|| A::Error::missing_field("id"))?,
                    table: table.ok_or_else(|| A::Error::missing_field("table"))?,
                    kind: kind.ok_or_else(|| A::Error::missing_field("kind"))?,
                    severity,
                    message: message.ok_or_else(|| A::Error::missing_field("message"))?,
                    docs,
                    fix,
                    examples: examples.unwrap_or_default(),
                    params,
                    misspelt,
                })
            }
        }
        d.deserialize_map(V)
    }
}

/// The person fields of a `same_person` rule: each names a column of the rule's table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPerson {
    #[serde(default)]
    pub first_name: Option<Spanned<String>>,
    #[serde(default)]
    pub other_names: Option<Spanned<String>>,
    #[serde(default)]
    pub surname: Option<Spanned<String>>,
    #[serde(default)]
    pub date_of_birth: Option<Spanned<String>>,
    #[serde(default)]
    pub expected_date_of_birth: Option<Spanned<String>>,
    #[serde(default)]
    pub sex: Option<Spanned<String>>,
    #[serde(default)]
    pub postcode: Option<Spanned<String>>,
    #[serde(default)]
    pub nhs_number: Option<Spanned<String>>,
    #[serde(default)]
    pub upn: Option<Spanned<String>>,
    /// The record's id in the case-management system (default: the table's key).
    #[serde(default)]
    pub local_id: Option<Spanned<String>>,
}

impl RawPerson {
    /// Each field in [`crate::people::person::ROLES`] order.
    pub fn fields(&self) -> crate::people::person::Roles<Option<&Spanned<String>>> {
        [
            self.first_name.as_ref(),
            self.other_names.as_ref(),
            self.surname.as_ref(),
            self.date_of_birth.as_ref(),
            self.expected_date_of_birth.as_ref(),
            self.sex.as_ref(),
            self.postcode.as_ref(),
            self.nhs_number.as_ref(),
            self.upn.as_ref(),
        ]
    }
}

/// Another table a `same_person` rule compares with its own: rows that carry a person's fields
/// under the id in `id` (e.g. contacts, with the child's name and date of birth).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlso {
    pub table: Spanned<String>,
    /// The column holding the person's id, as the rule's table's key.
    pub id: Spanned<String>,
    pub person: Spanned<RawPerson>,
}

/// How a `same_person` rule merges the records of one person.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMerge {
    /// How the surviving record is chosen, in order, each breaking the ties of the one before:
    /// `most_complete`, `most_recent: <date column>`, `preferred_source: <column>` with
    /// `sources: [...]`. The earliest line breaks any tie left.
    #[serde(default)]
    pub survivor: Vec<Spanned<String>>,
    /// For `most_recent`: the date column.
    #[serde(default)]
    pub recent: Option<Spanned<String>>,
    /// For `preferred_source`: the column naming the record's source, and the sources, most
    /// trusted first.
    #[serde(default)]
    pub source: Option<Spanned<String>>,
    #[serde(default)]
    pub sources: Vec<Spanned<String>>,
    /// Columns of other tables that hold this table's key: re-pointed to the survivor's.
    #[serde(default)]
    pub references: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThresholds {
    /// At or above: the same person.
    #[serde(default)]
    pub same: Option<Spanned<f64>>,
    /// At or above: a possible match, for review.
    #[serde(default)]
    pub possible: Option<Spanned<f64>>,
}

/// A correction as written: standalone under `corrections:`, or a rule's `fix:` (which takes
/// its id, table and columns from the rule). The keys every correction shares, and the rest
/// kept as nodes for its kind to read into its own parameters (see [`super::fix`]).
#[derive(Debug)]
pub struct RawCorrection {
    pub id: Option<Spanned<String>>,
    pub table: Option<Spanned<String>>,
    pub kind: Spanned<String>,
    /// `safe` (applied every run) or `review` (proposed until the run is told to apply it).
    pub apply: Spanned<String>,
    pub columns: Option<Spanned<Vec<Spanned<String>>>>,
    pub when: Option<Spanned<String>>,
    pub docs: Option<Spanned<String>>,
    /// Values before and after the correction, run by `cleanse test`.
    pub examples: Vec<Spanned<RawExample>>,
    /// Every other key, in the order written, for the correction's kind.
    pub params: Vec<(Node, Node)>,
    /// Shared keys written with a slip (`aply`), read as the key they are close to.
    pub misspelt: Vec<Node>,
}

impl RawCorrection {
    /// The keys every correction takes, whatever its kind.
    pub const COMMON: &[&str] = &["id", "table", "kind", "apply", "columns", "when", "docs", "examples"];
}

impl<'de> Deserialize<'de> for RawCorrection {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawCorrection;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a correction")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawCorrection, A::Error> {
                use serde::de::Error;
                let (mut id, mut table, mut kind, mut apply, mut columns, mut when, mut docs) =
                    (None, None, None, None, None, None, None);
                let mut examples = None;
                let mut params = Vec::new();
                while let Some(key) = map.next_key::<Node>()? {
                    macro_rules! once {
                        ($slot:ident, $name:literal) => {{
                            if $slot.is_some() {
                                return Err(A::Error::duplicate_field($name));
                            }
                            $slot = map.next_value::<Option<_>>()?;
                        }};
                    }
                    match key_name(&key) {
                        "id" => once!(id, "id"),
                        "table" => once!(table, "table"),
                        "kind" => once!(kind, "kind"),
                        "apply" => once!(apply, "apply"),
                        "columns" => once!(columns, "columns"),
                        "when" => once!(when, "when"),
                        "docs" => once!(docs, "docs"),
                        "examples" => once!(examples, "examples"),
                        _ => params.push((key, map.next_value::<Node>()?)),
                    }
                }
                let mut misspelt = Vec::new();
                take_misspelt(
                    &mut params,
                    &mut misspelt,
                    &mut [(&mut kind, "kind"), (&mut apply, "apply")],
                );
                Ok(RawCorrection {
                    id,
                    table,
                    kind: kind.ok_or_else(|| A::Error::missing_field("kind"))?,
                    apply: apply.ok_or_else(|| A::Error::missing_field("apply"))?,
                    columns,
                    when,
                    docs,
                    examples: examples.unwrap_or_default(),
                    params,
                    misspelt,
                })
            }
        }
        d.deserialize_map(V)
    }
}

/// A key's name as written ("" for a key that is not text).
fn key_name(key: &Node) -> &str {
    match &key.value {
        NodeValue::Str(s) => s.as_str(),
        _ => "",
    }
}

/// A shared key that is missing but written with a slip among the kind's keys (`tabel`):
/// take it as meant, and remember the slip to report it.
fn take_misspelt(
    params: &mut Vec<(Node, Node)>,
    misspelt: &mut Vec<Node>,
    slots: &mut [(&mut Option<Spanned<String>>, &str)],
) {
    for (slot, name) in slots.iter_mut() {
        if slot.is_some() {
            continue;
        }
        let close = params
            .iter()
            .position(|(k, _)| crate::model::diag::did_you_mean(key_name(k), [*name]).is_some());
        if let Some(i) = close {
            let (k, v) = params.remove(i);
            if let NodeValue::Str(text) = &v.value {
                **slot = Some(Spanned {
                    value: text.clone(),
                    span: v.span.clone(),
                });
            }
            misspelt.push(k);
        }
    }
}

/// One example, as written. A rule's example is one of: `pass: {row}` (a row the rule must not
/// report), `fail: {row}` (a row it must report), or `rows: [...]` with `fail: [n, ...]` (which of
/// several rows it reports; `fail: true` or `false` for a rule about the whole table). A
/// correction's is `in: value` with `out: value` (a one-column correction), or `row: {row}` with
/// `out: {column: value}`. Any may add `other: {table: [rows]}`, rows of the other tables read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExample {
    #[serde(default)]
    pub pass: Option<RawRow>,
    #[serde(default)]
    pub fail: Option<RawFail>,
    #[serde(default)]
    pub rows: Option<Vec<RawRow>>,
    #[serde(default)]
    pub other: BTreeMap<String, Vec<RawRow>>,
    #[serde(default, rename = "in")]
    pub input: Option<Cell>,
    #[serde(default)]
    pub row: Option<RawRow>,
    #[serde(default)]
    pub out: Option<RawOut>,
}

/// An example row: column name to the text the export would hold.
pub type RawRow = BTreeMap<String, Cell>;

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawFail {
    Row(RawRow),
    Rows(Vec<u32>),
    Whole(bool),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawOut {
    Row(RawRow),
    Value(Cell),
}

/// A value in an example, as the export would hold it: YAML numbers and booleans are written
/// as text, and `~` (or nothing) is a blank cell.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Blank(()),
}

impl Cell {
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Float(x) => x.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Blank(()) => String::new(),
        }
    }
}

/// A range bound: a number, or text such as a date or `today - 6 years`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Bound {
    Int(i64),
    Float(f64),
    Text(String),
}
