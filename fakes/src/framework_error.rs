//! The errors a web framework answers on its own, in the shapes the real
//! services' frameworks give them.
//!
//! axum refuses some requests before any handler runs (a method the path does
//! not take, a body over the size limit, a path or query it cannot parse) and
//! answers those in plain text, while every handler of a fake answers in its
//! service's JSON. [`reshape_rejections`] finds axum's own refusals and hands
//! them to the fake, which answers them as its real service's framework would
//! (NestJS for Daytona, FastAPI for ContextForge). FastAPI, and django-ninja
//! behind GlitchTip's API, answer every error as `{"detail": …}` ([`detail`]),
//! a validation error with a list of `value_error`s as its detail ([`value_error`]).

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};

/// A request axum refused on its own, before any handler ran.
pub(crate) struct Rejection {
    pub status: StatusCode,
    pub method: Method,
    /// The request's path.
    pub path: String,
    /// The headers of axum's answer (an `Allow` on a wrong method, for one).
    pub headers: HeaderMap,
}

/// Whether `response` is axum's own refusal: a 4xx or 5xx whose body is not
/// JSON (every handler of a fake answers its errors in JSON).
fn is_rejection(response: &Response) -> bool {
    let status = response.status();
    let is_json = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    !is_json && (status.is_client_error() || status.is_server_error())
}

/// `router` with axum's own refusals answered by `shape` instead; every other
/// response passes unchanged.
pub(crate) fn reshape_rejections<S, F>(router: Router<S>, shape: F) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    F: Fn(Rejection) -> Response + Clone + Send + Sync + 'static,
{
    router.layer(axum::middleware::from_fn(move |request: Request, next: Next| {
        let shape = shape.clone();
        async move {
            let (method, path) = (request.method().clone(), request.uri().path().to_string());
            let response = next.run(request).await;
            if !is_rejection(&response) {
                return response;
            }
            let (status, headers) = (response.status(), response.headers().clone());
            shape(Rejection { status, method, path, headers })
        }
    }))
}

/// FastAPI's (and django-ninja's) error answer: `{"detail": detail}` with
/// `status`; a 401 carries `WWW-Authenticate: Bearer`, as their bearer-token
/// security schemes answer.
pub(crate) fn detail(status: StatusCode, detail: impl Into<Value>) -> Response {
    let mut response = (status, Json(json!({"detail": detail.into()}))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert("www-authenticate", HeaderValue::from_static("Bearer"));
    }
    response
}

/// The `detail` of a 422 validation error: one `value_error` at `loc` (the
/// path to the offending field, `["body", …]`).
pub(crate) fn value_error(loc: &[&str], msg: impl Into<String>) -> Value {
    json!([{"type": "value_error", "loc": loc, "msg": msg.into()}])
}
