//! Reading YAML with positions: the shared first step of the configuration
//! and rules-file parsers (parse, then validate, as cargo-deny does).
//!
//! Values the validator may complain about are read as [`Spanned`], so a
//! later stage can point at them; YAML syntax errors and unknown keys are
//! turned into [`Diagnostic`]s here, with a "did you mean" for keys.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use serde::de::DeserializeOwned;
pub use serde_saphyr::Spanned;

use crate::diag::{Diagnostic, SourceFile, did_you_mean};

/// Read and parse a YAML file into `T`.
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<(T, Arc<SourceFile>), Vec<Diagnostic>> {
    let bytes = std::fs::read(path).map_err(|e| vec![unreadable(path, &e)])?;
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

fn unreadable(path: &Path, e: &std::io::Error) -> Diagnostic {
    let file = SourceFile::new(path, String::new());
    Diagnostic::new(
        "unreadable-file",
        &file,
        0..0,
        format!("cannot read {}: {e}", path.display()),
    )
}

/// Byte range of a spanned value in the file it came from.
pub fn span<T>(s: &Spanned<T>) -> Range<usize> {
    let sp = s.referenced.span();
    match (sp.byte_offset(), sp.byte_len()) {
        (Some(o), Some(l)) => o as usize..(o + l) as usize,
        _ => 0..0,
    }
}

fn from_yaml_error(file: &Arc<SourceFile>, e: &serde_saphyr::Error) -> Diagnostic {
    let at = e
        .location()
        .map(|l| file.offset_of(l.line() as usize, l.column() as usize))
        .unwrap_or(0);
    let msg = first_line(&e.without_snippet().to_string());
    if let Some((unknown, expected)) = parse_unknown_field(&msg) {
        let end = at + unknown.len();
        let span = if file.text.get(at..end) == Some(unknown.as_str()) {
            at..end
        } else {
            at..at
        };
        let help = did_you_mean(&unknown, expected.iter().map(String::as_str))
            .unwrap_or_else(|| format!("the keys allowed here are: {}", expected.join(", ")));
        return Diagnostic::new("unknown-key", file, span, format!("unknown key `{unknown}`"))
            .label("not a key this section takes")
            .help(help);
    }
    if msg.contains("found a tab") || (msg.contains("tab") && msg.to_lowercase().contains("indent")) {
        // The parser may report the end of the line before the tab: point at the tab itself.
        let line_start = file.text[..at.min(file.text.len())].rfind('\n').map_or(0, |i| i + 1);
        let at = file.text[line_start..].find('\t').map_or(at, |i| line_start + i);
        return Diagnostic::new("yaml-syntax", file, at..at + 1, msg)
            .label("tab here")
            .help("YAML indents with spaces, never tabs");
    }
    Diagnostic::new("yaml-syntax", file, at..at, msg).label("here")
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
