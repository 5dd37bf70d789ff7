//! What the fakes remember for inspection stays bounded under a flood, and its
//! counts stay exact: 30,000 refused requests with a long server id, a grid
//! called many times, GitHub sent thousands of different credentials.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use squadsim_fakes::clock::FixedClock;
use squadsim_fakes::contextforge::{ContextForge, GatewayConfig, AUTH_LOG_KEEP};
use squadsim_fakes::grid::{Grid, GridTool, CALLS_KEEP};
use squadsim_fakes::inspection::MAX_QUOTED_CHARS;
use squadsim_fakes::mcp::{CallContext, ToolHost};
use squadsim_fakes::net::{HttpClient, Transport};

use crate::support::respond;

const NOW: u64 = 1_780_963_200;

#[tokio::test]
async fn the_gateway_log_keeps_the_latest_refusals_clipped_and_counts_them_all() {
    let http = HttpClient::new(Transport::Loopback, Duration::from_millis(200));
    let gateway = ContextForge::new(GatewayConfig::default(), http, Arc::new(FixedClock::new(NOW)));
    let app = gateway.router();
    let long_id = "f".repeat(4_000);
    for i in 0..30_000 {
        let request = Request::post(format!("/servers/{long_id}{i}/mcp"))
            .header("authorization", if i % 2 == 0 { "Bearer not-a-jwt" } else { "Basic x" })
            .body(Body::empty())
            .unwrap();
        assert_eq!(respond(&app, request).await.0, StatusCode::UNAUTHORIZED);
    }
    let log = gateway.auth_failures();
    assert_eq!(log.total, 30_000, "the count is exact");
    assert_eq!(gateway.auth_failure_count(), 30_000);
    assert_eq!(log.recent.len(), AUTH_LOG_KEEP, "only the latest are kept");
    assert!(log.recent.iter().all(|f| f.path.chars().count() <= MAX_QUOTED_CHARS + 1), "paths are clipped");
    assert_eq!(log.reasons.len(), 2, "two distinct reasons: {:?}", log.reasons);
    assert!(log.reasons.contains(&"Not authenticated".to_string()), "{:?}", log.reasons);
}

#[tokio::test]
async fn a_grid_keeps_its_latest_calls_and_counts_them_all() {
    let grid = Grid::new(
        "searxnggrid",
        vec![GridTool { name: "search".into(), description: "Search".into(), answer: "ok".into() }],
    );
    let user = "x".repeat(10_000);
    for _ in 0..CALLS_KEEP + 500 {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("x-authenticated-user", user.parse().unwrap());
        let _ = grid.call_tool(CallContext { caller: None, headers }, "search".into(), json!({})).await;
    }
    assert_eq!(grid.call_count(), (CALLS_KEEP + 500) as u64);
    let calls = grid.calls();
    assert_eq!(calls.len(), CALLS_KEEP);
    assert!(calls.iter().all(|c| c.authenticated_user.as_ref().unwrap().chars().count() == MAX_QUOTED_CHARS + 1));
}
