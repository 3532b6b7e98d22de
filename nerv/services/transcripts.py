"""Transcript import for the CLI. Kept free of peewee: `nerv session import` runs from cron and hooks often,
and with nothing new to read its cost is mostly start-up."""

from __future__ import annotations

from contextlib import nullcontext

from nerv.store.db import Store


def import_transcripts(store: Store, paths: list[str] | None = None, progress=None) -> dict:
    """Import Claude Code transcripts (default folders when `paths` is empty); see nerv.store.ingest.import_files.
    With sessions.archive on (the default) the files are archived too (`archive`: nerv.store.archive.archive_files),
    by a second process while the import runs when there is much to read (nerv.services.archive_alongside).

    `progress(total, description)` is a context manager yielding advance(n) (the CLI's progress bar).
    Raises not_found for an explicit path that does not exist.
    """
    from nerv.services.archive_alongside import Alongside
    from nerv.store import ingest

    files, roots = ingest.discover(list(paths or []))
    archiving = Alongside(store, files).start() if store.archive.enabled() else None
    try:
        with (progress(len(files), "importing transcripts") if progress else nullcontext(None)) as advance:
            result = store.sessions.import_transcripts(files, progress=advance, fast=True)
    except BaseException:
        if archiving is not None:
            archiving.cancel()
        raise
    result["roots"] = roots
    if archiving is not None:
        result["archive"] = archiving.result()
    return result
