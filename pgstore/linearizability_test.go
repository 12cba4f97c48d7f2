package pgstore_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// An operation of the linearizability check: one command through a
// Service, or one read of the stream straight from a Store.
type opInput struct {
	id      interaction.ID
	actor   interaction.PartyID
	cause   string
	cmd     interaction.Command // nil for a read
	summary string
}

type opOutput struct {
	first   uint64 // accepted command: version of its first event (0: no event)
	n       int    // accepted command: number of events
	refusal error  // refused command: the kind
	version uint64 // read: the stream's version
}

// modelState is one interaction in the model: its state now. (A refusal
// is checked strictly too: the Service decides a refusal again on what the
// Store holds before it returns it, so a stale cache cannot refuse.)
type modelState struct {
	cur *interaction.State
}

// commandModel is the sequential specification of one interaction: its
// state, changed only by the commands the core's Decide accepts.
// Porcupine searches for an order of the recorded operations, consistent
// with their real-time order, in which every output is what this model
// gives. Outputs:
//   - accepted: the model accepts too, with as many events, starting at
//     the next version;
//   - refused: the model refuses with the same kind, or the kind
//     is ErrConflict (the Service gave up after conflicting writers; that
//     this wrote nothing is checked apart);
//   - read: the model is at that version.
var commandModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		by := map[interaction.ID][]porcupine.Operation{}
		var order []interaction.ID
		for _, op := range history {
			id := op.Input.(opInput).id
			if _, ok := by[id]; !ok {
				order = append(order, id)
			}
			by[id] = append(by[id], op)
		}
		out := make([][]porcupine.Operation, 0, len(order))
		for _, id := range order {
			out = append(out, by[id])
		}
		return out
	},
	Init: func() any { return modelState{} },
	Step: func(state, input, output any) (bool, any) {
		ms, in, out := state.(modelState), input.(opInput), output.(opOutput)
		st := ms.cur
		if st == nil {
			st = &interaction.State{ID: in.id}
		}
		if in.cmd == nil {
			return st.Version == out.version, ms
		}
		if errors.Is(out.refusal, interaction.ErrConflict) {
			return true, ms
		}
		if out.refusal != nil {
			err := decide(st, in)
			return err != nil && errors.Is(err, out.refusal), ms
		}
		events, err := decideEvents(st, in)
		if err != nil || len(events) != out.n {
			return false, ms
		}
		if len(events) == 0 {
			return true, ms
		}
		if out.first != st.Version+1 {
			return false, ms
		}
		next := st.Clone()
		for i := range events {
			if next.Apply(&events[i]) != nil {
				return false, ms
			}
		}
		return true, modelState{cur: next}
	},
	Equal: func(a, b any) bool {
		x, y := a.(modelState), b.(modelState)
		return fingerprint(x.cur) == fingerprint(y.cur)
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(opInput), output.(opOutput)
		if in.cmd == nil {
			return fmt.Sprintf("read → v%d", out.version)
		}
		if out.refusal != nil {
			return fmt.Sprintf("%s by %s → %v", in.summary, in.actor, out.refusal)
		}
		return fmt.Sprintf("%s by %s → v%d+%d", in.summary, in.actor, out.first, out.n)
	},
}

func decide(st *interaction.State, in opInput) error {
	_, err := decideEvents(st, in)
	return err
}

func decideEvents(st *interaction.State, in opInput) ([]interaction.Event, error) {
	d := interaction.NewDecision(st, in.actor, chatconsulttest.Epoch, in.cause, interaction.DefaultLimits, chatconsulttest.NewSequentialIDs("model-"))
	if err := in.cmd.Decide(d); err != nil {
		return nil, err
	}
	return d.Events()
}

func fingerprint(s *interaction.State) string {
	if s == nil {
		return ""
	}
	return fmt.Sprint(s.Version, s.Status, s.Parties, s.Legs)
}

var refusalKinds = []error{interaction.ErrInvalidTransition, interaction.ErrNotPermitted, interaction.ErrNotFound,
	interaction.ErrConflict, interaction.ErrBadInput}

func refusalKind(err error) error {
	for _, k := range refusalKinds {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}

// randomCommand picks a command and its actor on a chat that was opened
// by "contact" and offered to agent1 and agent2: joining (one wins),
// posting, a consultation with agent3 (leg L1), leaving, ending, marking
// done. Many are refused in a given state; which, is what the check is about.
func randomCommand(r *rand.Rand) (interaction.PartyID, interaction.Command, string) {
	agents := []interaction.PartyID{"agent1", "agent2"}
	a := agents[r.IntN(2)]
	target := interaction.Target{Kind: interaction.TargetAgent, ID: "agent3"}
	switch r.IntN(12) {
	case 0, 1:
		return a, interaction.Join{}, "join"
	case 2, 3:
		return "contact", interaction.Post{Text: "contact says"}, "post"
	case 4, 5:
		return a, interaction.Post{Text: "agent says"}, "post"
	case 6:
		return a, consult.Start{Leg: "L1", Target: target, Invitee: "agent3"}, "consult"
	case 7:
		return "agent3", consult.Accept{Leg: "L1"}, "accept"
	case 8:
		return []interaction.PartyID{a, "agent3"}[r.IntN(2)], consult.Say{Leg: "L1", Text: "private"}, "say"
	case 9:
		return a, interaction.Leave{}, "leave"
	case 10:
		return []interaction.PartyID{a, "contact"}[r.IntN(2)], interaction.EndSession{}, "end"
	default:
		return []interaction.PartyID{a, "agent3"}[r.IntN(2)], interaction.MarkDone{}, "done"
	}
}

// Two library instances (two pools, two Services) run random commands on
// the same 100 interactions from 8 goroutines. Afterwards every stream is
// a valid history (it replays through the state machines), every accepted
// command is in exactly one stream, once, and no refused one is anywhere;
// and the recorded operations, commands and direct reads of the streams,
// are linearizable (porcupine, partitioned by interaction).
func TestConcurrentInstancesAreLinearizable(t *testing.T) {
	s := newSchema(t)
	stores := []interaction.Store{newStore(t, s.pool(t, nil)), newStore(t, s.pool(t, nil))}
	var services []*interaction.Service
	for i, st := range stores {
		services = append(services, interaction.NewService(interaction.WithStore(st), interaction.WithNotifier(interaction.NopNotifier{}),
			interaction.WithClock(chatconsulttest.NewManualClock()), interaction.WithIDs(chatconsulttest.NewSequentialIDs(fmt.Sprintf("s%d-", i))),
			interaction.WithConflictRetries(2)))
	}
	const chats, goroutines, opsEach = 100, 8, 60
	ids := make([]interaction.ID, chats)
	var clock atomic.Int64 // logical time: orders calls and returns as they happened
	var mu sync.Mutex
	var history []porcupine.Operation
	record := func(client int, in opInput, call int64, out opOutput) {
		ret := clock.Add(1)
		mu.Lock()
		history = append(history, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
		mu.Unlock()
	}
	accepted := map[string]int{} // cause → events
	var refused []string
	run := func(client int, svc *interaction.Service, in opInput) error {
		call := clock.Add(1)
		events, err := svc.Execute(ctx, in.id, in.actor, in.cause, in.cmd) // every event: the model counts stream versions
		out := opOutput{n: len(events)}
		if len(events) > 0 {
			out.first = events[0].Version
		}
		if err != nil {
			if out.refusal = refusalKind(err); out.refusal == nil {
				return err
			}
		}
		record(client, in, call, out)
		mu.Lock()
		if err == nil {
			accepted[in.cause] = len(events)
		} else {
			refused = append(refused, in.cause)
		}
		mu.Unlock()
		return nil
	}
	for c := range ids {
		ids[c] = interaction.ID(fmt.Sprintf("chat-%03d", c))
		for k, step := range []struct {
			actor interaction.PartyID
			cmd   interaction.Command
		}{
			{"contact", interaction.Open{Contact: "contact", Text: "Hello"}},
			{interaction.System, interaction.Assign{Agent: "agent1"}},
			{interaction.System, interaction.Assign{Agent: "agent2"}},
		} {
			require.NoError(t, run(-1, services[c%2], opInput{id: ids[c], actor: step.actor, cause: fmt.Sprintf("setup-%d-%d", c, k), cmd: step.cmd, summary: "setup"}))
		}
	}

	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 7))
			svc, st := services[g%2], stores[g%2]
			for k := 0; k < opsEach; k++ {
				id := ids[r.IntN(chats)]
				if r.IntN(6) == 0 {
					call := clock.Add(1)
					events, err := st.Load(ctx, id)
					if err != nil {
						errs <- err
						return
					}
					record(g, opInput{id: id}, call, opOutput{version: uint64(len(events))})
					continue
				}
				actor, cmd, summary := randomCommand(r)
				if err := run(g, svc, opInput{id: id, actor: actor, cause: fmt.Sprintf("g%d-%d", g, k), cmd: cmd, summary: summary}); err != nil {
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
	for i := range history {
		if history[i].ClientId < 0 {
			history[i].ClientId = goroutines
		}
	}

	// Every stream is a valid history; every accepted command is in exactly
	// one stream, with all its events; no refused command left a trace.
	found := map[string]int{}
	where := map[string]interaction.ID{}
	for _, id := range ids {
		events, err := stores[0].Load(ctx, id)
		require.NoError(t, err)
		_, err = interaction.Rebuild(events)
		require.NoError(t, err, "%s replays", id)
		for _, ev := range events {
			if w, ok := where[ev.Cause]; ok && w != id {
				t.Fatalf("command %s is in %s and %s", ev.Cause, w, id)
			}
			where[ev.Cause] = id
			found[ev.Cause]++
		}
	}
	for cause, n := range accepted {
		require.Equal(t, n, found[cause], "accepted command %s: its events, once", cause)
	}
	for _, cause := range refused {
		require.Zero(t, found[cause], "refused command %s left events", cause)
	}
	require.Len(t, found, len(accepted)-countEmpty(accepted), "nothing in the streams but accepted commands")

	result, info := porcupine.CheckOperationsVerbose(commandModel, history, time.Minute)
	if result != porcupine.Ok {
		path := t.TempDir() + "/linearizability.html"
		_ = porcupine.VisualizePath(commandModel, info, path)
		for _, part := range commandModel.Partition(history) {
			if !porcupine.CheckOperations(commandModel, part) {
				for _, op := range part {
					t.Logf("client %d [%d,%d] %s", op.ClientId, op.Call, op.Return, commandModel.DescribeOperation(op.Input, op.Output))
				}
				break
			}
		}
		t.Fatalf("history is not linearizable (%v); visualization: %s", result, path)
	}
	t.Logf("%d operations, %d accepted commands, %d refused", len(history), len(accepted), len(refused))
	assert.Greater(t, len(refused), 0, "the random commands reach refusals too")
}

func countEmpty(accepted map[string]int) int {
	n := 0
	for _, events := range accepted {
		if events == 0 {
			n++
		}
	}
	return n
}

// The model can fail: two agents both joining the same chat at the same
// version (a fork the Store must prevent) is not linearizable.
func TestLinearizabilityModelRejectsAFork(t *testing.T) {
	st := &interaction.State{}
	var evs []interaction.Event
	for k, step := range []struct {
		actor interaction.PartyID
		cmd   interaction.Command
	}{
		{"contact", interaction.Open{Contact: "contact", Text: "Hello"}},
		{interaction.System, interaction.Assign{Agent: "agent1"}},
		{interaction.System, interaction.Assign{Agent: "agent2"}},
	} {
		d := interaction.NewDecision(st, step.actor, chatconsulttest.Epoch, fmt.Sprint(k), interaction.DefaultLimits, chatconsulttest.NewSequentialIDs("x"))
		if k == 0 {
			st.ID = "chat"
		}
		require.NoError(t, step.cmd.Decide(d))
		recorded, err := d.Events()
		require.NoError(t, err)
		for i := range recorded {
			require.NoError(t, st.Apply(&recorded[i]))
		}
		evs = append(evs, recorded...)
	}
	setup := []porcupine.Operation{}
	v := uint64(1)
	for k, n := range []int{3, 1, 1} {
		setup = append(setup, porcupine.Operation{ClientId: 0, Input: opInput{id: "chat", actor: []interaction.PartyID{"contact", interaction.System, interaction.System}[k],
			cause: fmt.Sprint(k), cmd: []interaction.Command{interaction.Open{Contact: "contact", Text: "Hello"}, interaction.Assign{Agent: "agent1"}, interaction.Assign{Agent: "agent2"}}[k]},
			Call: int64(2 * k), Output: opOutput{first: v, n: n}, Return: int64(2*k + 1)})
		v += uint64(n)
	}
	require.Len(t, evs, int(v-1))
	d := interaction.NewDecision(st, "agent1", chatconsulttest.Epoch, "j", interaction.DefaultLimits, chatconsulttest.NewSequentialIDs("x"))
	require.NoError(t, interaction.Join{}.Decide(d))
	joined, err := d.Events()
	require.NoError(t, err)
	joinBy := func(agent interaction.PartyID, client int) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Input: opInput{id: "chat", actor: agent, cause: string(agent), cmd: interaction.Join{}},
			Call: 10, Output: opOutput{first: v, n: len(joined)}, Return: 11}
	}

	ok := append(append([]porcupine.Operation(nil), setup...), joinBy("agent1", 1))
	assert.True(t, porcupine.CheckOperations(commandModel, ok), "one join is fine")
	fork := append(ok, joinBy("agent2", 2))
	assert.False(t, porcupine.CheckOperations(commandModel, fork), "two accepted joins at one version are a fork")
}
