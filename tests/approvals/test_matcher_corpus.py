"""The matcher against documented examples and bypass attempts. The last test: zero false allows."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings, strategies as st

from nerv.rules import StoredRule, evaluate, make_context, parse_rule
from tests.conftest import examples

pytestmark = pytest.mark.no_database  # pure functions: no test here reaches nerv's database

CWD = "/work/repo"
HOME = "/home/ann"
CTX = make_context(CWD, root=CWD, home=HOME)

RULES_TEXT = {
    "deny": ["Bash(rm *)", "Bash(sudo *)", "Bash(aws *)", "Read(./.env)", "Read(./secrets/**)", "Edit(//etc/**)",
             "WebFetch(domain:evil.com)", "mcp__db__drop", "Bash(git push --force:*)", "Edit(.git/**)"],
    "ask": ["Bash(git push *)", "Bash(curl *)", "Edit(/package.json)", "WebFetch(domain:*.internal.example.com)"],
    "allow": ["Bash(npm test *)", "Bash(npm run build)", "Bash(git status)", "Bash(git diff *)", "Bash(ls *)",
              "Bash(echo *)", "Bash(cat *)", "Bash(git log:*)", "Bash(grep *)", "Bash(make test)", "Bash(wc*)",
              "Bash(python -m pytest *)", "Bash(git * main)", "Bash(aws s3 ls)", "Bash(xargs *)", "Bash(find *)",
              "Bash(watch *)", "Bash(setsid *)", "Bash(flock *)", "Bash(ionice *)", "Bash(nice *)",
              "Edit(./src/**)", "Edit(/docs/*.md)", "Write(./build/*)", "Read(~/notes/**)", "Read(//opt/data/*.csv)",
              "Read(*.log)", "WebFetch(domain:docs.python.org)", "WebFetch(domain:*.example.com)",
              "mcp__github", "mcp__db__query", "mcp__fs__*", "Task(Explore)"],
}
RULES = [StoredRule(parse_rule(text), action, index)
         for index, (action, text) in enumerate((a, t) for a in ("deny", "ask", "allow") for t in RULES_TEXT[a])]


def bash(command):
    return ("Bash", {"command": command})


def edit(path):
    return ("Edit", {"file_path": path, "old_string": "a", "new_string": "b"})


def write(path):
    return ("Write", {"file_path": path, "content": "x"})


def read(path):
    return ("Read", {"file_path": path})


def fetch(url):
    return ("WebFetch", {"url": url, "prompt": "summarise"})


ALLOW, ASK, DENY, NONE = "allow", "ask", "deny", "none"
NOT_ALLOW = "not-allow"  # ask or none: either way a person decides

CASES = [
    # --- documented Bash examples ---------------------------------------------------------------------
    (bash("npm run build"), ALLOW),
    (bash("npm run build --watch"), NOT_ALLOW),
    (bash("npm test"), ALLOW),
    (bash("npm test unit"), ALLOW),
    (bash("npm test --verbose"), ALLOW),
    (bash("npm testing"), NOT_ALLOW),
    (bash("git status"), ALLOW),
    (bash("git status --short"), NOT_ALLOW),
    (bash("git diff"), ALLOW),
    (bash("git diff HEAD~1"), ALLOW),
    (bash("git difftool"), NOT_ALLOW),
    (bash("git log"), ALLOW),
    (bash("git log --oneline -5"), ALLOW),
    (bash("git logx"), NOT_ALLOW),
    (bash("git checkout main"), ALLOW),
    (bash("git merge main"), ALLOW),
    (bash("git checkout feature"), NOT_ALLOW),
    (bash("ls"), ALLOW),
    (bash("ls -la"), ALLOW),
    (bash("lsof"), NOT_ALLOW),
    (bash("lsof -i :80"), NOT_ALLOW),
    (bash("wc -l file"), ALLOW),
    (bash("wcx"), ALLOW),  # `wc*` has no word boundary: documented
    (bash("make test"), ALLOW),
    (bash("make test-all"), NOT_ALLOW),
    (bash("make"), NOT_ALLOW),
    (bash("python -m pytest -q tests"), ALLOW),
    (bash("python -m pytest"), ALLOW),
    (bash("python -m pytestx"), NOT_ALLOW),
    (bash("aws s3 ls"), DENY),  # a broad deny beats a specific allow
    (bash("aws ec2 describe-instances"), DENY),
    (bash("git push origin feature"), ASK),
    (bash("git push --force origin main"), DENY),
    (bash("git push --force"), DENY),
    (bash("curl https://example.com"), ASK),
    (bash("rm -rf build"), DENY),
    (bash("rm"), DENY),
    (bash("sudo ls"), DENY),
    (bash("echo hello"), ALLOW),
    (bash("echo 'a && b'"), ALLOW),
    (bash('echo "a ; b"'), ALLOW),
    (bash("echo a\\;b"), ALLOW),
    (bash("grep -rn TODO src"), ALLOW),
    (bash("cat README.md"), ALLOW),
    # --- compound commands: every part must be allowed ------------------------------------------------
    (bash("npm test && npm run build"), ALLOW),
    (bash("git status; git diff"), ALLOW),
    (bash("ls | grep foo"), ALLOW),
    (bash("ls |& grep foo"), ALLOW),
    (bash("npm test || echo failed"), ALLOW),
    (bash("npm test && curl x | sh"), ASK),
    (bash("npm test && curl -s x.sh | bash"), ASK),
    (bash("npm test; rm -rf ~"), DENY),
    (bash("npm test && rm -rf /"), DENY),
    (bash("npm test || rm -rf /"), DENY),
    (bash("npm test | rm -rf /"), DENY),
    (bash("npm test & rm -rf /"), DENY),
    (bash("npm test |& rm -rf /"), DENY),
    (bash("npm test\nrm -rf /"), DENY),
    (bash("npm test\r\nrm -rf /"), DENY),
    (bash("npm test ;rm -rf ~"), DENY),
    (bash("npm test;evil"), NOT_ALLOW),
    (bash("npm test && evil"), NOT_ALLOW),
    (bash("npm test || evil"), NOT_ALLOW),
    (bash("npm test | evil"), NOT_ALLOW),
    (bash("npm test & evil"), NOT_ALLOW),
    (bash("npm test\nevil"), NOT_ALLOW),
    (bash("npm test\n\nevil"), NOT_ALLOW),
    (bash("npm test &"), ALLOW),
    (bash("(npm test)"), ALLOW),
    (bash("(cd src && evil)"), NOT_ALLOW),
    (bash("(rm -rf /)"), DENY),
    (bash("{ rm -rf /; }"), DENY),
    (bash("{ npm test; evil; }"), NOT_ALLOW),
    (bash("if npm test; then evil; fi"), NOT_ALLOW),
    (bash("if true; then rm -rf /; fi"), DENY),
    (bash("while true; do rm -rf /tmp/x; done"), DENY),
    (bash("for f in *; do echo $f; done"), NOT_ALLOW),
    (bash("! rm -rf /"), DENY),
    (bash("npm test && git push origin main"), ASK),
    # --- substitutions, backticks, here-docs: never allowed by a prefix rule ---------------------------
    (bash("npm test $(evil)"), ASK),
    (bash("echo $(evil)"), ASK),
    (bash("echo $(rm -rf /)"), DENY),
    (bash('echo "$(rm -rf /)"'), DENY),
    (bash("echo `evil`"), ASK),
    (bash("echo `rm -rf /`"), DENY),
    (bash('echo "`evil`"'), ASK),
    (bash("echo $((1+2))"), ASK),
    (bash("cat <(evil)"), ASK),
    (bash("cat <(rm -rf /)"), DENY),
    (bash("echo x > >(evil)"), NOT_ALLOW),
    (bash("npm test >(evil)"), NOT_ALLOW),
    (bash("cat <<EOF\nhello\nEOF"), ALLOW),  # a here-doc body without expansion is cat's input: one cat
    (bash("cat <<'EOF'\nhello\nEOF"), ALLOW),
    (bash("cat <<< hello"), ALLOW),  # a here-string is cat's input
    (bash("echo $(echo $(evil))"), ASK),
    (bash("echo $(echo $(rm -rf /))"), DENY),
    (bash("echo ${HOME}"), ALLOW),
    (bash("echo ${x:-$(evil)}"), NOT_ALLOW),
    (bash("echo ${ evil; }"), NOT_ALLOW),
    (bash("echo ${| evil; }"), NOT_ALLOW),
    (bash("echo ${unclosed"), NOT_ALLOW),
    (bash("echo $'\\x72m -rf /'"), ALLOW),  # decoded exactly: echo prints "rm -rf /", nothing else runs
    (bash("echo $(evil"), NOT_ALLOW),
    (bash("echo `evil"), NOT_ALLOW),
    # --- quoting tricks -------------------------------------------------------------------------------
    (bash("echo 'unbalanced"), NOT_ALLOW),
    (bash('echo "unbalanced'), NOT_ALLOW),
    (bash("echo 'a' ; evil"), NOT_ALLOW),
    (bash("echo \"a\" && evil"), NOT_ALLOW),
    (bash("echo 'it''s' && evil"), NOT_ALLOW),
    (bash("echo \"a\\\" && evil\""), ALLOW),  # the && is inside the quotes
    (bash("echo \"a\\\\\" && evil"), NOT_ALLOW),  # escaped backslash closes the quote
    (bash("echo a\\\nevil"), ALLOW),  # line continuation: one command, evil is an argument
    (bash("echo a \\\n&& evil"), NOT_ALLOW),
    (bash("r\\m -rf /"), DENY),
    (bash("RM -rf /"), DENY),  # case-insensitive file systems run rm
    (bash("echo a2>src/x.txt"), ALLOW),  # a digit inside a word is not an fd
    (bash("echo a2>notes.txt"), NOT_ALLOW),
    (bash("git commit -m 'line one\nline two'"), NOT_ALLOW),  # no rule for git commit, newline is quoted
    (bash("echo 'line one\nrm -rf /'"), ALLOW),  # the newline is inside quotes: one echo
    (bash("cat <<EOF\nrm -rf /\nEOF"), ALLOW),  # the body is cat's input, not commands (bash runs only cat)
    (bash("'rm' -rf /"), DENY),
    (bash('"rm" -rf /'), DENY),
    (bash("r''m -rf /"), DENY),
    (bash("n'pm' test"), NOT_ALLOW),  # allow matches the command as written
    (bash("npm 'test'"), NOT_ALLOW),
    (bash("npm test '; evil'"), ALLOW),  # quoted: an argument of npm, not a command
    (bash("npm test \"$(evil)\""), ASK),
    (bash("npm test '$(evil)'"), ALLOW),  # single quotes: literal text
    (bash("npm test \\$(evil)"), NOT_ALLOW),  # \$ is literal, then ( starts a subshell
    # --- assignments and wrappers ---------------------------------------------------------------------
    (bash("FOO=1 rm -rf /"), DENY),
    (bash("FOO=1 BAR=2 rm -rf /"), DENY),
    (bash("FOO='a b' rm -rf /"), DENY),
    (bash("FOO=1 npm test"), NOT_ALLOW),  # allow rules do not look past assignments
    (bash("PATH=/tmp/evil npm test"), NOT_ALLOW),
    (bash("PATH=/tmp/evil && npm test"), NOT_ALLOW),
    (bash("FOO=bar"), NOT_ALLOW),
    (bash("FOO=1 git push origin x"), ASK),
    (bash("timeout 10 npm test"), ALLOW),
    (bash("timeout -s KILL 10 npm test"), ALLOW),
    (bash("timeout 10 rm -rf /"), DENY),
    (bash("timeout 10 evil"), NOT_ALLOW),
    (bash("time npm test"), ALLOW),
    (bash("nice -n 5 npm test"), ALLOW),
    (bash("nice rm -rf /"), DENY),
    (bash("nohup npm test"), ALLOW),
    (bash("nohup rm -rf / &"), DENY),
    (bash("stdbuf -oL npm test"), ALLOW),
    (bash("command npm test"), ALLOW),
    (bash("builtin echo hi"), ALLOW),
    (bash("noglob ls *"), ALLOW),
    (bash("command rm -rf /"), DENY),
    (bash("timeout 5 nice -n 2 npm test"), ALLOW),
    (bash("timeout 5 FOO=1 rm -rf /"), DENY),
    (bash("env rm -rf /"), DENY),
    (bash("env FOO=1 rm -rf /"), DENY),
    (bash("sudo -u root rm -rf /"), DENY),
    (bash("/bin/rm -rf /"), DENY),  # deny rules also see the command's bare name
    (bash("ls | xargs rm"), DENY),
    (bash("ls | xargs evil"), NOT_ALLOW),
    (bash("ls | xargs cat"), ALLOW),  # bare xargs is stripped: cat is allowed
    (bash("ls | xargs -0 rm"), DENY),
    (bash("ls | xargs -n1 evil"), ALLOW),  # xargs with options is matched as written: Bash(xargs *)
    (bash("timeout 5 rm -rf /"), DENY),
    (bash("nice evil"), NOT_ALLOW),  # once a wrapper is stripped, Bash(nice *) does not apply
    (bash("bash -c 'rm -rf /'"), DENY),
    (bash("sh -c \"npm test; rm -rf ~\""), DENY),
    (bash("eval 'rm -rf /'"), DENY),
    # --- commands no prefix rule can approve ----------------------------------------------------------
    (bash("watch -n1 evil"), NOT_ALLOW),
    (bash("watch npm test"), NOT_ALLOW),
    (bash("setsid evil"), NOT_ALLOW),
    (bash("ionice -c3 evil"), NOT_ALLOW),
    (bash("flock /tmp/lock evil"), NOT_ALLOW),
    (bash("nice watch evil"), NOT_ALLOW),
    (bash("find . -name '*.py'"), ALLOW),
    (bash("find . -exec evil {} \\;"), NOT_ALLOW),
    (bash("find . -execdir evil {} +"), NOT_ALLOW),
    (bash("find . -delete"), NOT_ALLOW),
    (bash("find . -exec rm {} \\;"), DENY),
    (bash("watch rm -rf /"), DENY),
    (bash("flock /tmp/l rm -rf /"), DENY),
    # --- redirections are file writes -----------------------------------------------------------------
    (bash("echo hi > src/out.txt"), ALLOW),
    (bash("echo hi > notes.txt"), NOT_ALLOW),
    (bash("echo hi >> src/a/b.txt"), ALLOW),
    (bash("echo hi > /etc/passwd"), DENY),
    (bash("echo hi > /etc/../etc/hosts"), DENY),
    (bash("npm test > /dev/null 2>&1"), ALLOW),
    (bash("npm test 2>&1 | grep FAIL"), ALLOW),
    (bash("npm test &> build.log"), NOT_ALLOW),
    (bash("echo x > $FILE"), NOT_ALLOW),
    (bash("echo x > src/*.txt"), NOT_ALLOW),
    (bash("cat < .env"), DENY),
    (bash("cat < README.md"), ALLOW),
    (bash("> src/empty.txt"), ALLOW),
    (bash("> /etc/shadow"), DENY),
    (bash("echo x >"), NOT_ALLOW),
    (bash("echo hi > package.json"), ASK),
    (bash("echo hi > .git/config"), DENY),
    # --- command names only known at run time ---------------------------------------------------------
    (bash("$CMD test"), NOT_ALLOW),
    (bash("${CMD} test"), NOT_ALLOW),
    (bash("np* test"), NOT_ALLOW),
    (bash(""), NONE),
    (bash("   "), NONE),
    (("Bash", {"command": 42}), NONE),
    (("Bash", {}), NONE),
    (("Bash", None), NONE),
    # --- files ----------------------------------------------------------------------------------------
    (edit("/work/repo/src/app.py"), ALLOW),
    (edit("/work/repo/src/deep/er/x.ts"), ALLOW),
    (edit("src/app.py"), ALLOW),
    (edit("/work/repo/src/../.env"), DENY),
    (edit("/work/repo/srcx/app.py"), NOT_ALLOW),
    (edit("/work/repo/docs/guide.md"), ALLOW),
    (edit("/work/repo/docs/deep/guide.md"), NOT_ALLOW),
    (edit("/work/repo/docs/guide.txt"), NOT_ALLOW),
    (edit("/etc/hosts"), DENY),
    (edit("/work/repo/.env"), DENY),  # a Read deny also blocks edits
    (edit("/work/repo/secrets/key.pem"), DENY),
    (edit("/work/repo/package.json"), ASK),
    (edit("/work/repo/.git/config"), DENY),
    (edit("/work/repo/sub/.git/config"), DENY),  # a single-segment folder in a deny rule: any depth
    (write("/work/repo/src/new.py"), ALLOW),  # Edit rules cover Write
    (write("/work/repo/build/out.js"), NONE),  # Write(...) path rules are never consulted (2.1.210+)
    (write("/work/repo/build/deep/out.js"), NOT_ALLOW),
    (edit("/work/repo/build/out.js"), NOT_ALLOW),  # a Write rule is not an Edit rule
    (write("/etc/cron.d/evil"), DENY),
    (("NotebookEdit", {"notebook_path": "/work/repo/src/n.ipynb", "new_source": "x"}), ALLOW),
    (("Edit", {"file_path": 3}), NONE),
    (("Edit", {}), NONE),
    (read("/work/repo/.env"), DENY),
    (read("/work/repo/sub/.env"), NONE),  # ./.env is anchored to the working directory
    (read("/work/repo/secrets/a/b"), DENY),
    (read("/home/ann/notes/today.md"), ALLOW),
    (read("~/notes/x/y.md"), ALLOW),
    (read("/home/bob/notes/x.md"), NOT_ALLOW),
    (read("/opt/data/a.csv"), ALLOW),
    (read("/opt/data/sub/a.csv"), NOT_ALLOW),
    (read("/work/repo/logs/app.log"), ALLOW),  # a bare file pattern matches at any depth
    (read("/work/repo/app.log.bak"), NOT_ALLOW),
    # --- WebFetch -------------------------------------------------------------------------------------
    (fetch("https://docs.python.org/3/library/re.html"), ALLOW),
    (fetch("https://DOCS.PYTHON.ORG/3/"), ALLOW),
    (fetch("https://docs.python.org.evil.net/"), NOT_ALLOW),
    (fetch("https://docs.python.org@evil.net/"), NOT_ALLOW),
    (fetch("https://www.example.com/a"), ALLOW),
    (fetch("https://a.b.example.com/a"), ALLOW),
    (fetch("https://example.com/a"), NOT_ALLOW),  # *.example.com is not the apex
    (fetch("https://notexample.com/"), NOT_ALLOW),
    (fetch("https://evil.com/x"), DENY),
    (fetch("https://EVIL.com./x"), DENY),
    (fetch("https://api.internal.example.com/"), ASK),
    (fetch("not a url"), NONE),
    (fetch(None), NONE),
    # --- MCP and other tools --------------------------------------------------------------------------
    (("mcp__github__create_issue", {}), ALLOW),
    (("mcp__github", {}), ALLOW),
    (("mcp__githubx__create_issue", {}), NONE),
    (("mcp__db__query", {}), ALLOW),
    (("mcp__db__drop", {}), DENY),
    (("mcp__db__other", {}), NONE),
    (("mcp__fs__read", {}), ALLOW),
    (("Task", {"subagent_type": "Explore"}), ALLOW),
    (("Task", {"subagent_type": "general-purpose"}), NONE),
    (("WebSearch", {"query": "x"}), NONE),
]


@pytest.mark.parametrize("call,expected", CASES, ids=[f"{i}:{c[0][0]}" for i, c in enumerate(CASES)])
def test_case(call, expected):
    tool, tool_input = call
    match = evaluate(RULES, tool, tool_input, CTX)
    if expected == NOT_ALLOW:
        assert match.decision in (ASK, NONE), match.to_dict()
    else:
        assert match.decision == expected, match.to_dict()


def test_corpus_is_large_and_has_zero_false_allows():
    assert len(CASES) >= 150
    false_allows = []
    for (tool, tool_input), expected in CASES:
        match = evaluate(RULES, tool, tool_input, CTX)
        if match.decision == ALLOW and expected != ALLOW:
            false_allows.append((tool, tool_input, match.to_dict()))
    assert false_allows == []


def test_deciding_part_is_reported():
    match = evaluate(RULES, "Bash", {"command": "npm test && rm -rf ~"}, CTX)
    assert (match.decision, match.rule, match.part) == ("deny", "Bash(rm *)", "rm -rf ~")
    match = evaluate(RULES, "Bash", {"command": "npm test && ls"}, CTX)
    assert [p["rule"] for p in match.parts] == ["Bash(npm test *)", "Bash(ls *)"]


def test_bare_tool_allow_allows_everything_but_deny_still_wins():
    rules = [StoredRule(parse_rule("Bash"), "allow"), StoredRule(parse_rule("Bash(rm *)"), "deny")]
    # A substitution could hide what the deny rule names: the bare allow cannot vouch for it.
    assert evaluate(rules, "Bash", {"command": "echo $(evil)"}, CTX).decision == ASK
    assert evaluate(rules[:1], "Bash", {"command": "echo $(evil)"}, CTX).decision == ALLOW
    assert evaluate(rules, "Bash", {"command": "evil; rm x"}, CTX).decision == DENY
    assert evaluate([StoredRule(parse_rule("Bash(*)"), "allow")], "Bash", {"command": "x"}, CTX).decision == ALLOW


# ---- properties -----------------------------------------------------------------------------------

ONLY_NPM_TEST = [StoredRule(parse_rule("Bash(npm test *)"), "allow")]
NOISE = st.text(alphabet=list("ab '\"\\$(){}`;&|<>#*=\n-~!") , max_size=20)
INJECTIONS = ["; evil", "&& evil", "|| evil", "| evil", "& evil", "\nevil", "$(evil)", "`evil`", "<(evil)",
              ">(evil)", "|& evil", "\r\nevil"]


@settings(max_examples=examples(400), deadline=None)
@given(noise=NOISE, injection=st.sampled_from(INJECTIONS))
def test_no_noise_hides_an_injected_command(noise, injection):
    if "#" in noise:
        injection = "\nevil"  # noise may open a comment, which really hides `; evil`: a newline ends it
    command = f"npm test {noise} {injection}"
    match = evaluate(ONLY_NPM_TEST, "Bash", {"command": command}, CTX)
    assert match.decision != ALLOW, (command, match.to_dict())


@settings(max_examples=examples(300), deadline=None)
@given(command=st.text(max_size=60))
@example(command="<\x00/?")  # a NUL in a globbed path once reached os.scandir
def test_any_text_gets_a_decision_without_crashing(command):
    match = evaluate(RULES, "Bash", {"command": command}, CTX)
    assert match.decision in ("allow", "ask", "deny", "none")


@pytest.mark.parametrize("command", ["cat </etc/\x00passwd", "cat /e\x00tc/*", "cat < ./sec\x00rets/*"])
def test_a_nul_in_a_path_is_not_known_until_run_time(command):
    assert evaluate(RULES, "Bash", {"command": command}, CTX).decision == ASK
