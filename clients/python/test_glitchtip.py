"""sentry-sdk, sentry-cli and the Sentry API (as their clients call it)
against the GlitchTip fake: events sent with a DSN become issues and events
readable over the API; projects, keys, issue updates; releases and deploys made
with sentry-cli."""

import os
import subprocess
import sys
import pathlib

import pytest
import requests
import sentry_sdk


@pytest.fixture(scope="module")
def glitchtip(served):
    creds = served["credentials"]["glitchtip"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {creds['api_token']}"
    return served["glitchtip"], creds, session


def test_sdk_events_become_issues_readable_over_the_api(glitchtip):
    base, creds, api = glitchtip
    sentry_sdk.init(dsn=creds["dsn"], release="web@1.0.0", environment="test", default_integrations=False)
    try:
        raise ValueError("the squad hit a wall")
    except ValueError:
        event_id = sentry_sdk.capture_exception()  # 1 exception event
    sentry_sdk.capture_message("handoff recorded")  # 2 message event
    sentry_sdk.flush(timeout=10)

    projects = api.get(f"{base}/api/0/projects/").json()  # 3 projects
    org, slug = creds["organization"], projects[0]["slug"]
    keys = api.get(f"{base}/api/0/projects/{org}/{slug}/keys/").json()  # 4 keys (DSNs)
    assert keys[0]["dsn"]["public"] == creds["dsn"]
    issues = api.get(f"{base}/api/0/projects/{org}/{slug}/issues/").json()  # 5 issues
    titles = sorted(i["title"] for i in issues)
    assert titles == ["ValueError: the squad hit a wall", "handoff recorded"], titles
    wall = next(i for i in issues if i["title"].startswith("ValueError"))
    latest = api.get(f"{base}/api/0/issues/{wall['id']}/events/latest/").json()  # 6 latest event
    assert latest["eventID"] == event_id and latest["release"] == "web@1.0.0"
    events = api.get(f"{base}/api/0/projects/{org}/{slug}/events/").json()  # 7 project events
    assert len(events) == 2
    resolved = api.put(f"{base}/api/0/issues/{wall['id']}/", json={"status": "resolved"}).json()  # 8 resolve
    assert resolved["status"] == "resolved"


def test_sentry_cli_makes_releases_and_deploys(glitchtip):
    base, creds, api = glitchtip
    org = creds["organization"]
    slug = api.get(f"{base}/api/0/projects/").json()[0]["slug"]
    cli = pathlib.Path(sys.executable).with_name("sentry-cli")
    env = dict(os.environ, SENTRY_URL=base, SENTRY_AUTH_TOKEN=creds["api_token"], SENTRY_ORG=org,
               SENTRY_PROJECT=slug, SENTRY_LOG_LEVEL="warn", SENTRY_DISABLE_UPDATE_CHECK="1")

    def run(*args):
        done = subprocess.run([str(cli), *args], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"sentry-cli {' '.join(args)}: {done.stderr}"
        return done.stdout

    run("releases", "new", "web@2.0.0")  # 9 new release
    run("releases", "finalize", "web@2.0.0")  # 10 finalize
    run("releases", "deploys", "web@2.0.0", "new", "-e", "production")  # 11 deploy
    listed = run("releases", "list")  # 12 list
    assert "web@2.0.0" in listed
    release = api.get(f"{base}/api/0/organizations/{org}/releases/web@2.0.0/").json()
    assert release["dateReleased"] and release["deployCount"] == 1
    assert [p["slug"] for p in release["projects"]] == [slug]


def test_refusals_have_glitchtip_shapes(glitchtip):
    base, creds, _ = glitchtip
    r = requests.get(f"{base}/api/0/projects/")
    assert (r.status_code, r.json()) == (401, {"detail": "Unauthorized"})
    r = requests.post(f"{base}/api/1/envelope/", data=b"{}\n", headers={"X-Sentry-Auth": "Sentry sentry_key=00000000000000000000000000000000, sentry_version=7"})
    assert r.status_code == 403
