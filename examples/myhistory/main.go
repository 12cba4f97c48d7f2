// Command myhistory plays the seed's history example (R-H4): the contact
// is with agent1, agent1 consults agent2. Afterwards agent1's My History
// has one new entry, without the consultation transcript, and agent2's
// has none; the activity history holds one interaction with the
// consultation inside it (R-H1).
//
//	go run ./examples/myhistory
package main

import (
	"io"

	"github.com/chatconsult/chatconsult/examples/internal/narrate"
	"github.com/chatconsult/chatconsult/interaction"
)

func main() { narrate.Main(run) }

func run(w io.Writer) error {
	s := narrate.New(w, []narrate.PartyID{"contact", "agent1", "agent2"})
	s.Title("My History of both agents afterwards")

	s.Open("contact", "Can I pay my bill in two parts?")
	s.Connect("agent1")
	leg := s.Consult("agent1", "agent2", interaction.MediumChat)
	s.Accept("agent2", leg)
	s.Say("agent1", leg, "Are instalments allowed for this plan?")
	s.Say("agent2", leg, "Yes, up to three.")
	s.EndConsultation("agent1", leg)
	s.Post("agent1", "Yes, you can pay in up to three parts.")
	s.End("contact")
	s.MarkDone("agent1")
	s.MarkDone("agent2")
	s.Status()

	s.MyHistory("agent1", "agent2")
	s.Note("R-H4: agent1 has one entry, without the consultation; agent2, only consulted, has none")
	s.Activity()
	return s.Err()
}
