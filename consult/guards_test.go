package consult_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// guardNamed finds a guard of the table by name, so that a test expects
// what the table declares rather than repeating it.
func guardNamed(t *testing.T, m *interaction.Chart, from string, trigger interaction.Trigger, name string) interaction.Guard {
	t.Helper()
	for _, g := range m.Guards(from, trigger) {
		if g.Name == name {
			return g
		}
	}
	t.Fatalf("%s %s from %s: no guard %q", m.Name, trigger, from, name)
	return interaction.Guard{}
}

// assertRefusal checks that err is the refusal of kind, rule and guard
// ("" for a refusal no guard made) the table declares.
func assertRefusal(t *testing.T, err error, kind error, rule, guard, name string) {
	t.Helper()
	require.Error(t, err, name)
	assert.ErrorIs(t, err, kind, name)
	var e *interaction.Error
	if assert.True(t, errors.As(err, &e), name) {
		assert.Equal(t, rule, e.Rule, "%s: the rule", name)
		assert.Equal(t, guard, e.Guard, "%s: the guard", name)
	}
}

// R-C1, R-X3, R-F1, R-F4, R-X4, R-X1, R-C8: a command that breaks a
// transition's guard is refused with the kind and rule the table declares
// for it, and writes nothing.
func TestRX6GuardsInTheTablesDecideRefusals(t *testing.T) {
	leg := &interaction.LegMachine.Chart
	req := &interaction.RequestMachine.Chart
	mem := &interaction.MembershipMachine.Chart
	cases := []struct {
		name  string
		actor interaction.PartyID
		cmd   func(leg1, leg3 interaction.LegID) interaction.Command
		guard interaction.Guard
	}{
		{"a consultation with the contact", "agent1",
			func(_, _ interaction.LegID) interaction.Command {
				return consult.Start{Leg: "l9", Target: agent("contact"), Agent: "contact"}
			},
			guardNamed(t, leg, "none", "invite", "the agent asked is another internal agent")},
		{"a consultation with an agent in the chat", "agent1",
			func(_, _ interaction.LegID) interaction.Command {
				return consult.Start{Leg: "l9", Target: agent("agent2"), Agent: "agent2"}
			},
			guardNamed(t, leg, "none", "invite", "the agent asked is not in the chat")},
		{"a consultation asked by a consultation target", "agent2",
			func(_, _ interaction.LegID) interaction.Command {
				return consult.Start{Leg: "l9", Target: agent("agent5"), Agent: "agent5"}
			},
			guardNamed(t, leg, "none", "invite", "the actor owns the chat")},
		{"a second conference request on one consultation", "agent1",
			func(l1, _ interaction.LegID) interaction.Command { return consult.Conference{Leg: l1, Request: "r9"} },
			guardNamed(t, req, "none", "request", "from a consultation: no other request on the consultation is pending")},
		{"a conference from a consultation not yet accepted", "agent1",
			func(_, l3 interaction.LegID) interaction.Command { return consult.Conference{Leg: l3, Request: "r9"} },
			guardNamed(t, req, "none", "request", "from a consultation: the consultation is active")},
		{"a direct transfer to an agent in the chat", "agent1",
			func(_, _ interaction.LegID) interaction.Command {
				return consult.Direct{Request: "r9", Kind: interaction.RequestTransfer, Target: agent("agent2"), Agent: "agent2"}
			},
			guardNamed(t, req, "none", "request", "direct: the agent asked is not in the chat")},
		{"a time-out before the deadline", interaction.System,
			func(_, l3 interaction.LegID) interaction.Command { return consult.TimeOut{Leg: l3} },
			guardNamed(t, leg, "inviting", "time_out", "the deadline has passed")},
		{"the contact marking done", "contact",
			func(_, _ interaction.LegID) interaction.Command { return interaction.MarkDone{} },
			guardNamed(t, mem, "joined", "done", "not the contact")},
	}
	for _, c := range cases {
		d := newDesk(t)
		leg1 := d.activeLeg("agent1", "agent2")
		leg3 := d.consult("agent1", "agent3")
		_, err := d.svc.Conference(ctx, d.id, "agent1", leg1)
		require.NoError(t, err)
		before := d.state().Version
		_, err = d.chats.Do(ctx, d.id, c.actor, c.cmd(leg1, leg3))
		assertRefusal(t, err, c.guard.Kind, c.guard.Rule, c.guard.Name, c.name)
		assert.Equal(t, before, d.state().Version, "%s: nothing written", c.name)
	}
}

// R-C4, R-F4: a request asked from a consultation goes when the
// consultation ends, whichever of its agents ends it: a cascade the table
// lets the target fire, though its own command may not cancel the
// request.
func TestRC4EndingAConsultationCancelsItsRequestsAsACascade(t *testing.T) {
	d := newDesk(t)
	leg1 := d.activeLeg("agent1", "agent2")
	r, err := d.svc.Conference(ctx, d.id, "agent1", leg1)
	require.NoError(t, err)
	err = d.svc.CancelRequest(ctx, d.id, "agent2", r)
	assert.ErrorIs(t, err, interaction.ErrNotPermitted, "the target does not cancel a request by command")
	require.NoError(t, d.svc.EndConsultation(ctx, d.id, "agent2", leg1))
	assert.Equal(t, interaction.RequestCancelled, d.state().Request(r).State)
}

// R-C5, R-C10: who may write in a consultation, and when, is the table of
// LegMessageMachine: a supervisor shown the consultation (it watches the
// owner) but not one of its two agents, writing while it is still an
// invitation, and typing into a call are refused with the kind, rule and
// guard the table declares, and nothing is written.
func TestRC5WritingInAConsultationIsDecidedByItsTable(t *testing.T) {
	m := &interaction.LegMessageMachine.Chart
	firers, ok := m.Firers(interaction.TriggerWrite)
	require.True(t, ok)
	require.Equal(t, interaction.ByOwner|interaction.ByTarget, firers.By, "its two agents write in it")
	transcript := guardNamed(t, m, "active", interaction.TriggerWrite, "the consultation has a transcript")
	d := newExtrasDesk(t)
	d.do("sup2", interaction.Monitor{Agent: "agent1"})
	d.do("agent1", consult.Start{Leg: "leg-a", Target: agent("agent2"), Agent: "agent2"})
	d.do("agent2", consult.Accept{Leg: "leg-a"})
	d.do("agent1", consult.Start{Leg: "leg-i", Target: agent("agent3"), Agent: "agent3"})
	d.do("agent1", consult.Start{Leg: "leg-v", Target: agent("agent4"), Agent: "agent4", Medium: interaction.MediumVoice})
	d.do("agent4", consult.Accept{Leg: "leg-v"})
	cases := []struct {
		name        string
		actor       interaction.PartyID
		leg         interaction.LegID
		kind        error
		rule, guard string
	}{
		{"a supervisor shown the consultation", "sup2", "leg-a", interaction.ErrNotPermitted, firers.Rule, ""},
		{"a consultation still inviting", "agent1", "leg-i", interaction.ErrInvalidTransition, m.Rule(interaction.TriggerWrite), ""},
		{"a call", "agent1", "leg-v", transcript.Kind, transcript.Rule, transcript.Name},
	}
	version := func() uint64 {
		st, err := d.chats.State(ctx, d.id)
		require.NoError(t, err)
		return st.Version
	}
	for _, c := range cases {
		before := version()
		_, err := d.chats.Do(ctx, d.id, c.actor, consult.Say{Leg: c.leg, Text: "psst"})
		assertRefusal(t, err, c.kind, c.rule, c.guard, c.name)
		assert.Equal(t, before, version(), "%s: nothing written", c.name)
	}
	_, err := d.chats.Do(ctx, d.id, "agent2", consult.Say{Leg: "leg-a", Text: "both agents write"})
	assert.NoError(t, err)
}
