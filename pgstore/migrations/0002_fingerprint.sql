-- 0002: the fingerprint of a command run with a caller-chosen ID (its actor
-- and content), on the first event of the command; 0 on every other event.
-- A retry of that ID is answered only when it carries the same (issue 12).

ALTER TABLE chatconsult_events ADD COLUMN fingerprint bigint NOT NULL DEFAULT 0;
