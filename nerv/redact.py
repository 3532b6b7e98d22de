"""Secrets out of the tool inputs nerv stores (approval requests and their audit rows). Stdlib only: the hook
records requests.

`approvals.store_inputs` chooses what is kept: `full` (verbatim), `redacted` (the default: known secret
shapes replaced by MARK) or `none` (a placeholder naming the setting). Redaction is best effort: it knows
the shapes listed in _RULES and values under secret-looking keys, not every secret a command can hold.

The patterns are compiled on first use, not at import: the hook imports this module only on the paths
that store an input, and `re` is kept off the hook's common path for its startup time.
"""

from __future__ import annotations

MODES = ("full", "redacted", "none")
MARK = "[redacted]"
SETTING = "approvals.store_inputs"
NOT_STORED = {"nerv": f"tool input not stored ({SETTING} = none)"}

_SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL")
_VALUE = r"(?:\"[^\"]*+\"|'[^']*+'|[^\s;&|\"'`)]++)"
# Token shapes start where no token character precedes them: a match can then start only once per run of
# such characters, so a long run that is no token costs one scan, not one per position (quadratic).
_START = r"(?<![A-Za-z0-9_-])"

# (pattern, replacement): groups kept in the replacement are the non-secret part (a name, a scheme, a user).
# Every open-ended repetition is possessive (`*+`, `++`): nothing backtracks into it, so no input is slow to
# redact (tests/approvals/test_redact.py runs the shapes that were quadratic without it).
_RULES = (
    (r"-----BEGIN [A-Z0-9 ]{0,40}?PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]{0,40}?PRIVATE KEY-----|\Z)", MARK),
    (r"(?i)\b(authorization[\"']?\s*+[:=]\s*+[\"']?(?:bearer|basic|token|bot)?\s*+)[^\s\"',;]++", r"\1" + MARK),
    (r"(?i)\b(bearer\s++)[A-Za-z0-9._~+/-]{8,}+=*+", r"\1" + MARK),
    (r"(://[^/\s:@]*+:)[^/\s@]++@", r"\1" + MARK + "@"),
    (r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", MARK),
    (_START + r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}+", MARK),
    (_START + r"github_pat_[A-Za-z0-9_]{20,}+", MARK),
    (_START + r"sk-(?:ant-)?[A-Za-z0-9_-]{16,}+", MARK),
    (_START + r"xox[abposr]-[A-Za-z0-9-]{10,}+", MARK),
    (_START + r"eyJ[A-Za-z0-9_-]{5,}+\.eyJ[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]{5,}+", MARK),
    (r"(?i)(?<![A-Za-z0-9_-])(--?(?:password|passwd|pass|token|secret|api-key|apikey|access-key|secret-key|auth-token)"
     r"(?:=|\s++))" + _VALUE, r"\1" + MARK),
)
# NAME=value: the name is matched whole (possessive), then judged by _secret_name, not by the pattern.
_ASSIGNMENT = r"\b([A-Za-z_][A-Za-z0-9_]*+)(\s*+=(?!=)\s*+)(" + _VALUE + ")"
TEXT_MAX = 64_000  # what an approval request keeps of one string at most; longer ones are cut first
_compiled: list | None = None
_assignment = None


def _secret_name(name: str) -> bool:
    upper = name.upper()
    return any(word in upper for word in _SECRET_WORDS)


def _secret_key(key: str) -> bool:
    return _secret_name(key) or key.lower() in ("authorization", "cookie")


def _redact_assignment(match) -> str:
    return match.group(1) + match.group(2) + MARK if _secret_name(match.group(1)) else match.group(0)


def _rules() -> list:
    global _compiled, _assignment
    if _compiled is None:
        import re

        _compiled = [(re.compile(pattern), replacement) for pattern, replacement in _RULES]
        _assignment = re.compile(_ASSIGNMENT)
    return _compiled


def redact_text(text: str) -> str:
    """`text` (its first TEXT_MAX characters) with every known secret shape replaced by MARK."""
    text = text[:TEXT_MAX]
    for pattern, replacement in _rules():
        text = pattern.sub(replacement, text)
    return _assignment.sub(_redact_assignment, text)


def redact_value(value):
    """A JSON-like value with secrets redacted in every string, and whole values under secret-looking keys."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: MARK if isinstance(key, str) and isinstance(item, str) and _secret_key(key)
                else redact_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    return value


def stored_input(tool_input, mode: str) -> str:
    """The JSON text kept for a tool input under `mode` (an unknown mode redacts)."""
    from nerv import fastjson  # the hook's json: no `re` when nothing is redacted

    value = tool_input if tool_input is not None else {}
    if mode == "full":
        kept = value
    elif mode == "none":
        kept = NOT_STORED
    else:
        kept = redact_value(value)
    return fastjson.dumps(kept, ensure_ascii=False, default=str)


def stored_text(text: str | None, mode: str) -> str | None:
    """A text derived from a tool input (the suggested rule, a generalisation `approve --remember` needs):
    verbatim under `full`, redacted under the other modes."""
    if text is None or mode == "full":
        return text
    return redact_text(text)
