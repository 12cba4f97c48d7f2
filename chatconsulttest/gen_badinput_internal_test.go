package chatconsulttest

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// R-X6: stories draw every kind of bad input now and then (malformed party
// IDs as actors and agents, look-alikes of System, invisible-only text,
// malformed leg and request IDs, unknown target kinds and malformed target
// IDs, consultation commands by unknown parties), and the model refuses
// each as bad input; and odd but valid text (controls inside visible text)
// is accepted. Counted on the model over a fixed set of stories, so that
// the property tests cannot pass by never getting there.
func TestStoriesDrawEveryBadInputRX6(t *testing.T) {
	g := Gen{}
	counts := map[string]int{}
	const stories = 1000
	for i := 0; i < stories; i++ {
		m := NewModel(StoryInteraction)
		m.Policy = interaction.AnyoneMaySupervise
		for _, s := range g.Story().Example(i).Steps {
			before := m.Clone()
			o := m.Do(s)
			isConsult := consultCommand(s.Command)
			for _, what := range badInputs(before, s) {
				switch {
				case what == "odd but valid text":
					if !o.Accepted {
						continue // refused for another reason
					}
				case isConsult && (len(o.Kinds) != 1 || o.Kinds[0] != interaction.ErrBadInput):
					// Consultation commands check their input first: bad
					// input is their only answer.
					t.Errorf("%s: %s: model predicts %+v, want bad input only", what, s, o)
				case !isConsult && !o.Allows(&interaction.Error{Kind: interaction.ErrBadInput}):
					t.Errorf("%s: %s: model predicts %+v, want bad input among the answers", what, s, o)
				}
				counts[what]++
			}
		}
	}
	t.Logf("steps (in %d stories) per bad input: %v", stories, counts)
	for _, what := range []string{
		"bad actor", "bad agent", "system look-alike agent", "invisible-only text", "bad leg ID", "bad request ID",
		"unknown target kind", "bad target ID", "consult command by an unknown party", "odd but valid text",
	} {
		assert.GreaterOrEqual(t, counts[what], 5, "R-X6: too few steps with %q", what)
	}
}

// badInputs names the bad inputs of step s on the interaction m (before
// the step) that the library must refuse as bad input, whatever else the
// step gets wrong; and "odd but valid text".
func badInputs(m *Model, s Step) []string {
	if s.Interaction != "" && s.Interaction != m.ID {
		return nil // not found: the interaction is not this one
	}
	var out []string
	unknownActor := m.party(s.Actor) == nil
	text := func(txt string) {
		switch {
		case txt != "" && len(txt) <= 4096 && !m.validText(txt) && invisibleOnly(txt):
			out = append(out, "invisible-only text")
		case m.validText(txt) && hasHidden(txt):
			out = append(out, "odd but valid text")
		}
	}
	agent := func(p interaction.PartyID) {
		if badPartyID(p) && p != "" && p != interaction.System {
			out = append(out, "bad agent")
			if posesAsSystem(string(p)) {
				out = append(out, "system look-alike agent")
			}
		}
	}
	target := func(tg interaction.Target) {
		switch {
		case tg.Kind > interaction.TargetQueue:
			out = append(out, "unknown target kind")
		case badID(tg.ID):
			out = append(out, "bad target ID")
		}
	}
	leg := func(id interaction.LegID) {
		if badID(string(id)) {
			out = append(out, "bad leg ID")
		}
	}
	req := func(id interaction.RequestID) {
		if badID(string(id)) {
			out = append(out, "bad request ID")
		}
	}
	consultByParty := func() {
		if unknownActor {
			out = append(out, "consult command by an unknown party")
			if badPartyID(s.Actor) && s.Actor != "" && s.Actor != interaction.System {
				out = append(out, "bad actor")
			}
		}
	}
	switch c := s.Command.(type) {
	case interaction.Post:
		if unknownActor && badPartyID(s.Actor) && s.Actor != "" && s.Actor != interaction.System {
			out = append(out, "bad actor")
		}
		text(c.Text)
	case interaction.Assign:
		if s.Actor == interaction.System && m.status == interaction.StatusWaiting {
			agent(c.Agent)
		}
	case consult.Start:
		leg(c.Leg)
		target(c.Target)
		agent(c.Invitee)
		consultByParty()
	case consult.Direct:
		req(c.Request)
		target(c.Target)
		agent(c.Invitee)
		consultByParty()
	case consult.Accept:
		leg(c.Leg)
		consultByParty()
	case consult.Say:
		leg(c.Leg)
		text(c.Text)
		consultByParty()
	case consult.Conference:
		leg(c.Leg)
		req(c.Request)
		consultByParty()
	case consult.AcceptRequest:
		req(c.Request)
		consultByParty()
	case consult.CancelRequest:
		req(c.Request)
		consultByParty()
	}
	return out
}

// consultCommand reports whether c is one of package consult's commands.
func consultCommand(c interaction.Command) bool {
	switch c.(type) {
	case consult.Start, consult.Accept, consult.Decline, consult.Cancel, consult.TimeOut, consult.EndConsultation, consult.Say,
		consult.Transfer, consult.Conference, consult.Direct, consult.AcceptRequest, consult.DeclineRequest,
		consult.TimeOutRequest, consult.CancelRequest, consult.Remove:
		return true
	}
	return false
}

func invisibleOnly(s string) bool {
	for _, r := range s {
		if !hidden(r) {
			return false
		}
	}
	return true
}

func hasHidden(s string) bool {
	for _, r := range s {
		if hidden(r) && r != ' ' {
			return true
		}
	}
	return false
}
