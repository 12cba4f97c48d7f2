package consult_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
)

// R-X4, R-X5: a direct request's agent's membership changes (invited,
// accepted, declined, withdrawn) name the request in Event.RequestID, a
// consultation target's its leg in Event.Leg. A log written when they
// named the request in Leg is stored the same (one column, one JSON
// "leg"), and it loads into the identical state and views.
func TestRX4DirectRequestMembershipNamesItsRequest(t *testing.T) {
	d := newDesk(t)
	leg := d.activeLeg("agent1", "agent2")
	conf, err := d.svc.ConferenceWith(ctx, d.id, "agent1", agent("agent5"))
	require.NoError(t, err)
	require.NoError(t, d.svc.AcceptRequest(ctx, d.id, "agent5", conf))
	declined, err := d.svc.TransferTo(ctx, d.id, "agent1", agent("agent6"))
	require.NoError(t, err)
	require.NoError(t, d.svc.DeclineRequest(ctx, d.id, "agent6", declined))
	cancelled, err := d.svc.TransferTo(ctx, d.id, "agent1", agent("agent7"))
	require.NoError(t, err)
	require.NoError(t, d.svc.CancelRequest(ctx, d.id, "agent1", cancelled))

	events, err := d.store.Load(ctx, d.id)
	require.NoError(t, err)
	old := append([]interaction.Event(nil), events...)
	named := map[interaction.InvitationID][]interaction.MemberState{}
	for i := range events {
		ev := &events[i]
		if ev.Type != interaction.EventMembership || ev.Scope.Kind != interaction.ScopeLeg {
			continue
		}
		named[ev.Scope.Invitation] = append(named[ev.Scope.Invitation], interaction.MemberState(ev.To))
		if ev.Role == interaction.RoleConsultant {
			assert.Equal(t, ev.Scope.Invitation, interaction.InvitationID(ev.Leg), "v%d: a consultation target's names its leg", ev.Version)
			assert.Empty(t, ev.RequestID, "v%d", ev.Version)
		} else {
			assert.Equal(t, ev.Scope.Invitation, interaction.InvitationID(ev.RequestID), "v%d: a direct request's agent's names its request", ev.Version)
			assert.Empty(t, ev.Leg, "v%d", ev.Version)
			old[i].Leg, old[i].RequestID = interaction.LegID(ev.RequestID), "" // as written before
		}
		assert.Equal(t, ev.Scope.Invitation, ev.Invitation(), "v%d", ev.Version)
	}
	assert.Equal(t, map[interaction.InvitationID][]interaction.MemberState{
		interaction.InvitationID(leg):       {interaction.MemberInvited, interaction.MemberJoined},
		interaction.InvitationID(conf):      {interaction.MemberInvited},
		interaction.InvitationID(declined):  {interaction.MemberInvited, interaction.MemberDeclined},
		interaction.InvitationID(cancelled): {interaction.MemberInvited, interaction.MemberWithdrawn},
	}, named, "the membership changes told within a leg's or a direct request's scope")

	// The wire is the same for both forms, and reads as written now.
	for i := range events {
		now, err := json.Marshal(events[i])
		require.NoError(t, err)
		before, err := json.Marshal(old[i])
		require.NoError(t, err)
		require.JSONEq(t, string(now), string(before), "v%d", events[i].Version)
		var back interaction.Event
		require.NoError(t, json.Unmarshal(before, &back))
		assert.Equal(t, events[i].Leg, back.Leg, "v%d", events[i].Version)
		assert.Equal(t, events[i].RequestID, back.RequestID, "v%d", events[i].Version)
	}

	// A store given the old form hands back the new one, and a service on
	// it derives the same state and views.
	store := interaction.NewMemoryStore()
	for i := range old {
		old[i].Position = 0
	}
	require.NoError(t, store.Append(ctx, d.id, 0, old))
	again := interaction.NewService(interaction.WithStore(store), interaction.WithClock(d.clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("other-")))
	loaded, err := store.Load(ctx, d.id)
	require.NoError(t, err)
	for i := range loaded {
		loaded[i].Position = events[i].Position
	}
	require.Equal(t, events, loaded)
	st, err := again.State(ctx, d.id)
	require.NoError(t, err)
	want := d.state()
	require.Equal(t, len(want.Parties), len(st.Parties))
	assert.Equal(t, want.Requests, st.Requests)
	assert.Equal(t, want.Legs, st.Legs)
	for _, p := range want.Parties {
		v, err := again.View(ctx, d.id, p.ID)
		require.NoError(t, err)
		assert.Equal(t, d.view(string(p.ID)), v, "the view of %s", p.ID)
	}
}
