-- 0020: hook_state, one row whose version changes in the same transaction as any change to the rows PreToolUse
-- and PermissionRequest decide from: approval_rules, settings, projects, project_repos. The machine's hook
-- daemon (nerv.hook.replica) keeps those rows in memory and asks only this version on each call, in the round
-- trip that checks the schema; it reads the rows again when the version differs. Rows are counted per row, so
-- a statement that changes nothing (an upsert that finds its row) bumps nothing and locks nothing.

CREATE TABLE hook_state (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO hook_state (id, version) VALUES (1, 0);

CREATE FUNCTION hook_state_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE hook_state SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END $$;

DO $$
DECLARE
    watched text;
BEGIN
    FOREACH watched IN ARRAY ARRAY['approval_rules', 'settings', 'projects', 'project_repos'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I'
                       ' FOR EACH ROW EXECUTE FUNCTION hook_state_bump()', 'hook_state_' || watched, watched);
        EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION hook_state_bump()', 'hook_state_truncate_' || watched,
                       watched);
    END LOOP;
END $$;
