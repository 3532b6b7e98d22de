"""Claude Code's own telemetry, exported by the real Claude Code CLI to `nerv otel serve`, offline.

The receiver listens on the host's loopback. Inside a network namespace (tests/e2e/conftest.py) Claude Code
reaches it as it reaches the fake API: the launcher's `--forward` bridges a loopback port to a Unix socket,
which this test relays to the receiver's TCP port.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from tests.conftest import raw_connection
from tests.e2e.fake_anthropic import Text, bash
from tests.e2e.launcher import _pump

pytestmark = pytest.mark.slow  # real Claude Code runs

SONNET = "claude-sonnet-4-5-20250929"  # a model nerv prices


def _relay(unix_path: str, port: int) -> socket.socket:
    """Accept on `unix_path`, forward each connection to 127.0.0.1:port (until the listener is closed)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(unix_path)
    listener.listen(16)

    def serve():
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return listener


def _stored(nerv_home) -> int:
    conn = raw_connection(nerv_home)
    try:
        return conn.execute("SELECT COUNT(*) FROM telemetry_api_requests").fetchone()[0]
    finally:
        conn.close()


def test_api_request_events_reach_the_receiver_and_match_the_transcript(run_claude, project_dir, cli, nerv_home):
    assert cli("db", "migrate").code == 0  # the receiver and this process open the same, migrated ledger
    server = subprocess.Popen([sys.executable, "-m", "nerv", "--json", "otel", "serve", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sock_dir = tempfile.mkdtemp(prefix="nerv-otel-")
    relay = None
    try:
        port = int(re.search(r"127\.0\.0\.1:(\d+)", server.stderr.readline()).group(1))
        relay = _relay(os.path.join(sock_dir, "otel.sock"), port)
        env = {"CLAUDE_CODE_ENABLE_TELEMETRY": "1", "OTEL_LOGS_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "none",
               "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json", "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
               "OTEL_LOGS_EXPORT_INTERVAL": "500"}
        result = run_claude("say hi", [bash("echo hi", "say hi"), Text("done")], cwd=project_dir, env=env,
                            model=SONNET, extra_args=["--model", SONNET],
                            forwards={"OTEL_EXPORTER_OTLP_ENDPOINT": os.path.join(sock_dir, "otel.sock")})
        assert result.returncode == 0, result.stderr
        main = result.fake.main_requests()
        deadline = time.monotonic() + 10  # Claude Code flushes its last batch on exit; allow a slow machine
        while _stored(nerv_home) < len(main) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        if relay is not None:
            relay.close()
        server.terminate()
        _out, log = server.communicate(timeout=20)
        for leftover in os.listdir(sock_dir):
            os.unlink(os.path.join(sock_dir, leftover))
        os.rmdir(sock_dir)
    assert server.returncode == 0, log
    assert "rejected" in log and "refused (" not in log, log

    assert cli("session", "import", *[str(p) for p in result.transcript_paths]).code == 0
    report = cli("cost", "--reconcile", "--json").data
    [session] = report["sessions"]
    assert session["session_id"] == result.json_output["session_id"]
    assert session["matched_calls"] == len(main) == 2, (session, result.isolation)
    assert (session["telemetry_only_calls"], session["transcript_only_calls"]) == (0, 0)
    assert set(session["token_differences"].values()) == {0}
    assert session["nerv_cost_usd"] == pytest.approx(session["claude_code_cost_usd"], abs=1e-6)
    assert session["nerv_cost_usd"] > 0
    conn = raw_connection(nerv_home)
    try:
        ids = {r[0] for r in conn.execute("SELECT request_id FROM telemetry_api_requests").fetchall()}
    finally:
        conn.close()
    assert ids == {r.request_id for r in main}  # the fake API's request-id header, as Claude Code reported it
