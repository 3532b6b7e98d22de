"""Models for the tables created by 0005_data_safety.sql."""

from __future__ import annotations

from peewee import ForeignKeyField, IntegerField, TextField

from nerv.store.models.base import NervModel
from nerv.store.models.core import Project

__all__ = ["Checkpoint"]


class Checkpoint(NervModel):
    """A snapshot of one project's state; `snapshot` is JSON written and read by nerv.services.checkpoints."""

    id = TextField(primary_key=True)
    project = ForeignKeyField(Project, column_name="project_id", on_delete="CASCADE")
    number = IntegerField()
    name = TextField(null=True)
    reason = TextField(null=True)
    kind = TextField(default="manual")
    snapshot = TextField()
    created_by = TextField()
    created_at = TextField()

    class Meta:
        table_name = "checkpoints"
