package routing_test

import (
	"context"
	"fmt"
	"time"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// The Directory is wired twice: as the consult Router that picks agents,
// and in the interaction Service's Notifier chain, which keeps their load.
// A consultation to a skill goes to the longest idle agent; when that one
// does not answer in time it goes to the next (R-X1).
func ExampleDirectory() {
	ctx := context.Background()
	clock := chatconsulttest.NewManualClock()
	dir := routing.NewDirectory(routing.WithClock(clock))
	chats := interaction.NewService(interaction.WithClock(clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")),
		interaction.WithNotifier(interaction.Notifiers{dir, interaction.NewMemoryNotifier()}))
	desk := consult.New(chats, consult.WithRouter(dir), consult.WithInviteTimeout(30*time.Second))
	dir.RescindWith(desk)

	for _, a := range []routing.Agent{
		{ID: "olga"},
		{ID: "ann", Skills: map[string]int{"billing": 2}},
		{ID: "bob", Skills: map[string]int{"billing": 5}},
	} {
		_ = dir.Put(a)
		_ = dir.SetPresence(ctx, a.ID, routing.Ready)
		clock.Advance(time.Second) // ann becomes ready before bob
	}
	id, _ := chats.Open(ctx, "contact", "My invoice is wrong")
	_ = chats.Assign(ctx, id, interaction.System, "olga")
	_ = chats.Join(ctx, id, "olga")

	billing := interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}
	leg, _ := desk.Start(ctx, id, "olga", billing, interaction.MediumChat)
	st, _ := chats.State(ctx, id)
	fmt.Println("offered to", st.Leg(leg).Invitee)

	clock.Advance(30 * time.Second) // ann does not answer
	st, _ = chats.State(ctx, id)
	next := st.Legs[len(st.Legs)-1]
	fmt.Println("redirected to", next.Invitee)
	_ = desk.Accept(ctx, id, next.Invitee, next.ID)

	bob, _ := dir.Agent("bob")
	fmt.Println("bob's chat load:", bob.Load.Of(interaction.MediumChat), "of", bob.Limit.Of(interaction.MediumChat))
	// Output:
	// offered to ann
	// redirected to bob
	// bob's chat load: 1 of 3
}
