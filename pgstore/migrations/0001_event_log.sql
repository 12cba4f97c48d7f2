-- 0001: the event log. One row per event; one row per stream holding its
-- version (the row a writer locks); one row holding the log's head
-- position (the row that orders commits).

CREATE TABLE chatconsult_streams (
    interaction text PRIMARY KEY,
    version     bigint NOT NULL CHECK (version >= 0)
);

CREATE TABLE chatconsult_events (
    interaction text     NOT NULL,
    version     bigint   NOT NULL,
    position    bigint   NOT NULL,
    -- The instant, lossless: seconds and nanoseconds since the Unix epoch
    -- (to_timestamp(time_s + time_ns / 1e9) for people).
    time_s      bigint   NOT NULL,
    time_ns     integer  NOT NULL,
    actor       text     NOT NULL,
    cause       text     NOT NULL,
    -- The cause of the first event of each append, NULL on the others: a
    -- command is written once per interaction.
    command     text,
    type        smallint NOT NULL,
    scope_kind  smallint NOT NULL,
    scope_leg   text     NOT NULL,
    scope_party text     NOT NULL,
    party       text     NOT NULL,
    role        smallint NOT NULL,
    from_state  text     NOT NULL,
    to_state    text     NOT NULL,
    trigger     text     NOT NULL,
    leg         text     NOT NULL,
    via         text     NOT NULL,
    target_kind smallint NOT NULL,
    target_id   text     NOT NULL,
    medium      smallint NOT NULL,
    request     smallint NOT NULL,
    -- Message text as bytes: whatever the core accepts (NUL included)
    -- comes back unchanged.
    body        bytea    NOT NULL,
    kind        smallint NOT NULL,
    seq         bigint   NOT NULL,
    PRIMARY KEY (interaction, version)
);

CREATE UNIQUE INDEX chatconsult_events_position ON chatconsult_events (position);
CREATE UNIQUE INDEX chatconsult_events_command ON chatconsult_events (interaction, command)
    WHERE command IS NOT NULL;

CREATE TABLE chatconsult_log_head (
    one      boolean PRIMARY KEY DEFAULT true CHECK (one),
    position bigint  NOT NULL
);
INSERT INTO chatconsult_log_head (position) VALUES (0);
