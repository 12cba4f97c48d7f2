-- 0010: the routes of new chats (issue 14: "new chats are routed too").
-- One row per waiting chat being routed (routing.ChatRoute): its target,
-- the agent offered now and when that offer times out (due, Unix
-- nanoseconds); claimed_until is the lease of the instance firing it
-- (routing.ChatRouter.RunDue claims due rows with FOR UPDATE SKIP LOCKED,
-- the pattern of chatconsult_deadlines).

CREATE TABLE chatconsult_routing_chats (
    interaction   text COLLATE "C" PRIMARY KEY,
    target_kind   smallint NOT NULL,
    target_id     text     NOT NULL,
    agent         text     NOT NULL DEFAULT '',
    due           bigint   NOT NULL,
    claimed_until bigint   NOT NULL DEFAULT 0
);

CREATE INDEX chatconsult_routing_chats_due ON chatconsult_routing_chats (due);
