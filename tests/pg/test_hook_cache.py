"""The hook's local cache (nerv.hook.cache) on a real server that is then stopped: with the server unreachable,
PreToolUse and PermissionRequest decide from the cache (deny and ask at any age, allow only within
hook.cache_max_age_s, else hook.on_error as cached, `ask` without a cache), never from an untrusted file.
Each hook is a real `nerv hook` process reading the event on stdin, with the hook daemon on and off."""

from __future__ import annotations

import json
import os
import re
import stat
import time
from pathlib import Path

import pytest

from tests.pg.test_hook_daemon import SERVED, decision, event, run_hook, start_daemon, stop

DAEMON_MODES = ("off", "auto")


class StoppableServer:
    def __init__(self):
        from tests import pg_server

        why = pg_server.why_unavailable()
        if why:
            pytest.skip(why)
        self.server = pg_server.Server().start()
        self.url = self.server.url(self.server.create_database())
        self.running = True

    def stop(self) -> None:
        from nerv.cli import _ctx

        _ctx.close()  # the in-process CLI's connection
        if self.running:
            self.running = False
            self.server.stop()


@pytest.fixture
def server(monkeypatch, cli):
    running = StoppableServer()
    monkeypatch.setenv("NERV_DATABASE_URL", running.url)
    assert cli("project", "add", "demo").code == 0  # migrates the database
    yield running
    running.stop()


@pytest.fixture(params=DAEMON_MODES)
def daemon_mode(request, server):
    """`off`: each hook connects by itself; `auto`: a running hook daemon answers (and writes the cache)."""
    process = start_daemon() if request.param == "auto" else None
    yield request.param
    if process is not None:
        stop(process)


def cache_file() -> Path:
    from nerv.hook import cache

    return Path(cache.cache_path(os.environ["NERV_DATABASE_URL"]))


def hook(command: str, mode: str = "off", **kwargs):
    done = run_hook(event(command, **kwargs), daemon=mode)
    assert (SERVED in done.stderr) == (mode == "auto"), done.stderr
    return done


def reason(done) -> str:
    return json.loads(done.stdout)["hookSpecificOutput"]["permissionDecisionReason"]


def test_a_cached_deny_denies_and_a_cached_allow_allows_with_the_server_down(server, daemon_mode, cli):
    assert cli("rule", "add", "Bash(rm -rf *)", "--action", "deny").code == 0
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    assert cli("rule", "add", "Bash(git push *)", "--action", "ask").code == 0
    assert decision(hook("npm test -q", daemon_mode)) == "allow"  # on the server: the cache is written
    path = cache_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    server.stop()
    for command, expected in (("rm -rf /", "deny"), ("npm test -q", "allow"), ("git push origin", "ask")):
        done = hook(command, daemon_mode)
        assert decision(done) == expected, done.stdout
        assert re.search(r"from the local cache of the server's rules, \d+ s old", reason(done)), reason(done)
        assert "unreachable" in reason(done)
    assert decision(hook("make build", daemon_mode)) is None  # no rule, fresh cache, observe mode: no opinion


@pytest.mark.parametrize("on_error", ["ask", "deny"])
def test_past_the_bound_the_cached_on_error_answers(server, cli, on_error):
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    assert cli("rule", "add", "Bash(rm -rf *)", "--action", "deny").code == 0
    assert cli("settings", "set", "hook.on_error", on_error).code == 0
    assert cli("settings", "set", "hook.cache_max_age_s", "1").code == 0
    assert decision(hook("npm test -q")) == "allow"
    server.stop()
    time.sleep(1.2)
    done = hook("npm test -q")
    assert decision(done) == on_error and "older than hook.cache_max_age_s (1 s)" in reason(done), done.stdout
    assert decision(hook("make build")) == on_error  # no opinion is not given from an old cache either
    assert decision(hook("rm -rf /")) == "deny"  # a deny holds at any age


def test_a_confirmation_older_than_the_default_bound_answers_on_error(server, cli):
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    assert cli("settings", "set", "hook.on_error", "deny").code == 0
    assert decision(hook("npm test -q")) == "allow"
    server.stop()
    path = cache_file()
    long_ago = time.time() - 301
    os.utime(path, (long_ago, long_ago))  # the server last confirmed it 301 s ago: past the default 300 s
    done = hook("npm test -q")
    assert decision(done) == "deny" and "older than hook.cache_max_age_s (300 s)" in reason(done)


def test_without_a_cache_the_hook_asks(server, cli):
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    assert cli("settings", "set", "hook.on_error", "deny").code == 0
    server.stop()  # no hook ran on the server: nothing is cached
    done = hook("npm test -q")
    assert decision(done) == "ask" and "no local cache" in reason(done)
    assert not cache_file().exists()


def backdate(path: Path, seconds: float) -> float:
    """Make the server's last confirmation of the cache `seconds` older; returns that time."""
    when = path.stat().st_mtime - seconds
    os.utime(path, (when, when))
    return when


def test_the_cache_follows_the_server_and_is_not_rewritten_without_a_change(server, cli):
    from nerv.hook.cache import CHECK_EVERY_S

    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    assert decision(hook("npm test -q")) == "allow"
    path = cache_file()
    first = path.stat()
    assert decision(hook("npm test -q")) == "allow"
    assert path.stat().st_mtime == first.st_mtime or path.stat().st_mtime - first.st_mtime >= CHECK_EVERY_S
    old = backdate(path, 50)
    assert decision(hook("npm test -q")) == "allow"
    again = path.stat()
    assert again.st_ino == first.st_ino and again.st_mtime > old + 49  # confirmed, not rewritten
    assert cli("rule", "add", "Bash(npm test *)", "--action", "deny").code == 0
    backdate(path, CHECK_EVERY_S)  # the next check is due
    assert decision(hook("npm test -q")) == "deny"  # the server's answer; the cache is written again
    assert path.stat().st_ino != first.st_ino
    server.stop()
    assert decision(hook("npm test -q")) == "deny"  # the new rule answers from the cache


def test_project_scoping_and_mode_come_from_the_cache(server, cli, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    assert cli("project", "add", "shop", "--path", str(repo)).code == 0
    assert cli("rule", "add", "Bash(make deploy*)", "--action", "deny", "--project", "shop").code == 0
    assert cli("settings", "set", "hook.mode", "strict", "--project", "shop").code == 0
    assert decision(hook("make build", cwd=str(repo))) == "ask"  # strict in the project, on the server
    server.stop()
    assert decision(hook("make deploy", cwd=str(repo))) == "deny"
    assert decision(hook("make deploy", cwd="/tmp")) is None  # outside the project: no rule, observe
    done = hook("make build", cwd=str(repo))
    assert decision(done) == "ask" and "hook.mode=strict" in reason(done)


def test_an_untrusted_cache_file_is_ignored(server, cli):
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    assert decision(hook("npm test -q")) == "allow"
    server.stop()
    path = cache_file()
    good = path.read_bytes()

    def restore():
        path.write_bytes(good)
        os.chmod(path, 0o600)
        os.chmod(path.parent, 0o700)
        if os.geteuid() == 0:
            os.chown(path, 0, 0)

    damages = {
        "corrupted": lambda: path.write_bytes(good[:len(good) // 2] + b"\x00garbage"),
        "group-readable": lambda: os.chmod(path, 0o640),
        "world-writable": lambda: os.chmod(path, 0o666),
        "folder others may enter": lambda: os.chmod(path.parent, 0o755),
        "a symlink": lambda: (path.rename(path.with_suffix(".real")), path.symlink_to(path.with_suffix(".real"))),
        "another format": lambda: path.write_bytes(good.replace(b'"format": 1', b'"format": 99', 1)),
    }
    if os.geteuid() == 0:
        damages["another owner"] = lambda: os.chown(path, 12345, 12345)
    for name, damage in damages.items():
        damage()
        done = hook("npm test -q")
        assert decision(done) == "ask" and "no local cache" in reason(done), (name, done.stdout)
        if path.is_symlink():
            path.unlink()
            path.with_suffix(".real").unlink()
        restore()
        assert decision(hook("npm test -q")) == "allow", name  # the same file, trusted again


def test_permission_request_denies_from_a_cached_deny_rule_and_on_error(server, cli):
    assert cli("rule", "add", "Bash(rm -rf *)", "--action", "deny").code == 0
    assert cli("settings", "set", "hook.on_error", "deny").code == 0
    assert cli("settings", "set", "hook.cache_max_age_s", "0").code == 0
    assert decision(hook("npm test -q")) is None  # on the server: no rule, observe mode
    server.stop()

    def permission(command: str) -> dict | None:
        done = run_hook(event(command, hook_event="PermissionRequest"), daemon="off", name="permission-request")
        return json.loads(done.stdout)["hookSpecificOutput"]["decision"] if done.stdout.strip() else None

    assert permission("rm -rf /")["behavior"] == "deny"
    stale = permission("make build")  # the cache is older than 0 s: the cached hook.on_error = deny answers
    assert stale["behavior"] == "deny" and "hook.on_error = deny" in stale["message"]


def test_a_local_sqlite_ledger_writes_no_cache(cli, monkeypatch, nerv_home):
    monkeypatch.delenv("NERV_DATABASE_URL", raising=False)
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    assert decision(run_hook(event("npm test -q"), daemon="off")) == "allow"
    assert not (Path(os.environ["NERV_HOME"]) / "hook-cache").exists()


def test_a_server_that_never_answers_is_unreachable_after_the_connect_timeout(cli, monkeypatch, nerv_home):
    import socket

    pytest.importorskip("psycopg2")
    from nerv.store.postgres import HOOK_CONNECT_TIMEOUT_S

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the TCP handshake; nothing ever answers libpq's startup
    try:
        monkeypatch.setenv("NERV_DATABASE_URL", f"postgresql://nobody@127.0.0.1:{silent.getsockname()[1]}/nerv")
        started = time.monotonic()
        done = run_hook(event("npm test -q"), daemon="off")
        took = time.monotonic() - started
    finally:
        silent.close()
    assert decision(done) == "ask" and "the server is unreachable" in reason(done), done.stdout
    assert "timeout" in reason(done) and took < HOOK_CONNECT_TIMEOUT_S + 20


def test_answering_from_the_cache_imports_only_the_standard_library(server, cli):
    import subprocess
    import sys

    from tests.hooks.test_hook_imports import HEAVY, PROBE

    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    assert decision(hook("npm test -q")) == "allow"
    server.stop()
    probe = PROBE.format(payload=event("npm test -q"), event="pre-tool-use", heavy=set(HEAVY))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert done.returncode == 0, done.stderr
    assert '"permissionDecision": "allow"' in done.stdout and "local cache" in done.stdout
    assert json.loads(done.stderr.rsplit("HEAVY=", 1)[1]) == []
