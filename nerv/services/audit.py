"""Reading and verifying the hash-chained audit log (`nerv audit ...`)."""

from __future__ import annotations

import json

from nerv.errors import invalid, not_found
from nerv.services import validate
from nerv.services.periods import parse_when
from nerv.services.audit_anchor import load_anchor
from nerv.store.db import Store
from nerv.store.models import AuditLog

LIST_LIMIT_MAX = 10_000


def _row(entry: AuditLog, *, decode: bool = True) -> dict:
    data = entry.to_dict()
    if decode:
        for key in ("before", "after"):
            data[key] = json.loads(data[key]) if data[key] else None
    return data


def list_entries(store: Store, *, entity: str | None = None, entity_id: str | None = None, actor: str | None = None,
                 since: str | None = None, limit: int = 50) -> list[dict]:
    """The newest matching audit rows first (at most `limit`)."""
    if not 1 <= limit <= LIST_LIMIT_MAX:
        raise invalid(f"--limit must be between 1 and {LIST_LIMIT_MAX}")
    query = AuditLog.select()
    if entity:
        query = query.where(AuditLog.entity == entity)
    if entity_id:
        matches = AuditLog.entity_id == entity_id
        if len(entity_id) <= validate.NAME_MAX:  # SQLite refuses a LIKE pattern past 50,000 bytes
            matches |= AuditLog.entity_id.startswith(entity_id)
        query = query.where(matches)
    if actor:
        query = query.where(AuditLog.actor == actor)
    bound = parse_when(since, store=store)
    if bound:
        query = query.where(AuditLog.ts >= bound)
    return [_row(e) for e in query.order_by(AuditLog.id.desc()).limit(limit)]


def show_entry(store: Store, entry_id: int) -> dict:
    """One audit row with its decoded before/after and its hashes."""
    validate.row_id(entry_id, "audit row number")
    entry = AuditLog.get_or_none(AuditLog.id == entry_id)
    if entry is None:
        raise not_found("audit row", entry_id, "list rows with `nerv audit list`")
    return _row(entry)


def verify(store: Store, *, against: str | None = None, replay: bool = False) -> dict:
    """Walk the whole chain: {ok, rows, head, first_broken: {id, problem} | None}, plus with `against`
    the anchor check ({source, id, hash, rows, problem}) and with `replay` the replay report
    (nerv.store.audit_replay). `ok` is true only when every check asked for passes."""
    anchor = load_anchor(against) if against else None
    report = store.read(lambda s: _checks(s, anchor, replay))
    report["ok"] = (report["first_broken"] is None and not (anchor and report["anchor"]["problem"])
                    and not (replay and not report["replay"]["ok"]))
    return report


def _checks(store: Store, anchor: dict | None, replay: bool) -> dict:
    report = store.audit.verify_chain()
    if anchor is not None:
        report["anchor"] = {**anchor, "problem": store.audit.check_anchor(anchor)}
    if replay:
        report["replay"] = store.audit.replay()
    return report
