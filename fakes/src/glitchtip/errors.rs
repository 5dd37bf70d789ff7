//! GlitchTip's error responses: `{"detail": …}` with the status its API
//! answers (401 no or bad token, 403 bad DSN key, 404 unknown object, 400 a
//! body that cannot be parsed, 422 a body of the wrong shape).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::framework_error;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GtError {
    pub status: StatusCode,
    pub detail: Value,
}

impl GtError {
    pub(super) fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self { status, detail: Value::String(detail.into()) }
    }

    pub(super) fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized")
    }

    pub(super) fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found")
    }

    pub(super) fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 422 with a validation list, as GlitchTip's API framework reports it.
    pub(super) fn validation(field: &str, msg: impl Into<String>) -> Self {
        let detail = framework_error::value_error(&["body", "payload", field], msg);
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, detail }
    }
}

impl IntoResponse for GtError {
    fn into_response(self) -> Response {
        framework_error::detail(self.status, self.detail)
    }
}

/// A JSON body parsed into `T`, or GlitchTip's answer; never rejects, so a
/// handler checks the token first and the body second.
pub(crate) struct Body<T>(pub Result<T, GtError>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = match Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Ok(Body(Err(GtError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large"))))
            }
            Err(_) => return Ok(Body(Err(GtError::bad_request("Cannot parse request body")))),
        };
        let parsed = serde_json::from_slice::<Value>(&bytes)
            .map_err(|_| GtError::bad_request("Cannot parse request body"))
            .and_then(|v| {
                serde_json::from_value::<T>(v).map_err(|e| {
                    let text = e.to_string();
                    let field = text.strip_prefix("missing field `").and_then(|r| r.split('`').next()).unwrap_or("");
                    match field {
                        "" => GtError::validation("", text),
                        f => GtError::validation(f, "Field required"),
                    }
                })
            });
        Ok(Body(parsed))
    }
}
