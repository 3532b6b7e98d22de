"""0007 on a database that already holds 0006-era rows: modes, end states, holdings and attribution carried over."""

from __future__ import annotations

from nerv.store import migrate
from nerv.store.sqlite import open_connection

NOW = "2026-11-20T10:00:00.000000Z"


def seed_0006(conn) -> None:
    rows = [
        "INSERT INTO projects (id, name, created_at, updated_at) VALUES ('p1', 'demo', '{now}', '{now}')",
        "INSERT INTO tasks (id, project_id, number, title, status, assignee, created_at, updated_at, started_at)"
        " VALUES ('t1', 'p1', 1, 'held', 'in_progress', 'ada', '{now}', '{now}', '2026-11-20T09:00:00.000000Z')",
        "INSERT INTO tasks (id, project_id, number, title, status, created_at, updated_at)"
        " VALUES ('t2', 'p1', 2, 'free', 'todo', '{now}', '{now}')",
        "INSERT INTO claude_sessions (id, project_id, task_id, status, ended_at, created_at, updated_at)"
        " VALUES ('s-ended', 'p1', 't1', 'ended', '2026-11-20T11:00:00.000000Z', '{now}', '{now}')",
        "INSERT INTO claude_sessions (id, project_id, status, created_at, updated_at)"
        " VALUES ('s-live', 'p1', 'active', '{now}', '{now}')",
        "INSERT INTO approval_requests (id, session_id, tool, tool_input, mode, status, created_at, tool_use_id)"
        " VALUES (1, 's-ended', 'Bash', '{{}}', 'ask', 'pending', '{now}', 'tu1')",
        "INSERT INTO approval_requests (id, session_id, tool, tool_input, mode, status, created_at)"
        " VALUES (2, 's-live', 'Bash', '{{}}', 'ask', 'pending', '{now}')",
        "INSERT INTO approval_requests (id, session_id, tool, tool_input, mode, status, created_at)"
        " VALUES (3, 's-live', 'Bash', '{{}}', 'queue', 'approved', '{now}')",
        "INSERT INTO approval_requests (id, session_id, tool, tool_input, mode, status, created_at)"
        " VALUES (9, 's-live', 'Bash', '{{}}', 'ask', 'denied', '{now}')",
        "DELETE FROM approval_requests WHERE id = 9",  # the high-water mark stays 9
        "INSERT INTO transcript_files (id, path, size, mtime_ns, offset, imported_at) VALUES"
        " (1, '/x/s-ended.jsonl', 1, 1, 1, '{now}'), (2, '/x/s-ended/subagents/agent-abc123.jsonl', 1, 1, 1, '{now}')",
        "INSERT INTO settings (project_id, key, value, updated_at) VALUES (NULL, 'hook.mode', '\"ask\"', '{now}'),"
        " ('p1', 'hook.mode', '\"queue\"', '{now}')",
        "INSERT INTO usage (session_id, project_id, message_id, request_id, ts, source_file_id) VALUES"
        " ('s-ended', 'p1', 'm1', 'r1', '{now}', 1), ('s-ended', 'p1', 'm2', 'r2', '{now}', 2)",
    ]
    with conn:
        for sql in rows:
            conn.execute(sql.format(now=NOW))


def test_0007_carries_0006_rows_over(tmp_path):
    plan = migrate.load_plan()
    assert plan[6].name == "0007_claude_integration"
    conn = open_connection(tmp_path / "db.sqlite")
    migrate.apply_pending(conn, plan[:6])
    seed_0006(conn)
    migrate.apply_pending(conn, plan)

    requests = conn.execute("SELECT id, mode, status, decided_by, hook_event FROM approval_requests ORDER BY id")
    assert requests.fetchall() == [(1, "strict", "abandoned", "session-end", "PreToolUse"),
                                   (2, "strict", "pending", None, "PreToolUse"), (3, "queue", "approved", None, "PreToolUse")]
    assert conn.execute("SELECT decided_at FROM approval_requests WHERE id = 1").fetchone() == (
        "2026-11-20T11:00:00.000000Z",)
    new_id = conn.execute("INSERT INTO approval_requests (tool, tool_input, created_at) VALUES ('Bash', '{}', 'x')"
                          ).lastrowid
    assert new_id == 10  # ids are never reused
    assert conn.execute("SELECT agent, task_id, started_at, ended_at FROM agent_task_spans").fetchall() == [
        ("ada", "t1", "2026-11-20T09:00:00.000000Z", None)]
    assert conn.execute("SELECT message_id, task_id, subagent_id FROM usage ORDER BY id").fetchall() == [
        ("m1", "t1", None), ("m2", "t1", "abc123")]
    assert conn.execute("SELECT session_id, agent_id, transcript_path, status FROM subagents").fetchall() == [
        ("s-ended", "abc123", "/x/s-ended/subagents/agent-abc123.jsonl", "ended")]
    modes = conn.execute("SELECT project_id, value FROM settings WHERE key = 'hook.mode' ORDER BY project_id")
    assert modes.fetchall() == [(None, '"strict"'), ("p1", '"queue"')]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
