"""SessionEnd: import the session's own transcript and its subagents' files. Stdlib only."""

from __future__ import annotations

import os
import sqlite3


def import_session_transcript(conn: sqlite3.Connection, event: dict) -> dict | None:
    """Import `transcript_path` and the session's subagent files; None when there is nothing to read."""
    from pathlib import Path

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
    return import_files(conn, files)
