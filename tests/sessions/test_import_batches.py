"""The import's streaming (files read apart and reduced per file, rows written a batch of files per transaction)
gives exactly what one pass over every line in one transaction gives."""

from __future__ import annotations

import json
import random
import sqlite3
from contextlib import closing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nerv.store import ingest
from nerv.transcripts import ApiCall
from tests.conftest import ON_POSTGRESQL, raw_connection, use_new_database

COPY = st.tuples(st.sampled_from(["m1", "m2", "m3"]), st.sampled_from(["r1", "r2"]), st.integers(0, 1),
                 st.integers(0, 4))


def _call(index: int, message: str, request: str, sidechain: int, total: int) -> ApiCall:
    return ApiCall("s", message, request, "claude-sonnet-4-5", "2026-10-01T10:00:00.000Z", None, sidechain,
                   total, 0, 0, 0, 0, None, index)


def _kept(calls: list[ApiCall]) -> list[int]:
    best, requests_of = {}, {}
    for call in calls:
        row = (call.session_id, None, call.message_id, call.request_id, call.line_offset)
        ingest._keep_best(best, requests_of, row, call.total_tokens, call.is_sidechain)
    return [held[0][4] for held in best.values()]


@given(st.lists(st.lists(COPY, max_size=8), max_size=5))
def test_collapsing_each_file_first_keeps_the_same_copies_in_the_same_order(files):
    numbered, index = [], 0
    for copies in files:
        numbered.append([_call(index + i, *copy) for i, copy in enumerate(copies)])
        index += len(copies)
    one_by_one = _kept([call for calls in numbered for call in calls])
    file_by_file = _kept([call for calls in numbered for call in ingest._collapse_streamed(calls)])
    assert file_by_file == one_by_one


def _line(session, message, request, output, sidechain=False, cwd="/elsewhere", minute=0):
    usage = {"input_tokens": 3, "output_tokens": output, "cache_read_input_tokens": 100,
             "cache_creation_input_tokens": 10}
    return json.dumps({"type": "assistant", "sessionId": session, "cwd": cwd, "isSidechain": sidechain,
                       "timestamp": f"2026-10-01T10:{minute:02d}:00.000Z", "requestId": request,
                       "message": {"id": message, "model": "claude-sonnet-4-5", "usage": usage}})


def _corpus(root, seed: int = 3) -> None:
    """Sessions whose calls are streamed in several lines, copied into resumed sessions' files and replayed
    in side-question files with a new request id (the copies that cross files, and so batches)."""
    rng = random.Random(seed)
    messages = []
    for file_no in range(12):
        session = f"sess-{file_no // 2}"
        folder = root / "proj"
        folder.mkdir(parents=True, exist_ok=True)
        lines = []
        for minute in range(15):
            if messages and rng.random() < 0.3:  # a copy of an earlier call: resumed, or a sidechain replay
                old_session, message, request = rng.choice(messages)
                sidechain = rng.random() < 0.5
                lines.append(_line(old_session, message, "req-new" if sidechain else request, rng.randint(1, 50),
                                   sidechain, minute=minute))
                continue
            message, request = f"msg-{file_no}-{minute}", f"req-{file_no}-{minute}"
            messages.append((session, message, request))
            for _ in range(rng.randint(1, 3)):
                lines.append(_line(session, message, request, rng.randint(1, 50), minute=minute))
        (folder / f"{session}-{file_no}.jsonl").write_text("\n".join(lines) + "\n")


def _state(db) -> tuple:
    with closing(raw_connection(db.parent)) as conn:
        usage = sorted(conn.execute("SELECT session_id, project_id, message_id, request_id, model, ts, is_sidechain,"
                                    " input_tokens, output_tokens, cache_read_tokens, cost_usd, line_offset,"
                                    " (SELECT path FROM transcript_files f WHERE f.id = source_file_id) FROM usage"))
        # Session costs are SUMs over rows whose ids (so summing order) differ by batch: equal to 1e-12.
        sessions = sorted((session, tokens_in, tokens_out, round(cost, 12), *rest) for session, tokens_in, tokens_out,
                          cost, *rest in conn.execute("SELECT id, input_tokens, output_tokens, cost_usd, started_at,"
                                                      " last_activity_at, transcript_path FROM claude_sessions"))
        files = sorted(conn.execute('SELECT path, size, "offset", lines, skipped FROM transcript_files'))
    return usage, sessions, files


def test_one_file_per_transaction_gives_what_one_transaction_gives(tmp_path, monkeypatch, request):
    from nerv.store.db import open_store
    from tests.sessions.test_usage_rollup import assert_rollup_exact

    _corpus(tmp_path / "corpus")
    states = []
    # One transaction, one per file, and one whose files' states are upserted 5 to a statement.
    for batch_rows, files_per_statement in ((10**9, 500), (1, 500), (10**9, 5)):
        home = tmp_path / f"home-{batch_rows}-{files_per_statement}"
        use_new_database(request, monkeypatch, home)
        monkeypatch.setattr(ingest, "BATCH_ROWS", batch_rows)
        monkeypatch.setattr(ingest, "FILE_STATES_PER_STATEMENT", files_per_statement)
        store = open_store()
        try:
            result = ingest.import_paths(store._conn, [str(tmp_path / "corpus")], fast=True)
        finally:
            store.close()
        assert result["files_read"] == 12
        assert_rollup_exact(home / "state.db")
        states.append(_state(home / "state.db"))
    assert states[0] == states[1] == states[2]


def _usage_indexes(db) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage'"))


def _import_into(home, corpus, monkeypatch) -> dict:
    from nerv.store.db import open_store

    monkeypatch.setenv("NERV_HOME", str(home))
    store = open_store()
    try:
        return ingest.import_paths(store._conn, [str(corpus)], fast=True)
    finally:
        store.close()


@pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite-only: a first import drops usage's indexes and builds them at the end"
                    " on SQLite alone (nerv.store.ingest._indexes_deferred)")
def test_a_first_import_building_its_indexes_at_the_end_gives_the_same_rows_and_indexes(tmp_path, monkeypatch):
    from tests.sessions.test_usage_rollup import assert_rollup_exact

    _corpus(tmp_path / "corpus")
    monkeypatch.setattr(ingest, "BATCH_ROWS", 1)
    dropped = []
    real_write = ingest.tx.write

    def watching_write(conn, body, **kwargs):
        result = real_write(conn, body, **kwargs)
        present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        dropped.append(not set(ingest.DEFERRED_INDEXES) & present)
        return result

    _import_into(tmp_path / "plain", tmp_path / "corpus", monkeypatch)
    monkeypatch.setattr(ingest, "DEFERRED_INDEXES_MIN_BYTES", 0)
    monkeypatch.setattr(ingest.tx, "write", watching_write)
    result = _import_into(tmp_path / "deferred", tmp_path / "corpus", monkeypatch)
    assert result["files_read"] == 12
    assert any(dropped), "the batches ran without the deferred indexes"
    assert_rollup_exact(tmp_path / "deferred" / "state.db")
    assert _state(tmp_path / "deferred" / "state.db") == _state(tmp_path / "plain" / "state.db")
    assert _usage_indexes(tmp_path / "deferred" / "state.db") == _usage_indexes(tmp_path / "plain" / "state.db")


@pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite-only: the indexes a first import drops (sqlite_master), dropped"
                    " on SQLite alone")
def test_an_index_left_dropped_by_a_killed_import_is_built_by_the_next_one(tmp_path, monkeypatch):
    (tmp_path / "corpus").mkdir()
    home = tmp_path / "home"
    _import_into(home, tmp_path / "corpus", monkeypatch)
    shipped = _usage_indexes(home / "state.db")
    with sqlite3.connect(home / "state.db") as conn:
        for name in ingest.DEFERRED_INDEXES:
            conn.execute(f"DROP INDEX {name}")
    _import_into(home, tmp_path / "corpus", monkeypatch)
    assert _usage_indexes(home / "state.db") == shipped
