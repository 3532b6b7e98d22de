"""Typed settings: a project value overrides the global one, which overrides the built-in default."""

from __future__ import annotations

import json

from nerv import settings_keys
from nerv.errors import invalid, not_found
from nerv.services import hook_install
from nerv.services.projects import find_project, scope_id
from nerv.store import lookups
from nerv.store.db import Store
from nerv.store.models import Setting


def parse_value(raw: str):
    """Values are JSON (`true`, `3`, `"text"`, `[1,2]`); a bare word that is not JSON is taken as a string."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        if raw.strip() and raw.strip()[0] in '[{"':
            raise invalid(f"value {raw[:80]!r} is not valid JSON")
        return raw


def _check_key(key: str, value):
    try:
        return settings_keys.validate(key, value)
    except KeyError:
        raise invalid(f"unknown setting {key!r}",
                      "see `nerv settings list` for the known keys; use an `x.` prefix for your own") from None
    except ValueError as err:
        raise invalid(str(err)) from None


def get_setting(store: Store, key: str, project_ref: str | None = None) -> dict:
    if key not in settings_keys.KNOWN and not key.startswith("x."):
        _check_key(key, None)
    project_id = scope_id(project_ref)
    if project_id is None and project_ref is None:
        from nerv.services.projects import optional_current_project

        current = optional_current_project(store)
        project_id = current.id if current else None
    spec = settings_keys.KNOWN.get(key)
    for scope, pid in (("project", project_id), ("global", None)):
        if scope == "project" and pid is None:
            continue
        value = store.settings.stored(key, pid)
        if value is not lookups._MISSING:
            return {"key": key, "value": value, "source": scope, "project_id": pid}
    if spec is None:
        raise not_found("setting", key)
    return {"key": key, "value": spec.default, "source": "default", "project_id": None}


def effective(store: Store, key: str, project_id: str | None):
    """The value in force for a project (used by services)."""
    spec = settings_keys.KNOWN.get(key)
    return store.settings.effective(key, project_id, spec.default if spec else None)


def set_setting(store: Store, key: str, value, project_ref: str | None = None) -> dict:
    """Store a typed value. Raises invalid (unknown key, wrong type, NaN/Infinity, out of bounds), not_found
    (project), conflict (a queue wait the installed PreToolUse hook would cut short)."""
    value = _check_key(key, value)
    if key == hook_install.QUEUE_KEY and value is not None:
        hook_install.check_queue_timeout(float(value))
    project_id, said = _scope(project_ref)
    encoded = json.dumps(value, ensure_ascii=False)

    def body(tx):
        scope = (Setting.project == project_id) if project_id else Setting.project.is_null()
        existing = Setting.get_or_none(scope & (Setting.key == key))
        before = json.loads(existing.value) if existing else None
        if existing:
            Setting.update(value=encoded, updated_at=tx.now).where(Setting.id == existing.id).execute()
        else:
            Setting.insert(project=project_id, key=key, value=encoded, updated_at=tx.now).execute()
        tx.audit("settings.set", "setting", key, project_id=project_id,
                 before={"value": before} if existing else None, after={"value": value})
        return {"key": key, "value": value, "project_id": project_id, **said}

    return store.write(body)


def unset_setting(store: Store, key: str, project_ref: str | None = None) -> dict:
    project_id, said = _scope(project_ref)

    def body(tx):
        scope = (Setting.project == project_id) if project_id else Setting.project.is_null()
        existing = Setting.get_or_none(scope & (Setting.key == key))
        if not existing:
            raise not_found("setting", key + (" for this project" if project_id else " (global)"))
        Setting.delete().where(Setting.id == existing.id).execute()
        tx.audit("settings.unset", "setting", key, project_id=project_id, before={"value": json.loads(existing.value)})
        return {"key": key, "project_id": project_id, "removed": True, **said}

    return store.write(body)


def _scope(project_ref: str | None) -> tuple[str | None, dict]:
    """The project id `--project` names (None: global) and how the result says which scope it wrote
    (services/scope.py)."""
    from nerv.services.scope import scope_fields

    project = find_project(project_ref) if project_ref else None
    return (project.id if project else None), scope_fields({"name": project.name} if project else None)


def list_settings(store: Store, project_ref: str | None = None) -> list[dict]:
    """Every known key with its value in force, plus stored `x.*` keys."""
    project_id = scope_id(project_ref)
    stored = {}
    for row in Setting.select().where(Setting.project.is_null() | (Setting.project == project_id)):
        scope = "project" if row.project_id else "global"
        if row.key not in stored or scope == "project":
            stored[row.key] = (json.loads(row.value), scope)
    rows = []
    for key in sorted(set(settings_keys.KNOWN) | set(stored)):
        spec = settings_keys.KNOWN.get(key)
        value, source = stored.get(key, (spec.default if spec else None, "default"))
        rows.append({"key": key, "value": value, "source": source,
                     "type": spec.type if spec else "any", "description": spec.description if spec else ""})
    return rows
