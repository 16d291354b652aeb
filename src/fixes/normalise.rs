//! `normalise`: trim, collapse runs of spaces, and optionally set the case.

use crate::model::diag::{Diagnostic, did_you_mean};
use crate::model::error::Result;
use crate::spec::doc::{KindDoc, Param};
use crate::spec::fix::{Fix, FixBatch, FixCx, FixKind, Lookup, Stage};
use crate::spec::yaml::Spanned;
use crate::spec::yaml::span;

pub struct Normalise;

static DOC: KindDoc = KindDoc {
    name: "normalise",
    summary: "Removes spaces at the start and end of each value, turns every run of spaces, tabs and line breaks inside it into one space, and, with `case`, writes it in upper, lower or title case. Blank values are left alone.",
    why: "A stray space or a different case is enough to stop an id matching across lists or a name matching its duplicate; the value means the same, so the fix is safe to apply every night.",
    example: "- id: CHI-006\n  table: children\n  kind: clean_text\n  columns: [child_id, first_name, surname]\n  message: Value has stray spaces.\n  fix: { kind: normalise, apply: safe }",
    params: &[Param {
        name: "case",
        required: false,
        doc: "`upper`, `lower` or `title` (each word capitalised); default: keep the case.",
    }],
};

#[derive(Debug, Clone, Copy)]
enum Case {
    Keep,
    Upper,
    Lower,
    Title,
}

#[derive(Debug)]
struct Normaliser {
    case: Case,
}

/// The keys a `normalise` correction takes (see its docs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(default)]
    pub case: Option<Spanned<String>>,
}

impl FixKind for Normalise {
    type Params = Params;

    fn doc(&self) -> &'static KindDoc {
        &DOC
    }

    fn stage(&self) -> Stage {
        Stage::Normalise
    }

    fn compile(&self, p: &Params, cx: &FixCx) -> std::result::Result<Box<dyn Fix>, Vec<Diagnostic>> {
        let case = match p.case.as_ref().map(|c| (c, c.value.trim())) {
            None => Case::Keep,
            Some((_, "upper")) => Case::Upper,
            Some((_, "lower")) => Case::Lower,
            Some((_, "title")) => Case::Title,
            Some((c, other)) => {
                return Err(vec![
                    cx.error("unknown-case", span(c), format!("unknown case `{other}`"))
                        .label("not a case")
                        .help(
                            did_you_mean(other, ["upper", "lower", "title"])
                                .unwrap_or_else(|| "`upper`, `lower` or `title`".into()),
                        ),
                ]);
            }
        };
        Ok(Box::new(Normaliser { case }))
    }
}

impl Fix for Normaliser {
    fn propose(&self, b: &FixBatch, column: usize, _: Option<&Lookup>, out: &mut Vec<(u32, String)>) -> Result<()> {
        let text = b.text(column);
        let mut buf = String::new();
        for row in 0..b.num_rows() {
            let v = text.value(row);
            if normalise(v, self.case, &mut buf) && buf != v {
                out.push((row as u32, buf.clone()));
            }
        }
        Ok(())
    }
}

/// Write the normalised form of `v` into `out`; `false` for a blank value.
fn normalise(v: &str, case: Case, out: &mut String) -> bool {
    out.clear();
    let mut start_of_word = true;
    for word in v.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for ch in word.chars() {
            match case {
                Case::Keep => out.push(ch),
                Case::Upper => out.extend(ch.to_uppercase()),
                Case::Lower => out.extend(ch.to_lowercase()),
                // Only one-for-one capitals (`ß` stays `ß`), so a second pass agrees.
                Case::Title if start_of_word => match ch.to_uppercase() {
                    up if up.len() == 1 => out.extend(up),
                    _ => out.push(ch),
                },
                Case::Title => out.extend(ch.to_lowercase()),
            }
            // Hyphenated and apostrophised names: Smith-Jones, O'Brien.
            start_of_word = matches!(ch, '-' | '\'');
        }
        start_of_word = true;
    }
    !out.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(v: &str, case: Case) -> String {
        let mut out = String::new();
        normalise(v, case, &mut out);
        out
    }

    #[test]
    fn spaces_are_trimmed_and_collapsed() {
        assert_eq!(n("  C0012\t ", Case::Keep), "C0012");
        assert_eq!(n("Jane   \r\n Smith", Case::Keep), "Jane Smith");
        assert_eq!(n("   ", Case::Keep), "");
    }

    #[test]
    fn case_is_set_word_by_word() {
        assert_eq!(n("mary-jane o'brien", Case::Title), "Mary-Jane O'Brien");
        assert_eq!(n("SMITH", Case::Title), "Smith");
        assert_eq!(n("sw1a 1aa", Case::Upper), "SW1A 1AA");
        assert_eq!(n("ABC", Case::Lower), "abc");
    }

    proptest::proptest! {
        #[test]
        fn normalising_twice_changes_nothing(v in "\\PC{0,24}", case in 0..4u8) {
            let case = [Case::Keep, Case::Upper, Case::Lower, Case::Title][case as usize];
            let once = n(&v, case);
            proptest::prop_assert_eq!(n(&once, case), once);
        }
    }
}
