"""Transcript import: fidelity on real transcripts, dedup rules, incremental re-reads, bad input."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import ON_POSTGRESQL, assert_not_a_bug, raw_connection

# From shared/reference/claude-code.md section 5 (ccusage 20.0.24), per file.
REFERENCE = {
    "crud": (25, 1508, 12593, 148958, 0.11460615),
    "subagent": (24, 276, 23122, 20952, 0.0972051),
    "images": (26, 145, 5927, 67843, 0.07472025),
    "todos": (24, 660, 2151, 87863, 0.04439715),
    "compact": (10, 148, 2128, 13522, 0.0142866),
}
# Worked out by hand in tests/fixtures/transcripts/README.md: input, output, 5m write, 1h write, read, cost.
OWN_EXPECTED = {
    "sess-a": (84, 191, 100, 200, 3500, 0.004642),
    "sess-b": (13, 18, 40, 0, 60, 0.501665),
}


def db(nerv_home):
    return raw_connection(nerv_home)


def session_totals(nerv_home) -> dict:
    with db(nerv_home) as conn:
        rows = conn.execute("SELECT id, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, cost_usd,"
                            " transcript_path FROM claude_sessions").fetchall()
    return {r[0]: r[1:] for r in rows}


def usage_split(nerv_home, session: str) -> tuple:
    with db(nerv_home) as conn:
        return conn.execute("SELECT SUM(input_tokens), SUM(output_tokens), SUM(cache_write_5m_tokens),"
                            " SUM(cache_write_1h_tokens), SUM(cache_read_tokens), SUM(cost_usd) FROM usage"
                            " WHERE session_id = ?", (session,)).fetchone()


def test_real_transcripts_match_the_reference_figures_per_session(cli, nerv_home, shared_copy):
    result = cli("session", "import", shared_copy, "--json")
    assert result.code == 0, result.stderr
    assert result.data["skipped_lines"] == 0
    by_file = {os.path.basename(path)[:-6]: values for values in session_totals(nerv_home).values()
               for path in [values[5]]}
    assert set(by_file) == set(REFERENCE)
    for name, (inp, out, write, read, cost) in REFERENCE.items():
        got = by_file[name]
        assert got[:4] == (inp, out, write, read), name
        assert got[4] == pytest.approx(cost, rel=1e-3), name


def test_own_transcripts_give_the_hand_computed_totals(cli, nerv_home, own):
    result = cli("session", "import", own, "--json")
    assert result.code == 0, result.stderr
    data = result.data
    assert data["files"] == 3 and data["files_read"] == 3
    assert data["skipped_lines"] == 4
    assert {s["reason"] for s in data["skipped"]} >= {"not a JSON object", "usage.output_tokens is str, not an integer"}
    assert data["partial_tails"] == 1
    assert data["unpriced_models"] == {"custom-model": 1, "gpt-mystery": 1}  # custom-model has its own costUSD
    assert data["new_usage_rows"] == 8  # A1, A2, A3, S1, the id-less line, B1, B2, B3
    for session, (inp, out, w5, w1, read, cost) in OWN_EXPECTED.items():
        got = usage_split(nerv_home, session)
        assert got[:5] == (inp, out, w5, w1, read), session
        assert got[5] == pytest.approx(cost, rel=1e-9), session
        totals = session_totals(nerv_home)[session]
        assert totals[:4] == (inp, out, w5 + w1, read)
        assert totals[4] == pytest.approx(cost, rel=1e-9)


def test_dedup_keeps_the_biggest_copy_and_prefers_the_main_chain(cli, nerv_home, own):
    cli("session", "import", own)
    with db(nerv_home) as conn:
        rows = dict(((m, (s, o)) for m, s, o in conn.execute(
            "SELECT message_id, is_sidechain, output_tokens FROM usage WHERE message_id IS NOT NULL")))
    assert rows["msg_A1"] == (0, 50)  # the later, larger line of the same response
    assert rows["msg_A2"] == (0, 30)  # equal totals: the non-sidechain copy
    assert rows["msg_A3"] == (1, 9)  # the subagent file's bigger copy
    assert "msg_syn" not in rows and "msg_bad1" not in rows


def test_importing_twice_changes_nothing(cli, own, db_hash, nerv_home):
    assert cli("session", "import", own).code == 0
    before_totals, before = session_totals(nerv_home), db_hash()
    again = cli("session", "import", own, "--json")
    assert again.code == 0
    assert again.data["files_unchanged"] == 3 and again.data["lines_read"] == 0
    assert db_hash() == before and session_totals(nerv_home) == before_totals


def test_an_appended_file_is_read_from_where_the_last_import_stopped(cli, nerv_home, own):
    cli("session", "import", own)
    target = own / "alpha" / "sess-a.jsonl"
    # Finish the unfinished last line: now msg_A4 is a complete API call.
    target.open("ab").write(b'ens":2,"output_tokens":4}},"requestId":"req_4","timestamp":"2026-11-20T10:04:00.000Z"}\n')
    result = cli("session", "import", own, "--json")
    assert result.data["files_read"] == 1 and result.data["lines_read"] == 1 and result.data["skipped_lines"] == 0
    got = usage_split(nerv_home, "sess-a")
    assert got[0] == 84 + 2 and got[1] == 191 + 4


def test_a_replaced_or_shrunk_file_is_read_again_from_the_start(cli, nerv_home, own):
    cli("session", "import", own)
    target = own / "beta" / "sess-b.jsonl"
    lines = target.read_text().splitlines()
    # Shrunk: only the summary and msg_B1 remain.
    target.write_text("\n".join(lines[:2]) + "\n")
    result = cli("session", "import", own, "--json")
    assert result.data["files_reset"] == 1
    assert usage_split(nerv_home, "sess-b")[:5] == (5, 10, 40, 0, 60)
    # Replaced by a file of a different first line but a larger size: the old rows go, the new ones count.
    replacement = json.loads(lines[1])
    replacement["message"]["id"] = "msg_B9"
    replacement["message"]["usage"]["output_tokens"] = 1000
    target.write_text(json.dumps({"type": "summary", "summary": "a different first line"}) + "\n" +
                      json.dumps(replacement) + "\n" + "\n".join(lines[3:]) + "\n")
    result = cli("session", "import", own, "--json")
    assert result.data["files_reset"] == 1
    with db(nerv_home) as conn:
        ids = {r[0] for r in conn.execute("SELECT message_id FROM usage WHERE session_id = 'sess-b'")}
    assert ids == {"msg_B9", "msg_B2", "msg_B3"}
    assert session_totals(nerv_home)["sess-b"][1] == 1000 + 7 + 1


def test_a_folder_without_transcripts_imports_nothing_and_says_so(cli, tmp_path, db_hash):
    empty = tmp_path / "empty"
    empty.mkdir()
    cli("status")
    before = db_hash()
    result = cli("session", "import", empty)
    assert result.code == 0
    assert "no transcripts found" in result.stdout
    assert db_hash() == before


def test_a_missing_path_is_an_error_without_traceback(cli, tmp_path, db_hash):
    cli("status")
    before = db_hash()
    result = cli("session", "import", tmp_path / "nope", "--json")
    assert result.code == 1 and result.error["code"] == "not_found"
    assert_not_a_bug(result)
    assert db_hash() == before


def test_an_unreadable_file_is_reported_and_the_rest_imported(cli, own):
    os.symlink(own / "does-not-exist.jsonl", own / "alpha" / "dangling.jsonl")
    result = cli("session", "import", own, "--json")
    assert result.code == 0
    assert [u["path"].endswith("dangling.jsonl") for u in result.data["unreadable"]] == [True]
    assert result.data["new_usage_rows"] == 8


def test_only_bad_lines_import_nothing_but_counts(cli, tmp_path, nerv_home):
    folder = tmp_path / "bad"
    folder.mkdir()
    usage = {"input_tokens": 1, "output_tokens": 1}
    lines = ["{not json", json.dumps([1, 2]),
             json.dumps({"timestamp": "2026-01-01T00:00:00Z", "message": {"id": "m", "usage": {**usage,
                                                                                              "input_tokens": True}}}),
             json.dumps({"timestamp": 5, "message": {"id": "m2", "usage": usage}}),
             json.dumps({"timestamp": "2026-01-01T00:00:00Z",
                         "message": {"id": "m3", "usage": {**usage, "output_tokens": 10**20}}}),
             json.dumps({"timestamp": "2026-01-01T00:00:00Z", "message": {"id": 7, "usage": usage}})]
    (folder / "s.jsonl").write_text("\n".join(lines) + "\n")
    result = cli("session", "import", folder, "--json")
    assert result.code == 0 and result.data["skipped_lines"] == 6 and result.data["new_usage_rows"] == 0
    with db(nerv_home) as conn:
        assert conn.execute("SELECT COUNT(*) FROM usage").fetchone()[0] == 0
        assert conn.execute("SELECT skipped FROM transcript_files").fetchone()[0] == 6


def test_unknown_cwd_goes_to_unassigned_and_can_be_reassigned(cli, nerv_home, own, repo_dir):
    assert cli("project", "add", "alpha", "--path", repo_dir).code == 0
    assert cli("project", "add", "beta").code == 0
    result = cli("session", "import", own, "--json")
    assert result.data["unassigned_sessions"] == ["sess-b"]
    listed = cli("session", "list", "--unassigned", "--json").data
    assert [s["id"] for s in listed] == ["sess-b"]
    assert cli("session", "assign", "sess-b", "--project", "beta").code == 0
    report = cli("cost", "--by", "project", "--json").data
    assert {g["key"] for g in report["groups"]} == {"alpha", "beta"}
    assert cli("session", "list", "--unassigned", "--json").data == []


def test_audit_has_one_row_per_import(cli, nerv_home, own):
    cli("session", "import", own)
    with db(nerv_home) as conn:
        rows = conn.execute("SELECT after FROM audit_log WHERE action = 'session.import'").fetchall()
    assert len(rows) == 1 and json.loads(rows[0][0])["new_usage_rows"] == 8


def test_default_folders_come_from_claude_config_dir(cli, monkeypatch, tmp_path, own):
    config = tmp_path / "claude-config"
    (config / "projects").mkdir(parents=True)
    (own / "beta").rename(config / "projects" / "beta")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    result = cli("session", "import", "--json")
    assert result.code == 0 and result.data["files"] == 1 and "sess-b" in result.data["unassigned_sessions"]


@pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite-only: the bulk load drops and rebuilds the file's indexes")
def test_a_bulk_load_with_index_rebuild_gives_the_same_rows(monkeypatch, own, nerv_home):
    from nerv.store import ingest
    from nerv.store.db import open_store

    monkeypatch.setattr(ingest, "BULK_REBUILD_MIN_ROWS", 0)
    store = open_store()
    indexes = store._conn.execute("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'usage'").fetchall()
    try:
        result = ingest.import_paths(store._conn, [str(own)])
        assert sorted(store._conn.execute("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'usage'")) \
            == sorted(indexes)
    finally:
        store.close()
    assert result["new_usage_rows"] == 8 and result["skipped_lines"] == 4 and result["partial_tails"] == 1
    for session, (inp, out, w5, w1, read, cost) in OWN_EXPECTED.items():
        got = usage_split(nerv_home, session)
        assert got[:5] == (inp, out, w5, w1, read) and got[5] == pytest.approx(cost)
    from tests.sessions.test_usage_rollup import assert_rollup_exact

    assert_rollup_exact(nerv_home / "state.db")  # rebuilt in one GROUP BY while its triggers were dropped
