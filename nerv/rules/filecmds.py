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
        in_place = name in ("sed", "perl") and any(w.value.startswith(IN_PLACE_FLAGS) or w.value == "-pi"
                                                    for w in args)
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
    if name == "dd":
        return [(w, w.value.startswith("of=")) for w in args if w.value.startswith(("if=", "of="))]
    return []


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
