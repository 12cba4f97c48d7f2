package chatconsulttest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// plainStore hides everything of the MemoryStore but the Store interface:
// the simulator must work on any Store.
type plainStore struct{ st interaction.Store }

func (p plainStore) Load(ctx context.Context, id interaction.ID) ([]interaction.Event, error) {
	return p.st.Load(ctx, id)
}

func (p plainStore) Append(ctx context.Context, id interaction.ID, v uint64, events []interaction.Event) error {
	return p.st.Append(ctx, id, v, events)
}

func simHash(t *testing.T, cfg chatconsulttest.SimConfig, n int) string {
	t.Helper()
	sim := chatconsulttest.NewSimulator(cfg)
	_, err := sim.Run(context.Background(), n)
	require.NoError(t, err)
	h, err := sim.Hash(context.Background())
	require.NoError(t, err)
	return h
}

// R-X5: the same seed gives a byte-identical event log, on any Store;
// another seed does not.
func TestSimulatorIsDeterministicRX5(t *testing.T) {
	cfg := chatconsulttest.SimConfig{Seed: 7, Interactions: 20, Supervisors: 2}
	a := simHash(t, cfg, 3000)
	b := simHash(t, cfg, 3000)
	cfg.Store = plainStore{interaction.NewMemoryStore()}
	onOther := simHash(t, cfg, 3000)
	cfg.Store, cfg.Seed = nil, 8
	c := simHash(t, cfg, 3000)
	assert.Equal(t, a, b, "same seed, same log")
	assert.Equal(t, a, onOther, "same seed, same log, on another Store")
	assert.NotEqual(t, a, c, "another seed, another log")
	t.Logf("seed 7: %s; seed 8: %s", a, c)
}

// The simulator's stories keep every invariant, and its rates drive what
// happens: every kind of turn shows up in the log.
func TestSimulatorKeepsInvariantsAndHonoursRates(t *testing.T) {
	store := interaction.NewMemoryStore()
	sim := chatconsulttest.NewSimulator(chatconsulttest.SimConfig{Seed: 1, Interactions: 10, Supervisors: 2, Store: store, Check: true})
	res, err := sim.Run(context.Background(), 2000)
	require.NoError(t, err)
	for _, v := range res.Violations {
		t.Error(v)
	}
	assert.Equal(t, 2000, res.Commands)
	assert.Equal(t, res.Commands, res.Accepted+res.Refused)
	assert.Positive(t, res.Closed, "R-C8: interactions close")
	events, err := store.ReadAll(context.Background(), 0, 0)
	require.NoError(t, err)
	assert.Equal(t, res.Events, len(events))
	seen := map[string]int{}
	for _, ev := range events {
		switch ev.Type {
		case interaction.EventLeg, interaction.EventRequest:
			seen[ev.Type.String()+" "+string(ev.Trigger)]++
		case interaction.EventRole:
			if ev.Role == interaction.RoleSupervisor {
				seen["supervise "+string(ev.Trigger)]++
			}
		}
	}
	for _, k := range []string{"leg invite", "leg accept", "leg decline", "leg time_out", "leg cancel", "leg end",
		"leg transfer", "leg conference", "request request", "request accept", "request decline", "request time_out",
		"supervise monitor", "supervise coach"} {
		assert.Positive(t, seen[k], "%s happens", k)
	}
	t.Logf("%+v; %v", res, seen)

	quiet := chatconsulttest.NewSimulator(chatconsulttest.SimConfig{Seed: 1, Store: interaction.NewMemoryStore(),
		Rates: chatconsulttest.Rates{Leave: 0.1, Decline: 0.5}})
	_, err = quiet.Run(context.Background(), 1000)
	require.NoError(t, err)
	h, err := quiet.Hash(context.Background())
	require.NoError(t, err)
	assert.NotEmpty(t, h)
	for _, id := range quiet.Opened() {
		st, err := quiet.Chats.State(context.Background(), id)
		require.NoError(t, err)
		assert.Empty(t, st.Legs, "no consultation at consult rate 0")
		assert.Empty(t, st.Requests, "no transfer or conference at rates 0")
	}
}

// Real logs pass the core's validator (R-X5): every interaction the
// simulator writes, over many seeds and rates, rebuilds from its Store,
// loads into a fresh Service, and replays into history without a refusal.
func TestSimulatorLogsAreNeverRefused(t *testing.T) {
	seeds, commands := 40, 600
	if testing.Short() {
		seeds = 8
	}
	ctx := context.Background()
	rates := []chatconsulttest.Rates{
		chatconsulttest.DefaultRates,
		{Consult: 0.6, Decline: 0.1, TimeOut: 0.3, Transfer: 0.3, Conference: 0.3, Leave: 0.05, Supervise: 0.3},
		{Consult: 0.2, Decline: 0.5, TimeOut: 0.2, Transfer: 0.05, Conference: 0.4, Leave: 0.3, Supervise: 0.5},
	}
	events := 0
	for seed := 1; seed <= seeds; seed++ {
		store := interaction.NewMemoryStore()
		sim := chatconsulttest.NewSimulator(chatconsulttest.SimConfig{Seed: uint64(seed), Interactions: 1 + seed%12,
			Agents: 3 + seed%6, Supervisors: seed % 3, Rates: rates[seed%len(rates)], Store: store})
		_, err := sim.Run(ctx, commands)
		require.NoError(t, err, "seed %d: no command's events are refused as it writes them", seed)
		fresh := interaction.NewService(interaction.WithStore(store))
		for _, id := range sim.Opened() {
			log, err := store.Load(ctx, id)
			require.NoError(t, err)
			events += len(log)
			_, err = interaction.Rebuild(log)
			require.NoError(t, err, "seed %d, %s", seed, id)
			_, err = fresh.State(ctx, id)
			require.NoError(t, err, "seed %d, %s: a Service loads it", seed, id)
		}
		_, err = history.Rebuild(ctx, store)
		require.NoError(t, err, "seed %d: history replays it", seed)
	}
	t.Logf("%d seeds, %d events, none refused", seeds, events)
}
