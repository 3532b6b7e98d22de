"""Finding a row by its id or an id prefix: one rule for tasks, decisions, sessions and checkpoints.

The full id matches exactly; otherwise the text (lowercased: ids are lowercase hex, or Claude Code's
lowercase uuids) must have at least PREFIX_MIN characters and start exactly one id in scope.
nerv.store.lookups.find_project applies the same rule to projects in SQL (the hook has no models).
"""

from __future__ import annotations

from nerv.errors import NervError, invalid, not_found

PREFIX_MIN = 4
SHOWN_MATCHES = 5


def by_id_or_prefix(query, id_field, text: str, what: str, hint: str, describe=None):
    """The one row of `query` (a peewee select) whose `id_field` is `text` or starts with it.

    Raises invalid (prefix too short), not_found, or ambiguous (naming up to five matches with `describe`).
    """
    exact = query.where(id_field == text).first()
    if exact is not None:
        return exact
    lowered = text.lower()
    if len(lowered) < PREFIX_MIN:
        raise invalid(f"id prefix {text!r} is too short", f"type at least {PREFIX_MIN} characters of the id")
    matches = list(query.where(id_field.startswith(lowered)).order_by(id_field).limit(SHOWN_MATCHES + 1))
    if not matches:
        raise not_found(what, f"with id prefix {text!r}", hint)
    if len(matches) > 1:
        shown = ": " + ", ".join(describe(m) for m in matches[:SHOWN_MATCHES]) if describe else ""
        raise NervError("ambiguous", f"id prefix {text!r} matches several {what}s{shown}",
                        "type more characters of the id", details=[getattr(m, id_field.name) for m in matches])
    return matches[0]
