//! `squadsim lint`: the delivery-language lint.
//!
//! The seed's rules ship as data ([`rule::BUILTIN_RULES`]); a repository adds,
//! disables or re-scopes them in `squadsim-lint.yaml` ([`config`]). Files are split
//! into prose, identifiers and strings ([`scanner`]); rules match on word
//! boundaries with case-keeping suggestions ([`matching`]); inline suppressions
//! ([`suppression`]) and a baseline ([`baseline`]) silence known violations; the
//! report renders as human text ([`human`]), JSON, SARIF ([`sarif`]) or GitHub
//! annotations ([`annotations`]); `--fix` applies mechanical substitutions ([`fix`]).
//!
//! Exit status ([`ExitStatus`]): 0 clean, 1 violations, 2 usage or I/O errors, a
//! file named on the command line that could not be linted, or no file checked at
//! all (unless every file named is one the config excludes).
//! Guarantees: output is deterministic (sorted walk, sorted violations, no hash
//! iteration); user input (files, configs, rule files) never causes a panic;
//! only regular files are read ([`crate::regular_file`]); a file that could not
//! be linted is a warning on stderr and a notification in every format, never
//! counted as clean.

pub mod annotations;
pub mod baseline;
pub mod config;
pub mod fix;
pub mod human;
pub mod matching;
pub mod report;
pub mod rule;
pub mod sarif;
pub mod scanner;
pub mod suppression;
pub mod tree;

use std::io::Write;
use std::path::{Path, PathBuf};

use baseline::Baseline;
use config::{Config, CONFIG_FILE_NAME};
use report::{Report, RuleInfo, Violation};
use rule::{LintError, RuleSet, Severity};
use scanner::Language;

pub use crate::exit::ExitStatus;

/// `squadsim lint --help`'s long text: what the lint reads, examples, the config
/// and the suppression comment (the exit statuses follow it).
pub const LINT_HELP: &str = "\
Checks code, docs, prompts and configs against the delivery-language seed: the
nouns it asks for (bare-runtime, bare-target), the phrases it retires
(retired-*), the names its guardrails forbid (forbidden-*), and the legacy wire
names it allows only at API, database and payload boundaries (legacy-*).

Prose is Markdown text, comments, docstrings and prompt files; Markdown inline
code and fenced blocks are quotes, not uses. In code most rules read a name
where it is declared (let, fn, struct, a field, a parameter), not where it is
used, so a call into another library's API is not reported.

    squadsim lint                                  # the current directory
    squadsim lint src docs --format github         # annotations in a workflow
    squadsim lint . --format sarif > lint.sarif    # GitHub code scanning
    squadsim lint --list-rules                     # each rule's id, severity and title
    squadsim lint . --write-baseline lint-baseline.json   # adopt: accept what is there,
    squadsim lint . --baseline lint-baseline.json         # then fail on new ones only
    squadsim lint . --fix                          # apply the mechanical substitutions

The nearest squadsim-lint.yaml at or above the first path configures it:
boundaries, exclude, prompts, disable, overrides, rules, baseline and
product_names (docs/lint.md). A suppression names its rule and gives a reason,
and silences its own line (allow-next-line: the next one):

    // squadsim-lint allow bare-runtime -- the Kubernetes term, quoted";

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
    Sarif,
    Github,
}

/// `squadsim lint [PATH...]`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LintArgs {
    /// Files or directories to lint (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Repository config (default: the nearest `squadsim-lint.yaml` above the first path).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Ignore any repository config.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// A rule file replacing the built-in delivery-language rules.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// The directory reported paths are relative to (default: the config's directory,
    /// else the current directory).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// A baseline of accepted violations (default: the config's `baseline`).
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Write the current violations as a baseline to this file and exit 0.
    #[arg(long)]
    pub write_baseline: Option<PathBuf>,
    /// Apply mechanical substitutions in place, then report what is left.
    #[arg(long)]
    pub fix: bool,
    /// List the active rules and exit.
    #[arg(long)]
    pub list_rules: bool,
}

/// A configured lint.
#[derive(Debug, Clone)]
pub struct Linter {
    pub config: Config,
    /// Reported paths are relative to this directory.
    pub root: PathBuf,
    /// Files never linted (canonical paths): the baseline the run reads or writes.
    pub ignored: Vec<PathBuf>,
}

/// What one file produced.
#[derive(Debug, Default)]
pub struct FileOutcome {
    pub checked: bool,
    pub violations: Vec<Violation>,
    pub suppressed: usize,
}

/// Byte offsets of line starts, for offset -> line/column.
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// 0-based line of a byte offset.
    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|s| *s <= offset) - 1
    }

    /// (1-based line, 1-based char column, 1-based UTF-16 column).
    fn position(&self, offset: usize) -> (usize, usize, usize) {
        let line = self.line(offset);
        let before = &self.text[self.starts[line]..offset];
        (line + 1, before.chars().count() + 1, before.encode_utf16().count() + 1)
    }

    fn line_text(&self, line: usize) -> &'a str {
        let start = self.starts[line];
        let end = self.starts.get(line + 1).map_or(self.text.len(), |e| *e);
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

impl Linter {
    pub fn new(config: Config, root: impl Into<PathBuf>) -> Linter {
        Linter { config, root: root.into(), ignored: Vec::new() }
    }

    /// The rules reports describe: the active rules and the suppression rules.
    pub fn rule_infos(&self) -> Vec<RuleInfo> {
        let mut infos: Vec<RuleInfo> = self.config.rules.rules.iter().map(RuleInfo::of).collect();
        infos.extend(RuleInfo::suppression_rules());
        infos
    }

    /// The language a repo-relative path is read as, if any.
    pub fn language(&self, rel_path: &str) -> Option<Language> {
        if self.config.prompts.is_match(rel_path) {
            return Some(Language::Prose);
        }
        Language::of(rel_path)
    }

    /// Lints one file's text; `rel_path` is its repo-relative path (`/` separators).
    pub fn lint_source(&self, rel_path: &str, text: &str) -> FileOutcome {
        let Some(language) = self.language(rel_path) else {
            return FileOutcome::default();
        };
        let regions = scanner::scan(language, text);
        let in_boundary = self.config.boundaries.is_match(rel_path);
        let rules = &self.config.rules.rules;
        let active: Vec<usize> =
            (0..rules.len()).filter(|i| self.config.rule_applies(*i, rel_path, in_boundary)).collect();
        let mut hits = Vec::new();
        for region in &regions {
            let words = matching::RegionWords::of(text, region, &self.config.term_words);
            for &i in &active {
                matching::find_hits(&rules[i], i, text, region, &words, &mut hits);
            }
        }
        let index = LineIndex::new(text);
        let suppressions =
            suppression::read(text, &regions, |o| index.line(o), |id| self.config.rules.get(id).is_some());
        let mut outcome = FileOutcome { checked: true, ..FileOutcome::default() };
        hits.sort_by_key(|h| (h.start, h.end, h.rule));
        hits.dedup_by_key(|h| (h.start, h.end, h.rule));
        for hit in hits {
            let rule = &rules[hit.rule];
            if suppressions.covers(index.line(hit.start), rule.id()) {
                outcome.suppressed += 1;
                continue;
            }
            outcome.violations.push(self.violation(
                &index,
                rel_path,
                hit.start,
                hit.end,
                ViolationKind {
                    rule: rule.id(),
                    severity: rule.spec.severity,
                    message: &rule.spec.message,
                    replacement: hit.suggestion,
                    scope: Some(hit.scope),
                    fixable: rule.spec.fix,
                },
            ));
        }
        for problem in suppressions.problems {
            outcome.violations.push(self.violation(
                &index,
                rel_path,
                problem.start,
                problem.end,
                ViolationKind {
                    rule: problem.rule,
                    severity: Severity::Error,
                    message: &problem.message,
                    replacement: None,
                    scope: None,
                    fixable: false,
                },
            ));
        }
        outcome
    }

    fn violation(
        &self,
        index: &LineIndex<'_>,
        rel_path: &str,
        start: usize,
        end: usize,
        kind: ViolationKind<'_>,
    ) -> Violation {
        let (line, column, column_utf16) = index.position(start);
        let (end_line, end_column, end_column_utf16) = index.position(end);
        Violation {
            rule: kind.rule.to_owned(),
            severity: kind.severity,
            path: rel_path.to_owned(),
            line,
            column,
            end_line,
            end_column,
            column_utf16,
            end_column_utf16,
            matched: index.text[start..end].to_owned(),
            message: kind.message.to_owned(),
            fixable: kind.fixable && kind.replacement.is_some(),
            replacement: kind.replacement,
            scope: kind.scope,
            line_text: index.line_text(line - 1).to_owned(),
            start_byte: start,
            end_byte: end,
        }
    }

    /// Lints files and directories (directories recursively, in sorted order).
    /// A file that cannot be read as UTF-8 text is in the report's `skipped`.
    pub fn lint_paths(&self, paths: &[PathBuf]) -> Result<Report, LintError> {
        let tree::Collected { files, mut skipped, excluded } = tree::collect(self, paths)?;
        let mut report = Report::new(self.rule_infos());
        report.summary.files_excluded = excluded;
        for file in &files {
            let text = match tree::read_text(&file.path) {
                Ok(text) => text,
                Err(reason) => {
                    skipped.push(tree::Skipped { path: file.rel.clone(), reason, explicit: file.explicit });
                    continue;
                }
            };
            let outcome = self.lint_source(&file.rel, tree::split_bom(&text).1);
            if outcome.checked {
                report.summary.files_checked += 1;
            }
            report.summary.suppressed += outcome.suppressed;
            report.violations.extend(outcome.violations);
        }
        skipped.sort();
        report.skipped = skipped;
        report.settle();
        Ok(report)
    }
}

struct ViolationKind<'a> {
    rule: &'a str,
    severity: Severity,
    message: &'a str,
    replacement: Option<String>,
    scope: Option<rule::Scope>,
    fixable: bool,
}

/// Finds the config: explicit, else the nearest `squadsim-lint.yaml` at or above
/// the first path (or the current directory).
fn discover_config(args: &LintArgs) -> Option<PathBuf> {
    if args.no_config {
        return None;
    }
    if let Some(c) = &args.config {
        return Some(c.clone());
    }
    let first = args.paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    let start = std::fs::canonicalize(&first).ok()?;
    let start = if start.is_dir() { start } else { start.parent()?.to_path_buf() };
    start.ancestors().map(|d| d.join(CONFIG_FILE_NAME)).find(|p| p.is_file())
}

/// Builds the linter `args` describe.
pub fn linter_for(args: &LintArgs) -> Result<Linter, LintError> {
    let rules = match &args.rules {
        Some(path) => {
            let text = read_config_text(path)?;
            RuleSet::parse(path, &text)?
        }
        None => RuleSet::builtin(),
    };
    let config_path = discover_config(args);
    let config = match &config_path {
        Some(path) => Config::load(rules, path)?,
        None => Config::parse(rules, Path::new(CONFIG_FILE_NAME), "")?,
    };
    let root = match (&args.root, &config_path) {
        (Some(root), _) => root.clone(),
        (None, Some(c)) => c
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from(".")),
        (None, None) => PathBuf::from("."),
    };
    Ok(Linter::new(config, root))
}

/// A rule, config or baseline file's text (regular files only, UTF-8).
pub(crate) fn read_config_text(path: &Path) -> Result<String, LintError> {
    crate::regular_file::read_utf8(path).map_err(|e| LintError {
        path: path.to_path_buf(),
        line: None,
        column: None,
        field: None,
        message: e.to_string(),
    })
}

fn baseline_path(args: &LintArgs, linter: &Linter) -> Option<PathBuf> {
    args.baseline.clone().or_else(|| linter.config.baseline.as_ref().map(|b| linter.root.join(b)))
}

/// Runs `squadsim lint`, writing the report to `out`, and errors and skipped
/// files to `err`. A file named on the command line that could not be linted
/// makes the run fail (exit 2) after the report is written; one found by a walk
/// is a warning.
pub fn run(args: &LintArgs, out: &mut dyn Write, err: &mut dyn Write) -> ExitStatus {
    match run_inner(args, out, err) {
        Ok(status) => status,
        Err(e) => {
            let _ = writeln!(err, "squadsim lint: {e}");
            ExitStatus::Unusable
        }
    }
}

fn run_inner(args: &LintArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<ExitStatus, LintError> {
    let mut linter = linter_for(args)?;
    let baseline = baseline_path(args, &linter);
    // a baseline quotes the violations it records: it is not linted
    linter.ignored =
        baseline.iter().chain(&args.write_baseline).filter_map(|p| std::fs::canonicalize(p).ok()).collect();
    let stdout_error = |e: std::io::Error| LintError::io(Path::new("<stdout>"), &e);
    if args.list_rules {
        for r in linter.rule_infos() {
            writeln!(out, "{:<48} {:<7} {}", r.id, r.severity.as_str(), r.title).map_err(stdout_error)?;
        }
        return Ok(ExitStatus::Passed);
    }
    if linter.config.rules.rules.is_empty() {
        // Every file would be "clean": no rule to break.
        let source = args.rules.clone().or_else(|| discover_config(args)).unwrap_or(PathBuf::from(CONFIG_FILE_NAME));
        return Err(LintError {
            path: source,
            line: None,
            column: None,
            field: None,
            message: "no rule is enabled (the rule file holds none, or the config disables every one): the lint \
                      would check nothing"
                .into(),
        });
    }
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let mut report = linter.lint_paths(&paths)?;
    for s in &report.skipped {
        let _ = if s.explicit {
            writeln!(err, "squadsim lint: error: {} (named on the command line) was not checked: {}", s.path, s.reason)
        } else {
            writeln!(err, "squadsim lint: warning: skipped {}: {}", s.path, s.reason)
        };
    }
    if let Some(why) = report.nothing_checked() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        let _ = writeln!(err, "squadsim lint: error: {why} (paths: {})", shown.join(", "));
    }
    let unvouched = report.skipped.iter().any(|s| s.explicit) || report.nothing_checked().is_some();
    if let Some(path) = &args.write_baseline {
        Baseline::record(&report.violations).save(path)?;
        writeln!(out, "wrote {} violations to baseline {}", report.violations.len(), path.display())
            .map_err(stdout_error)?;
        return Ok(if unvouched { ExitStatus::Unusable } else { ExitStatus::Passed });
    }
    if args.fix {
        let fixed = fix::apply(&linter, &report.violations)?;
        if fixed > 0 {
            report = linter.lint_paths(&paths)?;
            report.summary.fixed = fixed;
        }
    }
    if let Some(path) = baseline {
        let baseline = Baseline::load(&path)?;
        report.summary.baselined = baseline.absorb(&mut report.violations);
        report.settle();
    }
    match args.format {
        Format::Human => human::write(&report, out),
        Format::Json => writeln!(out, "{}", report.to_json()),
        Format::Sarif => writeln!(out, "{}", sarif::to_sarif(&report)),
        Format::Github => annotations::write(&report, out),
    }
    .map_err(stdout_error)?;
    Ok(if unvouched {
        ExitStatus::Unusable
    } else if report.violations.is_empty() {
        ExitStatus::Passed
    } else {
        ExitStatus::Failed
    })
}
