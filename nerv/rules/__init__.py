"""Claude Code permission rules: grammar, shell splitting, matching. Stdlib only (the hook uses it).

    parse_rule("Bash(npm test *)")                  -> Rule, or RuleError with the position
    evaluate(rules, "Bash", {"command": ...}, ctx)  -> Match(decision, rule, part, reason)
"""

from nerv.rules.evaluate import Context, Match, StoredRule, bash_forms, evaluate, make_context, url_host
from nerv.rules.grammar import ACTIONS, Rule, RuleError, parse_rule

__all__ = ["ACTIONS", "Context", "Match", "Rule", "RuleError", "StoredRule", "bash_forms", "evaluate",
           "make_context", "parse_rule", "url_host"]
# suggest_rule lives in nerv.rules.suggest: only the request path needs it, so the hook's fast path skips it.
