"""Small lookups shared by services and the stdlib-only hook path (no peewee here)."""

from __future__ import annotations

import os
import sqlite3

from nerv import fastjson
from nerv.errors import NervError, invalid, not_found, usage

_MISSING = object()


def project_for_path(conn: sqlite3.Connection, path: str | None) -> dict | None:
    """The project whose registered repo contains `path` (the deepest repo wins), or None.

    The one place a working directory is normalised: repos are registered by their real path, so a cwd
    reached through a symlink must be compared by its real path too, or the same call would find no project
    (and skip that project's budget, rules and leases).
    """
    if not path:
        return None
    path = os.path.realpath(path)
    row = conn.execute(
        "SELECT p.id, p.name, r.path FROM project_repos r JOIN projects p ON p.id = r.project_id"
        " WHERE r.path = ?1 OR substr(?1, 1, length(r.path) + 1) = r.path || '/'"
        " ORDER BY length(r.path) DESC LIMIT 1",
        (path,),
    ).fetchone()
    return {"id": row[0], "name": row[1], "repo_path": row[2]} if row else None


def stored_setting(conn: sqlite3.Connection, key: str, project_id: str | None):
    """The stored JSON value for `key` in one scope (None = global), or the _MISSING sentinel."""
    if project_id is None:
        row = conn.execute("SELECT value FROM settings WHERE project_id IS NULL AND key = ?", (key,)).fetchone()
    else:
        row = conn.execute("SELECT value FROM settings WHERE project_id = ? AND key = ?", (project_id, key)).fetchone()
    return fastjson.loads(row[0]) if row else _MISSING


def stored_values(conn: sqlite3.Connection, key: str) -> list:
    """Every stored value of `key`, global and per project (a hook timeout must cover the largest)."""
    values = []
    for (raw,) in conn.execute("SELECT value FROM settings WHERE key = ?", (key,)):
        try:
            values.append(fastjson.loads(raw))
        except (TypeError, ValueError):
            continue  # an unreadable value is the hook's problem (it falls back to the default), not ours
    return values


def effective_setting(conn: sqlite3.Connection, key: str, project_id: str | None, default=None):
    """Project value, else global value, else `default`."""
    if project_id is not None:
        value = stored_setting(conn, key, project_id)
        if value is not _MISSING:
            return value
    value = stored_setting(conn, key, None)
    return default if value is _MISSING else value


def has_budgets(conn: sqlite3.Connection) -> bool:
    """Whether any budget exists: the one question the PreToolUse budget guard asks on every tool call."""
    return conn.execute("SELECT 1 FROM budgets LIMIT 1").fetchone() is not None


CURRENT_PROJECT_KEY = "core.current_project"


def find_project(conn: sqlite3.Connection, ref: str) -> dict:
    """A project row by name, id, or unambiguous id prefix (4+ characters). Raises not_found / ambiguous."""
    ref = (ref or "").strip()
    if not ref:
        raise invalid("project reference must not be empty")
    columns = "id, name, goal, created_at, updated_at"
    row = conn.execute(f"SELECT {columns} FROM projects WHERE name = ?1 OR id = ?1", (ref,)).fetchone()
    if row is None and len(ref) >= 4:
        rows = conn.execute(f"SELECT {columns} FROM projects WHERE substr(id, 1, length(?1)) = ?1 LIMIT 2",
                            (ref.lower(),)).fetchall()
        if len(rows) > 1:
            raise NervError("ambiguous", f"project prefix {ref!r} matches several projects",
                            "type more characters of the id, or use the name")
        row = rows[0] if rows else None
    if row is None:
        raise not_found("project", repr(ref), "list projects with `nerv project list`")
    return dict(zip(("id", "name", "goal", "created_at", "updated_at"), row))


def current_project(conn: sqlite3.Connection, explicit: str | None = None, cwd: str | None = None) -> dict:
    """Resolve the project a command is about (the one definition of the order).

    `--project` > NERV_PROJECT > the registered repo containing the working directory (deepest wins) >
    the project chosen with `nerv project use` > an error saying how to pick one.
    """
    if explicit:
        return find_project(conn, explicit)
    env = os.environ.get("NERV_PROJECT")
    if env:
        return find_project(conn, env)
    found = project_for_path(conn, cwd or os.getcwd())
    if found:
        return find_project(conn, found["id"])
    chosen = effective_setting(conn, CURRENT_PROJECT_KEY, None)
    if chosen:
        try:
            return find_project(conn, chosen)
        except NervError:
            pass  # the chosen project was removed: fall through to the explanation
    raise NervError("not_found", "no current project",
                    "pass --project NAME, set NERV_PROJECT, run inside a registered repo (`nerv repo add`), "
                    "or choose one with `nerv project use NAME`")


def command_scope(conn: sqlite3.Connection, explicit: str | None = None, everywhere: bool = False) -> dict | None:
    """The scope of a command that acts on one project or on all of them (`rule add`, `budget set`, `cost`):
    `--project`, else the current project when one resolves, else global (None). `everywhere` is `--global`:
    global even inside a project's repo. A NERV_PROJECT naming no project is an error, never global."""
    if everywhere:
        if explicit:
            raise usage("--project and --global exclude each other")
        return None
    try:
        return current_project(conn, explicit)
    except NervError as err:
        if explicit or err.code != "not_found" or os.environ.get("NERV_PROJECT"):
            raise
        return None


def scope_fields(project: dict | None) -> dict:
    """How a result says which scope its command used: `scope` is `project` (then `scope_project` names it) or
    `global`."""
    return {"scope": "project" if project else "global", "scope_project": project["name"] if project else None}
