"""Shell completion of live values (docs/cli.md, "Shell completion").

A completion request is a whole `nerv` process per Tab press, so this path stays light: it builds only the
command tree of the top-level command being completed, reads the database read-only with stdlib sqlite3
(nerv.store.fastpath, nerv.store.queries_complete) and imports no rich, peewee or numpy.

Which values a parameter takes follows from its name (the naming convention of docs/cli.md: one name, one
kind of value): COMPLETERS by the command path that owns the name, else BY_NAME.
"""

from __future__ import annotations

import os
from typing import Callable

from nerv.domain import vocabulary
from nerv.store import queries_complete as q

COMPLETE_VAR = "_NERV_COMPLETE"
# The shells whose completion scripts nerv supports (Click's protocol, Typer's scripts).
SHELLS = ("bash", "zsh", "fish")

Pairs = list[tuple[str, str]]


def requested() -> str | None:
    """The shell a completion request is for (`complete_bash` -> `bash`), or None when this run is no request."""
    instruction = os.environ.get(COMPLETE_VAR, "")
    verb, _, shell = instruction.partition("_")
    return shell if verb == "complete" and shell in SHELLS else None


def _items(pairs: Pairs):
    from typer._click.shell_completion import CompletionItem

    return [CompletionItem(value, help=description or None) for value, description in pairs]


def _words(words) -> Callable:
    def complete(ctx, param, incomplete: str):
        return _items([(w, "") for w in words if w.startswith(incomplete)])

    return complete


def _from_ledger(query: Callable, *, per_project: bool = False) -> Callable:
    """A completer offering what `query` reads from the existing database (nerv.store.queries_complete.offer)."""

    def complete(ctx, param, incomplete: str):
        return _items(q.offer(query, incomplete, per_project=per_project, project=ctx.params.get("project")))

    return complete


def _setting_keys(ctx, param, incomplete: str):
    from nerv.settings_keys import KNOWN

    return _items([(key, spec.description.split(". ")[0]) for key, spec in KNOWN.items()
                   if key.startswith(incomplete)])


def _setting_values(ctx, param, incomplete: str):
    from nerv.settings_keys import KNOWN

    spec = KNOWN.get(ctx.params.get("key") or "")
    words = spec.choices if spec and spec.choices else ("true", "false") if spec and spec.type == "boolean" else ()
    return _words(words)(ctx, param, incomplete)


tasks = _from_ledger(q.tasks, per_project=True)
cycles = _from_ledger(q.cycles, per_project=True)
decisions = _from_ledger(q.decisions, per_project=True)
checkpoints = _from_ledger(q.checkpoints, per_project=True)
projects = _from_ledger(q.projects)
rules = _from_ledger(q.rules)
sessions = _from_ledger(q.sessions)
approvals = _from_ledger(q.approvals)
agents = _from_ledger(q.agents)

# Parameter name -> completer, wherever the name appears.
BY_NAME = {"project": projects, "agent": agents, "task": tasks, "parent": tasks, "depends_on": tasks,
           "cycle": cycles, "session": sessions, "session_id": sessions, "request_id": approvals, "rule_id": rules}
# Command path -> parameter name -> completer, for names whose values depend on the command group.
COMPLETERS = {
    "nerv task": {"ref": tasks, "dep": tasks, "status": _words(vocabulary.TASK_STATUSES),
                  "type": _words(vocabulary.TASK_TYPES)},
    "nerv task dep add": {"type": _words(vocabulary.TASK_DEP_TYPES)},
    "nerv cycle show": {"number": cycles},
    "nerv decision": {"ref": decisions, "by": decisions, "status": _words(vocabulary.DECISION_STATUSES)},
    "nerv approval": {"status": _words(vocabulary.APPROVAL_STATUSES)},
    "nerv rule": {"action": _words(vocabulary.RULE_ACTIONS)},
    "nerv cost": {"by": _words(vocabulary.COST_GROUPINGS), "cost_mode": _words(vocabulary.COST_MODES),
                  "breakdown": _words(vocabulary.COST_BREAKDOWNS)},
    "nerv checkpoint": {"checkpoint": checkpoints, "other": checkpoints},
    "nerv settings": {"key": _setting_keys, "value": _setting_values},
}


def completer_for(command_path: str, name: str) -> Callable | None:
    """The completer of parameter `name` of the command at `command_path` (`nerv task dep add`), if any."""
    words = command_path.split()
    for end in range(len(words), 1, -1):
        found = COMPLETERS.get(" ".join(words[:end]), {}).get(name)
        if found:
            return found
    return BY_NAME.get(name)


def _public_name(param) -> str:
    """The name a user sees: an option's long name (`--depends-on` -> `depends_on`, whatever the Python
    parameter is called), an argument's own name."""
    long_names = [opt for opt in getattr(param, "opts", ()) if opt.startswith("--")]
    return long_names[0][2:].replace("-", "_") if long_names else param.name or ""


def attach(command, path: str = "nerv"):
    """Give every parameter of the tree its completer (Click calls it in place of its default)."""
    for param in command.params:
        completer = completer_for(path, _public_name(param))
        if completer:
            param._custom_shell_complete = completer
    for name, sub in (getattr(command, "commands", None) or {}).items():
        attach(sub, f"{path} {name}")
    return command


def prepare(command) -> None:
    """Make the tree built for a completion request answer with live values."""
    attach(command)
    use_plain_shells()


def top_commands(shell: str, commands) -> str | tuple[()]:
    """The top-level command a completion request is inside (`nerv task show <TAB>` -> `task`), so that only
    its module is built; () for the root's own options or an unknown command."""
    args, incomplete = _request(shell).get_completion_args()
    for arg in args:
        if not arg.startswith("-"):
            return arg if arg in commands else ()
    return ()


def first_word(summaries: dict[str, str]) -> str | None:
    """The shell's answer to a request for the first word (`nerv <TAB>`, `nerv ta<TAB>`), from the command
    table and its one-line helps, without building a command; None when the request is for anything else."""
    shell = requested()
    if shell is None:
        return None
    use_plain_shells()
    request = _request(shell)
    args, incomplete = request.get_completion_args()
    if any(not arg.startswith("-") for arg in args) or incomplete.startswith("-"):
        return None
    from typer._click.shell_completion import CompletionItem

    offered = [CompletionItem(name, help=summary) for name, summary in summaries.items()
               if name.startswith(incomplete)]
    request.get_completions = lambda args, incomplete: offered
    return request.complete()


def _request(shell: str):
    from typer._click.shell_completion import get_completion_class
    from typer._completion_classes import completion_init

    completion_init()
    return get_completion_class(shell)(None, {}, "nerv", COMPLETE_VAR)


def use_plain_shells() -> None:
    """Typer's zsh and fish completion pass each description through rich (~40 ms per Tab press) to remove
    markup nerv's descriptions never contain; these classes write them as they are."""
    from typer._click.shell_completion import add_completion_class
    from typer._completion_classes import FishComplete, ZshComplete

    class PlainZsh(ZshComplete):
        def format_completion(self, item) -> str:
            value = _zsh_escape(item.value)
            return f'"{value}":"{_zsh_escape(item.help)}"' if item.help else f'"{value}"'

    class PlainFish(FishComplete):
        def format_completion(self, item) -> str:
            return f"{item.value}\t{' '.join(item.help.split())}" if item.help else f"{item.value}"

    add_completion_class(PlainZsh, "zsh")
    add_completion_class(PlainFish, "fish")


def _zsh_escape(text: str) -> str:
    """Typer's escaping of a value inside `_arguments '*: :(("value":"help"))'`."""
    return (text.replace('"', '""').replace("'", "''").replace("$", "\\$").replace("`", "\\`")
            .replace(":", r"\\:"))
