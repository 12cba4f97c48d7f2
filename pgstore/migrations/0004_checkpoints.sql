-- 0004: how far each read model has read the log (issue 13). A read model
-- kept in this database (a projection of the log into tables of its own)
-- writes its rows and moves its checkpoint in one transaction
-- (Store.Project, SaveCheckpoint), so after a restart it resumes exactly
-- after the last event it applied: nothing twice, nothing skipped.

CREATE TABLE chatconsult_checkpoints (
    name     text   PRIMARY KEY,
    position bigint NOT NULL CHECK (position >= 0)
);
