//! The folders are the architecture: imports point down the layers that `src/lib.rs` draws,
//! and no cycle joins two modules. This test reads every source file, resolves each
//! `crate::`/`super::` path to the module it names, and fails on a path that points up a
//! layer, across to a sibling folder of the same layer, or round a cycle.
//!
//! Within a folder, a `mod.rs` and its files may refer to each other (a registry lists its
//! members, and they use its shared helpers); files side by side may not form a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules from the top layer down; modules sharing a number are one layer and
/// may not import each other. `src/lib.rs` draws the same list.
const LAYERS: &[(&str, u8)] = &[
    ("cli", 8),
    ("run", 7),
    ("engine", 6),
    ("output", 5),
    ("source", 4),
    ("kinds", 4),
    ("fixes", 3),
    ("spec", 2),
    ("people", 1),
    ("model", 0),
];

fn layer(top: &str) -> Option<u8> {
    LAYERS.iter().find(|(n, _)| *n == top).map(|(_, l)| *l)
}

/// `src/engine/route.rs` → `["engine", "route"]`; `src/kinds/mod.rs` → `["kinds"]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("file under src");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

pub(crate) fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without comments and string literals, so prose and messages do not count.
pub(crate) fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' && (i == 0 || b[i - 1] != b'\'') {
            // A raw string's hashes are left behind; they hold no paths.
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else {
            let ch = text[i..].chars().next().expect("char boundary");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// The name of the module a `#[cfg(test)]` item declares, if it is one (`mod tests {`,
/// `pub(crate) mod testing;`), and whether its body is in another file.
fn test_module(after: &str) -> Option<(&str, bool)> {
    let after = after.trim_start();
    let after = ["pub(crate) ", "pub(super) ", "pub "]
        .iter()
        .find_map(|v| after.strip_prefix(v))
        .unwrap_or(after)
        .trim_start();
    let rest = after.strip_prefix("mod ")?.trim_start();
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    let in_file = rest[end..].trim_start().starts_with(';');
    Some((&rest[..end], in_file))
}

/// Modules declared `#[cfg(test)] mod name;` in a file of `module`: their files are tests.
fn test_files(module: &[String], code: &str) -> Vec<Vec<String>> {
    code.match_indices("#[cfg(test)]")
        .filter_map(|(at, m)| test_module(&code[at + m.len()..]))
        .filter(|(_, in_file)| *in_file)
        .map(|(name, _)| module.iter().cloned().chain([name.to_string()]).collect())
        .collect()
}

/// The code without its `#[cfg(test)] mod …` blocks and declarations: unit tests may reach any
/// layer (a kind's test loads a pack through the registry), the library may not.
pub(crate) fn without_tests(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        let after = &rest[at + "#[cfg(test)]".len()..];
        let Some((_, in_file)) = test_module(after) else {
            out.push_str(&rest[..at + 1]);
            rest = &rest[at + 1..];
            continue;
        };
        out.push_str(&rest[..at]);
        if in_file {
            // `mod name;`: its file is left out whole (see `test_files`).
            rest = &rest[at + rest[at..].find(';').map_or(rest.len() - at, |i| i + 1)..];
            continue;
        }
        let open = at + rest[at..].find('{').unwrap_or(rest.len() - at);
        let mut depth = 0;
        let mut end = rest.len();
        for (i, c) in rest[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Expand a use tree (`a::{b, c::{d}}`) into its paths.
fn expand(tree: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if tree.is_empty() {
        return;
    }
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = prefix
            .iter()
            .cloned()
            .chain(
                tree[..open]
                    .split("::")
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from),
            )
            .collect();
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&inner[start..i], &head, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&inner[start..], &head, out);
    } else {
        let path = prefix
            .iter()
            .cloned()
            .chain(
                tree.split(" as ")
                    .next()
                    .unwrap_or("")
                    .split("::")
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from),
            )
            .collect();
        out.push(path);
    }
}

/// Every absolute module path a file names: `crate::a::b…` and `super::…` resolved.
fn references(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes = code.as_bytes();
    let word_start =
        |i: usize| i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b':');
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(pos) = code[from..].find(start) {
            let at = from + pos;
            from = at + start.len();
            if !word_start(at) {
                continue;
            }
            // The path runs to the end of a use tree or of the identifier chain.
            let rest = &code[at..];
            let end = if rest[start.len()..].trim_start().starts_with('{') || rest.contains('{') && is_use_tree(rest) {
                let mut depth = 0;
                let mut end = rest.len();
                for (i, c) in rest.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = i + 1;
                                break;
                            }
                        }
                        ';' | ')' | ',' | '(' | '<' | '>' | ' ' | '\n' if depth == 0 => {
                            end = i;
                            break;
                        }
                        _ => {}
                    }
                }
                end
            } else {
                rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                    .unwrap_or(rest.len())
            };
            let mut expanded = Vec::new();
            expand(&rest[..end], &[], &mut expanded);
            for path in expanded {
                if let Some(abs) = resolve(module, &path) {
                    paths.push(abs);
                }
            }
        }
    }
    paths
}

/// Whether the text at a path's start is a use tree with braces before its end.
fn is_use_tree(rest: &str) -> bool {
    let stop = rest.find([';', '(', ')', '<', ' ', '\n']).unwrap_or(rest.len());
    rest[..stop].contains('{')
}

fn resolve(module: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut segs = path.iter();
    let mut base: Vec<String> = match segs.next()?.as_str() {
        "crate" => Vec::new(),
        "super" => {
            // In `a/mod.rs` the file is module `a`; in `a/b.rs` it is `a::b`.
            let mut m = module.to_vec();
            m.pop()?;
            m
        }
        _ => return None,
    };
    let mut rest: Vec<String> = Vec::new();
    for s in segs {
        if s == "super" && rest.is_empty() {
            base.pop()?;
        } else if s != "self" {
            rest.push(s.clone());
        }
    }
    base.extend(rest);
    Some(base)
}

/// The module a path lands in, at the depth modules are tracked: the top-level module and,
/// for folders, the file in it.
fn target(path: &[String], files: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    (1..=path.len().min(2))
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|m| files.contains(m))
}

struct Graph {
    /// module → modules it imports, with the file that imports.
    edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(&src, f)).collect();
    let code: BTreeMap<&PathBuf, String> = files
        .iter()
        .map(|f| (f, code_only(&std::fs::read_to_string(f).expect("read source"))))
        .collect();
    let tests: BTreeSet<Vec<String>> = files
        .iter()
        .flat_map(|f| test_files(&module_of(&src, f), &code[f]))
        .collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        if tests.contains(&module) {
            continue;
        }
        let code = without_tests(&code[file]);
        // Tracked at folder/file depth: a deeper module counts as its file.
        let from: Vec<String> = module.iter().take(2).cloned().collect();
        for path in references(&module, &code) {
            if let Some(to) = target(&path, &modules)
                && to != from
            {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    Graph { edges }
}

fn name(m: &[String]) -> String {
    if m.is_empty() { "crate".into() } else { m.join("::") }
}

/// Imports that point up a layer or across to a sibling folder of the same layer.
fn against_layers(g: &Graph) -> BTreeSet<(String, String)> {
    let mut bad = BTreeSet::new();
    for (from, tos) in &g.edges {
        let Some(top) = from.first() else { continue };
        let from_layer = layer(top).unwrap_or_else(|| panic!("`{}` is in no layer: add it to LAYERS", name(from)));
        for to in tos {
            let Some(to_top) = to.first() else { continue };
            if to_top == top {
                continue;
            }
            let to_layer = layer(to_top).unwrap_or_else(|| panic!("`{}` is in no layer", name(to)));
            if to_layer >= from_layer {
                bad.insert((name(from), name(to)));
            }
        }
    }
    bad
}

/// Cycles between modules, each as its members (Tarjan's strongly connected components).
/// A folder's `mod.rs` and the files in it are one module here: a registry lists its
/// members and they use its shared helpers.
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    let mut adj: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (from, tos) in &g.edges {
        for to in tos {
            let (a, b) = (from.clone(), to.clone());
            // A folder and its own files.
            let parent_child =
                (a.len() == 1 && b.len() == 2 && b[0] == a[0]) || (b.len() == 1 && a.len() == 2 && a[0] == b[0]);
            if a != b && !parent_child {
                adj.entry(a).or_default().insert(b);
            }
        }
    }
    struct Tarjan<'a> {
        adj: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<Vec<String>, usize>,
        low: BTreeMap<Vec<String>, usize>,
        stack: Vec<Vec<String>>,
        on: BTreeSet<Vec<String>>,
        out: Vec<Vec<String>>,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, v: &Vec<String>) {
            let i = self.index.len();
            self.index.insert(v.clone(), i);
            self.low.insert(v.clone(), i);
            self.stack.push(v.clone());
            self.on.insert(v.clone());
            for w in self.adj.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let l = self.low[v].min(self.low[w]);
                    self.low.insert(v.clone(), l);
                } else if self.on.contains(w) {
                    let l = self.low[v].min(self.index[w]);
                    self.low.insert(v.clone(), l);
                }
            }
            if self.low[v] == self.index[v] {
                let mut scc = Vec::new();
                loop {
                    let w = self.stack.pop().expect("on stack");
                    self.on.remove(&w);
                    scc.push(name(&w));
                    if &w == v {
                        break;
                    }
                }
                if scc.len() > 1 {
                    scc.sort();
                    self.out.push(scc);
                }
            }
        }
    }
    let mut t = Tarjan {
        adj: &adj,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    let nodes: Vec<Vec<String>> = adj.keys().cloned().collect();
    for v in &nodes {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.out
}

#[test]
fn imports_point_down_the_layers() {
    let bad = against_layers(&graph());
    assert!(
        bad.is_empty(),
        "imports that point up a layer or across to a sibling folder (move the type down, or pass it in from above, as the rules loader is handed the registry of kinds):\n{}",
        bad.iter()
            .map(|(a, b)| format!("  {a} -> {b}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Each export is read once per run: only the run opens one (all of them, before any row is
/// read), through the source layer, and every stage takes what it needs from that one pass.
#[test]
fn an_export_is_opened_in_one_place() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut opens = Vec::new();
    for file in &files {
        if file.starts_with(src.join("source")) {
            continue;
        }
        let code = without_tests(&code_only(&std::fs::read_to_string(file).expect("read source")));
        for needle in ["CsvSource::open", "open_reader(", "Source::open"] {
            opens.extend(
                code.matches(needle)
                    .map(|_| file.strip_prefix(&src).expect("under src").display().to_string()),
            );
        }
    }
    assert_eq!(
        opens,
        ["run.rs"],
        "an export is opened only by the run, once: a stage that needs a table whole takes it from the one pass (engine/load.rs)"
    );
}

#[test]
fn no_import_cycles() {
    let found = cycles(&graph());
    assert!(
        found.is_empty(),
        "import cycles:\n{}",
        found
            .iter()
            .map(|c| format!("  {}", c.join(" <-> ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_reader_sees_use_trees_and_relative_paths() {
    let module = vec!["engine".to_string(), "route".to_string()];
    let code = without_tests(&code_only(
        "use crate::{model::{diag::Diagnostic, values}, spec::rules::Table};\n\
         use super::plan::X; // crate::cli::nope\n\
         let s = \"crate::run::nope\"; crate::output::sheet::write(x);\n\
         #[cfg(test)]\npub(crate) mod testing;\nuse crate::people::Kept;\n\
         #[cfg(test)]\nmod tests { use crate::cli::Anything; }",
    ));
    let found: BTreeSet<String> = references(&module, &code).iter().map(|p| name(p)).collect();
    let want: BTreeSet<String> = [
        "model::diag::Diagnostic",
        "model::values",
        "spec::rules::Table",
        "engine::plan::X",
        "output::sheet::write",
        "people::Kept",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(found, want);
}

#[test]
fn a_test_module_in_its_own_file_is_a_test() {
    let module = vec!["kinds".to_string()];
    let code = code_only("pub mod range;\n#[cfg(test)]\npub(crate) mod testing;\n#[cfg(test)]\nmod tests {}\n");
    assert_eq!(
        test_files(&module, &code),
        [vec!["kinds".to_string(), "testing".to_string()]]
    );
}
