//! The agent process inside an execution workspace, and the command/env
//! contract by which the Harness Runtime starts it.
//!
//! The `claude-cli` agent process adapter runs
//! `claude -p --output-format stream-json --session-id <id> --allowedTools <wildcards> <prompt>`
//! with the gateway URL and token in the sandbox env. Only the model is scripted
//! (an [`AgentBehaviour`] per role): the workspace shim's palette, the MCP calls
//! through the ContextForge gateway and the stream-json output are real code
//! paths, so a broken loadout, a refused token or an unreachable gateway shows up
//! as what the process prints (or does not print). An attempt whose work stopped on
//! a failed call (a tool error, an unreachable service, a handoff that did not
//! land) ends with its no-progress report and exit code 1; the Harness Runtime
//! reads that and blocks the session.
//!
//! Least privilege (`docs/seeds.md`, delivery-language seed, "Allow-List Shape"): the process
//! reaches tools only through the virtual servers its loadout mounts
//! ([`ENV_MCP_SERVERS`]: one `/servers/<id>/mcp` per mounted server), never the
//! gateway's global `/mcp`; and the shim checks every call against the loadout's
//! allow-list (`mcp__<server_id>__*` wildcards) before it leaves: a call no
//! wildcard matches is refused on the spot, printed as a failed tool result, and
//! reported to the run record.
//!
//! The skill poll-pull (`GET /v1/skills`, bounded to 5 s) runs after the
//! session's first tool call, not at its start (`docs/seeds.md`, runbook: intake agents "block at
//! first-tool before the pull"): a session that never makes a tool call never
//! pulls.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use squadsim_conformance::tool_name;
use squadsim_conformance::vocabulary::{BlockerCode, Wall};
use squadsim_fakes::daytona::{ProcessLauncher, ProcessOutput, ProcessSpec};
use squadsim_fakes::mcp::McpClient;
use squadsim_fakes::net::{HttpClient, HttpRequest, Member};

use crate::base::templates::{self, HandoffPlan};
use crate::platform::workspace::adapters::{NoProgressReport, OutputWriter, ENV_RUNTIME_BINDING};
use crate::platform::workspace::delivery_work::Work;
use crate::scenario::AgentBehaviour;
use crate::scenario::{AgentProcessAdapter, RuntimeBinding};
use crate::{platform::hud, platform::workspace::delivery_work, platform::workspace::preview_app};

pub(crate) const ENV_ROLE: &str = "AGENTSQUAD_ROLE_ID";
pub(crate) const ENV_GATEWAY_URL: &str = "CONTEXTFORGE_URL";
pub(crate) const ENV_GATEWAY_TOKEN: &str = "CONTEXTFORGE_TOKEN";
pub(crate) const ENV_AGENT_ID: &str = "AGENTSQUAD_AGENT_ID";
pub(crate) const ENV_RUN_ID: &str = "AGENTSQUAD_RUN_ID";
pub(crate) const ENV_TEMPLATE_ID: &str = "AGENTSQUAD_TEMPLATE_ID";
/// The MCP servers the loadout mounts, as [`McpMount::to_env`] writes them.
pub(crate) const ENV_MCP_SERVERS: &str = "AGENTSQUAD_MCP_SERVERS";
/// Where the workspace shim pulls skills from (`GET /v1/skills`).
pub(crate) const ENV_SKILLS_URL: &str = "AGENTSQUAD_SKILLS_URL";

pub(crate) use crate::platform::workspace::adapters::AttemptCommand;

/// One MCP server an attempt's loadout mounts: its server id and the MCP
/// endpoint of its virtual server on the gateway (`.../servers/<id>/mcp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpMount {
    pub server_id: String,
    pub url: String,
}

impl McpMount {
    /// The mounts as the sandbox env carries them: Claude Code's `--mcp-config`
    /// shape, `{"mcpServers": {"<server_id>": {"type": "http", "url": "<endpoint>"}}}`.
    pub fn to_env(mounts: &[McpMount]) -> String {
        let servers: serde_json::Map<String, Value> =
            mounts.iter().map(|m| (m.server_id.clone(), json!({"type": "http", "url": m.url}))).collect();
        json!({"mcpServers": servers}).to_string()
    }

    /// Reads [`McpMount::to_env`] back, in order; anything unreadable mounts nothing.
    pub fn parse_env(text: &str) -> Vec<McpMount> {
        let config: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let servers = config.get("mcpServers").and_then(Value::as_object);
        servers
            .into_iter()
            .flatten()
            .filter_map(|(server_id, s)| {
                let url = s.get("url").and_then(Value::as_str)?;
                Some(McpMount { server_id: server_id.clone(), url: url.to_string() })
            })
            .collect()
    }

    /// The virtual server's REST tool listing (`GET /servers/<id>/tools`).
    fn tools_url(&self) -> String {
        format!("{}/tools", self.url.strip_suffix("/mcp").unwrap_or(&self.url))
    }
}

/// Whether an allow-list wildcard (`mcp__<server_id>__*`) or exact entry admits the agent-facing `name`.
fn admits(entry: &str, name: &str) -> bool {
    match entry.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => entry == name,
    }
}

/// An agent-facing name `mcp__<server_id>__<tool>` split into its server and tool.
fn split_agent_facing(name: &str) -> Option<(&str, &str)> {
    let (server_id, tool) = name.strip_prefix("mcp__")?.split_once("__")?;
    (!server_id.is_empty() && !tool.is_empty()).then_some((server_id, tool))
}

/// Default behaviour of a role when the scenario does not script it.
pub(crate) fn default_behaviour(_role_id: &str) -> AgentBehaviour {
    AgentBehaviour {
        tool_calls: Some(vec!["get_hud_snapshot".to_string(), "post_hud_status".to_string()]),
        ..AgentBehaviour::default()
    }
}

const DEFAULT_THINK: Duration = Duration::from_secs(2);

/// How long the agent's MCP client waits for one `tools/call` through its virtual
/// server: past the gateway's own bound on the upstream call
/// ([`squadsim_fakes::contextforge::TOOL_TIMEOUT`], ContextForge's `TOOL_TIMEOUT`), so a
/// slow grid's answer, or the gateway's timed-out answer, reaches the agent. Model-defined:
/// the gateway's bound plus the agent's usual 10 s for the gateway's own reply (Claude
/// Code's `MCP_TOOL_TIMEOUT` is longer still; the Harness Runtime's deadlines end an
/// attempt that waits too long). Opening the connection keeps the usual 10 s.
pub(crate) const TOOL_CALL_WAIT: Duration =
    Duration::from_secs(squadsim_fakes::contextforge::TOOL_TIMEOUT.as_secs() + 10);

/// Starts simulated agent processes inside Daytona sandboxes.
pub(crate) struct AgentProcessLauncher {
    pub behaviours: BTreeMap<String, AgentBehaviour>,
    pub http: HttpClient,
    /// Implementer lanes the planner hands work to by default.
    pub implementer_lanes: u32,
    /// Daytona's base URL and API key: the process reaches its own sandbox's
    /// files and Git checkouts through the toolbox.
    pub daytona_url: String,
    pub daytona_api_key: String,
}

impl ProcessLauncher for AgentProcessLauncher {
    fn launch(&self, spec: ProcessSpec, output: ProcessOutput) {
        let Some(mut command) = AttemptCommand::parse(&spec.command) else {
            let program = spec.command.split_whitespace().next().unwrap_or_default().to_string();
            output.println(&format!("sh: 1: {program}: not found"));
            output.exit(127);
            return;
        };
        if command.adapter == AgentProcessAdapter::BrowserOnly && command.browser_slot.is_none() {
            output.println("workspace-cli: --browser-only needs a browser slot in the loadout");
            output.exit(2);
            return;
        }
        // A CLI that picks its own session id (codex) does so on a first attempt.
        let session_id = command.session_id.get_or_insert_with(|| cli_session_id(&spec)).clone();
        let writer = OutputWriter::new(command.adapter, &session_id);
        let binding = spec.env.get(ENV_RUNTIME_BINDING).and_then(|b| RuntimeBinding::parse(b)).unwrap_or_default();
        let role = spec.env.get(ENV_ROLE).cloned().unwrap_or_default();
        // A scripted field replaces the role's default; an unscripted one keeps it.
        let default = default_behaviour(&role);
        let scripted = self.behaviours.get(&role).cloned().unwrap_or_else(|| default.clone());
        let behaviour = AgentBehaviour {
            tool_calls: scripted.tool_calls.or(default.tool_calls),
            think: scripted.think.or(default.think),
            ..scripted
        };
        let handoffs = match &behaviour.handoffs {
            Some(list) => list
                .iter()
                .map(|h| HandoffPlan {
                    recipient_agent_id: h.to.clone(),
                    handoff_intent: h.intent.clone(),
                    required_result: h.required_result.clone(),
                    fallback_wall: Wall::parse(&h.fallback_wall).unwrap_or(Wall::Delivery),
                })
                .collect(),
            None => spec
                .env
                .get(ENV_TEMPLATE_ID)
                .and_then(|t| templates::find(t))
                .map(|t| t.default_handoffs(&role, self.implementer_lanes))
                .unwrap_or_default(),
        };
        let token = spec.env.get(ENV_GATEWAY_TOKEN).cloned().unwrap_or_default();
        let mounted = McpMount::parse_env(spec.env.get(ENV_MCP_SERVERS).map(String::as_str).unwrap_or_default())
            .into_iter()
            .filter(|m| command.adapter.reaches(&m.server_id))
            .map(|mount| {
                let client = McpClient::new(self.http.clone(), mount.url.clone())
                    .with_header("authorization", format!("Bearer {token}"));
                MountedServer { mount, client: tokio::sync::Mutex::new(client) }
            })
            .collect::<Vec<_>>();
        // Codex takes no allow-list flag: its MCP config (the mounts) is its allow-list.
        let allow_list = if command.adapter.takes_allow_list() {
            command.allowed_tools.clone()
        } else {
            mounted.iter().map(|m| tool_name::allow_list_wildcard(&m.mount.server_id)).collect()
        };
        let process = AgentProcess {
            spec,
            command,
            behaviour,
            handoffs,
            http: self.http.clone(),
            daytona_url: self.daytona_url.clone(),
            daytona_api_key: self.daytona_api_key.clone(),
            output,
            mounted,
            allow_list,
            palette: std::sync::OnceLock::new(),
            skills_pulled: std::sync::atomic::AtomicBool::new(false),
            turns: AtomicU32::new(0),
            calls: AtomicU32::new(0),
            writer,
            binding,
        };
        tokio::spawn(Arc::new(process).run());
    }
}

/// One running agent process: its spec and command, the scripted model, and the
/// workspace shim's gateway client and palette.
pub(crate) struct AgentProcess {
    pub(crate) spec: ProcessSpec,
    pub(crate) command: AttemptCommand,
    pub(crate) behaviour: AgentBehaviour,
    handoffs: Vec<HandoffPlan>,
    pub(crate) http: HttpClient,
    pub(crate) daytona_url: String,
    pub(crate) daytona_api_key: String,
    output: ProcessOutput,
    /// The virtual servers the loadout mounts (of those the adapter reaches), each with its client.
    mounted: Vec<MountedServer>,
    /// What the shim checks every call against before it leaves (`mcp__<server_id>__*` wildcards).
    allow_list: Vec<String>,
    palette: std::sync::OnceLock<Vec<PaletteTool>>,
    /// Set once the skill poll-pull ran (after the first tool call).
    skills_pulled: std::sync::atomic::AtomicBool,
    turns: AtomicU32,
    /// Tool calls the model made so far (including those its palette lacked): the next call's id.
    calls: AtomicU32,
    /// Prints in the adapter's output format.
    writer: OutputWriter,
    /// Which runtime binding the palette and MCP calls go through.
    binding: RuntimeBinding,
}

/// A UUID-shaped session id a CLI picks for itself, stable for one sandbox and command.
fn cli_session_id(spec: &ProcessSpec) -> String {
    let a = crate::base::identity::stable_hash(0, &[&spec.sandbox_id, &spec.command]);
    let b = crate::base::identity::stable_hash(1, &[&spec.sandbox_id, &spec.command]);
    let h = format!("{a:016x}{b:016x}");
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// One virtual server the process mounts, with the MCP client the shim calls it through.
struct MountedServer {
    mount: McpMount,
    client: tokio::sync::Mutex<McpClient>,
}

/// One palette entry: the agent-facing name and the federated wire name the shim calls.
#[derive(Debug, Clone)]
struct PaletteTool {
    server_id: String,
    bare: String,
    federated: String,
    /// `tool_name::canonical(server_id, bare)`, once: every call the model makes is matched on it.
    canonical: String,
}

impl PaletteTool {
    fn new(server_id: String, bare: String, federated: String) -> Self {
        let canonical = tool_name::canonical(&server_id, &bare);
        PaletteTool { server_id, bare, federated, canonical }
    }
}

/// What the shim does with one tool call the model makes.
enum Resolved {
    /// Proxied to the tool's virtual server under its federated wire name.
    Proxied(PaletteTool),
    /// Refused before it leaves: no allow-list wildcard admits it.
    Refused { server_id: String, bare: String },
    /// The model has no such tool (its palette lacks it and no mounted server serves it).
    Unavailable,
}

/// A call of a turn, once the shim decided what to do with it.
enum Pending {
    Proxied { id: String, tool: PaletteTool, client: Box<McpClient>, arguments: Value },
    Refused { id: String, server_id: String, bare: String },
}

impl AgentProcess {
    pub(crate) fn env(&self, key: &str) -> String {
        self.spec.env.get(key).cloned().unwrap_or_default()
    }

    fn emit(&self, line: String) {
        self.output.println(&line);
    }

    async fn run(self: Arc<Self>) {
        let think = self.think();
        let (palette, servers) = self.build_palette().await;
        let names: Vec<String> = palette.iter().map(|t| tool_name::agent_facing_name(&t.server_id, &t.bare)).collect();
        let _ = self.palette.set(palette);
        for line in self.writer.init(&names, &servers) {
            self.emit(line);
        }
        let scripted = self.behaviour.tool_calls.clone().unwrap_or_default();
        let calls = scripted.into_iter().map(|wanted| {
            let arguments = self.scripted_arguments(&wanted);
            (wanted, arguments)
        });
        self.call_tools(calls.collect()).await;
        if let Some(app) = &self.behaviour.preview_app {
            for line in preview_app::run(&self.http, &self.spec.sandbox_id, |key| self.env(key), app).await {
                self.note(&line);
            }
        }
        let stopped = match delivery_work::perform(&self).await {
            Work::Done(references) => self.hand_on(&references).await.err(),
            Work::Short => None,
            Work::Stopped(report) => Some(report),
        };
        squadsim_fakes::timer::sleep(think).await;
        let turns = self.turns.load(Ordering::SeqCst);
        // Work that stopped on a failed call ends the attempt with a no-progress
        // report and a non-zero exit, as the CLIs end an attempt that failed.
        match stopped {
            None => {
                self.emit(self.writer.result(turns));
                self.output.exit(0);
            }
            Some(report) => {
                self.emit(self.writer.no_progress(turns, &report));
                self.output.exit(1);
            }
        }
    }

    /// Sends the role's handoffs, one per delivery reference of its work (or one
    /// carrying none); `Err` with the no-progress report when one did not land.
    async fn hand_on(&self, references: &[String]) -> Result<(), NoProgressReport> {
        let mut handoffs = Vec::new();
        for plan in &self.handoffs {
            let references: Vec<Option<&String>> =
                if references.is_empty() { vec![None] } else { references.iter().map(Some).collect() };
            for reference in references {
                let arguments = json!({
                    "run_id": self.env(ENV_RUN_ID),
                    "sender_agent_id": self.env(ENV_AGENT_ID),
                    "recipient_agent_id": plan.recipient_agent_id,
                    "handoff_intent": plan.handoff_intent,
                    "required_result": plan.required_result,
                    "delivery_reference": reference,
                    "fallback_wall": plan.fallback_wall.code(),
                });
                let label = format!("{} to {}", hud::SEND_HANDOFF, plan.recipient_agent_id);
                handoffs.push((label, hud::SEND_HANDOFF.to_string(), arguments));
            }
        }
        self.labelled_tools(handoffs).await.map_err(|failed| NoProgressReport {
            blocker_code: BlockerCode::HandoffNotDelivered,
            reason: failed.to_string(),
        })
    }

    /// The arguments of a scripted tool call: the Agent HUD's tools say which run
    /// (and, posting a status, which agent and that it is working); any other tool gets none.
    fn scripted_arguments(&self, wanted: &str) -> Value {
        let bare = split_agent_facing(wanted).map_or(wanted, |(_, tool)| tool);
        match bare {
            hud::POST_HUD_STATUS => {
                json!({"run_id": self.env(ENV_RUN_ID), "agent_id": self.env(ENV_AGENT_ID), "status": hud::WORKING})
            }
            b if b == templates::REQUIRED_FIRST_TOOL.1 => json!({"run_id": self.env(ENV_RUN_ID)}),
            _ => json!({}),
        }
    }

    fn think(&self) -> Duration {
        self.behaviour.think.map(|t| t.0).unwrap_or(DEFAULT_THINK)
    }

    /// The most tool calls the model makes in one turn.
    pub(crate) fn calls_per_turn(&self) -> usize {
        self.behaviour.parallel_tool_calls.map_or(1, |n| n.max(1) as usize) // 0 is refused at load
    }

    /// Independent tool calls (bare names and arguments) in as few model turns as
    /// the model's parallel tool use allows ([`AgentBehaviour::parallel_tool_calls`],
    /// one a turn unless scripted): each turn thinks once, then makes its calls at
    /// once. The answers come back in the order of `calls`.
    pub(crate) async fn call_tools(&self, calls: Vec<(String, Value)>) -> Vec<Option<(String, bool)>> {
        let per_turn = self.calls_per_turn();
        let mut answers = Vec::with_capacity(calls.len());
        let mut calls = calls.into_iter().peekable();
        while calls.peek().is_some() {
            let turn: Vec<(String, Value)> = calls.by_ref().take(per_turn).collect();
            answers.extend(self.turn(turn).await);
        }
        answers
    }

    /// One model turn: the think time, every call's `tool_use` printed, the calls
    /// the allow-list admits made concurrently through their virtual servers (the
    /// others refused on the spot), and their results printed in order. After the
    /// session's first turn with a call that left the shim, the skill poll-pull.
    async fn turn(&self, calls: Vec<(String, Value)>) -> Vec<Option<(String, bool)>> {
        squadsim_fakes::timer::sleep(self.think()).await;
        self.turns.fetch_add(1, Ordering::SeqCst);
        let mut pending = Vec::with_capacity(calls.len());
        for (wanted, arguments) in &calls {
            let id = format!("toolu_{:02}", self.calls.fetch_add(1, Ordering::SeqCst));
            match self.resolve(wanted) {
                Resolved::Unavailable => {
                    // The model cannot call a tool its palette does not carry.
                    self.note(&format!("{wanted} is not available to me"));
                    pending.push(None);
                }
                Resolved::Refused { server_id, bare } => {
                    self.emit(self.writer.tool_use(&id, &server_id, &bare, arguments));
                    pending.push(Some(Pending::Refused { id, server_id, bare }));
                }
                Resolved::Proxied(tool) => {
                    self.emit(self.writer.tool_use(&id, &tool.server_id, &tool.bare, arguments));
                    let Some(server) = self.mounted.iter().find(|m| m.mount.server_id == tool.server_id) else {
                        continue; // resolve() proxies only to mounted servers
                    };
                    let client = Box::new(server.client.lock().await.fork().waiting_up_to(TOOL_CALL_WAIT));
                    pending.push(Some(Pending::Proxied { id, tool, client, arguments: arguments.clone() }));
                }
            }
        }
        let left = pending.iter().any(|p| matches!(p, Some(Pending::Proxied { .. })));
        let answers = futures::future::join_all(pending.into_iter().map(|p| async move {
            match p? {
                Pending::Proxied { id, tool, mut client, arguments } => {
                    let (text, is_error) = match client.call_tool(&tool.federated, arguments).await {
                        Ok(r) => (r.text, r.is_error),
                        Err(e) => (e.to_string(), true),
                    };
                    let line = self.writer.tool_result(&id, &tool.server_id, &tool.bare, &text, is_error);
                    Some((line, text, is_error))
                }
                Pending::Refused { id, server_id, bare } => {
                    let agent_facing = tool_name::agent_facing_name(&server_id, &bare);
                    crate::base::run_events::tool_call_refused(&self.env(ENV_AGENT_ID), &agent_facing);
                    let (line, text) = self.writer.tool_refused(&id, &server_id, &bare, &self.allow_list);
                    Some((line, text, true))
                }
            }
        }))
        .await;
        let answers: Vec<Option<(String, bool)>> = answers
            .into_iter()
            .map(|answer| {
                let (line, text, is_error) = answer?;
                self.emit(line);
                Some((text, is_error))
            })
            .collect();
        if left && !self.skills_pulled.swap(true, Ordering::SeqCst) {
            let skills = self.pull_skills().await;
            if let Some(line) = self.writer.skills(&skills) {
                self.emit(line);
            }
        }
        answers
    }

    /// What the shim does with the model's call of `wanted`: a bare name from
    /// the palette, or an agent-facing name `mcp__<server_id>__<tool>`. Every call
    /// is checked against the allow-list before it can leave; an agent-facing name
    /// the palette lacks goes to its server's virtual server (which decides
    /// whether it has the tool) if the loadout mounts that server.
    fn resolve(&self, wanted: &str) -> Resolved {
        let palette = self.palette.get().map(Vec::as_slice).unwrap_or_default();
        let named = split_agent_facing(wanted);
        // The canonical form of `wanted` under each server it is compared on, each computed once.
        let mut wanted_under: Vec<(String, String)> = Vec::new();
        let same = |t: &&PaletteTool| {
            let (server_id, tool) = named.unwrap_or((t.server_id.as_str(), wanted));
            if t.server_id != server_id {
                return false;
            }
            let i = match wanted_under.iter().position(|(s, _)| *s == server_id) {
                Some(i) => i,
                None => {
                    wanted_under.push((server_id.to_string(), tool_name::canonical(server_id, tool)));
                    wanted_under.len() - 1
                }
            };
            t.canonical == wanted_under[i].1
        };
        let tool = match (palette.iter().find(same), named) {
            (Some(t), _) => t.clone(),
            (None, Some((server_id, bare))) => PaletteTool::new(
                server_id.to_string(),
                bare.to_string(),
                tool_name::federated_wire_name(server_id, bare),
            ),
            (None, None) => return Resolved::Unavailable,
        };
        let agent_facing = tool_name::agent_facing_name(&tool.server_id, &tool.bare);
        if !self.allow_list.iter().any(|entry| admits(entry, &agent_facing)) {
            return Resolved::Refused { server_id: tool.server_id, bare: tool.bare };
        }
        if !self.mounted.iter().any(|m| m.mount.server_id == tool.server_id) {
            return Resolved::Unavailable;
        }
        Resolved::Proxied(tool)
    }

    /// What the model says without calling a tool.
    pub(crate) fn note(&self, text: &str) {
        self.emit(self.writer.text("note", text));
    }

    /// The skill poll-pull: `GET /v1/skills?role_id=<role>`, bounded to 5 s. A slow,
    /// unreachable or refusing skills service never stalls the launch: the shim
    /// says so on its output and goes on without skills.
    async fn pull_skills(&self) -> Vec<String> {
        let url = format!("{}/v1/skills?role_id={}", self.env(ENV_SKILLS_URL), self.env(ENV_ROLE));
        let answer =
            squadsim_fakes::timer::timeout(crate::platform::skills::PULL_BOUND, self.http.send(HttpRequest::get(url)))
                .await;
        let problem = match answer {
            Ok(Ok(r)) if r.status.is_success() => {
                return r
                    .json()
                    .get("items")
                    .and_then(Value::as_array)
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(|i| i.get("skill_id").and_then(Value::as_str).map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
            }
            Ok(Ok(r)) => format!("HTTP {}", r.status.as_u16()),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {}s", crate::platform::skills::PULL_BOUND.as_secs()),
        };
        self.output.println(&format!("workspace-shim: skill pull GET /v1/skills: {problem}; going on without skills"));
        Vec::new()
    }

    /// The palette of the mounted servers, with each server's status, as the
    /// runtime binding builds it: the cliproxy shim from each virtual server's
    /// bare upstream names (`GET /servers/<id>/tools`), claude-native from the
    /// federated names each virtual server lists over MCP (`tools/list`). Either
    /// way the agent-facing name is `mcp__<server_id>__<tool>` with the tool's name
    /// as its grid knows it: the federation prefix never reaches it.
    async fn build_palette(&self) -> (Vec<PaletteTool>, Vec<Value>) {
        let mut palette = Vec::new();
        let mut servers = Vec::new();
        for server in &self.mounted {
            let server_id = &server.mount.server_id;
            let prefix = format!("{}-", tool_name::slug(&tool_name::gateway_name(server_id)));
            let listed = match self.binding {
                RuntimeBinding::Cliproxy => self.shim_listing(&server.mount).await,
                RuntimeBinding::ClaudeNative => server
                    .client
                    .lock()
                    .await
                    .list_tools()
                    .await
                    .ok()
                    .map(|tools| tools.into_iter().map(|t| (t.name, None)).collect()),
            };
            let tools: Vec<PaletteTool> = listed
                .unwrap_or_default()
                .into_iter()
                .map(|(federated, bare)| {
                    let bare =
                        bare.unwrap_or_else(|| federated.strip_prefix(&prefix).unwrap_or(&federated).to_string());
                    PaletteTool::new(server_id.clone(), bare, federated)
                })
                .collect();
            let status = if tools.is_empty() { "failed" } else { "connected" };
            servers.push(json!({"name": server_id, "status": status}));
            palette.extend(tools);
        }
        (palette, servers)
    }

    /// The cliproxy workspace shim reads a virtual server's tools over REST:
    /// (federated name, bare upstream name) per tool; `None` if it could not.
    async fn shim_listing(&self, mount: &McpMount) -> Option<Vec<(String, Option<String>)>> {
        let request = HttpRequest::get(mount.tools_url()).bearer(&self.env(ENV_GATEWAY_TOKEN));
        let listing = match self.http.send(request).await {
            Ok(r) if r.status.is_success() => r,
            _ => return None,
        };
        let tools = listing.element_members(["name", "originalName"])?;
        let field = |m: &Member| m.as_str().map(str::to_string);
        Some(tools.iter().map(|[name, original]| (field(name).unwrap_or_default(), field(original))).collect())
    }
}
