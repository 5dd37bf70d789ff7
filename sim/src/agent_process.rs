//! The agent process inside an execution workspace, and the command/env
//! contract by which the Harness Runtime starts it.
//!
//! The `claude-cli` agent process adapter runs
//! `claude -p --output-format stream-json --session-id <id> --allowedTools <wildcards> <prompt>`
//! with the gateway URL and token in the sandbox env. Only the model is scripted
//! (an [`AgentBehaviour`] per role): the workspace shim's palette, the MCP calls
//! through the ContextForge gateway and the stream-json output are real code
//! paths, so a broken loadout, a refused token or an unreachable gateway shows up
//! as what the process prints (or does not print).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use squadsim_conformance::tool_name;
use squadsim_conformance::vocabulary::Wall;
use squadsim_fakes::daytona::{ProcessLauncher, ProcessOutput, ProcessSpec};
use squadsim_fakes::mcp::McpClient;
use squadsim_fakes::net::{HttpClient, HttpRequest};

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

/// What the Harness Runtime asks of one agent attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptCommand {
    pub claude_session_id: String,
    /// One `mcp__<server_id>__*` per attached server.
    pub allowed_tools: Vec<String>,
    pub prompt: String,
}

impl AttemptCommand {
    /// The `claude-cli` command line.
    pub fn command_line(&self) -> String {
        format!(
            "claude -p --output-format stream-json --session-id {} --allowedTools {} {}",
            self.claude_session_id,
            self.allowed_tools.join(","),
            shell_quote(&self.prompt)
        )
    }

    /// Reads a command line back; `None` if it is not a `claude -p` stream-json invocation.
    pub fn parse(command: &str) -> Option<AttemptCommand> {
        let mut words = command.split_whitespace();
        if words.next()? != "claude" {
            return None;
        }
        let mut claude_session_id = None;
        let mut allowed = Vec::new();
        let rest: Vec<&str> = words.collect();
        let mut i = 0;
        while i < rest.len() {
            match rest[i] {
                "--session-id" | "--resume" => {
                    claude_session_id = rest.get(i + 1).map(|s| s.to_string());
                    i += 2;
                }
                "--allowedTools" => {
                    allowed = rest.get(i + 1).map(|s| s.split(',').map(str::to_string).collect()).unwrap_or_default();
                    i += 2;
                }
                "-p" | "--output-format" | "stream-json" => i += 1,
                _ => break,
            }
        }
        let prompt = rest[i.min(rest.len())..].join(" ").trim_matches('\'').to_string();
        Some(AttemptCommand { claude_session_id: claude_session_id?, allowed_tools: allowed, prompt })
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

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
        let Some(command) = AttemptCommand::parse(&spec.command) else {
            let program = spec.command.split_whitespace().next().unwrap_or_default().to_string();
            output.println(&format!("sh: 1: {program}: not found"));
            output.exit(127);
            return;
        };
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

    async fn run(self: Arc<Self>) {
        let think = self.think();
        let csid = self.command.claude_session_id.clone();
        let attached: Vec<String> =
            self.env(ENV_MCP_SERVERS).split(',').filter(|s| !s.is_empty()).map(str::to_string).collect();
        let (palette, servers) = self.build_palette(&attached).await;
        let names: Vec<String> = palette.iter().map(|t| tool_name::agent_facing_name(&t.server_id, &t.bare)).collect();
        let _ = self.palette.set(palette);
        self.emit(
            json!({"type": "system", "subtype": "init", "session_id": csid, "tools": names, "mcp_servers": servers}),
        );
        for wanted in self.behaviour.tool_calls.clone().unwrap_or_default() {
            self.call_tool(&wanted, json!({})).await;
        }
        let work = delivery_work::perform(&self).await;
        if work.completed {
            for plan in &self.handoffs {
                let references: Vec<Option<&String>> =
                    if work.references.is_empty() { vec![None] } else { work.references.iter().map(Some).collect() };
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
                    self.call_tool(hud::SEND_HANDOFF, arguments).await;
                }
            }
        }
        tokio::time::sleep(think).await;
        let turns = self.turns.load(Ordering::SeqCst);
        self.emit(
            json!({"type": "result", "subtype": "success", "session_id": csid, "num_turns": turns, "is_error": false}),
        );
        self.output.exit(0);
    }

    fn think(&self) -> Duration {
        self.behaviour.think.map(|t| t.0).unwrap_or(DEFAULT_THINK)
    }

    /// One model turn (after the model's think time) calling `wanted`, a bare name:
    /// the tool's answer and whether it is an error, or `None` when the palette
    /// does not carry the tool.
    pub(crate) async fn call_tool(&self, wanted: &str, arguments: Value) -> Option<(String, bool)> {
        tokio::time::sleep(self.think()).await;
        let n = self.turns.fetch_add(1, Ordering::SeqCst);
        let palette = self.palette.get().map(Vec::as_slice).unwrap_or_default();
        let mut gateway = self.gateway.lock().await;
        self.call(&mut gateway, palette, wanted, arguments, &format!("toolu_{n:02}")).await
    }

    /// What the model says without calling a tool.
    pub(crate) fn note(&self, text: &str) {
        let csid = &self.command.claude_session_id;
        self.emit(
            json!({"type": "assistant", "session_id": csid, "message": {"content": [{"type": "text", "text": text}]}}),
        );
    }

    /// One model turn that calls `wanted` (a bare name) with `arguments`, if the
    /// palette carries it; the shim translates to the federated wire name only on
    /// the proxied call.
    async fn call(
        &self,
        gateway: &mut McpClient,
        palette: &[PaletteTool],
        wanted: &str,
        arguments: Value,
        id: &str,
    ) -> Option<(String, bool)> {
        let csid = &self.command.claude_session_id;
        let same = |t: &&PaletteTool| {
            tool_name::canonical(&t.server_id, &t.bare) == tool_name::canonical(&t.server_id, wanted)
        };
        let Some(tool) = palette.iter().find(same) else {
            // The model cannot call a tool its palette does not carry.
            self.note(&format!("{wanted} is not available to me"));
            return None;
        };
        let agent_name = tool_name::agent_facing_name(&tool.server_id, &tool.bare);
        let tool_use = json!({"type": "tool_use", "id": id, "name": agent_name, "input": arguments});
        self.emit(json!({"type": "assistant", "session_id": csid, "message": {"content": [tool_use]}}));
        let (text, is_error) = match gateway.call_tool(&tool.federated, arguments).await {
            Ok(r) => (r.text, r.is_error),
            Err(e) => (e.to_string(), true),
        };
        let result = json!({"type": "tool_result", "tool_use_id": id, "content": text, "is_error": is_error});
        self.emit(json!({"type": "user", "session_id": csid, "message": {"content": [result]}}));
        Some((text, is_error))
    }

    /// The cliproxy workspace shim's palette: bare upstream names of the attached
    /// servers, read from the gateway's tool catalogue (`GET /tools`).
    async fn build_palette(&self, attached: &[String]) -> (Vec<PaletteTool>, Vec<Value>) {
        let request =
            HttpRequest::get(format!("{}/tools", self.env(ENV_GATEWAY_URL))).bearer(&self.env(ENV_GATEWAY_TOKEN));
        let catalogue = match self.http.send(request).await {
            Ok(r) if r.status.is_success() => r.json(),
            _ => Value::Null,
        };
        let mut palette = Vec::new();
        let mut servers = Vec::new();
        for server_id in attached {
            let gateway_slug = tool_name::slug(&tool_name::gateway_name(server_id));
            let tools: Vec<PaletteTool> = catalogue
                .as_array()
                .map(|list| {
                    list.iter()
                        .filter(|t| t.get("gatewaySlug").and_then(Value::as_str) == Some(gateway_slug.as_str()))
                        .map(|t| PaletteTool {
                            server_id: server_id.clone(),
                            bare: t.get("originalName").and_then(Value::as_str).unwrap_or_default().to_string(),
                            federated: t.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let status = if tools.is_empty() { "failed" } else { "connected" };
            servers.push(json!({"name": server_id, "status": status}));
            palette.extend(tools);
        }
        (palette, servers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_round_trips() {
        let c = AttemptCommand {
            claude_session_id: "0f0e-11".into(),
            allowed_tools: vec!["mcp__fractalops-hud__*".into(), "mcp__glitchtip__*".into()],
            prompt: "You are the planner; it's time".into(),
        };
        let parsed = AttemptCommand::parse(&c.command_line()).unwrap();
        assert_eq!(parsed.claude_session_id, c.claude_session_id);
        assert_eq!(parsed.allowed_tools, c.allowed_tools);
        assert!(AttemptCommand::parse("python3 agent.py").is_none());
    }
}
