"""Transcript import for the CLI. Kept free of peewee: `nerv session import` runs from cron and hooks often,
and with nothing new to read its cost is mostly start-up."""

from __future__ import annotations

from contextlib import nullcontext

from nerv.store.db import Store


def import_transcripts(store: Store, paths: list[str] | None = None, progress=None) -> dict:
    """Import Claude Code transcripts (default folders when `paths` is empty); see nerv.store.ingest.import_files.
    With sessions.archive on (the default) the files are archived too (`archive`: nerv.store.archive.archive_files).

    `progress(total, description)` is a context manager yielding advance(n) (the CLI's progress bar).
    Raises not_found for an explicit path that does not exist.
    """
    from concurrent.futures import ThreadPoolExecutor

    from nerv.store import ingest

    files, roots = ingest.discover(list(paths or []))
    # The archive runs beside the import, in a thread with a connection of its own: the import's writer is
    # one process's Python, and the archive's work (reading, sha256, zstd, fsync) mostly releases the GIL, so
    # the second core does it instead of both waiting for one another (docs/performance.md).
    with ThreadPoolExecutor(1) as beside:
        archived = beside.submit(_archive, store, files) if store.archive.enabled() else None
        with (progress(len(files), "importing transcripts") if progress else nullcontext(None)) as advance:
            result = store.sessions.import_transcripts(files, progress=advance, fast=True)
        if archived is not None:
            result["archive"] = archived.result()
    result["roots"] = roots
    return result


def _archive(store: Store, files: list) -> dict:
    from nerv.store import archive

    own = store.reopened()
    try:
        return own.archive.archive_files(files, codec=archive.ZSTD)
    finally:
        own.close()
