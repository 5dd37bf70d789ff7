//! The platform (workspace server) of a tenant, the subset seed 003 exercises:
//! workspace rows, per-workspace tokens, the platform-agent install, agent
//! registration and inbound A2A delivery. Paths follow molecule-core's router
//! (`POST /workspaces`, `GET /workspaces/{id}`, `POST /registry/register`,
//! `POST /workspaces/{id}/a2a`) and the RCA (`POST /admin/workspaces/{id}/tokens`,
//! `POST /admin/org/platform-agent`); errors are gin's `{"error": ...}`.
//!
//! Guarantees:
//! - admin routes take only `Authorization: Bearer <org admin token>` (401 otherwise);
//! - registration authenticates as the workspace: the bearer must be a live
//!   token minted for that workspace id (the org admin token is refused, 401);
//! - a registered agent gets `delivery_mode=push` only when its advertised URL
//!   answers the A2A agent card route at registration; otherwise `poll`;
//! - inbound A2A to a push workspace is forwarded synchronously and its answer
//!   returned; to any other workspace it is queued (`delivery_mode=poll`) and
//!   stays queued until something drains it (this platform pushes nothing later);
//! - the runtime label reads `COALESCE(runtime, 'langgraph')`, as the platform's query does.

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

/// How inbound messages reach a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMode {
    /// Forwarded synchronously to the agent's A2A server.
    Push,
    /// Queued for the agent to poll.
    Poll,
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

#[derive(Default)]
struct ServerState {
    rows: BTreeMap<String, WorkspaceRow>,
    /// Live workspace tokens: token -> workspace id.
    tokens: BTreeMap<String, String>,
    queue: Vec<QueuedMessage>,
    log: Vec<String>,
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
    /// The server, calling agents with `http` (its timeout bounds the registration's agent-card probe).
    pub fn new(admin_token: String, seed: u64, http: HttpClient) -> Arc<Self> {
        Arc::new(WorkspaceServer {
            admin_token,
            http,
            ids: Mutex::new(IdGen::derive(seed, "workspace-tokens")),
            state: Mutex::new(ServerState::default()),
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
            .route("/workspaces", post(create_workspace))
            .route("/workspaces/{id}", get(get_workspace))
            .route("/workspaces/{id}/a2a", post(proxy_a2a))
            .route("/admin/workspaces/{id}/tokens", post(mint_token))
            .route("/admin/org/platform-agent", post(install_platform_agent))
            .route("/registry/register", post(register))
            .with_state(self.clone())
    }

    /// One workspace row.
    pub fn row(&self, id: &str) -> Option<WorkspaceRow> {
        self.state().rows.get(id).cloned()
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
    {
        let mut state = s.state();
        let row = state.rows.entry(id.clone()).or_insert_with(|| WorkspaceRow::fresh(&id, "platform"));
        row.kind = "platform".into();
        row.parent_id = None;
        if let Some(label) = text_field(&v, "runtime") {
            row.runtime_column = Some(label);
        }
    }
    s.log(format!("POST /admin/org/platform-agent 200 (row {id} upserted kind=platform, parent_id=NULL)"));
    Json(json!({"kind": "platform", "status": "installed"})).into_response()
}

async fn register(State(s): State<Arc<WorkspaceServer>>, headers: HeaderMap, body: Bytes) -> Response {
    let v = body_json(&body);
    let (Some(id), Some(url)) = (text_field(&v, "id"), text_field(&v, "url")) else {
        return error(StatusCode::BAD_REQUEST, "invalid request body");
    };
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
    let mode_text = serde_json::to_value(mode).ok().and_then(|m| m.as_str().map(String::from)).unwrap_or_default();
    s.log(format!("POST /registry/register 200 (workspace {id} at {url}; {probe_text}; delivery_mode={mode_text})"));
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
