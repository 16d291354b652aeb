//! A rule's or correction's own keys: the shapes they are written in, and what was wrong with
//! them, as positioned diagnostics.

use std::ops::Range;
use std::sync::Arc;

use super::doc::KindDoc;
use super::node::{Node, ProblemKind, Problems};
use super::yaml::Spanned;
use crate::model::diag::{Diagnostic, SourceFile};

/// A rule's or correction's own keys, and what its kind takes, for [`key_problems`].
pub struct Keys<'a> {
    /// "rule" or "correction".
    pub what: &'static str,
    /// The keys every rule (or correction) takes, and how help names them.
    pub shared: &'static [&'static str],
    pub shared_words: &'static str,
    pub doc: &'static KindDoc,
    /// The keys the kind's parameters take.
    pub keys: &'static [&'static str],
    /// The keys as written.
    pub params: &'a [(Node, Node)],
    /// Where the kind is named.
    pub at: Range<usize>,
}

/// What was wrong with a rule's or correction's keys, as diagnostics: a key another kind takes
/// (`key-not-for-kind`, `elsewhere`), a key no kind takes (`unknown-key`, with the closest), a
/// missing one (`missing-key`), and values of the wrong type, each where it was written.
pub fn key_problems(
    file: &Arc<SourceFile>,
    k: &Keys,
    elsewhere: &dyn Fn(&str) -> bool,
    problems: Problems,
) -> Vec<Diagnostic> {
    let (doc, what) = (k.doc, k.what);
    let takes = || -> String {
        if k.keys.is_empty() {
            format!("`{}` takes no settings beyond {}", doc.name, k.shared_words)
        } else {
            format!("`{}` takes: {}", doc.name, k.keys.join(", "))
        }
    };
    problems
        .0
        .into_iter()
        .map(|p| {
            let at = p.span.unwrap_or_else(|| k.at.clone());
            match p.kind {
                // The kind's own keys.
                ProblemKind::UnknownKey { key, expected } if expected == k.keys => {
                    if elsewhere(&key) {
                        // Underline what it was given: the mistake is where the value went.
                        let value = k.params.iter().find(|(n, _)| n.span == at).map(|(_, v)| v.span.clone());
                        Diagnostic::new(
                            "key-not-for-kind",
                            file,
                            value.unwrap_or(at),
                            format!("{what} kind `{}` does not take `{key}`", doc.name),
                        )
                        .label("not used by this kind")
                        .help(takes())
                    } else {
                        let allowed = k.keys.iter().chain(k.shared).copied();
                        crate::spec::yaml::unknown_key(file, at.start, &key, allowed)
                    }
                }
                ProblemKind::UnknownKey { key, expected } => {
                    crate::spec::yaml::unknown_key(file, at.start, &key, expected.iter().copied())
                }
                ProblemKind::MissingKey(key) if k.keys.contains(&key) => {
                    let help = doc.params.iter().find(|p| p.name == key).map_or("", |p| p.doc);
                    Diagnostic::new(
                        "missing-key",
                        file,
                        k.at.clone(),
                        format!("{what} kind `{}` needs `{key}`", doc.name),
                    )
                    .label(format!("`{key}` is missing from this {what}"))
                    .help(format!("add `{key}`: {help}"))
                }
                ProblemKind::MissingKey(key) => crate::spec::yaml::missing_key(file, at.start, key),
                ProblemKind::WrongType { expected, .. } => crate::spec::yaml::wrong_type(file, at.start, &expected),
                ProblemKind::Other(message) => Diagnostic::new("wrong-type", file, at, message),
            }
        })
        .collect()
}

/// A rule's columns, as written: `columns: [a, b]`.
pub type Columns = Spanned<Vec<Spanned<String>>>;
/// A SQL expression or condition, as written.
pub type Sql = Spanned<String>;
