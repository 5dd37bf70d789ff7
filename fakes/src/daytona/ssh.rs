//! SSH access to a sandbox: `POST/DELETE /api/sandbox/{idOrName}/ssh-access`
//! and `GET /api/sandbox/ssh-access/validate`.
//!
//! Guarantees: a grant's token is 32 characters of `[A-Za-z0-9]` from the
//! seeded id generator; a new grant for a sandbox revokes its older ones; the
//! `sshCommand` is built from the region's `sshGatewayUrl` exactly as the
//! runbook (`docs/seeds.md`) quotes it (`ssh -p 2222 <token>@daytona-ssh.yamon.io`, no `-p` for
//! port 22), so a drifted region yields the unusable command the runbook warns
//! about; expiry is read from the fake's clock.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::sandbox::{lookup, sandbox_json, sandbox_not_found, sandbox_response};
use super::{Authorized, Daytona};
use crate::clock::iso8601_millis;

/// One SSH access grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SshGrant {
    pub id: String,
    pub sandbox_id: String,
    pub token: String,
    pub expires_at_unix: u64,
    pub created_at_unix: u64,
}

/// The command a client pastes: `ssh -p <port> <token>@<host>`, or `ssh <token>@<host>` on port 22.
pub(crate) fn ssh_command(gateway_url: &str, token: &str) -> String {
    let (host, port) = match gateway_url.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => (h, p),
        _ => (gateway_url, "22"),
    };
    if port == "22" {
        format!("ssh {token}@{host}")
    } else {
        format!("ssh -p {port} {token}@{host}")
    }
}

fn grant_json(d: &Daytona, g: &SshGrant) -> serde_json::Value {
    json!({
        "id": g.id,
        "sandboxId": g.sandbox_id,
        "token": g.token,
        "expiresAt": iso8601_millis(g.expires_at_unix),
        "createdAt": iso8601_millis(g.created_at_unix),
        "updatedAt": iso8601_millis(g.created_at_unix),
        "sshCommand": ssh_command(&d.config.ssh_gateway_url, &g.token),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateQuery {
    expires_in_minutes: Option<String>,
}

pub(super) async fn create(
    Authorized { d, path }: Authorized,
    Path(id): Path<String>,
    Query(q): Query<CreateQuery>,
) -> Response {
    let minutes = match q.expires_in_minutes.as_deref().map(str::parse::<u64>) {
        None => 60,
        Some(Ok(m)) if m > 0 => m,
        Some(_) => return d.error(&path, StatusCode::BAD_REQUEST, "expiresInMinutes must be a positive number"),
    };
    let Some(sandbox) = lookup(&d, &id) else {
        return sandbox_not_found(&d, &path, &id);
    };
    let now = d.clock.now_unix();
    let grant = {
        let mut state = d.state();
        state.ssh.retain(|_, g| g.sandbox_id != sandbox.id);
        let uuid = state.ids.uuid_simple();
        let grant = SshGrant {
            id: format!("{}-{}-{}-{}-{}", &uuid[..8], &uuid[8..12], &uuid[12..16], &uuid[16..20], &uuid[20..]),
            sandbox_id: sandbox.id.clone(),
            token: state.ids.alphanumeric(32),
            expires_at_unix: now.saturating_add(minutes.saturating_mul(60)),
            created_at_unix: now,
        };
        state.ssh.insert(grant.token.clone(), grant.clone());
        grant
    };
    Json(grant_json(&d, &grant)).into_response()
}

#[derive(Deserialize)]
pub(super) struct TokenQuery {
    token: Option<String>,
}

/// Revokes one token, or every grant of the sandbox without `token`; answers with the sandbox.
pub(super) async fn revoke(
    Authorized { d, path }: Authorized,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
) -> Response {
    let Some(sandbox) = lookup(&d, &id) else {
        return sandbox_not_found(&d, &path, &id);
    };
    d.state().ssh.retain(|token, g| g.sandbox_id != sandbox.id || q.token.as_ref().is_some_and(|t| t != token));
    sandbox_response(&sandbox_json(&d, &sandbox, true))
}

/// `{valid, sandboxId}`: valid while the token exists and has not expired.
pub(super) async fn validate(Authorized { d, path }: Authorized, Query(q): Query<TokenQuery>) -> Response {
    let Some(token) = q.token else {
        return d.error(&path, StatusCode::BAD_REQUEST, "token is required");
    };
    let now = d.clock.now_unix();
    let found = d.state().ssh.get(&token).cloned();
    match found {
        Some(g) if g.expires_at_unix > now => Json(json!({"valid": true, "sandboxId": g.sandbox_id})).into_response(),
        _ => Json(json!({"valid": false, "sandboxId": null})).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::ssh_command;

    #[test]
    fn commands_follow_the_gateway_url() {
        assert_eq!(ssh_command("daytona-ssh.yamon.io:2222", "T"), "ssh -p 2222 T@daytona-ssh.yamon.io");
        assert_eq!(ssh_command("daytona.yamon.io:2222", "T"), "ssh -p 2222 T@daytona.yamon.io");
        assert_eq!(ssh_command("ssh.example:22", "T"), "ssh T@ssh.example");
        assert_eq!(ssh_command("ssh.example", "T"), "ssh T@ssh.example");
    }
}
