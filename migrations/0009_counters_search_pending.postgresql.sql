-- 0010: what correctness relies on, stated in the schema instead of inherited from SQLite's single writer: per-project numbers come from a counters table, and the search generation moves once per write transaction instead of on a single row every indexed write updates.
-- PostgreSQL's version of step 0009 (types as in 0001_initial.postgresql.sql).
-- project_counters: `nerv task add` and its twins take the next number with one upsert
-- (INSERT ... ON CONFLICT DO UPDATE SET last = last + 1 RETURNING last), which is atomic under any
-- number of concurrent writers; MAX(number)+1 is only safe while one writer at a time exists. The
-- triggers keep a counter at least the highest number inserted by any path (import, ADR files), so a
-- number is never handed out twice, and never reused after a delete. They only read the counter when
-- the row took its number from it (the usual case).
-- search_pending: the index triggers record which items changed; the store's write wrapper
-- (nerv.store.search_generation.settle, called before COMMIT) bumps search_meta.generation once and stamps
-- those items with it. Under PostgreSQL that row is then locked only from the bump to the commit, so
-- generations commit in order and the vector cache's "changed since" cursor stays exact.

CREATE TABLE project_counters (
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('task', 'decision', 'cycle', 'learning', 'checkpoint')),
    last        BIGINT NOT NULL CHECK (last >= 0),
    PRIMARY KEY (project_id, kind)
);

INSERT INTO project_counters (project_id, kind, last)
    SELECT project_id, 'task', max(number) FROM tasks GROUP BY project_id;
INSERT INTO project_counters (project_id, kind, last)
    SELECT project_id, 'decision', max(number) FROM decisions GROUP BY project_id;
INSERT INTO project_counters (project_id, kind, last)
    SELECT project_id, 'cycle', max(number) FROM cycles GROUP BY project_id;
INSERT INTO project_counters (project_id, kind, last)
    SELECT project_id, 'learning', max(number) FROM learnings GROUP BY project_id;
INSERT INTO project_counters (project_id, kind, last)
    SELECT project_id, 'checkpoint', max(number) FROM checkpoints GROUP BY project_id;
CREATE FUNCTION tasks_counter_ai() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF new.number > coalesce((SELECT last FROM project_counters WHERE project_id = new.project_id AND kind = 'task'), 0) THEN
        INSERT INTO project_counters (project_id, kind, last) VALUES (new.project_id, 'task', new.number)
        ON CONFLICT (project_id, kind) DO UPDATE SET last = GREATEST(project_counters.last, excluded.last);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER tasks_counter_ai AFTER INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION tasks_counter_ai();
CREATE FUNCTION decisions_counter_ai() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF new.number > coalesce((SELECT last FROM project_counters WHERE project_id = new.project_id AND kind = 'decision'), 0) THEN
        INSERT INTO project_counters (project_id, kind, last) VALUES (new.project_id, 'decision', new.number)
        ON CONFLICT (project_id, kind) DO UPDATE SET last = GREATEST(project_counters.last, excluded.last);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER decisions_counter_ai AFTER INSERT ON decisions FOR EACH ROW EXECUTE FUNCTION decisions_counter_ai();
CREATE FUNCTION cycles_counter_ai() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF new.number > coalesce((SELECT last FROM project_counters WHERE project_id = new.project_id AND kind = 'cycle'), 0) THEN
        INSERT INTO project_counters (project_id, kind, last) VALUES (new.project_id, 'cycle', new.number)
        ON CONFLICT (project_id, kind) DO UPDATE SET last = GREATEST(project_counters.last, excluded.last);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER cycles_counter_ai AFTER INSERT ON cycles FOR EACH ROW EXECUTE FUNCTION cycles_counter_ai();
CREATE FUNCTION learnings_counter_ai() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF new.number > coalesce((SELECT last FROM project_counters WHERE project_id = new.project_id AND kind = 'learning'), 0) THEN
        INSERT INTO project_counters (project_id, kind, last) VALUES (new.project_id, 'learning', new.number)
        ON CONFLICT (project_id, kind) DO UPDATE SET last = GREATEST(project_counters.last, excluded.last);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER learnings_counter_ai AFTER INSERT ON learnings FOR EACH ROW EXECUTE FUNCTION learnings_counter_ai();
CREATE FUNCTION checkpoints_counter_ai() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF new.number > coalesce((SELECT last FROM project_counters WHERE project_id = new.project_id AND kind = 'checkpoint'), 0) THEN
        INSERT INTO project_counters (project_id, kind, last) VALUES (new.project_id, 'checkpoint', new.number)
        ON CONFLICT (project_id, kind) DO UPDATE SET last = GREATEST(project_counters.last, excluded.last);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER checkpoints_counter_ai AFTER INSERT ON checkpoints FOR EACH ROW EXECUTE FUNCTION checkpoints_counter_ai();

CREATE TABLE search_pending (
    kind     TEXT NOT NULL,
    item_id  TEXT NOT NULL,
    PRIMARY KEY (kind, item_id)
);

-- The index triggers of 0006 without the generation bump: each records its item in search_pending and
-- stamps it provisionally with the next generation, which settle() confirms.
DROP TRIGGER decisions_search_ai ON decisions;
DROP FUNCTION decisions_search_ai();
DROP TRIGGER decisions_search_au ON decisions;
DROP FUNCTION decisions_search_au();
DROP TRIGGER decisions_search_ad ON decisions;
DROP FUNCTION decisions_search_ad();
DROP TRIGGER learnings_search_ai ON learnings;
DROP FUNCTION learnings_search_ai();
DROP TRIGGER learnings_search_au ON learnings;
DROP FUNCTION learnings_search_au();
DROP TRIGGER learnings_search_ad ON learnings;
DROP FUNCTION learnings_search_ad();
DROP TRIGGER handoffs_search_ai ON handoffs;
DROP FUNCTION handoffs_search_ai();
DROP TRIGGER handoffs_search_au ON handoffs;
DROP FUNCTION handoffs_search_au();
DROP TRIGGER handoffs_search_ad ON handoffs;
DROP FUNCTION handoffs_search_ad();
DROP TRIGGER tasks_search_ai ON tasks;
DROP FUNCTION tasks_search_ai();
DROP TRIGGER tasks_search_au ON tasks;
DROP FUNCTION tasks_search_au();
DROP TRIGGER tasks_search_ad ON tasks;
DROP FUNCTION tasks_search_ad();

-- Decisions: title, then every section.
CREATE FUNCTION decisions_search_ai() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('decision', new.id) ON CONFLICT DO NOTHING;
    INSERT INTO search_items (kind, item_id, project_id, title, body, seq)
    VALUES ('decision', new.id, new.project_id, new.title,
            coalesce(new.context, '') || chr(10) || coalesce(new.decision, '') || chr(10) ||
            coalesce(new.consequences, '') || chr(10) || coalesce(new.alternatives, ''),
            (SELECT generation + 1 FROM search_meta WHERE id = 1));
    RETURN NULL;
END $$;
CREATE TRIGGER decisions_search_ai AFTER INSERT ON decisions FOR EACH ROW EXECUTE FUNCTION decisions_search_ai();
CREATE FUNCTION decisions_search_au() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('decision', new.id) ON CONFLICT DO NOTHING;
    UPDATE search_items SET title = new.title, project_id = new.project_id,
        body = coalesce(new.context, '') || chr(10) || coalesce(new.decision, '') || chr(10) ||
            coalesce(new.consequences, '') || chr(10) || coalesce(new.alternatives, ''),
        seq = (SELECT generation + 1 FROM search_meta WHERE id = 1)
    WHERE kind = 'decision' AND item_id = new.id;
    RETURN NULL;
END $$;
CREATE TRIGGER decisions_search_au AFTER UPDATE OF title, context, decision, consequences, alternatives, project_id ON decisions FOR EACH ROW EXECUTE FUNCTION decisions_search_au();
CREATE FUNCTION decisions_search_ad() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('decision', old.id) ON CONFLICT DO NOTHING;
    DELETE FROM search_items WHERE kind = 'decision' AND item_id = old.id;
    RETURN NULL;
END $$;
CREATE TRIGGER decisions_search_ad AFTER DELETE ON decisions FOR EACH ROW EXECUTE FUNCTION decisions_search_ad();

-- Learnings: the text and its tags.
CREATE FUNCTION learnings_search_ai() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('learning', new.id) ON CONFLICT DO NOTHING;
    INSERT INTO search_items (kind, item_id, project_id, title, body, seq)
    VALUES ('learning', new.id, new.project_id, '', new.text || chr(10) || new.tags,
            (SELECT generation + 1 FROM search_meta WHERE id = 1));
    RETURN NULL;
END $$;
CREATE TRIGGER learnings_search_ai AFTER INSERT ON learnings FOR EACH ROW EXECUTE FUNCTION learnings_search_ai();
CREATE FUNCTION learnings_search_au() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('learning', new.id) ON CONFLICT DO NOTHING;
    UPDATE search_items SET project_id = new.project_id,
        body = new.text || chr(10) || new.tags,
        seq = (SELECT generation + 1 FROM search_meta WHERE id = 1)
    WHERE kind = 'learning' AND item_id = new.id;
    RETURN NULL;
END $$;
CREATE TRIGGER learnings_search_au AFTER UPDATE OF text, tags, project_id ON learnings FOR EACH ROW EXECUTE FUNCTION learnings_search_au();
CREATE FUNCTION learnings_search_ad() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('learning', old.id) ON CONFLICT DO NOTHING;
    DELETE FROM search_items WHERE kind = 'learning' AND item_id = old.id;
    RETURN NULL;
END $$;
CREATE TRIGGER learnings_search_ad AFTER DELETE ON learnings FOR EACH ROW EXECUTE FUNCTION learnings_search_ad();

-- Handoffs: where work stopped, the next steps and the files.
CREATE FUNCTION handoffs_search_ai() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('handoff', new.id) ON CONFLICT DO NOTHING;
    INSERT INTO search_items (kind, item_id, project_id, title, body, seq)
    VALUES ('handoff', new.id, new.project_id, '',
            new.text || chr(10) || new.next_steps || chr(10) || new.files,
            (SELECT generation + 1 FROM search_meta WHERE id = 1));
    RETURN NULL;
END $$;
CREATE TRIGGER handoffs_search_ai AFTER INSERT ON handoffs FOR EACH ROW EXECUTE FUNCTION handoffs_search_ai();
CREATE FUNCTION handoffs_search_au() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('handoff', new.id) ON CONFLICT DO NOTHING;
    UPDATE search_items SET project_id = new.project_id,
        body = new.text || chr(10) || new.next_steps || chr(10) || new.files,
        seq = (SELECT generation + 1 FROM search_meta WHERE id = 1)
    WHERE kind = 'handoff' AND item_id = new.id;
    RETURN NULL;
END $$;
CREATE TRIGGER handoffs_search_au AFTER UPDATE OF text, next_steps, files, project_id ON handoffs FOR EACH ROW EXECUTE FUNCTION handoffs_search_au();
CREATE FUNCTION handoffs_search_ad() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('handoff', old.id) ON CONFLICT DO NOTHING;
    DELETE FROM search_items WHERE kind = 'handoff' AND item_id = old.id;
    RETURN NULL;
END $$;
CREATE TRIGGER handoffs_search_ad AFTER DELETE ON handoffs FOR EACH ROW EXECUTE FUNCTION handoffs_search_ad();

-- Tasks: title and description only, so status changes and heartbeats never touch the index.
CREATE FUNCTION tasks_search_ai() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('task', new.id) ON CONFLICT DO NOTHING;
    INSERT INTO search_items (kind, item_id, project_id, title, body, seq)
    VALUES ('task', new.id, new.project_id, new.title, coalesce(new.description, ''),
            (SELECT generation + 1 FROM search_meta WHERE id = 1));
    RETURN NULL;
END $$;
CREATE TRIGGER tasks_search_ai AFTER INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION tasks_search_ai();
CREATE FUNCTION tasks_search_au() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('task', new.id) ON CONFLICT DO NOTHING;
    UPDATE search_items SET title = new.title, project_id = new.project_id, body = coalesce(new.description, ''),
        seq = (SELECT generation + 1 FROM search_meta WHERE id = 1)
    WHERE kind = 'task' AND item_id = new.id;
    RETURN NULL;
END $$;
CREATE TRIGGER tasks_search_au AFTER UPDATE OF title, description, project_id ON tasks FOR EACH ROW WHEN (old.title IS DISTINCT FROM new.title OR old.description IS DISTINCT FROM new.description OR old.project_id IS DISTINCT FROM new.project_id) EXECUTE FUNCTION tasks_search_au();
CREATE FUNCTION tasks_search_ad() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('task', old.id) ON CONFLICT DO NOTHING;
    DELETE FROM search_items WHERE kind = 'task' AND item_id = old.id;
    RETURN NULL;
END $$;
CREATE TRIGGER tasks_search_ad AFTER DELETE ON tasks FOR EACH ROW EXECUTE FUNCTION tasks_search_ad();
