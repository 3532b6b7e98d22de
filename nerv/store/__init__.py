"""The store: the only package that speaks SQL.

Layout: `sqlite` opens connections (pragmas), `migrate` runs migrations, `tx` runs write transactions
with their audit row, `audit` keeps the hash chain, `backup` copies live databases, `db` ties them
together (`open_store`), `orm` and `models` are the peewee mirror used by services, `queries/` holds
the hand-written SQL of hot paths. Importing this package imports nothing heavy.
"""
