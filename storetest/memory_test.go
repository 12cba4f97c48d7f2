package storetest_test

import (
	"testing"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/storetest"
)

// The in-memory Store and Log pass the conformance suite.
func TestMemoryStore(t *testing.T) {
	storetest.TestStore(t, func(*testing.T) interaction.Store { return interaction.NewMemoryStore() })
}

// In one process, "instances" share one MemoryStore and one
// MemoryNotifier: the Service notifies it, followers wait on the store.
func TestMemoryNotifier(t *testing.T) {
	storetest.TestNotifier(t, func(_ *testing.T, n int) []storetest.Instance {
		store := interaction.NewMemoryStore()
		notifier := interaction.NewMemoryNotifier()
		out := make([]storetest.Instance, n)
		for i := range out {
			out[i] = storetest.Instance{Store: store, Log: store, Notifier: notifier, Subscribe: notifier.Subscribe}
		}
		return out
	})
}

// The MemoryStore lists its open interactions; "instances" share it.
func TestMemoryOpenLister(t *testing.T) {
	storetest.TestOpenLister(t, func(_ *testing.T, n int) []interaction.Store {
		store := interaction.NewMemoryStore()
		out := make([]interaction.Store, n)
		for i := range out {
			out[i] = store
		}
		return out
	})
}

// The in-memory deadline queue learns from the Service's notifications.
func TestMemoryDeadlines(t *testing.T) {
	storetest.TestDeadlineQueue(t, func(*testing.T) storetest.DeadlineSetup {
		q := interaction.NewMemoryDeadlines()
		return storetest.DeadlineSetup{Store: interaction.NewMemoryStore(), Notifier: q, Queue: q}
	})
}
