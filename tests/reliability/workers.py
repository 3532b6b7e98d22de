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


def mixed_worker(log_path: str, seconds: str) -> None:
    """Claims, status updates, rule matches and metric writes for a fixed time; reports what succeeded."""
    import json
    import time
    import traceback

    from nerv.errors import NervError

    store = open_bound_store()
    from nerv.services import claims, metrics, rules, tasks

    agent = f"agent-{os.getpid()}"
    rng = random.Random(os.getpid())
    report = {"agent": agent, "mutations": 0, "claimed": [], "errors": [], "matches": 0, "nothing_ready": 0}
    held: list[str] = []
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline:
        roll = rng.random()
        try:
            if roll < 0.4:
                task = claims.claim(store, agent=agent, lease="30m", project="load")
                report["claimed"].append(task["id"])
                held.append(task["id"])
                report["mutations"] += 1
            elif roll < 0.6 and held:
                tasks.change_status(store, held.pop(), "done", agent=agent, project="load")
                report["mutations"] += 1
            elif roll < 0.8:
                decision = rules.match(store, "Bash", rng.choice(["npm test", "npm test && rm -rf /", "ls -la"]))
                assert decision["decision"] in ("allow", "ask", "deny", "none")
                report["matches"] += 1
            else:
                metrics.record_metric(store, "load.latency", rng.random() * 100, unit="ms", project="load")
                report["mutations"] += 1
        except NervError as err:
            if err.code == "nothing_ready":
                report["nothing_ready"] += 1
            else:
                report["errors"].append(f"{err.code}: {err.message}")
        except Exception:
            report["errors"].append(traceback.format_exc())
    with open(log_path, "w") as fh:
        json.dump(report, fh)


def task_writer(log_path: str) -> None:
    """Create, claim, edit and finish tasks until killed (the backup-under-load test's writers)."""
    store = open_bound_store()
    from nerv.errors import NervError
    from nerv.services import claims, tasks

    agent = f"writer-{os.getpid()}"
    rng = random.Random(os.getpid())
    n = 0
    while True:
        n += 1
        try:
            roll = rng.random()
            if roll < 0.4:
                tasks.add_task(store, f"{agent} task {n}", priority=rng.randint(0, 4), project="load")
            elif roll < 0.7:
                claimed = claims.claim(store, agent=agent, lease="30m", project="load")
                if rng.random() < 0.5:
                    tasks.change_status(store, claimed["id"], "done", agent=agent, project="load")
            else:
                ready = tasks.ready_tasks(store, "load", limit=5)
                if ready:
                    tasks.edit_task(store, rng.choice(ready)["id"], priority=rng.randint(0, 4), project="load")
        except NervError:
            pass  # nothing ready, or a task another writer just took: expected under contention


if __name__ == "__main__":
    kind, log, *rest = sys.argv[1:]
    {"crash": crash_writer, "mixed": mixed_worker, "tasks": task_writer}[kind](log, *rest)
