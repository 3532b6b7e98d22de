"""Processes that wait for an approval decision, and what records and decides the requests they wait for
(tests/pg/test_approval_notify.py and tests/bench/approval_notify.py). Not collected by pytest.

The waiters run `python -m nerv` with this process's environment, so PYTHONPATH picks the checkout under test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

LISTEN_STATEMENT = "LISTEN nerv_approval_status"
# A `--json` PermissionRequest in queue mode for the hook: a Write nerv has no rule for.
SESSION = "5b0e8c44-8a41-4c1b-9d1e-6f1b7e3c2a10"


def record_pending(store) -> int:
    """A pending queue-mode request, as the hook records it (one audited transaction); its id."""
    from nerv.store import queries_approvals as q

    def body(tx):
        row = {"session_id": SESSION, "tool": "Bash", "tool_input": json.dumps({"command": "make deploy"}),
               "cwd": "/srv", "mode": "queue", "status": "pending", "created_at": tx.now}
        request_id = q.insert_request(tx.conn, row)
        tx.audit("approval.request", "approval_request", request_id, after={**row, "id": request_id})
        return request_id

    return store.write(body)


def start_cli_wait(request_id: int, timeout_s: int = 60, *, listen: bool = True) -> subprocess.Popen:
    """`nerv approval wait ID --json`; with listen=False a nerv that cannot LISTEN (the polling fallback)."""
    argv = ["approval", "wait", str(request_id), "--timeout", str(timeout_s), "--json"]
    return _start(argv, listen, None)


def start_queue_hook(cwd: str, listen: bool = True) -> subprocess.Popen:
    """`nerv hook permission-request` for a Write (queue mode must be set): it records a request and waits."""
    event = {"hook_event_name": "PermissionRequest", "session_id": SESSION, "cwd": cwd, "transcript_path": "",
             "permission_mode": "default", "tool_name": "Write",
             "tool_input": {"file_path": f"{cwd}/out.txt", "content": "x"}}
    return _start(["hook", "permission-request"], listen, json.dumps(event))


def _start(argv: list[str], listen: bool, stdin: str | None) -> subprocess.Popen:
    if listen:
        command = [sys.executable, "-m", "nerv", *argv]
    else:
        command = [sys.executable, "-c", "import sys; from nerv.store import postgres; "
                   "postgres.open_listener = lambda url, channel: None; from nerv.__main__ import main; "
                   "sys.exit(main(sys.argv[1:]))", *argv]
    # Without LISTEN the process itself must wait: a hook daemon would wait for it, and LISTEN.
    env = None if listen else {**os.environ, "NERV_HOOK_DAEMON": "off"}
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    if stdin is not None:
        process.stdin.write(stdin)
    process.stdin.close()
    process.stdin = None  # communicate() would flush it
    return process


def listeners(conn) -> list[int]:
    """Backend pids of this database's connections idle after LISTENing for approval status changes."""
    rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle'"
                        " AND query = ?", (LISTEN_STATEMENT,)).fetchall()
    return [row[0] for row in rows]


def wait_for(predicate, timeout_s: float = 30.0, what: str = "the waiter"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"{what} did not get there within {timeout_s} s")


def approve(store, request_id: int) -> float:
    """Approve as a person on another machine would; perf_counter() when the commit returned. (Bound again:
    an in-process command in between binds the models to its own store.)"""
    from nerv.services import approvals
    from nerv.store.orm import bind

    approvals.decide(bind(store), request_id, True, reason="looks fine")
    return time.perf_counter()
