//! The runbook's diagnosis of a first-tool block ("Diagnosing a zero-output
//! first-tool block"): which plane failed, and the evidence chain an on-call
//! engineer walks to find out — nodes, Longhorn volumes, the Daytona pods and
//! their events, the workspace logs, the gateway log and the observability feed.
//!
//! Guarantees: a diagnosis is read only from the services' state after the run
//! (the Studio's run, the Daytona fake's nodes, sandboxes, volumes, events and
//! workspace logs, the gateway's log), never from the scenario; it exists only
//! when a session is blocked by the launch contract (`agent_first_tool_required`);
//! its evidence covers only the blocked agents' execution workspaces; lists are
//! in a fixed order, so one run renders one text.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use squadsim_conformance::tool_name;
use squadsim_conformance::vocabulary::BlockerCode;
use squadsim_fakes::contextforge::ContextForge;
use squadsim_fakes::daytona::{Daytona, Robustness, SandboxState, VolumeState};

use crate::studio::Run;

/// Which plane a first-tool block comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Plane {
    /// Daytona and its storage: the agent's Claude session never ran.
    ExecutionPlane,
    /// The MCP/auth control plane: the agent ran but could not reach, be
    /// authorised for, or be given its MCP tools.
    ControlPlane,
    /// Neither: the agent ran with its tools available and made no tool call.
    Neither,
}

/// One check of the runbook's chain and what it found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// What the runbook says to look at.
    pub check: String,
    pub finding: String,
    /// Whether this check looks healthy.
    pub healthy: bool,
}

/// The diagnosis of a first-tool block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnosis {
    /// What the operator sees.
    pub symptom: String,
    pub plane: Plane,
    pub cause: String,
    /// The checks, in the runbook's order.
    pub evidence: Vec<Evidence>,
}

/// What the blocked agents' workspace logs show.
#[derive(Debug, Default)]
struct WorkspaceLogs {
    /// Workspaces whose process printed nothing.
    silent: usize,
    /// Workspaces whose Claude session started (printed its init line).
    started: usize,
    /// MCP server name -> (connected, failed) across the started sessions.
    servers: BTreeMap<String, (usize, usize)>,
    /// Started sessions with no MCP server attached at all.
    no_servers: usize,
    tool_uses: usize,
    /// Tool results that came back as errors.
    tool_errors: usize,
}

impl WorkspaceLogs {
    fn read(&mut self, text: &str) {
        if text.trim().is_empty() {
            self.silent += 1;
            return;
        }
        for line in text.lines() {
            let event: Value = serde_json::from_str(line).unwrap_or(Value::Null);
            match event.get("type").and_then(Value::as_str) {
                Some("system") => {
                    self.started += 1;
                    let servers = event.get("mcp_servers").and_then(Value::as_array).cloned().unwrap_or_default();
                    if servers.is_empty() {
                        self.no_servers += 1;
                    }
                    for s in servers {
                        let name = s.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
                        let entry = self.servers.entry(name).or_default();
                        if s.get("status").and_then(Value::as_str) == Some("connected") {
                            entry.0 += 1;
                        } else {
                            entry.1 += 1;
                        }
                    }
                }
                Some("assistant") | Some("user") => {
                    for item in event.pointer("/message/content").and_then(Value::as_array).into_iter().flatten() {
                        match item.get("type").and_then(Value::as_str) {
                            Some("tool_use") => self.tool_uses += 1,
                            Some("tool_result") if item.get("is_error") == Some(&Value::Bool(true)) => {
                                self.tool_errors += 1
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn failed_servers(&self) -> Vec<&str> {
        self.servers.iter().filter(|(_, (_, failed))| *failed > 0).map(|(n, _)| n.as_str()).collect()
    }
}

/// The diagnosis of `run`'s first-tool block, if a session is blocked by the launch contract.
pub fn diagnose(run: &Run, daytona: &Daytona, gateway: &ContextForge) -> Option<Diagnosis> {
    let blocked: Vec<&str> = run
        .sessions
        .iter()
        .filter(|s| s.blocker_code == Some(BlockerCode::AgentFirstToolRequired))
        .map(|s| s.agent_id.as_str())
        .collect();
    if blocked.is_empty() {
        return None;
    }
    let sandboxes: Vec<_> = daytona
        .sandboxes()
        .into_iter()
        .filter(|s| {
            s.labels.get("agentsquad.run") == Some(&run.run_id)
                && s.labels.get("agentsquad.agent").is_some_and(|a| blocked.contains(&a.as_str()))
        })
        .collect();
    let volumes = daytona.volumes();
    let events = daytona.events();
    let mut evidence = Vec::new();

    // kubectl get nodes
    let nodes = daytona.nodes();
    let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
    let not_ready: Vec<&str> = nodes.iter().filter(|n| !n.ready).map(|n| n.name.as_str()).collect();
    let finding = if not_ready.is_empty() {
        let reasons: Vec<&str> = nodes.iter().map(|n| n.ready_condition().1).collect();
        format!("{} nodes ({}), all Ready ({})", nodes.len(), names.join(", "), dedup(reasons).join(", "))
    } else {
        let mut down: BTreeMap<(&str, &str, &str), Vec<&str>> = BTreeMap::new();
        for n in nodes.iter().filter(|n| !n.ready) {
            down.entry(n.ready_condition()).or_default().push(n.name.as_str());
        }
        let down: Vec<String> = down
            .iter()
            .map(|((status, reason, message), names)| {
                format!("{} NotReady (Ready={status}, {reason}: {message})", names.join(", "))
            })
            .collect();
        format!("{} nodes, {} Ready; {}", nodes.len(), nodes.len() - not_ready.len(), down.join("; "))
    };
    evidence.push(Evidence { check: "kubectl get nodes".into(), finding, healthy: not_ready.is_empty() });

    // kubectl get volumes.longhorn.io -n longhorn-system
    let workspace_pvcs: Vec<String> = sandboxes.iter().map(|s| format!("workspace-{}", s.id)).collect();
    let orphaned = volumes
        .iter()
        .filter(|v| {
            matches!(v.robustness, Robustness::Faulted | Robustness::Unknown)
                && v.state == VolumeState::Detached
                && v.workload.is_none()
        })
        .count();
    let by_robustness = |r: Robustness| volumes.iter().filter(|v| v.robustness == r).count();
    let workspace_volumes: Vec<_> = volumes.iter().filter(|v| workspace_pvcs.contains(&v.pvc_name)).collect();
    // A volume no pod asked for (its pod was never placed) was not refused by Longhorn.
    let unrequested = workspace_volumes.iter().filter(|v| v.state != VolumeState::Attached && v.workload.is_none());
    let unrequested = unrequested.count();
    let refused: Vec<_> =
        workspace_volumes.iter().filter(|v| v.state != VolumeState::Attached && v.workload.is_some()).collect();
    let mut finding = format!(
        "{} volumes: {} healthy, {} degraded, {} faulted, {} unknown; {orphaned} faulted/unknown detached with no workload (orphaned)",
        volumes.len(),
        by_robustness(Robustness::Healthy),
        by_robustness(Robustness::Degraded),
        by_robustness(Robustness::Faulted),
        by_robustness(Robustness::Unknown),
    );
    if workspace_volumes.is_empty() {
        finding.push_str("; no workspace volume was provisioned for the blocked agents");
    } else if unrequested > 0 && refused.is_empty() {
        finding.push_str(&format!(
            "; {unrequested} of {} workspace volumes never requested (no pod was placed to use them)",
            workspace_volumes.len()
        ));
    } else if refused.is_empty() {
        finding
            .push_str(&format!("; all {} workspace volumes of the blocked agents attached", workspace_volumes.len()));
    } else {
        let reasons: Vec<&str> = refused.iter().filter_map(|v| v.scheduling_failure.as_deref()).collect();
        finding.push_str(&format!(
            "; {} of {} workspace volumes not attached ({})",
            refused.len(),
            workspace_volumes.len(),
            dedup(reasons).join("; ")
        ));
    }
    let storage_refused = !refused.is_empty();
    evidence.push(Evidence {
        check: "kubectl get volumes.longhorn.io -n longhorn-system".into(),
        finding,
        healthy: !storage_refused,
    });

    // Daytona pods (-n daytona) and their events
    let not_started: Vec<_> = sandboxes
        .iter()
        .filter(|s| !matches!(s.state, SandboxState::Started | SandboxState::Stopped | SandboxState::Stopping))
        .collect();
    let pods: Vec<String> = sandboxes.iter().map(|s| format!("sandbox-{}", s.id)).collect();
    let mut warnings: BTreeMap<&str, u32> = BTreeMap::new();
    for e in events.iter().filter(|e| e.kind == "Warning" && pods.contains(&e.object_name)) {
        *warnings.entry(e.reason.as_str()).or_default() += e.count.max(1);
    }
    let mut finding = if sandboxes.is_empty() {
        "no execution workspace was created for the blocked agents".to_string()
    } else if not_started.is_empty() {
        format!("all {} sandbox pods of the blocked agents started", sandboxes.len())
    } else {
        let states: Vec<String> = not_started.iter().map(|s| format!("{:?}", s.state).to_lowercase()).collect();
        format!(
            "{} of {} sandbox pods never started ({})",
            not_started.len(),
            sandboxes.len(),
            dedup(states).join(", ")
        )
    };
    if !warnings.is_empty() {
        let list: Vec<String> = warnings.iter().map(|(r, n)| format!("{r} x{n}")).collect();
        finding.push_str(&format!("; warnings: {}", list.join(", ")));
    }
    let workspaces_down = sandboxes.is_empty() || !not_started.is_empty();
    evidence.push(Evidence { check: "kubectl get pods,events -n daytona".into(), finding, healthy: !workspaces_down });

    // Daytona workspace logs (where claude's output goes)
    let mut logs = WorkspaceLogs::default();
    for s in &sandboxes {
        logs.read(&daytona.workspace_logs(&s.id));
    }
    let failed = logs.failed_servers();
    let finding = if sandboxes.is_empty() {
        "no workspace, so no workspace logs: claude never ran".to_string()
    } else if logs.started == 0 {
        format!("no output in {} workspaces: claude never ran", sandboxes.len())
    } else {
        let mut f = format!("claude started in {} of {} workspaces", logs.started, sandboxes.len());
        if logs.silent > 0 {
            f.push_str(&format!(", {} silent", logs.silent));
        }
        if logs.no_servers > 0 {
            f.push_str(&format!("; {} sessions with no MCP server attached", logs.no_servers));
        }
        if !failed.is_empty() {
            f.push_str(&format!("; MCP servers failed: {}", failed.join(", ")));
        }
        f.push_str(&format!("; {} tool calls, {} tool errors", logs.tool_uses, logs.tool_errors));
        f
    };
    let tools_broken = logs.no_servers > 0 || !failed.is_empty() || logs.tool_errors > 0;
    evidence.push(Evidence {
        check: "Daytona workspace logs".into(),
        finding,
        healthy: logs.started > 0 && !tools_broken,
    });

    // The gateway log (ContextForge): 401s
    let auth = gateway.auth_failures();
    let finding = if auth.is_empty() {
        "no 401s".to_string()
    } else {
        let reasons: Vec<String> = auth.iter().map(|a| a.reason.clone()).collect();
        format!("{} 401s ({})", auth.len(), dedup(reasons).join("; "))
    };
    evidence.push(Evidence { check: "ContextForge gateway log".into(), finding, healthy: auth.is_empty() });

    // The gateway's virtual servers: loadouts mount a grid only through the one bundling its tools.
    let bundled: Vec<String> = gateway.servers().into_iter().map(|s| s.name).collect();
    let grids: Vec<String> = gateway
        .gateways()
        .iter()
        .filter_map(|g| g.name.strip_prefix(&tool_name::gateway_name("")).map(str::to_string))
        .collect();
    let unbundled: Vec<&str> = grids.iter().filter(|g| !bundled.contains(g)).map(String::as_str).collect();
    let finding = if unbundled.is_empty() {
        format!("a virtual server for each of the {} federated grids", grids.len())
    } else {
        format!(
            "{} of {} federated grids have no virtual server ({}): no loadout can mount them",
            unbundled.len(),
            grids.len(),
            unbundled.join(", ")
        )
    };
    evidence.push(Evidence {
        check: "ContextForge virtual servers (GET /servers)".into(),
        finding,
        healthy: unbundled.is_empty(),
    });

    // The observability feed
    let feed = run.observability;
    evidence.push(Evidence {
        check: "observability-feed".into(),
        finding: format!("{} events, {} runtime logs", feed.events, feed.runtime_logs),
        healthy: feed.events > 0,
    });

    let unscheduled = warnings.contains_key("FailedScheduling");
    let (plane, cause) = if unscheduled && !not_ready.is_empty() {
        (
            Plane::ExecutionPlane,
            format!(
                "the sandbox pods cannot be placed: {} of {} nodes NotReady ({}), so the sandboxes never start and claude never runs (zero output)",
                not_ready.len(),
                nodes.len(),
                not_ready.join(", ")
            ),
        )
    } else if storage_refused {
        (
            Plane::ExecutionPlane,
            format!(
                "new workspace volumes cannot attach: {orphaned} orphaned faulted/unknown Longhorn volumes hold the disks' reservations, so the sandboxes never start and claude never runs (zero output)"
            ),
        )
    } else if sandboxes.is_empty() {
        (
            Plane::ExecutionPlane,
            "no execution workspace was created for the blocked agents (the Daytona API gave none), so claude never ran"
                .to_string(),
        )
    } else if workspaces_down || logs.started == 0 {
        let steps: Vec<String> = run
            .sessions
            .iter()
            .filter(|s| blocked.contains(&s.agent_id.as_str()))
            .map(|s| s.current_step.clone())
            .collect();
        (
            Plane::ExecutionPlane,
            format!("the execution workspaces never ran claude (last steps: {})", dedup(steps).join(", ")),
        )
    } else if !auth.is_empty() {
        (
            Plane::ControlPlane,
            format!(
                "the gateway refused the agents' tokens ({} 401s), so their MCP tools could not be listed or called",
                auth.len()
            ),
        )
    } else if !unbundled.is_empty() && (logs.no_servers > 0 || !failed.is_empty()) {
        (
            Plane::ControlPlane,
            format!(
                "the gateway has no virtual server for {}, so the agents' loadouts could not mount them and the required first tool is not in their palette",
                unbundled.join(", ")
            ),
        )
    } else if !failed.is_empty() || logs.tool_errors > 0 {
        (Plane::ControlPlane, "claude ran but its MCP servers could not be reached through the gateway".to_string())
    } else if logs.no_servers > 0 {
        (
            Plane::ControlPlane,
            "no MCP server is attached to the agents' loadouts, so the required first tool is not in their palette"
                .to_string(),
        )
    } else {
        (
            Plane::Neither,
            "claude ran with its MCP tools available, but the dispatch prompt elicited no tool call".into(),
        )
    };
    let claude_ids =
        run.sessions.iter().filter(|s| blocked.contains(&s.agent_id.as_str()) && s.claude_session_id.is_some()).count();
    let reports: Vec<&str> = run.reports.iter().map(|r| r.status.as_str()).collect();
    let symptom = format!(
        "{} blocked with agent_first_tool_required ({} of them with a claude_session_id); reports {:?}; observability {} events, {} runtime logs",
        blocked.join(", "),
        claude_ids,
        dedup(reports),
        feed.events,
        feed.runtime_logs
    );
    Some(Diagnosis { symptom, plane, cause, evidence })
}

/// The distinct items, in first-seen order.
fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}
