//! The Microsoft identity platform's token endpoint, `POST
//! /{tenant}/oauth2/v2.0/token`, for the client credentials grant: a form body
//! `client_id`, `client_secret`, `scope` (`https://graph.microsoft.com/.default`)
//! and `grant_type=client_credentials`. It answers `{token_type: "Bearer",
//! expires_in, ext_expires_in, access_token}`; an error is OAuth's shape with
//! the platform's `AADSTS` code in its description (401 for a bad client
//! secret, 400 otherwise).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::{GraphFake, GRAPH_RESOURCE};
use crate::clock;

/// How long an access token lives (the platform's usual 3599 s).
pub(super) const TOKEN_LIFETIME_SECS: u64 = 3599;

/// Graph's `.default` scope, by URI and by Graph's app id.
const SCOPES: [&str; 2] = ["https://graph.microsoft.com/.default", "00000003-0000-0000-c000-000000000000/.default"];

pub(super) async fn token(State(fake): State<GraphFake>, Path(tenant): Path<String>, body: Bytes) -> Response {
    let form: Vec<(String, String)> = crate::form_urlencoded::pairs(&String::from_utf8_lossy(&body)).collect();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let config = fake.config();
    if tenant != config.tenant_id && !tenant.eq_ignore_ascii_case(&config.domain) {
        let text = format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.");
        return fake.oauth_error(StatusCode::BAD_REQUEST, "invalid_request", 90002, &text);
    }
    let Some(grant_type) = field("grant_type") else {
        let text = "The request body must contain the following parameter: 'grant_type'.";
        return fake.oauth_error(StatusCode::BAD_REQUEST, "invalid_request", 900144, text);
    };
    if grant_type != "client_credentials" {
        let text = format!("The app requested an unsupported grant type '{grant_type}'.");
        return fake.oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", 70003, &text);
    }
    let client_id = field("client_id").unwrap_or_default();
    if client_id != config.client.client_id {
        let text = format!(
            "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
        );
        return fake.oauth_error(StatusCode::BAD_REQUEST, "unauthorized_client", 700016, &text);
    }
    match field("client_secret") {
        None => {
            let text = "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.";
            return fake.oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", 7000218, text);
        }
        Some(secret) if secret != config.client.client_secret => {
            let text = format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
            );
            return fake.oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", 7000215, &text);
        }
        Some(_) => {}
    }
    let scope = field("scope").unwrap_or_default();
    if !SCOPES.contains(&scope) {
        let text = format!(
            "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
        );
        return fake.oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", 1002012, &text);
    }
    let now = fake.inner.clock.now_unix();
    let mut claims = Map::new();
    claims.insert("aud".into(), json!(GRAPH_RESOURCE));
    claims.insert("iss".into(), json!(format!("https://sts.windows.net/{}/", config.tenant_id)));
    claims.insert("iat".into(), json!(now));
    claims.insert("nbf".into(), json!(now));
    claims.insert("exp".into(), json!(now + TOKEN_LIFETIME_SECS));
    claims.insert("appid".into(), json!(client_id));
    claims.insert("roles".into(), json!(config.client.roles));
    claims.insert("tid".into(), json!(config.tenant_id));
    let access_token = crate::jwt::mint(&fake.inner.signing_key, &claims);
    fake.lock().tokens_issued += 1;
    Json(json!({
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_SECS,
        "ext_expires_in": TOKEN_LIFETIME_SECS,
        "access_token": access_token,
    }))
    .into_response()
}

impl GraphFake {
    /// An OAuth error as the identity platform answers it.
    fn oauth_error(&self, status: StatusCode, error: &str, code: u32, text: &str) -> Response {
        let (trace_id, correlation_id) = {
            let mut state = self.lock();
            (state.ids.uuid(), state.ids.uuid())
        };
        let now = clock::iso8601(self.inner.clock.now_unix());
        let timestamp = now.replace('T', " ");
        let mut body = Map::new();
        body.insert("error".into(), json!(error));
        body.insert(
            "error_description".into(),
            json!(format!(
                "AADSTS{code}: {text} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"
            )),
        );
        body.insert("error_codes".into(), json!([code]));
        body.insert("timestamp".into(), json!(timestamp));
        body.insert("trace_id".into(), json!(trace_id));
        body.insert("correlation_id".into(), json!(correlation_id));
        body.insert("error_uri".into(), json!(format!("https://login.microsoftonline.com/error?code={code}")));
        (status, Json(Value::Object(body))).into_response()
    }
}
