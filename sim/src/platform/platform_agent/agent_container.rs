//! The agent container: what runs inside the concierge's container (the
//! `molecule-platform-agent` image): executor selection, the concierge config,
//! `molecule-mcp`'s inbound secret, llm-auth, registration with the platform,
//! and the A2A server. It reads nothing but its env and the `/configs` mount,
//! and talks to the platform and the LLM proxy over HTTP only.
//!
//! Guarantees (what the image does, per seed 003):
//! - the executor is claude-code whatever `RUNTIME` says (`ADAPTER_MODULE=adapter`
//!   is baked into the image); `RUNTIME` only feeds the registered runtime label;
//! - `config.yaml` is read from `$CONFIGS_DIR` only; without it the concierge
//!   config is not applied and the name stays the workspace id;
//! - `molecule-mcp` saves `/configs/.platform_inbound_secret`, which fails with
//!   EPERM unless the mount is writable by the container's uid;
//! - llm-auth takes `MOLECULE_LLM_API_KEY`, else `CLAUDE_CODE_OAUTH_TOKEN`, else
//!   `ANTHROPIC_AUTH_TOKEN`, and knows the `sk-cp-` (platform proxy, at
//!   `MOLECULE_LLM_BASE_URL`) and `sk-ant-` (BYOK, at `ANTHROPIC_BASE_URL`, else
//!   the Anthropic API) prefixes only;
//! - registration authenticates with `MOLECULE_WORKSPACE_TOKEN`, else `MOLECULE_API_KEY`;
//! - the server listens on 8000 and the agent registers that URL; the A2A routes
//!   are mounted on it only when the A2A port (`A2A_PORT`, default 8000) is that
//!   port, else those routes answer 404 there (and the access log shows it).
//!   Nothing polls the platform's queue: the image runs one-shot queries on
//!   pushed messages.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{json, Value};
use squadsim_fakes::net::{HttpClient, HttpError, HttpRequest};

use super::provisioning_spec::{ConfigsMount, SERVED_PORT};
use crate::base::clock::seconds_label;
use crate::base::topology::Host;

/// The host directory mounted at `/configs` (as `docker run` leaves it when
/// nothing prepared it: created by root, 0755).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfigsDir {
    pub mount: ConfigsMount,
    pub files: BTreeSet<String>,
}

impl Default for ConfigsDir {
    fn default() -> Self {
        ConfigsDir { mount: ConfigsMount { owner_uid: 0, owner_gid: 0, mode: 0o755 }, files: BTreeSet::new() }
    }
}

pub(crate) const CONFIG_YAML: &str = "config.yaml";
pub(crate) const INBOUND_SECRET: &str = ".platform_inbound_secret";
/// The concierge's name in its seeded `config.yaml`.
pub(crate) const CONCIERGE_NAME: &str = "Org Concierge";

/// What happened on the execution workspace, for the outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct WorkspaceObservations {
    /// `<simulated time> <source>: <line>`, in order.
    pub log: Vec<String>,
    /// The token mint's HTTP status (`None`: not attempted or no answer).
    pub mint_status: Option<u16>,
    pub executor: Option<String>,
    pub config_applied: Option<bool>,
    pub secret_saved: Option<bool>,
    /// llm-auth's verdict: `Ok(kind)` or `Err(message)`.
    pub llm_auth: Option<Result<String, LlmAuthError>>,
    /// The registration's HTTP status (`Some(None)`: no answer).
    pub registration: Option<Option<u16>>,
    pub advertised_port: Option<u16>,
    pub served_port: Option<u16>,
    /// Requests for the A2A routes the platform uses ([`A2A_ROUTES`]) that the
    /// served port answered 404 (`METHOD /path`), as its access log shows them.
    pub unserved_a2a: Vec<String>,
}

/// The A2A routes the platform uses: the agent card (registration's probe) and `message/send` (push).
pub(crate) const A2A_ROUTES: [(&str, &str); 2] = [("GET", "/.well-known/agent.json"), ("POST", "/")];

/// Shared observations of one execution workspace.
pub(crate) type Observations = Arc<Mutex<WorkspaceObservations>>;

pub(crate) fn observe(obs: &Observations) -> MutexGuard<'_, WorkspaceObservations> {
    obs.lock().unwrap_or_else(|p| p.into_inner())
}

/// Appends `<time> <source>: <line>` to the workspace log.
pub(crate) fn log_line(obs: &Observations, source: &str, line: String) {
    let at = seconds_label(turmoil::sim_elapsed().unwrap_or_default());
    observe(obs).log.push(format!("{at} {source}: {line}"));
}

/// The running container.
pub(crate) struct AgentContainer {
    pub workspace_id: String,
    /// The host name the container is reached at.
    pub host: String,
    pub env: BTreeMap<String, String>,
    pub uid: u32,
    pub configs: Arc<Mutex<ConfigsDir>>,
    pub http: HttpClient,
    pub obs: Observations,
}

/// Why llm-auth found no usable LLM credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LlmAuthError {
    /// None of the credential variables is set.
    NoCredential,
    /// A platform proxy token (`sk-cp-*`) with no proxy to send it to.
    ProxyWithoutBaseUrl,
    /// A key of neither kind.
    UnrecognisedPrefix,
}

impl std::fmt::Display for LlmAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LlmAuthError::NoCredential => "no LLM credential in the env",
            LlmAuthError::ProxyWithoutBaseUrl => "sk-cp-* proxy token but MOLECULE_LLM_BASE_URL unset",
            LlmAuthError::UnrecognisedPrefix => "unrecognised prefix",
        })
    }
}

impl std::error::Error for LlmAuthError {}

/// Where llm-auth sends the executor's LLM calls: the credential's kind decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LlmEndpoint {
    /// The platform-managed LLM proxy, behind a `sk-cp-*` proxy token.
    PlatformProxy,
    /// The Anthropic API, behind a BYOK `sk-ant-*` credential.
    AnthropicApi,
}

impl LlmEndpoint {
    /// How llm-auth names the credential that goes there.
    fn credential(self) -> &'static str {
        match self {
            LlmEndpoint::PlatformProxy => "platform proxy (sk-cp-*)",
            LlmEndpoint::AnthropicApi => "BYOK (sk-ant-*)",
        }
    }
}

impl std::fmt::Display for LlmEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LlmEndpoint::PlatformProxy => "LLM proxy",
            LlmEndpoint::AnthropicApi => "Anthropic API",
        })
    }
}

/// The executor's LLM credential as llm-auth resolved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LlmRoute {
    pub endpoint: LlmEndpoint,
    /// The Messages API's base URL.
    pub base: String,
    pub key: String,
}

/// Why a query to the LLM got no text back.
#[derive(Debug, Clone, PartialEq, Eq)]
enum QueryError {
    LlmAuth(LlmAuthError),
    /// The endpoint the credential went to gave no answer.
    NoAnswer {
        endpoint: LlmEndpoint,
        error: HttpError,
    },
    /// The endpoint the credential went to answered with an error status.
    Refused {
        endpoint: LlmEndpoint,
        status: u16,
    },
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryError::LlmAuth(e) => write!(f, "llm-auth: {e}"),
            QueryError::NoAnswer { endpoint, error } => write!(f, "{endpoint}: {error}"),
            QueryError::Refused { endpoint, status } => write!(f, "{endpoint}: HTTP {status}"),
        }
    }
}

impl std::error::Error for QueryError {}

/// llm-auth: where the executor's LLM calls go, and with which key (or why none).
pub(crate) fn llm_credential(env: &BTreeMap<String, String>) -> Result<LlmRoute, LlmAuthError> {
    let key = ["MOLECULE_LLM_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN"]
        .iter()
        .find_map(|k| env.get(*k))
        .ok_or(LlmAuthError::NoCredential)?
        .clone();
    if key.starts_with("sk-cp-") {
        let base = env.get("MOLECULE_LLM_BASE_URL").ok_or(LlmAuthError::ProxyWithoutBaseUrl)?.clone();
        Ok(LlmRoute { endpoint: LlmEndpoint::PlatformProxy, base, key })
    } else if key.starts_with("sk-ant-") {
        let base = env.get("ANTHROPIC_BASE_URL").cloned().unwrap_or_else(|| Host::AnthropicApi.url());
        Ok(LlmRoute { endpoint: LlmEndpoint::AnthropicApi, base, key })
    } else {
        Err(LlmAuthError::UnrecognisedPrefix)
    }
}

impl AgentContainer {
    fn log(&self, source: &str, line: String) {
        log_line(&self.obs, source, line);
    }

    fn configs(&self) -> MutexGuard<'_, ConfigsDir> {
        self.configs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The A2A port the container advertises.
    pub(crate) fn advertised_port(&self) -> u16 {
        self.env.get("A2A_PORT").and_then(|p| p.parse().ok()).unwrap_or(SERVED_PORT)
    }

    /// The server on [`SERVED_PORT`]: health, plus the A2A routes when they are served
    /// here; anything else answers FastAPI's 404 and shows in the access log.
    pub(crate) fn router(self: &Arc<Self>) -> Router {
        let router = Router::new().route("/health", get(|| async { Json(json!({"status": "ok"})) }));
        let router = if self.advertised_port() == SERVED_PORT {
            router.route("/.well-known/agent.json", get(agent_card)).route("/", post(message_send))
        } else {
            router
        };
        router.fallback(not_found).with_state(self.clone())
    }

    fn name(&self) -> String {
        let applied = self.env.get("CONFIGS_DIR").map(String::as_str) == Some("/configs")
            && self.configs().files.contains(CONFIG_YAML);
        if applied {
            CONCIERGE_NAME.to_string()
        } else {
            self.workspace_id.clone()
        }
    }

    fn card(&self) -> Value {
        let mut card = json!({
            "name": self.name(),
            // The URL the agent registers is its server's (seed 003: "advertised url is :8000").
            "url": format!("http://{}:{SERVED_PORT}", self.host),
            "capabilities": {"streaming": false},
            "defaultInputModes": ["text"],
            "defaultOutputModes": ["text"],
            "skills": [],
        });
        if let Some(label) = self.env.get("RUNTIME") {
            card["runtime"] = json!(label);
        }
        card
    }

    /// Boots: executor, config, inbound secret, llm-auth, A2A, registration.
    pub(crate) async fn boot(self: Arc<Self>) {
        observe(&self.obs).executor = Some("claude-code".into());
        self.log("agent", "Runtime: claude-code (Claude Code), executor from the image's ADAPTER_MODULE".into());

        let name = self.name();
        let applied = name == CONCIERGE_NAME;
        observe(&self.obs).config_applied = Some(applied);
        self.log(
            "agent",
            if applied {
                format!("config.yaml applied from $CONFIGS_DIR (name: {name})")
            } else {
                format!("config.yaml not applied: CONFIGS_DIR unset (name stays {name})")
            },
        );

        let saved = {
            let mut configs = self.configs();
            let writable = configs.mount.writable_by(self.uid);
            if writable {
                configs.files.insert(INBOUND_SECRET.to_string());
            }
            writable
        };
        observe(&self.obs).secret_saved = Some(saved);
        self.log(
            "molecule-mcp",
            if saved {
                "Saved platform_inbound_secret".into()
            } else {
                format!("failed to save /configs/{INBOUND_SECRET}: [Errno 1] EPERM (uid {} cannot write)", self.uid)
            },
        );

        let verdict = llm_credential(&self.env).map(|route| route.endpoint.credential().to_string());
        self.log(
            "llm-auth",
            match &verdict {
                Ok(kind) => format!("LLM credential: {kind}"),
                Err(e) => e.to_string(),
            },
        );
        observe(&self.obs).llm_auth = Some(verdict);

        let advertised = self.advertised_port();
        {
            let mut obs = observe(&self.obs);
            obs.advertised_port = Some(advertised);
            obs.served_port = Some(SERVED_PORT);
        }
        if advertised != SERVED_PORT {
            self.log(
                "agent",
                format!("A2A_PORT={advertised} advertised; uvicorn serves :{SERVED_PORT} without the A2A routes"),
            );
        }

        let status = self.register().await;
        observe(&self.obs).registration = Some(status);
        self.log(
            "agent",
            match status {
                Some(200) => "Registered with platform: 200".into(),
                Some(code) => format!("Register: HTTP {code}"),
                None => "Register: no response".into(),
            },
        );
    }

    async fn register(&self) -> Option<u16> {
        let platform = self.env.get("PLATFORM_URL")?;
        let token = self.env.get("MOLECULE_WORKSPACE_TOKEN").or_else(|| self.env.get("MOLECULE_API_KEY"));
        let card = self.card();
        let mut request = HttpRequest::post(format!("{platform}/registry/register")).json(&json!({
            "id": self.workspace_id,
            "url": card["url"],
            "agent_card": card,
        }));
        if let Some(t) = token {
            request = request.bearer(t);
        }
        self.http.send(request).await.ok().map(|r| r.status.as_u16())
    }

    /// One query: the prompt to the LLM, its text back.
    async fn query(&self, prompt: &str) -> Result<String, QueryError> {
        let LlmRoute { endpoint, base, key } = llm_credential(&self.env).map_err(QueryError::LlmAuth)?;
        let body = json!({
            "model": self.env.get("MODEL").map(String::as_str).unwrap_or("claude-sonnet-4-5"),
            "max_tokens": 1024,
            "messages": [{"role": "user", "content": prompt}],
        });
        let request = HttpRequest::post(format!("{base}/v1/messages"))
            .header("x-api-key", key)
            .header("anthropic-version", "2023-06-01")
            .json(&body);
        let client = self.http.with_timeout(Duration::from_secs(120));
        let response = client.send(request).await.map_err(|error| QueryError::NoAnswer { endpoint, error })?;
        if !response.status.is_success() {
            return Err(QueryError::Refused { endpoint, status: response.status.as_u16() });
        }
        let v = response.json();
        Ok(v["content"]
            .as_array()
            .map(|parts| parts.iter().filter_map(|p| p["text"].as_str()).collect::<Vec<_>>().join(""))
            .unwrap_or_default())
    }
}

/// FastAPI's answer to a route it does not serve; uvicorn logs it.
async fn not_found(State(rt): State<Arc<AgentContainer>>, method: Method, uri: Uri) -> Response {
    let route = format!("{method} {}", uri.path());
    if A2A_ROUTES.contains(&(method.as_str(), uri.path())) {
        observe(&rt.obs).unserved_a2a.push(route.clone());
    }
    log_line(&rt.obs, "uvicorn", format!("\"{route} HTTP/1.1\" 404 Not Found"));
    (StatusCode::NOT_FOUND, Json(json!({"detail": "Not Found"}))).into_response()
}

async fn agent_card(State(rt): State<Arc<AgentContainer>>) -> Response {
    Json(rt.card()).into_response()
}

/// A2A JSON-RPC `message/send`: one query, answered with the agent's message.
async fn message_send(State(rt): State<Arc<AgentContainer>>, body: Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let rpc_error = |code: i64, message: String| {
        Json(json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})).into_response()
    };
    if request.get("method").and_then(Value::as_str) != Some("message/send") {
        return rpc_error(-32601, "Method not found".into());
    }
    let message = &request["params"]["message"];
    let prompt: String = message["parts"]
        .as_array()
        .map(|parts| parts.iter().filter_map(|p| p["text"].as_str()).collect::<Vec<_>>().join("\n"))
        .unwrap_or_default();
    log_line(&rt.obs, "agent", format!("A2A message/send received; query: {prompt:?}"));
    match rt.query(&prompt).await {
        Ok(text) => {
            log_line(&rt.obs, "agent", format!("query answered: {text:?}"));
            let message_id = format!("{}-reply", message["messageId"].as_str().unwrap_or("message"));
            Json(json!({
                "jsonrpc": "2.0",
                "id": id,
                "result": {"kind": "message", "messageId": message_id, "role": "agent",
                           "parts": [{"kind": "text", "text": text}]},
            }))
            .into_response()
        }
        Err(e) => {
            log_line(&rt.obs, "agent", format!("query failed: {e}"));
            rpc_error(-32603, e.to_string())
        }
    }
}
