-- 0003: approvals and hooks: each Bash rule's literal prefix (the hook's SQL candidate filter, so 1,000 rules stay fast), the rule a person would write for each approval request (ranked by `nerv approval suggest`), and indexes for the hook's lookups.
-- PostgreSQL's version of step 0003 (types as in 0001_initial.postgresql.sql).
ALTER TABLE approval_rules ADD COLUMN literal_prefix TEXT;
ALTER TABLE approval_requests ADD COLUMN suggested_rule TEXT;
ALTER TABLE approval_requests ADD COLUMN tool_use_id TEXT;
CREATE INDEX ix_rules_tool_prefix ON approval_rules(tool, literal_prefix);
CREATE INDEX ix_approvals_suggested ON approval_requests(suggested_rule, status);
CREATE INDEX ix_approvals_created ON approval_requests(created_at);
CREATE INDEX ix_metrics_session ON metrics(session_id);
