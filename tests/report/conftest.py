"""A seeded ledger for the report tests: tasks moved through their statuses by the real CLI (so their history is
the audit log nerv writes), one cycle, and usage, sessions and approval requests over several days, models and
agents written as rows (the importer and the hooks that write them have their own tests)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import from_template, raw_connection

TITLE_WITH_URL = "Read https://example.com/x?a=1&b=<2> and http://plain.test first"


def report_now() -> str:
    """A fixed moment after the seed: tomorrow at midnight UTC (seeded rows are stamped with today's clock)."""
    tomorrow = datetime.now(timezone.utc).date() + timedelta(days=1)
    return f"{tomorrow.isoformat()}T00:00:00.000000Z"


def _ok(result):
    assert result.code == 0, result.stderr
    return result


@pytest.fixture
def seeded(cli, project, nerv_home):
    """The `demo` project with 6 tasks in every status, cycle 1, 4 days of usage and 6 approval requests (built
    once per session, copied per test)."""
    from_template("report-seeded", nerv_home, lambda: _seed(cli, nerv_home))
    return nerv_home


def _seed(cli, nerv_home) -> None:
    _ok(cli("cycle", "start", "ship the report"))
    for title in ("Chart costs", "Draw burn-down", "Board <columns> & cards", TITLE_WITH_URL, "Approvals table",
                  "Abandoned idea"):
        _ok(cli("task", "add", title, "--cycle", "1"))
    for ref, verbs in {"1": ["start", "review", "done"], "2": ["start", "done"], "3": ["start", "review"],
                       "4": ["start"], "5": ["block"], "6": ["cancel"]}.items():
        for verb in verbs:
            _ok(cli("task", verb, ref, *(["--agent", "alice"] if verb in ("start", "review", "done") else [])))
    conn = raw_connection(nerv_home)
    try:
        _seed_usage(conn)
    finally:
        conn.close()


def _seed_usage(conn) -> None:
    project_id = conn.execute("SELECT id FROM projects WHERE name = 'demo'").fetchone()[0]
    task_id = conn.execute("SELECT id FROM tasks WHERE number = 1").fetchone()[0]
    today = datetime.now(timezone.utc).replace(hour=9, minute=0, second=0, microsecond=0)
    conn.execute("BEGIN")
    models = ("claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5")
    for index, agent in enumerate(("alice", "bob", None, "carol")):
        start = today - timedelta(days=3 - index)
        ts = start.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        sid = f"session-{index}"
        conn.execute("INSERT INTO claude_sessions (id, project_id, task_id, agent, model, status, started_at,"
                     " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'ended', ?, ?, ?)",
                     (sid, project_id, task_id if index == 0 else None, agent, models[index % 3], ts, ts, ts))
        for call in range(5):
            when = (start + timedelta(minutes=call)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            conn.execute("INSERT INTO usage (session_id, project_id, message_id, request_id, model, ts, input_tokens,"
                         " output_tokens, cost_usd) VALUES (?, ?, ?, '', ?, ?, 100, 200, ?)",
                         (sid, project_id, f"m-{index}-{call}", models[(index + call) % 3], when,
                          0.25 * (index + 1) + 0.01 * call))
        for number, status in enumerate(("approved", "denied", "abandoned")[: 1 + index % 3]):
            decided = (start + timedelta(seconds=30 * (number + 1))).strftime("%Y-%m-%dT%H:%M:%S.%fZ") \
                if status in ("approved", "denied") else None
            conn.execute("INSERT INTO approval_requests (project_id, session_id, tool, tool_input, status,"
                         " decided_by, decided_at, created_at) VALUES (?, ?, ?, '{}', ?, ?, ?, ?)",
                         (project_id, sid, ("Bash", "Edit", "WebFetch")[number], status,
                          "tester" if decided else None, decided, ts))
    conn.execute("COMMIT")
