-- The roles of a team's nerv database (docs/teams.md, "Roles"). Run once as a superuser (or the database's
-- owner with CREATEROLE), connected to the nerv database: psql -d nerv -f docs/team-roles.sql
-- It can be run again: roles that exist are kept, grants are repeated.
-- nerv_admin owns the database and its tables (the migrations run as it); nerv_agent and nerv_viewer are
-- group roles without login: give each person, agent or runner a login role of its own in one of them, so the
-- audit log's db_role names who wrote each row:
--   CREATE ROLE ci_runner_1 LOGIN IN ROLE nerv_agent;   CREATE ROLE alice LOGIN IN ROLE nerv_viewer;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nerv_admin') THEN CREATE ROLE nerv_admin LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nerv_agent') THEN CREATE ROLE nerv_agent NOLOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nerv_viewer') THEN CREATE ROLE nerv_viewer NOLOGIN; END IF;
END
$$;

-- nerv_admin: every command, migrations included (a new nerv's first command creates and alters tables):
-- it owns the database, and so its public schema (PostgreSQL 15: pg_database_owner).
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I OWNER TO nerv_admin', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO nerv_agent, nerv_viewer', current_database());
END
$$;
GRANT ALL ON ALL TABLES IN SCHEMA public TO nerv_admin;
GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO nerv_admin;

-- nerv_agent: claims, moves, rules, approvals, sessions and usage, imports; every write appends its audit row.
-- The audit log is append-only for it (no UPDATE, DELETE or TRUNCATE): only nerv_admin may prune it.
GRANT USAGE ON SCHEMA public TO nerv_agent, nerv_viewer;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO nerv_agent;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM nerv_agent;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO nerv_agent;

-- nerv_viewer: read commands only (list, show, status, report, audit list and verify); a write is refused by
-- the server (SQLSTATE 42501) and nerv reports it as error code `permission`.
GRANT SELECT ON ALL TABLES IN SCHEMA public TO nerv_viewer;

-- Tables a later nerv's migrations create (as nerv_admin) get the same grants.
ALTER DEFAULT PRIVILEGES FOR ROLE nerv_admin IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO nerv_agent;
ALTER DEFAULT PRIVILEGES FOR ROLE nerv_admin IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO nerv_agent;
ALTER DEFAULT PRIVILEGES FOR ROLE nerv_admin IN SCHEMA public GRANT SELECT ON TABLES TO nerv_viewer;
