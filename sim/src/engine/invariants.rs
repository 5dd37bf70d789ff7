//! Checking an outcome against invariants: the ones its scenario declares
//! ([`crate::scenario::Invariants`], `invariants:`), and the built-in ones
//! every outcome must hold whatever its scenario declares ([`built_in`]: no
//! false greens). A seed sweep checks every seed this way.
//!
//! Guarantees: every declared field is checked and every undeclared one is
//! not; a broken invariant names the field, the expected and the actual value.
//! [`built_in`]: a `completed` run has every session `session_completed` with
//! no blocker and its delivery graph at its end, every blocked session has a
//! blocker code, and a blocked run says why.

use serde::{Deserialize, Serialize};
use squadsim_conformance::vocabulary::BlockerCode;

use crate::engine::outcome::{Outcome, RunOutcome, SessionOutcome};
use crate::scenario::Invariants;

/// One invariant an outcome broke (declared, or built in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenInvariant {
    /// The invariant's field, e.g. `blockers`.
    pub field: String,
    pub expected: String,
    pub actual: String,
}

impl std::fmt::Display for BrokenInvariant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: expected {}, got {}", self.field, self.expected, self.actual)
    }
}

/// How an outcome is checked against the invariants its scenario declares.
impl Invariants {
    /// Every declared invariant `outcome` breaks, in field order, then every
    /// [`built_in`] one. A run that did not reach its end (not built, the
    /// horizon passed, a panic) always violates (field `error`), whatever is declared.
    pub fn check(&self, outcome: &Outcome) -> Vec<BrokenInvariant> {
        let mut broken = self.check_declared(outcome);
        broken.extend(built_in(outcome));
        broken
    }

    fn check_declared(&self, outcome: &Outcome) -> Vec<BrokenInvariant> {
        let mut broken = Vec::new();
        let mut expect = |field: &str, expected: String, actual: String| {
            if expected != actual {
                broken.push(BrokenInvariant { field: field.to_string(), expected, actual });
            }
        };
        if let Some(error) = &outcome.error {
            expect("error", "none".into(), error.to_string());
        }
        if let Some(finished) = self.finished {
            expect("finished", finished.to_string(), outcome.finished.to_string());
        }
        if let Some(status) = &self.run.run_status {
            let actual = outcome.run.as_ref().map(|r| r.status.as_str()).unwrap_or("not_launched");
            expect("run_status", status.clone(), actual.to_string());
        }
        if let Some(http) = self.launch_http_status {
            expect("launch_http_status", http_label(Some(http)), http_label(outcome.launch_http_status()));
        }
        if let Some(blockers) = &self.run.blockers {
            expect("blockers", canonical_set(blockers), set_label(outcome.blockers()));
        }
        if let Some(walls) = &self.run.walls {
            expect(
                "walls",
                set_label(walls.clone()),
                set_label(outcome.walls.iter().map(|w| w.wall.clone()).collect()),
            );
        }
        if let Some(standing) = &self.run.standing_walls {
            expect("standing_walls", set_label(standing.clone()), set_label(outcome.standing_walls()));
        }
        if let Some(sessions) = self.run.sessions {
            expect("sessions", sessions.to_string(), outcome.sessions.len().to_string());
        }
        if let Some(plane) = &self.diagnosis_plane {
            let actual = outcome.diagnosis.as_ref().map_or("none", |d| d.plane.name()).to_string();
            expect("diagnosis_plane", plane.clone(), actual);
        }
        if let Some(symptoms) = &self.platform_agent_symptoms {
            let actual =
                outcome.platform_agent.iter().flat_map(|p| p.symptoms.iter().map(|s| s.code().to_string())).collect();
            expect("platform_agent_symptoms", set_label(symptoms.clone()), set_label(actual));
        }
        // Runs launched together (`launch.count`) must each hold the per-run invariants.
        for (i, run) in outcome.concurrent_runs.iter().enumerate() {
            if let Some(status) = &self.run.run_status {
                expect(&format!("concurrent_runs[{i}].run_status"), status.clone(), run.status.clone());
            }
            if let Some(blockers) = &self.run.blockers {
                expect(
                    &format!("concurrent_runs[{i}].blockers"),
                    canonical_set(blockers),
                    set_label(run.blockers.clone()),
                );
            }
            if let Some(sessions) = self.run.sessions {
                expect(&format!("concurrent_runs[{i}].sessions"), sessions.to_string(), run.sessions.to_string());
            }
        }
        // Each labelled run its own invariants (a label with no run in the outcome: `not_launched`).
        for (label, declared) in &self.runs {
            let run = outcome.runs.iter().find(|r| &r.label == label);
            let field = |name: &str| format!("runs.{label}.{name}");
            if let Some(status) = &declared.run_status {
                expect(&field("run_status"), status.clone(), run.map_or("not_launched", |r| r.status()).into());
            }
            if let Some(blockers) = &declared.blockers {
                let actual = run.map(|r| r.blockers()).unwrap_or_default();
                expect(&field("blockers"), canonical_set(blockers), set_label(actual));
            }
            if let Some(walls) = &declared.walls {
                let actual = run.iter().flat_map(|r| r.walls.iter().map(|w| w.wall.clone())).collect();
                expect(&field("walls"), set_label(walls.clone()), set_label(actual));
            }
            if let Some(standing) = &declared.standing_walls {
                let actual = run.map(|r| r.standing_walls()).unwrap_or_default();
                expect(&field("standing_walls"), set_label(standing.clone()), set_label(actual));
            }
            if let Some(sessions) = declared.sessions {
                expect(&field("sessions"), sessions.to_string(), run.map_or(0, |r| r.sessions.len()).to_string());
            }
        }
        broken
    }
}

/// What every outcome must hold, whatever its scenario declares: a `completed`
/// run has every session `session_completed` with no blocker and its delivery
/// graph `at_end`; a blocked session has a blocker code (its reason); a `blocked`
/// run has a reason (a blocked session, or its delivery graph's). Fields are
/// named `built_in.<rule>`, and `built_in.runs.<label>.<rule>` for each
/// labelled run after the first (the first is the outcome's `run`).
pub fn built_in(outcome: &Outcome) -> Vec<BrokenInvariant> {
    let mut broken = built_in_run("built_in", outcome.run.as_ref(), &outcome.sessions);
    for labelled in outcome.runs.iter().skip(1) {
        let prefix = format!("built_in.runs.{}", labelled.label);
        broken.extend(built_in_run(&prefix, labelled.run.as_ref(), &labelled.sessions));
    }
    broken
}

/// The built-in invariants of one run and its sessions, each field under `prefix`.
fn built_in_run(prefix: &str, run: Option<&RunOutcome>, sessions: &[SessionOutcome]) -> Vec<BrokenInvariant> {
    let mut broken = Vec::new();
    let mut violation = |field: &str, expected: &str, actual: String| {
        broken.push(BrokenInvariant { field: format!("{prefix}.{field}"), expected: expected.to_string(), actual });
    };
    for s in sessions {
        if s.live_status == "blocked" && s.blocker_code.is_none() {
            violation(
                "blocked_session_has_a_reason",
                "a blocker code",
                format!("{} blocked at {} with none", s.agent_id, s.current_step),
            );
        }
    }
    let Some(run) = run else {
        return broken;
    };
    match run.status.as_str() {
        "completed" => {
            for s in sessions {
                if s.live_status != "session_completed" || s.blocker_code.is_some() {
                    let blocker = s.blocker_code.as_deref().map(|b| format!(" ({b})")).unwrap_or_default();
                    violation(
                        "completed_run_has_every_session_completed",
                        "session_completed",
                        format!("{} {}{blocker}", s.agent_id, s.live_status),
                    );
                }
            }
            if run.delivery_graph != "at_end" {
                violation("completed_run_has_its_graph_at_its_end", "at_end", run.delivery_graph.clone());
            }
        }
        "blocked" => {
            let blocked_session = sessions.iter().any(|s| s.live_status == "blocked");
            if !blocked_session && run.delivery_graph == "at_end" {
                violation(
                    "blocked_run_has_a_reason",
                    "a blocked session or a delivery graph short of its end",
                    "neither".to_string(),
                );
            }
        }
        _ => {}
    }
    broken
}

/// `200`, or `000` for no answer (curl's notation).
fn http_label(status: Option<u16>) -> String {
    match status {
        Some(0) | None => "000".into(),
        Some(s) => s.to_string(),
    }
}

/// Declared blocker codes (legacy aliases read as their canonical code) as a set label.
fn canonical_set(blockers: &[String]) -> String {
    set_label(blockers.iter().map(|b| BlockerCode::parse(b).map(|c| c.as_str()).unwrap_or(b).to_string()).collect())
}

/// A set of codes as `[a, b]`, sorted and without repeats.
fn set_label(mut codes: Vec<String>) -> String {
    codes.sort();
    codes.dedup();
    format!("[{}]", codes.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::studio::walls::WallOutcome;
    use crate::scenario::RunInvariants;

    /// Invariants that declare only what the first run must end with.
    fn of_run(run: RunInvariants) -> Invariants {
        Invariants { run, ..Invariants::default() }
    }

    fn outcome(status: Option<&str>, blockers: &[Option<&str>]) -> Outcome {
        Outcome {
            finished: true,
            simulated: "1.0s".into(),
            run: status.map(|s| RunOutcome {
                run_id: "run-1".into(),
                status: s.into(),
                template_id: "agentsquad".into(),
                project_slug: "p".into(),
                delivery_graph_kind: "project_delivery".into(),
                reports: Vec::new(),
                delivery_graph: if s == "completed" { "at_end" } else { "stopped_short: x" }.into(),
                observability_dsn: "provisioned".into(),
                runtime_binding: None,
            }),
            sessions: blockers
                .iter()
                .enumerate()
                .map(|(i, b)| SessionOutcome {
                    agent_id: format!("a{i}"),
                    role_id: "planner".into(),
                    agent_nickname: "n".into(),
                    live_status: if b.is_some() { "blocked" } else { "session_completed" }.into(),
                    current_step: String::new(),
                    blocker_code: b.map(str::to_string),
                    wall_code: None,
                    session_id: String::new(),
                    claude_session_id: None,
                    tool_call_count: 0,
                    agent_hud_status: None,
                    execution_workspace_phase: None,
                    attempt_end: None,
                    skill_ids: Vec::new(),
                    refused_tool_calls: Vec::new(),
                    bootstrap_assets: Vec::new(),
                })
                .collect(),
            ..Outcome::empty("x".into(), 1)
        }
    }

    #[test]
    fn only_declared_fields_are_checked() {
        let none = Invariants::default();
        assert!(none.check(&outcome(Some("blocked"), &[Some("agent_first_tool_required")])).is_empty());
        let status = of_run(RunInvariants { run_status: Some("completed".into()), ..RunInvariants::default() });
        let v = status.check(&outcome(Some("blocked"), &[None]));
        assert_eq!(
            v,
            vec![BrokenInvariant {
                field: "run_status".into(),
                expected: "completed".into(),
                actual: "blocked".into()
            }]
        );
        assert_eq!(v[0].to_string(), "run_status: expected completed, got blocked");
    }

    #[test]
    fn blockers_compare_as_sets() {
        let inv = of_run(RunInvariants {
            blockers: Some(vec!["merge_lifecycle_decision_required".into(), "agent_first_tool_required".into()]),
            ..RunInvariants::default()
        });
        let o = outcome(
            Some("blocked"),
            &[
                Some("agent_first_tool_required"),
                Some("merge_lifecycle_decision_required"),
                Some("agent_first_tool_required"),
            ],
        );
        assert!(inv.check(&o).is_empty());
        let v = inv.check(&outcome(Some("blocked"), &[Some("agent_first_tool_required")]));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].actual, "[agent_first_tool_required]");
    }

    #[test]
    fn no_run_is_not_launched_and_no_answer_is_000() {
        let inv = Invariants {
            run: RunInvariants {
                run_status: Some("not_launched".into()),
                sessions: Some(0),
                ..RunInvariants::default()
            },
            launch_http_status: Some(0),
            ..Invariants::default()
        };
        assert!(inv.check(&outcome(None, &[])).is_empty());
        let launched = inv.check(&outcome(Some("completed"), &[None]));
        assert_eq!(launched.iter().map(|v| v.field.as_str()).collect::<Vec<_>>(), ["run_status", "sessions"]);
    }

    #[test]
    fn every_concurrent_run_holds_the_per_run_invariants() {
        let inv = of_run(RunInvariants {
            run_status: Some("completed".into()),
            blockers: Some(vec![]),
            ..RunInvariants::default()
        });
        let mut o = outcome(Some("completed"), &[None]);
        let run = |status: &str, blockers: &[&str]| crate::engine::outcome::ConcurrentRun {
            run_id: "run-2".into(),
            status: status.into(),
            sessions: 2,
            blockers: blockers.iter().map(|b| b.to_string()).collect(),
        };
        o.concurrent_runs = vec![run("completed", &[]), run("blocked", &["agent_first_tool_required"])];
        let fields: Vec<String> = inv.check(&o).into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["concurrent_runs[1].run_status", "concurrent_runs[1].blockers"]);
    }

    #[test]
    fn walls_and_errors_are_violations() {
        let inv = of_run(RunInvariants { walls: Some(vec![]), ..RunInvariants::default() });
        let mut o = outcome(Some("completed"), &[None]);
        o.walls.push(WallOutcome {
            wall: "tester_wall".into(),
            agent_id: "tester".into(),
            reason: String::new(),
            fallback: String::new(),
            retry_outcome: String::new(),
        });
        o.error = Some(crate::engine::outcome::RunError::Stopped("a host failed".into()));
        let fields: Vec<String> = inv.check(&o).into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["error", "walls"]);
    }

    #[test]
    fn standing_walls_are_read_from_the_sessions_wall_codes() {
        let mut o = outcome(Some("blocked"), &[None, Some("memory_tool_contract_required")]);
        o.sessions[1].wall_code = Some("planner_wall".into());
        let holds =
            of_run(RunInvariants { standing_walls: Some(vec!["planner_wall".into()]), ..RunInvariants::default() });
        assert!(holds.check(&o).is_empty());
        let none = of_run(RunInvariants { standing_walls: Some(vec![]), ..RunInvariants::default() });
        let broken = none.check(&o);
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].to_string(), "standing_walls: expected [], got [planner_wall]");
    }

    #[test]
    fn a_labelled_runs_standing_walls_are_read_from_its_own_sessions() {
        let mut o = outcome(Some("blocked"), &[None, Some("memory_tool_contract_required")]);
        o.sessions[1].wall_code = Some("planner_wall".into());
        o.runs = vec![crate::engine::outcome::LabelledRun {
            label: "second".into(),
            run: o.run.clone(),
            sessions: o.sessions.clone(),
            walls: vec![],
            handoff_trail: vec![],
            delivery_references: vec![],
        }];
        // The first run's sessions stand at no wall: only the labelled run's do.
        o.sessions[1].wall_code = None;
        let declare = |label: &str, standing: &[&str]| Invariants {
            runs: [(
                label.to_string(),
                RunInvariants {
                    standing_walls: Some(standing.iter().map(|w| w.to_string()).collect()),
                    ..RunInvariants::default()
                },
            )]
            .into(),
            ..Invariants::default()
        };
        assert!(declare("second", &["planner_wall"]).check(&o).is_empty());
        let broken: Vec<String> = declare("second", &[]).check(&o).iter().map(ToString::to_string).collect();
        assert_eq!(broken, ["runs.second.standing_walls: expected [], got [planner_wall]"]);
        // A label with no run in the outcome stands at no wall.
        let broken: Vec<String> =
            declare("third", &["planner_wall"]).check(&o).iter().map(ToString::to_string).collect();
        assert_eq!(broken, ["runs.third.standing_walls: expected [planner_wall], got []"]);
    }

    fn fields(violations: Vec<BrokenInvariant>) -> Vec<String> {
        violations.into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn a_completed_run_with_a_session_that_stopped_short_breaks_the_built_in_invariants() {
        let none = Invariants::default();
        let mut o = outcome(Some("completed"), &[None, None]);
        assert!(none.check(&o).is_empty());
        o.sessions[1].live_status = "working".into();
        assert_eq!(fields(none.check(&o)), ["built_in.completed_run_has_every_session_completed"]);
        let v = &built_in(&o)[0];
        assert_eq!((v.expected.as_str(), v.actual.as_str()), ("session_completed", "a1 working"));
    }

    #[test]
    fn a_completed_run_whose_graph_stopped_short_breaks_the_built_in_invariants() {
        let mut o = outcome(Some("completed"), &[None, None]);
        o.run.as_mut().unwrap().delivery_graph = "stopped_short: planner handed nothing on to the implementer".into();
        let broken = built_in(&o);
        assert_eq!(fields(broken.clone()), ["built_in.completed_run_has_its_graph_at_its_end"]);
        assert_eq!(broken[0].actual, "stopped_short: planner handed nothing on to the implementer");
    }

    #[test]
    fn a_blocked_session_without_a_code_and_a_blocked_run_without_a_reason_break_the_built_in_invariants() {
        let mut o = outcome(Some("blocked"), &[None, Some("agent_first_tool_required")]);
        assert!(built_in(&o).is_empty());
        o.sessions[1].blocker_code = None;
        o.sessions[1].current_step = "wall_retry".into();
        let broken = built_in(&o);
        assert_eq!(fields(broken.clone()), ["built_in.blocked_session_has_a_reason"]);
        assert_eq!(broken[0].actual, "a1 blocked at wall_retry with none");
        // A blocked run with no blocked session needs its graph's reason.
        let mut graph = outcome(Some("blocked"), &[None]);
        assert!(built_in(&graph).is_empty(), "the graph stopped short: that is the reason");
        graph.run.as_mut().unwrap().delivery_graph = "at_end".into();
        assert_eq!(fields(built_in(&graph)), ["built_in.blocked_run_has_a_reason"]);
        // Declared invariants see them too, after their own fields.
        let declared = of_run(RunInvariants { sessions: Some(2), ..RunInvariants::default() });
        assert_eq!(fields(declared.check(&graph)), ["sessions", "built_in.blocked_run_has_a_reason"]);
    }
}
