package chatconsult_test

import (
	"context"
	"fmt"

	"github.com/chatconsult/chatconsult"
	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// The seed's story, end to end on one System: the contact's chat is routed
// to a support agent, who consults the billing skill privately (R-C1,
// R-C5), turns the consultation into a conference (R-F1), and leaves; the
// consulted agent takes over (R-F6); both mark the chat done (R-C8), and
// it is in the My History of both (R-H3). The contact never sees the
// consultation, and sees agents under contact-facing IDs (agent-2). Each
// agent's history shows the status as it was told: agent2 marked done
// first and was out before agent1's wrap-up closed the chat.
func Example() {
	ctx := context.Background()
	sys := chatconsult.New(
		chatconsult.WithClock(chatconsulttest.NewManualClock()),
		chatconsult.WithIDs(chatconsulttest.NewSequentialIDs("")),
	)
	defer sys.Close()
	for _, a := range []chatconsult.Agent{
		{ID: "agent1", Skills: map[string]int{"support": 1}},
		{ID: "agent2", Skills: map[string]int{"billing": 1}},
	} {
		must(sys.Routing.Put(a))
		must(sys.Routing.SetPresence(ctx, a.ID, chatconsult.Ready))
	}

	id, err := sys.Chats.Open(ctx, "contact", "I was charged twice")
	must(err)
	owner, err := sys.Routing.Pick(ctx, chatconsult.Target{Kind: chatconsult.TargetSkill, ID: "support"}, chatconsult.MediumChat, nil)
	must(err)
	must(sys.Chats.Assign(ctx, id, chatconsult.SystemParty, owner))
	must(sys.Chats.Join(ctx, id, owner))

	leg, err := sys.Consult.Start(ctx, id, owner, chatconsult.Target{Kind: chatconsult.TargetSkill, ID: "billing"}, chatconsult.MediumChat)
	must(err)
	must(sys.Consult.Accept(ctx, id, "agent2", leg))
	must(sys.Consult.Say(ctx, id, owner, leg, "Double charge on the March invoice?"))
	must(sys.Consult.Say(ctx, id, "agent2", leg, "Known issue, I can refund it."))

	req, err := sys.Consult.Conference(ctx, id, owner, leg)
	must(err)
	must(sys.Consult.AcceptRequest(ctx, id, "agent2", req))
	must(sys.Chats.Post(ctx, id, "agent2", "I have refunded the second charge."))
	must(sys.Chats.Leave(ctx, id, owner))

	v, err := sys.Chats.View(ctx, id, "contact")
	must(err)
	for _, m := range v.Messages {
		fmt.Printf("contact sees %s: %s\n", m.Author, m.Text)
	}
	must(sys.Chats.EndSession(ctx, id, "agent2"))
	must(sys.Chats.MarkDone(ctx, id, "agent2"))
	must(sys.Chats.MarkDone(ctx, id, owner))
	for _, agent := range []chatconsult.PartyID{owner, "agent2"} {
		page, err := sys.History.MyHistory(ctx, agent, history.Query{})
		must(err)
		fmt.Printf("%s's history: %d chat, %s\n", agent, len(page.Items), page.Items[0].Status)
	}
	// Output:
	// contact sees contact: I was charged twice
	// contact sees system: Agent 2 joined the conference
	// contact sees agent-2: I have refunded the second charge.
	// agent1's history: 1 chat, closed
	// agent2's history: 1 chat, ended
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// A restarted process on the same Store recovers what the first one kept
// in memory: the open interactions' routing loads, reminders and
// deadlines, and the history.
func ExampleSystem_Recover() {
	ctx := context.Background()
	store := interaction.NewMemoryStore()
	first := chatconsult.New(chatconsult.WithStore(store), chatconsult.WithClock(chatconsulttest.NewManualClock()))
	id, err := first.Chats.Open(ctx, "contact", "Hello")
	must(err)
	must(first.Chats.Assign(ctx, id, chatconsult.SystemParty, "agent1"))
	must(first.Chats.Join(ctx, id, "agent1"))
	first.Close()

	restarted := chatconsult.New(chatconsult.WithStore(store), chatconsult.WithClock(chatconsulttest.NewManualClock()))
	defer restarted.Close()
	n, err := restarted.Recover(ctx)
	must(err)
	page, err := restarted.History.MyHistory(ctx, "agent1", history.Query{})
	must(err)
	fmt.Println(n, "open interaction;", len(page.Items), "in agent1's history, status", page.Items[0].Status)
	// Output:
	// 1 open interaction; 1 in agent1's history, status active
}
