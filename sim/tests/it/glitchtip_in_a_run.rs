//! GlitchTip in a run (`docs/seeds.md`, runbook, "Build Plane Observability"): the starter
//! `.env` carries the project's DSN for the frontend (`PUBLIC_SENTRY_DSN`) and the
//! backend (`SENTRY_DSN`); a preview app posts its errors to the DSN with the DSN
//! public key only, and they land in the project's issues, while the management
//! API and `/mcp` still refuse a request without auth.

use crate::support;

use squadsim::engine::world::{self, Run, RunOptions};
use squadsim_fakes::net::{serve_loopback, HttpClient, HttpRequest, Transport};
use support::load;

use std::time::Duration;

#[test]
fn a_preview_apps_events_land_in_the_projects_issues_and_the_api_still_wants_auth() {
    let scenario = load("glitchtip-preview-app-events.yaml");
    let Run { outcome: o, services, .. } =
        world::run(&scenario, RunOptions { keep_services: true, ..RunOptions::default() });
    support::assert_completed(&o);
    assert_eq!(
        o.project_issues,
        [
            "TypeError: Cannot read properties of undefined (reading 'total') (error, 1 events)",
            "KeyError: 'order_id' (error, 1 events)",
        ]
    );
    let services = services.unwrap();
    let dsn = services.glitchtip.dsn("yamon", "sanmopia-modernization").unwrap();
    let implementer = services.daytona.sandboxes().into_iter().find(|s| s.name.contains("implementer")).unwrap();
    assert_eq!(implementer.env.get("SENTRY_DSN"), Some(&dsn));
    assert_eq!(implementer.env.get("PUBLIC_SENTRY_DSN"), Some(&dsn));

    // The same GlitchTip, after the run, on loopback: reading needs the API token.
    let loopback = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    loopback.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(serve_loopback(squadsim_fakes::glitchtip::router(services.glitchtip.clone()), listener));
        let http = HttpClient::new(Transport::Loopback, Duration::from_secs(10));
        let issues = format!("{base}/api/0/projects/yamon/sanmopia-modernization/issues/");
        let anonymous = http.send(HttpRequest::get(issues.clone())).await.unwrap();
        assert_eq!(anonymous.status.as_u16(), 401, "the management API: {}", anonymous.text());
        let mcp = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
        let anonymous = http.send(HttpRequest::post(format!("{base}/mcp")).json(&mcp)).await.unwrap();
        assert_eq!(anonymous.status.as_u16(), 401, "/mcp: {}", anonymous.text());
        let token = services.glitchtip.config().api_tokens[0].clone();
        let listed = http.send(HttpRequest::get(issues).bearer(&token)).await.unwrap().json();
        assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    });
}

#[test]
fn twin_without_a_dsn_the_sdks_are_disabled_and_the_run_completes() {
    let mut s = load("glitchtip-preview-app-events.yaml");
    s.world.glitchtip.provisioning_failure = Some(500);
    let o = support::run(&s);
    support::assert_completed(&o);
    assert!(o.project_issues.is_empty(), "{:?}", o.project_issues);
}

#[test]
fn without_a_preview_app_nothing_reaches_the_projects_issues() {
    let mut s = load("glitchtip-preview-app-events.yaml");
    s.agents.clear();
    let o = support::run(&s);
    support::assert_completed(&o);
    assert!(o.project_issues.is_empty(), "{:?}", o.project_issues);
}
