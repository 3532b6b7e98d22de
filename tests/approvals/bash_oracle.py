"""Real bash as the oracle for nerv's Bash decisions: generator, stub sandbox, bash runner, nerv decider.

A command nerv allows is run by `bash --noprofile --norc -c CMD` in a throw-away directory whose PATH holds
only logging stubs (`safe`, `evil`, and pass-through wrappers such as `env`, `xargs`, `sh` that log and
then exec the real program). If the `evil` stub ran, nerv allowed a command a `Bash(evil *)` deny rule
should have stopped: a false allow. Imported by tests/approvals/test_bash_differential.py and
tests/bench/bash_differential.py; nothing here keeps global state (the generator takes a seed).

Commands are generated with the placeholder STUB ("@STUB@") for the stub directory; each sandbox slot
substitutes its own absolute path (all slot paths have the same length), and nerv decides on exactly the
text bash then runs.
"""

from __future__ import annotations

import json
import os
import queue
import random
import select
import shlex
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

STUB = "@STUB@"
RULE_SETS: dict[str, tuple[tuple[str, str], ...]] = {
    "prefix": (("Bash(safe *)", "allow"), ("Bash(evil *)", "deny")),
    "bare": (("Bash", "allow"), ("Bash(evil *)", "deny")),
}
# External programs that run other programs: the stub logs, then execs the real one (PATH stays the stubs),
# so `env evil`, `xargs evil`, `sh -c evil`, `find . -exec evil \;` really run the evil stub.
# Extra arguments keep everything in the run's session (timeout --foreground: no new process group;
# setsid --wait: the wrapper waits for its child).
WRAPPED = {"env": (), "xargs": (), "timeout": ("--foreground",), "nice": (), "nohup": (), "stdbuf": (),
           "find": (), "sh": (), "bash": (), "setsid": ("--wait",), "flock": ()}
RUN_TIMEOUT_S = 2.0
MAX_STUB_CALLS = 100  # a stub called more often in one run kills the run (loops such as `while safe`)
MAX_FILE_BYTES = 4 << 20
FAIL_TRIGGERS = ("||", "!", "if", "while", "until", "else")  # worth a second run with failing stubs


# ---- generator ------------------------------------------------------------------------------------

EVIL = ["evil", "'evil'", '"evil"', 'e"v"il', "\\evil", "$'evil'", "$'\\x65vil'", '$"evil"', "e\\vil", "ev''il",
        "e'v'il", 'ev""il', f"{STUB}/evil", "./evil", "e?il", "[e]vil", "ev*", "{evil,}", "${x:-evil}",
        "$'\\145vil'", "e${x}vil", "ev$()il", "\\e\\v\\i\\l", "e\\\nvil", '"e\\\nvil"', "$(echo evil)",
        "`echo evil`", "${x-evil}", "${x:=evil}", "e$@vil", "$'e'vil", "ev\\il"]
EVIL_PLAIN = ["evil", "'evil'", '"evil"', "e\\vil", "\\evil", "ev''il"]  # spelled so a deny rule can see it
SAFE_ARGS = ["x", "-n", "a#b", "'it'\"'\"'s'", "--", "-c", "1", "'a b'", '"a b"', "x=y", "-", "a\\ b", "%", ":",
             "','", "'x;y'", '"x;y"', "a\\;b", "'#'", "x#", "'|'", '"&&"', "\\|", "--flag=1", "'evil'", "evil",
             "-e", "'$(evil)'", "\\$x", "'\\'", '"\\""', "{}", "''", '""']
SEPARATORS = [";", "&&", "||", "|", "|&", "&", "\n", "\r\n", "\n\n", "&&\n", "||\n", "|\n", ";\n", "&\n", " & ",
              " ; ", "\\\\\n", " \\\\\n", "\t;\t"]
NEWLINES = ["\n", "\r\n", "\r", "\\\n", "\\\\\n", "\\\r\n", "\n\r"]
UNICODE = ["\u00a0", "\u2028", "\u2029", "\u3000", "\u200b", "\u0085", "\ufeff", "\u2003", "\u180e", "\u202f"]
CONTROL = ["\x01", "\x0b", "\x0c", "\x1b", "\x7f", "\x08", "\x1c", "\x1f"]
COMMENTS = ["#", "# let's", '#"', "#'", "#`", "# $(", "#\\", "# EOF", "#(", "# {", "#;", "#&&"]
HEREDOC_OPENERS = [("<<EOF", "EOF"), ("<<-EOF", "\tEOF"), ("<<-EOF", "EOF"), ("<<'EOF'", "EOF"), ('<<"EOF"', "EOF"),
                   ('<<E"O"F', "EOF"), ("<<\\EOF", "EOF"), ("<< EOF", "EOF"), ("<<-'EOF'", "\t\tEOF"),
                   ("<<'E O'", "E O"), ("<<EOF", "EOF "), ("<<EOF", " EOF"), ("<<EOF", "\tEOF"), ("<<''", ""),
                   ("<<$x", "$x"), ("<<EOF", "EOF\r"), ("<<E\\OF", "EOF"), ("<<'EOF'", "'EOF'"), ("<<EOF", "EO\\\nF"),
                   ("<<-EOF", "  EOF"), ("<<EOF\r", "EOF\r"), ("<<E'OF'", "EOF"), ("<<EOF;", "EOF"), ("<<EOF)", "EOF")]
HEREDOC_BODIES = ["x", "it's", '"', "'", "$(evil)", "`evil`", "${x:-$(evil)}", "EOF x", " EOF", "\\", "$((1+1))",
                  "\\$(evil)", "evil", "a\\", "EOFX", "$(\nevil\n)", "'$(evil)'", "\"$(evil)\"", "${x:-`evil`}",
                  "<<EOF", ")", "$(", "`"]
REDIRECTS = [">out", "2>&1", ">/dev/null", "&>f", ">|f", "<in", ">>out", "2>/dev/null", "1>&2", "3>&1", "<>f",
             ">&2", "< /dev/null", "&>>f", "0<&-"]
EXPANSIONS = ["$x", "${x}", "$(evil)", "`evil`", "$((1+1))", "<(evil)", ">(evil)", "${x:-evil}", "~", "*", "?",
              "[a]", "{evil,safe}", "{a..c}", "$IFS", "${IFS}", "$@", "$0", "$$", "${#x}", "$((x))", "${x[0]}",
              "${!x}", "${x@P}", "$(safe)", "`safe`", "<(safe)", "$'\\n'", "${x/a/b}"]
ASSIGNMENTS = ["x=evil", f"PATH={STUB}", "IFS=x", "NODE_ENV=test", "x=", "IFS=v", "x='$(evil)'", "x=$(evil)",
               f"BASH_ENV={STUB}/evil", "x=`evil`", "a[$(evil)]=1", "x=svil", "IFS=,", "x=ev"]
KEYWORDS = ["if", "then", "else", "elif", "fi", "while", "until", "do", "done", "for", "in", "case", "esac",
            "function", "time", "coproc", "[[", "]]", "((", "))", "select", "!", "{", "}", "x)", ";;"]
BUILTINS = ["eval", "source", ".", "exec", "command", "builtin", "trap", "alias", "shopt -s expand_aliases",
            "enable", "hash", "env", "xargs", "timeout 1", "nice", "nohup", "sh -c", "bash -c", "find . -exec",
            "\\;", "{}", "cd ..", "cd", "set --", "export", "declare", "unset", "read", "printf -v x", "let", "type",
            "hash -p", "exec -a", "command -v", "set -e", "mapfile", "local", "wait", "return", "break",
            "caller", "kill", "exit", "pushd .", "fc", "unalias"]
FUNCTION_DEFS = ["safe() { evil; }", "f(){ evil; }", "function safe { evil; }", "safe()", "f()", "safe () (evil)",
                 "function f() { evil; }"]
OPERATORS = [";", "&&", "||", "|", "|&", "&", ";;", "(", ")", "{", "}", "!", ";&", ";;&", "&>", ">&", "<<<"]
QUOTES = ["'", '"', "`", "'x", "x'", '"x', 'x"', "$'", '$"', "\\'", '\\"', "'\\'", "''", '""']
BACKSLASHES = ["\\", "\\\\", "\\ ", "\\\\\\", "\\\t"]

SOUP_CLASSES: list[tuple[list[str], int]] = [
    (["safe"], 14), (EVIL, 8), (SAFE_ARGS, 10), (QUOTES, 6), (BACKSLASHES, 3), (COMMENTS, 4), (OPERATORS, 10),
    (NEWLINES, 6), ([o for o, _ in HEREDOC_OPENERS] + ["EOF", "\tEOF", "<<<", "<<< evil", "<<EOF"], 4),
    (REDIRECTS, 4), (EXPANSIONS, 6), (ASSIGNMENTS, 4), (KEYWORDS, 6), (BUILTINS, 6), (FUNCTION_DEFS, 2),
    (UNICODE, 2), (CONTROL, 1),
]


def _pick(rng: random.Random, items):
    return items[rng.randrange(len(items))]


def _safe(rng: random.Random) -> str:
    words = ["safe"] + [_pick(rng, SAFE_ARGS) for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))]
    return " ".join(words)


def _evil(rng: random.Random, plain: bool = False) -> str:
    name = _pick(rng, EVIL_PLAIN if plain else EVIL)
    return name + ("" if rng.random() < 0.6 else " " + _pick(rng, SAFE_ARGS))


def _sep(rng: random.Random) -> str:
    sep = _pick(rng, SEPARATORS)
    return sep if sep[0] in " \t\\\n\r" or rng.random() < 0.3 else f" {sep} " if rng.random() < 0.6 else sep + " "


def _heredoc(rng: random.Random) -> str:
    opener, terminator = _pick(rng, HEREDOC_OPENERS)
    lines = [_pick(rng, HEREDOC_BODIES) if rng.random() < 0.7 else _evil(rng)
             for _ in range(rng.choice((0, 1, 1, 2, 3)))]
    if rng.random() < 0.85:
        lines.append(terminator)
    head = f"{_safe(rng)} {opener}"
    roll = rng.random()
    if roll < 0.15:
        head += _sep(rng).rstrip("\n") + _evil(rng)  # the rest of the here-doc's line runs first
    elif roll < 0.25:
        head += " " + _pick(rng, COMMENTS)
    elif roll < 0.35:
        second, term2 = _pick(rng, HEREDOC_OPENERS)
        head += f" {second}"
        lines += [_pick(rng, HEREDOC_BODIES), term2]
    newline = "\r\n" if rng.random() < 0.15 else "\n"
    if rng.random() < 0.08:
        return _pick(rng, ["safe $(safe <<EOF\n)\nEOF\n)\n", 'safe "$(safe <<\'EOF\'\n)\'\nEOF\n)"\n',
                           "safe `safe <<EOF\n\\`\nEOF\n`\n", "(safe <<EOF\n)\nEOF\n)\n",
                           "{ safe <<EOF\n}\nEOF\n}\n"]) + _evil(rng)
    # Mostly a command after the here-doc; sometimes only `safe` or nothing, so the evil text sits in bodies
    # alone: allowed when nerv reads the body's end as bash does, a false allow when it ends later than bash's.
    roll = rng.random()
    tail = _evil(rng) if roll < 0.6 else _safe(rng) if roll < 0.85 else ""
    return newline.join([head] + lines) + _pick(rng, ["\n", "\n", "\r\n", ";", "\n\n"]) + tail


def _t_sep(rng):
    return _safe(rng) + _sep(rng) + _evil(rng)


def _t_sep_plain(rng):
    return _safe(rng) + _sep(rng) + _evil(rng, plain=True)


def _t_comment(rng):
    return f"{_safe(rng)} {_pick(rng, COMMENTS)}{_pick(rng, ['', ' x', ' it' + chr(39) + 's'])}" \
           f"{_pick(rng, NEWLINES)}{_evil(rng)}"


def _t_glued_hash(rng):
    glue = _pick(rng, ["", "\\\\", "''", "$"])
    return f"safe x{glue}#{_sep(rng)}{_evil(rng)}"


def _t_continuation(rng):
    return f"{_safe(rng)}{_pick(rng, ['', ' ', ' x'])}{_pick(rng, BACKSLASHES)}{_pick(rng, NEWLINES)}{_evil(rng)}"


def _t_comment_continuation(rng):
    tail = _pick(rng, ["\\", "\\\\", "'", "`"])
    return f"{_safe(rng)} # x{tail}{_pick(rng, NEWLINES)}{_evil(rng)}"


def _t_quote_trick(rng):
    tricks = ["'x\\'", '"x\\""', "$'x\\''", "\\'", '\\"', "'it'\"'\"'s'", "\"x'\"", "'x\"'", "$\"x\"", "x\\#y",
              "'x\n'", '"$(\')"', "\"'\"'\"'", "$'\\''", "\"\\\\\"", "'\\\\'", "`echo '`'", "\"${x:-'}\"",
              "\"${x:-\\\"}\"", "${x:-'}'}", "\"$(echo \")\")\""]
    return f"safe {_pick(rng, tricks)}{_sep(rng)}{_evil(rng)}"


def _t_unicode(rng):
    char = _pick(rng, UNICODE + CONTROL)
    shape = rng.randrange(5)
    if shape == 0:
        return f"safe{char}{_sep(rng)}{_evil(rng)}"
    if shape == 1:
        return f"safe{char}evil"
    if shape == 2:
        return f"safe x{char};{char}evil"
    if shape == 3:
        return f"safe {char} x{_sep(rng)}{_evil(rng)}"
    return f"{char}safe{char}{_sep(rng)}{char}{_evil(rng)}"


def _t_alias(rng):
    enable = _pick(rng, ["shopt -s expand_aliases", "shopt -s expand_aliases;", "set -o posix"])
    alias = _pick(rng, ["alias safe=evil", "alias safe='evil'", 'alias safe="evil "', "alias x=evil",
                        "alias -- safe=evil"])
    use = "x" if "alias x" in alias else _safe(rng)
    return enable + _pick(rng, ["\n", "; "]) + alias + _pick(rng, ["\n", "; ", "\n\n"]) + use


def _t_trap(rng):
    return _pick(rng, [f"trap {_evil(rng, True)} EXIT", f"trap 'evil' EXIT; {_safe(rng)}", "trap evil DEBUG; safe",
                       f"trap -- evil ERR; {_safe(rng)}", f"{_safe(rng)}; trap evil 0", "trap 'e''vil' EXIT",
                       "trap \"$(echo evil)\" EXIT", "trap evil RETURN; safe", "safe & trap evil EXIT"])


def _t_function(rng):
    return _pick(rng, ["safe() { evil; }; safe", "function safe { evil; }\nsafe", "f(){ evil; }; f",
                       "safe() ( evil ); safe", "safe () { evil; }\nsafe x", "safe() { evil; }\n" + _safe(rng),
                       "function safe() { command evil; }; safe", "safe()\n{\nevil\n}\nsafe",
                       "safe() { \"$@\"; }; safe evil", "f() { evil; }; trap f EXIT"])


def _t_indirect(rng):
    return _pick(rng, ["x=evil; $x", "x=ev; ${x}il", f"{_safe(rng)}; ${{x:-evil}}", "x=svil; ${x/s/e}",
                       "set -- evil; $1", 'set -- evil; "$@"', "read x <<< evil; $x", "printf -v x evil; $x",
                       "declare x=evil; $x", "x='$(evil)'; safe ${x@P}", "x='a[$(evil)]'; safe $((x))",
                       "safe $((a[$(evil)]))", "printf -v 'a[$(evil)]' x", "read 'a[$(evil)]' <<< 1",
                       "[[ -v a[$(evil)] ]]", "test -v 'a[$(evil)]'", "let 'x=a[$(evil)]'", "x=(evil); ${x[@]}",
                       "mapfile x <<< evil; ${x%?}", "x=EVIL; ${x,,}", "declare -n y=x; x=evil; $y",
                       "x=$'\\x65vil'; $x", "for x in evil; do $x; done", "IFS=,; x=safe,evil; $x",
                       "x=evil; \"$x\"", "x=evil safe; $x", "$0 -c evil", "x=\"e\"vil; $x", "x=e; ${x}vil",
                       "unset 'a[$(evil)]'", "declare -A a; a[$(evil)]=1", "x=vil; e$x", "x='evil'; eval $x",
                       "export x=evil; $x", "safe ${x:=evil}; $x", "PS4='$(evil)'; set -x; safe",
                       "x='a[$(evil)]'; [[ $x -eq 0 ]]", "[[ 'a[$(evil)]' -eq 0 ]]", "x='a[$(evil)]'; safe ${!x}",
                       "declare -i y; y='a[$(evil)]'", "mapfile -C evil -c 1 x <<< a", "shopt -s extglob\n@(evil)",
                       "shopt -s nocaseglob; EVI?", "x=(safe evil); ${x[1]}",
                       "safe() { evil; }; export -f safe; bash -c safe",
                       "readarray -C evil -c 1 x <<< a", "x='a[$(evil)]'; safe $[x]"])


def _t_eval(rng):
    return _pick(rng, ["eval evil", "eval 'evil'", 'eval "evil"', "eval e'v'il", "eval 'safe; evil'",
                       "eval $'evil'", "x=evil; eval $x", 'eval "$(echo evil)"', f"{_safe(rng)}; eval 'e''vil'",
                       "builtin eval evil", "command eval evil", "eval eval evil", "eval 'safe'\\;evil",
                       "eval safe\\;evil", "eval safe \\&\\& evil", "eval 'safe #'\nevil", "eval \\evil",
                       "eval \"safe\"';'\"evil\"", "eval $'safe\\nevil'", "eval 'safe\\\nevil'",
                       "eval 'safe\\'\\''; evil'", "'eval' evil", 'e"val" evil', "\\eval evil",
                       "eval -- evil"])


def _t_source(rng):
    return _pick(rng, [f"source {STUB}/evil", ". ./evil", "source ./evil", ". <(echo evil)",
                       "source /dev/stdin <<< evil",
                       f"safe; . {STUB}/evil", "builtin source ./evil", "source evil", ". evil",
                       "echo evil | source /dev/stdin", f"command . {STUB}/evil", "source <(echo 'e''vil')",
                       "exec 3<<<evil; . /dev/fd/3", "echo evil >x; . ./x", "'source' evil", "\\. evil",
                       f"ENV={STUB}/evil sh -i -c safe"])


def _t_exec(rng):
    return _pick(rng, ["exec evil", "exec -a safe evil", "exec -- evil", "command evil", "command -p evil",
                       "builtin command evil", "exec -c evil", f"exec {STUB}/evil", "command -- evil", "exec ./evil",
                       f"hash -p {STUB}/evil safe; safe", f"hash -p {STUB}/evil safe\nsafe x", "enable -n echo; echo",
                       "command command evil", "exec env evil", f"{STUB}/evil", "./evil", "*", "e?il", "[e]vil",
                       "ev*", "./e*", f"{STUB}/e?il", "{evil,x}", "ev${x}il"])


def _t_wrapper(rng):
    return _pick(rng, ["env evil", "env -u x evil", "env x=1 evil", "env -S evil", "env -- evil", "xargs evil",
                       "safe | xargs evil", "xargs -I{} evil", "timeout 1 evil", "timeout -s KILL 1 evil",
                       "nice evil", "nice -n 1 evil", "nohup evil", "stdbuf -o0 evil", "sh -c evil", "bash -c evil",
                       "sh -c 'safe; evil'", 'bash -c "evil"', "find . -exec evil \\;",
                       "find . -maxdepth 0 -exec evil {} +",
                       "find . -execdir evil \\;", "timeout 1 nice evil", "env sh -c evil", "sh -c 'e'vil",
                       "bash -c 'eval evil'", f"BASH_ENV={STUB}/evil bash -c safe", "setsid evil", "flock f evil",
                       "time evil", "time -p evil", "nohup nice evil", "env -i evil", f"env -i {STUB}/evil",
                       "xargs -0 evil", "xargs -n1 evil", "sh -ec evil", "bash -xc evil", "bash -c -- evil",
                       "sh -c 'safe' && sh -c evil", "safe | bash", "echo evil | sh", "bash <<< evil",
                       "sh <<EOF\nevil\nEOF", "timeout 1 sh -c evil", "nice -5 evil", "timeout 1s evil",
                       "stdbuf -oL evil", "command env evil", "env PATH=x evil", f"env PATH={STUB} evil",
                       "'env' evil", 'e"nv" evil', "\\env evil", '"timeout" 1 evil', "\\exec evil", "'exec' evil",
                       "\\command evil", "'nice' evil", "n\\ohup evil", "exec -l evil", "time -- evil",
                       "env 'BASH_FUNC_safe%%=() { evil; }' bash -c safe", "xargs -a /dev/null evil",
                       "command -- evil", "env --split-string=evil", "timeout --foreground 1 evil",
                       "nice -n1 evil", "nice --adjustment=1 evil", "stdbuf -i0 -o0 evil", "timeout -k1 1 evil"])


def _t_keyword(rng):
    return _pick(rng, ["if safe; then evil; fi", "if ! safe; then safe; else evil; fi", "while evil; do break; done",
                       "until evil; do safe; done", "for x in 1; do evil; done", "case x in x) evil;; esac",
                       "case x in *) evil;; esac", "{ evil; }", "(evil)", "! evil", "time evil", "coproc evil",
                       "coproc x { evil; }", "[[ $(evil) ]]", "(( $(evil) ))", "safe && { evil; }", "safe || (evil)",
                       "function f { evil; }; f", "if safe; then safe; fi; evil", "if safe\nthen evil\nfi",
                       "while safe; do evil; break; done", "{ safe; evil; }", "(safe; evil)", "((1)) && evil",
                       "[[ 1 ]] && evil", "case x in (x) evil;; esac", "if evil; then :; fi", "safe && ! evil",
                       "select x in a; do evil; done", "for ((i=0;i<1;i++)); do evil; done", "{ safe; } && evil",
                       "[[ x == x ]] && evil", "safe | { evil; }", "safe | (evil)", "safe; ( evil )",
                       "for x in evil; do safe; done", "case evil in evil) safe;; esac", "if safe; then\nevil\nfi",
                       "safe;{ evil;}", "{evil;}", "((safe); evil)", "safe {x}>&- ;evil", "[[ x ]]&&evil",
                       "case x in x) safe;; *) evil;; esac", "case x in x) safe;& *) evil;; esac",
                       "case x in x) safe;;& *) evil;; esac", "while safe; do break; done; evil"])


def _t_substitution(rng):
    inner = _evil(rng, plain=rng.random() < 0.5)
    return _pick(rng, [f"safe $({inner})", f"safe `{inner}`", f'safe "$({inner})"', f"safe <({inner})",
                       f"safe >({inner})", f"safe ${{x:-$({inner})}}", f"safe $(( $({inner}) ))",
                       f"safe <<< $({inner})", f'safe <<< "`{inner}`"', f"safe >$({inner})", f"safe 2>`{inner}`",
                       f"safe '$({inner})'", f"safe \\$({inner})", f'safe "\\$({inner})"', f"x=$({inner})",
                       f"x=$({inner}) safe", f"safe x=$({inner})", f"export x=$({inner})", f"declare x=$({inner})",
                       f"safe $(safe; {inner})", f"safe $(echo ')'; {inner})", f"safe \"$(echo '\"'; {inner})\"",
                       f"safe $(\n{inner}\n)", f"safe `echo \\`{inner}\\``", f"safe ${{x:-`{inner}`}}",
                       f"safe $(case x in x) {inner};; esac)", f"safe $(# )\n{inner})", f"safe <(safe) <({inner})",
                       f"safe ${{ {inner}; }}", f"safe ${{| {inner}; }}", f"safe \"${{x:-$({inner})}}\"",
                       f"safe $'$({inner})'", f"safe \"`{inner}`\"", f"safe $[$({inner})]"])


def _t_redirect(rng):
    return f"{_safe(rng)} {_pick(rng, REDIRECTS)}{_pick(rng, ['', ' x'])}{_sep(rng)}{_evil(rng)}"


def _t_assignment(rng):
    return _pick(rng, ["x=evil safe", f"PATH={STUB} evil", "IFS=x safe", "NODE_ENV=test evil", "x=1 evil",
                       "x=$(evil) safe", "x=`evil`", "x=$(evil)", "IFS=v; safe xevil", "IFS=x; y=safexevil; $y",
                       "x=1; evil", "x=1 y=2 evil", "x=1\nevil", "a[$(evil)]=1", "x+=$(evil)", "PATH=. evil",
                       f"PATH={STUB}:x evil", "x=safe; $x", "x=safe\nevil", "x='a b' evil", "NODE_ENV=test safe"])


def _t_benign(rng):
    """Well-formed commands nerv should allow under `Bash(safe *)`: the allowed share must not be empty."""
    parts = [_safe(rng) for _ in range(rng.choice((1, 1, 2, 3)))]
    glue = [_pick(rng, [" && ", "; ", " | ", " || ", "\n", " & "]) for _ in parts[1:]]
    text = parts[0] + "".join(g + p for g, p in zip(glue, parts[1:]))
    if rng.random() < 0.3:
        text += _pick(rng, [" >/dev/null", " 2>&1", " # done", " &", ";", " 2>/dev/null"])
    return text


def _t_heredoc(rng):
    return _heredoc(rng)


def _t_herestring(rng):
    word = _pick(rng, ["x", "'a;b'", "$(evil)", '"x"', "evil", "'x\n'"])
    return f"{_safe(rng)} <<< {word}{_sep(rng)}{_evil(rng)}"


TEMPLATES = [
    (_t_sep, 8), (_t_sep_plain, 4), (_t_comment, 5), (_t_glued_hash, 2), (_t_continuation, 5),
    (_t_comment_continuation, 4), (_t_quote_trick, 6), (_t_unicode, 4), (_t_alias, 3), (_t_trap, 2),
    (_t_function, 3), (_t_indirect, 5), (_t_eval, 4), (_t_source, 2), (_t_exec, 4), (_t_wrapper, 6),
    (_t_keyword, 5), (_t_substitution, 6), (_t_redirect, 3), (_t_assignment, 3), (_t_benign, 10),
    (_t_heredoc, 10), (_t_herestring, 2),
]


def _weighted(rng: random.Random, table):
    total = sum(w for _, w in table)
    roll = rng.random() * total
    for item, weight in table:
        roll -= weight
        if roll < 0:
            return item
    return table[-1][0]


def _joiner(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.75:
        return " "
    if roll < 0.88:
        return ""
    if roll < 0.94:
        return "\t"
    if roll < 0.97:
        return _pick(rng, UNICODE)
    return "  "


def soup(rng: random.Random) -> str:
    """1-12 tokens from the whole alphabet, mostly space-separated; often starts with `safe`."""
    count = rng.randint(1, 12)
    tokens = ["safe"] if rng.random() < 0.5 else []
    while len(tokens) < count:
        tokens.append(_pick(rng, _weighted(rng, SOUP_CLASSES)))
    text = tokens[0]
    for token in tokens[1:]:
        text += _joiner(rng) + token
    return text


def mutate(rng: random.Random, text: str) -> str:
    """One or two character-level edits: insert a token, delete or duplicate a slice, swap a separator."""
    for _ in range(rng.choice((1, 1, 2))):
        pos = rng.randint(0, len(text))
        roll = rng.random()
        if roll < 0.45:
            token = _pick(rng, _weighted(rng, SOUP_CLASSES))
            text = text[:pos] + _pick(rng, ["", " "]) + token + _pick(rng, ["", " "]) + text[pos:]
        elif roll < 0.65 and text:
            end = min(len(text), pos + rng.randint(1, 3))
            text = text[:pos] + text[end:]
        elif roll < 0.8 and text:
            start = rng.randint(0, max(0, len(text) - 1))
            text = text[:pos] + text[start:start + rng.randint(1, 6)] + text[pos:]
        else:
            text = text[:pos] + _pick(rng, NEWLINES + [";", "&", "|", "#", "'", '"', "\\", "`", "$("]) + text[pos:]
    return text


@dataclass(frozen=True)
class Case:
    index: int
    command: str  # with STUB for the stub directory
    origin: str  # template name, "soup", or "mutate:<template>"


def generate(seed: int, count: int) -> list[Case]:
    """`count` commands, the same for the same seed: templates (well-formed attacks), soup, mutations."""
    rng = random.Random(seed)
    cases = []
    for index in range(count):
        roll = rng.random()
        if roll < 0.5:
            template = _weighted(rng, TEMPLATES)
            text, origin = template(rng), template.__name__[3:]
        elif roll < 0.75:
            text, origin = soup(rng), "soup"
        else:
            template = _weighted(rng, TEMPLATES)
            text, origin = mutate(rng, template(rng)), "mutate:" + template.__name__[3:]
        text = text.replace("\x00", "")
        if not text.strip():
            text = "safe"
        cases.append(Case(index, text, origin))
    return cases


def display(command: str) -> str:
    """The command as a repr with the stub directory shown as $STUB."""
    return repr(command.replace(STUB, "$STUB"))


# ---- nerv's decision -----------------------------------------------------------------------------

class Decider:
    """nerv's real path: rules stored with the store, candidates by the hook's SQL, then `evaluate`."""

    def __init__(self, name: str, rules, base: Path):
        from nerv.store.db import open_store
        from nerv.store.orm import bind
        from nerv.services.rules import add_rule

        self.name = name
        self.rules = tuple(rules)
        self.home = base / f"nerv-{name}"
        self.home.mkdir(parents=True)
        self.db = self.home / "state.db"
        saved = {k: os.environ.get(k) for k in ("NERV_HOME", "NERV_DB")}
        os.environ["NERV_HOME"], os.environ["NERV_DB"] = str(self.home), str(self.db)  # nothing lands in ~/.nerv
        try:
            store = bind(open_store(self.db))
            try:
                for text, action in self.rules:
                    add_rule(store, text, action, source="bash-oracle")
            finally:
                store.close()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        self._local = threading.local()
        self._lock = threading.Lock()
        self._conns: list[sqlite3.Connection] = []
        self._every = None

    def _conn(self) -> sqlite3.Connection:
        """A plain read-only sqlite3 connection per thread (what the hook has: no ORM, no migrations)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = sqlite3.connect(f"{self.db.resolve().as_uri()}?mode=ro", uri=True,
                                                      check_same_thread=False)
            with self._lock:
                self._conns.append(conn)
        return conn

    def decide(self, command: str, cwd: str, home: str) -> tuple[str, str | None]:
        """(decision, problem): decision allow|ask|deny|none|error; problem names a crash or a filter loss."""
        from nerv.rules import evaluate, make_context
        from nerv.rules.candidates import candidate_rules
        from nerv.store.rule_area import RuleArea

        tool_input = {"command": command}
        ctx = make_context(cwd, root=cwd, home=home)
        try:
            rules = candidate_rules(RuleArea(self._conn()), "Bash", tool_input, None)
            decision = evaluate(rules, "Bash", tool_input, ctx).decision
        except Exception as exc:  # a crash is never an allow (the hook answers ask), but it is reported
            return "error", f"{type(exc).__name__}: {exc}"
        problem = None
        if decision == "allow":
            full = self._decide_with_every_rule(tool_input, ctx)
            if full is not None and full != "allow":
                problem = f"the SQL candidate filter changed the answer: {full} with every stored rule"
        return decision, problem

    def _decide_with_every_rule(self, tool_input: dict, ctx) -> str | None:
        """The decision with every stored rule (no SQL filter), or None if nerv's API no longer fits."""
        from nerv.rules import StoredRule, evaluate, parse_rule

        if self._every is None:
            try:
                rows = self._conn().execute("SELECT id, rule, action, project_id FROM approval_rules").fetchall()
                every = [StoredRule(parse_rule(r[1]), r[2], r[0], r[3]) for r in rows]
                every.sort(key=lambda s: ({"deny": 0, "ask": 1}.get(s.action, 2), s.id))
                self._every = every
            except Exception:
                self._every = []
        if not self._every:
            return None
        try:
            return evaluate(self._every, "Bash", tool_input, ctx).decision
        except Exception as exc:
            return f"error ({type(exc).__name__})"

    def hook_env(self, user_home: str) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NERV_")}
        env.update({"NERV_HOME": str(self.home), "HOME": user_home, "NERV_ACTOR": "bash-oracle"})
        return env

    def close(self) -> None:
        with self._lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()


def nerv_executable() -> list[str]:
    import sys

    script = Path(sys.executable).parent / "nerv"
    return [str(script)] if script.exists() else [sys.executable, "-m", "nerv"]


def hook_decision(decider: Decider, command: str, cwd: str, user_home: str, timeout: float = 30) -> str:
    """What `nerv hook pre-tool-use` answers, as a subprocess: allow|ask|deny, or none for silence."""
    payload = json.dumps({"session_id": "bash-oracle", "hook_event_name": "PreToolUse", "tool_name": "Bash",
                          "tool_input": {"command": command}, "cwd": cwd, "tool_use_id": "t"})
    done = subprocess.run(nerv_executable() + ["hook", "pre-tool-use"], input=payload, capture_output=True,
                          text=True, env=decider.hook_env(user_home), timeout=timeout, check=False)
    if not done.stdout.strip():
        return "none"
    try:
        return json.loads(done.stdout)["hookSpecificOutput"]["permissionDecision"]
    except (ValueError, KeyError, TypeError):
        return f"unreadable: {done.stdout[:200]!r}"


def hook_expected(decision: str) -> str:
    """The hook's answer for an in-process decision (no rule decides: an approval request, answered ask)."""
    return {"none": "ask", "error": "ask"}.get(decision, decision)


# ---- the sandbox ---------------------------------------------------------------------------------

STUB_SCRIPT = """#!/bin/sh
printf '%s\\n' "$*" >> '{log}/{name}'
printf x >> '{log}/count'
read -r c < '{log}/count'
[ "${{#c}}" -gt {limit} ] && kill -9 0
[ -e '{log}/fail' ] && exit 1
exit 0
"""
WRAPPER_SCRIPT = """#!/bin/sh
printf '%s\\n' "$*" >> '{log}/wrap.{name}'
exec '{real}' {extra}"$@"
"""


@dataclass
class Run:
    mode: str  # bash | claude, with "+fail" when the stubs exited 1
    evil: str | None  # the evil stub's log (its arguments, one line a call) when it ran
    ran: tuple[str, ...]  # every stub and wrapper that ran
    timed_out: bool
    runaway: bool


class Slot:
    """One worker's sandbox: stubs, a log directory, a home and a work directory restored before each run."""

    def __init__(self, root: Path, index: int, bash: str):
        self.dir = root / f"slot{index:02d}"
        self.stubs = self.dir / "stubs"
        self.log = self.dir / ".oracle-log"
        self.home = self.dir / "home"
        self.work = self.dir / "p" / "p" / "p" / "work"  # deep: `cd ..` in a command stays inside the slot
        self.bash = bash
        self.wrapped = {}
        for name, extra in WRAPPED.items():
            real = shutil.which(name)
            if real:
                self.wrapped[name] = (os.path.realpath(real), extra)
        self._scripts: dict[Path, str] = {}
        for name in ("safe", "evil"):
            text = STUB_SCRIPT.format(log=self.log, name=name, limit=MAX_STUB_CALLS)
            self._scripts[self.stubs / name] = text
            self._scripts[self.work / name] = text  # `./evil`, `*` and `e?il` find a file in the work dir
        for name, (real, extra) in self.wrapped.items():
            self._scripts[self.stubs / name] = WRAPPER_SCRIPT.format(
                log=self.log, name=name, real=real, extra="".join(f"'{e}' " for e in extra))
        self._stamps: dict[Path, tuple] = {}
        self._rebuild()

    def substitute(self, command: str) -> str:
        return command.replace(STUB, str(self.stubs))

    def _rebuild(self) -> None:
        if self.dir.exists():
            shutil.rmtree(self.dir, ignore_errors=True)
        for folder in (self.stubs, self.log, self.home, self.work):
            folder.mkdir(parents=True, exist_ok=True)
        for path, text in self._scripts.items():
            path.write_text(text)
            path.chmod(0o755)
        self._stamps = {path: self._stamp(path) for path in self._scripts}
        self._listing = self._tree()

    @staticmethod
    def _stamp(path: Path):
        try:
            st = os.lstat(path)
        except OSError:
            return None
        return (st.st_size, st.st_mtime_ns, st.st_mode, st.st_ino)

    def _tree(self) -> dict:
        listing = {}
        for folder in (self.dir, self.dir / "p", self.dir / "p" / "p", self.dir / "p" / "p" / "p", self.stubs,
                       self.home, self.work):
            try:
                listing[folder] = sorted(os.listdir(folder))
            except OSError:
                listing[folder] = None
        return listing

    def _restore(self) -> None:
        """Clean after a run: anything a command wrote, truncated or created means a rebuild."""
        for name in os.listdir(self.log):
            os.unlink(self.log / name)
        if self._tree() != self._listing or any(self._stamp(p) != s for p, s in self._stamps.items()):
            self._rebuild()

    def script(self, command: str, mode: str) -> str:
        if mode == "bash":
            return command
        # Claude Code's Bash tool: `<shell> -c "<snapshot>... && eval <quoted> \\< /dev/null && pwd -P >| <file>"`.
        return (f"shopt -u extglob 2>/dev/null || true && eval {shlex.quote(command)} \\< /dev/null"
                f" && pwd -P >| {shlex.quote(str(self.log / 'cwd'))}")

    def run(self, command: str, mode: str = "bash", fail: bool = False, timeout: float = RUN_TIMEOUT_S) -> Run:
        if fail:
            (self.log / "fail").write_text("")
        env = {"PATH": str(self.stubs), "HOME": str(self.home)}
        proc = subprocess.Popen([self.bash, "--noprofile", "--norc", "-c", self.script(command, mode)],
                                cwd=self.work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            import resource

            resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
        except (OSError, ValueError, ImportError, AttributeError):  # not Linux: the timeout still bounds it
            pass
        deadline = time.monotonic() + timeout
        exited = _wait_exit(proc, timeout)
        if exited:
            proc.wait()  # reaped first: a zombie bash would keep its process group "alive"
        # Job control (`set -m`) moves jobs out of the process group: then look at the whole session.
        scan = "set " in command or "-m" in command
        timed_out = not exited or not _wait_for_session(proc.pid, deadline, scan)
        _kill_session(proc.pid, scan=timed_out or scan)
        proc.wait()
        evil = _read(self.log / "evil")
        ran = tuple(sorted(n for n in os.listdir(self.log) if n not in ("count", "fail", "cwd")))
        runaway = len(_read(self.log / "count") or "") > MAX_STUB_CALLS
        self._restore()
        return Run(mode + ("+fail" if fail else ""), evil, ran, timed_out, runaway)


def _read(path: Path, limit: int = 400) -> str | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except OSError:
        return None


def _session_members(sid: int) -> list[int]:
    """Live (not zombie) processes of session `sid`."""
    members = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return members  # no /proc: the process-group check alone decides
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 4 and int(fields[3]) == sid and fields[0] not in (b"Z", b"X"):
            members.append(int(entry))
    return members


def _wait_exit(proc: subprocess.Popen, timeout: float) -> bool:
    """Wait for the process to exit without polling (a pidfd), at most `timeout` s; False on timeout."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        try:
            proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(max(0, int(timeout * 1000))))
    finally:
        os.close(fd)


def _group_alive(sid: int) -> bool:
    try:
        os.killpg(sid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _wait_for_session(sid: int, deadline: float, scan: bool) -> bool:
    """After bash exits, wait for what it left running (`evil &`); False when the deadline passed."""
    while True:
        alive = _group_alive(sid)
        if alive or scan:
            alive = bool(_session_members(sid))  # zombies do not count (no init reaps them here)
        if not alive:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.002)


def _kill_session(sid: int, scan: bool) -> None:
    for _ in range(5):
        try:
            os.killpg(sid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            if not scan:
                return
        members = _session_members(sid)
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if not members:
            return
        time.sleep(0.005)


# ---- the harness ---------------------------------------------------------------------------------

@dataclass
class Outcome:
    case: Case
    decisions: dict[str, str]
    problems: dict[str, str] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)

    @property
    def evil_run(self) -> Run | None:
        return next((r for r in self.runs if r.evil is not None), None)


@dataclass
class Report:
    rule_set: str
    generated: int
    allowed: int
    false_allows: list[Outcome]
    problems: list[tuple[Outcome, str]]  # crashes, and allows the SQL candidate filter caused
    hook_checked: int = 0
    hook_disagreements: list[tuple[Outcome, str, str]] = field(default_factory=list)  # allow/deny differ
    hook_other: list[tuple[Outcome, str, str]] = field(default_factory=list)  # ask vs none and the like
    shapes: list[tuple[str, int, Outcome]] = field(default_factory=list)  # (shrunk command, how many, example)

    def line(self) -> str:
        return (f"{self.rule_set}: {self.generated} generated, {self.allowed} allowed, "
                f"{len(self.false_allows)} false allows")


@dataclass
class Result:
    reports: dict[str, Report]
    outcomes: list[Outcome]
    runs: int
    timeouts: int
    runaways: int
    elapsed: float
    runs_by_mode: dict[str, int] = field(default_factory=dict)  # runs by mode, for the summary
    source_changed: bool = False  # nerv's files changed between the in-process decisions and the hook check


def bash_path() -> str | None:
    found = shutil.which("bash")
    return os.path.realpath(found) if found else None


class Harness:
    """Decide every command under each rule set; run every command some rule set allows; compare."""

    def __init__(self, base: Path, workers: int = 2, modes=("bash", "claude"), rule_sets=None,
                 claude_every: int = 1):
        bash = bash_path()
        if bash is None:
            raise RuntimeError("bash not found")
        self.base = Path(base)
        self.modes = tuple(modes)
        self.claude_every = max(1, claude_every)
        self.deciders = {name: Decider(name, rules, self.base) for name, rules in (rule_sets or RULE_SETS).items()}
        self.workers = max(1, workers)
        self.slots: queue.Queue[Slot] = queue.Queue()
        for index in range(self.workers):
            self.slots.put(Slot(self.base, index, bash))
        self._runs: dict[str, list[Run]] = {}  # by command: a repeated command is run once

    def _is_bare(self, name: str) -> bool:
        return any(text == "Bash" and action == "allow" for text, action in self.deciders[name].rules)

    def plan(self, case: Case, decisions: dict[str, str]) -> list[tuple[str, bool]]:
        """The runs of an allowed command: plain `bash -c`; Claude-Code-style for every command a narrow rule
        set allows and every claude_every-th other one; again with failing stubs when the shape needs it."""
        plan = [("bash", False)] if "bash" in self.modes else []
        narrow = any(d == "allow" for name, d in decisions.items() if not self._is_bare(name))
        if "claude" in self.modes and (narrow or case.index % self.claude_every == 0):
            plan.append(("claude", False))
        if plan and any(t in case.command for t in FAIL_TRIGGERS):
            plan.append((plan[0][0], True))
        return plan

    def _decide(self, case: Case) -> Outcome:
        slot = self.slots.get()
        try:
            command = slot.substitute(case.command)
            outcome = Outcome(case, {})
            for name, decider in self.deciders.items():
                decision, problem = decider.decide(command, str(slot.work), str(slot.home))
                outcome.decisions[name] = decision
                if problem:
                    outcome.problems[name] = problem
            return outcome
        finally:
            self.slots.put(slot)

    def _execute(self, outcome: Outcome) -> Outcome:
        if "allow" not in outcome.decisions.values():
            return outcome
        cached = self._runs.get(outcome.case.command)
        if cached is not None:
            outcome.runs = cached
            return outcome
        slot = self.slots.get()
        try:
            command = slot.substitute(outcome.case.command)
            for mode, fail in self.plan(outcome.case, outcome.decisions):
                run = slot.run(command, mode, fail)
                outcome.runs.append(run)
                if run.evil is not None or run.timed_out:
                    break  # established, or a loop: more runs would only cost time
            self._runs[outcome.case.command] = outcome.runs
            return outcome
        finally:
            self.slots.put(slot)

    def _map(self, function, items, progress, label: str) -> list:
        start = time.perf_counter()
        done = []
        with ThreadPoolExecutor(self.workers) as pool:
            for index, item in enumerate(pool.map(function, items)):
                done.append(item)
                if progress and (index + 1) % 20000 == 0:
                    progress(f"{label}: {index + 1} commands, {time.perf_counter() - start:.0f} s")
        return done

    def decide(self, cases: list[Case], progress=None) -> list[Outcome]:
        """nerv's decision on every command under every rule set (no bash yet)."""
        return self._map(self._decide, cases, progress, "decided")

    def execute(self, outcomes: list[Outcome], progress=None) -> Result:
        """Run every command some rule set allows; the per-rule-set reports."""
        start = time.perf_counter()
        outcomes = self._map(self._execute, outcomes, progress, "ran")
        unique = {id(o.runs): o.runs for o in outcomes if o.runs}
        runs = [r for group in unique.values() for r in group]
        reports = {}
        for name in self.deciders:
            allowed = [o for o in outcomes if o.decisions[name] == "allow"]
            reports[name] = Report(name, len(outcomes), len(allowed), [o for o in allowed if o.evil_run],
                                   [(o, o.problems[name]) for o in outcomes if name in o.problems])
        by_mode: dict[str, int] = {}
        for run in runs:
            by_mode[run.mode] = by_mode.get(run.mode, 0) + 1
        return Result(reports, outcomes, len(runs), sum(r.timed_out for r in runs), sum(r.runaway for r in runs),
                      time.perf_counter() - start, by_mode)

    def run(self, cases: list[Case], progress=None) -> Result:
        return self.execute(self.decide(cases, progress), progress)

    def check_hook(self, outcomes: list[Outcome], first: int, others: int, seed: int = 0) -> dict[str, tuple]:
        """The real hook as a subprocess on a sample: every command allowed among the first `first`
        commands, and `others` more drawn at random. Allow and deny must agree with the in-process answer.
        Returns {rule set: (checked, disagreements, other differences)}."""
        rng = random.Random(seed)
        jobs = []
        for name in self.deciders:
            head = [o for o in outcomes[:first] if o.decisions[name] == "allow"]
            chosen = {id(o) for o in head}
            rest = [o for o in outcomes if id(o) not in chosen] if others else []
            jobs += [(name, o) for o in head + rng.sample(rest, min(others, len(rest)))]
        found = {name: (0, [], []) for name in self.deciders}
        slot = self.slots.get()
        try:
            def check(job):
                name, outcome = job
                command = slot.substitute(outcome.case.command)
                return name, outcome, hook_decision(self.deciders[name], command, str(slot.work), str(slot.home))

            with ThreadPoolExecutor(self.workers) as pool:
                for name, outcome, got in pool.map(check, jobs):
                    checked, disagreements, other = found[name]
                    want = hook_expected(outcome.decisions[name])
                    if (got == "allow") != (want == "allow") or (got == "deny") != (want == "deny"):
                        disagreements.append((outcome, want, got))
                    elif got != want:
                        other.append((outcome, want, got))
                    found[name] = (checked + 1, disagreements, other)
        finally:
            self.slots.put(slot)
        return found

    def self_check(self) -> list[str]:
        """The oracle itself: commands that must run evil do, commands that must not do not."""
        problems = []
        slot = self.slots.get()
        try:
            for command, evil in SELF_CHECK:
                head = command.split()[0]
                if head in WRAPPED and head not in slot.wrapped:
                    continue  # this system has no such program
                for mode in self.modes:
                    fail = "||" in command
                    run = slot.run(slot.substitute(command), mode, fail)
                    if (run.evil is not None) != evil:
                        problems.append(f"{display(command)} in {mode}{'+fail' if fail else ''}: evil "
                                        f"{'ran' if run.evil is not None else 'did not run'} (stubs: {run.ran})")
        finally:
            self.slots.put(slot)
        return problems

    def shrink(self, outcome: Outcome, rule_set: str, budget: int = 400) -> str:
        """A smaller command that is still a false allow under `rule_set` (deleting slices of characters,
        largest first), to tell distinct failure shapes apart. Uses the run mode that showed evil."""
        run = outcome.evil_run
        if run is None:
            return outcome.case.command
        mode, fail = run.mode.split("+")[0], run.mode.endswith("+fail")
        decider = self.deciders[rule_set]
        slot = self.slots.get()
        try:
            checks = 0

            def bad(command: str) -> bool:
                nonlocal checks
                checks += 1
                text = slot.substitute(command)
                if decider.decide(text, str(slot.work), str(slot.home))[0] != "allow":
                    return False
                return slot.run(text, mode, fail, timeout=1.0).evil is not None

            current = outcome.case.command
            for size in (16, 8, 4, 2, 1):
                index = 0
                while index < len(current) and checks < budget:
                    candidate = current[:index] + current[index + size:]
                    if candidate.strip() and STUB[1:-1] not in candidate.replace(STUB, "") and bad(candidate):
                        current = candidate
                    else:
                        index += 1
            return current
        finally:
            self.slots.put(slot)

    def shapes(self, result: Result, per_rule_set: int) -> None:
        """Shrink the first false allows of each rule set and group them by what is left."""
        for name, report in result.reports.items():
            items = report.false_allows[:per_rule_set]
            with ThreadPoolExecutor(self.workers) as pool:
                small = list(pool.map(lambda o: self.shrink(o, name), items))
            groups: dict[str, list[Outcome]] = {}
            for outcome, shrunk in zip(items, small):
                groups.setdefault(shrunk, []).append(outcome)
            report.shapes = sorted(((k, len(v), v[0]) for k, v in groups.items()), key=lambda g: (-g[1], g[0]))

    def close(self) -> None:
        for decider in self.deciders.values():
            decider.close()


# (command, whether evil must run): every stub, wrapper and escape route the oracle relies on.
SELF_CHECK = [
    ("evil", True), ("safe; evil", True), ("safe || evil", True), ("safe & evil &", True),
    ("(for i in 1 2 3 4 5 6 7 8 9; do :; done; evil) &", True), (f"{STUB}/evil", True), ("./evil", True),
    ("*", True), (f"source {STUB}/evil", True), ("env evil", True), ("xargs evil", True), ("timeout 1 evil &", True),
    ("find . -exec evil \\;", True), ("sh -c evil", True), ("bash -c evil", True), ("nohup evil", True),
    ("cd ..; cd ..; evil", True), ("exec >&- 2>&-; evil", True),
    ("shopt -s expand_aliases\nalias safe=evil\nsafe", True),
    ("safe evil", False), ("safe 'evil'", False), ("safe '$(evil)'", False), ("safe <<'EOF'\n$(evil)\nEOF", False),
    ("safe # ; evil", False), ("while safe; do :; done", False),
]


def nerv_source_stamp() -> tuple:
    """Size and mtime of every nerv source file: a change during a run means the in-process decisions and
    the hook subprocess (which loads the files anew) may come from different code."""
    import nerv

    root = Path(nerv.__file__).resolve().parent
    stamp = []
    for path in sorted(root.rglob("*.py")):
        try:
            st = path.stat()
        except OSError:
            continue
        stamp.append((str(path.relative_to(root)), st.st_size, st.st_mtime_ns))
    return tuple(stamp)


def run_differential(seed: int, count: int, workers: int = 2, modes=("bash", "claude"), base: Path | None = None,
                     hook_first: int = 0, hook_others: int = 0, claude_every: int = 1, progress=None,
                     self_check: bool = True, shrink: int = 0) -> tuple[Result, list[str]]:
    """Generate, decide, check a sample through the real hook subprocess, run in bash, optionally shrink.

    Returns the result and any problem the oracle's self-check found (an oracle that cannot see evil proves
    nothing). The hook sample runs right after the in-process decisions, before the long bash phase.
    """
    owned = base is None
    base = Path(tempfile.mkdtemp(prefix="nerv-oracle-")) if owned else Path(base)
    try:
        stamp = nerv_source_stamp()
        harness = Harness(base, workers, modes, claude_every=claude_every)
        try:
            oracle_problems = harness.self_check() if self_check else []
            outcomes = harness.decide(generate(seed, count), progress)
            hooks = harness.check_hook(outcomes, hook_first, hook_others, seed) if hook_first or hook_others else {}
            hook_stamp = nerv_source_stamp()
            result = harness.execute(outcomes, progress)
            for name, (checked, disagreements, other) in hooks.items():
                report = result.reports[name]
                report.hook_checked, report.hook_disagreements, report.hook_other = checked, disagreements, other
            result.source_changed = hook_stamp != stamp
            if shrink:
                harness.shapes(result, shrink)
            return result, oracle_problems
        finally:
            harness.close()
    finally:
        if owned:
            shutil.rmtree(base, ignore_errors=True)


def describe(outcome: Outcome) -> str:
    """One line per offending command: its repr, where it came from, which run showed evil, what ran."""
    run = outcome.evil_run
    if run is None:
        return f"{display(outcome.case.command)}  [{outcome.case.origin}]"
    args = (run.evil or "").strip().replace("\n", " | ")[:60]
    return (f"{display(outcome.case.command)}  [{outcome.case.origin}; {run.mode}: ran {', '.join(run.ran)};"
            f" evil args {args!r}]")


def summary(result: Result, oracle_problems: list[str] = (), limit: int = 10) -> str:
    """The printed report: per rule set 'N generated, A allowed, F false allows', then the first offenders."""
    lines = []
    for report in result.reports.values():
        share = 100 * report.allowed / report.generated if report.generated else 0
        lines.append(f"{report.line()} ({share:.1f}% allowed)")
    modes = ", ".join(f"{count} {mode}" for mode, count in sorted(result.runs_by_mode.items()))
    lines.append(f"bash runs: {result.runs} ({modes}), {result.timeouts} timed out, {result.runaways} runaway loops;"
                 f" {result.elapsed:.1f} s")
    for problem in oracle_problems:
        lines.append(f"ORACLE SELF-CHECK FAILED: {problem}")
    if result.source_changed:
        lines.append("WARNING: nerv's source files changed during the run; the hook subprocess may have run"
                     " other code than the in-process decisions")
    for report in result.reports.values():
        if report.false_allows:
            rules = [text for text, _ in RULE_SETS.get(report.rule_set, ())]
            lines.append(f"first false allows under {report.rule_set} {rules}:")
            lines += [f"  {describe(o)}" for o in report.false_allows[:limit]]
        if report.shapes:
            lines.append(f"distinct shapes under {report.rule_set} (first {sum(n for _, n, _ in report.shapes)}"
                         f" false allows shrunk; count, shrunk command, an original):")
            lines += [f"  {n:5d}  {display(k)}   e.g. {display(o.case.command)}" for k, n, o in report.shapes]
        if report.problems:
            lines.append(f"decision problems under {report.rule_set}:")
            lines += [f"  {display(o.case.command)}: {p}" for o, p in report.problems[:limit]]
        if report.hook_checked:
            lines.append(f"hook subprocess under {report.rule_set}: {report.hook_checked} checked,"
                         f" {len(report.hook_disagreements)} allow/deny disagreements,"
                         f" {len(report.hook_other)} other differences")
            lines += [f"  {display(o.case.command)}: in-process {w}, hook {g}"
                      for o, w, g in (report.hook_disagreements + report.hook_other)[:limit]]
    return "\n".join(lines)
