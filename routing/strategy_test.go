package routing_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// picks picks n times for target, a second apart, holding each agent
// picked (nothing is released), and returns who was picked.
func (d *desk) picks(target interaction.Target, n int) []interaction.PartyID {
	d.t.Helper()
	var out []interaction.PartyID
	for i := 0; i < n; i++ {
		d.clock.Advance(time.Second)
		a, err := d.dir.Pick(ctx, target, interaction.MediumChat, nil)
		require.NoError(d.t, err)
		out = append(out, a)
	}
	return out
}

func TestRX1LongestIdleOffersTheAgentIdleLongestFirst(t *testing.T) {
	d := newDesk(t) // LongestIdle is the default
	for _, id := range []interaction.PartyID{"a1", "a2", "a3"} {
		d.agent(billing(id))
	}
	// a1 became ready first; each offer sends its agent to the back.
	assert.Equal(t, []interaction.PartyID{"a1", "a2", "a3", "a1"}, d.picks(skill("billing"), 4))

	// Ending work makes an agent the most recently idle: a3 becomes ready
	// again after a break and goes behind a2.
	require.NoError(t, d.dir.SetPresence(ctx, "a3", routing.NotReady))
	d.clock.Advance(time.Second)
	require.NoError(t, d.dir.SetPresence(ctx, "a3", routing.Ready))
	assert.Equal(t, []interaction.PartyID{"a2", "a1", "a3"}, d.picks(skill("billing"), 3))
}

func TestRX1LeastBusyOffersTheAgentWithLeastWork(t *testing.T) {
	d := newDesk(t, routing.WithStrategy(routing.LeastBusy{}))
	for _, id := range []interaction.PartyID{"a1", "a2", "a3"} {
		d.agent(billing(id))
	}
	require.NoError(t, d.dir.Hold(ctx, "a1", interaction.MediumChat))
	require.NoError(t, d.dir.Hold(ctx, "a1", interaction.MediumVoice)) // every medium counts
	d.clock.Advance(time.Second)
	require.NoError(t, d.dir.Hold(ctx, "a2", interaction.MediumChat))
	// a3 holds nothing; then a2 and a3 hold one each and a2 has been idle
	// longer; then a3 is the only one with one.
	assert.Equal(t, []interaction.PartyID{"a3", "a2", "a3"}, d.picks(skill("billing"), 3))
	assert.Equal(t, 2, d.status("a3").Held.Of(interaction.MediumChat))
}

func TestRX1RoundRobinTakesTurnsInRegistrationOrder(t *testing.T) {
	d := newDesk(t, routing.WithStrategy(routing.RoundRobin{}))
	for _, id := range []interaction.PartyID{"a1", "a2", "a3"} {
		d.agent(billing(id))
	}
	require.NoError(t, d.dir.SetPresence(ctx, "a2", routing.NotReady))
	assert.Equal(t, []interaction.PartyID{"a1", "a3", "a1"}, d.picks(skill("billing"), 3),
		"a not-ready agent is skipped; the turn wraps around")
	require.NoError(t, d.dir.SetPresence(ctx, "a2", routing.Ready))
	assert.Equal(t, []interaction.PartyID{"a2", "a3", "a1"}, d.picks(skill("billing"), 3),
		"the turn goes on after the agent picked last, whatever its idle time")
}

func TestRX1MostSkilledPrefersHigherLevels(t *testing.T) {
	d := newDesk(t, routing.WithStrategy(routing.MostSkilled{}))
	one := routing.Capacity{interaction.MediumChat: 1}
	d.agent(routing.Agent{ID: "a1", Skills: map[string]int{"billing": 1}, Capacity: one})
	d.agent(routing.Agent{ID: "a2", Skills: map[string]int{"billing": 5}, Capacity: one})
	d.agent(routing.Agent{ID: "a3", Skills: map[string]int{"billing": 3}, Capacity: one})
	assert.Equal(t, []interaction.PartyID{"a2", "a3", "a1"}, d.picks(skill("billing"), 3))
}

func TestRX1StrategyPerTarget(t *testing.T) {
	d := newDesk(t)
	for _, id := range []interaction.PartyID{"a1", "a2"} {
		a := billing(id)
		a.Groups = []string{"tier1"}
		d.agent(a)
	}
	d.dir.SetStrategy(group("tier1"), routing.RoundRobin{})
	// Longest idle for the skill: a1, then a2 (a1 was just offered).
	assert.Equal(t, []interaction.PartyID{"a1", "a2"}, d.picks(skill("billing"), 2))
	// Round-robin for the group starts at a1 whoever was offered lately.
	assert.Equal(t, []interaction.PartyID{"a1", "a2", "a1"}, d.picks(group("tier1"), 3))
	d.dir.SetStrategy(group("tier1"), nil)
	assert.Equal(t, []interaction.PartyID{"a2"}, d.picks(group("tier1"), 1), "back to longest idle")
}

func TestRC2EveryTargetKindResolves(t *testing.T) {
	d := newDesk(t)
	d.agent(routing.Agent{ID: "a1", Skills: map[string]int{"billing": 2}, Groups: []string{"tier2"}, Queues: []string{"vip"}})
	for _, target := range []interaction.Target{skill("billing"), group("tier2"), queue("vip"), named("a1")} {
		a, err := d.dir.Pick(ctx, target, interaction.MediumChat, nil)
		require.NoError(t, err, target)
		assert.Equal(t, interaction.PartyID("a1"), a, target)
		d.dir.Release(a, interaction.MediumChat)
	}
	_, err := d.dir.Pick(ctx, skill("french"), interaction.MediumChat, nil)
	assert.ErrorIs(t, err, interaction.ErrNotFound)
	_, err = d.dir.Pick(ctx, named("ghost"), interaction.MediumChat, nil)
	assert.ErrorIs(t, err, interaction.ErrNotFound, "a named agent must be in the directory")
	_, err = d.dir.Pick(ctx, skill("billing"), interaction.MediumChat, []interaction.PartyID{"a1"})
	assert.ErrorIs(t, err, interaction.ErrNotFound, "excluded agents are never offered")
	_, err = d.dir.Pick(ctx, skill(""), interaction.MediumChat, nil)
	assert.ErrorIs(t, err, interaction.ErrBadInput)
	_, err = d.dir.Pick(ctx, skill("billing"), interaction.Medium(9), nil)
	assert.ErrorIs(t, err, interaction.ErrBadInput)

	cands, err := d.dir.Candidates(ctx, skill("billing"), interaction.MediumChat, nil, 0)
	require.NoError(t, err)
	require.Len(t, cands, 1)
	assert.Equal(t, 0, cands[0].Held.Total(), "Candidates holds nobody")
}

func TestPutValidatesAndKeepsPresenceAndLoad(t *testing.T) {
	d := newDesk(t)
	assert.ErrorIs(t, d.dir.Put(routing.Agent{}), interaction.ErrBadInput)
	assert.ErrorIs(t, d.dir.Put(routing.Agent{ID: interaction.System}), interaction.ErrBadInput)
	assert.ErrorIs(t, d.dir.Put(routing.Agent{ID: "x", Capacity: routing.Capacity{interaction.MediumChat: -1}}), interaction.ErrBadInput)
	assert.ErrorIs(t, d.dir.Put(routing.Agent{ID: "x", Skills: map[string]int{"": 1}}), interaction.ErrBadInput)
	assert.ErrorIs(t, d.dir.SetPresence(ctx, "nobody", routing.Ready), interaction.ErrNotFound)
	assert.ErrorIs(t, d.dir.SetPresence(ctx, "x", routing.Presence(9)), interaction.ErrBadInput)

	d.agent(billing("a1"))
	d.chat("a1")
	// Change of skills: the agent leaves billing for tech; presence and load stay.
	require.NoError(t, d.dir.Put(routing.Agent{ID: "a1", Skills: map[string]int{"tech": 1}}))
	st := d.status("a1")
	assert.Equal(t, routing.Ready, st.Presence)
	assert.Equal(t, 1, st.Load.Of(interaction.MediumChat))
	_, err := d.dir.Pick(ctx, skill("billing"), interaction.MediumChat, nil)
	assert.ErrorIs(t, err, interaction.ErrNotFound)
	a, err := d.dir.Pick(ctx, skill("tech"), interaction.MediumChat, nil)
	require.NoError(t, err)
	assert.Equal(t, interaction.PartyID("a1"), a)

	require.NoError(t, d.dir.Remove("a1"))
	assert.ErrorIs(t, d.dir.Remove("a1"), interaction.ErrNotFound)
	_, err = d.dir.Pick(ctx, skill("tech"), interaction.MediumChat, nil)
	assert.ErrorIs(t, err, interaction.ErrNotFound)
	assert.Equal(t, 1, d.dir.Work("a1").Load.Of(interaction.MediumChat), "a removed agent's load is still counted")
	require.NoError(t, d.dir.Put(routing.Agent{ID: "a1"}))
	assert.Equal(t, 1, d.status("a1").Load.Of(interaction.MediumChat), "and comes back with it")
	assert.Equal(t, routing.LoggedOut, d.status("a1").Presence)
}
