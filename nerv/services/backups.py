"""Verified backups, safe restores, vacuum and integrity checks (`nerv db backup|restore|vacuum|integrity`)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from nerv.errors import NervError, usage
from nerv.rules.rows import reconcile as reconcile_rules, refuse_unparsable
from nerv.services import validate
from nerv.store import leftovers, migrate, paths
from nerv.store.sqlite_backup import inspect_copy, prepare_restore_copy, scratch_folder
from nerv.store.clock import now_iso
from nerv.store.db import Store, open_store
from nerv.store.sqlite import RESTORE_HINT, explain_failure

DB_SUFFIX, DUMP_SUFFIX = ".db", ".dump"  # a copy of the SQLite file; a pg_dump of the team's server


def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime())


def _default_name(suffix: str) -> re.Pattern:
    return re.compile(r"^state-(\d{8}-\d{6})(?:-(\d+))?" + re.escape(suffix) + "$")


def _default_destination(suffix: str = DB_SUFFIX) -> Path:
    folder = paths.ensure_private_dir(paths.backups_dir())
    base = f"state-{_stamp()}"
    dest, n = folder / f"{base}{suffix}", 1
    while dest.exists():  # two backups in one second keep both
        dest, n = folder / f"{base}-{n}{suffix}", n + 1
    return dest


def _check_destination(dest: Path) -> Path:
    if dest.is_dir():
        raise NervError("io", f"{dest} is a directory", "give a file name for the backup, e.g. DIR/state.db")
    if dest.exists() or dest.is_symlink():
        raise NervError("conflict", f"{dest} already exists; nerv never overwrites a backup",
                        "choose another name, or omit DEST for a time-stamped one")
    parent = dest.parent
    if not parent.is_dir():
        raise NervError("io", f"folder {parent} does not exist", "create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise NervError("io", f"folder {parent} is not writable", "choose a destination you can write to")
    return dest


def backup(store: Store, dest: str | Path | None = None, keep: int | None = None, *,
           full_check: bool = False) -> dict:
    """Copy the live database (one snapshot, online) and verify the copy before reporting it good.

    Verification: quick_check (integrity_check with `full_check`; `check` says which ran), the same
    schema version, the same row counts as the snapshot, and a valid audit chain. A copy that fails is deleted and NervError('integrity') raised. `keep` removes the
    oldest time-stamped backups (state-*.db) in the destination folder beyond that number.
    """
    if keep is not None and keep < 1:
        raise usage("--keep must be at least 1")
    if store.url is not None:
        return _server_backup(store, dest, keep)
    dest = _check_destination(validate.user_path(dest, "backup destination")) if dest else _default_destination()
    started = time.monotonic()
    try:
        snapshot = store.admin.snapshot_backup(dest)
    except OSError as exc:
        raise NervError("io", f"cannot write {dest}: {exc.strerror}") from exc
    report = inspect_copy(dest, full_check=full_check)
    problems = _compare(snapshot, report)
    if problems:
        dest.unlink(missing_ok=True)
        raise NervError("integrity", f"the backup failed verification: {'; '.join(problems)}",
                        "the copy was deleted; run `nerv db integrity` on the live database")
    removed = _rotate(dest.parent, keep) if keep else []
    return {"path": str(dest), "verified": True, "check": report["check"], "size_bytes": dest.stat().st_size,
            "schema_version": report["schema_version"], "rows": sum(report["counts"].values()),
            "counts": report["counts"], "audit_rows": report["audit_chain"]["rows"],
            "audit_head": report["audit_chain"].get("head"),
            "seconds": round(time.monotonic() - started, 3), "removed": removed}


def _server_backup(store: Store, dest: str | Path | None, keep: int | None) -> dict:
    """Team mode: `pg_dump --format=custom` to `dest` (written atomically), checked by `pg_restore --list`."""
    from nerv.store import postgres

    if dest:
        dest = _check_destination(validate.user_path(dest, "backup destination"))
    else:
        dest = _default_destination(DUMP_SUFFIX)
    started = time.monotonic()
    counts = store.admin.table_counts()
    try:
        postgres.dump_to(store.url, dest)
    except OSError as exc:
        raise NervError("io", f"cannot write {dest}: {exc.strerror}") from exc
    tables = postgres.dump_tables(dest, "db backup")
    missing = sorted(set(counts) - set(tables))
    if missing:
        dest.unlink(missing_ok=True)
        raise NervError("integrity", f"the dump lacks the data of {', '.join(missing[:5])}",
                        "the file was deleted; check the role's SELECT grants (docs/teams.md)")
    return {"path": str(dest), "verified": True, "check": "pg_restore --list", "format": "pg_dump custom",
            "size_bytes": dest.stat().st_size, "schema_version": store.admin.schema_version(),
            "rows": sum(counts.values()), "counts": counts, "audit_rows": counts.get("audit_log", 0),
            "audit_head": store.audit.chain_head(), "seconds": round(time.monotonic() - started, 3),
            "removed": _rotate(dest.parent, keep, DUMP_SUFFIX) if keep else []}


def _compare(snapshot: dict, report: dict) -> list[str]:
    problems = []
    if not report["integrity_ok"]:
        problems.append(f"{report['check']}: {report['integrity_check'][:3]}")
    if report["schema_version"] != snapshot["schema_version"]:
        problems.append(f"schema version {report['schema_version']} instead of {snapshot['schema_version']}")
    if report["counts"] != snapshot["counts"]:
        differing = sorted(n for n in set(report["counts"]) | set(snapshot["counts"])
                           if report["counts"].get(n) != snapshot["counts"].get(n))
        problems.append(f"row counts differ in {', '.join(differing)}")
    if not report["audit_chain"]["ok"]:
        problems.append(f"audit chain broken at row {report['audit_chain']['first_broken']['id']}")
    return problems


def _rotate(folder: Path, keep: int, suffix: str = DB_SUFFIX) -> list[str]:
    default_name = _default_name(suffix)

    def age(path: Path) -> tuple[str, int]:
        match = default_name.match(path.name)
        return match.group(1), int(match.group(2) or 0)

    candidates = sorted((p for p in folder.iterdir() if default_name.match(p.name) and p.is_file()), key=age)
    doomed = candidates[:-keep] if len(candidates) > keep else []
    for path in doomed:
        path.unlink(missing_ok=True)
    return [str(p) for p in doomed]


def safety_backup(store: Store, prefix: str) -> tuple[Path, dict]:
    """A copy of the current database taken before a destructive operation: NERV_HOME/backups/PREFIX-<time>.db
    (on PostgreSQL see _server_safety_copy)."""
    stamp = now_iso().replace(":", "").replace("-", "").replace(".", "")
    if store.url is not None:
        return _server_safety_copy(store, paths.ensure_private_dir(paths.backups_dir()) / f"{prefix}-{stamp}")
    path = paths.backups_dir() / f"{prefix}-{stamp}{DB_SUFFIX}"
    return path, store.admin.snapshot_backup(path)


def _server_safety_copy(store: Store, base: Path) -> tuple[Path, dict]:
    """A pg_dump (BASE.dump, for `nerv db restore --force`) when pg_dump is on PATH, else a full export
    (BASE.json, for `nerv import --mode replace`): a destructive command on the server never runs without one."""
    import shutil

    from nerv.store import postgres

    counts = store.admin.table_counts()
    snapshot = {"counts": counts, "schema_version": store.admin.schema_version()}
    if shutil.which("pg_dump"):
        path = base.with_name(base.name + DUMP_SUFFIX)
        postgres.dump_to(store.url, path)
        return path, snapshot
    from nerv.services.transfer import export_state

    path = base.with_name(base.name + ".json")
    export_state(store, output=path)
    return path, snapshot


def restore(store: Store | None, source: str | Path, *, yes: bool = False, force: bool = False,
            live: Path | None = None) -> dict:
    """Replace the live database with `source` after verifying it; a safety backup of the current state first.

    Refuses (database untouched) a file that is not SQLite, fails integrity_check, has a broken audit
    chain, holds approval rules that do not parse, or was migrated by a newer nerv. What is restored is a
    private copy of `source`, migrated to this schema and with the rules' derived columns recomputed
    (`rules_recomputed`), so the live database never holds the unchecked file. Audited.

    With `force` (which also confirms), a live file too damaged to be backed up or opened (`store` None)
    is moved aside instead (`corrupt_copy`, beside it, with its -wal/-shm) and the copy takes its place.
    """
    if not (yes or force):
        raise usage("restore replaces the whole database; add --yes to confirm",
                    "a safety backup of the current database is taken first")
    if store is not None and store.url is not None:
        return _server_restore(store, validate.user_path(source, "backup source"), force=force)
    live = Path(store.path if store is not None else live)
    source = validate.user_path(source, "backup source")
    report, pending = _verified_source(source, live)
    with scratch_folder(live, ".restore-") as scratch:
        prepared = scratch / "restore.db"
        migrated, recomputed = prepare_restore_copy(
            source, prepared, pending, lambda rules: reconcile_rules(rules, str(source), "restored"))
        safety_path, safety = _safety_or_damaged(store, force)
        if safety is None:
            if store is not None:
                store.close()
            corrupt_copy = _replace_damaged(live, prepared)
            store = open_store(live)
        else:
            store.admin.restore_from(prepared)
    after = {"source": str(source), "safety_backup": str(safety_path) if safety_path else None,
             "source_schema_version": report["schema_version"], "migrated": [m.version for m in migrated],
             "rows": sum(report["counts"].values()),
             "replaced_rows": sum(safety["counts"].values()) if safety else None,
             "rules_recomputed": [r["id"] for r in recomputed]}
    if safety is None:
        after["corrupt_copy"] = str(corrupt_copy)
    try:
        store.write(lambda tx: tx.audit("db.restore", "database", None, after=after))
        return {**after, "rules_recomputed": recomputed, "schema_version": store.admin.schema_version(),
                "audit_chain_ok": store.audit.verify_chain()["ok"]}
    finally:
        if safety is None:
            store.close()


def _server_restore(store: Store, source: Path, *, force: bool) -> dict:
    """Team mode: `pg_restore --clean` of a `nerv db backup` dump into a database that holds no state (any
    with `force`), in one transaction, after a safety dump; then migrated to this nerv and checked, the approval
    rules' derived columns recomputed in the audited transaction. A dump whose rules do not parse is refused
    before anything is written."""
    from nerv.store import postgres

    if not source.is_file():
        raise NervError("not_found", f"{source} does not exist or is not a file")
    tables = postgres.dump_tables(source, "db restore")
    if "audit_log" not in tables or "schema_migrations" not in tables:
        raise NervError("database", f"{source} is a pg_dump but not of a nerv ledger (no audit_log data)")
    refuse_unparsable(store.admin.dump_rules(source), str(source), "restored")
    if store.transfer.has_state() and not force:
        raise NervError("conflict",
                        "the database already holds a ledger; `db restore` on PostgreSQL fills an empty one",
                        "restore into a new database (createdb), or add --force to replace this one's content")
    safety_path, _ = safety_backup(store, "pre-restore")
    postgres.restore_dump(store.url, source)
    pending = store.admin.pending_migrations()
    migrated = store.admin.apply_migrations(pending) if pending else []
    chain = store.audit.verify_chain()
    if not chain["ok"]:
        raise NervError("integrity", f"{source} restored an audit chain broken at row {chain['first_broken']['id']}",
                        f"the previous content is in {safety_path} (`nerv db restore {safety_path} --force`)")
    counts = store.admin.table_counts()
    after = {"source": str(source), "safety_backup": str(safety_path), "migrated": [m.version for m in migrated],
             "rows": sum(counts.values()), "replaced_rows": None}

    def record(tx):
        # The dump holds the identity the replaced state had when it was taken: its vector cache must not pass.
        store.search.renew_instance(tx)
        recomputed = reconcile_rules(store.rules, str(source), "restored")  # on this transaction's connection
        tx.audit("db.restore", "database", None, after={**after, "rules_recomputed": [r["id"] for r in recomputed]})
        return recomputed

    recomputed = store.write(record)
    return {**after, "rules_recomputed": recomputed, "schema_version": store.admin.schema_version(), "audit_chain_ok": store.audit.verify_chain()["ok"]}


def _verified_source(source: Path, live: Path) -> tuple[dict, list]:
    """The inspection report of a backup fit to restore and its pending migrations; NervError otherwise."""
    if not source.exists():
        raise NervError("not_found", f"{source} does not exist")
    if source.is_dir():
        raise NervError("io", f"{source} is a directory, not a database backup")
    if source.resolve() == live.resolve():
        raise usage("the source is the live database itself")
    report = inspect_copy(source)
    if not report["integrity_ok"]:
        raise NervError("integrity", f"{source} fails integrity_check: {report['integrity_check'][:3]}",
                        "the database was left unchanged; try an older backup")
    if not report["applied"]:
        raise NervError("database", f"{source} is an SQLite file but not a nerv database (no migration history)")
    pending = migrate.check_plan(migrate.load_plan(), report["applied"])
    if not report["audit_chain"]["ok"]:
        broken = report["audit_chain"]["first_broken"]
        raise NervError("integrity", f"{source} has a broken audit chain at row {broken['id']}: {broken['problem']}",
                        "the backup was altered after it was taken; the database was left unchanged")
    return report, pending


def _safety_or_damaged(store: Store | None, force: bool) -> tuple[Path | None, dict | None]:
    """The safety backup of the live database; (None, None) when, with `force`, it is too damaged to copy."""
    if store is None:
        return None, None
    try:
        return safety_backup(store, "pre-restore")
    except Exception as exc:
        known = explain_failure(exc)
        if force and known is not None and known.code == "corrupt":
            return None, None
        raise


def _replace_damaged(live: Path, prepared: Path) -> Path:
    """Move the damaged live file (and its -wal/-shm) aside, put `prepared` in its place; the aside name."""
    aside = live.with_name(f"{live.name}.corrupt-{_stamp()}")
    n = 1
    while aside.exists():
        aside, n = live.with_name(f"{live.name}.corrupt-{_stamp()}-{n}"), n + 1
    os.replace(live, aside)
    for suffix in ("-wal", "-shm"):
        side = live.with_name(live.name + suffix)
        if side.exists():
            os.replace(side, aside.with_name(aside.name + suffix))
    os.replace(prepared, live)
    return aside


def vacuum(store: Store) -> dict:
    """Rebuild the file to drop free pages; report the size before and after."""
    store.require_local_file("db vacuum", "the server's autovacuum (or VACUUM run by its administrator) does this")
    before = _size(store.path)
    store.admin.vacuum()
    return {"path": str(store.path), "size_before": before, "size_after": _size(store.path)}


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def integrity(store: Store | None, *, live: Path | None = None) -> dict:
    """Full integrity_check, foreign_key_check and the audit chain; `ok` is False when any finds a problem.
    Stale temporary files of killed operations are removed on the way (`leftovers_removed`).

    A damaged file (integrity_check finds problems, or the damage stops a check) is `corrupt`, with the way
    out (`hint`). `store` None: the `live` file is too damaged to open as the store; its report is the
    integrity_check of a read-only open (no foreign keys, no audit chain)."""
    if store is None:
        from nerv.store.admin import damaged_file_integrity

        return {**damaged_file_integrity(Path(live)), "audit_chain": None, "leftovers_removed": [],
                "hint": RESTORE_HINT}
    store.require_local_file("db integrity", "`nerv audit verify` checks the audit chain on the server")
    result = store.admin.integrity()
    damaged = result["integrity_check"] != ["ok"]
    try:
        chain = store.audit.verify_chain()
    except NervError as err:
        if err.code != "corrupt":
            raise
        chain = {"ok": False, "rows": None, "head": None,
                 "first_broken": {"id": None, "problem": f"reading the log stopped: {err.message}"}}
        damaged = True
    if damaged:
        result = {**result, "corrupt": True, "hint": RESTORE_HINT}
    return {**result, "audit_chain": chain, "ok": result["ok"] and chain["ok"],
            "leftovers_removed": remove_leftovers(store.path)}


def remove_leftovers(db_file: Path) -> list[str]:
    """Stale temporary files and scratch folders (nerv.store.leftovers) beside the database, in the
    backups folder and in the search cache folder."""
    folders = {Path(db_file).resolve().parent, paths.backups_dir(), paths.nerv_home() / "search"}
    return [removed for folder in sorted(folders) for removed in leftovers.sweep(folder)]
