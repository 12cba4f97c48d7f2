package storetest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// TestRoutingModel is the model-based routing property (R-X1, R-C2), run
// on a Directory that is a cache of a routing Store, so that every store
// passes it (issue 14): newInstance returns, for each story, a fresh,
// empty interaction Store and routing Store on one database (Routing nil:
// the process-local Directory of one instance, as before the shared
// store). It drives the whole stack (interaction, consult, routing) with
// random presence changes, chat offers, consultations in every medium,
// direct and consultation-made transfers and conferences, accepts,
// declines, cancels, time-outs (through the manual clock) and endings, and
// checks after every step that:
//
//   - no agent ever holds more than its capacity in any medium (R-X1), and
//     the directory's load and reservations are exactly what the
//     interactions' states say; with a Store, so are the Store's Records,
//     read back from it (not from the Directory's cache), and no hold is
//     left in it after a step;
//   - no invitation is accepted by two agents: a routed invitation, offered
//     on from agent to agent, is accepted at most once and has at most one
//     agent invited at a time; a chat offered to several agents is taken
//     by one;
//   - every invitation ends in exactly one outcome: each reservation the
//     directory follows goes pending → one final state, and once every
//     chat has ended each routed invitation has ended exactly one way
//     (accepted, exhausted with the owner told once, cancelled, or, for a
//     named agent, declined or timed out).
//
// checks > 0 sets how many stories rapid runs (a slow store runs fewer),
// unless -rapid.checks is on the command line, which wins; 0 keeps
// rapid's setting.
func TestRoutingModel(t *testing.T, newInstance func(t *testing.T) RoutingInstance, checks int) {
	if checks > 0 {
		setRapidChecks(t, checks)
	}
	rapid.Check(t, func(rt *rapid.T) {
		w := newModelWorld(rt, newInstance(t))
		// Repeat runs about 30 steps (-rapid.steps); four rounds make a
		// day long enough for invitations to go round several agents.
		for round := 0; round < 4; round++ {
			rt.Repeat(w.actions())
		}
		w.drain(rt)
	})
}

var rapidChecksGiven = sync.OnceValue(func() bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	return set
})

// setRapidChecks sets rapid's number of checks to n for the rest of t
// (restored after it), unless the command line set it.
func setRapidChecks(t *testing.T, n int) {
	t.Helper()
	f := flag.Lookup("rapid.checks")
	if f == nil || rapidChecksGiven() {
		return
	}
	old := f.Value.String()
	if err := flag.Set("rapid.checks", strconv.Itoa(n)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = flag.Set("rapid.checks", old) })
}

// actions are the steps; the commonest ones appear twice, to weigh them.
func (w *modelWorld) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"presence":   w.presence,
		"open":       w.open,
		"open2":      w.open,
		"answerChat": w.answerChat,
		"consult":    w.consult,
		"consult2":   w.consult,
		"direct":     w.direct,
		"accept":     w.accept,
		"accept2":    w.accept,
		"decline":    w.decline,
		"cancel":     w.cancel,
		"advance":    w.advance,
		"advance2":   w.advance,
		"endLeg":     w.endLeg,
		"transfer":   w.transfer,
		"conference": w.conference,
		"end":        w.end,
		"markDone":   w.markDone,
		"":           w.check,
	}
}

// modelTimeout is every invitation's time-out in the model stories.
const modelTimeout = 30 * time.Second

var (
	modelSkills  = []string{"billing", "tech"}
	modelGroups  = []string{"tier1", "tier2"}
	modelQueues  = []string{"vip"}
	modelMedia   = []interaction.Medium{interaction.MediumChat, interaction.MediumIM, interaction.MediumVoice}
	modelPresets = []routing.Presence{routing.Ready, routing.Ready, routing.Ready, routing.NotReady, routing.Away, routing.LoggedOut}
)

type modelWorld struct {
	clock     *chatconsulttest.ManualClock
	dir       *routing.Directory
	store     routing.Store // nil: a process-local Directory
	storeErrs *[]error      // the Directory's store writes that failed
	chats     *interaction.Service
	svc       *consult.Service
	agents    []interaction.PartyID
	ids       []interaction.ID
	contacts  int
	exhausted []consult.Exhausted
	// invitations: the states each invitation went through, by Seq.
	invitations map[uint64][]routing.InvitationState
	kinds       map[uint64]routing.Invitation
	tasks       []*modelTask
	byOffer     map[interaction.InvitationID]*modelTask
}

// task is one invitation a test step asked for, with the legs or requests
// routing offered it through (several at once with WithOffersAtOnce).
type modelTask struct {
	id      interaction.ID
	owner   interaction.PartyID
	target  interaction.Target
	medium  interaction.Medium
	request interaction.RequestKind
	offers  []interaction.InvitationID
	// acceptedAt is how many offers the task had when one was accepted.
	acceptedAt int
}

func (k *modelTask) key() string {
	return fmt.Sprint(k.id, k.owner, k.target, k.medium, k.request)
}

func newModelWorld(t *rapid.T, in RoutingInstance) *modelWorld {
	w := &modelWorld{clock: chatconsulttest.NewManualClock(), invitations: map[uint64][]routing.InvitationState{},
		kinds: map[uint64]routing.Invitation{}, byOffer: map[interaction.InvitationID]*modelTask{}}
	strategies := []routing.Strategy{routing.LongestIdle{}, routing.LeastBusy{}, routing.RoundRobin{}, routing.MostSkilled{}}
	strategy := rapid.SampledFrom(strategies).Draw(t, "strategy")
	var storeErrs []error
	opts := []routing.Option{routing.WithClock(w.clock)}
	if in.Routing != nil {
		w.store = in.Routing
		opts = append(opts, routing.WithStore(in.Routing), routing.WithStoreErrors(func(err error) { storeErrs = append(storeErrs, err) }))
	}
	w.storeErrs = &storeErrs
	w.dir = routing.NewDirectory(append(opts, routing.WithStrategy(strategy),
		routing.WithNotReadyOnTimeout(rapid.Bool().Draw(t, "notReadyOnTimeout")),
		routing.WithOffersAtOnce(rapid.IntRange(1, 3).Draw(t, "offersAtOnce")),
		routing.WithInvitationObserver(func(inv routing.Invitation) {
			w.invitations[inv.Seq] = append(w.invitations[inv.Seq], inv.State)
			w.kinds[inv.Seq] = inv
		}))...)
	chatOpts := []interaction.Option{interaction.WithClock(w.clock)}
	if in.Chats != nil {
		chatOpts = append(chatOpts, interaction.WithStore(in.Chats))
	}
	w.chats = interaction.NewService(append(chatOpts,
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")),
		interaction.WithNotifier(interaction.Notifiers{w.dir}))...)
	w.svc = consult.New(w.chats, consult.WithRouter(w.dir), consult.WithInviteTimeout(modelTimeout),
		consult.WithExhaustedHandler(func(_ context.Context, e consult.Exhausted) { w.exhausted = append(w.exhausted, e) }))
	w.dir.RescindWith(w.svc)
	n := rapid.IntRange(3, 8).Draw(t, "agents")
	for i := 0; i < n; i++ {
		id := interaction.PartyID(fmt.Sprintf("a%d", i))
		a := routing.Agent{ID: id, Skills: map[string]int{},
			Capacity: routing.Capacity{
				interaction.MediumChat:  rapid.IntRange(1, 3).Draw(t, "chats"),
				interaction.MediumIM:    rapid.IntRange(0, 2).Draw(t, "ims"),
				interaction.MediumVoice: rapid.IntRange(0, 1).Draw(t, "calls"),
			}}
		for _, s := range modelSkills {
			if rapid.IntRange(0, 2).Draw(t, "has "+s) > 0 {
				a.Skills[s] = rapid.IntRange(1, 5).Draw(t, "level")
			}
		}
		a.Groups = []string{rapid.SampledFrom(modelGroups).Draw(t, "group")}
		if rapid.Bool().Draw(t, "vip") {
			a.Queues = modelQueues
		}
		modelMust(t, w.dir.Put(a))
		modelMust(t, w.dir.SetPresence(ctx, id, rapid.SampledFrom(modelPresets).Draw(t, "presence")))
		w.agents = append(w.agents, id)
	}
	return w
}

func modelMust(t *rapid.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// refused accepts a refusal, which random steps often meet, but only as
// the library's typed error (R-X6).
func modelRefused(t *rapid.T, err error) {
	t.Helper()
	var ie *interaction.Error
	if err != nil && !errors.As(err, &ie) {
		t.Fatalf("untyped error: %v", err)
	}
}

func (w *modelWorld) state(t *rapid.T, id interaction.ID) *interaction.State {
	st, err := w.chats.State(ctx, id)
	modelMust(t, err)
	return st
}

func (w *modelWorld) target(t *rapid.T, named bool) interaction.Target {
	var all []interaction.Target
	for _, s := range modelSkills {
		all = append(all, interaction.Target{Kind: interaction.TargetSkill, ID: s})
	}
	for _, g := range modelGroups {
		all = append(all, interaction.Target{Kind: interaction.TargetGroup, ID: g})
	}
	for _, q := range modelQueues {
		all = append(all, interaction.Target{Kind: interaction.TargetQueue, ID: q})
	}
	if named {
		for _, a := range w.agents {
			all = append(all, interaction.Target{Kind: interaction.TargetAgent, ID: string(a)})
		}
	}
	return rapid.SampledFrom(all).Draw(t, "target")
}

func (w *modelWorld) presence(t *rapid.T) {
	a := rapid.SampledFrom(w.agents).Draw(t, "agent")
	modelRefused(t, w.dir.SetPresence(ctx, a, rapid.SampledFrom(modelPresets).Draw(t, "presence")))
}

// open: a contact opens a chat; routing offers it to one or two agents.
func (w *modelWorld) open(t *rapid.T) {
	w.contacts++
	id, err := w.chats.Open(ctx, interaction.PartyID(fmt.Sprintf("c%d", w.contacts)), "Hi")
	modelMust(t, err)
	w.ids = append(w.ids, id)
	target := w.target(t, false)
	var offered []interaction.PartyID
	for i := rapid.IntRange(1, 2).Draw(t, "offers"); i > 0; i-- {
		a, err := w.dir.Pick(ctx, target, interaction.MediumChat, offered)
		if err != nil {
			modelRefused(t, err)
			return
		}
		if err := w.chats.Assign(ctx, id, interaction.System, a); err != nil {
			w.dir.Release(a, interaction.MediumChat)
			t.Fatalf("assign: %v", err)
		}
		offered = append(offered, a)
	}
	if len(offered) > 0 && rapid.IntRange(0, 2).Draw(t, "join at once") > 0 {
		modelRefused(t, w.chats.Join(ctx, id, offered[0]))
	}
}

func (w *modelWorld) answerChat(t *rapid.T) {
	type offer struct {
		id    interaction.ID
		agent interaction.PartyID
	}
	var offers []offer
	for _, id := range w.ids {
		st := w.state(t, id)
		if st.Status != interaction.StatusWaiting {
			continue // an invited owner of an active chat is a direct transfer's target
		}
		for _, p := range st.Parties {
			if p.Role == interaction.RoleOwner && p.Membership == interaction.MemberInvited {
				offers = append(offers, offer{id, p.ID})
			}
		}
	}
	if len(offers) == 0 {
		t.Skip("no chat offer")
	}
	o := rapid.SampledFrom(offers).Draw(t, "offer")
	switch rapid.IntRange(0, 2).Draw(t, "answer") {
	case 0:
		modelRefused(t, w.chats.Join(ctx, o.id, o.agent))
	case 1:
		_, err := w.chats.Do(ctx, o.id, o.agent, interaction.Decline{})
		modelRefused(t, err)
	default:
		_, err := w.chats.Do(ctx, o.id, interaction.System, interaction.Withdraw{Agent: o.agent})
		modelRefused(t, err)
	}
}

// owned picks an active chat and its owner.
func (w *modelWorld) owned(t *rapid.T) (interaction.ID, interaction.PartyID) {
	var ids []interaction.ID
	for _, id := range w.ids {
		if st := w.state(t, id); st.Status == interaction.StatusActive && st.Owner() != nil {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		t.Skip("no active chat")
	}
	id := rapid.SampledFrom(ids).Draw(t, "chat")
	return id, w.state(t, id).Owner().ID
}

// busy reports whether a task like k is still waiting for an answer: the
// test starts one at a time per owner, target, medium and kind, so that
// every leg routing offers on belongs to exactly one task.
func (w *modelWorld) busy(t *rapid.T, k *modelTask) bool {
	for _, o := range w.tasks {
		if o.key() != k.key() {
			continue
		}
		for _, leg := range o.offers {
			if w.pending(t, o.id, leg) {
				return true
			}
		}
	}
	return false
}

func (w *modelWorld) pending(t *rapid.T, id interaction.ID, leg interaction.InvitationID) bool {
	st := w.state(t, id)
	if l := st.Leg(interaction.LegID(leg)); l != nil {
		return l.State == interaction.LegInviting
	}
	if r := st.Request(interaction.RequestID(leg)); r != nil {
		return r.State == interaction.RequestPending
	}
	return false
}

func (w *modelWorld) consult(t *rapid.T) {
	id, owner := w.owned(t)
	k := &modelTask{id: id, owner: owner, target: w.target(t, true), medium: rapid.SampledFrom(modelMedia).Draw(t, "medium")}
	if w.busy(t, k) {
		t.Skip("same invitation pending")
	}
	_, err := w.svc.Start(ctx, id, owner, k.target, k.medium)
	modelRefused(t, err)
	if err == nil {
		w.tasks = append(w.tasks, k) // adopt finds its offers
	}
}

func (w *modelWorld) direct(t *rapid.T) {
	id, owner := w.owned(t)
	k := &modelTask{id: id, owner: owner, target: w.target(t, true), medium: interaction.MediumChat,
		request: rapid.SampledFrom([]interaction.RequestKind{interaction.RequestTransfer, interaction.RequestConference}).Draw(t, "kind")}
	if w.busy(t, k) {
		t.Skip("same invitation pending")
	}
	var err error
	if k.request == interaction.RequestTransfer {
		_, err = w.svc.TransferTo(ctx, id, owner, k.target)
	} else {
		_, err = w.svc.ConferenceWith(ctx, id, owner, k.target)
	}
	modelRefused(t, err)
	if err == nil {
		w.tasks = append(w.tasks, k) // adopt finds its offers
	}
}

type modelInvitationRef struct {
	id      interaction.ID
	offer   interaction.InvitationID
	agent   interaction.PartyID
	owner   interaction.PartyID
	request bool
}

func (w *modelWorld) invitationsOut(t *rapid.T) []modelInvitationRef {
	var out []modelInvitationRef
	for _, id := range w.ids {
		st := w.state(t, id)
		for _, l := range st.Legs {
			if l.State == interaction.LegInviting {
				out = append(out, modelInvitationRef{id, interaction.InvitationID(l.ID), l.Invitee, l.Owner, false})
			}
		}
		for _, r := range st.Requests {
			if r.State == interaction.RequestPending {
				out = append(out, modelInvitationRef{id, interaction.InvitationID(r.ID), r.Invitee, r.Owner, true})
			}
		}
	}
	if len(out) == 0 {
		t.Skip("no invitation out")
	}
	return out
}

func (w *modelWorld) accept(t *rapid.T) {
	i := rapid.SampledFrom(w.invitationsOut(t)).Draw(t, "invitation")
	if i.request {
		modelRefused(t, w.svc.AcceptRequest(ctx, i.id, i.agent, interaction.RequestID(i.offer)))
	} else {
		modelRefused(t, w.svc.Accept(ctx, i.id, i.agent, interaction.LegID(i.offer)))
	}
}

func (w *modelWorld) decline(t *rapid.T) {
	i := rapid.SampledFrom(w.invitationsOut(t)).Draw(t, "invitation")
	if i.request {
		modelRefused(t, w.svc.DeclineRequest(ctx, i.id, i.agent, interaction.RequestID(i.offer)))
	} else {
		modelRefused(t, w.svc.Decline(ctx, i.id, i.agent, interaction.LegID(i.offer)))
	}
}

func (w *modelWorld) cancel(t *rapid.T) {
	i := rapid.SampledFrom(w.invitationsOut(t)).Draw(t, "invitation")
	if i.request {
		modelRefused(t, w.svc.CancelRequest(ctx, i.id, i.owner, interaction.RequestID(i.offer)))
	} else {
		modelRefused(t, w.svc.Cancel(ctx, i.id, i.owner, interaction.LegID(i.offer)))
	}
}

func (w *modelWorld) advance(t *rapid.T) {
	w.clock.Advance(time.Duration(rapid.IntRange(1, 45).Draw(t, "seconds")) * time.Second)
}

func (w *modelWorld) activeLeg(t *rapid.T) (interaction.ID, interaction.Leg) {
	type ref struct {
		id  interaction.ID
		leg interaction.Leg
	}
	var legs []ref
	for _, id := range w.ids {
		for _, l := range w.state(t, id).ActiveLegs() {
			legs = append(legs, ref{id, l})
		}
	}
	if len(legs) == 0 {
		t.Skip("no active consultation")
	}
	r := rapid.SampledFrom(legs).Draw(t, "leg")
	return r.id, r.leg
}

func (w *modelWorld) endLeg(t *rapid.T) {
	id, l := w.activeLeg(t)
	actor := rapid.SampledFrom([]interaction.PartyID{l.Owner, l.Invitee}).Draw(t, "ender")
	modelRefused(t, w.svc.EndConsultation(ctx, id, actor, l.ID))
}

func (w *modelWorld) transfer(t *rapid.T) {
	id, l := w.activeLeg(t)
	modelRefused(t, w.svc.Transfer(ctx, id, l.Owner, l.ID))
}

func (w *modelWorld) conference(t *rapid.T) {
	id, l := w.activeLeg(t)
	_, err := w.svc.Conference(ctx, id, l.Owner, l.ID)
	modelRefused(t, err)
}

func (w *modelWorld) end(t *rapid.T) {
	var ids []interaction.ID
	for _, id := range w.ids {
		if s := w.state(t, id).Status; s == interaction.StatusWaiting || s == interaction.StatusActive {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		t.Skip("no chat to end")
	}
	id := rapid.SampledFrom(ids).Draw(t, "chat")
	st := w.state(t, id)
	actors := []interaction.PartyID{st.Contact}
	for _, p := range st.Parties {
		if p.Role.Engaged() && p.Present() {
			actors = append(actors, p.ID)
		}
	}
	actor := rapid.SampledFrom(actors).Draw(t, "ender")
	if actor == st.Contact {
		modelRefused(t, w.chats.Leave(ctx, id, actor))
	} else {
		modelRefused(t, w.chats.EndSession(ctx, id, actor))
	}
}

func (w *modelWorld) markDone(t *rapid.T) {
	type ref struct {
		id interaction.ID
		p  interaction.PartyID
	}
	var refs []ref
	for _, id := range w.ids {
		for _, p := range w.state(t, id).Parties {
			if p.Role != interaction.RoleContact && p.TookPart && p.Membership != interaction.MemberDone {
				refs = append(refs, ref{id, p.ID})
			}
		}
	}
	if len(refs) == 0 {
		t.Skip("nobody to mark done")
	}
	r := rapid.SampledFrom(refs).Draw(t, "who")
	modelRefused(t, w.chats.MarkDone(ctx, r.id, r.p))
}

// adopt gives each leg or request that routing offered on to its task.
func (w *modelWorld) adopt(t *rapid.T) {
	for _, id := range w.ids {
		st := w.state(t, id)
		consider := func(leg interaction.InvitationID, k *modelTask) {
			if _, ok := w.byOffer[leg]; ok {
				return
			}
			for i := len(w.tasks) - 1; i >= 0; i-- {
				o := w.tasks[i]
				if o.key() == k.key() && (len(o.offers) == 0 || k.target.Kind != interaction.TargetAgent) {
					o.offers = append(o.offers, leg)
					w.byOffer[leg] = o
					return
				}
			}
			t.Fatalf("leg %s of %s appeared without a modelTask", leg, id)
		}
		for _, l := range st.Legs {
			consider(interaction.InvitationID(l.ID), &modelTask{id: id, owner: l.Owner, target: l.Target, medium: l.Medium})
		}
		for _, r := range st.Requests {
			if r.Via == "" {
				consider(interaction.InvitationID(r.ID), &modelTask{id: id, owner: r.Owner, target: r.Target, medium: interaction.MediumChat, request: r.Kind})
			}
		}
	}
}

func (w *modelWorld) check(t *rapid.T) {
	w.adopt(t)
	// Capacity and load in step.
	want := map[interaction.PartyID]routing.Holding{}
	for _, id := range w.ids {
		for p, h := range routing.Holdings(w.state(t, id)) {
			x := want[p]
			for m := range x.Load {
				x.Load[m] += h.Load[m]
				x.Reserved[m] += h.Reserved[m]
			}
			want[p] = x
		}
	}
	for _, a := range w.dir.Agents() {
		for _, m := range modelMedia {
			if a.Busy(m) > a.Limit.Of(m) {
				t.Fatalf("%s holds %d %s units, capacity %d (load %v, reserved %v, held %v)",
					a.ID, a.Busy(m), m, a.Limit.Of(m), a.Load, a.Reserved, a.Held)
			}
		}
		if a.Held.Total() != 0 {
			t.Fatalf("%s still holds %v after the step", a.ID, a.Held)
		}
		if got := (routing.Holding{Load: a.Load, Reserved: a.Reserved}); got != want[a.ID] {
			t.Fatalf("%s: directory says %+v, the interactions say %+v", a.ID, got, want[a.ID])
		}
	}
	if w.store != nil {
		w.checkStore(t, want)
	}
	// Each task: at most one accepted offer; once one is, no other is out
	// and none is made.
	for _, k := range w.tasks {
		st := w.state(t, k.id)
		accepted, pending := 0, 0
		for _, leg := range k.offers {
			a, p := modelOfferOutcome(st, leg)
			if a {
				accepted++
			}
			if p {
				pending++
			}
		}
		if accepted > 1 || (accepted == 1 && pending > 0) {
			t.Fatalf("modelTask %v: %d accepted, %d still out", k.offers, accepted, pending)
		}
		if accepted == 1 {
			if k.acceptedAt == 0 {
				k.acceptedAt = len(k.offers)
			} else if k.acceptedAt != len(k.offers) {
				t.Fatalf("modelTask %v offered on after it was accepted", k.offers)
			}
		}
	}
	// Each invitation the directory follows: pending, then at most one outcome.
	chatAccepts := map[interaction.ID]int{}
	for seq, states := range w.invitations {
		if states[0] != routing.InvitationPending || len(states) > 2 {
			t.Fatalf("invitation %d went %v", seq, states)
		}
		if len(states) == 2 && !slices.Contains(routing.InvitationMachine.Terminal(), string(states[1])) {
			t.Fatalf("invitation %d ended %s", seq, states[1])
		}
		if inv := w.kinds[seq]; inv.Kind == routing.InviteChat && inv.State == routing.InvitationAccepted {
			chatAccepts[inv.Interaction]++
			if chatAccepts[inv.Interaction] > 1 {
				t.Fatalf("chat %s accepted by two agents", inv.Interaction)
			}
		}
	}
}

// checkStore reads the Store itself (every Record, not the Directory's
// cache): its load and reservations are the interactions', no agent is
// above capacity, no hold is left after a step, and no write failed.
func (w *modelWorld) checkStore(t *rapid.T, want map[interaction.PartyID]routing.Holding) {
	if errs := *w.storeErrs; len(errs) > 0 {
		t.Fatalf("routing store writes failed: %v", errors.Join(errs...))
	}
	recs, _, err := w.store.Snapshot(ctx)
	modelMust(t, err)
	seen := map[interaction.PartyID]bool{}
	for _, rec := range recs {
		seen[rec.Agent.ID] = true
		for _, m := range modelMedia {
			if rec.Busy(m) > rec.Limit().Of(m) {
				t.Fatalf("store: %s holds %d %s units, capacity %d", rec.Agent.ID, rec.Busy(m), m, rec.Limit().Of(m))
			}
		}
		if rec.Held.Total() != 0 {
			t.Fatalf("store: %s still holds %v after the step", rec.Agent.ID, rec.Held)
		}
		if got := (routing.Holding{Load: rec.Load, Reserved: rec.Reserved}); got != want[rec.Agent.ID] {
			t.Fatalf("store: %s has %+v, the interactions say %+v", rec.Agent.ID, got, want[rec.Agent.ID])
		}
	}
	for p, h := range want {
		if !seen[p] && h != (routing.Holding{}) {
			t.Fatalf("store: %s holds %+v in the interactions but has no Record", p, h)
		}
	}
}

// modelOfferOutcome reports whether the leg or request was accepted (at any time)
// and whether it is still pending.
func modelOfferOutcome(st *interaction.State, id interaction.InvitationID) (accepted, pending bool) {
	if l := st.Leg(interaction.LegID(id)); l != nil {
		switch l.State {
		case interaction.LegActive, interaction.LegEnded, interaction.LegTransferred, interaction.LegConferenced:
			return true, false
		}
		return false, l.State == interaction.LegInviting
	}
	r := st.Request(interaction.RequestID(id))
	return r.State == interaction.RequestAccepted, r.State == interaction.RequestPending
}

// drain ends every chat, lets every timer run and marks every agent done:
// then every invitation and every task must have ended exactly once, and
// nobody holds anything.
func (w *modelWorld) drain(t *rapid.T) {
	for _, id := range w.ids {
		st := w.state(t, id)
		if st.Status == interaction.StatusWaiting || st.Status == interaction.StatusActive {
			modelMust(t, w.chats.Leave(ctx, id, st.Contact))
		}
	}
	w.clock.Advance(time.Hour)
	for _, id := range w.ids {
		for _, p := range w.state(t, id).Parties {
			if p.Role == interaction.RoleContact || p.Role == interaction.RoleSupervisor || !p.TookPart || p.Membership == interaction.MemberDone {
				continue
			}
			modelMust(t, w.chats.MarkDone(ctx, id, p.ID))
		}
		if s := w.state(t, id).Status; s != interaction.StatusClosed {
			t.Fatalf("%s is %s after everyone marked done (R-C8)", id, s)
		}
	}
	w.check(t)
	for _, a := range w.dir.Agents() {
		if a.Load.Total()+a.Reserved.Total() != 0 || len(w.dir.Invitations(a.ID)) != 0 {
			t.Fatalf("%s still holds %v / %v", a.ID, a.Load, a.Reserved)
		}
	}
	for seq, states := range w.invitations {
		if len(states) != 2 {
			t.Fatalf("invitation %d never ended: %v", seq, states)
		}
	}
	reported := map[interaction.InvitationID]int{}
	for _, e := range w.exhausted {
		reported[e.Invitations[0]]++
	}
	for _, k := range w.tasks {
		st := w.state(t, k.id)
		accepted := 0
		for _, leg := range k.offers {
			if a, _ := modelOfferOutcome(st, leg); a {
				accepted++
			}
		}
		cancelled := false
		for _, leg := range k.offers {
			if l := st.Leg(interaction.LegID(leg)); l != nil {
				cancelled = cancelled || l.State == interaction.LegCancelled
			} else {
				cancelled = cancelled || st.Request(interaction.RequestID(leg)).State == interaction.RequestCancelled
			}
		}
		named := k.target.Kind == interaction.TargetAgent
		exhausted := reported[k.offers[0]]
		// The ways an invitation ends: accepted by one agent; nobody left
		// (the owner told once); withdrawn by the owner or the end of the
		// chat; or, for a named agent, declined or not answered.
		outcomes := 0
		for _, ok := range []bool{
			accepted == 1 && exhausted == 0,
			exhausted == 1 && accepted == 0 && !named,
			accepted == 0 && exhausted == 0 && (cancelled || named),
		} {
			if ok {
				outcomes++
			}
		}
		if outcomes != 1 || exhausted > 1 || accepted > 1 {
			t.Fatalf("modelTask %v to %s ended %d ways (accepted %d, exhausted reports %d, cancelled %v)",
				k.offers, k.target, outcomes, accepted, exhausted, cancelled)
		}
	}
}
