"""The files a Bash command reads or writes, for the file commands Claude Code recognises. Stdlib only.

Claude Code applies Read(...) and Edit(...) deny and ask rules to the files named by the file commands it
recognises in Bash (`cat .env` is denied by `Read(./.env)`; permissions#read-and-edit), not to what a script
does. nerv lists the operands of those commands, and the targets of redirections, as reads or writes.
"""

from __future__ import annotations

READERS = frozenset({"cat", "head", "tail", "less", "more", "bat", "batcat", "nl", "tac", "od", "xxd", "hexdump",
                     "strings", "wc", "sort", "uniq", "cut", "paste", "diff", "cmp", "comm", "file", "stat",
                     "md5sum", "sha1sum", "sha224sum", "sha256sum", "sha384sum", "sha512sum", "b2sum", "cksum",
                     "base64", "base32", "jq", "yq", "column", "fold", "fmt", "pr", "rev", "look", "iconv",
                     "zcat", "zless", "bzcat", "xzcat", "gunzip", "readlink", "realpath", "ls", "tree", "du"})
# Commands whose first operand is a pattern or a program, not a file (unless -e/-f gave it).
PATTERN_FIRST = frozenset({"grep", "egrep", "fgrep", "rg", "ag", "ack", "sed", "awk", "gawk", "mawk", "perl"})
PATTERN_FLAGS = frozenset({"-e", "-f", "--regexp", "--file", "--expression"})
WRITERS = frozenset({"tee", "touch", "truncate", "rm", "rmdir", "mkdir", "shred", "unlink"})
# The first operand is a mode or an owner, the rest are files changed.
ATTRIBUTE_WRITERS = frozenset({"chmod", "chown", "chgrp"})
COPIERS = frozenset({"cp", "ln", "install", "rsync", "scp"})  # last operand written, the others read
MOVERS = frozenset({"mv"})  # every operand changes
IN_PLACE_FLAGS = ("-i", "--in-place")


def file_operands(words: list) -> list[tuple[object, bool]]:
    """(word, writes) for each file a simple command names; `words` start at the command name."""
    if not words:
        return []
    name = words[0].value.rsplit("/", 1)[-1]
    args = words[1:]
    operands = [w for w in _operands(args)]
    if name in READERS:
        return [(w, False) for w in operands]
    if name in PATTERN_FIRST:
        in_place = name in ("sed", "perl") and any(_is_in_place_flag(w.value) for w in args)
        if not any(w.value in PATTERN_FLAGS or w.value.startswith(("--regexp=", "--file=", "--expression="))
                   for w in args):
            operands = operands[1:]
        return [(w, in_place) for w in operands]
    if name in WRITERS:
        return [(w, True) for w in operands]
    if name in ATTRIBUTE_WRITERS:
        return [(w, True) for w in operands[1:]]
    if name in COPIERS:
        return [(w, False) for w in operands[:-1]] + [(w, True) for w in operands[-1:]]
    if name in MOVERS:
        return [(w, True) for w in operands]
    if name == "git" and "--no-index" in {w.value for w in args}:
        return [(w, False) for w in operands if w.value != "diff"]  # `git diff --no-index a b` reads both
    if name == "dd":
        return [(w, w.value.startswith("of=")) for w in args if w.value.startswith(("if=", "of="))]
    return []


def _is_in_place_flag(value: str) -> bool:
    """`-i`, `-i.bak`, `--in-place`, or a cluster holding i (`-ni`, `-pi`)."""
    if value.startswith("--"):
        return value.startswith("--in-place")
    return value.startswith("-") and "i" in value[1:].split(".", 1)[0]


def sed_script_escapes(args: list) -> bool:
    """Whether a sed script writes files or runs programs (`w`, `W`, `e`, `s///w`, `s///e`), or cannot be read.

    GNU sed's own commands can do what no file rule sees (a GHSA of Claude Code before 2.0.31), so a sed call
    is only vouched for when every command of its scripts is known to do neither.
    """
    scripts = []
    explicit = False
    index = 0
    while index < len(args):
        value = args[index].value
        if value in ("-e", "--expression") and index + 1 < len(args):
            scripts.append(args[index + 1])
            explicit = True
            index += 2
            continue
        if value.startswith("--expression="):
            scripts.append(_Word(value[len("--expression="):], args[index].expands))
            explicit = True
        elif value in ("-f", "--file") or value.startswith("--file="):
            return True  # the script is in a file: unknown
        index += 1
    if not explicit:
        first = next(iter(_operands(args)), None)
        scripts = [first] if first is not None else []
    return any(word.expands or _sed_escapes(word.value) for word in scripts)


class _Word:
    __slots__ = ("value", "expands")

    def __init__(self, value: str, expands: bool):
        self.value = value
        self.expands = expands


_SED_ADDRESS = set("0123456789$,~+! \t")


def _sed_escapes(script: str) -> bool:
    index, n = 0, len(script)
    while index < n:
        char = script[index]
        if char in ";\n{} \t":
            index += 1
            continue
        while index < n and script[index] in _SED_ADDRESS:
            index += 1
        if index < n and script[index] in "/\\":
            index = _skip_delimited(script, index + (script[index] == "\\"), 1)
            if index < 0:
                return True
            continue
        if index >= n:
            return False
        command = script[index]
        if command in "wWeE":
            return True
        if command in "sy":
            end = _skip_delimited(script, index + 1, 2)
            if end < 0:
                return True
            flags_end = end
            while flags_end < n and script[flags_end] not in ";\n}":
                flags_end += 1
            if command == "s" and set(script[end:flags_end]) & set("we"):
                return True
            index = flags_end
            continue
        if command in "aic":
            newline = script.find("\n", index)
            index = n if newline < 0 else newline + 1
            continue
        if command in "rRbtTv:#qQlLpPnNdDgGhHxz=F":
            while index < n and script[index] not in ";\n}":
                index += 1
            continue
        return True  # a command this reader does not know
    return False


def _skip_delimited(script: str, start: int, fields: int) -> int:
    """Index after `fields` fields delimited by script[start] (escapes honoured), or -1 if unterminated."""
    if start >= len(script):
        return -1
    delimiter = script[start]
    index = start + 1
    for _ in range(fields):
        while index < len(script) and script[index] != delimiter:
            index += 2 if script[index] == "\\" else 1
        if index >= len(script):
            return -1
        index += 1
    return index


def _operands(args: list):
    """Words that are not options; after `--` every word is an operand."""
    options_done = False
    for word in args:
        if not options_done and word.value == "--":
            options_done = True
            continue
        if not options_done and word.value.startswith("-") and word.value != "-":
            continue
        yield word


def operand_path(word) -> str | None:
    """The path text of an operand (`of=x` -> `x`), or None when it is stdin/stdout."""
    value = word.value
    if value.startswith(("if=", "of=")):
        value = value[3:]
    return None if value in ("-", "") else value
