package chatconsult_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatconsult/chatconsult"
	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// Safe retries everywhere (issue 16): every write call of consult and of
// the ChatRouter sent twice with the same command ID applies once and
// answers the first run, also those that route (a retry must not offer
// the invitation to another agent); the ID reused for another command is
// a conflict.
func TestRetriesApplyOnce(t *testing.T) {
	ctx := context.Background()
	clock := chatconsulttest.NewManualClock()
	sys := chatconsult.New(chatconsult.WithClock(clock), chatconsult.WithIDs(chatconsulttest.NewSequentialIDs("")))
	defer sys.Close()
	for _, a := range []chatconsult.Agent{
		{ID: "agent1", Skills: map[string]int{"support": 1}},
		{ID: "s2", Skills: map[string]int{"support": 1}},
		{ID: "b1", Skills: map[string]int{"billing": 1}},
		{ID: "b2", Skills: map[string]int{"billing": 1}},
	} {
		must(sys.Routing.Put(a))
		must(sys.Routing.SetPresence(ctx, a.ID, routing.Ready))
		clock.Advance(time.Second)
	}
	with := func(key string) context.Context { return interaction.WithCommandID(ctx, key) }
	events := func(id chatconsult.ID) uint64 {
		st, err := sys.Chats.State(ctx, id)
		must(err)
		return st.Version
	}

	id, err := sys.Chats.Open(ctx, "contact", "Hello")
	must(err)
	support := chatconsult.Target{Kind: interaction.TargetSkill, ID: "support"}
	a1, err := sys.NewChats.Route(with("route-1"), id, support)
	must(err)
	v := events(id)
	a2, err := sys.NewChats.Route(with("route-1"), id, support)
	if err != nil || a2 != a1 || events(id) != v {
		t.Fatalf("routed again: %s then %s (%v), version %d then %d", a1, a2, err, v, events(id))
	}
	if w := sys.Routing.Work("s2"); w.Busy(interaction.MediumChat) != 0 {
		t.Fatalf("the retry left a hold on s2: %+v", w)
	}
	must(sys.NewChats.Accept(with("accept-1"), id, a1))
	must(sys.NewChats.Accept(with("accept-1"), id, a1))

	billing := chatconsult.Target{Kind: interaction.TargetSkill, ID: "billing"}
	leg, err := sys.Consult.Start(with("start-1"), id, a1, billing, interaction.MediumChat)
	must(err)
	v = events(id)
	again, err := sys.Consult.Start(with("start-1"), id, a1, billing, interaction.MediumChat)
	if err != nil || again != leg || events(id) != v {
		t.Fatalf("Start retried: leg %s then %s (%v), version %d then %d", leg, again, err, v, events(id))
	}
	if _, err := sys.Consult.Start(with("start-1"), id, a1, chatconsult.Target{Kind: interaction.TargetSkill, ID: "support"}, interaction.MediumChat); !errors.Is(err, interaction.ErrConflict) {
		t.Fatalf("start-1 reused for another target: %v, want a conflict", err)
	}
	first := sys.Routing.Invitations("b1")
	if len(first) != 1 {
		t.Fatalf("b1 has %d invitations, want 1", len(first))
	}
	// The decline offers the leg on to b2, once.
	must(sys.Consult.Decline(with("decline-1"), id, "b1", leg))
	v = events(id)
	must(sys.Consult.Decline(with("decline-1"), id, "b1", leg))
	if events(id) != v || len(sys.Routing.Invitations("b2")) != 1 {
		t.Fatalf("Decline retried: version %d then %d, b2 invitations %d", v, events(id), len(sys.Routing.Invitations("b2")))
	}
	leg2 := interaction.LegID(sys.Routing.Invitations("b2")[0].ID)
	must(sys.Consult.Accept(with("accept-2"), id, "b2", leg2))
	must(sys.Consult.Accept(with("accept-2"), id, "b2", leg2))
	must(sys.Consult.Say(with("say-1"), id, a1, leg2, "Double charge?"))
	v = events(id)
	must(sys.Consult.Say(with("say-1"), id, a1, leg2, "Double charge?"))
	if events(id) != v {
		t.Fatal("Say retried wrote again")
	}
	req, err := sys.Consult.Conference(with("conf-1"), id, a1, leg2)
	must(err)
	v = events(id)
	req2, err := sys.Consult.Conference(with("conf-1"), id, a1, leg2)
	if err != nil || req2 != req || events(id) != v {
		t.Fatalf("Conference retried: %s then %s (%v)", req, req2, err)
	}
	must(sys.Consult.AcceptRequest(with("accept-3"), id, "b2", req))
	must(sys.Consult.AcceptRequest(with("accept-3"), id, "b2", req))
	must(sys.Consult.Remove(with("remove-1"), id, a1, "b2"))
	v = events(id)
	must(sys.Consult.Remove(with("remove-1"), id, a1, "b2"))
	if events(id) != v {
		t.Fatal("Remove retried wrote again")
	}
	// A direct transfer to the support skill: one request, once.
	r1, err := sys.Consult.TransferTo(with("xfer-1"), id, a1, support)
	must(err)
	v = events(id)
	r2, err := sys.Consult.TransferTo(with("xfer-1"), id, a1, support)
	if err != nil || r2 != r1 || events(id) != v {
		t.Fatalf("TransferTo retried: %s then %s (%v)", r1, r2, err)
	}
	must(sys.Consult.CancelRequest(with("cancel-1"), id, a1, r1))
	must(sys.Consult.CancelRequest(with("cancel-1"), id, a1, r1))
}
