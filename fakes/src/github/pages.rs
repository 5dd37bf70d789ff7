//! GitHub's pagination of list endpoints: `per_page` (default 30, at most
//! 100) and `page` (from 1) in the query, and a `Link` header naming the
//! `next`, `last`, `first` and `prev` pages by their full URL (clients such as
//! PyGithub and octocrab follow it). A value that is not a number is ignored,
//! as GitHub does.

use axum::extract::FromRequestParts;
use axum::http::header::LINK;
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::Inner;

const DEFAULT_PER_PAGE: usize = 30;
const MAX_PER_PAGE: usize = 100;

/// The page a list request asks for, and the rest of its query (kept in the links).
pub(crate) struct Pages {
    path: String,
    /// The query's other parameters, in their order.
    rest: Vec<String>,
    per_page: usize,
    page: usize,
}

impl<S: Send + Sync> FromRequestParts<S> for Pages {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let (mut per_page, mut page, mut rest) = (DEFAULT_PER_PAGE, 1, Vec::new());
        for pair in parts.uri.query().unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match (name, value.parse::<usize>()) {
                ("per_page", Ok(n)) => per_page = n.clamp(1, MAX_PER_PAGE),
                ("page", Ok(n)) => page = n.max(1),
                ("per_page" | "page", Err(_)) => {}
                _ => rest.push(pair.to_string()),
            }
        }
        Ok(Pages { path: parts.uri.path().to_string(), rest, per_page, page })
    }
}

impl Pages {
    fn url(&self, inner: &Inner, page: usize) -> String {
        let mut query = self.rest.clone();
        query.push(format!("per_page={}", self.per_page));
        query.push(format!("page={page}"));
        format!("{}?{}", inner.api(&self.path), query.join("&"))
    }

    /// The asked-for page of `items` as a JSON array, with GitHub's `Link` header
    /// (none when everything fits on one page).
    pub(crate) fn respond<T: Serialize>(&self, inner: &Inner, items: impl ExactSizeIterator<Item = T>) -> Response {
        let total = items.len();
        let last = total.div_ceil(self.per_page).max(1);
        let page: Vec<T> = items.skip((self.page - 1).saturating_mul(self.per_page)).take(self.per_page).collect();
        let mut links = Vec::new();
        if self.page < last {
            links.push(format!("<{}>; rel=\"next\"", self.url(inner, self.page + 1)));
            links.push(format!("<{}>; rel=\"last\"", self.url(inner, last)));
        }
        if self.page > 1 {
            links.push(format!("<{}>; rel=\"prev\"", self.url(inner, (self.page - 1).min(last))));
            links.push(format!("<{}>; rel=\"first\"", self.url(inner, 1)));
        }
        let mut response = Json(page).into_response();
        if let Ok(value) = HeaderValue::from_str(&links.join(", ")) {
            if !links.is_empty() {
                response.headers_mut().insert(LINK, value);
            }
        }
        response
    }
}
