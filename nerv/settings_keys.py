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
    "tasks.default_lease": Key("string", "30m", "Lease given by `nerv task claim`/`heartbeat` without --lease "
                                                "(90s, 30m, 2h, 1d; 10s to 7d)."),
    "agents.stale_after": Key("string", "30m", "An agent holding work and unseen for this long is shown stale "
                                               "by `nerv agent list`."),
    "hook.mode": Key("string", "ask", "PreToolUse with no rule for an approval tool: `ask` (Claude Code prompts; "
                                      "the request is kept as history) or `queue` (wait for `nerv approval "
                                      "approve|deny`).", ("ask", "queue")),
    "hook.queue_timeout_s": Key("number", 600, "In queue mode, seconds to wait for a decision before denying."),
    "hook.approval_tools": Key("list", ["Bash", "Edit", "Write", "NotebookEdit", "WebFetch"],
                               "Tools whose calls without a matching rule become approval requests."),
    "hook.on_error": Key("string", "ask", "PreToolUse answer when the hook cannot decide (malformed input, "
                                          "unusable database, internal error): `ask` or `deny`.", ("ask", "deny")),
    "budget.enforce": Key("boolean", False, "With hooks installed, deny agent tool calls once a hard budget is "
                                            "exceeded (`nerv budget set`)."),
    "retention.metrics": Key("string", "90d", "`nerv prune` without --older-than deletes metrics older than this "
                                              "(Nh, Nd, Nw; `never` keeps them)."),
    "retention.usage": Key("string", "365d", "`nerv prune` default age for per-call token usage rows (`never` keeps them)."),
    "retention.approvals": Key("string", "90d", "`nerv prune` default age for decided approval requests "
                                                "(pending ones are never pruned; `never` keeps them)."),
    "retention.sessions": Key("string", "365d", "`nerv prune` default age for ended Claude sessions, with their "
                                                "usage rows (`never` keeps them)."),
    "search.embedder": Key("string", "hashing", "Embedder for semantic search: `hashing` (offline, built in), "
                                                "`model2vec:<local model>` or `sentence-transformers:<local model>`; "
                                                "changing it re-embeds lazily (docs/search.md)."),
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
