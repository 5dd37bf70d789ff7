//! The ContextForge MCP gateway (1.0.x), as the AgentSquad deployment runs it.
//!
//! Federation (the delivery language, `docs/seeds.md`): each grid is registered as a federated
//! gateway named `yamon-<server_id>`; its tools are served under the federated
//! wire name `slug(gateway) + "-" + slug(tool)`; a virtual server per grid bundles
//! them at `/servers/<32 hex>/mcp`, where a bare name is accepted too. Upstream calls
//! use the bare name and carry a spoof-proof `X-Authenticated-User` (the token's
//! subject), overwriting whatever the caller sent.
//!
//! A virtual server scopes what its endpoint reaches (ContextForge 1.0.3,
//! `tool_service._load_invocable_tools` joined on the server's tool association):
//! `tools/list` lists only its tools, and `tools/call` of any other tool, as of an
//! unknown one, fails with `ToolNotFoundError("Tool not found: <name>")`, which the
//! MCP SDK's `call_tool` handler answers as a result with `isError: true` (not a
//! JSON-RPC error). An unknown server id is 404 `{"detail": "Server not found"}`.
//!
//! An upstream `tools/call` is bounded by ContextForge's `TOOL_TIMEOUT` ([`TOOL_TIMEOUT`], its
//! default 60 s; `tool_service` wraps the upstream `session.call_tool` in `anyio.fail_after`):
//! when it fires the gateway raises `ToolTimeoutError("Tool invocation timed out after 60s")`,
//! which the MCP SDK's `call_tool` handler answers as a result with `isError: true` carrying
//! that text (not a JSON-RPC error, not an HTTP error). An upstream slower than 10 s but within
//! the bound is answered normally; one that never accepts the connection (a crashed grid)
//! fails when opening it times out, as the gateway's other upstream calls do.
//!
//! Auth (`docs/wire-facts.md`, ContextForge): HS256 JWT with `iss`, `aud`, required `jti` and
//! `exp`; anything else is 401 `{"detail": …}` with `WWW-Authenticate: Bearer`, and
//! every refusal is written to the gateway log ([`ContextForge::auth_failures`]:
//! the exact count, the latest [`AUTH_LOG_KEEP`] and the distinct reasons, so a
//! flood of refused requests cannot grow the gateway's memory).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::framework_error::{self, Rejection};
use crate::inspection::{clipped, InspectionLog};
use crate::jwt;
use crate::mcp::{self, CallContext, McpClient, McpError, ToolFuture, ToolHost, ToolOutcome, ToolSpec};
use crate::net::{HttpClient, HttpError};

/// ContextForge's `TOOL_TIMEOUT` (`mcpgateway/config.py`: `tool_timeout: int = 60`, seconds):
/// how long the gateway waits for an upstream `tools/call` before answering the caller
/// [`tool_timed_out`]'s text.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(60);

/// The text of the `isError` result the gateway answers when [`TOOL_TIMEOUT`] fires
/// (`ToolTimeoutError(f"Tool invocation timed out after {effective_timeout}s")`, the
/// setting an int of seconds).
pub fn tool_timed_out(bound: Duration) -> String {
    format!("Tool invocation timed out after {}s", bound.as_secs())
}

/// How the gateway checks tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// `JWT_SECRET_KEY`.
    pub jwt_secret: String,
    /// Expected `iss` (default `mcpgateway`).
    pub issuer: String,
    /// Expected `aud` (default `mcpgateway-api`).
    pub audience: String,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            jwt_secret: "contextforge-jwt-secret".to_string(),
            issuer: "mcpgateway".to_string(),
            audience: "mcpgateway-api".to_string(),
        }
    }
}

/// One refusal in the gateway log (its path and reason clipped to
/// [`crate::inspection::MAX_QUOTED_CHARS`] characters).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthFailure {
    pub path: String,
    pub reason: String,
}

/// The refusals the gateway log keeps (the latest), beside the count of all.
pub const AUTH_LOG_KEEP: usize = 1_000;
/// The distinct refusal reasons the gateway log names.
pub const AUTH_REASONS_KEEP: usize = 64;

/// The gateway log of refusals (401s): bounded, with an exact count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthFailureLog {
    /// Every refusal since the gateway started.
    pub total: u64,
    /// The latest refusals, oldest first (at most [`AUTH_LOG_KEEP`]).
    pub recent: Vec<AuthFailure>,
    /// Each distinct reason, in the order first seen (at most [`AUTH_REASONS_KEEP`]).
    pub reasons: Vec<String>,
}

/// A registered federated gateway (one grid).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FederatedGateway {
    pub name: String,
    pub slug: String,
    pub url: String,
    pub tools: Vec<ToolSpec>,
    /// The bearer token sent upstream (`auth_type: bearer`); never shown.
    #[serde(skip)]
    pub auth_token: Option<String>,
}

impl FederatedGateway {
    /// A client for this gateway's upstream, carrying its upstream auth.
    fn client(&self, http: &HttpClient) -> McpClient {
        let client = McpClient::new(http.clone(), self.url.clone());
        match &self.auth_token {
            Some(token) => client.with_header("authorization", format!("Bearer {token}")),
            None => client,
        }
    }
}

/// A virtual server bundling federated tools.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VirtualServer {
    pub id: String,
    pub name: String,
    /// Federated wire names.
    pub tools: Vec<String>,
    /// The ids of `tools`, in their order (derived once, when the server is created).
    pub tool_ids: Vec<String>,
}

/// One tool of the gateway's catalogue: its spec under the federated name, its
/// gateway's slug, its bare upstream name and its id.
#[derive(Debug, Clone)]
struct FederatedTool {
    spec: ToolSpec,
    slug: String,
    bare: String,
    id: String,
}

#[derive(Debug)]
struct GatewayState {
    gateways: BTreeMap<String, FederatedGateway>,
    /// Every federated tool, in gateway-name order: ContextForge keeps its tool
    /// catalogue in its database, written when a gateway registers, not per request.
    catalogue: Arc<Vec<FederatedTool>>,
    servers: BTreeMap<String, VirtualServer>,
    revoked_jtis: BTreeSet<String>,
    auth_failures: InspectionLog<AuthFailure>,
    auth_reasons: Vec<String>,
    tool_calls: u64,
}

impl Default for GatewayState {
    fn default() -> Self {
        GatewayState {
            gateways: BTreeMap::new(),
            catalogue: Arc::default(),
            servers: BTreeMap::new(),
            revoked_jtis: BTreeSet::new(),
            auth_failures: InspectionLog::new(AUTH_LOG_KEEP),
            auth_reasons: Vec::new(),
            tool_calls: 0,
        }
    }
}

/// The gateway.
pub struct ContextForge {
    config: GatewayConfig,
    clock: Arc<dyn Clock>,
    upstream: HttpClient,
    state: Mutex<GatewayState>,
    /// Set by [`ContextForge::keep_sessions`]: the MCP endpoints keep stateful sessions.
    sessions: std::sync::OnceLock<crate::mcp_sessions::McpSessions>,
    /// What each bearer token seen lately read as (its signature checked, its
    /// claims parsed, or why not): a pure function of the token and the secret,
    /// so a token is read once, not on each request it comes with; the checks of
    /// its claims against the clock and the revocations run every time. At most
    /// [`READ_TOKENS_KEEP`] (then emptied). A lookup map never iterated, hashed
    /// with `FxHasher`: it is looked up on every authenticated request, and a
    /// gateway on loopback (conformance) is a local test fake, not exposed.
    read_tokens: Mutex<FxHashMap<String, Result<Arc<GatewayClaims>, String>>>,
}

/// How many read bearer tokens the gateway keeps (about one per agent session).
const READ_TOKENS_KEEP: usize = 4096;

/// 32 hex characters derived from a name: ContextForge ids are opaque 32-hex strings;
/// deriving them keeps them stable across runs.
fn derived_id(kind: &str, name: &str) -> String {
    let digest = Sha256::digest(format!("{kind}:{name}").as_bytes());
    crate::ids::lower_hex(&digest[..16])
}

type Refusal = (StatusCode, String);

/// The claims the gateway checks; any other claim is skipped unread, and a
/// claim of another type reads as absent (as the checks read it).
#[derive(Debug, Deserialize)]
struct GatewayClaims {
    #[serde(default, deserialize_with = "jwt::lenient")]
    iss: Option<String>,
    #[serde(default)]
    aud: Option<Value>,
    #[serde(default, deserialize_with = "jwt::lenient")]
    exp: Option<u64>,
    #[serde(default, deserialize_with = "jwt::lenient")]
    jti: Option<String>,
    #[serde(default, deserialize_with = "jwt::lenient")]
    sub: Option<String>,
}

impl ContextForge {
    pub fn new(config: GatewayConfig, upstream: HttpClient, clock: Arc<dyn Clock>) -> Arc<Self> {
        let sessions = std::sync::OnceLock::new();
        let state = Mutex::new(GatewayState::default());
        Arc::new(ContextForge { config, clock, upstream, state, sessions, read_tokens: Mutex::default() })
    }

    /// Makes the MCP endpoints (`/mcp`, `/servers/<id>/mcp`) keep stateful
    /// sessions, as ContextForge does with `USE_STATEFUL_SESSIONS=true`
    /// ([`crate::mcp_sessions`]); session ids are drawn from `seed`. Without
    /// it they stay stateless (ContextForge's default). A second call changes nothing.
    pub fn keep_sessions(&self, seed: u64) {
        let _ = self.sessions.set(crate::mcp_sessions::McpSessions::new(seed));
    }

    /// How many stateful MCP sessions are open (0 when sessions are not kept).
    pub fn open_sessions(&self) -> usize {
        self.sessions.get().map_or(0, crate::mcp_sessions::McpSessions::open)
    }

    fn state(&self) -> MutexGuard<'_, GatewayState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Mints a token this gateway accepts (what the backend does with the shared secret).
    pub fn mint_token(config: &GatewayConfig, subject: &str, jti: &str, issued_at: u64, ttl_seconds: u64) -> String {
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(subject));
        claims.insert("iss".into(), json!(config.issuer));
        claims.insert("aud".into(), json!(config.audience));
        claims.insert("jti".into(), json!(jti));
        claims.insert("iat".into(), json!(issued_at));
        claims.insert("exp".into(), json!(issued_at + ttl_seconds));
        jwt::mint(config.jwt_secret.as_bytes(), &claims)
    }

    /// The gateway log of refusals: how many, the latest, and their reasons.
    pub fn auth_failures(&self) -> AuthFailureLog {
        let state = self.state();
        AuthFailureLog {
            total: state.auth_failures.total(),
            recent: state.auth_failures.recent().cloned().collect(),
            reasons: state.auth_reasons.clone(),
        }
    }

    /// How many requests the gateway refused (401) since it started.
    pub fn auth_failure_count(&self) -> u64 {
        self.state().auth_failures.total()
    }

    /// How many `tools/call` were forwarded upstream.
    pub fn tool_calls(&self) -> u64 {
        self.state().tool_calls
    }

    pub fn gateways(&self) -> Vec<FederatedGateway> {
        self.state().gateways.values().cloned().collect()
    }

    /// The virtual servers, by id.
    pub fn servers(&self) -> Vec<VirtualServer> {
        self.state().servers.values().cloned().collect()
    }

    pub fn revoke(&self, jti: &str) {
        self.state().revoked_jtis.insert(jti.to_string());
    }

    /// Checks a bearer token; returns the subject.
    fn authenticate(&self, path: &str, headers: &HeaderMap) -> Result<String, Refusal> {
        let result = self.check_token(headers);
        if let Err(reason) = &result {
            let failure = AuthFailure { path: clipped(path), reason: clipped(reason) };
            let mut state = self.state();
            if state.auth_reasons.len() < AUTH_REASONS_KEEP && !state.auth_reasons.contains(&failure.reason) {
                state.auth_reasons.push(failure.reason.clone());
            }
            state.auth_failures.push(failure);
        }
        result.map_err(|reason| (StatusCode::UNAUTHORIZED, reason))
    }

    /// The subject of the bearer token in `headers` when the gateway accepts it
    /// (what it knows of the caller), without writing a refusal to its log.
    pub fn caller(&self, headers: &HeaderMap) -> Option<String> {
        self.check_token(headers).ok()
    }

    fn check_token(&self, headers: &HeaderMap) -> Result<String, String> {
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let Some(token) = auth.strip_prefix("Bearer ").or_else(|| auth.strip_prefix("bearer ")) else {
            return Err("Not authenticated".to_string());
        };
        let claims = self.read_token(token.trim())?;
        if claims.iss.as_deref() != Some(self.config.issuer.as_str()) {
            return Err("Invalid token: invalid issuer".to_string());
        }
        let aud_ok = match &claims.aud {
            Some(Value::String(a)) => a == &self.config.audience,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(self.config.audience.as_str())),
            _ => false,
        };
        if !aud_ok {
            return Err("Invalid token: invalid audience".to_string());
        }
        let Some(exp) = claims.exp else {
            return Err("Invalid token: missing required claim exp".to_string());
        };
        if exp <= self.clock.now_unix() {
            return Err("Token has expired".to_string());
        }
        let Some(jti) = &claims.jti else {
            return Err("Invalid token: missing required claim jti".to_string());
        };
        if self.state().revoked_jtis.contains(jti) {
            return Err("Token has been revoked".to_string());
        }
        claims.sub.clone().ok_or_else(|| "Invalid token: missing subject".to_string())
    }

    /// `token`'s claims once its signature holds, or why it does not ([`jwt::verify_as`]), read once.
    fn read_token(&self, token: &str) -> Result<Arc<GatewayClaims>, String> {
        let mut read = self.read_tokens.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(known) = read.get(token) {
            return known.clone();
        }
        let claims = jwt::verify_as(self.config.jwt_secret.as_bytes(), token).map(Arc::new).map_err(|e| e.to_string());
        if read.len() >= READ_TOKENS_KEEP {
            read.clear();
        }
        read.insert(token.to_string(), claims.clone());
        claims
    }

    /// Registers a grid: initializes it over MCP and lists its tools.
    /// `auth_token` is sent upstream as `Authorization: Bearer` (ContextForge's `auth_type: bearer`).
    async fn register_gateway(
        &self,
        name: &str,
        url: &str,
        auth_token: Option<String>,
    ) -> Result<FederatedGateway, Refusal> {
        if self.state().gateways.contains_key(name) {
            return Err((StatusCode::CONFLICT, format!("Gateway already exists with name: {name}")));
        }
        let mut gateway = FederatedGateway {
            name: name.to_string(),
            slug: squadsim_slug(name),
            url: url.to_string(),
            tools: Vec::new(),
            auth_token,
        };
        let mut client = gateway.client(&self.upstream);
        let unreachable =
            |e: mcp::McpError| (StatusCode::BAD_GATEWAY, format!("Failed to initialize gateway at {url}: {e}"));
        client.initialize("mcpgateway").await.map_err(unreachable)?;
        gateway.tools = client.list_tools().await.map_err(unreachable)?;
        let mut state = self.state();
        state.gateways.insert(name.to_string(), gateway.clone());
        state.catalogue = Arc::new(catalogue(&state.gateways));
        Ok(gateway)
    }

    /// Creates a virtual server bundling the given federated tools.
    fn create_server(&self, name: &str, federated_tools: Vec<String>) -> Result<VirtualServer, Refusal> {
        let known: BTreeSet<String> = self.all_tools().iter().map(|t| t.spec.name.clone()).collect();
        if let Some(missing) = federated_tools.iter().find(|t| !known.contains(*t)) {
            return Err((StatusCode::UNPROCESSABLE_ENTITY, format!("Tool not found: {missing}")));
        }
        let mut state = self.state();
        if state.servers.values().any(|s| s.name == name) {
            return Err((StatusCode::CONFLICT, format!("Server already exists with name: {name}")));
        }
        let tool_ids = federated_tools.iter().map(|t| derived_id("tool", t)).collect();
        let server =
            VirtualServer { id: derived_id("server", name), name: name.to_string(), tools: federated_tools, tool_ids };
        state.servers.insert(server.id.clone(), server.clone());
        Ok(server)
    }

    /// Every federated tool (the catalogue as of now).
    fn all_tools(&self) -> Arc<Vec<FederatedTool>> {
        self.state().catalogue.clone()
    }

    pub fn router(self: &Arc<Self>) -> Router {
        let router = Router::new()
            .route("/health", get(|| async { Json(json!({"status": "healthy"})) }))
            .route("/gateways", get(list_gateways).post(post_gateway))
            .route("/servers", get(list_servers).post(post_server))
            .route("/servers/{server_id}/tools", get(server_tools))
            .route("/tools", get(list_tools))
            .route("/mcp", any(mcp_all))
            .route("/mcp/", any(mcp_all))
            .route("/servers/{server_id}/mcp", any(mcp_server))
            .fallback(|| async { framework_error::detail(StatusCode::NOT_FOUND, "Not Found") });
        framework_error::reshape_rejections(router, fastapi_error_shape).with_state(self.clone())
    }
}

/// The catalogue of `gateways`: each one's tools under their federated names.
fn catalogue(gateways: &BTreeMap<String, FederatedGateway>) -> Vec<FederatedTool> {
    let mut out = Vec::new();
    for gw in gateways.values() {
        for t in &gw.tools {
            let name = format!("{}-{}", gw.slug, squadsim_slug(&t.name));
            out.push(FederatedTool {
                id: derived_id("tool", &name),
                spec: ToolSpec { name, description: t.description.clone(), input_schema: t.input_schema.clone() },
                slug: gw.slug.clone(),
                bare: t.name.clone(),
            });
        }
    }
    out
}

/// ContextForge's slug (see `squadsim_conformance::tool_name::slug`; the fake keeps
/// its own copy because it must not depend on AgentSquad's vocabulary crate).
fn squadsim_slug(name: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(ch.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    out
}

/// axum's own refusals (a wrong method, a body over the size limit) in
/// FastAPI's shape: `{"detail": "<reason phrase>"}` with the same status and
/// axum's other headers (an `Allow`, for one).
fn fastapi_error_shape(rejection: Rejection) -> Response {
    let status = rejection.status;
    let mut shaped = framework_error::detail(status, status.canonical_reason().unwrap_or("Error"));
    for (name, value) in &rejection.headers {
        if name != "content-type" && name != "content-length" {
            shaped.headers_mut().insert(name.clone(), value.clone());
        }
    }
    shaped
}

fn refusal_response((status, detail): Refusal) -> Response {
    framework_error::detail(status, detail)
}

/// The tools one MCP endpoint exposes: all of them, or one virtual server's.
struct Scope {
    gateway: Arc<ContextForge>,
    server: Option<VirtualServer>,
    subject: String,
}

impl ToolHost for Scope {
    fn server_name(&self) -> String {
        self.server.as_ref().map(|s| s.name.clone()).unwrap_or_else(|| "mcpgateway".to_string())
    }

    fn list_tools(&self, _ctx: &CallContext) -> Vec<ToolSpec> {
        self.gateway
            .all_tools()
            .iter()
            .filter(|t| self.server.as_ref().is_none_or(|s| s.tools.contains(&t.spec.name)))
            .map(|t| t.spec.clone())
            .collect()
    }

    fn call_tool(&self, _ctx: CallContext, name: String, arguments: Value) -> ToolFuture {
        let candidates = self.gateway.all_tools();
        let found = candidates.iter().find(|t| {
            let in_scope = self.server.as_ref().is_none_or(|s| s.tools.contains(&t.spec.name));
            // On a virtual server a bare name is accepted too (`docs/wire-facts.md`, ContextForge).
            in_scope && (t.spec.name == name || (self.server.is_some() && t.bare == name))
        });
        let found = found.map(|t| (t.slug.clone(), t.bare.clone()));
        let gateway = self.gateway.clone();
        let subject = self.subject.clone();
        Box::pin(async move {
            // ContextForge's ToolNotFoundError, answered by the MCP SDK as an `isError` result.
            let not_found = || ToolOutcome::Failed(format!("Tool not found: {name}"));
            let Some((slug, bare)) = found else {
                return not_found();
            };
            // TOOL_TIMEOUT bounds the call; opening the connection is bounded as the gateway's other calls are.
            let http = gateway.upstream.with_connect_timeout(gateway.upstream.timeout()).with_timeout(TOOL_TIMEOUT);
            // The client is made from the gateway record in place (not a clone of it and its tool list).
            let upstream = gateway.state().gateways.values().find(|g| g.slug == slug).map(|g| g.client(&http));
            let Some(upstream) = upstream else {
                return not_found();
            };
            gateway.state().tool_calls += 1;
            let mut client = upstream.with_header("x-authenticated-user", subject);
            match client.call_tool(&bare, arguments).await {
                Ok(r) if r.is_error => ToolOutcome::Failed(r.text),
                Ok(r) => ToolOutcome::Text(r.text),
                Err(McpError::Transport(HttpError::Timeout)) => ToolOutcome::Failed(tool_timed_out(TOOL_TIMEOUT)),
                Err(e) => ToolOutcome::Failed(format!("Tool invocation failed: {e}")),
            }
        })
    }
}

async fn serve_scope(
    gw: Arc<ContextForge>,
    server: Option<VirtualServer>,
    path: &str,
    method: Method,
    mut headers: HeaderMap,
    body: Bytes,
) -> Response {
    let subject = match gw.authenticate(path, &headers) {
        Ok(s) => s,
        Err(r) => return refusal_response(r),
    };
    // Never forward a caller-supplied identity.
    headers.remove("x-authenticated-user");
    let scope = Arc::new(Scope { gateway: gw.clone(), server, subject: subject.clone() });
    let ctx = CallContext { caller: Some(subject), headers };
    match gw.sessions.get() {
        Some(sessions) => sessions.serve(scope, ctx, &method, body).await,
        None => mcp::serve_message(scope, ctx, &method, body).await,
    }
}

async fn mcp_all(State(gw): State<Arc<ContextForge>>, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    serve_scope(gw, None, "/mcp", method, headers, body).await
}

async fn mcp_server(
    State(gw): State<Arc<ContextForge>>,
    Path(server_id): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/servers/{server_id}/mcp");
    let server = gw.state().servers.get(&server_id).cloned();
    match server {
        Some(server) => serve_scope(gw, Some(server), &path, method, headers, body).await,
        None => match gw.authenticate(&path, &headers) {
            Err(r) => refusal_response(r),
            Ok(_) => refusal_response((StatusCode::NOT_FOUND, "Server not found".to_string())),
        },
    }
}

fn tool_json(tool: &FederatedTool) -> Value {
    json!({
        "id": tool.id,
        "name": tool.spec.name,
        "originalName": tool.bare,
        "gatewaySlug": tool.slug,
        "description": tool.spec.description,
        "inputSchema": tool.spec.input_schema,
        "enabled": true,
    })
}

fn gateway_json(g: &FederatedGateway) -> Value {
    json!({"id": derived_id("gateway", &g.name), "name": g.name, "slug": g.slug, "url": g.url, "transport": "STREAMABLEHTTP", "enabled": true})
}

fn server_json(s: &VirtualServer) -> Value {
    json!({"id": s.id, "name": s.name, "associatedTools": s.tool_ids, "isActive": true})
}

async fn list_gateways(State(gw): State<Arc<ContextForge>>, headers: HeaderMap) -> Response {
    if let Err(r) = gw.authenticate("/gateways", &headers) {
        return refusal_response(r);
    }
    Json(gw.gateways().iter().map(gateway_json).collect::<Vec<_>>()).into_response()
}

#[derive(Deserialize)]
struct GatewayCreate {
    name: String,
    url: String,
    #[serde(default)]
    transport: Option<String>,
    /// `bearer` sends `auth_token` upstream.
    #[serde(default)]
    auth_type: Option<String>,
    #[serde(default)]
    auth_token: Option<String>,
}

/// FastAPI's validation error for a body that did not parse.
fn validation_error(e: impl std::fmt::Display) -> Response {
    framework_error::detail(StatusCode::UNPROCESSABLE_ENTITY, framework_error::value_error(&["body"], e.to_string()))
}

async fn post_gateway(State(gw): State<Arc<ContextForge>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = gw.authenticate("/gateways", &headers) {
        return refusal_response(r);
    }
    let create: GatewayCreate = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return validation_error(e),
    };
    if let Some(t) = create.transport.as_deref() {
        if !["STREAMABLEHTTP", "SSE"].contains(&t) {
            return validation_error(format!("transport must be STREAMABLEHTTP or SSE, got {t}"));
        }
    }
    let auth = match (create.auth_type.as_deref(), create.auth_token) {
        (None, _) => None,
        (Some("bearer"), Some(token)) if !token.is_empty() => Some(token),
        (Some("bearer"), _) => return validation_error("auth_type bearer needs an auth_token"),
        (Some(other), _) => return validation_error(format!("unsupported auth_type {other}: expected bearer")),
    };
    match gw.register_gateway(&create.name, &create.url, auth).await {
        Ok(g) => (StatusCode::CREATED, Json(gateway_json(&g))).into_response(),
        Err(r) => refusal_response(r),
    }
}

async fn list_servers(State(gw): State<Arc<ContextForge>>, headers: HeaderMap) -> Response {
    if let Err(r) = gw.authenticate("/servers", &headers) {
        return refusal_response(r);
    }
    let servers: Vec<Value> = gw.state().servers.values().map(server_json).collect();
    Json(servers).into_response()
}

#[derive(Deserialize)]
struct ServerCreateBody {
    server: ServerCreate,
}

#[derive(Deserialize)]
struct ServerCreate {
    name: String,
    #[serde(default)]
    associated_tools: Vec<String>,
}

async fn post_server(State(gw): State<Arc<ContextForge>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = gw.authenticate("/servers", &headers) {
        return refusal_response(r);
    }
    let create: ServerCreateBody = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return validation_error(e),
    };
    // associated_tools may name tools by id or by federated name.
    let by_id: BTreeMap<String, String> = gw.all_tools().iter().map(|t| (t.id.clone(), t.spec.name.clone())).collect();
    let names =
        create.server.associated_tools.iter().map(|t| by_id.get(t).cloned().unwrap_or_else(|| t.clone())).collect();
    match gw.create_server(&create.server.name, names) {
        Ok(s) => (StatusCode::CREATED, Json(server_json(&s))).into_response(),
        Err(r) => refusal_response(r),
    }
}

async fn server_tools(
    State(gw): State<Arc<ContextForge>>,
    Path(server_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = gw.authenticate("/servers/{server_id}/tools", &headers) {
        return refusal_response(r);
    }
    let Some(server) = gw.state().servers.get(&server_id).cloned() else {
        return refusal_response((StatusCode::NOT_FOUND, format!("Server not found: {server_id}")));
    };
    let tools: Vec<Value> =
        gw.all_tools().iter().filter(|t| server.tools.contains(&t.spec.name)).map(tool_json).collect();
    Json(tools).into_response()
}

async fn list_tools(State(gw): State<Arc<ContextForge>>, headers: HeaderMap) -> Response {
    if let Err(r) = gw.authenticate("/tools", &headers) {
        return refusal_response(r);
    }
    let tools: Vec<Value> = gw.all_tools().iter().map(tool_json).collect();
    Json(tools).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::net::{HttpClient, Transport};

    const NOW: u64 = 1_780_963_200;

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", format!("Bearer {token}").parse().expect("a header value"));
        headers
    }

    /// The kept readings of tokens answer as fresh readings do, across more
    /// tokens than are kept (the map emptied on the way): each token names its
    /// own subject on its first request and on a repeat, a token signed with
    /// another secret is refused each time, a revoked one after its revocation.
    #[test]
    fn kept_token_readings_answer_as_fresh_ones_across_the_bound() {
        let config = GatewayConfig::default();
        let other = GatewayConfig { jwt_secret: "another-secret".to_string(), ..GatewayConfig::default() };
        let http = HttpClient::new(Transport::Loopback, Duration::from_millis(200));
        let gw = ContextForge::new(config.clone(), http, Arc::new(FixedClock::new(NOW)));
        let tokens: Vec<String> = (0..READ_TOKENS_KEEP + READ_TOKENS_KEEP / 2)
            .map(|i| ContextForge::mint_token(&config, &format!("agent-{i}"), &format!("jti-{i}"), NOW, 600))
            .collect();
        let forged = ContextForge::mint_token(&other, "agent-0", "jti-0", NOW, 600);
        for round in 0..2 {
            for (i, token) in tokens.iter().enumerate() {
                let subject = Some(format!("agent-{i}"));
                assert_eq!(gw.caller(&bearer(token)), subject, "round {round}, token {i}");
                assert_eq!(gw.caller(&bearer(token)), subject, "round {round}, token {i} again");
                if i % 512 == 0 {
                    assert_eq!(gw.caller(&bearer(&forged)), None, "round {round}, forged at {i}");
                }
            }
            assert!(gw.read_tokens.lock().expect("not poisoned").len() <= READ_TOKENS_KEEP);
        }
        gw.revoke("jti-7");
        assert_eq!(gw.caller(&bearer(&tokens[7])), None);
        assert_eq!(gw.caller(&bearer(&tokens[8])), Some("agent-8".to_string()));
    }
}
