package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
)

// NewStores returns n stores on one fresh, empty database: n instances of
// a service (for the MemoryStore, the same store n times; for a database,
// n Stores with a connection pool each, on one schema). It arranges for
// their cleanup through t.
type NewStores func(t *testing.T, n int) []interaction.Store

// TestOpenLister runs the conformance suite of the open-interactions index
// (interaction.OpenLister): what is listed, in which order, page by page;
// that every instance on one database lists the same; and that the index
// moves only with the appends that succeed, atomically with them. Each
// subtest gets its own database from newStores.
func TestOpenLister(t *testing.T, newStores NewStores) {
	tests := []struct {
		name string
		run  func(*testing.T, NewStores)
	}{
		{"OpenedInteractionIsListed", testOpenedListed},
		{"ClosedInteractionIsNotListed", testClosedNotListed},
		{"OpenedAndClosedInOneAppendIsNeverListed", testOpenedAndClosed},
		{"PagesInIDOrder", testOpenPaging},
		{"InstancesOnOneDatabaseListTheSame", testOpenAcrossInstances},
		{"FailedAppendChangesNothing", testOpenFailedAppend},
		{"RacingAppendsOnlyTheWinnerCounts", testOpenRacing},
		{"IndexMatchesTheLogUnderConcurrentWriters", testOpenMatchesLog},
		{"ServiceRecoverLoadsTheOpenInteractionsOnly", testServiceRecover},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStores) })
	}
}

func listerOf(t *testing.T, st interaction.Store) interaction.OpenLister {
	t.Helper()
	l, ok := st.(interaction.OpenLister)
	if !ok {
		t.Skipf("%T does not implement interaction.OpenLister", st)
	}
	return l
}

func one(t *testing.T, newStores NewStores) (interaction.Store, interaction.OpenLister) {
	t.Helper()
	st := newStores(t, 1)[0]
	return st, listerOf(t, st)
}

// listAll reads every page of l (pages of size page) and checks that
// each page is in ascending order and follows the one before.
func listAll(t *testing.T, l interaction.OpenLister, page int) []interaction.ID {
	t.Helper()
	var out []interaction.ID
	var after interaction.ID
	for i := 0; ; i++ {
		require.Less(t, i, 10000, "paging does not end")
		ids, err := l.OpenInteractions(ctx, after, page)
		require.NoError(t, err)
		if page > 0 {
			require.LessOrEqual(t, len(ids), page, "a page holds at most limit IDs")
		}
		if len(ids) == 0 {
			return out
		}
		for _, id := range ids {
			require.Greater(t, id, after, "IDs ascend, each after the one before")
			after = id
		}
		out = append(out, ids...)
		if page <= 0 {
			rest, err := l.OpenInteractions(ctx, after, 0)
			require.NoError(t, err)
			require.Empty(t, rest, "no limit: one page holds them all")
			return out
		}
	}
}

func list(t *testing.T, l interaction.OpenLister) []interaction.ID {
	t.Helper()
	return listAll(t, l, 0)
}

// opening returns the first event of a stream; closing the event that
// closes it, at version v (what the aggregate writes at the last mark done).
func opening(id interaction.ID, cause string) interaction.Event {
	return interaction.Event{Interaction: id, Version: 1, Time: baseTime, Actor: "contact", Cause: cause,
		Type: interaction.EventOpened, Party: "contact", Role: interaction.RoleContact}
}

func closing(id interaction.ID, v uint64, cause string) interaction.Event {
	return interaction.Event{Interaction: id, Version: v, Time: baseTime.Add(time.Second), Actor: "agent1", Cause: cause,
		Type: interaction.EventStatus, From: string(interaction.StatusEnded), To: string(interaction.StatusClosed), Trigger: "close"}
}

// open appends the opening event of id (and n messages).
func open(t *testing.T, st interaction.Store, id interaction.ID, n int) {
	t.Helper()
	evs := append([]interaction.Event{opening(id, "open-"+string(id))}, messages(id, 1, n, "post-"+string(id))...)
	for i := range evs[1:] {
		evs[1+i].Cause = evs[0].Cause
	}
	require.NoError(t, st.Append(ctx, id, 0, evs))
}

// closeAt appends the closing event of id, which is at version v.
func closeAt(t *testing.T, st interaction.Store, id interaction.ID, v uint64) {
	t.Helper()
	require.NoError(t, st.Append(ctx, id, v, []interaction.Event{closing(id, v+1, "close-"+string(id))}))
}

func ids(s ...string) []interaction.ID {
	out := make([]interaction.ID, len(s))
	for i := range s {
		out[i] = interaction.ID(s[i])
	}
	return out
}

func testOpenedListed(t *testing.T, newStores NewStores) {
	st, l := one(t, newStores)
	got, err := l.OpenInteractions(ctx, "", 10)
	require.NoError(t, err)
	assert.Empty(t, got, "an empty store lists nothing")

	open(t, st, "chat-1", 0)
	assert.Equal(t, ids("chat-1"), list(t, l), "listed from its first event")
	// The index is about the stream, not the event types: a stream whose
	// first append holds no opening event is open as well.
	require.NoError(t, st.Append(ctx, "chat-2", 0, messages("chat-2", 0, 2, "x")))
	require.NoError(t, st.Append(ctx, "chat-1", 1, messages("chat-1", 1, 3, "y")))
	assert.Equal(t, ids("chat-1", "chat-2"), list(t, l), "more events keep it listed, once")
}

func testClosedNotListed(t *testing.T, newStores NewStores) {
	st, l := one(t, newStores)
	for _, id := range ids("a", "b", "c") {
		open(t, st, id, 2)
	}
	closeAt(t, st, "b", 3)
	assert.Equal(t, ids("a", "c"), list(t, l))

	// Events that only look like an ending do not close: a status change
	// to ended, a leg or a party closing.
	require.NoError(t, st.Append(ctx, "a", 3, []interaction.Event{
		{Interaction: "a", Version: 4, Type: interaction.EventStatus, From: string(interaction.StatusActive), To: string(interaction.StatusEnded)},
		{Interaction: "a", Version: 5, Type: interaction.EventLeg, From: "active", To: string(interaction.StatusClosed)},
		{Interaction: "a", Version: 6, Type: interaction.EventMembership, Party: "agent1", To: string(interaction.StatusClosed)},
	}))
	assert.Equal(t, ids("a", "c"), list(t, l), "only an EventStatus to closed closes")

	// The close in the middle of an append closes too; closed is final:
	// events appended after it (no command writes any) do not reopen.
	evs := messages("c", 3, 3, "end-c")
	evs[1] = closing("c", 5, "end-c")
	require.NoError(t, st.Append(ctx, "c", 3, evs))
	require.NoError(t, st.Append(ctx, "c", 6, messages("c", 6, 1, "")))
	require.NoError(t, st.Append(ctx, "b", 4, messages("b", 4, 1, "")))
	assert.Equal(t, ids("a"), list(t, l))
}

func testOpenedAndClosed(t *testing.T, newStores NewStores) {
	st, l := one(t, newStores)
	require.NoError(t, st.Append(ctx, "brief", 0, []interaction.Event{opening("brief", "c1"), closing("brief", 2, "c1")}))
	open(t, st, "other", 0)
	assert.Equal(t, ids("other"), list(t, l))
	loaded, err := st.Load(ctx, "brief")
	require.NoError(t, err)
	assert.Len(t, loaded, 2, "the events are stored all the same")
}

// Pages reassemble the whole list in ascending byte order, whatever the
// order of creation; a page may start after any ID, listed or not.
func testOpenPaging(t *testing.T, newStores NewStores) {
	st, l := one(t, newStores)
	// Prefixes, digits after letters, upper case, multi-byte runes: byte
	// order (Go's string order), not a locale's collation.
	names := []string{"b", "a-10", "a-2", "a", "ab", "B", "Z9", "é", "e", "ü-1", "zz", "a-1", "0", "_x", "~",
		"chat-7", "chat-30", "chat-4", "日本", "ä", "A", "bb", "ba", "c", "ç"}
	var want []interaction.ID
	for i, n := range names {
		id := interaction.ID(n)
		open(t, st, id, i%3)
		if i%4 == 3 {
			closeAt(t, st, id, uint64(1+i%3))
			continue
		}
		want = append(want, id)
	}
	slices.Sort(want)
	for _, page := range []int{1, 2, 3, 7, len(want) - 1, len(want), len(want) + 1, 1000, 0, -1} {
		assert.Equalf(t, want, listAll(t, l, page), "pages of %d", page)
	}
	got, err := l.OpenInteractions(ctx, want[4], 3)
	require.NoError(t, err)
	assert.Equal(t, want[5:8], got, "after an ID: the ones after it")
	for _, after := range ids("a", "aa", "") { // closed, never written, the start
		got, err = l.OpenInteractions(ctx, after, 0)
		require.NoError(t, err)
		assert.Equalf(t, filterAfter(want, after), got, "after %q", after)
	}
	got, err = l.OpenInteractions(ctx, want[len(want)-1], 5)
	require.NoError(t, err)
	assert.Empty(t, got, "after the last: nothing")
}

func filterAfter(list []interaction.ID, after interaction.ID) []interaction.ID {
	var out []interaction.ID
	for _, id := range list {
		if id > after {
			out = append(out, id)
		}
	}
	return out
}

// Whatever another instance or a restarted process needs is in the
// Store: every instance on one database lists the same interactions,
// whichever wrote them.
func testOpenAcrossInstances(t *testing.T, newStores NewStores) {
	stores := newStores(t, 3)
	a, b, c := stores[0], stores[1], stores[2]
	la, lb, lc := listerOf(t, a), listerOf(t, b), listerOf(t, c)
	open(t, a, "on-a", 1)
	open(t, b, "on-b", 1)
	open(t, c, "on-c", 1)
	closeAt(t, b, "on-a", 2) // closed by another instance than the one that opened it
	want := ids("on-b", "on-c")
	assert.Equal(t, want, list(t, la))
	assert.Equal(t, want, list(t, lb))
	assert.Equal(t, want, list(t, lc))
	assert.Equal(t, want, listAll(t, lc, 1), "paged")
}

// An append that fails changes nothing in the index: the index is written
// with the events or not at all.
func testOpenFailedAppend(t *testing.T, newStores NewStores) {
	st, l := one(t, newStores)
	open(t, st, "live", 2)    // v3
	open(t, st, "done", 0)    // v1
	closeAt(t, st, "done", 1) // v2, closed
	require.Equal(t, ids("live"), list(t, l))

	// A close at a stale version.
	err := st.Append(ctx, "live", 2, []interaction.Event{closing("live", 3, "late-close")})
	require.ErrorIs(t, err, interaction.ErrConflict)
	// A close led by a command the stream already holds (a retry).
	err = st.Append(ctx, "live", 3, []interaction.Event{closing("live", 4, "open-live")})
	require.ErrorIs(t, err, interaction.ErrConflict)
	// A close out of sequence.
	bad := []interaction.Event{closing("live", 9, "bad")}
	require.ErrorIs(t, st.Append(ctx, "live", 3, bad), interaction.ErrBadInput)
	// A close with a cancelled context.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.Error(t, st.Append(cancelled, "live", 3, []interaction.Event{closing("live", 4, "cancelled")}))
	assert.Equal(t, ids("live"), list(t, l), "still open after every failed close")

	// Openings that fail: over a closed stream, at a version a new stream
	// is not at, with a cancelled context.
	require.ErrorIs(t, st.Append(ctx, "done", 0, []interaction.Event{opening("done", "again")}), interaction.ErrConflict)
	require.ErrorIs(t, st.Append(ctx, "never", 1, messages("never", 1, 1, "x")), interaction.ErrConflict)
	require.Error(t, st.Append(cancelled, "cancelled", 0, []interaction.Event{opening("cancelled", "c")}))
	wrong := []interaction.Event{opening("misfiled", "m")}
	wrong[0].Interaction = "elsewhere"
	require.ErrorIs(t, st.Append(ctx, "misfiled", 0, wrong), interaction.ErrBadInput)
	assert.Equal(t, ids("live"), list(t, l), "no failed opening is listed")

	// The stream is still writable, and its close still counts.
	closeAt(t, st, "live", 3)
	assert.Empty(t, list(t, l))
}

// Writers racing at one version, some closing and some not, on streams
// that some racers open: the index follows the winner of each race only.
// (A group-committing store puts the racers in one transaction: the
// losers' events must not touch the index either.)
func testOpenRacing(t *testing.T, newStores NewStores) {
	stores := newStores(t, 2)
	l := listerOf(t, stores[0])
	const writers, rounds = 8, 12
	for round := 0; round < rounds; round++ {
		id := interaction.ID(fmt.Sprintf("race-%02d", round))
		// Round r: every writer opens the stream (half of them closing it
		// in the same append), so exactly one opening wins.
		errs := make([]error, writers)
		closers := make([]bool, writers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			closers[w] = (w+round)%2 == 0
			wg.Add(1)
			go func() {
				defer wg.Done()
				cause := fmt.Sprintf("r%d-w%d", round, w)
				evs := []interaction.Event{opening(id, cause)}
				if closers[w] {
					evs = append(evs, closing(id, 2, cause))
				}
				<-start
				errs[w] = stores[w%2].Append(ctx, id, 0, evs)
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for w, err := range errs {
			if err == nil {
				require.Equal(t, -1, winner, "two openings won")
				winner = w
				continue
			}
			require.ErrorIs(t, err, interaction.ErrConflict)
		}
		require.NotEqual(t, -1, winner)
		listed := slices.Contains(list(t, l), id)
		assert.Equalf(t, !closers[winner], listed, "round %d: the winner (closing: %v) decides", round, closers[winner])
		if closers[winner] {
			continue
		}
		// Then every writer tries to close it (or post) at version 1.
		for w := 0; w < writers; w++ {
			closers[w] = (w+round)%3 == 0
		}
		start = make(chan struct{})
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cause := fmt.Sprintf("r%d-close-w%d", round, w)
				ev := messages(id, 1, 1, cause)[0]
				if closers[w] {
					ev = closing(id, 2, cause)
				}
				<-start
				errs[w] = stores[w%2].Append(ctx, id, 1, []interaction.Event{ev})
			}()
		}
		close(start)
		wg.Wait()
		winner = -1
		for w, err := range errs {
			if err == nil {
				require.Equal(t, -1, winner, "two appends won")
				winner = w
				continue
			}
			require.ErrorIs(t, err, interaction.ErrConflict)
		}
		require.NotEqual(t, -1, winner)
		assert.Equalf(t, !closers[winner], slices.Contains(list(t, l), id), "round %d: the winner (closing: %v) decides", round, closers[winner])
	}
}

// Many writers on several instances open, write to and close
// interactions; the index then holds exactly the interactions whose
// stream holds no close, as the Log and Load tell, on every instance.
func testOpenMatchesLog(t *testing.T, newStores NewStores) {
	stores := newStores(t, 3)
	const writers, chats = 6, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := stores[w%len(stores)]
			for i := 0; i < chats; i++ {
				id := interaction.ID(fmt.Sprintf("w%d-chat-%d", w, i))
				if err := st.Append(ctx, id, 0, []interaction.Event{opening(id, "open")}); err != nil {
					errs <- err
					return
				}
				// Other writers post into this writer's earlier chats, so
				// appends race on streams; some chats are closed.
				for k := 0; k < 3; k++ {
					other := interaction.ID(fmt.Sprintf("w%d-chat-%d", (w+k)%writers, i/2))
					if err := appendCausedRetry(st, other, fmt.Sprintf("w%d-%d-%d", w, i, k), false); err != nil {
						errs <- err
						return
					}
				}
				if i%3 == 1 {
					if err := appendCausedRetry(st, id, fmt.Sprintf("close-%s", id), true); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var want []interaction.ID
	var all []interaction.ID
	for w := 0; w < writers; w++ {
		for i := 0; i < chats; i++ {
			id := interaction.ID(fmt.Sprintf("w%d-chat-%d", w, i))
			all = append(all, id)
			loaded, err := stores[0].Load(ctx, id)
			require.NoError(t, err)
			require.NotEmpty(t, loaded)
			if !interaction.Closes(loaded) {
				want = append(want, id)
			}
		}
	}
	slices.Sort(want)
	require.NotEmpty(t, want)
	require.Less(t, len(want), len(all), "some are closed")
	for i, st := range stores {
		assert.Equalf(t, want, listAll(t, listerOf(t, st), 7), "instance %d", i)
	}
	if lg, ok := stores[0].(interaction.Log); ok {
		events, err := lg.ReadAll(ctx, 0, 0)
		require.NoError(t, err)
		closed := map[interaction.ID]bool{}
		seen := map[interaction.ID]bool{}
		for _, ev := range events {
			seen[ev.Interaction] = true
			if interaction.Closes([]interaction.Event{ev}) {
				closed[ev.Interaction] = true
			}
		}
		var fromLog []interaction.ID
		for id := range seen {
			if !closed[id] {
				fromLog = append(fromLog, id)
			}
		}
		slices.Sort(fromLog)
		assert.Equal(t, want, fromLog, "the index is what the Log tells")
	}
}

// appendCausedRetry appends one event to id (a close, or a message) and
// decides again on conflict, as a Service does. A stream that is closed
// already gets nothing (no command writes after the close).
func appendCausedRetry(st interaction.Store, id interaction.ID, cause string, closes bool) error {
	for {
		cur, err := st.Load(ctx, id)
		if err != nil {
			return err
		}
		if len(cur) == 0 || interaction.Closes(cur) {
			return nil
		}
		v := uint64(len(cur))
		ev := messages(id, v, 1, cause)[0]
		if closes {
			ev = closing(id, v+1, cause)
		}
		err = st.Append(ctx, id, v, []interaction.Event{ev})
		if errors.Is(err, interaction.ErrConflict) {
			continue
		}
		return err
	}
}

// The aggregate's own close (every agent marked done, R-C8) takes an
// interaction out of the index, and a Service started on the store
// (another instance, or this one restarted) recovers the open ones only,
// reading each once.
func testServiceRecover(t *testing.T, newStores NewStores) {
	stores := newStores(t, 2)
	listerOf(t, stores[0])
	clock := chatconsulttest.NewManualClock()
	first := interaction.NewService(interaction.WithStore(stores[0]), interaction.WithClock(clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("chat-")), interaction.WithNotifier(interaction.NopNotifier{}))
	var want []interaction.ID
	for i := 0; i < 5; i++ {
		id, err := first.Open(ctx, interaction.PartyID(fmt.Sprintf("contact%d", i)), "hello")
		require.NoError(t, err)
		require.NoError(t, first.Assign(ctx, id, interaction.System, "agent1"))
		require.NoError(t, first.Join(ctx, id, "agent1"))
		if i%2 == 1 {
			require.NoError(t, first.EndSession(ctx, id, "agent1"))
			require.NoError(t, first.MarkDone(ctx, id, "agent1"))
			st, err := first.State(ctx, id)
			require.NoError(t, err)
			require.Equal(t, interaction.StatusClosed, st.Status)
			continue
		}
		want = append(want, id)
	}
	assert.Equal(t, want, list(t, listerOf(t, stores[0])))

	restarted := interaction.NewService(interaction.WithStore(stores[1]), interaction.WithClock(clock),
		interaction.WithNotifier(interaction.NopNotifier{}))
	var got []interaction.ID
	n, err := restarted.Recover(ctx, func(st *interaction.State) {
		assert.NotEqual(t, interaction.StatusClosed, st.Status)
		got = append(got, st.ID)
	})
	require.NoError(t, err)
	assert.Equal(t, len(want), n, "it loads the open interactions, not all")
	assert.Equal(t, want, got)
	assert.Equal(t, len(want), restarted.Cached(), "and keeps them in its cache")
}
