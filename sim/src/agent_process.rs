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

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use squadsim_conformance::tool_name;
use squadsim_conformance::vocabulary::{BlockerCode, Wall};
use squadsim_fakes::daytona::{ProcessLauncher, ProcessOutput, ProcessSpec};
use squadsim_fakes::mcp::McpClient;
use squadsim_fakes::net::{HttpClient, HttpRequest};

use crate::agent_process_adapter::{
    AgentProcessAdapter, NoProgressReport, OutputWriter, RuntimeBinding, ENV_RUNTIME_BINDING,
};
use crate::delivery_work::Work;
use crate::scenario::AgentBehaviour;
use crate::templates::{self, HandoffPlan};
use crate::{delivery_work, hud};

pub const ENV_ROLE: &str = "AGENTSQUAD_ROLE_ID";
pub const ENV_GATEWAY_URL: &str = "CONTEXTFORGE_URL";
pub const ENV_GATEWAY_TOKEN: &str = "CONTEXTFORGE_TOKEN";
pub const ENV_AGENT_ID: &str = "AGENTSQUAD_AGENT_ID";
pub const ENV_RUN_ID: &str = "AGENTSQUAD_RUN_ID";
pub const ENV_TEMPLATE_ID: &str = "AGENTSQUAD_TEMPLATE_ID";
/// Comma-separated server ids the loadout attaches.
pub const ENV_MCP_SERVERS: &str = "AGENTSQUAD_MCP_SERVERS";
/// Where the workspace shim pulls skills from (`GET /v1/skills`).
pub const ENV_SKILLS_URL: &str = "AGENTSQUAD_SKILLS_URL";

pub use crate::agent_process_adapter::AttemptCommand;

/// Default behaviour of a role when the scenario does not script it.
pub fn default_behaviour(_role_id: &str) -> AgentBehaviour {
    AgentBehaviour {
        tool_calls: Some(vec!["get_hud_snapshot".to_string(), "post_hud_status".to_string()]),
        ..AgentBehaviour::default()
    }
}

const DEFAULT_THINK: Duration = Duration::from_secs(2);

/// Starts simulated agent processes inside Daytona sandboxes.
pub struct AgentProcessLauncher {
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
        let gateway = McpClient::new(
            self.http.clone(),
            format!("{}/mcp", spec.env.get(ENV_GATEWAY_URL).cloned().unwrap_or_default()),
        )
        .with_header(
            "authorization",
            format!("Bearer {}", spec.env.get(ENV_GATEWAY_TOKEN).cloned().unwrap_or_default()),
        );
        let process = AgentProcess {
            spec,
            command,
            behaviour,
            handoffs,
            http: self.http.clone(),
            daytona_url: self.daytona_url.clone(),
            daytona_api_key: self.daytona_api_key.clone(),
            output,
            gateway: tokio::sync::Mutex::new(gateway),
            palette: std::sync::OnceLock::new(),
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
    gateway: tokio::sync::Mutex<McpClient>,
    palette: std::sync::OnceLock<Vec<PaletteTool>>,
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
    let a = crate::identity::stable_hash(0, &[&spec.sandbox_id, &spec.command]);
    let b = crate::identity::stable_hash(1, &[&spec.sandbox_id, &spec.command]);
    let h = format!("{a:016x}{b:016x}");
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// One palette entry: the agent-facing name and the federated wire name the shim calls.
struct PaletteTool {
    server_id: String,
    bare: String,
    federated: String,
}

impl AgentProcess {
    pub(crate) fn env(&self, key: &str) -> String {
        self.spec.env.get(key).cloned().unwrap_or_default()
    }

    fn emit(&self, line: Value) {
        self.output.println(&line.to_string());
    }

    /// The servers the adapter lets this attempt reach, of those the loadout attaches.
    fn reachable_servers(&self) -> Vec<String> {
        self.env(ENV_MCP_SERVERS)
            .split(',')
            .filter(|s| !s.is_empty() && self.command.adapter.reaches(s))
            .map(str::to_string)
            .collect()
    }

    async fn run(self: Arc<Self>) {
        let think = self.think();
        let skills = self.pull_skills().await;
        let attached = self.reachable_servers();
        let (palette, servers) = self.build_palette(&attached).await;
        let names: Vec<String> = palette.iter().map(|t| tool_name::agent_facing_name(&t.server_id, &t.bare)).collect();
        let _ = self.palette.set(palette);
        for line in self.writer.init(&names, &servers, &skills) {
            self.emit(line);
        }
        let scripted = self.behaviour.tool_calls.clone().unwrap_or_default();
        self.call_tools(scripted.into_iter().map(|wanted| (wanted, json!({}))).collect()).await;
        let stopped = match delivery_work::perform(&self).await {
            Work::Done(references) => self.hand_on(&references).await.err(),
            Work::Short => None,
            Work::Stopped(report) => Some(report),
        };
        tokio::time::sleep(think).await;
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
        self.labelled_tools(handoffs)
            .await
            .map_err(|reason| NoProgressReport { blocker_code: BlockerCode::HandoffNotDelivered, reason })
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
    /// made concurrently through the gateway, and their results printed in order.
    async fn turn(&self, calls: Vec<(String, Value)>) -> Vec<Option<(String, bool)>> {
        tokio::time::sleep(self.think()).await;
        self.turns.fetch_add(1, Ordering::SeqCst);
        let palette = self.palette.get().map(Vec::as_slice).unwrap_or_default();
        let mut requests = Vec::with_capacity(calls.len());
        for (wanted, arguments) in calls {
            let id = format!("toolu_{:02}", self.calls.fetch_add(1, Ordering::SeqCst));
            let same = |t: &&PaletteTool| {
                tool_name::canonical(&t.server_id, &t.bare) == tool_name::canonical(&t.server_id, &wanted)
            };
            let Some(tool) = palette.iter().find(same) else {
                // The model cannot call a tool its palette does not carry.
                self.note(&format!("{wanted} is not available to me"));
                requests.push(None);
                continue;
            };
            self.emit(self.writer.tool_use(&id, &tool.server_id, &tool.bare, &arguments));
            let client = self.gateway.lock().await.fork();
            requests.push(Some((id, tool, client, arguments)));
        }
        let answers = futures::future::join_all(requests.into_iter().map(|request| async move {
            let (id, tool, mut client, arguments) = request?;
            let answer = match client.call_tool(&tool.federated, arguments).await {
                Ok(r) => (r.text, r.is_error),
                Err(e) => (e.to_string(), true),
            };
            Some((id, tool, answer))
        }))
        .await;
        answers
            .into_iter()
            .map(|answer| {
                let (id, tool, (text, is_error)) = answer?;
                self.emit(self.writer.tool_result(&id, &tool.server_id, &tool.bare, &text, is_error));
                Some((text, is_error))
            })
            .collect()
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
        let answer = tokio::time::timeout(crate::skills::PULL_BOUND, self.http.send(HttpRequest::get(url))).await;
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
            Err(_) => format!("no answer within {}s", crate::skills::PULL_BOUND.as_secs()),
        };
        self.output.println(&format!("workspace-shim: skill pull GET /v1/skills: {problem}; going on without skills"));
        Vec::new()
    }

    /// The palette of the attached servers, with each server's status, as the runtime binding
    /// binding builds it. Either way the agent-facing name is `mcp__<server_id>__<tool>`
    /// with the tool's name as its grid knows it: the federation prefix never reaches it.
    async fn build_palette(&self, attached: &[String]) -> (Vec<PaletteTool>, Vec<Value>) {
        let catalogue = match self.binding {
            RuntimeBinding::Cliproxy => self.shim_catalogue().await,
            RuntimeBinding::ClaudeNative => self.discovered_catalogue().await,
        };
        let mut palette = Vec::new();
        let mut servers = Vec::new();
        for server_id in attached {
            let prefix = format!("{}-", tool_name::slug(&tool_name::gateway_name(server_id)));
            let tools: Vec<PaletteTool> = catalogue
                .iter()
                .filter(|(federated, gateway_slug, _)| match gateway_slug {
                    Some(slug) => format!("{slug}-") == prefix,
                    None => federated.starts_with(&prefix),
                })
                .map(|(federated, _, bare)| PaletteTool {
                    server_id: server_id.clone(),
                    bare: bare.clone().unwrap_or_else(|| federated[prefix.len()..].to_string()),
                    federated: federated.clone(),
                })
                .collect();
            let status = if tools.is_empty() { "failed" } else { "connected" };
            servers.push(json!({"name": server_id, "status": status}));
            palette.extend(tools);
        }
        (palette, servers)
    }

    /// The cliproxy workspace shim reads the gateway's tool catalogue (`GET /tools`):
    /// (federated name, gateway slug, bare upstream name) per tool.
    async fn shim_catalogue(&self) -> Vec<(String, Option<String>, Option<String>)> {
        let request =
            HttpRequest::get(format!("{}/tools", self.env(ENV_GATEWAY_URL))).bearer(&self.env(ENV_GATEWAY_TOKEN));
        let catalogue = match self.http.send(request).await {
            Ok(r) if r.status.is_success() => r.json(),
            _ => Value::Null,
        };
        let field = |t: &Value, k: &str| t.get(k).and_then(Value::as_str).map(str::to_string);
        catalogue
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|t| (field(t, "name").unwrap_or_default(), field(t, "gatewaySlug"), field(t, "originalName")))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// claude-native discovers the federated wire names from the gateway itself
    /// (MCP `tools/list`); it has no bare names, only the federated ones.
    async fn discovered_catalogue(&self) -> Vec<(String, Option<String>, Option<String>)> {
        let mut gateway = McpClient::new(self.http.clone(), format!("{}/mcp", self.env(ENV_GATEWAY_URL)))
            .with_header("authorization", format!("Bearer {}", self.env(ENV_GATEWAY_TOKEN)));
        gateway
            .list_tools()
            .await
            .map(|tools| tools.into_iter().map(|t| (t.name, None, None)).collect())
            .unwrap_or_default()
    }
}
