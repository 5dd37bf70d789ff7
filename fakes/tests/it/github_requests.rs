//! Request-level tests of the GitHub fake: auth failures, error shapes,
//! merge conflicts, permissions, rate limits and determinism, driven through
//! the router with a fixed clock; plus a property test over request bodies.

use std::sync::Arc;

use axum::http::{HeaderMap, Method, StatusCode};
use axum::Router;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use proptest::prelude::*;
use serde_json::{json, Value};
use squadsim_fakes::clock::FixedClock;
use squadsim_fakes::github::{self, keys, GithubConfig, GithubFake, RepositoryConfig};

use crate::support::{block_on, bodies, json_request, respond};

const NOW: u64 = 1_780_315_200; // 2026-06-01T12:00:00Z
const INSTALLATION: &str = "/app/installations/120794317/access_tokens";
const REPO: &str = "/repos/yamonco/delivery";

fn fake_with(edit: impl FnOnce(&mut GithubConfig)) -> (Router, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(NOW));
    let mut config = GithubConfig {
        seed: 11,
        repositories: vec![RepositoryConfig { name: "delivery".into(), ..RepositoryConfig::default() }],
        ..GithubConfig::default()
    };
    edit(&mut config);
    let fake = GithubFake::new(config, clock.clone()).expect("config");
    (github::router(fake), clock)
}

fn jwt(iat: i64, exp: i64, iss: Value) -> String {
    let key = EncodingKey::from_rsa_pem(keys::TEST_APP_PRIVATE_KEY_PEM.as_bytes()).expect("key");
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &json!({"iat": iat, "exp": exp, "iss": iss}), &key)
        .expect("sign")
}

fn good_jwt() -> String {
    jwt(NOW as i64 - 60, NOW as i64 + 540, json!(3_249_317))
}

async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    auth: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, HeaderMap, Value) {
    let raw = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    call_raw(app, method, uri, auth, raw).await
}

async fn call_raw(
    app: &Router,
    method: Method,
    uri: &str,
    auth: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, HeaderMap, Value) {
    respond(app, json_request(method, uri, auth, body)).await
}

async fn installation_token(app: &Router, body: Value) -> String {
    let (status, _, v) = call(app, Method::POST, INSTALLATION, Some(&good_jwt()), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["token"].as_str().expect("token").to_string()
}

fn assert_error(v: &Value, message: &str) {
    assert_eq!(v["message"], message, "{v}");
    assert_eq!(v["documentation_url"], "https://docs.github.com/rest", "{v}");
}

#[tokio::test]
async fn access_token_shape_and_expiry() {
    let (app, clock) = fake_with(|_| {});
    let (status, headers, v) = call(&app, Method::POST, INSTALLATION, Some(&good_jwt()), None).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(v["token"].as_str().expect("token").starts_with("ghs_"));
    assert_eq!(v["expires_at"], "2026-06-01T13:00:00Z");
    assert_eq!(v["repository_selection"], "all");
    assert_eq!(v["permissions"]["pull_requests"], "write");
    assert_eq!(headers["x-ratelimit-limit"], "5000");
    assert_eq!(headers["x-ratelimit-resource"], "core");

    let token = v["token"].as_str().expect("token");
    let (status, _, _) = call(&app, Method::GET, REPO, Some(token), None).await;
    assert_eq!(status, StatusCode::OK);
    clock.advance(3600);
    let (status, _, v) = call(&app, Method::GET, REPO, Some(token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&v, "Bad credentials");
}

#[tokio::test]
async fn app_jwt_claims_are_checked_against_the_clock() {
    let (app, _) = fake_with(|_| {});
    let now = NOW as i64;
    let cases = [
        (None, "A JSON web token could not be decoded"),
        (Some("not-a-jwt".to_string()), "A JSON web token could not be decoded"),
        (Some(jwt(now - 60, now + 900, json!(3_249_317))), "'Expiration time' claim ('exp') is too far in the future"),
        (
            Some(jwt(now - 700, now - 10, json!(3_249_317))),
            "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
        ),
        (
            Some(jwt(now + 300, now + 500, json!(3_249_317))),
            "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
        ),
        (Some(jwt(now - 60, now + 540, json!(1))), "A JSON web token could not be decoded"),
    ];
    for (token, message) in cases {
        let (status, _, v) = call(&app, Method::POST, INSTALLATION, token.as_deref(), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{message}");
        assert_error(&v, message);
    }
    let (status, _, v) = call(&app, Method::POST, "/app/installations/1/access_tokens", Some(&good_jwt()), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "Not Found");
}

#[tokio::test]
async fn repository_errors_have_github_shapes() {
    let (app, _) = fake_with(|_| {});
    let token = installation_token(&app, json!({})).await;
    let (status, _, v) = call(&app, Method::GET, "/repos/yamonco/missing", Some(&token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "Not Found");
    let (status, _, v) = call(&app, Method::GET, "/repos/other-org/delivery", Some(&token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    let (status, _, _) = call(&app, Method::GET, REPO, None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "private repositories hide from anonymous callers");
    let (status, _, v) = call(&app, Method::GET, REPO, Some("ghs_unknown"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&v, "Bad credentials");

    let pulls = format!("{REPO}/pulls");
    let (status, _, v) = call_raw(&app, Method::POST, &pulls, Some(&token), b"{\"title\":".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&v, "Problems parsing JSON");
    let (status, _, v) =
        call(&app, Method::POST, &pulls, Some(&token), Some(json!({"head": "x", "base": "main"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&v, "Invalid request.\n\n\"title\" wasn't supplied.");
    let body = json!({"title": "t", "head": "nope", "base": "main"});
    let (status, _, v) = call(&app, Method::POST, &pulls, Some(&token), Some(body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&v, "Validation Failed");
    assert_eq!(v["errors"][0], json!({"resource": "PullRequest", "field": "head", "code": "invalid"}));
    let body = json!({"title": "t", "head": "main", "base": "main"});
    let (_, _, v) = call(&app, Method::POST, &pulls, Some(&token), Some(body)).await;
    assert_eq!(v["errors"][0]["message"], "No commits between main and main");
    let (status, _, v) = call(&app, Method::DELETE, REPO, Some(&token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&v, "Not Found");
}

/// Creates branch `name` from main with `path` = `content`; returns the head sha.
async fn branch_with_file(app: &Router, token: &str, name: &str, path: &str, content: &str) -> String {
    let (_, _, main) = call(app, Method::GET, &format!("{REPO}/git/ref/heads/main"), Some(token), None).await;
    let body = json!({"ref": format!("refs/heads/{name}"), "sha": main["object"]["sha"]});
    let (status, _, v) = call(app, Method::POST, &format!("{REPO}/git/refs"), Some(token), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    use base64::Engine;
    let mut body = json!({"message": "edit", "content": base64::engine::general_purpose::STANDARD.encode(content), "branch": name});
    let uri = format!("{REPO}/contents/{path}");
    let (_, _, existing) = call(app, Method::GET, &format!("{uri}?ref={name}"), Some(token), None).await;
    if let Some(sha) = existing["sha"].as_str() {
        // Updating a file needs its current blob sha, as on GitHub.
        let (status, _, v) = call(app, Method::PUT, &uri, Some(token), Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        body["sha"] = json!(sha);
    }
    let (status, _, v) = call(app, Method::PUT, &uri, Some(token), Some(body)).await;
    assert!(status == StatusCode::CREATED || status == StatusCode::OK, "{status} {v}");
    v["commit"]["sha"].as_str().expect("sha").to_string()
}

async fn open_pull(app: &Router, token: &str, head: &str) -> u64 {
    let body = json!({"title": head, "head": format!("yamonco:{head}"), "base": "main"});
    let (status, _, v) = call(app, Method::POST, &format!("{REPO}/pulls"), Some(token), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["user"]["login"], "fractalops-codexgate[bot]");
    v["number"].as_u64().expect("number")
}

#[tokio::test]
async fn conflicting_and_stale_merges_are_refused() {
    let (app, _) = fake_with(|_| {});
    let token = installation_token(&app, json!({})).await;
    branch_with_file(&app, &token, "a", "README.md", "A\n").await;
    let b_sha = branch_with_file(&app, &token, "b", "README.md", "B\n").await;
    let a = open_pull(&app, &token, "a").await;
    let b = open_pull(&app, &token, "b").await;

    let (status, _, v) =
        call(&app, Method::PUT, &format!("{REPO}/pulls/{a}/merge"), Some(&token), Some(json!({"sha": "0".repeat(40)})))
            .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&v, "Head branch was modified. Review and try the merge again.");

    let (status, _, v) = call(&app, Method::PUT, &format!("{REPO}/pulls/{a}/merge"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["merged"], true);
    assert_eq!(v["message"], "Pull Request successfully merged");

    let (_, _, pr) = call(&app, Method::GET, &format!("{REPO}/pulls/{b}"), Some(&token), None).await;
    assert_eq!(pr["mergeable"], false);
    assert_eq!(pr["mergeable_state"], "dirty");
    let (status, _, v) =
        call(&app, Method::PUT, &format!("{REPO}/pulls/{b}/merge"), Some(&token), Some(json!({"sha": b_sha}))).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_error(&v, "Pull Request is not mergeable");
    let (status, _, _) = call(&app, Method::PUT, &format!("{REPO}/pulls/{a}/merge"), Some(&token), None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "a merged pull request cannot merge again");

    let (status, _, issue) = call(&app, Method::GET, &format!("{REPO}/issues/{a}"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(issue["pull_request"]["merged_at"].is_string());
}

#[tokio::test]
async fn a_listed_pull_request_has_the_simple_shape_and_the_single_one_its_merge_state() {
    let (app, _) = fake_with(|_| {});
    let token = installation_token(&app, json!({})).await;
    branch_with_file(&app, &token, "a", "README.md", "A\n").await;
    let a = open_pull(&app, &token, "a").await;
    let (_, _, list) =
        call(&app, Method::GET, &format!("{REPO}/pulls?state=all&head=yamonco:a"), Some(&token), None).await;
    let listed = &list.as_array().expect("a list")[0];
    let (_, _, single) = call(&app, Method::GET, &format!("{REPO}/pulls/{a}"), Some(&token), None).await;
    assert_eq!(listed["number"], single["number"]);
    assert_eq!(listed["head"], single["head"]);
    assert_eq!(listed["html_url"], single["html_url"]);
    for detail in ["merged", "mergeable", "mergeable_state", "merged_by", "comments", "commits", "changed_files"] {
        assert!(listed.get(detail).is_none(), "pull-request-simple has no `{detail}`");
        assert!(single.get(detail).is_some(), "a single pull request has `{detail}`");
    }
    assert_eq!(single["mergeable"], true);
}

#[tokio::test]
async fn a_read_only_token_cannot_write() {
    let (app, _) = fake_with(|_| {});
    let token = installation_token(&app, json!({"permissions": {"issues": "read"}})).await;
    let (status, _, v) =
        call(&app, Method::POST, &format!("{REPO}/issues"), Some(&token), Some(json!({"title": "x"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&v, "Resource not accessible by integration");
    let (status, _, v) = call(
        &app,
        Method::POST,
        INSTALLATION,
        Some(&good_jwt()),
        Some(json!({"permissions": {"administration": "write"}})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&v, "The permissions requested are not granted to this installation.");
}

#[tokio::test]
async fn the_rate_limit_is_enforced_per_credential() {
    let (app, _) = fake_with(|c| c.rate_limit = 3);
    let token = installation_token(&app, json!({})).await;
    for remaining in ["2", "1", "0"] {
        let (status, headers, _) = call(&app, Method::GET, REPO, Some(&token), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["x-ratelimit-remaining"], remaining);
    }
    let (status, headers, v) = call(&app, Method::GET, REPO, Some(&token), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(headers["x-ratelimit-remaining"], "0");
    assert_error(&v, "API rate limit exceeded for installation ID 120794317.");
}

#[tokio::test]
async fn one_seed_gives_identical_responses() {
    let mut transcripts = Vec::new();
    for _ in 0..2 {
        let (app, _) = fake_with(|_| {});
        let token = installation_token(&app, json!({})).await;
        branch_with_file(&app, &token, "x", "a.txt", "a").await;
        let n = open_pull(&app, &token, "x").await;
        let (_, _, merged) = call(&app, Method::PUT, &format!("{REPO}/pulls/{n}/merge"), Some(&token), None).await;
        let (_, _, pr) = call(&app, Method::GET, &format!("{REPO}/pulls/{n}"), Some(&token), None).await;
        transcripts.push((token, merged, pr));
    }
    assert_eq!(transcripts[0], transcripts[1]);
}

/// The fields GitHub's request bodies hold.
const NAMES: &[&str] =
    &["title", "head", "base", "ref", "sha", "content", "message", "labels", "permissions", "merge_method"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any body on any write endpoint gets one of GitHub's statuses and its
    /// `{message, documentation_url}` shape, never a panic or a 5xx.
    #[test]
    fn any_body_gets_a_github_answer(body in bodies(NAMES), endpoint in 0usize..6) {
        block_on(async {
            let (app, _) = fake_with(|_| {});
            let token = installation_token(&app, json!({})).await;
            let (method, uri, auth) = match endpoint {
                0 => (Method::POST, format!("{REPO}/pulls"), token.clone()),
                1 => (Method::POST, format!("{REPO}/issues"), token.clone()),
                2 => (Method::POST, format!("{REPO}/git/refs"), token.clone()),
                3 => (Method::PUT, format!("{REPO}/contents/a/b.txt"), token.clone()),
                4 => (Method::PUT, format!("{REPO}/pulls/1/merge"), token.clone()),
                _ => (Method::POST, INSTALLATION.to_string(), good_jwt()),
            };
            let (status, _, v) = call_raw(&app, method, &uri, Some(&auth), body).await;
            prop_assert!(!status.is_server_error(), "{status}");
            if !status.is_success() {
                prop_assert!([400, 404, 405, 409, 413, 422].contains(&status.as_u16()), "{status} {v}");
                prop_assert!(v["message"].is_string(), "{v}");
                prop_assert_eq!(&v["documentation_url"], "https://docs.github.com/rest");
            }
            Ok(())
        })?;
    }
}

#[tokio::test]
async fn an_empty_permissions_request_gets_everything_the_installation_has() {
    let (app, _) = fake_with(|_| {});
    // PyGithub always asks with `{"permissions": {}}`; GitHub grants the installation's permissions.
    let (status, _, v) =
        call(&app, Method::POST, INSTALLATION, Some(&good_jwt()), Some(json!({"permissions": {}}))).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(
        v["permissions"],
        json!({"contents": "write", "issues": "write", "metadata": "read", "pull_requests": "write"})
    );
    let token = v["token"].as_str().expect("token");
    let (status, _, v) =
        call(&app, Method::POST, &format!("{REPO}/issues"), Some(token), Some(json!({"title": "x"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");

    // Asking for less narrows the token to that (and `metadata: read`, which every token has).
    let (_, _, v) =
        call(&app, Method::POST, INSTALLATION, Some(&good_jwt()), Some(json!({"permissions": {"issues": "read"}})))
            .await;
    assert_eq!(v["permissions"], json!({"issues": "read", "metadata": "read"}));
}

#[tokio::test]
async fn lists_are_paginated_with_link_headers() {
    let (app, _) = fake_with(|_| {});
    let token = installation_token(&app, json!({})).await;
    for i in 0..5 {
        let (status, _, v) = call(
            &app,
            Method::POST,
            &format!("{REPO}/issues"),
            Some(&token),
            Some(json!({"title": format!("issue {i}")})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
    }
    let (status, headers, v) =
        call(&app, Method::GET, &format!("{REPO}/issues?state=all&per_page=2&page=2"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    let titles: Vec<&str> = v.as_array().expect("array").iter().map(|i| i["title"].as_str().unwrap_or("")).collect();
    assert_eq!(titles, ["issue 2", "issue 1"], "newest first, the second page of two");
    let link = headers["link"].to_str().expect("link");
    assert_eq!(
        link,
        "<http://github/repos/yamonco/delivery/issues?state=all&per_page=2&page=3>; rel=\"next\", \
         <http://github/repos/yamonco/delivery/issues?state=all&per_page=2&page=3>; rel=\"last\", \
         <http://github/repos/yamonco/delivery/issues?state=all&per_page=2&page=1>; rel=\"prev\", \
         <http://github/repos/yamonco/delivery/issues?state=all&per_page=2&page=1>; rel=\"first\""
    );
    let (_, headers, v) = call(&app, Method::GET, &format!("{REPO}/issues"), Some(&token), None).await;
    assert_eq!(v.as_array().map(Vec::len), Some(5));
    assert!(headers.get("link").is_none(), "one page has no Link header");
}

#[tokio::test]
async fn the_git_data_api_commits_a_tree_and_moves_a_branch_only_forward() {
    let (app, _) = fake_with(|_| {});
    let token = installation_token(&app, json!({})).await;
    let (_, _, main) = call(&app, Method::GET, &format!("{REPO}/branches/main"), Some(&token), None).await;
    let main_sha = main["commit"]["sha"].as_str().expect("sha").to_string();
    let (status, _, blob) = call(
        &app,
        Method::POST,
        &format!("{REPO}/git/blobs"),
        Some(&token),
        Some(json!({"content": "aGVsbG8K", "encoding": "base64"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{blob}");
    let (status, _, tree) = call(
        &app,
        Method::POST,
        &format!("{REPO}/git/trees"),
        Some(&token),
        Some(json!({"base_tree": main_sha, "tree": [
            {"path": "src/a.txt", "mode": "100644", "type": "blob", "sha": blob["sha"]},
            {"path": "src/b.txt", "mode": "100644", "type": "blob", "content": "b\n"},
        ]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{tree}");
    let paths: Vec<&str> = tree["tree"].as_array().expect("tree").iter().filter_map(|e| e["path"].as_str()).collect();
    assert_eq!(paths, ["README.md", "src", "src/a.txt", "src/b.txt"]);
    let (status, _, commit) = call(
        &app,
        Method::POST,
        &format!("{REPO}/git/commits"),
        Some(&token),
        Some(json!({"message": "Two files", "tree": tree["sha"], "parents": [main_sha]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{commit}");
    let (status, _, moved) = call(
        &app,
        Method::PATCH,
        &format!("{REPO}/git/refs/heads/main"),
        Some(&token),
        Some(json!({"sha": commit["sha"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    // Back to the parent is not a fast-forward.
    let (status, _, v) =
        call(&app, Method::PATCH, &format!("{REPO}/git/refs/heads/main"), Some(&token), Some(json!({"sha": main_sha})))
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&v, "Update is not a fast forward");
    let (_, _, dir) = call(&app, Method::GET, &format!("{REPO}/contents/src"), Some(&token), None).await;
    let names: Vec<&str> = dir.as_array().expect("listing").iter().filter_map(|e| e["name"].as_str()).collect();
    assert_eq!(names, ["a.txt", "b.txt"]);
    let (_, _, root) = call(&app, Method::GET, &format!("{REPO}/contents/"), Some(&token), None).await;
    let kinds: Vec<(&str, &str)> = root
        .as_array()
        .expect("root")
        .iter()
        .map(|e| (e["name"].as_str().unwrap_or(""), e["type"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(kinds, [("README.md", "file"), ("src", "dir")]);
    let (status, _, v) =
        call(&app, Method::GET, &format!("{REPO}/compare/{main_sha}...main"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (v["status"].as_str(), v["ahead_by"].as_u64(), v["files"].as_array().map(Vec::len)),
        (Some("ahead"), Some(1), Some(2))
    );
}

#[tokio::test]
async fn a_bot_cannot_approve_its_own_pull_request() {
    let (app, _) = fake_with(|_| {});
    let token = installation_token(&app, json!({})).await;
    branch_with_file(&app, &token, "feature", "f.txt", "f\n").await;
    let number = open_pull(&app, &token, "feature").await;
    let (status, _, v) = call(
        &app,
        Method::POST,
        &format!("{REPO}/pulls/{number}/reviews"),
        Some(&token),
        Some(json!({"event": "APPROVE"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["errors"], json!(["Can not approve your own pull request"]));
    let (status, _, v) = call(
        &app,
        Method::POST,
        &format!("{REPO}/pulls/{number}/reviews"),
        Some(&token),
        Some(json!({"event": "COMMENT", "body": "Looks complete."})),
    )
    .await;
    assert_eq!((status, v["state"].as_str()), (StatusCode::OK, Some("COMMENTED")));
}

#[tokio::test]
async fn a_repository_serves_the_files_its_initial_commit_was_given() {
    let (app, _) = fake_with(|c| {
        c.repositories[0].files.insert("bundles/legacy.tgz".into(), "legacy source\n".into());
    });
    let token = installation_token(&app, json!({})).await;
    let (status, _, file) =
        call(&app, Method::GET, &format!("{REPO}/contents/bundles/legacy.tgz"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{file}");
    assert_eq!((file["type"].as_str(), file["encoding"].as_str()), (Some("file"), Some("base64")));
    let content: String = file["content"].as_str().unwrap().chars().filter(|c| *c != '\n').collect();
    use base64::Engine as _;
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(content).unwrap(), b"legacy source\n");
    let (status, _, _) =
        call(&app, Method::GET, &format!("{REPO}/contents/bundles/other.tgz"), Some(&token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// `open_issues_count` is kept as issues and pull requests open, close, reopen
/// and merge (not counted at each render): after every change it is the number
/// of open ones the lists show.
#[tokio::test]
async fn the_open_issues_count_follows_every_open_close_reopen_and_merge() {
    let (app, _) = fake_with(|_| {});
    let token = installation_token(&app, json!({})).await;
    let count = |app: Router, token: String| async move {
        let (_, _, repo) = call(&app, Method::GET, REPO, Some(&token), None).await;
        let (_, _, listed) =
            call(&app, Method::GET, &format!("{REPO}/issues?state=open&per_page=100"), Some(&token), None).await;
        let listed = listed.as_array().expect("a list").len() as u64;
        assert_eq!(repo["open_issues_count"].as_u64(), Some(listed), "{repo}");
        listed
    };
    assert_eq!(count(app.clone(), token.clone()).await, 0);
    branch_with_file(&app, &token, "a", "a.md", "A\n").await;
    branch_with_file(&app, &token, "b", "b.md", "B\n").await;
    let a = open_pull(&app, &token, "a").await;
    let b = open_pull(&app, &token, "b").await;
    let mut issues = Vec::new();
    for title in ["one", "two"] {
        let (status, _, v) =
            call(&app, Method::POST, &format!("{REPO}/issues"), Some(&token), Some(json!({"title": title}))).await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        issues.push(v["number"].as_u64().expect("number"));
    }
    assert_eq!(count(app.clone(), token.clone()).await, 4);
    let patch = |uri: String, state: &'static str| {
        let (app, token) = (app.clone(), token.clone());
        async move {
            let (status, _, v) = call(&app, Method::PATCH, &uri, Some(&token), Some(json!({"state": state}))).await;
            assert_eq!(status, StatusCode::OK, "{v}");
        }
    };
    let steps: [(String, &str, u64); 8] = [
        (format!("{REPO}/pulls/{b}"), "closed", 3),
        (format!("{REPO}/pulls/{b}"), "closed", 3),
        (format!("{REPO}/issues/{}", issues[0]), "closed", 2),
        (format!("{REPO}/issues/{}", issues[0]), "closed", 2),
        (format!("{REPO}/issues/{}", issues[0]), "open", 3),
        (format!("{REPO}/issues/{}", issues[1]), "open", 3),
        (format!("{REPO}/pulls/{b}"), "open", 4),
        (format!("{REPO}/pulls/{b}"), "open", 4),
    ];
    for (uri, state, open) in steps {
        patch(uri.clone(), state).await;
        assert_eq!(count(app.clone(), token.clone()).await, open, "after {uri} {state}");
    }
    let (status, _, v) = call(&app, Method::PUT, &format!("{REPO}/pulls/{a}/merge"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(count(app.clone(), token.clone()).await, 3);
    let (status, _, _) =
        call(&app, Method::PATCH, &format!("{REPO}/pulls/{a}"), Some(&token), Some(json!({"state": "open"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a merged pull request stays closed");
    assert_eq!(count(app.clone(), token.clone()).await, 3);
}

/// `?head=` listings and the duplicate check answer what a scan of every pull
/// request answers, through creates, base changes, closes, reopens and merges.
#[tokio::test]
async fn pull_requests_by_head_match_a_scan_of_every_pull_request() {
    let (app, _) = fake_with(|_| {});
    let token = installation_token(&app, json!({})).await;
    for (branch, file) in [("a", "A.md"), ("b", "B.md"), ("c", "C.md"), ("dev", "DEV.md")] {
        branch_with_file(&app, &token, branch, file, branch).await;
    }
    let heads = ["a", "b", "c"];
    let bases = ["main", "dev"];
    let all = |app: Router, token: String| async move {
        let (status, _, v) =
            call(&app, Method::GET, &format!("{REPO}/pulls?state=all&per_page=100"), Some(&token), None).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v.as_array().expect("a list").clone()
    };
    let check = |app: Router, token: String, when: String| async move {
        let every = all(app.clone(), token.clone()).await;
        for head in ["a", "b", "c", "zz"] {
            for state in ["open", "closed", "all"] {
                let scanned: Vec<&Value> = every
                    .iter()
                    .filter(|p| p["head"]["ref"] == head)
                    .filter(|p| state == "all" || p["state"] == state)
                    .collect();
                for owner in ["yamonco", "YamonCo", "someone"] {
                    let uri = format!("{REPO}/pulls?state={state}&head={owner}:{head}&per_page=100");
                    let (status, _, listed) = call(&app, Method::GET, &uri, Some(&token), None).await;
                    assert_eq!(status, StatusCode::OK, "{listed}");
                    let listed: Vec<&Value> = listed.as_array().expect("a list").iter().collect();
                    let expected = if owner == "someone" { Vec::new() } else { scanned.clone() };
                    assert_eq!(listed, expected, "{owner}:{head} {state} {when}");
                }
            }
        }
        every
    };
    let mut numbers = Vec::new();
    for i in 0..24usize {
        let head = heads[i % 3];
        let base = bases[(i / 3) % 2];
        let every = check(app.clone(), token.clone(), format!("before step {i}")).await;
        let duplicate =
            every.iter().any(|p| p["head"]["ref"] == head && p["base"]["ref"] == base && p["state"] == "open");
        let body = json!({"title": format!("{head} into {base}"), "head": format!("yamonco:{head}"), "base": base});
        let (status, _, v) = call(&app, Method::POST, &format!("{REPO}/pulls"), Some(&token), Some(body)).await;
        let refused_as_duplicate = v["errors"].to_string().contains("A pull request already exists")
            || v["message"].to_string().contains("A pull request already exists");
        assert_eq!(refused_as_duplicate, duplicate, "step {i}: {status} {v}");
        if status == StatusCode::CREATED {
            numbers.push(v["number"].as_u64().expect("number"));
        }
        // Then change an earlier one: retarget, close, reopen, or merge.
        let Some(&n) = numbers.get((i * 7) % numbers.len().max(1)) else { continue };
        let uri = format!("{REPO}/pulls/{n}");
        match i % 4 {
            0 => {
                let other = if i % 8 == 0 { "dev" } else { "main" };
                call(&app, Method::PATCH, &uri, Some(&token), Some(json!({"base": other}))).await;
            }
            1 => {
                call(&app, Method::PATCH, &uri, Some(&token), Some(json!({"state": "closed"}))).await;
            }
            2 => {
                call(&app, Method::PATCH, &uri, Some(&token), Some(json!({"state": "open"}))).await;
            }
            _ if i == 19 => {
                call(&app, Method::PUT, &format!("{uri}/merge"), Some(&token), None).await;
            }
            _ => {}
        }
    }
    let every = check(app.clone(), token.clone(), "at the end".into()).await;
    assert!(every.len() > 8, "enough pull requests to compare: {}", every.len());
    assert!(every.iter().any(|p| p["state"] == "closed"), "some closed");
    assert!(every.iter().any(|p| p["base"]["ref"] == "dev"), "some into dev");
}
