package pgstore_test

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

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
