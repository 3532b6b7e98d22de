"""`nerv report --html`: the real CLI on real ledgers. The page is deterministic, self-contained and small."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from html import escape

import pytest

from tests.conftest import raw_connection
from tests.report.conftest import TITLE_WITH_URL, report_now

SEEDED_CHARTS = {"cost-by-model", "cost-by-agent", "velocity", "burndown-1", "time-in-status", "approvals-by-tool"}
SIZE_LIMIT = 1_000_000


def write(cli, path, *options) -> dict:
    result = cli("report", "--html", "-o", str(path), "--json", *options)
    assert result.code == 0, result.stderr
    return result.data


def test_the_same_data_and_now_give_a_byte_identical_page(cli, seeded, tmp_path):
    now = report_now()
    first = write(cli, tmp_path / "a.html", "--now", now)
    second = write(cli, tmp_path / "b.html", "--now", now)
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()
    assert set(first["charts"]) == SEEDED_CHARTS and first == {**second, "output": first["output"]}
    assert first["now"] == now and first["project"] == "demo"


def test_a_different_now_changes_the_page(cli, seeded, tmp_path):
    write(cli, tmp_path / "a.html", "--now", report_now())
    later = (datetime.now(timezone.utc) + timedelta(days=3)).date().isoformat()
    write(cli, tmp_path / "b.html", "--now", later)
    assert (tmp_path / "a.html").read_bytes() != (tmp_path / "b.html").read_bytes()


def test_the_page_holds_every_section_and_escapes_user_text(cli, seeded, tmp_path):
    write(cli, tmp_path / "r.html", "--now", report_now())
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    for heading in ("Cost over time", "Cycles: velocity and burn-down", "Board", "Time in each status",
                    "Approval log", "Top sessions by cost"):
        assert f"<h2>{heading}</h2>" in html
    assert "Board &lt;columns&gt; &amp; cards" in html and "<columns>" not in html
    assert "session-3" in html and "carol" in html and "(no agent)" in html
    assert "Total cost $12.90 over 20 API calls" in html  # 5 calls a session of 1.25 x (n + 1) + 0.10 US$
    for model in ("claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5"):
        assert model in html


def test_no_external_reference_and_no_script(cli, seeded, tmp_path):
    write(cli, tmp_path / "r.html", "--now", report_now())
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert escape(TITLE_WITH_URL) in html
    outside_user_text = html.replace(escape(TITLE_WITH_URL), "")
    assert "http://" not in outside_user_text and "https://" not in outside_user_text
    assert not re.search(r"<script|<link|<img|<iframe|\bsrc=|\bhref=|url\(|@import", html, re.IGNORECASE)


def test_the_output_is_replaced_atomically_with_a_private_mode(cli, seeded, tmp_path):
    target = tmp_path / "r.html"
    target.write_text("old")
    write(cli, target, "--now", report_now())
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_time_in_status_and_burn_down_follow_the_history(cli, seeded, tmp_path):
    from nerv.services.report import build
    from nerv.store.db import open_store
    from nerv.store.orm import bind

    store = open_store()  # the test's database, on either backend
    bind(store)
    try:
        data = build(store, now=report_now())
    finally:
        store.close()
    rows = {r["status"]: r for r in data["time_in_status"]}
    # Tasks 1-6 were all todo once; 1-4 were in progress; 1 and 3 in review; 5 is blocked.
    assert {s: rows[s]["tasks"] for s in rows} == {"todo": 6, "in_progress": 4, "review": 2, "blocked": 1}
    # Still open until --now (tomorrow 00:00): task 4 in progress, 3 in review, 5 blocked: hours, not seconds.
    assert rows["blocked"]["hours"] > 0 and rows["in_progress"]["hours"] >= rows["blocked"]["hours"] * 0.99
    cycle = data["cycles"][0]
    assert (cycle["scope"], cycle["done"]) == (5, 2)  # the cancelled task is out of scope
    assert cycle["burndown"]["remaining"][-1] == 3.0 and cycle["burndown"]["ideal"][0] == 5.0
    board = {c["status"]: c["count"] for c in data["board"]}
    assert board == {"todo": 0, "in_progress": 1, "review": 1, "blocked": 1, "done": 2, "cancelled": 1}
    approvals = dict(data["approvals"]["by_status"])
    assert approvals == {"approved": 4, "denied": 2, "abandoned": 1}


def test_since_and_until_narrow_the_costs(cli, seeded, tmp_path):
    today = datetime.now(timezone.utc).date()
    data = write(cli, tmp_path / "r.html", "--now", report_now(), "--since", (today - timedelta(days=1)).isoformat())
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "session-3" in html and "session-0" not in html and "Total cost $8.95 " in html  # sessions 2 and 3
    assert data["since"].startswith((today - timedelta(days=1)).isoformat())
    relative = write(cli, tmp_path / "s.html", "--now", report_now(), "--since", "2d", "--until", "1d")
    assert relative["since"] < relative["end"] == f"{today.isoformat()}T00:00:00.000000Z"


def test_without_a_project_the_whole_ledger_without_cycles_and_board(cli, seeded, tmp_path):
    from nerv.store.lookups import CURRENT_PROJECT_KEY

    conn = raw_connection(seeded)
    conn.execute("DELETE FROM settings WHERE key = ?", (CURRENT_PROJECT_KEY,))
    conn.close()
    data = write(cli, tmp_path / "r.html", "--now", report_now())
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert data["project"] is None and "all projects" in html and "No project selected" in html
    assert "velocity" not in data["charts"] and "cost-by-model" in data["charts"]


def test_an_empty_ledger_gives_a_page_that_says_so(cli, project, tmp_path):
    data = write(cli, tmp_path / "r.html", "--now", "2030-01-01")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert data["charts"] == [] and "no usage in range" in html and html.endswith("</html>\n")


@pytest.mark.slow  # builds a ledger of 3,000 tasks
def test_a_busy_ledger_stays_under_a_megabyte(cli, project, nerv_home, tmp_path):
    """More models, agents, cycles, tasks and days than the page draws one by one: the caps keep it small."""
    conn = raw_connection(nerv_home)
    project_id = conn.execute("SELECT id FROM projects WHERE name = 'demo'").fetchone()[0]
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    conn.execute("BEGIN")
    for cycle in range(1, 41):
        begun = (start + timedelta(days=9 * cycle)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        closed = (start + timedelta(days=9 * cycle + 9)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        conn.execute("INSERT INTO cycles (id, project_id, number, goal, status, started_at, closed_at) VALUES"
                     " (?, ?, ?, ?, 'closed', ?, ?)", (f"c{cycle}", project_id, cycle, "g" * 200, begun, closed))
    conn.executemany("INSERT INTO tasks (id, project_id, number, cycle_id, title, status, created_at, updated_at,"
                     " completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     [(f"t{n}", project_id, n, f"c{n % 40 + 1}", "t" * 500, ("todo", "done")[n % 2], "2026-01-02",
                       "2026-01-02", "2026-03-01T00:00:00.000000Z") for n in range(1, 3001)])
    conn.executemany("INSERT INTO claude_sessions (id, project_id, agent, status, created_at, updated_at)"
                     " VALUES (?, ?, ?, 'ended', '2026-01-01', '2026-01-01')",
                     [(f"s{n}", project_id, f"agent-{n % 30}-" + "a" * 150) for n in range(300)])
    conn.executemany("INSERT INTO usage (session_id, project_id, message_id, request_id, model, ts, cost_usd)"
                     " VALUES (?, ?, ?, '', ?, ?, ?)",
                     [(f"s{n % 300}", project_id, f"m{n}", f"model-{n % 25}-" + "m" * 150,
                       (start + timedelta(hours=7 * n)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), 0.001 * (n % 97))
                      for n in range(60_000)])
    conn.execute("COMMIT")
    conn.close()
    data = write(cli, tmp_path / "r.html", "--now", "2099-01-01")
    assert data["bytes"] <= SIZE_LIMIT and (tmp_path / "r.html").stat().st_size == data["bytes"]
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "(other)" in html and "and 1,475 more" in html and len(re.findall('id="burndown-', html)) == 6


@pytest.mark.parametrize("args, code", [
    (["report", "-o", "r.html"], "usage"),
    (["report", "--html"], "usage"),
    (["report", "--html", "-o", "missing/r.html"], "io"),
    (["report", "--html", "-o", "."], "io"),
    (["report", "--html", "-o", "r.html", "--now", "yesterday-ish"], "invalid"),
    (["report", "--html", "-o", "r.html", "--since", "2026-02-01", "--until", "2026-01-01"], "invalid"),
    (["report", "--html", "-o", "r.html", "--now", "2026-01-01", "--since", "2026-06-01"], "invalid"),
    (["report", "--html", "-o", "r.html", "--project", "nope"], "not_found"),
])
def test_bad_input_is_refused_clearly_and_changes_nothing(cli, seeded, db_hash, args, code):
    before = db_hash()
    result = cli("--json", *args)
    assert result.code in (1, 2) and result.error["code"] == code != "internal", result.stderr
    assert db_hash() == before
    assert not (seeded.parent / "cwd" / "r.html").exists()
