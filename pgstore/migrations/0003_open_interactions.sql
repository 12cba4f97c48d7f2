-- 0003: the interactions that are not closed (issue 13), so that a restarted
-- process or another instance finds the interactions under way without
-- reading the log from position 0 (interaction.OpenLister). An append's
-- transaction keeps it with the events: a row is inserted by the append of
-- a stream's first events, deleted by the append holding an EventStatus
-- event (type 2) to "closed"; closed is final. COLLATE "C" orders the IDs
-- by their bytes, as Go compares strings, whatever the database's locale.

CREATE TABLE chatconsult_open (
    interaction text COLLATE "C" PRIMARY KEY
);

-- The interactions written before this migration: every stream without a
-- close.
INSERT INTO chatconsult_open (interaction)
SELECT s.interaction FROM chatconsult_streams s
WHERE s.version > 0 AND NOT EXISTS (
    SELECT 1 FROM chatconsult_events e
    WHERE e.interaction = s.interaction AND e.type = 2 AND e.to_state = 'closed');
