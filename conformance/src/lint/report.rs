//! What a lint run found, and its JSON form.
//!
//! Guarantees: violations are sorted by path, line, column and rule id, so every
//! output format is byte-identical for the same tree; lines and columns are
//! 1-based, columns count Unicode scalar values (`column`) and UTF-16 code units
//! (`column_utf16`, what SARIF expects), end columns are exclusive.

use serde::Serialize;

use super::rule::{Rule, Scope, Severity};
use super::suppression::{MISSING_REASON, UNKNOWN_RULE};
use super::tree::Skipped;

/// One violation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub rule: String,
    pub severity: Severity,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub column_utf16: usize,
    pub end_column_utf16: usize,
    pub matched: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// `--fix` can apply the replacement.
    pub fixable: bool,
    /// The first source line of the violation, for underlining.
    #[serde(skip)]
    pub line_text: String,
    #[serde(skip)]
    pub start_byte: usize,
    #[serde(skip)]
    pub end_byte: usize,
}

/// A rule as reports describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub message: String,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
}

impl RuleInfo {
    pub fn of(rule: &Rule) -> RuleInfo {
        RuleInfo {
            id: rule.spec.id.clone(),
            title: rule.spec.title.clone(),
            message: rule.spec.message.clone(),
            severity: rule.spec.severity,
            seed: rule.spec.seed.clone(),
            replacement: rule.spec.replacement.clone(),
        }
    }

    /// The rules about suppression comments themselves.
    pub fn suppression_rules() -> [RuleInfo; 2] {
        let info = |id: &str, title: &str, message: &str| RuleInfo {
            id: id.into(),
            title: title.into(),
            message: message.into(),
            severity: Severity::Error,
            seed: None,
            replacement: None,
        };
        [
            info(
                MISSING_REASON,
                "Suppression without a reason",
                "A suppression comment must say why: `squadsim-lint allow RULE -- REASON`.",
            ),
            info(
                UNKNOWN_RULE,
                "Suppression of an unknown rule",
                "A suppression comment names a rule id that does not exist.",
            ),
        ]
    }
}

/// What [`Report::nothing_checked`] says.
pub const NOTHING_CHECKED: &str = "nothing was checked: no file under the paths given is in a lint language \
(.md, .rs, .py, .yaml, .json, ...; see `Language::of`) outside the config's excludes";

/// Counts for the summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files_checked: usize,
    /// Files the lint should have checked and could not (see [`Report::skipped`]).
    pub files_skipped: usize,
    /// Files named on the command line that the config excludes.
    pub files_excluded: usize,
    pub violations: usize,
    pub errors: usize,
    pub warnings: usize,
    pub suppressed: usize,
    pub baselined: usize,
    pub fixed: usize,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub rules: Vec<RuleInfo>,
    pub violations: Vec<Violation>,
    /// Files not checked, and why, in path order.
    pub skipped: Vec<Skipped>,
    pub summary: Summary,
}

impl Report {
    /// An empty report over `rules`.
    pub fn new(rules: Vec<RuleInfo>) -> Report {
        Report { rules, violations: Vec::new(), skipped: Vec::new(), summary: Summary::default() }
    }

    /// Sorts violations and recomputes the violation and skipped-file counts.
    pub fn settle(&mut self) {
        self.summary.files_skipped = self.skipped.len();
        self.violations.sort_by(|a, b| {
            (&a.path, a.line, a.column, &a.rule, a.end_byte).cmp(&(&b.path, b.line, b.column, &b.rule, b.end_byte))
        });
        self.summary.violations = self.violations.len();
        self.summary.errors = self.violations.iter().filter(|v| v.severity == Severity::Error).count();
        self.summary.warnings = self.summary.violations - self.summary.errors;
    }

    /// Why the run vouches for nothing, when it checked no file and was not
    /// named only files the config excludes: a path with nothing in a lint
    /// language, or everything under it excluded. Such a run is never clean (exit 2).
    pub fn nothing_checked(&self) -> Option<&'static str> {
        (self.summary.files_checked == 0 && self.summary.files_excluded == 0).then_some(NOTHING_CHECKED)
    }

    /// The `--format json` document.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Document<'a> {
            version: u32,
            tool: &'static str,
            violations: &'a [Violation],
            /// Files not checked: `level` is `error` for a file named on the command line.
            notifications: Vec<Notification<'a>>,
            summary: &'a Summary,
        }
        #[derive(Serialize)]
        struct Notification<'a> {
            level: &'static str,
            kind: &'static str,
            path: &'a str,
            message: &'a str,
        }
        let notifications = self
            .skipped
            .iter()
            .map(|s| Notification {
                level: if s.explicit { "error" } else { "warning" },
                kind: "skipped-file",
                path: &s.path,
                message: &s.reason,
            })
            .chain(self.nothing_checked().map(|message| Notification {
                level: "error",
                kind: "nothing-checked",
                path: "",
                message,
            }))
            .collect();
        let doc = Document {
            version: 1,
            tool: "squadsim-lint",
            violations: &self.violations,
            notifications,
            summary: &self.summary,
        };
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }
}
