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
