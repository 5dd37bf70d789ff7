//! Workspace bootstrap assets (delivery-language seed: "a file delivered into an
//! execution workspace before the agent process starts"; a source ref bundle is
//! one "used as read-only legacy or reference source material";
//! "sourceRefBundleUrl is only a convenience alias that lowers into
//! workspaceBootstrapAssets[]"): fetched from GitHub's contents API and
//! delivered through Daytona's toolbox before each agent process starts; a
//! missing or refused asset stops the agent's start, naming the asset.

use squadsim::engine::world::{self, Run, RunOptions};
use squadsim::Outcome;

use crate::support::{self, load};

const BUNDLE: &str = "/home/daytona/source-ref/legacy-src.tar.gz";
const CLI: &str = "/home/daytona/tools/agentsquad-cli.tar.gz";

fn recorded(name: &str) -> Run {
    world::run(&load(name), RunOptions { record: true, keep_services: true, ..RunOptions::default() })
}

/// `(destination, mode)` of every asset a session's workspace got.
fn delivered(o: &Outcome, agent_id: &str) -> Vec<(String, String)> {
    let session = o.sessions.iter().find(|s| s.agent_id == agent_id).expect("the session");
    session.bootstrap_assets.iter().map(|a| (a.destination.clone(), a.mode.clone())).collect()
}

#[test]
fn both_assets_reach_every_workspace_before_its_agent_process_starts_and_the_bundle_is_read_only() {
    let Run { outcome, record, services, .. } = recorded("bootstrap-asset-delivered.yaml");
    assert_eq!(outcome.run.as_ref().map(|r| r.status.as_str()), Some("completed"));
    for agent in ["planner", "curator"] {
        assert_eq!(delivered(&outcome, agent), [(CLI.into(), "644".into()), (BUNDLE.into(), "444".into())], "{agent}");
    }
    let (record, services) = (record.expect("recorded"), services.expect("kept"));
    let sent = |id: &str, tail: &str| {
        record
            .calls
            .iter()
            .filter(|c| c.path == format!("/toolbox/{id}{tail}"))
            .map(|c| (c.start, c.end))
            .collect::<Vec<_>>()
    };
    let sandboxes: Vec<String> = record
        .calls
        .iter()
        .filter_map(|c| c.path.strip_prefix("/toolbox/")?.strip_suffix("/files/upload").map(str::to_string))
        .collect();
    assert_eq!(sandboxes.len(), 4, "two uploads into each of two workspaces: {sandboxes:?}");
    for id in &sandboxes {
        let last_upload = sent(id, "/files/upload").iter().map(|(_, end)| *end).max().expect("uploads");
        let process = sent(id, "/process/session").first().map(|(start, _)| *start).expect("a process session");
        assert!(last_upload <= process, "{id}: the agent process session began before the last upload ended");
        // What the workspace holds is what GitHub holds.
        let bundle = services.daytona.file(id, BUNDLE).expect("the bundle is in the workspace");
        assert_eq!(
            bundle,
            services.github.file("yamonco", "legacy-billing", "main", "bundles/legacy-src.tar.gz").unwrap()
        );
    }
}

#[test]
fn a_bundle_missing_at_its_source_blocks_every_agent_before_its_process_starts_naming_the_bundle() {
    let Run { outcome, record, .. } = recorded("bootstrap-asset-missing.yaml");
    assert_eq!(outcome.run.as_ref().map(|r| r.status.as_str()), Some("blocked"));
    for s in &outcome.sessions {
        assert_eq!(s.blocker_code.as_deref(), Some("workspace_bootstrap_asset_undelivered"), "{}", s.agent_id);
        assert!(s.current_step.starts_with("workspace_bootstrap_failed: source ref bundle "), "{}", s.current_step);
        assert!(s.current_step.contains("legacy-billing/contents/bundles/legacy-src.tar.gz"), "{}", s.current_step);
        assert!(s.current_step.ends_with("missing at its source (404)"), "{}", s.current_step);
        assert_eq!(s.execution_workspace_phase.as_deref(), Some("workspace_bootstrap ended (sandbox started)"));
        assert_eq!(s.tool_call_count, 0);
    }
    let record = record.expect("recorded");
    assert!(!record.calls.iter().any(|c| c.path.ends_with("/process/session")), "no agent process was started");
    // The CLI package before it was delivered: the lifecycle stopped at the asset that failed.
    assert!(outcome.sessions.iter().all(|s| s.bootstrap_assets.is_empty()));
}

/// Runs `name`: every session is blocked with the bootstrap blocker, its step saying `why`.
fn every_session_blocked_saying(name: &str, why: &str) {
    let o = support::run(&load(name));
    assert_eq!(o.sessions.len(), 2, "{name}");
    for s in &o.sessions {
        assert_eq!(s.blocker_code.as_deref(), Some("workspace_bootstrap_asset_undelivered"), "{name}");
        assert!(s.current_step.contains(why), "{name}: {}", s.current_step);
    }
}

#[test]
fn an_upload_the_workspace_refuses_blocks_the_agent_naming_the_asset() {
    every_session_blocked_saying(
        "bootstrap-asset-upload-refused.yaml",
        "-> /home/daytona/assembly/tools/agentsquad-cli.tar.gz: upload refused by the execution workspace (HTTP 403",
    );
}

#[test]
fn without_assets_no_bootstrap_phase_runs_and_nothing_is_delivered() {
    let mut plain = load("bootstrap-asset-missing.yaml");
    for step in &mut plain.steps {
        if let squadsim::scenario::Step::Launch(launch) = step {
            launch.workspace_bootstrap_assets.clear();
            launch.source_ref_bundle = None;
        }
    }
    let o = support::run(&plain);
    assert_eq!(o.run.as_ref().map(|r| r.status.as_str()), Some("completed"));
    assert!(o.sessions.iter().all(|s| s.bootstrap_assets.is_empty() && s.blocker_code.is_none()));
}

#[test]
fn a_relative_destination_or_a_path_that_climbs_is_refused_with_its_line_and_field() {
    let scenario = |asset: &str| {
        format!(
            "name: x\nworld:\n  github:\n    files:\n      - {{repository: legacy-billing, path: bundles/a.tgz}}\nsteps:\n  - launch:\n      template_id: research-team\n      project_slug: sanmopia-modernization\n      delivery_graph_kind: project_delivery\n      workspace_bootstrap_assets:\n        - {asset}\n"
        )
    };
    let refused =
        |text: String| squadsim::Scenario::parse(std::path::Path::new("scenarios/x.yaml"), &text).expect_err("refused");
    let e = refused(scenario("{repository: legacy-billing, path: bundles/a.tgz, destination: tools/a.tgz}"));
    assert_eq!((e.field.as_str(), e.line), ("steps[0].launch.workspace_bootstrap_assets[0].destination", Some(12)));
    assert!(e.message.contains("expected an absolute path in the execution workspace"), "{e}");
    let e = refused(scenario("{repository: legacy-billing, path: ../secrets, destination: /home/daytona/a}"));
    assert_eq!((e.field.as_str(), e.line), ("steps[0].launch.workspace_bootstrap_assets[0].path", Some(12)));
    let e = refused(scenario("{repository: 'no such repo', path: a, destination: /home/daytona/a}"));
    assert_eq!(e.field, "steps[0].launch.workspace_bootstrap_assets[0].repository");
    let many = format!("[{}]", vec!["{repository: r, path: a, destination: /a}"; 65].join(", "));
    let e =
        refused(scenario("x").replace("        - x\n", &format!("        {many}\n")).replace("assets:\n", "assets: "));
    assert_eq!(e.field, "steps[0].launch.workspace_bootstrap_assets");
    assert!(e.message.contains("at most 64 assets"), "{e}");
}

#[tokio::test]
async fn the_studio_api_refuses_an_alias_that_disagrees_with_the_listed_source_ref_bundle() {
    use squadsim_fakes::net::{serve_loopback, HttpClient, HttpRequest, Transport};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve_loopback(squadsim::platform::studio::api::router(crate::studio_api::studio()), listener));
    let client = HttpClient::new(Transport::Loopback, std::time::Duration::from_secs(5));
    let body = serde_json::json!({
        "template_id": "research-team", "project_slug": "p", "runtime_kind": "project_delivery",
        "workspaceBootstrapAssets": [{"kind": "source_ref_bundle", "url": "http://github/a.tgz"}],
        "sourceRefBundleUrl": "http://github/b.tgz",
    });
    let launch = HttpRequest::post(format!("{base}/v1/admin/studio/runs"))
        .header("x-pomerium-claim-email", "oncall@yamon.io")
        .header("x-pomerium-claim-groups", "/org/platform/roles/super_admin")
        .json(&body);
    let answer = client.send(launch).await.unwrap();
    assert_eq!(answer.status.as_u16(), 422);
    let detail = &answer.json()["detail"][0];
    assert_eq!(detail["loc"], serde_json::json!(["body", "sourceRefBundleUrl"]));
    assert_eq!(detail["input"], "http://github/b.tgz");
    assert!(detail["msg"].as_str().unwrap().contains("http://github/a.tgz"), "{detail}");
}

#[test]
fn a_source_that_refuses_to_serve_the_assets_blocks_the_agents_as_unreadable_not_missing() {
    every_session_blocked_saying(
        "bootstrap-asset-unreadable.yaml",
        "unreadable at its source (HTTP 403: API rate limit exceeded",
    );
}

#[test]
fn each_incident_without_its_fault_completes() {
    let completed = |s: &squadsim::Scenario| {
        let o = support::run(s);
        support::assert_completed(&o);
        assert!(o.sessions.iter().all(|s| s.bootstrap_assets.len() == 2), "{}", s.name);
    };
    // The bundle committed where its URL says.
    let mut missing = load("bootstrap-asset-missing.yaml");
    missing.world.github.files.push(squadsim::scenario::RepositoryFile {
        repository: "legacy-billing".into(),
        path: "bundles/legacy-src.tar.gz".into(),
    });
    completed(&missing);
    // The package sent to a writable folder.
    let mut refused = load("bootstrap-asset-upload-refused.yaml");
    for step in &mut refused.steps {
        if let squadsim::scenario::Step::Launch(launch) = step {
            launch.workspace_bootstrap_assets[0].destination = CLI.into();
        }
    }
    completed(&refused);
    // GitHub's own rate limit.
    let mut unreadable = load("bootstrap-asset-unreadable.yaml");
    unreadable.world.github.rate_limit = None;
    completed(&unreadable);
}
