package interaction_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// printParties prints whom party sees in the interaction.
func printParties(ctx context.Context, chats *interaction.Service, id interaction.ID, party interaction.PartyID) {
	v, err := chats.View(ctx, id, party)
	if err != nil {
		fmt.Println(party, "cannot see it:", err)
		return
	}
	fmt.Print(party, " sees")
	for _, p := range v.Parties {
		fmt.Printf(" %s(%s)", p.ID, p.Role)
	}
	fmt.Println()
}

// A monitoring supervisor sees everything the agent sees, its
// consultations included, and nobody sees the supervisor (R-X7).
func ExampleService_Monitor() {
	ctx := context.Background()
	chats := newService()
	desk := consult.New(chats)
	id := activeChat(ctx, chats)
	leg, _ := desk.Start(ctx, id, "agent1", interaction.Target{Kind: interaction.TargetAgent, ID: "agent2"}, interaction.MediumChat)
	_ = desk.Accept(ctx, id, "agent2", leg)
	_ = desk.Say(ctx, id, "agent1", leg, "May I refund this?")

	if err := chats.Monitor(ctx, id, "supervisor", "agent1"); err != nil {
		fmt.Println(err)
		return
	}
	printView(ctx, chats, id, "supervisor")
	printParties(ctx, chats, id, "agent1")
	printParties(ctx, chats, id, "contact")
	// Output:
	// supervisor (supervisor, joined; chat active):
	//   contact: Hello, my invoice is wrong
	//   agent1: May I refund this?
	// agent1 sees contact(contact) agent1(owner) agent2(consultant)
	// contact sees contact(contact) agent-1(owner)
}

// A coaching supervisor writes to the agent only, never to the contact;
// the coached agent sees it, nobody else does (R-X7).
func ExampleService_Coach() {
	ctx := context.Background()
	chats := newService()
	id := activeChat(ctx, chats)

	if err := chats.Coach(ctx, id, "supervisor", "agent1", "Offer the refund"); err != nil {
		fmt.Println(err)
		return
	}
	_ = chats.Post(ctx, id, "agent1", "I can refund you")
	printView(ctx, chats, id, "agent1")
	printView(ctx, chats, id, "contact")
	// Output:
	// agent1 (owner, joined; chat active):
	//   contact: Hello, my invoice is wrong
	//   supervisor: Offer the refund
	//   agent1: I can refund you
	// contact (contact, joined; chat active):
	//   contact: Hello, my invoice is wrong
	//   agent-1: I can refund you
}

// Barging in makes the supervisor a conference member, seen by all and
// writing to everyone (R-X7, R-F3).
func ExampleService_BargeIn() {
	ctx := context.Background()
	chats := newService()
	id := activeChat(ctx, chats)
	_ = chats.Monitor(ctx, id, "supervisor", "agent1")

	if err := chats.BargeIn(ctx, id, "supervisor"); err != nil {
		fmt.Println(err)
		return
	}
	_ = chats.Post(ctx, id, "supervisor", "I am the team lead, I will help")
	printView(ctx, chats, id, "contact")
	printParties(ctx, chats, id, "contact")
	// Output:
	// contact (contact, joined; chat active):
	//   contact: Hello, my invoice is wrong
	//   system: Agent 2 joined the conference
	//   agent-2: I am the team lead, I will help
	// contact sees contact(contact) agent-1(owner) agent-2(member)
}

func ExampleWithSupervision() {
	ctx := context.Background()
	// Only team leads supervise, and only their own team (R-X7).
	teams := map[interaction.PartyID]interaction.PartyID{"agent1": "lead-a"}
	chats := interaction.NewService(interaction.WithSupervision(interaction.SupervisionPolicyFunc(
		func(_ interaction.ID, sup, agent interaction.PartyID) bool { return teams[agent] == sup })))
	id := activeChat(ctx, chats)
	fmt.Println(chats.Monitor(ctx, id, "lead-a", "agent1"))
	err := chats.Monitor(ctx, id, "customer-7", "agent1")
	fmt.Println(errors.Is(err, interaction.ErrNotPermitted))
	// Output:
	// <nil>
	// true
}
