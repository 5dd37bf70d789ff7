//! The GlitchTip fake: per-project DSN provisioning, public ingest of the
//! Sentry protocol, the management API and the official MCP endpoint, on
//! GlitchTip's (Sentry-compatible) paths, statuses and JSON.
//!
//! Build it with [`GlitchtipFake::new`] from a [`GlitchtipConfig`] and a
//! [`Clock`], then mount [`router`]; the same router serves inside the
//! turmoil simulation and on a loopback socket. It reads only the injected
//! clock, draws every key and id from the config seed and renders lists in
//! a fixed order, so one seed gives byte-identical responses.
//!
//! Auth as GlitchTip does it: ingest is public and authenticated by the DSN
//! public key only; the management API and `/mcp` need `Authorization:
//! Bearer <API token>` (401 without). Events ingested through the envelope
//! or store endpoint are grouped into issues that the management API and the
//! MCP tools list.

mod auth;
mod errors;
mod ingest;
mod issues;
mod mcp;
mod projects;
mod releases;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::ids::IdGen;
use errors::GtError;

pub use mcp::TOOL_NAMES as MCP_TOOL_NAMES;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GlitchtipConfig {
    /// Base URL clients reach this fake at; DSNs and permalinks are built on it.
    pub base_url: String,
    /// Seed of every key and event id this fake generates.
    pub seed: u64,
    pub organizations: Vec<OrganizationConfig>,
    /// API tokens accepted as `Authorization: Bearer …` (management API, `/mcp`).
    pub api_tokens: Vec<String>,
    /// Projects (each with one DSN key) that exist from the start.
    pub projects: Vec<ProjectConfig>,
    /// The provisioning-failure condition: project and key creation answer
    /// this 5xx status while it is set (scaffolding must fail open).
    pub provisioning_failure: Option<u16>,
    /// The throttling condition: ingest answers 429 with `Retry-After`.
    pub throttle_ingest: bool,
    /// Largest accepted request body (compressed size).
    pub max_body_bytes: usize,
}

impl Default for GlitchtipConfig {
    fn default() -> Self {
        Self {
            base_url: "http://glitchtip".to_string(),
            seed: 0,
            organizations: vec![OrganizationConfig::default()],
            api_tokens: vec!["glitchtip-test-api-token".to_string()],
            projects: Vec::new(),
            provisioning_failure: None,
            throttle_ingest: false,
            max_body_bytes: 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrganizationConfig {
    pub slug: String,
    pub name: String,
    pub teams: Vec<String>,
}

impl Default for OrganizationConfig {
    fn default() -> Self {
        Self { slug: "yamon".to_string(), name: "Yamon".to_string(), teams: vec!["platform".to_string()] }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    pub organization: String,
    #[serde(default = "default_team")]
    pub team: String,
    pub slug: String,
    #[serde(default)]
    pub platform: Option<String>,
}

fn default_team() -> String {
    "platform".to_string()
}

/// Why a [`GlitchtipConfig`] cannot be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlitchtipConfigError(pub String);

impl std::fmt::Display for GlitchtipConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid GlitchTip fake config: {}", self.0)
    }
}

impl std::error::Error for GlitchtipConfigError {}

/// One issue as it stands, for scenario outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssueSummary {
    pub id: u64,
    /// `org/project-slug`
    pub project: String,
    pub title: String,
    pub level: String,
    pub status: String,
    pub count: usize,
}

/// A handle on one GlitchTip fake; clones share the same state.
#[derive(Clone)]
pub struct GlitchtipFake {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub config: GlitchtipConfig,
    pub clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

pub(crate) struct State {
    pub ids: IdGen,
    pub provisioning_failure: Option<u16>,
    pub next_project_id: u64,
    pub next_issue_id: u64,
    pub projects: BTreeMap<u64, projects::Project>,
    pub issues: BTreeMap<u64, issues::Issue>,
    /// Event id (32 hex) -> event.
    pub events: BTreeMap<String, ingest::Event>,
    /// Release id -> release.
    pub releases: BTreeMap<u64, releases::Release>,
}

impl GlitchtipFake {
    /// Builds the fake; fails on projects naming an unknown organization or
    /// team, or listed twice.
    pub fn new(config: GlitchtipConfig, clock: Arc<dyn Clock>) -> Result<Self, GlitchtipConfigError> {
        let mut state = State {
            ids: IdGen::derive(config.seed, "glitchtip"),
            provisioning_failure: config.provisioning_failure,
            next_project_id: 1,
            next_issue_id: 1,
            projects: BTreeMap::new(),
            issues: BTreeMap::new(),
            events: BTreeMap::new(),
            releases: BTreeMap::new(),
        };
        let now = clock.now_unix();
        for (i, p) in config.projects.iter().enumerate() {
            let org = config.organizations.iter().find(|o| o.slug == p.organization);
            if !org.is_some_and(|o| o.teams.contains(&p.team)) {
                return Err(GlitchtipConfigError(format!("projects[{i}]: unknown organization or team")));
            }
            let created =
                projects::create(&mut state, &p.organization, &p.team, &p.slug, &p.slug, p.platform.clone(), now);
            if created.is_none() {
                return Err(GlitchtipConfigError(format!(
                    "projects[{i}]: {}/{} is listed twice",
                    p.organization, p.slug
                )));
            }
        }
        Ok(Self { inner: Arc::new(Inner { config, clock, state: Mutex::new(state) }) })
    }

    pub fn config(&self) -> &GlitchtipConfig {
        &self.inner.config
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // Handlers never hold the lock across an await; a poisoned lock still
        // holds consistent data.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Switches the provisioning-failure condition on (`Some(5xx)`) or off.
    pub fn set_provisioning_failure(&self, status: Option<u16>) {
        self.lock().provisioning_failure = status;
    }

    /// The first DSN of `org/project`, if the project exists.
    pub fn dsn(&self, org: &str, project: &str) -> Option<String> {
        let state = self.lock();
        let p = state.projects.values().find(|p| p.organization == org && p.slug == project)?;
        p.keys.first().map(|k| projects::dsn(&self.inner, p.id, &k.public))
    }

    /// How many events were ingested in all.
    pub fn event_count(&self) -> usize {
        self.lock().events.len()
    }

    /// Every issue, by id.
    pub fn issues(&self) -> Vec<IssueSummary> {
        let state = self.lock();
        state
            .issues
            .values()
            .map(|i| IssueSummary {
                id: i.id,
                project: state
                    .projects
                    .get(&i.project_id)
                    .map(|p| format!("{}/{}", p.organization, p.slug))
                    .unwrap_or_default(),
                title: i.title.clone(),
                level: i.level.clone(),
                status: i.status.clone(),
                count: i.events.len(),
            })
            .collect()
    }
}

/// The fake's HTTP surface. Unknown paths are 404 `{"detail": "Not Found"}`.
pub fn router(fake: GlitchtipFake) -> Router {
    let limit = fake.inner.config.max_body_bytes;
    Router::new()
        .route("/api/{project_id}/envelope/", post(ingest::envelope))
        .route("/api/{project_id}/store/", post(ingest::store))
        .route("/api/0/organizations/", get(projects::list_organizations))
        .route("/api/0/organizations/{org}/", get(projects::get_organization))
        .route("/api/0/projects/", get(projects::list_all_projects))
        .route("/api/0/organizations/{org}/projects/", get(projects::list_projects))
        .route("/api/0/organizations/{org}/releases/", get(releases::list).post(releases::create))
        .route(
            "/api/0/organizations/{org}/releases/{version}/",
            get(releases::get).put(releases::update).delete(releases::delete),
        )
        .route(
            "/api/0/organizations/{org}/releases/{version}/deploys/",
            get(releases::list_deploys).post(releases::create_deploy),
        )
        .route(
            "/api/0/projects/{org}/{project}/releases/",
            get(releases::list_for_project).post(releases::create_for_project),
        )
        .route("/api/0/projects/{org}/{project}/events/", get(issues::list_project_events))
        .route("/api/0/teams/{org}/{team}/projects/", post(projects::create_project))
        .route("/api/0/projects/{org}/{project}/", get(projects::get_project))
        .route("/api/0/projects/{org}/{project}/keys/", get(projects::list_keys).post(projects::create_key))
        .route("/api/0/organizations/{org}/issues/", get(issues::list_org_issues))
        .route("/api/0/projects/{org}/{project}/issues/", get(issues::list_project_issues))
        .route("/api/0/issues/{issue_id}/", get(issues::get_issue).put(issues::update_issue))
        .route("/api/0/issues/{issue_id}/events/", get(issues::list_events))
        .route("/api/0/issues/{issue_id}/events/latest/", get(issues::latest_event))
        .route("/api/0/projects/{org}/{project}/events/{event_id}/", get(issues::get_event))
        .route("/mcp", post(mcp::post).get(mcp::get_not_allowed).delete(mcp::get_not_allowed))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(fake)
}

async fn not_found() -> GtError {
    GtError::not_found()
}

async fn method_not_allowed() -> GtError {
    GtError::new(axum::http::StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
}
