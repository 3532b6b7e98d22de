"""The hook daemon (nerv.hook.daemon) on a real server: it answers what the hook answers by itself, it never
turns a failure into an allow, a hook whose daemon dies mid-request answers directly, and its socket is the
user's alone. Each hook is a real `nerv hook` process, as Claude Code runs it."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.pg.approval_waiters import wait_for

ROOT = Path(__file__).resolve().parents[2]
SERVED = "answered by the hook daemon"
STARTED_WITHIN_S = 60  # a loaded 2-core machine: the daemon imports the driver and the handlers first


_CALLS = itertools.count(1)


def event(command: str | None, *, cwd: str | None = "/tmp", hook_event: str = "PreToolUse", tool: str = "Bash",
          tool_input: dict | None = None) -> str:
    """One tool call's event; each a call of its own (its own tool_use_id: one call is one approval request)."""
    payload = {"session_id": "s1", "hook_event_name": hook_event, "tool_name": tool,
               "tool_input": tool_input if tool_input is not None else {"command": command},
               "tool_use_id": f"t{next(_CALLS)}"}
    if cwd is not None:
        payload["cwd"] = cwd
    return json.dumps(payload)


def hook_env(daemon: str = "auto", **extra) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NERV_HOOK_DAEMON": daemon, "NERV_DEBUG": "1", **extra}
    return env


def run_hook(stdin: str, *, daemon: str = "auto", name: str = "pre-tool-use", cwd: str | None = None,
             **extra) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "nerv", "hook", name], input=stdin, env=hook_env(daemon, **extra),
                          capture_output=True, text=True, timeout=120, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done


def stem() -> str:
    from nerv.hook import daemon_client

    return daemon_client.file_stem(os.environ["NERV_DATABASE_URL"])


def start_daemon(idle_timeout_s: float = 120) -> subprocess.Popen:
    code = "import sys; from nerv.hook.daemon import main; sys.exit(main(sys.argv[1:]))"
    process = subprocess.Popen([sys.executable, "-c", code, "--idle-timeout", str(idle_timeout_s)],
                               env=hook_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: os.path.exists(stem() + ".sock") or process.poll() is not None, STARTED_WITHIN_S,
             "the daemon's socket")
    assert process.poll() is None, process.stderr.read()
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)


def listening(url: str, pid: int) -> bool:
    """Process `pid` has a connection idle after LISTENing for approval decisions (it waits for one)."""
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE application_name = %s AND query = %s",
                       (f"nerv:{pid}", "LISTEN nerv_approval_status"))
        return cursor.fetchone() is not None
    finally:
        conn.close()


@pytest.fixture
def daemon(pg_database, cli):
    assert cli("project", "add", "demo").code == 0  # migrates the database
    process = start_daemon()
    yield process
    stop(process)


def decision(done: subprocess.CompletedProcess) -> str | None:
    return json.loads(done.stdout)["hookSpecificOutput"]["permissionDecision"] if done.stdout.strip() else None


def test_the_daemon_answers_what_the_hook_answers_by_itself(daemon, cli, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    assert cli("project", "add", "shop", "--path", str(repo)).code == 0
    for pattern, action, *scope in (("Bash(npm test *)", "allow", "--global"), ("Bash(rm -rf *)", "deny", "--global"),
                                    ("Bash(git push *)", "ask", "--global"), ("Bash(make deploy*)", "deny",
                                                                              "--project", "shop")):
        assert cli("rule", "add", pattern, "--action", action, *scope).code == 0
    assert cli("settings", "set", "hook.mode", "strict").code == 0
    calls = [event("npm test -q"), event("rm -rf /"), event("git push origin main"), event("make build"),
             event("npm test && curl x | sh"), event("make deploy", cwd=str(repo)),
             event("make deploy", cwd=None),  # no cwd: the hook process's own working directory (the repo) counts
             event(None, tool="Write", tool_input={"file_path": "/etc/passwd", "content": "x"}), "not json"]
    answers = {"daemon": [], "off": []}
    for call in calls:
        for mode in answers:
            done = run_hook(call, daemon=mode, cwd=str(repo))
            assert (SERVED in done.stderr) == (mode == "daemon"), (mode, done.stderr)
            # Request numbers differ between the two runs; everything else is the same answer.
            answers[mode].append((re.sub(r"#\d+", "#N", done.stdout), decision(done)))
    assert answers["daemon"] == answers["off"]
    assert [d for _, d in answers["daemon"]] == ["allow", "deny", "ask", "ask", "ask", "deny", "deny", "ask", "ask"]
    recorded = sorted(json.dumps(r["tool_input"]) for r in cli("approval", "list", "--json").data)
    # Strict mode: each unruled call once, though both paths decided it (the same tool_use_id: the same call).
    assert recorded == ['{"command": "make build"}', '{"command": "npm test && curl x | sh"}',
                        '{"file_path": "/etc/passwd", "content": "x"}']


def test_requests_run_with_the_hooks_own_environment(daemon, cli):
    assert cli("settings", "set", "hook.mode", "strict").code == 0
    run_hook(event("make a"), NERV_AGENT="agent-7", NERV_ACTOR="ci-7")
    run_hook(event("make b"), NERV_AGENT="agent-8", NERV_ACTOR="ci-8")
    requests = sorted(cli("approval", "list", "--json").data, key=lambda r: r["id"])
    assert [r["agent"] for r in requests] == ["agent-7", "agent-8"]
    actors = {row["actor"] for row in cli("audit", "list", "--json").data if row["action"] == "approval.request"}
    assert actors == {"ci-7", "ci-8"}


def test_a_hook_starts_the_daemon_on_demand_and_answers_meanwhile(pg_database, cli):
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    first = run_hook(event("npm test -q"))
    assert decision(first) == "allow" and SERVED not in first.stderr  # answered directly, daemon started
    try:
        wait_for(lambda: os.path.exists(stem() + ".sock"), STARTED_WITHIN_S, "the started daemon's socket")
        second = run_hook(event("npm test -q"))
        assert decision(second) == "allow" and SERVED in second.stderr
    finally:
        os.kill(int(Path(stem() + ".lock").read_text()), signal.SIGTERM)
    wait_for(lambda: not os.path.exists(stem() + ".sock"), STARTED_WITHIN_S, "the daemon's exit on SIGTERM")


def test_with_the_server_stopped_the_hook_never_allows(tmp_path, monkeypatch, cli):
    from tests import pg_server

    from nerv.hook import cache

    server = pg_server.Server().start()
    running = [True]
    try:
        monkeypatch.setenv("NERV_DATABASE_URL", server.url(server.create_database()))
        assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
        assert cli("settings", "set", "hook.on_error", "deny").code == 0
        # No cached allow (tests/pg/test_hook_cache.py has those): what answers is the cached hook.on_error.
        assert cli("settings", "set", "hook.cache_max_age_s", "0").code == 0
        process = start_daemon()
        try:
            assert decision(run_hook(event("npm test -q"))) == "allow"  # the pool holds a connection now
            server.stop()
            running.clear()
            for mode in ("auto", "off"):
                done = run_hook(event("npm test -q"), daemon=mode)
                assert (SERVED in done.stderr) == (mode == "auto")
                assert decision(done) == "deny", done.stdout
                assert "the server is unreachable" in done.stdout and "hook.on_error" in done.stdout
        finally:
            stop(process)
        done = run_hook(event("npm test -q"))  # no daemon, no server
        assert decision(done) == "deny" and SERVED not in done.stderr
        os.unlink(cache.cache_path(os.environ["NERV_DATABASE_URL"]))
        done = run_hook(event("npm test -q"))  # no daemon, no server, no cache: the default, ask
        assert decision(done) == "ask" and "no local cache" in done.stdout
    finally:
        if running:
            server.stop()


def test_a_daemon_killed_mid_request_leaves_the_hook_to_answer(daemon, cli, tmp_path, pg_database):
    assert cli("settings", "set", "hook.mode", "queue").code == 0
    assert cli("settings", "set", "hook.queue_timeout_s", "60").code == 0
    call = event(None, hook_event="PermissionRequest", tool="Write",
                 tool_input={"file_path": str(tmp_path / "out.txt"), "content": "x"})
    hook = subprocess.Popen([sys.executable, "-m", "nerv", "hook", "permission-request"], env=hook_env(),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    hook.stdin.write(call)
    hook.stdin.close()
    hook.stdin = None

    def pending() -> list[int]:
        return [r["id"] for r in cli("approval", "list", "--json").data if r["status"] == "pending"]

    wait_for(lambda: listening(pg_database, daemon.pid), STARTED_WITHIN_S, "the daemon waiting for a person")
    daemon.kill()  # mid-request: the daemon holds the hook's connection while it waits for a person
    daemon.wait(timeout=30)
    # The hook runs the event itself: it finds the request the daemon recorded for this call, and waits on it.
    wait_for(lambda: listening(pg_database, hook.pid), STARTED_WITHIN_S, "the hook waiting by itself")
    assert len(pending()) == 1
    assert cli("approval", "approve", str(pending()[0])).code == 0
    out, err = hook.communicate(timeout=60)
    assert hook.returncode == 0, err
    assert json.loads(out)["hookSpecificOutput"]["decision"]["behavior"] == "allow"
    assert SERVED not in err


def test_the_socket_is_the_users_alone(daemon):
    folder, socket_path = os.path.dirname(stem()), stem() + ".sock"
    for path, mode, kind in ((folder, 0o700, stat.S_ISDIR), (socket_path, 0o600, stat.S_ISSOCK)):
        info = os.stat(path)
        assert kind(info.st_mode) and stat.S_IMODE(info.st_mode) == mode and info.st_uid == os.getuid(), path


def test_a_folder_others_may_enter_is_not_used(daemon, cli):
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    folder = os.path.dirname(stem())
    os.chmod(folder, 0o755)
    done = run_hook(event("npm test -q"))
    assert decision(done) == "allow" and SERVED not in done.stderr
    assert "not a private folder" in done.stderr
    stop(daemon)
    code = "import sys; from nerv.hook.daemon import main; sys.exit(main([]))"
    refused = subprocess.run([sys.executable, "-c", code], env=hook_env(), capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "chmod 700" in refused.stderr


def test_the_daemon_refuses_a_sqlite_ledger(cli, monkeypatch):
    monkeypatch.delenv("NERV_DATABASE_URL", raising=False)
    result = cli("hook", "daemon", "--json")
    assert result.code == 1 and result.error["code"] == "not_applicable"


def test_the_daemon_exits_when_idle(pg_database, cli):
    assert cli("project", "add", "demo").code == 0
    process = start_daemon(idle_timeout_s=1)
    process.wait(timeout=60)
    assert process.returncode == 0 and not os.path.exists(stem() + ".sock")


def test_the_hook_that_asks_the_daemon_imports_no_driver(daemon, cli):
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    probe = ("import io, sys; sys.stdin = io.TextIOWrapper(io.BytesIO(sys.argv[1].encode())); "
             "from nerv.__main__ import main; main(['hook', 'pre-tool-use']); "
             "sys.stderr.write('DRIVER=%s' % ('psycopg2' in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe, event("npm test -q")], env=hook_env(), capture_output=True,
                          text=True, timeout=120)
    assert SERVED in done.stderr and '"allow"' in done.stdout
    assert done.stderr.endswith("DRIVER=False")


def test_the_daemon_refuses_a_hook_with_other_libpq_variables(daemon, monkeypatch):
    from nerv.hook import daemon_client

    path, url = stem() + ".sock", os.environ["NERV_DATABASE_URL"]
    monkeypatch.setenv("PGUSER", "someone_else")  # another role for the same URL: not this daemon's to serve
    assert daemon_client._exchange(path, url, "pre-tool-use", event("npm test -q").encode()) == (False, None)
    assert daemon_client.file_stem(url) + ".sock" != path
