package routing_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// inStep checks that the directory's figures are exactly what the
// interactions' states say (R-X1: load kept in step with the events).
func (d *desk) inStep(ids ...interaction.ID) {
	d.t.Helper()
	want := map[interaction.PartyID]routing.Holding{}
	for _, id := range ids {
		for p, h := range routing.Holdings(d.state(id)) {
			w := want[p]
			for m := range w.Load {
				w.Load[m] += h.Load[m]
				w.Reserved[m] += h.Reserved[m]
			}
			want[p] = w
		}
	}
	for _, a := range d.dir.Agents() {
		assert.Equal(d.t, want[a.ID].Load, a.Load, "load of %s", a.ID)
		assert.Equal(d.t, want[a.ID].Reserved, a.Reserved, "reservations of %s", a.ID)
		assert.Equal(d.t, want[a.ID], d.dir.Work(a.ID))
		assert.Zero(d.t, a.Held.Total(), "no hold of %s outlives its command", a.ID)
	}
}

func chats(n int) routing.Capacity {
	return routing.Capacity{interaction.MediumChat: n, interaction.MediumIM: 1, interaction.MediumVoice: 1}
}

func TestRX1AnAgentAtCapacityIsNeverOfferedAChat(t *testing.T) {
	d := newDesk(t)
	d.agent(routing.Agent{ID: "owner", Capacity: chats(5)})
	d.agent(routing.Agent{ID: "a1", Skills: map[string]int{"billing": 1}, Capacity: chats(2)})
	d.agent(routing.Agent{ID: "a2", Skills: map[string]int{"billing": 1}, Capacity: chats(1)})
	c1, c2 := d.chat("a1"), d.chat("a1") // a1 owns two chats: full
	id := d.chat("owner")
	for i := 0; i < 5; i++ {
		d.clock.Advance(time.Minute) // a1 is by far the longest idle
		leg, err := d.svc.Start(ctx, id, "owner", skill("billing"), interaction.MediumChat)
		require.NoError(t, err)
		assert.Equal(t, interaction.PartyID("a2"), d.state(id).Leg(leg).Invitee, "a1 is at capacity for chat")
		require.NoError(t, d.svc.Cancel(ctx, id, "owner", leg))
	}
	leg, err := d.svc.Start(ctx, id, "owner", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, d.svc.Accept(ctx, id, "a2", leg))
	d.inStep(c1, c2, id)
	_, err = d.svc.Start(ctx, id, "owner", skill("billing"), interaction.MediumChat)
	assert.ErrorIs(t, err, interaction.ErrNotFound, "both are at capacity for chat now")
	_, err = d.svc.Start(ctx, id, "owner", named("a1"), interaction.MediumChat)
	assert.ErrorIs(t, err, interaction.ErrNotFound, "also by name")
	voice, err := d.svc.Start(ctx, id, "owner", named("a1"), interaction.MediumVoice)
	require.NoError(t, err, "capacity is per medium: a1 can still take a call")
	require.NoError(t, d.svc.Accept(ctx, id, "a1", voice))
	d.inStep(c1, c2, id)
	// R-C11: the call cannot become a transfer: a1 has no chat unit left.
	assert.ErrorIs(t, d.svc.Transfer(ctx, id, "owner", voice), interaction.ErrNotFound)
	_, err = d.svc.Conference(ctx, id, "owner", voice)
	assert.ErrorIs(t, err, interaction.ErrNotFound)
	assert.Equal(t, interaction.LegActive, d.state(id).Leg(voice).State, "refused: nothing changed")
	d.inStep(c1, c2, id)
	for _, a := range d.dir.Agents() {
		for m := interaction.MediumChat; m <= interaction.MediumVoice; m++ {
			assert.LessOrEqual(t, a.Busy(m), a.Limit.Of(m), "%s %s", a.ID, m)
		}
	}
}

func TestRX1HoldsStopTwoPicksTakingTheLastUnit(t *testing.T) {
	d := newDesk(t, routing.WithHoldTTL(time.Minute))
	d.agent(routing.Agent{ID: "a1", Skills: map[string]int{"billing": 1}, Capacity: chats(1)})
	a, err := d.dir.Pick(ctx, skill("billing"), interaction.MediumChat, nil)
	require.NoError(t, err)
	assert.Equal(t, interaction.PartyID("a1"), a)
	_, err = d.dir.Pick(ctx, skill("billing"), interaction.MediumChat, nil)
	assert.ErrorIs(t, err, interaction.ErrNotFound, "the first pick holds a1's only chat unit")
	d.dir.Release("a1", interaction.MediumChat)
	_, err = d.dir.Pick(ctx, skill("billing"), interaction.MediumChat, nil)
	require.NoError(t, err, "released")
	d.clock.Advance(59 * time.Second)
	_, err = d.dir.Pick(ctx, skill("billing"), interaction.MediumChat, nil)
	assert.ErrorIs(t, err, interaction.ErrNotFound)
	d.clock.Advance(time.Second)
	_, err = d.dir.Pick(ctx, skill("billing"), interaction.MediumChat, nil)
	require.NoError(t, err, "a hold nobody used or released ends with its TTL")
	assert.ErrorIs(t, d.dir.Hold(ctx, "a1", interaction.MediumChat), interaction.ErrNotFound)
	assert.ErrorIs(t, d.dir.Hold(ctx, "ghost", interaction.MediumChat), interaction.ErrNotFound)
}

// R-X1: load follows every membership change: joining, consulting in each
// medium, transfer, conference, removal, ending and marking done.
func TestRX1LoadFollowsTheEvents(t *testing.T) {
	d := newDesk(t)
	for _, id := range []interaction.PartyID{"a1", "a2", "a3", "a4"} {
		d.agent(routing.Agent{ID: id, Skills: map[string]int{"billing": 1}})
	}
	chat := func(p interaction.PartyID) int { return d.status(p).Load.Of(interaction.MediumChat) }
	voice := func(p interaction.PartyID) int { return d.status(p).Load.Of(interaction.MediumVoice) }
	reservedVoice := func(p interaction.PartyID) int { return d.status(p).Reserved.Of(interaction.MediumVoice) }

	id := d.chat("a1")
	assert.Equal(t, 1, chat("a1"), "the owner occupies a chat unit")
	leg, err := d.svc.Start(ctx, id, "a1", named("a2"), interaction.MediumVoice)
	require.NoError(t, err)
	assert.Equal(t, 1, reservedVoice("a2"), "a pending consultation reserves a unit of its medium")
	require.NoError(t, d.svc.Accept(ctx, id, "a2", leg))
	assert.Equal(t, 0, reservedVoice("a2"))
	assert.Equal(t, 1, voice("a2"), "the target occupies a unit of the leg's medium")
	assert.Equal(t, 1, chat("a1"), "the owner's side of a consultation costs nothing more")
	d.inStep(id)

	req, err := d.svc.Conference(ctx, id, "a1", leg)
	require.NoError(t, err)
	assert.Equal(t, 1, d.status("a2").Reserved.Of(interaction.MediumChat), "a conference from a call reserves a chat unit")
	require.NoError(t, d.svc.AcceptRequest(ctx, id, "a2", req))
	assert.Equal(t, 0, voice("a2"))
	assert.Equal(t, 1, chat("a2"), "the member occupies a chat unit")
	d.inStep(id)

	tr, err := d.svc.TransferTo(ctx, id, "a1", named("a3"))
	require.NoError(t, err)
	d.inStep(id)
	require.NoError(t, d.svc.AcceptRequest(ctx, id, "a3", tr))
	assert.Equal(t, 0, chat("a1"), "the former owner left")
	assert.Equal(t, 1, chat("a3"))
	d.inStep(id)

	require.NoError(t, d.svc.Remove(ctx, id, "a3", "a2"))
	assert.Equal(t, 0, chat("a2"), "a removed member occupies nothing")
	chatLeg, err := d.svc.Start(ctx, id, "a3", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	agent := d.state(id).Leg(chatLeg).Invitee
	require.NoError(t, d.svc.Accept(ctx, id, agent, chatLeg))
	require.NoError(t, d.svc.Transfer(ctx, id, "a3", chatLeg))
	assert.Equal(t, 1, chat(agent), "a chat consultation's unit carries over to the transfer")
	d.inStep(id)

	require.NoError(t, d.chats.EndSession(ctx, id, agent))
	assert.Equal(t, 1, chat(agent), "wrap-up: the last agent occupies the chat until it marks done")
	require.NoError(t, d.chats.MarkDone(ctx, id, agent))
	for _, p := range []interaction.PartyID{"a1", "a2", "a3", "a4"} {
		_ = d.chats.MarkDone(ctx, id, p)
		assert.Zero(t, d.status(p).Load.Total()+d.status(p).Reserved.Total(), p)
	}
	assert.Equal(t, interaction.StatusClosed, d.state(id).Status)
	d.inStep(id)
}

func TestRX1LoadOfAnInteractionHeardOfMidStream(t *testing.T) {
	// A Directory added to the Notifier chain late counts an interaction
	// whole at its next change: it derives holdings from the state.
	late := routing.NewDirectory()
	d := newDesk(t)
	d.agent(routing.Agent{ID: "a1"})
	id := d.chat("a1")
	require.NoError(t, late.Put(routing.Agent{ID: "a1"}))
	st := d.state(id)
	late.Notify(ctx, st, []interaction.Event{{Type: interaction.EventMessage, Version: st.Version}})
	s, _ := late.Agent("a1")
	assert.Equal(t, 0, s.Load.Of(interaction.MediumChat), "messages change nobody's work: not even looked at")
	late.Notify(ctx, st, []interaction.Event{{Type: interaction.EventRole, Version: st.Version}})
	s, _ = late.Agent("a1")
	assert.Equal(t, 1, s.Load.Of(interaction.MediumChat), "the next change counts the interaction whole")
	late.Notify(ctx, st, []interaction.Event{{Type: interaction.EventRole, Version: st.Version}})
	s, _ = late.Agent("a1")
	assert.Equal(t, 1, s.Load.Of(interaction.MediumChat), "a notification already counted is not counted twice")
}

// A Directory started while chats are under way (after a restart) counts
// them with Sync and follows their pending invitations from then on.
func TestRX1SyncAfterRestart(t *testing.T) {
	d := newDesk(t)
	for _, id := range []interaction.PartyID{"a1", "a2", "a3"} {
		d.agent(routing.Agent{ID: id, Skills: map[string]int{"billing": 1}})
	}
	id := d.chat("a1")
	active, err := d.svc.Start(ctx, id, "a1", named("a2"), interaction.MediumVoice)
	require.NoError(t, err)
	require.NoError(t, d.svc.Accept(ctx, id, "a2", active))
	pending, err := d.svc.Start(ctx, id, "a1", named("a3"), interaction.MediumChat)
	require.NoError(t, err)

	restarted := routing.NewDirectory(routing.WithClock(d.clock))
	for _, a := range d.dir.Agents() {
		require.NoError(t, restarted.Put(a.Agent))
	}
	restarted.Sync(d.state(id))
	restarted.Sync(d.state(id)) // twice is once
	for _, a := range d.dir.Agents() {
		assert.Equal(t, d.dir.Work(a.ID), restarted.Work(a.ID), a.ID)
	}
	invs := restarted.Invitations("a3")
	require.Len(t, invs, 1)
	assert.Equal(t, interaction.InvitationID(pending), invs[0].ID)
	assert.Equal(t, routing.InvitationPending, invs[0].State)
	assert.Equal(t, interaction.PartyID("a1"), invs[0].Owner)
}
