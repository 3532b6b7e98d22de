"""Options many command groups share: one declaration each, with help that says what the default means.

`--project` takes a project name, id or id prefix. Left out, it means the current project (the one
definition of that order is nerv.store.lookups.current_project) unless the command spans projects or
writes global values by nature; those say so with another `default` below. Commands that act on one
project or on all of them (rules, budgets, cost) take `--global` too (`scoped_project_option`): they use
the current project when one resolves, else global, and their output names the scope they used.
"""

from __future__ import annotations

import typer

CURRENT = ("the current project: NERV_PROJECT, else the registered repo holding the working directory, "
           "else `nerv project use`")
ALL = "every project"
GLOBAL = "global, for every project"
CURRENT_OR_GLOBAL = "the current project when one resolves, else global; --global for global"


def project_option(default: str = CURRENT, what: str = "Project name or id"):
    """The `--project` option: `what` it selects, and what leaving it out means."""
    return typer.Option(None, "--project", help=f"{what} (default: {default}).")


def agent_option(what: str = "Agent name"):
    """The `--agent` option; NERV_AGENT fills it when left out."""
    return typer.Option(None, "--agent", envvar="NERV_AGENT", help=f"{what} (default: $NERV_AGENT).")


def global_option(what: str = "every project"):
    """`--global`: the global scope even where a current project resolves (the scope before the convention)."""
    return typer.Option(False, "--global", help=f"Global scope: {what}, even inside a project's repo.")


def scope_label(data: dict) -> str:
    """A result's scope as text output names it: `project shop` or `global`."""
    return f"project {data['scope_project']}" if data["scope"] == "project" else "global"
