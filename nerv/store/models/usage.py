"""Models for the tables created by 0004_sessions_costs.sql (usage, transcript bookkeeping, prices, budgets) and
0013_usage_daily.sql (the usage rollup)."""

from __future__ import annotations

from peewee import AutoField, CompositeKey, FloatField, ForeignKeyField, IntegerField, TextField

from nerv.store.models.base import NervModel
from nerv.store.models.core import ClaudeSession, Project

__all__ = ["TranscriptFile", "Usage", "UsageDaily", "ModelPrice", "Budget"]


class TranscriptFile(NervModel):
    id = AutoField()
    path = TextField(unique=True)
    size = IntegerField()
    mtime_ns = IntegerField()
    offset = IntegerField()
    first_line_hash = TextField(null=True)
    lines = IntegerField(default=0)
    skipped = IntegerField(default=0)
    imported_at = TextField()
    machine_id = TextField(null=True)

    class Meta:
        table_name = "transcript_files"


class Usage(NervModel):
    id = AutoField()
    session = ForeignKeyField(ClaudeSession, column_name="session_id", on_delete="CASCADE")
    project = ForeignKeyField(Project, column_name="project_id", null=True, on_delete="SET NULL")
    message_id = TextField(null=True)
    request_id = TextField(null=True)
    model = TextField(null=True)
    ts = TextField()
    cwd = TextField(null=True)
    is_sidechain = IntegerField(default=0)
    input_tokens = IntegerField(default=0)
    output_tokens = IntegerField(default=0)
    cache_write_5m_tokens = IntegerField(default=0)
    cache_write_1h_tokens = IntegerField(default=0)
    cache_read_tokens = IntegerField(default=0)
    cost_usd = FloatField(default=0)
    cost_known = IntegerField(default=1)
    source_file = ForeignKeyField(TranscriptFile, column_name="source_file_id", null=True, on_delete="SET NULL")
    line_offset = IntegerField(null=True)
    speed = TextField(null=True)
    inference_geo = TextField(null=True)
    web_search_requests = IntegerField(default=0)
    line_cost_usd = FloatField(null=True)
    token_cost_usd = FloatField(null=True)
    machine_id = TextField(null=True)  # nerv.machine: whose copy of the call this is

    class Meta:
        table_name = "usage"


class UsageDaily(NervModel):
    """Derived from usage by triggers (read by nerv.store.queries_costs); '' stands for a NULL key."""

    day = TextField()
    session_id = TextField()
    project_id = TextField()
    model = TextField()
    task_id = TextField()
    subagent_id = TextField()
    api_calls = IntegerField()
    input_tokens = IntegerField()
    output_tokens = IntegerField()
    cache_write_5m_tokens = IntegerField()
    cache_write_1h_tokens = IntegerField()
    cache_read_tokens = IntegerField()
    cost_nano = IntegerField()
    unpriced_calls = IntegerField()

    class Meta:
        table_name = "usage_daily"
        primary_key = CompositeKey("day", "session_id", "project_id", "model", "task_id", "subagent_id")


class ModelPrice(NervModel):
    model = TextField(primary_key=True)
    input = FloatField()
    output = FloatField()
    cache_write_5m = FloatField()
    cache_write_1h = FloatField()
    cache_read = FloatField()
    updated_at = TextField()

    class Meta:
        table_name = "model_prices"


class Budget(NervModel):
    id = AutoField()
    project = ForeignKeyField(Project, column_name="project_id", null=True, on_delete="CASCADE")
    period = TextField()
    limit_usd = FloatField()
    hard = IntegerField(default=1)
    created_at = TextField()
    updated_at = TextField()

    class Meta:
        table_name = "budgets"
