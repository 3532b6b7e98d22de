-- 0018: leases and expiries on the server's clock, a PostgreSQL change (0018_server_clock.postgresql.sql).
-- A SQLite ledger serves one machine and compares its leases with that machine's clock: nothing changes here.
SELECT 1;
