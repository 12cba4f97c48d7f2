-- 0014: pruning the routing store (issue 14). RoutingStore.Prune deletes
-- every change row of an agent that has a later change row below the
-- horizon (Changes gives each agent changed as its row is now, so the
-- later row tells every reader whatever the earlier one did), and the
-- counted rows of interactions that hold nothing and were last counted
-- before a time the caller gives. counted_at is that time (Unix
-- nanoseconds, CountRequest.At); rows counted before 0014 count as counted
-- at 0.

ALTER TABLE chatconsult_routing_counted ADD COLUMN IF NOT EXISTS counted_at bigint NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS chatconsult_routing_counted_at ON chatconsult_routing_counted (counted_at);
CREATE INDEX IF NOT EXISTS chatconsult_routing_changes_agent ON chatconsult_routing_changes (agent, xid, seq);
