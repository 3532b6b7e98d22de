"""SessionEnd: import the session's own transcript and its subagents' files, then archive them. Stdlib only."""

from __future__ import annotations

import os
import sqlite3

# SessionEnd is installed with a 60 s timeout; zlib compresses real transcripts at ~20 MB/s on the measuring
# machine, so the new bytes one SessionEnd archives are bounded well inside it. The rest waits for the next
# `nerv session import` (or this session's next end).
HOOK_ARCHIVE_MAX_BYTES = 64 * 1024 * 1024


def import_session_transcript(conn: sqlite3.Connection, event: dict) -> dict | None:
    """Import `transcript_path` and the session's subagent files, and archive them when sessions.archive is on;
    None when there is nothing to read."""
    from pathlib import Path

    from nerv.store import archive
    from nerv.store.ingest import import_files
    from nerv.transcripts import find_transcripts

    path = event.get("transcript_path")
    if not isinstance(path, str) or not path.endswith(".jsonl"):
        return None
    transcript = Path(path).expanduser()
    if not transcript.is_file():
        return None
    files = [Path(os.path.abspath(transcript))]
    subagents = transcript.with_suffix("") / "subagents"
    if subagents.is_dir():
        files += [Path(os.path.abspath(p)) for p in find_transcripts(subagents)]
    result = import_files(conn, files)
    if archive.enabled(conn):
        result["archive"] = archive.archive_files(conn, files, max_new_bytes=HOOK_ARCHIVE_MAX_BYTES)
    return result
