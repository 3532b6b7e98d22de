"""Learnings: short notes of what was found out, numbered per project, optionally tied to a task and cycle.

A learning without --cycle joins the project's active cycle, if there is one, so a cycle's retro sees it.
"""

from __future__ import annotations

import json

from peewee import JOIN

from nerv.errors import invalid
from nerv.services import validate
from nerv.services.knowledge_links import (acting_agent, active_cycle, optional_cycle, optional_task, project_for)
from nerv.store.clock import new_id
from nerv.store.db import Store
from nerv.store.models import Cycle, Learning, Task

TAG_MAX = 50
TAGS_MAX = 20


def _clean_tags(tags) -> list[str]:
    cleaned = []
    for tag in tags or []:
        tag = validate.one_line(tag, "tag", max_len=TAG_MAX)
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > TAGS_MAX:
        raise invalid(f"{len(cleaned)} tags given; the limit is {TAGS_MAX}")
    return cleaned


def learning_row(item: Learning) -> dict:
    row = {f.column_name: getattr(item, f.column_name) for f in Learning._meta.sorted_fields}
    row["tags"] = json.loads(item.tags)
    return row


def add_learning(store: Store, text: str, *, task=None, cycle: int | None = None, tags=None,
                 agent: str | None = None, project: str | None = None) -> dict:
    """Record a learning with the project's next number. Returns its row (tags as a list)."""
    body_text = validate.text(text, "learning")
    if not body_text or not body_text.strip():
        raise invalid("the learning text must not be empty")
    clean_tags = _clean_tags(tags)
    who = acting_agent(agent)
    proj = project_for(store, project)
    linked_task = optional_task(store, task, proj)
    linked_cycle = optional_cycle(proj, cycle) if cycle is not None else active_cycle(proj)

    def body(tx):
        return insert_learning(tx, proj.id, body_text, tags=clean_tags, agent=who,
                               task_id=linked_task.id if linked_task else None,
                               cycle_id=linked_cycle.id if linked_cycle else None)

    return store.write(body)


def insert_learning(tx, project_id: str, text: str, *, tags: list[str], agent: str | None,
                    task_id: str | None, cycle_id: str | None) -> dict:
    """Write one learning (validated text) with the project's next number, audited, inside `tx`."""
    number = tx.next_number("learning", project_id)
    row = {"id": new_id(), "project_id": project_id, "number": number, "text": text.strip(),
           "tags": json.dumps(tags, ensure_ascii=False), "task_id": task_id, "cycle_id": cycle_id,
           "agent": agent, "created_at": tx.now}
    Learning.insert(row).execute()
    tx.audit("learning.add", "learning", row["id"], project_id=project_id, after=row)
    return {**row, "tags": tags}


def list_learnings(store: Store, *, cycle: int | None = None, task=None, tag: str | None = None,
                   limit: int = 200, project: str | None = None) -> list[dict]:
    """The project's learnings, newest first, with task and cycle numbers resolved."""
    validate.int_in_range(limit, "limit", 1, 100_000)
    proj = project_for(store, project)
    query = (Learning.select(Learning, Task.number.alias("task_number"), Cycle.number.alias("cycle_number"))
             .join(Task, join_type=JOIN.LEFT_OUTER, on=(Learning.task == Task.id))
             .switch(Learning).join(Cycle, join_type=JOIN.LEFT_OUTER, on=(Learning.cycle == Cycle.id))
             .where(Learning.project == proj.id))
    if cycle is not None:
        query = query.where(Learning.cycle == optional_cycle(proj, cycle).id)
    if task is not None:
        query = query.where(Learning.task == optional_task(store, task, proj).id)
    rows = []
    for item in query.order_by(Learning.number.desc()).objects():
        row = learning_row(item)
        if tag is not None and tag not in row["tags"]:
            continue
        row["task_number"], row["cycle_number"] = item.task_number, item.cycle_number
        rows.append(row)
        if len(rows) >= limit:
            break
    return rows
