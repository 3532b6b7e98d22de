"""Where a Bash command splits: comments, escapes, CR/LF, here-docs, quoting forms, operators, compound
commands, substitutions, expansions, Unicode look-alikes.

Two kinds of case: a dangerous command hidden after a benign allowed prefix (never allow: deny when a deny
rule names what really runs, else ask or none), and benign commands that must still be allowed. Every
expectation follows what bash itself does with the text (checked with bash 5).
"""

from __future__ import annotations

from ._helpers import (ALLOW, ASK, COMMENT, COMPOUND, DENY, HEREDOC_MATCH, HEREDOC_SMUGGLING, HIDDEN_PARTS,
                       INVISIBLE, LINE_CONTINUATION, NOT_ALLOW, QUOTED_HASH, SUBSTITUTION, rules, series)

S = rules(allow=["Bash(npm test *)", "Bash(echo *)", "Bash(ls *)", "Bash(cat *)", "Bash(grep *)", "Bash(git log *)",
                 "Bash(wc *)"],
          deny=["Bash(rm *)", "Bash(curl *)"],
          ask=["Bash(git push *)"])

BASH_COMMENT = "bash(1) COMMENTS: 'a word beginning with # causes that word and all remaining characters on that line to be ignored'"
CONTINUATION = ("bash(1) QUOTING: 'A non-quoted backslash (\\) ... If a \\<newline> pair appears, and the backslash "
                "is not itself quoted, the \\<newline> is treated as a line continuation'")
HEREDOC = ("bash(1) Here Documents: 'If any part of word is quoted ... the lines in the here-document are not "
           "expanded. If word is unquoted, all lines of the here-document are subjected to parameter expansion, "
           "command substitution, and arithmetic expansion'")
HEREDOC_DASH = "bash(1) Here Documents: 'If the redirection operator is <<-, then all leading tab characters are stripped from input lines and the line containing delimiter.'"
HEREDOC_END = "bash(1) Here Documents: 'reads input ... until a line containing only delimiter (with no trailing blanks) is seen'"
ANSI_C = "bash(1) QUOTING: 'Words of the form $'string' are treated specially ... \\' single quote' (an escaped quote does not end the string)"
LOCALE = "bash(1) QUOTING: 'A double-quoted string preceded by a dollar sign ($\"string\") will cause the string to be translated' (quoted like \"...\")"
METACHAR = "bash(1) DEFINITIONS: 'metacharacter: A character that, when unquoted, separates words. One of: | & ; ( ) < > space tab newline'"
BLANK = "bash(1) DEFINITIONS: 'blank: A space or tab.' (NBSP, U+2028, fullwidth ';' are ordinary word characters)"
FUNCTIONS = "bash(1) Shell Function Definitions: a function defined earlier in the command runs in place of the command of that name"
BRACE = "bash(1) Brace Expansion: performed before any other expansion, also on the command word ({rm,-rf,/} runs rm -rf /)"
PATHNAME = "bash(1) Pathname Expansion: a glob in the command word expands to whatever file matches (/bin/r? is /bin/rm)"
CR = "bash treats \\r as an ordinary word character, not a separator: only \\n ends a command line"

CASES = []

CASES += series("split-comment", S, [
    ("npm test # it's fine", ALLOW, COMMENT + "; " + QUOTED_HASH),
    ("npm test # it's fine\nevil", NOT_ALLOW, "bypass: a comment with an apostrophe swallowing the next line; " + COMMENT),
    ("npm test # it's fine\nrm -rf build", DENY, "bypass: a comment with an apostrophe swallowing the next line; " + COMMENT),
    ('npm test # "unclosed\nevil', NOT_ALLOW, "bypass: an unbalanced double quote inside a comment; " + COMMENT),
    ("npm test # $(evil)", ALLOW, BASH_COMMENT + " (a substitution inside a comment never runs)"),
    ("npm test # && evil", ALLOW, BASH_COMMENT + " (the && is comment text)"),
    ("npm test #; rm -rf /", ALLOW, BASH_COMMENT + " (the ; rm is comment text: nothing but npm test runs)"),
    ("npm test a#b; rm -rf build", DENY, BASH_COMMENT + " -- # inside a word does not start a comment"),
    ("echo a#b", ALLOW, BASH_COMMENT + " -- # inside a word is literal"),
    ("npm test # note \\\nevil", NOT_ALLOW, "bypass: backslash-newline inside a comment does not continue it; " + BASH_COMMENT),
    ("npm test # '\nrm -rf build", DENY, COMMENT),
    ("echo '#' && evil", NOT_ALLOW, COMMENT + " -- a quoted # is not a comment, the && is real"),
    ('echo "a # b" # c', ALLOW, QUOTED_HASH),
    ("npm test #", ALLOW, BASH_COMMENT),
    ("# only a comment", NOT_ALLOW, BASH_COMMENT + " -- nothing runs, nothing for an allow rule to vouch for"),
    ("#!/bin/sh\nnpm test", ALLOW, BASH_COMMENT + " -- a shebang line is a comment"),
    ("echo ${HOME#/}", ALLOW, "bash(1) Parameter Expansion: ${parameter#word} removes a prefix; # inside ${} is not a comment"),
    ("echo $#", ALLOW, "bash(1) Special Parameters: $# is the number of positional parameters, not a comment"),
    ("echo a #b\necho c", ALLOW, COMMENT),
    ("ls # x `evil`\nls", ALLOW, BASH_COMMENT + " (a backtick inside a comment opens nothing)"),
])

CASES += series("split-backslash", S, [
    ("echo a\\\\\nevil", NOT_ALLOW, CONTINUATION + " -- two backslashes: an escaped backslash, the newline separates"),
    ("echo a\\\\\nrm -rf build", DENY, CONTINUATION + " -- an even run of backslashes does not escape the newline"),
    ("echo a\\\\\\\nevil", ALLOW, CONTINUATION + " -- three backslashes: a literal one, then a continuation (echo a\\evil)"),
    ("echo a\\\\\\\\\nrm -rf build", DENY, CONTINUATION + " -- four backslashes: the newline separates"),
    ("npm test \\\n&& evil", NOT_ALLOW, LINE_CONTINUATION),
    ("rm \\\n-rf build", DENY, LINE_CONTINUATION + " -- the continuation joins the rm line"),
    ("r\\\nm -rf build", DENY, LINE_CONTINUATION + " -- a continuation inside a word joins it: rm"),
    ("npm \\\ntest", ALLOW, CONTINUATION + " -- npm test on two lines"),
    ("npm test \\\r\nevil", NOT_ALLOW, "bypass: backslash-CR-LF is an escaped CR then a newline in bash, not a line continuation"),
    ("echo ok \\\r\nrm -rf build", DENY, "bypass: backslash-CR-LF is an escaped CR then a newline in bash, not a line continuation"),
    ("n\\pm test", NOT_ALLOW, "an allow rule matches the command as written; \\p is an escaped p"),
    ("\\rm -rf build", DENY, "bypass: a backslash before the command word skips aliases, it is still rm"),
])

CASES += series("split-crlf", S, [
    ("npm test\r\nevil", NOT_ALLOW, COMPOUND + " -- CRLF line ends"),
    ("npm test\r\nrm -rf build", DENY, COMPOUND + " -- CRLF line ends"),
    ("echo ok\r\nrm -rf build", DENY, COMPOUND + " -- CRLF line ends"),
    ("npm test\rrm -rf /", NOT_ALLOW, CR + " -- npm gets the argument test\\rrm; the rule's word boundary wants a space"),
    ("npm test \r&& evil", NOT_ALLOW, CR + "; " + COMPOUND),
    ("echo a\r; rm -rf build", DENY, CR + "; " + COMPOUND),
])

CASES += series("split-heredoc", S, [
    ("cat <<EOF\nline one\nline two\nEOF", ALLOW, HEREDOC_MATCH),
    ("cat <<'EOF'\n$(evil) `evil`\nEOF", ALLOW, HEREDOC + " -- quoted delimiter: the body is literal"),
    ('cat <<"EOF"\n$(evil)\nEOF', ALLOW, HEREDOC + " -- double-quoted delimiter: the body is literal"),
    ("cat <<\\EOF\n$(evil)\nEOF", ALLOW, HEREDOC + " -- backslash-quoted delimiter: the body is literal"),
    ("cat <<E'O'F\n$(evil)\nEOF", ALLOW, HEREDOC + " -- a partly quoted delimiter is quoted: the body is literal"),
    ("cat <<EOF\n$(evil)\nEOF", NOT_ALLOW, HEREDOC + " -- unquoted delimiter: the substitution runs"),
    ("cat <<EOF\n`evil`\nEOF", NOT_ALLOW, HEREDOC + " -- unquoted delimiter: the backticks run"),
    ("cat <<EOF\n$(rm -rf build)\nEOF", DENY, HEREDOC + "; " + SUBSTITUTION),
    ("cat <<EOF\n${x:-$(evil)}\nEOF", NOT_ALLOW, HEREDOC),
    ("cat <<EOF\nit's \"fine\"\nEOF", ALLOW, HEREDOC_MATCH + " -- quotes in a body are text"),
    ("cat <<EOF\nit's\nEOF\nevil", NOT_ALLOW, "bypass: an apostrophe in a here-doc body opening a phantom quote; " + HEREDOC_END),
    ("cat <<EOF\nit's\nEOF\nrm -rf build", DENY, "bypass: an apostrophe in a here-doc body opening a phantom quote; " + HEREDOC_END),
    ("cat <<'EOF'\n\"unbalanced\nEOF\nrm -rf build", DENY, "bypass: a double quote in a here-doc body opening a phantom quote; " + HEREDOC_END),
    ("cat <<EOF && evil\nbody\nEOF", NOT_ALLOW, "bash(1) Here Documents: the rest of the operator's line is still parsed; " + COMPOUND),
    ("cat <<EOF && rm -rf build\nbody\nEOF", DENY, "bash(1) Here Documents: the rest of the operator's line is still parsed; " + COMPOUND),
    ("cat <<EOF | evil\nbody\nEOF", NOT_ALLOW, COMPOUND),
    ("cat <<-EOF\n\tbody\n\tEOF\nevil", NOT_ALLOW, HEREDOC_DASH + " -- the tab-indented EOF ends the body; evil runs"),
    ("cat <<-EOF\n\tbody\n\tEOF\nrm -rf build", DENY, HEREDOC_DASH + "; " + HEREDOC_SMUGGLING),
    ("cat <<-EOF\n\tbody\n\tEOF", ALLOW, HEREDOC_DASH + "; " + HEREDOC_MATCH),
    ("cat <<EOF\nbody\n\tEOF\nevil", NOT_ALLOW, HEREDOC_END + " -- without <<- a tab-indented EOF ends nothing: no terminator"),
    ("cat <<A <<B\na\nA\nb\nB\nevil", NOT_ALLOW, "bash(1) Here Documents: two here-docs on one line are read one after the other; evil follows them"),
    ("cat <<A <<B\na\nA\nb\nB", ALLOW, HEREDOC_MATCH + " -- two here-docs, one cat"),
    ("cat <<A; cat <<B\na\nA\nb\nB\nrm -rf build", DENY, "bash(1) Here Documents: bodies are read in order after the line; " + COMPOUND),
    ("cat <<EOF\nhello", NOT_ALLOW, HEREDOC_END + " -- missing terminator: bash warns and reads to the end"),
    ("cat <<EOF\nhello\nEOFX\nevil", NOT_ALLOW, HEREDOC_END + " -- EOFX is not the delimiter: missing terminator"),
    ("cat <<'EOF'\nx\\\nEOF\nevil", NOT_ALLOW, "bypass: no line continuation inside a quoted here-doc body, EOF ends it and evil runs; " + HEREDOC_SMUGGLING),
    ('cat <<"EOF"\nx\nEOF\nevil', NOT_ALLOW, HEREDOC_SMUGGLING + " -- the delimiter is EOF, without its quotes"),
    ("cat << EOF\nx\nEOF\nevil", NOT_ALLOW, HEREDOC_SMUGGLING + " -- a blank between << and the delimiter"),
    ("cat <<E\\OF\nx\nEOF\nevil", NOT_ALLOW, HEREDOC_SMUGGLING + " -- the delimiter is EOF after quote removal"),
    ("echo '<<EOF'\nevil", NOT_ALLOW, "a quoted << is not a here-doc: the next line is a command"),
    ('echo "<<EOF"\nrm -rf build', DENY, "a quoted << is not a here-doc: the next line is a command"),
    ("echo $((1<<2))\nevil", NOT_ALLOW, "bash(1) ARITHMETIC EVALUATION: << inside $((...)) is a shift, not a here-doc"),
    ("cat <<< 'a;b' && evil", NOT_ALLOW, "bash(1) Here Strings; " + COMPOUND),
    ("cat <<EOF\nEOF", ALLOW, HEREDOC_MATCH + " -- an empty body"),
])

CASES += series("split-quotes", S, [
    ("echo $'a\\'b' && evil", NOT_ALLOW, "bypass: \\' inside $'...' does not end the string; " + ANSI_C),
    ("echo $'a\\'b' && rm -rf build", DENY, "bypass: \\' inside $'...' does not end the string; " + ANSI_C),
    ("echo $'\\x3b' && evil", NOT_ALLOW, ANSI_C + "; " + COMPOUND),
    ("echo $'a' ; evil", NOT_ALLOW, COMPOUND),
    ('echo $"hello world"', ALLOW, LOCALE),
    ('echo $"a;b|c"', ALLOW, LOCALE + " -- separators inside the quotes are text"),
    ('echo $"a" && evil', NOT_ALLOW, LOCALE + "; " + COMPOUND),
    ('echo $"$(evil)"', NOT_ALLOW, LOCALE + " -- $(...) expands inside $\"...\"; " + SUBSTITUTION),
    ('echo $"$(rm -rf build)"', DENY, SUBSTITUTION),
    ('echo $"it\'s"', ALLOW, LOCALE + " -- an apostrophe inside double quotes is text"),
    ('echo $"a\\" && evil"', ALLOW, LOCALE + " -- \\\" inside the quotes: the && stays quoted"),
    ("echo 'a;b'", ALLOW, "bash(1) QUOTING: 'Enclosing characters in single quotes preserves the literal value of each character'"),
    ('echo "a|b" \'c&&d\'', ALLOW, "bash(1) QUOTING: separators inside quotes are text"),
    ("echo a\\;b\\|c\\&d", ALLOW, "bash(1) QUOTING: an escaped separator is text"),
    ("echo 'a'\\''b' && evil", NOT_ALLOW, "bash(1) QUOTING: '\\'' closes, escapes and reopens; the && is real"),
    ("echo \"a'\" && evil", NOT_ALLOW, "an apostrophe inside double quotes opens nothing; the && is real"),
    ("echo '\"' && evil", NOT_ALLOW, "a double quote inside single quotes opens nothing; the && is real"),
])

CASES += series("split-operator", S, [
    ("npm test&&evil", NOT_ALLOW, COMPOUND + " -- no blanks around the operator"),
    ("npm test||evil", NOT_ALLOW, COMPOUND),
    ("npm test;evil", NOT_ALLOW, COMPOUND),
    ("npm test|evil", NOT_ALLOW, COMPOUND),
    ("npm test|&evil", NOT_ALLOW, COMPOUND),
    ("npm test&evil", NOT_ALLOW, COMPOUND),
    ("npm test &\nevil", NOT_ALLOW, COMPOUND),
    ("npm test;;evil", NOT_ALLOW, "bash(1): ;; outside case is a syntax error; nothing certain to allow"),
    ("npm test&&rm -rf build", DENY, COMPOUND),
    ("npm test|rm -rf build", DENY, COMPOUND),
    ("ls && echo done", ALLOW, COMPOUND + " -- each part allowed"),
    ("ls; echo done; cat README.md", ALLOW, COMPOUND + " -- each part allowed"),
    ("ls | grep x | wc -l", ALLOW, COMPOUND + " -- each part allowed"),
    ("ls\necho done\n", ALLOW, COMPOUND + " -- each line allowed"),
    ("ls && git push origin feature", ASK, COMPOUND + " -- one ask part decides"),
    ("! npm test", ALLOW, "bash(1) Pipelines: '!' negates the exit status; the command is npm test"),
    ("npm test & echo started", ALLOW, COMPOUND),
    ("npm test 2>&1 | grep -v warn", ALLOW, COMPOUND + "; fd duplication is no file write"),
    ("npm test >&2", ALLOW, "bash(1) Duplicating File Descriptors: >&2 writes no file"),
    ("npm test > /dev/null", ALLOW, "permissions#redirections: 'A /dev/null target isn't checked.'"),
    ("npm test\t&&\tevil", NOT_ALLOW, INVISIBLE + "; " + COMPOUND),
    ("npm\ttest", ALLOW, BLANK + " -- a tab is a blank: this is npm test"),
])

CASES += series("split-subshell", S, [
    ("(npm test; evil)", NOT_ALLOW, COMPOUND + " -- inside a subshell"),
    ("(npm test) && (evil)", NOT_ALLOW, COMPOUND),
    ("( (npm test) )", ALLOW, "bash(1) Compound Commands: (list) runs list in a subshell"),
    ("((npm test))", NOT_ALLOW, "bash(1) ((expression)) is arithmetic, not a nested subshell"),
    ("(ls && echo x)", ALLOW, COMPOUND + " -- each part allowed"),
    ("$(npm test)", NOT_ALLOW, "bash(1) Command Substitution in the command word: npm test's output is run as a command"),
    ("(rm -rf build)", DENY, COMPOUND),
    ("(echo a; (echo b; (rm -rf build)))", DENY, COMPOUND + " -- nested subshells"),
    ("npm test $(echo ok)", NOT_ALLOW, SUBSTITUTION),
    ("echo `echo a`", NOT_ALLOW, SUBSTITUTION),
    ("echo $(< .env)", NOT_ALLOW, SUBSTITUTION),
])

CASES += series("split-group", S, [
    ("{ npm test; }", ALLOW, "bash(1) Compound Commands: { list; } runs list in the current shell"),
    ("{ npm test; } && evil", NOT_ALLOW, COMPOUND),
    ("{npm test;}", NOT_ALLOW, "bash(1): { is a reserved word only as a separate word: {npm is a command name"),
    ("{ rm -rf build; }", DENY, COMPOUND),
    ("{ ls; echo x; } | grep y", ALLOW, COMPOUND + " -- each part allowed"),
])

CASES += series("split-keyword", S, [
    ("if npm test; then echo ok; fi", ALLOW, "bash(1) Compound Commands: if list; then list; fi runs only those lists"),
    ("if ! npm test; then echo fail; else echo ok; fi", ALLOW, "bash(1) Compound Commands: if/else"),
    ("while ls; do echo x; done", ALLOW, "bash(1) Compound Commands: while list; do list; done"),
    ("until npm test; do echo retry; done", ALLOW, "bash(1) Compound Commands: until list; do list; done"),
    ("if evil; then npm test; fi", NOT_ALLOW, COMPOUND + " -- the condition is a command too"),
    ("if npm test; then rm -rf build; fi", DENY, COMPOUND),
    ("[[ -f x ]] && evil", NOT_ALLOW, COMPOUND),
    ("coproc evil", NOT_ALLOW, "bash(1) Coprocesses: coproc runs its command"),
    ("select x in a b; do evil; done", NOT_ALLOW, COMPOUND),
    ("for f in a b; do rm $f; done", DENY, COMPOUND + " -- the loop body is a command"),
    ("case $x in a) npm test;; esac", NOT_ALLOW, "bash(1) case: nerv marks case uncertain (docs/rules.md)"),
    ("case x in *) rm -rf build;; esac", DENY, "bash(1) case: the clause's commands are commands"),
    ("case x in x) evil;; esac", NOT_ALLOW, "bash(1) case: the clause's commands are commands"),
    ("case x in (a|b) evil ;; esac", NOT_ALLOW, "bash(1) case: the | inside a pattern list is not a pipe, evil is a command"),
])

CASES += series("split-function", S, [
    ("f() { evil; }; f", NOT_ALLOW, FUNCTIONS),
    ("f() { rm -rf build; }; f", DENY, FUNCTIONS),
    ("function f { npm test; }; f", NOT_ALLOW, FUNCTIONS),
    ("npm() { evil; }; npm test", NOT_ALLOW, "bypass: a function shadowing the allowed command runs instead of it; " + FUNCTIONS),
    ("npm() { rm -rf build; }; npm test", DENY, "bypass: a function shadowing the allowed command runs instead of it; " + FUNCTIONS),
    ("echo() { evil; }\necho hi", NOT_ALLOW, "bypass: a function shadowing the allowed command runs instead of it; " + FUNCTIONS),
    ("alias npm=evil\nnpm test", NOT_ALLOW, "tools-reference#what-persists-between-commands: aliases are applied to every Bash command; the alias line itself is no allowed command"),
    ("ls() { echo hi; }", NOT_ALLOW, FUNCTIONS + " -- a definition alone is no allowed command"),
])

CASES += series("split-expansion", S, [
    ("echo ${x/$(evil)/}", NOT_ALLOW, SUBSTITUTION + " -- inside a parameter expansion"),
    ('echo "${x:-`evil`}"', NOT_ALLOW, SUBSTITUTION + " -- backticks inside a parameter expansion"),
    ("echo $(( $(evil) ))", NOT_ALLOW, SUBSTITUTION + " -- inside arithmetic"),
    ("echo $(( a[$(evil)] ))", NOT_ALLOW, SUBSTITUTION + " -- inside an arithmetic subscript"),
    ("echo $HOME", ALLOW, "bash(1) Parameter Expansion: a variable runs nothing"),
    ('echo "$HOME/x"', ALLOW, "bash(1) Parameter Expansion: a variable runs nothing"),
    ("echo ${HOME:-/tmp}", ALLOW, "bash(1) Parameter Expansion: a default value without substitution runs nothing"),
    ("cat <(ls) <(evil)", NOT_ALLOW, SUBSTITUTION + " -- process substitution"),
    ("echo x > >(rm -rf build)", DENY, SUBSTITUTION + " -- output process substitution"),
    ("ls | tee >(evil)", NOT_ALLOW, SUBSTITUTION),
    ("cat =(evil)", NOT_ALLOW, "zsh Process Substitution: =(list) runs list"),
    ("echo {a,b}", ALLOW, BRACE + " -- in an argument it only makes words"),
    ("echo {1..3}", ALLOW, BRACE),
    ("{rm,-rf,build}", DENY, "bypass: brace expansion in the command word; " + BRACE),
    ("{npm,test}", NOT_ALLOW, BRACE + " -- an allow rule matches the command as written"),
    ("{evil,x}", NOT_ALLOW, BRACE),
    ("/bin/r? -rf build", DENY, "bypass: a glob in the command word; " + PATHNAME),
    ("/???/?m -rf build", DENY, "bypass: a glob in the command word; " + PATHNAME),
    ("[r]m -rf build", DENY, "bypass: a bracket glob in the command word; " + PATHNAME),
    ("ec* hi", NOT_ALLOW, PATHNAME + " -- the command name is only known at run time"),
    ("ls *.py", ALLOW, "permissions#read-only-commands: 'Unquoted glob patterns are permitted' in arguments; Bash(ls *) matches"),
])

CASES += series("split-unicode", S, [
    ("npm\u00a0test", NOT_ALLOW, BLANK + " -- NBSP is not a separator: the command name is 'npm\\u00a0test'"),
    ("npm test\u00a0&&\u00a0evil", NOT_ALLOW, BLANK + "; " + COMPOUND),
    ("echo a\u00a0;\u00a0evil", NOT_ALLOW, METACHAR + " -- ; separates, NBSP does not"),
    ("echo a\u2028evil", ALLOW, BLANK + " -- U+2028 LINE SEPARATOR is a word character: one echo"),
    ("echo a\uff1bevil", ALLOW, BLANK + " -- a fullwidth semicolon is a word character: one echo"),
    ("echo a\u037eevil", ALLOW, BLANK + " -- U+037E GREEK QUESTION MARK looks like ; and is a word character"),
    ("ls\u3000-la", NOT_ALLOW, BLANK + " -- an ideographic space is not a separator: the command name is 'ls\\u3000-la'"),
    ("npm test \u2028rm -rf /", ALLOW, INVISIBLE + " -- U+2028 is no separator: rm and -rf are npm test's arguments"),
    ("rm\u00a0-rf /", NOT_ALLOW, BLANK + " -- the command name is 'rm\\u00a0-rf', which is not rm: no rule matches"),
    ("npm test\u200b&& evil", NOT_ALLOW, INVISIBLE + "; " + COMPOUND),
    ("npm test \u200b; evil", NOT_ALLOW, INVISIBLE + "; " + COMPOUND),
    ("echo\u00a0hi", NOT_ALLOW, BLANK + " -- the command name is 'echo\\u00a0hi'"),
])

CASES += series("split-quoted-newline", S, [
    ("echo 'a\\\nb'", ALLOW, "bash(1) QUOTING: inside single quotes backslash-newline is literal text"),
    ('echo "a\\\nb"', ALLOW, CONTINUATION + " -- inside double quotes it is a continuation"),
    ("echo 'a\\\n' && evil", NOT_ALLOW, "bash(1) QUOTING: the quote closes after the literal backslash-newline; the && is real"),
    ('echo "a\\\n" && rm -rf build', DENY, CONTINUATION + "; " + COMPOUND),
    ("echo 'x\\'\nevil", NOT_ALLOW, "bypass: a backslash does not escape a single quote, so 'x\\' is closed and the newline separates; " + HIDDEN_PARTS),
    ('echo "x\\"\nevil"', ALLOW, "bash(1) QUOTING: \\\" inside double quotes is a quote character; the newline is inside the quotes"),
    ("echo 'line one\nline two' && evil", NOT_ALLOW, COMPOUND + " -- a quoted newline, then a real &&"),
    ("git log --format='%H\n%s'", ALLOW, "a newline inside single quotes is text: one git log"),
])
