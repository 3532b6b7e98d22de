-- 0006: knowledge: learnings, handoffs, one search index (FTS5 + stored embeddings) over decisions, learnings, handoffs and tasks, kept in sync by triggers so no write path can forget it.
-- search_items copies the searchable text of every item (FTS5 external content, and the text the
-- embedder reads); its `seq` comes from search_meta.generation, bumped on every index change, which is
-- what the on-disk vector cache compares to know it is stale. Embeddings are keyed by (kind, item_id,
-- embedder), not by search_items.id, so they survive an index rebuild and are never recomputed for
-- unchanged text (content_hash).

CREATE TABLE learnings (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    number      INTEGER NOT NULL CHECK (number > 0),
    text        TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 100000),
    tags        TEXT NOT NULL DEFAULT '[]',  -- JSON list of strings
    task_id     TEXT REFERENCES tasks(id) ON DELETE SET NULL,
    cycle_id    TEXT REFERENCES cycles(id) ON DELETE SET NULL,
    agent       TEXT,
    created_at  TEXT NOT NULL,
    UNIQUE (project_id, number)
);
CREATE INDEX ix_learnings_task ON learnings(task_id);
CREATE INDEX ix_learnings_cycle ON learnings(cycle_id);

CREATE TABLE handoffs (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    task_id     TEXT REFERENCES tasks(id) ON DELETE SET NULL,
    text        TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 100000),  -- where work stopped: the last action
    next_steps  TEXT NOT NULL DEFAULT '[]',  -- JSON list of strings
    files       TEXT NOT NULL DEFAULT '[]',  -- JSON list of {"path": str, "line": int | null}
    agent       TEXT,
    session_id  TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX ix_handoffs_task_time ON handoffs(task_id, created_at);
CREATE INDEX ix_handoffs_project_time ON handoffs(project_id, created_at);

CREATE TABLE search_meta (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    generation  INTEGER NOT NULL DEFAULT 0,
    instance    TEXT NOT NULL  -- names this database's vector cache files under NERV_HOME/search
);
INSERT INTO search_meta (id, generation, instance) VALUES (1, 0, lower(hex(randomblob(16))));

CREATE TABLE search_items (
    id          INTEGER PRIMARY KEY,  -- the FTS5 rowid
    kind        TEXT NOT NULL CHECK (kind IN ('decision', 'learning', 'handoff', 'task')),
    item_id     TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    UNIQUE (kind, item_id)
);
CREATE INDEX ix_search_items_seq ON search_items(seq);

CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_items', content_rowid='id',
                                           tokenize='porter unicode61 remove_diacritics 2');

CREATE TABLE embeddings (
    kind          TEXT NOT NULL,
    item_id       TEXT NOT NULL,
    embedder      TEXT NOT NULL,
    content_hash  TEXT NOT NULL,  -- sha256 of the embedded text
    dim           INTEGER NOT NULL CHECK (dim > 0),
    vector        BLOB NOT NULL CHECK (length(vector) = 4 * dim),  -- float32, little-endian, L2-normalised
    seq           INTEGER NOT NULL,  -- the search_items.seq this vector was last checked against
    created_at    TEXT NOT NULL,
    PRIMARY KEY (kind, item_id, embedder)
);

-- What each item contributes to the index; the triggers below compute the same expressions from new.*,
-- and `nerv search reindex` reconciles search_items with this view.
CREATE VIEW search_sources (kind, item_id, project_id, title, body) AS
    SELECT 'decision', id, project_id, title,
           coalesce(context, '') || char(10) || coalesce(decision, '') || char(10) ||
           coalesce(consequences, '') || char(10) || coalesce(alternatives, '') FROM decisions
    UNION ALL SELECT 'learning', id, project_id, '', text || char(10) || tags FROM learnings
    UNION ALL SELECT 'handoff', id, project_id, '', text || char(10) || next_steps || char(10) || files FROM handoffs
    UNION ALL SELECT 'task', id, project_id, title, coalesce(description, '') FROM tasks;

-- FTS5 external content: the index follows search_items row by row.
CREATE TRIGGER search_items_ai AFTER INSERT ON search_items BEGIN
    INSERT INTO search_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER search_items_ad AFTER DELETE ON search_items BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    DELETE FROM embeddings WHERE kind = old.kind AND item_id = old.item_id;
END;
CREATE TRIGGER search_items_au AFTER UPDATE OF title, body ON search_items BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO search_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;

-- Decisions: title, then every section.
CREATE TRIGGER decisions_search_ai AFTER INSERT ON decisions BEGIN
    UPDATE search_meta SET generation = generation + 1 WHERE id = 1;
    INSERT INTO search_items (kind, item_id, project_id, title, body, seq)
    VALUES ('decision', new.id, new.project_id, new.title,
            coalesce(new.context, '') || char(10) || coalesce(new.decision, '') || char(10) ||
            coalesce(new.consequences, '') || char(10) || coalesce(new.alternatives, ''),
            (SELECT generation FROM search_meta WHERE id = 1));
END;
CREATE TRIGGER decisions_search_au AFTER UPDATE OF title, context, decision, consequences, alternatives, project_id
ON decisions BEGIN
    UPDATE search_meta SET generation = generation + 1 WHERE id = 1;
    UPDATE search_items SET title = new.title, project_id = new.project_id,
        body = coalesce(new.context, '') || char(10) || coalesce(new.decision, '') || char(10) ||
            coalesce(new.consequences, '') || char(10) || coalesce(new.alternatives, ''),
        seq = (SELECT generation FROM search_meta WHERE id = 1)
    WHERE kind = 'decision' AND item_id = new.id;
END;
CREATE TRIGGER decisions_search_ad AFTER DELETE ON decisions BEGIN
    UPDATE search_meta SET generation = generation + 1 WHERE id = 1;
    DELETE FROM search_items WHERE kind = 'decision' AND item_id = old.id;
END;

-- Learnings: the text and its tags.
CREATE TRIGGER learnings_search_ai AFTER INSERT ON learnings BEGIN
    UPDATE search_meta SET generation = generation + 1 WHERE id = 1;
    INSERT INTO search_items (kind, item_id, project_id, title, body, seq)
    VALUES ('learning', new.id, new.project_id, '', new.text || char(10) || new.tags,
            (SELECT generation FROM search_meta WHERE id = 1));
END;
CREATE TRIGGER learnings_search_au AFTER UPDATE OF text, tags, project_id ON learnings BEGIN
    UPDATE search_meta SET generation = generation + 1 WHERE id = 1;
    UPDATE search_items SET project_id = new.project_id,
        body = new.text || char(10) || new.tags,
        seq = (SELECT generation FROM search_meta WHERE id = 1)
    WHERE kind = 'learning' AND item_id = new.id;
END;
CREATE TRIGGER learnings_search_ad AFTER DELETE ON learnings BEGIN
    UPDATE search_meta SET generation = generation + 1 WHERE id = 1;
    DELETE FROM search_items WHERE kind = 'learning' AND item_id = old.id;
END;

-- Handoffs: where work stopped, the next steps and the files.
CREATE TRIGGER handoffs_search_ai AFTER INSERT ON handoffs BEGIN
    UPDATE search_meta SET generation = generation + 1 WHERE id = 1;
    INSERT INTO search_items (kind, item_id, project_id, title, body, seq)
    VALUES ('handoff', new.id, new.project_id, '',
            new.text || char(10) || new.next_steps || char(10) || new.files,
            (SELECT generation FROM search_meta WHERE id = 1));
END;
CREATE TRIGGER handoffs_search_au AFTER UPDATE OF text, next_steps, files, project_id ON handoffs BEGIN
    UPDATE search_meta SET generation = generation + 1 WHERE id = 1;
    UPDATE search_items SET project_id = new.project_id,
        body = new.text || char(10) || new.next_steps || char(10) || new.files,
        seq = (SELECT generation FROM search_meta WHERE id = 1)
    WHERE kind = 'handoff' AND item_id = new.id;
END;
CREATE TRIGGER handoffs_search_ad AFTER DELETE ON handoffs BEGIN
    UPDATE search_meta SET generation = generation + 1 WHERE id = 1;
    DELETE FROM search_items WHERE kind = 'handoff' AND item_id = old.id;
END;

-- Tasks: title and description only, so status changes and heartbeats never touch the index.
CREATE TRIGGER tasks_search_ai AFTER INSERT ON tasks BEGIN
    UPDATE search_meta SET generation = generation + 1 WHERE id = 1;
    INSERT INTO search_items (kind, item_id, project_id, title, body, seq)
    VALUES ('task', new.id, new.project_id, new.title, coalesce(new.description, ''),
            (SELECT generation FROM search_meta WHERE id = 1));
END;
CREATE TRIGGER tasks_search_au AFTER UPDATE OF title, description, project_id ON tasks
WHEN old.title IS NOT new.title OR old.description IS NOT new.description OR old.project_id IS NOT new.project_id
BEGIN
    UPDATE search_meta SET generation = generation + 1 WHERE id = 1;
    UPDATE search_items SET title = new.title, project_id = new.project_id, body = coalesce(new.description, ''),
        seq = (SELECT generation FROM search_meta WHERE id = 1)
    WHERE kind = 'task' AND item_id = new.id;
END;
CREATE TRIGGER tasks_search_ad AFTER DELETE ON tasks BEGIN
    UPDATE search_meta SET generation = generation + 1 WHERE id = 1;
    DELETE FROM search_items WHERE kind = 'task' AND item_id = old.id;
END;
