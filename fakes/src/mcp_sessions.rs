//! Stateful MCP sessions over Streamable HTTP (the spec's "Session
//! Management"), for an endpoint that keeps them (ContextForge with
//! `USE_STATEFUL_SESSIONS=true`); the stateless JSON mode is [`crate::mcp`].
//!
//! - `initialize` (a POST without `Mcp-Session-Id`) opens a session: the
//!   answer carries its id (32 hex, drawn from a seed) in `Mcp-Session-Id`;
//! - every later POST, GET or DELETE must carry the id: without it 400
//!   "Bad Request: Missing session ID", with one not open 404 "Session not
//!   found" (the client then initializes again), each a JSON-RPC error body;
//! - GET (accepting `text/event-stream`) opens the session's server-to-client
//!   stream: 200 `text/event-stream`, held open until the session ends (this
//!   server sends nothing on it: its tools never call back); a second one at
//!   once is 409;
//! - DELETE ends the session (200); its stream closes.
//!
//! Bounded: at most [`MAX_SESSIONS`] are open; opening one more ends the oldest.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::watch;

use crate::ids::IdGen;
use crate::mcp::{rpc_error, serve_message, CallContext, ToolHost, INVALID_REQUEST};

/// The most sessions open at once.
pub const MAX_SESSIONS: usize = 4_096;

const SESSION_HEADER: &str = "mcp-session-id";

struct Session {
    /// Open order, to end the oldest first.
    opened: u64,
    /// Dropped when the session ends, which closes its stream.
    alive: watch::Sender<()>,
    streaming: bool,
}

/// The sessions of one MCP endpoint.
pub struct McpSessions {
    state: Mutex<(IdGen, u64, BTreeMap<String, Session>)>,
}

fn refusal(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(rpc_error(Value::Null, INVALID_REQUEST, message))).into_response()
}

impl McpSessions {
    /// Sessions whose ids are drawn from `seed` (the same seed, the same ids).
    pub fn new(seed: u64) -> Self {
        McpSessions { state: Mutex::new((IdGen::derive(seed, "mcp-sessions"), 0, BTreeMap::new())) }
    }

    fn lock(&self) -> MutexGuard<'_, (IdGen, u64, BTreeMap<String, Session>)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many sessions are open.
    pub fn open(&self) -> usize {
        self.lock().2.len()
    }

    fn begin(&self) -> String {
        let mut guard = self.lock();
        let (ids, counter, open) = &mut *guard;
        if open.len() >= MAX_SESSIONS {
            if let Some(oldest) = open.iter().min_by_key(|(_, s)| s.opened).map(|(id, _)| id.clone()) {
                open.remove(&oldest);
            }
        }
        *counter += 1;
        let id = ids.hex(32);
        let (alive, _) = watch::channel(());
        open.insert(id.clone(), Session { opened: *counter, alive, streaming: false });
        id
    }

    /// Answers one HTTP exchange at a stateful MCP endpoint for `host`.
    pub async fn serve(&self, host: Arc<dyn ToolHost>, ctx: CallContext, method: &Method, body: Bytes) -> Response {
        let given = ctx.headers.get(SESSION_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
        let known = given.as_ref().is_some_and(|id| self.lock().2.contains_key(id));
        match (method, given) {
            (&Method::POST, None) => {
                let initializing = serde_json::from_slice::<Value>(&body)
                    .is_ok_and(|m| m.get("method").and_then(Value::as_str) == Some("initialize"));
                if !initializing {
                    return refusal(StatusCode::BAD_REQUEST, "Bad Request: Missing session ID");
                }
                let mut response = serve_message(host, ctx, method, body).await;
                if response.status() == StatusCode::OK {
                    let id = self.begin();
                    if let Ok(value) = HeaderValue::from_str(&id) {
                        response.headers_mut().insert(SESSION_HEADER, value);
                    }
                }
                response
            }
            (&Method::POST | &Method::GET | &Method::DELETE, Some(_)) if !known => {
                refusal(StatusCode::NOT_FOUND, "Session not found")
            }
            (&Method::GET | &Method::DELETE, None) => {
                refusal(StatusCode::BAD_REQUEST, "Bad Request: Missing session ID")
            }
            (&Method::POST, Some(_)) => serve_message(host, ctx, method, body).await,
            (&Method::DELETE, Some(id)) => {
                self.lock().2.remove(&id);
                StatusCode::OK.into_response()
            }
            (&Method::GET, Some(id)) => self.stream(&ctx, &id),
            _ => {
                (StatusCode::METHOD_NOT_ALLOWED, [("allow", "GET, POST, DELETE")], "Method Not Allowed").into_response()
            }
        }
    }

    /// The session's server-to-client stream: open until the session ends.
    fn stream(&self, ctx: &CallContext, id: &str) -> Response {
        let accepts =
            ctx.headers.get("accept").and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/event-stream"));
        if !accepts {
            return refusal(StatusCode::NOT_ACCEPTABLE, "Not Acceptable: Client must accept text/event-stream");
        }
        let mut guard = self.lock();
        let Some(session) = guard.2.get_mut(id) else {
            return refusal(StatusCode::NOT_FOUND, "Session not found");
        };
        if session.streaming {
            return refusal(StatusCode::CONFLICT, "Conflict: Only one SSE stream is allowed per session");
        }
        session.streaming = true;
        let alive = session.alive.subscribe();
        let events = futures::stream::unfold(alive, |mut alive| async move {
            // Ends when the session's sender is dropped (DELETE, or the oldest ended).
            while alive.changed().await.is_ok() {}
            None::<(Result<Bytes, std::convert::Infallible>, _)>
        });
        let mut response = Response::new(Body::from_stream(events));
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("text/event-stream"));
        headers.insert("cache-control", HeaderValue::from_static("no-cache"));
        if let Ok(value) = HeaderValue::from_str(id) {
            headers.insert(SESSION_HEADER, value);
        }
        response
    }
}
