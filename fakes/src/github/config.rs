//! Configuration of the GitHub fake, deserialisable from scenario YAML.
//! Every struct rejects unknown fields and defaults to the CodexGate App of
//! the runbook (`docs/seeds.md`): app id 3249317, installation 120794317 on org `yamonco`,
//! all-repository selection.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::keys::TEST_APP_PUBLIC_KEY_PEM;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GithubConfig {
    /// Base of the REST API as clients reach it; every `url` field in a
    /// response starts with it (clients follow those fields).
    pub base_url: String,
    /// Base of `html_url` fields; defaults to `base_url`.
    pub html_base_url: Option<String>,
    /// Seed of every id, sha and token this fake hands out.
    pub seed: u64,
    pub app: AppConfig,
    pub installation: InstallationConfig,
    /// Repositories that exist; each starts with one commit on its default branch.
    pub repositories: Vec<RepositoryConfig>,
    /// The legacy org-PAT override condition: when set, this `ghp_…` token is
    /// accepted as the given human user, and writes made with it are authored
    /// by that user instead of the App's bot.
    pub org_pat: Option<OrgPatConfig>,
    /// Lifetime of installation tokens (GitHub: one hour).
    pub token_ttl_secs: u64,
    /// Requests per hour per credential (GitHub: 5,000 for installations);
    /// unauthenticated callers get 60.
    pub rate_limit: u64,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
}

impl Default for GithubConfig {
    fn default() -> Self {
        Self {
            base_url: "http://github".to_string(),
            html_base_url: None,
            seed: 0,
            app: AppConfig::default(),
            installation: InstallationConfig::default(),
            repositories: Vec::new(),
            org_pat: None,
            token_ttl_secs: 3600,
            rate_limit: 5000,
            max_body_bytes: 4 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppConfig {
    pub id: u64,
    /// The bot login is `<slug>[bot]`.
    pub slug: String,
    pub name: String,
    /// User id of the `<slug>[bot]` account.
    pub bot_user_id: u64,
    /// PEM public key App JWTs are verified with (default: the test key in `fakes/keys/`).
    pub public_key_pem: String,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            id: 3_249_317,
            slug: "fractalops-codexgate".to_string(),
            name: "FractalOps CodexGate".to_string(),
            bot_user_id: 241_920_317,
            public_key_pem: TEST_APP_PUBLIC_KEY_PEM.to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepositorySelection {
    All,
    Selected,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InstallationConfig {
    pub id: u64,
    /// The organization the App is installed on.
    pub account: String,
    pub account_id: u64,
    pub repository_selection: RepositorySelection,
    /// With `selected`: the repository names the installation may reach.
    pub selected_repositories: Vec<String>,
    /// Permission name -> `read` | `write`.
    pub permissions: BTreeMap<String, String>,
    /// A suspended installation cannot mint tokens (403).
    pub suspended: bool,
}

impl Default for InstallationConfig {
    fn default() -> Self {
        let permissions =
            [("contents", "write"), ("issues", "write"), ("metadata", "read"), ("pull_requests", "write")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        Self {
            id: 120_794_317,
            account: "yamonco".to_string(),
            account_id: 98_114_220,
            repository_selection: RepositorySelection::All,
            selected_repositories: Vec::new(),
            permissions,
            suspended: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RepositoryConfig {
    pub owner: String,
    pub name: String,
    pub default_branch: String,
    pub private: bool,
    pub description: Option<String>,
    /// Files of the initial commit besides its `README.md`: path -> content.
    pub files: BTreeMap<String, String>,
}

impl RepositoryConfig {
    /// Why GitHub would not hold a repository named `name`, if it would not:
    /// empty, longer than 100 characters, a character other than ASCII
    /// letters, digits, `-`, `_` and `.`, or one of the reserved `.` and `..`.
    pub fn name_error(name: &str) -> Option<&'static str> {
        if name.is_empty() {
            Some("a repository name is not empty")
        } else if name.len() > 100 {
            Some("a repository name is at most 100 characters")
        } else if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
            Some("a repository name holds only ASCII letters, digits, `-`, `_` and `.`")
        } else if name == "." || name == ".." {
            Some("`.` and `..` are reserved")
        } else {
            None
        }
    }
}

impl Default for RepositoryConfig {
    fn default() -> Self {
        Self {
            owner: "yamonco".to_string(),
            name: String::new(),
            default_branch: "main".to_string(),
            private: true,
            description: None,
            files: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgPatConfig {
    /// The classic PAT (`ghp_…`).
    pub token: String,
    /// The human user the PAT belongs to.
    pub login: String,
    #[serde(default = "default_pat_user_id")]
    pub user_id: u64,
}

fn default_pat_user_id() -> u64 {
    4_120_001
}

/// Why a [`GithubConfig`] cannot be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubConfigError(pub String);

impl std::fmt::Display for GithubConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid GitHub fake config: {}", self.0)
    }
}

impl std::error::Error for GithubConfigError {}
