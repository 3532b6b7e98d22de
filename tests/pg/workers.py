"""Processes for the PostgreSQL tests, run by path with this checkout on PYTHONPATH and NERV_DATABASE_URL set.

`claim LOG COUNT`: claim COUNT tasks of project `pool` one by one, appending each claimed task's id to LOG
after its commit returned. `project`: add project `pool`. `seed COUNT`: add COUNT tasks to it.
"""

from __future__ import annotations

import os
import sys


def _store():
    from nerv.store.db import open_store
    from nerv.store.orm import bind

    return bind(open_store())


def claim(log_path: str, count: str) -> None:
    from nerv.services import claims

    store = _store()
    agent = f"agent-{os.getpid()}"
    with open(log_path, "a", buffering=1) as log:
        for _ in range(int(count)):
            log.write(claims.claim(store, agent=agent, lease="1h", project="pool")["id"] + "\n")


def project() -> None:
    from nerv.services import projects

    projects.add_project(_store(), "pool", goal="claims")


def seed(count: str) -> None:
    from nerv.services import tasks

    store = _store()
    for n in range(int(count)):
        tasks.add_task(store, f"task {n}", project="pool")


if __name__ == "__main__":
    {"claim": claim, "project": project, "seed": seed}[sys.argv[1]](*sys.argv[2:])
