//! The Microsoft Graph fake, with the Microsoft identity platform's token
//! endpoint: what binds a named agent's identity (its `<role>@<domain>` user
//! principal name) and leases it a secret.
//!
//! Three operations, on the real paths (`docs/wire-facts.md#microsoft-graph`):
//! - `POST /{tenant}/oauth2/v2.0/token` (the identity platform): the client
//!   credentials grant, a form body, answers `{token_type, expires_in,
//!   ext_expires_in, access_token}`; OAuth errors as `{error,
//!   error_description: "AADSTS…", error_codes, …}` ([`identity_platform`]).
//! - `GET /v1.0/users/{id | userPrincipalName}`: the user, or 404
//!   `Request_ResourceNotFound` ([`users`]).
//! - `POST /v1.0/applications/{id}/addPassword`: a new `passwordCredential`
//!   (a secret with an `endDateTime`) on an app registration, its `secretText`
//!   returned once ([`applications`]).
//!
//! Every Graph error is `{"error": {"code", "message", "innerError": {"date",
//! "request-id", "client-request-id"}}}`; no or a bad bearer token is 401
//! `InvalidAuthenticationToken` ([`errors`]).
//!
//! Guarantees: each request takes the fake's modelled service time for its
//! kind before it is answered ([`GraphLatency`]: a token, a directory read, a
//! directory write), armed through [`crate::timer`] so a simulation sees the
//! deadline; every id, token and secret comes from the config's seed; the
//! only clock read is the injected one.

mod applications;
mod errors;
mod identity_platform;
mod users;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

use crate::clock::Clock;
use crate::ids::IdGen;
use crate::inspection::InspectionLog;

/// The audience of Graph access tokens, and the resource of the `.default` scope.
pub const GRAPH_RESOURCE: &str = "https://graph.microsoft.com";

/// The most password credentials the fake keeps for inspection (the latest).
const KEPT_CREDENTIALS: usize = 1024;

/// How the fake is set up.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphConfig {
    /// Seed of every id, token and secret the fake generates.
    pub seed: u64,
    /// The directory (tenant) id; the token endpoint also takes its domain.
    pub tenant_id: String,
    /// The tenant's verified domain (`yamon.io`).
    pub domain: String,
    /// The confidential client the token endpoint knows.
    pub client: ClientConfig,
    /// The users of the directory, by user principal name.
    pub users: Vec<String>,
    /// The app registrations of the directory.
    pub applications: Vec<ApplicationConfig>,
    /// The modelled service time of each kind of request.
    pub latency: GraphLatency,
}

/// The confidential client (an app registration with a secret) that asks for tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    pub client_id: String,
    pub client_secret: String,
    /// The application permissions (app roles) admin-consented for it, carried
    /// in its tokens' `roles` claim.
    pub roles: Vec<String>,
}

/// An app registration: its object id (what `/applications/{id}` takes) and name.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationConfig {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
}

/// How long the fake takes to answer each kind of request: the service's own
/// time, on top of whatever the network adds.
///
/// The defaults are the model's figures (`docs/wire-facts.md#microsoft-graph`):
/// issuing a token 0.8 s, a directory read 0.4 s, a directory write 2 s (a
/// write commits to the directory's replicas before it answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphLatency {
    /// `POST /{tenant}/oauth2/v2.0/token`.
    pub token: Duration,
    /// A `GET` of Graph.
    pub directory_read: Duration,
    /// A `POST`, `PATCH`, `PUT` or `DELETE` of Graph.
    pub directory_write: Duration,
}

impl Default for GraphLatency {
    fn default() -> Self {
        GraphLatency {
            token: Duration::from_millis(800),
            directory_read: Duration::from_millis(400),
            directory_write: Duration::from_secs(2),
        }
    }
}

impl Default for GraphConfig {
    fn default() -> Self {
        GraphConfig {
            seed: 0,
            tenant_id: "5f1c2a9e-3b7d-4e60-9a1f-7c2d8e4b6a10".to_string(),
            domain: "example.com".to_string(),
            client: ClientConfig {
                client_id: "0b6f3c1e-8d2a-4f57-b9c4-2e1a7d5f3c88".to_string(),
                client_secret: "squadsim-graph-client-secret".to_string(),
                roles: vec![users::READ_ROLE.to_string(), applications::WRITE_ROLE.to_string()],
            },
            users: Vec::new(),
            applications: Vec::new(),
            latency: GraphLatency::default(),
        }
    }
}

/// One password credential the fake issued (its secret text is not kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedPasswordCredential {
    /// The object id of the application it was added to.
    pub application_id: String,
    pub key_id: String,
    pub display_name: Option<String>,
    /// Unix seconds.
    pub start: u64,
    /// Unix seconds: when the secret stops working.
    pub end: u64,
}

/// A handle on one Graph fake; clones share the same state.
#[derive(Clone)]
pub struct GraphFake {
    inner: Arc<Inner>,
}

struct Inner {
    config: GraphConfig,
    clock: Arc<dyn Clock>,
    /// What tokens are signed with.
    signing_key: Vec<u8>,
    state: Mutex<State>,
}

struct State {
    ids: IdGen,
    /// (user principal name, object id), in the config's order.
    users: Vec<(String, String)>,
    tokens_issued: u64,
    credentials: InspectionLog<IssuedPasswordCredential>,
}

impl GraphFake {
    pub fn new(config: GraphConfig, clock: Arc<dyn Clock>) -> Self {
        let mut ids = IdGen::derive(config.seed, "msgraph");
        let signing_key = ids.hex(64).into_bytes();
        let users = config.users.iter().map(|upn| (upn.clone(), ids.uuid())).collect();
        let state = State { ids, users, tokens_issued: 0, credentials: InspectionLog::new(KEPT_CREDENTIALS) };
        GraphFake { inner: Arc::new(Inner { config, clock, signing_key, state: Mutex::new(state) }) }
    }

    pub fn config(&self) -> &GraphConfig {
        &self.inner.config
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Handlers never hold the lock across an await; a poisoned lock still holds consistent data.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many access tokens the token endpoint issued.
    pub fn tokens_issued(&self) -> u64 {
        self.lock().tokens_issued
    }

    /// The password credentials added so far (the latest 1,024), oldest first.
    pub fn password_credentials(&self) -> Vec<IssuedPasswordCredential> {
        self.lock().credentials.recent().cloned().collect()
    }
}

/// The fake's HTTP surface. Unknown paths are 404 with Graph's error body.
pub fn router(fake: GraphFake) -> Router {
    let latency = fake.inner.config.latency;
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(identity_platform::token))
        .route("/v1.0/users/{id}", get(users::get_user))
        .route("/v1.0/applications/{id}/addPassword", post(applications::add_password))
        .fallback(errors::unknown_path)
        .with_state(fake)
        .layer(axum::middleware::from_fn(move |request: Request, next: Next| service_time(latency, request, next)))
}

/// Takes the request's modelled service time, then answers it.
async fn service_time(latency: GraphLatency, request: Request, next: Next) -> axum::response::Response {
    let time = if request.uri().path().ends_with("/oauth2/v2.0/token") {
        latency.token
    } else if request.method() == Method::GET {
        latency.directory_read
    } else {
        latency.directory_write
    };
    crate::timer::sleep(time).await;
    next.run(request).await
}
