//! GitHub's error responses and request-body parsing.
//!
//! Every failure leaves as `{"message", "documentation_url"[, "errors"]}` with
//! GitHub's status: 400 "Problems parsing JSON", 401 "Bad credentials",
//! 403, 404 "Not Found", 405/409 on merges, 413 for an oversized body, 422
//! "Validation Failed" with an `errors` list (or "Invalid request." for a
//! body of the wrong shape). Parsing never panics on any input.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

pub(crate) const DOCS: &str = "https://docs.github.com/rest";

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GhError {
    pub status: StatusCode,
    pub message: String,
    pub errors: Option<Vec<Value>>,
    pub documentation_url: &'static str,
}

impl GhError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), errors: None, documentation_url: DOCS }
    }

    /// The same status with another message.
    pub(crate) fn with_message(self, message: impl Into<String>) -> Self {
        Self { message: message.into(), ..self }
    }

    pub(crate) fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found")
    }

    pub(crate) fn bad_credentials() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Bad credentials")
    }

    pub(crate) fn jwt(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub(crate) fn integration_forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "Resource not accessible by integration")
    }

    /// 422 "Validation Failed" with one entry in `errors`.
    pub(crate) fn validation(error: Value) -> Self {
        Self { errors: Some(vec![error]), ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed") }
    }

    pub(crate) fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }
}

impl IntoResponse for GhError {
    fn into_response(self) -> Response {
        let mut body = json!({"message": self.message, "documentation_url": self.documentation_url});
        if let Some(errors) = self.errors {
            body["errors"] = Value::Array(errors);
        }
        (self.status, axum::Json(body)).into_response()
    }
}

/// A JSON request body parsed into `T`, or the error GitHub would answer.
/// The extractor itself never rejects, so a handler checks credentials first
/// (GitHub answers 401 before looking at the body) and then the body.
pub(crate) struct Body<T>(pub Result<T, GhError>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Body(match Bytes::from_request(req, state).await {
            Ok(bytes) => parse_json(&bytes),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(GhError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large"))
            }
            Err(_) => Err(GhError::new(StatusCode::BAD_REQUEST, "Problems parsing JSON")),
        }))
    }
}

/// Parses a body the way GitHub does: not JSON -> 400 "Problems parsing
/// JSON"; JSON of the wrong shape -> 422 "Invalid request." naming the field.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, GhError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|_| GhError::new(StatusCode::BAD_REQUEST, "Problems parsing JSON"))?;
    if !value.is_object() {
        return Err(GhError::unprocessable(format!("Invalid request.\n\n{} is not an object.", type_name(&value))));
    }
    serde_json::from_value(value).map_err(|e| {
        let text = e.to_string();
        match text.strip_prefix("missing field `").and_then(|rest| rest.split('`').next()) {
            Some(field) => GhError::unprocessable(format!("Invalid request.\n\n\"{field}\" wasn't supplied.")),
            None => GhError::unprocessable(format!("Invalid request.\n\n{text}.")),
        }
    })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct T {
        #[allow(dead_code)]
        title: String,
    }

    #[test]
    fn body_errors_have_github_statuses() {
        assert_eq!(parse_json::<T>(b"{").unwrap_err().status, StatusCode::BAD_REQUEST);
        let missing = parse_json::<T>(b"{}").unwrap_err();
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(missing.message, "Invalid request.\n\n\"title\" wasn't supplied.");
        assert_eq!(parse_json::<T>(b"[1]").unwrap_err().status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(parse_json::<T>(br#"{"title": 5}"#).unwrap_err().status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(parse_json::<T>(br#"{"title": "x"}"#).is_ok());
    }
}
