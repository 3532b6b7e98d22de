"""Decisions (ADRs): numbered per project, with a small status machine and a supersede link.

    add       -> proposed (or any status given with --status, except superseded)
    accept    proposed | rejected | deprecated -> accepted
    supersede N --by M: N (not already superseded) -> superseded, N.superseded_by = M; a proposed M is
              accepted at the same time. `show M` lists what M supersedes (the reverse link).
"""

from __future__ import annotations

import re


from nerv.domain import vocabulary
from nerv.errors import conflict, invalid, not_found
from nerv.services import validate
from nerv.services.knowledge_links import optional_cycle, optional_task, project_for, task_brief
from nerv.services.refs import by_id_or_prefix
from nerv.store.clock import new_id
from nerv.store.db import Store
from nerv.store.models import Cycle, Decision, Project, Task

STATUSES = vocabulary.DECISION_STATUSES
SECTION_FIELDS = ("context", "decision", "consequences", "alternatives")
ACCEPTABLE_FROM = ("proposed", "rejected", "deprecated")
_NUMBER = re.compile(r"^(?:#|adr-?|d)?(\d{1,9})$", re.IGNORECASE)
_HEX = re.compile(r"^[0-9a-f]{4,32}$")


def decision_row(decision: Decision) -> dict:
    return {f.column_name: getattr(decision, f.column_name) for f in Decision._meta.sorted_fields}


def find_decision(project: Project, ref) -> Decision:
    """A decision by number (`7`, `#7`, `ADR-7`), full id or id prefix (4+ hex digits), within `project`."""
    text = str(ref if ref is not None else "").strip()
    if not text:
        raise invalid("decision reference must not be empty", "use its number, e.g. 7")
    number = _NUMBER.match(text)
    if number:
        found = Decision.get_or_none((Decision.project == project.id) & (Decision.number == int(number.group(1))))
        if found is None:
            raise not_found("decision", f"#{number.group(1)} in project {project.name}", "see `nerv decision list`")
        return found
    if not _HEX.match(text.lower()):
        raise invalid(f"{text[:40]!r} is not a decision reference", "use its number, an id or an id prefix")
    return by_id_or_prefix(Decision.select().where(Decision.project == project.id), Decision.id, text.lower(),
                           "decision", "see `nerv decision list`", lambda d: f"#{d.number} {d.title[:30]}")


def _clean_sections(values: dict) -> dict:
    return {field: validate.text(values.get(field), field) for field in SECTION_FIELDS}


def add_decision(store: Store, title: str, *, context: str | None = None, decision: str | None = None,
                 consequences: str | None = None, alternatives: str | None = None, status: str = "proposed",
                 task=None, cycle: int | None = None, project: str | None = None) -> dict:
    """Record a decision with the next number of the project. Returns its row."""
    title = validate.one_line(title, "title")
    status = validate.choice((status or "proposed").lower(), "status", STATUSES)
    if status == "superseded":
        raise invalid("a new decision cannot start as superseded",
                      "add it, then `nerv decision supersede N --by M` links both sides")
    sections = _clean_sections({"context": context, "decision": decision, "consequences": consequences,
                                "alternatives": alternatives})
    proj = project_for(store, project)
    linked_task = optional_task(store, task, proj)
    linked_cycle = optional_cycle(proj, cycle)

    def body(tx):
        row = {"id": new_id(), "project_id": proj.id, "number": tx.next_number("decision", proj.id), "title": title,
               **sections, "status": status, "superseded_by_id": None,
               "task_id": linked_task.id if linked_task else None,
               "cycle_id": linked_cycle.id if linked_cycle else None, "created_at": tx.now, "updated_at": tx.now}
        Decision.insert(row).execute()
        tx.audit("decision.add", "decision", row["id"], project_id=proj.id, after=row)
        return row

    return store.write(body)


def list_decisions(store: Store, *, status: str | None = None, project: str | None = None) -> list[dict]:
    """The project's decisions in number order (optionally one status)."""
    proj = project_for(store, project)
    query = Decision.select().where(Decision.project == proj.id)
    if status:
        query = query.where(Decision.status == validate.choice(status.lower(), "status", STATUSES))
    numbers = {d.id: d.number for d in Decision.select(Decision.id, Decision.number).where(Decision.project == proj.id)}
    rows = []
    for item in query.order_by(Decision.number):
        row = decision_row(item)
        row["superseded_by"] = numbers.get(item.superseded_by_id)
        rows.append(row)
    return rows


def show_decision(store: Store, ref, *, project: str | None = None) -> dict:
    """One decision with its links resolved: task, cycle, superseded_by and the decisions it supersedes."""
    proj = project_for(store, project)
    item = find_decision(proj, ref)
    row = decision_row(item)
    replacement = Decision.get_or_none(Decision.id == item.superseded_by_id) if item.superseded_by_id else None
    row["superseded_by"] = {"number": replacement.number, "title": replacement.title} if replacement else None
    row["supersedes"] = [{"number": d.number, "title": d.title} for d in
                         Decision.select().where(Decision.superseded_by == item.id).order_by(Decision.number)]
    row["task"] = task_brief(Task.get_or_none(Task.id == item.task_id)) if item.task_id else None
    cycle = Cycle.get_or_none(Cycle.id == item.cycle_id) if item.cycle_id else None
    row["cycle"] = cycle.number if cycle else None
    return row


def accept_decision(store: Store, ref, *, project: str | None = None) -> dict:
    """proposed/rejected/deprecated -> accepted. Raises conflict from accepted or superseded."""
    proj = project_for(store, project)
    target = find_decision(proj, ref)

    def body(tx):
        current = Decision.get_by_id(target.id)
        if current.status not in ACCEPTABLE_FROM:
            raise conflict(f"decision {current.number} is {current.status}; only "
                           f"{'/'.join(ACCEPTABLE_FROM)} decisions can be accepted")
        before = decision_row(current)
        Decision.update(status="accepted", updated_at=tx.now).where(Decision.id == current.id).execute()
        after = decision_row(Decision.get_by_id(current.id))
        tx.audit("decision.accept", "decision", current.id, project_id=proj.id, before=before, after=after)
        return after

    return store.write(body)


def supersede_decision(store: Store, ref, by, *, project: str | None = None) -> dict:
    """Mark decision `ref` superseded by `by` (both in the project); audit rows for both sides."""
    proj = project_for(store, project)
    old = find_decision(proj, ref)
    new = find_decision(proj, by)
    if old.id == new.id:
        raise invalid("a decision cannot supersede itself")

    def body(tx):
        old_now, new_now = Decision.get_by_id(old.id), Decision.get_by_id(new.id)
        if old_now.status == "superseded":
            raise conflict(f"decision {old_now.number} is already superseded")
        if new_now.status in ("superseded", "rejected", "deprecated"):
            raise conflict(f"decision {new_now.number} is {new_now.status}; it cannot replace another",
                           f"accept it first (`nerv decision accept {new_now.number}`)")
        old_before, new_before = decision_row(old_now), decision_row(new_now)
        Decision.update(status="superseded", superseded_by=new_now.id, updated_at=tx.now) \
            .where(Decision.id == old_now.id).execute()
        if new_now.status == "proposed":
            Decision.update(status="accepted", updated_at=tx.now).where(Decision.id == new_now.id).execute()
        old_after, new_after = decision_row(Decision.get_by_id(old.id)), decision_row(Decision.get_by_id(new.id))
        tx.audit("decision.supersede", "decision", old.id, project_id=proj.id, before=old_before, after=old_after)
        tx.audit("decision.supersedes", "decision", new.id, project_id=proj.id,
                 before={**new_before, "supersedes": None}, after={**new_after, "supersedes": old.id})
        return {"superseded": old_after, "by": new_after}

    return store.write(body)
