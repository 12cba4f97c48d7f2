// Command redirect plays the story "a consultation to a skill that is
// redirected on no answer": agent1 consults the skill billing; routing
// offers it to one available agent, who does not answer in time, so the
// invitation goes to the next one (R-C2, R-X1). Later agent1 consults the
// skill refunds; its only ready agent declines and, nobody being left,
// agent1 is told.
//
//	go run ./examples/redirect
package main

import (
	"io"
	"time"

	"github.com/chatconsult/chatconsult/examples/internal/narrate"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

func main() { narrate.Main(run) }

func run(w io.Writer) error {
	s := narrate.New(w, []narrate.PartyID{"contact", "agent1", "agent2", "agent3", "agent4"},
		// As real desks do, an agent who lets an invitation time out is set
		// not ready, so it is not offered the next one.
		narrate.WithRouting(routing.WithNotReadyOnTimeout(true)))
	s.Title("A consultation to a skill, redirected on no answer")

	billing := interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}
	refunds := interaction.Target{Kind: interaction.TargetSkill, ID: "refunds"}
	skills := []struct {
		agent  narrate.PartyID
		skills map[string]int
		says   string
	}{
		{"agent2", map[string]int{"billing": 1, "refunds": 1}, "skills billing and refunds"},
		{"agent3", map[string]int{"billing": 1}, "skill billing"},
		{"agent4", map[string]int{"refunds": 1}, "skill refunds"},
	}
	for _, a := range skills {
		s.Setup(string(a.agent)+" has the "+a.says+" and is ready", func() error {
			if err := s.Directory.Put(routing.Agent{ID: a.agent, Skills: a.skills}); err != nil {
				return err
			}
			return s.Directory.SetPresence(s.Context(), a.agent, routing.Ready)
		})
	}

	s.Open("contact", "Why was I charged twice?")
	s.Connect("agent1")
	s.ConsultTarget("agent1", billing, interaction.MediumChat)
	s.Wait(30 * time.Second)
	s.Note("R-X1: agent2 did not answer within 30 s; the invitation was withdrawn and went to the next available agent")
	if a, ok := s.Directory.Agent("agent2"); ok {
		s.Note("routing set agent2 %s, as it missed an invitation", a.Presence)
	}
	s.Accept("agent3", s.LegOf("agent3"))
	s.Say("agent1", s.LegOf("agent3"), "Double charge on the March invoice?")
	s.Say("agent3", s.LegOf("agent3"), "Known issue, refund it.")
	s.EndConsultation("agent1", s.LegOf("agent3"))
	s.Post("agent1", "It was a double charge; I have refunded it.")

	s.ConsultTarget("agent1", refunds, interaction.MediumChat)
	s.Decline("agent4", s.LegOf("agent4"))
	s.Note("R-X1: agent4 declined and agent2 is not ready since it missed an invitation: nobody with refunds is left, and only agent1 is told")
	s.Show("agent1")

	s.End("contact")
	s.MarkDone("agent1")
	s.MarkDone("agent3")
	s.Status()
	s.MyHistory("agent1", "agent2", "agent3", "agent4")
	s.Activity()
	return s.Err()
}
