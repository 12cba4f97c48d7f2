// Command transfer plays the story "consult and transfer": agent1 consults
// agent2 and hands the chat over to it (R-T1). The contact is connected to
// agent2 and the chat closes on agent1's desk (R-T2); what agent1 and
// agent2 said in the consultation stays between them (R-C5).
//
//	go run ./examples/transfer
package main

import (
	"io"

	"github.com/chatconsult/chatconsult/examples/internal/narrate"
	"github.com/chatconsult/chatconsult/interaction"
)

func main() { narrate.Main(run) }

func run(w io.Writer) error {
	s := narrate.New(w, []narrate.PartyID{"contact", "agent1", "agent2"})
	s.Title("Consult and transfer")

	s.Open("contact", "I want to cancel my contract.")
	s.Connect("agent1")
	s.Post("agent1", "I am sorry to hear that. Let me find the right person.")

	leg := s.Consult("agent1", "agent2", interaction.MediumChat)
	s.Accept("agent2", leg)
	s.Say("agent1", leg, "Retention case, customer since 2019.")
	s.Say("agent2", leg, "I will take it over.")
	s.Transfer("agent1", leg)
	s.Note("R-T2: agent2 is now the owner; agent1 has left the chat")
	s.Refused("agent1", "write in the chat it transferred", func() error {
		return s.Chats.Post(s.Context(), s.ID, "agent1", "Bye!")
	})
	s.Post("agent2", "Hello, I can offer you a better plan.")
	s.Post("contact", "Tell me more.")
	s.Show("contact", "agent1", "agent2")
	s.Note("R-C5: even after the transfer the contact never sees the consultation")

	s.End("agent2")
	s.MarkDone("agent1")
	s.MarkDone("agent2")
	s.Status()
	s.MyHistory("agent1", "agent2")
	return s.Err()
}
