//! Lint rules as data: the rule file schema, its loading with located errors, and
//! the compiled form the matcher runs.
//!
//! Guarantees:
//! - a rule file that does not parse, names an unknown field, repeats an id, has no
//!   terms, or carries an invalid regex is refused with an error naming the file,
//!   the line and the field; nothing panics on a bad rule file;
//! - [`RuleSet::builtin`] is the seed's rule file shipped inside the binary.

use std::fmt;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::yaml_spans::{decode, FieldPath, Limits, Misshapen, Spans};

/// The bounds of a lint config or rule file: size, nesting, string and list
/// lengths far past any real one, so that a runaway file is refused where it
/// runs away instead of costing the parser minutes.
const LINT_FILE: Limits = Limits {
    document: "a lint config or rule file",
    max_file_bytes: 16 << 20,
    max_depth: 32,
    max_string_bytes: 64 * 1024,
    max_entries: 100_000,
};

/// The delivery-language rule file, shipped inside the binary.
pub const BUILTIN_RULES: &str = include_str!("../../rules/delivery-language.yaml");
/// The name the built-in rule file is reported under.
pub const BUILTIN_RULES_NAME: &str = "conformance/rules/delivery-language.yaml";

/// Where in a file a term is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Markdown text, comments, docstrings, prompt files.
    Prose,
    /// Names in code.
    Identifier,
    /// String literals and data values.
    String,
}

/// How loudly a rule reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    #[default]
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One rule as written in a rule file or a repository config (see the schema at
/// the top of `conformance/rules/delivery-language.yaml`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub title: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    #[serde(default)]
    pub severity: Severity,
    pub scopes: Vec<Scope>,
    #[serde(default)]
    pub words: Vec<String>,
    #[serde(default)]
    pub tokens: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    #[serde(default)]
    pub fix: bool,
    #[serde(default)]
    pub boundary_exempt: bool,
    #[serde(default)]
    pub declarations_only: bool,
    #[serde(default)]
    pub ends_identifier: bool,
    /// With `ends_identifier`: identifier sub-words that add no noun (`id`, `name`);
    /// a term followed only by these, or by digits, still ends the identifier.
    #[serde(default)]
    pub generic_suffixes: Vec<String>,
    #[serde(default)]
    pub require_context: Vec<String>,
    #[serde(default)]
    pub except_context: Vec<String>,
    #[serde(default)]
    pub except_overlap: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    version: u32,
    rules: Vec<RuleSpec>,
}

/// A configuration or I/O problem: exit code 2. Names the file, and where known the
/// line and the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintError {
    pub path: PathBuf,
    pub line: Option<usize>,
    /// 1-based, where the parser says.
    pub column: Option<usize>,
    pub field: Option<String>,
    pub message: String,
}

impl LintError {
    pub fn io(path: &Path, err: &std::io::Error) -> LintError {
        LintError { path: path.to_path_buf(), line: None, column: None, field: None, message: err.to_string() }
    }

    pub fn at(path: &Path, line: Option<usize>, field: impl Into<String>, message: impl Into<String>) -> LintError {
        LintError { path: path.to_path_buf(), line, column: None, field: Some(field.into()), message: message.into() }
    }

    /// An error in `field` (a path as `serde_path_to_error` prints one: `rules[3].patterns[1]`),
    /// its line not known yet: [`LintError::located`] finds it in the document.
    pub fn in_field(path: &Path, field: impl Into<String>, message: impl Into<String>) -> LintError {
        LintError::at(path, None, field, message)
    }

    /// This error with the line and column of its field in the document `spans`
    /// indexes (its longest part the document holds), when it has a field and no line yet.
    pub(crate) fn located(mut self, spans: &Spans) -> LintError {
        if let (None, Some(field)) = (self.line, &self.field) {
            let at = spans.locate(&FieldPath::root().then_printed(field));
            (self.line, self.column) = (Some(at.line), Some(at.column));
        }
        self
    }

    /// A parser's error at `line` and `column`: its own " at line L column C" is
    /// left out of the message (the location is printed up front).
    pub(crate) fn parsed(path: &Path, at: Option<(usize, usize)>, field: Option<String>, message: &str) -> LintError {
        // At its end (serde's), or before the parser's context (libyaml's "<problem>
        // at line L column C, <context>").
        let message = match at {
            Some((line, column)) => message.replacen(&format!(" at line {line} column {column}"), "", 1),
            None => message.to_string(),
        };
        LintError {
            path: path.to_path_buf(),
            line: at.map(|(line, _)| line),
            column: at.map(|(_, column)| column),
            field,
            message,
        }
    }
}

impl fmt::Display for LintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for LintError {}

/// Deserialises YAML into `T`, turning errors into a [`LintError`] with the line and
/// the field path (`rules[3].severity`).
pub(crate) fn from_yaml<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<(T, Spans), LintError> {
    let misshapen = |m: Misshapen| LintError {
        path: path.to_path_buf(),
        line: Some(m.at.line),
        column: Some(m.at.column),
        field: (!m.field.segments().is_empty()).then(|| m.field.to_string()),
        message: m.problem.to_string(),
    };
    // At most LINT_FILE's bytes, of characters YAML allows; a byte order mark is no part of it.
    let text = decode(text.as_bytes(), &LINT_FILE).map_err(misshapen)?;
    // Text that is not YAML at all: the parser's complaint where it stopped,
    // whatever serde met first (a key refused before the parser reached the fault).
    if let Some((at, message)) = crate::yaml_syntax::syntax_error(text) {
        return Err(LintError::parsed(path, at, None, &message));
    }
    let spans = Spans::index(text, &LINT_FILE).map_err(misshapen)?;
    let deserializer = serde_yaml::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let field = FieldPath::from_serde(err.path());
        let inner = err.into_inner();
        let said = inner.to_string();
        // serde_yaml may put its own path in front; the field is printed on its own.
        let message = match said.split_once(": ") {
            Some((prefix, rest)) if !prefix.contains(' ') && field.to_string().starts_with(prefix) => rest,
            _ => said.as_str(),
        };
        // A key given twice is refused by its mapping, where serde_yaml places the
        // mapping: the key's own path locates its second occurrence.
        let twice = message.strip_prefix("duplicate field `").and_then(|m| m.strip_suffix('`'));
        if let Some(key) = twice {
            let at = spans.locate(&field.key(key));
            return LintError::parsed(path, Some((at.line, at.column)), Some(field.key(key).to_string()), message);
        }
        let at = inner.location().map(|l| (l.line(), l.column()));
        let printed = field.to_string();
        LintError::parsed(path, at, (!printed.is_empty()).then_some(printed), message)
    })?;
    Ok((value, spans))
}

/// A words term, split into lower-case words.
#[derive(Debug, Clone)]
pub struct WordsTerm {
    pub words: Vec<String>,
}

/// A rule ready to match.
#[derive(Debug, Clone)]
pub struct Rule {
    pub spec: RuleSpec,
    pub words: Vec<WordsTerm>,
    pub patterns: Vec<Regex>,
    pub require_context: Vec<Regex>,
    pub except_context: Vec<Regex>,
    pub except_overlap: Vec<Regex>,
}

impl Rule {
    /// Validates and compiles one spec; `field` is its path in the file (`rules[3]`).
    /// An error names the field it is in; [`LintError::located`] finds its line.
    pub fn compile(spec: RuleSpec, path: &Path, field: &str) -> Result<Rule, LintError> {
        let id_ok =
            !spec.id.is_empty() && spec.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            return Err(LintError::in_field(
                path,
                format!("{field}.id"),
                format!("rule id `{}` must be kebab-case (a-z, 0-9, -)", spec.id),
            ));
        }
        if spec.scopes.is_empty() {
            return Err(LintError::in_field(path, format!("{field}.scopes"), "a rule needs at least one scope"));
        }
        if spec.words.is_empty() && spec.tokens.is_empty() && spec.patterns.is_empty() {
            return Err(LintError::in_field(path, field, "a rule needs at least one of words, tokens, patterns"));
        }
        if !spec.generic_suffixes.is_empty() && !spec.ends_identifier {
            return Err(LintError::in_field(
                path,
                format!("{field}.generic_suffixes"),
                "generic_suffixes needs ends_identifier: true",
            ));
        }
        for (i, suffix) in spec.generic_suffixes.iter().enumerate() {
            if suffix.is_empty() || !suffix.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
                return Err(LintError::in_field(
                    path,
                    format!("{field}.generic_suffixes[{i}]"),
                    format!("suffix `{suffix}` must be one lower-case sub-word (a-z, 0-9)"),
                ));
            }
        }
        if spec.fix && spec.replacement.is_none() {
            return Err(LintError::in_field(path, format!("{field}.fix"), "fix: true needs a replacement"));
        }
        let mut words = Vec::with_capacity(spec.words.len());
        for (i, term) in spec.words.iter().enumerate() {
            let split: Vec<String> = term
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_ascii_lowercase)
                .collect();
            if split.is_empty() {
                return Err(LintError::in_field(
                    path,
                    format!("{field}.words[{i}]"),
                    "a words term needs at least one word",
                ));
            }
            words.push(WordsTerm { words: split });
        }
        for (i, token) in spec.tokens.iter().enumerate() {
            if token.is_empty() || !token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(LintError::in_field(
                    path,
                    format!("{field}.tokens[{i}]"),
                    format!("token `{token}` must be an identifier (A-Z, a-z, 0-9, _)"),
                ));
            }
        }
        let compile_all = |list: &[String], name: &str| -> Result<Vec<Regex>, LintError> {
            list.iter()
                .enumerate()
                .map(|(i, p)| {
                    Regex::new(p).map_err(|e| {
                        LintError::in_field(path, format!("{field}.{name}[{i}]"), format!("invalid regex: {e}"))
                    })
                })
                .collect()
        };
        Ok(Rule {
            patterns: compile_all(&spec.patterns, "patterns")?,
            require_context: compile_all(&spec.require_context, "require_context")?,
            except_context: compile_all(&spec.except_context, "except_context")?,
            except_overlap: compile_all(&spec.except_overlap, "except_overlap")?,
            words,
            spec,
        })
    }

    pub fn id(&self) -> &str {
        &self.spec.id
    }
}

/// An ordered list of rules with unique ids.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// The seed's rules, as shipped.
    pub fn builtin() -> RuleSet {
        // The shipped file is checked by the crate's tests; failing here is a build defect.
        RuleSet::parse(Path::new(BUILTIN_RULES_NAME), BUILTIN_RULES).expect("the shipped rule file is valid")
    }

    /// Parses a rule file.
    pub fn parse(path: &Path, text: &str) -> Result<RuleSet, LintError> {
        let (file, spans): (RuleFile, Spans) = from_yaml(path, text)?;
        let read = || -> Result<RuleSet, LintError> {
            if file.version != 1 {
                let message = format!("unsupported rule file version {}; expected 1", file.version);
                return Err(LintError::in_field(path, "version", message));
            }
            let mut set = RuleSet { rules: Vec::new() };
            for (i, spec) in file.rules.into_iter().enumerate() {
                set.push(Rule::compile(spec, path, &format!("rules[{i}]"))?, path, &format!("rules[{i}].id"))?;
            }
            Ok(set)
        };
        read().map_err(|e| e.located(&spans))
    }

    /// Adds a rule, refusing a duplicate id; `field` is where its id is written.
    pub fn push(&mut self, rule: Rule, path: &Path, field: &str) -> Result<(), LintError> {
        if self.get(rule.id()).is_some() {
            return Err(LintError::in_field(path, field, format!("duplicate rule id `{}`", rule.id())));
        }
        self.rules.push(rule);
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id() == id)
    }
}
