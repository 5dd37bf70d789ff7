//! The same fakes serve inside turmoil's simulated network: the routers mounted
//! with `serve_simulated` answer a client on another simulated host, with the
//! real services' auth refusals.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use squadsim_fakes::clock::FixedClock;
use squadsim_fakes::github::{self, GithubConfig, GithubFake};
use squadsim_fakes::glitchtip::{self, GlitchtipConfig, GlitchtipFake};
use squadsim_fakes::net::{serve_simulated, HttpClient, HttpRequest, MAX_IDLE_PER_HOST};

#[test]
fn github_and_glitchtip_answer_over_the_simulated_network() {
    let mut sim = turmoil::Builder::new().rng_seed(1).simulation_duration(Duration::from_secs(30)).build();
    let clock = Arc::new(FixedClock::new(1_780_963_200));
    let gh =
        GithubFake::new(GithubConfig { base_url: "http://github:80".into(), ..GithubConfig::default() }, clock.clone())
            .unwrap();
    let gt = GlitchtipFake::new(
        GlitchtipConfig { base_url: "http://glitchtip:80".into(), ..GlitchtipConfig::default() },
        clock,
    )
    .unwrap();
    sim.host("github", move || serve_simulated(github::router(gh.clone()), 80));
    sim.host("glitchtip", move || serve_simulated(glitchtip::router(gt.clone()), 80));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let out = seen.clone();
    sim.client("client", async move {
        let http = HttpClient::simulated(Duration::from_secs(5));
        let gh = http.send(HttpRequest::get("http://github:80/app").bearer("not-a-jwt")).await?;
        let gt = http.send(HttpRequest::get("http://glitchtip:80/api/0/organizations/yamon/issues/")).await?;
        out.lock().unwrap().push((gh.status.as_u16(), gh.json()));
        out.lock().unwrap().push((gt.status.as_u16(), gt.json()));
        Ok(())
    });
    sim.run().unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].0, 401, "GitHub refuses a token that is not a JWT: {:?}", seen[0].1);
    assert!(seen[0].1.get("message").is_some() && seen[0].1.get("documentation_url").is_some(), "{:?}", seen[0].1);
    assert_eq!(seen[1].0, 401, "the GlitchTip management API needs a bearer token: {:?}", seen[1].1);
}

/// A simulation from `builder` (seeded by its caller; 100 ms ticks) whose host `glitchtip` serves the
/// GlitchTip fake on port 80.
fn serving_glitchtip(builder: &mut turmoil::Builder) -> turmoil::Sim<'static> {
    let mut sim = builder.tick_duration(Duration::from_millis(100)).build();
    let gt = GlitchtipFake::new(
        GlitchtipConfig { base_url: "http://glitchtip:80".into(), ..GlitchtipConfig::default() },
        Arc::new(FixedClock::new(1_780_963_200)),
    )
    .unwrap();
    sim.host("glitchtip", move || serve_simulated(glitchtip::router(gt.clone()), 80));
    sim
}

#[test]
fn a_recording_client_records_each_exchange_in_simulated_time_and_a_partition_as_no_status() {
    use squadsim_fakes::net::CallRecorder;
    let mut sim = serving_glitchtip(turmoil::Builder::new().rng_seed(1).simulation_duration(Duration::from_secs(30)));
    let recorder = CallRecorder::new();
    let http = HttpClient::simulated(Duration::from_secs(2)).recording(&recorder, "client");
    sim.client("client", async move {
        http.send(HttpRequest::get("http://glitchtip:80/api/0/organizations/yamon/issues/?query=x")).await?;
        tokio::time::sleep(Duration::from_secs(5)).await;
        // Partitioned meanwhile (below): no response.
        assert!(http.send(HttpRequest::get("http://glitchtip:80/api/0/")).await.is_err());
        Ok(())
    });
    let mut partitioned = false;
    while !sim.step().unwrap() {
        if !partitioned && sim.elapsed() >= Duration::from_secs(3) {
            sim.partition("client", "glitchtip");
            partitioned = true;
        }
    }
    let calls = recorder.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    let first = &calls[0];
    assert_eq!(
        (first.from.as_str(), first.to.as_str(), first.method.as_str(), first.path.as_str(), first.status),
        ("client", "glitchtip", "GET", "/api/0/organizations/yamon/issues/", Some(401))
    );
    assert!(first.end > first.start && first.end < Duration::from_secs(1), "{first:?}");
    let second = &calls[1];
    assert_eq!(second.status, None, "a partitioned exchange has no status: {second:?}");
    assert!(second.end - second.start <= Duration::from_secs(2), "it ends by the client's timeout: {second:?}");
    assert!(second.start >= Duration::from_secs(5), "{second:?}");
}

/// A tiny service on `host`, port 80, answering `GET /ping` with `pong`.
fn ping_host(sim: &mut turmoil::Sim<'_>, host: &str) {
    sim.host(host, || {
        let router = axum::Router::new().route("/ping", axum::routing::get(|| async { "pong" }));
        serve_simulated(router, 80)
    });
}

fn ping_sim() -> turmoil::Sim<'static> {
    turmoil::Builder::new()
        .rng_seed(1)
        .tick_duration(Duration::from_millis(100))
        .simulation_duration(Duration::from_secs(60))
        .build()
}

#[test]
fn a_client_keeps_its_connection_alive_and_a_second_exchange_costs_a_round_trip_not_a_connect() {
    use squadsim_fakes::net::CallRecorder;
    let mut sim = ping_sim();
    ping_host(&mut sim, "server");
    let recorder = CallRecorder::new();
    let http = HttpClient::simulated(Duration::from_secs(5)).recording(&recorder, "client");
    let open = Arc::new(Mutex::new(Vec::new()));
    let seen = open.clone();
    sim.client("client", async move {
        for _ in 0..3 {
            let r = http.send(HttpRequest::get("http://server:80/ping")).await?;
            assert_eq!(r.text(), "pong");
            seen.lock().unwrap().push(turmoil::established_tcp_stream_count());
        }
        Ok(())
    });
    sim.run().unwrap();
    assert_eq!(*open.lock().unwrap(), [1, 1, 1], "one connection, kept open and reused");
    let calls = recorder.calls();
    let took: Vec<Duration> = calls.iter().map(|c| c.end - c.start).collect();
    assert!(took[1] < took[0] && took[2] == took[1], "a connect costs two messages more: {took:?}");
}

/// hyper's HTTP/1 buffers start at 1 KiB (vendor/hyper/PATCHED.md) and grow as
/// upstream's do: a head and a body many times that size arrive whole both ways,
/// and a second exchange on the same connection, after its read buffer grew,
/// too.
#[test]
fn heads_and_bodies_larger_than_the_first_buffers_arrive_whole() {
    use axum::http::HeaderMap;
    let mut sim = ping_sim();
    sim.host("server", || {
        let echo = |headers: HeaderMap, body: axum::body::Bytes| async move {
            let marker = headers.get("x-marker").cloned().unwrap_or(axum::http::HeaderValue::from_static(""));
            ([("x-marker", marker)], body)
        };
        serve_simulated(axum::Router::new().route("/echo", axum::routing::post(echo)), 80)
    });
    let seen = Arc::new(Mutex::new(Vec::new()));
    let out = seen.clone();
    sim.client("client", async move {
        let http = HttpClient::simulated(Duration::from_secs(5));
        for (marker_len, body_len) in [(6 * 1024, 300 * 1024), (100, 10), (3 * 1024, 2 * 1024 * 1024)] {
            let marker: String = (0..marker_len).map(|i| (b'a' + (i % 26) as u8) as char).collect();
            let body: Vec<u8> = (0..body_len).map(|i| (i % 251) as u8).collect();
            let mut request = HttpRequest::post("http://server:80/echo").header("x-marker", marker.clone());
            request.body = body.clone().into();
            let answer = http.send(request).await?;
            let echoed = answer.headers.get("x-marker").map(|v| v.as_bytes().to_vec()).unwrap_or_default();
            let connections = turmoil::established_tcp_stream_count();
            out.lock().unwrap().push((
                answer.status.as_u16(),
                echoed == marker.as_bytes(),
                answer.body.as_ref() == body,
                connections,
            ));
        }
        Ok(())
    });
    sim.run().unwrap();
    // Status, head echoed whole, body echoed whole, connections open: one for all three.
    assert_eq!(*seen.lock().unwrap(), [(200, true, true, 1); 3]);
}

#[test]
fn a_kept_connection_to_a_host_that_crashed_is_not_reused() {
    let mut sim = ping_sim();
    ping_host(&mut sim, "server");
    let answers = Arc::new(Mutex::new(Vec::new()));
    let out = answers.clone();
    sim.client("client", async move {
        let http = HttpClient::simulated(Duration::from_secs(5));
        let first = http.send(HttpRequest::get("http://server:80/ping")).await.map(|r| r.text());
        out.lock().unwrap().push(first);
        // The server crashes at 2 s and is back at 4 s: the kept connection is gone with it.
        tokio::time::sleep(Duration::from_secs(6)).await;
        let second = http.send(HttpRequest::get("http://server:80/ping")).await.map(|r| r.text());
        out.lock().unwrap().push(second);
        Ok(())
    });
    let (mut crashed, mut restarted) = (false, false);
    while !sim.step().unwrap() {
        if !crashed && sim.elapsed() >= Duration::from_secs(2) {
            sim.crash("server");
            crashed = true;
        }
        if !restarted && sim.elapsed() >= Duration::from_secs(4) {
            sim.bounce("server");
            restarted = true;
        }
    }
    assert_eq!(*answers.lock().unwrap(), [Ok("pong".to_string()), Ok("pong".to_string())]);
}

/// A host on port 80 whose `GET /hang` never answers and `GET /ping` says `pong`.
fn hanging_host(sim: &mut turmoil::Sim<'_>, host: &str) {
    sim.host(host, || {
        let router = axum::Router::new()
            .route("/ping", axum::routing::get(|| async { "pong" }))
            .route("/hang", axum::routing::get(std::future::pending::<&'static str>));
        serve_simulated(router, 80)
    });
}

#[test]
fn every_call_is_recorded_when_sent_and_ends_with_how_and_when_its_caller_stopped_waiting() {
    use squadsim_fakes::net::{CallEnd, CallRecorder};
    let mut sim = ping_sim();
    hanging_host(&mut sim, "server");
    sim.host("nowhere", || async { std::future::pending::<Result<(), Box<dyn std::error::Error>>>().await });
    let recorder = CallRecorder::new();
    let http = HttpClient::simulated(Duration::from_secs(10)).recording(&recorder, "client");
    sim.client("client", async move {
        // Answered.
        http.send(HttpRequest::get("http://server:80/ping")).await?;
        // No answer within the client's own 10 s timeout.
        assert!(http.send(HttpRequest::get("http://server:80/hang")).await.is_err());
        // The caller's shorter bound (the workspace shim's 5 s skill pull): the send is dropped.
        let bounded =
            tokio::time::timeout(Duration::from_secs(5), http.send(HttpRequest::get("http://server:80/hang")));
        assert!(bounded.await.is_err());
        // Refused at once: the other side of a partition.
        assert!(http.send(HttpRequest::get("http://nowhere:80/ping")).await.is_err());
        // The world runs on while the other caller crashes, comes back and waits.
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok(())
    });
    // A caller whose host crashes at 30 s while it waits, and one still waiting when the run ends.
    let patient = HttpClient::simulated(Duration::from_secs(3600)).recording(&recorder, "caller");
    sim.host("caller", move || {
        let http = patient.clone();
        async move {
            let first_life = turmoil::sim_elapsed().unwrap_or_default() < Duration::from_secs(30);
            tokio::time::sleep(Duration::from_secs(1)).await;
            let path = if first_life { "hang" } else { "ping" };
            let _ = http.send(HttpRequest::get(format!("http://server:80/{path}"))).await;
            let _ = http.send(HttpRequest::get("http://server:80/hang")).await;
            Ok(())
        }
    });
    sim.partition("client", "nowhere");
    let (mut crashed, mut restarted) = (false, false);
    while !sim.step().unwrap() {
        if !crashed && sim.elapsed() >= Duration::from_secs(30) {
            sim.crash("caller");
            crashed = true;
        }
        if crashed && !restarted && sim.elapsed() >= Duration::from_secs(31) {
            sim.bounce("caller");
            restarted = true;
        }
    }
    let calls = recorder.calls();
    let ends: Vec<(&str, &str, CallEnd, Option<u16>)> =
        calls.iter().map(|c| (c.from.as_str(), c.path.as_str(), c.ended, c.status)).collect();
    assert_eq!(
        ends,
        [
            ("client", "/ping", CallEnd::Answered, Some(200)),
            ("client", "/hang", CallEnd::TimedOut, None),
            ("caller", "/hang", CallEnd::GaveUp, None),
            ("client", "/hang", CallEnd::GaveUp, None),
            ("client", "/ping", CallEnd::Broken, None),
            ("caller", "/ping", CallEnd::Answered, Some(200)),
            ("caller", "/hang", CallEnd::Unfinished, None),
        ],
        "in send order: {calls:#?}"
    );
    let waited: Vec<Duration> = calls.iter().map(|c| c.end - c.start).collect();
    assert_eq!(waited[1], Duration::from_secs(10), "the client's timeout: {calls:#?}");
    assert!(calls[2].end >= Duration::from_secs(30) && calls[2].end < Duration::from_secs(31), "the crash: {calls:#?}");
    assert_eq!(waited[3], Duration::from_secs(5), "the moment the caller gave up: {calls:#?}");
    assert!(waited[4] < Duration::from_secs(1), "refused at once: {calls:#?}");
    assert_eq!(calls[6].end, calls[6].start, "an unfinished call has not ended: {calls:#?}");
    drop(sim);
    assert_eq!(recorder.calls()[6].ended, CallEnd::Unfinished, "tearing the world down is not the caller giving up");
}

/// A host answering `pong` on port 80 to any request, counting the connections it accepts.
fn counting_host(sim: &mut turmoil::Sim<'_>, host: &str, accepted: &Arc<AtomicUsize>) {
    let accepted = accepted.clone();
    sim.host(host, move || {
        let accepted = accepted.clone();
        async move {
            let listener = turmoil::net::TcpListener::bind(("0.0.0.0", 80)).await?;
            loop {
                let (stream, _) = listener.accept().await?;
                accepted.fetch_add(1, Ordering::Relaxed);
                let pong = hyper::service::service_fn(|_| async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(http_body_util::Full::new(
                        bytes::Bytes::from_static(b"pong"),
                    )))
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(io, pong));
            }
        }
    });
}

/// `BURST` concurrent `GET /ping`s from `http`, each answered `pong`.
async fn burst(http: &HttpClient) {
    let calls: Vec<_> = (0..BURST)
        .map(|_| {
            let http = http.clone();
            tokio::spawn(async move { http.send(HttpRequest::get("http://server:80/ping")).await.map(|r| r.text()) })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap(), "pong");
    }
}

/// More concurrent exchanges to one host than the client keeps idle
/// ([`MAX_IDLE_PER_HOST`]), fewer than turmoil's 64 un-accepted connections per listener.
const BURST: usize = MAX_IDLE_PER_HOST + 8;

/// What `client` sees of a server that counts the connections it accepts: at
/// each call of its `note`, (connections accepted so far, connections open).
fn connections_seen<F, Fut>(client: F) -> Vec<(usize, usize)>
where
    F: FnOnce(HttpClient, Box<dyn Fn()>) -> Fut,
    Fut: std::future::Future<Output = turmoil::Result> + 'static,
{
    let mut sim = ping_sim();
    let accepted = Arc::new(AtomicUsize::new(0));
    counting_host(&mut sim, "server", &accepted);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let out = seen.clone();
    let note = Box::new(move || {
        out.lock().unwrap().push((accepted.load(Ordering::Relaxed), turmoil::established_tcp_stream_count()))
    });
    sim.client("client", client(HttpClient::simulated(Duration::from_secs(5)), note));
    sim.run().unwrap();
    let seen = seen.lock().unwrap().clone();
    seen
}

#[test]
fn a_burst_past_the_idle_bound_keeps_that_many_connections_and_the_next_burst_opens_the_rest() {
    let seen = connections_seen(|http, note| async move {
        for _ in 0..2 {
            burst(&http).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            note();
        }
        Ok(())
    });
    assert_eq!(
        seen,
        [(BURST, MAX_IDLE_PER_HOST), (2 * BURST - MAX_IDLE_PER_HOST, MAX_IDLE_PER_HOST)],
        "(accepted so far, open after the burst): the second burst reused the kept connections and opened the rest"
    );
}

#[test]
fn connections_idle_past_the_reuse_bound_are_all_dropped_when_the_client_comes_back() {
    use squadsim_fakes::net::MAX_IDLE;
    let seen = connections_seen(|http, note| async move {
        burst(&http).await;
        // Past the client's reuse bound.
        tokio::time::sleep(MAX_IDLE + Duration::from_secs(1)).await;
        note();
        for _ in 0..2 {
            assert_eq!(http.send(HttpRequest::get("http://server:80/ping")).await?.text(), "pong");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        note();
        Ok(())
    });
    assert_eq!(
        seen,
        [(BURST, MAX_IDLE_PER_HOST), (BURST + 1, 1)],
        "(accepted so far, open): after the pause one new connection, the stale ones closed"
    );
}

/// A fake's answer is dated by the simulated clock, as a real server dates its
/// answers by its own (RFC 9110 6.6.1): the machine running the simulation never
/// shows on the simulated wire.
#[test]
fn answers_are_dated_by_the_simulated_clock_never_the_machines() {
    let epoch = std::time::UNIX_EPOCH + Duration::from_secs(1_780_963_200);
    let mut sim = serving_glitchtip(
        turmoil::Builder::new().rng_seed(1).epoch(epoch).simulation_duration(Duration::from_secs(7200)),
    );
    let dates = Arc::new(Mutex::new(Vec::new()));
    let seen = dates.clone();
    sim.client("client", async move {
        let http = HttpClient::simulated(Duration::from_secs(2));
        for wait in [0, 7, 3600] {
            tokio::time::sleep(Duration::from_secs(wait)).await;
            let answer = http.send(HttpRequest::get("http://glitchtip:80/api/0/")).await?;
            let date =
                answer.headers.get_all("date").iter().map(|d| d.to_str().unwrap().to_string()).collect::<Vec<_>>();
            seen.lock().unwrap().push((turmoil::since_epoch().unwrap(), date));
        }
        Ok(())
    });
    sim.run().unwrap();
    let dates = dates.lock().unwrap();
    assert_eq!(dates.len(), 3);
    for (now, date) in dates.iter() {
        // One `Date` a response, of the second the answer was written in (a tick or two before it was read).
        assert_eq!(date.len(), 1, "{date:?}");
        let sent = httpdate::parse_http_date(&date[0]).unwrap();
        let read = std::time::UNIX_EPOCH + *now;
        assert!(
            sent <= read && read.duration_since(sent).unwrap() < Duration::from_secs(2),
            "{date:?} read at {read:?}"
        );
    }
    assert_eq!(dates[0].1[0], "Tue, 09 Jun 2026 00:00:00 GMT");
}

/// The digest of a recorded exchange of one simulation whose server answers
/// `x-build: <build>` and `body`.
fn exchange_digest(build: &'static str, body: &'static str) -> squadsim_fakes::net::ExchangeDigest {
    use squadsim_fakes::net::CallRecorder;
    let mut sim = turmoil::Builder::new().rng_seed(1).simulation_duration(Duration::from_secs(30)).build();
    sim.host("server", move || {
        let route = axum::routing::post(move || async move { ([("x-build", build)], body) });
        serve_simulated(axum::Router::new().route("/v1/thing", route), 80)
    });
    let recorder = CallRecorder::new();
    let http = HttpClient::simulated(Duration::from_secs(2)).recording(&recorder, "client");
    sim.client("client", async move {
        http.send(HttpRequest::post("http://server:80/v1/thing?a=1").json(&serde_json::json!({"k": "v"}))).await?;
        Ok(())
    });
    sim.run().unwrap();
    let calls = recorder.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    calls[0].digest
}

/// A recorded exchange carries digests of every byte the client saw, by part, so the
/// determinism check compares the wire and says where two runs' bytes differ: the
/// same exchange gives the same digests in every simulation; a response header byte
/// changes the response head's alone, a body byte the body's alone.
#[test]
fn a_recorded_exchange_is_digested_byte_for_byte_by_part() {
    let same = exchange_digest("a", "{\"ok\":true}");
    assert_eq!(exchange_digest("a", "{\"ok\":true}"), same);
    let (head, body) = same.response.expect("answered");
    let header = exchange_digest("b", "{\"ok\":true}");
    assert_eq!((header.request, header.response.map(|r| r.1)), (same.request, Some(body)));
    assert_ne!(header.response.map(|r| r.0), Some(head), "a header byte");
    // A body of the same length (its content-length, in the head, the same).
    let changed = exchange_digest("a", "{\"no\":true}");
    assert_eq!((changed.request, changed.response.map(|r| r.0)), (same.request, Some(head)));
    assert_ne!(changed.response.map(|r| r.1), Some(body), "a body byte");
    assert_eq!(same.to_string(), format!("request {:016x}, response head {head:016x}, body {body:016x}", same.request));
}
