//! Snapshots: each scenario's outcome pinned as an insta snapshot kept beside
//! the scenarios (`scenarios/snapshots/outcome@<file>.snap`). `cargo test`
//! asserts them through insta; the CLI reads the same files.

use std::path::{Path, PathBuf};

/// The snapshot file of a scenario file (insta `glob!` naming: `outcome@<file name>.snap`).
pub(crate) fn path_for(scenario: &Path) -> PathBuf {
    let dir = scenario.parent().unwrap_or(Path::new("."));
    let file = scenario.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    dir.join("snapshots").join(format!("outcome@{file}.snap"))
}

/// The pinned content of an insta `.snap` file (its YAML header stripped).
pub(crate) fn read(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(content_of(&text))
}

fn content_of(text: &str) -> String {
    let mut rest = text;
    if let Some(after) = rest.strip_prefix("---\n") {
        if let Some(end) = after.find("\n---\n") {
            rest = &after[end + 5..];
        }
    }
    rest.trim_end().to_string()
}

/// A unified diff from the pinned text to the actual text, or `None` when they match.
pub(crate) fn diff(expected: &str, actual: &str) -> Option<String> {
    let (e, a) = (expected.trim_end(), actual.trim_end());
    if e == a {
        return None;
    }
    let diff = similar::TextDiff::from_lines(e, a);
    Some(diff.unified_diff().context_radius(2).header("snapshot", "outcome").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_stripped_and_names_follow_insta() {
        let text = "---\nsource: sim/tests/scenarios.rs\nexpression: yaml\n---\nscenario: x\nseed: 1\n";
        assert_eq!(content_of(text), "scenario: x\nseed: 1");
        assert_eq!(
            path_for(Path::new("scenarios/happy-intake.yaml")),
            PathBuf::from("scenarios/snapshots/outcome@happy-intake.yaml.snap")
        );
        assert!(diff("a\nb\n", "a\nb").is_none());
        assert!(diff("a\nb\n", "a\nc\n").unwrap().contains("+c"));
    }
}
