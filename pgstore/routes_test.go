package pgstore_test

import (
	"testing"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/storetest"
)

var billing = interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}

// R-X1, issue 13, on PostgreSQL: the storetest first-accept-wins case
// through two instances (two pools, two Stores, two Services) on one
// schema, 1,000 rounds.
func TestRX1FirstAcceptWinsAcrossInstancesOnPostgres(t *testing.T) {
	rounds := 1000
	if testing.Short() {
		rounds = 100
	}
	s := newSchema(t)
	storetest.TestFirstAcceptWins(t, func(t *testing.T, n int) []interaction.Store {
		out := make([]interaction.Store, n)
		for i := range out {
			out[i] = newStore(t, s.pool(t, nil))
		}
		return out
	}, rounds)
}
