//! What the duplicate finder is asked to do, in a table's terms: which columns hold a person's
//! fields, which other tables carry people under an id, the settings, and how the records of
//! one person are merged. A `same_person` rule compiles to one; the finder knows nothing of
//! rules.

use super::Settings;
use super::person::Roles;

/// A compiled `same_person` rule.
#[derive(Debug, Clone)]
pub struct SamePerson {
    /// The column of each role in [`super::person::ROLES`], if declared.
    pub fields: Roles<Option<usize>>,
    pub settings: Settings,
    pub merge: Option<Merge>,
    /// Other tables compared with this one: (table, its id column, its person fields).
    pub also: Vec<Also>,
    /// The column holding the record's id (`person: local_id`); `None`: the table's key.
    pub local_id: Option<usize>,
}

/// Another table whose rows carry a person's fields under an id.
#[derive(Debug, Clone)]
pub struct Also {
    pub table: usize,
    pub id: usize,
    pub fields: Roles<Option<usize>>,
}

/// How the records of one person are merged.
#[derive(Debug, Clone)]
pub struct Merge {
    /// In order; the earliest line breaks any tie left.
    pub survivor: Vec<Survivor>,
    /// Columns of other tables (table, column) holding this table's key.
    pub references: Vec<(usize, usize)>,
}

/// A survivorship rule: which record of a person's records survives.
#[derive(Debug, Clone)]
pub enum Survivor {
    /// The one with most person fields filled.
    MostComplete,
    /// The one with the latest date in this column.
    MostRecent(usize),
    /// The one whose source (this column) comes first in the list.
    PreferredSource { column: usize, sources: Vec<String> },
}
