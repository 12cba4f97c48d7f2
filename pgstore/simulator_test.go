package pgstore_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
)

// The harness kit's promise (issue 9): the same seed gives a byte-identical
// event log on the in-memory Store and on any Store that passes the
// conformance suite, PostgreSQL included.
func TestSimulatorGivesTheSameLogOnPostgres(t *testing.T) {
	s := newSchema(t)
	store := newStore(t, s.pool(t, nil))
	run := func(cfg chatconsulttest.SimConfig) string {
		sim := chatconsulttest.NewSimulator(cfg)
		_, err := sim.Run(ctx, 600)
		require.NoError(t, err)
		h, err := sim.Hash(ctx)
		require.NoError(t, err)
		return h
	}
	cfg := chatconsulttest.SimConfig{Seed: 11, Interactions: 8, Supervisors: 1}
	inMemory := run(cfg)
	cfg.Store = store
	onPostgres := run(cfg)
	assert.Equal(t, inMemory, onPostgres)
}
