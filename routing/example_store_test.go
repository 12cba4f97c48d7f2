package routing_test

import (
	"context"
	"fmt"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// Two instances' Directories on one shared Store: an agent registered and
// made ready on one is picked by the other, and capacity is one for both.
func ExampleWithStore() {
	ctx := context.Background()
	shared := routing.NewMemoryStore() // pgstore.NewRoutingStore on PostgreSQL
	a := routing.NewDirectory(routing.WithStore(shared))
	b := routing.NewDirectory(routing.WithStore(shared))
	_ = a.PutContext(ctx, routing.Agent{ID: "ann", Skills: map[string]int{"billing": 1},
		Capacity: routing.Capacity{interaction.MediumChat: 1}})
	_ = a.SetPresence(ctx, "ann", routing.Ready)

	billing := interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}
	agent, err := b.Pick(ctx, billing, interaction.MediumChat, nil)
	fmt.Println("B picks:", agent, err)
	_, err = a.Pick(ctx, billing, interaction.MediumChat, nil)
	fmt.Println("A finds nobody:", err != nil)
	// Output:
	// B picks: ann <nil>
	// A finds nobody: true
}
