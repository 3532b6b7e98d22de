-- 0010: what correctness relies on, stated in the schema instead of inherited from SQLite's single writer: per-project numbers come from a counters table, and the search generation moves once per write transaction instead of on a single row every indexed write updates.
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
    last        INTEGER NOT NULL CHECK (last >= 0),
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
CREATE TRIGGER tasks_counter_ai AFTER INSERT ON tasks
WHEN new.number > coalesce((SELECT last FROM project_counters WHERE project_id = new.project_id AND kind = 'task'), 0)
BEGIN
    INSERT INTO project_counters (project_id, kind, last) VALUES (new.project_id, 'task', new.number)
    ON CONFLICT (project_id, kind) DO UPDATE SET last = max(last, excluded.last);
END;
CREATE TRIGGER decisions_counter_ai AFTER INSERT ON decisions
WHEN new.number > coalesce((SELECT last FROM project_counters WHERE project_id = new.project_id AND kind = 'decision'), 0)
BEGIN
    INSERT INTO project_counters (project_id, kind, last) VALUES (new.project_id, 'decision', new.number)
    ON CONFLICT (project_id, kind) DO UPDATE SET last = max(last, excluded.last);
END;
CREATE TRIGGER cycles_counter_ai AFTER INSERT ON cycles
WHEN new.number > coalesce((SELECT last FROM project_counters WHERE project_id = new.project_id AND kind = 'cycle'), 0)
BEGIN
    INSERT INTO project_counters (project_id, kind, last) VALUES (new.project_id, 'cycle', new.number)
    ON CONFLICT (project_id, kind) DO UPDATE SET last = max(last, excluded.last);
END;
CREATE TRIGGER learnings_counter_ai AFTER INSERT ON learnings
WHEN new.number > coalesce((SELECT last FROM project_counters WHERE project_id = new.project_id AND kind = 'learning'), 0)
BEGIN
    INSERT INTO project_counters (project_id, kind, last) VALUES (new.project_id, 'learning', new.number)
    ON CONFLICT (project_id, kind) DO UPDATE SET last = max(last, excluded.last);
END;
CREATE TRIGGER checkpoints_counter_ai AFTER INSERT ON checkpoints
WHEN new.number > coalesce((SELECT last FROM project_counters WHERE project_id = new.project_id AND kind = 'checkpoint'), 0)
BEGIN
    INSERT INTO project_counters (project_id, kind, last) VALUES (new.project_id, 'checkpoint', new.number)
    ON CONFLICT (project_id, kind) DO UPDATE SET last = max(last, excluded.last);
END;

CREATE TABLE search_pending (
    kind     TEXT NOT NULL,
    item_id  TEXT NOT NULL,
    PRIMARY KEY (kind, item_id)
);

-- The index triggers of 0006 without the generation bump: each records its item in search_pending and
-- stamps it provisionally with the next generation, which settle() confirms.
DROP TRIGGER decisions_search_ai;
DROP TRIGGER decisions_search_au;
DROP TRIGGER decisions_search_ad;
DROP TRIGGER learnings_search_ai;
DROP TRIGGER learnings_search_au;
DROP TRIGGER learnings_search_ad;
DROP TRIGGER handoffs_search_ai;
DROP TRIGGER handoffs_search_au;
DROP TRIGGER handoffs_search_ad;
DROP TRIGGER tasks_search_ai;
DROP TRIGGER tasks_search_au;
DROP TRIGGER tasks_search_ad;

-- Decisions: title, then every section.
CREATE TRIGGER decisions_search_ai AFTER INSERT ON decisions BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('decision', new.id) ON CONFLICT DO NOTHING;
    INSERT INTO search_items (kind, item_id, project_id, title, body, seq)
    VALUES ('decision', new.id, new.project_id, new.title,
            coalesce(new.context, '') || char(10) || coalesce(new.decision, '') || char(10) ||
            coalesce(new.consequences, '') || char(10) || coalesce(new.alternatives, ''),
            (SELECT generation + 1 FROM search_meta WHERE id = 1));
END;
CREATE TRIGGER decisions_search_au AFTER UPDATE OF title, context, decision, consequences, alternatives, project_id
ON decisions BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('decision', new.id) ON CONFLICT DO NOTHING;
    UPDATE search_items SET title = new.title, project_id = new.project_id,
        body = coalesce(new.context, '') || char(10) || coalesce(new.decision, '') || char(10) ||
            coalesce(new.consequences, '') || char(10) || coalesce(new.alternatives, ''),
        seq = (SELECT generation + 1 FROM search_meta WHERE id = 1)
    WHERE kind = 'decision' AND item_id = new.id;
END;
CREATE TRIGGER decisions_search_ad AFTER DELETE ON decisions BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('decision', old.id) ON CONFLICT DO NOTHING;
    DELETE FROM search_items WHERE kind = 'decision' AND item_id = old.id;
END;

-- Learnings: the text and its tags.
CREATE TRIGGER learnings_search_ai AFTER INSERT ON learnings BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('learning', new.id) ON CONFLICT DO NOTHING;
    INSERT INTO search_items (kind, item_id, project_id, title, body, seq)
    VALUES ('learning', new.id, new.project_id, '', new.text || char(10) || new.tags,
            (SELECT generation + 1 FROM search_meta WHERE id = 1));
END;
CREATE TRIGGER learnings_search_au AFTER UPDATE OF text, tags, project_id ON learnings BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('learning', new.id) ON CONFLICT DO NOTHING;
    UPDATE search_items SET project_id = new.project_id,
        body = new.text || char(10) || new.tags,
        seq = (SELECT generation + 1 FROM search_meta WHERE id = 1)
    WHERE kind = 'learning' AND item_id = new.id;
END;
CREATE TRIGGER learnings_search_ad AFTER DELETE ON learnings BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('learning', old.id) ON CONFLICT DO NOTHING;
    DELETE FROM search_items WHERE kind = 'learning' AND item_id = old.id;
END;

-- Handoffs: where work stopped, the next steps and the files.
CREATE TRIGGER handoffs_search_ai AFTER INSERT ON handoffs BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('handoff', new.id) ON CONFLICT DO NOTHING;
    INSERT INTO search_items (kind, item_id, project_id, title, body, seq)
    VALUES ('handoff', new.id, new.project_id, '',
            new.text || char(10) || new.next_steps || char(10) || new.files,
            (SELECT generation + 1 FROM search_meta WHERE id = 1));
END;
CREATE TRIGGER handoffs_search_au AFTER UPDATE OF text, next_steps, files, project_id ON handoffs BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('handoff', new.id) ON CONFLICT DO NOTHING;
    UPDATE search_items SET project_id = new.project_id,
        body = new.text || char(10) || new.next_steps || char(10) || new.files,
        seq = (SELECT generation + 1 FROM search_meta WHERE id = 1)
    WHERE kind = 'handoff' AND item_id = new.id;
END;
CREATE TRIGGER handoffs_search_ad AFTER DELETE ON handoffs BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('handoff', old.id) ON CONFLICT DO NOTHING;
    DELETE FROM search_items WHERE kind = 'handoff' AND item_id = old.id;
END;

-- Tasks: title and description only, so status changes and heartbeats never touch the index.
CREATE TRIGGER tasks_search_ai AFTER INSERT ON tasks BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('task', new.id) ON CONFLICT DO NOTHING;
    INSERT INTO search_items (kind, item_id, project_id, title, body, seq)
    VALUES ('task', new.id, new.project_id, new.title, coalesce(new.description, ''),
            (SELECT generation + 1 FROM search_meta WHERE id = 1));
END;
CREATE TRIGGER tasks_search_au AFTER UPDATE OF title, description, project_id ON tasks
WHEN old.title IS NOT new.title OR old.description IS NOT new.description OR old.project_id IS NOT new.project_id
BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('task', new.id) ON CONFLICT DO NOTHING;
    UPDATE search_items SET title = new.title, project_id = new.project_id, body = coalesce(new.description, ''),
        seq = (SELECT generation + 1 FROM search_meta WHERE id = 1)
    WHERE kind = 'task' AND item_id = new.id;
END;
CREATE TRIGGER tasks_search_ad AFTER DELETE ON tasks BEGIN
    INSERT INTO search_pending (kind, item_id) VALUES ('task', old.id) ON CONFLICT DO NOTHING;
    DELETE FROM search_items WHERE kind = 'task' AND item_id = old.id;
END;
