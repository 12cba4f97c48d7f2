package consult_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// process is one run of the service on a Store that outlives it: its own
// clock, Directory, interaction.Service and consult.Service.
type process struct {
	clock *chatconsulttest.ManualClock
	dir   *routing.Directory
	chats *interaction.Service
	desk  *consult.Service
}

// told collects the Exhausted outcomes of every process of a test.
type told struct {
	mu  sync.Mutex
	out []consult.Exhausted
}

func (t *told) add(_ context.Context, e consult.Exhausted) {
	t.mu.Lock()
	t.out = append(t.out, e)
	t.mu.Unlock()
}

func (t *told) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.out)
}

// start starts a process on store: agent1 owns chats, agent2 and agent3
// have the skill billing (one offer at a time).
func start(t *testing.T, store interaction.Store, prefix string, exhausted *told) *process {
	t.Helper()
	p := &process{clock: chatconsulttest.NewManualClock()}
	p.dir = routing.NewDirectory(routing.WithClock(p.clock))
	p.chats = interaction.NewService(interaction.WithStore(store), interaction.WithClock(p.clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs(prefix)),
		interaction.WithNotifier(interaction.Notifiers{p.dir, interaction.NewMemoryNotifier()}))
	p.desk = consult.New(p.chats, consult.WithRouter(p.dir), consult.WithInviteTimeout(30*time.Second),
		consult.WithExhaustedHandler(exhausted.add))
	for _, a := range []interaction.PartyID{"agent1", "agent2", "agent3"} {
		p.clock.Advance(time.Second)
		skills := map[string]int{"billing": 1}
		if a == "agent1" {
			skills = nil
		}
		require.NoError(t, p.dir.Put(routing.Agent{ID: a, Skills: skills}))
		require.NoError(t, p.dir.SetPresence(ctx, a, routing.Ready))
	}
	return p
}

// stored is the interaction as the Store holds it.
func stored(t *testing.T, store interaction.Store, id interaction.ID) ([]interaction.Event, *interaction.State) {
	t.Helper()
	events, err := store.Load(ctx, id)
	require.NoError(t, err)
	st, err := interaction.Rebuild(events)
	require.NoError(t, err)
	return events, st
}

// fired counts, per deadline command, the appends that carry it.
func fired(events []interaction.Event) map[string]int {
	out := map[string]int{}
	last := ""
	for _, ev := range events {
		if strings.HasPrefix(ev.Cause, "deadline/") && ev.Cause != last {
			out[ev.Cause]++
		}
		last = ev.Cause
	}
	return out
}

// R-X1, issue 13: the time-out of an invitation is a deadline in the
// state, not a timer of the process that made it. The process that invited
// stops; a restarted one (new Services on the same Store, a clock of its
// own) learns the deadline from the Store, fires it once at its deadline
// (not before) and offers the invitation on to the next candidate, leaving
// out the agent tried. Two processes resumed at once fire the next
// deadline once between them, and the owner is told once that nobody is
// left.
func TestRX1RestartedProcessFiresTheTimeOutOnce(t *testing.T) {
	store := interaction.NewMemoryStore()
	var exhausted told
	first := start(t, store, "p1-", &exhausted)
	id, err := first.chats.Open(ctx, "contact", "Hello")
	require.NoError(t, err)
	require.NoError(t, first.chats.Assign(ctx, id, interaction.System, "agent1"))
	require.NoError(t, first.chats.Join(ctx, id, "agent1"))
	leg, err := first.desk.Start(ctx, id, "agent1", skill("billing"), interaction.MediumChat)
	require.NoError(t, err)
	_, st := stored(t, store, id)
	offer := *st.Leg(leg)
	require.Equal(t, interaction.PartyID("agent2"), offer.Invitee)
	require.Equal(t, offer.Started.Add(30*time.Second), offer.Deadline, "the deadline is in the state")
	require.Equal(t, []interaction.Deadline{{Interaction: id, Invitation: interaction.InvitationID(leg), Kind: interaction.DeadlineLeg, Due: offer.Deadline}}, st.Deadlines())
	first.desk.Stop() // the process goes
	first.clock.Advance(time.Hour)
	events, _ := stored(t, store, id)
	require.Empty(t, fired(events), "a stopped process fires nothing")

	second := start(t, store, "p2-", &exhausted)
	require.NoError(t, second.desk.Resume(ctx))
	version := len(events)
	second.clock.Advance(offer.Deadline.Sub(second.clock.Now()) - time.Millisecond)
	events, _ = stored(t, store, id)
	require.Len(t, events, version, "nothing before the deadline")
	second.clock.Advance(time.Millisecond)
	events, st = stored(t, store, id)
	assert.Equal(t, map[string]int{"deadline/" + string(leg) + "/leg": 1}, fired(events), "fired once, at the deadline")
	assert.Equal(t, interaction.LegTimedOut, st.Leg(leg).State)
	var next interaction.Leg
	for _, l := range st.Legs {
		if l.State == interaction.LegInviting {
			next = l
		}
	}
	require.Equal(t, interaction.PartyID("agent3"), next.Invitee, "offered on to the next candidate, not to agent2 again")
	assert.Equal(t, offer.Route, next.Route)
	assert.Equal(t, offer.Deadline.Add(30*time.Second), next.Deadline)

	// Two processes now, both resumed, both past the next deadline.
	third := start(t, store, "p3-", &exhausted)
	require.NoError(t, third.desk.Resume(ctx))
	third.clock.Advance(next.Deadline.Sub(third.clock.Now()))
	second.clock.Advance(time.Hour)
	events, st = stored(t, store, id)
	assert.Equal(t, map[string]int{"deadline/" + string(leg) + "/leg": 1, "deadline/" + string(next.ID) + "/leg": 1}, fired(events),
		"each deadline applied once")
	assert.Equal(t, interaction.LegTimedOut, st.Leg(next.ID).State)
	assert.Empty(t, st.Deadlines())
	notPlaced := 0
	for _, m := range st.Messages {
		if m.Notice != nil && m.Notice.Code == interaction.NoticeNotPlaced {
			notPlaced++
			assert.Equal(t, interaction.PartyScope("agent1"), m.Scope, "the owner is told, alone")
		}
	}
	assert.Equal(t, 1, notPlaced, "the owner is told once that nobody is left")
	assert.Equal(t, 1, exhausted.count(), "one process reports it")

	// A fourth start fires nothing: every deadline is gone from the state.
	fourth := start(t, store, "p4-", &exhausted)
	require.NoError(t, fourth.desk.Resume(ctx))
	assert.Zero(t, fourth.clock.Pending(), "nothing to arm")
	fourth.clock.Advance(24 * time.Hour)
	after, _ := stored(t, store, id)
	assert.Len(t, after, len(events), "nothing fires twice")
}

// R-X1, issue 13: a deadline whose invitation was answered fires nothing,
// also on a process that learned it before the answer and never heard of
// the answer; and a time-out before the deadline is refused by the
// aggregate.
func TestRX1AnsweredDeadlineFiresNothing(t *testing.T) {
	store := interaction.NewMemoryStore()
	var exhausted told
	p := start(t, store, "p1-", &exhausted)
	id, err := p.chats.Open(ctx, "contact", "Hello")
	require.NoError(t, err)
	require.NoError(t, p.chats.Assign(ctx, id, interaction.System, "agent1"))
	require.NoError(t, p.chats.Join(ctx, id, "agent1"))
	leg, err := p.desk.Start(ctx, id, "agent1", agent("agent2"), interaction.MediumChat)
	require.NoError(t, err)

	// Another process learns the deadline, then the agent accepts through
	// the first one.
	other := start(t, store, "p2-", &exhausted)
	require.NoError(t, other.desk.Resume(ctx))
	_, err = other.chats.Do(ctx, id, interaction.System, consult.TimeOut{Leg: leg})
	assert.ErrorIs(t, err, interaction.ErrInvalidTransition, "not due yet: time is an input, decided by the aggregate")
	require.NoError(t, p.desk.Accept(ctx, id, "agent2", leg))
	events, _ := stored(t, store, id)
	other.clock.Advance(time.Hour)
	p.clock.Advance(time.Hour)
	after, st := stored(t, store, id)
	assert.Len(t, after, len(events), "an answered invitation's deadline fires nothing")
	assert.Equal(t, interaction.LegActive, st.Leg(leg).State)
	assert.True(t, other.desk.Scheduler().Armed().IsZero(), "and the queue let it go")
}
