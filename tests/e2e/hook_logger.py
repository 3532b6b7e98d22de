"""A hook that records every event it is called for: one JSON line appended to $NERV_E2E_HOOK_LOG.

Installed by conftest.py in the run's user settings for every event, next to nerv's own hooks, so a test
sees which events fired, in which order, with which input. Prints nothing (no opinion), exits 0.
Standard library only; run as `python -I hook_logger.py`.
"""

import json
import os
import sys
import time


def main() -> int:
    target = os.environ.get("NERV_E2E_HOOK_LOG")
    try:
        payload = json.loads(sys.stdin.buffer.read() or b"{}")
    except ValueError as exc:
        payload = {"unparsed": str(exc)}
    if not target:
        return 0
    record = {"event": payload.get("hook_event_name") if isinstance(payload, dict) else None,
              "t": time.time(), "pid": os.getpid(), "payload": payload}
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)  # one write with O_APPEND: lines of parallel hooks never interleave
    finally:
        os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
