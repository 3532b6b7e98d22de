"""0017 on a ledger that imported one transcript at two paths: the line without message.id that was stored
twice (keyed by file and offset then) is stored once, and its session's totals are summed again."""

from __future__ import annotations

from nerv.store import migrate
from nerv.store.sqlite import open_connection

NOW = "2026-11-20T10:00:00.000000Z"


def test_0017_keeps_one_copy_of_each_unkeyed_call_and_fixes_the_totals(tmp_path):
    plan = migrate.load_plan()
    step = next(index for index, m in enumerate(plan) if m.name == "0017_machine_identity")
    conn = open_connection(tmp_path / "db.sqlite")
    migrate.apply_pending(conn, plan[:step])
    with conn:
        conn.execute("INSERT INTO claude_sessions (id, status, input_tokens, output_tokens, cost_usd, created_at,"
                     " updated_at) VALUES ('s1', 'ended', 111, 22, 0.3, ?, ?)", (NOW, NOW))
        conn.execute("INSERT INTO transcript_files (id, path, size, mtime_ns, offset, imported_at) VALUES"
                     " (1, '/laptop/s1.jsonl', 1, 1, 1, ?), (2, '/copy/s1.jsonl', 1, 1, 1, ?)", (NOW, NOW))
        usage = ("INSERT INTO usage (session_id, message_id, request_id, ts, input_tokens, output_tokens, cost_usd,"
                 " source_file_id, line_offset) VALUES ('s1', ?, ?, ?, ?, ?, ?, ?, ?)")
        conn.executemany(usage, [(None, None, NOW, 50, 10, 0.1, 1, 0), (None, None, NOW, 50, 10, 0.1, 2, 0),
                                 ("m1", "r1", NOW, 11, 2, 0.1, 1, 99)])
    migrate.apply_pending(conn, plan)
    assert conn.execute("SELECT source_file_id, message_id FROM usage ORDER BY id").fetchall() == [
        (1, None), (1, "m1")]
    totals = conn.execute("SELECT input_tokens, output_tokens, round(cost_usd, 6) FROM claude_sessions").fetchone()
    assert totals == (61, 12, 0.2)
    conn.execute("INSERT INTO usage (session_id, ts, input_tokens, source_file_id, line_offset)"
                 " VALUES ('s1', ?, 7, 2, 5)", (NOW,))  # another call of the same file still goes in
    conn.close()
