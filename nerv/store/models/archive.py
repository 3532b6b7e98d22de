"""Models for 0012_transcript_archive.sql: archived transcript files and their content-addressed chunks."""

from __future__ import annotations

from peewee import AutoField, CompositeKey, ForeignKeyField, IntegerField, TextField

from nerv.store.models.base import NervModel

__all__ = ["ArchiveChunk", "ArchiveFile", "ArchiveFileChunk"]


class ArchiveChunk(NervModel):
    hash = TextField(primary_key=True)
    size = IntegerField()
    stored_size = IntegerField()
    codec = TextField()
    created_at = TextField()

    class Meta:
        table_name = "archive_chunks"


class ArchiveFile(NervModel):
    id = AutoField()
    session_id = TextField(index=True)
    rel_path = TextField(unique=True)
    source_path = TextField()
    size = IntegerField()
    sha256 = TextField()
    mtime_ns = IntegerField()
    archived_at = TextField()

    class Meta:
        table_name = "archive_files"


class ArchiveFileChunk(NervModel):
    file = ForeignKeyField(ArchiveFile, column_name="file_id", on_delete="CASCADE")
    seq = IntegerField()
    chunk = ForeignKeyField(ArchiveChunk, column_name="chunk_hash")

    class Meta:
        table_name = "archive_file_chunks"
        primary_key = CompositeKey("file", "seq")
