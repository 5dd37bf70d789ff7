//! What an agent process does for its role's delivery work, after its scripted
//! tool calls and before its handoffs (the agentsquad delivery graph: planning ->
//! implementation -> PR via the CodexGate App -> tester evidence -> committer
//! merge -> closer lineage).
//!
//! Only the decisions are scripted ([`AgentBehaviour`]: which steps the model
//! forgets, whether it complies with a wall's fallback prompt, how a committer
//! decides); every step is a real call: MCP tools through the gateway, files and
//! Git through the Daytona toolbox of its own sandbox, GitHub REST with the token
//! the platform put in its execution workspace.
//!
//! Guarantees: an agent hands on (and so its handoffs carry delivery references)
//! only when it did all of its role's work in this attempt; work the model left
//! undone (a forgotten step, a refused fallback prompt) is [`Work::Short`], which
//! the lane's wall judges; work that stopped on a failed call (a tool error, a
//! tool its palette lacks, GitHub or the toolbox refusing or not answering) is
//! [`Work::Stopped`] with the no-progress report the agent ends its attempt with,
//! coded with its lane's blocker ([`Wall::blocker`]); a retried attempt works in
//! the same execution workspace and builds the pull request from the worktree's
//! current file contents (`github_app_pr_handoff`).

use base64::Engine;
use futures::future::join_all;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_json::{json, Value};
use squadsim_fakes::net::{HttpError, HttpRequest};

use squadsim_conformance::vocabulary::Wall;

use crate::platform::hud;
use crate::platform::studio::delivery::{self, Refusal, ENV_GITHUB_API_URL, ENV_GITHUB_TOKEN, ENV_REPOSITORY};
use crate::platform::studio::worktree::{
    Toolbox, ToolboxError, ASSEMBLY_WORKTREE, BASE_BRANCH, ENV_LANE_BRANCH, ENV_WORKTREE,
};
use crate::platform::workspace::adapters::{self, NoProgressReport};
use crate::platform::workspace::agent_process::{AgentProcess, ENV_AGENT_ID, ENV_ROLE, ENV_RUN_ID};
use crate::scenario::{DeliveryStep, MergeDecision, RetryBehaviour};

/// What the attempt's work produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Work {
    /// Every step of the role's work was done; the delivery references its handoffs carry.
    Done(Vec<String>),
    /// The model left work undone and believes it is done (a forgotten step, a
    /// refused fallback prompt, a dispatch prompt that elicited no tool call): it
    /// hands nothing on and ends normally; the lane's wall judges it.
    Short,
    /// A call failed and the work stopped there: the agent reports no progress.
    Stopped(NoProgressReport),
}

impl Work {
    /// The work of a `wall`'s lane stopped on a failed call, for `reason`.
    fn stopped(wall: Wall, reason: impl ToString) -> Work {
        Work::Stopped(NoProgressReport { blocker_code: wall.blocker(), reason: reason.to_string() })
    }
}

/// The call an agent's work stopped on, and why: the reason of its no-progress report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FailedCall {
    /// A tool call (named by its label) its palette lacks.
    NotInPalette { label: String },
    /// A tool call (named by its label) answered with an error result.
    ToolError { label: String, text: String },
    /// GitHub refused a REST call.
    GithubRefused(Refusal),
    /// GitHub gave no answer.
    GithubNoAnswer(HttpError),
    /// The Daytona toolbox refused or gave no answer.
    Toolbox(ToolboxError),
    /// The pull request would not open, and no open one was found for the lane branch.
    PullRequestNotOpened,
    /// Evidence was asked for something that is no delivery reference.
    NotAReference(String),
    /// A merge was asked for something that is no pull request URL.
    NotAPullRequest(String),
    /// GitHub would not merge the pull request of `reference`.
    MergeRefused { reference: String, cause: Box<FailedCall> },
}

impl std::fmt::Display for FailedCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FailedCall::NotInPalette { label } => write!(f, "{label}: not in the palette"),
            FailedCall::ToolError { label, text } => write!(f, "{label}: {text}"),
            FailedCall::GithubRefused(refusal) => refusal.fmt(f),
            FailedCall::GithubNoAnswer(e) => e.fmt(f),
            FailedCall::Toolbox(e) => e.fmt(f),
            FailedCall::PullRequestNotOpened => f.write_str("the pull request could not be opened"),
            FailedCall::NotAReference(reference) => write!(f, "not a reference: {reference}"),
            FailedCall::NotAPullRequest(reference) => write!(f, "{reference} is not a pull request URL"),
            FailedCall::MergeRefused { reference, cause } => write!(f, "merge of {reference} refused: {cause}"),
        }
    }
}

impl std::error::Error for FailedCall {}

impl From<ToolboxError> for FailedCall {
    fn from(e: ToolboxError) -> Self {
        FailedCall::Toolbox(e)
    }
}

/// Does the role's delivery work.
pub(crate) async fn perform(p: &AgentProcess) -> Work {
    // A dispatch prompt that elicits no tool call elicits no work (and no handoff) either.
    if p.behaviour.tool_calls.as_ref().is_some_and(Vec::is_empty) {
        return Work::Short;
    }
    let retried = adapters::retried_wall(&p.command.prompt);
    if retried.is_some() && p.behaviour.on_retry == Some(RetryBehaviour::Refuse) {
        return Work::Short;
    }
    let forgets = |step: DeliveryStep| retried.is_none() && p.behaviour.skips.iter().flatten().any(|s| *s == step);
    let inbox = delivery::references_in(&p.command.prompt);
    match p.env(ENV_ROLE).as_str() {
        "planner" => {
            if forgets(DeliveryStep::UseMemory) {
                return Work::Short;
            }
            match p.tool("memory_search", json!({"query": p.env(ENV_RUN_ID)})).await {
                Ok(()) => Work::Done(Vec::new()),
                Err(failed) => Work::stopped(Wall::Planner, failed),
            }
        }
        "implementer" => implement(p, &forgets).await,
        "tester" => {
            for lot in inbox.chunks(p.calls_per_turn()) {
                if forgets(DeliveryStep::CaptureEvidence) {
                    return Work::Short;
                }
                let shots = lot.iter().map(|r| ("browser_take_screenshot".to_string(), json!({"url": r}))).collect();
                if let Err(failed) = p.tools(shots).await {
                    return Work::stopped(Wall::Tester, failed);
                }
                if forgets(DeliveryStep::AttachEvidence) {
                    return Work::Short;
                }
                let attached = join_all(lot.iter().map(|reference| {
                    let body =
                        format!("Evidence from {}: PlaywrightGrid screenshot of {reference}", p.env(ENV_AGENT_ID));
                    async move { comment(p, reference, &body).await }
                }))
                .await;
                if let Some((reference, Err(e))) = lot.iter().zip(attached).find(|(_, a)| a.is_err()) {
                    let failed = format!("evidence on {reference}: {e}");
                    p.note(&format!("evidence not attached: {failed}"));
                    return Work::stopped(Wall::Tester, failed);
                }
            }
            Work::Done(inbox)
        }
        "committer" => {
            for lot in inbox.chunks(p.calls_per_turn()) {
                if forgets(DeliveryStep::MergeDecision) {
                    return Work::Short;
                }
                if let Err(failed) = decide_merges(p, lot, &forgets).await {
                    return Work::stopped(Wall::Committer, failed);
                }
            }
            Work::Done(inbox)
        }
        "closer" => {
            for lot in inbox.chunks(p.calls_per_turn()) {
                if forgets(DeliveryStep::PublishLineage) {
                    return Work::Short;
                }
                let lineage =
                    lot.iter().map(|r| ("publish_lineage".to_string(), json!({"delivery_reference": r}))).collect();
                if let Err(failed) = p.tools(lineage).await {
                    return Work::stopped(Wall::Closer, failed);
                }
            }
            Work::Done(inbox)
        }
        _ => Work::Done(inbox),
    }
}

impl AgentProcess {
    /// A model turn calling `bare` with `arguments`: `Err` says why the call failed.
    async fn tool(&self, bare: &str, arguments: Value) -> Result<(), FailedCall> {
        self.tools(vec![(bare.to_string(), arguments)]).await
    }

    /// Independent tool calls in as few turns as the model allows: `Err` names the
    /// first call that failed (a tool its palette lacks, or an error answer) and why.
    async fn tools(&self, calls: Vec<(String, Value)>) -> Result<(), FailedCall> {
        self.labelled_tools(calls.into_iter().map(|(name, arguments)| (name.clone(), name, arguments)).collect()).await
    }

    /// [`AgentProcess::tools`], each call `(label, tool, arguments)` named by its label when it fails.
    pub(crate) async fn labelled_tools(&self, calls: Vec<(String, String, Value)>) -> Result<(), FailedCall> {
        let (labels, calls): (Vec<String>, Vec<(String, Value)>) =
            calls.into_iter().map(|(label, name, arguments)| (label, (name, arguments))).unzip();
        let answers = self.call_tools(calls).await;
        match labels.iter().zip(answers).find(|(_, answer)| answer.as_ref().is_none_or(|(_, is_error)| *is_error)) {
            None => Ok(()),
            Some((label, None)) => Err(FailedCall::NotInPalette { label: label.clone() }),
            Some((label, Some((text, _)))) => Err(FailedCall::ToolError { label: label.clone(), text }),
        }
    }

    fn toolbox(&self) -> Toolbox {
        Toolbox::new(self.http.clone(), &self.daytona_url, &self.daytona_api_key, &self.spec.sandbox_id)
    }

    /// A GitHub REST call with the token of the execution workspace.
    /// A GitHub call with the workspace's token, its answer read into the
    /// caller's shape `T` (only the fields it names are built; [`IgnoredAny`]
    /// when it wants only success); a body that does not parse reads as `T::default()`.
    async fn github<T: DeserializeOwned + Default>(&self, request: HttpRequest) -> Result<T, FailedCall> {
        let request = request.bearer(&self.env(ENV_GITHUB_TOKEN)).header("accept", "application/vnd.github+json");
        match self.http.send(request).await {
            Ok(r) if r.status.is_success() => Ok(r.json_as()),
            Ok(r) => Err(FailedCall::GithubRefused(Refusal::read(&r))),
            Err(e) => Err(FailedCall::GithubNoAnswer(e)),
        }
    }

    fn api(&self, path: &str) -> String {
        format!("{}{path}", self.env(ENV_GITHUB_API_URL))
    }
}

/// Implementer: change the agent-owned worktree, commit, then push the lane
/// branch through the App and open the pull request from the current file contents.
async fn implement(p: &AgentProcess, forgets: &(dyn Fn(DeliveryStep) -> bool + Sync)) -> Work {
    let toolbox = p.toolbox();
    let worktree = p.env(ENV_WORKTREE);
    let agent_id = p.env(ENV_AGENT_ID);
    if p.behaviour.write_to_assembly == Some(true) {
        let refused = toolbox.upload(&format!("{ASSEMBLY_WORKTREE}/{agent_id}.md"), b"lane notes\n").await;
        let refused = refused.err().map_or_else(|| "accepted".to_string(), |e| e.to_string());
        p.note(&format!("write to the assembly worktree: {refused}"));
    }
    let file = format!("{worktree}/lanes/{agent_id}.md");
    if forgets(DeliveryStep::WriteChanges) {
        return Work::Short;
    }
    if toolbox.download(&file).await.is_err() {
        let content = format!("# {agent_id}\n\nLane change for run {}.\n", p.env(ENV_RUN_ID));
        if let Err(e) = toolbox.upload(&file, content.as_bytes()).await {
            return Work::stopped(Wall::Delivery, format!("writing {file}: {e}"));
        }
    }
    if forgets(DeliveryStep::Commit) {
        return Work::Short;
    }
    let status = toolbox.git_status(&worktree).await.unwrap_or_default();
    if status.get("fileStatus").and_then(Value::as_array).is_some_and(|f| !f.is_empty()) {
        let add = toolbox.post("/git/add", Some(json!({"path": worktree, "files": ["."]}))).await;
        let message = format!("{agent_id}: lane change");
        let email = format!("{agent_id}@agents.fractalops.dev");
        let commit = json!({"path": worktree, "message": message, "author": agent_id, "email": email});
        let committed = match add {
            Ok(_) => toolbox.post("/git/commit", Some(commit)).await,
            Err(e) => Err(e),
        };
        if let Err(e) = committed {
            return Work::stopped(Wall::Delivery, format!("committing in {worktree}: {e}"));
        }
    }
    if forgets(DeliveryStep::OpenPullRequest) {
        return Work::Short;
    }
    match pull_request_from_worktree(p, &toolbox, &worktree, !forgets(DeliveryStep::Push)).await {
        Ok(url) => Work::Done(vec![url]),
        Err(e) => {
            p.note(&format!("pull request not opened: {e}"));
            Work::stopped(Wall::Delivery, format!("pull request not opened: {e}"))
        }
    }
}

/// `github_app_pr_handoff`: with `push`, the lane branch on GitHub gets the
/// worktree's current file contents (one Contents API commit per file); then the
/// pull request opens (or the open one is reused). Returns its `html_url`.
async fn pull_request_from_worktree(
    p: &AgentProcess,
    toolbox: &Toolbox,
    worktree: &str,
    push: bool,
) -> Result<String, FailedCall> {
    let repo = p.env(ENV_REPOSITORY);
    let branch = p.env(ENV_LANE_BRANCH);
    if push {
        push_lane_branch(p, toolbox, worktree, &repo, &branch).await?;
    }
    open_pull_request(p, &repo, &branch).await
}

/// The lane branch on GitHub (created from the base when missing) gets the worktree's files.
async fn push_lane_branch(
    p: &AgentProcess,
    toolbox: &Toolbox,
    worktree: &str,
    repo: &str,
    branch: &str,
) -> Result<(), FailedCall> {
    let base: GitRef = p.github(HttpRequest::get(p.api(&format!("/repos/{repo}/git/ref/heads/{BASE_BRANCH}")))).await?;
    let sha = base.object.and_then(|o| o.sha).unwrap_or_default();
    let lane_ref = HttpRequest::get(p.api(&format!("/repos/{repo}/git/ref/heads/{branch}")));
    let have_branch = p.github::<IgnoredAny>(lane_ref).await.is_ok();
    if !have_branch {
        let create = json!({"ref": format!("refs/heads/{branch}"), "sha": sha});
        p.github::<IgnoredAny>(HttpRequest::post(p.api(&format!("/repos/{repo}/git/refs"))).json(&create)).await?;
    }
    for path in toolbox.files_under(worktree).await? {
        let content = toolbox.download(&format!("{worktree}/{path}")).await?;
        let url = p.api(&format!("/repos/{repo}/contents/{path}"));
        let current: Option<FileContent> = p.github(HttpRequest::get(format!("{url}?ref={branch}"))).await.ok();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&content);
        if current.as_ref().and_then(|c| c.content.as_deref()).map(|c| c.replace('\n', "")) == Some(encoded.clone()) {
            continue;
        }
        let mut put =
            json!({"message": format!("{path} from the agent-owned worktree"), "content": encoded, "branch": branch});
        if let Some(blob) = current.and_then(|c| c.sha) {
            put["sha"] = blob;
        }
        p.github::<IgnoredAny>(HttpRequest::new(hyper::Method::PUT, url).json(&put)).await?;
    }
    Ok(())
}

/// Opens the lane's pull request, or finds the one already open for its branch.
async fn open_pull_request(p: &AgentProcess, repo: &str, branch: &str) -> Result<String, FailedCall> {
    let agent_id = p.env(ENV_AGENT_ID);
    let open = json!({
        "title": format!("{agent_id}: lane delivery"),
        "head": branch,
        "base": BASE_BRANCH,
        "body": format!("Lane work of {agent_id} (run {}).", p.env(ENV_RUN_ID)),
    });
    match p.github::<PullRead>(HttpRequest::post(p.api(&format!("/repos/{repo}/pulls"))).json(&open)).await {
        Ok(pr) => Ok(pr.html_url.unwrap_or_default()),
        Err(_) => {
            let owner = repo.split('/').next().unwrap_or_default();
            let url = p.api(&format!("/repos/{repo}/pulls?state=open&head={owner}:{branch}"));
            let list: Vec<PullRead> = p.github(HttpRequest::get(url)).await?;
            let label = format!("{owner}:{branch}");
            list.into_iter()
                .find(|pr| pr.head.as_ref().and_then(|h| h.label.as_deref()) == Some(label.as_str()))
                .and_then(|pr| pr.html_url)
                .ok_or(FailedCall::PullRequestNotOpened)
        }
    }
}

/// What the workspace reads of a git reference (`GET .../git/ref/...`).
#[derive(Default, Deserialize)]
struct GitRef {
    object: Option<GitObject>,
}

#[derive(Default, Deserialize)]
struct GitObject {
    sha: Option<String>,
}

/// What the workspace reads of a file's contents (`GET .../contents/...`):
/// its base64 content and its blob `sha` (sent back as it came to replace it).
#[derive(Default, Deserialize)]
struct FileContent {
    content: Option<String>,
    sha: Option<Value>,
}

/// What the workspace reads of a pull request it opened or found.
#[derive(Default, Deserialize)]
struct PullRead {
    html_url: Option<String>,
    head: Option<PullHead>,
}

#[derive(Default, Deserialize)]
struct PullHead {
    label: Option<String>,
}

/// Tester evidence: a comment on the pull request or issue.
async fn comment(p: &AgentProcess, reference: &str, body: &str) -> Result<IgnoredAny, FailedCall> {
    let api_url = p.env(ENV_GITHUB_API_URL);
    let (owner, repo, _, n) = delivery::parse_reference(&api_url, reference)
        .ok_or_else(|| FailedCall::NotAReference(reference.to_string()))?;
    let url = p.api(&format!("/repos/{owner}/{repo}/issues/{n}/comments"));
    p.github(HttpRequest::post(url).json(&json!({"body": body}))).await
}

/// Committer, for one turn's worth of delivery references: merge each on GitHub
/// and record `merged`, or record `merge_requested` with `qa_passed`. `Err` says
/// which decision could not be made or recorded, and why.
async fn decide_merges(
    p: &AgentProcess,
    references: &[String],
    forgets: &(dyn Fn(DeliveryStep) -> bool + Sync),
) -> Result<(), FailedCall> {
    let decision = p.behaviour.merge_decision.unwrap_or_default();
    let (state, gate) = match decision {
        MergeDecision::Merged => {
            // A model that forgets the merge still records `merged`.
            if !forgets(DeliveryStep::Merge) {
                let merged = join_all(references.iter().map(|reference| merge(p, reference))).await;
                merged.into_iter().collect::<Result<Vec<()>, FailedCall>>()?;
            }
            ("merged", Value::Null)
        }
        MergeDecision::MergeRequested => ("merge_requested", json!("qa_passed")),
    };
    let records = references
        .iter()
        .map(|reference| {
            let record = json!({
                "run_id": p.env(ENV_RUN_ID),
                "committer_agent_id": p.env(ENV_AGENT_ID),
                "delivery_reference": reference,
                "handoff_state": state,
                "merge_gate_status": gate,
            });
            (hud::RECORD_MERGE_DECISION.to_string(), record)
        })
        .collect();
    p.tools(records).await
}

/// Squash-merges the pull request of `reference` on GitHub; says why on the output when refused.
async fn merge(p: &AgentProcess, reference: &str) -> Result<(), FailedCall> {
    let api_url = p.env(ENV_GITHUB_API_URL);
    let Some((owner, repo, _, n)) = delivery::parse_reference(&api_url, reference) else {
        return Err(FailedCall::NotAPullRequest(reference.to_string()));
    };
    let merge = HttpRequest::new(hyper::Method::PUT, p.api(&format!("/repos/{owner}/{repo}/pulls/{n}/merge")))
        .json(&json!({"merge_method": "squash"}));
    match p.github::<IgnoredAny>(merge).await {
        Ok(_) => Ok(()),
        Err(cause) => {
            let refused = FailedCall::MergeRefused { reference: reference.to_string(), cause: Box::new(cause) };
            p.note(&refused.to_string());
            Err(refused)
        }
    }
}
