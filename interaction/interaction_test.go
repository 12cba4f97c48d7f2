package interaction_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
)

type fixture struct {
	svc   *interaction.Service
	clock *chatconsulttest.ManualClock
	store *interaction.MemoryStore
	notes *interaction.MemoryNotifier
	id    interaction.ID
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clock: chatconsulttest.NewManualClock(), store: interaction.NewMemoryStore(), notes: interaction.NewMemoryNotifier()}
	f.svc = interaction.NewService(interaction.WithStore(f.store), interaction.WithNotifier(f.notes),
		interaction.WithClock(f.clock), interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")),
		interaction.WithSupervision(interaction.AnyoneMaySupervise))
	return f
}

// activeChat opens a chat for "contact" owned by "agent1".
func (f *fixture) activeChat(t *testing.T) interaction.ID {
	t.Helper()
	ctx := context.Background()
	id, err := f.svc.Open(ctx, "contact", "Hello, my order is late")
	require.NoError(t, err)
	require.NoError(t, f.svc.Assign(ctx, id, interaction.System, "agent1"))
	require.NoError(t, f.svc.Join(ctx, id, "agent1"))
	f.id = id
	return id
}

func texts(v interaction.View) []string {
	var out []string
	for _, m := range v.Messages {
		out = append(out, string(m.Author)+": "+m.Text)
	}
	return out
}

func TestLifecycleOpenJoinPostEndDone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.activeChat(t)
	require.NoError(t, f.svc.Post(ctx, id, "agent1", "Let me check."))
	require.NoError(t, f.svc.Post(ctx, id, "contact", "Thanks"))

	st, err := f.svc.State(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, interaction.StatusActive, st.Status)
	assert.Equal(t, interaction.PartyID("agent1"), st.Owner().ID)

	require.NoError(t, f.svc.EndSession(ctx, id, "agent1"))
	st, _ = f.svc.State(ctx, id)
	assert.Equal(t, interaction.StatusEnded, st.Status)
	assert.Equal(t, interaction.MemberLeft, st.Party("contact").Membership)

	require.NoError(t, f.svc.MarkDone(ctx, id, "agent1"))
	st, _ = f.svc.State(ctx, id)
	assert.Equal(t, interaction.StatusClosed, st.Status, "R-C8: closes once every agent who took part marked done")

	v, err := f.svc.View(ctx, id, "contact")
	require.NoError(t, err)
	// The contact never sees internal agent IDs: agent1 is its first agent (issue 12).
	assert.Equal(t, []string{"contact: Hello, my order is late", "agent-1: Let me check.", "contact: Thanks"}, texts(v))
}

// R-C8: an interaction does not close while an agent who took part has not marked done.
func TestRC8ClosesOnlyWhenEveryAgentMarkedDone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.activeChat(t)
	require.NoError(t, f.svc.EndSession(ctx, id, "contact"))
	st, _ := f.svc.State(ctx, id)
	assert.Equal(t, interaction.StatusEnded, st.Status)
	err := f.svc.MarkDone(ctx, id, "contact")
	assert.ErrorIs(t, err, interaction.ErrNotPermitted)
	require.NoError(t, f.svc.MarkDone(ctx, id, "agent1"))
	st, _ = f.svc.State(ctx, id)
	assert.Equal(t, interaction.StatusClosed, st.Status)
}

func TestMarkDoneWhileStillInActiveChatIsRefused(t *testing.T) {
	f := newFixture(t)
	id := f.activeChat(t)
	err := f.svc.MarkDone(context.Background(), id, "agent1")
	assert.ErrorIs(t, err, interaction.ErrInvalidTransition)
}

// R-X6: every command names its actor and is refused when that party may not do it.
func TestRX6RefusalsAreTypedAndLeaveNoTrace(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.activeChat(t)
	sub := f.notes.SubscribeAll()
	before, _ := f.svc.State(ctx, id)

	cases := []struct {
		name  string
		actor interaction.PartyID
		cmd   interaction.Command
		kind  error
	}{
		{"empty text", "agent1", interaction.Post{Text: ""}, interaction.ErrBadInput},
		{"whitespace text", "agent1", interaction.Post{Text: " \t\n "}, interaction.ErrBadInput},
		{"oversized text", "agent1", interaction.Post{Text: strings.Repeat("x", 4097)}, interaction.ErrBadInput},
		{"invalid utf-8", "agent1", interaction.Post{Text: "a\xffb"}, interaction.ErrBadInput},
		{"unknown party", "stranger", interaction.Post{Text: "hi"}, interaction.ErrBadInput},
		{"no actor", "", interaction.Post{Text: "hi"}, interaction.ErrBadInput},
		{"contact assigns", "contact", interaction.Assign{Agent: "agent2"}, interaction.ErrNotPermitted},
		{"assign when active", interaction.System, interaction.Assign{Agent: "agent2"}, interaction.ErrInvalidTransition},
		{"join without offer", "contact", interaction.Join{}, interaction.ErrNotPermitted},
		{"open twice", "contact", interaction.Open{Contact: "contact"}, interaction.ErrConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.Do(ctx, id, c.actor, c.cmd)
			require.Error(t, err)
			assert.ErrorIs(t, err, c.kind)
			var e *interaction.Error
			assert.True(t, errors.As(err, &e))
		})
	}
	after, _ := f.svc.State(ctx, id)
	assert.Equal(t, before, after, "a refused command changes nothing")
	assert.Empty(t, sub.Drain(), "a refused command notifies nobody")

	_, err := f.svc.Do(ctx, "no-such-chat", "contact", interaction.Post{Text: "hi"})
	assert.ErrorIs(t, err, interaction.ErrNotFound)
	_, err = f.svc.View(ctx, id, "stranger")
	assert.ErrorIs(t, err, interaction.ErrNotPermitted, "R-X6: a non-participant cannot read the transcript")
}

// Events are the truth: the state rebuilt from the stored events alone is
// the state the service holds.
func TestRebuildFromEventsEqualsLiveState(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.activeChat(t)
	require.NoError(t, f.svc.Post(ctx, id, "agent1", "one"))
	require.NoError(t, f.svc.EndSession(ctx, id, "contact"))
	events, err := f.store.Load(ctx, id)
	require.NoError(t, err)
	rebuilt, err := interaction.Rebuild(events)
	require.NoError(t, err)
	live, _ := f.svc.State(ctx, id)
	assert.Equal(t, live, rebuilt)
	for _, ev := range events {
		assert.False(t, ev.Time.IsZero())
		assert.NotEmpty(t, ev.Actor)
		assert.NotEmpty(t, ev.Cause)
	}
}

type failingStore struct{ interaction.Store }

func (failingStore) Append(context.Context, interaction.ID, uint64, []interaction.Event) error {
	return errors.New("disk on fire")
}

// A command whose store write fails leaves no trace.
func TestFailedAppendLeavesNoTrace(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.activeChat(t)
	broken := interaction.NewService(interaction.WithStore(failingStore{f.store}), interaction.WithNotifier(f.notes))
	sub := f.notes.SubscribeAll()
	before, err := broken.State(ctx, id)
	require.NoError(t, err)
	err = broken.Post(ctx, id, "agent1", "lost?")
	require.Error(t, err)
	after, _ := broken.State(ctx, id)
	assert.Equal(t, before, after)
	assert.Empty(t, sub.Drain())
	events, _ := f.store.Load(ctx, id)
	assert.Len(t, events, int(before.Version))
}

// Two services on one store: the stale one gets a conflict, decides again
// on fresh state, and nothing forks.
func TestConcurrentWritersOnOneStoreNeverFork(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.activeChat(t)
	other := interaction.NewService(interaction.WithStore(f.store))
	_, err := other.State(ctx, id) // warm its cache
	require.NoError(t, err)
	require.NoError(t, f.svc.Post(ctx, id, "agent1", "from one"))
	require.NoError(t, other.Post(ctx, id, "agent1", "from two"))
	events, _ := f.store.Load(ctx, id)
	st, err := interaction.Rebuild(events)
	require.NoError(t, err)
	require.Len(t, st.Messages, 3)

	noRetry := interaction.NewService(interaction.WithStore(f.store), interaction.WithConflictRetries(0))
	_, _ = noRetry.State(ctx, id)
	require.NoError(t, f.svc.Post(ctx, id, "agent1", "moves on"))
	err = noRetry.Post(ctx, id, "agent1", "stale")
	assert.ErrorIs(t, err, interaction.ErrConflict)
}

func TestStoreAppendWithWrongVersionConflicts(t *testing.T) {
	st := interaction.NewMemoryStore()
	ctx := context.Background()
	ev := []interaction.Event{{Interaction: "i", Version: 1, Type: interaction.EventOpened}}
	require.NoError(t, st.Append(ctx, "i", 0, ev))
	err := st.Append(ctx, "i", 0, []interaction.Event{{Interaction: "i", Version: 1, Type: interaction.EventOpened}})
	assert.ErrorIs(t, err, interaction.ErrConflict)
}

func TestManyGoroutinesManyInteractions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var ids []interaction.ID
	for i := 0; i < 8; i++ {
		ids = append(ids, f.activeChat(t))
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				id := ids[(g+i)%len(ids)]
				_ = f.svc.Post(ctx, id, "agent1", "msg")
				_, _ = f.svc.View(ctx, id, "contact")
			}
		}(g)
	}
	wg.Wait()
	total := 0
	for _, id := range ids {
		st, _ := f.svc.State(ctx, id)
		total += len(st.Messages) - 1
	}
	assert.Equal(t, 8*50, total, "no accepted message lost or duplicated")
}

func TestNotifierDeliversOnlyWhatThePartyMaySee(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	contactSub := f.notes.Subscribe("contact")
	id := f.activeChat(t)
	_, err := f.svc.Do(ctx, id, "agent1", interaction.Note{Text: "VIP customer"})
	require.NoError(t, err)
	require.NoError(t, f.svc.Post(ctx, id, "agent1", "hello"))
	for _, ev := range contactSub.Drain() {
		assert.NotEqual(t, "VIP customer", ev.Text, "agent notes never reach the contact")
	}
}

// Two instances on one Store: an agent that joined through one may post
// through the other, whose cache predates the join. A refusal is decided
// again on what the Store holds before it is returned.
func TestRefusalIsNeverDecidedOnAStaleCache(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id, err := f.svc.Open(ctx, "contact", "hi")
	require.NoError(t, err)
	other := interaction.NewService(interaction.WithStore(f.store))
	_, err = other.State(ctx, id) // caches the waiting chat
	require.NoError(t, err)
	require.NoError(t, f.svc.Assign(ctx, id, interaction.System, "agent1"))
	require.NoError(t, f.svc.Join(ctx, id, "agent1"))
	require.NoError(t, other.Post(ctx, id, "agent1", "hello from the other instance"))
	assert.ErrorIs(t, other.Post(ctx, id, "stranger", "hi"), interaction.ErrBadInput, "a real refusal stays a refusal")
}

// A closed interaction leaves the Service's cache (it can never change
// again) and is still readable, from the Store.
func TestClosedInteractionLeavesTheCacheAndStaysReadable(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.activeChat(t)
	require.NoError(t, f.svc.EndSession(ctx, id, "contact"))
	require.NoError(t, f.svc.MarkDone(ctx, id, "agent1"))
	assert.Equal(t, 0, f.svc.Cached())
	v, err := f.svc.View(ctx, id, "agent1")
	require.NoError(t, err)
	assert.Equal(t, interaction.StatusClosed, v.Status)
	assert.Equal(t, 0, f.svc.Cached(), "reading a closed interaction does not cache it")
	assert.ErrorIs(t, f.svc.Post(ctx, id, "agent1", "too late"), interaction.ErrNotPermitted)
	assert.Equal(t, 0, f.svc.Cached(), "nor does a refused command")
	other := interaction.NewService(interaction.WithStore(f.store))
	_, err = other.DoCommand(ctx, id, "agent1", "cmd-late", interaction.MarkDone{})
	assert.Error(t, err)
	assert.Equal(t, 0, other.Cached())
}

// R-X6: a party ID that is empty, reserved, oversized or not valid UTF-8
// is bad input, and nothing is opened or assigned.
func TestRX6BadPartyIDs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, bad := range []interaction.PartyID{"", interaction.System, interaction.PartyID(strings.Repeat("x", interaction.MaxPartyIDBytes+1)), "a\xffb"} {
		_, err := f.svc.Open(ctx, bad, "hi")
		assert.ErrorIs(t, err, interaction.ErrBadInput, "open by %q", bad)
	}
	id, err := f.svc.Open(ctx, "contact", "hi")
	require.NoError(t, err)
	assert.ErrorIs(t, f.svc.Assign(ctx, id, interaction.System, "a\xffb"), interaction.ErrBadInput)
	st, _ := f.svc.State(ctx, id)
	assert.Len(t, st.Parties, 1)
}
