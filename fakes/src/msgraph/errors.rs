//! Microsoft Graph's error responses: `{"error": {"code", "message",
//! "innerError": {"date", "request-id", "client-request-id"}}}`, with the
//! `request-id` header the body repeats, and the bearer checks that answer
//! 401 `InvalidAuthenticationToken` or 403 `Authorization_RequestDenied`.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{GraphFake, GRAPH_RESOURCE};
use crate::clock;

/// One Graph error, before it gets its request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct GraphError {
    pub(super) status: StatusCode,
    pub(super) code: &'static str,
    pub(super) message: String,
}

impl GraphError {
    pub(super) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        GraphError { status, code, message: message.into() }
    }

    /// 404 for an object the directory does not hold (a user, an application).
    pub(super) fn not_found(id: &str) -> Self {
        let message =
            format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present.");
        GraphError::new(StatusCode::NOT_FOUND, "Request_ResourceNotFound", message)
    }

    fn unauthenticated(message: &str) -> Self {
        GraphError::new(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", message)
    }
}

impl GraphFake {
    /// `error` as Graph answers it, with a fresh request id (echoing the
    /// caller's `client-request-id` when it sent one).
    pub(super) fn answer(&self, headers: &HeaderMap, error: GraphError) -> Response {
        let request_id = self.lock().ids.uuid();
        let client_request_id =
            headers.get("client-request-id").and_then(|v| v.to_str().ok()).unwrap_or(&request_id).to_string();
        let date = clock::iso8601(self.inner.clock.now_unix());
        let body = json!({"error": {
            "code": error.code,
            "message": error.message,
            "innerError": {
                "date": date.trim_end_matches('Z'),
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }});
        let mut response = (error.status, Json(body)).into_response();
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert("request-id", v);
        }
        if error.status == StatusCode::UNAUTHORIZED {
            let challenge = format!(
                "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"{}\"",
                GRAPH_APP_ID
            );
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                response.headers_mut().insert("www-authenticate", v);
            }
        }
        response
    }

    /// The bearer token's claims when it is one this fake issued for Graph and
    /// it holds `role`; otherwise the 401 or 403 Graph answers.
    pub(super) fn authorize(&self, headers: &HeaderMap, role: &str) -> Result<(), GraphError> {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(GraphError::unauthenticated("Access token is empty."));
        };
        let claims = crate::jwt::verify(&self.inner.signing_key, token)
            .map_err(|_| GraphError::unauthenticated("Access token validation failure."))?;
        if claims.get("aud").and_then(Value::as_str) != Some(GRAPH_RESOURCE)
            || claims.get("tid").and_then(Value::as_str) != Some(self.inner.config.tenant_id.as_str())
        {
            return Err(GraphError::unauthenticated("Access token validation failure. Invalid audience."));
        }
        let expires = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
        if expires <= self.inner.clock.now_unix() {
            return Err(GraphError::unauthenticated("Lifetime validation failed, the token is expired."));
        }
        let roles = claims.get("roles").and_then(Value::as_array).cloned().unwrap_or_default();
        if !roles.iter().any(|r| r.as_str() == Some(role)) {
            let message = "Insufficient privileges to complete the operation.";
            return Err(GraphError::new(StatusCode::FORBIDDEN, "Authorization_RequestDenied", message));
        }
        Ok(())
    }
}

/// The app id of Microsoft Graph itself, as its 401 challenge names it.
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// Any other path: 404, as Graph answers a segment it does not know.
pub(super) async fn unknown_path(
    axum::extract::State(fake): axum::extract::State<GraphFake>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let segment = uri.path().trim_start_matches('/').split('/').nth(1).unwrap_or_default().to_string();
    let message = format!("Resource not found for the segment '{segment}'.");
    fake.answer(&headers, GraphError::new(StatusCode::NOT_FOUND, "BadRequest", message))
}
