-- 0007: history read models kept as snapshots (issue 13). A history read
-- model (package history's Projection) is stored as one row per
-- interaction: the snapshot record of that interaction (the events its
-- history folded, encoded and checksummed by package history) and how
-- many events that is (version). Its position is its row of
-- chatconsult_checkpoints (migration 0004), under the same name: SaveHistory
-- writes the records that changed and moves the position, compare-and-set,
-- in one transaction, so a restarted process restores the read model at
-- its position and reads only the events written after it.
--
-- A row is replaced only by one of the same or a higher version (a record
-- with more events holds every event of one with fewer), so two runners
-- of one read model never take a record back.
--
-- IF NOT EXISTS: a test rewinds the schema to an older version by deleting
-- rows of chatconsult_migrations and migrates again.

CREATE TABLE IF NOT EXISTS chatconsult_history (
    name        text                NOT NULL,
    interaction text COLLATE "C"    NOT NULL,
    version     bigint              NOT NULL CHECK (version >= 0),
    data        bytea               NOT NULL,
    PRIMARY KEY (name, interaction)
);
