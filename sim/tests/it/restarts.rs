//! Restarts the swarm found stalling runs. A Studio restart resumes the work its crash cut off, as Temporal replays a
//! workflow on a new worker (delivery-language seed, "Execution Boundary": the
//! Temporal workflow "owns durable workspace/source/process lifecycle
//! deadlines"): an execution workspace being provisioned or started is awaited
//! again, an agent process is read on, and the run goes on to where its twin
//! without the crash goes. Pinned with the swarm's seed 1 mix, under which 12
//! corpus scenarios never settled before (the Studio's ticks and attempts died
//! with its crash and nothing picked them up).

use std::time::Duration;

use squadsim::engine::liveness::{self, Liveness};
use squadsim::engine::world::{self, Network, Run, RunOptions};
use squadsim::scenario::Scenario;
use squadsim::tools::sweep::check_seed;

use crate::support;

/// The fault mix swarm seed 1 drew: the Studio crashes from 28.8 s to 45.2 s
/// (with a grid crash and a one-way partition around it).
const SEED_1_MIX: &str = "
faults:
  - one_way_partition: {from: skills, to: github, at: 18179ms, lasts: 13864ms}
  - crash: {host: searxnggrid, at: 13325ms, restart_after: 25525ms}
  - crash: {host: studio, at: 28844ms, restart_after: 16352ms}
";

fn judged(scenario: &Scenario) -> (squadsim::Outcome, Liveness) {
    let run = world::run(scenario, RunOptions { record: true, ..RunOptions::default() });
    let record = run.record.expect("recorded");
    let judged = liveness::judge(&run.outcome, &record, run.quiet_since, liveness::bound(scenario));
    (run.outcome, judged)
}

/// Each session's agent, status, blocker and step.
fn sessions(outcome: &squadsim::Outcome) -> Vec<(String, String, Option<String>, String)> {
    outcome
        .sessions
        .iter()
        .map(|s| (s.agent_id.clone(), s.live_status.clone(), s.blocker_code.clone(), s.current_step.clone()))
        .collect()
}

#[test]
fn a_studio_crash_while_the_agents_work_resumes_their_attempts_and_the_run_delivers_like_its_twin() {
    delivered_like_its_twin("full-delivery.yaml", SEED_1_MIX);
}

#[test]
fn a_studio_crash_while_execution_workspaces_start_resumes_waiting_for_them() {
    // Sandboxes take 90 s to start: the Studio crashes while the harness waits for them.
    let crashed = support::with_faults("workspace-start-deadline.yaml", SEED_1_MIX);
    let twin = support::load("workspace-start-deadline.yaml");
    let (outcome, live) = judged(&crashed);
    assert!(matches!(live, Liveness::Converged { .. }), "{live:?}");
    // Like the twin, the 60 s workspace-start deadline ends each attempt and the gate blocks it.
    let (twin_outcome, _) = judged(&twin);
    let blockers = |o: &squadsim::Outcome| o.sessions.iter().map(|s| s.blocker_code.clone()).collect::<Vec<_>>();
    assert_eq!(blockers(&outcome), blockers(&twin_outcome), "{:?}", sessions(&outcome));
    assert!(outcome.sessions.iter().all(|s| s.live_status == "blocked"), "{:?}", sessions(&outcome));
}

#[test]
fn a_resumed_attempt_keeps_its_phases_durable_deadline() {
    // Sandboxes take 90 s to start; the Studio is down from 28.8 s to 45.2 s while the harness waits out the 60 s
    // workspace-start deadline. The resumed attempt stops waiting when its twin without the crash does: the
    // deadline counts from when the phase began, not from the restart or the last poll.
    let last_poll = |s: &Scenario| {
        let run = world::run(s, RunOptions { record: true, ..RunOptions::default() });
        let record = run.record.expect("recorded");
        let polls = record.calls.iter().filter(|c| c.from == "studio" && c.path == "/api/sandbox/sbx-00000001");
        polls.map(|c| c.start).max().expect("the harness polled the planner's sandbox")
    };
    let crashed = last_poll(&support::with_faults("workspace-start-deadline.yaml", SEED_1_MIX));
    let twin = last_poll(&support::load("workspace-start-deadline.yaml"));
    assert!(crashed.abs_diff(twin) <= Duration::from_secs(5), "last poll {crashed:?}, the twin's {twin:?}");
}

#[test]
fn the_swarm_seed_1_mix_lets_every_scenario_it_stalled_settle() {
    let network = Network::jittered(Duration::from_millis(500));
    for name in
        ["full-delivery.yaml", "longhorn-faulted-volumes.yaml", "skill-pull-hang.yaml", "wall-planner-cleared.yaml"]
    {
        let scenario = support::with_faults(name, SEED_1_MIX);
        let (broken, ..) = check_seed(&scenario, 1, &network);
        let live: Vec<_> = broken.iter().filter(|b| b.field == liveness::FIELD).collect();
        assert!(live.is_empty(), "{name}: {live:?}");
    }
}

/// Swarm seed 2's mix: Daytona's host crashes at 16.2 s (for 5 s) while the intake
/// agents' processes run in its sandboxes, and answers slowly after.
const SEED_2_MIX: &str = "
faults:
  - service: {host: daytona, path: /, effect: {slow: 615ms}, at: 19060ms, lasts: 9098ms}
  - crash: {host: daytona, at: 16220ms, restart_after: 5078ms}
";

#[test]
fn processes_killed_with_daytona_are_started_again_and_the_run_goes_on_like_its_twin() {
    // Before, the Harness Runtime read the dead processes' output for the whole
    // 30 min process-run deadline: the run had not settled when its watch gave up.
    let crashed = support::with_faults("network-gateway-blip.yaml", SEED_2_MIX);
    let mut twin = crashed.clone();
    twin.faults.clear();
    let (outcome, live) = judged(&crashed);
    assert!(matches!(live, Liveness::Converged { .. }), "{live:?}");
    let (twin_outcome, _) = judged(&twin);
    let statuses = |o: &squadsim::Outcome| {
        o.sessions
            .iter()
            .map(|s| (s.agent_id.clone(), s.live_status.clone(), s.blocker_code.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(statuses(&outcome), statuses(&twin_outcome));
    let (broken, ..) = check_seed(&crashed, 2, &Network::jittered(Duration::from_millis(500)));
    assert!(broken.iter().all(|b| b.field != liveness::FIELD), "{broken:?}");
}

/// Agent commands Daytona ran, as (process session, command line).
type Commands = Vec<(String, String)>;

/// Runs `crashed`: its outcome, every agent command Daytona ran, and those of the processes started again
/// after Daytona's crash killed them (process sessions `…-r<n>`), of which there must be some.
fn started_again(crashed: &Scenario) -> (squadsim::Outcome, Commands, Commands) {
    let run = world::run(crashed, RunOptions { keep_services: true, ..RunOptions::default() });
    let commands = agent_commands(run.services.expect("kept").daytona);
    let restarted: Commands = commands
        .iter()
        .filter(|(sid, _)| sid.rsplit_once("-r").is_some_and(|(_, n)| n.parse::<u32>().is_ok()))
        .cloned()
        .collect();
    assert!(!restarted.is_empty(), "Daytona's crash killed some process: {commands:?}");
    (run.outcome, commands, restarted)
}

#[test]
fn a_process_started_again_after_daytona_killed_it_resumes_its_agents_session() {
    let (_, commands, restarted) = started_again(&support::with_faults("network-gateway-blip.yaml", SEED_2_MIX));
    // The session each first process started (`--session-id <id>`), by process session.
    let started: Vec<(&str, &str)> = commands
        .iter()
        .filter_map(|(sid, command)| Some((sid.as_str(), command.split(" --session-id ").nth(1)?.split(' ').next()?)))
        .collect();
    for (sid, command) in &restarted {
        let (first, _) = sid.rsplit_once("-r").expect("a restart's session");
        let (_, id) =
            started.iter().find(|(s, _)| *s == first).unwrap_or_else(|| panic!("{first} started: {commands:?}"));
        assert!(command.contains(&format!(" --resume {id} ")), "{sid} resumes {id}: {command}");
    }
}

#[test]
fn a_codex_process_started_again_resumes_the_thread_it_named() {
    // codex-cli picks its own thread id and prints it (`thread.started`); started again after Daytona's crash
    // killed it, the process resumes that thread (`codex exec … resume <thread id>`), as the Studio read it.
    let mut crashed = support::with_faults("network-gateway-blip.yaml", SEED_2_MIX);
    for role in ["planner", "curator"] {
        crashed.world.agent_process_adapters.insert(role.into(), squadsim::scenario::AgentProcessAdapter::CodexCli);
    }
    let (outcome, _, restarted) = started_again(&crashed);
    for (sid, command) in &restarted {
        let agent = sid.trim_start_matches("agent-").split("-a").next().unwrap_or_default();
        let session = outcome.sessions.iter().find(|s| s.agent_id == agent).expect("the agent's session");
        let thread = session.claude_session_id.as_deref().expect("codex named its thread");
        assert!(
            command.starts_with("codex exec ") && command.contains(&format!(" resume {thread} ")),
            "{sid}: {command}"
        );
    }
}

#[test]
fn a_studio_crash_between_a_process_sessions_create_and_its_exec_finds_the_session_there_when_it_resumes() {
    // The Studio crashes as the planner's command reaches Daytona and is back 5 s later: the resumed attempt
    // (no process recorded) creates the attempt's process session again, which Daytona refuses with 409 as it
    // exists; that is the session the crashed Studio made, and the attempt goes on in it, like its twin.
    delivered_like_its_twin(
        "happy-intake.yaml",
        "faults:\n  - crash: {host: studio, on: {http: {to: daytona, method: POST, path: /toolbox/*/process/session/agent-planner-a1/exec}}, restart_after: 5s}\n",
    );
}

/// Corpus scenario `name` under `mix` (a Studio crash), run with its services kept: the Studio crashed, the run
/// converged and completed, and each session ended as its twin's (the scenario without the mix) did, with the same
/// tool calls counted (a resumed attempt reads its process on from the line the crashed Studio had reached: no
/// call counted twice). Returns the run.
fn delivered_like_its_twin(name: &str, mix: &str) -> Run {
    let crashed = support::with_faults(name, mix);
    let run = world::run(&crashed, RunOptions { record: true, keep_services: true, ..RunOptions::default() });
    let record = run.record.as_ref().expect("recorded");
    let live = liveness::judge(&run.outcome, record, run.quiet_since, liveness::bound(&crashed));
    assert!(matches!(live, Liveness::Converged { .. }), "{live:?}");
    let outcome = &run.outcome;
    assert!(outcome.faults.iter().any(|f| f.ends_with("crash studio")), "{:?}", outcome.faults);
    support::assert_completed(outcome);
    let twin = support::run(&support::load(name));
    assert_eq!(sessions(outcome), sessions(&twin));
    let calls =
        |o: &squadsim::Outcome| o.sessions.iter().map(|s| (s.agent_id.clone(), s.tool_call_count)).collect::<Vec<_>>();
    assert_eq!(calls(outcome), calls(&twin));
    run
}

/// Swarm seed 15's mix: the Studio's endpoints hang from 4.6 s to 33.4 s, so the
/// operator's `execute` gets no answer and the run stands ready; the scenario's
/// operator watches for its 30 min timeout, then replays, which executes it.
const SEED_15_MIX: &str = "
faults:
  - service: {host: studio, path: /, effect: hang, at: 4631ms, lasts: 28789ms}
  - loss: {between: [glitchtip, agent-server], rate: 0.3932, at: 21993ms, lasts: 27623ms}
";

#[test]
fn a_run_first_asked_to_go_after_the_faults_is_judged_from_then() {
    let scenario = support::with_faults("first-tool-replay-cleared.yaml", SEED_15_MIX);
    let run = world::run(&scenario, RunOptions { record: true, ..RunOptions::default() });
    let record = run.record.expect("recorded");
    // The execute was lost to the hang: the first run control the Studio took is the replay.
    let scheduled: Vec<_> =
        run.outcome.run_control.iter().filter(|e| e.contains("operator_control:scheduled")).collect();
    assert_eq!(scheduled.len(), 1, "{:?}", run.outcome.run_control);
    assert!(scheduled[0].contains("replay"), "{scheduled:?}");
    let bound = liveness::bound(&scenario);
    let judged = liveness::judge(&run.outcome, &record, run.quiet_since, bound);
    let Liveness::Converged { settled } = judged else { panic!("{judged:?}") };
    // It settled more than the bound after the last fault, but well within it of the replay.
    assert!(settled > run.quiet_since.unwrap() + bound, "{settled:?}");
    // A run that executed during the faults is still judged from their end.
    let executed = support::load("network-gateway-blip.yaml");
    let run = world::run(&executed, RunOptions { record: true, ..RunOptions::default() });
    let record = run.record.expect("recorded");
    let judged = liveness::judge(&run.outcome, &record, run.quiet_since, Duration::from_millis(1));
    assert!(
        matches!(&judged, Liveness::NotConverged(why) if why.contains("after the last fault ended at")),
        "{judged:?}"
    );
}

/// Every agent process command Daytona ran, read back as a client reads it
/// (`GET /toolbox/{id}/process/session`, on loopback after the run): each
/// process session's id with its commands.
fn agent_commands(daytona: std::sync::Arc<squadsim_fakes::daytona::Daytona>) -> Commands {
    use squadsim_fakes::net::{serve_loopback, HttpClient, HttpRequest, Transport};
    let sandboxes: Vec<String> = daytona.sandboxes().into_iter().map(|s| s.id).collect();
    let key = daytona.config().api_key.clone();
    let executor = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio");
    executor.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("bound"));
        tokio::spawn(serve_loopback(daytona.router(), listener));
        let http = HttpClient::new(Transport::Loopback, Duration::from_secs(10));
        let mut commands = Vec::new();
        for id in sandboxes {
            let listed = http.send(HttpRequest::get(format!("{base}/toolbox/{id}/process/session")).bearer(&key));
            let listed = listed.await.expect("Daytona answers").json();
            for session in listed.as_array().expect("a list of sessions") {
                for command in session["commands"].as_array().into_iter().flatten() {
                    let sid = session["sessionId"].as_str().unwrap_or_default();
                    commands.push((sid.to_string(), command["command"].as_str().unwrap_or_default().to_string()));
                }
            }
        }
        commands.into_iter().filter(|(sid, _)| sid.starts_with("agent-")).collect()
    })
}

#[test]
fn a_first_attempt_resumed_before_its_process_started_starts_its_session_rather_than_resuming_one() {
    // Sandboxes take 20 s to start; the Studio crashes at 8 s, while the harness waits for them, and is back at 12 s.
    let mut twin = support::load("workspace-start-deadline.yaml");
    twin.world.sandbox_start = squadsim::scenario::SimDuration::secs(20);
    let mut crashed = support::with_faults(
        "workspace-start-deadline.yaml",
        "faults:\n  - crash: {host: studio, at: 8s, restart_after: 4s}\n",
    );
    crashed.world.sandbox_start = twin.world.sandbox_start;
    let run = world::run(&crashed, RunOptions { keep_services: true, ..RunOptions::default() });
    // Like its twin without the crash, each session completes its attempt (the planner hands nothing on).
    let twin = support::run(&twin);
    assert_eq!(sessions(&run.outcome), sessions(&twin));
    assert!(run.outcome.sessions.iter().all(|s| s.live_status == "session_completed"), "{:?}", sessions(&twin));
    assert!(
        run.outcome.run_control.iter().any(|e| e.contains("operator_control:resumed")),
        "{:?}",
        run.outcome.run_control
    );
    let commands = agent_commands(run.services.expect("kept").daytona);
    // Each agent's one attempt, resumed: its process started with the session the Studio assigned, as a new
    // session (claude-cli refuses `--resume` of a session it never started: "No conversation found").
    assert_eq!(commands.len(), run.outcome.sessions.len(), "{commands:?}");
    for (sid, command) in &commands {
        assert!(sid.ends_with("-a1"), "{sid}");
        assert!(command.contains(" --session-id ") && !command.contains(" --resume "), "{sid}: {command}");
    }
}

#[test]
fn a_studio_crash_in_the_middle_of_reading_a_process_reads_it_on_from_the_line_it_had_reached() {
    // The Studio crashes as the closer's publish_lineage call reaches the gateway, after it had read the closer's
    // session start and earlier tool calls, and is back 5 s later. The resumed attempt reads the closer's output on
    // from the line the crashed Studio had reached (kept with the attempt's process), so no call is counted twice
    // and the run ends as its twin does.
    delivered_like_its_twin(
        "full-delivery.yaml",
        "faults:\n  - crash: {host: studio, on: {tool_call: {role: closer, tool: publish_lineage}}, restart_after: 5s}\n",
    );
}

#[test]
fn a_later_attempt_resumed_before_its_process_started_resumes_its_agents_session() {
    // The intake pair blocks at first tool while Daytona cannot reach the gateway; the cut heals and the operator
    // replays: each agent's second attempt. The Studio crashes as the planner's second command reaches Daytona
    // and is back 5 s later. The resumed second attempt runs its command as its twin's does, resuming the
    // session its first attempt started (`--resume`), and the run delivers like its twin.
    let mix = "faults:
  - partition: {between: [daytona, contextforge], at: 1s, until: 40s}
  - crash: {host: studio, on: {http: {to: daytona, method: POST, path: /toolbox/*/process/session/agent-planner-a2/exec}}, restart_after: 5s}
";
    let run = delivered_like_its_twin("first-tool-replay-cleared.yaml", mix);
    let commands = agent_commands(run.services.expect("kept").daytona);
    let planner: Vec<_> = commands.iter().filter(|(sid, _)| sid.starts_with("agent-planner-")).collect();
    assert_eq!(planner.len(), 2, "{commands:?}");
    let (first, second) = (&planner[0].1, &planner[1].1);
    assert!(first.contains(" --session-id ") && !first.contains(" --resume "), "{first}");
    assert!(second.contains(" --resume ") && !second.contains(" --session-id "), "{second}");
}
