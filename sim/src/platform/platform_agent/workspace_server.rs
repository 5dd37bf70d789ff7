//! The platform (workspace server) of a tenant, the subset seed 003 exercises:
//! workspace rows, per-workspace tokens, the platform-agent install, agent
//! registration and inbound A2A delivery. Paths follow molecule-core's router
//! (`POST /workspaces`, `GET /workspaces/{id}`, `POST /registry/register`,
//! `POST /workspaces/{id}/a2a`) and the RCA (`POST /admin/workspaces/{id}/tokens`,
//! `POST /admin/org/platform-agent`); errors are gin's `{"error": ...}`.
//!
//! Guarantees:
//! - admin routes (`GET /workspaces` among them) take only `Authorization:
//!   Bearer <org admin token>` (401 otherwise: with `ADMIN_TOKEN` set,
//!   molecule-core's AdminAuth refuses workspace tokens);
//! - registration authenticates as the workspace: the bearer must be a live
//!   token minted for that workspace id (the org admin token is refused, 401);
//! - a registered agent gets `delivery_mode=push` only when its advertised URL
//!   answers the A2A agent card route at registration; otherwise `poll`; a
//!   registration with no URL must say `delivery_mode: poll` (400 otherwise)
//!   and keeps the URL, delivery mode and name already on file (molecule-mcp's);
//! - inbound A2A to a push workspace is forwarded synchronously and its answer
//!   returned; to any other workspace it is queued (`delivery_mode=poll`) and
//!   stays queued until something drains it (this platform pushes nothing later);
//! - the runtime label reads `COALESCE(runtime, 'langgraph')`, as the platform's query does;
//! - the platform-agent install upserts the platform row (`kind='platform'`,
//!   `parent_id=NULL`), re-parents every other live root under it, and migrates
//!   the org tables (`org_api_tokens`, `org_plugin_allowlist`) onto it, however
//!   many rows they hold (0 included: the code path runs); it answers
//!   `{"kind":"platform","status":"installed"}` and remembers what it changed;
//! - its rollback (`DELETE /admin/org/platform-agent`, model-defined: no public
//!   route is named) restores the roots it re-parented, migrates the tables
//!   back and removes the platform row; with no install to undo it is 404.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde::Serialize;
use serde_json::{json, Value};
use squadsim_fakes::ids::IdGen;
use squadsim_fakes::net::{HttpClient, HttpRequest};

use crate::base::clock::seconds_label;
use crate::scenario::OrgCondition;

/// How inbound messages reach a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMode {
    /// Forwarded synchronously to the agent's A2A server.
    Push,
    /// Queued for the agent to poll.
    Poll,
}

impl DeliveryMode {
    /// Its name on the wire (`push`, `poll`).
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryMode::Push => "push",
            DeliveryMode::Poll => "poll",
        }
    }
}

/// A workspace row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkspaceRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// `workspaces.runtime`; `None` reads as `langgraph`.
    pub runtime_column: Option<String>,
    pub parent_id: Option<String>,
    pub status: String,
    pub url: Option<String>,
    pub delivery_mode: Option<DeliveryMode>,
}

impl WorkspaceRow {
    /// A row as first written: named by its id, no runtime, not yet registered.
    fn fresh(id: &str, kind: &str) -> Self {
        WorkspaceRow {
            id: id.to_string(),
            name: id.to_string(),
            kind: kind.to_string(),
            runtime_column: None,
            parent_id: None,
            status: "provisioning".into(),
            url: None,
            delivery_mode: None,
        }
    }

    /// The runtime label the platform shows: `COALESCE(runtime, 'langgraph')`.
    pub fn runtime_label(&self) -> String {
        self.runtime_column.clone().unwrap_or_else(|| "langgraph".to_string())
    }

    fn json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "kind": self.kind, "runtime": self.runtime_label(),
            "parent_id": self.parent_id, "status": self.status, "url": self.url,
            "delivery_mode": self.delivery_mode,
        })
    }
}

/// An inbound message waiting in `a2a_queue`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueuedMessage {
    pub workspace_id: String,
    pub method: String,
    pub status: String,
}

/// Rows of an org-level table the platform-agent install migrates onto the platform agent.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OrgTable {
    name: &'static str,
    rows: u32,
    /// The platform agent the rows were migrated onto, once the install ran.
    migrated_to: Option<String>,
}

/// What one install did to the org (the rollback's undo list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Install {
    pub platform_agent: String,
    /// The roots it re-parented under the platform agent (ids, in row order).
    pub reparented: Vec<String>,
    /// `table: rows` for each table it migrated.
    pub migrated: Vec<String>,
}

#[derive(Default)]
struct ServerState {
    rows: BTreeMap<String, WorkspaceRow>,
    /// Live workspace tokens: token -> workspace id.
    tokens: BTreeMap<String, String>,
    queue: Vec<QueuedMessage>,
    tables: Vec<OrgTable>,
    install: Option<Install>,
    /// The roots the rollback of the last install restored, by name.
    rolled_back: Option<Vec<String>>,
    log: Vec<String>,
}

impl ServerState {
    /// The names of the live rows with no parent (the org's roots), sorted.
    fn roots(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .rows
            .values()
            .filter(|r| r.parent_id.is_none() && r.status != "removed")
            .map(|r| r.name.clone())
            .collect();
        names.sort();
        names
    }
}

/// The workspace server.
pub struct WorkspaceServer {
    admin_token: String,
    http: HttpClient,
    ids: Mutex<IdGen>,
    state: Mutex<ServerState>,
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
}

impl WorkspaceServer {
    /// The server, calling agents with `http` (its timeout bounds the
    /// registration's agent-card probe), holding `org`'s roots (online
    /// workspaces, ids from `seed`) and its org tables' rows.
    pub fn new(admin_token: String, seed: u64, http: HttpClient, org: &OrgCondition) -> Arc<Self> {
        let mut state = ServerState::default();
        for name in &org.roots {
            let id = super::uuid(seed, &format!("org-root:{name}"));
            let row =
                WorkspaceRow { name: name.clone(), status: "online".into(), ..WorkspaceRow::fresh(&id, "workspace") };
            state.rows.insert(id, row);
        }
        state.tables = [("org_api_tokens", org.org_api_tokens), ("org_plugin_allowlist", org.org_plugin_allowlist)]
            .into_iter()
            .map(|(name, rows)| OrgTable { name, rows, migrated_to: None })
            .collect();
        Arc::new(WorkspaceServer {
            admin_token,
            http,
            ids: Mutex::new(IdGen::derive(seed, "workspace-tokens")),
            state: Mutex::new(state),
        })
    }

    fn state(&self) -> MutexGuard<'_, ServerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn log(&self, line: String) {
        let at = seconds_label(turmoil::sim_elapsed().unwrap_or_default());
        self.state().log.push(format!("{at} {line}"));
    }

    fn admin(&self, headers: &HeaderMap) -> Result<(), Response> {
        match bearer(headers) {
            Some(t) if t == self.admin_token => Ok(()),
            _ => Err(error(StatusCode::UNAUTHORIZED, "admin auth required")),
        }
    }

    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
            .route("/workspaces", post(create_workspace).get(list_workspaces))
            .route("/workspaces/{id}", get(get_workspace))
            .route("/workspaces/{id}/a2a", post(proxy_a2a))
            .route("/admin/workspaces/{id}/tokens", post(mint_token))
            .route("/admin/org/platform-agent", post(install_platform_agent).delete(rollback_platform_agent))
            .route("/registry/register", post(register))
            .with_state(self.clone())
    }

    /// One workspace row.
    pub fn row(&self, id: &str) -> Option<WorkspaceRow> {
        self.state().rows.get(id).cloned()
    }

    /// The org's roots now (live rows with no parent), by name, sorted.
    pub fn roots(&self) -> Vec<String> {
        self.state().roots()
    }

    /// The roots the rollback restored, by name, if one ran since the last install.
    pub fn rollback(&self) -> Option<Vec<String>> {
        self.state().rolled_back.clone()
    }

    /// What the platform-agent install did, if it ran.
    pub fn install(&self) -> Option<Install> {
        self.state().install.clone()
    }

    /// Every message still waiting in `a2a_queue`, in arrival order.
    pub fn queue(&self) -> Vec<QueuedMessage> {
        self.state().queue.clone()
    }

    /// What the server logged, in order (`<simulated time> <line>`).
    pub fn log_lines(&self) -> Vec<String> {
        self.state().log.clone()
    }
}

fn body_json(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

fn text_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

async fn create_workspace(State(s): State<Arc<WorkspaceServer>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = s.admin(&headers) {
        return r;
    }
    let v = body_json(&body);
    let Some(id) = text_field(&v, "id") else {
        return error(StatusCode::BAD_REQUEST, "invalid request body");
    };
    let mut row = WorkspaceRow::fresh(&id, text_field(&v, "kind").as_deref().unwrap_or("workspace"));
    row.name = text_field(&v, "name").unwrap_or_else(|| id.clone());
    row.runtime_column = text_field(&v, "runtime");
    s.state().rows.insert(id.clone(), row.clone());
    s.log(format!("POST /workspaces 201 (row {id} pre-seeded, kind={})", row.kind));
    (StatusCode::CREATED, Json(row.json())).into_response()
}

/// `GET /workspaces` (admin): every workspace not removed, in row order.
async fn list_workspaces(State(s): State<Arc<WorkspaceServer>>, headers: HeaderMap) -> Response {
    if let Err(r) = s.admin(&headers) {
        s.log("GET /workspaces 401 (not the org admin token)".into());
        return r;
    }
    let rows: Vec<Value> = s.state().rows.values().filter(|r| r.status != "removed").map(WorkspaceRow::json).collect();
    s.log(format!("GET /workspaces 200 ({} workspaces)", rows.len()));
    Json(rows).into_response()
}

async fn get_workspace(State(s): State<Arc<WorkspaceServer>>, Path(id): Path<String>) -> Response {
    match s.row(&id) {
        Some(row) => Json(row.json()).into_response(),
        None => error(StatusCode::NOT_FOUND, "workspace not found"),
    }
}

async fn mint_token(State(s): State<Arc<WorkspaceServer>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = s.admin(&headers) {
        return r;
    }
    if s.row(&id).is_none() {
        s.log(format!("POST /admin/workspaces/{id}/tokens 404 (no workspace row yet)"));
        return error(StatusCode::NOT_FOUND, "workspace not found");
    }
    let token = s.ids.lock().unwrap_or_else(|p| p.into_inner()).alphanumeric(43);
    s.state().tokens.insert(token.clone(), id.clone());
    s.log(format!("POST /admin/workspaces/{id}/tokens 201 (workspace token minted)"));
    (StatusCode::CREATED, Json(json!({"auth_token": token, "workspace_id": id}))).into_response()
}

async fn install_platform_agent(State(s): State<Arc<WorkspaceServer>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = s.admin(&headers) {
        return r;
    }
    let v = body_json(&body);
    let Some(id) = text_field(&v, "id") else {
        return error(StatusCode::BAD_REQUEST, "invalid request body");
    };
    let install = {
        let mut state = s.state();
        let row = state.rows.entry(id.clone()).or_insert_with(|| WorkspaceRow::fresh(&id, "platform"));
        row.kind = "platform".into();
        row.parent_id = None;
        if let Some(label) = text_field(&v, "runtime") {
            row.runtime_column = Some(label);
        }
        // The org's existing roots go under the platform agent, which becomes the sole root.
        let mut reparented = Vec::new();
        for row in state.rows.values_mut() {
            if row.id != id && row.parent_id.is_none() && row.status != "removed" {
                row.parent_id = Some(id.clone());
                reparented.push(row.id.clone());
            }
        }
        let mut migrated = Vec::new();
        for table in &mut state.tables {
            table.migrated_to = Some(id.clone());
            migrated.push(format!("{}: {} rows", table.name, table.rows));
        }
        let install = Install { platform_agent: id.clone(), reparented, migrated };
        state.install = Some(install.clone());
        state.rolled_back = None;
        install
    };
    s.log(format!(
        "POST /admin/org/platform-agent 200 (row {id} upserted kind=platform, parent_id=NULL; {} roots re-parented under it; migrated {})",
        install.reparented.len(),
        install.migrated.join(", ")
    ));
    Json(json!({"kind": "platform", "status": "installed"})).into_response()
}

/// The rollback's route; model-defined (neither seed 003 nor molecule-core's router names one).
pub const ROLLBACK_ROUTE: &str = "DELETE /admin/org/platform-agent (model-defined)";

/// Undoes the last install (model-defined route): the roots it re-parented that
/// are still under the platform agent are roots again, the org tables are
/// migrated back, and the platform agent's row is removed.
async fn rollback_platform_agent(State(s): State<Arc<WorkspaceServer>>, headers: HeaderMap) -> Response {
    if let Err(r) = s.admin(&headers) {
        return r;
    }
    let restored = {
        let mut state = s.state();
        let install = match (&state.install, &state.rolled_back) {
            (Some(install), None) => install.clone(),
            _ => {
                drop(state);
                s.log("DELETE /admin/org/platform-agent 404 (no platform agent installed)".into());
                return error(StatusCode::NOT_FOUND, "platform agent not installed");
            }
        };
        let mut restored = Vec::new();
        for id in &install.reparented {
            if let Some(row) = state.rows.get_mut(id).filter(|r| r.parent_id.as_ref() == Some(&install.platform_agent))
            {
                row.parent_id = None;
                restored.push(row.name.clone());
            }
        }
        if let Some(row) = state.rows.get_mut(&install.platform_agent) {
            row.status = "removed".into();
        }
        for table in &mut state.tables {
            table.migrated_to = None;
        }
        restored.sort();
        state.rolled_back = Some(restored.clone());
        restored
    };
    s.log(format!(
        "DELETE /admin/org/platform-agent 200 (model-defined route; roots restored: {}; platform agent row removed)",
        restored.join(", ")
    ));
    Json(json!({"kind": "platform", "status": "rolled_back", "restored_roots": restored})).into_response()
}

async fn register(State(s): State<Arc<WorkspaceServer>>, headers: HeaderMap, body: Bytes) -> Response {
    let v = body_json(&body);
    let (Some(id), Some(url)) = (text_field(&v, "id"), text_field(&v, "url")) else {
        return error(StatusCode::BAD_REQUEST, "invalid request body");
    };
    let polls = text_field(&v, "delivery_mode").as_deref() == Some("poll");
    if url.is_empty() && !polls {
        return error(StatusCode::BAD_REQUEST, "url is required");
    }
    let presented = bearer(&headers).map(str::to_string);
    let owns = presented.as_ref().is_some_and(|t| s.state().tokens.get(t) == Some(&id));
    if !owns {
        let what = match presented {
            Some(t) if t == s.admin_token => "the org admin token is not a workspace token",
            Some(_) => "unknown token",
            None => "no token",
        };
        s.log(format!("POST /registry/register 401 (workspace {id}: {what})"));
        return error(StatusCode::UNAUTHORIZED, "invalid workspace auth token");
    }
    if url.is_empty() {
        // A poll-mode registration with no A2A server (molecule-mcp's): the
        // workspace is online; its URL, delivery mode and name stay as on file.
        let mode = {
            let mut state = s.state();
            let row = state.rows.entry(id.clone()).or_insert_with(|| WorkspaceRow::fresh(&id, "workspace"));
            row.status = "online".into();
            *row.delivery_mode.get_or_insert(DeliveryMode::Poll)
        };
        s.log(format!("POST /registry/register 200 (workspace {id}, no URL, poll; delivery_mode={})", mode.as_str()));
        return Json(json!({"status": "registered"})).into_response();
    }
    // Push only to an agent whose advertised A2A server answers.
    let card_url = format!("{}/.well-known/agent.json", url.trim_end_matches('/'));
    let probe = s.http.send(HttpRequest::get(card_url)).await;
    let mode = match &probe {
        Ok(r) if r.status.is_success() => DeliveryMode::Push,
        _ => DeliveryMode::Poll,
    };
    let probe_text = match probe {
        Ok(r) => format!("agent card {}", r.status.as_u16()),
        Err(e) => format!("agent card unreachable: {e}"),
    };
    let card = v.get("agent_card").cloned().unwrap_or(Value::Null);
    {
        let mut state = s.state();
        let row = state.rows.entry(id.clone()).or_insert_with(|| WorkspaceRow::fresh(&id, "workspace"));
        row.url = Some(url.clone());
        row.status = "online".into();
        row.delivery_mode = Some(mode);
        if let Some(name) = text_field(&card, "name") {
            row.name = name;
        }
        if let Some(label) = text_field(&card, "runtime") {
            row.runtime_column = Some(label);
        }
    }
    s.log(format!(
        "POST /registry/register 200 (workspace {id} at {url}; {probe_text}; delivery_mode={})",
        mode.as_str()
    ));
    Json(json!({"status": "registered"})).into_response()
}

async fn proxy_a2a(State(s): State<Arc<WorkspaceServer>>, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(row) = s.row(&id) else {
        return error(StatusCode::NOT_FOUND, "workspace not found");
    };
    let method = text_field(&body_json(&body), "method").unwrap_or_default();
    if let (Some(DeliveryMode::Push), Some(url)) = (row.delivery_mode, &row.url) {
        let request = HttpRequest::post(format!("{}/", url.trim_end_matches('/')))
            .header("content-type", "application/json")
            .header("accept", "application/json");
        let request = HttpRequest { body: body.clone(), ..request };
        let client = s.http.with_timeout(Duration::from_secs(300));
        return match client.send(request).await {
            Ok(r) => {
                s.log(format!("POST /workspaces/{id}/a2a {} (pushed {method} to {url})", r.status.as_u16()));
                let status = StatusCode::from_u16(r.status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
                (status, [("content-type", "application/json")], r.body).into_response()
            }
            Err(e) => {
                s.log(format!("POST /workspaces/{id}/a2a 502 (push to {url} failed: {e})"));
                error(StatusCode::BAD_GATEWAY, "failed to reach workspace agent")
            }
        };
    }
    s.state().queue.push(QueuedMessage { workspace_id: id.clone(), method: method.clone(), status: "queued".into() });
    s.log(format!("POST /workspaces/{id}/a2a 202 ({method} queued, delivery_mode=poll)"));
    (StatusCode::ACCEPTED, Json(json!({"status": "queued", "delivery_mode": "poll"}))).into_response()
}
