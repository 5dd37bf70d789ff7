//! The GlitchTip fake against the official `sentry` crate (a client nobody
//! here wrote) over a real loopback socket: a project is provisioned through
//! the management API, the SDK sends an error to its DSN, and the event is
//! then listed as an issue by the management API.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use squadsim_fakes::clock::SystemClock;
use squadsim_fakes::glitchtip::{self, GlitchtipConfig, GlitchtipFake};

use crate::support::loopback;

const TOKEN: &str = "glitchtip-test-api-token";

async fn serve() -> (String, GlitchtipFake) {
    let (listener, base) = loopback().await;
    let config = GlitchtipConfig { base_url: base.clone(), seed: 3, ..GlitchtipConfig::default() };
    let fake = GlitchtipFake::new(config, Arc::new(SystemClock)).expect("config");
    let app = glitchtip::router(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (base, fake)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentry_sdk_event_becomes_an_issue() {
    let (base, fake) = serve().await;
    let http = reqwest::Client::new();

    let created: Value = http
        .post(format!("{base}/api/0/teams/yamon/platform/projects/"))
        .bearer_auth(TOKEN)
        .json(&json!({"name": "Sanmopia Backend", "platform": "rust"}))
        .send()
        .await
        .expect("provision")
        .json()
        .await
        .expect("project json");
    assert_eq!(created["slug"], "sanmopia-backend");
    let project_id = created["id"].as_str().expect("id").to_string();
    let keys: Value = http
        .get(format!("{base}/api/0/projects/yamon/sanmopia-backend/keys/"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("keys")
        .json()
        .await
        .expect("keys json");
    let dsn = keys[0]["dsn"]["public"].as_str().expect("dsn").to_string();
    assert!(dsn.ends_with(&format!("/{project_id}")), "{dsn}");

    // The SDK's transport is blocking (its own thread); keep it off the reactor.
    let event_id = tokio::task::spawn_blocking(move || {
        let mut options = sentry::ClientOptions::default();
        options.release = Some("sanmopia@1.0.0".into());
        let mut options = sentry::apply_defaults(options);
        options.dsn = Some(dsn.parse().expect("the DSN parses"));
        let client = Arc::new(sentry::Client::from(options));
        let hub = sentry::Hub::new(Some(client.clone()), Arc::new(sentry::Scope::default()));
        let error = std::io::Error::other("database connection refused");
        let id = hub.capture_error(&error);
        assert!(client.flush(Some(Duration::from_secs(10))), "the SDK delivered its queue");
        id
    })
    .await
    .expect("sdk thread");

    let url = format!("{base}/api/0/organizations/yamon/issues/?project={project_id}");
    let issues: Value =
        http.get(&url).bearer_auth(TOKEN).send().await.expect("issues").json().await.expect("issues json");
    let issues = issues.as_array().expect("list");
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert!(issues[0]["title"].as_str().expect("title").contains("database connection refused"));
    assert_eq!(issues[0]["count"], "1");
    assert_eq!(issues[0]["project"]["slug"], "sanmopia-backend");

    let issue_id = issues[0]["id"].as_str().expect("issue id");
    let latest: Value = http
        .get(format!("{base}/api/0/issues/{issue_id}/events/latest/"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("latest")
        .json()
        .await
        .expect("event json");
    assert_eq!(latest["eventID"], event_id.simple().to_string());
    assert_eq!(latest["release"], "sanmopia@1.0.0");
    assert_eq!(fake.event_count(), 1);

    let unauthenticated = http.get(&url).send().await.expect("request");
    assert_eq!(unauthenticated.status().as_u16(), 401);
}
