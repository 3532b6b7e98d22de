"""Columns added by 0003_approvals_hooks.sql to tables owned by core.py (added here, not by editing core.py)."""

from __future__ import annotations

from peewee import TextField

from nerv.store.models.core import ApprovalRequest, ApprovalRule

__all__: list[str] = []

ApprovalRule._meta.add_field("literal_prefix", TextField(null=True))
ApprovalRequest._meta.add_field("suggested_rule", TextField(null=True))
ApprovalRequest._meta.add_field("tool_use_id", TextField(null=True))
