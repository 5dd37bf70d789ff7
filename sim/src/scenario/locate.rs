//! Where each field of a scenario document is, and the structural checks that
//! run before serde_yaml walks it: [`squadsim_conformance::yaml_spans`] under
//! the scenario format's [`bounds`].
//!
//! Guarantees: a field is located by its path in the document, never by
//! searching the text; a file larger than [`bounds::MAX_FILE_BYTES`], nesting
//! deeper than [`bounds::MAX_DEPTH`], a string longer than
//! [`bounds::MAX_STRING_BYTES`] and a list or mapping longer than
//! [`bounds::MAX_ENTRIES`] are refused with their line and column.

use squadsim_conformance::yaml_spans::{self, Limits};
pub(crate) use squadsim_conformance::yaml_spans::{FieldPath, Location, Misshapen, Segment, Spans};

use super::bounds;

/// The bounds of a scenario document.
const SCENARIO: Limits = Limits {
    document: "a scenario",
    max_file_bytes: bounds::MAX_FILE_BYTES,
    max_depth: bounds::MAX_DEPTH,
    max_string_bytes: bounds::MAX_STRING_BYTES,
    max_entries: bounds::MAX_ENTRIES,
};

/// The file's bytes as scenario text ([`yaml_spans::decode`] under the scenario bounds).
pub(crate) fn decode(bytes: &[u8]) -> Result<&str, Misshapen> {
    yaml_spans::decode(bytes, &SCENARIO)
}

/// The span index of scenario text [`decode`] accepted ([`Spans::index`] under the scenario bounds).
pub(crate) fn index(text: &str) -> Result<Spans, Misshapen> {
    Spans::index(text, &SCENARIO)
}

/// The line of a scenario document's top-level `name` (of the document's start when
/// it has none), from its span index; `None` for bytes that are no scenario document.
pub(crate) fn name_line(bytes: &[u8]) -> Option<usize> {
    let spans = index(decode(bytes).ok()?).ok()?;
    Some(spans.locate(&FieldPath::root().key("name")).line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_is_found_in_the_document_not_in_the_text() {
        let block = "description: |\n  name: not this one\nname: this-one\n";
        assert_eq!(name_line(block.as_bytes()), Some(3));
        assert_eq!(name_line(b"# a scenario\n{seed: 1,\n name: flow}\n"), Some(3));
        assert_eq!(name_line(b"# nameless\nseed: 1\n"), Some(2), "the document's start");
        assert_eq!(name_line(b"a: [\n"), None);
    }

    #[test]
    fn the_scenario_bounds_are_the_ones_said() {
        let nested = format!("a: {}1{}\n", "[".repeat(bounds::MAX_DEPTH), "]".repeat(bounds::MAX_DEPTH));
        assert_eq!(index(&nested).unwrap_err().problem.to_string(), "expected at most 64 levels of nesting");
        let second = index("name: a\n---\nname: b\n").unwrap_err();
        assert!(second.problem.to_string().ends_with("(a scenario is one document)"), "{second:?}");
        let big = vec![b'#'; bounds::MAX_FILE_BYTES + 1];
        let refused = decode(&big).unwrap_err().problem.to_string();
        assert_eq!(refused, "the file is larger than 1048576 bytes, the most a scenario may hold");
    }
}
