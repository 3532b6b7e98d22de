"""Deciding a shell command (Bash, Monitor, PowerShell) against command and file rules. Stdlib only.

Every simple command is tried against deny, then ask rules (past assignments and wrappers, every spelling);
the files it names are tried against Read/Edit deny and ask rules. Then every simple command must be allowed
on its own, and certain: nothing the text cannot vouch for (a substitution, a run-time command name) is ever
approved by a prefix rule. A bare `Bash` allow approves uncertain commands only while no deny or ask rule
could apply to them, since such a command could hide what the deny rule names.
"""

from __future__ import annotations

from functools import lru_cache

from nerv.rules import filecmds, paths, shell
from nerv.rules.regex import LazyPattern
from nerv.rules.decision import Context, Match, StoredRule, decided, first, rule_root, tool_glob_hits
from nerv.rules.file_eval import first_path_rule
from nerv.rules.grammar import bash_pattern, parameter_condition
from nerv.rules.protected import is_critical_removal_target, is_protected

# Past these sizes a command is answered `ask` without being read: bounded time and memory for the hook.
MAX_COMMAND_CHARS = 1_000_000
MAX_PARTS = 10_000
# Claude Code: "Commands longer than 10,000 characters always prompt" (permissions#read-only-commands).
MAX_ALLOWED_CHARS = 10_000
MAX_GLOB_MATCHES = 1_000
# Assignments an allow rule looks past (`NODE_ENV=test npm test` is `npm test`): they change no command,
# no path lookup and no shell behaviour. Any other assignment must be written in the rule.
SAFE_VARIABLES = frozenset({"NODE_ENV", "RAILS_ENV", "RACK_ENV", "APP_ENV", "FLASK_ENV", "DJANGO_SETTINGS_MODULE",
                            "CI", "DEBUG", "VERBOSE", "NO_COLOR", "FORCE_COLOR", "CLICOLOR", "COLUMNS", "LINES",
                            "TERM", "TZ", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES",
                            "RUST_BACKTRACE", "RUST_LOG", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE",
                            "PYTHONHASHSEED", "GOFLAGS", "CGO_ENABLED", "NODE_OPTIONS_NO_WARNINGS"})
REMOVERS = frozenset({"rm", "rmdir"})
# Claude Code asks for a redirect target with a glob character even when quoted (permissions#redirections).
_GLOB_CHARS = frozenset("*?[")


class _LiteralCommand:
    """A command pattern without a wildcard in its body, matched as text (no `re` on the common path)."""

    __slots__ = ("body", "tail")

    def __init__(self, body: str, optional_tail: bool):
        self.body = body
        self.tail = body + " " if optional_tail else None

    def fullmatch(self, text: str) -> bool | None:
        if text == self.body or (self.tail is not None and text.startswith(self.tail)):
            return True
        return None


@lru_cache(maxsize=8192)
def command_regex(specifier: str, ignore_case: bool = False):
    """`*` is any text; a trailing ` *` (or legacy `:*`) is optional and starts at a word boundary.

    The answer has `fullmatch(text)`, truthy on a match: a compiled pattern, or text comparison when the body
    has no `*` and case matters (how most rules are written).
    """
    pattern = bash_pattern(specifier)
    optional_tail = pattern.endswith(" *")
    body = pattern[:-2] if optional_tail else pattern
    if "*" not in body and not ignore_case:
        return _LiteralCommand(body, optional_tail)
    import re

    regex = ".*".join(re.escape(piece) for piece in body.split("*"))
    if optional_tail:
        regex += "(?: .*)?"
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


class Dialect:
    """What differs between Bash and PowerShell: the rule tool, the splitter, spellings, case, commands."""

    __slots__ = ("rule_tool", "kind", "ignore_case", "split", "deny_forms", "allow_forms", "file_targets",
                 "allow_words", "deny_words", "removes")

    def __init__(self, rule_tool, kind, ignore_case, split, deny_forms, allow_forms, file_targets, allow_words,
                 deny_words, removes):
        self.rule_tool = rule_tool
        self.kind = kind
        self.ignore_case = ignore_case
        self.split = split
        self.deny_forms = deny_forms
        self.allow_forms = allow_forms
        self.file_targets = file_targets
        self.allow_words = allow_words  # part -> the words an allow rule sees (past safe assignments, wrappers)
        self.deny_words = deny_words  # part -> the words deny rules see (past any wrapper)
        self.removes = removes  # part -> (True, operands) when the part deletes files


class CommandRules:
    """The command-pattern rules of one action, looked up by the first character of their literal prefix.

    A 10,000-part command against hundreds of rules would otherwise try every regex on every spelling.
    """

    __slots__ = ("buckets", "wild", "ignore_case", "seen")

    def __init__(self, rules: list[StoredRule], dialect: Dialect, action: str):
        self.ignore_case = dialect.ignore_case
        self.buckets: dict[str, list] = {}
        self.wild: list = []
        self.seen: dict[str, StoredRule | None] = {}
        for stored in rules:
            if stored.action != action or stored.rule.tool != dialect.rule_tool or stored.rule.kind != dialect.kind:
                continue
            prefix = stored.rule.literal_prefix or ""
            if self.ignore_case:
                prefix = prefix.lower()
            entry = (prefix, stored)
            (self.buckets.setdefault(prefix[0], []) if prefix else self.wild).append(entry)

    def first(self, forms: list[str]) -> StoredRule | None:
        best = None
        for form in forms:
            found = self._first_for(form)
            if found is not None and (best is None or (found.id or 0) < (best.id or 0)):
                best = found
        return best

    def exact(self, forms: list[str]) -> bool:
        """Whether a rule spells one of the forms in full (what `watch` and `find -exec` need).

        A `*` in such a rule is taken as the character itself, so `Bash(find . -name '*.pyc' -delete)`
        approves exactly that command.
        """
        fold = str.lower if self.ignore_case else str
        wanted = {fold(f) for f in forms}
        return any(fold(bash_pattern(stored.rule.specifier)) in wanted
                   for bucket in self.buckets.values() for _, stored in bucket)

    def first_for_glob_head(self, part) -> StoredRule | None:
        """A command name written as a glob (`/bin/r?`, `[r]m`) is tried as every rule's command word it matches."""
        words = shell.strip_for_deny(part.words)
        if not words or not words[0].globbed:
            return None
        import fnmatch

        name = words[0].value.rsplit("/", 1)[-1]
        rest = " ".join(w.value for w in words[1:])
        found = None
        for prefix, stored in [e for bucket in self.buckets.values() for e in bucket]:
            command = prefix.split(" ", 1)[0]
            if command and fnmatch.fnmatchcase(command, name):
                form = f"{command} {rest}".rstrip()
                if command_regex(stored.rule.specifier, self.ignore_case).fullmatch(form):
                    if found is None or (stored.id or 0) < (found.id or 0):
                        found = stored
        return found

    def _first_for(self, form: str) -> StoredRule | None:
        if form in self.seen:
            return self.seen[form]
        probe = form.lower() if self.ignore_case else form
        found = None
        candidates = self.buckets.get(probe[:1], []) + self.wild if probe else self.wild
        for prefix, stored in candidates:
            if probe.startswith(prefix) and command_regex(stored.rule.specifier, self.ignore_case).fullmatch(form):
                if found is None or (stored.id or 0) < (found.id or 0):
                    found = stored
        self.seen[form] = found
        return found


# ---- spellings -------------------------------------------------------------------------------------

_BRACES = LazyPattern(r"^([^{}]*)\{([^{}]*,[^{}]*)\}([^{}]*)$")


def _brace_words(word) -> list[str]:
    """`{rm,-rf,x}` is three words to bash; one level of comma braces is enough to see the command."""
    match = _BRACES.match(word.value) if "{" in word.raw and not any(q in word.raw for q in "'\"\\") else None
    if not match:
        return [word.value]
    head, body, tail = match.groups()
    return [head + piece + tail for piece in body.split(",")]


def bash_deny_forms(part: shell.Part) -> list[str]:
    """Every spelling deny and ask rules are tried against: past assignments and wrappers, the bare name."""
    stripped = shell.strip_for_deny(part.words)
    forms = [part.raw, part.plain, part.describe(), " ".join(w.raw for w in stripped),
             " ".join(w.value for w in stripped)]
    if any("{" in w.raw for w in stripped):
        forms.append(" ".join(piece for w in stripped for piece in _brace_words(w)))
    if stripped:
        head = stripped[0].value
        rest = [w.value for w in stripped[1:]]
        base = head.rsplit("/", 1)[-1]
        if base and base != head:
            forms.append(" ".join([base] + rest))  # `/bin/rm -rf x` is `rm -rf x`
        if base != base.lower():
            forms.append(" ".join([base.lower()] + rest))  # `RM x` runs rm on a case-insensitive disk
    return list(dict.fromkeys(f for f in forms if f))


def _strip_safe_assignments(words: list) -> list:
    index = 0
    while index < len(words) and shell.is_assignment(words[index]) and not words[index].expands:
        name = words[index].raw.split("=", 1)[0].rstrip("+")
        if name not in SAFE_VARIABLES:
            break
        index += 1
    return words[index:] if index < len(words) else words


def bash_allow_forms(part: shell.Part) -> list[str]:
    """What an allow rule must match: the command past known-safe assignments and the documented wrappers.

    Once a wrapper is stripped only the wrapped command counts, so `Bash(timeout *)` does not approve
    `timeout 5 anything`.
    """
    words = _strip_safe_assignments(part.words)
    stripped = shell.strip_wrappers(words)
    if len(stripped) != len(words) or len(words) != len(part.words):
        return [" ".join(w.raw for w in stripped)]
    return list(dict.fromkeys(f for f in (part.raw, part.describe()) if f))


def bash_file_targets(part: shell.Part) -> list[tuple[object, bool]]:
    """(word, writes) for every file the part names: redirection targets, then file-command operands."""
    found = [(r.target, r.writes) for r in part.redirects if r.target is not None]
    operands = filecmds.file_operands(shell.strip_for_deny(part.words))
    if part.words and part.words[0].value == "noglob":
        operands = [(_literal(word), writes) for word, writes in operands]  # zsh's noglob: `*` is a letter
    found.extend(operands)
    return found


def _literal(word):
    copy = shell.Word(word.value, word.raw)
    copy.expands = word.expands
    return copy


@lru_cache(maxsize=4)
def split_bash(command: str) -> tuple:
    """The parts of a command, read once per call: the SQL candidate filter and the matcher both need them."""
    return tuple(shell.split_command(command))


def _bash_allow_words(part) -> list:
    return shell.strip_wrappers(_strip_safe_assignments(part.words))


def _bash_removal(part) -> list | None:
    words = shell.strip_for_deny(part.words)
    if not words or words[0].value.rsplit("/", 1)[-1] not in REMOVERS:
        return None
    return [word for word, _ in filecmds.file_operands(words)]


def bash_dialect() -> Dialect:
    return Dialect("Bash", "bash", False, split_bash, bash_deny_forms, bash_allow_forms, bash_file_targets,
                   _bash_allow_words, lambda part: shell.strip_for_deny(part.words), _bash_removal)


def powershell_dialect() -> Dialect:
    from nerv.rules import powershell

    def removal(part) -> list | None:
        if not part.words or powershell.canonical_name(part.words[0].value) != "Remove-Item":
            return _bash_removal(part)
        return [word for word, _ in powershell.file_targets(part)]

    # PowerShell has no `VAR=x cmd` and none of bash's wrappers: its words are what allow rules see.
    return Dialect("PowerShell", "powershell", True, powershell.split_powershell, powershell.deny_forms,
                   powershell.canonical_forms, powershell.file_targets, lambda part: part.words,
                   lambda part: part.words, removal)


def dialect_for(tool: str) -> Dialect:
    return powershell_dialect() if tool == "PowerShell" else bash_dialect()


# ---- the decision ----------------------------------------------------------------------------------

def evaluate_shell(rules: list[StoredRule], tool: str, tool_input: dict, ctx: Context, primary: str) -> Match:
    dialect = dialect_for(tool)
    command = tool_input.get("command")
    whole = _whole_tool_rule(rules, tool, dialect, tool_input, primary)
    if whole is not None and whole.action in ("deny", "ask"):
        return decided(whole, whole.action, None, f"{whole.action} rule {whole.rule.text} covers every {tool} call")
    if not isinstance(command, str) or not command.strip():
        return Match("none", reason="no command to match")
    if len(command) > MAX_COMMAND_CHARS:
        return Match("ask", reason=f"the command is longer than {MAX_COMMAND_CHARS:,} characters: a person decides")
    parts = dialect.split(command)
    if len(parts) > MAX_PARTS:
        return Match("ask", reason=f"the command has more than {MAX_PARTS:,} simple commands: a person decides")
    files = _FileChecks(rules, ctx, dialect, parts)
    for action in ("deny", "ask"):
        found = _refusal(rules, dialect, action, parts, files, ctx)
        if found is not None:
            return found
    critical = _critical_removal(parts, dialect, files.cwds, ctx)
    if critical:
        return Match("ask", part=critical, reason=f"removing {critical!r} is never approved by an allow rule")
    if len(command) > MAX_ALLOWED_CHARS:
        return Match("ask", reason=f"commands longer than {MAX_ALLOWED_CHARS:,} characters always need a person")
    guarded = _guarded(rules, tool, dialect)
    if whole is not None:  # a bare allow of the tool
        doubt = _doubt(parts, files, guarded)
        if doubt:
            return Match("ask", whole.rule.text, whole.id, doubt[0], doubt[1])
        return Match("allow", whole.rule.text, whole.id, None, f"every {tool} command is allowed", rule_action="allow")
    return _allow_every_part(rules, dialect, [p for p in parts if not p.nested], files, guarded, ctx)


def _whole_tool_rule(rules, tool, dialect, tool_input, primary) -> StoredRule | None:
    """The first rule about every call of the tool (bare name, tool glob) or about one of its parameters."""
    names = {tool, dialect.rule_tool}
    for action in ("deny", "ask", "allow"):
        hit = first(rules, action, lambda s: (s.rule.kind == "tool" and s.rule.tool in names)
                    or any(tool_glob_hits(s.rule, name, action) for name in names)
                    or (action != "allow" and s.rule.tool in names and parameter_hits(s.rule, tool_input, primary)))
        if hit:
            return hit
    return None


def parameter_hits(rule, tool_input: dict, primary: str | None) -> bool:
    """`Tool(param:value)`: a top-level scalar input field other than the primary one; `*` is a wildcard."""
    condition = parameter_condition(rule)
    if condition is None:
        return False
    name, pattern = condition
    if name == primary or name not in tool_input:
        return False
    value = tool_input[name]
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float, str)):
        text = str(value)
    else:
        return False
    if "*" not in pattern:
        return text == pattern
    import re

    regex = ".*".join(re.escape(piece) for piece in pattern.split("*"))
    return re.fullmatch(regex, text, re.DOTALL) is not None


_HOME_VARIABLE = LazyPattern(r"^(?:\$HOME|\$\{HOME\})(?=/|$)")


def working_dirs(parts, ctx: Context, dialect: Dialect) -> tuple[list[str], bool]:
    """Every folder a relative path may be relative to, and whether some `cd` went where only run time knows.

    `cd sub && cat ../.env` reads the `.env` beside `sub`; subshells and `pushd`/`popd` make the order uncertain,
    so every folder a literal `cd` names counts, besides the starting one.
    """
    found = [ctx.cwd]
    unknown = False
    for part in parts:
        words = dialect.deny_words(part)
        if not words or words[0].value.lower() not in ("cd", "pushd", "popd", "chdir", "set-location", "sl"):
            continue
        operands = [w for w in words[1:] if not w.value.startswith("-") or w.value == "-"]
        if words[0].value == "popd" or (operands and (operands[0].expands or operands[0].value == "-")):
            unknown = True
            continue
        target = operands[0].value if operands else "~"
        for base in list(found):
            folder = paths.normalise(target, base, ctx.home)
            if folder not in found:
                found.append(folder)
    return found, unknown


class _FileChecks:
    """The files parts name, checked against Read/Edit rules, with what could not be known."""

    __slots__ = ("rules", "ctx", "dialect", "has_path_refusals", "cwds", "cwd_unknown")

    def __init__(self, rules, ctx, dialect, parts):
        self.rules = rules
        self.ctx = ctx
        self.dialect = dialect
        self.has_path_refusals = any(s.action != "allow" and s.rule.kind == "path" for s in rules)
        self.cwds, self.cwd_unknown = working_dirs(parts, ctx, dialect)

    def paths_of(self, word) -> list[str] | None:
        """Absolute spellings of an operand, globs expanded as bash would; None when only run time knows."""
        text = filecmds.operand_path(word)
        if text is None:
            return []
        expands = word.expands
        if expands and _HOME_VARIABLE.match(text) and "$" not in text[1:].split("/", 1)[-1] and "`" not in text:
            text, expands = _HOME_VARIABLE.sub(lambda _: self.ctx.home, text, count=1), False
        # A NUL cannot be in a path; bash drops it from its input, so the file named is not the text's.
        if expands or "\x00" in text or text.startswith("~") and not (text == "~" or text.startswith("~/")):
            return None
        relative = not (text.startswith("/") or text.startswith("~"))
        if relative and self.cwd_unknown:
            return None
        found: list[str] = []
        for cwd in (self.cwds if relative else self.cwds[:1]):
            spelled = self._spellings(text, word.globbed, cwd)
            if spelled is None:
                return None
            found.extend(spelled)
        return list(dict.fromkeys(found))

    def _glob_could_name_refused(self, word) -> bool:
        examples = [_example_path(s, self.ctx) for s in self.rules if s.action != "allow" and s.rule.kind == "path"]
        if not examples:
            return False
        for cwd in self.cwds:
            regex = paths.glob_regex(paths.absolute(word.value, cwd, self.ctx.home))
            # bash's `*` and `?` never match a leading dot, unless the pattern spells the dot.
            if any(regex.fullmatch(e) and _dots_spelled(word.value, e) for e in examples):
                return True
        return False

    def _spellings(self, text: str, globbed: bool, cwd: str) -> list[str] | None:
        if not globbed:
            return paths.candidates(text, cwd, self.ctx.home)
        import glob as globbing  # only a globbed operand pays for it

        matches = []
        for index, found in enumerate(globbing.iglob(paths.absolute(text, cwd, self.ctx.home))):
            if index >= MAX_GLOB_MATCHES:
                return None
            matches.append(found)
        return [c for m in matches for c in paths.candidates(m, cwd, self.ctx.home)] or \
            paths.candidates(text, cwd, self.ctx.home)

    def refusal(self, part, action: str) -> Match | None:
        if not self.has_path_refusals:
            return None
        for word, writes in self.dialect.file_targets(part):
            targets = self.paths_of(word)
            if not targets:
                continue
            tool = "Edit" if writes else "Read"
            hit = first_path_rule(self.rules, action, tool, targets, self.ctx)
            if hit:
                verb = "writing" if writes else "reading"
                return decided(hit, action, part.describe(), f"{action} rule {hit.rule.text} covers {verb} "
                                                             f"{targets[-1]}")
        return None

    def doubt(self, part) -> str | None:
        """Why a part's files keep an allow from vouching for it, or None."""
        for word, writes in self.dialect.file_targets(part):
            targets = self.paths_of(word)
            if targets is None and (writes or self.has_path_refusals):
                return f"the file {word.raw} is only known at run time"
            if word.globbed and self._glob_could_name_refused(word):
                # A glob names whatever exists when it runs, so a denied file created later would be read too.
                return f"{word.raw} could name a file a deny or ask rule covers"
            if writes and targets and any(is_protected(t) for t in targets):
                return f"{targets[-1]} is a protected path: no allow rule pre-approves writing it"
        return None


def _dots_spelled(pattern: str, path: str) -> bool:
    names = [n for n in path.split("/") if n]
    segments = [n for n in pattern.split("/") if n]
    for name, segment in zip(reversed(names), reversed(segments)):
        if name.startswith(".") and not segment.startswith("."):
            return False
    return True


_DRIVE = LazyPattern(r"^[A-Za-z]:(?=/|$)")
_WILDCARDS = LazyPattern(r"\*\*|\*|\?|\[[^\]]*\]")


def _example_path(stored: StoredRule, ctx: Context) -> str:
    """One path a path rule covers (each wildcard replaced by a letter), to test whether a glob can reach it."""
    glob = paths.anchor(stored.rule.specifier, cwd=ctx.cwd, root=rule_root(stored, ctx), home=ctx.home,
                        any_depth_dirs=True)
    return _WILDCARDS.sub("x", glob.replace("**/", "")).rstrip("/") or "/"


def _refusal(rules, dialect, action, parts, files, ctx) -> Match | None:
    commands = CommandRules(rules, dialect, action)
    for part in parts:
        hit = commands.first(dialect.deny_forms(part)) or commands.first_for_glob_head(part)
        if hit:
            return decided(hit, action, part.describe(), f"{action} rule {hit.rule.text} matches {part.describe()!r}")
        found = files.refusal(part, action)
        if found:
            return found
    return None


def _guarded(rules, tool, dialect) -> bool:
    """Whether any deny or ask rule could speak about a command of this tool (a command, a file, a glob)."""
    for stored in rules:
        if stored.action == "allow":
            continue
        rule = stored.rule
        if rule.tool == dialect.rule_tool or rule.kind in ("path", "glob"):
            return True
    return False


def _doubt(parts, files, guarded) -> tuple[str, str] | None:
    for part in parts:
        if guarded and part.uncertain:
            return part.describe(), f"{part.uncertain}: a deny rule could hide in it, so a person decides"
        why = files.doubt(part)
        if why:
            return part.describe(), why
    return None


def _critical_removal(parts, dialect: Dialect, cwds: list[str], ctx: Context) -> str | None:
    for part in parts:
        operands = dialect.removes(part)
        for word in operands or ():
            if dialect.kind == "powershell" and (word.value == "*" or word.value.endswith("/*")):
                return word.raw  # permission-modes#remove-item-in-powershell: any target ending in /* or \*
            if any(_is_critical_operand(word, Context(cwd, ctx.root, ctx.home), ctx.cwd) for cwd in cwds):
                return word.raw
    return None


def _is_critical_operand(word, ctx: Context, start_cwd: str) -> bool:
    raw = word.raw
    if word.expands:
        # `"$V"/*`, `$HOME`, `~`: a variable's folder and everything in it.
        return raw.rstrip("/").endswith("/*") or raw.strip('"{}$') in ("HOME", "PWD") or raw in ("~", "~/")
    text = word.value
    drive = _DRIVE.match(text)
    if drive:
        return text[drive.end():].strip("/").count("/") == 0 and not any(c in text for c in "?[")  # C:, C:/Windows
    if word.globbed:
        head, _, tail = text.rpartition("/")
        if "*" in head or "?" in head or "[" in head:
            return True
        text = head or ("/" if text.startswith("/") else ".")
    path = paths.normalise(text, ctx.cwd, ctx.home)
    return is_critical_removal_target(path, cwd=start_cwd, home=ctx.home)


def _allow_every_part(rules, dialect, parts, files, guarded, ctx) -> Match:
    commands = CommandRules(rules, dialect, "allow")
    allowed: list[dict] = []
    for part in parts:
        verdict, stored, reason = _allow_part(rules, dialect, commands, part, files, ctx)
        if verdict != "allow":
            decision = "ask" if stored is not None else "none"
            return Match(decision, stored.rule.text if stored else None, stored.id if stored else None,
                         part.describe(), reason, allowed)
        allowed.append({"part": part.describe(), "rule": stored.rule.text if stored else None,
                        "rule_id": stored.id if stored else None})
    if not allowed:
        return Match("none", reason="nothing to run")
    head = next((a for a in allowed if a["rule"]), allowed[0])
    return Match("allow", head["rule"], head["rule_id"], head["part"] if len(allowed) > 1 else None,
                 "every part is allowed" if len(allowed) > 1 else f"allowed by {head['rule']}", allowed,
                 rule_action="allow")


def _allow_part(rules, dialect, commands, part, files, ctx):
    """('allow'|'no', deciding or would-be rule, reason). A would-be rule with 'no' means: ask a person."""
    stripped = dialect.allow_words(part)
    hit = commands.first(dialect.allow_forms(part)) if part.words else None
    if part.uncertain:
        return "no", hit, f"{part.uncertain}: cannot be allowed by a prefix rule"
    if stripped:
        head = stripped[0]
        if not head.literal:
            return "no", hit, "the command name is only known at run time"
        name = head.value.rsplit("/", 1)[-1]
        exact = hit is not None and commands.exact(dialect.allow_forms(part))
        if name in shell.NEVER_BY_PREFIX and not exact:
            return "no", hit, f"{name} runs other commands: only an exact rule approves it"
        values = {w.value for w in stripped[1:]}
        if name == "find" and values & (shell.FIND_EXEC_FLAGS | shell.FIND_WRITE_FLAGS) and not exact:
            return "no", hit, "find -exec/-delete is only approved by an exact rule"
        if name == "sed" and filecmds.sed_script_escapes(stripped[1:]):
            return "no", hit, "the sed script writes files or runs commands (w, W, e, s///w, s///e)"
        if hit is None:
            return "no", None, f"no allow rule matches {part.describe()!r}"
    elif not any(r.writes for r in part.redirects):
        return "no", None, f"nothing certain to allow in {part.describe()!r}"
    why = files.doubt(part)
    if why:
        return "no", hit, why
    for redirect in part.redirects:
        if not redirect.writes:
            continue
        target = redirect.target
        if target.raw.startswith("~") or target.globbed or target.expands or _GLOB_CHARS & set(target.value):
            return "no", hit, f"redirection target {target.raw} is only known at run time"
        if target.value == "/dev/null":
            continue
        targets = paths.candidates(target.value, ctx.cwd, ctx.home)
        edit = first_path_rule(rules, "allow", "Edit", targets, ctx)
        if edit is None:
            return "no", hit, f"writing {target.value} needs an Edit allow rule"
        hit = hit or edit
    return "allow", hit, ""


def bash_forms(parts: list[shell.Part]) -> list[str]:
    """The spellings allow rules are tried against (the SQL candidate filter narrows allow rules by them)."""
    forms: list[str] = []
    for part in parts:
        forms.extend(bash_allow_forms(part))
    return list(dict.fromkeys(forms))
