"""PowerShell rules: Bash's shape, case-insensitive, aliases canonicalised, split on | ; && ||."""

from __future__ import annotations

from ._helpers import (ALLOW, ASK, DENY, NOT_ALLOW, ORDER, POWERSHELL, PS_ALIASES, PS_REMOVE_ITEM, PS_SPLIT, case,
                       rules, series)


def ps(id, command, expect, cite, rule_set, **extra):
    return case(id, "PowerShell", {"command": command}, expect, cite, rule_set, **extra)


PS = rules(allow=["PowerShell(Get-ChildItem *)", "PowerShell(git commit *)", "PowerShell(Get-Content *)"],
           deny=["PowerShell(Remove-Item *)"],
           ask=["PowerShell(git push *)"])
PS_SUBEXPR = "about_Operators: $( ) is the subexpression operator: the statements inside run"
PS_CALL = "about_Operators: & is the call operator: it runs the command named by its operand"
PS_BACKTICK = "about_Special_Characters: the backtick escapes the next character (Remove-It`em is Remove-Item)"
PS_REDIRECT = ("about_Redirection: > and >> write a file; docs silent for PowerShell, Bash's rule applies "
               "(permissions#redirections): the target needs an Edit rule")

CASES = series("ps", PS, make=ps, rows=[
    ("Get-ChildItem -Recurse", ALLOW, POWERSHELL),
    ("Get-ChildItem", ALLOW, POWERSHELL + " -- ' *' also matches the bare command"),
    ("gci", ALLOW, PS_ALIASES + " -- 'PowerShell(Get-ChildItem *) matches gci, ls, and dir as well'"),
    ("ls -Force", ALLOW, PS_ALIASES),
    ("dir C:\\src", ALLOW, PS_ALIASES),
    ("GET-CHILDITEM -recurse", ALLOW, PS_ALIASES + " -- 'Matching is case-insensitive'"),
    ("get-childitem", ALLOW, PS_ALIASES),
    ("Get-ChildItemX", NOT_ALLOW, POWERSHELL + " -- word boundary"),
    ("cat README.md", ALLOW, PS_ALIASES + " -- cat is an alias of Get-Content"),
    ("gc README.md", ALLOW, PS_ALIASES + " -- gc is an alias of Get-Content"),
    ("Remove-Item x", DENY, POWERSHELL),
    ("remove-item x", DENY, PS_ALIASES),
    ("REMOVE-ITEM -Path x -Recurse", DENY, PS_ALIASES),
    ("rm -r x", DENY, PS_ALIASES + " -- rm is an alias of Remove-Item"),
    ("RM x", DENY, PS_ALIASES),
    ("del x", DENY, PS_ALIASES),
    ("erase x", DENY, PS_ALIASES),
    ("rd x", DENY, PS_ALIASES),
    ("ri x", DENY, PS_ALIASES),
    ("rmdir x", DENY, PS_ALIASES),
    ("Microsoft.PowerShell.Management\\Remove-Item x", DENY, PS_ALIASES + " -- a module-qualified cmdlet name is the cmdlet"),
    ("Remove-It`em x", DENY, "bypass: a backtick inside the cmdlet name; " + PS_BACKTICK),
    ("git commit -m x", ALLOW, POWERSHELL),
    ("git push origin main", ASK, POWERSHELL),
    ("Get-ChildItem; Remove-Item x", DENY, PS_SPLIT),
    ("gci | Remove-Item", DENY, PS_SPLIT),
    ("gci | rm", DENY, PS_SPLIT + "; " + PS_ALIASES),
    ("gci && Remove-Item x", DENY, PS_SPLIT + " (PowerShell 7 &&)"),
    ("gci || del x", DENY, PS_SPLIT + " (PowerShell 7 ||)"),
    ("gci; evil", NOT_ALLOW, PS_SPLIT),
    ("gci | evil", NOT_ALLOW, PS_SPLIT),
    ("gci && evil", NOT_ALLOW, PS_SPLIT),
    ("gci || evil", NOT_ALLOW, PS_SPLIT),
    ("gci\nevil", NOT_ALLOW, PS_SPLIT + " -- a newline ends a statement"),
    ("gci\nRemove-Item x", DENY, PS_SPLIT + " -- a newline ends a statement"),
    ("Get-ChildItem | Get-Content", ALLOW, PS_SPLIT + " -- each part allowed"),
    ("Get-ChildItem '; Remove-Item x'", ALLOW, "about_Quoting_Rules: a single-quoted string is literal: one Get-ChildItem"),
    ("Write-Output $(Remove-Item x)", DENY, PS_SUBEXPR),
    ("Get-ChildItem $(evil)", NOT_ALLOW, PS_SUBEXPR),
    ("Get-ChildItem \"$(evil)\"", NOT_ALLOW, PS_SUBEXPR + " -- expandable strings run subexpressions"),
    ("& evil", NOT_ALLOW, PS_CALL),
    ("& 'Remove-Item' x", DENY, PS_CALL),
    ("iex 'Remove-Item x'", DENY, "Invoke-Expression runs its string: no prefix rule vouches for it, and the "
                                  "string itself is split and meets the deny rule"),
    ("Invoke-Command { evil }", NOT_ALLOW, "about_Script_Blocks: the block runs"),
    ("Get-ChildItem > out.txt", NOT_ALLOW, PS_REDIRECT),
    ("evil", NOT_ALLOW, POWERSHELL),
])

CASES += [
    ps("ps-bare-allow", "evil; Remove-Item x", ALLOW, POWERSHELL + " -- 'a bare PowerShell ... matches every command'", rules(allow=["PowerShell"])),
    ps("ps-star-allow", "evil", ALLOW, POWERSHELL + " -- PowerShell(*)", rules(allow=["PowerShell(*)"])),
    ps("ps-bare-deny-wins", "Remove-Item x", DENY, ORDER, rules(allow=["PowerShell"], deny=["PowerShell(Remove-Item *)"])),
    ps("ps-legacy-colon", "Get-ChildItem -Force", ALLOW, POWERSHELL + " -- 'the :* suffix is equivalent to a trailing *'", rules(allow=["PowerShell(Get-ChildItem:*)"])),
    ps("ps-rule-lowercase", "Remove-Item x", DENY, PS_ALIASES + " -- the rule's own case does not matter", rules(deny=["PowerShell(remove-item *)"])),
    ps("ps-rule-alias", "Remove-Item x", DENY, PS_ALIASES + " -- docs silent on rules written with an alias; a deny PowerShell(rm *) must still stop Remove-Item", rules(deny=["PowerShell(rm *)"])),
    ps("ps-bash-rules-not-ps", "rm x", NOT_ALLOW, "permissions#powershell: PowerShell has its own rules; a Bash allow does not approve it", rules(allow=["Bash(rm *)"])),
    ps("ps-remove-root", "Remove-Item C:\\ -Recurse", NOT_ALLOW, PS_REMOVE_ITEM + " -- no allow rule approves it", rules(allow=["PowerShell(Remove-Item *)"])),
    ps("ps-remove-windows", "Remove-Item C:\\Windows -Recurse", NOT_ALLOW, PS_REMOVE_ITEM, rules(allow=["PowerShell(Remove-Item *)"])),
    ps("ps-remove-home", "Remove-Item ~ -Recurse", NOT_ALLOW, PS_REMOVE_ITEM, rules(allow=["PowerShell(Remove-Item *)"])),
    ps("ps-remove-star", "Remove-Item *", NOT_ALLOW, PS_REMOVE_ITEM, rules(allow=["PowerShell(Remove-Item *)"])),
    ps("ps-remove-var-star", "Remove-Item $dir/*", NOT_ALLOW, PS_REMOVE_ITEM, rules(allow=["PowerShell(Remove-Item *)"])),
    ps("ps-remove-backslash-star", "Remove-Item build\\*", NOT_ALLOW, PS_REMOVE_ITEM + " -- 'any target ending in /* or \\*'", rules(allow=["PowerShell(Remove-Item *)"])),
    ps("ps-remove-cwd-recurse", "Remove-Item . -Recurse", NOT_ALLOW, "permission-modes#remove-item-in-powershell: 'Your working directory or one of its parents, with -Recurse: Claude Code treats the command like any other that needs approval'", rules(allow=["PowerShell(Remove-Item *)"])),
    ps("ps-remove-fine", "Remove-Item build\\out.txt", ALLOW, POWERSHELL + " -- an ordinary target", rules(allow=["PowerShell(Remove-Item *)"])),
]
