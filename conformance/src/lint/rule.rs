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

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Prose => "prose",
            Scope::Identifier => "identifier",
            Scope::String => "string",
        }
    }
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
pub(crate) fn from_yaml<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, LintError> {
    let deserializer = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        // Text that is not YAML at all: the parser's complaint where it stopped,
        // whatever serde met first (a key refused before the parser reached the fault).
        if let Some((at, message)) = crate::yaml_syntax::syntax_error(text) {
            return LintError::parsed(path, at, None, &message);
        }
        let field = err.path().to_string();
        let inner = err.into_inner();
        let at = inner.location().map(|l| (l.line(), l.column()));
        let said = inner.to_string();
        // serde_yaml may put its own path in front; the field is printed on its own.
        let message = match said.split_once(": ") {
            Some((prefix, rest)) if !prefix.contains(' ') && field.starts_with(prefix) => rest,
            _ => said.as_str(),
        };
        LintError::parsed(path, at, (field != ".").then_some(field), message)
    })
}

/// The 1-based line on which `rules[].id: <id>` is written, for errors found after parsing.
pub(crate) fn line_of_rule(text: &str, id: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let t = line.trim_start().trim_start_matches('-').trim_start();
            t.strip_prefix("id:").is_some_and(|rest| rest.trim().trim_matches(['"', '\'']) == id)
        })
        .map(|i| i + 1)
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
    pub fn compile(spec: RuleSpec, path: &Path, line: Option<usize>, field: &str) -> Result<Rule, LintError> {
        let id_ok =
            !spec.id.is_empty() && spec.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            return Err(LintError::at(
                path,
                line,
                format!("{field}.id"),
                format!("rule id `{}` must be kebab-case (a-z, 0-9, -)", spec.id),
            ));
        }
        if spec.scopes.is_empty() {
            return Err(LintError::at(path, line, format!("{field}.scopes"), "a rule needs at least one scope"));
        }
        if spec.words.is_empty() && spec.tokens.is_empty() && spec.patterns.is_empty() {
            return Err(LintError::at(path, line, field, "a rule needs at least one of words, tokens, patterns"));
        }
        if !spec.generic_suffixes.is_empty() && !spec.ends_identifier {
            return Err(LintError::at(
                path,
                line,
                format!("{field}.generic_suffixes"),
                "generic_suffixes needs ends_identifier: true",
            ));
        }
        for (i, suffix) in spec.generic_suffixes.iter().enumerate() {
            if suffix.is_empty() || !suffix.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
                return Err(LintError::at(
                    path,
                    line,
                    format!("{field}.generic_suffixes[{i}]"),
                    format!("suffix `{suffix}` must be one lower-case sub-word (a-z, 0-9)"),
                ));
            }
        }
        if spec.fix && spec.replacement.is_none() {
            return Err(LintError::at(path, line, format!("{field}.fix"), "fix: true needs a replacement"));
        }
        let mut words = Vec::with_capacity(spec.words.len());
        for (i, term) in spec.words.iter().enumerate() {
            let split: Vec<String> = term
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_ascii_lowercase)
                .collect();
            if split.is_empty() {
                return Err(LintError::at(
                    path,
                    line,
                    format!("{field}.words[{i}]"),
                    "a words term needs at least one word",
                ));
            }
            words.push(WordsTerm { words: split });
        }
        for (i, token) in spec.tokens.iter().enumerate() {
            if token.is_empty() || !token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(LintError::at(
                    path,
                    line,
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
                        LintError::at(path, line, format!("{field}.{name}[{i}]"), format!("invalid regex: {e}"))
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
        let file: RuleFile = from_yaml(path, text)?;
        if file.version != 1 {
            return Err(LintError::at(
                path,
                line_of_key(text, "version"),
                "version",
                format!("unsupported rule file version {}; expected 1", file.version),
            ));
        }
        let mut set = RuleSet { rules: Vec::new() };
        for (i, spec) in file.rules.into_iter().enumerate() {
            let line = line_of_rule(text, &spec.id);
            set.push(Rule::compile(spec, path, line, &format!("rules[{i}]"))?, path, line, &format!("rules[{i}].id"))?;
        }
        Ok(set)
    }

    /// Adds a rule, refusing a duplicate id.
    pub fn push(&mut self, rule: Rule, path: &Path, line: Option<usize>, field: &str) -> Result<(), LintError> {
        if self.get(rule.id()).is_some() {
            return Err(LintError::at(path, line, field, format!("duplicate rule id `{}`", rule.id())));
        }
        self.rules.push(rule);
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id() == id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Rule> {
        self.rules.iter_mut().find(|r| r.id() == id)
    }
}

/// The 1-based line of a top-level `key:`.
pub(crate) fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines().position(|l| l.strip_prefix(key).is_some_and(|rest| rest.starts_with(':'))).map(|i| i + 1)
}
