//! Engine: planning, row checks, whole-table checks, people, routing and returns.

/// The invariant behind looking up an input's table: the configuration is validated against the
/// rule packs (`spec::validate::packs_for`), which refuses an input whose table no pack declares,
/// and `cleanse test` builds its inputs from the packs' own tables.
pub const INPUT_TABLES: &str = "every input's table is declared in the rule packs (validated with the configuration)";

/// The invariant behind reading a batch's columns as text: ingest reads every field as text, and
/// corrections write text.
pub(crate) const TEXT: &str = "ingest and corrections make every column of a batch text (a StringArray)";

pub mod check;
pub mod correct;
pub mod describe;
pub mod load;
pub mod lookups;
pub mod ordered;
pub mod people;
pub mod plan;
pub mod relate;
pub mod returns;
pub mod route;
pub mod sorted;

/// Rule `ri` of `set` failed as it was `phase` (see [`crate::model::error::Error::Rule`]).
pub(crate) fn rule_error(
    set: &crate::spec::rules::RuleSet,
    ri: usize,
    phase: crate::model::error::RulePhase,
    source: datafusion::error::DataFusionError,
) -> crate::model::error::Error {
    let rule = &set.rules[ri];
    crate::model::error::Error::Rule {
        rule: rule.id.clone(),
        table: set.tables[rule.table].name.clone(),
        declared: rule.declared.as_ref().map(|d| (d.path.clone(), d.line)),
        phase,
        source,
    }
}
