//! The operator client: drives the Studio API the way the runbook does, with the
//! edge's Pomerium claim headers, and records what it saw (status, or no
//! response at all: "HTTP 000").

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::Method;
use serde::Serialize;
use serde_json::Value;
use squadsim_fakes::net::{CallRecorder, HttpClient, HttpRequest, HttpResponse};

use crate::base::clock::seconds_label;
use crate::base::topology::{Host, DAYTONA_SSH_EDGE, GITHUB_ORG};
use crate::platform::platform_agent;
use crate::platform::studio::wire::{BootstrapAssetView, LaunchRequest};
use crate::scenario::{
    ChatStep, LaunchStep, OperatorIdentity, RequestStep, Scenario, Step, WatchStep, RUN_ID_PLACEHOLDER,
};

const PREFIX: &str = "/v1/admin/studio";
/// The operator's client timeout for everything but a launch (which sets its own).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// One exchange as the operator saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperatorCall {
    pub step: String,
    pub request: String,
    /// `None`: no response before the client's timeout (curl's "HTTP 000").
    pub http_status: Option<u16>,
    /// Simulated time when the answer (or the timeout) came.
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The response body of a `request` step (JSON, or its text as a string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// What the operator did and saw.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct OperatorLog {
    pub calls: Vec<OperatorCall>,
    pub run_id: Option<String>,
    /// Every run the launch steps started, in launch order (the first is `run_id`);
    /// more than one with `launch.count` or several labelled launches.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub run_ids: Vec<String>,
    /// Each labelled launch, in launch order: its label and its run (none when
    /// the launch got no run).
    #[serde(skip)]
    pub labelled: Vec<(String, Option<String>)>,
    pub finished: bool,
    /// The step being run, as `steps[<index>] (<kind>)`; the last one once finished.
    #[serde(skip)]
    pub step_in_progress: Option<String>,
    /// Whether to keep every response body in [`OperatorLog::responses`].
    #[serde(skip)]
    pub capture_responses: bool,
    /// With `capture_responses`: every response the operator received, in
    /// order, as (`METHOD /path` without the query, body as JSON, or the body
    /// text as a JSON string when it is not JSON). Never part of an outcome.
    #[serde(skip)]
    pub responses: Vec<(String, Value)>,
}

struct Operator {
    identity: OperatorIdentity,
    /// The platform agent's workspace id (with `world.platform_agent`).
    platform_agent_id: String,
    /// The org admin token (with `world.platform_agent`): the operator is the org's admin.
    org_admin_token: String,
    log: Arc<Mutex<OperatorLog>>,
    http: HttpClient,
    /// A project slug read from a prior run (`confirm_slug`); the next launch uses it.
    confirmed_slug: Mutex<Option<String>>,
    /// Inside `on_run`: the label of the run its steps act on.
    focus: Mutex<Option<String>>,
}

/// Runs `task` for each of `items`: inline for one, as concurrent tasks for
/// more; the results come back in `items` order.
async fn for_each_concurrently<I, T, F, Fut>(items: Vec<I>, task: F) -> Vec<T>
where
    I: Send + 'static,
    T: Send + 'static,
    F: Fn(I) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    if items.len() == 1 {
        let mut results = Vec::new();
        for item in items {
            results.push(task(item).await);
        }
        return results;
    }
    let handles: Vec<_> = items.into_iter().map(|item| tokio::spawn(task(item))).collect();
    let mut results = Vec::new();
    for handle in handles {
        if let Ok(result) = handle.await {
            results.push(result);
        }
    }
    results
}

impl Operator {
    /// Inside `on_run`, the labelled run the steps act on; `None` outside it.
    fn set_focus(&self, label: Option<String>) {
        if let Ok(mut focus) = self.focus.lock() {
            *focus = label;
        }
    }

    /// The runs a step addresses: inside `on_run`, its labelled run; else every
    /// launched run. `Err` with the note to record when there is none.
    fn runs(&self) -> Result<Vec<String>, String> {
        let focus = self.focus.lock().ok().and_then(|f| f.clone());
        let label = focus.as_deref();
        let log = self.log.lock().map_err(|_| "skipped: the operator's log is unreadable".to_string())?;
        let ids = match label {
            Some(label) => log.labelled.iter().filter(|(l, _)| l == label).filter_map(|(_, id)| id.clone()).collect(),
            None => log.run_ids.clone(),
        };
        match (ids.is_empty(), label) {
            (false, _) => Ok(ids),
            (true, Some(label)) => Err(format!("skipped: run `{label}` was not launched")),
            (true, None) => Err("skipped: no run was launched".to_string()),
        }
    }

    fn record(&self, step: &str, method: &Method, path: &str, status: Option<u16>, note: Option<String>) {
        let at = seconds_label(turmoil::sim_elapsed().unwrap_or_default());
        let request = format!("{method} {}", path.split('?').next().unwrap_or(path));
        if let Ok(mut log) = self.log.lock() {
            log.calls.push(OperatorCall { step: step.to_string(), request, http_status: status, at, note, body: None });
        }
    }

    /// A request to the Studio API with the edge's claim headers.
    fn studio_request(&self, method: Method, path: &str) -> HttpRequest {
        let mut request = HttpRequest::new(method, format!("{}{path}", Host::Studio.url()));
        if let Some(email) = &self.identity.email {
            request = request.header("x-pomerium-claim-email", email.clone());
            request = request.header("x-pomerium-claim-groups", self.identity.groups.join(","));
        }
        request
    }

    async fn call(&self, client: &HttpClient, method: Method, path: &str, body: Option<Value>) -> Option<HttpResponse> {
        let mut request = self.studio_request(method.clone(), path);
        if let Some(b) = body {
            request = request.json(&b);
        }
        self.send(client, &method, path, request).await
    }

    /// Sends `request`, keeping its response with `capture_responses`.
    async fn send(
        &self,
        client: &HttpClient,
        method: &Method,
        path: &str,
        request: HttpRequest,
    ) -> Option<HttpResponse> {
        let response = client.send(request).await.ok();
        if let (Some(r), Ok(mut log)) = (&response, self.log.lock()) {
            if log.capture_responses {
                let body = serde_json::from_slice(&r.body).unwrap_or_else(|_| Value::String(r.text()));
                log.responses.push((format!("{method} {}", path.split('?').next().unwrap_or(path)), body));
            }
        }
        response
    }

    /// One request, recorded.
    async fn exchange(&self, step: &str, method: Method, path: &str, body: Option<Value>) -> Option<HttpResponse> {
        let response = self.call(&self.http, method.clone(), path, body).await;
        let note = response.as_ref().filter(|r| !r.status.is_success()).map(|r| r.text());
        self.record(step, &method, path, response.as_ref().map(|r| r.status.as_u16()), note);
        response
    }

    /// The operator's `?tenant_id=` query, or nothing when the scenario sends none.
    fn tenant_query(&self) -> String {
        self.identity.tenant_id.as_deref().map(|t| format!("?tenant_id={}", percent_encode(t))).unwrap_or_default()
    }

    /// The path of `suffix` on every run the step addresses (see [`Operator::runs`]).
    fn run_paths(&self, suffix: &str) -> Result<Vec<String>, String> {
        let query = self.tenant_query();
        Ok(self.runs()?.into_iter().map(|id| format!("{PREFIX}/runs/{id}{suffix}{query}")).collect())
    }

    /// A raw request; its status and body go into the outcome.
    async fn request(&self, step: &RequestStep) {
        let method = step.method.as_str().parse::<Method>().unwrap_or(Method::GET);
        let path = if step.needs_run() {
            match self.runs() {
                Ok(ids) => step.path.replace(RUN_ID_PLACEHOLDER, &ids[0]),
                Err(note) => return self.record("request", &method, &step.path, None, Some(note)),
            }
        } else {
            step.path.clone()
        };
        let query: Vec<String> =
            step.query.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect();
        let path_and_query = if query.is_empty() { path } else { format!("{path}?{}", query.join("&")) };
        let mut request = self.studio_request(method.clone(), &path_and_query);
        if let Some(body) = &step.body {
            request = request.json(body);
        }
        for (name, value) in &step.headers {
            request.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            request = request.header(name.clone(), value.clone());
        }
        let response = self.send(&self.http.with_timeout(step.timeout.0), &method, &path_and_query, request).await;
        let note =
            response.is_none().then(|| format!("no response within {} (HTTP 000)", seconds_label(step.timeout.0)));
        let body =
            response.as_ref().map(|r| serde_json::from_slice(&r.body).unwrap_or_else(|_| Value::String(r.text())));
        let at = seconds_label(turmoil::sim_elapsed().unwrap_or_default());
        // The query stays in the record: a request step's query is what it is about.
        let call = OperatorCall {
            step: "request".to_string(),
            request: format!("{method} {path_and_query}"),
            http_status: response.map(|r| r.status.as_u16()),
            at,
            note,
            body,
        };
        if let Ok(mut log) = self.log.lock() {
            log.calls.push(call);
        }
    }

    /// One launch, recorded; the run id when it succeeded.
    async fn launch(&self, launch: &LaunchStep) -> Option<String> {
        let confirmed = self.confirmed_slug.lock().ok().and_then(|c| c.clone());
        let body = LaunchRequest {
            template_id: launch.template_id.clone(),
            project_slug: confirmed.clone().unwrap_or_else(|| launch.project_slug.clone()),
            delivery_graph_kind: launch.delivery_graph_kind.clone(),
            work_scope: launch.work_scope.clone(),
            next_goal: launch.next_goal.clone(),
            workspace_bootstrap_assets: launch
                .workspace_bootstrap_assets
                .iter()
                .map(|a| BootstrapAssetView {
                    kind: None,
                    url: contents_url(&a.repository, &a.path),
                    destination: Some(a.destination.clone()),
                    read_only: a.read_only,
                })
                .collect(),
            source_ref_bundle: launch.source_ref_bundle.as_ref().map(|b| contents_url(&b.repository, &b.path)),
        };
        let client = self.http.with_timeout(launch.timeout.0);
        let path = format!("{PREFIX}/runs");
        let body = serde_json::to_value(&body).unwrap_or(Value::Null);
        let response = self.call(&client, Method::POST, &path, Some(body)).await;
        let run_id = response
            .as_ref()
            .filter(|r| r.status.is_success())
            .and_then(|r| r.json().get("run_id").and_then(Value::as_str).map(str::to_string));
        let corrected = confirmed
            .filter(|c| *c != launch.project_slug)
            .map(|c| format!("project_slug {c} (confirmed) instead of {}", launch.project_slug));
        let note = match &response {
            None => Some(format!("no response within {} (HTTP 000)", seconds_label(launch.timeout.0))),
            Some(r) if !r.status.is_success() => Some(r.text()),
            _ => corrected,
        };
        self.record("launch", &Method::POST, &path, response.map(|r| r.status.as_u16()), note);
        run_id
    }

    async fn step(self: &Arc<Self>, step: &Step) {
        match step {
            Step::Health => drop(self.exchange("health", Method::GET, "/healthz", None).await),
            Step::Openapi => drop(self.exchange("openapi", Method::GET, "/openapi.json", None).await),
            Step::Templates => {
                drop(self.exchange("templates", Method::GET, &format!("{PREFIX}/templates"), None).await)
            }
            Step::Launch(launch) => {
                let launches = (0..launch.count.max(1)).map(|_| (self.clone(), launch.clone())).collect();
                let ids = for_each_concurrently(launches, |(me, launch)| async move { me.launch(&launch).await }).await;
                if let Ok(mut log) = self.log.lock() {
                    match &launch.label {
                        // A labelled launch adds its run to those launched before it.
                        Some(label) => {
                            let id = ids.into_iter().flatten().next();
                            log.labelled.push((label.clone(), id.clone()));
                            log.run_ids.extend(id);
                            // The outcome's `run` is the first labelled launch's, also when it got no run.
                            log.run_id = log.labelled.first().and_then(|(_, id)| id.clone());
                        }
                        None => {
                            log.run_id = ids.first().cloned().flatten();
                            log.run_ids = ids.into_iter().flatten().collect();
                        }
                    }
                }
            }
            Step::Execute => self.run_step("execute", Method::POST, "/execute", None).await,
            Step::GetRun => self.run_step("get_run", Method::GET, "", None).await,
            Step::SessionState => self.run_step("session_state", Method::GET, "/session-state", None).await,
            Step::Reports => self.run_step("reports", Method::GET, "/reports", None).await,
            Step::HandoffTrail => self.run_step("handoff_trail", Method::GET, "/handoff-trail", None).await,
            Step::Replay => self.run_step("replay", Method::POST, "/replay", None).await,
            Step::Cleanup => self.run_step("cleanup", Method::POST, "/cleanup", None).await,
            Step::Control { command } => {
                self.run_step("control", Method::POST, "/control", Some(serde_json::json!({"command": command}))).await
            }
            Step::OnRun(on) => {
                self.set_focus(Some(on.run.clone()));
                for step in &on.steps {
                    Box::pin(self.step(step)).await;
                }
                self.set_focus(None);
            }
            Step::Watch(w) => self.watch_all(w).await,
            Step::Wait { duration } => squadsim_fakes::timer::sleep(duration.0).await,
            Step::ChatWithAgent(chat) => self.chat_with_agent(chat).await,
            Step::SshAccess => self.ssh_access().await,
            Step::RollbackPlatformAgent => self.rollback_platform_agent().await,
            Step::ProbeAgent => {
                for route in ["/a2a", "/message", "/.well-known/agent.json", "/openapi.json"] {
                    let url = format!("{}{route}", Host::Concierge.url());
                    let response = self.http.send(HttpRequest::get(url.clone())).await.ok();
                    let note = response.is_none().then(|| "no response (HTTP 000)".to_string());
                    self.record("probe_agent", &Method::GET, &url, response.map(|r| r.status.as_u16()), note);
                }
            }
            Step::Request(request) => self.request(request).await,
            Step::ConfirmSlug { from_run } => {
                let path = format!("{PREFIX}/runs/{from_run}{}", self.tenant_query());
                let response = self.call(&self.http, Method::GET, &path, None).await;
                let slug = response
                    .as_ref()
                    .filter(|r| r.status.is_success())
                    .and_then(|r| r.json().get("project_slug").and_then(Value::as_str).map(str::to_string));
                let note = match (&slug, &response) {
                    (Some(slug), _) => format!("project_slug: {slug}"),
                    (None, Some(r)) => r.text(),
                    (None, None) => "no response (HTTP 000)".to_string(),
                };
                self.record("confirm_slug", &Method::GET, &path, response.map(|r| r.status.as_u16()), Some(note));
                if let Ok(mut confirmed) = self.confirmed_slug.lock() {
                    *confirmed = slug;
                }
            }
        }
    }

    /// SSH access to the first listed sandbox, and whether its command reaches the edge's SSH entrypoint.
    async fn ssh_access(&self) {
        let base = Host::Daytona.url();
        let key = squadsim_fakes::daytona::DaytonaConfig::default().api_key;
        let list_url = format!("{base}/api/sandbox");
        let list = self.http.send(HttpRequest::get(list_url.clone()).bearer(&key)).await.ok();
        let id = list.as_ref().and_then(|r| r.json()["items"][0]["id"].as_str().map(str::to_string));
        let Some(id) = id else {
            let status = list.map(|r| r.status.as_u16());
            self.record("ssh_access", &Method::GET, &list_url, status, Some("no sandbox to open".into()));
            return;
        };
        let url = format!("{base}/api/sandbox/{id}/ssh-access");
        let response = self.http.send(HttpRequest::post(url.clone()).bearer(&key)).await.ok();
        let command = response
            .as_ref()
            .filter(|r| r.status.is_success())
            .and_then(|r| r.json()["sshCommand"].as_str().map(str::to_string));
        let note = match command {
            Some(c) => Some(format!("sshCommand: {c} ({})", ssh_target_verdict(&c))),
            None => response.as_ref().map(|r| r.text()),
        };
        self.record("ssh_access", &Method::POST, &url, response.map(|r| r.status.as_u16()), note);
    }

    /// The pilot's rollback: the platform's (model-defined) rollback route with
    /// the org admin token, then `docker rm -f` of the agent's container through
    /// the Docker Engine API on its host.
    async fn rollback_platform_agent(&self) {
        let platform = format!("{}/admin/org/platform-agent", Host::Platform.url());
        let container = format!(
            "http://{}:{}/containers/{}?force=true",
            Host::Concierge.name(),
            platform_agent::docker_api::DOCKER_API_PORT,
            platform_agent::provisioning_spec::PLATFORM_AGENT_IMAGE
        );
        for url in [platform, container] {
            let request = HttpRequest::new(Method::DELETE, url.clone()).bearer(&self.org_admin_token);
            let response = self.http.send(request).await.ok();
            let note = match &response {
                None => "no response (HTTP 000)".to_string(),
                Some(r) if r.body.is_empty() => "no content".to_string(),
                Some(r) => r.text(),
            };
            self.record(
                "rollback_platform_agent",
                &Method::DELETE,
                &url,
                response.map(|r| r.status.as_u16()),
                Some(note),
            );
        }
    }

    /// `message/send` through the platform's A2A proxy, as a canvas user (no `X-Workspace-ID`).
    async fn chat_with_agent(&self, chat: &ChatStep) {
        let url = format!("{}/workspaces/{}/a2a", Host::Platform.url(), self.platform_agent_id);
        let body = serde_json::json!({
            "jsonrpc": "2.0", "id": "chat-1", "method": "message/send",
            "params": {"message": {"role": "user", "messageId": "chat-1",
                                   "parts": [{"kind": "text", "text": chat.message}]}},
        });
        let client = self.http.with_timeout(chat.timeout.0);
        let response = client.send(HttpRequest::post(url.clone()).json(&body)).await.ok();
        let note = match &response {
            None => format!("no response within {} (HTTP 000)", seconds_label(chat.timeout.0)),
            Some(r) => {
                let v = r.json();
                if let Some(parts) = v["result"]["parts"].as_array() {
                    let text: Vec<&str> = parts.iter().filter_map(|p| p["text"].as_str()).collect();
                    format!("reply: {}", text.join(""))
                } else if let Some(message) = v["error"]["message"].as_str() {
                    format!("error: {message}")
                } else {
                    r.text()
                }
            }
        };
        self.record("chat_with_agent", &Method::POST, &url, response.map(|r| r.status.as_u16()), Some(note));
    }

    /// A step on every run it addresses; skipped (and recorded as such) when there is none.
    async fn run_step(self: &Arc<Self>, step: &str, method: Method, suffix: &str, body: Option<Value>) {
        match self.run_paths(suffix) {
            Ok(paths) => {
                let calls =
                    paths.into_iter().map(|path| (self.clone(), step.to_string(), method.clone(), path, body.clone()));
                for_each_concurrently(calls.collect(), |(me, step, method, path, body)| async move {
                    drop(me.exchange(&step, method, &path, body).await)
                })
                .await;
            }
            Err(note) => self.record(step, &method, &format!("{PREFIX}/runs/{{run_id}}{suffix}"), None, Some(note)),
        }
    }

    /// Watches every run the step addresses at once.
    async fn watch_all(self: &Arc<Self>, w: &WatchStep) {
        let paths = match self.run_paths("/session-state") {
            Ok(paths) => paths,
            Err(note) => {
                let path = format!("{PREFIX}/runs/{{run_id}}/session-state");
                return self.record("watch", &Method::GET, &path, None, Some(note));
            }
        };
        let watches = paths.into_iter().map(|path| (self.clone(), w.clone(), path)).collect();
        for_each_concurrently(watches, |(me, w, path)| async move { me.watch(&w, &path).await }).await;
    }

    /// Polls one run's session-state until every session settles (completed or blocked).
    async fn watch(&self, w: &WatchStep, path: &str) {
        let start = turmoil::sim_elapsed().unwrap_or_default();
        let mut polls = 0u32;
        loop {
            polls += 1;
            let response = self.call(&self.http, Method::GET, path, None).await;
            let settled = response.as_ref().is_some_and(settled);
            let elapsed = turmoil::sim_elapsed().unwrap_or_default().saturating_sub(start);
            if settled || elapsed >= w.timeout.0 {
                let note = if settled {
                    format!("settled after {polls} polls")
                } else {
                    format!("not settled after {polls} polls")
                };
                self.record("watch", &Method::GET, path, response.map(|r| r.status.as_u16()), Some(note));
                return;
            }
            squadsim_fakes::timer::sleep(w.every.0).await;
        }
    }
}

/// Whether a session-state answer says the run settled: no run control
/// executing, and every session (at least one) completed or blocked. Only the
/// members it needs are read (`run_control_state`, each session's `live_status`).
fn settled(state: &HttpResponse) -> bool {
    let ([control], sessions) = state.members_and_elements(["run_control_state"], "sessions", ["live_status"]);
    control.as_str() == Some("idle")
        && sessions.is_some_and(|sessions| {
            !sessions.is_empty()
                && sessions.iter().all(|[live]| matches!(live.as_str(), Some("session_completed" | "blocked")))
        })
}

/// `text` percent-encoded for a query (RFC 3986: everything but the unreserved characters).
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Where `ssh [-p PORT] TOKEN@HOST` connects, against the edge's SSH entrypoint.
fn ssh_target_verdict(command: &str) -> String {
    let words: Vec<&str> = command.split_whitespace().collect();
    let port = words.iter().position(|w| *w == "-p").and_then(|i| words.get(i + 1)).copied().unwrap_or("22");
    let host = words.last().and_then(|w| w.split_once('@')).map(|(_, h)| h).unwrap_or_default();
    let address = format!("{host}:{port}");
    if address == DAYTONA_SSH_EDGE {
        format!("reaches the edge's SSH entrypoint {address}")
    } else {
        format!("unusable: {address} is not the edge's SSH entrypoint {}", DAYTONA_SSH_EDGE)
    }
}

/// Where a file of a repository of the App's organization lives: GitHub's contents API.
fn contents_url(repository: &str, path: &str) -> String {
    format!("{}/repos/{GITHUB_ORG}/{repository}/contents/{path}", Host::Github.url())
}

/// Runs the scenario's steps in order (recording the operator's exchanges into `recorder`, if given).
pub(crate) async fn drive(
    scenario: Scenario,
    log: Arc<Mutex<OperatorLog>>,
    recorder: Option<CallRecorder>,
) -> Result<(), Box<dyn std::error::Error>> {
    let http = HttpClient::simulated(REQUEST_TIMEOUT);
    let operator = Arc::new(Operator {
        identity: scenario.world.operator.clone(),
        platform_agent_id: platform_agent::workspace_id(scenario.seed),
        org_admin_token: platform_agent::admin_token(scenario.seed),
        log: log.clone(),
        http: recorder.map(|r| http.recording(&r, "operator")).unwrap_or(http),
        confirmed_slug: Mutex::new(None),
        focus: Mutex::new(None),
    });
    for (index, step) in scenario.steps.iter().enumerate() {
        if let Ok(mut l) = log.lock() {
            l.step_in_progress = Some(format!("steps[{index}] ({})", step.kind()));
        }
        operator.step(step).await;
    }
    if let Ok(mut l) = log.lock() {
        l.finished = true;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decision as it was made on the answer read whole as a `Value`.
    fn settled_by_value(state: &HttpResponse) -> bool {
        let v = state.json();
        v.get("run_control_state").and_then(Value::as_str) == Some("idle")
            && v.get("sessions").and_then(Value::as_array).is_some_and(|sessions| {
                !sessions.is_empty()
                    && sessions.iter().all(|s| {
                        matches!(s.get("live_status").and_then(Value::as_str), Some("session_completed" | "blocked"))
                    })
            })
    }

    fn answer(body: &str) -> HttpResponse {
        HttpResponse { status: hyper::StatusCode::OK, headers: hyper::HeaderMap::new(), body: body.to_string().into() }
    }

    #[test]
    fn a_watch_settles_on_what_the_whole_answer_read_as_a_value_says() {
        let done = r#"{"agent_id":"a","live_status":"session_completed","attempts":1}"#;
        let blocked = r#"{"agent_id":"b","live_status":"blocked","blocker_code":"x"}"#;
        let running = r#"{"agent_id":"c","live_status":"running"}"#;
        let bodies = [
            format!(r#"{{"run_id":"r","run_control_state":"idle","sessions":[{done},{blocked}]}}"#),
            format!(r#"{{"sessions":[{done}],"run_control_state":"idle"}}"#),
            format!(r#"{{"run_control_state":"executing","sessions":[{done},{blocked}]}}"#),
            format!(r#"{{"run_control_state":"idle","sessions":[{done},{running}]}}"#),
            r#"{"run_control_state":"idle","sessions":[]}"#.to_string(),
            r#"{"run_control_state":"idle"}"#.to_string(),
            format!(r#"{{"run_control_state":"idle","sessions":{done}}}"#),
            format!(r#"{{"run_control_state":"idle","sessions":[{done},"text"]}}"#),
            format!(r#"{{"run_control_state":"idle","sessions":[{done},{{}}]}}"#),
            format!(r#"{{"run_control_state":"idle","sessions":[{running}],"sessions":[{done}]}}"#),
            format!(r#"{{"run_control_state":"idle","sessions":[{done}],"run_control_state":"scheduled"}}"#),
            r#"{"run_control_state":"idl\u0065","sessions":[{"live_status":"block\u0065d"}]}"#.to_string(),
            format!(r#"{{"run_control_state":"idle","sessions":[{done}],"note":"\ud800"}}"#),
            format!(r#"{{"run_control_state":"idle","sessions":[{done}]}} trailing"#),
            format!(r#"[{{"run_control_state":"idle","sessions":[{done}]}}]"#),
            String::new(),
        ];
        let mut settled_count = 0;
        for body in &bodies {
            let answer = answer(body);
            let expected = settled_by_value(&answer);
            settled_count += usize::from(expected);
            assert_eq!(settled(&answer), expected, "{body}");
        }
        assert_eq!(settled_count, 4);
    }
}
