"""Domain rules that both the services and the stdlib-only hook need (budget state, lease matching, the
resume brief). Stdlib only: no peewee, typer, rich or numpy here, and no SQL (that stays in nerv.store)."""
