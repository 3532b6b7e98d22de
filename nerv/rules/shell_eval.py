"""Deciding a shell command (Bash, Monitor, PowerShell) against command and file rules. Stdlib only.

Every simple command is tried against deny, then ask rules (past assignments and wrappers, every spelling);
the files it names are tried against Read/Edit deny and ask rules. Then every simple command must be allowed
on its own, and certain: nothing the text cannot vouch for (a substitution, a run-time command name) is ever
approved by a prefix rule. A bare `Bash` allow approves uncertain commands only while no deny or ask rule
could apply to them, since such a command could hide what the deny rule names.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nerv.rules import filecmds, paths, shell
from nerv.rules.decision import Context, Match, StoredRule, decided, first, tool_glob_hits
from nerv.rules.file_eval import first_path_rule
from nerv.rules.grammar import bash_pattern, parameter_condition
from nerv.rules.protected import is_critical_removal_target, is_protected

# Past these sizes a command is answered `ask` without being read: bounded time and memory for the hook.
MAX_COMMAND_CHARS = 1_000_000
MAX_PARTS = 10_000
MAX_GLOB_MATCHES = 1_000
# Assignments an allow rule looks past (`NODE_ENV=test npm test` is `npm test`): they change no command,
# no path lookup and no shell behaviour. Any other assignment must be written in the rule.
SAFE_VARIABLES = frozenset({"NODE_ENV", "RAILS_ENV", "RACK_ENV", "APP_ENV", "FLASK_ENV", "DJANGO_SETTINGS_MODULE",
                            "CI", "DEBUG", "VERBOSE", "NO_COLOR", "FORCE_COLOR", "CLICOLOR", "COLUMNS", "LINES",
                            "TERM", "TZ", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES",
                            "RUST_BACKTRACE", "RUST_LOG", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE",
                            "PYTHONHASHSEED", "GOFLAGS", "CGO_ENABLED", "NODE_OPTIONS_NO_WARNINGS"})
REMOVERS = frozenset({"rm", "rmdir"})


@lru_cache(maxsize=8192)
def command_regex(specifier: str, ignore_case: bool = False) -> re.Pattern:
    """`*` is any text; a trailing ` *` (or legacy `:*`) is optional and starts at a word boundary."""
    pattern = bash_pattern(specifier)
    optional_tail = pattern.endswith(" *")
    body = pattern[:-2] if optional_tail else pattern
    regex = ".*".join(re.escape(piece) for piece in body.split("*"))
    if optional_tail:
        regex += "(?: .*)?"
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


class Dialect:
    """What differs between Bash and PowerShell: the rule tool, the splitter, spellings and case."""

    __slots__ = ("rule_tool", "kind", "ignore_case", "split", "deny_forms", "allow_forms", "file_targets")

    def __init__(self, rule_tool, kind, ignore_case, split, deny_forms, allow_forms, file_targets):
        self.rule_tool = rule_tool
        self.kind = kind
        self.ignore_case = ignore_case
        self.split = split
        self.deny_forms = deny_forms
        self.allow_forms = allow_forms
        self.file_targets = file_targets


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

def bash_deny_forms(part: shell.Part) -> list[str]:
    """Every spelling deny and ask rules are tried against: past assignments and wrappers, the bare name."""
    stripped = shell.strip_for_deny(part.words)
    forms = [part.raw, part.plain, part.describe(), " ".join(w.raw for w in stripped),
             " ".join(w.value for w in stripped)]
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
    found.extend(filecmds.file_operands(shell.strip_for_deny(part.words)))
    return found


@lru_cache(maxsize=4)
def split_bash(command: str) -> tuple:
    """The parts of a command, read once per call: the SQL candidate filter and the matcher both need them."""
    return tuple(shell.split_command(command))


def bash_dialect() -> Dialect:
    return Dialect("Bash", "bash", False, split_bash, bash_deny_forms, bash_allow_forms, bash_file_targets)


def powershell_dialect() -> Dialect:
    from nerv.rules import powershell

    forms = powershell.canonical_forms
    return Dialect("PowerShell", "powershell", True, powershell.split_powershell, forms, forms,
                   powershell.file_targets)


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
    files = _FileChecks(rules, ctx, dialect)
    for action in ("deny", "ask"):
        found = _refusal(rules, dialect, action, parts, files, ctx)
        if found is not None:
            return found
    critical = _critical_removal(parts, ctx)
    if critical:
        return Match("ask", part=critical, reason=f"removing {critical!r} is never approved by an allow rule")
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
    regex = ".*".join(re.escape(piece) for piece in pattern.split("*"))
    return re.fullmatch(regex, text, re.DOTALL) is not None


class _FileChecks:
    """The files parts name, checked against Read/Edit rules, with what could not be known."""

    __slots__ = ("rules", "ctx", "dialect", "has_path_refusals")

    def __init__(self, rules, ctx, dialect):
        self.rules = rules
        self.ctx = ctx
        self.dialect = dialect
        self.has_path_refusals = any(s.action != "allow" and s.rule.kind == "path" for s in rules)

    def paths_of(self, word) -> list[str] | None:
        """Absolute spellings of an operand, globs expanded as bash would; None when only run time knows."""
        text = filecmds.operand_path(word)
        if text is None:
            return []
        if word.expands or text.startswith("~") and not (text == "~" or text.startswith("~/")):
            return None
        if word.globbed:
            import glob as globbing  # only a globbed operand pays for it

            pattern = paths.absolute(text, self.ctx.cwd, self.ctx.home)
            matches = []
            for index, found in enumerate(globbing.iglob(pattern)):
                if index >= MAX_GLOB_MATCHES:
                    return None
                matches.append(found)
            return [c for m in matches for c in paths.candidates(m, self.ctx.cwd, self.ctx.home)] or \
                paths.candidates(text, self.ctx.cwd, self.ctx.home)
        return paths.candidates(text, self.ctx.cwd, self.ctx.home)

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
            if writes and targets and any(is_protected(t) for t in targets):
                return f"{targets[-1]} is a protected path: no allow rule pre-approves writing it"
        return None


def _refusal(rules, dialect, action, parts, files, ctx) -> Match | None:
    commands = CommandRules(rules, dialect, action)
    for part in parts:
        hit = commands.first(dialect.deny_forms(part))
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


def _critical_removal(parts, ctx: Context) -> str | None:
    for part in parts:
        words = shell.strip_for_deny(part.words)
        if not words or words[0].value.rsplit("/", 1)[-1] not in REMOVERS:
            continue
        for word, _ in filecmds.file_operands(words):
            if _is_critical_operand(word, ctx):
                return word.raw
    return None


def _is_critical_operand(word, ctx: Context) -> bool:
    raw = word.raw
    if word.expands:
        # `"$V"/*`, `$HOME`, `~`: a variable's folder and everything in it.
        return raw.rstrip("/").endswith("/*") or raw.strip('"{}$') in ("HOME", "PWD") or raw in ("~", "~/")
    text = word.value
    if word.globbed:
        head, _, tail = text.rpartition("/")
        if "*" in head or "?" in head or "[" in head:
            return True
        text = head or ("/" if text.startswith("/") else ".")
    path = paths.normalise(text, ctx.cwd, ctx.home)
    return is_critical_removal_target(path, cwd=ctx.cwd, home=ctx.home)


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
    stripped = shell.strip_wrappers(_strip_safe_assignments(part.words))
    hit = commands.first(dialect.allow_forms(part)) if part.words else None
    if part.uncertain:
        return "no", hit, f"{part.uncertain}: cannot be allowed by a prefix rule"
    if stripped:
        head = stripped[0]
        if head.expands or head.globbed:
            return "no", hit, "the command name is only known at run time"
        name = head.value.rsplit("/", 1)[-1]
        if name in shell.NEVER_BY_PREFIX:
            return "no", hit, f"{name} runs other commands: never approved by a prefix rule"
        values = {w.value for w in stripped[1:]}
        if name == "find" and values & (shell.FIND_EXEC_FLAGS | shell.FIND_WRITE_FLAGS):
            return "no", hit, "find -exec/-delete is never approved by a prefix rule"
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
        if target.raw.startswith("~") or target.globbed or target.expands:
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
