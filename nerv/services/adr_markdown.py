"""Decisions as ADR Markdown files (`NNNN-slug.md`): render and parse, losslessly. Pure functions.

Layout (Nygard's ADR with a status list, readable on any forge):

    # 7. Use SQLite

    - Status: accepted
    - Date: 2026-11-22
    - Superseded by: ADR-0009

    <!-- nerv: {"id": ..., "created_at": ..., ...} -->

    ## Context
    ...

The title, status and sections are what a person edits; the comment carries what they should not
(ids, links, exact timestamps). A section is omitted when its field is empty (None). A line inside a
section that starts with `## ` (after any backslashes) gets one more leading backslash on export and
loses it on import, so section text can never be mistaken for a heading: the round trip is exact.
"""

from __future__ import annotations

import json
import re
import unicodedata

SECTIONS = (("context", "Context"), ("decision", "Decision"), ("consequences", "Consequences"),
            ("alternatives", "Alternatives considered"))
HIDDEN_FIELDS = ("id", "created_at", "updated_at", "superseded_by_id", "task_id", "cycle_id")
FILE_NAME = re.compile(r"^(\d{4,})-[a-z0-9-]*\.md$")
_TITLE_LINE = re.compile(r"^# (\d+)\. (.*)$")
_META_LINE = re.compile(r"^<!-- nerv: (\{.*\}) -->$")
_STATUS_LINE = re.compile(r"^- Status: (\S+)\s*$")
_ESCAPED_HEADING = re.compile(r"^(\\*)## ")
_HEADINGS = {f"## {heading}": field for field, heading in SECTIONS}


def slug(title: str, max_len: int = 60) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_title).strip("-")
    return (words[:max_len].rstrip("-") or "decision")


def file_name(number: int, title: str) -> str:
    return f"{number:04d}-{slug(title)}.md"


def _escape(text: str) -> list[str]:
    return [_ESCAPED_HEADING.sub(lambda m: "\\" + m.group(1) + "## ", line) for line in text.split("\n")]


def _unescape(lines: list[str]) -> str:
    return "\n".join(re.sub(r"^\\(\\*## )", r"\1", line) for line in lines)


def render(decision: dict, superseded_by: tuple[int, str] | None = None) -> str:
    """The Markdown file for one decision (a dict with the decisions table's columns).

    `superseded_by` is the (number, title) of the replacing decision, shown as a link.
    """
    lines = [f"# {decision['number']}. {decision['title']}", "", f"- Status: {decision['status']}",
             f"- Date: {decision['created_at'][:10]}"]
    if superseded_by is not None:
        number, title = superseded_by
        lines.append(f"- Superseded by: [ADR-{number:04d}]({file_name(number, title)})")
    hidden = {key: decision.get(key) for key in HIDDEN_FIELDS}
    lines += ["", f"<!-- nerv: {json.dumps(hidden, sort_keys=True, ensure_ascii=False)} -->"]
    for field, heading in SECTIONS:
        if decision.get(field) is not None:
            lines += ["", f"## {heading}", "", *_escape(decision[field])]
    return "\n".join(lines) + "\n"


class AdrFormatError(ValueError):
    """The file is not an ADR this module can read; the message says which line and why."""


def parse(text: str) -> dict:
    """Read a file written by `render` (or hand-written in the same layout) back into decision fields.

    Returns {number, title, status, context, decision, consequences, alternatives} plus the hidden
    fields found in the nerv comment (absent for hand-written files).
    """
    if "\r\n" in text and text.count("\r\n") == text.count("\n"):
        text = text.replace("\r\n", "\n")  # a checkout that converted every line ending (autocrlf)
    lines = (text[:-1] if text.endswith("\n") else text).split("\n")
    title = _TITLE_LINE.match(lines[0]) if lines else None
    if not title:
        raise AdrFormatError("line 1 must be the title, `# N. Title`")
    data: dict = {"number": int(title.group(1)), "title": title.group(2).strip(), "status": None}
    data.update({field: None for field, _ in SECTIONS})
    headings = [index for index, line in enumerate(lines) if line in _HEADINGS]
    header_end = headings[0] if headings else len(lines)
    for index, line in enumerate(lines[1:header_end], start=2):
        status = _STATUS_LINE.match(line)
        if status:
            data["status"] = status.group(1).lower()
        meta = _META_LINE.match(line)
        if meta:
            try:
                hidden = json.loads(meta.group(1))
            except json.JSONDecodeError as exc:
                raise AdrFormatError(f"line {index}: the nerv comment is not valid JSON ({exc.msg})") from None
            if not isinstance(hidden, dict):
                raise AdrFormatError(f"line {index}: the nerv comment must hold a JSON object")
            data.update({key: hidden.get(key) for key in HIDDEN_FIELDS if key in hidden})
    for position, start in enumerate(headings):
        field = _HEADINGS[lines[start]]
        if data[field] is not None:
            raise AdrFormatError(f"line {start + 1}: section {lines[start]!r} appears twice")
        end = headings[position + 1] if position + 1 < len(headings) else len(lines)
        body = lines[start + 1:end]
        # render() frames each section with one blank line after the heading and one before the next.
        if body and body[0] == "":
            body = body[1:]
        if position + 1 < len(headings) and body and body[-1] == "":
            body = body[:-1]
        data[field] = _unescape(body)
    return data
