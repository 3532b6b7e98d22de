"""The read-only queue views (`task ready`, `task next`) without peewee.

Agents poll these between tool calls, so they skip the ORM (~35 ms of imports) and use the store's
hand-written ready query directly; everything that changes a task stays in nerv.services.tasks/claims.
"""

from __future__ import annotations

from nerv.errors import NervError
from nerv.store.db import Store


def ready_tasks(store: Store, project: str | None = None, limit: int | None = None) -> list[dict]:
    """Ready tasks in claim order: priority (0 first), then age (oldest first), then number."""
    project_id = store.projects.current(project)["id"]
    return store.tasks.ready_at(project_id, store.now(), limit)


def next_task(store: Store, project: str | None = None) -> dict:
    """The first ready task; NervError nothing_ready when the queue is empty."""
    rows = ready_tasks(store, project, limit=1)
    if not rows:
        raise NervError("nothing_ready", "no task is ready",
                        "see `nerv task list` for what is blocked or held, or add one with `nerv task add`")
    return rows[0]
