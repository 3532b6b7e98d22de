"""The store: the only package that speaks SQL.

Layout: `sqlite` opens connections (pragmas), `migrate` runs migrations, `tx` runs write transactions
with their audit row, `audit` keeps the hash chain, `sqlite_backup` copies live databases, `db` ties them
together (`open_store`: a `Store` whose areas, `*_area.py`, are what services call), `orm` and `models`
are the peewee mirror used by services, `queries_*.py` hold the hand-written SQL of hot paths. Importing
this package imports nothing heavy.
"""
