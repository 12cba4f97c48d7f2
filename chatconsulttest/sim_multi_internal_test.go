package chatconsulttest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
)

func invariants(vs []Violation) map[string]int {
	out := map[string]int{}
	for _, v := range vs {
		out[v.Invariant]++
	}
	return out
}

// The R-X1 deadline check finds a lost deadline: an instance restarted
// without recovering anything (no Directory, so nobody else knows its
// deadlines) leaves invitations pending past their deadline.
func TestSimulatorFindsLostDeadline(t *testing.T) {
	ctx := context.Background()
	rates := DefaultRates
	rates.TimeOut = 0.6
	s := NewSimulator(SimConfig{Seed: 3, Instances: 2, Interactions: 3, Agents: 6, Rates: rates,
		InviteTimeout: 2 * time.Second, Check: true})
	for i := 0; i < 400 && invariants(s.res.Violations)[InvDeadline] == 0; i++ {
		if i%10 == 0 {
			// A planted fault: restart instance 0 without recovery.
			old := s.m.instances[0]
			old.desk.Stop()
			s.m.instances[0] = s.newInstance(0, old.gen+1)
		}
		_, err := s.Step(ctx)
		require.NoError(t, err)
	}
	assert.Positive(t, invariants(s.res.Violations)[InvDeadline], "a lost deadline is found")
	t.Log(s.res.Violations[0])
}

// The R-X1 winner check finds two accepted offers of one route, an agent
// with two active legs of it, and a rival out after the route was taken.
func TestSimulatorFindsDoubleWinner(t *testing.T) {
	s := NewSimulator(SimConfig{Seed: 1, Instances: 2})
	st := &interaction.State{ID: "x", Version: 9, Legs: []interaction.Leg{
		{ID: "a", Invitee: "agent1", Route: "r", State: interaction.LegActive},
		{ID: "b", Invitee: "agent1", Route: "r", State: interaction.LegActive},
		{ID: "c", Invitee: "agent2", Route: "r", State: interaction.LegInviting},
		{ID: "d", Invitee: "agent3", Route: "q", State: interaction.LegActive},
		{ID: "e", Invitee: "agent4", Route: "q", State: interaction.LegCancelled},
	}}
	s.checkRoutes(st)
	assert.Len(t, s.res.Violations, 3, "%v", s.res.Violations)
	for _, v := range s.res.Violations {
		assert.Equal(t, InvWinner, v.Invariant)
		assert.Equal(t, "R-X1", v.Rule)
	}
}

// The simulator's route model (InvRoute) finds a second winner, an offer
// on while another offer is out, an offer to an agent tried before, and a
// last offer failing with no next step: planted in a made-up stream.
func TestSimulatorRouteModelFindsBrokenRoutingRX1(t *testing.T) {
	w := newRouteWitness([]interaction.PartyID{"a1", "a2", "a3", "a4"}, 2)
	offer := func(leg, agent interaction.PartyID) []interaction.Event {
		return []interaction.Event{
			{Type: interaction.EventLeg, Leg: interaction.LegID(leg), From: string(interaction.LegNone), To: string(interaction.LegInviting), Actor: "a1", Party: agent, Route: "r", Target: simSkill},
			{Type: interaction.EventMembership, Party: agent, To: string(interaction.MemberInvited), Role: interaction.RoleConsultant},
		}
	}
	leg := func(id interaction.LegID, from, to interaction.LegState, actor interaction.PartyID) interaction.Event {
		return interaction.Event{Type: interaction.EventLeg, Leg: id, From: string(from), To: string(to), Actor: actor}
	}
	require.Empty(t, w.command([]interaction.Event{{Type: interaction.EventOpened, Party: "c"},
		{Type: interaction.EventMembership, Party: "a1", To: string(interaction.MemberJoined), Role: interaction.RoleOwner},
		{Type: interaction.EventStatus, To: string(interaction.StatusActive)}}))
	require.Empty(t, w.command(append(offer("l1", "a2"), offer("l2", "a3")...)), "a fan-out of two")
	assert.NotEmpty(t, w.command(offer("l3", "a4")), "offered on while two offers are out")
	assert.NotEmpty(t, w.command([]interaction.Event{leg("l1", interaction.LegInviting, interaction.LegTimedOut, interaction.System),
		leg("l2", interaction.LegInviting, interaction.LegTimedOut, interaction.System), leg("l3", interaction.LegInviting, interaction.LegTimedOut, interaction.System)}),
		"the last offer failed: neither offered on nor the owner told")
	assert.NotEmpty(t, w.command(offer("l4", "a2")), "offered to an agent tried before")
	assert.Empty(t, w.command([]interaction.Event{leg("l4", interaction.LegInviting, interaction.LegActive, "a2")}), "taken")
	assert.NotEmpty(t, w.command([]interaction.Event{leg("l2", interaction.LegTimedOut, interaction.LegActive, "a3")}), "taken twice")
}
