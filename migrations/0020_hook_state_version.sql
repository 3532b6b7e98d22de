-- 0020: a version of the rows the hook decides from, a PostgreSQL change (0020_hook_state_version.postgresql.sql).
-- On SQLite every hook process reads the file itself; no process keeps those rows between calls: nothing changes here.
SELECT 1;
