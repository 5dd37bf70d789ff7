//! The toolbox: processes inside a started sandbox (`/process/execute` and
//! sessions). A command the built-in shell ([`super::shell`]) runs is answered by
//! it; any other goes to the sandbox's launcher, as before.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use super::shell::{Line, Parsed, ShellState};
use super::workspace_fs::HOME;
use super::{Authorized, Daytona, DaytonaState, ProcessOutput, ProcessSpec, SandboxState};

pub(super) struct Command {
    command: String,
    pub(super) output: ProcessOutput,
}

#[derive(Default)]
pub(super) struct Session {
    pub(super) commands: BTreeMap<String, Command>,
    /// The session's shell (working folder, exports), from its first built-in command on.
    shell: Option<ShellState>,
}

/// Runs `command` in the built-in shell when it can ([`shell`]); `None` when it
/// names a program only the launcher has.
fn interpret(d: &Daytona, sandbox_id: &str, command: &str, shell: &mut ShellState) -> Option<(String, i32)> {
    match Line::parse(command, shell) {
        Parsed::External => None,
        Parsed::SyntaxError(e) => Some((format!("sh: 1: {e}\n"), 2)),
        Parsed::Builtin(line) => {
            let mut state = d.state();
            let fs = state.file_systems.entry(sandbox_id.to_string()).or_default();
            Some(line.run(shell, fs))
        }
    }
}

/// A toolbox call on a started sandbox: authorized and the sandbox (path
/// parameter `id`) found and started before the handler runs (Daytona's 401,
/// 404 "Sandbox with ID ... not found" and 400 "Sandbox is not running" otherwise).
/// It holds the sandbox's id, not a copy of its record: a sandbox stays in
/// `DaytonaState::sandboxes` once created (a destroyed one too) and its `env`
/// never changes, so [`StartedSandbox::env`] reads what the record held when the
/// request arrived.
pub(super) struct StartedSandbox {
    pub(super) d: Arc<Daytona>,
    /// The request's path, for error bodies.
    pub(super) path: String,
    pub(super) id: String,
}

impl StartedSandbox {
    /// The sandbox's environment variables, as its create request set them.
    pub(super) fn env(&self) -> BTreeMap<String, String> {
        sandbox_env(&self.d.state(), &self.id)
    }
}

/// The environment variables of the sandbox `id` (none for an unknown id).
fn sandbox_env(state: &DaytonaState, id: &str) -> BTreeMap<String, String> {
    state.sandboxes.get(id).map(|s| s.env.clone()).unwrap_or_default()
}

impl FromRequestParts<Arc<Daytona>> for StartedSandbox {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, d: &Arc<Daytona>) -> Result<Self, Response> {
        let params = RawPathParams::from_request_parts(parts, d).await.map_err(IntoResponse::into_response)?;
        let id = params.iter().find(|(k, _)| *k == "id").map(|(_, v)| v.to_string()).unwrap_or_default();
        let Authorized { d, path } = Authorized::from_request_parts(parts, d).await?;
        let started = d.state().sandboxes.get(&id).map(|sandbox| sandbox.state == SandboxState::Started);
        match started {
            None => Err(d.error(&path, StatusCode::NOT_FOUND, &format!("Sandbox with ID {id} not found"))),
            Some(false) => Err(d.error(&path, StatusCode::BAD_REQUEST, "Sandbox is not running")),
            Some(true) => Ok(StartedSandbox { d, path, id }),
        }
    }
}

/// A toolbox call's JSON body as `T`: Daytona's 400 "invalid request body: …"
/// otherwise, before the handler runs (a body axum cannot read is axum's own
/// refusal, which the router reshapes).
pub(super) struct ToolboxJson<T>(T);

impl<T: DeserializeOwned> FromRequest<Arc<Daytona>> for ToolboxJson<T> {
    type Rejection = Response;

    async fn from_request(request: Request, d: &Arc<Daytona>) -> Result<Self, Response> {
        let path = request.uri().path().to_string();
        let body = Bytes::from_request(request, d).await.map_err(IntoResponse::into_response)?;
        serde_json::from_slice(&body)
            .map(ToolboxJson)
            .map_err(|e| d.error(&path, StatusCode::BAD_REQUEST, &format!("invalid request body: {e}")))
    }
}

#[derive(Deserialize)]
pub(super) struct ExecuteRequest {
    command: String,
    /// Where the command starts (relative to the home; default the home).
    #[serde(default)]
    cwd: Option<String>,
    /// Variables added to the sandbox's environment for this command.
    #[serde(default)]
    envs: Option<BTreeMap<String, String>>,
    /// Seconds (host execution only: the built-in shell never runs long).
    #[serde(default)]
    timeout: Option<u64>,
}

/// `POST /process/execute {command, cwd?, envs?}` runs a command to completion
/// and answers `{exitCode, result}` (the built-in shell's, or the launcher's).
pub(super) async fn execute(sandbox: StartedSandbox, ToolboxJson(req): ToolboxJson<ExecuteRequest>) -> Response {
    let mut env = sandbox.env();
    let StartedSandbox { d, id, .. } = sandbox;
    env.extend(req.envs.unwrap_or_default());
    if let Some(host) = d.host_exec.get() {
        let timeout = req.timeout.map(std::time::Duration::from_secs);
        let (result, code) = host.run(&id, env, req.cwd.as_deref(), &req.command, timeout).await;
        return Json(json!({"exitCode": code, "result": result})).into_response();
    }
    let mut shell = ShellState::new(req.cwd.as_deref().unwrap_or(HOME), env);
    if let Some((result, code)) = interpret(&d, &id, &req.command, &mut shell) {
        return Json(json!({"exitCode": code, "result": result})).into_response();
    }
    let output = ProcessOutput::default();
    let env = sandbox_env(&d.state(), &id);
    d.launcher.launch(ProcessSpec { sandbox_id: id, env, command: req.command }, output.clone());
    let code = wait_for_exit(&output).await;
    Json(json!({"exitCode": code, "result": output.text()})).into_response()
}

async fn wait_for_exit(output: &ProcessOutput) -> i32 {
    loop {
        if let Some(code) = output.exit_code() {
            return code;
        }
        crate::timer::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateSessionRequest {
    session_id: String,
}

pub(super) async fn create_session(
    StartedSandbox { d, path, id }: StartedSandbox,
    ToolboxJson(req): ToolboxJson<CreateSessionRequest>,
) -> Response {
    let mut state = d.state();
    let key = (id, req.session_id);
    if state.sessions.contains_key(&key) {
        return d.error(&path, StatusCode::CONFLICT, "session already exists");
    }
    state.sessions.insert(key, Session::default());
    StatusCode::CREATED.into_response()
}

fn session_json(sid: &str, session: &Session) -> serde_json::Value {
    let commands: Vec<_> = session
        .commands
        .iter()
        .map(|(cid, c)| json!({"id": cid, "command": c.command, "exitCode": c.output.exit_code()}))
        .collect();
    json!({"sessionId": sid, "commands": commands})
}

/// `GET /process/session`: every session of the sandbox with its commands (the
/// sandbox-level view of the workspace logs; each command's output is at `.../logs`).
pub(super) async fn list_sessions(StartedSandbox { d, id, .. }: StartedSandbox) -> Response {
    let state = d.state();
    let sessions: Vec<_> =
        state.sessions.iter().filter(|((sb, _), _)| sb == &id).map(|((_, sid), s)| session_json(sid, s)).collect();
    Json(sessions).into_response()
}

pub(super) async fn get_session(
    Authorized { d, path }: Authorized,
    Path((id, sid)): Path<(String, String)>,
) -> Response {
    let state = d.state();
    match state.sessions.get(&(id, sid.clone())) {
        Some(s) => Json(session_json(&sid, s)).into_response(),
        None => d.error(&path, StatusCode::NOT_FOUND, "session not found"),
    }
}

pub(super) async fn delete_session(
    Authorized { d, path }: Authorized,
    Path((id, sid)): Path<(String, String)>,
) -> Response {
    match d.state().sessions.remove(&(id, sid)) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => d.error(&path, StatusCode::NOT_FOUND, "session not found"),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SessionExecuteRequest {
    command: String,
    #[serde(default)]
    run_async: bool,
    #[serde(default)]
    r#async: bool,
}

/// `POST /process/session/{sid}/exec`: `{cmdId}` at once when async, else waits for the exit.
pub(super) async fn session_exec(
    StartedSandbox { d, path, id: sandbox_id }: StartedSandbox,
    Path((id, sid)): Path<(String, String)>,
    ToolboxJson(req): ToolboxJson<SessionExecuteRequest>,
) -> Response {
    let output = ProcessOutput::default();
    let shell = {
        let mut state = d.state();
        let Some(session) = state.sessions.get_mut(&(id.clone(), sid.clone())) else {
            return d.error(&path, StatusCode::NOT_FOUND, "session not found");
        };
        match session.shell.take() {
            Some(shell) => shell,
            None => ShellState::new(HOME, sandbox_env(&state, &sandbox_id)),
        }
    };
    let mut shell = shell;
    let interpreted = match d.host_exec.get() {
        // On the host each session command starts afresh in the home (no kept `cd`/`export`).
        Some(host) => {
            let env = sandbox_env(&d.state(), &sandbox_id);
            Some(host.run(&sandbox_id, env, None, &req.command, None).await)
        }
        None => interpret(&d, &sandbox_id, &req.command, &mut shell),
    };
    if let Some((text, code)) = &interpreted {
        output.print(text);
        output.exit(*code);
    }
    let cmd_id = {
        let mut state = d.state();
        let Some(session) = state.sessions.get_mut(&(id.clone(), sid.clone())) else {
            return d.error(&path, StatusCode::NOT_FOUND, "session not found");
        };
        session.shell = Some(shell);
        state.next_command += 1;
        let cmd_id = format!("cmd-{:08x}", state.next_command);
        let session = state.sessions.get_mut(&(id.clone(), sid)).expect("checked above under the same lock");
        session.commands.insert(cmd_id.clone(), Command { command: req.command.clone(), output: output.clone() });
        cmd_id
    };
    if interpreted.is_none() {
        let env = sandbox_env(&d.state(), &sandbox_id);
        d.launcher.launch(ProcessSpec { sandbox_id, env, command: req.command }, output.clone());
    }
    if req.run_async || req.r#async {
        return Json(json!({"cmdId": cmd_id})).into_response();
    }
    let code = wait_for_exit(&output).await;
    let text = output.text();
    Json(json!({"cmdId": cmd_id, "output": text, "stdout": text, "exitCode": code})).into_response()
}

fn find_command<R>(d: &Daytona, id: &str, sid: &str, cid: &str, f: impl FnOnce(&str, &Command) -> R) -> Option<R> {
    let state = d.state();
    state.sessions.get(&(id.to_string(), sid.to_string())).and_then(|s| s.commands.get(cid)).map(|c| f(cid, c))
}

pub(super) async fn get_command(
    Authorized { d, path }: Authorized,
    Path((id, sid, cid)): Path<(String, String, String)>,
) -> Response {
    match find_command(
        &d,
        &id,
        &sid,
        &cid,
        |cid, c| json!({"id": cid, "command": c.command, "exitCode": c.output.exit_code()}),
    ) {
        Some(v) => Json(v).into_response(),
        None => d.error(&path, StatusCode::NOT_FOUND, "command not found"),
    }
}

/// `GET .../command/{cid}/logs`: what the command printed so far, as text.
pub(super) async fn command_logs(
    Authorized { d, path }: Authorized,
    Path((id, sid, cid)): Path<(String, String, String)>,
) -> Response {
    match find_command(&d, &id, &sid, &cid, |_, c| c.output.text()) {
        Some(text) => ([("content-type", "text/plain; charset=utf-8")], text).into_response(),
        None => d.error(&path, StatusCode::NOT_FOUND, "command not found"),
    }
}
