-- 0011: two columns of their own for what events carry besides 0001's,
-- and chatconsult_append (0009) taking them as two more arrays (otherwise
-- unchanged):
--   - supervised: the agent a supervisor monitors or coaches
--     (interaction.Event.Supervised), apart from the event's target.
--     Before, a supervisor's role event kept it in target_id as an agent
--     target; those rows are moved over.
--   - attachments: a message's attachments (interaction.Event.Attachments:
--     name, media type, size and the service's reference of each file; the
--     library stores no file bytes), in pgstore's binary encoding
--     (pgstore/attachments.go; empty for none).
ALTER TABLE chatconsult_events ADD COLUMN supervised text NOT NULL DEFAULT '';
ALTER TABLE chatconsult_events ADD COLUMN attachments bytea NOT NULL DEFAULT '';

-- type 4 = interaction.EventRole, role 5 = RoleSupervisor, target kind 0 = TargetAgent.
UPDATE chatconsult_events SET supervised = target_id, target_id = ''
    WHERE type = 4 AND role = 5 AND target_kind = 0 AND target_id <> '';

DROP FUNCTION chatconsult_append(bigint, text[], int[], bigint[], int[], int[], text[],
    boolean[], boolean[], int[], text[], bigint[], bigint[], integer[], text[], text[], text[],
    smallint[], smallint[], text[], text[], text[], smallint[], text[], text[], text[], text[],
    text[], smallint[], text[], smallint[], smallint[], bytea[], smallint[], bigint[], bigint[],
    text[], bigint[], integer[], int[], boolean[], text[], text[], smallint[], bigint[]);

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
    e_deadline_s bigint[], e_deadline_ns integer[], e_supervised text[], e_attachments bytea[],
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
        fingerprint, route, deadline_s, deadline_ns, supervised, attachments)
    SELECT res[r.a] + (r.n - a_first[r.a]), r.interaction, r.version, r.time_s, r.time_ns,
        r.actor, r.cause, NULLIF(r.command, ''), r.type, r.scope_kind, r.scope_leg, r.scope_party,
        r.party, r.role, r.from_state, r.to_state, r.trigger, r.leg, r.via, r.target_kind,
        r.target_id, r.medium, r.request, r.body, r.kind, r.seq, r.fingerprint, r.route,
        r.deadline_s, r.deadline_ns, r.supervised, r.attachments
    FROM unnest(e_append, e_interaction, e_version, e_time_s, e_time_ns, e_actor, e_cause,
        e_command, e_type, e_scope_kind, e_scope_leg, e_scope_party, e_party, e_role, e_from,
        e_to, e_trigger, e_leg, e_via, e_target_kind, e_target_id, e_medium, e_request, e_body,
        e_kind, e_seq, e_fingerprint, e_route, e_deadline_s, e_deadline_ns, e_supervised, e_attachments)
        WITH ORDINALITY AS r(a, interaction, version, time_s, time_ns, actor, cause, command,
        type, scope_kind, scope_leg, scope_party, party, role, from_state, to_state, trigger,
        leg, via, target_kind, target_id, medium, request, body, kind, seq, fingerprint, route,
        deadline_s, deadline_ns, supervised, attachments, n)
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
