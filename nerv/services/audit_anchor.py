"""Audit anchors: the chain head kept outside the database (`nerv audit anchor`, `audit verify --against`).

An anchor is {id, hash, rows, anchored_at} of the newest audit row. Kept where the database's writer
cannot reach it (a git note pushed elsewhere, a file on another machine), it shows a rewritten chain, a
truncated one and an emptied one, which the chain alone cannot. Every full export carries one in its
header (`audit_head`); a backup carries its own chain, so the copy itself is an anchor.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from nerv.errors import NervError, invalid
from nerv.services import export_format as fmt
from nerv.services import output_files
from nerv.store import audit as audit_log
from nerv.store.clock import now_iso
from nerv.store.db import Store

FORMAT_NAME = "nerv-audit-anchor"
FORMAT_VERSION = 1
GIT_NOTES_REF = "nerv-audit"
GIT_PREFIX = "git:"
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"  # a custom-format pg_dump: what `nerv db backup` writes on PostgreSQL


def current_anchor(store: Store) -> dict:
    """The live chain's head as an anchor document. Raises invalid for an empty log."""
    head = store.read(lambda s: s.audit.chain_head())
    if head is None:
        raise invalid("the audit log is empty; there is nothing to anchor")
    return {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **head, "anchored_at": now_iso(),
            "database": str(store.path)}


def write_anchor(store: Store, *, output: Path | None = None, git_ref: str | None = None) -> dict:
    """Build the anchor and write it to `output` (mode 0600, atomic) and/or a git note on `git_ref`."""
    anchor = current_anchor(store)
    encoded = json.dumps(anchor, sort_keys=True, indent=2) + "\n"
    written = []
    if output is not None:
        output = output_files.output_path(output, "--output audit-anchor.json")
        output_files.write_private(output, encoded.encode("utf-8"))
        written.append(str(output))
    if git_ref is not None:
        _git("notes", "--ref", GIT_NOTES_REF, "add", "-f", "-m", encoded, git_ref)
        written.append(f"{GIT_PREFIX}{git_ref} (refs/notes/{GIT_NOTES_REF})")
    return {**anchor, "written": written}


def load_anchor(source: str) -> dict:
    """Read an anchor from `git:REF` (the note on REF), an anchor file, a nerv export or a backup (a SQLite
    file or, on PostgreSQL, a pg_dump)."""
    if source.startswith(GIT_PREFIX):
        text = _git("notes", "--ref", GIT_NOTES_REF, "show", source[len(GIT_PREFIX):])
        return _checked(_parse(text, source), source)
    path = Path(source).expanduser()
    try:
        with open(path, "rb") as fh:
            magic = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise NervError("io", f"cannot read {path}: {exc.strerror}",
                        "give an anchor file, a nerv export, a backup, or git:REF") from exc
    if magic == SQLITE_MAGIC:
        return _from_backup(audit_log.verify_file_chain(path), source)
    if magic.startswith(PG_DUMP_MAGIC):
        return _from_backup(audit_log.verify_dump_chain(path), source)
    first_line = _first_line(path)
    if fmt.HEADER_KEY in first_line[:40]:
        return _from_export(path, source)
    return _checked(_parse(path.read_text(encoding="utf-8", errors="replace"), source), source)


def _first_line(path: Path) -> str:
    with open(path, "r", encoding="utf-8", errors="replace") as fh:
        return fh.readline()


def _from_backup(chain: dict, source: str) -> dict:
    if not chain["ok"] or chain["head"] is None:
        raise invalid(f"{source}: the backup's own audit chain is broken or empty, so it anchors nothing")
    return {**chain["head"], "source": source}


def _from_export(path: Path, source: str) -> dict:
    for event in fmt.read_events(path, 1):
        header = event[1] if event[0] == "header" else {}
        head = header.get("audit_head") if isinstance(header, dict) else None
        if head is None:
            raise invalid(f"{source}: the export carries no audit_head",
                          "project exports and exports by an older nerv do not; use a full export")
        return _checked({**head, "format": FORMAT_NAME}, source)
    raise invalid(f"{source} is not a nerv export")


def _parse(text: str, source: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid(f"{source} is not an audit anchor (not JSON: {exc.msg} at line {exc.lineno})") from None
    if not isinstance(value, dict) or value.get("format") != FORMAT_NAME:
        raise invalid(f"{source} is not an audit anchor (no \"format\": \"{FORMAT_NAME}\")",
                      "write one with `nerv audit anchor --output FILE`")
    return value


def _checked(anchor: dict, source: str) -> dict:
    ok = (isinstance(anchor.get("id"), int) and anchor["id"] > 0 and isinstance(anchor.get("rows"), int)
          and isinstance(anchor.get("hash"), str) and len(anchor["hash"]) == 64)
    if not ok:
        raise invalid(f"{source}: an anchor needs an integer id and rows and a 64-character hash")
    return {"id": anchor["id"], "hash": anchor["hash"], "rows": anchor["rows"],
            "anchored_at": anchor.get("anchored_at"), "source": source}


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NervError("io", f"cannot run git: {exc}", "install git, or use --output FILE") from exc
    if done.returncode != 0:
        raise NervError("io", f"git {args[0]} {args[3] if len(args) > 3 else ''} failed: "
                              f"{done.stderr.strip() or done.stdout.strip()}",
                        "run it inside a git repository, with a ref that exists (e.g. HEAD)")
    return done.stdout
