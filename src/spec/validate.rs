//! `cleanse check`: validate configurations and rule packs without reading any data.
//!
//! A council keeps its own rules beside the shipped packs and changes them as recording practice
//! changes; a mistake must fail in CI, not in the nightly job. So this is the very validation a
//! run starts with ([`packs_for`]), reachable without the exports: YAML syntax, every key against
//! the schema, every column, SQL expression, function, regex, code list and synonym file, the
//! tables cross-table rules and corrections name, rule ids unique across packs, and the inputs a
//! configuration declares. Every problem is reported, not only the first.

use crate::spec::kind::Registry;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::model::diag::{Diagnostic, did_you_mean};
use crate::model::error::{Error, Result};
use crate::spec::config::{Config, Reach};
use crate::spec::rules::{self, RuleSet, Semantics};

/// What `cleanse check` looked at and found.
#[derive(Debug)]
pub struct Checked {
    /// Every configuration and rule pack checked, as named (configurations first).
    pub files: Vec<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
    /// Rules and corrections in the packs that loaded without problems.
    pub rules: usize,
    pub corrections: usize,
}

/// The validation every run starts with: the configuration's rule packs, then its inputs against
/// the tables those packs declare.
pub fn packs_for(
    config: &Config,
    as_of: chrono::NaiveDate,
    registry: &Registry,
) -> std::result::Result<RuleSet, Vec<Diagnostic>> {
    let semantics = Semantics {
        as_of,
        collection_year: config.collection_year,
    };
    let set = rules::load(&config.rules, semantics, registry)?;
    let undeclared = |name: &str, at: &(std::sync::Arc<crate::model::diag::SourceFile>, std::ops::Range<usize>)| {
        Diagnostic::new(
            "unknown-table",
            &at.0,
            at.1.clone(),
            format!("no rule pack declares a table `{name}`"),
        )
        .label("unknown table")
        .maybe_help(did_you_mean(name, set.tables.iter().map(|t| t.name.as_str())))
    };
    let mut diags: Vec<Diagnostic> = config
        .inputs
        .iter()
        .filter(|i| set.table(&i.table).is_none())
        .map(|i| undeclared(&i.table, &i.table_at))
        .collect();
    // What the summary breaks findings down by.
    for b in &config.breakdown {
        match set.table(&b.table) {
            None => diags.push(undeclared(&b.table, &b.table_at)),
            Some(ti) if set.tables[ti].column(&b.column).is_none() => {
                let columns = &set.tables[ti].columns;
                diags.push(
                    Diagnostic::new(
                        "unknown-column",
                        &b.table_at.0,
                        b.column_at.clone(),
                        format!("table `{}` has no column `{}`", b.table, b.column),
                    )
                    .label("unknown column")
                    .maybe_help(did_you_mean(&b.column, columns.iter().map(|c| c.name.as_str()))),
                );
            }
            Some(_) => {}
        }
    }
    if diags.is_empty() { Ok(set) } else { Err(diags) }
}

/// Check the configurations and rule packs at `paths` (files, or folders searched for `.yaml`
/// and `.yml` files; none means `./cleanse.yaml`).
///
/// Each configuration is checked with its own packs; packs no configuration names are checked
/// together, as one set (so ids must be unique across them, and a council's pack may add rules
/// to a shipped pack's tables). `today` is used where a configuration sets no `as_of`.
/// Fails only when a path cannot be read at all.
pub fn check(paths: &[PathBuf], today: chrono::NaiveDate, registry: &Registry) -> Result<Checked> {
    let files = expand(paths)?;
    let (configs, packs): (Vec<PathBuf>, Vec<PathBuf>) = files.into_iter().partition(|f| is_config(f));
    let mut checked = Checked {
        files: configs.clone(),
        diagnostics: Vec::new(),
        rules: 0,
        corrections: 0,
    };
    let mut covered = HashSet::new();
    let count = |set: &RuleSet, checked: &mut Checked| {
        checked.rules += set.rules.len();
        checked.corrections += set.corrections.len();
    };
    for path in &configs {
        let (config, diags) = Config::parse(path, Reach::Packs);
        checked.diagnostics.extend(diags);
        let Some(config) = config else { continue };
        for pack in &config.rules {
            covered.insert(identity(pack));
            if !checked.files.iter().any(|f| identity(f) == identity(pack)) {
                checked.files.push(pack.clone());
            }
        }
        match packs_for(&config, config.as_of.unwrap_or(today), registry) {
            Ok(set) => count(&set, &mut checked),
            Err(diags) => checked.diagnostics.extend(diags),
        }
    }
    let loose: Vec<PathBuf> = packs.into_iter().filter(|p| !covered.contains(&identity(p))).collect();
    checked.files.extend(loose.iter().cloned());
    for set in super::extends::loose_sets(&loose) {
        let semantics = Semantics {
            as_of: today,
            collection_year: None,
        };
        match rules::load(&set, semantics, registry) {
            Ok(set) => count(&set, &mut checked),
            Err(diags) => checked.diagnostics.extend(diags),
        }
    }
    // A pack named by two configurations is reported once.
    let mut seen = HashSet::new();
    checked
        .diagnostics
        .retain(|d| seen.insert((d.code, identity(d.path()), d.span.clone(), d.message.clone())));
    Ok(checked)
}

/// The rule packs at `paths` (as [`check`] finds them), with the packs each configuration there
/// names; a configuration that does not validate is an error.
/// The packs at `paths` (as [`check`] finds them) in the sets they are loaded in: each
/// configuration's packs together, and the packs no configuration names as
/// [`super::extends::loose_sets`] groups them.
pub fn pack_sets(paths: &[PathBuf]) -> Result<Vec<Vec<PathBuf>>> {
    let mut sets = Vec::new();
    let mut covered = HashSet::new();
    let mut loose = Vec::new();
    for file in expand(paths)? {
        if is_config(&file) {
            match Config::parse(&file, Reach::Packs) {
                (Some(config), diags) if diags.is_empty() => {
                    covered.extend(config.rules.iter().map(|p| identity(p)));
                    sets.push(config.rules);
                }
                (_, diags) => return Err(Error::Rules(diags)),
            }
        } else {
            loose.push(file);
        }
    }
    loose.retain(|p| !covered.contains(&identity(p)));
    sets.extend(super::extends::loose_sets(&loose));
    Ok(sets)
}

/// The files to check: a folder's YAML files (sorted, searched recursively), a file as named.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let default = [PathBuf::from("cleanse.yaml")];
    let paths = if paths.is_empty() { &default[..] } else { paths };
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            let before = files.len();
            yaml_files(path, &mut files)?;
            if files.len() == before {
                return Err(Error::io(
                    path,
                    std::io::Error::new(std::io::ErrorKind::NotFound, "no .yaml or .yml files in this folder"),
                ));
            }
        } else {
            files.push(path.clone());
        }
    }
    let mut seen = HashSet::new();
    files.retain(|f| seen.insert(identity(f)));
    Ok(files)
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .map(|e| e.map(|e| e.path()).map_err(|e| Error::io(dir, e)))
        .collect::<Result<_>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

/// A configuration lists `inputs`; anything else is read as a rule pack, whose own validation
/// then explains what is missing.
fn is_config(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| {
        let top = |key: &str| {
            text.lines()
                .any(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))
        };
        top("inputs") && !top("pack")
    })
}

/// One file named two ways (`rules/a.yaml`, `./rules/a.yaml`) is one file.
fn identity(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No kinds: these tests fail before any rule is read.
    const NO_KINDS: Registry = Registry { kinds: &[], fixes: &[] };

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
    }

    #[test]
    fn a_path_that_does_not_exist_cannot_be_checked() {
        let err = check(&[PathBuf::from("no/such/rules.yaml")], today(), &NO_KINDS).unwrap_err();
        assert!(err.to_string().contains("no/such/rules.yaml"), "{err}");
    }
}
