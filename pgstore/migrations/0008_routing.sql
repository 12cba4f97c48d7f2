-- 0008: routing shared by every instance (issue 14). One row per agent
-- (also one never registered but counted: it holds work), its load,
-- reservations and live holds per medium as int[3] (chat, IM, voice; SQL
-- arrays count from 1), its capacity cap[] already resolved (NULL capacity:
-- the default); times are Unix nanoseconds. A hold is one conditional
-- UPDATE of its agent's row guarded by load + reserved + held < cap, plus a
-- row of chatconsult_routing_holds with its deadline (expires); Count keeps
-- what each interaction holds of each agent in chatconsult_routing_work,
-- version-guarded by chatconsult_routing_counted. Every change of an agent
-- adds a row to chatconsult_routing_changes in its transaction: the change
-- feed, read by (xid, seq) below the oldest running transaction, so that
-- no reader skips a row that commits late.

CREATE TABLE chatconsult_routing_agents (
    agent          text COLLATE "C" PRIMARY KEY,
    registered     boolean  NOT NULL DEFAULT false,
    name           text     NOT NULL DEFAULT '',
    skill_names    text[]   NOT NULL DEFAULT '{}',
    skill_levels   int[]    NOT NULL DEFAULT '{}',
    groups         text[]   NOT NULL DEFAULT '{}',
    queues         text[]   NOT NULL DEFAULT '{}',
    capacity       int[],
    cap            int[]    NOT NULL DEFAULT '{0,0,0}',
    presence       smallint NOT NULL DEFAULT 0,
    presence_since bigint   NOT NULL DEFAULT 0,
    idle_since     bigint   NOT NULL DEFAULT 0,
    load           int[]    NOT NULL DEFAULT '{0,0,0}',
    reserved       int[]    NOT NULL DEFAULT '{0,0,0}',
    held           int[]    NOT NULL DEFAULT '{0,0,0}',
    seq            bigint   NOT NULL DEFAULT 0,
    rev            bigint   NOT NULL DEFAULT 0,
    CHECK (held[1] >= 0 AND held[2] >= 0 AND held[3] >= 0)
);

CREATE SEQUENCE chatconsult_routing_seq;

CREATE TABLE chatconsult_routing_holds (
    id      text     PRIMARY KEY,
    holder  text     NOT NULL,
    agent   text COLLATE "C" NOT NULL REFERENCES chatconsult_routing_agents (agent),
    medium  smallint NOT NULL,
    expires bigint   NOT NULL
);
CREATE INDEX chatconsult_routing_holds_expires ON chatconsult_routing_holds (expires);
CREATE INDEX chatconsult_routing_holds_agent ON chatconsult_routing_holds (agent, medium, holder);

CREATE TABLE chatconsult_routing_counted (
    interaction text COLLATE "C" PRIMARY KEY,
    version     bigint NOT NULL
);

CREATE TABLE chatconsult_routing_work (
    interaction text COLLATE "C" NOT NULL,
    agent       text COLLATE "C" NOT NULL,
    load        int[]  NOT NULL,
    reserved    int[]  NOT NULL,
    offers      text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (interaction, agent)
);
CREATE INDEX chatconsult_routing_work_agent ON chatconsult_routing_work (agent);

CREATE TABLE chatconsult_routing_changes (
    xid   xid8   NOT NULL DEFAULT pg_current_xact_id(),
    seq   bigserial,
    agent text COLLATE "C" NOT NULL,
    PRIMARY KEY (xid, seq)
);
