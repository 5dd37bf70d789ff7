//! The storage plane under Daytona as a scenario condition: the runbook's
//! degraded Longhorn plane (11 faulted/unknown volumes) keeps the intake pair's
//! workspaces from attaching, and its twins without the fault complete.

use crate::support;

use std::time::Duration;

use squadsim::scenario::Scenario;
use squadsim::Outcome;
use squadsim_fakes::net::HttpRequest;

fn load() -> Scenario {
    support::load("longhorn-faulted-volumes.yaml")
}

fn statuses(o: &Outcome) -> Vec<(String, String, Option<String>, u32)> {
    o.sessions
        .iter()
        .map(|s| (s.role_id.clone(), s.live_status.clone(), s.blocker_code.clone(), s.tool_call_count))
        .collect()
}

fn with_storage(faulted: u32, unknown: u32) -> Scenario {
    let mut s = load();
    s.world.storage.faulted = faulted;
    s.world.storage.unknown = unknown;
    s
}

#[test]
fn eleven_faulted_or_unknown_volumes_block_the_intake_pair_with_zero_events() {
    let o = support::run(&load());
    assert_eq!(o.sessions.len(), 2, "{:?}", statuses(&o));
    for s in &o.sessions {
        assert_eq!(s.live_status, "blocked", "{:?}", statuses(&o));
        assert_eq!(s.blocker_code.as_deref(), Some("agent_first_tool_required"));
        assert!(s.claude_session_id.is_some(), "the session started before the gate");
        assert_eq!(s.tool_call_count, 0);
    }
    assert_eq!(o.observability.events, 0, "claude never ran: zero events");
    assert_eq!(o.observability.runtime_logs, 0);
}

#[test]
fn twin_with_a_healthy_plane_completes() {
    let o = support::run(&with_storage(0, 0));
    assert!(
        o.sessions.len() >= 2 && o.sessions.iter().all(|s| s.live_status == "session_completed"),
        "{:?}",
        statuses(&o)
    );
}

#[test]
fn twin_with_one_faulted_volume_is_routed_around() {
    let o = support::run(&with_storage(1, 0));
    assert!(
        o.sessions.len() >= 2 && o.sessions.iter().all(|s| s.live_status == "session_completed"),
        "{:?}",
        statuses(&o)
    );
}

#[test]
fn twin_with_more_headroom_completes() {
    let mut s = load();
    s.world.storage.reservation_headroom = 11;
    let o = support::run(&s);
    assert!(o.sessions.iter().all(|s| s.live_status == "session_completed"), "{:?}", statuses(&o));
}

/// The scenario's storage condition reaches Daytona through the world's wiring,
/// and a sandbox start there fails with the storage error Kubernetes reports.
#[tokio::test]
async fn the_condition_reaches_daytona_as_the_kubernetes_attach_error() {
    let scenario = load();
    let support::LoopbackDaytona { base, key, http, services } = support::loopback_daytona(&scenario).await;

    let volumes = services.daytona.volumes();
    let idle = volumes.iter().filter(|v| v.state == squadsim_fakes::daytona::VolumeState::Detached).count();
    assert_eq!(idle, 11, "6 faulted + 5 unknown, all detached");

    let create = HttpRequest::post(format!("{base}/api/sandbox")).bearer(&key).json(&serde_json::json!({"name": "w"}));
    let sandbox = http.send(create).await.unwrap().json();
    let id = sandbox["id"].as_str().unwrap().to_string();
    let pod = format!("sandbox-{id}");
    let mut message = String::new();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let url = format!("{base}/api/v1/namespaces/daytona/events?fieldSelector=involvedObject.name={pod}");
        let events = http.send(HttpRequest::get(url).bearer(&key)).await.unwrap().json();
        if let Some(m) = events["items"][0]["message"].as_str() {
            message = m.to_string();
            break;
        }
    }
    assert!(message.starts_with("AttachVolume.Attach failed for volume \"pvc-"), "{message}");
    assert!(message.ends_with("is not ready for workloads: volume is faulted"), "{message}");
    let get = http.send(HttpRequest::get(format!("{base}/api/sandbox/{id}")).bearer(&key)).await.unwrap().json();
    assert_eq!(get["state"], "creating");
}
