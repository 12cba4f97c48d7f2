package consult_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// routedDesk wires routing as users do: the Directory is the consult
// Router and sits in the interaction Service's Notifier chain.
type routedDesk struct {
	*desk
	dir       *routing.Directory
	exhausted []consult.Exhausted
}

func newRoutedDesk(t *testing.T, agents ...interaction.PartyID) *routedDesk {
	t.Helper()
	r := &routedDesk{desk: &desk{t: t, clock: chatconsulttest.NewManualClock(), store: interaction.NewMemoryStore()}}
	r.dir = routing.NewDirectory(routing.WithClock(r.clock))
	r.chats = interaction.NewService(interaction.WithStore(r.store), interaction.WithClock(r.clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")),
		interaction.WithNotifier(interaction.Notifiers{r.dir, interaction.NewMemoryNotifier()}))
	r.svc = consult.New(r.chats, consult.WithRouter(r.dir), consult.WithInviteTimeout(30*time.Second),
		consult.WithExhaustedHandler(func(_ context.Context, e consult.Exhausted) { r.exhausted = append(r.exhausted, e) }))
	r.dir.RescindWith(r.svc)
	require.NoError(t, r.dir.Put(routing.Agent{ID: "agent1"}))
	require.NoError(t, r.dir.SetPresence(ctx, "agent1", routing.Ready))
	// Registered a second apart: agent2 is the longest idle, then agent3…
	for _, a := range agents {
		r.clock.Advance(time.Second)
		require.NoError(t, r.dir.Put(routing.Agent{ID: a, Skills: map[string]int{"billing": 1}, Queues: []string{"vip"}}))
		require.NoError(t, r.dir.SetPresence(ctx, a, routing.Ready))
	}
	id, err := r.chats.Open(ctx, "contact", "Hello, I need help with my invoice")
	require.NoError(t, err)
	require.NoError(t, r.chats.Assign(ctx, id, interaction.System, "agent1"))
	require.NoError(t, r.chats.Join(ctx, id, "agent1"))
	r.id = id
	return r
}

func skill(id string) interaction.Target {
	return interaction.Target{Kind: interaction.TargetSkill, ID: id}
}

// pending returns the one inviting leg, or fails.
func (r *routedDesk) pending() interaction.Leg {
	r.t.Helper()
	var out []interaction.Leg
	for _, l := range r.state().Legs {
		if l.State == interaction.LegInviting {
			out = append(out, l)
		}
	}
	require.Len(r.t, out, 1, "exactly one invitation is out at a time")
	return out[0]
}

func TestRX1RedirectOnNoAnswerThroughSeveralCandidates(t *testing.T) {
	r := newRoutedDesk(t, "agent2", "agent3", "agent4")
	first, err := r.svc.Start(ctx, r.id, "agent1", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	assert.Equal(t, interaction.PartyID("agent2"), r.pending().Invitee, "longest idle first")

	r.clock.Advance(30 * time.Second)
	assert.Equal(t, interaction.LegTimedOut, r.state().Leg(first).State)
	second := r.pending()
	assert.Equal(t, interaction.PartyID("agent3"), second.Invitee, "redirected on no answer")
	assert.Equal(t, interaction.PartyID("agent1"), second.Owner)
	assert.Equal(t, skill("billing"), second.Target)
	assert.True(t, hasLine(r.lines("agent1"), "agent2 did not answer"))
	assert.False(t, hasLine(r.lines("contact"), "did not answer"), "the contact is told nothing")

	r.clock.Advance(29 * time.Second)
	assert.Equal(t, second.ID, r.pending().ID, "each candidate gets the full time-out")
	r.clock.Advance(time.Second)
	third := r.pending()
	assert.Equal(t, interaction.PartyID("agent4"), third.Invitee)
	require.NoError(t, r.svc.Accept(ctx, r.id, "agent4", third.ID))
	r.clock.Advance(time.Hour)
	st := r.state()
	assert.Equal(t, interaction.LegActive, st.Leg(third.ID).State, "an accepted invitation is not redirected")
	assert.Len(t, st.Legs, 3)
	assert.Empty(t, r.exhausted)
	for _, a := range []interaction.PartyID{"agent2", "agent3"} {
		s, _ := r.dir.Agent(a)
		assert.Zero(t, s.Reserved.Total()+s.Load.Total(), "%s holds nothing after its time-out", a)
	}
	s, _ := r.dir.Agent("agent4")
	assert.Equal(t, 1, s.Load.Of(interaction.MediumChat))
}

func TestRX1ExhaustionTellsTheOwner(t *testing.T) {
	r := newRoutedDesk(t, "agent2", "agent3")
	first, err := r.svc.Start(ctx, r.id, "agent1", skill("billing"), interaction.MediumVoice)
	require.NoError(t, err)
	require.NoError(t, r.svc.Decline(ctx, r.id, "agent2", first))
	second := r.pending()
	assert.Equal(t, interaction.PartyID("agent3"), second.Invitee, "R-X1: a declined routed invitation moves on")
	assert.Equal(t, interaction.MediumVoice, second.Medium)
	r.clock.Advance(30 * time.Second)

	st := r.state()
	for _, l := range st.Legs {
		assert.False(t, l.Live(), "nothing is left pending")
	}
	require.Len(t, r.exhausted, 1)
	e := r.exhausted[0]
	assert.Equal(t, []interaction.InvitationID{interaction.InvitationID(first), interaction.InvitationID(second.ID)}, e.Invitations)
	assert.Equal(t, []interaction.PartyID{"agent2", "agent3"}, e.Tried)
	assert.Equal(t, interaction.PartyID("agent1"), e.Owner)
	assert.Equal(t, skill("billing"), e.Target)
	assert.ErrorIs(t, e.Err, interaction.ErrNotFound)
	assert.Equal(t, "R-X1", e.Err.Rule)
	assert.True(t, hasLine(r.lines("agent1"), "no other agent of skill:billing is available: the consultation was not placed"))
	assert.False(t, hasLine(r.lines("contact"), "not placed"))
	assert.False(t, hasLine(r.lines("agent2"), "not placed"), "the notice is the owner's alone")
	assert.Equal(t, interaction.StatusActive, st.Status, "the chat with the contact goes on")
	r.clock.Advance(time.Hour)
	assert.Len(t, r.exhausted, 1, "told once")
}

func TestRC3DeclineByANamedAgentIsNotRedirected(t *testing.T) {
	r := newRoutedDesk(t, "agent2", "agent3")
	leg, err := r.svc.Start(ctx, r.id, "agent1", agent("agent2"), interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, r.svc.Decline(ctx, r.id, "agent2", leg))
	st := r.state()
	assert.Len(t, st.Legs, 1, "a named agent has no next candidate")
	assert.True(t, hasLine(r.lines("agent1"), "agent2 declined the consultation"))
	assert.Empty(t, r.exhausted)

	leg, err = r.svc.Start(ctx, r.id, "agent1", agent("agent3"), interaction.MediumChat)
	require.NoError(t, err)
	r.clock.Advance(30 * time.Second)
	assert.Equal(t, interaction.LegTimedOut, r.state().Leg(leg).State)
	assert.Len(t, r.state().Legs, 2)
}

func TestRX4DirectTransferToAQueueIsRedirected(t *testing.T) {
	r := newRoutedDesk(t, "agent2", "agent3")
	vip := interaction.Target{Kind: interaction.TargetQueue, ID: "vip"}
	req, err := r.svc.TransferTo(ctx, r.id, "agent1", vip)
	require.NoError(t, err)
	assert.Equal(t, interaction.PartyID("agent2"), r.state().Request(req).Invitee)
	r.clock.Advance(30 * time.Second)
	st := r.state()
	assert.Equal(t, interaction.RequestTimedOut, st.Request(req).State)
	var next *interaction.Request
	for i := range st.Requests {
		if st.Requests[i].State == interaction.RequestPending {
			next = &st.Requests[i]
		}
	}
	require.NotNil(t, next)
	assert.Equal(t, interaction.PartyID("agent3"), next.Invitee)
	assert.Equal(t, interaction.PartyID("agent1"), next.Owner)
	assert.Equal(t, interaction.RequestTransfer, next.Kind)
	require.NoError(t, r.svc.AcceptRequest(ctx, r.id, "agent3", next.ID))
	assert.Equal(t, interaction.PartyID("agent3"), r.state().Owner().ID, "R-T2")

	// A conference request declined by everyone: the owner is told.
	conf, err := r.svc.ConferenceWith(ctx, r.id, "agent3", vip)
	require.NoError(t, err)
	asked := r.state().Request(conf).Invitee
	require.NoError(t, r.svc.DeclineRequest(ctx, r.id, asked, conf))
	require.Len(t, r.exhausted, 1, "agent1 left and agent2 declined: nobody is left")
	assert.Equal(t, interaction.RequestConference, r.exhausted[0].Request)
	assert.True(t, hasLine(r.lines("agent3"), "the conference was not placed"))
}

func TestRX2CancellingARoutedInvitationStopsTheRedirects(t *testing.T) {
	r := newRoutedDesk(t, "agent2", "agent3")
	leg, err := r.svc.Start(ctx, r.id, "agent1", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, r.svc.Cancel(ctx, r.id, "agent1", leg))
	r.clock.Advance(time.Hour)
	assert.Len(t, r.state().Legs, 1)
	assert.Empty(t, r.exhausted)

	// The owner ending the session cancels it too (R-C7).
	leg, err = r.svc.Start(ctx, r.id, "agent1", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, r.chats.EndSession(ctx, r.id, "agent1"))
	r.clock.Advance(time.Hour)
	assert.Equal(t, interaction.LegCancelled, r.state().Leg(leg).State)
	assert.Len(t, r.state().Legs, 2)
	assert.Empty(t, r.exhausted)
}

func TestRescindNeedsThePendingInvitationOfThatAgent(t *testing.T) {
	r := newRoutedDesk(t, "agent2", "agent3")
	leg, err := r.svc.Start(ctx, r.id, "agent1", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	assert.ErrorIs(t, r.svc.Rescind(ctx, r.id, interaction.InvitationID(leg), "agent3"), interaction.ErrNotFound)
	assert.ErrorIs(t, r.svc.Rescind(ctx, r.id, "nope", "agent2"), interaction.ErrNotFound)
	require.NoError(t, r.svc.Accept(ctx, r.id, "agent2", leg))
	require.NoError(t, r.svc.Rescind(ctx, r.id, interaction.InvitationID(leg), "agent2"), "answered meanwhile: nothing to do")
	assert.Equal(t, interaction.LegActive, r.state().Leg(leg).State)
	_, err = r.chats.Do(ctx, r.id, "agent1", consult.Reroute{Invitation: interaction.InvitationID(leg), Reason: consult.RerouteTimedOut})
	assert.ErrorIs(t, err, interaction.ErrNotPermitted, "R-X6: only System offers on")
}

// A Router that ignores exclude would offer the same agent round and
// round; the Service counts that as nobody left.
func TestRX1RouterThatIgnoresExcludeEndsAsExhausted(t *testing.T) {
	d := newDesk(t)
	var got []consult.Exhausted
	d.svc = consult.New(d.chats, consult.WithRouter(fixedRouter{"skill:billing": "agent7"}),
		consult.WithExhaustedHandler(func(_ context.Context, e consult.Exhausted) { got = append(got, e) }))
	leg, err := d.svc.Start(ctx, d.id, "agent1", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, d.svc.Decline(ctx, d.id, "agent7", leg))
	assert.Len(t, d.state().Legs, 1)
	require.Len(t, got, 1)
	assert.ErrorIs(t, got[0].Err, interaction.ErrNotFound)
}

func (r *routedDesk) inviting() map[interaction.PartyID]interaction.LegID {
	out := map[interaction.PartyID]interaction.LegID{}
	for _, l := range r.state().Legs {
		if l.State == interaction.LegInviting {
			out[l.Invitee] = l.ID
		}
	}
	return out
}

// R-X1: an invitation offered to several candidates at once: the first to
// accept wins, the other offers are rescinded in the same write.
func TestRX1SeveralOffersAtOnceFirstToAcceptWins(t *testing.T) {
	r := newRoutedDesk(t, "agent2", "agent3", "agent4", "agent5")
	r.dir.SetOffersAtOnce(skill("billing"), 3)
	first, err := r.svc.Start(ctx, r.id, "agent1", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	out := r.inviting()
	assert.Len(t, out, 3, "three candidates at once")
	assert.Equal(t, first, out["agent2"], "Start returns the first offer")
	for a := range out {
		s, _ := r.dir.Agent(a)
		assert.Equal(t, 1, s.Reserved.Of(interaction.MediumChat), "each offer reserves capacity")
	}
	require.NoError(t, r.svc.Accept(ctx, r.id, "agent3", out["agent3"]))
	st := r.state()
	assert.Equal(t, interaction.LegActive, st.Leg(out["agent3"]).State)
	assert.Equal(t, interaction.LegCancelled, st.Leg(out["agent2"]).State)
	assert.Equal(t, interaction.LegCancelled, st.Leg(out["agent4"]).State)
	assert.ErrorIs(t, r.svc.Accept(ctx, r.id, "agent2", out["agent2"]), interaction.ErrInvalidTransition,
		"no invitation is accepted by two agents")
	for _, a := range []interaction.PartyID{"agent2", "agent4"} {
		s, _ := r.dir.Agent(a)
		assert.Zero(t, s.Reserved.Total()+s.Load.Total(), a)
	}
	r.clock.Advance(time.Hour)
	assert.Len(t, r.state().Legs, 3, "nothing is offered on after the acceptance")
}

func TestRX1SeveralOffersAtOnceGoOnTogether(t *testing.T) {
	r := newRoutedDesk(t, "agent2", "agent3", "agent4")
	r.dir.SetOffersAtOnce(skill("billing"), 2)
	_, err := r.svc.Start(ctx, r.id, "agent1", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	out := r.inviting()
	require.Len(t, out, 2)
	require.NoError(t, r.svc.Decline(ctx, r.id, "agent2", out["agent2"]))
	assert.Len(t, r.inviting(), 1, "one offer is still out: nothing new yet")
	r.clock.Advance(30 * time.Second)
	next := r.inviting()
	assert.Equal(t, []interaction.PartyID{"agent4"}, keys(next), "both failed: the next candidate (the only one left)")
	require.NoError(t, r.svc.Cancel(ctx, r.id, "agent1", next["agent4"]))
	assert.Empty(t, r.inviting())
	r.clock.Advance(time.Hour)
	assert.Empty(t, r.exhausted, "cancelled, not exhausted")

	// All offers out at once and cancelled at once.
	_, err = r.svc.Start(ctx, r.id, "agent1", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	out = r.inviting()
	require.Len(t, out, 2)
	require.NoError(t, r.svc.Cancel(ctx, r.id, "agent1", out[keys(out)[0]]))
	assert.Empty(t, r.inviting(), "the owner cancels the invitation, with every offer of it")

	// A direct transfer to several at once; nobody answers, then nobody is left.
	vip := interaction.Target{Kind: interaction.TargetQueue, ID: "vip"}
	r.dir.SetOffersAtOnce(vip, 2)
	req, err := r.svc.TransferTo(ctx, r.id, "agent1", vip)
	require.NoError(t, err)
	pending := 0
	for _, q := range r.state().Requests {
		if q.State == interaction.RequestPending {
			pending++
		}
	}
	assert.Equal(t, 2, pending)
	r.clock.Advance(30 * time.Second) // agent4 and one other time out; one agent is left
	r.clock.Advance(30 * time.Second)
	require.Len(t, r.exhausted, 1)
	assert.Equal(t, interaction.InvitationID(req), r.exhausted[0].Invitations[0])
	assert.Len(t, r.exhausted[0].Tried, 3)
}

func TestRX6AcceptOfferRescindsOnlyRivalOffers(t *testing.T) {
	r := newRoutedDesk(t, "agent2", "agent3")
	named, err := r.svc.Start(ctx, r.id, "agent1", agent("agent2"), interaction.MediumChat)
	require.NoError(t, err)
	routed, err := r.svc.Start(ctx, r.id, "agent1", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	// agent3 is not shown agent2's invitation: naming it as a rival tells
	// it nothing (R-X6), and it is no rival to rescind.
	_, err = r.chats.Do(ctx, r.id, "agent3", consult.AcceptOffer{Invitation: interaction.InvitationID(routed), Rivals: []interaction.InvitationID{interaction.InvitationID(named)}})
	require.NoError(t, err)
	assert.Equal(t, interaction.LegActive, r.state().Leg(routed).State)
	assert.Equal(t, interaction.LegInviting, r.state().Leg(named).State, "another invitation is not a rival to rescind")
}

func keys(m map[interaction.PartyID]interaction.LegID) []interaction.PartyID {
	var out []interaction.PartyID
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// followsNothing checks that the Service follows no invitation any more:
// no time-out armed, no timer left on the clock.
func (r *routedDesk) followsNothing(msg string) {
	r.t.Helper()
	assert.Zero(r.t, r.svc.Armed(), "%s: time-outs still armed", msg)
	assert.Zero(r.t, r.clock.Pending(), "%s: timers left on the clock", msg)
}

// R-X1: the offers of one batch share their time-out, so they fail at the
// same instant. The last of them to fail offers the invitation on, each
// time; with nobody left the owner is told, once.
func TestRX1OffersTimingOutAtTheSameInstantGoOn(t *testing.T) {
	r := newRoutedDesk(t, "agent2", "agent3", "agent4", "agent5", "agent6", "agent7")
	r.dir.SetOffersAtOnce(skill("billing"), 2)
	_, err := r.svc.Start(ctx, r.id, "agent1", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	for _, want := range [][]interaction.PartyID{{"agent2", "agent3"}, {"agent4", "agent5"}, {"agent6", "agent7"}} {
		require.Equal(t, want, keys(r.inviting()))
		assert.Equal(t, 2, r.svc.Armed(), "two deadlines")
		assert.Equal(t, 1, r.clock.Pending(), "one timer, at the earliest")
		assert.Equal(t, 1, r.clock.Advance(30*time.Second), "it fires both deadlines, due at the same instant")
	}
	assert.Empty(t, r.inviting(), "nobody is left")
	require.Len(t, r.exhausted, 1, "the owner is told once")
	assert.Len(t, r.exhausted[0].Tried, 6)
	assert.True(t, hasLine(r.lines("agent1"), "no other agent of skill:billing is available"))
	r.followsNothing("after exhaustion")
}

// R-X1, R-X2, R-C3: an invitation that is answered, declined or cancelled
// stops its time-out at once; nothing runs at the time it would have had.
func TestRX1AnsweredInvitationsStopTheirTimeOut(t *testing.T) {
	r := newRoutedDesk(t, "agent2", "agent3", "agent4")
	named, err := r.svc.Start(ctx, r.id, "agent1", agent("agent2"), interaction.MediumChat)
	require.NoError(t, err)
	assert.Equal(t, 1, r.clock.Pending())
	require.NoError(t, r.svc.Accept(ctx, r.id, "agent2", named))
	r.followsNothing("named consultation accepted")

	r.dir.SetOffersAtOnce(skill("billing"), 2)
	_, err = r.svc.Start(ctx, r.id, "agent1", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	out := r.inviting()
	require.Len(t, out, 2)
	require.NoError(t, r.svc.Decline(ctx, r.id, "agent3", out["agent3"]))
	assert.Equal(t, 1, r.svc.Armed(), "the declined offer is forgotten, its rival is still out")
	require.NoError(t, r.svc.Cancel(ctx, r.id, "agent1", out["agent4"]))
	r.followsNothing("routed consultation declined, then cancelled")

	vip := interaction.Target{Kind: interaction.TargetQueue, ID: "vip"}
	req, err := r.svc.ConferenceWith(ctx, r.id, "agent1", vip)
	require.NoError(t, err)
	require.NoError(t, r.svc.AcceptRequest(ctx, r.id, r.state().Request(req).Invitee, req))
	r.followsNothing("direct conference accepted")

	version := r.state().Version
	assert.Zero(t, r.clock.Advance(time.Hour), "no timer fires")
	assert.Equal(t, version, r.state().Version, "nothing is written")
}

// R-C7, R-X1: the owner ends the session with invitations out, through
// interaction.Service (not consult): the legs end in that write, and the
// consult Service hears of it through the Directory, so it stops their
// time-outs and forgets the route, also with no time-out at all.
func TestRC7SessionEndFreesRoutedInvitations(t *testing.T) {
	for _, timeout := range []time.Duration{30 * time.Second, 0} {
		t.Run(timeout.String(), func(t *testing.T) {
			r := newRoutedDesk(t, "agent2", "agent3", "agent4")
			r.svc = consult.New(r.chats, consult.WithRouter(r.dir), consult.WithInviteTimeout(timeout))
			r.dir.RescindWith(r.svc)
			r.dir.SetOffersAtOnce(skill("billing"), 2)
			_, err := r.svc.Start(ctx, r.id, "agent1", skill("billing"), interaction.MediumChat)
			require.NoError(t, err)
			_, err = r.svc.Start(ctx, r.id, "agent1", agent("agent4"), interaction.MediumIM)
			require.NoError(t, err)
			if timeout > 0 {
				require.Equal(t, 3, r.svc.Armed())
			}
			require.NoError(t, r.chats.EndSession(ctx, r.id, "agent1"))
			for _, l := range r.state().Legs {
				assert.Equal(t, interaction.LegCancelled, l.State)
			}
			r.followsNothing("session ended")
		})
	}
}

// R-X1: after a whole story (routed consultation redirected, accepted,
// turned into a conference; a direct transfer declined and offered on,
// accepted; the session ended) the Service follows nothing: every route
// ended, and left the book.
func TestRX1NothingIsFollowedAfterAStory(t *testing.T) {
	r := newRoutedDesk(t, "agent2", "agent3", "agent4", "agent5")
	first, err := r.svc.Start(ctx, r.id, "agent1", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	r.clock.Advance(30 * time.Second)
	assert.Equal(t, interaction.LegTimedOut, r.state().Leg(first).State)
	leg := r.pending()
	require.NoError(t, r.svc.Accept(ctx, r.id, leg.Invitee, leg.ID))
	require.NoError(t, r.svc.Say(ctx, r.id, "agent1", leg.ID, "Can you join?"))
	conf, err := r.svc.Conference(ctx, r.id, "agent1", leg.ID)
	require.NoError(t, err)
	require.NoError(t, r.svc.AcceptRequest(ctx, r.id, leg.Invitee, conf))

	vip := interaction.Target{Kind: interaction.TargetQueue, ID: "vip"}
	req, err := r.svc.TransferTo(ctx, r.id, "agent1", vip)
	require.NoError(t, err)
	require.NoError(t, r.svc.DeclineRequest(ctx, r.id, r.state().Request(req).Invitee, req))
	var next *interaction.Request
	for _, q := range r.state().Requests {
		if q.State == interaction.RequestPending {
			next = &q
		}
	}
	require.NotNil(t, next, "declined: offered on")
	require.NoError(t, r.svc.AcceptRequest(ctx, r.id, next.Invitee, next.ID))
	owner := r.state().Owner().ID
	require.NoError(t, r.chats.EndSession(ctx, r.id, owner))
	require.NoError(t, r.chats.EndSession(ctx, r.id, leg.Invitee))
	r.followsNothing("after the story")
	assert.Empty(t, r.exhausted)
}

// R-C7, R-X1: with a Router that does not forward the events (and the
// Service not in the Notifier chain), an invitation ended by a command
// that does not go through the Service is forgotten when its time-out
// fires: late, harmless, and nothing is written.
func TestRC7LateTimeOutOfAnEndedInvitationWritesNothing(t *testing.T) {
	d := newDesk(t)
	d.svc = consult.New(d.chats, consult.WithRouter(fixedRouter{"skill:billing": "agent7"}), consult.WithInviteTimeout(30*time.Second))
	leg, err := d.svc.Start(ctx, d.id, "agent1", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, d.chats.EndSession(ctx, d.id, "agent1"))
	assert.Equal(t, interaction.LegCancelled, d.state().Leg(leg).State)
	assert.Equal(t, 1, d.svc.Armed(), "not heard of: followed until the time-out")
	version := d.state().Version
	assert.Equal(t, 1, d.clock.Advance(30*time.Second))
	assert.Equal(t, version, d.state().Version, "the late time-out writes nothing")
	assert.Zero(t, d.svc.Armed(), "and forgets the invitation")
}
