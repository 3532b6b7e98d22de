"""`store.sessions` and `store.archive`: Claude Code sessions, their transcripts and the transcript archive.
Stdlib only."""

from __future__ import annotations

from pathlib import Path

from nerv.store import archive, ingest, queries_archive, queries_costs, queries_knowledge
from nerv.store.area import Area


class SessionArea(Area):
    def usage(self, session_id: str) -> dict:
        return queries_costs.session_usage(self._conn, session_id)

    def subagent_usage(self, session_id: str) -> list[dict]:
        return queries_costs.subagent_usage(self._conn, session_id)

    def import_transcripts(self, files: list[Path], progress=None, *, fast: bool = False) -> dict:
        """Store what is new in `files`, in its own transactions (nerv.store.ingest.import_files)."""
        return ingest.import_files(self._conn, files, progress=progress, fast=fast)

    def resume_data(self, project_id: str, task_id: str | None) -> dict:
        """What a handoff shows to resume work (nerv.store.queries_knowledge.resume_data)."""
        return queries_knowledge.resume_data(self._conn, project_id, task_id)


class ArchiveArea(Area):
    def enabled(self) -> bool:
        return archive.enabled(self._conn)

    def new_bytes(self, files: list[Path]) -> int:
        """About how many bytes archiving `files` would read anew (nerv.store.archive.new_bytes)."""
        return archive.new_bytes(self._conn, files)

    def archive_files(self, files: list[Path], *, codec: str = archive.CODEC) -> dict:
        """Archive what is new in `files`, in its own transactions (nerv.store.archive.archive_files)."""
        return archive.archive_files(self._conn, files, codec=codec)

    def stats(self) -> dict:
        return queries_archive.stats(self._conn)

    def chunks_of_file(self, file_id: int) -> list[tuple[str, int, str]]:
        return queries_archive.chunks_of_file(self._conn, file_id)

    def files_of_session(self, session_id: str) -> list[dict]:
        return queries_archive.files_of_session(self._conn, session_id)

    def count_files_older(self, cutoff: str) -> int:
        return queries_archive.count_files_older(self._conn, cutoff)

    def delete_files_older(self, tx, cutoff: str) -> int:
        return queries_archive.delete_files_older(tx.conn, cutoff)

    def delete_unreferenced_chunks(self, tx) -> list[str]:
        """The digests of the chunks no file uses any more, deleted; their files are the caller's to remove."""
        return queries_archive.delete_unreferenced_chunks(tx.conn)
