//! A yamon grid: an upstream MCP server exposing bare tool names
//! (the delivery language, `docs/seeds.md`: "Grids expose bare names ... The grid does
//! not add a prefix").
//!
//! A grid's tools are data (name, description, answer); it records every call with
//! the identity the gateway injected (`X-Authenticated-User`), so a scenario can show
//! which agent called what (the count of all, the latest [`CALLS_KEEP`] kept). It
//! never adds a federation prefix.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::inspection::{clipped, InspectionLog};
use crate::mcp::{self, CallContext, ToolFuture, ToolHost, ToolOutcome, ToolSpec};

/// One tool a grid exposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridTool {
    /// The bare upstream name, e.g. `search_query`.
    pub name: String,
    pub description: String,
    /// The text the tool answers with.
    #[serde(default = "default_answer")]
    pub answer: String,
}

fn default_answer() -> String {
    "ok".to_string()
}

impl GridTool {
    pub fn new(name: &str, description: &str) -> Self {
        GridTool { name: name.to_string(), description: description.to_string(), answer: default_answer() }
    }
}

/// A call the grid served.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridCall {
    pub tool: String,
    /// The identity the gateway injected, if any.
    pub authenticated_user: Option<String>,
}

/// The calls a grid keeps for inspection (the latest), beside the count of all.
pub const CALLS_KEEP: usize = 1_000;

/// A grid and what it has served.
#[derive(Debug)]
pub struct Grid {
    pub server_id: String,
    tools: Vec<GridTool>,
    calls: Mutex<InspectionLog<GridCall>>,
}

impl Grid {
    pub fn new(server_id: &str, tools: Vec<GridTool>) -> Arc<Self> {
        Arc::new(Grid { server_id: server_id.to_string(), tools, calls: Mutex::new(InspectionLog::new(CALLS_KEEP)) })
    }

    /// The latest calls served (at most [`CALLS_KEEP`]), in arrival order.
    pub fn calls(&self) -> Vec<GridCall> {
        self.calls.lock().map(|c| c.recent().cloned().collect()).unwrap_or_default()
    }

    /// How many calls the grid served.
    pub fn call_count(&self) -> u64 {
        self.calls.lock().map(|c| c.total()).unwrap_or_default()
    }

    /// `/mcp` serving the grid's bare tools.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().route("/mcp", any(serve_grid)).with_state(self.clone())
    }
}

async fn serve_grid(State(grid): State<Arc<Grid>>, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    let ctx = CallContext { caller: None, headers };
    mcp::serve_message(grid, ctx, &method, body).await
}

impl ToolHost for Grid {
    fn server_name(&self) -> String {
        self.server_id.clone()
    }

    fn list_tools(&self, _ctx: &CallContext) -> Vec<ToolSpec> {
        self.tools
            .iter()
            .map(|t| ToolSpec {
                name: t.name.clone(),
                description: t.description.clone(),
                input_schema: json!({"type": "object", "properties": {}, "additionalProperties": true}),
            })
            .collect()
    }

    fn call_tool(&self, ctx: CallContext, name: String, _arguments: Value) -> ToolFuture {
        let outcome = match self.tools.iter().find(|t| t.name == name) {
            Some(tool) => {
                let user = ctx.headers.get("x-authenticated-user").and_then(|v| v.to_str().ok()).map(clipped);
                if let Ok(mut calls) = self.calls.lock() {
                    calls.push(GridCall { tool: name.clone(), authenticated_user: user });
                }
                ToolOutcome::Text(tool.answer.clone())
            }
            None => ToolOutcome::UnknownTool(name),
        };
        Box::pin(async move { outcome })
    }
}
