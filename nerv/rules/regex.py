"""Regular expressions on the hook path: compiled on first use, and the lexer's hottest ones matched without `re`.

`import re` costs a hook process about 8 ms (it pulls in enum and the regex compiler), some 40% of a bare
`python -c "import sqlite3"`. A typical tool call (`npm test -q` against prefix rules) needs no regular
expression at all, so nothing here imports `re` until a pattern is really used. The scanners below give the
lexer's plain-word, blank and name patterns the same answers as their regular expressions (a property test
holds them to it) for short runs, which is every run of an ordinary command, and hand long runs to `re`,
which is faster there.
"""

from __future__ import annotations

# A run longer than this is finished by the compiled regular expression.
LONG_RUN = 256


class LazyPattern:
    """A regular expression compiled (and `re` imported) on first use."""

    __slots__ = ("pattern", "compiled")

    def __init__(self, pattern: str):
        self.pattern = pattern
        self.compiled = None

    def _get(self):
        if self.compiled is None:
            import re
            self.compiled = re.compile(self.pattern)
        return self.compiled

    def match(self, *args):
        return self._get().match(*args)

    def fullmatch(self, *args):
        return self._get().fullmatch(*args)

    def search(self, *args):
        return self._get().search(*args)

    def sub(self, *args, **kwargs):
        return self._get().sub(*args, **kwargs)


class Span:
    """What the lexer reads of an `re.Match`: `end()` and `group()`; group 1 is an inner span, or None."""

    __slots__ = ("text", "start", "stop", "inner")

    def __init__(self, text: str, start: int, stop: int, inner: tuple[int, int] | None = None):
        self.text = text
        self.start = start
        self.stop = stop
        self.inner = inner

    def end(self) -> int:
        return self.stop

    def group(self, index: int = 0) -> str | None:
        if not index:
            return self.text[self.start:self.stop]
        return None if self.inner is None else self.text[self.inner[0]:self.inner[1]]


def _run_end(text: str, pos: int, end: int, chars: frozenset, inside: bool) -> int:
    """Where the run of characters in (inside=True) or outside `chars` starting at `pos` ends, or -1 when long."""
    limit = min(end, pos + LONG_RUN)
    index = pos
    if inside:
        while index < limit and text[index] in chars:
            index += 1
    else:
        while index < limit and text[index] not in chars:
            index += 1
    return -1 if index == limit and limit < end else index


class CharRun:
    """`[chars]+` (or `[^chars]+`): a scanner for short runs, `re` for long ones."""

    __slots__ = ("chars", "inside", "regex")

    def __init__(self, chars: str, inside: bool, pattern: str):
        self.chars = frozenset(chars)
        self.inside = inside
        self.regex = LazyPattern(pattern)

    def match(self, text: str, pos: int, end: int):
        stop = _run_end(text, pos, end, self.chars, self.inside)
        if stop < 0:
            return self.regex.match(text, pos, end)
        return Span(text, pos, stop) if stop > pos else None


class HeadRun:
    """`[first][rest]*`, optionally after blanks (`[ \\t]*`, group 1 then being the word)."""

    __slots__ = ("first", "rest", "blanks", "regex")

    def __init__(self, first: str, rest: str, pattern: str, blanks: bool = False):
        self.first = frozenset(first)
        self.rest = frozenset(rest)
        self.blanks = blanks
        self.regex = LazyPattern(pattern)

    def match(self, text: str, pos: int = 0, end: int | None = None):
        end = len(text) if end is None else end
        start = pos
        if self.blanks:
            pos = _run_end(text, pos, end, _SPACE_TAB, True)
            if pos < 0:
                return self.regex.match(text, start, end)
        if pos >= end or text[pos] not in self.first:
            return None
        stop = _run_end(text, pos + 1, end, self.rest, True)
        if stop < 0:
            return self.regex.match(text, start, end)
        return Span(text, start, stop, (pos, stop))

    def fullmatch(self, text: str, pos: int = 0, end: int | None = None):
        """The runs are greedy and cannot give characters back, so a full match is a match ending at `end`."""
        end = len(text) if end is None else end
        match = self.match(text, pos, end)
        return match if match is not None and match.end() == end else None


_SPACE_TAB = frozenset(" \t")


class Blanks:
    """`(?:[ \\t]+|\\\\\\n)+`: blanks and line continuations."""

    __slots__ = ("regex",)

    def __init__(self):
        self.regex = LazyPattern(r"(?:[ \t]+|\\\n)+")

    def match(self, text: str, pos: int, end: int):
        index = pos
        limit = min(end, pos + LONG_RUN)
        while index < limit:
            char = text[index]
            if char == " " or char == "\t":
                index += 1
            elif char == "\\" and index + 1 < end and text[index + 1] == "\n":
                index += 2
            else:
                break
        if index >= limit and limit < end:
            return self.regex.match(text, pos, end)
        return Span(text, pos, index) if index > pos else None


_NAME_FIRST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
_NAME_REST = _NAME_FIRST + "0123456789"


class AssignmentPrefix:
    """`NAME([subscript])?+?=`, the start of a shell assignment."""

    __slots__ = ("regex", "name")

    def __init__(self):
        self.regex = LazyPattern(r"[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=")
        self.name = HeadRun(_NAME_FIRST, _NAME_REST, r"[A-Za-z_][A-Za-z0-9_]*")

    def match(self, text: str, pos: int = 0, end: int | None = None):
        """Group 1 is the subscript, as in the regular expression."""
        end = len(text) if end is None else end
        name = self.name.match(text, pos, end)
        if name is None:
            return None
        index = name.end()
        subscript = None
        if index < end and text[index] == "[":
            close = text.find("]", index + 1, end)
            if close < 0:
                return None
            subscript = (index, close + 1)
            index = close + 1
        if index < end and text[index] == "+":
            index += 1
        return Span(text, pos, index + 1, subscript) if index < end and text[index] == "=" else None

    def fullmatch(self, text: str, pos: int = 0, end: int | None = None):
        """Bash reads the name greedily, so a full match is a match that ends at `end`."""
        end = len(text) if end is None else end
        match = self.match(text, pos, end)
        return match if match is not None and match.end() == end else None


PLAIN_WORD_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./,:@%+=^!#]-"
NAME = HeadRun(_NAME_FIRST, _NAME_REST, r"[A-Za-z_][A-Za-z0-9_]*")


class FdNumber:
    """`[0-9]+(?=[<>])`: the file descriptor before a redirection operator."""

    __slots__ = ("digits",)

    def __init__(self):
        self.digits = CharRun("0123456789", True, r"[0-9]+(?=[<>])")

    def match(self, text: str, pos: int, end: int):
        run = self.digits.match(text, pos, end)
        if run is None or not isinstance(run, Span):
            return run  # no digits, or a long run the regular expression has already judged
        stop = run.end()
        return run if stop < end and text[stop] in "<>" else None
