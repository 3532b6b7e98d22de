"""Models for 0007_claude_integration.sql: subagents, agent task spans, and the columns it adds to older tables."""

from __future__ import annotations

from peewee import AutoField, CompositeKey, ForeignKeyField, TextField

from nerv.store.models.base import NervModel
from nerv.store.models.core import ApprovalRequest, ClaudeSession, Task
from nerv.store.models.usage import Usage

__all__ = ["Subagent", "AgentTaskSpan"]

ApprovalRequest._meta.add_field("agent", TextField(null=True))
ApprovalRequest._meta.add_field("hook_event", TextField(null=True))
ApprovalRequest._meta.add_field("input_hash", TextField(null=True))
ClaudeSession._meta.add_field("agent_type", TextField(null=True))
ClaudeSession._meta.add_field("waiting_for", TextField(null=True))
ClaudeSession._meta.add_field("waiting_since", TextField(null=True))
Usage._meta.add_field("task", ForeignKeyField(Task, column_name="task_id", null=True, on_delete="SET NULL"))
Usage._meta.add_field("subagent_id", TextField(null=True))


class Subagent(NervModel):
    """A subagent of a Claude session (SubagentStart/Stop, or seen in `<session>/subagents/agent-<id>.jsonl`)."""

    session = ForeignKeyField(ClaudeSession, column_name="session_id", on_delete="CASCADE")
    agent_id = TextField()
    agent_type = TextField(null=True)
    transcript_path = TextField(null=True)
    status = TextField(default="active")
    started_at = TextField(null=True)
    ended_at = TextField(null=True)
    created_at = TextField()
    updated_at = TextField()

    class Meta:
        table_name = "subagents"
        primary_key = CompositeKey("session", "agent_id")


class AgentTaskSpan(NervModel):
    """When an agent held a task: written with each claim, release and status change (nerv.store.queries_tasks)."""

    id = AutoField()
    agent = TextField()
    task = ForeignKeyField(Task, column_name="task_id", on_delete="CASCADE")
    started_at = TextField()
    ended_at = TextField(null=True)

    class Meta:
        table_name = "agent_task_spans"
