"""Sessions tied to agents and tasks (NERV_AGENT in the hooks), and each API call's cost on the task the agent held
at the call's time stamp (agent_task_spans, written with each claim, release and status change)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import raw_connection

from tests.hooks.test_hook_events import query

SESSION = "5e551011-aaaa-4bbb-8ccc-000000000001"
SUBAGENT = "a6b1961754cea4783"
AGENT_ENV = {"NERV_AGENT": "agent-1"}


def event(name: str, cwd, **extra) -> str:
    return json.dumps({"session_id": SESSION, "transcript_path": f"/tmp/{SESSION}.jsonl", "cwd": str(cwd),
                       "hook_event_name": name, **extra})


@pytest.fixture
def repo(cli, project, tmp_path):
    folder = tmp_path / "repo"
    folder.mkdir()
    assert cli("repo", "add", str(folder), "--project", project).code == 0
    for title in ("Task A", "Task B", "Task C"):
        assert cli("task", "add", title).code == 0
    return folder.resolve()


def session_link(nerv_home) -> tuple:
    return query(nerv_home, "SELECT s.agent, t.number FROM claude_sessions s LEFT JOIN tasks t ON t.id = s.task_id")[0]


def test_session_start_links_the_agent_and_its_task_and_claims_move_it(cli, proc, repo, nerv_home):
    assert cli("task", "claim", "1", "--agent", "agent-1").code == 0
    start = proc("hook", "session-start", stdin=event("SessionStart", repo, source="startup"), env=AGENT_ENV)
    assert (start.code, start.stderr) == (0, "")
    assert session_link(nerv_home) == ("agent-1", 1)
    # A subagent's events carry agent_id/agent_type: the session stays the agent's.
    proc("hook", "subagent-start", stdin=event("SubagentStart", repo, agent_id=SUBAGENT, agent_type="Explore"),
         env=AGENT_ENV)
    proc("hook", "stop", stdin=event("Stop", repo, agent_id=SUBAGENT, agent_type="Explore"), env=AGENT_ENV)
    assert session_link(nerv_home) == ("agent-1", 1)
    assert cli("task", "done", "1", "--agent", "agent-1").code == 0
    assert session_link(nerv_home) == ("agent-1", None)
    assert cli("task", "claim", "2", "--agent", "agent-1").code == 0
    assert session_link(nerv_home) == ("agent-1", 2)
    assert cli("task", "release", "2", "--agent", "agent-1").code == 0
    assert session_link(nerv_home) == ("agent-1", None)
    assert cli("task", "claim", "--agent", "someone-else").code == 0  # another agent's claim moves nothing
    assert session_link(nerv_home) == ("agent-1", None)
    moves = query(nerv_home, "SELECT before, after FROM audit_log WHERE action = 'session.task_link' ORDER BY id")
    assert len(moves) == 3
    assert [json.loads(a)["agent"] for _, a in moves] == ["agent-1"] * 3


def test_session_start_without_nerv_agent_links_nothing(cli, proc, repo, nerv_home):
    cli("task", "claim", "1", "--agent", "agent-1")
    proc("hook", "session-start", stdin=event("SessionStart", repo, source="startup", agent_type="reviewer"))
    assert query(nerv_home, "SELECT agent, task_id, agent_type FROM claude_sessions") == [(None, None, "reviewer")]


def test_an_agent_holding_a_task_elsewhere_takes_the_task_s_project(cli, proc, repo, nerv_home, tmp_path):
    cli("task", "claim", "1", "--agent", "agent-1")
    proc("hook", "session-start", stdin=event("SessionStart", tmp_path, source="startup"), env=AGENT_ENV)
    linked = query(nerv_home, "SELECT p.name FROM claude_sessions s JOIN projects p ON p.id = s.project_id")
    assert linked == [("demo",)]


def spans(nerv_home) -> dict[int, tuple[datetime, datetime | None]]:
    rows = query(nerv_home, "SELECT t.number, sp.started_at, sp.ended_at FROM agent_task_spans sp"
                            " JOIN tasks t ON t.id = sp.task_id ORDER BY sp.id")
    return {number: (parse(start), parse(end) if end else None) for number, start, end in rows}


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def ms(moment: datetime) -> str:
    """Claude Code's transcript time stamp: milliseconds and `Z`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def call_line(message_id: str, moment: datetime, repo, *, agent_id: str | None = None) -> str:
    line = {"type": "assistant", "sessionId": SESSION, "cwd": str(repo), "timestamp": ms(moment),
            "isSidechain": agent_id is not None, "requestId": f"req_{message_id}",
            "message": {"id": message_id, "model": "claude-sonnet-4-5-20250929", "role": "assistant", "content": [],
                        # 100k: under the 200k prompt above which Sonnet 4.5 bills its long-context rate
                        "usage": {"input_tokens": 100_000, "output_tokens": 0}}}
    if agent_id:
        line["agentId"] = agent_id
    return json.dumps(line)


def pause() -> None:
    time.sleep(0.06)  # so every holding lasts long enough to put calls inside it


def test_one_session_on_three_tasks_splits_its_cost_three_ways(cli, proc, repo, nerv_home, tmp_path):
    proc("hook", "session-start", stdin=event("SessionStart", repo, source="startup"), env=AGENT_ENV)
    proc("hook", "subagent-start", stdin=event("SubagentStart", repo, agent_id=SUBAGENT, agent_type="general-purpose"),
         env=AGENT_ENV)
    pause()
    cli("task", "claim", "1", "--agent", "agent-1")
    pause()
    cli("task", "done", "1", "--agent", "agent-1")
    pause()
    cli("task", "claim", "2", "--agent", "agent-1")
    pause()
    cli("task", "release", "2", "--agent", "agent-1")
    cli("task", "claim", "3", "--agent", "agent-1")
    pause()
    held = spans(nerv_home)
    (a_start, a_end), (b_start, b_end), (c_start, c_end) = held[1], held[2], held[3]
    assert c_end is None and a_end <= b_start and b_end <= c_start

    def mid(start, end):
        return start + (end - start) / 2

    main = [call_line("m0", a_start - timedelta(milliseconds=30), repo),  # before any claim: no task
            call_line("m1", mid(a_start, a_end), repo),
            call_line("m2", mid(a_end, b_start), repo),  # between done A and claim B: no task
            call_line("m3", mid(b_start, b_end), repo),
            call_line("m4", c_start + timedelta(milliseconds=20), repo),
            call_line("m5", c_start + timedelta(milliseconds=30), repo)]
    folder = tmp_path / "transcripts"
    (folder / SESSION / "subagents").mkdir(parents=True)
    (folder / f"{SESSION}.jsonl").write_text("\n".join(main) + "\n")
    (folder / SESSION / "subagents" / f"agent-{SUBAGENT}.jsonl").write_text(
        call_line("s1", c_start + timedelta(milliseconds=25), repo, agent_id=SUBAGENT) + "\n")
    assert cli("session", "import", str(folder), "--json").data["new_usage_rows"] == 7

    report = proc("cost", "--by", "task", "--json")
    groups = {g["key"]: (g["api_calls"], round(g["cost_usd"], 6)) for g in json.loads(report.stdout)["data"]["groups"]}
    assert groups == {"(no task)": (2, 0.6), "demo #1 Task A": (1, 0.3), "demo #2 Task B": (1, 0.3),
                      "demo #3 Task C": (3, 0.9)}
    by_agent = json.loads(proc("cost", "--by", "agent", "--json").stdout)["data"]["groups"]
    assert [(g["key"], g["api_calls"]) for g in by_agent] == [("agent-1", 7)]
    by_subagent = json.loads(proc("cost", "--by", "subagent", "--json").stdout)["data"]["groups"]
    assert [(g["key"], g["api_calls"]) for g in by_subagent] == [("(main thread)", 6),
                                                                 (f"general-purpose {SUBAGENT}", 1)]
    shown = cli("session", "show", SESSION, "--json").data
    assert [(s["agent_id"], s["agent_type"], s["api_calls"], s["cost_usd"]) for s in shown["subagents"]] == [
        (SUBAGENT, "general-purpose", 1, 0.3)]
    # Importing again changes nothing; the per-task budget reads the same attribution.
    assert cli("session", "import", str(folder), "--json").data["new_usage_rows"] == 0
    assert json.loads(proc("cost", "--by", "task", "--json").stdout)["data"]["groups"] == \
        json.loads(report.stdout)["data"]["groups"]
    cli("budget", "set", "--per-task", "100")
    [state] = cli("budget", "status", "--json").data
    assert state["spent_usd"] == 0.9  # the costliest task: C


def test_a_session_without_an_agent_counts_for_its_own_task(cli, repo, nerv_home, tmp_path):
    assert cli("session", "start", "--id", SESSION, "--task", "2").code == 0
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / f"{SESSION}.jsonl").write_text(call_line("x1", datetime.now(timezone.utc), repo) + "\n")
    cli("session", "import", str(folder))
    groups = cli("cost", "--by", "task", "--json").data["groups"]
    assert [(g["key"], g["api_calls"]) for g in groups] == [("demo #2 Task B", 1)]
    assert cli("session", "assign", SESSION, "--task", "3").code == 0  # by hand, for the whole session
    groups = cli("cost", "--by", "task", "--json").data["groups"]
    assert [(g["key"], g["api_calls"]) for g in groups] == [("demo #3 Task C", 1)]


def test_lease_expiry_and_status_changes_end_a_holding(cli, repo, nerv_home):
    cli("task", "claim", "1", "--agent", "agent-1")
    cli("task", "review", "1")  # review: still held
    assert [(n, end) for n, (_, end) in spans(nerv_home).items()] == [(1, None)]
    cli("task", "block", "1", "--reason", "waiting")
    assert spans(nerv_home)[1][1] is not None
    cli("task", "start", "2", "--agent", "agent-2")
    assert spans(nerv_home)[2][1] is None
    conn_sql = "UPDATE tasks SET lease_expires_at = '2000-01-01T00:00:00.000000Z' WHERE number = 3"
    cli("task", "claim", "3", "--agent", "agent-3", "--lease", "10s")
    
    conn = raw_connection(nerv_home)
    with conn:
        conn.execute(conn_sql)
    conn.close()
    cli("task", "claim", "3", "--agent", "agent-4")  # the expired lease is released, then claimed again
    rows = query(nerv_home, "SELECT sp.agent, sp.ended_at IS NULL FROM agent_task_spans sp JOIN tasks t"
                            " ON t.id = sp.task_id WHERE t.number = 3 ORDER BY sp.id")
    assert rows == [("agent-3", 0), ("agent-4", 1)]
