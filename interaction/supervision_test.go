package interaction_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// supervised is a chat with a contact, agent1 (owner) and an active
// consultation agent1 → agent2, with one message each way in the chat and
// one each way in the leg.
type supervised struct {
	*fixture
	desk *consult.Service
	leg  interaction.LegID
}

func newSupervised(t *testing.T) *supervised {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	f.activeChat(t)
	sv := &supervised{fixture: f, desk: consult.New(f.svc, consult.WithInviteTimeout(time.Minute))}
	require.NoError(t, f.svc.Post(ctx, f.id, "agent1", "Let me check."))
	leg, err := sv.desk.Start(ctx, f.id, "agent1", interaction.Target{Kind: interaction.TargetAgent, ID: "agent2"}, interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, sv.desk.Accept(ctx, f.id, "agent2", leg))
	require.NoError(t, sv.desk.Say(ctx, f.id, "agent1", leg, "leg: may I refund?"))
	require.NoError(t, sv.desk.Say(ctx, f.id, "agent2", leg, "leg: yes"))
	sv.leg = leg
	return sv
}

func (sv *supervised) view(t *testing.T, who interaction.PartyID) interaction.View {
	t.Helper()
	v, err := sv.svc.View(context.Background(), sv.id, who)
	require.NoError(t, err)
	return v
}

func partyIDs(v interaction.View) []interaction.PartyID {
	var out []interaction.PartyID
	for _, p := range v.Parties {
		out = append(out, p.ID)
	}
	return out
}

// R-X7: a monitoring supervisor sees everything the owner sees, the owner's
// consultation included, and nobody sees it: not in any view's parties, no
// event about it delivered to anyone else.
func TestRX7MonitorSeesAllTheOwnerSeesAndIsInvisible(t *testing.T) {
	sv := newSupervised(t)
	ctx := context.Background()
	subs := map[interaction.PartyID]*interaction.Subscription{}
	for _, p := range []interaction.PartyID{"contact", "agent1", "agent2"} {
		subs[p] = sv.notes.Subscribe(p)
	}
	supSub := sv.notes.Subscribe("sup")

	require.NoError(t, sv.svc.Monitor(ctx, sv.id, "sup", "agent1"))
	require.NoError(t, sv.svc.Post(ctx, sv.id, "contact", "Any news?"))
	require.NoError(t, sv.desk.Say(ctx, sv.id, "agent1", sv.leg, "leg: thanks"))

	owner, sup := sv.view(t, "agent1"), sv.view(t, "sup")
	assert.Equal(t, texts(owner), texts(sup), "R-X7: the monitor sees every message the owner sees")
	assert.Contains(t, texts(sup), "agent2: leg: yes", "R-X7: the owner's consultation included")
	require.Len(t, sup.Legs, 1)
	assert.Equal(t, sv.leg, sup.Legs[0].ID)
	assert.Equal(t, interaction.RoleSupervisor, sup.Role)

	for who, sub := range subs {
		assert.NotContains(t, partyIDs(sv.view(t, who)), interaction.PartyID("sup"), "R-X7: %s does not see the monitor", who)
		for _, ev := range sub.Drain() {
			assert.NotEqual(t, interaction.PartyID("sup"), ev.Party, "R-X7: %s heard about the monitor: %v", who, ev)
			assert.NotEqual(t, interaction.PartyID("sup"), ev.Actor, "R-X7: %s heard about the monitor: %v", who, ev)
		}
	}
	heard := supSub.Drain()
	require.NotEmpty(t, heard)
	var legMessages int
	for _, ev := range heard {
		if ev.Type == interaction.EventMessage && ev.Scope.Kind == interaction.ScopeLeg {
			legMessages++
		}
	}
	assert.Equal(t, 1, legMessages, "R-X7: the monitor is notified of the owner's consultation live")

	st, err := sv.svc.State(ctx, sv.id)
	require.NoError(t, err)
	p := st.Party("sup")
	assert.False(t, p.WasEngaged, "R-X7/R-H3: monitoring does not engage the supervisor")
	require.NotNil(t, st.Supervised(p))
	assert.Equal(t, interaction.PartyID("agent1"), st.Supervised(p).ID)
	assert.False(t, p.Coaching)
}

// R-X7, R-C8: a monitor need not mark done; the interaction closes without it.
func TestRX7MonitorIsNotWaitedForToClose(t *testing.T) {
	sv := newSupervised(t)
	ctx := context.Background()
	require.NoError(t, sv.svc.Monitor(ctx, sv.id, "sup", "agent1"))
	require.NoError(t, sv.svc.EndSession(ctx, sv.id, "agent1"))
	st, _ := sv.svc.State(ctx, sv.id)
	assert.Equal(t, interaction.MemberLeft, st.Party("sup").Membership, "R-C7: the session's end takes the monitor out")
	require.NoError(t, sv.svc.MarkDone(ctx, sv.id, "agent1"))
	require.NoError(t, sv.svc.MarkDone(ctx, sv.id, "agent2"))
	st, _ = sv.svc.State(ctx, sv.id)
	assert.Equal(t, interaction.StatusClosed, st.Status, "R-C8: the monitor is not an agent of the interaction")
}

// R-X7: coaching messages are seen by the coached agent and the supervisor
// only, never the contact nor the consultation target; the coached agent
// sees the supervisor among the parties, nobody else does.
func TestRX7CoachWritesToTheAgentOnly(t *testing.T) {
	sv := newSupervised(t)
	ctx := context.Background()
	require.NoError(t, sv.svc.Monitor(ctx, sv.id, "sup", "agent1"))
	require.NoError(t, sv.svc.Coach(ctx, sv.id, "sup", "agent1", "coach: offer a voucher"))

	assert.Contains(t, texts(sv.view(t, "agent1")), "sup: coach: offer a voucher")
	assert.Contains(t, texts(sv.view(t, "sup")), "sup: coach: offer a voucher")
	for _, who := range []interaction.PartyID{"contact", "agent2"} {
		assert.NotContains(t, texts(sv.view(t, who)), "sup: coach: offer a voucher", "R-X7: %s never sees a coaching message", who)
		assert.NotContains(t, partyIDs(sv.view(t, who)), interaction.PartyID("sup"), "R-X7: %s does not see the coach", who)
	}
	assert.Contains(t, partyIDs(sv.view(t, "agent1")), interaction.PartyID("sup"), "R-X7: the coached agent knows its coach")

	st, _ := sv.svc.State(ctx, sv.id)
	assert.True(t, st.Party("sup").Coaching)
	assert.False(t, st.Party("sup").WasEngaged, "R-X7/R-H3: coaching does not engage the supervisor")

	// Back to silent monitoring: the agent no longer sees the supervisor.
	require.NoError(t, sv.svc.Monitor(ctx, sv.id, "sup", "agent1"))
	// The switch back to silent monitoring is told to the supervisor only:
	// agent1 keeps seeing its coach as it last knew it, and learns nothing
	// new (its party list follows only what it was shown, issue 12).
	assert.Contains(t, partyIDs(sv.view(t, "agent1")), interaction.PartyID("sup"))
	assert.Contains(t, texts(sv.view(t, "agent1")), "sup: coach: offer a voucher", "what was coached stays in the agent's transcript")
}

// R-X7: a supervisor may coach straight away, without monitoring first.
func TestRX7CoachWithoutMonitoringFirst(t *testing.T) {
	sv := newSupervised(t)
	ctx := context.Background()
	require.NoError(t, sv.svc.Coach(ctx, sv.id, "sup", "agent1", "coach: hi"))
	st, _ := sv.svc.State(ctx, sv.id)
	p := st.Party("sup")
	require.NotNil(t, p)
	assert.Equal(t, interaction.MemberJoined, p.Membership)
	assert.Equal(t, interaction.RoleSupervisor, p.Role)
	assert.True(t, p.Coaching)
	assert.Equal(t, texts(sv.view(t, "agent1")), texts(sv.view(t, "sup")))
}

// R-X7, R-F2, R-F3, R-C8, R-H3: barging in makes the supervisor a member,
// seen by all, with the whole transcript; it is engaged and must mark done.
func TestRX7BargeInJoinsAsConferenceMember(t *testing.T) {
	sv := newSupervised(t)
	ctx := context.Background()
	require.NoError(t, sv.svc.Monitor(ctx, sv.id, "sup", "agent1"))
	require.NoError(t, sv.svc.BargeIn(ctx, sv.id, "sup"))
	require.NoError(t, sv.svc.Post(ctx, sv.id, "sup", "I am the team lead, we will refund you"))

	contact := sv.view(t, "contact")
	// agent1 is the contact's first agent, sup its second (contact-facing IDs, issue 12).
	assert.Contains(t, partyIDs(contact), interaction.ContactAgentID(2), "R-X7: seen by all once barged in")
	assert.Contains(t, texts(contact), "agent-2: I am the team lead, we will refund you", "R-F3")
	assert.Contains(t, texts(contact), "system: Agent 2 joined the conference", "the notice names sup as the contact knows it")
	assert.Contains(t, texts(sv.view(t, "sup")), "contact: Hello, my order is late", "R-F2: the whole transcript")
	for _, m := range contact.Messages {
		assert.Equal(t, interaction.ScopeEveryone, m.Scope.Kind, "R-C5: the contact sees no private message")
	}

	st, _ := sv.svc.State(ctx, sv.id)
	assert.Equal(t, interaction.RoleMember, st.Party("sup").Role)
	assert.True(t, st.Party("sup").WasEngaged, "R-X7: barge-in engages the supervisor (My History)")

	require.NoError(t, sv.svc.EndSession(ctx, sv.id, "contact"))
	require.NoError(t, sv.svc.MarkDone(ctx, sv.id, "agent1"))
	require.NoError(t, sv.svc.MarkDone(ctx, sv.id, "agent2"))
	st, _ = sv.svc.State(ctx, sv.id)
	assert.Equal(t, interaction.StatusEnded, st.Status, "R-C8: a barged-in supervisor is a member and must mark done")
	require.NoError(t, sv.svc.MarkDone(ctx, sv.id, "sup"))
	st, _ = sv.svc.State(ctx, sv.id)
	assert.Equal(t, interaction.StatusClosed, st.Status)
}

// R-X7, R-X6: who may supervise whom, and when; refusals leave no trace.
func TestRX7SupervisionRefusals(t *testing.T) {
	sv := newSupervised(t)
	ctx := context.Background()
	cases := []struct {
		name  string
		actor interaction.PartyID
		cmd   interaction.Command
		kind  error
	}{
		{"the contact", "contact", interaction.Monitor{Agent: "agent1"}, interaction.ErrNotPermitted},
		{"the owner", "agent1", interaction.Monitor{Agent: "agent1"}, interaction.ErrNotPermitted},
		{"the consultation target", "agent2", interaction.Coach{Agent: "agent1", Text: "x"}, interaction.ErrNotPermitted},
		{"the system", interaction.System, interaction.BargeIn{}, interaction.ErrNotPermitted},
		{"no actor", "", interaction.Monitor{Agent: "agent1"}, interaction.ErrBadInput},
		{"a consultation target is not supervised", "sup", interaction.Monitor{Agent: "agent2"}, interaction.ErrNotPermitted},
		{"the contact is not supervised", "sup", interaction.Monitor{Agent: "contact"}, interaction.ErrNotPermitted},
		{"unknown agent", "sup", interaction.Monitor{Agent: "nobody"}, interaction.ErrNotFound},
		{"no agent", "sup", interaction.Monitor{}, interaction.ErrBadInput},
		{"blank coaching", "sup", interaction.Coach{Agent: "agent1", Text: "  "}, interaction.ErrBadInput},
	}
	for _, c := range cases {
		before, _ := sv.svc.State(ctx, sv.id)
		_, err := sv.svc.Do(ctx, sv.id, c.actor, c.cmd)
		assert.ErrorIs(t, err, c.kind, c.name)
		var e *interaction.Error
		assert.ErrorAs(t, err, &e, c.name)
		after, _ := sv.svc.State(ctx, sv.id)
		assert.Equal(t, before.Version, after.Version, "R-X6: %s leaves no trace", c.name)
	}

	// A supervisor cannot post to the contact or end its session.
	require.NoError(t, sv.svc.Monitor(ctx, sv.id, "sup", "agent1"))
	assert.ErrorIs(t, sv.svc.Post(ctx, sv.id, "sup", "hello"), interaction.ErrNotPermitted)
	assert.ErrorIs(t, sv.svc.EndSession(ctx, sv.id, "sup"), interaction.ErrNotPermitted)

	// Monitoring the same agent again records nothing.
	events, err := sv.svc.Do(ctx, sv.id, "sup", interaction.Monitor{Agent: "agent1"})
	require.NoError(t, err)
	assert.Empty(t, events)

	// After barging in: no more coaching, no second barge-in.
	require.NoError(t, sv.svc.BargeIn(ctx, sv.id, "sup"))
	assert.ErrorIs(t, sv.svc.Coach(ctx, sv.id, "sup", "agent1", "psst"), interaction.ErrNotPermitted)
	assert.ErrorIs(t, sv.svc.BargeIn(ctx, sv.id, "sup"), interaction.ErrInvalidTransition)

	// Once the session ended nobody starts supervising.
	require.NoError(t, sv.svc.EndSession(ctx, sv.id, "contact"))
	assert.ErrorIs(t, sv.svc.Monitor(ctx, sv.id, "sup2", "agent1"), interaction.ErrInvalidTransition)
	assert.ErrorIs(t, sv.svc.BargeIn(ctx, sv.id, "sup2"), interaction.ErrInvalidTransition)
}

// R-X7: a supervisor that left reads nothing new; it may come back, and a
// waiting chat (no agent yet) cannot be supervised.
func TestRX7LeaveAndComeBack(t *testing.T) {
	sv := newSupervised(t)
	ctx := context.Background()
	require.NoError(t, sv.svc.Monitor(ctx, sv.id, "sup", "agent1"))
	require.NoError(t, sv.svc.Leave(ctx, sv.id, "sup"))
	require.NoError(t, sv.svc.Post(ctx, sv.id, "contact", "while you were away"))
	require.NoError(t, sv.desk.Say(ctx, sv.id, "agent2", sv.leg, "leg: also away"))
	gone := texts(sv.view(t, "sup"))
	assert.NotContains(t, gone, "contact: while you were away")
	assert.NotContains(t, gone, "agent2: leg: also away")
	assert.Contains(t, gone, "agent2: leg: yes", "keeps what it saw")
	assert.NotContains(t, partyIDs(sv.view(t, "agent1")), interaction.PartyID("sup"), "leaving is not seen either")

	require.NoError(t, sv.svc.Monitor(ctx, sv.id, "sup", "agent1"))
	assert.Equal(t, texts(sv.view(t, "agent1")), texts(sv.view(t, "sup")))

	f := newFixture(t)
	id, err := f.svc.Open(ctx, "c2", "hello?")
	require.NoError(t, err)
	assert.ErrorIs(t, f.svc.Monitor(ctx, id, "sup", "c2"), interaction.ErrInvalidTransition)
}

// R-X7, R-T2: when the monitored owner transfers the chat, the supervisor
// follows the shared chat but not the new owner's consultations; it can
// switch to the new owner.
func TestRX7MonitorAfterTransfer(t *testing.T) {
	sv := newSupervised(t)
	ctx := context.Background()
	require.NoError(t, sv.svc.Monitor(ctx, sv.id, "sup", "agent1"))
	require.NoError(t, sv.desk.Transfer(ctx, sv.id, "agent1", sv.leg))
	leg, err := sv.desk.Start(ctx, sv.id, "agent2", interaction.Target{Kind: interaction.TargetAgent, ID: "agent3"}, interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, sv.desk.Accept(ctx, sv.id, "agent3", leg))
	require.NoError(t, sv.desk.Say(ctx, sv.id, "agent3", leg, "leg: second"))
	require.NoError(t, sv.svc.Post(ctx, sv.id, "contact", "hello new agent"))

	sup := texts(sv.view(t, "sup"))
	assert.Contains(t, sup, "contact: hello new agent")
	assert.NotContains(t, sup, "agent3: leg: second")

	require.NoError(t, sv.svc.Monitor(ctx, sv.id, "sup", "agent2"))
	assert.Contains(t, texts(sv.view(t, "sup")), "agent3: leg: second")
	assert.Equal(t, texts(sv.view(t, "agent2")), texts(sv.view(t, "sup")))
	assert.NotContains(t, partyIDs(sv.view(t, "agent3")), interaction.PartyID("sup"))
}

// R-X5: supervision is replayed from the events alone.
func TestRX7SupervisionReplays(t *testing.T) {
	sv := newSupervised(t)
	ctx := context.Background()
	require.NoError(t, sv.svc.Monitor(ctx, sv.id, "sup", "agent1"))
	require.NoError(t, sv.svc.Coach(ctx, sv.id, "sup2", "agent1", "coach: slow down"))
	require.NoError(t, sv.svc.BargeIn(ctx, sv.id, "sup3"))
	events, err := sv.store.Load(ctx, sv.id)
	require.NoError(t, err)
	rebuilt, err := interaction.Rebuild(events)
	require.NoError(t, err)
	live, _ := sv.svc.State(ctx, sv.id)
	assert.Equal(t, live.Parties, rebuilt.Parties)
	for _, p := range []interaction.PartyID{"contact", "agent1", "agent2", "sup", "sup2", "sup3"} {
		a, _ := live.ViewFor(p)
		b, _ := rebuilt.ViewFor(p)
		assert.Equal(t, a, b, p)
	}

	// A supervision event naming no agent is not a valid history.
	bad := append([]interaction.Event(nil), events...)
	bad = append(bad, interaction.Event{Interaction: sv.id, Version: uint64(len(events)) + 1, Type: interaction.EventRole, Party: "sup", Role: interaction.RoleSupervisor, Trigger: interaction.TriggerMonitor})
	_, err = interaction.Rebuild(bad)
	assert.ErrorIs(t, err, interaction.ErrCorruptLog)
}

// R-X7: a monitoring supervisor writes no note: a note (scope agents) would
// show it to every agent of the chat. It coaches through Coach instead.
func TestRX7MonitorWritesNoNotes(t *testing.T) {
	sv := newSupervised(t)
	ctx := context.Background()
	require.NoError(t, sv.svc.Monitor(ctx, sv.id, "sup", "agent1"))
	_, err := sv.svc.Do(ctx, sv.id, "sup", interaction.Note{Text: "hello team"})
	assert.ErrorIs(t, err, interaction.ErrNotPermitted)
	assert.NotContains(t, partyIDs(sv.view(t, "agent1")), interaction.PartyID("sup"))
	assert.NotContains(t, texts(sv.view(t, "agent2")), "sup: hello team")
}

// R-C5, R-X3: a former supervisor later consulted reads its own leg, not
// the legs of the agent it once monitored.
func TestFormerSupervisorConsultedDoesNotReadOtherLegs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.activeChat(t)
	require.NoError(t, f.svc.Monitor(ctx, id, "sup", "agent1"))
	require.NoError(t, f.svc.Leave(ctx, id, "sup"))
	for _, step := range []struct {
		actor interaction.PartyID
		cmd   interaction.Command
	}{
		{"agent1", consult.Start{Leg: "to-sup", Invitee: "sup", Target: interaction.Target{ID: "sup"}}},
		{"sup", consult.Accept{Leg: "to-sup"}},
		{"agent1", consult.Start{Leg: "to-two", Invitee: "agent2", Target: interaction.Target{ID: "agent2"}}},
		{"agent2", consult.Accept{Leg: "to-two"}},
		{"agent2", consult.Say{Leg: "to-two", Text: "SECRET for agent1 only"}},
	} {
		_, err := f.svc.Do(ctx, id, step.actor, step.cmd)
		require.NoError(t, err)
	}
	v, err := f.svc.View(ctx, id, "sup")
	require.NoError(t, err)
	for _, m := range v.Messages {
		assert.NotContains(t, m.Text, "SECRET")
	}
	for _, l := range v.Legs {
		assert.NotEqual(t, interaction.LegID("to-two"), l.ID)
	}
}

// R-X6: a supervisor new to the interaction is a new party too; its ID is
// checked like any other.
func TestRX6SupervisorIDChecked(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.activeChat(t)
	assert.ErrorIs(t, f.svc.Monitor(ctx, id, "a\xffb", "agent1"), interaction.ErrBadInput)
	_, err := f.svc.Do(ctx, id, interaction.PartyID(strings.Repeat("s", interaction.MaxPartyIDBytes+1)), interaction.BargeIn{})
	assert.ErrorIs(t, err, interaction.ErrBadInput)
}

// R-X7, R-X3: a supervisor that left is shown none of the consultations its
// agent starts afterwards, nor their targets.
func TestLeftSupervisorIsShownNoLaterConsultation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.activeChat(t)
	require.NoError(t, f.svc.Monitor(ctx, id, "sup", "agent1"))
	require.NoError(t, f.svc.Leave(ctx, id, "sup"))
	_, err := f.svc.Do(ctx, id, "agent1", consult.Start{Leg: "later", Invitee: "agent2", Target: interaction.Target{ID: "agent2"}})
	require.NoError(t, err)
	_, err = f.svc.Do(ctx, id, "agent2", consult.Accept{Leg: "later"})
	require.NoError(t, err)
	v, err := f.svc.View(ctx, id, "sup")
	require.NoError(t, err)
	assert.Empty(t, v.Legs)
	for _, p := range v.Parties {
		assert.NotEqual(t, interaction.PartyID("agent2"), p.ID)
	}
}
