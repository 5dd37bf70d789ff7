//! App authentication: the App JWT (RS256, `iss` = app id, `iat`/`exp`
//! checked against the fake's clock, `exp` at most 10 minutes ahead), the
//! installation tokens it mints, the legacy org PAT, and the `/app` endpoints.
//!
//! Guarantees: a credential is accepted only if it is a JWT signed by the
//! configured key with valid claims (on `/app` endpoints), an unexpired
//! `ghs_…` token this fake minted, or the configured org PAT; everything else
//! gets GitHub's 401 message for that case.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Path, State as AxState};
use axum::http::request::Parts;
use axum::http::{header::AUTHORIZATION, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use ring::signature::{self, UnparsedPublicKey};
use serde::Deserialize;
use serde_json::{json, Value};

use super::actors::{account_json, Actor};
use super::config::RepositorySelection;
use super::errors::{Body, GhError};
use super::{GithubFake, Inner, Repo, State};
use crate::clock::iso8601;

/// The credential of a request, as sent after `Bearer` or `token`.
/// `Some("")` stands for an `Authorization` header of an unknown scheme.
pub(crate) struct Credential(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Credential {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(AUTHORIZATION) else {
            return Ok(Credential(None));
        };
        let text = value.to_str().unwrap_or("").trim();
        let (scheme, token) = text.split_once(' ').unwrap_or((text, ""));
        let token = token.trim();
        let known = scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token");
        Ok(Credential(Some(if known { token.to_string() } else { String::new() })))
    }
}

/// An installation token this fake minted.
#[derive(Debug, Clone)]
pub(crate) struct IssuedToken {
    pub expires_at: u64,
    pub permissions: BTreeMap<String, String>,
    /// Lower-cased repository names the token is limited to, if any.
    pub repositories: Option<Vec<String>>,
}

/// What a repository endpoint needs from its caller.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Need {
    Read,
    /// Write access under this installation permission (e.g. `pull_requests`).
    Write(&'static str),
}

/// What a repository endpoint needs from its caller, as a type for [`RepoAccess`].
pub(crate) trait Access {
    const NEED: Need;
}

/// Reading the repository (anonymous callers may read a public one).
pub(crate) struct Read;

/// Writing contents and refs (installation permission `contents`).
pub(crate) struct WriteContents;

/// Opening pull requests (installation permission `pull_requests`).
pub(crate) struct WritePullRequests;

/// Opening issues and commenting (installation permission `issues`).
pub(crate) struct WriteIssues;

impl Access for Read {
    const NEED: Need = Need::Read;
}

impl Access for WriteContents {
    const NEED: Need = Need::Write("contents");
}

impl Access for WritePullRequests {
    const NEED: Need = Need::Write("pull_requests");
}

impl Access for WriteIssues {
    const NEED: Need = Need::Write("issues");
}

/// A request on the repository `{owner}/{repo}` of its path by a credential that
/// may act on it as `A` needs; GitHub's answer otherwise, before the handler runs
/// (see [`repo_actor`]: 404 for a repository that does not exist or that the
/// credential cannot reach, 403 for a token lacking the permission, 401 for a
/// bad credential). Handlers take it after their other path and query
/// extractors, so what axum cannot parse is refused first.
pub(crate) struct RepoAccess<A> {
    pub fake: GithubFake,
    /// The repository's key in the fake's state ([`State::repo_key`]).
    pub key: String,
    /// Who the request acts as.
    pub actor: Actor,
    access: PhantomData<A>,
}

impl<A> RepoAccess<A> {
    /// Reads the repository under the fake's lock: `read` gets the fake's settings
    /// and the repository; 404 when the repository no longer exists.
    pub(crate) fn read<T>(&self, read: impl FnOnce(&Inner, &Repo) -> Result<T, GhError>) -> Result<T, GhError> {
        let state = self.fake.lock();
        read(&self.fake.inner, state.repo(&self.key)?)
    }
}

impl<A: Access> FromRequestParts<GithubFake> for RepoAccess<A> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, fake: &GithubFake) -> Result<Self, Response> {
        let Ok(cred) = Credential::from_request_parts(parts, fake).await;
        let Path(params) = Path::<BTreeMap<String, String>>::from_request_parts(parts, fake)
            .await
            .map_err(IntoResponse::into_response)?;
        let (owner, repo) =
            (params.get("owner").map_or("", String::as_str), params.get("repo").map_or("", String::as_str));
        let actor =
            repo_actor(&fake.inner, &fake.lock(), &cred, owner, repo, A::NEED).map_err(IntoResponse::into_response)?;
        Ok(RepoAccess { fake: fake.clone(), key: State::repo_key(owner, repo), actor, access: PhantomData })
    }
}

const JWT_UNDECODABLE: &str = "A JSON web token could not be decoded";

fn looks_like_jwt(token: &str) -> bool {
    token.matches('.').count() == 2
}

fn int_claim(claims: &Value, name: &str) -> Option<i64> {
    claims.get(name).and_then(Value::as_i64)
}

/// The App's public key, as jsonwebtoken reads it, and as `ring` verifies with it
/// when jsonwebtoken's `rsa` backend would take it too.
pub(crate) struct AppKey {
    key: DecodingKey,
    /// The key's PKCS#1 DER for `ring`, when the `rsa` crate reads it as a public key
    /// (at most 4,096 bits, odd, an odd exponent below it) of at least 2,048 bits
    /// (`ring`'s least): for such a key a signature `ring` accepts is one `rsa` accepts.
    ring: Option<UnparsedPublicKey<Vec<u8>>>,
}

impl AppKey {
    /// The key of a PEM (`DecodingKey::from_rsa_pem`'s errors).
    pub(crate) fn from_pem(pem: &str) -> Result<Self, jsonwebtoken::errors::Error> {
        use rsa::pkcs1::DecodeRsaPublicKey as _;
        use rsa::traits::PublicKeyParts as _;
        let key = DecodingKey::from_rsa_pem(pem.as_bytes())?;
        let ring = rsa::RsaPublicKey::from_pkcs1_der(key.as_bytes())
            .is_ok_and(|k| k.n().bits() >= 2048)
            .then(|| UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, key.as_bytes().to_vec()));
        Ok(AppKey { key, ring })
    }

    /// The claims of `token` when it is an RS256 JWT signed by this key, as
    /// `jsonwebtoken::decode::<Value>` with [`AppKey::validation`] reads them; `None`
    /// for every token it refuses.
    ///
    /// jsonwebtoken's `rust_crypto` backend checks the signature with the `rsa`
    /// crate's big integers (~2.4 M instructions); `ring` checks it for ~0.1 M. Both
    /// implement RSASSA-PKCS1-v1_5 verification (RFC 8017 8.2.2): the signature as
    /// long as the modulus and below it, raised to the exponent, compared with the
    /// whole encoded message. So everything but the signature is left to jsonwebtoken
    /// (the header and its `alg`, the base64, the claims' JSON and its claim checks)
    /// and a signature `ring` accepts is accepted; one it refuses is decided by
    /// jsonwebtoken whole, so a refusal stays jsonwebtoken's.
    fn claims(&self, token: &str) -> Option<Value> {
        if let Some(claims) = self.ring.as_ref().and_then(|ring| self.ring_verified(ring, token)) {
            return Some(claims);
        }
        jsonwebtoken::decode::<Value>(token, &self.key, &Self::validation()).ok().map(|data| data.claims)
    }

    fn ring_verified(&self, ring: &UnparsedPublicKey<Vec<u8>>, token: &str) -> Option<Value> {
        use base64::Engine as _;
        let (message, signature) = token.rsplit_once('.')?;
        let mut unsigned = Self::validation();
        // Deprecated for callers that would skip the signature; it is checked below.
        #[allow(deprecated)]
        unsigned.insecure_disable_signature_validation();
        let data = jsonwebtoken::decode::<Value>(token, &self.key, &unsigned).ok()?;
        // What signature validation adds: the header's algorithm among those allowed,
        // the signature's base64 (jsonwebtoken's engine), the signature.
        if data.header.alg != Algorithm::RS256 {
            return None;
        }
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature).ok()?;
        ring.verify(message.as_bytes(), &signature).ok()?;
        Some(data.claims)
    }

    /// RS256 only; the claims are checked by [`verify_app_jwt`], not by jsonwebtoken.
    fn validation() -> Validation {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation
    }
}

/// Verifies an App JWT the way GitHub does, against the fake's clock.
pub(crate) fn verify_app_jwt(inner: &Inner, token: &str) -> Result<(), GhError> {
    let claims = inner.key.claims(token).ok_or_else(|| GhError::jwt(JWT_UNDECODABLE))?;
    let iss_ok = match claims.get("iss") {
        Some(Value::Number(n)) => n.as_u64() == Some(inner.config.app.id),
        Some(Value::String(s)) => s.parse::<u64>().ok() == Some(inner.config.app.id),
        _ => return Err(GhError::jwt("'Issuer' claim ('iss') must be an Integer")),
    };
    if !iss_ok {
        return Err(GhError::jwt(JWT_UNDECODABLE));
    }
    let now = inner.clock.now_unix() as i64;
    let iat = int_claim(&claims, "iat");
    if iat.is_none_or(|iat| iat > now + 60) {
        return Err(GhError::jwt(
            "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
        ));
    }
    match int_claim(&claims, "exp") {
        Some(exp) if exp > now + 600 => Err(GhError::jwt("'Expiration time' claim ('exp') is too far in the future")),
        Some(exp) if exp > now => Ok(()),
        _ => Err(GhError::jwt(
            "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
        )),
    }
}

/// `/app` endpoints accept only a valid App JWT.
pub(crate) fn require_app(inner: &Inner, cred: &Credential) -> Result<(), GhError> {
    match cred.0.as_deref() {
        Some(token) if looks_like_jwt(token) => verify_app_jwt(inner, token),
        _ => Err(GhError::jwt(JWT_UNDECODABLE)),
    }
}

/// Resolves who a request acts as on `owner/repo`, enforcing access:
/// unknown or unreachable repositories are 404 (as GitHub hides them), a
/// token lacking the permission is 403, a bad credential 401.
pub(crate) fn repo_actor(
    inner: &Inner,
    state: &State,
    cred: &Credential,
    owner: &str,
    repo: &str,
    need: Need,
) -> Result<Actor, GhError> {
    let key = State::repo_key(owner, repo);
    let found = state.repos.get(&key);
    let Some(token) = cred.0.as_deref() else {
        return match (found, need) {
            (_, Need::Write(_)) => Err(GhError::new(StatusCode::UNAUTHORIZED, "Requires authentication")),
            (Some(r), Need::Read) if !r.private => Ok(Actor::Anonymous),
            _ => Err(GhError::not_found()),
        };
    };
    if let Some(pat) = inner.config.org_pat.as_ref().filter(|p| !p.token.is_empty() && p.token == token) {
        let member = owner.eq_ignore_ascii_case(&inner.config.installation.account);
        return match found {
            Some(r) if member || !r.private => Ok(Actor::User { login: pat.login.clone(), id: pat.user_id }),
            _ => Err(GhError::not_found()),
        };
    }
    if looks_like_jwt(token) {
        // An App JWT authenticates as the App itself, which cannot act on repositories.
        verify_app_jwt(inner, token)?;
        return Err(GhError::integration_forbidden());
    }
    let issued = state.tokens.get(token).filter(|t| t.expires_at > inner.clock.now_unix());
    let Some(issued) = issued else {
        return Err(GhError::bad_credentials());
    };
    let Some(found) = found else {
        return Err(GhError::not_found());
    };
    if !inner.installation_reaches(&found.owner, &found.name)
        || issued.repositories.as_ref().is_some_and(|names| !names.contains(&found.name.to_lowercase()))
    {
        return Err(GhError::not_found());
    }
    if let Need::Write(permission) = need {
        if issued.permissions.get(permission).map(String::as_str) != Some("write") {
            return Err(GhError::integration_forbidden());
        }
    }
    Ok(Actor::Bot)
}

fn app_json(inner: &Inner) -> Value {
    let app = &inner.config.app;
    let owner = &inner.config.installation;
    json!({
        "id": app.id,
        "slug": app.slug,
        "node_id": format!("A_kwDO{:08X}", app.id),
        "client_id": format!("Iv1.{:016x}", app.id),
        "owner": account_json(inner, &owner.account, owner.account_id, "Organization"),
        "name": app.name,
        "description": "",
        "external_url": inner.html(""),
        "html_url": inner.html(&format!("/apps/{}", app.slug)),
        "created_at": iso8601(0),
        "updated_at": iso8601(0),
        "permissions": owner.permissions,
        "events": [],
        "installations_count": 1,
    })
}

fn installation_json(inner: &Inner) -> Value {
    let inst = &inner.config.installation;
    let selection = match inst.repository_selection {
        RepositorySelection::All => "all",
        RepositorySelection::Selected => "selected",
    };
    json!({
        "id": inst.id,
        "account": account_json(inner, &inst.account, inst.account_id, "Organization"),
        "repository_selection": selection,
        "access_tokens_url": inner.api(&format!("/app/installations/{}/access_tokens", inst.id)),
        "repositories_url": inner.api("/installation/repositories"),
        "html_url": inner.html(&format!("/organizations/{}/settings/installations/{}", inst.account, inst.id)),
        "app_id": inner.config.app.id,
        "app_slug": inner.config.app.slug,
        "target_id": inst.account_id,
        "target_type": "Organization",
        "permissions": inst.permissions,
        "events": [],
        "created_at": iso8601(0),
        "updated_at": iso8601(0),
        "single_file_name": null,
        "has_multiple_single_files": false,
        "single_file_paths": [],
        "suspended_by": null,
        "suspended_at": if inst.suspended { Value::String(iso8601(0)) } else { Value::Null },
    })
}

/// `GET /app`
pub(crate) async fn get_app(AxState(fake): AxState<GithubFake>, cred: Credential) -> Result<Json<Value>, GhError> {
    require_app(&fake.inner, &cred)?;
    Ok(Json(app_json(&fake.inner)))
}

/// `GET /app/installations`
pub(crate) async fn list_installations(
    AxState(fake): AxState<GithubFake>,
    cred: Credential,
) -> Result<Json<Value>, GhError> {
    require_app(&fake.inner, &cred)?;
    Ok(Json(json!([installation_json(&fake.inner)])))
}

/// `GET /app/installations/{installation_id}`
pub(crate) async fn get_installation(
    AxState(fake): AxState<GithubFake>,
    cred: Credential,
    Path(id): Path<String>,
) -> Result<Json<Value>, GhError> {
    require_app(&fake.inner, &cred)?;
    if id.parse::<u64>().ok() != Some(fake.inner.config.installation.id) {
        return Err(GhError::not_found());
    }
    Ok(Json(installation_json(&fake.inner)))
}

/// `GET /repos/{owner}/{repo}/installation` and `GET /orgs/{org}/installation`.
pub(crate) async fn get_repo_installation(
    AxState(fake): AxState<GithubFake>,
    cred: Credential,
    Path(params): Path<BTreeMap<String, String>>,
) -> Result<Json<Value>, GhError> {
    let inner = &fake.inner;
    require_app(inner, &cred)?;
    let owner = params.get("owner").or_else(|| params.get("org")).cloned().unwrap_or_default();
    let reaches = match params.get("repo") {
        Some(repo) => {
            fake.lock().repos.contains_key(&State::repo_key(&owner, repo)) && inner.installation_reaches(&owner, repo)
        }
        None => owner.eq_ignore_ascii_case(&inner.config.installation.account),
    };
    if !reaches {
        return Err(GhError::not_found());
    }
    Ok(Json(installation_json(inner)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct TokenRequest {
    repositories: Option<Vec<String>>,
    repository_ids: Option<Vec<u64>>,
    permissions: Option<BTreeMap<String, String>>,
}

/// `POST /app/installations/{installation_id}/access_tokens` -> 201 with a
/// `ghs_…` token valid for `token_ttl_secs`.
pub(crate) async fn create_access_token(
    AxState(fake): AxState<GithubFake>,
    cred: Credential,
    Path(id): Path<String>,
    body: Body<TokenRequest>,
) -> Result<Response, GhError> {
    let inner = &fake.inner;
    require_app(inner, &cred)?;
    let inst = &inner.config.installation;
    if id.parse::<u64>().ok() != Some(inst.id) {
        return Err(GhError::not_found());
    }
    if inst.suspended {
        return Err(GhError::new(StatusCode::FORBIDDEN, "This installation has been suspended"));
    }
    // octocrab and others may send an empty body; GitHub accepts that.
    let request = match body.0 {
        Ok(r) => r,
        Err(e) if e.status == StatusCode::BAD_REQUEST => TokenRequest::default(),
        Err(e) => return Err(e),
    };
    // Absent or `{}` (PyGithub always sends `{"permissions": {}}`): everything the
    // installation has. Otherwise only what was asked, each no more than granted,
    // plus `metadata: read`, which every token carries.
    let mut permissions = inst.permissions.clone();
    if let Some(mut asked) = request.permissions.filter(|asked| !asked.is_empty()) {
        for (name, level) in &asked {
            let granted = inst.permissions.get(name).map(String::as_str);
            let ok = matches!((granted, level.as_str()), (Some("write"), "read" | "write") | (Some("read"), "read"));
            if !ok {
                return Err(GhError::unprocessable("The permissions requested are not granted to this installation."));
            }
        }
        if let Some(metadata) = inst.permissions.get("metadata") {
            asked.entry("metadata".to_string()).or_insert_with(|| metadata.clone());
        }
        permissions = asked;
    }
    let mut state = fake.lock();
    let mut names: Option<Vec<String>> = None;
    let unreachable = || {
        GhError::unprocessable(
            "There is at least one repository that does not exist or is not accessible to the parent installation.",
        )
    };
    for name in request.repositories.unwrap_or_default() {
        let key = State::repo_key(&inst.account, &name);
        if !state.repos.contains_key(&key) || !inner.installation_reaches(&inst.account, &name) {
            return Err(unreachable());
        }
        names.get_or_insert_with(Vec::new).push(name.to_lowercase());
    }
    for rid in request.repository_ids.unwrap_or_default() {
        let Some(r) = state.repos.values().find(|r| r.id == rid && inner.installation_reaches(&r.owner, &r.name))
        else {
            return Err(unreachable());
        };
        names.get_or_insert_with(Vec::new).push(r.name.to_lowercase());
    }
    let token = format!("ghs_{}", state.ids.alphanumeric(36));
    let expires_at = inner.clock.now_unix() + inner.config.token_ttl_secs;
    let selection =
        if names.is_some() || inst.repository_selection == RepositorySelection::Selected { "selected" } else { "all" };
    let mut body = json!({
        "token": token,
        "expires_at": iso8601(expires_at),
        "permissions": permissions,
        "repository_selection": selection,
    });
    if let Some(names) = &names {
        let repos: Vec<Value> = names
            .iter()
            .filter_map(|n| state.repos.get(&State::repo_key(&inst.account, n)))
            .map(|r| r.json(inner))
            .collect();
        body["repositories"] = Value::Array(repos);
    }
    state.tokens.insert(token, IssuedToken { expires_at, permissions, repositories: names });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    use super::*;
    use crate::github::keys::{TEST_APP_PRIVATE_KEY_PEM, TEST_APP_PUBLIC_KEY_PEM};

    const UNREGISTERED_PEM: &str = include_str!("../../keys/unregistered-test.private-key.pem");

    /// `header.claims` (each JSON text as given) signed RS256 with `private_pem` by `ring`.
    fn signed(private_pem: &str, header: &str, claims: &str) -> String {
        let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).expect("key");
        let key = ring::signature::RsaKeyPair::from_der(key.inner()).expect("ring key");
        let message = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims));
        let mut signature = vec![0; key.public().modulus_len()];
        key.sign(&signature::RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), message.as_bytes(), &mut signature)
            .expect("sign");
        format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn encoded(alg: Algorithm, private_pem: &str, claims: &Value) -> String {
        let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).expect("key");
        jsonwebtoken::encode(&Header::new(alg), claims, &key).expect("sign")
    }

    #[test]
    fn ring_verifies_the_tokens_jsonwebtoken_verifies_and_refuses_the_others() {
        let key = AppKey::from_pem(TEST_APP_PUBLIC_KEY_PEM).expect("key");
        let ring = key.ring.as_ref().expect("the test App's 2,048-bit key is verified by ring");
        let claims = json!({"iat": 1_780_315_140, "exp": 1_780_315_740, "iss": 3_249_317});
        let good = encoded(Algorithm::RS256, TEST_APP_PRIVATE_KEY_PEM, &claims);
        let (message, sig) = good.rsplit_once('.').expect("three segments");
        let rs256 = r#"{"typ":"JWT","alg":"RS256"}"#;
        let tampered_claims = {
            let mut parts: Vec<&str> = good.split('.').collect();
            let other = URL_SAFE_NO_PAD.encode(r#"{"iat":1780315140,"exp":1780315740,"iss":1}"#);
            parts[1] = &other;
            parts.join(".")
        };
        let cases = [
            ("valid", good.clone()),
            ("another key", encoded(Algorithm::RS256, UNREGISTERED_PEM, &claims)),
            ("truncated signature", format!("{message}.{}", &sig[..sig.len() - 4])),
            ("signature one byte short", {
                let mut bytes = URL_SAFE_NO_PAD.decode(sig).expect("base64");
                bytes.pop();
                format!("{message}.{}", URL_SAFE_NO_PAD.encode(bytes))
            }),
            ("signature padded", format!("{good}=")),
            ("signature not base64", format!("{message}.{}!", &sig[..sig.len() - 1])),
            ("empty signature", format!("{message}.")),
            ("tampered claims", tampered_claims),
            ("RS384 by the right key", encoded(Algorithm::RS384, TEST_APP_PRIVATE_KEY_PEM, &claims)),
            ("PS256 by the right key", encoded(Algorithm::PS256, TEST_APP_PRIVATE_KEY_PEM, &claims)),
            (
                "an RS384 header on an RS256 signature",
                signed(TEST_APP_PRIVATE_KEY_PEM, r#"{"alg":"RS384"}"#, &claims.to_string()),
            ),
            (
                "an HS256 header on an RS256 signature",
                signed(TEST_APP_PRIVATE_KEY_PEM, r#"{"alg":"HS256"}"#, &claims.to_string()),
            ),
            ("alg none", signed(TEST_APP_PRIVATE_KEY_PEM, r#"{"alg":"none"}"#, &claims.to_string())),
            ("no alg", signed(TEST_APP_PRIVATE_KEY_PEM, r#"{"typ":"JWT"}"#, &claims.to_string())),
            ("header not JSON", signed(TEST_APP_PRIVATE_KEY_PEM, "RS256", &claims.to_string())),
            ("a header of odd members", signed(TEST_APP_PRIVATE_KEY_PEM, r#"{"alg":"RS256","kid":7}"#, "{}")),
            ("claims an array", signed(TEST_APP_PRIVATE_KEY_PEM, rs256, "[1,2]")),
            ("claims a number", signed(TEST_APP_PRIVATE_KEY_PEM, rs256, "5")),
            ("claims not JSON", signed(TEST_APP_PRIVATE_KEY_PEM, rs256, "{\"iss\":")),
            ("a repeated claim", signed(TEST_APP_PRIVATE_KEY_PEM, rs256, r#"{"exp":1,"exp":2}"#)),
            ("a claim of another type", signed(TEST_APP_PRIVATE_KEY_PEM, rs256, r#"{"exp":"soon","iss":"3249317"}"#)),
            ("empty claims", signed(TEST_APP_PRIVATE_KEY_PEM, rs256, "{}")),
            ("four segments", format!("{good}.{sig}")),
            ("two segments", message.to_string()),
        ];
        let mut accepted_by_ring = 0;
        for (what, token) in &cases {
            let by_jsonwebtoken =
                jsonwebtoken::decode::<Value>(token, &key.key, &AppKey::validation()).ok().map(|data| data.claims);
            assert_eq!(key.claims(token), by_jsonwebtoken, "{what}");
            if let Some(claims) = key.ring_verified(ring, token) {
                assert_eq!(Some(claims), by_jsonwebtoken, "{what}: ring accepted what jsonwebtoken refuses");
                accepted_by_ring += 1;
            }
        }
        let accepted: Vec<&str> =
            cases.iter().filter(|(_, token)| key.claims(token).is_some()).map(|(what, _)| *what).collect();
        assert_eq!(accepted, ["valid", "a claim of another type", "empty claims"]);
        assert_eq!(accepted_by_ring, accepted.len(), "every token accepted is accepted by ring");
    }

    #[test]
    fn a_key_ring_cannot_take_is_left_to_jsonwebtoken() {
        // The private half read as the public key: jsonwebtoken takes the PEM (its
        // PKCS#1 DER), the `rsa` crate does not read it as a public key.
        let key = AppKey::from_pem(TEST_APP_PRIVATE_KEY_PEM).expect("jsonwebtoken reads it");
        assert!(key.ring.is_none());
        let token = encoded(Algorithm::RS256, TEST_APP_PRIVATE_KEY_PEM, &json!({"iss": 1}));
        let by_jsonwebtoken =
            jsonwebtoken::decode::<Value>(&token, &key.key, &AppKey::validation()).ok().map(|d| d.claims);
        assert_eq!(key.claims(&token), by_jsonwebtoken);
    }
}
