"""Claude Code's telemetry: `nerv otel serve` as a real process receiving real HTTP POSTs of OTLP/JSON payloads
(tests/fixtures/telemetry, built from the documented api_request event), and `nerv cost --reconcile` against
the hand-made transcripts (tests/fixtures/transcripts/README.md has their figures)."""

from __future__ import annotations

import copy
import gzip
import http.client
import json
import os
import re
import signal
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import assert_not_a_bug, raw_connection

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "telemetry"


def payload(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


class Receiver:
    """`nerv otel serve --port 0` in its own process (this checkout's code), stopped with SIGTERM."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen([sys.executable, "-m", "nerv", "--json", "otel", "serve", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert found, line + self.proc.stderr.read()
        self.port = int(found.group(1))

    def post(self, path: str, body: bytes, headers: dict | None = None, *, chunked: bool = False):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("POST", path, body=iter([body[:100], body[100:]]) if chunked else body,
                         headers={"Content-Type": "application/json", **(headers or {})},
                         encode_chunked=chunked)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            conn.close()

    def post_json(self, path: str, document) -> tuple[int, dict]:
        return self.post(path, json.dumps(document).encode())

    def stop(self) -> tuple[dict, str]:
        self.proc.send_signal(signal.SIGTERM)
        stdout, stderr = self.proc.communicate(timeout=20)
        assert self.proc.returncode == 0, stderr
        return json.loads(stdout)["data"], stderr


@pytest.fixture
def receiver(nerv_home):
    started = []

    def start(*args: str) -> Receiver:
        started.append(Receiver(*args))
        return started[-1]

    yield start
    for one in started:
        if one.proc.poll() is None:
            one.proc.kill()
            one.proc.communicate(timeout=10)


def stored_events(nerv_home) -> list[tuple]:
    with closing(raw_connection(nerv_home)) as conn:
        return conn.execute("SELECT session_id, request_id, input_tokens, output_tokens, cache_read_tokens,"
                            " cache_creation_tokens, cost_usd, ts, service_version FROM telemetry_api_requests"
                            " ORDER BY ts").fetchall()


def audit_actions(nerv_home) -> list[str]:
    with closing(raw_connection(nerv_home)) as conn:
        return [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE action LIKE 'telemetry.%'")]


@pytest.mark.slow  # a receiver process
def test_serve_stores_api_requests_from_real_posts(receiver, nerv_home):
    server = receiver()
    assert server.post_json("/v1/logs", payload("logs-1.json")) == (200, {})
    assert server.post("/v1/logs", gzip.compress((FIXTURES / "logs-2.json").read_bytes()),
                       {"Content-Encoding": "gzip"}) == (200, {})
    assert server.post("/v1/logs", (FIXTURES / "logs-1.json").read_bytes(), chunked=True) == (200, {})  # re-sent
    assert server.post_json("/v1/metrics", payload("metrics-1.json")) == (200, {})
    tally, log = server.stop()

    assert tally["requests"] == 4 and tally["refused"] == 0
    assert (tally["api_requests"], tally["stored"], tally["duplicates"], tally["other_events"]) == (7, 5, 2, 4)
    assert tally["metric_points"] == 5
    assert "metrics: 5 data points acknowledged (not stored)" in log
    events = stored_events(nerv_home)
    assert [e[1] for e in events] == ["req_1", "req_2", "req_3", "req_tel_only", None]
    # intValue as a JSON number (req_1) and as proto3 JSON's string (req_2) read alike.
    assert events[0] == ("sess-a", "req_1", 10, 50, 1000, 100, 0.001455, "2026-11-20T10:00:02.000000Z", "2.1.197")
    assert events[1][2:6] == (20, 32, 2000, 200)
    assert events[4][0] == "sess-c"  # no request id: kept once, even though the batch could come again
    assert audit_actions(nerv_home) == ["telemetry.receive", "telemetry.receive"]  # the re-sent batch changed nothing


@pytest.mark.slow  # a receiver process
def test_serve_refuses_what_it_cannot_read_and_keeps_serving(receiver, nerv_home, db_hash):
    server = receiver("--max-body", "4096")
    before = db_hash()
    body = (FIXTURES / "logs-1.json").read_bytes()
    assert server.post("/v1/logs", body, {"Content-Type": "application/x-protobuf"})[0] == 415
    assert server.post("/v1/logs", body)[0] == 413  # 7 kB over a 4 kB limit
    assert server.post("/v1/logs", gzip.compress(b"{" + b" " * 10_000 + b"}"), {"Content-Encoding": "gzip"})[0] == 413
    assert server.post("/v1/logs", b"{not json")[0] == 400
    assert server.post("/v1/traces", b"{}")[0] == 404
    assert db_hash() == before

    bad = copy.deepcopy(payload("logs-2.json"))
    bad["resourceLogs"][0]["resource"]["attributes"].append({"key": "odd", "value": {"intValue": "12x"}})  # unused
    records = bad["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    for attribute in records[0]["attributes"]:
        if attribute["key"] == "output_tokens":
            attribute["value"] = {"intValue": -9}
    status, answer = server.post("/v1/logs", json.dumps(bad, separators=(",", ":")).encode())
    assert status == 200
    assert answer["partialSuccess"]["rejectedLogRecords"] == 1
    assert "output_tokens must be a count" in answer["partialSuccess"]["errorMessage"]
    tally, log = server.stop()
    assert (tally["refused"], tally["stored"], tally["rejected"]) == (5, 2, 1)
    assert "refused (415)" in log
    assert [e[1] for e in stored_events(nerv_home)] == ["req_tel_only", None]


def test_serve_bad_options_are_clear_errors(cli, receiver):
    for args in (("--port", "70000"), ("--max-body", "10")):
        result = cli("otel", "serve", *args, "--json")
        assert result.code == 1 and result.error["code"] == "invalid", result.stderr
    busy = receiver()
    taken = cli("otel", "serve", "--port", str(busy.port), "--json")
    assert taken.code == 1 and taken.error["code"] == "io"
    assert_not_a_bug(taken)


@pytest.mark.slow  # a receiver process
def test_reconcile_reports_each_session_by_request_id(cli, receiver, own, nerv_home):
    assert cli("session", "import", own).code == 0
    server = receiver()
    for name in ("logs-1.json", "logs-2.json"):
        assert server.post_json("/v1/logs", payload(name))[0] == 200
    server.stop()

    report = cli("cost", "--reconcile", "--json")
    assert report.code == 0, report.stderr
    data = report.data
    sessions = {s["session_id"]: s for s in data["sessions"]}
    a = sessions["sess-a"]
    assert (a["matched_calls"], a["telemetry_only_calls"], a["transcript_only_calls"]) == (3, 1, 2)
    assert a["telemetry_only"] == ["req_tel_only"]
    assert a["transcript_only"] == [None, "req_s1"]  # the line without a requestId, and the subagent's unseen call
    assert a["differing_calls"] == ["req_2"]
    assert a["token_differences"] == {"input_tokens": 0, "output_tokens": 2, "cache_read_tokens": 0,
                                      "cache_write_tokens": 0}
    assert a["nerv_cost_usd"] == pytest.approx(0.004642)
    assert a["claude_code_cost_usd"] == pytest.approx(0.001455 + 0.00234 + 0.000294 + 0.0001)
    assert a["matched_nerv_cost_usd"] == pytest.approx(0.001455 + 0.00231 + 0.000294)
    assert a["matched_claude_code_cost_usd"] == pytest.approx(0.001455 + 0.00234 + 0.000294)
    c = sessions["sess-c"]
    assert (c["matched_calls"], c["telemetry_only_calls"], c["nerv_cost_usd"]) == (0, 1, 0)
    assert data["totals"]["sessions"] == 2 and data["sessions_without_telemetry"] == 1  # sess-b
    assert data["totals"]["telemetry_only_calls"] == 2

    one_day = cli("cost", "--reconcile", "--since", "2026-11-22", "--json").data
    assert [s["session_id"] for s in one_day["sessions"]] == ["sess-c"]
    text = cli("cost", "--reconcile")
    assert text.code == 0 and "sess-a" in text.stdout and "output +2" in text.stdout
    # One number format (nerv/cli/_layout.py): US$ with a sign, 4 decimals under a cent, at 80 columns.
    assert "$0.0046 / $0.0044" in text.stdout and "$0.00 " in text.stdout and "0.004642" not in text.stdout, text.stdout
    assert max(len(line) for line in text.stdout.splitlines()) <= 80, text.stdout


@pytest.mark.parametrize("args,code", [(("--by", "day"), "usage"), (("--blocks",), "usage"),
                                       (("--cost-mode", "display"), "usage"), (("--since", "soon"), "invalid"),
                                       (("--since", "2026-02-01", "--until", "2026-01-01"), "invalid")])
def test_reconcile_bad_options_fail_cleanly(cli, args, code, db_hash):
    before = db_hash()
    result = cli("cost", "--reconcile", *args, "--json")
    assert result.code != 0 and result.error["code"] == code
    assert_not_a_bug(result)
    assert db_hash() == before


def test_reconcile_without_telemetry_says_how_to_get_it(cli, own):
    cli("session", "import", own)
    result = cli("cost", "--reconcile")
    assert result.code == 0 and "nerv otel serve" in result.stdout
    assert cli("cost", "--reconcile", "--json").data["sessions_without_telemetry"] == 2


def test_receiver_module_imports_only_the_standard_library():
    code = ("import sys; import nerv.services.otel_receiver, nerv.services.telemetry;"
            "print(sorted(m for m in ('typer', 'rich', 'peewee', 'numpy') if m in sys.modules))")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ},
                           timeout=60)
    assert found.stdout.strip() == "[]", found.stderr
