"""What every hook event shares: opening the store, settings, audited writes, output. Stdlib only."""

from __future__ import annotations

import sys

from nerv import fastjson
from nerv.store import lookups


class HookStore:
    """The connection the hook uses; `close()` like nerv.store.db.Store. `reference` is where a decision reads
    rules, settings and projects: the connection itself here, the daemon's replica there (nerv.hook.replica)."""

    def __init__(self, conn):
        self.conn = conn
        self.reference = conn

    def close(self) -> None:
        self.conn.close()


def close_quietly(store: "HookStore | None") -> None:
    """Closing must not turn a decided answer into an error."""
    if store is not None:
        try:
            store.close()
        except Exception:
            pass


def decide_tool_event(raw: bytes, decide, fail, cached) -> int:
    """PreToolUse and PermissionRequest: read the event, open the store,
    `decide(conn, payload, tool, reference)` (reference: HookStore.reference).

    In team mode a decision made on the server keeps the local cache fresh (nerv.hook.cache), and when the
    server cannot be reached `cached(snapshot or None, payload, tool, reason)` decides from that cache. Any
    other failure, even an interrupt, goes to `fail(conn or None, reason)`, which answers as the event's
    failure mode says (never an allow). Always returns 0: a hook never breaks the agent's flow.
    """
    from nerv.hook import MalformedInput, read_payload, tool_name

    store, asked = None, False
    try:
        payload = read_payload(raw)
        tool = tool_name(payload)
        asked = True
        store = open_hook_store()
        decide(store.conn, payload, tool, store.reference)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            reason = "interrupted"
        elif isinstance(exc, MalformedInput):
            reason = f"malformed hook input: {exc}"
        else:
            reason = f"could not decide ({type(exc).__name__}: {exc})"
            if asked and _server_unreachable(exc):
                close_quietly(store)
                store = None
                why = str(getattr(exc, "message", exc)).strip().splitlines()
                _decide_from_cache(cached, payload, tool, f"the server is unreachable: {why[0] if why else ''}",
                                   fail)
                return 0
        if not asked:  # refused before the store was asked for: hook.on_error is still within reach
            store = store_for_settings()
        fail(store.conn if store else None, reason)
    else:
        _refresh_cache(store.conn)
    finally:
        close_quietly(store)
    return 0


def _server_unreachable(exc: BaseException) -> bool:
    from nerv.env import database_url

    if database_url() is None:
        return False
    from nerv.store.postgres import is_unreachable

    return is_unreachable(exc)


def _decide_from_cache(cached, payload: dict, tool: str, reason: str, fail) -> None:
    from nerv.env import database_url
    from nerv.hook import cache

    snapshot = None
    try:
        snapshot = cache.load(database_url())
        cached(snapshot, payload, tool, reason)
    except BaseException as exc:  # the cache is part of the problem: as without one
        fail(None, f"{reason}; the local cache could not answer ({type(exc).__name__}: {exc})")
    finally:
        if snapshot is not None:
            snapshot.close()


def _refresh_cache(conn) -> None:
    """Team mode: the local cache follows the server (nerv.hook.cache.keep_fresh); a failure here never changes
    the answer already given."""
    from nerv.store import dialect

    if dialect.name(conn) != dialect.POSTGRESQL:
        return  # a local file answers for itself: nothing to cache
    from nerv.env import database_url
    from nerv.hook import cache

    try:
        cache.keep_fresh(conn, database_url())
    except Exception as exc:
        warn(f"the local cache of the server's rules was not refreshed ({type(exc).__name__}: {exc})")


# Where the hook's handlers get their store, when not from a fresh connection: the hook daemon
# (nerv.hook.daemon) sets its pool here, so it runs the very handlers a hook process runs.
store_source = None


def open_hook_store() -> HookStore:
    """The store a hook event runs on: the daemon's pooled connection inside the daemon, else its own."""
    if store_source is not None:
        return store_source()
    return open_direct_store()


def store_for_settings() -> HookStore | None:
    """A store to read settings from when the event itself was unreadable: the daemon's pooled connection,
    else the ledger opened read-only (never created nor migrated); None when it cannot be opened."""
    try:
        if store_source is not None:
            return store_source()
        from nerv.store.fastpath import open_readonly_ledger

        conn = open_readonly_ledger()
        return HookStore(conn) if conn is not None else None
    except Exception:
        return None


def open_direct_store() -> HookStore:
    """An up-to-date database, cheaply: a plain open when the schema matches this nerv's migrations.

    Otherwise (first use, pending migrations, a newer schema, not a database) the full `open_store`
    creates, checks and migrates it, or raises the NervError the caller turns into `ask`.
    """
    from nerv.store.fastpath import open_current_ledger

    conn = open_current_ledger()
    if conn is not None:
        return HookStore(conn)
    from nerv.store.db import open_migrated_connection

    return HookStore(open_migrated_connection())


def setting(conn, key: str, project_id: str | None):
    from nerv import settings_keys  # needs typing: only paths that read a setting pay for it

    return lookups.effective_setting(conn, key, project_id, settings_keys.KNOWN[key].default)


# Before 0007 `ask` meant "answer `ask` for every unruled call", which is `strict` now; an older export
# imported as it is may still hold it.
LEGACY_MODES = {"ask": "strict"}


def hook_mode(conn, project_id: str | None) -> str:
    """hook.mode in force (nerv/settings_keys.py lists the modes): an unknown value is reported and the default
    applies."""
    from nerv import settings_keys

    spec = settings_keys.KNOWN["hook.mode"]
    value = setting(conn, "hook.mode", project_id)
    value = LEGACY_MODES.get(value, value)
    if value in spec.choices:
        return value
    warn(f"hook.mode {str(value)[:40]!r} is not one of {', '.join(spec.choices)}; {spec.default} applies")
    return spec.default


def agent_name() -> str | None:
    """The nerv agent running this Claude Code session: NERV_AGENT (`NERV_AGENT=agent-1 claude ...`)."""
    from nerv.env import nerv_agent

    return (nerv_agent() or "")[:200] or None


def on_error(conn) -> str:
    """hook.on_error, read even when the hook's own connection is unusable; its default when unreadable."""
    try:
        if conn is not None:
            return setting(conn, "hook.on_error", None)
        from nerv.env import database_url

        if database_url() is not None:
            return "ask"  # team mode, server unreachable: its setting is out of reach, and a local file never answers for it
        from nerv.store.db import open_readonly

        reader = open_readonly()
        try:
            return setting(reader, "hook.on_error", None)
        finally:
            reader.close()
    except Exception:
        return "ask"  # the database is part of the problem: the default applies


project_for_cwd = lookups.project_for_path


def caller_agent(payload: dict) -> str | None:
    """Who makes this call: NERV_AGENT, else a subagent's `agent_type`/`agent_id` from the payload, else None."""
    agent = agent_name() or payload.get("agent_type") or payload.get("agent_id")
    return agent if isinstance(agent, str) and agent else None


def actor(payload: dict) -> str:
    from nerv.store.audit import current_actor

    agent = caller_agent(payload)
    return current_actor(f"claude:{agent}" if agent else "claude-code")


def write(conn, body, payload: dict):
    """An audited write transaction (nerv.store.tx.write) attributed to the agent.

    Imported here, not at the top: the read-only fast path never pays for tx/audit/clock.
    """
    from nerv.store import tx

    return tx.write(conn, body, actor=actor(payload))


def text_field(payload: dict, key: str, limit: int = 4096) -> str | None:
    """A text field of the event, cut to `limit`; a NUL becomes U+FFFD (a PostgreSQL text holds none, and the
    fields that name something are refused with one: nerv.hook.read_payload)."""
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        return None
    value = value[:limit]
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def emit(document: dict) -> None:
    sys.stdout.write(fastjson.dumps(document, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def warn(message: str) -> None:
    sys.stderr.write(f"nerv hook: {message}\n")
