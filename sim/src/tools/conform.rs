//! `squadsim conform --base-url URL --email EMAIL`: checks a running Studio API
//! (the live deployment of the runbook, or `squadsim serve`) against the
//! runbook's contract (`docs/seeds.md`, runbook, "AgentSquad Runtime Operations").
//!
//! Guarantees:
//! - read-only unless `--launch`: without it only GET requests are sent; with it
//!   one run is launched, executed, polled (bounded by `--timeout`) and cleaned up;
//! - every check has a fixed id and ends as pass, warn, fail or skip; run-scoped
//!   checks without `--run-id` or `--launch` are skipped, saying why;
//! - every JSON response goes through the wire-alias check
//!   ([`squadsim_conformance::wire`]); a blocker code neither the seeds nor the
//!   model name is a warning there, never a failure: the blocker set is open;
//! - exit status: 0 every check passed (or warned, or was skipped), 1 a check failed,
//!   2 bad arguments or the Studio API could not be reached at all.

use squadsim_conformance::exit::ExitStatus;
use std::io::Write;
use std::time::{Duration, Instant};

use hyper::Method;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;
use serde_json::{json, Value};
use squadsim_conformance::wire;
use squadsim_fakes::net::{parse_url, HttpClient, HttpError, HttpRequest, HttpResponse, Transport};

use crate::platform::studio::api::{ADMIN_PREFIX, SUPER_ADMIN_GROUP};
use crate::platform::studio::wire::LaunchRequest;

/// `--help`'s long text (the variant's one-line doc comment is the short one).
pub(crate) const CONFORM_HELP: &str = "\
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

/// A check of `squadsim conform`, by its fixed id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    Health,
    Openapi,
    LegacyPrefix404,
    Templates,
    RefuseWithoutClaims,
    RefuseWithoutSuperAdmin,
    Launch,
    GetRun,
    Execute,
    Watch,
    SessionState,
    Reports,
    HandoffTrail,
    Cleanup,
    WireAliases,
}

impl CheckId {
    /// Every check, in the order it runs.
    pub const ALL: [CheckId; 15] = [
        CheckId::Health,
        CheckId::Openapi,
        CheckId::LegacyPrefix404,
        CheckId::Templates,
        CheckId::RefuseWithoutClaims,
        CheckId::RefuseWithoutSuperAdmin,
        CheckId::Launch,
        CheckId::GetRun,
        CheckId::Execute,
        CheckId::Watch,
        CheckId::SessionState,
        CheckId::Reports,
        CheckId::HandoffTrail,
        CheckId::Cleanup,
        CheckId::WireAliases,
    ];

    /// The id reports show (`health`, `legacy-prefix-404`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Health => "health",
            CheckId::Openapi => "openapi",
            CheckId::LegacyPrefix404 => "legacy-prefix-404",
            CheckId::Templates => "templates",
            CheckId::RefuseWithoutClaims => "refuse-without-claims",
            CheckId::RefuseWithoutSuperAdmin => "refuse-without-super-admin",
            CheckId::Launch => "launch",
            CheckId::GetRun => "get-run",
            CheckId::Execute => "execute",
            CheckId::Watch => "watch",
            CheckId::SessionState => "session-state",
            CheckId::Reports => "reports",
            CheckId::HandoffTrail => "handoff-trail",
            CheckId::Cleanup => "cleanup",
            CheckId::WireAliases => "wire-aliases",
        }
    }

    /// What the check checks.
    pub fn title(self) -> &'static str {
        match self {
            CheckId::Health => "GET /healthz answers 200 {\"status\":\"ok\"}",
            CheckId::Openapi => "GET /openapi.json lists every endpoint of the runbook's table",
            CheckId::LegacyPrefix404 => "the /v1/studio prefix (not /v1/admin/studio) answers 404",
            CheckId::Templates => "GET templates lists ouroboros, pm-ouroboros, agentsquad, research-team",
            CheckId::RefuseWithoutClaims => "an admin endpoint answers 401 without the Pomerium claim headers",
            CheckId::RefuseWithoutSuperAdmin => "an admin endpoint answers 403 without the super_admin group",
            CheckId::Launch => "POST runs answers {run_id, status: ready, agent_roster} with the intake pair",
            CheckId::GetRun => "GET run answers the run with its roster in the runbook's identity shape",
            CheckId::Execute => "POST execute answers status \"scheduled\" quickly",
            CheckId::Watch => "polled session-state settles (every session session_completed or blocked)",
            CheckId::SessionState => "every session reports the six documented fields",
            CheckId::Reports => "GET reports answers a list",
            CheckId::HandoffTrail => "GET handoff-trail answers handoffs carrying the six handoff fields",
            CheckId::Cleanup => "POST cleanup answers 200",
            CheckId::WireAliases => "every JSON response passes the wire-alias check",
        }
    }

    /// Whether the check acts on a run (`--run-id` or `--launch`'s).
    pub fn needs_run(self) -> bool {
        use CheckId::*;
        matches!(self, GetRun | Execute | Watch | SessionState | Reports | HandoffTrail | Cleanup)
    }
}

impl std::fmt::Display for CheckId {
    /// The id, padded to a width when one is asked for (the human report's column).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckVerdict {
    Pass,
    /// Passed, with something outside what this model knows (an unknown blocker code).
    Warn,
    Fail,
    Skip,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    pub id: CheckId,
    pub title: &'static str,
    pub verdict: CheckVerdict,
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
    pub fn count(&self, verdict: CheckVerdict) -> usize {
        self.checks.iter().filter(|c| c.verdict == verdict).count()
    }

    /// The result of the check whose id reads `id` (`get-run`).
    pub fn check(&self, id: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id.as_str() == id)
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
                    "passed": report.count(CheckVerdict::Pass),
                    "warned": report.count(CheckVerdict::Warn),
                    "failed": report.count(CheckVerdict::Fail),
                    "skipped": report.count(CheckVerdict::Skip),
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
    ExitStatus::of_failures(report.count(CheckVerdict::Fail))
}

/// Why `squadsim conform`'s arguments were refused (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConformArgsError {
    /// `--base-url` is no `http://host[:port]` URL.
    BaseUrl(String),
    /// `--email` is no email address.
    Email(String),
    /// `--timeout` or `--request-timeout` is 0.
    ZeroTimeout,
    /// `--launch` and `--run-id` were both given.
    LaunchWithRunId,
}

impl std::fmt::Display for ConformArgsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConformArgsError::BaseUrl(url) => {
                write!(f, "--base-url {url:?} is not an http://host[:port] URL (https is not supported)")
            }
            ConformArgsError::Email(email) => {
                write!(f, "--email {email:?} is not an email address (the x-pomerium-claim-email claim)")
            }
            ConformArgsError::ZeroTimeout => f.write_str("--timeout and --request-timeout must be at least 1 second"),
            ConformArgsError::LaunchWithRunId => {
                f.write_str("--launch and --run-id exclude each other: --launch checks the run it launches")
            }
        }
    }
}

impl std::error::Error for ConformArgsError {}

fn validate(args: &ConformArgs) -> Result<(), ConformArgsError> {
    parse_url(&args.base_url).map_err(|_| ConformArgsError::BaseUrl(args.base_url.clone()))?;
    if !args.email.contains('@') {
        return Err(ConformArgsError::Email(args.email.clone()));
    }
    if args.timeout == 0 || args.request_timeout == 0 {
        return Err(ConformArgsError::ZeroTimeout);
    }
    if args.launch && args.run_id.is_some() {
        return Err(ConformArgsError::LaunchWithRunId);
    }
    Ok(())
}

/// Why no check could run: the Studio API did not answer its health probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudioUnreachable {
    pub base_url: String,
    /// The failed request and why (`GET /healthz: ... (HTTP 000)`).
    pub why: CheckFailure,
}

impl std::fmt::Display for StudioUnreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the Studio API at {} did not answer: {}; is it running, and is --base-url right?",
            self.base_url, self.why
        )
    }
}

impl std::error::Error for StudioUnreachable {}

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

/// How one check came out: `Ok` its pass message, `Err` why it failed.
type CheckOutcome = Result<String, CheckFailure>;

/// Why a check failed. Its `Display` is the message a report shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckFailure {
    /// A request got no HTTP answer (curl's HTTP 000), with what that may mean.
    NoAnswer { request: String, error: HttpError, hint: Option<&'static str> },
    /// An answer with another status than the check expects.
    UnexpectedStatus { request: String, status: u16, expected: u16, excerpt: String },
    /// An answer with the expected status whose body or timing is not what
    /// the platform sends: what differs, in words.
    Mismatch(String),
}

impl CheckFailure {
    /// A failure that says what differs.
    fn mismatch(what: impl Into<String>) -> CheckFailure {
        CheckFailure::Mismatch(what.into())
    }
}

impl std::fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckFailure::NoAnswer { request, error, hint } => {
                write!(f, "{request}: {error} (HTTP 000)")?;
                match hint {
                    Some(hint) => write!(f, "; {hint}"),
                    None => Ok(()),
                }
            }
            CheckFailure::UnexpectedStatus { request, status, expected, excerpt } => {
                write!(f, "{request} answered {status} (expected {expected}): {excerpt}")
            }
            CheckFailure::Mismatch(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for CheckFailure {}

impl<'a> Checker<'a> {
    async fn send(
        &mut self,
        client: &HttpClient,
        method: Method,
        path: &str,
        claims: Claims,
        body: Option<Value>,
    ) -> Result<Answer, CheckFailure> {
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
        let response = client.send(request).await.map_err(|error| CheckFailure::NoAnswer {
            request: format!("{method} {path}"),
            error,
            hint: None,
        })?;
        let answer = Answer::from(response, started.elapsed());
        if !answer.body.is_null() {
            self.seen.push((format!("{method} {}", path.split('?').next().unwrap_or(path)), answer.body.clone()));
        }
        Ok(answer)
    }

    async fn get(&mut self, path: &str, claims: Claims) -> Result<Answer, CheckFailure> {
        let client = self.client.clone();
        self.send(&client, Method::GET, path, claims, None).await
    }

    /// A check that is one request: sends it, expects its status, lets `judge`
    /// read the answer, and records how the check came out.
    async fn probe(&mut self, id: CheckId, probe: Probe<'_>, judge: impl FnOnce(&Answer) -> CheckOutcome) {
        let started = Instant::now();
        let client = self.client.clone();
        let outcome = match self.send(&client, probe.method, &probe.path, probe.claims, None).await {
            Ok(a) => expect_status(probe.what, &a, probe.status).and_then(|()| judge(&a)),
            Err(e) => Err(e),
        };
        self.record(id, started, outcome);
    }

    fn record(&mut self, id: CheckId, started: Instant, outcome: CheckOutcome) {
        let title = id.title();
        let (verdict, message) = match outcome {
            Ok(m) => (CheckVerdict::Pass, m),
            Err(failure) => (CheckVerdict::Fail, failure.to_string()),
        };
        self.results.push(CheckResult { id, title, verdict, message, millis: started.elapsed().as_millis() as u64 });
    }

    fn skip(&mut self, id: CheckId, why: &str) {
        let title = id.title();
        self.results.push(CheckResult { id, title, verdict: CheckVerdict::Skip, message: why.to_string(), millis: 0 });
    }

    fn run_path(&self, run_id: &str, suffix: &str) -> String {
        format!("{ADMIN_PREFIX}/runs/{run_id}{suffix}?tenant_id={}", self.args.tenant_id)
    }
}

/// The one request of a [`Checker::probe`], and the status it expects.
struct Probe<'w> {
    /// How a failure names the request (`GET templates without claim headers`).
    what: &'w str,
    method: Method,
    path: String,
    claims: Claims,
    status: u16,
}

impl<'w> Probe<'w> {
    fn get(what: &'w str, path: String, claims: Claims, status: u16) -> Self {
        Probe { what, method: Method::GET, path, claims, status }
    }

    fn post(what: &'w str, path: String, status: u16) -> Self {
        Probe { what, method: Method::POST, path, claims: Claims::Operator, status }
    }
}

/// Expects `status`; otherwise says what came instead.
fn expect_status(what: &str, answer: &Answer, status: u16) -> Result<(), CheckFailure> {
    if answer.status == status {
        Ok(())
    } else {
        Err(CheckFailure::UnexpectedStatus {
            request: what.to_string(),
            status: answer.status,
            expected: status,
            excerpt: answer.excerpt(),
        })
    }
}

/// Runs every check against the Studio API; `Err` when it cannot be reached at all.
pub async fn check(args: &ConformArgs) -> Result<ConformReport, StudioUnreachable> {
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
    let health =
        c.get("/healthz", Claims::None).await.map_err(|why| StudioUnreachable { base_url: c.base.clone(), why })?;
    let outcome = expect_status("GET /healthz", &health, 200).and_then(|()| {
        if health.body == json!({"status": "ok"}) {
            Ok("{\"status\":\"ok\"}".to_string())
        } else {
            Err(CheckFailure::mismatch(format!(
                "GET /healthz answered {} instead of {{\"status\":\"ok\"}}",
                health.excerpt()
            )))
        }
    });
    c.record(CheckId::Health, started, outcome);

    let started = Instant::now();
    let outcome = check_openapi(&mut c).await;
    c.record(CheckId::Openapi, started, outcome);

    let legacy = Probe::get("GET /v1/studio/templates", "/v1/studio/templates".into(), Claims::Operator, 404);
    c.probe(CheckId::LegacyPrefix404, legacy, |_| Ok("404, as the runbook says".to_string())).await;

    let templates = format!("{ADMIN_PREFIX}/templates");
    let listed = Probe::get("GET templates", templates.clone(), Claims::Operator, 200);
    c.probe(CheckId::Templates, listed, |a| check_templates(&a.body)).await;
    let unclaimed = Probe::get("GET templates without claim headers", templates.clone(), Claims::None, 401);
    c.probe(CheckId::RefuseWithoutClaims, unclaimed, |_| Ok("401".to_string())).await;
    let member = Probe::get("GET templates without the super_admin group", templates, Claims::NotSuperAdmin, 403);
    c.probe(CheckId::RefuseWithoutSuperAdmin, member, |_| Ok("403".to_string())).await;

    let run_id = if args.launch {
        let started = Instant::now();
        let (outcome, run_id) = launch(&mut c).await;
        c.record(CheckId::Launch, started, outcome);
        run_id
    } else {
        c.skip(CheckId::Launch, "read-only: pass --launch to launch a run");
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
            for id in CheckId::ALL.into_iter().filter(|id| id.needs_run()) {
                c.skip(id, why);
            }
        }
    }

    let started = Instant::now();
    let wire = check_wire(&c.seen);
    c.record(CheckId::WireAliases, started, wire.outcome);
    if !wire.warnings.is_empty() {
        if let Some(last) = c.results.last_mut().filter(|r| r.verdict == CheckVerdict::Pass) {
            last.verdict = CheckVerdict::Warn;
            last.message = format!("{}; warnings: {}", last.message, wire.warnings.join("; "));
        }
    }
    Ok(ConformReport { base_url: c.base, checks: c.results })
}

async fn check_openapi(c: &mut Checker<'_>) -> CheckOutcome {
    let a = c.get("/openapi.json", Claims::None).await?;
    expect_status("GET /openapi.json", &a, 200)?;
    let Some(paths) = a.body.get("paths").and_then(Value::as_object) else {
        return Err(CheckFailure::mismatch("openapi.json has no `paths` object"));
    };
    let mut missing = Vec::new();
    for (method, path) in DOCUMENTED_ENDPOINTS {
        let listed = paths.iter().any(|(p, ops)| path_shape(p) == path_shape(path) && ops.get(*method).is_some());
        if !listed {
            missing.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    if missing.is_empty() {
        Ok(format!("all {} documented endpoints listed", DOCUMENTED_ENDPOINTS.len()))
    } else {
        Err(CheckFailure::mismatch(format!("openapi.json does not list: {}", missing.join(", "))))
    }
}

/// A path with each whole parameter segment (`{run_id}`) read as `{}`: parameter names are the server's choice.
fn path_shape(path: &str) -> String {
    path.split('/').map(|s| if s.starts_with('{') && s.ends_with('}') { "{}" } else { s }).collect::<Vec<_>>().join("/")
}

fn check_templates(body: &Value) -> CheckOutcome {
    let Some(list) = body.as_array() else {
        return Err(CheckFailure::mismatch(format!("templates is not a list: {}", kind(body))));
    };
    let ids: Vec<&str> =
        list.iter().filter_map(|t| t.get("template_id").and_then(Value::as_str).or_else(|| t.as_str())).collect();
    let missing: Vec<&str> = DOCUMENTED_TEMPLATES.iter().copied().filter(|t| !ids.contains(t)).collect();
    if missing.is_empty() {
        Ok(format!("{} templates, the documented four among them", ids.len()))
    } else {
        Err(CheckFailure::mismatch(format!("templates lack {} (listed: {})", missing.join(", "), ids.join(", "))))
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
fn check_roster(run: &Value) -> Result<usize, CheckFailure> {
    let Some(roster) = run.get("agent_roster").and_then(Value::as_array) else {
        return Err(CheckFailure::mismatch("no agent_roster list"));
    };
    if roster.is_empty() {
        return Err(CheckFailure::mismatch("agent_roster is empty"));
    }
    for (i, agent) in roster.iter().enumerate() {
        let missing: Vec<&str> = ROSTER_FIELDS.iter().copied().filter(|f| agent.get(*f).is_none()).collect();
        if !missing.is_empty() {
            return Err(CheckFailure::mismatch(format!("agent_roster[{i}] lacks {}", missing.join(", "))));
        }
    }
    Ok(roster.len())
}

async fn launch(c: &mut Checker<'_>) -> (CheckOutcome, Option<String>) {
    let body = LaunchRequest {
        template_id: c.args.template_id.clone(),
        project_slug: c.args.project_slug.clone(),
        delivery_graph_kind: c.args.delivery_graph_kind.clone(),
        work_scope: "squadsim conform: one probe run".to_string(),
        next_goal: "make the required first tool call".to_string(),
        workspace_bootstrap_assets: Vec::new(),
        source_ref_bundle: None,
    };
    let body = serde_json::to_value(&body).unwrap_or(Value::Null);
    let client = c.client.with_timeout(Duration::from_secs(c.args.timeout));
    let path = format!("{ADMIN_PREFIX}/runs");
    let a = match c.send(&client, Method::POST, &path, Claims::Operator, Some(body)).await {
        Ok(a) => a,
        Err(CheckFailure::NoAnswer { request, error, .. }) => {
            let hint = Some("a wrong project slug makes the launch hang on provisioning");
            return (Err(CheckFailure::NoAnswer { request, error, hint }), None);
        }
        Err(other) => return (Err(other), None),
    };
    if let Err(e) = expect_status("POST runs", &a, 200) {
        return (Err(e), None);
    }
    let Some(run_id) = a.body.get("run_id").and_then(Value::as_str).map(str::to_string) else {
        return (Err(CheckFailure::mismatch(format!("the launch answer has no run_id: {}", a.excerpt()))), None);
    };
    let status = a.body.get("status").and_then(Value::as_str).unwrap_or_default();
    let outcome = if status != "ready" {
        Err(CheckFailure::mismatch(format!("launched {run_id} with status {status:?} (expected \"ready\")")))
    } else {
        check_roster(&a.body).map(|n| format!("{run_id} ready with {n} agents in {:.1}s", a.elapsed.as_secs_f64()))
    };
    (outcome, Some(run_id))
}

async fn run_checks(c: &mut Checker<'_>, run_id: &str) {
    let run = Probe::get("GET run", c.run_path(run_id, ""), Claims::Operator, 200);
    c.probe(CheckId::GetRun, run, |a| {
        let id = a.body.get("run_id").and_then(Value::as_str);
        if id != Some(run_id) {
            return Err(CheckFailure::mismatch(format!("GET run answered run_id {id:?} for {run_id}")));
        }
        let status = a.body.get("status").and_then(Value::as_str).unwrap_or_default().to_string();
        check_roster(&a.body).map(|n| format!("status {status}, {n} agents"))
    })
    .await;

    if c.args.launch {
        let execute = Probe::post("POST execute", c.run_path(run_id, "/execute"), 200);
        c.probe(CheckId::Execute, execute, |a| {
            let status = a.body.get("status").and_then(Value::as_str);
            if status != Some("scheduled") {
                Err(CheckFailure::mismatch(format!("execute answered status {status:?} (expected \"scheduled\")")))
            } else if a.elapsed > EXECUTE_WITHIN {
                Err(CheckFailure::mismatch(format!(
                    "execute took {:.1}s (the tick runs async: it should answer within {}s)",
                    a.elapsed.as_secs_f64(),
                    EXECUTE_WITHIN.as_secs()
                )))
            } else {
                Ok(format!("scheduled in {} ms", a.elapsed.as_millis()))
            }
        })
        .await;
        let started = Instant::now();
        let outcome = watch(c, run_id).await;
        c.record(CheckId::Watch, started, outcome);
    } else {
        c.skip(CheckId::Execute, "read-only: execute is a write (pass --launch)");
        c.skip(CheckId::Watch, "read-only: nothing was executed (pass --launch)");
    }

    let sessions = Probe::get("GET session-state", c.run_path(run_id, "/session-state"), Claims::Operator, 200);
    c.probe(CheckId::SessionState, sessions, |a| check_sessions(&a.body)).await;
    let reports = Probe::get("GET reports", c.run_path(run_id, "/reports"), Claims::Operator, 200);
    c.probe(CheckId::Reports, reports, |a| match a.body.as_array() {
        Some(list) => Ok(format!("a list of {}", list.len())),
        None => Err(CheckFailure::mismatch(format!("reports is {}, not a list: {}", kind(&a.body), a.excerpt()))),
    })
    .await;
    let trail = Probe::get("GET handoff-trail", c.run_path(run_id, "/handoff-trail"), Claims::Operator, 200);
    c.probe(CheckId::HandoffTrail, trail, |a| check_handoff_trail(&a.body)).await;

    if c.args.launch {
        let cleanup = Probe::post("POST cleanup", c.run_path(run_id, "/cleanup"), 200);
        c.probe(CheckId::Cleanup, cleanup, |_| Ok(format!("{run_id} cleaned up"))).await;
    } else {
        c.skip(CheckId::Cleanup, "read-only: cleanup is a write (pass --launch)");
    }
}

/// The sessions of a session-state body (`{"sessions": [...]}` or a bare list).
fn sessions(body: &Value) -> Option<&Vec<Value>> {
    body.get("sessions").and_then(Value::as_array).or_else(|| body.as_array())
}

fn check_sessions(body: &Value) -> CheckOutcome {
    let Some(list) = sessions(body) else {
        return Err(CheckFailure::mismatch(format!("session-state has no sessions list (it is {})", kind(body))));
    };
    if list.is_empty() {
        return Err(CheckFailure::mismatch("session-state lists no sessions"));
    }
    for (i, s) in list.iter().enumerate() {
        let missing: Vec<&str> = SESSION_FIELDS.iter().copied().filter(|f| s.get(*f).is_none()).collect();
        if !missing.is_empty() {
            return Err(CheckFailure::mismatch(format!("sessions[{i}] lacks {}", missing.join(", "))));
        }
        let status = s.get("live_status").and_then(Value::as_str).unwrap_or_default();
        if !LIVE_STATUSES.contains(&status) {
            return Err(CheckFailure::mismatch(format!(
                "sessions[{i}].live_status {status:?} is not one of {}",
                LIVE_STATUSES.join(", ")
            )));
        }
        if !s.get("tool_call_count").is_some_and(Value::is_u64) {
            return Err(CheckFailure::mismatch(format!("sessions[{i}].tool_call_count is not a count")));
        }
    }
    let statuses: Vec<&str> =
        list.iter().map(|s| s.get("live_status").and_then(Value::as_str).unwrap_or_default()).collect();
    Ok(format!("{} sessions: {}", list.len(), statuses.join(", ")))
}

fn check_handoff_trail(body: &Value) -> CheckOutcome {
    let list = ["handoffs", "handoff_trail", "trail"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_array))
        .or_else(|| body.as_array());
    let Some(list) = list else {
        return Err(CheckFailure::mismatch(format!("handoff-trail has no list of handoffs (it is {})", kind(body))));
    };
    for (i, h) in list.iter().enumerate() {
        let missing: Vec<&str> = wire::HANDOFF_FIELDS.iter().copied().filter(|f| h.get(*f).is_none()).collect();
        if !missing.is_empty() {
            return Err(CheckFailure::mismatch(format!("handoff {i} lacks {}", missing.join(", "))));
        }
    }
    Ok(format!("{} handoffs", list.len()))
}

/// Polls session-state until every session is session_completed or blocked.
async fn watch(c: &mut Checker<'_>, run_id: &str) -> CheckOutcome {
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
            return Err(CheckFailure::mismatch(format!(
                "not settled within {}s ({polls} polls; last: {}); raise --timeout if the deployment is slow",
                c.args.timeout,
                if statuses.is_empty() { "no sessions".to_string() } else { statuses.join(", ") }
            )));
        }
        squadsim_fakes::timer::sleep(POLL_EVERY).await;
    }
}

/// What the wire-alias check found: its outcome, and the warnings that do not fail it.
struct WireCheck {
    outcome: CheckOutcome,
    warnings: Vec<String>,
}

/// Every JSON response through the wire-alias check: errors fail; an unknown
/// blocker code is a warning (the blocker set is open); legacy aliases (the
/// boundary's `runtime_kind`) and model-defined codes are only counted. Each
/// error and warning is said once, however often its request was sent.
fn check_wire(seen: &[(String, Value)]) -> WireCheck {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut notes = 0usize;
    for (request, body) in seen {
        for f in wire::inspect(body).findings {
            let list = match f.severity() {
                wire::Severity::Error => &mut errors,
                wire::Severity::Warning => &mut warnings,
                wire::Severity::Note => {
                    notes += 1;
                    continue;
                }
            };
            // A request sent more than once (the watch's polls of session-state) says each finding once.
            let at = if f.pointer.is_empty() { "/" } else { f.pointer.as_str() };
            let finding = format!("{request} {at}: {}", f.message());
            if !list.contains(&finding) {
                list.push(finding);
            }
        }
    }
    let outcome = if errors.is_empty() {
        Ok(format!("{} responses, no errors, {notes} legacy aliases and model-defined codes read", seen.len()))
    } else {
        Err(CheckFailure::mismatch(errors.join("; ")))
    };
    WireCheck { outcome, warnings }
}

/// The human report: one line per check, then a summary.
pub fn human(report: &ConformReport) -> String {
    let mut s = format!("squadsim conform {}\n", report.base_url);
    for c in &report.checks {
        let label = match c.verdict {
            CheckVerdict::Pass => "ok  ",
            CheckVerdict::Warn => "warn",
            CheckVerdict::Fail => "FAIL",
            CheckVerdict::Skip => "skip",
        };
        s.push_str(&format!("{label} {:<27} {}\n", c.id, c.message));
    }
    let warned = match report.count(CheckVerdict::Warn) {
        0 => String::new(),
        n => format!(", {n} warned"),
    };
    s.push_str(&format!(
        "{} passed{warned}, {} failed, {} skipped\n",
        report.count(CheckVerdict::Pass),
        report.count(CheckVerdict::Fail),
        report.count(CheckVerdict::Skip)
    ));
    s
}

/// `text` with the control characters XML 1.0 forbids even escaped replaced by U+FFFD
/// (markup is escaped by `quick-junit`).
fn xml_text(text: &str) -> String {
    text.chars().map(|c| if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') { '\u{fffd}' } else { c }).collect()
}

/// JUnit XML through `quick-junit`, as the run reports are written: one
/// `<testcase>` per check (class `squadsim.conform`), `<failure>` or `<skipped>`
/// as it ended, each with the check's wall time.
pub fn junit(report: &ConformReport) -> String {
    let mut suite = TestSuite::new(format!("squadsim conform {}", xml_text(&report.base_url)));
    for c in &report.checks {
        let status = match c.verdict {
            CheckVerdict::Pass | CheckVerdict::Warn => TestCaseStatus::success(),
            CheckVerdict::Fail => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(xml_text(&c.message));
                status.set_description(format!("{}: {}", c.title, xml_text(&c.message)));
                status
            }
            CheckVerdict::Skip => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(xml_text(&c.message));
                status
            }
        };
        let mut test = TestCase::new(c.id.as_str(), status);
        test.set_classname("squadsim.conform");
        test.set_time(Duration::from_millis(c.millis));
        if c.verdict == CheckVerdict::Warn {
            test.set_system_out(format!("warning: {}", xml_text(&c.message)));
        }
        suite.add_test_case(test);
    }
    let mut junit = Report::new("squadsim conform");
    junit.add_test_suite(suite);
    junit.to_string().expect("a JUnit report of plain strings always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_failure_reads_as_the_report_line_it_becomes() {
        let hung = CheckFailure::NoAnswer {
            request: "POST /api/admin/agentsquad/runs".to_string(),
            error: HttpError::Timeout,
            hint: Some("a wrong project slug makes the launch hang on provisioning"),
        };
        assert_eq!(
            hung.to_string(),
            format!(
                "POST /api/admin/agentsquad/runs: {} (HTTP 000); a wrong project slug makes the launch hang on provisioning",
                HttpError::Timeout
            )
        );
        let status = CheckFailure::UnexpectedStatus {
            request: "GET /v1/studio/templates".to_string(),
            status: 200,
            expected: 404,
            excerpt: "[]".to_string(),
        };
        assert_eq!(status.to_string(), "GET /v1/studio/templates answered 200 (expected 404): []");
        assert_eq!(CheckFailure::mismatch("agent_roster is empty").to_string(), "agent_roster is empty");
    }

    #[test]
    fn a_path_parameter_is_a_whole_segment_whatever_its_name() {
        assert_eq!(path_shape("/v1/admin/studio/runs/{id}/execute"), "/v1/admin/studio/runs/{}/execute");
        assert_eq!(path_shape("/runs/{run_id}.json"), "/runs/{run_id}.json");
        assert_eq!(path_shape("/runs/v{n}"), "/runs/v{n}");
    }

    #[test]
    fn an_excerpt_is_the_trimmed_body_up_to_200_characters_then_an_ellipsis() {
        let answer = |text: String| Answer { status: 500, body: Value::Null, text, elapsed: Duration::ZERO };
        let exactly = "é".repeat(200);
        assert_eq!(answer(format!("  {exactly}\n")).excerpt(), exactly, "200 characters (not bytes) are kept whole");
        assert_eq!(answer(format!("{exactly}z")).excerpt(), format!("{exactly}…"));
    }
}
