"""nerv: the state ledger for agentic software work.

Importing this package must cost nothing: the hook path imports it on every agent tool call.
"""

__version__ = "0.1.0"
