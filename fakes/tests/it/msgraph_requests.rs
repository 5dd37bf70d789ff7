//! The Microsoft Graph fake over real HTTP on loopback, as the Studio (or any
//! client) reaches it: the client credentials grant and its `AADSTS` errors,
//! a user by UPN and Graph's 404 body, a password credential with its end date
//! and its secret shown once, the bearer checks, and the service time each
//! kind of request takes.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use squadsim_fakes::clock::FixedClock;
use squadsim_fakes::msgraph::{self, ApplicationConfig, GraphConfig, GraphFake, GraphLatency};
use squadsim_fakes::net::{HttpClient, HttpRequest, HttpResponse, Transport};

use crate::support::serve;

const TENANT: &str = "5f1c2a9e-3b7d-4e60-9a1f-7c2d8e4b6a10";
const APPLICATION: &str = "3c9e1f7a-2b84-4d6e-a05c-8f1d2e3b4a59";
const NOW: u64 = 1_780_315_200;

fn config(latency: GraphLatency) -> GraphConfig {
    GraphConfig {
        seed: 3,
        domain: "yamon.io".into(),
        users: vec!["planner@yamon.io".into(), "curator@yamon.io".into()],
        applications: vec![ApplicationConfig {
            id: APPLICATION.into(),
            app_id: "a4d2c8e6-1f3b-4a57-9e20-6b8c0d1e2f34".into(),
            display_name: "named-agents".into(),
        }],
        latency,
        ..GraphConfig::default()
    }
}

const INSTANT: GraphLatency =
    GraphLatency { token: Duration::ZERO, directory_read: Duration::ZERO, directory_write: Duration::ZERO };

/// The fake served on loopback: its base URL, a client, and the fake.
async fn graph(latency: GraphLatency) -> (String, HttpClient, GraphFake) {
    let fake = GraphFake::new(config(latency), Arc::new(FixedClock::new(NOW)));
    let base = serve(msgraph::router(fake.clone())).await;
    (base, HttpClient::new(Transport::Loopback, Duration::from_secs(10)), fake)
}

fn form(base: &str, tenant: &str, body: &str) -> HttpRequest {
    let mut request = HttpRequest::post(format!("{base}/{tenant}/oauth2/v2.0/token"))
        .header("content-type", "application/x-www-form-urlencoded");
    request.body = body.to_string().into();
    request
}

fn grant(secret: &str) -> String {
    format!("client_id=0b6f3c1e-8d2a-4f57-b9c4-2e1a7d5f3c88&client_secret={secret}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&grant_type=client_credentials")
}

async fn send(client: &HttpClient, request: HttpRequest) -> (u16, Value, HttpResponse) {
    let response = client.send(request).await.expect("answered");
    (response.status.as_u16(), response.json(), response)
}

async fn token(base: &str, client: &HttpClient) -> String {
    let (status, body, _) = send(client, form(base, TENANT, &grant("squadsim-graph-client-secret"))).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().expect("a token").to_string()
}

#[tokio::test]
async fn the_client_credentials_grant_issues_a_bearer_token_for_graph() {
    let (base, client, fake) = graph(INSTANT).await;
    let (status, body, _) = send(&client, form(&base, TENANT, &grant("squadsim-graph-client-secret"))).await;
    assert_eq!(status, 200);
    assert_eq!((body["token_type"].clone(), body["expires_in"].clone()), (json!("Bearer"), json!(3599)));
    assert_eq!(body["ext_expires_in"], json!(3599));
    assert_eq!(body["access_token"].as_str().map(|t| t.split('.').count()), Some(3), "a JWT");
    // The tenant's domain names it as well as its id.
    let (status, ..) = send(&client, form(&base, "yamon.io", &grant("squadsim-graph-client-secret"))).await;
    assert_eq!(status, 200);
    assert_eq!(fake.tokens_issued(), 2);
}

#[tokio::test]
async fn the_token_endpoint_refuses_as_the_identity_platform_does() {
    let (base, client, fake) = graph(INSTANT).await;
    let cases = [
        (form(&base, TENANT, &grant("wrong")), 401, "invalid_client", 7000215),
        (form(&base, "contoso.com", &grant("x")), 400, "invalid_request", 90002),
        (form(&base, TENANT, "client_id=x"), 400, "invalid_request", 900144),
        (form(&base, TENANT, "grant_type=password"), 400, "unsupported_grant_type", 70003),
        (form(&base, TENANT, "grant_type=client_credentials&client_id=nope"), 400, "unauthorized_client", 700016),
    ];
    for (request, status, error, code) in cases {
        let (got, body, _) = send(&client, request).await;
        assert_eq!((got, body["error"].as_str()), (status, Some(error)), "{body}");
        assert_eq!(body["error_codes"], json!([code]), "{body}");
        let description = body["error_description"].as_str().unwrap_or_default();
        assert!(description.starts_with(&format!("AADSTS{code}: ")), "{description}");
    }
    let scope = grant("squadsim-graph-client-secret").replace("%2F.default", "%2FUser.Read");
    let (got, body, _) = send(&client, form(&base, TENANT, &scope)).await;
    assert_eq!((got, body["error"].as_str()), (400, Some("invalid_scope")), "{body}");
    assert_eq!(fake.tokens_issued(), 0);
}

#[tokio::test]
async fn a_user_is_read_by_upn_and_an_unknown_one_is_graphs_404() {
    let (base, client, _) = graph(INSTANT).await;
    let token = token(&base, &client).await;
    let (status, user, _) =
        send(&client, HttpRequest::get(format!("{base}/v1.0/users/Planner@yamon.io")).bearer(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(user["userPrincipalName"], json!("planner@yamon.io"));
    assert_eq!(user["@odata.context"], json!("https://graph.microsoft.com/v1.0/$metadata#users/$entity"));
    let id = user["id"].as_str().expect("an object id").to_string();
    assert_eq!(id.len(), 36);
    // By object id too.
    let (status, by_id, _) = send(&client, HttpRequest::get(format!("{base}/v1.0/users/{id}")).bearer(&token)).await;
    assert_eq!((status, by_id["userPrincipalName"].clone()), (200, json!("planner@yamon.io")));

    let request = HttpRequest::get(format!("{base}/v1.0/users/tester@yamon.io"))
        .bearer(&token)
        .header("client-request-id", "c0ffee00-0000-4000-8000-000000000001");
    let (status, body, response) = send(&client, request).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], json!("Request_ResourceNotFound"));
    assert_eq!(
        body["error"]["message"],
        json!("Resource 'tester@yamon.io' does not exist or one of its queried reference-property objects are not present.")
    );
    let inner = &body["error"]["innerError"];
    assert_eq!(inner["client-request-id"], json!("c0ffee00-0000-4000-8000-000000000001"));
    assert_eq!(inner["date"], json!("2026-06-01T12:00:00"));
    assert_eq!(response.headers.get("request-id").and_then(|v| v.to_str().ok()), inner["request-id"].as_str());
}

#[tokio::test]
async fn graph_refuses_a_missing_or_foreign_bearer_token_with_401() {
    let (base, client, _) = graph(INSTANT).await;
    let (status, body, response) = send(&client, HttpRequest::get(format!("{base}/v1.0/users/planner@yamon.io"))).await;
    assert_eq!((status, body["error"]["code"].clone()), (401, json!("InvalidAuthenticationToken")));
    assert_eq!(body["error"]["message"], json!("Access token is empty."));
    assert!(response.headers.contains_key("www-authenticate"));
    // A token signed by another directory's fake.
    let (other_base, other_client, _) = {
        let other = GraphFake::new(GraphConfig { seed: 4, ..config(INSTANT) }, Arc::new(FixedClock::new(NOW)));
        let base = serve(msgraph::router(other.clone())).await;
        (base, HttpClient::new(Transport::Loopback, Duration::from_secs(10)), other)
    };
    let foreign = token(&other_base, &other_client).await;
    let request = HttpRequest::get(format!("{base}/v1.0/users/planner@yamon.io")).bearer(&foreign);
    let (status, body, _) = send(&client, request).await;
    assert_eq!((status, body["error"]["code"].clone()), (401, json!("InvalidAuthenticationToken")), "{body}");
}

#[tokio::test]
async fn add_password_leases_a_secret_until_its_end_date_and_shows_it_once() {
    let (base, client, fake) = graph(INSTANT).await;
    let token = token(&base, &client).await;
    let url = format!("{base}/v1.0/applications/{APPLICATION}/addPassword");
    let body =
        json!({"passwordCredential": {"displayName": "named-agent/planner", "endDateTime": "2026-06-02T12:00:00Z"}});
    let (status, credential, _) = send(&client, HttpRequest::post(&url).bearer(&token).json(&body)).await;
    assert_eq!(status, 200, "{credential}");
    assert_eq!(credential["displayName"], json!("named-agent/planner"));
    assert_eq!(credential["startDateTime"], json!("2026-06-01T12:00:00Z"));
    assert_eq!(credential["endDateTime"], json!("2026-06-02T12:00:00Z"));
    let secret = credential["secretText"].as_str().expect("the secret, this once");
    assert_eq!(credential["hint"].as_str(), Some(&secret[..3]));
    assert_eq!(secret.len(), 40);
    let issued = fake.password_credentials();
    assert_eq!(issued.len(), 1);
    assert_eq!((issued[0].display_name.as_deref(), issued[0].end), (Some("named-agent/planner"), NOW + 86_400));
    assert_eq!(issued[0].key_id, credential["keyId"].as_str().unwrap_or_default());

    // An empty body takes the defaults: now, and two years on.
    let (status, default, _) = send(&client, HttpRequest::post(&url).bearer(&token)).await;
    assert_eq!((status, default["endDateTime"].clone()), (200, json!("2028-05-31T12:00:00Z")), "{default}");
    // Bad input is Graph's 400, an unknown application its 404.
    let bad = json!({"passwordCredential": {"endDateTime": "tomorrow"}});
    let (status, body, _) = send(&client, HttpRequest::post(&url).bearer(&token).json(&bad)).await;
    assert_eq!((status, body["error"]["code"].clone()), (400, json!("Request_BadRequest")), "{body}");
    let mut unreadable = HttpRequest::post(&url).bearer(&token).header("content-type", "application/json");
    unreadable.body = "{".into();
    let (status, body, _) = send(&client, unreadable).await;
    assert_eq!((status, body["error"]["code"].clone()), (400, json!("BadRequest")), "{body}");
    let other = format!("{base}/v1.0/applications/00000000-0000-4000-8000-000000000000/addPassword");
    let (status, body, _) = send(&client, HttpRequest::post(other).bearer(&token)).await;
    assert_eq!((status, body["error"]["code"].clone()), (404, json!("Request_ResourceNotFound")), "{body}");
    assert_eq!(fake.password_credentials().len(), 2);
}

#[tokio::test]
async fn each_kind_of_request_takes_at_least_its_service_time() {
    let latency = GraphLatency {
        token: Duration::from_millis(300),
        directory_read: Duration::from_millis(100),
        directory_write: Duration::from_millis(200),
    };
    let (base, client, _) = graph(latency).await;
    let began = tokio::time::Instant::now();
    let token = token(&base, &client).await;
    assert!(began.elapsed() >= latency.token);
    let began = tokio::time::Instant::now();
    let (status, ..) =
        send(&client, HttpRequest::get(format!("{base}/v1.0/users/planner@yamon.io")).bearer(&token)).await;
    assert_eq!(status, 200);
    assert!(began.elapsed() >= latency.directory_read);
    let began = tokio::time::Instant::now();
    let url = format!("{base}/v1.0/applications/{APPLICATION}/addPassword");
    let (status, ..) = send(&client, HttpRequest::post(url).bearer(&token)).await;
    assert_eq!(status, 200);
    assert!(began.elapsed() >= latency.directory_write);
}
