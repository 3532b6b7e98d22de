"""PowerShell commands split and canonicalised for `PowerShell(...)` rules (nerv.rules.powershell).

No PowerShell runs here (Debian has no `powershell` package): the expectations come from permissions#powershell
and from PowerShell 7's own tokenizer and alias table (tokenizer.cs, CharTraits.cs, InitialSessionState.cs).
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings, strategies as st

from nerv.rules.powershell import (ALIASES_ANY, MAX_PARTS, PSWord, canonical_forms, canonical_name, deny_forms,
                                   file_targets, split_powershell)
from nerv.rules.shell import Part, Word
from tests.conftest import examples

pytestmark = pytest.mark.no_database  # pure functions: no test here reaches nerv's database


def pattern(specifier: str) -> re.Pattern:
    """A PowerShell rule's specifier as Claude Code documents it: Bash's shape, matched case-insensitively."""
    if specifier.endswith(":*"):
        specifier = specifier[:-2] + " *"
    optional_tail = specifier.endswith(" *")
    body = specifier[:-2] if optional_tail else specifier
    regex = ".*".join(re.escape(piece) for piece in body.split("*")) + ("(?: .*)?" if optional_tail else "")
    return re.compile(regex, re.DOTALL | re.IGNORECASE)


def hits(specifier: str, forms: list[str]) -> bool:
    regex = pattern(specifier)
    return any(regex.fullmatch(form) for form in forms)


def top(command: str) -> list[Part]:
    return [p for p in split_powershell(command) if not p.nested]


def nested(command: str) -> list[Part]:
    return [p for p in split_powershell(command) if p.nested]


def spelled(command: str) -> list[str]:
    return [p.describe() for p in top(command)]


def words(command: str) -> list[list[str]]:
    return [[w.value for w in p.words] for p in top(command)]


def allowed(command: str, rules: list[str], platform: str = "win32") -> bool:
    """Every top-level part certain and matched by some allow rule: what an allow needs."""
    parts = top(command)
    return bool(parts) and all(not p.uncertain and any(hits(r, canonical_forms(p, platform)) for r in rules)
                               for p in parts)


def denied(command: str, rule: str) -> bool:
    return any(hits(rule, deny_forms(p)) for p in split_powershell(command))


def targets(command: str) -> list[tuple[str, bool]]:
    return [(word.value, writes) for part in split_powershell(command) for word, writes in file_targets(part)]


# ---- permissions#powershell, as documented --------------------------------------------------------

DOC_ALLOW = ["PowerShell(Get-ChildItem *)", "PowerShell(git commit *)"]
DOC_DENY = "PowerShell(Remove-Item *)"


@pytest.mark.parametrize("command", ["Get-ChildItem", "Get-ChildItem -Recurse", "gci .", "ls -Force", "dir C:\\src",
                                     "GET-CHILDITEM -recurse", "git commit -m 'x'", "GIT COMMIT -M 'fix'"])
def test_documented_allow_rules_cover_aliases_and_any_case(command):
    for platform in ("win32", "linux", "darwin"):
        assert allowed(command, [r[len("PowerShell("):-1] for r in DOC_ALLOW], platform)


@pytest.mark.parametrize("command", ["Remove-Item x", "rm -r build", "del x.txt", "erase x", "rd dir", "ri x",
                                     "rmdir x", "REMOVE-ITEM x", "Microsoft.PowerShell.Management\\Remove-Item x",
                                     "Get-ChildItem; Remove-Item x", "gci | ri", "gci && del x", "gci || rm x"])
def test_documented_deny_rule_reaches_every_alias_and_every_subcommand(command):
    assert denied(command, DOC_DENY[len("PowerShell("):-1])


@pytest.mark.parametrize("command", ["Get-ChildItem; Remove-Item x", "gci | Out-File a.txt", "gci && git push",
                                     "gci || npm install", "Get-ChildItem\nRemove-Item x"])
def test_every_subcommand_needs_its_own_allow(command):
    assert not allowed(command, ["Get-ChildItem *"])


def test_colon_star_and_word_boundary_follow_bash_rules():
    assert hits("Get-ChildItem:*", canonical_forms(top("gci -Recurse")[0], "win32"))
    assert not hits("Get-Child *", canonical_forms(top("Get-ChildItem")[0]))
    assert hits("Get-Child*", canonical_forms(top("Get-ChildItem")[0]))


def test_the_documented_separators_split_and_nothing_else_does():
    assert spelled("a | b; c && d || e") == ["a", "b", "c", "d", "e"]
    assert spelled("a\nb\r\nc") == ["a", "b", "c"]  # newlines separate statements (the AST's statements)
    assert spelled("Get-Process &") == ["Get-Process"]  # PowerShell 7's background operator ends a pipeline
    assert spelled("git log --format='%h;%s' | Select-Object -First 3") == ["git log --format='%h;%s'",
                                                                             "Select-Object -First 3"]


# ---- aliases --------------------------------------------------------------------------------------

ALIAS_CLASSES = {
    "Remove-Item": "rm del erase rd ri rmdir", "Get-ChildItem": "ls dir gci", "Get-Content": "cat gc type",
    "Copy-Item": "cp copy cpi", "Move-Item": "mv move mi", "Write-Output": "echo write",
    "Invoke-WebRequest": "iwr curl wget", "Invoke-RestMethod": "irm", "Invoke-Expression": "iex",
    "Set-Content": "sc", "Add-Content": "ac", "New-Item": "ni mkdir md", "Set-Location": "cd sl chdir",
    "Get-Location": "pwd gl", "Get-Process": "ps gps", "Stop-Process": "kill spps", "Start-Sleep": "sleep",
    "Start-Process": "start saps", "Invoke-Command": "icm", "ForEach-Object": "% foreach",
    "Where-Object": "? where", "Select-Object": "select", "Sort-Object": "sort", "Measure-Object": "measure",
    "Clear-Host": "cls clear", "Get-History": "h history ghy", "Get-Help": "man help", "Get-Command": "gcm",
    "Set-Alias": "sal", "Rename-Item": "ren rni", "Select-String": "sls", "Tee-Object": "tee",
    "Invoke-Item": "ii", "Import-Module": "ipmo", "Get-Member": "gm", "Format-Table": "ft", "Format-List": "fl",
}


@pytest.mark.parametrize("alias,cmdlet", [(a, c) for c, aliases in ALIAS_CLASSES.items() for a in aliases.split()])
def test_every_alias_of_any_edition_resolves_in_any_case(alias, cmdlet):
    assert canonical_name(alias) == cmdlet
    assert canonical_name(alias.upper()) == cmdlet


@pytest.mark.parametrize("name,platform,expected", [
    ("curl", "win32", "curl"),  # PowerShell 7 runs curl.exe; only 5.1 had the alias
    ("wget", "win32", "wget"),
    ("sc", "win32", "sc"),  # sc.exe controls services: never Set-Content for an allow rule
    ("ls", "win32", "Get-ChildItem"),
    ("ls", "linux", "Get-ChildItem"),  # /bin/ls there, but it lists too: the docs' example holds everywhere
    ("rm", "darwin", "Remove-Item"),
    ("mkdir", "linux", "New-Item"),
    ("sort", "win32", "Sort-Object"),
    ("sort", "linux", "sort"),  # /usr/bin/sort -o writes files: Sort-Object never does
    ("man", "linux", "man"),  # man -P runs a pager command
    ("mount", "darwin", "mount"),
    ("gci", "linux", "Get-ChildItem"),
    ("del", "linux", "Remove-Item"),
    ("iwr", "linux", "Invoke-WebRequest"),
])
def test_platform_tables_resolve_only_what_holds_there(name, platform, expected):
    assert canonical_name(name, platform) == expected


@pytest.mark.parametrize("name,expected", [
    ("get-childitem", "Get-ChildItem"), ("REMOVE-ITEM", "Remove-Item"), ("Set-Content", "Set-Content"),
    ("Microsoft.PowerShell.Management\\Remove-Item", "Remove-Item"),
    ("microsoft.powershell.utility\\invoke-expression", "Invoke-Expression"),
    ("Microsoft.PowerShell.Management\\rm", "rm"),  # a qualified name is never an alias
    ("MyModule\\Remove-Item", "MyModule\\Remove-Item"),  # not a built-in module: not certain
    ("git.exe", "git"), ("GIT.EXE", "GIT"), ("npm", "npm"),
    ("where.exe", "where.exe"),  # `where` is Where-Object: where.exe is another program
    ("sc.exe", "sc.exe"), ("curl.exe", "curl.exe"),
    ("C:\\Git\\bin\\git.exe", "C:\\Git\\bin\\git.exe"), ("./rm", "./rm"), ("My-Function", "My-Function"), ("", ""),
])
def test_canonical_name_of_cmdlets_qualified_names_and_programs(name, expected):
    assert canonical_name(name) == expected


def test_the_alias_table_is_powershells():
    assert len(ALIASES_ANY) > 150
    assert ALIASES_ANY["cd.."] == "Set-Location"
    assert all(target[0].isupper() or target.endswith(".exe") for target in ALIASES_ANY.values())


def test_allow_forms_resolve_only_certain_aliases_deny_forms_every_spelling():
    part = top("curl https://example.com")[0]
    assert not hits("Invoke-WebRequest *", canonical_forms(part, "win32"))
    assert hits("Invoke-WebRequest *", deny_forms(part))
    assert not allowed("sc delete MySvc", ["Set-Content *"])
    assert not allowed("sort -o out.txt x", ["Sort-Object *"], platform="linux")
    assert allowed("sort Name", ["Sort-Object *"], platform="win32")
    assert denied("C:\\Windows\\System32\\cmd.exe /c dir", "cmd /c *")  # the program's bare name
    assert denied("where.exe git", "where *")
    assert denied("childitem C:\\", "Get-ChildItem *")  # PowerShell's implicit Get- prefix
    assert denied("Remove-Item –Recurse x", "Remove-Item -Recurse *")  # an en dash introduces a parameter
    assert denied("r`m x", "Remove-Item *")  # a backtick escape changes nothing


# ---- words ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("command,expected", [
    ("echo 'it''s'", [["echo", "it's"]]),
    ("echo \"a `\"b`\" c\"", [["echo", 'a "b" c']]),
    ('echo "say ""hi"""', [["echo", 'say "hi"']]),
    ("echo a`tb `$x", [["echo", "a\tb", "$x"]]),
    ("echo `u{263A}", [["echo", "\u263a"]]),
    ("echo ‘typographic; quotes’ “also; these”", [["echo", "typographic; quotes", "also; these"]]),
    ("echo a'b c'd", [["echo", "ab cd"]]),
    ("echo 'a'b", [["echo", "a", "b"]]),  # a quoted token ends at its quote
    ("gci `\n  -Recurse", [["gci", "-Recurse"]]),  # line continuation
    ("Remove-Item foo`\nbar", [["Remove-Item", "foo\nbar"]]),  # inside a word it escapes the newline
    ("echo a#b; rm x", [["echo", "a#b"], ["rm", "x"]]),  # `#` inside a word is not a comment
    ("echo 'a'#b; rm x", [["echo", "a"]]),  # ...but after a quoted token it is
    ("gci # note; rm x\nls", [["gci"], ["ls"]]),
    ("gci <# ; rm x\n #> -Force", [["gci", "-Force"]]),
    ("echo a>b", [["echo", "a>b"]]),  # `>` inside a bareword is a character
    ("Get-Item x –Recurse —Force", [["Get-Item", "x", "-Recurse", "-Force"]]),
    ("Remove-Item a, b,c", [["Remove-Item", "a,b,c"]]),
    ("Get-ChildItem -Path:C:\\src -Filter *.ps1", [["Get-ChildItem", "-Path:C:\\src", "-Filter", "*.ps1"]]),
    ("7z x a.zip", [["7z", "x", "a.zip"]]),
])
def test_words_as_powershell_reads_them(command, expected):
    assert words(command) == expected


def test_here_strings_hold_any_text_until_the_footer_line():
    parts = top("@'\nline; rm x | y\n  '@ still inside\n'@ | Out-File a.txt")
    assert [w.value for w in parts[0].words] == ["line; rm x | y\n  '@ still inside"]
    assert parts[1].describe() == "Out-File a.txt"
    assert [w.value for w in top('Write-Output @"\nhello $name\n"@')[0].words][1] == "hello $name"


def test_words_answer_every_flag_of_shell_words():
    word = top("gci")[0].words[0]
    for name in Word.__slots__:
        getattr(word, name)
    assert word.literal
    quoted, block = top("echo 'x' { y }")[0].words[1:]
    assert quoted.quoted and block.uncertain and not block.literal


def test_word_flags():
    part = top('Get-ChildItem *.txt "$env:HOME" C:\\x')[0]
    assert [(w.globbed, w.expands) for w in part.words] == [(False, False), (True, False), (False, True),
                                                            (False, False)]
    assert all(isinstance(w, PSWord) for w in part.words)
    assert top("echo '*'")[0].words[1].globbed is False


@pytest.mark.parametrize("command,ops,writes", [
    ("echo hi > out.txt", [">"], [True]),
    ("echo hi >> log.txt", [">>"], [True]),
    ("cmd 2> err.txt", ["2>"], [True]),
    ("cmd 2>> err.txt", ["2>>"], [True]),
    ("cmd *> all.txt", ["*>"], [True]),
    ("cmd *>> all.txt", ["*>>"], [True]),
    ("cmd 3> warn.txt 4>verbose.txt", ["3>", "4>"], [True, True]),
    ("cmd 2>&1", ["2>&1"], [False]),
    ("cmd *>&1", ["*>&1"], [False]),
    ("cmd 1>&2", ["1>&2"], [False]),
    ("cmd > $null 2>&1", [">", "2>&1"], [False, False]),  # $null discards, like /dev/null
])
def test_redirections(command, ops, writes):
    part = top(command)[0]
    assert [r.op for r in part.redirects] == ops
    assert [r.writes for r in part.redirects] == writes
    assert not part.uncertain


# ---- uncertain ------------------------------------------------------------------------------------

@pytest.mark.parametrize("command,reason", [
    ("Write-Output $(Get-Date)", "subexpression"),
    ('Write-Output "today: $(Get-Date)"', "subexpression"),
    ("Write-Output @(1, 2)", "array subexpression"),
    ("Write-Output (Remove-Item x)", "parenthesised"),
    ("Get-ChildItem | Where-Object { $_.Length -gt 1kb }", "script block"),
    ("Get-Process | ForEach-Object { $_.Kill() }", "script block"),
    ("gps | % Kill", "ForEach-Object"),
    ("Invoke-Command -ScriptBlock { rm x }", "Invoke-Command"),
    ("icm -ComputerName srv { hostname }", "Invoke-Command"),
    ("& git status", "call operator"),
    ("& 'C:\\Program Files\\Git\\bin\\git.exe' status", "call operator"),
    ("& $tool --version", "call operator"),
    (". ./helpers.ps1", "dot-sourcing"),
    (". $profile", "dot-sourcing"),
    ("Invoke-Expression 'Get-ChildItem'", "Invoke-Expression"),
    ("iex $code", "Invoke-Expression"),
    ("Start-Process notepad", "Start-Process"),
    ("start msedge", "Start-Process"),
    ("powershell -EncodedCommand ZwBjAGkA", "another PowerShell"),
    ("pwsh -enc ZwBjAGkA", "another PowerShell"),
    ("pwsh -e ZwBjAGkA", "another PowerShell"),
    ("pwsh -c 'gci'", "another PowerShell"),
    ("powershell.exe -Command gci", "another PowerShell"),
    ("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe gci", "another PowerShell"),
    ("$cmd -Force", "variable in command position"),
    ("$x = 5", "variable in command position"),
    ("Get-Content @params", "splatting"),
    ("echo 'unbalanced", "unbalanced single quote"),
    ('echo "unbalanced', "unbalanced double quote"),
    ("echo (unclosed", "unbalanced"),
    ("echo }", "unbalanced"),
    ("C:\\Users\\$env:USERNAME\\tool.exe run", "only known at run time"),
    ("& \"$env:ProgramFiles\\tool.exe\"", "only known at run time"),
    ("Get-Chi*", "wildcard"),
    ("git --% log; rm x", "stop-parsing"),
    ("'text'", "expression"),
    ("[IO.File]::Delete('x')", "expression"),
    ("1..3", "expression"),
    ("$file.Delete()", "member access"),
    ("Write-Output $file.Delete()", "member access"),
    ("if ($x) { gci }", "statement 'if'"),
    ("foreach ($f in $files) { rm $f }", "statement 'foreach'"),
    ("function f { gci }", "statement 'function'"),
    ("Get-Content < in.txt", "input redirection"),
    ("> out.txt", "redirection without a command"),
    ("echo hi >", "without a target"),
    ("Add-Type -TypeDefinition $src", "Add-Type"),
    ("Import-Module ./evil.psm1", "Import-Module"),
    ("ii setup.exe", "Invoke-Item"),
    ("r 12", "Invoke-History"),
    ("@'\nno footer", "here-string"),
    ("@' trailing\n'@", "here-string header"),
    ("echo `", "backtick at the end"),
    ("gci <# never closed", "block comment"),
])
def test_what_the_text_cannot_fix_is_uncertain(command, reason):
    parts = top(command)
    assert any(p.uncertain and reason in p.uncertain for p in parts), [p.uncertain for p in parts]
    assert not allowed(command, ["*"])


@pytest.mark.parametrize("command", [
    "Get-ChildItem -Path . -Recurse -Filter *.ps1", "git status", "npm test -- --watch=false",
    "Write-Output \"hello $name\"", "Remove-Item -Path $file -Force", "exit 0", "Get-Process | ? Name -eq pwsh",
    "Set-Content -Path out.txt -Value 'x' 2>&1", "dotnet build -c Release", ".\\build.ps1 -Configuration Release",
    "Get-Item x –Recurse", "Get-ChildItem | Sort-Object Length | Select-Object -First 3",
])
def test_plain_commands_are_certain(command):
    assert all(not p.uncertain for p in split_powershell(command)), [p.uncertain for p in split_powershell(command)]


@pytest.mark.parametrize("command", [
    "Set-Alias gci Remove-Item; gci x", "sal ls del; ls", "New-Alias x Remove-Item; x y",
    "function Get-ChildItem { rm -r * }; Get-ChildItem", "filter f { $_ }; gci | f",
    ". ./profile.ps1; gci", "Import-Module ./m.psm1; gci", "Set-Item function:gci { rm x }; gci",
    "New-Item -Path alias:ls -Value Remove-Item; ls", '$env:PATH = "C:\\evil;" + $env:PATH; git status',
    "iex 'function git { rm x }'; git status",
])
def test_a_command_after_one_that_can_redefine_names_is_uncertain(command):
    last = top(command)[-1]
    assert last.uncertain and "change what command names mean" in last.uncertain


# ---- nested ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("command,inner", [
    ("Write-Output $(Remove-Item x)", ["Remove-Item x"]),
    ('Write-Output "now $(Remove-Item x; del y)"', ["Remove-Item x", "del y"]),
    ("Write-Output @(rm a)", ["rm a"]),
    ("Write-Output (del b)", ["del b"]),
    ("gci | % { rm $_ }", ["rm $_"]),
    ("& { Remove-Item x }", ["Remove-Item x"]),
    ("if ($true) { rm x } else { del y }", ["$true", "rm x", "del y"]),
    ("$x = Remove-Item foo", ["Remove-Item foo"]),
    ("Invoke-Expression 'Remove-Item q; gci'", ["Remove-Item q", "gci"]),
    ("iex \"iex 'rm deep'\"", ["rm deep", "iex 'rm deep'"]),  # innermost first
    ("pwsh -NoProfile -Command \"del y; gci\"", ["del y", "gci"]),
    ("powershell -NoProfile \"del y\"", ["del y"]),  # 5.1 reads its first positional argument as -Command
    ("powershell -enc " + base64.b64encode("Remove-Item secret".encode("utf-16-le")).decode(),
     ["Remove-Item secret"]),
    ("cmd /c \"del x & dir\"", ["del x", "dir"]),
    ("bash -c 'rm -rf y'", ["rm -rf y"]),
    ("Start-Process -FilePath cmd.exe -ArgumentList '/c','del z'", ["del z", "cmd.exe /c 'del z'"]),
    ('@"\n$(rm here)\n"@', ["rm here"]),
    ("@{ a = (Remove-Item x) }", ["Remove-Item x", "a = (Remove-Item x)"]),
])
def test_commands_inside_come_back_nested(command, inner):
    assert [p.describe() for p in nested(command)] == inner


def test_nested_parts_meet_deny_rules():
    assert denied("Write-Output \"$(Remove-Item C:\\important)\"", "Remove-Item *")
    assert denied("Get-ChildItem | ForEach-Object { del $_ }", "Remove-Item *")
    assert denied("pwsh -c 'rm -r x'", "Remove-Item *")
    assert not allowed("Write-Output $(Remove-Item x)", ["Write-Output *", "Remove-Item *"])


def test_nesting_deeper_than_the_reader_goes_is_uncertain():
    parts = split_powershell("(" * 200 + "rm x" + ")" * 200 + "; gci")
    assert all(p.uncertain for p in parts)
    assert split_powershell("iex 'iex ''iex ''''iex ''''''''iex x'''''''''''''''")[0].uncertain


# ---- files ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("command,expected", [
    ("Set-Content -Path out.txt -Value hi", [("out.txt", True)]),
    ("Set-Content out.txt 'hi'", [("out.txt", True)]),
    ("Set-Content -Value hi -LiteralPath 'a b.txt'", [("a b.txt", True)]),
    ("sc -Pa x.txt -Value 1", [("x.txt", True)]),  # any unambiguous prefix of a parameter name
    ("Add-Content -Path:log.txt -Value x", [("log.txt", True)]),
    ("ac log.txt x", [("log.txt", True)]),
    ("Out-File -FilePath C:\\tmp\\o.txt", [("C:/tmp/o.txt", True)]),
    ("Get-Process | Out-File procs.txt -Encoding utf8", [("procs.txt", True)]),
    ("gci | Tee-Object -FilePath list.txt", [("list.txt", True)]),
    ("Remove-Item x.txt", [("x.txt", True)]),
    ("Remove-Item -Recurse -Force dir, other", [("dir", True), ("other", True)]),
    ("del -LiteralPath x[1].txt", [("x[1].txt", True)]),
    ("Get-Content .env", [(".env", False)]),
    ("Get-Content -Tail 5 secrets/key.pem", [("secrets/key.pem", False)]),
    ("cat .env", [(".env", False)]),
    ("type .\\config\\app.json", [("./config/app.json", False)]),
    ("gc -Path a.txt,b.txt", [("a.txt", False), ("b.txt", False)]),
    ("content .env", [(".env", False)]),  # implicit Get-
    ("Select-String -Pattern key -Path .env", [(".env", False)]),
    ("sls key .env", [(".env", False)]),
    ("Copy-Item .env backup.txt", [(".env", False), ("backup.txt", True)]),
    ("Move-Item a.txt -Destination b.txt", [("a.txt", True), ("b.txt", True)]),
    ("Rename-Item notes\\a.txt b.txt", [("notes/a.txt", True), ("notes/b.txt", True)]),
    ("New-Item -ItemType File -Path src -Name new.txt", [("src/new.txt", True)]),
    ("ni empty.txt", [("empty.txt", True)]),
    ("iwr https://example.com -OutFile page.html", [("page.html", True)]),
    ("Export-Csv -Path out.csv -NoTypeInformation", [("out.csv", True)]),
    ("echo hi > out.txt 2>> err.txt", [("out.txt", True), ("err.txt", True)]),
    ("echo hi > $null", []),
    ("$text>notes.txt", [("notes.txt", True)]),  # a statement starting with a variable is an expression
    ("Get-ChildItem -Path .env", []),  # listing is not reading
    ("Write-Output .env", []),
    ("head -n 5 .env", [("5", False), (".env", False)]),  # a native program: Bash's reading of it
    ("bash -c 'cat .env'", [(".env", False)]),
    ("Set-Content -Path $file -Value x", [("$file", True)]),  # returned: the evaluator asks about run-time paths
])
def test_file_targets(command, expected):
    assert targets(command) == expected


def test_file_target_words_say_what_is_known():
    word, writes = file_targets(top("Remove-Item -Path $dir\\*")[0])[0]
    assert writes and word.expands
    word, _ = file_targets(top("Remove-Item *.tmp")[0])[0]
    assert word.globbed and not word.expands
    word, _ = file_targets(top("Remove-Item -LiteralPath x[1].txt")[0])[0]
    assert not word.globbed  # -LiteralPath takes no wildcards


# ---- size and robustness --------------------------------------------------------------------------

def _seconds(command: str) -> float:
    """CPU seconds (best of two): what the reader costs, not how busy a shared machine is."""
    best = float("inf")
    for _ in range(2):
        start = time.process_time()
        split_powershell(command)
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.slow
@pytest.mark.parametrize("shape", ["script", "payload", "nesting", "parts"])
def test_a_megabyte_command_is_read_in_linear_time(shape):
    command = {
        "script": ("Get-ChildItem -Path 'C:\\src' -Recurse -Filter *.ps1 | Where-Object Name -ne 'x'\n"
                   "git status; Write-Output \"done $name\" > out.txt 2>&1\n") * 8500,
        "payload": "Set-Content -Path big.txt -Value '" + "x;y|z " * 170_000 + "'",
        "nesting": "Write-Output " + "$(" * 340_000 + ")" * 340_000,
        "parts": "a;" * 500_000,
    }[shape]
    assert len(command) >= 1_000_000
    assert _seconds(command) < 2.0


@pytest.mark.slow  # megabyte inputs
def test_past_the_part_limit_the_rest_is_not_read():
    parts = split_powershell("a|" * (MAX_PARTS + 10))
    assert len(parts) <= MAX_PARTS + 1 and all(p.uncertain for p in parts)


def test_import_is_light():
    code = ("import sys; before = set(sys.modules); import nerv.rules.powershell; "
            "print(sorted(set(sys.modules) - before))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for heavy in ("dataclasses", "typing", "base64", "json", "sqlite3", "ast", "inspect"):
        assert f"'{heavy}'" not in loaded


SINGLE, DOUBLE = "'\u2018\u2019\u201a\u201b", '"\u201c\u201d\u201e'


def _unquoted(raw: str) -> str:
    """The characters of a certain part's word outside quotes, escapes and ${...} (what splitting sees)."""
    out, index = [], 0
    while index < len(raw):
        char = raw[index]
        if char == "@" and raw[index + 1:index + 2] and raw[index + 1] in SINGLE + DOUBLE:  # a here-string
            footer = re.compile("[\r\n][" + (SINGLE if raw[index + 1] in SINGLE else DOUBLE) + "]@")
            found = footer.search(raw, index + 2)
            index = len(raw) if found is None else found.end()
        elif char == "`":
            index += 2
        elif char in SINGLE or char in DOUBLE:  # '' and "" are quotes inside; ` escapes inside "..."
            family = SINGLE if char in SINGLE else DOUBLE
            index += 1
            while index < len(raw):
                if raw[index] == "`" and family is DOUBLE:
                    index += 2
                elif raw[index] in family:
                    if raw[index + 1:index + 2] and raw[index + 1] in family:
                        index += 2
                        continue
                    break
                else:
                    index += 1
            index += 1
        elif raw.startswith("${", index):
            close = raw.find("}", index)
            index = len(raw) if close < 0 else close + 1
        else:
            out.append(char)
            index += 1
    return "".join(out)


FRAGMENTS = ["gci", "rm", "Remove-Item", " ", " ", "\n", "\r\n", ";", "|", "||", "&&", "&", "'", "''", '"', '""', "`",
             "`;", "$x", "$(", "@(", "(", ")", "{", "}", "@{", "#", "<#", "#>", ">", "2>&1", "*>", "<", "@'\n",
             "\n'@", '@"\n', '\n"@', ",", "-Path", "-Path:", "–Force", ".", "..", "./x", "%", "?", "*", "[", "]",
             "${a;b}", "--%", "\u2018", "\u2019", "\u201c", "\u201d", "\x1c", "\x00", "\u00a0", "a", "=", "iex ",
             "pwsh -c ", "cmd /c ", "bash -c ", "Start-Process ", "function f ", "$env:PATH=", "x.exe "]


@settings(max_examples=examples(600), deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)))
def test_splitting_never_raises_and_certain_parts_hold_no_separator(command):
    parts = split_powershell(command)
    for part in parts:
        assert isinstance(part, Part)
        part.describe(), deny_forms(part), canonical_forms(part), file_targets(part)
        if part.uncertain is None and all(isinstance(w, PSWord) for w in part.words):
            for word in part.words:
                rest = _unquoted(word.raw)
                assert ";" not in rest and "|" not in rest, (command, word.raw)


def test_a_deny_rule_written_with_an_alias_stops_the_cmdlet_and_its_other_aliases():
    assert denied("Remove-Item x", "rm *")
    assert denied("del x", "rm *")
    assert denied("Get-Content .env", "cat *")
    assert allowed("rm x", ["rm *"])
    assert not allowed("Remove-Item x", ["rm *"])  # for allow rules only the documented way: cmdlet covers alias
