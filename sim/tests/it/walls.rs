//! Delivery via the CodexGate App, delivery proof, the merge lifecycle decision
//! and the five mechanical walls: each scenario and its twin (the condition
//! removed, the wall or blocker gone).

use crate::support;

use squadsim::scenario::{DeliveryStep, MergeDecision, RetryBehaviour, Scenario};
use squadsim::Outcome;
use squadsim_conformance::vocabulary::{BlockerCode, CodeOrigin, Wall};
use support::load;

fn statuses(o: &Outcome) -> Vec<(String, String, Option<String>)> {
    o.sessions.iter().map(|s| (s.agent_id.clone(), s.live_status.clone(), s.blocker_code.clone())).collect()
}

fn walls(o: &Outcome) -> Vec<(String, String, String)> {
    o.walls.iter().map(|w| (w.wall.clone(), w.agent_id.clone(), w.retry_outcome.clone())).collect()
}

/// The scenario with no scripted drift: every agent does its role's work.
fn without_drift(mut s: Scenario) -> Scenario {
    s.agents.clear();
    s
}

#[test]
fn full_delivery_goes_from_intake_to_lineage_through_the_app() {
    let o = support::run(&load("full-delivery.yaml"));
    support::assert_completed(&o);
    assert!(o.walls.is_empty(), "{:?}", o.walls);
    let run_id = &o.run.as_ref().unwrap().run_id;
    assert_eq!(o.delivery_references.len(), 2, "one pull request per implementer lane: {:?}", o.delivery_references);
    for (i, r) in o.delivery_references.iter().enumerate() {
        let lane = format!("implementer-{}", i + 1);
        assert_eq!(r.agent_id, lane);
        assert_eq!(r.repository, "yamonco/sanmopia-modernization");
        assert_eq!(r.branch.as_deref(), Some(format!("agentsquad/{run_id}/{lane}").as_str()));
        assert_eq!((r.author.as_str(), r.author_type.as_str()), ("fractalops-codexgate[bot]", "Bot"));
        assert_eq!(r.merge_decision.as_deref(), Some("handoff_state=merged"));
        assert!(r.url.contains("/yamonco/sanmopia-modernization/pull/"), "{}", r.url);
    }
    // The implementer's handoff carries the pull request as its delivery reference;
    // the planner's carries none (a handoff is not a delivery reference).
    for h in &o.handoff_trail {
        let carries = h.delivery_reference.is_some();
        assert_eq!(carries, h.sender_agent_id != "planner" && h.sender_agent_id != "curator", "{h:?}");
    }
    let to_tester: Vec<_> = o.handoff_trail.iter().filter(|h| h.recipient_agent_id == "tester").collect();
    assert_eq!(to_tester.len(), 2);
    assert!(to_tester
        .iter()
        .all(|h| o.delivery_references.iter().any(|r| Some(&r.url) == h.delivery_reference.as_ref())));
}

#[test]
fn a_committer_may_close_the_decision_with_merge_requested_and_qa_passed() {
    let mut s = load("full-delivery.yaml");
    s.agents.entry("committer".into()).or_default().merge_decision = Some(MergeDecision::MergeRequested);
    let o = support::run(&s);
    support::assert_completed(&o);
    assert!(o
        .delivery_references
        .iter()
        .all(|r| r.merge_decision.as_deref() == Some("handoff_state=merge_requested, merge_gate_status=qa_passed")));
}

#[test]
fn the_committer_wall_finds_each_decision_among_many_lanes_handoffs() {
    // 40 lanes: the graph state the wall reads holds 80-odd handoffs and 40 decisions,
    // and each delivery reference of the run gets its own decision, none left out.
    let mut s = load("full-delivery.yaml");
    s.world.implementer_lanes = 40;
    for role in ["planner", "tester", "committer", "closer"] {
        s.agents.entry(role.into()).or_default().parallel_tool_calls = Some(40);
    }
    let o = support::run(&s);
    support::assert_completed(&o);
    assert!(o.walls.is_empty(), "{:?}", o.walls);
    assert_eq!(o.delivery_references.len(), 40);
    for (i, r) in o.delivery_references.iter().enumerate() {
        assert_eq!(r.agent_id, format!("implementer-{}", i + 1));
        assert_eq!(r.merge_decision.as_deref(), Some("handoff_state=merged"), "{}", r.url);
    }
}

/// (the wall's scenario name, the wall, the agent it fires for)
const WALLS: [(&str, Wall, &str); 5] = [
    ("planner", Wall::Planner, "planner"),
    ("delivery", Wall::Delivery, "implementer-1"),
    ("tester", Wall::Tester, "tester"),
    ("committer", Wall::Committer, "committer"),
    ("closer", Wall::Closer, "closer"),
];

#[test]
fn each_wall_fires_and_clears_after_the_retry_and_its_twin_never_fires() {
    for (name, wall, agent) in WALLS {
        let s = load(&format!("wall-{name}-cleared.yaml"));
        let o = support::run(&s);
        assert_eq!(walls(&o), [(wall.code().to_string(), agent.to_string(), "cleared".to_string())], "{name}");
        assert_eq!(o.walls[0].fallback, wall.fallback());
        support::assert_completed(&o);
        let twin = support::run(&without_drift(s));
        assert!(twin.walls.is_empty(), "{name} twin: {:?}", twin.walls);
        support::assert_completed(&twin);
    }
}

/// The blocker each wall whose retry falls short leaves its session with: the seeds'
/// ("Delivery Proof", "Merge Lifecycle Decision") for the delivery and committer walls,
/// model-defined ones for the planner, tester and closer walls, which the seeds name none for.
fn wall_blocker(wall: Wall) -> (&'static str, CodeOrigin) {
    match wall {
        Wall::Committer => ("merge_lifecycle_decision_required", CodeOrigin::Seed),
        Wall::Delivery => ("github_issue_or_pr_link_missing", CodeOrigin::Seed),
        Wall::Planner => ("memory_tool_contract_required", CodeOrigin::ModelDefined),
        Wall::Tester => ("evidence_attachment_required", CodeOrigin::ModelDefined),
        Wall::Closer => ("lineage_evidence_required", CodeOrigin::ModelDefined),
    }
}

#[test]
fn each_wall_whose_retry_also_fails_leaves_the_session_at_the_wall_and_a_compliant_twin_clears() {
    for (name, wall, agent) in WALLS {
        let file = if name == "committer" {
            "merge-decision-never-made.yaml".to_string()
        } else {
            format!("wall-{name}-blocked.yaml")
        };
        let mut s = load(&file);
        let o = support::run(&s);
        let (code, origin) = wall_blocker(wall);
        let marked = if origin == CodeOrigin::ModelDefined { " (model-defined)" } else { "" };
        let retry = format!("blocked: {code}{marked}");
        assert_eq!(walls(&o), [(wall.code().to_string(), agent.to_string(), retry)], "{name}");
        let session = o.sessions.iter().find(|x| x.agent_id == agent).unwrap();
        assert_eq!(session.live_status, "blocked", "{name}");
        // No session stands at a wall without a reason the outcome shows.
        assert_eq!(session.blocker_code.as_deref(), Some(code), "{name}");
        assert_eq!(BlockerCode::parse(code).map(BlockerCode::origin), Some(origin), "{name}");
        assert_eq!(session.wall_code.as_deref(), Some(wall.code()), "{name}");
        assert_eq!(o.run.as_ref().unwrap().status, "blocked");
        let line = squadsim::tools::report::summary(&o);
        assert!(line.contains(&format!("blockers: {code}{marked}, standing at: {}", wall.code())), "{name}: {line}");
        for b in s.agents.values_mut() {
            b.on_retry = Some(RetryBehaviour::Comply);
        }
        let twin = support::run(&s);
        assert_eq!(twin.walls.len(), 1, "{name}");
        support::assert_completed(&twin);
        assert!(twin.sessions.iter().all(|x| x.wall_code.is_none() && x.blocker_code.is_none()), "{name}");
    }
}

#[test]
fn the_merge_decision_never_made_is_merge_lifecycle_decision_required() {
    let o = support::run(&load("merge-decision-never-made.yaml"));
    let committer = o.sessions.iter().find(|s| s.agent_id == "committer").unwrap();
    assert_eq!(committer.blocker_code.as_deref(), Some("merge_lifecycle_decision_required"));
    assert!(o.delivery_references.iter().all(|r| r.merge_decision.is_none()));
}

#[test]
fn work_without_a_delivery_reference_is_blocked_and_the_twin_proves_one() {
    let s = load("missing-delivery-reference.yaml");
    let o = support::run(&s);
    let implementer = o.sessions.iter().find(|x| x.agent_id == "implementer-1").unwrap();
    assert_eq!(implementer.blocker_code.as_deref(), Some("github_issue_or_pr_link_missing"), "{:?}", statuses(&o));
    assert!(o.walls.is_empty(), "nothing was left in the worktree: no wall, the blocker at once: {:?}", o.walls);
    assert!(o.delivery_references.is_empty());
    assert!(!o.sessions.iter().any(|x| x.agent_id == "tester"), "no handoff without the work");
    let twin = support::run(&without_drift(s));
    support::assert_completed(&twin);
    assert_eq!(twin.delivery_references.len(), 1);
}

#[test]
fn an_installation_over_githubs_rate_limit_cannot_prove_its_delivery_and_the_twin_under_it_can() {
    let mut s = load("full-delivery.yaml");
    s.world.github.rate_limit = Some(12);
    let o = support::run(&s);
    let implementers: Vec<_> = o.sessions.iter().filter(|x| x.role_id == "implementer").collect();
    // Both pull requests were opened and handed on before the hour's 12 requests were
    // used: GitHub's 403s leave them unproven, not missing.
    assert_eq!(o.handoff_trail.iter().filter(|h| h.recipient_agent_id == "tester").count(), 2);
    assert!(
        implementers.iter().all(|x| x.blocker_code.as_deref() == Some("delivery_reference_unreadable")
            && x.current_step.contains("HTTP 403: API rate limit exceeded")),
        "GitHub answers 403 once the hour's 12 requests are used: {:?}",
        statuses(&o)
    );
    assert!(o.delivery_references.is_empty());
    let mut twin = s;
    twin.world.github.rate_limit = Some(15_000);
    support::assert_completed(&support::run(&twin));
}

#[test]
fn the_org_pat_override_wins_over_the_app_and_authors_the_delivery() {
    let s = load("org-pat-override.yaml");
    let o = support::run(&s);
    support::assert_completed(&o);
    assert!(!o.delivery_references.is_empty());
    for r in &o.delivery_references {
        assert_eq!((r.author.as_str(), r.author_type.as_str()), (squadsim::engine::services::ORG_PAT_USER, "User"));
    }
    let mut twin = s;
    twin.world.github.org_pat_override = false;
    let t = support::run(&twin);
    assert!(t.delivery_references.iter().all(|r| r.author == "fractalops-codexgate[bot]" && r.author_type == "Bot"));
}

#[test]
fn a_skipped_commit_is_still_changes_left_in_the_worktree() {
    let mut s = load("wall-delivery-cleared.yaml");
    s.agents.get_mut("implementer").unwrap().skips = Some(vec![DeliveryStep::Commit]);
    let o = support::run(&s);
    assert_eq!(walls(&o), [("delivery_wall".into(), "implementer-1".into(), "cleared".into())]);
    assert!(o.walls[0].reason.contains("without a PR commit"), "{}", o.walls[0].reason);
    support::assert_completed(&o);
}

/// A wall reads the attempt's output through the agent process adapter that ran it:
/// codex JSONL carries no palette (the loadout's attached servers stand in) and
/// names its tool calls `server`/`tool`, yet the planner and closer walls judge a
/// codex-cli attempt exactly as a claude-cli one.
#[test]
fn walls_read_a_codex_cli_attempt_as_they_read_a_claude_cli_one() {
    use squadsim::scenario::AgentProcessAdapter;
    for (name, wall, agent) in [("planner", Wall::Planner, "planner"), ("closer", Wall::Closer, "closer")] {
        let mut s = load(&format!("wall-{name}-cleared.yaml"));
        s.world.agent_process_adapters.insert(name.to_string(), AgentProcessAdapter::CodexCli);
        let o = support::run(&s);
        assert_eq!(walls(&o), [(wall.code().to_string(), agent.to_string(), "cleared".to_string())], "{name}");
        support::assert_completed(&o);
        let twin = support::run(&without_drift(s));
        assert!(twin.walls.is_empty(), "{name} twin under codex-cli: {:?}", twin.walls);
        support::assert_completed(&twin);
    }
}

/// `full-delivery` with the LangGraph Agent Server answering `status` to the
/// committer wall's read of the graph state (the Studio's first
/// `GET /threads/{run_id}/state`), for 5 s.
fn graph_state_unread_at_the_committer_wall(status: u16) -> Scenario {
    let text = std::fs::read_to_string(support::corpus_file("full-delivery.yaml")).unwrap();
    let state = "{to: agent-server, from: studio, method: GET, path: /threads/*/state}";
    let fault = format!(
        "faults:\n  - service: {{host: agent-server, method: GET, path: /threads/*/state, effect: {{status: {status}}}, on: {{http: {state}}}, lasts: 5s}}\n"
    );
    let text = text.split("\ninvariants:").next().unwrap().to_string() + "\n" + &fault;
    Scenario::parse(std::path::Path::new("scenarios/graph-state-unread.yaml"), &text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_graph_state_the_committer_wall_could_not_read_is_unreadable_not_a_missing_decision() {
    // The 10,000-agent delivery's false wall: its graph state outgrew the Studio
    // client's 16 MiB bound (64 MiB now), the read failed, and the wall took that for "no merge
    // lifecycle decision was closed", retried the committer and blocked it with
    // merge_lifecycle_decision_required, though every decision was recorded.
    let o = support::run(&graph_state_unread_at_the_committer_wall(503));
    assert!(o.walls.is_empty(), "nothing read, nothing retried: {:?}", walls(&o));
    let committer = o.sessions.iter().find(|s| s.role_id == "committer").expect("the committer joined");
    assert_eq!(committer.blocker_code.as_deref(), Some("delivery_reference_unreadable"), "{:?}", statuses(&o));
    assert!(
        committer.current_step.contains("the merge decisions: the LangGraph Agent Server's graph state, GET /threads/")
            && committer.current_step.ends_with("/state: HTTP 503"),
        "{}",
        committer.current_step
    );
    assert_eq!(o.run.as_ref().map(|r| r.status.as_str()), Some("blocked"));
    // The twin: the same delivery with the graph state read whole completes.
    support::assert_completed(&support::run(&load("full-delivery.yaml")));
}

/// `full-delivery` with its CodexGate installation granted `requests_an_hour` GitHub requests.
fn delivery_under_rate_limit(requests_an_hour: u64) -> Scenario {
    let mut s = load("full-delivery.yaml");
    s.world.github.rate_limit = Some(requests_an_hour);
    s
}

#[test]
fn a_committer_whose_merge_github_refused_stands_at_its_wall_saying_why() {
    // 24 requests an hour: the lanes deliver and are verified, then GitHub refuses the
    // committer's merge (403, rate limit). The wall finds no merge lifecycle decision,
    // retries, and the committer stands at the wall; its step carries its own report
    // (the refused merge), not only the wall's code.
    let o = support::run(&delivery_under_rate_limit(24));
    assert_eq!(walls(&o).first().map(|w| w.0.as_str()), Some("committer_wall"), "{:?}", walls(&o));
    let committer = o.sessions.iter().find(|s| s.role_id == "committer").expect("the committer joined");
    assert_eq!(committer.blocker_code.as_deref(), Some("merge_lifecycle_decision_required"), "{:?}", statuses(&o));
    assert_eq!(committer.wall_code.as_deref(), Some("committer_wall"));
    assert!(
        committer
            .current_step
            .starts_with("wall_retry: the attempt reported merge_lifecycle_decision_required: merge of ")
            && committer.current_step.contains("refused: HTTP 403: API rate limit exceeded"),
        "{}",
        committer.current_step
    );
    // The twin: enough requests for the whole delivery, and it completes.
    support::assert_completed(&support::run(&delivery_under_rate_limit(28)));
}
