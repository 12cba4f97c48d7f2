package pgstore_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/pgstore"
	"github.com/chatconsult/chatconsult/routing"
)

// deadlineDesk is one instance whose consult.Service fires the deadlines
// of the Store's table (consult.WithDeadlines), on a manual clock of its
// own: agent1 owns chats; agent2 and agent3 have the skill billing, one
// offer at a time.
type deadlineDesk struct {
	store    *pgstore.Store
	listener *pgstore.Listener
	clock    *chatconsulttest.ManualClock
	chats    *interaction.Service
	svc      *consult.Service
	told     *told
}

type told struct {
	mu sync.Mutex
	n  int
}

func (t *told) add(context.Context, consult.Exhausted) { t.mu.Lock(); t.n++; t.mu.Unlock() }

func newDeadlineDesk(t testing.TB, store *pgstore.Store, listener *pgstore.Listener, prefix string) *deadlineDesk {
	d := &deadlineDesk{store: store, listener: listener, clock: chatconsulttest.NewManualClock(), told: &told{}}
	dir := routing.NewDirectory(routing.WithClock(d.clock))
	var n interaction.Notifier = dir
	if listener != nil {
		n = interaction.Notifiers{dir, listener}
	}
	d.chats = interaction.NewService(interaction.WithStore(store), interaction.WithClock(d.clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs(prefix)), interaction.WithNotifier(n))
	d.svc = consult.New(d.chats, consult.WithRouter(dir), consult.WithInviteTimeout(30*time.Second),
		consult.WithDeadlines(store.Deadlines()), consult.WithExhaustedHandler(d.told.add))
	for _, a := range []interaction.PartyID{"agent1", "agent2", "agent3"} {
		skills := map[string]int{"billing": 1}
		if a == "agent1" {
			skills = nil
		}
		d.clock.Advance(time.Second)
		if err := dir.Put(routing.Agent{ID: a, Skills: skills}); err != nil {
			panic(err)
		}
		if err := dir.SetPresence(ctx, a, routing.Ready); err != nil {
			panic(err)
		}
	}
	return d
}

// countDeadlines is the number of rows in the table of deadlines.
func countDeadlines(t testing.TB, store *pgstore.Store) int {
	t.Helper()
	n, err := store.Deadlines().Len(ctx)
	require.NoError(t, err)
	return n
}

// firedIn counts, per deadline command, the appends that carry it.
func firedIn(events []interaction.Event) map[string]int {
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

// Issue 13: the table of deadlines follows the log, in the transaction of
// each append: an invitation with a deadline adds a row; its answer, its
// cancel or the end of the session deletes it.
func TestDeadlinesTableFollowsTheLog(t *testing.T) {
	s := newSchema(t)
	store := newStore(t, s.pool(t, nil))
	d := newDeadlineDesk(t, store, nil, "t-")
	id := activeChat(t, d.chats)
	leg, err := d.svc.Start(ctx, id, "agent1", interaction.Target{ID: "agent2"}, interaction.MediumChat)
	require.NoError(t, err)
	require.Equal(t, 1, countDeadlines(t, store))
	st, err := d.chats.State(ctx, id)
	require.NoError(t, err)
	next, ok, err := store.Deadlines().Next(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	assert.True(t, st.Leg(leg).Deadline.Equal(next), "the row's due time is the leg's deadline")
	require.NoError(t, d.svc.Accept(ctx, id, "agent2", leg))
	assert.Zero(t, countDeadlines(t, store), "answered: its row is gone")

	_, err = d.svc.Start(ctx, id, "agent1", interaction.Target{ID: "agent3"}, interaction.MediumIM)
	require.NoError(t, err)
	_, err = d.svc.TransferTo(ctx, id, "agent1", billing)
	require.Error(t, err, "agent2 and agent3 are in the chat: nobody of billing is left")
	assert.Equal(t, 1, countDeadlines(t, store))
	require.NoError(t, d.chats.EndSession(ctx, id, "agent1"))
	assert.Zero(t, countDeadlines(t, store), "the session ended: every invitation with it (R-C7)")
}

// Issue 13: deadlines claimed by several instances at once are claimed by
// one each (SELECT … FOR UPDATE SKIP LOCKED); a claim whose instance died
// is claimed again once its lease ran out.
func TestDeadlineClaimsAreExclusive(t *testing.T) {
	s := newSchema(t)
	store := newStore(t, s.pool(t, nil))
	d := newDeadlineDesk(t, store, nil, "c-")
	const chats = 40
	for i := 0; i < chats; i++ {
		id := activeChat(t, d.chats)
		_, err := d.chats.Do(ctx, id, "agent1", consult.Start{Leg: "leg", Target: interaction.Target{ID: "agent2"}, Invitee: "agent2", Timeout: time.Second})
		require.NoError(t, err)
	}
	require.Equal(t, chats, countDeadlines(t, store))
	now := d.clock.Now().Add(time.Minute)
	var mu sync.Mutex
	seen := map[interaction.ID]int{}
	var wg sync.WaitGroup
	for c := 0; c < 4; c++ {
		q := newStore(t, s.pool(t, nil)).Deadlines() // an instance of its own
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := q.Claim(ctx, now, time.Minute, 3)
				if !assert.NoError(t, err) || len(got) == 0 {
					return
				}
				mu.Lock()
				for _, dl := range got {
					seen[dl.Interaction]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Len(t, seen, chats, "every deadline claimed")
	for id, n := range seen {
		require.Equal(t, 1, n, "%s claimed by one instance", id)
	}
	again, err := store.Deadlines().Claim(ctx, now, time.Minute, 0)
	require.NoError(t, err)
	assert.Empty(t, again, "claimed: not again during the lease")
	next, ok, err := store.Deadlines().Next(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	assert.True(t, next.Equal(now.Add(time.Minute)), "next is the end of the leases, %s", next)
	again, err = store.Deadlines().Claim(ctx, now.Add(time.Minute), time.Minute, 0)
	require.NoError(t, err)
	assert.Len(t, again, chats, "the claimers died: claimed again once the lease ran out")
}

// helperEnv selects the helper mode of TestDeadlineHelperProcess.
const helperEnv = "PGSTORE_DEADLINE_HELPER"

// TestDeadlineHelperProcess is not a test: it is the instance the kill test
// runs as a child process (the test binary again, with helperEnv set).
//
//   - "invite <schema>": open a chat, invite the skill billing, print
//     "HELPER invited <interaction> <leg>", then wait to be killed.
//   - "resume <schema>": start, resume the deadlines, run the clock an
//     hour on, print "HELPER resumed", exit.
func TestDeadlineHelperProcess(t *testing.T) {
	mode, schemaName, ok := strings.Cut(os.Getenv(helperEnv), " ")
	if !ok {
		t.Skip("helper process for TestRX1KilledInstanceDeadlineFiresOnceElsewhere")
	}
	s := &schema{url: databaseURL(t), name: schemaName}
	store := newStore(t, s.pool(t, nil))
	listener := store.Listen()
	defer listener.Close()
	d := newDeadlineDesk(t, store, listener, mode+"-")
	switch mode {
	case "invite":
		id := activeChat(t, d.chats)
		leg, err := d.svc.Start(ctx, id, "agent1", billing, interaction.MediumChat)
		require.NoError(t, err)
		fmt.Printf("HELPER invited %s %s\n", id, leg)
		_ = os.Stdout.Sync()
		time.Sleep(time.Hour) // until killed
	case "resume":
		require.NoError(t, d.svc.Resume(ctx))
		d.clock.Advance(time.Hour)
		fmt.Println("HELPER resumed")
	}
}

// helper runs the test binary as a child instance in mode and returns it
// with its stdout.
func helper(t *testing.T, s *schema, mode string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeadlineHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode+" "+s.name)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, bufio.NewScanner(out)
}

// line waits for the child's line starting with prefix.
func line(t *testing.T, out *bufio.Scanner, prefix string) string {
	t.Helper()
	for out.Scan() {
		if l := out.Text(); strings.HasPrefix(l, prefix) {
			return strings.TrimPrefix(l, prefix)
		}
	}
	t.Fatalf("the child ended without %q: %v", prefix, out.Err())
	return ""
}

// R-X1, issue 13, with a real process killed: a child instance invites the
// skill billing and is killed (SIGKILL) before the time-out. The other
// instance, woken by the child's commit, fires the deadline once from the
// table at its time and offers the invitation on to the next candidate.
// The killed instance restarts and resumes: the fired deadline does not
// fire again; the next one fires once, and the owner is told once that
// nobody is left.
func TestRX1KilledInstanceDeadlineFiresOnceElsewhere(t *testing.T) {
	s := newSchema(t)
	store := newStore(t, s.pool(t, nil))
	listener := store.Listen()
	t.Cleanup(listener.Close)
	other := newDeadlineDesk(t, store, listener, "other-")
	follow, stop := context.WithCancel(ctx)
	followed := make(chan struct{})
	go func() { defer close(followed); _ = other.svc.Scheduler().Follow(follow, listener) }()
	t.Cleanup(func() { stop(); <-followed; other.svc.Stop() })

	child, out := helper(t, s, "invite")
	var id interaction.ID
	var leg interaction.LegID
	_, err := fmt.Sscanf(line(t, out, "HELPER invited "), "%s %s", &id, &leg)
	require.NoError(t, err)
	require.NoError(t, child.Process.Signal(syscall.SIGKILL))
	_ = child.Wait()
	require.Equal(t, 1, countDeadlines(t, store), "the killed instance's deadline is in the table")

	events := requireValidHistory(t, store, id)
	st, err := interaction.Rebuild(events)
	require.NoError(t, err)
	due := st.Leg(leg).Deadline
	require.False(t, due.IsZero())
	waitUntil(t, "the other instance armed for the deadline", func() bool { return other.svc.Scheduler().Armed().Equal(due) })
	other.clock.Advance(due.Sub(other.clock.Now()) - time.Millisecond)
	require.Len(t, requireValidHistory(t, store, id), len(events), "nothing before the deadline")
	other.clock.Advance(time.Millisecond)
	events = requireValidHistory(t, store, id)
	st, err = interaction.Rebuild(events)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"deadline/" + string(leg) + "/leg": 1}, firedIn(events), "fired once, by the other instance")
	assert.Equal(t, interaction.LegTimedOut, st.Leg(leg).State)
	var next interaction.Leg
	for _, l := range st.Legs {
		if l.State == interaction.LegInviting {
			next = l
		}
	}
	require.Equal(t, interaction.PartyID("agent3"), next.Invitee, "offered on to the next candidate")
	require.Equal(t, 1, countDeadlines(t, store), "the fired row is gone, the new offer's is there")

	// The killed instance restarts and resumes: an hour on its clock.
	restarted, out := helper(t, s, "resume")
	line(t, out, "HELPER resumed")
	require.NoError(t, restarted.Wait())
	events = requireValidHistory(t, store, id)
	st, err = interaction.Rebuild(events)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"deadline/" + string(leg) + "/leg": 1, "deadline/" + string(next.ID) + "/leg": 1}, firedIn(events),
		"nothing fired twice")
	assert.Equal(t, interaction.LegTimedOut, st.Leg(next.ID).State)
	notPlaced := 0
	for _, m := range st.Messages {
		if m.Notice != nil && m.Notice.Code == interaction.NoticeNotPlaced {
			notPlaced++
		}
	}
	assert.Equal(t, 1, notPlaced, "the owner is told once that nobody is left")
	assert.Zero(t, countDeadlines(t, store))

	// And the other instance, run on past every deadline, fires nothing.
	n := len(events)
	other.clock.Advance(24 * time.Hour)
	assert.Len(t, requireValidHistory(t, store, id), n)
}

// waitUntil polls cond (a background goroutine has to act) up to waitLimit.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
