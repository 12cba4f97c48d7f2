package pgstore_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// routingHelperEnv selects the mode of TestRoutingHelperProcess.
const routingHelperEnv = "PGSTORE_ROUTING_HELPER"

// killT0 is where the manual clock of every process of the kill test
// starts: time is an input, and the hold deadlines in the table are on it.
var killT0 = chatconsulttest.Epoch

const killHoldTTL = time.Minute

// killDesk is one process's stack in the kill test, on the schema.
func killDesk(t *testing.T, s *schema, name string, clock interaction.Clock, notify bool) *routingInstance {
	t.Helper()
	in := &routingInstance{store: newStore(t, s.pool(t, nil)), routing: newRoutingStore(t, s)}
	in.dir = routing.NewDirectory(routing.WithClock(clock), routing.WithStore(in.routing), routing.WithHolder(name),
		routing.WithHoldTTL(killHoldTTL), routing.WithStoreErrors(func(err error) { t.Errorf("%s: routing store: %v", name, err) }))
	var n interaction.Notifier = in.dir
	if !notify {
		n = interaction.NewMemoryNotifier() // a Service whose counts are lost
	}
	in.chats = interaction.NewService(interaction.WithStore(in.store), interaction.WithClock(clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs(name+"-")), interaction.WithNotifier(n))
	in.desk = consult.New(in.chats, consult.WithRouter(in.dir), consult.WithInviteTimeout(time.Hour))
	in.dir.RescindWith(in.desk)
	return in
}

// TestRoutingHelperProcess is not a test: it is the instance that
// TestRX1KilledInstanceHoldsExpire runs as a child process (the test binary
// again, with routingHelperEnv set).
//
//   - "hold <schema>": route three consultations to the skill billing
//     (one accepted: load; two pending: reservations), then take every
//     free unit with Pick alone (holds not yet turned into invitations),
//     print "HELPER held <agents…>" and wait to be killed.
//   - "restart <schema>": a restarted process: Recover from the open
//     interactions, Recount, print "HELPER recounted", exit.
func TestRoutingHelperProcess(t *testing.T) {
	mode, schemaName, ok := strings.Cut(os.Getenv(routingHelperEnv), " ")
	if !ok {
		t.Skip("helper process for TestRX1KilledInstanceHoldsExpire")
	}
	s := &schema{url: databaseURL(t), name: schemaName}
	clock := chatconsulttest.NewManualClock()
	switch mode {
	case "hold":
		in := killDesk(t, s, "child", clock, true)
		for i := range 3 {
			owner := interaction.PartyID(fmt.Sprint("owner", i))
			id, err := in.chats.Open(ctx, interaction.PartyID(fmt.Sprint("contact", i)), "Hello")
			require.NoError(t, err)
			require.NoError(t, in.chats.Assign(ctx, id, interaction.System, owner))
			require.NoError(t, in.chats.Join(ctx, id, owner))
			leg, err := in.desk.Start(ctx, id, owner, billing, interaction.MediumChat)
			require.NoError(t, err)
			if i == 0 {
				st, err := in.chats.State(ctx, id)
				require.NoError(t, err)
				require.NoError(t, in.desk.Accept(ctx, id, st.Leg(leg).Invitee, leg))
			}
		}
		var held []string
		for {
			agent, err := in.dir.Pick(ctx, billing, interaction.MediumChat, nil)
			if err != nil {
				require.ErrorIs(t, err, interaction.ErrNotFound)
				break
			}
			held = append(held, string(agent))
		}
		fmt.Printf("HELPER held %s\n", strings.Join(held, " "))
		_ = os.Stdout.Sync()
		time.Sleep(time.Hour) // until killed
	case "restart":
		clock.Advance(2 * killHoldTTL)
		in := killDesk(t, s, "restarted", clock, true)
		_, err := in.chats.Recover(ctx, in.dir.Sync)
		require.NoError(t, err)
		require.NoError(t, in.dir.Recount(ctx, in.chats.State))
		fmt.Println("HELPER recounted")
	}
}

func routingHelper(t *testing.T, s *schema, mode string) (*exec.Cmd, func(string) string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRoutingHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), routingHelperEnv+"="+mode+" "+s.name)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	return cmd, func(prefix string) string { return line(t, sc, prefix) }
}

// TestRX1KilledInstanceHoldsExpire is issue 14's "kill an instance while it
// holds agents: the holds expire and the agents are offered again; loads
// after a restart equal the loads computed from the open interactions"
// (R-X1), with a real process killed (SIGKILL) on PostgreSQL.
//
// A child instance routes three consultations to billing (four agents of
// capacity 2: one accepted, two pending), then picks every free unit
// (holds, not yet invitations) and is killed. The parent instance, which
// follows the change feed, is refused every agent until the holds'
// stored deadline, and offered exactly the held units again from then.
// The parent then ends and closes one chat through a Service whose counts
// are lost (its instance crashed between its appends and its counts): the
// stored loads are stale, and the chat is no longer among the open ones
// (only Recount, from the Store's counted interactions, finds it). A restarted process recovers from the open
// interactions and recounts: the stored loads equal the loads computed
// from the interactions' states.
func TestRX1KilledInstanceHoldsExpire(t *testing.T) {
	s := newSchema(t)
	clock := chatconsulttest.NewManualClock()
	parent := killDesk(t, s, "parent", clock, true)
	for i := range 4 {
		id := interaction.PartyID(fmt.Sprint("agent", i))
		require.NoError(t, parent.dir.PutContext(ctx, routing.Agent{ID: id, Skills: map[string]int{"billing": 1},
			Capacity: routing.Capacity{interaction.MediumChat: 2}}))
		require.NoError(t, parent.dir.SetPresence(ctx, id, routing.Ready))
	}
	listener := parent.routing.Listen()
	t.Cleanup(listener.Close)
	follow, stop := context.WithCancel(ctx)
	followed := make(chan struct{})
	go func() { defer close(followed); _ = parent.dir.Follow(follow, listener) }()
	t.Cleanup(func() { stop(); <-followed })

	child, out := routingHelper(t, s, "hold")
	held := strings.Fields(out("HELPER held "))
	require.Len(t, held, 8-3, "every free unit held: 8 units, 1 loaded, 2 reserved")
	require.NoError(t, child.Process.Signal(syscall.SIGKILL))
	_ = child.Wait()

	recs, _, err := parent.routing.Snapshot(ctx)
	require.NoError(t, err)
	heldUnits := 0
	for _, r := range recs {
		heldUnits += r.Held.Of(interaction.MediumChat)
		if r.Held.Of(interaction.MediumChat) > 0 {
			assert.True(t, r.HoldsExpire.Equal(killT0.Add(killHoldTTL)), "%s: the deadline is stored", r.Agent.ID)
		}
	}
	require.Equal(t, len(held), heldUnits, "the killed instance's holds are in the table")
	waitUntil(t, "the parent's cache hears of the holds", func() bool {
		n := 0
		for i := range 4 {
			st, _ := parent.dir.Agent(interaction.PartyID(fmt.Sprint("agent", i)))
			n += st.Held.Of(interaction.MediumChat)
		}
		return n == heldUnits
	})

	clock.Advance(killHoldTTL - time.Millisecond)
	_, err = parent.dir.Pick(ctx, billing, interaction.MediumChat, nil)
	require.ErrorIs(t, err, interaction.ErrNotFound, "held by the killed instance until the deadline")
	clock.Advance(time.Millisecond)
	var taken []string
	for {
		agent, err := parent.dir.Pick(ctx, billing, interaction.MediumChat, nil)
		if err != nil {
			require.ErrorIs(t, err, interaction.ErrNotFound)
			break
		}
		taken = append(taken, string(agent))
	}
	assert.ElementsMatch(t, held, taken, "after the deadline the units the killed instance held are offered again, no more")
	for _, a := range taken {
		require.NoError(t, parent.dir.ReleaseContext(ctx, interaction.PartyID(a), interaction.MediumChat))
	}

	// A lost count: the parent ends chat 1 through a Service that does not count.
	lost := killDesk(t, s, "lost", clock, false)
	owner1 := interaction.PartyID("owner1")
	var chat1 interaction.ID
	require.NoError(t, interaction.EachOpen(ctx, parent.store, func(id interaction.ID) error {
		st, err := lost.chats.State(ctx, id)
		if err == nil && st.Party(owner1) != nil {
			chat1 = id
		}
		return err
	}))
	require.NotEmpty(t, chat1)
	require.NoError(t, lost.chats.EndSession(ctx, chat1, owner1))
	require.NoError(t, lost.chats.MarkDone(ctx, chat1, owner1)) // closed: no longer listed open
	want := routingLoadsOfOpen(t, lost.chats, parent)
	require.NotEqual(t, want, routingStoredLoads(t, parent), "the lost count left the stored loads stale")

	restarted, out := routingHelper(t, s, "restart")
	out("HELPER recounted")
	require.NoError(t, restarted.Wait())
	assert.Equal(t, want, routingStoredLoads(t, parent), "loads after the restart are those of the open interactions")
	for _, r := range mustSnapshot(t, parent) {
		assert.Zero(t, r.Held, "%s: nobody is left held", r.Agent.ID)
	}
}

func mustSnapshot(t *testing.T, in *routingInstance) []routing.Record {
	recs, _, err := in.routing.Snapshot(ctx)
	require.NoError(t, err)
	return recs
}

// routingLoadsOfOpen is what the open interactions hold, per agent, from
// their states.
func routingLoadsOfOpen(t *testing.T, chats *interaction.Service, in *routingInstance) map[interaction.PartyID]routing.Holding {
	out := map[interaction.PartyID]routing.Holding{}
	require.NoError(t, interaction.EachOpen(ctx, in.store, func(id interaction.ID) error {
		st, err := chats.State(ctx, id)
		if err != nil {
			return err
		}
		for p, h := range routing.Holdings(st) {
			w := out[p]
			for m := range h.Load {
				w.Load[m] += h.Load[m]
				w.Reserved[m] += h.Reserved[m]
			}
			if w != (routing.Holding{}) {
				out[p] = w
			}
		}
		return nil
	}))
	return out
}

func routingStoredLoads(t *testing.T, in *routingInstance) map[interaction.PartyID]routing.Holding {
	out := map[interaction.PartyID]routing.Holding{}
	for _, r := range mustSnapshot(t, in) {
		if h := (routing.Holding{Load: r.Load, Reserved: r.Reserved}); h != (routing.Holding{}) {
			out[r.Agent.ID] = h
		}
	}
	return out
}
