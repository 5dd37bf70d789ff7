//! The GitHub fake's pull request, repository and account documents, byte for
//! byte: the fake serializes them from typed structs (no `serde_json::Value` in
//! between), and these goldens pin the exact bytes (key order, `null`s, empty
//! lists, URL templates) that the `Value` builders produced before them.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use squadsim_fakes::clock::FixedClock;
use squadsim_fakes::github::{self, keys, GithubConfig, GithubFake, RepositoryConfig};
use tower::ServiceExt;

use crate::support::json_request;

const NOW: u64 = 1_780_315_200; // 2026-06-01T12:00:00Z
const REPO: &str = "/repos/yamonco/delivery";

/// Sends a request; the status and the body's exact text.
async fn raw(
    app: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, String) {
    let body = body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty);
    let response = app.clone().oneshot(json_request(method, uri, token, body)).await.expect("infallible");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8(bytes.to_vec()).expect("utf-8"))
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON")
}

/// The one-line form of a golden (pretty-printed below for reading; the fake
/// answers compactly, in the same key order).
fn compact(golden: &str) -> String {
    json(golden).to_string()
}

async fn setup() -> (Router, String) {
    let clock = Arc::new(FixedClock::new(NOW));
    let config = GithubConfig {
        seed: 11,
        repositories: vec![RepositoryConfig { name: "delivery".into(), ..RepositoryConfig::default() }],
        ..GithubConfig::default()
    };
    let app = github::router(GithubFake::new(config, clock).expect("config"));
    let key = EncodingKey::from_rsa_pem(keys::TEST_APP_PRIVATE_KEY_PEM.as_bytes()).expect("key");
    let claims = json!({"iat": NOW - 60, "exp": NOW + 540, "iss": 3_249_317});
    let jwt = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key).expect("sign");
    let (status, text) =
        raw(&app, Method::POST, "/app/installations/120794317/access_tokens", Some(&jwt), Some(json!({}))).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let token = json(&text)["token"].as_str().expect("token").to_string();
    (app, token)
}

/// Branch `a` off main with one changed file.
async fn branch(app: &Router, token: &str) {
    let (_, main) = raw(app, Method::GET, &format!("{REPO}/git/ref/heads/main"), Some(token), None).await;
    let body = json!({"ref": "refs/heads/a", "sha": json(&main)["object"]["sha"]});
    let (status, _) = raw(app, Method::POST, &format!("{REPO}/git/refs"), Some(token), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED);
    let body = json!({"message": "edit", "content": "QQo=", "branch": "a"});
    let (status, text) = raw(app, Method::PUT, &format!("{REPO}/contents/NOTES.md"), Some(token), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
}

#[tokio::test]
async fn the_repository_document_is_byte_identical() {
    let (app, token) = setup().await;
    let (status, text) = raw(&app, Method::GET, REPO, Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text, compact(include_str!("golden/repository.json")));
}

#[tokio::test]
async fn pull_request_documents_are_byte_identical() {
    let (app, token) = setup().await;
    branch(&app, &token).await;
    let body = json!({"title": "Add notes", "head": "yamonco:a", "base": "main", "body": "Why: \"quoted\"\n"});
    let (status, created) = raw(&app, Method::POST, &format!("{REPO}/pulls"), Some(&token), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created, compact(include_str!("golden/pull-created.json")));

    let labels = json!({"labels": ["ready", "needs review"]});
    let (status, _) = raw(&app, Method::POST, &format!("{REPO}/issues/1/labels"), Some(&token), Some(labels)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, listed) = raw(&app, Method::GET, &format!("{REPO}/pulls?state=all"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed, compact(include_str!("golden/pulls-listed.json")));

    let (status, _) = raw(&app, Method::PUT, &format!("{REPO}/pulls/1/merge"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, merged) = raw(&app, Method::GET, &format!("{REPO}/pulls/1"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(merged, compact(include_str!("golden/pull-merged.json")));
}
