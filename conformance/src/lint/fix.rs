//! `--fix`: applies the mechanical substitutions (rules with `fix: true`) in place.
//!
//! Guarantees: only fixable violations are edited, each replaced by its
//! case-kept suggestion; overlapping edits keep the first; a file is rewritten
//! only when it changed; returns how many edits were applied.

use std::collections::BTreeMap;

use super::report::Violation;
use super::rule::LintError;
use super::Linter;

pub fn apply(linter: &Linter, violations: &[Violation]) -> Result<usize, LintError> {
    let mut by_file: BTreeMap<&str, Vec<&Violation>> = BTreeMap::new();
    for v in violations.iter().filter(|v| v.fixable) {
        by_file.entry(v.path.as_str()).or_default().push(v);
    }
    let mut applied = 0;
    for (rel, mut edits) in by_file {
        let path = linter.root.join(rel);
        // Read moments ago by the lint; if it can no longer be, there is nothing to fix.
        let Ok(whole) = super::tree::read_text(&path) else {
            continue;
        };
        // The lint read the text after a byte order mark: the edits' offsets are into that.
        let (bom, text) = super::tree::split_bom(&whole);
        edits.sort_by_key(|v| (v.start_byte, v.end_byte));
        let mut fixed = String::with_capacity(text.len());
        let mut cursor = 0;
        for v in edits {
            let (Some(replacement), true) = (&v.replacement, v.start_byte >= cursor && v.end_byte <= text.len()) else {
                continue;
            };
            if text.get(v.start_byte..v.end_byte) != Some(v.matched.as_str()) {
                continue;
            }
            fixed.push_str(&text[cursor..v.start_byte]);
            fixed.push_str(replacement);
            cursor = v.end_byte;
            applied += 1;
        }
        fixed.push_str(&text[cursor..]);
        if fixed != text {
            std::fs::write(&path, format!("{bom}{fixed}")).map_err(|e| LintError::io(&path, &e))?;
        }
    }
    Ok(applied)
}
