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
				return consult.Start{Leg: "l9", Target: agent("contact"), Invitee: "contact"}
			},
			guardNamed(t, leg, "none", "invite", "the agent asked is another internal agent")},
		{"a consultation with an agent in the chat", "agent1",
			func(_, _ interaction.LegID) interaction.Command {
				return consult.Start{Leg: "l9", Target: agent("agent2"), Invitee: "agent2"}
			},
			guardNamed(t, leg, "none", "invite", "the agent asked is not in the chat")},
		{"a consultation asked by a consultation target", "agent2",
			func(_, _ interaction.LegID) interaction.Command {
				return consult.Start{Leg: "l9", Target: agent("agent5"), Invitee: "agent5"}
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
				return consult.Direct{Request: "r9", Kind: interaction.RequestTransfer, Target: agent("agent2"), Invitee: "agent2"}
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
	require.Equal(t, interaction.ByOwner|interaction.ByInvitee, firers.By, "its two agents write in it")
	transcript := guardNamed(t, m, "active", interaction.TriggerWrite, "the consultation has a transcript")
	d := newExtrasDesk(t)
	d.do("sup2", interaction.Monitor{Agent: "agent1"})
	d.do("agent1", consult.Start{Leg: "leg-a", Target: agent("agent2"), Invitee: "agent2"})
	d.do("agent2", consult.Accept{Leg: "leg-a"})
	d.do("agent1", consult.Start{Leg: "leg-i", Target: agent("agent3"), Invitee: "agent3"})
	d.do("agent1", consult.Start{Leg: "leg-v", Target: agent("agent4"), Invitee: "agent4", Medium: interaction.MediumVoice})
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

// R-X6, R-X3, R-X7: who may write in the chat itself, and when, is the
// table of ChatMessageMachine: a consultation target or a supervisor
// writing to the contact, a note by the contact, a supervisor or a
// consultation target, a party that left writing, and an agent writing to
// the contact after the session ended are refused with the kind, rule and
// guard the table declares, in words a reader knows, and nothing is
// written. A party that left is told it is not in the chat, not that the
// chat ended (who before state).
func TestRX6WritingInTheChatIsDecidedByItsTable(t *testing.T) {
	m := &interaction.ChatMessageMachine.Chart
	active, ended := string(interaction.StatusActive), string(interaction.StatusEnded)
	inChat := guardNamed(t, m, active, interaction.TriggerWrite, "the party is in the chat")
	toContact := guardNamed(t, m, active, interaction.TriggerWrite, "the party is the contact or engaged with it")
	open := guardNamed(t, m, active, interaction.TriggerWrite, "the chat is active, or waiting for the contact")
	agentIn := guardNamed(t, m, ended, interaction.TriggerNote, "the party is an agent in the chat")
	noSup := guardNamed(t, m, ended, interaction.TriggerNote, "not a supervisor")
	noTarget := guardNamed(t, m, ended, interaction.TriggerNote, "not a consultation target")
	assert.False(t, m.Can(ended, interaction.TriggerWrite), "nobody writes to the contact once the session ended")
	assert.True(t, m.Can(ended, interaction.TriggerNote), "an agent wrapping up writes notes")

	d := newExtrasDesk(t)
	d.do("sup2", interaction.Monitor{Agent: "agent1"})
	d.do("agent1", consult.Start{Leg: "leg-a", Target: agent("agent2"), Invitee: "agent2"})
	d.do("agent2", consult.Accept{Leg: "leg-a"})
	d.do("agent1", consult.Start{Leg: "leg-b", Target: agent("agent3"), Invitee: "agent3"})
	d.do("agent3", consult.Accept{Leg: "leg-b"})
	d.do("agent3", consult.EndConsultation{Leg: "leg-b"})
	post := interaction.Post{Text: "hello"}
	note := interaction.Note{Text: "fyi"}
	type refusal struct {
		name   string
		actor  interaction.PartyID
		cmd    interaction.Command
		g      interaction.Guard
		detail string
	}
	check := func(cases []refusal) {
		t.Helper()
		for _, c := range cases {
			st, err := d.chats.State(ctx, d.id)
			require.NoError(t, err)
			_, err = d.chats.Do(ctx, d.id, c.actor, c.cmd)
			require.Error(t, err, c.name)
			assert.ErrorIs(t, err, c.g.Kind, c.name)
			var e *interaction.Error
			if assert.True(t, errors.As(err, &e), c.name) {
				assert.Equal(t, c.g.Rule, e.Rule, "%s: rule", c.name)
				assert.Equal(t, c.g.Name, e.Guard, "%s: guard", c.name)
				assert.Equal(t, c.detail, e.Detail, "%s: detail", c.name)
			}
			after, err := d.chats.State(ctx, d.id)
			require.NoError(t, err)
			assert.Equal(t, st.Version, after.Version, "%s: nothing written", c.name)
		}
	}
	check([]refusal{
		{"a consultation target writes to the contact", "agent2", post, toContact, "a consultant does not write to the contact"},
		{"a supervisor writes to the contact", "sup2", post, toContact, "a supervisor does not write to the contact"},
		{"a consultation target that left writes", "agent3", post, inChat, "party is left, not in the chat"},
		{"the contact writes a note", "contact", note, agentIn, "only an agent in the chat writes notes"},
		{"a supervisor writes a note", "sup2", note, noSup, "a supervisor coaches its agent; it writes no notes"},
		{"a consultation target writes a note", "agent2", note, noTarget, "a consultation target writes in its leg, not notes"},
	})
	d.do("agent1", post)
	d.do("agent1", note)
	d.do("contact", interaction.EndSession{})
	check([]refusal{
		{"an agent writes to the contact after the session", "agent1", post, open, "chat is ended"},
		{"the contact that left writes", "contact", post, inChat, "party is left, not in the chat"},
	})
	d.do("agent1", interaction.Note{Text: "wrapping up"})
}

// refusedAsDeclared runs cmd as actor and checks it is refused with the
// kind, rule and guard of g, in the words detail, writing nothing.
func refusedAsDeclared(t *testing.T, d *extrasDesk, name string, actor interaction.PartyID, cmd interaction.Command, g interaction.Guard, detail string) {
	t.Helper()
	st, err := d.chats.State(ctx, d.id)
	require.NoError(t, err)
	_, err = d.chats.Do(ctx, d.id, actor, cmd)
	require.Error(t, err, name)
	assert.ErrorIs(t, err, g.Kind, name)
	var e *interaction.Error
	if assert.True(t, errors.As(err, &e), name) {
		assert.Equal(t, g.Rule, e.Rule, "%s: rule", name)
		assert.Equal(t, g.Name, e.Guard, "%s: guard", name)
		assert.Equal(t, detail, e.Detail, "%s: detail", name)
	}
	after, err := d.chats.State(ctx, d.id)
	require.NoError(t, err)
	assert.Equal(t, st.Version, after.Version, "%s: nothing written", name)
}

// R-X6: a party leaves, or ends its session, only while it is in the
// chat: the membership machine's guard on leaving, which Leave and
// EndSession check first, refuses a party already out with the kind, rule
// and guard the table declares, saying where it stands.
func TestRX6LeavingIsForAPartyInTheChat(t *testing.T) {
	m := &interaction.MembershipMachine.Chart
	stillIn := guardNamed(t, m, string(interaction.MemberJoined), interaction.TriggerLeave, "the party is still in the chat")
	d := newExtrasDesk(t)
	d.do("agent1", consult.Start{Leg: "leg-a", Target: agent("agent2"), Invitee: "agent2"})
	d.do("agent2", consult.Accept{Leg: "leg-a"})
	d.do("agent2", consult.EndConsultation{Leg: "leg-a"})
	refusedAsDeclared(t, d, "a consultation target that left leaves", "agent2", interaction.Leave{}, stillIn, "party is left")
	refusedAsDeclared(t, d, "a consultation target that left ends", "agent2", interaction.EndSession{}, stillIn, "party is left")
	d.do("contact", interaction.Leave{})
	refusedAsDeclared(t, d, "the contact that left leaves", "contact", interaction.Leave{}, stillIn, "party is left")
	refusedAsDeclared(t, d, "the contact that left ends", "contact", interaction.EndSession{}, stillIn, "party is left")
	d.do("agent1", interaction.Leave{}) // the last engaged agent, wrapping up, may go
	refusedAsDeclared(t, d, "an agent that left leaves", "agent1", interaction.Leave{}, stillIn, "party is left")
}

// R-X6, R-C7: a consultation target or a supervisor has no session with
// the contact to end: the interaction machine's guard on ending refuses
// it with the kind, rule and guard the table declares, before the status
// is looked at, and the chat goes on.
func TestRX6EndingTheSessionIsForTheContactOrAnEngagedAgent(t *testing.T) {
	m := &interaction.InteractionMachine.Chart
	hasSession := guardNamed(t, m, string(interaction.StatusActive), interaction.TriggerEnd, "the actor has a session with the contact")
	d := newExtrasDesk(t)
	d.do("sup2", interaction.Monitor{Agent: "agent1"})
	d.do("agent1", consult.Start{Leg: "leg-a", Target: agent("agent2"), Invitee: "agent2"})
	d.do("agent2", consult.Accept{Leg: "leg-a"})
	refusedAsDeclared(t, d, "a consultation target ends the session", "agent2", interaction.EndSession{}, hasSession, "a consultant has no session with the contact")
	refusedAsDeclared(t, d, "a supervisor ends the session", "sup2", interaction.EndSession{}, hasSession, "a supervisor has no session with the contact")
	d.do("agent1", interaction.EndSession{})
	st, err := d.chats.State(ctx, d.id)
	require.NoError(t, err)
	assert.Equal(t, interaction.StatusEnded, st.Status, "the last engaged agent ends it")
}
