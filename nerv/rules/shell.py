"""Splitting a shell command into the simple commands a permission rule is matched against. Stdlib only.

This is not a shell. It reads just enough of the POSIX/bash grammar to split on `&& || ; | |& &`,
newlines and subshell parentheses, to honour quotes and escapes, and to notice every construct whose
effect it cannot know from the text (command and process substitution, backticks, here-docs, ANSI-C
quoting, unbalanced quotes). Such a part is marked `uncertain` and can never be allowed by a prefix rule;
the text inside a substitution is still split and checked against deny and ask rules.
"""

from __future__ import annotations

import re

SEPARATORS = ("&&", "||", ";;", ";&", "|&", ";", "|", "&", "\n", "(", ")")
REDIRECT_OPS = ("&>>", "&>", ">>", ">|", ">&", "<&", "<>", ">", "<")
# Structural words that only introduce or close a compound command.
LEADING_KEYWORDS = {"!", "{", "}", "if", "then", "elif", "else", "do", "while", "until"}
CLOSING_KEYWORDS = {"fi", "done", "esac", "}", "{"}
UNCERTAIN_KEYWORDS = {"for", "case", "select", "function", "coproc", "[[", "((", "in"}
# Commands that run another command in a way a prefix rule cannot vouch for (Claude Code's list).
NEVER_BY_PREFIX = {"watch", "setsid", "ionice", "flock"}
FIND_EXEC_FLAGS = {"-exec", "-execdir", "-ok", "-okdir"}
FIND_WRITE_FLAGS = {"-delete", "-fprint", "-fprint0", "-fprintf", "-fls"}
SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "fish"}
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=")
_GLOB_CHARS = set("*?[")
MAX_NESTING = 8


# Plain slotted classes, not dataclasses: importing dataclasses costs the hook several milliseconds.
class Word:
    __slots__ = ("value", "raw", "expands", "globbed")

    def __init__(self, value: str, raw: str):
        self.value = value  # after quote removal
        self.raw = raw  # as written
        self.expands = False  # contains $var, ${...} or a substitution: value unknown until run time
        self.globbed = False  # unquoted glob characters


class Redirect:
    __slots__ = ("op", "target", "written")

    def __init__(self, op: str, target: Word | None, written: str = ""):
        self.op = op
        self.target = target  # None for fd duplication (2>&1, >&-) and here-documents
        self.written = written  # the target as written, for display

    @property
    def writes(self) -> bool:
        return self.target is not None and ">" in self.op


class Part:
    """One simple command of a compound command."""

    __slots__ = ("words", "redirects", "uncertain", "nested")

    def __init__(self, words: list[Word], *, uncertain: str | None = None, nested: bool = False):
        self.words = words
        self.redirects: list[Redirect] = []
        self.uncertain = uncertain  # why this part cannot be allowed by a prefix rule
        self.nested = nested  # inside a substitution / sh -c / find -exec: only deny and ask look at it

    @property
    def raw(self) -> str:
        return " ".join(w.raw for w in self.words)

    @property
    def plain(self) -> str:
        return " ".join(w.value for w in self.words)

    def describe(self) -> str:
        text = self.raw
        for r in self.redirects:
            text += f" {r.op}{r.written}" if r.op in (">&", "<&") else f" {r.op} {r.written}"
        return text.strip()


class _Scan:
    """Mutable scanner state for one command string."""

    __slots__ = ("text", "pos", "uncertain", "inner")

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.uncertain: str | None = None
        self.inner: list[str] = []  # text inside substitutions

    def mark(self, reason: str) -> None:
        if self.uncertain is None:
            self.uncertain = reason


def split_command(command: str, *, depth: int = 0) -> list[Part]:
    """Split `command` into parts; parts inside substitutions come after, marked nested."""
    scan = _Scan(command.replace("\\\r\n", "").replace("\\\n", ""))
    tokens = _tokenize(scan)
    parts = _group(tokens, scan)
    extra: list[Part] = []
    if depth < MAX_NESTING:
        for inner in scan.inner:
            for part in split_command(inner, depth=depth + 1):
                part.nested = True
                extra.append(part)
        for part in parts:
            extra.extend(_nested_commands(part, depth))
    elif scan.inner:
        scan.mark("substitutions nested too deeply")
    if scan.uncertain:
        # A scan-level problem (unbalanced quote, substitution) taints every part: their edges are not
        # certain either.
        for part in parts:
            part.uncertain = part.uncertain or scan.uncertain
        if not parts:
            parts.append(Part([], uncertain=scan.uncertain))
    return parts + extra


def _nested_commands(part: Part, depth: int) -> list[Part]:
    """Commands a part runs indirectly (`sh -c '...'`, `find -exec ...`): checked for deny and ask."""
    words = [w.value for w in part.words]
    found: list[Part] = []
    stripped = strip_for_deny(part.words)
    head = stripped[0].value if stripped else ""
    base = head.rsplit("/", 1)[-1]
    if base in SHELLS:
        values = [w.value for w in stripped]
        for index, value in enumerate(values[1:-1], start=1):
            if value.startswith("-") and "c" in value[1:] and not value.startswith("--"):
                for inner in split_command(values[index + 1], depth=depth + 1):
                    inner.nested = True
                    found.append(inner)
                break
    if base == "eval" and len(stripped) > 1:
        for inner in split_command(" ".join(w.value for w in stripped[1:]), depth=depth + 1):
            inner.nested = True
            found.append(inner)
    if base == "find":
        for index, value in enumerate(words):
            if value in FIND_EXEC_FLAGS:
                tail = []
                for word in part.words[index + 1:]:
                    if word.value in (";", "+"):
                        break
                    tail.append(word)
                if tail:
                    found.append(Part(tail, nested=True))
    return found


# ---- tokens ---------------------------------------------------------------------------------------

class _Op:
    __slots__ = ("op",)

    def __init__(self, op: str):
        self.op = op


def _tokenize(scan: _Scan) -> list:
    text = scan.text
    tokens: list = []
    n = len(text)
    while scan.pos < n:
        char = text[scan.pos]
        if char in " \t":
            scan.pos += 1
            continue
        op = _match_separator(text, scan.pos)
        if op:
            scan.pos += len(op)
            tokens.append(_Op(op))
            continue
        redirect = _match_redirect(text, scan.pos)
        if redirect:
            scan.pos += len(redirect)
            if redirect.lstrip("0123456789").startswith("<<"):
                scan.mark("here-document or here-string")
            tokens.append(_Op("redir:" + redirect))
            continue
        tokens.append(_read_word(scan))
    return tokens


def _match_separator(text: str, pos: int) -> str | None:
    for op in SEPARATORS:
        if text.startswith(op, pos):
            if op == "&" and text.startswith("&>", pos):
                return None
            return op
    return None


def _match_redirect(text: str, pos: int) -> str | None:
    end = pos
    while end < len(text) and text[end].isdigit():
        end += 1
    if end > pos and (end == len(text) or text[end] not in "<>"):
        return None  # a number, not an fd before a redirection
    if text.startswith("<<", end):
        stop = end + (3 if text.startswith("<<<", end) else 2)
        if text.startswith("-", stop):
            stop += 1
        return text[pos:stop]
    for op in REDIRECT_OPS:
        if text.startswith(op, end):
            if text.startswith(op + "(", end) and op in ("<", ">"):
                return None  # process substitution, read as a word
            return text[pos:end + len(op)]
    return None


def _read_word(scan: _Scan) -> Word:
    text = scan.text
    n = len(text)
    start = scan.pos
    value: list[str] = []
    word = Word("", "")
    while scan.pos < n:
        char = text[scan.pos]
        # A digit inside a word is not an fd number (`a2>x` is the word a2, then >x).
        if char in " \t" or _match_separator(text, scan.pos) or (
                not char.isdigit() and _match_redirect(text, scan.pos) and not _starts_process_subst(text, scan.pos)):
            break
        if char == "\\":
            if scan.pos + 1 < n:
                value.append(text[scan.pos + 1])
            scan.pos += 2
        elif char == "'":
            close = text.find("'", scan.pos + 1)
            if close < 0:
                scan.mark("unbalanced single quote")
                value.append(text[scan.pos + 1:])
                scan.pos = n
            else:
                value.append(text[scan.pos + 1:close])
                scan.pos = close + 1
        elif char == '"':
            _read_double_quoted(scan, value, word)
        elif char == "`":
            _read_backticks(scan, value, word)
        elif char == "$":
            _read_dollar(scan, value, word)
        elif char in "<>" and scan.pos + 1 < n and text[scan.pos + 1] == "(":
            scan.mark("process substitution")
            inner, end = _balanced(text, scan.pos + 1, scan)
            scan.inner.append(inner)
            value.append(text[scan.pos:end])
            word.expands = True
            scan.pos = end
        else:
            if char in _GLOB_CHARS:
                word.globbed = True
            value.append(char)
            scan.pos += 1
    word.value = "".join(value)
    word.raw = text[start:scan.pos]
    return word


def _starts_process_subst(text: str, pos: int) -> bool:
    return text[pos] in "<>" and pos + 1 < len(text) and text[pos + 1] == "("


def _read_double_quoted(scan: _Scan, value: list[str], word: Word) -> None:
    text = scan.text
    n = len(text)
    scan.pos += 1
    while scan.pos < n:
        char = text[scan.pos]
        if char == '"':
            scan.pos += 1
            return
        if char == "\\" and scan.pos + 1 < n and text[scan.pos + 1] in '\\"$`\n':
            value.append(text[scan.pos + 1])
            scan.pos += 2
        elif char == "`":
            _read_backticks(scan, value, word)
        elif char == "$":
            _read_dollar(scan, value, word, quoted=True)
        else:
            value.append(char)
            scan.pos += 1
    scan.mark("unbalanced double quote")


def _read_backticks(scan: _Scan, value: list[str], word: Word) -> None:
    text = scan.text
    scan.mark("command substitution (backticks)")
    end = scan.pos + 1
    while end < len(text) and text[end] != "`":
        end += 2 if text[end] == "\\" else 1
    if end >= len(text):
        scan.mark("unbalanced backtick")
        end = len(text) - 1
    scan.inner.append(text[scan.pos + 1:end])
    value.append(text[scan.pos:end + 1])
    word.expands = True
    scan.pos = end + 1


def _read_dollar(scan: _Scan, value: list[str], word: Word, *, quoted: bool = False) -> None:
    text = scan.text
    nxt = text[scan.pos + 1] if scan.pos + 1 < len(text) else ""
    if nxt == "(":
        scan.mark("command substitution $(...)")
        inner, end = _balanced(text, scan.pos + 1, scan)
        if not inner.startswith("("):  # $((arithmetic)) runs no command, but is still not certain
            scan.inner.append(inner)
        value.append(text[scan.pos:end])
        word.expands = True
        scan.pos = end
    elif nxt == "{":
        close = _find_brace_end(text, scan.pos + 1)
        body = text[scan.pos + 2:close]
        if close >= len(text) or text[close] != "}":
            scan.mark("unbalanced ${")
        elif not _PARAMETER.match(body) or "$(" in body or "`" in body:
            # bash 5.3 runs `${ cmd; }` and `${| cmd; }` as command substitutions.
            scan.mark("command substitution inside ${...}")
        value.append(text[scan.pos:close + 1])
        word.expands = True
        scan.pos = close + 1
    elif nxt in ("'", '"') and not quoted:
        scan.mark("ANSI-C or locale quoting $'...'")
        word.expands = True
        scan.pos += 1
    elif nxt and (nxt.isalnum() or nxt in "_@*#?$!-"):
        end = scan.pos + 2
        if nxt.isalpha() or nxt == "_":
            while end < len(text) and (text[end].isalnum() or text[end] == "_"):
                end += 1
        value.append(text[scan.pos:end])
        word.expands = True
        scan.pos = end
    else:
        value.append("$")
        scan.pos += 1


_PARAMETER = re.compile(r"[#!]?([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])(\[[^\]]*\])?")


def _find_brace_end(text: str, open_at: int) -> int:
    depth = 0
    for index in range(open_at, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    return len(text)


def _balanced(text: str, open_at: int, scan: _Scan) -> tuple[str, int]:
    """The text inside the parenthesis at `open_at` and the index after its match (quotes respected)."""
    depth = 0
    index = open_at
    quote = ""
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 2
                continue
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "\\":
            index += 2
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return text[open_at + 1:index], index + 1
        index += 1
    scan.mark("unbalanced parenthesis")
    return text[open_at + 1:], len(text)


# ---- parts ----------------------------------------------------------------------------------------

def _group(tokens: list, scan: _Scan) -> list[Part]:
    parts: list[Part] = []
    current = Part([])
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if isinstance(token, _Op) and token.op.startswith("redir:"):
            op = token.op[len("redir:"):]
            target = tokens[index + 1] if index + 1 < len(tokens) and isinstance(tokens[index + 1], Word) else None
            if target is None:
                current.uncertain = current.uncertain or f"redirection {op} without a target"
            else:
                index += 1
            bare = op.lstrip("0123456789")
            written = target.raw if target is not None else ""
            if target is not None and bare in (">&", "<&") and (target.value.isdigit() or target.value == "-"):
                target = None  # fd duplication or close: no file involved
            elif target is not None and bare.startswith("<<"):
                target = None
            current.redirects.append(Redirect(bare, target, written))
        elif isinstance(token, _Op):
            _close_part(current, parts)
            current = Part([])
        else:
            current.words.append(token)
        index += 1
    _close_part(current, parts)
    return parts


def _close_part(part: Part, parts: list[Part]) -> None:
    while part.words and part.words[0].raw in LEADING_KEYWORDS:
        part.words.pop(0)
    if len(part.words) == 1 and part.words[0].raw in CLOSING_KEYWORDS:
        part.words.pop(0)
    if not part.words and not part.redirects:
        return
    if part.words and part.words[0].raw in UNCERTAIN_KEYWORDS:
        part.uncertain = part.uncertain or f"shell construct {part.words[0].raw!r}"
    parts.append(part)


# ---- wrappers -------------------------------------------------------------------------------------

def is_assignment(word: Word) -> bool:
    return bool(_ASSIGNMENT.match(word.raw))


_DURATION = re.compile(r"\d+(\.\d+)?[smhd]?")


def _strip_timeout(args: list[Word]) -> int | None:
    index = 0
    while index < len(args) and args[index].value.startswith("-"):
        flag = args[index].value
        if flag in ("-s", "-k", "--signal", "--kill-after"):
            index += 2
        elif flag.startswith(("--signal=", "--kill-after=")) or flag in ("--preserve-status", "--foreground",
                                                                          "-v", "--verbose"):
            index += 1
        elif re.fullmatch(r"-[sk].+", flag):
            index += 1
        else:
            return None
    if index < len(args) and _DURATION.fullmatch(args[index].value):
        return index + 1
    return None


def _strip_nice(args: list[Word]) -> int | None:
    if not args:
        return None
    first = args[0].value
    if first == "-n":
        return 2 if len(args) > 1 and re.fullmatch(r"-?\d+", args[1].value) else None
    if re.fullmatch(r"-n?-?\d+", first) or re.fullmatch(r"--adjustment=-?\d+", first):
        return 1
    return None if first.startswith("-") else 0


def _strip_stdbuf(args: list[Word]) -> int | None:
    index = 0
    while index < len(args) and args[index].value.startswith("-"):
        flag = args[index].value
        if flag in ("-i", "-o", "-e"):
            index += 2
        elif re.fullmatch(r"-[ioe].+|--(input|output|error)=.+", flag):
            index += 1
        else:
            return None
    return index if index else None


def _strip_plain(args: list[Word], allowed_flags=()) -> int | None:
    index = 0
    while index < len(args) and args[index].value.startswith("-"):
        if args[index].value not in allowed_flags:
            return None
        index += 1
    return index


# wrapper -> function(args) returning how many argument words belong to the wrapper (None: not certain)
WRAPPERS = {
    "timeout": _strip_timeout,
    "time": lambda a: _strip_plain(a, ("-p",)),
    "nice": _strip_nice,
    "nohup": lambda a: _strip_plain(a, ("--",)),
    "stdbuf": _strip_stdbuf,
    "command": lambda a: _strip_plain(a, ("-p",)),
    "builtin": lambda a: 0,
    "noglob": lambda a: 0,
    "xargs": lambda a: 0 if a and not a[0].value.startswith("-") else None,  # only bare xargs
}
# Extra wrappers deny and ask look past (never allow: each can change what runs or where).
DENY_ONLY_WRAPPERS = {"env", "sudo", "doas", "exec", "eval", "nohup", "watch", "setsid", "ionice", "flock",
                      "chronic", "caffeinate", "unbuffer", "xargs", "time", "timeout", "nice", "stdbuf",
                      "command", "builtin", "noglob", "strace", "ltrace", "torsocks", "proxychains"}
_OPTIONS_WITH_VALUE = {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-n", "-s", "-k", "-c", "-w",
                       "-i", "-o", "-e", "-E", "-I", "-L", "-P", "-d", "-a", "-S", "--user", "--group"}


def strip_wrappers(words: list[Word]) -> list[Word]:
    """Remove the documented wrappers (only where their options parse with certainty)."""
    while words and not words[0].expands:
        spec = WRAPPERS.get(words[0].value)
        if spec is None:
            break
        consumed = spec(words[1:])
        if consumed is None or consumed + 1 >= len(words):
            break
        words = words[1 + consumed:]
    return words


def strip_for_deny(words: list[Word]) -> list[Word]:
    """Look past assignments and any wrapper-like word, loosely: deny and ask should rather hit than miss."""
    for _ in range(32):
        if not words:
            break
        head = words[0]
        if is_assignment(head):
            words = words[1:]
            continue
        name = head.value.rsplit("/", 1)[-1]
        if name not in DENY_ONLY_WRAPPERS:
            break
        rest = words[1:]
        while rest and (rest[0].value.startswith("-") or is_assignment(rest[0]) or _DURATION.fullmatch(rest[0].value)):
            takes_value = rest[0].value in _OPTIONS_WITH_VALUE
            rest = rest[2:] if takes_value else rest[1:]
        if name == "flock" and len(rest) > 1:
            rest = rest[1:]  # the lock file
        if name == "eval":
            break  # eval's words are re-read as a command: left to the caller's nested split
        words = rest
    return words
