//! Faults that begin on an event as it happens: a request reaching a service
//! (`http`, `merge`), held at the service's door until the fault has begun, and
//! a wall firing, a handoff recorded in the Agent Server's trail, each with an
//! optional delay.

use std::path::Path;

use squadsim::engine::world::{self, Run, RunOptions};
use squadsim::scenario::{Fault, Scenario};

use crate::support::{self, load};

fn recorded(scenario: &Scenario) -> Run {
    world::run(scenario, RunOptions { record: true, ..RunOptions::default() })
}

/// The statuses of the merges GitHub was sent, in order.
fn merges(run: &Run) -> Vec<Option<u16>> {
    let record = run.record.as_ref().expect("a recorded run has a record");
    record
        .calls
        .iter()
        .filter(|c| c.to == "github" && c.method == "PUT" && c.path.ends_with("/merge"))
        .map(|c| c.status)
        .collect()
}

fn parse(text: &str) -> Result<Scenario, squadsim::scenario::ScenarioError> {
    Scenario::parse(Path::new("scenarios/x.yaml"), text)
}

#[test]
fn a_crash_on_the_merge_hits_the_merge_under_every_seed() {
    for seed in [37, 1, 2, 3] {
        let mut s = load("github-crash-during-merge.yaml");
        s.seed = seed;
        let run = recorded(&s);
        let merges = merges(&run);
        assert_eq!(merges.first(), Some(&None), "seed {seed}: the first merge must get no answer: {merges:?}");
        assert!(
            run.outcome.faults.iter().any(|f| f.ends_with("on merge: crash github")),
            "seed {seed}: {:?}",
            run.outcome.faults
        );
        assert_eq!(run.outcome.run.as_ref().map(|r| r.status.as_str()), Some("blocked"), "seed {seed}");
    }
}

#[test]
fn the_twin_without_the_crash_merges_and_completes() {
    let mut s = load("github-crash-during-merge.yaml");
    s.faults.clear();
    let run = recorded(&s);
    assert_eq!(merges(&run), [Some(200)]);
    assert_eq!(run.outcome.run.as_ref().map(|r| r.status.as_str()), Some("completed"));
}

#[test]
fn a_service_fault_on_an_http_event_answers_that_very_request() {
    let mut s = load("github-crash-during-merge.yaml");
    s.faults = parse(
        "faults:\n  - service: {host: github, method: PUT, path: /repos/*/*/pulls/*/merge, effect: {status: 502}, \
         on: {http: {to: github, method: PUT, path: /repos/*/*/pulls/*/merge}}, lasts: 1s}\nsteps: [health]\n",
    )
    .unwrap()
    .faults;
    let run = recorded(&s);
    assert_eq!(merges(&run).first(), Some(&Some(502)), "{:?}", merges(&run));
}

#[test]
fn a_delayed_event_fault_lets_the_request_through_and_begins_later() {
    let mut s = load("github-crash-during-merge.yaml");
    s.faults =
        parse("faults:\n  - crash: {host: github, on: {merge: {delay: 0.5s}}, restart_after: 30s}\nsteps: [health]\n")
            .unwrap()
            .faults;
    let run = recorded(&s);
    assert_eq!(merges(&run).first(), Some(&Some(200)), "the merge goes on before the crash");
    let at = support::fault_began(&run.outcome, "on merge + 0.5s: crash github").expect("the crash began");
    let record = run.record.as_ref().unwrap();
    let merge = record.calls.iter().find(|c| c.path.ends_with("/merge")).unwrap();
    let (at, arrived) = (at.as_secs_f64(), merge.start.as_secs_f64());
    // The request reaches GitHub's door within a tick of leaving, is seen at the
    // next step, and the crash begins at the first step 0.5 s after that: within
    // three 40 ms ticks of sending + 0.5 s, printed to 0.1 s.
    assert!((arrived + 0.45..=arrived + 0.5 + 0.12 + 0.05).contains(&at), "crash at {at}s, merge sent at {arrived}s");
}

#[test]
fn a_fault_on_a_wall_begins_when_the_wall_fires() {
    let mut s = load("merge-recorded-not-merged.yaml");
    s.faults = parse("faults:\n  - partition: {between: [daytona, github], on: {wall: {wall: committer_wall}}, lasts: 5s}\nsteps: [health]\n")
        .unwrap()
        .faults;
    assert!(matches!(s.faults[0], Fault::Partition { .. }));
    let o = support::run(&s);
    assert!(
        o.faults.iter().any(|f| f.contains("on wall committer_wall: partition daytona <-> github")),
        "{:?}",
        o.faults
    );
}

#[test]
fn an_event_naming_an_unknown_host_or_wall_is_refused_with_its_line() {
    let err =
        parse("faults:\n  - crash:\n      host: github\n      on: {http: {to: gitlab, path: /}}\nsteps: [health]\n")
            .unwrap_err();
    assert_eq!(err.field, "faults[0].crash.on.http.to");
    assert_eq!(err.line, Some(4));
    assert!(err.message.contains("unknown host `gitlab`"), "{err}");
    let err = parse(
        "faults:\n  - crash:\n      host: github\n      on:\n        wall: {wall: merge_wall}\nsteps: [health]\n",
    )
    .unwrap_err();
    assert_eq!(err.field, "faults[0].crash.on.wall.wall");
    assert!(err.message.contains("unknown wall `merge_wall`"), "{err}");
}

/// (sender, recipient) of every handoff the Agent Server recorded.
fn trail(run: &Run) -> Vec<(String, String)> {
    run.outcome.handoff_trail.iter().map(|h| (h.sender_agent_id.clone(), h.recipient_agent_id.clone())).collect()
}

#[test]
fn a_crash_on_a_handoff_begins_as_that_handoff_is_recorded_under_every_seed() {
    for seed in [11, 1, 2, 3] {
        let mut s = load("agent-server-crash-on-tester-handoff.yaml");
        s.seed = seed;
        let run = recorded(&s);
        let o = &run.outcome;
        let began = support::fault_began(o, "on handoff implementer -> tester: crash agent-server");
        let at = began.unwrap_or_else(|| panic!("seed {seed}: {:?}", o.faults)).as_secs_f64();
        // The handoff is durable (checkpointed before it was answered); nothing after it lands.
        assert_eq!(trail(&run).last(), Some(&("implementer-1".to_string(), "tester".to_string())), "seed {seed}");
        // The crash follows the HUD's write of that handoff to the Agent Server by at most a step or two.
        let record = run.record.as_ref().expect("a recorded run has a record");
        let written = record
            .calls
            .iter()
            .filter(|c| c.from == "fractalops-hud" && c.to == "agent-server" && c.start.as_secs_f64() <= at)
            .map(|c| c.start.as_secs_f64())
            .fold(0.0, f64::max);
        assert!(at - written <= 0.5, "seed {seed}: crash at {at}s, the last handoff write sent at {written}s");
        assert!(o.sessions.iter().all(|sess| sess.role_id != "tester"), "seed {seed}: the tester never starts");
        assert_eq!(o.run.as_ref().map(|r| r.status.as_str()), Some("blocked"), "seed {seed}");
    }
}

#[test]
fn the_twin_without_the_handoff_crash_hands_on_to_the_tester_and_completes() {
    let mut s = load("agent-server-crash-on-tester-handoff.yaml");
    s.faults.clear();
    let run = recorded(&s);
    assert!(trail(&run).contains(&("tester".to_string(), "committer".to_string())), "{:?}", trail(&run));
    assert_eq!(run.outcome.run.as_ref().map(|r| r.status.as_str()), Some("completed"));
}

#[test]
fn a_handoff_event_without_from_or_to_fires_on_the_first_handoff() {
    let mut s = load("agent-server-crash-on-tester-handoff.yaml");
    s.faults = parse("faults:\n  - crash: {host: agent-server, on: {handoff: {}}}\nsteps: [health]\n").unwrap().faults;
    let run = recorded(&s);
    assert!(run.outcome.faults.iter().any(|f| f.ends_with("on handoff * -> *: crash agent-server")));
    assert_eq!(trail(&run), [("planner".to_string(), "implementer-1".to_string())], "nothing lands after the crash");
}

/// The error loading `text` gives, which names `field` and says `says`.
fn refused(text: &str, field: &str, says: &str) -> squadsim::scenario::ScenarioError {
    let err = parse(text).unwrap_err();
    assert_eq!(err.field, field, "{err}");
    assert!(err.message.contains(says), "{err}");
    err
}

#[test]
fn a_handoff_event_naming_a_role_no_handoff_has_is_refused_with_its_line() {
    let err = refused(
        "faults:\n  - crash:\n      host: agent-server\n      on:\n        handoff: {from: planner, to: reviewer}\nsteps: [health]\n",
        "faults[0].crash.on.handoff.to",
        "no handoff can be to `reviewer`",
    );
    assert_eq!(err.line, Some(5));
    let from = "faults:\n  - crash: {host: agent-server, on: {handoff: {from: curator-2}}}\nsteps: [health]\n";
    refused(from, "faults[0].crash.on.handoff.from", "no handoff can be from `curator-2`");
    let err = parse("faults:\n  - crash: {host: agent-server, on: {handoff: {by: planner}}}\nsteps: [health]\n");
    assert!(err.unwrap_err().message.contains("by"), "an unknown key is refused");
}

/// (from, status) of every call to ContextForge, in send order.
fn gateway_calls(run: &Run) -> Vec<(String, Option<u16>)> {
    let record = run.record.as_ref().expect("a recorded run has a record");
    record.calls.iter().filter(|c| c.to == "contextforge").map(|c| (c.from.clone(), c.status)).collect()
}

#[test]
fn a_crash_on_a_request_from_a_host_lets_the_others_through_and_hits_the_first_from_it() {
    for seed in [11, 1, 2, 3] {
        let mut s = load("gateway-crash-on-first-agent-call.yaml");
        s.seed = seed;
        let run = recorded(&s);
        let calls = gateway_calls(&run);
        let first = calls.iter().position(|(from, _)| from == "daytona").expect("an agent reached the gateway");
        assert!(first > 0 && calls[..first].iter().all(|(_, status)| status.is_some()), "seed {seed}: {calls:?}");
        assert_eq!(calls[first].1, None, "seed {seed}: the first request from daytona gets no answer");
        assert!(
            run.outcome.faults.iter().any(|f| f.ends_with("on http * contextforge/ from daytona: crash contextforge")),
            "seed {seed}: {:?}",
            run.outcome.faults
        );
    }
}

#[test]
fn without_from_the_same_crash_hits_the_studios_first_call_instead() {
    let mut s = load("gateway-crash-on-first-agent-call.yaml");
    s.faults = parse("faults:\n  - crash: {host: contextforge, on: {http: {to: contextforge}}, restart_after: 30s}\nsteps: [health]\n")
        .unwrap()
        .faults;
    let calls = gateway_calls(&recorded(&s));
    assert_eq!(calls.first(), Some(&("studio".to_string(), None)), "{calls:?}");
}

#[test]
fn the_twin_without_the_gateway_crash_answers_the_agents_and_completes() {
    let mut s = load("gateway-crash-on-first-agent-call.yaml");
    s.faults.clear();
    let run = recorded(&s);
    assert!(gateway_calls(&run).iter().all(|(_, status)| status.is_some()), "{:?}", gateway_calls(&run));
    assert_eq!(run.outcome.run.as_ref().map(|r| r.status.as_str()), Some("completed"));
}

#[test]
fn an_http_event_from_an_unknown_host_or_from_its_own_target_is_refused_with_its_line() {
    let err = refused(
        "faults:\n  - crash:\n      host: contextforge\n      on:\n        http: {from: sandbox, to: contextforge}\nsteps: [health]\n",
        "faults[0].crash.on.http.from",
        "got `sandbox`",
    );
    assert_eq!(err.line, Some(5));
    let own = "faults:\n  - crash: {host: github, on: {http: {from: github, to: github}}}\nsteps: [health]\n";
    refused(own, "faults[0].crash.on.http.from", "other than `to`");
}

#[test]
fn a_declared_fault_that_never_began_is_said_with_why_and_a_fault_past_the_horizon_is_refused() {
    let happy = std::fs::read_to_string(support::corpus_file("happy-intake.yaml")).unwrap();
    let faults = "faults:\n  - partition: {between: [studio, daytona], at: 50m}\n  - crash: {host: github, on: {wall: {wall: closer_wall}}}\n  - crash: {host: daytona, on: {http: {to: daytona, path: /api/sandbox, delay: 50m}}}\n";
    let s = parse(&format!("{happy}{faults}")).unwrap();
    let o = world::run(&s, RunOptions::default()).outcome;
    assert!(o.faults.is_empty(), "{:?}", o.faults);
    assert_eq!(
        o.faults_never_began,
        [
            "partition studio <-> daytona (at 3000.0s: the run ended first)",
            "crash github (on wall closer_wall: it never happened)",
            "crash daytona (on http * daytona/api/sandbox + 3000.0s: seen at 6.3s, the run ended first)",
        ]
    );
    assert!(
        squadsim::tools::report::summary(&o).ends_with(", 3 declared fault(s) never began"),
        "{}",
        squadsim::tools::report::summary(&o)
    );
    assert!(
        o.to_yaml().contains("faults_never_began:\n- 'partition studio <-> daytona (at 3000.0s"),
        "pinned in the snapshot"
    );
    // On a pull request it is a warning on the scenario file.
    let dir = support::scratch("never-began");
    let file = dir.join("late-faults.yaml");
    std::fs::write(&file, format!("{happy}{faults}")).unwrap();
    let (_, out, _) = support::squadsim(&["run", file.to_str().unwrap(), "--format", "github"]);
    let expected = format!(
        "::warning file={},title=squadsim%3A happy-intake (seed 1)::declared fault(s) never began: partition studio <-> daytona (at 3000.0s: the run ended first); crash github",
        file.display()
    );
    assert!(out.contains(&expected), "{out}");
    // The twin without them says nothing of the kind.
    let twin = world::run(&parse(&happy).unwrap(), RunOptions::default()).outcome;
    assert!(twin.faults_never_began.is_empty());
    assert!(!squadsim::tools::report::summary(&twin).contains("never began"));

    // A time at or past the horizon can never come: refused with its line.
    let e = parse(&format!("{happy}faults:\n  - partition: {{between: [studio, daytona], at: 2h}}\n")).unwrap_err();
    assert_eq!(e.field, "faults[0].partition.at", "{e}");
    assert!(e.message.contains("expected a time before the horizon (3600.0s), got 7200.0s"), "{e}");
    let e = parse(&format!("{happy}swarm: {{starts: {{min: 0s, max: 2h}}}}\n")).unwrap_err();
    assert_eq!(e.field, "swarm.starts.max", "{e}");
}

#[test]
fn a_sessions_events_begin_faults_when_that_roles_session_shows_them() {
    // Three harmless faults (latency between two hosts that never talk) on the tester's session starting, making
    // its first tool call and completing: each begins when the tester's session shows it, in that order, after the
    // planner (whose session shows each first) has completed.
    let mut faults = String::from("faults:\n");
    for event in ["session_started", "first_tool_call", "session_completed"] {
        faults += &format!(
            "  - latency: {{between: [glitchtip, searxnggrid], extra: 1ms, on: {{{event}: tester}}, lasts: 1s}}\n"
        );
    }
    faults +=
        "  - latency: {between: [glitchtip, searxnggrid], extra: 1ms, on: {session_completed: planner}, lasts: 1s}\n";
    let o = support::run(&support::with_faults("full-delivery.yaml", &faults));
    support::assert_completed(&o);
    let began = |what: &str| {
        support::fault_began(&o, &format!("on {what}:")).unwrap_or_else(|| panic!("{what}: {:?}", o.faults))
    };
    let planner_done = began("session_completed planner");
    let tester = ["session_started tester", "first_tool_call tester", "session_completed tester"].map(began);
    assert!(planner_done < tester[0] && tester[0] <= tester[1] && tester[1] < tester[2], "{:?}", o.faults);
}
