//! A repository's lint config (`squadsim-lint.yaml`): boundary paths, excluded
//! paths, prompt files, rules added, disabled or re-scoped (as Vale and clippy
//! allow), and the deny-list of product-specific names ([`ProductNames`]).
//!
//! Guarantees:
//! - unknown keys, unknown rule ids in `disable`/`overrides`, invalid globs and
//!   invalid added rules are refused with an error naming the file, line and field;
//! - all paths are repo-relative globs (globset syntax, `/` separators), matched
//!   against paths relative to the config's directory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use super::rule::{from_yaml, LintError, Rule, RuleSet, RuleSpec, Scope, Severity};

/// The file name the lint looks for at a repository root.
pub const CONFIG_FILE_NAME: &str = "squadsim-lint.yaml";

/// Changes to one rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleOverride {
    pub severity: Option<Severity>,
    pub scopes: Option<Vec<Scope>>,
    pub boundary_exempt: Option<bool>,
    /// When set, the rule runs only on these paths.
    #[serde(default)]
    pub paths: Vec<String>,
    /// The rule never runs on these paths.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// The config file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigSpec {
    /// API, database and payload boundary paths, where legacy wire names are allowed.
    #[serde(default)]
    pub boundaries: Vec<String>,
    /// Paths never linted.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Files read entirely as prose (prompt files).
    #[serde(default)]
    pub prompts: Vec<String>,
    /// Rule ids turned off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Rules added to the built-in ones (same schema as the rule file).
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    /// Per-rule severity, scopes, boundary exemption and paths.
    #[serde(default)]
    pub overrides: BTreeMap<String, RuleOverride>,
    /// A baseline file, relative to the config's directory.
    #[serde(default)]
    pub baseline: Option<String>,
    /// Product-specific names kept out of the generic lifecycle (off while empty).
    #[serde(default)]
    pub product_names: ProductNames,
}

/// The deny-list of product-specific names: "Do not add product-specific names such
/// as a customer, legacy source, or stack name to the generic AgentSquad lifecycle"
/// (delivery-language seed). While `names` is empty no rule exists; otherwise the
/// config adds the rule [`PRODUCT_NAME_RULE`], which reads prose, identifiers and
/// strings like any words rule (`Acme` hits `AcmeClient` and `acme_id`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductNames {
    /// Customer, legacy source and stack names (words, matched case-insensitively).
    #[serde(default)]
    pub names: Vec<String>,
    /// Where the generic lifecycle lives: when set, the rule runs only on these paths.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Paths the rule never runs on (a product's own adapter, for instance).
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// The id of the rule `product_names` adds.
pub const PRODUCT_NAME_RULE: &str = "product-specific-name";

impl ProductNames {
    /// The rule the names make, if any.
    fn rule(&self, path: &Path) -> Result<Option<Rule>, LintError> {
        if self.names.is_empty() {
            return Ok(None);
        }
        let spec = RuleSpec {
            id: PRODUCT_NAME_RULE.to_owned(),
            title: "A product-specific name in the generic AgentSquad lifecycle".to_owned(),
            message: format!(
                "Do not add product-specific names such as a customer, legacy source, or stack name to the \
                 generic AgentSquad lifecycle (this repository lists {} in {CONFIG_FILE_NAME}'s product_names); \
                 keep the name in the product's own workflow, prompt or adapter.",
                self.names.join(", ")
            ),
            seed: Some("AgentSquad Delivery Language (introduction)".to_owned()),
            severity: Severity::Error,
            scopes: vec![Scope::Prose, Scope::Identifier, Scope::String],
            words: self.names.clone(),
            tokens: Vec::new(),
            patterns: Vec::new(),
            replacement: None,
            fix: false,
            boundary_exempt: false,
            declarations_only: false,
            ends_identifier: false,
            generic_suffixes: Vec::new(),
            require_context: Vec::new(),
            except_context: Vec::new(),
            except_overlap: Vec::new(),
        };
        Rule::compile(spec, path, "product_names").map(Some).map_err(|mut e| {
            // `product_names.words[i]` is written `product_names.names[i]`
            e.field = e.field.map(|f| f.replace("product_names.words", "product_names.names"));
            e
        })
    }
}

/// Path filters for one rule.
#[derive(Debug, Clone)]
pub struct RulePaths {
    pub only: Option<GlobSet>,
    pub exclude: Option<GlobSet>,
}

/// A loaded config: rules with overrides applied, and compiled path sets.
#[derive(Debug, Clone)]
pub struct Config {
    pub rules: RuleSet,
    pub boundaries: GlobSet,
    pub exclude: GlobSet,
    pub prompts: GlobSet,
    /// Indexed like `rules.rules`.
    pub rule_paths: Vec<RulePaths>,
    pub baseline: Option<String>,
    /// Every words-term word (lower case) and every token of the rules: a region
    /// with none of them needs no words matching.
    pub term_words: BTreeSet<String>,
}

impl Config {
    /// The built-in rules and no repository settings.
    pub fn builtin() -> Config {
        Config::from_spec(RuleSet::builtin(), ConfigSpec::default(), Path::new(CONFIG_FILE_NAME))
            .expect("an empty config is valid")
    }

    /// Reads a config file on top of `base` rules.
    pub fn load(base: RuleSet, path: &Path) -> Result<Config, LintError> {
        let text = super::read_config_text(path)?;
        Config::parse(base, path, &text)
    }

    /// Parses config text on top of `base` rules; `path` names it in errors.
    pub fn parse(base: RuleSet, path: &Path, text: &str) -> Result<Config, LintError> {
        if text.trim().is_empty() {
            return Config::from_spec(base, ConfigSpec::default(), path);
        }
        let (spec, spans) = from_yaml(path, text)?;
        Config::from_spec(base, spec, path).map_err(|e| e.located(&spans))
    }

    /// The config `spec` makes of `rules`; an error names its field, not yet its line.
    fn from_spec(mut rules: RuleSet, spec: ConfigSpec, path: &Path) -> Result<Config, LintError> {
        for (i, added) in spec.rules.into_iter().enumerate() {
            let rule = Rule::compile(added, path, &format!("rules[{i}]"))?;
            rules.push(rule, path, &format!("rules[{i}].id"))?;
        }
        if let Some(rule) = spec.product_names.rule(path)? {
            rules.push(rule, path, "product_names")?;
        }
        let mut only = vec![None; rules.rules.len()];
        let mut excluded = vec![None; rules.rules.len()];
        if let Some(index) = rules.rules.iter().position(|r| r.id() == PRODUCT_NAME_RULE) {
            let names = &spec.product_names;
            if !names.paths.is_empty() {
                only[index] = Some(glob_set(&names.paths, path, "product_names.paths")?);
            }
            if !names.exclude.is_empty() {
                excluded[index] = Some(glob_set(&names.exclude, path, "product_names.exclude")?);
            }
        }
        for (id, change) in &spec.overrides {
            let field = format!("overrides.{id}");
            let Some(index) = rules.rules.iter().position(|r| r.id() == id) else {
                return Err(LintError::in_field(path, field, format!("unknown rule id `{id}`")));
            };
            let rule = &mut rules.rules[index];
            if let Some(severity) = change.severity {
                rule.spec.severity = severity;
            }
            if let Some(scopes) = &change.scopes {
                if scopes.is_empty() {
                    return Err(LintError::in_field(
                        path,
                        format!("{field}.scopes"),
                        "a rule needs at least one scope",
                    ));
                }
                rule.spec.scopes = scopes.clone();
            }
            if let Some(exempt) = change.boundary_exempt {
                rule.spec.boundary_exempt = exempt;
            }
            if !change.paths.is_empty() {
                only[index] = Some(glob_set(&change.paths, path, &format!("{field}.paths"))?);
            }
            if !change.exclude.is_empty() {
                excluded[index] = Some(glob_set(&change.exclude, path, &format!("{field}.exclude"))?);
            }
        }
        let mut disabled = Vec::new();
        for (i, id) in spec.disable.iter().enumerate() {
            match rules.rules.iter().position(|r| r.id() == id) {
                Some(index) => disabled.push(index),
                None => {
                    return Err(LintError::in_field(path, format!("disable[{i}]"), format!("unknown rule id `{id}`")))
                }
            }
        }
        let rule_paths: Vec<RulePaths> =
            only.into_iter().zip(excluded).map(|(only, exclude)| RulePaths { only, exclude }).collect();
        let (rules_kept, paths_kept): (Vec<Rule>, Vec<RulePaths>) = rules
            .rules
            .into_iter()
            .zip(rule_paths)
            .enumerate()
            .filter(|(i, _)| !disabled.contains(i))
            .map(|(_, pair)| pair)
            .unzip();
        let term_words = rules_kept
            .iter()
            .flat_map(|r| r.words.iter().flat_map(|t| t.words.iter().cloned()).chain(r.spec.tokens.iter().cloned()))
            .collect();
        Ok(Config {
            term_words,
            rules: RuleSet { rules: rules_kept },
            boundaries: glob_set(&spec.boundaries, path, "boundaries")?,
            exclude: glob_set(&spec.exclude, path, "exclude")?,
            prompts: glob_set(&spec.prompts, path, "prompts")?,
            rule_paths: paths_kept,
            baseline: spec.baseline,
        })
    }

    /// Whether rule `index` runs on the repo-relative `rel_path`.
    pub fn rule_applies(&self, index: usize, rel_path: &str, in_boundary: bool) -> bool {
        let rule = &self.rules.rules[index];
        if in_boundary && rule.spec.boundary_exempt {
            return false;
        }
        let paths = &self.rule_paths[index];
        if paths.only.as_ref().is_some_and(|g| !g.is_match(rel_path)) {
            return false;
        }
        !paths.exclude.as_ref().is_some_and(|g| g.is_match(rel_path))
    }

    /// Whether a directory (repo-relative) is excluded as a whole.
    pub fn excludes_dir(&self, rel_dir: &str) -> bool {
        self.exclude.is_match(rel_dir) || self.exclude.is_match(format!("{rel_dir}/_"))
    }
}

fn glob_set(globs: &[String], path: &Path, field: &str) -> Result<GlobSet, LintError> {
    let mut builder = GlobSetBuilder::new();
    for (i, g) in globs.iter().enumerate() {
        let glob = Glob::new(g)
            .map_err(|e| LintError::in_field(path, format!("{field}[{i}]"), format!("invalid glob: {e}")))?;
        builder.add(glob);
    }
    builder.build().map_err(|e| LintError::in_field(path, field, format!("invalid globs: {e}")))
}
