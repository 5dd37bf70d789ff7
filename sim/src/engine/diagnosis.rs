//! The runbook's diagnosis of a first-tool block (`docs/seeds.md`, runbook: "Diagnosing a zero-output
//! first-tool block"): which plane failed, and the evidence chain an on-call
//! engineer walks to find out — nodes, Longhorn volumes, Daytona's own core
//! pods, the agents' sandbox pods and their events, the workspace logs, the gateway log and the observability feed.
//!
//! Guarantees: a diagnosis is read only from the services' state after the run
//! (the Studio's run, the Daytona fake's nodes, core pods, sandboxes, volumes,
//! events and workspace logs, the gateway's log and virtual servers), never from the
//! scenario; it exists only when a session is blocked by the launch contract
//! (`agent_first_tool_required`); its evidence covers only the blocked agents'
//! execution workspaces, and Daytona's core pods, which serve them all; each check is evaluated on its own and the cause names
//! every failing one, in the chain's order; lists are in a fixed order, so one
//! run renders one text.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;
use squadsim_conformance::tool_name;
use squadsim_conformance::vocabulary::BlockerCode;
use squadsim_fakes::contextforge::ContextForge;
use squadsim_fakes::daytona::{CorePodStatus, Daytona, Event, Robustness, Sandbox, SandboxState, VolumeState};

use crate::base::templates::REQUIRED_FIRST_TOOL;
use crate::platform::studio::{armory, Run, Studio};
use crate::platform::workspace::adapters::{read_line, OutputEvent};
use crate::scenario::AgentProcessAdapter;

/// Which plane a first-tool block comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Plane {
    /// Daytona and its storage: the agent's Claude session never ran.
    ExecutionPlane,
    /// The MCP/auth control plane: the agent ran but could not reach, be
    /// authorised for, or be given its MCP tools.
    ControlPlane,
    /// Neither: the agent ran with its tools available and made no call of
    /// the required first tool.
    Neither,
}

impl Plane {
    /// The plane's name in outcomes and invariants (`execution_plane`, ...): its serde name.
    pub fn name(self) -> &'static str {
        match self {
            Plane::ExecutionPlane => "execution_plane",
            Plane::ControlPlane => "control_plane",
            Plane::Neither => "neither",
        }
    }
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
    /// What the findings call the agents' process: `claude` when every blocked
    /// agent ran through `claude-cli` (the runbook's word), else `the agent process`.
    cli: &'static str,
    /// Workspaces whose process printed nothing.
    silent: usize,
    /// What each workspace whose process printed something but started no session printed first.
    sessionless: Vec<String>,
    /// Agent sessions started (claude's `system`/`init` line, codex's `thread.started`).
    started: usize,
    /// The MCP servers some started session's start line says did not connect.
    failed_servers: BTreeSet<String>,
    /// Started sessions whose start line lists no MCP server at all.
    no_servers: usize,
    tool_uses: usize,
    /// Calls of the launch contract's required first tool.
    first_tool_calls: usize,
    /// Tool results that came back as errors (refused by the workspace shim, or answered with an error).
    tool_errors: usize,
}

impl WorkspaceLogs {
    /// Reads one workspace's log, printed by `adapter`'s process, with the reader
    /// the Harness Runtime reads it with ([`read_line`]).
    fn read(&mut self, adapter: AgentProcessAdapter, text: &str) {
        if text.trim().is_empty() {
            self.silent += 1;
            return;
        }
        let before = self.started;
        for line in text.lines() {
            for event in read_line(adapter, line) {
                match event {
                    OutputEvent::SessionStarted(_) => {
                        self.started += 1;
                        self.read_mcp_servers(line);
                    }
                    OutputEvent::ToolUse { name, .. } => {
                        self.tool_uses += 1;
                        let (server, required) = REQUIRED_FIRST_TOOL;
                        if tool_name::credits(server, &name, required) {
                            self.first_tool_calls += 1;
                        }
                    }
                    OutputEvent::ToolResult { is_error: true, .. } => self.tool_errors += 1,
                    _ => {}
                }
            }
        }
        if self.started == before {
            let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
            self.sessionless.push(first.to_string());
        }
    }

    /// The MCP server statuses of a session's start line, where its format has
    /// them (stream-json's `system`/`init`; codex's `thread.started` has none).
    fn read_mcp_servers(&mut self, line: &str) {
        let event: Value = serde_json::from_str(line).unwrap_or(Value::Null);
        let Some(servers) = event.get("mcp_servers").and_then(Value::as_array) else {
            return;
        };
        if servers.is_empty() {
            self.no_servers += 1;
        }
        let failed = servers.iter().filter(|s| s.get("status").and_then(Value::as_str) != Some("connected"));
        for s in failed {
            self.failed_servers.insert(s.get("name").and_then(Value::as_str).unwrap_or_default().to_string());
        }
    }
}

/// One check of the chain, evaluated on its own: its evidence, the plane it
/// speaks for, and, when it fails, what it contributes to the cause.
struct Check {
    evidence: Evidence,
    plane: Plane,
    /// `Some` when the check fails and names a cause (the observability feed is
    /// the symptom, never a cause).
    cause: Option<String>,
}

impl Check {
    fn new(check: &str, finding: String, plane: Plane, cause: Option<String>) -> Check {
        let healthy = cause.is_none();
        Check { evidence: Evidence { check: check.to_string(), finding, healthy }, plane, cause }
    }
}

/// What the diagnosis reads of the blocked agents' execution plane.
struct Plant<'a> {
    run: &'a Run,
    /// The Studio's configuration: which agent process adapter each role's attempts ran through.
    studio: &'a Studio,
    daytona: &'a Daytona,
    blocked: Vec<&'a str>,
    sandboxes: Vec<Sandbox>,
    events: Vec<Event>,
}

/// The diagnosis of `run`'s first-tool block, if a session is blocked by the launch contract.
///
/// Every check of the runbook's chain is evaluated on its own (a check is never
/// skipped or passed because an earlier one failed); the cause names every
/// failing check, in the chain's order, and the plane is the execution plane if
/// any execution-plane check fails, else the control plane if any control-plane
/// check fails, else neither.
pub fn diagnose(run: &Run, studio: &Studio, daytona: &Daytona, gateway: &ContextForge) -> Option<Diagnosis> {
    let blocked: Vec<&str> = run
        .sessions
        .iter()
        .filter(|s| s.blocker_code == Some(BlockerCode::AgentFirstToolRequired))
        .map(|s| s.agent_id.as_str())
        .collect();
    if blocked.is_empty() {
        return None;
    }
    let sandboxes: Vec<Sandbox> = daytona
        .sandboxes()
        .into_iter()
        .filter(|s| {
            s.labels.get("agentsquad.run") == Some(&run.run_id)
                && s.labels.get("agentsquad.agent").is_some_and(|a| blocked.contains(&a.as_str()))
        })
        .collect();
    let plant = Plant { run, studio, daytona, blocked, sandboxes, events: daytona.events() };
    let logs = plant.workspace_logs();
    let checks = [
        nodes_check(&plant),
        storage_check(&plant),
        core_pods_check(plant.daytona),
        pods_check(&plant),
        logs_check(&plant, &logs),
        gateway_log_check(gateway),
        virtual_servers_check(gateway),
        feed_check(run),
    ];
    let failing: Vec<&Check> = checks.iter().filter(|c| c.cause.is_some()).collect();
    let fails_on = |plane: Plane| failing.iter().any(|c| c.plane == plane);
    let plane = if fails_on(Plane::ExecutionPlane) {
        Plane::ExecutionPlane
    } else if fails_on(Plane::ControlPlane) {
        Plane::ControlPlane
    } else {
        Plane::Neither
    };
    let cause = cause(&failing, &logs);
    let feed = run.observability;
    let claude_ids = run
        .sessions
        .iter()
        .filter(|s| plant.blocked.contains(&s.agent_id.as_str()) && s.claude_session_id.is_some())
        .count();
    let reports: Vec<&str> = run.reports.iter().map(|r| r.status.as_str()).collect();
    let symptom = format!(
        "{} blocked with agent_first_tool_required ({} of them with a claude_session_id); reports {:?}; observability {} events, {} runtime logs",
        plant.blocked.join(", "),
        claude_ids,
        dedup(reports),
        feed.events,
        feed.runtime_logs
    );
    let evidence = checks.into_iter().map(|c| c.evidence).collect();
    Some(Diagnosis { symptom, plane, cause, evidence })
}

/// The diagnosis's cause: the failing checks' causes, with "none of the calls was the required first
/// tool" beside them when that is so; with no check failing, that the agents' process ran with its MCP
/// tools available, and what it called.
fn cause(failing: &[&Check], logs: &WorkspaceLogs) -> String {
    let calls = match (logs.tool_uses, logs.first_tool_calls) {
        (0, _) => None,
        (n, 0) => Some(format!("of the blocked agents' {n} tool calls none was the required first tool {}", required_first_tool())),
        (n, m) => Some(format!(
            "{m} of the blocked agents' {n} tool calls were the required first tool {}, and the launch contract did not count them",
            required_first_tool()
        )),
    };
    let mut causes: Vec<String> = failing.iter().filter_map(|c| c.cause.clone()).collect();
    if causes.is_empty() {
        let calls = calls.unwrap_or_else(|| "the dispatch prompt elicited no tool call".to_string());
        causes.push(format!("{} ran with its MCP tools available, but {calls}", logs.cli));
    } else if logs.first_tool_calls == 0 {
        // A failing check explains the block; that no call was the required one is said beside it.
        causes.extend(calls);
    }
    causes.join("; ")
}

/// `kubectl get nodes`: every node of the sandbox pool Ready?
fn nodes_check(plant: &Plant) -> Check {
    let nodes = plant.daytona.nodes();
    let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
    let not_ready: Vec<&str> = nodes.iter().filter(|n| !n.ready).map(|n| n.name.as_str()).collect();
    if not_ready.is_empty() {
        let reasons: Vec<&str> = nodes.iter().map(|n| n.ready_condition().1).collect();
        let finding =
            format!("{} nodes ({}), all Ready ({})", nodes.len(), names.join(", "), dedup(reasons).join(", "));
        return Check::new("kubectl get nodes", finding, Plane::ExecutionPlane, None);
    }
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
    let finding = format!("{} nodes, {} Ready; {}", nodes.len(), nodes.len() - not_ready.len(), down.join("; "));
    let unplaced = plant.warnings().contains_key("FailedScheduling");
    let cause = format!(
        "{} of {} nodes NotReady ({}){}",
        not_ready.len(),
        nodes.len(),
        not_ready.join(", "),
        if unplaced { ": the sandbox pods cannot be placed" } else { "" }
    );
    Check::new("kubectl get nodes", finding, Plane::ExecutionPlane, Some(cause))
}

/// `kubectl get volumes.longhorn.io -n longhorn-system`: can new workspace volumes attach?
/// Failing when Longhorn refused one of the blocked agents' volumes, and when the
/// orphaned volumes' reservations leave no room for a new one's replicas, whether
/// or not one was asked for yet (a pod never placed asks for none).
fn storage_check(plant: &Plant) -> Check {
    let volumes = plant.daytona.volumes();
    let workspace_pvcs: Vec<String> = plant.sandboxes.iter().map(|s| format!("workspace-{}", s.id)).collect();
    let orphaned = volumes
        .iter()
        .filter(|v| {
            matches!(v.robustness, Robustness::Faulted | Robustness::Unknown)
                && v.state == VolumeState::Detached
                && v.workload.is_none()
        })
        .count();
    let headroom = plant.daytona.config().storage.reservation_headroom;
    let over_headroom = !plant.daytona.new_volumes_schedule();
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
    if over_headroom {
        finding.push_str(&format!(
            ", over the {headroom} the disks' reservations leave room for: a new volume's replicas cannot schedule"
        ));
    }
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
    let cause = if !refused.is_empty() {
        Some(format!(
            "new workspace volumes cannot attach: {orphaned} orphaned faulted/unknown Longhorn volumes hold the disks' reservations"
        ))
    } else if over_headroom {
        Some(format!(
            "{orphaned} orphaned faulted/unknown Longhorn volumes hold the disks' reservations (over the headroom of {headroom}): new workspace volumes cannot attach, even once their pods are placed"
        ))
    } else {
        None
    };
    Check::new("kubectl get volumes.longhorn.io -n longhorn-system", finding, Plane::ExecutionPlane, cause)
}

impl Plant<'_> {
    /// The blocked agents' workspace logs, read together.
    fn workspace_logs(&self) -> WorkspaceLogs {
        let mut logs = WorkspaceLogs { cli: "claude", ..WorkspaceLogs::default() };
        for s in &self.sandboxes {
            let agent = s.labels.get("agentsquad.agent");
            let session = self.run.sessions.iter().find(|session| Some(&session.agent_id) == agent);
            let role = session.map(|session| session.role_id.as_str()).unwrap_or_default();
            let adapter = armory::agent_process_adapter(self.studio, role);
            if adapter != AgentProcessAdapter::ClaudeCli {
                logs.cli = "the agent process";
            }
            logs.read(adapter, &self.daytona.workspace_logs(&s.id));
        }
        logs
    }

    /// Warning reasons on the blocked agents' sandbox pods, with their counts.
    fn warnings(&self) -> BTreeMap<&str, u32> {
        let pods: Vec<String> = self.sandboxes.iter().map(|s| format!("sandbox-{}", s.id)).collect();
        let mut warnings: BTreeMap<&str, u32> = BTreeMap::new();
        for e in self.events.iter().filter(|e| e.kind == "Warning" && pods.contains(&e.object_name)) {
            *warnings.entry(e.reason.as_str()).or_default() += e.count.max(1);
        }
        warnings
    }
}

/// "Daytona core pods (-n daytona) Running": Daytona's own API, proxy and runner,
/// not the agents' sandbox pods (the next check).
fn core_pods_check(daytona: &Daytona) -> Check {
    let pods = daytona.core_pods();
    let check = "Daytona core pods (-n daytona) Running";
    let down: Vec<_> = pods.iter().filter(|p| !p.running()).collect();
    let names = |pods: &[&CorePodStatus]| pods.iter().map(|p| p.pod.name()).collect::<Vec<_>>().join(", ");
    let all: Vec<&CorePodStatus> = pods.iter().collect();
    if down.is_empty() {
        let finding = format!("all {} core pods Running ({})", pods.len(), names(&all));
        return Check::new(check, finding, Plane::ExecutionPlane, None);
    }
    let each: Vec<String> =
        down.iter().map(|p| format!("{} {} ({} restarts)", p.name, p.status(), p.restarts)).collect();
    let finding = format!("{} of {} core pods Running; {}", pods.len() - down.len(), pods.len(), each.join("; "));
    let cause: Vec<String> =
        down.iter().map(|p| format!("Daytona core pod {} {}: {}", p.pod.name(), p.status(), p.pod.stops())).collect();
    Check::new(check, finding, Plane::ExecutionPlane, Some(cause.join("; ")))
}

/// `kubectl get pods,events -n daytona`: did the blocked agents' sandbox pods start?
fn pods_check(plant: &Plant) -> Check {
    let not_started: Vec<_> = plant
        .sandboxes
        .iter()
        .filter(|s| !matches!(s.state, SandboxState::Started | SandboxState::Stopped | SandboxState::Stopping))
        .collect();
    let warnings = plant.warnings();
    let (mut finding, cause) = if plant.sandboxes.is_empty() {
        let none = "no execution workspace was created for the blocked agents";
        (none.to_string(), Some(format!("{none} (the Daytona API gave none)")))
    } else if not_started.is_empty() {
        (format!("all {} sandbox pods of the blocked agents started", plant.sandboxes.len()), None)
    } else {
        let states: Vec<String> = not_started.iter().map(|s| format!("{:?}", s.state).to_lowercase()).collect();
        let never = format!(
            "{} of {} sandbox pods never started ({})",
            not_started.len(),
            plant.sandboxes.len(),
            dedup(states).join(", ")
        );
        (never.clone(), Some(never))
    };
    if !warnings.is_empty() {
        let list: Vec<String> = warnings.iter().map(|(r, n)| format!("{r} x{n}")).collect();
        finding.push_str(&format!("; warnings: {}", list.join(", ")));
    }
    Check::new("kubectl get pods,events -n daytona", finding, Plane::ExecutionPlane, cause)
}

/// The Daytona workspace logs (where claude's output goes): did claude run, with its MCP tools?
fn logs_check(plant: &Plant, logs: &WorkspaceLogs) -> Check {
    let failed: Vec<&str> = logs.failed_servers.iter().map(String::as_str).collect();
    let check = "Daytona workspace logs";
    if plant.sandboxes.is_empty() || logs.started == 0 {
        let steps: Vec<String> = plant
            .run
            .sessions
            .iter()
            .filter(|s| plant.blocked.contains(&s.agent_id.as_str()))
            .map(|s| s.current_step.clone())
            .collect();
        let steps = dedup(steps).join(", ");
        let (finding, cause) = if plant.sandboxes.is_empty() {
            (format!("no workspace, so no workspace logs: {} never ran", logs.cli), None)
        } else if logs.sessionless.is_empty() {
            (format!("no output in {} workspaces: {} never ran", plant.sandboxes.len(), logs.cli), None)
        } else {
            // The process ran and said why it started no session: that is the signal, not zero output.
            let printed = dedup(logs.sessionless.clone()).join(" | ");
            let finding = format!(
                "no session started in {} workspaces ({} printed nothing; the others printed: {printed})",
                plant.sandboxes.len(),
                logs.silent
            );
            let cause = format!("the agent process ran but started no session: {printed} (last steps: {steps})");
            (finding, Some(cause))
        };
        let cause = cause.unwrap_or_else(|| format!("{} never ran, zero output (last steps: {steps})", logs.cli));
        return Check::new(check, finding, Plane::ExecutionPlane, Some(cause));
    }
    let mut finding = format!("{} started in {} of {} workspaces", logs.cli, logs.started, plant.sandboxes.len());
    if logs.silent > 0 {
        finding.push_str(&format!(", {} silent", logs.silent));
    }
    if !logs.sessionless.is_empty() {
        finding.push_str(&format!(", {} printed but started no session", logs.sessionless.len()));
    }
    let mut unmounted = Vec::new();
    if logs.no_servers > 0 {
        unmounted.push(format!("{} sessions with no MCP server attached", logs.no_servers));
    }
    if !failed.is_empty() {
        unmounted.push(format!("MCP servers failed: {}", failed.join(", ")));
    }
    for u in &unmounted {
        finding.push_str(&format!("; {u}"));
    }
    finding.push_str(&format!("; {} tool calls, {} tool errors", logs.tool_uses, logs.tool_errors));
    if logs.tool_uses > 0 && logs.first_tool_calls == 0 {
        finding.push_str(&format!("; no call of the required first tool {}", required_first_tool()));
    }
    let mut causes = Vec::new();
    // A workspace where nothing ran is the execution plane's, whatever the others show.
    let workspaces = plant.sandboxes.len();
    if logs.silent > 0 {
        causes.push(format!("{} never ran in {} of {workspaces} workspaces, zero output", logs.cli, logs.silent));
    }
    if !logs.sessionless.is_empty() {
        let printed = dedup(logs.sessionless.clone()).join(" | ");
        causes.push(format!(
            "the agent process started no session in {} of {workspaces} workspaces: {printed}",
            logs.sessionless.len()
        ));
    }
    let plane = if causes.is_empty() { Plane::ControlPlane } else { Plane::ExecutionPlane };
    if !unmounted.is_empty() {
        causes.push(format!(
            "{} ran without its MCP tools ({}): the required first tool was not in the palette, or its call failed",
            logs.cli,
            unmounted.join("; ")
        ));
    }
    if logs.tool_errors > 0 {
        causes.push(format!(
            "{} of the blocked agents' {} tool calls came back as errors (refused by the loadout's allow-list, or failed)",
            logs.tool_errors, logs.tool_uses
        ));
    }
    let cause = (!causes.is_empty()).then(|| causes.join("; "));
    Check::new(check, finding, plane, cause)
}

/// The launch contract's required first tool, as the agent's palette names it.
fn required_first_tool() -> String {
    let (server, required) = REQUIRED_FIRST_TOOL;
    tool_name::agent_facing_name(server, required)
}

/// The ContextForge gateway log: 401s.
fn gateway_log_check(gateway: &ContextForge) -> Check {
    let auth = gateway.auth_failures();
    if auth.total == 0 {
        return Check::new("ContextForge gateway log", "no 401s".to_string(), Plane::ControlPlane, None);
    }
    let finding = format!("{} 401s ({})", auth.total, auth.reasons.join("; "));
    // The backend's admin token is what the Armory's REST calls carry; the agents' tokens are on their MCP calls.
    let mut admin_paths: Vec<&str> =
        auth.recent.iter().map(|f| f.path.as_str()).filter(|p| ADMIN_PATHS.contains(p)).collect();
    admin_paths.sort_unstable();
    admin_paths.dedup();
    let cause = if admin_paths.is_empty() {
        format!(
            "the gateway refused the agents' tokens ({} 401s), so their MCP tools could not be listed or called",
            auth.total
        )
    } else {
        format!(
            "the gateway refused the backend's admin token (401s on {}), so the Armory federated no grid and \
             loadouts attached no MCP server",
            admin_paths.join(", ")
        )
    };
    Check::new("ContextForge gateway log", finding, Plane::ControlPlane, Some(cause))
}

/// The gateway's REST paths the Armory calls with the backend's admin token
/// (register a grid, read the catalogue, create and list virtual servers).
const ADMIN_PATHS: [&str; 3] = ["/gateways", "/servers", "/tools"];

/// The gateway's virtual servers: loadouts mount a grid only through the one bundling its tools.
fn virtual_servers_check(gateway: &ContextForge) -> Check {
    let bundled: Vec<String> = gateway.servers().into_iter().map(|s| s.name).collect();
    let grids: Vec<String> = gateway
        .gateways()
        .iter()
        .filter_map(|g| g.name.strip_prefix(&tool_name::gateway_name("")).map(str::to_string))
        .collect();
    let unbundled: Vec<&str> = grids.iter().filter(|g| !bundled.contains(g)).map(String::as_str).collect();
    let check = "ContextForge virtual servers (GET /servers)";
    if grids.is_empty() {
        // No grid at all is not "a server for each": nothing is there for a loadout to mount.
        let cause = "the gateway federates no grid, so no loadout could mount an MCP server".to_string();
        return Check::new(
            check,
            "no federated grid, so no virtual server".to_string(),
            Plane::ControlPlane,
            Some(cause),
        );
    }
    if unbundled.is_empty() {
        let finding = format!("a virtual server for each of the {} federated grids", grids.len());
        return Check::new(check, finding, Plane::ControlPlane, None);
    }
    let finding = format!(
        "{} of {} federated grids have no virtual server ({}): no loadout can mount them",
        unbundled.len(),
        grids.len(),
        unbundled.join(", ")
    );
    let cause = format!(
        "the gateway has no virtual server for {}, so the agents' loadouts could not mount them",
        unbundled.join(", ")
    );
    Check::new(check, finding, Plane::ControlPlane, Some(cause))
}

/// The observability feed: the symptom itself (zero events), never a cause.
fn feed_check(run: &Run) -> Check {
    let feed = run.observability;
    let finding = format!("{} events, {} runtime logs", feed.events, feed.runtime_logs);
    let mut check = Check::new("observability-feed", finding, Plane::Neither, None);
    check.evidence.healthy = feed.events > 0;
    check
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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::platform::workspace::adapters::OutputWriter;
    use serde_json::json;

    /// One session's log as `adapter`'s process prints it: started with `servers`, then each
    /// (server, tool, answered with an error) call and its result, the skills line after the first.
    fn session_log(adapter: AgentProcessAdapter, servers: &[Value], calls: &[(&str, &str, bool)]) -> String {
        let w = OutputWriter::new(adapter, "3f1c0d2e-0000-4000-8000-000000000001");
        let mut lines = w.init(&[], servers);
        for (i, (server, tool, is_error)) in calls.iter().enumerate() {
            let id = format!("toolu_{i:02}");
            lines.push(w.tool_use(&id, server, tool, &json!({})));
            lines.push(w.tool_result(&id, server, tool, if *is_error { "down" } else { "ok" }, *is_error));
            if i == 0 {
                lines.extend(w.skills(&["deliver".to_string()]));
            }
        }
        lines.join("\n") + "\n"
    }

    #[test]
    fn the_cause_says_what_the_calls_were_beside_a_failing_check_only_when_none_was_the_required_tool() {
        let logs = |tool_uses, first_tool_calls| WorkspaceLogs {
            cli: "claude",
            tool_uses,
            first_tool_calls,
            ..WorkspaceLogs::default()
        };
        let down = Check::new("gateway", "502".into(), Plane::ControlPlane, Some("the gateway is down".into()));
        let tool = required_first_tool();
        // No check failing: the process ran with its tools, and what it called says why it was blocked.
        assert_eq!(
            cause(&[], &logs(0, 0)),
            "claude ran with its MCP tools available, but the dispatch prompt elicited no tool call"
        );
        assert_eq!(
            cause(&[], &logs(3, 0)),
            format!("claude ran with its MCP tools available, but of the blocked agents' 3 tool calls none was the required first tool {tool}")
        );
        // Calls of the required tool that the gate did not count (say, after its deadline) are named as such.
        assert_eq!(
            cause(&[], &logs(3, 1)),
            format!(
                "claude ran with its MCP tools available, but 1 of the blocked agents' 3 tool calls were the required first tool {tool}, \
                 and the launch contract did not count them"
            )
        );
        // A failing check is the cause; the calls are said beside it only when none was the required tool.
        assert_eq!(cause(&[&down], &logs(0, 0)), "the gateway is down");
        assert_eq!(
            cause(&[&down], &logs(2, 0)),
            format!("the gateway is down; of the blocked agents' 2 tool calls none was the required first tool {tool}")
        );
        assert_eq!(cause(&[&down], &logs(2, 1)), "the gateway is down");
    }

    #[test]
    fn workspace_logs_count_sessions_calls_and_errors_in_each_adapters_format() {
        let connected = [json!({"name": "fractalops-hud", "status": "connected"})];
        let calls = [("agent-memory-archive", "memory_search", false), ("fractalops-hud", "get_hud_snapshot", true)];
        for adapter in [AgentProcessAdapter::ClaudeCli, AgentProcessAdapter::CodexCli] {
            let mut logs = WorkspaceLogs::default();
            logs.read(adapter, &session_log(adapter, &connected, &calls));
            logs.read(adapter, &session_log(adapter, &connected, &calls[..1]));
            logs.read(adapter, "");
            logs.read(adapter, " \n");
            logs.read(adapter, "\nworkspace-cli: cannot start\nsecond line\n");
            let counts = (logs.started, logs.silent, logs.tool_uses, logs.first_tool_calls, logs.tool_errors);
            assert_eq!(counts, (2, 2, 3, 1, 1), "{adapter:?}: {logs:?}");
            assert_eq!(logs.sessionless, ["workspace-cli: cannot start"], "{adapter:?}");
            assert!(logs.failed_servers.is_empty());
            assert_eq!(logs.no_servers, 0);
        }
    }

    #[test]
    fn only_claudes_start_line_says_which_mcp_servers_attached() {
        let failed = [json!({"name": "agent-memory-archive", "status": "failed"})];
        let mut claude = WorkspaceLogs::default();
        claude.read(AgentProcessAdapter::ClaudeCli, &session_log(AgentProcessAdapter::ClaudeCli, &failed, &[]));
        claude.read(AgentProcessAdapter::ClaudeCli, &session_log(AgentProcessAdapter::ClaudeCli, &[], &[]));
        let named: Vec<&str> = claude.failed_servers.iter().map(String::as_str).collect();
        assert_eq!((claude.started, claude.no_servers, named), (2, 1, vec!["agent-memory-archive"]));
        // Codex's `thread.started` has no place for them: nothing is said either way.
        let mut codex = WorkspaceLogs::default();
        codex.read(AgentProcessAdapter::CodexCli, &session_log(AgentProcessAdapter::CodexCli, &failed, &[]));
        assert_eq!((codex.started, codex.no_servers, codex.failed_servers.len()), (1, 0, 0));
    }

    #[test]
    fn every_plane_name_is_its_serde_name() {
        for plane in [Plane::ExecutionPlane, Plane::ControlPlane, Plane::Neither] {
            assert_eq!(serde_json::to_value(plane).unwrap(), plane.name());
        }
    }
}
