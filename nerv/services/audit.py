"""Reading and verifying the hash-chained audit log (`nerv audit ...`)."""

from __future__ import annotations

import json

from nerv.errors import invalid, not_found
from nerv.services.periods import parse_when
from nerv.store.audit import verify_chain
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
        query = query.where((AuditLog.entity_id == entity_id) | AuditLog.entity_id.startswith(entity_id))
    if actor:
        query = query.where(AuditLog.actor == actor)
    bound = parse_when(since)
    if bound:
        query = query.where(AuditLog.ts >= bound)
    return [_row(e) for e in query.order_by(AuditLog.id.desc()).limit(limit)]


def show_entry(store: Store, entry_id: int) -> dict:
    """One audit row with its decoded before/after and its hashes."""
    entry = AuditLog.get_or_none(AuditLog.id == entry_id)
    if entry is None:
        raise not_found("audit row", entry_id, "list rows with `nerv audit list`")
    return _row(entry)


def verify(store: Store) -> dict:
    """Walk the whole chain: {ok, rows, first_broken: {id, problem} | None}."""
    return verify_chain(store.conn)
