"""`store.projects` and `store.settings`: which project a call is about, and the settings in force. Stdlib only."""

from __future__ import annotations

from nerv.store import admin, lookups
from nerv.store.area import Area


class ProjectArea(Area):
    def for_path(self, path: str | None) -> dict | None:
        """The project whose path or repo holds `path` (nerv.store.lookups.project_for_path)."""
        return lookups.project_for_path(self._conn, path)

    def current(self, explicit: str | None = None, cwd: str | None = None) -> dict:
        """The one definition of "the current project" (nerv.store.lookups.current_project)."""
        return lookups.current_project(self._conn, explicit, cwd)

    def command_scope(self, explicit: str | None = None, everywhere: bool = False) -> dict | None:
        """The project a project-or-global command acts on, None for global (nerv.store.lookups.command_scope)."""
        return lookups.command_scope(self._conn, explicit, everywhere)

    def find(self, ref: str) -> dict:
        return lookups.find_project(self._conn, ref)

    def references(self, project_id: str) -> dict[str, dict[str, int]]:
        """Rows of other tables that point at the project, by table and column."""
        return admin.references_to(self._conn, "projects", project_id)


class SettingArea(Area):
    def effective(self, key: str, project_id: str | None, default=None):
        """The value in force: the project's, else the global one, else `default`."""
        return lookups.effective_setting(self._conn, key, project_id, default)

    def stored(self, key: str, project_id: str | None):
        """The value stored for this scope, or nerv.store.lookups' missing marker."""
        return lookups.stored_setting(self._conn, key, project_id)

    def stored_values(self, key: str) -> list:
        """Every scope's stored value of `key`."""
        return lookups.stored_values(self._conn, key)
