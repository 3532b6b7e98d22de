"""Writer processes for the reliability tests: run by path (`python workers.py KIND LOG`), so they use the
installed nerv. Each acknowledged operation is appended to LOG only after its commit returned."""

from __future__ import annotations

import os
import random
import sys


def open_bound_store():
    from nerv.store.db import open_store
    from nerv.store.orm import bind

    return bind(open_store())


def crash_writer(log_path: str) -> None:
    """Loop forever committing small operations; the test kills us with SIGKILL at a random moment."""
    store = open_bound_store()
    from nerv.services import projects, settings

    rng = random.Random(os.getpid())
    with open(log_path, "a", buffering=1) as log:  # line-buffered: each ack is one write() syscall
        n = 0
        while True:
            n += 1
            if rng.random() < 0.7:
                name = f"p-{os.getpid()}-{n}"
                projects.add_project(store, name, goal="crash test")
                log.write(f"project {name}\n")
            else:
                key, value = f"x.w{os.getpid()}", n
                settings.set_setting(store, key, value)
                log.write(f"setting {key} {value}\n")


if __name__ == "__main__":
    kind, log = sys.argv[1], sys.argv[2]
    {"crash": crash_writer}[kind](log)
