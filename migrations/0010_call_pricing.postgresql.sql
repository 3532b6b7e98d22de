-- What prices one API call beyond its tokens (nerv.pricing.token_cost), so `nerv cost --recompute` can re-price
-- PostgreSQL's version of step 0010 (types as in 0001_initial.postgresql.sql).
-- it, and both costs a call can have, so `nerv cost --cost-mode` can choose between them (docs/costs.md).
ALTER TABLE usage ADD COLUMN speed TEXT;  -- usage.speed: 'fast' for fast mode
ALTER TABLE usage ADD COLUMN inference_geo TEXT;  -- usage.inference_geo: 'us' for US-only inference
ALTER TABLE usage ADD COLUMN web_search_requests BIGINT NOT NULL DEFAULT 0 CHECK (web_search_requests >= 0);
ALTER TABLE usage ADD COLUMN line_cost_usd DOUBLE PRECISION CHECK (line_cost_usd IS NULL OR line_cost_usd >= 0);  -- costUSD
-- The cost from tokens at the prices in force; NULL when the model has no price. cost_usd stays the cost in
-- the default `auto` mode (costUSD when the line has one, else this), which totals and budgets sum.
ALTER TABLE usage ADD COLUMN token_cost_usd DOUBLE PRECISION CHECK (token_cost_usd IS NULL OR token_cost_usd >= 0);
-- Rows imported before kept no costUSD apart: their stored cost is the cost they had.
UPDATE usage SET token_cost_usd = cost_usd WHERE cost_known = 1;
