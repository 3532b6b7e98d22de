"""usage_daily (0013) equals the raw aggregate of usage after any sequence of imports, re-imports, session
reassignments, re-pricing and prunes; reports read from it give what the raw GROUP BY gives."""

from __future__ import annotations

import json
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import ON_POSTGRESQL, examples, raw_connection, run_cli

KEYS = ("substr(ts, 1, 10)", "session_id", "coalesce(project_id, '')", "coalesce(model, '')",
        "coalesce(task_id, '')", "coalesce(subagent_id, '')")
RAW = (f"SELECT {', '.join(KEYS)}, COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cache_write_5m_tokens),"
       " SUM(cache_write_1h_tokens), SUM(cache_read_tokens), SUM(CAST(round(cost_usd * 1e9) AS INTEGER)),"
       " SUM(1 - cost_known) FROM usage GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6")
ROLLUP = "SELECT * FROM usage_daily ORDER BY 1, 2, 3, 4, 5, 6"
MODELS = ("claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001", "gpt-mystery")
SESSIONS = ("s-one", "s-two", "s-three")


def assistant_line(session: str, repo: Path, message_id: str, ts: str, model: str, output: int,
                   agent: str | None) -> str:
    line = {"type": "assistant", "sessionId": session, "cwd": str(repo), "timestamp": ts, "requestId": f"r-{message_id}",
            "uuid": f"u-{message_id}-{output}", "isSidechain": agent is not None,
            "message": {"id": message_id, "model": model, "role": "assistant", "content": [],
                        "usage": {"input_tokens": 7 + output % 13, "output_tokens": output,
                                  "cache_creation_input_tokens": 100, "cache_read_input_tokens": 1000 + output,
                                  "cache_creation": {"ephemeral_5m_input_tokens": 60,
                                                     "ephemeral_1h_input_tokens": 40}}}}
    if agent:
        line["agentId"] = agent
    return json.dumps(line)


def assert_rollup_exact(db: Path) -> None:
    conn = raw_connection(db.parent)
    try:
        assert conn.execute(ROLLUP).fetchall() == conn.execute(RAW).fetchall()
        nano, real = conn.execute("SELECT (SELECT COALESCE(SUM(cost_nano), 0) FROM usage_daily),"
                                  " (SELECT COALESCE(SUM(cost_usd), 0) FROM usage)").fetchone()
        assert nano / 1e9 == pytest.approx(real, abs=1e-6)
    finally:
        conn.close()


def ok(*args) -> dict:
    result = run_cli(*args, "--json")
    assert result.code == 0, (args, result.stderr)
    return result.data


# Few distinct keys, so most rollup rows sum several calls and a wrong delta cannot hide in a row that
# disappears with its last call.
# A call's session and time follow from its message id (a re-imported call is the same call, mostly in
# the same session); `moved` copies it into another session, as a resumed session's file does.
call = st.tuples(st.integers(0, 30), st.integers(0, 4).map(lambda n: n == 0), st.integers(1, 500),
                 st.integers(0, 4).map(lambda n: n == 0))
operation = st.one_of(
    st.tuples(st.just("import"), st.lists(call, min_size=1, max_size=15)),
    st.tuples(st.just("truncate"), st.integers(0, 20)),
    st.tuples(st.just("assign"), st.sampled_from(SESSIONS), st.sampled_from(("alpha", "beta", "task"))),
    st.tuples(st.just("reprice"), st.sampled_from(MODELS), st.integers(1, 30)),
    st.tuples(st.just("prune"), st.integers(0, 3), st.integers(0, 23)),
)


@pytest.mark.slow  # property test: 20 sequences of imports, prunes and moves
@settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operation, min_size=1, max_size=7))
# A better copy of one call in a rollup row of several, then a cut inside a day and a move to a task.
@example([("import", [(1, 0, 10, False), (13, 0, 10, False), (19, 0, 5, True)]), ("import", [(1, 0, 50, False)]),
          ("prune", 2, 14), ("assign", "s-two", "task")])
def test_the_rollup_equals_the_raw_aggregate_after_any_sequence_of_writes(request, monkeypatch, operations):
    with tempfile.TemporaryDirectory() as scratch, example_database(request, monkeypatch):
        root = Path(scratch)
        monkeypatch.setenv("NERV_HOME", str(root / "home"))
        repos = {name: root / name for name in ("alpha", "beta")}
        for name, path in repos.items():
            path.mkdir()
            ok("project", "add", name, "--path", path)
        task = ok("task", "add", "Rolled up", "--project", "alpha")
        transcripts = root / "transcripts"
        transcripts.mkdir()
        files: list[Path] = []
        for index, op in enumerate(operations):
            apply(op, index, root, repos, task, transcripts, files)
            assert_rollup_exact(root / "home" / "state.db")


@contextmanager
def example_database(request, monkeypatch):
    """On PostgreSQL, an empty database for one example (on SQLite each example's new NERV_HOME holds its own)."""
    if not ON_POSTGRESQL:
        yield
        return
    from nerv.cli import _ctx

    server = request.getfixturevalue("pg_server")
    name = server.create_database()
    monkeypatch.setenv("NERV_DATABASE_URL", server.url(name))
    try:
        yield
    finally:
        _ctx.close()
        server.drop_database(name)


def apply(op, index, root, repos, task, transcripts, files) -> None:
    kind = op[0]
    if kind == "import":
        lines = []
        for message, moved, output, sub in op[1]:
            model = MODELS[3] if message % 7 == 0 else MODELS[0]
            session = SESSIONS[(message + moved) % len(SESSIONS)]
            ts = f"2026-03-{10 + message % 2:02d}T{(message * 7) % 24:02d}:{message:02d}:00.000Z"
            repo = repos["beta" if message % 5 == 0 else "alpha"]
            lines.append(assistant_line(session, repo, f"m{message}", ts, model, output, "ag1" if sub else None))
        path = transcripts / f"file-{index}.jsonl"
        path.write_text("\n".join(lines) + "\n")
        files.append(path)
        ok("session", "import", transcripts)
    elif kind == "truncate" and files:
        path = files[op[1] % len(files)]
        kept = path.read_text().splitlines()[:-1]
        path.write_text("".join(line + "\n" for line in kept))
        ok("session", "import", transcripts)
    elif kind == "assign":
        target = ("--task", str(task["number"]), "--project", "alpha") if op[2] == "task" else ("--project", op[2])
        result = run_cli("session", "assign", op[1], *target, "--json")
        assert result.code == 0 or result.error["code"] == "not_found", result.stderr
    elif kind == "reprice":
        ok("pricing", "set", op[1], "--input", op[2], "--output", op[2] * 5)
        ok("cost", "--recompute")
    elif kind == "prune":
        # A cut inside a day leaves rollup rows that lost some of their calls.
        ok("prune", "--what", "usage", "--older-than", f"2026-03-{9 + op[1]:02d}T{op[2]:02d}:00:00Z", "--yes")


def raw_report(db: Path, by: str, since: str | None, until: str | None) -> dict:
    from nerv.store.queries_costs import group_key, joins_for

    clauses, params = [], []
    if since:
        clauses.append("ts >= ?")
        params.append(since)
    if until:
        clauses.append("ts < ?")
        params.append(until)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    conn = raw_connection(db.parent)
    try:
        raw = f"(SELECT * FROM usage{where}) u"
        return {k: (calls, tokens, pytest.approx(cost, abs=1e-6)) for k, calls, tokens, cost in conn.execute(
            f"SELECT {group_key(conn, by)} AS k, COUNT(*), SUM(u.output_tokens), SUM(u.cost_usd) FROM {raw}{joins_for(by)}"
            " GROUP BY k", params)}
    finally:
        conn.close()


@pytest.mark.parametrize("since, until", [
    (None, None),
    ("2026-03-10", "2026-03-12"),
    ("2026-03-10T05:30:00Z", "2026-03-12T07:00:00Z"),
    ("2026-03-11T01:00:00Z", "2026-03-11T20:00:00Z"),
    ("2026-03-10T23:00:00Z", None),
])
@pytest.mark.parametrize("by", ["day", "week", "project", "model", "session", "task", "agent", "subagent"])
def test_reports_from_the_rollup_equal_the_raw_group_by(nerv_home, tmp_path, by, since, until):
    repo = tmp_path / "repo"
    repo.mkdir()
    ok("project", "add", "alpha", "--path", repo)
    lines = [assistant_line(SESSIONS[i % 3], repo, f"m{i}", f"2026-03-{10 + i % 3}T{i % 24:02d}:{i % 60:02d}:00Z",
                            MODELS[i % 4], 10 + i, "ag" if i % 5 == 0 else None) for i in range(90)]
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n")
    ok("session", "import", tmp_path / "t.jsonl")
    args = ["cost", "--by", by] + (["--since", since] if since else []) + (["--until", until] if until else [])
    report = ok(*args)
    from nerv.services.periods import parse_when

    expected = raw_report(nerv_home / "state.db", by, parse_when(since), parse_when(until))
    got = {g["key"]: (g["api_calls"], g["output_tokens"], g["cost_usd"]) for g in report["groups"]}
    assert got == expected
    assert report["totals"]["api_calls"] == sum(v[0] for v in expected.values())


def test_deleting_sessions_removes_their_calls_from_the_rollup(nerv_home, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    ok("project", "add", "alpha", "--path", repo)
    # Two sessions deleted by one statement (the cascade deletes usage once per session) and one that stays,
    # sharing its rollup rows' day and model.
    lines = [assistant_line(session, repo, f"m{session}{i}", f"2026-03-10T0{i}:00:00Z", MODELS[0], 10 + i, None)
             for session in ("s-gone", "s-also-gone", "s-kept") for i in range(5)]
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n")
    ok("session", "import", tmp_path / "t.jsonl")
    conn = raw_connection(nerv_home)
    try:
        if not ON_POSTGRESQL:
            conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("BEGIN")
        conn.execute("DELETE FROM claude_sessions WHERE id IN ('s-gone', 's-also-gone')")  # ON DELETE CASCADE to usage
        conn.execute("COMMIT")
        assert conn.execute("SELECT COUNT(*) FROM usage").fetchone()[0] == 5
    finally:
        conn.close()
    assert_rollup_exact(nerv_home / "state.db")


def test_spend_today_and_month_come_from_the_rollup(nerv_home, tmp_path):
    from datetime import datetime, timezone

    from nerv.services.costs import spend_today_and_month
    from nerv.store.db import open_store

    repo = tmp_path / "repo"
    repo.mkdir()
    ok("project", "add", "alpha", "--path", repo)
    now = datetime.now(timezone.utc)
    stamps = [now.strftime("%Y-%m-%dT00:00:01.000Z"), now.strftime("%Y-%m-01T00:00:00.000Z"), "2020-01-01T00:00:00Z"]
    lines = [assistant_line("s-one", repo, f"m{i}", ts, MODELS[0], 100 * (i + 1), None) for i, ts in enumerate(stamps)]
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n")
    ok("session", "import", tmp_path / "t.jsonl")
    expected = {name: ok("cost", "--since", since)["totals"]["cost_usd"]
                for name, since in (("today_usd", now.strftime("%Y-%m-%d")), ("month_usd", now.strftime("%Y-%m-01")))}
    store = open_store()
    try:
        got = spend_today_and_month(store)
    finally:
        store.close()
    assert got == {k: pytest.approx(v, abs=1e-6) for k, v in expected.items()} and got["month_usd"] > 0


def test_a_long_report_prints_aligned_plain_columns(nerv_home, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    ok("project", "add", "alpha", "--path", repo)
    lines = [assistant_line("s-one", repo, f"m{i}", f"2026-{1 + i // 28:02d}-{1 + i % 28:02d}T10:00:00Z", MODELS[0],
                            10, None) for i in range(120)]
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n")
    ok("session", "import", tmp_path / "t.jsonl")
    result = run_cli("cost", "--by", "day")
    assert result.code == 0, result.stderr
    printed = result.stdout.splitlines()
    assert printed[0].split() == ["day", "calls", "input", "output", "cache", "write", "cache", "read", "US$"]
    days = [line for line in printed if line[:4] == "2026"]
    assert len(days) == 120 and len({line.index(" 1 ") for line in days}) == 1  # one column for the calls
