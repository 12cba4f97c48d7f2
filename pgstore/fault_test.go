package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/pgstore"
)

// waitLimit bounds every wait on the server or a delivery; it is never slept.
const waitLimit = 30 * time.Second

func newService(st interaction.Store, n interaction.Notifier, prefix string) *interaction.Service {
	return interaction.NewService(interaction.WithStore(st), interaction.WithNotifier(n),
		interaction.WithClock(chatconsulttest.NewManualClock()), interaction.WithIDs(chatconsulttest.NewSequentialIDs(prefix)))
}

// activeChat opens a chat between contact and agent1 on svc.
func activeChat(t *testing.T, svc *interaction.Service) interaction.ID {
	t.Helper()
	id, err := svc.Open(ctx, "contact", "Hello")
	require.NoError(t, err)
	require.NoError(t, svc.Assign(ctx, id, interaction.System, "agent1"))
	require.NoError(t, svc.Join(ctx, id, "agent1"))
	return id
}

// countCause counts the events of id caused by command, read straight
// from the server.
func countCause(t *testing.T, s *schema, id interaction.ID, command string) int {
	t.Helper()
	conn, err := pgx.ConnectConfig(ctx, s.config(t).ConnConfig)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM chatconsult_events WHERE interaction = $1 AND cause = $2`,
		string(id), command).Scan(&n))
	return n
}

func requireValidHistory(t *testing.T, st interaction.Store, id interaction.ID) []interaction.Event {
	t.Helper()
	events, err := st.Load(ctx, id)
	require.NoError(t, err)
	_, err = interaction.Rebuild(events)
	require.NoError(t, err, "the stream is a valid history")
	return events
}

// isRefusal reports whether err is one of the library's refusals (the
// outcome is known: nothing written) rather than a failure whose outcome
// is unknown.
func isRefusal(err error) bool {
	var e *interaction.Error
	return errors.As(err, &e)
}

// The connection is cut after the server committed the command but before
// the answer reached the library: the command fails (cleanly: an error,
// the outcome unknown, nothing half-applied), and the client's retry with
// the same command ID applies it exactly once.
func TestFaultReplyLostAfterCommitRetryAppliesOnce(t *testing.T) {
	s := newSchema(t)
	cfg := s.config(t)
	proxy := newCutProxy(t, net.JoinHostPort(cfg.ConnConfig.Host, fmt.Sprint(cfg.ConnConfig.Port)))
	host, port, _ := net.SplitHostPort(proxy.addr())
	cfg.ConnConfig.Host = host
	_, err := fmt.Sscan(port, &cfg.ConnConfig.Port)
	require.NoError(t, err)
	st := newStore(t, s.pool(t, cfg))
	svc := newService(st, interaction.NopNotifier{}, "a-")
	id := activeChat(t, svc)

	cut := proxy.armCommitCut()
	post := interaction.Post{Text: "Please refund my order"}
	_, err = svc.DoCommand(ctx, id, "contact", "client-cmd-1", post)
	require.Error(t, err, "the library never heard the COMMIT answer")
	assert.False(t, isRefusal(err), "not a refusal: the outcome is unknown (%v)", err)
	select {
	case <-cut:
	default:
		t.Fatal("the proxy did not cut at COMMIT")
	}
	require.Equal(t, 1, countCause(t, s, id, "client-cmd-1"), "the server did commit the command")

	events, err := svc.DoCommand(ctx, id, "contact", "client-cmd-1", post)
	require.NoError(t, err, "the retry succeeds")
	require.Len(t, events, 1)
	assert.Equal(t, "Please refund my order", events[0].Text)
	assert.Equal(t, 1, countCause(t, s, id, "client-cmd-1"), "exactly once")

	// A second instance that never saw the command gets the same answer.
	other := newService(newStore(t, s.pool(t, nil)), interaction.NopNotifier{}, "b-")
	again, err := other.DoCommand(ctx, id, "contact", "client-cmd-1", post)
	require.NoError(t, err)
	assert.Equal(t, events[0].Version, again[0].Version)
	assert.Equal(t, 1, countCause(t, s, id, "client-cmd-1"))
	requireValidHistory(t, st, id)
}

// The server kills the connection in the middle of the command's
// transaction (before COMMIT): the command fails, nothing is written, and
// the retry with the same command ID applies it once.
func TestFaultConnectionKilledMidCommandRetryAppliesOnce(t *testing.T) {
	s := newSchema(t)
	st := newStore(t, s.pool(t, nil))
	svc := newService(st, interaction.NopNotifier{}, "a-")
	id := activeChat(t, svc)

	// Hold the log head, so the command's transaction stops right there.
	admin, err := pgx.ConnectConfig(ctx, s.config(t).ConnConfig)
	require.NoError(t, err)
	defer admin.Close(ctx)
	holder, err := admin.Begin(ctx)
	require.NoError(t, err)
	_, err = holder.Exec(ctx, `SELECT position FROM chatconsult_log_head FOR UPDATE`)
	require.NoError(t, err)

	post := interaction.Post{Text: "Is anyone there?"}
	result := make(chan error, 1)
	go func() {
		_, err := svc.DoCommand(ctx, id, "contact", "client-cmd-2", post)
		result <- err
	}()
	pid := waitForBlockedBackend(t, s, "chatconsult_log_head")
	killer, err := pgx.ConnectConfig(ctx, s.config(t).ConnConfig)
	require.NoError(t, err)
	defer killer.Close(ctx)
	var killed bool
	require.NoError(t, killer.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&killed))
	require.True(t, killed)
	require.NoError(t, holder.Rollback(ctx))

	err = <-result
	require.Error(t, err, "the command fails")
	assert.False(t, isRefusal(err), "the outcome was unknown to the library (%v)", err)
	require.Equal(t, 0, countCause(t, s, id, "client-cmd-2"), "nothing was committed")

	events, err := svc.DoCommand(ctx, id, "contact", "client-cmd-2", post)
	require.NoError(t, err)
	require.Len(t, events, 1)
	_, err = svc.DoCommand(ctx, id, "contact", "client-cmd-2", post)
	require.NoError(t, err, "a further retry changes nothing")
	assert.Equal(t, 1, countCause(t, s, id, "client-cmd-2"), "exactly once")
	requireValidHistory(t, st, id)
}

// waitForBlockedBackend returns the pid of the backend of this schema's
// tests that waits for a lock while running a statement naming table.
func waitForBlockedBackend(t *testing.T, s *schema, table string) int {
	t.Helper()
	conn, err := pgx.ConnectConfig(ctx, s.config(t).ConnConfig)
	require.NoError(t, err)
	defer conn.Close(ctx)
	wait, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	for {
		var pid int
		err := conn.QueryRow(wait, `SELECT pid FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()
			LIMIT 1`, table).Scan(&pid)
		if err == nil {
			return pid
		}
		require.ErrorIs(t, err, pgx.ErrNoRows, "no backend blocked on %s in time", table)
	}
}

// A writer crashes between append and notify (its Service's Notifier
// never runs), and the listening instance's connection is down at that
// moment, so even the NOTIFY is lost: the other instance still gets every
// event, once its Listener is back, by reading the log from its position.
func TestFaultCrashBetweenAppendAndNotifyWhileListenerDown(t *testing.T) {
	s := newSchema(t)
	writer := newService(newStore(t, s.pool(t, nil)), interaction.NopNotifier{}, "w-")
	clock := chatconsulttest.NewManualClock()
	readerStore := newStore(t, s.pool(t, nil))
	listener := readerStore.Listen(pgstore.ListenClock(clock))
	t.Cleanup(listener.Close)
	parties := interaction.NewMemoryNotifier()
	contact := parties.Subscribe("contact")
	relay := pgstore.NewRelay(listener, readerStore, parties, 0)
	runCtx, stop := context.WithCancel(ctx)
	relayDone := make(chan struct{})
	go func() { defer close(relayDone); _ = relay.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-relayDone })
	follower := interaction.FollowLog(listener, 0)

	waitFor(t, "listener up", listener.Listening)
	first := activeChat(t, writer) // heard through NOTIFY
	got := followN(t, follower, 5)
	assert.Equal(t, first, got[0].Interaction)

	// Cut the listener's connection; it waits on the manual clock to come back.
	killListener(t, s, readerStore.Channel())
	waitFor(t, "listener down", func() bool { return !listener.Listening() && clock.Pending() > 0 })
	require.NoError(t, writer.Post(ctx, first, "contact", "Hello? Anyone?"))
	second := activeChat(t, writer)

	clock.Advance(time.Minute) // the listener reconnects and wakes the followers
	all, err := readerStore.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	rest := followN(t, follower, len(all)-len(got))
	requireSamePositions(t, all, append(got, rest...))
	assert.Equal(t, second, rest[len(rest)-1].Interaction)

	// The contact's subscription, fed by the relay, got its messages too.
	wait, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	var texts []string
	for len(texts) < 2 {
		ev, err := contact.Next(wait)
		require.NoError(t, err)
		if ev.Type == interaction.EventMessage && ev.Interaction == first {
			texts = append(texts, ev.Text)
		}
	}
	assert.Equal(t, []string{"Hello", "Hello? Anyone?"}, texts)
}

func killListener(t *testing.T, s *schema, channel string) {
	t.Helper()
	conn, err := pgx.ConnectConfig(ctx, s.config(t).ConnConfig)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE query = 'LISTEN ' || $1`, pgx.Identifier{channel}.Sanitize()).Scan(&n))
	require.Equal(t, 1, n, "one listener to kill")
}

// waitFor spins (no sleep) until cond holds, or fails after waitLimit.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
	}
}

func followN(t *testing.T, f *interaction.LogFollower, n int) []interaction.Event {
	t.Helper()
	wait, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	out := make([]interaction.Event, 0, n)
	for len(out) < n {
		ev, err := f.Next(wait)
		require.NoErrorf(t, err, "after %d of %d events", len(out), n)
		out = append(out, ev)
	}
	return out
}

func requireSamePositions(t *testing.T, want, got []interaction.Event) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i].Position, got[i].Position, "event %d", i)
		require.Equal(t, want[i].Interaction, got[i].Interaction)
		require.Equal(t, want[i].Version, got[i].Version)
	}
}

// restartServer restarts the test server (scripts/with-postgres.sh
// exports where it is), or skips the test when it cannot.
func restartServer(t *testing.T) {
	t.Helper()
	bin, data, user := os.Getenv("PG_BIN"), os.Getenv("PG_DATA"), os.Getenv("PG_CTL_USER")
	if bin == "" || data == "" {
		t.Skip("SKIP: PG_BIN and PG_DATA are not set (run through scripts/with-postgres.sh): cannot restart the server")
	}
	args := []string{bin + "/pg_ctl", "-D", data, "restart", "-m", "fast", "-w"}
	if os.Geteuid() == 0 && user != "" && user != "root" {
		args = append([]string{"runuser", "-u", user, "--"}, args...)
	}
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	require.NoError(t, err, "pg_ctl restart: %s", out)
}

// The server restarts (fast shutdown: running transactions are killed)
// while two instances write: no command is lost or applied twice, no
// stream forks, and followers on both instances resume and get every
// event once, in order.
func TestFaultServerRestartWhileTwoInstancesWrite(t *testing.T) {
	s := newSchema(t)
	if os.Getenv("PG_DATA") == "" {
		restartServer(t) // skips
	}
	ins := []*instance{s.instance(t), s.instance(t)}
	const writersPer, chats, posts = 2, 6, 12 // enough work after halfway that the restart finds commands in flight

	// restarting is write-locked while the server restarts; a writer or
	// follower that failed waits on it (read lock) before it retries.
	var restarting sync.RWMutex
	waitUp := func() { restarting.RLock(); restarting.RUnlock() }
	var retries atomic.Int64
	var halfway sync.WaitGroup
	halfway.Add(writersPer * len(ins))
	type outcome struct {
		id       interaction.ID
		commands []string
		err      error
	}
	results := make(chan outcome, writersPer*len(ins)*chats)
	var writers sync.WaitGroup
	for i, in := range ins {
		svc := newService(in.store, in.listener, fmt.Sprintf("i%d-", i))
		for w := 0; w < writersPer; w++ {
			writers.Add(1)
			go func() {
				defer writers.Done()
				for c := 0; c < chats; c++ {
					o := outcome{id: interaction.ID(fmt.Sprintf("chat-%d-%d-%d", i, w, c))}
					do := func(actor interaction.PartyID, cmd interaction.Command) {
						if o.err != nil {
							return
						}
						commandID := fmt.Sprintf("%s/%d", o.id, len(o.commands))
						for try := 0; ; try++ {
							_, err := svc.DoCommand(ctx, o.id, actor, commandID, cmd)
							if err == nil {
								o.commands = append(o.commands, commandID)
								return
							}
							if isRefusal(err) || try == 50 {
								o.err = fmt.Errorf("%s: %w", commandID, err)
								return
							}
							retries.Add(1)
							waitUp() // then retry with the same command ID
						}
					}
					do("contact", interaction.Open{Contact: "contact", Text: "Hello"})
					do(interaction.System, interaction.Assign{Agent: "agent1"})
					do("agent1", interaction.Join{})
					for p := 0; p < posts; p++ {
						author := interaction.PartyID("contact")
						if p%2 == 1 {
							author = "agent1"
						}
						do(author, interaction.Post{Text: fmt.Sprintf("message %d", p)})
						if c == 1 && p == posts/2 {
							halfway.Done()
						}
					}
					results <- o
				}
			}()
		}
	}

	// Followers on both instances, from the start, riding out the restart.
	type follower struct {
		mu     sync.Mutex
		events []interaction.Event
	}
	followers := make([]*follower, len(ins))
	stopFollow, cancelFollow := context.WithCancel(ctx)
	defer cancelFollow()
	var following sync.WaitGroup
	for i, in := range ins {
		fl := &follower{}
		followers[i] = fl
		following.Add(1)
		go func() {
			defer following.Done()
			f := interaction.FollowLog(in.listener, 0)
			for {
				ev, err := f.Next(stopFollow)
				if stopFollow.Err() != nil {
					return
				}
				if err != nil {
					waitUp()
					continue
				}
				fl.mu.Lock()
				fl.events = append(fl.events, ev)
				fl.mu.Unlock()
			}
		}()
	}

	halfway.Wait()
	restarting.Lock()
	restartServer(t)
	restarting.Unlock()
	writers.Wait()
	close(results)

	t.Logf("commands retried after a failure: %d", retries.Load())
	require.Positive(t, retries.Load(), "the restart cut the instances' connections")
	total := 0
	for o := range results {
		require.NoError(t, o.err)
		events := requireValidHistory(t, ins[0].store, o.id)
		total += len(events)
		var got []string
		for _, ev := range events {
			if len(got) == 0 || got[len(got)-1] != ev.Cause {
				got = append(got, ev.Cause)
			}
		}
		require.Equal(t, o.commands, got, "%s: every accepted command once, in order", o.id)
	}
	all, err := ins[1].store.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, all, total, "the log holds every stream's events, no more")
	for i, fl := range followers {
		waitFor(t, fmt.Sprintf("follower %d caught up", i), func() bool {
			fl.mu.Lock()
			defer fl.mu.Unlock()
			return len(fl.events) >= len(all)
		})
	}
	cancelFollow()
	following.Wait()
	for _, fl := range followers {
		requireSamePositions(t, all, fl.events)
	}
}
