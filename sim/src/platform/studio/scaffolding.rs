//! Project scaffolding's observability step: every scaffolded project gets an
//! auto-provisioned per-project GlitchTip DSN for its starter `.env` (frontend
//! `PUBLIC_SENTRY_DSN`, backend `SENTRY_DSN`) — fail-open, never blocking
//! scaffolding (`docs/seeds.md`, runbook, "Build Plane Observability").
//!
//! Through GlitchTip's management API with the platform's API token: ensure the
//! project (`POST /api/0/teams/{org}/{team}/projects/ {name, slug}`: 201 new,
//! 409 already there), then read its DSN from its keys
//! (`GET /api/0/projects/{org}/{slug}/keys/` -> `[0].dsn.public`).
//!
//! Guarantees: it runs beside the launch, never in front of it, so neither a
//! refusing nor an unreachable GlitchTip delays or fails a launch; the run
//! records either the DSN or why there is none ([`DsnProvisioning`]).

use std::sync::Arc;

use serde_json::{json, Value};
use squadsim_fakes::net::{HttpError, HttpRequest};

use super::Studio;

/// Where a run's project DSN provisioning stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum DsnProvisioning {
    /// Scaffolding has not heard back from GlitchTip yet.
    Pending,
    /// The project's DSN, baked into the starter `.env`.
    Provisioned(String),
    /// Why there is no DSN; scaffolding went on without one.
    NotProvisioned(String),
}

impl DsnProvisioning {
    /// How the outcome shows it.
    pub fn label(&self) -> String {
        match self {
            DsnProvisioning::Pending => "pending".to_string(),
            DsnProvisioning::Provisioned(_) => "provisioned".to_string(),
            DsnProvisioning::NotProvisioned(why) => format!("not provisioned: {why}"),
        }
    }

    pub fn dsn(&self) -> Option<&str> {
        match self {
            DsnProvisioning::Provisioned(dsn) => Some(dsn),
            _ => None,
        }
    }
}

/// Starts provisioning the DSN of `project_slug`; it runs on its own, beside the launch.
pub(crate) fn start(studio: Arc<Studio>, project_slug: String) -> tokio::task::JoinHandle<DsnProvisioning> {
    tokio::spawn(async move {
        match ensure_project_dsn(&studio, &project_slug).await {
            Ok(dsn) => DsnProvisioning::Provisioned(dsn),
            Err(why) => DsnProvisioning::NotProvisioned(why.to_string()),
        }
    })
}

/// Records the provisioning's result on run `run_id` once it is there (at once if it
/// already finished while the launch bound identities).
pub(crate) fn record(studio: Arc<Studio>, run_id: String, provisioning: tokio::task::JoinHandle<DsnProvisioning>) {
    tokio::spawn(async move {
        let result = provisioning
            .await
            .unwrap_or_else(|_| DsnProvisioning::NotProvisioned("provisioning did not finish".to_string()));
        studio.update_run(&run_id, |run| run.observability_dsn = result);
    });
}

/// Why the project's DSN was not provisioned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DsnError {
    /// GlitchTip refused to create the project (201 and 409 are both fine).
    ProjectRefused { status: u16 },
    /// GlitchTip gave no answer to creating the project.
    ProjectNoAnswer(HttpError),
    /// GlitchTip refused to list the project's keys.
    KeysRefused { status: u16 },
    /// GlitchTip gave no answer to listing the project's keys.
    KeysNoAnswer(HttpError),
    /// The project has no client key with a public DSN.
    NoKey,
}

impl std::fmt::Display for DsnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DsnError::ProjectRefused { status } => write!(f, "creating the project: HTTP {status}"),
            DsnError::ProjectNoAnswer(e) => write!(f, "creating the project: {e}"),
            DsnError::KeysRefused { status } => write!(f, "reading the project keys: HTTP {status}"),
            DsnError::KeysNoAnswer(e) => write!(f, "reading the project keys: {e}"),
            DsnError::NoKey => f.write_str("the project has no key"),
        }
    }
}

impl std::error::Error for DsnError {}

async fn ensure_project_dsn(studio: &Studio, slug: &str) -> Result<String, DsnError> {
    let base = &studio.config.glitchtip_url;
    let org = crate::base::topology::GLITCHTIP_ORG;
    let team = crate::base::topology::GLITCHTIP_TEAM;
    let token = &studio.config.glitchtip_api_token;
    let create = HttpRequest::post(format!("{base}/api/0/teams/{org}/{team}/projects/"))
        .bearer(token)
        .json(&json!({"name": slug, "slug": slug}));
    match studio.http.send(create).await {
        Ok(r) if r.status.as_u16() == 201 || r.status.as_u16() == 409 => {}
        Ok(r) => return Err(DsnError::ProjectRefused { status: r.status.as_u16() }),
        Err(e) => return Err(DsnError::ProjectNoAnswer(e)),
    }
    let keys = HttpRequest::get(format!("{base}/api/0/projects/{org}/{slug}/keys/")).bearer(token);
    let response = studio.http.send(keys).await.map_err(DsnError::KeysNoAnswer)?;
    if !response.status.is_success() {
        return Err(DsnError::KeysRefused { status: response.status.as_u16() });
    }
    response.json().pointer("/0/dsn/public").and_then(Value::as_str).map(str::to_string).ok_or(DsnError::NoKey)
}
