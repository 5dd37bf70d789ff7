//! Delivery via the CodexGate App, delivery proof, the merge lifecycle decision
//! and the five mechanical walls: each scenario and its twin (the condition
//! removed, the wall or blocker gone).

use std::path::Path;

use squadsim::scenario::{DeliveryStep, MergeDecision, RetryBehaviour, Scenario};
use squadsim::{world, Outcome};
use squadsim_conformance::vocabulary::Wall;

fn load(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios").join(name);
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn statuses(o: &Outcome) -> Vec<(String, String, Option<String>)> {
    o.sessions.iter().map(|s| (s.agent_id.clone(), s.live_status.clone(), s.blocker_code.clone())).collect()
}

fn completed(o: &Outcome) -> bool {
    o.run.as_ref().is_some_and(|r| r.status == "completed")
        && o.sessions.iter().all(|s| s.live_status == "session_completed" && s.blocker_code.is_none())
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
    let o = world::run(&load("full-delivery.yaml"));
    assert!(completed(&o), "{:?}", statuses(&o));
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
    let o = world::run(&s);
    assert!(completed(&o), "{:?}", statuses(&o));
    assert!(o
        .delivery_references
        .iter()
        .all(|r| r.merge_decision.as_deref() == Some("handoff_state=merge_requested, merge_gate_status=qa_passed")));
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
        let o = world::run(&s);
        assert_eq!(walls(&o), [(wall.code().to_string(), agent.to_string(), "cleared".to_string())], "{name}");
        assert_eq!(o.walls[0].fallback, wall.fallback());
        assert!(completed(&o), "{name}: {:?}", statuses(&o));
        let twin = world::run(&without_drift(s));
        assert!(twin.walls.is_empty(), "{name} twin: {:?}", twin.walls);
        assert!(completed(&twin), "{name} twin: {:?}", statuses(&twin));
    }
}

#[test]
fn each_wall_whose_retry_also_fails_records_its_blocker_and_a_compliant_twin_clears() {
    for (name, wall, agent) in WALLS {
        let file = if name == "committer" {
            "merge-decision-never-made.yaml".to_string()
        } else {
            format!("wall-{name}-blocked.yaml")
        };
        let mut s = load(&file);
        let o = world::run(&s);
        let blocked = format!("blocked: {}", wall.blocker());
        assert_eq!(walls(&o), [(wall.code().to_string(), agent.to_string(), blocked)], "{name}");
        let session = o.sessions.iter().find(|x| x.agent_id == agent).unwrap();
        assert_eq!(session.blocker_code.as_deref(), Some(wall.blocker().as_str()), "{name}");
        assert_eq!(o.run.as_ref().unwrap().status, "blocked");
        for b in s.agents.values_mut() {
            b.on_retry = Some(RetryBehaviour::Comply);
        }
        let twin = world::run(&s);
        assert_eq!(twin.walls.len(), 1, "{name}");
        assert!(completed(&twin), "{name} twin: {:?}", statuses(&twin));
    }
}

#[test]
fn the_merge_decision_never_made_is_merge_lifecycle_decision_required() {
    let o = world::run(&load("merge-decision-never-made.yaml"));
    let committer = o.sessions.iter().find(|s| s.agent_id == "committer").unwrap();
    assert_eq!(committer.blocker_code.as_deref(), Some("merge_lifecycle_decision_required"));
    assert!(o.delivery_references.iter().all(|r| r.merge_decision.is_none()));
}

#[test]
fn work_without_a_delivery_reference_is_blocked_and_the_twin_proves_one() {
    let s = load("missing-delivery-reference.yaml");
    let o = world::run(&s);
    let implementer = o.sessions.iter().find(|x| x.agent_id == "implementer-1").unwrap();
    assert_eq!(implementer.blocker_code.as_deref(), Some("github_issue_or_pr_link_missing"), "{:?}", statuses(&o));
    assert!(o.walls.is_empty(), "nothing was left in the worktree: no wall, the blocker at once: {:?}", o.walls);
    assert!(o.delivery_references.is_empty());
    assert!(!o.sessions.iter().any(|x| x.agent_id == "tester"), "no handoff without the work");
    let twin = world::run(&without_drift(s));
    assert!(completed(&twin), "{:?}", statuses(&twin));
    assert_eq!(twin.delivery_references.len(), 1);
}

#[test]
fn the_org_pat_override_wins_over_the_app_and_authors_the_delivery() {
    let s = load("org-pat-override.yaml");
    let o = world::run(&s);
    assert!(completed(&o), "{:?}", statuses(&o));
    assert!(!o.delivery_references.is_empty());
    for r in &o.delivery_references {
        assert_eq!((r.author.as_str(), r.author_type.as_str()), (world::ORG_PAT_USER, "User"));
    }
    let mut twin = s;
    twin.world.github.org_pat_override = false;
    let t = world::run(&twin);
    assert!(t.delivery_references.iter().all(|r| r.author == "fractalops-codexgate[bot]" && r.author_type == "Bot"));
}

#[test]
fn a_skipped_commit_is_still_changes_left_in_the_worktree() {
    let mut s = load("wall-delivery-cleared.yaml");
    s.agents.get_mut("implementer").unwrap().skips = Some(vec![DeliveryStep::Commit]);
    let o = world::run(&s);
    assert_eq!(walls(&o), [("delivery_wall".into(), "implementer-1".into(), "cleared".into())]);
    assert!(o.walls[0].reason.contains("without a PR commit"), "{}", o.walls[0].reason);
    assert!(completed(&o));
}

#[test]
fn nicknames_change_neither_routing_nor_branch_ownership_nor_authorship() {
    let mut a = load("full-delivery.yaml");
    let mut b = a.clone();
    a.seed = 101;
    b.seed = 202;
    let (oa, ob) = (world::run(&a), world::run(&b));
    let nick = |o: &Outcome| o.sessions.iter().map(|s| s.agent_nickname.clone()).collect::<Vec<_>>();
    assert_ne!(nick(&oa), nick(&ob));
    let ownership = |o: &Outcome| {
        let run_id = o.run.as_ref().unwrap().run_id.clone();
        o.delivery_references
            .iter()
            .map(|r| {
                (r.agent_id.clone(), r.branch.clone().unwrap_or_default().replace(&run_id, "<run>"), r.author.clone())
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(ownership(&oa), ownership(&ob));
    assert!(!ownership(&oa).is_empty());
    let routing = |o: &Outcome| {
        o.handoff_trail.iter().map(|h| (h.sender_agent_id.clone(), h.recipient_agent_id.clone())).collect::<Vec<_>>()
    };
    assert_eq!(routing(&oa), routing(&ob));
    assert_eq!(statuses(&oa), statuses(&ob));
    assert_eq!(oa.gateway.auth_failures, 0);
    assert_eq!(ob.gateway.auth_failures, 0);
}
