//! The GitHub fake against octocrab, a maintained GitHub client nobody here
//! wrote, over a real loopback socket: the CodexGate App mints an
//! installation token with its private key, then opens, reads and merges a
//! pull request as `fractalops-codexgate[bot]`.

use std::sync::Arc;

use octocrab::models::{AppId, InstallationId};
use octocrab::params::repos::Reference;
use octocrab::secrecy::ExposeSecret;
use octocrab::{EncodingKey, Octocrab};
use serde_json::json;
use squadsim_fakes::clock::SystemClock;
use squadsim_fakes::github::{self, keys, GithubConfig, GithubFake, OrgPatConfig, RepositoryConfig};

use crate::support::loopback;

const OWNER: &str = "yamonco";
const REPO: &str = "delivery-sandbox";
const PAT: &str = "ghp_legacyOrgPatForTestsOnly000000000000";

/// Serves a fake on 127.0.0.1 (real clients sign JWTs with the wall clock,
/// so the fake reads the system clock here).
async fn serve(org_pat: bool) -> (String, GithubFake) {
    let (listener, base) = loopback().await;
    let config = GithubConfig {
        base_url: base.clone(),
        seed: 7,
        repositories: vec![RepositoryConfig { name: REPO.into(), ..RepositoryConfig::default() }],
        org_pat: org_pat.then(|| OrgPatConfig { token: PAT.into(), login: "yamon-admin".into(), user_id: 4_120_001 }),
        ..GithubConfig::default()
    };
    let fake = GithubFake::new(config, Arc::new(SystemClock)).expect("valid config");
    let app = github::router(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (base, fake)
}

fn app_client(base: &str, pem: &str) -> Octocrab {
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("test key parses");
    Octocrab::builder().base_uri(base).expect("base uri").app(AppId(3_249_317), key).build().expect("client")
}

#[tokio::test]
async fn codexgate_app_opens_reads_and_merges_a_pull_request() {
    let (base, fake) = serve(false).await;
    let app = app_client(&base, keys::TEST_APP_PRIVATE_KEY_PEM);

    let installation = app.apps().installation(InstallationId(120_794_317)).await.expect("installation");
    assert_eq!(installation.account.login, OWNER);
    assert_eq!(installation.repository_selection.as_deref(), Some("all"));

    let (crab, token) = app.installation_and_token(InstallationId(120_794_317)).await.expect("installation token");
    assert!(token.expose_secret().starts_with("ghs_"), "installation tokens are ghs_…");

    let repo = crab.repos(OWNER, REPO).get().await.expect("repository");
    assert_eq!(repo.default_branch.as_deref(), Some("main"));
    assert!(repo.url.as_str().starts_with(&base), "url fields point at the fake");

    let main = crab.repos(OWNER, REPO).get_ref(&Reference::Branch("main".into())).await.expect("main ref");
    let main_sha = match main.object {
        octocrab::models::repos::Object::Commit { sha, .. } => sha,
        other => panic!("main points at {other:?}"),
    };
    crab.repos(OWNER, REPO)
        .create_ref(&Reference::Branch("squad/feature-1".into()), main_sha.clone())
        .await
        .expect("create branch");
    let update = crab
        .repos(OWNER, REPO)
        .create_file("src/lib.rs", "Add the library", "pub fn answer() -> u32 { 42 }\n")
        .branch("squad/feature-1")
        .send()
        .await
        .expect("commit a file");
    let head_sha = update.commit.sha.expect("commit sha");

    let pr = crab
        .pulls(OWNER, REPO)
        .create("Add the library", "squad/feature-1", "main")
        .body("Delivered by the squad.")
        .send()
        .await
        .expect("open pull request");
    let author = pr.user.as_ref().expect("author");
    assert_eq!(author.login, "fractalops-codexgate[bot]");
    assert_eq!(author.r#type, "Bot");

    let read = crab.pulls(OWNER, REPO).get(pr.number).await.expect("read pull request");
    assert_eq!(read.head.sha, head_sha);
    assert_eq!(read.mergeable, Some(true));

    let merge = crab.pulls(OWNER, REPO).merge(pr.number).sha(head_sha).send().await.expect("merge");
    assert!(merge.merged);
    let merged = crab.pulls(OWNER, REPO).get(pr.number).await.expect("read merged");
    assert!(merged.merged_at.is_some(), "a merged pull request has merged_at");
    assert_eq!(fake.file(OWNER, REPO, "main", "src/lib.rs").as_deref(), Some(&b"pub fn answer() -> u32 { 42 }\n"[..]));

    let issue = crab.issues(OWNER, REPO).create("Follow-up").body("Track it.").send().await.expect("issue");
    assert_eq!(issue.user.login, "fractalops-codexgate[bot]");
    assert_eq!(issue.number, pr.number + 1, "issues and pull requests share numbers");

    let deliveries = fake.deliveries();
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries.iter().all(|d| d.author_type == "Bot"));
}

#[tokio::test]
async fn a_jwt_signed_with_the_wrong_key_is_401() {
    let (base, _fake) = serve(false).await;
    let app = app_client(&base, include_str!("../../keys/unregistered-test.private-key.pem"));
    let err = app.installation_and_token(InstallationId(120_794_317)).await.expect_err("wrong key must fail");
    match err {
        octocrab::Error::GitHub { source, .. } => {
            assert_eq!(source.status_code.as_u16(), 401);
            assert_eq!(source.message, "A JSON web token could not be decoded");
            assert_eq!(source.documentation_url.as_deref(), Some("https://docs.github.com/rest"));
        }
        other => panic!("expected a GitHub error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_legacy_org_pat_override_authors_as_its_user() {
    let (base, fake) = serve(true).await;
    let crab = Octocrab::builder()
        .base_uri(base.as_str())
        .expect("base")
        .personal_token(PAT.to_string())
        .build()
        .expect("client");
    let issue = crab.issues(OWNER, REPO).create("Written with the PAT").send().await.expect("issue via PAT");
    assert_eq!(issue.user.login, "yamon-admin");
    assert_eq!(issue.user.r#type, "User");
    let deliveries = fake.deliveries();
    assert_eq!(deliveries[0].author, "yamon-admin");
    assert_eq!(deliveries[0].author_type, "User");
}

/// A delivery beyond the happy path of one pull request: branches and
/// commits listed, a directory read, a comparison, labels, a paginated issue
/// list followed through its `Link` header, the files of a pull request, and
/// the rate limit, each through octocrab's own calls.
#[tokio::test]
async fn octocrab_reads_histories_compares_labels_and_pages() {
    let (base, _fake) = serve(false).await;
    let app = app_client(&base, keys::TEST_APP_PRIVATE_KEY_PEM);
    let (crab, _) = app.installation_and_token(InstallationId(120_794_317)).await.expect("installation token");
    let repo = crab.repos(OWNER, REPO);
    let main = repo.get_ref(&Reference::Branch("main".into())).await.expect("main ref");
    let octocrab::models::repos::Object::Commit { sha: main_sha, .. } = main.object else { panic!("main is a commit") };
    repo.create_ref(&Reference::Branch("squad/docs".into()), main_sha.clone()).await.expect("branch");
    for (path, text) in [("docs/a.md", "a\n"), ("docs/b.md", "b\n")] {
        repo.create_file(path, format!("Add {path}"), text).branch("squad/docs").send().await.expect("commit");
    }

    let branches = repo.list_branches().send().await.expect("branches");
    let names: Vec<&str> = branches.items.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["main", "squad/docs"]);
    let commits = repo.list_commits().branch("squad/docs").send().await.expect("commits");
    let messages: Vec<&str> = commits.items.iter().map(|c| c.commit.message.as_str()).collect();
    assert_eq!(messages, ["Add docs/b.md", "Add docs/a.md", "Initial commit"], "newest first");
    let docs = repo.get_content().path("docs").r#ref("squad/docs").send().await.expect("directory");
    let files: Vec<&str> = docs.items.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(files, ["a.md", "b.md"]);
    let compare = crab.commits(OWNER, REPO).compare("main", "squad/docs").send().await.expect("compare");
    assert_eq!(compare.ahead_by, 2);
    assert_eq!(compare.behind_by, 0);

    let pr = crab.pulls(OWNER, REPO).create("Docs", "squad/docs", "main").send().await.expect("pull request");
    let changed = crab.pulls(OWNER, REPO).list_files(pr.number).await.expect("files");
    let changed: Vec<&str> = changed.items.iter().map(|f| f.filename.as_str()).collect();
    assert_eq!(changed, ["docs/a.md", "docs/b.md"]);
    let labels = crab.issues(OWNER, REPO).add_labels(pr.number, &["docs".to_string()]).await.expect("label");
    assert_eq!(labels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["docs"]);
    for i in 0..3 {
        crab.issues(OWNER, REPO).create(format!("Follow-up {i}")).send().await.expect("issue");
    }
    let first = crab.issues(OWNER, REPO).list().per_page(2).send().await.expect("first page");
    assert_eq!(first.items.len(), 2);
    let next = first.next.as_ref().expect("a Link rel=next");
    assert!(next.to_string().starts_with(&base), "the link points at the fake: {next}");
    // octocrab sends credentials only to api.github.com or a relative URI, so
    // the link is followed by its path (as against a GitHub Enterprise host).
    let next: Option<axum::http::Uri> = next.path_and_query().map(|p| p.as_str().parse().expect("path"));
    let second: octocrab::Page<octocrab::models::issues::Issue> =
        crab.get_page(&next).await.expect("second page").expect("a next page");
    let titles: Vec<&str> = second.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["Follow-up 0", "Docs"], "newest first; the pull request is in the issue list");
    let rate = crab.ratelimit().get().await.expect("rate limit");
    assert_eq!(rate.resources.core.limit, 5000);
    assert!(rate.resources.core.used > 0);
}

/// The GraphQL queries the App makes, through octocrab's `graphql`: the
/// viewer, a repository's pull requests (paged by cursor) and one by number;
/// an unknown field is GitHub's `undefinedField` error, a repository the
/// token cannot see `NOT_FOUND` with `null` data.
#[tokio::test]
async fn octocrab_graphql_reads_the_viewer_and_pull_requests() {
    let (base, _fake) = serve(false).await;
    let app = app_client(&base, keys::TEST_APP_PRIVATE_KEY_PEM);
    let (crab, token) = app.installation_and_token(InstallationId(120_794_317)).await.expect("installation token");
    let repo = crab.repos(OWNER, REPO);
    let main = repo.get_ref(&Reference::Branch("main".into())).await.expect("main ref");
    let octocrab::models::repos::Object::Commit { sha, .. } = main.object else { panic!("main is a commit") };
    for n in 1..=3 {
        let branch = format!("squad/{n}");
        repo.create_ref(&Reference::Branch(branch.clone()), sha.clone()).await.expect("branch");
        repo.create_file(format!("f{n}.txt"), "add", "x\n").branch(&branch).send().await.expect("commit");
        crab.pulls(OWNER, REPO).create(format!("Lane {n}"), &branch, "main").send().await.expect("pull request");
    }
    let query = r#"query($owner: String!, $name: String!, $after: String) {
        viewer { login __typename }
        repository(owner: $owner, name: $name) {
          nameWithOwner
          pullRequests(first: 2, after: $after, states: [OPEN]) {
            totalCount
            pageInfo { hasNextPage endCursor }
            nodes { number title state headRefName author { login } }
          }
          one: pullRequest(number: 2) { title mergeable }
        }
      }"#;
    let vars = json!({"owner": OWNER, "name": REPO});
    // octocrab answers `data` (and an error when the answer has `errors`).
    let data: serde_json::Value = crab.graphql(&json!({"query": query, "variables": vars})).await.expect("graphql");
    assert_eq!(data["viewer"], json!({"login": "fractalops-codexgate[bot]", "__typename": "Bot"}));
    let prs = &data["repository"]["pullRequests"];
    assert_eq!(prs["totalCount"], 3);
    assert_eq!(
        prs["nodes"][1],
        json!({"number": 2, "title": "Lane 2", "state": "OPEN", "headRefName": "squad/2", "author": {"login": "fractalops-codexgate[bot]"}})
    );
    assert_eq!(data["repository"]["one"], json!({"title": "Lane 2", "mergeable": "MERGEABLE"}));
    let after = prs["pageInfo"]["endCursor"].clone();
    assert_eq!(prs["pageInfo"]["hasNextPage"], true);
    let vars = json!({"owner": OWNER, "name": REPO, "after": after});
    let next: serde_json::Value = crab.graphql(&json!({"query": query, "variables": vars})).await.expect("page 2");
    assert_eq!(next["repository"]["pullRequests"]["nodes"][0]["number"], 3);
    assert!(crab.graphql::<serde_json::Value>(&json!({"query": "{ viewer { email2 } }"})).await.is_err());

    // The whole answers of refusals, as any GraphQL client reads them.
    let raw = |query: &str| {
        reqwest::Client::new()
            .post(format!("{base}/graphql"))
            .bearer_auth(token.expose_secret())
            .json(&json!({"query": query}))
            .send()
    };
    let bad: serde_json::Value = raw("{ viewer { email2 } }").await.expect("exchange").json().await.expect("json");
    assert_eq!(bad["errors"][0]["extensions"]["code"], "undefinedField");
    assert_eq!(bad["errors"][0]["message"], "Field 'email2' doesn't exist on type 'Bot'");
    assert!(bad.get("data").is_none());
    let hidden = raw("{ repository(owner: \"other\", name: \"x\") { name } }").await.expect("exchange");
    assert_eq!(hidden.status(), 200);
    let hidden: serde_json::Value = hidden.json().await.expect("json");
    assert_eq!(hidden["data"]["repository"], serde_json::Value::Null);
    assert_eq!(hidden["errors"][0]["type"], "NOT_FOUND");
}
