//! Where a table's rows and values are in an XML return (the CIN census): the element each row
//! is, and the path from it to each value, as a pack declares them.
//!
//! A table's `element` is the path of its row element from the document's root
//! (`Message/Children/Child/CINdetails`); a column's `xml` is the path from the row element to
//! its value: child elements by name (`CINreferralDate`, `Reviews/CPPreviewDate`), `..` for the
//! parent (`../ChildIdentifiers/LAchildID`: the child's id, beside its episodes), `.` for the
//! row element's own text, and a last `#` for an element's place among its namesakes (`#`: the
//! row's, `../#`: its parent's), the ids the DfE generates to tie a row to its parent.

/// A column's path from its row element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlPath {
    /// Steps up to an ancestor first.
    pub up: usize,
    /// Then child elements, by name.
    pub down: Vec<String>,
    /// The element's place among its namesakes (1, 2, ...) rather than its text.
    pub ordinal: bool,
}

impl XmlPath {
    /// Read a path as a pack writes it; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<XmlPath, String> {
        let mut path = XmlPath {
            up: 0,
            down: Vec::new(),
            ordinal: false,
        };
        let steps: Vec<&str> = text.trim().split('/').collect();
        for (i, step) in steps.iter().enumerate() {
            let last = i + 1 == steps.len();
            match *step {
                "." if steps.len() == 1 => {}
                ".." if path.down.is_empty() => path.up += 1,
                ".." => return Err("`..` can only start a path".into()),
                "#" if last => path.ordinal = true,
                "#" => return Err("`#` can only end a path".into()),
                name if is_name(name) => path.down.push(name.to_string()),
                "" => return Err("an empty step (two `/` together, or one at an end)".into()),
                other => return Err(format!("`{other}` is not an element name")),
            }
        }
        Ok(path)
    }
}

/// A table's row element: names from the root down.
pub fn element_path(text: &str) -> Result<Vec<String>, String> {
    let steps: Vec<String> = text.trim().split('/').map(str::to_string).collect();
    match steps.iter().find(|s| !is_name(s)) {
        Some(s) if s.is_empty() => Err("an empty step (two `/` together, or one at an end)".into()),
        Some(s) => Err(format!("`{s}` is not an element name")),
        None => Ok(steps),
    }
}

/// An XML element name without a namespace prefix (letters, digits, `_`, `-`, `.`; not
/// starting with a digit, `-` or `.`).
fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_written() {
        let p = XmlPath::parse("../ChildIdentifiers/LAchildID").unwrap();
        assert_eq!(
            (p.up, p.down.as_slice(), p.ordinal),
            (1, &["ChildIdentifiers".to_string(), "LAchildID".into()][..], false)
        );
        assert_eq!(
            XmlPath::parse("#").unwrap(),
            XmlPath {
                up: 0,
                down: vec![],
                ordinal: true
            }
        );
        assert_eq!(
            XmlPath::parse("../#").unwrap(),
            XmlPath {
                up: 1,
                down: vec![],
                ordinal: true
            }
        );
        assert_eq!(
            XmlPath::parse(".").unwrap(),
            XmlPath {
                up: 0,
                down: vec![],
                ordinal: false
            }
        );
        assert_eq!(XmlPath::parse("CINreferralDate").unwrap().down, ["CINreferralDate"]);
    }

    #[test]
    fn bad_paths_say_why() {
        assert_eq!(XmlPath::parse("a/../b").unwrap_err(), "`..` can only start a path");
        assert_eq!(XmlPath::parse("#/a").unwrap_err(), "`#` can only end a path");
        assert_eq!(
            XmlPath::parse("a//b").unwrap_err(),
            "an empty step (two `/` together, or one at an end)"
        );
        assert_eq!(XmlPath::parse("1abc").unwrap_err(), "`1abc` is not an element name");
        assert_eq!(
            element_path("Message/Children/").unwrap_err(),
            "an empty step (two `/` together, or one at an end)"
        );
        assert_eq!(
            element_path("Message/Children/Child").unwrap(),
            ["Message", "Children", "Child"]
        );
    }
}
