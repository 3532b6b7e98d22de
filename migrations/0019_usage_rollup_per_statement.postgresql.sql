-- 0019: usage_daily (0013) kept once per statement instead of once per row. The import inserts up to 1,000 usage
-- rows per statement (nerv.store.postgres.BATCH_ROWS); 0013's row triggers made that 1,000 upserts, measured as
-- half the server's time of a transcript import (docs/performance.md). Statement triggers read the statement's
-- rows from transition tables and change each rollup row once, with the same per-call values as 0013
-- (integer nano-dollars, NULL keys as ''), so the rollup stays exact.
-- An UPDATE subtracts the old rows, drops the rollup rows that reach zero calls, then adds the new rows: what
-- 0013's row trigger did per row, summed. A statement trigger with transition tables fires for every UPDATE
-- (PostgreSQL refuses a column list on it); one that changes no rollup column subtracts and adds the same sums.
-- Groups are written in key order, so two writers touching the same rollup rows lock them in the same order.

DROP TRIGGER usage_daily_ai ON usage;
DROP TRIGGER usage_daily_ad ON usage;
DROP TRIGGER usage_daily_au ON usage;
DROP FUNCTION usage_daily_ai();
DROP FUNCTION usage_daily_ad();
DROP FUNCTION usage_daily_au();

CREATE FUNCTION usage_daily_per_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE usage_daily d SET api_calls = d.api_calls - o.api_calls, input_tokens = d.input_tokens - o.input_tokens, output_tokens = d.output_tokens - o.output_tokens, cache_write_5m_tokens = d.cache_write_5m_tokens - o.cache_write_5m_tokens, cache_write_1h_tokens = d.cache_write_1h_tokens - o.cache_write_1h_tokens, cache_read_tokens = d.cache_read_tokens - o.cache_read_tokens, cost_nano = d.cost_nano - o.cost_nano, unpriced_calls = d.unpriced_calls - o.unpriced_calls
        FROM (SELECT substr(ts, 1, 10) AS day, session_id, coalesce(project_id, '') AS project_id, coalesce(model, '') AS model, coalesce(task_id, '') AS task_id, coalesce(subagent_id, '') AS subagent_id,
                     COUNT(*) AS api_calls, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens, SUM(cache_write_5m_tokens) AS cache_write_5m_tokens, SUM(cache_write_1h_tokens) AS cache_write_1h_tokens, SUM(cache_read_tokens) AS cache_read_tokens, SUM(CAST(round(cost_usd * 1e9) AS BIGINT)) AS cost_nano, SUM(1 - cost_known) AS unpriced_calls
              FROM usage_daily_old GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6) o
        WHERE d.day = o.day AND d.session_id = o.session_id AND d.project_id = o.project_id AND d.model = o.model AND d.task_id = o.task_id AND d.subagent_id = o.subagent_id;
        DELETE FROM usage_daily d USING (SELECT DISTINCT substr(ts, 1, 10) AS day, session_id, coalesce(project_id, '') AS project_id, coalesce(model, '') AS model, coalesce(task_id, '') AS task_id, coalesce(subagent_id, '') AS subagent_id FROM usage_daily_old) o
        WHERE d.day = o.day AND d.session_id = o.session_id AND d.project_id = o.project_id AND d.model = o.model AND d.task_id = o.task_id AND d.subagent_id = o.subagent_id AND d.api_calls = 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO usage_daily (day, session_id, project_id, model, task_id, subagent_id, api_calls, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, cost_nano, unpriced_calls)
        SELECT substr(ts, 1, 10), session_id, coalesce(project_id, ''), coalesce(model, ''), coalesce(task_id, ''), coalesce(subagent_id, ''),
               COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cache_write_5m_tokens), SUM(cache_write_1h_tokens), SUM(cache_read_tokens), SUM(CAST(round(cost_usd * 1e9) AS BIGINT)), SUM(1 - cost_known)
        FROM usage_daily_new GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (day, session_id, project_id, model, task_id, subagent_id) DO UPDATE SET
            api_calls = usage_daily.api_calls + excluded.api_calls, input_tokens = usage_daily.input_tokens + excluded.input_tokens, output_tokens = usage_daily.output_tokens + excluded.output_tokens, cache_write_5m_tokens = usage_daily.cache_write_5m_tokens + excluded.cache_write_5m_tokens, cache_write_1h_tokens = usage_daily.cache_write_1h_tokens + excluded.cache_write_1h_tokens, cache_read_tokens = usage_daily.cache_read_tokens + excluded.cache_read_tokens, cost_nano = usage_daily.cost_nano + excluded.cost_nano, unpriced_calls = usage_daily.unpriced_calls + excluded.unpriced_calls;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER usage_daily_ai AFTER INSERT ON usage REFERENCING NEW TABLE AS usage_daily_new
    FOR EACH STATEMENT EXECUTE FUNCTION usage_daily_per_statement();
CREATE TRIGGER usage_daily_ad AFTER DELETE ON usage REFERENCING OLD TABLE AS usage_daily_old
    FOR EACH STATEMENT EXECUTE FUNCTION usage_daily_per_statement();
CREATE TRIGGER usage_daily_au AFTER UPDATE ON usage REFERENCING OLD TABLE AS usage_daily_old NEW TABLE AS usage_daily_new
    FOR EACH STATEMENT EXECUTE FUNCTION usage_daily_per_statement();
