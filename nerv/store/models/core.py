"""Models for the tables created by 0001_initial.sql. Timestamps are ISO text (see nerv.store.clock)."""

from __future__ import annotations

from peewee import (AutoField, CompositeKey, FloatField, ForeignKeyField, IntegerField, TextField)

from nerv.store.models.base import NervModel

__all__ = ["Project", "ProjectRepo", "Cycle", "Task", "TaskDep", "ClaudeSession", "ApprovalRule",
           "ApprovalRequest", "Decision", "Metric", "AuditLog", "Setting"]


class Project(NervModel):
    id = TextField(primary_key=True)
    name = TextField(unique=True)
    goal = TextField(null=True)
    created_at = TextField()
    updated_at = TextField()

    class Meta:
        table_name = "projects"


class ProjectRepo(NervModel):
    id = TextField(primary_key=True)
    project = ForeignKeyField(Project, column_name="project_id", on_delete="CASCADE", backref="repos")
    name = TextField()
    path = TextField(unique=True)
    created_at = TextField()

    class Meta:
        table_name = "project_repos"


class Cycle(NervModel):
    id = TextField(primary_key=True)
    project = ForeignKeyField(Project, column_name="project_id", on_delete="CASCADE")
    number = IntegerField()
    goal = TextField()
    status = TextField(default="active")
    learnings = TextField(null=True)
    started_at = TextField()
    closed_at = TextField(null=True)

    class Meta:
        table_name = "cycles"


class Task(NervModel):
    id = TextField(primary_key=True)
    project = ForeignKeyField(Project, column_name="project_id", on_delete="CASCADE")
    number = IntegerField()
    cycle = ForeignKeyField(Cycle, column_name="cycle_id", null=True, on_delete="SET NULL")
    parent = ForeignKeyField("self", column_name="parent_id", null=True, on_delete="SET NULL")
    title = TextField()
    description = TextField(null=True)
    type = TextField(default="task")
    status = TextField(default="todo")
    priority = IntegerField(default=2)
    assignee = TextField(null=True)
    lease_expires_at = TextField(null=True)
    status_reason = TextField(null=True)
    created_at = TextField()
    updated_at = TextField()
    started_at = TextField(null=True)
    completed_at = TextField(null=True)

    class Meta:
        table_name = "tasks"


class TaskDep(NervModel):
    task = ForeignKeyField(Task, column_name="task_id", on_delete="CASCADE")
    depends_on = ForeignKeyField(Task, column_name="depends_on_id", on_delete="CASCADE")
    type = TextField(default="blocks")
    created_at = TextField()

    class Meta:
        table_name = "task_deps"
        primary_key = CompositeKey("task", "depends_on")


class ClaudeSession(NervModel):
    id = TextField(primary_key=True)
    project = ForeignKeyField(Project, column_name="project_id", null=True, on_delete="SET NULL")
    task = ForeignKeyField(Task, column_name="task_id", null=True, on_delete="SET NULL")
    agent = TextField(null=True)
    model = TextField(null=True)
    cwd = TextField(null=True)
    source = TextField(null=True)
    end_reason = TextField(null=True)
    transcript_path = TextField(null=True)
    status = TextField(default="active")
    started_at = TextField(null=True)
    ended_at = TextField(null=True)
    last_activity_at = TextField(null=True)
    input_tokens = IntegerField(default=0)
    output_tokens = IntegerField(default=0)
    cache_write_tokens = IntegerField(default=0)
    cache_read_tokens = IntegerField(default=0)
    cost_usd = FloatField(default=0)
    created_at = TextField()
    updated_at = TextField()

    class Meta:
        table_name = "claude_sessions"


class ApprovalRule(NervModel):
    id = AutoField()
    project = ForeignKeyField(Project, column_name="project_id", null=True, on_delete="CASCADE")
    tool = TextField()
    pattern = TextField(null=True)
    rule = TextField()
    action = TextField()
    reason = TextField(null=True)
    source = TextField(default="cli")
    created_at = TextField()

    class Meta:
        table_name = "approval_rules"


class ApprovalRequest(NervModel):
    id = AutoField()
    project = ForeignKeyField(Project, column_name="project_id", null=True, on_delete="SET NULL")
    session_id = TextField(null=True)
    task = ForeignKeyField(Task, column_name="task_id", null=True, on_delete="SET NULL")
    tool = TextField()
    tool_input = TextField()
    cwd = TextField(null=True)
    mode = TextField(default="ask")
    status = TextField(default="pending")
    decided_by = TextField(null=True)
    decided_at = TextField(null=True)
    reason = TextField(null=True)
    rule = ForeignKeyField(ApprovalRule, column_name="rule_id", null=True, on_delete="SET NULL")
    created_at = TextField()

    class Meta:
        table_name = "approval_requests"


class Decision(NervModel):
    id = TextField(primary_key=True)
    project = ForeignKeyField(Project, column_name="project_id", on_delete="CASCADE")
    number = IntegerField()
    title = TextField()
    context = TextField(null=True)
    decision = TextField(null=True)
    consequences = TextField(null=True)
    alternatives = TextField(null=True)
    status = TextField(default="proposed")
    superseded_by = ForeignKeyField("self", column_name="superseded_by_id", null=True, on_delete="SET NULL")
    task = ForeignKeyField(Task, column_name="task_id", null=True, on_delete="SET NULL")
    cycle = ForeignKeyField(Cycle, column_name="cycle_id", null=True, on_delete="SET NULL")
    created_at = TextField()
    updated_at = TextField()

    class Meta:
        table_name = "decisions"


class Metric(NervModel):
    id = AutoField()
    project = ForeignKeyField(Project, column_name="project_id", null=True, on_delete="SET NULL")
    name = TextField()
    value = FloatField()
    unit = TextField(null=True)
    task = ForeignKeyField(Task, column_name="task_id", null=True, on_delete="SET NULL")
    session_id = TextField(null=True)
    meta = TextField(null=True)
    recorded_at = TextField()

    class Meta:
        table_name = "metrics"


class AuditLog(NervModel):
    """Read-only for services: rows are appended only by nerv.store.audit.append (the hash chain)."""

    id = IntegerField(primary_key=True)
    ts = TextField()
    actor = TextField()
    action = TextField()
    entity = TextField()
    entity_id = TextField(null=True)
    project_id = TextField(null=True)
    before = TextField(null=True)
    after = TextField(null=True)
    prev_hash = TextField()
    hash = TextField(unique=True)
    db_role = TextField(null=True)  # the database role that wrote it (PostgreSQL's current_user); NULL on SQLite

    class Meta:
        table_name = "audit_log"


class Setting(NervModel):
    id = AutoField()
    project = ForeignKeyField(Project, column_name="project_id", null=True, on_delete="CASCADE")
    key = TextField()
    value = TextField()
    updated_at = TextField()

    class Meta:
        table_name = "settings"
