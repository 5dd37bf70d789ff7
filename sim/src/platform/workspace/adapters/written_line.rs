//! The lines an agent process prints most (a tool call and its result),
//! serialized from borrowed fields: the bytes of the `json!` lines
//! `OutputWriter` built before (the same members in the same order; the test
//! below keeps those builders as the definition), without building a `Value`.

use serde::Serialize;
use serde_json::Value;

/// `{"type": "assistant", "session_id": ..., "message": {"content": [tool_use]}}`
/// with `tool_use` `{"type": "tool_use", "id": ..., "name": ..., "input": ...}`.
#[derive(Serialize)]
pub(super) struct StreamToolUse<'a> {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) session_id: &'a str,
    pub(super) message: Content<StreamToolUseBlock<'a>>,
}

#[derive(Serialize)]
pub(super) struct StreamToolUseBlock<'a> {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) id: &'a str,
    pub(super) name: &'a str,
    pub(super) input: &'a Value,
}

/// `{"content": [block]}`.
#[derive(Serialize)]
pub(super) struct Content<B> {
    pub(super) content: [B; 1],
}

/// `{"type": "user", "session_id": ..., "message": {"content": [result]}}` with
/// `result` `{"type": "tool_result", "tool_use_id": ..., "content": ..., "is_error": ...}`.
#[derive(Serialize)]
pub(super) struct StreamToolResult<'a> {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) session_id: &'a str,
    pub(super) message: Content<StreamToolResultBlock<'a>>,
}

#[derive(Serialize)]
pub(super) struct StreamToolResultBlock<'a> {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) tool_use_id: &'a str,
    pub(super) content: &'a str,
    pub(super) is_error: bool,
}

/// `{"type": "item.started" | "item.completed", "item": item}`.
#[derive(Serialize)]
pub(super) struct CodexItem<I> {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) item: I,
}

/// codex's started tool call: `{"id", "type": "mcp_tool_call", "server", "tool",
/// "arguments", "result": null, "error": null, "status": "in_progress"}`.
#[derive(Serialize)]
pub(super) struct CodexToolCall<'a> {
    pub(super) id: &'a str,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) server: &'a str,
    pub(super) tool: &'a str,
    pub(super) arguments: &'a Value,
    pub(super) result: (),
    pub(super) error: (),
    pub(super) status: &'static str,
}

/// codex's completed tool call: `{"id", "type": "mcp_tool_call", "server", "tool",
/// "result", "error", "status"}`, `result` `{"content": [{"type": "text", "text"}]}`
/// or null, `error` `{"message"}` or null.
#[derive(Serialize)]
pub(super) struct CodexToolDone<'a> {
    pub(super) id: &'a str,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) server: &'a str,
    pub(super) tool: &'a str,
    pub(super) result: Option<Content<TextBlock<'a>>>,
    pub(super) error: Option<Message<'a>>,
    pub(super) status: &'static str,
}

/// `{"type": "text", "text": ...}`.
#[derive(Serialize)]
pub(super) struct TextBlock<'a> {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) text: &'a str,
}

/// `{"message": ...}`.
#[derive(Serialize)]
pub(super) struct Message<'a> {
    pub(super) message: &'a str,
}

/// `value` as one JSON line (what `Value::to_string` printed).
pub(super) fn line<T: Serialize>(value: &T) -> String {
    // Only a map with non-string keys fails to serialize; no line has one.
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    // serde_json writes UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{OutputFormat, OutputWriter};
    use crate::scenario::AgentProcessAdapter;
    use squadsim_conformance::tool_name;

    /// The `Value` lines `OutputWriter` printed before: the definition.
    fn tool_use_value(w: &OutputWriter, id: &str, server_id: &str, tool: &str, input: &serde_json::Value) -> String {
        match w.format {
            OutputFormat::StreamJson => {
                let name = tool_name::agent_facing_name(server_id, tool);
                let tool_use = json!({"type": "tool_use", "id": id, "name": name, "input": input});
                json!({"type": "assistant", "session_id": w.session_id, "message": {"content": [tool_use]}})
            }
            OutputFormat::CodexJsonl => json!({"type": "item.started", "item": {
                "id": id, "type": "mcp_tool_call", "server": server_id, "tool": tool, "arguments": input,
                "result": null, "error": null, "status": "in_progress",
            }}),
        }
        .to_string()
    }

    fn tool_result_value(
        w: &OutputWriter,
        id: &str,
        server_id: &str,
        tool: &str,
        text: &str,
        is_error: bool,
    ) -> String {
        match w.format {
            OutputFormat::StreamJson => {
                let result = json!({"type": "tool_result", "tool_use_id": id, "content": text, "is_error": is_error});
                json!({"type": "user", "session_id": w.session_id, "message": {"content": [result]}})
            }
            OutputFormat::CodexJsonl => {
                let (result, error, status) = if is_error {
                    (serde_json::Value::Null, json!({"message": text}), "failed")
                } else {
                    (json!({"content": [{"type": "text", "text": text}]}), serde_json::Value::Null, "completed")
                };
                json!({"type": "item.completed", "item": {
                    "id": id, "type": "mcp_tool_call", "server": server_id, "tool": tool,
                    "result": result, "error": error, "status": status,
                }})
            }
        }
        .to_string()
    }

    #[test]
    fn tool_lines_are_the_bytes_of_the_value_lines() {
        let inputs = [
            json!({}),
            json!({"project": "p", "n": 1.5, "big": u64::MAX, "neg": -3, "deep": [{"x": null}, true, "é\u{1F600}"]}),
            serde_json::Value::Null,
            json!(["not", "an", "object"]),
            json!("a \"quoted\"\nstring\u{7}"),
        ];
        let texts = ["ok", "", "line one\nline \"two\"\t\\ end", "\u{0}\u{1f}é😀", "{\"status\":\"done\"}"];
        let names = [("t1", "fractalops-hud", "get_hud_snapshot"), ("toolu_07", "a b", "wé\"ird"), ("", "", "")];
        for adapter in AgentProcessAdapter::ALL {
            for session in ["sess-1", "", "quo\"te\n"] {
                let w = OutputWriter::new(adapter, session);
                for (id, server, tool) in names {
                    for input in &inputs {
                        let old = tool_use_value(&w, id, server, tool, input);
                        assert_eq!(w.tool_use(id, server, tool, input), old, "{}", adapter.name());
                    }
                    for text in texts {
                        for is_error in [false, true] {
                            let old = tool_result_value(&w, id, server, tool, text, is_error);
                            assert_eq!(w.tool_result(id, server, tool, text, is_error), old, "{}", adapter.name());
                        }
                    }
                    let allow_list = ["mcp__c__*".to_string(), "x".to_string()];
                    let (line, text) = w.tool_refused(id, server, tool, &allow_list);
                    assert_eq!(line, tool_result_value(&w, id, server, tool, &text, true));
                }
            }
        }
    }
}
