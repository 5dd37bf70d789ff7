//! Snapshots: each scenario's outcome pinned as an insta snapshot kept beside
//! the scenarios (`scenarios/snapshots/outcome@<file>.snap`). `cargo test`
//! asserts them through insta; the CLI reads the same files, and writes them
//! with `squadsim run --accept`.

use std::path::{Path, PathBuf};

/// The snapshot file of a scenario file (insta `glob!` naming: `outcome@<file name>.snap`).
pub(crate) fn path_for(scenario: &Path) -> PathBuf {
    let dir = scenario.parent().unwrap_or(Path::new("."));
    let file = scenario.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    dir.join("snapshots").join(format!("outcome@{file}.snap"))
}

/// The snapshots in `dir/snapshots/` whose scenario file is not in `dir` (it was
/// removed or renamed): a gate over `dir` would otherwise pass without the
/// outcome they pin. Sorted; none when there is no `snapshots/`.
pub(crate) fn orphans(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir.join("snapshots")) else { return Vec::new() };
    let mut orphans: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|snap| {
            let name = snap.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.strip_prefix("outcome@")
                .and_then(|n| n.strip_suffix(".snap"))
                .is_some_and(|scenario| !dir.join(scenario).is_file())
        })
        .collect();
    orphans.sort();
    orphans
}

/// The pinned content of an insta `.snap` file (its YAML header stripped; its
/// lines read as insta reads them, a CRLF ending as LF, so a checkout that
/// converts line endings matches); `Ok(None)` when there is no file. A file that
/// is there but cannot be read (not UTF-8, a directory, no permission) is an
/// error, never "no snapshot".
pub(crate) fn read(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(content_of(&text.replace("\r\n", "\n")))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn content_of(text: &str) -> String {
    let (_, content) = split(text);
    content.trim_end().to_string()
}

/// An insta `.snap` file's YAML header (with its `---` lines; empty when it has
/// none) and its content.
fn split(text: &str) -> (&str, &str) {
    match text.strip_prefix("---\n").and_then(|after| after.find("\n---\n")) {
        Some(end) => text.split_at(end + 9),
        None => ("", text),
    }
}

/// Pins `content` as the snapshot of the scenario file `scenario` (creating
/// `snapshots/` when missing) and returns the snapshot's path. A snapshot
/// that exists keeps its header (insta's metadata); a new one gets insta's
/// header, naming the scenario file when its path is plain. The file is
/// replaced whole (written beside it, then renamed), so a failed write leaves
/// the old snapshot as it was.
pub(crate) fn write(scenario: &Path, content: &str) -> std::io::Result<PathBuf> {
    let path = path_for(scenario);
    let old = std::fs::read_to_string(&path).unwrap_or_default().replace("\r\n", "\n");
    let header = match split(&old).0 {
        "" => new_header(scenario),
        kept => kept.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut partial = path.clone().into_os_string();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let written = std::fs::write(&partial, format!("{header}{}\n", content.trim_end()))
        .and_then(|()| std::fs::rename(&partial, &path));
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written.map(|()| path)
}

/// The header insta writes on a scenario's snapshot; `input_file` only when the
/// path needs no YAML quoting.
fn new_header(scenario: &Path) -> String {
    let file = scenario.to_string_lossy().replace('\\', "/");
    let plain = !file.is_empty() && file.chars().all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c));
    let input = if plain { format!("input_file: {file}\n") } else { String::new() };
    format!("---\nsource: squadsim run --accept\nexpression: outcome.to_yaml()\n{input}---\n")
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

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("squadsim-snapshot-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_snapshot_without_its_scenario_is_an_orphan() {
        let dir = scratch("orphans");
        std::fs::create_dir_all(dir.join("snapshots")).unwrap();
        for name in ["kept.yaml", "other.txt"] {
            std::fs::write(dir.join(name), "x").unwrap();
        }
        for snap in ["outcome@kept.yaml.snap", "outcome@gone.yaml.snap", "outcome@b-gone.yml.snap", "notes.md"] {
            std::fs::write(dir.join("snapshots").join(snap), "x").unwrap();
        }
        assert_eq!(
            orphans(&dir),
            [dir.join("snapshots/outcome@b-gone.yml.snap"), dir.join("snapshots/outcome@gone.yaml.snap")]
        );
        assert!(orphans(&dir.join("snapshots")).is_empty(), "no snapshots/ below it");
    }

    #[test]
    fn a_snapshot_checked_out_with_crlf_line_endings_reads_as_insta_reads_it() {
        let dir = scratch("crlf");
        let scenario = dir.join("x.yaml");
        let snap = path_for(&scenario);
        std::fs::create_dir_all(snap.parent().unwrap()).unwrap();
        std::fs::write(
            &snap,
            "---\r\nsource: sim/tests/scenarios.rs\r\nexpression: yaml\r\n---\r\nscenario: x\r\nseed: 1\r\n",
        )
        .unwrap();
        assert_eq!(read(&snap).unwrap().as_deref(), Some("scenario: x\nseed: 1"));
        // Accepting over it keeps its header.
        write(&scenario, "scenario: x\nseed: 2\n").unwrap();
        let text = std::fs::read_to_string(&snap).unwrap();
        assert_eq!(text, "---\nsource: sim/tests/scenarios.rs\nexpression: yaml\n---\nscenario: x\nseed: 2\n");
    }

    #[test]
    fn a_written_snapshot_reads_back_as_its_content_and_keeps_an_existing_header() {
        let dir = scratch("write");
        let scenario = dir.join("fresh.yaml");
        // New: `snapshots/` is created and insta's header written.
        let path = write(&scenario, "scenario: x\nseed: 1\n\n").unwrap();
        assert_eq!(path, dir.join("snapshots/outcome@fresh.yaml.snap"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("---\nsource: squadsim run --accept\nexpression: outcome.to_yaml()\n"), "{text}");
        assert!(text.ends_with("\n---\nscenario: x\nseed: 1\n"), "{text}");
        assert_eq!(read(&path).unwrap().as_deref(), Some("scenario: x\nseed: 1"));
        assert_eq!(read(&dir.join("snapshots/outcome@none.yaml.snap")).unwrap(), None);
        // Rewritten: the old header stays, the content is replaced, nothing is left beside it.
        let pinned = "---\nsource: sim/tests/scenarios.rs\nexpression: outcome.to_yaml()\n---\nscenario: old\n";
        std::fs::write(&path, pinned).unwrap();
        write(&scenario, "scenario: new").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "---\nsource: sim/tests/scenarios.rs\nexpression: outcome.to_yaml()\n---\nscenario: new\n"
        );
        let files: Vec<_> = std::fs::read_dir(dir.join("snapshots")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(files, ["outcome@fresh.yaml.snap"]);
        // A snapshot without a header gets one.
        std::fs::write(&path, "scenario: bare\n").unwrap();
        write(&scenario, "scenario: x").unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().starts_with("---\nsource: squadsim run --accept\n"));
        // A path YAML would need to quote is left out of the header.
        assert!(!new_header(Path::new("a: b.yaml")).contains("input_file"));
        assert!(new_header(Path::new("scenarios/x.yaml")).contains("input_file: scenarios/x.yaml\n"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_snapshot_that_cannot_be_written_leaves_the_old_one_and_nothing_beside_it() {
        let dir = scratch("unwritable");
        let scenario = dir.join("x.yaml");
        let path = write(&scenario, "scenario: old").unwrap();
        // The rename cannot replace a directory: the write fails after the partial file was written.
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        assert!(write(&scenario, "scenario: new").is_err());
        let files: Vec<_> = std::fs::read_dir(dir.join("snapshots")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(files, ["outcome@x.yaml.snap"], "the partial file is removed");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
