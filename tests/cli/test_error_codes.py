"""The closed list of error codes holds only codes nerv can report."""

from __future__ import annotations

from pathlib import Path

from nerv.errors import CODES

SOURCE = Path(__file__).resolve().parents[2] / "nerv"


def test_every_error_code_is_used_somewhere_outside_its_declaration():
    text = "\n".join(p.read_text(encoding="utf-8") for p in SOURCE.rglob("*.py") if p.name != "errors.py")
    unused = sorted(code for code in CODES if f'"{code}"' not in text)
    assert unused == [], f"error codes nothing raises: {unused}"
