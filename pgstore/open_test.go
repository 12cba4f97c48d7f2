package pgstore_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/pgstore"
)

func opened(id interaction.ID, cause string) interaction.Event {
	return interaction.Event{Interaction: id, Version: 1, Actor: "contact", Cause: cause, Type: interaction.EventOpened, Party: "contact"}
}

func closed(id interaction.ID, v uint64, cause string) interaction.Event {
	return interaction.Event{Interaction: id, Version: v, Actor: "agent1", Cause: cause, Type: interaction.EventStatus,
		From: string(interaction.StatusEnded), To: string(interaction.StatusClosed), Trigger: "close"}
}

func message(id interaction.ID, v uint64, cause string) interaction.Event {
	return interaction.Event{Interaction: id, Version: v, Actor: "contact", Cause: cause, Type: interaction.EventMessage, Text: "hi", Seq: uint32(v)}
}

func openIDs(t *testing.T, st *pgstore.Store) []interaction.ID {
	t.Helper()
	ids, err := st.OpenInteractions(ctx, "", 0)
	require.NoError(t, err)
	return ids
}

// Appends that share one group-committed transaction move the index by
// their own outcome: a loser's close or opening leaves no trace, a winner
// followed in the same transaction by another winner on its stream ends
// where the second leaves it. The writer is held at the log head while
// the appends queue one by one, so they are decided in that order, in one
// transaction (the test checks both).
func TestOpenIndexInOneGroupCommit(t *testing.T) {
	s := newSchema(t)
	st := newStore(t, s.pool(t, nil), pgstore.WithWriters(1))
	for _, id := range []interaction.ID{"x", "y"} {
		require.NoError(t, st.Append(ctx, id, 0, []interaction.Event{opened(id, "open-"+string(id))}))
	}

	admin, err := pgx.ConnectConfig(ctx, s.config(t).ConnConfig)
	require.NoError(t, err)
	defer admin.Close(ctx)
	holder, err := admin.Begin(ctx)
	require.NoError(t, err)
	_, err = holder.Exec(ctx, `SELECT position FROM chatconsult_log_head FOR UPDATE`)
	require.NoError(t, err)
	blocked := make(chan error, 1)
	go func() { blocked <- st.Append(ctx, "blocker", 0, []interaction.Event{opened("blocker", "b")}) }()
	waitForBlockedBackend(t, s, "chatconsult_log_head")

	type racer struct {
		id       interaction.ID
		expected uint64
		events   []interaction.Event
		wins     bool
	}
	racers := []racer{
		{"x", 1, []interaction.Event{message("x", 2, "x-post")}, true},
		{"x", 1, []interaction.Event{closed("x", 2, "x-close-1")}, false},
		{"x", 1, []interaction.Event{closed("x", 2, "x-close-2")}, false},
		{"y", 1, []interaction.Event{closed("y", 2, "y-close")}, true},
		{"y", 1, []interaction.Event{message("y", 2, "y-post")}, false},
		{"z", 0, []interaction.Event{opened("z", "z-brief"), closed("z", 2, "z-brief")}, true},
		{"z", 0, []interaction.Event{opened("z", "z-open")}, false},
		{"w", 0, []interaction.Event{opened("w", "w-open")}, true},
		{"w", 0, []interaction.Event{opened("w", "w-brief"), closed("w", 2, "w-brief")}, false},
		{"v", 0, []interaction.Event{opened("v", "v-open")}, true},
		{"v", 1, []interaction.Event{closed("v", 2, "v-close")}, true},
		{"u", 0, []interaction.Event{opened("u", "u-open")}, true},
		{"u", 1, []interaction.Event{message("u", 2, "u-post")}, true},
		{"y", 0, []interaction.Event{opened("y", "y-again")}, false},
	}
	results := make([]chan error, len(racers))
	for i, r := range racers {
		results[i] = make(chan error, 1)
		go func() { results[i] <- st.Append(ctx, r.id, r.expected, r.events) }()
		waitQueued(t, st, i+1)
	}
	require.NoError(t, holder.Rollback(ctx))
	require.NoError(t, <-blocked)
	for i, r := range racers {
		err := <-results[i]
		if r.wins {
			require.NoErrorf(t, err, "append %d (%s)", i, r.events[0].Cause)
		} else {
			require.ErrorIsf(t, err, interaction.ErrConflict, "append %d (%s)", i, r.events[0].Cause)
		}
	}
	var transactions int
	require.NoError(t, admin.QueryRow(ctx, `SELECT count(DISTINCT xmin::text) FROM chatconsult_events
		WHERE interaction <> ALL($1::text[])`, []string{"blocker", "x", "y"}).Scan(&transactions))
	require.Equal(t, 1, transactions, "the racers were committed in one transaction")

	assert.Equal(t, []interaction.ID{"blocker", "u", "w", "x"}, openIDs(t, st))
}

// Migration 0003 lists the interactions written before it: every stream
// without a close.
func TestMigrationListsTheInteractionsWrittenBefore(t *testing.T) {
	s := newSchema(t)
	pool := s.pool(t, nil)
	st := newStore(t, pool)
	for _, id := range []interaction.ID{"a", "b", "c"} {
		require.NoError(t, st.Append(ctx, id, 0, []interaction.Event{opened(id, "open"), message(id, 2, "open")}))
	}
	require.NoError(t, st.Append(ctx, "b", 2, []interaction.Event{closed("b", 3, "close")}))
	// A stream that looks like it ended but did not close stays listed.
	require.NoError(t, st.Append(ctx, "c", 2, []interaction.Event{{Interaction: "c", Version: 3, Type: interaction.EventStatus,
		From: string(interaction.StatusActive), To: string(interaction.StatusEnded)}}))
	st.Close()

	// The schema as it was at version 2 (a migration added after 0003
	// must be undone here too).
	for _, sql := range []string{
		`DROP TABLE chatconsult_open`,
		`DROP TABLE chatconsult_checkpoints`,
		`ALTER TABLE chatconsult_events DROP COLUMN route`,
		`ALTER TABLE chatconsult_events DROP COLUMN deadline_s, DROP COLUMN deadline_ns`,
		`DROP TABLE chatconsult_deadlines`,
		`DROP TABLE chatconsult_routing_changes, chatconsult_routing_work, chatconsult_routing_counted, chatconsult_routing_holds, chatconsult_routing_agents`,
		`DROP TABLE chatconsult_routing_chats`,
		`DROP SEQUENCE chatconsult_routing_seq`,
		`ALTER TABLE chatconsult_events DROP COLUMN supervised`,
		`ALTER TABLE chatconsult_events DROP COLUMN attachments`,
		`DROP TABLE chatconsult_history`,
		`DELETE FROM chatconsult_migrations WHERE version >= 3`,
	} {
		_, err := pool.Exec(ctx, sql)
		require.NoError(t, err)
	}
	require.NoError(t, pgstore.Migrate(ctx, pool))
	st = newStore(t, pool)
	assert.Equal(t, []interaction.ID{"a", "c"}, openIDs(t, st))
}

// The migration names EventStatus and StatusClosed by value.
func TestMigrationConstants(t *testing.T) {
	assert.Equal(t, interaction.EventType(2), interaction.EventStatus, "0003_open_interactions.sql: e.type = 2")
	assert.Equal(t, "closed", string(interaction.StatusClosed), "0003_open_interactions.sql: e.to_state = 'closed'")
	assert.Equal(t, interaction.EventType(4), interaction.EventRole, "0011_event_columns.sql: type = 4")
	assert.Equal(t, interaction.Role(5), interaction.RoleSupervisor, "0011_event_columns.sql: role = 5")
	assert.Equal(t, interaction.TargetKind(0), interaction.TargetAgent, "0011_event_columns.sql: target_kind = 0")
}

// OpenInteractions refuses an after PostgreSQL cannot hold, and pages.
func TestOpenInteractionsInput(t *testing.T) {
	st := newStore(t, newSchema(t).pool(t, nil))
	_, err := st.OpenInteractions(ctx, "bad\x00", 10)
	require.ErrorIs(t, err, interaction.ErrBadInput)
	for _, id := range []interaction.ID{"b", "a", "c"} {
		require.NoError(t, st.Append(ctx, id, 0, []interaction.Event{opened(id, "o")}))
	}
	page, err := st.OpenInteractions(ctx, "a", 1)
	require.NoError(t, err)
	assert.Equal(t, []interaction.ID{"b"}, page)
}
