package consult

import (
	"context"

	"github.com/chatconsult/chatconsult/interaction"
)

// Router is what consult needs from routing (R-C2, R-X1): the one agent
// who gets an invitation aimed at a target. Package routing implements it
// for groups, skills and queues; DirectRouter handles named agents only.
//
// Decides R-C2: an agent, group, skill or queue target resolves to the agent invited.
type Router interface {
	// Pick returns the agent to invite for target and medium, leaving out
	// the agents in exclude (already in the chat, or already tried). It
	// returns an error wrapping interaction.ErrNotFound when nobody is
	// available.
	Pick(ctx context.Context, target interaction.Target, medium interaction.Medium, exclude []PartyID) (PartyID, error)
}

// DirectRouter resolves agent targets to themselves and refuses the rest.
type DirectRouter struct{}

// Pick implements Router.
func (DirectRouter) Pick(_ context.Context, t interaction.Target, _ interaction.Medium, exclude []PartyID) (PartyID, error) {
	if t.Kind != interaction.TargetAgent {
		return "", &interaction.Error{Kind: interaction.ErrNotFound, Op: "route", Rule: "R-C2", Detail: "no router for " + t.String()}
	}
	if t.ID == "" {
		return "", &interaction.Error{Kind: interaction.ErrBadInput, Op: "route", Rule: "R-C2", Detail: "empty agent target"}
	}
	for _, x := range exclude {
		if x == PartyID(t.ID) {
			return "", &interaction.Error{Kind: interaction.ErrNotFound, Op: "route", Rule: "R-C2", Detail: t.ID + " is not available"}
		}
	}
	return PartyID(t.ID), nil
}
