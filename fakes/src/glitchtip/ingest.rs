//! Public ingest of the Sentry protocol: `POST /api/{project_id}/envelope/`
//! and `POST /api/{project_id}/store/`, authenticated by the DSN public key
//! only (`X-Sentry-Auth`, `?sentry_key=`, or the envelope header's `dsn`).
//!
//! Answers as Sentry/GlitchTip do: 200 `{"id": "<event id>"}`; 403 for a
//! missing, malformed or foreign key; 400 for a body that is not a valid
//! envelope or event; 429 with `Retry-After` while the throttling condition
//! is set. Bodies may be gzip- or deflate-compressed (`Content-Encoding`).
//! Error events (`event` items, and anything sent to `store`) are grouped
//! into issues; other item types are accepted and not stored.

use std::collections::BTreeMap;
use std::io::Read;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::{CONTENT_ENCODING, RETRY_AFTER};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::auth::{key_from_dsn, normalise_key, sentry_key_from_header};
use super::errors::GtError;
use super::issues::{group_event, Issue};
use super::GlitchtipFake;

/// One stored event.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub event_id: String,
    pub issue_id: u64,
    pub project_id: u64,
    pub received: u64,
    pub payload: Value,
}

/// Largest body after decompression.
const MAX_DECOMPRESSED: u64 = 20 * 1024 * 1024;

fn decode_body(headers: &HeaderMap, body: &[u8]) -> Result<Vec<u8>, GtError> {
    let encoding =
        headers.get(CONTENT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("").trim().to_ascii_lowercase();
    let mut out = Vec::new();
    let result = match encoding.as_str() {
        "" | "identity" => return Ok(body.to_vec()),
        "gzip" | "x-gzip" => flate2::read::GzDecoder::new(body).take(MAX_DECOMPRESSED).read_to_end(&mut out),
        "deflate" => flate2::read::ZlibDecoder::new(body).take(MAX_DECOMPRESSED).read_to_end(&mut out),
        other => return Err(GtError::bad_request(format!("unsupported content encoding: {other}"))),
    };
    result.map(|_| out).map_err(|_| GtError::bad_request("invalid compressed body"))
}

/// The body, or 413 (too large) / 400 in GlitchTip's shape.
fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, GtError> {
    body.map_err(|r| match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => GtError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large"),
        _ => GtError::bad_request("Cannot read request body"),
    })
}

/// The raw DSN key a request presents in its headers or query, if any.
fn presented_key(headers: &HeaderMap, query: &BTreeMap<String, String>) -> Option<String> {
    let from_header = ["x-sentry-auth", "authorization"]
        .iter()
        .filter_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .find_map(sentry_key_from_header);
    from_header.or_else(|| query.get("sentry_key").cloned())
}

/// Checks the key against the project in the path; 403 otherwise.
fn authorize(fake: &GlitchtipFake, project: &str, key: Option<String>) -> Result<u64, GtError> {
    let forbidden = |d: &str| GtError::new(StatusCode::FORBIDDEN, d);
    let key = key.ok_or_else(|| forbidden("Unable to find authentication information"))?;
    let key = normalise_key(&key).ok_or_else(|| forbidden("Invalid DSN key"))?;
    let id = project.parse::<u64>().map_err(|_| forbidden("Invalid project"))?;
    let state = fake.lock();
    let p = state.projects.get(&id).ok_or_else(|| forbidden("Invalid DSN"))?;
    if p.keys.iter().any(|k| k.public == key) {
        Ok(id)
    } else {
        Err(forbidden("Invalid DSN"))
    }
}

fn throttled(fake: &GlitchtipFake) -> Option<Response> {
    fake.config().throttle_ingest.then(|| {
        let mut r = GtError::new(StatusCode::TOO_MANY_REQUESTS, "Rate limited").into_response();
        r.headers_mut().insert(RETRY_AFTER, axum::http::HeaderValue::from_static("60"));
        r
    })
}

/// What an ingest endpoint takes in, parsed from the decoded body.
pub(crate) trait Payload: Sized {
    /// The payload, or GlitchTip's 400.
    fn parse(body: &[u8]) -> Result<Self, GtError>;

    /// The DSN key the payload itself carries, if any.
    fn dsn_key(&self) -> Option<String> {
        None
    }
}

/// A public ingest request (`/api/{project_id}/…`) presenting one of the path's
/// project's DSN keys, with its payload parsed; GlitchTip's answer otherwise,
/// before the handler runs, in GlitchTip's order: 413 or 400 for a body it
/// cannot read, 429 with `Retry-After` while the throttling condition is set,
/// 403 for a missing, malformed or foreign key, then 400 for a body that does
/// not decode or parse. The key is looked for in `X-Sentry-Auth` (or
/// `Authorization: Sentry …`), then `?sentry_key=`, then the payload.
pub(crate) struct Ingest<P> {
    pub fake: GlitchtipFake,
    pub project_id: u64,
    pub payload: P,
}

impl<P: Payload> FromRequest<GlitchtipFake> for Ingest<P> {
    type Rejection = Response;

    async fn from_request(request: Request, fake: &GlitchtipFake) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Path(project) =
            Path::<String>::from_request_parts(&mut parts, fake).await.map_err(IntoResponse::into_response)?;
        let Query(query) = Query::<BTreeMap<String, String>>::from_request_parts(&mut parts, fake)
            .await
            .map_err(IntoResponse::into_response)?;
        let headers = parts.headers.clone();
        let body = read_body(Bytes::from_request(Request::from_parts(parts, body), fake).await)
            .map_err(IntoResponse::into_response)?;
        if let Some(r) = throttled(fake) {
            return Err(r);
        }
        let parsed = decode_body(&headers, &body).and_then(|b| P::parse(&b));
        let key = presented_key(&headers, &query).or_else(|| parsed.as_ref().ok().and_then(P::dsn_key));
        let project_id = authorize(fake, &project, key).map_err(IntoResponse::into_response)?;
        let payload = parsed.map_err(IntoResponse::into_response)?;
        Ok(Ingest { fake: fake.clone(), project_id, payload })
    }
}

impl Payload for Envelope {
    fn parse(body: &[u8]) -> Result<Self, GtError> {
        parse_envelope(body)
    }

    /// The `dsn` of the envelope header.
    fn dsn_key(&self) -> Option<String> {
        self.header.get("dsn").and_then(Value::as_str).and_then(key_from_dsn)
    }
}

/// The one event `store/` takes: a JSON object.
pub(crate) struct StoreEvent(Value);

impl Payload for StoreEvent {
    fn parse(body: &[u8]) -> Result<Self, GtError> {
        serde_json::from_slice(body)
            .ok()
            .filter(Value::is_object)
            .map(StoreEvent)
            .ok_or_else(|| GtError::bad_request("invalid event: not a JSON object"))
    }
}

/// A normalised event id (32 hex), or a fresh one.
fn event_id(fake: &GlitchtipFake, candidate: Option<&Value>) -> String {
    candidate.and_then(Value::as_str).and_then(normalise_key).unwrap_or_else(|| fake.lock().ids.uuid_simple())
}

/// One parsed envelope: its header and its items (header, payload).
pub(crate) struct Envelope {
    pub header: Value,
    pub items: Vec<(Value, Vec<u8>)>,
}

/// Parses the envelope format: a JSON header line, then items, each a JSON
/// item header (with an optional `length`) and its payload.
pub(crate) fn parse_envelope(body: &[u8]) -> Result<Envelope, GtError> {
    let bad = |d: &str| GtError::bad_request(format!("invalid envelope: {d}"));
    let (first, mut rest) = split_line(body);
    let header: Value = serde_json::from_slice(first).map_err(|_| bad("header is not JSON"))?;
    if !header.is_object() {
        return Err(bad("header is not an object"));
    }
    let mut items = Vec::new();
    while !rest.is_empty() {
        let (line, after) = split_line(rest);
        if line.iter().all(u8::is_ascii_whitespace) {
            rest = after;
            continue;
        }
        let item: Value = serde_json::from_slice(line).map_err(|_| bad("item header is not JSON"))?;
        if !item.get("type").is_some_and(Value::is_string) {
            return Err(bad("item header has no type"));
        }
        let (payload, next) = match item.get("length") {
            None | Some(Value::Null) => split_line(after),
            Some(len) => {
                let len = len
                    .as_u64()
                    .and_then(|l| usize::try_from(l).ok())
                    .ok_or_else(|| bad("item length is not a number"))?;
                if len > after.len() {
                    return Err(bad("item length exceeds the envelope"));
                }
                let (payload, tail) = after.split_at(len);
                (payload, tail.strip_prefix(b"\n").unwrap_or(tail))
            }
        };
        items.push((item, payload.to_vec()));
        rest = next;
    }
    Ok(Envelope { header, items })
}

fn split_line(bytes: &[u8]) -> (&[u8], &[u8]) {
    match bytes.iter().position(|b| *b == b'\n') {
        Some(i) => (&bytes[..i], &bytes[i + 1..]),
        None => (bytes, &[]),
    }
}

/// Stores one error event and groups it into an issue.
fn record(fake: &GlitchtipFake, project_id: u64, event_id: String, mut payload: Value) {
    let now = fake.inner.clock.now_unix();
    payload["event_id"] = Value::String(event_id.clone());
    let mut state = fake.lock();
    if state.events.contains_key(&event_id) {
        return; // a retried send of the same event is stored once
    }
    let issue_id = group_event(&mut state, project_id, &payload, now);
    if let Some(issue) = state.issues.get_mut(&issue_id) {
        Issue::seen(issue, &event_id, now);
    }
    state.events.insert(event_id.clone(), Event { event_id, issue_id, project_id, received: now, payload });
}

/// `POST /api/{project_id}/envelope/`
pub(crate) async fn envelope(
    Ingest { fake, project_id, payload: envelope }: Ingest<Envelope>,
) -> Result<Json<Value>, GtError> {
    let mut answer_id = envelope.header.get("event_id").and_then(Value::as_str).and_then(normalise_key);
    for (item, payload) in envelope.items {
        if item.get("type").and_then(Value::as_str) != Some("event") {
            continue;
        }
        let event: Value = serde_json::from_slice(&payload)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| GtError::bad_request("invalid envelope: event item is not a JSON object"))?;
        let id = event_id(&fake, event.get("event_id").or_else(|| envelope.header.get("event_id")));
        record(&fake, project_id, id.clone(), event);
        answer_id = Some(id);
    }
    Ok(Json(match answer_id {
        Some(id) => json!({"id": id}),
        None => json!({}),
    }))
}

/// `POST /api/{project_id}/store/` (one event as a JSON object).
pub(crate) async fn store(Ingest { fake, project_id, payload: StoreEvent(event) }: Ingest<StoreEvent>) -> Json<Value> {
    let id = event_id(&fake, event.get("event_id"));
    record(&fake, project_id, id.clone(), event);
    Json(json!({"id": id}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_length_prefixed_and_newline_items() {
        let body = b"{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n{\"type\":\"event\",\"length\":2}\n{}\n{\"type\":\"session\"}\n{\"a\":1}\n";
        let env = parse_envelope(body).expect("valid");
        assert_eq!(env.items.len(), 2);
        assert_eq!(env.items[0].1, b"{}");
        assert_eq!(env.items[1].1, b"{\"a\":1}");
        assert!(parse_envelope(b"nope").is_err());
        assert!(parse_envelope(b"{}\n{\"type\":\"event\",\"length\":99}\n{}").is_err());
        assert!(parse_envelope(b"{}\n{\"length\":2}\n{}").is_err());
    }
}
