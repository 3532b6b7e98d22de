"""The export file format (docs/data-safety.md): writing it row by row and reading it back as events.

Two layouts carry the same content. jsonl: one JSON value per line (header object, then per table a
section object followed by one array per row, then an end object). json: one document whose rows are
also one per line. Both end with a trailer giving the totals, so a file cut short is always detected.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator

from nerv.errors import NervError, invalid

FORMAT_NAME = "nerv-export"
FORMAT_VERSION = 1
FORMATS = ("json", "jsonl")
HEADER_KEY = "nerv_export"
BLOB_KEY = "$base64"


def _encode_extra(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {BLOB_KEY: base64.b64encode(bytes(value)).decode("ascii")}
    raise TypeError(f"cannot export a value of type {type(value).__name__}")


_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_encode_extra)
encode = _encoder.encode


def decode_blob(value):
    if isinstance(value, dict) and set(value) == {BLOB_KEY}:
        return base64.b64decode(value[BLOB_KEY])
    return value


class Writer:
    """Writes one export document to a text stream as rows arrive (nothing is held in memory)."""

    def __init__(self, stream: IO[str], fmt: str):
        if fmt not in FORMATS:
            raise invalid(f"unknown export format {fmt!r}", "use --format json or --format jsonl")
        self.stream = stream
        self.fmt = fmt
        self.sections = 0
        self.rows = 0
        self._rows_in_section = 0

    def header(self, header: dict) -> None:
        if self.fmt == "jsonl":
            self.stream.write(encode({HEADER_KEY: header}) + "\n")
        else:
            self.stream.write("{" + encode(HEADER_KEY) + ":" + encode(header) + ',\n"tables":[')

    def start_table(self, name: str, columns: list[str], count: int) -> None:
        section = {"table": name, "columns": columns, "rows": count}
        if self.fmt == "jsonl":
            self.stream.write(encode(section) + "\n")
        else:
            self.stream.write(("," if self.sections else "") + "\n" + encode(section)[:-1] + ',"data":[')
        self.sections += 1
        self._rows_in_section = 0

    def rows_batch(self, rows: list) -> None:
        if not rows:
            return
        text = "\n".join(map(encode, rows))
        if self.fmt == "jsonl":
            self.stream.write(text + "\n")
        else:
            self.stream.write(("," if self._rows_in_section else "") + "\n" + text.replace("\n", ",\n"))
        self._rows_in_section += len(rows)
        self.rows += len(rows)

    def end_table(self) -> None:
        if self.fmt == "json":
            self.stream.write("\n]}")

    def end(self) -> None:
        trailer = {"tables": self.sections, "rows": self.rows}
        if self.fmt == "jsonl":
            self.stream.write(encode({"end": trailer}) + "\n")
        else:
            self.stream.write("\n],\n" + encode("end") + ":" + encode(trailer) + "}\n")


# ---- reading ---------------------------------------------------------------------------------------

@dataclass
class Section:
    name: str
    columns: list[str]
    count: int
    locate: Callable[[int], str]  # row number (1-based) -> where it is in the file


def read_events(path: Path, batch_size: int) -> Iterator[tuple]:
    """Yield ("header", dict), ("section", Section), ("rows", list, first_row_number), ("end", dict).

    jsonl is streamed line by line. A json document is parsed whole (use jsonl for very large exports).
    Raises NervError('invalid') naming the line or position of anything malformed.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise NervError("io", f"cannot read {path}: {exc.strerror}") from exc
    if size == 0:
        raise invalid(f"{path} is empty (0 bytes)", "an export file starts with a nerv_export header")
    try:
        with open(path, "r", encoding="utf-8") as fh:
            first = fh.readline()
            fh.seek(0)
            if _is_jsonl_header(first):
                yield from _read_jsonl(fh, path, batch_size)
            else:
                yield from _read_json(fh, path, batch_size)
    except UnicodeDecodeError as exc:
        raise invalid(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})", "is it a nerv export?") from None
    except OSError as exc:
        raise NervError("io", f"cannot read {path}: {exc.strerror}") from exc


def _is_jsonl_header(line: str) -> bool:
    try:
        value = json.loads(line)
    except ValueError:
        return False
    # A one-line json document parses too; only a jsonl header line holds nothing but the header.
    return isinstance(value, dict) and set(value) == {HEADER_KEY}


def _read_jsonl(fh, path: Path, batch_size: int) -> Iterator[tuple]:
    loads = json.loads
    section: Section | None = None
    batch: list = []
    batch_first = 1
    seen_in_section = 0
    ended = False
    line_no = 0
    for line_no, line in enumerate(fh, start=1):
        if ended:
            if line.strip():
                raise invalid(f"{path}: line {line_no}: content after the end marker")
            continue
        try:
            value = loads(line)
        except ValueError as exc:
            truncated = not line.endswith("\n")
            raise invalid(f"{path}: line {line_no} is not valid JSON ({exc.msg})"
                          + (" - the file looks truncated" if truncated else ""),
                          "nothing was imported") from None
        if isinstance(value, list):
            if section is None:
                raise invalid(f"{path}: line {line_no}: a row before any table section")
            batch.append(value)
            seen_in_section += 1
            if len(batch) >= batch_size:
                yield ("rows", batch, batch_first)
                batch_first += len(batch)
                batch = []
            continue
        if not isinstance(value, dict):
            raise invalid(f"{path}: line {line_no}: expected an object or a row array, got {type(value).__name__}")
        if batch:
            yield ("rows", batch, batch_first)
            batch = []
        if section is not None:
            _check_count(path, section, seen_in_section)
        if line_no == 1:
            yield ("header", value[HEADER_KEY])
            continue
        if "table" in value:
            section = _section(value, path, f"line {line_no}")
            start = line_no
            section.locate = lambda i, start=start: f"{path}: line {start + i}"
            seen_in_section, batch_first = 0, 1
            yield ("section", section)
        elif "end" in value:
            section = None
            ended = True
            yield ("end", value["end"])
        else:
            raise invalid(f"{path}: line {line_no}: unexpected object with keys {sorted(value)[:5]}")
    if not ended:
        raise invalid(f"{path} ends at line {line_no} without its end marker - the file is truncated",
                      "nothing was imported; export again")


def _check_count(path: Path, section: Section, seen: int) -> None:
    if seen != section.count:
        raise invalid(f"{path}: table {section.name} announces {section.count} rows but holds {seen}",
                      "the file was truncated or edited; nothing was imported")


def _section(value: dict, path: Path, where: str) -> Section:
    name, columns, count = value.get("table"), value.get("columns"), value.get("rows")
    if not isinstance(name, str) or not isinstance(columns, list) or not all(isinstance(c, str) for c in columns) \
            or not isinstance(count, int) or count < 0:
        raise invalid(f"{path}: {where}: a table section needs table (text), columns (list of text) and rows (count)")
    if len(set(columns)) != len(columns):
        raise invalid(f"{path}: {where}: table {name} lists a column twice")
    return Section(name, columns, count, lambda i: f"{path}: {where} row {i}")


def _read_json(fh, path: Path, batch_size: int) -> Iterator[tuple]:
    try:
        document = json.load(fh)
    except ValueError as exc:
        raise invalid(f"{path} is not valid JSON (line {getattr(exc, 'lineno', '?')}: {getattr(exc, 'msg', exc)})",
                      "a truncated or hand-edited file? nothing was imported") from None
    if not isinstance(document, dict) or HEADER_KEY not in document:
        raise invalid(f"{path} is not a nerv export (no {HEADER_KEY} header)")
    yield ("header", document[HEADER_KEY])
    tables = document.get("tables")
    if not isinstance(tables, list):
        raise invalid(f"{path}: `tables` must be a list of table sections")
    for index, value in enumerate(tables):
        if not isinstance(value, dict):
            raise invalid(f"{path}: tables[{index}] is not an object")
        section = _section(value, path, f"tables[{index}]")
        section.locate = lambda i, index=index, name=section.name: f"{path}: tables[{index}] ({name}) row {i}"
        data = value.get("data")
        if not isinstance(data, list):
            raise invalid(f"{path}: tables[{index}] ({section.name}) has no data list")
        _check_count(path, section, len(data))
        yield ("section", section)
        for start in range(0, len(data), batch_size):
            yield ("rows", data[start:start + batch_size], start + 1)
    if "end" not in document:
        raise invalid(f"{path} has no end marker - the file is truncated or was edited")
    yield ("end", document["end"])
