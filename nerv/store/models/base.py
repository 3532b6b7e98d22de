"""Base model bound to nerv's database."""

from __future__ import annotations

import peewee

from nerv.store.orm import database


class NervModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False

    def to_dict(self) -> dict:
        """The row as plain data, foreign keys as their ids (what audit rows and JSON output carry)."""
        return {name: getattr(self, field.column_name if isinstance(field, peewee.ForeignKeyField) else name)
                for name, field in self._meta.fields.items()}
