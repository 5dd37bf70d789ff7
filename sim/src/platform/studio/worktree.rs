//! Worktrees in an execution workspace (`docs/seeds.md`, delivery-language seed, "Execution
//! Vocabulary Stack"): the agent-owned worktree (a writable Git lane checkout on
//! the lane's own branch) and the assembly worktree (shared, read-only context).
//!
//! Both are set up through the Daytona toolbox's file and Git endpoints, and
//! every read of them goes through the same endpoints ([`Toolbox`]).
//!
//! Guarantees:
//! - every execution workspace gets the assembly worktree, made read-only (mode
//!   `555`) before the agent process starts: the guardrail is the folder mode
//!   the toolbox enforces, so a write there is refused whoever tries it;
//! - only implementer lanes get an agent-owned worktree, checked out on
//!   [`lane_branch`], which is derived from the run and the agent id, never from
//!   a nickname (branch ownership follows routing identity).

use serde_json::{json, Value};
use squadsim_fakes::net::{HttpClient, HttpError, HttpRequest, HttpResponse};

/// Where worktrees live inside a sandbox.
pub const WORKSPACE_ROOT: &str = "/home/daytona/workspace";
/// The shared, read-only assembly worktree.
pub const ASSEMBLY_WORKTREE: &str = "/home/daytona/assembly";

pub const ENV_WORKTREE: &str = "AGENTSQUAD_WORKTREE";
pub const ENV_LANE_BRANCH: &str = "AGENTSQUAD_LANE_BRANCH";
pub const ENV_ASSEMBLY_WORKTREE: &str = "AGENTSQUAD_ASSEMBLY_WORKTREE";
/// The Git URL both worktrees are cloned from.
pub const ENV_REPOSITORY_URL: &str = "AGENTSQUAD_REPOSITORY_URL";
/// The repository's default branch a lane branches from.
pub const BASE_BRANCH: &str = "main";

/// The roles that own a lane (and so a writable worktree).
pub fn owns_lane(role_id: &str) -> bool {
    role_id == "implementer"
}

/// The lane branch of an agent in a run: `agentsquad/<run_id>/<agent_id>`.
pub fn lane_branch(run_id: &str, agent_id: &str) -> String {
    format!("agentsquad/{run_id}/{agent_id}")
}

/// The agent-owned worktree of a repository.
pub fn lane_worktree(repository_name: &str) -> String {
    format!("{WORKSPACE_ROOT}/{repository_name}")
}

/// Why a toolbox call gave nothing back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolboxError {
    /// The toolbox refused: `HTTP <status>: <Daytona's message>` (empty when it gave none).
    Refused { status: u16, message: String },
    /// No answer.
    NoAnswer(HttpError),
}

impl std::fmt::Display for ToolboxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ToolboxError::Refused { status, message } => write!(f, "HTTP {status}: {message}"),
            ToolboxError::NoAnswer(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ToolboxError {}

/// Why the worktrees of an execution workspace could not be set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorktreeSetupError {
    /// The execution workspace's env names no repository to clone.
    NoRepository,
    /// A toolbox call of the setup failed.
    Toolbox(ToolboxError),
}

impl std::fmt::Display for WorktreeSetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorktreeSetupError::NoRepository => f.write_str("the execution workspace names no repository"),
            WorktreeSetupError::Toolbox(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for WorktreeSetupError {}

impl From<ToolboxError> for WorktreeSetupError {
    fn from(e: ToolboxError) -> Self {
        WorktreeSetupError::Toolbox(e)
    }
}

/// The toolbox of one sandbox, over HTTP.
#[derive(Debug, Clone)]
pub struct Toolbox {
    http: HttpClient,
    base: String,
    api_key: String,
}

impl Toolbox {
    /// `daytona_url` is Daytona's public base; requests go to `{daytona_url}/toolbox/{sandbox_id}`.
    pub fn new(http: HttpClient, daytona_url: &str, api_key: &str, sandbox_id: &str) -> Self {
        Toolbox { http, base: format!("{daytona_url}/toolbox/{sandbox_id}"), api_key: api_key.to_string() }
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, ToolboxError> {
        match self.http.send(request.bearer(&self.api_key)).await {
            Ok(r) if r.status.is_success() => Ok(r),
            Ok(r) => Err(ToolboxError::Refused {
                status: r.status.as_u16(),
                message: r.members(["message"])[0].as_str().unwrap_or_default().to_string(),
            }),
            Err(e) => Err(ToolboxError::NoAnswer(e)),
        }
    }

    pub async fn get(&self, path_and_query: &str) -> Result<HttpResponse, ToolboxError> {
        self.send(HttpRequest::get(format!("{}{path_and_query}", self.base))).await
    }

    pub async fn post(&self, path_and_query: &str, body: Option<Value>) -> Result<HttpResponse, ToolboxError> {
        let request = HttpRequest::post(format!("{}{path_and_query}", self.base));
        self.send(match body {
            Some(b) => request.json(&b),
            None => request,
        })
        .await
    }

    /// `POST /files/upload?path=` as the SDK sends it: multipart/form-data, part `file`.
    pub async fn upload(&self, path: &str, content: &[u8]) -> Result<(), ToolboxError> {
        let boundary = "squadsim-toolbox-upload";
        let name = path.rsplit('/').next().unwrap_or("file");
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut request = HttpRequest::post(format!("{}/files/upload?path={path}", self.base))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"));
        request.body = body.into();
        self.send(request).await.map(|_| ())
    }

    pub async fn download(&self, path: &str) -> Result<Vec<u8>, ToolboxError> {
        self.get(&format!("/files/download?path={path}")).await.map(|r| r.body.to_vec())
    }

    /// Every file under `dir`, recursively, as paths relative to `dir`, sorted.
    pub async fn files_under(&self, dir: &str) -> Result<Vec<String>, ToolboxError> {
        let mut found = Vec::new();
        let mut pending = vec![String::new()];
        while let Some(rel) = pending.pop() {
            let at = if rel.is_empty() { dir.to_string() } else { format!("{dir}/{rel}") };
            let listing = self.get(&format!("/files?path={at}")).await?;
            for [name, is_dir] in listing.element_members(["name", "isDir"]).into_iter().flatten() {
                let name = name.as_str().unwrap_or_default();
                let child = if rel.is_empty() { name.to_string() } else { format!("{rel}/{name}") };
                if is_dir.as_bool() == Some(true) {
                    pending.push(child);
                } else {
                    found.push(child);
                }
            }
        }
        found.sort();
        Ok(found)
    }

    /// `GET /git/status?path=`.
    pub async fn git_status(&self, repo: &str) -> Result<Value, ToolboxError> {
        self.get(&format!("/git/status?path={repo}")).await.map(|r| r.json())
    }
}

/// Sets up the worktrees of an execution workspace from its env: the read-only
/// assembly worktree always, and the agent-owned worktree on its lane branch
/// when the env names one.
pub async fn prepare(toolbox: &Toolbox, env: &Value) -> Result<(), WorktreeSetupError> {
    let var = |k: &str| env.get(k).and_then(Value::as_str).filter(|v| !v.is_empty());
    let repository_url = var(ENV_REPOSITORY_URL).ok_or(WorktreeSetupError::NoRepository)?;
    let clone = |path: &str| json!({"url": repository_url, "path": path, "branch": BASE_BRANCH});
    create_once(toolbox, "/git/clone", clone(ASSEMBLY_WORKTREE)).await?;
    toolbox.post(&format!("/files/permissions?path={ASSEMBLY_WORKTREE}&mode=555"), None).await?;
    if let (Some(worktree), Some(branch)) = (var(ENV_WORKTREE), var(ENV_LANE_BRANCH)) {
        create_once(toolbox, "/git/clone", clone(worktree)).await?;
        create_once(toolbox, "/git/branches", json!({"path": worktree, "name": branch})).await?;
        toolbox.post("/git/checkout", Some(json!({"path": worktree, "branch": branch}))).await?;
    }
    Ok(())
}

/// One creating step of the setup (a clone, a branch): a 400 saying what it would create
/// `already exists` is this attempt's own earlier setup (a sandbox is the attempt's alone;
/// an attempt resumed after a Studio restart sets up again what its crashed Studio had),
/// so the step is done.
async fn create_once(toolbox: &Toolbox, path: &str, body: Value) -> Result<(), ToolboxError> {
    match toolbox.post(path, Some(body)).await {
        Err(ToolboxError::Refused { status: 400, message }) if message.contains("already exists") => Ok(()),
        other => other.map(drop),
    }
}
