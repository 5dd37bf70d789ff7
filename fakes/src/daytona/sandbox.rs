//! Sandboxes: `/api/sandbox` and `/api/users/me`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use std::time::Duration;

use super::{longhorn, Authorized, Daytona};

/// The sandbox states Daytona reports (`docs/wire-facts.md`, Daytona, "States").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SandboxState {
    Creating,
    Started,
    Stopped,
    Starting,
    Stopping,
    Destroying,
    Destroyed,
    Error,
}

/// A sandbox as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sandbox {
    pub id: String,
    pub name: String,
    pub env: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub state: SandboxState,
    pub desired_state: SandboxState,
    pub error_reason: Option<String>,
    /// The Daytona volumes it mounts, as the create body gave them (`{volumeId, mountPath}`).
    pub volumes: Vec<Value>,
    pub created_at: String,
    pub updated_at: String,
}

/// Every sandbox Daytona ever created, by id, with an index of their ids by name.
///
/// Sandboxes are only ever inserted (a destroyed one stays, as `destroyed`), and
/// a sandbox's name never changes once created, so the index is kept in step by
/// [`Sandboxes::insert`] alone; [`Sandboxes::get_mut`] must not change a name.
#[derive(Debug, Default)]
pub(super) struct Sandboxes {
    by_id: BTreeMap<String, Sandbox>,
    /// Every id with that name, destroyed or not, in id order (the order of `by_id`).
    by_name: BTreeMap<String, BTreeSet<String>>,
}

impl Sandboxes {
    pub(super) fn insert(&mut self, sandbox: Sandbox) {
        self.by_name.entry(sandbox.name.clone()).or_default().insert(sandbox.id.clone());
        if let Some(old) = self.by_id.insert(sandbox.id.clone(), sandbox) {
            // Never happens (ids are fresh); keep the index true if it ever does.
            let now_named = self.by_id.get(&old.id).is_some_and(|s| s.name == old.name);
            if !now_named {
                if let Some(ids) = self.by_name.get_mut(&old.name) {
                    ids.remove(&old.id);
                }
            }
        }
    }

    pub(super) fn get(&self, id: &str) -> Option<&Sandbox> {
        self.by_id.get(id)
    }

    pub(super) fn get_mut(&mut self, id: &str) -> Option<&mut Sandbox> {
        self.by_id.get_mut(id)
    }

    /// Every sandbox, in id order.
    pub(super) fn values(&self) -> impl Iterator<Item = &Sandbox> {
        self.by_id.values()
    }

    /// The first sandbox in id order that is named `name` and not destroyed: what
    /// `values().find(..)` answers, without looking at sandboxes of other names.
    pub(super) fn named(&self, name: &str) -> Option<&Sandbox> {
        self.by_name
            .get(name)?
            .iter()
            .filter_map(|id| self.by_id.get(id))
            .find(|s| s.name == name && s.state != SandboxState::Destroyed)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateSandbox {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    volumes: Vec<Value>,
}

/// A sandbox as Daytona answers for it ([`sandbox_json`]), in Daytona's key
/// order; `env` and `kvm` only where a single sandbox is answered.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SandboxDoc<'a> {
    id: &'a str,
    organization_id: &'a str,
    name: &'a str,
    user: &'static str,
    labels: &'a BTreeMap<String, String>,
    public: bool,
    network_block_all: bool,
    #[serde(rename = "target")]
    region: &'static str,
    cpu: u32,
    gpu: u32,
    memory: u32,
    disk: u32,
    state: SandboxState,
    desired_state: SandboxState,
    error_reason: Option<&'a str>,
    recoverable: bool,
    volumes: &'a [Value],
    toolbox_proxy_url: String,
    created_at: &'a str,
    updated_at: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    env: Option<EnvDoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kvm: Option<bool>,
}

/// The document of sandbox `s` (with its `env` when `with_env`), serialized as
/// it stands (no `Value` in between).
pub(super) fn sandbox_json<'a>(d: &'a Daytona, s: &'a Sandbox, with_env: bool) -> SandboxDoc<'a> {
    SandboxDoc {
        id: &s.id,
        organization_id: &d.config.organization_id,
        name: &s.name,
        user: "daytona",
        labels: &s.labels,
        public: false,
        network_block_all: false,
        region: "us",
        cpu: 2,
        gpu: 0,
        memory: 4,
        disk: 10,
        state: s.state,
        desired_state: s.desired_state,
        error_reason: s.error_reason.as_deref(),
        recoverable: false,
        volumes: &s.volumes,
        toolbox_proxy_url: format!("{}/toolbox", d.config.public_url),
        created_at: &s.created_at,
        updated_at: &s.updated_at,
        env: with_env.then(|| env_doc(d, s)),
        kvm: with_env.then_some(false),
    }
}

/// A sandbox's `env` as its document writes it (the map's JSON text), kept
/// once per sandbox: escaping its strings again at every answer cost most of a
/// document's serialization (the MCP servers' mount list is JSON in a string).
#[derive(Debug, Clone)]
pub(super) struct EnvDoc(Arc<serde_json::value::RawValue>);

impl Serialize for EnvDoc {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// The `env` document of sandbox `s`: written at its first answer, then kept
/// (by id: a sandbox's `env` is set at its creation and never changes).
fn env_doc(d: &Daytona, s: &Sandbox) -> EnvDoc {
    let mut docs = d.env_docs.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(doc) = docs.get(&s.id) {
        debug_assert_eq!(doc.0.get(), serde_json::to_string(&s.env).expect("a map of strings serializes"));
        return doc.clone();
    }
    let raw = serde_json::value::to_raw_value(&s.env).expect("a map of strings serializes");
    let doc = EnvDoc(Arc::from(raw));
    docs.insert(s.id.clone(), doc.clone());
    doc
}

/// The answer `Json(doc).into_response()` gives (`content-type:
/// application/json`, the document's bytes), the document written into a `Vec`
/// sized for it rather than through axum's growing `BytesMut` writer.
pub(super) fn sandbox_response(doc: &SandboxDoc<'_>) -> Response {
    let mut body = Vec::with_capacity(SANDBOX_DOC_BYTES + doc.env.as_ref().map_or(0, |e| e.0.get().len()));
    match serde_json::to_writer(&mut body, doc) {
        Ok(()) => {
            let json = axum::http::HeaderValue::from_static("application/json");
            ([(axum::http::header::CONTENT_TYPE, json)], Bytes::from(body)).into_response()
        }
        Err(_) => Json(doc).into_response(),
    }
}

/// Room for a sandbox document but its `env` (its other members with a few labels and volumes).
const SANDBOX_DOC_BYTES: usize = 1024;

/// The document [`sandbox_json`] serializes, built as a `Value` (as it was): what the typed one must equal.
#[cfg(test)]
fn sandbox_value(d: &Daytona, s: &Sandbox, with_env: bool) -> Value {
    let mut v = json!({
        "id": s.id,
        "organizationId": d.config.organization_id,
        "name": s.name,
        "user": "daytona",
        "labels": s.labels,
        "public": false,
        "networkBlockAll": false,
        "target": "us",
        "cpu": 2,
        "gpu": 0,
        "memory": 4,
        "disk": 10,
        "state": s.state,
        "desiredState": s.desired_state,
        "errorReason": s.error_reason,
        "recoverable": false,
        "volumes": s.volumes,
        "toolboxProxyUrl": format!("{}/toolbox", d.config.public_url),
        "createdAt": s.created_at,
        "updatedAt": s.updated_at,
    });
    if with_env {
        v["env"] = json!(s.env);
        v["kvm"] = json!(false);
    }
    v
}

/// `GET /users/me`: who the API key belongs to.
pub(super) async fn users_me(_: Authorized) -> Response {
    Json(json!({
        "id": "user-squadsim",
        "name": "squadsim",
        "email": "squadsim@yamon.io",
        "emailVerified": true,
        "publicKeys": [],
        "createdAt": "2026-01-01T00:00:00.000Z",
    }))
    .into_response()
}

pub(super) async fn create(Authorized { d, path }: Authorized, body: Bytes) -> Response {
    let req: CreateSandbox = match serde_json::from_slice(if body.is_empty() { b"{}" } else { &body }) {
        Ok(r) => r,
        Err(e) => return d.error(&path, StatusCode::BAD_REQUEST, &e.to_string()),
    };
    if let Err((status, message)) = super::volumes::validate_mounts(&d, &req.volumes) {
        return d.error(&path, status, &message);
    }
    if let Err(refused) = runner_available(&d, &path) {
        return refused;
    }
    let now = d.now();
    let sandbox = {
        let mut state = d.state();
        state.next_sandbox += 1;
        let id = format!("sbx-{:08x}", state.next_sandbox);
        if let Some(name) = &req.name {
            if state.sandboxes.named(name).is_some() {
                return d.error(&path, StatusCode::CONFLICT, &format!("Sandbox with name {name} already exists"));
            }
        }
        let sandbox = Sandbox {
            name: req.name.clone().unwrap_or_else(|| id.clone()),
            id: id.clone(),
            env: req.env,
            labels: req.labels,
            state: SandboxState::Creating,
            desired_state: SandboxState::Started,
            error_reason: None,
            volumes: req.volumes,
            created_at: now.clone(),
            updated_at: now,
        };
        state.sandboxes.insert(sandbox.clone());
        sandbox
    };
    begin_start(d.clone(), sandbox.id.clone());
    sandbox_response(&sandbox_json(&d, &sandbox, true))
}

/// A runner to create or start a sandbox on: Daytona's 400 `No available runners`
/// while the runner pod is not Running (see `core_pods`).
fn runner_available(d: &Daytona, path: &str) -> Result<(), Response> {
    if d.core_pod_running(super::CorePod::DaytonaRunner) {
        Ok(())
    } else {
        Err(d.error(path, StatusCode::BAD_REQUEST, "No available runners"))
    }
}

/// The pod a sandbox runs in, and the PVC of its workspace volume.
pub(super) fn pod_name(sandbox_id: &str) -> String {
    format!("sandbox-{sandbox_id}")
}

fn pvc_name(sandbox_id: &str) -> String {
    format!("workspace-{sandbox_id}")
}

/// Whether one attach attempt left the sandbox waiting.
enum Attempt {
    Started,
    Waiting,
    /// The sandbox is gone, stopped, or a newer start took over.
    Superseded,
}

/// One attach attempt for a creating/starting sandbox: `started` once its
/// workspace volume attaches; otherwise it stays where it is.
fn attach_once(d: &Daytona, id: &str, generation: u64) -> Attempt {
    let now = d.now();
    let mut state = d.state();
    if state.start_generation.get(id) != Some(&generation) {
        return Attempt::Superseded;
    }
    if !state.sandboxes.get(id).is_some_and(|s| matches!(s.state, SandboxState::Creating | SandboxState::Starting)) {
        return Attempt::Superseded;
    }
    let volume = state.storage.provision(&pvc_name(id), &now);
    match state.storage.attach(&volume, &pod_name(id), &now) {
        longhorn::Attach::Attached => {
            if let Some(s) = state.sandboxes.get_mut(id) {
                s.state = SandboxState::Started;
                s.updated_at = now;
            }
            Attempt::Started
        }
        longhorn::Attach::Refused => Attempt::Waiting,
    }
}

/// Starts a creating/starting sandbox: after the start delay its workspace
/// volume is attached, retried with the attach/detach controller's exponential
/// backoff (1 s doubling, at most 2m2s) while it is refused; the kubelet reports
/// `FailedMount` every mount timeout the pod keeps waiting. Only the latest
/// start of a sandbox acts.
pub(super) fn begin_start(d: Arc<Daytona>, id: String) {
    let generation = {
        let mut state = d.state();
        let g = state.start_generation.entry(id.clone()).or_insert(0);
        *g += 1;
        *g
    };
    tokio::spawn(async move {
        crate::timer::sleep(d.start_delay()).await;
        let mount_timeout = Duration::from_secs(d.config.storage.mount_timeout_seconds.max(1));
        let mut backoff = Duration::from_secs(1);
        let mut waited = Duration::ZERO;
        let mut next_mount_report = mount_timeout;
        loop {
            match attach_once(&d, &id, generation) {
                Attempt::Started | Attempt::Superseded => return,
                Attempt::Waiting => {}
            }
            let step = backoff.min(next_mount_report.saturating_sub(waited)).max(Duration::from_millis(100));
            crate::timer::sleep(step).await;
            waited += step;
            if waited >= next_mount_report {
                next_mount_report += mount_timeout;
                let now = d.now();
                let pod = pod_name(&id);
                let mut state = d.state();
                if state.start_generation.get(&id) == Some(&generation) {
                    state.storage.mount_timed_out(&pod, &now);
                }
            } else {
                backoff = (backoff * 2).min(Duration::from_secs(longhorn::MAX_ATTACH_BACKOFF_SECONDS));
            }
        }
    });
}

/// The states a list may filter by: every state but `destroyed`.
const QUERY_STATES: [SandboxState; 7] = [
    SandboxState::Creating,
    SandboxState::Started,
    SandboxState::Stopped,
    SandboxState::Starting,
    SandboxState::Stopping,
    SandboxState::Destroying,
    SandboxState::Error,
];

/// `GET /api/sandbox?cursor&limit&labels&states`: `labels` is a JSON-encoded object
/// every listed sandbox's labels contain; `states` (repeated, as the SDK's generated
/// client sends an array) keeps only sandboxes in one of them. Destroyed sandboxes
/// are never listed.
pub(super) async fn list(
    Authorized { d, path }: Authorized,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let values = |name: &str| super::volumes::query_values(query.as_deref(), name);
    let limit = match values("limit").first().map(|l| l.parse::<usize>()) {
        None => 100,
        Some(Ok(l)) if l >= 1 => l.min(200),
        Some(_) => return d.error(&path, StatusCode::BAD_REQUEST, "limit must be a positive integer"),
    };
    let cursor = values("cursor").into_iter().next();
    let labels: BTreeMap<String, String> = match values("labels").first() {
        None => BTreeMap::new(),
        Some(text) => match serde_json::from_str(text) {
            Ok(l) => l,
            Err(_) => {
                let msg = "labels must be a JSON encoded object of string values";
                return d.error(&path, StatusCode::BAD_REQUEST, msg);
            }
        },
    };
    let mut states = Vec::new();
    for text in values("states").iter().flat_map(|v| v.split(',').map(str::to_string).collect::<Vec<_>>()) {
        match QUERY_STATES
            .iter()
            .find(|s| serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_string)) == Some(text.clone()))
        {
            Some(state) => states.push(*state),
            None => {
                let names: Vec<String> = QUERY_STATES
                    .iter()
                    .filter_map(|s| serde_json::to_value(s).ok()?.as_str().map(str::to_string))
                    .collect();
                let msg = format!("each value in states must be one of the following values: {}", names.join(", "));
                return d.error(&path, StatusCode::BAD_REQUEST, &msg);
            }
        }
    }
    let all: Vec<Sandbox> = d
        .state()
        .sandboxes
        .values()
        .filter(|s| s.state != SandboxState::Destroyed)
        .filter(|s| states.is_empty() || states.contains(&s.state))
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(v)))
        .cloned()
        .collect();
    let start = cursor.as_ref().and_then(|c| all.iter().position(|s| &s.id == c)).map(|i| i + 1).unwrap_or(0);
    let page: Vec<SandboxDoc<'_>> = all.iter().skip(start).take(limit).map(|s| sandbox_json(&d, s, false)).collect();
    let next = if start + limit < all.len() { all.get(start + limit - 1).map(|s| s.id.clone()) } else { None };
    Json(json!({"items": page, "nextCursor": next})).into_response()
}

/// Finds a sandbox by id or name.
pub(super) fn lookup(d: &Daytona, id_or_name: &str) -> Option<Sandbox> {
    let state = d.state();
    state.sandboxes.get(id_or_name).or_else(|| state.sandboxes.named(id_or_name)).cloned()
}

pub(super) fn sandbox_not_found(d: &Daytona, path: &str, id: &str) -> Response {
    d.error(path, StatusCode::NOT_FOUND, &format!("Sandbox with ID or name {id} not found"))
}

pub(super) async fn get_one(Authorized { d, path }: Authorized, Path(id): Path<String>) -> Response {
    // Written from the record itself (under the state's lock), not a copy of it.
    let state = d.state();
    match state.sandboxes.get(&id).or_else(|| state.sandboxes.named(&id)) {
        Some(s) => sandbox_response(&sandbox_json(&d, s, true)),
        None => {
            drop(state);
            sandbox_not_found(&d, &path, &id)
        }
    }
}

/// Applies a state transition to a sandbox and answers with it.
fn transition(
    d: &Arc<Daytona>,
    path: &str,
    id: &str,
    change: impl FnOnce(&mut Sandbox) -> Result<(), String>,
) -> Response {
    let Some(found) = lookup(d, id) else {
        return sandbox_not_found(d, path, id);
    };
    let result = {
        let mut state = d.state();
        let s = state.sandboxes.get_mut(&found.id).expect("looked up above under the same lock order");
        change(s).map(|()| {
            s.updated_at = d.now();
            s.clone()
        })
    };
    match result {
        Ok(s) => sandbox_response(&sandbox_json(d, &s, true)),
        Err(msg) => d.error(path, StatusCode::BAD_REQUEST, &msg),
    }
}

pub(super) async fn start(Authorized { d, path }: Authorized, Path(id): Path<String>) -> Response {
    if let Err(refused) = runner_available(&d, &path) {
        return refused;
    }
    let restarting = lookup(&d, &id).is_some_and(|s| matches!(s.state, SandboxState::Stopped | SandboxState::Error));
    let response = transition(&d, &path, &id, |s| match s.state {
        SandboxState::Stopped | SandboxState::Error => {
            s.state = SandboxState::Starting;
            s.desired_state = SandboxState::Started;
            Ok(())
        }
        SandboxState::Started | SandboxState::Starting | SandboxState::Creating => Ok(()),
        other => {
            Err(format!("Sandbox is not in a startable state: {}", serde_json::to_value(other).unwrap_or_default()))
        }
    });
    if let Some(s) = lookup(&d, &id).filter(|_| restarting) {
        begin_start(d.clone(), s.id);
    }
    response
}

pub(super) async fn stop(Authorized { d, path }: Authorized, Path(id): Path<String>) -> Response {
    let sandbox_id = lookup(&d, &id).map(|s| s.id);
    let response = transition(&d, &path, &id, |s| match s.state {
        SandboxState::Started | SandboxState::Starting | SandboxState::Stopped => {
            s.state = SandboxState::Stopped;
            s.desired_state = SandboxState::Stopped;
            Ok(())
        }
        _ => Err("Sandbox is not started".to_string()),
    });
    release_volume(&d, sandbox_id, false);
    response
}

/// The sandbox's pod is gone: its workspace volume detaches, or with `delete`
/// its PVC is deleted and the volume with it.
fn release_volume(d: &Daytona, sandbox_id: Option<String>, delete: bool) {
    let Some(s) = sandbox_id.and_then(|id| d.state().sandboxes.get(&id).cloned()) else {
        return;
    };
    if !matches!(s.state, SandboxState::Stopped | SandboxState::Destroyed) {
        return;
    }
    let mut state = d.state();
    let volume = state.storage.volume_of_claim(&pvc_name(&s.id)).map(|v| v.name.clone());
    if let Some(v) = volume {
        if delete {
            state.storage.delete(&v);
        } else {
            state.storage.detach(&v);
        }
    }
}

pub(super) async fn destroy(Authorized { d, path }: Authorized, Path(id): Path<String>) -> Response {
    let sandbox_id = lookup(&d, &id).map(|s| s.id);
    let response = transition(&d, &path, &id, |s| {
        s.state = SandboxState::Destroyed;
        s.desired_state = SandboxState::Destroyed;
        Ok(())
    });
    release_volume(&d, sandbox_id, true);
    response
}

pub(super) async fn toolbox_proxy_url(Authorized { d, path }: Authorized, Path(id): Path<String>) -> Response {
    match lookup(&d, &id) {
        Some(_) => Json(json!({"url": format!("{}/toolbox", d.config.public_url)})).into_response(),
        None => sandbox_not_found(&d, &path, &id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Daytona with the default configuration, an echoing shell and the system clock.
    fn daytona() -> Arc<Daytona> {
        Daytona::new(
            super::super::DaytonaConfig::default(),
            Arc::new(super::super::EchoShell),
            Arc::new(crate::clock::SystemClock),
        )
    }

    fn sandbox(number: u64, name: Option<&str>) -> Sandbox {
        let id = format!("sbx-{number:08x}");
        Sandbox {
            name: name.map(str::to_string).unwrap_or_else(|| id.clone()),
            id,
            env: BTreeMap::new(),
            labels: BTreeMap::new(),
            state: SandboxState::Creating,
            desired_state: SandboxState::Started,
            error_reason: None,
            volumes: Vec::new(),
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    /// The typed sandbox document is, byte for byte, the `Value` one it replaced:
    /// with and without `env`, labels, volumes, an error reason, every state.
    #[test]
    fn the_sandbox_document_is_the_value_one_byte_for_byte() {
        let d = daytona();
        let mut full = sandbox(7, Some("lane-a"));
        full.env = BTreeMap::from([("B".into(), "2".into()), ("A".into(), "\"quoted\" é".into())]);
        full.labels = BTreeMap::from([("agentsquad.run".into(), "run-1".into()), ("a".into(), String::new())]);
        full.volumes = vec![json!({"volumeId": "vol-1", "mountPath": "/workspace"})];
        full.error_reason = Some("disk full".into());
        full.created_at = "2026-01-01T00:00:00.000Z".into();
        full.updated_at = "2026-01-01T00:00:01.000Z".into();
        let states = [
            SandboxState::Creating,
            SandboxState::Started,
            SandboxState::Stopped,
            SandboxState::Destroyed,
            SandboxState::Error,
        ];
        for (i, state) in states.into_iter().enumerate() {
            for s in [&sandbox(i as u64, None), &full] {
                let mut s = s.clone();
                s.state = state;
                for with_env in [false, true] {
                    let typed = serde_json::to_string(&sandbox_json(&d, &s, with_env)).expect("serializes");
                    let value = serde_json::to_string(&sandbox_value(&d, &s, with_env)).expect("serializes");
                    assert_eq!(typed, value, "{state:?}, env {with_env}");
                }
            }
        }
    }

    /// A sandbox's `env` written once and kept gives, at every later answer,
    /// the bytes the `Value` document gives, for each of several sandboxes.
    #[test]
    fn a_kept_env_document_is_the_value_one_byte_for_byte_at_every_answer() {
        let d = daytona();
        let mounts = r#"[{"server":"hud","url":"http://fractalops-hud:8080/mcp","tools":["a","b"]}]"#;
        let sandboxes: Vec<Sandbox> = (1..=4u64)
            .map(|n| {
                let mut s = sandbox(n, None);
                s.env = BTreeMap::from([
                    ("AGENTSQUAD_MCP_SERVERS".into(), mounts.into()),
                    ("AGENTSQUAD_AGENT_ID".into(), format!("agent-{n}")),
                    ("CONTROL".into(), "tab\there\nline\u{1}é😀\\".into()),
                    ("EMPTY".into(), String::new()),
                ]);
                s.env.extend((0..n).map(|i| (format!("EXTRA_{i}"), "x".repeat(i as usize))));
                s.labels = BTreeMap::from([("agentsquad.run".into(), format!("run-{n}"))]);
                s
            })
            .chain([sandbox(9, Some("no-env"))])
            .collect();
        for round in 0..3 {
            for s in &sandboxes {
                for with_env in [true, false] {
                    let typed = serde_json::to_string(&sandbox_json(&d, s, with_env)).expect("serializes");
                    let value = serde_json::to_string(&sandbox_value(&d, s, with_env)).expect("serializes");
                    assert_eq!(typed, value, "{} round {round}, env {with_env}", s.id);
                }
            }
            assert_eq!(d.env_docs.lock().expect("not poisoned").len(), sandboxes.len());
        }
    }

    /// The answer written into a `Vec` is, status, headers and bytes, axum's `Json` answer.
    #[test]
    fn a_sandbox_answer_is_axums_json_answer() {
        let d = daytona();
        let mut big = sandbox(3, Some("big"));
        big.env = (0..200).map(|i| (format!("VAR_{i}"), format!("\"{}\"", "v".repeat(i)))).collect();
        big.labels = BTreeMap::from([("agentsquad.run".into(), "run-1".into())]);
        big.volumes = vec![json!({"volumeId": "vol-1", "mountPath": "/workspace"})];
        let body = |r: Response| {
            let (parts, body) = r.into_parts();
            let bytes = futures::executor::block_on(axum::body::to_bytes(body, usize::MAX)).expect("a full body");
            (parts.status, parts.headers, bytes)
        };
        for s in [sandbox(1, None), big] {
            for with_env in [true, false] {
                let ours = body(sandbox_response(&sandbox_json(&d, &s, with_env)));
                let axums = body(Json(sandbox_json(&d, &s, with_env)).into_response());
                assert_eq!(ours, axums, "{}, env {with_env}", s.id);
            }
        }
    }

    /// The scan the index replaces: the first sandbox in id order with that name, not destroyed.
    fn scanned<'a>(sandboxes: &'a Sandboxes, name: &str) -> Option<&'a Sandbox> {
        sandboxes.values().find(|s| s.name == name && s.state != SandboxState::Destroyed)
    }

    #[test]
    fn a_name_finds_what_a_scan_of_every_sandbox_finds_through_creates_and_destroys() {
        let mut sandboxes = Sandboxes::default();
        let names = ["lane-a", "lane-b", "lane-c", "sbx-00000003"];
        let probes = ["lane-a", "lane-b", "lane-c", "lane-d", "sbx-00000003", "sbx-00000005", "sbx-00000020"];
        let check = |sandboxes: &Sandboxes, when: &str| {
            for probe in probes {
                assert_eq!(
                    sandboxes.named(probe).map(|s| &s.id),
                    scanned(sandboxes, probe).map(|s| &s.id),
                    "{probe} {when}"
                );
            }
        };
        for number in 1..=60u64 {
            // Some unnamed (named by their id), the rest reusing a few names.
            let name = (number % 5 != 0).then(|| names[(number % 4) as usize]);
            sandboxes.insert(sandbox(number, name));
            check(&sandboxes, &format!("after creating {number}"));
            // Destroy, stop or start earlier sandboxes out of creation order.
            let victim = format!("sbx-{:08x}", (number * 37 + 11) % number + 1);
            if let Some(s) = sandboxes.get_mut(&victim) {
                s.state = match number % 3 {
                    0 => SandboxState::Destroyed,
                    1 => SandboxState::Stopped,
                    _ => SandboxState::Started,
                };
            }
            check(&sandboxes, &format!("after changing {victim}"));
        }
        // Every sandbox of a name destroyed: no match, as with the scan.
        let lane_a: Vec<String> = sandboxes.values().filter(|s| s.name == "lane-a").map(|s| s.id.clone()).collect();
        assert!(lane_a.len() > 5);
        for id in &lane_a {
            sandboxes.get_mut(id).expect("created above").state = SandboxState::Destroyed;
            check(&sandboxes, &format!("after destroying {id}"));
        }
        assert!(sandboxes.named("lane-a").is_none());
    }
}
