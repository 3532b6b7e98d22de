"""Splitting a Bash command into the simple commands a permission rule is matched against. Stdlib only.

A real reading of bash's grammar on top of `shell_lex`: lists, pipelines, subshells, groups, `if`, loops,
`case`, `[[ ]]`, `(( ))`, function definitions and coproc. Certainty first: a part whose effect the text
cannot tell (a substitution, an alias, a function, a name only known at run time, a syntax bash would
read differently) is `uncertain` and is never allowed by a prefix rule. Commands inside substitutions,
`sh -c`, `eval`, `trap`, `watch`, `env -S` and `find -exec` come back as nested parts for deny and ask
rules; the command a wrapper runs (`timeout`, `env`, `xargs`...) is seen through `strip_for_deny`.
"""

from __future__ import annotations

import gc

from nerv.rules import wrappers
from nerv.rules.shell_lex import MAX_NESTING, RESERVED_WORDS, Lexer, Redirect, Word
from nerv.rules.wrappers import (DENY_ONLY_WRAPPERS, FIND_EXEC_FLAGS, FIND_WRITE_FLAGS, NEVER_BY_PREFIX, SHELLS,
                                 WRAPPERS, is_assignment, strip_for_deny, strip_wrappers)

__all__ = ["MAX_COMMAND_CHARS", "MAX_PARTS", "MAX_NESTING", "NEVER_BY_PREFIX", "FIND_EXEC_FLAGS",
           "FIND_WRITE_FLAGS", "SHELLS", "WRAPPERS", "DENY_ONLY_WRAPPERS", "Part", "Word", "Redirect",
           "split_command", "strip_wrappers", "strip_for_deny", "is_assignment"]

MAX_COMMAND_CHARS = 1_000_000
MAX_PARTS = 100_000  # past this many commands the rest is not read and the whole command is uncertain
_GC_PAUSE_CHARS = 10_000
_COMPOUND_OPENERS = {"{", "if", "while", "until", "for", "select", "case", "[[", "coproc"}
_CLOSERS_AFTER_COMPOUND = {"}", "fi", "done", "esac", "then", "do", "else", "elif"}
_ARITHMETIC_TESTS = {"-eq", "-ne", "-lt", "-le", "-gt", "-ge"}
_DIRECTORY_CHANGES = {"cd", "pushd", "popd"}
_DESCRIPTOR_PATHS = ("/dev/fd/", "/dev/stdin", "/proc/")  # `exec 3<f; /dev/fd/3` runs f
_START, _ARGUMENTS, _AFTER_COMPOUND = 0, 1, 2
_SPECIAL_COMMANDS = (set(wrappers.OPTIONS) | set(wrappers.BUILTIN_CHECKS) | SHELLS | _DIRECTORY_CHANGES
                     | {"find", "xargs", "eval", "trap", "watch", "flock", "su", "runuser"})


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


def _spelled(word: Word) -> str:
    """The word as the parser compares it: as written, line continuations joined (`-\\<newline>p` is `-p`)."""
    return word.raw.replace("\\\n", "") if "\\\n" in word.raw else word.raw


def split_command(command: str, *, depth: int = 0) -> list[Part]:
    """Split `command` into parts; parts inside substitutions and code strings come after, marked nested."""
    if len(command) > MAX_COMMAND_CHARS:
        return [Part([], uncertain=f"command longer than {MAX_COMMAND_CHARS:,} characters")]
    if depth or len(command) < _GC_PAUSE_CHARS or not gc.isenabled():
        return _split(command, depth)
    # Parts and words hold no reference cycles; the cyclic collector rescanning hundreds of thousands of
    # them made a long command several times slower.
    gc.disable()
    try:
        return _split(command, depth)
    finally:
        gc.enable()


def _split(command: str, depth: int) -> list[Part]:
    context = _Context(depth)
    lexer = Lexer(command, context, depth)
    parts: list[Part] = []
    _Parser(lexer, context, parts, nested=False).parse(None)
    if lexer.doubt:
        context.taint_(lexer.doubt)
    if not depth and (len(command) - len(command.rstrip("\\"))) % 2:
        # Claude Code runs the command inside a longer line (`eval '...' < /dev/null && pwd ...`): a final
        # unescaped backslash escapes whatever comes after it there.
        context.taint_("a backslash at the end of the command escapes what the shell adds after it")
    _review_all(parts, context)
    result = parts + context.nested + context.reviewed
    if context.taint:
        # Whatever makes the text uncertain (a syntax bash reads differently, an alias, a function) may
        # change every part, and their edges.
        for part in result:
            part.uncertain = part.uncertain or context.taint
        if not parts:
            result.insert(0, Part([], uncertain=context.taint))
    return result


class _Context:
    """What one `split_command` call collects: nested parts and reasons that reach the whole command."""

    __slots__ = ("depth", "nested", "reviewed", "taint", "moved")

    def __init__(self, depth: int):
        self.depth = depth
        self.nested: list[Part] = []  # parts of substitutions, reviewed with the rest
        self.reviewed: list[Part] = []  # parts of code strings, already reviewed by their own split
        self.taint: str | None = None
        self.moved = False  # a cd/pushd/popd ran: relative redirections no longer mean what they say

    def taint_(self, reason: str) -> None:
        if self.taint is None:
            self.taint = reason

    # The lexer calls these three for substitutions and `${name:=value}`.
    def parse_in_place(self, lexer: Lexer, closer: str) -> None:
        _Parser(lexer, self, self.nested, nested=True).parse(closer)

    def parse_text(self, text: str, depth: int) -> str | None:
        lexer = Lexer(text, self, depth)
        _Parser(lexer, self, self.nested, nested=True).parse(None)
        return lexer.doubt

    def note_assignment(self, name: str) -> None:
        if wrappers.is_dangerous_variable(name):
            self.taint_(f"assignment to {name}")


# ---- grammar --------------------------------------------------------------------------------------

class _Parser:
    """Tokens to parts for one command list (the whole text, or one substitution)."""

    __slots__ = ("lexer", "context", "parts", "nested", "stack", "current", "state", "pushed", "need_command",
                 "compound", "done", "closer")

    def __init__(self, lexer: Lexer, context: _Context, parts: list[Part], nested: bool):
        self.lexer = lexer
        self.context = context
        self.parts = parts
        self.nested = nested
        self.stack: list[list] = []  # open compound commands: [keyword, first part index, phase, extra]
        self.current: Part | None = None
        self.state = _START
        self.pushed: list = []
        self.need_command = False  # after && || | |&: a command must follow
        self.compound = (0, 0)  # the parts of the compound command that just closed
        self.done = False
        self.closer: str | None = None

    def parse(self, closer: str | None) -> None:
        self.closer = closer
        pushed = self.pushed
        next_token = self.lexer.next_token
        add_part = self.parts.append
        nested = self.nested
        while not self.done:
            token = pushed.pop() if pushed else next_token()
            kind = token.__class__
            # The first two branches of each kind are the common cases of a long command, inlined.
            if kind is Word:
                if self.state == _ARGUMENTS:
                    self.current.words.append(token)
                elif (self.state == _START and self.current is None and token.value not in RESERVED_WORDS
                      and "=" not in token.raw):
                    self.current = Part([token])
                    self.need_command = False
                    self.state = _ARGUMENTS
                else:
                    self._word(token)
            elif kind is str:
                if (token == "\n" or token == ";") and self.current is not None and self.state != _AFTER_COMPOUND \
                        and not self.need_command:
                    part = self.current
                    self.current = None
                    part.nested = nested
                    add_part(part)
                    self.state = _START
                    if len(self.parts) > MAX_PARTS:
                        self._stop_reading()
                else:
                    self._operator(token)
            elif token is None:
                self._end_of_input()
                return
            else:
                self._redirect(token)

    def _next(self):
        return self.pushed.pop() if self.pushed else self.lexer.next_token()

    def _next_skipping_newlines(self):
        token = self._next()
        while token == "\n":
            token = self._next()
        return token

    def _error(self, near: str) -> None:
        self.lexer.mark(f"syntax error near {near!r}")

    def _end_of_input(self) -> None:
        self._finish_part()
        if self.closer is not None:
            self.lexer.mark(f"unterminated {'$(' if self.closer == ')' else '${'}")
        elif self.stack:
            self.lexer.mark(f"unterminated {self.stack[-1][0]}")
        elif self.need_command:
            self.lexer.mark("a command must follow the last operator")

    def _finish_part(self) -> None:
        if self.state == _ARGUMENTS:
            self.state = _START
        part = self.current
        if part is not None:
            self.current = None
            if part.words or part.redirects:
                part.nested = self.nested
                self.parts.append(part)
                if len(self.parts) > MAX_PARTS:
                    self._stop_reading()

    def _stop_reading(self) -> None:
        lexer = self.lexer
        lexer.mark(f"more than {MAX_PARTS:,} commands: not read to the end")
        lexer.pos = lexer.end

    def _add_part(self, part: Part) -> None:
        part.nested = self.nested
        self.parts.append(part)

    # ---- words and keywords -----------------------------------------------------------------------

    def _word(self, word: Word) -> None:
        if self.state == _ARGUMENTS:
            self.current.words.append(word)
            return
        keyword = _keyword(word) if word.value in RESERVED_WORDS else None
        if self.state == _AFTER_COMPOUND:
            if keyword in _CLOSERS_AFTER_COMPOUND:
                self._keyword(keyword, word)
                return
            self._error(word.raw)
            self.state = _START
        if keyword is not None and self.current is None:
            self._keyword(keyword, word)
            return
        if self.current is None:
            self.current = Part([word])
        else:
            self.current.words.append(word)
        self.need_command = False
        if "=" not in word.raw or not is_assignment(word):
            self.state = _ARGUMENTS

    def _keyword(self, keyword: str, word: Word) -> None:
        if keyword in _COMPOUND_OPENERS or keyword in ("!", "time", "function"):
            self.need_command = False
        elif self.need_command:
            self._error(keyword)
        handler = _KEYWORD_HANDLERS.get(keyword)
        if handler is None:
            self._error(keyword)
            return
        handler(self, word)

    def _open(self, keyword: str, phase: str = "", extra=None) -> None:
        self.stack.append([keyword, len(self.parts), phase, extra])
        self.state = _START

    def _top(self, *keywords: str, phases: tuple = ()) -> list | None:
        top = self.stack[-1] if self.stack else None
        if top is None or top[0] not in keywords or (phases and top[2] not in phases):
            return None
        return top

    def _close(self) -> None:
        entry = self.stack.pop()
        self.compound = (entry[1], len(self.parts))
        self.state = _AFTER_COMPOUND

    def _advance(self, keywords: tuple, phases: tuple, new_phase: str, near: str) -> None:
        top = self._top(*keywords, phases=phases)
        if top is None:
            self._error(near)
            return
        top[2] = new_phase
        self.state = _START

    def _brace(self, word: Word) -> None:
        self._open("{")

    def _close_brace(self, word: Word) -> None:
        self._finish_part()
        if self._top("{"):
            self._close()
        elif self.closer == "}" and not self.stack:
            self.done = True
        else:
            self._error("}")

    def _bang(self, word: Word) -> None:
        self.state = _START

    def _time(self, word: Word) -> None:
        token = self._next()
        while token.__class__ is Word and _keyword(token) is None and _spelled(token) in ("-p", "--"):
            token = self._next()
        self.pushed.append(token)
        self.state = _START

    def _if(self, word: Word) -> None:
        self._open("if", "condition")

    def _then(self, word: Word) -> None:
        self._advance(("if",), ("condition",), "body", "then")

    def _elif(self, word: Word) -> None:
        self._advance(("if",), ("body",), "condition", "elif")

    def _else(self, word: Word) -> None:
        self._advance(("if",), ("body",), "else", "else")

    def _fi(self, word: Word) -> None:
        if self._top("if", phases=("body", "else")):
            self._close()
        else:
            self._error("fi")

    def _while(self, word: Word) -> None:
        self._open("while", "condition")

    def _do(self, word: Word) -> None:
        self._advance(("while",), ("condition",), "body", "do")

    def _done(self, word: Word) -> None:
        if self._top("while", "for", phases=("body",)):
            self._close()
        else:
            self._error("done")

    def _for(self, word: Word) -> None:
        """`for name [in words]; do` and `for (( ; ; )); do`; the header is a part of its own."""
        header = Part([word])
        start = len(self.parts)
        self._add_part(header)
        token = self._next()
        if token == "(" and self.lexer.next_char_is("("):
            arithmetic = Word("", "")
            self.lexer.read_arithmetic_command(arithmetic)
            header.words.append(arithmetic)
            token = self._next_skipping_newlines()
            if token == ";":
                token = self._next_skipping_newlines()
        elif token.__class__ is Word and _is_name(token):
            header.words.append(token)
            self._note_name(header, token)
            token = self._next_skipping_newlines()
            if token.__class__ is Word and _keyword(token) == "in":
                header.words.append(token)
                token = self._next()
                while token.__class__ is Word:
                    header.words.append(token)
                    token = self._next()
                if token not in (";", "\n"):
                    self._error(str(token))
                token = self._next_skipping_newlines()
            elif token == ";":
                token = self._next_skipping_newlines()
        else:
            self._error(word.raw)
            self.pushed.append(token)
            return
        if token.__class__ is Word and _keyword(token) == "do":
            self.stack.append(["for", start, "body", None])
            self.state = _START
        else:
            self._error(word.raw)
            self.pushed.append(token)

    def _note_name(self, part: Part, word: Word) -> None:
        part_reason, whole_reason = wrappers.name_doubt(word)
        part.uncertain = part.uncertain or part_reason
        if whole_reason:
            self.context.taint_(whole_reason)

    def _case(self, word: Word) -> None:
        header = Part([word])
        start = len(self.parts)
        self._add_part(header)
        subject = self._next()
        if subject.__class__ is not Word:
            self._error("case")
            self.pushed.append(subject)
            return
        header.words.append(subject)
        keyword = self._next_skipping_newlines()
        if keyword.__class__ is not Word or _keyword(keyword) != "in":
            self._error("case")
            self.pushed.append(keyword)
            return
        header.words.append(keyword)
        self.stack.append(["case", start, "pattern", header])
        self._case_patterns()

    def _case_patterns(self) -> None:
        """`pattern | pattern )` before each case item; `)` here closes a pattern, not a subshell."""
        entry = self.stack[-1]
        header = entry[3]
        token = self._next_skipping_newlines()
        if token.__class__ is Word and _keyword(token) == "esac":
            self._close()
            return
        if token == "(":
            token = self._next()
        while True:
            if token.__class__ is not Word:
                self._error(str(token))
                self.pushed.append(token)
                return
            if token.uncertain:
                header.uncertain = header.uncertain or token.uncertain
            token = self._next()
            if token == "|":
                token = self._next()
                continue
            if token == ")":
                break
            self._error(str(token))
            self.pushed.append(token)
            return
        entry[2] = "body"
        self.state = _START

    def _esac(self, word: Word) -> None:
        self._finish_part()
        if self._top("case"):
            self._close()
        else:
            self._error("esac")

    def _function(self, word: Word) -> None:
        name = self._next()
        if name.__class__ is not Word:
            self._error("function")
            self.pushed.append(name)
            return
        self.context.taint_(f"function definition {name.value!r} (can replace a command)")
        token = self._next()
        if token == "(":
            if self._next() != ")":
                self._error("(")
        else:
            self.pushed.append(token)
        self.state = _START

    def _coproc(self, word: Word) -> None:
        self.context.taint_("coproc runs a command with pipes the text does not show")
        first = self._next()
        if first.__class__ is Word and _keyword(first) is None:
            second = self._next()
            if second == "(" or (second.__class__ is Word and _keyword(second) in _COMPOUND_OPENERS):
                self._note_name(Part([]), first)  # `coproc NAME compound`: NAME becomes an array
                self.pushed.append(second)
            else:
                self.pushed.extend((second, first))
        else:
            self.pushed.append(first)
        self.state = _START

    def _conditional(self, word: Word) -> None:
        """`[[ ... ]]`: && || ( ) < > belong to the expression, not to the command list."""
        part = Part([word])
        previous = "[["
        while True:
            token = self.pushed.pop() if self.pushed else self.lexer.next_token(conditional=True)
            if token is None:
                self._error("[[")
                break
            if token.__class__ is Word:
                part.words.append(token)
                spelled = _spelled(token)
                if spelled == "]]":
                    break
                if spelled in _ARITHMETIC_TESTS or spelled in ("-v", "-R"):
                    part.uncertain = part.uncertain or f"[[ {spelled} ]] evaluates its operands as arithmetic"
                if spelled == "=~":
                    self._skip_blanks()
                    part.words.append(self.lexer.read_word(conditional=True, regex=True))
                previous = spelled
            elif token == "\n" and previous in ("&&", "||", "(", "!", "[["):
                continue
            elif token.__class__ is str and token in ("&&", "||", "(", ")", "<", ">"):
                part.words.append(Word(token, token))
                previous = token
            else:
                self._error(str(token))
                break
        self._add_part(part)
        self.compound = (len(self.parts) - 1, len(self.parts))
        self.state = _AFTER_COMPOUND

    def _skip_blanks(self) -> None:
        lexer = self.lexer
        while lexer.pos < lexer.end and lexer.text[lexer.pos] in " \t":
            lexer.pos += 1

    def _reserved_out_of_place(self, word: Word) -> None:
        self._error(word.raw)

    # ---- redirections and operators ---------------------------------------------------------------

    def _redirect(self, redirect: Redirect) -> None:
        if self.state == _AFTER_COMPOUND:
            # `{ a; b; } > f`: every command of the compound writes to f.
            start, stop = self.compound
            targets = self.parts[start:stop]
            if not targets:
                targets = [Part([])]
                self._add_part(targets[0])
            for part in targets:
                part.redirects.append(redirect)
            return
        if self.current is None:
            self.current = Part([])
        self.current.redirects.append(redirect)
        self.need_command = False

    def _operator(self, op: str) -> None:
        if op in (";", "&", "\n"):
            if op != "\n" and (self.need_command or (self.current is None and self.state == _START)):
                self._error(op)
            self._finish_part()
            self.state = _START
        elif op in ("&&", "||", "|", "|&"):
            if self.need_command or (self.current is None and self.state != _AFTER_COMPOUND):
                self._error(op)
            self._finish_part()
            self.state = _START
            self.need_command = True
        elif op == "(":
            self._open_parenthesis()
        elif op == ")":
            self._close_parenthesis()
        elif op in (";;", ";&", ";;&"):
            self._finish_part()
            self.state = _START
            if self._top("case", phases=("body",)):
                self._case_patterns()
            else:
                self._error(op)
        else:
            self._error(op)

    def _open_parenthesis(self) -> None:
        if self.state == _START and self.current is None:
            self.need_command = False
            if self.lexer.next_char_is("("):
                self._arithmetic_command()
            else:
                self._open("(")
        elif self.state == _ARGUMENTS and len(self.current.words) == 1 and not self.current.redirects:
            name = self.current.words[0]
            if self._next() != ")":
                self._error("(")
            self.context.taint_(f"function definition {name.value!r} (can replace a command)")
            self.current = None
            self.state = _START
        else:
            self._error("(")

    def _close_parenthesis(self) -> None:
        if self.need_command:
            self._error(")")
        self._finish_part()
        if self._top("("):
            if self.stack[-1][1] == len(self.parts):
                self._error("()")
            self._close()
        elif self.closer == ")" and not self.stack:
            self.done = True
        else:
            self._error(")")

    def _arithmetic_command(self) -> None:
        word = Word("", "")
        self.lexer.read_arithmetic_command(word)
        self._add_part(Part([word]))
        self.compound = (len(self.parts) - 1, len(self.parts))
        self.state = _AFTER_COMPOUND


_KEYWORD_HANDLERS = {
    "{": _Parser._brace, "}": _Parser._close_brace, "!": _Parser._bang, "time": _Parser._time,
    "if": _Parser._if, "then": _Parser._then, "elif": _Parser._elif, "else": _Parser._else, "fi": _Parser._fi,
    "while": _Parser._while, "until": _Parser._while, "do": _Parser._do, "done": _Parser._done,
    "for": _Parser._for, "select": _Parser._for, "case": _Parser._case, "esac": _Parser._esac,
    "function": _Parser._function, "coproc": _Parser._coproc, "[[": _Parser._conditional,
    "in": _Parser._reserved_out_of_place, "]]": _Parser._reserved_out_of_place,
}


def _keyword(word: Word) -> str | None:
    """The reserved word `word` is, if it can be one (unquoted, nothing expanded)."""
    if word.quoted or word.expands or word.value not in RESERVED_WORDS:
        return None
    return word.value


def _is_name(word: Word) -> bool:
    return word.literal and not word.quoted and word.value.isidentifier() and word.value.isascii()


# ---- what each part runs --------------------------------------------------------------------------

def _review_all(parts: list[Part], context: _Context) -> None:
    for part in parts:
        _review(part, context, context.depth, top_level=True)
    index = 0
    while index < len(context.nested):
        _review(context.nested[index], context, context.depth, top_level=False)
        index += 1


def _review(part: Part, context: _Context, depth: int, top_level: bool) -> None:
    reason = part.uncertain or _first_doubt(part)
    words = part.words
    if words and _is_ordinary(words[0]):
        # The common case, and the hot path of a long command: nothing special runs here.
        if context.moved and reason is None and any(_relative_target(r) for r in part.redirects):
            reason = "the working directory changed earlier in the command"
        part.uncertain = reason
        return
    index = 0
    while index < len(words) and is_assignment(words[index]):
        # Every check runs even once a reason is known: they also taint and collect nested parts.
        doubt = _assignment_doubt(words[index], index + 1 < len(words), context)
        reason = reason or doubt
        index += 1
    command = words[index:]
    if command:
        reason = reason or wrappers.wrapper_doubt(command)
        layer = command
        for _ in range(32):  # each wrapper in `nice timeout 5 exec x`, then the command it runs
            doubt = _command_doubt(part, layer, context, depth)
            reason = reason or doubt
            layer = wrappers.unwrap(layer)
            if not layer:
                break
    if context.moved and any(_relative_target(r) for r in part.redirects):
        reason = reason or "the working directory changed earlier in the command"
    if top_level and command and command[0].value in _DIRECTORY_CHANGES:
        context.moved = True
    part.uncertain = reason


def _is_ordinary(head: Word) -> bool:
    """A literal command name that is no assignment, wrapper, shell, builtin with effects, or path."""
    value = head.value
    return (not (head.expands or head.globbed or head.braced or head.tilde or head.uncertain)
            and value not in _SPECIAL_COMMANDS and "/" not in value and "=" not in value)


def _first_doubt(part: Part) -> str | None:
    for word in part.words:
        if word.uncertain:
            return word.uncertain
    for redirect in part.redirects:
        if redirect.uncertain:
            return redirect.uncertain
        if redirect.fd.startswith("{"):
            part_reason, whole_reason = wrappers.name_doubt(Word(redirect.fd[1:-1], redirect.fd[1:-1]))
            if whole_reason:
                return whole_reason
    return None


def _assignment_doubt(word: Word, prefix: bool, context: _Context) -> str | None:
    name = wrappers.assignment_name(word)
    part_reason, whole_reason = wrappers.name_doubt(Word(name, name))
    if whole_reason:
        if not prefix:
            context.taint_(whole_reason + " changes what later commands run")
        elif name.split("[", 1)[0] != "IFS":
            # `IFS= read line` is harmless: bash expands the command's words before the assignment.
            return whole_reason + " changes what the command runs"
    return part_reason


def _relative_target(redirect: Redirect) -> bool:
    return redirect.target is not None and not redirect.target.value.startswith("/")


def _command_doubt(part: Part, core: list[Word], context: _Context, depth: int) -> str | None:
    head = core[0]
    if not head.literal or head.tilde:
        return "the command name is only known at run time"
    name = head.value
    if name.startswith(_DESCRIPTOR_PATHS):
        return f"{name} runs whatever file it refers to"
    part_reason, whole_reason = wrappers.builtin_doubt(name, core[1:])
    if whole_reason:
        context.taint_(whole_reason)
    return _nested_commands(part, core, context, depth) or part_reason


def _nested_commands(part: Part, core: list[Word], context: _Context, depth: int) -> str | None:
    """Split the code a command runs (sh -c, eval, trap, watch, find -exec) into nested parts."""
    name = core[0].value
    base = name.rsplit("/", 1)[-1]
    args = core[1:]
    if base in SHELLS:
        return _shell_command(part, base, args, context, depth)
    if base == "find":
        return _find_commands(args, context, depth)
    code = wrappers.code_arguments(base, args)
    if code:
        if not all(w.literal for w in code):
            return f"{base} runs code only known at run time"
        return _split_code(base, " ".join(w.value for w in code), context, depth)
    return None


def _shell_command(part: Part, shell: str, args: list[Word], context: _Context, depth: int) -> str | None:
    kind, index, doubt = wrappers.shell_invocation(args)
    if kind == "command":
        string = args[index]
        if not string.literal:
            return f"{shell} -c runs a command string only known at run time"
        return _split_code(f"{shell} -c", string.value, context, depth)
    if kind == "stdin":
        for redirect in part.redirects:
            if redirect.body:
                _split_code(shell, redirect.body, context, depth)
        return f"{shell} reads its commands from its input"
    if kind == "script":
        # `sh name` looks `name` up in PATH when no such file is here: the script is a command.
        inner = _nested_part(args[index:], context, depth)
        return f"{shell} runs: {inner}" if inner else None
    return doubt


def _split_code(runner: str, code: str, context: _Context, depth: int) -> str | None:
    if depth + 1 >= MAX_NESTING:
        return f"{runner}: code nested too deeply"
    inner = split_command(code, depth=depth + 1)
    for part in inner:
        part.nested = True
    context.reviewed.extend(inner)
    doubt = next((p.uncertain for p in inner if p.uncertain), None)
    return f"{runner} runs: {doubt}" if doubt else None


def _find_commands(args: list[Word], context: _Context, depth: int) -> str | None:
    doubt = None
    index = 0
    while index < len(args):
        if args[index].value in FIND_EXEC_FLAGS:
            tail: list[Word] = []
            index += 1
            while index < len(args) and args[index].value not in (";", "+"):
                tail.append(args[index])
                index += 1
            if tail:
                if "{}" in tail[0].value:
                    doubt = doubt or "find -exec runs the file names it finds"
                inner = _nested_part(tail, context, depth)
                doubt = doubt or (f"find -exec runs: {inner}" if inner else None)
        index += 1
    return doubt


def _nested_part(words: list[Word], context: _Context, depth: int) -> str | None:
    """A command another command runs with these words (find -exec, sh script): reviewed like any part."""
    part = Part(words, nested=True)
    if depth + 1 >= MAX_NESTING:
        part.uncertain = "commands nested too deeply"
    else:
        _review(part, context, depth + 1, top_level=False)
    context.reviewed.append(part)
    return part.uncertain
