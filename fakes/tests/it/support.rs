//! What the tests share: sending a request to a router, serving one on
//! loopback, and request bodies for the property tests.

use std::future::Future;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use proptest::prelude::*;
use serde_json::{json, Value};
use squadsim_fakes::net::serve_loopback;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// A JSON request (`content-type: application/json`), with `Authorization:
/// Bearer <token>` when given a token.
pub(crate) fn json_request(method: Method, uri: &str, bearer: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(body.into()).expect("request")
}

/// Runs `future` on a fresh single-threaded tokio runtime with time enabled
/// (the body of a property test, which proptest runs outside tokio).
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio").block_on(future)
}

/// Sends `request` to `app`: the status, the headers and the body as JSON
/// (`null` when it is not JSON).
pub(crate) async fn respond(app: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// A listener on 127.0.0.1 (an ephemeral port) and its base URL.
pub(crate) async fn loopback() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("local addr"));
    (listener, base)
}

/// Serves `router` on a new loopback listener with the fakes' own server; its base URL.
pub(crate) async fn serve(router: Router) -> String {
    let (listener, base) = loopback().await;
    tokio::spawn(serve_loopback(router, listener));
    base
}

/// Any JSON value up to three levels deep whose objects are keyed by `names`
/// (or short random words) and whose strings are often `names` too, so bodies
/// reach the fields and values a fake reads.
pub(crate) fn json_value(names: &'static [&'static str]) -> impl Strategy<Value = Value> + Clone {
    let name = move || prop::sample::select(names).prop_map(str::to_string);
    let leaf = prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(|n| json!(n)),
        1 => "[a-z/: ]{0,12}".prop_map(Value::String),
        4 => name().prop_map(Value::String),
    ];
    let keys = names.len() as u32;
    leaf.prop_recursive(3, 24, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(prop_oneof![keys => name(), 1 => "[a-z]{1,6}"], inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Request bodies: JSON from [`json_value`], up to 64 arbitrary bytes, or an
/// unterminated `{…` of 1 byte, 3 MB (over axum's default 2 MB limit) or 6 MB
/// (over every fake's).
pub(crate) fn bodies(names: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> + Clone {
    prop_oneof![
        json_value(names).prop_map(|v| v.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..64),
        (0usize..3).prop_map(|k| vec![b'{'; 1 + k * 3_000_000]),
    ]
}
