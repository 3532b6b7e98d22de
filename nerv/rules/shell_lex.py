"""Reading a Bash command into words, operators and redirections the way bash 5 reads it. Stdlib only.

The lexer follows bash's rules for comments, quoting (`'...'`, `"..."`, `$'...'`, `$"..."`), backslashes,
line continuations, here-documents and the expansions that can run code. It never guesses: where it
cannot follow bash with certainty it records a `doubt`, and every part of such a command is uncertain.

Substitutions are parsed where they stand (`$(...)`, `<(...)`, `${ ...; }`) by the grammar the caller
passes in, so their commands come back as nested parts and their end is found the way bash finds it.
"""

from __future__ import annotations

from nerv.rules.regex import NAME, PLAIN_WORD_CHARS, AssignmentPrefix, Blanks, CharRun, FdNumber, HeadRun, LazyPattern

MAX_NESTING = 8
RESERVED_WORDS = frozenset({"!", "{", "}", "if", "then", "elif", "else", "fi", "case", "esac", "for", "select",
                            "while", "until", "do", "done", "in", "function", "time", "[[", "]]", "coproc"})


# Only space, tab and newline separate words in bash: never str.split()/isspace(), which would also split
# on NBSP, U+2028 and friends (and \r is an ordinary character).
_PLAIN_WORD = CharRun(PLAIN_WORD_CHARS, True, r"[A-Za-z0-9_./,:@%+=^!#\]-]+")
_BLANKS_AND_PLAIN_WORD = HeadRun(PLAIN_WORD_CHARS.replace("#", ""), PLAIN_WORD_CHARS,
                                 r"[ \t]*([A-Za-z0-9_./,:@%+=^!\]-][A-Za-z0-9_./,:@%+=^!#\]-]*)", blanks=True)
_PLAIN_STOP = frozenset(" \t\n;&|)")  # `(` may start an array assignment, `<(` a process substitution
_BLANK_START = frozenset(" \t\\")
_DIGITS = frozenset("0123456789")
_UNQUOTED_RUN = CharRun(" \t\n;&|()<>\\'\"`$*?[]~{}", False, r"[^ \t\n;&|()<>\\'\"`$*?\[\]~{}]+")
_DOUBLE_QUOTED_RUN = CharRun('"\\$`', False, r'[^"\\$`]+')
_HEREDOC_RUN = LazyPattern(r"[^\\$`]+")
_ANSI_C_RUN = LazyPattern(r"[^\\']+")
_PARAMETER_WORD_RUN = LazyPattern(r"[^}\\'\"`$<>]+")
_ARITHMETIC_RUN = LazyPattern(r"[^()\[\]$`'\"\\]+")
_BACKTICK_BODY = LazyPattern(r"(?s)(?:[^`\\]+|\\.)*")
_BLANKS = Blanks()
_NAME = NAME
_FD_NUMBER = FdNumber()
_FD_VARIABLE = LazyPattern(r"\{([A-Za-z_][A-Za-z0-9_]*)\}(?=[<>])")
_ASSIGNMENT_PREFIX = AssignmentPrefix()
_BRACE_EXPANSION = LazyPattern(r"\{[^{}]*(?:,|\.\.)[^{}]*\}")
_PARAMETER_HEAD = LazyPattern(r"([#!]?)([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!0-]?)(\[[^\[\]]*\])?")
_PARAMETER_OPERATOR = LazyPattern(r":?[-=?+]|##?|%%?|/[/#%]?|\^\^?|,,?|@[A-Za-z]?|:")
_LITERAL_SUBSCRIPT = LazyPattern(r"\[(?:[0-9]+|@|\*)\]")
_OCTAL = LazyPattern(r"[0-7]{1,3}")
_HEX = {"x": LazyPattern(r"[0-9A-Fa-f]{1,2}"), "u": LazyPattern(r"[0-9A-Fa-f]{1,4}"),
        "U": LazyPattern(r"[0-9A-Fa-f]{1,8}")}
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
                   "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}
_BACKTICK_ESCAPE = LazyPattern(r"\\([\\`$\n])")
_BACKTICK_ESCAPE_IN_DOUBLE_QUOTES = LazyPattern(r"\\([\\`$\n\"])")


_WORD_DEFAULTS = {"braced": False, "tilde": False, "quoted": False, "uncertain": None}


# Plain slotted classes, not dataclasses: importing dataclasses costs the hook several milliseconds.
class Word:
    __slots__ = ("value", "raw", "expands", "globbed", "braced", "tilde", "quoted", "uncertain")

    def __init__(self, value: str, raw: str):
        self.value = value  # after quote removal; expansions stay as written
        self.raw = raw  # as written
        self.expands = False  # $var, ${...}, a substitution, $"..." or ~: value unknown until run time
        self.globbed = False  # unquoted * ? [...]: may become other words
        self.braced = False  # unquoted {a,b} or {1..3}: becomes several words
        self.tilde = False  # unquoted ~ at the start (or after = / : in an assignment); expands unless ~ or ~/
        self.quoted = False  # some character is quoted: never a reserved word
        self.uncertain: str | None = None  # why this word can run code or is not read with certainty

    def __getattr__(self, name: str):
        # Subclasses that skip __init__ for speed (PowerShell's words) leave the newer flags unset.
        try:
            return _WORD_DEFAULTS[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def literal(self) -> bool:
        """No expansion changes the word when bash runs it (a `~` or `~/` for $HOME aside, see `tilde`)."""
        return not (self.expands or self.globbed or self.braced or self.uncertain)


class Redirect:
    __slots__ = ("op", "target", "written", "fd", "body", "uncertain")

    def __init__(self, op: str, target: Word | None, written: str = "", fd: str = ""):
        self.op = op
        self.target = target  # None for fd duplication (2>&1, >&-), here-documents and here-strings
        self.written = written  # the target (or here-document delimiter) as written, for display
        self.fd = fd  # "2" in 2>x, "{name}" in {name}>x, "" for the default
        self.body: str | None = None  # here-document body or here-string word, as bash reads it
        self.uncertain: str | None = None  # a substitution in the target or body, a missing terminator...

    @property
    def writes(self) -> bool:
        return self.target is not None and ">" in self.op


class _HereDocument:
    __slots__ = ("redirect", "delimiter", "strip_tabs", "expands", "level")

    def __init__(self, redirect: Redirect, delimiter: str, strip_tabs: bool, expands: bool, level: int):
        self.redirect = redirect
        self.delimiter = delimiter
        self.strip_tabs = strip_tabs
        self.expands = expands  # unquoted delimiter: the body undergoes $ and ` expansion
        self.level = level


class Lexer:
    """Pulls tokens from one string: `Word`, `Redirect`, an operator string, or None at the end.

    `grammar` parses the commands of a substitution in place: `grammar.parse_in_place(lexer, closer)`
    consumes tokens up to and including the closer; `grammar.parse_text(text, depth)` reads a separate
    string (backticks) and returns its doubt; `grammar.note_assignment(name)` hears of `${name:=value}`.
    `doubt` is the first thing bash may read differently: every part of the text is uncertain then.
    """

    __slots__ = ("text", "pos", "end", "grammar", "nesting", "level", "doubt", "pending")

    def __init__(self, text: str, grammar, depth: int = 0):
        self.text = text
        self.pos = 0
        self.end = len(text)
        self.grammar = grammar
        self.nesting = depth
        self.level = 0  # substitution depth within this text: here-document bodies belong to one level
        self.doubt: str | None = None
        self.pending: list[_HereDocument] = []

    def mark(self, reason: str) -> None:
        if self.doubt is None:
            self.doubt = reason

    def next_char_is(self, char: str) -> bool:
        return self.pos < self.end and self.text[self.pos] == char

    # ---- tokens -----------------------------------------------------------------------------------

    def next_token(self, conditional: bool = False):
        """The next token; inside `[[ ]]` (conditional) `<` and `>` compare strings instead of redirecting."""
        text, end = self.text, self.end
        while True:
            pos = self.pos
            # Most words are plain (no quoting, no expansion) and end at a blank or an operator.
            plain = _BLANKS_AND_PLAIN_WORD.match(text, pos, end)
            if plain is not None:
                stop = plain.end()
                following = text[stop] if stop < end else " "
                if following in _PLAIN_STOP or (following in "<>" and not text.startswith("(", stop + 1)
                                                and not plain.group(1).isdigit()):
                    self.pos = stop
                    raw = plain.group(1)
                    return Word(raw, raw)
            if pos >= end:
                return None
            char = text[pos]
            if char in _BLANK_START:
                blanks = _BLANKS.match(text, pos, end)
                if blanks is not None:
                    pos = blanks.end()
                    if pos >= end:
                        self.pos = end
                        return None
                    char = text[pos]
            if char == "#":
                newline = text.find("\n", pos, end)
                self.pos = end if newline < 0 else newline
                continue
            if char == "\n":
                self.pos = pos + 1
                if self.pending:
                    self._read_here_documents()
                return "\n"
            self.pos = pos
            if char in ";&|()":
                return self._operator(char)
            if char in "<>":
                if self._at(pos + 1) == "(":
                    return self.read_word(conditional)
                if conditional:
                    self.pos = pos + 1
                    return char
                return self._redirect(pos, "")
            if char in _DIGITS or char == "{":
                fd = (_FD_NUMBER if char != "{" else _FD_VARIABLE).match(text, pos, end)
                if fd is not None and not conditional and self._at(fd.end() + 1) != "(":
                    return self._redirect(fd.end(), fd.group())
            return self.read_word(conditional)

    def _at(self, pos: int) -> str:
        return self.text[pos] if pos < self.end else ""

    def _continuation_at(self, pos: int) -> bool:
        return self.text.startswith("\\\n", pos)

    def _operator(self, char: str) -> str:
        pos = self.pos
        following = self._at(pos + 1)
        if following == "\\" and self._continuation_at(pos + 1) and char in ";&|":
            self.mark("line continuation inside an operator")
        op = char
        if char == ";":
            if following == ";":
                op = ";;&" if self._at(pos + 2) == "&" else ";;"
            elif following == "&":
                op = ";&"
        elif char == "&":
            if following == "&":
                op = "&&"
            elif following == ">":
                return self._redirect(pos, "")
        elif char == "|" and following in ("|", "&"):
            op = "|" + following
        self.pos = pos + len(op)
        return op

    def _redirect(self, pos: int, fd: str):
        """The redirection operator at `pos` (after any fd prefix) with its target or here-document."""
        text = self.text
        if text.startswith("&>", pos):
            op = "&>>" if text.startswith("&>>", pos) else "&>"
        elif text.startswith("<<", pos):
            op = "<<<" if text.startswith("<<<", pos) else "<<-" if text.startswith("<<-", pos) else "<<"
        else:
            following = self._at(pos + 1)
            op = text[pos:pos + 2] if following in ("&", ">") or text.startswith(("<>", ">|"), pos) else text[pos]
        if self._continuation_at(pos + len(op)):
            self.mark("line continuation inside a redirection operator")
        self.pos = pos + len(op)
        redirect = Redirect(op, None, "", fd)
        blanks = _BLANKS.match(text, self.pos, self.end)
        if blanks is not None:
            self.pos = blanks.end()
        following = self._at(self.pos)
        if following == "-" and op in (">&", "<&"):
            # bash reads the `-` of `>&-` as a token of its own: `>&-evil` closes stdout and runs `evil`.
            self.pos += 1
            redirect.written = "-"
            return redirect
        if not following or following in "\n;&|()#" or (following in "<>" and self._at(self.pos + 1) != "("):
            redirect.uncertain = f"redirection {op} without a target"
            return redirect
        word = self.read_word()
        redirect.written = word.raw
        redirect.uncertain = word.uncertain
        if op in ("<<", "<<-"):
            self._expect_here_document(redirect, word, op == "<<-")
        elif op == "<<<":
            redirect.body = word.value
        elif op in (">&", "<&") and word.literal and _is_duplicated_fd(word.value):
            pass  # fd duplication or close: no file involved
        else:
            redirect.target = word
            if op == ">&" and (not word.literal or "$" in word.value or "`" in word.value):
                # bash expands the file name of `>&word` a second time: `>&'$(x)'` runs x.
                redirect.uncertain = redirect.uncertain or ">&word expands its target twice"
        return redirect

    # ---- words ------------------------------------------------------------------------------------

    def read_word(self, conditional: bool = False, regex: bool = False) -> Word:
        text, end, pos = self.text, self.end, self.pos
        plain = _PLAIN_WORD.match(text, pos, end)
        if plain is not None and not regex:
            stop = plain.end()
            following = text[stop] if stop < end else " "
            if following in _PLAIN_STOP or (following in "<>" and not text.startswith("(", stop + 1)):
                raw = plain.group()
                self.pos = stop
                return Word(raw, raw)
        return self._read_word_slowly(conditional, regex)

    def _read_word_slowly(self, conditional: bool, regex: bool) -> Word:
        text, end = self.text, self.end
        start = self.pos
        word = Word("", "")
        value: list[str] = []
        shape: list[str] = []  # unquoted characters as written, "\0" for quoted or expanded pieces
        regex_depth = 0
        while self.pos < end:
            pos = self.pos
            run = _UNQUOTED_RUN.match(text, pos, end)
            if run is not None:
                chunk = run.group()
                value.append(chunk)
                shape.append(chunk)
                self.pos = run.end()
                continue
            char = text[pos]
            if regex and (char in "(|" or (char == ")" and regex_depth) or (char in " \t" and regex_depth)):
                # `[[ x =~ (a b)|c ]]`: bash keeps parentheses, | and blanks inside them in the regex word.
                self.mark("regular expression with ( or | in [[ ]]")
                regex_depth += (char == "(") - (char == ")")
                value.append(char)
                shape.append(char)
                self.pos = pos + 1
                continue
            if char in " \t\n;&|)":
                break
            if char == "(":
                if _ASSIGNMENT_PREFIX.fullmatch(text, start, pos) and not regex:
                    self._read_compound_assignment(word)
                    value.append(text[pos:self.pos])
                    shape.append("\0")
                    continue
                if conditional and shape and shape[-1][-1:] in ("?", "*", "+", "@", "!"):
                    self._read_extended_glob(word, value)
                    shape.append("*")
                    continue
                break
            if char in "<>":
                if self._at(pos + 1) != "(":
                    break
                self._read_process_substitution(word)
                value.append(text[pos:self.pos])
                shape.append("\0")
            elif char == "\\":
                following = self._at(pos + 1)
                if following == "\n":
                    if self._at(pos + 2) in ("<", ">", "("):
                        self.mark("line continuation before a redirection or parenthesis")
                    self.pos = pos + 2
                    continue
                value.append(following or "\\")
                shape.append("\0")
                word.quoted = True
                self.pos = pos + (2 if following else 1)
            elif char == "'":
                close = text.find("'", pos + 1, end)
                if close < 0:
                    self.mark("unbalanced single quote")
                    close = end
                value.append(text[pos + 1:close])
                shape.append("\0")
                word.quoted = True
                self.pos = min(close + 1, end)
            elif char == '"':
                self._read_double_quoted(word, value)
                shape.append("\0")
            elif char == "`":
                self._read_backticks(word, value, in_double_quotes=False)
                shape.append("\0")
            elif char == "$":
                self._read_dollar(word, value, in_double_quotes=False)
                shape.append("\0")
            else:  # * ? [ ] ~ { }
                value.append(char)
                shape.append(char)
                self.pos = pos + 1
        word.value = "".join(value)
        word.raw = text[start:self.pos]
        _classify_shape(word, "".join(shape))
        return word

    def _read_double_quoted(self, word: Word, value: list[str]) -> None:
        text, end = self.text, self.end
        pos = self.pos + 1
        word.quoted = True
        while True:
            run = _DOUBLE_QUOTED_RUN.match(text, pos, end)
            if run is not None:
                value.append(run.group())
                pos = run.end()
            if pos >= end:
                self.mark("unbalanced double quote")
                self.pos = end
                return
            char = text[pos]
            if char == '"':
                self.pos = pos + 1
                return
            if char == "\\":
                following = self._at(pos + 1)
                if following == "\n":
                    pos += 2
                elif following and following in '$`"\\':
                    value.append(following)
                    pos += 2
                else:
                    value.append("\\")
                    pos += 1
                continue
            self.pos = pos
            if char == "`":
                self._read_backticks(word, value, in_double_quotes=True)
            else:
                self._read_dollar(word, value, in_double_quotes=True)
            pos = self.pos

    def _read_backticks(self, word: Word, value: list[str], in_double_quotes: bool) -> None:
        """Old-style substitution: bash finds the closing backtick textually, then parses the inside."""
        text, end, pos = self.text, self.end, self.pos
        close = _BACKTICK_BODY.match(text, pos + 1, end).end()
        if close >= end or text[close] != "`":
            self.mark("unbalanced backtick")
            close = end
        escape = _BACKTICK_ESCAPE_IN_DOUBLE_QUOTES if in_double_quotes else _BACKTICK_ESCAPE
        inner = escape.sub(_unescape_backtick, text[pos + 1:close])
        self.pos = min(close + 1, end)
        doubt = None
        if self._enter():
            doubt = self.grammar.parse_text(inner, self.nesting)
            self._leave()
        value.append(text[pos:self.pos])
        word.expands = True
        word.uncertain = word.uncertain or doubt or "command substitution `...`"

    def _read_dollar(self, word: Word, value: list[str], in_double_quotes: bool) -> None:
        text, pos = self.text, self.pos
        following = self._at(pos + 1)
        if following == "(":
            if self._at(pos + 2) == "(":
                self.pos = pos + 3
                self._read_arithmetic(word, "))")
            else:
                self.pos = pos + 2
                self._parse_substitution(")")
                word.uncertain = word.uncertain or "command substitution $(...)"
        elif following == "{":
            self._read_parameter(word, in_double_quotes)
        elif following == "[":
            self.pos = pos + 2
            self._read_arithmetic(word, "]")
        elif following == "'" and not in_double_quotes:
            self._read_ansi_c(word, value)
            return
        elif following == '"' and not in_double_quotes:
            self.pos = pos + 1
            self._read_double_quoted(word, value)
            word.expands = True  # $"..." is translated through the locale's message catalogue
            return
        elif following == "\\" and self._continuation_at(pos + 1):
            self.mark("line continuation after $")
            self.pos = pos + 1
            value.append("$")
            return
        else:
            name = _NAME.match(text, pos + 1, self.end)
            if name is not None:
                self.pos = name.end()
            elif following and following in "0123456789@*#?$!-":
                self.pos = pos + 2
            else:
                self.pos = pos + 1
                value.append("$")
                return
        value.append(text[pos:self.pos])
        word.expands = True

    def _read_ansi_c(self, word: Word, value: list[str]) -> None:
        text, end = self.text, self.end
        pos = self.pos + 2
        decoded: list[str] = []
        while True:
            run = _ANSI_C_RUN.match(text, pos, end)
            if run is not None:
                decoded.append(run.group())
                pos = run.end()
            if pos >= end:
                self.mark("unbalanced $'")
                break
            if text[pos] == "'":
                pos += 1
                break
            pos, piece, doubt = _decode_escape(text, pos + 1, end)
            decoded.append(piece)
            if doubt:
                word.uncertain = word.uncertain or doubt
        result = "".join(decoded)
        if "\0" in result:
            # bash cuts the string at a NUL byte.
            result = result[:result.index("\0")]
            word.uncertain = word.uncertain or "NUL character in $'...'"
        value.append(result)
        word.quoted = True
        self.pos = pos

    def _read_parameter(self, word: Word, in_double_quotes: bool) -> None:
        """`${...}` from its `$`: plain forms are certain, the rest is uncertain or a doubt."""
        text, end, start = self.text, self.end, self.pos
        word.expands = True
        body = start + 2
        if not self._enter():
            return
        first = self._at(body)
        if first and first in " \t\n|":
            # bash 5.3 runs `${ cmd; }` and `${| cmd; }` as command substitutions in the current shell.
            self.pos = body + (first == "|")
            self._parse_substitution("}")
            word.uncertain = word.uncertain or "command substitution ${ ...; }"
            self._leave()
            return
        head = _PARAMETER_HEAD.match(text, body, end)
        prefix, name, subscript = head.groups()
        reason = None
        if prefix == "!" and name:
            reason = "indirect expansion ${!...}"
        if subscript and not _LITERAL_SUBSCRIPT.fullmatch(subscript):
            reason = "array subscript (evaluated as arithmetic)"
        pos = head.end()
        if self._at(pos) == "}" and (name or prefix):
            self.pos = pos + 1
        else:
            operator = _PARAMETER_OPERATOR.match(text, pos, end)
            if operator is None or not name or prefix:
                reason = reason or "unusual parameter expansion"
                if not name and not prefix and self._at(pos) != "}":
                    self.mark("unusual parameter expansion")
            else:
                op = operator.group()
                pos = operator.end()
                if op == ":":
                    reason = reason or "substring expansion (evaluated as arithmetic)"
                elif op.startswith("@"):
                    reason = reason or "parameter transformation ${...@...}"
                elif op in (":=", "="):
                    self.grammar.note_assignment(name)
            self.pos = pos
            self._read_parameter_word(word, in_double_quotes)
        if reason:
            word.uncertain = word.uncertain or reason
        self._leave()

    def _read_parameter_word(self, word: Word, in_double_quotes: bool) -> None:
        text, end = self.text, self.end
        pos = self.pos
        scratch: list[str] = []
        while True:
            run = _PARAMETER_WORD_RUN.match(text, pos, end)
            if run is not None:
                pos = run.end()
            if pos >= end:
                self.mark("unbalanced ${")
                self.pos = end
                return
            char = text[pos]
            if char == "}":
                self.pos = pos + 1
                return
            if char == "\\":
                pos += 2
                continue
            if char in "<>":
                if self._at(pos + 1) == "(" and not in_double_quotes:
                    self.pos = pos
                    self._read_process_substitution(word)
                    pos = self.pos
                else:
                    pos += 1
                continue
            if char in "'\"" and in_double_quotes:
                # Inside "${x:-...}" bash's quote rules depend on the operator: not followed here.
                self.mark("quotes inside a double-quoted ${...}")
            self.pos = pos
            if char == "'":
                close = text.find("'", pos + 1, end)
                self.pos = end if close < 0 else close + 1
                if close < 0:
                    self.mark("unbalanced single quote")
            elif char == '"':
                self._read_double_quoted(word, scratch)
            elif char == "`":
                self._read_backticks(word, scratch, in_double_quotes)
            else:
                self._read_dollar(word, scratch, in_double_quotes)
            pos = self.pos

    def _read_arithmetic(self, word: Word, closer: str) -> None:
        """From inside `$((`, `((` or `$[` to past the closer; substitutions inside are still parsed."""
        text, end = self.text, self.end
        word.expands = True
        word.uncertain = word.uncertain or "arithmetic (can run substitutions hidden in array subscripts)"
        if not self._enter():
            return
        depth = 0
        pos = self.pos
        scratch: list[str] = []
        while True:
            run = _ARITHMETIC_RUN.match(text, pos, end)
            if run is not None:
                pos = run.end()
            if pos >= end:
                self.mark("unterminated arithmetic")
                self.pos = end
                break
            char = text[pos]
            if char in "([":
                depth += 1
                pos += 1
            elif char in ")]":
                if depth == 0 and closer == "]" and char == "]":
                    self.pos = pos + 1
                    break
                if depth == 0 and char == ")":
                    if closer == "))" and self._at(pos + 1) == ")":
                        self.pos = pos + 2
                    else:
                        self.mark("parenthesis that is not arithmetic after ((")
                        self.pos = pos + 1
                    break
                depth -= 1
                pos += 1
            elif char == "\\":
                pos += 2
            else:
                if char in "'\"":
                    self.mark("quotes inside arithmetic")
                self.pos = pos
                if char == "'":
                    close = text.find("'", pos + 1, end)
                    self.pos = end if close < 0 else close + 1
                elif char == '"':
                    self._read_double_quoted(word, scratch)
                elif char == "`":
                    self._read_backticks(word, scratch, in_double_quotes=False)
                else:
                    self._read_dollar(word, scratch, in_double_quotes=True)
                pos = self.pos
        self._leave()

    def read_arithmetic_command(self, word: Word) -> None:
        """`(( ... ))` and `for (( ... ))`: the lexer stands after the first `(`, at the second."""
        start = self.pos - 1
        self.pos += 1
        self._read_arithmetic(word, "))")
        word.raw = word.value = self.text[start:self.pos]

    def _read_process_substitution(self, word: Word) -> None:
        self.pos += 2
        self._parse_substitution(")")
        word.expands = True
        word.uncertain = word.uncertain or "process substitution"

    def _read_compound_assignment(self, word: Word) -> None:
        """`name=(a b c)`: the elements are words; subscripted ones are arithmetic."""
        self.pos += 1
        if not self._enter():
            return
        while True:
            token = self.next_token()
            if token == ")":
                break
            if token is None:
                self.mark("unterminated array assignment")
                break
            if token.__class__ is Word:
                if token.uncertain:
                    word.uncertain = word.uncertain or token.uncertain
                elif token.raw.startswith("[") and not _LITERAL_SUBSCRIPT.match(token.raw):
                    word.uncertain = word.uncertain or "array subscript (evaluated as arithmetic)"
                word.expands = word.expands or token.expands
            elif token != "\n":
                self.mark("unexpected token in an array assignment")
        self._leave()

    def _read_extended_glob(self, word: Word, value: list[str]) -> None:
        """`@(a|b)` in `[[ ]]`, where bash always allows extended patterns."""
        text, end = self.text, self.end
        start, depth, pos = self.pos, 0, self.pos
        while pos < end:
            char = text[pos]
            if char in "'\"\\`$\n":
                self.mark("quoting inside an extended pattern")
            depth += (char == "(") - (char == ")")
            pos += 1
            if depth == 0:
                break
        self.pos = pos
        value.append(text[start:pos])
        word.globbed = True

    def _parse_substitution(self, closer: str) -> None:
        if not self._enter():
            return
        self.level += 1
        self.grammar.parse_in_place(self, closer)
        if any(here.level == self.level for here in self.pending):
            self.mark("here-document in a substitution without a newline")
            for here in self.pending:
                here.level = min(here.level, self.level - 1)
        self.level -= 1
        self._leave()

    def _enter(self) -> bool:
        if self.nesting >= MAX_NESTING:
            # Too deep to follow: stop reading; every part of the command is uncertain.
            self.mark("substitutions nested too deeply")
            self.pos = self.end
            return False
        self.nesting += 1
        return True

    def _leave(self) -> None:
        self.nesting -= 1

    # ---- here-documents ---------------------------------------------------------------------------

    def _expect_here_document(self, redirect: Redirect, word: Word, strip_tabs: bool) -> None:
        if "$" in word.raw or "`" in word.raw or "\n" in word.value:
            redirect.uncertain = redirect.uncertain or "here-document delimiter with $, ` or a newline"
        self.pending.append(_HereDocument(redirect, word.value, strip_tabs, not word.quoted, self.level))

    def _read_here_documents(self) -> None:
        """Bodies follow, in order, the newline that ends the line of their operators."""
        waiting = []
        for here in self.pending:
            if here.level == self.level:
                self._read_body(here)
            else:
                self.mark("newline inside a substitution while a here-document waits for its body")
                waiting.append(here)
        self.pending = waiting

    def _read_body(self, here: _HereDocument) -> None:
        text, end = self.text, self.end
        pos = self.pos
        lines: list[str] = []
        while True:
            if pos >= end:
                here.redirect.uncertain = here.redirect.uncertain or "here-document without its terminator"
                break
            newline = text.find("\n", pos, end)
            line_end = end if newline < 0 else newline
            line = text[pos:line_end]
            pos = line_end + 1
            if here.expands:
                # Unquoted delimiter: backslash-newline joins lines before the delimiter is looked for.
                while newline >= 0 and (len(line) - len(line.rstrip("\\"))) % 2 == 1:
                    newline = text.find("\n", pos, end)
                    line_end = end if newline < 0 else newline
                    line = line[:-1] + text[pos:line_end]
                    pos = line_end + 1
            if here.strip_tabs:
                line = line.lstrip("\t")
            if line == here.delimiter:
                break
            lines.append(line)
        self.pos = min(pos, end)
        body = "\n".join(lines) + "\n" if lines else ""
        here.redirect.body = body
        if here.expands and ("$" in body or "`" in body):
            self._scan_body_expansions(here.redirect, body)

    def _scan_body_expansions(self, redirect: Redirect, body: str) -> None:
        """An unquoted here-document expands `$` and backticks (quotes are ordinary characters there)."""
        if not self._enter():
            return
        scanner = Lexer(body, self.grammar, self.nesting)
        scratch = Word("", "")
        value: list[str] = []
        end = scanner.end
        while scanner.pos < end:
            run = _HEREDOC_RUN.match(body, scanner.pos, end)
            if run is not None:
                scanner.pos = run.end()
                continue
            char = body[scanner.pos]
            if char == "\\":
                scanner.pos += 2
            elif char == "`":
                scanner._read_backticks(scratch, value, in_double_quotes=False)
            else:
                scanner._read_dollar(scratch, value, in_double_quotes=True)
        redirect.uncertain = redirect.uncertain or scratch.uncertain or scanner.doubt
        self._leave()



def _is_duplicated_fd(text: str) -> bool:
    """`>&2`, `<&0-` (move) or `>&-` (close), as `[0-9]+-?|-`."""
    digits = text[:-1] if text.endswith("-") else text
    return text == "-" or (bool(digits) and all(c in _DIGITS for c in digits))


def _unescape_backtick(match: re.Match) -> str:
    char = match.group(1)
    return "" if char == "\n" else char


def _classify_shape(word: Word, shape: str) -> None:
    """Glob, brace and tilde expansion from the unquoted characters of a word."""
    if "*" in shape or "?" in shape or ("[" in shape and "]" in shape[shape.index("["):]):
        word.globbed = True
    if "{" in shape and _BRACE_EXPANSION.search(shape):
        word.braced = True
    if shape[:1] == "~" or (("=~" in shape or ":~" in shape) and _ASSIGNMENT_PREFIX.match(shape)):
        word.tilde = True
        # `~` and `~/x` are $HOME, which nerv knows; `~user`, `~+`, `~-` and assignment values are not.
        if not (shape in ("~", "~\n") or shape.startswith("~/")):  # re `~(?:/|$)`
            word.expands = True


def _decode_escape(text: str, pos: int, end: int) -> tuple[int, str, str | None]:
    """One `$'...'` escape whose backslash stands before `pos`: (position after it, text, doubt)."""
    if pos >= end:
        return pos, "\\", None
    char = text[pos]
    simple = _SIMPLE_ESCAPES.get(char)
    if simple is not None:
        return pos + 1, simple, None
    if char in "01234567":
        digits = _OCTAL.match(text, pos, end)
        return digits.end(), *_byte(int(digits.group(), 8) & 0xFF)
    if char in _HEX:
        digits = _HEX[char].match(text, pos + 1, end)
        if digits is None:
            return pos + 1, "\\" + char, None
        code = int(digits.group(), 16)
        if char == "x":
            return digits.end(), *_byte(code)
        if 0 < code < 0x80:
            return digits.end(), chr(code), None
        return digits.end(), chr(code) if code < 0x110000 else "", "\\u escape that depends on the locale"
    if char == "c":
        control = text[pos + 1] if pos + 1 < end else ""
        if not control or control == "'":
            return pos + 1, "\\c", None
        if control == "\\":
            return pos + (3 if text.startswith("\\", pos + 2) else 2), "\x1c", None
        if control == "?":
            return pos + 2, "\x7f", None
        if " " < control < "\x7f":
            return pos + 2, *_byte(ord(control.upper()) & 0x1F)
        return pos + 2, "", "unusual \\c escape"
    return pos + 1, "\\" + char, None


def _byte(code: int) -> tuple[str, str | None]:
    if 0 < code < 0x80:
        return chr(code), None
    if code == 0:
        return "\0", None
    return chr(code), "byte above 0x7f in $'...' (not a character on its own)"
