"""What a Bash rule's specifier matches: `*` anywhere, the trailing ` *` word boundary, the legacy `:*`, exact
rules, the wrappers Claude Code strips and the ones it does not, leading assignments, absolute command paths.
"""

from __future__ import annotations

from ._helpers import (ALLOW, ASK, BARE_ASSIGNMENT, BARE_TOOL, DENY, DENY_ENV, DENY_EXEC_WRAPPERS, EXACT,
                       EXACT_FOR_EXEC, EXEC_WRAPPERS, LEGACY_COLON, NOT_ALLOW, NOT_STRIPPED, ORDER, RUNNERS,
                       SAFE_ENV, SAFE_ENV_EXAMPLES, WILDCARD, WORD_BOUNDARY, WRAPPERS, XARGS, rules, series)

ABS_PATH = ("docs silent on absolute command paths: a demanding user expects deny Bash(rm *) to stop /bin/rm "
            "(anthropics/claude-code#46978 shows the allow side does not match /bin/rm)")
ABS_ALLOW = ("docs silent; observed (anthropics/claude-code#46978): an allow rule does not match the absolute "
             "path of the command")

W = rules(allow=["Bash(git * main)", "Bash(* --version)", "Bash(* --help *)", "Bash(* install)", "Bash(ls *)",
                 "Bash(wc*)", "Bash(npm run test:*)", "Bash(git:* push)", "Bash(npm run build)", "Bash(make *)",
                 "Bash(docker compose * up)"],
          deny=["Bash(rm *)"])

CASES = []

CASES += series("rules-wildcard", W, [
    ("git checkout main", ALLOW, "permissions#bash: 'Bash(git * main) matches commands like git checkout main'"),
    ("git log --oneline main", ALLOW, "permissions#bash: 'Bash(git * main) matches ... git log --oneline main'"),
    ("git push origin main", ALLOW, "permissions#bash: 'Bash(git * main) matches git push origin main as well as git merge main'"),
    ("git merge main", ALLOW, "permissions#bash: 'Bash(git * main) matches ... git merge main'"),
    ("git main", NOT_ALLOW, WILDCARD + " -- `git * main` needs text between `git ` and ` main`"),
    ("git checkout main2", NOT_ALLOW, WILDCARD + " -- the pattern ends at main"),
    ("git checkout main && evil", NOT_ALLOW, "permissions#compound-commands: a rule must match each subcommand"),
    ("git checkout feature; git checkout main", NOT_ALLOW, WILDCARD + " -- git checkout feature is not allowed"),
    ("node --version", ALLOW, "permissions#wildcard-patterns example: Bash(* --version)"),
    ("python3 --version", ALLOW, "permissions#wildcard-patterns example: Bash(* --version)"),
    ("node --versions", NOT_ALLOW, WILDCARD + " -- the pattern ends at --version"),
    ("rm --version", DENY, ORDER + " -- deny Bash(rm *) before allow Bash(* --version)"),
    ("evil --version; evil", NOT_ALLOW, "permissions#compound-commands: a rule must match each subcommand"),
    ("npm --help", ALLOW, "permissions#wildcard-patterns example: Bash(* --help *); " + WORD_BOUNDARY),
    ("npm --help install", ALLOW, "permissions#wildcard-patterns example: Bash(* --help *)"),
    ("npm --helpx", NOT_ALLOW, WORD_BOUNDARY),
    ("npm install", ALLOW, "permissions#bash: 'Bash(* install) matches any command ending with  install'"),
    ("pip install", ALLOW, "permissions#bash: 'Bash(* install) matches any command ending with  install'"),
    ("npm install lodash", NOT_ALLOW, "permissions#bash: Bash(* install) matches commands ending with install"),
    ("npm uninstall", NOT_ALLOW, "permissions#bash: Bash(* install) wants ' install' with its space"),
    ("docker compose -f a.yml up", ALLOW, WILDCARD),
    ("docker compose -f a.yml down; docker compose x up", NOT_ALLOW, "permissions#compound-commands: each subcommand"),
    ("ls", ALLOW, WORD_BOUNDARY + " -- 'followed by a space or end-of-string'"),
    ("ls -la", ALLOW, WORD_BOUNDARY),
    ("lsof", NOT_ALLOW, WORD_BOUNDARY + " -- 'Bash(ls *) matches ls -la but not lsof'"),
    ("ls-files", NOT_ALLOW, WORD_BOUNDARY),
    ("wc", ALLOW, WORD_BOUNDARY + " -- Bash(wc*) has no boundary"),
    ("wcx --all", ALLOW, WORD_BOUNDARY + " -- 'Bash(ls*) without a space matches both ls -la and lsof'"),
    ("npm run test", ALLOW, LEGACY_COLON),
    ("npm run test unit", ALLOW, LEGACY_COLON + " -- :* is ' *'"),
    ("npm run test:unit", NOT_ALLOW, LEGACY_COLON + " -- :* is a word boundary like ' *', not a raw prefix"),
    ("npm run testx", NOT_ALLOW, LEGACY_COLON),
    ("git push", NOT_ALLOW, "permissions#wildcard-patterns: 'In a pattern like Bash(git:* push), the colon is treated as a literal character and won't match git commands.'"),
    ("npm run build", ALLOW, EXACT),
    ("npm run build --watch", NOT_ALLOW, EXACT),
    ("npm run buil", NOT_ALLOW, EXACT),
    ("npm run build && evil", NOT_ALLOW, EXACT + "; permissions#compound-commands"),
    ("make", ALLOW, WORD_BOUNDARY),
    ("make test", ALLOW, WORD_BOUNDARY),
    ("NPM run build", NOT_ALLOW, EXACT + " -- Bash rules are case-sensitive (only PowerShell matching is documented case-insensitive)"),
    ("rm -rf build", DENY, "permissions#bash: Bash(rm *) deny"),
])

CASES += series("rules-bare", rules(allow=["Bash(*)"]), [
    ("evil", ALLOW, BARE_TOOL),
    ("evil && other-evil", ALLOW, BARE_TOOL),
])
CASES += series("rules-bare-deny", rules(allow=["Bash"], deny=["Bash(rm *)"]), [
    ("evil", ALLOW, BARE_TOOL),
    ("evil; rm -rf build", DENY, ORDER),
    ("rm", DENY, "permissions#bash: ' *' at the end also matches the bare command"),
])
CASES += series("rules-exact-only", rules(allow=["Bash(npm test)"]), [
    ("npm test", ALLOW, EXACT),
    ("npm test --watch", NOT_ALLOW, EXACT),
    ("npm tests", NOT_ALLOW, EXACT),
])

P = rules(allow=["Bash(npm test *)", "Bash(grep *)", "Bash(echo *)", "Bash(watch *)", "Bash(setsid *)",
                 "Bash(ionice *)", "Bash(flock *)", "Bash(find *)", "Bash(command -v *)", "Bash(jest *)",
                 "Bash(devbox run npm test)", "Bash(mise exec *)", "Bash(watch -n 5 npm test)",
                 "Bash(setsid npm test)", "Bash(find . -name '*.pyc' -delete)"],
          deny=["Bash(rm *)", "Bash(git add -A*)"],
          ask=["Bash(git push *)"])

CASES += series("rules-wrapper", P, [
    ("timeout 30 npm test", ALLOW, WRAPPERS + " -- 'so a rule like Bash(npm test *) also matches timeout 30 npm test'"),
    ("timeout -k 5 30 npm test", ALLOW, WRAPPERS + " -- timeout's options are part of the wrapper"),
    ("timeout --signal=KILL 30 npm test", ALLOW, WRAPPERS),
    ("timeout 1.5m npm test --ci", ALLOW, WRAPPERS),
    ("time npm test", ALLOW, WRAPPERS),
    ("time -p npm test", ALLOW, WRAPPERS),
    ("nice npm test", ALLOW, WRAPPERS),
    ("nice -n 10 npm test", ALLOW, WRAPPERS),
    ("nohup npm test", ALLOW, WRAPPERS),
    ("stdbuf -oL npm test", ALLOW, WRAPPERS),
    ("stdbuf -o0 -e0 npm test", ALLOW, WRAPPERS),
    ("command npm test", ALLOW, WRAPPERS),
    ("builtin echo hi", ALLOW, WRAPPERS),
    ("noglob npm test", ALLOW, WRAPPERS),
    ("timeout 5 nice -n 2 nohup npm test", ALLOW, WRAPPERS + " -- wrappers stack"),
    ("xargs grep pattern", ALLOW, XARGS),
    ("echo a | xargs grep pattern", ALLOW, XARGS),
    ("xargs -n1 grep pattern", NOT_ALLOW, XARGS + " -- 'an invocation like xargs -n1 grep pattern is matched as an xargs command'"),
    ("xargs -0 grep x", NOT_ALLOW, XARGS),
    ("xargs -I{} grep {} f", NOT_ALLOW, XARGS),
    ("timeout 30 evil", NOT_ALLOW, WRAPPERS + " -- the wrapped command must be allowed"),
    ("nohup evil &", NOT_ALLOW, WRAPPERS),
    ("time evil", NOT_ALLOW, WRAPPERS),
    ("command -v jest", ALLOW, NOT_STRIPPED + " -- matched as written: Bash(command -v *) covers it"),
    ("command -v rm", ALLOW, NOT_STRIPPED + " -- a lookup, not an rm command: deny Bash(rm *) does not apply, Bash(command -v *) does"),
    ("command -v npm && evil", NOT_ALLOW, NOT_STRIPPED + "; permissions#compound-commands"),
    ("nocorrect npm test", NOT_ALLOW, NOT_STRIPPED),
    ("sudo npm test", NOT_ALLOW, WRAPPERS + " -- sudo is not a stripped wrapper"),
    ("env npm test", NOT_ALLOW, WRAPPERS + " -- env is not a stripped wrapper"),
    ("timeout 30 rm -rf build", DENY, WRAPPERS + "; deny rules see the wrapped command"),
    ("time rm -rf build", DENY, WRAPPERS),
    ("nice -n 5 rm -rf build", DENY, WRAPPERS),
    ("nohup rm -rf build &", DENY, WRAPPERS),
    ("stdbuf -oL rm -rf build", DENY, WRAPPERS),
    ("command rm -rf build", DENY, WRAPPERS),
    ("noglob rm -rf build", DENY, WRAPPERS),
    ("timeout 5 timeout 5 rm -rf build", DENY, WRAPPERS + " -- wrappers stack"),
    ("ls | xargs rm -f", DENY, XARGS),
    ("timeout 30 git push origin x", ASK, WRAPPERS + " -- ask rules see the wrapped command too"),
])

CASES += series("rules-runner", P, [
    ("npx jest", NOT_ALLOW, RUNNERS + " -- Bash(jest *) does not cover npx jest"),
    ("devbox run npm test", ALLOW, RUNNERS + " -- 'write a specific rule that includes both the runner and the inner command, such as Bash(devbox run npm test)'"),
    ("devbox run npm test --watch", NOT_ALLOW, RUNNERS + " -- the specific rule is exact"),
    ("devbox run evil", NOT_ALLOW, RUNNERS),
    ("mise exec -- evil", ALLOW, RUNNERS + " -- 'a rule like Bash(devbox run *) matches whatever comes after run'"),
    ("direnv exec . npm test", NOT_ALLOW, RUNNERS + " -- a runner is not stripped"),
])

CASES += series("rules-exec-wrapper", P, [
    ("watch npm test", NOT_ALLOW, EXEC_WRAPPERS + " -- not by Bash(watch *)"),
    ("watch -n 1 evil", NOT_ALLOW, EXEC_WRAPPERS),
    ("watch -n 5 npm test", ALLOW, EXACT_FOR_EXEC),
    ("setsid evil", NOT_ALLOW, EXEC_WRAPPERS),
    ("setsid npm test", ALLOW, EXACT_FOR_EXEC),
    ("ionice -c3 npm test", NOT_ALLOW, EXEC_WRAPPERS),
    ("flock /tmp/lock npm test", NOT_ALLOW, EXEC_WRAPPERS),
    ("find . -exec grep x {} \\;", NOT_ALLOW, EXEC_WRAPPERS + " -- 'a Bash(find *) rule doesn't cover these forms'"),
    ("find . -delete", NOT_ALLOW, EXEC_WRAPPERS),
    ("find . -name '*.tmp' -delete", NOT_ALLOW, EXEC_WRAPPERS),
    ("find . -name '*.pyc' -delete", ALLOW, EXACT_FOR_EXEC),
    ("find . -execdir evil {} +", NOT_ALLOW, EXEC_WRAPPERS + " -- -execdir is -exec"),
    ("find . -ok evil {} \\;", NOT_ALLOW, EXEC_WRAPPERS + " -- -ok is -exec with a prompt"),
    ("find . -okdir evil {} \\;", NOT_ALLOW, EXEC_WRAPPERS),
    ("find . -name '*.py'", ALLOW, "permissions#bash: Bash(find *) without -exec or -delete"),
    ("find . -name x -print", ALLOW, "permissions#bash: Bash(find *) without -exec or -delete"),
    ("watch rm -rf build", DENY, DENY_EXEC_WRAPPERS),
    ("setsid rm -rf build", DENY, DENY_EXEC_WRAPPERS),
    ("ionice -c3 rm -rf build", DENY, DENY_EXEC_WRAPPERS),
    ("env rm -rf build", DENY, DENY_EXEC_WRAPPERS),
    ("env -i rm -rf build", DENY, DENY_EXEC_WRAPPERS),
    ("env FOO=1 rm -rf build", DENY, DENY_EXEC_WRAPPERS + "; " + DENY_ENV),
    ("sudo rm -rf build", DENY, DENY_EXEC_WRAPPERS),
    ("sudo -u bob rm -rf build", DENY, DENY_EXEC_WRAPPERS),
    ("flock /tmp/l rm -rf build", DENY, DENY_EXEC_WRAPPERS + " ('and similar exec wrappers')"),
    ("doas rm -rf build", DENY, DENY_EXEC_WRAPPERS + " ('and similar exec wrappers')"),
    ("exec rm -rf build", DENY, DENY_EXEC_WRAPPERS + " ('and similar exec wrappers': exec replaces the shell with rm)"),
    ("nice -n 5 ionice -c3 rm -rf build", DENY, DENY_EXEC_WRAPPERS),
    ("find . -exec rm {} \\;", DENY, DENY_EXEC_WRAPPERS + " -- the command find runs"),
    ("env git add -A", DENY, "anthropics/claude-code#92542 (deny Bash(git add -A*) bypassed by a wrapper); " + DENY_EXEC_WRAPPERS),
    ("sudo git push origin main", ASK, DENY_EXEC_WRAPPERS + " -- ask rules too"),
])

E = rules(allow=["Bash(npm test *)"], deny=["Bash(rm *)"], ask=["Bash(git push *)"])

CASES += series("rules-env", E, [
    ("NODE_ENV=test npm test", ALLOW, SAFE_ENV),
    ("LANG=C npm test", ALLOW, SAFE_ENV + "; " + SAFE_ENV_EXAMPLES),
    ("NO_COLOR=1 npm test", ALLOW, SAFE_ENV + "; " + SAFE_ENV_EXAMPLES),
    ("TZ=UTC npm test", ALLOW, SAFE_ENV + "; " + SAFE_ENV_EXAMPLES),
    ("NODE_ENV=test LANG=C npm test", ALLOW, SAFE_ENV + " -- two known-safe assignments"),
    ("PATH=/tmp npm test", NOT_ALLOW, SAFE_ENV + " -- PATH picks which npm runs"),
    ("LD_PRELOAD=/tmp/x.so npm test", NOT_ALLOW, SAFE_ENV + " -- LD_PRELOAD loads code"),
    ("NODE_OPTIONS=--require=/tmp/x.js npm test", NOT_ALLOW, SAFE_ENV + " -- NODE_OPTIONS loads code"),
    ("BASH_ENV=/tmp/x npm test", NOT_ALLOW, SAFE_ENV + " -- BASH_ENV runs a script"),
    ("FOO=1 npm test", NOT_ALLOW, SAFE_ENV),
    ("GIT_SSH_COMMAND=evil npm test", NOT_ALLOW, SAFE_ENV),
    ("npm_config_script_shell=/tmp/evil npm test", NOT_ALLOW, SAFE_ENV + " -- npm runs scripts with that shell"),
    ("PYTHONPATH=/tmp npm test", NOT_ALLOW, SAFE_ENV),
    ("NODE_ENV=test PATH=/tmp npm test", NOT_ALLOW, SAFE_ENV + " -- one unsafe assignment is enough"),
    ("PATH=/tmp NODE_ENV=test npm test", NOT_ALLOW, SAFE_ENV + " -- one unsafe assignment is enough"),
    ("NODE_ENV=$(evil) npm test", NOT_ALLOW, SAFE_ENV + " -- the value runs a command"),
    ("NODE_ENV=`evil` npm test", NOT_ALLOW, SAFE_ENV + " -- the value runs a command"),
    ("NODE_ENV=test", NOT_ALLOW, BARE_ASSIGNMENT),
    ("PATH=/tmp", NOT_ALLOW, BARE_ASSIGNMENT),
    ("PATH=/tmp/evil; npm test", NOT_ALLOW, BARE_ASSIGNMENT + " -- the assignment is its own part"),
    ("FOO=bar rm -rf tmp/", DENY, DENY_ENV),
    ("PATH=/x rm -rf build", DENY, DENY_ENV),
    ("NODE_ENV=test rm -rf build", DENY, DENY_ENV),
    ("A=1 B=2 rm -rf build", DENY, DENY_ENV),
    ("A='x y' rm -rf build", DENY, DENY_ENV),
    ("A=1 git push origin x", ASK, DENY_ENV + " -- 'A deny or ask rule matches past any leading assignment'"),
    ("LANG=C git push origin x", ASK, DENY_ENV),
    ("/bin/rm -rf build", DENY, ABS_PATH),
    ("/usr/bin/rm -rf build", DENY, ABS_PATH),
    ('"/bin/rm" -rf build', DENY, ABS_PATH + " (quoted)"),
    ("/usr/bin/env rm -rf build", DENY, ABS_PATH + "; " + DENY_EXEC_WRAPPERS),
    ("/usr/bin/npm test", NOT_ALLOW, ABS_ALLOW),
    ("/usr/bin/git push origin main", ASK, ABS_PATH + " -- ask rules too"),
    ("rm  -rf build", DENY, "changelog: 'Fixed Bash(cmd:*) and Bash(git commit *) wildcard permission rules failing to match commands with extra spaces or tabs'"),
    ("rm\t-rf build", DENY, "changelog: 'Fixed Bash(cmd:*) and Bash(git commit *) wildcard permission rules failing to match commands with extra spaces or tabs'"),
])
