//! Walking the paths to lint.
//!
//! Guarantees: files come out in sorted order; `.git` directories and paths the
//! config excludes are never entered; symbolic links to directories are not
//! followed (no cycles); only regular files are read (a FIFO, socket or device is
//! never opened). A file the lint should have checked and could not (not a
//! regular file, unreadable, not UTF-8, or named on the command line with no
//! lint language) is [`Skipped`], with why: never silently dropped.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::rule::LintError;
use super::Linter;
use crate::regular_file::{self, Unreadable};

/// A file to lint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceFile {
    /// Repo-relative, `/`-separated.
    pub rel: String,
    pub path: PathBuf,
    /// Named on the command line (not found by walking a directory).
    pub explicit: bool,
}

/// A file the lint did not check, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Skipped {
    /// Repo-relative, `/`-separated.
    pub path: String,
    pub reason: String,
    /// Named on the command line: the run cannot vouch for it, so it fails (exit 2).
    pub explicit: bool,
}

/// What a walk found: the files to lint and the ones it had to skip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collected {
    pub files: Vec<SourceFile>,
    pub skipped: Vec<Skipped>,
    /// Files named on the command line that the config excludes (not linted, as
    /// a walk would not have linted them: a pre-commit hook names changed files).
    pub excluded: usize,
}

/// The repo-relative, `/`-separated form of `path`.
pub fn relative(root: &Path, path: &Path) -> String {
    // A link that cannot be followed has no canonical path of its own: its directory's, then its name.
    let canonical = std::fs::canonicalize(path)
        .ok()
        .or_else(|| Some(std::fs::canonicalize(path.parent()?).ok()?.join(path.file_name()?)));
    let rel = match (std::fs::canonicalize(root), canonical) {
        (Ok(r), Some(p)) => p.strip_prefix(&r).map(Path::to_path_buf).unwrap_or(p),
        _ => path.to_path_buf(),
    };
    let text = rel.to_string_lossy().replace('\\', "/");
    text.trim_start_matches("./").to_owned()
}

/// The files under `paths` (directories walked, files taken as named), sorted.
/// A path that does not exist is an error; a file that cannot be linted is skipped.
pub fn collect(linter: &Linter, paths: &[PathBuf]) -> Result<Collected, LintError> {
    let mut found = Collected::default();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| LintError::io(path, &e))?;
        let rel = relative(&linter.root, path);
        if meta.is_dir() {
            walk(linter, path, &mut found)?;
        } else if linter.config.exclude.is_match(&rel) {
            found.excluded += 1;
        } else if !meta.is_file() {
            found.skipped.push(Skipped {
                path: rel,
                reason: Unreadable::NotRegular(regular_file::kind(&meta)).to_string(),
                explicit: true,
            });
        } else if linter.language(&rel).is_none() {
            found.skipped.push(Skipped {
                path: rel,
                reason: "no lint language for this file name (see `Language::of`: .md, .rs, .py, .yaml, .json, ...)"
                    .into(),
                explicit: true,
            });
        } else {
            found.files.push(SourceFile { rel, path: path.clone(), explicit: true });
        }
    }
    found.files.retain(|f| std::fs::canonicalize(&f.path).map_or(true, |p| !linter.ignored.contains(&p)));
    found.files.sort();
    found.files.dedup_by(|later, first| {
        let same = later.path == first.path;
        first.explicit |= same && later.explicit;
        same
    });
    found.skipped.sort();
    found.skipped.dedup();
    Ok(found)
}

fn walk(linter: &Linter, dir: &Path, found: &mut Collected) -> Result<(), LintError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| LintError::io(dir, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| LintError::io(dir, &e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| LintError::io(&path, &e))?;
        let rel = relative(&linter.root, &path);
        if kind.is_dir() {
            if entry.file_name() == ".git" || linter.config.excludes_dir(&rel) {
                continue;
            }
            walk(linter, &path, found)?;
            continue;
        }
        if linter.config.exclude.is_match(&rel) || linter.language(&rel).is_none() {
            continue;
        }
        if kind.is_file() {
            found.files.push(SourceFile { rel, path, explicit: false });
            continue;
        }
        // A symbolic link to a regular file is linted; one to a directory is not followed.
        let skip = match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => {
                found.files.push(SourceFile { rel, path, explicit: false });
                continue;
            }
            Ok(meta) if meta.is_dir() => continue,
            Ok(meta) => Unreadable::NotRegular(regular_file::kind(&meta)).to_string(),
            Err(e) => format!("a symbolic link that cannot be followed: {e}"),
        };
        found.skipped.push(Skipped { path: rel, reason: skip, explicit: false });
    }
    Ok(())
}

/// The file's text: a regular file holding UTF-8, or why it cannot be linted.
pub fn read_text(path: &Path) -> Result<String, String> {
    regular_file::read_utf8(path).map_err(|e| e.to_string())
}

/// A file's text split into the byte order mark that begins it (empty when
/// none) and what the rules read: lines and columns are counted after the
/// mark, as an editor shows them, and `--fix` writes the mark back.
pub fn split_bom(text: &str) -> (&str, &str) {
    const BOM: &str = "\u{feff}";
    match text.strip_prefix(BOM) {
        Some(body) => (BOM, body),
        None => ("", text),
    }
}
