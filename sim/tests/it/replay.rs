//! Replay and session resume (seed 000): "agents go blocked with
//! agent_first_tool_required, a stable claude_session_id (so session resume / #1528 is
//! working)", and the block "Recurs at the intake phase". The operator replays a
//! blocked run (`POST .../replay`); each blocked session is attempted again and
//! resumes its Claude session.

use squadsim::scenario::Step;
use squadsim::Outcome;

use crate::support::{self, load};

/// Each session's (agent id, claude_session_id).
fn claude_sessions(o: &Outcome) -> Vec<(String, Option<String>)> {
    o.sessions.iter().map(|s| (s.agent_id.clone(), s.claude_session_id.clone())).collect()
}

/// The scenario's run as the operator found it just before the replay: its steps up to there.
fn before_the_replay(file: &str) -> Outcome {
    let mut s = load(file);
    let replay = s.steps.iter().position(|step| *step == Step::Replay).expect("a replay step");
    s.steps.truncate(replay);
    support::run(&s)
}

fn attempts_recorded(o: &Outcome, agent: &str) -> usize {
    o.run_control.iter().filter(|e| e.ends_with(&format!("agent_attempt:recorded {agent}"))).count()
}

#[test]
fn a_replay_resumes_each_blocked_session_and_the_first_tool_block_recurs_at_intake() {
    let before = before_the_replay("first-tool-replay-recurs.yaml");
    assert_eq!(before.blockers(), ["agent_first_tool_required"]);
    let o = support::run(&load("first-tool-replay-recurs.yaml"));
    let replay = o.operator.iter().find(|c| c.step == "replay").expect("the replay call");
    assert_eq!(replay.http_status, Some(200), "{replay:?}");
    assert!(o.run_control.iter().any(|e| e.ends_with("operator_control:scheduled replay")), "{:?}", o.run_control);
    assert_eq!(claude_sessions(&o), claude_sessions(&before), "the same Claude sessions resumed");
    assert!(claude_sessions(&o).iter().all(|(_, id)| id.is_some()));
    for s in &o.sessions {
        assert_eq!(attempts_recorded(&o, &s.agent_id), 2, "{}: attempted again by the replay", s.agent_id);
        assert_eq!(s.blocker_code.as_deref(), Some("agent_first_tool_required"), "{s:?}");
        assert_eq!(s.current_step, "first_tool_gate", "{s:?}");
    }
    assert_eq!(o.sessions.len(), 2, "still the intake pair: the block recurs at intake");
    assert_eq!(o.run.as_ref().map(|r| r.reports.clone()), Some(vec!["blocked".to_string(), "blocked".to_string()]));
}

#[test]
fn the_twin_mends_the_cause_before_the_replay_and_the_resumed_sessions_clear_the_block() {
    let before = before_the_replay("first-tool-replay-cleared.yaml");
    assert_eq!(before.blockers(), ["agent_first_tool_required"], "blocked alike before the replay");
    let o = support::run(&load("first-tool-replay-cleared.yaml"));
    assert_eq!(o.run.as_ref().map(|r| r.status.as_str()), Some("completed"), "{:?}", o.sessions);
    assert!(o.blockers().is_empty());
    let resumed: Vec<_> = claude_sessions(&o)
        .into_iter()
        .filter(|(agent, _)| before.sessions.iter().any(|s| &s.agent_id == agent))
        .collect();
    assert_eq!(resumed, claude_sessions(&before), "the intake pair resumed the same Claude sessions");
    assert!(o.sessions.len() > 2, "the delivery graph went on past intake");
}

#[test]
fn without_a_replay_the_blocked_run_stays_blocked_with_one_attempt_each() {
    // The replay is what attempts the sessions again: the mended cut alone changes nothing.
    let mut s = load("first-tool-replay-cleared.yaml");
    s.steps.retain(|step| *step != Step::Replay);
    let o = support::run(&s);
    assert_eq!(o.blockers(), ["agent_first_tool_required"]);
    for session in &o.sessions {
        assert_eq!(attempts_recorded(&o, &session.agent_id), 1, "{session:?}");
    }
}
