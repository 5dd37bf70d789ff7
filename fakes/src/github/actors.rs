//! Who a request acts as, and how GitHub renders accounts.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

use super::Inner;

/// The account a request acts as on a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Actor {
    /// No credentials: may read public repositories only.
    Anonymous,
    /// An installation token: acts as `<app-slug>[bot]`.
    Bot,
    /// The legacy org PAT: acts as its human user.
    User { login: String, id: u64 },
}

impl Actor {
    /// The rendered account (`null` for anonymous).
    pub(crate) fn json(&self, inner: &Inner) -> Value {
        match self {
            Actor::Anonymous => Value::Null,
            _ => serde_json::to_value(self.account(inner)).unwrap_or(Value::Null),
        }
    }

    /// The rendered account, typed (`None`, rendered `null`, for anonymous).
    pub(crate) fn account(&self, inner: &Inner) -> Option<Account<'_>> {
        match self {
            Actor::Anonymous => None,
            Actor::Bot => Some(Account::new(inner, inner.bot_login().into(), inner.config.app.bot_user_id, "Bot")),
            Actor::User { login, id } => Some(Account::new(inner, login.into(), *id, "User")),
        }
    }

    pub(crate) fn login(&self, inner: &Inner) -> Option<String> {
        match self {
            Actor::Anonymous => None,
            Actor::Bot => Some(inner.bot_login()),
            Actor::User { login, .. } => Some(login.clone()),
        }
    }

    /// Git author name and email for commits this actor makes.
    pub(crate) fn signature(&self, inner: &Inner) -> (String, String) {
        match self {
            Actor::User { login, id } => (login.clone(), format!("{id}+{login}@users.noreply.github.com")),
            _ => {
                let login = inner.bot_login();
                (login.clone(), format!("{}+{login}@users.noreply.github.com", inner.config.app.bot_user_id))
            }
        }
    }
}

/// A user, bot or organization object with every URL field GitHub sends, in
/// GitHub's key order; serialized as it stands (no `Value` in between).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Account<'a> {
    login: Cow<'a, str>,
    id: u64,
    node_id: String,
    avatar_url: String,
    gravatar_id: &'static str,
    url: String,
    html_url: String,
    followers_url: String,
    following_url: String,
    gists_url: String,
    starred_url: String,
    subscriptions_url: String,
    organizations_url: String,
    repos_url: String,
    events_url: String,
    received_events_url: String,
    #[serde(rename = "type")]
    kind: &'a str,
    user_view_type: &'static str,
    site_admin: bool,
}

impl<'a> Account<'a> {
    /// `kind` is GitHub's `type` (`User`, `Bot`, `Organization`).
    pub(crate) fn new(inner: &Inner, login: Cow<'a, str>, id: u64, kind: &'a str) -> Self {
        let path = login.replace('[', "%5B").replace(']', "%5D");
        let api = inner.api(&format!("/users/{path}"));
        let prefix = match kind {
            "Bot" => "BOT",
            "Organization" => "O",
            _ => "U",
        };
        Account {
            login,
            id,
            node_id: format!("{prefix}_kgDO{id:08X}"),
            avatar_url: inner.html(&format!("/avatars/u/{id}?v=4")),
            gravatar_id: "",
            html_url: inner.html(&format!("/{path}")),
            followers_url: format!("{api}/followers"),
            following_url: format!("{api}/following{{/other_user}}"),
            gists_url: format!("{api}/gists{{/gist_id}}"),
            starred_url: format!("{api}/starred{{/owner}}{{/repo}}"),
            subscriptions_url: format!("{api}/subscriptions"),
            organizations_url: format!("{api}/orgs"),
            repos_url: format!("{api}/repos"),
            events_url: format!("{api}/events{{/privacy}}"),
            received_events_url: format!("{api}/received_events"),
            url: api,
            kind,
            user_view_type: "public",
            site_admin: false,
        }
    }
}

/// [`Account`] as a `Value`, for documents still built with `json!`.
pub(crate) fn account_json(inner: &Inner, login: &str, id: u64, kind: &str) -> Value {
    serde_json::to_value(Account::new(inner, login.into(), id, kind)).unwrap_or(Value::Null)
}
