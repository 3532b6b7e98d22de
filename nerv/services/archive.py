"""The transcript archive seen from the CLI: archive now, size report, restore, and reading a session back.

Storage and manifests are nerv.store.archive and nerv.store.queries_archive (stdlib: the hook archives too).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from nerv.errors import NervError, conflict
from nerv.store import archive
from nerv.store.db import Store

ARCHIVE_HINT = "see `nerv session archive --stats`; sessions are archived when imported"


def archive_paths(store: Store, paths: list[str] | None = None) -> dict:
    """Archive the transcripts under `paths` (default: Claude Code's folders), whatever sessions.archive says.
    Returns nerv.store.archive.archive_files' counts with `roots` and the size report as `stats`."""
    from nerv.store import ingest

    files, roots = ingest.discover(list(paths or []))
    result = store.archive.archive_files(files, codec=archive.ZSTD)
    return {**result, "roots": roots, "stats": stats(store)}


def stats(store: Store) -> dict:
    """Archived files and sessions, chunks, raw bytes (the files' lengths), unique and stored (compressed) bytes,
    and stored / raw as `ratio`."""
    data = store.archive.stats()
    data["ratio"] = round(data["stored_bytes"] / data["raw_bytes"], 4) if data["raw_bytes"] else None
    data["folder"] = str(archive.archive_dir())
    return data


def find_archived_session(ref: str) -> str:
    """The archived session id `ref` names (full id, or an unambiguous 4+ character prefix)."""
    from nerv.services import validate
    from nerv.services.refs import by_id_or_prefix
    from nerv.store.models import ArchiveFile

    text = validate.one_line(ref, "session id", max_len=200)
    query = ArchiveFile.select(ArchiveFile.session_id).distinct()
    return by_id_or_prefix(query, ArchiveFile.session_id, text, "archived session", ARCHIVE_HINT,
                           lambda row: row.session_id).session_id


def file_bytes(store: Store, manifest: dict) -> bytes:
    """An archived file's content, every chunk and the whole checked (NervError 'integrity' otherwise)."""
    data = b"".join(archive.read_chunk(digest, size, codec)
                    for digest, size, codec in store.archive.chunks_of_file(manifest["id"]))
    if len(data) != manifest["size"] or hashlib.sha256(data).hexdigest() != manifest["sha256"]:
        raise NervError("integrity", f"archived {manifest['rel_path']} does not match its checksum",
                        "the archive's manifest and chunks disagree: restore NERV_HOME/archive and the database"
                        " from the same backup")
    return data


def restore(store: Store, ref: str, to: str | None = None) -> dict:
    """Write an archived session's files back where Claude Code reads them (<CLAUDE_CONFIG_DIR or ~/.claude>/projects,
    or `to`), each checked against its sha256. Writes nothing if any target holds other content (conflict).
    Returns {session, root, files: [{path, size, state: written|identical}]}."""
    from nerv.env import claude_user_dir

    session_id = find_archived_session(ref)
    root = Path(to).expanduser() if to else Path(claude_user_dir()) / "projects"
    manifests = store.archive.files_of_session(session_id)
    targets = [(manifest, root / manifest["rel_path"]) for manifest in manifests]
    states = [_target_state(target, manifest) for manifest, target in targets]
    clashes = [str(target) for (_, target), state in zip(targets, states) if state == "different"]
    if clashes:
        raise conflict(f"{len(clashes)} file(s) exist with other content: {', '.join(clashes[:3])}",
                       "move them away, or restore elsewhere with --to DIR", details=clashes)
    contents = [file_bytes(store, manifest) if state == "absent" else None
                for (manifest, _), state in zip(targets, states)]
    files = []
    for (manifest, target), state, data in zip(targets, states, contents):
        if data is not None:
            _write_new(target, data)
        files.append({"path": str(target), "size": manifest["size"],
                      "state": "written" if data is not None else "identical"})
    return {"session": session_id, "root": str(root), "files": files}


def _target_state(target: Path, manifest: dict) -> str:
    """absent | identical | different."""
    if not os.path.lexists(target):
        return "absent"
    if not target.is_file() or target.is_symlink() or target.stat().st_size != manifest["size"]:
        return "different"
    digest = hashlib.sha256()
    with open(target, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "identical" if digest.hexdigest() == manifest["sha256"] else "different"


def _write_new(target: Path, data: bytes) -> None:
    from nerv.store.paths import ensure_private_dir, write_private_file

    try:
        ensure_private_dir(target.parent)
        write_private_file(target, data)
    except OSError as exc:
        raise NervError("io", f"cannot write {target}: {exc.strerror or exc}",
                        "check the folder's permissions, or restore elsewhere with --to DIR") from None


def session_transcript(store: Store, ref: str) -> dict:
    """The archived conversation of a session, turn by turn (nerv.services.transcript_view)."""
    from nerv.services.transcript_view import conversation

    session_id = find_archived_session(ref)
    manifests = store.archive.files_of_session(session_id)
    main = [m for m in manifests if "/subagents/" not in m["rel_path"]]
    subagents = [m for m in manifests if "/subagents/" in m["rel_path"]]
    return conversation(store, session_id, file_bytes(store, main[0]) if main else b"",
                        {Path(m["rel_path"]).stem: file_bytes(store, m) for m in subagents})
