//! Who a request acts as, and how GitHub renders accounts.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError};

use serde::{Serialize, Serializer};
use serde_json::value::{to_raw_value, RawValue};
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

    /// [`Actor::account`] serialized, kept by the fake: the same bytes,
    /// built once per account.
    pub(crate) fn rendered(&self, inner: &Inner) -> Option<Rendered> {
        match self {
            Actor::Anonymous => None,
            Actor::Bot => Some(rendered(inner, &inner.bot_login(), inner.config.app.bot_user_id, "Bot")),
            Actor::User { login, id } => Some(rendered(inner, login, *id, "User")),
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

/// A document serialized once and kept ([`rendered`]), serialized as its
/// bytes stand.
#[derive(Debug, Clone)]
pub(crate) struct Rendered(Arc<RawValue>);

impl Rendered {
    /// `doc` serialized. Only for documents serde_json cannot fail on (structs
    /// with string keys).
    pub(crate) fn of<T: Serialize + ?Sized>(doc: &T) -> Rendered {
        Rendered(Arc::from(to_raw_value(doc).expect("a document with string keys serializes")))
    }

    pub(crate) fn raw(&self) -> &RawValue {
        &self.0
    }
}

impl Serialize for Rendered {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// The accounts the fake has rendered, by login, then id and kind: what
/// [`Account::new`] builds depends on nothing else (the config is fixed), so
/// each is serialized once. A handful of accounts per fake (its bot, its
/// users, the repository owners).
#[derive(Debug, Default)]
pub(crate) struct RenderedAccounts(BTreeMap<String, Vec<(u64, String, Rendered)>>);

/// [`Account::new`] serialized: the bytes are built on the first call for an
/// account and kept.
pub(crate) fn rendered(inner: &Inner, login: &str, id: u64, kind: &str) -> Rendered {
    let mut kept = inner.accounts.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = kept.0.get(login).and_then(|v| v.iter().find(|(i, k, _)| *i == id && k == kind)) {
        return found.2.clone();
    }
    let doc = Rendered::of(&Account::new(inner, login.into(), id, kind));
    kept.0.entry(login.to_string()).or_default().push((id, kind.to_string(), doc.clone()));
    doc
}

/// [`Account`] as a `Value`, for documents still built with `json!`.
pub(crate) fn account_json(inner: &Inner, login: &str, id: u64, kind: &str) -> Value {
    serde_json::to_value(Account::new(inner, login.into(), id, kind)).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::FixedClock;
    use crate::github::{GithubConfig, GithubFake};

    #[test]
    fn kept_accounts_are_the_bytes_of_the_accounts_built_each_time() {
        let fake = GithubFake::new(GithubConfig::default(), Arc::new(FixedClock::new(1_780_315_200))).expect("config");
        let inner = &fake.inner;
        let logins = ["octo", "codexgate[bot]", "Octo", "é \"quoted\" \\ [x]", ""];
        for round in 0..2 {
            for login in logins {
                for id in [1, 2, u64::MAX] {
                    for kind in ["User", "Bot", "Organization"] {
                        let built = serde_json::to_string(&Account::new(inner, login.into(), id, kind)).unwrap();
                        let kept = serde_json::to_string(&rendered(inner, login, id, kind)).unwrap();
                        assert_eq!(kept, built, "round {round}: {login} {id} {kind}");
                    }
                }
            }
        }
        let bot = Actor::Bot;
        let user = Actor::User { login: "octo".into(), id: 9 };
        for actor in [&bot, &user] {
            let built = serde_json::to_string(&actor.account(inner)).unwrap();
            assert_eq!(serde_json::to_string(&actor.rendered(inner)).unwrap(), built);
            // A document holding a kept account reads back as the account's `Value`.
            assert_eq!(serde_json::to_value(actor.rendered(inner)).unwrap(), actor.json(inner));
        }
        assert!(Actor::Anonymous.rendered(inner).is_none());
    }
}
