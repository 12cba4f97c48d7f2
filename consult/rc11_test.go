package consult_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
)

// R-C11: a chat, IM or voice consultation can be turned into a transfer to,
// or a conference with, the consultation target. Every medium × both ways,
// on the direct router and on routing.Directory (which must find the target
// a chat unit when the consultation was IM or voice). Afterwards the roles
// are those of R-T2 / R-F2, and the contact has never seen anything of the
// consultation: not in its view, not in what was delivered to it (R-C5).
func TestRC11EveryMediumTurnsIntoTransferOrConference(t *testing.T) {
	media := []interaction.Medium{interaction.MediumChat, interaction.MediumIM, interaction.MediumVoice}
	for _, routed := range []bool{false, true} {
		for _, medium := range media {
			for _, kind := range []interaction.RequestKind{interaction.RequestTransfer, interaction.RequestConference} {
				name := fmt.Sprintf("%s/%s/routed=%t", medium, kind, routed)
				t.Run(name, func(t *testing.T) { rc11(t, medium, kind, routed) })
			}
		}
	}
}

// memoryNotifier finds the MemoryNotifier of a Service, alone or in a chain.
func memoryNotifier(t *testing.T, n interaction.Notifier) *interaction.MemoryNotifier {
	t.Helper()
	switch n := n.(type) {
	case *interaction.MemoryNotifier:
		return n
	case interaction.Notifiers:
		for _, m := range n {
			if mn, ok := m.(*interaction.MemoryNotifier); ok {
				return mn
			}
		}
	}
	t.Fatalf("no MemoryNotifier in %T", n)
	return nil
}

func rc11(t *testing.T, medium interaction.Medium, kind interaction.RequestKind, routed bool) {
	var d *desk
	var rd *routedDesk
	target := agent("agent2")
	if routed {
		rd = newRoutedDesk(t, "agent2")
		d = rd.desk
		target = skill("billing") // resolves to agent2, the only one with the skill
	} else {
		d = newDesk(t)
	}
	contactFeed := memoryNotifier(t, d.chats.Notifier()).Subscribe("contact")
	t.Cleanup(contactFeed.Close)

	leg, err := d.svc.Start(ctx, d.id, "agent1", target, medium)
	require.NoError(t, err)
	require.NoError(t, d.svc.Accept(ctx, d.id, "agent2", leg))
	require.Equal(t, interaction.PartyID("agent2"), d.state().Leg(leg).Invitee)
	require.Equal(t, medium, d.state().Leg(leg).Medium)

	private := 0
	if medium == interaction.MediumVoice {
		// A call has no transcript (R-C10): nothing typed to leak.
		assert.ErrorIs(t, d.svc.Say(ctx, d.id, "agent1", leg, "consultation: typed into a call"), interaction.ErrNotPermitted)
	} else {
		require.NoError(t, d.svc.Say(ctx, d.id, "agent1", leg, "consultation: may I refund 50 EUR?"))
		require.NoError(t, d.svc.Say(ctx, d.id, "agent2", leg, "consultation: yes, and take the chat"))
		private = 2
	}

	switch kind {
	case interaction.RequestTransfer:
		// R-T1: immediate, the target is already talking to the owner.
		require.NoError(t, d.svc.Transfer(ctx, d.id, "agent1", leg))
		st := d.state()
		assert.Equal(t, interaction.LegTransferred, st.Leg(leg).State)
		require.NotNil(t, st.Owner())
		assert.Equal(t, interaction.PartyID("agent2"), st.Owner().ID, "R-T2: the target becomes the owner")
		assert.Equal(t, interaction.RoleOwner, st.Party("agent2").Role)
		assert.Equal(t, interaction.MemberJoined, st.Party("agent2").Membership)
		assert.True(t, st.Party("agent2").WasEngaged, "R-H3: engaged with the contact from now on")
		assert.Equal(t, interaction.MemberLeft, st.Party("agent1").Membership, "R-T2: the former owner leaves")
		assert.Equal(t, 1, st.EngagedPresent())
		assert.Equal(t, interaction.StatusActive, st.Status, "the chat goes on with the new owner")
		assert.ErrorIs(t, d.chats.Post(ctx, d.id, "agent1", "still me?"), interaction.ErrNotPermitted, "R-T2: the chat closed on agent1's desk")
	case interaction.RequestConference:
		req, err := d.svc.Conference(ctx, d.id, "agent1", leg)
		require.NoError(t, err)
		assert.Equal(t, interaction.RoleConsultant, d.state().Party("agent2").Role, "R-F4: nothing changes before the target accepts")
		require.NoError(t, d.svc.AcceptRequest(ctx, d.id, "agent2", req))
		st := d.state()
		assert.Equal(t, interaction.LegConferenced, st.Leg(leg).State)
		assert.Equal(t, interaction.RequestAccepted, st.Request(req).State)
		require.NotNil(t, st.Owner())
		assert.Equal(t, interaction.PartyID("agent1"), st.Owner().ID, "the owner stays the owner")
		assert.Equal(t, interaction.RoleMember, st.Party("agent2").Role, "R-F2: the target is added to the chat")
		assert.Equal(t, interaction.MemberJoined, st.Party("agent2").Membership)
		assert.True(t, st.Party("agent2").WasEngaged)
		assert.Equal(t, 2, st.EngagedPresent())
		assert.True(t, hasLine(d.lines("agent2"), "contact: Hello, I need help"), "R-F2: the complete transcript")
		require.NoError(t, d.chats.Post(ctx, d.id, "agent1", "my colleague joins us"))
		assert.True(t, hasLine(d.lines("agent2"), "agent1: my colleague joins us"), "R-F3")
	}

	// Both ways: the target talks to the contact now, and the contact to it.
	require.NoError(t, d.chats.Post(ctx, d.id, "agent2", "I have refunded 50 EUR"))
	require.NoError(t, d.chats.Post(ctx, d.id, "contact", "Thank you"))
	assert.True(t, hasLine(d.lines("contact"), "agent-2: I have refunded 50 EUR"), "agent2 is the contact's second agent")
	assert.True(t, hasLine(d.lines("agent2"), "contact: Thank you"))
	contactSees := map[interaction.PartyID]bool{}
	for _, p := range d.view("contact").Parties {
		contactSees[p.ID] = true
	}
	assert.True(t, contactSees[interaction.ContactAgentID(2)], "the contact sees who it talks to now")

	// R-C5, forever: the consultation stays the two agents' own.
	for _, who := range []string{"agent1", "agent2"} {
		n := 0
		for _, m := range d.view(who).Messages {
			if m.Scope.Kind == interaction.ScopeLeg && m.Scope.Invitation == interaction.InvitationID(leg) {
				n++
			}
		}
		assert.Equal(t, private, n, "%s still reads the consultation", who)
	}
	for _, m := range d.view("contact").Messages {
		assert.NotEqual(t, interaction.ScopeLeg, m.Scope.Kind, "R-C5: %q in the contact's view", m.Text)
		assert.NotContains(t, m.Text, "consultation:", "R-C5")
	}
	delivered := contactFeed.Drain()
	require.NotEmpty(t, delivered, "the contact was told about the chat")
	for _, ev := range delivered {
		assert.NotEqual(t, interaction.ScopeLeg, ev.Scope.Kind, "R-C5: %s event v%d delivered to the contact", ev.Type, ev.Version)
		assert.NotEqual(t, interaction.EventLeg, ev.Type, "R-C5: the contact is not told of the consultation")
		assert.NotEqual(t, interaction.EventRequest, ev.Type, "R-C5: nor of the request made from it")
		assert.False(t, strings.Contains(ev.Text, "consultation:"), "R-C5: %q delivered to the contact", ev.Text)
	}

	// The whole log passes the invariant checker (R-C5, R-T2, R-F2, R-X5 …).
	events, err := d.store.Load(ctx, d.id)
	require.NoError(t, err)
	assert.Empty(t, chatconsulttest.Check(events))

	if routed {
		// The target now holds the chat unit its new part needs, and nothing
		// of the consultation's medium (R-X1 capacity).
		s, ok := rd.dir.Agent("agent2")
		require.True(t, ok)
		assert.Equal(t, 1, s.Load.Of(interaction.MediumChat), "agent2 holds one chat unit")
		if medium != interaction.MediumChat {
			assert.Equal(t, 0, s.Load.Of(medium), "the %s consultation is over", medium)
		}
		assert.Equal(t, 0, s.Reserved.Total()+s.Held.Total(), "nothing left reserved or held")
	}
}

// R-C11 refused: only the owner turns an active consultation into a
// transfer or a conference, and the contact can never aim one at the
// consultation.
func TestRC11OnlyTheOwnerTurnsAnActiveConsultation(t *testing.T) {
	for _, medium := range []interaction.Medium{interaction.MediumChat, interaction.MediumIM, interaction.MediumVoice} {
		t.Run(medium.String(), func(t *testing.T) {
			d := newDesk(t)
			pending, err := d.svc.Start(ctx, d.id, "agent1", agent("agent3"), medium)
			require.NoError(t, err)
			assert.ErrorIs(t, d.svc.Transfer(ctx, d.id, "agent1", pending), interaction.ErrInvalidTransition, "not active yet")
			_, err = d.svc.Conference(ctx, d.id, "agent1", pending)
			assert.ErrorIs(t, err, interaction.ErrInvalidTransition, "not active yet")

			leg, err := d.svc.Start(ctx, d.id, "agent1", agent("agent2"), medium)
			require.NoError(t, err)
			require.NoError(t, d.svc.Accept(ctx, d.id, "agent2", leg))
			before := d.state()
			for _, who := range []interaction.PartyID{"agent2", "contact", "agent3"} {
				assert.ErrorIs(t, d.svc.Transfer(ctx, d.id, who, leg), interaction.ErrNotPermitted, "%s transfers", who)
				_, err = d.svc.Conference(ctx, d.id, who, leg)
				assert.ErrorIs(t, err, interaction.ErrNotPermitted, "%s asks for a conference", who)
			}
			assert.Equal(t, before.Version, d.state().Version, "R-X6: refusals leave no trace")

			require.NoError(t, d.svc.EndConsultation(ctx, d.id, "agent2", leg))
			assert.ErrorIs(t, d.svc.Transfer(ctx, d.id, "agent1", leg), interaction.ErrInvalidTransition, "an ended consultation is no target")
		})
	}
}
