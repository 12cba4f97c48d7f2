package routing_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
	"github.com/chatconsult/chatconsult/signals"
)

// loadCounter is a Store that counts which interactions are loaded; it
// lists the open interactions of the MemoryStore it wraps.
type loadCounter struct {
	*interaction.MemoryStore
	mu    sync.Mutex
	loads map[interaction.ID]int
}

func (c *loadCounter) Load(ctx context.Context, id interaction.ID) ([]interaction.Event, error) {
	c.mu.Lock()
	c.loads[id]++
	c.mu.Unlock()
	return c.MemoryStore.Load(ctx, id)
}

type reminders struct {
	mu  sync.Mutex
	got []signals.Reminder
}

func (r *reminders) Remind(_ context.Context, rem signals.Reminder) {
	r.mu.Lock()
	r.got = append(r.got, rem)
	r.mu.Unlock()
}

func (r *reminders) take() []signals.Reminder {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

// process is one run of the embedding service: its Service, Directory
// and Tracker hold only caches; the Store is the truth.
type process struct {
	clock   *chatconsulttest.ManualClock
	chats   *interaction.Service
	dir     *routing.Directory
	tracker *signals.Tracker
	sink    *reminders
	desk    *consult.Service
}

const reminderDelay = 10 * time.Second

func start(t *testing.T, store interaction.Store, clock *chatconsulttest.ManualClock, prefix string) *process {
	p := &process{clock: clock, sink: &reminders{}}
	p.dir = routing.NewDirectory(routing.WithClock(clock))
	p.tracker = signals.New(clock, p.sink, signals.WithDelay(reminderDelay))
	t.Cleanup(p.tracker.Close)
	p.chats = interaction.NewService(interaction.WithStore(store), interaction.WithClock(clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs(prefix)),
		interaction.WithNotifier(interaction.Notifiers{p.dir, p.tracker}))
	p.desk = consult.New(p.chats, consult.WithRouter(p.dir), consult.WithInviteTimeout(time.Hour))
	// Agents, their skills and presence are the embedding service's
	// configuration and the desks' state, not facts of any interaction:
	// a restarted process registers them again.
	for _, id := range []interaction.PartyID{"a1", "a2", "a3", "a4", "a5"} {
		require.NoError(t, p.dir.Put(routing.Agent{ID: id, Skills: map[string]int{"billing": 1}}))
		require.NoError(t, p.dir.SetPresence(ctx, id, routing.Ready))
	}
	return p
}

func (p *process) chat(t *testing.T, contact, owner interaction.PartyID) interaction.ID {
	t.Helper()
	id, err := p.chats.Open(ctx, contact, "Hello")
	require.NoError(t, err)
	require.NoError(t, p.chats.Assign(ctx, id, interaction.System, owner))
	require.NoError(t, p.chats.Join(ctx, id, owner))
	return id
}

// A restarted process (a new Service, Directory and Tracker on the same
// Store) lists the open interactions and rebuilds from them the routing
// loads, the pending invitations and the pending responses with their
// reminders (R-X1, R-C9), loading the open interactions only, not every
// interaction the Store holds, and reading no log.
func TestRestartRecoversLoadsAndRemindersFromTheOpenInteractions(t *testing.T) {
	mem := interaction.NewMemoryStore()
	clock := chatconsulttest.NewManualClock()
	before := start(t, mem, clock, "id-")

	// Closed interactions, the bulk of any store.
	for i := 0; i < 6; i++ {
		id := before.chat(t, "old-contact", "a4")
		require.NoError(t, before.chats.Post(ctx, id, "old-contact", "Thanks, bye"))
		require.NoError(t, before.chats.EndSession(ctx, id, "a4"))
		require.NoError(t, before.chats.MarkDone(ctx, id, "a4"))
	}
	// Under way: a1's chat with a question from the contact and an
	// active IM consultation with a2, who asked a1 something there.
	first := before.chat(t, "c1", "a1")
	require.NoError(t, before.chats.Post(ctx, first, "c1", "Where is my refund?"))
	im, err := before.desk.Start(ctx, first, "a1", named("a2"), interaction.MediumIM)
	require.NoError(t, err)
	require.NoError(t, before.desk.Accept(ctx, first, "a2", im))
	require.NoError(t, before.desk.Say(ctx, first, "a2", im, "Which invoice?"))
	// And a second consultation, to a5, who will not answer.
	unanswered, err := before.desk.Start(ctx, first, "a1", named("a5"), interaction.MediumChat)
	require.NoError(t, err)
	// a2's own chat, with a consultation to a3 still waiting for an answer.
	second := before.chat(t, "c2", "a2")
	pending, err := before.desk.Start(ctx, second, "a2", named("a3"), interaction.MediumChat)
	require.NoError(t, err)
	// A chat offered to a3, not taken yet.
	third, err := before.chats.Open(ctx, "c3", "Anyone?")
	require.NoError(t, err)
	require.NoError(t, before.chats.Assign(ctx, third, interaction.System, "a3"))
	// A chat ended by its agent, in wrap-up until a4 marks it done.
	wrapping := before.chat(t, "c4", "a4")
	require.NoError(t, before.chats.EndSession(ctx, wrapping, "a4"))
	open := []interaction.ID{first, second, third, wrapping}

	agents := []interaction.PartyID{"a1", "a2", "a3", "a4", "a5"}
	work := map[interaction.PartyID]routing.Holding{}
	invitations := map[interaction.PartyID][]routing.Invitation{}
	pendingOf := map[interaction.PartyID][]signals.Pending{}
	for _, a := range agents {
		work[a] = before.dir.Work(a)
		invitations[a] = before.dir.Invitations(a)
		pendingOf[a] = before.tracker.Pending(a)
	}
	require.Equal(t, 1, work["a2"].Load.Of(interaction.MediumIM), "the scenario has an IM consultation")
	require.Len(t, invitations["a3"], 2, "the scenario has a consultation and a chat offer pending")
	require.Len(t, pendingOf["a1"], 2, "the scenario has two answers pending for a1")
	before.tracker.Close() // the process stops

	// The restart: nothing of the old process's memory survives, its
	// timers neither (a clock of its own, at the same time).
	counter := &loadCounter{MemoryStore: mem, loads: map[interaction.ID]int{}}
	clock = chatconsulttest.NewManualClock()
	require.Equal(t, before.clock.Now(), clock.Now())
	after := start(t, counter, clock, "restarted-")
	n, err := after.chats.Recover(ctx, after.tracker.Sync, after.dir.Sync, after.desk.Sync)
	require.NoError(t, err)

	assert.Equal(t, len(open), n, "it loads the open interactions")
	assert.Len(t, counter.loads, len(open), "and no other: the closed ones are not read")
	for _, id := range open {
		assert.Equal(t, 1, counter.loads[id], "each once: %s", id)
	}
	for _, a := range agents {
		assert.Equalf(t, work[a], after.dir.Work(a), "%s's load and reservations", a)
		assert.Equalf(t, comparable(invitations[a]), comparable(after.dir.Invitations(a)), "%s's pending invitations", a)
		assert.Equalf(t, pendingOf[a], after.tracker.Pending(a), "%s's pending responses", a)
	}
	s, ok := after.dir.Agent("a2")
	require.True(t, ok)
	assert.Equal(t, 1, s.Load.Of(interaction.MediumChat), "a2 is in its own chat")
	assert.Equal(t, 1, s.Load.Of(interaction.MediumIM), "and in a1's IM consultation")

	// The reminders are armed again: a1's two pending responses remind
	// a1 (nothing is in focus on a desk that has not told the new process).
	require.Empty(t, after.sink.take())
	clock.Advance(reminderDelay)
	var got []signals.Conversation
	for _, r := range after.sink.take() {
		if r.Agent == "a1" {
			got = append(got, r.Conversation)
		}
	}
	assert.ElementsMatch(t, []signals.Conversation{signals.Chat(first), signals.Consultation(first, im)}, got)

	// And the restarted process goes on from there: a3 accepts the
	// consultation it was invited to before the restart.
	require.NoError(t, after.desk.Accept(ctx, second, "a3", pending))
	s, _ = after.dir.Agent("a3")
	assert.Equal(t, 1, s.Load.Of(interaction.MediumChat), "the consultation's unit, taken from its reservation")
	assert.Equal(t, 1, s.Reserved.Of(interaction.MediumChat), "the chat offer is still reserved")

	// The invitation a5 never answers times out, on the restarted
	// process's clock, when it would have before (consult.Service.Sync).
	clock.Advance(time.Hour - reminderDelay - time.Second)
	require.Len(t, after.dir.Invitations("a5"), 1)
	clock.Advance(time.Second)
	assert.Empty(t, after.dir.Invitations("a5"), "timed out")
	st, err := after.chats.State(ctx, first)
	require.NoError(t, err)
	assert.Equal(t, interaction.LegTimedOut, st.Leg(unanswered).State)
}

// comparable drops from invitations what a Directory does not rebuild
// from a state: its own sequence numbers, and a chat offer's time (the
// state does not keep when an offer was made; Directory.Sync leaves it
// zero).
func comparable(invs []routing.Invitation) []routing.Invitation {
	out := make([]routing.Invitation, len(invs))
	for i, inv := range invs {
		inv.Seq = 0
		if inv.Kind == routing.InviteChat {
			inv.Offered = time.Time{}
		}
		out[i] = inv
	}
	return out
}
