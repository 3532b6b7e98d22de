-- 0009: reserved for a migration written at the same time on another branch; when that branch lands, its 0009 replaces this file (nothing here to undo).
SELECT 1;
