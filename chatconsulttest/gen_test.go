package chatconsulttest_test

import (
	"errors"
	"testing"

	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
)

func checkText(text string) error {
	d := interaction.NewDecision(&interaction.State{}, "agent1", chatconsulttest.Epoch, "c", interaction.DefaultLimits, nil)
	return d.CheckText(text)
}

// The generators draw what they promise: valid text the library accepts,
// bad text it refuses as bad input (R-X6), targets of every kind (R-C2),
// parties from the pool or deliberately unknown.
func TestGeneratorsDrawWhatTheySay(t *testing.T) {
	g := chatconsulttest.Gen{}
	rapid.Check(t, func(t *rapid.T) {
		if err := checkText(g.Text().Draw(t, "text")); err != nil {
			t.Fatalf("valid text refused: %v", err)
		}
		if err := checkText(g.BadText().Draw(t, "bad")); !errors.Is(err, interaction.ErrBadInput) {
			t.Fatalf("bad text not refused as bad input: %v", err)
		}
		tg := g.Target().Draw(t, "target")
		if tg.Kind > interaction.TargetQueue || tg.ID == "" {
			t.Fatalf("target %v", tg)
		}
		switch p := g.Party().Draw(t, "party"); p {
		case "contact", "agent1", "agent2", "agent3", "agent4", interaction.System, chatconsulttest.Stranger, "":
		default:
			t.Fatalf("party %q", p)
		}
	})
	// A chat-only story uses no consultation command.
	rapid.Check(t, func(t *rapid.T) {
		for _, s := range (chatconsulttest.Gen{ChatOnly: true}).Story().Draw(t, "story").Steps {
			if _, ok := s.Command.(interaction.Command); !ok {
				t.Fatal("not a command")
			}
			switch s.Command.(type) {
			case interaction.Open, interaction.Assign, interaction.Join, interaction.Decline, interaction.Withdraw,
				interaction.Post, interaction.Note, interaction.Leave, interaction.EndSession, interaction.MarkDone, interaction.MarkRead:
			default:
				t.Fatalf("chat-only story has %s", s)
			}
		}
	})
}
