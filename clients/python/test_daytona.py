"""The Daytona SDK against the Daytona fake: a sandbox created and started,
ordinary commands run through the toolbox's process API against the sandbox's
files (and a session that keeps its folder), the file API (bulk upload and
download, list, info, find, search, replace, move, permissions, delete), and
the fake's Git through `git` commands and the SDK's git API."""

import pytest
from daytona import Daytona, DaytonaConfig, FileUpload, SessionExecuteRequest
from daytona.common.errors import DaytonaError



@pytest.fixture(scope="module")
def sandbox(served):
    client = Daytona(DaytonaConfig(api_key=served["credentials"]["daytona"]["api_key"], api_url=served["daytona"]))
    sb = client.create(timeout=60)  # 1 create, polled until started
    yield sb
    client.delete(sb)


def test_commands_run_against_the_sandbox_files(sandbox):
    r = sandbox.process.exec("echo hi")  # 2
    assert (r.exit_code, r.result) == (0, "hi\n")
    r = sandbox.process.exec("mkdir -p work/src && echo \"$GREETING, squad\" > work/src/hello.txt", env={"GREETING": "hello"})  # 3
    assert r.exit_code == 0, r.result
    r = sandbox.process.exec("cat src/hello.txt | cat && ls src && pwd", cwd="work")  # 4
    assert r.result == "hello, squad\nhello.txt\n/home/daytona/work\n"
    r = sandbox.process.exec("test -d work && echo dir || echo none; false || echo recovered; exit 4")  # 5
    assert (r.exit_code, r.result) == (4, "dir\nrecovered\n")
    r = sandbox.process.exec("cat missing.txt")
    assert (r.exit_code, r.result) == (1, "cat: missing.txt: No such file or directory\n")
    r = sandbox.process.exec("definitely-not-installed --version")  # 6
    assert (r.exit_code, r.result) == (127, "sh: 1: definitely-not-installed: not found\n")

    sandbox.process.create_session("s1")  # 7 session
    for command in ["cd work", "export N=3", "touch a.txt && cp a.txt b.txt && mv b.txt c.txt && rm a.txt"]:
        out = sandbox.process.execute_session_command("s1", SessionExecuteRequest(command=command))  # 8
        assert out.exit_code == 0, (command, out.output)
    out = sandbox.process.execute_session_command("s1", SessionExecuteRequest(command="pwd; echo $N; ls"))
    assert out.output == "/home/daytona/work\n3\nc.txt\nsrc\n"
    assert sandbox.process.get_session("s1").session_id == "s1"  # 9
    sandbox.process.delete_session("s1")  # 10


def test_the_file_api_serves_the_same_files(sandbox):
    fs = sandbox.fs
    fs.create_folder("proj", "755")  # 11
    fs.upload_files([FileUpload(b"alpha\nbeta\n", "proj/a.txt"), FileUpload(b"gamma\n", "proj/b.md")])  # 12 bulk upload
    fs.upload_file(b"one file\n", "proj/c.txt")  # 13
    assert fs.download_file("proj/a.txt") == b"alpha\nbeta\n"  # 14 bulk download
    assert sorted(f.name for f in fs.list_files("proj")) == ["a.txt", "b.md", "c.txt"]  # 15 list
    assert fs.list_files("/")  # the root lists
    info = fs.get_file_info("proj/a.txt")  # 16 info
    assert (info.is_dir, info.size) == (False, 11)
    matches = fs.find_files("proj", "beta")  # 17 find in files
    assert [(m.file, m.line, m.content) for m in matches] == [("/home/daytona/proj/a.txt", 2, "beta")]
    assert fs.search_files("proj", "*.md").files == ["/home/daytona/proj/b.md"]  # 18 search by name
    results = fs.replace_in_files(["proj/a.txt"], "beta", "BETA")  # 19 replace
    assert results[0].success
    assert sandbox.process.exec("cat proj/a.txt").result == "alpha\nBETA\n"
    fs.move_files("proj/c.txt", "proj/d.txt")  # 20 move
    fs.set_file_permissions("proj", mode="555")  # 21 permissions: the folder becomes read-only
    r = sandbox.process.exec("echo x > proj/e.txt")
    assert (r.exit_code, r.result) == (2, "sh: 1: cannot create proj/e.txt: Permission denied\n")
    fs.set_file_permissions("proj", mode="755")
    fs.delete_file("proj/d.txt")  # 22 delete
    with pytest.raises(DaytonaError):
        fs.download_file("proj/d.txt")
    with pytest.raises(DaytonaError):
        fs.get_file_info("proj/nope.txt")


def test_git_through_commands_and_the_git_api(sandbox, served):
    sandbox.git.clone(f"{served['github']}/yamonco/sanmopia-modernization.git", "repo")  # 23 clone
    r = sandbox.process.exec("echo 'print(1)' > main.py && git add main.py && git commit -m 'Add main' && git status", cwd="repo")
    assert r.exit_code == 0, r.result
    assert "[main " in r.result and "nothing to commit, working tree clean" in r.result
    sandbox.process.exec("git checkout -b squad/x", cwd="repo")
    assert sandbox.git.branches("repo").branches == ["main", "squad/x"]  # 24 branches
    status = sandbox.git.status("repo")  # 25 status
    assert (status.current_branch, status.ahead) == ("squad/x", 1)


def test_sandbox_exec_local_runs_commands_on_the_host(served_host_exec):
    """Opt-in host execution: what the built-in shell lacks (arithmetic, real
    programs) runs, in the sandbox's own directory."""
    served, root = served_host_exec
    client = Daytona(DaytonaConfig(api_key=served["credentials"]["daytona"]["api_key"], api_url=served["daytona"]))
    sb = client.create(timeout=60)
    try:
        r = sb.process.exec("echo $((40 + 2)) > answer.txt && cat answer.txt && pwd")
        assert r.exit_code == 0, r.result
        home = root / sb.id / "home" / "daytona"
        assert r.result == f"42\n{home}\n"
        assert (home / "answer.txt").read_text() == "42\n"
    finally:
        client.delete(sb)
