"""Handoffs: where work stopped (the last action, files and lines, next steps), and the resume brief."""

from __future__ import annotations

import json
import re

from nerv.errors import invalid
from nerv.services import validate
from nerv.services.knowledge_links import acting_agent, optional_task, project_for, task_brief
from nerv.services.tasks import held_task
from nerv.store.clock import new_id
from nerv.store.db import Store
from nerv.store.models import Handoff

STEPS_MAX = 50
FILES_MAX = 50
PATH_MAX = 1000
_FILE_LINE = re.compile(r"^(.*?):(\d{1,9})$")


def parse_file_ref(value: str) -> dict:
    """`PATH[:LINE]` -> {"path", "line"}; a trailing `:digits` is the line (Windows drive letters survive)."""
    text = validate.one_line(value, "file", max_len=PATH_MAX)
    match = _FILE_LINE.match(text)
    if match and match.group(1):
        line = int(match.group(2))
        if line < 1:
            raise invalid(f"line number in {text!r} must be 1 or more")
        return {"path": match.group(1), "line": line}
    return {"path": text, "line": None}


def save_handoff(store: Store, text: str, *, task=None, next_steps=None, files=None, agent: str | None = None,
                 project: str | None = None) -> dict:
    """Store a continue point. Without --task, the task the agent holds (if any) is used."""
    note = validate.text(text, "handoff text")
    if not note or not note.strip():
        raise invalid("the handoff text must not be empty", "say what was done last and where it stopped")
    steps = [validate.one_line(step, "next step", max_len=2000) for step in next_steps or []]
    refs = [parse_file_ref(value) for value in files or []]
    if len(steps) > STEPS_MAX or len(refs) > FILES_MAX:
        raise invalid(f"at most {STEPS_MAX} next steps and {FILES_MAX} files")
    who = acting_agent(agent)
    proj = project_for(store, project)
    linked = optional_task(store, task, proj) if task is not None else held_task(store, who, proj.id)

    def body(tx):
        row = {"id": new_id(), "project_id": proj.id, "task_id": linked.id if linked else None,
               "text": note.strip(), "next_steps": json.dumps(steps, ensure_ascii=False),
               "files": json.dumps(refs, ensure_ascii=False), "agent": who,
               "session_id": None, "created_at": tx.now}
        Handoff.insert(row).execute()
        tx.audit("handoff.save", "handoff", row["id"], project_id=proj.id, after=row)
        return {**row, "next_steps": steps, "files": refs, "task": task_brief(linked)}

    return store.write(body)


def show_handoff(store: Store, *, task=None, agent: str | None = None, project: str | None = None) -> dict:
    """The resume brief: the task (given, else held by the agent), its deps, last handoff, decisions, learnings.

    Returns the data and `brief`, the same text the SessionStart hook adds to an agent's context.
    """
    from nerv.domain.handoff_brief import format_brief

    proj = project_for(store, project)
    linked = optional_task(store, task, proj) if task is not None else held_task(store, acting_agent(agent), proj.id)
    data = store.sessions.resume_data(proj.id, linked.id if linked else None)
    return {"project": proj.name, **data, "brief": format_brief(data, proj.name)}
