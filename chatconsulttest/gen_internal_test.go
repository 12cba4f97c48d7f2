package chatconsulttest

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// R-X7: stories with supervisors reach every supervision situation the
// property tests are meant to check, so that a property over them cannot
// pass by never getting there. Counted on the model, over a fixed set of
// stories (rapid's Example draws the same story for the same seed).
func TestSupervisionStoriesReachEverySituationRX7(t *testing.T) {
	g := Gen{Supervisors: []interaction.PartyID{"super1", "super2"}}
	counts := map[string]int{}
	const stories = 500
	for i := 0; i < stories; i++ {
		for situation := range situations(g, g.Story().Example(i)) {
			counts[situation]++
		}
	}
	t.Logf("stories (of %d) per situation: %v", stories, counts)
	for _, s := range []string{
		"monitor", "coach with text", "barge in", "supervisor leaves", "an agent supervises",
		"a supervisor reads its agent's consultation", "the supervised agent leaves",
		"a former supervisor is consulted", "a former supervisor joins the chat",
		"refused: supervising the contact or a target", "refused: a supervisor's note",
	} {
		assert.GreaterOrEqual(t, counts[s], 5, "R-X7: too few stories where %q", s)
	}
}

// situations lists what happens in one story, as the model sees it.
func situations(g Gen, story Story) map[string]bool {
	seen := map[string]bool{}
	m := NewModel(StoryInteraction)
	m.Policy = interaction.AnyoneMaySupervise
	supervised := map[interaction.PartyID]bool{} // was a supervisor at some point
	for _, s := range story.Steps {
		before := m.Clone()
		o := m.Do(s)
		switch c := s.Command.(type) {
		case interaction.Monitor:
			if o.Accepted {
				seen["monitor"] = true
			} else if w := before.party(c.Agent); w != nil && !w.role.Engaged() {
				seen["refused: supervising the contact or a target"] = true
			}
		case interaction.Coach:
			if o.Accepted && c.Text != "" {
				seen["coach with text"] = true
			}
		case interaction.BargeIn:
			if o.Accepted {
				seen["barge in"] = true
			}
		case interaction.Leave:
			if p := before.party(s.Actor); o.Accepted && p.role == interaction.RoleSupervisor {
				seen["supervisor leaves"] = true
			}
		case interaction.Note:
			if p := before.party(s.Actor); !o.Accepted && p != nil && p.role == interaction.RoleSupervisor {
				seen["refused: a supervisor's note"] = true
			}
		case consult.Say:
			if l := m.leg(c.Leg); o.Accepted && m.watchedNow(l.owner, l.agent) {
				seen["a supervisor reads its agent's consultation"] = true
			}
		case consult.Accept:
			if o.Accepted && supervised[s.Actor] {
				seen["a former supervisor is consulted"] = true
			}
		case consult.AcceptRequest:
			if o.Accepted && supervised[s.Actor] {
				seen["a former supervisor joins the chat"] = true
			}
		}
		if !o.Accepted {
			continue
		}
		for _, p := range m.parties {
			if p.role == interaction.RoleSupervisor {
				supervised[p.id] = true
				for _, a := range g.agents() {
					if a == p.id {
						seen["an agent supervises"] = true
					}
				}
			}
		}
		for _, p := range before.parties {
			if w := before.party(p.supervises); w != nil && p.present() && w.engagedNow() && !m.party(w.id).engagedNow() {
				seen["the supervised agent leaves"] = true
			}
		}
	}
	return seen
}
