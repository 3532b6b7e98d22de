"""Critical paths: no allow rule, not even a bare Bash, approves rm or rmdir of /, a top-level folder, the
home folder, the working directory or its parents, a glob under them, a glob under a variable, also
inside a substitution. An ordinary removal stays allowed; a deny rule still denies."""

from __future__ import annotations

from ._helpers import (ALLOW, CRITICAL, CRITICAL_DENY, CRITICAL_LIST, CRITICAL_SUBST, CRITICAL_VAR, DENY, NOT_ALLOW,
                       WRAPPERS, rules, series)

RM = rules(allow=["Bash(rm *)", "Bash(rmdir *)", "Bash(echo *)", "Bash(cat *)", "Bash(sudo *)", "Bash(cd *)",
                  "Bash(ls *)"])
GLOB_CWD = (CRITICAL_LIST + " -- a glob directly under the working directory removes all of it (the docs name "
            "'rm -rf <dir>/*' for added directories)")
FOLDED = CRITICAL_LIST + " -- the target folds (., .., //, trailing /) to a critical path"
SUDO = CRITICAL + " -- docs silent on sudo: it is still an rm command targeting the path"

CASES = series("critical", RM, [
    ("rm -rf /", NOT_ALLOW, CRITICAL + "; " + CRITICAL_LIST + " ('The filesystem root')"),
    ("rm -rf /*", NOT_ALLOW, CRITICAL_LIST + " -- every top-level folder"),
    ("rm -rf //", NOT_ALLOW, FOLDED),
    ("rm -rf /./", NOT_ALLOW, FOLDED),
    ("rm -rf -- /", NOT_ALLOW, CRITICAL_LIST),
    ("rm -r -f /", NOT_ALLOW, CRITICAL_LIST),
    ("rm --recursive --force /", NOT_ALLOW, CRITICAL_LIST),
    ("rm -rf --no-preserve-root /", NOT_ALLOW, CRITICAL_LIST),
    ("rm -rf /usr", NOT_ALLOW, CRITICAL_LIST + " ('such as /usr')"),
    ("rm -rf /etc", NOT_ALLOW, CRITICAL_LIST + " ('such as ... /etc')"),
    ("rm -rf /data", NOT_ALLOW, CRITICAL_LIST + " ('such as ... /data')"),
    ("rm -rf /usr/", NOT_ALLOW, FOLDED),
    ("rm -rf /tmp", NOT_ALLOW, CRITICAL_LIST + " -- /tmp is a direct child of the root"),
    ("rm -rf /home", NOT_ALLOW, CRITICAL_LIST),
    ("rm -rf /home/ann/..", NOT_ALLOW, FOLDED + " (/home)"),
    ("rmdir /opt", NOT_ALLOW, CRITICAL + " ('an rm or rmdir command')"),
    ("rm -rf ~", NOT_ALLOW, CRITICAL_LIST + " ('Your home directory')"),
    ("rm -rf ~/", NOT_ALLOW, FOLDED),
    ("rm -rf $HOME", NOT_ALLOW, CRITICAL_LIST + " -- $HOME is the home directory"),
    ('rm -rf "$HOME"', NOT_ALLOW, CRITICAL_LIST),
    ("rm -rf ${HOME}", NOT_ALLOW, CRITICAL_LIST),
    ("rm -rf /home/ann", NOT_ALLOW, CRITICAL_LIST + " -- the home directory spelled out"),
    ("rm -rf /home/ann/", NOT_ALLOW, FOLDED),
    ("rm -rf ~/*", NOT_ALLOW, GLOB_CWD.replace("working directory", "home directory")),
    ("rm -rf .", NOT_ALLOW, CRITICAL_LIST + " ('Your working directory')"),
    ("rm -rf ./", NOT_ALLOW, FOLDED),
    ("rm -rf ..", NOT_ALLOW, CRITICAL_LIST + " ('and its parents')"),
    ("rm -rf ../..", NOT_ALLOW, CRITICAL_LIST + " ('and its parents')"),
    ("rm -rf /work/repo", NOT_ALLOW, CRITICAL_LIST + " -- the cwd spelled out"),
    ("rm -rf /work", NOT_ALLOW, CRITICAL_LIST + " -- a parent of the cwd"),
    ("rm -rf src/..", NOT_ALLOW, FOLDED + " (the cwd)"),
    ("rm -rf *", NOT_ALLOW, GLOB_CWD),
    ("rm -rf ./*", NOT_ALLOW, GLOB_CWD),
    ("rm -rf .*", NOT_ALLOW, GLOB_CWD),
    ('rm -rf "$DIR"/*', NOT_ALLOW, CRITICAL_VAR),
    ("rm -rf $DIR/*", NOT_ALLOW, CRITICAL_VAR),
    ('rm -rf "${BUILD_DIR}"/', NOT_ALLOW, CRITICAL_VAR + " ('or trailing slash')"),
    ("rm -rf $DIR/", NOT_ALLOW, CRITICAL_VAR),
    ('echo "$(rm -rf ~)"', NOT_ALLOW, CRITICAL_SUBST + " ('as in echo \"$(rm -rf ~)\"')"),
    ("echo `rm -rf /`", NOT_ALLOW, CRITICAL_SUBST + " (backticks)"),
    ("cat <(rm -rf ~)", NOT_ALLOW, CRITICAL_SUBST + " (process substitution)"),
    ("ls && rm -rf /", NOT_ALLOW, CRITICAL + " -- 'or elsewhere in the same command'"),
    ("cd / && rm -rf etc", NOT_ALLOW, CRITICAL_LIST + " -- docs silent on cd: after cd /, etc is /etc"),
    ("sudo rm -rf /", NOT_ALLOW, SUDO),
    ("timeout 5 rm -rf /", NOT_ALLOW, CRITICAL + "; " + WRAPPERS),
    ("nohup rm -rf ~ &", NOT_ALLOW, CRITICAL + "; " + WRAPPERS),
    ("/bin/rm -rf /", NOT_ALLOW, CRITICAL + " -- docs silent on the absolute path of rm: it is rm"),
    ("FOO=1 rm -rf /", NOT_ALLOW, CRITICAL + " -- an assignment does not change the target"),
    ("rm -rf ./build", ALLOW, "permission-modes#critical-paths: not a critical path; Bash(rm *) allows it"),
    ("rm -rf build/", ALLOW, "permission-modes#critical-paths: not a critical path"),
    ("rm -rf /work/repo/build", ALLOW, "permission-modes#critical-paths: a child of the cwd is not critical"),
    ("rm -rf /tmp/x", ALLOW, "permission-modes#critical-paths: a child of a top-level folder is not critical"),
    ("rm -rf ~/projects/old", ALLOW, "permission-modes#critical-paths: a folder inside home is not critical"),
    ("rm -rf src/*", ALLOW, "permission-modes#critical-paths: a glob in a subfolder of the cwd is not critical"),
    ("rm -f a.txt b.txt", ALLOW, "permission-modes#critical-paths: ordinary files"),
    ("rmdir build", ALLOW, "permission-modes#critical-paths: an ordinary folder"),
    ('rm -rf "$DIR/build"', NOT_ALLOW, CRITICAL_LIST + " -- with $DIR empty the target is /build, a top-level folder (the docs' reason for the \"$DIR\"/* rule)"),
    ("echo rm -rf /", ALLOW, "echo prints: no rm command runs"),
    ("echo 'rm -rf /'", ALLOW, "echo prints: no rm command runs"),
])

CASES += series("critical-bare", rules(allow=["Bash"]), [
    ("rm -rf /", NOT_ALLOW, CRITICAL + " -- even a bare Bash allow"),
    ("rm -rf ~", NOT_ALLOW, CRITICAL + " -- even a bare Bash allow"),
    ("rm -rf .", NOT_ALLOW, CRITICAL + " -- even a bare Bash allow"),
    ('echo "$(rm -rf ~)"', NOT_ALLOW, CRITICAL_SUBST + " -- even a bare Bash allow"),
    ("rm -rf build", ALLOW, "permissions#match-all-uses-of-a-tool: a bare Bash allow allows an ordinary removal"),
])
CASES += series("critical-star", rules(allow=["Bash(*)"]), [
    ("rm -rf /usr", NOT_ALLOW, CRITICAL + " -- Bash(*) is the bare Bash"),
])
CASES += series("critical-deny", rules(allow=["Bash(rm *)"], deny=["Bash(rm -rf /*)", "Bash(rm -rf ~*)"]), [
    ("rm -rf /", DENY, CRITICAL_DENY),
    ("rm -rf ~", DENY, CRITICAL_DENY),
    ("rm -rf /etc", DENY, CRITICAL_DENY),
])
CASES += series("critical-subdir", RM, [
    ("rm -rf ..", NOT_ALLOW, CRITICAL_LIST + " -- the parent of /work/repo/pkg is the project"),
    ("rm -rf /work/repo", NOT_ALLOW, CRITICAL_LIST + " -- a parent of the cwd"),
    ("rm -rf ../other", ALLOW, "permission-modes#critical-paths: a sibling of the cwd is not critical"),
], cwd="/work/repo/pkg")
