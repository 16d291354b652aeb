//! How a rule kind or correction kind documents itself: the source of `cleanse explain`,
//! `cleanse rules` and the reference pages in `docs/`.

/// A kind's documentation: the source of `cleanse explain` and the reference docs.
#[derive(Debug)]
pub struct KindDoc {
    pub name: &'static str,
    /// What it checks, in one sentence.
    pub summary: &'static str,
    /// Why it matters for children's social care records.
    pub why: &'static str,
    /// A rule of this kind, as YAML.
    pub example: &'static str,
    /// The keys it takes beyond `id`, `table`, `kind`, `severity`, `message`, `docs`.
    pub params: &'static [Param],
}

#[derive(Debug)]
pub struct Param {
    pub name: &'static str,
    pub required: bool,
    pub doc: &'static str,
}

/// Common parameter docs, shared so every kind words them the same way.
pub const COLUMNS: Param = Param {
    name: "columns",
    required: true,
    doc: "The columns to check; each is checked on its own.",
};
pub const WHEN: Param = Param {
    name: "when",
    required: false,
    doc: "SQL condition: the rule applies only to rows where it is true.",
};

/// The grouping key of the kinds that compare rows within a group.
pub const GROUP: Param = Param {
    name: "group",
    required: true,
    doc: "The columns that group rows, e.g. `[child_id]`.",
};
