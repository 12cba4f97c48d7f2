// Command endconsult plays the story "consult and end": agent2 ends a
// consultation and the chat with the contact goes on (R-C4); then agent1
// ends its session with the contact while consulting agent3, which ends
// that consultation too (R-C7). Everyone who took part marks done (R-C8).
//
//	go run ./examples/endconsult
package main

import (
	"io"

	"github.com/chatconsult/chatconsult/examples/internal/narrate"
	"github.com/chatconsult/chatconsult/interaction"
)

func main() { narrate.Main(run) }

func run(w io.Writer) error {
	s := narrate.New(w, []narrate.PartyID{"contact", "agent1", "agent2", "agent3"})
	s.Title("Consult and end")

	s.Open("contact", "My router keeps rebooting.")
	s.Connect("agent1")

	leg := s.Consult("agent1", "agent2", interaction.MediumChat)
	s.Accept("agent2", leg)
	s.Say("agent1", leg, "Known issue with firmware 4.2?")
	s.Say("agent2", leg, "Yes: tell them to roll back to 4.1.")
	s.EndConsultation("agent2", leg)
	s.Note("R-C4: the target ended the consultation; the chat with the contact goes on")
	s.Post("agent1", "Please roll the firmware back to version 4.1.")
	s.Note("agent2 has left: it is not told this message")

	leg = s.Consult("agent1", "agent3", interaction.MediumChat)
	s.Accept("agent3", leg)
	s.Say("agent1", leg, "Should I also send a new router?")
	s.Post("contact", "That fixed it, bye!")
	s.End("agent1")
	s.Note("R-C7: ending the session with the contact ended the consultation with agent3 too")
	s.Show("contact", "agent1", "agent2", "agent3")

	s.MarkDone("agent1")
	s.MarkDone("agent2")
	s.MarkDone("agent3")
	s.Note("R-C8: the owner and both consulted agents marked done; only then does it close")
	s.Status()
	s.MyHistory("agent1", "agent2", "agent3")
	return s.Err()
}
