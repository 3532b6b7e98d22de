"""The one error family. Services raise these; `nerv.cli.app.main` turns them into output and exit codes.

Stdlib only: the hook path uses it too.
"""

from __future__ import annotations

# The closed list of error codes (documented in docs/cli.md). Adding one is an API change.
CODES = {
    "usage",  # bad command line (exit 2)
    "invalid",  # a value that does not pass validation
    "not_found",  # an id, number or name that does not exist
    "ambiguous",  # a prefix or name matching several things
    "conflict",  # the operation contradicts the current state (duplicate, forbidden transition, held task...)
    "nothing_ready",  # a queue operation found nothing to take
    "database",  # the database file cannot be used (not SQLite, directory, read-only, locked for too long)
    "schema_newer",  # the database was migrated by a newer nerv
    "migration",  # the migration plan or a migration failed
    "integrity",  # a check found corruption or a broken audit chain
    "io",  # a file could not be read or written
    "hook_check_failed",  # an installed hook command did not answer when run as Claude Code runs it
    "internal",  # a bug in nerv: reported with a hint to rerun with --debug
}


class NervError(Exception):
    """A failure the user can understand and act on."""

    def __init__(self, code: str, message: str, hint: str | None = None, exit_code: int = 1, details=None):
        if code not in CODES:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.exit_code = exit_code
        self.details = details

    def to_dict(self) -> dict:
        out = {"code": self.code, "message": self.message, "hint": self.hint}
        if self.details is not None:
            out["details"] = self.details
        return out


def invalid(message: str, hint: str | None = None) -> NervError:
    return NervError("invalid", message, hint)


def not_found(what: str, ref, hint: str | None = None) -> NervError:
    return NervError("not_found", f"{what} {ref!s} not found", hint)


def conflict(message: str, hint: str | None = None, details=None) -> NervError:
    return NervError("conflict", message, hint, details=details)


def usage(message: str, hint: str | None = None) -> NervError:
    return NervError("usage", message, hint, exit_code=2)
