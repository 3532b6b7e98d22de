-- 0019: the usage rollup kept once per statement, a PostgreSQL change (0019_usage_rollup_per_statement.postgresql.sql).
-- SQLite has no transition tables; its import already adds a batch to usage_daily in one GROUP BY (0015): nothing changes here.
SELECT 1;
