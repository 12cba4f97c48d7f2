package chatconsulttest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// R-X1: the default stories (Gen{}, as consult's TestModel and
// TestPrivacyProperty draw them) reach every situation of routed
// invitations, so that the properties over them cannot pass by never
// getting there. Counted on the model over a fixed set of stories.
func TestRoutedStoriesReachEverySituationRX1(t *testing.T) {
	g := Gen{}
	counts := map[string]int{}
	const stories = 500
	for i := 0; i < stories; i++ {
		for situation := range routeSituations(g.Story().Example(i)) {
			counts[situation]++
		}
	}
	t.Logf("stories (of %d) per situation: %v", stories, counts)
	for _, s := range []string{
		"fan-out to 2 or more", "fan-out of requests", "first accept rescinds rivals",
		"refused: a second accept", "offered on after a decline", "offered on after a time-out",
		"offered on after a rescind", "owner told nobody is left", "refused: offered on to an agent tried",
		"refused: the last offer failed, not offered on", "ignored: another offer is still out",
		"cancel takes the rivals", "accept naming the rivals",
	} {
		assert.GreaterOrEqual(t, counts[s], 5, "R-X1: too few stories where %q", s)
	}
}

// routeSituations lists what happens to routed invitations in one story.
func routeSituations(story Story) map[string]bool {
	seen := map[string]bool{}
	m := NewModel(StoryInteraction)
	m.Policy = interaction.AnyoneMaySupervise
	for _, s := range story.Steps {
		before := m.Clone()
		o := m.Do(s)
		added := len(m.items) - len(before.items)
		switch c := s.Command.(type) {
		case Offers:
			if o.Accepted && len(c) >= 2 {
				seen["fan-out to 2 or more"] = true
				if _, ok := c[0].(consult.Direct); ok {
					seen["fan-out of requests"] = true
				}
			}
		case consult.Accept, consult.AcceptRequest, consult.AcceptOffer:
			var id interaction.InvitationID
			switch c := c.(type) {
			case consult.Accept:
				id = interaction.InvitationID(c.Leg)
			case consult.AcceptRequest:
				id = interaction.InvitationID(c.Request)
			case consult.AcceptOffer:
				id = c.Invitation
				if o.Accepted && len(c.Rivals) > 0 {
					seen["accept naming the rivals"] = true
				}
			}
			inv := before.invitationOf(id)
			switch {
			case inv == nil:
			case o.Accepted && len(before.out(inv, id)) > 0:
				seen["first accept rescinds rivals"] = true
			case !o.Accepted && inv.taken != "" && inv.taken != id && hasKind(o.Kinds, errTransition):
				seen["refused: a second accept"] = true
			}
		case consult.Cancel:
			if inv := before.invitationOf(interaction.InvitationID(c.Leg)); o.Accepted && inv != nil && len(before.out(inv, interaction.InvitationID(c.Leg))) > 0 {
				seen["cancel takes the rivals"] = true
			}
		case consult.Reroute:
			switch {
			case o.Accepted && len(m.invitations) > 0 && len(c.Next) > 0 && len(m.legs)+len(m.requests) > len(before.legs)+len(before.requests):
				seen[map[consult.RerouteReason]string{consult.RerouteDeclined: "offered on after a decline",
					consult.RerouteTimedOut: "offered on after a time-out", consult.RerouteRescinded: "offered on after a rescind"}[c.Reason]] = true
			case o.Accepted && c.Exhausted && added > 0 && m.messages[len(m.messages)-1].notice != nil &&
				m.messages[len(m.messages)-1].notice.code == interaction.NoticeNotPlaced:
				seen["owner told nobody is left"] = true
			case o.Accepted && (len(c.Next) > 0 || c.Exhausted):
				seen["ignored: another offer is still out"] = true
			case !o.Accepted && len(c.Next) > 0 && c.Next[len(c.Next)-1].ID == "leg-again":
				seen["refused: offered on to an agent tried"] = true
			case !o.Accepted && len(c.Next) == 0 && !c.Exhausted && hasKind(o.Kinds, errConflict):
				seen["refused: the last offer failed, not offered on"] = true
			}
		}
	}
	return seen
}

func hasKind(kinds []error, k error) bool {
	for _, x := range kinds {
		if errors.Is(x, k) {
			return true
		}
	}
	return false
}
