"""Loading and calling extension functions with their failures isolated. Stdlib only."""

from __future__ import annotations

import sys


def load(dotted: str):
    module_name, _, attr = dotted.partition(":") if ":" in dotted else dotted.rpartition(".")
    # The builtin __import__, not importlib: importing the importlib package (and warnings) costs ~3 ms,
    # paid on every tool call once a guard is registered.
    __import__(module_name)
    return getattr(sys.modules[module_name], attr)


def call_each(entries: list[str], *args):
    """Yield (entry, result) for every entry that loads and returns; report the others on stderr."""
    for entry in entries:
        try:
            yield entry, load(entry)(*args)
        except Exception as exc:  # an extension's bug must not break the hook
            sys.stderr.write(f"nerv hook: extension {entry} failed: {type(exc).__name__}: {exc}\n")
