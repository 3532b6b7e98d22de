"""Claude Code hook events (`nerv hook <event>`). Stdlib only: runs on every agent tool call.

Placeholder until the hooks issue lands: every event is a no-op with exit 0 (no opinion).
"""

from __future__ import annotations

import sys


def run(args: list[str]) -> int:
    sys.stdin.read()
    return 0
