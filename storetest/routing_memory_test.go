package storetest_test

import (
	"testing"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
	"github.com/chatconsult/chatconsult/storetest"
)

// The MemoryStore of package routing passes the routing suite; the
// "instances" of one process share it, and one interaction MemoryStore.
func TestMemoryRoutingStore(t *testing.T) {
	storetest.TestRoutingStore(t, func(_ *testing.T, n int) []routing.Store {
		s := routing.NewMemoryStore()
		out := make([]routing.Store, n)
		for i := range out {
			out[i] = s
		}
		return out
	}, func(_ *testing.T, n int) []storetest.RoutingInstance {
		chats, s := interaction.NewMemoryStore(), routing.NewMemoryStore()
		out := make([]storetest.RoutingInstance, n)
		for i := range out {
			out[i] = storetest.RoutingInstance{Chats: chats, Routing: s, Watch: s}
		}
		return out
	})
}

// The model-based routing property on a Directory that is a cache of a
// routing.MemoryStore (R-X1, R-C2; issue 14).
func TestMemoryRoutingModel(t *testing.T) {
	storetest.TestRoutingModel(t, func(*testing.T) storetest.RoutingInstance {
		s := routing.NewMemoryStore()
		return storetest.RoutingInstance{Chats: interaction.NewMemoryStore(), Routing: s, Watch: s}
	}, 0)
}
