"""Which scope a command that acts on one project or on all of them uses (docs/cli.md, "Scope")."""

from __future__ import annotations

from nerv.store import lookups
from nerv.store.db import Store

scope_fields = lookups.scope_fields


def command_scope(store: Store, explicit: str | None = None, everywhere: bool = False) -> dict | None:
    """The project row the command acts on, or None for global (the rule is lookups.command_scope)."""
    return store.projects.command_scope(explicit, everywhere)
