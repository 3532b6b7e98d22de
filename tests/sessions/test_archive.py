"""Transcript archive: archive at import and SessionEnd, appends, dedup, byte-identical restore, refusals,
corruption, the readable transcript, and prune leaving archives alone unless named."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nerv.store import archive

from tests.conftest import db_content_hash

SESSION = "5e55a0b1-0000-4000-8000-00000000abcd"


def generated_session(projects: Path, cwd: str = "/home/dev/app", lines: int = 300) -> Path:
    """A Claude Code layout: <projects>/<encoded cwd>/<session>.jsonl plus two subagent files."""
    folder = projects / "".join(c if c.isalnum() else "-" for c in cwd)
    main = folder / f"{SESSION}.jsonl"
    (folder / SESSION / "subagents").mkdir(parents=True)
    main.write_bytes(b"".join(_line(i, SESSION, cwd) for i in range(lines)))
    for agent in ("a1", "b2"):
        (folder / SESSION / "subagents" / f"agent-{agent}.jsonl").write_bytes(
            b"".join(_line(i, SESSION, cwd, agent) for i in range(40)))
    return main


def _line(index: int, session: str, cwd: str, agent: str | None = None) -> bytes:
    ts = f"2026-11-20T10:{index // 60 % 60:02d}:{index % 60:02d}.000Z"
    base = {"sessionId": session, "cwd": cwd, "timestamp": ts, "uuid": f"u{index}{agent or ''}",
            "isSidechain": bool(agent)}
    if index % 2 == 0:
        content = f"please do step {index}" if index % 10 == 0 else [
            {"type": "tool_result", "tool_use_id": f"t{index}", "content": "r" * (index % 300)}]
        line = {**base, "type": "user", "message": {"role": "user", "content": content}}
    else:
        line = {**base, "type": "assistant", "requestId": f"req{index}{agent or ''}", "message": {
            "id": f"msg{index}{agent or ''}", "model": "claude-sonnet-4-5-20250929", "role": "assistant",
            "content": [{"type": "text", "text": f"working on {index}"},
                        {"type": "tool_use", "id": f"t{index + 1}", "name": "Bash", "input": {"command": "ls"}}],
            "usage": {"input_tokens": 10, "output_tokens": 20, "cache_read_input_tokens": 100}}}
    return json.dumps(line).encode() + b"\n"


@pytest.fixture
def claude(tmp_path, monkeypatch) -> Path:
    """The transcripts' source folder and an empty CLAUDE_CONFIG_DIR to restore into."""
    config = tmp_path / "claude-config"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    return config


def stats(cli) -> dict:
    result = cli("session", "archive", "--stats", "--json")
    assert result.code == 0, result.stderr
    return result.data


def chunk_files(nerv_home: Path) -> list[Path]:
    return [p for p in (nerv_home / "archive").rglob("*") if p.is_file()]


def test_import_archives_and_restore_is_byte_identical_with_private_modes(cli, nerv_home, tmp_path, claude, own):
    source = generated_session(tmp_path / "source")
    result = cli("session", "import", tmp_path / "source", own, "--json")
    assert result.code == 0, result.stderr
    assert result.data["archive"]["archived"] == 6 and result.data["archive"]["unreadable"] == []
    report = stats(cli)
    assert report["files"] == 6 and report["sessions"] == 3
    assert report["stored_bytes"] < report["raw_bytes"] * 0.2
    for path in chunk_files(nerv_home):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((nerv_home / "archive").stat().st_mode) == 0o700

    restored = cli("session", "restore", SESSION[:8], "--json")
    assert restored.code == 0, restored.stderr
    assert [f["state"] for f in restored.data["files"]] == ["written"] * 3
    projects = claude / "projects"
    for original in [source, *sorted(source.with_suffix("").glob("subagents/*.jsonl"))]:
        copy = projects / original.relative_to(tmp_path / "source")
        assert copy.read_bytes() == original.read_bytes()
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    # The fixture's unfinished last line is kept too: byte for byte, not line by line.
    assert cli("session", "restore", "sess-a", "--to", tmp_path / "elsewhere").code == 0
    assert (tmp_path / "elsewhere" / "alpha" / "sess-a.jsonl").read_bytes() == (own / "alpha" / "sess-a.jsonl").read_bytes()


def test_importing_twice_stores_nothing_new(cli, nerv_home, tmp_path, own):
    generated_session(tmp_path / "source")
    cli("session", "import", tmp_path / "source", own)
    before, files = stats(cli), sorted(chunk_files(nerv_home))
    again = cli("session", "import", tmp_path / "source", own, "--json").data["archive"]
    assert again["unchanged"] == 6 and again["new_chunks"] == 0 and again["new_bytes"] == 0
    # Touched but identical: read and hashed, still nothing stored.
    os.utime(own / "beta" / "sess-b.jsonl", ns=(1, 1))
    assert cli("session", "archive", own, "--json").data["new_chunks"] == 0
    assert stats(cli) == before and sorted(chunk_files(nerv_home)) == files


def test_an_append_stores_only_the_new_tail(cli, nerv_home, tmp_path, claude):
    source = generated_session(tmp_path / "source")
    cli("session", "import", tmp_path / "source")
    before = stats(cli)
    extra = b"".join(_line(i, SESSION, "/home/dev/app") for i in range(300, 320))
    with open(source, "ab") as handle:
        handle.write(extra)
    archived = cli("session", "import", tmp_path / "source", "--json").data["archive"]
    assert archived["appended"] == 1 and archived["new_bytes"] == len(extra) and archived["new_chunks"] == 1
    after = stats(cli)
    assert after["unique_bytes"] == before["unique_bytes"] + len(extra) and after["files"] == before["files"]
    assert cli("session", "restore", SESSION).code == 0
    assert (claude / "projects" / source.relative_to(tmp_path / "source")).read_bytes() == source.read_bytes()


def test_a_rewritten_file_is_archived_anew(cli, tmp_path):
    source = generated_session(tmp_path / "source", lines=30)
    cli("session", "import", tmp_path / "source")
    source.write_bytes(source.read_bytes().replace(b"step 0", b"step X"))
    archived = cli("session", "archive", tmp_path / "source", "--json").data
    assert archived["archived"] == 1 and archived["appended"] == 0
    assert cli("session", "restore", SESSION, "--to", tmp_path / "back").code == 0
    assert (tmp_path / "back" / source.relative_to(tmp_path / "source")).read_bytes() == source.read_bytes()


def test_restore_refuses_a_different_file_and_accepts_an_identical_one(cli, nerv_home, tmp_path, claude):
    source = generated_session(tmp_path / "source")
    cli("session", "import", tmp_path / "source")
    target = claude / "projects" / source.relative_to(tmp_path / "source")
    target.parent.mkdir(parents=True)
    target.write_bytes(b"someone else's\n")
    refused = cli("session", "restore", SESSION, "--json")
    assert refused.code == 1 and refused.error["code"] == "conflict"
    assert target.read_bytes() == b"someone else's\n"
    assert not (target.with_suffix("") / "subagents").exists()  # nothing written when one target clashes
    target.write_bytes(source.read_bytes())
    again = cli("session", "restore", SESSION, "--json")
    assert again.code == 0, again.stderr
    assert [f["state"] for f in again.data["files"]] == ["identical", "written", "written"]
    assert cli("session", "restore", SESSION, "--json").data["files"][1]["state"] == "identical"


def test_a_damaged_chunk_is_an_integrity_error(cli, nerv_home, tmp_path, claude):
    generated_session(tmp_path / "source")
    cli("session", "import", tmp_path / "source")
    for path in chunk_files(nerv_home):
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    result = cli("session", "restore", SESSION, "--json")
    assert result.code == 1 and result.error["code"] == "integrity"
    assert not (claude / "projects").exists()
    assert cli("session", "show", SESSION, "--transcript", "--json").error["code"] == "integrity"
    for path in chunk_files(nerv_home):
        path.unlink()
    assert cli("session", "restore", SESSION, "--json").error["code"] == "integrity"


def test_unknown_or_ambiguous_sessions_are_clear_errors(cli, nerv_home, own):
    cli("session", "import", own)
    assert cli("session", "restore", "nope-nope", "--json").error["code"] == "not_found"
    assert cli("session", "restore", "sess", "--json").error["code"] == "ambiguous"
    assert cli("session", "show", "zzzz", "--transcript", "--json").error["code"] == "not_found"


def test_transcript_shows_turns_tools_and_costs(cli, tmp_path):
    generated_session(tmp_path / "source", lines=40)
    cli("session", "import", tmp_path / "source")
    data = cli("session", "show", SESSION, "--transcript", "--json").data
    assert [t["prompt"] for t in data["turns"]] == [f"please do step {i}" for i in range(0, 40, 10)]
    first = data["turns"][0]
    assert {"kind": "tool", "name": "Bash", "input": '{"command": "ls"}'} in first["items"]
    assert first["api_calls"] == 5 and first["cost_usd"] == pytest.approx(5 * (10 * 3 + 20 * 15 + 100 * 0.3) / 1e6)
    assert [a["agent"] for a in data["subagents"]] == ["a1", "b2"]
    shown = cli("session", "show", SESSION, "--transcript")
    assert shown.code == 0
    assert "user: please do step 10" in shown.stdout and "tool Bash" in shown.stdout and "$0.0018" in shown.stdout


def test_transcript_total_counts_each_call_once_like_the_import(cli, nerv_home, own):
    cli("session", "import", own)
    data = cli("session", "show", "sess-a", "--transcript", "--json").data
    assert data["cost_usd"] == pytest.approx(0.004642, rel=1e-9)  # tests/fixtures/transcripts/README.md


def test_prune_keeps_archives_unless_named_with_yes(cli, nerv_home, tmp_path):
    generated_session(tmp_path / "source")
    cli("session", "import", tmp_path / "source")
    before, files = stats(cli), chunk_files(nerv_home)
    pruned = cli("prune", "--older-than", "2999-01-01", "--yes", "--force", "--json")
    assert pruned.code == 0 and pruned.data["kinds"]["sessions"]["rows"] == 1
    assert stats(cli) == before and chunk_files(nerv_home) == files
    db = nerv_home / "state.db"
    unchanged = db_content_hash(db)
    refused = cli("prune", "--archives", "--older-than", "2999-01-01", "--json")
    assert refused.code == 2 and refused.error["code"] == "usage"
    assert db_content_hash(db) == unchanged
    looked = cli("prune", "--archives", "--dry-run", "--older-than", "2999-01-01", "--json")
    assert looked.data["kinds"]["archives"]["rows"] == 3 and stats(cli) == before
    assert cli("session", "restore", SESSION, "--to", tmp_path / "back").code == 0  # session row gone, archive not
    done = cli("prune", "--archives", "--yes", "--force", "--older-than", "2999-01-01", "--json")
    assert done.code == 0 and done.data["kinds"]["archives"] == {**done.data["kinds"]["archives"], "rows": 3,
                                                                  "chunks": before["chunks"]}
    assert stats(cli)["files"] == 0 and chunk_files(nerv_home) == []


def test_archive_setting_off_stops_archiving(cli, nerv_home, tmp_path):
    generated_session(tmp_path / "source")
    assert cli("settings", "set", "sessions.archive", "false").code == 0
    result = cli("session", "import", tmp_path / "source", "--json")
    assert result.code == 0 and "archive" not in result.data
    assert stats(cli)["files"] == 0
    assert cli("session", "archive", tmp_path / "source", "--json").data["archived"] == 3  # asked by name


def test_session_end_hook_archives_the_session(cli, nerv_home, tmp_path, claude):
    source = generated_session(tmp_path / "source")
    event = {"session_id": SESSION, "transcript_path": str(source), "cwd": str(tmp_path),
             "hook_event_name": "SessionEnd", "reason": "logout"}
    assert cli("session", "list").code == 0  # create the database as the CLI does
    assert cli("hook", "session-end", stdin=json.dumps(event)).code == 0
    assert stats(cli)["files"] == 3
    assert cli("session", "restore", SESSION).code == 0
    assert (claude / "projects" / source.relative_to(tmp_path / "source")).read_bytes() == source.read_bytes()


def test_an_unwritable_archive_folder_is_an_io_error_and_records_nothing(cli, nerv_home, tmp_path):
    generated_session(tmp_path / "source")
    cli("session", "list")
    nerv_home.mkdir(parents=True, exist_ok=True)  # in team mode no state.db made it: the archive lives there still
    (nerv_home / "archive").write_text("a file where the folder should be")
    result = cli("session", "archive", tmp_path / "source", "--json")
    assert result.code == 1 and result.error["code"] == "io"
    assert (nerv_home / "archive").read_text() == "a file where the folder should be"
    (nerv_home / "archive").unlink()
    assert stats(cli)["files"] == 0


def test_export_carries_the_manifests_not_the_chunks(cli, nerv_home, tmp_path, own):
    cli("session", "import", own)
    result = cli("export", "--format", "jsonl", "--output", tmp_path / "e.jsonl", "--json")
    assert result.code == 0, result.stderr
    assert {result.data["tables"][t] for t in ("archive_files", "archive_file_chunks", "archive_chunks")} == {3}
    assert b"add a health check" not in (tmp_path / "e.jsonl").read_bytes()  # transcript text stays in the chunks


@given(st.lists(st.sampled_from([0, 1, 7, 60, 300]), max_size=40), st.booleans(), st.sampled_from([16, 100, 1000]),
       st.sampled_from([5, 64, 4096]))
def test_a_file_read_in_blocks_is_cut_into_the_pieces_of_the_whole(lengths, terminated, limit, block):
    data = b"\n".join(b"x" * n for n in lengths) + (b"\n" if terminated and lengths else b"")
    with mock.patch.object(archive, "READ_BYTES", block):
        assert list(archive._pieces(io.BytesIO(data), limit)) == archive.split_at_lines(data, limit)


@pytest.fixture
def archive_alongside(monkeypatch):
    """Every import archives in a forked child, however small (nerv.services.archive_alongside)."""
    from nerv.services import archive_alongside

    if not archive_alongside._forks():
        pytest.skip("no fork on this platform: the archive is always made in the importing process")
    monkeypatch.setattr(archive_alongside, "MIN_BYTES", 0)
    return archive_alongside


def test_an_archive_made_beside_the_import_restores_byte_identical(cli, nerv_home, tmp_path, claude, archive_alongside):
    source = generated_session(tmp_path / "source")
    result = cli("session", "import", tmp_path / "source", "--json")
    assert result.code == 0, result.stderr
    assert result.data["archive"]["archived"] == 3 and result.data["new_usage_rows"] == 190
    assert stats(cli)["files"] == 3
    assert cli("session", "restore", SESSION).code == 0
    assert (claude / "projects" / source.relative_to(tmp_path / "source")).read_bytes() == source.read_bytes()
    again = cli("session", "import", tmp_path / "source", "--json").data["archive"]
    assert again["unchanged"] == 3 and again["new_chunks"] == 0


def test_an_archive_error_beside_the_import_is_its_own_error_and_keeps_the_import(cli, nerv_home, tmp_path,
                                                                                   archive_alongside):
    generated_session(tmp_path / "source")
    cli("session", "list")
    nerv_home.mkdir(parents=True, exist_ok=True)  # in team mode no state.db made it
    (nerv_home / "archive").write_text("a file where the folder should be")
    result = cli("session", "import", tmp_path / "source", "--json")
    assert result.code == 1 and result.error["code"] == "io", result.stderr
    (nerv_home / "archive").unlink()
    assert stats(cli)["files"] == 0
    assert cli("session", "list", "--json").data  # the import itself committed: its sessions are there


def test_a_crash_beside_the_import_is_reported_as_a_bug(cli, tmp_path, archive_alongside, monkeypatch):
    generated_session(tmp_path / "source")

    def broken(*_args, **_kwargs):
        raise ZeroDivisionError(f"planted in {os.getpid()}")

    monkeypatch.setattr(archive, "archive_files", broken)
    result = cli("session", "import", tmp_path / "source", "--json")
    assert result.code == 1 and result.error["code"] == "internal"
    message = json.dumps(result.error)
    assert "ZeroDivisionError: planted in" in message and f"planted in {os.getpid()}" not in message  # in the child


def test_only_new_bytes_send_the_archive_beside_the_import(cli, tmp_path, archive_alongside, monkeypatch):
    monkeypatch.setattr(archive_alongside, "MIN_BYTES", 1)
    forked = []
    start = archive_alongside.Alongside.start

    def spying(self):
        started = start(self)
        forked.append(self.child is not None)
        return started

    monkeypatch.setattr(archive_alongside.Alongside, "start", spying)
    source = generated_session(tmp_path / "source")
    files = sorted(p for p in (tmp_path / "source").rglob("*.jsonl"))
    assert cli("session", "import", tmp_path / "source").code == 0
    from nerv.store.db import open_store

    store = open_store()
    original = source.read_bytes()
    try:
        assert store.archive.new_bytes(files) == 0
        extra = _line(300, SESSION, "/home/dev/app")
        with open(source, "ab") as handle:
            handle.write(extra)
        assert store.archive.new_bytes(files) == len(extra)
        source.write_bytes(b"shorter")  # shorter than its archive: all of it is new
        assert store.archive.new_bytes(files) == len(b"shorter")
        source.write_bytes(original)  # as archived, touched: read and hashed again, but nothing new
        assert store.archive.new_bytes(files) == 0
    finally:
        store.close()
    assert cli("session", "import", tmp_path / "source").code == 0  # in this process
    with open(source, "ab") as handle:
        handle.write(extra)
    assert cli("session", "import", tmp_path / "source").code == 0  # one line more: beside the import again
    assert forked == [True, False, True]
