//! The Anthropic Messages API (`POST /v1/messages`) behind one credential, with the
//! scripted model behind it (the model is the only scripted part of the simulation):
//! the platform-managed LLM proxy behind the tenant's `sk-cp-*` proxy token, and the
//! Anthropic API behind the org's BYOK `sk-ant-*` credential.
//!
//! Guarantees: a request without the credential in `x-api-key` (or
//! `Authorization: Bearer`) gets Anthropic's 401 `authentication_error`; a
//! malformed body gets 400 `invalid_request_error`; otherwise the answer is a
//! Messages API `message` whose text is the scripted reply.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{json, Value};

/// The Messages API behind one credential.
pub(crate) struct LlmProxy {
    token: String,
    reply: String,
}

fn anthropic_error(status: StatusCode, kind: &str, message: &str) -> Response {
    (status, Json(json!({"type": "error", "error": {"type": kind, "message": message}}))).into_response()
}

impl LlmProxy {
    /// A proxy that accepts `token` and whose scripted model answers every prompt with `reply`.
    pub(crate) fn new(token: String, reply: String) -> Arc<Self> {
        Arc::new(LlmProxy { token, reply })
    }

    pub(crate) fn router(self: &Arc<Self>) -> Router {
        Router::new().route("/v1/messages", post(messages)).with_state(self.clone())
    }
}

async fn messages(State(p): State<Arc<LlmProxy>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let key = header("x-api-key").or_else(|| header("authorization").and_then(|v| v.strip_prefix("Bearer ")));
    if key != Some(p.token.as_str()) {
        return anthropic_error(StatusCode::UNAUTHORIZED, "authentication_error", "invalid x-api-key");
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (Some(model), Some(prompts)) =
        (request.get("model").and_then(Value::as_str), request.get("messages").and_then(Value::as_array))
    else {
        return anthropic_error(StatusCode::BAD_REQUEST, "invalid_request_error", "model and messages are required");
    };
    let input_tokens: usize = prompts
        .iter()
        .filter_map(|m| m.get("content").and_then(Value::as_str))
        .map(|c| c.split_whitespace().count())
        .sum();
    Json(json!({
        "id": format!("msg_{:024}", prompts.len()),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": p.reply}],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": {"input_tokens": input_tokens, "output_tokens": p.reply.split_whitespace().count()},
    }))
    .into_response()
}
