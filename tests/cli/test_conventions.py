"""The command-line conventions of docs/cli.md ("Conventions"), checked by walking the whole command tree, so
a new command is held to them without a test of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nerv.cli.app import command_tree

REPO = Path(__file__).resolve().parents[2]
# The verbs whose JSON is a list (docs/cli.md): every `list`, and the commands that are lists by name.
LIST_VERBS = {"list"}
LIST_COMMANDS = {("learnings",), ("task", "ready"), ("task", "blocked"), ("approval", "suggest"), ("budget", "status")}
# Verbs a reader takes for commands: a group's help may list them only if the group has them.
VERB_WORDS = {"remove", "delete", "test", "create", "new", "update", "edit", "set", "unset", "get"}
# `nerv task show`; a word that runs into `<TAB>` is one being typed (docs/performance.md), not a name.
MENTION = re.compile(r"`nerv ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)*)(?![a-z<-])")
# Answered by nerv/__main__.py before the command tree (stdlib only): `nerv statusline`, and `nerv hook EVENT`
# for any event name (an unknown one is a no-op, docs/hooks.md).
OUTSIDE_THE_TREE = {("statusline",), ("hook",)}
# One option name, two kinds of value, on purpose (docs/cli.md, "Conventions").
TWO_KINDS = {"--output": "`pricing set --input/--output` price input and output tokens; elsewhere it is a file"}


def walk(command, path=()):
    yield path, command
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from walk(sub, (*path, name))


def leaves():
    return [(path, command) for path, command in walk(command_tree()) if not getattr(command, "commands", None)]


def all_verbs() -> set[str]:
    return {path[-1] for path, _ in walk(command_tree()) if path} | VERB_WORDS


def resolves(words: list[str]) -> str | None:
    """None when `nerv WORDS...` starts with a real command, else what is wrong."""
    if tuple(words[:1]) in OUTSIDE_THE_TREE:
        return None
    command = command_tree()
    for index, word in enumerate(words):
        commands = getattr(command, "commands", None)
        if not commands:
            return None  # reached a command: the rest are its arguments
        if word not in commands:
            return f"`{' '.join(['nerv', *words[:index + 1]])}` is no command"
        command = commands[word]
    return None


def help_texts():
    for path, command in walk(command_tree()):
        yield " ".join(["nerv", *path]), command.help or ""
        for param in command.params:
            yield f"{' '.join(['nerv', *path])} {param.name}", getattr(param, "help", None) or ""


def test_every_list_command_answers_a_json_list(cli, project):
    wrong = {}
    listed = [path for path, _ in leaves() if path[-1] in LIST_VERBS or path in LIST_COMMANDS]
    assert ("task", "list") in listed and ("cycle", "list") in listed
    for path in listed:
        result = cli(*path, "--json")
        if result.code != 0 or not isinstance(result.data, list):
            wrong[" ".join(path)] = (result.code, type(result.data).__name__ if result.code == 0 else result.stderr)
    assert not wrong, wrong


def test_usage_lines_write_arguments_as_plain_upper_case_names():
    import typer

    wrong = []
    for path, command in walk(command_tree()):
        ctx = typer.Context(command, info_name=" ".join(["nerv", *path]))
        usage = " ".join(command.collect_usage_pieces(ctx))
        arguments = [p.make_metavar(ctx) for p in command.params if p.param_type_name == "argument"]
        if "{" in usage or "}" in usage or any(not a.strip("[].").isupper() for a in arguments):
            wrong.append((path, usage))
    assert not wrong, wrong


def test_options_are_kebab_case_and_one_name_has_one_type():
    types, wrong = {}, []
    for path, command in leaves():
        for param in command.params:
            if param.param_type_name != "option":
                continue
            for opt in param.opts:
                if opt.startswith("--") and not re.fullmatch(r"--[a-z0-9]+(-[a-z0-9]+)*", opt):
                    wrong.append((path, opt, "not kebab-case"))
                if opt.startswith("-") and not opt.startswith("--") and opt not in {"-o", "-d", "-p", "-n"}:
                    wrong.append((path, opt, "a short option nerv does not use elsewhere"))
            kind = "flag" if param.is_flag else param.type.name
            types.setdefault(param.opts[0], {}).setdefault(kind, []).append(" ".join(path))
    for opt, kinds in types.items():
        if len(kinds) > 1 and opt not in TWO_KINDS:
            wrong.append((opt, "takes different kinds of value", kinds))
    assert not wrong, wrong


def test_project_options_come_from_one_declaration():
    # `--project` is declared in nerv/cli/_options.py, whose help always says what leaving it out means.
    wrong = []
    for path, command in leaves():
        for param in command.params:
            if param.name == "project" and param.param_type_name == "option":
                if not re.search(r"\(default: .+\)\.$", param.help or ""):
                    wrong.append((path, param.name, param.help))
            if param.name == "everywhere" and "project" not in {p.name for p in command.params}:
                wrong.append((path, "--global without --project"))
    assert not wrong, wrong


def test_every_command_a_help_text_names_exists():
    wrong = []
    verbs = all_verbs()
    for where, text in help_texts():
        for mention in MENTION.findall(text):
            problem = resolves(mention.split())
            if problem:
                wrong.append((where, problem))
    for path, command in walk(command_tree()):
        subcommands = getattr(command, "commands", None)
        head, colon, listed = (command.help or "").partition(": ")
        if not (path and subcommands and colon):
            continue
        for item in re.sub(r"\([^)]*\)", "", listed).rstrip(". ").split(","):
            for word in item.strip().split("/"):
                if word in verbs and word not in subcommands:
                    wrong.append((" ".join(["nerv", *path]), f"help lists `{word}`, which it does not have"))
    assert not wrong, wrong


@pytest.mark.parametrize("doc", ["README.md", *sorted(p.name for p in (REPO / "docs").glob("*.md"))])
def test_every_command_the_docs_name_exists(doc):
    path = REPO / doc if doc == "README.md" else REPO / "docs" / doc
    wrong = [problem for mention in MENTION.findall(path.read_text())
             if (problem := resolves(mention.split()))]
    assert not wrong, wrong
