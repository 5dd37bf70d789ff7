//! ContextForge's `TOOL_TIMEOUT` on the simulated network: an upstream
//! `tools/call` slower than the 10 s the gateway's other HTTP calls allow but
//! within the setting's 60 s is answered normally; one beyond it gets what the
//! real gateway answers, a JSON-RPC result with `isError: true` and the text
//! `Tool invocation timed out after 60s` (not a JSON-RPC error, not an HTTP error).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use squadsim_fakes::clock::FixedClock;
use squadsim_fakes::contextforge::{self, ContextForge, GatewayConfig};
use squadsim_fakes::grid::{Grid, GridTool};
use squadsim_fakes::mcp::{McpClient, ToolCallResult};
use squadsim_fakes::net::{serve_simulated, HttpClient, HttpRequest};

const NOW: u64 = 1_780_963_200;

/// What the agent got for one `tools/call` of a grid tool whose answer takes
/// `upstream` (the grid answers `tools/list` at once, so registration is
/// quick), and how long it waited.
fn call_through_the_gateway(upstream: Duration) -> (Result<ToolCallResult, String>, Duration) {
    let mut sim = turmoil::Builder::new().rng_seed(1).simulation_duration(Duration::from_secs(600)).build();
    let grid = Grid::new("datahub", vec![GridTool::new("publish_lineage", "Publish lineage")]);
    // Slow only once the gateway has registered the grid: its tools/call, not its tools/list.
    let slow = Arc::new(AtomicBool::new(false));
    let grid_slow = slow.clone();
    sim.host("datahub", move || {
        let slow = grid_slow.clone();
        let router = grid.router().layer(axum::middleware::from_fn(move |request, next: axum::middleware::Next| {
            let slow = slow.load(Ordering::SeqCst);
            async move {
                if slow {
                    squadsim_fakes::timer::sleep(upstream).await;
                }
                next.run(request).await
            }
        }));
        serve_simulated(router, 8000)
    });
    let config = GatewayConfig::default();
    let token = ContextForge::mint_token(&config, "sanm.closer@yamon.io", "jti-1", NOW, 3_600);
    // The gateway's HTTP client allows 10 s, as the simulated world's services do.
    let gateway =
        ContextForge::new(config, HttpClient::simulated(Duration::from_secs(10)), Arc::new(FixedClock::new(NOW)));
    sim.host("contextforge", move || serve_simulated(gateway.router(), 4444));
    let seen = Arc::new(Mutex::new(None));
    let out = seen.clone();
    sim.client("agent", async move {
        let http = HttpClient::simulated(Duration::from_secs(10));
        let registered = http
            .send(HttpRequest::post("http://contextforge:4444/gateways").bearer(&token).json(&json!({
                "name": "yamon-datahub", "url": "http://datahub:8000/mcp", "transport": "STREAMABLEHTTP"
            })))
            .await?;
        assert_eq!(registered.status.as_u16(), 201, "{}", registered.text());
        slow.store(true, Ordering::SeqCst);
        // The agent waits longer than the gateway's bound, so the gateway's answer reaches it.
        let mut agent = McpClient::new(http.clone(), "http://contextforge:4444/mcp")
            .with_header("authorization", format!("Bearer {token}"))
            .waiting_up_to(Duration::from_secs(300));
        let started = tokio::time::Instant::now();
        let result = agent.call_tool("yamon-datahub-publish-lineage", json!({})).await.map_err(|e| e.to_string());
        *out.lock().unwrap() = Some((result, started.elapsed()));
        Ok(())
    });
    sim.run().unwrap();
    let seen = seen.lock().unwrap().take();
    seen.expect("the agent's call ended")
}

#[test]
fn an_upstream_slower_than_10s_but_within_tool_timeout_is_answered_normally() {
    let (result, waited) = call_through_the_gateway(Duration::from_secs(30));
    assert_eq!(result, Ok(ToolCallResult { text: "ok".into(), is_error: false }));
    assert!(waited >= Duration::from_secs(30) && waited < Duration::from_secs(31), "{waited:?}");
}

#[test]
fn an_upstream_beyond_tool_timeout_gets_the_gateways_is_error_result_at_60s() {
    assert_eq!(contextforge::TOOL_TIMEOUT, Duration::from_secs(60), "ContextForge's default TOOL_TIMEOUT");
    let (result, waited) = call_through_the_gateway(Duration::from_secs(70));
    let timed_out = ToolCallResult { text: "Tool invocation timed out after 60s".into(), is_error: true };
    assert_eq!(result, Ok(timed_out));
    assert!(waited >= Duration::from_secs(60) && waited < Duration::from_secs(61), "{waited:?}");
}
