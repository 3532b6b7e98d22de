"""What every hook event shares: opening the store, settings, audited writes, output. Stdlib only."""

from __future__ import annotations

import json
import os
import sys

from nerv.store import lookups


class HookStore:
    """The connection the hook uses; `close()` like nerv.store.db.Store."""

    def __init__(self, conn):
        self.conn = conn

    def close(self) -> None:
        self.conn.close()


def close_quietly(store: "HookStore | None") -> None:
    """Closing must not turn a decided answer into an error."""
    if store is not None:
        try:
            store.close()
        except Exception:
            pass


def open_hook_store() -> HookStore:
    """An up-to-date database, cheaply: a plain open when the schema matches this nerv's migrations.

    Otherwise (first use, pending migrations, a newer schema, not a database) the full `open_store`
    creates, checks and migrates it, or raises the NervError the caller turns into `ask`.
    """
    from nerv.store.fastpath import open_current

    conn = open_current()
    if conn is not None:
        return HookStore(conn)
    from nerv.store.db import open_store

    return HookStore(open_store().conn)


def setting(conn, key: str, project_id: str | None):
    from nerv import settings_keys  # needs typing: only paths that read a setting pay for it

    return lookups.effective_setting(conn, key, project_id, settings_keys.KNOWN[key].default)


def project_for_cwd(conn, cwd: str | None) -> dict | None:
    if not cwd:
        return None
    return lookups.project_for_path(conn, os.path.realpath(cwd))


def actor(payload: dict) -> str:
    from nerv.store.audit import current_actor

    agent = payload.get("agent_type") or payload.get("agent_id")
    return current_actor(f"claude:{agent}" if isinstance(agent, str) and agent else "claude-code")


def write(conn, body, payload: dict):
    """An audited write transaction (nerv.store.tx.write) attributed to the agent.

    Imported here, not at the top: the read-only fast path never pays for tx/audit/clock.
    """
    from nerv.store import tx

    return tx.write(conn, body, actor=actor(payload))


def text_field(payload: dict, key: str, limit: int = 4096) -> str | None:
    value = payload.get(key)
    return value[:limit] if isinstance(value, str) and value else None


def emit(document: dict) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def warn(message: str) -> None:
    sys.stderr.write(f"nerv hook: {message}\n")
