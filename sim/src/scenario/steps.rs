//! The operator's steps (`steps:`), in order, against the Studio API (and,
//! with `world.platform_agent`, the platform agent).

use std::collections::BTreeMap;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::bounds;
use super::durations::SimDuration;

/// The Studio API body of a launch, in canonical names (the operator client maps
/// them onto the wire names at its boundary).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaunchStep {
    pub template_id: String,
    pub project_slug: String,
    /// Sent on the wire as the legacy field of the same meaning.
    pub delivery_graph_kind: String,
    #[serde(default)]
    pub work_scope: String,
    #[serde(default)]
    pub next_goal: String,
    /// The operator client's timeout (curl `--max-time`); no answer by then is "HTTP 000".
    #[serde(default = "default_launch_timeout")]
    pub timeout: SimDuration,
    /// How many runs the operator launches at once with this body (default 1); the
    /// steps after it act on every one of them, concurrently.
    #[serde(default = "default_launch_count", skip_serializing_if = "is_one")]
    #[schemars(range(min = 1, max = bounds::MAX_LAUNCH_COUNT))]
    pub count: u32,
    /// The run's name in this scenario: steps (`run: <label>`), faults (`run:`)
    /// and invariants (`invariants.runs`) address the run by it, and the outcome
    /// keeps it under it (`runs`). Required when a scenario launches more than
    /// once; a labelled launch starts one run (no `count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub label: Option<String>,
    /// Files delivered into each execution workspace of the run before its agent
    /// process starts (sent as `workspaceBootstrapAssets[]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = bounds::MAX_BOOTSTRAP_ASSETS))]
    pub workspace_bootstrap_assets: Vec<super::BootstrapAssetStep>,
    /// A source ref bundle, sent as the convenience alias the Studio API lowers
    /// into one read-only workspace bootstrap asset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ref_bundle: Option<super::RepositoryFile>,
}

fn default_launch_count() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

fn default_launch_timeout() -> SimDuration {
    SimDuration(Duration::from_secs(30))
}

/// Polling of session-state until every session settles.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchStep {
    #[serde(default = "default_watch_every")]
    pub every: SimDuration,
    #[serde(default = "default_watch_timeout")]
    pub timeout: SimDuration,
}

fn default_watch_every() -> SimDuration {
    SimDuration(Duration::from_secs(5))
}

fn default_watch_timeout() -> SimDuration {
    SimDuration(Duration::from_secs(900))
}

impl Default for WatchStep {
    fn default() -> Self {
        WatchStep { every: default_watch_every(), timeout: default_watch_timeout() }
    }
}

/// Steps that act on one labelled run: `on_run: {run: <label>, steps: [...]}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnRun {
    /// The label of a launch before this step.
    pub run: String,
    /// The steps, in order; each acts on that run alone (no `launch` or `on_run` among them).
    #[schemars(length(min = 1))]
    pub steps: Vec<Step>,
}

/// One operator step. Steps after a launch act on every launched run
/// (concurrently), or, inside `on_run`, on the run it names.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Step {
    /// `GET /healthz`.
    Health,
    /// `GET /openapi.json`.
    Openapi,
    /// `GET /v1/admin/studio/templates`.
    Templates,
    /// `POST /v1/admin/studio/runs`.
    Launch(LaunchStep),
    /// `POST .../runs/{run_id}/execute` (answers `scheduled`; the tick runs asynchronously).
    Execute,
    /// Poll `GET .../session-state` until every session settles or the timeout passes.
    Watch(#[serde(default)] WatchStep),
    /// `GET .../runs/{run_id}`.
    GetRun,
    /// `GET .../session-state` once.
    SessionState,
    /// `GET .../reports`.
    Reports,
    /// `GET .../handoff-trail`.
    HandoffTrail,
    /// `POST .../control` with a run control command.
    Control { command: String },
    /// `POST .../replay`.
    Replay,
    /// `POST .../cleanup`.
    Cleanup,
    /// Do nothing for a while.
    Wait { duration: SimDuration },
    /// `GET .../runs/{from_run}`: read a prior run's `project_slug`, and launch
    /// with it (`docs/seeds.md`, runbook: "Confirm the slug from a prior run's project_slug before launching").
    ConfirmSlug { from_run: String },
    /// Chat with the platform agent through the platform's A2A proxy
    /// (`POST /workspaces/{id}/a2a`, JSON-RPC `message/send`, as `chat_with_agent`
    /// sends it for a canvas user). Needs `world.platform_agent`.
    ChatWithAgent(ChatStep),
    /// Open SSH access to the first sandbox Daytona lists (`GET /api/sandbox`, then
    /// `POST /api/sandbox/{id}/ssh-access`, as the dashboard does) and try its `sshCommand`.
    SshAccess,
    /// A raw request through the operator's client (its claim headers, its
    /// timeout), e.g. the runbook's `/v1/studio` that 404s; its status and body
    /// are kept in the outcome. `{run_id}` in the path is the launched run.
    Request(RequestStep),
    /// The steps of `steps`, acting on the labelled run `run` alone.
    OnRun(OnRun),
    /// `GET` the A2A routes (`/a2a`, `/message`, `/.well-known/agent.json`,
    /// `/openapi.json`) on the port the platform agent's container serves.
    /// Needs `world.platform_agent`.
    ProbeAgent,
}

/// A chat message to the platform agent.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatStep {
    pub message: String,
    /// The operator client's timeout; no answer by then is HTTP 000.
    #[serde(default = "default_launch_timeout")]
    pub timeout: SimDuration,
}

/// A raw request to the Studio API: what the operator would type with curl.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestStep {
    #[serde(default)]
    pub method: RequestMethod,
    /// From the root, without a query (`/v1/studio/templates`); `{run_id}` is
    /// replaced by the launched run's id.
    pub path: String,
    /// The query parameters, sent in name order, percent-encoded; none: no query.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    /// Headers sent besides the operator's claim headers (a header of the same name replaces the claim).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// A JSON body (sent with `content-type: application/json`); none: no body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// The operator client's timeout; no answer by then is HTTP 000.
    #[serde(default = "default_launch_timeout")]
    pub timeout: SimDuration,
}

/// The placeholder in a request's path for the launched run's id.
pub const RUN_ID_PLACEHOLDER: &str = "{run_id}";

impl Step {
    /// The step's key in the YAML (`launch`, `watch`, ...).
    pub fn kind(&self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(kind)) => kind,
            Ok(serde_json::Value::Object(map)) => map.keys().next().cloned().unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// The steps inside this one (an `on_run`'s), none for any other.
    pub fn nested(&self) -> &[Step] {
        match self {
            Step::OnRun(on) => &on.steps,
            _ => &[],
        }
    }
}

impl RequestStep {
    /// Whether the path names the launched run.
    pub fn needs_run(&self) -> bool {
        self.path.contains(RUN_ID_PLACEHOLDER)
    }
}

/// The methods a `request` step may use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum RequestMethod {
    #[default]
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl RequestMethod {
    /// The method as HTTP spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestMethod::Get => "GET",
            RequestMethod::Post => "POST",
            RequestMethod::Put => "PUT",
            RequestMethod::Patch => "PATCH",
            RequestMethod::Delete => "DELETE",
        }
    }
}
