"""Domain logic. Services take a Store, return plain data (dicts/lists), raise NervError, and make every
change inside `store.write(...)` together with its audit row. No printing, no typer, no SQL text."""
