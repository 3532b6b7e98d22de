"""The SQL behind `nerv export` and `nerv import`: scoped streaming reads, a staging database, bulk apply. Stdlib only.

Import never writes a row of the live database before the whole file has been loaded into a staging
database that carries the live schema (so SQLite itself checks NOT NULL, CHECK, UNIQUE and primary keys),
type-checked, and its audit chain verified. Applying is then `INSERT … SELECT` from the attached staging
file inside one write transaction with foreign keys deferred to a check just before COMMIT.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from nerv.errors import conflict, invalid
from nerv.store import audit as audit_log
from nerv.store import search_index
from nerv.store.schema_info import Table, fts_external_content_tables, quote, state_tables, unique_indexes_sql

AUDIT_TABLE = "audit_log"
PROJECTS_TABLE = "projects"
FETCH_BATCH = 2000
LOAD_BATCH = 5000

# typeof() results each affinity accepts once SQLite's own conversions have run.
ALLOWED_TYPES = {
    "integer": ("integer", "null"),
    "real": ("real", "integer", "null"),
    "text": ("text", "null"),
}


# ---- export ----------------------------------------------------------------------------------------

@dataclass
class ExportSection:
    table: Table
    where: str | None  # None: the whole table
    count: int = 0


def scope_filter(tables: dict[str, Table], name: str, seen: frozenset = frozenset()) -> str | None:
    """SQL condition selecting `name`'s rows that belong to project :project, or None (a global table).

    A row belongs to a project when it has a project_id, or references (through its foreign keys) a row
    that belongs to it; the projects table is filtered on its own id.
    """
    table = tables[name]
    if name == PROJECTS_TABLE:
        return "id = :project"
    if table.column("project_id"):
        return "project_id = :project"
    for fk in table.foreign_keys:
        if fk.parent in seen or fk.parent == name or fk.parent not in tables or len(fk.columns) != 1:
            continue
        parent_filter = scope_filter(tables, fk.parent, seen | {name})
        if parent_filter:
            return (f"{quote(fk.columns[0])} IN (SELECT {quote(fk.parent_columns[0])} FROM {quote(fk.parent)} "
                    f"WHERE {parent_filter})")
    return None


def export_sections(conn: sqlite3.Connection, project_id: str | None) -> list[ExportSection]:
    """Which tables and rows an export holds, with row counts (call inside the export's read transaction)."""
    tables = state_tables(conn)
    by_name = {t.name: t for t in tables}
    sections = []
    for table in tables:
        where = None
        if project_id is not None:
            where = scope_filter(by_name, table.name)
            if where is None:
                continue
        section = ExportSection(table, where)
        sql = f"SELECT count(*) FROM {quote(table.name)}" + (f" WHERE {where}" if where else "")
        section.count = conn.execute(sql, {"project": project_id}).fetchone()[0]
        sections.append(section)
    return sections


def iter_rows(conn: sqlite3.Connection, section: ExportSection, project_id: str | None) -> Iterator[list[tuple]]:
    """Rows of one section in primary-key order (stable documents), in batches so memory stays flat."""
    table = section.table
    order = ", ".join(quote(c) for c in table.primary_key) or "rowid"
    sql = (f"SELECT {', '.join(quote(c) for c in table.column_names)} FROM {quote(table.name)}"
           + (f" WHERE {section.where}" if section.where else "") + f" ORDER BY {order}")
    cursor = conn.execute(sql, {"project": project_id})
    while True:
        batch = cursor.fetchmany(FETCH_BATCH)
        if not batch:
            return
        yield batch


# ---- import: staging --------------------------------------------------------------------------------

@dataclass
class LoadedTable:
    table: Table
    columns: list[str]  # the columns the file supplied that the current schema has
    rows: int = 0
    dropped_columns: list[str] = field(default_factory=list)


class Staging:
    """A scratch database with the live schema's state tables, filled from the file before anything is applied."""

    def __init__(self, live: sqlite3.Connection, path: Path):
        self.path = path
        self.tables = {t.name: t for t in state_tables(live)}
        self.order = list(self.tables)
        self.conn = sqlite3.connect(str(path), isolation_level=None)
        # A scratch file: durability would only cost time; it is deleted after the import. The journal
        # stays (in memory) because a failed batch is rolled back to a savepoint to find the bad row.
        self.conn.execute("PRAGMA journal_mode = MEMORY")
        self.conn.execute("PRAGMA synchronous = OFF")
        for table in self.tables.values():
            self.conn.execute(table.create_sql)
            for index_sql in unique_indexes_sql(live, table.name):
                self.conn.execute(index_sql)
        self.loaded: dict[str, LoadedTable] = {}
        self.conn.execute("BEGIN")

    def close(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")
        self.conn.close()

    def finish_loading(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")

    def start_table(self, name: str, file_columns: list[str]) -> LoadedTable | None:
        """Prepare to load `name`; None when the current schema has no such table (the caller reports it)."""
        table = self.tables.get(name)
        if table is None:
            return None
        known = set(table.column_names)
        loaded = LoadedTable(table, [c for c in file_columns if c in known],
                             dropped_columns=[c for c in file_columns if c not in known])
        self.loaded[name] = loaded
        return loaded

    def load(self, loaded: LoadedTable, file_columns: list[str], batch: list, first_index: int, locate) -> None:
        """Insert one batch; on failure find the first bad row and raise an error naming it.

        `locate(index)` describes where row number `index` (1-based within the table) sits in the file.
        """
        rows = batch
        if loaded.columns != file_columns:
            keep = [file_columns.index(c) for c in loaded.columns]
            width = len(file_columns)
            rows = []
            for offset, row in enumerate(batch):
                if not isinstance(row, list) or len(row) != width:
                    raise invalid(f"{locate(first_index + offset)}: {loaded.table.name} row has "
                                  f"{len(row) if isinstance(row, list) else 'no'} values, the header lists {width}")
                rows.append([row[i] for i in keep])
        sql = (f"INSERT INTO {quote(loaded.table.name)} ({', '.join(quote(c) for c in loaded.columns)}) "
               f"VALUES ({', '.join('?' for _ in loaded.columns)})")
        self.conn.execute("SAVEPOINT batch")
        try:
            self.conn.executemany(sql, rows)
        except (sqlite3.Error, ValueError, TypeError, OverflowError):
            self.conn.execute("ROLLBACK TO batch")
            self.conn.execute("RELEASE batch")
            self._raise_for_first_bad_row(loaded, sql, rows, first_index, locate)
            raise
        self.conn.execute("RELEASE batch")
        loaded.rows += len(rows)

    def _raise_for_first_bad_row(self, loaded: LoadedTable, sql: str, rows: list, first_index: int, locate) -> None:
        self.conn.execute("SAVEPOINT probe")
        try:
            for offset, row in enumerate(rows):
                try:
                    if not isinstance(row, (list, tuple)):
                        raise TypeError("not a list")
                    self.conn.execute(sql, row)
                except (sqlite3.Error, ValueError, TypeError, OverflowError) as exc:
                    raise invalid(f"{locate(first_index + offset)}: {loaded.table.name} row "
                                  f"{_describe_row(loaded, row)}: {_explain(exc, loaded.table.name)}",
                                  "fix or remove that row; nothing was imported") from None
        finally:
            self.conn.execute("ROLLBACK TO probe")
            self.conn.execute("RELEASE probe")

    def check_types(self) -> None:
        """Refuse a value whose type the column cannot hold (e.g. text in an INTEGER column)."""
        for loaded in self.loaded.values():
            table = loaded.table
            checks = [(c, ALLOWED_TYPES[c.affinity]) for c in table.columns
                      if c.name in loaded.columns and c.affinity in ALLOWED_TYPES]
            if not checks or not loaded.rows:
                continue
            condition = " OR ".join(f"typeof({quote(c.name)}) NOT IN ({', '.join(repr(t) for t in allowed)})"
                                    for c, allowed in checks)
            names = ", ".join(quote(c) for c in table.column_names)
            bad = self.conn.execute(f"SELECT {names} FROM {quote(table.name)} WHERE {condition} LIMIT 1").fetchone()
            if bad:
                values = dict(zip(table.column_names, bad))
                column, allowed = next((c, a) for c, a in checks if _sqlite_type(values[c.name]) not in a)
                key = {k: values[k] for k in table.primary_key if k in values}
                raise invalid(f"{table.name} row {key}: column {column.name} holds "
                              f"{_sqlite_type(values[column.name])} {values[column.name]!r}, "
                              f"expected {column.declared_type or 'any'}",
                              "fix or remove that row; nothing was imported")

    def verify_audit_chain(self) -> dict:
        return audit_log.verify_chain(self.conn)

    def has_state_rows(self) -> bool:
        return any(l.rows for name, l in self.loaded.items() if name != AUDIT_TABLE)


def _sqlite_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "real"
    if isinstance(value, bytes):
        return "blob"
    return "text"


def _describe_row(loaded: LoadedTable, row) -> str:
    if not isinstance(row, (list, tuple)):
        return repr(row)[:80]
    values = dict(zip(loaded.columns, row))
    key = {k: values[k] for k in loaded.table.primary_key if k in values}
    return str(key) if key else repr(list(row))[:120]


def _explain(exc: BaseException, table: str) -> str:
    text = str(exc)
    if "UNIQUE constraint failed" in text:
        return f"duplicate id: {text.split(':', 1)[1].strip()} repeats a value another row in the file already has"
    if "NOT NULL constraint failed" in text:
        return f"missing value for {text.split(':', 1)[1].strip()}"
    if "CHECK constraint failed" in text:
        return f"a value breaks a constraint of the table ({text})"
    if "datatype mismatch" in text:
        return "the primary key must be an integer"
    if "bindings" in text or "not a list" in text:
        return "the row does not have one value per column of the table header"
    if isinstance(exc, (sqlite3.ProgrammingError, sqlite3.InterfaceError, TypeError, ValueError, OverflowError)):
        return f"a value cannot be stored in a column ({text})"
    return text


# ---- import: apply ----------------------------------------------------------------------------------

@dataclass
class ApplyReport:
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    conflicts: list[dict] = field(default_factory=list)
    deleted: dict[str, int] = field(default_factory=dict)
    audit: dict = field(default_factory=dict)


def attach(conn: sqlite3.Connection, staging_path: Path) -> None:
    conn.execute("ATTACH DATABASE ? AS staging", (str(staging_path),))


def detach(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("DETACH DATABASE staging")
    except sqlite3.Error:
        pass


def apply_replace(conn: sqlite3.Connection, staging: Staging) -> ApplyReport:
    """Replace every state table's rows (audit log included) with the staged ones. Call inside the write tx."""
    report = ApplyReport()
    conn.execute("PRAGMA defer_foreign_keys = ON")
    for name in reversed(staging.order):
        report.deleted[name] = conn.execute(f"SELECT count(*) FROM main.{quote(name)}").fetchone()[0]
        conn.execute(f"DELETE FROM main.{quote(name)}")
    for name in staging.order:
        loaded = staging.loaded.get(name)
        if loaded and loaded.rows:
            cols = ", ".join(quote(c) for c in loaded.columns)
            conn.execute(f"INSERT INTO main.{quote(name)} ({cols}) SELECT {cols} FROM staging.{quote(name)}")
        report.inserted[name] = loaded.rows if loaded else 0
    report.audit = {"mode": "replaced", "rows": report.inserted.get(AUDIT_TABLE, 0)}
    search_index.renew_instance(conn)
    _finish(conn)
    return report


def apply_merge(conn: sqlite3.Connection, staging: Staging, *, audit_is_full_chain: bool,
                conflict_sample: int = 20) -> ApplyReport:
    """Upsert staged rows by primary key (the file wins) and report rows that differed. Call inside the write tx."""
    report = ApplyReport()
    conn.execute("PRAGMA defer_foreign_keys = ON")
    target_has_state = any(
        conn.execute(f"SELECT 1 FROM main.{quote(n)} LIMIT 1").fetchone() for n in staging.order if n != AUDIT_TABLE)
    for name in staging.order:
        loaded = staging.loaded.get(name)
        if not loaded or not loaded.rows:
            continue
        if name == AUDIT_TABLE:
            report.audit = _merge_audit(conn, loaded, full_chain=audit_is_full_chain, target_has_state=target_has_state)
            continue
        _upsert_table(conn, loaded, report, conflict_sample)
    _finish(conn)
    return report


def _upsert_table(conn: sqlite3.Connection, loaded: LoadedTable, report: ApplyReport, sample: int) -> None:
    name = loaded.table.name
    cols = loaded.columns
    col_list = ", ".join(quote(c) for c in cols)
    key = [c for c in loaded.table.primary_key if c in cols]
    if not key:
        inserted = conn.execute(f"INSERT INTO main.{quote(name)} ({col_list}) SELECT {col_list} FROM staging.{quote(name)}"
                                f" EXCEPT SELECT {col_list} FROM main.{quote(name)}").rowcount
        report.inserted[name] = max(inserted, 0)
        return
    join = " AND ".join(f"s.{quote(k)} = m.{quote(k)}" for k in key)
    others = [c for c in cols if c not in key]
    same = " AND ".join(f"s.{quote(c)} IS m.{quote(c)}" for c in others) or "1"
    matched = conn.execute(f"SELECT count(*) FROM staging.{quote(name)} s JOIN main.{quote(name)} m ON {join}").fetchone()[0]
    differing_sql = (f"FROM staging.{quote(name)} s JOIN main.{quote(name)} m ON {join} WHERE NOT ({same})")
    differing = conn.execute(f"SELECT count(*) {differing_sql}").fetchone()[0]
    if differing:
        key_cols = ", ".join(f"s.{quote(k)}" for k in key)
        for row in conn.execute(f"SELECT {key_cols} {differing_sql} LIMIT {int(sample)}"):
            if len(report.conflicts) < sample:
                report.conflicts.append({"table": name, "key": dict(zip(key, row))})
    update = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in others)
    action = f"DO UPDATE SET {update}" if update else "DO NOTHING"
    try:
        conn.execute(f"INSERT INTO main.{quote(name)} ({col_list}) SELECT {col_list} FROM staging.{quote(name)} WHERE true"
                     f" ON CONFLICT ({', '.join(quote(k) for k in key)}) {action}")
    except sqlite3.IntegrityError as exc:
        raise conflict(f"{name}: a row of the file collides with a different existing row ({exc})",
                       "the same name/number belongs to another id here; import with --mode replace "
                       "or remove that row; nothing was imported") from None
    report.inserted[name] = loaded.rows - matched
    report.updated[name] = differing
    report.unchanged[name] = matched - differing


def _merge_audit(conn: sqlite3.Connection, loaded: LoadedTable, *, full_chain: bool, target_has_state: bool) -> dict:
    """Audit rows are copied as they are, so hashes stay valid; what cannot be chained is left out and reported."""
    if not full_chain:
        return {"mode": "skipped", "rows": loaded.rows,
                "reason": "a project export carries only that project's audit rows, which do not form a chain"}
    diverged = conn.execute("SELECT min(s.id) FROM staging.audit_log s JOIN main.audit_log m USING (id)"
                            " WHERE s.hash <> m.hash").fetchone()[0]
    cols = ", ".join(quote(c) for c in loaded.columns)
    if diverged is None:
        last = conn.execute("SELECT coalesce(max(id), 0) FROM main.audit_log").fetchone()[0]
        added = conn.execute(f"INSERT INTO main.audit_log ({cols}) SELECT {cols} FROM staging.audit_log WHERE id > ?"
                             " ORDER BY id", (last,)).rowcount
        return {"mode": "extended" if added else "already present", "rows": max(added, 0)}
    if not target_has_state:
        # A fresh home's log holds only its own migration records: adopt the file's history instead.
        conn.execute("DELETE FROM main.audit_log")
        conn.execute(f"INSERT INTO main.audit_log ({cols}) SELECT {cols} FROM staging.audit_log ORDER BY id")
        return {"mode": "adopted", "rows": loaded.rows}
    return {"mode": "skipped", "rows": loaded.rows, "diverges_at": diverged,
            "reason": "the file's audit history diverges from this database's; it was not merged "
                      "(`nerv import --mode replace` adopts it)"}


def _finish(conn: sqlite3.Connection) -> None:
    for name in fts_external_content_tables(conn):
        conn.execute(f"INSERT INTO {quote(name)}({quote(name)}) VALUES ('rebuild')")
    violation = conn.execute("PRAGMA main.foreign_key_check").fetchone()
    if violation:
        table, rowid, parent, fk_id = violation
        raise invalid(f"{describe_violation(conn, table, rowid, parent, fk_id)}",
                      "the row refers to something that is neither in the file nor in this database; nothing was imported")


def describe_violation(conn: sqlite3.Connection, table: str, rowid, parent: str, fk_id: int) -> str:
    fk_rows = [r for r in conn.execute(f"PRAGMA main.foreign_key_list({quote(table)})") if r[0] == fk_id]
    columns = [r[3] for r in sorted(fk_rows, key=lambda r: r[1])]
    from nerv.store.schema_info import describe_primary_key

    key_cols = describe_primary_key(conn, table)
    if rowid is None:
        return f"a {table} row refers to a missing {parent} row through {', '.join(columns)}"
    selected = ", ".join(quote(c) for c in key_cols + columns)
    values = conn.execute(f"SELECT {selected} FROM main.{quote(table)} WHERE rowid = ?", (rowid,)).fetchone()
    key = dict(zip(key_cols, values[:len(key_cols)]))
    refs = dict(zip(columns, values[len(key_cols):]))
    return f"{table} row {key}: {refs} refers to a {parent} row that does not exist (dangling reference)"
