"""Models for the plain tables created by 0006_knowledge.sql (the FTS5 table and triggers are SQL only)."""

from __future__ import annotations

from peewee import BlobField, CompositeKey, ForeignKeyField, IntegerField, TextField

from nerv.store.models.base import NervModel
from nerv.store.models.core import Cycle, Project, Task

__all__ = ["Learning", "Handoff", "SearchMeta", "SearchItem", "Embedding"]


class Learning(NervModel):
    id = TextField(primary_key=True)
    project = ForeignKeyField(Project, column_name="project_id", on_delete="CASCADE")
    number = IntegerField()
    text = TextField()
    tags = TextField(default="[]")
    task = ForeignKeyField(Task, column_name="task_id", null=True, on_delete="SET NULL")
    cycle = ForeignKeyField(Cycle, column_name="cycle_id", null=True, on_delete="SET NULL")
    agent = TextField(null=True)
    created_at = TextField()

    class Meta:
        table_name = "learnings"


class Handoff(NervModel):
    id = TextField(primary_key=True)
    project = ForeignKeyField(Project, column_name="project_id", on_delete="CASCADE")
    task = ForeignKeyField(Task, column_name="task_id", null=True, on_delete="SET NULL")
    text = TextField()
    next_steps = TextField(default="[]")
    files = TextField(default="[]")
    agent = TextField(null=True)
    session_id = TextField(null=True)
    created_at = TextField()

    class Meta:
        table_name = "handoffs"


class SearchMeta(NervModel):
    """Written only by triggers (generation) and the migration (instance)."""

    id = IntegerField(primary_key=True)
    generation = IntegerField(default=0)
    instance = TextField()

    class Meta:
        table_name = "search_meta"


class SearchItem(NervModel):
    """Written only by triggers and `nerv search reindex` (nerv.store.search_index)."""

    id = IntegerField(primary_key=True)
    kind = TextField()
    item_id = TextField()
    project_id = TextField()
    title = TextField()
    body = TextField()
    seq = IntegerField()

    class Meta:
        table_name = "search_items"


class Embedding(NervModel):
    kind = TextField()
    item_id = TextField()
    embedder = TextField()
    content_hash = TextField()
    dim = IntegerField()
    vector = BlobField()
    seq = IntegerField()
    created_at = TextField()

    class Meta:
        table_name = "embeddings"
        primary_key = CompositeKey("kind", "item_id", "embedder")
