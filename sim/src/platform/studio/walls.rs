//! The five mechanical walls (`docs/seeds.md`, delivery-language seed, "Mechanical Walls"): at
//! the end of an agent attempt that met its launch contract, the wall of the
//! agent's lane checks the attempt's result; if the agent drifted, the wall
//! retries it once with its fallback prompt in the same execution workspace,
//! and the retry either clears the wall or records the wall's blocker.
//!
//! Guarantees:
//! - detection reads real state over HTTP, never the scenario: the attempt's
//!   output (Daytona toolbox logs, read through its agent process adapter) for
//!   what its palette carried and which tools it called, the agent-owned worktree (toolbox files and Git status),
//!   GitHub (pull requests, branch contents, comments, merges) and the LangGraph
//!   Agent Server's graph state (merge lifecycle decisions);
//! - a wall is recorded in `Run::walls` (which, why, which fallback, the
//!   retry's outcome), never as a blocker; only a retry that still falls short
//!   blocks the session, which then stands at the wall (`wall_code`) with the
//!   wall's blocker ([`Wall::blocker`]: the seeds' codes for the committer and
//!   delivery walls, model-defined ones for the planner, tester and closer walls);
//! - work that leaves nothing to retry (an implementer with no change and no
//!   pull request) is blocked at once with `github_issue_or_pr_link_missing`;
//! - what a wall could not read is never taken for missing: GitHub refusing (the
//!   403 rate limit), failing or not answering, or the LangGraph Agent Server's
//!   graph state (the merge decisions) not read whole, blocks the session with
//!   `delivery_reference_unreadable` and the read that failed, unless the attempt
//!   itself reported why it made no progress (its own report then stands);
//! - the attempt a wall passes on is the one that decides the session: the
//!   original, or the retry that cleared the wall, with its no-progress report if
//!   it ended with one;
//! - a session left standing at its wall keeps the wall's blocker, and its step
//!   carries the retry's own no-progress report when it made one (a merge GitHub
//!   refused, a tool call the gateway timed out), so the reason is never lost.

use base64::Engine;
use futures::future::join_all;
use serde::Serialize;
use serde_json::Value;
use squadsim_conformance::tool_name;
use squadsim_conformance::vocabulary::{BlockerCode, Wall};

use crate::platform::studio::delivery::{self, DeliveryReference, GithubReadError};
use crate::platform::studio::harness::{self, AgentAttempt, ProcessEnd, Standing};
use crate::platform::studio::worktree::{self, Toolbox};
use crate::platform::studio::Studio;
use crate::platform::workspace::adapters::{fallback_prompt, read_line, OutputEvent};
use crate::{base::templates, platform::grids};

/// A mechanical wall that fired: which, why, which fallback, and the retry's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WallOutcome {
    pub wall: String,
    pub agent_id: String,
    pub reason: String,
    pub fallback: String,
    pub retry_outcome: String,
}

/// The wall guarding an agent's lane, by role.
pub(crate) fn wall_of(role_id: &str) -> Option<Wall> {
    match role_id {
        "planner" => Some(Wall::Planner),
        "implementer" => Some(Wall::Delivery),
        "tester" => Some(Wall::Tester),
        "committer" => Some(Wall::Committer),
        "closer" => Some(Wall::Closer),
        _ => None,
    }
}

/// What a wall found at the end of an attempt.
#[derive(Debug, Clone, PartialEq)]
enum Detection {
    Clear,
    /// The agent drifted: the wall fires, with this reason.
    Drift(String),
    /// Nothing to retry: the work is blocked at once, with this code and reason.
    Blocked(BlockerCode, String),
    /// What the wall must read could not be read (GitHub refused, failed or did
    /// not answer): nothing can be judged, so nothing is retried.
    Unreadable(String),
}

/// Applies the agent's wall to a finished attempt. `Ok` with the end of the
/// attempt that decides the session (the original, or the retry that cleared the
/// wall); `Err` when the wall blocks it.
pub(crate) async fn end_of_attempt(
    studio: &Studio,
    attempt: &AgentAttempt,
    end: ProcessEnd,
) -> Result<ProcessEnd, Standing> {
    let Some(wall) = wall_of(templates::role_of(&attempt.agent_id)) else {
        return Ok(end);
    };
    let reason = match detect(studio, attempt, wall, &end.logs_url).await {
        Detection::Clear => return Ok(end),
        Detection::Drift(reason) => reason,
        found => return judged(found, end, wall),
    };
    update_step(studio, attempt, format!("wall:{}:retry", wall.code()));
    let retry = AgentAttempt {
        command: crate::platform::workspace::agent_process::AttemptCommand {
            prompt: fallback_prompt(&attempt.command.prompt, wall),
            ..attempt.command.clone()
        },
        ..attempt.clone()
    };
    let session = format!("{}-retry", attempt.process_session);
    let verdict = match harness::run_agent_process(studio, &retry, &session).await {
        Ok(Some(retry_end)) => judged(detect(studio, attempt, wall, &retry_end.logs_url).await, retry_end, wall),
        _ => Err(Standing::at(wall)),
    };
    let retry_outcome = match &verdict {
        Ok(end) => match &end.report {
            None => "cleared".to_string(),
            Some(report) => format!("the retried attempt reported no progress: {}", report.blocker_code.label()),
        },
        Err(standing) => match standing.blocker {
            Some(code) => format!("blocked: {}", code.label()),
            None => "blocked".to_string(),
        },
    };
    let record = WallOutcome {
        wall: wall.code().to_string(),
        agent_id: attempt.agent_id.clone(),
        reason,
        fallback: wall.fallback().to_string(),
        retry_outcome,
    };
    crate::base::run_events::wall(&attempt.agent_id, wall.code());
    studio.update_run(&attempt.run_id, |run| run.walls.push(record));
    verdict
}

/// What an attempt's end comes to by what its wall found (after any retry):
/// clear passes it on; drift leaves the session standing at the wall; blocked or
/// unreadable blocks it, unless the attempt's own no-progress report stands (it
/// says why better than a read that failed).
fn judged(found: Detection, end: ProcessEnd, wall: Wall) -> Result<ProcessEnd, Standing> {
    let proof = |code: BlockerCode, why: String| Standing::blocker(code, format!("delivery_proof: {why}"));
    match found {
        Detection::Clear => Ok(end),
        // The wall's drift decides, but the attempt's own report says what it met (a refused merge, say).
        Detection::Drift(_) => Err(match &end.report {
            Some(report) => Standing::at(wall).with_step(format!(
                "wall_retry: the attempt reported {}: {}",
                report.blocker_code.label(),
                report.reason
            )),
            None => Standing::at(wall),
        }),
        _ if end.report.is_some() => Ok(end),
        Detection::Blocked(code, why) => Err(proof(code, why)),
        Detection::Unreadable(why) => Err(proof(BlockerCode::DeliveryReferenceUnreadable, why)),
    }
}

fn update_step(studio: &Studio, attempt: &AgentAttempt, step: String) {
    studio.update_run(&attempt.run_id, |run| {
        if let Some(s) = run.session_mut(&attempt.agent_id) {
            s.current_step = step;
        }
    });
}

async fn detect(studio: &Studio, attempt: &AgentAttempt, wall: Wall, logs_url: &str) -> Detection {
    let stream = AttemptOutput::read(studio, attempt, logs_url).await;
    match wall {
        Wall::Planner => {
            let (server, tools) = grids::MEMORY_TOOL_CONTRACT;
            let declared = stream.palette_has(server);
            let used = tools.iter().any(|t| !stream.succeeded_inputs(server, t).is_empty());
            if declared && !used {
                Detection::Drift(format!(
                    "the lane declares the memory tool contract ({server}) but no memory tool was used"
                ))
            } else {
                Detection::Clear
            }
        }
        Wall::Delivery => delivery_wall(studio, attempt).await,
        Wall::Tester => {
            let (server, _) = grids::EVIDENCE_TOOL;
            if !stream.palette_has(server) {
                return Detection::Clear;
            }
            let token = match delivery::platform_token(studio).await {
                Ok(token) => token,
                Err(e) => return Detection::Unreadable(format!("no GitHub token to read the evidence: {e}")),
            };
            // Every reference's comments are read at once, one request each.
            let references = inbox_references(studio, attempt);
            let attached = join_all(references.iter().map(|reference| async {
                let comments = match delivery::comments_path(studio, reference) {
                    Some(path) => delivery::github_get(studio, &token, &path).await,
                    None => Ok(Value::Null),
                };
                comments.map(|comments| {
                    comments.as_array().into_iter().flatten().any(|c| {
                        c.get("body").and_then(Value::as_str).is_some_and(|b| b.contains(attempt.agent_id.as_str()))
                    })
                })
            }))
            .await;
            for (reference, attached) in references.iter().zip(attached) {
                match attached {
                    Ok(true) => {}
                    Ok(false) | Err(GithubReadError::NotFound { .. }) => {
                        return Detection::Drift(format!(
                            "evidence-capable tools ({server}) are available but {reference} has no evidence attached"
                        ))
                    }
                    Err(e) => return Detection::Unreadable(format!("the evidence on {reference}: {e}")),
                }
            }
            Detection::Clear
        }
        Wall::Committer => {
            let token = match delivery::platform_token(studio).await {
                Ok(token) => token,
                Err(e) => return Detection::Unreadable(format!("no GitHub token to read the merge decisions: {e}")),
            };
            let references = inbox_references(studio, attempt);
            let mut decisions = Vec::new();
            // The graph state is read once for every reference: it holds the whole handoff trail.
            // A state that could not be read says nothing of the decisions in it.
            let recorded = if references.is_empty() {
                Value::Null
            } else {
                match delivery::recorded_merge_decisions(studio, &attempt.run_id).await {
                    Ok(recorded) => recorded,
                    Err(e) => return Detection::Unreadable(format!("the merge decisions: {e}")),
                }
            };
            // Every reference's decision is checked at once, one request each.
            let checked = join_all(
                references.iter().map(|reference| delivery::merge_decision(studio, &token, &recorded, reference)),
            )
            .await;
            for (reference, decision) in references.into_iter().zip(checked) {
                match decision {
                    Ok(Some(decision)) => decisions.push((reference, decision)),
                    Ok(None) => {
                        return Detection::Drift(format!(
                            "delivery reference {reference} exists but no merge lifecycle decision was closed"
                        ))
                    }
                    Err(e) => return Detection::Unreadable(format!("the merge state of {reference}: {e}")),
                }
            }
            // One pass over the run's references, each decision a lookup (not a scan per decision).
            let mut decisions: std::collections::BTreeMap<String, String> = decisions.into_iter().collect();
            studio.update_run(&attempt.run_id, |run| {
                for r in &mut run.delivery_references {
                    if let Some(decision) = decisions.remove(&r.url) {
                        r.merge_decision = Some(decision);
                    }
                }
            });
            Detection::Clear
        }
        Wall::Closer => {
            let (server, tool) = grids::LINEAGE_TOOL;
            let published: std::collections::BTreeSet<&str> = stream
                .succeeded_inputs(server, tool)
                .into_iter()
                .filter_map(|input| input.get("delivery_reference").and_then(Value::as_str))
                .collect();
            for reference in inbox_references(studio, attempt) {
                if !published.contains(reference.as_str()) {
                    return Detection::Drift(format!("DataHub lineage for {reference} is required but missing"));
                }
            }
            Detection::Clear
        }
    }
}

/// The delivery references the agent's inbox carried into this attempt.
fn inbox_references(studio: &Studio, attempt: &AgentAttempt) -> Vec<String> {
    let mut refs: Vec<String> = studio
        .read_run(&attempt.run_id, |r| {
            r.session(&attempt.agent_id).map(|s| s.inbox.iter().filter_map(|h| h.delivery_reference.clone()).collect())
        })
        .flatten()
        .unwrap_or_default();
    refs.dedup();
    refs
}

/// The delivery wall: changes in the agent-owned worktree must reach GitHub as
/// the lane branch's pull request, file for file.
async fn delivery_wall(studio: &Studio, attempt: &AgentAttempt) -> Detection {
    let Some(project_slug) = studio.read_run(&attempt.run_id, |r| r.project_slug.clone()) else {
        return Detection::Clear;
    };
    let toolbox = Toolbox::new(
        studio.http.clone(),
        &studio.config.daytona_url,
        &studio.config.daytona_api_key,
        &attempt.sandbox_id,
    );
    let tree = worktree::lane_worktree(&project_slug);
    let branch = worktree::lane_branch(&attempt.run_id, &attempt.agent_id);
    let repo = delivery::repository(studio, &project_slug);
    let status = toolbox.git_status(&tree).await.unwrap_or_default();
    let files = toolbox.files_under(&tree).await.unwrap_or_default();
    let changed = !files.is_empty()
        || status.get("fileStatus").and_then(Value::as_array).is_some_and(|f| !f.is_empty())
        || status.get("ahead").and_then(Value::as_u64).unwrap_or(0) > 0;
    let token = match delivery::platform_token(studio).await {
        Ok(token) => token,
        Err(e) => return Detection::Unreadable(format!("no GitHub token to read the lane's pull request: {e}")),
    };
    let pull = match delivery::branch_pull_url(studio, &token, &repo, &branch).await {
        Ok(url) => url,
        Err(GithubReadError::NotFound { .. }) => None,
        Err(e) => return Detection::Unreadable(format!("the lane branch's pull requests: {e}")),
    };
    let Some(url) = pull else {
        return if changed {
            Detection::Drift(format!("changes left in the agent-owned worktree {tree} without a PR commit"))
        } else {
            Detection::Blocked(
                BlockerCode::GithubIssueOrPrLinkMissing,
                format!("GitHub lists no pull request from the lane branch {branch}"),
            )
        };
    };
    for path in &files {
        let local = toolbox.download(&format!("{tree}/{path}")).await.unwrap_or_default();
        let remote =
            match delivery::github_get(studio, &token, &format!("/repos/{repo}/contents/{path}?ref={branch}")).await {
                Ok(c) => c
                    .get("content")
                    .and_then(Value::as_str)
                    .map(|c| c.replace('\n', ""))
                    .and_then(|c| base64::engine::general_purpose::STANDARD.decode(c).ok()),
                Err(GithubReadError::NotFound { .. }) => None,
                Err(e) => return Detection::Unreadable(format!("{path} on the pull request's branch: {e}")),
            };
        if remote.as_deref() != Some(local.as_slice()) {
            return Detection::Drift(format!(
                "{path} in the agent-owned worktree differs from the pull request's branch"
            ));
        }
    }
    match delivery::prove(studio, &token, &url, &attempt.agent_id).await {
        Ok(reference) => {
            record_reference(studio, &attempt.run_id, reference);
            Detection::Clear
        }
        Err(e @ delivery::ProofError::Unreadable(_)) => Detection::Unreadable(e.to_string()),
        Err(e) => Detection::Blocked(e.blocker(), e.to_string()),
    }
}

fn record_reference(studio: &Studio, run_id: &str, reference: DeliveryReference) {
    studio.update_run(run_id, |run| run.add_delivery_reference(reference));
}

/// What an attempt's agent process printed, read from the Daytona toolbox through
/// the attempt's agent process adapter (stream-json or codex JSONL alike).
struct AttemptOutput {
    /// The palette the session reported at start, or (where the format has no place
    /// for it, as codex's) the MCP servers its loadout attached.
    palette: Palette,
    events: Vec<OutputEvent>,
}

enum Palette {
    Tools(Vec<String>),
    Servers(Vec<String>),
}

impl AttemptOutput {
    async fn read(studio: &Studio, attempt: &AgentAttempt, logs_url: &str) -> AttemptOutput {
        let request =
            squadsim_fakes::net::HttpRequest::get(logs_url.to_string()).bearer(&studio.config.daytona_api_key);
        let text = match studio.http.send(request).await {
            Ok(r) if r.status.is_success() => r.text(),
            _ => String::new(),
        };
        let adapter = attempt.command.adapter;
        let events: Vec<OutputEvent> = text.lines().flat_map(|l| read_line(adapter, l)).collect();
        let reported = events.iter().find_map(|e| match e {
            OutputEvent::Palette(tools) => Some(tools.clone()),
            _ => None,
        });
        let palette = match reported {
            Some(tools) => Palette::Tools(tools),
            None => Palette::Servers(
                studio
                    .read_run(&attempt.run_id, |r| r.session(&attempt.agent_id).map(|s| s.mcp_server_ids.clone()))
                    .flatten()
                    .unwrap_or_default(),
            ),
        };
        AttemptOutput { palette, events }
    }

    /// Whether the session's palette carried a tool of `server`.
    fn palette_has(&self, server: &str) -> bool {
        match &self.palette {
            Palette::Tools(tools) => {
                let prefix = tool_name::agent_facing_name(server, "");
                tools.iter().any(|t| t.starts_with(&prefix))
            }
            Palette::Servers(servers) => servers.iter().any(|s| s == server),
        }
    }

    /// The inputs of the calls of `server`'s `bare` tool that succeeded (a tool
    /// use answered by a result that is not an error), in call order.
    fn succeeded_inputs(&self, server: &str, bare: &str) -> Vec<&Value> {
        let ok: std::collections::BTreeSet<&str> = self
            .events
            .iter()
            .filter_map(|r| match r {
                OutputEvent::ToolResult { id, is_error: false } => Some(id.as_str()),
                _ => None,
            })
            .collect();
        self.events
            .iter()
            .filter_map(|e| match e {
                OutputEvent::ToolUse { id, name, input }
                    if tool_name::credits(server, name, bare) && ok.contains(id.as_str()) =>
                {
                    Some(input)
                }
                _ => None,
            })
            .collect()
    }
}
