//! A preview app an agent runs in its execution workspace, and its Sentry SDKs
//! (`docs/seeds.md`, runbook, "Build Plane Observability"): the starter `.env`
//! carries the project's DSN twice, for the frontend (`PUBLIC_SENTRY_DSN`) and
//! the backend (`SENTRY_DSN`), and "preview apps POST events to the DSN
//! unauthenticated (the DSN public key is the per-project auth)".
//!
//! Each error the scripted app raises is sent as the SDKs send it: one envelope
//! (`POST /api/<project_id>/envelope/`) carrying one `event` item, authenticated
//! by `X-Sentry-Auth: Sentry sentry_key=<DSN public key>, ...` and nothing else.
//!
//! Guarantees: an SDK without a DSN is disabled and sends nothing (scaffolding
//! is fail-open, so a project may have none); an event GlitchTip refuses or
//! never answers is reported by the SDK on the app's output and dropped, never
//! retried and never stopping the agent's work; event ids are derived from the
//! sandbox, the side and the error's place, so one seed sends the same events.

use serde_json::{json, Value};
use squadsim_fakes::net::{HttpClient, HttpRequest};

use crate::base::identity::stable_hash;
use crate::scenario::PreviewApp;

/// The frontend's DSN in the starter `.env`.
pub(crate) const ENV_PUBLIC_SENTRY_DSN: &str = "PUBLIC_SENTRY_DSN";
/// The backend's DSN in the starter `.env`.
pub(crate) const ENV_SENTRY_DSN: &str = "SENTRY_DSN";

/// One side of the preview app and the Sentry SDK it reports through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Frontend,
    Backend,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Frontend => "frontend",
            Side::Backend => "backend",
        }
    }

    fn dsn_env(self) -> &'static str {
        match self {
            Side::Frontend => ENV_PUBLIC_SENTRY_DSN,
            Side::Backend => ENV_SENTRY_DSN,
        }
    }

    /// The SDK's `sentry_client` (name/version) and the event's `platform`.
    fn sdk(self) -> (&'static str, &'static str) {
        match self {
            Side::Frontend => ("sentry.javascript.browser/8.55.0", "javascript"),
            Side::Backend => ("sentry.python/2.29.1", "python"),
        }
    }
}

/// A DSN taken apart: `<scheme>://<public key>@<host>/<project id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Dsn {
    public_key: String,
    envelope_url: String,
}

impl Dsn {
    fn parse(dsn: &str) -> Option<Dsn> {
        let (scheme, rest) = dsn.split_once("://")?;
        let (key, rest) = rest.split_once('@')?;
        let (host, project_id) = rest.rsplit_once('/')?;
        if key.is_empty() || host.is_empty() || project_id.is_empty() {
            return None;
        }
        Some(Dsn { public_key: key.to_string(), envelope_url: format!("{scheme}://{host}/api/{project_id}/envelope/") })
    }
}

/// Runs `app` in the sandbox `sandbox_id` with `env` (the sandbox's), reporting each
/// error it raises; returns the lines the SDKs print, in order.
pub(crate) async fn run(
    http: &HttpClient,
    sandbox_id: &str,
    env: impl Fn(&str) -> String,
    app: &PreviewApp,
) -> Vec<String> {
    let mut printed = Vec::new();
    for (side, errors) in [(Side::Frontend, &app.frontend_errors), (Side::Backend, &app.backend_errors)] {
        if errors.is_empty() {
            continue;
        }
        let Some(dsn) = Dsn::parse(&env(side.dsn_env())) else {
            printed.push(format!(
                "preview app ({}): no {} in the starter .env; the Sentry SDK is disabled and {} errors go unreported",
                side.name(),
                side.dsn_env(),
                errors.len()
            ));
            continue;
        };
        for (index, error) in errors.iter().enumerate() {
            let event_id = event_id(sandbox_id, side, index);
            let request = envelope(&dsn, side, &event_id, error);
            let answer = match http.send(request).await {
                Ok(r) if r.status.is_success() => format!("sent event {event_id}"),
                Ok(r) => format!("event {event_id} dropped: HTTP {}", r.status.as_u16()),
                Err(e) => format!("event {event_id} dropped: {e}"),
            };
            printed.push(format!("preview app ({}): {error}: {answer}", side.name()));
        }
    }
    printed
}

/// A 32-hex event id for the `index`th error of `side` in `sandbox_id`.
fn event_id(sandbox_id: &str, side: Side, index: usize) -> String {
    let index = index.to_string();
    let parts = [sandbox_id, side.name(), index.as_str()];
    format!("{:016x}{:016x}", stable_hash(0, &parts), stable_hash(1, &parts))
}

/// The envelope an SDK posts for one error (`Type: message`, or a message alone).
fn envelope(dsn: &Dsn, side: Side, event_id: &str, error: &str) -> HttpRequest {
    let (client, platform) = side.sdk();
    let (kind, value) = error.split_once(": ").unwrap_or(("Error", error));
    let header = json!({"event_id": event_id, "sdk": {"name": client.split('/').next().unwrap_or(client)}});
    let event = json!({
        "event_id": event_id,
        "platform": platform,
        "level": "error",
        "environment": "preview",
        "exception": {"values": [{"type": kind, "value": value}]},
        "tags": {"preview_app.side": side.name()},
    });
    let body = [header, json!({"type": "event"}), event].iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
    let mut request = HttpRequest::post(dsn.envelope_url.clone())
        .header(
            "x-sentry-auth",
            format!("Sentry sentry_key={}, sentry_version=7, sentry_client={client}", dsn.public_key),
        )
        .header("content-type", "application/x-sentry-envelope");
    request.body = body.into();
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dsn_names_its_key_and_its_envelope_endpoint() {
        let dsn = Dsn::parse("http://0123abcd@glitchtip:8000/7").unwrap();
        assert_eq!(dsn.public_key, "0123abcd");
        assert_eq!(dsn.envelope_url, "http://glitchtip:8000/api/7/envelope/");
        assert_eq!(Dsn::parse(""), None);
        assert_eq!(Dsn::parse("http://glitchtip:8000/7"), None, "no key");
    }

    #[test]
    fn event_ids_are_stable_and_distinct() {
        assert_eq!(event_id("sbx-1", Side::Frontend, 0), event_id("sbx-1", Side::Frontend, 0));
        assert_ne!(event_id("sbx-1", Side::Frontend, 0), event_id("sbx-1", Side::Backend, 0));
        assert_eq!(event_id("sbx-1", Side::Backend, 3).len(), 32);
    }
}
