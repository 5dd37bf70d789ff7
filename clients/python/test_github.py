"""PyGithub against the GitHub fake, as the CodexGate App delivers: an
installation token minted the way PyGithub asks for one, then a branch, files,
a comparison, a pull request reviewed, commented, labelled and merged, issues,
pagination and the rate limit. Refusals are checked for GitHub's status and body."""

import pathlib

import github
import pytest
from github import Auth, Github, GithubException, GithubIntegration, InputGitTreeElement


@pytest.fixture(scope="module")
def gh(served):
    creds = served["credentials"]["github"]
    key = pathlib.Path(creds["private_key_path"]).read_text()
    app = GithubIntegration(auth=Auth.AppAuth(creds["app_id"], key), base_url=served["github"])
    token = app.get_access_token(creds["installation_id"])  # POSTs {"permissions": {}}
    assert token.token.startswith("ghs_")
    assert token.permissions["contents"] == "write", "{} means the installation's full permissions"
    client = Github(auth=Auth.Token(token.token), base_url=served["github"], per_page=2)
    return client, creds["repositories"][0]


def test_a_delivery_workflow(gh):
    client, full_name = gh
    repo = client.get_repo(full_name)  # 1 repository
    assert repo.default_branch == "main"
    main = repo.get_branch("main")  # 2 branch
    assert [b.name for b in repo.get_branches()] == ["main"]  # 3 branches
    readme = repo.get_contents("README.md")  # 4 file contents
    assert readme.decoded_content.startswith(b"# ")
    root = repo.get_contents("")  # 5 directory listing
    assert [c.path for c in root] == ["README.md"]

    repo.create_git_ref("refs/heads/squad/feature", main.commit.sha)  # 6 create a ref
    created = repo.create_file("src/app.py", "Add the app", "print('hi')\n", branch="squad/feature")  # 7
    app_py = repo.get_contents("src/app.py", ref="squad/feature")
    repo.update_file("src/app.py", "Greet", "print('hello')\n", app_py.sha, branch="squad/feature")  # 8
    repo.create_file("src/tmp.txt", "Scratch", "x\n", branch="squad/feature")
    tmp = repo.get_contents("src/tmp.txt", ref="squad/feature")
    repo.delete_file("src/tmp.txt", "Drop scratch", tmp.sha, branch="squad/feature")  # 9 delete a file
    assert created["commit"].sha

    # Two files in one commit through the Git Data API.
    blob = repo.create_git_blob("docs\n", "utf-8")  # 10 blob
    head = repo.get_branch("squad/feature").commit
    tree = repo.create_git_tree(  # 11 tree
        [
            InputGitTreeElement("docs/README.md", "100644", "blob", sha=blob.sha),
            InputGitTreeElement("docs/USAGE.md", "100644", "blob", content="usage\n"),
        ],
        base_tree=repo.get_git_tree(head.sha),  # 12 read a tree
    )
    commit = repo.create_git_commit("Docs", tree, [repo.get_git_commit(head.sha)])  # 13, 14 git commits
    ref = repo.get_git_ref("heads/squad/feature")  # 15 read a ref
    ref.edit(commit.sha)  # 16 move a ref (fast-forward)
    listing = repo.get_git_tree(commit.sha, recursive=True)
    assert {e.path for e in listing.tree} >= {"docs/README.md", "docs/USAGE.md", "src/app.py"}

    history = repo.get_commits(sha="squad/feature")  # 17 commits (paginated, 2 per page)
    messages = [c.commit.message for c in history]
    assert messages == ["Docs", "Drop scratch", "Scratch", "Greet", "Add the app", "Initial commit"]
    assert repo.get_commit(commit.sha).files[0].filename == "docs/README.md"  # 18 one commit with files
    comparison = repo.compare("main", "squad/feature")  # 19 compare
    assert (comparison.status, comparison.ahead_by) == ("ahead", 5)
    assert sorted(f.filename for f in comparison.files) == ["docs/README.md", "docs/USAGE.md", "src/app.py"]

    pr = repo.create_pull(title="Add the app", body="Squad delivery", head="squad/feature", base="main")  # 20
    assert pr.user.login == "fractalops-codexgate[bot]" and pr.user.type == "Bot"
    assert [p.number for p in repo.get_pulls(state="open")] == [pr.number]  # 21 list pulls
    assert pr.get_commits().totalCount == 5  # 22 a pull request's commits
    assert sorted(f.filename for f in pr.get_files()) == ["docs/README.md", "docs/USAGE.md", "src/app.py"]  # 23
    review = pr.create_review(body="Looks complete.", event="COMMENT")  # 24 review
    assert review.state == "COMMENTED"
    assert [r.id for r in pr.get_reviews()] == [review.id]  # 25 reviews
    pr.create_issue_comment("Verified by the squad.")  # 26 comment
    assert [c.body for c in pr.get_issue_comments()] == ["Verified by the squad."]  # 27 comments
    pr.add_to_labels("delivery")  # 28 label a pull request
    pr.edit(title="Add the app and docs")  # 29 edit a pull request
    assert repo.get_pull(pr.number).mergeable is True  # 30 one pull request
    status = pr.merge(merge_method="squash")  # 31 merge
    assert status.merged
    assert repo.get_pull(pr.number).is_merged()  # 32 merged check
    assert repo.get_contents("src/app.py").decoded_content == b"print('hello')\n"
    ref.delete()  # 33 delete the branch

    label = repo.create_label("squad", "0e8a16", "Opened by the squad")  # 34 create a label
    assert repo.get_label("squad").color == label.color == "0e8a16"  # 35 one label
    assert {l.name for l in repo.get_labels()} == {"delivery", "squad"}  # 36 labels
    issue = repo.create_issue("Follow-up", body="Track it.", labels=["squad"])  # 37 issue
    issue.create_comment("First note.")
    issue.edit(state="closed")  # 38 close an issue
    assert repo.get_issue(issue.number).state == "closed"  # 39 one issue
    titles = [i.title for i in repo.get_issues(state="all")]  # 40 issues (pull requests included)
    assert titles == ["Follow-up", "Add the app and docs"]
    limits = client.get_rate_limit()  # 41 rate limit
    assert limits.resources.core.limit == 5000 and limits.resources.core.used > 0


def test_refusals_have_github_status_and_body(gh, served):
    client, full_name = gh
    repo = client.get_repo(full_name)
    with pytest.raises(github.UnknownObjectException) as missing:
        client.get_repo("yamonco/no-such-repository")
    assert missing.value.status == 404
    assert missing.value.data == {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
    with pytest.raises(GithubException) as dup:
        repo.create_git_ref("refs/heads/main", repo.get_branch("main").commit.sha)
    assert dup.value.status == 422 and dup.value.data["message"] == "Reference already exists"
    with pytest.raises(github.BadCredentialsException) as bad:
        Github(auth=Auth.Token("ghs_notATokenThisFakeMinted000000000000"), base_url=served["github"]).get_repo(full_name)
    assert bad.value.status == 401 and bad.value.data["message"] == "Bad credentials"
    with pytest.raises(GithubException) as branch:
        repo.get_branch("no-such-branch")
    assert branch.value.status == 404 and branch.value.data["message"] == "Branch not found"


def test_graphql_viewer_and_pull_requests(gh):
    """The GraphQL calls the App makes, through PyGithub's requester: the
    viewer, a repository's pull requests, one by number (those the workflow test
    above delivered: pytest runs a module's tests in order); an unknown field is
    GitHub's error."""
    client, full_name = gh
    owner, name = full_name.split("/")
    query = """query($owner: String!, $name: String!) {
      viewer { login }
      repository(owner: $owner, name: $name) {
        pullRequests(first: 10, states: [MERGED]) { totalCount nodes { number title state } }
        pullRequest(number: 1) { title merged author { login } }
      }
    }"""
    _, data = client.requester.graphql_query(query, {"owner": owner, "name": name})
    assert data["data"]["viewer"]["login"] == "fractalops-codexgate[bot]"
    merged = data["data"]["repository"]["pullRequests"]
    assert merged["totalCount"] == 1 and merged["nodes"][0]["state"] == "MERGED"
    assert data["data"]["repository"]["pullRequest"] == {
        "title": "Add the app and docs", "merged": True, "author": {"login": "fractalops-codexgate[bot]"}}
    with pytest.raises(GithubException) as bad:
        client.requester.graphql_query("{ viewer { email2 } }", {})
    assert "Field 'email2' doesn't exist on type 'Bot'" in str(bad.value)
