// Command decline plays the story "consult and decline": agent1, in a chat
// with a contact, invites agent2 to a consultation; agent2 declines, and
// only agent1 is told (R-C3). agent1 then invites agent3 and takes the
// invitation back before it is answered (R-X2). The chat with the contact
// goes on untouched throughout.
//
//	go run ./examples/decline
package main

import (
	"io"

	"github.com/chatconsult/chatconsult/examples/internal/narrate"
	"github.com/chatconsult/chatconsult/interaction"
)

func main() { narrate.Main(run) }

func run(w io.Writer) error {
	s := narrate.New(w, []narrate.PartyID{"contact", "agent1", "agent2", "agent3"})
	s.Title("Consult and decline")

	s.Open("contact", "Hi, can I change my delivery address?")
	s.Connect("agent1")
	s.Post("agent1", "Sure, one moment please.")

	leg := s.Consult("agent1", "agent2", interaction.MediumChat)
	s.Decline("agent2", leg)
	s.Note("R-C3: agent1 gets a system message saying the invitation was declined; the contact is told nothing")
	s.Refused("agent2", "write in the consultation it declined", func() error {
		return s.Desk.Say(s.Context(), s.ID, "agent2", leg, "Sorry, busy")
	})

	leg = s.Consult("agent1", "agent3", interaction.MediumChat)
	s.Cancel("agent1", leg)
	s.Note("R-X2: an invitation still pending can be taken back")
	s.Show("contact", "agent1", "agent2", "agent3")

	s.Post("agent1", "Done: the new address is saved.")
	s.Post("contact", "Great, thanks!")
	s.End("contact")
	s.MarkDone("agent1")
	s.Note("R-C8: agent2 and agent3 never took part, so only agent1 marks done")
	s.Status()
	s.MyHistory("agent1", "agent2", "agent3")
	return s.Err()
}
