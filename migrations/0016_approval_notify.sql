-- 0016: approval status changes are announced by NOTIFY on PostgreSQL (0016_approval_notify.postgresql.sql).
-- SQLite has no notifications: waiters on the local file poll (nerv.store.approval_wait), so nothing changes here.
SELECT 1;
