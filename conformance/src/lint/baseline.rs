//! Baselines: the violations a repository already has, so adopting the lint fails
//! only on new ones.
//!
//! Guarantees:
//! - an entry is keyed on rule + repo-relative path + normalised matched text
//!   (lower case, whitespace collapsed), never on line numbers, so edits that move
//!   a violation do not resurface it;
//! - an entry with `count: n` absorbs at most n violations with its key; an extra
//!   occurrence is reported;
//! - a written baseline is sorted, so it diffs cleanly.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::report::Violation;
use super::rule::LintError;

/// One recorded violation key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub rule: String,
    pub path: String,
    pub text: String,
    pub count: usize,
}

/// The baseline file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub entries: Vec<BaselineEntry>,
}

/// Lower case with whitespace runs collapsed to one space.
pub fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

type Key = (String, String, String);

fn key(v: &Violation) -> Key {
    (v.rule.clone(), v.path.clone(), normalise(&v.matched))
}

impl Baseline {
    /// A baseline that absorbs exactly `violations`.
    pub fn record(violations: &[Violation]) -> Baseline {
        let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
        for v in violations {
            *counts.entry(key(v)).or_default() += 1;
        }
        Baseline {
            version: 1,
            entries: counts
                .into_iter()
                .map(|((rule, path, text), count)| BaselineEntry { rule, path, text, count })
                .collect(),
        }
    }

    pub fn load(path: &Path) -> Result<Baseline, LintError> {
        let text = super::read_config_text(path)?;
        let baseline: Baseline = serde_json::from_str(&text)
            .map_err(|e| LintError::parsed(path, Some((e.line(), e.column())), None, &e.to_string()))?;
        if baseline.version != 1 {
            return Err(LintError::at(
                path,
                None,
                "version",
                format!("unsupported baseline version {}; expected 1", baseline.version),
            ));
        }
        Ok(baseline)
    }

    pub fn save(&self, path: &Path) -> Result<(), LintError> {
        let mut json =
            serde_json::to_string_pretty(self).map_err(|e| LintError::at(path, None, "entries", e.to_string()))?;
        json.push('\n');
        std::fs::write(path, json).map_err(|e| LintError::io(path, &e))
    }

    /// Removes the violations the baseline absorbs; returns how many it absorbed.
    pub fn absorb(&self, violations: &mut Vec<Violation>) -> usize {
        let mut budget: BTreeMap<Key, usize> =
            self.entries.iter().map(|e| ((e.rule.clone(), e.path.clone(), normalise(&e.text)), e.count)).collect();
        let before = violations.len();
        violations.retain(|v| match budget.get_mut(&key(v)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        });
        before - violations.len()
    }
}
