package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/pgstore"
	"github.com/chatconsult/chatconsult/routing"
	"github.com/chatconsult/chatconsult/storetest"
)

func newRoutingStore(t testing.TB, s *schema) *pgstore.RoutingStore {
	t.Helper()
	rs, err := pgstore.NewRoutingStore(ctx, s.pool(t, nil))
	require.NoError(t, err)
	return rs
}

// The PostgreSQL routing store passes the routing suite (issue 14): each
// instance is a pool of its own on one schema, with its own LISTEN
// connection for the change feed.
func TestRoutingStoreConformance(t *testing.T) {
	databaseURL(t)
	storetest.TestRoutingStore(t, func(t *testing.T, n int) []routing.Store {
		s := newSchema(t)
		out := make([]routing.Store, n)
		for i := range out {
			out[i] = newRoutingStore(t, s)
		}
		return out
	}, func(t *testing.T, n int) []storetest.RoutingInstance {
		s := newSchema(t)
		out := make([]storetest.RoutingInstance, n)
		for i := range out {
			rs := newRoutingStore(t, s)
			l := rs.Listen()
			t.Cleanup(l.Close)
			out[i] = storetest.RoutingInstance{Chats: newStore(t, s.pool(t, nil)), Routing: rs, Watch: l}
		}
		return out
	})
}

func newRoutingStoreOn(pool *pgxpool.Pool) (*pgstore.RoutingStore, error) {
	return pgstore.NewRoutingStore(ctx, pool)
}

// TestRoutingModelPostgres is the model-based routing property
// (storetest.TestRoutingModel: capacity never exceeded, the Store's loads
// equal to the interactions', first accept wins, one outcome per
// invitation; R-X1, R-C2) on PostgreSQL: the Directory a cache of a
// pgstore.RoutingStore, the chats on a pgstore.Store, each story on a
// fresh schema. 12 stories (about 30 s under -race) keep CI fast (-rapid.checks=N for more).
func TestRoutingModelPostgres(t *testing.T) {
	databaseURL(t)
	storetest.TestRoutingModel(t, func(t *testing.T) storetest.RoutingInstance {
		s := newSchema(t)
		rs := newRoutingStore(t, s)
		return storetest.RoutingInstance{Chats: newStore(t, s.pool(t, nil)), Routing: rs}
	}, 12)
}

// TestRoutingPickPassesOverRowInFlight: a routed pick does not queue on an
// agent's row that another instance's transaction is writing (the hold is
// asked NoWait, FOR UPDATE SKIP LOCKED): it takes the next candidate at
// once. When that agent is the only candidate, the pick waits for the row
// and takes it after the other transaction ends (R-C2, R-X1).
func TestRoutingPickPassesOverRowInFlight(t *testing.T) {
	s := newSchema(t)
	rs := newRoutingStore(t, s)
	clock := chatconsulttest.NewManualClock()
	dir := routing.NewDirectory(routing.WithClock(clock), routing.WithStore(rs), routing.WithHolder("a"))
	for _, id := range []interaction.PartyID{"ann", "bob"} { // ann the longest idle
		clock.Advance(time.Second)
		require.NoError(t, dir.PutContext(ctx, routing.Agent{ID: id, Skills: map[string]int{"billing": 1}}))
		require.NoError(t, dir.SetPresence(ctx, id, routing.Ready))
	}
	pool := s.pool(t, nil)
	other, err := pool.Begin(ctx) // another instance, in the middle of writing ann
	require.NoError(t, err)
	defer func() { _ = other.Rollback(ctx) }()
	_, err = other.Exec(ctx, `UPDATE chatconsult_routing_agents SET rev = rev + 1 WHERE agent = 'ann'`)
	require.NoError(t, err)

	quick, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	got, err := dir.Pick(quick, billing, interaction.MediumChat, nil)
	require.NoError(t, err, "not queued behind ann's row")
	assert.Equal(t, interaction.PartyID("bob"), got)

	done := make(chan error, 1)
	var only interaction.PartyID
	go func() {
		var err error
		only, err = dir.Pick(ctx, billing, interaction.MediumChat, []interaction.PartyID{"bob"})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("ann's row is still locked, yet the pick returned (%v, %v)", only, err)
	case <-time.After(200 * time.Millisecond):
	}
	require.NoError(t, other.Commit(ctx))
	require.NoError(t, <-done, "the only candidate: waited for, then held")
	assert.Equal(t, interaction.PartyID("ann"), only)
}
