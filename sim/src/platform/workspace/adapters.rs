//! Agent process adapters: how one agent attempt is executed (`docs/seeds.md`, delivery-language
//! seed, "Execution Naming Spine": `claude-cli`, `codex-cli`, `workspace-cli`,
//! `browser-only`), and the runtime binding its model and MCP tools go through
//! (the cliproxy runtime or the claude-native runtime).
//!
//! This module owns both sides of the command/output contract between the
//! Harness Runtime and the process inside the execution workspace: how each
//! adapter builds its command line ([`AttemptCommand::command_line`]) and reads it
//! back ([`AttemptCommand::parse`]), how it prints its output ([`OutputWriter`])
//! and how that output is read ([`read_line`]).
//!
//! - `claude-cli`: `claude -p --verbose --output-format stream-json --session-id <uuid>`
//!   (`--resume <uuid>` on a later attempt) `--allowedTools <mcp__server__*,…> <prompt>`;
//!   stream-json output (`system`/`init`, `assistant` with `tool_use`, `user` with
//!   `tool_result`, `result`; an attempt whose work stopped ends with an error `result`
//!   carrying its no-progress report and exits 1).
//! - `codex-cli`: `codex exec --json --skip-git-repo-check <prompt>` (`codex exec --json
//!   resume <thread id> <prompt>` on a later attempt); JSONL output (`thread.started`,
//!   `turn.started`, `item.started`/`item.completed` with `mcp_tool_call` items naming
//!   `server` and `tool`, `turn.completed`, or `turn.failed` carrying the no-progress
//!   report, with exit 1). Codex picks its own thread id, so the session id is read
//!   from `thread.started`.
//! - `workspace-cli`: the workspace shim's own command line, `workspace-cli exec
//!   --output-format stream-json --session-id|--resume <uuid> --allowed-tools <…> <prompt>`;
//!   stream-json output.
//! - `browser-only`: `workspace-cli exec --browser-only --browser-slot <slot> …`: the
//!   attempt works through its browser slot alone (the palette keeps only the browser
//!   grid and the HUD); without a browser slot in the loadout it cannot start.
//!
//! Under the cliproxy runtime (the default) every adapter's model is `glm-5.2` behind
//! the endpoint binding `central_cliproxy` (`--model glm-5.2` / `-m glm-5.2`); under the
//! claude-native runtime no model is forced. Which one applies reaches the process as
//! [`ENV_RUNTIME_BINDING`].

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use squadsim_conformance::tool_name;
use squadsim_conformance::vocabulary::{BlockerCode, Wall};

use crate::scenario::{AgentProcessAdapter, RuntimeBinding};

mod typed_line;
mod written_line;

/// The endpoint binding of the cliproxy runtime.
pub(crate) const CLIPROXY_ENDPOINT_BINDING: &str = "central_cliproxy";
/// The model of the cliproxy runtime.
pub(crate) const CLIPROXY_MODEL: &str = "glm-5.2";
/// The grid a browser slot drives (PlaywrightGrid).
pub(crate) const BROWSER_GRID: &str = "playwright";
/// The sandbox env var naming the runtime binding (`cliproxy` or `claude-native`).
pub(crate) const ENV_RUNTIME_BINDING: &str = "AGENTSQUAD_RUNTIME_BINDING";
/// The sandbox env var naming the model endpoint binding (cliproxy only).
pub(crate) const ENV_ENDPOINT_BINDING: &str = "AGENTSQUAD_ENDPOINT_BINDING";

/// What each agent process adapter does (the adapter is a condition of the
/// scenario format: [`crate::scenario::AgentProcessAdapter`]).
impl AgentProcessAdapter {
    /// Whether the adapter's CLI takes the session id up front (`--session-id`);
    /// `codex-cli` picks its own and prints it.
    pub fn assigns_session_id(self) -> bool {
        self != AgentProcessAdapter::CodexCli
    }

    /// Whether the adapter's CLI takes the loadout's allow-list on its command line
    /// (`--allowedTools` / `--allowed-tools`); `codex-cli` has no such flag, its MCP
    /// config is its allow-list.
    pub fn takes_allow_list(self) -> bool {
        self != AgentProcessAdapter::CodexCli
    }

    /// Whether an attempt through this adapter reaches MCP server `server_id`:
    /// `browser-only` reaches only the browser grid and the HUD.
    pub fn reaches(self, server_id: &str) -> bool {
        self != AgentProcessAdapter::BrowserOnly
            || server_id == BROWSER_GRID
            || server_id == crate::platform::hud::SERVER_ID
    }

    fn output_format(self) -> OutputFormat {
        match self {
            AgentProcessAdapter::CodexCli => OutputFormat::CodexJsonl,
            _ => OutputFormat::StreamJson,
        }
    }
}

/// What the runtime binding forces on an attempt (the binding is a condition
/// of the scenario format: [`crate::scenario::RuntimeBinding`]).
impl RuntimeBinding {
    /// The model the binding forces, if any.
    pub fn model(self) -> Option<&'static str> {
        match self {
            RuntimeBinding::Cliproxy => Some(CLIPROXY_MODEL),
            RuntimeBinding::ClaudeNative => None,
        }
    }
}

/// What the Harness Runtime asks of one agent attempt.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AttemptCommand {
    pub adapter: AgentProcessAdapter,
    /// The model the runtime binding forces (`glm-5.2` under cliproxy).
    pub model: Option<String>,
    /// The session to start, or to resume with `resume`; `None` lets the CLI pick one
    /// (`codex-cli` on a first attempt).
    pub session_id: Option<String>,
    pub resume: bool,
    /// One `mcp__<server_id>__*` per attached server.
    pub allowed_tools: Vec<String>,
    /// The browser slot leased for the attempt (`browser-only`).
    pub browser_slot: Option<String>,
    pub prompt: String,
}

impl AttemptCommand {
    /// The adapter's command line.
    pub(crate) fn command_line(&self) -> String {
        let mut words: Vec<String> = Vec::new();
        let push = |words: &mut Vec<String>, items: &[&str]| words.extend(items.iter().map(|s| s.to_string()));
        match self.adapter {
            AgentProcessAdapter::ClaudeCli => {
                push(&mut words, &["claude", "-p", "--verbose", "--output-format", "stream-json"])
            }
            AgentProcessAdapter::CodexCli => push(&mut words, &["codex", "exec", "--json", "--skip-git-repo-check"]),
            AgentProcessAdapter::WorkspaceCli | AgentProcessAdapter::BrowserOnly => {
                push(&mut words, &["workspace-cli", "exec", "--output-format", "stream-json"])
            }
        }
        if self.adapter == AgentProcessAdapter::BrowserOnly {
            words.push("--browser-only".into());
            if let Some(slot) = &self.browser_slot {
                push(&mut words, &["--browser-slot", slot]);
            }
        }
        if let Some(model) = &self.model {
            let flag = if self.adapter == AgentProcessAdapter::CodexCli { "-m" } else { "--model" };
            push(&mut words, &[flag, model]);
        }
        let allowed = self.allowed_tools.join(",");
        match self.adapter {
            AgentProcessAdapter::CodexCli => {
                if let (true, Some(id)) = (self.resume, &self.session_id) {
                    push(&mut words, &["resume", id]);
                }
            }
            adapter => {
                if let Some(id) = &self.session_id {
                    push(&mut words, &[if self.resume { "--resume" } else { "--session-id" }, id]);
                }
                let flag = if adapter == AgentProcessAdapter::ClaudeCli { "--allowedTools" } else { "--allowed-tools" };
                push(&mut words, &[flag, &allowed]);
            }
        }
        words.push(shell_quote(&self.prompt));
        words.join(" ")
    }

    /// Reads a command line back; `None` if no adapter runs it.
    pub(crate) fn parse(command: &str) -> Option<AttemptCommand> {
        let words = shell_words(command)?;
        let adapter = match (words.first()?.as_str(), words.get(1).map(String::as_str)) {
            ("claude", _) => AgentProcessAdapter::ClaudeCli,
            ("codex", Some("exec")) => AgentProcessAdapter::CodexCli,
            ("workspace-cli", Some("exec")) if words.iter().any(|w| w == "--browser-only") => {
                AgentProcessAdapter::BrowserOnly
            }
            ("workspace-cli", Some("exec")) => AgentProcessAdapter::WorkspaceCli,
            _ => return None,
        };
        let skip = if adapter == AgentProcessAdapter::ClaudeCli { 1 } else { 2 };
        let mut command = AttemptCommand {
            adapter,
            model: None,
            session_id: None,
            resume: false,
            allowed_tools: Vec::new(),
            browser_slot: None,
            prompt: String::new(),
        };
        let mut rest = words.into_iter().skip(skip);
        while let Some(word) = rest.next() {
            match word.as_str() {
                "--session-id" => command.session_id = rest.next(),
                "--resume" | "resume" => {
                    command.session_id = rest.next();
                    command.resume = true;
                }
                "--allowedTools" | "--allowed-tools" => {
                    command.allowed_tools =
                        rest.next().map(|s| s.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect())?
                }
                "--model" | "-m" => command.model = rest.next(),
                "--browser-slot" => command.browser_slot = rest.next(),
                "-p" | "--verbose" | "--json" | "--skip-git-repo-check" | "--browser-only" => {}
                "--output-format" => {
                    rest.next();
                }
                _ => {
                    command.prompt = word;
                    break;
                }
            }
        }
        Some(command)
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Splits a command line the way `sh` does for words, single quotes and `\'`;
/// `None` on an unterminated quote.
fn shell_words(command: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut current: Option<String> = None;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let word = current.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '\'' => break,
                        ch => word.push(ch),
                    }
                }
            }
            '\\' => current.get_or_insert_with(String::new).push(chars.next()?),
            c if c.is_whitespace() => words.extend(current.take()),
            c => current.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(current);
    Some(words)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutputFormat {
    /// Claude Code's `--output-format stream-json`.
    StreamJson,
    /// `codex exec --json`.
    CodexJsonl,
}

/// One thing read from an agent process's output, whatever the adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OutputEvent {
    /// The CLI session is up; its id.
    SessionStarted(String),
    /// The skills the workspace shim pulled for the session.
    Skills(Vec<String>),
    /// The workspace shim refused a tool call before it left: no allow-list
    /// wildcard admits its agent-facing name.
    ToolRefused { id: String, name: String },
    /// The palette the session started with (agent-facing names), where the format says it.
    Palette(Vec<String>),
    /// A tool call: its id, the name the agent used (`mcp__<server_id>__<tool>`), its input.
    ToolUse { id: String, name: String, input: Value },
    /// What the tool call `id` returned: an error or not.
    ToolResult { id: String, is_error: bool },
    /// The attempt's final event: an error or not, and the no-progress report it
    /// carries (an error result whose text is the agent's execution report).
    Result { is_error: bool, report: Option<NoProgressReport> },
    /// Anything else (text, tool results, turn starts).
    Other,
}

/// An agent's no-progress report (`docs/seeds.md`, delivery-language seed: "A blocker is a no-progress
/// squadsim-lint allow-next-line bare-runtime -- the seed's own words, quoted
/// report from an agent or runtime"): the execution report the agent ends an attempt
/// with when its work stopped on a failed call, `{"status": "blocked", "blocker_code",
/// "reason"}` (the runbook's reports say `{"status":"blocked"}`), with a code from the
/// HUD's execution report contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct NoProgressReport {
    pub blocker_code: BlockerCode,
    /// What failed, in the agent's words (the call and its answer).
    pub reason: String,
}

impl NoProgressReport {
    /// The report as the agent's final text.
    fn text(&self) -> String {
        json!({"status": "blocked", "blocker_code": self.blocker_code, "reason": self.reason}).to_string()
    }

    /// Reads a report from the final text of an attempt; `None` if it is not one.
    fn read(text: &str) -> Option<NoProgressReport> {
        let report: Value = serde_json::from_str(text).ok()?;
        if report.get("status").and_then(Value::as_str) != Some("blocked") {
            return None;
        }
        serde_json::from_value(report).ok()
    }
}

/// Reads one output line of `adapter`'s process.
///
/// Read typed first ([`typed_line`]); a line only the `Value` reading below can
/// read exactly is read by it (it is the definition both must agree with).
pub(crate) fn read_line(adapter: AgentProcessAdapter, line: &str) -> Vec<OutputEvent> {
    let typed = match adapter.output_format() {
        OutputFormat::StreamJson => typed_line::stream_json(line),
        OutputFormat::CodexJsonl => typed_line::codex_jsonl(line),
    };
    typed.unwrap_or_else(|| read_line_as_value(adapter, line))
}

/// [`read_line`] through a `serde_json::Value` of the whole line.
fn read_line_as_value(adapter: AgentProcessAdapter, line: &str) -> Vec<OutputEvent> {
    let event: Value = serde_json::from_str(line).unwrap_or(Value::Null);
    let kind = event.get("type").and_then(Value::as_str).unwrap_or_default();
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|l| l.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    match adapter.output_format() {
        OutputFormat::StreamJson => {
            let content = || event.pointer("/message/content").and_then(Value::as_array).into_iter().flatten();
            let of_type = |c: &&Value, t: &str| c.get("type").and_then(Value::as_str) == Some(t);
            match kind {
                "system" if text(&event, "subtype").as_deref() == Some(SKILLS_SUBTYPE) => {
                    vec![OutputEvent::Skills(strings(event.get("skills")))]
                }
                "system" => vec![
                    OutputEvent::SessionStarted(text(&event, "session_id").unwrap_or_default()),
                    OutputEvent::Palette(strings(event.get("tools"))),
                ],
                "result" => vec![OutputEvent::Result {
                    is_error: event.get("is_error").and_then(Value::as_bool).unwrap_or(false),
                    report: text(&event, "result").and_then(|r| NoProgressReport::read(&r)),
                }],
                "assistant" => content()
                    .filter(|c| of_type(c, "tool_use"))
                    .filter_map(|c| {
                        Some(OutputEvent::ToolUse {
                            id: text(c, "id").unwrap_or_default(),
                            name: text(c, "name")?,
                            input: c.get("input").cloned().unwrap_or(Value::Null),
                        })
                    })
                    .collect(),
                "user" => content()
                    .filter(|c| of_type(c, "tool_result"))
                    .flat_map(|c| {
                        let id = text(c, "tool_use_id").unwrap_or_default();
                        let is_error = c.get("is_error").and_then(Value::as_bool).unwrap_or(false);
                        tool_result_events(id, is_error, text(c, "content").as_deref())
                    })
                    .collect(),
                _ => vec![OutputEvent::Other],
            }
        }
        OutputFormat::CodexJsonl => {
            let item = event.get("item").cloned().unwrap_or(Value::Null);
            let tool_call = match (text(&item, "type").as_deref(), text(&item, "server"), text(&item, "tool")) {
                (Some("mcp_tool_call"), Some(server), Some(tool)) => Some((server, tool)),
                _ => None,
            };
            let id = text(&item, "id").unwrap_or_default();
            match (kind, tool_call) {
                ("thread.started", _) => {
                    vec![OutputEvent::SessionStarted(text(&event, "thread_id").unwrap_or_default())]
                }
                ("turn.completed", _) => vec![OutputEvent::Result { is_error: false, report: None }],
                ("turn.failed" | "error", _) => {
                    let message = event.pointer("/error/message").or_else(|| event.get("message"));
                    let report = message.and_then(Value::as_str).and_then(NoProgressReport::read);
                    vec![OutputEvent::Result { is_error: true, report }]
                }
                ("item.started", Some((server, tool))) => vec![OutputEvent::ToolUse {
                    id,
                    name: tool_name::agent_facing_name(&server, &tool),
                    input: item.get("arguments").cloned().unwrap_or(Value::Null),
                }],
                ("item.completed", Some((server, tool))) => {
                    let is_error = text(&item, "status").as_deref() != Some("completed");
                    let message = item.pointer("/error/message").and_then(Value::as_str);
                    let refused = message.and_then(refused_tool).is_some().then(|| OutputEvent::ToolRefused {
                        id: id.clone(),
                        name: tool_name::agent_facing_name(&server, &tool),
                    });
                    std::iter::once(OutputEvent::ToolResult { id, is_error }).chain(refused).collect()
                }
                _ => vec![OutputEvent::Other],
            }
        }
    }
}

/// The `system` event subtype the workspace shim prints the pulled skills in.
const SKILLS_SUBTYPE: &str = "skills";
/// How the shim's refusal of a tool call begins; the agent-facing name follows.
const REFUSAL_PREFIX: &str = "Permission to use ";
/// What follows the name in a refusal; the allow-list follows.
const REFUSAL_REASON: &str = " denied: no wildcard of the loadout's allow-list admits it";

/// A `tool_result` block's events: the result, then the refusal its text
/// reports, if it is a shim's refusal.
fn tool_result_events(id: String, is_error: bool, content: Option<&str>) -> impl Iterator<Item = OutputEvent> {
    let refused =
        content.and_then(refused_tool).map(|name| OutputEvent::ToolRefused { id: id.clone(), name: name.to_string() });
    std::iter::once(OutputEvent::ToolResult { id, is_error }).chain(refused)
}

/// The agent-facing name in a shim's refusal text, if `text` is one.
fn refused_tool(text: &str) -> Option<&str> {
    text.strip_prefix(REFUSAL_PREFIX)?.split_once(REFUSAL_REASON).map(|(name, _)| name)
}

/// How the process of one adapter prints what it does, one JSON line per event.
#[derive(Debug, Clone)]
pub(crate) struct OutputWriter {
    format: OutputFormat,
    session_id: String,
}

impl OutputWriter {
    pub(crate) fn new(adapter: AgentProcessAdapter, session_id: &str) -> Self {
        OutputWriter { format: adapter.output_format(), session_id: session_id.to_string() }
    }

    /// The session is up, with its palette (agent-facing names) and MCP server
    /// statuses (codex's `thread.started` has no place for either).
    pub(crate) fn init(&self, tools: &[String], mcp_servers: &[Value]) -> Vec<String> {
        let sid = &self.session_id;
        match self.format {
            OutputFormat::StreamJson => vec![json!({
                "type": "system", "subtype": "init", "session_id": sid, "tools": tools, "mcp_servers": mcp_servers,
            })
            .to_string()],
            OutputFormat::CodexJsonl => vec![
                json!({"type": "thread.started", "thread_id": sid}).to_string(),
                json!({"type": "turn.started"}).to_string(),
            ],
        }
    }

    /// The model calls `tool` (bare, as its palette shows it) of `server_id`.
    pub(crate) fn tool_use(&self, id: &str, server_id: &str, tool: &str, input: &Value) -> String {
        use written_line::*;
        match self.format {
            OutputFormat::StreamJson => {
                let name = tool_name::agent_facing_name(server_id, tool);
                let tool_use = StreamToolUseBlock { kind: "tool_use", id, name: &name, input };
                line(&StreamToolUse {
                    kind: "assistant",
                    session_id: &self.session_id,
                    message: Content { content: [tool_use] },
                })
            }
            OutputFormat::CodexJsonl => line(&CodexItem {
                kind: "item.started",
                item: CodexToolCall {
                    id,
                    kind: "mcp_tool_call",
                    server: server_id,
                    tool,
                    arguments: input,
                    result: (),
                    error: (),
                    status: "in_progress",
                },
            }),
        }
    }

    /// The tool call `id` returned.
    pub(crate) fn tool_result(&self, id: &str, server_id: &str, tool: &str, text: &str, is_error: bool) -> String {
        use written_line::*;
        match self.format {
            OutputFormat::StreamJson => {
                let result = StreamToolResultBlock { kind: "tool_result", tool_use_id: id, content: text, is_error };
                line(&StreamToolResult {
                    kind: "user",
                    session_id: &self.session_id,
                    message: Content { content: [result] },
                })
            }
            OutputFormat::CodexJsonl => {
                let (result, error, status) = if is_error {
                    (None, Some(Message { message: text }), "failed")
                } else {
                    (Some(Content { content: [TextBlock { kind: "text", text }] }), None, "completed")
                };
                line(&CodexItem {
                    kind: "item.completed",
                    item: CodexToolDone { id, kind: "mcp_tool_call", server: server_id, tool, result, error, status },
                })
            }
        }
    }

    /// The skills the workspace shim pulled, as a `system` event of its own
    /// (codex's JSONL has no place for them: nothing is printed there).
    pub(crate) fn skills(&self, skills: &[String]) -> Option<String> {
        match self.format {
            OutputFormat::StreamJson => Some(
                json!({
                    "type": "system", "subtype": SKILLS_SUBTYPE, "session_id": self.session_id, "skills": skills,
                })
                .to_string(),
            ),
            OutputFormat::CodexJsonl => None,
        }
    }

    /// The shim refused the call `id` of `tool` on `server_id` before it left, since
    /// no entry of `allow_list` admits it: a failed tool result saying so. Returns
    /// the line and the refusal's text.
    pub(crate) fn tool_refused(
        &self,
        id: &str,
        server_id: &str,
        tool: &str,
        allow_list: &[String],
    ) -> (String, String) {
        let name = tool_name::agent_facing_name(server_id, tool);
        let text = format!("{REFUSAL_PREFIX}{name}{REFUSAL_REASON} ({})", allow_list.join(", "));
        (self.tool_result(id, server_id, tool, &text, true), text)
    }

    /// The model says something without calling a tool.
    pub(crate) fn text(&self, id: &str, text: &str) -> String {
        match self.format {
            OutputFormat::StreamJson => json!({
                "type": "assistant", "session_id": self.session_id,
                "message": {"content": [{"type": "text", "text": text}]},
            }),
            OutputFormat::CodexJsonl => {
                json!({"type": "item.completed", "item": {"id": id, "type": "agent_message", "text": text}})
            }
        }
        .to_string()
    }

    /// The final event of an attempt whose work stopped: an error result whose text is
    /// the agent's no-progress report (the process then exits 1, as the CLIs do).
    pub(crate) fn no_progress(&self, turns: u32, report: &NoProgressReport) -> String {
        match self.format {
            OutputFormat::StreamJson => json!({
                "type": "result", "subtype": "error_during_execution", "session_id": self.session_id,
                "num_turns": turns, "is_error": true, "result": report.text(),
            }),
            OutputFormat::CodexJsonl => json!({"type": "turn.failed", "error": {"message": report.text()}}),
        }
        .to_string()
    }

    /// The attempt's final event.
    pub(crate) fn result(&self, turns: u32) -> String {
        match self.format {
            OutputFormat::StreamJson => json!({
                "type": "result", "subtype": "success", "session_id": self.session_id, "num_turns": turns, "is_error": false,
            }),
            OutputFormat::CodexJsonl => json!({
                "type": "turn.completed", "usage": {"input_tokens": 0, "cached_input_tokens": 0, "output_tokens": 0},
            }),
        }
        .to_string()
    }
}

/// The controller message of a wall's retry: the attempt's own, plus the fallback.
pub(crate) fn fallback_prompt(prompt: &str, wall: Wall) -> String {
    format!("{prompt} Mechanical wall {}: {}.", wall.code(), wall.fallback())
}

/// The wall whose fallback prompt this controller message carries, if any.
pub(crate) fn retried_wall(prompt: &str) -> Option<Wall> {
    Wall::ALL.into_iter().find(|w| prompt.contains(&format!("Mechanical wall {}:", w.code())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(adapter: AgentProcessAdapter) -> AttemptCommand {
        AttemptCommand {
            adapter,
            model: Some(CLIPROXY_MODEL.into()),
            session_id: Some("0f0e-11".into()),
            resume: false,
            allowed_tools: vec!["mcp__fractalops-hud__*".into(), "mcp__glitchtip__*".into()],
            browser_slot: (adapter == AgentProcessAdapter::BrowserOnly).then(|| "playwright-slot-1".to_string()),
            prompt: "You are the planner; it's time".into(),
        }
    }

    #[test]
    fn every_adapter_command_line_round_trips() {
        for adapter in AgentProcessAdapter::ALL {
            for resume in [false, true] {
                let mut c = command(adapter);
                c.resume = resume;
                if adapter == AgentProcessAdapter::CodexCli {
                    // Codex has no allow-list flag and only names a session to resume it.
                    c.allowed_tools.clear();
                    if !resume {
                        c.session_id = None;
                    }
                }
                let line = c.command_line();
                assert_eq!(AttemptCommand::parse(&line), Some(c), "{line}");
            }
        }
        assert!(AttemptCommand::parse("python3 agent.py").is_none());
        assert!(AttemptCommand::parse("claude -p 'unterminated").is_none());
    }

    #[test]
    fn command_lines_use_the_real_flags() {
        let claude = command(AgentProcessAdapter::ClaudeCli).command_line();
        assert!(claude.starts_with("claude -p --verbose --output-format stream-json --model glm-5.2 --session-id 0f0e-11 --allowedTools mcp__fractalops-hud__*,mcp__glitchtip__* "), "{claude}");
        let mut again = command(AgentProcessAdapter::ClaudeCli);
        again.resume = true;
        assert!(again.command_line().contains(" --resume 0f0e-11 "));
        let mut codex = command(AgentProcessAdapter::CodexCli);
        codex.resume = true;
        assert!(codex
            .command_line()
            .starts_with("codex exec --json --skip-git-repo-check -m glm-5.2 resume 0f0e-11 '"));
    }

    #[test]
    fn what_each_writer_prints_its_reader_reads() {
        for adapter in AgentProcessAdapter::ALL {
            let w = OutputWriter::new(adapter, "sess-1");
            let mut events = Vec::new();
            let palette = vec!["mcp__fractalops-hud__get_hud_snapshot".to_string()];
            let allow_list = vec!["mcp__fractalops-hud__*".to_string()];
            let lines = w.init(&palette, &[]).into_iter().chain([
                w.tool_use("t1", "fractalops-hud", "get_hud_snapshot", &json!({"project": "p"})),
                w.tool_result("t1", "fractalops-hud", "get_hud_snapshot", "ok", false),
                w.tool_use("t2", "fractalops-hud", "send_handoff", &json!({})),
                w.tool_result("t2", "fractalops-hud", "send_handoff", "denied", true),
                w.tool_use("t3", "searxnggrid", "search_query", &json!({})),
                w.tool_refused("t3", "searxnggrid", "search_query", &allow_list).0,
                w.text("t4", "done"),
                w.result(1),
            ]);
            let lines = lines.chain(w.skills(&["delivery-vocabulary".to_string()]));
            for line in lines {
                events.extend(read_line(adapter, &line.to_string()));
            }
            events.retain(|e| *e != OutputEvent::Other);
            let mut expected = vec![OutputEvent::SessionStarted("sess-1".into())];
            if adapter.output_format() == OutputFormat::StreamJson {
                // codex's `thread.started` has no palette.
                expected.push(OutputEvent::Palette(palette.clone()));
            }
            expected.extend([
                OutputEvent::ToolUse {
                    id: "t1".into(),
                    name: "mcp__fractalops-hud__get_hud_snapshot".into(),
                    input: json!({"project": "p"}),
                },
                OutputEvent::ToolResult { id: "t1".into(), is_error: false },
                OutputEvent::ToolUse {
                    id: "t2".into(),
                    name: "mcp__fractalops-hud__send_handoff".into(),
                    input: json!({}),
                },
                OutputEvent::ToolResult { id: "t2".into(), is_error: true },
                OutputEvent::ToolUse {
                    id: "t3".into(),
                    name: "mcp__searxnggrid__search_query".into(),
                    input: json!({}),
                },
                OutputEvent::ToolResult { id: "t3".into(), is_error: true },
                OutputEvent::ToolRefused { id: "t3".into(), name: "mcp__searxnggrid__search_query".into() },
                OutputEvent::Result { is_error: false, report: None },
            ]);
            if adapter.output_format() == OutputFormat::StreamJson {
                // codex's JSONL has no place for the pulled skills.
                expected.push(OutputEvent::Skills(vec!["delivery-vocabulary".into()]));
            }
            assert_eq!(events, expected, "{}", adapter.name());
        }
    }

    #[test]
    fn a_no_progress_report_reads_back_in_every_format() {
        let report = NoProgressReport {
            blocker_code: BlockerCode::HandoffNotDelivered,
            reason: "send_handoff to implementer-1: agent server unreachable".into(),
        };
        for adapter in AgentProcessAdapter::ALL {
            let line = OutputWriter::new(adapter, "sess-1").no_progress(3, &report).to_string();
            let expected = OutputEvent::Result { is_error: true, report: Some(report.clone()) };
            assert_eq!(read_line(adapter, &line), [expected], "{}: {line}", adapter.name());
        }
        // A final text that is not a blocked report carries none.
        let done = json!({"type": "result", "is_error": false, "result": "{\"status\":\"done\"}"}).to_string();
        assert_eq!(
            read_line(AgentProcessAdapter::ClaudeCli, &done),
            [OutputEvent::Result { is_error: false, report: None }]
        );
    }

    /// Every line any writer prints, plus lines no writer prints (odd types,
    /// arrays where objects belong, repeated keys, `null`s, other JSON).
    fn lines_to_read(adapter: AgentProcessAdapter) -> Vec<String> {
        let w = OutputWriter::new(adapter, "sess-1");
        let report = NoProgressReport { blocker_code: BlockerCode::HandoffNotDelivered, reason: "x".into() };
        let written =
            w.init(&["mcp__a__b".to_string()], &[json!({"name": "a", "status": "connected"})]).into_iter().chain([
                w.tool_use("t1", "a", "b", &json!({"n": 1.5, "deep": [{"x": null}]})),
                w.tool_result("t1", "a", "b", "ok", false),
                w.tool_result("t2", "a", "b", "no", true),
                w.tool_refused("t3", "a", "b", &["mcp__c__*".to_string()]).0,
                w.text("t4", "done"),
                w.result(1),
                w.no_progress(2, &report),
            ]);
        let mut lines: Vec<String> = written.chain(w.skills(&["s".to_string()])).map(|l| l.to_string()).collect();
        lines.extend(
            [
                r#"{"type":"system","subtype":"skills","skills":["a",1]}"#,
                r#"{"type":"system","session_id":null,"tools":null}"#,
                r#"{"type":"system","session_id":"s","session_id":"t"}"#,
                r#"{"type":"assistant","message":[[{"type":"tool_use","id":"i","name":"n"}]]}"#,
                r#"{"type":"assistant","message":{"content":[["tool_use","i","n"]]}}"#,
                r#"{"type":"assistant","message":{"content":[{"type":"tool_use","id":"i","name":null,"input":null}]}}"#,
                r#"{"type":"assistant","message":{"content":{"type":"tool_use"}}}"#,
                r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"i","content":[{"type":"text"}]}]}}"#,
                r#"{"type":"user","message":{"content":[{"type":"tool_result","is_error":"yes"}]}}"#,
                r#"{"type":"result","is_error":null,"result":7}"#,
                r#"{"type":"thread.started","thread_id":5}"#,
                r#"{"type":"item.started","item":["i","mcp_tool_call","a","b"]}"#,
                r#"{"type":"item.started","item":{"id":"i","type":"mcp_tool_call","server":"a","tool":"b","arguments":null}}"#,
                r#"{"type":"item.completed","item":{"id":"i","type":"mcp_tool_call","server":"a","tool":"b","status":"failed","error":"x"}}"#,
                r#"{"type":"item.completed","item":{"id":"i","type":"mcp_tool_call","server":"a","tool":"b","error":{"message":null}}}"#,
                r#"{"type":"turn.failed","error":{"message":null},"message":"{\"status\":\"blocked\"}"}"#,
                r#"{"type":"error","message":"boom"}"#,
                r#"{"type":7}"#,
                r#"["system","init"]"#,
                r#"null"#,
                r#"not json"#,
                r#"{"type":"system"} trailing"#,
                "",
            ]
            .map(str::to_string),
        );
        lines
    }

    #[test]
    fn the_typed_reading_reads_every_line_as_the_value_reading_does() {
        for adapter in AgentProcessAdapter::ALL {
            let mut typed = 0;
            for line in lines_to_read(adapter) {
                let by_value = read_line_as_value(adapter, &line);
                assert_eq!(read_line(adapter, &line), by_value, "{}: {line}", adapter.name());
                let fast = match adapter.output_format() {
                    OutputFormat::StreamJson => typed_line::stream_json(&line),
                    OutputFormat::CodexJsonl => typed_line::codex_jsonl(&line),
                };
                if let Some(events) = fast {
                    assert_eq!(events, by_value, "{}: {line}", adapter.name());
                    typed += 1;
                }
            }
            // What the writers print is read typed, not through the `Value` path.
            assert!(typed >= 8, "{}: only {typed} lines read typed", adapter.name());
        }
        // A message or item that is an array is not read positionally.
        let array = r#"{"type":"assistant","message":[[{"type":"tool_use","id":"i","name":"n"}]]}"#;
        assert!(typed_line::stream_json(array).is_none());
        let item = r#"{"type":"item.started","item":["i","mcp_tool_call","a","b"]}"#;
        assert!(typed_line::codex_jsonl(item).is_none());
    }
}
