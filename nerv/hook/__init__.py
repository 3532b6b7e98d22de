"""Claude Code hook events (`nerv hook <event>`). Stdlib only: runs on every agent tool call.

Contract: never crash the agent's flow and never allow by accident. Malformed input, an unusable
database or a bug answer `ask` (or `deny`, setting hook.on_error) on PreToolUse; every other event
reports on stderr and exits 0. Exit 2 is never used: a deny is a JSON permissionDecision.
"""

from __future__ import annotations

import json
import sys

EVENTS = {
    "pre-tool-use": "PreToolUse",
    "post-tool-use": "PostToolUse",
    "session-start": "SessionStart",
    "session-end": "SessionEnd",
    "stop": "Stop",
    "user-prompt-submit": "UserPromptSubmit",
}


class MalformedInput(ValueError):
    """The hook's stdin is not the JSON object Claude Code sends."""


def read_payload(raw: bytes) -> dict:
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedInput(f"stdin is not JSON ({exc})") from None
    if not isinstance(payload, dict):
        raise MalformedInput(f"stdin is JSON {type(payload).__name__}, not an object")
    return payload


def run(args: list[str]) -> int:
    """Entry from nerv/__main__.py: `args` is [event, ...]. Returns the exit code."""
    event = args[0] if args else ""
    if event not in EVENTS:
        sys.stderr.write(f"nerv hook: unknown event {event!r}; expected one of: {', '.join(EVENTS)}\n")
        return 1
    if "--help" in args[1:] or "-h" in args[1:]:
        sys.stdout.write(f"Usage: nerv hook {event}\n\n  Claude Code {EVENTS[event]} hook: reads the hook JSON on "
                         "stdin (docs/hooks.md).\n  Installed by `nerv hook install`.\n")
        return 0
    try:
        stream = getattr(sys.stdin, "buffer", None)
        raw = stream.read() if stream is not None else sys.stdin.read().encode("utf-8", "surrogateescape")
    except Exception as exc:  # a closed or unreadable stdin is malformed input too
        raw = b""
        sys.stderr.write(f"nerv hook: cannot read stdin: {exc}\n")
    if event == "pre-tool-use":
        from nerv.hook.pretool import handle

        return handle(raw)
    from nerv.hook.events import handle

    return handle(EVENTS[event], raw)
