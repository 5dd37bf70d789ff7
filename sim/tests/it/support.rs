//! What the test modules share: the scenario corpus, scratch directories, the
//! `squadsim` binary, and a scenario's Daytona fake served on loopback
//! (127.0.0.1, an OS-chosen port), for talking to it as a real client would.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use squadsim::engine::services::{Endpoints, Services};
use squadsim::engine::world::{self, RunOptions};
use squadsim::scenario::Scenario;
use squadsim::Outcome;
use squadsim_fakes::net::{serve_loopback, HttpClient, Transport};

/// Panics unless the run reached the end of its delivery graph: its status `completed`, at least one
/// session, every session `session_completed` with no blocker, and no diagnosis. The message names the
/// scenario, its seed and each session's standing, so a failing twin says what stopped it.
#[track_caller]
pub(crate) fn assert_completed(o: &Outcome) {
    let completed = o.run.as_ref().is_some_and(|r| r.status == "completed")
        && !o.sessions.is_empty()
        && o.sessions.iter().all(|s| s.live_status == "session_completed" && s.blocker_code.is_none())
        && o.diagnosis.is_none();
    let standings: Vec<_> = o
        .sessions
        .iter()
        .map(|s| format!("{} {} {}", s.agent_id, s.live_status, s.blocker_code.as_deref().unwrap_or("-")))
        .collect();
    assert!(
        completed,
        "{} (seed {}) did not complete: run {:?}; sessions {standings:?}; diagnosis {:?}",
        o.scenario,
        o.seed,
        o.run.as_ref().map(|r| &r.status),
        o.diagnosis.as_ref().map(|d| &d.cause)
    );
}

/// `agent`'s session `field` (`live_status`, `current_step`, ...) as each of the operator's session-state polls
/// showed it, in the order received (a run's `responses`, captured with `RunOptions::capture_responses`).
pub(crate) fn polled(responses: &[(String, serde_json::Value)], agent: &str, field: &str) -> Vec<String> {
    responses
        .iter()
        .filter(|(request, _)| request.starts_with("GET ") && request.ends_with("/session-state"))
        .filter_map(|(_, body)| body["sessions"].as_array()?.iter().find(|s| s["agent_id"] == agent))
        .map(|session| session[field].as_str().unwrap_or_default().to_string())
        .collect()
}

/// When the first line of the outcome's fault log containing `what` was applied (the log prints each action's
/// simulated time first, to 0.1 s); `None` if no line does.
pub(crate) fn fault_began(outcome: &Outcome, what: &str) -> Option<Duration> {
    let line = outcome.faults.iter().find(|f| f.contains(what))?;
    let seconds: f64 = line.split('s').next()?.parse().ok()?;
    Some(Duration::from_secs_f64(seconds))
}

/// The scenario corpus, `scenarios/`.
pub(crate) fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

/// The corpus file `scenarios/<name>`.
pub(crate) fn corpus_file(name: &str) -> PathBuf {
    corpus().join(name)
}

/// The corpus scenario `scenarios/<name>` with `mix` (a YAML `faults:` block) instead of its own faults; a
/// scenario that does not load fails the test with its error.
pub(crate) fn with_faults(name: &str, mix: &str) -> Scenario {
    let path = corpus_file(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // Its own `faults:` block (the key and its indented or listed lines) is left out.
    let mut own = false;
    let kept: Vec<&str> = text
        .lines()
        .filter(|line| {
            if !line.starts_with([' ', '-', '#']) {
                own = line.starts_with("faults:");
            }
            !own
        })
        .collect();
    Scenario::parse(&path, &format!("{}\n{mix}", kept.join("\n"))).unwrap_or_else(|e| panic!("{e}"))
}

/// The corpus scenario `scenarios/<name>`; a scenario that does not load fails the test with its error.
pub(crate) fn load(name: &str) -> Scenario {
    Scenario::load(&corpus_file(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// The outcome of `scenario` on the snapshot network ([`RunOptions::default`]).
pub(crate) fn run(scenario: &Scenario) -> Outcome {
    world::run(scenario, RunOptions::default()).outcome
}

/// A new empty scenario directory (with an empty `snapshots/`) under the
/// system's temporary directory, named after `name` and never shared by two
/// calls (every test of this binary runs in one process).
pub(crate) fn scratch(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("squadsim-test-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("snapshots")).unwrap();
    dir
}

/// A copy of the corpus scenario `name` in `dir`, as `as_file` (without its snapshot): its path.
pub(crate) fn corpus_copy(name: &str, dir: &Path, as_file: &str) -> PathBuf {
    let file = dir.join(as_file);
    std::fs::copy(corpus_file(name), &file).unwrap_or_else(|e| panic!("{name} -> {}: {e}", file.display()));
    file
}

/// The `<testcase>` element named `name` in `junit` (from its opening tag to its close).
pub(crate) fn testcase<'a>(junit: &'a str, name: &str) -> &'a str {
    let start = junit.find(&format!("<testcase name=\"{name}\"")).unwrap_or_else(|| panic!("no {name}: {junit}"));
    let len = junit[start..].find("</testcase>").map_or(junit.len() - start, |end| end + "</testcase>".len());
    &junit[start..start + len]
}

/// Runs the `squadsim` binary: its exit code (-1 when a signal ended it), stdout and stderr.
pub(crate) fn squadsim(args: &[&str]) -> (i32, String, String) {
    squadsim_with_env(args, &[])
}

/// [`squadsim`] with these environment variables set.
pub(crate) fn squadsim_with_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_squadsim"));
    command.args(args).envs(env.iter().copied());
    output(&mut command)
}

/// [`squadsim`] as on a developer's machine: `CI` unset, whether or not the tests run in CI.
pub(crate) fn squadsim_outside_ci(args: &[&str]) -> (i32, String, String) {
    output(Command::new(env!("CARGO_BIN_EXE_squadsim")).args(args).env_remove("CI"))
}

fn output(command: &mut Command) -> (i32, String, String) {
    let out = command.output().expect("squadsim runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The scenario's services, its Daytona fake listening at `base`.
pub(crate) struct LoopbackDaytona {
    pub base: String,
    /// Daytona's API key.
    pub key: String,
    /// A client bounded by a 10 s timeout.
    pub http: HttpClient,
    pub services: Services,
}

/// Builds the scenario's services and serves its Daytona fake on loopback.
pub(crate) async fn loopback_daytona(scenario: &Scenario) -> LoopbackDaytona {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let endpoints = Endpoints { daytona: base.clone(), ..Endpoints::simulated() };
    let services = Services::build(scenario, &endpoints, Transport::Loopback).unwrap();
    let key = services.daytona.config().api_key.clone();
    tokio::spawn(serve_loopback(services.daytona.router(), listener));
    LoopbackDaytona { base, key, http: HttpClient::new(Transport::Loopback, Duration::from_secs(10)), services }
}

/// Serves the Studio of a finished run on loopback and reads the run's
/// session-state as an operator does (the runbook's "Session state (observe)":
/// the claim headers, `?tenant_id=default`); the answer's JSON.
pub(crate) fn session_state_over_http(
    studio: std::sync::Arc<squadsim::platform::studio::Studio>,
    run_id: &str,
) -> serde_json::Value {
    let executor = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio");
    executor.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("bound"));
        tokio::spawn(serve_loopback(squadsim::platform::studio::api::router(studio), listener));
        let client = HttpClient::new(Transport::Loopback, Duration::from_secs(5));
        let path = format!("{base}/v1/admin/studio/runs/{run_id}/session-state?tenant_id=default");
        let request = squadsim_fakes::net::HttpRequest::get(path)
            .header("x-pomerium-claim-email", "oncall@yamon.io")
            .header("x-pomerium-claim-groups", "/org/platform/roles/super_admin");
        let answer = client.send(request).await.expect("the Studio answers");
        assert_eq!(answer.status.as_u16(), 200, "{}", answer.text());
        answer.json()
    })
}
