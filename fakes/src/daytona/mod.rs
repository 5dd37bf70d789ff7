//! Daytona, the execution plane: sandboxes (execution workspaces) and the toolbox
//! that runs processes inside them.
//!
//! Paths, fields, states and error shapes follow the public Daytona API as its SDK
//! sends and reads them (see `docs/wire-facts.md`, Daytona): the REST API under `/api`
//! with `Authorization: Bearer <api key>`, and the toolbox under
//! `{toolboxProxyUrl}/{sandboxId}/process/...`. What a process inside a sandbox
//! does is supplied by a [`ProcessLauncher`]; the fake knows nothing of what runs.
//!
//! Under the sandboxes sits the storage plane ([`longhorn`]): a sandbox reaches
//! `started` only once its workspace volume attaches, and a degraded plane keeps
//! it `creating` with the Kubernetes events that say why. For diagnosis the fake
//! also answers the read-only Kubernetes paths a `kubectl` would use
//! (`kube_api`: nodes, Longhorn volumes and nodes, the pods and their events).
//! Daytona's own core pods (`core_pods`: API, proxy, runner) run beside the
//! sandbox pods; one that is not Running stops what it serves.
//!
//! Workspace logs: the Daytona API has no sandbox-wide log endpoint for what
//! processes print (its `build-logs` are image builds); the toolbox's
//! per-command logs are the workspace logs. `GET {toolbox}/{id}/process/session`
//! lists a sandbox's sessions and their commands, and
//! `.../session/{sid}/command/{cid}/logs` returns what each printed.
//!
//! The toolbox also serves each sandbox's files and Git checkouts
//! (`workspace_fs`: `/files/...`, `/git/...`), with folder modes enforced on writes.

mod core_pods;
mod files_api;
mod host_exec;
mod kube_api;
pub mod longhorn;
mod process;
mod sandbox;
mod shell;
mod ssh;
mod toolbox;
mod volumes;
mod workspace_fs;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::clock::{iso8601_millis, Clock};
use crate::framework_error::{self, Rejection};
use crate::ids::IdGen;

pub use core_pods::{CorePod, CorePodStatus, PodTrouble};
pub use host_exec::HostExec;
pub use longhorn::{Event, Node, Robustness, StorageConfig, Volume, VolumeState};
pub use process::{EchoShell, ProcessLauncher, ProcessOutput, ProcessSpec};

/// The exit code of a process killed by SIGKILL (128 + 9), as a shell reports it.
pub const KILLED_EXIT_CODE: i32 = 137;
pub use sandbox::{Sandbox, SandboxState};
use ssh::SshGrant;
pub use volumes::{SharedVolume, SharedVolumeState};

/// How the fake is set up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaytonaConfig {
    /// The API key clients must present as `Authorization: Bearer …`.
    pub api_key: String,
    /// Base URL clients reach this service at (used in `toolboxProxyUrl`).
    pub public_url: String,
    pub organization_id: String,
    /// How long a sandbox takes from `creating`/`starting` to its first volume attach attempt, in seconds.
    pub start_seconds: u64,
    /// Seeds every token and volume name this fake hands out.
    pub seed: u64,
    /// The region's `sshGatewayUrl` (`host:port`) SSH commands are built from.
    pub ssh_gateway_url: String,
    /// The Longhorn storage plane under the sandboxes.
    pub storage: StorageConfig,
    /// How many live Daytona volumes the organization may have (`volumeQuota`).
    pub volume_quota: u32,
    /// Daytona's core pods that are not Running, and how (see `core_pods`); the others run.
    pub core_pods_down: BTreeMap<CorePod, PodTrouble>,
}

impl Default for DaytonaConfig {
    fn default() -> Self {
        DaytonaConfig {
            api_key: "dtn_squadsim_api_key".to_string(),
            public_url: "http://daytona:3000".to_string(),
            organization_id: "org-yamon".to_string(),
            start_seconds: 2,
            seed: 1,
            ssh_gateway_url: "daytona-ssh.yamon.io:2222".to_string(),
            storage: StorageConfig::default(),
            volume_quota: 100,
            core_pods_down: BTreeMap::new(),
        }
    }
}

struct DaytonaState {
    sandboxes: sandbox::Sandboxes,
    next_sandbox: u64,
    sessions: BTreeMap<(String, String), toolbox::Session>,
    next_command: u64,
    /// Each sandbox's files and Git checkouts.
    file_systems: BTreeMap<String, workspace_fs::SandboxFs>,
    storage: longhorn::Storage,
    /// Bumped by every start, so only the latest start's attach loop acts.
    start_generation: BTreeMap<String, u64>,
    ssh: BTreeMap<String, SshGrant>,
    ids: IdGen,
    /// Daytona volumes (`/api/volumes`), by id (ids grow with creation order).
    volumes: BTreeMap<String, SharedVolume>,
    next_volume: u64,
}

/// The Daytona fake.
pub struct Daytona {
    config: DaytonaConfig,
    clock: Arc<dyn Clock>,
    launcher: Arc<dyn ProcessLauncher>,
    state: Mutex<DaytonaState>,
    /// Set by [`Daytona::execute_on_host`]: toolbox commands run for real on this machine.
    host_exec: std::sync::OnceLock<HostExec>,
    /// Daytona's own core pods, as configured (they do not change during a run).
    core_pods: Vec<CorePodStatus>,
    /// Each sandbox's `env` as its document writes it, by sandbox id, written
    /// once ([`sandbox::sandbox_json`]): a sandbox's `env` never changes.
    env_docs: Mutex<BTreeMap<String, sandbox::EnvDoc>>,
}

impl Daytona {
    pub fn new(config: DaytonaConfig, launcher: Arc<dyn ProcessLauncher>, clock: Arc<dyn Clock>) -> Arc<Self> {
        let now = iso8601_millis(clock.now_unix());
        let core_pods = core_pods::core_pods(&config.core_pods_down, config.seed, &now);
        let mut storage = longhorn::Storage::new(config.storage.clone(), config.seed, &now);
        for pod in &core_pods {
            if let Some((reason, message)) = pod.warning() {
                storage.record(&pod.name, "Warning", reason, &message, "kubelet", &now);
            }
        }
        let state = DaytonaState {
            sandboxes: sandbox::Sandboxes::default(),
            next_sandbox: 0,
            sessions: BTreeMap::new(),
            next_command: 0,
            file_systems: BTreeMap::new(),
            storage,
            start_generation: BTreeMap::new(),
            ssh: BTreeMap::new(),
            ids: IdGen::derive(config.seed, "daytona-ssh"),
            volumes: BTreeMap::new(),
            next_volume: 0,
        };
        let host_exec = std::sync::OnceLock::new();
        Arc::new(Daytona {
            config,
            clock,
            launcher,
            state: Mutex::new(state),
            host_exec,
            core_pods,
            env_docs: Mutex::new(BTreeMap::new()),
        })
    }

    /// From now on, EXECUTES every toolbox command (`process/execute` and session
    /// commands) FOR REAL on this machine, as the serving user, each sandbox in
    /// its own directory under `exec` ([`HostExec`]): `squadsim serve
    /// --sandbox-exec local`. Never used by the simulation. A second call changes nothing.
    pub fn execute_on_host(&self, exec: HostExec) {
        let _ = self.host_exec.set(exec);
    }

    /// Now, as the API prints timestamps.
    fn now(&self) -> String {
        iso8601_millis(self.clock.now_unix())
    }

    fn state(&self) -> MutexGuard<'_, DaytonaState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn config(&self) -> &DaytonaConfig {
        &self.config
    }

    /// Every sandbox, by id.
    pub fn sandboxes(&self) -> Vec<Sandbox> {
        self.state().sandboxes.values().cloned().collect()
    }

    /// Every Daytona volume (`/api/volumes`), by id.
    pub fn shared_volumes(&self) -> Vec<SharedVolume> {
        self.state().volumes.values().cloned().collect()
    }

    /// Every Longhorn volume, by name.
    pub fn volumes(&self) -> Vec<Volume> {
        self.state().storage.volumes()
    }

    /// Every Kubernetes event of the sandbox pods, in the order first recorded.
    pub fn events(&self) -> Vec<Event> {
        self.state().storage.events().to_vec()
    }

    /// The sandbox pool's Kubernetes nodes, in the configured order.
    pub fn nodes(&self) -> Vec<Node> {
        self.state().storage.nodes().to_vec()
    }

    /// Daytona's own core pods (`-n daytona`), in [`CorePod::ALL`]'s order.
    pub fn core_pods(&self) -> &[CorePodStatus] {
        &self.core_pods
    }

    /// Whether the core pod `pod` is Running.
    pub(crate) fn core_pod_running(&self, pod: CorePod) -> bool {
        self.core_pods.iter().any(|p| p.pod == pod && p.running())
    }

    /// Whether a new volume's replicas could be scheduled now: the orphaned
    /// (faulted/unknown, detached, no workload) volumes' reservations are within
    /// the disks' headroom (see [`longhorn`]'s budget rule).
    pub fn new_volumes_schedule(&self) -> bool {
        self.state().storage.can_schedule()
    }

    /// What every process of a sandbox printed, in command order (the workspace logs).
    pub fn workspace_logs(&self, sandbox_id: &str) -> String {
        let state = self.state();
        state
            .sessions
            .iter()
            .filter(|((sb, _), _)| sb == sandbox_id)
            .flat_map(|(_, s)| s.commands.values().map(|c| c.output.text()))
            .collect::<Vec<_>>()
            .join("")
    }

    /// A (re)start of Daytona's host. The processes its sandboxes ran were tasks of
    /// the incarnation that crashed and died with it, as a sandbox's processes die
    /// with a crashed runner: each command that had not exited now reads as killed
    /// (exit code [`KILLED_EXIT_CODE`], what a shell reports for SIGKILL), so whoever
    /// reads it sees it ended instead of waiting on it forever. Returns how many it
    /// marked (none at the first start).
    pub fn restarted(&self) -> usize {
        let state = self.state();
        let running =
            state.sessions.values().flat_map(|s| s.commands.values()).filter(|c| c.output.exit_code().is_none());
        running.map(|c| c.output.exit(KILLED_EXIT_CODE)).count()
    }

    /// The content of a file in a sandbox, if it exists.
    pub fn file(&self, sandbox_id: &str, path: &str) -> Option<Vec<u8>> {
        self.state().file_systems.get(sandbox_id).and_then(|fs| fs.file(path))
    }

    fn start_delay(&self) -> Duration {
        Duration::from_secs(self.config.start_seconds)
    }

    pub fn router(self: &Arc<Self>) -> Router {
        let router = Router::new()
            .route("/api/users/me", get(sandbox::users_me))
            .route("/api/sandbox", get(sandbox::list).post(sandbox::create))
            .route("/api/sandbox/{id}", get(sandbox::get_one).delete(sandbox::destroy))
            .route("/api/sandbox/{id}/start", post(sandbox::start))
            .route("/api/sandbox/{id}/stop", post(sandbox::stop))
            .route("/api/sandbox/{id}/toolbox-proxy-url", get(sandbox::toolbox_proxy_url))
            .route("/api/sandbox/{id}/ssh-access", post(ssh::create).delete(ssh::revoke))
            .route("/api/sandbox/ssh-access/validate", get(ssh::validate))
            .route("/api/volumes", get(volumes::list).post(volumes::create))
            .route("/api/volumes/by-name/{name}", get(volumes::by_name))
            .route("/api/volumes/{id}", get(volumes::get_one).delete(volumes::destroy))
            .route("/apis/longhorn.io/v1beta2/namespaces/{ns}/volumes", get(kube_api::list_volumes))
            .route("/apis/longhorn.io/v1beta2/namespaces/{ns}/volumes/{name}", get(kube_api::get_volume))
            .route("/api/v1/namespaces/{ns}/events", get(kube_api::list_events))
            .route("/api/v1/nodes", get(kube_api::list_nodes))
            .route("/api/v1/namespaces/{ns}/pods", get(kube_api::list_pods))
            .route("/apis/longhorn.io/v1beta2/namespaces/{ns}/nodes", get(kube_api::list_longhorn_nodes))
            .route("/toolbox/{id}/process/execute", post(toolbox::execute))
            .route("/toolbox/{id}/process/session", get(toolbox::list_sessions).post(toolbox::create_session))
            .route("/toolbox/{id}/process/session/{sid}", get(toolbox::get_session).delete(toolbox::delete_session))
            .route("/toolbox/{id}/process/session/{sid}/exec", post(toolbox::session_exec))
            .route("/toolbox/{id}/process/session/{sid}/command/{cid}", get(toolbox::get_command))
            .route("/toolbox/{id}/process/session/{sid}/command/{cid}/logs", get(toolbox::command_logs))
            .route("/toolbox/{id}/files", get(workspace_fs::list_files).delete(files_api::delete))
            .route("/toolbox/{id}/files/download", get(workspace_fs::download))
            .route("/toolbox/{id}/files/upload", post(workspace_fs::upload))
            .route("/toolbox/{id}/files/bulk-upload", post(files_api::bulk_upload))
            .route("/toolbox/{id}/files/bulk-download", post(files_api::bulk_download))
            .route("/toolbox/{id}/files/info", get(files_api::info))
            .route("/toolbox/{id}/files/move", post(files_api::move_files))
            .route("/toolbox/{id}/files/find", get(files_api::find))
            .route("/toolbox/{id}/files/search", get(files_api::search))
            .route("/toolbox/{id}/files/replace", post(files_api::replace))
            .route("/toolbox/{id}/files/folder", post(workspace_fs::create_folder))
            .route("/toolbox/{id}/files/permissions", post(workspace_fs::set_permissions))
            .route("/toolbox/{id}/git/clone", post(workspace_fs::clone))
            .route("/toolbox/{id}/git/status", get(workspace_fs::status))
            .route("/toolbox/{id}/git/add", post(workspace_fs::add))
            .route("/toolbox/{id}/git/commit", post(workspace_fs::commit))
            .route("/toolbox/{id}/git/branches", get(workspace_fs::list_branches).post(workspace_fs::create_branch))
            .route("/toolbox/{id}/git/checkout", post(workspace_fs::checkout))
            .route("/api/health", get(|| async { Json(json!({"status": "ok"})) }))
            .route("/api/{*rest}", delete(not_found).get(not_found).post(not_found).put(not_found))
            .fallback(not_found);
        let d = self.clone();
        // The ingress sits in front of the API's own error shaping: its 503 is Traefik's, not NestJS's.
        framework_error::reshape_rejections(router, move |rejection| d.nest_error_shape(rejection))
            .layer(axum::middleware::from_fn_with_state(self.clone(), core_pods::ingress))
            .with_state(self.clone())
    }

    /// Whether `headers` carry `Authorization: Bearer <api key>`.
    fn presents_api_key(&self, headers: &HeaderMap) -> bool {
        let presented = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        presented == Some(self.config.api_key.as_str())
    }
}

/// A Daytona API call that presented the API key (Daytona's 401 "Invalid
/// credentials" otherwise, before the handler runs); `path` is the request's, for
/// error bodies.
pub(super) struct Authorized {
    pub(super) d: Arc<Daytona>,
    pub(super) path: String,
}

impl axum::extract::FromRequestParts<Arc<Daytona>> for Authorized {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, d: &Arc<Daytona>) -> Result<Self, Response> {
        let path = parts.uri.path().to_string();
        if !d.presents_api_key(&parts.headers) {
            return Err(d.error(&path, StatusCode::UNAUTHORIZED, "Invalid credentials"));
        }
        Ok(Authorized { d: d.clone(), path })
    }
}

async fn not_found(
    axum::extract::State(d): axum::extract::State<Arc<Daytona>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> Response {
    d.error(uri.path(), StatusCode::NOT_FOUND, &format!("Cannot {method} {}", uri.path()))
}

impl Daytona {
    /// axum's own refusals (a body over the size limit, a method a path does not
    /// take) in the shape NestJS gives them: a 413 `{path, timestamp, statusCode,
    /// error, message}`, and for a wrong method Express's 404 `Cannot {METHOD}
    /// {path}` (it has no 405).
    fn nest_error_shape(&self, Rejection { status, method, path, .. }: Rejection) -> Response {
        match status {
            StatusCode::METHOD_NOT_ALLOWED => {
                self.error(&path, StatusCode::NOT_FOUND, &format!("Cannot {method} {path}"))
            }
            StatusCode::PAYLOAD_TOO_LARGE => self.error(&path, status, "request entity too large"),
            _ => self.error(&path, status, status.canonical_reason().unwrap_or("Error")),
        }
    }

    /// An error response stamped with this fake's clock.
    pub(crate) fn error(&self, path: &str, status: StatusCode, message: &str) -> Response {
        api_error(&self.now(), path, status, message)
    }
}

/// Daytona's error body: `{path, timestamp, statusCode, error, message}`.
fn api_error(timestamp: &str, path: &str, status: StatusCode, message: &str) -> Response {
    let body = json!({
        "path": path,
        "timestamp": timestamp,
        "statusCode": status.as_u16(),
        "error": status.canonical_reason().unwrap_or("Error"),
        "message": message,
    });
    (status, Json(body)).into_response()
}
