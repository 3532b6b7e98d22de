"""The closed lists of words commands accept (statuses, groupings): stdlib only, so that shell completion
offers them without importing the services that validate them."""

from __future__ import annotations

RULE_ACTIONS = ("deny", "ask", "allow")  # evaluation order
TASK_STATUSES = ("todo", "in_progress", "review", "blocked", "done", "cancelled")
DECISION_STATUSES = ("proposed", "accepted", "rejected", "deprecated", "superseded")
APPROVAL_STATUSES = ("pending", "approved", "denied", "expired", "abandoned", "all")
COST_GROUPINGS = ("day", "week", "month", "project", "model", "session", "task", "cycle", "agent", "subagent")
COST_MODES = ("auto", "calculate", "display")
COST_BREAKDOWNS = ("model",)
TASK_TYPES = ("task", "feature", "bug", "chore", "spike", "docs", "epic")
TASK_DEP_TYPES = ("blocks", "related")
