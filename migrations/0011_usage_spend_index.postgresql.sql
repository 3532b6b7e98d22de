-- 0011: a covering index for spend since a date (budgets in the PreToolUse guard, the dashboard's today/month spend and unpriced models), so the sum reads the index alone instead of one table row per API call.
-- PostgreSQL's version of step 0011 (types as in 0001_initial.postgresql.sql).
CREATE INDEX ix_usage_ts_cost ON usage(ts, cost_usd, cost_known, model);
