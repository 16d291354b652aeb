//! XML returns (the CIN census): one pass over the document gives every table read from it.
//!
//! Each table the pack declares with an `element` (see [`crate::model::xml`]) is the rows of
//! that element, one value per column from its path. The reader keeps one small part of the
//! document at a time: the subtree each row's values can reach (for the census, one `Child`),
//! so a value may come from a parent or a sibling (the child's `LAchildID` beside each of its
//! episodes). A row's `line` is its place in its table (1, 2, ...: the DfE's row number plus
//! one), which names it even where a document puts several elements on one line; where it is
//! in the document, the line and column of its element and of each value's, is kept beside it
//! ([`super::Positions`]) and shown as the finding's cell.
//!
//! Nothing in the document is passed over in silence: an element no table reads holds back the
//! row it is in (rule `ingest.unknown_element`, naming the element, its line and column), as a
//! ragged row does in a CSV export; a document that is not well-formed stops the run, naming
//! the line and column.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use quick_xml::events::Event;
use sha2::{Digest, Sha256};

use super::{BadRow, BadRowKind, Header, RawBatch};
use crate::model::error::{Error, InputError, InputErrorKind, Result};
use crate::model::table::Table;
use crate::model::xml::XmlPath;

/// The XML returns of a run, each read once for every table read from it.
pub struct Documents {
    /// Each table read from an XML file, with the file.
    wanted: Vec<(PathBuf, Table)>,
    read: HashMap<PathBuf, Read>,
}

/// What one pass over a document gave.
struct Read {
    sha256: String,
    bytes: u64,
    /// Per table (by name): its batches.
    tables: HashMap<String, VecDeque<RawBatch>>,
}

impl Documents {
    /// `wanted`: every table the run reads from an XML file, with its file.
    pub fn new(wanted: Vec<(PathBuf, Table)>) -> Self {
        Documents {
            wanted,
            read: HashMap::new(),
        }
    }

    /// `table`'s batches from the document at `path`, reading it (for every table wanted from
    /// it) the first time.
    fn take(&mut self, path: &Path, table: &Table, batch_rows: usize) -> Result<(VecDeque<RawBatch>, String, u64)> {
        if !self.read.contains_key(path) {
            let mut tables: Vec<&Table> = self.wanted.iter().filter(|(p, _)| p == path).map(|(_, t)| t).collect();
            if !tables.iter().any(|t| t.name == table.name) {
                tables.push(table);
            }
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            let sha256 = format!("{:x}", Sha256::digest(&bytes));
            let len = bytes.len() as u64;
            let split = split(path, &bytes, &tables, batch_rows.max(1))?;
            self.read.insert(
                path.to_path_buf(),
                Read {
                    sha256,
                    bytes: len,
                    tables: split,
                },
            );
        }
        let read = self.read.get_mut(path).expect("read above");
        let batches = read.tables.remove(&table.name).unwrap_or_default();
        Ok((batches, read.sha256.clone(), read.bytes))
    }
}

/// A table's rows from an XML return.
pub struct XmlSource {
    pub header: Header,
    batches: VecDeque<RawBatch>,
    pub rows_read: u64,
    bytes: u64,
    sha256: String,
}

impl XmlSource {
    /// `table`'s rows from the document at `path` (read through `documents`, once for every
    /// table read from it), in batches of `batch_rows`.
    pub fn open(path: &Path, table: &Table, batch_rows: usize, documents: &mut Documents) -> Result<XmlSource> {
        if table.element.is_none() {
            return Err(Error::Input(vec![InputError::at(
                path,
                0,
                None,
                InputErrorKind::NoElement {
                    table: table.name.clone(),
                },
            )]));
        }
        let (batches, sha256, bytes) = documents.take(path, table, batch_rows)?;
        let names: Vec<String> = table.columns.iter().map(|c| c.header.clone()).collect();
        let header = super::match_header(&names, table).map_err(|problems| {
            Error::Input(
                problems
                    .into_iter()
                    .map(|(_, kind)| InputError::at(path, 0, None, kind))
                    .collect(),
            )
        })?;
        Ok(XmlSource {
            header,
            batches,
            rows_read: 0,
            bytes,
            sha256,
        })
    }

    pub fn next_batch(&mut self) -> Result<Option<RawBatch>> {
        let batch = self.batches.pop_front();
        if let Some(b) = &batch {
            self.rows_read += (b.num_rows() + b.bad.len()) as u64;
        }
        Ok(batch)
    }

    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    pub fn sha256(&self) -> String {
        self.sha256.clone()
    }
}

/// A value to write into a document: its element's line and column, as the reader named them,
/// and the value.
pub type Edit = ((u64, u64), String);

/// The document at `path` with each value of `edits` (the line and column of its element, as
/// the reader named it, and the new value) written in place of the element's text: every other
/// byte as it was, so the corrected return differs from the one read only where it was corrected.
/// An element written empty (`<Sex/>`) is written out with its value.
pub fn with_values(path: &Path, edits: &[Edit]) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let lines = Lines::new(&bytes);
    let at = |(line, column): (u64, u64), kind| Error::Input(vec![InputError::at(path, line, Some(column), kind)]);
    let mut spans: Vec<(std::ops::Range<usize>, String)> = Vec::with_capacity(edits.len());
    for &((line, column), ref value) in edits {
        let start = lines
            .offset(&bytes, line, column)
            .filter(|&o| bytes.get(o) == Some(&b'<'));
        let Some(start) = start else {
            return Err(at((line, column), InputErrorKind::MalformedXml {
                problem: "a corrected value's element is not where the document was read with it (was the file changed during the run?)".into(),
            }));
        };
        let tag_end = start
            + memchr::memchr(b'>', &bytes[start..]).ok_or_else(|| {
                at(
                    (line, column),
                    InputErrorKind::MalformedXml {
                        problem: "an element's tag is not closed".into(),
                    },
                )
            })?;
        let name_end = bytes[start + 1..tag_end]
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'/')
            .map_or(tag_end, |i| start + 1 + i);
        let name = String::from_utf8_lossy(&bytes[start + 1..name_end]).into_owned();
        let escaped = escape(value);
        if bytes[tag_end - 1] == b'/' {
            // `<Sex/>` becomes `<Sex>M</Sex>`.
            spans.push((tag_end - 1..tag_end + 1, format!(">{escaped}</{name}>")));
            continue;
        }
        let text = tag_end + 1;
        let text_end = text + memchr::memchr(b'<', &bytes[text..]).unwrap_or(bytes.len() - text);
        let closing = format!("</{name}");
        if !bytes[text_end..].starts_with(closing.as_bytes()) {
            return Err(at((line, column), InputErrorKind::XmlNotAValue { element: name }));
        }
        spans.push((text..text_end, escaped.into_owned()));
    }
    spans.sort_by_key(|(r, _)| r.start);
    spans.dedup_by(|a, b| a.0 == b.0);
    let mut out = Vec::with_capacity(bytes.len() + spans.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut from = 0;
    for (range, value) in spans {
        out.extend_from_slice(&bytes[from..range.start]);
        out.extend_from_slice(value.as_bytes());
        from = range.end;
    }
    out.extend_from_slice(&bytes[from..]);
    Ok(out)
}

/// Text as an element's content: `&`, `<` and `>` escaped.
fn escape(value: &str) -> Cow<'_, str> {
    if !value.contains(['&', '<', '>']) {
        return Cow::Borrowed(value);
    }
    Cow::Owned(value.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"))
}

/// Where each line of the document starts, to name an element's line and column.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &[u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text).map(|i| i + 1));
        Lines(starts)
    }

    /// The byte offset of a line and column as [`Lines::at`] names them.
    fn offset(&self, text: &[u8], line: u64, column: u64) -> Option<usize> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        let start = *self.0.get(index)?;
        let end = self.0.get(index + 1).copied().unwrap_or(text.len());
        let rest = std::str::from_utf8(&text[start..end]).ok()?;
        let skip = usize::try_from(column).ok()?.checked_sub(1)?;
        rest.char_indices().nth(skip).map(|(i, _)| start + i)
    }

    /// The line and column (both from 1; the column in characters) of byte `offset`.
    fn at(&self, text: &[u8], offset: usize) -> (u64, u64) {
        let line = self.0.partition_point(|&s| s <= offset).max(1);
        let start = self.0[line - 1];
        let column = String::from_utf8_lossy(&text[start..offset.min(text.len())])
            .chars()
            .count()
            + 1;
        (line as u64, column as u64)
    }
}

/// One table as the reader fills it.
struct Filling<'t> {
    table: &'t Table,
    /// Its row element below its scope's root (empty: the root itself).
    below: Vec<String>,
    scope: usize,
    paths: Vec<XmlPath>,
    builders: Vec<StringBuilder>,
    lines: Vec<u64>,
    positions: super::Positions,
    bad: Vec<BadRow>,
    issues: Vec<super::CellIssue>,
    /// Records so far (rows and rows held back): the next one's `line` is one more.
    records: u64,
    done: VecDeque<RawBatch>,
}

impl Filling<'_> {
    fn flush(&mut self) {
        if self.lines.is_empty() && self.bad.is_empty() {
            return;
        }
        let columns: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        self.done.push_back(RawBatch {
            lines: std::mem::take(&mut self.lines),
            columns,
            bad: std::mem::take(&mut self.bad),
            cell_issues: std::mem::take(&mut self.issues),
            fields_1252: 0,
            verbatim: None,
            positions: Some(Box::new(std::mem::replace(
                &mut self.positions,
                super::Positions::new(self.paths.len()),
            ))),
        });
    }
}

const NONE: u32 = u32::MAX;

/// An element of the part of the document held.
struct Node<'a> {
    /// Its name, interned (see [`Names`]).
    name: u32,
    parent: u32,
    first_child: u32,
    last_child: u32,
    next: u32,
    /// Its place among its parent's children of the same name, from 1.
    ordinal: u32,
    /// Where its start tag is.
    offset: usize,
    text: Cow<'a, str>,
    /// Read by some table (its row, a value, or on the way to one).
    used: bool,
}

/// Element names, each kept once: a document repeats a few dozen names.
#[derive(Default)]
struct Names(HashMap<String, u32>);

impl Names {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.0.get(name) {
            return id;
        }
        let id = self.0.len() as u32;
        self.0.insert(name.to_string(), id);
        id
    }

    /// The id of a name, if the document has used it.
    fn get(&self, name: &str) -> Option<u32> {
        self.0.get(name).copied()
    }

    fn name(&self, id: u32) -> &str {
        self.0
            .iter()
            .find(|&(_, &i)| i == id)
            .map(|(n, _)| n.as_str())
            .expect("ids are handed out by `id`")
    }
}

/// Read the document at `path` (`bytes`) into the rows of each of `tables`.
fn split(
    path: &Path,
    bytes: &[u8],
    tables: &[&Table],
    batch_rows: usize,
) -> Result<HashMap<String, VecDeque<RawBatch>>> {
    let fail = |offset: usize, kind: InputErrorKind| {
        let (line, column) = Lines::new(bytes).at(bytes, offset);
        Error::Input(vec![InputError::at(path, line, Some(column), kind)])
    };
    let text = std::str::from_utf8(bytes).map_err(|e| fail(e.valid_up_to(), InputErrorKind::XmlNotUtf8))?;
    let lines = Lines::new(bytes);
    // Each table's scope: the ancestor of its row element its values can reach.
    let mut scopes: Vec<Vec<String>> = Vec::new();
    let mut fillings = Vec::new();
    for &table in tables {
        let element = table.element.clone().unwrap_or_default();
        let paths: Vec<XmlPath> = table
            .columns
            .iter()
            .map(|c| {
                c.xml.clone().unwrap_or_else(|| XmlPath {
                    up: 0,
                    down: vec![c.header.clone()],
                    ordinal: false,
                })
            })
            .collect();
        let up = paths.iter().map(|p| p.up).max().unwrap_or(0);
        if up >= element.len() {
            return Err(Error::Input(vec![InputError::at(
                path,
                0,
                None,
                InputErrorKind::XmlPathAboveRoot {
                    table: table.name.clone(),
                },
            )]));
        }
        scopes.push(element[..element.len() - up].to_vec());
        fillings.push((table, element, paths));
    }
    // A scope inside another is read with it.
    let outer: Vec<Vec<String>> = scopes
        .iter()
        .filter(|s| !scopes.iter().any(|o| o.len() < s.len() && s.starts_with(o)))
        .cloned()
        .collect();
    let mut outer = outer;
    outer.dedup();
    let mut fillings: Vec<Filling> = fillings
        .into_iter()
        .map(|(table, element, paths)| {
            let scope = outer
                .iter()
                .position(|o| element.starts_with(o))
                .expect("every table's scope is in, or inside, an outer one");
            Filling {
                table,
                below: element[outer[scope].len()..].to_vec(),
                scope,
                builders: (0..paths.len()).map(|_| StringBuilder::new()).collect(),
                positions: super::Positions::new(paths.len()),
                paths,
                lines: Vec::new(),
                bad: Vec::new(),
                issues: Vec::new(),
                records: 0,
                done: VecDeque::new(),
            }
        })
        .collect();

    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().trim_text(false);
    // The names of the open elements outside any scope, and per open element the count of its
    // children by name (for ordinals).
    let mut names = Names::default();
    let mut open: Vec<(u32, Vec<(u32, u32)>)> = Vec::new();
    let mut nodes: Vec<Node> = Vec::new();
    // The scope being held: its index, and the node of each open element in it.
    let mut holding: Option<(usize, Vec<u32>)> = None;
    // Elements outside every scope that no table reads: (offset, name), and the depth skipped to.
    let mut strays: Vec<(usize, String)> = Vec::new();
    let mut skipping = 0usize;
    let mut root_seen = false;
    loop {
        let at = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            fail(
                reader.error_position() as usize,
                InputErrorKind::MalformedXml { problem: e.to_string() },
            )
        })?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let qname = e.local_name();
                let name = names.id(qname.into_inner());
                if skipping > 0 {
                    skipping += usize::from(!empty);
                    continue;
                }
                let ordinal = match open.last_mut() {
                    Some((_, counts)) => match counts.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, n)) => {
                            *n += 1;
                            *n
                        }
                        None => {
                            counts.push((name, 1));
                            1
                        }
                    },
                    None => 1,
                };
                if let Some((_, stack)) = &mut holding {
                    let parent = *stack.last().expect("the scope's root is open while held");
                    let id = nodes.len() as u32;
                    nodes.push(Node {
                        name,
                        parent,
                        first_child: NONE,
                        last_child: NONE,
                        next: NONE,
                        ordinal,
                        offset: at,
                        text: Cow::Borrowed(""),
                        used: false,
                    });
                    let p = &mut nodes[parent as usize];
                    if p.first_child == NONE {
                        p.first_child = id;
                    } else {
                        let last = p.last_child as usize;
                        nodes[last].next = id;
                    }
                    nodes[parent as usize].last_child = id;
                    if !empty {
                        stack.push(id);
                        open.push((name, Vec::new()));
                    }
                    continue;
                }
                let depth = open.len();
                let on_path = |s: &Vec<String>| {
                    s.len() > depth
                        && names.get(&s[depth]) == Some(name)
                        && open.iter().zip(s).all(|((o, _), n)| names.get(n) == Some(*o))
                };
                if !root_seen {
                    root_seen = true;
                    if !outer.iter().any(on_path) {
                        let expected = outer.first().map(|s| s[0].clone()).unwrap_or_default();
                        return Err(fail(
                            at,
                            InputErrorKind::XmlWrongRoot {
                                found: names.name(name).to_string(),
                                expected,
                            },
                        ));
                    }
                }
                match outer.iter().position(|s| s.len() == depth + 1 && on_path(s)) {
                    Some(scope) => {
                        nodes.clear();
                        nodes.push(Node {
                            name,
                            parent: NONE,
                            first_child: NONE,
                            last_child: NONE,
                            next: NONE,
                            ordinal,
                            offset: at,
                            text: Cow::Borrowed(""),
                            used: true,
                        });
                        if empty {
                            take_scope(&mut nodes, &names, &mut fillings, scope, &lines, bytes, batch_rows);
                        } else {
                            holding = Some((scope, vec![0]));
                            open.push((name, Vec::new()));
                        }
                    }
                    None if outer.iter().any(on_path) => {
                        if !empty {
                            open.push((name, Vec::new()));
                        }
                    }
                    None => {
                        strays.push((at, names.name(name).to_string()));
                        skipping = usize::from(!empty);
                    }
                }
            }
            Event::End(_) => {
                if skipping > 0 {
                    skipping -= 1;
                    continue;
                }
                open.pop();
                if let Some((scope, stack)) = &mut holding {
                    stack.pop();
                    if stack.is_empty() {
                        let scope = *scope;
                        holding = None;
                        take_scope(&mut nodes, &names, &mut fillings, scope, &lines, bytes, batch_rows);
                    }
                }
            }
            Event::Text(ref t) if holding.is_some() && skipping == 0 => {
                let piece = t.xml10_content();
                append(&mut nodes, &holding, piece);
            }
            Event::CData(ref c) if holding.is_some() && skipping == 0 => {
                let piece = c.xml10_content();
                append(&mut nodes, &holding, piece);
            }
            Event::GeneralRef(ref r) if holding.is_some() && skipping == 0 => {
                let piece = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name: &str = r;
                        match quick_xml::escape::resolve_predefined_entity(name) {
                            Some(s) => s.to_string(),
                            None => format!("&{name};"),
                        }
                    }
                };
                append(&mut nodes, &holding, Cow::Owned(piece));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    // Elements outside every table's rows: held back as rows of the first table read from
    // the document, so they are reported.
    if let Some(first) = fillings.first_mut() {
        for (offset, name) in strays {
            let (line, column) = lines.at(bytes, offset);
            first.records += 1;
            first.bad.push(BadRow {
                line: first.records,
                kind: BadRowKind::UnknownElement {
                    element: name,
                    line,
                    column,
                    more: 0,
                },
                fields: Vec::new(),
            });
        }
    }
    let mut out = HashMap::new();
    for mut f in fillings {
        f.flush();
        out.insert(f.table.name.clone(), f.done);
    }
    Ok(out)
}

/// Add text to the innermost open element held.
fn append<'a>(nodes: &mut [Node<'a>], holding: &Option<(usize, Vec<u32>)>, piece: Cow<'a, str>) {
    let Some((_, stack)) = holding else {
        return;
    };
    let node = &mut nodes[*stack.last().expect("an element is open") as usize];
    if node.text.is_empty() {
        node.text = piece;
    } else {
        node.text.to_mut().push_str(&piece);
    }
}

/// The children of `node` named `name` (none if the document has no such name).
fn children<'n>(nodes: &'n [Node], node: u32, name: Option<u32>) -> impl Iterator<Item = u32> + 'n {
    let mut next = if name.is_some() {
        nodes[node as usize].first_child
    } else {
        NONE
    };
    std::iter::from_fn(move || {
        while next != NONE {
            let n = next;
            next = nodes[n as usize].next;
            if Some(nodes[n as usize].name) == name {
                return Some(n);
            }
        }
        None
    })
}

/// Mark `node`, its ancestors and (when `whole`) its descendants as read.
fn mark(nodes: &mut [Node], node: u32, whole: bool) {
    if whole {
        let mut child = nodes[node as usize].first_child;
        while child != NONE {
            mark(nodes, child, true);
            child = nodes[child as usize].next;
        }
    }
    let mut n = node;
    while n != NONE && !nodes[n as usize].used {
        nodes[n as usize].used = true;
        n = nodes[n as usize].parent;
    }
    nodes[node as usize].used = true;
}

/// A row found in a held scope: its table's filling, its element, its values and each value's
/// element (none for an ordinal or a missing value).
struct Row {
    filling: usize,
    node: u32,
    values: Vec<String>,
    at: Vec<Option<u32>>,
}

/// The rows a held scope gives each table read in it, then let it go.
fn take_scope(
    nodes: &mut Vec<Node>,
    names: &Names,
    fillings: &mut [Filling],
    scope: usize,
    lines: &Lines,
    bytes: &[u8],
    batch_rows: usize,
) {
    // Each table's rows, in document order, with their values.
    let mut rows: Vec<Row> = Vec::new();
    for (fi, f) in fillings.iter().enumerate().filter(|(_, f)| f.scope == scope) {
        // The elements on the way to its rows are the structure's, even with no row in them
        // (an empty `<Disabilities/>`).
        let mut found = vec![0u32];
        for name in &f.below {
            found = found
                .iter()
                .flat_map(|&n| children(nodes, n, names.get(name)).collect::<Vec<_>>())
                .collect();
            for &n in &found {
                mark(nodes, n, false);
            }
        }
        for row in found {
            mark(nodes, row, false);
            let mut values = Vec::with_capacity(f.paths.len());
            let mut at = Vec::with_capacity(f.paths.len());
            for p in &f.paths {
                let mut from = row;
                for _ in 0..p.up {
                    from = nodes[from as usize].parent;
                }
                let mut reached = vec![from];
                for name in &p.down {
                    reached = reached
                        .iter()
                        .flat_map(|&n| children(nodes, n, names.get(name)).collect::<Vec<_>>())
                        .collect();
                    // On the way to the value, even with none below (`<FactorsIdentifiedAtAssessment/>`).
                    for &n in &reached {
                        mark(nodes, n, false);
                    }
                }
                let value = if p.ordinal {
                    reached
                        .first()
                        .map(|&n| nodes[n as usize].ordinal.to_string())
                        .unwrap_or_default()
                } else {
                    let texts: Vec<&str> = reached
                        .iter()
                        .filter(|&&n| nodes[n as usize].first_child == NONE)
                        .map(|&n| nodes[n as usize].text.as_ref())
                        .collect();
                    texts.join(",")
                };
                if !p.ordinal {
                    for &n in &reached {
                        mark(nodes, n, true);
                    }
                }
                values.push(value);
                at.push(reached.first().copied().filter(|_| !p.ordinal));
            }
            rows.push(Row {
                filling: fi,
                node: row,
                values,
                at,
            });
        }
    }
    // Elements no table reads: each is reported on the row it is in (the nearest row around it,
    // else the scope's first).
    let row_of: HashMap<u32, usize> = rows.iter().enumerate().map(|(i, r)| (r.node, i)).collect();
    let first_row = rows
        .iter()
        .enumerate()
        .min_by_key(|(_, r)| nodes[r.node as usize].offset)
        .map(|(i, _)| i);
    let mut unknown: HashMap<usize, Vec<u32>> = HashMap::new();
    let mut orphans = Vec::new();
    for (id, node) in nodes.iter().enumerate() {
        if node.used || (node.parent != NONE && !nodes[node.parent as usize].used) {
            continue;
        }
        let mut n = node.parent;
        let mut holder = None;
        while n != NONE {
            if let Some(&r) = row_of.get(&n) {
                holder = Some(r);
                break;
            }
            n = nodes[n as usize].parent;
        }
        match holder.or(first_row) {
            Some(r) => unknown.entry(r).or_default().push(id as u32),
            None => orphans.push(id as u32),
        }
    }
    for (
        i,
        Row {
            filling: fi,
            node: row,
            values,
            at,
        },
    ) in rows.into_iter().enumerate()
    {
        let f = &mut fillings[fi];
        f.records += 1;
        // The row is read as it is, so the rules over whole tables see it; the element its
        // table does not read is ingest's finding on it, which holds it back.
        if let Some(elements) = unknown.get(&i) {
            let first = &nodes[elements[0] as usize];
            let (at_line, column) = lines.at(bytes, first.offset);
            f.issues.push(super::CellIssue {
                row: f.lines.len() as u32,
                file_column: 0,
                kind: super::IssueKind::UnknownElement {
                    element: names.name(first.name).to_string(),
                    line: at_line,
                    column,
                    more: elements.len() - 1,
                },
            });
        }
        for (b, v) in f.builders.iter_mut().zip(&values) {
            b.append_value(v);
        }
        f.lines.push(f.records);
        let place = |n: u32| lines.at(bytes, nodes[n as usize].offset);
        f.positions.push(place(row), at.iter().map(|n| n.map(place)));
        if f.lines.len() >= batch_rows {
            f.flush();
        }
    }
    if let Some(f) = fillings.iter_mut().find(|f| f.scope == scope) {
        for id in orphans {
            let node = &nodes[id as usize];
            let (line, column) = lines.at(bytes, node.offset);
            f.records += 1;
            f.bad.push(BadRow {
                line: f.records,
                kind: BadRowKind::UnknownElement {
                    element: names.name(node.name).to_string(),
                    line,
                    column,
                    more: 0,
                },
                fields: Vec::new(),
            });
        }
    }
    nodes.clear();
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Array, StringArray};

    use super::*;

    /// A table read from `element`, with `(header, xml path)` columns (no path: the header).
    fn table(name: &str, element: &str, columns: &[(&str, Option<&str>)]) -> Table {
        let headers: Vec<&str> = columns.iter().map(|(h, _)| *h).collect();
        let mut t = Table::of_text(name, &headers);
        t.element = Some(crate::model::xml::element_path(element).unwrap());
        for (c, (_, path)) in t.columns.iter_mut().zip(columns) {
            c.xml = path.map(|p| XmlPath::parse(p).unwrap());
        }
        t
    }

    fn tables() -> Vec<Table> {
        vec![
            table(
                "children",
                "Message/Children/Child/ChildIdentifiers",
                &[("LAchildID", None), ("Sex", None)],
            ),
            table(
                "episodes",
                "Message/Children/Child/CINdetails",
                &[
                    ("LAchildID", Some("../ChildIdentifiers/LAchildID")),
                    ("CINdetailsID", Some("#")),
                    ("CINreferralDate", None),
                    (
                        "Factors",
                        Some("Assessments/FactorsIdentifiedAtAssessment/AssessmentFactors"),
                    ),
                ],
            ),
            table(
                "reviews",
                "Message/Children/Child/CINdetails/ChildProtectionPlans/Reviews/CPPreviewDate",
                &[
                    ("LAchildID", Some("../../../../ChildIdentifiers/LAchildID")),
                    ("CINdetailsID", Some("../../../#")),
                    ("CPPID", Some("../../#")),
                    ("CPPreviewDate", Some(".")),
                ],
            ),
            table("header", "Message/Header", &[("Year", Some("CollectionDetails/Year"))]),
        ]
    }

    const CENSUS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Message>
  <Header><CollectionDetails><Year>2026</Year></CollectionDetails></Header>
  <Children>
    <Child>
      <ChildIdentifiers>
        <LAchildID>C1</LAchildID>
        <Sex>F</Sex>
      </ChildIdentifiers>
      <CINdetails>
        <CINreferralDate>2025-05-01</CINreferralDate>
        <Assessments>
          <FactorsIdentifiedAtAssessment>
            <AssessmentFactors>1A</AssessmentFactors>
            <AssessmentFactors>2B</AssessmentFactors>
          </FactorsIdentifiedAtAssessment>
        </Assessments>
      </CINdetails>
      <CINdetails>
        <CINreferralDate>2025-09-01</CINreferralDate>
        <ChildProtectionPlans><Reviews><CPPreviewDate>2025-10-01</CPPreviewDate><CPPreviewDate>2026-01-05</CPPreviewDate></Reviews></ChildProtectionPlans>
        <ChildProtectionPlans><Reviews><CPPreviewDate>2026-02-01</CPPreviewDate></Reviews></ChildProtectionPlans>
      </CINdetails>
    </Child>
    <Child>
      <ChildIdentifiers><LAchildID>C&amp;2</LAchildID><Sex><![CDATA[M]]></Sex></ChildIdentifiers>
    </Child>
  </Children>
</Message>
"#;

    fn split_str(xml: &str) -> Result<HashMap<String, VecDeque<RawBatch>>> {
        let tables = tables();
        let refs: Vec<&Table> = tables.iter().collect();
        split(Path::new("census.xml"), xml.as_bytes(), &refs, 2)
    }

    /// A table's rows as `line: value|value` (a row's line is its place in its table), then its
    /// rows held back as `line: rule detail`.
    fn rows(read: &HashMap<String, VecDeque<RawBatch>>, table: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut bad = Vec::new();
        for b in &read[table] {
            for r in 0..b.num_rows() {
                let values: Vec<&str> = b
                    .columns
                    .iter()
                    .map(|c| c.as_any().downcast_ref::<StringArray>().unwrap().value(r))
                    .collect();
                out.push(format!("{}: {}", b.lines[r], values.join("|")));
                for issue in b.cell_issues.iter().filter(|i| i.row as usize == r) {
                    out.push(format!("{}: {:?}", b.lines[r], issue.kind));
                }
            }
            for row in &b.bad {
                bad.push(format!("{}: {:?} {:?}", row.line, row.kind, row.fields));
            }
        }
        out.extend(bad);
        out
    }

    #[test]
    fn corrected_values_are_written_into_their_elements_and_nothing_else_moves() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("census.xml");
        let doc = "<?xml version=\"1.0\"?>\n<M>\n  <C><Sex>U</Sex><Name>Ané</Name><Dob/></C>\n  <C><Sex> F </Sex></C>\n</M>\n";
        std::fs::write(&path, doc).unwrap();
        let edits = [
            ((3, 6), "M".to_string()),
            ((3, 34), "2020-01-01".to_string()),
            ((4, 6), "A & B".to_string()),
        ];
        let out = String::from_utf8(with_values(&path, &edits).unwrap()).unwrap();
        assert_eq!(
            out,
            "<?xml version=\"1.0\"?>\n<M>\n  <C><Sex>M</Sex><Name>Ané</Name><Dob>2020-01-01</Dob></C>\n  <C><Sex>A &amp; B</Sex></C>\n</M>\n"
        );
        assert_eq!(String::from_utf8(with_values(&path, &[]).unwrap()).unwrap(), doc);
        let holds = with_values(&path, &[((3, 3), "x".to_string())])
            .unwrap_err()
            .to_string();
        assert!(holds.contains("holds other elements"), "{holds}");
        let moved = with_values(&path, &[((3, 4), "x".to_string())])
            .unwrap_err()
            .to_string();
        assert!(moved.contains("not where the document was read"), "{moved}");
    }

    #[test]
    fn each_table_gets_its_elements_with_their_parents_values_and_places() {
        let read = split_str(CENSUS).unwrap();
        assert_eq!(rows(&read, "children"), ["1: C1|F", "2: C&2|M"]);
        assert_eq!(
            rows(&read, "episodes"),
            ["1: C1|1|2025-05-01|1A,2B", "2: C1|2|2025-09-01|"]
        );
        assert_eq!(
            rows(&read, "reviews"),
            ["1: C1|2|1|2025-10-01", "2: C1|2|1|2026-01-05", "3: C1|2|2|2026-02-01"]
        );
        assert_eq!(rows(&read, "header"), ["1: 2026"]);
        // Batches of two rows.
        assert_eq!(read["reviews"].len(), 2);
    }

    #[test]
    fn an_element_no_table_reads_is_reported_on_its_row() {
        let xml = CENSUS.replace("<Sex>F</Sex>", "<Sex>F</Sex>\n        <Gender>2</Gender>");
        let read = split_str(&xml).unwrap();
        assert_eq!(
            rows(&read, "children"),
            [
                "1: C1|F",
                r#"1: UnknownElement { element: "Gender", line: 9, column: 9, more: 0 }"#,
                "2: C&2|M",
            ]
        );
        // Its other rows are read as they are.
        assert_eq!(rows(&read, "episodes").len(), 2);
        // Outside every table's rows: held back as a row of the first table.
        let xml = CENSUS.replace("<Children>", "<Children>\n    <Note>x</Note>");
        let read = split_str(&xml).unwrap();
        assert_eq!(
            rows(&read, "children").last().unwrap(),
            r#"3: UnknownElement { element: "Note", line: 5, column: 5, more: 0 } []"#
        );
        // In a child but in no row: reported on the child's first row.
        let xml = CENSUS.replace("    </Child>\n    <Child>", "      <Extra/>\n    </Child>\n    <Child>");
        let read = split_str(&xml).unwrap();
        assert!(
            rows(&read, "children")[1].contains(r#"element: "Extra""#),
            "{:?}",
            rows(&read, "children")
        );
        // Elements of the structure with nothing in them are not unknown.
        let xml = CENSUS.replace(
            "<CINreferralDate>2025-09-01</CINreferralDate>",
            "<CINreferralDate>2025-09-01</CINreferralDate><ChildProtectionPlans><Reviews/></ChildProtectionPlans>",
        );
        let xml = xml.replace(
            "<FactorsIdentifiedAtAssessment>\n            <AssessmentFactors>1A</AssessmentFactors>\n            <AssessmentFactors>2B</AssessmentFactors>\n          </FactorsIdentifiedAtAssessment>",
            "<FactorsIdentifiedAtAssessment/>",
        );
        let read = split_str(&xml).unwrap();
        let episodes = rows(&read, "episodes");
        assert!(episodes.iter().all(|r| !r.contains("Unknown")), "{episodes:?}");
        assert!(episodes[0].ends_with("2025-05-01|"), "{episodes:?}");
    }

    #[test]
    fn a_document_that_is_not_well_formed_names_its_line_and_column() {
        let xml = CENSUS.replace("</Sex>\n      </ChildIdentifiers>", "</Sex>\n      </ChildIdentifier>");
        let e = split_str(&xml).unwrap_err().to_string();
        assert!(e.starts_with("census.xml:9:"), "{e}");
        assert!(e.contains("not well-formed"), "{e}");
        let e = split_str("<Return><Children/></Return>").unwrap_err().to_string();
        assert_eq!(
            e,
            "census.xml:1:1: the document's root element is <Return>, where the pack's tables expect <Message>: is this the right return?"
        );
        let mut bytes = CENSUS.as_bytes().to_vec();
        let at = CENSUS.find("C1").unwrap();
        bytes[at] = 0xC9;
        let tables = tables();
        let refs: Vec<&Table> = tables.iter().collect();
        let e = split(Path::new("census.xml"), &bytes, &refs, 2)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("census.xml:7:20: the XML document is not UTF-8"), "{e}");
    }

    proptest::proptest! {
        /// However many children, episodes and reviews, each element is one row, in order.
        #[test]
        fn every_element_is_one_row(children in proptest::collection::vec(proptest::collection::vec(0usize..4, 0..4), 0..6)) {
            let mut xml = String::from("<Message><Children>\n");
            let (mut episodes, mut reviews) = (0, 0);
            for (c, eps) in children.iter().enumerate() {
                xml.push_str(&format!("<Child><ChildIdentifiers><LAchildID>C{c}</LAchildID></ChildIdentifiers>\n"));
                for &n in eps {
                    episodes += 1;
                    reviews += n;
                    xml.push_str("<CINdetails><ChildProtectionPlans><Reviews>");
                    for r in 0..n {
                        xml.push_str(&format!("<CPPreviewDate>{r}</CPPreviewDate>"));
                    }
                    xml.push_str("</Reviews></ChildProtectionPlans></CINdetails>\n");
                }
                xml.push_str("</Child>\n");
            }
            xml.push_str("</Children></Message>");
            let read = split_str(&xml).unwrap();
            proptest::prop_assert_eq!(rows(&read, "children").len(), children.len());
            proptest::prop_assert_eq!(rows(&read, "episodes").len(), episodes);
            proptest::prop_assert_eq!(rows(&read, "reviews").len(), reviews);
            proptest::prop_assert!(rows(&read, "header").is_empty());
        }
    }
}
