package history_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// loadStore counts the Projection's reads and fails them while fail is set.
type loadStore struct {
	interaction.Store
	mu    sync.Mutex
	loads int
	fail  error
}

func (s *loadStore) Load(ctx context.Context, id interaction.ID) ([]interaction.Event, error) {
	s.mu.Lock()
	s.loads++
	err := s.fail
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.Store.Load(ctx, id)
}

func (s *loadStore) setFail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

func (s *loadStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loads
}

// sixEvents is a Store holding one interaction of exactly six events (the
// contact opens a chat, agent1 is assigned and joins: 1–6), and those
// events.
func sixEvents(t *testing.T) (*interaction.MemoryStore, interaction.ID, []interaction.Event) {
	t.Helper()
	d := newDesk(t)
	id := d.chat("contact", "agent1")
	events, err := d.store.Load(ctx, id)
	require.NoError(t, err)
	require.Greater(t, len(events), 6)
	events = events[:6]
	store := interaction.NewMemoryStore()
	require.NoError(t, store.Append(ctx, id, 0, append([]interaction.Event(nil), events...)))
	return store, id, events
}

func versionOf(t *testing.T, p *history.Projection, id interaction.ID) uint64 {
	t.Helper()
	v, err := p.Version(ctx, id)
	require.NoError(t, err)
	return v
}

var gapParties = []interaction.PartyID{"agent1", "contact"}

// R-X5, R-H1: the history is derived from every event of the interaction,
// also those no Notifier delivered. Given 1–3 and then 6, a Projection
// with a Store reads 4–5 from it, applies 4, 5, 6 in order and reports no
// error; 4–5 delivered again afterwards change nothing.
func TestRX5ProjectionReadsTheEventsItMissed(t *testing.T) {
	mem, id, events := sixEvents(t)
	store := &loadStore{Store: mem}
	p := history.New(history.WithStore(store))
	want := history.New()
	require.NoError(t, want.Apply(events...))

	require.NoError(t, p.Apply(events[:3]...))
	assert.Zero(t, store.count(), "events in order: nothing to read")
	assert.Equal(t, uint64(3), versionOf(t, p, id))

	require.NoError(t, p.Apply(events[5])) // 4 and 5 were never delivered
	assert.Equal(t, 1, store.count(), "one read for the gap")
	assert.Equal(t, uint64(6), versionOf(t, p, id), "4–6 applied")
	assert.Equal(t, snap(t, want, gapParties, gapParties), snap(t, p, gapParties, gapParties))
	require.Len(t, myHistory(t, p, "agent1"), 1, "R-H3: event 5 (agent1 joins) made the entry")

	require.NoError(t, p.Apply(events[3:5]...)) // late, at least once
	require.NoError(t, p.Apply(events...))
	assert.Equal(t, 1, store.count(), "what it has is not read again")
	assert.Equal(t, uint64(6), versionOf(t, p, id))
	assert.Equal(t, snap(t, want, gapParties, gapParties), snap(t, p, gapParties, gapParties), "no duplicates")
	require.Len(t, activity(t, p), 1, "R-H1: one entry")
	require.Len(t, myHistory(t, p, "agent1"), 1)
}

// Even the first events may be missing: the Projection reads the stream
// from its start (R-X5).
func TestRX5ProjectionReadsAMissingStart(t *testing.T) {
	mem, id, events := sixEvents(t)
	p := history.New(history.WithStore(mem))
	require.NoError(t, p.Apply(events[4]))
	assert.Equal(t, uint64(6), versionOf(t, p, id), "1–4 read, and 6 with them: it is in the Store")
	require.NoError(t, p.Apply(events[5]))
	assert.Equal(t, uint64(6), versionOf(t, p, id))
}

// Without a Store, a Projection holds the events after a gap until a
// Replay brings the missing ones (R-X5), as it always did.
func TestProjectionWithoutStoreHoldsAfterAGap(t *testing.T) {
	mem, id, events := sixEvents(t)
	p := history.New()
	require.NoError(t, p.Apply(events[:3]...))
	require.NoError(t, p.Apply(events[5]))
	assert.Equal(t, uint64(3), versionOf(t, p, id))
	require.NoError(t, p.Replay(ctx, mem))
	assert.Equal(t, uint64(6), versionOf(t, p, id))
}

// A Store read error is returned (by Apply; Notify has nobody to give it
// to), the Projection stays where it was with the new events held, and the
// next delivery reads again (R-X5: nothing is lost).
func TestRX5ProjectionStoreErrorIsReportedAndRetried(t *testing.T) {
	mem, id, events := sixEvents(t)
	store := &loadStore{Store: mem}
	p := history.New(history.WithStore(store))
	require.NoError(t, p.Apply(events[:3]...))

	boom := errors.New("connection refused")
	store.setFail(boom)
	err := p.Apply(events[5])
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), string(id))
	assert.Equal(t, uint64(3), versionOf(t, p, id), "nothing applied past the gap")
	p.Notify(ctx, nil, events[5:6]) // a later delivery that fails again
	assert.Equal(t, 2, store.count())
	assert.Equal(t, uint64(3), versionOf(t, p, id))

	store.setFail(nil)
	p.Notify(ctx, nil, events[5:6]) // delivered again: reads again
	assert.Equal(t, 3, store.count())
	assert.Equal(t, uint64(6), versionOf(t, p, id))

	// The held event is applied once the gap closes by delivery too.
	p2 := history.New(history.WithStore(store))
	require.NoError(t, p2.Apply(events[:3]...))
	store.setFail(boom)
	require.ErrorIs(t, p2.Apply(events[5]), boom)
	store.setFail(nil)
	require.NoError(t, p2.Apply(events[3:5]...))
	assert.Equal(t, uint64(6), versionOf(t, p2, id), "4–5 arrived: 6 was held, not dropped")
}

// cutStore commits an append and then, once, reports a cut connection: the
// outcome the Service cannot know, so it notifies nobody of the events.
type cutStore struct {
	*interaction.MemoryStore
	cut atomic.Bool
}

func (s *cutStore) Append(ctx context.Context, id interaction.ID, expected uint64, events []interaction.Event) error {
	if err := s.MemoryStore.Append(ctx, id, expected, events); err != nil {
		return err
	}
	if s.cut.Swap(false) {
		return errors.New("connection reset by peer")
	}
	return nil
}

// R-X5, R-H1 end to end: an ambiguous append is never notified; the next
// command's events show the gap, and the Projection reads what it missed,
// where one without a Store stalls.
func TestRX5AmbiguousAppendIsReadBack(t *testing.T) {
	mem := interaction.NewMemoryStore()
	store := &cutStore{MemoryStore: mem}
	live := history.New(history.WithStore(store))
	blind := history.New()
	d := &desk{t: t, clock: chatconsulttest.NewManualClock(), store: mem, live: live}
	d.chats = interaction.NewService(interaction.WithStore(store), interaction.WithClock(d.clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")), interaction.WithNotifier(interaction.Notifiers{live, blind}))

	id := d.chat("contact", "agent1")
	store.cut.Store(true)
	require.Error(t, d.chats.Post(ctx, id, "agent1", "Your refund is on its way"), "committed, but the Service cannot know")
	require.NoError(t, d.chats.Post(ctx, id, "contact", "Thank you!"))

	parties := []interaction.PartyID{"agent1", "contact"}
	assert.Equal(t, snap(t, d.rebuilt(), parties, parties), snap(t, live, parties, parties))
	mine, err := live.Transcript(ctx, id, "agent1")
	require.NoError(t, err)
	assert.Equal(t, []string{
		"contact: Hello, my invoice is wrong", "agent1: Hi, I am looking into it",
		"agent1: Your refund is on its way", "contact: Thank you!",
	}, texts(mine), "each message once, in order")
	stalled, err := blind.Transcript(ctx, id, "agent1")
	require.NoError(t, err)
	assert.Len(t, stalled, 2, "without a Store the later events are held")

	d.finish(id, "contact", "agent1")
	assert.Equal(t, snap(t, d.rebuilt(), parties, parties), snap(t, live, parties, parties))
}

// lossy drops every third notification, as ambiguous appends would.
type lossy struct {
	n    atomic.Uint64
	next interaction.Notifier
}

func (l *lossy) Notify(ctx context.Context, s *interaction.State, evs []interaction.Event) {
	if l.n.Add(1)%3 == 0 {
		return
	}
	l.next.Notify(ctx, s, evs)
}

// Safe for concurrent use (run with -race): commands on many interactions
// notify a Projection that misses a third of them and reads them back
// while others query it; once each interaction's last event is delivered
// (again), it equals the Projection rebuilt from the Store (R-X5, R-H1).
func TestRX5ConcurrentGapsAreReadBack(t *testing.T) {
	d := newDesk(t)
	store := &loadStore{Store: d.store}
	p := history.New(history.WithStore(store))
	d.chats = interaction.NewService(interaction.WithStore(d.store), interaction.WithClock(d.clock),
		interaction.WithIDs(d.chats.IDs()), interaction.WithNotifier(&lossy{next: p}))
	var writers, readers sync.WaitGroup
	var done atomic.Bool
	for w := range 4 {
		writers.Go(func() {
			for i := range 10 {
				owner := storyAgents[w]
				id, err := d.chats.Open(ctx, interaction.PartyID(fmt.Sprintf("c%d", i%3)), "Hello")
				if !assert.NoError(t, err) {
					return
				}
				assert.NoError(t, d.chats.Assign(ctx, id, interaction.System, owner))
				assert.NoError(t, d.chats.Join(ctx, id, owner))
				for range 3 {
					assert.NoError(t, d.chats.Post(ctx, id, owner, "a moment please"))
				}
				if i%2 == 0 {
					assert.NoError(t, d.chats.EndSession(ctx, id, owner))
				}
			}
		})
	}
	for range 2 {
		readers.Go(func() {
			for !done.Load() {
				for _, a := range storyAgents {
					myHistory(t, p, a)
				}
				_, err := p.Totals(ctx, history.Query{})
				assert.NoError(t, err)
				time.Sleep(time.Millisecond)
			}
		})
	}
	writers.Wait()
	done.Store(true)
	readers.Wait()
	assert.Positive(t, store.count(), "gaps were read back while the commands ran")

	for _, id := range streams(t, d) {
		events, err := d.store.Load(ctx, id)
		require.NoError(t, err)
		require.NoError(t, p.Apply(events[len(events)-1]))
	}
	require.Len(t, activity(t, p), 40)
	assert.Equal(t, snap(t, d.rebuilt(), storyAgents, storyContacts), snap(t, p, storyAgents, storyContacts))
}
