//! MCP over the Streamable HTTP transport, stateless JSON mode (the mode
//! ContextForge and the GlitchTip MCP run in by default).
//!
//! [`serve_message`] answers for a [`ToolHost`] at the one HTTP endpoint the spec
//! defines: each JSON-RPC message is its own POST; a notification or a response
//! gets 202 with no body; a request gets one `application/json` JSON-RPC object;
//! GET gets 405; an unsupported `MCP-Protocol-Version` gets 400. [`McpClient`]
//! speaks the same transport from the client side.
//!
//! Guarantees: a malformed body is a JSON-RPC error (-32700 / -32600), never a
//! panic; an unknown tool is JSON-RPC error -32602; a tool failing at run time is
//! `isError: true` in a normal result (spec "Error Handling").

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::net::{Checked, HttpClient, HttpError, HttpRequest, Key, Member};

/// Protocol revisions this transport accepts, newest first.
pub(crate) const SUPPORTED_PROTOCOL_VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];
/// The revision a client without a `MCP-Protocol-Version` header is assumed to speak.
pub(crate) const DEFAULT_PROTOCOL_VERSION: &str = "2025-03-26";

pub(crate) const PARSE_ERROR: i64 = -32700;
pub(crate) const INVALID_REQUEST: i64 = -32600;
pub(crate) const METHOD_NOT_FOUND: i64 = -32601;
pub(crate) const INVALID_PARAMS: i64 = -32602;

/// One tool as `tools/list` describes it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub input_schema: Value,
}

impl ToolSpec {
    pub fn to_json(&self) -> Value {
        json!({"name": self.name, "description": self.description, "inputSchema": self.input_schema})
    }
}

/// What a `tools/call` produced.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolOutcome {
    /// The tool ran; its text content.
    Text(String),
    /// The tool ran and failed (`isError: true`).
    Failed(String),
    /// No such tool here (JSON-RPC -32602).
    UnknownTool(String),
    /// The call could not be carried out for a transport reason the caller should see
    /// as a JSON-RPC internal error (e.g. an upstream that did not answer).
    Internal(String),
}

/// Who is calling, as the endpoint's own auth established it.
#[derive(Debug, Clone, Default)]
pub struct CallContext {
    /// The authenticated caller, if the endpoint authenticates.
    pub caller: Option<String>,
    /// Request headers, for hosts that read e.g. `X-Authenticated-User`.
    pub headers: HeaderMap,
}

pub type ToolFuture = Pin<Box<dyn Future<Output = ToolOutcome> + Send>>;

/// The tools behind an MCP endpoint.
pub trait ToolHost: Send + Sync + 'static {
    /// `serverInfo.name` of `initialize`.
    fn server_name(&self) -> String;
    fn list_tools(&self, ctx: &CallContext) -> Vec<ToolSpec>;
    fn call_tool(&self, ctx: CallContext, name: String, arguments: Value) -> ToolFuture;
}

/// Answers one HTTP exchange at an MCP endpoint.
pub async fn serve_message(
    host: Arc<dyn ToolHost>,
    ctx: CallContext,
    method: &axum::http::Method,
    body: Bytes,
) -> Response {
    if method != axum::http::Method::POST {
        return (StatusCode::METHOD_NOT_ALLOWED, [("allow", "POST")], "Method Not Allowed").into_response();
    }
    if let Some(version) = ctx.headers.get("mcp-protocol-version").and_then(|v| v.to_str().ok()) {
        if !SUPPORTED_PROTOCOL_VERSIONS.contains(&version) {
            let msg = format!("Bad Request: Unsupported protocol version: {version}");
            return (StatusCode::BAD_REQUEST, axum::Json(rpc_error(Value::Null, INVALID_REQUEST, &msg)))
                .into_response();
        }
    }
    if let Some(accept) = ctx.headers.get("accept").and_then(|v| v.to_str().ok()) {
        if !["application/json", "text/event-stream", "*/*"].iter().any(|t| accept.contains(t)) {
            let msg = "Not Acceptable: Client must accept application/json";
            return (StatusCode::NOT_ACCEPTABLE, axum::Json(rpc_error(Value::Null, INVALID_REQUEST, msg)))
                .into_response();
        }
    }
    let message = match Message::read(&body) {
        Ok(message) => message,
        Err(refused) => return refused.into_response(),
    };
    match (message.id, message.method.as_deref()) {
        // A notification (no id) or a client's response to us: accepted, no body.
        (None, Some(_)) | (Some(_), None) if message.jsonrpc_2 => StatusCode::ACCEPTED.into_response(),
        (Some(id), Some(m)) if message.jsonrpc_2 => {
            dispatch(host, ctx, id, m, message.params.unwrap_or(Value::Null)).await.into_response()
        }
        _ => {
            let msg = "Invalid Request: not a JSON-RPC 2.0 message";
            (StatusCode::BAD_REQUEST, axum::Json(rpc_error(Value::Null, INVALID_REQUEST, msg))).into_response()
        }
    }
}

/// What the server reads of a JSON-RPC message: `id` and `params` (each `Some`
/// when the key is there, `null` included), `method` when it is a string, and
/// whether `jsonrpc` is `"2.0"`.
#[derive(Debug, PartialEq)]
struct Message<'a> {
    id: Option<Value>,
    method: Option<Cow<'a, str>>,
    jsonrpc_2: bool,
    params: Option<Value>,
}

impl<'a> Message<'a> {
    /// The message in `body`, or the answer refusing it. A JSON object is read
    /// straight into its four keys (parsed as a `Value` parses them, the last of
    /// a repeated key kept, the other keys checked and dropped); anything else
    /// goes through [`Message::read_as_value`], which is the definition.
    fn read(body: &'a [u8]) -> Result<Message<'a>, (StatusCode, axum::Json<Value>)> {
        match crate::net::read_json(body, MessageVisitor) {
            Ok(message) => Ok(message),
            Err(_) => Message::read_as_value(body),
        }
    }

    fn read_as_value(body: &[u8]) -> Result<Message<'a>, (StatusCode, axum::Json<Value>)> {
        let message: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                let msg = format!("Parse error: {e}");
                return Err((StatusCode::BAD_REQUEST, axum::Json(rpc_error(Value::Null, PARSE_ERROR, &msg))));
            }
        };
        let Some(obj) = message.as_object() else {
            let msg = "Invalid Request: expected one JSON-RPC message object";
            return Err((StatusCode::BAD_REQUEST, axum::Json(rpc_error(Value::Null, INVALID_REQUEST, msg))));
        };
        Ok(Message {
            id: obj.get("id").cloned(),
            method: obj.get("method").and_then(Value::as_str).map(|m| Cow::Owned(m.to_string())),
            jsonrpc_2: obj.get("jsonrpc").and_then(Value::as_str) == Some("2.0"),
            params: obj.get("params").cloned(),
        })
    }
}

/// Reads a JSON object into a [`Message`]; anything else is an error (read again
/// as a `Value`). As a seed it reads whatever comes (`deserialize_any`).
struct MessageVisitor;

impl<'de> serde::de::DeserializeSeed<'de> for MessageVisitor {
    type Value = Message<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Message<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for MessageVisitor {
    type Value = Message<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON-RPC message object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Message<'de>, A::Error> {
        let mut message = Message { id: None, method: None, jsonrpc_2: false, params: None };
        while let Some(Key(key)) = map.next_key()? {
            match &*key {
                "id" => message.id = Some(map.next_value()?),
                "params" => message.params = Some(map.next_value()?),
                "method" => {
                    message.method = match map.next_value()? {
                        Member::String(m) => Some(m),
                        _ => None,
                    }
                }
                "jsonrpc" => message.jsonrpc_2 = map.next_value::<Member>()?.as_str() == Some("2.0"),
                _ => {
                    map.next_value::<Checked>()?;
                }
            }
        }
        Ok(message)
    }
}

/// What [`dispatch`] answers: a tool's text result, serialized typed (the bulk
/// of the answers), or any other JSON-RPC message as a `Value`.
enum Answer {
    Tool { id: Value, text: String, is_error: bool },
    Other(Value),
}

impl Answer {
    fn into_response(self) -> Response {
        match self {
            Answer::Tool { id, text, is_error } => {
                let result = ToolResult { content: [TextContent { kind: "text", text: &text }], is_error };
                axum::Json(RpcResult { jsonrpc: "2.0", id: &id, result }).into_response()
            }
            Answer::Other(value) => axum::Json(value).into_response(),
        }
    }
}

/// `rpc_result(id, tool_result(text, is_error))`'s members, in its key order.
#[derive(serde::Serialize)]
struct RpcResult<'a, R> {
    jsonrpc: &'static str,
    id: &'a Value,
    result: R,
}

#[derive(serde::Serialize)]
struct ToolResult<'a> {
    content: [TextContent<'a>; 1],
    #[serde(rename = "isError")]
    is_error: bool,
}

#[derive(serde::Serialize)]
struct TextContent<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
}

async fn dispatch(host: Arc<dyn ToolHost>, ctx: CallContext, id: Value, method: &str, params: Value) -> Answer {
    let other = match method {
        "initialize" => {
            let asked = params.get("protocolVersion").and_then(Value::as_str).unwrap_or(DEFAULT_PROTOCOL_VERSION);
            let version =
                if SUPPORTED_PROTOCOL_VERSIONS.contains(&asked) { asked } else { SUPPORTED_PROTOCOL_VERSIONS[0] };
            rpc_result(
                id,
                json!({
                    "protocolVersion": version,
                    "capabilities": {"tools": {"listChanged": false}},
                    "serverInfo": {"name": host.server_name(), "version": "1.0.3"},
                }),
            )
        }
        "ping" => rpc_result(id, json!({})),
        "tools/list" => {
            let tools: Vec<Value> = host.list_tools(&ctx).iter().map(ToolSpec::to_json).collect();
            rpc_result(id, json!({"tools": tools}))
        }
        "tools/call" => {
            let Some(name) = params.get("name").and_then(Value::as_str).map(str::to_string) else {
                return Answer::Other(rpc_error(id, INVALID_PARAMS, "Invalid params: missing tool name"));
            };
            // The params are not read again: their arguments are moved out, not cloned.
            let mut params = params;
            let arguments = params.as_object_mut().and_then(|p| p.remove("arguments")).unwrap_or_else(|| json!({}));
            match host.call_tool(ctx, name, arguments).await {
                ToolOutcome::Text(text) => return Answer::Tool { id, text, is_error: false },
                ToolOutcome::Failed(text) => return Answer::Tool { id, text, is_error: true },
                ToolOutcome::UnknownTool(name) => rpc_error(id, INVALID_PARAMS, &format!("Unknown tool: {name}")),
                ToolOutcome::Internal(msg) => rpc_error(id, -32603, &msg),
            }
        }
        unknown => rpc_error(id, METHOD_NOT_FOUND, &format!("Method not found: {unknown}")),
    };
    Answer::Other(other)
}

pub(crate) fn rpc_result(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

pub fn rpc_error(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// Why an MCP client call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum McpError {
    /// No HTTP response (timeout, connection refused, partition).
    Transport(HttpError),
    /// An HTTP status other than 200/202, with the body text.
    Status(u16, String),
    /// A JSON-RPC error object.
    Rpc(i64, String),
    /// A 200 whose body is not a JSON-RPC response.
    Malformed(String),
}

impl std::fmt::Display for McpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            McpError::Transport(e) => write!(f, "{e}"),
            McpError::Status(s, body) => write!(f, "HTTP {s}: {body}"),
            McpError::Rpc(code, msg) => write!(f, "JSON-RPC error {code}: {msg}"),
            McpError::Malformed(m) => write!(f, "malformed MCP response: {m}"),
        }
    }
}

impl std::error::Error for McpError {}

/// The result of `tools/call`.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCallResult {
    pub text: String,
    pub is_error: bool,
}

/// A Streamable HTTP MCP client (stateless servers; follows `Mcp-Session-Id` if one is given).
#[derive(Debug, Clone)]
pub struct McpClient {
    http: HttpClient,
    url: String,
    headers: Vec<(String, String)>,
    session_id: Option<String>,
    protocol_version: Option<String>,
    next_id: u64,
}

impl McpClient {
    pub fn new(http: HttpClient, url: impl Into<String>) -> Self {
        McpClient { http, url: url.into(), headers: Vec::new(), session_id: None, protocol_version: None, next_id: 1 }
    }

    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The same client waiting up to `answer` for each response, a new
    /// connection's opening still bounded by its HTTP client's own timeout.
    pub fn waiting_up_to(mut self, answer: std::time::Duration) -> Self {
        self.http = self.http.with_connect_timeout(self.http.timeout()).with_timeout(answer);
        self
    }

    /// A client for one request made beside others (a model turn's parallel tool
    /// calls): the same session, headers and protocol version, with this client's
    /// next request id reserved for it, so concurrent requests never share an id.
    pub fn fork(&mut self) -> McpClient {
        let fork = self.clone();
        self.next_id += 1;
        fork
    }

    /// `initialize` then `notifications/initialized`.
    pub(crate) async fn initialize(&mut self, client_name: &str) -> Result<Value, McpError> {
        let params = json!({
            "protocolVersion": SUPPORTED_PROTOCOL_VERSIONS[1],
            "capabilities": {},
            "clientInfo": {"name": client_name, "version": "0.1.0"},
        });
        let result = self.request("initialize", &params).await?;
        self.protocol_version = result.get("protocolVersion").and_then(Value::as_str).map(str::to_string);
        self.notify("notifications/initialized").await?;
        Ok(result)
    }

    pub async fn list_tools(&mut self) -> Result<Vec<ToolSpec>, McpError> {
        let result = self.request("tools/list", &json!({})).await?;
        let tools =
            result.get("tools").and_then(Value::as_array).ok_or_else(|| McpError::Malformed("no tools".into()))?;
        Ok(tools
            .iter()
            .map(|t| ToolSpec {
                name: t.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
                description: t.get("description").and_then(Value::as_str).unwrap_or_default().to_string(),
                input_schema: t.get("inputSchema").cloned().unwrap_or(Value::Null),
            })
            .collect())
    }

    pub async fn call_tool(&mut self, name: &str, arguments: Value) -> Result<ToolCallResult, McpError> {
        let result = self.request("tools/call", &CallParams { name, arguments: &arguments }).await?;
        let text = result
            .get("content")
            .and_then(Value::as_array)
            .map(|items| {
                items.iter().filter_map(|c| c.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n")
            })
            .unwrap_or_default();
        Ok(ToolCallResult { text, is_error: result.get("isError").and_then(Value::as_bool).unwrap_or(false) })
    }

    async fn notify(&mut self, method: &str) -> Result<(), McpError> {
        let response = self.post(&RpcNotification { jsonrpc: "2.0", method }).await?;
        match response.status.as_u16() {
            200 | 202 => Ok(()),
            s => Err(McpError::Status(s, response.text())),
        }
    }

    async fn request<P: serde::Serialize>(&mut self, method: &str, params: &P) -> Result<Value, McpError> {
        let id = self.next_id;
        self.next_id += 1;
        let response = self.post(&RpcRequest { jsonrpc: "2.0", id, method, params }).await?;
        if response.status != StatusCode::OK {
            return Err(McpError::Status(response.status.as_u16(), response.text()));
        }
        if let Some(sid) = response.headers.get("mcp-session-id").and_then(|v| v.to_str().ok()) {
            self.session_id = Some(sid.to_string());
        }
        let reply = match RpcReply::read(&response.headers, &response.body) {
            Some(reply) => reply,
            None => RpcReply::of(parse_rpc_body(&response.headers, &response.body)?),
        };
        if let Some(err) = reply.error {
            let code = err.get("code").and_then(Value::as_i64).unwrap_or(0);
            let msg = err.get("message").and_then(Value::as_str).unwrap_or_default().to_string();
            return Err(McpError::Rpc(code, msg));
        }
        reply.result.ok_or_else(|| McpError::Malformed("no result".into()))
    }

    async fn post<M: serde::Serialize>(&self, message: &M) -> Result<crate::net::HttpResponse, McpError> {
        let mut req = HttpRequest::post(self.url.clone())
            .json_of(message)
            .header("accept", "application/json, text/event-stream");
        for (n, v) in &self.headers {
            req = req.header(n.clone(), v.clone());
        }
        if let Some(v) = &self.protocol_version {
            req = req.header("mcp-protocol-version", v.clone());
        }
        if let Some(sid) = &self.session_id {
            req = req.header("mcp-session-id", sid.clone());
        }
        self.http.send(req).await.map_err(McpError::Transport)
    }
}

/// A JSON-RPC request as a client sends it: the bytes of
/// `json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})`
/// without building that `Value` (members in the same order).
#[derive(serde::Serialize)]
struct RpcRequest<'a, P> {
    jsonrpc: &'static str,
    id: u64,
    method: &'a str,
    params: &'a P,
}

/// A JSON-RPC notification: the bytes of `json!({"jsonrpc": "2.0", "method": method})`.
#[derive(serde::Serialize)]
struct RpcNotification<'a> {
    jsonrpc: &'static str,
    method: &'a str,
}

/// `tools/call` params: the bytes of `json!({"name": name, "arguments": arguments})`.
#[derive(serde::Serialize)]
struct CallParams<'a> {
    name: &'a str,
    arguments: &'a Value,
}

/// A JSON-RPC response from a body that is either JSON or an SSE stream of `data:` lines.
/// What a client reads of a JSON-RPC response: its `result` and its `error`,
/// each `Some` when the key is there at all (`"error": null` is an error, as it
/// is when read through a `Value`).
#[derive(Debug, PartialEq)]
struct RpcReply {
    result: Option<Value>,
    error: Option<Value>,
}

/// Reads an object's `result` and `error`; its other members are parsed as a
/// `Value` parses them and dropped, so the reading refuses what a `Value`
/// refuses (`IgnoredAny` would skip them unchecked). A repeated `result` or
/// `error`, or anything but an object, is refused (then read as a `Value`).
impl<'de> serde::Deserialize<'de> for RpcReply {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ReplyVisitor;
        impl<'de> serde::de::Visitor<'de> for ReplyVisitor {
            type Value = RpcReply;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON-RPC response object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RpcReply, A::Error> {
                let mut reply = RpcReply { result: None, error: None };
                while let Some(Key(key)) = map.next_key()? {
                    let slot = match &*key {
                        "result" => &mut reply.result,
                        "error" => &mut reply.error,
                        _ => {
                            map.next_value::<Checked>()?;
                            continue;
                        }
                    };
                    if slot.is_some() {
                        return Err(serde::de::Error::custom(format_args!("duplicate field `{key}`")));
                    }
                    *slot = Some(map.next_value()?);
                }
                Ok(reply)
            }
        }
        deserializer.deserialize_any(ReplyVisitor)
    }
}

impl RpcReply {
    /// A plain JSON object body read straight into its two keys, without a
    /// `Value` of the whole message (nor a copy of its `result`); `None` for
    /// anything else (an event stream, not an object, a repeated key, not
    /// UTF-8), which [`parse_rpc_body`] reads.
    fn read(headers: &HeaderMap, body: &[u8]) -> Option<RpcReply> {
        let is_sse = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/event-stream"));
        let object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if is_sse || !object {
            return None;
        }
        crate::net::read_json(body, std::marker::PhantomData::<RpcReply>).ok()
    }

    /// The two keys of a message read as a `Value`.
    fn of(mut message: Value) -> RpcReply {
        let mut take = |key: &str| message.get_mut(key).map(Value::take);
        RpcReply { error: take("error"), result: take("result") }
    }
}

fn parse_rpc_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, McpError> {
    let is_sse =
        headers.get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|ct| ct.starts_with("text/event-stream"));
    let text = String::from_utf8_lossy(body);
    if is_sse {
        for line in text.lines() {
            if let Some(data) = line.strip_prefix("data:") {
                if let Ok(v) = serde_json::from_str::<Value>(data.trim()) {
                    if v.get("result").is_some() || v.get("error").is_some() {
                        return Ok(v);
                    }
                }
            }
        }
        return Err(McpError::Malformed("no JSON-RPC response in the event stream".into()));
    }
    serde_json::from_str(&text).map_err(|e| McpError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn a_message_read_typed_is_the_message_read_as_a_value() {
        let deep = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"m","x":{}1{}}}"#, "[".repeat(200), "]".repeat(200));
        let mut bodies: Vec<Vec<u8>> = [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"a":[1,2.5,null]}}}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            r#"{"jsonrpc":"2.0","id":"s","result":{}}"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"ping","params":null}"#,
            r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
            r#"{"jsonrpc":2.0,"id":1,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":7}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"a","method":"b","id":2,"params":1,"params":[2]}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"a","method":null}"#,
            r#"{"jsonrpc":"2.0","jsonrpc":"1.0","id":1,"method":"a"}"#,
            r#"{"\u006aso\u006erpc":"2.\u0030","id":1,"m\u0065thod":"p\u0069ng"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"m","extra":"\ud800"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"m","extra":1e999}"#,
            r#"{"jsonrpc":"2.0","id":1e999,"method":"m"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"m"} x"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"m",}"#,
            r#"[{"jsonrpc":"2.0","id":1,"method":"m"}]"#,
            r#""jsonrpc""#,
            "null",
            "",
            "{}",
        ]
        .iter()
        .map(|b| b.as_bytes().to_vec())
        .collect();
        bodies.push(deep.into_bytes());
        bodies.push(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"x\":\"\xff\"}".to_vec());
        for body in &bodies {
            let shown = String::from_utf8_lossy(body);
            match (Message::read(body), Message::read_as_value(body)) {
                (Ok(typed), Ok(value)) => assert_eq!(typed, value, "{shown}"),
                (Err(typed), Err(value)) => assert_eq!((typed.0, typed.1 .0), (value.0, value.1 .0), "{shown}"),
                (typed, value) => panic!("{shown}: {typed:?} against {value:?}"),
            }
        }
    }

    #[test]
    fn typed_requests_are_the_bytes_of_the_value_messages() {
        let arguments = [
            json!({}),
            json!({"path": "a/\"b\"\n", "n": 3, "f": 1.5, "deep": {"z": [1, null, true], "a": "é😀"}}),
            Value::Null,
            json!([1, "two"]),
        ];
        for (id, arguments) in (0..).zip(&arguments) {
            for name in ["read_file", "quote\"d\\name", ""] {
                let params = json!({"name": name, "arguments": arguments});
                let old = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params}).to_string();
                let typed =
                    RpcRequest { jsonrpc: "2.0", id, method: "tools/call", params: &CallParams { name, arguments } };
                assert_eq!(serde_json::to_string(&typed).unwrap(), old);
            }
        }
        let id = u64::MAX;
        let old = json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": {}}).to_string();
        let typed = RpcRequest { jsonrpc: "2.0", id, method: "tools/list", params: &json!({}) };
        assert_eq!(serde_json::to_string(&typed).unwrap(), old);
        let method = "notifications/initialized";
        let old = json!({"jsonrpc": "2.0", "method": method}).to_string();
        assert_eq!(serde_json::to_string(&RpcNotification { jsonrpc: "2.0", method }).unwrap(), old);
        // What the client sends is those bytes.
        let sent = HttpRequest::post("http://x/mcp").json_of(&RpcNotification { jsonrpc: "2.0", method });
        assert_eq!(sent.body, old.as_bytes());
        assert_eq!(
            HttpRequest::post("http://x/mcp").json(&json!({"jsonrpc": "2.0", "method": method})).body,
            sent.body
        );
    }

    /// Each answer's body, status and headers.
    async fn answered(answer: Answer) -> (StatusCode, HeaderMap, Bytes) {
        let response = answer.into_response();
        let (parts, body) = response.into_parts();
        (parts.status, parts.headers, axum::body::to_bytes(body, usize::MAX).await.unwrap())
    }

    #[tokio::test]
    async fn a_tool_answer_is_the_bytes_of_the_value_answer() {
        fn tool_result(text: &str, is_error: bool) -> Value {
            json!({"content": [{"type": "text", "text": text}], "isError": is_error})
        }
        let ids = [
            json!(1),
            json!(u64::MAX),
            json!(-7),
            json!(2.5),
            json!("s\"\u{1}é😀"),
            Value::Null,
            json!({"b": [1], "a": null}),
        ];
        let texts = ["", "ok", "line\nbreak \"quoted\" \\ back\tslash \u{7f}\u{0}", "é😀 \u{2028}", &"x".repeat(5000)];
        for id in &ids {
            for text in texts {
                for is_error in [false, true] {
                    let old = answered(Answer::Other(rpc_result(id.clone(), tool_result(text, is_error)))).await;
                    let typed = answered(Answer::Tool { id: id.clone(), text: text.to_string(), is_error }).await;
                    assert_eq!(typed, old, "id {id}, text {text:?}, is_error {is_error}");
                }
            }
        }
    }

    #[tokio::test]
    async fn a_tool_call_gets_its_arguments_and_answers_typed() {
        struct Echo;
        impl ToolHost for Echo {
            fn server_name(&self) -> String {
                "echo".into()
            }
            fn list_tools(&self, _: &CallContext) -> Vec<ToolSpec> {
                Vec::new()
            }
            fn call_tool(&self, _: CallContext, name: String, arguments: Value) -> ToolFuture {
                Box::pin(async move {
                    match name.as_str() {
                        "fail" => ToolOutcome::Failed(arguments.to_string()),
                        _ => ToolOutcome::Text(format!("{name} {arguments}")),
                    }
                })
            }
        }
        let call = |body: &'static str| async move {
            let response =
                serve_message(Arc::new(Echo), CallContext::default(), &axum::http::Method::POST, Bytes::from(body))
                    .await;
            String::from_utf8(axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec()).unwrap()
        };
        let cases = [
            (
                r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"arguments":{"b":1,"a":[2]},"name":"t"}}"#,
                r#"{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"t {\"b\":1,\"a\":[2]}"}],"isError":false}}"#,
            ),
            (
                r#"{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"fail","arguments":1,"arguments":null}}"#,
                r#"{"jsonrpc":"2.0","id":"x","result":{"content":[{"type":"text","text":"null"}],"isError":true}}"#,
            ),
            (
                r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"t"}}"#,
                r#"{"jsonrpc":"2.0","id":4,"result":{"content":[{"type":"text","text":"t {}"}],"isError":false}}"#,
            ),
            (
                r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":7}}"#,
                r#"{"jsonrpc":"2.0","id":5,"error":{"code":-32602,"message":"Invalid params: missing tool name"}}"#,
            ),
            (
                r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":[{"name":"t"}]}"#,
                r#"{"jsonrpc":"2.0","id":6,"error":{"code":-32602,"message":"Invalid params: missing tool name"}}"#,
            ),
        ];
        for (body, answer) in cases {
            assert_eq!(call(body).await, answer, "{body}");
        }
    }

    #[test]
    fn a_reply_read_typed_is_the_reply_read_as_a_value() {
        let json_headers = HeaderMap::new();
        let mut sse = HeaderMap::new();
        sse.insert("content-type", HeaderValue::from_static("text/event-stream"));
        let deep = format!(r#"{{"id":{}1{},"result":1}}"#, "[".repeat(200), "]".repeat(200));
        let bodies: [&[u8]; 18] = [
            br#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"ok"}],"isError":false}}"#,
            br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"Unknown tool: x"}}"#,
            br#" {"jsonrpc":"2.0","id":1,"error":null}"#,
            br#"{"jsonrpc":"2.0","id":1,"result":null}"#,
            br#"{"jsonrpc":"2.0","id":1,"error":"odd","result":{}}"#,
            br#"{"jsonrpc":"2.0","id":1}"#,
            br#"{"result":1,"result":2}"#,
            br#"[{"result":1}]"#,
            br#"{"result":1} trailing"#,
            b"{\"result\":\"\xff\"}",
            b"\x0c{\"result\":1}",
            br#"null"#,
            b"",
            br#"{"result":{"deep":[1,2.5,"x",{"a":null}]}}"#,
            br#"{"jsonrpc":"2.0","id":"\ud800","result":1}"#,
            br#"{"jsonrpc":"2.0","id":1e999,"result":1}"#,
            br#"{"jsonrpc":"2.0","id":1,"error":{},"error":null}"#,
            deep.as_bytes(),
        ];
        for body in bodies {
            let by_value = parse_rpc_body(&json_headers, body).map(RpcReply::of);
            if let Some(typed) = RpcReply::read(&json_headers, body) {
                assert_eq!(Ok(typed), by_value, "{}", String::from_utf8_lossy(body));
            }
        }
        assert!(RpcReply::read(&json_headers, bodies[0]).is_some(), "a plain reply is read typed");
        assert!(RpcReply::read(&json_headers, bodies[6]).is_none(), "a repeated key is read as a Value");
        let absent = RpcReply::read(&json_headers, bodies[2]).expect("typed");
        assert_eq!(absent.error, Some(Value::Null), "`\"error\": null` is an error");
        let event = b"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n";
        assert!(RpcReply::read(&sse, event).is_none(), "an event stream is read as a Value");
    }
}
