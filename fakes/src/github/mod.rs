//! The GitHub fake: the CodexGate GitHub App and the REST surface a squad
//! delivery uses (repositories, branches, commits and compare, the Git Data
//! API, contents and directories, pull requests with reviews and merges,
//! issues with comments and labels, the rate limit), following
//! api.github.com's paths, status codes, JSON and pagination (`Link`).
//!
//! Build it with [`GithubFake::new`] from a [`GithubConfig`] and a
//! [`Clock`], then mount [`router`]. The same router serves inside the
//! turmoil simulation and on a real loopback socket; it reads no wall clock
//! (only the injected clock), draws every id and token from the config seed,
//! and renders every list in a fixed order, so one seed gives byte-identical
//! responses.
//!
//! Authentication as on GitHub: an RS256 App JWT for `/app/...`, which mints
//! `ghs_…` installation tokens (`Bearer` or `token`) for the repository
//! endpoints; objects written with one are authored by `<app-slug>[bot]`
//! (`type: "Bot"`). The legacy org-PAT override ([`OrgPatConfig`]) makes a
//! `ghp_…` token act as its human user instead. Every response carries
//! GitHub's `x-ratelimit-*` headers; exceeding the limit is 403.

mod actors;
mod app_auth;
mod commits;
mod config;
mod errors;
mod git;
mod git_data;
mod graphql;
mod issues;
pub mod keys;
mod labels;
mod pages;
mod pulls;
mod repos;
mod reviews;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{DefaultBodyLimit, Request, State as AxState};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use axum::Router;

pub use config::{
    AppConfig, GithubConfig, GithubConfigError, InstallationConfig, OrgPatConfig, RepositoryConfig, RepositorySelection,
};

use sha2::Digest;

use crate::clock::Clock;
use crate::ids::IdGen;
use app_auth::IssuedToken;
use errors::GhError;
use git::{Blob, Commit, Git, Tree};
use repos::Repo;

/// A handle on one GitHub fake; clones share the same state.
#[derive(Clone)]
pub struct GithubFake {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub config: GithubConfig,
    pub clock: Arc<dyn Clock>,
    pub key: app_auth::AppKey,
    state: Mutex<State>,
    /// Accounts serialized once ([`actors::rendered`]).
    accounts: Mutex<actors::RenderedAccounts>,
    /// Repository documents serialized once per state of what they show
    /// ([`pulls::repo_parts`]).
    repo_parts: Mutex<pulls::RenderedRepos>,
}

pub(crate) struct State {
    pub ids: IdGen,
    next_id: u64,
    pub tokens: BTreeMap<String, IssuedToken>,
    /// Lower-cased `owner/name` -> repository.
    pub repos: BTreeMap<String, Repo>,
    /// Rate-limit window per credential.
    rate: RateWindows,
}

/// The most credentials whose rate-limit windows are kept at once.
pub(crate) const RATE_WINDOWS_KEEP: usize = 65_536;

/// Rate-limit windows per credential: (window reset, requests used), keyed by
/// the credential's SHA-256 (a client can send any `Authorization` header, of
/// any length). Bounded: when [`RATE_WINDOWS_KEEP`] credentials have windows,
/// the expired ones are dropped, then the one that resets first.
#[derive(Default)]
struct RateWindows(BTreeMap<[u8; 32], (u64, u64)>);

impl RateWindows {
    /// The window of `credential` at `now` (a fresh hour when it has none or
    /// its window passed).
    fn window(&mut self, credential: &str, now: u64) -> &mut (u64, u64) {
        let key: [u8; 32] = sha2::Sha256::digest(credential.as_bytes()).into();
        if !self.0.contains_key(&key) && self.0.len() >= RATE_WINDOWS_KEEP {
            self.0.retain(|_, (reset, _)| *reset > now);
            if self.0.len() >= RATE_WINDOWS_KEEP {
                if let Some(first) = self.0.iter().min_by_key(|(_, (reset, _))| *reset).map(|(k, _)| *k) {
                    self.0.remove(&first);
                }
            }
        }
        let window = self.0.entry(key).or_insert((now + 3600, 0));
        if now >= window.0 {
            *window = (now + 3600, 0);
        }
        window
    }
}

impl State {
    pub(crate) fn repo_key(owner: &str, repo: &str) -> String {
        format!("{}/{}", owner.to_lowercase(), repo.to_lowercase())
    }

    /// The repository with this [`State::repo_key`]: one a [`app_auth::RepoAccess`]
    /// found (GitHub's 404 for any other key).
    pub(crate) fn repo(&self, key: &str) -> Result<&Repo, GhError> {
        self.repos.get(key).ok_or_else(GhError::not_found)
    }

    /// [`State::repo`], to change.
    pub(crate) fn repo_mut(&mut self, key: &str) -> Result<&mut Repo, GhError> {
        self.repos.get_mut(key).ok_or_else(GhError::not_found)
    }

    /// The next object id (pull requests, issues, labels).
    pub(crate) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

impl Inner {
    pub(crate) fn api(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url.trim_end_matches('/'))
    }

    pub(crate) fn html(&self, path: &str) -> String {
        let base = self.config.html_base_url.as_deref().unwrap_or(&self.config.base_url);
        format!("{}{path}", base.trim_end_matches('/'))
    }

    pub(crate) fn bot_login(&self) -> String {
        format!("{}[bot]", self.config.app.slug)
    }

    /// Whether the installation covers `owner/repo` (its org, and its selection).
    pub(crate) fn installation_reaches(&self, owner: &str, repo: &str) -> bool {
        let inst = &self.config.installation;
        owner.eq_ignore_ascii_case(&inst.account)
            && match inst.repository_selection {
                RepositorySelection::All => true,
                RepositorySelection::Selected => {
                    inst.selected_repositories.iter().any(|r| r.eq_ignore_ascii_case(repo))
                }
            }
    }
}

/// One pull request or issue as it stands, for scenario outcomes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    /// `owner/name`
    pub repository: String,
    /// `pull_request` or `issue`
    pub kind: &'static str,
    pub number: u64,
    pub title: String,
    /// Login of the author (`fractalops-codexgate[bot]`, or the PAT's user).
    pub author: String,
    /// `Bot` or `User`.
    pub author_type: &'static str,
    pub state: &'static str,
    pub merged: bool,
}

impl GithubFake {
    /// Builds the fake; fails only on an unusable config (a bad public key
    /// PEM, a repository without an owner or with a name GitHub would not
    /// hold, [`RepositoryConfig::name_error`], or listed twice).
    pub fn new(config: GithubConfig, clock: Arc<dyn Clock>) -> Result<Self, GithubConfigError> {
        let key = app_auth::AppKey::from_pem(&config.app.public_key_pem)
            .map_err(|e| GithubConfigError(format!("app.public_key_pem: {e}")))?;
        let now = clock.now_unix();
        let mut state = State {
            ids: IdGen::derive(config.seed, "github"),
            next_id: 1_000_000,
            tokens: BTreeMap::new(),
            repos: BTreeMap::new(),
            rate: RateWindows::default(),
        };
        for (i, rc) in config.repositories.iter().enumerate() {
            if rc.owner.is_empty() {
                return Err(GithubConfigError(format!("repositories[{i}]: an owner is required")));
            }
            if let Some(reason) = RepositoryConfig::name_error(&rc.name) {
                return Err(GithubConfigError(format!("repositories[{i}]: name `{}`: {reason}", rc.name)));
            }
            let key = State::repo_key(&rc.owner, &rc.name);
            if state.repos.contains_key(&key) {
                return Err(GithubConfigError(format!("repositories[{i}]: {key} is listed twice")));
            }
            let readme = format!("# {}\n", rc.name).into_bytes();
            let mut files = Tree::default();
            files.insert("README.md".to_string(), Blob::new(readme));
            for (path, content) in &rc.files {
                files.insert(path.trim_matches('/').to_string(), Blob::new(content.clone().into_bytes()));
            }
            let sha = state.ids.hex(40);
            let author = ("GitHub".to_string(), "noreply@github.com".to_string());
            let commit = Commit {
                sha: sha.clone(),
                parents: vec![],
                files,
                position: 0,
                message: "Initial commit".into(),
                author,
                date: now,
            };
            let mut repo = Repo {
                id: 800_000_000 + i as u64,
                owner: rc.owner.clone(),
                name: rc.name.clone(),
                private: rc.private,
                description: rc.description.clone(),
                default_branch: rc.default_branch.clone(),
                created_at: now,
                git: Git::default(),
                next_number: 1,
                pulls: BTreeMap::new(),
                pulls_by_head: BTreeMap::new(),
                issues: BTreeMap::new(),
                open_count: 0,
                comments: BTreeMap::new(),
                reviews: BTreeMap::new(),
                labels: BTreeMap::new(),
            };
            repo.git.record(commit);
            repo.git.set_branch(&rc.default_branch, sha);
            state.repos.insert(key, repo);
        }
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                clock,
                key,
                state: Mutex::new(state),
                accounts: Mutex::default(),
                repo_parts: Mutex::default(),
            }),
        })
    }

    pub fn config(&self) -> &GithubConfig {
        &self.inner.config
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock still holds consistent data (handlers never leave
        // it half-written across an await); keep serving.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every pull request and issue, ordered by repository then number.
    pub fn deliveries(&self) -> Vec<Delivery> {
        let inner = &self.inner;
        let state = self.lock();
        let mut out = Vec::new();
        let kind_of = |a: &actors::Actor| match a {
            actors::Actor::User { .. } => "User",
            _ => "Bot",
        };
        for repo in state.repos.values() {
            for pr in repo.pulls.values() {
                out.push(Delivery {
                    repository: repo.full_name(),
                    kind: "pull_request",
                    number: pr.number,
                    title: pr.title.clone(),
                    author: pr.user.login(inner).unwrap_or_default(),
                    author_type: kind_of(&pr.user),
                    state: if pr.open { "open" } else { "closed" },
                    merged: pr.merged,
                });
            }
            for issue in repo.issues.values() {
                out.push(Delivery {
                    repository: repo.full_name(),
                    kind: "issue",
                    number: issue.number,
                    title: issue.title.clone(),
                    author: issue.user.login(inner).unwrap_or_default(),
                    author_type: kind_of(&issue.user),
                    state: if issue.open { "open" } else { "closed" },
                    merged: false,
                });
            }
        }
        out.sort_by(|a, b| (&a.repository, a.number).cmp(&(&b.repository, b.number)));
        out
    }

    /// The content of `path` on `branch`, if both exist.
    pub fn file(&self, owner: &str, repo: &str, branch: &str, path: &str) -> Option<Vec<u8>> {
        let state = self.lock();
        let r = state.repos.get(&State::repo_key(owner, repo))?;
        let sha = r.git.branch_sha(branch)?;
        r.git.commit(sha)?.files.get(path).map(|b| b.content.to_vec())
    }
}

/// The fake's HTTP surface. Unknown paths and methods answer GitHub's 404.
pub fn router(fake: GithubFake) -> Router {
    let limit = fake.inner.config.max_body_bytes;
    Router::new()
        .route("/app", get(app_auth::get_app))
        .route("/app/installations", get(app_auth::list_installations))
        .route("/app/installations/{installation_id}", get(app_auth::get_installation))
        .route("/app/installations/{installation_id}/access_tokens", post(app_auth::create_access_token))
        .route("/orgs/{org}/installation", get(app_auth::get_repo_installation))
        .route("/repos/{owner}/{repo}/installation", get(app_auth::get_repo_installation))
        .route("/rate_limit", get(rate_limit_status))
        .route("/graphql", post(graphql::graphql))
        .route("/repos/{owner}/{repo}", get(repos::get_repo))
        .route("/repos/{owner}/{repo}/branches", get(commits::list_branches))
        .route("/repos/{owner}/{repo}/branches/{*branch}", get(commits::get_branch))
        .route("/repos/{owner}/{repo}/commits", get(commits::list_commits))
        .route("/repos/{owner}/{repo}/commits/{*ref}", get(commits::get_commit))
        .route("/repos/{owner}/{repo}/compare/{*basehead}", get(commits::compare))
        .route("/repos/{owner}/{repo}/git/ref/{*ref}", get(repos::get_ref))
        .route("/repos/{owner}/{repo}/git/refs", post(repos::create_ref))
        .route("/repos/{owner}/{repo}/git/refs/{*ref}", patch(git_data::update_ref).delete(git_data::delete_ref))
        .route("/repos/{owner}/{repo}/git/blobs", post(git_data::create_blob))
        .route("/repos/{owner}/{repo}/git/blobs/{sha}", get(git_data::get_blob))
        .route("/repos/{owner}/{repo}/git/trees", post(git_data::create_tree))
        .route("/repos/{owner}/{repo}/git/trees/{sha}", get(git_data::get_tree))
        .route("/repos/{owner}/{repo}/git/commits", post(git_data::create_commit))
        .route("/repos/{owner}/{repo}/git/commits/{sha}", get(git_data::get_git_commit))
        .route("/repos/{owner}/{repo}/contents", get(repos::get_contents))
        .route("/repos/{owner}/{repo}/contents/", get(repos::get_contents))
        .route(
            "/repos/{owner}/{repo}/contents/{*path}",
            put(repos::put_contents).get(repos::get_contents).delete(repos::delete_contents),
        )
        .route("/repos/{owner}/{repo}/pulls", post(pulls::create_pull).get(pulls::list_pulls))
        .route("/repos/{owner}/{repo}/pulls/{pull_number}", get(pulls::get_pull).patch(pulls::update_pull))
        .route("/repos/{owner}/{repo}/pulls/{pull_number}/commits", get(pulls::list_pull_commits))
        .route("/repos/{owner}/{repo}/pulls/{pull_number}/files", get(pulls::list_pull_files))
        .route("/repos/{owner}/{repo}/pulls/{pull_number}/merge", put(pulls::merge_pull).get(pulls::is_merged))
        .route(
            "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
            post(reviews::create_review).get(reviews::list_reviews),
        )
        .route("/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}", get(reviews::get_review))
        .route("/repos/{owner}/{repo}/issues", post(issues::create_issue).get(issues::list_issues))
        .route("/repos/{owner}/{repo}/issues/{issue_number}", get(issues::get_issue).patch(issues::update_issue))
        .route(
            "/repos/{owner}/{repo}/issues/{issue_number}/comments",
            post(issues::create_comment).get(issues::list_comments),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{issue_number}/labels",
            get(labels::list_issue_labels).post(labels::add_issue_labels).put(labels::set_issue_labels),
        )
        .route("/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", delete(labels::remove_issue_label))
        .route("/repos/{owner}/{repo}/labels", get(labels::list_labels).post(labels::create_label))
        .route("/repos/{owner}/{repo}/labels/{name}", get(labels::get_label))
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(middleware::from_fn_with_state(fake.clone(), rate_limit))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(fake)
}

async fn not_found() -> GhError {
    GhError::not_found()
}

/// `GET /rate_limit`: the caller's window (`resources.core` and `rate`), which
/// this request does not count against, as on GitHub.
async fn rate_limit_status(AxState(fake): AxState<GithubFake>, req: Request) -> axum::Json<serde_json::Value> {
    let inner = &fake.inner;
    let credential = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let limit = if credential.is_empty() { 60 } else { inner.config.rate_limit };
    let (reset, used) = *fake.lock().rate.window(credential, inner.clock.now_unix());
    let core = serde_json::json!({
        "limit": limit, "used": used, "remaining": limit.saturating_sub(used), "reset": reset, "resource": "core",
    });
    // The other resources' windows are not kept here: each is reported unused.
    let unused = |resource: &str, limit: u64| serde_json::json!({"limit": limit, "used": 0, "remaining": limit, "reset": reset, "resource": resource});
    axum::Json(serde_json::json!({
        "resources": {
            "core": core,
            "search": unused("search", 30),
            "graphql": unused("graphql", limit),
            "integration_manifest": unused("integration_manifest", 5000),
            "code_search": unused("code_search", 10),
        },
        "rate": core,
    }))
}

/// GitHub's primary rate limit: a one-hour window per credential, reported
/// on every response in `x-ratelimit-*`; over the limit is 403. `GET
/// /rate_limit` is not counted.
async fn rate_limit(AxState(fake): AxState<GithubFake>, req: Request, next: Next) -> Response {
    let inner = &fake.inner;
    let credential = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    let limit = if credential.is_some() { inner.config.rate_limit } else { 60 };
    let now = inner.clock.now_unix();
    let counted = req.uri().path() != "/rate_limit";
    let (reset, used, exceeded) = {
        let mut state = fake.lock();
        let window = state.rate.window(credential.as_deref().unwrap_or_default(), now);
        let exceeded = counted && window.1 >= limit;
        if counted && !exceeded {
            window.1 += 1;
        }
        (window.0, window.1, exceeded)
    };
    let mut response = if exceeded {
        let who = match credential {
            Some(_) => format!("installation ID {}", inner.config.installation.id),
            None => "this client".to_string(),
        };
        GhError::new(StatusCode::FORBIDDEN, format!("API rate limit exceeded for {who}.")).into_response()
    } else {
        next.run(req).await
    };
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-ratelimit-limit", limit.to_string()),
        ("x-ratelimit-remaining", limit.saturating_sub(used).to_string()),
        ("x-ratelimit-used", used.to_string()),
        ("x-ratelimit-reset", reset.to_string()),
        ("x-ratelimit-resource", "core".to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    headers.insert("x-github-media-type", HeaderValue::from_static("github.v3; format=json"));
    response
}

/// A fake with the repositories `names` (default settings), seeded with `seed`,
/// its clock fixed at 2026-06-01 12:00 UTC: what the documents' byte tests build on.
#[cfg(test)]
pub(crate) fn fake_with_repositories(seed: u64, names: &[&str]) -> GithubFake {
    let repositories =
        names.iter().map(|name| RepositoryConfig { name: (*name).into(), ..RepositoryConfig::default() }).collect();
    let config = GithubConfig { seed, repositories, ..GithubConfig::default() };
    GithubFake::new(config, Arc::new(crate::clock::FixedClock::new(1_780_315_200))).expect("config")
}

#[cfg(test)]
mod rate_window_tests {
    use super::*;

    #[test]
    fn rate_windows_stay_bounded_and_keep_counting_the_credentials_in_use() {
        let mut windows = RateWindows::default();
        windows.window("Bearer ghs_in_use", 2_000).1 = 42;
        for i in 0..RATE_WINDOWS_KEEP + 100 {
            windows.window(&format!("Bearer junk-{i}-{}", "x".repeat(200)), 1_000).1 += 1;
        }
        assert_eq!(windows.0.len(), RATE_WINDOWS_KEEP, "bounded: the windows resetting first went");
        assert_eq!(windows.window("Bearer ghs_in_use", 2_000).1, 42, "the credential in use kept its count");
        // Once the junk windows have passed, a new credential makes room by dropping them.
        windows.window("Bearer ghs_fresh", 4_700).1 += 1;
        assert_eq!(windows.0.len(), 2);
        assert_eq!(windows.window("Bearer ghs_in_use", 4_700).1, 42);
    }
}
