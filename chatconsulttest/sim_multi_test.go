package chatconsulttest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
)

// multiConfig is the configuration of multi-instance story seed: two
// instances on one MemoryStore, restarts, short time-outs, routed
// invitations to a skill with two offers at once.
func multiConfig(seed uint64) chatconsulttest.SimConfig {
	rates := chatconsulttest.DefaultRates
	rates.TimeOut = 0.3
	rates.Routed = 0.5
	return chatconsulttest.SimConfig{Seed: seed, Instances: 2, RestartRate: 0.03, Interactions: 1 + int(seed%4),
		Agents: 4 + int(seed%4), Supervisors: int(seed % 2), Rates: rates, InviteTimeout: 2 * time.Second, Check: true}
}

// R-X1, issue 13: over multiStories random stories, two Services on one
// Store, commands through either at random, restarts and time-outs, the
// checker finds no forked stream, no double winner, no lost deadline,
// nothing fired twice, and every per-interaction invariant holds.
func TestSimulatorMultiInstanceRX1(t *testing.T) {
	ctx := context.Background()
	const commands = 120
	var total chatconsulttest.SimResult
	timedOut, routed, fired, fanOut := 0, 0, 0, 0
	for seed := uint64(1); seed <= multiStories; seed++ {
		cfg := multiConfig(seed)
		store := interaction.NewMemoryStore()
		cfg.Store = store
		sim := chatconsulttest.NewSimulator(cfg)
		res, err := sim.Run(ctx, commands)
		require.NoError(t, err, "seed %d", seed)
		for _, v := range res.Violations {
			t.Errorf("seed %d: %v", seed, v)
		}
		if t.Failed() {
			t.Fatalf("seed %d: reproduce with multiConfig(%d), %d commands", seed, seed, commands)
		}
		total.Commands += res.Commands
		total.Restarts += res.Restarts
		total.Events += res.Events
		total.SecondAccepts += res.SecondAccepts
		events, err := store.ReadAll(ctx, 0, 0)
		require.NoError(t, err)
		offers := map[string]int{} // routed offers made, per command
		for _, ev := range events {
			if ev.Route != "" && (ev.From == string(interaction.LegNone) || ev.From == string(interaction.RequestNone)) {
				offers[ev.Cause]++
			}
			if ev.Trigger == "time_out" {
				timedOut++
			}
			if ev.Route != "" {
				routed++
			}
			if ev.Fingerprint != 0 && len(ev.Cause) > 9 && ev.Cause[:9] == "deadline/" {
				fired++
			}
		}
		for _, n := range offers {
			if n >= 2 {
				fanOut++
			}
		}
	}
	assert.Positive(t, total.Restarts, "instances restart")
	assert.Positive(t, timedOut, "invitations time out")
	assert.Positive(t, routed, "invitations are routed")
	assert.Positive(t, fanOut, "routed invitations fan out (two offers in one write)")
	assert.Positive(t, total.SecondAccepts, "agents accept offers rescinded by another's accept (refused, R-X1)")
	t.Logf("%d stories, %d commands, %d events, %d restarts, %d time-outs, %d deadline commands, %d routed offers, %d fan-outs, %d second accepts",
		multiStories, total.Commands, total.Events, total.Restarts, timedOut, fired, routed, fanOut, total.SecondAccepts)
}

// R-X5 over several instances: the same seed gives the same log, also with
// restarts, time-outs and routed invitations, and on a Store that is no
// more than a Store (no restarts there: nothing to recover from).
func TestSimulatorMultiInstanceIsDeterministic(t *testing.T) {
	cfg := multiConfig(11)
	cfg.Check = false
	a := simHash(t, cfg, 400)
	b := simHash(t, cfg, 400)
	assert.Equal(t, a, b, "same seed, same log")
	cfg.Seed = 12
	assert.NotEqual(t, a, simHash(t, cfg, 400), "another seed, another log")
	cfg.RestartRate = 0
	cfg.Store = plainStore{interaction.NewMemoryStore()}
	onPlain := simHash(t, cfg, 400)
	cfg.Store = interaction.NewMemoryStore()
	assert.Equal(t, onPlain, simHash(t, cfg, 400), "same seed, same log, on another Store")
}
