//! `squadsim conform` against stand-ins for a live Studio API (wiremock): one
//! that keeps every rule of the runbook, and one per rule broken, each caught by
//! exactly the check for that rule; then against `squadsim serve` itself.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use squadsim::tools::cli::{Cli, Command};
use squadsim::tools::conform::{self, CheckId, CheckVerdict, ConformArgs, ConformReport};
use squadsim::tools::serve::ServeProcess;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SUPER_ADMIN: &str = "/org/platform/roles/super_admin";
const RUN: &str = "/v1/admin/studio/runs/run-1";

fn args(extra: &[&str]) -> ConformArgs {
    let mut argv = vec!["squadsim", "conform"];
    argv.extend_from_slice(extra);
    match clap::Parser::try_parse_from(argv) {
        Ok(Cli { command: Command::Conform(a) }) => a,
        other => panic!("{extra:?} did not parse as conform: {other:?}"),
    }
}

/// One rule of the contract, broken by the stand-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Break {
    Nothing,
    HealthBody,
    OpenapiMissesHandoffTrail,
    LegacyPrefixAnswers,
    TemplateMissing,
    NoRefusalWithoutClaims,
    NoRefusalWithoutSuperAdmin,
    LaunchNotReady,
    LaunchRosterEmpty,
    GetRunOtherId,
    GetRunRosterLacksLease,
    ExecuteNotScheduled,
    ExecuteSlow,
    NeverSettles,
    SessionLacksClaudeSessionId,
    ReportsNotAList,
    HandoffTrailNoList,
    CleanupFails,
    WireScopeMismatch,
    /// Not a break: a session reports a blocker code neither the seeds nor the model
    /// name; the blocker set is open, so it warns and fails nothing.
    UnknownBlockerCode,
}

/// Each broken rule, the one check that catches it, and what its failure says (the body of an answer with the
/// wrong status shortened to its first 200 characters).
const CAUGHT_BY: &[(Break, &str, &[&str])] = &[
    (Break::HealthBody, "health", &[r#"GET /healthz answered {"status":"healthy"} instead of {"status":"ok"}"#]),
    (
        Break::OpenapiMissesHandoffTrail,
        "openapi",
        &["openapi.json does not list: GET /v1/admin/studio/runs/{run_id}/handoff-trail"],
    ),
    (Break::LegacyPrefixAnswers, "legacy-prefix-404", &["GET /v1/studio/templates answered 200 (expected 404): []"]),
    (
        Break::TemplateMissing,
        "templates",
        &["templates lack research-team (listed: ouroboros, pm-ouroboros, agentsquad)"],
    ),
    (
        Break::NoRefusalWithoutClaims,
        "refuse-without-claims",
        &[r#"GET templates without claim headers answered 200 (expected 401): [{"template_id":"ouroboros","#],
    ),
    (
        Break::NoRefusalWithoutSuperAdmin,
        "refuse-without-super-admin",
        &["GET templates without the super_admin group answered 200 (expected 403): [{"],
    ),
    (Break::LaunchNotReady, "launch", &[r#"launched run-1 with status "provisioning" (expected "ready")"#]),
    (Break::LaunchRosterEmpty, "launch", &["agent_roster is empty"]),
    (Break::GetRunOtherId, "get-run", &[r#"GET run answered run_id Some("run-2") for run-1"#]),
    (Break::GetRunRosterLacksLease, "get-run", &["agent_roster[1] lacks secret_lease_ref"]),
    (Break::ExecuteNotScheduled, "execute", &[r#"execute answered status Some("running") (expected "scheduled")"#]),
    (Break::ExecuteSlow, "execute", &["execute took 5.", "s (the tick runs async: it should answer within 5s)"]),
    (
        Break::NeverSettles,
        "watch",
        // Two polls: --timeout 2 runs from the first poll, and a poll whose next would start past it is the last.
        &["not settled within 2s (2 polls; last: working, working); raise --timeout if the deployment is slow"],
    ),
    (Break::SessionLacksClaudeSessionId, "session-state", &["sessions[0] lacks claude_session_id"]),
    (Break::ReportsNotAList, "reports", &[r#"reports is an object, not a list: {"reports":[]}"#]),
    (Break::HandoffTrailNoList, "handoff-trail", &["handoff-trail has no list of handoffs (it is an object)"]),
    (Break::CleanupFails, "cleanup", &[r#"POST cleanup answered 500 (expected 200): {"detail":"boom"}"#]),
    (
        Break::WireScopeMismatch,
        "wire-aliases",
        &[r#"GET /v1/admin/studio/runs/run-1 /runtime_kind: runtime_kind holds "claude-cli", but in its scope"#],
    ),
];

fn json_ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn has_claims(r: &Request) -> bool {
    r.headers.contains_key("x-pomerium-claim-email")
}

fn is_super_admin(r: &Request) -> bool {
    r.headers
        .get("x-pomerium-claim-groups")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|g| g.split(',').any(|g| g.trim() == SUPER_ADMIN))
}

fn roster() -> Value {
    json!([
        {"agent_id": "planner", "role_id": "planner", "agent_nickname": "dangerous-vector",
         "user_principal_name": "planner@yamon.io", "subject_key": "planner@yamon.io",
         "identity_binding_mode": "named_agent_microsoft", "secret_lease_ref": "named-agent/planner",
         "skill_ids": [], "mcp_server_ids": []},
        {"agent_id": "curator", "role_id": "curator", "agent_nickname": "quiet-harbor",
         "user_principal_name": "curator@yamon.io", "subject_key": "curator@yamon.io",
         "identity_binding_mode": "named_agent_microsoft", "secret_lease_ref": "named-agent/curator",
         "skill_ids": [], "mcp_server_ids": []}
    ])
}

fn run_view(run_id: &str, status: &str, kind: &str) -> Value {
    json!({"run_id": run_id, "tenant_id": "default", "template_id": "agentsquad",
           "project_slug": "sanmopia-modernization", "runtime_kind": kind, "status": status,
           "agent_roster": roster(), "pendingRunControl": null})
}

fn openapi(broken: bool) -> Value {
    let mut paths = serde_json::Map::new();
    for (m, p) in conform::DOCUMENTED_ENDPOINTS {
        if broken && p.ends_with("/handoff-trail") {
            continue;
        }
        // A live server may name its path parameters differently.
        let p = p.replace("{run_id}", "{id}");
        let entry = paths.entry(p).or_insert_with(|| json!({}));
        entry[*m] = json!({"summary": "x"});
    }
    json!({"openapi": "3.1.0", "paths": paths})
}

fn session(agent: &str, status: &str, with_claude_session: bool) -> Value {
    let mut s = json!({"agent_id": agent, "role_id": agent, "live_status": status, "current_step": "done",
                       "blocker_code": null, "session_id": format!("sess-{agent}"), "tool_call_count": 2});
    if with_claude_session {
        s["claude_session_id"] = json!(format!("claude-{agent}"));
    }
    s
}

/// A Studio API stand-in that keeps every rule but `broken`.
async fn stand_in(broken: Break) -> MockServer {
    let server = MockServer::start().await;
    let b = |x: Break| broken == x;

    let health = if b(Break::HealthBody) { json!({"status": "healthy"}) } else { json!({"status": "ok"}) };
    Mock::given(method("GET")).and(path("/healthz")).respond_with(json_ok(health)).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/openapi.json"))
        .respond_with(json_ok(openapi(b(Break::OpenapiMissesHandoffTrail))))
        .mount(&server)
        .await;
    let legacy = if b(Break::LegacyPrefixAnswers) {
        json_ok(json!([]))
    } else {
        ResponseTemplate::new(404).set_body_json(json!({"detail": "Not Found"}))
    };
    Mock::given(path_regex("^/v1/studio/")).respond_with(legacy).mount(&server).await;

    // Pomerium claim auth on the admin prefix, unless broken.
    if !b(Break::NoRefusalWithoutClaims) {
        Mock::given(path_regex("^/v1/admin/studio/"))
            .and(|r: &Request| !has_claims(r))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({"detail": "Not authenticated"})))
            .with_priority(1)
            .mount(&server)
            .await;
    }
    if !b(Break::NoRefusalWithoutSuperAdmin) {
        Mock::given(path_regex("^/v1/admin/studio/"))
            .and(|r: &Request| has_claims(r) && !is_super_admin(r))
            .respond_with(ResponseTemplate::new(403).set_body_json(json!({"detail": "Forbidden"})))
            .with_priority(1)
            .mount(&server)
            .await;
    }

    let mut templates = vec!["ouroboros", "pm-ouroboros", "agentsquad", "research-team"];
    if b(Break::TemplateMissing) {
        templates.pop();
    }
    let templates: Vec<Value> = templates
        .iter()
        .map(|t| json!({"template_id": t, "description": "d", "runtime_kind": "project_delivery", "intake_roles": []}))
        .collect();
    Mock::given(method("GET"))
        .and(path("/v1/admin/studio/templates"))
        .respond_with(json_ok(Value::Array(templates)))
        .mount(&server)
        .await;

    let launch_status = if b(Break::LaunchNotReady) { "provisioning" } else { "ready" };
    let mut launched = run_view("run-1", launch_status, "project_delivery");
    if b(Break::LaunchRosterEmpty) {
        launched["agent_roster"] = json!([]);
    }
    Mock::given(method("POST")).and(path("/v1/admin/studio/runs")).respond_with(json_ok(launched)).mount(&server).await;
    let (get_id, kind) = match broken {
        Break::GetRunOtherId => ("run-2", "project_delivery"),
        Break::WireScopeMismatch => ("run-1", "claude-cli"),
        _ => ("run-1", "project_delivery"),
    };
    let mut run = run_view(get_id, "ready", kind);
    if b(Break::GetRunRosterLacksLease) {
        run["agent_roster"][1].as_object_mut().unwrap().remove("secret_lease_ref");
    }
    Mock::given(method("GET")).and(path(RUN)).respond_with(json_ok(run)).mount(&server).await;
    let scheduled = if b(Break::ExecuteNotScheduled) { "running" } else { "scheduled" };
    // The runbook: execute answers at once, the tick runs asynchronously; a slow one takes longer than conform allows.
    let delay =
        if b(Break::ExecuteSlow) { conform::EXECUTE_WITHIN + Duration::from_millis(300) } else { Duration::ZERO };
    Mock::given(method("POST"))
        .and(path(format!("{RUN}/execute")))
        .respond_with(
            json_ok(json!({"run_id": "run-1", "status": scheduled,
            "pendingRunControl": {"command": "execute", "scheduled_at": "2026-06-09T00:00:07Z"}}))
            .set_delay(delay),
        )
        .mount(&server)
        .await;
    let live = if b(Break::NeverSettles) { "working" } else { "session_completed" };
    let with_claude = !b(Break::SessionLacksClaudeSessionId);
    let mut sessions = vec![session("planner", live, with_claude), session("curator", live, with_claude)];
    if b(Break::UnknownBlockerCode) {
        sessions[1]["live_status"] = json!("blocked");
        sessions[1]["blocker_code"] = json!("sandbox_quota_exceeded");
    }
    Mock::given(method("GET"))
        .and(path(format!("{RUN}/session-state")))
        .respond_with(json_ok(json!({"run_id": "run-1", "status": "completed",
            "sessions": sessions})))
        .mount(&server)
        .await;
    let reports = if b(Break::ReportsNotAList) {
        json!({"reports": []})
    } else {
        json!([{"tick": 1, "status": "completed", "generated_at": "2026-06-09T00:00:20Z", "blockers": []}])
    };
    Mock::given(method("GET")).and(path(format!("{RUN}/reports"))).respond_with(json_ok(reports)).mount(&server).await;
    let trail = if b(Break::HandoffTrailNoList) {
        json!({"run_id": "run-1"})
    } else {
        json!({"run_id": "run-1", "handoffs": [{"sender_agent_id": "planner", "recipient_agent_id": "curator",
            "handoff_intent": "curate the inventory", "required_result": "a curated module list",
            "delivery_reference": "https://github.com/yamonco/sanmopia-modernization/issues/1",
            "fallback_wall": "planner_wall"}]})
    };
    Mock::given(method("GET"))
        .and(path(format!("{RUN}/handoff-trail")))
        .respond_with(json_ok(trail))
        .mount(&server)
        .await;
    let cleanup = if b(Break::CleanupFails) {
        ResponseTemplate::new(500).set_body_json(json!({"detail": "boom"}))
    } else {
        json_ok(json!({"run_id": "run-1", "status": "cleaned_up"}))
    };
    Mock::given(method("POST")).and(path(format!("{RUN}/cleanup"))).respond_with(cleanup).mount(&server).await;
    server
}

fn failed(report: &ConformReport) -> Vec<&'static str> {
    report.checks.iter().filter(|c| c.verdict == CheckVerdict::Fail).map(|c| c.id.as_str()).collect()
}

async fn launch_against(server: &MockServer) -> ConformReport {
    let a = args(&["--base-url", &server.uri(), "--email", "oncall@yamon.io", "--launch", "--timeout", "2"]);
    conform::check(&a).await.unwrap()
}

#[tokio::test]
async fn a_conforming_stand_in_passes_every_check() {
    let server = stand_in(Break::Nothing).await;
    let report = launch_against(&server).await;
    assert_eq!(failed(&report), Vec::<&str>::new(), "{}", conform::human(&report));
    assert_eq!(report.count(CheckVerdict::Pass), CheckId::ALL.len());
    let ids: Vec<&str> = report.checks.iter().map(|c| c.id.as_str()).collect();
    let documented: Vec<&str> = CheckId::ALL.iter().map(|id| id.as_str()).collect();
    assert_eq!(ids, documented, "every check runs once, in the documented order");
    // Each pass says what it found (the launch's and execute's timings vary; every session has ended at the first poll).
    let says: Vec<&str> = report.checks.iter().map(|c| c.message.as_str()).collect();
    let found = [
        r#"{"status":"ok"}"#,
        "all 11 documented endpoints listed",
        "404, as the runbook says",
        "4 templates, the documented four among them",
        "401",
        "403",
        "run-1 ready with 2 agents in ",
        "status ready, 2 agents",
        "scheduled in ",
        "settled after 1 polls: session_completed, session_completed",
        "2 sessions: session_completed, session_completed",
        "a list of 1",
        "1 handoffs",
        "run-1 cleaned up",
        "14 responses, no errors, 6 legacy aliases and model-defined codes read",
    ];
    assert!(says.iter().zip(found).all(|(said, f)| said.starts_with(f)), "{says:#?}");
    // The human report lines its messages up in one column after the longest id.
    let human = conform::human(&report);
    assert!(human.contains("\nok   health                      {\"status\":\"ok\"}\n"), "{human}");
    assert!(human.contains("\nok   refuse-without-super-admin  403\n"), "{human}");
}

#[tokio::test]
async fn each_broken_rule_is_caught_by_exactly_its_check() {
    // The table covers every check.
    for id in CheckId::ALL {
        assert!(CAUGHT_BY.iter().any(|(_, c, _)| *c == id.as_str()), "no broken stand-in for check {id}");
    }
    for (broken, check, says) in CAUGHT_BY {
        let server = stand_in(*broken).await;
        let report = launch_against(&server).await;
        assert_eq!(failed(&report), vec![*check], "{broken:?}:\n{}", conform::human(&report));
        let message = &report.check(check).unwrap().message;
        assert!(says.iter().all(|part| message.contains(part)), "{broken:?}: {message}");
        if let Some((_, body)) = message.split_once("(expected 401): ") {
            // The template list is longer than an excerpt: its first 200 characters, then an ellipsis.
            assert_eq!((body.chars().count(), body.ends_with('…')), (201, true), "{body}");
        }
    }
}

#[tokio::test]
async fn an_unknown_blocker_code_warns_and_fails_no_check() {
    // runbook: "the full blocker set in GET get_hud_snapshot -> execution_report_contract.BLOCKERS"
    let server = stand_in(Break::UnknownBlockerCode).await;
    let report = launch_against(&server).await;
    assert_eq!(failed(&report), Vec::<&str>::new(), "{}", conform::human(&report));
    let wire = report.check("wire-aliases").unwrap();
    assert_eq!(wire.verdict, CheckVerdict::Warn);
    assert!(
        wire.message.contains("/sessions/1/blocker_code: blocker code \"sandbox_quota_exceeded\" is unknown"),
        "{}",
        wire.message
    );
    assert_eq!(report.check("session-state").unwrap().verdict, CheckVerdict::Pass);
    let human = conform::human(&report);
    assert!(human.contains("warn wire-aliases") && human.contains("1 warned, 0 failed"), "{human}");
    // JUnit has no warning: the warned check passes, its warning in its output, and no other check has any.
    let junit = conform::junit(&report);
    assert_eq!(junit.matches("<system-out>").count(), 1, "{junit}");
    assert!(junit.contains("<system-out>warning: 14 responses, no errors, 6 legacy aliases"), "{junit}");
    // session-state was read by the watch and by its own check: its warning is said once.
    assert_eq!(junit.matches("is unknown").count(), 1, "{junit}");
}

#[tokio::test]
async fn read_only_sends_no_writes_and_skips_what_needs_a_run() {
    let server = stand_in(Break::Nothing).await;
    // Writes are refused by expectation: MockServer verifies `expect(0)` on drop.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .with_priority(1)
        .expect(0)
        .mount(&server)
        .await;

    let without_run =
        conform::check(&args(&["--base-url", &server.uri(), "--email", "oncall@yamon.io"])).await.unwrap();
    assert_eq!(failed(&without_run), Vec::<&str>::new());
    let skipped: Vec<&str> =
        without_run.checks.iter().filter(|c| c.verdict == CheckVerdict::Skip).map(|c| c.id.as_str()).collect();
    assert_eq!(
        skipped,
        ["launch", "get-run", "execute", "watch", "session-state", "reports", "handoff-trail", "cleanup"]
    );
    assert!(without_run.check("get-run").unwrap().message.contains("--run-id"));

    let with_run =
        conform::check(&args(&["--base-url", &server.uri(), "--email", "oncall@yamon.io", "--run-id", "run-1"]))
            .await
            .unwrap();
    assert_eq!(failed(&with_run), Vec::<&str>::new(), "{}", conform::human(&with_run));
    let skipped: Vec<&str> =
        with_run.checks.iter().filter(|c| c.verdict == CheckVerdict::Skip).map(|c| c.id.as_str()).collect();
    assert_eq!(skipped, ["launch", "execute", "watch", "cleanup"]);
    for id in ["get-run", "session-state", "reports", "handoff-trail"] {
        assert_eq!(with_run.check(id).unwrap().verdict, CheckVerdict::Pass, "{id}");
    }
}

/// Runs the binary's `conform` with `extra` arguments; (exit code, stdout, stderr).
async fn conform_binary(extra: Vec<String>) -> (Option<i32>, String, String) {
    tokio::task::spawn_blocking(move || {
        let out =
            std::process::Command::new(env!("CARGO_BIN_EXE_squadsim")).arg("conform").args(&extra).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn exit_codes_and_output_formats() {
    let good = stand_in(Break::Nothing).await;
    let bad = stand_in(Break::ReportsNotAList).await;
    let base = |s: &MockServer| vec!["--base-url".to_string(), s.uri(), "--email".into(), "oncall@yamon.io".into()];
    let with = |mut v: Vec<String>, more: &[&str]| {
        v.extend(more.iter().map(|s| s.to_string()));
        v
    };

    let (code, out, _) = conform_binary(with(base(&good), &["--run-id", "run-1"])).await;
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("ok   health") && out.contains("skip launch") && out.ends_with("0 failed, 4 skipped\n"),
        "{out}"
    );

    let (code, out, _) = conform_binary(with(base(&bad), &["--run-id", "run-1", "--format", "json"])).await;
    assert_eq!(code, Some(1));
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["summary"]["failed"], 1);
    let reports = doc["checks"].as_array().unwrap().iter().find(|c| c["id"] == "reports").unwrap();
    assert_eq!(reports["verdict"], "fail");
    assert_eq!(reports["title"], "GET reports answers a list", "each check says what it checks");

    let (code, out, _) = conform_binary(with(base(&bad), &["--run-id", "run-1", "--format", "junit"])).await;
    assert_eq!(code, Some(1));
    assert!(
        out.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"squadsim conform\" tests=\"15\" failures=\"1\""
        ),
        "{out}"
    );
    assert_eq!(out.matches("<testcase ").count(), CheckId::ALL.len());
    assert_eq!(out.matches("<failure ").count(), 1);
    assert_eq!(out.matches("<skipped ").count(), 4);
    assert!(
        out.contains("name=\"reports\" classname=\"squadsim.conform\" time=") && out.contains("not a list"),
        "{out}"
    );

    // Nothing listening: a connection error, not a failed check.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (code, out, err) = conform_binary(vec![
        "--base-url".into(),
        format!("http://127.0.0.1:{closed}"),
        "--email".into(),
        "a@yamon.io".into(),
    ])
    .await;
    assert_eq!(code, Some(2));
    assert!(out.is_empty() && err.contains("did not answer"), "{err}");

    // Usage errors, refused before any request (against a Studio that would answer), each saying which argument.
    let (http, https) = (good.uri(), good.uri().replacen("http://", "https://", 1));
    let usage: [(&str, &[&str], &str); 5] = [
        (&https, &["--email", "a@yamon.io"], "is not an http://host[:port] URL"),
        (&http, &["--email", "nobody"], "--email \"nobody\" is not an email address"),
        (&http, &["--email", "a@yamon.io", "--timeout", "0"], "--timeout and --request-timeout must be at least"),
        (&http, &["--email", "a@yamon.io", "--request-timeout", "0"], "--timeout and --request-timeout must be"),
        (
            &http,
            &["--email", "a@yamon.io", "--launch", "--run-id", "run-1"],
            "--launch and --run-id exclude each other",
        ),
    ];
    for (base_url, bad_args, says) in usage {
        let mut argv = vec!["--base-url".to_string(), base_url.to_string()];
        argv.extend(bad_args.iter().map(|s| s.to_string()));
        let (code, out, err) = conform_binary(argv).await;
        assert_eq!(code, Some(2), "{bad_args:?}: {err}");
        assert!(out.is_empty() && err.starts_with("error: ") && err.contains(says), "{bad_args:?}: {err}");
    }
}

#[test]
fn junit_escapes_markup_in_messages() {
    let report = ConformReport {
        base_url: "http://h".into(),
        checks: vec![conform::CheckResult {
            id: CheckId::Health,
            title: "t",
            verdict: CheckVerdict::Fail,
            message: "<b> & \"q\" \u{1}".into(),
            millis: 1,
        }],
    };
    let xml = conform::junit(&report);
    assert!(xml.contains("message=\"&lt;b&gt; &amp; &quot;q&quot; \u{fffd}\""), "{xml}");
}

#[test]
fn squadsim_serve_conforms_fully_including_a_launch() {
    let served = ServeProcess::spawn(Path::new(env!("CARGO_BIN_EXE_squadsim")), &[], Duration::from_secs(60)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_squadsim"))
        .args(["conform", "--base-url", &served.url("studio"), "--email", "oncall@yamon.io", "--launch"])
        .args(["--timeout", "90", "--format", "json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["summary"], json!({"passed": CheckId::ALL.len(), "warned": 0, "failed": 0, "skipped": 0}));
}
