//! Positioned diagnostics for files the user wrote (configuration and rules),
//! and the one place that renders them.
//!
//! A [`Diagnostic`] holds a byte span into its [`SourceFile`]; line and column
//! are computed only when rendering, so every stage can point at text without
//! doing arithmetic. Rendering uses annotate-snippets, the renderer behind
//! rustc and cargo, so the output looks like the compiler errors data
//! engineers already read.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// A file the user wrote, kept whole so diagnostics can quote it.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: String) -> Arc<Self> {
        Arc::new(SourceFile {
            path: path.into(),
            text,
        })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }

    /// Byte offset of a 1-based line and character column.
    pub fn offset_of(&self, line: usize, col: usize) -> usize {
        let mut start = 0;
        for _ in 1..line {
            match self.text[start..].find('\n') {
                Some(i) => start += i + 1,
                None => return self.text.len(),
            }
        }
        let rest = &self.text[start..];
        start
            + rest
                .char_indices()
                .nth(col.saturating_sub(1))
                .map_or(rest.len(), |(i, _)| i)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One problem in a configuration or rules file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Stable code, e.g. `unknown-column`; documented in the README.
    pub code: &'static str,
    pub message: String,
    pub file: Arc<SourceFile>,
    /// Byte range in `file.text` of the offending text.
    pub span: Range<usize>,
    /// Short text under the underline.
    pub label: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: &'static str, file: &Arc<SourceFile>, span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            file: Arc::clone(file),
            span,
            label: String::new(),
            help: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn path(&self) -> &Path {
        &self.file.path
    }

    /// 1-based line and column of the start of the span.
    pub fn line_col(&self) -> (usize, usize) {
        self.file.line_col(self.span.start)
    }
}

/// Render diagnostics like rustc: `error[code]: message`, the file, line and
/// column, the source line with the span underlined, then help.
pub fn render(diags: &[Diagnostic], color: bool) -> String {
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    let mut out = String::new();
    for d in diags {
        let path = d.file.path.display().to_string();
        let span = clamp_span(&d.file.text, d.span.clone());
        let title = Level::ERROR.primary_title(d.message.as_str()).id(d.code);
        // A file that could not be read has no text to quote.
        let mut groups = vec![if d.file.text.is_empty() {
            title.element(annotate_snippets::Origin::path(path.as_str()))
        } else {
            title.element(
                Snippet::source(d.file.text.as_str())
                    .path(path.as_str())
                    .annotation(AnnotationKind::Primary.span(span).label(d.label.as_str())),
            )
        }];
        if let Some(help) = &d.help {
            groups.push(Group::with_title(Level::HELP.secondary_title(help.as_str())));
        }
        let _ = writeln!(out, "{}\n", renderer.render(&groups));
    }
    if diags.len() > 1 {
        let _ = writeln!(out, "error: {} problems found", diags.len());
    }
    out
}

fn clamp_span(text: &str, span: Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let end = floor_char_boundary(text, span.end.clamp(start, text.len()));
    start..end
}

/// "did you mean" for a misspelt name: a case-insensitive match first, then the
/// closest name within an edit distance of a third of its length (cargo's
/// rule), so suggestions are never far-fetched.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    if let Some(c) = candidates.iter().find(|c| c.eq_ignore_ascii_case(name) && **c != name) {
        return Some(c);
    }
    let limit = (name.chars().count().max(3)) / 3;
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::damerau_levenshtein(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// `help:` text for a suggestion, if there is one.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    suggest(name, candidates).map(|s| format!("did you mean `{s}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_close_or_absent() {
        let names = ["contacts", "referrals", "cp_plans"];
        assert_eq!(suggest("contact", names), Some("contacts"));
        assert_eq!(suggest("Referrals", names), Some("referrals"));
        assert_eq!(suggest("assessments", names), None);
        assert_eq!(suggest("xy", names), None);
    }

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let f = SourceFile::new("x.yaml", "a: 1\nbé: zz\n".to_string());
        assert_eq!(f.line_col(0), (1, 1));
        let z = f.text.find("zz").unwrap();
        assert_eq!(f.line_col(z), (2, 5));
        assert_eq!(f.offset_of(2, 5), z);
    }
}
