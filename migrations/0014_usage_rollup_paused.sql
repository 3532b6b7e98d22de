-- 0014: usage_rollup_paused lets the transcript import add a batch of new usage rows to usage_daily in one GROUP BY instead of one upsert per row (measured: the per-row upsert was 60 % of the insert's cost).
-- The insert trigger stands aside while the table holds a row. The importer inserts that row and deletes it
-- inside its own write transaction (nerv.store.queries_costs.rollup_added_in_bulk), so no other writer, and
-- no committed state, ever sees it: every other INSERT keeps the rollup exact row by row, as before.

CREATE TABLE usage_rollup_paused (
    paused INTEGER PRIMARY KEY
);

DROP TRIGGER usage_daily_ai;

CREATE TRIGGER usage_daily_ai AFTER INSERT ON usage
WHEN NOT EXISTS (SELECT 1 FROM usage_rollup_paused)
BEGIN
    INSERT INTO usage_daily (day, session_id, project_id, model, task_id, subagent_id, api_calls, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, cost_nano, unpriced_calls)
    VALUES (substr(new.ts, 1, 10), new.session_id, coalesce(new.project_id, ''), coalesce(new.model, ''), coalesce(new.task_id, ''), coalesce(new.subagent_id, ''), 1, new.input_tokens, new.output_tokens, new.cache_write_5m_tokens, new.cache_write_1h_tokens, new.cache_read_tokens, CAST(round(new.cost_usd * 1e9) AS INTEGER), (1 - new.cost_known))
    ON CONFLICT (day, session_id, project_id, model, task_id, subagent_id) DO UPDATE SET
        api_calls = api_calls + excluded.api_calls, input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, cache_write_5m_tokens = cache_write_5m_tokens + excluded.cache_write_5m_tokens, cache_write_1h_tokens = cache_write_1h_tokens + excluded.cache_write_1h_tokens, cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, cost_nano = cost_nano + excluded.cost_nano, unpriced_calls = unpriced_calls + excluded.unpriced_calls;
END;
