package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
)

// NewStore returns a fresh, empty store for one test, and arranges for its
// cleanup through t.
type NewStore func(t *testing.T) interaction.Store

// TestStore runs the Store (and, when the store implements it, the Log)
// conformance suite. Each subtest gets its own store from newStore.
func TestStore(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		run  func(*testing.T, interaction.Store)
	}{
		{"LoadOfUnknownInteractionIsEmpty", testLoadUnknown},
		{"RX5RoundTripKeepsEveryField", testRoundTrip},
		{"RX5RequestMembershipWithItsRequestInLegLoadsAsWrittenNow", testOldRequestMembership},
		{"AppendSetsGrowingPositions", testPositions},
		{"WrongExpectedVersionConflictsAndWritesNothing", testExpectedVersion},
		{"EventsOutOfSequenceAreBadInput", testOutOfSequence},
		{"EmptyAppendIsANoOp", testEmptyAppend},
		{"CancelledContextWritesNothing", testCancelled},
		{"CommandAppliedOnce", testCommandOnce},
		{"RacingSavesOneWinsNeverAFork", testRacingSaves},
		{"ConcurrentWritersLogInCommitOrder", testConcurrentLog},
		{"LogReaderNeverSkipsWhileWritersCommit", testReaderNeverSkips},
		{"DoCommandRetryAppliesOnceAcrossInstances", testDoCommandAcrossInstances},
		{"LoadFromReadsTheNewerEvents", testLoadFrom},
		{"ReadLatestSeesOtherInstancesWrites", testReadLatestAcrossInstances},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t))
		})
	}
}

var ctx = context.Background()

func logOf(t *testing.T, st interaction.Store) interaction.Log {
	t.Helper()
	l, ok := st.(interaction.Log)
	if !ok {
		t.Skipf("%T does not implement interaction.Log", st)
	}
	return l
}

func testLoadUnknown(t *testing.T, st interaction.Store) {
	events, err := st.Load(ctx, "no-such-chat")
	require.NoError(t, err)
	assert.Empty(t, events)
}

// R-X5: the events are the truth; a store gives back exactly what it took.
func testRoundTrip(t *testing.T, st interaction.Store) {
	first := []interaction.Event{fullEvent(t, "chat-1", 1, 1), fullEvent(t, "chat-1", 2, 2)}
	// A sparse event too: zero values must come back as zero values (a
	// store that writes NULLs or defaults must map them back).
	sparse := interaction.Event{Interaction: "chat-1", Version: 3, Type: interaction.EventMessage}
	second := []interaction.Event{sparse, fullEvent(t, "chat-1", 4, 3)}
	require.NoError(t, st.Append(ctx, "chat-1", 0, first))
	require.NoError(t, st.Append(ctx, "chat-1", 2, second))
	for i, ev := range append(append([]interaction.Event(nil), first...), second...) {
		require.NotZerof(t, ev.Position, "event %d: Append sets Position", i)
	}
	want := append(append([]interaction.Event(nil), first...), second...)

	loaded, err := st.Load(ctx, "chat-1")
	require.NoError(t, err)
	requireSameEvents(t, want, loaded, "Load")

	if l, ok := st.(interaction.Log); ok {
		all, err := l.ReadAll(ctx, 0, 0)
		require.NoError(t, err)
		requireSameEvents(t, want, all, "ReadAll")
	}
}

// R-X5: a direct request's agent's membership change names the request in
// RequestID; one appended with it in Leg, as it was written before, loads
// as written now (Event.SetInvitation), so a stream stored then still
// passes State.Apply. Every other event comes back as it was.
func testOldRequestMembership(t *testing.T, st interaction.Store) {
	at := baseTime
	old := []interaction.Event{
		{Interaction: "chat-1", Version: 1, Time: at, Actor: "agent1", Type: interaction.EventMembership, Scope: interaction.RequestScope("R1"),
			Party: "agent2", Role: interaction.RoleOwner, From: "none", To: "invited", Trigger: "invite", Leg: "R1"},
		{Interaction: "chat-1", Version: 2, Time: at, Actor: "agent2", Type: interaction.EventMembership, Scope: interaction.RequestScope("R1"),
			Party: "agent2", Role: interaction.RoleMember, From: "invited", To: "declined", Trigger: "decline", Leg: "R1"},
		{Interaction: "chat-1", Version: 3, Time: at, Actor: "agent1", Type: interaction.EventMembership, Scope: interaction.LegScope("L1"),
			Party: "agent3", Role: interaction.RoleConsultant, From: "none", To: "invited", Trigger: "invite", Leg: "L1"},
	}
	require.NoError(t, st.Append(ctx, "chat-1", 0, old))
	want := append([]interaction.Event(nil), old...)
	want[0].Leg, want[0].RequestID = "", "R1"
	want[1].Leg, want[1].RequestID = "", "R1"
	loaded, err := st.Load(ctx, "chat-1")
	require.NoError(t, err)
	requireSameEvents(t, want, loaded, "Load")
}

func testPositions(t *testing.T, st interaction.Store) {
	var last uint64
	for i := 0; i < 5; i++ {
		for _, id := range []interaction.ID{"a", "b"} {
			evs := messages(id, uint64(i*2), 2, fmt.Sprintf("%s-%d", id, i))
			require.NoError(t, st.Append(ctx, id, uint64(i*2), evs))
			for _, ev := range evs {
				require.Greater(t, ev.Position, last, "positions grow with every append")
				last = ev.Position
			}
		}
	}
	a, err := st.Load(ctx, "a")
	require.NoError(t, err)
	require.Len(t, a, 10)
	for i := 1; i < len(a); i++ {
		assert.Greater(t, a[i].Position, a[i-1].Position, "Load keeps the positions")
	}
	l := logOf(t, st)
	all, err := l.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, all, 20)
	page, err := l.ReadAll(ctx, all[4].Position, 3)
	require.NoError(t, err)
	requireSameEvents(t, all[5:8], page, "ReadAll(after, limit) pages from after")
	rest, err := l.ReadAll(ctx, all[19].Position, 10)
	require.NoError(t, err)
	assert.Empty(t, rest)
}

func testExpectedVersion(t *testing.T, st interaction.Store) {
	require.NoError(t, st.Append(ctx, "chat", 0, messages("chat", 0, 3, "c1")))
	for _, expected := range []uint64{0, 2, 4, 10} {
		err := st.Append(ctx, "chat", expected, messages("chat", expected, 1, fmt.Sprint("late-", expected)))
		require.ErrorIsf(t, err, interaction.ErrConflict, "stream at 3, expected %d", expected)
		var e *interaction.Error
		require.ErrorAs(t, err, &e, "errors are *interaction.Error")
	}
	err := st.Append(ctx, "other", 1, messages("other", 1, 1, "x"))
	require.ErrorIs(t, err, interaction.ErrConflict, "an interaction that does not exist is at version 0")
	loaded, err := st.Load(ctx, "chat")
	require.NoError(t, err)
	assert.Equal(t, []string{"c1", "c1", "c1"}, causes(loaded), "nothing written")
	other, err := st.Load(ctx, "other")
	require.NoError(t, err)
	assert.Empty(t, other)
}

func testOutOfSequence(t *testing.T, st interaction.Store) {
	require.NoError(t, st.Append(ctx, "chat", 0, messages("chat", 0, 2, "c1")))
	gap := messages("chat", 2, 3, "c2")
	gap[1].Version = 9
	require.ErrorIs(t, st.Append(ctx, "chat", 2, gap), interaction.ErrBadInput, "versions must follow expected")
	wrong := messages("chat", 2, 2, "c3")
	wrong[1].Interaction = "elsewhere"
	require.ErrorIs(t, st.Append(ctx, "chat", 2, wrong), interaction.ErrBadInput, "events of another interaction")
	loaded, err := st.Load(ctx, "chat")
	require.NoError(t, err)
	assert.Len(t, loaded, 2, "nothing written")
	require.NoError(t, st.Append(ctx, "chat", 2, messages("chat", 2, 1, "c4")), "the stream is still writable")
}

func testEmptyAppend(t *testing.T, st interaction.Store) {
	require.NoError(t, st.Append(ctx, "chat", 0, nil))
	loaded, err := st.Load(ctx, "chat")
	require.NoError(t, err)
	assert.Empty(t, loaded)
}

func testCancelled(t *testing.T, st interaction.Store) {
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.Error(t, st.Append(cancelled, "chat", 0, messages("chat", 0, 1, "c1")))
	_, err := st.Load(cancelled, "chat")
	require.Error(t, err)
	loaded, err := st.Load(ctx, "chat")
	require.NoError(t, err)
	assert.Empty(t, loaded)
	require.NoError(t, st.Append(ctx, "chat", 0, messages("chat", 0, 1, "c1")))
}

// A command's events are written once: a second Append led by the same
// Cause (a retry decided on a state that already held the command) is a
// conflict, so the caller reloads and finds the command done.
func testCommandOnce(t *testing.T, st interaction.Store) {
	require.NoError(t, st.Append(ctx, "chat", 0, messages("chat", 0, 2, "cmd-1")))
	require.NoError(t, st.Append(ctx, "chat", 2, messages("chat", 2, 1, "cmd-2")))
	again := messages("chat", 3, 2, "cmd-1")
	require.ErrorIs(t, st.Append(ctx, "chat", 3, again), interaction.ErrConflict)
	// Uncaused events (written by tools, not commands) are not guarded.
	require.NoError(t, st.Append(ctx, "chat", 3, messages("chat", 3, 1, "")))
	require.NoError(t, st.Append(ctx, "chat", 4, messages("chat", 4, 1, "")))
	// The same command ID in another interaction is another command.
	require.NoError(t, st.Append(ctx, "other", 0, messages("other", 0, 1, "cmd-1")))
	loaded, err := st.Load(ctx, "chat")
	require.NoError(t, err)
	assert.Equal(t, []string{"cmd-1", "cmd-1", "cmd-2", "", ""}, causes(loaded))

	// A long interaction (300 commands, IDs in no order) still knows each
	// of its commands, whatever the store keeps to find them.
	const long = 300
	for i := 0; i < long; i++ {
		require.NoError(t, st.Append(ctx, "long", uint64(i), messages("long", uint64(i), 1, fmt.Sprintf("c%03d", i*7919%long))))
	}
	for i := 0; i < long; i += 7 {
		require.ErrorIs(t, st.Append(ctx, "long", long, messages("long", long, 1, fmt.Sprintf("c%03d", i))), interaction.ErrConflict, "command c%03d again", i)
	}
	require.NoError(t, st.Append(ctx, "long", long, messages("long", long, 1, "c-new")))
}

// Two (here: eight) saves racing on the same stream at the same version:
// exactly one wins, the others get ErrConflict, and the stream holds the
// winner's events only. Never a fork.
func testRacingSaves(t *testing.T, st interaction.Store) {
	const writers, rounds = 8, 20
	var version uint64
	for round := 0; round < rounds; round++ {
		start := make(chan struct{})
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[w] = st.Append(ctx, "contested", version, messages("contested", version, 1+w%3, fmt.Sprintf("r%d-w%d", round, w)))
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for w, err := range errs {
			if err == nil {
				require.Equalf(t, -1, winner, "round %d: writers %d and %d both won", round, winner, w)
				winner = w
				continue
			}
			require.ErrorIsf(t, err, interaction.ErrConflict, "round %d writer %d", round, w)
		}
		require.NotEqualf(t, -1, winner, "round %d: nobody won", round)
		n := uint64(1 + winner%3)
		loaded, err := st.Load(ctx, "contested")
		require.NoError(t, err)
		require.Len(t, loaded, int(version+n))
		for _, ev := range loaded[version:] {
			require.Equal(t, fmt.Sprintf("r%d-w%d", round, winner), ev.Cause, "only the winner's events")
		}
		version += n
	}
	loaded, err := st.Load(ctx, "contested")
	require.NoError(t, err)
	for i, ev := range loaded {
		require.Equal(t, uint64(i+1), ev.Version, "one version, one event")
	}
}

// appendWithRetry appends n events to id, reloading on conflict, as a
// Service would. It returns the events as written.
func appendWithRetry(st interaction.Store, id interaction.ID, n int, cause string) ([]interaction.Event, error) {
	for {
		cur, err := st.Load(ctx, id)
		if err != nil {
			return nil, err
		}
		evs := messages(id, uint64(len(cur)), n, cause)
		err = st.Append(ctx, id, uint64(len(cur)), evs)
		if errors.Is(err, interaction.ErrConflict) {
			continue
		}
		return evs, err
	}
}

// Many writers on a few shared streams: every event is in the Log once,
// positions strictly grow, and each stream's events appear in the Log in
// version order (the Log's order is a commit order).
func testConcurrentLog(t *testing.T, st interaction.Store) {
	l := logOf(t, st)
	const writers, appends = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < appends; i++ {
				id := interaction.ID(fmt.Sprintf("s%d", (w+i)%5))
				if _, err := appendWithRetry(st, id, 1+i%3, fmt.Sprintf("w%d-%d", w, i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	all, err := l.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	total := 0
	for s := 0; s < 5; s++ {
		loaded, err := st.Load(ctx, interaction.ID(fmt.Sprintf("s%d", s)))
		require.NoError(t, err)
		total += len(loaded)
	}
	require.Len(t, all, total, "every event once in the Log")
	next := map[interaction.ID]uint64{}
	for i, ev := range all {
		if i > 0 {
			require.Greater(t, ev.Position, all[i-1].Position)
		}
		next[ev.Interaction]++
		require.Equal(t, next[ev.Interaction], ev.Version, "a stream's events appear in version order")
	}
}

// PRIOR-ART.md: a reader that follows a position sequence skips rows when
// transactions commit out of position order. Here a reader polls ReadAll
// from its last position while writers commit, and must end up with every
// event, each once, in order.
func testReaderNeverSkips(t *testing.T, st interaction.Store) {
	l := logOf(t, st)
	const writers, appends = 8, 30
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < appends; i++ {
				id := interaction.ID(fmt.Sprintf("w%d-%d", w, i%4))
				if _, err := appendWithRetry(st, id, 1+(w+i)%4, fmt.Sprintf("w%d-%d", w, i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	var seen []interaction.Event
	var after uint64
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		page, err := l.ReadAll(ctx, after, 7)
		require.NoError(t, err)
		for _, ev := range page {
			require.Greater(t, ev.Position, after)
			after = ev.Position
		}
		seen = append(seen, page...)
		if finished && len(page) == 0 {
			break
		}
	}
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	all, err := l.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	require.Equal(t, positions(all), positions(seen), "the polling reader saw every event")
}

func positions(events []interaction.Event) []uint64 {
	out := make([]uint64, len(events))
	for i := range events {
		out[i] = events[i].Position
	}
	return out
}

// DoCommand's exactly-once promise across two Services (two instances) on
// one store: instance b's cache has moved past a command that instance a
// committed (it conflicted and reloaded on its own command), and then the
// client's retry of a's command reaches b. Without the store refusing a
// second append of the same command, b would decide the Post again on its
// cache and write the message twice.
func testDoCommandAcrossInstances(t *testing.T, st interaction.Store) {
	clock := chatconsulttest.NewManualClock()
	a := interaction.NewService(interaction.WithStore(st), interaction.WithClock(clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("a-")), interaction.WithNotifier(interaction.NopNotifier{}))
	b := interaction.NewService(interaction.WithStore(st), interaction.WithClock(clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("b-")), interaction.WithNotifier(interaction.NopNotifier{}))

	id, err := a.Open(ctx, "contact", "hello")
	require.NoError(t, err)
	require.NoError(t, a.Assign(ctx, id, interaction.System, "agent1"))
	require.NoError(t, a.Join(ctx, id, "agent1"))
	_, err = b.State(ctx, id) // b caches the chat
	require.NoError(t, err)

	first, err := a.DoCommand(ctx, id, "contact", "client-cmd-7", interaction.Post{Text: "where is my parcel?"})
	require.NoError(t, err)
	require.NoError(t, b.Post(ctx, id, "agent1", "checking")) // conflicts, reloads, now past client-cmd-7

	again, err := b.DoCommand(ctx, id, "contact", "client-cmd-7", interaction.Post{Text: "where is my parcel?"})
	require.NoError(t, err)
	requireSameEvents(t, first, again, "the retry returns what the command caused")
	again, err = a.DoCommand(ctx, id, "contact", "client-cmd-7", interaction.Post{Text: "where is my parcel?"})
	require.NoError(t, err)
	requireSameEvents(t, first, again, "also on the instance that ran it")

	loaded, err := st.Load(ctx, id)
	require.NoError(t, err)
	n := 0
	for _, ev := range loaded {
		if ev.Cause == "client-cmd-7" {
			n++
		}
	}
	assert.Equal(t, len(first), n, "the command's events are in the stream exactly once")
	_, err = interaction.Rebuild(loaded)
	require.NoError(t, err, "the stream is a valid history")
}
