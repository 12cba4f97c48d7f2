package history_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

var (
	storyAgents   = []interaction.PartyID{"agent1", "agent2", "agent3", "agent4", "supervisor"}
	storyContacts = []interaction.PartyID{"c0", "c1", "c2"}
)

// story plays a little of everything: consultations answered every way, a
// transfer, a conference, a direct transfer, notes, coaching, barge-in.
func story(t *testing.T, d *desk) {
	a := d.chat("c0", "agent1")
	leg := d.consult(a, "agent1", "agent2")
	req, err := d.svc.Conference(ctx, a, "agent1", leg)
	require.NoError(t, err)
	require.NoError(t, d.svc.AcceptRequest(ctx, a, "agent2", req))
	_, err = d.chats.Do(ctx, a, "agent2", interaction.Note{Text: "note: VIP"})
	require.NoError(t, err)

	b := d.chat("c1", "agent3")
	leg = d.consult(b, "agent3", "agent4")
	require.NoError(t, d.svc.Transfer(ctx, b, "agent3", leg))
	require.NoError(t, d.chats.Coach(ctx, b, "supervisor", "agent4", "coaching: be brief"))
	require.NoError(t, d.chats.BargeIn(ctx, b, "supervisor"))

	c := d.chat("c2", "agent4")
	x, err := d.svc.Start(ctx, c, "agent4", agent("agent1"), interaction.MediumIM)
	require.NoError(t, err)
	require.NoError(t, d.svc.Cancel(ctx, c, "agent4", x))
	_, err = d.svc.Start(ctx, c, "agent4", agent("agent3"), interaction.MediumChat)
	require.NoError(t, err)
	d.clock.Advance(31 * time.Second)
	req, err = d.svc.TransferTo(ctx, c, "agent4", agent("agent2"))
	require.NoError(t, err)
	require.NoError(t, d.svc.AcceptRequest(ctx, c, "agent2", req))

	d.finish(a, "c0", "agent1", "agent2")
	d.finish(b, "c1", "agent3", "agent4", "supervisor")
	d.chat("c0", "agent3") // still open
}

// Issue 5: a Projection rebuilt from the Store gives the same answers as
// the one the Notifier kept current.
func TestReplayAndLiveAgree(t *testing.T) {
	d := newDesk(t)
	story(t, d)
	live := snap(t, d.live, storyAgents, storyContacts)
	require.Len(t, live.Activity, 4)
	assert.Equal(t, live, snap(t, d.rebuilt(), storyAgents, storyContacts))
}

// At-least-once delivery: events applied again, out of order, in any
// batching, give the same Projection; an interaction whose first event has
// not arrived is not shown.
func TestApplyIsIdempotentAndOrderFree(t *testing.T) {
	d := newDesk(t)
	story(t, d)
	events, err := d.store.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	want := snap(t, d.rebuilt(), storyAgents, storyContacts)

	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 5 {
		p := history.New()
		twice := append(append([]interaction.Event{}, events...), events...)
		rng.Shuffle(len(twice), func(i, j int) { twice[i], twice[j] = twice[j], twice[i] })
		for len(twice) > 0 {
			n := min(len(twice), 1+rng.IntN(7))
			require.NoError(t, p.Apply(twice[:n]...))
			twice = twice[n:]
		}
		assert.Equal(t, want, snap(t, p, storyAgents, storyContacts), "round %d", round)
	}

	p := history.New()
	first := events[0].Interaction
	var rest []interaction.Event
	for _, ev := range events {
		if ev.Interaction == first && ev.Version > 1 {
			rest = append(rest, ev)
		}
	}
	require.NoError(t, p.Apply(rest...))
	assert.Empty(t, activity(t, p), "held events are shown only once the stream starts")
	_, err = p.InteractionMetrics(ctx, first)
	assert.ErrorIs(t, err, interaction.ErrNotFound)
	require.NoError(t, p.Apply(events[0]))
	require.Len(t, activity(t, p), 1)
	got, err := p.Export(ctx, first, "agent1")
	require.NoError(t, err)
	wantX, err := d.rebuilt().Export(ctx, first, "agent1")
	require.NoError(t, err)
	assert.Equal(t, wantX, got)
}

// gate forwards notifications to a Projection only once it is opened: a
// projection that starts listening late.
type gate struct {
	open atomic.Bool
	p    *history.Projection
}

func (g *gate) Notify(ctx context.Context, s *interaction.State, evs []interaction.Event) {
	if g.open.Load() {
		g.p.Notify(ctx, s, evs)
	}
}

// A Projection that starts listening while interactions are under way
// catches up with Replay, whichever comes first, and stays current.
func TestLateListenerCatchesUpWithReplay(t *testing.T) {
	d := newDesk(t)
	late := &gate{p: history.New()}
	d.chats = interaction.NewService(interaction.WithSupervision(interaction.AnyoneMaySupervise), interaction.WithStore(d.store), interaction.WithClock(d.clock),
		interaction.WithIDs(d.chats.IDs()), interaction.WithNotifier(interaction.Notifiers{d.live, late}))
	d.svc = consult.New(d.chats, consult.WithInviteTimeout(30*time.Second))

	a := d.chat("c0", "agent1")
	leg := d.consult(a, "agent1", "agent2")
	late.open.Store(true)
	require.NoError(t, d.svc.Transfer(ctx, a, "agent1", leg)) // arrives before the events it follows
	assert.Empty(t, myHistory(t, late.p, "agent2"))
	require.NoError(t, late.p.Replay(ctx, d.store))
	pos := late.p.Checkpoint()
	assert.Positive(t, pos)
	require.NoError(t, late.p.Replay(ctx, d.store))
	assert.Equal(t, pos, late.p.Checkpoint(), "nothing new to read")
	d.finish(a, "agent2", "agent1", "agent2")
	d.chat("c1", "agent3")
	assert.Equal(t, snap(t, d.live, storyAgents, storyContacts), snap(t, late.p, storyAgents, storyContacts))
	require.NoError(t, late.p.Replay(ctx, d.store)) // overlaps what the Notifier delivered
	assert.Equal(t, snap(t, d.live, storyAgents, storyContacts), snap(t, late.p, storyAgents, storyContacts))
}

// pagedLog hands out at most 7 events a read and records where each read
// started, to check that Replay pages by position.
type pagedLog struct {
	log    interaction.Log
	afters []uint64
}

func (l *pagedLog) ReadAll(ctx context.Context, after uint64, _ int) ([]interaction.Event, error) {
	l.afters = append(l.afters, after)
	return l.log.ReadAll(ctx, after, 7)
}

func TestReplayPagesByPosition(t *testing.T) {
	d := newDesk(t)
	story(t, d)
	events, err := d.store.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	log := &pagedLog{log: d.store}
	p, err := history.Rebuild(ctx, log)
	require.NoError(t, err)
	assert.Equal(t, events[len(events)-1].Position, p.Checkpoint())
	require.Len(t, log.afters, (len(events)+6)/7+1)
	for i, after := range log.afters {
		assert.Equal(t, min(uint64(7*i), uint64(len(events))), after)
	}
	assert.Equal(t, snap(t, d.live, storyAgents, storyContacts), snap(t, p, storyAgents, storyContacts))
}

type failingLog struct{ err error }

func (l failingLog) ReadAll(context.Context, uint64, int) ([]interaction.Event, error) {
	return nil, l.err
}

// A stream that does not replay is reported and stops at its last good
// event; the other interactions are not affected. Read errors stop Replay.
func TestCorruptStreamIsReported(t *testing.T) {
	d := newDesk(t)
	good := d.chat("c0", "agent1")
	bad := d.chat("c1", "agent2")
	events, err := d.store.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	p := history.New()
	for _, ev := range events {
		if ev.Interaction == bad && ev.Version == 3 {
			ev.From = string(interaction.StatusClosed) // no such transition from here
			ev.Type = interaction.EventStatus
		}
		err := p.Apply(ev)
		if ev.Interaction == bad && ev.Version == 3 {
			assert.ErrorIs(t, err, interaction.ErrCorruptLog)
		} else {
			assert.NoError(t, err)
		}
	}
	assert.Len(t, myHistory(t, p, "agent1"), 1)
	mine, err := p.Transcript(ctx, good, "agent1")
	require.NoError(t, err)
	assert.Len(t, mine, 2)
	st, err := p.Export(ctx, bad, "c1")
	require.NoError(t, err)
	assert.Equal(t, uint64(1), st.Version, "stopped at the last good event: the contact was shown its own entry")

	assert.ErrorIs(t, p.Apply(interaction.Event{Interaction: "x"}), interaction.ErrBadInput)
	boom := fmt.Errorf("disk on fire")
	assert.ErrorIs(t, p.Replay(ctx, failingLog{boom}), boom)
}

// The Projection is safe for concurrent use: commands on many
// interactions notify it while others query it, and a second Projection
// that starts listening midway replays the Store while the Notifier feeds
// it (run with -race).
func TestConcurrentNotifyAndQuery(t *testing.T) {
	d := newDesk(t)
	late := &gate{p: history.New()}
	d.chats = interaction.NewService(interaction.WithSupervision(interaction.AnyoneMaySupervise), interaction.WithStore(d.store), interaction.WithClock(d.clock),
		interaction.WithIDs(d.chats.IDs()), interaction.WithNotifier(interaction.Notifiers{d.live, late}))
	d.svc = consult.New(d.chats, consult.WithInviteTimeout(30*time.Second))
	var writers, readers sync.WaitGroup
	var done atomic.Bool
	readers.Go(func() {
		for !done.Load() {
			late.open.Store(true)
			assert.NoError(t, late.p.Replay(ctx, d.store))
		}
	})
	for w := range 4 {
		writers.Go(func() {
			for i := range 15 {
				owner := storyAgents[w]
				target := storyAgents[(w+1)%4]
				id, err := d.chats.Open(ctx, interaction.PartyID(fmt.Sprintf("c%d", i%3)), "Hello")
				if !assert.NoError(t, err) {
					return
				}
				assert.NoError(t, d.chats.Assign(ctx, id, interaction.System, owner))
				assert.NoError(t, d.chats.Join(ctx, id, owner))
				leg, err := d.svc.Start(ctx, id, owner, agent(string(target)), interaction.MediumChat)
				if assert.NoError(t, err) && assert.NoError(t, d.svc.Accept(ctx, id, target, leg)) {
					assert.NoError(t, d.svc.Say(ctx, id, target, leg, "consultation: hm"))
					if i%2 == 0 {
						assert.NoError(t, d.svc.Transfer(ctx, id, owner, leg))
					}
				}
			}
		})
	}
	for range 2 {
		readers.Go(func() {
			for !done.Load() {
				for _, a := range storyAgents {
					for _, e := range myHistory(t, d.live, a) {
						assert.Empty(t, consultationMessages(e.Transcript))
					}
				}
				_, err := d.live.Totals(ctx, history.Query{})
				assert.NoError(t, err)
			}
		})
	}
	writers.Wait()
	done.Store(true)
	readers.Wait()
	require.Len(t, activity(t, d.live), 60)
	want := snap(t, d.rebuilt(), storyAgents, storyContacts)
	assert.Equal(t, want, snap(t, d.live, storyAgents, storyContacts))
	require.NoError(t, late.p.Replay(ctx, d.store))
	assert.Equal(t, want, snap(t, late.p, storyAgents, storyContacts))
}
