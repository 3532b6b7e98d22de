"""The one retry loop for a whole transaction that lost a lock race, whatever the backend. Stdlib only.

Each dialect says which of its errors mean "try again" (nerv.store.sqlite.is_lock_error: locked/busy;
nerv.store.postgres.is_lock_error: SQLSTATE 40001/40P01/55P03) and calls `retry_while`.
"""

from __future__ import annotations

import random
import time

from nerv.errors import NervError

# How long the application keeps retrying a whole write transaction that hit a lock.
RETRY_DEADLINE_S = 30.0


def retry_while(fn, is_retryable, *, deadline_s: float = RETRY_DEADLINE_S):
    """Call `fn()` until it does not raise an error `is_retryable` accepts, with jittered backoff."""
    start = time.monotonic()
    attempt = 0
    while True:
        try:
            return fn()
        except Exception as exc:
            if not is_retryable(exc):
                raise
            attempt += 1
            if time.monotonic() - start > deadline_s:
                raise NervError("database", f"the database stayed locked for more than {deadline_s:.0f} s",
                                "another process holds a long write transaction; retry later") from exc
            # Full jitter: spreads retries of many agents so they do not collide again in lockstep.
            time.sleep(random.uniform(0.002, min(0.25, 0.005 * (2 ** min(attempt, 8)))))
