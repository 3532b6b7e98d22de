"""Every schema step exists for both backends: a SQLite step without its PostgreSQL twin would stop every team
database at the step before it (load_plan refuses a gap)."""

from __future__ import annotations

from nerv.store.migrate import load_plan, migrations_dir


def test_every_sqlite_step_has_a_postgresql_twin_of_the_same_name():
    sqlite_steps = [(m.version, m.name) for m in load_plan(migrations_dir(), "sqlite")]
    postgresql_steps = [(m.version, m.name) for m in load_plan(migrations_dir(), "postgresql")]
    assert postgresql_steps == sqlite_steps
