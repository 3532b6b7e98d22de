"""Models for the tables created by 0008_path_leases.sql."""

from __future__ import annotations

from peewee import AutoField, ForeignKeyField, TextField

from nerv.store.models.base import NervModel
from nerv.store.models.core import Project, Task

__all__ = ["PathLease"]


class PathLease(NervModel):
    """An agent's lease on gitignore-style paths (`pattern` relative to `anchor`); live while unreleased and
    unexpired. The hook reads this table with plain SQL (nerv.store.queries_leases)."""

    id = AutoField()
    project = ForeignKeyField(Project, column_name="project_id", on_delete="CASCADE")
    agent = TextField()
    task = ForeignKeyField(Task, column_name="task_id", null=True, on_delete="SET NULL")
    pattern = TextField()
    anchor = TextField()
    expires_at = TextField()
    created_at = TextField()
    released_at = TextField(null=True)

    class Meta:
        table_name = "path_leases"
