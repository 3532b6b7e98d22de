"""Known settings: key -> (type, default, description). Stdlib only (the hook reads defaults from here).

docs/settings.md documents the same keys; tests/cli/test_settings.py checks the two agree. A key not
listed here is refused unless it is namespaced `x.*` (free-form, for users' own scripts).
"""

from __future__ import annotations

import math


class Key:
    """One setting. A plain class, not a NamedTuple: importing typing costs the hook ~3 ms on every tool
    call no rule decides (it reads hook.mode there)."""

    __slots__ = ("type", "default", "description", "choices", "bounds")

    def __init__(self, type: str, default: object, description: str, choices: tuple = (), bounds: tuple = ()):
        self.type = type  # string | integer | number | boolean | list | object
        self.default = default
        self.description = description
        self.choices = choices
        self.bounds = bounds  # (minimum, maximum), both inclusive, for integer and number keys


KNOWN: dict[str, Key] = {
    "core.current_project": Key("string", None, "Project used when no --project, NERV_PROJECT or repo applies "
                                                "(set by `nerv project use`)."),
    "tasks.default_lease": Key("string", "30m", "Lease given by `nerv task claim`/`heartbeat` without --lease "
                                                "(90s, 30m, 2h, 1d; 10s to 7d)."),
    "agents.stale_after": Key("string", "30m", "An agent holding work and unseen for this long is shown stale "
                                               "by `nerv agent list`."),
    "hook.mode": Key("string", "observe", "What nerv does with a call no rule decides: `observe` (no opinion: "
                                          "Claude Code decides; its permission prompts become approval requests), "
                                          "`off` (no opinion, nothing recorded), `queue` (wait for `nerv approval "
                                          "approve|deny`), `strict` (answer `ask`); queue and strict override "
                                          "Claude Code's own allows for the approval tools (docs/hooks.md).",
                     ("off", "observe", "queue", "strict")),
    "hook.queue_timeout_s": Key("number", 600, "In queue mode, seconds to wait for a decision before denying "
                                               "(0 to 86400; below the installed PreToolUse hook timeout).",
                                bounds=(0, 86400)),
    "hook.approval_tools": Key("list", ["Bash", "Edit", "Write", "NotebookEdit", "WebFetch"],
                               "Tools whose unruled calls `queue` and `strict` modes hold at PreToolUse."),
    "hook.on_error": Key("string", "ask", "PreToolUse answer when the hook cannot decide (malformed input, "
                                          "unusable database, internal error): `ask` or `deny` (`deny` also "
                                          "answers PermissionRequest).", ("ask", "deny")),
    "hook.cache_max_age_s": Key("number", 300, "Team mode, server unreachable: the oldest local cache of the server's "
                                               "rules and settings that may still allow a call (seconds since the "
                                               "server last confirmed it; 0 to 86400; docs/teams.md).",
                                bounds=(0, 86400)),
    "approvals.store_inputs": Key("string", "redacted", "What an approval request (and its audit row) keeps of the "
                                                        "tool input: `full` (verbatim), `redacted` (known secret "
                                                        "shapes and secret-named assignments replaced) or `none`.",
                                  ("full", "redacted", "none")),
    "budget.enforce": Key("boolean", False, "With hooks installed, deny agent tool calls once a hard budget is "
                                            "exceeded (`nerv budget set`)."),
    "retention.metrics": Key("string", "90d", "`nerv prune` without --older-than deletes metrics older than this "
                                              "(Nh, Nd, Nw; `never` keeps them)."),
    "retention.usage": Key("string", "365d", "`nerv prune` default age for per-call token usage rows (`never` keeps them)."),
    "retention.approvals": Key("string", "90d", "`nerv prune` default age for decided approval requests "
                                                "(pending ones are never pruned; `never` keeps them)."),
    "retention.sessions": Key("string", "365d", "`nerv prune` default age for ended Claude sessions, with their "
                                                "usage rows (`never` keeps them)."),
    "sessions.archive": Key("boolean", True, "Keep a compressed copy of every imported transcript (SessionEnd hook "
                                             "and `nerv session import`) so `nerv session restore` can bring it "
                                             "back after Claude Code deletes it (docs/data-safety.md)."),
    "search.embedder": Key("string", "hashing", "Embedder for semantic search: `hashing` (offline, built in), "
                                                "`model2vec:<local model>` or `sentence-transformers:<local model>`; "
                                                "changing it re-embeds lazily (docs/search.md)."),
}


def validate(key: str, value):
    """Return the value if it fits the key's type; raise ValueError with a readable reason otherwise."""
    spec = KNOWN.get(key)
    if spec is None and not (key.startswith("x.") and len(key) > 2):
        raise KeyError(key)
    _check_finite(key, value)
    if spec is None:
        return value
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
    if spec.bounds and value is not None and not spec.bounds[0] <= value <= spec.bounds[1]:
        raise ValueError(f"{key} must be between {spec.bounds[0]:g} and {spec.bounds[1]:g}, got {value:g}")
    return value


def _check_finite(key: str, value) -> None:
    """NaN and Infinity parse as JSON numbers (Python's json accepts them), but compare false with every
    bound: a NaN queue timeout would make the hook wait until Claude Code kills it. No setting takes them."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{key} takes a finite number, got {value}")
    if isinstance(value, list):
        for item in value:
            _check_finite(key, item)
    elif isinstance(value, dict):
        for item in value.values():
            _check_finite(key, item)
