//! Packs that extend another: `extends: 2025-26.yaml` makes a pack the one it names plus its own
//! tables, rules and corrections, minus the rules and corrections it lists under `remove:`. A
//! rule or correction it declares with an id the other already has replaces that one (the
//! DfE amends rules from one collection year to the next under the same code). So a year's
//! statutory pack is the previous year's and its amendments, not a copy.
//!
//! The packs stay separate files: each is parsed, reported on and recorded in `run.json` as
//! itself, the extended one first. Only what the extension takes away from it is dropped before
//! the loader sees it. An extension's `collection_year` is the year every pack it extends is
//! read in, so inherited rules' `collection_start()` moves with the year.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::raw::RawPack;
use crate::model::diag::{Diagnostic, SourceFile, did_you_mean};
use crate::spec::yaml::{self, span};

/// The packs a load reads, in order: each extended pack before the one extending it.
pub struct Read {
    pub packs: Vec<(RawPack, Arc<SourceFile>)>,
    pub paths: Vec<PathBuf>,
    /// Per pack: the one whose `collection_year` it is read in (itself, or what extends it).
    pub year_from: Vec<usize>,
    /// Per pack: another pack read extends it (so its examples, written for its own year, are
    /// run where it is read on its own).
    pub extended: Vec<bool>,
}

/// How deep `extends` may nest: a year's pack extends last year's, which extends the year
/// before; a chain this long is a mistake (or a loop the file names do not show).
const MAX_DEPTH: usize = 16;

/// Read the packs at `paths` and every pack they extend.
pub fn read(paths: &[PathBuf], diags: &mut Vec<Diagnostic>) -> Read {
    let mut read = Read {
        packs: Vec::new(),
        paths: Vec::new(),
        year_from: Vec::new(),
        extended: Vec::new(),
    };
    // Every pack read so far, by its canonical path.
    let mut seen: Vec<PathBuf> = Vec::new();
    for path in paths {
        read_one(path, None, &mut Vec::new(), &mut seen, &mut read, diags);
    }
    read
}

/// Read the pack at `path` (`by`: the pack that extends it, and where it says so) and what it
/// extends; returns the range of `read.packs` it and its extended packs took.
fn read_one(
    path: &Path,
    by: Option<(&Arc<SourceFile>, std::ops::Range<usize>)>,
    chain: &mut Vec<PathBuf>,
    seen: &mut Vec<PathBuf>,
    read: &mut Read,
    diags: &mut Vec<Diagnostic>,
) -> Option<std::ops::Range<usize>> {
    let identity = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if let Some((file, at)) = &by
        && (chain.contains(&identity) || chain.len() >= MAX_DEPTH)
    {
        diags.push(
            Diagnostic::new(
                "extends-loop",
                file,
                at.clone(),
                format!(
                    "extending `{}` goes round in a circle: it extends this pack, directly or through others",
                    path.display()
                ),
            )
            .label("extends")
            .help("a pack extends an earlier year's pack, never a later one or itself"),
        );
        return None;
    }
    // A pack named by `extends` that is not there is the extending pack's mistake: said at its
    // `extends`, with the line and column.
    if let Some((file, at)) = &by
        && !path.is_file()
    {
        let why = if path.as_os_str().is_empty() {
            "it names no file".to_string()
        } else if path.exists() {
            "it is not a file (a folder, device or pipe)".to_string()
        } else {
            "there is no such file beside this pack".to_string()
        };
        diags.push(
            Diagnostic::new(
                "bad-extends",
                file,
                at.clone(),
                format!("`{}` cannot be extended: {why}", path.display()),
            )
            .label("extends")
            .help("name a pack in the same folder, e.g. `extends: 2025-26.yaml`"),
        );
        return None;
    }
    let (pack, file) = match yaml::load::<RawPack>(path) {
        Ok(loaded) => loaded,
        Err(d) => {
            diags.extend(d);
            return None;
        }
    };
    if seen.contains(&identity) {
        // Pointed at where it is extended, else at the pack's own name.
        let (at_file, at, label) = match &by {
            Some((f, at)) => (*f, at.clone(), "extends a pack that is read already"),
            None => (&file, span(&pack.pack), "read already"),
        };
        diags.push(
            Diagnostic::new(
                "pack-read-twice",
                at_file,
                at,
                format!(
                    "`{}` is read twice: once on its own or for another pack that extends it",
                    path.display()
                ),
            )
            .label(label)
            .help("name only the latest year's pack in `rules:`: it brings the packs it extends"),
        );
        return None;
    }
    seen.push(identity.clone());
    let start = read.packs.len();
    if let Some(base) = &pack.extends {
        let dir = path.parent().unwrap_or(Path::new(""));
        match crate::spec::paths::confined(dir, &base.value) {
            Ok(base_path) => {
                chain.push(identity);
                let inner = read_one(&base_path, Some((&file, span(base))), chain, seen, read, diags);
                chain.pop();
                if let Some(inner) = inner {
                    take_away(&pack, &file, &mut read.packs[inner], diags);
                }
            }
            Err(why) => diags.push(
                Diagnostic::new(
                    "bad-extends",
                    &file,
                    span(base),
                    format!("`{}` cannot be extended: {why}", base.value),
                )
                .label("extends")
                .help("name a pack in the same folder, e.g. `extends: 2025-26.yaml`"),
            ),
        }
    } else if let Some(first) = pack.remove.first() {
        diags.push(
            Diagnostic::new(
                "remove-without-extends",
                &file,
                span(first),
                "`remove` takes rules out of a pack this one extends, and it extends none",
            )
            .label("nothing to remove from")
            .help("add `extends: <the earlier pack>.yaml`, or delete the rules from this pack"),
        );
    }
    let me = read.packs.len();
    for from in &mut read.year_from[start..] {
        if pack.collection_year.is_some() {
            *from = me;
        }
    }
    read.extended[start..].fill(true);
    read.packs.push((pack, file));
    read.paths.push(path.to_path_buf());
    read.year_from.push(me);
    read.extended.push(false);
    Some(start..me + 1)
}

/// Drop from the packs `extension` extends the rules and corrections it removes or declares
/// again; a `remove` entry that names none of them is reported.
fn take_away(
    extension: &RawPack,
    file: &Arc<SourceFile>,
    extended: &mut [(RawPack, Arc<SourceFile>)],
    diags: &mut Vec<Diagnostic>,
) {
    let rule_ids = |packs: &[(RawPack, Arc<SourceFile>)]| -> Vec<String> {
        packs
            .iter()
            .flat_map(|(p, _)| {
                let rules = p.rules.iter().map(|r| r.id.value.clone());
                rules.chain(p.corrections.iter().filter_map(|c| Some(c.id.as_ref()?.value.clone())))
            })
            .collect()
    };
    let known = rule_ids(extended);
    for id in &extension.remove {
        if !known.contains(&id.value) {
            diags.push(
                Diagnostic::new(
                    "unknown-rule-id",
                    file,
                    span(id),
                    format!("no rule or correction `{}` in the packs this one extends", id.value),
                )
                .label("not in the extended packs")
                .maybe_help(did_you_mean(&id.value, known.iter().map(String::as_str))),
            );
        }
    }
    let gone: HashSet<&str> = extension
        .remove
        .iter()
        .map(|id| id.value.as_str())
        .chain(extension.rules.iter().map(|r| r.id.value.as_str()))
        .chain(
            extension
                .corrections
                .iter()
                .filter_map(|c| Some(c.id.as_ref()?.value.as_str())),
        )
        .collect();
    for (pack, _) in extended {
        pack.rules.retain(|r| !gone.contains(r.id.value.as_str()));
        pack.corrections
            .retain(|c| c.id.as_ref().is_none_or(|id| !gone.contains(id.value.as_str())));
    }
}

/// What a pack says of its year, read before the pack is loaded.
#[derive(serde::Deserialize)]
struct Peek {
    #[serde(default)]
    collection_year: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    extends: Option<serde::de::IgnoredAny>,
}

/// `packs` (named loose, not by a configuration) in the sets they are loaded in: a pack
/// written for one collection year (it declares `collection_year` or `extends`) on its own, as
/// two years declare the same tables and a year's pack brings the packs it extends; the others
/// together, as a council's pack adds rules to a shipped pack's tables. A pack that cannot be
/// read goes with the others, where loading reports why.
pub fn loose_sets(packs: &[PathBuf]) -> Vec<Vec<PathBuf>> {
    let mut sets = Vec::new();
    let mut together = Vec::new();
    for pack in packs {
        match yaml::load::<Peek>(pack) {
            Ok((peek, _)) if peek.collection_year.is_some() || peek.extends.is_some() => sets.push(vec![pack.clone()]),
            _ => together.push(pack.clone()),
        }
    }
    if !together.is_empty() {
        sets.insert(0, together);
    }
    sets
}
