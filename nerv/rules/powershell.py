"""Splitting a PowerShell command into the commands a `PowerShell(...)` rule is matched against. Stdlib only.

    split_powershell(command)   -> [Part]: pipeline elements, then `nested` parts (code inside the command)
    canonical_forms(part)       -> spellings for allow rules (as written, and with a certain alias resolved)
    deny_forms(part)            -> every spelling for deny and ask rules
    canonical_name(name)        -> `rm` -> `Remove-Item`; file_targets(part) -> [(word, writes)]

Claude Code documents (permissions#powershell) that PowerShell rules have the shape of Bash rules, that
"common aliases are canonicalized before matching" (`PowerShell(Get-ChildItem *)` also matches `gci`, `ls`,
`dir`), that "matching is case-insensitive", and that a compound command is split on `|`, `;` and, on
PowerShell 7, `&&` and `||`, every subcommand needing its own match. It says nothing more; what nerv decided
where the page is silent:

- Case-insensitive covers the whole text: the rule pattern is matched against the whole command spelling,
  cmdlet, parameters and arguments alike, quoted strings and paths included, because the docs restrict it to
  nothing. `PowerShell(git commit -m "Fix")` matches `GIT COMMIT -M "fix"`. Bash rules stay case-sensitive.
  The spellings returned here keep their case; the matcher folds it.
- A newline separates statements exactly like `;` (Claude Code checks every statement of the AST), and so
  does the PowerShell 7 background operator `&` after a pipeline. Text inside `$(...)`, `@(...)`, `(...)`,
  `{...}` and `@{...}` is split too and returned as `nested` parts after the others, for deny and ask rules.
- Aliases: PowerShell's own built-in table (`InitialSessionState.BuiltInAliases` in PowerShell 7, its
  Windows-only and Windows PowerShell 5.1-only entries, and the aliases cmdlets declare), plus the `mkdir` and
  `md` functions (New-Item), `help`/`man` (Get-Help) and `cd..`. `curl` and `wget` are aliases of
  Invoke-WebRequest only in Windows PowerShell 5.1 (PowerShell 7 runs curl.exe), `sc` of Set-Content only in
  5.1 (7 runs sc.exe), and `ls rm cat cp mv ps kill sort tee sleep start...` only on Windows (on Linux and
  macOS PowerShell runs the native program). So `deny_forms` resolves every alias of any edition and system
  (a deny rule should rather hit than miss), while `canonical_forms`, for allow rules, resolves on Windows
  the aliases PowerShell 7 and 5.1 share, and on Linux and macOS only those whose native namesake does the
  same kind of thing (`ls`, `cat`, `rm`, `cp`, `mv`...): the docs' `PowerShell(Get-ChildItem *)` allows `ls`
  everywhere, but `PowerShell(Set-Content *)` never approves `sc.exe delete svc`, nor
  `PowerShell(Sort-Object *)` a Linux `sort -o ~/.bashrc`.
- Files: redirections (`>`, `>>`, `2>`, `*>`, `3>`...; `$null` discards) and the path arguments of the file
  cmdlets (Set-Content, Out-File, Remove-Item, Get-Content...) are reads and writes that Read and Edit rules
  apply to, as Claude Code applies them to Bash's redirections and file commands; the PowerShell section is
  silent on both.
- A part is `uncertain` (never approved by a prefix rule; its inner commands still meet deny and ask rules)
  for anything whose effect the text cannot fix: subexpressions `$(...)`, `@(...)`, `(...)` and script blocks
  as arguments, hashtables, the call operator `&` and dot-sourcing `.` with any target, variables, strings,
  `[types]` or numbers in command position, member access and method calls on variables, splatting `@args`,
  the stop-parsing token `--%`, Invoke-Expression, Start-Process, Invoke-Command, Start-Job, ForEach-Object
  (its member form calls methods), Invoke-Item/History, Add-Type, Import-Module, `powershell`/`pwsh` (every
  form: `-Command`, `-EncodedCommand`, 5.1's positional command), Unix `exec`, keyword statements (`if`,
  `foreach`, `function`...), command names that expand or hold wildcards, unbalanced quotes, brackets and
  here-strings, input redirection `<`, and every command after one that can redefine names (Set-Alias,
  Import-Module, dot-sourcing, `function`, writes to `alias:`, `function:` or `$env:PATH`...).
"""
from __future__ import annotations

import re
import sys
from functools import lru_cache

from nerv.rules import filecmds
from nerv.rules.shell import Part, Redirect, Word, split_command, strip_for_deny

MAX_DEPTH = 40  # nested brackets read structurally; deeper ones are skipped and the command is uncertain
MAX_PARTS = 100_000  # past this many commands the rest is not read and the whole command is uncertain
MAX_CODE_DEPTH = 4  # strings read again as code (iex "iex '...'"); deeper ones make the command uncertain

# ---- characters (PowerShell's tokenizer, CharTraits.cs) -------------------------------------------

# Whitespace: space, tab, VT, FF, NBSP, NEL and the Unicode separators; newlines are not whitespace.
_SPACE_CHARS = " \t\v\f\u00a0\u0085\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
               "\u2028\u2029\u202f\u205f\u3000"
_SPACES = frozenset(_SPACE_CHARS)
_SQ = "'\u2018\u2019\u201a\u201b"  # PowerShell reads typographic quotes as quotes
_DQ = '"\u201c\u201d\u201e'
_DASHES = "-\u2013\u2014\u2015"
# A bareword ends at these (ForceStartNewToken); `>` `<` `#` inside a word are ordinary characters.
_ENDS_WORD = frozenset(_SPACE_CHARS + "\r\n\0&(),;{|}")
_SPACE_RUN = re.compile("[" + _SPACE_CHARS + "]+")
_SEPARATOR_RUN = re.compile("[" + _SPACE_CHARS + "\r\n;]+")
_WORD_CHAR = "[^" + _SPACE_CHARS + "\r\n\0&(),;{|}`$" + _SQ + _DQ + "]"
_WORD_END = "(?=[" + _SPACE_CHARS + "\r\n\0&(),;{|}]|\\Z)"
# Barewords, parameters and variables with nothing special in them: the fast paths of the reader.
_FAST_WORD = ("(?![1-6*]>)(?!\\.(?!" + _WORD_CHAR + "))[^" + _SPACE_CHARS + "\r\n\0&(),;{|}`$@#<>" + _SQ + _DQ
              + "\u2013\u2014\u2015\\-]" + _WORD_CHAR + "*" + _WORD_END)
_FAST_PARAMETER = ("[-\u2013\u2014\u2015][A-Za-z_?][^" + _SPACE_CHARS + "{}();,|&.\\[\r\n\0:" + _SQ + _DQ
                   + "]*(?::|(?=[" + _SPACE_CHARS + "{}();,|&.\\[\r\n\0]|\\Z))")
_FAST_VARIABLE = "\\$[A-Za-z_][A-Za-z0-9_]*(?::[A-Za-z_][A-Za-z0-9_]*)?" + _WORD_END
# A run of them, each followed by a space or the end (so `str.split` finds the same edges), for long commands.
_RUN_PARAMETER = "[-\u2013\u2014\u2015][A-Za-z_?][^" + _SPACE_CHARS + "{}();,|&.\\[\r\n\0:" + _SQ + _DQ + "]*:?"
_FAST_RUN = re.compile("(?:[" + _SPACE_CHARS + "]*(?:" + _FAST_WORD + "|" + _RUN_PARAMETER + "|" + _FAST_VARIABLE
                       + ")(?=[" + _SPACE_CHARS + "]|\\Z))+")
# str.split() also splits at these, which PowerShell reads as ordinary characters.
_SPLIT_UNSAFE = re.compile("[\x1c-\x1f]")
_FAST_TOKEN = re.compile("(" + _FAST_WORD + ")|(" + _FAST_PARAMETER + ")|(" + _FAST_VARIABLE + ")")
# No plain token starts with these (the fast paths are not tried).
_NOT_PLAIN = frozenset("\r\n;|&(){},`'\"@#<>\0" + _SQ + _DQ)
_PLAIN_RUN = re.compile("[^" + _SPACE_CHARS + "\r\n\0&(),;{|}`$" + _SQ + _DQ + "]+")
_DQ_RUN = re.compile("[^`$" + _DQ + "]+")
_HERE_DQ_RUN = re.compile("[^`$\r\n]+")
_SQ_CHAR = re.compile("[" + _SQ + "]")
_NEWLINE = re.compile("[\r\n]")
_BALANCE_STOP = re.compile("[`(){}" + _SQ + _DQ + "]")
_OPEN_RUN = re.compile("[({]+")
_CLOSE_RUN = re.compile("[)}]+")
_VARIABLE_NAME = re.compile(r"(?:[^\W]|\?|:(?!:))+")  # letters, digits, _, ?, and a scope/drive colon
_PARAMETER_END = frozenset(_SPACE_CHARS + "{}();,|&.[\r\n\0")
_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_UNICODE_ESCAPE = re.compile(r"u\{([0-9a-fA-F]{1,6})\}")
# A number in command position is an expression (`7z` is a program, `1kb` and `1..9` are numbers).
_NUMBER_START = frozenset("0123456789.+-")
_NUMBER = re.compile(r"[+-]?(?:0x[0-9a-f]+|0b[01]+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(?:[ldn]|u[lsy]?|y|s)?"
                     r"(?:[kmgtp]b)?(?:\.\..*)?", re.IGNORECASE | re.DOTALL)

# Keywords that open a compound statement; flow keywords (exit, return, break, continue, throw) are plain.
_STATEMENT_KEYWORDS = frozenset({"if", "elseif", "else", "switch", "foreach", "for", "while", "until", "do", "try",
                                 "catch", "finally", "trap", "data", "function", "filter", "workflow", "param",
                                 "class", "enum", "using", "configuration", "begin", "process", "end", "clean",
                                 "dynamicparam", "parallel", "sequence", "inlinescript", "hidden", "static",
                                 "from", "define", "var"})
_DEFINING_KEYWORDS = frozenset({"function", "filter", "workflow", "class", "using", "configuration"})
_ASSIGNMENT_OPS = frozenset({"=", "+=", "-=", "*=", "/=", "%=", "??="})

# ---- names ----------------------------------------------------------------------------------------

# PowerShell 7's built-in aliases on every platform (Windows PowerShell 5.1 lacks a few, gerr ral fhx: there
# the name is simply not found).
_ALIASES_ALL = """
foreach ForEach-Object|% ForEach-Object|where Where-Object|? Where-Object|clc Clear-Content|cli Clear-Item
clp Clear-ItemProperty|clv Clear-Variable|cpi Copy-Item|cvpa Convert-Path|dbp Disable-PSBreakpoint
ebp Enable-PSBreakpoint|epal Export-Alias|epcsv Export-Csv|fl Format-List|ft Format-Table|fw Format-Wide
gal Get-Alias|gbp Get-PSBreakpoint|gc Get-Content|gci Get-ChildItem|gcm Get-Command|gdr Get-PSDrive
gcs Get-PSCallStack|ghy Get-History|gi Get-Item|gl Get-Location|gm Get-Member|gmo Get-Module
gp Get-ItemProperty|gpv Get-ItemPropertyValue|gps Get-Process|group Group-Object|gu Get-Unique|gv Get-Variable
iex Invoke-Expression|ihy Invoke-History|ii Invoke-Item|ipmo Import-Module|ipal Import-Alias|ipcsv Import-Csv
measure Measure-Object|mi Move-Item|mp Move-ItemProperty|nal New-Alias|ndr New-PSDrive|ni New-Item
nv New-Variable|nmo New-Module|oh Out-Host|rbp Remove-PSBreakpoint|rdr Remove-PSDrive|ri Remove-Item
rni Rename-Item|rnp Rename-ItemProperty|rp Remove-ItemProperty|rmo Remove-Module|rv Remove-Variable
gerr Get-Error|rvpa Resolve-Path|sal Set-Alias|sbp Set-PSBreakpoint|select Select-Object|si Set-Item
sl Set-Location|sp Set-ItemProperty|saps Start-Process|spps Stop-Process|sv Set-Variable
irm Invoke-RestMethod|iwr Invoke-WebRequest|cd Set-Location|dir Get-ChildItem|echo Write-Output
fc Format-Custom|pwd Get-Location|type Get-Content|h Get-History|history Get-History|popd Pop-Location
pushd Push-Location|r Invoke-History|cls Clear-Host|chdir Set-Location|copy Copy-Item|del Remove-Item
erase Remove-Item|move Move-Item|rd Remove-Item|ren Rename-Item|set Set-Variable|icm Invoke-Command
clhy Clear-History|gjb Get-Job|rcjb Receive-Job|rjb Remove-Job|sajb Start-Job|spjb Stop-Job|wjb Wait-Job
nsn New-PSSession|gsn Get-PSSession|rsn Remove-PSSession|etsn Enter-PSSession|rcsn Receive-PSSession
exsn Exit-PSSession|sls Select-String|fhx Format-Hex|gcb Get-Clipboard|scb Set-Clipboard|gtz Get-TimeZone
ral Remove-Alias|help Get-Help|cd.. Set-Location|cd\\ Set-Location|cd~ Set-Location
"""
# Only on Windows (PowerShell 7's `#if !UNIX` entries, all of which 5.1 has too, and the mkdir function); on
# Linux and macOS these names run the native programs. These first ones do the same kind of thing there
# (`ls` lists, `rm` removes), so an allow rule on the cmdlet covers them everywhere, as the docs' example
# (`PowerShell(Get-ChildItem *)` matches `ls`) says without naming a platform.
_ALIASES_WINDOWS_ALIKE = """
ls Get-ChildItem|cat Get-Content|cp Copy-Item|mv Move-Item|rm Remove-Item|rmdir Remove-Item|ps Get-Process
kill Stop-Process|sleep Start-Sleep|clear Clear-Host|tee Tee-Object|diff Compare-Object|mkdir New-Item|md New-Item
"""
# ...and these do not (`sort -o` writes a file, `man -P` runs a pager command, `mount`, `cpp`, `compare` are
# other programs altogether).
_ALIASES_WINDOWS = """
ac Add-Content|compare Compare-Object|cpp Copy-ItemProperty|gsv Get-Service|sort Sort-Object|start Start-Process
sasv Start-Service|spsv Stop-Service|write Write-Output|man Get-Help|mount New-PSDrive|cnsn Connect-PSSession
dnsn Disconnect-PSSession|ogv Out-GridView|shcm Show-Command|gin Get-ComputerInfo|stz Set-TimeZone
gcim Get-CimInstance|scim Set-CimInstance|ncim New-CimInstance|rcim Remove-CimInstance|icim Invoke-CimMethod
gcai Get-CimAssociatedInstance|rcie Register-CimIndicationEvent|ncms New-CimSession|rcms Remove-CimSession
gcms Get-CimSession|ncso New-CimSessionOption|gcls Get-CimClass
"""
# Only in Windows PowerShell 5.1: PowerShell 7 dropped them (curl.exe, sc.exe and wget are real programs).
_ALIASES_PS5 = """
curl Invoke-WebRequest|wget Invoke-WebRequest|sc Set-Content|gwmi Get-WmiObject|iwmi Invoke-WmiMethod
rwmi Remove-WmiObject|swmi Set-WmiInstance|trcm Trace-Command|sujb Suspend-Job|rujb Resume-Job
npssc New-PSSessionConfigurationFile|ipsn Import-PSSession|epsn Export-PSSession|asnp Add-PSSnapin
gsnp Get-PSSnapin|rsnp Remove-PSSnapin|lp Out-Printer|ise powershell_ise.exe
"""


def _alias_table(*blocks: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for block in blocks:
        for entry in block.replace("\n", "|").split("|"):
            if entry.strip():
                alias, target = entry.split()
                table[alias.lower()] = target
    return table


ALIASES_EVERYWHERE = _alias_table(_ALIASES_ALL)  # PowerShell resolves these on every system
ALIASES_UNIX = _alias_table(_ALIASES_ALL, _ALIASES_WINDOWS_ALIKE)  # what an allow rule resolves on Linux, macOS
ALIASES_WINDOWS = _alias_table(_ALIASES_ALL, _ALIASES_WINDOWS_ALIKE, _ALIASES_WINDOWS)  # ...and on Windows
ALIASES_ANY = _alias_table(_ALIASES_ALL, _ALIASES_WINDOWS_ALIKE, _ALIASES_WINDOWS, _ALIASES_PS5)  # deny, ask
_ALIASES_OF: dict[str, list[str]] = {}  # lowercase cmdlet -> its aliases: a deny rule may be written with one
for _alias, _cmdlet in ALIASES_ANY.items():
    _ALIASES_OF.setdefault(_cmdlet.lower(), []).append(_alias)
del _alias, _cmdlet

# Cmdlet names in their canonical capitalisation (PowerShell 7's cmdlets and common module commands).
_CMDLETS = """
Add-Content Add-History Add-Member Add-PSSnapin Add-Type Clear-Content Clear-History Clear-Host Clear-Item
Clear-ItemProperty Clear-RecycleBin Clear-Variable Compare-Object Compress-Archive Connect-PSSession
Convert-Path ConvertFrom-CliXml ConvertFrom-Csv ConvertFrom-Json ConvertFrom-SecureString ConvertFrom-StringData
ConvertTo-CliXml ConvertTo-Csv ConvertTo-Html ConvertTo-Json ConvertTo-SecureString ConvertTo-Xml Copy-Item
Copy-ItemProperty Debug-Job Debug-Process Disable-PSBreakpoint Disconnect-PSSession Enable-PSBreakpoint
Enter-PSHostProcess Enter-PSSession Exit-PSHostProcess Exit-PSSession Expand-Archive Export-Alias Export-Clixml
Export-Csv Export-FormatData Export-ModuleMember Export-PSSession Find-Module Find-PSResource ForEach-Object
Format-Custom Format-Hex Format-List Format-Table Format-Wide Get-Acl Get-Alias Get-AuthenticodeSignature
Get-ChildItem Get-CimAssociatedInstance Get-CimClass Get-CimInstance Get-CimSession Get-Clipboard Get-Command
Get-ComputerInfo Get-Content Get-Counter Get-Credential Get-Culture Get-Date Get-Error Get-Event Get-EventLog
Get-ExecutionPolicy Get-FileHash Get-FormatData Get-Help Get-History Get-Host Get-HotFix Get-Item
Get-ItemProperty Get-ItemPropertyValue Get-Job Get-Location Get-Member Get-Module Get-PSBreakpoint
Get-PSCallStack Get-PSDrive Get-PSProvider Get-PSReadLineOption Get-PSSession Get-PSSnapin Get-Process
Get-Random Get-Runspace Get-SecureRandom Get-Service Get-TimeZone Get-TraceSource Get-TypeData Get-UICulture
Get-Unique Get-Uptime Get-Variable Get-Verb Get-WinEvent Get-WmiObject Group-Object Import-Alias Import-Clixml
Import-Csv Import-LocalizedData Import-Module Import-PSSession Import-PowerShellDataFile Install-Module
Install-PSResource Invoke-CimMethod Invoke-Command Invoke-Expression Invoke-History Invoke-Item
Invoke-RestMethod Invoke-WebRequest Invoke-WmiMethod Join-Path Join-String Measure-Command Measure-Object
Move-Item Move-ItemProperty New-Alias New-CimInstance New-CimSession New-CimSessionOption New-Event New-Guid
New-Item New-ItemProperty New-Module New-ModuleManifest New-Object New-PSDrive New-PSSession
New-PSSessionConfigurationFile New-PSSessionOption New-Service New-TemporaryFile New-TimeSpan New-Variable
Out-Default Out-File Out-GridView Out-Host Out-Null Out-Printer Out-String Pop-Location Push-Location Read-Host
Receive-Job Receive-PSSession Register-ArgumentCompleter Register-CimIndicationEvent Register-EngineEvent
Register-ObjectEvent Register-ScheduledJob Register-ScheduledTask Remove-Alias Remove-CimInstance
Remove-CimSession Remove-Event Remove-Item Remove-ItemProperty Remove-Job Remove-Module Remove-PSBreakpoint
Remove-PSDrive Remove-PSSession Remove-PSSnapin Remove-Service Remove-TypeData Remove-Variable Remove-WmiObject
Rename-Computer Rename-Item Rename-ItemProperty Resolve-Path Restart-Computer Restart-Service Resume-Job
Resume-Service Save-Help Save-Module Select-Object Select-String Select-Xml Send-MailMessage Set-Acl Set-Alias
Set-AuthenticodeSignature Set-CimInstance Set-Clipboard Set-Content Set-Date Set-ExecutionPolicy Set-Item
Set-ItemProperty Set-Location Set-PSBreakpoint Set-PSDebug Set-PSReadLineOption Set-Service Set-StrictMode
Set-TimeZone Set-TraceSource Set-Variable Set-WmiInstance Show-Command Sort-Object Split-Path Start-Job
Start-Process Start-Service Start-Sleep Start-ThreadJob Start-Transcript Stop-Computer Stop-Job Stop-Process
Stop-Service Stop-Transcript Suspend-Job Suspend-Service Switch-Process Tee-Object Test-Connection Test-Json
Test-ModuleManifest Test-Path Trace-Command Unblock-File Uninstall-Module Unregister-Event Update-FormatData
Update-Help Update-Module Update-TypeData Wait-Debugger Wait-Event Wait-Job Wait-Process Where-Object
Write-Debug Write-Error Write-Host Write-Information Write-Output Write-Progress Write-Verbose Write-Warning
"""
CMDLETS = {name.lower(): name for name in _CMDLETS.split()}
# Modules whose qualifier (`Microsoft.PowerShell.Management\Remove-Item`) names a built-in command for sure.
BUILTIN_MODULES = frozenset({"microsoft.powershell.management", "microsoft.powershell.utility",
                             "microsoft.powershell.core", "microsoft.powershell.security",
                             "microsoft.powershell.diagnostics", "microsoft.powershell.host",
                             "microsoft.powershell.archive", "microsoft.powershell.psresourceget",
                             "microsoft.wsman.management", "cimcmdlets", "psreadline", "powershellget",
                             "packagemanagement", "threadjob", "psscheduledjob", "scheduledtasks"})

# Commands whose effect the text cannot fix (lowercase canonical names).
_RUNS_OTHER_CODE = {
    "invoke-expression": "Invoke-Expression runs a string as code",
    "invoke-command": "Invoke-Command runs a script block",
    "start-process": "Start-Process runs another program",
    "start-job": "Start-Job runs a script block", "start-threadjob": "Start-ThreadJob runs a script block",
    "foreach-object": "ForEach-Object runs a script block or calls a method",
    "invoke-item": "Invoke-Item opens a file with the program associated with it",
    "invoke-history": "Invoke-History runs an earlier command",
    "add-type": "Add-Type compiles and loads code",
    "import-module": "Import-Module runs the module's code", "new-module": "New-Module runs a script block",
    "invoke-cimmethod": "Invoke-CimMethod calls a method (it can start processes)",
    "invoke-wmimethod": "Invoke-WmiMethod calls a method (it can start processes)",
    "register-scheduledtask": "Register-ScheduledTask schedules a program",
    "register-scheduledjob": "Register-ScheduledJob schedules a script block",
    "enter-pssession": "Enter-PSSession runs commands elsewhere", "switch-process": "Switch-Process runs another program",
    "exec": "exec replaces PowerShell with another program",
}
_REDEFINES = frozenset({"set-alias", "new-alias", "import-alias", "remove-alias", "import-module", "remove-module",
                        "new-module", "invoke-expression"} | _DEFINING_KEYWORDS)
_REDEFINING_TEXT = ("alias:", "function:", "env:path", "env:psmodulepath", "$executioncontext")
_START_PROCESS_VALUES = ("workingdirectory", "verb", "windowstyle", "credential", "environment",
                         "redirectstandardinput", "redirectstandardoutput", "redirectstandarderror")
_POWERSHELL_VALUES = ("executionpolicy", "windowstyle", "configurationname", "configurationfile", "inputformat",
                      "outputformat", "psconsolefile", "version", "workingdirectory", "settingsfile", "custompipename")
_POWERSHELLS = frozenset({"powershell", "pwsh", "powershell.exe", "pwsh.exe"})
_POSIX_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "fish", "bash.exe", "sh.exe"})
# Names command_checks looks at more closely (besides paths and names with a dot, like pwsh.exe).
_SPECIAL_NAMES = frozenset({"invoke-expression", "start-process", "exec", "cmd", "powershell", "pwsh", "sh", "bash",
                            "zsh", "dash", "ksh", "fish"})


def _mentions_definitions(words: list) -> bool:
    """Whether a word names the alias:, function: or env:PATH drive (`Set-Item function:gci {...}`)."""
    for word in words:
        raw = word.raw
        if ":" in raw and word.kind not in ("sub", "block"):
            lowered = raw.lower()
            if any(marker in lowered for marker in _REDEFINING_TEXT):
                return True
    return False


def _aliases_for(platform: str | None) -> dict[str, str]:
    if platform == "any":
        return ALIASES_ANY
    platform = sys.platform if platform is None else platform
    return ALIASES_WINDOWS if platform.startswith(("win", "cygwin", "msys")) else ALIASES_UNIX


@lru_cache(maxsize=4096)
def canonical_name(name: str, platform: str | None = "any") -> str:
    """The cmdlet `name` runs, in canonical capitalisation (`RM` -> `Remove-Item`); unknown names unchanged.

    `platform="any"` resolves an alias of any edition on any system; `None` (this machine) or a `sys.platform`
    value resolves only the aliases an allow rule may follow there: those of PowerShell 7 and 5.1 alike on
    Windows, and on Linux and macOS the ones whose native namesake does the same (ls, rm...). A module qualifier
    is dropped (`Microsoft.PowerShell.Management\\Remove-Item`), and `.exe` from a bare name that is neither an
    alias nor a cmdlet (`git.exe` -> `git`, but `where.exe` stays: `where` is Where-Object).
    """
    if not name:
        return name
    lowered = name.lower()
    if "\\" in name and ":" not in name and "/" not in name:
        module, _, command = name.rpartition("\\")
        if module.lower() in BUILTIN_MODULES and command:
            return CMDLETS.get(command.lower(), command)  # a qualified name skips aliases
    aliases = _aliases_for(platform)
    target = aliases.get(lowered)
    if target is not None:
        return target
    known = CMDLETS.get(lowered)
    if known is not None:
        return known
    if lowered.endswith(".exe") and len(name) > 4 and not any(c in name for c in "\\/:"):
        stem = lowered[:-4]
        if stem not in ALIASES_ANY and stem not in CMDLETS:
            return name[:-4]
    return name


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


# ---- words ----------------------------------------------------------------------------------------

class PSWord(Word):
    """A Word with what PowerShell made of it: `kind` is bare, string, var, param, sub, block or splat."""

    __slots__ = ("kind", "items", "bound")

    def __init__(self, value: str, raw: str, kind: str = "bare"):
        # Not Word.__init__: on the hot path; Word answers its newer flags (quoted, uncertain...) by default.
        self.value = value
        self.raw = raw
        self.expands = False
        self.globbed = False
        self.kind = kind
        self.items: list | None = None  # the elements of a comma array `a,b`
        self.bound: PSWord | None = None  # the value written onto a parameter: `-Path:x`


class _Builder:
    """A pipeline element being read."""

    __slots__ = ("words", "redirects", "reasons", "call", "dot", "after_pipe", "join_next", "arrays")

    def __init__(self, after_pipe: bool = False):
        self.words: list[PSWord] = []
        self.redirects: list[Redirect] = []
        self.reasons: list[str] = []
        self.call = False  # `& target`
        self.dot = False  # `. target`
        self.after_pipe = after_pipe
        self.join_next = False  # a `,` was read: the next word is another array element
        self.arrays = False  # some word is a comma array whose spelling is built when the part closes

    def mark(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)

    def empty(self) -> bool:
        return not self.words and not self.redirects and not self.call and not self.dot


class _Out:
    __slots__ = ("top", "nested", "taint", "redefined", "count", "full")

    def __init__(self):
        self.count = 0  # parts so far, top and nested
        self.full = False
        self.top: list[Part] = []
        self.nested: list[Part] = []
        self.taint: str | None = None  # the command as a whole cannot be read with certainty
        self.redefined: str | None = None  # a command so far can change what later names mean


class _Scanner:
    __slots__ = ("text", "n", "pos", "out", "depth", "code_depth")

    def __init__(self, text: str, out: _Out, depth: int):
        self.text = text
        self.n = len(text)
        self.pos = 0
        self.out = out
        self.depth = depth  # brackets open around the position
        self.code_depth = 0  # strings read again as code (Invoke-Expression, pwsh -Command) around this text

    def taint(self, reason: str) -> None:
        if self.out.taint is None:
            self.out.taint = reason

    # ---- statements ---------------------------------------------------------------------------

    def statements(self, closer: str, nested: bool) -> bool:
        """Read statements until `closer` (consumed) or the end; False if `closer` never came."""
        text, n = self.text, self.n
        fast = _FAST_TOKEN.match
        out = self.out
        part = _Builder()
        pos = self.pos
        run_of = _FAST_RUN.match
        while pos < n:
            char = text[pos]
            if char in _SPACES:
                pos = _SPACE_RUN.match(text, pos).end()
                if pos >= n:
                    break
                char = text[pos]
            if char not in _NOT_PLAIN:
                match = run_of(text, pos)  # several plain tokens in a row, split at once
                if match is not None and match.end() - pos > 16 and not part.join_next:
                    run = match.group()
                    if _SPLIT_UNSAFE.search(run) is None:
                        words = part.words
                        for raw in run.split():
                            first = raw[0]
                            if first == "$":
                                word = PSWord(raw, raw, "var")
                                word.expands = True
                            elif first in _DASHES:
                                word = PSWord("-" + raw[1:], raw, "param")
                            else:
                                word = PSWord(raw, raw)
                                if "*" in raw or "?" in raw or "[" in raw:
                                    word.globbed = True
                            words.append(word)
                        pos = match.end()
                        continue
                match = fast(text, pos)  # one plain token
                if match is not None:
                    group = match.lastindex
                    end = match.end()
                    word = None
                    if group == 1:
                        raw = match.group(1)
                        word = PSWord(raw, raw)
                        if "*" in raw or "?" in raw or "[" in raw:
                            word.globbed = True
                    elif group == 2:
                        if not (end < n and text[end - 1] == ":" and text[end] not in _ENDS_WORD):
                            raw = match.group(2)
                            word = PSWord("-" + raw[1:], raw, "param")
                    else:
                        raw = match.group(3)
                        word = PSWord(raw, raw, "var")
                        word.expands = True
                    if word is not None:
                        if part.join_next and part.words:
                            _join(part, word)
                        else:
                            part.words.append(word)
                        part.join_next = False
                        pos = end
                        continue
            nxt = text[pos + 1] if pos + 1 < n else ""
            if char == "\n" or char == "\r" or char == ";":
                if not part.empty():
                    self.close(part, nested)
                    part = _Builder()
                    if out.full:
                        self.pos = n
                        return True
                pos = _SEPARATOR_RUN.match(text, pos).end()
                continue
            if char == "|":
                self.close(part, nested)
                part = _Builder(after_pipe=nxt != "|")
                pos += 2 if nxt == "|" else 1
                if out.full:
                    self.pos = n
                    return True
                continue
            if char == "&":
                if nxt == "&":
                    self.close(part, nested)
                    part = _Builder()
                    pos += 2
                elif part.empty():
                    part.call = True
                    part.mark("call operator &")
                    pos += 1
                else:  # PowerShell 7's background operator ends the pipeline
                    self.close(part, nested)
                    part = _Builder()
                    pos += 1
                continue
            if closer and char == closer:
                self.pos = pos + 1
                self.close(part, nested)
                return True
            if char == ")" or char == "}":
                self.taint(f"unbalanced {char!r}")
                pos += 1
                continue
            if char == "#":
                found = _NEWLINE.search(text, pos)
                pos = found.start() if found else n
                continue
            if char == "<" and nxt == "#":
                close = text.find("#>", pos + 2)
                if close < 0:
                    self.taint("unterminated block comment <#")
                    pos = n
                else:
                    pos = close + 2
                continue
            if char == "`":
                if nxt == "\r" or nxt == "\n":
                    pos += 3 if text.startswith("\r\n", pos + 1) else 2
                    continue
                if not nxt:
                    self.taint("backtick at the end of the command")
                    pos = n
                    continue
                if nxt in _SPACES:
                    pos += 2
                    continue
            if char == "\0":
                self.taint("NUL character in the command")
                pos += 1
                continue
            if char == ",":
                part.join_next = True
                pos += 1
                continue
            self.pos = pos
            if out.full:
                self.pos = n
                return True
            if not self.redirection(part):
                word = self.word(part, first=not part.words and not part.call and not part.dot)
                if word is not None and word.kind == "param" and word.raw.endswith(":") and self.pos < n \
                        and text[self.pos] not in _ENDS_WORD:
                    word = _bound_parameter(word, self.word(part, first=False))  # -Path:C:\x is one word
                if word is not None:
                    if part.join_next and part.words:
                        _join(part, word)
                    else:
                        part.words.append(word)
                    part.join_next = False
                    if word.kind == "bare" and word.raw == "--%":
                        self.verbatim(part)
            pos = self.pos
            if out.full:
                self.pos = n
                return True
        self.pos = pos
        self.close(part, nested)
        return not closer

    def verbatim(self, part: _Builder) -> None:
        """After `--%` the rest of the line goes to the program as written (until `|` or `&&` outside quotes)."""
        text, n = self.text, self.n
        pos = _SPACE_RUN.match(text, self.pos).end() if self.pos < n and text[self.pos] in _SPACES else self.pos
        start, quoted = pos, False
        while pos < n:
            char = text[pos]
            if char in "\r\n":
                break
            if char in _DQ:
                quoted = not quoted
            elif not quoted and (char == "|" or text.startswith("&&", pos)):
                break
            pos += 1
        self.pos = pos
        part.mark("stop-parsing token --% passes text PowerShell does not read")
        if pos > start:
            word = PSWord(text[start:pos], text[start:pos])
            word.expands = "%" in word.value  # cmd-style %VARIABLES% are expanded
            part.words.append(word)

    def redirection(self, part: _Builder) -> bool:
        text, n, pos = self.text, self.n, self.pos
        char = text[pos]
        nxt = text[pos + 1] if pos + 1 < n else ""
        if char == ">":
            op = ">>" if nxt == ">" else ">"
        elif char in "123456*" and nxt == ">":
            after = text[pos + 2] if pos + 2 < n else ""
            if after == ">":
                op = text[pos:pos + 3]
            elif after == "&" and pos + 3 < n and text[pos + 3] in ("1" if char == "*" else "12"):
                self.pos = pos + 4
                part.redirects.append(Redirect(text[pos:pos + 4], None, ""))
                return True
            else:
                op = text[pos:pos + 2]
        elif char == "<":
            op = "<"
            part.mark("input redirection < (PowerShell rejects it)")
        else:
            return False
        self.pos = pos + len(op)
        if self.pos < n and text[self.pos] in _SPACES:
            self.pos = _SPACE_RUN.match(text, self.pos).end()
        if self.pos >= n or text[self.pos] in "\r\n;|&)}#,\0":
            part.mark(f"redirection {op} without a target")
            part.redirects.append(Redirect(op, None, ""))
            return True
        target = self.word(part, first=False)
        if target is None:
            part.mark(f"redirection {op} without a target")
            part.redirects.append(Redirect(op, None, ""))
        elif target.value.lower() in ("$null", "${null}"):
            part.redirects.append(Redirect(op, None, target.raw))  # discarded, like /dev/null
        else:
            part.redirects.append(Redirect(op, target, target.raw))
        return True

    # ---- words --------------------------------------------------------------------------------

    def word(self, part: _Builder, first: bool) -> PSWord | None:
        text, n, pos = self.text, self.n, self.pos
        char = text[pos]
        nxt = text[pos + 1] if pos + 1 < n else ""
        if char in _SQ:
            word = PSWord(self.single_quoted(), "", "string")
            word.raw = text[pos:self.pos]
            word.quoted = True
            return word
        if char in _DQ:
            word = PSWord("", "", "string")
            word.value = self.double_quoted(part, word)
            word.raw = text[pos:self.pos]
            word.quoted = True
            return word
        if char == "@":
            if nxt == "(" or nxt == "{":
                self.pos = pos + 2
                self.block(")" if nxt == "(" else "}")
                return self.sub_word(pos, "sub", part, "array subexpression @(...)" if nxt == "("
                                     else "hashtable @{...}")
            if nxt and (nxt in _SQ or nxt in _DQ):
                return self.here_string(part)
            if nxt and (nxt.isalnum() or nxt in "_?:^$"):
                end = self.variable_end(pos + 1)
                self.pos = end
                return self.sub_word(pos, "splat", part,
                                     f"splatting {text[pos:end]} passes parameters only known at run time")
        if char == "$" and nxt == "(":
            self.pos = pos + 2
            self.block(")")
            return self.sub_word(pos, "sub", part, "subexpression $(...)")
        if char == "(":
            self.pos = pos + 1
            self.block(")")
            return self.sub_word(pos, "sub", part, "parenthesised pipeline (...)")
        if char == "{":
            self.pos = pos + 1
            self.block("}")
            return self.sub_word(pos, "block", part, "script block {...}")
        if char == "$" and nxt and (nxt == "{" or nxt.isalnum() or nxt in "_?:^$"):
            end = self.variable_end(pos + 1)
            after = text[end] if end < n else ""
            # A statement that starts with a variable is an expression: `$x>out.txt` redirects there.
            if not after or after in _ENDS_WORD or first and after in "<>":
                self.pos = end
                word = PSWord(text[pos:end], text[pos:end], "var")
                word.expands = True
                return word
            if after == "." or after == "[":
                part.mark("member access or method call on a variable")
            return self.generic(part)
        if char in _DASHES and nxt and (nxt.isalpha() or nxt in "_?"):
            return self.parameter(part)
        if char == "." and first and (not nxt or nxt in _ENDS_WORD or nxt in "$" + _SQ + _DQ):
            self.pos = pos + 1
            part.dot = True
            part.mark("dot-sourcing runs a script in this scope")
            return None
        return self.generic(part)

    def sub_word(self, start: int, kind: str, part: _Builder, reason: str) -> PSWord:
        """A word that runs code or whose value only run time knows: the part is uncertain for it."""
        part.mark(reason)
        raw = self.text[start:self.pos]
        word = PSWord(raw, raw, kind)
        word.expands = True
        word.uncertain = reason
        return word

    def generic(self, part: _Builder) -> PSWord:
        """A bareword: it runs to the next space or `& ( ) , ; { | }`, taking quotes, escapes and `$` along."""
        text, n = self.text, self.n
        start = pos = self.pos
        value: list[str] = []
        word = PSWord("", "")
        while pos < n:
            match = _PLAIN_RUN.match(text, pos)
            if match:
                chunk = match.group()
                if not word.globbed and ("*" in chunk or "?" in chunk or "[" in chunk):
                    word.globbed = True
                value.append(chunk)
                pos = match.end()
                continue
            char = text[pos]
            if char in _ENDS_WORD:
                break
            if char == "`":
                pos = self.escape(pos, value)
            elif char in _SQ:
                self.pos = pos
                value.append(self.single_quoted())
                pos = self.pos
                word.quoted = True
            elif char in _DQ:
                self.pos = pos
                value.append(self.double_quoted(part, word))
                pos = self.pos
                word.quoted = True
            else:  # `$`
                self.pos = pos
                value.append(self.dollar(part, word))
                pos = self.pos
        self.pos = pos
        word.value = "".join(value)
        word.raw = text[start:pos]
        return word

    def escape(self, pos: int, value: list[str]) -> int:
        """A backtick and the character it escapes (`n is a newline); returns the position after them."""
        text = self.text
        if pos + 1 >= self.n:
            value.append("`")
            return pos + 1
        nxt = text[pos + 1]
        if nxt == "u":
            match = _UNICODE_ESCAPE.match(text, pos + 1)
            if match and int(match.group(1), 16) <= 0x10FFFF:
                value.append(chr(int(match.group(1), 16)))
                return match.end()
        if nxt == "\r" and text.startswith("\r\n", pos + 1):
            value.append("\r\n")
            return pos + 3
        value.append(_ESCAPES.get(nxt, nxt))
        return pos + 2

    def parameter(self, part: _Builder) -> PSWord:
        text, n = self.text, self.n
        start = pos = self.pos
        while pos + 1 < n:
            char = text[pos + 1]
            if char in _PARAMETER_END:
                break
            if char in _SQ or char in _DQ:  # a quote makes the whole token an argument
                self.pos = start
                return self.generic(part)
            pos += 1
            if char == ":":
                break
        self.pos = pos + 1
        raw = text[start:self.pos]
        return PSWord("-" + raw[1:], raw, "param")  # en and em dashes introduce parameters too

    def variable_end(self, pos: int) -> int:
        """The end of a variable name starting at `pos` (just after `$` or `@`)."""
        text, n = self.text, self.n
        if pos >= n:
            return pos
        char = text[pos]
        if char == "{":
            index = pos + 1
            while index < n:
                if text[index] == "`":
                    index += 2
                    continue
                if text[index] == "}":
                    return index + 1
                index += 1
            self.taint("unterminated ${...} variable")
            return n
        if char in "$?^":
            return pos + 1
        match = _VARIABLE_NAME.match(text, pos)
        return match.end() if match else pos

    def dollar(self, part: _Builder, word: PSWord) -> str:
        """`$` inside an expandable string or a bareword: a variable or a subexpression, else itself."""
        text, n, pos = self.text, self.n, self.pos
        nxt = text[pos + 1] if pos + 1 < n else ""
        if nxt == "(":
            self.pos = pos + 2
            self.block(")")
            part.mark("subexpression $(...)")
        elif nxt and (nxt == "{" or nxt.isalnum() or nxt in "_?:^$"):
            self.pos = self.variable_end(pos + 1)
        else:
            self.pos = pos + 1
            return "$"
        word.expands = True
        return text[pos:self.pos]

    def single_quoted(self) -> str:
        """A '...' string from its opening quote; `''` is one quote. Leaves pos after the closing quote."""
        text, n = self.text, self.n
        pos = self.pos + 1
        value: list[str] = []
        while True:
            found = _SQ_CHAR.search(text, pos)
            if found is None:
                self.taint("unbalanced single quote")
                value.append(text[pos:])
                self.pos = n
                return "".join(value)
            close = found.start()
            value.append(text[pos:close])
            if close + 1 < n and text[close + 1] in _SQ:
                value.append(text[close + 1])
                pos = close + 2
                continue
            self.pos = close + 1
            return "".join(value)

    def double_quoted(self, part: _Builder, word: PSWord) -> str:
        """A "..." string from its opening quote: backtick escapes, `""`, variables and $(...) inside."""
        text, n = self.text, self.n
        pos = self.pos + 1
        value: list[str] = []
        while pos < n:
            match = _DQ_RUN.match(text, pos)
            if match:
                value.append(match.group())
                pos = match.end()
                continue
            char = text[pos]
            if char in _DQ:
                if pos + 1 < n and text[pos + 1] in _DQ:
                    value.append(text[pos + 1])
                    pos += 2
                    continue
                self.pos = pos + 1
                return "".join(value)
            if char == "`":
                pos = self.escape(pos, value)
            else:
                self.pos = pos
                value.append(self.dollar(part, word))
                pos = self.pos
        self.taint("unbalanced double quote")
        self.pos = n
        return "".join(value)

    def here_string(self, part: _Builder) -> PSWord:
        """`@'...'@` or `@"..."@`: the header ends its line, the footer starts one."""
        text, n = self.text, self.n
        start = self.pos
        quotes = _SQ if text[start + 1] in _SQ else _DQ
        pos = start + 2
        if pos < n and text[pos] in _SPACES:
            pos = _SPACE_RUN.match(text, pos).end()
        if pos >= n or text[pos] not in "\r\n":
            self.taint("here-string header not followed by a newline")
            end = _NEWLINE.search(text, pos)
            self.pos = end.start() if end else n
            return PSWord(text[start:self.pos], text[start:self.pos], "string")
        pos += 2 if text.startswith("\r\n", pos) else 1
        word = PSWord("", "", "string")
        word.quoted = True
        value: list[str] = []
        line_start = True
        while pos < n:
            char = text[pos]
            if line_start and char in quotes and pos + 1 < n and text[pos + 1] == "@":
                self.pos = pos + 2
                body = "".join(value)
                word.value = body[:-2] if body.endswith("\r\n") else body[:-1] if body.endswith(("\n", "\r")) \
                    else body
                word.raw = text[start:self.pos]
                return word
            line_start = False
            if char in "\r\n":
                value.append(char)
                pos += 1
                if char == "\r" and pos < n and text[pos] == "\n":
                    value.append("\n")
                    pos += 1
                line_start = True
            elif quotes is _SQ:
                found = _NEWLINE.search(text, pos)
                end = found.start() if found else n
                value.append(text[pos:end])
                pos = end
            else:
                match = _HERE_DQ_RUN.match(text, pos)
                if match:
                    value.append(match.group())
                    pos = match.end()
                elif char == "`":
                    pos = self.escape(pos, value)
                else:
                    self.pos = pos
                    value.append(self.dollar(part, word))
                    pos = self.pos
        self.taint("unterminated here-string")
        self.pos = n
        word.value = "".join(value)
        word.raw = text[start:n]
        return word

    # ---- nesting ------------------------------------------------------------------------------

    def block(self, closer: str) -> None:
        """The statements inside a bracket whose opening was just read; they become nested parts."""
        if self.depth >= MAX_DEPTH:
            self.taint("brackets nested too deeply")
            self.skip_balanced(closer)
            return
        self.depth += 1
        closed = self.statements(closer, nested=True)
        self.depth -= 1
        if not closed:
            self.taint(f"unbalanced {'(' if closer == ')' else '{'}")

    def skip_balanced(self, closer: str) -> None:
        """Past the matching bracket, counting brackets and skipping quoted text, without reading commands."""
        text, n = self.text, self.n
        pos, depth = self.pos, 1
        while True:
            found = _BALANCE_STOP.search(text, pos)
            if found is None:
                self.pos = n
                return
            pos = found.start()
            char = text[pos]
            if char == "`":
                pos += 2
            elif char in _SQ or char in _DQ:
                close = text.find(char, pos + 1)
                pos = n if close < 0 else close + 1
            elif char in "({":
                run = _OPEN_RUN.match(text, pos).end() - pos
                depth += run
                pos += run
            else:
                run = _CLOSE_RUN.match(text, pos).end() - pos
                if run >= depth:
                    self.pos = pos + depth
                    return
                depth -= run
                pos += run

    # ---- parts --------------------------------------------------------------------------------

    def close(self, builder: _Builder, nested: bool) -> None:
        if builder.empty():
            return
        if builder.arrays:
            _spell_arrays(builder.words)
        name = ""
        if not builder.words:
            builder.mark("call operator or dot-sourcing without a command" if builder.call or builder.dot
                         else "redirection without a command")
        else:
            name = self.classify(builder)
        part = Part(builder.words, nested=nested)
        part.redirects = builder.redirects
        reasons = builder.reasons
        redefined = self.out.redefined
        if redefined and redefined not in reasons:
            reasons.append(redefined)
        if reasons:
            part.uncertain = "; ".join(reasons)
        (self.out.nested if nested else self.out.top).append(part)
        self.out.count += 1
        if self.out.count > MAX_PARTS and not self.out.full:
            self.out.full = True  # the rest is not read: the command as a whole stays uncertain
            self.taint(f"more than {MAX_PARTS:,} commands: not read to the end")
        if builder.dot or name in _REDEFINES or _mentions_definitions(builder.words):
            self.out.redefined = f"follows {builder.words[0].raw if builder.words else '.'}, which can change " \
                                 f"what command names mean"

    def classify(self, builder: _Builder) -> str:
        """Why the command in command position cannot be vouched for, and the commands it runs inside.

        Returns the canonical command name in lowercase ("" for an expression, a keyword's own name).
        """
        words = builder.words
        head = words[0]
        kind = head.kind
        if builder.call or builder.dot:
            if kind in ("bare", "string") and not head.expands:
                return self.command_checks(builder, head)
            if kind not in ("sub", "block"):
                builder.mark("the command name is only known at run time")
            return ""
        if head.items:
            builder.mark("an array in command position")
        if kind == "bare" and not (head.value[:1] in ("[", "!") or head.value[:1] in _NUMBER_START
                                   and _NUMBER.fullmatch(head.value)):
            lowered = head.value.lower()
            if not builder.after_pipe and lowered in _STATEMENT_KEYWORDS and head.raw == head.value:
                builder.mark(f"PowerShell statement {lowered!r}")
                return lowered if lowered in _DEFINING_KEYWORDS else ""
            if lowered[:1] == ":" and len(lowered) > 1:
                builder.mark("a loop label")
                return ""
            return self.command_checks(builder, head)
        if kind == "string":
            builder.mark("a string in command position is an expression")
        elif kind == "var":
            builder.mark("a variable in command position")
        elif kind == "param":
            builder.mark("an operator expression, not a command")
        elif kind == "bare":
            builder.mark("an expression, not a command")
        if len(words) > 2 and words[1].value in _ASSIGNMENT_OPS:
            self.nested_words(words[2:], builder)  # `$x = Remove-Item y` runs Remove-Item
        return ""

    def command_checks(self, builder: _Builder, head: PSWord) -> str:
        lowered = head.value.lower()
        name = canonical_name(head.value).lower()
        if head.expands:
            builder.mark("the command name is only known at run time")
        elif head.globbed:
            if lowered in ALIASES_ANY or name in CMDLETS:
                head.globbed = False  # `?` is Where-Object: a command name is looked up, never expanded
            else:
                builder.mark("wildcard in the command name")
        reason = _RUNS_OTHER_CODE.get(name)
        if reason is None and name not in _SPECIAL_NAMES and "." not in lowered and "\\" not in lowered \
                and "/" not in lowered:
            return name  # the plain case: nothing runs inside
        if reason:
            builder.mark(reason)
        args = builder.words[1:]
        base = _basename(head.value).lower()
        if name == "invoke-expression":
            self.nested_text(" ".join(w.value for w in args if w.kind != "param" and not w.expands))
        elif name == "start-process":
            self.nested_start_process(args)
        elif base in _POWERSHELLS:
            builder.mark("runs another PowerShell")
            self.nested_powershell(args, base.startswith("powershell"))
        elif name == "exec" and args:
            self.nested_words(args, builder)
        elif base in ("cmd", "cmd.exe"):
            for index, word in enumerate(args):
                if word.value.lower() in ("/c", "/k", "/r"):
                    self.nested_text(" ".join(w.value for w in args[index + 1:]))
                    break
        elif base in _POSIX_SHELLS:
            for index, word in enumerate(args[:-1]):
                if word.value.startswith("-") and "c" in word.value[1:] and not word.value.startswith("--"):
                    for inner in split_command(args[index + 1].value):
                        inner.nested = True
                        self.out.nested.append(inner)
                    break
        return name

    def nested_words(self, words: list, builder: _Builder) -> None:
        """A command that runs inside this one (an assignment's right side, exec's command): checked too."""
        inner = _Builder()
        inner.words = list(words)
        inner.reasons = [r for r in builder.reasons if r.startswith(("subexpression", "parenthesised", "script",
                                                                     "array", "hashtable", "member", "splatting"))]
        self.close(inner, True)

    def nested_text(self, text: str) -> None:
        """Code held in a string (Invoke-Expression, pwsh -Command, cmd /c): split for deny and ask rules."""
        if not text.strip():
            return
        if self.code_depth >= MAX_CODE_DEPTH:  # each level reads its text again: keep the total linear
            self.taint("code inside strings nested too deeply")
            return
        inner = _Scanner(text, self.out, self.depth)
        inner.code_depth = self.code_depth + 1
        inner.statements("", nested=True)

    def nested_start_process(self, args: list) -> None:
        """Start-Process's program and arguments, as the command they make."""
        program, arguments, positional = None, [], 0
        index = 0
        while index < len(args):
            word = args[index]
            if word.kind == "param":
                name = word.value[1:].rstrip(":").lower()
                value = args[index + 1] if index + 1 < len(args) else None
                if value is not None and ("filepath".startswith(name) or name in ("path", "pspath", "lp")):
                    program = value
                elif value is not None and ("argumentlist".startswith(name) or name == "args"):
                    arguments.append(value)
                elif not (word.value.endswith(":") or any(p.startswith(name) for p in _START_PROCESS_VALUES)):
                    index += 1  # a switch: -Wait, -NoNewWindow, -PassThru
                    continue
                index += 2
                continue
            if positional == 0 and program is None:
                program = word
            elif positional <= 1:
                arguments.append(word)
            positional += 1
            index += 1
        if program is not None:
            items = [program.value] + [v for a in arguments for v in (_item_values(a))]
            self.nested_text(" ".join(_quote_if_needed(v) for v in items))

    def nested_powershell(self, args: list, windows_powershell: bool) -> None:
        """The code `pwsh -Command`, `-EncodedCommand` or 5.1's first positional argument runs."""
        for index, word in enumerate(args):
            name = _switch_name(word)
            if name is None:
                continue
            if "command".startswith(name):
                self.nested_text(" ".join(w.value for w in args[index + 1:]))
                return
            if name in ("e", "ec") or len(name) >= 2 and "encodedcommand".startswith(name):
                if index + 1 < len(args):
                    self.nested_text(_decode(args[index + 1].value))
                return
            if "file".startswith(name):
                return  # a script file: its text is not here
        if not windows_powershell:
            return
        index = 0
        while index < len(args):  # powershell.exe reads its first positional argument as -Command
            name = _switch_name(args[index])
            if name is None:
                self.nested_text(" ".join(w.value for w in args[index:]))
                return
            takes_value = name in ("ep", "ex", "w", "v", "wd") or len(name) >= 2 and any(
                p.startswith(name) for p in _POWERSHELL_VALUES)
            index += 2 if takes_value and not args[index].value.endswith(":") else 1


def _switch_name(word) -> str | None:
    """`-NoProfile` -> `noprofile` (also 5.1's `/NoProfile`); None for an argument."""
    flag = word.value.lower()
    if flag[:1] in ("-", "/") and len(flag) > 1:
        return flag[1:].rstrip(":")
    return None


def _join(part: _Builder, word: PSWord) -> None:
    """`a,b`: one array argument whose elements stay known (file targets read them one by one)."""
    last = part.words[-1]
    array = last.bound if last.bound is not None else last  # -Path:a,b is an array too
    if array.items is None:
        first = PSWord(array.value, array.raw, array.kind)
        first.expands, first.globbed = array.expands, array.globbed
        array.items = [first]
    array.items.append(word)
    part.arrays = True


def _bound_parameter(parameter: PSWord, value: PSWord | None) -> PSWord:
    """`-Path:x`: one word, as written, that keeps its value word (in `bound`) for file targets."""
    if value is None:
        return parameter
    word = PSWord(parameter.value + value.value, parameter.raw + value.raw, "param")
    word.expands, word.globbed = value.expands, value.globbed
    word.bound = value
    return word


def _spell_arrays(words: list) -> None:
    """The spelling of every comma array, built once when its part closes (joining as it grows is quadratic)."""
    for word in words:
        array = word.bound
        if array is not None and array.items:  # -Path:a,b: the name as written, then the array
            _spell_array(array)
            word.value = word.value[:word.value.index(":") + 1] + array.value
            word.raw = word.raw[:word.raw.index(":") + 1] + array.raw
            word.expands, word.globbed = array.expands, array.globbed
        elif word.items:
            _spell_array(word)


def _spell_array(word) -> None:
    items = word.items
    word.value = ",".join(item.value for item in items)
    word.raw = ",".join(item.raw for item in items)
    word.expands = any(item.expands for item in items)
    word.globbed = any(item.globbed for item in items)


def _item_values(word) -> list[str]:
    return [item.value for item in word.items] if getattr(word, "items", None) else [word.value]


def _quote_if_needed(value: str) -> str:
    return value if value and not any(c in value for c in " \t'\"") else "'" + value.replace("'", "''") + "'"


def _decode(text: str) -> str:
    """An -EncodedCommand argument: base64 of UTF-16LE text; empty when it is not."""
    import base64  # only -EncodedCommand pays for it

    try:
        return base64.b64decode(text.strip(), validate=True).decode("utf-16-le")
    except (ValueError, UnicodeDecodeError):
        return ""


def split_powershell(command: str) -> list[Part]:
    """The pipeline elements of `command`, in order, then the commands nested inside them (`nested=True`)."""
    out = _Out()
    scanner = _Scanner(command, out, 0)
    scanner.statements("", nested=False)
    parts = out.top + out.nested
    if out.taint:
        # A command PowerShell cannot parse does not run at all, and its part edges are not certain either.
        for part in parts:
            if not part.uncertain:
                part.uncertain = out.taint
            elif out.taint not in part.uncertain:
                part.uncertain += "; " + out.taint
        if not parts:
            parts.append(Part([], uncertain=out.taint))
    return parts


# ---- spellings ------------------------------------------------------------------------------------

def canonical_forms(part: Part, platform: str | None = None) -> list[str]:
    """The spellings an allow rule is tried against: as written, and with the alias resolved.

    Only the aliases that hold on `platform` (None: this machine) are resolved, so a rule never approves a
    native program that merely shares an alias's name there. Matching these must ignore case.
    """
    forms = [part.raw, part.describe()]
    head = _head(part)
    if head is not None:
        name = canonical_name(head.value, platform)
        if name != head.value:
            rest = [w.raw for w in part.words[1:]]
            forms.append(" ".join([name] + rest))
            forms.append(_describe([name] + rest, part))
    return list(dict.fromkeys(f for f in forms if f))


allow_forms = canonical_forms  # the name shell_eval's Dialect gives the allow side


def deny_forms(part: Part) -> list[str]:
    """Every spelling deny and ask rules are tried against: raw, unquoted, any edition's alias resolved, the
    command's other aliases (a deny `PowerShell(rm *)` stops `Remove-Item x` and `del x`; the docs are silent on
    rules written with an alias), the bare program name of a path (`C:\\Git\\bin\\git.exe` -> `git`), and
    PowerShell's implicit `Get-` (typing `childitem` runs Get-ChildItem). Matching these must ignore case."""
    forms = [part.raw, part.plain, part.describe()]
    if "`" in part.raw:
        # Windows PowerShell 5.1 has no `e escape: there `Remove-It`em` is Remove-Item (7 reads an ESC).
        forms.append(part.raw.replace("`", ""))
    head = _head(part)
    if head is not None:
        raw_rest = [w.raw for w in part.words[1:]]
        plain_rest = [w.value for w in part.words[1:]]
        for name in _deny_names(head.value):
            forms.append(" ".join([name] + raw_rest))
            forms.append(" ".join([name] + plain_rest))
    return list(dict.fromkeys(f for f in forms if f))


def _head(part: Part):
    """The command name when the text fixes it (a bareword, or the string after `&`)."""
    if not part.words:
        return None
    head = part.words[0]
    if head.expands or getattr(head, "kind", "bare") not in ("bare", "string"):
        return None
    return head


def _deny_names(value: str) -> list[str]:
    canonical = canonical_name(value)
    names = [canonical] + _ALIASES_OF.get(canonical.lower(), [])
    base = _basename(value)
    if base != value:
        names.extend((base, canonical_name(base)))
    if base.lower().endswith(".exe") and len(base) > 4:
        names.append(base[:-4])  # `where.exe` is not Where-Object, but a rule may name it `where`
    lowered = value.lower()
    if "-" not in value and lowered not in ALIASES_ANY and lowered not in CMDLETS and f"get-{lowered}" in CMDLETS:
        names.append(CMDLETS[f"get-{lowered}"])
    return [n for n in dict.fromkeys(names) if n != value]


def _describe(words: list[str], part: Part) -> str:
    text = " ".join(words)
    for r in part.redirects:
        text += f" {r.op} {r.written}"
    return text.strip()


# ---- files ----------------------------------------------------------------------------------------

_R, _W = False, True
_PATHS = ("path", "literalpath", "pspath", "lp")
_COMMON_VALUES = frozenset({"erroraction", "ea", "warningaction", "wa", "informationaction", "infa",
                            "errorvariable", "ev", "warningvariable", "wv", "informationvariable", "iv",
                            "outvariable", "ov", "outbuffer", "ob", "pipelinevariable", "pv", "progressaction",
                            "proga", "encoding", "filter", "include", "exclude", "credential", "stream",
                            "delimiter", "inputobject"})


def _spec(positions: dict, named: dict, values: str = "") -> tuple:
    return positions, named, _COMMON_VALUES | frozenset(values.split())


_CONTENT_WRITE = _spec({0: _W}, dict.fromkeys(_PATHS, _W), "value")
_FILE_COMMANDS = {
    "set-content": _CONTENT_WRITE, "add-content": _CONTENT_WRITE, "clear-content": _CONTENT_WRITE,
    "out-file": _spec({0: _W}, dict.fromkeys(_PATHS + ("filepath",), _W), "width"),
    "tee-object": _spec({0: _W}, dict.fromkeys(_PATHS + ("filepath",), _W), "variable"),
    "export-csv": _spec({0: _W}, dict.fromkeys(_PATHS, _W), "quotefields usequotes"),
    "export-clixml": _spec({0: _W}, dict.fromkeys(_PATHS, _W), "depth"),
    "remove-item": _spec({0: _W}, dict.fromkeys(_PATHS, _W)),
    "new-item": _spec({0: _W}, dict.fromkeys(_PATHS, _W), "itemtype type value name target"),
    "rename-item": _spec({0: _W}, dict.fromkeys(_PATHS, _W), "newname"),
    "copy-item": _spec({0: _R, 1: _W}, {**dict.fromkeys(_PATHS, _R), "destination": _W}, "fromsession tosession"),
    "move-item": _spec({0: _W, 1: _W}, {**dict.fromkeys(_PATHS, _W), "destination": _W}),
    "get-content": _spec({0: _R}, dict.fromkeys(_PATHS, _R),
                         "readcount totalcount head first tail last"),
    "import-csv": _spec({0: _R}, dict.fromkeys(_PATHS, _R), "header culture"),
    "import-clixml": _spec({0: _R}, dict.fromkeys(_PATHS, _R), "first skip"),
    "import-powershelldatafile": _spec({0: _R}, dict.fromkeys(_PATHS, _R)),
    "select-string": _spec({1: _R}, dict.fromkeys(_PATHS, _R), "pattern context culture"),
    "format-hex": _spec({0: _R}, dict.fromkeys(_PATHS, _R), "count offset"),
    "expand-archive": _spec({0: _R, 1: _W}, {**dict.fromkeys(_PATHS, _R), "destinationpath": _W}),
    "compress-archive": _spec({0: _R, 1: _W}, {**dict.fromkeys(_PATHS, _R), "destinationpath": _W},
                              "compressionlevel"),
    "invoke-webrequest": _spec({}, {"outfile": _W, "infile": _R}, "uri method body headers contenttype"),
    "invoke-restmethod": _spec({}, {"outfile": _W, "infile": _R}, "uri method body headers contenttype"),
    "start-transcript": _spec({0: _W}, {**dict.fromkeys(_PATHS, _W), "outputdirectory": _W}),
}


def file_targets(part: Part) -> list[tuple[Word, bool]]:
    """(word, writes) for each file the part reads or writes: redirection targets, then the path arguments of
    the file cmdlets (Set-Content, Add-Content, Out-File, Tee-Object, Remove-Item, New-Item, Copy-Item,
    Move-Item, Rename-Item, Get-Content, Select-String, Import-Csv, Export-Csv, Invoke-WebRequest -OutFile...,
    through any alias). A word that expands is returned as is: only run time knows that file. Backslashes are
    given as slashes, which PowerShell's file system provider reads as the same separator.
    """
    found: list[tuple[Word, bool]] = []
    for redirect in part.redirects:
        if redirect.target is not None:
            found.append((_path_word(redirect.target), redirect.writes))
    if part.words and not isinstance(part.words[0], PSWord):  # `bash -c '...'` run from PowerShell
        found.extend(filecmds.file_operands(strip_for_deny(part.words)))
        return found
    head = _head(part)
    if head is None:
        return found
    lowered = head.value.lower()
    name = canonical_name(head.value).lower()
    if name not in _FILE_COMMANDS and "-" not in name and f"get-{name}" in CMDLETS:
        name = f"get-{name}"
    if lowered not in ALIASES_EVERYWHERE and name not in CMDLETS or lowered in ALIASES_ANY and \
            lowered not in ALIASES_EVERYWHERE:
        # A native program, or an alias only on Windows (on Linux `rm`, `cat`, `sort` are the real ones).
        found.extend(filecmds.file_operands([PSWord(_basename(head.value), head.raw)] + part.words[1:]))
    spec = _FILE_COMMANDS.get(name)
    if spec is None:
        return _unique(found)
    bound = _bind(part.words[1:], spec)
    if name == "new-item" and "name" in bound.extra:
        bases = bound.targets or [(PSWord(".", "."), _W)]
        for base, _ in bases:
            for leaf in _elements(bound.extra["name"]):
                found.append((_joined(base, leaf), _W))
        return _unique(found)
    found.extend(bound.targets)
    if name == "rename-item" and (bound.positional_extra or "newname" in bound.extra):
        new_name = bound.extra.get("newname") or bound.positional_extra[0]
        for base, _ in bound.targets:
            for leaf in _elements(new_name):
                found.append((_joined(_parent(base), leaf), _W))
    return _unique(found)


def _unique(found: list) -> list:
    seen: set = set()
    kept = []
    for word, writes in found:
        key = (word.value, writes)
        if key not in seen:
            seen.add(key)
            kept.append((word, writes))
    return kept


class _Bound:
    __slots__ = ("targets", "extra", "positional_extra")

    def __init__(self):
        self.targets: list[tuple[Word, bool]] = []
        self.extra: dict[str, Word] = {}  # values of the parameters New-Item and Rename-Item combine
        self.positional_extra: list[Word] = []


def _bind(args: list, spec: tuple) -> _Bound:
    """Which words PowerShell binds to the path parameters: named (any unambiguous prefix) or by position."""
    positions, named, values = spec
    bound = _Bound()
    index, position = 0, 0
    while index < len(args):
        word = args[index]
        if getattr(word, "kind", "bare") == "param":
            bound_value = getattr(word, "bound", None)
            name = (word.value[1:word.value.index(":")] if bound_value is not None else word.value[1:].rstrip(":"))
            name = name.lower()
            value = bound_value or (args[index + 1] if index + 1 < len(args) else None)
            resolved = _resolve_parameter(name, named, values)
            if resolved in named and value is not None:
                literal = resolved in ("literalpath", "pspath", "lp")
                bound.targets.extend((_path_word(e, literal=literal), named[resolved]) for e in _elements(value))
                index += 1 if bound_value is not None else 2
            elif resolved in values and value is not None:
                if resolved in ("name", "newname"):
                    bound.extra[resolved] = value
                index += 1 if bound_value is not None else 2
            else:  # a switch, unless written -Switch: value
                index += 2 if word.value.endswith(":") else 1
            continue
        mode = positions.get(position)
        if mode is not None:
            bound.targets.extend((_path_word(e), mode) for e in _elements(word))
        elif position == 1:
            bound.positional_extra.append(word)
        position += 1
        index += 1
    return bound


def _resolve_parameter(name: str, named: dict, values: frozenset) -> str:
    if name in named or name in values:
        return name
    for pool in (named, values):
        for candidate in pool:
            if candidate.startswith(name):
                return candidate  # ambiguous prefixes fall to the path: a deny rule should rather hit
    return name


def _elements(word) -> list:
    return list(word.items) if getattr(word, "items", None) else [word]


def _path_word(word: Word, *, literal: bool = False) -> Word:
    """The word with `\\` read as a separator; -LiteralPath values are never wildcards."""
    if "\\" not in word.value and not (literal and word.globbed):
        return word
    copy = PSWord(word.value.replace("\\", "/"), word.raw, getattr(word, "kind", "bare"))
    copy.expands = word.expands
    copy.globbed = word.globbed and not literal
    return copy


def _parent(word: Word) -> Word:
    value = _path_word(word).value.rstrip("/")
    parent = value.rsplit("/", 1)[0] if "/" in value else "."
    copy = PSWord(parent or "/", word.raw)
    copy.expands = word.expands
    return copy


def _joined(base: Word, leaf: Word) -> Word:
    leaf_value = _path_word(leaf).value
    base_value = _path_word(base).value.rstrip("/")
    value = leaf_value if leaf_value.startswith("/") else f"{base_value}/{leaf_value}" if base_value else leaf_value
    copy = PSWord(value, f"{base.raw} {leaf.raw}")
    copy.expands = base.expands or leaf.expands
    copy.globbed = base.globbed or leaf.globbed
    return copy
