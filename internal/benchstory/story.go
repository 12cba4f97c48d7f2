// Package benchstory is the consultation story the benchmarks of issues 3
// and 7 run: in memory (consult) and on PostgreSQL (pgstore), the same
// commands.
package benchstory

import (
	"context"
	"time"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// Commands is the number of commands of Consultation.
const Commands = 19

// Consultation plays one full consultation story on svc: the contact
// opens the chat and agent1 takes it; four messages; agent1 consults
// agent2, who accepts; four private messages (R-C5); agent1 asks for a
// conference, agent2 accepts (R-F1); agent1 leaves and agent2 goes on with
// the contact as owner (R-F6); agent2 ends the session; both mark done and
// the interaction closes (R-C8). Leg and request IDs come from the
// Service's IDSource, as consult.Service makes them.
func Consultation(ctx context.Context, svc *interaction.Service) (interaction.ID, error) {
	return ConsultationTimed(ctx, svc, nil)
}

// ConsultationTimed is Consultation, handing each command's duration (its
// Service.Do) to took, when not nil.
func ConsultationTimed(ctx context.Context, svc *interaction.Service, took func(time.Duration)) (interaction.ID, error) {
	const contact, owner, target interaction.PartyID = "contact", "agent1", "agent2"
	id := interaction.ID(svc.IDs().NewID())
	leg := consult.LegID(svc.IDs().NewID())
	req := consult.RequestID(svc.IDs().NewID())
	steps := [Commands]struct {
		actor interaction.PartyID
		cmd   interaction.Command
	}{
		{contact, interaction.Open{Contact: contact}},
		{interaction.System, interaction.Assign{Agent: owner}},
		{owner, interaction.Join{}},
		{contact, interaction.Post{Text: "Hello, my invoice is wrong"}},
		{owner, interaction.Post{Text: "Hi, let me have a look"}},
		{contact, interaction.Post{Text: "I was charged twice for March"}},
		{owner, interaction.Post{Text: "I see it, one moment please"}},
		{owner, consult.Start{Leg: leg, Target: interaction.Target{Kind: interaction.TargetAgent, ID: string(target)}, Invitee: target, Medium: interaction.MediumChat}},
		{target, consult.Accept{Leg: leg}},
		{owner, consult.Say{Leg: leg, Text: "Can I refund a double charge?"}},
		{target, consult.Say{Leg: leg, Text: "Yes, but it needs billing's approval"}},
		{owner, consult.Say{Leg: leg, Text: "Can you join and approve it?"}},
		{target, consult.Say{Leg: leg, Text: "Sure, add me"}},
		{owner, consult.Conference{Leg: leg, Request: req}},
		{target, consult.AcceptRequest{Request: req}},
		{owner, interaction.Leave{}},
		{target, interaction.EndSession{}},
		{owner, interaction.MarkDone{}},
		{target, interaction.MarkDone{}},
	}
	for _, s := range steps {
		var start time.Time
		if took != nil {
			start = time.Now()
		}
		if _, err := svc.Do(ctx, id, s.actor, s.cmd); err != nil {
			return "", err
		}
		if took != nil {
			took(time.Since(start))
		}
	}
	return id, nil
}
