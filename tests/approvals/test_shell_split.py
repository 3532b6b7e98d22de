"""nerv.rules.shell against what bash really does.

Every expectation here was checked with bash 5.2 (`bash -c CMD` with logging stubs on PATH). The real-bash
test at the end runs each tricky command again and checks that every simple command bash ran is one of
the parts split_command returned, unless the split says some part is uncertain.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time

import pytest
from hypothesis import assume, given, settings, strategies as st

from nerv.rules import shell
from nerv.rules.shell import MAX_COMMAND_CHARS, split_command, strip_for_deny
from tests.conftest import examples

pytestmark = pytest.mark.no_database  # pure functions: no test here reaches nerv's database

BASH = shutil.which("bash")
needs_bash = pytest.mark.skipif(BASH is None, reason="bash is not installed")
STUBS = ("safe", "evil", "other")


def top(command: str) -> list[shell.Part]:
    return [p for p in split_command(command) if not p.nested]


def plains(command: str) -> list[str]:
    return [p.plain for p in top(command)]


def uncertain(command: str) -> bool:
    return any(p.uncertain for p in split_command(command))


def names(command: str) -> set[str]:
    """The command every part runs, past assignments and wrappers (what a deny rule would look at)."""
    found = set()
    for part in split_command(command):
        core = strip_for_deny(part.words)
        if core:
            found.add(core[0].value.rsplit("/", 1)[-1])
    return found


# ---- comments ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("command,expected", [
    ("npm test # let's see\nrm -rf x\n# that's it", ["npm test", "rm -rf x"]),
    ('safe # "unclosed\nevil', ["safe", "evil"]),
    ("safe a#b; evil", ["safe a#b", "evil"]),  # # inside a word is literal
    ("safe a;#b; evil", ["safe a"]),  # after ; the # starts a word: all comment
    ("safe a &&#b\nevil", ["safe a", "evil"]),
    ("safe # note \\\nevil", ["safe", "evil"]),  # backslash-newline does not continue a comment
    ("safe \\\n# c\nevil", ["safe", "evil"]),  # continuation, then a comment at a word start
    ("safe {#,x}; evil", ["safe {#,x}", "evil"]),
    ("safe ${#} $#; evil", ["safe ${#} $#", "evil"]),
    ("safe x=#; evil", ["safe x=#", "evil"]),
    ("echo '#' && evil", ["echo #", "evil"]),
    ("#!/bin/sh\nsafe", ["safe"]),
])
def test_comments(command, expected):
    assert plains(command) == expected
    assert not uncertain(command)


def test_a_comment_inside_a_substitution_swallows_its_parenthesis():
    parts = split_command("safe $(#c )\nevil)")
    assert [p.plain for p in parts if p.nested] == ["evil"]
    assert parts[0].uncertain


# ---- backslashes, continuation, CR ------------------------------------------------------------------

@pytest.mark.parametrize("command,expected", [
    ("echo ok\\\\\nrm -rf x", ["echo ok\\", "rm -rf x"]),  # an escaped backslash does not continue the line
    ("echo ok\\\\\\\nrm -rf x", ["echo ok\\rm -rf x"]),  # three: one escaped, then a continuation
    ("echo ok\\\r\nrm -rf x", ["echo ok\r", "rm -rf x"]),  # \<CR> escapes the CR, the LF ends the command
    ("npm test\r\nrm -rf /", ["npm test\r", "rm -rf /"]),  # \r is an ordinary character
    ("safe a\\\nb", ["safe ab"]),
    ("safe a \\\n&& evil", ["safe a", "evil"]),
    ("i\\\nf true; then evil; fi", ["true", "evil"]),  # the continuation is gone before `if` is read
    ("safe 'a\\\nb'", ["safe a\\\nb"]),  # literal inside single quotes
    ('safe "a\\\nb"', ["safe ab"]),  # removed inside double quotes
    ("safe $'a\\\nb'", ["safe a\\\nb"]),  # kept inside $'...'
    ("r\\m -rf /", ["rm -rf /"]),
    ("echo a\\;b", ["echo a;b"]),
])
def test_backslashes(command, expected):
    assert plains(command) == expected


@pytest.mark.parametrize("command", [
    "safe &\\\n& evil",  # bash joins the operator: &&
    "safe $\\\n(evil)",  # bash joins $(
    "safe 2\\\n>/dev/null",  # bash reads 2>
])
def test_a_continuation_inside_an_operator_is_uncertain(command):
    assert uncertain(command)


# ---- quoting ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("command,value", [
    ("safe $'\\x65vil'", "evil"),
    ("safe $'\\145vil'", "evil"),
    ("safe $'\\u0065vil'", "evil"),
    ("safe $'\\U00000065vil'", "evil"),
    ("safe $'a\\'b'", "a'b"),
    ("safe $'\\z\\q\\\"\\?\\E'", "\\z\\q\"?\x1b"),  # unknown escapes keep their backslash
    ("safe $'\\x\\xg\\x4142\\c'", "\\x\\xgA42\\c"),
    ("safe $'\\1\\12\\123\\1234'", "\x01\nSS4"),
    ("safe $'\\cA\\c?\\c\\\\x'", "\x01\x7f\x1cx"),
    ("safe $'\\ca\\cz\\c[\\c]\\c^\\c_'", "\x01\x1a\x1b\x1d\x1e\x1f"),
    ("safe $'\\c'", "\\c"),
    ("safe 'it'\"'\"'s'", "it's"),
    ('safe "a\\"b\\\\c\\$d\\`e\\f"', 'a"b\\c$d`e\\f'),
    ('safe $"hello"', "hello"),
])
def test_quoting_values(command, value):
    parts = top(command)
    assert len(parts) == 1 and parts[0].words[1].value == value


def test_ansi_c_quoting_names_the_real_command():
    parts = top("$'\\x65vil' x")
    assert parts[0].words[0].value == "evil" and not parts[0].uncertain


@pytest.mark.parametrize("command", [
    "safe $'ev\\0il'",  # bash cuts the string at NUL
    "safe $'\\xe9'",  # a raw byte, no character on its own
    "safe $'\\u00e9'",  # depends on the locale
    "echo 'unbalanced",
    'echo "unbalanced',
    "echo $'unbalanced",
    'safe "${x:-\'}\'}"',  # bash's quote rules inside "${...}" depend on the operator
])
def test_quoting_bash_reads_differently_is_uncertain(command):
    assert uncertain(command)


@pytest.mark.parametrize("command,expected", [
    ("echo `echo '`'`; evil", None),  # the inner ' does not protect the backtick: bash fails to parse
    ("safe `echo \\`evil\\``", {"safe", "echo", "evil"}),
    ('safe "$(echo ")")"; evil', {"safe", "echo", "evil"}),
])
def test_backticks_and_nested_quotes(command, expected):
    if expected is None:
        assert uncertain(command)
    else:
        assert expected <= names(command)


# ---- Unicode ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("separator", ["\u00a0", "\u2028", "\u2029", "\u3000", "\u200b", "\u0085", "\u202f", "\x0b",
                                       "\x0c", "\r"])
def test_only_space_tab_and_newline_separate_words(separator):
    parts = top(f"safe{separator}x y")
    assert [w.value for w in parts[0].words] == [f"safe{separator}x", "y"]


# ---- here-documents ---------------------------------------------------------------------------------

@pytest.mark.parametrize("command,expected", [
    ("cat <<EOF\nit's\nEOF\nrm -rf x", ["cat", "rm -rf x"]),
    ("cat <<'EOF'\n\"unbalanced\nEOF\nevil", ["cat", "evil"]),
    ("cat <<EOF\nfoo\\\nEOF\nEOF\nevil", ["cat", "evil"]),  # continuation joins foo and EOF: the second EOF ends
    ("cat <<'EOF'\nx\\\nEOF\nevil", ["cat", "evil"]),  # no continuation in a quoted body
    ("cat <<EOF\nfoo\\\\\nEOF\nevil", ["cat", "evil"]),  # an escaped backslash
    ("cat <<-EOF\n\tfoo\n\t\tEOF\nevil", ["cat", "evil"]),  # <<- strips tabs from the delimiter line
    ("cat <<-EOF\n\tfoo\\\n\tEOF\n\tEOF\nevil", ["cat", "evil"]),  # the joined line keeps its tab
    ("cat <<EOF\nfoo\nEOF \nEOF\nevil", ["cat", "evil"]),  # a trailing blank: not the delimiter
    ("cat <<EOF\r\nfoo\r\nEOF\r\nevil", ["cat", "evil"]),  # the delimiter is EOF\r
    ("cat <<A; cat <<B\na\nA\nb\nB\nevil", ["cat", "cat", "evil"]),  # bodies in order after the line
    ("cat <<A <<-B\na\nA\n\tb\n\tB\nevil", ["cat", "evil"]),
    ("cat <<E\"F\"\n$(evil)\nEF\nother", ["cat", "other"]),
    ("cat <<\\EF\n$(evil)\nEF\nother", ["cat", "other"]),
    ("cat <<''\nx\n\nevil", ["cat", "evil"]),  # an empty delimiter ends at an empty line
    ("cat << EOF x\nfoo\nEOF\nevil", ["cat x", "evil"]),
    ("cat <<EOF && evil\nbody\nEOF", ["cat", "evil"]),
    ("echo $(cat <<EOF\n)\nEOF\n); evil", ["echo $(cat <<EOF\n)\nEOF\n)", "evil"]),
])
def test_here_documents(command, expected):
    assert plains(command) == expected


def test_a_quoted_here_document_is_certain_and_an_expanding_one_is_not():
    assert not uncertain("cat <<'EOF'\n$(evil) `evil`\nEOF")
    assert not uncertain("cat <<EOF\n$HOME and \\$(evil)\nEOF")
    parts = split_command("cat <<EOF\n$(evil)\nEOF")
    assert parts[0].uncertain and [p.plain for p in parts if p.nested] == ["evil"]
    assert names("cat <<EOF\n${x:-`evil`}\nEOF") == {"cat", "evil"}


def test_here_document_bodies_are_kept():
    redirect = top("cat <<-EOF\n\ta\n\tb\n\tEOF")[0].redirects[0]
    assert (redirect.op, redirect.target, redirect.written, redirect.body) == ("<<-", None, "EOF", "a\nb\n")
    assert top("cat <<< 'a b'")[0].redirects[0].body == "a b"


@pytest.mark.parametrize("command", [
    "cat <<EOF\nhello",  # bash reads to the end with a warning
    "cat <<EOF\nhello\nEOFX\nevil",
    "cat <<EOF; safe $(echo\nx\nEOF\n)\nevil",  # a newline inside $( ) while a body waits
    "cat <<$x\n$x\n",
    "echo $(cat <<EOF)\nbody\nEOF\nevil",
])
def test_here_documents_bash_reads_differently_are_uncertain(command):
    assert uncertain(command)


# ---- operators and compound commands ----------------------------------------------------------------

@pytest.mark.parametrize("command,expected", [
    ("a && b || c; d | e |& f & g", ["a", "b", "c", "d", "e", "f", "g"]),
    ("(a; (b)) && { c; }", ["a", "b", "c"]),
    ("if a; then b; elif c; then d; else e; fi", ["a", "b", "c", "d", "e"]),
    ("if true; then { safe; } fi", ["true", "safe"]),
    ("while a; do b; done; until c; do d; done", ["a", "b", "c", "d"]),
    ("for i in 1 2; do echo $i; done", ["for i in 1 2", "echo $i"]),
    ("for ((i=0; i<2; i++)); do echo; done", ["for ((i=0; i<2; i++))", "echo"]),
    ("select x in a b; do evil; done", ["select x in a b", "evil"]),
    ("case x in a|b) safe;; (c) other;& *) evil;;& esac; last", ["case x in", "safe", "other", "evil", "last"]),
    ("case x in\n x)\n safe\n ;;\n esac", ["case x in", "safe"]),
    ("case x in x) esac; evil", ["case x in", "evil"]),
    ("! safe | time -p other", ["safe", "other"]),
    ("time { evil; }", ["evil"]),
    ("[[ a < b && ( -f x || $y == @(a|b) ) ]] && ok", ["[[ a < b && ( -f x || $y == @(a|b) ) ]]", "ok"]),
    ("{ safe; } 2>&1 >/dev/null; evil", ["safe", "evil"]),
    ("safe 0<&-evil", ["safe evil"]),  # bash reads the - of <&- alone
    ("safe >& -evil", ["safe evil"]),
    ("x=(1 2 3); safe", ["x=(1 2 3)", "safe"]),
])
def test_compound_commands(command, expected):
    assert plains(command) == expected


def test_a_compound_commands_redirection_applies_to_each_command_inside():
    parts = top("{ a; b; } > out")
    assert [(p.plain, [r.written for r in p.redirects]) for p in parts] == [("a", ["out"]), ("b", ["out"])]


@pytest.mark.parametrize("command", [
    "safe ;; evil", "safe && && evil", "; safe", "safe &&", "(safe", "safe)", "{ safe; ", "if safe; then evil",
    "case x in a) b", "for x in a; evil; done", "safe (x)", "echo @(x)", "cat =(evil)", "FOO=1 if true; then x; fi",
    "[[ a =~ (a b) ]] && safe; evil", "((1) + (2))",
])
def test_syntax_bash_rejects_or_reads_differently_is_uncertain(command):
    assert uncertain(command)


@pytest.mark.parametrize("command", [
    "safe() { evil; }; safe", "function safe { evil; }\nsafe", "safe () ( evil ); safe",
    "command_not_found_handle() { evil; }; nope", "coproc evil", "coproc x { evil; }",
])
def test_function_definitions_and_coproc_make_everything_uncertain(command):
    parts = split_command(command)
    assert all(p.uncertain for p in parts)
    assert "evil" in names(command)


def test_a_function_that_runs_its_arguments_is_uncertain():
    assert all(p.uncertain for p in split_command('f() { "$@"; }; f evil'))


# ---- substitutions and expansions -------------------------------------------------------------------

@pytest.mark.parametrize("command,inner", [
    ("echo $(rm -rf /)", "rm -rf /"),
    ("echo `rm -rf /`", "rm -rf /"),
    ('echo "$(rm -rf /)"', "rm -rf /"),
    ("cat <(rm -rf /)", "rm -rf /"),
    ("echo x > >(rm -rf /)", "rm -rf /"),
    ("safe a<(evil)", "evil"),  # inside a word too
    ("echo ${x:-$(evil)}", "evil"),
    ("echo ${x-<(evil)}", "evil"),
    ("echo ${ evil; }", "evil"),
    ("echo ${| evil; }", "evil"),
    ("echo $((1 + $(evil)))", "evil"),
    ("echo $(( a[$(evil)] ))", "evil"),
    ("x=(1 $(evil))", "evil"),
    ("case $(evil) in x) ;; esac", "evil"),
    ("case x in $(evil)) ;; esac", "evil"),
    ("for i in $(evil); do :; done", "evil"),
    ("echo $(case x in x) evil;; esac)", "evil"),
])
def test_substitutions_come_back_as_nested_parts(command, inner):
    parts = split_command(command)
    assert inner in [p.plain for p in parts if p.nested]
    assert any(p.uncertain for p in parts if not p.nested)


@pytest.mark.parametrize("command,flag", [
    ("$x a", "expands"), ("${x} a", "expands"), ("~user/x a", "expands"), ("e* a", "globbed"), ("e?il a", "globbed"),
    ("[e]vil a", "globbed"), ("{evil,x} a", "braced"), ("{a..c} a", "braced"), ('"$x" a', "expands"),
    ('$"x" a', "expands"), ("~/bin/x a", "tilde"),
])
def test_a_command_name_only_known_at_run_time(command, flag):
    head = top(command)[0].words[0]
    assert getattr(head, flag)
    assert top(command)[0].uncertain


@pytest.mark.parametrize("command", [
    "echo $HOME", 'echo "$HOME/x"', "echo ${HOME:-/tmp}", "echo ${HOME#/}", "echo ${#x} ${x[0]} ${@}", "echo {a,b}",
    "ls *.py", "echo ~ ~/x", "echo a=~", "echo $'\\n'",
])
def test_expansions_in_arguments_are_certain(command):
    assert not uncertain(command)


@pytest.mark.parametrize("command", [
    "echo $((1+2))", "echo $[1+2]", "((x))", "let x=1", "echo ${!x}", "echo ${x@P}", "echo ${x:1}", "echo ${a[i]}",
    "a[$i]=1", "[[ $x -eq 0 ]]", "test -v 'a[$(evil)]'", "[ -v \"$x\" ]", "read 'a[$(evil)]'",
    "printf -v 'a[$(evil)]' x", "unset 'a[$(evil)]'", "declare 'a[$(evil)]=1'", "mapfile -C evil -c 1 x",
    "declare -a a=\"($x)\"", "jobs -x evil", "compgen -C evil x", "safe >&'$(evil)'", "safe >&$x",
])
def test_arithmetic_and_names_that_evaluate_substitutions_are_uncertain(command):
    assert uncertain(command)


# ---- builtins and variables that change what runs ---------------------------------------------------

@pytest.mark.parametrize("command", [
    "eval evil", "eval 'safe; evil'", "source ./x", ". ./x", "alias safe=evil\nsafe", "shopt -s expand_aliases",
    "enable -n echo; echo", "hash -p /tmp/evil safe; safe", "trap evil EXIT", "trap -- 'evil' ERR; safe",
    "exec evil", "exec -a x evil", "declare -f f", "export -f f", "declare -n r=x", "typeset -i x; x=y",
    "set -o posix", "set -k", "set +o interactive-comments", "PATH=/tmp; safe", "PATH=/tmp safe", "IFS=x; $y",
    "BASH_ENV=x bash -c safe", "export PATH=/x", "read PATH", "printf -v PATH x", "for PATH in /x; do safe; done",
    "safe ${PATH:=/x}", "BASH_CMDS[safe]=/tmp/evil; safe", "env 'BASH_FUNC_x%%=() { evil; }' bash -c x",
    "env -S 'evil x'", "sudo -s evil", "PS4='$(evil)'; set -x; safe", "bash -c \"$x\"", "sh", "echo evil | bash",
    "bash <<<evil", "xargs -I{} sh -c {}", "find . -exec {} \\;", "nice -n $x safe", "timeout --bogus 1 safe",
    "{PATH}>/dev/null safe", "x=1 eval y", "command eval evil", "builtin source x", "exec 3<evil; /dev/fd/3",
    "/proc/self/fd/3 x", "/dev/stdin < evil",
])
def test_commands_that_change_what_runs_are_uncertain(command):
    assert uncertain(command)


@pytest.mark.parametrize("command", [
    "exec >/dev/null 2>&1", "exec 3<&-", "IFS= read -r line", "set -euo pipefail; safe", "set -x; safe",
    "set -- a b", "export FOO=bar", "local x=1", "declare -a a=(1 2)", "trap -p", "NODE_ENV=test safe",
    "command -v safe", "bash script.sh", "sh -c 'safe x'", "timeout 5 safe", "nice -n 5 safe", "env FOO=1 safe",
    "xargs safe", "find . -name x -exec safe {} \\;", "read -r a b", "printf -v x '%s' y", "unset x",
])
def test_ordinary_uses_of_those_commands_are_certain(command):
    assert not uncertain(command), [p.uncertain for p in split_command(command)]


@pytest.mark.parametrize("command,inner", [
    ("sh -c 'safe; evil'", {"safe", "evil"}),
    ("bash -ec 'evil'", {"evil"}),
    ("eval 'safe; evil'", {"safe", "evil"}),
    ("trap 'evil' EXIT", {"evil"}),
    ("find . -exec evil {} \\;", {"evil"}),
    ("find . -exec sh -c 'evil' \\;", {"evil"}),
    ("xargs -0 evil", {"evil"}),
    ("watch 'evil -x'", {"evil"}),
    ("flock /tmp/l -c 'evil'", {"evil"}),
    ("timeout --signal KILL 5 evil", {"evil"}),
    ("timeout --sig=KILL -k 1 5 evil", {"evil"}),
    ("sudo -u root -- evil", {"evil"}),
    ("env -u X -C /tmp FOO=1 evil", {"evil"}),
    ("command -p evil", {"evil"}),
    ("exec -a name evil", {"evil"}),
    ("sh evil -x", {"evil"}),  # sh looks the script up in PATH
    ("bash <<'EOF'\nevil\nEOF", {"evil"}),
])
def test_code_strings_and_wrapped_commands_are_seen(command, inner):
    assert inner <= names(command)


def test_wrappers_are_stripped_for_allow_only_where_certain():
    def allow_head(command):
        return " ".join(w.raw for w in shell.strip_wrappers(top(command)[0].words))
    assert allow_head("timeout 10 nice -n 5 npm test") == "npm test"
    assert allow_head("timeout $x npm test") == "timeout $x npm test"
    assert allow_head("stdbuf -o $x npm test") == "stdbuf -o $x npm test"
    assert allow_head("xargs -n1 npm test") == "xargs -n1 npm test"


def test_a_directory_change_makes_later_relative_redirections_uncertain():
    parts = top("cd /etc && echo x > passwd")
    assert parts[1].uncertain
    assert not uncertain("cd /tmp && echo x > /tmp/a")


# ---- redirections -----------------------------------------------------------------------------------

@pytest.mark.parametrize("command,expected", [
    ("safe 2>&1", [(">&", None, "2", "1")]),
    ("safe >&-", [(">&", None, "", "-")]),
    ("safe 2>&1-", [(">&", None, "2", "1-")]),
    ("safe 3<>f", [("<>", "f", "3", "f")]),
    ("safe &>f &>>g >|h", [("&>", "f", "", "f"), ("&>>", "g", "", "g"), (">|", "h", "", "h")]),
    ("safe {fd}>f", [(">", "f", "{fd}", "f")]),
    ("safe >'a b'", [(">", "a b", "", "'a b'")]),
    ("safe a2>x", [(">", "x", "", "x")]),  # a digit inside a word is no fd
    ("safe 2 >x", [(">", "x", "", "x")]),
    ("safe >&file", [(">&", "file", "", "file")]),
    ("<in safe", [("<", "in", "", "in")]),
])
def test_redirections(command, expected):
    part = top(command)[0]
    got = [(r.op, r.target.value if r.target else None, r.fd, r.written) for r in part.redirects]
    assert got == expected
    assert not part.uncertain


def test_a_redirection_without_a_target_is_uncertain():
    assert uncertain("safe >") and uncertain("safe > ;") and uncertain("safe <#x")


def test_redirection_targets_that_expand_say_so():
    target = top("safe > $f")[0].redirects[0].target
    assert target.expands and top("safe > *.txt")[0].redirects[0].target.globbed


# ---- limits -----------------------------------------------------------------------------------------

def test_a_command_longer_than_the_limit_is_one_uncertain_part():
    parts = split_command("x" * (MAX_COMMAND_CHARS + 1))
    assert len(parts) == 1 and parts[0].words == [] and "longer than" in parts[0].uncertain


def test_deep_nesting_is_uncertain_not_a_crash():
    for command in ["echo " + "$(" * 200 + "x" + ")" * 200, "echo " + "`" * 301, "echo " + "${x:-" * 300 + "}" * 300,
                    "(" * 5000 + "x" + ")" * 5000, "bash -c " + "'bash -c " * 50 + "x" + "'" * 50]:
        assert uncertain(command) or len(split_command(command)) > 0


@pytest.mark.slow  # megabyte inputs
@pytest.mark.parametrize("command", [
    "ls a; " * 166_666,
    "echo " + "ab " * 333_331,
    "a\n" * 500_000,
    "cat <<EOF\n" + "line of text $x\n" * 62_499 + "EOF\n",
    "echo '" + "x" * 999_990 + "'",
    "echo " + "$(a) " * 199_990,
])
def test_a_megabyte_command_splits_in_linear_time(command):
    assert len(command) <= MAX_COMMAND_CHARS
    start = time.process_time()
    split_command(command)
    assert time.process_time() - start < 2.0


# ---- properties -------------------------------------------------------------------------------------

WORD_TEXT = st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=examples(300), deadline=None)
@given(words=st.lists(WORD_TEXT, max_size=5))
def test_shlex_quoted_arguments_are_one_certain_command(words):
    parts = split_command("safe " + " ".join(shlex.quote(w) for w in words))
    assert len(parts) == 1 and parts[0].uncertain is None
    assert [w.value for w in parts[0].words] == ["safe", *words]


@settings(max_examples=examples(300), deadline=None)
@given(first=st.lists(WORD_TEXT, max_size=3), second=st.lists(WORD_TEXT, max_size=3),
       separator=st.sampled_from([";", "&&", "||", "|", "|&", "&", "\n", " ;\n\n", "&\n"]))
def test_every_separator_separates(first, second, separator):
    command = " ".join(["safe", *map(shlex.quote, first)]) + separator + " ".join(["evil", *map(shlex.quote, second)])
    parts = split_command(command)
    assert [[w.value for w in p.words] for p in parts] == [["safe", *first], ["evil", *second]]
    assert not any(p.uncertain for p in parts)


@settings(max_examples=examples(300), deadline=None)
@given(text=st.text(st.characters(min_codepoint=1, max_codepoint=127), max_size=20))
def test_ansi_c_escapes_decode_exactly(text):
    encoded = "".join(f"\\x{ord(c):02x}" if i % 2 else f"\\{ord(c):03o}" for i, c in enumerate(text))
    parts = split_command(f"safe $'{encoded}'")
    assert parts[0].words[1].value == text and not parts[0].uncertain


@settings(max_examples=examples(200), deadline=None)
@given(comment=st.text(st.characters(blacklist_characters="\n\0", blacklist_categories=("Cs",)), max_size=30))
def test_a_comment_never_hides_the_next_line(comment):
    assert plains(f"safe #{comment}\nevil") == ["safe", "evil"]


@settings(max_examples=examples(200), deadline=None)
@given(lines=st.lists(st.text(st.characters(blacklist_characters="\n\0", blacklist_categories=("Cs",)), max_size=15),
                      max_size=4))
def test_a_quoted_here_document_body_is_skipped_whatever_it_holds(lines):
    assume("EOF" not in lines)
    body = "".join(line + "\n" for line in lines)
    parts = split_command(f"cat <<'EOF'\n{body}EOF\nevil")
    assert [p.plain for p in parts] == ["cat", "evil"] and not any(p.uncertain for p in parts)
    assert parts[0].redirects[0].body == body


SOUP = st.lists(st.sampled_from([
    "safe", "evil", "other", "x", "'", '"', "`", "$(", ")", "(", "{", "}", ";", "&&", "||", "|", "&", "\n", "\r\n",
    "\\", "\\\n", "#", "# it's", "<<EOF", "<<'EOF'", "EOF", "\tEOF", "<<-EOF", "<<<", ">", "2>&1", ">&-", "$x", "${x",
    "${x:-", "}", "$'", "\\x65", "=", "x=", "PATH=", "if", "then", "fi", "do", "done", "case", "in", "esac", ";;",
    "[[", "]]", "((", "))", "function", "eval", "alias", "trap", "exec", "sh -c", "bash", "*", "?", "~", "{a,b}",
    "\u00a0", " ", "\t", "$((", "<(", ">(", "!", "time", "coproc", "$'\\x65vil'", "e\\vil", "ev''il",
]), max_size=12)


@needs_bash
@settings(max_examples=examples(150), deadline=None)
@given(pieces=SOUP)
def test_soup_every_command_bash_runs_is_a_certain_part_or_the_split_is_uncertain(pieces, tmp_path_factory):
    command = "".join(p if p in ("\n", "\r\n", " ", "\t") else " " + p for p in pieces)
    _check_against_bash(command, _sandbox(tmp_path_factory))


# ---- real bash --------------------------------------------------------------------------------------

TRICKY = [
    "safe # let's see\nevil\n# that's it", 'safe ok\\\\\nevil', 'safe ok\\\r\nevil', 'safe x\\\nevil',
    "safe <<EOF\nit's\nEOF\nevil", 'safe <<\'EOF\'\n"\nEOF\nevil', 'safe <<EOF\nx\\\nEOF\nEOF\nevil',
    'safe <<-EOF\n\tx\n\tEOF\nevil', 'safe <<EOF\nx\n\tEOF\nevil', 'safe <<A <<B\na\nA\nb\nB\nevil',
    'safe <<EOF\n$(evil)\nEOF', 'safe <<EOF\n\\$(evil)\nEOF', "safe <<'EOF'\n$(evil)\nEOF",
    "safe <<E'O'F\n`evil`\nEOF", 'safe <<EOF && evil\nx\nEOF', 'safe <<EOF\r\nx\r\nEOF\r\nevil',
    'safe <<EOF; safe $(echo\nx\nEOF\n)\nevil', "safe <<< 'a;b' && evil", 'safe $(safe <<EOF\n)\nEOF\n)\nevil',
    "safe $'\\x65vil'; $'\\x65vil'", "$'\\145vil'", 'e\\vil', "ev''il", '"ev"il', 'e$@vil', 'ev$()il',
    "safe 'a' ; evil", 'safe "a\\" && evil"', 'safe "a\\\\" && evil', "safe 'x\\'\nevil", "safe $'a\\'b' && evil",
    'safe $"a" && evil', 'safe a#b; evil', 'safe a;#b; evil', 'safe #c \\\nevil', 'safe \\\n# c\nevil',
    'safe &\\\n& evil', 'safe $\\\n(evil)', 'i\\\nf safe; then evil; fi', 'if safe; then evil; fi',
    'while false; do evil; done; safe', 'for i in 1; do evil; done', 'case x in x) evil;; esac',
    'case x in (x|y) safe;& z) evil;; esac', 'case x in x) safe;;& *) evil;; esac',
    'echo $(case x in x) evil;; esac)', '{ safe; } && evil', '(safe) && (evil)', 'if true; then { safe; } fi; evil',
    'time evil', 'time -p evil', '! evil', '! time safe; evil', 'time { evil; }', '[[ a < b ]] && evil',
    '[[ x == @(x|y) ]] && evil', '[[ ab =~ ^(a|b)b$ ]] && evil', '((1)) && evil', 'safe() { evil; }; safe',
    'function safe { evil; }\nsafe', 'safe () ( evil ); safe', 'f() { "$@"; }; f evil', 'coproc evil',
    'coproc x { evil; }', 'x=evil; $x', '${x:-evil}', '${x=evil}; $x', '{evil,x}', 'ev*', 'e?il', '[e]vil',
    'x=(evil); ${x[@]}', 'declare -n y=x; x=evil; $y', "x='$(evil)'; safe ${x@P}", "x='a[$(evil)]'; safe $((x))",
    "x='a[$(evil)]'; [[ $x -eq 0 ]]", "test -v 'a[$(evil)]'", '[[ -v a[$(evil)] ]]', "read 'a[$(evil)]' <<< 1",
    "printf -v 'a[$(evil)]' x", "x='a[$(evil)]'; safe ${!x}", "x='a[$(evil)]'; declare -i y; y=x",
    'mapfile -C evil -c 1 x <<< a', 'jobs -x evil', 'compgen -C evil x', 'x="[\\$(evil)]=1"; declare -a a="($x)"',
    "i='b[$(evil)]'; a[$i]=1", "declare 'a[$(evil)]=1'", 'safe ${x-<(evil)}', 'safe a<(evil)', 'safe x>(evil)',
    'safe 2>(evil)', "safe >&'$(evil)'", "x='$(evil)'; safe >&$x", 'safe 0<&-evil', 'safe >& -evil',
    'safe >&-"evil"', 'safe 2>&-- evil', 'a=(<(evil))', 'case <(evil) in *) ;; esac', 'eval evil',
    "eval 'safe; evil'", 'x=evil; eval $x', 'command eval evil', 'builtin eval evil', '\\eval evil',
    'trap evil EXIT', "trap 'evil' EXIT; safe", 'exec evil', 'exec -a safe evil', 'command -p evil',
    'command -- evil', 'shopt -s expand_aliases\nalias safe=evil\nsafe',
    'shopt -s expand_aliases; alias safe=evil\nsafe', 'safe; trap evil 0', "PS4='$(evil)'; set -x; safe",
    'set -- evil; "$@"', 'IFS=,; x=safe,evil; $x', 'x=e; ${x}vil', 'safe ${x:=evil}; $x', 'read x <<< evil; $x',
    'printf -v x evil; $x', 'x=evil safe; $x', 'for x in evil; do $x; done',
    'select x in evil; do $x; break; done <<< 1', 'safe\xa0; evil', 'safe\u2028evil', "safe 'a\nb' && evil",
    'safe "$(echo ")")"; evil', 'safe `echo \\`evil\\``', 'safe ${ evil; }', 'safe ${x:- #b}',
    'safe ${x:-a;b}; evil', 'safe "${x:-"}"}"; evil', 'safe ${x:-{a}b}c; evil', 'x=1 safe; evil', 'safe && && evil',
    'safe ;; evil', 'safe (evil)', 'safe \\$(evil)', 'enable -n echo; echo evil', 'safe <<EOF\n${x:-$(evil)}\nEOF',
    'safe <<EOF\n$((a[$(evil)]))\nEOF', 'safe <<-EOF\n\t$(evil)\n\tEOF', 'safe <<EOF\n$\\\n(evil)\nEOF',
    'safe <<EOF\n`evil`\nEOF', 'safe <<EOF | evil\nx\nEOF', 'safe $(: <<EOF\n)\nEOF\nevil)',
    'safe "$(cat <<\'EOF\'\n)\nEOF\n)"; evil', 'safe <<EOF; evil\nx\nEOF', 'safe <<EOF\nx\nEOF; evil',
    'safe ${x#$(evil)}', 'safe ${x//a/$(evil)}', 'safe "${x:-$(evil)}"', 'safe ${x:-"$(evil)"}',
    "safe ${x:-'$(evil)'}", 'safe "${x:-\'$(evil)\'}"', 'safe $[ $(evil) ]', '[[ $(evil) ]]', 'if evil; then :; fi',
    'while evil; do break; done', 'case $(evil) in esac', 'f() (evil); f', 'evil &', '(evil)', '$(evil)', '`evil`',
    '"$(echo evil)"', "safe '\\'';evil'", 'safe "\\";evil"', 'safe;evil', 'safe\nevil', 'e\\\nvil', '"e\\\nvil"',
    'safe "$(evil)"', 'x=1 evil', 'safe >$(evil)', 'safe 2>$(evil)', 'safe < <(evil)', 'safe <<< $(evil)',
    'safe <<< "$(evil)"', "safe <<< '$(evil)'; other", '{ safe; evil; }', '{ safe; } && { evil; }',
    'safe || { evil; }', '(safe; evil) | other', 'safe |& evil', 'safe && ! evil', 'command evil', 'builtin evil',
    'nohup evil', '\\command evil', "'command' evil", "e'v'il", 'e"v"il', 'ev\\il', "$'ev\\151l'", '$"evil"',
    '${x:-e}vil', 'safe ${x:=$(evil)}', 'a=$(evil) safe', 'a=`evil`', 'a[$(evil)]=1', 'declare -A a; a[$(evil)]=1',
    'safe [$(evil)]', 'safe $((1))$(evil)', 'safe x$(evil)y', 'safe ~$(evil)', 'echo $(( $(evil) + 1 ))',
    'for ((i=$(evil); i<0; i++)); do :; done', '((x = $(evil)))', 'safe ${|evil;}', 'safe <(evil) >(other)',
    'cat <<A <<B\n$(evil)\nA\n$(other)\nB', "safe <<'A' <<B\n$(evil)\nA\n$(other)\nB", 'safe #; evil',
    'safe #\nevil', 'safe ;# x\nevil', 'safe \\#; evil', 'safe "#"; evil', "safe '#'; evil", 'safe x#; evil',
    'safe $#; evil', 'safe ${#x}; evil', 'safe ${x#y}; evil', 'safe a\\\n#b; evil', 'safe \\\n#b\nevil',
    'safe &>/dev/null; evil', 'safe >&/dev/null; evil', 'safe 2>&1 | evil', 'safe <&0 ; evil', 'safe >& 2 evil',
    'safe >&2 evil', 'safe 2<>x evil', 'safe <<<x evil', 'safe 1>&-evil', 'safe {a}>&-evil', 'safe >|evil; evil',
    'safe $((1<<2))\nevil', "echo '<<EOF'\nevil", 'safe "<<EOF"\nevil', 'safe <<EOF\n\\\\\nEOF\nevil',
    "x=$'\\x65vil'; $x", 'x=e; "${x}vil"', 'safe $(evil) &', 'safe `echo \\`echo evil\\``', "safe $'\\x27'; evil",
    "safe $'\\''; evil", "safe $'\\\\'; evil", "safe $'\\\\''; evil'", 'safe "$\'"; evil', 'safe "$"; evil',
    'safe $; evil', 'safe $ ; evil', "safe '$(evil)'", 'safe "\\$(evil)"', 'safe "\\`evil\\`"',
    'safe ${x:-\\}}; evil', 'safe ${x:-\\$(evil)}', 'safe ${x-`evil`}', 'safe "${x-`evil`}"',
    'safe ${x:-${y:-$(evil)}}', 'safe "${x:-"$(evil)"}"', 'safe $(( "1" + 1 )); evil', "safe $(( '1' )); evil",
    'safe $((1)) ; evil', 'safe $((1)\n) ; evil', 'safe $( (evil) )', 'safe $((evil) )', 'safe $( (evil); (other))',
    'safe <<EOF\n$(cat <<INNER\nx\nINNER\n)\nEOF\nevil', 'safe <<EOF\nx\nEOF\n$(evil)', 'f=evil; $f',
    'safe \'a\' "b" $\'c\' $"d" e; evil', 'safe \xa0; evil', 'safe\xa0;evil', 'safe\u3000&&evil', 'safe \u2028evil',
    'safe\revil', 'safe\r;evil', 'safe\r\nevil', 'safe\\\r\nevil', 'safe x\\\r\nevil',
]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    return _sandbox(tmp_path_factory)


def _sandbox(factory):
    base = factory.getbasetemp() / "shell-split-stubs"
    if not (base / "bin").exists():
        (base / "bin").mkdir(parents=True)
        (base / "work").mkdir()
        for name in STUBS:
            stub = base / "bin" / name
            stub.write_text(f'#!/bin/sh\necho {name} >> "$STUB_LOG"\n', encoding="utf-8")
            stub.chmod(0o755)
    return base


def _ran(command: str, sandbox, mode: str = "bash") -> list[str]:
    log = sandbox / "log"
    if log.exists():
        log.unlink()
    env = {"PATH": str(sandbox / "bin"), "HOME": str(sandbox / "work"), "STUB_LOG": str(log), "LC_ALL": "C"}
    if mode == "claude":  # how Claude Code's Bash tool hands the command to its shell
        command = f"shopt -u extglob 2>/dev/null || true && eval {shlex.quote(command)} \\< /dev/null"
    try:
        subprocess.run([BASH, "--noprofile", "--norc", "-c", command], cwd=sandbox / "work", env=env,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
    except subprocess.TimeoutExpired:
        pass
    return log.read_text(encoding="utf-8").split() if log.exists() else []


def _check_against_bash(command: str, sandbox, mode: str = "bash") -> None:
    parts = split_command(command)
    if any(p.uncertain for p in parts):
        return
    ran = set(_ran(command, sandbox, mode))
    assert ran <= names(command), (command, mode, ran, [(p.describe(), p.nested) for p in parts])


@needs_bash
@pytest.mark.parametrize("mode", ["bash", "claude"])
@pytest.mark.parametrize("command", TRICKY)
def test_every_command_bash_runs_is_a_part_or_the_split_is_uncertain(command, mode, sandbox):
    _check_against_bash(command, sandbox, mode)


@needs_bash
@pytest.mark.parametrize("mode", ["bash", "claude"])
def test_the_stubs_see_what_bash_runs(sandbox, mode):
    """The check above proves nothing if the stubs cannot see evil run."""
    assert sorted(_ran("safe; evil | other", sandbox, mode)) == ["evil", "other", "safe"]
    assert _ran("safe # ; evil", sandbox, mode) == ["safe"]
    assert "evil" in _ran("x=evil; $x", sandbox, mode)
