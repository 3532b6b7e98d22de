"""Known settings: key -> (type, default, description). Stdlib only (the hook reads defaults from here).

docs/settings.md documents the same keys; tests/cli/test_settings.py checks the two agree. A key not
listed here is refused unless it is namespaced `x.*` (free-form, for users' own scripts).
"""

from __future__ import annotations

from typing import NamedTuple


class Key(NamedTuple):
    type: str  # string | integer | number | boolean | list | object
    default: object
    description: str
    choices: tuple = ()


KNOWN: dict[str, Key] = {
    "core.current_project": Key("string", None, "Project used when no --project, NERV_PROJECT or repo applies "
                                                "(set by `nerv project use`)."),
}


def validate(key: str, value):
    """Return the value if it fits the key's type; raise ValueError with a readable reason otherwise."""
    if key.startswith("x.") and len(key) > 2:
        return value
    spec = KNOWN.get(key)
    if spec is None:
        raise KeyError(key)
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "list": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    if value is not None and not checks[spec.type](value):
        raise ValueError(f"{key} takes a {spec.type}, got {type(value).__name__}")
    if spec.choices and value not in spec.choices:
        raise ValueError(f"{key} must be one of {', '.join(map(str, spec.choices))}")
    return value
