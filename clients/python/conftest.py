"""Starts one `squadsim serve` (every port free, on 127.0.0.1) for the whole
session and hands its first line (base URLs and credentials) to the tests.

The binary is $SQUADSIM_BIN, else target/debug/squadsim (scripts/test builds it)."""

import json
import os
import pathlib
import subprocess
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
HOSTS = [
    "studio", "daytona", "contextforge", "fractalops-hud", "github", "glitchtip",
    "agent-server", "searxnggrid", "agent-memory-archive", "datahub", "playwright", "skills", "msgraph",
]


@pytest.fixture(scope="session")
def served():
    yield from serve("pyclients-serve.log")


@pytest.fixture(scope="session")
def served_with_sessions():
    """`squadsim serve --mcp-sessions`: the gateway keeps stateful MCP sessions."""
    yield from serve("pyclients-serve-sessions.log", "--mcp-sessions")


def serve(log_name, *extra):
    binary = os.environ.get("SQUADSIM_BIN", str(ROOT / "target" / "debug" / "squadsim"))
    args = [binary, "serve", *extra]
    for host in HOSTS:
        args += ["--port", f"{host}=0"]
    log = open(ROOT / "target" / log_name, "w")
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True)
    line = []
    reader = threading.Thread(target=lambda: line.append(child.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=60)
    if not line or not line[0].strip():
        child.kill()
        raise RuntimeError(f"squadsim serve printed no first line (see {log.name})")
    # Keep draining stdout so the child never blocks on a full pipe.
    threading.Thread(target=lambda: child.stdout.read(), daemon=True).start()
    banner = json.loads(line[0])
    for url in (banner[h] for h in HOSTS if h in banner):
        assert url.startswith("http://127.0.0.1:"), f"serve must listen on loopback only: {url}"
    yield banner
    child.terminate()
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
    log.close()


@pytest.fixture(scope="session")
def served_host_exec(tmp_path_factory):
    """`squadsim serve --sandbox-exec local`: toolbox commands EXECUTE ON THIS
    HOST, each sandbox in a directory under a pytest temporary directory."""
    root = tmp_path_factory.mktemp("sandboxes")
    for banner in serve("pyclients-serve-host-exec.log", "--sandbox-exec", "local", "--sandbox-dir", str(root)):
        yield banner, root
