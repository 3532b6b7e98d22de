"""`nerv prune`: delete old metrics, usage, decided approvals and ended sessions; never the audit log, and
archived transcripts only when named (`--archives --yes`)."""

from __future__ import annotations

from datetime import timedelta

from nerv import settings_keys
from nerv.errors import conflict, invalid, usage
from nerv.services.periods import parse_when
from nerv.store.clock import now_iso, parse_iso, to_iso
from nerv.store import archive
from nerv.store.db import Store
from nerv.store.queries_retention import TARGETS

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
        return parse_when(older_than, "--older-than", store=store), older_than
    key = f"retention.{name}"
    age = store.settings.effective(key, None, settings_keys.KNOWN[key].default)
    if age is None or str(age).strip().lower() == NEVER:
        return None, NEVER
    return parse_when(str(age), key, store=store), str(age)


def prune(store: Store, *, older_than: str | None = None, what: str | None = None, dry_run: bool = False,
          archives: bool = False, yes: bool = False, force: bool = False) -> dict:
    """Delete rows older than `older_than` (else each kind's retention.* setting) and write one audit row
    with the counts. Kinds whose table does not exist here are reported as skipped.

    Archived transcripts are deleted only with `archives` (and `yes`, unless `dry_run`): those last archived
    before `older_than` (else retention.sessions), then the chunks no manifest lists any more.
    Deleting needs `yes` (without it: conflict, naming what would go), and a cut-off less than a day ago
    needs `force` too: `--older-than 0d` would take today's usage, metrics and sessions.
    """
    if archives and not (yes or dry_run):
        raise usage("--archives deletes archived transcripts for good", "add --yes (or look first with --dry-run)")
    plan, skipped = [], {}
    for name in parse_what(what):
        target = TARGETS[name]
        reason = store.admin.retention_missing(target)
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
    archive_cutoff = _cutoff(store, "sessions", older_than) if archives else (None, None)
    if archive_cutoff[0]:
        result["kinds"]["archives"] = {"table": "archive_files", "older_than": archive_cutoff[1],
                                       "cutoff": archive_cutoff[0]}
    elif archives:
        skipped["archives"] = "retention setting is `never`"
    if not dry_run:
        _refuse_recent_cutoff(result, force)
    if dry_run or not yes:
        for name, target, cutoff, _ in plan:
            result["kinds"][name]["rows"] = store.admin.count_older(target, cutoff)
        if archive_cutoff[0]:
            result["kinds"]["archives"]["rows"] = store.archive.count_files_older(archive_cutoff[0])
        if dry_run:
            return result
        counts = ", ".join(f"{k['rows']} {n}" for n, k in result["kinds"].items())
        raise conflict(f"prune would delete {counts or 'nothing'}", "rerun with --yes (or look first with --dry-run)",
                       details=result)
    removed_chunks: list[str] = []

    def body(tx):
        for name, target, cutoff, _ in plan:
            deleted, cascaded = store.admin.delete_older(tx, target, cutoff)
            result["kinds"][name].update({"rows": deleted, "cascaded_changes": cascaded})
        if archive_cutoff[0]:
            deleted = store.archive.delete_files_older(tx, archive_cutoff[0])
            removed_chunks[:] = store.archive.delete_unreferenced_chunks(tx)
            result["kinds"]["archives"].update({"rows": deleted, "chunks": len(removed_chunks)})
        tx.audit("prune", "retention", None, after={"deleted": {n: k["rows"] for n, k in result["kinds"].items()},
                                                    "cutoffs": {n: k["cutoff"] for n, k in result["kinds"].items()},
                                                    "skipped": sorted(skipped)})
        return result

    store.write(body)
    archive.remove_chunk_files(removed_chunks)
    return result


def _refuse_recent_cutoff(result: dict, force: bool) -> None:
    day_ago = to_iso(parse_iso(now_iso()) - timedelta(days=1))
    recent = sorted(n for n, k in result["kinds"].items() if k["cutoff"] > day_ago)
    if recent and not force:
        raise invalid(f"the cut-off for {', '.join(recent)} is less than a day ago: today's rows would go too",
                      "give a longer --older-than, or add --force to mean it")
