"""Peewee models mirroring the SQL in migrations/ (the SQL is the source of truth).

One module per domain; `all_models()` lists every model so tests can check each against the migrated
schema (tests/store/test_models_match_schema.py). A new domain module must be imported here.
"""

from __future__ import annotations

from nerv.store.models.base import NervModel
from nerv.store.models.core import *  # noqa: F401,F403
from nerv.store.models.approvals import *  # noqa: F401,F403
from nerv.store.models.archive import *  # noqa: F401,F403
from nerv.store.models.claude import *  # noqa: F401,F403
from nerv.store.models.knowledge import *  # noqa: F401,F403
from nerv.store.models.leases import *  # noqa: F401,F403
from nerv.store.models.safety import *  # noqa: F401,F403
from nerv.store.models.usage import *  # noqa: F401,F403
from nerv.store.models.work import *  # noqa: F401,F403


def all_models() -> list[type[NervModel]]:
    found, stack = [], list(NervModel.__subclasses__())
    while stack:
        model = stack.pop()
        found.append(model)
        stack.extend(model.__subclasses__())
    return sorted(found, key=lambda m: m._meta.table_name)
