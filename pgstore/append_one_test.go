package pgstore_test

import (
	"fmt"
	"strings"
	"testing"

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

		var b strings.Builder
		for _, q := range []string{
			`SELECT interaction, version, time_s, time_ns, actor, cause, coalesce(command, '<null>'), type, scope_kind,
				scope_leg, scope_party, party, role, from_state, to_state, trigger, leg, via, target_kind, target_id,
				medium, request, encode(body, 'hex'), kind, seq, fingerprint, route, deadline_s, deadline_ns,
				supervised, encode(attachments, 'hex')
			 FROM chatconsult_events ORDER BY interaction, version`,
			`SELECT interaction, version FROM chatconsult_streams ORDER BY interaction`,
			`SELECT interaction FROM chatconsult_open ORDER BY interaction`,
			`SELECT interaction, invitation, kind, due, claimed_until IS NULL FROM chatconsult_deadlines ORDER BY 1, 2`,
		} {
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
		return b.String(), store, pool
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
