"""Input checks shared by services: one wording for one mistake."""

from __future__ import annotations

import re

from nerv.errors import invalid

_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tabs and newlines allowed

NAME_MAX = 200
TITLE_MAX = 500
TEXT_MAX = 100_000


def one_line(value: str | None, field: str, *, max_len: int = TITLE_MAX, required: bool = True) -> str | None:
    """A name or title: stripped, non-empty (if required), no control characters, at most `max_len` chars."""
    if value is None:
        if required:
            raise invalid(f"{field} is required")
        return None
    value = value.strip()
    if not value:
        if required:
            raise invalid(f"{field} must not be empty")
        return None
    if len(value) > max_len:
        raise invalid(f"{field} is {len(value):,} characters long; the limit is {max_len:,}")
    if _CONTROL_IN_LINE.search(value):
        raise invalid(f"{field} contains control characters", "use plain text on one line")
    return value


def has_control(value: str) -> bool:
    """True when `value` holds a control character (newline included): not a one-line reference."""
    return bool(_CONTROL_IN_LINE.search(value))


def text(value: str | None, field: str, *, max_len: int = TEXT_MAX) -> str | None:
    """Free text (descriptions, notes): may span lines; no NUL or other control characters."""
    if value is None:
        return None
    if len(value) > max_len:
        raise invalid(f"{field} is {len(value):,} characters long; the limit is {max_len:,}")
    if _CONTROL_IN_TEXT.search(value):
        raise invalid(f"{field} contains control characters")
    return value


def int_in_range(value: int, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(f"{field} must be an integer from {low} to {high}, got {value!r}")
    return value


ROW_ID_MAX = 2**63 - 1  # SQLite's largest integer: a larger one cannot even be bound to a query


def row_id(value: int, field: str) -> int:
    """A row id or number as typed by a user: 1 to SQLite's largest integer."""
    return int_in_range(value, field, 1, ROW_ID_MAX)


def choice(value: str, field: str, choices) -> str:
    if value not in choices:
        raise invalid(f"{field} {value!r} is not one of: {', '.join(choices)}")
    return value


def user_path(value: str, field: str = "path"):
    """A path as a person types it, `~` and `~user` expanded; an unknown user or a NUL byte is bad input."""
    from pathlib import Path

    if "\x00" in value:
        raise invalid(f"{field} contains a NUL byte", "no file name can hold one")
    try:
        return Path(value).expanduser()
    except RuntimeError as exc:  # Path.expanduser: "Could not determine home directory."
        raise invalid(f"{field} {value[:200]!r}: {exc}", "use an absolute path, or ~ for your own home") from None
