//! `squadsim conform --base-url URL --email EMAIL`: checks a running Studio API
//! (the live deployment of the runbook, or `squadsim serve`) against the
//! runbook's contract (`docs/seeds.md`, runbook, "AgentSquad Runtime Operations").
//!
//! Guarantees:
//! - read-only unless `--launch`: without it only GET requests are sent; with it
//!   one run is launched, executed, polled (bounded by `--timeout`) and cleaned up;
//! - every check has a fixed id and ends as pass, fail or skip; run-scoped
//!   checks without `--run-id` or `--launch` are skipped, saying why;
//! - every JSON response goes through the wire-alias check
//!   ([`squadsim_conformance::wire`]);
//! - exit status: 0 every check passed (or was skipped), 1 a check failed,
//!   2 bad arguments or the Studio API could not be reached at all.

use squadsim_conformance::exit::ExitStatus;
use std::io::Write;
use std::time::{Duration, Instant};

use hyper::Method;
use serde::Serialize;
use serde_json::{json, Value};
use squadsim_conformance::vocabulary::BlockerCode;
use squadsim_conformance::wire;
use squadsim_fakes::net::{parse_url, HttpClient, HttpRequest, HttpResponse, Transport};

use crate::platform::studio::api::{ADMIN_PREFIX, SUPER_ADMIN_GROUP};
use crate::platform::studio::wire::LaunchRequest;

const CONFORM_HELP: &str = "\
Checks a running Studio API against the runbook's contract: health, the
endpoints openapi.json lists, the /v1/studio prefix answering 404, the
templates, refusal without the Pomerium claim headers (401) and without the
super_admin group (403), the session-state fields, reports being a list,
execute answering `scheduled` quickly, the handoff-trail shape, and the wire
aliases of every JSON response.

Read-only by default (GET requests only); the run-scoped checks need
--run-id RUN, or are skipped. --launch launches one run, executes it, polls
session-state until every session is session_completed or blocked (or
--timeout passes) and cleans it up.

    squadsim conform --base-url http://127.0.0.1:18088 --email oncall@yamon.io --launch
    squadsim conform --base-url http://10.10.10.47:18088 --email you@yamon.io \\
        --run-id run-0001 --format junit > conform.xml";

/// Output formats of `squadsim conform`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ConformFormat {
    #[default]
    Human,
    Json,
    /// JUnit XML: one testcase per check.
    Junit,
}

/// `squadsim conform`.
#[derive(clap::Args, Debug, Clone)]
#[command(long_about = CONFORM_HELP)]
pub struct ConformArgs {
    /// Base URL of the Studio API (the edge), e.g. http://127.0.0.1:18088.
    #[arg(long, value_name = "URL")]
    pub base_url: String,
    /// Sent as x-pomerium-claim-email.
    #[arg(long)]
    pub email: String,
    /// Sent as x-pomerium-claim-groups (comma-separated).
    #[arg(long, default_value = SUPER_ADMIN_GROUP)]
    pub groups: String,
    #[arg(long, default_value = "default")]
    pub tenant_id: String,
    /// An existing run for the read-only run-scoped checks.
    #[arg(long, value_name = "RUN")]
    pub run_id: Option<String>,
    /// Launch, execute, poll and clean up one run (writes to the Studio API).
    #[arg(long)]
    pub launch: bool,
    /// Template of the launched run.
    #[arg(long, default_value = "agentsquad")]
    pub template_id: String,
    /// Exact project slug of the launched run (`docs/seeds.md`, runbook: a wrong slug hangs the launch).
    #[arg(long, default_value = "sanmopia-modernization")]
    pub project_slug: String,
    /// Delivery graph kind of the launched run (sent as the legacy wire field).
    #[arg(long, default_value = "project_delivery")]
    pub delivery_graph_kind: String,
    /// Bound on the launch and on polling session-state, in seconds.
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    pub timeout: u64,
    /// Bound on every other request, in seconds.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub request_timeout: u64,
    #[arg(long, value_enum, default_value_t = ConformFormat::Human)]
    pub format: ConformFormat,
}

/// How long `execute` may take to answer: the runbook says it returns fast
/// (the tick runs asynchronously).
pub const EXECUTE_WITHIN: Duration = Duration::from_secs(5);
/// Poll interval of session-state with `--launch`.
pub const POLL_EVERY: Duration = Duration::from_secs(1);

/// The runbook's endpoint table (method, path), the health check and the spec.
pub const DOCUMENTED_ENDPOINTS: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("post", "/v1/admin/studio/runs"),
    ("get", "/v1/admin/studio/runs/{run_id}"),
    ("post", "/v1/admin/studio/runs/{run_id}/execute"),
    ("get", "/v1/admin/studio/runs/{run_id}/session-state"),
    ("get", "/v1/admin/studio/runs/{run_id}/reports"),
    ("get", "/v1/admin/studio/runs/{run_id}/handoff-trail"),
    ("post", "/v1/admin/studio/runs/{run_id}/cleanup"),
    ("post", "/v1/admin/studio/runs/{run_id}/control"),
    ("post", "/v1/admin/studio/runs/{run_id}/replay"),
    ("get", "/v1/admin/studio/templates"),
];

/// The templates the runbook names.
pub const DOCUMENTED_TEMPLATES: &[&str] = &["ouroboros", "pm-ouroboros", "agentsquad", "research-team"];

/// The fields every session in session-state reports.
pub const SESSION_FIELDS: &[&str] =
    &["live_status", "current_step", "blocker_code", "session_id", "claude_session_id", "tool_call_count"];

/// The lifecycle statuses of a session (`docs/seeds.md`, runbook, "Lifecycle").
pub const LIVE_STATUSES: &[&str] = &["ready", "waiting_first_tool", "working", "session_completed", "blocked"];

/// The fields of each roster agent (`docs/seeds.md`, runbook, "Agent identity model").
pub const ROSTER_FIELDS: &[&str] = &[
    "user_principal_name",
    "subject_key",
    "identity_binding_mode",
    "secret_lease_ref",
    "agent_nickname",
    "skill_ids",
    "mcp_server_ids",
];

/// Every check, in the order it runs: (id, what it checks).
pub const CHECKS: &[(&str, &str)] = &[
    ("health", "GET /healthz answers 200 {\"status\":\"ok\"}"),
    ("openapi", "GET /openapi.json lists every endpoint of the runbook's table"),
    ("legacy-prefix-404", "the /v1/studio prefix (not /v1/admin/studio) answers 404"),
    ("templates", "GET templates lists ouroboros, pm-ouroboros, agentsquad, research-team"),
    ("refuse-without-claims", "an admin endpoint answers 401 without the Pomerium claim headers"),
    ("refuse-without-super-admin", "an admin endpoint answers 403 without the super_admin group"),
    ("launch", "POST runs answers {run_id, status: ready, agent_roster} with the intake pair"),
    ("get-run", "GET run answers the run with its roster in the runbook's identity shape"),
    ("execute", "POST execute answers status \"scheduled\" quickly"),
    ("watch", "polled session-state settles (every session session_completed or blocked)"),
    ("session-state", "every session reports the six documented fields"),
    ("reports", "GET reports answers a list"),
    ("handoff-trail", "GET handoff-trail answers handoffs carrying the six handoff fields"),
    ("cleanup", "POST cleanup answers 200"),
    ("wire-aliases", "every JSON response passes the wire-alias check"),
];

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    Skip,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    pub id: &'static str,
    pub title: &'static str,
    pub verdict: Verdict,
    pub message: String,
    /// Wall time spent on the check's requests.
    pub millis: u64,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConformReport {
    pub base_url: String,
    pub checks: Vec<CheckResult>,
}

impl ConformReport {
    pub fn count(&self, verdict: Verdict) -> usize {
        self.checks.iter().filter(|c| c.verdict == verdict).count()
    }

    pub fn check(&self, id: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id == id)
    }
}

/// Runs `squadsim conform`.
pub fn run(args: &ConformArgs, out: &mut dyn Write, err: &mut dyn Write) -> ExitStatus {
    if let Err(e) = validate(args) {
        let _ = writeln!(err, "error: {e}");
        return ExitStatus::Unusable;
    }
    let executor = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(err, "error: cannot start the async executor: {e}");
            return ExitStatus::Unusable;
        }
    };
    let report = match executor.block_on(check(args)) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return ExitStatus::Unusable;
        }
    };
    let text = match args.format {
        ConformFormat::Human => human(&report),
        ConformFormat::Json => {
            let doc = json!({
                "version": 1,
                "base_url": report.base_url,
                "checks": report.checks,
                "summary": {
                    "passed": report.count(Verdict::Pass),
                    "failed": report.count(Verdict::Fail),
                    "skipped": report.count(Verdict::Skip),
                },
            });
            serde_json::to_string_pretty(&doc)
                .expect("a conformance report is plain data with string keys: it always serializes")
                + "\n"
        }
        ConformFormat::Junit => junit(&report),
    };
    if out.write_all(text.as_bytes()).and_then(|()| out.flush()).is_err() {
        let _ = writeln!(err, "error: cannot write to stdout");
        return ExitStatus::Unusable;
    }
    ExitStatus::of_failures(report.count(Verdict::Fail))
}

fn validate(args: &ConformArgs) -> Result<(), String> {
    parse_url(&args.base_url).map_err(|_| {
        format!("--base-url {:?} is not an http://host[:port] URL (https is not supported)", args.base_url)
    })?;
    if !args.email.contains('@') {
        return Err(format!("--email {:?} is not an email address (the x-pomerium-claim-email claim)", args.email));
    }
    if args.timeout == 0 || args.request_timeout == 0 {
        return Err("--timeout and --request-timeout must be at least 1 second".to_string());
    }
    if args.launch && args.run_id.is_some() {
        return Err("--launch and --run-id exclude each other: --launch checks the run it launches".to_string());
    }
    Ok(())
}

/// One response as the checks see it.
struct Answer {
    status: u16,
    body: Value,
    text: String,
    elapsed: Duration,
}

impl Answer {
    fn from(response: HttpResponse, elapsed: Duration) -> Answer {
        let text = response.text();
        Answer { status: response.status.as_u16(), body: response.json(), text, elapsed }
    }

    /// The body, shortened for a message.
    fn excerpt(&self) -> String {
        let t = self.text.trim();
        if t.chars().count() > 200 {
            format!("{}…", t.chars().take(200).collect::<String>())
        } else {
            t.to_string()
        }
    }
}

/// Which claim headers a request carries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Claims {
    None,
    Operator,
    NotSuperAdmin,
}

struct Checker<'a> {
    args: &'a ConformArgs,
    base: String,
    client: HttpClient,
    /// (request, body) of every JSON response, for the wire-alias check.
    seen: Vec<(String, Value)>,
    results: Vec<CheckResult>,
}

type Outcome = Result<String, String>;

impl<'a> Checker<'a> {
    async fn send(
        &mut self,
        client: &HttpClient,
        method: Method,
        path: &str,
        claims: Claims,
        body: Option<Value>,
    ) -> Result<Answer, String> {
        let mut request = HttpRequest::new(method.clone(), format!("{}{path}", self.base));
        match claims {
            Claims::None => {}
            Claims::Operator => {
                request = request
                    .header("x-pomerium-claim-email", self.args.email.clone())
                    .header("x-pomerium-claim-groups", self.args.groups.clone());
            }
            Claims::NotSuperAdmin => {
                request = request
                    .header("x-pomerium-claim-email", self.args.email.clone())
                    .header("x-pomerium-claim-groups", "/org/platform/roles/member");
            }
        }
        if let Some(b) = &body {
            request = request.json(b);
        }
        let started = Instant::now();
        let response = client.send(request).await.map_err(|e| format!("{method} {path}: {e} (HTTP 000)"))?;
        let answer = Answer::from(response, started.elapsed());
        if !answer.body.is_null() {
            self.seen.push((format!("{method} {}", path.split('?').next().unwrap_or(path)), answer.body.clone()));
        }
        Ok(answer)
    }

    async fn get(&mut self, path: &str, claims: Claims) -> Result<Answer, String> {
        let client = self.client.clone();
        self.send(&client, Method::GET, path, claims, None).await
    }

    fn record(&mut self, id: &'static str, started: Instant, outcome: Outcome) {
        let title = CHECKS.iter().find(|(c, _)| *c == id).map(|(_, t)| *t).unwrap_or_default();
        let (verdict, message) = match outcome {
            Ok(m) => (Verdict::Pass, m),
            Err(m) => (Verdict::Fail, m),
        };
        self.results.push(CheckResult { id, title, verdict, message, millis: started.elapsed().as_millis() as u64 });
    }

    fn skip(&mut self, id: &'static str, why: &str) {
        let title = CHECKS.iter().find(|(c, _)| *c == id).map(|(_, t)| *t).unwrap_or_default();
        self.results.push(CheckResult { id, title, verdict: Verdict::Skip, message: why.to_string(), millis: 0 });
    }

    fn run_path(&self, run_id: &str, suffix: &str) -> String {
        format!("{ADMIN_PREFIX}/runs/{run_id}{suffix}?tenant_id={}", self.args.tenant_id)
    }
}

/// Expects `status`; otherwise a message with what came instead.
fn expect_status(what: &str, answer: &Answer, status: u16) -> Result<(), String> {
    if answer.status == status {
        Ok(())
    } else {
        Err(format!("{what} answered {} (expected {status}): {}", answer.status, answer.excerpt()))
    }
}

/// Runs every check against the Studio API; `Err` when it cannot be reached at all.
pub async fn check(args: &ConformArgs) -> Result<ConformReport, String> {
    let client = HttpClient::new(Transport::Loopback, Duration::from_secs(args.request_timeout));
    let mut c = Checker {
        args,
        base: args.base_url.trim_end_matches('/').to_string(),
        client,
        seen: Vec::new(),
        results: Vec::new(),
    };

    // health: also the reachability probe.
    let started = Instant::now();
    let health = c.get("/healthz", Claims::None).await.map_err(|e| {
        format!("the Studio API at {} did not answer: {e}; is it running, and is --base-url right?", c.base)
    })?;
    let outcome = expect_status("GET /healthz", &health, 200).and_then(|()| {
        if health.body == json!({"status": "ok"}) {
            Ok("{\"status\":\"ok\"}".to_string())
        } else {
            Err(format!("GET /healthz answered {} instead of {{\"status\":\"ok\"}}", health.excerpt()))
        }
    });
    c.record("health", started, outcome);

    let started = Instant::now();
    let outcome = check_openapi(&mut c).await;
    c.record("openapi", started, outcome);

    let started = Instant::now();
    let outcome = match c.get("/v1/studio/templates", Claims::Operator).await {
        Ok(a) => expect_status("GET /v1/studio/templates", &a, 404).map(|()| "404, as the runbook says".to_string()),
        Err(e) => Err(e),
    };
    c.record("legacy-prefix-404", started, outcome);

    let templates_path = format!("{ADMIN_PREFIX}/templates");
    let started = Instant::now();
    let outcome = match c.get(&templates_path, Claims::Operator).await {
        Ok(a) => expect_status("GET templates", &a, 200).and_then(|()| check_templates(&a.body)),
        Err(e) => Err(e),
    };
    c.record("templates", started, outcome);

    let started = Instant::now();
    let outcome = match c.get(&templates_path, Claims::None).await {
        Ok(a) => expect_status("GET templates without claim headers", &a, 401).map(|()| "401".to_string()),
        Err(e) => Err(e),
    };
    c.record("refuse-without-claims", started, outcome);

    let started = Instant::now();
    let outcome = match c.get(&templates_path, Claims::NotSuperAdmin).await {
        Ok(a) => expect_status("GET templates without the super_admin group", &a, 403).map(|()| "403".to_string()),
        Err(e) => Err(e),
    };
    c.record("refuse-without-super-admin", started, outcome);

    let run_id = if args.launch {
        let started = Instant::now();
        let (outcome, run_id) = launch(&mut c).await;
        c.record("launch", started, outcome);
        run_id
    } else {
        c.skip("launch", "read-only: pass --launch to launch a run");
        args.run_id.clone()
    };

    match run_id {
        Some(run_id) => run_checks(&mut c, &run_id).await,
        None => {
            let why = if args.launch {
                "no run: the launch failed"
            } else {
                "read-only without a run: pass --run-id RUN or --launch"
            };
            for id in ["get-run", "execute", "watch", "session-state", "reports", "handoff-trail", "cleanup"] {
                c.skip(id, why);
            }
        }
    }

    let started = Instant::now();
    let outcome = check_wire(&c.seen);
    c.record("wire-aliases", started, outcome);
    Ok(ConformReport { base_url: c.base, checks: c.results })
}

async fn check_openapi(c: &mut Checker<'_>) -> Outcome {
    let a = c.get("/openapi.json", Claims::None).await?;
    expect_status("GET /openapi.json", &a, 200)?;
    let Some(paths) = a.body.get("paths").and_then(Value::as_object) else {
        return Err("openapi.json has no `paths` object".to_string());
    };
    // Path parameter names are the server's choice: compare with `{}` for each.
    let shape = |p: &str| -> String {
        p.split('/')
            .map(|s| if s.starts_with('{') && s.ends_with('}') { "{}" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut missing = Vec::new();
    for (method, path) in DOCUMENTED_ENDPOINTS {
        let listed = paths.iter().any(|(p, ops)| shape(p) == shape(path) && ops.get(*method).is_some());
        if !listed {
            missing.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    if missing.is_empty() {
        Ok(format!("all {} documented endpoints listed", DOCUMENTED_ENDPOINTS.len()))
    } else {
        Err(format!("openapi.json does not list: {}", missing.join(", ")))
    }
}

fn check_templates(body: &Value) -> Outcome {
    let Some(list) = body.as_array() else {
        return Err(format!("templates is not a list: {}", kind(body)));
    };
    let ids: Vec<&str> =
        list.iter().filter_map(|t| t.get("template_id").and_then(Value::as_str).or_else(|| t.as_str())).collect();
    let missing: Vec<&str> = DOCUMENTED_TEMPLATES.iter().copied().filter(|t| !ids.contains(t)).collect();
    if missing.is_empty() {
        Ok(format!("{} templates, the documented four among them", ids.len()))
    } else {
        Err(format!("templates lack {} (listed: {})", missing.join(", "), ids.join(", ")))
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null or not JSON",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Checks a roster: a non-empty list of agents in the runbook's identity shape.
fn check_roster(run: &Value) -> Result<usize, String> {
    let Some(roster) = run.get("agent_roster").and_then(Value::as_array) else {
        return Err("no agent_roster list".to_string());
    };
    if roster.is_empty() {
        return Err("agent_roster is empty".to_string());
    }
    for (i, agent) in roster.iter().enumerate() {
        let missing: Vec<&str> = ROSTER_FIELDS.iter().copied().filter(|f| agent.get(*f).is_none()).collect();
        if !missing.is_empty() {
            return Err(format!("agent_roster[{i}] lacks {}", missing.join(", ")));
        }
    }
    Ok(roster.len())
}

async fn launch(c: &mut Checker<'_>) -> (Outcome, Option<String>) {
    let body = LaunchRequest {
        template_id: c.args.template_id.clone(),
        project_slug: c.args.project_slug.clone(),
        delivery_graph_kind: c.args.delivery_graph_kind.clone(),
        work_scope: "squadsim conform: one probe run".to_string(),
        next_goal: "make the required first tool call".to_string(),
    };
    let body = serde_json::to_value(&body).unwrap_or(Value::Null);
    let client = c.client.with_timeout(Duration::from_secs(c.args.timeout));
    let path = format!("{ADMIN_PREFIX}/runs");
    let a = match c.send(&client, Method::POST, &path, Claims::Operator, Some(body)).await {
        Ok(a) => a,
        Err(e) => return (Err(format!("{e}; a wrong project slug makes the launch hang on provisioning")), None),
    };
    if let Err(e) = expect_status("POST runs", &a, 200) {
        return (Err(e), None);
    }
    let Some(run_id) = a.body.get("run_id").and_then(Value::as_str).map(str::to_string) else {
        return (Err(format!("the launch answer has no run_id: {}", a.excerpt())), None);
    };
    let status = a.body.get("status").and_then(Value::as_str).unwrap_or_default();
    let outcome = if status != "ready" {
        Err(format!("launched {run_id} with status {status:?} (expected \"ready\")"))
    } else {
        check_roster(&a.body).map(|n| format!("{run_id} ready with {n} agents in {:.1}s", a.elapsed.as_secs_f64()))
    };
    (outcome, Some(run_id))
}

async fn run_checks(c: &mut Checker<'_>, run_id: &str) {
    let started = Instant::now();
    let outcome = match c.get(&c.run_path(run_id, ""), Claims::Operator).await {
        Ok(a) => expect_status("GET run", &a, 200).and_then(|()| {
            let id = a.body.get("run_id").and_then(Value::as_str);
            if id != Some(run_id) {
                return Err(format!("GET run answered run_id {id:?} for {run_id}"));
            }
            let status = a.body.get("status").and_then(Value::as_str).unwrap_or_default().to_string();
            check_roster(&a.body).map(|n| format!("status {status}, {n} agents"))
        }),
        Err(e) => Err(e),
    };
    c.record("get-run", started, outcome);

    if c.args.launch {
        let started = Instant::now();
        let client = c.client.clone();
        let outcome = match c.send(&client, Method::POST, &c.run_path(run_id, "/execute"), Claims::Operator, None).await
        {
            Ok(a) => expect_status("POST execute", &a, 200).and_then(|()| {
                let status = a.body.get("status").and_then(Value::as_str);
                if status != Some("scheduled") {
                    Err(format!("execute answered status {status:?} (expected \"scheduled\")"))
                } else if a.elapsed > EXECUTE_WITHIN {
                    Err(format!(
                        "execute took {:.1}s (the tick runs async: it should answer within {}s)",
                        a.elapsed.as_secs_f64(),
                        EXECUTE_WITHIN.as_secs()
                    ))
                } else {
                    Ok(format!("scheduled in {} ms", a.elapsed.as_millis()))
                }
            }),
            Err(e) => Err(e),
        };
        c.record("execute", started, outcome);
        let started = Instant::now();
        let outcome = watch(c, run_id).await;
        c.record("watch", started, outcome);
    } else {
        c.skip("execute", "read-only: execute is a write (pass --launch)");
        c.skip("watch", "read-only: nothing was executed (pass --launch)");
    }

    let started = Instant::now();
    let outcome = match c.get(&c.run_path(run_id, "/session-state"), Claims::Operator).await {
        Ok(a) => expect_status("GET session-state", &a, 200).and_then(|()| check_sessions(&a.body)),
        Err(e) => Err(e),
    };
    c.record("session-state", started, outcome);

    let started = Instant::now();
    let outcome = match c.get(&c.run_path(run_id, "/reports"), Claims::Operator).await {
        Ok(a) => expect_status("GET reports", &a, 200).and_then(|()| match a.body.as_array() {
            Some(list) => Ok(format!("a list of {}", list.len())),
            None => Err(format!("reports is {}, not a list: {}", kind(&a.body), a.excerpt())),
        }),
        Err(e) => Err(e),
    };
    c.record("reports", started, outcome);

    let started = Instant::now();
    let outcome = match c.get(&c.run_path(run_id, "/handoff-trail"), Claims::Operator).await {
        Ok(a) => expect_status("GET handoff-trail", &a, 200).and_then(|()| check_handoff_trail(&a.body)),
        Err(e) => Err(e),
    };
    c.record("handoff-trail", started, outcome);

    if c.args.launch {
        let started = Instant::now();
        let client = c.client.clone();
        let outcome = match c.send(&client, Method::POST, &c.run_path(run_id, "/cleanup"), Claims::Operator, None).await
        {
            Ok(a) => expect_status("POST cleanup", &a, 200).map(|()| format!("{run_id} cleaned up")),
            Err(e) => Err(e),
        };
        c.record("cleanup", started, outcome);
    } else {
        c.skip("cleanup", "read-only: cleanup is a write (pass --launch)");
    }
}

/// The sessions of a session-state body (`{"sessions": [...]}` or a bare list).
fn sessions(body: &Value) -> Option<&Vec<Value>> {
    body.get("sessions").and_then(Value::as_array).or_else(|| body.as_array())
}

fn check_sessions(body: &Value) -> Outcome {
    let Some(list) = sessions(body) else {
        return Err(format!("session-state has no sessions list (it is {})", kind(body)));
    };
    if list.is_empty() {
        return Err("session-state lists no sessions".to_string());
    }
    for (i, s) in list.iter().enumerate() {
        let missing: Vec<&str> = SESSION_FIELDS.iter().copied().filter(|f| s.get(*f).is_none()).collect();
        if !missing.is_empty() {
            return Err(format!("sessions[{i}] lacks {}", missing.join(", ")));
        }
        let status = s.get("live_status").and_then(Value::as_str).unwrap_or_default();
        if !LIVE_STATUSES.contains(&status) {
            return Err(format!("sessions[{i}].live_status {status:?} is not one of {}", LIVE_STATUSES.join(", ")));
        }
        if let Some(code) = s.get("blocker_code").and_then(Value::as_str) {
            if BlockerCode::parse(code).is_none() {
                return Err(format!("sessions[{i}].blocker_code {code:?} is not a known blocker code"));
            }
        }
        if !s.get("tool_call_count").is_some_and(Value::is_u64) {
            return Err(format!("sessions[{i}].tool_call_count is not a count"));
        }
    }
    let statuses: Vec<&str> =
        list.iter().map(|s| s.get("live_status").and_then(Value::as_str).unwrap_or_default()).collect();
    Ok(format!("{} sessions: {}", list.len(), statuses.join(", ")))
}

fn check_handoff_trail(body: &Value) -> Outcome {
    let list = ["handoffs", "handoff_trail", "trail"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_array))
        .or_else(|| body.as_array());
    let Some(list) = list else {
        return Err(format!("handoff-trail has no list of handoffs (it is {})", kind(body)));
    };
    for (i, h) in list.iter().enumerate() {
        let missing: Vec<&str> = wire::HANDOFF_FIELDS.iter().copied().filter(|f| h.get(*f).is_none()).collect();
        if !missing.is_empty() {
            return Err(format!("handoff {i} lacks {}", missing.join(", ")));
        }
    }
    Ok(format!("{} handoffs", list.len()))
}

/// Polls session-state until every session is session_completed or blocked.
async fn watch(c: &mut Checker<'_>, run_id: &str) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(c.args.timeout);
    let path = c.run_path(run_id, "/session-state");
    let mut polls = 0u32;
    loop {
        polls += 1;
        let a = c.get(&path, Claims::Operator).await?;
        expect_status("GET session-state", &a, 200)?;
        let statuses: Vec<String> = sessions(&a.body)
            .map(|l| {
                l.iter().map(|s| s.get("live_status").and_then(Value::as_str).unwrap_or("?").to_string()).collect()
            })
            .unwrap_or_default();
        let settled = !statuses.is_empty() && statuses.iter().all(|s| s == "session_completed" || s == "blocked");
        if settled {
            return Ok(format!("settled after {polls} polls: {}", statuses.join(", ")));
        }
        if Instant::now() + POLL_EVERY > deadline {
            return Err(format!(
                "not settled within {}s ({polls} polls; last: {}); raise --timeout if the deployment is slow",
                c.args.timeout,
                if statuses.is_empty() { "no sessions".to_string() } else { statuses.join(", ") }
            ));
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Every JSON response through the wire-alias check: errors fail; legacy
/// aliases (the boundary's `runtime_kind`) are only counted.
fn check_wire(seen: &[(String, Value)]) -> Outcome {
    let mut errors = Vec::new();
    let mut aliases = 0usize;
    for (request, body) in seen {
        for f in wire::inspect(body).findings {
            if f.is_error() {
                let at = if f.pointer.is_empty() { "/" } else { f.pointer.as_str() };
                errors.push(format!("{request} {at}: {}", f.message()));
            } else {
                aliases += 1;
            }
        }
    }
    if errors.is_empty() {
        Ok(format!("{} responses, no errors, {aliases} legacy aliases read", seen.len()))
    } else {
        Err(errors.join("; "))
    }
}

/// The human report: one line per check, then a summary.
pub fn human(report: &ConformReport) -> String {
    let mut s = format!("squadsim conform {}\n", report.base_url);
    for c in &report.checks {
        let label = match c.verdict {
            Verdict::Pass => "ok  ",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "skip",
        };
        s.push_str(&format!("{label} {:<27} {}\n", c.id, c.message));
    }
    s.push_str(&format!(
        "{} passed, {} failed, {} skipped\n",
        report.count(Verdict::Pass),
        report.count(Verdict::Fail),
        report.count(Verdict::Skip)
    ));
    s
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one `<testcase>` per check, `<failure>` or `<skipped>` as it ended.
pub fn junit(report: &ConformReport) -> String {
    let seconds = |ms: u64| format!("{:.3}", ms as f64 / 1000.0);
    let total: u64 = report.checks.iter().map(|c| c.millis).sum();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&format!(
        "<testsuites tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{}\">\n",
        report.checks.len(),
        report.count(Verdict::Fail),
        report.count(Verdict::Skip),
        seconds(total)
    ));
    s.push_str(&format!(
        "  <testsuite name=\"squadsim conform {}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\">\n",
        xml_escape(&report.base_url),
        report.checks.len(),
        report.count(Verdict::Fail),
        report.count(Verdict::Skip),
        seconds(total)
    ));
    for c in &report.checks {
        let open = format!(
            "    <testcase classname=\"squadsim.conform\" name=\"{}\" time=\"{}\"",
            xml_escape(c.id),
            seconds(c.millis)
        );
        match c.verdict {
            Verdict::Pass => s.push_str(&format!("{open}/>\n")),
            Verdict::Fail => s.push_str(&format!(
                "{open}>\n      <failure message=\"{}\">{}: {}</failure>\n    </testcase>\n",
                xml_escape(&c.message),
                xml_escape(c.title),
                xml_escape(&c.message)
            )),
            Verdict::Skip => s.push_str(&format!(
                "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                xml_escape(&c.message)
            )),
        }
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}
