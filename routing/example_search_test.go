package routing_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// routingDemo is the stack as ExampleDirectory wires it (the Directory is
// the consult Router and a Notifier of the interaction Service), on a
// manual clock with sequential IDs so that the output is the same every
// time.
type routingDemo struct {
	clock *chatconsulttest.ManualClock
	dir   *routing.Directory
	chats *interaction.Service
	desk  *consult.Service
}

func newRoutingDemo(opts ...routing.Option) *routingDemo {
	r := &routingDemo{clock: chatconsulttest.NewManualClock()}
	r.dir = routing.NewDirectory(append([]routing.Option{routing.WithClock(r.clock)}, opts...)...)
	r.chats = interaction.NewService(interaction.WithClock(r.clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")),
		interaction.WithNotifier(interaction.Notifiers{r.dir, interaction.NewMemoryNotifier()}))
	r.desk = consult.New(r.chats, consult.WithRouter(r.dir), consult.WithInviteTimeout(30*time.Second))
	r.dir.RescindWith(r.desk)
	return r
}

// ready registers agents and logs them in as Ready, one second apart, so
// that the first registered has been idle longest.
func (r *routingDemo) ready(agents ...routing.Agent) {
	for _, a := range agents {
		r.clock.Advance(time.Second)
		if err := r.dir.Put(a); err != nil {
			panic(err)
		}
		if err := r.dir.SetPresence(context.Background(), a.ID, routing.Ready); err != nil {
			panic(err)
		}
	}
}

// chat opens a chat that owner has taken.
func (r *routingDemo) chat(owner interaction.PartyID) interaction.ID {
	ctx := context.Background()
	id, err := r.chats.Open(ctx, "contact", "My invoice is wrong")
	if err != nil {
		panic(err)
	}
	if err := r.chats.Assign(ctx, id, interaction.System, owner); err != nil {
		panic(err)
	}
	if err := r.chats.Join(ctx, id, owner); err != nil {
		panic(err)
	}
	return id
}

func skillTarget(id string) interaction.Target {
	return interaction.Target{Kind: interaction.TargetSkill, ID: id}
}

func printEntries(es []routing.Entry) {
	for _, e := range es {
		presence := "" // a group, skill or queue has none
		if e.Target.Kind == interaction.TargetAgent {
			presence = e.Presence.String()
		}
		fmt.Printf("%-17s %-14q %-10s available %d of %d\n", e.Target, e.Name, presence, e.Available, e.Agents)
	}
}

// Search is the Team Communicator's search box: word prefixes of IDs and
// names first, then substrings; each target with its availability now.
func ExampleDirectory_Search() {
	ctx := context.Background()
	r := newRoutingDemo()
	r.ready(
		routing.Agent{ID: "bea", Name: "Bea Billing", Skills: map[string]int{"billing": 3}},
		routing.Agent{ID: "bill", Name: "Bill Smith", Skills: map[string]int{"billing": 1}},
	)
	_ = r.dir.Put(routing.Agent{ID: "tom", Queues: []string{"billing-vip"}}) // logged out
	_ = r.dir.Define(interaction.Target{Kind: interaction.TargetQueue, ID: "billing-vip"}, "VIP billing")

	res, err := r.dir.Search(ctx, routing.Query{Text: "bil"})
	if err != nil {
		fmt.Println(err)
		return
	}
	printEntries(res)
	// Output:
	// agent:bea         "Bea Billing"  ready      available 1 of 1
	// agent:bill        "Bill Smith"   ready      available 1 of 1
	// skill:billing     "billing"                 available 2 of 2
	// queue:billing-vip "VIP billing"             available 0 of 1
}

// Find adds, to the search, the viewer's active consultations of the
// interaction it works on: what it can turn into a transfer or a
// conference (R-C11). A pending invitation is not one yet.
func ExampleTeamCommunicator_Find() {
	ctx := context.Background()
	r := newRoutingDemo()
	r.ready(routing.Agent{ID: "owner"}, routing.Agent{ID: "ann"}, routing.Agent{ID: "bob"})
	id := r.chat("owner")
	leg, _ := r.desk.Start(ctx, id, "owner", interaction.Target{Kind: interaction.TargetAgent, ID: "ann"}, interaction.MediumChat)
	_ = r.desk.Accept(ctx, id, "ann", leg)
	_, _ = r.desk.Start(ctx, id, "owner", interaction.Target{Kind: interaction.TargetAgent, ID: "bob"}, interaction.MediumVoice)

	tc := routing.TeamCommunicator{Directory: r.dir, Consultations: r.desk}
	// Availability for a voice consultation: bob's one voice unit is reserved
	// by the invitation he has not answered yet.
	res, err := tc.Find(ctx, id, "owner", routing.Query{Kinds: []interaction.TargetKind{interaction.TargetAgent}, Medium: interaction.MediumVoice})
	if err != nil {
		fmt.Println(err)
		return
	}
	printEntries(res.Targets)
	for _, l := range res.Consultations {
		fmt.Println("active consultation", l.ID, "with", l.Invitee, "by", l.Medium)
	}
	// Output:
	// agent:ann         "ann"          ready      available 1 of 1
	// agent:bob         "bob"          ready      available 0 of 1
	// agent:owner       "owner"        ready      available 1 of 1
	// active consultation id-5 with ann by chat
}

// Presence decides who is offered work: routing to a skill reaches only
// Ready agents; a colleague named directly is reachable while NotReady,
// not while Away (R-X1).
func ExampleDirectory_SetPresence() {
	ctx := context.Background()
	r := newRoutingDemo()
	r.ready(routing.Agent{ID: "ann", Skills: map[string]int{"billing": 1}})
	ann := interaction.Target{Kind: interaction.TargetAgent, ID: "ann"}
	for _, p := range []routing.Presence{routing.Ready, routing.NotReady, routing.Away} {
		_ = r.dir.SetPresence(ctx, "ann", p)
		bySkill, _ := r.dir.Candidates(ctx, skillTarget("billing"), interaction.MediumChat, nil, 0)
		byName, _ := r.dir.Candidates(ctx, ann, interaction.MediumChat, nil, 0)
		fmt.Printf("%-9s by skill: %d, by name: %d\n", p, len(bySkill), len(byName))
	}
	// Output:
	// ready     by skill: 1, by name: 1
	// not_ready by skill: 0, by name: 1
	// away      by skill: 0, by name: 0
}

// Pick resolves a target to one available agent and holds it until the
// invitation is written (consult.Service does this); nobody left is
// ErrNotFound.
func ExampleDirectory_Pick() {
	ctx := context.Background()
	r := newRoutingDemo()
	r.ready(routing.Agent{ID: "ann", Skills: map[string]int{"billing": 1}},
		routing.Agent{ID: "bob", Skills: map[string]int{"billing": 1}})

	first, _ := r.dir.Pick(ctx, skillTarget("billing"), interaction.MediumChat, nil)
	fmt.Println("picked", first)
	r.dir.Release(first, interaction.MediumChat) // the invitation was not written after all
	_, err := r.dir.Pick(ctx, skillTarget("billing"), interaction.MediumChat, []interaction.PartyID{"ann", "bob"})
	fmt.Println(errors.Is(err, interaction.ErrNotFound))
	// Output:
	// picked ann
	// true
}

// Each group, skill or queue may rank its agents by its own strategy. Here
// ann registered first, then bob, then cid; ann has taken a chat since (so
// her work changed last but one), and bob has just come back ready (so his
// changed last).
func ExampleDirectory_SetStrategy() {
	ctx := context.Background()
	r := newRoutingDemo()
	r.ready(
		routing.Agent{ID: "ann", Skills: map[string]int{"billing": 1}},
		routing.Agent{ID: "bob", Skills: map[string]int{"billing": 5}},
		routing.Agent{ID: "cid", Skills: map[string]int{"billing": 3}},
	)
	r.clock.Advance(time.Second)
	r.chat("ann")
	r.clock.Advance(time.Second)
	_ = r.dir.SetPresence(ctx, "bob", routing.NotReady)
	_ = r.dir.SetPresence(ctx, "bob", routing.Ready)
	billing := skillTarget("billing")
	for _, s := range []routing.Strategy{routing.LongestIdle{}, routing.MostSkilled{}, routing.LeastBusy{}, routing.RoundRobin{}} {
		r.dir.SetStrategy(billing, s)
		order, _ := r.dir.Candidates(ctx, billing, interaction.MediumChat, nil, 0)
		fmt.Printf("%-12s", s.Name())
		for _, a := range order {
			fmt.Print(" ", a.ID)
		}
		fmt.Println()
	}
	// Output:
	// longest-idle cid ann bob
	// most-skilled bob cid ann
	// least-busy   cid bob ann
	// round-robin  ann bob cid
}

// With several offers at once, an invitation to a skill goes to the first
// n candidates together; the first to accept wins and the other offers are
// rescinded in the same write (R-X1).
func ExampleWithOffersAtOnce() {
	ctx := context.Background()
	r := newRoutingDemo(routing.WithOffersAtOnce(2), routing.WithInvitationObserver(func(inv routing.Invitation) {
		if inv.Kind == routing.InviteConsultation {
			fmt.Println(" ", inv.Invitee, inv.ID, inv.State)
		}
	}))
	r.ready(
		routing.Agent{ID: "owner"},
		routing.Agent{ID: "ann", Skills: map[string]int{"billing": 1}},
		routing.Agent{ID: "bob", Skills: map[string]int{"billing": 1}},
	)
	id := r.chat("owner")
	fmt.Println("start:")
	_, _ = r.desk.Start(ctx, id, "owner", skillTarget("billing"), interaction.MediumChat)
	fmt.Println("bob accepts:")
	bobs := r.dir.Invitations("bob")
	_ = r.desk.Accept(ctx, id, "bob", interaction.LegID(bobs[0].ID))
	// Output:
	// start:
	//   ann id-5 pending
	//   bob id-6 pending
	// bob accepts:
	//   ann id-5 rescinded
	//   bob id-6 accepted
}

// Invitations lists an agent's pending offers, as the Directory follows
// them from the events.
func ExampleDirectory_Invitations() {
	ctx := context.Background()
	r := newRoutingDemo()
	r.ready(routing.Agent{ID: "owner"}, routing.Agent{ID: "ann", Groups: []string{"tier2"}})
	id := r.chat("owner")
	_, _ = r.desk.Start(ctx, id, "owner", interaction.Target{Kind: interaction.TargetGroup, ID: "tier2"}, interaction.MediumIM)

	for _, inv := range r.dir.Invitations("ann") {
		fmt.Println(inv.Kind, inv.ID, "from", inv.Owner, "for", inv.Target, "by", inv.Medium, inv.State)
	}
	ann, _ := r.dir.Agent("ann")
	fmt.Println("ann reserved IM units:", ann.Reserved.Of(interaction.MediumIM))
	// Output:
	// consultation id-5 from owner for group:tier2 by im pending
	// ann reserved IM units: 1
}

// Holdings is the capacity rule, derived from an interaction's state
// alone: the owner occupies a chat unit, the target of an active voice
// consultation a voice unit.
func ExampleHoldings() {
	ctx := context.Background()
	r := newRoutingDemo()
	r.ready(routing.Agent{ID: "owner"}, routing.Agent{ID: "ann"})
	id := r.chat("owner")
	leg, _ := r.desk.Start(ctx, id, "owner", interaction.Target{Kind: interaction.TargetAgent, ID: "ann"}, interaction.MediumVoice)
	_ = r.desk.Accept(ctx, id, "ann", leg)

	st, _ := r.chats.State(ctx, id)
	h := routing.Holdings(st)
	for _, a := range []interaction.PartyID{"owner", "ann"} {
		fmt.Println(a, "chat", h[a].Load.Of(interaction.MediumChat), "voice", h[a].Load.Of(interaction.MediumVoice))
	}
	// Output:
	// owner chat 1 voice 0
	// ann chat 0 voice 1
}

// WithNotReadyOnTimeout: an agent who lets an invitation time out is set
// NotReady, and the invitation goes on to the next candidate (R-X1).
func ExampleWithNotReadyOnTimeout() {
	ctx := context.Background()
	r := newRoutingDemo(routing.WithNotReadyOnTimeout(true))
	r.ready(
		routing.Agent{ID: "owner"},
		routing.Agent{ID: "ann", Skills: map[string]int{"billing": 1}},
		routing.Agent{ID: "bob", Skills: map[string]int{"billing": 1}},
	)
	id := r.chat("owner")
	_, _ = r.desk.Start(ctx, id, "owner", skillTarget("billing"), interaction.MediumChat)
	r.clock.Advance(30 * time.Second) // ann does not answer

	ann, _ := r.dir.Agent("ann")
	fmt.Println("ann is", ann.Presence)
	for _, inv := range r.dir.Invitations("bob") {
		fmt.Println("now offered to", inv.Invitee)
	}
	// Output:
	// ann is not_ready
	// now offered to bob
}
