package pgstore_test

import (
	"testing"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/pgstore"
	"github.com/chatconsult/chatconsult/storetest"
)

// The PostgreSQL Store and Log pass the same suite as the in-memory ones,
// group-committed and one transaction per append: with the default split
// between the statements of append_one.go (small batches) and the batch
// function chatconsult_append (larger ones), and with every batch one way
// or the other.
func TestStoreConformance(t *testing.T) {
	databaseURL(t)
	for _, cfg := range []struct {
		name string
		opts []pgstore.Option
	}{
		{"grouped", nil},
		{"grouped-statements", []pgstore.Option{pgstore.StatementBatch(1 << 20)}},
		{"grouped-batch-function", []pgstore.Option{pgstore.BatchFunctionOnly()}},
		{"one-per-transaction", []pgstore.Option{pgstore.WithMaxBatch(1), pgstore.WithWriters(4)}},
		{"one-per-transaction-batch-function", []pgstore.Option{pgstore.WithMaxBatch(1), pgstore.WithWriters(4), pgstore.BatchFunctionOnly()}},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			storetest.TestStore(t, func(t *testing.T) interaction.Store {
				s := newSchema(t)
				return newStore(t, s.pool(t, nil), cfg.opts...)
			})
		})
	}
}

// The open-interactions index passes the same suite as the MemoryStore's:
// each instance is a Store with a pool of its own, on one schema.
func TestOpenListerConformance(t *testing.T) {
	databaseURL(t)
	for _, cfg := range []struct {
		name string
		opts []pgstore.Option
	}{
		{"grouped", nil},
		{"grouped-statements", []pgstore.Option{pgstore.StatementBatch(1 << 20)}},
		{"grouped-batch-function", []pgstore.Option{pgstore.BatchFunctionOnly()}},
		{"one-per-transaction", []pgstore.Option{pgstore.WithMaxBatch(1), pgstore.WithWriters(4)}},
		{"one-per-transaction-batch-function", []pgstore.Option{pgstore.WithMaxBatch(1), pgstore.WithWriters(4), pgstore.BatchFunctionOnly()}},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			storetest.TestOpenLister(t, func(t *testing.T, n int) []interaction.Store {
				s := newSchema(t)
				out := make([]interaction.Store, n)
				for i := range out {
					out[i] = newStore(t, s.pool(t, nil), cfg.opts...)
				}
				return out
			})
		})
	}
}

// Instances are separate pools on one schema: each has its Listener (the
// write side's Notifier and the followers' wake-up) and a Relay into a
// local MemoryNotifier (party subscriptions).
func TestNotifierConformance(t *testing.T) {
	databaseURL(t)
	storetest.TestNotifier(t, func(t *testing.T, n int) []storetest.Instance {
		s := newSchema(t)
		out := make([]storetest.Instance, n)
		for i := range out {
			in := s.instance(t)
			out[i] = storetest.Instance{Store: in.store, Log: in.listener, Notifier: in.listener, Subscribe: in.parties.Subscribe}
		}
		return out
	})
}

// The deadlines table passes the same suite as the in-memory queue: the
// Store keeps it in the append's transaction, so no Notifier is needed.
func TestDeadlineQueueConformance(t *testing.T) {
	databaseURL(t)
	storetest.TestDeadlineQueue(t, func(t *testing.T) storetest.DeadlineSetup {
		st := newStore(t, newSchema(t).pool(t, nil))
		return storetest.DeadlineSetup{Store: st, Queue: st.Deadlines()}
	})
}
