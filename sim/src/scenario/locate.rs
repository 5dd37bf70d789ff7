//! Where each field of a scenario document is: a span index built from the YAML
//! event stream itself, keyed by the field path as `serde_path_to_error` prints
//! it (`steps[3].launch.count`, `agents.planner.skips[0]`), and the structural
//! checks that run before serde_yaml walks the document.
//!
//! Guarantees:
//! - a field is located by its path in the document, never by searching the
//!   text: a mapping entry by its key, a sequence item by its first character;
//! - every path resolves to a line: the longest prefix the document holds,
//!   else the document's start (line 1);
//! - the pass refuses, with the line and column, a file larger than
//!   [`bounds::MAX_FILE_BYTES`], bytes that are not UTF-8, a raw character YAML
//!   does not allow (control characters), a YAML syntax error, a second
//!   document, nesting deeper than [`bounds::MAX_DEPTH`], a string longer than
//!   [`bounds::MAX_STRING_BYTES`] and a list or mapping longer than
//!   [`bounds::MAX_ENTRIES`]; it stops at the first, so its cost is bounded by
//!   the file size (it never scans past a nesting level it refuses).

use std::collections::BTreeMap;
use std::fmt;

use saphyr_parser::{Event, Parser, Span};

use super::bounds;

/// A line and column in a scenario file, both 1-based (the column counts characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Location {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl Location {
    /// The start of the document.
    const START: Location = Location { line: 1, column: 1 };

    fn of(span: &Span) -> Location {
        Location { line: span.start.line(), column: span.start.col() + 1 }
    }

    /// The location of byte `offset` of `text` (a char boundary or the end).
    fn at_byte(text: &[u8], offset: usize) -> Location {
        let before = &text[..offset.min(text.len())];
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        // Characters, not bytes: count the bytes that do not continue a UTF-8 sequence.
        let column = before[line_start..].iter().filter(|&&b| b & 0xC0 != 0x80).count() + 1;
        Location { line, column }
    }
}

/// One step of a field path: a mapping key (a struct field, a map key or an
/// enum variant written as a singleton map) or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// A field path, printed as `serde_path_to_error` prints one (`faults[1].partition.between[1]`;
/// the document itself is the empty path).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// The path of the whole document.
    pub(crate) fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// This path, then the mapping key `key`.
    pub(crate) fn key(&self, key: &str) -> Self {
        let mut path = self.clone();
        path.0.push(Segment::Key(key.to_string()));
        path
    }

    /// This path, then the sequence index `index`.
    pub(crate) fn index(&self, index: usize) -> Self {
        let mut path = self.clone();
        path.0.push(Segment::Index(index));
        path
    }

    /// Its segments, from the document's root.
    pub(crate) fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// This path, then a path printed as [`Display`](fmt::Display) prints one
    /// (`blockers[1]`, `effect.status`; its keys hold no `.` or `[`).
    pub(crate) fn then_printed(&self, printed: &str) -> Self {
        let mut path = self.clone();
        for part in printed.split('.') {
            let (key, indices) = part.split_once('[').unwrap_or((part, ""));
            if !key.is_empty() {
                path.0.push(Segment::Key(key.to_string()));
            }
            for index in indices.split('[').filter(|i| !i.is_empty()) {
                match index.trim_end_matches(']').parse() {
                    Ok(i) => path.0.push(Segment::Index(i)),
                    Err(_) => path.0.push(Segment::Key(index.trim_end_matches(']').to_string())),
                }
            }
        }
        path
    }

    /// The part of serde's path that names document nodes: everything before
    /// the first segment serde could not name.
    pub(crate) fn from_serde(path: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment as S;
        let known = path.iter().map_while(|segment| match segment {
            S::Seq { index } => Some(Segment::Index(*index)),
            S::Map { key } => Some(Segment::Key(key.clone())),
            S::Enum { variant } => Some(Segment::Key(variant.clone())),
            S::Unknown => None,
        });
        FieldPath(known.collect())
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) if i == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
            }
        }
        Ok(())
    }
}

/// What is structurally wrong with a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// The file is larger than [`bounds::MAX_FILE_BYTES`].
    TooLarge,
    /// A byte sequence that is not UTF-8.
    NotUtf8,
    /// A raw character YAML does not allow in a document.
    Unprintable(char),
    /// The YAML parser's own complaint.
    Syntax(String),
    /// A second YAML document in the file.
    SecondDocument,
    /// Nesting deeper than [`bounds::MAX_DEPTH`].
    TooDeep,
    /// A string of this many bytes, longer than [`bounds::MAX_STRING_BYTES`].
    TooLong(usize),
    /// A list or mapping with more than [`bounds::MAX_ENTRIES`] entries.
    TooManyEntries,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::TooLarge => {
                write!(f, "the file is larger than {} bytes, the most a scenario may hold", bounds::MAX_FILE_BYTES)
            }
            Problem::NotUtf8 => f.write_str("expected UTF-8 text: the file holds a byte sequence that is not UTF-8"),
            Problem::Unprintable(c) => write!(
                f,
                "a raw control character (U+{:04X}) is not allowed in YAML: write it as an escape in a double-quoted string",
                u32::from(*c)
            ),
            Problem::Syntax(info) => write!(f, "invalid YAML: {info}"),
            Problem::SecondDocument => {
                f.write_str("expected one YAML document: a second document begins here (a scenario is one document)")
            }
            Problem::TooDeep => write!(f, "expected at most {} levels of nesting", bounds::MAX_DEPTH),
            Problem::TooLong(len) => {
                write!(f, "expected a string of at most {} bytes, got {len} bytes", bounds::MAX_STRING_BYTES)
            }
            Problem::TooManyEntries => write!(f, "expected at most {} entries", bounds::MAX_ENTRIES),
        }
    }
}

/// A structural problem, where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Misshapen {
    pub(crate) at: Location,
    /// The field it is in, where the document got that far.
    pub(crate) field: FieldPath,
    pub(crate) problem: Problem,
}

impl Misshapen {
    fn at(at: Location, problem: Problem) -> Self {
        Misshapen { at, field: FieldPath::root(), problem }
    }
}

/// The file's bytes as text: at most [`bounds::MAX_FILE_BYTES`], UTF-8, and
/// holding only characters YAML allows (YAML 1.2, `c-printable`). A byte order
/// mark that begins the file (as some Windows editors write one) is not part of
/// the text: lines and columns are counted after it, as an editor shows them.
pub(crate) fn decode(bytes: &[u8]) -> Result<&str, Misshapen> {
    if bytes.len() > bounds::MAX_FILE_BYTES {
        return Err(Misshapen::at(Location::at_byte(bytes, bounds::MAX_FILE_BYTES), Problem::TooLarge));
    }
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Misshapen::at(Location::at_byte(bytes, e.valid_up_to()), Problem::NotUtf8))?;
    if let Some((offset, c)) = text.char_indices().find(|&(_, c)| !printable(c)) {
        return Err(Misshapen::at(Location::at_byte(bytes, offset), Problem::Unprintable(c)));
    }
    Ok(text)
}

/// YAML 1.2's `c-printable`: what a YAML stream may hold unescaped.
fn printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// One node of the document: where it is and the path step that reached it.
#[derive(Debug)]
struct Node {
    at: Location,
    parent: usize,
    segment: Option<Segment>,
}

/// The location of every node of a scenario document, by field path.
#[derive(Debug)]
pub(crate) struct Spans {
    /// Node 0 is the document's root.
    nodes: Vec<Node>,
    children: BTreeMap<(usize, Segment), usize>,
}

/// An open collection while the events stream by.
struct Open {
    /// Its node, or `None` inside a part the index cannot name (a complex key).
    node: Option<usize>,
    entries: usize,
    kind: Kind,
}

enum Kind {
    Sequence,
    /// A mapping, expecting a key (`None`) or the value of the key just read
    /// (`Some(node)`, `Some(None)` for a key the index cannot name).
    Mapping(Option<Option<usize>>),
}

impl Spans {
    /// Indexes `text` (already [`decode`]d), refusing what [`Misshapen`] names.
    pub(crate) fn index(text: &str) -> Result<Spans, Misshapen> {
        let mut spans =
            Spans { nodes: vec![Node { at: Location::START, parent: 0, segment: None }], children: BTreeMap::new() };
        let mut open: Vec<Open> = Vec::new();
        let mut documents = 0;
        for event in Parser::new_from_str(text) {
            let (event, span) = event.map_err(|e| Misshapen {
                at: Location { line: e.marker().line(), column: e.marker().col() + 1 },
                field: spans.path(open.iter().rev().find_map(|o| o.node).unwrap_or(0)),
                problem: Problem::Syntax(e.info().to_string()),
            })?;
            let at = Location::of(&span);
            let collection = match &event {
                Event::DocumentStart(_) => {
                    documents += 1;
                    if documents > 1 {
                        return Err(Misshapen::at(at, Problem::SecondDocument));
                    }
                    continue;
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    open.pop();
                    continue;
                }
                Event::Scalar(..) | Event::Alias(_) => None,
                Event::SequenceStart(..) => Some(Kind::Sequence),
                Event::MappingStart(..) => Some(Kind::Mapping(None)),
                Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => continue,
            };
            let node = spans.place(&mut open, &event, at)?;
            if let Event::Scalar(value, ..) = &event {
                if value.len() > bounds::MAX_STRING_BYTES {
                    let field = spans.path(node.unwrap_or(0));
                    return Err(Misshapen { at, field, problem: Problem::TooLong(value.len()) });
                }
            }
            if let Some(kind) = collection {
                if open.len() >= bounds::MAX_DEPTH {
                    return Err(Misshapen { at, field: spans.path(node.unwrap_or(0)), problem: Problem::TooDeep });
                }
                open.push(Open { node, entries: 0, kind });
            }
        }
        Ok(spans)
    }

    /// Gives the node that starts at `at` its place under the innermost open
    /// collection (or the root); returns its index entry, if it has one.
    fn place(&mut self, open: &mut [Open], event: &Event<'_>, at: Location) -> Result<Option<usize>, Misshapen> {
        let Some(parent) = open.last_mut() else {
            self.nodes[0].at = at;
            return Ok(Some(0));
        };
        if !matches!(parent.kind, Kind::Mapping(Some(_))) {
            parent.entries += 1;
            if parent.entries > bounds::MAX_ENTRIES {
                let field = self.path(parent.node.unwrap_or(0));
                return Err(Misshapen { at, field, problem: Problem::TooManyEntries });
            }
        }
        let index = parent.entries - 1;
        Ok(match &mut parent.kind {
            Kind::Sequence => parent.node.map(|p| self.add(p, Segment::Index(index), at)),
            Kind::Mapping(Some(value)) => {
                let node = *value;
                parent.kind = Kind::Mapping(None);
                node
            }
            Kind::Mapping(None) => {
                // A key: its entry is the node its value will have. A collection
                // (or an alias) used as a key has no field path, nor has anything under it.
                let node = match (event, parent.node) {
                    (Event::Scalar(key, ..), Some(p)) => Some(self.add(p, Segment::Key(key.to_string()), at)),
                    _ => None,
                };
                parent.kind = Kind::Mapping(Some(node));
                node
            }
        })
    }

    /// A new node under `parent`; a key given twice is located at its last
    /// occurrence (the one whose value serde keeps, or reports as a duplicate).
    fn add(&mut self, parent: usize, segment: Segment, at: Location) -> usize {
        let id = self.nodes.len();
        self.nodes.push(Node { at, parent, segment: Some(segment.clone()) });
        self.children.insert((parent, segment), id);
        id
    }

    /// The field path of node `id`.
    fn path(&self, mut id: usize) -> FieldPath {
        let mut segments = Vec::new();
        while let Some(segment) = &self.nodes[id].segment {
            segments.push(segment.clone());
            id = self.nodes[id].parent;
        }
        segments.reverse();
        FieldPath(segments)
    }

    /// Where `path` is: the node it names, else the deepest node on the way to
    /// it; and whether the document holds the whole path.
    pub(crate) fn find(&self, path: &FieldPath) -> (Location, bool) {
        let mut id = 0;
        for segment in &path.0 {
            match self.children.get(&(id, segment.clone())) {
                Some(&child) => id = child,
                None => return (self.nodes[id].at, false),
            }
        }
        (self.nodes[id].at, true)
    }

    /// Where `path` is, or the deepest node on the way to it.
    pub(crate) fn locate(&self, path: &FieldPath) -> Location {
        self.find(path).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Spans {
        Spans::index(text).unwrap()
    }

    fn path(text: &str) -> FieldPath {
        let mut p = FieldPath::root();
        for part in text.split('.') {
            let (key, indexes) = part.split_once('[').map_or((part, ""), |(k, rest)| (k, rest));
            p = p.key(key);
            for i in indexes.split('[').filter(|s| !s.is_empty()) {
                p = p.index(i.trim_end_matches(']').parse().unwrap());
            }
        }
        p
    }

    #[test]
    fn a_key_is_located_by_its_path_not_by_its_text() {
        let text = "description: 'a p and a count: here'\nworld:\n  prior_runs:\n    - {run_id: r, project_slug: p}\n";
        let s = spans(text);
        assert_eq!(s.locate(&path("world.prior_runs[0].project_slug")), Location { line: 4, column: 19 });
        assert_eq!(s.locate(&path("world.prior_runs[0]")), Location { line: 4, column: 7 });
        assert_eq!(s.locate(&path("description")), Location { line: 1, column: 1 });
    }

    #[test]
    fn the_third_of_three_counts_is_on_its_own_line() {
        let text = "steps:\n  - launch: {count: 1}\n  - launch:\n      count: 2\n  - wait: {duration: 1s}\n  - launch: {template_id: t,\n      count: 3}\n";
        let s = spans(text);
        assert_eq!(s.locate(&path("steps[3].launch.count")).line, 7);
        assert_eq!(s.locate(&path("steps[1].launch.count")).line, 4);
        assert_eq!(s.locate(&path("steps[2]")), Location { line: 5, column: 5 });
    }

    #[test]
    fn a_path_the_document_lacks_falls_back_to_its_deepest_known_part() {
        let s = spans("name: x\nsteps:\n  - launch: {template_id: t}\n");
        assert_eq!(s.find(&path("steps[0].launch.project_slug")), (Location { line: 3, column: 5 }, false));
        assert_eq!(s.find(&FieldPath::root()), (Location::START, true));
        assert_eq!(spans("").locate(&path("steps")), Location::START);
    }

    #[test]
    fn a_duplicated_key_is_located_at_its_last_occurrence() {
        let s = spans("seed: 1\nseed: 2\n");
        assert_eq!(s.locate(&path("seed")).line, 2);
    }

    #[test]
    fn a_complex_key_hides_what_is_under_it_and_nothing_else() {
        let s = spans("? [a, b]\n: {x: 1}\nname: n\n");
        assert_eq!(s.locate(&path("name")).line, 3);
        assert!(!s.find(&path("a")).1);
    }

    #[test]
    fn paths_print_as_serde_path_to_error_prints_them() {
        assert_eq!(path("faults[1].partition.between[1]").to_string(), "faults[1].partition.between[1]");
        assert_eq!(
            FieldPath::root().key("agents").key("planner").key("skips").index(0).to_string(),
            "agents.planner.skips[0]"
        );
        assert_eq!(FieldPath::root().to_string(), "");
    }

    #[test]
    fn structural_problems_carry_their_line_and_column() {
        let second = Spans::index("name: a\nsteps: [health]\n---\nname: b\n").unwrap_err();
        assert_eq!((second.at.line, second.problem.clone()), (3, Problem::SecondDocument));
        let deep = format!("name: x\nworld: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = Spans::index(&deep).unwrap_err();
        assert_eq!(err.at.line, 2, "{err:?}");
        let nested = format!("a: {}1{}\n", "[".repeat(bounds::MAX_DEPTH), "]".repeat(bounds::MAX_DEPTH));
        assert_eq!(Spans::index(&nested).unwrap_err().problem, Problem::TooDeep);
        let fits = format!("a: {}1{}\n", "[".repeat(bounds::MAX_DEPTH - 1), "]".repeat(bounds::MAX_DEPTH - 1));
        assert!(Spans::index(&fits).is_ok());
        let long = format!("name: x\ndescription: {}\n", "d".repeat(bounds::MAX_STRING_BYTES + 1));
        let err = Spans::index(&long).unwrap_err();
        assert_eq!((err.at.line, err.field.to_string()), (2, "description".to_string()));
        let syntax = Spans::index("name: x\nsteps: [health\n").unwrap_err();
        assert!(matches!(syntax.problem, Problem::Syntax(_)), "{syntax:?}");
    }

    #[test]
    fn bytes_that_are_not_utf8_or_yaml_are_refused_where_they_are() {
        let err = decode(b"name: x\nworld:\n  tenants: [a\xffb]\n").unwrap_err();
        assert_eq!((err.at, err.problem), (Location { line: 3, column: 14 }, Problem::NotUtf8));
        let err = decode("name: \"é\u{1b}[31m\"\n".as_bytes()).unwrap_err();
        assert_eq!((err.at, err.problem), (Location { line: 1, column: 9 }, Problem::Unprintable('\u{1b}')));
        assert!(decode("name: \"\\e[31m\" # tab\there\r\n".as_bytes()).is_ok());
        let big = vec![b'#'; bounds::MAX_FILE_BYTES + 1];
        assert_eq!(decode(&big).unwrap_err().problem, Problem::TooLarge);
    }
}
