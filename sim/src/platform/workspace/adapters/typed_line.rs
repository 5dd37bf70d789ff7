//! The fast path of [`super::read_line`]: an output line read straight into
//! typed fields, without a `serde_json::Value` of the whole event (only a tool
//! call's input is a `Value`, as [`OutputEvent::ToolUse`] carries it).
//!
//! It reads only what it can read exactly as the `Value` path does: every field
//! it declares must have the declared type (or be `null`, which the `Value`
//! path reads as absent too), every object must be a JSON object (a derived
//! struct would also read an array positionally, hence [`Object`]), and no key
//! may repeat. Anything else is `None`, and the caller reads the line through
//! the `Value` path, which stays the definition.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use squadsim_conformance::tool_name;

use super::{refused_tool, tool_result_events, NoProgressReport, OutputEvent, SKILLS_SUBTYPE};

/// A JSON object read as `T`; any other JSON is an error.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Object)
            }
        }
        deserializer.deserialize_map(ObjectVisitor(PhantomData))
    }
}

/// A stream-json event (`claude -p --output-format stream-json`, the workspace shim).
#[derive(Deserialize)]
struct StreamEvent {
    #[serde(rename = "type")]
    kind: Option<String>,
    subtype: Option<String>,
    session_id: Option<String>,
    skills: Option<Vec<String>>,
    tools: Option<Vec<String>>,
    is_error: Option<bool>,
    result: Option<String>,
    message: Option<Object<StreamMessage>>,
}

#[derive(Deserialize)]
struct StreamMessage {
    content: Option<Vec<Object<StreamContent>>>,
}

/// One block of a message's content (`tool_use` or `tool_result`, or another).
#[derive(Deserialize)]
struct StreamContent {
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<String>,
    name: Option<String>,
    input: Option<Value>,
    tool_use_id: Option<String>,
    is_error: Option<bool>,
    content: Option<String>,
}

/// A codex JSONL event (`codex exec --json`), of the kinds read here.
#[derive(Deserialize)]
struct CodexEvent {
    #[serde(rename = "type")]
    kind: Option<String>,
    thread_id: Option<String>,
    item: Option<Object<CodexItem>>,
}

#[derive(Deserialize)]
struct CodexItem {
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<String>,
    server: Option<String>,
    tool: Option<String>,
    arguments: Option<Value>,
    status: Option<String>,
    error: Option<Object<CodexError>>,
}

#[derive(Deserialize)]
struct CodexError {
    message: Option<String>,
}

/// A stream-json line's events, or `None` when only the `Value` path can read it.
pub(super) fn stream_json(line: &str) -> Option<Vec<OutputEvent>> {
    let Object(event) = serde_json::from_str::<Object<StreamEvent>>(line).ok()?;
    let content = || event.message.as_ref().and_then(|m| m.0.content.as_deref()).into_iter().flatten().map(|c| &c.0);
    let of_type = |c: &StreamContent, t: &str| c.kind.as_deref() == Some(t);
    Some(match event.kind.as_deref().unwrap_or_default() {
        "system" if event.subtype.as_deref() == Some(SKILLS_SUBTYPE) => {
            vec![OutputEvent::Skills(event.skills.unwrap_or_default())]
        }
        "system" => vec![
            OutputEvent::SessionStarted(event.session_id.clone().unwrap_or_default()),
            OutputEvent::Palette(event.tools.clone().unwrap_or_default()),
        ],
        "result" => vec![OutputEvent::Result {
            is_error: event.is_error.unwrap_or(false),
            report: event.result.as_deref().and_then(NoProgressReport::read),
        }],
        "assistant" => content()
            .filter(|c| of_type(c, "tool_use"))
            .filter_map(|c| {
                Some(OutputEvent::ToolUse {
                    id: c.id.clone().unwrap_or_default(),
                    name: c.name.clone()?,
                    input: c.input.clone().unwrap_or(Value::Null),
                })
            })
            .collect(),
        "user" => content()
            .filter(|c| of_type(c, "tool_result"))
            .flat_map(|c| {
                let id = c.tool_use_id.clone().unwrap_or_default();
                tool_result_events(id, c.is_error.unwrap_or(false), c.content.as_deref())
            })
            .collect(),
        _ => vec![OutputEvent::Other],
    })
}

/// A codex JSONL line's events, or `None` when only the `Value` path can read
/// it (and for `turn.failed` and `error`, whose report may sit in either of two
/// places: rare, read there).
pub(super) fn codex_jsonl(line: &str) -> Option<Vec<OutputEvent>> {
    let Object(event) = serde_json::from_str::<Object<CodexEvent>>(line).ok()?;
    let kind = event.kind.as_deref().unwrap_or_default();
    if matches!(kind, "turn.failed" | "error") {
        return None;
    }
    let item = event.item.map(|i| i.0);
    let tool_call = item.as_ref().and_then(|item| match (item.kind.as_deref(), &item.server, &item.tool) {
        (Some("mcp_tool_call"), Some(server), Some(tool)) => Some((server.as_str(), tool.as_str())),
        _ => None,
    });
    let id = || item.as_ref().and_then(|i| i.id.clone()).unwrap_or_default();
    Some(match (kind, tool_call) {
        ("thread.started", _) => vec![OutputEvent::SessionStarted(event.thread_id.clone().unwrap_or_default())],
        ("turn.completed", _) => vec![OutputEvent::Result { is_error: false, report: None }],
        ("item.started", Some((server, tool))) => vec![OutputEvent::ToolUse {
            id: id(),
            name: tool_name::agent_facing_name(server, tool),
            input: item.as_ref().and_then(|i| i.arguments.clone()).unwrap_or(Value::Null),
        }],
        ("item.completed", Some((server, tool))) => {
            let item = item.as_ref()?;
            let is_error = item.status.as_deref() != Some("completed");
            let message = item.error.as_ref().and_then(|e| e.0.message.as_deref());
            let id = id();
            let refused = message
                .and_then(refused_tool)
                .is_some()
                .then(|| OutputEvent::ToolRefused { id: id.clone(), name: tool_name::agent_facing_name(server, tool) });
            std::iter::once(OutputEvent::ToolResult { id, is_error }).chain(refused).collect()
        }
        _ => vec![OutputEvent::Other],
    })
}
