//! The Studio API surface, served on loopback (the same router the simulation mounts).

use std::time::Duration;

use squadsim::platform::studio::api::{self, operations};
use squadsim_fakes::net::{serve_loopback, HttpClient, HttpRequest, Transport};

#[test]
fn openapi_lists_every_routed_endpoint_and_nothing_else() {
    let doc = api::openapi();
    let paths = doc["paths"].as_object().unwrap();
    for o in operations() {
        assert!(paths[&o.path][o.method.as_str().to_lowercase()].is_object(), "{} {} missing", o.method, o.path);
    }
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(documented, operations().len());
    for runbook_path in [
        "/v1/admin/studio/runs",
        "/v1/admin/studio/runs/{run_id}",
        "/v1/admin/studio/runs/{run_id}/execute",
        "/v1/admin/studio/runs/{run_id}/session-state",
        "/v1/admin/studio/runs/{run_id}/reports",
        "/v1/admin/studio/runs/{run_id}/handoff-trail",
        "/v1/admin/studio/runs/{run_id}/cleanup",
        "/v1/admin/studio/runs/{run_id}/control",
        "/v1/admin/studio/runs/{run_id}/replay",
        "/v1/admin/studio/templates",
        "/healthz",
    ] {
        assert!(paths.contains_key(runbook_path), "{runbook_path}");
    }
}

pub(crate) fn studio() -> std::sync::Arc<squadsim::platform::studio::Studio> {
    squadsim::platform::studio::Studio::new(squadsim::platform::studio::StudioConfig {
        seed: 1,
        nickname_seed: 1,
        tenants: vec!["default".into()],
        projects: vec![],
        daytona_url: "http://127.0.0.1:9".into(),
        daytona_api_key: "k".into(),
        gateway_url: "http://127.0.0.1:9".into(),
        agent_server_url: "http://127.0.0.1:9".into(),
        gateway: Default::default(),
        grids: Vec::new(),
        msgraph: squadsim::platform::studio::identity_binding::GraphBindingConfig {
            url: "http://127.0.0.1:9".into(),
            tenant_id: "t".into(),
            client_id: "c".into(),
            client_secret: "s".into(),
            named_agent_application_id: "a".into(),
            lease: Duration::from_secs(3600),
        },
        first_tool_deadline: Duration::from_secs(1),
        log_poll: Duration::from_secs(1),
        transport: squadsim_fakes::net::Transport::Loopback,
        loadouts: Default::default(),
        gateway_token_shape: Default::default(),
        admin_token_shape: Default::default(),
        github: Default::default(),
        lifecycle: Default::default(),
        skills_url: "http://127.0.0.1:9".into(),
        glitchtip_url: "http://127.0.0.1:9".into(),
        glitchtip_api_token: String::new(),
        agent_process_adapters: Default::default(),
        runtime_binding: Default::default(),
        browser_slots: Default::default(),
        prior_runs: Vec::new(),
        run_store_refuses_run_control_writes: false,
    })
}

#[tokio::test]
async fn the_router_answers_each_documented_method_and_guards_admin_paths() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve_loopback(api::router(studio()), listener));
    let client = HttpClient::new(Transport::Loopback, Duration::from_secs(5));
    let admin = |r: HttpRequest| {
        r.header("x-pomerium-claim-email", "oncall@yamon.io")
            .header("x-pomerium-claim-groups", "/org/platform/roles/super_admin")
    };

    let health = client.send(HttpRequest::get(format!("{base}/healthz"))).await.unwrap();
    assert_eq!((health.status.as_u16(), health.json()), (200, serde_json::json!({"status": "ok"})));

    // Every documented method is routed (no 405), and every admin path refuses without claims.
    for o in operations() {
        let path = o.path.replace("{run_id}", "run-nope");
        let bare =
            client.send(HttpRequest::new(o.method.clone(), format!("{base}{path}?tenant_id=default"))).await.unwrap();
        if o.admin {
            assert_eq!(bare.status.as_u16(), 401, "{} {}", o.method, o.path);
            let refused = client
                .send(
                    HttpRequest::new(o.method.clone(), format!("{base}{path}?tenant_id=default"))
                        .header("x-pomerium-claim-email", "dev@yamon.io")
                        .header("x-pomerium-claim-groups", "/org/eng"),
                )
                .await
                .unwrap();
            assert_eq!(refused.status.as_u16(), 403, "{} {}", o.method, o.path);
        }
        let authed = client
            .send(admin(HttpRequest::new(o.method.clone(), format!("{base}{path}?tenant_id=default"))))
            .await
            .unwrap();
        assert_ne!(authed.status.as_u16(), 405, "{} {} is documented but not routed", o.method, o.path);
    }

    let wrong_prefix = client.send(admin(HttpRequest::get(format!("{base}/v1/studio/templates")))).await.unwrap();
    assert_eq!(wrong_prefix.status.as_u16(), 404);
    let templates =
        client.send(admin(HttpRequest::get(format!("{base}/v1/admin/studio/templates")))).await.unwrap().json();
    let ids: Vec<&str> = templates.as_array().unwrap().iter().map(|t| t["template_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["ouroboros", "pm-ouroboros", "agentsquad", "research-team"]);

    let missing_tenant =
        client.send(admin(HttpRequest::get(format!("{base}/v1/admin/studio/runs/run-x/reports")))).await.unwrap();
    assert_eq!(missing_tenant.status.as_u16(), 422);
    assert_eq!(missing_tenant.json()["detail"][0]["loc"], serde_json::json!(["query", "tenant_id"]));
    let unknown_tenant = client
        .send(admin(HttpRequest::get(format!("{base}/v1/admin/studio/runs/run-x/reports?tenant_id=acme"))))
        .await
        .unwrap();
    assert_eq!(unknown_tenant.status.as_u16(), 404);
    assert!(unknown_tenant.text().contains("Unknown tenant"));

    let launch_unknown_tenant = client
        .send(admin(
            HttpRequest::post(format!("{base}/v1/admin/studio/runs?tenant_id=acme")).json(&serde_json::json!({})),
        ))
        .await
        .unwrap();
    assert_eq!(launch_unknown_tenant.status.as_u16(), 404);
    let bad_launch = client
        .send(admin(
            HttpRequest::post(format!("{base}/v1/admin/studio/runs"))
                .json(&serde_json::json!({"template_id": "agentsquad"})),
        ))
        .await
        .unwrap();
    assert_eq!(bad_launch.status.as_u16(), 422);
    let unknown_template = client
        .send(admin(HttpRequest::post(format!("{base}/v1/admin/studio/runs")).json(
            &serde_json::json!({"template_id": "nope", "project_slug": "p", "runtime_kind": "project_delivery"}),
        )))
        .await
        .unwrap();
    assert_eq!(unknown_template.status.as_u16(), 404);
}
