"""Free-form metrics (`metrics` table): record a value, list them, summarise a name (numpy percentiles)."""

from __future__ import annotations

import json
import math

from nerv.errors import invalid, not_found
from nerv.services import validate
from nerv.services.periods import parse_when
from nerv.store.db import Store
from nerv.store.models import Metric

VALUE_MAX = 1e15
META_MAX = 10_000


def _check_value(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or abs(value) > VALUE_MAX:
        raise invalid(f"metric value must be a finite number up to {VALUE_MAX:g} in size, got {value!r}")
    return float(value)


def _check_meta(meta: str | None) -> str | None:
    if meta is None:
        return None
    if len(meta) > META_MAX:
        raise invalid(f"--meta is {len(meta):,} characters long; the limit is {META_MAX:,}")
    try:
        parsed = json.loads(meta)
    except json.JSONDecodeError as exc:
        raise invalid(f"--meta is not valid JSON ({exc.msg})",
                      'pass a JSON object, e.g. \'{"branch": "main"}\'') from None
    if not isinstance(parsed, dict):
        raise invalid("--meta must be a JSON object", 'e.g. \'{"branch": "main"}\'')
    return json.dumps(parsed, ensure_ascii=False, sort_keys=True)


def record_metric(store: Store, name: str, value: float, *, unit: str | None = None, task: str | None = None,
                  session: str | None = None, meta: str | None = None, project: str | None = None) -> dict:
    """Store one measurement. The project comes from --task, else --project / the current project (if any)."""
    from nerv.services.projects import find_project, optional_current_project
    from nerv.services.sessions import find_session
    from nerv.services.tasks import find_task

    name = validate.one_line(name, "metric name", max_len=validate.NAME_MAX)
    unit = validate.one_line(unit, "unit", max_len=50, required=False)
    value = _check_value(value)
    meta_json = _check_meta(meta)
    linked_task = find_task(store, task, project) if task else None
    session_id = find_session(session).id if session else None
    if linked_task is not None:
        project_id = linked_task.project_id
    elif project:
        project_id = find_project(project).id
    else:
        current = optional_current_project(store)
        project_id = current.id if current else None

    def body(tx):
        row = {"project": project_id, "name": name, "value": value, "unit": unit,
               "task": linked_task.id if linked_task else None, "session_id": session_id, "meta": meta_json,
               "recorded_at": tx.now}
        metric_id = Metric.insert(row).execute()
        after = Metric.get_by_id(metric_id).to_dict()
        tx.audit("metric.record", "metric", metric_id, project_id=project_id, after=after)
        return after

    return store.write(body)


def list_metrics(store: Store, name: str | None = None, *, since: str | None = None, limit: int = 100) -> list[dict]:
    """Recorded values, newest first."""
    validate.int_in_range(limit, "--limit", 1, 100_000)
    query = Metric.select()
    if name:
        query = query.where(Metric.name == validate.one_line(name, "metric name", max_len=validate.NAME_MAX))
    if since:
        query = query.where(Metric.recorded_at >= parse_when(since, store=store))
    return [m.to_dict() for m in query.order_by(Metric.recorded_at.desc(), Metric.id.desc()).limit(limit)]


def _stats(values: list[float]) -> dict:
    import numpy

    array = numpy.asarray(values, dtype=float)
    p50, p90, p99 = numpy.percentile(array, [50, 90, 99])
    return {"count": int(array.size), "sum": float(array.sum()), "mean": float(array.mean()),
            "min": float(array.min()), "p50": float(p50), "p90": float(p90), "p99": float(p99),
            "max": float(array.max())}


def summarize(store: Store, name: str, *, by: str | None = None, since: str | None = None) -> dict:
    """count, sum, mean, min, p50, p90, p99, max of a metric (overall, and per UTC day with by='day')."""
    name = validate.one_line(name, "metric name", max_len=validate.NAME_MAX)
    if by is not None:
        validate.choice(by, "--by", ("day",))
    query = Metric.select(Metric.value, Metric.recorded_at).where(Metric.name == name)
    if since:
        query = query.where(Metric.recorded_at >= parse_when(since, store=store))
    rows = list(query.order_by(Metric.recorded_at).tuples())
    if not rows:
        raise not_found("metric", repr(name), "record one with `nerv metrics record NAME VALUE`")
    units = {u for (u,) in Metric.select(Metric.unit).where(Metric.name == name).distinct().tuples()}
    data = {"name": name, "unit": units.pop() if len(units) == 1 else None, **_stats([v for v, _ in rows])}
    if by == "day":
        days: dict[str, list[float]] = {}
        for value, recorded_at in rows:
            days.setdefault(recorded_at[:10], []).append(value)
        data["days"] = [{"day": day, **_stats(values)} for day, values in days.items()]
    return data
