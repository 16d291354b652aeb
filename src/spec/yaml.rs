//! Reading YAML with positions: the shared first step of the configuration
//! and rules-file parsers (parse, then validate, as cargo-deny does).
//!
//! Values the validator may complain about are read as [`Spanned`], so a
//! later stage can point at them; YAML syntax errors and unknown keys are
//! turned into [`Diagnostic`]s here, with a "did you mean" for keys.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};

use crate::model::diag::{Diagnostic, SourceFile, did_you_mean};

/// Read and parse a YAML file into `T`.
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<(T, Arc<SourceFile>), Vec<Diagnostic>> {
    let bytes = read_capped(path).map_err(|e| vec![unreadable(path, &e)])?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let file = SourceFile::new(path, text);
            return Err(vec![
                Diagnostic::new(
                    "not-utf8",
                    &file,
                    at..at + 1,
                    "rules and configuration files must be UTF-8",
                )
                .label("this byte is not UTF-8")
                .help("save the file as UTF-8 (most editors: File > Save with Encoding)"),
            ]);
        }
    };
    let text = text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text);
    let file = SourceFile::new(path, text);
    match serde_saphyr::from_str::<T>(&file.text) {
        Ok(v) => Ok((v, file)),
        Err(e) => Err(vec![from_yaml_error(&file, &e)]),
    }
}

/// The largest configuration or rules file read. The shipped Annex A pack is about 60 KB; a
/// limit keeps a wrong path (a device, an export named by mistake) from filling memory.
const MAX_FILE_BYTES: u64 = 16 << 20;

fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other(
            "it is not a regular file (a folder, device or pipe)",
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "it is larger than {} MiB, more than any configuration or rules file needs; is it the right file?",
            MAX_FILE_BYTES >> 20
        )));
    }
    Ok(bytes)
}

fn unreadable(path: &Path, e: &std::io::Error) -> Diagnostic {
    let file = SourceFile::new(path, String::new());
    Diagnostic::new(
        "unreadable-file",
        &file,
        0..0,
        format!("cannot read {}: {e}", path.display()),
    )
}

/// A value with the byte range it was read from, so a later stage can point at it.
///
/// Read straight from YAML (through serde-saphyr's own spanned values) or from a [`Node`]
/// that a rule kept for its kind to read (see [`super::node`]): both give the same ranges.
///
/// [`Node`]: super::node::Node
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Range<usize>,
}

/// The newtype name a [`super::node`] deserializer answers with a span.
pub(crate) const SPANNED: &str = "$cleanse::Spanned";
/// The keys of that answer.
pub(crate) const SPANNED_FIELDS: &[&str] = &["$start", "$end", "$value"];

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Spanned<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a value")
            }

            // serde-saphyr: a newtype it does not know is handed back; its own spans do the rest.
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                let s = serde_saphyr::Spanned::<T>::deserialize(d)?;
                let sp = s.referenced.span();
                let span = match (sp.byte_offset(), sp.byte_len()) {
                    (Some(o), Some(l)) => o as usize..(o + l) as usize,
                    _ => 0..0,
                };
                Ok(Spanned { value: s.value, span })
            }

            // A node deserializer: start, end, then the value.
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut start = None;
                let mut end = None;
                let mut value = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "$start" => start = Some(map.next_value::<usize>()?),
                        "$end" => end = Some(map.next_value::<usize>()?),
                        "$value" => value = Some(map.next_value::<T>()?),
                        other => return Err(de::Error::unknown_field(other, SPANNED_FIELDS)),
                    }
                }
                let value = value.ok_or_else(|| de::Error::missing_field("$value"))?;
                let (start, end) = (start.unwrap_or(0), end.unwrap_or(0));
                Ok(Spanned {
                    value,
                    span: start..end,
                })
            }
        }
        d.deserialize_newtype_struct(SPANNED, V(std::marker::PhantomData))
    }
}

/// Byte range of a spanned value in the file it came from.
pub fn span<T>(s: &Spanned<T>) -> Range<usize> {
    s.span.clone()
}

fn from_yaml_error(file: &Arc<SourceFile>, e: &serde_saphyr::Error) -> Diagnostic {
    let at = e
        .location()
        .map(|l| file.offset_of(l.line() as usize, l.column() as usize))
        .unwrap_or(0);
    let msg = first_line(&e.without_snippet().to_string());
    if let Some((unknown, expected)) = parse_unknown_field(&msg) {
        return unknown_key(file, at, &unknown, expected.iter().map(String::as_str));
    }
    if let Some(d) = structural(file, e.without_snippet(), at) {
        return d;
    }
    if msg.contains("found a tab") || (msg.contains("tab") && msg.to_lowercase().contains("indent")) {
        // The parser may report the end of the line before the tab: point at the tab itself.
        let line_start = file.text[..at.min(file.text.len())].rfind('\n').map_or(0, |i| i + 1);
        let at = file.text[line_start..].find('\t').map_or(at, |i| line_start + i);
        return Diagnostic::new("yaml-syntax", file, at..at + 1, msg)
            .label("tab here")
            .help("YAML indents with spaces, never tabs");
    }
    if let Some(d) = misindented(file, at) {
        return d;
    }
    if let Some(d) = unclosed(file, at) {
        return d;
    }
    if msg.contains("mapping values are not allowed") {
        return Diagnostic::new(
            "yaml-syntax",
            file,
            at..at + 1,
            "a `: ` here would start a key, which is not allowed here",
        )
        .label("here")
        .help("if this is text containing `: `, put the whole text in quotes");
    }
    Diagnostic::new("yaml-syntax", file, at..at, msg).label("here")
}

/// A key this part of the file does not take, written at `at`, with the closest allowed one.
pub(crate) fn unknown_key<'a>(
    file: &Arc<SourceFile>,
    at: usize,
    unknown: &str,
    expected: impl Iterator<Item = &'a str> + Clone,
) -> Diagnostic {
    let end = at + unknown.len();
    let span = if file.text.get(at..end) == Some(unknown) {
        at..end
    } else {
        at..at
    };
    let mut help = did_you_mean(unknown, expected.clone())
        .unwrap_or_else(|| format!("the keys allowed here are: {}", expected.collect::<Vec<_>>().join(", ")));
    // A key of the entry above, indented too little to belong to it.
    let (_, line) = line_at(&file.text, at);
    if let (Some(mine), Some((_, above))) = (
        indent(line),
        lines_before(&file.text, at).find(|(_, l)| indent(l).is_some()),
    ) && let (Some(theirs), Some(above_key)) = (indent(above), line_key(above))
        && theirs > mine
        && !help.starts_with("did you mean")
    {
        help = format!("{help}; if `{unknown}` belongs with `{above_key}` above it, indent it by {theirs} spaces");
    }
    Diagnostic::new("unknown-key", file, span, format!("unknown key `{unknown}`"))
        .label("not a key this section takes")
        .help(help)
}

/// A value read from a [`super::node::Node`] that is not the kind of value wanted, in the words
/// [`structural`] uses for the same mistake found by the YAML reader.
pub(crate) fn wrong_type(file: &Arc<SourceFile>, at: usize, expected: &str) -> Diagnostic {
    let text = &file.text;
    let key = key_of(text, at);
    let named = key
        .as_deref()
        .map_or_else(|| "this value".to_string(), |k| format!("`{k}`"));
    let value = value_text(text, at);
    let at_value = at..at + value.len().max(1);
    if expected.contains("sequence") || expected.contains("list") {
        let same_line = key_of_line(text, at).is_some();
        let help = match (&key, same_line && !value.is_empty()) {
            (Some(k), true) => format!("write a list in brackets: `{k}: [{value}]`"),
            _ => "write each entry on its own line, starting with `- `, indented under the key".to_string(),
        };
        return Diagnostic::new("wrong-type", file, at_value, format!("{named} takes a list"))
            .label("a list is expected here")
            .help(help);
    }
    if expected.contains("map") || expected.contains("struct") || expected.contains("keys and values") {
        return Diagnostic::new("wrong-type", file, at_value, format!("{named} takes keys and values"))
            .label("keys are expected here")
            .help("write `key: value` lines indented under it");
    }
    Diagnostic::new(
        "wrong-type",
        file,
        at_value,
        format!("{named} should be {}, not `{value}`", plain_type(expected)),
    )
    .label("wrong kind of value")
    .maybe_help(bool_help(expected, &key))
}

/// A key missing from a mapping read from nodes, pointed at as the YAML reader points at one.
pub(crate) fn missing_key(file: &Arc<SourceFile>, at: usize, field: &str) -> Diagnostic {
    missing(file, at, field)
}

/// Wrong types, missing and repeated keys: serde's errors in a data officer's words.
fn structural(file: &Arc<SourceFile>, e: &serde_saphyr::Error, at: usize) -> Option<Diagnostic> {
    use serde_saphyr::Error as E;
    let text = &file.text;
    let key = key_of(text, at);
    let named = key
        .as_deref()
        .map_or_else(|| "this value".to_string(), |k| format!("`{k}`"));
    let value = value_text(text, at);
    let at_value = at..at + value.len().max(1);
    let d = match e {
        E::Unexpected { expected, .. } if expected.contains("sequence") => {
            let same_line = key_of_line(text, at).is_some();
            let help = match (&key, same_line && !value.is_empty()) {
                (Some(k), true) => format!("write a list in brackets: `{k}: [{value}]`"),
                _ => "write each entry on its own line, starting with `- `, indented under the key".to_string(),
            };
            Diagnostic::new("wrong-type", file, at_value, format!("{named} takes a list"))
                .label("a list is expected here")
                .help(help)
        }
        E::Unexpected { expected, .. } if expected.contains("scalar") || *expected == "value" => {
            let inner = value.strip_prefix('[').and_then(|v| v.strip_suffix(']'));
            let help = match (&key, inner) {
                (Some(k), Some(one)) if !one.contains(',') => format!("write `{k}: {}`", one.trim()),
                _ if value.starts_with('[') || value.starts_with('-') => "give one value, not a list".to_string(),
                _ => "if the text contains `: `, put the whole text in quotes".to_string(),
            };
            Diagnostic::new("wrong-type", file, at_value, format!("{named} takes a single value"))
                .label("not a single value")
                .help(help)
        }
        E::Unexpected { expected, .. } if expected.contains("mapping") => {
            Diagnostic::new("wrong-type", file, at_value, format!("{named} takes keys and values"))
                .label("keys are expected here")
                .help("write `key: value` lines indented under it")
        }
        E::InvalidBooleanStrict { .. } => Diagnostic::new(
            "wrong-type",
            file,
            at_value,
            format!("{named} is `true` or `false`, not `{value}`"),
        )
        .label("not true or false")
        .maybe_help(key.as_ref().map(|k| format!("write `{k}: true` or `{k}: false`"))),
        E::InvalidScalar { ty, .. } => Diagnostic::new(
            "wrong-type",
            file,
            at_value,
            format!("{named} should be {}, not `{value}`", plain_type(ty)),
        )
        .label("wrong kind of value")
        .maybe_help(bool_help(ty, &key)),
        E::SerdeInvalidType { expected, .. } => Diagnostic::new(
            "wrong-type",
            file,
            at_value,
            format!("{named} should be {}, not `{value}`", plain_type(expected)),
        )
        .label("wrong kind of value")
        .maybe_help(bool_help(expected, &key)),
        E::SerdeMissingField { field, .. } => return Some(missing(file, at, field)),
        E::DuplicateMappingKey { key: Some(k), .. } => return Some(duplicate(file, at, k)),
        _ => return None,
    };
    Some(d)
}

fn bool_help(ty: &str, key: &Option<String>) -> Option<String> {
    let k = key.as_ref().filter(|_| ty.contains("bool"))?;
    Some(format!("write `{k}: true` or `{k}: false`"))
}

fn plain_type(ty: &str) -> String {
    match ty {
        t if t.contains("bool") => "`true` or `false`".into(),
        t if t.contains("int") || t.starts_with('u') || t.starts_with('i') => "a whole number".into(),
        t if t.contains("float") || t.starts_with('f') => "a number".into(),
        t if t.contains("string") => "text".into(),
        t if t.contains("sequence") => "a list".into(),
        t if t.contains("map") => "keys and values".into(),
        t => t.to_string(),
    }
}

/// The line holding byte `at`: its start and text (without the newline).
fn line_at(text: &str, at: usize) -> (usize, &str) {
    let at = at.min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    (start, &text[start..end])
}

/// Where a line's content starts (after spaces and a `- `), or `None` for a blank or comment line.
fn indent(line: &str) -> Option<usize> {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[spaces..];
    if rest.trim().is_empty() || rest.starts_with('#') {
        return None;
    }
    Some(spaces + if rest.starts_with("- ") { 2 } else { 0 })
}

/// `key` of a line whose content (after `- `) is `key:` or `key: value`.
fn line_key(line: &str) -> Option<&str> {
    let content = line.trim_start().trim_start_matches("- ").trim_start();
    let (k, rest) = content.split_once(':')?;
    (is_key(k) && (rest.is_empty() || rest.starts_with(' '))).then_some(k)
}

fn is_key(k: &str) -> bool {
    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Lines before the one holding `at`, nearest first: (start offset, text).
fn lines_before(text: &str, at: usize) -> impl Iterator<Item = (usize, &str)> {
    let (start, _) = line_at(text, at);
    let mut end = start;
    std::iter::from_fn(move || {
        if end == 0 {
            return None;
        }
        let (s, l) = line_at(text, end - 1);
        end = s;
        Some((s, l))
    })
}

/// The key whose value is at `at`: `key:` earlier on the same line, or the
/// nearest line above indented less.
fn key_of(text: &str, at: usize) -> Option<String> {
    if let Some(k) = key_of_line(text, at) {
        return Some(k);
    }
    let (_, line) = line_at(text, at);
    let mine = indent(line)?;
    lines_before(text, at)
        .filter(|(_, l)| indent(l).is_some_and(|i| i < mine))
        .find_map(|(_, l)| line_key(l).map(str::to_owned))
}

/// `key:` just before `at` on its line.
fn key_of_line(text: &str, at: usize) -> Option<String> {
    let (start, line) = line_at(text, at);
    let before = &line[..(at - start).min(line.len())];
    if let Some(i) = before.trim_end().strip_suffix(':').map(str::len) {
        let k: String = before[..i]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if is_key(&k) {
            return Some(k);
        }
    }
    None
}

/// The value written at `at`, to the end of its line (without a comment).
fn value_text(text: &str, at: usize) -> String {
    let (start, line) = line_at(text, at);
    let rest = &line[(at - start).min(line.len())..];
    rest.split(" #").next().unwrap_or(rest).trim().to_string()
}

/// A key the entry ending at `at` lacks; or, when the key is on a following
/// line indented differently, that line.
fn missing(file: &Arc<SourceFile>, at: usize, field: &str) -> Diagnostic {
    let text = &file.text;
    let (start, line) = line_at(text, at);
    let mine = indent(line).unwrap_or(0);
    // The key written, but not lined up with the entry's keys.
    let mut next = start + line.len() + 1;
    while next < text.len() {
        let (s, l) = line_at(text, next);
        next = s + l.len() + 1;
        let Some(i) = indent(l) else { continue };
        if line_key(l) == Some(field) && i != mine {
            return misaligned(file, s + i, field, i, mine, line_key(line));
        }
        if i < mine.saturating_sub(2) {
            break;
        }
    }
    // Point at the entry's first line.
    let first = std::iter::once((start, line))
        .chain(lines_before(text, at))
        .take_while(|(_, l)| indent(l).is_none_or(|i| i >= mine))
        .filter(|(_, l)| indent(l) == Some(mine))
        .last()
        .map_or(at, |(s, l)| s + mine.min(l.len()));
    let (_, first_line) = line_at(text, first);
    let end = first + first_line.len() - (first - line_at(text, first).0);
    Diagnostic::new("missing-key", file, first..end, format!("missing key `{field}`"))
        .label(format!("this entry has no `{field}`"))
        .help(format!("add `{field}: ...`, lined up with the entry's other keys"))
}

fn misaligned(
    file: &Arc<SourceFile>,
    at: usize,
    key: &str,
    is: usize,
    should: usize,
    above: Option<&str>,
) -> Diagnostic {
    let like = above.map_or_else(String::new, |a| format!(", like `{a}` above it"));
    Diagnostic::new(
        "bad-indentation",
        file,
        at..at + key.len(),
        format!("`{key}` is not lined up with the keys of its entry"),
    )
    .label(format!("indented {is} spaces, the entry's keys {should}"))
    .help(format!("indent `{key}` by {should} spaces{like}"))
}

/// A key written twice in one mapping; often the keys under `fix:` (or another
/// key) were not indented under it.
fn duplicate(file: &Arc<SourceFile>, at: usize, key: &str) -> Diagnostic {
    let text = &file.text;
    let (start, line) = line_at(text, at);
    let mine = indent(line).unwrap_or(0);
    let at = start + mine;
    let same: Vec<(usize, &str)> = lines_before(text, at)
        .filter(|(_, l)| indent(l).is_some())
        .take_while(|(_, l)| indent(l).is_some_and(|i| i >= mine))
        .filter(|(_, l)| indent(l) == Some(mine))
        .collect();
    // `parent:` with nothing after it, directly above a run of keys at its own level.
    if let Some((_, l)) = same.first()
        && let Some(parent) = line_key(l)
        && l.trim_end().ends_with(':')
    {
        return Diagnostic::new(
            "bad-indentation",
            file,
            at..at + key.len(),
            format!("the keys under `{parent}:` are not indented under it"),
        )
        .label(format!(
            "`{key}` is read as a second `{key}` of the entry, not part of `{parent}`"
        ))
        .help(format!(
            "indent the lines that belong to `{parent}` by two more spaces than `{parent}`"
        ));
    }
    let first = same
        .iter()
        .find(|(_, l)| line_key(l) == Some(key))
        .map(|(s, _)| file.line_col(*s).0);
    Diagnostic::new(
        "duplicate-key",
        file,
        at..at + key.len(),
        format!("`{key}` is written twice in this entry"),
    )
    .label("second one")
    .help(match first {
        Some(n) => format!("the first is on line {n}; keep one"),
        None => "keep one".to_string(),
    })
}

/// A line indented more or less than the keys around it.
fn misindented(file: &Arc<SourceFile>, at: usize) -> Option<Diagnostic> {
    let text = &file.text;
    let (start, line) = line_at(text, at);
    let mine = indent(line)?;
    let key = line_key(line)?;
    let (_, above) = lines_before(text, at).find(|(_, l)| indent(l).is_some())?;
    let theirs = indent(above)?;
    let above_key = line_key(above)?;
    // `table: plans` then `  kind: required`: read as more text of `plans`.
    let has_value = !above.trim_end().ends_with(':');
    if mine > theirs && has_value {
        return Some(
            Diagnostic::new(
                "bad-indentation",
                file,
                start + mine..start + mine + key.len(),
                format!("`{key}` is indented more than `{above_key}` above it"),
            )
            .label("indented too far")
            .help(format!(
                "indent `{key}` by {theirs} spaces, like `{above_key}`; keys of one entry line up"
            )),
        );
    }
    if mine != theirs {
        return Some(misaligned(file, start + mine, key, mine, theirs, Some(above_key)));
    }
    None
}

/// A `[` or `{` left open on an earlier line: the parser only notices later.
fn unclosed(file: &Arc<SourceFile>, at: usize) -> Option<Diagnostic> {
    let text = &file.text;
    let (start, line) = line_at(text, at);
    for (s, l) in std::iter::once((start, line)).chain(lines_before(text, at)).take(3) {
        let mut depth: Vec<(usize, char)> = Vec::new();
        let mut quote = None;
        for (i, c) in l.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '#') if i == 0 || l[..i].ends_with(' ') => break,
                (None, '[' | '{') => depth.push((i, c)),
                (None, ']' | '}') => {
                    depth.pop();
                }
                _ => {}
            }
        }
        if let Some(&(i, c)) = depth.first() {
            let close = if c == '[' { ']' } else { '}' };
            return Some(
                Diagnostic::new(
                    "yaml-syntax",
                    file,
                    s + i..s + i + 1,
                    format!("this `{c}` is never closed"),
                )
                .label("opened here")
                .help(format!("close it with `{close}` on the same line")),
            );
        }
    }
    None
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or(s);
    // serde-saphyr appends " at line X column Y"; the renderer shows that itself.
    match line.rfind(" at line ") {
        Some(i) => line[..i].to_string(),
        None => line.to_string(),
    }
}

/// serde's "unknown field `x`, expected one of `a`, `b`" (or "expected `a`");
/// serde-saphyr writes the names without backticks ("expected one of a, b").
fn parse_unknown_field(msg: &str) -> Option<(String, Vec<String>)> {
    let rest = msg.split("unknown field `").nth(1)?;
    let (unknown, rest) = rest.split_once('`')?;
    let list = rest.split_once("expected ").map_or("", |(_, l)| l);
    let list = list.strip_prefix("one of ").unwrap_or(list);
    let expected = list
        .split(", ")
        .map(|n| n.trim().trim_matches('`').to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    Some((unknown.to_owned(), expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_message_is_parsed() {
        let (u, e) = parse_unknown_field("unknown field `tabel`, expected one of `table`, `kind`").unwrap();
        assert_eq!(u, "tabel");
        assert_eq!(e, vec!["table", "kind"]);
        let (u, e) = parse_unknown_field("unknown field `tabel`, expected one of id, table, kind").unwrap();
        assert_eq!(u, "tabel");
        assert_eq!(e, vec!["id", "table", "kind"]);
    }
}
