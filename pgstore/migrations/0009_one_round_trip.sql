-- 0009: appends in one round trip, without a global lock through the WAL
-- flush (issue 15). Idempotent (CREATE OR REPLACE, IF NOT EXISTS): a test
-- rolls the schema back and migrates again.
--
-- Positions. Until 0008 every append moved the single row of
-- chatconsult_log_head and held its lock until its COMMIT had flushed, so
-- appending transactions committed one at a time. From here a position is
-- taken from the appending transaction's own ID:
--
--     position = ((xid + xid_offset) << 20) + n,   n = 1, 2, … within it
--
-- so positions are in the order of the transaction IDs, which every
-- writer gets without waiting for another. A transaction ID says nothing
-- about the order of commits, so readers do not read up to the last
-- position: they read only below the oldest transaction still running
-- (chatconsult_read, below). Every transaction below that one has ended,
-- and any transaction that commits later has a higher ID, hence higher
-- positions: a reader that resumes after the last position it read never
-- skips a row (the PRIOR-ART way out of the bigserial trap).
--
-- xid_offset keeps positions growing where transaction IDs do not: after
-- a logical restore into a new cluster (IDs start again near 0), New
-- raises it above the highest stored position (watermill #576's trap).
-- The head row is now a gate, not a counter: an append reads the offset
-- FOR SHARE (appends do not wait for one another), and raising the
-- offset, which takes the row FOR UPDATE, waits for the appends under way.

ALTER TABLE chatconsult_log_head ADD COLUMN IF NOT EXISTS xid_offset bigint NOT NULL DEFAULT 0;

-- Positions written by 0001-0008 (1 … position) stay below every new one.
UPDATE chatconsult_log_head SET xid_offset = greatest(xid_offset,
    (position >> 20) + 1 - pg_snapshot_xmax(pg_current_snapshot())::text::bigint);

-- The horizon: positions below it belong to transactions that have all
-- ended. The oldest transaction still running other than the caller's own
-- (pg_snapshot_xip leaves it out), or the next ID when none is.
CREATE OR REPLACE FUNCTION chatconsult_horizon() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT (coalesce((SELECT min(x::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) x),
                     pg_snapshot_xmax(pg_current_snapshot())::text::bigint) + h.xid_offset) << 20
    FROM chatconsult_log_head h
$$;

-- chatconsult_read: up to p_limit events after p_after, in position
-- order, including every event committed before the call. Events
-- committed by a transaction above the horizon wait (a few sleeps of
-- 0.2 to 5 ms) until the older transactions still running have ended;
-- the wait is only for transactions older than the newest event visible
-- at the start, so it ends however busy the writers are.
CREATE OR REPLACE FUNCTION chatconsult_read(p_after bigint, p_limit bigint)
RETURNS SETOF chatconsult_events
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    newest  bigint;
    horizon bigint;
    pause   double precision := 0.0002;
BEGIN
    SELECT max(position) INTO newest FROM chatconsult_events;
    IF newest IS NULL OR newest <= p_after THEN
        RETURN;
    END IF;
    LOOP
        horizon := chatconsult_horizon();
        EXIT WHEN horizon > newest;
        PERFORM pg_sleep(pause);
        pause := least(pause * 2, 0.005);
    END LOOP;
    RETURN QUERY SELECT * FROM chatconsult_events
        WHERE position > p_after AND position < horizon
        ORDER BY position LIMIT p_limit;
END
$$;

-- chatconsult_append: a group commit's appends, decided and written in
-- one statement (one round trip, with BEGIN, COMMIT and the notification
-- in the same pipeline). Appends are decided in arrival order against the
-- stream rows it locks (new streams' rows are created first; locks in
-- interaction order, so concurrent batches do not deadlock): an append
-- wins when its stream is at the expected version and does not hold its
-- command yet, counting the earlier winners of the batch. A loser changes
-- nothing. Returns, per append, the position of its first event, 0 when
-- its stream had moved on, -1 when the command was already there.
--
-- a_slot[i] is append i's stream in s_ids; its events are e_*[a_first[i]
-- … a_first[i]+a_count[i]-1] (e_append[j] = i; the events are read with
-- unnest, not by subscript, which costs the length of a text array); its deadline changes are d_*[j] with
-- d_append[j] = i (ends before sets, as interaction.DeadlineChanges lists
-- them; the last change of an invitation wins).
CREATE OR REPLACE FUNCTION chatconsult_append(
    p_offset bigint, s_ids text[],
    a_slot int[], a_expected bigint[], a_first int[], a_count int[], a_command text[],
    a_opens boolean[], a_closes boolean[],
    e_append int[], e_interaction text[], e_version bigint[], e_time_s bigint[], e_time_ns integer[],
    e_actor text[], e_cause text[], e_command text[], e_type smallint[], e_scope_kind smallint[],
    e_scope_leg text[], e_scope_party text[], e_party text[], e_role smallint[], e_from text[],
    e_to text[], e_trigger text[], e_leg text[], e_via text[], e_target_kind smallint[],
    e_target_id text[], e_medium smallint[], e_request smallint[], e_body bytea[],
    e_kind smallint[], e_seq bigint[], e_fingerprint bigint[], e_route text[],
    e_deadline_s bigint[], e_deadline_ns integer[],
    d_append int[], d_set boolean[], d_interaction text[], d_invitation text[],
    d_kind smallint[], d_due bigint[])
RETURNS bigint[]
LANGUAGE plpgsql VOLATILE
-- Its statements take arrays whose contents do not change their plans.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    n        int := coalesce(array_length(a_slot, 1), 0);
    versions bigint[];
    applied  boolean[];
    res      bigint[] := array_fill(0::bigint, ARRAY[n]);
    won      boolean[] := array_fill(false, ARRAY[n]);
    opens    smallint[] := array_fill(0::smallint, ARRAY[coalesce(array_length(s_ids, 1), 0)]);
    taken    text[] := '{}';
    base     bigint;
    nxt      bigint := 1;
    s        int;
BEGIN
    PERFORM set_config('chatconsult.notify', '', false);
    INSERT INTO chatconsult_streams (interaction, version)
        SELECT DISTINCT s_ids[a_slot[i]], 0::bigint FROM generate_subscripts(a_slot, 1) i
        WHERE a_expected[i] = 0 ORDER BY 1
        ON CONFLICT DO NOTHING;
    PERFORM 1 FROM chatconsult_streams WHERE interaction = ANY(s_ids)
        ORDER BY interaction FOR UPDATE;
    SELECT array_agg(st.version ORDER BY u.k) INTO versions
        FROM unnest(s_ids) WITH ORDINALITY u(id, k)
        LEFT JOIN chatconsult_streams st ON st.interaction = u.id;
    SELECT array_agg(a_command[i] <> '' AND EXISTS (SELECT 1 FROM chatconsult_events e
            WHERE e.interaction = s_ids[a_slot[i]] AND e.command = a_command[i]) ORDER BY i)
        INTO applied FROM generate_subscripts(a_slot, 1) i;

    base := (pg_current_xact_id()::text::bigint + p_offset) << 20;
    FOR i IN 1 .. n LOOP
        s := a_slot[i];
        IF versions[s] IS NULL OR versions[s] <> a_expected[i] THEN
            CONTINUE; -- moved on: 0
        END IF;
        IF a_command[i] <> '' AND (applied[i] OR (s || ':' || a_command[i]) = ANY(taken)) THEN
            res[i] := -1;
            CONTINUE;
        END IF;
        won[i] := true;
        versions[s] := a_expected[i] + a_count[i];
        res[i] := base + nxt;
        nxt := nxt + a_count[i];
        IF a_command[i] <> '' THEN
            taken := taken || (s || ':' || a_command[i]);
        END IF;
        IF a_closes[i] THEN
            opens[s] := 2;
        ELSIF a_opens[i] THEN
            opens[s] := 1;
        END IF;
    END LOOP;
    IF nxt = 1 THEN
        RETURN res; -- no winner: nothing to write
    END IF;

    UPDATE chatconsult_streams st SET version = versions[u.k]
        FROM unnest(s_ids) WITH ORDINALITY u(id, k)
        WHERE st.interaction = u.id AND st.version <> versions[u.k];
    INSERT INTO chatconsult_open (interaction)
        SELECT s_ids[k] FROM generate_subscripts(opens, 1) k WHERE opens[k] = 1
        ON CONFLICT DO NOTHING;
    DELETE FROM chatconsult_open WHERE interaction IN
        (SELECT s_ids[k] FROM generate_subscripts(opens, 1) k WHERE opens[k] = 2);

    INSERT INTO chatconsult_events (position, interaction, version, time_s, time_ns,
        actor, cause, command, type, scope_kind, scope_leg, scope_party, party, role, from_state,
        to_state, trigger, leg, via, target_kind, target_id, medium, request, body, kind, seq,
        fingerprint, route, deadline_s, deadline_ns)
    SELECT res[r.a] + (r.n - a_first[r.a]), r.interaction, r.version, r.time_s, r.time_ns,
        r.actor, r.cause, NULLIF(r.command, ''), r.type, r.scope_kind, r.scope_leg, r.scope_party,
        r.party, r.role, r.from_state, r.to_state, r.trigger, r.leg, r.via, r.target_kind,
        r.target_id, r.medium, r.request, r.body, r.kind, r.seq, r.fingerprint, r.route,
        r.deadline_s, r.deadline_ns
    FROM unnest(e_append, e_interaction, e_version, e_time_s, e_time_ns, e_actor, e_cause,
        e_command, e_type, e_scope_kind, e_scope_leg, e_scope_party, e_party, e_role, e_from,
        e_to, e_trigger, e_leg, e_via, e_target_kind, e_target_id, e_medium, e_request, e_body,
        e_kind, e_seq, e_fingerprint, e_route, e_deadline_s, e_deadline_ns)
        WITH ORDINALITY AS r(a, interaction, version, time_s, time_ns, actor, cause, command,
        type, scope_kind, scope_leg, scope_party, party, role, from_state, to_state, trigger,
        leg, via, target_kind, target_id, medium, request, body, kind, seq, fingerprint, route,
        deadline_s, deadline_ns, n)
    WHERE won[r.a];

    IF d_append IS NOT NULL AND array_length(d_append, 1) > 0 THEN
        WITH last AS (
            SELECT DISTINCT ON (d_interaction[k], d_invitation[k]) d_set[k] AS set,
                d_interaction[k] AS interaction, d_invitation[k] AS invitation,
                d_kind[k] AS kind, d_due[k] AS due
            FROM generate_subscripts(d_append, 1) k
            WHERE won[d_append[k]]
            ORDER BY d_interaction[k], d_invitation[k], k DESC),
        ended AS (
            DELETE FROM chatconsult_deadlines dl USING last p
            WHERE NOT p.set AND dl.interaction = p.interaction AND dl.invitation = p.invitation)
        INSERT INTO chatconsult_deadlines (interaction, invitation, kind, due)
            SELECT p.interaction, p.invitation, p.kind, p.due FROM last p
            WHERE p.set ORDER BY p.interaction, p.invitation
            ON CONFLICT (interaction, invitation) DO UPDATE
            SET kind = excluded.kind, due = excluded.due, claimed_until = NULL;
    END IF;

    -- What chatconsult_notify announces once this transaction has
    -- committed (a session setting: it is rolled back with an aborted
    -- transaction, so an append that did not commit announces nothing).
    PERFORM set_config('chatconsult.notify', (base + nxt - 1)::text, false);
    RETURN res;
END
$$;

-- chatconsult_notify: runs after the append's COMMIT, in the same
-- pipeline, as a transaction of its own: NOTIFY takes a lock that every
-- notifying transaction of the cluster shares and holds it through its
-- commit, so a NOTIFY inside the appending transaction would serialise
-- every append's WAL flush again. This transaction writes nothing that
-- needs to be durable (a notification does not outlive a crash anyway),
-- so it commits without waiting for the flush. It notifies only when the
-- session's last append committed winners (chatconsult.notify survives
-- only a commit), with the last position as payload.
CREATE OR REPLACE FUNCTION chatconsult_notify(p_channel text)
RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    payload text := current_setting('chatconsult.notify', true);
BEGIN
    IF payload IS NULL OR payload = '' THEN
        RETURN;
    END IF;
    PERFORM set_config('chatconsult.notify', '', false);
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_notify(p_channel, payload);
END
$$;
