//! `squadsim serve` as a person uses it: the binary, real loopback sockets, the
//! printed URLs and credentials, a whole intake run in real time, and Ctrl-C.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::support;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use squadsim::base::topology::Host;
use squadsim::tools::serve::{self, ServeProcess};
use squadsim_fakes::net::{HttpClient, HttpRequest, HttpResponse, Transport};

const CLAIMS: [(&str, &str); 2] =
    [("x-pomerium-claim-email", "oncall@yamon.io"), ("x-pomerium-claim-groups", "/org/platform/roles/super_admin")];

fn admin(mut r: HttpRequest) -> HttpRequest {
    for (name, value) in CLAIMS {
        r = r.header(name, value);
    }
    r
}

async fn send(client: &HttpClient, request: HttpRequest) -> HttpResponse {
    let what = format!("{} {}", request.method, request.url);
    client.send(request).await.unwrap_or_else(|e| panic!("{what}: {e}"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An RS256 App JWT signed with the printed private key (as octocrab would make it).
fn app_jwt(key_path: &str, app_id: u64) -> String {
    let pem = std::fs::read(key_path).unwrap_or_else(|e| panic!("{key_path}: {e}"));
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&pem).unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let claims = json!({"iss": app_id.to_string(), "iat": now - 60, "exp": now + 540});
    jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256), &claims, &key).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prints_urls_and_credentials_and_runs_an_intake_on_loopback() {
    let studio_port = free_port();
    let binary = Path::new(env!("CARGO_BIN_EXE_squadsim"));
    let mut served =
        ServeProcess::spawn(binary, &["--port", &format!("studio={studio_port}")], Duration::from_secs(60)).unwrap();
    let banner = served.banner.clone();
    let client = HttpClient::new(Transport::Loopback, Duration::from_secs(10));

    // The first line: every service's URL on 127.0.0.1 (the default world has every one), an explicit port honoured.
    let mut hosts: Vec<&str> =
        banner.as_object().unwrap().keys().map(String::as_str).filter(|k| *k != "credentials").collect();
    hosts.sort_unstable();
    let mut services: Vec<&str> = Host::SERVICES.iter().map(|h| h.name()).collect();
    services.sort_unstable();
    assert_eq!(hosts, services, "{banner}");
    for host in hosts {
        assert!(served.url(host).starts_with("http://127.0.0.1:"), "{host}: {banner}");
    }
    let studio = served.url("studio");
    assert_eq!(studio, format!("http://127.0.0.1:{studio_port}"));
    let daytona = served.url("daytona");
    assert!(daytona.ends_with("/api"), "Daytona's base is the SDK's DAYTONA_API_URL: {daytona}");
    let creds = &banner["credentials"];

    // Studio: health is public, admin endpoints refuse without the claim headers.
    let health = send(&client, HttpRequest::get(format!("{studio}/healthz"))).await;
    assert_eq!((health.status.as_u16(), health.json()), (200, json!({"status": "ok"})));
    let templates = format!("{studio}/v1/admin/studio/templates");
    assert_eq!(send(&client, HttpRequest::get(&templates)).await.status.as_u16(), 401);
    assert_eq!(send(&client, admin(HttpRequest::get(&templates))).await.status.as_u16(), 200);

    // Daytona: the printed API key opens /api/users/me.
    let me = format!("{daytona}/users/me");
    assert_eq!(send(&client, HttpRequest::get(&me)).await.status.as_u16(), 401);
    let key = creds["daytona"]["api_key"].as_str().unwrap();
    assert_eq!(send(&client, HttpRequest::get(&me).bearer(key)).await.status.as_u16(), 200);

    // ContextForge: the printed JWT (an agent identity) lists the federated HUD tools.
    let identity = creds["contextforge"]["identity"].as_str().unwrap();
    let (projcode, rest) = identity.split_once('.').unwrap();
    assert_eq!(projcode, "sanm");
    assert!(rest.ends_with("@yamon.io") && rest.contains('-'), "<projcode>.<nickname>@yamon.io: {identity}");
    let tools_url = format!("{}/tools", served.url("contextforge"));
    assert_eq!(send(&client, HttpRequest::get(&tools_url)).await.status.as_u16(), 401);
    let token = creds["contextforge"]["token"].as_str().unwrap();
    // It lasts one working session, 8 hours, to the printed expiry.
    let payload = URL_SAFE_NO_PAD.decode(token.split('.').nth(1).expect("a JWT's payload")).unwrap();
    let claims: Value = serde_json::from_slice(&payload).unwrap();
    let (iat, exp) = (claims["iat"].as_u64().unwrap(), claims["exp"].as_u64().unwrap());
    assert_eq!(exp - iat, 8 * 3600, "{claims}");
    assert_eq!(creds["contextforge"]["expires_at"], squadsim_fakes::clock::iso8601(exp));
    let tools = send(&client, HttpRequest::get(&tools_url).bearer(token)).await;
    assert_eq!(tools.status.as_u16(), 200, "{}", tools.text());
    assert!(tools.text().contains("yamon-fractalops-hud-"), "the grids are registered before the first line");

    // GitHub: an App JWT from the printed key mints an installation token.
    let gh = &creds["github"];
    let app_id = gh["app_id"].as_u64().unwrap();
    let installation = gh["installation_id"].as_u64().unwrap();
    assert_eq!((app_id, installation), (3_249_317, 120_794_317));
    let access = format!("{}/app/installations/{installation}/access_tokens", served.url("github"));
    assert_eq!(send(&client, HttpRequest::post(&access)).await.status.as_u16(), 401);
    let jwt = app_jwt(gh["private_key_path"].as_str().unwrap(), app_id);
    let minted = send(&client, HttpRequest::post(&access).bearer(&jwt)).await;
    assert_eq!(minted.status.as_u16(), 201, "{}", minted.text());
    assert!(minted.json()["token"].as_str().unwrap().starts_with("ghs_"));

    // GlitchTip: the DSN points at the fake; the management API wants the token.
    let gt = &creds["glitchtip"];
    let glitchtip = served.url("glitchtip");
    let dsn = gt["dsn"].as_str().unwrap();
    assert!(dsn.contains(glitchtip.trim_start_matches("http://")), "{dsn}");
    let orgs = format!("{glitchtip}/api/0/organizations/");
    assert_eq!(send(&client, HttpRequest::get(&orgs)).await.status.as_u16(), 401);
    let api_token = gt["api_token"].as_str().unwrap();
    assert_eq!(send(&client, HttpRequest::get(&orgs).bearer(api_token)).await.status.as_u16(), 200);

    // A whole intake run through the Studio API, in real time (~6 s launch).
    let launch = admin(HttpRequest::post(format!("{studio}/v1/admin/studio/runs"))).json(&json!({
        "template_id": "agentsquad",
        "project_slug": "sanmopia-modernization",
        "runtime_kind": "project_delivery",
        "work_scope": "serve test",
        "next_goal": "first tool call",
    }));
    let launched = send(&client.with_timeout(Duration::from_secs(30)), launch).await;
    assert_eq!(launched.status.as_u16(), 200, "{}", launched.text());
    let run_id = launched.json()["run_id"].as_str().unwrap().to_string();
    let run = |suffix: &str| format!("{studio}/v1/admin/studio/runs/{run_id}{suffix}?tenant_id=default");
    let executed = send(&client, admin(HttpRequest::post(run("/execute")))).await;
    assert_eq!(executed.json()["status"], "scheduled");
    let deadline = Instant::now() + Duration::from_secs(90);
    let statuses = loop {
        let state = send(&client, admin(HttpRequest::get(run("/session-state")))).await.json();
        let statuses: Vec<Value> =
            state["sessions"].as_array().unwrap().iter().map(|s| s["live_status"].clone()).collect();
        let intake: Vec<&Value> = state["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| matches!(s["role_id"].as_str(), Some("planner" | "curator")))
            .map(|s| &s["live_status"])
            .collect();
        if intake.len() == 2 && intake.iter().all(|s| *s == "session_completed") {
            break statuses;
        }
        assert!(Instant::now() < deadline, "intake did not complete in 90 s: {state}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(!statuses.is_empty());

    // Ctrl-C stops it cleanly.
    let interrupted = std::process::Command::new("kill").arg("-INT").arg(served.id().to_string()).status().unwrap();
    assert!(interrupted.success());
    let status = served.wait(Duration::from_secs(10)).expect("serve did not stop on Ctrl-C");
    assert!(status.success(), "{status:?}");
    // Exited and reaped: the process is gone, not a zombie (nor still running).
    let pid = served.id();
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "serve (pid {pid}) is still there after its exit status");
}

/// Runs `squadsim serve` with `args`, which it must refuse: exit 2 and nothing on
/// stdout (nothing served, no URLs announced). Its stderr.
fn serve_refused(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_squadsim")).arg("serve").args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "serve {args:?}");
    assert!(out.stdout.is_empty(), "serve {args:?}: nothing on stdout before every listener is bound");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_port_in_use_is_a_usage_error_naming_the_flag() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = serve_refused(&["--port", &format!("studio={port}")]);
    assert!(err.contains("--port studio="), "{err}");
}

#[test]
fn an_unknown_host_or_a_bad_port_is_refused_by_the_parser() {
    for (bad, says) in [
        ("nosuch=1", "unknown host \"nosuch\": the hosts are studio, daytona, contextforge, fractalops-hud,"),
        ("operator=1", "unknown host \"operator\""),
        ("studio", "\"studio\" is not HOST=PORT (e.g. studio=18088)"),
        ("studio=99999", "\"99999\" is not a port number (0-65535)"),
    ] {
        let err = serve_refused(&["--port", bad]);
        assert!(err.contains(says), "--port {bad}: {err}");
    }
}

#[test]
fn each_service_listens_by_default_on_the_port_serve_help_lists() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_squadsim")).args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    let listed = help.split("Default ports, of each service the world has: ").nth(1).expect(&help);
    let listed: Vec<(&str, u16)> = listed
        .split('.')
        .next()
        .unwrap()
        .split(',')
        .map(|pair| pair.split_whitespace().collect::<Vec<_>>())
        .map(|pair| (pair[0], pair[1].parse().unwrap_or_else(|e| panic!("{pair:?}: {e}"))))
        .collect();
    let defaults: Vec<(&str, u16)> = Host::SERVICES.iter().map(|h| (h.name(), serve::default_port(*h))).collect();
    assert_eq!(listed, defaults);
    let mut ports: Vec<u16> = defaults.iter().map(|(_, p)| *p).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), Host::SERVICES.len(), "two services on one port: {defaults:?}");
}

#[test]
fn a_host_given_two_ports_is_refused_before_anything_is_bound() {
    let err = serve_refused(&["--port", "github=0", "--port", "studio=0", "--port", "studio=18089"]);
    assert!(err.contains("--port given twice for studio (studio=0 and studio=18089)"), "{err}");
}

#[tokio::test]
async fn a_scenarios_operator_is_who_the_printed_claim_headers_name() {
    // operator-not-super-admin's operator is contractor@yamon.io, a member only; serve prints headers that work:
    // the scenario's email, with the super_admin group.
    let world = support::corpus_file("operator-not-super-admin.yaml");
    let binary = Path::new(env!("CARGO_BIN_EXE_squadsim"));
    let served =
        ServeProcess::spawn(binary, &["--scenario", world.to_str().unwrap()], Duration::from_secs(60)).unwrap();
    let headers = &served.banner["credentials"]["studio"]["headers"];
    assert_eq!(headers["x-pomerium-claim-email"], "contractor@yamon.io", "{headers}");
    assert_eq!(headers["x-pomerium-claim-groups"], "/org/platform/roles/super_admin", "{headers}");
    let client = HttpClient::new(Transport::Loopback, Duration::from_secs(10));
    let mut templates = HttpRequest::get(format!("{}/v1/admin/studio/templates", served.url("studio")));
    for (name, value) in headers.as_object().unwrap() {
        templates = templates.header(name.as_str(), value.as_str().unwrap());
    }
    assert_eq!(send(&client, templates).await.status.as_u16(), 200);
    // Dropping the handle kills and reaps the child.
    let pid = served.id();
    drop(served);
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "serve (pid {pid}) outlived its handle");
}

#[test]
fn a_child_that_does_not_print_the_banner_is_an_error_saying_what_came_instead() {
    let shell = |script: &str| {
        let mut command = std::process::Command::new("sh");
        command.args(["-c", script]);
        command
    };
    let error = |started: Result<ServeProcess, serve::ServeProcessError>| started.err().expect("no banner").to_string();
    let not_json = error(ServeProcess::start(shell("echo not json"), Duration::from_secs(10)));
    assert!(
        not_json.starts_with("the first line is not JSON (") && not_json.ends_with(r#"): "not json\n""#),
        "{not_json}"
    );
    let silent = error(ServeProcess::start(shell("exec sleep 30"), Duration::from_millis(300)));
    assert_eq!(silent, "no first line within 300ms");
    let missing = error(ServeProcess::spawn(Path::new("/nonexistent/squadsim"), &[], Duration::from_secs(1)));
    assert!(missing.starts_with("cannot start \"/nonexistent/squadsim\" \"serve\""), "{missing}");
}

#[test]
fn a_scenario_that_does_not_load_is_a_usage_error() {
    let err = serve_refused(&["--scenario", "/nonexistent/world.yaml"]);
    assert!(err.contains("/nonexistent/world.yaml"), "{err}");
}

/// `squadsim serve` under `ulimit -n 64`, its stderr in `log`.
fn serve_with_few_file_descriptors(log: &Path) -> ServeProcess {
    let mut command = std::process::Command::new("sh");
    command
        .arg("-c")
        .arg("ulimit -n 64 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_squadsim"))
        .args(ServeProcess::args(&[]))
        .stderr(std::fs::File::create(log).unwrap());
    ServeProcess::start(command, Duration::from_secs(60)).unwrap()
}

/// `GET /healthz` on a fresh connection: the first line of the answer.
fn healthz(addr: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer.lines().next().unwrap_or_default().to_string())
}

#[test]
fn a_listener_keeps_accepting_after_file_descriptors_run_out() {
    let log = std::env::temp_dir().join(format!("squadsim-serve-emfile-{}.log", std::process::id()));
    let served = serve_with_few_file_descriptors(&log);
    let addr = served.url("studio").trim_start_matches("http://").to_string();
    assert_eq!(healthz(&addr).unwrap(), "HTTP/1.1 200 OK");

    // Hold more connections than the process has descriptors: accept() fails with EMFILE.
    let held: Vec<std::net::TcpStream> = (0..100).filter_map(|_| std::net::TcpStream::connect(&addr).ok()).collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    let logged = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("accept failed") || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(logged.contains("accept failed (Too many open files"), "{} held; log:\n{logged}", held.len());
    drop(held);

    // Once they are released, the same listener answers again.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match healthz(&addr) {
            Ok(line) if line == "HTTP/1.1 200 OK" => break,
            other => assert!(Instant::now() < deadline, "the listener did not come back: {other:?}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = std::fs::remove_file(&log);
}

#[test]
fn the_python_client_suite_gives_every_served_host_a_free_port() {
    // clients/python/conftest.py starts `squadsim serve` with `--port HOST=0` for the
    // hosts it lists; a host it leaves out listens on its default port, which the
    // suite's second server then finds taken (how msgraph's 18443 broke it once).
    let conftest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/python/conftest.py"))
        .expect("clients/python/conftest.py");
    let listed = conftest.split("HOSTS = [").nth(1).and_then(|rest| rest.split(']').next()).expect("a HOSTS list");
    let mut listed: Vec<&str> =
        listed.split(',').map(|h| h.trim().trim_matches('"')).filter(|h| !h.is_empty()).collect();
    let mut served: Vec<String> =
        ServeProcess::args(&[]).iter().filter_map(|arg| arg.strip_suffix("=0").map(str::to_string)).collect();
    listed.sort_unstable();
    served.sort_unstable();
    assert_eq!(listed, served, "clients/python/conftest.py's HOSTS against `squadsim serve`'s hosts");
}
