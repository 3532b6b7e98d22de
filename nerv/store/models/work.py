"""Models for the tables created by 0002_work_tracking.sql."""

from __future__ import annotations

from peewee import TextField

from nerv.store.models.base import NervModel

__all__ = ["Agent"]


class Agent(NervModel):
    """An agent seen by claims and heartbeats; `nerv agent list` adds agents seen only in sessions."""

    name = TextField(primary_key=True)
    first_seen_at = TextField()
    last_seen_at = TextField()
    last_heartbeat_at = TextField(null=True)
    last_action = TextField(null=True)

    class Meta:
        table_name = "agents"
