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
    "database",  # the database file cannot be used (not SQLite, a directory, locked for too long)
    "corrupt",  # the database file is damaged (SQLite reports corruption): restore a backup
    "disk_full",  # the disk (or the file system quota) is full: nothing was written
    "permission",  # the operating system refused access to a file or folder (EACCES, EPERM, SQLITE_CANTOPEN)
    "read_only",  # a write to a file, folder or mount that is read-only (EROFS, SQLITE_READONLY)
    "needs_migration",  # a read-only database older than this nerv: migrating it needs a write
    "schema_newer",  # the database was migrated by a newer nerv
    "migration",  # the migration plan or a migration failed
    "integrity",  # a check found corruption or a broken audit chain
    "io",  # a file could not be read or written
    "not_applicable",  # a command about a local SQLite file run against a team's PostgreSQL server
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


# errno -> (code, hint) for the operating-system failures that have a code of their own.
_OS_FAILURES = {
    "ENOSPC": ("disk_full", "free space on that disk (or raise the quota), then retry; nothing was written"),
    "EDQUOT": ("disk_full", "free space on that disk (or raise the quota), then retry; nothing was written"),
    "EACCES": ("permission", "check the owner and permissions of the file and of its folder"),
    "EPERM": ("permission", "check the owner and permissions of the file and of its folder"),
    "EROFS": ("read_only", "the file system is mounted read-only: read commands work, writes need a writable copy"),
}


def from_os_error(exc: OSError, what: str = "") -> NervError | None:
    """The NervError an OSError means when it has a code of its own (disk full, permission, read-only), else None."""
    import errno

    name = errno.errorcode.get(exc.errno or 0, "")
    if name not in _OS_FAILURES:
        return None
    code, hint = _OS_FAILURES[name]
    target = what or exc.filename or "a file"
    return NervError(code, f"cannot use {target}: {exc.strerror or name}", hint)
