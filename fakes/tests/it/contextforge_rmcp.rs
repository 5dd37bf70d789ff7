//! The ContextForge gateway against the official Rust MCP SDK (`rmcp`, a client
//! nobody here wrote) over real loopback sockets: a grid served on 127.0.0.1 is
//! registered through `POST /gateways`, and rmcp's Streamable HTTP client lists
//! and calls its tools under their federated names, on `/mcp` and on a virtual
//! server; a bad token is refused with 401.

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{json, Value};
use squadsim_fakes::clock::SystemClock;
use squadsim_fakes::contextforge::{ContextForge, GatewayConfig};
use squadsim_fakes::grid::{Grid, GridTool};
use squadsim_fakes::net::{HttpClient, Transport};

use crate::support::serve;

struct World {
    gateway_url: String,
    grid: Arc<Grid>,
    gateway: Arc<ContextForge>,
    token: String,
}

fn token(config: &GatewayConfig, subject: &str) -> String {
    let now = squadsim_fakes::clock::Clock::now_unix(&SystemClock);
    ContextForge::mint_token(config, subject, "jti-rmcp-1", now, 20 * 60)
}

async fn world() -> World {
    let mut snapshot = GridTool::new("get_hud_snapshot", "Agent HUD snapshot");
    snapshot.answer = r#"{"status":"ok"}"#.to_string();
    let grid = Grid::new("fractalops-hud", vec![snapshot, GridTool::new("post_hud_status", "Report status")]);
    let grid_url = serve(grid.router()).await;
    let config = GatewayConfig::default();
    let gateway = ContextForge::new(
        config.clone(),
        HttpClient::new(Transport::Loopback, Duration::from_secs(5)),
        Arc::new(SystemClock),
    );
    let gateway_url = serve(gateway.router()).await;
    let token = token(&config, "sanm.dangerous-vector@yamon.io");
    let http = reqwest::Client::new();
    let registered = http
        .post(format!("{gateway_url}/gateways"))
        .bearer_auth(&token)
        .json(&json!({"name": "yamon-fractalops-hud", "url": format!("{grid_url}/mcp"), "transport": "STREAMABLEHTTP"}))
        .send()
        .await
        .expect("register");
    assert!(registered.status().is_success(), "{:?}", registered.text().await);
    World { gateway_url, grid, gateway, token }
}

async fn connect(url: String, token: &str) -> Result<RunningService<RoleClient, ()>, String> {
    let config = StreamableHttpClientTransportConfig::with_uri(url).auth_header(token.to_string());
    let transport = StreamableHttpClientTransport::from_config(config);
    ().serve(transport).await.map_err(|e| e.to_string())
}

/// A raw `tools/list` POST to an MCP endpoint of the gateway, as any Streamable HTTP client sends it.
async fn raw_tools_list(url: &str, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .expect("exchange")
}

fn text_of(result: &rmcp::model::CallToolResult) -> String {
    let v = serde_json::to_value(result).expect("result serializes");
    v["content"][0]["text"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmcp_lists_and_calls_federated_tools_on_mcp() {
    let w = world().await;
    let client = connect(format!("{}/mcp", w.gateway_url), &w.token).await.expect("initialize");
    let info = client.peer_info().expect("server info after initialize");
    assert_eq!(info.server_info.as_ref().map(|i| i.name.as_str()), Some("mcpgateway"));

    let names: Vec<String> =
        client.list_all_tools().await.expect("tools/list").into_iter().map(|t| t.name.to_string()).collect();
    assert_eq!(names, ["yamon-fractalops-hud-get-hud-snapshot", "yamon-fractalops-hud-post-hud-status"]);

    let result = client
        .call_tool(CallToolRequestParams::new("yamon-fractalops-hud-get-hud-snapshot"))
        .await
        .expect("tools/call");
    assert_eq!(result.is_error, Some(false));
    assert_eq!(text_of(&result), r#"{"status":"ok"}"#);
    // The grid saw the bare name and the identity the gateway injected.
    let calls = w.grid.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].tool, "get_hud_snapshot");
    assert_eq!(calls[0].authenticated_user.as_deref(), Some("sanm.dangerous-vector@yamon.io"));

    // A bare name is not a tool on /mcp: ContextForge's "Tool not found", an `isError` result.
    let bare = client.call_tool(CallToolRequestParams::new("get_hud_snapshot")).await.expect("an answer");
    assert_eq!(bare.is_error, Some(true));
    assert_eq!(text_of(&bare), "Tool not found: get_hud_snapshot");
    // Nor is a name no gateway has: still a result (docs/wire-facts.md#contextforge-unknown-tool), never -32602.
    let unknown = client.call_tool(CallToolRequestParams::new("no_such_tool")).await.expect("a result, not an error");
    assert_eq!((unknown.is_error, text_of(&unknown)), (Some(true), "Tool not found: no_such_tool".to_string()));
    assert_eq!(w.grid.calls().len(), 1, "nothing more reached the grid");
    client.cancel().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmcp_calls_through_a_virtual_server() {
    let w = world().await;
    let http = reqwest::Client::new();
    let server: Value = http
        .post(format!("{}/servers", w.gateway_url))
        .bearer_auth(&w.token)
        .json(&json!({"server": {"name": "fractalops-hud", "associated_tools": ["yamon-fractalops-hud-get-hud-snapshot"]}}))
        .send()
        .await
        .expect("create server")
        .json()
        .await
        .expect("server json");
    let id = server["id"].as_str().expect("id");
    let client = connect(format!("{}/servers/{id}/mcp", w.gateway_url), &w.token).await.expect("initialize");
    let names: Vec<String> =
        client.list_all_tools().await.expect("tools/list").into_iter().map(|t| t.name.to_string()).collect();
    assert_eq!(names, ["yamon-fractalops-hud-get-hud-snapshot"]);
    let args = json!({"agent": "planner"}).as_object().cloned().expect("object");
    let result = client
        .call_tool(CallToolRequestParams::new("get_hud_snapshot").with_arguments(args))
        .await
        .expect("a bare name is accepted on a virtual server");
    assert_eq!(text_of(&result), r#"{"status":"ok"}"#);
    // The virtual server reaches only its own tools: the grid's other tool is not found there.
    let outside =
        client.call_tool(CallToolRequestParams::new("yamon-fractalops-hud-post-hud-status")).await.expect("an answer");
    assert_eq!(outside.is_error, Some(true));
    assert_eq!(text_of(&outside), "Tool not found: yamon-fractalops-hud-post-hud-status");
    assert_eq!(w.grid.calls().len(), 1, "the refused call never reached the grid");
    client.cancel().await.expect("close");

    // An id no virtual server has: 404 {"detail": "Server not found"}.
    let unknown = raw_tools_list(&format!("{}/servers/{}/mcp", w.gateway_url, "0".repeat(32)), &w.token).await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.json::<Value>().await.expect("json"), json!({"detail": "Server not found"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmcp_with_a_bad_token_is_refused_with_401() {
    let w = world().await;
    let forged = ContextForge::mint_token(
        &GatewayConfig { jwt_secret: "not-the-secret".into(), ..GatewayConfig::default() },
        "sanm.dangerous-vector@yamon.io",
        "jti-forged",
        squadsim_fakes::clock::Clock::now_unix(&SystemClock),
        600,
    );
    let refused = connect(format!("{}/mcp", w.gateway_url), &forged).await;
    let error = refused.expect_err("initialize must fail");
    assert!(error.contains("401") || error.to_lowercase().contains("auth"), "{error}");
    let failures = w.gateway.auth_failures();
    assert_eq!((failures.total, failures.recent.len()), (1, 1), "{failures:?}");
    assert_eq!(failures.recent[0].path, "/mcp");

    // The raw exchange: 401, FastAPI's {"detail": ...}, WWW-Authenticate: Bearer.
    let raw = raw_tools_list(&format!("{}/mcp", w.gateway_url), &forged).await;
    assert_eq!(raw.status(), 401);
    assert_eq!(raw.headers().get("www-authenticate").and_then(|v| v.to_str().ok()), Some("Bearer"));
    let body: Value = raw.json().await.expect("json");
    assert!(body["detail"].is_string(), "{body}");
}

/// With stateful sessions kept (`USE_STATEFUL_SESSIONS=true`), rmcp's client
/// gets an `Mcp-Session-Id` on initialize, carries it, pings, lists and calls,
/// and ends the session on close (DELETE); a request without the id is 400,
/// with an id not open 404, both JSON-RPC errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmcp_keeps_a_stateful_session_and_ends_it() {
    let w = world().await;
    w.gateway.keep_sessions(11);
    let url = format!("{}/mcp", w.gateway_url);
    let client = connect(url.clone(), &w.token).await.expect("initialize opens a session");
    assert_eq!(w.gateway.open_sessions(), 1);
    client.peer().send_request(rmcp::model::ClientRequest::PingRequest(Default::default())).await.expect("ping");
    let tools = client.list_all_tools().await.expect("tools/list in the session");
    assert!(tools.iter().any(|t| t.name == "yamon-fractalops-hud-get-hud-snapshot"));
    let result = client
        .call_tool(CallToolRequestParams::new("yamon-fractalops-hud-get-hud-snapshot"))
        .await
        .expect("tools/call in the session");
    assert_eq!(text_of(&result), r#"{"status":"ok"}"#);

    let missing = raw_tools_list(&url, &w.token).await;
    assert_eq!(missing.status(), 400);
    let body: Value = missing.json().await.expect("json");
    assert_eq!(
        (body["error"]["code"].as_i64(), body["error"]["message"].as_str()),
        (Some(-32600), Some("Bad Request: Missing session ID"))
    );
    let unknown = reqwest::Client::new()
        .post(&url)
        .bearer_auth(&w.token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-session-id", "0123456789abcdef0123456789abcdef")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .expect("exchange");
    assert_eq!(unknown.status(), 404);

    client.cancel().await.expect("close");
    for _ in 0..50 {
        if w.gateway.open_sessions() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(w.gateway.open_sessions(), 0, "closing the client ends its session (DELETE)");
    let _ = &w.grid;
}
