"""What approval requests keep of a tool input: secret shapes redacted by default, verbatim or nothing on request."""

from __future__ import annotations

import json

import pytest

from nerv import redact
from tests.conftest import raw_connection
from tests.hooks.test_hook_flows import fire, permission_request, pre_tool_use  # noqa: F401 (fire: a fixture)

# (text, the secret that must disappear, the part that must stay)
SECRETS = [
    ("aws s3 ls --profile x AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "aws s3 ls"),
    ("git clone https://ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com/a/b", "ghp_0123456789abcdefghij", "git clone"),
    ("gh auth login --with-token gho_16C7e42F292c6912E7710c838347Ae178B4a", "gho_16C7e42F292c6912E7710c8", "gh auth"),
    ("GH=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz gh api", "github_pat_11ABCDEFG", "gh api"),
    ("curl -H 'x-api-key: sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789' https://api.anthropic.com",
     "sk-ant-api03-abcdefghij", "https://api.anthropic.com"),
    ("OPENAI=sk-proj-abcdefghijklmnopqrstuvwx python run.py", "sk-proj-abcdefghij", "python run.py"),
    ("curl -d token=xoxb-123456789012-abcdefghijkl https://slack.com/api/chat", "xoxb-123456789012", "slack.com"),
    ("http GET api.test 'Cookie: s=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N'",
     "eyJhbGciOiJIUzI1NiJ9.eyJzdWIi", "http GET"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\nabc\n-----END RSA PRIVATE KEY-----\nrest",
     "MIIEpAIBAAKCAQEA7", "rest"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA", "b3BlbnNzaC1rZXktdjEAAAA", ""),
    ('curl -H "Authorization: Bearer abc.def-ghi_jkl" https://x.test', "abc.def-ghi_jkl", "https://x.test"),
    ("curl -H 'Authorization: token 0a1b2c3d4e5f' https://x.test", "0a1b2c3d4e5f", "Authorization: token"),
    ("git push https://deploy:hunter2pass@git.example.com/repo.git main", "hunter2pass", "https://deploy:"),
    ("psql postgres://app:s3cr3t@db:5432/app", "s3cr3t", "@db:5432/app"),
    ("FOO_TOKEN=abc123 npm publish", "abc123", "FOO_TOKEN=[redacted] npm publish"),
    ("export AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG'", "wJalrXUtnFEMI", "export AWS_SECRET_ACCESS_KEY="),
    ('DB_PASSWORD="correct horse battery" ./migrate', "correct horse", "./migrate"),
    ("api_key=zzz111 python x.py", "zzz111", "python x.py"),
    ("mysql -u root --password hunter2 -e 'select 1'", "hunter2", "-e 'select 1'"),
    ("mysql --password=hunter3 db", "hunter3", "mysql --password="),
    ("docker login --token abcdef123 registry", "abcdef123", "registry"),
    ("MY_CREDENTIALS=xyz ./run && echo done", "xyz ./run", "echo done"),
    ("PASSWD=pw1;ls", "pw1", ";ls"),
]

# Texts with nothing to redact: kept exactly.
PLAIN = [
    "echo hi", "git status", "npm test -- --watch=false", "ls -la ~/.ssh", "pytest -k 'token and not slow'",
    "grep -r password docs/", "python -m pip install scikit-learn", "cat tokenizer.py", "sk-learn is not a key",
    "git log --oneline -5", "curl https://example.com/path?page=2", "export PATH=/usr/bin:$PATH",
    "KEYS_COUNT == 3", "echo $GITHUB_TOKEN", "ssh user@host.example.com", "docker run -e MODE=prod app",
    "see https://github.com/anthropics/claude-code", "AKIA is a prefix", "Bearer", "eyJ alone",
]


@pytest.mark.parametrize("text,secret,kept", SECRETS)
def test_known_secret_shapes_are_redacted(text, secret, kept):
    redacted = redact.redact_text(text)
    assert secret not in redacted and redact.MARK in redacted
    assert kept in redacted


@pytest.mark.parametrize("text", PLAIN)
def test_texts_without_secrets_are_kept_exactly(text):
    assert redact.redact_text(text) == text


# Inputs that made a backtracking pattern quadratic (20 s for 64 KB of `KEY`): each must take well
# under a second; a generous bound, since this guards against a hang of the hook, not a speed.
PATHOLOGICAL = ["KEY" * 21_000, "TOKEN_" * 10_000, "a." * 32_000, "eyJaa-" * 10_000, "://" * 20_000,
                "sk-" * 20_000, 'A="' * 20_000, '--token "' * 7_000, "-----BEGIN PRIVATE KEY-----" * 2_000,
                "https://a:b@c/ " * 4_000, "x=1 " * 16_000]


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=lambda t: t[:12])
def test_no_input_is_slow_to_redact(text):
    import time

    started = time.perf_counter()
    redact.redact_text(text)
    assert time.perf_counter() - started < 3


def test_a_string_is_cut_to_what_a_request_keeps_before_it_is_redacted():
    assert redact.redact_text("a" * 1_000_000) == "a" * redact.TEXT_MAX


def test_values_under_secret_named_keys_are_redacted_whole():
    value = {"url": "https://api.test", "headers": {"Authorization": "Basic dXNlcjpwYXNz", "X-Trace": "t1"},
             "api_key": "plain-looking", "max_tokens": 100, "items": ["FOO_SECRET=x1 run"]}
    redacted = redact.redact_value(value)
    assert redacted == {"url": "https://api.test", "headers": {"Authorization": redact.MARK, "X-Trace": "t1"},
                        "api_key": redact.MARK, "max_tokens": 100, "items": ["FOO_SECRET=[redacted] run"]}


def test_importing_redaction_imports_no_re_until_an_input_is_stored():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys; import nerv.redact; before = 're' in sys.modules; nerv.redact.redact_text('x'); "
            "print(before, 're' in sys.modules)")
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.split() == ["False", "True"], done.stderr


SECRET_CALL = {"command": "curl -H 'Authorization: Bearer tok_live_0123456789' https://api.test "
                          "&& FOO_TOKEN=abc123 deploy", "description": "deploy"}


def _stored(nerv_home) -> list[tuple]:
    conn = raw_connection(nerv_home)
    try:
        requests = conn.execute("SELECT tool_input FROM approval_requests ORDER BY id").fetchall()
        audits = conn.execute("SELECT after FROM audit_log WHERE action = 'approval.request' ORDER BY id").fetchall()
    finally:
        conn.close()
    return [(json.loads(r[0]), json.loads(a[0])["tool_input"]) for r, a in zip(requests, audits)]


@pytest.mark.parametrize("event", ["PermissionRequest", "PreToolUse"])
def test_approval_requests_and_their_audit_rows_keep_no_secret_by_default(fire, cli, nerv_home, tmp_path, event):
    if event == "PreToolUse":
        cli("settings", "set", "hook.mode", "strict")  # PreToolUse records the request in strict mode
        fire(pre_tool_use(tmp_path, SECRET_CALL))
    else:
        cli("status")
        fire(permission_request(tmp_path, SECRET_CALL))
    [(kept, audited)] = _stored(nerv_home)
    assert "tok_live_0123456789" not in json.dumps(kept) and "abc123" not in audited
    assert kept["command"].startswith("curl -H 'Authorization: Bearer [redacted]'")
    assert "FOO_TOKEN=[redacted] deploy" in kept["command"] and kept["description"] == "deploy"
    export = cli("export", "--format", "jsonl").stdout
    assert "tok_live_0123456789" not in export and "abc123 deploy" not in export


@pytest.mark.parametrize("mode,expect", [("full", SECRET_CALL), ("none", redact.NOT_STORED)])
def test_store_inputs_full_or_none(fire, cli, nerv_home, tmp_path, mode, expect):
    assert cli("settings", "set", redact.SETTING, mode).code == 0
    fire(permission_request(tmp_path, SECRET_CALL))
    [(kept, _)] = _stored(nerv_home)
    assert kept == expect


def test_store_inputs_refuses_an_unknown_mode(cli, db_hash):
    cli("status")
    before = db_hash()
    result = cli("settings", "set", redact.SETTING, "some", "--json")
    assert result.code != 0 and result.error["code"] != "internal" and db_hash() == before
