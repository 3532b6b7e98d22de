"""The tamper-evident audit log: one row per state change, chained by hashes. Stdlib only.

Each row's hash covers a canonical JSON encoding of its id, content and the previous row's hash, so
editing, deleting, inserting or reordering a row breaks the chain at that point (`verify_chain`).
What a chain kept in the same file cannot show: the newest rows cut off the end, every row deleted, or the
whole chain rewritten by someone who can write the file. An anchor (`chain_head`, kept outside the
database) shows those: `check_anchor` requires the anchored row to still exist with its hash.

Append order is total: the head is read and the row appended in the caller's write transaction, which
holds the write lock from its start (BEGIN IMMEDIATE under SQLite; under PostgreSQL, whose writers run
at once, a transaction-scoped advisory lock taken before the head is read), and `id` is the primary key,
so two appenders that read the same head could not both commit on any backend.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sqlite3

GENESIS_HASH = "0" * 64
AUDIT_COLUMNS = ("id", "ts", "actor", "action", "entity", "entity_id", "project_id", "before", "after",
                 "prev_hash", "hash", "db_role")


def current_actor(agent: str | None = None) -> str:
    """`NERV_ACTOR`, else the agent acting, else the OS user."""
    actor = os.environ.get("NERV_ACTOR") or agent
    if actor:
        return actor
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


def encode_json(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def changed_fields(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Reduce before/after to the fields that differ (create and delete keep the whole row)."""
    if before is None or after is None:
        return before, after
    keys = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def row_hash(row: dict) -> str:
    content = [row["id"], row["ts"], row["actor"], row["action"], row["entity"], row["entity_id"],
               row["project_id"], row["before"], row["after"], row["prev_hash"]]
    if row.get("db_role") is not None:  # rows without one (every SQLite row) hash as they did before 0017
        content.append(row["db_role"])
    canonical = json.dumps(content, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(conn: sqlite3.Connection, *, ts: str, actor: str, action: str, entity: str, entity_id=None,
           project_id=None, before=None, after=None, with_role: bool = True) -> int:
    """Append one chained row. Must run inside the caller's write transaction (which serialises the chain).

    `with_role=False` leaves db_role out: the migrations' own rows, written before step 0017 made the column."""
    _serialise_chain(conn)
    db_role = _database_role(conn) if with_role else None
    last = _last_row(conn)
    before, after = changed_fields(before, after)
    row = {
        "id": (last[0] + 1) if last else 1,
        "ts": ts,
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "project_id": project_id,
        "before": encode_json(before),
        "after": encode_json(after),
        "prev_hash": last[1] if last else GENESIS_HASH,
        "db_role": db_role,
    }
    row["hash"] = row_hash(row)
    columns = [c for c in AUDIT_COLUMNS if c != "db_role" or db_role is not None]
    conn.execute(f"INSERT INTO audit_log ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})", row)
    return row["id"]


def _serialise_chain(conn) -> None:
    """PostgreSQL: wait for every other appender's transaction to end, so the head read next is the last."""
    from nerv.store import dialect

    if dialect.name(conn) == dialect.POSTGRESQL:
        from nerv.store import postgres

        postgres.lock_for_transaction(conn, postgres.AUDIT_CHAIN_LOCK)


def _database_role(conn) -> str | None:
    """Who the server knows the writer as (PostgreSQL's current_user), beside the actor it declares; None on
    SQLite, where a file has no roles."""
    from nerv.store import dialect

    if dialect.name(conn) == dialect.POSTGRESQL:
        from nerv.store import postgres

        return postgres.current_role(conn)
    return None


def _last_row(conn: sqlite3.Connection):
    return conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()


def chain_head(conn: sqlite3.Connection) -> dict | None:
    """The newest row's id and hash and the number of rows (None for an empty log): what an anchor records."""
    last = _last_row(conn)
    if last is None:
        return None
    rows = conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
    return {"id": last[0], "hash": last[1], "rows": rows}


def check_anchor(conn: sqlite3.Connection, anchor: dict) -> str | None:
    """Why the log no longer holds the anchored head (rewritten, truncated, emptied), or None when it does.

    Together with a valid chain this proves every row up to the anchor is the one anchored: each later
    row's prev_hash leads back to it.
    """
    row = conn.execute("SELECT hash FROM audit_log WHERE id = ?", (anchor["id"],)).fetchone()
    if row is None:
        rows = conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
        return (f"the anchored row {anchor['id']} is gone (the log has {rows} rows, the anchor counted "
                f"{anchor['rows']}): rows were cut off or deleted")
    if row[0] != anchor["hash"]:
        return (f"row {anchor['id']} has hash {row[0][:12]}…, the anchor says {anchor['hash'][:12]}…: "
                "the chain up to it was rewritten")
    rows = conn.execute("SELECT COUNT(*) FROM audit_log WHERE id <= ?", (anchor["id"],)).fetchone()[0]
    if rows != anchor["rows"]:
        return f"{rows} rows up to row {anchor['id']}, the anchor counted {anchor['rows']}"
    return None


def verify_chain(conn: sqlite3.Connection) -> dict:
    """Walk the whole log in id order. Returns {ok, rows, head, first_broken: {id, problem} | None}."""
    present = {column[0] for column in conn.execute("SELECT * FROM audit_log LIMIT 0").description}
    columns = [c for c in AUDIT_COLUMNS if c in present]  # a backup made before step 0017 has no db_role
    return verify_rows(columns, conn.execute(f"SELECT {', '.join(columns)} FROM audit_log ORDER BY id"))


def verify_rows(columns: list[str], rows) -> dict:
    """verify_chain of audit rows given as value tuples in id order, `columns` naming their values."""
    prev = GENESIS_HASH
    expected_id = None
    count = 0
    for values in rows:
        row = dict(zip(columns, values))
        count += 1
        problem = None
        if expected_id is not None and row["id"] != expected_id:
            problem = f"ids jump from {expected_id - 1} to {row['id']} (rows deleted or inserted)"
        elif row["prev_hash"] != prev:
            problem = "prev_hash does not match the previous row (a row was deleted, inserted or reordered)"
        elif row_hash(row) != row["hash"]:
            problem = "content does not match its hash (the row was edited)"
        if problem:
            return {"ok": False, "rows": count, "head": None, "first_broken": {"id": row["id"], "problem": problem}}
        prev = row["hash"]
        expected_id = row["id"] + 1
    head = {"id": expected_id - 1, "hash": prev, "rows": count} if count else None
    return {"ok": True, "rows": count, "head": head, "first_broken": None}


def verify_file_chain(path) -> dict:
    """`verify_chain` of the database file at `path` (a backup), opened read-only and closed again."""
    from nerv.store.sqlite import open_connection

    conn = open_connection(path, readonly=True)
    try:
        return verify_chain(conn)
    finally:
        conn.close()


def verify_dump_chain(path) -> dict:
    """`verify_chain` of the audit log in a PostgreSQL backup (a `nerv db backup` pg_dump) at `path`."""
    from nerv.store.postgres import dump_table_rows

    columns, rows = dump_table_rows(path, "audit_log", "audit verify --against")
    columns = [c for c in AUDIT_COLUMNS if c in columns]
    return verify_rows(columns, sorted((tuple(row[c] for c in columns) for row in rows), key=lambda r: r[0]))
