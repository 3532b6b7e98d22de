"""Read and Edit rules reaching Bash: file commands Claude Code recognises, redirections, not scripts."""

from __future__ import annotations

from ._helpers import (ALLOW, DENY, EGREP, HOME_VAR, INPUT_REDIRECT, NOT_ALLOW, NOT_SCRIPTS, READ_DENY_EDIT,
                       READ_EDIT_BASH, READ_EDIT_GREP, REDIRECT, REDIRECT_DEVNULL, REDIRECT_TILDE_GLOB, rules,
                       series)

SILENT_READER = ("docs silent: the recognised list is 'such as cat, head, tail, sed, grep'; this command reads the "
                 "file it names as surely as cat, and a stored deny must not be bypassed (a demanding user expects "
                 "deny)")
SILENT_WRITER = ("docs silent: Claude Code checks redirect targets as writes; this command writes the file it "
                 "names, so the Edit deny (or Read deny, which blocks writes) applies for a demanding user")
EGREP_CHOICE = (EGREP + " -- nerv chooses deny anyway: the docs' own sentence is a bypass of the stored deny, and "
                "nerv promises a stored rule is never bypassed")
SED_I = "sed(1): -i / --in-place edits the file: an Edit of it; " + READ_EDIT_BASH
GLOB_ARG = ("an unquoted glob or a variable in a file argument is only known at run time: it may name the denied "
            "file, so an allow rule cannot vouch for it")

R = rules(deny=["Read(./.env)", "Read(./secrets/**)", "Edit(./config/**)", "Read(~/.ssh/**)"],
          allow=["Bash(cat *)", "Bash(head *)", "Bash(tail *)", "Bash(sed *)", "Bash(grep *)", "Bash(egrep *)",
                 "Bash(fgrep *)", "Bash(less *)", "Bash(more *)", "Bash(echo *)", "Bash(python *)", "Bash(node *)",
                 "Bash(cp *)", "Bash(tee *)", "Bash(wc *)", "Bash(rg *)", "Bash(awk *)", "Bash(sort *)",
                 "Bash(ls *)", "Bash(cd *)", "Bash(touch *)", "Bash(mv *)", "Bash(nl *)", "Bash(xxd *)",
                 "Bash(base64 *)", "Bash(dd *)", "Bash(git diff *)", "Edit(./**)", "Edit(~/notes/**)"])

CASES = []

CASES += series("reb-read", R, [
    ("cat .env", DENY, READ_EDIT_BASH + " -- the reference example: cat .env denied by Read(./.env)"),
    ("cat ./.env", DENY, READ_EDIT_BASH),
    ("cat /work/repo/.env", DENY, READ_EDIT_BASH + " -- absolute spelling"),
    ("cat '.env'", DENY, READ_EDIT_BASH + " -- quotes are removed before the file is opened"),
    ('cat ".env"', DENY, READ_EDIT_BASH),
    ("cat \\.env", DENY, READ_EDIT_BASH + " -- an escaped dot is a dot"),
    ("cat -- .env", DENY, READ_EDIT_BASH + " -- after --, every word is a file"),
    ("cat -n .env", DENY, READ_EDIT_BASH),
    ("cat README.md .env", DENY, READ_EDIT_BASH + " -- any of the files"),
    ("cat src/../.env", DENY, READ_EDIT_BASH + " -- .. folded"),
    ("cat /work/repo/sub/../.env", DENY, READ_EDIT_BASH + " -- .. folded"),
    ("head .env", DENY, READ_EDIT_BASH),
    ("head -n 5 .env", DENY, READ_EDIT_BASH),
    ("tail .env", DENY, READ_EDIT_BASH),
    ("tail -f .env", DENY, READ_EDIT_BASH),
    ("sed -n 1p .env", DENY, READ_EDIT_BASH),
    ("sed 's/a/b/' .env", DENY, READ_EDIT_BASH + " -- sed prints the file"),
    ("grep KEY .env", DENY, READ_EDIT_GREP),
    ("grep -r KEY .env", DENY, READ_EDIT_GREP),
    ("grep -e KEY -- .env", DENY, READ_EDIT_GREP + " -- the pattern given by -e, the file after --"),
    ("grep -E 'A|B' .env", DENY, READ_EDIT_GREP + " -- a | inside the quoted pattern is no pipe (karanb192/claude-code-hooks#47)"),
    ("egrep KEY .env", DENY, EGREP_CHOICE),
    ("fgrep KEY .env", DENY, EGREP_CHOICE),
    ("less .env", DENY, SILENT_READER),
    ("more .env", DENY, SILENT_READER),
    ("nl .env", DENY, SILENT_READER),
    ("rg KEY .env", DENY, SILENT_READER + " (rg is on the read-before-edit list)"),
    ("awk '{print}' .env", DENY, SILENT_READER),
    ("sort .env", DENY, SILENT_READER),
    ("wc -l .env", DENY, SILENT_READER),
    ("xxd .env", DENY, SILENT_READER),
    ("base64 .env", DENY, SILENT_READER),
    ("cp .env /tmp/x", DENY, SILENT_READER + " (cp reads its source)"),
    ("dd if=.env of=/dev/null", DENY, SILENT_READER + " (dd if= names the file read)"),
    ("git diff --no-index /dev/null .env", DENY, SILENT_READER + " (git diff --no-index reads both files)"),
    ("cat secrets/key.pem", DENY, READ_EDIT_BASH + " -- Read(./secrets/**)"),
    ("cat secrets/a/b/key.pem", DENY, READ_EDIT_BASH),
    ("head -c 10 ./secrets/x", DENY, READ_EDIT_BASH),
    ("cat ~/.ssh/id_rsa", DENY, READ_EDIT_BASH + " -- Read(~/.ssh/**)"),
    ("cat $HOME/.ssh/id_rsa", DENY, HOME_VAR),
    ("cat ${HOME}/.ssh/id_rsa", DENY, HOME_VAR),
    ('cat "$HOME"/.ssh/id_rsa', DENY, HOME_VAR),
    ('cat "$HOME/.ssh/config"', DENY, HOME_VAR),
    ("cat /home/ann/.ssh/id_rsa", DENY, READ_EDIT_BASH + " -- absolute spelling of ~/.ssh"),
    ("head ~/.ssh/config", DENY, READ_EDIT_BASH),
    ("cd sub && cat ../.env", DENY, READ_EDIT_BASH + " -- docs silent on cd; after cd sub, ../.env is /work/repo/.env"),
    ("cat .env.example", ALLOW, READ_EDIT_BASH + " -- Read(./.env) names .env only"),
    ("cat README.md", ALLOW, READ_EDIT_BASH + " -- no deny rule names it"),
    ("head -n 3 src/a.py", ALLOW, READ_EDIT_BASH),
    ("grep TODO src/a.py", ALLOW, READ_EDIT_GREP),
    ("grep -r .env src", ALLOW, READ_EDIT_GREP + " -- '.env' here is the pattern, src the file"),
    ("sed -n 1p src/a.py", ALLOW, READ_EDIT_BASH),
    ("cat config/app.yml", ALLOW, READ_EDIT_BASH + " -- an Edit deny does not stop reads"),
    ("sed -n p config/app.yml", ALLOW, READ_EDIT_BASH + " -- sed without -i only reads"),
    ("echo .env", ALLOW, READ_EDIT_BASH + " -- echo opens no file"),
])

CASES += series("reb-script", R, [
    ("python script.py", ALLOW, NOT_SCRIPTS),
    ("python -c \"print(open('.env').read())\"", ALLOW, NOT_SCRIPTS + " -- 'a Python or Node script that opens files itself'"),
    ("node -e \"require('fs').readFileSync('.env')\"", ALLOW, NOT_SCRIPTS),
])

CASES += series("reb-edit", R, [
    ("sed -i s/a/b/ config/app.yml", DENY, SED_I),
    ("sed -i.bak 's/a/b/' config/app.yml", DENY, SED_I),
    ("sed --in-place s/a/b/ config/app.yml", DENY, SED_I),
    ("sed -ni p config/app.yml", DENY, SED_I + " (-n and -i combined)"),
    ("sed -i s/a/b/ .env", DENY, SED_I + "; " + READ_DENY_EDIT),
    ("sed -i s/a/b/ src/a.py", ALLOW, SED_I + " -- Edit(./**) allows src"),
    ("tee config/app.yml", DENY, SILENT_WRITER),
    ("echo x | tee -a config/app.yml", DENY, SILENT_WRITER),
    ("cp a.yml config/b.yml", DENY, SILENT_WRITER + " (cp writes its destination)"),
    ("mv a.yml config/b.yml", DENY, SILENT_WRITER),
    ("touch config/new.yml", DENY, SILENT_WRITER),
    ("dd if=/dev/zero of=config/app.yml", DENY, SILENT_WRITER + " (dd of= names the file written)"),
    ("tee .env", DENY, SILENT_WRITER + "; " + READ_DENY_EDIT),
])

CASES += series("reb-redirect", R, [
    ("echo x > config/app.yml", DENY, REDIRECT),
    ("echo x >> config/app.yml", DENY, REDIRECT),
    ("echo x >| config/app.yml", DENY, REDIRECT + " (>| is > that ignores noclobber)"),
    ("echo x 2> config/err.log", DENY, REDIRECT + " -- '2>' is named in the sentence"),
    ("echo x &> config/app.yml", DENY, REDIRECT),
    ("echo x &>> config/app.yml", DENY, REDIRECT),
    ("echo x >config/app.yml", DENY, REDIRECT + " -- no blank before the target"),
    ("echo x > ./config/../config/app.yml", DENY, REDIRECT + " -- .. folded"),
    ("echo x > .env", DENY, REDIRECT + "; " + READ_DENY_EDIT),
    ("echo x > $HOME/.ssh/authorized_keys", DENY, HOME_VAR + "; " + READ_DENY_EDIT),
    ("echo x > src/a.txt", ALLOW, REDIRECT + " -- the Edit allow covers the target"),
    ("echo x > /dev/null", ALLOW, REDIRECT_DEVNULL),
    ("echo x 2>/dev/null", ALLOW, REDIRECT_DEVNULL),
    ("echo x > /tmp/out.txt", NOT_ALLOW, REDIRECT + " -- no Edit allow rule covers /tmp"),
    ("echo x > ~/notes/a.txt", NOT_ALLOW, REDIRECT_TILDE_GLOB + " -- even with Edit(~/notes/**) allowed"),
    ("echo x > src/*.txt", NOT_ALLOW, REDIRECT_TILDE_GLOB),
    ("echo x > src/a?.txt", NOT_ALLOW, REDIRECT_TILDE_GLOB),
    ("echo x > src/[ab].txt", NOT_ALLOW, REDIRECT_TILDE_GLOB),
    ('echo x > "src/*.txt"', NOT_ALLOW, REDIRECT_TILDE_GLOB + " -- the docs say 'contains a glob character', quoted or not"),
    ("echo x > $OUT", NOT_ALLOW, REDIRECT + " -- a target only known at run time"),
    ("cat < .env", DENY, INPUT_REDIRECT),
    ("grep KEY < .env", DENY, INPUT_REDIRECT),
    ("wc -l < .env", DENY, INPUT_REDIRECT),
    ("cat 0< .env", DENY, INPUT_REDIRECT + " -- an explicit fd"),
    ("cat <> .env", DENY, INPUT_REDIRECT + " -- <> opens the file for reading and writing"),
    ("cat < ~/.ssh/id_rsa", DENY, INPUT_REDIRECT),
    ("cat < README.md", ALLOW, INPUT_REDIRECT + " -- no deny rule names it"),
])

CASES += series("reb-unknown", R, [
    ("cat .e*", NOT_ALLOW, GLOB_ARG),
    ("cat .en?", NOT_ALLOW, GLOB_ARG),
    ("cat .[e]nv", NOT_ALLOW, GLOB_ARG),
    ("cat $F", NOT_ALLOW, GLOB_ARG),
    ("cat $(echo .env)", NOT_ALLOW, GLOB_ARG + "; a substitution"),
    ('cat "$(printf .env)"', NOT_ALLOW, GLOB_ARG + "; a substitution"),
    ("cat secrets/*", DENY, READ_EDIT_BASH + " -- every expansion of the glob (or the literal word) lies inside the denied folder"),
])
