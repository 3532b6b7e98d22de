"""Approvals across machines on a real server: migration 0016's NOTIFY, and waiters that LISTEN for it
(`nerv approval wait` and the queue-mode hook, each its own process) with polling as their fallback."""

from __future__ import annotations

import json

import pytest

from tests.pg import approval_waiters as waiters

DECIDED_WITHIN_S = 20  # generous: a loaded 2-core machine; the latency itself is tests/bench/approval_notify.py's


@pytest.fixture
def store(pg_database, cli):
    from nerv.store.db import open_store
    from nerv.store.orm import bind

    assert cli("project", "add", "demo").code == 0  # migrates the database
    opened = bind(open_store())
    yield opened
    opened.close()


def answered(process) -> dict:
    out, err = process.communicate(timeout=DECIDED_WITHIN_S)
    assert process.returncode == 0, err
    return json.loads(out)


@pytest.mark.slow  # a listening process
def test_a_status_change_is_announced_at_commit_with_id_and_status(store, pg_database):
    from nerv.store import postgres

    request_id = waiters.record_pending(store)
    listener = postgres.open_listener(pg_database, "nerv_approval_status")
    try:
        assert listener.notifications(0) == []  # recording a request announces nothing
        waiters.approve(store, request_id)
        assert [json.loads(p) for p in listener.notifications(5)] == [{"id": request_id, "status": "approved"}]
    finally:
        listener.close()


def test_a_rolled_back_change_announces_nothing(store, pg_database):
    from nerv.store import postgres

    request_id = waiters.record_pending(store)
    listener = postgres.open_listener(pg_database, "nerv_approval_status")
    try:
        store._conn.execute("BEGIN")
        store._conn.execute("UPDATE approval_requests SET status = 'denied' WHERE id = ?", (request_id,))
        store._conn.execute("ROLLBACK")
        assert listener.notifications(0.3) == []
    finally:
        listener.close()


@pytest.mark.slow  # a waiting process
def test_approval_wait_hears_a_decision_made_on_another_connection(store):
    request_id = waiters.record_pending(store)
    waiter = waiters.start_cli_wait(request_id)
    waiters.wait_for(lambda: waiters.listeners(store._conn), what="`approval wait`'s LISTEN")
    waiters.approve(store, request_id)
    shown = answered(waiter)["data"]
    assert (shown["id"], shown["status"], shown["reason"], shown["timed_out"]) == (request_id, "approved",
                                                                                   "looks fine", False)


@pytest.mark.slow  # a waiting hook process
def test_a_queue_mode_hook_hears_the_decision(store, cli, tmp_path):
    assert cli("settings", "set", "hook.mode", "queue").code == 0
    assert cli("settings", "set", "hook.queue_timeout_s", "60").code == 0
    hook = waiters.start_queue_hook(str(tmp_path))
    waiters.wait_for(lambda: waiters.listeners(store._conn), what="the hook's LISTEN")
    request_id = cli("approval", "list", "--json").data[0]["id"]
    waiters.approve(store, request_id)
    decision = answered(hook)["hookSpecificOutput"]["decision"]
    assert decision["behavior"] == "allow"


@pytest.mark.slow  # a waiting process
def test_a_broken_listener_falls_back_to_polling(store):
    request_id = waiters.record_pending(store)
    waiter = waiters.start_cli_wait(request_id)
    [pid] = waiters.wait_for(lambda: waiters.listeners(store._conn), what="`approval wait`'s LISTEN")
    store._conn.execute("SELECT pg_terminate_backend(?)", (pid,))
    waiters.wait_for(lambda: not waiters.listeners(store._conn), what="the end of the listener's connection")
    waiters.approve(store, request_id)
    assert answered(waiter)["data"]["status"] == "approved"


@pytest.mark.slow  # a waiting process
def test_without_listen_the_waiter_polls(store):
    request_id = waiters.record_pending(store)
    waiter = waiters.start_cli_wait(request_id, listen=False)
    waiters.wait_for(lambda: store._conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = ?",
        (f"nerv:{waiter.pid}",)).fetchone()[0], what="the polling waiter's connection")
    assert not waiters.listeners(store._conn)
    waiters.approve(store, request_id)
    assert answered(waiter)["data"]["status"] == "approved"


def test_a_wait_that_times_out_leaves_the_request_pending(store, cli):
    request_id = waiters.record_pending(store)
    shown = cli("approval", "wait", str(request_id), "--timeout", "0", "--json").data
    assert (shown["status"], shown["timed_out"]) == ("pending", True)
    assert not waiters.listeners(store._conn)  # the wait's listener closed with it


def _backends_of(conn, process) -> list[int]:
    return [pid for (pid,) in conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = ?",
                                           (f"nerv:{process.pid}",)).fetchall()]


def test_a_broken_listener_is_replaced_and_then_heard(store):
    import time

    from nerv.store import approval_wait

    request_id = waiters.record_pending(store)
    waiter = waiters.start_cli_wait(request_id)
    [first] = waiters.wait_for(lambda: waiters.listeners(store._conn), what="`approval wait`'s LISTEN")
    store._conn.execute("SELECT pg_terminate_backend(?)", (first,))
    [second] = waiters.wait_for(lambda: [p for p in waiters.listeners(store._conn) if p != first],
                                what="a second LISTEN")
    approved_at = waiters.approve(store, request_id)
    assert answered(waiter)["data"]["status"] == "approved"
    # Heard, not found by the listener's periodic re-read (nor by polling: a waiter with a listener does not poll).
    assert time.perf_counter() - approved_at < approval_wait.LISTEN_RECHECK_S - 1


@pytest.mark.parametrize("waiter_kind", ["approval wait", "queue-mode hook"])
def test_a_decision_made_while_the_server_dropped_the_waiter_is_not_missed(store, cli, tmp_path, waiter_kind):
    """Every connection of the waiter ends, as in a server restart; the person approves meanwhile."""
    if waiter_kind == "approval wait":
        request_id = waiters.record_pending(store)
        waiter = waiters.start_cli_wait(request_id)
    else:
        assert cli("settings", "set", "hook.mode", "queue").code == 0
        assert cli("settings", "set", "hook.queue_timeout_s", "60").code == 0
        waiter = waiters.start_queue_hook(str(tmp_path))
    [listener] = waiters.wait_for(lambda: waiters.listeners(store._conn), what="the waiter's LISTEN")
    if waiter_kind != "approval wait":
        request_id = cli("approval", "list", "--json").data[0]["id"]
    for pid in _backends_of(store._conn, waiter):
        store._conn.execute("SELECT pg_terminate_backend(?)", (pid,))
    waiters.wait_for(lambda: listener not in waiters.listeners(store._conn), what="the end of the listener")
    waiters.approve(store, request_id)
    shown = answered(waiter)
    if waiter_kind == "approval wait":
        assert (shown["data"]["status"], shown["data"]["timed_out"]) == ("approved", False)
    else:
        assert shown["hookSpecificOutput"]["decision"]["behavior"] == "allow"
