//! Binding a named agent's identity through Microsoft Graph (`docs/seeds.md`,
//! runbook, "Agent identity model": `user_principal_name` = `<role>@yamon.io`,
//! `identity_binding_mode: named_agent_microsoft`, `secret_lease_ref:
//! named-agent/<role>`, "the msgraph-bound named-agent UPN").
//!
//! One binding is three steps, each a real HTTP call to the `msgraph` host:
//! 1. a Graph access token from the identity platform (client credentials),
//!    reused until five minutes before it expires, one fetch shared by every
//!    binding that needs it meanwhile;
//! 2. `GET /v1.0/users/{upn}`: the named agent's user exists in the directory;
//! 3. `POST /v1.0/applications/{id}/addPassword` on the named-agent app
//!    registration: a password credential named by the agent's secret lease ref,
//!    ending when the lease does (Graph's secret with an end date).
//!
//! An agent's steps run in order: a lease is minted only for a user that exists.
//! How the agents of one roster are bound (in turn at launch, together in a
//! handoff batch) is the caller's choice (`provisioning`, `Studio::join_roster`).
//! The time a binding takes is what these calls take: nothing here sleeps.

use std::time::Duration;

use serde_json::{json, Value};
use squadsim_fakes::net::{HttpError, HttpRequest, HttpResponse};

use super::Studio;
use crate::base::{clock, identity};

/// Where the Studio binds identities, and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphBindingConfig {
    /// Base URL of Microsoft Graph (also serving the identity platform's token endpoint).
    pub url: String,
    /// The Entra tenant (directory) id.
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    /// The object id of the named-agent app registration the secret leases are added to.
    pub named_agent_application_id: String,
    /// How long a secret lease lasts.
    pub lease: Duration,
}

/// The Graph access token the Studio holds, with its expiry (Unix seconds).
#[derive(Debug, Default)]
pub struct GraphTokenCache(tokio::sync::Mutex<Option<(String, u64)>>);

/// Which step of a binding failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BindingStep {
    Token,
    ResolveUser,
    LeaseSecret,
}

impl BindingStep {
    fn as_str(self) -> &'static str {
        match self {
            BindingStep::Token => "POST /{tenant}/oauth2/v2.0/token",
            BindingStep::ResolveUser => "GET /v1.0/users/{upn}",
            BindingStep::LeaseSecret => "POST /v1.0/applications/{id}/addPassword",
        }
    }
}

/// Why a named agent's identity could not be bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BindingFailed {
    /// A step was answered with an error: its status and the error's code
    /// (`Request_ResourceNotFound` for a UPN the directory does not hold).
    Refused { upn: String, step: BindingStep, status: u16, code: String },
    /// A step got no answer (Graph unreachable, or too slow for the client's timeout).
    NoAnswer { upn: String, step: BindingStep, error: HttpError },
}

impl std::fmt::Display for BindingFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BindingFailed::Refused { upn, step, status, code } => {
                write!(f, "named-agent identity {upn} not bound: {} answered HTTP {status} {code}", step.as_str())
            }
            BindingFailed::NoAnswer { upn, step, error } => {
                write!(f, "named-agent identity {upn} not bound: {} got no answer ({error})", step.as_str())
            }
        }
    }
}

impl std::error::Error for BindingFailed {}

/// Binds the named-agent identity of `role_id`: resolves its UPN in the
/// directory and leases it a secret. Returns the lease's key id.
pub(crate) async fn bind(studio: &Studio, role_id: &str) -> Result<String, BindingFailed> {
    let config = &studio.config.msgraph;
    let upn = identity::user_principal_name(role_id);
    let token = token(studio, &upn).await?;
    let user = HttpRequest::get(format!("{}/v1.0/users/{upn}", config.url)).bearer(&token);
    answered(studio.http.send(user).await, &upn, BindingStep::ResolveUser)?;
    let end = clock::now_unix() + config.lease.as_secs();
    let body = json!({"passwordCredential": {
        "displayName": identity::secret_lease_ref(role_id),
        "endDateTime": squadsim_fakes::clock::iso8601(end),
    }});
    let lease = HttpRequest::post(format!(
        "{}/v1.0/applications/{}/addPassword",
        config.url, config.named_agent_application_id
    ))
    .bearer(&token)
    .json(&body);
    let leased = answered(studio.http.send(lease).await, &upn, BindingStep::LeaseSecret)?;
    Ok(leased.members(["keyId"])[0].as_str().unwrap_or_default().to_string())
}

/// The Graph access token: the one held while it has five minutes left, else a new one.
async fn token(studio: &Studio, upn: &str) -> Result<String, BindingFailed> {
    let config = &studio.config.msgraph;
    // Held across the fetch: bindings that find no fresh token while one is
    // being fetched wait for it instead of fetching their own.
    let mut cache = studio.graph_token.0.lock().await;
    let now = clock::now_unix();
    if let Some((token, expires)) = cache.as_ref() {
        if *expires > now + 300 {
            return Ok(token.clone());
        }
    }
    let form = format!(
        "client_id={}&client_secret={}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&grant_type=client_credentials",
        config.client_id, config.client_secret
    );
    let mut request = HttpRequest::post(format!("{}/{}/oauth2/v2.0/token", config.url, config.tenant_id))
        .header("content-type", "application/x-www-form-urlencoded");
    request.body = form.into();
    let response = answered(studio.http.send(request).await, upn, BindingStep::Token)?;
    let body = response.json();
    let token = body.get("access_token").and_then(Value::as_str).unwrap_or_default().to_string();
    let lifetime = body.get("expires_in").and_then(Value::as_u64).unwrap_or(0);
    *cache = Some((token.clone(), now + lifetime));
    Ok(token)
}

/// The response of a step when it succeeded; otherwise why the binding failed.
fn answered(
    sent: Result<HttpResponse, HttpError>,
    upn: &str,
    step: BindingStep,
) -> Result<HttpResponse, BindingFailed> {
    match sent {
        Ok(r) if r.status.is_success() => Ok(r),
        Ok(r) => {
            let body = r.json();
            // Graph's `{"error": {"code"}}`, or the identity platform's `{"error": "<code>"}`.
            let code = body["error"]["code"].as_str().or(body["error"].as_str()).unwrap_or_default().to_string();
            Err(BindingFailed::Refused { upn: upn.to_string(), step, status: r.status.as_u16(), code })
        }
        Err(error) => Err(BindingFailed::NoAnswer { upn: upn.to_string(), step, error }),
    }
}
