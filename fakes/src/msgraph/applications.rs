//! `POST /v1.0/applications/{id}/addPassword` (needs
//! `Application.ReadWrite.OwnedBy`): a new password credential on an app
//! registration. The body's `passwordCredential` is optional, and so are its
//! `displayName`, `startDateTime` (default now) and `endDateTime` (default two
//! years after the start). The answer carries `secretText`, returned only here.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::errors::GraphError;
use super::{GraphFake, IssuedPasswordCredential};
use crate::clock;

/// The application permission that manages the app registrations the caller owns.
pub(super) const WRITE_ROLE: &str = "Application.ReadWrite.OwnedBy";

/// A password's default lifetime: two years.
const DEFAULT_LIFETIME_SECS: u64 = 2 * 365 * 86_400;

pub(super) async fn add_password(
    State(fake): State<GraphFake>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(e) = fake.authorize(&headers, WRITE_ROLE) {
        return fake.answer(&headers, e);
    }
    if !fake.config().applications.iter().any(|a| a.id == id) {
        return fake.answer(&headers, GraphError::not_found(&id));
    }
    let requested = match credential_request(&body) {
        Ok(r) => r,
        Err(e) => return fake.answer(&headers, e),
    };
    let now = fake.inner.clock.now_unix();
    let start = match date_field(&requested, "startDateTime") {
        Ok(t) => t.unwrap_or(now),
        Err(e) => return fake.answer(&headers, e),
    };
    let end = match date_field(&requested, "endDateTime") {
        Ok(t) => t.unwrap_or(start + DEFAULT_LIFETIME_SECS),
        Err(e) => return fake.answer(&headers, e),
    };
    if end <= start {
        return fake.answer(&headers, invalid_property("endDateTime"));
    }
    let display_name = requested.get("displayName").and_then(Value::as_str).map(str::to_string);
    let (key_id, secret_text) = {
        let mut state = fake.lock();
        let key_id = state.ids.uuid();
        let secret_text = format!("{}8Q~{}", state.ids.alphanumeric(3), state.ids.alphanumeric(34));
        state.credentials.push(IssuedPasswordCredential {
            application_id: id,
            key_id: key_id.clone(),
            display_name: display_name.clone(),
            start,
            end,
        });
        (key_id, secret_text)
    };
    Json(json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.passwordCredential",
        "customKeyIdentifier": null,
        "displayName": display_name,
        "endDateTime": clock::iso8601(end),
        "hint": &secret_text[..3],
        "keyId": key_id,
        "secretText": secret_text,
        "startDateTime": clock::iso8601(start),
    }))
    .into_response()
}

/// The body's `passwordCredential` (an empty object when the body or it is absent).
fn credential_request(body: &[u8]) -> Result<serde_json::Map<String, Value>, GraphError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    let unreadable = || {
        let message = "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.";
        GraphError::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    };
    let value: Value = serde_json::from_slice(body).map_err(|_| unreadable())?;
    match value.get("passwordCredential") {
        None | Some(Value::Null) => Ok(serde_json::Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(_) => Err(invalid_property("passwordCredential")),
    }
}

/// A date-time property of the request, when present and well formed.
fn date_field(request: &serde_json::Map<String, Value>, name: &str) -> Result<Option<u64>, GraphError> {
    match request.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => clock::unix_from_iso8601(text).map(Some).ok_or_else(|| invalid_property(name)),
        Some(_) => Err(invalid_property(name)),
    }
}

fn invalid_property(name: &str) -> GraphError {
    let message = format!("Invalid value specified for property '{name}' of resource 'PasswordCredential'.");
    GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}
