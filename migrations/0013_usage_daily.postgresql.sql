-- 0013: usage_daily, an exact rollup of usage per UTC day, session, project, model, task and subagent, so cost reports read thousands of rows instead of every API call.
-- PostgreSQL's version of step 0013 (types as in 0001_initial.postgresql.sql).
-- The keys serve every `nerv cost --by` grouping and filter: week and month derive from the day, agent
-- and cycle join through the session and the task. NULL keys are stored as '' so the primary key (and the
-- triggers' upsert) treats them as one value. Cost is summed in integer nano-dollars (cost_usd rounded
-- per call): integer sums stay exact under any order of inserts, updates and deletes, where DOUBLE PRECISION sums
-- drift. The triggers keep the rollup in the transaction of whatever writes usage (import, re-import,
-- session assign, prune, cascades from deleted sessions, `nerv import`); `nerv cost --recompute` rebuilds
-- it (nerv.store.queries_costs.rebuild_rollup, the same SELECT as the backfill below).

CREATE TABLE usage_daily (
    day                    TEXT NOT NULL,
    session_id             TEXT NOT NULL,
    project_id             TEXT NOT NULL,
    model                  TEXT NOT NULL,
    task_id                TEXT NOT NULL,
    subagent_id            TEXT NOT NULL,
    api_calls              BIGINT NOT NULL,
    input_tokens           BIGINT NOT NULL,
    output_tokens          BIGINT NOT NULL,
    cache_write_5m_tokens  BIGINT NOT NULL,
    cache_write_1h_tokens  BIGINT NOT NULL,
    cache_read_tokens      BIGINT NOT NULL,
    cost_nano              BIGINT NOT NULL,
    unpriced_calls         BIGINT NOT NULL,
    PRIMARY KEY (day, session_id, project_id, model, task_id, subagent_id)
);

CREATE FUNCTION usage_daily_ai() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_daily (day, session_id, project_id, model, task_id, subagent_id, api_calls, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, cost_nano, unpriced_calls)
    VALUES (substr(new.ts, 1, 10), new.session_id, coalesce(new.project_id, ''), coalesce(new.model, ''), coalesce(new.task_id, ''), coalesce(new.subagent_id, ''), 1, new.input_tokens, new.output_tokens, new.cache_write_5m_tokens, new.cache_write_1h_tokens, new.cache_read_tokens, CAST(round(new.cost_usd * 1e9) AS BIGINT), (1 - new.cost_known))
    ON CONFLICT (day, session_id, project_id, model, task_id, subagent_id) DO UPDATE SET
        api_calls = usage_daily.api_calls + excluded.api_calls, input_tokens = usage_daily.input_tokens + excluded.input_tokens, output_tokens = usage_daily.output_tokens + excluded.output_tokens, cache_write_5m_tokens = usage_daily.cache_write_5m_tokens + excluded.cache_write_5m_tokens, cache_write_1h_tokens = usage_daily.cache_write_1h_tokens + excluded.cache_write_1h_tokens, cache_read_tokens = usage_daily.cache_read_tokens + excluded.cache_read_tokens, cost_nano = usage_daily.cost_nano + excluded.cost_nano, unpriced_calls = usage_daily.unpriced_calls + excluded.unpriced_calls;
    RETURN NULL;
END $$;
CREATE TRIGGER usage_daily_ai AFTER INSERT ON usage FOR EACH ROW EXECUTE FUNCTION usage_daily_ai();

CREATE FUNCTION usage_daily_ad() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE usage_daily SET api_calls = api_calls - 1, input_tokens = input_tokens - old.input_tokens, output_tokens = output_tokens - old.output_tokens, cache_write_5m_tokens = cache_write_5m_tokens - old.cache_write_5m_tokens, cache_write_1h_tokens = cache_write_1h_tokens - old.cache_write_1h_tokens, cache_read_tokens = cache_read_tokens - old.cache_read_tokens, cost_nano = cost_nano - CAST(round(old.cost_usd * 1e9) AS BIGINT), unpriced_calls = unpriced_calls - (1 - old.cost_known)
    WHERE day = substr(old.ts, 1, 10) AND session_id = old.session_id AND project_id = coalesce(old.project_id, '') AND model = coalesce(old.model, '') AND task_id = coalesce(old.task_id, '') AND subagent_id = coalesce(old.subagent_id, '');
    DELETE FROM usage_daily WHERE day = substr(old.ts, 1, 10) AND session_id = old.session_id AND project_id = coalesce(old.project_id, '') AND model = coalesce(old.model, '') AND task_id = coalesce(old.task_id, '') AND subagent_id = coalesce(old.subagent_id, '') AND api_calls = 0;
    RETURN NULL;
END $$;
CREATE TRIGGER usage_daily_ad AFTER DELETE ON usage FOR EACH ROW EXECUTE FUNCTION usage_daily_ad();

CREATE FUNCTION usage_daily_au() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE usage_daily SET api_calls = api_calls - 1, input_tokens = input_tokens - old.input_tokens, output_tokens = output_tokens - old.output_tokens, cache_write_5m_tokens = cache_write_5m_tokens - old.cache_write_5m_tokens, cache_write_1h_tokens = cache_write_1h_tokens - old.cache_write_1h_tokens, cache_read_tokens = cache_read_tokens - old.cache_read_tokens, cost_nano = cost_nano - CAST(round(old.cost_usd * 1e9) AS BIGINT), unpriced_calls = unpriced_calls - (1 - old.cost_known)
    WHERE day = substr(old.ts, 1, 10) AND session_id = old.session_id AND project_id = coalesce(old.project_id, '') AND model = coalesce(old.model, '') AND task_id = coalesce(old.task_id, '') AND subagent_id = coalesce(old.subagent_id, '');
    DELETE FROM usage_daily WHERE day = substr(old.ts, 1, 10) AND session_id = old.session_id AND project_id = coalesce(old.project_id, '') AND model = coalesce(old.model, '') AND task_id = coalesce(old.task_id, '') AND subagent_id = coalesce(old.subagent_id, '') AND api_calls = 0;
    INSERT INTO usage_daily (day, session_id, project_id, model, task_id, subagent_id, api_calls, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, cost_nano, unpriced_calls)
    VALUES (substr(new.ts, 1, 10), new.session_id, coalesce(new.project_id, ''), coalesce(new.model, ''), coalesce(new.task_id, ''), coalesce(new.subagent_id, ''), 1, new.input_tokens, new.output_tokens, new.cache_write_5m_tokens, new.cache_write_1h_tokens, new.cache_read_tokens, CAST(round(new.cost_usd * 1e9) AS BIGINT), (1 - new.cost_known))
    ON CONFLICT (day, session_id, project_id, model, task_id, subagent_id) DO UPDATE SET
        api_calls = usage_daily.api_calls + excluded.api_calls, input_tokens = usage_daily.input_tokens + excluded.input_tokens, output_tokens = usage_daily.output_tokens + excluded.output_tokens, cache_write_5m_tokens = usage_daily.cache_write_5m_tokens + excluded.cache_write_5m_tokens, cache_write_1h_tokens = usage_daily.cache_write_1h_tokens + excluded.cache_write_1h_tokens, cache_read_tokens = usage_daily.cache_read_tokens + excluded.cache_read_tokens, cost_nano = usage_daily.cost_nano + excluded.cost_nano, unpriced_calls = usage_daily.unpriced_calls + excluded.unpriced_calls;
    RETURN NULL;
END $$;
CREATE TRIGGER usage_daily_au AFTER UPDATE OF session_id, project_id, model, ts, task_id, subagent_id, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, cost_usd, cost_known ON usage FOR EACH ROW EXECUTE FUNCTION usage_daily_au();

INSERT INTO usage_daily (day, session_id, project_id, model, task_id, subagent_id, api_calls, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, cost_nano, unpriced_calls)
SELECT substr(u.ts, 1, 10), u.session_id, coalesce(u.project_id, ''), coalesce(u.model, ''), coalesce(u.task_id, ''), coalesce(u.subagent_id, ''),
       COUNT(*), SUM(u.input_tokens), SUM(u.output_tokens), SUM(u.cache_write_5m_tokens), SUM(u.cache_write_1h_tokens),
       SUM(u.cache_read_tokens), SUM(CAST(round(u.cost_usd * 1e9) AS BIGINT)), SUM(1 - u.cost_known)
FROM usage u GROUP BY 1, 2, 3, 4, 5, 6;
