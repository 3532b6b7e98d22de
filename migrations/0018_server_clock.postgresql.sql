-- 0018: leases and expiries on the server's clock (docs/teams.md, "Clocks").
-- Machines' clocks differ, so on PostgreSQL every lease is computed from the server's now() (nerv.store.dialect.now)
-- and the columns that are compared with it hold timestamptz: the comparison is of instants, whatever text a
-- value was written as. nerv reads them back as the same ISO text SQLite stores (nerv.store.postgres), so
-- the services and the JSON output do not change.
ALTER TABLE tasks ALTER COLUMN lease_expires_at TYPE timestamptz USING lease_expires_at::timestamptz;
ALTER TABLE path_leases ALTER COLUMN expires_at TYPE timestamptz USING expires_at::timestamptz,
                        ALTER COLUMN released_at TYPE timestamptz USING released_at::timestamptz;
ALTER TABLE agents ALTER COLUMN last_heartbeat_at TYPE timestamptz USING last_heartbeat_at::timestamptz;
