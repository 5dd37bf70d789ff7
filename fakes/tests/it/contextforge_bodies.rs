//! Bad input against the ContextForge gateway and a grid: any request body
//! (malformed JSON, wrong types, missing fields, huge bodies) gets the real
//! service's answer, never a panic: FastAPI's `{"detail": …}` on the admin REST
//! surface, a JSON-RPC error object on the MCP endpoints.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderValue, Method, StatusCode};
use axum::Router;
use proptest::prelude::*;
use serde_json::{json, Value};
use squadsim_fakes::clock::FixedClock;
use squadsim_fakes::contextforge::{ContextForge, GatewayConfig};
use squadsim_fakes::grid::{Grid, GridTool};
use squadsim_fakes::net::{HttpClient, Transport};

use crate::support::{block_on, bodies, json_request, respond};

const NOW: u64 = 1_780_963_200;

async fn send(app: &Router, method: Method, uri: &str, token: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let mut req = json_request(method, uri, Some(token), body);
    req.headers_mut().insert("accept", HeaderValue::from_static("application/json, text/event-stream"));
    let (status, _, v) = respond(app, req).await;
    (status, v)
}

/// The fields and values an MCP message or an admin body holds.
const NAMES: &[&str] = &[
    "jsonrpc",
    "id",
    "method",
    "params",
    "name",
    "arguments",
    "url",
    "server",
    "associated_tools",
    "2.0",
    "tools/call",
    "tools/list",
    "initialize",
];

fn gateway() -> (Router, String) {
    let config = GatewayConfig::default();
    let http = HttpClient::new(Transport::Loopback, Duration::from_millis(200));
    let gw = ContextForge::new(config.clone(), http, Arc::new(FixedClock::new(NOW)));
    let token = ContextForge::mint_token(&config, "sanm.dangerous-vector@yamon.io", "jti-1", NOW, 600);
    (gw.router(), token)
}

/// A JSON-RPC answer: a 200 with `result` or `error`, a 202 without a body, or a
/// 4xx whose body is a JSON-RPC error object.
fn is_json_rpc_answer(status: StatusCode, v: &Value) -> bool {
    match status.as_u16() {
        202 => true,
        200 => v.get("result").is_some() || v.get("error").is_some(),
        400 | 406 => v["error"]["code"].is_i64() && v["jsonrpc"] == "2.0",
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_body_gets_a_contextforge_answer(body in bodies(NAMES), endpoint in 0usize..4) {
        block_on(async {
            let (app, token) = gateway();
            let uri = ["/mcp", "/gateways", "/servers", "/mcp/"][endpoint];
            let (status, v) = send(&app, Method::POST, uri, &token, body).await;
            if uri.starts_with("/mcp") {
                // A huge body is refused before it is read: 413 in FastAPI's shape.
                let too_large = status == StatusCode::PAYLOAD_TOO_LARGE && v["detail"].is_string();
                prop_assert!(too_large || is_json_rpc_answer(status, &v), "{status} {v}");
            } else {
                // 502: the gateway could not reach the URL it was asked to register.
                prop_assert!([201, 409, 413, 422, 502].contains(&status.as_u16()), "{status} {v}");
                if !status.is_success() {
                    prop_assert!(!v["detail"].is_null(), "{v}");
                }
            }
            Ok(())
        })?;
    }

    #[test]
    fn any_body_gets_a_grid_answer(body in bodies(NAMES)) {
        block_on(async {
            let app = Grid::new("searxnggrid", vec![GridTool::new("search_query", "Search")]).router();
            let (status, v) = send(&app, Method::POST, "/mcp", "", body).await;
            prop_assert!(status == StatusCode::PAYLOAD_TOO_LARGE || is_json_rpc_answer(status, &v), "{status} {v}");
            Ok(())
        })?;
    }
}

#[tokio::test]
async fn a_wrong_method_gets_fastapi_405_and_a_bad_token_401() {
    let (app, token) = gateway();
    let (status, v) = send(&app, Method::DELETE, "/gateways", &token, Vec::new()).await;
    assert_eq!((status, v), (StatusCode::METHOD_NOT_ALLOWED, json!({"detail": "Method Not Allowed"})));
    let (status, v) = send(&app, Method::POST, "/mcp", "not-a-jwt", b"{}".to_vec()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(v["detail"].is_string(), "{v}");
}
