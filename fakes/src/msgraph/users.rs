//! `GET /v1.0/users/{id | userPrincipalName}` (needs `User.Read.All`).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::errors::GraphError;
use super::GraphFake;

/// The application permission that reads every user.
pub(super) const READ_ROLE: &str = "User.Read.All";

pub(super) async fn get_user(State(fake): State<GraphFake>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(e) = fake.authorize(&headers, READ_ROLE) {
        return fake.answer(&headers, e);
    }
    // A user principal name is matched without regard to case, as the directory does.
    let found =
        fake.lock().users.iter().find(|(upn, object_id)| upn.eq_ignore_ascii_case(&id) || *object_id == id).cloned();
    let Some((upn, object_id)) = found else {
        return fake.answer(&headers, GraphError::not_found(&id));
    };
    let name = upn.split('@').next().unwrap_or_default().to_string();
    Json(json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
        "businessPhones": [],
        "displayName": name,
        "givenName": null,
        "jobTitle": null,
        "mail": upn,
        "mobilePhone": null,
        "officeLocation": null,
        "preferredLanguage": null,
        "surname": null,
        "userPrincipalName": upn,
        "id": object_id,
    }))
    .into_response()
}
