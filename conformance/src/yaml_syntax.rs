//! Text that is not YAML, said once for every YAML file squadsim reads
//! (scenarios, lint configs, rule files): where serde_yaml's parser stopped
//! and why, before any field a deserializer met first is blamed.
//!
//! Guarantees: the location is printed once (up front, never repeated in the
//! message); a tab where a token should begin, the usual cause, is named.

use serde::Deserialize;

/// Where `text` stops being YAML, when it does: the 1-based (line, column) where
/// the parser stopped (`None` when it gave none) and `invalid YAML: <what>`.
/// Only the syntax is read: no value is built, so a duplicated key is not an error here.
pub fn syntax_error(text: &str) -> Option<(Option<(usize, usize)>, String)> {
    let e = serde::de::IgnoredAny::deserialize(serde_yaml::Deserializer::from_str(text)).err()?;
    let at = e.location().map(|l| (l.line(), l.column()));
    let said = e.to_string();
    // At its end, or before the parser's context ("<problem> at line L column C, <context>").
    let what = match at {
        Some((line, column)) => said.replacen(&format!(" at line {line} column {column}"), "", 1),
        None => said,
    };
    let tab = at.and_then(|(line, column)| text.lines().nth(line.checked_sub(1)?)?.chars().nth(column.checked_sub(1)?));
    let hint = if tab == Some('\t') { " (a tab: YAML indents with spaces, never tabs)" } else { "" };
    Some((at, format!("invalid YAML: {what}{hint}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_is_not_an_error_and_what_is_not_is_located_once() {
        assert_eq!(syntax_error("a: [1, 2]\na: twice\n"), None, "a duplicated key is the deserializer's to refuse");
        let (at, what) = syntax_error("a: [\n").unwrap();
        assert_eq!(at, Some((2, 1)));
        assert_eq!(what, "invalid YAML: did not find expected node content, while parsing a flow node");
        let (at, what) = syntax_error("\ta: 1\n").unwrap();
        assert_eq!(at, Some((1, 1)));
        assert!(what.ends_with(" (a tab: YAML indents with spaces, never tabs)"), "{what}");
        assert!(!what.contains(" at line "), "{what}");
    }
}
