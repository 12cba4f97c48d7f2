package routing_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

type chatInstance struct {
	dir    *routing.Directory
	chats  *interaction.Service
	router *routing.ChatRouter
}

func newChatInstances(t *testing.T, clock interaction.Clock, out *[]routing.ChatExhausted) (*routing.MemoryStore, [2]chatInstance) {
	t.Helper()
	rs, store := routing.NewMemoryStore(), interaction.NewMemoryStore()
	var ins [2]chatInstance
	for i := range ins {
		name := []string{"a", "b"}[i]
		dir := routing.NewDirectory(routing.WithClock(clock), routing.WithStore(rs), routing.WithHolder(name))
		chats := interaction.NewService(interaction.WithStore(store), interaction.WithClock(clock),
			interaction.WithIDs(chatconsulttest.NewSequentialIDs(name+"-")), interaction.WithNotifier(dir))
		ins[i] = chatInstance{dir, chats, routing.NewChatRouter(chats, dir, routing.WithChatTimeout(timeout),
			routing.WithChatExhausted(func(_ context.Context, e routing.ChatExhausted) { *out = append(*out, e) }))}
	}
	return rs, ins
}

func recordIn(t *testing.T, rs routing.Store, id interaction.PartyID) routing.Record {
	t.Helper()
	recs, _, err := rs.Snapshot(ctx)
	require.NoError(t, err)
	for _, r := range recs {
		if r.Agent.ID == id {
			return r
		}
	}
	t.Fatalf("no record of %s", id)
	return routing.Record{}
}

// TestRX1NewChatOfferedRedirectedAccepted: a contact's new chat opened to
// a skill on instance A is offered (one chat unit of the agent reserved in
// the shared Store), not answered, withdrawn and offered to the next agent
// by instance B's RunDue, and accepted on A; a declined chat goes on at
// once; when everyone was tried the outcome is typed (R-C2, R-X1; issue 14).
func TestRX1NewChatOfferedRedirectedAccepted(t *testing.T) {
	clock := chatconsulttest.NewManualClock()
	var exhausted []routing.ChatExhausted
	rs, ins := newChatInstances(t, clock, &exhausted)
	a, b := ins[0], ins[1]
	for _, id := range []interaction.PartyID{"ann", "bob", "cid"} {
		require.NoError(t, a.dir.PutContext(ctx, routing.Agent{ID: id, Skills: map[string]int{"billing": 1}, Capacity: routing.Capacity{interaction.MediumChat: 1}}))
		require.NoError(t, a.dir.SetPresence(ctx, id, routing.Ready))
		clock.Advance(time.Second) // ann idle longest, then bob, then cid
	}
	billing := interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}

	id, err := a.chats.Open(ctx, "contact1", "Hello")
	require.NoError(t, err)
	first, err := a.router.Route(ctx, id, billing)
	require.NoError(t, err)
	assert.Equal(t, interaction.PartyID("ann"), first, "longest idle")
	ann := recordIn(t, rs, "ann")
	assert.Equal(t, 1, ann.Reserved.Of(interaction.MediumChat), "the offer reserves ann's chat unit in the Store")
	assert.Equal(t, 0, ann.Held.Of(interaction.MediumChat), "the hold became the reservation")

	// Not due yet: nothing fires on either instance.
	n, err := b.router.RunDue(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	clock.Advance(timeout)
	n, err = b.router.RunDue(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "B fires A's offer's deadline")
	n, err = a.router.RunDue(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "fired once")
	st, err := b.chats.State(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, interaction.MemberWithdrawn, st.Party("ann").Membership, "no answer: withdrawn (R-X1)")
	assert.Equal(t, interaction.MemberInvited, st.Party("bob").Membership, "redirected to the next agent")
	assert.Equal(t, 0, recordIn(t, rs, "ann").Reserved.Of(interaction.MediumChat))

	// bob is at capacity with the offer: a second chat goes to cid, not bob.
	id2, err := b.chats.Open(ctx, "contact2", "Hi")
	require.NoError(t, err)
	second, err := b.router.Route(ctx, id2, billing)
	require.NoError(t, err)
	assert.Contains(t, []interaction.PartyID{"ann", "cid"}, second)
	assert.NotEqual(t, interaction.PartyID("bob"), second, "bob's unit is reserved by the first chat's offer")

	require.NoError(t, a.router.Accept(ctx, id, "bob"))
	st, err = a.chats.State(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, interaction.StatusActive, st.Status)
	assert.Equal(t, interaction.PartyID("bob"), st.Owner().ID)
	bob := recordIn(t, rs, "bob")
	assert.Equal(t, 1, bob.Load.Of(interaction.MediumChat))
	assert.Equal(t, 0, bob.Reserved.Of(interaction.MediumChat))
	_, ok, err := rs.ChatRoute(ctx, id)
	require.NoError(t, err)
	assert.False(t, ok, "accepted: the route is over")
	clock.Advance(2 * timeout)
	_, err = a.router.RunDue(ctx) // the second chat's offer times out
	require.NoError(t, err)

	// A declined chat is offered on at once; once every agent with room was
	// tried, the outcome is typed.
	st2, err := a.chats.State(ctx, id2)
	require.NoError(t, err)
	for p := pendingOffer(st2); p != ""; p = pendingOffer(st2) {
		require.NoError(t, b.router.Decline(ctx, id2, p))
		st2, err = b.chats.State(ctx, id2)
		require.NoError(t, err)
	}
	require.Len(t, exhausted, 1)
	assert.Equal(t, id2, exhausted[0].Interaction)
	assert.True(t, errors.Is(exhausted[0].Err, interaction.ErrNotFound))
	assert.Equal(t, "R-X1", exhausted[0].Err.Rule)
	assert.Equal(t, interaction.StatusWaiting, st2.Status, "nobody left: the chat waits")
	for _, p := range []interaction.PartyID{"ann", "cid"} {
		r := recordIn(t, rs, p)
		assert.Zero(t, r.Reserved.Total()+r.Held.Total(), "%s holds nothing after its offer ended", p)
	}
}

// TestRX1ChatRouteBehindTheState: an instance that died between an offer
// and recording its route leaves the route naming the old agent; the next
// firing reads the state, finds the offer out and gives it its full time,
// instead of offering the chat twice (R-X1).
func TestRX1ChatRouteBehindTheState(t *testing.T) {
	clock := chatconsulttest.NewManualClock()
	var exhausted []routing.ChatExhausted
	rs, ins := newChatInstances(t, clock, &exhausted)
	for _, id := range []interaction.PartyID{"ann", "bob"} {
		require.NoError(t, ins[0].dir.PutContext(ctx, routing.Agent{ID: id, Skills: map[string]int{"billing": 1}}))
		require.NoError(t, ins[0].dir.SetPresence(ctx, id, routing.Ready))
		clock.Advance(time.Second)
	}
	billing := interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}
	id, err := ins[0].chats.Open(ctx, "contact", "Hello")
	require.NoError(t, err)
	_, err = ins[0].router.Route(ctx, id, billing)
	require.NoError(t, err)
	stale, _, err := rs.ChatRoute(ctx, id)
	require.NoError(t, err)
	clock.Advance(timeout)
	_, err = ins[1].router.RunDue(ctx) // ann → bob
	require.NoError(t, err)
	require.NoError(t, rs.SetChatRoute(ctx, stale)) // as if B died before recording bob's route
	n, err := ins[0].router.RunDue(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	st, err := ins[0].chats.State(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, interaction.MemberInvited, st.Party("bob").Membership, "bob's offer stands")
	rt, ok, err := rs.ChatRoute(ctx, id)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, interaction.PartyID("bob"), rt.Agent)
	assert.True(t, rt.Due.Equal(clock.Now().Add(timeout)), "its full time from now")
	assert.Empty(t, exhausted)
}

func pendingOffer(st *interaction.State) interaction.PartyID {
	if st.Status != interaction.StatusWaiting {
		return ""
	}
	for _, p := range st.Parties {
		if p.Role == interaction.RoleOwner && p.Membership == interaction.MemberInvited {
			return p.ID
		}
	}
	return ""
}

// TestRX1ChatOfferOfAnAgentWhoLogsOutIsOfferedOnOnce: a new chat offered
// on instance A to ann, who then logs out on instance B: B takes the
// offer back and the chat goes to the next agent of its route, once,
// whichever instance rescinds, and however often (R-X1; issue 14).
func TestRX1ChatOfferOfAnAgentWhoLogsOutIsOfferedOnOnce(t *testing.T) {
	clock := chatconsulttest.NewManualClock()
	var exhausted []routing.ChatExhausted
	rs, ins := newChatInstances(t, clock, &exhausted)
	a, b := ins[0], ins[1]
	for i := range ins {
		ins[i].dir.RescindWith(routing.ChatRescinder{Chats: ins[i].router})
	}
	for _, id := range []interaction.PartyID{"ann", "bob"} {
		require.NoError(t, a.dir.PutContext(ctx, routing.Agent{ID: id, Skills: map[string]int{"billing": 1}, Capacity: routing.Capacity{interaction.MediumChat: 1}}))
		require.NoError(t, a.dir.SetPresence(ctx, id, routing.Ready))
		clock.Advance(time.Second)
	}
	billing := interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}
	id, err := a.chats.Open(ctx, "contact1", "Hello")
	require.NoError(t, err)
	first, err := a.router.Route(ctx, id, billing)
	require.NoError(t, err)
	require.Equal(t, interaction.PartyID("ann"), first)

	require.NoError(t, b.dir.Refresh(ctx))
	require.NoError(t, b.dir.SetPresence(ctx, "ann", routing.LoggedOut))
	require.NoError(t, a.chats.Sync(ctx, id))
	st, err := a.chats.State(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, interaction.MemberWithdrawn, st.Party("ann").Membership, "ann's chat offer is taken back")
	assert.Equal(t, interaction.MemberInvited, st.Party("bob").Membership, "and the chat offered to bob")
	assert.Equal(t, 0, recordIn(t, rs, "ann").Reserved.Of(interaction.MediumChat), "ann's unit given back")

	// A learns of the logout too (its feed), and rescinds again: nothing more.
	version := st.Version
	assert.ErrorIs(t, a.router.Rescind(ctx, id, routing.ChatOffer, "ann"), interaction.ErrInvalidTransition,
		"a second rescind finds it done (Directory.Follow takes that as answered meanwhile)")
	require.NoError(t, a.chats.Sync(ctx, id))
	st, err = a.chats.State(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, version, st.Version, "offered on once")
	invited := 0
	for _, p := range st.Parties {
		if p.Membership == interaction.MemberInvited {
			invited++
		}
	}
	assert.Equal(t, 1, invited, "one offer out")
	assert.Empty(t, exhausted)

	// Consult's own rescinder never gets a chat offer: a Directory whose
	// Rescinder does not take chat offers leaves them to whoever assigns chats.
	var got []interaction.InvitationID
	b.dir.RescindWith(rescinderFunc(func(_ context.Context, _ interaction.ID, inv interaction.InvitationID, _ interaction.PartyID) error {
		got = append(got, inv)
		return nil
	}))
	require.NoError(t, b.dir.SetPresence(ctx, "bob", routing.LoggedOut))
	assert.Empty(t, got, "bob's chat offer is not a leg or request")
}

type rescinderFunc func(context.Context, interaction.ID, interaction.InvitationID, interaction.PartyID) error

func (f rescinderFunc) Rescind(ctx context.Context, id interaction.ID, inv interaction.InvitationID, agent interaction.PartyID) error {
	return f(ctx, id, inv, agent)
}
