-- 0005: the route of an offer of a routed invitation (Event.Route, R-X1):
-- every leg or request offered for one invitation to a group, skill or
-- queue names the same route on its first event; '' on every other event.
-- (0003 is taken by another change.)

ALTER TABLE chatconsult_events ADD COLUMN route text NOT NULL DEFAULT '';
