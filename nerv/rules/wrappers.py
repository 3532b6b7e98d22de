"""What a simple command really runs: wrappers, builtins that run text as code, variables that change
what later words mean. Stdlib only.

Allow rules look past the documented wrappers only (`strip_wrappers`, strict); deny and ask rules look
past any wrapper-like word (`strip_for_deny`, loose). `wrapper_doubt` and `builtin_doubt` say when the
words of a command do not tell with certainty which command runs.
"""

from __future__ import annotations


from nerv.rules.regex import NAME, AssignmentPrefix, LazyPattern
from nerv.rules.shell_lex import Word

# Commands that run another command in a way a prefix rule cannot vouch for (Claude Code's list).
NEVER_BY_PREFIX = {"watch", "setsid", "ionice", "flock"}
FIND_EXEC_FLAGS = {"-exec", "-execdir", "-ok", "-okdir"}
FIND_WRITE_FLAGS = {"-delete", "-fprint", "-fprint0", "-fprintf", "-fls"}
SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "fish"}
# Variables that change which program a name runs, how later text is read, or what runs on its own.
DANGEROUS_VARIABLES = {
    "PATH", "BASH_ENV", "ENV", "IFS", "SHELLOPTS", "BASHOPTS", "PS0", "PS1", "PS2", "PS3", "PS4",
    "PROMPT_COMMAND", "CDPATH", "GLOBIGNORE", "GLOBSORT", "BASH_CMDS", "BASH_ALIASES", "POSIXLY_CORRECT",
    "BASH_COMPAT", "BASH_LOADABLES_PATH", "EXECIGNORE", "HOME", "PWD", "OLDPWD", "FUNCNEST", "BASH_XTRACEFD",
    "BASH_ARGV0", "INPUTRC", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "DYLD_INSERT_LIBRARIES",
    "DYLD_LIBRARY_PATH", "TEXTDOMAIN", "TEXTDOMAINDIR",  # $"..." translations are expanded again
}
_ASSIGNMENT = AssignmentPrefix()
_LITERAL_SUBSCRIPT = LazyPattern(r"\[(?:[0-9]+|@|\*)\]")


def is_assignment(word: Word) -> bool:
    raw = word.raw
    if "\\\n" in raw:
        raw = raw.replace("\\\n", "")  # `PA\<newline>TH=x` is PATH=x: the continuation goes first
    return bool(_ASSIGNMENT.match(raw))


def assignment_name(word: Word) -> str:
    """`PATH` for `PATH+=x`, `a[1]` for `a[1]=x`."""
    return word.raw.replace("\\\n", "").split("=", 1)[0].rstrip("+")


def is_dangerous_variable(name: str) -> bool:
    return name in DANGEROUS_VARIABLES or name.startswith("BASH_FUNC_")


def name_doubt(word: Word, *, assigning: bool = True) -> tuple[str | None, str | None]:
    """(reason for this part, reason for the whole command) when `word` names a variable to set."""
    if not word.literal:
        return "variable name only known at run time", "variable name only known at run time"
    text = word.value
    name = NAME.match(text)
    if name is None:
        return None, None
    rest = text[name.end():]
    if rest.startswith("[") and not _LITERAL_SUBSCRIPT.match(rest):
        return "array subscript (evaluated as arithmetic)", None
    if assigning and is_dangerous_variable(name.group()):
        return None, f"assignment to {name.group()}"
    return None, None


# ---- option parsing -------------------------------------------------------------------------------

class _Options:
    """A wrapper's getopt string: flags, options with a value, options with an attached optional value."""

    __slots__ = ("flags", "valued", "optional", "long_flags", "long_valued", "operands", "numeric")

    def __init__(self, flags: str = "", valued: str = "", optional: str = "", long_flags: str = "",
                 long_valued: str = "", operands: int = 0, numeric: bool = False):
        self.flags = flags
        self.valued = valued
        self.optional = optional
        self.long_flags = set(long_flags.split())
        self.long_valued = set(long_valued.split())
        self.operands = operands  # words between the options and the command (timeout's duration)
        self.numeric = numeric  # `nice -5`


OPTIONS = {
    "timeout": _Options("v", "sk", "", "preserve-status foreground verbose", "signal kill-after", operands=1),
    "nice": _Options("", "n", "", "", "adjustment", numeric=True),
    "nohup": _Options(),
    "stdbuf": _Options("", "ioe", "", "", "input output error"),
    "env": _Options("i0v", "uCS", "", "ignore-environment null debug list-signal-handling",
                    "unset chdir split-string block-signal default-signal ignore-signal"),
    "sudo": _Options("AbEeHiKklnPSsV", "CDghpRrTtUu", "",
                     "askpass background edit preserve-groups set-home login non-interactive reset-timestamp "
                     "remove-timestamp shell stdin validate list preserve-env",
                     "close-from chdir group host prompt chroot role type command-timeout other-user user"),
    "doas": _Options("nsL", "uC"),
    "exec": _Options("cl", "a"),
    "command": _Options("pvV"),
    "builtin": _Options(),
    "noglob": _Options(),
    "time": _Options("apqvV", "fo", "", "append portability quiet verbose", "format output"),
    "xargs": _Options("0oprtx", "aEILnsPd", "eil",
                      "null interactive no-run-if-empty open-tty show-limits verbose exit",
                      "arg-file delimiter max-args max-procs max-chars process-slot-var eof replace max-lines"),
    "watch": _Options("bcCegprtwx", "nq", "d", "beep color no-color errexit chgexit precise no-title no-wrap exec "
                      "no-rerun differences", "interval equexit"),
    "setsid": _Options("cfw", "", "", "ctty fork wait"),
    "ionice": _Options("tPu", "cnp", "", "ignore", "class classdata pid pgid uid"),
    "flock": _Options("sxeunoFv", "wE", "", "shared exclusive unlock nonblock close no-fork verbose",
                      "timeout conflict-exit-code", operands=1),
    "chronic": _Options("ev"),
    "caffeinate": _Options("dimsu", "tw"),
    "unbuffer": _Options("p"),
    "strace": _Options("cCdDfFhiqrtTvVwxyzZk", "abeEIoOpPsSuUX"),
    "ltrace": _Options("bcCfhiLrStTVw", "aAeFlnopsu"),
    "torsocks": _Options("6dhiqV", "aPpu"),
    "proxychains": _Options("q", "f"),
    "proxychains4": _Options("q", "f"),
}
# Wrappers deny and ask look past (never allow: each can change what runs or where).
DENY_ONLY_WRAPPERS = set(OPTIONS) | {"eval"}
# Options after which a wrapper runs a shell, an editor or a split string instead of the named command.
_RUNS_A_SHELL = {("sudo", "s"), ("sudo", "i"), ("sudo", "e"), ("sudo", "shell"), ("sudo", "login"),
                 ("sudo", "edit"), ("doas", "s"), ("env", "S"), ("env", "split-string")}


def skip_options(name: str, args: list[Word]) -> tuple[int | None, str | None, set[str]]:
    """Where the wrapped command starts in `args` (None: cannot tell), a doubt, and the options seen."""
    spec = OPTIONS[name]
    seen: set[str] = set()
    index = 0
    while index < len(args):
        word = args[index]
        text = word.value
        if not word.literal:
            return None, f"{name} argument only known at run time", seen
        if text == "--":
            index += 1
            break
        if text.startswith("--") and len(text) > 2:
            option, has_value, _ = text[2:].partition("=")
            full = _long_option(option, spec)
            if full is None:
                return None, f"unknown {name} option {text}", seen
            seen.add(full)
            index += 2 if full in spec.long_valued and not has_value else 1
            continue
        if text.startswith("-") and len(text) > 1:
            if spec.numeric and text[1:].lstrip("-").isdigit() and text[1:].lstrip("-").isascii():
                index += 1
                continue
            takes_next = False
            for offset in range(1, len(text)):
                letter = text[offset]
                seen.add(letter)
                if letter in spec.flags:
                    continue
                if letter in spec.valued:
                    takes_next = offset == len(text) - 1
                    break
                if letter in spec.optional:
                    break
                return None, f"unknown {name} option -{letter}", seen
            index += 2 if takes_next else 1
            continue
        break
    if name == "env":
        while index < len(args) and "=" in args[index].value:
            index += 1
    index += spec.operands
    if index > len(args) or any(not w.literal for w in args[:min(index, len(args))]):
        return None, f"{name} arguments are not certain", seen
    return index, None, seen


def _long_option(option: str, spec: _Options) -> str | None:
    known = spec.long_flags | spec.long_valued
    if option in known:
        return option
    matches = [full for full in known if full.startswith(option)] if option else []
    return matches[0] if len(matches) == 1 else None


def _loose_skip(name: str, args: list[Word]) -> list[Word]:
    """Past options and option-like words when the exact options are not known: rather hit than miss."""
    spec = OPTIONS.get(name)
    valued = spec.valued if spec else ""
    rest = args
    while rest and (rest[0].value.startswith("-") or is_assignment(rest[0]) or is_duration(rest[0].value)):
        flag = rest[0].value
        takes_value = len(flag) == 2 and flag[1:] in valued
        rest = rest[2:] if takes_value else rest[1:]
    if spec and spec.operands and len(rest) > spec.operands:
        rest = rest[spec.operands:]
    return rest


# ---- allow side: the documented wrappers, only where their options parse with certainty -----------

def is_duration(text: str) -> bool:
    """`timeout`'s DURATION, as the regular expression `\\d+(\\.\\d+)?[smhd]?` reads it (`\\d` = str.isdecimal)."""
    number = text[:-1] if text[-1:] in ("s", "m", "h", "d") else text
    whole, dot, fraction = number.partition(".")
    return whole.isdecimal() and (not dot or fraction.isdecimal())


def _strip_timeout(args: list[Word]) -> int | None:
    index = 0
    while index < len(args) and args[index].value.startswith("-"):
        flag = args[index].value
        if flag in ("-s", "-k", "--signal", "--kill-after"):
            index += 2
        elif flag.startswith(("--signal=", "--kill-after=")) or flag in ("--preserve-status", "--foreground",
                                                                          "-v", "--verbose"):
            index += 1
        elif flag[1:2] in ("s", "k") and len(flag) > 2 and "\n" not in flag:  # -s9, -k5 (`.` stops at \n)
            index += 1
        else:
            return None
    if index < len(args) and is_duration(args[index].value):
        return index + 1
    return None


def _strip_nice(args: list[Word]) -> int | None:
    import re

    if not args:
        return None
    first = args[0].value
    if first == "-n":
        return 2 if len(args) > 1 and re.fullmatch(r"-?\d+", args[1].value) else None
    if re.fullmatch(r"-n?-?\d+", first) or re.fullmatch(r"--adjustment=-?\d+", first):
        return 1
    return None if first.startswith("-") else 0


def _strip_stdbuf(args: list[Word]) -> int | None:
    import re

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


def strip_wrappers(words: list[Word]) -> list[Word]:
    """Remove the documented wrappers (only where their options parse with certainty)."""
    while words and words[0].literal:
        spec = WRAPPERS.get(words[0].value)
        if spec is None:
            break
        consumed = spec(words[1:])
        if consumed is None or consumed + 1 >= len(words) or not all(w.literal for w in words[1:1 + consumed]):
            break
        words = words[1 + consumed:]
    return words


# ---- deny side ------------------------------------------------------------------------------------

def strip_for_deny(words: list[Word]) -> list[Word]:
    """Look past assignments and any wrapper-like word, loosely: deny and ask should rather hit than miss."""
    for _ in range(32):
        while words and is_assignment(words[0]):
            words = words[1:]
        inner = unwrap(words)
        if inner is None:
            break
        words = inner
    return words


def unwrap(words: list[Word]) -> list[Word] | None:
    """The words of the command the wrapper `words[0]` runs (None: `words[0]` is no wrapper).

    eval is no wrapper here: its words are re-read as a command, which the caller splits."""
    if not words:
        return None
    name = words[0].value.rsplit("/", 1)[-1]
    if name not in OPTIONS:
        return None
    start, _, seen = skip_options(name, words[1:])
    if name == "command" and seen & {"v", "V"}:
        return []  # `command -v x` looks x up and runs nothing
    inner = words[1 + start:] if start is not None else _loose_skip(name, words[1:])
    while inner and is_assignment(inner[0]):
        inner = inner[1:]
    return inner


def wrapper_doubt(words: list[Word]) -> str | None:
    """Why the wrappers in front of a command do not tell with certainty what they run."""
    for _ in range(32):
        while words and is_assignment(words[0]):
            words = words[1:]
        if not words:
            return None
        head = words[0]
        name = head.value.rsplit("/", 1)[-1]
        if name not in OPTIONS:
            return None
        if not head.literal:
            return "the command name is only known at run time"
        start, doubt, seen = skip_options(name, words[1:])
        if doubt:
            return doubt
        shell_option = next((option for option in seen if (name, option) in _RUNS_A_SHELL), None)
        if shell_option:
            how = "splits a string into its command" if name == "env" else "runs its command through a shell"
            return f"{name} -{shell_option} {how}"
        if name == "xargs" and seen & {"I", "i", "replace"}:
            return "xargs -I puts its input inside the command"
        if name == "env":
            doubt = _env_assignment_doubt(words[1:1 + start])
            if doubt:
                return doubt
        words = words[1 + start:]
    return "too many wrappers"


def _env_assignment_doubt(args: list[Word]) -> str | None:
    for word in args:
        name, has_value, _ = word.value.partition("=")
        if not has_value:
            continue
        if not NAME.fullmatch(name):
            return f"env passes {name!r}, which is not a plain variable (exported function?)"
        if is_dangerous_variable(name):
            return f"env sets {name}"
    return None


# ---- commands that run text as shell code ---------------------------------------------------------

def shell_invocation(args: list[Word]) -> tuple[str, int | None, str | None]:
    """How a shell started with `args` gets its commands: ("command", index of the string, None),
    ("stdin", None, None), ("script", index, None) or ("unknown", None, reason)."""
    command_mode = stdin_mode = False
    index = 0
    while index < len(args):
        word = args[index]
        text = word.value
        if not word.literal:
            return "unknown", None, "shell option only known at run time"
        if text in ("--", "-"):
            index += 1
            break
        if text.startswith("--"):
            if text in ("--rcfile", "--init-file"):
                index += 2
            elif text in ("--norc", "--noprofile", "--login", "--posix", "--restricted", "--verbose", "--version",
                          "--help", "--noediting", "--debugger", "--dump-strings", "--dump-po-strings",
                          "--pretty-print"):
                index += 1
            else:
                return "unknown", None, f"unknown shell option {text}"
            continue
        if text[:1] in "-+" and len(text) > 1:
            for letter in text[1:]:
                if letter == "c":
                    command_mode = True
                elif letter == "s":
                    stdin_mode = True
                elif letter in "oO":
                    index += 1
                elif letter not in "abefhmnprtuvxBCDEHlPT":
                    return "unknown", None, f"shell option -{letter} is not followed with certainty"
            index += 1
            continue
        break
    operands = args[index:]
    if command_mode:
        return ("command", index, None) if operands else ("unknown", None, "-c without a command string")
    if stdin_mode or not operands or operands[0].value in ("/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"):
        return "stdin", None, None
    return "script", index, None


def _split_string_argument(args: list[Word]) -> list[Word] | None:
    """`env -S 'cmd args' more`: env splits the string into the command it runs."""
    for index, word in enumerate(args):
        text = word.value
        if text == "--" or not text.startswith("-"):
            return None
        if text in ("-S", "--split-string"):
            return args[index + 1:]
        if text.startswith("--split-string="):
            return [Word(text.split("=", 1)[1], text.split("=", 1)[1])] + args[index + 1:]
        if text.startswith("-S") or (text[1:2] != "-" and "S" in text):
            value = text[text.index("S") + 1:]
            return ([Word(value, value)] if value else []) + args[index + 1:]
    return None


def code_arguments(name: str, args: list[Word]) -> list[Word] | None:
    """The words a command runs as shell code in the same or a child shell (None: it runs none)."""
    if name == "eval":
        return args
    if name == "env":
        return _split_string_argument(args)
    if name == "trap":
        operands = [w for w in args if not w.value.startswith("-") or w.value == "-"]
        return operands[:1] if operands and operands[0].value != "-" else None
    if name == "watch":
        start, _, seen = skip_options("watch", args)
        return None if start is None or "x" in seen or "exec" in seen else args[start:]
    if name == "flock":
        start, _, _ = skip_options("flock", args)
        if start is not None and start < len(args) and args[start].value in ("-c", "--command"):
            return args[start + 1:start + 2]
    if name in ("su", "runuser"):
        for index, word in enumerate(args[:-1]):
            if word.value in ("-c", "--command"):
                return args[index + 1:index + 2]
    return None


# ---- builtins -------------------------------------------------------------------------------------

_SAFE_SET_LETTERS = set("abCeEfhmnpPtTuvxB")
_SAFE_SET_OPTIONS = {"allexport", "braceexpand", "emacs", "errexit", "errtrace", "functrace", "hashall", "ignoreeof",
                     "monitor", "noclobber", "noexec", "noglob", "nolog", "notify", "nounset", "onecmd", "physical",
                     "pipefail", "privileged", "verbose", "vi", "xtrace"}
_DECLARATIONS = {"declare", "typeset", "local", "export", "readonly"}
_READ_VALUED = set("adinNptu")


def builtin_doubt(name: str, args: list[Word]) -> tuple[str | None, str | None]:
    """(reason for this part, reason for the whole command) for a builtin that runs text as code or
    changes how later words are read."""
    check = BUILTIN_CHECKS.get(name)
    return check(args) if check else (None, None)


def _always(part: str | None, whole: str | None = None):
    return lambda args: (part, whole)


def _check_set(args: list[Word]) -> tuple[str | None, str | None]:
    index = 0
    while index < len(args):
        word = args[index]
        text = word.value
        if not word.literal:
            return "set with options only known at run time", "set with options only known at run time"
        if text in ("-", "--") or text[:1] not in "-+" or len(text) < 2:
            break
        for letter in text[1:]:
            if letter == "o":
                index += 1
                option = args[index].value if index < len(args) else ""
                if option and option not in _SAFE_SET_OPTIONS:
                    return None, f"set -o {option} changes how bash reads later commands"
            elif letter not in _SAFE_SET_LETTERS:
                return None, f"set -{letter} changes how bash reads later commands"
        index += 1
    return None, None


def _check_trap(args: list[Word]) -> tuple[str | None, str | None]:
    if not args or all(w.value in ("-p", "-l", "-P") for w in args):
        return None, None
    return "trap runs its first argument as shell code", "trap runs code when the shell gets a signal or exits"


def _check_exec(args: list[Word]) -> tuple[str | None, str | None]:
    start, doubt, _ = skip_options("exec", args)
    if doubt or start < len(args):
        return "exec replaces the shell with another command", None
    return None, None


def _check_hash(args: list[Word]) -> tuple[str | None, str | None]:
    if args and not all(w.value in ("-r", "-t", "-l") for w in args[:1]):
        return "hash can point a command name at another file", "hash can point a command name at another file"
    return None, None


def _check_declaration(args: list[Word]) -> tuple[str | None, str | None]:
    part = whole = None
    for word in args:
        text = word.value
        if word.literal and text[:1] in "-+" and len(text) > 1 and "=" not in text:
            if "f" in text[1:]:
                part = whole = "declares or exports shell functions"
            elif "n" in text[1:] or "i" in text[1:]:
                whole = whole or "nameref or integer attribute changes what later assignments do"
            continue
        name, has_value, rest = text.partition("=")
        if not word.literal and not (is_assignment(word) and NAME.fullmatch(name)):
            return "declaration only known at run time", "declaration only known at run time"
        if has_value and rest.startswith("(") and (word.quoted or word.expands):
            part = part or "compound assignment read again from a quoted or expanded value"
        part_reason, whole_reason = name_doubt(_literal(name), assigning=bool(has_value))
        part, whole = part or part_reason, whole or whole_reason
    return part, whole


def _check_names(valued_letters: str, name_letters: str = "", operands_are_names: bool = True):
    """Builtins that set variables named by their arguments (read, printf -v, mapfile, unset ...)."""

    def check(args: list[Word]) -> tuple[str | None, str | None]:
        names: list[Word] = []
        index = 0
        while index < len(args) and args[index].value[:1] == "-" and len(args[index].value) > 1:
            text = args[index].value
            if text == "--":
                index += 1
                break
            letter = text[1]
            if letter in valued_letters and len(text) == 2:
                if letter in name_letters and index + 1 < len(args):
                    names.append(args[index + 1])
                index += 2
            else:
                if letter in name_letters and len(text) > 2:
                    names.append(_literal(text[2:]))
                index += 1
        if operands_are_names:
            names.extend(args[index:])
        part = whole = None
        for word in names:
            part_reason, whole_reason = name_doubt(word)
            part, whole = part or part_reason, whole or whole_reason
        return part, whole

    return check


def _check_mapfile(args: list[Word]) -> tuple[str | None, str | None]:
    if any(w.value.startswith("-C") for w in args):
        return "mapfile -C runs a callback", None
    return _check_names("dnOsuCc")(args)


def _check_getopts(args: list[Word]) -> tuple[str | None, str | None]:
    return name_doubt(args[1]) if len(args) > 1 else (None, None)


def _check_test(args: list[Word]) -> tuple[str | None, str | None]:
    for index, word in enumerate(args[:-1]):
        if word.value in ("-v", "-R") and ("[" in args[index + 1].value or not args[index + 1].literal):
            return "test -v with an array subscript (evaluated as arithmetic)", None
    return None, None


def _check_option(letters: str, reason: str):
    def check(args: list[Word]) -> tuple[str | None, str | None]:
        for word in args:
            if word.value.startswith("-") and set(word.value[1:]) & set(letters):
                return reason, None
        return None, None
    return check


def _literal(text: str) -> Word:
    return Word(text, text)


BUILTIN_CHECKS = {
    "eval": _always("eval runs its arguments as shell code"),
    "source": _always("source runs a file as shell code"),
    ".": _always("source runs a file as shell code"),
    "alias": _always("alias definitions change what later words mean", "alias definitions change what later "
                                                                        "words mean"),
    "unalias": _always("unalias changes what later words mean", "unalias changes what later words mean"),
    "shopt": _always("shopt changes how bash reads later commands", "shopt changes how bash reads later commands"),
    "enable": _always("enable turns builtins on and off", "enable turns builtins on and off"),
    "set": _check_set,
    "trap": _check_trap,
    "exec": _check_exec,
    "hash": _check_hash,
    "let": _always("arithmetic (can run substitutions hidden in array subscripts)"),
    "fc": _always("fc runs commands from the history"),
    "bind": _always("bind can run commands on key presses"),
    "jobs": _check_option("x", "jobs -x runs a command"),
    "compgen": _check_option("CF", "compgen -C/-F runs a command"),
    "complete": _check_option("CF", "complete -C/-F runs a command"),
    "mapfile": _check_mapfile,
    "readarray": _check_mapfile,
    "read": _check_names("".join(_READ_VALUED), "a"),
    "printf": _check_names("v", "v", operands_are_names=False),
    "wait": _check_names("p", "p", operands_are_names=False),
    "unset": _check_names(""),
    "getopts": _check_getopts,
    "test": _check_test,
    "[": _check_test,
    **{name: _check_declaration for name in _DECLARATIONS},
}
