"""Settings (written by the foundation): typed values, project over global over default, documented keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nerv import settings_keys

DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_docs_list_every_known_key_with_its_type_and_default():
    text = DOCS.read_text()
    documented = {m.group(1): (m.group(2), m.group(3)) for m in
                  re.finditer(r"^\| `([^`]+)` \| (\w+) \| ([^|]+?) \|", text, re.MULTILINE)}
    assert set(settings_keys.KNOWN) <= set(documented), set(settings_keys.KNOWN) - set(documented)
    for key, spec in settings_keys.KNOWN.items():
        doc_type, doc_default = documented[key]
        assert doc_type == spec.type, key
        assert doc_default.strip() in ("null" if spec.default is None else repr(spec.default).replace("'", '"'),
                                       str(spec.default).lower(), str(spec.default)), key


def test_project_value_overrides_global_which_overrides_default(cli, project):
    assert cli("settings", "get", "tasks.default_lease", "--json").data == \
        {"key": "tasks.default_lease", "value": "30m", "source": "default", "project_id": None}
    cli("settings", "set", "tasks.default_lease", "1h")
    assert cli("settings", "get", "tasks.default_lease", "--json").data["source"] == "global"
    cli("settings", "set", "tasks.default_lease", '"2h"', "--project", "demo")
    got = cli("settings", "get", "tasks.default_lease", "--project", "demo", "--json").data
    assert (got["value"], got["source"]) == ("2h", "project")
    rows = {r["key"]: r for r in cli("settings", "list", "--project", "demo", "--json").data}
    assert rows["tasks.default_lease"]["value"] == "2h"
    cli("settings", "unset", "tasks.default_lease", "--project", "demo")
    assert cli("settings", "get", "tasks.default_lease", "--project", "demo", "--json").data["value"] == "1h"


def test_default_lease_setting_is_used_by_claim(cli, add_task):
    from datetime import timedelta

    from nerv.store.clock import parse_iso

    add_task("x")
    cli("settings", "set", "tasks.default_lease", "2h", "--project", "demo")
    data = cli("task", "claim", "--agent", "a", "--json").data
    lease = parse_iso(data["lease_expires_at"]) - parse_iso(data["started_at"])
    assert timedelta(hours=2) - timedelta(seconds=5) < lease <= timedelta(hours=2)


def test_values_are_typed_json(cli, project):
    cli("settings", "set", "x.count", "3")
    cli("settings", "set", "x.flags", '["a", 1]')
    cli("settings", "set", "x.word", "hello")
    assert cli("settings", "get", "x.count", "--json").data["value"] == 3
    assert cli("settings", "get", "x.flags", "--json").data["value"] == ["a", 1]
    assert cli("settings", "get", "x.word", "--json").data["value"] == "hello"


@pytest.mark.parametrize("args, text", [
    (("set", "no.such.key", "1"), "unknown setting"),
    (("get", "no.such.key"), "unknown setting"),
    (("set", "tasks.default_lease", "5"), "takes a string"),
    (("set", "x.broken", "[1,"), "not valid JSON"),
    (("set", "core.current_project", "{}"), "takes a string"),
    (("unset", "x.never"), "not found"),
    (("set", "x.k", "1", "--project", "ghost"), "not found"),
])
def test_bad_settings_are_refused(cli, project, db_hash, args, text):
    before = db_hash()
    result = cli("settings", *args, "--json")
    assert result.code == 1
    assert text in result.error["message"]
    assert db_hash() == before
