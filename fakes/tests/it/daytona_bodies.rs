//! Bad input against the Daytona fake: any request body (malformed JSON, wrong
//! types, missing fields, huge bodies) on any endpoint that takes one gets
//! Daytona's error status and `{path, timestamp, statusCode, error, message}`
//! shape, never a panic or a 5xx.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::Router;
use proptest::prelude::*;
use serde_json::{json, Value};
use squadsim_fakes::clock::FixedClock;
use squadsim_fakes::daytona::{Daytona, DaytonaConfig, EchoShell};

use crate::support::{block_on, bodies, json_request, respond};

const KEY: &str = "dtn_squadsim_api_key";

async fn send(app: &Router, method: Method, uri: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let (status, _, v) = respond(app, json_request(method, uri, Some(KEY), body)).await;
    (status, v)
}

/// A fake with one started sandbox `sbx` and a process session `s`.
async fn fake() -> Router {
    let config = DaytonaConfig { start_seconds: 0, ..DaytonaConfig::default() };
    let daytona = Daytona::new(config, Arc::new(EchoShell), Arc::new(FixedClock::new(1_780_963_200)));
    let app = daytona.router();
    send(&app, Method::POST, "/api/sandbox", json!({"name": "sbx"}).to_string().into_bytes()).await;
    for _ in 0..10 {
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let id = daytona.sandboxes()[0].id.clone();
    assert_eq!(daytona.sandboxes()[0].state, squadsim_fakes::daytona::SandboxState::Started);
    let (status, _) =
        send(&app, Method::POST, &format!("/toolbox/{id}/process/session"), br#"{"sessionId":"s"}"#.to_vec()).await;
    assert_eq!(status, StatusCode::CREATED);
    app
}

/// The fields Daytona's request bodies hold.
const NAMES: &[&str] = &["name", "env", "labels", "volumes", "command", "sessionId", "runAsync"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_body_gets_a_daytona_answer(body in bodies(NAMES), endpoint in 0usize..11) {
        block_on(async {
            let app = fake().await;
            let (method, uri) = match endpoint {
                0 => (Method::POST, "/api/sandbox".to_string()),
                1 => (Method::POST, "/toolbox/sbx-00000001/process/execute".to_string()),
                2 => (Method::POST, "/toolbox/sbx-00000001/process/session".to_string()),
                3 => (Method::POST, "/toolbox/sbx-00000001/process/session/s/exec".to_string()),
                4 => (Method::POST, "/api/sandbox/sbx/ssh-access".to_string()),
                5 => (Method::POST, "/toolbox/sbx-00000001/git/clone".to_string()),
                6 => (Method::POST, "/toolbox/sbx-00000001/git/add".to_string()),
                7 => (Method::POST, "/toolbox/sbx-00000001/git/commit".to_string()),
                8 => (Method::POST, "/toolbox/sbx-00000001/git/branches".to_string()),
                9 => (Method::POST, "/toolbox/sbx-00000001/git/checkout".to_string()),
                _ => (Method::PATCH, "/api/sandbox/sbx".to_string()),
            };
            let (status, v) = send(&app, method, &uri, body).await;
            prop_assert!(!status.is_server_error(), "{status} {v}");
            if !status.is_success() {
                prop_assert!([400, 404, 409, 413].contains(&status.as_u16()), "{status} {v}");
                prop_assert_eq!(v["statusCode"].as_u64(), Some(u64::from(status.as_u16())), "{}", v);
                prop_assert_eq!(v["path"].as_str(), Some(uri.as_str()));
                prop_assert!(v["message"].is_string() && v["error"].is_string() && v["timestamp"].is_string(), "{}", v);
            }
            Ok(())
        })?;
    }
}
