package chatconsulttest_test

import (
	"errors"
	"testing"

	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
)

// R-X6: the bad-input generators draw only what the library refuses as bad
// input, and Text's odd but valid texts (controls inside visible text) are
// accepted.
func TestBadInputGeneratorsDrawWhatTheySayRX6(t *testing.T) {
	g := chatconsulttest.Gen{}
	open := interaction.NewDecision(&interaction.State{ID: "chat-1", Version: 1}, "agent1", chatconsulttest.Epoch, "c", interaction.DefaultLimits, nil)
	rapid.Check(t, func(t *rapid.T) {
		if p := g.BadPartyID().Draw(t, "party"); !errors.Is(open.CheckPartyID(p), interaction.ErrBadInput) {
			t.Fatalf("bad party ID %q accepted", p)
		}
		if id := g.BadID().Draw(t, "id"); !errors.Is(interaction.CheckID("leg", string(id)), interaction.ErrBadInput) {
			t.Fatalf("bad ID %q accepted", id)
		}
		if tg := g.BadTarget().Draw(t, "target"); !errors.Is(interaction.CheckTarget(tg), interaction.ErrBadInput) {
			t.Fatalf("bad target %v accepted", tg)
		}
		if tg := g.Target().Draw(t, "good target"); interaction.CheckTarget(tg) != nil {
			t.Fatalf("good target %v refused", tg)
		}
		if txt := g.Text().Draw(t, "text"); checkText(txt) != nil {
			t.Fatalf("valid text %q refused", txt)
		}
	})
}
