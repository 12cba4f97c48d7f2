package routing_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

func TestRX1PresenceDecidesWhoIsOffered(t *testing.T) {
	d := newDesk(t)
	d.agent(billing("a1"))
	for _, tc := range []struct {
		presence       routing.Presence
		routed, byName bool
	}{
		{routing.Ready, true, true},
		{routing.NotReady, false, true}, // a colleague may still ask by name
		{routing.Away, false, false},
		{routing.LoggedOut, false, false},
	} {
		require.NoError(t, d.dir.SetPresence(ctx, "a1", tc.presence))
		a, err := d.dir.Pick(ctx, skill("billing"), interaction.MediumChat, nil)
		if tc.routed {
			require.NoError(t, err, tc.presence)
			d.dir.Release(a, interaction.MediumChat)
		} else {
			assert.ErrorIs(t, err, interaction.ErrNotFound, tc.presence)
		}
		a, err = d.dir.Pick(ctx, named("a1"), interaction.MediumChat, nil)
		if tc.byName {
			require.NoError(t, err, tc.presence)
			d.dir.Release(a, interaction.MediumChat)
		} else {
			assert.ErrorIs(t, err, interaction.ErrNotFound, tc.presence)
		}
	}
}

// An agent who goes not ready or away while an invitation is pending keeps
// it and may still accept it: it was offered while the agent was ready.
func TestRX1NotReadyWhileInvitedKeepsTheInvitation(t *testing.T) {
	d := newDesk(t)
	d.agent(routing.Agent{ID: "owner"})
	d.agent(billing("a1"))
	d.agent(billing("a2"))
	id := d.chat("owner")
	leg, err := d.svc.Start(ctx, id, "owner", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	require.Equal(t, interaction.PartyID("a1"), d.state(id).Leg(leg).Invitee)
	require.NoError(t, d.dir.SetPresence(ctx, "a1", routing.Away))
	assert.Equal(t, interaction.LegInviting, d.state(id).Leg(leg).State)
	require.Len(t, d.dir.Invitations("a1"), 1)
	assert.Equal(t, 1, d.status("a1").Reserved.Of(interaction.MediumChat), "the reservation stays")
	require.NoError(t, d.svc.Accept(ctx, id, "a1", leg))
	assert.Equal(t, 1, d.status("a1").Load.Of(interaction.MediumChat))
	assert.Empty(t, d.dir.Invitations("a1"))
	d.inStep(id)
}

// Logging out rescinds the agent's pending invitations, and a routed one
// goes on to the next candidate at once.
func TestRX1LogoutWhileInvitedRescindsAndRedirects(t *testing.T) {
	var seen []routing.Invitation
	d := newDesk(t, routing.WithInvitationObserver(func(inv routing.Invitation) { seen = append(seen, inv) }))
	d.agent(routing.Agent{ID: "owner"})
	d.agent(billing("a1"))
	d.agent(billing("a2"))
	d.agent(routing.Agent{ID: "a3"})
	id := d.chat("owner")
	leg, err := d.svc.Start(ctx, id, "owner", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	byName, err := d.svc.Start(ctx, id, "owner", named("a3"), interaction.MediumChat)
	require.NoError(t, err)

	require.NoError(t, d.dir.SetPresence(ctx, "a1", routing.LoggedOut))
	st := d.state(id)
	assert.Equal(t, interaction.LegCancelled, st.Leg(leg).State)
	live := st.ActiveLegs()
	assert.Empty(t, live)
	var next *interaction.Leg
	for i := range st.Legs {
		if st.Legs[i].State == interaction.LegInviting && st.Legs[i].Invitee == "a2" {
			next = &st.Legs[i]
		}
	}
	require.NotNil(t, next, "offered on to a2")
	assert.Equal(t, interaction.PartyID("owner"), next.Owner, "the new leg is the owner's")
	assert.Equal(t, skill("billing"), next.Target)
	assert.Zero(t, d.status("a1").Reserved.Total())

	require.NoError(t, d.dir.SetPresence(ctx, "a3", routing.LoggedOut))
	assert.Equal(t, interaction.LegCancelled, d.state(id).Leg(byName).State, "a named agent's invitation is rescinded too")
	assert.Len(t, d.exhausted, 0, "but it has no next candidate and is not routed")
	view, err := d.chats.View(ctx, id, "owner")
	require.NoError(t, err)
	var notices []string
	for _, m := range view.Messages {
		if m.Kind == interaction.KindNotice {
			notices = append(notices, m.Text)
		}
	}
	assert.Contains(t, notices, "a1 is no longer available for the consultation")
	assert.Contains(t, notices, "a3 is no longer available for the consultation")

	var rescinded []interaction.PartyID
	for _, inv := range seen {
		if inv.State == routing.InvitationRescinded {
			rescinded = append(rescinded, inv.Invitee)
		}
	}
	assert.Equal(t, []interaction.PartyID{"a1", "a3"}, rescinded)
	d.inStep(id)
}

func TestRX1NotReadyOnTimeout(t *testing.T) {
	d := newDesk(t, routing.WithNotReadyOnTimeout(true))
	d.agent(routing.Agent{ID: "owner"})
	d.agent(billing("a1"))
	d.agent(billing("a2"))
	id := d.chat("owner")
	_, err := d.svc.Start(ctx, id, "owner", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	d.clock.Advance(timeout)
	assert.Equal(t, routing.NotReady, d.status("a1").Presence, "a1 let the invitation time out")
	assert.Equal(t, routing.Ready, d.status("a2").Presence)
	assert.Len(t, d.dir.Invitations("a2"), 1, "and the invitation went on to a2")
	d.clock.Advance(time.Hour)
	assert.Equal(t, routing.NotReady, d.status("a2").Presence)
	assert.Len(t, d.exhausted, 1)
}
