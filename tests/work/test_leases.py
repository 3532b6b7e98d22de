"""Path leases through the CLI on a real SQLite file: created by claims, extended, released, refused input."""

from __future__ import annotations

import json

import pytest

PAST = "2000-01-01T00:00:00.000000Z"


@pytest.fixture
def repo(cli, seeded, tmp_path, monkeypatch):
    monkeypatch.delenv("NERV_AGENT", raising=False)
    folder = tmp_path / "repo"
    folder.mkdir()
    assert cli("repo", "add", str(folder), "--project", seeded).code == 0
    monkeypatch.chdir(folder)
    return folder.resolve()


def leases(cli, *args) -> list[dict]:
    result = cli("lease", "list", *args, "--json")
    assert result.code == 0, result.stderr
    return result.data


def test_claim_with_paths_creates_leases_with_the_claim_expiry(cli, repo):
    result = cli("task", "claim", "1", "--agent", "a1", "--paths", "src/auth/**", "--paths", "/docs/auth.md",
                 "--json")
    assert result.code == 0, result.stderr
    data = result.data
    assert [lease["pattern"] for lease in data["path_leases"]] == ["src/auth/**", "/docs/auth.md"]
    live = leases(cli)
    assert {(lease["agent"], lease["task"], lease["anchor"]) for lease in live} == {("a1", "#1", str(repo))}
    assert all(lease["expires_at"] == data["lease_expires_at"] for lease in live)


def test_heartbeat_extends_and_done_releases(cli, repo, raw_db):
    cli("task", "claim", "1", "--agent", "a1", "--paths", "src/**")
    raw_db.execute("UPDATE path_leases SET expires_at = '2000-01-02T00:00:00.000000Z'")
    beat = cli("task", "heartbeat", "1", "--agent", "a1", "--lease", "2h", "--json").data
    assert [lease["expires_at"] for lease in leases(cli)] == [beat["lease_expires_at"]]
    assert cli("task", "done", "1", "--agent", "a1").code == 0
    assert leases(cli) == []
    assert [lease["state"] for lease in leases(cli, "--all")] == ["released"]
    actions = [a for (a,) in raw_db.execute("SELECT action FROM audit_log WHERE entity = 'path_lease' ORDER BY id")]
    assert actions == ["lease.add", "lease.extend", "lease.release"]


def test_release_of_the_task_releases_its_leases(cli, repo):
    cli("task", "claim", "1", "--agent", "a1", "--paths", "src/**")
    cli("lease", "add", "lib/**", "--agent", "a1", "--ttl", "1h")  # not tied to the task: stays
    assert cli("task", "release", "1").code == 0
    assert [lease["pattern"] for lease in leases(cli)] == ["lib/**"]


def test_an_expired_claim_releases_its_leases_on_the_next_claim(cli, repo, raw_db):
    cli("task", "claim", "1", "--agent", "a1", "--paths", "src/**")
    raw_db.execute(f"UPDATE tasks SET lease_expires_at = '{PAST}'")
    raw_db.execute(f"UPDATE path_leases SET expires_at = '{PAST}'")
    assert leases(cli) == []  # expired: no longer live, even before anything released it
    assert cli("task", "claim", "2", "--agent", "a2").code == 0
    assert [lease["state"] for lease in leases(cli, "--all")] == ["released"]


def test_lease_add_list_release(cli, repo):
    added = cli("lease", "add", "src/a/**", "src/b.py", "--agent", "a1", "--task", "1", "--ttl", "30m", "--json")
    assert added.code == 0, added.stderr
    ids = [lease["id"] for lease in added.data["leases"]]
    assert cli("lease", "release", str(ids[0]), "--json").data[0]["id"] == ids[0]
    assert [lease["id"] for lease in leases(cli)] == ids[1:]
    assert cli("lease", "release", "--agent", "a1", "--json").data[0]["id"] == ids[1]
    assert leases(cli) == []
    assert cli("lease", "release", "--agent", "a1", "--json").data == []


def test_overlap_with_another_agent_is_reported_with_the_holder(cli, repo):
    cli("task", "claim", "1", "--agent", "a1", "--paths", "src/auth/**")
    result = cli("lease", "add", "src/**", "--agent", "a2", "--json")
    assert result.code == 0
    [overlap] = result.data["overlaps"]
    assert (overlap["agent"], overlap["task"], overlap["pattern"]) == ("a1", "#1", "src/auth/**")
    human = cli("lease", "add", "src/auth/x.py", "--agent", "a3")
    assert "a1" in human.stderr and "#1 existing" in human.stderr
    assert cli("lease", "add", "docs/**", "--agent", "a2", "--json").data["overlaps"] == []


@pytest.mark.parametrize("args,code", [
    (["lease", "add", "[z-a]", "--agent", "a1"], "invalid"),
    (["lease", "add", "../other/**", "--agent", "a1"], "invalid"),
    (["lease", "add", "**", "--agent", "a1"], "invalid"),
    (["lease", "add", "src/**", "--agent", "a1", "--ttl", "5y"], "invalid"),
    (["lease", "add", "src/**", "--agent", "a1", "--ttl", "1s"], "invalid"),
    (["lease", "add", "src/**", "--agent", "a1", "--task", "99"], "not_found"),
    (["lease", "add", "src/**"], "invalid"),
    (["lease", "release", "99"], "not_found"),
    (["lease", "release"], "invalid"),
    (["lease", "release", "1", "--agent", "a1"], "invalid"),
    (["lease", "release", "--task", "99"], "not_found"),
    (["task", "claim", "1", "--agent", "a1", "--paths", "[z-a]"], "invalid"),
    (["task", "claim", "1", "--agent", "a1", "--paths", "//"], "invalid"),
])
def test_bad_input_is_refused_and_changes_nothing(cli, repo, db_hash, args, code):
    before = db_hash()
    result = cli(*args, "--json")
    assert result.code != 0
    assert result.error["code"] == code != "internal"
    assert db_hash() == before


def test_a_task_held_by_another_agent_is_refused(cli, repo, db_hash):
    cli("task", "claim", "1", "--agent", "a1")
    before = db_hash()
    result = cli("lease", "add", "src/**", "--agent", "a2", "--task", "1", "--json")
    assert result.error["code"] == "conflict"
    assert db_hash() == before


def test_leases_are_in_the_audit_log_as_json(cli, repo, raw_db):
    cli("lease", "add", "src/**", "--agent", "a1", "--ttl", "1h")
    [(after,)] = raw_db.execute("SELECT after FROM audit_log WHERE action = 'lease.add'").fetchall()
    assert json.loads(after)["pattern"] == "src/**"
