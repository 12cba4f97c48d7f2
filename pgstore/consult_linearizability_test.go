package pgstore_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
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

// An operation of the consultation check: one command through one of the
// two Services, decided there at now (that Service's manual clock, which
// stands still while the clients run).
type consultInput struct {
	id      interaction.ID
	actor   interaction.PartyID
	cause   string
	cmd     interaction.Command
	now     time.Time
	summary string
}

type consultOutput struct {
	first   uint64 // accepted: version of its first event
	n       int    // accepted: number of events
	sig     string // accepted: what its events are (eventsSig)
	refusal error  // refused: the kind
	gaveUp  bool   // refused with the Store's conflict after every retry
}

// consultState is one interaction in the model: its state, and the time of
// its last event (a command is never decided before it).
type consultState struct {
	cur  *interaction.State
	last time.Time
}

// eventsSig is what a command's events say, in order: type, leg or
// request, transition, party, and the deadline of an invitation; and the
// time of the first (so the model and the Service agree on Now).
func eventsSig(events []interaction.Event) string {
	var b strings.Builder
	for i, ev := range events {
		if i == 0 {
			fmt.Fprintf(&b, "@%d ", ev.Time.UnixNano())
		}
		fmt.Fprintf(&b, "%s %s %s>%s %s %s", ev.Type, string(ev.Leg)+string(ev.RequestID), ev.From, ev.To, ev.Trigger, ev.Party)
		if !ev.Deadline.IsZero() {
			fmt.Fprintf(&b, " due %d", ev.Deadline.UnixNano())
		}
		b.WriteString("; ")
	}
	return b.String()
}

// decideAt decides in's command on st as a Service does: at the input's
// now, or at the last event's time if that is later.
func decideAt(ms consultState, in consultInput) ([]interaction.Event, error) {
	st := ms.cur
	if st == nil {
		st = &interaction.State{ID: in.id}
	}
	now := in.now
	if now.Before(ms.last) {
		now = ms.last
	}
	d := interaction.NewDecision(st, in.actor, now, in.cause, interaction.DefaultLimits, chatconsulttest.NewSequentialIDs("model-"))
	if err := in.cmd.Decide(d); err != nil {
		return nil, err
	}
	return d.Events()
}

// consultModel is the sequential specification of one interaction under
// consultation commands, as commandModel is for the chat's: the core's
// Decide on a reference state. An accepted command must be accepted by the
// model at the next version with the same events (eventsSig); a refusal
// must be the model's refusal of the same kind. The one exception is the
// Store's own conflict after the Service ran out of retries (gaveUp): it
// changes nothing, which is checked apart (nothing of it is stored).
var consultModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		by := map[interaction.ID][]porcupine.Operation{}
		var order []interaction.ID
		for _, op := range history {
			id := op.Input.(consultInput).id
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
	Init: func() any { return consultState{} },
	Step: func(state, input, output any) (bool, any) {
		ms, in, out := state.(consultState), input.(consultInput), output.(consultOutput)
		if out.gaveUp {
			return true, ms
		}
		events, err := decideAt(ms, in)
		if out.refusal != nil {
			return err != nil && errors.Is(err, out.refusal), ms
		}
		if err != nil || len(events) != out.n || len(events) == 0 {
			return false, ms
		}
		version := uint64(0)
		if ms.cur != nil {
			version = ms.cur.Version
		}
		if out.first != version+1 || eventsSig(events) != out.sig {
			return false, ms
		}
		next := &interaction.State{ID: in.id}
		if ms.cur != nil {
			next = ms.cur.Clone()
		}
		for i := range events {
			if next.Apply(&events[i]) != nil {
				return false, ms
			}
		}
		return true, consultState{cur: next, last: events[len(events)-1].Time}
	},
	Equal: func(a, b any) bool {
		x, y := a.(consultState), b.(consultState)
		return consultFingerprint(x) == consultFingerprint(y)
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(consultInput), output.(consultOutput)
		at := in.now.Sub(chatconsulttest.Epoch)
		switch {
		case out.gaveUp:
			return fmt.Sprintf("%s by %s at +%v → gave up (conflicts)", in.summary, in.actor, at)
		case out.refusal != nil:
			return fmt.Sprintf("%s by %s at +%v → %v", in.summary, in.actor, at, out.refusal)
		}
		return fmt.Sprintf("%s by %s at +%v → v%d+%d", in.summary, in.actor, at, out.first, out.n)
	},
}

func consultFingerprint(s consultState) string {
	if s.cur == nil {
		return ""
	}
	return fmt.Sprint(s.cur.Version, s.last.UnixNano(), s.cur.Status, s.cur.Parties, s.cur.Legs, s.cur.Requests)
}

// randomConsultCommand picks a consultation command on a chat that
// "contact" opened and agent1 joined as owner. Leg and request IDs are a
// few fixed ones (L1-L8, R1-R4), so clients on both instances race for the
// same ones: L1, L3, L5, L7 are with agent3 (several legs, one target: at
// most one may be live), L2 and L6 with agent4, L4 and L8 with agent1
// (possible once agent1 handed the chat over). Actors are mostly the agent who may act (the owner agent1,
// the leg's target), sometimes another (a transferred chat's new owner, or
// a refusal). What the clients saw accepted so far (h: the latest leg and
// request started, the owner) steers most commands to the leg, request
// and owner of the moment, so the run goes deep into the machines; the
// hints are shared and stale, so clients still race. Time-outs are none (a time-out is due at once), shorter than
// a round or longer than the run, so a TimeOut is refused before the
// deadline and succeeds after it.
func randomConsultCommand(r *rand.Rand, h consultHint) (interaction.PartyID, interaction.Command, string) {
	agents := []interaction.PartyID{"agent1", "agent3", "agent4"}
	kind := r.IntN(26)
	n := 1 + r.IntN(8)
	switch {
	case kind <= 4 && r.IntN(2) == 0:
		n = h.leg%8 + 1 // a Start: mostly the next leg, or any (in use: refused)
	case kind > 4 && h.leg > 0 && r.IntN(3) > 0:
		n = h.leg
	}
	leg := interaction.LegID(fmt.Sprintf("L%d", n))
	target := consultTarget(n)
	m := 1 + r.IntN(4)
	switch {
	case kind >= 17 && kind <= 19 && r.IntN(2) == 0:
		m = h.req%4 + 1
	case kind > 19 && h.req > 0 && r.IntN(3) > 0:
		m = h.req
	}
	req := interaction.RequestID(fmt.Sprintf("R%d", m))
	asked := []interaction.PartyID{"agent3", "agent4"}[r.IntN(2)]
	if m == h.req {
		asked = h.asked
	}
	timeout := []time.Duration{0, 15 * time.Second, 35 * time.Second, time.Hour}[r.IntN(4)]
	usually := func(p interaction.PartyID) interaction.PartyID {
		if r.IntN(5) == 0 {
			return agents[r.IntN(len(agents))]
		}
		return p
	}
	owner := func() interaction.PartyID {
		if r.IntN(4) == 0 {
			return agents[r.IntN(len(agents))]
		}
		return h.owner
	}
	switch kind {
	case 0, 1, 2, 3, 4:
		return owner(), consult.Start{Leg: leg, Target: interaction.Target{Kind: interaction.TargetAgent, ID: string(target)}, Invitee: target, Timeout: timeout},
			fmt.Sprintf("start %s→%s /%v", leg, target, timeout)
	case 5, 6, 7, 8:
		return usually(target), consult.Accept{Leg: leg}, "accept " + string(leg)
	case 9:
		return usually(target), consult.Decline{Leg: leg}, "decline " + string(leg)
	case 10, 11:
		return interaction.System, consult.TimeOut{Leg: leg}, "time out " + string(leg)
	case 12, 13, 14:
		return []interaction.PartyID{owner(), usually(target)}[r.IntN(2)], consult.EndConsultation{Leg: leg}, "end " + string(leg)
	case 15:
		return owner(), consult.Cancel{Leg: leg}, "cancel " + string(leg)
	case 16:
		return owner(), consult.Transfer{Leg: leg}, "transfer " + string(leg)
	case 17, 18, 19:
		return owner(), consult.Conference{Leg: leg, Request: req, Timeout: timeout}, fmt.Sprintf("conference %s %s /%v", leg, req, timeout)
	case 20, 21:
		return usually(asked), consult.AcceptRequest{Request: req}, "accept request " + string(req)
	case 22, 23:
		return usually(asked), consult.DeclineRequest{Request: req}, "decline request " + string(req)
	case 24:
		return interaction.System, consult.TimeOutRequest{Request: req}, "time out request " + string(req)
	default:
		return usually(target), consult.Say{Leg: leg, Text: "private"}, "say " + string(leg)
	}
}

// consultTarget is the agent leg Ln is with.
func consultTarget(n int) interaction.PartyID {
	return []interaction.PartyID{"agent3", "agent4", "agent3", "agent1"}[(n-1)%4]
}

// consultHint is what the clients saw accepted last on an interaction:
// the leg and request started (their numbers), the owner.
type consultHint struct {
	leg, req int
	owner    interaction.PartyID
	asked    interaction.PartyID // the agent of request req
}

// learn updates h with the accepted command's events.
func (h *consultHint) learn(events []interaction.Event) {
	for _, ev := range events {
		var n int
		switch {
		case ev.Type == interaction.EventLeg && ev.From == string(interaction.LegNone):
			if _, err := fmt.Sscanf(string(ev.Leg), "L%d", &n); err == nil {
				h.leg = n
			}
		case ev.Type == interaction.EventRequest && ev.From == string(interaction.RequestNone):
			if _, err := fmt.Sscanf(string(ev.RequestID), "R%d", &n); err == nil {
				h.req, h.asked = n, ev.Party
			}
		case ev.Type == interaction.EventRole && ev.Role == interaction.RoleOwner:
			h.owner = ev.Party
		}
	}
}

// Two library instances (two pools, two Stores, two Services on one
// schema) run random consultation commands (start, accept, decline, time
// out, cancel, end, transfer, conference and its accept, decline and time
// out) with fixed leg and request IDs and a unique command ID each
// (Service.Execute) on 32 interactions from 8 clients, in rounds: between
// rounds the two manual clocks move on 20 s, and the second instance's
// runs 10 s ahead of the first's, so a command is sometimes decided at the
// last event's time instead of its clock's. The history is linearizable
// (porcupine, partitioned by interaction, on a model that decides the
// same command on a reference state: same outcome, same events); every
// accepted command's events are stored once, as returned, and a refused
// one left nothing; every stream rebuilds, and no agent ever has two live
// (inviting or active) legs at once.
func TestConsultationCommandsAreLinearizable(t *testing.T) {
	s := newSchema(t)
	stores := []interaction.Store{newStore(t, s.pool(t, nil)), newStore(t, s.pool(t, nil))}
	clocks := []*chatconsulttest.ManualClock{chatconsulttest.NewManualClock(), chatconsulttest.NewManualClock()}
	clocks[1].Advance(10 * time.Second)
	var services []*interaction.Service
	for i, st := range stores {
		services = append(services, interaction.NewService(interaction.WithStore(st), interaction.WithNotifier(interaction.NopNotifier{}),
			interaction.WithClock(clocks[i]), interaction.WithIDs(chatconsulttest.NewSequentialIDs(fmt.Sprintf("s%d-", i))),
			interaction.WithConflictRetries(20)))
	}
	const chats, clients, rounds, opsEach = 32, 8, 16, 40
	ids := make([]interaction.ID, chats)
	var logical atomic.Int64 // orders calls and returns as they happened
	var mu sync.Mutex
	var history []porcupine.Operation
	accepted := map[string]string{} // cause → eventsSig of what Execute returned
	hints := map[interaction.ID]*consultHint{}
	var refused []string
	gaveUp, notDue, clamped := 0, 0, 0
	run := func(client, svc int, in consultInput) error {
		in.now = clocks[svc].Now()
		call := logical.Add(1)
		events, err := services[svc].Execute(ctx, in.id, in.actor, in.cause, in.cmd)
		ret := logical.Add(1)
		out := consultOutput{n: len(events), sig: eventsSig(events)}
		if len(events) > 0 {
			out.first = events[0].Version
		}
		if err != nil {
			var e *interaction.Error
			if out.refusal = refusalKind(err); out.refusal == nil || !errors.As(err, &e) {
				return fmt.Errorf("%s: %w", in.summary, err)
			}
			out.gaveUp = errors.Is(err, interaction.ErrConflict) && e.Op == "append"
		}
		mu.Lock()
		defer mu.Unlock()
		history = append(history, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
		switch {
		case err == nil:
			accepted[in.cause] = out.sig
			if events[0].Time.After(in.now) {
				clamped++ // decided at another instance's later event time
			}
			if h := hints[in.id]; h != nil {
				h.learn(events)
			}
		case out.gaveUp:
			gaveUp++
			refused = append(refused, in.cause)
		default:
			refused = append(refused, in.cause)
			if strings.Contains(err.Error(), "not due until") {
				notDue++
			}
		}
		return nil
	}
	for c := range ids {
		ids[c] = interaction.ID(fmt.Sprintf("consult-%02d", c))
		hints[ids[c]] = &consultHint{owner: "agent1"}
		for k, step := range []struct {
			actor interaction.PartyID
			cmd   interaction.Command
		}{
			{"contact", interaction.Open{Contact: "contact", Text: "Hello"}},
			{interaction.System, interaction.Assign{Agent: "agent1"}},
			{"agent1", interaction.Join{}},
		} {
			require.NoError(t, run(clients, 0, consultInput{id: ids[c], actor: step.actor, cause: fmt.Sprintf("setup-%d-%d", c, k), cmd: step.cmd, summary: "setup"}))
		}
	}

	rs := make([]*rand.Rand, clients)
	for g := range rs {
		rs[g] = rand.New(rand.NewPCG(uint64(g), 13))
	}
	for round := 0; round < rounds; round++ {
		for _, c := range clocks {
			c.Advance(20 * time.Second)
		}
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for g := 0; g < clients; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rs[g]
				for k := 0; k < opsEach; k++ {
					id := ids[r.IntN(chats)]
					mu.Lock()
					h := *hints[id]
					mu.Unlock()
					actor, cmd, summary := randomConsultCommand(r, h)
					in := consultInput{id: id, actor: actor, cause: fmt.Sprintf("c%d-%d-%d", g, round, k), cmd: cmd, summary: summary}
					if err := run(g, g%2, in); err != nil {
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
	}

	// Every stream rebuilds; every accepted command is in one stream, its
	// events once and as Execute returned them; nothing else is stored; no
	// agent is ever the target of two live legs at once.
	byCause := map[string][]interaction.Event{}
	where := map[string]interaction.ID{}
	kinds := map[string]int{} // leg transitions stored, by trigger
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
			byCause[ev.Cause] = append(byCause[ev.Cause], ev)
			if ev.Type == interaction.EventLeg || ev.Type == interaction.EventRequest {
				kinds[ev.Type.String()+" "+string(ev.Trigger)]++
			}
		}
		requireNoForkedLeg(t, id, events)
	}
	for cause, sig := range accepted {
		require.Equal(t, sig, eventsSig(byCause[cause]), "accepted command %s: its events, once, as returned", cause)
	}
	for _, cause := range refused {
		require.Empty(t, byCause[cause], "refused command %s left events", cause)
	}
	require.Len(t, byCause, len(accepted), "nothing in the streams but accepted commands")

	result, info := porcupine.CheckOperationsVerbose(consultModel, history, time.Minute)
	if result != porcupine.Ok {
		path := t.TempDir() + "/consult-linearizability.html"
		_ = porcupine.VisualizePath(consultModel, info, path)
		for _, part := range consultModel.Partition(history) {
			if !porcupine.CheckOperations(consultModel, part) {
				for _, op := range part {
					t.Logf("client %d [%d,%d] %s", op.ClientId, op.Call, op.Return, consultModel.DescribeOperation(op.Input, op.Output))
				}
				break
			}
		}
		t.Fatalf("history is not linearizable (%v); visualization: %s", result, path)
	}
	t.Logf("%d operations, %d accepted (%d at a later event's time than their clock), %d refused (%d time-outs before the deadline, %d gave up on conflicts); stored transitions: %v",
		len(history), len(accepted), clamped, len(refused), notDue, gaveUp, kinds)
	assert.Positive(t, notDue, "time-outs are refused before the deadline")
	assert.Positive(t, clamped, "a command is decided at the last event's time when its clock is behind")
	for _, k := range []string{"leg accept", "leg decline", "leg time_out", "leg transfer", "request accept", "request decline"} {
		assert.Positive(t, kinds[k], "the run reaches %s", k)
	}
}

// requireNoForkedLeg walks a stream: no agent is ever the target of two
// live (inviting or active) legs at once.
func requireNoForkedLeg(t *testing.T, id interaction.ID, events []interaction.Event) {
	t.Helper()
	agentOf := map[interaction.LegID]interaction.PartyID{}
	live := map[interaction.LegID]bool{}
	for _, ev := range events {
		if ev.Type != interaction.EventLeg {
			continue
		}
		if ev.From == string(interaction.LegNone) {
			agentOf[ev.Leg] = ev.Party
		}
		live[ev.Leg] = ev.To == string(interaction.LegInviting) || ev.To == string(interaction.LegActive)
		n := 0
		for l, ok := range live {
			if ok && agentOf[l] == agentOf[ev.Leg] {
				n++
			}
		}
		require.LessOrEqual(t, n, 1, "%s v%d: %s has %d live legs", id, ev.Version, agentOf[ev.Leg], n)
	}
}

// The consultation model can fail: two legs to one agent started at the
// same version (a fork the Store must prevent: the second Start, decided
// on the first's state, is refused) is not linearizable; nor is a time-out
// accepted before the invitation's deadline.
func TestConsultationModelRejectsAFork(t *testing.T) {
	var ops []porcupine.Operation
	ms := consultState{}
	at := int64(0)
	step := func(actor interaction.PartyID, cmd interaction.Command, now time.Time) porcupine.Operation {
		in := consultInput{id: "chat", actor: actor, cause: fmt.Sprint("c", at), cmd: cmd, now: now}
		events, err := decideAt(ms, in)
		require.NoError(t, err)
		version := uint64(0)
		if ms.cur != nil {
			version = ms.cur.Version
		}
		op := porcupine.Operation{ClientId: 0, Input: in, Call: at, Output: consultOutput{first: version + 1, n: len(events), sig: eventsSig(events)}, Return: at + 1}
		at += 2
		return op
	}
	apply := func(op porcupine.Operation) {
		ok, next := consultModel.Step(ms, op.Input, op.Output)
		require.True(t, ok)
		ms = next.(consultState)
		ops = append(ops, op)
	}
	epoch := chatconsulttest.Epoch
	apply(step("contact", interaction.Open{Contact: "contact", Text: "Hello"}, epoch))
	apply(step(interaction.System, interaction.Assign{Agent: "agent1"}, epoch))
	apply(step("agent1", interaction.Join{}, epoch))
	agent3 := interaction.Target{Kind: interaction.TargetAgent, ID: "agent3"}
	first := step("agent1", consult.Start{Leg: "L1", Target: agent3, Invitee: "agent3", Timeout: 30 * time.Second}, epoch)
	second := step("agent1", consult.Start{Leg: "L3", Target: agent3, Invitee: "agent3"}, epoch)
	second.Call, second.Return, second.ClientId = first.Call, first.Return, 1
	assert.True(t, porcupine.CheckOperations(consultModel, append(append([]porcupine.Operation(nil), ops...), first)), "one start is fine")
	assert.True(t, porcupine.CheckOperations(consultModel, append(append([]porcupine.Operation(nil), ops...), second)), "either one")
	assert.False(t, porcupine.CheckOperations(consultModel, append(append([]porcupine.Operation(nil), ops...), first, second)),
		"two legs to agent3 accepted at one version are a fork")

	apply(first)
	due := step(interaction.System, consult.TimeOut{Leg: "L1"}, epoch.Add(30*time.Second))
	// What a store that let a time-out through a second early would return:
	// the events of the time-out decided at 29 s as if it had no deadline.
	in := consultInput{id: "chat", actor: interaction.System, cause: "early", cmd: consult.TimeOut{Leg: "L1"}, now: epoch.Add(29 * time.Second)}
	_, err := decideAt(ms, in)
	require.ErrorIs(t, err, interaction.ErrInvalidTransition, "not due")
	undue := consultState{cur: ms.cur.Clone(), last: ms.last}
	undue.cur.Leg("L1").Deadline = time.Time{}
	events, err := decideAt(undue, in)
	require.NoError(t, err)
	early := porcupine.Operation{Input: in, Call: at, Output: consultOutput{first: ms.cur.Version + 1, n: len(events), sig: eventsSig(events)}, Return: at + 1}
	refusedEarly := early
	refusedEarly.Output = consultOutput{refusal: interaction.ErrInvalidTransition}
	assert.True(t, porcupine.CheckOperations(consultModel, append(append([]porcupine.Operation(nil), ops...), due)), "a time-out at the deadline")
	assert.True(t, porcupine.CheckOperations(consultModel, append(append([]porcupine.Operation(nil), ops...), refusedEarly)), "a time-out before the deadline is refused")
	assert.False(t, porcupine.CheckOperations(consultModel, append(append([]porcupine.Operation(nil), ops...), early)), "a time-out accepted before the deadline")
}
