"""The archive of a large import, made by a second process while the import runs.

The import's critical path is its one writer process; the archive (hashing, zstd, one fsync per chunk file)
would otherwise follow it. A forked child at a lower CPU priority does that work on whatever the import leaves
idle, and writes its manifests in its own short transactions (nerv.store.archive.archive_files is safe to run
beside an import: chunk files first, then the manifests naming them). Measured in docs/performance.md.

An import with few new bytes to archive (a small one, or a re-import of files archived already) archives in
this process: forking costs more than it saves. So does a platform without fork.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from nerv.errors import NervError
from nerv.store import archive
from nerv.store.db import Store, open_store, open_team_store

MIN_BYTES = 16 * 1024 * 1024  # of new transcript bytes, below which the archive is made in this process
CHILD_NICENESS = 10  # the import's writer and readers come first; the archive takes the idle CPU


class Alongside:
    """Archive `files` beside the import: `start()` before it, `result()` after it (the counts of
    nerv.store.archive.archive_files, or its NervError raised here)."""

    def __init__(self, store: Store, files: list[Path]):
        self.store, self.files = store, files
        self.child = self.reply = None

    def start(self) -> "Alongside":
        # A re-import of files archived already has little to add: as small as a small import.
        if _forks() and self.store.archive.new_bytes(self.files) >= MIN_BYTES:
            context = multiprocessing.get_context("fork")
            self.reply, sending = context.Pipe(duplex=False)
            self.child = context.Process(target=_archive_in_child, args=(self.store.path, self.store.url,
                                                                         self.files, sending), daemon=True)
            self.child.start()
            sending.close()
        return self

    def result(self) -> dict:
        if self.child is None:
            return self.store.archive.archive_files(self.files, codec=archive.ZSTD)
        try:
            outcome = self.reply.recv()
        except EOFError:
            outcome = None
        self.child.join()
        if outcome is None:
            raise NervError("io", f"the archive process ended without a result (exit code {self.child.exitcode})",
                            "run `nerv session archive` to archive what is missing; the import itself is complete")
        kind, value = outcome
        if kind == "ok":
            return value
        if kind == "nerv":
            raise NervError(**value)
        raise RuntimeError(f"the archive process failed: {value}")  # a bug: reported as internal

    def cancel(self) -> None:
        """The import failed: stop the child (what it recorded is whole: chunks before the manifests naming them)."""
        if self.child is not None and self.child.is_alive():
            self.child.terminate()
            self.child.join()


def _forks() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _archive_in_child(path: Path, url: str | None, files: list[Path], sending) -> None:
    """Runs in the forked child: its own connection (never the parent's), the outcome sent back as plain data."""
    try:
        os.nice(CHILD_NICENESS)
    except OSError:
        pass
    try:
        store = open_team_store(url) if url else open_store(path)
        try:
            outcome = ("ok", store.archive.archive_files(files, codec=archive.ZSTD))
        finally:
            store.close()
    except NervError as exc:
        outcome = ("nerv", {"code": exc.code, "message": exc.message, "hint": exc.hint, "exit_code": exc.exit_code})
    except BaseException as exc:  # sent on as a bug, with its type, rather than lost with the child
        import traceback

        outcome = ("crash", "".join(traceback.format_exception_only(type(exc), exc)).strip())
    sending.send(outcome)
    sending.close()
