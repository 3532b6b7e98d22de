"""What the live schema holds, discovered from the database itself (never a hard-coded table list). Stdlib only.

Export, import and checkpoints must cover tables other issues add later, so they ask the database:
`sqlite_master` for tables, `PRAGMA table_info` for columns and `PRAGMA foreign_key_list` for references,
and order tables so every parent comes before its children. On PostgreSQL the same from its catalogs.

DERIVED_TABLES names tables that are not state but can be rebuilt from state (caches, denormalised
totals, bookkeeping). Export skips them and import leaves them alone. A module that adds such a table
adds its name here (docs/data-safety.md explains the rule). FTS virtual tables and their shadow tables
are skipped automatically.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from nerv.store import dialect

DERIVED_TABLES: set[str] = {
    # The receiving database's own history: it says what *that* file went through.
    "schema_migrations",
    # The search index (0006): triggers on tasks/decisions/learnings/handoffs refill it as rows are
    # imported, and embeddings are a cache keyed by content hash that `nerv search` recomputes.
    "search_meta",
    "search_items",
    "embeddings",
    # 0009: the items a write transaction changed, emptied before its COMMIT.
    "search_pending",
    # 0009: per-project number counters; triggers keep each at least the highest number inserted, so
    # imported and restored rows raise them as they arrive.
    "project_counters",
    # 0013: the usage rollup; its triggers fill it as imported usage rows arrive.
    "usage_daily",
    # 0015: set and emptied inside one import transaction (the rollup's insert trigger stands aside).
    "usage_rollup_paused",
    # 0020 (PostgreSQL): the version of the rows the hook decides from, bumped by their triggers.
    "hook_state",
}


@dataclass(frozen=True)
class Column:
    name: str
    declared_type: str
    not_null: bool
    default: str | None
    pk_position: int  # 0: not part of the primary key

    @property
    def affinity(self) -> str:
        """SQLite's type affinity rules (section 3.1 of its datatype documentation)."""
        declared = self.declared_type.upper()
        if "INT" in declared:
            return "integer"
        if any(word in declared for word in ("CHAR", "CLOB", "TEXT")):
            return "text"
        if not declared or "BLOB" in declared or "BYTEA" in declared:
            return "blob"
        if any(word in declared for word in ("REAL", "FLOA", "DOUB")):
            return "real"
        return "numeric"


@dataclass(frozen=True)
class ForeignKey:
    id: int
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]


@dataclass
class Table:
    name: str
    columns: list[Column]
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    create_sql: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def primary_key(self) -> list[str]:
        keyed = sorted((c for c in self.columns if c.pk_position), key=lambda c: c.pk_position)
        return [c.name for c in keyed]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def state_table_names(conn: sqlite3.Connection) -> list[str]:
    """Tables that hold state: not SQLite's own, not virtual or their shadow tables, not derived."""
    from nerv.store.admin import user_tables

    return [name for name in user_tables(conn) if name not in DERIVED_TABLES]


def describe(conn: sqlite3.Connection, name: str, schema: str = "main") -> Table:
    if dialect.name(conn) == dialect.POSTGRESQL:
        return _describe_postgresql(conn, name)
    columns = [Column(r[1], r[2] or "", bool(r[3]), r[4], r[5])
               for r in conn.execute(f"PRAGMA {schema}.table_info({quote(name)})")]
    sql = conn.execute(f"SELECT sql FROM {schema}.sqlite_master WHERE type='table' AND name=?", (name,)).fetchone()
    table = Table(name, columns, create_sql=sql[0] if sql else "")
    grouped: dict[int, list] = {}
    for row in conn.execute(f"PRAGMA {schema}.foreign_key_list({quote(name)})"):
        grouped.setdefault(row[0], []).append(row)
    for fk_id, rows in sorted(grouped.items()):
        rows.sort(key=lambda r: r[1])
        parent = rows[0][2]
        parent_columns = tuple(r[4] for r in rows)
        if any(c is None for c in parent_columns):
            # REFERENCES parent with no column list means the parent's primary key.
            parent_columns = tuple(describe_primary_key(conn, parent, schema))
        table.foreign_keys.append(ForeignKey(fk_id, tuple(r[3] for r in rows), parent, parent_columns))
    return table


def _describe_postgresql(conn, name: str) -> Table:
    """`describe` from PostgreSQL's catalogs; `create_sql` stays empty (import stages into SQLite's own schema)."""
    keyed = dict(conn.execute(
        "SELECT a.attname, k.position FROM pg_catalog.pg_index i"
        " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)"
        " JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
        " WHERE i.indrelid = to_regclass(?) AND i.indisprimary", (quote(name),)).fetchall())
    columns = [Column(column, declared.upper(), nullable == "NO", default, keyed.get(column, 0))
               for column, declared, nullable, default in conn.execute(
                   "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns"
                   " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position", (name,))]
    table = Table(name, columns)
    for fk_id, (parent, child_columns, parent_columns) in enumerate(conn.execute(
            "SELECT c.confrelid::regclass::text,"
            " array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o) JOIN pg_catalog.pg_attribute a"
            "  ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o),"
            " array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, o) JOIN pg_catalog.pg_attribute a"
            "  ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o)"
            " FROM pg_catalog.pg_constraint c WHERE c.contype = 'f' AND c.conrelid = to_regclass(?)"
            " ORDER BY c.conname", (quote(name),))):
        table.foreign_keys.append(ForeignKey(fk_id, tuple(child_columns), parent.strip('"'), tuple(parent_columns)))
    return table


def describe_primary_key(conn: sqlite3.Connection, name: str, schema: str = "main") -> list[str]:
    rows = [r for r in conn.execute(f"PRAGMA {schema}.table_info({quote(name)})") if r[5]]
    return [r[1] for r in sorted(rows, key=lambda r: r[5])] or ["rowid"]


def state_tables(conn: sqlite3.Connection) -> list[Table]:
    """Every state table, parents before children (self references and cycles are left to deferred FKs)."""
    tables = {name: describe(conn, name) for name in state_table_names(conn)}
    return [tables[name] for name in dependency_order(tables)]


def dependency_order(tables: dict[str, Table]) -> list[str]:
    parents = {name: {fk.parent for fk in t.foreign_keys if fk.parent != name and fk.parent in tables}
               for name, t in tables.items()}
    ordered: list[str] = []
    placed: set[str] = set()
    while len(ordered) < len(tables):
        ready = sorted(n for n in tables if n not in placed and parents[n] <= placed)
        if not ready:
            # A reference cycle between tables: take the rest alphabetically; import defers FK checks to commit.
            ready = sorted(n for n in tables if n not in placed)
        for name in ready:
            ordered.append(name)
            placed.add(name)
    return ordered


def unique_indexes_sql(conn: sqlite3.Connection, table: str, schema: str = "main") -> list[str]:
    """CREATE UNIQUE INDEX statements of an SQLite `table` (implicit autoindexes have no SQL and need none)."""
    rows = conn.execute(f"SELECT sql FROM {schema}.sqlite_master WHERE type='index' AND tbl_name=? AND sql IS NOT NULL",
                        (table,))
    return [r[0] for r in rows if r[0].upper().startswith("CREATE UNIQUE")]


def fts_external_content_tables(conn: sqlite3.Connection) -> list[str]:
    """FTS5 tables indexing another table's content: they can be rebuilt after a bulk import (none on PostgreSQL)."""
    if dialect.name(conn) == dialect.POSTGRESQL:
        return []
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type='table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")
    found = []
    for name, sql in rows:
        lowered = sql.lower().replace(" ", "")
        if "fts5" in lowered and "content=" in lowered and "content=''" not in lowered and 'content=""' not in lowered:
            found.append(name)
    return found
