"""`nerv prune`: delete old metrics, usage, decided approvals and ended sessions; never the audit log."""

from __future__ import annotations

from nerv import settings_keys
from nerv.errors import invalid
from nerv.services.periods import parse_when
from nerv.store import lookups
from nerv.store.db import Store
from nerv.store.queries_retention import TARGETS, count_older, delete_older, missing_reason

NEVER = "never"


def parse_what(what: str | None) -> list[str]:
    if not what:
        return list(TARGETS)
    names = [w.strip() for w in what.split(",") if w.strip()]
    unknown = [n for n in names if n not in TARGETS]
    if unknown or not names:
        raise invalid(f"--what {what!r} names unknown kinds: {', '.join(unknown) or '(none)'}",
                      f"choose among {', '.join(TARGETS)}")
    return list(dict.fromkeys(names))


def _cutoff(store: Store, name: str, older_than: str | None) -> tuple[str | None, str]:
    if older_than:
        return parse_when(older_than, "--older-than"), older_than
    key = f"retention.{name}"
    age = lookups.effective_setting(store.conn, key, None, settings_keys.KNOWN[key].default)
    if age is None or str(age).strip().lower() == NEVER:
        return None, NEVER
    return parse_when(str(age), key), str(age)


def prune(store: Store, *, older_than: str | None = None, what: str | None = None, dry_run: bool = False) -> dict:
    """Delete rows older than `older_than` (else each kind's retention.* setting) and write one audit row
    with the counts. Kinds whose table does not exist here are reported as skipped."""
    plan, skipped = [], {}
    for name in parse_what(what):
        target = TARGETS[name]
        reason = missing_reason(store.conn, target)
        if reason:
            skipped[name] = reason
            continue
        cutoff, age = _cutoff(store, name, older_than)
        if cutoff is None:
            skipped[name] = "retention setting is `never`"
            continue
        plan.append((name, target, cutoff, age))
    result = {"dry_run": dry_run, "skipped": skipped,
              "kinds": {n: {"table": t.table, "older_than": age, "cutoff": c} for n, t, c, age in plan}}
    if dry_run:
        for name, target, cutoff, _ in plan:
            result["kinds"][name]["rows"] = count_older(store.conn, target, cutoff)
        return result

    def body(tx):
        for name, target, cutoff, _ in plan:
            deleted, cascaded = delete_older(tx.conn, target, cutoff)
            result["kinds"][name].update({"rows": deleted, "cascaded_changes": cascaded})
        tx.audit("prune", "retention", None, after={"deleted": {n: k["rows"] for n, k in result["kinds"].items()},
                                                    "cutoffs": {n: k["cutoff"] for n, k in result["kinds"].items()},
                                                    "skipped": sorted(skipped)})
        return result

    return store.write(body)
