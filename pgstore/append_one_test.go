package pgstore_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/internal/benchstory"
	"github.com/chatconsult/chatconsult/pgstore"
)

// Issue 15: a batch of one append is written by a statement of its own
// (append_one.go), every other batch by chatconsult_append. Both must
// leave the same rows: the same story (the benchmark's consultation story,
// then invitations with deadlines — answered, cancelled by the session's
// end — so that the deadlines table changes too) is played on two schemas,
// one writing each way, and every table the append writes is compared,
// positions aside (they come from transaction IDs), as is what the other
// answers mean: a conflict and a command applied twice.
func TestSingleAppendWritesWhatTheBatchFunctionWrites(t *testing.T) {
	dump := func(opts ...pgstore.Option) (string, *pgstore.Store, *pgxpool.Pool) {
		s := newSchema(t)
		pool := s.pool(t, nil)
		store := newStore(t, pool, opts...)
		d := newDeadlineDesk(t, store, nil, "eq-")
		_, err := benchstory.Consultation(ctx, d.chats)
		require.NoError(t, err)
		id := activeChat(t, d.chats)
		leg, err := d.svc.Start(ctx, id, "agent1", interaction.Target{ID: "agent2"}, interaction.MediumChat)
		require.NoError(t, err)
		require.NoError(t, d.svc.Accept(ctx, id, "agent2", leg))
		_, err = d.svc.Start(ctx, id, "agent1", interaction.Target{ID: "agent3"}, interaction.MediumIM)
		require.NoError(t, err)
		open := activeChat(t, d.chats) // stays open, with a deadline
		_, err = d.svc.Start(ctx, open, "agent1", interaction.Target{ID: "agent3"}, interaction.MediumChat)
		require.NoError(t, err)
		require.NoError(t, d.chats.EndSession(ctx, id, "agent1"))

		return appendTables(t, pool), store, pool
	}
	single, singleStore, singlePool := dump()
	batch, _, _ := dump(pgstore.BatchFunctionOnly())
	require.Equal(t, batch, single)
	assert.Contains(t, single, "agent3", "the story wrote invitations")
	assert.Regexp(t, `(?m)^eq-\S+ \S+ \d+ \d+ true\n--\n$`, single, "one deadline is left, of the chat that stays open")

	// The two conflicts: a stream that moved on, and a command stored once.
	var first, again int64
	events, err := singleStore.Load(ctx, "eq-1")
	require.NoError(t, err)
	require.NotEmpty(t, events)
	require.NoError(t, singlePool.QueryRow(ctx, `SELECT count(*) FROM chatconsult_events`).Scan(&first))
	stale := events[len(events)-1]
	stale.Version = uint64(len(events))
	err = singleStore.Append(ctx, "eq-1", uint64(len(events))-1, []interaction.Event{stale})
	assert.ErrorIs(t, err, interaction.ErrConflict)
	assert.ErrorContains(t, err, "stream moved on")
	next := events[len(events)-1]
	next.Version = uint64(len(events)) + 1
	err = singleStore.Append(ctx, "eq-1", uint64(len(events)), []interaction.Event{next})
	assert.ErrorIs(t, err, interaction.ErrConflict)
	assert.ErrorContains(t, err, "already applied", "its command is stored already")
	require.NoError(t, singlePool.QueryRow(ctx, `SELECT count(*) FROM chatconsult_events`).Scan(&again))
	assert.Equal(t, first, again, "a refused append writes nothing")
}

// Issue 15: a small batch is written by the statements of append_one.go,
// one per append in interaction order, a larger one by chatconsult_append;
// here every batch goes one way or the other (StatementBatch,
// BatchFunctionOnly). The commands of a recorded story
// (several chats with consultations, deadlines set and ended, sessions
// closed) are replayed round by round, each round's appends held at the
// log head so that they share one transaction, into a store writing each
// way; each round also has an append on a stale version and one repeating
// a stored command. The answers and every table the appends write must be
// the same, positions aside.
func TestBatchStatementWritesWhatTheBatchFunctionWrites(t *testing.T) {
	// The story, recorded on a store of its own.
	s := newSchema(t)
	rec := newStore(t, s.pool(t, nil))
	d := newDeadlineDesk(t, rec, nil, "r-")
	var ids []interaction.ID
	for i := 0; i < 3; i++ {
		id, err := benchstory.Consultation(ctx, d.chats)
		require.NoError(t, err)
		ids = append(ids, id)
		id = activeChat(t, d.chats)
		ids = append(ids, id)
		leg, err := d.svc.Start(ctx, id, "agent1", interaction.Target{ID: "agent2"}, interaction.MediumChat)
		require.NoError(t, err)
		if i != 1 {
			require.NoError(t, d.svc.Accept(ctx, id, "agent2", leg))
		}
		if i == 2 {
			require.NoError(t, d.chats.EndSession(ctx, id, "agent1"))
		}
	}
	commands := map[interaction.ID][][]interaction.Event{}
	rounds := 0
	for _, id := range ids {
		events, err := rec.Load(ctx, id)
		require.NoError(t, err)
		for _, ev := range events {
			cmds := commands[id]
			if n := len(cmds); n > 0 && cmds[n-1][0].Cause == ev.Cause {
				cmds[n-1] = append(cmds[n-1], ev)
			} else {
				commands[id] = append(cmds, []interaction.Event{ev})
			}
		}
		rounds = max(rounds, len(commands[id]))
	}

	type appendCase struct {
		id       interaction.ID
		expected uint64
		events   []interaction.Event
	}
	replay := func(opts ...pgstore.Option) (answers, tables string) {
		s := newSchema(t)
		pool := s.pool(t, nil)
		st := newStore(t, pool, append(opts, pgstore.WithWriters(1))...)
		admin, err := pool.Acquire(ctx)
		require.NoError(t, err)
		defer admin.Release()
		var out strings.Builder
		version := map[interaction.ID]uint64{}
		for r := 0; r < rounds; r++ {
			var batch []appendCase
			for _, id := range ids {
				if cmds := commands[id]; r < len(cmds) {
					batch = append(batch, appendCase{id, version[id], cmds[r]})
				}
			}
			if r >= 2 {
				// A stale version, and a command stored already, each on a
				// stream of its own in the batch.
				for i := range batch {
					a := &batch[i]
					switch a.id {
					case ids[0]:
						a.expected--
						a.events = renumbered(a.events, a.expected)
					case ids[1]:
						a.events = renumbered(commands[a.id][r-1], a.expected)
					}
				}
			}
			holder, err := admin.Begin(ctx)
			require.NoError(t, err)
			_, err = holder.Exec(ctx, `SELECT 1 FROM chatconsult_log_head FOR UPDATE`)
			require.NoError(t, err)
			blocker := interaction.ID(fmt.Sprintf("blocker-%d", r))
			blocked := make(chan error, 1)
			go func() { blocked <- st.Append(ctx, blocker, 0, []interaction.Event{opened(blocker, "b")}) }()
			waitForBlockedBackend(t, s, "chatconsult_log_head")
			results := make([]chan error, len(batch))
			for i, a := range batch {
				results[i] = make(chan error, 1)
				go func() { results[i] <- st.Append(ctx, a.id, a.expected, a.events) }()
				waitQueued(t, st, i+1)
			}
			require.NoError(t, holder.Rollback(ctx))
			require.NoError(t, <-blocked)
			for i, a := range batch {
				err := <-results[i]
				fmt.Fprintf(&out, "round %d %s@%d %s: %v\n", r, a.id, a.expected, a.events[0].Cause, err)
				if err == nil {
					version[a.id] = a.expected + uint64(len(a.events))
				}
			}
		}
		return out.String(), appendTables(t, pool,
			`SELECT count(DISTINCT xmin::text) FROM chatconsult_events WHERE interaction NOT LIKE 'blocker-%'`)
	}
	statementAnswers, statementTables := replay(pgstore.StatementBatch(1 << 20))
	functionAnswers, functionTables := replay(pgstore.BatchFunctionOnly())
	require.Equal(t, functionAnswers, statementAnswers)
	require.Equal(t, functionTables, statementTables)
	assert.Contains(t, statementAnswers, "stream moved on", "a stale append lost")
	assert.Contains(t, statementAnswers, "already applied", "a repeated command lost")
	assert.True(t, strings.HasSuffix(statementTables, fmt.Sprintf("--\n%d\n--\n", rounds)), "each round was one transaction")
}

// renumbered is events as the append of a command at expected (versions
// from expected+1), for an append that reuses another's events.
func renumbered(events []interaction.Event, expected uint64) []interaction.Event {
	out := append([]interaction.Event(nil), events...)
	for i := range out {
		out[i].Version = expected + 1 + uint64(i)
	}
	return out
}

// appendTables prints every table an append writes, positions aside
// (they come from transaction IDs), each followed by a line "--", and
// then the rows of the extra queries the same way.
func appendTables(t *testing.T, pool *pgxpool.Pool, extra ...string) string {
	t.Helper()
	var b strings.Builder
	for _, q := range append([]string{
		`SELECT interaction, version, time_s, time_ns, actor, cause, coalesce(command, '<null>'), type, scope_kind,
			scope_leg, scope_party, party, role, from_state, to_state, trigger, leg, via, target_kind, target_id,
			medium, request, encode(body, 'hex'), kind, seq, fingerprint, route, deadline_s, deadline_ns,
			supervised, encode(attachments, 'hex')
		 FROM chatconsult_events ORDER BY interaction, version`,
		`SELECT interaction, version FROM chatconsult_streams ORDER BY interaction`,
		`SELECT interaction FROM chatconsult_open ORDER BY interaction`,
		`SELECT interaction, invitation, kind, due, claimed_until IS NULL FROM chatconsult_deadlines ORDER BY 1, 2`,
	}, extra...) {
		rows, err := pool.Query(ctx, q)
		require.NoError(t, err)
		for rows.Next() {
			vals, err := rows.Values()
			require.NoError(t, err)
			fmt.Fprintln(&b, vals...)
		}
		require.NoError(t, rows.Err())
		b.WriteString("--\n")
	}
	return b.String()
}

// waitQueued waits until n appends wait for st's writers.
func waitQueued(t *testing.T, st *pgstore.Store, n int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for pgstore.QueueLen(st) < n {
		require.True(t, time.Now().Before(deadline), "append %d never queued", n-1)
		runtime.Gosched()
	}
}

// Issue 15: an append's statement takes its events and its deadline
// change as scalars when it has up to four events (and one change), as
// column arrays otherwise (append_one.go). Every shape — one to six
// events; no deadline change, one set, one ended, two set, two ended; a
// stream's first append, one in its middle, one that closes it — must
// write what chatconsult_append writes, and so must the column arrays
// alone (ArrayColumns), so that each form is checked against the same
// reference.
func TestEveryAppendShapeWritesWhatTheBatchFunctionWrites(t *testing.T) {
	due := time.Unix(1_800_000_000, 123)
	leg := func(id interaction.ID, inv string, from, to interaction.LegState) interaction.Event {
		ev := interaction.Event{Interaction: id, Actor: "agent1", Type: interaction.EventLeg,
			From: string(from), To: string(to), Party: "agent2", Medium: interaction.MediumChat}
		if from == interaction.LegNone {
			ev.Deadline = due
		}
		ev.SetInvitation(interaction.InvitationID(inv))
		return ev
	}
	patterns := []struct {
		name   string
		events func(id interaction.ID) []interaction.Event
	}{
		{"none", func(interaction.ID) []interaction.Event { return nil }},
		{"set", func(id interaction.ID) []interaction.Event {
			return []interaction.Event{leg(id, "inv-c", interaction.LegNone, interaction.LegInviting)}
		}},
		{"ended", func(id interaction.ID) []interaction.Event {
			return []interaction.Event{leg(id, "inv-a", interaction.LegInviting, interaction.LegActive)}
		}},
		{"set-two", func(id interaction.ID) []interaction.Event {
			return []interaction.Event{leg(id, "inv-c", interaction.LegNone, interaction.LegInviting),
				leg(id, "inv-d", interaction.LegNone, interaction.LegInviting)}
		}},
		{"ended-two", func(id interaction.ID) []interaction.Event {
			return []interaction.Event{leg(id, "inv-a", interaction.LegInviting, interaction.LegActive),
				leg(id, "inv-b", interaction.LegInviting, interaction.LegActive)}
		}},
	}
	// numbered gives events versions from expected+1 and one command.
	numbered := func(events []interaction.Event, expected uint64, cause string) []interaction.Event {
		for i := range events {
			events[i].Version = expected + 1 + uint64(i)
			events[i].Time = time.Unix(1_700_000_000, int64(events[i].Version))
			events[i].Cause = cause
		}
		return events
	}
	play := func(opts ...pgstore.Option) string {
		s := newSchema(t)
		pool := s.pool(t, nil)
		st := newStore(t, pool, opts...)
		for n := 1; n <= 6; n++ {
			for _, p := range patterns {
				for _, where := range []string{"first", "middle", "closing"} {
					id := interaction.ID(fmt.Sprintf("shape-%d-%s-%s", n, p.name, where))
					var events []interaction.Event
					if where == "first" {
						events = append(events, opened(id, ""))
					}
					events = append(events, p.events(id)...)
					for len(events) < n-1 || (len(events) < n && where != "closing") {
						events = append(events, message(id, 0, ""))
					}
					if where == "closing" {
						events = append(events, closed(id, 0, ""))
					}
					if len(events) != n {
						continue // the pattern needs more events than n
					}
					var expected uint64
					if where != "first" {
						setup := []interaction.Event{opened(id, ""),
							leg(id, "inv-a", interaction.LegNone, interaction.LegInviting),
							leg(id, "inv-b", interaction.LegNone, interaction.LegInviting)}
						require.NoError(t, st.Append(ctx, id, 0, numbered(setup, 0, string(id)+"-setup")))
						expected = 3
					}
					require.NoError(t, st.Append(ctx, id, expected, numbered(events, expected, string(id))), id)
				}
			}
		}
		// Positions are left out of the tables (they come from transaction
		// IDs), so two counts check them: events whose order by position is
		// not their order by version, and transactions whose positions are
		// not consecutive. Both must be 0.
		return appendTables(t, pool,
			`SELECT count(*) FROM (SELECT row_number() OVER (PARTITION BY interaction ORDER BY position) AS p,
				row_number() OVER (PARTITION BY interaction ORDER BY version) AS v FROM chatconsult_events) x WHERE p <> v`,
			`SELECT count(*) FROM (SELECT max(position) - min(position) + 1 AS span, count(*) AS n
				FROM chatconsult_events GROUP BY xmin::text) x WHERE span <> n`)
	}
	reference := play(pgstore.BatchFunctionOnly())
	assert.Equal(t, reference, play(), "the statements, scalars where they can")
	assert.Equal(t, reference, play(pgstore.ArrayColumns()), "the statements, column arrays only")
	assert.True(t, strings.HasSuffix(reference, "--\n0\n--\n0\n--\n"), "positions follow versions, consecutive in each transaction")
	assert.Contains(t, reference, "shape-6-set-two-closing", "the largest shapes were played")
	assert.Regexp(t, `(?m)^shape-1-none-middle inv-a`, reference, "a deadline that no append ended is left")
	assert.NotRegexp(t, `(?m)^shape-\d-ended-two-\w+ inv-b`, reference, "both changes of an append ended their deadlines")
}
