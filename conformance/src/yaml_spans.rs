//! Where each field of a YAML document squadsim reads is (a scenario, a lint
//! config, a rules file): a span index built from the YAML event stream itself,
//! keyed by the field path as `serde_path_to_error` prints it
//! (`steps[3].launch.count`, `overrides.legacy-alias.paths[0]`), and the
//! structural checks that run before serde_yaml walks the document.
//!
//! Guarantees:
//! - a field is located by its path in the document, never by searching the
//!   text: a mapping entry by its key, a sequence item by its first character
//!   (a comment, or a value elsewhere that spells the same word, is never taken for it);
//! - every path resolves to a line: the longest prefix the document holds,
//!   else the document's start (line 1);
//! - the pass refuses, with the line and column, a file larger than its
//!   [`Limits::max_file_bytes`], bytes that are not UTF-8, a raw character YAML
//!   does not allow (control characters), a YAML syntax error, a second
//!   document, nesting deeper than [`Limits::max_depth`], a string longer than
//!   [`Limits::max_string_bytes`] and a list or mapping longer than
//!   [`Limits::max_entries`]; it stops at the first, so its cost is bounded by
//!   the file size (it never scans past a nesting level it refuses).

use std::collections::BTreeMap;
use std::fmt;

use saphyr_parser::{Event, Parser, Span};

/// What one kind of document may hold: the bounds [`decode`] and [`Spans::index`] check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// What the document is, for messages ("a scenario").
    pub document: &'static str,
    /// The largest file, in bytes.
    pub max_file_bytes: usize,
    /// The deepest nesting of lists and mappings.
    pub max_depth: usize,
    /// The longest string, in bytes.
    pub max_string_bytes: usize,
    /// The most entries in any one list or mapping.
    pub max_entries: usize,
}

/// A line and column in a file, both 1-based (the column counts characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
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
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A field path, printed as `serde_path_to_error` prints one (`faults[1].partition.between[1]`;
/// the document itself is the empty path).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// The path of the whole document.
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// This path, then the mapping key `key`.
    pub fn key(&self, key: &str) -> Self {
        let mut path = self.clone();
        path.0.push(Segment::Key(key.to_string()));
        path
    }

    /// This path, then the sequence index `index`.
    pub fn index(&self, index: usize) -> Self {
        let mut path = self.clone();
        path.0.push(Segment::Index(index));
        path
    }

    /// Its segments, from the document's root.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// This path, then a path printed as [`Display`](fmt::Display) prints one
    /// (`blockers[1]`, `effect.status`; its keys hold no `.` or `[`).
    pub fn then_printed(&self, printed: &str) -> Self {
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
    pub fn from_serde(path: &serde_path_to_error::Path) -> Self {
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

/// What is structurally wrong with a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file is larger than [`Limits::max_file_bytes`].
    TooLarge(Limits),
    /// A byte sequence that is not UTF-8.
    NotUtf8,
    /// A raw character YAML does not allow in a document.
    Unprintable(char),
    /// The YAML parser's own complaint.
    Syntax(String),
    /// A second YAML document in the file.
    SecondDocument(Limits),
    /// Nesting deeper than [`Limits::max_depth`].
    TooDeep(Limits),
    /// A string of this many bytes, longer than [`Limits::max_string_bytes`].
    TooLong(usize, Limits),
    /// A list or mapping with more than [`Limits::max_entries`] entries.
    TooManyEntries(Limits),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::TooLarge(limits) => {
                write!(f, "the file is larger than {} bytes, the most {} may hold", limits.max_file_bytes, limits.document)
            }
            Problem::NotUtf8 => f.write_str("expected UTF-8 text: the file holds a byte sequence that is not UTF-8"),
            Problem::Unprintable(c) => write!(
                f,
                "a raw control character (U+{:04X}) is not allowed in YAML: write it as an escape in a double-quoted string",
                u32::from(*c)
            ),
            Problem::Syntax(info) => write!(f, "invalid YAML: {info}"),
            Problem::SecondDocument(limits) => write!(
                f,
                "expected one YAML document: a second document begins here ({} is one document)",
                limits.document
            ),
            Problem::TooDeep(limits) => write!(f, "expected at most {} levels of nesting", limits.max_depth),
            Problem::TooLong(len, limits) => {
                write!(f, "expected a string of at most {} bytes, got {len} bytes", limits.max_string_bytes)
            }
            Problem::TooManyEntries(limits) => write!(f, "expected at most {} entries", limits.max_entries),
        }
    }
}

/// A structural problem, where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misshapen {
    pub at: Location,
    /// The field it is in, where the document got that far.
    pub field: FieldPath,
    pub problem: Problem,
}

impl Misshapen {
    fn at(at: Location, problem: Problem) -> Self {
        Misshapen { at, field: FieldPath::root(), problem }
    }
}

/// The file's bytes as text: at most [`Limits::max_file_bytes`], UTF-8, and
/// holding only characters YAML allows (YAML 1.2, `c-printable`). A byte order
/// mark that begins the file (as some Windows editors write one) is not part of
/// the text: lines and columns are counted after it, as an editor shows them.
pub fn decode<'a>(bytes: &'a [u8], limits: &Limits) -> Result<&'a str, Misshapen> {
    if bytes.len() > limits.max_file_bytes {
        return Err(Misshapen::at(Location::at_byte(bytes, limits.max_file_bytes), Problem::TooLarge(*limits)));
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

/// The location of every node of a document, by field path.
#[derive(Debug)]
pub struct Spans {
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
    pub fn index(text: &str, limits: &Limits) -> Result<Spans, Misshapen> {
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
                        return Err(Misshapen::at(at, Problem::SecondDocument(*limits)));
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
            let node = spans.place(&mut open, &event, at, limits)?;
            if let Event::Scalar(value, ..) = &event {
                if value.len() > limits.max_string_bytes {
                    let field = spans.path(node.unwrap_or(0));
                    return Err(Misshapen { at, field, problem: Problem::TooLong(value.len(), *limits) });
                }
            }
            if let Some(kind) = collection {
                if open.len() >= limits.max_depth {
                    let field = spans.path(node.unwrap_or(0));
                    return Err(Misshapen { at, field, problem: Problem::TooDeep(*limits) });
                }
                open.push(Open { node, entries: 0, kind });
            }
        }
        Ok(spans)
    }

    /// Gives the node that starts at `at` its place under the innermost open
    /// collection (or the root); returns its index entry, if it has one.
    fn place(
        &mut self,
        open: &mut [Open],
        event: &Event<'_>,
        at: Location,
        limits: &Limits,
    ) -> Result<Option<usize>, Misshapen> {
        let Some(parent) = open.last_mut() else {
            self.nodes[0].at = at;
            return Ok(Some(0));
        };
        if !matches!(parent.kind, Kind::Mapping(Some(_))) {
            parent.entries += 1;
            if parent.entries > limits.max_entries {
                let field = self.path(parent.node.unwrap_or(0));
                return Err(Misshapen { at, field, problem: Problem::TooManyEntries(*limits) });
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
    pub fn find(&self, path: &FieldPath) -> (Location, bool) {
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
    pub fn locate(&self, path: &FieldPath) -> Location {
        self.find(path).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document's bounds as a test's: small enough to reach.
    const LIMITS: Limits =
        Limits { document: "a test", max_file_bytes: 4096, max_depth: 8, max_string_bytes: 64, max_entries: 16 };

    fn spans(text: &str) -> Spans {
        Spans::index(text, &LIMITS).unwrap()
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
        let second = Spans::index("name: a\nsteps: [health]\n---\nname: b\n", &LIMITS).unwrap_err();
        assert_eq!((second.at.line, second.problem.clone()), (3, Problem::SecondDocument(LIMITS)));
        let deep = format!("name: x\nworld: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = Spans::index(&deep, &LIMITS).unwrap_err();
        assert_eq!(err.at.line, 2, "{err:?}");
        let nested = format!("a: {}1{}\n", "[".repeat(LIMITS.max_depth), "]".repeat(LIMITS.max_depth));
        assert_eq!(Spans::index(&nested, &LIMITS).unwrap_err().problem, Problem::TooDeep(LIMITS));
        let fits = format!("a: {}1{}\n", "[".repeat(LIMITS.max_depth - 1), "]".repeat(LIMITS.max_depth - 1));
        assert!(Spans::index(&fits, &LIMITS).is_ok());
        let long = format!("name: x\ndescription: {}\n", "d".repeat(LIMITS.max_string_bytes + 1));
        let err = Spans::index(&long, &LIMITS).unwrap_err();
        assert_eq!((err.at.line, err.field.to_string()), (2, "description".to_string()));
        let many = format!("a: [{}]\n", vec!["1"; LIMITS.max_entries + 1].join(", "));
        let err = Spans::index(&many, &LIMITS).unwrap_err();
        assert_eq!(err.problem.to_string(), "expected at most 16 entries");
        assert_eq!((err.field.to_string(), err.problem), ("a".to_string(), Problem::TooManyEntries(LIMITS)));
        let syntax = Spans::index("name: x\nsteps: [health\n", &LIMITS).unwrap_err();
        assert!(matches!(syntax.problem, Problem::Syntax(_)), "{syntax:?}");
        // The parser counts columns from 0; an editor, and every other location here, from 1.
        let text = "name: x\nsteps: a: b\n";
        let err = Spans::index(text, &LIMITS).unwrap_err();
        let line = text.lines().nth(err.at.line - 1).unwrap();
        assert_eq!(line[err.at.column - 1..].chars().next(), Some(':'), "{err:?}: the second `:` of `{line}`");
    }

    #[test]
    fn each_bound_admits_its_limit_and_refuses_one_more() {
        let string = |n: usize| format!("a: {}\n", "d".repeat(n));
        assert!(Spans::index(&string(LIMITS.max_string_bytes), &LIMITS).is_ok());
        assert!(Spans::index(&string(LIMITS.max_string_bytes + 1), &LIMITS).is_err());
        let entries = |n: usize| format!("a: [{}]\n", vec!["1"; n].join(", "));
        assert!(Spans::index(&entries(LIMITS.max_entries), &LIMITS).is_ok());
        assert!(Spans::index(&entries(LIMITS.max_entries + 1), &LIMITS).is_err());
        assert!(decode(&vec![b'#'; LIMITS.max_file_bytes], &LIMITS).is_ok());
        assert!(decode(&vec![b'#'; LIMITS.max_file_bytes + 1], &LIMITS).is_err());
    }

    #[test]
    fn bytes_that_are_not_utf8_or_yaml_are_refused_where_they_are() {
        let err = decode(b"name: x\nworld:\n  tenants: [a\xffb]\n", &LIMITS).unwrap_err();
        assert_eq!((err.at, err.problem), (Location { line: 3, column: 14 }, Problem::NotUtf8));
        let err = decode("name: \"é\u{1b}[31m\"\n".as_bytes(), &LIMITS).unwrap_err();
        assert_eq!((err.at, err.problem), (Location { line: 1, column: 9 }, Problem::Unprintable('\u{1b}')));
        assert!(decode("name: \"\\e[31m\" # tab\there\r\n".as_bytes(), &LIMITS).is_ok());
        let big = vec![b'#'; LIMITS.max_file_bytes + 1];
        assert_eq!(decode(&big, &LIMITS).unwrap_err().problem, Problem::TooLarge(LIMITS));
    }
}
