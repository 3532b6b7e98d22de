"""The peewee models mirror the migrated SQL: every field exists with a compatible type."""

from __future__ import annotations

import peewee
import pytest

from nerv.store.db import open_store
from nerv.store.models import all_models
from tests.conftest import ON_POSTGRESQL

pytestmark = pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite-only: compares the models with SQLite's declared column types")

COMPATIBLE = {
    "TEXT": (peewee.TextField, peewee.CharField),
    "INTEGER": (peewee.IntegerField, peewee.AutoField, peewee.BooleanField, peewee.BigIntegerField),
    "REAL": (peewee.FloatField, peewee.DoubleField),
    "BLOB": (peewee.BlobField,),
}


def _declared_type(field):
    if isinstance(field, peewee.ForeignKeyField):
        return field.rel_field
    return field


def test_every_model_field_exists_in_the_schema_with_a_compatible_type(nerv_home):
    store = open_store()
    problems = []
    models = all_models()
    assert len(models) >= 12
    for model in models:
        table = model._meta.table_name
        columns = {row[1]: (row[2].upper(), row[3]) for row in store._conn.execute(f'PRAGMA table_info("{table}")')}
        if not columns:
            problems.append(f"{table}: table missing")
            continue
        for field in model._meta.sorted_fields:
            if field.column_name not in columns:
                problems.append(f"{table}.{field.column_name}: column missing")
                continue
            sql_type, not_null = columns[field.column_name]
            base = sql_type.split("(")[0] or "BLOB"
            if not isinstance(_declared_type(field), COMPATIBLE.get(base, ())):
                problems.append(f"{table}.{field.column_name}: {type(field).__name__} vs {sql_type}")
            if not_null and field.null and not field.primary_key:
                problems.append(f"{table}.{field.column_name}: NOT NULL in SQL, null=True in the model")
    store.close()
    assert problems == []
